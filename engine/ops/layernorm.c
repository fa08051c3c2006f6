/* layernorm.c — LayerNorm over the channel dim with biased variance, as torch.nn.LayerNorm.
 * Rows are shared among the pool's threads; the backward sums the weight and bias gradients over
 * fixed blocks of rows (ops_grad_blocks), so the result does not depend on the thread count. */
#include <math.h>
#include <string.h>

#include "ops.h"
#include "ops_internal.h"

typedef struct {
    float *out, *mean, *rstd, *res;
    const float *inp, *b, *weight, *bias;
    int C;
    float eps;
} ln_fwd_ctx;

/* One row: o = (x - mean) * rstd * weight + bias. */
OPS_INLINE void layernorm_row(float *o, float *mean, float *rstd, const float *x, const float *weight,
                              const float *bias, int C, float eps) {
    /* two passes over a row that sits in cache, summed in double: the mean stays exact to float
     * rounding even when |mean| >> std (a sequential float sum of 768 values near 1000 is off by
     * ~1e-3), and the centred sum keeps the variance free of cancellation */
    double s = 0.0;
#pragma omp simd reduction(+ : s)
    for (int c = 0; c < C; c++) s += x[c];
    float m = (float)(s / C);
    double v = 0.0;
#pragma omp simd reduction(+ : v)
    for (int c = 0; c < C; c++) v += (x[c] - m) * (x[c] - m);
    float r = 1.0f / sqrtf((float)(v / C) + eps);
    for (int c = 0; c < C; c++) o[c] = (x[c] - m) * r * weight[c] + bias[c];
    *mean = m;
    *rstd = r;
}

OPS_HOT
static void layernorm_forward_share(void *vc, long begin, long end, int worker) {
    const ln_fwd_ctx *k = vc;
    int C = k->C;
    for (long n = begin; n < end; n++)
        layernorm_row(k->out + n * C, k->mean + n, k->rstd + n, k->inp + n * C, k->weight, k->bias, C, k->eps);
}

void layernorm_forward(float *out, float *mean, float *rstd, const float *inp,
                       const float *weight, const float *bias, int N, int C, float eps) {
    ln_fwd_ctx k = {.out = out, .mean = mean, .rstd = rstd, .inp = inp, .weight = weight, .bias = bias, .C = C,
                    .eps = eps};
    bb_pool_for(ops_pool(), N, ops_rows_grain(C), layernorm_forward_share, &k);
}

OPS_HOT
static void residual_layernorm_share(void *vc, long begin, long end, int worker) {
    const ln_fwd_ctx *k = vc;
    int C = k->C;
    for (long n = begin; n < end; n++) {
        float *x = k->res + n * C;
        const float *a = k->inp + n * C, *b = k->b + n * C;
        for (int c = 0; c < C; c++) x[c] = a[c] + b[c];
        layernorm_row(k->out + n * C, k->mean + n, k->rstd + n, x, k->weight, k->bias, C, k->eps);
    }
}

void residual_layernorm_forward(float *res, float *out, float *mean, float *rstd, const float *a, const float *b,
                                const float *weight, const float *bias, int N, int C, float eps) {
    ln_fwd_ctx k = {.out = out, .mean = mean, .rstd = rstd, .res = res, .inp = a, .b = b, .weight = weight,
                    .bias = bias, .C = C, .eps = eps};
    bb_pool_for(ops_pool(), N, ops_rows_grain(C), residual_layernorm_share, &k);
}

typedef struct {
    float *dinp, *dweight, *dbias;
    const float *dout, *inp, *weight, *mean, *rstd;
    int N, C, set; /* set: overwrite dinp instead of adding */
} ln_bwd_ctx;

/* With xhat = (x - mean) * rstd and g = dout * weight:
 * dinp = rstd * (g - mean(g) - xhat * mean(g * xhat)); dweight = sum dout * xhat; dbias = sum dout. */
OPS_HOT
static void layernorm_dinp_share(void *vc, long begin, long end, int worker) {
    const ln_bwd_ctx *k = vc;
    int C = k->C;
    const float *weight = k->weight;
    for (long n = begin; n < end; n++) {
        const float *x = k->inp + n * C;
        const float *g = k->dout + n * C;
        float m = k->mean[n], r = k->rstd[n];
        double sum_g = 0.0, sum_gx = 0.0;
#pragma omp simd reduction(+ : sum_g, sum_gx)
        for (int c = 0; c < C; c++) {
            float gw = g[c] * weight[c];
            sum_g += gw;
            sum_gx += gw * (x[c] - m) * r;
        }
        float sg = (float)(sum_g / C), sgx = (float)(sum_gx / C);
        float *d = k->dinp + n * C;
        if (k->set)
            for (int c = 0; c < C; c++) d[c] = (g[c] * weight[c] - sg - (x[c] - m) * r * sgx) * r;
        else
            for (int c = 0; c < C; c++) d[c] += (g[c] * weight[c] - sg - (x[c] - m) * r * sgx) * r;
    }
}

/* One block of rows r0..r1-1 (ops_grad_blocks): its dinp rows when wanted, then its partial sums of
 * dweight (part) and dbias (part + C), rows in order from the block's first, while the rows are in L2. */
OPS_HOT
static void layernorm_block(void *vc, float *part, long r0, long r1) {
    const ln_bwd_ctx *k = vc;
    if (k->dinp) layernorm_dinp_share((void *)k, r0, r1, 0);
    int C = k->C;
    float *pw = part, *pb = part + C;
    for (long n = r0; n < r1; n++) {
        const float *x = k->inp + n * C;
        const float *g = k->dout + n * C;
        float m = k->mean[n], r = k->rstd[n];
        if (n == r0) {
            for (int c = 0; c < C; c++) pw[c] = g[c] * (x[c] - m) * r;
            memcpy(pb, g, sizeof(float) * (size_t)C);
        } else {
            for (int c = 0; c < C; c++) pw[c] += g[c] * (x[c] - m) * r;
            for (int c = 0; c < C; c++) pb[c] += g[c];
        }
    }
}

static void layernorm_backward_run(float *dinp, float *dweight, float *dbias, const float *dout, const float *inp,
                                   const float *weight, const float *mean, const float *rstd, int N, int C, int set) {
    ln_bwd_ctx k = {dinp, dweight, dbias, dout, inp, weight, mean, rstd, N, C, set};
    if (dweight || dbias) { /* one pass: each block's dinp and its partial parameter sums */
        float *dst[2] = {dweight, dbias};
        ops_grad_blocks(dst, 2, N, C, layernorm_block, &k);
    } else if (dinp) {
        bb_pool_for(ops_pool(), N, ops_rows_grain(C), layernorm_dinp_share, &k);
    }
}

void layernorm_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                        const float *inp, const float *weight, const float *mean,
                        const float *rstd, int N, int C) {
    layernorm_backward_run(dinp, dweight, dbias, dout, inp, weight, mean, rstd, N, C, 0);
}

void layernorm_backward_set(float *dinp, float *dweight, float *dbias, const float *dout,
                            const float *inp, const float *weight, const float *mean,
                            const float *rstd, int N, int C) {
    layernorm_backward_run(dinp, dweight, dbias, dout, inp, weight, mean, rstd, N, C, 1);
}
