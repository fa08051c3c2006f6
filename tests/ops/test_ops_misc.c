/* test_ops_misc.c — dropout statistics, determinism and the p == 0 identity; cross-entropy's
 * ignore-index count; exact values of embeddings, residual and tanh. */
#include "ops.h"
#include "ops_internal.h"
#include "opstest.h"

static bb_rng rng;

static void test_dropout_stats(float p) {
    long n = 200000;
    float *x = alloc_floats(n), *y = alloc_floats(n);
    uint8_t *keep = malloc((size_t)n);
    fill_uniform(x, n, &rng, 0.5f, 1.5f);
    bb_rng r;
    bb_rng_seed(&r, 99);
    dropout_forward(y, keep, x, n, p, &r);
    long kept = 0, bad = 0;
    double sx = 0.0, sy = 0.0;
    for (long i = 0; i < n; i++) {
        kept += keep[i];
        if (keep[i] ? fabsf(y[i] - x[i] / (1.0f - p)) > 1e-6f : y[i] != 0.0f) bad++;
        sx += x[i], sy += y[i];
    }
    /* kept ~ Binomial(n, 1-p): allow 5 standard deviations */
    double want = n * (1.0 - p), sd = sqrt(n * p * (1.0 - p));
    printf("  dropout p=%.2f: kept %ld of %ld (expected %.0f +- %.0f), mean ratio %.4f\n", (double)p,
           kept, n, want, sd, sy / sx);
    CHECK(fabs(kept - want) < 5 * sd, "dropout p=%g: kept %ld, want %.0f", (double)p, kept, want);
    CHECK(bad == 0, "dropout p=%g: %ld outputs not inp*keep/(1-p)", (double)p, bad);
    CHECK(fabs(sy / sx - 1.0) < 0.01, "dropout p=%g: mean not preserved (%.4f)", (double)p, sy / sx);
    /* same seed, same mask; in place gives the same result */
    uint8_t *keep2 = malloc((size_t)n);
    bb_rng_seed(&r, 99);
    dropout_forward(x, keep2, x, n, p, &r);
    CHECK(memcmp(keep, keep2, (size_t)n) == 0, "dropout: same seed gave a different mask");
    CHECK(check_maxdiff(x, y, n) == 0.0, "dropout: in-place result differs");
    /* the next draw differs */
    dropout_forward(y, keep2, y, n, p, &r);
    CHECK(memcmp(keep, keep2, (size_t)n) != 0, "dropout: consecutive masks identical");
    /* The mask is drawn in blocks of OPS_DROP_BLOCK values, each from its own stream: no block may
     * repeat its neighbour, as such or shifted by up to 8 draws (streams seeded too alike would). The
     * decisions of independent blocks agree at a rate of p^2 + (1-p)^2. */
    long blk = OPS_DROP_BLOCK, worst_at = 0;
    double agree_want = (double)p * p + (1.0 - p) * (1.0 - p), worst = 0.0;
    for (long b = 0; b + 2 <= n / blk; b++)
        for (long shift = -16; shift <= 16; shift++) {
            long same = 0, cnt = 0;
            for (long i = 16; i < blk - 16; i++, cnt++) same += keep[b * blk + i] == keep[(b + 1) * blk + i + shift];
            double dev = fabs((double)same / cnt - agree_want);
            if (dev > worst) worst = dev, worst_at = b;
        }
    printf("  dropout p=%.2f: neighbouring blocks agree within %.4f of %.4f (block %ld)\n", (double)p, worst,
           agree_want, worst_at);
    CHECK(worst < 0.03, "dropout p=%g: blocks %ld and %ld agree at %.4f, independent ones at %.4f", (double)p,
          worst_at, worst_at + 1, worst, agree_want);
    /* Within a block the decisions come from generators stepped side by side: a value and the ones
     * 1..40 places on (the other half of its draw, the other lanes, the same lane's next draws) must
     * agree at the independent rate too. */
    double worst_lag = 0.0;
    long worst_d = 0;
    for (long d = 1; d <= 40; d++) {
        long same = 0;
        for (long i = 0; i + d < n; i++) same += keep[i] == keep[i + d];
        double dev = fabs((double)same / (double)(n - d) - agree_want);
        if (dev > worst_lag) worst_lag = dev, worst_d = d;
    }
    printf("  dropout p=%.2f: decisions 1..40 apart agree within %.4f of %.4f (lag %ld)\n", (double)p, worst_lag,
           agree_want, worst_d);
    CHECK(worst_lag < 0.01, "dropout p=%g: decisions %ld apart agree at a rate %.4f off the independent %.4f",
          (double)p, worst_d, worst_lag, agree_want);
    free(x), free(y), free(keep), free(keep2);
}

static void test_dropout_identity(void) {
    long n = 1001;
    float *x = alloc_floats(n), *y = alloc_floats(n), *g = alloc_floats(n), *d = alloc_floats(n);
    uint8_t *keep = calloc((size_t)n, 1);
    fill_uniform(x, n, &rng, -1, 1), fill_uniform(d, n, &rng, -1, 1);
    bb_rng r;
    bb_rng_seed(&r, 3);
    bb_rng before = r;
    dropout_forward(y, keep, x, n, 0.0f, &r);
    long zeros = 0;
    for (long i = 0; i < n; i++) zeros += keep[i] == 0;
    CHECK(memcmp(x, y, (size_t)n * sizeof(float)) == 0, "dropout p=0 is not the identity");
    CHECK(zeros == 0, "dropout p=0 dropped %ld entries", zeros);
    CHECK(memcmp(&r, &before, sizeof r) == 0, "dropout p=0 consumed random numbers");
    dropout_forward(y, NULL, y, n, 0.0f, NULL); /* eval mode: no mask, no RNG */
    CHECK(memcmp(x, y, (size_t)n * sizeof(float)) == 0, "dropout p=0 in place changed values");
    dropout_backward(g, d, NULL, n, 0.0f);
    CHECK(memcmp(g, d, (size_t)n * sizeof(float)) == 0, "dropout backward p=0 is not dout");
    free(x), free(y), free(g), free(d), free(keep);
}

