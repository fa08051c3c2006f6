/* test_ops_set.c — every `_set` backward (which overwrites its input gradient) equals the adding
 * form run on a zeroed buffer, bit for bit, whatever the buffer held before (NaN here), with its
 * parameter gradients still added; the aliasing the `_set` forms allow (dinp == dout) gives the
 * same result. Sizes are above the ops' grain, so the loops are shared on a multi-core machine. */
#include <string.h>

#include "ops.h"
#include "ops_internal.h"
#include "opstest.h"

enum { N = 600, C = 96, OC = 160, V = 1000, B = 2, T = 48, NH = 4 };

static bb_rng rng;

static float *rand_floats(long n) {
    float *x = alloc_floats(n);
    fill_uniform(x, n, &rng, -1.0f, 1.0f);
    return x;
}

/* n floats of NaN: a `_set` form must not read what its output held */
static float *nan_floats(long n) {
    float *x = alloc_floats(n);
    for (long i = 0; i < n; i++) x[i] = NAN;
    return x;
}

static int same(const float *a, const float *b, long n) { return memcmp(a, b, sizeof(float) * (size_t)n) == 0; }

static void test_linear_set(void) {
    float *dout = rand_floats((long)N * OC), *inp = rand_floats((long)N * C), *w = rand_floats((long)OC * C);
    float *add = alloc_floats((long)N * C), *set = nan_floats((long)N * C);
    float *dw1 = rand_floats((long)OC * C), *dw2 = alloc_floats((long)OC * C), *db1 = rand_floats(OC), *db2 = alloc_floats(OC);
    memcpy(dw2, dw1, sizeof(float) * (size_t)OC * C);
    memcpy(db2, db1, sizeof(float) * OC);
    linear_backward(add, dw1, db1, dout, inp, w, N, C, OC);
    linear_backward_set(set, dw2, db2, dout, inp, w, N, C, OC);
    CHECK(same(add, set, (long)N * C), "linear_backward_set: dinp differs from zero + linear_backward");
    CHECK(same(dw1, dw2, (long)OC * C) && same(db1, db2, OC), "linear_backward_set: parameter gradients not added");
    free(dout), free(inp), free(w), free(add), free(set), free(dw1), free(dw2), free(db1), free(db2);
}

static void test_layernorm_set(void) {
    long n = (long)N * C;
    float *x = rand_floats(n), *dout = rand_floats(n), *w = rand_floats(C), *bias = rand_floats(C);
    float *out = alloc_floats(n), *mean = alloc_floats(N), *rstd = alloc_floats(N);
    layernorm_forward(out, mean, rstd, x, w, bias, N, C, 1e-12f);
    float *add = alloc_floats(n), *set = nan_floats(n);
    float *dw1 = rand_floats(C), *dw2 = alloc_floats(C), *db1 = rand_floats(C), *db2 = alloc_floats(C);
    memcpy(dw2, dw1, sizeof(float) * C);
    memcpy(db2, db1, sizeof(float) * C);
    layernorm_backward(add, dw1, db1, dout, x, w, mean, rstd, N, C);
    layernorm_backward_set(set, dw2, db2, dout, x, w, mean, rstd, N, C);
    CHECK(same(add, set, n), "layernorm_backward_set: dinp differs from zero + layernorm_backward");
    CHECK(same(dw1, dw2, C) && same(db1, db2, C), "layernorm_backward_set: parameter gradients not added");
    free(x), free(dout), free(w), free(bias), free(out), free(mean), free(rstd), free(add), free(set);
    free(dw1), free(dw2), free(db1), free(db2);
}

/* dbias as linear_backward sums it from d (N,OC) onto the same starting values */
static int dbias_matches(const float *d, const float *got, const float *start) {
    float *want = alloc_floats(OC);
    memcpy(want, start, sizeof(float) * OC);
    linear_backward(NULL, NULL, want, d, NULL, NULL, N, 1, OC);
    int ok = same(want, got, OC);
    free(want);
    return ok;
}

static void test_act_dropout_set(void) {
    long n = (long)N * OC;
    float *x = rand_floats(n), *dout = rand_floats(n), *add = alloc_floats(n), *set = nan_floats(n), *alias = alloc_floats(n);
    float *db0 = rand_floats(OC), *db = alloc_floats(OC), *fx = alloc_floats(n);
    for (int act = BB_ACT_GELU; act <= BB_ACT_RELU; act++)
        for (int given = 0; given < 2; given++) { /* without and with the forward's output */
            const float *out = NULL;
            if (given) {
                act_forward(fx, x, n, (bb_act)act);
                out = fx;
            }
            memset(add, 0, sizeof(float) * (size_t)n);
            act_backward(add, x, out, dout, n, (bb_act)act);
            act_backward_set(set, NULL, x, out, dout, N, OC, (bb_act)act);
            CHECK(same(add, set, n), "act_backward_set (act %d, out %d) differs from zero + act_backward", act, given);
            memcpy(alias, dout, sizeof(float) * (size_t)n);
            memcpy(db, db0, sizeof(float) * OC);
            act_backward_set(alias, db, x, out, alias, N, OC, (bb_act)act);
            CHECK(same(add, alias, n), "act_backward_set (act %d, out %d) in place, with dbias, differs", act, given);
            CHECK(dbias_matches(add, db, db0), "act_backward_set (act %d, out %d): dbias differs from linear_backward's",
                  act, given);
        }
    free(fx);
    uint8_t *keep = malloc((size_t)n);
    float *y = alloc_floats(n);
    bb_rng r;
    bb_rng_seed(&r, 5);
    dropout_forward(y, keep, x, n, 0.2f, &r);
    for (int k = 0; k < 2; k++) {
        float p = k ? 0.2f : 0.0f;
        memset(add, 0, sizeof(float) * (size_t)n);
        for (long i = 0; i < n; i++) set[i] = NAN;
        dropout_backward(add, dout, keep, n, p);
        dropout_backward_set(set, NULL, dout, keep, N, OC, p);
        CHECK(same(add, set, n), "dropout_backward_set (p %g) differs from zero + dropout_backward", (double)p);
        for (long i = 0; i < n; i++) set[i] = NAN;
        memcpy(db, db0, sizeof(float) * OC);
        dropout_backward_set(set, db, dout, keep, N, OC, p);
        CHECK(same(add, set, n), "dropout_backward_set (p %g) with dbias differs", (double)p);
        CHECK(dbias_matches(add, db, db0), "dropout_backward_set (p %g): dbias differs from linear_backward's", (double)p);
        memcpy(alias, dout, sizeof(float) * (size_t)n);
        dropout_backward_set(alias, NULL, alias, keep, N, OC, p);
        CHECK(same(add, alias, n), "dropout_backward_set (p %g) in place differs", (double)p);
    }
    free(x), free(dout), free(add), free(set), free(alias), free(keep), free(y), free(db0), free(db);
}

