/* dropout.c — inverted dropout with a recorded keep mask, driven by the caller's seeded RNG: the
 * forward takes one draw of it as the seed of the mask's blocks (ops_dropout_stream), and each pool
 * share draws its blocks' decisions and applies them while they are in L1. */
#include <string.h>

#include "bb_err.h"
#include "ops.h"
#include "ops_internal.h"

void ops_dropout_draw(uint8_t *keep, long n, float p, bb_rng *rng) {
    uint32_t thr = ops_dropout_threshold(p);
    bb_rng l = *rng; /* a local state stays in registers: stores through keep (bytes) may alias *rng */
    long i = 0;
    for (; i + 1 < n; i += 2) {
        uint64_t r = bb_rng_u64(&l);
        keep[i] = (uint32_t)r >= thr;
        keep[i + 1] = (uint32_t)(r >> 32) >= thr;
    }
    if (i < n) keep[i] = (uint32_t)bb_rng_u64(&l) >= thr;
    *rng = l;
}

typedef struct {
    float *out;
    const float *inp;
    uint8_t *keep;
    float p, scale;
    uint64_t seed; /* the mask's */
    long n;
} drop_fwd_ctx;

typedef struct {
    float *out;
    const float *inp;
    const uint8_t *keep;
    float scale;
    int set; /* backward: overwrite out instead of adding */
    float *dbias; /* backward_set by columns: column sums of out added here */
    long N;
    int C;
} drop_ctx;

/* Blocks begin..end-1 of OPS_DROP_BLOCK values: each draws its decisions from its own stream, then
 * applies them. */
OPS_HOT
static void dropout_forward_share(void *vc, long begin, long end, int worker) {
    const drop_fwd_ctx *c = vc;
    uint8_t *keep = c->keep;
    for (long b = begin; b < end; b++) {
        long lo = b * OPS_DROP_BLOCK, hi = lo + OPS_DROP_BLOCK < c->n ? lo + OPS_DROP_BLOCK : c->n;
        bb_rng r;
        ops_dropout_stream(&r, c->seed, (uint64_t)b);
        ops_dropout_draw(keep + lo, hi - lo, c->p, &r);
        ops_dropout_apply(c->out + lo, c->inp + lo, keep + lo, hi - lo, c->scale, 0);
    }
}

void dropout_forward(float *out, uint8_t *keep, const float *inp, long n, float p, bb_rng *rng) {
    BB_ASSERT(p >= 0.0f && p < 1.0f);
    if (p == 0.0f) {
        if (out != inp) memcpy(out, inp, (size_t)n * sizeof *out);
        if (keep) memset(keep, 1, (size_t)n);
        return;
    }
    BB_ASSERT(keep && rng);
    drop_fwd_ctx c = {out, inp, keep, p, 1.0f / (1.0f - p), bb_rng_u64(rng), n};
    bb_pool_for(ops_pool(), (n + OPS_DROP_BLOCK - 1) / OPS_DROP_BLOCK, 1, dropout_forward_share, &c);
}

OPS_HOT
static void dropout_backward_share(void *vc, long begin, long end, int worker) {
    const drop_ctx *c = vc;
    float *out = c->out;
    const float *inp = c->inp;
    if (c->set) {
        if (!c->keep) {
            if (out != inp) memcpy(out + begin, inp + begin, sizeof(float) * (size_t)(end - begin));
            return;
        }
        ops_dropout_apply(out + begin, inp + begin, c->keep + begin, end - begin, c->scale, 0);
        return;
    }
    if (!c->keep) {
        for (long i = begin; i < end; i++) out[i] += inp[i];
        return;
    }
    ops_dropout_apply(out + begin, inp + begin, c->keep + begin, end - begin, c->scale, 1);
}

/* Channels begin..end-1 of every row, stored, then added to dbias row by row (linear_backward's
 * order for its bias gradient, so the same bits) while the row is still in L1. */
OPS_HOT
static void dropout_backward_bias_share(void *vc, long begin, long end, int worker) {
    const drop_ctx *c = vc;
    for (long n = 0; n < c->N; n++) {
        float *out = c->out + n * c->C;
        const float *inp = c->inp + n * c->C;
        if (!c->keep) {
            if (out != inp) memcpy(out + begin, inp + begin, sizeof(float) * (size_t)(end - begin));
        } else {
            const uint8_t *keep = c->keep + n * c->C;
            ops_dropout_apply(out + begin, inp + begin, keep + begin, end - begin, c->scale, 0);
        }
        for (long i = begin; i < end; i++) c->dbias[i] += out[i];
    }
}

void dropout_backward(float *dinp, const float *dout, const uint8_t *keep, long n, float p) {
    if (!dinp) return;
    drop_ctx c = {dinp, dout, p == 0.0f ? NULL : keep, p == 0.0f ? 1.0f : 1.0f / (1.0f - p), 0, NULL, 0, 0};
    bb_pool_for(ops_pool(), n, OPS_GRAIN, dropout_backward_share, &c);
}

void dropout_backward_set(float *dinp, float *dbias, const float *dout, const uint8_t *keep, long N, int C, float p) {
    if (!dinp) return;
    drop_ctx c = {dinp, dout, p == 0.0f ? NULL : keep, p == 0.0f ? 1.0f : 1.0f / (1.0f - p), 1, dbias, N, C};
    if (dbias)
        bb_pool_for(ops_pool(), C, N * C >= 4 * OPS_GRAIN ? 64 : C, dropout_backward_bias_share, &c);
    else
        bb_pool_for(ops_pool(), N * C, OPS_GRAIN, dropout_backward_share, &c);
}
