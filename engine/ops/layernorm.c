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
        /* two passes over a row that sits in cache, summed in double: the mean stays exact to
         * float rounding even when |mean| >> std (a sequential float sum of 768 values near 1000
         * is off by ~1e-3), and the centred sum keeps the variance free of cancellation */
        double s = 0.0;
#pragma omp simd reduction(+ : s)
        for (int c = 0; c < C; c++) s += x[c];
        float m = (float)(s / C);
        double v = 0.0;
#pragma omp simd reduction(+ : v)
        for (int c = 0; c < C; c++) v += (x[c] - m) * (x[c] - m);
        float r = 1.0f / sqrtf((float)(v / C) + eps);
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
            double sum_g = 0.0, sum_gx = 0.0;
#pragma omp simd reduction(+ : sum_g, sum_gx)
            for (int c = 0; c < C; c++) {
                float gw = g[c] * weight[c];
                sum_g += gw;
                sum_gx += gw * (x[c] - m) * r;
            }
            float sg = (float)(sum_g / C), sgx = (float)(sum_gx / C);
            float *d = dinp + (long)n * C;
            for (int c = 0; c < C; c++) d[c] += (g[c] * weight[c] - sg - (x[c] - m) * r * sgx) * r;
        }
        if (dweight)
            for (int c = 0; c < C; c++) dweight[c] += g[c] * (x[c] - m) * r;
        if (dbias)
            for (int c = 0; c < C; c++) dbias[c] += g[c];
    }
}
