/* tok_spm_encode.c — SentencePiece encoding and decoding: the normalizer (charsmap rules, whitespace,
 * dummy prefix, '▁'), Unigram Viterbi over the piece lattice, BPE merging by piece score, unknown runs
 * and byte fallback, and the decoder. Each step follows SentencePiece 0.1.97 (normalizer.cc,
 * unigram_model.cc EncodeOptimized, bpe_model.cc, sentencepiece_processor.cc) closely enough to give
 * its ids, pieces and offsets exactly, including its float arithmetic where ties are decided. */
#include <stdlib.h>
#include <string.h>

#include "tok_spm.h"

#define SPACE_SYMBOL "\xE2\x96\x81" /* U+2581 '▁' */

typedef struct {
    float score;
    int32_t left, right, size;
} spm_pair;

typedef struct {
    int32_t start, len, left_len;
} spm_rev;

struct tok_spm_scratch {
    double *best;          /* (n + 1) Viterbi: best score of a path ending at each byte */
    int32_t *from, *pid;   /* (n + 1) where that path's last piece starts, and its id */
    long cap;
    int32_t *ps, *pe, *pi; /* pieces found: normalized [ps, pe) and id */
    long np, pcap;
    int32_t *prev, *next, *ss, *sl; /* BPE symbols: neighbours, start and length in bytes */
    uint8_t *freeze;
    long scap;
    spm_pair *heap;
    long hn, hcap;
    spm_rev *rev;          /* merges into unused pieces, to split them again */
    long rn, rcap;
};

static int grow(void **p, long *cap, long need, size_t elem) {
    if (need <= *cap) return BB_OK;
    long nc = *cap ? *cap : 64;
    while (nc < need) nc *= 2;
    void *np = realloc(*p, (size_t)nc * elem);
    if (!np) return BB_ENOMEM;
    *p = np, *cap = nc;
    return BB_OK;
}

void tok_spm_scratch_free(struct tok_spm_scratch *ss) {
    if (!ss) return;
    free(ss->best), free(ss->from), free(ss->pid), free(ss->ps), free(ss->pe), free(ss->pi);
    free(ss->prev), free(ss->next), free(ss->ss), free(ss->sl), free(ss->freeze), free(ss->heap), free(ss->rev);
    free(ss);
}

/* SentencePiece's OneCharLen: the length a lead byte announces (continuation bytes count as 1). */
static inline int one_char_len(uint8_t c) { return "\1\1\1\1\1\1\1\1\1\1\1\1\2\2\3\4"[c >> 4]; }

/* ---- normalizer -------------------------------------------------------------------------------------- */

/* Normalizer::NormalizePrefix: the replacement for the text at t[i] and the bytes it consumes. A
 * user-defined piece passes through as it is; else the longest charsmap rule; else one character
 * (an invalid byte becomes U+FFFD). */
static long norm_prefix(const struct tok_spm *sp, const unsigned char *t, long i, long b, const char **rep,
                        long *replen) {
    if (sp->n_user) {
        long best = 0;
        int32_t node = 0;
        for (long k = i; k < b; k++) {
            if ((node = tok_trie_step(&sp->user, node, t[k])) < 0) break;
            if (sp->user.value[node] >= 0) best = k + 1 - i;
        }
        if (best) return *rep = (const char *)t + i, *replen = best, best;
    }
    const char *r;
    int m = tok_charsmap_match(&sp->cm, t + i, b - i, &r);
    if (m > 0) return *rep = r, *replen = (long)strlen(r), m;
    if (t[i] < 0x80) return *rep = (const char *)t + i, *replen = 1, 1;
    int32_t cp;
    int n = tok_utf8_decode(t + i, b - i, &cp);
    if (cp == 0xFFFD && n == 1) return *rep = "\xEF\xBF\xBD", *replen = 3, 1;
    return *rep = (const char *)t + i, *replen = n, n;
}

