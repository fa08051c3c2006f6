/* test_tok_unigram_train.c — the Unigram trainer: normalization, the vocabulary it builds, byte
 * fallback, errors, the tokenizer.json it writes, and its quality against SentencePiece on a small
 * corpus.
 *
 * Quality reference: sentencepiece/heldout_text.txt split by line number (1-based): lines with
 * n % 5 != 0 train, lines with n % 5 == 0 (400) evaluate. Debian's spm_train 0.1.97 on the training
 * lines (--model_type=unigram --vocab_size=3000 --character_coverage=0.995 --num_threads=1) reports
 * "Alphabet size=689", and spm_encode of the evaluation lines with that model gives 15,835 pieces
 * (2.585 per word). A trainer that seeds, re-estimates or prunes badly needs many more pieces. */
#define _GNU_SOURCE
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "tok.h"
#include "tok_unigram_train.h"

#define REF_PIECES 15835
#define REF_ALPHABET 689

static uint8_t *cm;
static size_t cm_len;

static void check_norm(const char *in, const char *want) {
    size_t n;
    char *got = tok_ug_normalize_dup(cm, cm_len, in, -1, &n);
    CHECK(got && strcmp(got, want) == 0 && n == strlen(want), "normalize(\"%s\") = \"%s\", want \"%s\"", in,
          got ? got : "(null)", want);
    free(got);
}

static int utf8_encode(int32_t c, char *o) {
    unsigned char *u = (unsigned char *)o;
    if (c < 0x80) return u[0] = (unsigned char)c, 1;
    if (c < 0x800) return u[0] = (unsigned char)(0xC0 | (c >> 6)), u[1] = (unsigned char)(0x80 | (c & 0x3F)), 2;
    u[0] = (unsigned char)(0xE0 | (c >> 12)), u[1] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
    u[2] = (unsigned char)(0x80 | (c & 0x3F));
    return 3;
}

static char *read_all_len(const char *path, size_t *len);

static char *read_all(const char *path) {
    size_t n;
    return read_all_len(path, &n);
}

/* Field 3 (normalizer_spec) -> field 2 (precompiled_charsmap) of a SentencePiece ModelProto. */
static const uint8_t *proto_field(const uint8_t *p, size_t n, int want, size_t *out_len) {
    size_t i = 0;
    while (i < n) {
        uint64_t key = 0;
        for (int sh = 0; i < n && sh < 64; sh += 7) {
            key |= (uint64_t)(p[i] & 0x7F) << sh;
            if (!(p[i++] & 0x80)) break;
        }
        int wt = (int)(key & 7);
        uint64_t v = 0;
        if (wt == 0 || wt == 2) {
            for (int sh = 0; i < n && sh < 64; sh += 7) {
                v |= (uint64_t)(p[i] & 0x7F) << sh;
                if (!(p[i++] & 0x80)) break;
            }
        }
        if (wt == 2) {
            if (v > n - i) return NULL;
            if ((int)(key >> 3) == want) {
                *out_len = (size_t)v;
                return p + i;
            }
            i += (size_t)v;
        } else if (wt == 5) {
            i += 4;
        } else if (wt == 1) {
            i += 8;
        } else if (wt != 0) {
            return NULL;
        }
    }
    return NULL;
}

/* Our nmt_nfkc rules against the charsmap inside unigram_8k.model (SentencePiece's own): both
 * normalizations of every training line, the edge cases and every BMP code point. */
static void check_against_spm(const char *fx, char **lines, long n) {
    char path[1024];
    snprintf(path, sizeof path, "%s/sentencepiece/unigram_8k.model", fx);
    size_t len, ns, nc;
    uint8_t *model = (uint8_t *)read_all_len(path, &len);
    CHECK(model != NULL, "%s is missing", path);
    if (!model) return;
    const uint8_t *spec = proto_field(model, len, 3, &ns);
    const uint8_t *ref = spec ? proto_field(spec, ns, 2, &nc) : NULL;
    CHECK(ref && nc > 1000, "no precompiled_charsmap in %s", path);
    long differ = 0, total = 0;
    char first[512] = "";
    for (long i = 0; ref && i < n + 0x10000; i++) {
        char buf[8];
        const char *t = buf;
        if (i < n) {
            t = lines[i];
        } else {
            int32_t c = (int32_t)(i - n);
            if (c == 0 || (c >= 0xD800 && c <= 0xDFFF)) continue;
            buf[utf8_encode(c, buf)] = 0;
        }
        size_t a, b;
        char *x = tok_ug_normalize_dup(cm, cm_len, t, -1, &a), *y = tok_ug_normalize_dup(ref, nc, t, -1, &b);
        total++;
        if (!x || !y || a != b || memcmp(x, y, a) != 0) {
            if (!differ) snprintf(first, sizeof first, "'%s': ours '%s', spm '%s'", t, x ? x : "", y ? y : "");
            differ++;
        }
        free(x), free(y);
    }
    printf("nmt_nfkc against unigram_8k.model's charsmap: %ld of %ld texts differ%s%s\n", differ, total,
           differ ? ", first " : "", first);
    CHECK(differ <= 10, "%ld of %ld texts normalize differently; first %s", differ, total, first);
    free(model);
}

