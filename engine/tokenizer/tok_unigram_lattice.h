/* tok_unigram_lattice.h — the Unigram trainer's piece trie and word lattice (private). */
#ifndef BB_TOK_UNIGRAM_LATTICE_H
#define BB_TOK_UNIGRAM_LATTICE_H

#include <stdint.h>

#define UG_UNK (-1) /* a character outside the required set: no piece matches it */

/* Pieces as code point strings: edges (node, code point) -> child in one open-addressing table. */
typedef struct {
    uint64_t *key;    /* (mask + 1) edge keys, 0 = empty */
    int32_t *child;   /* (mask + 1) */
    uint64_t mask;
    int32_t *piece;   /* (n_nodes) piece index ending at the node, -1 when none */
    int32_t n_nodes;
    int max_len;
} ug_trie;

/* Returns 0, or -1 when out of memory. */
int ug_trie_build(ug_trie *t, const int32_t *const *cps, const int *lens, int n);
void ug_trie_free(ug_trie *t);

typedef struct {
    int32_t start, end; /* code points [start, end) of the word */
    int32_t piece;      /* -1 for an unknown character */
    double score;
} ug_node;

/* One word's lattice, nodes in order of their start; buffers reused across words. */
typedef struct {
    ug_node *nodes;
    long n_nodes, cap;
    int n;              /* code points in the word */
    double *a, *b;      /* (n + 1) forward / backward log sums, or Viterbi best scores */
    long *back;         /* (n + 1) Viterbi: the node ending each position */
    int pos_cap;
} ug_lattice;

/* Every piece match at every position of w, and an unknown node (unk_score) wherever no one-character
 * piece matches; skip_whole leaves out the node spanning all of w. -1 when out of memory. */
int ug_lattice_build(ug_lattice *l, const ug_trie *t, const double *score, double unk_score, const int32_t *w,
                     int n, int skip_whole);
/* Adds freq x the marginal of each piece node into expected; returns log Z. */
double ug_lattice_expect(ug_lattice *l, double freq, double *expected);
/* The best segmentation's pieces (-1 = unknown) into path (room for n), their count as the result;
 * -1 when there is none (only with skip_whole on a one-character word). */
int ug_lattice_viterbi(ug_lattice *l, int32_t *path, double *best_score);
void ug_lattice_free(ug_lattice *l);

#endif
