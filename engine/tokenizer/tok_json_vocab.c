/* tok_json_vocab.c — a tokenizer.json's model.vocab object read straight from the text (tok_json_vocab.h).
 *
 * The scanner accepts a subset of what cJSON accepts (RFC 8259 whitespace, strings whose escapes it
 * decodes as cJSON does, vocabulary ids written as plain integers) and answers "not here" for anything
 * else, so the caller reads the whole text with cJSON as before: the result is the same either way. */
#include "tok_json_vocab.h"

#include <string.h>

enum { MAX_DEPTH = 64 }; /* deeper documents go to cJSON (which allows 1000) */

typedef struct {
    const unsigned char *p, *end;
} scan;

static void skip_ws(scan *s) {
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r')) s->p++;
}

static int eat(scan *s, unsigned char c) {
    skip_ws(s);
    if (s->p >= s->end || *s->p != c) return 0;
    s->p++;
    return 1;
}

/* The four hex digits at p as a code unit, or -1. */
static long hex4(const unsigned char *p) {
    long v = 0;
    for (int i = 0; i < 4; i++) {
        int c = p[i], d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0) return -1;
        v = v * 16 + d;
    }
    return v;
}

/* A string at s->p (its opening quote), decoded into out (when not NULL; room for as many bytes as the
 * literal has) as cJSON decodes it: escapes \" \\ \/ \b \f \n \r \t and \uXXXX (UTF-16 surrogate pairs
 * joined) to UTF-8. 0 for what this reader leaves to cJSON: a missing quote, another escape, malformed
 * \u, and NUL (cJSON would cut the string there). *n: the decoded length; *escaped: whether it had a
 * backslash. */
static int string(scan *s, char *out, size_t *n, int *escaped) {
    skip_ws(s);
    if (s->p >= s->end || *s->p != '"') return 0;
    const unsigned char *p = s->p + 1, *end = s->end;
    size_t k = 0;
    *escaped = 0;
    for (;;) {
        if (p >= end) return 0;
        unsigned char c = *p;
        if (c == '"') break;
        if (c == 0) return 0;
        if (c != '\\') {
            if (out) out[k] = (char)c;
            k++, p++;
            continue;
        }
        *escaped = 1;
        if (end - p < 2) return 0;
        const char *simple = strchr("\"\\/bfnrt", p[1]);
        if (simple && p[1]) {
            static const char to[] = "\"\\/\b\f\n\r\t";
            if (out) out[k] = to[simple - "\"\\/bfnrt"];
            k++, p += 2;
            continue;
        }
        if (p[1] != 'u' || end - p < 6) return 0;
        long cp = hex4(p + 2), lo;
        p += 6;
        if (cp <= 0 || (cp >= 0xDC00 && cp <= 0xDFFF)) return 0;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (end - p < 6 || p[0] != '\\' || p[1] != 'u' || (lo = hex4(p + 2)) < 0xDC00 || lo > 0xDFFF) return 0;
            cp = 0x10000 + (((cp & 0x3FF) << 10) | (lo & 0x3FF));
            p += 6;
        }
        unsigned char u[4];
        int m = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
        static const unsigned char lead[5] = {0, 0, 0xC0, 0xE0, 0xF0};
        for (int i = m - 1; i > 0; i--, cp >>= 6) u[i] = (unsigned char)(0x80 | (cp & 0x3F));
        u[0] = (unsigned char)(cp | lead[m]);
        if (out) memcpy(out + k, u, (size_t)m);
        k += (size_t)m;
    }
    s->p = p + 1;
    *n = k;
    return 1;
}

/* A vocabulary id: 0 or a positive integer of at most 9 digits, no sign, fraction or exponent. */
static int id_number(scan *s, long *id) {
    skip_ws(s);
    const unsigned char *p = s->p;
    if (p >= s->end || *p < '0' || *p > '9' || (*p == '0' && p + 1 < s->end && p[1] >= '0' && p[1] <= '9')) return 0;
    long v = 0;
    int digits = 0;
    for (; p < s->end && *p >= '0' && *p <= '9'; p++, digits++) v = v * 10 + (*p - '0');
    if (digits > 9 || (p < s->end && (*p == '.' || *p == 'e' || *p == 'E'))) return 0;
    s->p = p;
    *id = v;
    return 1;
}

static int value(scan *s, int depth);

