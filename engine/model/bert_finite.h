/* bert_finite.h — finding NaN or Inf among many float arrays at memory speed (internal to engine/model).
 *
 * The loaders refuse non-finite weights naming the tensor and the element; that check reads every
 * weight once, which for a mapped checkpoint is the first touch of every page: it is split into
 * chunks that the engine's threads scan side by side. */
#ifndef BB_BERT_FINITE_H
#define BB_BERT_FINITE_H

#include <stdint.h>

#include "bb_work.h"

/* Index of the first NaN or Inf in x[0..n), or -1. */
int64_t bert_first_nonfinite(const float *x, int64_t n);

/* Looks through arrays[0..count) (lens[i] floats each) on the engine's pool (bb_pool.h). Returns 1 and
 * sets *which and *at to the first non-finite element (the lowest array, then the lowest index: the
 * same answer whatever the thread count), 0 when every element is finite, -1 once work is cancelled
 * (work may be NULL). The calling thread reports ("tensors", the array it is in, count) to work as it
 * goes, and (count, count) at the end. */
int bert_find_nonfinite(const float *const *arrays, const int64_t *lens, int count, bb_work *work, int *which,
                        int64_t *at);

#endif
