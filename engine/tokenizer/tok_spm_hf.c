/* tok_spm_hf.c — the tokenizer.json side of the SentencePiece family, as HF `tokenizers` runs it:
 * normalizers Precompiled, Replace, NFC/NFD/NFKC/NFKD, Strip, Prepend, Lowercase, StripAccents (in a
 * Sequence), the Metaspace pre-tokenizer, and the decoders Metaspace, Replace, ByteFallback, Fuse, Strip.
 *
 * Every normalizer maps (bytes, alignment) to (bytes, alignment), where the alignment of a byte is the
 * original span of the character it came from, following NormalizedString::transform: a character that
 * replaces one takes that one's span, an inserted character takes the span of the byte before it, a
 * removed character leaves nothing. Token offsets are then the first and last byte's spans. */
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "tok_spm.h"

typedef struct {
    char *b;
    int32_t *al; /* (2n) original [start, end) of each byte */
    long n, cap;
    int bad;
} hbuf;

static void hb_put(hbuf *h, const char *s, long n, int32_t os, int32_t oe) {
    if (h->bad) return;
    if (h->n + n > h->cap) {
        long nc = h->cap ? h->cap : 256;
        while (nc < h->n + n) nc *= 2;
        char *nb = realloc(h->b, (size_t)nc);
        int32_t *na = nb ? realloc(h->al, sizeof(int32_t) * 2 * (size_t)nc) : NULL;
        if (nb) h->b = nb;
        if (!na) {
            h->bad = 1;
            return;
        }
        h->al = na, h->cap = nc;
    }
    for (long k = 0; k < n; k++) {
        h->b[h->n] = s[k];
        h->al[2 * h->n] = os, h->al[2 * h->n + 1] = oe;
        h->n++;
    }
}

static void hb_cp(hbuf *h, int32_t cp, int32_t os, int32_t oe) {
    char u[4];
    hb_put(h, u, tok_utf8_encode(cp, u), os, oe);
}

static inline int cp_len(const char *s, long n, int32_t *cp) { return tok_utf8_decode((const unsigned char *)s, n, cp); }

/* Writes new in place of the characters in[o0, o1): the i-th new character takes the i-th old one's span,
 * extra ones the span of the last old byte; old characters beyond the new ones are dropped. */
static void replace_chars(hbuf *out, const hbuf *in, long o0, long o1, const char *rep, long rn) {
    long op = o0;
    for (long k = 0; k < rn;) {
        int32_t cp;
        int l = cp_len(rep + k, rn - k, &cp);
        int32_t os, oe;
        if (op < o1) {
            os = in->al[2 * op], oe = in->al[2 * op + 1];
            int32_t oc;
            op += cp_len(in->b + op, o1 - op, &oc);
        } else {
            os = in->al[2 * (o1 - 1)], oe = in->al[2 * (o1 - 1) + 1];
        }
        hb_put(out, rep + k, l, os, oe);
        k += l;
    }
}

/* ---- normalizers --------------------------------------------------------------------------------------- */

/* HF's Precompiled: whole graphemes under 6 bytes first, else character by character; the rule taken is
 * the first (shortest) one that matches the start of the chunk, applied to the whole chunk. */
static void precompiled(const tok_hf_norm *nm, const hbuf *in, hbuf *out) {
    const unsigned char *t = (const unsigned char *)in->b;
    for (long g0 = 0; g0 < in->n;) {
        int32_t cp, next;
        long g1 = g0 + cp_len(in->b + g0, in->n - g0, &cp);
        utf8proc_int32_t state = 0;
        while (g1 < in->n) {
            int l = cp_len(in->b + g1, in->n - g1, &next);
            if (utf8proc_grapheme_break_stateful(cp, next, &state)) break;
            cp = next, g1 += l;
        }
        const char *rep;
        if (g1 - g0 < 6 && tok_charsmap_first(&nm->cm, t + g0, g1 - g0, &rep) > 0) {
            replace_chars(out, in, g0, g1, rep, (long)strlen(rep));
        } else {
            for (long c = g0; c < g1;) {
                int l = cp_len(in->b + c, g1 - c, &cp);
                if (tok_charsmap_first(&nm->cm, t + c, l, &rep) > 0) replace_chars(out, in, c, c + l, rep, (long)strlen(rep));
                else hb_put(out, in->b + c, l, in->al[2 * c], in->al[2 * c + 1]);
                c += l;
            }
        }
        g0 = g1;
    }
}

