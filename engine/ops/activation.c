/* activation.c — GELU (exact erf and tanh forms), ReLU, and the pooler's tanh. The elementwise
 * loops are cut into shares for the engine's pool; each value is computed the same way whatever the
 * share, so the result does not depend on the thread count. */
#include <math.h>
#include <stddef.h>

#include "ops.h"
#include "ops_internal.h"

#define GELU_BETA 0.7978845608028654f /* sqrt(2/pi) */
#define GELU_KAPPA 0.044715f
#define INV_SQRT_2PI 0.3989422804014327f

/* 0.5 x (1 + tanh(u)) = x * sigmoid(2u): the same function without the cancellation of 1 + tanh
 * for negative u, and with one exp. */
OPS_INLINE float gelu_tanh_sigmoid(float x) {
    float u = GELU_BETA * (x + GELU_KAPPA * x * x * x);
    return 1.0f / (1.0f + ops_expf(-2.0f * u));
}

typedef struct {
    float *out;        /* forward: out; backward: dinp */
    const float *inp;
    const float *dout; /* backward only */
    const float *act_out; /* backward: act(inp) as the forward stored it, or NULL */
    bb_act act;
    int set;      /* backward: overwrite dinp instead of adding */
    float *dbias; /* backward_set: column sums of dinp added here */
    long N;
    int C;
} act_ctx;

OPS_HOT
static void act_forward_share(void *vc, long begin, long end, int worker) {
    const act_ctx *c = vc;
    float *out = c->out;
    const float *inp = c->inp;
    switch (c->act) {
    case BB_ACT_GELU:
        for (long i = begin; i < end; i++) out[i] = inp[i] * ops_normcdf(inp[i]);
        break;
    case BB_ACT_GELU_TANH:
        for (long i = begin; i < end; i++) out[i] = inp[i] * gelu_tanh_sigmoid(inp[i]);
        break;
    case BB_ACT_RELU:
        for (long i = begin; i < end; i++) out[i] = inp[i] > 0.0f ? inp[i] : 0.0f;
        break;
    }
}

void act_forward(float *out, const float *inp, long n, bb_act act) {
    act_ctx c = {out, inp, NULL, NULL, act, 0, NULL, 0, 0};
    bb_pool_for(ops_pool(), n, OPS_GRAIN, act_forward_share, &c);
}

/* act'(x) * dout, added to (SET 0) or stored in (SET 1) dinp; with SET, dinp may alias dout (each
 * element is read before it is written). */
#define ACT_BACKWARD_LOOPS(SET)                                                                         \
    switch (c->act) {                                                                                   \
    case BB_ACT_GELU: /* Phi(x) + x phi(x) */                                                           \
        if (act_out) { /* Phi(x) = GELU(x) / x (1/2 at 0): within 2 roundings of ops_normcdf */          \
            for (long i = begin; i < end; i++) {                                                        \
                float x = inp[i];                                                                       \
                float cdf = x != 0.0f ? act_out[i] / x : 0.5f;                                          \
                float v = dout[i] * (cdf + x * (INV_SQRT_2PI * ops_expf(-0.5f * x * x)));              \
                dinp[i] = SET ? v : dinp[i] + v;                                                        \
            }                                                                                           \
            break;                                                                                      \
        }                                                                                               \
        for (long i = begin; i < end; i++) {                                                            \
            float x = inp[i];                                                                           \
            float pdf = INV_SQRT_2PI * ops_expf(-0.5f * x * x);                                         \
            float v = dout[i] * (ops_normcdf(x) + x * pdf);                                             \
            dinp[i] = SET ? v : dinp[i] + v;                                                            \
        }                                                                                               \
        break;                                                                                          \
    case BB_ACT_GELU_TANH: /* s = sigmoid(2u): s + 2 x s (1 - s) u'(x) */                                \
        for (long i = begin; i < end; i++) {                                                            \
            float x = inp[i];                                                                           \
            float u = GELU_BETA * (x + GELU_KAPPA * x * x * x);                                         \
            /* 1 - s = e s with e = exp(-2u), without the cancellation of 1 - s as s -> 1 (which the    \
             * factor 2 x u' ~ 10..100 would amplify); the clamp keeps e finite so e s is not inf * 0 */ \
            float e2u = -2.0f * u;                                                                      \
            float e = ops_expf(e2u < 80.0f ? e2u : 80.0f);                                              \
            float s = 1.0f / (1.0f + e);                                                                \
            float du = GELU_BETA * (1.0f + 3.0f * GELU_KAPPA * x * x);                                  \
            float v = dout[i] * (s + 2.0f * x * s * (e * s) * du);                                      \
            dinp[i] = SET ? v : dinp[i] + v;                                                            \
        }                                                                                               \
        break;                                                                                          \
    case BB_ACT_RELU: /* 0 at x == 0, as torch */                                                       \
        for (long i = begin; i < end; i++) {                                                            \
            float v = inp[i] > 0.0f ? dout[i] : 0.0f;                                                   \
            dinp[i] = SET ? v : dinp[i] + v;                                                            \
        }                                                                                               \
        break;                                                                                          \
    }

OPS_HOT
static void act_backward_share(void *vc, long begin, long end, int worker) {
    const act_ctx *c = vc;
    float *dinp = c->out;
    const float *inp = c->inp, *dout = c->dout, *act_out = c->act_out;
    if (c->set) {
        ACT_BACKWARD_LOOPS(1)
    } else {
        ACT_BACKWARD_LOOPS(0)
    }
}

/* Rows r0..r1-1 of the gradient (set), as ops_bias_grad's fill. */
static void act_backward_rows(void *vc, long r0, long r1) {
    const act_ctx *c = vc;
    act_backward_share((void *)c, r0 * c->C, r1 * c->C, 0);
}

void act_backward(float *dinp, const float *inp, const float *out, const float *dout, long n, bb_act act) {
    if (!dinp) return;
    act_ctx c = {dinp, inp, dout, out, act, 0, NULL, 0, 0};
    bb_pool_for(ops_pool(), n, OPS_GRAIN, act_backward_share, &c);
}

void act_backward_set(float *dinp, float *dbias, const float *inp, const float *out, const float *dout, long N, int C,
                      bb_act act) {
    if (!dinp) return;
    act_ctx c = {dinp, inp, dout, out, act, 1, dbias, N, C};
    if (dbias) /* the gradient block by block, each summed into the bias gradient while in L2 */
        ops_bias_grad(dbias, dinp, N, C, act_backward_rows, &c);
    else
        bb_pool_for(ops_pool(), N * C, OPS_GRAIN, act_backward_share, &c);
}

/* The pooler applies tanh to B*C values only, so libm's tanhf (correctly rounded-ish) costs nothing. */
void tanh_forward(float *out, const float *inp, long n) {
    for (long i = 0; i < n; i++) out[i] = tanhf(inp[i]);
}

void tanh_backward(float *dinp, const float *out, const float *dout, long n) {
    if (!dinp) return;
    for (long i = 0; i < n; i++) dinp[i] += (1.0f - out[i] * out[i]) * dout[i];
}
