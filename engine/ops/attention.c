/* attention.c — the multi-head self-attention core: probs = softmax(q k^T / sqrt(HS) + mask),
 * out = probs @ v, per (batch, head), with q, k, v read in place from the fused qkv rows
 * (leading dimension 3C) so no head is ever copied. */
#include <cblas.h>
#include <float.h>
#include <math.h>

#include "bb_err.h"
#include "ops.h"
#include "ops_internal.h"

/* HF's extended mask: (1 - mask) * finfo(float32).min added to the scores. A padded key's score
 * becomes -FLT_MAX and its probability exactly 0; a row with no real key at all becomes uniform,
 * as in HF. */
static void additive_mask(float *madd, const float *mask, int T) {
    for (int j = 0; j < T; j++) madd[j] = mask ? (1.0f - mask[j]) * -FLT_MAX : 0.0f;
}

OPS_HOT
static void masked_softmax_rows(float *S, const float *madd, int T) {
    for (int i = 0; i < T; i++) {
        float *row = S + (long)i * T;
        for (int j = 0; j < T; j++) row[j] += madd[j];
        ops_softmax_row(row, row, T, NULL);
    }
}

/* The per-head products are small (T x T x HS): OpenBLAS's thread hand-off costs more than it saves
 * there (measured 5.0 ms vs 1.2 ms per bert-base layer at T = 128 on 2 loaded cores), so they run on
 * one thread; longer sequences keep the configured threads. */
static int attention_threads_begin(int T) {
    if (T > 256 || ops_threads() == 1) return 0; /* ops_threads() first: it caches the real count */
    openblas_set_num_threads(1);
    return 1;
}

static void attention_threads_end(int changed) {
    if (changed) openblas_set_num_threads(ops_threads());
}

void attention_forward(float *out, float *probs, float *probs_drop, const float *qkv,
                       const float *mask, int B, int T, int C, int NH, float p_drop,
                       bb_rng *rng, float *scratch) {
    BB_ASSERT(C % NH == 0 && p_drop >= 0.0f && p_drop < 1.0f);
    BB_ASSERT(p_drop == 0.0f || (probs_drop && rng));
    int HS = C / NH, C3 = 3 * C;
    float scale = (float)(1.0 / sqrt((double)HS)); /* HF's head_dim ** -0.5, rounded once */
    long TT = (long)T * T;
    int single = attention_threads_begin(T);
    for (int b = 0; b < B; b++) {
        float *madd = scratch; /* (T) additive mask of this sequence, shared by its heads */
        additive_mask(madd, mask ? mask + (long)b * T : NULL, T);
        for (int h = 0; h < NH; h++) {
            const float *q = qkv + (long)b * T * C3 + h * HS;
            const float *k = q + C, *v = q + 2 * C;
            float *P = probs + ((long)b * NH + h) * TT;
            /* (T,T) = q (T,HS) @ k^T, scaled: the same order as HF (matmul, then * scale) */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, T, HS, scale, q, C3, k, C3,
                        0.0f, P, T);
            masked_softmax_rows(P, madd, T);
            const float *Pv = P;
            if (p_drop > 0.0f) {
                float *Pd = probs_drop + ((long)b * NH + h) * TT;
                uint32_t thr = ops_dropout_threshold(p_drop);
                float keep_scale = 1.0f / (1.0f - p_drop);
                /* same draws as ops_dropout_draw: two decisions per 64-bit draw */
                for (long i = 0; i < TT; i += 2) {
                    uint64_t r = bb_rng_u64(rng);
                    Pd[i] = (uint32_t)r >= thr ? P[i] * keep_scale : 0.0f;
                    if (i + 1 < TT) Pd[i + 1] = (uint32_t)(r >> 32) >= thr ? P[i + 1] * keep_scale : 0.0f;
                }
                Pv = Pd;
            }
            /* out (T,HS), leading dim C = P (T,T) @ v (T,HS) */
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, HS, T, 1.0f, Pv, T, v, C3,
                        0.0f, out + (long)b * T * C + h * HS, C);
        }
    }
    attention_threads_end(single);
}

