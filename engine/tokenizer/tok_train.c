/* tok_train.c — WordPiece and byte-level BPE trainers (the HF recipe: count words after normalizing and
 * pre-tokenizing, start from the alphabet, merge the most frequent adjacent pair until the vocabulary
 * is full; WordPiece marks non-initial pieces with "##").
 *
 * Pair statistics are kept incrementally: a count per pair, the words each pair occurs in, and a
 * lazy max-heap of (count, pair), so a merge touches only the words that hold the pair. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tok_internal.h"

typedef struct {
    char *s;
    int len;
    long count;
} tr_word;

struct tok_trainer {
    tok_train_options o;
    tok_tokenizer shell; /* normalizer + pre-tokenizer settings only */
    struct tok_scratch sc;
    tr_word *words;
    long n_words, cap_words;
    long *slots; /* word index + 1, 0 = empty */
    long n_slots;
};

tok_train_options tok_train_options_default(tok_model_kind algo) {
    tok_train_options o = {0};
    o.algo = algo;
    o.vocab_size = 30000;
    o.min_frequency = 2;
    o.limit_alphabet = algo == TOK_MODEL_WORDPIECE ? 1000 : 0;
    o.lowercase = 1;
    return o;
}

int tok_trainer_new(tok_trainer **out, const tok_train_options *o, char *err, size_t errlen) {
    *out = NULL;
    if (o->vocab_size < 1 || o->vocab_size > (1 << 24))
        return bb_err(err, errlen, BB_EINVAL, "train: vocab_size %d is out of range", o->vocab_size);
    tok_trainer *tr = calloc(1, sizeof *tr);
    if (!tr) return bb_err(err, errlen, BB_ENOMEM, "train: out of memory");
    tr->o = *o;
    if (o->algo == TOK_MODEL_WORDPIECE) {
        tr->shell.bert_norm = 1, tr->shell.clean_text = 1, tr->shell.chinese = 1, tr->shell.strip_accents = -1;
        tr->shell.lower = o->lowercase != 0;
        tr->shell.pre = TOK_PRE_BERT;
    } else {
        tr->shell.pre = TOK_PRE_BYTELEVEL, tr->shell.use_regex = 1;
    }
    *out = tr;
    return BB_OK;
}

void tok_trainer_free(tok_trainer *tr) {
    if (!tr) return;
    for (long i = 0; i < tr->n_words; i++) free(tr->words[i].s);
    free(tr->words), free(tr->slots);
    struct tok_scratch *s = &tr->sc;
    free(s->nb), free(s->nal), free(s->b2c), free(s->w);
    free(tr);
}

static int word_add(tok_trainer *tr, const char *s, int len) {
    if (tr->n_words * 2 + 2 > tr->n_slots) {
        long ns = tr->n_slots ? tr->n_slots * 2 : 1024;
        long *nsl = calloc((size_t)ns, sizeof *nsl);
        if (!nsl) return BB_ENOMEM;
        for (long i = 0; i < tr->n_words; i++) {
            uint32_t h = tok_hash(tr->words[i].s, (size_t)tr->words[i].len);
            long j = (long)(h & (uint32_t)(ns - 1));
            while (nsl[j]) j = (j + 1) & (ns - 1);
            nsl[j] = i + 1;
        }
        free(tr->slots);
        tr->slots = nsl, tr->n_slots = ns;
    }
    uint32_t h = tok_hash(s, (size_t)len);
    long j = (long)(h & (uint32_t)(tr->n_slots - 1));
    for (; tr->slots[j]; j = (j + 1) & (tr->n_slots - 1)) {
        tr_word *w = &tr->words[tr->slots[j] - 1];
        if (w->len == len && memcmp(w->s, s, (size_t)len) == 0) {
            w->count++;
            return BB_OK;
        }
    }
    if (tr->n_words == tr->cap_words) {
        long nc = tr->cap_words ? tr->cap_words * 2 : 1024;
        tr_word *nw = realloc(tr->words, sizeof *nw * (size_t)nc);
        if (!nw) return BB_ENOMEM;
        tr->words = nw, tr->cap_words = nc;
    }
    char *c = malloc((size_t)len + 1);
    if (!c) return BB_ENOMEM;
    memcpy(c, s, (size_t)len);
    c[len] = 0;
    tr->words[tr->n_words] = (tr_word){c, len, 1};
    tr->slots[j] = ++tr->n_words;
    return BB_OK;
}