static char *read_all_len(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)sz + 1);
    if (b && fread(b, 1, (size_t)sz, f) != (size_t)sz) free(b), b = NULL;
    fclose(f);
    if (b) b[sz] = 0, *len = (size_t)sz;
    return b;
}

/* Splits text into lines in place; train gets lines n % 5 != 0, eval the others (1-based n). */
static void split_lines(char *text, char **train, long *nt, char **eval, long *ne) {
    long n = 0;
    *nt = *ne = 0;
    for (char *s = text; *s;) {
        char *e = strchr(s, '\n');
        if (e) *e = 0;
        n++;
        if (n % 5) train[(*nt)++] = s;
        else eval[(*ne)++] = s;
        if (!e) break;
        s = e + 1;
    }
}

static int train(tok_ug_model *m, char **lines, long n, int vocab, double coverage, int byte_fallback) {
    char err[256];
    tok_ug_options o = tok_ug_options_default();
    o.vocab_size = vocab, o.character_coverage = coverage, o.byte_fallback = byte_fallback;
    tok_ug_trainer *tr;
    CHECK_OK(tok_ug_new(&tr, &o, err, sizeof err), err);
    for (long i = 0; i < n; i++) CHECK_OK(tok_ug_feed(tr, lines[i], -1, err, sizeof err), err);
    int rc = tok_ug_finish(tr, m, err, sizeof err);
    CHECK_OK(rc, err);
    tok_ug_free(tr);
    return rc;
}

static long count(const tok_ug_model *m, char **lines, long n, long *unk) {
    char err[256];
    long pieces = -1;
    CHECK_OK(tok_ug_count_pieces(m, (const char *const *)lines, n, &pieces, unk, err, sizeof err), err);
    return pieces;
}