/* An object or array at s->p, members checked by value(). */
static int container(scan *s, int depth) {
    unsigned char close = *s->p == '{' ? '}' : ']';
    s->p++;
    if (eat(s, close)) return 1;
    for (;;) {
        if (close == '}') {
            size_t n;
            int esc;
            if (!string(s, NULL, &n, &esc) || !eat(s, ':')) return 0;
        }
        if (!value(s, depth + 1)) return 0;
        if (eat(s, close)) return 1;
        if (!eat(s, ',')) return 0;
    }
}

static int literal(scan *s, const char *word) {
    size_t n = strlen(word);
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0) return 0;
    s->p += n;
    return 1;
}

/* Any JSON value, skipped. Numbers by the JSON grammar. */
static int value(scan *s, int depth) {
    skip_ws(s);
    if (s->p >= s->end || depth > MAX_DEPTH) return 0;
    unsigned char c = *s->p;
    size_t n;
    int esc;
    if (c == '{' || c == '[') return container(s, depth);
    if (c == '"') return string(s, NULL, &n, &esc);
    if (c == 't') return literal(s, "true");
    if (c == 'f') return literal(s, "false");
    if (c == 'n') return literal(s, "null");
    const unsigned char *p = s->p;
    if (p < s->end && *p == '-') p++;
    if (p >= s->end || *p < '0' || *p > '9') return 0;
    if (*p == '0') p++;
    else while (p < s->end && *p >= '0' && *p <= '9') p++;
    if (p < s->end && *p == '.') {
        if (++p >= s->end || *p < '0' || *p > '9') return 0;
        while (p < s->end && *p >= '0' && *p <= '9') p++;
    }
    if (p < s->end && (*p == 'e' || *p == 'E')) {
        if (++p < s->end && (*p == '+' || *p == '-')) p++;
        if (p >= s->end || *p < '0' || *p > '9') return 0;
        while (p < s->end && *p >= '0' && *p <= '9') p++;
    }
    s->p = p;
    return 1;
}

/* In the object at s->p (its '{'), the value of the first member named `name`: s->p is left at that
 * value. 0 when there is none, or a key before it has an escape (cJSON would compare it decoded). */
static int find_member(scan *s, const char *name) {
    if (!eat(s, '{')) return 0;
    size_t want = strlen(name);
    for (;;) {
        skip_ws(s);
        const unsigned char *key = s->p + 1; /* without escapes, its bytes are the key */
        size_t n;
        int esc;
        if (!string(s, NULL, &n, &esc) || esc || !eat(s, ':')) return 0;
        if (n == want && memcmp(key, name, want) == 0) {
            skip_ws(s);
            return 1;
        }
        if (!value(s, 2) || !eat(s, ',')) return 0;
    }
}

/* The entries of the vocab object at s->p: each is passed to fn when fn is given; *count gets their
 * number. 0 when one is not "string": id as this reader takes it. */
static int entries(scan *s, char *key, tok_vocab_entry_fn fn, void *ctx, long *count, int *rc) {
    *count = 0;
    if (!eat(s, '{')) return 0;
    if (eat(s, '}')) return 1;
    for (;;) {
        size_t n;
        int esc;
        long id;
        if (!string(s, key, &n, &esc) || !eat(s, ':') || !id_number(s, &id)) return 0;
        ++*count;
        if (fn) {
            key[n] = 0;
            if ((*rc = fn(ctx, key, id)) != 0) return 1;
        }
        if (eat(s, '}')) return 1;
        if (!eat(s, ',')) return 0;
    }
}

int tok_json_vocab_span(const char *json, size_t len, tok_vocab_span *sp) {
    scan s = {(const unsigned char *)json, (const unsigned char *)json + len};
    if (!find_member(&s, "model") || s.p >= s.end || *s.p != '{' || !find_member(&s, "vocab") || s.p >= s.end ||
        *s.p != '{')
        return 0;
    const unsigned char *begin = s.p;
    int rc = 0;
    if (!entries(&s, NULL, NULL, NULL, &sp->count, &rc)) return 0;
    sp->begin = (size_t)(begin - (const unsigned char *)json);
    sp->end = (size_t)(s.p - (const unsigned char *)json);
    return 1;
}

int tok_json_vocab_each(const char *json, const tok_vocab_span *sp, char *key, tok_vocab_entry_fn fn, void *ctx) {
    scan s = {(const unsigned char *)json + sp->begin, (const unsigned char *)json + sp->end};
    long count;
    int rc = 0;
    entries(&s, key, fn, ctx, &count, &rc);
    return rc;
}