int tok_trainer_feed(tok_trainer *tr, const char *text, long len, char *err, size_t errlen) {
    if (len < 0) len = (long)strlen(text);
    if (tok_pipeline(&tr->shell, text, len, &tr->sc) != BB_OK) return bb_err(err, errlen, BB_ENOMEM, "train: out of memory");
    for (long w = 0; w < tr->sc.nw; w++) {
        const tok_wordspan *ws = &tr->sc.w[w];
        if (ws->ne - ws->ns > 1000) continue; /* a run of 1000 bytes is no word worth learning */
        if (word_add(tr, tr->sc.nb + ws->ns, (int)(ws->ne - ws->ns)) != BB_OK)
            return bb_err(err, errlen, BB_ENOMEM, "train: out of memory");
    }
    return BB_OK;
}

/* ---- the vocabulary being built ---------------------------------------------------------------------- */

typedef struct {
    tok_tokenizer *tk; /* str/len/n_vocab grow here; full map rebuilt at the end */
    int cap;
    tok_map map;       /* incremental string -> id */
} vb;

static int32_t vb_get(vb *v, const char *s, size_t n) {
    return tok_map_get(&v->map, v->tk, s, n, tok_hash(s, n));
}

static int vb_add(vb *v, const char *s, size_t n, int32_t *id) {
    int32_t have = vb_get(v, s, n);
    if (have >= 0) return *id = have, BB_OK;
    tok_tokenizer *tk = v->tk;
    if (tk->n_vocab == v->cap) {
        int nc = v->cap ? v->cap * 2 : 1024;
        char **ns = realloc(tk->str, sizeof *ns * (size_t)nc);
        if (!ns) return BB_ENOMEM;
        tk->str = ns;
        uint32_t *nl = realloc(tk->len, sizeof *nl * (size_t)nc);
        if (!nl) return BB_ENOMEM;
        tk->len = nl, v->cap = nc;
    }
    char *c = malloc(n + 1);
    if (!c) return BB_ENOMEM;
    memcpy(c, s, n);
    c[n] = 0;
    *id = tk->n_vocab;
    tk->str[*id] = c, tk->len[*id] = (uint32_t)n;
    tk->n_vocab++;
    if ((uint32_t)tk->n_vocab * 2u > v->map.mask) return tok_map_build(&v->map, tk, 0);
    uint32_t h = tok_hash(s, n);
    uint32_t i = h & v->map.mask;
    while (v->map.slots[i].id >= 0) i = (i + 1) & v->map.mask;
    v->map.slots[i] = (tok_slot){h, *id};
    return BB_OK;
}

/* ---- pair statistics -------------------------------------------------------------------------------- */

typedef struct {
    uint64_t key; /* left << 32 | right; UINT64_MAX = empty */
    long count;
    long *where;  /* word indices (may repeat or be stale) */
    int n_where, cap_where;
} pstat;

typedef struct {
    pstat *t;
    uint64_t mask;
    long used;
} ptable;

typedef struct {
    long count;
    uint64_t key;
} hitem;

typedef struct {
    hitem *h;
    long n, cap;
} heap;

static int hless(hitem a, hitem b) { return a.count < b.count || (a.count == b.count && a.key > b.key); }

static int heap_push(heap *hp, hitem x) {
    if (hp->n == hp->cap) {
        long nc = hp->cap ? hp->cap * 2 : 1024;
        hitem *nh = realloc(hp->h, sizeof *nh * (size_t)nc);
        if (!nh) return BB_ENOMEM;
        hp->h = nh, hp->cap = nc;
    }
    long i = hp->n++;
    hp->h[i] = x;
    while (i > 0 && hless(hp->h[(i - 1) / 2], hp->h[i])) {
        hitem t = hp->h[i];
        hp->h[i] = hp->h[(i - 1) / 2], hp->h[(i - 1) / 2] = t;
        i = (i - 1) / 2;
    }
    return BB_OK;
}

