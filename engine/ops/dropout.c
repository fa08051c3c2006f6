/* dropout.c — inverted dropout with a recorded keep mask, driven by the caller's seeded RNG. */
#include <string.h>

#include "bb_err.h"
#include "ops.h"
#include "ops_internal.h"

void ops_dropout_draw(uint8_t *keep, long n, float p, bb_rng *rng) {
    uint32_t thr = ops_dropout_threshold(p);
    long i = 0;
    for (; i + 1 < n; i += 2) {
        uint64_t r = bb_rng_u64(rng);
        keep[i] = (uint32_t)r >= thr;
        keep[i + 1] = (uint32_t)(r >> 32) >= thr;
    }
    if (i < n) keep[i] = (uint32_t)bb_rng_u64(rng) >= thr;
}

void dropout_forward(float *out, uint8_t *keep, const float *inp, long n, float p, bb_rng *rng) {
    BB_ASSERT(p >= 0.0f && p < 1.0f);
    if (p == 0.0f) {
        if (out != inp) memcpy(out, inp, (size_t)n * sizeof *out);
        if (keep) memset(keep, 1, (size_t)n);
        return;
    }
    BB_ASSERT(keep && rng);
    ops_dropout_draw(keep, n, p, rng);
    float scale = 1.0f / (1.0f - p);
    for (long i = 0; i < n; i++) out[i] = keep[i] ? inp[i] * scale : 0.0f;
}

void dropout_backward(float *dinp, const float *dout, const uint8_t *keep, long n, float p) {
    if (!dinp) return;
    if (p == 0.0f) {
        for (long i = 0; i < n; i++) dinp[i] += dout[i];
        return;
    }
    float scale = 1.0f / (1.0f - p);
    for (long i = 0; i < n; i++) dinp[i] += keep[i] ? dout[i] * scale : 0.0f;
}
