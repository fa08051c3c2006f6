/* attention.c — the multi-head self-attention core: probs = softmax(q k^T / sqrt(HS) + mask),
 * out = probs @ v, per (batch, head), with q, k, v read from the fused qkv rows (leading dimension
 * 3C). The per-head products go through attention_kernel.c where the head size allows (a multiple
 * of 16, AVX2), else the one-threaded BLAS; the two products with a transposed probability matrix
 * (the backward's dv and dk) stay with the BLAS, whose packing the kernel would have to repeat. */
#include <cblas.h>
#include <float.h>
#include <math.h>

#include "bb_err.h"
#include "ops.h"
#include "ops_internal.h"

/* Scores plus HF's extended mask, softmaxed in place in one call per row while the row is in L1:
 * (1 - mask) * finfo(float32).min is added to each score (already scaled by 1/sqrt(HS), the sgemm's
 * alpha), then max, exp, sum and normalise. A padded key's score becomes -FLT_MAX and its
 * probability exactly 0; a row with no real key at all becomes uniform, as in HF. */
OPS_HOT
static void masked_softmax_row(float *restrict row, const float *restrict mask, int T) {
    if (mask)
        for (int j = 0; j < T; j++) row[j] += (1.0f - mask[j]) * -FLT_MAX;
    /* eight running maxima (one vector) rather than an `omp simd reduction(max)`, which clang
     * cannot vectorise without -ffast-math */
    float lane[8], m = row[0];
    for (int l = 0; l < 8; l++) lane[l] = m;
    int j = 0;
    for (; j + 8 <= T; j += 8)
        for (int l = 0; l < 8; l++) lane[l] = row[j + l] > lane[l] ? row[j + l] : lane[l];
    for (; j < T; j++) m = row[j] > m ? row[j] : m;
    for (int l = 0; l < 8; l++) m = lane[l] > m ? lane[l] : m;
    for (j = 0; j < T; j++) row[j] = ops_expf(row[j] - m);
    /* float partial sums over chunks of 32 accumulated in double, as ops_softmax_row (the sum is a
     * loop of its own: clang vectorises neither loop when the exp and the reduction share one) */
    double sum = 0.0;
    int i = 0;
    for (; i + 32 <= T; i += 32) {
        float cs = 0.0f;
#pragma omp simd reduction(+ : cs)
        for (int c = i; c < i + 32; c++) cs += row[c];
        sum += cs;
    }
    for (; i < T; i++) sum += row[i];
    float inv = (float)(1.0 / sum);
    for (j = 0; j < T; j++) row[j] *= inv;
}

/* Work items are (batch, head, block of query rows): every product of one item is small, so each
 * runs on one thread and the items are shared across the pool. Query rows are split
 * only when there are fewer than ATTN_MIN_ITEMS heads in the batch, too few to share evenly. */
#define ATTN_MIN_ITEMS 8
#define ATTN_DRAW_CHUNK 4096 /* dropout decisions per draw of an item's mask (even) */
typedef struct {
    float *out, *probs;
    const float *qkv, *mask;
    int T, C, NH, rows, nrb;
    float scale;
    float *drop;      /* probs_drop, or NULL without dropout */
    float keep_scale; /* 1 / (1-p) */
    float p_drop;
    uint64_t seed;    /* the dropout mask's: item `it` draws from ops_dropout_stream(seed, it) */
} attn_fwd_job;

/* One item's scores, softmax, dropout and values, its probabilities in L1 throughout. */
OPS_HOT
static void attn_fwd_share(void *ctx, long begin, long end, int worker) {
    (void)worker;
    const attn_fwd_job *j = ctx;
    int T = j->T, C = j->C, HS = C / j->NH, C3 = 3 * C;
    long TT = (long)T * T;
    for (long it = begin; it < end; it++) {
        long bh = it / j->nrb;
        int b = (int)(bh / j->NH), h = (int)(bh % j->NH);
        int r0 = (int)(it % j->nrb) * j->rows, n = T - r0 < j->rows ? T - r0 : j->rows;
        const float *q = j->qkv + (long)b * T * C3 + h * HS;
        const float *k = q + C, *v = q + 2 * C;
        float *P = j->probs + bh * TT + (long)r0 * T;
        /* (n,T) = q (n,HS) @ k^T, scaled: the same order as HF (matmul, then * scale) */
        ops_attn_abt(P, T, q + (long)r0 * C3, C3, k, C3, n, T, HS, j->scale);
        const float *mask = j->mask ? j->mask + (long)b * T : NULL;
        for (int i = 0; i < n; i++) masked_softmax_row(P + (long)i * T, mask, T);
        const float *pv = P;
        if (j->drop) {
            /* Pd = P * keep / (1-p), the decisions drawn in even-sized chunks (so each 64-bit draw
             * still gives two consecutive ones) */
            float *Pd = j->drop + bh * TT + (long)r0 * T, ks = j->keep_scale;
            long m = (long)n * T;
            bb_rng r;
            ops_dropout_stream(&r, j->seed, (uint64_t)it);
            for (long c0 = 0; c0 < m; c0 += ATTN_DRAW_CHUNK) {
                uint8_t keep[ATTN_DRAW_CHUNK];
                long c1 = c0 + ATTN_DRAW_CHUNK < m ? c0 + ATTN_DRAW_CHUNK : m;
                ops_dropout_draw(keep, c1 - c0, j->p_drop, &r);
                ops_dropout_apply(Pd + c0, P + c0, keep, c1 - c0, ks, 0);
            }
            pv = Pd;
        }
        /* out (n,HS), leading dim C = P (n,T) @ v (T,HS) */
        ops_attn_mm(j->out + ((long)b * T + r0) * C + h * HS, C, pv, T, v, C3, n, HS, T, 1.0f, 0);
    }
}

