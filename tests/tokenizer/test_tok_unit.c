/* Unit tests for the hard cases by name (bert-base-uncased vocab): accents, Hangul, CJK, emoji,
 * zero-width and control characters, 100/101-character words, literal special tokens, empty and
 * all-space input; stage inspection, decoding, truncation errors, padding and batches. */
#include "check.h"
#include "tok.h"

static tok_tokenizer *lower, *cased;
static tok_encoding *e;

/* Encodes without specials and compares the space-joined tokens. */
static void expect(const tok_tokenizer *tk, const char *name, const char *text, long len, const char *want) {
    char err[256], got[2048] = "";
    tok_options o = tok_options_default();
    o.add_special_tokens = 0;
    int rc = tok_encode(tk, text, len, NULL, 0, &o, e, err, sizeof err);
    for (int i = 0; rc == BB_OK && i < e->n; i++) {
        if (i) strcat(got, " ");
        strncat(got, e->tokens[i], sizeof got - strlen(got) - 1);
    }
    CHECK(rc == BB_OK && strcmp(got, want) == 0, "%s: got '%s' want '%s'", name, got, want);
}

int main(void) {
    const char *fx = check_fixtures();
    char path[4096], err[256];
    snprintf(path, sizeof path, "%s/vocab/bert-base-uncased-vocab.txt", fx);
    CHECK_OK(tok_load_vocab(&lower, path, 1, err, sizeof err), err);
    CHECK_OK(tok_load_vocab(&cased, path, 0, err, sizeof err), err);
    if (!lower || !cased) return check_done();
    e = tok_encoding_new();

    expect(lower, "accents", "Café naïve RÉSUMÉ", -1, "cafe naive resume");
    expect(cased, "accents kept when cased", "café", -1, "[UNK]");
    expect(lower, "combining mark", "e\xcc\x81t\xc3\xa9", -1, "et ##e");
    expect(lower, "Hangul decomposes to jamo", "한", -1, "ᄒ ##ᅡ ##ᆫ");
    expect(lower, "CJK ideographs split, unknown one [UNK]", "我爱北京", -1, "我 [UNK] 北 京");
    expect(lower, "emoji", "emoji 😀", -1, "em ##oj ##i [UNK]");
    expect(lower, "zero-width space removed, no split", "zero\xe2\x80\x8bwidth", -1, "zero ##wi ##dt ##h");
    expect(lower, "control characters removed", "a\x07" "b", -1, "ab");
    expect(lower, "NUL inside the text", "con\0trol", 8, "control");
    expect(lower, "tab and newline are spaces", "a\tb\nc", -1, "a b c");
    char w100[102], w101[103];
    memset(w100, 'a', 100), w100[100] = 0;
    memset(w101, 'a', 101), w101[101] = 0;
    tok_options o = tok_options_default();
    o.add_special_tokens = 0;
    CHECK_OK(tok_encode(lower, w100, -1, NULL, 0, &o, e, err, sizeof err), err);
    CHECK(e->n > 1 && e->ids[0] != 100, "a 100-character word is split into pieces (%d tokens)", e->n);
    expect(lower, "101-character word is [UNK]", w101, -1, "[UNK]");
    CHECK_OK(tok_encode(lower, w101, -1, NULL, 0, &o, e, err, sizeof err), err);
    CHECK(e->n == 1 && e->offsets[0] == 0 && e->offsets[1] == 101, "[UNK] covers the whole 101-char word");
    expect(lower, "literal special tokens", "The [MASK] sat [SEP]", -1, "the [MASK] sat [SEP]");
    expect(lower, "lowercase literal is not special", "[mask]", -1, "[ mask ]");
    expect(lower, "empty input", "", -1, "");
    expect(lower, "all-space input", "  \t\n ", -1, "");

    /* Specials, offsets, word ids, special flags. */
    CHECK_OK(tok_encode(lower, "Hello, [MASK]!", -1, NULL, 0, NULL, e, err, sizeof err), err);
    CHECK(e->n == 6 && e->ids[0] == 101 && e->ids[5] == 102 && e->special[0] == TOK_ADDED, "cls/sep added");
    CHECK(e->ids[3] == 103 && e->special[3] == TOK_LITERAL && e->offsets[6] == 7 && e->offsets[7] == 13,
          "literal [MASK] at [7,13)");
    CHECK(e->words[0] == -1 && e->words[1] == 0 && e->words[2] == 1 && e->words[3] == 2, "word ids");
    CHECK_OK(tok_encode(lower, "", -1, NULL, 0, NULL, e, err, sizeof err), err);
    CHECK(e->n == 2, "empty input gives [CLS] [SEP]");

    /* Code point vs byte offsets. */
    CHECK_OK(tok_encode(lower, "é x", -1, NULL, 0, NULL, e, err, sizeof err), err);
    CHECK(e->offsets[4] == 2 && e->offsets[5] == 3 && e->byte_offsets[4] == 3 && e->byte_offsets[5] == 4,
          "offsets of 'x': chars [2,3) bytes [3,4)");

    /* Stages: how "Café" became "cafe". */
    tok_stages st;
    CHECK_OK(tok_inspect(lower, "Café au", -1, &st, err, sizeof err), err);
    CHECK(strcmp(st.normalized, "cafe au") == 0, "normalized '%s'", st.normalized);
    CHECK(st.n_chars == 7 && st.char_orig[6] == 3 && st.char_orig[7] == 4, "normalized 'e' comes from 'é' at [3,4)");
    CHECK(st.n_words == 2 && strcmp(st.words[0].text, "cafe") == 0 && st.words[1].start == 5, "pre-tokenized words");
    CHECK(st.n_pieces == 2 && st.pieces[0].id == 7668, "model pieces");
    tok_stages_free(&st);

    /* Decoding: ## merged, spaces before punctuation cleaned, specials skipped; HF cleans each token
     * on its own, so " ' " between tokens stays. */
    CHECK_OK(tok_encode(lower, "Tokenization works, doesn't it?", -1, NULL, 0, NULL, e, err, sizeof err), err);
    char *d = tok_decode_dup(lower, e->ids, e->n, 1);
    CHECK(d && strcmp(d, "tokenization works, doesn ' t it?") == 0, "decoded '%s'", d ? d : "");
    free(d);
    d = tok_decode_dup(lower, e->ids, 2, 0);
    CHECK(d && strcmp(d, "[CLS] token") == 0, "decoded with specials '%s'", d ? d : "");
    free(d);

    /* Truncation: overflow counts, only_second without a pair, too-short target. */
    o = tok_options_default();
    o.truncation = TOK_TRUNC_LONGEST_FIRST, o.max_length = 6;
    CHECK_OK(tok_encode(lower, "one two three four five six", -1, NULL, 0, &o, e, err, sizeof err), err);
    CHECK(e->n == 6 && e->overflow_a == 2 && e->ids[4] == 2176, "right truncation keeps one..four, cuts 2");
    o.truncation_side = TOK_SIDE_LEFT;
    CHECK_OK(tok_encode(lower, "one two three four five six", -1, NULL, 0, &o, e, err, sizeof err), err);
    CHECK(e->n == 6 && e->ids[1] == 2093, "left truncation keeps three..six");
    o.truncation = TOK_TRUNC_ONLY_SECOND;
    CHECK(tok_encode(lower, "one two three four five six", -1, NULL, 0, &o, e, err, sizeof err) == BB_EINVAL,
          "only_second without a pair");
    CHECK(strstr(err, "pair") != NULL, "message names the pair: %s", err);
    o.truncation = TOK_TRUNC_ONLY_FIRST, o.max_length = 5;
    CHECK(tok_encode(lower, "a", -1, "one two three four", -1, &o, e, err, sizeof err) == BB_EINVAL,
          "only_first with a too-short first sequence");
    o.truncation = TOK_TRUNC_ONLY_SECOND, o.max_length = 7;
    CHECK_OK(tok_encode(lower, "a", -1, "one two three four", -1, &o, e, err, sizeof err), err);
    CHECK(e->n == 7 && e->overflow_b == 1 && e->overflow_a == 0 && e->type_ids[6] == 1, "only_second cuts B");

    /* Padding and batches. */
    o = tok_options_default();
    o.pad_to = 8;
    CHECK_OK(tok_encode(lower, "hi", -1, NULL, 0, &o, e, err, sizeof err), err);
    CHECK(e->n == 8 && e->ids[7] == 0 && e->attention_mask[7] == 0 && e->attention_mask[2] == 1 &&
              e->special[7] == TOK_PADDING,
          "padded to 8");
    const char *texts[3] = {"a", "a b c d", "a b"};
    tok_encoding *encs[3] = {tok_encoding_new(), tok_encoding_new(), tok_encoding_new()};
    CHECK_OK(tok_encode_batch(lower, texts, NULL, 3, NULL, encs, err, sizeof err), err);
    CHECK(encs[0]->n == 6 && encs[1]->n == 6 && encs[2]->n == 6 && encs[0]->attention_mask[3] == 0, "batch padded to longest");
    for (int i = 0; i < 3; i++) tok_encoding_free(encs[i]);

    /* Loader errors name the problem. */
    tok_tokenizer *bad = NULL;
    const char *uj = "{\"model\":{\"type\":\"Unigram\",\"vocab\":[]}}";
    CHECK(tok_load_json_mem(&bad, uj, strlen(uj), "t.json", err, sizeof err) == BB_EFORMAT && strstr(err, "Unigram"),
          "unsupported model named: %s", err);
    const char *nj = "{\"normalizer\":{\"type\":\"Precompiled\"},\"model\":{\"type\":\"WordPiece\",\"vocab\":{\"a\":0}}}";
    CHECK(tok_load_json_mem(&bad, nj, strlen(nj), "t.json", err, sizeof err) == BB_EFORMAT && strstr(err, "Precompiled"),
          "unsupported normalizer named: %s", err);
    CHECK(tok_load_vocab(&bad, "/nonexistent/vocab.txt", 1, err, sizeof err) == BB_EIO && strstr(err, "/nonexistent"),
          "missing file named: %s", err);
    CHECK(bad == NULL, "no tokenizer on failure");

    tok_encoding_free(e);
    tok_free(lower);
    tok_free(cased);
    return check_done();
}
