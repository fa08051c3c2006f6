/* tok_unigram_charsmap.c — SentencePiece's nmt_nfkc rules built from utf8proc, in SentencePiece's
 * precompiled charsmap format, and the longest-match normalization over them.
 *
 * Rules (as SentencePiece's normalizer builder makes them): every assigned code point whose NFKC
 * differs maps to its NFKC; its NFKD sequence, when that differs too, maps to the same NFKC (so "e"
 * U+0301 composes to "é"); the NMT rules first drop control characters and map odd spaces to ' '.
 *
 * The blob: a little-endian uint32 byte size of the trie, the trie (a darts-clone double array of
 * uint32 units over the rules' UTF-8 keys; a key's value is the offset of its replacement), then the
 * replacements, each NUL-terminated. Lookup walks the double array: from unit u at position p a byte
 * c leads to q = p ^ offset(u) ^ c when label(units[q]) == c; a unit with the leaf bit has its value in
 * the unit at q ^ offset(units[q]). */
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "tok_internal.h"
#include "tok_unigram_internal.h"

/* ---- darts-clone units ------------------------------------------------------------------------ */

static uint32_t du_offset(uint32_t u) { return (u >> 10) << ((u & (1u << 9)) >> 6); }
static uint32_t du_label(uint32_t u) { return u & ((1u << 31) | 0xFFu); }
static int du_has_leaf(uint32_t u) { return (u >> 8) & 1; }
static uint32_t du_value(uint32_t u) { return u & ((1u << 31) - 1); }

int tok_ug_charsmap_match(const uint8_t *blob, size_t len, const char *s, long n, const char **repl) {
    if (len < 4) return 0;
    uint32_t size = (uint32_t)blob[0] | (uint32_t)blob[1] << 8 | (uint32_t)blob[2] << 16 | (uint32_t)blob[3] << 24;
    if (size % 4 || size > len - 4 || size == 0) return 0;
    const uint8_t *units = blob + 4;
    uint32_t n_units = size / 4;
    const char *strs = (const char *)blob + 4 + size;
    size_t n_strs = len - 4 - size;
#define UNIT(i) ((uint32_t)units[4 * (i)] | (uint32_t)units[4 * (i) + 1] << 8 | (uint32_t)units[4 * (i) + 2] << 16 | \
                 (uint32_t)units[4 * (i) + 3] << 24)
    uint32_t pos = du_offset(UNIT(0)), best = 0;
    for (long i = 0; i < n; i++) {
        uint8_t c = (uint8_t)s[i];
        pos ^= c;
        if (pos >= n_units) break;
        uint32_t u = UNIT(pos);
        if (du_label(u) != c) break;
        pos ^= du_offset(u);
        if (pos >= n_units) break;
        if (du_has_leaf(u)) {
            uint32_t v = du_value(UNIT(pos));
            if (v < n_strs && memchr(strs + v, 0, n_strs - v)) {
                best = (uint32_t)i + 1;
                *repl = strs + v;
            }
        }
    }
#undef UNIT
    return (int)best;
}

/* ---- rules -------------------------------------------------------------------------------------- */

typedef struct {
    char key[24];
    int key_len;
    uint32_t value; /* offset of the replacement */
} cm_rule;

typedef struct {
    cm_rule *r;
    long n, cap;
    char *strs;
    size_t ns, scap;
} cm_rules;

static int add_rule(cm_rules *rs, const char *key, int key_len, const char *to, size_t to_len) {
    if (key_len <= 0 || key_len >= (int)sizeof rs->r[0].key) return 0;
    if (rs->n == rs->cap) {
        long cap = rs->cap ? rs->cap * 2 : 8192;
        cm_rule *r = realloc(rs->r, (size_t)cap * sizeof *r);
        if (!r) return -1;
        rs->r = r, rs->cap = cap;
    }
    if (rs->ns + to_len + 1 > rs->scap) {
        size_t cap = rs->scap ? rs->scap * 2 : 65536;
        while (cap < rs->ns + to_len + 1) cap *= 2;
        char *s = realloc(rs->strs, cap);
        if (!s) return -1;
        rs->strs = s, rs->scap = cap;
    }
    cm_rule *x = &rs->r[rs->n++];
    memcpy(x->key, key, (size_t)key_len);
    x->key_len = key_len;
    x->value = (uint32_t)rs->ns;
    memcpy(rs->strs + rs->ns, to, to_len);
    rs->strs[rs->ns + to_len] = 0;
    rs->ns += to_len + 1;
    return 0;
}

