/* Conformance: every row of sentencepiece/spm_encodings.jsonl — SentencePiece 0.1.97's encode() of edge
 * cases and sentences in 30 languages with a Unigram model (nmt_nfkc) and a BPE model with byte fallback
 * (identity) — must give identical ids and pieces, the same spans of the original text, and the same
 * decode(ids). The fixture's "byte_offsets" are what SentencePiece's Python wrapper reports, which
 * converts the spans to code points, so they are compared with the encoding's code-point offsets. */
#include "check.h"
#include "tok_fixture.h"

int main(void) {
    const char *fx = check_fixtures();
    char path[4096], err[256];
    const char *names[2] = {"unigram_8k.model", "bpe_bytefallback_4k.model"};
    tok_tokenizer *tks[2] = {NULL, NULL};
    for (int k = 0; k < 2; k++) {
        snprintf(path, sizeof path, "%s/sentencepiece/%s", fx, names[k]);
        CHECK_OK(tok_load_spm(&tks[k], path, err, sizeof err), err);
    }
    if (!tks[0] || !tks[1]) return check_done();
    CHECK(tok_kind(tks[0]) == TOK_MODEL_UNIGRAM && tok_kind(tks[1]) == TOK_MODEL_SPM_BPE, "model kinds");
    CHECK(tok_vocab_size(tks[0]) == 8000 && tok_vocab_size(tks[1]) == 4000, "vocab sizes %d %d",
          tok_vocab_size(tks[0]), tok_vocab_size(tks[1]));
    CHECK(tok_specials(tks[0]).unk == 0 && tok_specials(tks[0]).cls == 1 && tok_specials(tks[0]).sep == 2, "specials");
    snprintf(path, sizeof path, "%s/sentencepiece/spm_encodings.jsonl", fx);
    size_t n;
    char *data = fx_read(path, &n);
    CHECK(data != NULL, "cannot read %s", path);
    if (!data) return check_done();
    tok_encoding *e = tok_encoding_new();
    tok_options o = tok_options_default();
    int rows[2] = {0, 0}, ok[2] = {0, 0}, lineno = 0;
    for (char *line = data, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = 0;
        lineno++;
        cJSON *row = cJSON_Parse(line);
        CHECK(row != NULL, "line %d is not JSON", lineno);
        if (!row) continue;
        int k = strcmp(cJSON_GetObjectItem(row, "model")->valuestring, names[0]) != 0;
        long tl = 0, dl = 0;
        char *text = fx_string(line, "text", &tl), *want = fx_string(line, "decoded", &dl);
        const cJSON *ids = cJSON_GetObjectItem(row, "ids"), *pieces = cJSON_GetObjectItem(row, "pieces"),
                    *offs = cJSON_GetObjectItem(row, "byte_offsets");
        int rc = tok_encode(tks[k], text, tl, NULL, 0, &o, e, err, sizeof err);
        const char *why = rc != BB_OK ? err : NULL;
        int at = -1, m = cJSON_GetArraySize(ids);
        if (!why && e->n != m) why = "length";
        for (int i = 0; !why && i < m; i++) {
            const cJSON *off = cJSON_GetArrayItem(offs, i);
            if (e->ids[i] != (int)cJSON_GetArrayItem(ids, i)->valuedouble) why = "id", at = i;
            else if (strcmp(e->tokens[i], cJSON_GetArrayItem(pieces, i)->valuestring) != 0) why = "piece", at = i;
            else if (e->offsets[2 * i] != (int)cJSON_GetArrayItem(off, 0)->valuedouble ||
                     e->offsets[2 * i + 1] != (int)cJSON_GetArrayItem(off, 1)->valuedouble)
                why = "offsets", at = i;
        }
        size_t gl = 0;
        char *got = why ? NULL : tok_decode_len_dup(tks[k], e->ids, e->n, 0, &gl);
        if (!why && (!got || gl != (size_t)dl || memcmp(got, want, gl) != 0)) why = "decoded";
        rows[k]++;
        if (!why) {
            ok[k]++;
        } else if (rows[k] - ok[k] <= 10) {
            fprintf(stderr, "line %d (%s): %s differs at %d (n=%d want %d) text=%.60s\n", lineno, names[k], why, at,
                    e->n, m, text);
            if (at >= 0) {
                const cJSON *off = cJSON_GetArrayItem(offs, at);
                fprintf(stderr, "  want %d '%s' [%d,%d) got %d '%s' [%d,%d)\n",
                        (int)cJSON_GetArrayItem(ids, at)->valuedouble, cJSON_GetArrayItem(pieces, at)->valuestring,
                        (int)cJSON_GetArrayItem(off, 0)->valuedouble, (int)cJSON_GetArrayItem(off, 1)->valuedouble,
                        e->ids[at], e->tokens[at], e->offsets[2 * at], e->offsets[2 * at + 1]);
            }
            if (got) fprintf(stderr, "  decoded '%.60s' want '%.60s'\n", got, want);
        }
        free(got), free(text), free(want);
        cJSON_Delete(row);
    }
    for (int k = 0; k < 2; k++) printf("%s: %d/%d rows identical\n", names[k], ok[k], rows[k]);
    CHECK(rows[0] == 1226 && rows[1] == 1226, "rows %d %d", rows[0], rows[1]);
    CHECK(ok[0] == rows[0] && ok[1] == rows[1], "%d + %d rows differ", rows[0] - ok[0], rows[1] - ok[1]);
    tok_encoding_free(e);
    free(data);
    for (int k = 0; k < 2; k++) tok_free(tks[k]);
    return check_done();
}
