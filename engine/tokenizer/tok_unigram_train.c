/* tok_unigram_train.c — the Unigram trainer: word counts, required characters, seed pieces from a
 * sorted suffix table, EM and loss-based pruning (the recipe is in tok_unigram_train.h). */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tok_internal.h"
#include "tok_unigram_internal.h"
#include "tok_unigram_lattice.h"

#define UG_UNK_PENALTY 10.0 /* an unknown character scores this far below the worst piece */

typedef struct {
    char *s; /* normalized UTF-8, starting with '▁' unless the line had no dummy prefix room */
    int len;
    long freq;
} ug_word;

struct tok_ug_trainer {
    tok_ug_options o;
    ug_word *words;
    long n_words, cap_words;
    long *slots; /* word index + 1, 0 = empty */
    long n_slots;
    long n_sentences, n_skipped;
    uint8_t *charsmap;
    size_t charsmap_len;
};

/* Everything finish() works on. Words are code point runs in t, each followed by a 0. */
typedef struct {
    const tok_ug_options *o;
    int32_t *t;
    long nt;
    long *woff;
    int *wlen;
    double *wfreq;
    long nw;
    /* required characters by descending count */
    int32_t *req;
    double *req_count;
    int n_req;
    /* the current pieces: code points in pool */
    int32_t *pool;
    const int32_t **cps;
    int *lens;
    double *score;
    int n, cap;
    ug_trie trie;
    ug_lattice lat;
    int32_t *path;
} ug_ctx;

tok_ug_options tok_ug_options_default(void) {
    tok_ug_options o = {0};
    o.vocab_size = 8000;
    o.character_coverage = 0.9995;
    o.max_piece_length = 16;
    o.seed_size = 1000000;
    o.shrinking_factor = 0.75;
    o.sub_iterations = 2;
    o.max_sentence_bytes = 8192;
    return o;
}

int tok_ug_new(tok_ug_trainer **out, const tok_ug_options *o, char *err, size_t errlen) {
    *out = NULL;
    if (o->vocab_size < 4 || o->vocab_size > (1 << 22))
        return bb_err(err, errlen, BB_EINVAL, "unigram: vocab_size %d is out of range", o->vocab_size);
    if (!(o->character_coverage > 0 && o->character_coverage <= 1))
        return bb_err(err, errlen, BB_EINVAL, "unigram: character_coverage %g is not in (0, 1]", o->character_coverage);
    if (o->byte_fallback && o->vocab_size < 3 + 256 + 1)
        return bb_err(err, errlen, BB_EINVAL, "unigram: vocab_size %d has no room beside 256 byte pieces",
                      o->vocab_size);
    if (o->max_piece_length < 1 || o->max_piece_length > 64 || o->seed_size < 1 || o->sub_iterations < 1 ||
        !(o->shrinking_factor > 0 && o->shrinking_factor < 1) || o->max_sentence_bytes < 1)
        return bb_err(err, errlen, BB_EINVAL, "unigram: an option is out of range");
    tok_ug_trainer *tr = calloc(1, sizeof *tr);
    if (tr) tr->charsmap = tok_ug_charsmap_build(&tr->charsmap_len);
    if (!tr || !tr->charsmap) {
        free(tr);
        return bb_err(err, errlen, BB_ENOMEM, "unigram: out of memory");
    }
    tr->o = *o;
    *out = tr;
    return BB_OK;
}

void tok_ug_free(tok_ug_trainer *tr) {
    if (!tr) return;
    for (long i = 0; i < tr->n_words; i++) free(tr->words[i].s);
    free(tr->words), free(tr->slots), free(tr->charsmap), free(tr);
}

