/* test_ops_fast.c — the fast paths against references: sgemm linear and attention against their
 * naive double-accumulating versions (with padding masks), and the vectorised exp/erf kernels
 * (GELU, softmax, layernorm, cross-entropy) against double-precision libm. */
#include <float.h>

#include "ops.h"
#include "opstest.h"

static bb_rng rng;

static void test_linear(int N, int C, int OC, int with_bias) {
    float *inp = alloc_floats((long)N * C), *w = alloc_floats((long)OC * C);
    float *b = alloc_floats(OC), *o1 = alloc_floats((long)N * OC), *o2 = alloc_floats((long)N * OC);
    fill_uniform(inp, (long)N * C, &rng, -1, 1), fill_uniform(w, (long)OC * C, &rng, -1, 1);
    fill_uniform(b, OC, &rng, -1, 1);
    linear_forward(o1, inp, w, with_bias ? b : NULL, N, C, OC);
    linear_forward_naive(o2, inp, w, with_bias ? b : NULL, N, C, OC);
    double d = check_maxdiff(o1, o2, (long)N * OC);
    printf("  linear %dx%d->%d bias %d: max |fast - naive| %.2e\n", N, C, OC, with_bias, d);
    CHECK(d < 1e-4, "linear %dx%d->%d: fast vs naive %.3g", N, C, OC, d);
    free(inp), free(w), free(b), free(o1), free(o2);
}

/* mask_kind: 0 none (NULL), 1 trailing padding per sequence, 2 scattered zeros and one sequence
 * entirely padded (HF gives such rows a uniform distribution). */
static void test_attention(int B, int T, int C, int NH, int mask_kind) {
    long nq = (long)B * T * 3 * C, no = (long)B * T * C, np = (long)B * NH * T * T;
    float *qkv = alloc_floats(nq), *mask = alloc_floats((long)B * T);
    float *o1 = alloc_floats(no), *o2 = alloc_floats(no);
    float *p1 = alloc_floats(np), *p2 = alloc_floats(np);
    fill_uniform(qkv, nq, &rng, -2, 2);
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            float m = 1.0f;
            if (mask_kind == 1) m = t < T - b * 3 ? 1.0f : 0.0f;
            if (mask_kind == 2) m = (b == B - 1) ? 0.0f : ((t * 7 + b) % 5 == 0 ? 0.0f : 1.0f);
            mask[(long)b * T + t] = m;
        }
    const float *mk = mask_kind ? mask : NULL;
    attention_forward(o1, p1, NULL, qkv, mk, B, T, C, NH, 0.0f, NULL);
    attention_forward_naive(o2, p2, qkv, mk, B, T, C, NH);
    double dp = check_maxdiff(p1, p2, np), dout = check_maxdiff(o1, o2, no);
    printf("  attention B%d T%d C%d NH%d mask %d: max |fast - naive| probs %.2e out %.2e\n", B, T,
           C, NH, mask_kind, dp, dout);
    CHECK(dp < 1e-6, "attention probs: fast vs naive %.3g", dp);
    CHECK(dout < 1e-5, "attention out: fast vs naive %.3g", dout);
    /* rows sum to 1; padded keys get exactly 0 unless the whole sequence is padding */
    double rowerr = 0.0;
    int nonzero_pad = 0;
    for (int b = 0; b < B; b++) {
        int all_pad = 1;
        for (int t = 0; t < T; t++) all_pad &= mk ? mk[(long)b * T + t] == 0.0f : 0;
        for (int h = 0; h < NH; h++)
            for (int i = 0; i < T; i++) {
                const float *row = p1 + (((long)b * NH + h) * T + i) * T;
                double s = 0.0;
                for (int j = 0; j < T; j++) {
                    s += row[j];
                    if (mk && mk[(long)b * T + j] == 0.0f && !all_pad && row[j] != 0.0f) nonzero_pad++;
                    if (all_pad && fabsf(row[j] - 1.0f / (float)T) > 1e-7f) nonzero_pad++;
                }
                if (fabs(s - 1.0) > rowerr) rowerr = fabs(s - 1.0);
            }
    }
    CHECK(rowerr < 1e-5, "attention: a probability row sums to 1 +- %.3g", rowerr);
    CHECK(nonzero_pad == 0, "attention: %d padded-key probabilities are not 0 (or not uniform)",
          nonzero_pad);
    free(qkv), free(mask), free(o1), free(o2), free(p1), free(p2);
}

