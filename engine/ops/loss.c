/* loss.c — row softmax and cross-entropy with the ignore index -100 (torch.nn.CrossEntropyLoss). */
#include <math.h>

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

void softmax_forward(float *probs, const float *logits, int N, int V) {
    for (int n = 0; n < N; n++) ops_softmax_row(probs + (long)n * V, logits + (long)n * V, V, NULL);
}

/* The loss is log(sum exp(x - max)) - (x[target] - max), as log_softmax computes it, so a target
 * whose probability underflows still gets a finite loss. */
int crossentropy_forward(float *losses, float *probs, const float *logits, const int32_t *targets,
                         int N, int V) {
    int count = 0;
    for (int n = 0; n < N; n++) {
        const float *x = logits + (long)n * V;
        float m;
        double sum = ops_softmax_row(probs + (long)n * V, x, V, &m);
        int32_t t = targets[n];
        if (t == IGNORE_INDEX) {
            losses[n] = 0.0f;
            continue;
        }
        BB_ASSERT(t >= 0 && t < V);
        losses[n] = (float)(log(sum) - (double)(x[t] - m));
        count++;
    }
    return count;
}

void crossentropy_backward(float *dlogits, const float *probs, const int32_t *targets,
                           int N, int V, float dloss_scale) {
    if (!dlogits) return;
    for (int n = 0; n < N; n++) {
        int32_t t = targets[n];
        if (t == IGNORE_INDEX) continue;
        float *d = dlogits + (long)n * V;
        const float *p = probs + (long)n * V;
        for (int i = 0; i < V; i++) d[i] += p[i] * dloss_scale;
        d[t] -= dloss_scale;
    }
}
