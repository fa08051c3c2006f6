/* Conformance: every row of tokenizer/tokenizer_json.jsonl — encodings by two tokenizer.json files HF
 * trained on Brown (byte-level BPE with RoBERTa post-processing, cased WordPiece) — must give identical
 * ids, tokens, offsets and type ids, and identical decoded text for singles. */
#include "check.h"
#include "tok_fixture.h"

int main(void) {
    const char *fx = check_fixtures();
    char path[4096], err[256];
    const char *names[2] = {"bpe_brown_tokenizer.json", "wordpiece_brown_cased_tokenizer.json"};
    tok_tokenizer *tks[2] = {NULL, NULL};
    for (int k = 0; k < 2; k++) {
        snprintf(path, sizeof path, "%s/tokenizer/%s", fx, names[k]);
        CHECK_OK(tok_load_json(&tks[k], path, err, sizeof err), err);
    }
    if (!tks[0] || !tks[1]) return check_done();
    CHECK(tok_kind(tks[0]) == TOK_MODEL_BPE && tok_kind(tks[1]) == TOK_MODEL_WORDPIECE, "model kinds");
    CHECK(tok_specials(tks[0]).cls == 0 && tok_specials(tks[0]).sep == 2 && tok_specials(tks[0]).mask == 4, "bpe specials");
    snprintf(path, sizeof path, "%s/tokenizer/tokenizer_json.jsonl", fx);
    size_t n;
    char *data = fx_read(path, &n);
    CHECK(data != NULL, "cannot read %s", path);
    if (!data) return check_done();
    tok_encoding *e = tok_encoding_new();
    int rows = 0, ok = 0, dec_rows = 0, dec_ok = 0, lineno = 0;
    for (char *line = data, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = 0;
        lineno++;
        cJSON *row = cJSON_Parse(line);
        if (!row) continue;
        const tok_tokenizer *tk = tks[strcmp(cJSON_GetObjectItem(row, "tokenizer")->valuestring, names[0]) != 0];
        long tl = 0, pl = 0;
        char *text = fx_string(line, "text", &tl), *pair = fx_string(line, "text_pair", &pl);
        int rc = tok_encode(tk, text, tl, pair, pl, NULL, e, err, sizeof err);
        rows++;
        int good = rc == BB_OK && fx_match(e, row, lineno);
        long dl = 0;
        char *want = fx_string(line, "decoded", &dl);
        if (want) {
            dec_rows++;
            size_t gl = 0;
            char *got = tok_decode_len_dup(tk, e->ids, e->n, 1, &gl);
            if (got && gl == (size_t)dl && memcmp(got, want, (size_t)dl) == 0) {
                dec_ok++;
            } else {
                good = 0;
                fprintf(stderr, "line %d: decoded '%.80s' want '%.80s'\n", lineno, got ? got : "(null)", want);
            }
            free(got);
        }
        ok += good;
        free(text), free(pair), free(want);
        cJSON_Delete(row);
    }
    printf("tokenizer_json.jsonl: %d/%d rows identical (decoded %d/%d)\n", ok, rows, dec_ok, dec_rows);
    CHECK(rows == 1800, "rows %d", rows);
    CHECK(ok == rows, "%d of %d rows differ", rows - ok, rows);
    tok_encoding_free(e);
    free(data);
    tok_free(tks[0]);
    tok_free(tks[1]);
    return check_done();
}
