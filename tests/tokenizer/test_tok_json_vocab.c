/* tokenizer.json's model.vocab read straight from the text (tok_json_vocab.c) gives what cJSON gives:
 * every document is loaded as written and again with an escaped first key ("\u0078"), which sends the
 * whole text through cJSON, and the two loads must agree on the result code, the message and every
 * token (for the fixtures' files: on the tokenizer.json each one writes back). The scanner itself
 * finds the span only where it should. */
#include <stdio.h>
#include <unistd.h>

#include "check.h"
#include "tok.h"
#include "tok_fixture.h"
#include "tok_json_vocab.h"

/* json with `"\u0078":0,` after its first '{' (the reader then leaves the whole text to cJSON). */
static char *forced_cjson(const char *json, size_t len, size_t *out_len) {
    const char *brace = memchr(json, '{', len);
    const char *ins = "\"\\u0078\":0,";
    size_t head = brace ? (size_t)(brace - json) + 1 : 0, n = strlen(ins);
    char *s = malloc(len + n + 1);
    memcpy(s, json, head);
    memcpy(s + head, ins, n);
    memcpy(s + head + n, json + head, len - head);
    s[len + n] = 0;
    *out_len = len + n;
    return s;
}

/* The tokenizer written back as tokenizer.json (NULL when tk is). */
static char *saved(const tok_tokenizer *tk, const char *path) {
    char err[256];
    size_t n;
    if (!tk || tok_save_json(tk, path, err, sizeof err) != BB_OK) return NULL;
    char *s = fx_read(path, &n);
    unlink(path);
    return s;
}

/* Loads json both ways; they agree on the code, the message and every id's token. */
static void same_both_ways(const char *what, const char *json, size_t len, int want_span) {
    tok_vocab_span sp;
    CHECK(tok_json_vocab_span(json, len, &sp) == want_span, "%s: span found %d, want %d", what, !want_span, want_span);
    size_t slen;
    char *slow = forced_cjson(json, len, &slen);
    CHECK(!tok_json_vocab_span(slow, slen, &sp), "%s: the escaped first key leaves the text to cJSON", what);
    tok_tokenizer *a = NULL, *b = NULL;
    char ea[512] = "", eb[512] = "";
    int ra = tok_load_json_mem(&a, json, len, "t.json", ea, sizeof ea);
    int rb = tok_load_json_mem(&b, slow, slen, "t.json", eb, sizeof eb);
    CHECK(ra == rb && strcmp(ea, eb) == 0, "%s: %d '%s' vs cJSON's %d '%s'", what, ra, ea, rb, eb);
    if (a && b) {
        int n = tok_vocab_size(a);
        CHECK(n == tok_vocab_size(b), "%s: %d tokens vs %d", what, n, tok_vocab_size(b));
        for (int id = 0; id < n && id < tok_vocab_size(b); id++) {
            const char *x = tok_id_to_token(a, id), *y = tok_id_to_token(b, id);
            CHECK((!x && !y) || (x && y && strcmp(x, y) == 0), "%s: id %d is '%s' vs '%s'", what, id, x ? x : "(none)",
                  y ? y : "(none)");
        }
        char pa[64], pb[64];
        snprintf(pa, sizeof pa, "tok_json_vocab_a_%d.json", (int)getpid());
        snprintf(pb, sizeof pb, "tok_json_vocab_b_%d.json", (int)getpid());
        char *sa = saved(a, pa), *sb = saved(b, pb);
        CHECK(sa && sb && strcmp(sa, sb) == 0, "%s: written back alike", what);
        free(sa), free(sb);
    }
    tok_free(a), tok_free(b);
    free(slow);
}

/* A WordPiece tokenizer.json around the vocab text v (plus [UNK] at 0 unless v has it). */
static void wordpiece(const char *what, const char *vocab, int want_span) {
    char json[4096];
    snprintf(json, sizeof json,
             "{\"version\":\"1.0\",\"added_tokens\":[],\"normalizer\":null,\"pre_tokenizer\":{\"type\":\"BertPreTokenizer\"},"
             "\"model\":{\"type\":\"WordPiece\",\"unk_token\":\"[UNK]\",\"vocab\":%s,\"max_input_chars_per_word\":100}}",
             vocab);
    same_both_ways(what, json, strlen(json), want_span);
}

