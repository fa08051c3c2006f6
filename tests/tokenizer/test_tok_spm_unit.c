/* SentencePiece models built by hand (the seeds of fuzz/corpus/spm, made by fuzz/make_spm_seeds.py):
 * charsmap rules, identity normalization without dummy prefix or whitespace collapsing, BPE with byte
 * fallback, user-defined and unused pieces, unknown runs, decoding; and hostile models — every truncation,
 * absurd lengths, charsmap offsets out of range, missing or doubled pieces — which must give an error
 * naming the file and the problem, never a crash. */
#include <unistd.h>

#include "check.h"
#include "tok_fixture.h"

static char *seed(const char *name, size_t *n) {
    char path[2048];
    snprintf(path, sizeof path, "%s/fuzz/corpus/spm/%s", BB_SOURCE_DIR, name);
    char *d = fx_read(path, n);
    CHECK(d != NULL, "cannot read %s", path);
    return d;
}

/* Encodes text and returns the tokens joined by '|'. */
static const char *pieces(const tok_tokenizer *tk, const char *text, tok_encoding *e) {
    static char out[4096];
    out[0] = 0;
    if (tok_encode(tk, text, -1, NULL, 0, NULL, e, out, sizeof out) != BB_OK) return out;
    for (int i = 0; i < e->n; i++) {
        if (i) strncat(out, "|", sizeof out - strlen(out) - 1);
        strncat(out, e->tokens[i], sizeof out - strlen(out) - 1);
    }
    return out;
}

static char *decode(const tok_tokenizer *tk, const tok_encoding *e) {
    static char out[4096];
    char *s = tok_decode_dup(tk, e->ids, e->n, 0);
    snprintf(out, sizeof out, "%s", s ? s : "(null)");
    free(s);
    return out;
}

/* ---- a protobuf writer for hostile models ---- */
typedef struct {
    uint8_t b[8192];
    size_t n;
} pbuf;
static void pb_varint(pbuf *p, uint64_t v) {
    do {
        p->b[p->n++] = (uint8_t)((v & 0x7F) | (v > 0x7F ? 0x80 : 0));
        v >>= 7;
    } while (v);
}
static void pb_bytes(pbuf *p, int field, const void *d, size_t n) {
    pb_varint(p, (uint64_t)field << 3 | 2);
    pb_varint(p, n);
    memcpy(p->b + p->n, d, n);
    p->n += n;
}
static void pb_piece(pbuf *p, const char *s, float score, int type) {
    pbuf q = {.n = 0};
    pb_bytes(&q, 1, s, strlen(s));
    pb_varint(&q, 2 << 3 | 5);
    memcpy(q.b + q.n, &score, 4);
    q.n += 4;
    pb_varint(&q, 3 << 3), pb_varint(&q, (uint64_t)type);
    pb_bytes(p, 1, q.b, q.n);
}

static int load_err(const pbuf *p, const char *want, char *err, size_t errlen) {
    tok_tokenizer *tk = NULL;
    int rc = tok_load_spm_mem(&tk, p->b, p->n, "hostile.model", err, errlen);
    tok_free(tk);
    return rc != BB_OK && strstr(err, "hostile.model") && strstr(err, want);
}