static inline void emit(struct tok_scratch *s, char c, long orig) {
    s->nal[2 * s->nb_len] = (int32_t)orig;
    s->nb[s->nb_len++] = c;
}

static void emit_ws(const struct tok_spm *sp, struct tok_scratch *s, long orig) {
    if (sp->escape_ws)
        for (int k = 0; k < 3; k++) emit(s, SPACE_SYMBOL[k], orig);
    else
        emit(s, ' ', orig);
}

int tok_spm_normalize(const tok_tokenizer *tk, const char *text, long a, long b, struct tok_scratch *s) {
    const struct tok_spm *sp = tk->spm;
    const unsigned char *t = (const unsigned char *)text;
    const char *rep;
    long replen, i = a;
    if (sp->remove_extra_ws)
        while (i < b) {
            long m = norm_prefix(sp, t, i, b, &rep, &replen);
            if (replen != 1 || rep[0] != ' ') break;
            i += m;
        }
    if (i >= b) return BB_OK;
    long start = s->nb_len;
    if (tok_scratch_reserve(s, s->nb_len + (b - i) * 3 + 8) != BB_OK) return BB_ENOMEM;
    int dummy = sp->add_dummy_prefix;
    if (!sp->treat_ws_as_suffix && dummy) emit_ws(sp, s, i);
    int prev_space = sp->remove_extra_ws;
    while (i < b) {
        long m = norm_prefix(sp, t, i, b, &rep, &replen);
        /* A space right after a space is dropped when collapsing whitespace. */
        while (prev_space && replen > 0 && rep[0] == ' ') rep++, replen--;
        if (replen > 0) {
            if (tok_scratch_reserve(s, s->nb_len + replen * 3 + (b - i) * 3 + 8) != BB_OK) return BB_ENOMEM;
            for (long k = 0; k < replen; k++) {
                if (sp->escape_ws && rep[k] == ' ') emit_ws(sp, s, i);
                else emit(s, rep[k], i);
            }
            prev_space = rep[replen - 1] == ' ';
        }
        i += m;
        if (!sp->remove_extra_ws) prev_space = 0;
    }
    long consumed = i;
    if (sp->remove_extra_ws) {
        const char *space = sp->escape_ws ? SPACE_SYMBOL : " ";
        long sl = sp->escape_ws ? 3 : 1;
        while (s->nb_len - start >= sl && memcmp(s->nb + s->nb_len - sl, space, (size_t)sl) == 0) {
            s->nb_len -= sl;
            consumed = s->nal[2 * s->nb_len];
        }
    }
    if (sp->treat_ws_as_suffix && dummy) emit_ws(sp, s, consumed);
    /* nal[2i + 1] is norm_to_orig[i + 1]: the next byte's origin, or where the text ended. */
    for (long k = start; k + 1 < s->nb_len; k++) s->nal[2 * k + 1] = s->nal[2 * (k + 1)];
    if (s->nb_len > start) s->nal[2 * (s->nb_len - 1) + 1] = (int32_t)consumed;
    return BB_OK;
}

/* ---- Unigram ------------------------------------------------------------------------------------------ */

static int add_piece(struct tok_spm_scratch *ss, long b, long e, int32_t id) {
    if (ss->np == ss->pcap) {
        long c1 = ss->pcap, c2 = ss->pcap, c3 = ss->pcap;
        if (grow((void **)&ss->ps, &c1, ss->np + 1, sizeof(int32_t)) != BB_OK ||
            grow((void **)&ss->pe, &c2, ss->np + 1, sizeof(int32_t)) != BB_OK ||
            grow((void **)&ss->pi, &c3, ss->np + 1, sizeof(int32_t)) != BB_OK)
            return BB_ENOMEM;
        ss->pcap = c1;
    }
    ss->ps[ss->np] = (int32_t)b, ss->pe[ss->np] = (int32_t)e, ss->pi[ss->np] = id;
    ss->np++;
    return BB_OK;
}

