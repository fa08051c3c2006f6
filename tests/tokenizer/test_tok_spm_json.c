/* tokenizer.json components of the SentencePiece family, one by one, as HF `tokenizers` defines them
 * (no HF reference files yet, so each expectation here is worked out from the HF documentation and
 * source): the Unigram model (scores, unk_id, byte_fallback), normalizers Precompiled, Replace (String
 * and Regex), NFC/NFD/NFKC/NFKD, Strip, Prepend, Lowercase, Sequence; Metaspace (replacement,
 * prepend_scheme always/first/never, split); decoders Metaspace, ByteFallback, Fuse, Strip, Replace;
 * XLM-R and T5 templates; and a .model written as tokenizer.json and read back. */
#include "check.h"
#include "tok_fixture.h"
#include <unistd.h>

static const char *vocab_json =
    "[[\"<unk>\",0],[\"<s>\",0],[\"</s>\",0],[\"\\u2581\",-2],[\"\\u2581hello\",-1],[\"\\u2581world\",-1.5],"
    "[\"h\",-5],[\"e\",-5],[\"l\",-5],[\"o\",-5],[\"w\",-5],[\"r\",-5],[\"d\",-5],[\"fi\",-3],[\"\\u2581fi\",-2.5],"
    "[\"x\",-5],[\"<0xC3>\",-9],[\"<0xA9>\",-9],[\"<mask>\",0],[\"\\u2581hell\",-0.5],[\"o\\u2581\",-0.1]]";

static tok_tokenizer *make(const char *normalizer, const char *pre, const char *decoder, const char *post,
                           int byte_fallback) {
    char json[8192], err[512];
    snprintf(json, sizeof json,
             "{\"version\":\"1.0\",\"added_tokens\":[{\"id\":1,\"content\":\"<s>\",\"special\":true},"
             "{\"id\":2,\"content\":\"</s>\",\"special\":true},{\"id\":18,\"content\":\"<mask>\",\"special\":true,"
             "\"lstrip\":true}],\"normalizer\":%s,\"pre_tokenizer\":%s,\"post_processor\":%s,\"decoder\":%s,"
             "\"model\":{\"type\":\"Unigram\",\"unk_id\":0,\"byte_fallback\":%s,\"vocab\":%s}}",
             normalizer, pre, post, decoder, byte_fallback ? "true" : "false", vocab_json);
    tok_tokenizer *tk = NULL;
    CHECK_OK(tok_load_json_mem(&tk, json, strlen(json), "unit.json", err, sizeof err), err);
    return tk;
}

/* tokens joined by '|' with offsets: "▁hello[0,5)|..." */
static const char *enc(const tok_tokenizer *tk, const char *text, const char *pair, int specials, tok_encoding *e) {
    static char out[4096];
    char err[256];
    tok_options o = tok_options_default();
    o.add_special_tokens = specials;
    out[0] = 0;
    if (!tk) return "(no tokenizer)";
    if (tok_encode(tk, text, -1, pair, -1, &o, e, err, sizeof err) != BB_OK) return "(error)";
    for (int i = 0; i < e->n; i++) {
        char one[128];
        snprintf(one, sizeof one, "%s%s[%d,%d)", i ? "|" : "", e->tokens[i], e->offsets[2 * i], e->offsets[2 * i + 1]);
        strncat(out, one, sizeof out - strlen(out) - 1);
    }
    return out;
}

static const char *dec(const tok_tokenizer *tk, const tok_encoding *e, int skip) {
    static char out[1024];
    char *s = tk ? tok_decode_dup(tk, e->ids, e->n, skip) : NULL;
    snprintf(out, sizeof out, "%s", s ? s : "(null)");
    free(s);
    return out;
}

#define META(scheme, split) "{\"type\":\"Metaspace\",\"replacement\":\"\\u2581\",\"prepend_scheme\":\"" scheme "\",\"split\":" split "}"
#define EXPECT(got, want) CHECK(strcmp((got), (want)) == 0, "got  %s\n      want %s", (got), (want))

