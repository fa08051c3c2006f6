/* tok_encode.c — the encoding pipeline: added tokens -> BertNormalizer -> pre-tokenizer (Bert or
 * ByteLevel) -> WordPiece / BPE -> truncation -> post-processor -> padding; decoding; inspection.
 *
 * Text is processed as bytes with an alignment per normalized byte (the original byte range of the
 * character it came from), as HF's NormalizedString does; ASCII takes table-driven fast paths and
 * nothing is allocated per token (the scratch buffers live in the tok_encoding and only grow). */
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "tok_internal.h"
#include "tok_spm.h"

/* ---- growable scratch ------------------------------------------------------------------------------ */

static int grow(void **p, long *cap, long need, size_t elem) {
    if (need <= *cap) return BB_OK;
    long nc = *cap ? *cap : 64;
    while (nc < need) nc *= 2;
    void *np = realloc(*p, (size_t)nc * elem);
    if (!np) return BB_ENOMEM;
    *p = np, *cap = nc;
    return BB_OK;
}

int tok_scratch_reserve(struct tok_scratch *s, long need) {
    if (need <= s->nb_cap) return BB_OK;
    long cap = s->nb_cap, cap2 = s->nb_cap;
    if (grow((void **)&s->nb, &cap, need, 1) != BB_OK) return BB_ENOMEM;
    if (grow((void **)&s->nal, &cap2, need, 2 * sizeof(int32_t)) != BB_OK) return BB_ENOMEM;
    s->nb_cap = cap;
    return BB_OK;
}

int tok_seq_reserve(tok_seq *q, int need) {
    if (need <= q->cap) return BB_OK;
    int nc = q->cap ? q->cap : 64;
    while (nc < need) nc *= 2;
    int32_t **arr[7] = {&q->id, &q->word, &q->bs, &q->be, &q->cs, &q->ce, &q->txt};
    for (int k = 0; k < 7; k++) {
        void *np = realloc(*arr[k], sizeof(int32_t) * (size_t)nc);
        if (!np) return BB_ENOMEM;
        *arr[k] = np;
    }
    void *np = realloc(q->lit, (size_t)nc);
    if (!np) return BB_ENOMEM;
    q->lit = np;
    q->cap = nc;
    return BB_OK;
}

static void scratch_free(struct tok_scratch *s) {
    if (!s) return;
    free(s->nb), free(s->nal), free(s->b2c), free(s->w), free(s->sym), free(s->sym_s), free(s->sym_e), free(s->hs);
    free(s->sym_prev), free(s->sym_next), free(s->heap);
    tok_seq *qs[2] = {&s->a, &s->b};
    for (int k = 0; k < 2; k++)
        free(qs[k]->id), free(qs[k]->word), free(qs[k]->bs), free(qs[k]->be), free(qs[k]->cs), free(qs[k]->ce),
            free(qs[k]->lit), free(qs[k]->txt), free(qs[k]->pool);
    tok_spm_scratch_free(s->spm);
    free(s);
}

/* ---- character classes ------------------------------------------------------------------------------ */

/* ASCII classes: what the BERT normalizer and pre-tokenizer do with each byte. */
enum { AC_WORD = 0, AC_CTRL = 1, AC_SPACE = 2, AC_PUNCT = 3 };
static const uint8_t ascii_class[128] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 1, 1, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    2, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 3, 3, 3, 3, 3,
    3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 3, 3, 3, 3,
    3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 3, 3, 3, 1,
};

static int is_control(int32_t c) {
    if (c == '\t' || c == '\n' || c == '\r') return 0;
    utf8proc_category_t k = utf8proc_category(c);
    return k == UTF8PROC_CATEGORY_CC || k == UTF8PROC_CATEGORY_CF || k == UTF8PROC_CATEGORY_CN ||
           k == UTF8PROC_CATEGORY_CO || k == UTF8PROC_CATEGORY_CS;
}

