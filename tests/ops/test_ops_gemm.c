/* ops_sgemm (the products shared across the engine's pool) against a naive double-precision
 * reference, over every transpose combination and shapes that are not multiples of the 16-column
 * blocks, both below and above the size that is shared; two products side by side (ops_sgemm_pair)
 * equal to the two one after the other; attention's results independent of the thread count; and the
 * weight-in-place kernel of linear_forward and attention's per-head kernel against the same reference. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ops.h"
#include "ops_internal.h"
#include "opstest.h"

static bb_rng rng;

/* C = alpha op(A) op(B) + beta C in double; A is (M,K) or, transposed, (K,M), as cblas. */
static void gemm_naive(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
                       const float *B, int ldb, float beta, float *C, int ldc) {
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double s = 0.0;
            for (int k = 0; k < K; k++) {
                double a = ta ? A[(long)k * lda + i] : A[(long)i * lda + k];
                double b = tb ? B[(long)j * ldb + k] : B[(long)k * ldb + j];
                s += a * b;
            }
            C[(long)i * ldc + j] = (float)(alpha * s + beta * C[(long)i * ldc + j]);
        }
}

/* Leading dimensions wider than the rows (as attention's qkv views) with padding checked untouched. */
static void test_gemm(int ta, int tb, int M, int N, int K) {
    int lda = (ta ? M : K) + 3, ldb = (tb ? K : N) + 5, ldc = N + 7;
    long na = (long)(ta ? K : M) * lda, nb = (long)(tb ? N : K) * ldb, nc = (long)M * ldc;
    float *A = alloc_floats(na), *B = alloc_floats(nb), *C1 = alloc_floats(nc), *C2 = alloc_floats(nc);
    fill_uniform(A, na, &rng, -1, 1), fill_uniform(B, nb, &rng, -1, 1), fill_uniform(C1, nc, &rng, -1, 1);
    memcpy(C2, C1, sizeof(float) * nc);
    ops_sgemm(ta, tb, M, N, K, 0.75f, A, lda, B, ldb, 0.5f, C1, ldc);
    gemm_naive(ta, tb, M, N, K, 0.75f, A, lda, B, ldb, 0.5f, C2, ldc);
    double d = 0.0;
    long pad = 0;
    for (int i = 0; i < M; i++)
        for (int j = 0; j < ldc; j++) {
            long at = (long)i * ldc + j;
            if (j >= N) pad += C1[at] != C2[at];
            else d = fmax(d, fabs((double)C1[at] - C2[at]));
        }
    printf("  sgemm ta%d tb%d %dx%dx%d (%s): max |shared - naive| %.2e\n", ta, tb, M, N, K,
           (long)M * N * K >= 2 * OPS_SHARE_MIN ? "shared" : "one thread", d);
    CHECK(d < 1e-5 * K, "sgemm ta%d tb%d %dx%dx%d: shared vs naive %.3g", ta, tb, M, N, K, d);
    CHECK(pad == 0, "sgemm ta%d tb%d %dx%dx%d: %ld entries outside the N columns written", ta, tb, M, N, K, pad);
    free(A), free(B), free(C1), free(C2);
}

/* ops_gemm_xwt (the AVX2/FMA kernel that reads the weight in place) against the naive product, for
 * row counts that are not multiples of its 16-row panels (nor of the 8-row groups it packs with
 * register transposes) and feature counts that are not multiples of its 6-feature tiles or
 * 48-feature shares, with and without a bias; the floats just past out must stay untouched. */
