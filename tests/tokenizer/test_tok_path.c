/* tok_resolve: the one answer to "where is the tokenizer of this path" that the loaders, the trainer,
 * the workbench and `models` share. A directory: tokenizer.json before vocab.txt before a SentencePiece
 * model (HF names first, then any *.model); a file: its kind by content, whatever its name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "tok.h"

static char root[64];

static void put(const char *name, const char *data, size_t n) {
    char p[256];
    snprintf(p, sizeof p, "%s/%s", root, name);
    FILE *f = fopen(p, "wb");
    CHECK(f != NULL, "write %s", p);
    if (f) fwrite(data, 1, n, f), fclose(f);
}

static void gone(const char *name) {
    char p[256];
    snprintf(p, sizeof p, "%s/%s", root, name);
    unlink(p);
}

static void expect(const char *path, tok_file_kind kind, const char *file_end, int dir) {
    char file[512], err[512] = "";
    tok_file_kind k = 0;
    int is_dir = -1;
    int rc = tok_resolve(path, file, sizeof file, &k, &is_dir, err, sizeof err);
    size_t fl = strlen(file), el = strlen(file_end);
    CHECK(rc == BB_OK && k == kind && is_dir == dir && fl >= el && strcmp(file + fl - el, file_end) == 0,
          "%s: rc %d (%s), kind %s, file %s, dir %d; want %s in %s", path, rc, err, rc ? "-" : tok_file_kind_name(k),
          rc ? "-" : file, is_dir, tok_file_kind_name(kind), file_end);
}

int main(void) {
    snprintf(root, sizeof root, "/tmp/bb_tok_path_XXXXXX");
    CHECK(mkdtemp(root) != NULL, "temp dir");
    static const char spm[] = "\x0a\x05\x0a\x03" "abc"; /* ModelProto: pieces { piece: "abc" } */
    char file[512], err[512];
    tok_file_kind k;
    CHECK(tok_resolve(root, file, sizeof file, &k, NULL, err, sizeof err) == BB_EIO && strstr(err, root) &&
              strstr(err, "no tokenizer.json, vocab.txt or SentencePiece .model"),
          "an empty directory: %s", err);
    put("weird.model", spm, sizeof spm - 1);
    expect(root, TOK_FILE_SPM, "/weird.model", 1);
    put("spiece.model", spm, sizeof spm - 1);
    expect(root, TOK_FILE_SPM, "/spiece.model", 1);
    put("vocab.txt", "[PAD]\n[UNK]\n", 12);
    expect(root, TOK_FILE_VOCAB, "/vocab.txt", 1);
    put("tokenizer.json", " {\"model\": {}}", 14);
    expect(root, TOK_FILE_JSON, "/tokenizer.json", 1);
    gone("vocab.txt");
    expect(root, TOK_FILE_JSON, "/tokenizer.json", 1);
    /* files by content, not by name */
    char p[256];
    snprintf(p, sizeof p, "%s/spiece.model", root);
    expect(p, TOK_FILE_SPM, "/spiece.model", 0);
    put("a.txt", " {}", 3);
    snprintf(p, sizeof p, "%s/a.txt", root);
    expect(p, TOK_FILE_JSON, "/a.txt", 0);
    put("b.json", "hello\n", 6);
    snprintf(p, sizeof p, "%s/b.json", root);
    expect(p, TOK_FILE_VOCAB, "/b.json", 0);
    snprintf(p, sizeof p, "%s/missing", root);
    CHECK(tok_resolve(p, file, sizeof file, &k, NULL, err, sizeof err) != BB_OK && strstr(err, "missing"),
          "a missing path: %s", err);
    /* a directory where a file is expected is an error, not "not found" */
    snprintf(p, sizeof p, "%s/vocab.txt", root);
    CHECK(mkdir(p, 0700) == 0, "mkdir");
    CHECK(tok_resolve(root, file, sizeof file, &k, NULL, err, sizeof err) == BB_OK && k == TOK_FILE_JSON,
          "tokenizer.json still first: %s", err);
    gone("tokenizer.json");
    CHECK(tok_resolve(root, file, sizeof file, &k, NULL, err, sizeof err) == BB_EIO && strstr(err, "vocab.txt"),
          "vocab.txt a directory: %s", err);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    CHECK(system(cmd) == 0, "clean up");
    return check_done();
}