static int add_word(tok_ug_trainer *tr, const char *s, int len) {
    if (tr->n_words * 2 >= tr->n_slots) {
        long ns = tr->n_slots ? tr->n_slots * 2 : 1024;
        long *slots = calloc((size_t)ns, sizeof *slots);
        if (!slots) return -1;
        for (long i = 0; i < tr->n_words; i++) {
            long h = (long)(tok_hash(tr->words[i].s, (size_t)tr->words[i].len) & (uint32_t)(ns - 1));
            while (slots[h]) h = (h + 1) & (ns - 1);
            slots[h] = i + 1;
        }
        free(tr->slots);
        tr->slots = slots, tr->n_slots = ns;
    }
    long h = (long)(tok_hash(s, (size_t)len) & (uint32_t)(tr->n_slots - 1));
    for (; tr->slots[h]; h = (h + 1) & (tr->n_slots - 1)) {
        ug_word *w = &tr->words[tr->slots[h] - 1];
        if (w->len == len && memcmp(w->s, s, (size_t)len) == 0) {
            w->freq++;
            return 0;
        }
    }
    if (tr->n_words == tr->cap_words) {
        long cap = tr->cap_words ? tr->cap_words * 2 : 1024;
        ug_word *words = realloc(tr->words, (size_t)cap * sizeof *words);
        if (!words) return -1;
        tr->words = words, tr->cap_words = cap;
    }
    char *copy = malloc((size_t)len + 1);
    if (!copy) return -1;
    memcpy(copy, s, (size_t)len);
    copy[len] = 0;
    tr->words[tr->n_words] = (ug_word){copy, len, 1};
    tr->slots[h] = ++tr->n_words;
    return 0;
}

int tok_ug_feed(tok_ug_trainer *tr, const char *text, long len, char *err, size_t errlen) {
    if (len < 0) len = (long)strlen(text);
    if (len > tr->o.max_sentence_bytes) {
        tr->n_skipped++;
        return BB_OK;
    }
    size_t n;
    char *s = tok_ug_normalize_dup(tr->charsmap, tr->charsmap_len, text, len, &n);
    if (!s) return bb_err(err, errlen, BB_ENOMEM, "unigram: out of memory");
    if (n) tr->n_sentences++;
    /* Words start at each '▁' (E2 96 81). */
    size_t start = 0;
    for (size_t i = 3; i <= n; i++) {
        if (i == n || ((unsigned char)s[i] == 0xE2 && i + 2 < n && (unsigned char)s[i + 1] == 0x96 &&
                       (unsigned char)s[i + 2] == 0x81)) {
            if (add_word(tr, s + start, (int)(i - start))) {
                free(s);
                return bb_err(err, errlen, BB_ENOMEM, "unigram: out of memory");
            }
            start = i;
        }
    }
    free(s);
    return BB_OK;
}

/* ---- required characters ---------------------------------------------------------------------- */

typedef struct {
    int32_t cp;
    double count;
} ug_char;

static int cmp_i32(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return x < y ? -1 : x > y;
}

static int by_count_desc(const void *a, const void *b) {
    const ug_char *x = a, *y = b;
    if (x->count != y->count) return x->count > y->count ? -1 : 1;
    return x->cp < y->cp ? -1 : x->cp > y->cp;
}

/* Counts characters, keeps the most frequent ones covering character_coverage, and marks the others
 * UG_UNK in the corpus. */