int main(void) {
    char err[512];
    tok_encoding *e = tok_encoding_new();
    const char *names[3] = {"unigram_charsmap.model", "bpe_bytefallback.model", "identity_spaces.model"};
    tok_tokenizer *tk[3] = {NULL, NULL, NULL};
    char *data[3];
    size_t len[3];
    for (int k = 0; k < 3; k++) {
        data[k] = seed(names[k], &len[k]);
        if (!data[k]) return check_done();
        CHECK(tok_is_spm((const uint8_t *)data[k], len[k]), "%s recognised", names[k]);
        CHECK_OK(tok_load_spm_mem(&tk[k], (const uint8_t *)data[k], len[k], names[k], err, sizeof err), err);
        if (!tk[k]) return check_done();
    }
    CHECK(!tok_is_spm((const uint8_t *)"{\"model\": {}}", 13) && !tok_is_spm((const uint8_t *)"[PAD]\n[UNK]\n", 12),
          "JSON and vocab.txt are not SentencePiece");

    /* Charsmap rules (longest match: "e" + U+0301 -> "é"), removal of U+0001, tab and U+3000 -> space
     * collapsed, dummy prefix, unknown characters kept as one piece with their text. */
    const char *s = pieces(tk[0], "\xEF\xBC\xA1the  cat\t\x01sat caf" "e\xCC\x81 \xE3\x80\x80\xF0\xA0\xAE\xB7\xF0\xA9\xB8\xBD", e);
    CHECK(strcmp(s, "\xE2\x96\x81|A|th|e|\xE2\x96\x81" "cat|\xE2\x96\x81" "sat|\xE2\x96\x81" "caf\xC3\xA9|\xE2\x96\x81|"
                    "\xF0\xA0\xAE\xB7\xF0\xA9\xB8\xBD") == 0, "unigram pieces: %s", s);
    CHECK(e->n == 9 && e->ids[1] == 0 && e->ids[8] == 0, "unknowns are id 0");
    CHECK(e->n == 9 && e->offsets[2 * 1] == 0 && e->offsets[2 * 1 + 1] == 1, "Ａ spans [0,1)");
    CHECK(e->n == 9 && e->offsets[2 * 4] == 4 && e->offsets[2 * 4 + 1] == 9, "'▁cat' spans the two spaces: [%d,%d)",
          e->offsets[8], e->offsets[9]);
    CHECK(e->n == 9 && e->offsets[2 * 8] == 22 && e->offsets[2 * 8 + 1] == 24, "the unknown run spans both characters");
    CHECK(e->n == 9 && e->byte_offsets[2 * 8] == 27 && e->byte_offsets[2 * 8 + 1] == 35, "byte offsets [%d,%d)",
          e->byte_offsets[16], e->byte_offsets[17]);
    s = decode(tk[0], e);
    CHECK(strcmp(s, " \xE2\x81\x87 the cat sat caf\xC3\xA9  \xE2\x81\x87 ") == 0, "unigram decode: '%s'", s);
    CHECK(strcmp(pieces(tk[0], "  \t ", e), "") == 0 && e->n == 0, "only whitespace gives no piece");

    /* BPE: merges by score, a user-defined piece kept whole and unnormalized, an unused piece split
     * again along its merges, byte fallback with the character's span on its last byte. */
    s = pieces(tk[1], "the cats <sep>\xC3\xA9", e);
    CHECK(strcmp(s, "\xE2\x96\x81the|\xE2\x96\x81" "cat|s|\xE2\x96\x81|<sep>|<0xC3>|<0xA9>") == 0, "bpe pieces: %s", s);
    CHECK(e->n == 7 && e->offsets[2 * 5] == 14 && e->offsets[2 * 5 + 1] == 14 && e->offsets[2 * 6] == 14 &&
              e->offsets[2 * 6 + 1] == 15, "byte pieces: the last one carries the character");
    CHECK(e->n == 7 && e->offsets[2 * 4] == 9 && e->offsets[2 * 4 + 1] == 14, "<sep> spans [9,14): [%d,%d)",
          e->offsets[8], e->offsets[9]);
    s = decode(tk[1], e);
    CHECK(strcmp(s, "the cats <sep>\xC3\xA9") == 0, "bpe decode: '%s'", s);
    int32_t bad[3] = {tok_token_to_id(tk[1], "<0xC3>"), tok_token_to_id(tk[1], "<0xFF>"), tok_token_to_id(tk[1], "s")};
    char *d = tok_decode_dup(tk[1], bad, 3, 0);
    CHECK(d && strcmp(d, "\xEF\xBF\xBD\xEF\xBF\xBDs") == 0, "broken byte runs decode to U+FFFD: '%s'", d ? d : "");
    free(d);

    /* Identity, no dummy prefix, no collapsing, no escaping: spaces are ordinary characters. */
    s = pieces(tk[2], "the  cat", e);
    CHECK(strcmp(s, "th|e|  |c|at") == 0, "identity pieces: %s", s);

    /* Content, not name: the BPE seed under a name without an extension. */
    char path[256];
    snprintf(path, sizeof path, "/tmp/bb_spm_unit_%d", (int)getpid());
    FILE *f = fopen(path, "wb");
    CHECK(f && fwrite(data[1], 1, len[1], f) == len[1], "write %s", path);
    if (f) fclose(f);
    tok_tokenizer *by_content = NULL;
    CHECK_OK(tok_load_any(&by_content, path, TOK_CASE_AUTO, err, sizeof err), err);
    CHECK(by_content && tok_kind(by_content) == TOK_MODEL_SPM_BPE, "recognised by content");
    tok_free(by_content);
    remove(path);

    /* Every truncation of every seed: an error naming the file, or (at a field boundary) a model. */
    for (int k = 0; k < 3; k++)
        for (size_t cut = 0; cut < len[k]; cut++) {
            tok_tokenizer *t = NULL;
            err[0] = 0;
            int rc = tok_load_spm_mem(&t, (const uint8_t *)data[k], cut, names[k], err, sizeof err);
            if (rc == BB_OK) {
                CHECK(tok_encode(t, "the cat \xF0\x9F\x98\x80", -1, NULL, 0, NULL, e, err, sizeof err) == BB_OK,
                      "%s cut at %zu encodes", names[k], cut);
                tok_free(t);
            } else if (!strstr(err, names[k])) {
                CHECK(0, "%s cut at %zu: error without the file name: %s", names[k], cut, err);
            }
        }

    pbuf p = {.n = 0};
    pb_varint(&p, 1 << 3 | 2), pb_varint(&p, 1ull << 40);
    CHECK(load_err(&p, "truncated or malformed", err, sizeof err), "absurd length: %s", err);
    p.n = 0;
    pb_piece(&p, "a", -1, 1);
    CHECK(load_err(&p, "no unknown piece", err, sizeof err), "no <unk>: %s", err);
    p.n = 0;
    pb_piece(&p, "<unk>", 0, 2), pb_piece(&p, "a", -1, 1), pb_piece(&p, "a", -2, 1);
    CHECK(load_err(&p, "defined twice", err, sizeof err), "duplicate: %s", err);
    p.n = 0;
    pb_piece(&p, "<unk>", 0, 2), pb_piece(&p, "<0x41>", 0, 6);
    CHECK(load_err(&p, "byte_fallback", err, sizeof err), "byte piece without byte_fallback: %s", err);
    p.n = 0;
    pb_piece(&p, "<unk>", 0, 2), pb_piece(&p, "a", 0, 9);
    CHECK(load_err(&p, "unknown type 9", err, sizeof err), "bad type: %s", err);
    pbuf t = {.n = 0};
    pb_varint(&t, 3 << 3), pb_varint(&t, 3);
    p.n = 0;
    pb_piece(&p, "<unk>", 0, 2);
    pb_bytes(&p, 2, t.b, t.n);
    CHECK(load_err(&p, "not supported", err, sizeof err), "word model: %s", err);
    p.n = 0;
    pb_piece(&p, "<unk>", 0, 2);
    t.n = 0;
    pb_varint(&t, 35 << 3), pb_varint(&t, 1);
    pb_bytes(&p, 2, t.b, t.n);
    CHECK(load_err(&p, "<0x00> is missing", err, sizeof err), "byte_fallback without byte pieces: %s", err);
    /* Charsmaps: a trie larger than its blob, and a rule pointing past the replacement strings. */
    uint8_t cm[16] = {64, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 'x', 0, 0, 0};
    p.n = 0;
    pb_piece(&p, "<unk>", 0, 2);
    t.n = 0;
    pb_bytes(&t, 2, cm, sizeof cm);
    pb_bytes(&p, 3, t.b, t.n);
    CHECK(load_err(&p, "precompiled_charsmap trie size", err, sizeof err), "charsmap trie size: %s", err);
    uint32_t units[2] = {1u << 10, (1u << 31) | 1000u};
    memcpy(cm, (uint32_t[]){8}, 4);
    memcpy(cm + 4, units, 8);
    memcpy(cm + 12, "ab\0", 4);
    p.n = 0;
    pb_piece(&p, "<unk>", 0, 2);
    t.n = 0;
    pb_bytes(&t, 2, cm, sizeof cm);
    pb_bytes(&p, 3, t.b, t.n);
    CHECK(load_err(&p, "outside its 4 bytes", err, sizeof err), "charsmap offset out of range: %s", err);
    /* Random bytes and a vocab.txt through the .model reader. */
    srand(7);
    for (int r = 0; r < 2000; r++) {
        p.n = (size_t)(rand() % 200);
        for (size_t i = 0; i < p.n; i++) p.b[i] = (uint8_t)rand();
        tok_tokenizer *x = NULL;
        if (tok_load_spm_mem(&x, p.b, p.n, "hostile.model", err, sizeof err) == BB_OK) tok_free(x);
        else CHECK(strstr(err, "hostile.model") != NULL, "random bytes: %s", err);
    }
    tok_tokenizer *x = NULL;
    CHECK(tok_load_spm_mem(&x, (const uint8_t *)"[PAD]\n[UNK]\n", 12, "vocab.model", err, sizeof err) != BB_OK &&
              strstr(err, "vocab.model: not a SentencePiece model"), "vocab.txt: %s", err);
    tok_free(x);

    for (int k = 0; k < 3; k++) tok_free(tk[k]), free(data[k]);
    tok_encoding_free(e);
    return check_done();
}