static int nmt_drop(int32_t c) {
    return (c >= 0x01 && c <= 0x08) || c == 0x0B || (c >= 0x0E && c <= 0x1F) || c == 0x7F || c == 0x8F ||
           c == 0x9F;
}

/* SentencePiece's NMT blanks (U+200D, the joiner, stays). */
static int nmt_blank(int32_t c) {
    return c == 0x09 || c == 0x0A || c == 0x0C || c == 0x0D || c == 0x1680 || c == 0x200B || c == 0x200C ||
           c == 0x200E || c == 0x200F || c == 0x2028 || c == 0x2029 || c == 0x2581 || c == 0xFEFF || c == 0xFFFD;
}

static int by_key(const void *a, const void *b) {
    const cm_rule *x = a, *y = b;
    int n = x->key_len < y->key_len ? x->key_len : y->key_len;
    int c = memcmp(x->key, y->key, (size_t)n);
    return c ? c : x->key_len - y->key_len;
}

static int make_rules(cm_rules *rs) {
    for (int32_t cp = 1; cp <= 0x10FFFF; cp++) {
        if (cp >= 0xD800 && cp <= 0xDFFF) continue;
        if (utf8proc_category(cp) == UTF8PROC_CATEGORY_CN) continue;
        char key[8];
        int kl = tok_utf8_encode(cp, key);
        if (nmt_drop(cp)) {
            if (add_rule(rs, key, kl, "", 0)) return -1;
            continue;
        }
        if (nmt_blank(cp)) {
            if (add_rule(rs, key, kl, " ", 1)) return -1;
            continue;
        }
        /* Without a decomposition mapping a code point is its own NFKC and NFKD. */
        if (utf8proc_get_property(cp)->decomp_seqindex == UINT16_MAX) continue;
        utf8proc_uint8_t *nfkc = NULL, *nfkd = NULL;
        utf8proc_ssize_t nc = utf8proc_map((const utf8proc_uint8_t *)key, kl, &nfkc,
                                           UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT);
        utf8proc_ssize_t nd = utf8proc_map((const utf8proc_uint8_t *)key, kl, &nfkd,
                                           UTF8PROC_STABLE | UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT);
        int rc = 0;
        if (nc >= 0 && (nc != kl || memcmp(nfkc, key, (size_t)kl) != 0)) rc = add_rule(rs, key, kl, (const char *)nfkc, (size_t)nc);
        if (rc == 0 && nc >= 0 && nd > kl && (nd != nc || memcmp(nfkd, nfkc, (size_t)nd) != 0))
            rc = add_rule(rs, (const char *)nfkd, (int)nd, (const char *)nfkc, (size_t)nc);
        free(nfkc), free(nfkd);
        if (rc) return -1;
    }
    qsort(rs->r, (size_t)rs->n, sizeof *rs->r, by_key);
    /* One rule per key: the first made (a code point's own rule before another's NFKD sequence). */
    long m = 0;
    for (long i = 0; i < rs->n; i++)
        if (m == 0 || by_key(&rs->r[m - 1], &rs->r[i]) != 0) rs->r[m++] = rs->r[i];
    rs->n = m;
    return 0;
}

/* ---- double array ------------------------------------------------------------------------------- */

typedef struct {
    uint32_t *units;
    uint8_t *used;     /* position taken */
    uint8_t *base_used;
    uint32_t cap, size;
} cm_da;