static int required_chars(ug_ctx *c) {
    long cap = 4096, n = 0;
    ug_char *tab = calloc((size_t)cap, sizeof *tab); /* open addressing on cp + 1 */
    if (!tab) return -1;
    double total = 0;
    for (long w = 0; w < c->nw; w++)
        for (int i = 0; i < c->wlen[w]; i++) {
            int32_t cp = c->t[c->woff[w] + i];
            long h = (long)(((uint32_t)cp * 2654435761u) & (uint32_t)(cap - 1));
            while (tab[h].cp && tab[h].cp != cp + 1) h = (h + 1) & (cap - 1);
            if (!tab[h].cp) {
                tab[h].cp = cp + 1;
                if (++n * 2 > cap) {
                    long nc = cap * 2;
                    ug_char *nt = calloc((size_t)nc, sizeof *nt);
                    if (!nt) {
                        free(tab);
                        return -1;
                    }
                    for (long k = 0; k < cap; k++) {
                        if (!tab[k].cp) continue;
                        long g = (long)(((uint32_t)(tab[k].cp - 1) * 2654435761u) & (uint32_t)(nc - 1));
                        while (nt[g].cp) g = (g + 1) & (nc - 1);
                        nt[g] = tab[k];
                    }
                    free(tab);
                    tab = nt, cap = nc;
                    h = (long)(((uint32_t)cp * 2654435761u) & (uint32_t)(cap - 1));
                    while (tab[h].cp != cp + 1) h = (h + 1) & (cap - 1);
                }
            }
            tab[h].count += c->wfreq[w];
            total += c->wfreq[w];
        }
    long m = 0;
    for (long k = 0; k < cap; k++)
        if (tab[k].cp) tab[m++] = (ug_char){tab[k].cp - 1, tab[k].count};
    qsort(tab, (size_t)m, sizeof *tab, by_count_desc);
    c->req = malloc((size_t)(m ? m : 1) * sizeof *c->req);
    c->req_count = malloc((size_t)(m ? m : 1) * sizeof *c->req_count);
    if (!c->req || !c->req_count) {
        free(tab);
        return -1;
    }
    /* As SentencePiece: stop before the character that would be added once coverage is reached. */
    double acc = 0;
    c->n_req = 0;
    for (long k = 0; k < m; k++) {
        if (acc / total >= c->o->character_coverage) break;
        c->req[c->n_req] = tab[k].cp, c->req_count[c->n_req++] = tab[k].count;
        acc += tab[k].count;
    }
    free(tab);
    /* Mark the rare characters: a sorted copy of the required set answers membership. */
    int32_t *sorted = malloc((size_t)(c->n_req ? c->n_req : 1) * sizeof *sorted);
    if (!sorted) return -1;
    memcpy(sorted, c->req, (size_t)c->n_req * sizeof *sorted);
    qsort(sorted, (size_t)c->n_req, sizeof *sorted, cmp_i32);
    for (long p = 0; p < c->nt; p++) {
        int32_t cp = c->t[p];
        if (cp <= 0) continue;
        int lo = 0, hi = c->n_req - 1, found = 0;
        while (lo <= hi && !found) {
            int mid = (lo + hi) / 2;
            if (sorted[mid] == cp) found = 1;
            else if (sorted[mid] < cp) lo = mid + 1;
            else hi = mid - 1;
        }
        if (!found) c->t[p] = UG_UNK;
    }
    free(sorted);
    return 0;
}

/* ---- seed pieces ------------------------------------------------------------------------------ */

/* Suffixes of the corpus compared on their first max_len code points (a word's 0 ends a suffix). */
static int cmp_suffix(const void *a, const void *b, void *arg) {
    const ug_ctx *c = arg;
    const int32_t *x = c->t + *(const long *)a, *y = c->t + *(const long *)b;
    for (int k = 0; k < c->o->max_piece_length; k++) {
        if (x[k] != y[k]) return x[k] < y[k] ? -1 : 1;
        if (!x[k]) return 0;
    }
    return 0;
}

static int common_prefix(const ug_ctx *c, long p, long q) {
    int k = 0;
    while (k < c->o->max_piece_length && c->t[p + k] && c->t[p + k] == c->t[q + k]) k++;
    return k;
}

/* SentencePiece's IsValidSentencePiece with its defaults: no unknown character, '▁' only in front,
 * one script (Hiragana/Katakana as Han; digits and punctuation are Common like any other script). */
static int valid_piece(const int32_t *s, int n) {
    int prev = -1;
    for (int i = 0; i < n; i++) {
        if (s[i] == UG_UNK || s[i] <= 0) return 0;
        if (s[i] == UG_WS) {
            if (i > 0) return 0;
            continue;
        }
        int sc = tok_ug_script(s[i]);
        if (prev >= 0 && sc != prev) return 0;
        prev = sc;
    }
    return 1;
}

typedef struct {
    long pos;
    int len;
    double freq, score;
} ug_seed;