static int backtrack(struct tok_spm_scratch *ss, long n);

/* HF tokenizers' Unigram::encode_optimized: the same walk in double throughout, every vocabulary entry
 * in the trie, no bonus for user-defined pieces (those are added tokens there). */
static int unigram_hf(const tok_tokenizer *tk, struct tok_spm_scratch *ss, const unsigned char *t, long n) {
    const struct tok_spm *sp = tk->spm;
    long c1 = ss->cap, c2 = ss->cap, c3 = ss->cap;
    if (grow((void **)&ss->best, &c1, n + 1, sizeof(double)) != BB_OK ||
        grow((void **)&ss->from, &c2, n + 1, sizeof(int32_t)) != BB_OK ||
        grow((void **)&ss->pid, &c3, n + 1, sizeof(int32_t)) != BB_OK)
        return BB_ENOMEM;
    ss->cap = c1;
    double *best = ss->best;
    int32_t *from = ss->from, *pid = ss->pid;
    for (long i = 0; i <= n; i++) from[i] = -1;
    best[0] = 0;
    const double unk_score = sp->dmin - 10.0;
    for (long st = 0; st < n;) {
        const double here = best[st];
        long mblen = one_char_len(t[st]);
        if (mblen > n - st) mblen = n - st;
        int has_single = 0;
        int32_t node = 0;
        for (long k = st; k < n;) {
            if ((node = tok_trie_step(&sp->pieces, node, t[k++])) < 0) break;
            int32_t id = sp->pieces.value[node];
            if (id < 0) continue;
            double cand = sp->dscore[id] + here;
            if (from[k] == -1 || cand > best[k]) best[k] = cand, from[k] = (int32_t)st, pid[k] = id;
            if (k - st == mblen) has_single = 1;
        }
        if (!has_single) {
            long k = st + mblen;
            double cand = unk_score + here;
            if (from[k] == -1 || cand > best[k]) best[k] = cand, from[k] = (int32_t)st, pid[k] = tk->unk;
        }
        st += mblen;
    }
    return backtrack(ss, n);
}

/* EncodeOptimized: the best path ending at each byte, found while walking the piece trie from each
 * character. Scores are summed in double and stored in float, as the C++ does (its ternary makes the
 * piece score a double), so ties break the same way. */
static int unigram(const tok_tokenizer *tk, struct tok_spm_scratch *ss, const unsigned char *t, long n) {
    const struct tok_spm *sp = tk->spm;
    if (sp->hf) return unigram_hf(tk, ss, t, n);
    long c1 = ss->cap, c2 = ss->cap, c3 = ss->cap;
    if (grow((void **)&ss->best, &c1, n + 1, sizeof(double)) != BB_OK ||
        grow((void **)&ss->from, &c2, n + 1, sizeof(int32_t)) != BB_OK ||
        grow((void **)&ss->pid, &c3, n + 1, sizeof(int32_t)) != BB_OK)
        return BB_ENOMEM;
    ss->cap = c1;
    double *best = ss->best; /* each value is a float, as SentencePiece stores it */
    int32_t *from = ss->from, *pid = ss->pid;
    for (long i = 0; i <= n; i++) from[i] = -1;
    best[0] = 0;
    const float unk_score = sp->min_score - 10.0f;
    const float max_score = sp->max_score;
    const uint8_t *type = sp->type;
    const float *score = sp->score;
    for (long st = 0; st < n;) {
        const float here = (float)best[st];
        long mblen = one_char_len(t[st]);
        if (mblen > n - st) mblen = n - st;
        int has_single = 0;
        int32_t node = 0;
        for (long k = st; k < n;) {
            if ((node = tok_trie_step(&sp->pieces, node, t[k++])) < 0) break;
            int32_t id = sp->pieces.value[node];
            if (id < 0 || type[id] == SPM_UNUSED) continue;
            long length = k - st;
            double sc = type[id] == SPM_USER ? (double)((float)length * max_score) - 0.1 : (double)score[id];
            double cand = sc + here;
            if (from[k] == -1 || cand > best[k]) best[k] = (double)(float)cand, from[k] = (int32_t)st, pid[k] = id;
            if (length == mblen) has_single = 1;
        }
        if (!has_single) {
            long k = st + mblen;
            float cand = unk_score + here;
            if (from[k] == -1 || cand > best[k]) best[k] = cand, from[k] = (int32_t)st, pid[k] = tk->unk;
        }
        st += mblen;
    }
    return backtrack(ss, n);
}