/* Replace: a literal pattern, or runs of at least min_rep of one character (Regex "X{n,}" / "X+"); the
 * content takes the span of the match's last byte. */
static void replace(const tok_hf_norm *nm, const hbuf *in, hbuf *out) {
    long pl = (long)strlen(nm->pattern), cl = (long)strlen(nm->content);
    for (long i = 0; i < in->n;) {
        long e = i;
        if (nm->regex) {
            long runs = 0;
            while (e + pl <= in->n && memcmp(in->b + e, nm->pattern, (size_t)pl) == 0) e += pl, runs++;
            if (runs < nm->min_rep) e = i;
        } else if (pl > 0 && i + pl <= in->n && memcmp(in->b + i, nm->pattern, (size_t)pl) == 0) {
            e = i + pl;
        }
        if (e > i) {
            for (long k = 0; k < cl;) {
                int32_t cp;
                int l = cp_len(nm->content + k, cl - k, &cp);
                hb_put(out, nm->content + k, l, in->al[2 * (e - 1)], in->al[2 * (e - 1) + 1]);
                k += l;
            }
            i = e;
        } else {
            hb_put(out, in->b + i, 1, in->al[2 * i], in->al[2 * i + 1]);
            i++;
        }
    }
}

/* Unicode normalization form by runs of a starter and its combining marks. */
static void unicode_form(const tok_hf_norm *nm, const hbuf *in, hbuf *out) {
    int opt = UTF8PROC_STABLE;
    if (nm->kind == TOK_HN_NFC || nm->kind == TOK_HN_NFKC) opt |= UTF8PROC_COMPOSE;
    else opt |= UTF8PROC_DECOMPOSE;
    if (nm->kind == TOK_HN_NFKC || nm->kind == TOK_HN_NFKD) opt |= UTF8PROC_COMPAT;
    for (long r0 = 0; r0 < in->n;) {
        int32_t cp;
        long r1 = r0 + cp_len(in->b + r0, in->n - r0, &cp);
        while (r1 < in->n) {
            int l = cp_len(in->b + r1, in->n - r1, &cp);
            if (utf8proc_get_property(cp)->combining_class == 0) break;
            r1 += l;
        }
        if (r1 - r0 == 1 && (uint8_t)in->b[r0] < 0x80) {
            hb_put(out, in->b + r0, 1, in->al[2 * r0], in->al[2 * r0 + 1]);
        } else {
            utf8proc_uint8_t *m = NULL;
            utf8proc_ssize_t ml = utf8proc_map((const utf8proc_uint8_t *)in->b + r0, r1 - r0, &m, (utf8proc_option_t)opt);
            if (ml >= 0) replace_chars(out, in, r0, r1, (const char *)m, (long)ml);
            else hb_put(out, in->b + r0, r1 - r0, in->al[2 * r0], in->al[2 * r0 + 1]);
            free(m);
        }
        r0 = r1;
    }
}

static void strip(const tok_hf_norm *nm, const hbuf *in, hbuf *out) {
    long a = 0, b = in->n;
    int32_t cp;
    while (nm->left && a < b) {
        int l = cp_len(in->b + a, b - a, &cp);
        if (!tok_is_whitespace(cp)) break;
        a += l;
    }
    while (nm->right && b > a) {
        long p = b - 1;
        while (p > a && ((uint8_t)in->b[p] & 0xC0) == 0x80) p--;
        cp_len(in->b + p, b - p, &cp);
        if (!tok_is_whitespace(cp)) break;
        b = p;
    }
    for (long i = a; i < b; i++) hb_put(out, in->b + i, 1, in->al[2 * i], in->al[2 * i + 1]);
}