static void test_xwt(int M, int N, int K, int with_bias) {
    float *x = alloc_floats((long)M * K), *w = alloc_floats((long)N * K), *bias = alloc_floats(N);
    float *o1 = alloc_floats((long)M * N + 8), *o2 = alloc_floats((long)M * N + 8);
    fill_uniform(x, (long)M * K, &rng, -1, 1), fill_uniform(w, (long)N * K, &rng, -1, 1);
    fill_uniform(bias, N, &rng, -1, 1), fill_uniform(o1, (long)M * N + 8, &rng, -1, 1);
    memcpy(o2, o1, sizeof(float) * ((long)M * N + 8));
    CHECK(ops_gemm_xwt(o1, x, w, with_bias ? bias : NULL, M, N, K) == 1, "xwt %dx%dx%d: not run", M, N, K);
    for (long i = 0; i < (long)M * N; i++) o2[i] = with_bias ? bias[i % N] : 0.0f;
    gemm_naive(0, 1, M, N, K, 1.0f, x, K, w, K, 1.0f, o2, N);
    double d = check_maxdiff(o1, o2, (long)M * N);
    printf("  xwt %dx%dx%d bias %d: max |kernel - naive| %.2e\n", M, N, K, with_bias, d);
    CHECK(d < 1e-5 * (K + 1), "xwt %dx%dx%d bias %d: kernel vs naive %.3g", M, N, K, with_bias, d);
    CHECK(memcmp(o1 + (long)M * N, o2 + (long)M * N, 8 * sizeof(float)) == 0, "xwt %dx%dx%d wrote past out", M, N, K);
    free(x), free(w), free(bias), free(o1), free(o2);
}

/* The items of a product are claimed one at a time by whichever thread is free: the same bits as on
 * one thread, whoever took which item, on several runs. */
static void test_xwt_threads(int M, int N, int K) {
    float *x = alloc_floats((long)M * K), *w = alloc_floats((long)N * K), *bias = alloc_floats(N);
    float *o1 = alloc_floats((long)M * N), *o2 = alloc_floats((long)M * N);
    fill_uniform(x, (long)M * K, &rng, -1, 1), fill_uniform(w, (long)N * K, &rng, -1, 1);
    fill_uniform(bias, N, &rng, -1, 1);
    ops_set_threads(1);
    ops_gemm_xwt(o1, x, w, bias, M, N, K);
    ops_set_threads(2);
    int same = 1;
    for (int run = 0; run < 5 && same; run++) {
        memset(o2, 0, sizeof(float) * (size_t)M * N);
        ops_gemm_xwt(o2, x, w, bias, M, N, K);
        same = memcmp(o1, o2, sizeof(float) * (size_t)M * N) == 0;
    }
    printf("  xwt %dx%dx%d: 2 threads claiming items %s the one-thread bits\n", M, N, K, same ? "==" : "!=");
    CHECK(same, "xwt %dx%dx%d: 2 threads differ from 1", M, N, K);
    free(x), free(w), free(bias), free(o1), free(o2);
}

/* attention's per-head kernel (ops_attn_mm, ops_attn_abt) against the naive product, with strided
 * operands as in the fused qkv, row counts that are not multiples of its 6-row tiles and key counts
 * that are not multiples of its 16-key panels; c's padding between rows stays untouched, and with
 * acc the product adds to what c held. */
static void test_attn_kernel(int m, int T, int HS, int acc) {
    int lda = 3 * HS + 4, ldb = 3 * HS + 8, ldc = (T > HS ? T : HS) + 5;
    long na = (long)(m > T ? m : T) * lda, nb = (long)T * ldb, nc = (long)m * ldc;
    float *a = alloc_floats(na), *b = alloc_floats(nb), *c1 = alloc_floats(nc), *c2 = alloc_floats(nc);
    fill_uniform(a, na, &rng, -1, 1), fill_uniform(b, nb, &rng, -1, 1), fill_uniform(c1, nc, &rng, -1, 1);
    /* c (m,HS) = 0.125 a (m,T) b (T,HS) [+ c]; then c (m,T) = 0.125 a (m,HS) b (T,HS)^T */
    memcpy(c2, c1, sizeof(float) * nc);
    CHECK(ops_attn_mm(c1, ldc, a, lda, b, ldb, m, HS, T, 0.125f, acc) == 1, "attn_mm %dx%dx%d: not run", m, HS, T);
    gemm_naive(0, 0, m, HS, T, 0.125f, a, lda, b, ldb, acc ? 1.0f : 0.0f, c2, ldc);
    double d1 = check_maxdiff(c1, c2, nc);
    memcpy(c2, c1, sizeof(float) * nc);
    CHECK(ops_attn_abt(c1, ldc, a, lda, b, ldb, m, T, HS, 0.125f) == 1, "attn_abt %dx%dx%d: not run", m, T, HS);
    gemm_naive(0, 1, m, T, HS, 0.125f, a, lda, b, ldb, 0.0f, c2, ldc);
    double d2 = check_maxdiff(c1, c2, nc);
    printf("  attention kernel m%d T%d HS%d acc %d: max |kernel - naive| a@b %.2e, a@b^T %.2e\n", m, T, HS, acc,
           d1, d2);
    CHECK(d1 < 1e-6 * T && d2 < 1e-6 * HS, "attention kernel m%d T%d HS%d: %.3g / %.3g", m, T, HS, d1, d2);
    free(a), free(b), free(c1), free(c2);
}

