/* bert_finite.h — finding NaN or Inf among many float arrays at memory speed (internal to engine/model).
 *
 * The loaders refuse non-finite weights naming the tensor and the element; that check reads every
 * weight once, which for a mapped checkpoint is the first touch of every page: it is split into
 * chunks that up to `threads` threads scan (the main thread one of them). */
#ifndef BB_BERT_FINITE_H
#define BB_BERT_FINITE_H

#include <stdint.h>

/* Index of the first NaN or Inf in x[0..n), or -1. */
int64_t bert_first_nonfinite(const float *x, int64_t n);

/* Looks through arrays[0..count) (lens[i] floats each) with up to threads threads. Returns 1 and sets
 * *which and *at to the first non-finite element (the lowest array, then the lowest index: the same
 * answer as a serial scan), or 0 when every element is finite. */
int bert_find_nonfinite(const float *const *arrays, const int64_t *lens, int count, int threads, int *which,
                      int64_t *at);

#endif