static void per_char(const tok_hf_norm *nm, const hbuf *in, hbuf *out) {
    for (long i = 0; i < in->n;) {
        int32_t cp;
        int l = cp_len(in->b + i, in->n - i, &cp);
        int32_t os = in->al[2 * i], oe = in->al[2 * i + 1];
        if (nm->kind == TOK_HN_LOWERCASE) {
            if (cp == 0x130) hb_cp(out, 'i', os, oe), hb_cp(out, 0x307, os, oe);
            else hb_cp(out, utf8proc_tolower(cp), os, oe);
        } else if (utf8proc_category(cp) != UTF8PROC_CATEGORY_MN) {
            hb_put(out, in->b + i, l, os, oe);
        }
        i += l;
    }
}

/* Prepend: the prefix and the first character all take the first character's span. */
static void prepend(const char *pre, const hbuf *in, hbuf *out) {
    if (in->n == 0) return;
    hb_put(out, pre, (long)strlen(pre), in->al[0], in->al[1]);
    for (long i = 0; i < in->n; i++) hb_put(out, in->b + i, 1, in->al[2 * i], in->al[2 * i + 1]);
}

static void apply(const tok_hf_norm *nm, const hbuf *in, hbuf *out) {
    switch (nm->kind) {
    case TOK_HN_PRECOMPILED: precompiled(nm, in, out); break;
    case TOK_HN_REPLACE: replace(nm, in, out); break;
    case TOK_HN_STRIP: strip(nm, in, out); break;
    case TOK_HN_PREPEND: prepend(nm->content, in, out); break;
    case TOK_HN_LOWERCASE:
    case TOK_HN_STRIP_ACCENTS: per_char(nm, in, out); break;
    default: unicode_form(nm, in, out); break;
    }
}

char *tok_hf_mapped_dup(const tok_tokenizer *tk, const char *text, long len) {
    const struct tok_spm *sp = tk->spm;
    hbuf h[2] = {{0}, {0}};
    int cur = 0;
    hb_put(&h[0], text, len, 0, 0);
    for (int k = 0; k < sp->n_norms; k++) {
        h[!cur].n = 0;
        apply(&sp->norms[k], &h[cur], &h[!cur]);
        cur = !cur;
    }
    hb_put(&h[cur], "", 1, 0, 0);
    char *out = h[0].bad || h[1].bad ? NULL : h[cur].b;
    free(h[!cur].b), free(h[0].al), free(h[1].al);
    if (!out) free(h[cur].b);
    return out;
}

int tok_hf_segment(const tok_tokenizer *tk, const char *text, long a, long b, struct tok_scratch *s) {
    const struct tok_spm *sp = tk->spm;
    hbuf h[2] = {{0}, {0}};
    int cur = 0, rc = BB_ENOMEM;
    for (long i = a; i < b;) {
        int32_t cp;
        int l = tok_utf8_decode((const unsigned char *)text + i, b - i, &cp);
        if (cp == 0xFFFD && l == 1) hb_put(&h[0], "\xEF\xBF\xBD", 3, (int32_t)i, (int32_t)i + 1);
        else hb_put(&h[0], text + i, l, (int32_t)i, (int32_t)(i + l));
        i += l;
    }
    for (int k = 0; k < sp->n_norms; k++) {
        h[!cur].n = 0;
        apply(&sp->norms[k], &h[cur], &h[!cur]);
        cur = !cur;
    }
    if (sp->metaspace) {
        tok_hf_norm rep = {.kind = TOK_HN_REPLACE, .pattern = " ", .content = (char *)sp->meta_rep};
        h[!cur].n = 0;
        replace(&rep, &h[cur], &h[!cur]);
        cur = !cur;
        long rl = (long)strlen(sp->meta_rep);
        int starts = h[cur].n >= rl && memcmp(h[cur].b, sp->meta_rep, (size_t)rl) == 0;
        if (!starts && (sp->meta_prepend == TOK_PREPEND_ALWAYS || (sp->meta_prepend == TOK_PREPEND_FIRST && a == 0))) {
            h[!cur].n = 0;
            prepend(sp->meta_rep, &h[cur], &h[!cur]);
            cur = !cur;
        }
    }
    if (h[0].bad || h[1].bad) goto done;
    long start = s->nb_len;
    if (tok_scratch_reserve(s, start + h[cur].n + 1) != BB_OK) goto done;
    memcpy(s->nb + start, h[cur].b, (size_t)h[cur].n);
    memcpy(s->nal + 2 * start, h[cur].al, sizeof(int32_t) * 2 * (size_t)h[cur].n);
    s->nb_len += h[cur].n;
    /* Words: split before each replacement character (MergedWithNext), or the whole segment. */
    long rl = (long)strlen(sp->meta_rep), ws = start;
    for (long i = start + 1; sp->metaspace && sp->meta_split && i + rl <= s->nb_len; i++)
        if (memcmp(s->nb + i, sp->meta_rep, (size_t)rl) == 0) {
            if (tok_push_word(s, ws, i, -1) != BB_OK) goto done;
            ws = i;
        }
    if (s->nb_len > ws && tok_push_word(s, ws, s->nb_len, -1) != BB_OK) goto done;
    rc = BB_OK;
done:
    free(h[0].b), free(h[0].al), free(h[1].b), free(h[1].al);
    return rc;
}

