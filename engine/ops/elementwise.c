/* elementwise.c — the residual connection and buffer clears, on the engine's pool. */
#include <string.h>

#include "ops.h"
#include "ops_internal.h"

typedef struct {
    float *out;
    const float *a, *b;
} res_ctx;

static void residual_forward_share(void *vc, long begin, long end, int worker) {
    const res_ctx *c = vc;
    for (long i = begin; i < end; i++) c->out[i] = c->a[i] + c->b[i];
}

void residual_forward(float *out, const float *a, const float *b, long n) {
    res_ctx c = {out, a, b};
    bb_pool_for(ops_pool(), n, OPS_GRAIN, residual_forward_share, &c);
}

/* out += a over the share (used for both inputs of the residual backward) */
static void accumulate_share(void *vc, long begin, long end, int worker) {
    const res_ctx *c = vc;
    for (long i = begin; i < end; i++) c->out[i] += c->a[i];
}

void residual_backward(float *da, float *db, const float *dout, long n) {
    res_ctx c = {da, dout, NULL};
    if (da) bb_pool_for(ops_pool(), n, OPS_GRAIN, accumulate_share, &c);
    c.out = db;
    if (db) bb_pool_for(ops_pool(), n, OPS_GRAIN, accumulate_share, &c);
}

static void zero_share(void *vc, long begin, long end, int worker) {
    memset((float *)vc + begin, 0, sizeof(float) * (size_t)(end - begin));
}

void ops_zero(float *x, long n) { bb_pool_for(ops_pool(), n, 4 * OPS_GRAIN, zero_share, x); }