static void test_crossentropy_ignore(void) {
    enum { N = 7, V = 4 };
    int32_t t[N] = {-100, 1, -100, -100, 3, 0, -100};
    float logits[N * V], probs[N * V], losses[N], dl[N * V];
    fill_uniform(logits, N * V, &rng, -2, 2);
    for (int i = 0; i < N; i++) losses[i] = 123.0f;
    int count = crossentropy_forward(losses, probs, logits, t, N, V);
    CHECK(count == 3, "crossentropy ignore: count %d, want 3", count);
    for (int i = 0; i < N; i++) {
        if (t[i] == -100) CHECK(losses[i] == 0.0f, "ignored row %d has loss %g", i, (double)losses[i]);
        else CHECK(losses[i] > 0.0f, "row %d loss %g", i, (double)losses[i]);
    }
    int32_t all_ignored[2] = {-100, -100};
    CHECK(crossentropy_forward(losses, probs, logits, all_ignored, 2, V) == 0,
          "all-ignored batch count is not 0");
    /* the gradient of each counted row sums to 0 and is p - 1 at the target */
    memset(dl, 0, sizeof dl);
    crossentropy_forward(losses, probs, logits, t, N, V);
    crossentropy_backward(dl, probs, t, N, V, 1.0f);
    for (int i = 0; i < N; i++) {
        double s = 0.0;
        for (int v = 0; v < V; v++) s += dl[i * V + v];
        CHECK(fabs(s) < 1e-6, "row %d gradient sums to %g", i, s);
        if (t[i] != -100)
            CHECK(fabsf(dl[i * V + t[i]] - (probs[i * V + t[i]] - 1.0f)) < 1e-7f, "row %d target grad", i);
    }
    /* in place (the masked-LM head's way): the softmax replaces the logits, then its gradient replaces
     * the softmax; the same losses and gradient, bit for bit, as with separate buffers */
    float x[N * V], lossx[N], db1[V] = {0}, db2[V] = {0};
    memcpy(x, logits, sizeof x);
    crossentropy_forward(losses, probs, logits, t, N, V);
    crossentropy_backward_set(dl, db1, probs, t, N, V, 0.5f);
    crossentropy_forward(lossx, x, x, t, N, V);
    CHECK(memcmp(lossx, losses, sizeof losses) == 0, "crossentropy in place: losses differ");
    CHECK(memcmp(x, probs, sizeof x) == 0, "crossentropy in place: softmax differs");
    crossentropy_backward_set(x, db2, x, t, N, V, 0.5f);
    CHECK(memcmp(x, dl, sizeof x) == 0 && memcmp(db1, db2, sizeof db1) == 0, "crossentropy in place: gradient differs");
}

static void test_exact_values(void) {
    /* embeddings: every output is the sum of the three rows it names */
    enum { B = 2, T = 3, C = 5, V = 6, P = 8 };
    int32_t ids[B * T] = {5, 0, 2, 2, 2, 1}, types[B * T] = {0, 1, 0, 1, 1, 0};
    float wte[V * C], wpe[P * C], wtt[2 * C], out[B * T * C];
    fill_uniform(wte, V * C, &rng, -1, 1), fill_uniform(wpe, P * C, &rng, -1, 1);
    fill_uniform(wtt, 2 * C, &rng, -1, 1);
    embeddings_forward(out, ids, types, wte, wpe, wtt, B, T, C, 2);
    int bad = 0;
    for (int i = 0; i < B * T; i++)
        for (int c = 0; c < C; c++)
            bad += out[i * C + c] != (wte[ids[i] * C + c] + wtt[types[i] * C + c]) + wpe[(i % T + 2) * C + c];
    CHECK(bad == 0, "embeddings: %d wrong values", bad);
    /* residual, in place */
    float a[9], b[9], s[9];
    fill_uniform(a, 9, &rng, -1, 1), fill_uniform(b, 9, &rng, -1, 1);
    for (int i = 0; i < 9; i++) s[i] = a[i] + b[i];
    residual_forward(a, a, b, 9);
    CHECK(memcmp(a, s, sizeof s) == 0, "residual in place wrong");
    /* tanh and relu */
    float x[5] = {-20.0f, -0.5f, 0.0f, 1e-4f, 3.0f}, y[5];
    tanh_forward(y, x, 5);
    double e = 0.0;
    for (int i = 0; i < 5; i++) e = fmax(e, fabs(y[i] - tanh((double)x[i])) / fmax(fabs(tanh((double)x[i])), 1e-30));
    CHECK(e < 2e-7, "tanh rel error %.3g", e);
    act_forward(y, x, 5, BB_ACT_RELU);
    CHECK(y[0] == 0.0f && y[1] == 0.0f && y[2] == 0.0f && y[3] == 1e-4f && y[4] == 3.0f, "relu values");
}

int main(void) {
    bb_rng_seed(&rng, 777);
    test_dropout_stats(0.1f);
    test_dropout_stats(0.5f);
    test_dropout_identity();
    test_crossentropy_ignore();
    test_exact_values();
    return check_done();
}