static int utf8_chars(const char *s) {
    int n = 0;
    for (; *s; s++) n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static void check_vocab(const tok_ug_model *m, int vocab) {
    CHECK(m->n == vocab, "vocab %d, want %d", m->n, vocab);
    CHECK(strcmp(m->piece[0], "<unk>") == 0 && strcmp(m->piece[1], "<s>") == 0 && strcmp(m->piece[2], "</s>") == 0,
          "meta pieces %s %s %s", m->piece[0], m->piece[1], m->piece[2]);
    int first = 3 + (m->byte_fallback ? 256 : 0), sorted = 1, ws_inside = 0, too_long = 0;
    for (int i = first; i < m->n; i++) {
        if (i > first && m->score[i] > m->score[i - 1]) sorted = 0;
        if (strstr(m->piece[i] + 1, "\xe2\x96\x81")) ws_inside++;
        if (utf8_chars(m->piece[i]) > 16) too_long++;
        CHECK(m->type[i] == TOK_UG_NORMAL && m->score[i] < 0, "piece %d '%s' type %d score %g", i, m->piece[i],
              m->type[i], m->score[i]);
    }
    CHECK(sorted, "pieces are not in descending score order");
    CHECK(ws_inside == 0, "%d pieces hold '▁' after their first character", ws_inside);
    CHECK(too_long == 0, "%d pieces longer than 16 characters", too_long);
}

/* Content tokens of lines[0..n) through the tokenizer API. */
static long api_count(const tok_tokenizer *tk, char **lines, long n) {
    char err[256];
    tok_encoding *e = tok_encoding_new();
    tok_options o = tok_options_default();
    o.add_special_tokens = 0;
    long total = 0;
    for (long i = 0; i < n && e; i++) {
        int rc = tok_encode(tk, lines[i], -1, NULL, 0, &o, e, err, sizeof err);
        CHECK_OK(rc, err);
        total += rc == BB_OK ? e->n : 0;
    }
    tok_encoding_free(e);
    return total;
}

/* Writes the model and loads what was written through the tokenizer API (tokenizer.json and the
 * .model): both give the trainer's own Viterbi pieces, want of them, on lines[0..n). */
static void check_json(const tok_ug_model *m, char **lines, long n, long want) {
    char dir[] = "/tmp/bb_ugtrain_XXXXXX", err[256], path[256];
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    CHECK_OK(tok_ug_save_dir(m, dir, err, sizeof err), err);
    snprintf(path, sizeof path, "%s/tokenizer.json", dir);
    char *text = read_all(path);
    cJSON *j = text ? cJSON_Parse(text) : NULL;
    CHECK(j != NULL, "%s does not parse", path);
    const cJSON *model = cJSON_GetObjectItem(j, "model");
    const cJSON *vocab = cJSON_GetObjectItem(model, "vocab");
    CHECK(cJSON_IsString(cJSON_GetObjectItem(model, "type")) &&
              strcmp(cJSON_GetObjectItem(model, "type")->valuestring, "Unigram") == 0,
          "model.type is not Unigram");
    CHECK(cJSON_GetArraySize(vocab) == m->n, "vocab has %d entries, want %d", cJSON_GetArraySize(vocab), m->n);
    const cJSON *e = cJSON_GetArrayItem(vocab, m->n - 1);
    CHECK(e && strcmp(cJSON_GetArrayItem(e, 0)->valuestring, m->piece[m->n - 1]) == 0 &&
              fabs(cJSON_GetArrayItem(e, 1)->valuedouble - m->score[m->n - 1]) < 1e-9,
          "last vocab entry differs from the model");
    CHECK(cJSON_IsBool(cJSON_GetObjectItem(model, "byte_fallback")) &&
              cJSON_IsTrue(cJSON_GetObjectItem(model, "byte_fallback")) == (m->byte_fallback != 0),
          "byte_fallback flag");
    const cJSON *pre = cJSON_GetObjectItem(j, "pre_tokenizer");
    CHECK(strcmp(cJSON_GetObjectItem(pre, "type")->valuestring, "Metaspace") == 0, "pre_tokenizer is not Metaspace");
    cJSON_Delete(j);
    free(text);
    tok_tokenizer *tk = NULL;
    CHECK_OK(tok_load_json(&tk, path, err, sizeof err), err);
    if (tk) {
        long got = api_count(tk, lines, n);
        CHECK(got == want && tok_kind(tk) == TOK_MODEL_UNIGRAM && tok_vocab_size(tk) == m->n,
              "tokenizer.json through tok_load_json: %ld pieces, the trainer's Viterbi %ld", got, want);
        tok_free(tk);
    }
    remove(path);
    snprintf(path, sizeof path, "%s/tokenizer_config.json", dir);
    remove(path);
    snprintf(path, sizeof path, "%s/spiece.model", dir);
    tk = NULL;
    CHECK_OK(tok_load_any(&tk, path, TOK_CASE_AUTO, err, sizeof err), err);
    if (tk) {
        long got = api_count(tk, lines, n);
        CHECK(got == want, "spiece.model through tok_load_any: %ld pieces, the trainer's Viterbi %ld", got, want);
        tok_free(tk);
    }
    char *proto = read_all(path);
    CHECK(proto && memcmp(proto, "\x0a\x0e\x0a\x05<unk>", 9) == 0, "%s does not start with the <unk> piece", path);
    free(proto);
    remove(path);
    rmdir(dir);
}

int main(void) {
    cm = tok_ug_charsmap_build(&cm_len);
    CHECK(cm && cm_len > 10000, "charsmap built (%zu bytes)", cm_len);
    if (!cm) return check_done();
    check_norm("  Hello   world\t", "\xe2\x96\x81Hello\xe2\x96\x81world");
    check_norm("\xef\xbc\xa6\xef\xbc\xb5\xef\xbc\xac\xef\xbc\xac", "\xe2\x96\x81" "FULL"); /* full-width */
    check_norm("\xef\xac\x81x", "\xe2\x96\x81" "fix");                                  /* ligature fi */
    check_norm("a\x01" "b\nc", "\xe2\x96\x81" "ab\xe2\x96\x81" "c");
    check_norm("e\xcc\x81", "\xe2\x96\x81\xc3\xa9"); /* NFKC composes */
    check_norm(" \t ", "");
    {
        size_t n;
        char *got = tok_ug_normalize_dup(cm, cm_len, "a\0b\xff", 4, &n);
        CHECK(got && n == 8 && memcmp(got, "\xe2\x96\x81" "ab\xef\xbf\xbd", 8) == 0, "NUL dropped, bad byte -> U+FFFD");
        free(got);
    }

    char err[256];
    tok_ug_options o = tok_ug_options_default();
    tok_ug_trainer *tr;
    tok_ug_model m;
    CHECK_OK(tok_ug_new(&tr, &o, err, sizeof err), err);
    CHECK(tok_ug_finish(tr, &m, err, sizeof err) == BB_EINVAL, "finishing with no text must fail");
    tok_ug_free(tr);
    o.character_coverage = 1.5;
    CHECK(tok_ug_new(&tr, &o, err, sizeof err) == BB_EINVAL, "coverage 1.5 must be rejected");
    o = tok_ug_options_default();
    o.vocab_size = 100, o.byte_fallback = 1;
    CHECK(tok_ug_new(&tr, &o, err, sizeof err) == BB_EINVAL, "vocab 100 with 256 byte pieces must be rejected");

    const char *fx = check_fixtures();
    char path[1024];
    snprintf(path, sizeof path, "%s/sentencepiece/heldout_text.txt", fx);
    char *text = read_all(path);
    if (!text) {
        fprintf(stderr, "%s is missing\n", path);
        const char *ci = getenv("CI");
        if (ci && strcmp(ci, "true") == 0) return 1;
        printf("SKIP: %s not found\n", path);
        return 77;
    }
    char **tl = malloc(4000 * sizeof *tl), **el = malloc(4000 * sizeof *el);
    long nt, ne;
    split_lines(text, tl, &nt, el, &ne);
    CHECK(nt == 1600 && ne == 400, "heldout split %ld / %ld, want 1600 / 400", nt, ne);

    /* Too small a vocabulary for the required characters is a clear error. */
    o = tok_ug_options_default();
    o.vocab_size = 300, o.character_coverage = 0.995;
    CHECK_OK(tok_ug_new(&tr, &o, err, sizeof err), err);
    for (long i = 0; i < nt; i++) tok_ug_feed(tr, tl[i], -1, err, sizeof err);
    CHECK(tok_ug_finish(tr, &m, err, sizeof err) == BB_EINVAL && strstr(err, "character coverage"),
          "vocab 300 < 689 required characters: %s", err);
    tok_ug_free(tr);

    if (train(&m, tl, nt, 3000, 0.995, 0) == BB_OK) {
        check_vocab(&m, 3000);
        CHECK(m.n_required == REF_ALPHABET, "%d required characters, spm_train has %d", m.n_required, REF_ALPHABET);
        long unk = 0, pieces = count(&m, el, ne, &unk);
        printf("evaluation lines: %ld pieces (spm_train's model: %d, %+.2f%%), %ld unknown\n", pieces, REF_PIECES,
               100.0 * (pieces - REF_PIECES) / REF_PIECES, unk);
        CHECK(pieces > 0 && pieces <= REF_PIECES * 1.03, "%ld pieces, more than 3%% over SentencePiece's %d", pieces,
              REF_PIECES);
        check_json(&m, el, ne, pieces);
        tok_ug_model_free(&m);
    }

    /* Byte fallback: 256 byte pieces after the specials; a character never seen spends its UTF-8 bytes. */
    if (train(&m, tl, nt, 3000, 0.995, 1) == BB_OK) {
        check_vocab(&m, 3000);
        CHECK(strcmp(m.piece[3], "<0x00>") == 0 && strcmp(m.piece[258], "<0xFF>") == 0 && m.type[3] == TOK_UG_BYTE,
              "byte pieces at 3..258: %s %s", m.piece[3], m.piece[258]);
        char *rare[1] = {"\xf0\xa0\xae\xb7"}; /* U+20BB7, 4 bytes, not in the corpus */
        long unk = 0, pieces = count(&m, rare, 1, &unk);
        CHECK(unk == 4 && pieces == 5, "U+20BB7 with byte fallback: %ld pieces, %ld bytes (want ▁ + 4 bytes)", pieces,
              unk);
        long pieces_bf = count(&m, el, ne, NULL);
        check_json(&m, el, ne, pieces_bf);
        tok_ug_model_free(&m);
    }
    check_against_spm(fx, tl, nt);
    free(tl), free(el), free(text), free(cm);
    return check_done();
}
