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

int tok_trainer_finish(tok_trainer *tr, tok_tokenizer **out, char *err, size_t errlen) {
    *out = NULL;
    const int wp = tr->o.algo == TOK_MODEL_WORDPIECE;
    static const char *wp_sp[] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
    static const char *bpe_sp[] = {"<s>", "<pad>", "</s>", "<unk>", "<mask>"};
    const char *const *sp = tr->o.special_tokens ? tr->o.special_tokens : wp ? wp_sp : bpe_sp;
    int n_sp = tr->o.special_tokens ? tr->o.n_special : 5;
    tok_tokenizer *tk = calloc(1, sizeof *tk);
    vb v = {tk, 0, {0}};
    tr_syms *ws = calloc((size_t)tr->n_words + 1, sizeof *ws);
    ptable pt = {0};
    heap hp = {0};
    int32_t *merge_l = NULL, *merge_r = NULL;
    int n_merges = 0, cap_merges = 0;
    int rc = BB_ENOMEM;
    if (!tk || !ws) goto done;
    tk->kind = tr->o.algo;
    tk->unk = -1;
    if (n_sp < 0 || n_sp > 64) {
        rc = bb_err(err, errlen, BB_EINVAL, "train: %d special tokens (at most 64)", n_sp);
        goto done_msg;
    }
    int32_t sp_id[64];
    if (tok_map_build(&v.map, tk, 0) != BB_OK) goto done;
    for (int k = 0; k < n_sp; k++)
        if (vb_add(&v, sp[k], strlen(sp[k]), &sp_id[k]) != BB_OK) goto done;
    /* The alphabet: byte-level BPE takes all 256 byte symbols; WordPiece the most frequent characters. */
    int32_t *alpha = NULL;
    int n_alpha = 0;
    if (!wp) {
        alpha = malloc(sizeof(int32_t) * 256);
        if (!alpha) goto done;
        for (int b = 0; b < 256; b++) alpha[n_alpha++] = tok_byte_char(b);
    } else {
        /* Count characters (weighted by word frequency) in a small open table. */
        long cap = 1024, used = 0;
        int32_t *cps = malloc(sizeof(int32_t) * (size_t)cap);
        long *cnt = calloc((size_t)cap, sizeof *cnt);
        if (!cps || !cnt) {
            free(cps), free(cnt);
            goto done;
        }
        for (long i = 0; i < cap; i++) cps[i] = -1;
        for (long w = 0; w < tr->n_words; w++) {
            const unsigned char *s = (const unsigned char *)tr->words[w].s;
            for (int p = 0; p < tr->words[w].len;) {
                int32_t cp;
                p += tok_utf8_decode(s + p, tr->words[w].len - p, &cp);
                if (used * 2 + 2 > cap) {
                    long nc = cap * 2;
                    int32_t *ncp = malloc(sizeof(int32_t) * (size_t)nc);
                    long *ncn = calloc((size_t)nc, sizeof *ncn);
                    if (!ncp || !ncn) {
                        free(ncp), free(ncn), free(cps), free(cnt);
                        goto done;
                    }
                    for (long i = 0; i < nc; i++) ncp[i] = -1;
                    for (long i = 0; i < cap; i++) {
                        if (cps[i] < 0) continue;
                        long j = ((uint32_t)cps[i] * 2654435761u) & (nc - 1);
                        while (ncp[j] >= 0) j = (j + 1) & (nc - 1);
                        ncp[j] = cps[i], ncn[j] = cnt[i];
                    }
                    free(cps), free(cnt);
                    cps = ncp, cnt = ncn, cap = nc;
                }
                long j = ((uint32_t)cp * 2654435761u) & (cap - 1);
                while (cps[j] >= 0 && cps[j] != cp) j = (j + 1) & (cap - 1);
                if (cps[j] < 0) cps[j] = cp, used++;
                cnt[j] += tr->words[w].count;
            }
        }
        /* Keep the limit_alphabet most frequent (ties: smaller code point). */
        alpha = malloc(sizeof(int32_t) * ((size_t)used + 1));
        long *ac = malloc(sizeof(long) * ((size_t)used + 1));
        if (!alpha || !ac) {
            free(ac), free(cps), free(cnt);
            goto done;
        }
        for (long i = 0; i < cap; i++)
            if (cps[i] >= 0) alpha[n_alpha] = cps[i], ac[n_alpha++] = cnt[i];
        for (int i = 1; i < n_alpha; i++) /* insertion sort by (count desc, cp asc): alphabets are small */
            for (int j = i; j > 0 && (ac[j] > ac[j - 1] || (ac[j] == ac[j - 1] && alpha[j] < alpha[j - 1])); j--) {
                long t = ac[j];
                ac[j] = ac[j - 1], ac[j - 1] = t;
                int32_t u = alpha[j];
                alpha[j] = alpha[j - 1], alpha[j - 1] = u;
            }
        if (tr->o.limit_alphabet > 0 && n_alpha > tr->o.limit_alphabet) n_alpha = tr->o.limit_alphabet;
        free(ac), free(cps), free(cnt);
    }
    qsort(alpha, (size_t)n_alpha, sizeof *alpha, cmp_i32);
    for (int i = 0; i < n_alpha; i++) {
        char u[4];
        int32_t id;
        int n = tok_utf8_encode(alpha[i], u);
        if (vb_add(&v, u, (size_t)n, &id) != BB_OK) {
            free(alpha);
            goto done;
        }
    }
    free(alpha);
    /* Words as symbol sequences; WordPiece continuation symbols carry "##". Characters outside the
     * alphabet drop out of the word (they become [UNK] when encoding). */
    for (long w = 0; w < tr->n_words; w++) {
        const tr_word *word = &tr->words[w];
        ws[w].sym = malloc(sizeof(int32_t) * ((size_t)word->len + 1));
        if (!ws[w].sym) goto done;
        const unsigned char *s = (const unsigned char *)word->s;
        for (int p = 0; p < word->len;) {
            char u[8];
            int n = 0;
            int32_t cp;
            if (wp) {
                int cl = tok_utf8_decode(s + p, word->len - p, &cp);
                p += cl;
                char c1[4];
                int c1n = tok_utf8_encode(cp, c1);
                if (vb_get(&v, c1, (size_t)c1n) < 0) continue;
                if (ws[w].n > 0) u[n++] = '#', u[n++] = '#';
                memcpy(u + n, c1, (size_t)c1n), n += c1n;
            } else {
                n = tok_utf8_encode(tok_byte_char(s[p++]), u);
            }
            int32_t id;
            if (vb_add(&v, u, (size_t)n, &id) != BB_OK) goto done;
            ws[w].sym[ws[w].n++] = id;
        }
    }
    for (long w = 0; w < tr->n_words; w++)
        for (int k = 0; k + 1 < ws[w].n; k++)
            if (pt_add(&pt, &hp, ws[w].sym[k], ws[w].sym[k + 1], tr->words[w].count, w) != BB_OK) goto done;
    long *seen = calloc((size_t)tr->n_words + 1, sizeof *seen);
    if (!seen) goto done;
    long stamp = 0;
    const int target = tr->o.vocab_size;
    while (tk->n_vocab < target && hp.n > 0) {
        hitem top = heap_pop(&hp);
        pstat *st = pt_get(&pt, top.key, 0);
        if (!st) continue;
        if (st->count != top.count) { /* stale entry: requeue the pair at its current count */
            if (st->count > 0 && heap_push(&hp, (hitem){st->count, top.key}) != BB_OK) {
                free(seen);
                goto done;
            }
            continue;
        }
        if (st->count < tr->o.min_frequency || st->count <= 0) break;
        int32_t l = (int32_t)(top.key >> 32), r = (int32_t)(top.key & 0xFFFFFFFFu);
        /* New symbol: left + right without its "##". */
        char buf[2048];
        size_t ln = tk->len[l], rn = tk->len[r], skip = wp && rn > 2 && memcmp(tk->str[r], "##", 2) == 0 ? 2 : 0;
        if (ln + rn - skip >= sizeof buf) {
            st->count = 0;
            continue;
        }
        memcpy(buf, tk->str[l], ln);
        memcpy(buf + ln, tk->str[r] + skip, rn - skip);
        int32_t nid;
        if (vb_add(&v, buf, ln + rn - skip, &nid) != BB_OK) {
            free(seen);
            goto done;
        }
        if (n_merges == cap_merges) {
            cap_merges = cap_merges ? cap_merges * 2 : 1024;
            int32_t *a = realloc(merge_l, sizeof(int32_t) * (size_t)cap_merges);
            if (!a) {
                free(seen);
                goto done;
            }
            merge_l = a;
            a = realloc(merge_r, sizeof(int32_t) * (size_t)cap_merges);
            if (!a) {
                free(seen);
                goto done;
            }
            merge_r = a;
        }
        merge_l[n_merges] = l, merge_r[n_merges] = r, n_merges++;
        stamp++;
        /* Apply the merge in every word holding the pair. The where-list is copied first: updating
         * counts may grow the table and move st. */
        int nw = st->n_where;
        long *where = st->where;
        st->where = NULL, st->n_where = st->cap_where = 0;
        for (int k = 0; k < nw; k++) {
            long w = where[k];
            if (seen[w] == stamp) continue;
            seen[w] = stamp;
            long c = tr->words[w].count;
            int32_t *sy = ws[w].sym;
            int n = ws[w].n;
            for (int i = 0; i + 1 < n; i++) {
                if (sy[i] != l || sy[i + 1] != r) continue;
                if (i > 0 && (pt_add(&pt, &hp, sy[i - 1], l, -c, w) != BB_OK || pt_add(&pt, &hp, sy[i - 1], nid, c, w) != BB_OK))
                    goto oom;
                if (i + 2 < n && (pt_add(&pt, &hp, r, sy[i + 2], -c, w) != BB_OK || pt_add(&pt, &hp, nid, sy[i + 2], c, w) != BB_OK))
                    goto oom;
                if (pt_add(&pt, &hp, l, r, -c, w) != BB_OK) goto oom;
                sy[i] = nid;
                memmove(sy + i + 1, sy + i + 2, sizeof(int32_t) * (size_t)(n - i - 2));
                n--;
            }
            ws[w].n = n;
        }
        free(where);
        if ((n_merges & 63) == 0) {
            bb_work_progress(tr->o.work, "vocabulary", tk->n_vocab < target ? tk->n_vocab : target, target);
            if ((rc = bb_work_check(tr->o.work, "train", err, errlen)) != BB_OK) {
                free(seen);
                goto done_msg;
            }
        }
        continue;
    oom:
        free(where), free(seen);
        goto done;
    }
    free(seen);
    /* The tokenizer around the vocabulary. */
    for (int k = 0; k < n_sp; k++)
        if (*sp[k] && tok_add_added(tk, sp_id[k], sp[k], 0, 0, 1) != BB_OK) goto done;
    if (wp) {
        memcpy(tk->prefix, "##", 3);
        tk->prefix_len = 2;
        tk->max_chars = 100;
        tk->bert_norm = 1, tk->clean_text = 1, tk->chinese = 1, tk->strip_accents = -1, tk->lower = tr->o.lowercase != 0;
        tk->pre = TOK_PRE_BERT;
        tk->dec = TOK_DEC_WORDPIECE, tk->dec_cleanup = 1;
        memcpy(tk->dec_prefix, "##", 3);
    } else {
        tk->pre = TOK_PRE_BYTELEVEL, tk->use_regex = 1;
        tk->dec = TOK_DEC_BYTELEVEL;
        tk->merge_left = merge_l, tk->merge_right = merge_r, tk->n_merges = n_merges;
        merge_l = merge_r = NULL;
        uint32_t cap = 64;
        while (cap < (uint32_t)tk->n_merges * 2u + 2u) cap <<= 1;
        tk->merges = malloc(sizeof *tk->merges * cap);
        if (!tk->merges) goto done;
        tk->merge_mask = cap - 1;
        for (uint32_t i = 0; i < cap; i++) tk->merges[i].left = -1;
    }
    if ((rc = tok_finish(tk, err, errlen)) != BB_OK) goto done_msg;
    for (int rnk = 0; !wp && rnk < tk->n_merges; rnk++) {
        int32_t ml = tk->merge_left[rnk], mr = tk->merge_right[rnk];
        char buf[2048];
        snprintf(buf, sizeof buf, "%s%s", tk->str[ml], tk->str[mr]);
        int32_t id = tok_token_to_id(tk, buf);
        uint32_t h = ((uint32_t)ml * 0x9E3779B1u) ^ ((uint32_t)mr * 0x85EBCA77u);
        uint32_t i = h & tk->merge_mask;
        while (tk->merges[i].left >= 0) i = (i + 1) & tk->merge_mask;
        tk->merges[i] = (struct tok_merge){ml, mr, rnk, id};
    }
    tok_tokenizer *t = tk;
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
    bb_work_progress(tr->o.work, "vocabulary", target, target);
    *out = tk;
    tk = NULL;
    rc = BB_OK;
done:
    if (rc == BB_ENOMEM) bb_err(err, errlen, BB_ENOMEM, "train: out of memory");
done_msg:
    free(v.map.slots);
    tok_free(tk);
    for (long w = 0; ws && w < tr->n_words; w++) free(ws[w].sym);
    free(ws);
    for (uint64_t i = 0; pt.t && i <= pt.mask; i++)
        if (pt.t[i].key != UINT64_MAX) free(pt.t[i].where);
    free(pt.t), free(hp.h), free(merge_l), free(merge_r);
    return rc;
}