int main(void) {
    tok_encoding *e = tok_encoding_new();
    char err[512];

    /* Metaspace always + split, Metaspace decoder: spaces become ▁ aligned with the space, the prefix with
     * the first character; words split before each ▁. */
    tok_tokenizer *tk = make("null", META("always", "true"), META("always", "true"), "null", 0);
    EXPECT(enc(tk, "hello world", NULL, 1, e), "\xE2\x96\x81hello[0,5)|\xE2\x96\x81world[5,11)");
    CHECK(e->n == 2 && e->words[0] == 0 && e->words[1] == 1, "one word each");
    EXPECT(dec(tk, e, 0), "hello world");
    /* Unknown characters are one piece with their own text (fused), id unk_id. */
    EXPECT(enc(tk, "hello qq", NULL, 1, e), "\xE2\x96\x81hello[0,5)|\xE2\x96\x81[5,6)|qq[6,8)");
    CHECK(e->n == 3 && e->ids[2] == 0, "qq is unknown");
    EXPECT(dec(tk, e, 0), "hello <unk>");
    /* An added token splits the text; with "always" both stretches get the prefix, with "first" only the
     * first, with "never" neither. <mask> has lstrip. */
    EXPECT(enc(tk, "hello <mask>world", NULL, 1, e), "\xE2\x96\x81hello[0,5)|<mask>[5,12)|\xE2\x96\x81world[12,17)");
    tok_free(tk);
    tk = make("null", META("first", "true"), META("first", "true"), "null", 0);
    EXPECT(enc(tk, "hello <mask>world", NULL, 1, e), "\xE2\x96\x81hello[0,5)|<mask>[5,12)|w[12,13)|o[13,14)|r[14,15)|l[15,16)|d[16,17)");
    tok_free(tk);
    tk = make("null", META("never", "true"), META("never", "true"), "null", 0);
    EXPECT(enc(tk, "hello world", NULL, 1, e), "h[0,1)|e[1,2)|l[2,3)|l[3,4)|o[4,5)|\xE2\x96\x81world[5,11)");
    EXPECT(dec(tk, e, 0), "hello world");
    tok_free(tk);
    /* split false: a piece may cross the space ("o▁"); split true keeps words apart. */
    tk = make("null", META("always", "true"), META("always", "true"), "null", 0);
    EXPECT(enc(tk, "hello x", NULL, 1, e), "\xE2\x96\x81hello[0,5)|\xE2\x96\x81[5,6)|x[6,7)");
    tok_free(tk);
    tk = make("null", META("always", "false"), META("always", "false"), "null", 0);
    EXPECT(enc(tk, "hello x", NULL, 1, e), "\xE2\x96\x81hell[0,4)|o\xE2\x96\x81[4,6)|x[6,7)");
    tok_free(tk);

    /* Normalizers. Replace (String) and Regex runs, aligned with the match's last character. */
    tk = make("{\"type\":\"Sequence\",\"normalizers\":[{\"type\":\"Replace\",\"pattern\":{\"Regex\":\" {2,}\"},\"content\":\" \"},"
              "{\"type\":\"Replace\",\"pattern\":{\"String\":\"X\"},\"content\":\"x\"}]}",
              META("always", "true"), META("always", "true"), "null", 0);
    EXPECT(enc(tk, "hello   world X", NULL, 1, e), "\xE2\x96\x81hello[0,5)|\xE2\x96\x81world[7,13)|\xE2\x96\x81[13,14)|x[14,15)");
    tok_free(tk);
    /* Strip, Prepend, Lowercase, NFKC (ﬁ -> fi), NFD then StripAccents. */
    tk = make("{\"type\":\"Sequence\",\"normalizers\":[{\"type\":\"Strip\",\"strip_left\":true,\"strip_right\":true},"
              "{\"type\":\"Lowercase\"},{\"type\":\"NFKC\"},{\"type\":\"Prepend\",\"prepend\":\"\\u2581\"}]}",
              "null", META("always", "true"), "null", 0);
    EXPECT(enc(tk, "  HELLO \xEF\xAC\x81  ", NULL, 1, e), "\xE2\x96\x81hello[2,7)| [7,8)|fi[8,9)");
    tok_free(tk);
    tk = make("{\"type\":\"Sequence\",\"normalizers\":[{\"type\":\"NFKC\"}]}", META("always", "true"), META("always", "true"), "null", 0);
    EXPECT(enc(tk, "\xEF\xAC\x81", NULL, 1, e), "\xE2\x96\x81" "fi[0,1)");
    tok_free(tk);
    tk = make("{\"type\":\"Sequence\",\"normalizers\":[{\"type\":\"NFD\"},{\"type\":\"StripAccents\"}]}", META("always", "true"),
              META("always", "true"), "null", 0);
    EXPECT(enc(tk, "h\xC3\xA9llo", NULL, 1, e), "\xE2\x96\x81hello[0,5)");
    tok_free(tk);
    tk = make("{\"type\":\"NFC\"}", META("always", "true"), META("always", "true"), "null", 1);
    EXPECT(enc(tk, "he\xCC\x81", NULL, 1, e), "\xE2\x96\x81[0,1)|h[0,1)|<0xC3>[1,2)|<0xA9>[1,2)");
    tok_free(tk);

    /* Byte fallback with the Llama decoder chain: Replace ▁ -> space, ByteFallback, Fuse, Strip one leading
     * space. Each byte piece spans its whole character. */
    tk = make("null", META("always", "true"),
              "{\"type\":\"Sequence\",\"decoders\":[{\"type\":\"Replace\",\"pattern\":{\"String\":\"\\u2581\"},\"content\":\" \"},"
              "{\"type\":\"ByteFallback\"},{\"type\":\"Fuse\"},{\"type\":\"Strip\",\"content\":\" \",\"start\":1,\"stop\":0}]}",
              "null", 1);
    EXPECT(enc(tk, "hello \xC3\xA9", NULL, 1, e), "\xE2\x96\x81hello[0,5)|\xE2\x96\x81[5,6)|<0xC3>[6,7)|<0xA9>[6,7)");
    EXPECT(dec(tk, e, 0), "hello \xC3\xA9");
    int32_t broken[3] = {4, 16, 5};
    char *d = tok_decode_dup(tk, broken, 3, 0);
    CHECK(d && strcmp(d, "hello\xEF\xBF\xBD world") == 0, "an incomplete byte run decodes to U+FFFD: '%s'", d ? d : "");
    free(d);
    tok_free(tk);

    /* Templates: XLM-R <s> A </s></s> B </s>, T5 A </s>; --no-special-tokens leaves them out. */
    tk = make("null", META("always", "true"), META("always", "true"),
              "{\"type\":\"TemplateProcessing\",\"single\":[{\"SpecialToken\":{\"id\":\"<s>\",\"type_id\":0}},"
              "{\"Sequence\":{\"id\":\"A\",\"type_id\":0}},{\"SpecialToken\":{\"id\":\"</s>\",\"type_id\":0}}],"
              "\"pair\":[{\"SpecialToken\":{\"id\":\"<s>\",\"type_id\":0}},{\"Sequence\":{\"id\":\"A\",\"type_id\":0}},"
              "{\"SpecialToken\":{\"id\":\"</s>\",\"type_id\":0}},{\"SpecialToken\":{\"id\":\"</s>\",\"type_id\":0}},"
              "{\"Sequence\":{\"id\":\"B\",\"type_id\":0}},{\"SpecialToken\":{\"id\":\"</s>\",\"type_id\":0}}],"
              "\"special_tokens\":{\"<s>\":{\"id\":\"<s>\",\"ids\":[1],\"tokens\":[\"<s>\"]},"
              "\"</s>\":{\"id\":\"</s>\",\"ids\":[2],\"tokens\":[\"</s>\"]}}}", 0);
    EXPECT(enc(tk, "hello", "world", 1, e), "<s>[0,0)|\xE2\x96\x81hello[0,5)|</s>[0,0)|</s>[0,0)|\xE2\x96\x81world[0,5)|</s>[0,0)");
    EXPECT(dec(tk, e, 1), "hello world");
    EXPECT(enc(tk, "hello", NULL, 0, e), "\xE2\x96\x81hello[0,5)");
    tok_free(tk);
    tk = make("null", META("always", "true"), META("always", "true"),
              "{\"type\":\"TemplateProcessing\",\"single\":[{\"Sequence\":{\"id\":\"A\",\"type_id\":0}},"
              "{\"SpecialToken\":{\"id\":\"</s>\",\"type_id\":0}}],\"pair\":[{\"Sequence\":{\"id\":\"A\",\"type_id\":0}},"
              "{\"SpecialToken\":{\"id\":\"</s>\",\"type_id\":0}},{\"Sequence\":{\"id\":\"B\",\"type_id\":0}},"
              "{\"SpecialToken\":{\"id\":\"</s>\",\"type_id\":0}}],"
              "\"special_tokens\":{\"</s>\":{\"id\":\"</s>\",\"ids\":[2],\"tokens\":[\"</s>\"]}}}", 0);
    EXPECT(enc(tk, "hello world", NULL, 1, e), "\xE2\x96\x81hello[0,5)|\xE2\x96\x81world[5,11)|</s>[0,0)");
    tok_free(tk);

    /* Errors name the file and the component. */
    const char *bad[][2] = {
        {"{\"model\":{\"type\":\"Unigram\",\"unk_id\":0,\"vocab\":[[\"a\"]]}}", "model.vocab[0]"},
        {"{\"model\":{\"type\":\"Unigram\",\"vocab\":[[\"a\",0]]}}", "unk_id"},
        {"{\"normalizer\":{\"type\":\"Replace\",\"pattern\":{\"Regex\":\"[a-z]+\"},\"content\":\"\"},"
         "\"model\":{\"type\":\"Unigram\",\"unk_id\":0,\"vocab\":[[\"a\",0]]}}", "Replace regex"},
        {"{\"normalizer\":{\"type\":\"BertNormalizer\"},\"model\":{\"type\":\"Unigram\",\"unk_id\":0,\"vocab\":[[\"a\",0]]}}",
         "normalizer type 'BertNormalizer'"},
        {"{\"normalizer\":{\"type\":\"Precompiled\",\"precompiled_charsmap\":\"AAAA\"},"
         "\"model\":{\"type\":\"Unigram\",\"unk_id\":0,\"vocab\":[[\"a\",0]]}}", "precompiled_charsmap"},
        {"{\"pre_tokenizer\":{\"type\":\"Metaspace\",\"prepend_scheme\":\"sometimes\"},"
         "\"model\":{\"type\":\"Unigram\",\"unk_id\":0,\"vocab\":[[\"a\",0]]}}", "prepend_scheme"},
        {"{\"decoder\":{\"type\":\"CTC\"},\"model\":{\"type\":\"Unigram\",\"unk_id\":0,\"vocab\":[[\"a\",0]]}}", "decoder type 'CTC'"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        tok_tokenizer *x = NULL;
        int rc = tok_load_json_mem(&x, bad[k][0], strlen(bad[k][0]), "bad.json", err, sizeof err);
        CHECK(rc != BB_OK && strstr(err, "bad.json") && strstr(err, bad[k][1]), "bad %zu: %s", k, err);
        tok_free(x);
    }

    /* A .model written as tokenizer.json (Precompiled charsmap in base64, Replace " {2,}", Metaspace) and read
     * back encodes ordinary text to the same ids; it then follows HF's whitespace rules (a trailing space
     * gives a ▁ piece, which SentencePiece drops). */
    char path[2048];
    snprintf(path, sizeof path, "%s/fuzz/corpus/spm/unigram_charsmap.model", BB_SOURCE_DIR);
    tok_tokenizer *sp = NULL, *back = NULL;
    CHECK_OK(tok_load_spm(&sp, path, err, sizeof err), err);
    snprintf(path, sizeof path, "/tmp/bb_spm_json_%d.json", (int)getpid());
    if (sp) CHECK_OK(tok_save_json(sp, path, err, sizeof err), err);
    CHECK_OK(tok_load_json(&back, path, err, sizeof err), err);
    remove(path);
    if (sp && back) {
        CHECK(tok_kind(back) == TOK_MODEL_UNIGRAM && tok_vocab_size(back) == tok_vocab_size(sp), "round trip kind/size");
        const char *texts[] = {"the cat sat on the mat", ("\xEF\xBC\xA1the caf" "e\xCC\x81 \xEF\xAC\x81"), "the\tcat  sat"};
        for (int k = 0; k < 3; k++) {
            char a[1024];
            snprintf(a, sizeof a, "%s", enc(sp, texts[k], NULL, 0, e));
            int n = e->n;
            int32_t ids[64];
            memcpy(ids, e->ids, sizeof(int32_t) * (size_t)(n < 64 ? n : 64));
            enc(back, texts[k], NULL, 0, e);
            int same = e->n == n;
            for (int i = 0; same && i < n && i < 64; i++) same = ids[i] == e->ids[i];
            CHECK(same, "round trip '%s': %s vs %s", texts[k], a, enc(back, texts[k], NULL, 0, e));
        }
        EXPECT(enc(back, "the ", NULL, 0, e), "\xE2\x96\x81the[0,3)|\xE2\x96\x81[3,4)");
    }
    tok_free(sp), tok_free(back);
    tok_encoding_free(e);
    return check_done();
}