/* The pieces of the best path, in text order. */
static int backtrack(struct tok_spm_scratch *ss, long n) {
    const int32_t *from = ss->from, *pid = ss->pid;
    ss->np = 0;
    for (long e = n; e > 0 && from[e] >= 0; e = from[e])
        if (add_piece(ss, from[e], e, pid[e]) != BB_OK) return BB_ENOMEM;
    for (long i = 0, j = ss->np - 1; i < j; i++, j--) {
        int32_t x;
        x = ss->ps[i], ss->ps[i] = ss->ps[j], ss->ps[j] = x;
        x = ss->pe[i], ss->pe[i] = ss->pe[j], ss->pe[j] = x;
        x = ss->pi[i], ss->pi[i] = ss->pi[j], ss->pi[j] = x;
    }
    return BB_OK;
}

/* ---- BPE ---------------------------------------------------------------------------------------------- */

static inline int pair_before(const spm_pair *a, const spm_pair *b) {
    return a->score > b->score || (a->score == b->score && a->left < b->left);
}

static int heap_push(struct tok_spm_scratch *ss, spm_pair p) {
    if (grow((void **)&ss->heap, &ss->hcap, ss->hn + 1, sizeof *ss->heap) != BB_OK) return BB_ENOMEM;
    long i = ss->hn++;
    while (i > 0 && pair_before(&p, &ss->heap[(i - 1) / 2])) ss->heap[i] = ss->heap[(i - 1) / 2], i = (i - 1) / 2;
    ss->heap[i] = p;
    return BB_OK;
}

static spm_pair heap_pop(struct tok_spm_scratch *ss) {
    spm_pair top = ss->heap[0], last = ss->heap[--ss->hn];
    long i = 0;
    for (;;) {
        long c = 2 * i + 1;
        if (c >= ss->hn) break;
        if (c + 1 < ss->hn && pair_before(&ss->heap[c + 1], &ss->heap[c])) c++;
        if (!pair_before(&ss->heap[c], &last)) break;
        ss->heap[i] = ss->heap[c], i = c;
    }
    if (ss->hn > 0) ss->heap[i] = last;
    return top;
}

/* The piece id of t[a, a + n) among normal, user-defined and unused pieces, or -1. */
static int32_t piece_of(const struct tok_spm *sp, const unsigned char *t, long a, long n) {
    int32_t node = 0;
    for (long k = a; k < a + n; k++)
        if ((node = tok_trie_step(&sp->pieces, node, t[k])) < 0) return -1;
    return sp->pieces.value[node];
}

static int maybe_pair(const struct tok_spm *sp, struct tok_spm_scratch *ss, const unsigned char *t, int32_t l,
                      int32_t r) {
    if (l < 0 || r < 0 || ss->freeze[l] || ss->freeze[r]) return BB_OK;
    int32_t size = ss->sl[l] + ss->sl[r];
    int32_t id = piece_of(sp, t, ss->ss[l], size);
    if (id < 0) return BB_OK;
    if (heap_push(ss, (spm_pair){sp->score[id], l, r, size}) != BB_OK) return BB_ENOMEM;
    if (sp->type[id] == SPM_UNUSED) {
        if (grow((void **)&ss->rev, &ss->rcap, ss->rn + 1, sizeof *ss->rev) != BB_OK) return BB_ENOMEM;
        ss->rev[ss->rn++] = (spm_rev){ss->ss[l], size, ss->sl[l]};
    }
    return BB_OK;
}