/* linear_forward_parts (three weights of one input side by side, as Q, K and V of a mapped model)
 * against three linear_forward_naive products, at few rows (the kernel, which must also equal three
 * separate kernel products bit for bit) and at many (the BLAS with a strided C). */
static void test_parts(int M, int N, int K) {
    float *x = alloc_floats((long)M * K), *out = alloc_floats((long)M * 3 * N + 8), *ref = alloc_floats((long)M * N);
    float *w[3], *b[3];
    for (int s = 0; s < 3; s++) {
        w[s] = alloc_floats((long)N * K), b[s] = alloc_floats(N);
        fill_uniform(w[s], (long)N * K, &rng, -1, 1), fill_uniform(b[s], N, &rng, -1, 1);
    }
    fill_uniform(x, (long)M * K, &rng, -1, 1), fill_uniform(out, (long)M * 3 * N + 8, &rng, -1, 1);
    float tail[8];
    memcpy(tail, out + (long)M * 3 * N, sizeof tail);
    const float *ws[3] = {w[0], w[1], w[2]}, *bs[3] = {b[0], NULL, b[2]};
    linear_forward_parts(out, x, ws, bs, 3, M, K, N);
    double d = 0.0;
    long same = 0;
    for (int s = 0; s < 3; s++) {
        linear_forward_naive(ref, x, w[s], bs[s], M, K, N);
        for (long i = 0; i < (long)M * N; i++) d = fmax(d, fabs((double)out[i / N * 3 * N + s * N + i % N] - ref[i]));
        if (M <= OPS_XWT_MAX_ROWS && ops_xwt_supported()) {
            ops_gemm_xwt(ref, x, w[s], bs[s], M, N, K);
            for (long i = 0; i < (long)M * N; i++) same += out[i / N * 3 * N + s * N + i % N] == ref[i];
        } else {
            same += (long)M * N;
        }
    }
    printf("  linear_forward_parts %dx3*%dx%d: max |parts - naive| %.2e\n", M, N, K, d);
    CHECK(d < 1e-5 * (K + 1), "parts %dx3*%dx%d: vs naive %.3g", M, N, K, d);
    CHECK(same == 3L * M * N, "parts %dx3*%dx%d: %ld of %ld values differ from one kernel product per part", M, N, K,
          3L * M * N - same, 3L * M * N);
    CHECK(memcmp(out + (long)M * 3 * N, tail, sizeof tail) == 0, "parts %dx3*%dx%d wrote past out", M, N, K);
    for (int s = 0; s < 3; s++) free(w[s]), free(b[s]);
    free(x), free(out), free(ref);
}

/* ops_sgemm_pair (two products side by side, each on its part of the threads) against the naive
 * reference, on one thread and on every thread: a linear layer's input and weight gradients
 * (N,C) = beta (N,C) + (N,OC) @ (OC,C) and (OC,C) += (N,OC)^T @ (N,C), and, as the second, a product
 * too small to share. On one thread it is the two ops_sgemm calls one after the other, bit for bit;
 * on two threads each product is one whole one-threaded call, so it gives those same bits (OpenBLAS's
 * sums depend on where a product is cut, so ops_sgemm's own two-thread split does not). */