/* With dropout: probs stay the softmax, probs_drop is probs * keep / (1-p), and out = probs_drop @ v. */
static void test_attention_dropout(void) {
    int B = 2, T = 9, C = 12, NH = 3, HS = 4;
    float p = 0.25f;
    long nq = (long)B * T * 3 * C, no = (long)B * T * C, np = (long)B * NH * T * T;
    float *qkv = alloc_floats(nq), *o1 = alloc_floats(no), *o2 = alloc_floats(no);
    float *p1 = alloc_floats(np), *p2 = alloc_floats(np), *pd = alloc_floats(np);
    fill_uniform(qkv, nq, &rng, -2, 2);
    bb_rng r;
    bb_rng_seed(&r, 5);
    attention_forward(o1, p1, pd, qkv, NULL, B, T, C, NH, p, &r);
    attention_forward_naive(o2, p2, qkv, NULL, B, T, C, NH);
    CHECK(check_maxdiff(p1, p2, np) < 1e-6, "attention dropout: probs changed");
    long dropped = 0, bad = 0;
    for (long i = 0; i < np; i++) {
        if (pd[i] == 0.0f) dropped++;
        else if (fabsf(pd[i] - p1[i] / (1.0f - p)) > 1e-6f) bad++;
    }
    CHECK(bad == 0, "attention dropout: %ld kept entries not scaled by 1/(1-p)", bad);
    CHECK(dropped > np / 8 && dropped < np * 3 / 8, "attention dropout: dropped %ld of %ld", dropped, np);
    double maxd = 0.0;
    for (int b = 0; b < B; b++)
        for (int h = 0; h < NH; h++)
            for (int i = 0; i < T; i++)
                for (int d = 0; d < HS; d++) {
                    double acc = 0.0;
                    for (int j = 0; j < T; j++)
                        acc += (double)pd[(((long)b * NH + h) * T + i) * T + j] *
                               qkv[((long)b * T + j) * 3 * C + 2 * C + h * HS + d];
                    double e = fabs(acc - o1[((long)b * T + i) * C + h * HS + d]);
                    if (e > maxd) maxd = e;
                }
    CHECK(maxd < 1e-5, "attention dropout: out != probs_drop @ v (%.3g)", maxd);
    free(qkv), free(o1), free(o2), free(p1), free(p2), free(pd);
}

