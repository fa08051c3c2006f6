/* opstest.h — helpers for the op tests: random fills and a central-difference gradient check.
 *
 * The gradient check perturbs one input element at a time by +-h, evaluates a scalar loss
 * L = sum_i r_i * out_i (accumulated in double by the caller's eval function) and compares
 * (L+ - L-) / (x+ - x-) with the analytic gradient, relative to the largest analytic entry
 * (the fixtures' tolerance convention for gradients). */
#ifndef BB_OPSTEST_H
#define BB_OPSTEST_H

#include "bb_rng.h"
#include "check.h"

static inline void fill_uniform(float *x, long n, bb_rng *r, float lo, float hi) {
    for (long i = 0; i < n; i++) x[i] = lo + (hi - lo) * bb_rng_uniform(r);
}

static inline float *alloc_floats(long n) {
    float *p = calloc((size_t)n, sizeof *p);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    return p;
}

/* sum_i r_i * out_i in double */
static inline double dot_d(const float *r, const float *out, long n) {
    double s = 0.0;
    for (long i = 0; i < n; i++) s += (double)r[i] * out[i];
    return s;
}

typedef double (*gc_eval_fn)(void *ctx);

/* Returns max |fd - analytic| / max(max |analytic|, 1e-3) over every step-th entry of x (n entries;
 * step > 1 samples larger tensors). */
static inline double gc_relerr(float *x, long n, long step, const float *analytic, gc_eval_fn f,
                               void *ctx, float h) {
    double amax = 1e-3, emax = 0.0;
    for (long i = 0; i < n; i++)
        if (fabs(analytic[i]) > amax) amax = fabs(analytic[i]);
    for (long i = 0; i < n; i += step) {
        float save = x[i];
        float xp = save + h, xm = save - h;
        x[i] = xp;
        double lp = f(ctx);
        x[i] = xm;
        double lm = f(ctx);
        x[i] = save;
        double fd = (lp - lm) / ((double)xp - (double)xm);
        double e = fabs(fd - analytic[i]);
        if (e > emax || e != e) emax = e != e ? INFINITY : e;
    }
    return emax / amax;
}

#define GC_CHECK_STEP(name, x, n, step, analytic, f, ctx, h, tol)                          \
    do {                                                                                   \
        double gc_e_ = gc_relerr((x), (n), (step), (analytic), (f), (ctx), (h));           \
        printf("  %-28s finite-difference rel err %.2e\n", (name), gc_e_);                  \
        CHECK(gc_e_ <= (tol), "%s: finite-difference relative error %.3g > %.3g", (name),  \
              gc_e_, (double)(tol));                                                       \
    } while (0)
#define GC_CHECK(name, x, n, analytic, f, ctx, h, tol) \
    GC_CHECK_STEP(name, x, n, 1, analytic, f, ctx, h, tol)

/* Backward must ADD: with grads pre-filled with base, the result must be base + g (g from
 * zeroed grads). */
static inline double adds_err(const float *base, const float *g, const float *result, long n) {
    double m = 0.0;
    for (long i = 0; i < n; i++) {
        double want = (double)base[i] + g[i];
        double e = fabs(result[i] - want) / (1.0 + fabs(want));
        if (e > m || e != e) m = e != e ? INFINITY : e;
    }
    return m;
}

#endif