static hitem heap_pop(heap *hp) {
    hitem top = hp->h[0];
    hp->h[0] = hp->h[--hp->n];
    for (long i = 0;;) {
        long l = 2 * i + 1, r = l + 1, m = i;
        if (l < hp->n && hless(hp->h[m], hp->h[l])) m = l;
        if (r < hp->n && hless(hp->h[m], hp->h[r])) m = r;
        if (m == i) break;
        hitem t = hp->h[i];
        hp->h[i] = hp->h[m], hp->h[m] = t;
        i = m;
    }
    return top;
}

static pstat *pt_get(ptable *p, uint64_t key, int create) {
    if (create && (uint64_t)(p->used + 1) * 2 > p->mask) {
        uint64_t nm = p->mask ? p->mask * 2 + 1 : 4095;
        pstat *nt = malloc(sizeof *nt * (nm + 1));
        if (!nt) return NULL;
        for (uint64_t i = 0; i <= nm; i++) nt[i].key = UINT64_MAX;
        for (uint64_t i = 0; p->t && i <= p->mask; i++) {
            if (p->t[i].key == UINT64_MAX) continue;
            uint64_t j = (p->t[i].key * 0x9E3779B97F4A7C15ull) >> 20 & nm;
            while (nt[j].key != UINT64_MAX) j = (j + 1) & nm;
            nt[j] = p->t[i];
        }
        free(p->t);
        p->t = nt, p->mask = nm;
    }
    if (!p->t) return NULL;
    uint64_t j = (key * 0x9E3779B97F4A7C15ull) >> 20 & p->mask;
    for (; p->t[j].key != UINT64_MAX; j = (j + 1) & p->mask)
        if (p->t[j].key == key) return &p->t[j];
    if (!create) return NULL;
    p->t[j] = (pstat){key, 0, NULL, 0, 0};
    p->used++;
    return &p->t[j];
}

static int pt_add(ptable *p, heap *hp, int32_t l, int32_t r, long delta, long word) {
    uint64_t key = (uint64_t)(uint32_t)l << 32 | (uint32_t)r;
    pstat *s = pt_get(p, key, 1);
    if (!s) return BB_ENOMEM;
    s->count += delta;
    if (delta > 0) {
        if (s->n_where == s->cap_where) {
            int nc = s->cap_where ? s->cap_where * 2 : 4;
            long *nw = realloc(s->where, sizeof *nw * (size_t)nc);
            if (!nw) return BB_ENOMEM;
            s->where = nw, s->cap_where = nc;
        }
        s->where[s->n_where++] = word;
        return heap_push(hp, (hitem){s->count, key});
    }
    return BB_OK;
}

