/* Limits that must fail cleanly, each with a message naming the file (and line) and the problem:
 * tensor data past the end of the file, safetensors headers over 100 MB, sequences longer than the
 * model's 512 positions, vocab.txt with duplicates and empty lines (HF's behaviour), eval labels
 * missing from the label map, and dataset lines that are not UTF-8 (fatal, or skipped on request). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bb_err.h"
#include "bert.h"
#include "check.h"
#include "config.h"
#include "data.h"
#include "st.h"
#include "tok.h"

static char dir[256];

static void path_in(char *out, size_t n, const char *name) { snprintf(out, n, "%s/%s", dir, name); }

static void put(const char *name, const void *data, size_t n) {
    char p[512];
    path_in(p, sizeof p, name);
    FILE *fp = fopen(p, "wb");
    CHECK(fp && fwrite(data, 1, n, fp) == n && fclose(fp) == 0, "writing %s", p);
}

/* A safetensors file: 8-byte length (claim), the header text, then ndata zero bytes. */
static void put_st(const char *name, const char *header, uint64_t claim, size_t ndata) {
    size_t hl = strlen(header), n = 8 + hl + ndata;
    unsigned char *buf = calloc(1, n);
    for (int i = 0; i < 8; i++) buf[i] = (unsigned char)(claim >> (8 * i));
    memcpy(buf + 8, header, hl);
    put(name, buf, n);
    free(buf);
}

static void expect_st_error(const char *name, const char *needle) {
    char p[512], err[512] = "";
    path_in(p, sizeof p, name);
    st_file *f = NULL;
    int rc = st_open(&f, p, err, sizeof err);
    CHECK(rc == BB_EFORMAT && f == NULL, "%s: rc %d", name, rc);
    CHECK(strstr(err, p) && strstr(err, needle), "%s: message names the file and says '%s': %s", name, needle, err);
    st_close(f);
}

static void test_safetensors(void) {
    /* A tensor that claims 4 MB of data in a file holding 16 bytes. */
    const char *big = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1000000],\"data_offsets\":[0,4000000]}}";
    put_st("big.safetensors", big, strlen(big), 16);
    expect_st_error("big.safetensors", "past the end");
    /* The shape agrees with the offsets, the offsets do not fit. */
    const char *shift = "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[8,24]}}";
    put_st("shift.safetensors", shift, strlen(shift), 16);
    expect_st_error("shift.safetensors", "past the end");
    /* A header over 100 MB in a file that really is that long (sparse): refused before parsing. */
    char p[512];
    path_in(p, sizeof p, "header.safetensors");
    put_st("header.safetensors", "{}", (uint64_t)ST_MAX_HEADER + 1, 0);
    CHECK(truncate(p, (off_t)ST_MAX_HEADER + 64) == 0, "sparse file");
    expect_st_error("header.safetensors", "limit");
    /* Exactly the limit is allowed as a length; here it is not JSON (zeros), which is reported as such. */
    put_st("limit.safetensors", "{", (uint64_t)ST_MAX_HEADER, 0);
    CHECK(truncate(p, 0) == 0 && unlink(p) == 0, "cleanup");
    path_in(p, sizeof p, "limit.safetensors");
    CHECK(truncate(p, (off_t)ST_MAX_HEADER + 8) == 0, "sparse file");
    expect_st_error("limit.safetensors", "JSON");
    unlink(p);
}

static void test_positions(void) {
    char err[512] = "";
    bert_config cfg;
    bert_config_default(&cfg, 32, 8, 1, 2, 16, 512);
    bert_model *m = NULL;
    CHECK_OK(bert_create(&m, &cfg, 1, err, sizeof err), err);
    bert_config_free(&cfg);
    if (!m) return;
    int32_t *ids = calloc(513, sizeof *ids);
    for (int T = 512; T <= 513; T++) {
        bert_acts a;
        memset(&a, 0, sizeof a);
        int rc = bert_acts_alloc(&a, m, 1, T, 0, err, sizeof err);
        if (rc == BB_OK) rc = bert_forward(m, &a, ids, NULL, NULL, 1, T, err, sizeof err);
        if (T == 512)
            CHECK(rc == BB_OK, "512 tokens fit 512 positions: %s", err);
        else
            CHECK(rc == BB_EINVAL && strstr(err, "513") && strstr(err, "512 positions"), "513 tokens: %d %s", rc, err);
        bert_acts_free(&a);
    }
    free(ids);
    bert_free(m);
}

