/* layernorm.c — LayerNorm over the channel dim with biased variance, as torch.nn.LayerNorm. */
#include <math.h>

#include "ops.h"
#include "ops_internal.h"

OPS_HOT
void layernorm_forward(float *out, float *mean, float *rstd, const float *inp,
                       const float *weight, const float *bias, int N, int C, float eps) {
    for (int n = 0; n < N; n++) {
        const float *x = inp + (long)n * C;
        float *o = out + (long)n * C;
        /* two passes over a row that sits in cache: the centred sum keeps the variance exact-ish
         * even when |mean| >> std */
        float s = 0.0f;
#pragma omp simd reduction(+ : s)
        for (int c = 0; c < C; c++) s += x[c];
        float m = s / (float)C;
        float v = 0.0f;
#pragma omp simd reduction(+ : v)
        for (int c = 0; c < C; c++) v += (x[c] - m) * (x[c] - m);
        float r = 1.0f / sqrtf(v / (float)C + eps);
        for (int c = 0; c < C; c++) o[c] = (x[c] - m) * r * weight[c] + bias[c];
        mean[n] = m;
        rstd[n] = r;
    }
}

/* With xhat = (x - mean) * rstd and g = dout * weight:
 * dinp = rstd * (g - mean(g) - xhat * mean(g * xhat)); dweight = sum dout * xhat; dbias = sum dout. */
OPS_HOT
void layernorm_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                        const float *inp, const float *weight, const float *mean,
                        const float *rstd, int N, int C) {
    for (int n = 0; n < N; n++) {
        const float *x = inp + (long)n * C;
        const float *g = dout + (long)n * C;
        float m = mean[n], r = rstd[n];
        if (dinp) {
            float sg = 0.0f, sgx = 0.0f;
#pragma omp simd reduction(+ : sg, sgx)
            for (int c = 0; c < C; c++) {
                float gw = g[c] * weight[c];
                sg += gw;
                sgx += gw * (x[c] - m) * r;
            }
            sg /= (float)C;
            sgx /= (float)C;
            float *d = dinp + (long)n * C;
            for (int c = 0; c < C; c++) d[c] += (g[c] * weight[c] - sg - (x[c] - m) * r * sgx) * r;
        }
        if (dweight)
            for (int c = 0; c < C; c++) dweight[c] += g[c] * (x[c] - m) * r;
        if (dbias)
            for (int c = 0; c < C; c++) dbias[c] += g[c];
    }
}