static void test_pair(int N, int C, int OC, int small) {
    long nd = (long)N * OC, nw = (long)OC * C, nx = (long)N * C;
    int n2 = small ? 7 : OC, k2 = small ? 5 : N; /* the second product: (n2,C) += (k2,n2)^T @ (k2,C) */
    float *dout = alloc_floats(nd), *w = alloc_floats(nw), *x = alloc_floats(nx), *r[4];
    fill_uniform(dout, nd, &rng, -1, 1), fill_uniform(w, nw, &rng, -1, 1), fill_uniform(x, nx, &rng, -1, 1);
    int threads = ops_threads();
    for (int run = 0; run < 4; run++) { /* pair on 1 thread, pair on all, one by one on 1, one by one on all */
        ops_set_threads(run % 2 ? threads : 1);
        float *di = r[run] = alloc_floats(nx + nw);
        float *dw = di + nx;
        for (long i = 0; i < nx + nw; i++) di[i] = (float)(i % 13) * 0.25f;
        ops_gemm_args a = {0, 0, N, C, OC, 1.0f, dout, OC, w, C, 0.5f, di, C};
        ops_gemm_args b = {1, 0, n2, C, k2, 1.0f, dout, OC, x, C, 1.0f, dw, C};
        if (run < 2) {
            ops_sgemm_pair(&a, &b);
        } else {
            ops_sgemm(a.ta, a.tb, a.M, a.N, a.K, a.alpha, a.A, a.lda, a.B, a.ldb, a.beta, a.C, a.ldc);
            ops_sgemm(b.ta, b.tb, b.M, b.N, b.K, b.alpha, b.A, b.lda, b.B, b.ldb, b.beta, b.C, b.ldc);
        }
    }
    ops_set_threads(threads);
    float *ref = alloc_floats(nx + nw);
    for (long i = 0; i < nx + nw; i++) ref[i] = (float)(i % 13) * 0.25f;
    gemm_naive(0, 0, N, C, OC, 1.0f, dout, OC, w, C, 0.5f, ref, C);
    gemm_naive(1, 0, n2, C, k2, 1.0f, dout, OC, x, C, 1.0f, ref + nx, C);
    double d = 0.0;
    for (long i = 0; i < nx + nw; i++) d = fmax(d, fabs((double)r[1][i] - ref[i]));
    printf("  pair N%d C%d OC%d%s on 1 and %d threads: max |pair - naive| %.2e\n", N, C, OC,
           small ? " (second too small to share)" : "", threads, d);
    CHECK(d < 1e-5 * (N > OC ? N : OC), "pair N%d C%d OC%d: vs naive %.3g", N, C, OC, d);
    for (int run = 1; run < 4; run++) {
        double e = 0.0;
        for (long i = 0; i < nx + nw; i++) e = fmax(e, fabs((double)r[run][i] - ref[i]));
        CHECK(e < 1e-5 * (N > OC ? N : OC), "pair N%d C%d OC%d: run %d vs naive %.3g", N, C, OC, run, e);
    }
    CHECK(memcmp(r[0], r[2], sizeof(float) * (size_t)(nx + nw)) == 0,
          "pair N%d C%d OC%d on one thread differs from ops_sgemm one after the other", N, C, OC);
    if (threads == 2)
        CHECK(memcmp(r[0], r[1], sizeof(float) * (size_t)(nx + nw)) == 0,
              "pair N%d C%d OC%d on two threads differs from the same on one thread", N, C, OC);
    for (int run = 0; run < 4; run++) free(r[run]);
    free(dout), free(w), free(x), free(ref);
}

/* Attention forward and backward give bit-identical results on one thread and on every thread,
 * with and without dropout (whose mask is drawn by the items themselves). */