void attention_forward_naive(float *out, float *probs, const float *qkv, const float *mask,
                             int B, int T, int C, int NH) {
    int HS = C / NH, C3 = 3 * C;
    double scale = 1.0 / sqrt((double)HS);
    for (int b = 0; b < B; b++) {
        for (int h = 0; h < NH; h++) {
            float *P = probs + ((long)b * NH + h) * T * T;
            for (int i = 0; i < T; i++) {
                const float *q = qkv + ((long)b * T + i) * C3 + h * HS;
                float *row = P + (long)i * T;
                double mx = -INFINITY;
                for (int j = 0; j < T; j++) {
                    const float *k = qkv + ((long)b * T + j) * C3 + C + h * HS;
                    double s = 0.0;
                    for (int d = 0; d < HS; d++) s += (double)q[d] * k[d];
                    s *= scale;
                    /* in float, as HF adds the float32 mask */
                    float sf = (float)s;
                    if (mask) sf += (1.0f - mask[(long)b * T + j]) * -FLT_MAX;
                    row[j] = sf;
                    if (sf > mx) mx = sf;
                }
                double sum = 0.0;
                for (int j = 0; j < T; j++) sum += exp((double)row[j] - mx);
                for (int j = 0; j < T; j++) row[j] = (float)(exp((double)row[j] - mx) / sum);
                float *o = out + ((long)b * T + i) * C + h * HS;
                for (int d = 0; d < HS; d++) {
                    double acc = 0.0;
                    for (int j = 0; j < T; j++)
                        acc += (double)row[j] * qkv[((long)b * T + j) * C3 + 2 * C + h * HS + d];
                    o[d] = (float)acc;
                }
            }
        }
    }
}

/* Per (b, h), with Pd the probabilities that multiplied v (after dropout):
 *   dv += Pd^T dout;  dPd = dout v^T;  dP = dPd * keep / (1-p);
 *   dS = P * (dP - rowsum(P * dP));  dq += scale dS k;  dk += scale dS^T q.
 * The dropout mask is recovered from Pd: where Pd == 0 either the entry was dropped or P == 0,
 * and in both cases dS is 0 there, so Pd != 0 is exactly the keep mask that matters. */
OPS_HOT
static void softmax_backward_rows(float *dS, const float *P, const float *Pd, float keep_scale,
                                  int T) {
    for (int i = 0; i < T; i++) {
        float *d = dS + (long)i * T;
        const float *p = P + (long)i * T;
        if (Pd) {
            const float *pd = Pd + (long)i * T;
            for (int j = 0; j < T; j++) d[j] = pd[j] != 0.0f ? d[j] * keep_scale : 0.0f;
        }
        float dot = 0.0f;
#pragma omp simd reduction(+ : dot)
        for (int j = 0; j < T; j++) dot += p[j] * d[j];
        for (int j = 0; j < T; j++) d[j] = p[j] * (d[j] - dot);
    }
}

void attention_backward(float *dqkv, const float *dout, const float *qkv, const float *probs,
                        const float *probs_drop, int B, int T, int C, int NH, float p_drop,
                        float *scratch) {
    if (!dqkv) return;
    BB_ASSERT(C % NH == 0 && (p_drop == 0.0f || probs_drop));
    int HS = C / NH, C3 = 3 * C;
    float scale = (float)(1.0 / sqrt((double)HS));
    long TT = (long)T * T;
    float *dS = scratch; /* (T,T) */
    int single = attention_threads_begin(T);
    for (int b = 0; b < B; b++) {
        for (int h = 0; h < NH; h++) {
            long bh = (long)b * NH + h;
            const float *q = qkv + (long)b * T * C3 + h * HS;
            const float *k = q + C, *v = q + 2 * C;
            float *dq = dqkv + (long)b * T * C3 + h * HS;
            float *dk = dq + C, *dv = dq + 2 * C;
            const float *dO = dout + (long)b * T * C + h * HS;
            const float *P = probs + bh * TT;
            const float *Pd = p_drop > 0.0f ? probs_drop + bh * TT : NULL;
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, T, HS, T, 1.0f, Pd ? Pd : P, T,
                        dO, C, 1.0f, dv, C3);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T, T, HS, 1.0f, dO, C, v, C3,
                        0.0f, dS, T);
            softmax_backward_rows(dS, P, Pd, 1.0f / (1.0f - p_drop), T);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, HS, T, scale, dS, T, k, C3,
                        1.0f, dq, C3);
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, T, HS, T, scale, dS, T, q, C3,
                        1.0f, dk, C3);
        }
    }
    attention_threads_end(single);
}