/* ---- decoders ------------------------------------------------------------------------------------------ */

typedef struct {
    char **t;
    int n, cap, bad;
} toks;

static void tk_push(toks *v, const char *s, size_t n) {
    if (v->bad) return;
    if (v->n == v->cap) {
        int nc = v->cap ? v->cap * 2 : 64;
        char **nt = realloc(v->t, sizeof *nt * (size_t)nc);
        if (!nt) {
            v->bad = 1;
            return;
        }
        v->t = nt, v->cap = nc;
    }
    char *c = malloc(n + 1);
    if (!c) {
        v->bad = 1;
        return;
    }
    memcpy(c, s, n);
    c[n] = 0;
    v->t[v->n++] = c;
}

static void tk_free(toks *v) {
    for (int i = 0; i < v->n; i++) free(v->t[i]);
    free(v->t);
    memset(v, 0, sizeof *v);
}

/* Literal replacement of every occurrence of pat in s. */
static char *str_replace(const char *s, const char *pat, const char *with) {
    size_t pl = strlen(pat), wl = strlen(with), n = 0;
    if (!pl) return strdup(s);
    for (const char *p = s; (p = strstr(p, pat)); p += pl) n++;
    char *out = malloc(strlen(s) + n * wl + 1), *o = out;
    if (!out) return NULL;
    for (const char *p = s, *q; *p; p = q + pl) {
        if (!(q = strstr(p, pat))) {
            strcpy(o, p);
            return out;
        }
        memcpy(o, p, (size_t)(q - p)), o += q - p;
        memcpy(o, with, wl), o += wl;
        *o = 0;
    }
    *o = 0;
    return out;
}

static int byte_token(const char *t) {
    if (strlen(t) != 6 || strncmp(t, "<0x", 3) != 0 || t[5] != '>') return -1;
    int v = 0;
    for (int i = 3; i < 5; i++) {
        char c = t[i];
        int d = c >= '0' && c <= '9' ? c - '0' : (c | 0x20) >= 'a' && (c | 0x20) <= 'f' ? (c | 0x20) - 'a' + 10 : -1;
        if (d < 0) return -1;
        v = v * 16 + d;
    }
    return v;
}

