/* bench_ops.c — timings of the ops at bert-base shapes (batch 1, T = 128), run with
 * `meson test --benchmark ops_bench`. Not a test: nothing is asserted. Prints one JSON line per op
 * with the median over repetitions, and the 2048^3 sgemm figure for scale. */
#include <cblas.h>
#include <time.h>

#include "ops.h"
#include "opstest.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

#define REPS 21
#define TIME(label, flops, stmt)                                                                   \
    do {                                                                                           \
        double t_[REPS];                                                                           \
        stmt; /* warm-up */                                                                        \
        for (int r_ = 0; r_ < REPS; r_++) {                                                        \
            double t0_ = now();                                                                    \
            stmt;                                                                                  \
            t_[r_] = now() - t0_;                                                                  \
        }                                                                                          \
        qsort(t_, REPS, sizeof t_[0], cmp_double);                                                 \
        double med_ = t_[REPS / 2];                                                                \
        printf("{\"op\":\"%s\",\"median_ms\":%.4f,\"gflops\":%.1f}\n", (label), med_ * 1e3,          \
               (flops) > 0 ? (flops) / med_ * 1e-9 : 0.0);                                         \
    } while (0)

/* The textbook loop with libm, to show what the vectorised kernel saves. */
static void gelu_libm(float *out, const float *inp, long n) {
    for (long i = 0; i < n; i++) out[i] = 0.5f * inp[i] * (1.0f + erff(inp[i] * 0.70710678f));
}

int main(void) {
    enum { T = 128, C = 768, C4 = 3072, NH = 12, S = 2048 };
    bb_rng rng;
    bb_rng_seed(&rng, 1);
    float *a = alloc_floats((long)S * S), *b = alloc_floats((long)S * S), *c = alloc_floats((long)S * S);
    fill_uniform(a, (long)S * S, &rng, -1, 1), fill_uniform(b, (long)S * S, &rng, -1, 1);
    TIME("sgemm 2048^3", 2.0 * S * S * S,
         cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, S, S, S, 1.0f, a, S, b, S, 0.0f, c, S));

    float *x = alloc_floats((long)T * C4), *y = alloc_floats((long)T * C4), *w = alloc_floats((long)C4 * C);
    float *bias = alloc_floats(C4), *dx = alloc_floats((long)T * C4), *dw = alloc_floats((long)C4 * C);
    float *db = alloc_floats(C4);
    fill_uniform(x, (long)T * C4, &rng, -3, 3), fill_uniform(w, (long)C4 * C, &rng, -0.1f, 0.1f);
    TIME("linear fwd 128x768->3072", 2.0 * T * C * C4, linear_forward(y, x, w, bias, T, C, C4));
    TIME("linear fwd 128x3072->768", 2.0 * T * C * C4, linear_forward(y, x, w, bias, T, C4, C));
    TIME("linear bwd 128x768->3072", 4.0 * T * C * C4, linear_backward(dx, dw, db, y, x, w, T, C, C4));

    long n = (long)T * C4;
    TIME("gelu erf fwd 128x3072", 0, act_forward(y, x, n, BB_ACT_GELU));
    TIME("gelu erf fwd 128x3072 (libm erff)", 0, gelu_libm(y, x, n));
    TIME("gelu tanh fwd 128x3072", 0, act_forward(y, x, n, BB_ACT_GELU_TANH));
    TIME("gelu erf bwd 128x3072", 0, act_backward(dx, x, NULL, y, n, BB_ACT_GELU));
    act_forward(w, x, n, BB_ACT_GELU);
    TIME("gelu erf bwd 128x3072 (given the forward's output)", 0, act_backward(dx, x, w, y, n, BB_ACT_GELU));

    float mean[T], rstd[T];
    TIME("layernorm fwd 128x768", 0, layernorm_forward(y, mean, rstd, x, w, bias, T, C, 1e-12f));
    TIME("layernorm bwd 128x768", 0, layernorm_backward(dx, dw, db, y, x, w, mean, rstd, T, C));
    TIME("residual + layernorm fwd 128x768, two ops", 0,
         (residual_forward(dx, x, y, (long)T * C), layernorm_forward(dw, mean, rstd, dx, w, bias, T, C, 1e-12f)));
    TIME("residual + layernorm fwd 128x768, fused", 0,
         residual_layernorm_forward(dx, dw, mean, rstd, x, y, w, bias, T, C, 1e-12f));

    float *qkv = alloc_floats((long)T * 3 * C), *probs = alloc_floats((long)NH * T * T);
    float *pd = alloc_floats((long)NH * T * T), *scratch = alloc_floats(attention_backward_scratch(T));
    float *mask = alloc_floats(T);
    fill_uniform(qkv, (long)T * 3 * C, &rng, -1, 1);
    for (int t = 0; t < T; t++) mask[t] = t < 100 ? 1.0f : 0.0f;
    double aflops = 4.0 * T * T * C;
    TIME("attention fwd NH12 T128", aflops,
         attention_forward(y, probs, NULL, qkv, mask, 1, T, C, NH, 0.0f, NULL));
    TIME("attention fwd NH12 T128 dropout 0.1", aflops,
         attention_forward(y, probs, pd, qkv, mask, 1, T, C, NH, 0.1f, &rng));
    TIME("attention bwd NH12 T128", 2.0 * aflops,
         attention_backward(dx, x, qkv, probs, NULL, 1, T, C, NH, 0.0f, scratch));
    TIME("softmax 128x3072", 0, softmax_forward(y, x, T, C4));

    free(a), free(b), free(c), free(x), free(y), free(w), free(bias), free(dx), free(dw), free(db);
    free(qkv), free(probs), free(pd), free(scratch), free(mask);
    return 0;
}