static void test_attention_set(void) {
    long nqkv = (long)B * T * 3 * C, nc = (long)B * T * C, att = (long)B * NH * T * T;
    float *qkv = rand_floats(nqkv), *dout = rand_floats(nc), *out = alloc_floats(nc), *probs = alloc_floats(att),
          *pd = alloc_floats(att), *scratch = alloc_floats(attention_backward_scratch(T));
    float *add = alloc_floats(nqkv), *set = nan_floats(nqkv);
    bb_rng r;
    bb_rng_seed(&r, 6);
    attention_forward(out, probs, pd, qkv, NULL, B, T, C, NH, 0.1f, &r);
    attention_backward(add, dout, qkv, probs, pd, B, T, C, NH, 0.1f, scratch);
    attention_backward_set(set, dout, qkv, probs, pd, B, T, C, NH, 0.1f, scratch);
    CHECK(same(add, set, nqkv), "attention_backward_set differs from zero + attention_backward");
    free(qkv), free(dout), free(out), free(probs), free(pd), free(scratch), free(add), free(set);
}

static void test_crossentropy_set(void) {
    long n = (long)N * V;
    float *logits = rand_floats(n), *probs = alloc_floats(n), *losses = alloc_floats(N);
    int32_t *targets = malloc(sizeof(int32_t) * N);
    for (int i = 0; i < N; i++) targets[i] = i % 7 == 3 ? -100 : (int32_t)bb_rng_below(&rng, V);
    crossentropy_forward(losses, probs, logits, targets, N, V);
    float *add = alloc_floats(n), *set = nan_floats(n), *db1 = rand_floats(V), *db2 = alloc_floats(V);
    crossentropy_backward(add, probs, targets, N, V, 0.25f);
    crossentropy_backward_set(set, NULL, probs, targets, N, V, 0.25f);
    CHECK(same(add, set, n), "crossentropy_backward_set differs from zero + crossentropy_backward");
    /* with the bias gradient: the same dlogits, and dbias as linear_backward sums it */
    memcpy(db2, db1, sizeof(float) * V);
    linear_backward(NULL, NULL, db1, add, NULL, NULL, N, 1, V);
    for (long i = 0; i < n; i++) set[i] = NAN;
    crossentropy_backward_set(set, db2, probs, targets, N, V, 0.25f);
    CHECK(same(add, set, n), "crossentropy_backward_set with dbias: dlogits differ");
    CHECK(same(db1, db2, V), "crossentropy_backward_set: dbias differs from linear_backward's");
    crossentropy_backward_set(probs, NULL, probs, targets, N, V, 0.25f);
    CHECK(same(add, probs, n), "crossentropy_backward_set in place (dlogits == probs) differs");
    free(db1), free(db2);
    free(logits), free(probs), free(losses), free(targets), free(add), free(set);
}

/* The bias gradient sums in the order ops_internal.h documents (each block of OPS_BIAS_ROWS rows in
 * order from its first row, then the blocks in order onto dbias), bit for bit, and close to the
 * double-precision column sums; N leaves a partial last block. */
static void test_bias_grad(void) {
    long n = (long)N * OC;
    float *d = rand_floats(n), *start = rand_floats(OC), *a = alloc_floats(OC), *b = alloc_floats(OC);
    memcpy(a, start, sizeof(float) * OC), memcpy(b, start, sizeof(float) * OC);
    ops_bias_grad(a, d, N, OC, NULL, NULL);
    for (int o = 0; o < OC; o++)
        for (long r0 = 0; r0 < N; r0 += OPS_BIAS_ROWS) {
            float part = d[r0 * OC + o];
            for (long r = r0 + 1; r < r0 + OPS_BIAS_ROWS && r < N; r++) part += d[r * OC + o];
            b[o] += part;
        }
    CHECK(same(a, b, OC), "bias gradient: not the documented order of sums");
    double worst = 0.0;
    for (int o = 0; o < OC; o++) {
        double s = start[o];
        for (long r = 0; r < N; r++) s += d[r * OC + o];
        worst = fmax(worst, fabs(s - a[o]));
    }
    CHECK(worst < 1e-4, "bias gradient: %.3g from the double sums", worst);
    CHECK(N % OPS_BIAS_ROWS != 0 && N > 2 * OPS_BIAS_ROWS, "N = %d should leave several blocks and a partial one", N);
    free(d), free(start), free(a), free(b);
}

int main(void) {
    bb_rng_seed(&rng, 4242);
    test_bias_grad();
    test_linear_set();
    test_layernorm_set();
    test_act_dropout_set();
    test_attention_set();
    test_crossentropy_set();
    return check_done();
}