static void decode_step(const tok_hf_dec *d, const struct tok_spm *sp, toks *in, toks *out) {
    switch (d->kind) {
    case TOK_HD_METASPACE: {
        /* Every replacement character becomes a space, except in the first token when a prefix was added. */
        size_t rl = strlen(sp->meta_rep);
        for (int i = 0; i < in->n; i++) {
            char *r = str_replace(in->t[i], sp->meta_rep, i == 0 && sp->meta_prepend != TOK_PREPEND_NEVER ? "" : " ");
            if (!r) out->bad = 1;
            else tk_push(out, r, strlen(r));
            free(r);
        }
        (void)rl;
        break;
    }
    case TOK_HD_REPLACE:
        for (int i = 0; i < in->n; i++) {
            char *r = str_replace(in->t[i], d->pattern, d->content);
            if (!r) out->bad = 1;
            else tk_push(out, r, strlen(r));
            free(r);
        }
        break;
    case TOK_HD_BYTE_FALLBACK: {
        unsigned char run[4096];
        int nrun = 0;
        for (int i = 0; i <= in->n; i++) {
            int v = i < in->n ? byte_token(in->t[i]) : -1;
            if (v >= 0 && nrun < (int)sizeof run) {
                run[nrun++] = (unsigned char)v;
                continue;
            }
            if (nrun) {
                int valid = 1;
                for (int k = 0; k < nrun && valid;) {
                    int32_t cp;
                    int l = tok_utf8_decode(run + k, nrun - k, &cp);
                    valid = !(cp == 0xFFFD && l == 1);
                    k += l;
                }
                if (valid) tk_push(out, (const char *)run, (size_t)nrun);
                else
                    for (int k = 0; k < nrun; k++) tk_push(out, "\xEF\xBF\xBD", 3);
                nrun = 0;
            }
            if (i < in->n) tk_push(out, in->t[i], strlen(in->t[i]));
        }
        break;
    }
    case TOK_HD_FUSE: {
        size_t total = 0;
        for (int i = 0; i < in->n; i++) total += strlen(in->t[i]);
        char *f = malloc(total + 1);
        if (!f) {
            out->bad = 1;
            break;
        }
        f[0] = 0;
        for (int i = 0, o = 0; i < in->n; i++) strcpy(f + o, in->t[i]), o += (int)strlen(in->t[i]);
        tk_push(out, f, total);
        free(f);
        break;
    }
    case TOK_HD_STRIP: {
        /* Up to start leading and stop trailing copies of one character. */
        size_t cl = strlen(d->content);
        for (int i = 0; i < in->n; i++) {
            const char *t = in->t[i];
            size_t n = strlen(t), a = 0, b = n;
            for (int k = 0; k < d->start && cl && a + cl <= n && memcmp(t + a, d->content, cl) == 0; k++) a += cl;
            for (int k = 0; k < d->stop && cl && b >= a + cl && memcmp(t + b - cl, d->content, cl) == 0; k++) b -= cl;
            tk_push(out, t + a, b - a);
        }
        break;
    }
    }
}

char *tok_hf_decode_dup(const tok_tokenizer *tk, const int32_t *ids, int n, int skip_special, size_t *len) {
    const struct tok_spm *sp = tk->spm;
    toks v[2] = {{0}, {0}};
    int cur = 0;
    for (int k = 0; k < n; k++) {
        int32_t id = ids[k];
        if (id < 0 || id >= tk->n_vocab || !tk->str[id] || (skip_special && tk->is_special[id])) continue;
        tk_push(&v[0], tk->str[id], tk->len[id]);
    }
    for (int d = 0; d < sp->n_decs; d++) {
        tk_free(&v[!cur]);
        decode_step(&sp->decs[d], sp, &v[cur], &v[!cur]);
        if (v[cur].bad) v[!cur].bad = 1;
        cur = !cur;
    }
    size_t total = 1;
    for (int i = 0; i < v[cur].n; i++) total += strlen(v[cur].t[i]) + 1;
    char *out = v[0].bad || v[1].bad ? NULL : malloc(total);
    if (out) {
        size_t o = 0;
        for (int i = 0; i < v[cur].n; i++) {
            /* Without a decoder HF joins the tokens with spaces. */
            if (i && !sp->has_decoder) out[o++] = ' ';
            size_t l = strlen(v[cur].t[i]);
            memcpy(out + o, v[cur].t[i], l), o += l;
        }
        out[o] = 0;
        if (len) *len = o;
    }
    tk_free(&v[0]), tk_free(&v[1]);
    return out;
}

void tok_hf_norm_free(tok_hf_norm *n) {
    tok_charsmap_free(&n->cm);
    free(n->pattern), free(n->content);
}