static int cmp_i32(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* ---- training ------------------------------------------------------------------------------------------ */

typedef struct {
    int32_t *sym;
    int n;
} tr_syms;

/* What tok_trainer_finish builds, freed in one place (tr_build_free). */
typedef struct {
    tok_trainer *tr;
    int wp;                     /* WordPiece; else byte-level BPE */
    tok_tokenizer *tk;
    vb v;
    tr_syms *ws;                /* (n_words) each word as symbols */
    ptable pt;                  /* pair -> count and the words holding it */
    heap hp;                    /* pairs by count (stale entries are requeued when popped) */
    int32_t *merge_l, *merge_r; /* (n_merges) in the order learned */
    int n_merges, cap_merges;
} tr_build;

static void tr_build_free(tr_build *b) {
    free(b->v.map.slots);
    tok_free(b->tk);
    for (long w = 0; b->ws && w < b->tr->n_words; w++) free(b->ws[w].sym);
    free(b->ws);
    for (uint64_t i = 0; b->pt.t && i <= b->pt.mask; i++)
        if (b->pt.t[i].key != UINT64_MAX) free(b->pt.t[i].where);
    free(b->pt.t), free(b->hp.h), free(b->merge_l), free(b->merge_r);
}

static int oom(char *err, size_t errlen) { return bb_err(err, errlen, BB_ENOMEM, "train: out of memory"); }

/* Characters counted in a small open table: code point (-1 empty) and weighted count. */
typedef struct {
    int32_t *cp;  /* (cap) */
    long *count;  /* (cap) */
    long cap, used;
} char_table;

static int char_table_grow(char_table *t, long cap) {
    int32_t *ncp = malloc(sizeof(int32_t) * (size_t)cap);
    long *ncn = calloc((size_t)cap, sizeof *ncn);
    if (!ncp || !ncn) {
        free(ncp), free(ncn);
        return BB_ENOMEM;
    }
    for (long i = 0; i < cap; i++) ncp[i] = -1;
    for (long i = 0; i < t->cap; i++) {
        if (t->cp[i] < 0) continue;
        long j = ((uint32_t)t->cp[i] * 2654435761u) & (cap - 1);
        while (ncp[j] >= 0) j = (j + 1) & (cap - 1);
        ncp[j] = t->cp[i], ncn[j] = t->count[i];
    }
    free(t->cp), free(t->count);
    t->cp = ncp, t->count = ncn, t->cap = cap;
    return BB_OK;
}

static int char_table_add(char_table *t, int32_t cp, long count) {
    if (t->used * 2 + 2 > t->cap && char_table_grow(t, t->cap * 2) != BB_OK) return BB_ENOMEM;
    long j = ((uint32_t)cp * 2654435761u) & (t->cap - 1);
    while (t->cp[j] >= 0 && t->cp[j] != cp) j = (j + 1) & (t->cap - 1);
    if (t->cp[j] < 0) t->cp[j] = cp, t->used++;
    t->count[j] += count;
    return BB_OK;
}

/* WordPiece's alphabet: the words' characters weighted by word frequency, the limit_alphabet most
 * frequent (ties: smaller code point). *alpha is malloc'd. */
static int wordpiece_alphabet(const tok_trainer *tr, int32_t **alpha_out, int *n_out) {
    char_table t = {0};
    int rc = char_table_grow(&t, 1024);
    for (long w = 0; rc == BB_OK && w < tr->n_words; w++) {
        const unsigned char *s = (const unsigned char *)tr->words[w].s;
        for (int p = 0; rc == BB_OK && p < tr->words[w].len;) {
            int32_t cp;
            p += tok_utf8_decode(s + p, tr->words[w].len - p, &cp);
            rc = char_table_add(&t, cp, tr->words[w].count);
        }
    }
    int32_t *alpha = rc == BB_OK ? malloc(sizeof(int32_t) * ((size_t)t.used + 1)) : NULL;
    long *ac = rc == BB_OK ? malloc(sizeof(long) * ((size_t)t.used + 1)) : NULL;
    if (!alpha || !ac) {
        free(alpha), free(ac), free(t.cp), free(t.count);
        return BB_ENOMEM;
    }
    int n = 0;
    for (long i = 0; i < t.cap; i++)
        if (t.cp[i] >= 0) alpha[n] = t.cp[i], ac[n++] = t.count[i];
    for (int i = 1; i < n; i++) /* insertion sort by (count desc, cp asc): alphabets are small */
        for (int j = i; j > 0 && (ac[j] > ac[j - 1] || (ac[j] == ac[j - 1] && alpha[j] < alpha[j - 1])); j--) {
            long c = ac[j];
            ac[j] = ac[j - 1], ac[j - 1] = c;
            int32_t u = alpha[j];
            alpha[j] = alpha[j - 1], alpha[j - 1] = u;
        }
    if (tr->o.limit_alphabet > 0 && n > tr->o.limit_alphabet) n = tr->o.limit_alphabet;
    free(ac), free(t.cp), free(t.count);
    *alpha_out = alpha, *n_out = n;
    return BB_OK;
}

/* The alphabet into the vocabulary in code point order: byte-level BPE takes all 256 byte symbols,
 * WordPiece the most frequent characters. */
static int add_alphabet(tr_build *b) {
    int32_t *alpha = NULL;
    int n = 0;
    if (!b->wp) {
        alpha = malloc(sizeof(int32_t) * 256);
        if (!alpha) return BB_ENOMEM;
        for (int c = 0; c < 256; c++) alpha[n++] = tok_byte_char(c);
    } else if (wordpiece_alphabet(b->tr, &alpha, &n) != BB_OK) {
        return BB_ENOMEM;
    }
    qsort(alpha, (size_t)n, sizeof *alpha, cmp_i32);
    int rc = BB_OK;
    for (int i = 0; rc == BB_OK && i < n; i++) {
        char u[4];
        int32_t id;
        int k = tok_utf8_encode(alpha[i], u);
        rc = vb_add(&b->v, u, (size_t)k, &id);
    }
    free(alpha);
    return rc;
}

/* Words as symbol sequences (WordPiece continuation symbols carry "##"; characters outside the
 * alphabet drop out of the word: they become [UNK] when encoding), and the counts of adjacent pairs. */
static int split_words(tr_build *b) {
    const tok_trainer *tr = b->tr;
    for (long w = 0; w < tr->n_words; w++) {
        const tr_word *word = &tr->words[w];
        tr_syms *ws = &b->ws[w];
        ws->sym = malloc(sizeof(int32_t) * ((size_t)word->len + 1));
        if (!ws->sym) return BB_ENOMEM;
        const unsigned char *s = (const unsigned char *)word->s;
        for (int p = 0; p < word->len;) {
            char u[8];
            int n = 0;
            if (b->wp) {
                int32_t cp;
                p += tok_utf8_decode(s + p, word->len - p, &cp);
                char c1[4];
                int c1n = tok_utf8_encode(cp, c1);
                if (vb_get(&b->v, c1, (size_t)c1n) < 0) continue;
                if (ws->n > 0) u[n++] = '#', u[n++] = '#';
                memcpy(u + n, c1, (size_t)c1n), n += c1n;
            } else {
                n = tok_utf8_encode(tok_byte_char(s[p++]), u);
            }
            int32_t id;
            if (vb_add(&b->v, u, (size_t)n, &id) != BB_OK) return BB_ENOMEM;
            ws->sym[ws->n++] = id;
        }
    }
    for (long w = 0; w < tr->n_words; w++)
        for (int k = 0; k + 1 < b->ws[w].n; k++)
            if (pt_add(&b->pt, &b->hp, b->ws[w].sym[k], b->ws[w].sym[k + 1], tr->words[w].count, w) != BB_OK)
                return BB_ENOMEM;
    return BB_OK;
}

static int record_merge(tr_build *b, int32_t l, int32_t r) {
    if (b->n_merges == b->cap_merges) {
        int cap = b->cap_merges ? b->cap_merges * 2 : 1024;
        int32_t *a = realloc(b->merge_l, sizeof(int32_t) * (size_t)cap);
        if (!a) return BB_ENOMEM;
        b->merge_l = a;
        a = realloc(b->merge_r, sizeof(int32_t) * (size_t)cap);
        if (!a) return BB_ENOMEM;
        b->merge_r = a, b->cap_merges = cap;
    }
    b->merge_l[b->n_merges] = l, b->merge_r[b->n_merges] = r, b->n_merges++;
    return BB_OK;
}

/* (l, r) -> nid in word w, with the counts of the pairs around each merge moved over. */
static int merge_in_word(tr_build *b, long w, int32_t l, int32_t r, int32_t nid) {
    long c = b->tr->words[w].count;
    int32_t *sy = b->ws[w].sym;
    int n = b->ws[w].n;
    ptable *pt = &b->pt;
    heap *hp = &b->hp;
    for (int i = 0; i + 1 < n; i++) {
        if (sy[i] != l || sy[i + 1] != r) continue;
        if (i > 0 && (pt_add(pt, hp, sy[i - 1], l, -c, w) != BB_OK || pt_add(pt, hp, sy[i - 1], nid, c, w) != BB_OK))
            return BB_ENOMEM;
        if (i + 2 < n && (pt_add(pt, hp, r, sy[i + 2], -c, w) != BB_OK || pt_add(pt, hp, nid, sy[i + 2], c, w) != BB_OK))
            return BB_ENOMEM;
        if (pt_add(pt, hp, l, r, -c, w) != BB_OK) return BB_ENOMEM;
        sy[i] = nid;
        memmove(sy + i + 1, sy + i + 2, sizeof(int32_t) * (size_t)(n - i - 2));
        n--;
    }
    b->ws[w].n = n;
    return BB_OK;
}

/* Applies merge (l, r) -> nid in every word holding the pair, once per word (seen[w] == stamp). The
 * where-list is taken first: updating counts may grow the table and move st. */
static int apply_merge(tr_build *b, pstat *st, int32_t l, int32_t r, int32_t nid, long *seen, long stamp) {
    int nw = st->n_where;
    long *where = st->where;
    st->where = NULL, st->n_where = st->cap_where = 0;
    int rc = BB_OK;
    for (int k = 0; rc == BB_OK && k < nw; k++) {
        long w = where[k];
        if (seen[w] == stamp) continue;
        seen[w] = stamp;
        rc = merge_in_word(b, w, l, r, nid);
    }
    free(where);
    return rc;
}

/* Merges the most frequent pair into a new symbol (left + right without its "##") until the vocabulary
 * has vocab_size entries or no pair occurs min_frequency times; the work's cancel and progress every
 * 64 merges. */
static int learn_merges(tr_build *b, char *err, size_t errlen) {
    const tok_trainer *tr = b->tr;
    const tok_tokenizer *tk = b->tk;
    long *seen = calloc((size_t)tr->n_words + 1, sizeof *seen);
    if (!seen) return oom(err, errlen);
    long stamp = 0;
    const int target = tr->o.vocab_size;
    int rc = BB_OK;
    while (rc == BB_OK && tk->n_vocab < target && b->hp.n > 0) {
        hitem top = heap_pop(&b->hp);
        pstat *st = pt_get(&b->pt, top.key, 0);
        if (!st) continue;
        if (st->count != top.count) { /* stale entry: requeue the pair at its current count */
            if (st->count > 0 && heap_push(&b->hp, (hitem){st->count, top.key}) != BB_OK) rc = BB_ENOMEM;
            continue;
        }
        if (st->count < tr->o.min_frequency || st->count <= 0) break;
        int32_t l = (int32_t)(top.key >> 32), r = (int32_t)(top.key & 0xFFFFFFFFu);
        char buf[2048];
        size_t ln = tk->len[l], rn = tk->len[r], skip = b->wp && rn > 2 && memcmp(tk->str[r], "##", 2) == 0 ? 2 : 0;
        if (ln + rn - skip >= sizeof buf) {
            st->count = 0;
            continue;
        }
        memcpy(buf, tk->str[l], ln);
        memcpy(buf + ln, tk->str[r] + skip, rn - skip);
        int32_t nid;
        if (vb_add(&b->v, buf, ln + rn - skip, &nid) != BB_OK || record_merge(b, l, r) != BB_OK ||
            apply_merge(b, st, l, r, nid, seen, ++stamp) != BB_OK) {
            rc = BB_ENOMEM;
            break;
        }
        if ((b->n_merges & 63) == 0) {
            bb_work_progress(tr->o.work, "vocabulary", tk->n_vocab < target ? tk->n_vocab : target, target);
            if (bb_work_cancelled(tr->o.work)) rc = bb_work_check(tr->o.work, "train", err, errlen);
        }
    }
    free(seen);
    return rc == BB_ENOMEM ? oom(err, errlen) : rc;
}

/* Byte-level BPE's pipeline, with the merges moved into tk and their lookup table allocated. */
static int set_bytelevel(tr_build *b) {
    tok_tokenizer *tk = b->tk;
    tk->pre = TOK_PRE_BYTELEVEL, tk->use_regex = 1;
    tk->dec = TOK_DEC_BYTELEVEL;
    tk->merge_left = b->merge_l, tk->merge_right = b->merge_r, tk->n_merges = b->n_merges;
    b->merge_l = b->merge_r = NULL;
    uint32_t cap = 64;
    while (cap < (uint32_t)tk->n_merges * 2u + 2u) cap <<= 1;
    tk->merges = malloc(sizeof *tk->merges * cap);
    if (!tk->merges) return BB_ENOMEM;
    tk->merge_mask = cap - 1;
    for (uint32_t i = 0; i < cap; i++) tk->merges[i].left = -1;
    return BB_OK;
}

/* Each merge by rank into the lookup table, with the id of the token it makes. */
static void fill_merge_table(tok_tokenizer *tk) {
    for (int rnk = 0; rnk < tk->n_merges; rnk++) {
        int32_t ml = tk->merge_left[rnk], mr = tk->merge_right[rnk];
        char buf[2048];
        snprintf(buf, sizeof buf, "%s%s", tk->str[ml], tk->str[mr]);
        int32_t id = tok_token_to_id(tk, buf);
        uint32_t h = ((uint32_t)ml * 0x9E3779B1u) ^ ((uint32_t)mr * 0x85EBCA77u);
        uint32_t i = h & tk->merge_mask;
        while (tk->merges[i].left >= 0) i = (i + 1) & tk->merge_mask;
        tk->merges[i] = (struct tok_merge){ml, mr, rnk, id};
    }
}

/* The post-processor: BERT's [CLS] A [SEP] B [SEP] (RoBERTa's <s> A </s></s> B </s> for BPE) when the
 * specials are there, else the texts alone. */
static void set_templates(tok_tokenizer *t, int wp) {
    t->unk = wp ? t->sp.unk : -1;
    if (t->sp.cls >= 0 && t->sp.sep >= 0) {
        tok_set_bert_template(t, t->sp.cls, t->sp.sep);
        if (!wp) {
            tok_tmpl_item *p = t->pair;
            p[3] = p[2], p[4] = (tok_tmpl_item){0, -1, 1, 0}, p[5] = p[2];
            t->n_pair = 6;
            t->post_kind = TOK_POST_ROBERTA, t->type_ids_zero = 1, t->trim_offsets = 1;
        }
    } else {
        t->n_single = 1, t->single[0] = (tok_tmpl_item){0, -1, 0, 0};
        t->n_pair = 2, t->pair[0] = t->single[0], t->pair[1] = (tok_tmpl_item){0, -1, 1, !wp ? 0 : 1};
    }
}

/* The tokenizer around the learned vocabulary: the specials as added tokens, the WordPiece or
 * byte-level pipeline, the merge table and the templates. */
static int build_tokenizer(tr_build *b, const char *const *sp, int n_sp, const int32_t *sp_id, char *err,
                           size_t errlen) {
    tok_tokenizer *tk = b->tk;
    for (int k = 0; k < n_sp; k++)
        if (*sp[k] && tok_add_added(tk, sp_id[k], sp[k], 0, 0, 1) != BB_OK) return oom(err, errlen);
    if (b->wp)
        tok_wordpiece_defaults(tk, b->tr->o.lowercase);
    else if (set_bytelevel(b) != BB_OK)
        return oom(err, errlen);
    int rc = tok_finish(tk, err, errlen);
    if (rc != BB_OK) return rc;
    if (!b->wp) fill_merge_table(tk);
    set_templates(tk, b->wp);
    return BB_OK;
}

int tok_trainer_finish(tok_trainer *tr, tok_tokenizer **out, char *err, size_t errlen) {
    *out = NULL;
    static const char *wp_sp[] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
    static const char *bpe_sp[] = {"<s>", "<pad>", "</s>", "<unk>", "<mask>"};
    tr_build b = {.tr = tr, .wp = tr->o.algo == TOK_MODEL_WORDPIECE};
    const char *const *sp = tr->o.special_tokens ? tr->o.special_tokens : b.wp ? wp_sp : bpe_sp;
    int n_sp = tr->o.special_tokens ? tr->o.n_special : 5;
    if (n_sp < 0 || n_sp > 64) return bb_err(err, errlen, BB_EINVAL, "train: %d special tokens (at most 64)", n_sp);
    b.tk = calloc(1, sizeof *b.tk);
    b.ws = calloc((size_t)tr->n_words + 1, sizeof *b.ws);
    b.v = (vb){b.tk, 0, {0}};
    int32_t sp_id[64];
    int rc = b.tk && b.ws ? BB_OK : BB_ENOMEM;
    if (rc == BB_OK) {
        b.tk->kind = tr->o.algo;
        b.tk->unk = -1;
        rc = tok_map_build(&b.v.map, b.tk, 0);
    }
    for (int k = 0; rc == BB_OK && k < n_sp; k++) rc = vb_add(&b.v, sp[k], strlen(sp[k]), &sp_id[k]);
    if (rc == BB_OK) rc = add_alphabet(&b);
    if (rc == BB_OK) rc = split_words(&b);
    if (rc != BB_OK) rc = oom(err, errlen); /* the stages so far fail only for memory */
    if (rc == BB_OK) rc = learn_merges(&b, err, errlen);
    if (rc == BB_OK) rc = build_tokenizer(&b, sp, n_sp, sp_id, err, errlen);
    if (rc == BB_OK) {
        bb_work_progress(tr->o.work, "vocabulary", tr->o.vocab_size, tr->o.vocab_size);
        *out = b.tk;
        b.tk = NULL;
    }
    tr_build_free(&b);
    return rc;
}
