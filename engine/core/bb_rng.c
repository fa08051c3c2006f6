#include "bb_rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void bb_rng_seed(bb_rng *r, uint64_t seed) {
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&seed);
}


float bb_rng_uniform(bb_rng *r) { return (float)(bb_rng_u64(r) >> 40) / 16777216.0f; }

uint32_t bb_rng_below(bb_rng *r, uint32_t n) { return (uint32_t)(((bb_rng_u64(r) >> 32) * n) >> 32); }

float bb_rng_normal(bb_rng *r) {
    float u1 = bb_rng_uniform(r), u2 = bb_rng_uniform(r);
    if (u1 < 1e-12f) u1 = 1e-12f;
    return sqrtf(-2.0f * logf(u1)) * cosf(6.283185307179586f * u2);
}
