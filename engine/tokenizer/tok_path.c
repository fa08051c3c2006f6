/* tok_path.c — where a tokenizer lives: the one answer that every loader (tok_load_any, tok_load_dir,
 * infer_open, the trainer, the workbench) and the model listing (`models`) give for a path. */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "bb_file.h"
#include "bb_hub.h"
#include "tok_internal.h"

tok_file_kind tok_sniff(const char *data, size_t len) {
    if (tok_is_spm((const uint8_t *)data, len)) return TOK_FILE_SPM;
    size_t i = 0;
    while (i < len && (data[i] == ' ' || data[i] == '\n' || data[i] == '\r' || data[i] == '\t')) i++;
    return i < len && data[i] == '{' ? TOK_FILE_JSON : TOK_FILE_VOCAB;
}

const char *tok_file_kind_name(tok_file_kind kind) {
    switch (kind) {
    case TOK_FILE_JSON: return "tokenizer.json";
    case TOK_FILE_VOCAB: return "vocab.txt";
    case TOK_FILE_SPM: return "SentencePiece model";
    }
    return "unknown";
}

/* 1 when path is a regular file; 0 when nothing is there; -1 (with the reason in err) when something
 * else is (a directory, a device, a dangling or looping link): that is an error, not "not found". */
int tok_file_exists(const char *path, char *err, size_t errlen) {
    if (!bb_path_exists(path)) return 0;
    return bb_check_regular(path, err, errlen) == BB_OK ? 1 : -1;
}

/* The SentencePiece model of a directory: the names HF checkpoints use, then any *.model. */
static int find_spm(const char *dir, char *path, size_t n, char *err, size_t errlen) {
    static const char *names[] = {"tokenizer.model", "spiece.model", "sentencepiece.bpe.model", "sentencepiece.model"};
    for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
        snprintf(path, n, "%s/%s", dir, names[k]);
        int ex = tok_file_exists(path, err, errlen);
        if (ex) return ex;
    }
    DIR *d = opendir(dir);
    if (!d) return 0;
    int found = 0;
    for (struct dirent *e; !found && (e = readdir(d));) {
        size_t l = strlen(e->d_name);
        if (l > 6 && strcmp(e->d_name + l - 6, ".model") == 0) {
            snprintf(path, n, "%s/%s", dir, e->d_name);
            found = tok_file_exists(path, err, errlen);
        }
    }
    closedir(d);
    return found;
}

int tok_resolve_dir(const char *dir, char *file, size_t n, tok_file_kind *kind, char *err, size_t errlen) {
    static const struct {
        const char *name;
        tok_file_kind kind;
    } files[] = {{"tokenizer.json", TOK_FILE_JSON}, {"vocab.txt", TOK_FILE_VOCAB}};
    for (size_t k = 0; k < sizeof files / sizeof *files; k++) {
        snprintf(file, n, "%s/%s", dir, files[k].name);
        int ex = tok_file_exists(file, err, errlen);
        if (ex < 0) return BB_EIO;
        if (ex) {
            *kind = files[k].kind;
            return BB_OK;
        }
    }
    int ex = find_spm(dir, file, n, err, errlen);
    if (ex < 0) return BB_EIO;
    if (!ex) return bb_err(err, errlen, BB_EIO, "%s: no tokenizer.json, vocab.txt or SentencePiece .model found", dir);
    *kind = TOK_FILE_SPM;
    return BB_OK;
}

int tok_resolve(const char *path_or_id, char *file, size_t n, tok_file_kind *kind, int *is_dir, char *err,
                size_t errlen) {
    char path[4096];
    int rc = bb_hub_resolve(path_or_id, path, sizeof path, err, errlen);
    if (rc != BB_OK) return rc;
    struct stat st;
    if (stat(path, &st) != 0) return bb_check_regular(path, err, errlen);
    if (is_dir) *is_dir = S_ISDIR(st.st_mode);
    if (S_ISDIR(st.st_mode)) return tok_resolve_dir(path, file, n, kind, err, errlen);
    if ((rc = bb_check_regular(path, err, errlen)) != BB_OK) return rc;
    FILE *f = fopen(path, "rb");
    if (!f) return bb_err(err, errlen, BB_EIO, "%s: cannot open", path);
    char head[4096];
    size_t got = fread(head, 1, sizeof head, f);
    fclose(f);
    *kind = tok_sniff(head, got);
    snprintf(file, n, "%s", path);
    return BB_OK;
}
