/* loss.c — row softmax and cross-entropy with the ignore index -100 (torch.nn.CrossEntropyLoss). */
#include <math.h>
#include <string.h>

#include "bb_err.h"
#include "ops.h"
#include "ops_internal.h"

#define IGNORE_INDEX (-100)

OPS_HOT
double ops_softmax_row(float *p, const float *x, int V, float *max) {
    float m = x[0];
#pragma omp simd reduction(max : m)
    for (int i = 0; i < V; i++) m = x[i] > m ? x[i] : m;
    /* Float partial sums over chunks of 32, accumulated in double: a float sum over a 30k
     * vocabulary would lose ~1e-6 relative, and a double reduction inside the loop would halve
     * the vector width of the exp (GCC sizes the vectors by the widest type). */
    double s = 0.0;
    int i = 0;
    for (; i + 32 <= V; i += 32) {
        float cs = 0.0f;
#pragma omp simd reduction(+ : cs)
        for (int j = i; j < i + 32; j++) {
            p[j] = ops_expf(x[j] - m);
            cs += p[j];
        }
        s += cs;
    }
    for (; i < V; i++) {
        p[i] = ops_expf(x[i] - m);
        s += p[i];
    }
    float inv = (float)(1.0 / s);
    for (int j = 0; j < V; j++) p[j] *= inv;
    if (max) *max = m;
    return s;
}

typedef struct {
    float *out, *probs; /* out: losses (forward) or dlogits (backward); probs written by forwards */
    const float *logits, *probs_in; /* probs_in: read by the backward */
    const int32_t *targets;
    int V, N;
    float scale;
    int set;      /* backward: overwrite dlogits instead of adding */
    float *dbias; /* backward_set: column sums of dlogits added here */
} ce_ctx;

static void softmax_forward_share(void *vc, long begin, long end, int worker) {
    const ce_ctx *k = vc;
    for (long n = begin; n < end; n++) ops_softmax_row(k->probs + n * k->V, k->logits + n * k->V, k->V, NULL);
}

void softmax_forward(float *probs, const float *logits, int N, int V) {
    ce_ctx k = {.probs = probs, .logits = logits, .V = V};
    bb_pool_for(ops_pool(), N, ops_rows_grain(V), softmax_forward_share, &k);
}

/* The loss is log(sum exp(x - max)) - (x[target] - max), as log_softmax computes it, so a target
 * whose probability underflows still gets a finite loss. */
static void crossentropy_forward_share(void *vc, long begin, long end, int worker) {
    const ce_ctx *k = vc;
    int V = k->V;
    for (long n = begin; n < end; n++) {
        const float *x = k->logits + n * V;
        int32_t t = k->targets[n];
        BB_ASSERT(t == IGNORE_INDEX || (t >= 0 && t < V));
        float xt = t == IGNORE_INDEX ? 0.0f : x[t], m; /* read before an in-place softmax replaces it */
        double sum = ops_softmax_row(k->probs + n * V, x, V, &m);
        k->out[n] = t == IGNORE_INDEX ? 0.0f : (float)(log(sum) - (double)(xt - m));
    }
}

int crossentropy_forward(float *losses, float *probs, const float *logits, const int32_t *targets,
                         int N, int V) {
    ce_ctx k = {.out = losses, .probs = probs, .logits = logits, .targets = targets, .V = V};
    bb_pool_for(ops_pool(), N, ops_rows_grain(V), crossentropy_forward_share, &k);
    int count = 0;
    for (int n = 0; n < N; n++) count += targets[n] != IGNORE_INDEX;
    return count;
}

OPS_HOT
static void crossentropy_backward_share(void *vc, long begin, long end, int worker) {
    const ce_ctx *k = vc;
    int V = k->V;
    float scale = k->scale;
    for (long n = begin; n < end; n++) {
        int32_t t = k->targets[n];
        float *d = k->out + n * V;
        if (t == IGNORE_INDEX) {
            if (k->set) memset(d, 0, sizeof(float) * (size_t)V);
            continue;
        }
        const float *p = k->probs_in + n * V;
        if (k->set)
            for (int i = 0; i < V; i++) d[i] = p[i] * scale;
        else
            for (int i = 0; i < V; i++) d[i] += p[i] * scale;
        d[t] -= scale;
    }
}

/* Rows r0..r1-1 of dlogits (set), as ops_bias_grad's fill: the decoder's bias gradient is summed
 * from each block while it is in cache, without reading the (N,V) gradient again (37 MB at 300
 * masked rows of a 30522-word vocabulary). */
static void crossentropy_backward_rows(void *vc, long r0, long r1) {
    crossentropy_backward_share(vc, r0, r1, 0);
}

void crossentropy_backward(float *dlogits, const float *probs, const int32_t *targets,
                           int N, int V, float dloss_scale) {
    if (!dlogits) return;
    ce_ctx k = {.out = dlogits, .probs_in = probs, .targets = targets, .V = V, .N = N, .scale = dloss_scale};
    bb_pool_for(ops_pool(), N, ops_rows_grain(V), crossentropy_backward_share, &k);
}

void crossentropy_backward_set(float *dlogits, float *dbias, const float *probs, const int32_t *targets,
                               int N, int V, float dloss_scale) {
    ce_ctx k = {.out = dlogits, .probs_in = probs, .targets = targets, .V = V, .N = N, .scale = dloss_scale,
                .set = 1, .dbias = dbias};
    if (dbias)
        ops_bias_grad(dbias, dlogits, N, V, crossentropy_backward_rows, &k);
    else
        bb_pool_for(ops_pool(), N, ops_rows_grain(V), crossentropy_backward_share, &k);
}