/* Items per share so that a share holds at least OPS_SHARE_MIN multiply-adds. */
static long attn_grain(long macs_per_item) { return (OPS_SHARE_MIN + macs_per_item - 1) / macs_per_item; }

void attention_forward(float *out, float *probs, float *probs_drop, const float *qkv,
                       const float *mask, int B, int T, int C, int NH, float p_drop, bb_rng *rng) {
    BB_ASSERT(C % NH == 0 && p_drop >= 0.0f && p_drop < 1.0f);
    BB_ASSERT(p_drop == 0.0f || (probs_drop && rng));
    long heads = (long)B * NH;
    int nrb = 1; /* from the shape alone, so the products (and their rounding) never depend on the threads */
    if (heads < ATTN_MIN_ITEMS) {
        long want = (ATTN_MIN_ITEMS + heads - 1) / heads, most = (T + 15) / 16;
        nrb = (int)(want < most ? want : most);
    }
    int rows = (T + nrb - 1) / nrb;
    nrb = (T + rows - 1) / rows;
    /* the scale is HF's head_dim ** -0.5, rounded once */
    attn_fwd_job j = {out, probs, qkv, mask, T, C, NH, rows, nrb, (float)(1.0 / sqrt((double)(C / NH))), NULL, 1.0f,
                      p_drop, 0};
    if (p_drop > 0.0f) {
        j.drop = probs_drop;
        j.keep_scale = 1.0f / (1.0f - p_drop);
        j.seed = bb_rng_u64(rng); /* the mask's seed: one draw of the caller's stream */
    }
    bb_pool_for(ops_pool(), heads * nrb, attn_grain((long)rows * T * (C / NH)), attn_fwd_share, &j);
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

typedef struct {
    float *dqkv, *scratch;
    const float *dout, *qkv, *probs, *probs_drop;
    int T, C, NH;
    float scale, keep_scale;
} attn_bwd_job;

/* One (batch, head) per item: each adds only into its own head's columns of dqkv. */
static void attn_bwd_share(void *ctx, long begin, long end, int worker) {
    const attn_bwd_job *j = ctx;
    int T = j->T, C = j->C, HS = C / j->NH, C3 = 3 * C;
    long TT = (long)T * T;
    float *dS = j->scratch + worker * TT; /* (T,T) of this thread */
    for (long bh = begin; bh < end; bh++) {
        int b = (int)(bh / j->NH), h = (int)(bh % j->NH);
        const float *q = j->qkv + (long)b * T * C3 + h * HS;
        const float *k = q + C, *v = q + 2 * C;
        float *dq = j->dqkv + (long)b * T * C3 + h * HS;
        float *dk = dq + C, *dv = dq + 2 * C;
        const float *dO = j->dout + (long)b * T * C + h * HS;
        const float *P = j->probs + bh * TT;
        const float *Pd = j->probs_drop ? j->probs_drop + bh * TT : NULL;
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, T, HS, T, 1.0f, Pd ? Pd : P, T, dO, C, 1.0f, dv, C3);
        ops_attn_abt(dS, T, dO, C, v, C3, T, T, HS, 1.0f);
        softmax_backward_rows(dS, P, Pd, j->keep_scale, T);
        ops_attn_mm(dq, C3, dS, T, k, C3, T, HS, T, j->scale, 1);
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, T, HS, T, j->scale, dS, T, q, C3, 1.0f, dk, C3);
    }
}

long attention_backward_scratch(int T) { return (long)bb_pool_max_threads(ops_pool()) * T * T; }

static void attention_backward_run(float *dqkv, const float *dout, const float *qkv, const float *probs,
                                   const float *probs_drop, int B, int T, int C, int NH, float p_drop,
                                   float *scratch, int set) {
    if (!dqkv) return;
    BB_ASSERT(C % NH == 0 && (p_drop == 0.0f || probs_drop));
    if (set) /* one contiguous clear, then every product adds (OpenBLAS's beta = 0 clears each strided
              * (T, HS) block of dqkv in a pass of its own: the backward 8% slower) */
        ops_zero(dqkv, (long)B * T * 3 * C);
    attn_bwd_job j = {dqkv, scratch, dout, qkv, probs, p_drop > 0.0f ? probs_drop : NULL, T, C, NH,
                      (float)(1.0 / sqrt((double)(C / NH))), 1.0f / (1.0f - p_drop)};
    bb_pool_for(ops_pool(), (long)B * NH, attn_grain(4L * T * T * (C / NH)), attn_bwd_share, &j);
}

void attention_backward(float *dqkv, const float *dout, const float *qkv, const float *probs,
                        const float *probs_drop, int B, int T, int C, int NH, float p_drop,
                        float *scratch) {
    attention_backward_run(dqkv, dout, qkv, probs, probs_drop, B, T, C, NH, p_drop, scratch, 0);
}

void attention_backward_set(float *dqkv, const float *dout, const float *qkv, const float *probs,
                            const float *probs_drop, int B, int T, int C, int NH, float p_drop,
                            float *scratch) {
    attention_backward_run(dqkv, dout, qkv, probs, probs_drop, B, T, C, NH, p_drop, scratch, 1);
}