/* Emits t[a, a + n), split again along the merges that made it when it is an unused piece. */
static int resegment(const tok_tokenizer *tk, struct tok_spm_scratch *ss, const unsigned char *t, long a, long n) {
    int32_t id = tok_map_get(&tk->full, tk, (const char *)t + a, (size_t)n, tok_hash((const char *)t + a, (size_t)n));
    if (id < 0) id = tk->unk;
    if (tk->spm->type[id] == SPM_UNUSED)
        for (long k = ss->rn - 1; k >= 0; k--)
            if (ss->rev[k].start == a && ss->rev[k].len == n) {
                long left = ss->rev[k].left_len;
                if (resegment(tk, ss, t, a, left) != BB_OK) return BB_ENOMEM;
                return resegment(tk, ss, t, a + left, n - left);
            }
    return add_piece(ss, a, a + n, id);
}

static int bpe(const tok_tokenizer *tk, struct tok_spm_scratch *ss, const unsigned char *t, long n) {
    const struct tok_spm *sp = tk->spm;
    long c[5] = {ss->scap, ss->scap, ss->scap, ss->scap, ss->scap};
    if (grow((void **)&ss->prev, &c[0], n, sizeof(int32_t)) != BB_OK ||
        grow((void **)&ss->next, &c[1], n, sizeof(int32_t)) != BB_OK ||
        grow((void **)&ss->ss, &c[2], n, sizeof(int32_t)) != BB_OK ||
        grow((void **)&ss->sl, &c[3], n, sizeof(int32_t)) != BB_OK || grow((void **)&ss->freeze, &c[4], n, 1) != BB_OK)
        return BB_ENOMEM;
    ss->scap = c[0];
    ss->hn = ss->rn = ss->np = 0;
    /* Characters, or whole user-defined pieces (never merged further). */
    long m = 0;
    for (long i = 0; i < n; m++) {
        long len = 0;
        if (sp->n_user) {
            int32_t node = 0;
            for (long k = i; k < n; k++) {
                if ((node = tok_trie_step(&sp->user, node, t[k])) < 0) break;
                if (sp->user.value[node] >= 0) len = k + 1 - i;
            }
        }
        ss->freeze[m] = len > 0;
        if (!len) len = one_char_len(t[i]) < n - i ? one_char_len(t[i]) : n - i;
        ss->ss[m] = (int32_t)i, ss->sl[m] = (int32_t)len;
        ss->prev[m] = (int32_t)m - 1, ss->next[m] = i + len < n ? (int32_t)m + 1 : -1;
        i += len;
    }
    for (long i = 1; i < m; i++)
        if (maybe_pair(sp, ss, t, (int32_t)i - 1, (int32_t)i) != BB_OK) return BB_ENOMEM;
    while (ss->hn > 0) {
        spm_pair top = heap_pop(ss);
        int32_t l = top.left, r = top.right;
        if (ss->sl[l] == 0 || ss->sl[r] == 0 || ss->sl[l] + ss->sl[r] != top.size) continue;
        ss->sl[l] += ss->sl[r];
        ss->next[l] = ss->next[r];
        if (ss->next[r] >= 0) ss->prev[ss->next[r]] = l;
        ss->sl[r] = 0;
        if (maybe_pair(sp, ss, t, ss->prev[l], l) != BB_OK || maybe_pair(sp, ss, t, l, ss->next[l]) != BB_OK)
            return BB_ENOMEM;
    }
    for (int32_t i = m > 0 ? 0 : -1; i >= 0; i = ss->next[i])
        if (resegment(tk, ss, t, ss->ss[i], ss->sl[i]) != BB_OK) return BB_ENOMEM;
    return BB_OK;
}

/* ---- pieces -> tokens --------------------------------------------------------------------------------- */