static void test_attention_threads(int B, int T, int C, int NH, float p_drop) {
    long nq = (long)B * T * 3 * C, no = (long)B * T * C, np = (long)B * NH * T * T;
    float *qkv = alloc_floats(nq), *mask = alloc_floats((long)B * T), *dout = alloc_floats(no);
    float *o[2], *p[2], *pd[2], *d[2];
    float *scratch = alloc_floats(attention_backward_scratch(T));
    fill_uniform(qkv, nq, &rng, -2, 2), fill_uniform(dout, no, &rng, -1, 1);
    for (long i = 0; i < (long)B * T; i++) mask[i] = i % T < T - 3 ? 1.0f : 0.0f;
    int threads = ops_threads();
    for (int run = 0; run < 2; run++) {
        ops_set_threads(run ? threads : 1);
        o[run] = alloc_floats(no), p[run] = alloc_floats(np), pd[run] = alloc_floats(np), d[run] = alloc_floats(nq);
        bb_rng r;
        bb_rng_seed(&r, 5);
        attention_forward(o[run], p[run], pd[run], qkv, mask, B, T, C, NH, p_drop, &r);
        attention_backward(d[run], dout, qkv, p[run], p_drop > 0 ? pd[run] : NULL, B, T, C, NH, p_drop, scratch);
    }
    printf("  attention B%d T%d C%d NH%d dropout %.1f on 1 and %d threads\n", B, T, C, NH, (double)p_drop, threads);
    CHECK(memcmp(o[0], o[1], sizeof(float) * no) == 0, "attention out differs between 1 and %d threads", threads);
    CHECK(memcmp(p[0], p[1], sizeof(float) * np) == 0, "attention probs differ between 1 and %d threads", threads);
    if (p_drop > 0)
        CHECK(memcmp(pd[0], pd[1], sizeof(float) * np) == 0, "attention probs_drop differ between 1 and %d threads",
              threads);
    CHECK(memcmp(d[0], d[1], sizeof(float) * nq) == 0, "attention dqkv differs between 1 and %d threads", threads);
    for (int run = 0; run < 2; run++) free(o[run]), free(p[run]), free(pd[run]), free(d[run]);
    free(qkv), free(mask), free(dout), free(scratch);
}

int main(void) {
    bb_rng_seed(&rng, 11);
    ops_set_threads(2); /* shared even on a one-CPU machine (the pool clamps to the CPUs) */
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++) {
            test_gemm(ta, tb, 37, 61, 29);    /* one thread */
            test_gemm(ta, tb, 67, 517, 301);  /* split by columns, 517 = 32 blocks of 16 + 5 */
            test_gemm(ta, tb, 701, 45, 301);  /* split by rows */
            test_gemm(ta, tb, 1, 2311, 1900); /* one row, as a batch-1 pooler or head */
        }
    if (ops_xwt_supported()) {
        static const int shapes[][3] = {{1, 1, 1},   {5, 7, 3},     {16, 6, 31},   {17, 47, 64},  {33, 49, 301},
                                        {130, 97, 77}, {32, 517, 768}, {128, 2304, 40}, {3, 5000, 129}, {45, 31, 769}};
        for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++)
            for (int b = 0; b < 2; b++) test_xwt(shapes[i][0], shapes[i][1], shapes[i][2], b);
        ops_set_threads(1);
        test_xwt(33, 517, 301, 1); /* the same kernel, unshared */
        ops_set_threads(2);
        test_xwt_threads(128, 2304, 768); /* 48 items claimed by two threads in whatever order */
        static const int ak[][3] = {{1, 1, 16}, {5, 17, 16}, {13, 33, 32}, {128, 128, 64}, {37, 130, 64}, {6, 7, 256}};
        for (size_t i = 0; i < sizeof ak / sizeof *ak; i++)
            for (int acc = 0; acc < 2; acc++) test_attn_kernel(ak[i][0], ak[i][1], ak[i][2], acc);
    } else {
        printf("  xwt: this CPU has no AVX2/FMA, the kernel is not used (linear_forward takes the BLAS)\n");
    }
    test_parts(45, 53, 77);
    test_parts(OPS_XWT_MAX_ROWS + 7, 37, 65);
    test_pair(300, 77, 261, 0); /* 77 = 4 blocks of 16 + 13 */
    test_pair(161, 300, 130, 0);
    test_pair(300, 77, 261, 1);
    test_attention_threads(1, 45, 96, 12, 0.0f); /* 12 heads: one item each */
    test_attention_threads(2, 33, 24, 2, 0.0f);  /* 4 heads: query rows split */
    test_attention_threads(3, 130, 64, 4, 0.0f);
    test_attention_threads(1, 45, 96, 12, 0.2f);
    test_attention_threads(2, 33, 24, 2, 0.2f);
    test_attention_threads(2, 37, 128, 2, 0.2f); /* head size 64: the AVX2 kernel's products */
    test_attention_threads(1, 20, 96, 3, 0.0f);  /* head size 32, 3 heads: query rows split */
    return check_done();
}