static int by_score_desc(const void *a, const void *b) {
    const ug_seed *x = a, *y = b;
    if (x->score != y->score) return x->score > y->score ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static int push_piece(ug_ctx *c, const int32_t *cps, int len, double score) {
    if (c->n == c->cap) {
        int cap = c->cap ? c->cap * 2 : 1024;
        const int32_t **p = realloc(c->cps, (size_t)cap * sizeof *p);
        if (p) c->cps = p;
        int *l = realloc(c->lens, (size_t)cap * sizeof *l);
        if (l) c->lens = l;
        double *s = realloc(c->score, (size_t)cap * sizeof *s);
        if (s) c->score = s;
        if (!p || !l || !s) return -1;
        c->cap = cap;
    }
    c->cps[c->n] = cps, c->lens[c->n] = len, c->score[c->n] = score;
    c->n++;
    return 0;
}

/* Branching substrings from the lcp intervals of the sorted suffixes (weights = word counts), the top
 * seed_size by count x length, plus the required characters; scores log(count / total). */
static int make_seeds(ug_ctx *c) {
    long np = 0;
    for (long p = 0; p < c->nt; p++) np += c->t[p] > 0;
    long *sa = malloc((size_t)(np ? np : 1) * sizeof *sa);
    double *wsum = malloc((size_t)(np + 1) * sizeof *wsum);
    double *posw = malloc((size_t)(c->nt ? c->nt : 1) * sizeof *posw);
    long cap_seed = 1 << 16, n_seed = 0;
    ug_seed *seed = malloc((size_t)cap_seed * sizeof *seed);
    struct {
        int lcp;
        long lb;
    } *stack = malloc((size_t)(c->o->max_piece_length + 2) * sizeof *stack);
    int rc = -1;
    if (!sa || !wsum || !posw || !seed || !stack) goto done;
    for (long w = 0; w < c->nw; w++)
        for (int i = 0; i <= c->wlen[w]; i++) posw[c->woff[w] + i] = c->wfreq[w];
    np = 0;
    for (long p = 0; p < c->nt; p++)
        if (c->t[p] > 0) sa[np++] = p;
    qsort_r(sa, (size_t)np, sizeof *sa, cmp_suffix, c);
    wsum[0] = 0;
    for (long i = 0; i < np; i++) wsum[i + 1] = wsum[i] + posw[sa[i]];
    /* Bottom-up walk of the lcp intervals: each popped interval [lb, i) with lcp L >= 2 is a substring
     * of length L that at least two suffixes share and that branches after L characters. */
    int top = 0;
    stack[0].lcp = 0, stack[0].lb = 0;
    for (long i = 1; i <= np; i++) {
        int lcp = i < np ? common_prefix(c, sa[i - 1], sa[i]) : 0;
        long lb = i - 1;
        while (lcp < stack[top].lcp) {
            int L = stack[top].lcp;
            lb = stack[top].lb;
            top--;
            if (L >= 2 && valid_piece(c->t + sa[lb], L)) {
                if (n_seed == cap_seed) {
                    ug_seed *ns = realloc(seed, (size_t)cap_seed * 2 * sizeof *ns);
                    if (!ns) goto done;
                    seed = ns, cap_seed *= 2;
                }
                double f = wsum[i] - wsum[lb];
                seed[n_seed++] = (ug_seed){sa[lb], L, f, f * L};
            }
        }
        if (lcp > stack[top].lcp) {
            top++;
            stack[top].lcp = lcp, stack[top].lb = lb;
        }
    }
    qsort(seed, (size_t)n_seed, sizeof *seed, by_score_desc);
    long keep = c->o->seed_size - c->n_req;
    if (keep < 0) keep = 0;
    if (n_seed > keep) n_seed = keep;
    long pool_len = c->n_req;
    for (long k = 0; k < n_seed; k++) pool_len += seed[k].len;
    c->pool = malloc((size_t)(pool_len ? pool_len : 1) * sizeof *c->pool);
    if (!c->pool) goto done;
    double total = 0;
    for (int k = 0; k < c->n_req; k++) total += c->req_count[k];
    for (long k = 0; k < n_seed; k++) total += seed[k].score;
    long at = 0;
    for (int k = 0; k < c->n_req; k++) {
        c->pool[at] = c->req[k];
        if (push_piece(c, c->pool + at, 1, log(c->req_count[k] / total))) goto done;
        at++;
    }
    for (long k = 0; k < n_seed; k++) {
        memcpy(c->pool + at, c->t + seed[k].pos, (size_t)seed[k].len * sizeof *c->pool);
        if (push_piece(c, c->pool + at, seed[k].len, log(seed[k].score / total))) goto done;
        at += seed[k].len;
    }
    rc = 0;
done:
    free(sa), free(wsum), free(posw), free(seed), free(stack);
    return rc;
}

/* ---- EM and pruning --------------------------------------------------------------------------- */

static double min_score(const ug_ctx *c) {
    double m = 0;
    for (int i = 0; i < c->n; i++)
        if (c->score[i] < m) m = c->score[i];
    return m;
}

/* SentencePiece's digamma (asymptotic series after shifting x above 7). */
static double digamma(double x) {
    double r = 0;
    for (; x < 7; x += 1) r -= 1 / x;
    x -= 0.5;
    double xx = 1 / x, xx2 = xx * xx, xx4 = xx2 * xx2;
    return r + log(x) + xx2 / 24 - 7.0 / 960 * xx4 + 31.0 / 8064 * xx4 * xx2 - 127.0 / 30720 * xx4 * xx4;
}

static int rebuild(ug_ctx *c) { return ug_trie_build(&c->trie, c->cps, c->lens, c->n); }

/* Keeps pieces idx[0..n_keep) in that order, with new_score when given. -1 when out of memory. */
static int keep_pieces(ug_ctx *c, const int *idx, int n_keep, const double *new_score) {
    const int32_t **cps = malloc((size_t)(n_keep ? n_keep : 1) * sizeof *cps);
    int *lens = malloc((size_t)(n_keep ? n_keep : 1) * sizeof *lens);
    double *score = malloc((size_t)(n_keep ? n_keep : 1) * sizeof *score);
    if (!cps || !lens || !score) {
        free(cps), free(lens), free(score);
        return -1;
    }
    for (int k = 0; k < n_keep; k++) {
        cps[k] = c->cps[idx[k]], lens[k] = c->lens[idx[k]];
        score[k] = new_score ? new_score[k] : c->score[idx[k]];
    }
    free(c->cps), free(c->lens), free(c->score);
    c->cps = cps, c->lens = lens, c->score = score;
    c->n = c->cap = n_keep;
    return 0;
}

/* One EM step: expected counts by forward-backward, then the digamma update; rare pieces go. */
static int em_step(ug_ctx *c) {
    double *expected = calloc((size_t)c->n, sizeof *expected);
    int *idx = malloc((size_t)c->n * sizeof *idx);
    double *ns = malloc((size_t)c->n * sizeof *ns);
    if (!expected || !idx || !ns) {
        free(expected), free(idx), free(ns);
        return -1;
    }
    double unk = min_score(c) - UG_UNK_PENALTY;
    for (long w = 0; w < c->nw; w++) {
        if (ug_lattice_build(&c->lat, &c->trie, c->score, unk, c->t + c->woff[w], c->wlen[w], 0)) {
            free(expected), free(idx), free(ns);
            return -1;
        }
        ug_lattice_expect(&c->lat, c->wfreq[w], expected);
    }
    int m = 0;
    double sum = 0;
    for (int i = 0; i < c->n; i++)
        if (expected[i] >= 0.5) idx[m++] = i, sum += expected[i];
    double ds = digamma(sum);
    for (int k = 0; k < m; k++) ns[k] = digamma(expected[idx[k]]) - ds;
    int rc = keep_pieces(c, idx, m, ns);
    free(expected), free(idx), free(ns);
    return rc ? rc : rebuild(c);
}

typedef struct {
    int piece;
    double loss;
} ug_cand;

static int by_loss_desc(const void *a, const void *b) {
    const ug_cand *x = a, *y = b;
    if (x->loss != y->loss) return x->loss > y->loss ? -1 : 1;
    return x->piece - y->piece;
}

/* SentencePiece's PruneSentencePieces: a piece that is not its own best segmentation goes; one with
 * no other segmentation stays; the rest are ranked by the likelihood lost when their Viterbi uses
 * move to their best other segmentation, and kept down to max(desired, shrink x size). */
static int prune(ug_ctx *c, int desired) {
    int n = c->n, rc = -1;
    int *always = malloc((size_t)n * sizeof *always);
    int *alt_off = malloc((size_t)(n + 1) * sizeof *alt_off);
    long alt_cap = 4 * (long)n + 16, alt_n = 0;
    int32_t *alt = malloc((size_t)alt_cap * sizeof *alt);
    double *freq = calloc((size_t)n, sizeof *freq);
    ug_cand *cand = malloc((size_t)n * sizeof *cand);
    int *idx = malloc((size_t)n * sizeof *idx);
    int *path = malloc((size_t)(c->o->max_piece_length + 1) * sizeof *path);
    if (!always || !alt_off || !alt || !freq || !cand || !idx || !path) goto done;
    double unk = min_score(c) - UG_UNK_PENALTY;
    for (int i = 0; i < n; i++) {
        always[i] = 1;
        alt_off[i] = (int)alt_n;
        if (c->lens[i] < 2) continue;
        if (ug_lattice_build(&c->lat, &c->trie, c->score, unk, c->cps[i], c->lens[i], 1)) goto done;
        double best;
        int m = ug_lattice_viterbi(&c->lat, path, &best);
        if (m < 2) continue;
        if (best > c->score[i]) {
            always[i] = 0;
            continue;
        }
        if (alt_n + m > alt_cap) {
            int32_t *na = realloc(alt, (size_t)(alt_cap * 2 + m) * sizeof *na);
            if (!na) goto done;
            alt = na, alt_cap = alt_cap * 2 + m;
        }
        for (int k = 0; k < m; k++) alt[alt_n++] = path[k];
    }
    alt_off[n] = (int)alt_n;
    double vsum = 0;
    for (long w = 0; w < c->nw; w++) {
        if (ug_lattice_build(&c->lat, &c->trie, c->score, unk, c->t + c->woff[w], c->wlen[w], 0)) goto done;
        int m = ug_lattice_viterbi(&c->lat, c->path, NULL);
        vsum += c->wfreq[w];
        for (int k = 0; k < m; k++)
            if (c->path[k] >= 0) freq[c->path[k]] += c->wfreq[w];
    }
    double sum = 0;
    for (int i = 0; i < n; i++) sum += freq[i];
    double logsum = log(sum);
    int kept = 0, nc = 0;
    for (int i = 0; i < n; i++) {
        if (freq[i] == 0 || !always[i]) continue;
        int na = alt_off[i + 1] - alt_off[i];
        if (na == 0) {
            idx[kept++] = i;
            continue;
        }
        /* Sentences holding the piece, normalized: each Viterbi use of it counts its word's count. */
        double f = freq[i] / vsum;
        double logprob = log(freq[i]) - logsum;
        double logsum_alt = log(sum + freq[i] * (na - 1));
        double logprob_alt = 0;
        for (int k = alt_off[i]; k < alt_off[i + 1]; k++)
            logprob_alt += log((alt[k] >= 0 ? freq[alt[k]] : 0) + freq[i]) - logsum_alt;
        cand[nc++] = (ug_cand){i, f * (logprob - logprob_alt)};
    }
    qsort(cand, (size_t)nc, sizeof *cand, by_loss_desc);
    int target = (int)fmax(desired, c->o->shrinking_factor * n);
    for (int k = 0; k < nc && kept < target; k++) idx[kept++] = cand[k].piece;
    if (keep_pieces(c, idx, kept, NULL) == 0) rc = rebuild(c);
done:
    free(always), free(alt_off), free(alt), free(freq), free(cand), free(idx), free(path);
    return rc;
}

/* ---- finishing -------------------------------------------------------------------------------- */

typedef struct {
    char *s;
    double score;
} ug_final;

static int by_final(const void *a, const void *b) {
    const ug_final *x = a, *y = b;
    if (x->score != y->score) return x->score > y->score ? -1 : 1;
    return strcmp(x->s, y->s);
}

static char *utf8_dup(const int32_t *cps, int n) {
    char *s = malloc((size_t)n * 4 + 1);
    if (!s) return NULL;
    int k = 0;
    for (int i = 0; i < n; i++) k += tok_utf8_encode(cps[i], s + k);
    s[k] = 0;
    return s;
}

static int set_entry(tok_ug_model *m, int id, char *s, double score, int type) {
    if (!s) return -1;
    m->piece[id] = s, m->score[id] = score, m->type[id] = (uint8_t)type;
    return 0;
}

/* The vocabulary: meta pieces, then the required characters and the best pieces by score. */
static int finalize(ug_ctx *c, tok_ug_model *m) {
    int n_meta = 3 + (c->o->byte_fallback ? 256 : 0);
    int room = c->o->vocab_size - n_meta;
    double *char_score = malloc((size_t)(c->n_req ? c->n_req : 1) * sizeof *char_score);
    ug_final *fin = calloc((size_t)room, sizeof *fin);
    int *order = malloc((size_t)(c->n ? c->n : 1) * sizeof *order);
    ug_cand *rank = malloc((size_t)(c->n ? c->n : 1) * sizeof *rank);
    int rc = -1, nf = 0;
    if (!char_score || !fin || !order || !rank) goto done;
    double floor = min_score(c);
    for (int k = 0; k < c->n_req; k++) char_score[k] = NAN;
    for (int i = 0; i < c->n; i++) {
        if (c->lens[i] != 1) continue;
        for (int k = 0; k < c->n_req; k++)
            if (c->req[k] == c->cps[i][0]) char_score[k] = c->score[i];
    }
    /* Required characters EM dropped get the worst score, a little worse the rarer they are, so that
     * none ties. */
    double penalty = 0;
    for (int k = 0; k < c->n_req; k++) {
        if (isnan(char_score[k])) {
            char_score[k] = floor - penalty;
            penalty += 1e-4;
        }
        fin[nf].s = utf8_dup(&c->req[k], 1);
        fin[nf].score = char_score[k];
        if (!fin[nf++].s) goto done;
    }
    int nr = 0;
    for (int i = 0; i < c->n; i++)
        if (c->lens[i] > 1) rank[nr++] = (ug_cand){i, c->score[i]};
    qsort(rank, (size_t)nr, sizeof *rank, by_loss_desc);
    for (int k = 0; k < nr && nf < room; k++) {
        fin[nf].s = utf8_dup(c->cps[rank[k].piece], c->lens[rank[k].piece]);
        fin[nf].score = rank[k].loss;
        if (!fin[nf++].s) goto done;
    }
    qsort(fin, (size_t)nf, sizeof *fin, by_final);
    m->n = n_meta + nf;
    m->piece = calloc((size_t)m->n, sizeof *m->piece);
    m->score = calloc((size_t)m->n, sizeof *m->score);
    m->type = calloc((size_t)m->n, sizeof *m->type);
    if (!m->piece || !m->score || !m->type) goto done;
    if (set_entry(m, 0, strdup("<unk>"), 0, TOK_UG_UNKNOWN) || set_entry(m, 1, strdup("<s>"), 0, TOK_UG_CONTROL) ||
        set_entry(m, 2, strdup("</s>"), 0, TOK_UG_CONTROL))
        goto done;
    for (int b = 0; b < n_meta - 3; b++) {
        char name[16];
        snprintf(name, sizeof name, "<0x%02X>", (unsigned)b & 0xFFu);
        if (set_entry(m, 3 + b, strdup(name), 0, TOK_UG_BYTE)) goto done;
    }
    for (int k = 0; k < nf; k++) {
        set_entry(m, n_meta + k, fin[k].s, fin[k].score, TOK_UG_NORMAL);
        fin[k].s = NULL;
    }
    m->byte_fallback = c->o->byte_fallback;
    m->n_required = c->n_req;
    rc = 0;
done:
    if (fin)
        for (int k = 0; k < nf; k++) free(fin[k].s);
    free(char_score), free(fin), free(order), free(rank);
    return rc;
}

static void ctx_free(ug_ctx *c) {
    free(c->t), free(c->woff), free(c->wlen), free(c->wfreq), free(c->req), free(c->req_count), free(c->pool);
    free(c->cps), free(c->lens), free(c->score), free(c->path);
    ug_trie_free(&c->trie);
    ug_lattice_free(&c->lat);
}

static int load_corpus(ug_ctx *c, const tok_ug_trainer *tr) {
    long nt = 0;
    for (long w = 0; w < tr->n_words; w++) nt += tr->words[w].len + 1;
    c->t = malloc((size_t)(nt ? nt : 1) * sizeof *c->t);
    c->woff = malloc((size_t)(tr->n_words ? tr->n_words : 1) * sizeof *c->woff);
    c->wlen = malloc((size_t)(tr->n_words ? tr->n_words : 1) * sizeof *c->wlen);
    c->wfreq = malloc((size_t)(tr->n_words ? tr->n_words : 1) * sizeof *c->wfreq);
    if (!c->t || !c->woff || !c->wlen || !c->wfreq) return -1;
    int longest = 1;
    for (long w = 0; w < tr->n_words; w++) {
        const ug_word *x = &tr->words[w];
        c->woff[w] = c->nt;
        int n = 0;
        for (int i = 0; i < x->len;) {
            int32_t cp;
            i += tok_utf8_decode((const unsigned char *)x->s + i, x->len - i, &cp);
            c->t[c->nt++] = cp;
            n++;
        }
        c->t[c->nt++] = 0;
        c->wlen[w] = n;
        c->wfreq[w] = (double)x->freq;
        if (n > longest) longest = n;
    }
    c->nw = tr->n_words;
    c->path = malloc((size_t)longest * sizeof *c->path);
    return c->path ? 0 : -1;
}

int tok_ug_finish(tok_ug_trainer *tr, tok_ug_model *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    if (tr->n_words == 0) return bb_err(err, errlen, BB_EINVAL, "unigram: no text to train on");
    ug_ctx c = {0};
    c.o = &tr->o;
    int n_meta = 3 + (tr->o.byte_fallback ? 256 : 0), rc = BB_ENOMEM;
    if (load_corpus(&c, tr) || required_chars(&c)) goto fail;
    if (c.n_req > tr->o.vocab_size - n_meta) {
        rc = bb_err(err, errlen, BB_EINVAL,
                    "unigram: vocab_size %d leaves room for %d pieces, but %d characters are needed for %g "
                    "character coverage (raise --vocab-size or lower --character-coverage)",
                    tr->o.vocab_size, tr->o.vocab_size - n_meta, c.n_req, tr->o.character_coverage);
        goto fail;
    }
    if (make_seeds(&c) || rebuild(&c)) goto fail;
    int desired = (int)(tr->o.vocab_size * 1.1);
    double n_seed = c.n;
    for (;;) {
        for (int it = 0; it < tr->o.sub_iterations; it++)
            if (em_step(&c)) goto fail;
        /* pruning shrinks the pieces geometrically: the share of the way there, in log scale */
        double f = c.n <= desired ? 1 : log(n_seed / c.n) / log(n_seed / desired);
        bb_work_progress(tr->o.work, "pruning", (long)(1000 * f), 1000);
        if (bb_work_cancelled(tr->o.work)) {
            rc = bb_work_check(tr->o.work, "unigram", err, errlen);
            goto fail;
        }
        if (c.n <= desired) break;
        int before = c.n;
        if (prune(&c, desired)) goto fail;
        if (c.n == before) break; /* nothing left to prune: every piece is needed */
    }
    if (finalize(&c, out)) goto fail;
    out->charsmap = malloc(tr->charsmap_len);
    if (!out->charsmap) goto fail;
    memcpy(out->charsmap, tr->charsmap, tr->charsmap_len);
    out->charsmap_len = tr->charsmap_len;
    out->character_coverage = tr->o.character_coverage;
    out->n_sentences = tr->n_sentences;
    out->n_skipped = tr->n_skipped;
    ctx_free(&c);
    bb_work_progress(tr->o.work, "pruning", 1000, 1000);
    return BB_OK;
fail:
    ctx_free(&c);
    tok_ug_model_free(out);
    if (rc == BB_ENOMEM) bb_err(err, errlen, BB_ENOMEM, "unigram: out of memory");
    return rc;
}

void tok_ug_model_free(tok_ug_model *m) {
    if (m->piece)
        for (int i = 0; i < m->n; i++) free(m->piece[i]);
    free(m->piece), free(m->score), free(m->type), free(m->charsmap);
    memset(m, 0, sizeof *m);
}