static inline void push(const struct tok_scratch *s, tok_seq *q, int32_t id, int32_t bs, int32_t be, int32_t word) {
    int k = q->n++;
    q->id[k] = id, q->word[k] = word, q->lit[k] = 0, q->txt[k] = -1;
    q->bs[k] = bs, q->be[k] = be;
    q->cs[k] = s->b2c[bs], q->ce[k] = s->b2c[be];
}

static int pool_put(tok_seq *q, const char *p, long n, int join) {
    /* join: extend the last string (its NUL is overwritten). */
    if (grow((void **)&q->pool, &q->pool_cap, q->pool_n + n + 1, 1) != BB_OK) return BB_ENOMEM;
    if (join && q->pool_n > 0) q->pool_n--;
    memcpy(q->pool + q->pool_n, p, (size_t)n);
    q->pool_n += n;
    q->pool[q->pool_n++] = 0;
    return BB_OK;
}

int tok_spm_run(const tok_tokenizer *tk, struct tok_scratch *s, tok_seq *q, long ns, long ne, int32_t *word) {
    const struct tok_spm *sp = tk->spm;
    if (!s->spm && !(s->spm = calloc(1, sizeof *s->spm))) return BB_ENOMEM;
    struct tok_spm_scratch *ss = s->spm;
    const unsigned char *t = (const unsigned char *)s->nb + ns;
    int rc = sp->algo == TOK_SPM_BPE ? bpe(tk, ss, t, ne - ns) : unigram(tk, ss, t, ne - ns);
    if (rc != BB_OK) return rc;
    int prev_unk = 0;
    int32_t cur = -1;
    for (long k = 0; k < ss->np; k++) {
        long b = ns + ss->ps[k], e = ns + ss->pe[k];
        int32_t id = ss->pi[k];
        int32_t ob = s->nal[2 * b], oe = s->nal[2 * (e - 1) + 1];
        if (cur < 0 || (!sp->hf && e - b >= 3 && memcmp(s->nb + b, SPACE_SYMBOL, 3) == 0)) cur = (*word)++;
        int is_unk = id == tk->unk;
        int bytes_ok = sp->byte_fallback;
        for (long i = b; bytes_ok && i < e; i++) bytes_ok = sp->byte_piece[(uint8_t)s->nb[i]] >= 0;
        if (is_unk && bytes_ok) {
            /* Each byte becomes <0xXX>; SentencePiece gives the character's span to the last only, HF
             * tokenizers to each. */
            for (long i = b; i < e; i++)
                push(s, q, sp->byte_piece[(uint8_t)s->nb[i]], ob, i + 1 == e || sp->hf ? oe : ob, cur);
        } else if (is_unk && prev_unk) {
            /* A run of unknown characters is one unknown piece. */
            q->be[q->n - 1] = oe, q->ce[q->n - 1] = s->b2c[oe];
            if (sp->unk_as_text && pool_put(q, s->nb + b, e - b, 1) != BB_OK) return BB_ENOMEM;
        } else {
            push(s, q, id, ob, oe, cur);
            if (is_unk && sp->unk_as_text) {
                q->txt[q->n - 1] = (int32_t)q->pool_n;
                if (pool_put(q, s->nb + b, e - b, 0) != BB_OK) return BB_ENOMEM;
            }
        }
        prev_unk = is_unk;
    }
    return BB_OK;
}

/* ---- decoding ----------------------------------------------------------------------------------------- */

/* A run of byte pieces: each valid UTF-8 character as it is, each invalid byte as U+FFFD. */
static void put_bytes(tok_sbuf *b, const unsigned char *s, size_t n) {
    for (size_t i = 0; i < n;) {
        int32_t cp;
        int k = tok_utf8_decode(s + i, (long)(n - i), &cp);
        if (cp == 0xFFFD && k == 1) tok_sbuf_put(b, "\xEF\xBF\xBD", 3);
        else tok_sbuf_put(b, (const char *)s + i, (size_t)k);
        i += (size_t)k;
    }
}

