/* bb_rng.h — a small seeded RNG (xoshiro-style splitmix64 + xorshift) shared by initialisation,
 * dropout, masking and data shuffling, so a run is reproducible from its seed and its state can be
 * saved in a checkpoint and restored bit-exactly. */
#ifndef BB_RNG_H
#define BB_RNG_H

#include <stdint.h>

typedef struct { uint64_t s[4]; } bb_rng;

void bb_rng_seed(bb_rng *r, uint64_t seed);

static inline uint64_t bb_rng_rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

/* xoshiro256**. Inline: masking and shuffling draw it per token, and each dropout block seeds its
 * generators from it (a call per draw cost about 2.3 ns when dropout drew every decision here). */
static inline uint64_t bb_rng_u64(bb_rng *r) {
    uint64_t *s = r->s;
    uint64_t result = bb_rng_rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = bb_rng_rotl(s[3], 45);
    return result;
}
/* Uniform in [0, 1) with 24 random bits. */
float bb_rng_uniform(bb_rng *r);
/* Uniform integer in [0, n), n > 0. */
uint32_t bb_rng_below(bb_rng *r, uint32_t n);
/* Standard normal (Box-Muller). */
float bb_rng_normal(bb_rng *r);

#endif
