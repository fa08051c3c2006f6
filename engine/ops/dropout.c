/* dropout.c — inverted dropout with a recorded keep mask, driven by the caller's seeded RNG: the
 * forward takes one draw of it as the seed of the mask's blocks (ops_dropout_stream), and each pool
 * share draws its blocks' decisions and applies them while they are in L1. */
#include <string.h>

#include "bb_err.h"
#include "ops.h"
#include "ops_internal.h"

/* The decisions come from DRAW_LANES xoshiro256** generators stepped side by side (one vector
 * register per state word under AVX2), each seeded through splitmix64 by four draws of the caller's
 * stream: value i of the mask is half (i & 1) of lane (i / 2) % DRAW_LANES's draw number
 * i / (2 DRAW_LANES). One generator stepped alone took ~1 ns a decision, ~1% of an L4/H256 training
 * step. */
#define DRAW_LANES 8

static uint64_t splitmix64(uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

OPS_HOT
void ops_dropout_draw(uint8_t *keep, long n, float p, bb_rng *rng) {
    uint32_t thr = ops_dropout_threshold(p);
    uint64_t s0[DRAW_LANES], s1[DRAW_LANES], s2[DRAW_LANES], s3[DRAW_LANES];
    for (int l = 0; l < DRAW_LANES; l++) {
        s0[l] = splitmix64(bb_rng_u64(rng));
        s1[l] = splitmix64(bb_rng_u64(rng));
        s2[l] = splitmix64(bb_rng_u64(rng));
        s3[l] = splitmix64(bb_rng_u64(rng));
    }
    for (long i = 0; i < n; i += 2 * DRAW_LANES) {
        union {
            uint64_t d[DRAW_LANES];
            uint32_t h[2 * DRAW_LANES];
        } r;
        for (int l = 0; l < DRAW_LANES; l++) {
            r.d[l] = bb_rng_rotl(s1[l] * 5, 7) * 9;
            uint64_t t = s1[l] << 17;
            s2[l] ^= s0[l];
            s3[l] ^= s1[l];
            s1[l] ^= s2[l];
            s0[l] ^= s3[l];
            s2[l] ^= t;
            s3[l] = bb_rng_rotl(s3[l], 45);
        }
        if (i + 2 * DRAW_LANES <= n) {
            for (int j = 0; j < 2 * DRAW_LANES; j++) keep[i + j] = r.h[j] >= thr;
        } else {
            for (long j = 0; i + j < n; j++) keep[i + j] = r.h[j] >= thr;
        }
    }
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
    float *dbias; /* backward_set: column sums of out added here */
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

/* Rows r0..r1-1 of the gradient (set), as ops_bias_grad's fill. */
static void dropout_backward_rows(void *vc, long r0, long r1) {
    const drop_ctx *c = vc;
    dropout_backward_share((void *)c, r0 * c->C, r1 * c->C, 0);
}

void dropout_backward(float *dinp, const float *dout, const uint8_t *keep, long n, float p) {
    if (!dinp) return;
    drop_ctx c = {dinp, dout, p == 0.0f ? NULL : keep, p == 0.0f ? 1.0f : 1.0f / (1.0f - p), 0, NULL, 0, 0};
    bb_pool_for(ops_pool(), n, OPS_GRAIN, dropout_backward_share, &c);
}

void dropout_backward_set(float *dinp, float *dbias, const float *dout, const uint8_t *keep, long N, int C, float p) {
    if (!dinp) return;
    drop_ctx c = {dinp, dout, p == 0.0f ? NULL : keep, p == 0.0f ? 1.0f : 1.0f / (1.0f - p), 1, dbias, N, C};
    if (dbias) /* the gradient block by block, each summed into the bias gradient while in L2 */
        ops_bias_grad(dbias, dinp, N, C, dropout_backward_rows, &c);
    else
        bb_pool_for(ops_pool(), N * C, OPS_GRAIN, dropout_backward_share, &c);
}