static int da_reserve(cm_da *d, uint32_t need) {
    if (need <= d->cap) return 0;
    uint32_t cap = d->cap ? d->cap : 1024;
    while (cap < need) cap *= 2;
    if (cap >= (1u << 21)) return -1; /* offsets must fit the unit's 21-bit field */
    uint32_t *u = realloc(d->units, cap * sizeof *u);
    if (u) d->units = u;
    uint8_t *used = realloc(d->used, cap), *bu = realloc(d->base_used, cap);
    if (used) d->used = used;
    if (bu) d->base_used = bu;
    if (!u || !used || !bu) return -1;
    memset(d->units + d->cap, 0, (cap - d->cap) * sizeof *u);
    memset(d->used + d->cap, 0, cap - d->cap);
    memset(d->base_used + d->cap, 0, cap - d->cap);
    d->cap = cap;
    return 0;
}

/* Places the children of the node at pos that covers rules [lo, hi) at key depth depth (all of them
 * share key[0, depth)); recursion depth is bounded by the longest key. */
static int da_place(cm_da *d, const cm_rules *rs, uint32_t pos, long lo, long hi, int depth, uint32_t *scan) {
    uint8_t labels[257];
    int nl = 0, leaf = 0;
    uint32_t leaf_value = 0;
    for (long i = lo; i < hi; i++) {
        if (rs->r[i].key_len == depth) {
            leaf = 1, leaf_value = rs->r[i].value;
            continue;
        }
        uint8_t c = (uint8_t)rs->r[i].key[depth];
        if (nl == 0 || labels[nl - 1] != c) labels[nl++] = c;
    }
    /* Find a free base: every child slot base ^ label (and base ^ 0 for the leaf) unused. */
    while (*scan < d->cap && d->used[*scan]) (*scan)++;
    uint8_t first = leaf ? 0 : labels[0];
    for (uint32_t q = *scan;; q++) {
        if (da_reserve(d, (q | 0xFF) + 2)) return -1;
        if (d->used[q]) continue;
        uint32_t base = q ^ first;
        if (base == 0 || d->base_used[base] || (leaf && d->used[base])) continue;
        int ok = 1;
        for (int k = 0; k < nl && ok; k++) ok = !d->used[base ^ labels[k]] && (base ^ labels[k]) != 0;
        if (!ok) continue;
        d->base_used[base] = 1;
        uint32_t off = pos ^ base;
        d->units[pos] |= off << 10;
        if (leaf) {
            d->units[pos] |= 1u << 8;
            d->used[base] = 1;
            d->units[base] = leaf_value | (1u << 31);
            if (base + 1 > d->size) d->size = base + 1;
        }
        for (int k = 0; k < nl; k++) {
            uint32_t c = base ^ labels[k];
            d->used[c] = 1;
            d->units[c] = labels[k];
            if (c + 1 > d->size) d->size = c + 1;
        }
        break;
    }
    /* Children, each over its run of rules. */
    long i = lo;
    while (i < hi && rs->r[i].key_len == depth) i++;
    for (int k = 0; k < nl; k++) {
        long j = i;
        while (j < hi && (uint8_t)rs->r[j].key[depth] == labels[k]) j++;
        uint32_t base = pos ^ du_offset(d->units[pos]);
        if (da_place(d, rs, base ^ labels[k], i, j, depth + 1, scan)) return -1;
        i = j;
    }
    return 0;
}

uint8_t *tok_ug_charsmap_build(size_t *len) {
    cm_rules rs = {0};
    cm_da d = {0};
    uint8_t *blob = NULL;
    if (make_rules(&rs) || da_reserve(&d, 1024)) goto done;
    d.used[0] = 1;
    d.size = 1;
    uint32_t scan = 1;
    if (rs.n && da_place(&d, &rs, 0, 0, rs.n, 0, &scan)) goto done;
    size_t trie = (size_t)d.size * 4;
    *len = 4 + trie + rs.ns;
    blob = malloc(*len);
    if (!blob) goto done;
    blob[0] = (uint8_t)trie, blob[1] = (uint8_t)(trie >> 8), blob[2] = (uint8_t)(trie >> 16), blob[3] = (uint8_t)(trie >> 24);
    for (uint32_t i = 0; i < d.size; i++)
        for (int b = 0; b < 4; b++) blob[4 + 4 * i + b] = (uint8_t)(d.units[i] >> (8 * b));
    memcpy(blob + 4 + trie, rs.strs, rs.ns);
done:
    free(rs.r), free(rs.strs), free(d.units), free(d.used), free(d.base_used);
    return blob;
}
