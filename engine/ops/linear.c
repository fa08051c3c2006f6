/* linear.c — fully connected layer, out = inp @ weight^T + bias (PyTorch nn.Linear layout). */
#include "ops.h"
#include "ops_internal.h"

void linear_forward(float *out, const float *inp, const float *weight, const float *bias,
                    int N, int C, int OC) {
    /* Seed out with the bias and let sgemm accumulate (beta = 1): one pass over out, as addmm. */
    if (bias) {
        for (int n = 0; n < N; n++) {
            float *o = out + (long)n * OC;
            for (int j = 0; j < OC; j++) o[j] = bias[j];
        }
    }
    if (N <= OPS_XWT_MAX_ROWS && ops_gemm_xwt(out, inp, weight, N, OC, C, bias != 0)) return;
    ops_sgemm(0, 1, N, OC, C, 1.0f, inp, C, weight, C, bias ? 1.0f : 0.0f, out, OC);
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

void linear_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                     const float *inp, const float *weight, int N, int C, int OC) {
    if (dinp) /* (N,C) += (N,OC) @ (OC,C) */
        ops_sgemm(0, 0, N, C, OC, 1.0f, dout, OC, weight, C, 1.0f, dinp, C);
    if (dweight) /* (OC,C) += (N,OC)^T @ (N,C) */
        ops_sgemm(1, 0, OC, C, N, 1.0f, dout, OC, inp, C, 1.0f, dweight, C);
    if (dbias) {
        for (int n = 0; n < N; n++) {
            const float *g = dout + (long)n * OC;
            for (int o = 0; o < OC; o++) dbias[o] += g[o];
        }
    }
}
