/* The RNG is deterministic from its seed, uniform in range, and roughly normal. */
#include "bb_rng.h"
#include "check.h"

int main(void) {
    bb_rng a, b;
    bb_rng_seed(&a, 42);
    bb_rng_seed(&b, 42);
    int same = 1;
    for (int i = 0; i < 1000; i++) same &= bb_rng_u64(&a) == bb_rng_u64(&b);
    CHECK(same, "same seed gives same stream");
    double sum = 0, sq = 0;
    int inrange = 1;
    for (int i = 0; i < 100000; i++) {
        float u = bb_rng_uniform(&a);
        inrange &= u >= 0.0f && u < 1.0f;
        inrange &= bb_rng_below(&a, 7) < 7;
        float z = bb_rng_normal(&a);
        sum += z;
        sq += (double)z * z;
    }
    CHECK(inrange, "uniform and below stay in range");
    CHECK(fabs(sum / 1e5) < 0.02, "normal mean %g", sum / 1e5);
    CHECK(fabs(sq / 1e5 - 1.0) < 0.03, "normal variance %g", sq / 1e5);
    return check_done();
}
