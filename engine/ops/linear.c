/* linear.c — fully connected layer, out = inp @ weight^T + bias (PyTorch nn.Linear layout). The
 * products go through ops_gemm_xwt (few rows) or ops_sgemm (both shared across the engine's pool);
 * the bias passes use the pool too (rows for the forward's seeding; the bias gradient by fixed blocks
 * of rows, ops_bias_grad, so the result does not depend on the thread count). */
#include <string.h>

#include "ops.h"
#include "ops_internal.h"

typedef struct {
    float *out;
    const float *in;
    int N, OC, ldo;
} bias_ctx;

static void bias_seed_share(void *vc, long begin, long end, int worker) {
    const bias_ctx *k = vc;
    for (long n = begin; n < end; n++) memcpy(k->out + n * k->ldo, k->in, sizeof(float) * (size_t)k->OC);
}

void linear_forward_parts(float *out, const float *inp, const float *const *weight, const float *const *bias,
                          int parts, int N, int C, int OC) {
    /* The few-row kernel adds the bias as it stores its tiles; for the BLAS, out is seeded with the
     * bias and sgemm accumulates (beta = 1): one pass over out, as addmm. */
    if (N <= OPS_XWT_MAX_ROWS && ops_gemm_xwt_parts(out, inp, weight, bias, parts, N, OC, C)) return;
    int ldo = parts * OC;
    for (int s = 0; s < parts; s++) {
        if (bias[s]) {
            bias_ctx k = {out + (long)s * OC, bias[s], N, OC, ldo};
            bb_pool_for(ops_pool(), N, ops_rows_grain(OC), bias_seed_share, &k);
        }
        ops_sgemm(0, 1, N, OC, C, 1.0f, inp, C, weight[s], C, bias[s] ? 1.0f : 0.0f, out + (long)s * OC, ldo);
    }
}

void linear_forward(float *out, const float *inp, const float *weight, const float *bias,
                    int N, int C, int OC) {
    linear_forward_parts(out, inp, &weight, &bias, 1, N, C, OC);
}

void linear_forward_naive(float *out, const float *inp, const float *weight, const float *bias,
                          int N, int C, int OC) {
    for (int n = 0; n < N; n++) {
        const float *x = inp + (long)n * C;
        for (int o = 0; o < OC; o++) {
            const float *w = weight + (long)o * C;
            double acc = bias ? bias[o] : 0.0;
            for (int c = 0; c < C; c++) acc += (double)x[c] * w[c];
            out[(long)n * OC + o] = (float)acc;
        }
    }
}

static void linear_backward_run(float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                                const float *weight, int N, int C, int OC, float beta) {
    /* (N,C) = beta (N,C) + (N,OC) @ (OC,C) and (OC,C) += (N,OC)^T @ (N,C): as many multiply-adds each,
     * run side by side (either may be NULL: not wanted) */
    ops_gemm_args gi = {0, 0, N, C, OC, 1.0f, dout, OC, weight, C, beta, dinp, C};
    ops_gemm_args gw = {1, 0, OC, C, N, 1.0f, dout, OC, inp, C, 1.0f, dweight, C};
    ops_sgemm_pair(&gi, &gw);
    if (dbias) ops_bias_grad(dbias, dout, N, OC, NULL, NULL);
}

void linear_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                     const float *inp, const float *weight, int N, int C, int OC) {
    linear_backward_run(dinp, dweight, dbias, dout, inp, weight, N, C, OC, 1.0f);
}

void linear_backward_set(float *dinp, float *dweight, float *dbias, const float *dout,
                         const float *inp, const float *weight, int N, int C, int OC) {
    linear_backward_run(dinp, dweight, dbias, dout, inp, weight, N, C, OC, 0.0f);
}