int main(void) {
    /* read here */
    wordpiece("plain", "{\"[UNK]\":0,\"a\":1,\"##b\":2}", 1);
    wordpiece("empty", "{}", 1);
    wordpiece("spaces", " { \"[UNK]\" : 0 ,\n\t\"a\"\r: 1 } ", 1);
    wordpiece("escapes", "{\"[UNK]\":0,\"\\\"\":1,\"\\\\\":2,\"\\/\":3,\"\\b\\f\\n\\r\\t\":4}", 1);
    wordpiece("unicode", "{\"[UNK]\":0,\"\\u00e9\":1,\"\\u20AC\":2,\"\\ud83d\\ude00\":3,\"\\u0041\":4,\"\xc3\xa9t\xc3\xa9\":5}", 1);
    wordpiece("raw control byte", "{\"[UNK]\":0,\"a\x01\":1}", 1);
    wordpiece("duplicate string", "{\"[UNK]\":0,\"a\":1,\"a\":2}", 1);
    wordpiece("duplicate id", "{\"[UNK]\":0,\"a\":1,\"b\":1}", 1);
    wordpiece("gap", "{\"[UNK]\":0,\"a\":5}", 1);
    wordpiece("id past the limit", "{\"[UNK]\":0,\"a\":999999999}", 1);
    wordpiece("no [UNK]", "{\"a\":0}", 1);
    /* the model's next member and its closing brace end this vocabulary: a span, and then the document
     * lacks a brace (cJSON's error either way) */
    wordpiece("not closed", "{\"[UNK]\":0,\"a\":1", 1);
    /* left to cJSON */
    wordpiece("negative id", "{\"[UNK]\":0,\"a\":-1}", 0);
    wordpiece("fraction", "{\"[UNK]\":0,\"a\":1.5}", 0);
    wordpiece("whole fraction", "{\"[UNK]\":0,\"a\":1.0}", 0);
    wordpiece("exponent", "{\"[UNK]\":0,\"a\":1e0}", 0);
    wordpiece("leading zero", "{\"[UNK]\":0,\"a\":01}", 0);
    wordpiece("ten digits", "{\"[UNK]\":0,\"a\":1000000000}", 0);
    wordpiece("string id", "{\"[UNK]\":0,\"a\":\"1\"}", 0);
    wordpiece("null id", "{\"[UNK]\":0,\"a\":null}", 0);
    wordpiece("NUL escape", "{\"[UNK]\":0,\"a\\u0000b\":1}", 0);
    wordpiece("bad hex", "{\"[UNK]\":0,\"\\u00zz\":1}", 0);
    wordpiece("lone low surrogate", "{\"[UNK]\":0,\"\\udc00\":1}", 0);
    wordpiece("lone high surrogate", "{\"[UNK]\":0,\"\\ud83dx\":1}", 0);
    wordpiece("unknown escape", "{\"[UNK]\":0,\"\\x\":1}", 0);
    wordpiece("trailing comma", "{\"[UNK]\":0,\"a\":1,}", 0);
    wordpiece("missing comma", "{\"[UNK]\":0 \"a\":1}", 0);
    wordpiece("array", "[\"[UNK]\",\"a\"]", 0);
    wordpiece("number", "5", 0);

    /* where the span is, and where it is not */
    const char *docs[][2] = {
        {"{\"model\":{\"vocab\":{\"a\":0}}}", "1"},
        {"{\"x\":[1,{\"model\":2},\"}\"],\"model\":{\"merges\":[],\"vocab\":{\"a\":0,\"b\":1}}}", "2"},
        {"{\"x\":{\"vocab\":{\"z\":9}},\"model\":{\"a\":{\"vocab\":{}},\"vocab\":{\"q\":3}}}", "1"},
        {"{\"model\":{\"vocab\":{\"a\":0}},\"model\":{\"vocab\":{\"b\":1,\"c\":2}}}", "1"},
        {"{\"x\":-1.5e+3,\"y\":[true,false,null],\"model\":{\"vocab\":{}}}", "0"},
        {"{\"mod\\u0065l\":{\"vocab\":{}},\"model\":{\"vocab\":{\"a\":0}}}", "-"},
        {"{\"model\":{\"voc\\u0061b\":{},\"vocab\":{\"a\":0}}}", "-"},
        {"{\"model\":{\"vocab\":[[\"a\",0.0]]}}", "-"},
        {"{\"model\":[]}", "-"},
        {"[{\"model\":{\"vocab\":{}}}]", "-"},
        {"{\"x\":01,\"model\":{\"vocab\":{}}}", "-"},
        {"", "-"},
    };
    for (size_t i = 0; i < sizeof docs / sizeof docs[0]; i++) {
        tok_vocab_span sp = {0, 0, -1};
        int found = tok_json_vocab_span(docs[i][0], strlen(docs[i][0]), &sp);
        int want = docs[i][1][0] != '-';
        CHECK(found == want && (!want || sp.count == atol(docs[i][1])), "doc %zu: found %d count %ld", i, found, sp.count);
        if (found) CHECK(docs[i][0][sp.begin] == '{' && docs[i][0][sp.end - 1] == '}', "doc %zu: span", i);
    }

    /* the fixtures' and the bundled model's files */
    const char *fx = check_fixtures();
    const char *files[] = {"tokenizer/bpe_brown_tokenizer.json", "tokenizer/wordpiece_brown_cased_tokenizer.json",
                           BB_SOURCE_DIR "/models/bert-brown-small/tokenizer.json"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[4096];
        if (files[i][0] == '/') snprintf(path, sizeof path, "%s", files[i]);
        else snprintf(path, sizeof path, "%s/%s", fx, files[i]);
        size_t len;
        char *json = fx_read(path, &len);
        CHECK(json != NULL, "read %s", path);
        if (json) same_both_ways(path, json, len, 1);
        free(json);
    }
    return check_done();
}