static void test_vocab(void) {
    /* Line numbers are ids. HF (BertTokenizer.load_vocab and tokenizers' WordPiece.from_file) maps a
     * duplicated token to its last line; an empty line still takes its id and never matches. */
    static const char v[] = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nthe\n\ncat\nthe\n\n";
    char err[512] = "";
    tok_tokenizer *tk = NULL;
    CHECK_OK(tok_load_vocab_mem(&tk, v, sizeof v - 1, "dup.txt", 1, err, sizeof err), err);
    if (!tk) return;
    CHECK(tok_vocab_size(tk) == 10, "every line is an id: %d", tok_vocab_size(tk));
    CHECK(tok_id_to_token(tk, 6) && !strcmp(tok_id_to_token(tk, 6), ""), "line 7 is the empty token");
    tok_encoding *e = tok_encoding_new();
    tok_options o = tok_options_default();
    CHECK_OK(tok_encode(tk, "the cat", -1, NULL, 0, &o, e, err, sizeof err), err);
    CHECK(e->n == 4 && e->ids[0] == 2 && e->ids[1] == 8 && e->ids[2] == 7 && e->ids[3] == 3,
          "the -> 8 (last duplicate), cat -> 7: n=%d %d %d", e->n, e->n > 1 ? e->ids[1] : -1,
          e->n > 2 ? e->ids[2] : -1);
    tok_encoding_free(e);
    tok_free(tk);
    static const char blank[] = "\n\n\n";
    CHECK(tok_load_vocab_mem(&tk, blank, sizeof blank - 1, "blank.txt", 1, err, sizeof err) == BB_OK ||
              strstr(err, "blank.txt"),
          "only empty lines: loads or names the file: %s", err);
    tok_free(tk);
    tk = NULL;
    CHECK(tok_load_vocab_mem(&tk, "", 0, "empty.txt", 1, err, sizeof err) == BB_EFORMAT && strstr(err, "empty.txt"),
          "an empty file is refused: %s", err);
}

static void test_unseen_label(void) {
    static const char train[] = "{\"text\":\"the cat\",\"label\":\"pos\"}\n{\"text\":\"the\",\"label\":\"neg\"}\n";
    static const char eval[] = "{\"text\":\"cat\",\"label\":\"pos\"}\n{\"text\":\"the\",\"label\":\"maybe\"}\n";
    static const char v[] = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nthe\ncat\n";
    put("train.jsonl", train, sizeof train - 1);
    put("eval.jsonl", eval, sizeof eval - 1);
    char p[512], err[512] = "";
    data_set *tr = NULL, *ev = NULL;
    data_labels lm = {0};
    tok_tokenizer *tk = NULL;
    path_in(p, sizeof p, "train.jsonl");
    CHECK_OK(data_load(&tr, p, DATA_FMT_AUTO, 0, err, sizeof err), err);
    path_in(p, sizeof p, "eval.jsonl");
    CHECK_OK(data_load(&ev, p, DATA_FMT_AUTO, 0, err, sizeof err), err);
    CHECK_OK(tok_load_vocab_mem(&tk, v, sizeof v - 1, "v", 1, err, sizeof err), err);
    if (tr && ev && tk && data_labels_build(&lm, tr, 0, err, sizeof err) == BB_OK) {
        data_encoded e;
        CHECK_OK(data_encode_examples(&e, tk, tr, &lm, 0, 16, err, sizeof err), err);
        data_encoded_free(&e);
        char want[600];
        snprintf(want, sizeof want, "%s:2: label 'maybe' is not in the label map", p);
        CHECK(data_encode_examples(&e, tk, ev, &lm, 0, 16, err, sizeof err) == BB_EFORMAT && strstr(err, want),
              "unseen eval label: %s", err);
    }
    data_labels_free(&lm);
    data_free(tr);
    data_free(ev);
    tok_free(tk);
}

/* The example on line 2 (or the record starting there) is not UTF-8; the rest is. */
static void test_utf8(const char *name, const char *text, int n_good) {
    char p[512], err[512] = "", want[600];
    put(name, text, strlen(text));
    path_in(p, sizeof p, name);
    data_set *d = NULL;
    snprintf(want, sizeof want, "%s:2: not valid UTF-8", p);
    CHECK(data_load(&d, p, DATA_FMT_AUTO, 0, err, sizeof err) == BB_EFORMAT && d == NULL && strstr(err, want),
          "%s: fatal by default with file:line: %s", name, err);
    CHECK_OK(data_load(&d, p, DATA_FMT_AUTO, DATA_SKIP_BAD_UTF8, err, sizeof err), err);
    if (!d) return;
    CHECK(d->n == n_good && d->n_skipped == 1 && d->first_skipped_line == 2, "%s: skipped: n %d skipped %d at %d",
          name, d->n, d->n_skipped, d->first_skipped_line);
    data_free(d);
}

static void test_utf8_all(void) {
    test_utf8("a.txt", "caf\xc3\xa9 \xf0\x9f\x98\x80 ok\nbad \xff byte\nfine\n", 2);
    test_utf8("b.txt", "ok\nover\xc0\xaflong\n", 1);
    test_utf8("c.txt", "ok\nsurrogate \xed\xa0\x80\n", 1);
    test_utf8("d.txt", "ok\ncut \xe4\xb8\n", 1);
    test_utf8("e.jsonl", "{\"text\":\"a\",\"label\":\"x\"}\n{\"text\":\"b\",\"label\":\"\xfe\"}\n", 1);
    test_utf8("f.tsv", "text\tlabel\nx\xf5y\t1\nz\t0\n", 1);
    test_utf8("g.conll", "-DOCSTART- O\nbad\x80 B-X\n\nok O\n", 1);
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/bb_limits_%d", (int)getpid());
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s", dir, dir);
    CHECK(system(cmd) == 0, "temp dir");
    test_safetensors();
    test_positions();
    test_vocab();
    test_unseen_label();
    test_utf8_all();
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0, "cleanup");
    return check_done();
}