static double gelu_ref(double x, bb_act act) {
    if (act == BB_ACT_GELU) return 0.5 * x * erfc(-x / sqrt(2.0));
    return 0.5 * x * (1.0 + tanh(sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
}

static double gelu_grad_ref(double x, bb_act act) {
    if (act == BB_ACT_GELU) return 0.5 * erfc(-x / sqrt(2.0)) + x * exp(-0.5 * x * x) / sqrt(2.0 * M_PI);
    double u = sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x), th = tanh(u);
    return 0.5 * (1.0 + th) + 0.5 * x * (1.0 - th * th) * sqrt(2.0 / M_PI) * (1.0 + 3 * 0.044715 * x * x);
}

/* GELU on a dense grid: absolute error at float rounding level everywhere, relative 1e-6 where the
 * value is not tiny; the backward likewise. */
static void test_gelu_accuracy(bb_act act, const char *name) {
    long n = 200001;
    float *x = alloc_floats(n), *y = alloc_floats(n), *g = alloc_floats(n), *ones = alloc_floats(n);
    for (long i = 0; i < n; i++) x[i] = -12.0f + 24.0f * (float)i / (float)(n - 1), ones[i] = 1.0f;
    act_forward(y, x, n, act);
    act_backward(g, x, NULL, ones, n, act);
    float *g2 = alloc_floats(n); /* the backward given the forward's output (Phi = GELU(x) / x) */
    act_backward(g2, x, y, ones, n, act);
    double abs_err = 0.0, rel_err = 0.0, gabs = 0.0, gabs2 = 0.0;
    for (long i = 0; i < n; i++) {
        double ref = gelu_ref(x[i], act), e = fabs(y[i] - ref);
        /* absolute error relative to max(|x|, 1): one float rounding of x is the floor */
        double ea = e / fmax(fabs((double)x[i]), 1.0);
        if (ea > abs_err) abs_err = ea;
        if (fabs(ref) > 1e-2 && e / fabs(ref) > rel_err) rel_err = e / fabs(ref);
        double eg = fabs(g[i] - gelu_grad_ref(x[i], act)), eg2 = fabs(g2[i] - gelu_grad_ref(x[i], act));
        if (eg > gabs) gabs = eg;
        if (eg2 > gabs2) gabs2 = eg2;
    }
    printf("  %s: max abs err (scaled by max(|x|,1)) %.2e, rel err where |y|>1e-2 %.2e, grad abs "
           "err %.2e (given the forward's output %.2e)\n", name, abs_err, rel_err, gabs, gabs2);
    CHECK(gabs2 < 1e-6, "%s: gradient error given the forward's output %.3g", name, gabs2);
    free(g2);
    CHECK(abs_err < 2e-7, "%s: abs error %.3g", name, abs_err);
    CHECK(rel_err < 1e-6, "%s: rel error %.3g", name, rel_err);
    CHECK(gabs < 1e-6, "%s: gradient error %.3g", name, gabs);
    float special[3] = {0.0f, -30.0f, 30.0f}, sy[3];
    act_forward(sy, special, 3, act);
    CHECK(sy[0] == 0.0f && sy[1] == 0.0f && sy[2] == 30.0f, "%s: gelu(0, -30, 30) = %g %g %g",
          name, (double)sy[0], (double)sy[1], (double)sy[2]);
    free(x), free(y), free(g), free(ones);
}

static void test_softmax_ce(void) {
    int N = 6, V = 1000;
    long n = (long)N * V;
    float *logits = alloc_floats(n), *p = alloc_floats(n), *p2 = alloc_floats(n);
    float *loss = alloc_floats(N);
    fill_uniform(logits, n, &rng, -20, 20);
    logits[3 * V + 7] = 80.0f; /* one dominant logit: other probabilities underflow-ish */
    int32_t targets[6] = {0, 999, -100, 8, 500, -100};
    softmax_forward(p, logits, N, V);
    int count = crossentropy_forward(loss, p2, logits, targets, N, V);
    CHECK(count == 4, "crossentropy count %d, want 4", count);
    CHECK(check_maxdiff(p, p2, n) == 0.0, "crossentropy probs differ from softmax_forward");
    double perr = 0.0, lerr = 0.0;
    for (int r = 0; r < N; r++) {
        const float *x = logits + (long)r * V;
        double m = -INFINITY, s = 0.0;
        for (int i = 0; i < V; i++) m = fmax(m, x[i]);
        for (int i = 0; i < V; i++) s += exp((double)x[i] - m);
        for (int i = 0; i < V; i++) {
            double ref = exp((double)x[i] - m) / s;
            /* float x - max alone is off by up to ulp(|x - max|) / 2: scale by 1 + |x - max| */
            double e = fabs(p[(long)r * V + i] - ref) / fmax(ref, 1e-30) / (1.0 + fabs(x[i] - m));
            if (ref > 1e-30 && e > perr) perr = e;
        }
        double lref = targets[r] == -100 ? 0.0 : log(s) - ((double)x[targets[r]] - m);
        if (fabs(loss[r] - lref) / fmax(1.0, lref) > lerr) lerr = fabs(loss[r] - lref) / fmax(1.0, lref);
    }
    printf("  softmax V=%d: max rel err / (1 + |x - max|) %.2e; cross-entropy max rel err %.2e\n",
           V, perr, lerr);
    CHECK(perr < 3e-7, "softmax relative error %.3g", perr);
    CHECK(lerr < 3e-7, "cross-entropy loss error %.3g", lerr);
    /* the target at 80 vs the rest: loss of a tiny-probability target stays finite */
    int32_t t1 = 0;
    float l1;
    crossentropy_forward(&l1, p2, logits + 3 * V, &t1, 1, V);
    double want = 80.0 - logits[3 * V];
    CHECK(isfinite(l1) && fabs(l1 - want) < 1e-4 * want, "cross-entropy far target %g want %g",
          (double)l1, want);
    free(logits), free(p), free(p2), free(loss);
}

static void test_layernorm(void) {
    int N = 5, C = 768;
    long n = (long)N * C;
    float *x = alloc_floats(n), *y = alloc_floats(n), *w = alloc_floats(C), *b = alloc_floats(C);
    float mean[5], rstd[5];
    fill_uniform(x, n, &rng, -3, 3), fill_uniform(w, C, &rng, 0.5f, 1.5f);
    fill_uniform(b, C, &rng, -1, 1);
    for (int c = 0; c < C; c++) x[4 * C + c] += 1000.0f; /* large mean, unit spread */
    layernorm_forward(y, mean, rstd, x, w, b, N, C, 1e-12f);
    double err = 0.0;
    for (int r = 0; r < N; r++) {
        double m = 0.0, v = 0.0;
        for (int c = 0; c < C; c++) m += x[(long)r * C + c];
        m /= C;
        for (int c = 0; c < C; c++) v += (x[(long)r * C + c] - m) * (x[(long)r * C + c] - m);
        v /= C;
        double rs = 1.0 / sqrt(v + 1e-12);
        for (int c = 0; c < C; c++) {
            double ref = (x[(long)r * C + c] - m) * rs * w[c] + b[c];
            double e = fabs(y[(long)r * C + c] - ref);
            if (e > err) err = e;
        }
        CHECK(fabs(mean[r] - m) <= 1e-6 * fmax(1.0, fabs(m)) && fabs(rstd[r] - rs) < 1e-5 * rs,
              "layernorm row %d: mean/rstd %g %g want %g %g", r, (double)mean[r], (double)rstd[r], m, rs);
    }
    printf("  layernorm C=%d: max abs err %.2e\n", C, err);
    CHECK(err < 2e-4, "layernorm error %.3g", err); /* row 4: the float mean of x ~ 1000 */
    free(x), free(y), free(w), free(b);
}

int main(void) {
    bb_rng_seed(&rng, 42);
    test_linear(37, 61, 29, 1);
    test_linear(37, 61, 29, 0);
    test_linear(128, 768, 96, 1);
    test_linear(1, 5, 1, 1);
    test_attention(3, 17, 48, 4, 0);
    test_attention(3, 17, 48, 4, 1);
    test_attention(3, 17, 48, 4, 2);
    test_attention(1, 64, 96, 12, 1);
    test_attention(2, 37, 128, 2, 1); /* head size 64 (32, 16): the per-head kernel where the CPU has AVX2 */
    test_attention(3, 20, 96, 3, 2);
    test_attention(1, 130, 64, 4, 0);
    test_attention_dropout();
    test_gelu_accuracy(BB_ACT_GELU, "gelu (erf)");
    test_gelu_accuracy(BB_ACT_GELU_TANH, "gelu (tanh)");
    test_softmax_ce();
    test_layernorm();
    return check_done();
}