char *tok_spm_decode_dup(const tok_tokenizer *tk, const int32_t *ids, int n, int skip_special, size_t *len) {
    const struct tok_spm *sp = tk->spm;
    tok_sbuf b = {0};
    tok_sbuf_put(&b, "", 0);
    unsigned char *run = malloc((size_t)n + 1);
    if (!run) return free(b.p), NULL;
    size_t nrun = 0;
    int is_bos_ws = 1, bos_ws_seen = 0;
    for (int k = 0; k <= n; k++) {
        int32_t id = k < n ? ids[k] : -1;
        if (k < n && (id < 0 || id >= tk->n_vocab || !tk->str[id] || (skip_special && tk->is_special[id]))) continue;
        if (k < n && sp->type[id] == SPM_BYTE) {
            int v = 0;
            for (int i = 3; i < 5; i++) v = v * 16 + (tk->str[id][i] <= '9' ? tk->str[id][i] - '0' : tk->str[id][i] - 'A' + 10);
            run[nrun++] = (unsigned char)v;
            continue;
        }
        put_bytes(&b, run, nrun);
        nrun = 0;
        if (k == n) break;
        if (bos_ws_seen || b.n > 0) is_bos_ws = 0;
        int t = sp->type[id];
        if (t == SPM_CONTROL) {
            bos_ws_seen = 0;
            continue;
        }
        if (t == SPM_UNKNOWN) {
            tok_sbuf_put(&b, sp->unk_surface, strlen(sp->unk_surface));
            bos_ws_seen = 0;
            continue;
        }
        const char *p = tk->str[id];
        size_t pl = tk->len[id];
        int has_bos_ws = 0;
        if (is_bos_ws && (sp->add_dummy_prefix || sp->remove_extra_ws) && pl >= 3 && memcmp(p, SPACE_SYMBOL, 3) == 0) {
            p += 3, pl -= 3;
            has_bos_ws = !sp->remove_extra_ws;
        }
        for (size_t i = 0; i < pl;) {
            if (pl - i >= 3 && memcmp(p + i, SPACE_SYMBOL, 3) == 0) tok_sbuf_put(&b, " ", 1), i += 3;
            else tok_sbuf_put(&b, p + i, 1), i++;
        }
        bos_ws_seen = has_bos_ws;
    }
    free(run);
    if (b.bad) return free(b.p), NULL;
    if (len) *len = b.n;
    return b.p;
}

/* ---- inspection ---------------------------------------------------------------------------------------- */

char *tok_spm_mapped_dup(const tok_tokenizer *tk, const char *text, long len) {
    const struct tok_spm *sp = tk->spm;
    if (sp->hf) return tok_hf_mapped_dup(tk, text, len);
    tok_sbuf b = {0};
    tok_sbuf_put(&b, "", 0);
    const char *rep;
    long replen;
    for (long i = 0; i < len;) {
        long m = norm_prefix(sp, (const unsigned char *)text, i, len, &rep, &replen);
        tok_sbuf_put(&b, rep, (size_t)replen);
        i += m;
    }
    if (b.bad) return free(b.p), NULL;
    return b.p;
}

const char *tok_spm_rule_name(const tok_tokenizer *tk) {
    const struct tok_spm *sp = tk->spm;
    if (sp->hf) return sp->n_norms ? "normalizers" : "identity";
    return sp->cm.n_units ? (sp->norm_name[0] ? sp->norm_name : "charsmap") : "identity";
}

double tok_spm_piece_score(const tok_tokenizer *tk, int32_t id) {
    const struct tok_spm *sp = tk->spm;
    if (id < 0 || id >= tk->n_vocab) return 0;
    if (id == tk->unk) return sp->hf ? sp->dmin - 10.0 : (double)(sp->min_score - 10.0f);
    return sp->hf ? sp->dscore[id] : (double)sp->score[id];
}