static int is_cjk(int32_t c) {
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
           (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
           (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

static int is_punct(int32_t c) {
    if (c < 0x80) return ascii_class[c] == AC_PUNCT;
    utf8proc_category_t k = utf8proc_category(c);
    return k >= UTF8PROC_CATEGORY_PC && k <= UTF8PROC_CATEGORY_PO;
}

static int is_letter(int32_t c) {
    if (c < 0x80) return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
    utf8proc_category_t k = utf8proc_category(c);
    return k >= UTF8PROC_CATEGORY_LU && k <= UTF8PROC_CATEGORY_LO;
}

static int is_number(int32_t c) {
    if (c < 0x80) return c >= '0' && c <= '9';
    utf8proc_category_t k = utf8proc_category(c);
    return k >= UTF8PROC_CATEGORY_ND && k <= UTF8PROC_CATEGORY_NO;
}

/* ---- normalizer -------------------------------------------------------------------------------------- */

static inline void emit_byte(struct tok_scratch *s, char b, int32_t os, int32_t oe) {
    s->nal[2 * s->nb_len] = os, s->nal[2 * s->nb_len + 1] = oe;
    s->nb[s->nb_len++] = b;
}

static void emit_cp(struct tok_scratch *s, int32_t cp, int32_t os, int32_t oe) {
    char u[4];
    int n = tok_utf8_encode(cp, u);
    for (int k = 0; k < n; k++) emit_byte(s, u[k], os, oe);
}

/* Rust's char::to_lowercase: simple mappings plus U+0130's unconditional two-character one. */
static void emit_lower(struct tok_scratch *s, int32_t cp, int lower, int32_t os, int32_t oe) {
    if (!lower) {
        emit_cp(s, cp, os, oe);
    } else if (cp == 0x130) {
        emit_cp(s, 'i', os, oe);
        emit_cp(s, 0x307, os, oe);
    } else {
        emit_cp(s, utf8proc_tolower(cp), os, oe);
    }
}

/* Appends the normalized form of text[a, b) to s->nb. Worst case growth: a CJK char becomes
 * " c " and a decomposition at most 4 code points of 4 bytes plus lowercase expansion: 24 bytes per
 * input byte bounds it. */
static int normalize(const tok_tokenizer *tk, const char *text, long a, long b, struct tok_scratch *s) {
    if (tok_scratch_reserve(s, s->nb_len + (b - a) * 24 + 8) != BB_OK) return BB_ENOMEM;
    const unsigned char *t = (const unsigned char *)text;
    if (!tk->bert_norm) {
        long start = s->nb_len;
        for (long i = a; i < b;) {
            int32_t cp;
            int n = t[i] < 0x80 ? (cp = t[i], 1) : tok_utf8_decode(t + i, b - i, &cp);
            for (int k = 0; k < n; k++) emit_byte(s, (char)t[i + k], (int32_t)i, (int32_t)(i + n));
            i += n;
        }
        if (tk->pre == TOK_PRE_BYTELEVEL && tk->add_prefix_space && s->nb_len > start && s->nb[start] != ' ') {
            memmove(s->nb + start + 1, s->nb + start, (size_t)(s->nb_len - start));
            memmove(s->nal + 2 * (start + 1), s->nal + 2 * start, sizeof(int32_t) * 2 * (size_t)(s->nb_len - start));
            s->nb[start] = ' ';
            s->nb_len++;
        }
        return BB_OK;
    }
    const int clean = tk->clean_text, lower = tk->lower;
    const int strip = tk->strip_accents < 0 ? tk->lower : tk->strip_accents;
    for (long i = a; i < b;) {
        unsigned c = t[i];
        if (c < 0x80) {
            int k = ascii_class[c];
            if (clean && k == AC_CTRL) {
                i++;
                continue;
            }
            if (clean && k == AC_SPACE) c = ' ';
            else if (lower && c >= 'A' && c <= 'Z') c |= 0x20;
            emit_byte(s, (char)c, (int32_t)i, (int32_t)(i + 1));
            i++;
            continue;
        }
        int32_t cp;
        int n = tok_utf8_decode(t + i, b - i, &cp);
        int32_t os = (int32_t)i, oe = (int32_t)(i + n);
        i += n;
        if (clean) {
            if (cp == 0xFFFD || is_control(cp)) continue;
            if (tok_is_whitespace(cp)) cp = ' ';
        }
        if (tk->chinese && is_cjk(cp)) {
            emit_byte(s, ' ', os, oe);
            emit_cp(s, cp, os, oe);
            emit_byte(s, ' ', os, oe);
            continue;
        }
        if (strip) {
            utf8proc_int32_t d[8];
            int bound = 0;
            utf8proc_ssize_t nd = utf8proc_decompose_char(cp, d, 8, UTF8PROC_DECOMPOSE, &bound);
            if (nd < 1 || nd > 8) d[0] = cp, nd = 1;
            for (int k = 0; k < nd; k++)
                if (utf8proc_category(d[k]) != UTF8PROC_CATEGORY_MN) emit_lower(s, d[k], lower, os, oe);
            continue;
        }
        emit_lower(s, cp, lower, os, oe);
    }
    return BB_OK;
}

/* ---- pre-tokenizers ---------------------------------------------------------------------------------- */

int tok_push_word(struct tok_scratch *s, long ns, long ne, int32_t special) {
    if (s->nw == s->w_cap && grow((void **)&s->w, &s->w_cap, s->nw + 1, sizeof *s->w) != BB_OK) return BB_ENOMEM;
    s->w[s->nw++] = (tok_wordspan){(int32_t)ns, (int32_t)ne, special};
    return BB_OK;
}

static inline int32_t cp_at(const struct tok_scratch *s, long i, long end, int *n) {
    unsigned c = (uint8_t)s->nb[i];
    if (c < 0x80) return *n = 1, (int32_t)c;
    int32_t cp;
    *n = tok_utf8_decode((const unsigned char *)s->nb + i, end - i, &cp);
    return cp;
}

/* BertPreTokenizer: split on whitespace (removed), isolate each punctuation character. */
static int pretok_bert(struct tok_scratch *s, long a, long b) {
    long ws = -1;
    for (long i = a; i < b;) {
        unsigned c = (uint8_t)s->nb[i];
        int n = 1, kind;
        if (c < 0x80) {
            kind = ascii_class[c];
            if (kind == AC_CTRL) kind = (c >= 0x09 && c <= 0x0D) ? AC_SPACE : AC_WORD;
        } else {
            int32_t cp = cp_at(s, i, b, &n);
            kind = tok_is_whitespace(cp) ? AC_SPACE : is_punct(cp) ? AC_PUNCT : AC_WORD;
        }
        if (kind == AC_WORD) {
            if (ws < 0) ws = i;
        } else {
            if (ws >= 0 && tok_push_word(s, ws, i, -1) != BB_OK) return BB_ENOMEM;
            ws = -1;
            if (kind == AC_PUNCT && tok_push_word(s, i, i + n, -1) != BB_OK) return BB_ENOMEM;
        }
        i += n;
    }
    if (ws >= 0 && tok_push_word(s, ws, b, -1) != BB_OK) return BB_ENOMEM;
    return BB_OK;
}

enum { CK_L, CK_N, CK_S, CK_O };
static int char_kind(int32_t c) {
    if (tok_is_whitespace(c)) return CK_S;
    if (is_letter(c)) return CK_L;
    if (is_number(c)) return CK_N;
    return CK_O;
}

/* GPT-2's pattern, matched by hand:
 *   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+ */
static long gpt2_match(const struct tok_scratch *s, long i, long b) {
    const char *t = s->nb;
    if (t[i] == '\'' && i + 1 < b) {
        char c1 = t[i + 1];
        if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd') return i + 2;
        if (i + 2 < b && ((c1 == 'r' && t[i + 2] == 'e') || (c1 == 'v' && t[i + 2] == 'e') || (c1 == 'l' && t[i + 2] == 'l')))
            return i + 3;
    }
    int n;
    int32_t c = cp_at(s, i, b, &n);
    int k = char_kind(c);
    long j = i;
    if (c == ' ' && i + 1 < b) {
        int n2;
        int k2 = char_kind(cp_at(s, i + 1, b, &n2));
        if (k2 != CK_S) k = k2, j = i + 1;
    }
    if (k != CK_S) {
        while (j < b) {
            int m;
            if (char_kind(cp_at(s, j, b, &m)) != k) break;
            j += m;
        }
        return j;
    }
    long last = i;
    while (j < b) {
        int m;
        if (!tok_is_whitespace(cp_at(s, j, b, &m))) break;
        last = j;
        j += m;
    }
    if (j == b || last == i) return j;
    return last;
}

static int pretok_bytelevel(const tok_tokenizer *tk, struct tok_scratch *s, long a, long b) {
    if (a == b) return BB_OK;
    if (!tk->use_regex) return tok_push_word(s, a, b, -1);
    for (long i = a; i < b;) {
        long j = gpt2_match(s, i, b);
        if (tok_push_word(s, i, j, -1) != BB_OK) return BB_ENOMEM;
        i = j;
    }
    return BB_OK;
}

static int segment(const tok_tokenizer *tk, const char *text, long a, long b, struct tok_scratch *s) {
    long start = s->nb_len;
    if (tk->spm && tk->spm->hf) return tok_hf_segment(tk, text, a, b, s);
    if (tk->spm) {
        /* SentencePiece normalizes and encodes each stretch between added tokens as a whole. */
        if (tok_spm_normalize(tk, text, a, b, s) != BB_OK) return BB_ENOMEM;
        return s->nb_len > start ? tok_push_word(s, start, s->nb_len, -1) : BB_OK;
    }
    if (normalize(tk, text, a, b, s) != BB_OK) return BB_ENOMEM;
    switch (tk->pre) {
    case TOK_PRE_BERT: return pretok_bert(s, start, s->nb_len);
    case TOK_PRE_BYTELEVEL: return pretok_bytelevel(tk, s, start, s->nb_len);
    default: return s->nb_len > start ? tok_push_word(s, start, s->nb_len, -1) : BB_OK;
    }
}

/* The longest added token at text[i], or -1. */
static int match_added(const tok_tokenizer *tk, const char *text, long i, long len) {
    int best = -1;
    for (int k = 0; k < tk->n_added; k++) {
        const tok_added *a = &tk->added[k];
        if (a->len <= len - i && memcmp(text + i, a->content, (size_t)a->len) == 0 &&
            (best < 0 || a->len > tk->added[best].len))
            best = k;
    }
    return best;
}

static int is_ws_byte_before(const char *text, long i) {
    return i > 0 && ((uint8_t)text[i - 1] == ' ' || (text[i - 1] >= 0x09 && text[i - 1] <= 0x0D));
}

int tok_pipeline(const tok_tokenizer *tk, const char *text, long len, struct tok_scratch *s) {
    s->nb_len = 0, s->nw = 0;
    if (grow((void **)&s->b2c, &s->b2c_cap, len + 1, sizeof(int32_t)) != BB_OK) return BB_ENOMEM;
    const unsigned char *t = (const unsigned char *)text;
    int32_t nc = 0;
    for (long i = 0; i < len;) {
        int32_t cp;
        int n = t[i] < 0x80 ? 1 : tok_utf8_decode(t + i, len - i, &cp);
        for (int k = 0; k < n; k++) s->b2c[i + k] = nc;
        nc++, i += n;
    }
    s->b2c[len] = nc;
    long pos = 0;
    for (long i = 0; tk->n_added && i < len; i++) {
        if (!tk->added_first[t[i]]) continue;
        int k = match_added(tk, text, i, len);
        if (k < 0) continue;
        const tok_added *a = &tk->added[k];
        long ms = i, me = i + a->len;
        if (a->lstrip)
            while (ms > pos && is_ws_byte_before(text, ms)) ms--;
        if (a->rstrip)
            while (me < len && (text[me] == ' ' || (text[me] >= 0x09 && text[me] <= 0x0D))) me++;
        if (segment(tk, text, pos, ms, s) != BB_OK) return BB_ENOMEM;
        if (tok_scratch_reserve(s, s->nb_len + (me - ms)) != BB_OK) return BB_ENOMEM;
        long ns = s->nb_len;
        for (long j = ms; j < me; j++) emit_byte(s, text[j], (int32_t)ms, (int32_t)me);
        if (tok_push_word(s, ns, s->nb_len, a->id) != BB_OK) return BB_ENOMEM;
        pos = me;
        i = me - 1;
    }
    return segment(tk, text, pos, len, s);
}

/* ---- models ------------------------------------------------------------------------------------------ */

static inline void push_tok(struct tok_scratch *s, tok_seq *q, int32_t id, long ns, long ne, int32_t word,
                            int lit) {
    int k = q->n++;
    int32_t bs = s->nal[2 * ns], be = s->nal[2 * (ne - 1) + 1];
    q->id[k] = id, q->word[k] = word, q->lit[k] = (uint8_t)lit, q->txt[k] = -1;
    q->bs[k] = bs, q->be[k] = be;
    q->cs[k] = s->b2c[bs], q->ce[k] = s->b2c[be];
}

/* A word the vocabulary cannot spell and no unknown token to stand for it: HF's WordPiece fails
 * ("Missing [UNK] token from the vocabulary") rather than drop the text; remember the word for the
 * message. */
static int tok_no_unk(struct tok_scratch *s, long ns, long ne) {
    s->bad_word_s = s->nal[2 * ns], s->bad_word_e = s->nal[2 * (ne - 1) + 1];
    return BB_EFORMAT;
}

static int wordpiece_word(const tok_tokenizer *tk, struct tok_scratch *s, tok_seq *q, long ns, long ne,
                          int32_t word) {
    const char *t = s->nb;
    long nbytes = ne - ns;
    if (nbytes > tk->max_chars) {
        long nch = 0;
        for (long i = ns; i < ne; i++) nch += ((uint8_t)t[i] & 0xC0) != 0x80;
        if (nch > tk->max_chars) {
            if (tk->unk < 0) return tok_no_unk(s, ns, ne);
            push_tok(s, q, tk->unk, ns, ne, word, 0);
            return BB_OK;
        }
    }
    if (grow((void **)&s->hs, &s->hs_cap, tk->max_key + 2, sizeof(uint32_t)) != BB_OK) return BB_ENOMEM;
    int first = q->n;
    for (long start = ns; start < ne;) {
        const tok_map *m = start == ns ? &tk->full : &tk->cont;
        long maxend = start + (tk->max_key - m->skip);
        if (maxend > ne) maxend = ne;
        uint32_t h = TOK_HASH_SEED;
        for (long p = start; p < maxend; p++) h = TOK_HASH_STEP(h, t[p]), s->hs[p + 1 - start] = h;
        int32_t id = -1;
        long end = maxend;
        for (; end > start; end--) {
            if (end < ne && ((uint8_t)t[end] & 0xC0) == 0x80) continue;
            id = tok_map_get(m, tk, t + start, (size_t)(end - start), s->hs[end - start]);
            if (id >= 0) break;
        }
        if (id < 0) {
            q->n = first;
            if (tk->unk < 0) return tok_no_unk(s, ns, ne);
            push_tok(s, q, tk->unk, ns, ne, word, 0);
            return BB_OK;
        }
        push_tok(s, q, id, start, end, word, 0);
        start = end;
    }
    return BB_OK;
}

static const struct tok_merge *merge_get(const tok_tokenizer *tk, int32_t l, int32_t r) {
    uint32_t h = ((uint32_t)l * 0x9E3779B1u) ^ ((uint32_t)r * 0x85EBCA77u);
    for (uint32_t i = h & tk->merge_mask;; i = (i + 1) & tk->merge_mask) {
        const struct tok_merge *m = &tk->merges[i];
        if (m->left < 0) return NULL;
        if (m->left == l && m->right == r) return m;
    }
}

/* A merge that may apply: symbols pos and its right neighbour would become id, at this rank. */
struct tok_bpe_cand {
    int32_t rank, pos, id;
};

static int cand_less(const struct tok_bpe_cand *a, const struct tok_bpe_cand *b) {
    return a->rank != b->rank ? a->rank < b->rank : a->pos < b->pos;
}

static void heap_push(struct tok_scratch *s, int32_t rank, int32_t pos, int32_t id) {
    struct tok_bpe_cand *h = s->heap, c = {rank, pos, id};
    long i = s->heap_n++;
    while (i > 0 && cand_less(&c, &h[(i - 1) / 2])) h[i] = h[(i - 1) / 2], i = (i - 1) / 2;
    h[i] = c;
}

static struct tok_bpe_cand heap_pop(struct tok_scratch *s) {
    struct tok_bpe_cand *h = s->heap, top = h[0], last = h[--s->heap_n];
    long i = 0, n = s->heap_n;
    for (;;) {
        long c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && cand_less(&h[c + 1], &h[c])) c++;
        if (!cand_less(&h[c], &last)) break;
        h[i] = h[c], i = c;
    }
    if (n > 0) h[i] = last;
    return top;
}

static void push_pair(const tok_tokenizer *tk, struct tok_scratch *s, int32_t k) {
    int32_t r = k >= 0 ? s->sym_next[k] : -1;
    if (r < 0) return;
    const struct tok_merge *mg = merge_get(tk, s->sym[k], s->sym[r]);
    if (mg) heap_push(s, mg->rank, k, mg->id);
}

/* Byte-level BPE on one word, as HF's word.merge_all: a heap of candidate merges ordered by rank,
 * then position; a popped candidate whose symbols changed since is skipped. O(n log n) in the
 * word's length (a 200k-character word used to take a minute with a rescan per merge). */
static int bpe_word(const tok_tokenizer *tk, struct tok_scratch *s, tok_seq *q, long ns, long ne, int32_t word) {
    long n = ne - ns;
    long cap = s->sym_cap, cap2 = s->sym_cap, cap3 = s->sym_cap, cap4 = s->sym_cap, cap5 = s->sym_cap,
         hcap = s->heap_cap;
    if (grow((void **)&s->sym, &cap, n, sizeof(int32_t)) != BB_OK ||
        grow((void **)&s->sym_s, &cap2, n, sizeof(int32_t)) != BB_OK ||
        grow((void **)&s->sym_e, &cap3, n, sizeof(int32_t)) != BB_OK ||
        grow((void **)&s->sym_prev, &cap4, n, sizeof(int32_t)) != BB_OK ||
        grow((void **)&s->sym_next, &cap5, n, sizeof(int32_t)) != BB_OK ||
        grow((void **)&s->heap, &hcap, 3 * n + 1, sizeof(struct tok_bpe_cand)) != BB_OK)
        return BB_ENOMEM;
    s->sym_cap = cap;
    s->heap_cap = hcap;
    /* ignore_merges: a word that is itself in the vocabulary is taken whole (a mapped byte is at most
     * 2 bytes, so words up to 512 bytes fit the buffer; longer ones cannot be vocabulary entries). */
    if (tk->ignore_merges && n <= 512) {
        char buf[1024];
        long bl = 0;
        for (long i = ns; i < ne; i++) bl += tok_utf8_encode(tok_byte_char((uint8_t)s->nb[i]), buf + bl);
        int32_t id = tok_map_get(&tk->full, tk, buf, (size_t)bl, tok_hash(buf, (size_t)bl));
        if (id >= 0) {
            push_tok(s, q, id, ns, ne, word, 0);
            return BB_OK;
        }
    }
    int32_t m = 0;
    for (long i = ns; i < ne; i++) {
        int32_t id = tk->byte_id[(uint8_t)s->nb[i]];
        if (id < 0) id = tk->unk;
        if (id < 0) continue; /* no symbol and no unknown token: HF errors; the byte is dropped */
        s->sym[m] = id, s->sym_s[m] = (int32_t)i, s->sym_e[m] = (int32_t)(i + 1);
        s->sym_prev[m] = m - 1, s->sym_next[m] = m + 1;
        m++;
    }
    if (m > 0) s->sym_next[m - 1] = -1;
    s->heap_n = 0;
    if (tk->merges)
        for (int32_t k = 0; k + 1 < m; k++) push_pair(tk, s, k);
    /* s->sym_e[k] < 0 marks a symbol merged into its left neighbour */
    for (long pops = 0; s->heap_n > 0; pops++) {
        if ((pops & 4095) == 4095 && bb_work_cancelled(s->work)) return BB_ECANCEL;
        struct tok_bpe_cand c = heap_pop(s);
        int32_t k = c.pos, r = s->sym_e[k] >= 0 ? s->sym_next[k] : -1;
        if (r < 0) continue;
        const struct tok_merge *mg = merge_get(tk, s->sym[k], s->sym[r]);
        if (!mg || mg->id != c.id) continue; /* the pair changed since it was pushed */
        s->sym[k] = c.id, s->sym_e[k] = s->sym_e[r];
        s->sym_e[r] = -1;
        s->sym_next[k] = s->sym_next[r];
        if (s->sym_next[k] >= 0) s->sym_prev[s->sym_next[k]] = k;
        push_pair(tk, s, s->sym_prev[k]);
        push_pair(tk, s, k);
    }
    for (int32_t k = m > 0 ? 0 : -1; k >= 0; k = s->sym_next[k])
        push_tok(s, q, s->sym[k], s->sym_s[k], s->sym_e[k], word, 0);
    return BB_OK;
}

int tok_model_run(const tok_tokenizer *tk, struct tok_scratch *s, tok_seq *q) {
    if (q->n == 0) q->pool_n = 0;
    int32_t spm_word = 0;
    for (long w = 0; w < s->nw; w++) {
        const tok_wordspan *ws = &s->w[w];
        /* A word yields at most one token per byte. */
        if (tok_seq_reserve(q, q->n + (ws->ne - ws->ns) + 1) != BB_OK) return BB_ENOMEM;
        int rc;
        if (ws->special >= 0) {
            push_tok(s, q, ws->special, ws->ns, ws->ne, tk->spm ? spm_word++ : (int32_t)w, 1);
            rc = BB_OK;
        } else if (tk->spm) {
            rc = tok_spm_run(tk, s, q, ws->ns, ws->ne, &spm_word);
        } else if (tk->kind == TOK_MODEL_WORDPIECE) {
            rc = wordpiece_word(tk, s, q, ws->ns, ws->ne, (int32_t)w);
        } else {
            rc = bpe_word(tk, s, q, ws->ns, ws->ne, (int32_t)w);
        }
        if (rc != BB_OK) return rc;
    }
    return BB_OK;
}

/* ---- encodings ----------------------------------------------------------------------------------------- */

tok_options tok_options_default(void) {
    tok_options o = {0};
    o.add_special_tokens = 1;
    o.max_length = 512;
    return o;
}

tok_encoding *tok_encoding_new(void) { return calloc(1, sizeof(tok_encoding)); }

void tok_encoding_free(tok_encoding *e) {
    if (!e) return;
    free(e->ids), free(e->tokens), free(e->offsets), free(e->byte_offsets), free(e->words), free(e->seq);
    free(e->type_ids), free(e->attention_mask), free(e->special);
    scratch_free(e->scratch_);
    free(e);
}

static int enc_reserve(tok_encoding *e, int need) {
    if (need <= e->cap_) return BB_OK;
    int nc = e->cap_ ? e->cap_ : 64;
    while (nc < need) nc *= 2;
    void **arr[9] = {(void **)&e->ids, (void **)&e->tokens, (void **)&e->offsets, (void **)&e->byte_offsets,
                     (void **)&e->words, (void **)&e->seq, (void **)&e->type_ids, (void **)&e->attention_mask,
                     (void **)&e->special};
    size_t sz[9] = {4, sizeof(char *), 8, 8, 4, 4, 4, 4, 1};
    for (int k = 0; k < 9; k++) {
        void *np = realloc(*arr[k], sz[k] * (size_t)nc);
        if (!np) return BB_ENOMEM;
        *arr[k] = np;
    }
    e->cap_ = nc;
    return BB_OK;
}

static struct tok_scratch *scratch_get(tok_encoding *e) {
    if (!e->scratch_) e->scratch_ = calloc(1, sizeof(struct tok_scratch));
    return e->scratch_;
}

/* Cuts q to keep tokens, from the right or the left; returns how many were cut. */
static int seq_truncate(tok_seq *q, int keep, tok_side side) {
    if (keep >= q->n) return 0;
    int cut = q->n - keep;
    if (side == TOK_SIDE_LEFT) {
        int32_t **arr[7] = {&q->id, &q->word, &q->bs, &q->be, &q->cs, &q->ce, &q->txt};
        for (int k = 0; k < 7; k++) memmove(*arr[k], *arr[k] + cut, sizeof(int32_t) * (size_t)keep);
        memmove(q->lit, q->lit + cut, (size_t)keep);
    }
    q->n = keep;
    return cut;
}

/* The length HF sees when truncation is on: it stops tokenizing a sequence (from the end that is kept)
 * at the first word that brings the count to max_length, so longer sequences all look that long. */
static int seen_len(const tok_seq *q, int max_length, tok_side side) {
    int n = 0;
    if (side == TOK_SIDE_RIGHT) {
        for (int i = 0; i < q->n && n < max_length; n++, i++)
            while (i + 1 < q->n && q->word[i + 1] == q->word[i]) i++, n++;
    } else {
        for (int i = q->n - 1; i >= 0 && n < max_length; n++, i--)
            while (i > 0 && q->word[i - 1] == q->word[i]) i--, n++;
    }
    return n;
}

/* HF's truncate_encodings over the lengths it sees; the cut counts are of the real sequences. */
static int truncate(const tok_options *o, int budget, tok_seq *a, tok_seq *b, int *cut_a, int *cut_b, char *err,
                    size_t errlen) {
    *cut_a = *cut_b = 0;
    int la = seen_len(a, o->max_length, o->truncation_side), lb = b ? seen_len(b, o->max_length, o->truncation_side) : 0;
    int total = la + lb;
    if (total <= budget) return BB_OK;
    int to_remove = total - budget;
    if (o->truncation == TOK_TRUNC_LONGEST_FIRST) {
        if (!b) {
            *cut_a = seq_truncate(a, total - to_remove, o->truncation_side);
            return BB_OK;
        }
        int n1 = la, n2 = lb, swap = 0;
        if (n1 > n2) {
            int t = n1;
            n1 = n2, n2 = t, swap = 1;
        }
        if (n1 > budget) n2 = n1;
        else n2 = n1 > budget - n1 ? n1 : budget - n1;
        if (n1 + n2 > budget) {
            n1 = budget / 2;
            n2 = n1 + budget % 2;
        }
        if (swap) {
            int t = n1;
            n1 = n2, n2 = t;
        }
        *cut_a = seq_truncate(a, n1, o->truncation_side);
        *cut_b = seq_truncate(b, n2, o->truncation_side);
        return BB_OK;
    }
    tok_seq *target = o->truncation == TOK_TRUNC_ONLY_FIRST ? a : b;
    if (!target) return bb_err(err, errlen, BB_EINVAL, "truncation only_second needs a text pair");
    int tl = target == a ? la : lb;
    if (tl <= to_remove)
        return bb_err(err, errlen, BB_EINVAL,
                      "truncation: the %s sequence has %d tokens, too few to remove the %d needed to fit %d",
                      target == a ? "first" : "second", target->n, to_remove, o->max_length);
    int cut = seq_truncate(target, tl - to_remove, o->truncation_side);
    if (target == a) *cut_a = cut;
    else *cut_b = cut;
    return BB_OK;
}

/* RoBERTa / ByteLevel trim_offsets: offsets leave out the spaces ('Ġ') a token starts or ends with. */
static void trim_offsets(const tok_tokenizer *tk, tok_seq *q) {
    for (int i = 0; i < q->n; i++) {
        if (q->lit[i]) continue;
        const char *t = tk->str[q->id[i]];
        if (!t) continue;
        size_t n = tk->len[q->id[i]];
        int lead = 0, trail = 0;
        for (size_t p = 0; p + 1 < n + 1 && p + 2 <= n && (uint8_t)t[p] == 0xC4 && (uint8_t)t[p + 1] == 0xA0; p += 2)
            lead++;
        for (size_t p = n; p >= 2 && (uint8_t)t[p - 2] == 0xC4 && (uint8_t)t[p - 1] == 0xA0; p -= 2) trail++;
        if (lead == 0 && trail == 0) continue;
        if (lead > 0) {
            int is_first = i == 0 || q->cs[i] == 0;
            if (is_first && tk->trim_prefix_space && lead == 1) lead = 0;
            q->cs[i] = q->cs[i] + lead < q->ce[i] ? q->cs[i] + lead : q->ce[i];
            q->bs[i] = q->bs[i] + lead < q->be[i] ? q->bs[i] + lead : q->be[i];
        }
        if (trail > 0 && q->ce[i] >= trail) {
            q->ce[i] = q->ce[i] - trail > q->cs[i] ? q->ce[i] - trail : q->cs[i];
            q->be[i] = q->be[i] - trail > q->bs[i] ? q->be[i] - trail : q->bs[i];
        }
    }
}

static void put(const tok_tokenizer *tk, tok_encoding *e, int k, int32_t id, int32_t cs, int32_t ce, int32_t bs,
                int32_t be, int32_t word, int32_t seq, int32_t type, int special) {
    e->ids[k] = id;
    e->tokens[k] = id >= 0 && id < tk->n_vocab ? tk->str[id] : "";
    e->offsets[2 * k] = cs, e->offsets[2 * k + 1] = ce;
    e->byte_offsets[2 * k] = bs, e->byte_offsets[2 * k + 1] = be;
    e->words[k] = word, e->seq[k] = seq, e->type_ids[k] = type;
    e->attention_mask[k] = special != TOK_PADDING;
    e->special[k] = (uint8_t)special;
}

static int pad(const tok_tokenizer *tk, tok_encoding *e, int target, tok_side side) {
    if (target <= e->n) return BB_OK;
    if (enc_reserve(e, target) != BB_OK) return BB_ENOMEM;
    int add = target - e->n;
    int32_t pid = tk->sp.pad >= 0 ? tk->sp.pad : 0;
    if (side == TOK_SIDE_LEFT) {
        void *arr[9] = {e->ids, e->tokens, e->offsets, e->byte_offsets, e->words, e->seq, e->type_ids,
                        e->attention_mask, e->special};
        size_t sz[9] = {4, sizeof(char *), 8, 8, 4, 4, 4, 4, 1};
        for (int k = 0; k < 9; k++) memmove((char *)arr[k] + sz[k] * (size_t)add, arr[k], sz[k] * (size_t)e->n);
        for (int k = 0; k < add; k++) put(tk, e, k, pid, 0, 0, 0, 0, -1, -1, 0, TOK_PADDING);
    } else {
        for (int k = e->n; k < target; k++) put(tk, e, k, pid, 0, 0, 0, 0, -1, -1, 0, TOK_PADDING);
    }
    e->n = target;
    return BB_OK;
}

static int model_error(int rc, const char *text, const struct tok_scratch *s, char *err, size_t errlen) {
    if (rc == BB_ENOMEM) return bb_err(err, errlen, BB_ENOMEM, "tokenizer: out of memory");
    if (rc == BB_ECANCEL) return bb_err(err, errlen, BB_ECANCEL, "tokenizer: cancelled");
    int n = s->bad_word_e - s->bad_word_s;
    return bb_err(err, errlen, rc, "tokenizer: '%.*s%s' is not in the vocabulary, which has no [UNK] token to stand for it",
                  n > 40 ? 40 : n, text + s->bad_word_s, n > 40 ? "..." : "");
}

int tok_encode(const tok_tokenizer *tk, const char *text, long len, const char *pair, long pair_len,
               const tok_options *o, tok_encoding *e, char *err, size_t errlen) {
    tok_options def = tok_options_default();
    if (!o) o = &def;
    struct tok_scratch *s = scratch_get(e);
    if (!s) return bb_err(err, errlen, BB_ENOMEM, "tokenizer: out of memory");
    e->n = 0, e->overflow_a = e->overflow_b = 0;
    if (len < 0) len = (long)strlen(text);
    s->a.n = s->b.n = 0;
    s->work = e->work;
    int mrc;
    if (tok_pipeline(tk, text, len, s) != BB_OK) goto nomem;
    if ((mrc = tok_model_run(tk, s, &s->a)) != BB_OK) return model_error(mrc, text, s, err, errlen);
    tok_seq *b = NULL;
    if (pair) {
        if (pair_len < 0) pair_len = (long)strlen(pair);
        if (tok_pipeline(tk, pair, pair_len, s) != BB_OK) goto nomem;
        if ((mrc = tok_model_run(tk, s, &s->b)) != BB_OK) return model_error(mrc, pair, s, err, errlen);
        b = &s->b;
    }
    const tok_tmpl_item *tm = b ? tk->pair : tk->single;
    int ntm = b ? tk->n_pair : tk->n_single;
    int nadd = 0;
    if (o->add_special_tokens)
        for (int k = 0; k < ntm; k++) nadd += tm[k].is_special;
    if (o->truncation != TOK_TRUNC_NONE) {
        if (o->max_length < nadd)
            return bb_err(err, errlen, BB_EINVAL, "truncation: max_length %d leaves no room for %d special tokens",
                          o->max_length, nadd);
        int rc = truncate(o, o->max_length - nadd, &s->a, b, &e->overflow_a, &e->overflow_b, err, errlen);
        if (rc != BB_OK) return rc;
    }
    if (tk->trim_offsets) {
        trim_offsets(tk, &s->a);
        if (b) trim_offsets(tk, b);
    }
    if (enc_reserve(e, s->a.n + (b ? b->n : 0) + nadd) != BB_OK) goto nomem;
    int k = 0;
    for (int t = 0; t < ntm; t++) {
        if (tm[t].is_special) {
            if (o->add_special_tokens) put(tk, e, k++, tm[t].id, 0, 0, 0, 0, -1, -1, tm[t].type_id, TOK_ADDED);
            continue;
        }
        tok_seq *q = tm[t].seq ? b : &s->a;
        if (!q) continue; /* a single template naming B */
        int type = o->add_special_tokens ? tm[t].type_id : (tm[t].seq && !tk->type_ids_zero);
        for (int i = 0; i < q->n; i++) {
            put(tk, e, k++, q->id[i], q->cs[i], q->ce[i], q->bs[i], q->be[i], q->word[i], tm[t].seq, type,
                q->lit[i] ? TOK_LITERAL : TOK_TEXT);
            if (q->txt[i] >= 0) e->tokens[k - 1] = q->pool + q->txt[i];
        }
    }
    e->n = k;
    if (o->pad_to > 0 && pad(tk, e, o->pad_to, o->padding_side) != BB_OK) goto nomem;
    return BB_OK;
nomem:
    return bb_err(err, errlen, BB_ENOMEM, "tokenizer: out of memory");
}

int tok_encode_batch(const tok_tokenizer *tk, const char *const *texts, const char *const *pairs, int n,
                     const tok_options *o, tok_encoding **encs, char *err, size_t errlen) {
    tok_options def = tok_options_default();
    if (!o) o = &def;
    tok_options one = *o;
    one.pad_to = 0;
    int longest = o->pad_to;
    for (int i = 0; i < n; i++) {
        int rc = tok_encode(tk, texts[i], -1, pairs ? pairs[i] : NULL, -1, &one, encs[i], err, errlen);
        if (rc != BB_OK) return rc;
        if (encs[i]->n > longest) longest = encs[i]->n;
    }
    for (int i = 0; i < n; i++)
        if (pad(tk, encs[i], longest, o->padding_side) != BB_OK)
            return bb_err(err, errlen, BB_ENOMEM, "tokenizer: out of memory");
    return BB_OK;
}

int tok_count(const tok_tokenizer *tk, const char *text, long len, tok_encoding *e) {
    struct tok_scratch *s = scratch_get(e);
    if (!s) return BB_ENOMEM;
    if (len < 0) len = (long)strlen(text);
    s->a.n = 0;
    s->work = e->work;
    if (tok_pipeline(tk, text, len, s) != BB_OK) return BB_ENOMEM;
    int rc = tok_model_run(tk, s, &s->a);
    return rc != BB_OK ? rc : s->a.n;
}

/* ---- decoding ------------------------------------------------------------------------------------------ */

void tok_sbuf_put(tok_sbuf *b, const char *s, size_t n) {
    if (b->bad) return;
    if (b->n + n + 1 > b->cap) {
        size_t nc = b->cap ? b->cap : 64;
        while (nc < b->n + n + 1) nc *= 2;
        char *np = realloc(b->p, nc);
        if (!np) {
            b->bad = 1;
            return;
        }
        b->p = np, b->cap = nc;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

/* HF's WordPiece decoder cleanup, applied to each token after its space was added. */
static void wp_cleanup_put(tok_sbuf *b, const char *t, size_t n) {
    static const char *from[] = {" .", " ?", " !", " ,", " ' ", " n't", " 'm", " do not", " 's", " 've", " 're"};
    static const char *to[] = {".", "?", "!", ",", "'", "n't", "'m", " don't", "'s", "'ve", "'re"};
    char tmp[512];
    if (n >= sizeof tmp) {
        tok_sbuf_put(b, t, n);
        return;
    }
    memcpy(tmp, t, n);
    tmp[n] = 0;
    for (int r = 0; r < 11; r++) {
        size_t fl = strlen(from[r]), tl = strlen(to[r]);
        char out[512];
        size_t on = 0;
        for (size_t i = 0; tmp[i];) {
            if (strncmp(tmp + i, from[r], fl) == 0) {
                memcpy(out + on, to[r], tl), on += tl, i += fl;
            } else {
                out[on++] = tmp[i++];
            }
        }
        out[on] = 0;
        memcpy(tmp, out, on + 1);
    }
    tok_sbuf_put(b, tmp, strlen(tmp));
}

void tok_clean_up_tokenization(char *text) {
    static const char *from[] = {" .", " ?", " !", " ,", " ' ", " n't", " 'm", " 's", " 've", " 're"};
    static const char *to[] = {".", "?", "!", ",", "'", "n't", "'m", "'s", "'ve", "'re"};
    /* Python's chained str.replace: each rule over the whole text in turn; every rule shortens. */
    for (size_t r = 0; r < sizeof from / sizeof *from; r++) {
        size_t fl = strlen(from[r]), tl = strlen(to[r]);
        char *w = text;
        for (const char *p = text; *p;) {
            if (strncmp(p, from[r], fl) == 0) {
                memmove(w, to[r], tl), w += tl, p += fl;
            } else {
                *w++ = *p++;
            }
        }
        *w = 0;
    }
}

/* Rust's String::from_utf8_lossy: each maximal invalid subsequence becomes one U+FFFD. */
static void put_lossy(tok_sbuf *b, const unsigned char *s, size_t n) {
    for (size_t i = 0; i < n;) {
        unsigned c = s[i];
        size_t len = 0;
        if (c < 0x80) len = 1;
        else if (c >= 0xC2 && c <= 0xDF) len = 2;
        else if (c >= 0xE0 && c <= 0xEF) len = 3;
        else if (c >= 0xF0 && c <= 0xF4) len = 4;
        if (len == 1) {
            tok_sbuf_put(b, (const char *)s + i, 1), i++;
            continue;
        }
        size_t ok = 1;
        if (len) {
            for (; ok < len && i + ok < n; ok++) {
                unsigned d = s[i + ok];
                unsigned lo = 0x80, hi = 0xBF;
                if (ok == 1) {
                    if (c == 0xE0) lo = 0xA0;
                    else if (c == 0xED) hi = 0x9F;
                    else if (c == 0xF0) lo = 0x90;
                    else if (c == 0xF4) hi = 0x8F;
                }
                if (d < lo || d > hi) break;
            }
        }
        if (len && ok == len) {
            tok_sbuf_put(b, (const char *)s + i, len);
            i += len;
        } else {
            tok_sbuf_put(b, "\xEF\xBF\xBD", 3);
            i += ok;
        }
    }
}

char *tok_decode_len_dup(const tok_tokenizer *tk, const int32_t *ids, int n, int skip_special, size_t *len) {
    if (tk->spm) return (tk->spm->hf ? tok_hf_decode_dup : tok_spm_decode_dup)(tk, ids, n, skip_special, len);
    tok_sbuf b = {0};
    tok_sbuf_put(&b, "", 0);
    unsigned char *bytes = NULL;
    size_t nbytes = 0, bcap = 0;
    int i = 0;
    for (int k = 0; k < n; k++) {
        int32_t id = ids[k];
        if (id < 0 || id >= tk->n_vocab || !tk->str[id]) continue;
        if (skip_special && tk->is_special[id]) continue;
        const char *t = tk->str[id];
        size_t tl = tk->len[id];
        if (tk->dec == TOK_DEC_BYTELEVEL) {
            if (nbytes + tl > bcap) {
                size_t nc = bcap ? bcap * 2 : 256;
                while (nc < nbytes + tl) nc *= 2;
                unsigned char *np = realloc(bytes, nc);
                if (!np) {
                    free(bytes), free(b.p);
                    return NULL;
                }
                bytes = np, bcap = nc;
            }
            /* A token whose characters all stand for bytes gives those bytes; any other gives itself. */
            size_t start = nbytes;
            int all = 1;
            for (size_t p = 0; p < tl;) {
                int32_t cp;
                p += (size_t)tok_utf8_decode((const unsigned char *)t + p, (long)(tl - p), &cp);
                int by = tok_char_byte(cp);
                if (by < 0) {
                    all = 0;
                    break;
                }
                bytes[nbytes++] = (unsigned char)by;
            }
            if (!all) {
                nbytes = start;
                memcpy(bytes + nbytes, t, tl);
                nbytes += tl;
            }
        } else if (tk->dec == TOK_DEC_WORDPIECE) {
            size_t pl = strlen(tk->dec_prefix);
            char tmp[520];
            size_t tn = 0;
            if (i != 0 && pl && tl >= pl && memcmp(t, tk->dec_prefix, pl) == 0) {
                t += pl, tl -= pl;
            } else if (i != 0) {
                tmp[tn++] = ' ';
            }
            if (tl + tn < sizeof tmp) {
                memcpy(tmp + tn, t, tl);
                tn += tl;
                if (tk->dec_cleanup) wp_cleanup_put(&b, tmp, tn);
                else tok_sbuf_put(&b, tmp, tn);
            } else {
                if (tn) tok_sbuf_put(&b, " ", 1);
                tok_sbuf_put(&b, t, tl);
            }
        } else {
            if (i != 0) tok_sbuf_put(&b, " ", 1);
            tok_sbuf_put(&b, t, tl);
        }
        i++;
    }
    if (tk->dec == TOK_DEC_BYTELEVEL) put_lossy(&b, bytes, nbytes);
    free(bytes);
    if (b.bad) {
        free(b.p);
        return NULL;
    }
    if (len) *len = b.n;
    return b.p;
}

char *tok_decode_dup(const tok_tokenizer *tk, const int32_t *ids, int n, int skip_special) {
    return tok_decode_len_dup(tk, ids, n, skip_special, NULL);
}

/* ---- inspection ------------------------------------------------------------------------------------------ */

int tok_inspect(const tok_tokenizer *tk, const char *text, long len, tok_stages *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    if (len < 0) len = (long)strlen(text);
    struct tok_scratch *s = calloc(1, sizeof *s);
    if (!s) return bb_err(err, errlen, BB_ENOMEM, "tokenizer: out of memory");
    int rc = BB_ENOMEM;
    if (tok_pipeline(tk, text, len, s) != BB_OK) goto done;
    if ((rc = tok_model_run(tk, s, &s->a)) != BB_OK) {
        model_error(rc, text, s, err, errlen);
        scratch_free(s);
        return rc;
    }
    rc = BB_ENOMEM;
    out->normalized = malloc((size_t)s->nb_len + 1);
    out->char_orig = malloc(sizeof(int32_t) * 2 * ((size_t)s->nb_len + 1));
    out->words = calloc((size_t)s->nw + 1, sizeof *out->words);
    out->pieces = calloc((size_t)s->a.n + 1, sizeof *out->pieces);
    /* Word strings: byte-level words grow to at most 2 bytes per byte. */
    out->pool_ = malloc((size_t)s->nb_len * 2 + (size_t)s->nw + 1);
    if (!out->normalized || !out->char_orig || !out->words || !out->pieces || !out->pool_) goto done;
    if (s->nb_len) memcpy(out->normalized, s->nb, (size_t)s->nb_len); /* nb is NULL for an empty text */
    out->normalized[s->nb_len] = 0;
    for (long i = 0; i < s->nb_len;) {
        int n;
        cp_at(s, i, s->nb_len, &n);
        out->char_orig[2 * out->n_chars] = s->b2c[s->nal[2 * i]];
        out->char_orig[2 * out->n_chars + 1] = s->b2c[s->nal[2 * (i + n - 1) + 1]];
        out->n_chars++, i += n;
    }
    char *p = out->pool_;
    for (long w = 0; w < s->nw; w++) {
        const tok_wordspan *ws = &s->w[w];
        tok_word *o = &out->words[w];
        o->text = p;
        if (tk->pre == TOK_PRE_BYTELEVEL && ws->special < 0) {
            for (long i = ws->ns; i < ws->ne; i++) p += tok_utf8_encode(tok_byte_char((uint8_t)s->nb[i]), p);
        } else {
            memcpy(p, s->nb + ws->ns, (size_t)(ws->ne - ws->ns));
            p += ws->ne - ws->ns;
        }
        *p++ = 0;
        o->start = s->b2c[s->nal[2 * ws->ns]];
        o->end = s->b2c[s->nal[2 * (ws->ne - 1) + 1]];
        o->special = ws->special >= 0;
    }
    out->n_words = (int)s->nw;
    for (int k = 0; k < s->a.n; k++) {
        tok_piece *pc = &out->pieces[k];
        pc->id = s->a.id[k];
        pc->token = tk->str[pc->id] ? tk->str[pc->id] : "";
        pc->word = s->a.word[k];
        pc->start = s->a.cs[k], pc->end = s->a.ce[k];
    }
    out->n_pieces = s->a.n;
    if (tk->spm) {
        out->rule = tok_spm_rule_name(tk);
        out->mapped = tok_spm_mapped_dup(tk, text, len);
        out->scores = malloc(sizeof(double) * ((size_t)s->a.n + 1));
        if (!out->mapped || !out->scores) goto done;
        for (int k = 0; k < s->a.n; k++) out->scores[k] = tok_spm_piece_score(tk, s->a.id[k]);
    }
    rc = BB_OK;
done:
    scratch_free(s);
    if (rc != BB_OK) {
        tok_stages_free(out);
        return bb_err(err, errlen, rc, "tokenizer: out of memory");
    }
    return BB_OK;
}

void tok_stages_free(tok_stages *st) {
    if (!st) return;
    free(st->normalized), free(st->char_orig), free(st->words), free(st->pieces), free(st->pool_);
    free(st->mapped), free(st->scores);
    memset(st, 0, sizeof *st);
}
