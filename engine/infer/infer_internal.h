/* infer_internal.h — helpers shared by the inference files (not part of the public API). */
#ifndef BB_INFER_INTERNAL_H
#define BB_INFER_INTERNAL_H

#include <math.h>

#include "infer.h"

/* (Re)allocates cx->acts for (B, T) when the shape changed. */
int infer_ensure_acts(infer_ctx *cx, int B, int T, char *err, size_t errlen);
/* cx->work grown to at least floats; NULL (message in err) when out of memory. */
float *infer_work(infer_ctx *cx, size_t floats, char *err, size_t errlen);
/* out (V) = log softmax(logits), computed in double for the normaliser. */
void infer_log_softmax_row(float *out, const float *logits, int V);

#endif
