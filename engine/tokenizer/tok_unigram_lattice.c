/* tok_unigram_lattice.c — the Unigram trainer's piece trie and word lattice: forward-backward
 * expected counts for EM and Viterbi for pruning and measuring. A word is an array of code points;
 * UG_UNK (-1) marks a character outside the required set, which no piece matches. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tok_unigram_lattice.h"

static uint64_t edge_key(int32_t node, int32_t cp) {
    return ((uint64_t)(uint32_t)node << 22 | (uint64_t)((uint32_t)cp & 0x3FFFFFu)) + 1;
}

static uint64_t mix(uint64_t k) {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return k;
}

void ug_trie_free(ug_trie *t) {
    free(t->key), free(t->child), free(t->piece);
    memset(t, 0, sizeof *t);
}

static int32_t trie_child(const ug_trie *t, int32_t node, int32_t cp) {
    uint64_t k = edge_key(node, cp);
    for (uint64_t i = mix(k) & t->mask;; i = (i + 1) & t->mask) {
        if (t->key[i] == k) return t->child[i];
        if (!t->key[i]) return -1;
    }
}

int ug_trie_build(ug_trie *t, const int32_t *const *cps, const int *lens, int n) {
    ug_trie_free(t);
    long total = 1;
    for (int i = 0; i < n; i++) total += lens[i];
    uint64_t cap = 16;
    while (cap < (uint64_t)total * 2) cap <<= 1;
    t->key = calloc(cap, sizeof *t->key);
    t->child = malloc(cap * sizeof *t->child);
    t->piece = malloc((size_t)total * sizeof *t->piece);
    if (!t->key || !t->child || !t->piece) {
        ug_trie_free(t);
        return -1;
    }
    t->mask = cap - 1;
    t->n_nodes = 1;
    t->piece[0] = -1;
    for (int p = 0; p < n; p++) {
        int32_t node = 0;
        for (int j = 0; j < lens[p]; j++) {
            int32_t next = trie_child(t, node, cps[p][j]);
            if (next < 0) {
                uint64_t k = edge_key(node, cps[p][j]);
                uint64_t i = mix(k) & t->mask;
                while (t->key[i]) i = (i + 1) & t->mask;
                next = t->n_nodes++;
                t->key[i] = k, t->child[i] = next, t->piece[next] = -1;
            }
            node = next;
        }
        t->piece[node] = p;
        if (lens[p] > t->max_len) t->max_len = lens[p];
    }
    return 0;
}

static int grow(ug_lattice *l, long need) {
    if (need <= l->cap) return 0;
    long cap = l->cap ? l->cap : 256;
    while (cap < need) cap *= 2;
    ug_node *nodes = realloc(l->nodes, (size_t)cap * sizeof *nodes);
    if (!nodes) return -1;
    l->nodes = nodes;
    l->cap = cap;
    return 0;
}

static int grow_pos(ug_lattice *l, int n) {
    if (n + 1 <= l->pos_cap) return 0;
    int cap = l->pos_cap ? l->pos_cap : 256;
    while (cap < n + 1) cap *= 2;
    double *a = realloc(l->a, (size_t)cap * sizeof *a);
    if (a) l->a = a;
    double *b = realloc(l->b, (size_t)cap * sizeof *b);
    if (b) l->b = b;
    long *back = realloc(l->back, (size_t)cap * sizeof *back);
    if (back) l->back = back;
    if (!a || !b || !back) return -1;
    l->pos_cap = cap;
    return 0;
}

int ug_lattice_build(ug_lattice *l, const ug_trie *t, const double *score, double unk_score, const int32_t *w,
                     int n, int skip_whole) {
    l->n_nodes = 0;
    if (grow_pos(l, n)) return -1;
    for (int i = 0; i < n; i++) {
        int32_t node = 0;
        int single = 0;
        for (int k = 0; k < t->max_len && i + k < n; k++) {
            node = trie_child(t, node, w[i + k]);
            if (node < 0) break;
            int32_t p = t->piece[node];
            if (p < 0 || (skip_whole && i == 0 && k + 1 == n)) continue;
            if (grow(l, l->n_nodes + 1)) return -1;
            l->nodes[l->n_nodes++] = (ug_node){i, i + k + 1, p, score[p]};
            if (k == 0) single = 1;
        }
        if (!single) {
            if (grow(l, l->n_nodes + 1)) return -1;
            l->nodes[l->n_nodes++] = (ug_node){i, i + 1, -1, unk_score};
        }
    }
    l->n = n;
    return 0;
}

static double log_add(double x, double y) {
    if (x == -INFINITY) return y;
    if (y == -INFINITY) return x;
    return x > y ? x + log1p(exp(y - x)) : y + log1p(exp(x - y));
}

double ug_lattice_expect(ug_lattice *l, double freq, double *expected) {
    int n = l->n;
    for (int i = 0; i <= n; i++) l->a[i] = l->b[i] = -INFINITY;
    l->a[0] = 0;
    for (long k = 0; k < l->n_nodes; k++) {
        const ug_node *d = &l->nodes[k];
        l->a[d->end] = log_add(l->a[d->end], l->a[d->start] + d->score);
    }
    l->b[n] = 0;
    for (long k = l->n_nodes - 1; k >= 0; k--) {
        const ug_node *d = &l->nodes[k];
        l->b[d->start] = log_add(l->b[d->start], d->score + l->b[d->end]);
    }
    double z = l->a[n];
    for (long k = 0; k < l->n_nodes; k++) {
        const ug_node *d = &l->nodes[k];
        if (d->piece >= 0) expected[d->piece] += freq * exp(l->a[d->start] + d->score + l->b[d->end] - z);
    }
    return z;
}

int ug_lattice_viterbi(ug_lattice *l, int32_t *path, double *best_score) {
    int n = l->n;
    for (int i = 0; i <= n; i++) l->a[i] = -INFINITY, l->back[i] = -1;
    l->a[0] = 0;
    for (long k = 0; k < l->n_nodes; k++) {
        const ug_node *d = &l->nodes[k];
        double s = l->a[d->start] + d->score;
        if (s > l->a[d->end]) l->a[d->end] = s, l->back[d->end] = k;
    }
    if (best_score) *best_score = l->a[n];
    if (l->back[n] < 0) return n == 0 ? 0 : -1;
    int m = 0;
    for (int pos = n; pos > 0; pos = l->nodes[l->back[pos]].start) m++;
    int i = m;
    for (int pos = n; pos > 0; pos = l->nodes[l->back[pos]].start) path[--i] = l->nodes[l->back[pos]].piece;
    return m;
}

void ug_lattice_free(ug_lattice *l) {
    free(l->nodes), free(l->a), free(l->b), free(l->back);
    memset(l, 0, sizeof *l);
}
