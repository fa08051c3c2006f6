/* Conformance: every row of tokenizer/wordpiece_uncased.jsonl (HF BertWordPieceTokenizer on the
 * bert-base-uncased vocab: singles cased and uncased, pairs and singles with truncation both sides)
 * must give identical ids, tokens, offsets and type ids. */
#include "check.h"
#include "tok_fixture.h"

int main(void) {
    const char *fx = check_fixtures();
    char path[4096], err[256];
    snprintf(path, sizeof path, "%s/vocab/bert-base-uncased-vocab.txt", fx);
    tok_tokenizer *lower = NULL, *cased = NULL;
    CHECK_OK(tok_load_vocab(&lower, path, 1, err, sizeof err), err);
    CHECK_OK(tok_load_vocab(&cased, path, 0, err, sizeof err), err);
    if (!lower || !cased) return check_done();
    CHECK(tok_vocab_size(lower) == 30522, "vocab size %d", tok_vocab_size(lower));
    tok_special_ids sp = tok_specials(lower);
    CHECK(sp.pad == 0 && sp.unk == 100 && sp.cls == 101 && sp.sep == 102 && sp.mask == 103, "special ids");
    snprintf(path, sizeof path, "%s/tokenizer/wordpiece_uncased.jsonl", fx);
    size_t n;
    char *data = fx_read(path, &n);
    CHECK(data != NULL, "cannot read %s", path);
    if (!data) return check_done();
    tok_encoding *e = tok_encoding_new();
    int rows = 0, ok = 0, lineno = 0, kinds[3] = {0};
    for (char *line = data, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = 0;
        lineno++;
        cJSON *row = cJSON_Parse(line);
        if (!row) continue;
        const char *kind = cJSON_GetObjectItem(row, "kind")->valuestring;
        const cJSON *lc = cJSON_GetObjectItem(row, "lowercase"), *tr = cJSON_GetObjectItem(row, "truncation");
        long tl = 0, pl = 0;
        char *text = fx_string(line, "text", &tl), *pair = fx_string(line, "text_pair", &pl);
        tok_options o = tok_options_default();
        if (tr) {
            o.max_length = (int)cJSON_GetObjectItem(tr, "max_length")->valuedouble;
            o.truncation = TOK_TRUNC_LONGEST_FIRST;
            o.truncation_side = strcmp(cJSON_GetObjectItem(tr, "direction")->valuestring, "left") == 0 ? TOK_SIDE_LEFT
                                                                                                    : TOK_SIDE_RIGHT;
        }
        const tok_tokenizer *tk = (lc && !cJSON_IsTrue(lc)) ? cased : lower;
        int rc = tok_encode(tk, text, tl, pair, pl, &o, e, err, sizeof err);
        rows++;
        kinds[strcmp(kind, "single") == 0 ? 0 : strcmp(kind, "pair") == 0 ? 1 : 2]++;
        if (rc == BB_OK && fx_match(e, row, lineno)) ok++;
        cJSON_Delete(row);
        free(text), free(pair);
    }
    printf("wordpiece_uncased.jsonl: %d/%d rows identical (single %d, pair %d, single_trunc %d)\n", ok, rows, kinds[0],
           kinds[1], kinds[2]);
    CHECK(rows == 4900, "rows %d", rows);
    CHECK(ok == rows, "%d of %d rows differ", rows - ok, rows);
    tok_encoding_free(e);
    free(data);
    tok_free(lower);
    tok_free(cased);
    return check_done();
}
