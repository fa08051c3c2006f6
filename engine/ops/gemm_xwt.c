/* gemm_xwt.c — out (M,N) = x (M,K) @ w (N,K)^T for few rows (batch-1 inputs), reading the weights in
 * place: an AVX2/FMA micro-kernel in the Goto/BLIS style with the roles turned round.
 *
 * A BLAS packs both operands on every call; with M = 32..128 rows, packing the (N,K) weight costs
 * as much as a large share of the multiply, and a packed copy kept from load time would double the
 * model's memory (and go stale as training updates it). Here the weight is the operand that is
 * broadcast, one float at a time from 6 of its rows, so it is read straight from its PyTorch layout;
 * the activations, small at these M, are what gets packed: into panels of 16 rows, k-major, once
 * per call. A 6 x 16 tile of out^T lives in 12 ymm accumulators over the whole of K (no K blocking:
 * 6 weight rows stay in L1/L2 while every panel of x, in L2, passes under them).
 * Measured single-thread CPU time against OpenBLAS 0.3.21 (which packs per call) on this 2-core
 * EPYC: +10% at M=128 (2304/768/3072 x 768), +50..65% at M=32; see notes in the commit. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "bb_pool.h"
#include "ops.h"
#include "ops_internal.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#define XWT_MR 6      /* weight rows (output features) per tile */
#define XWT_NR 16     /* activation rows (tokens) per panel */
#define XWT_SHARE 48  /* features per pool item: whole tiles and whole 64-byte lines of out */

int ops_xwt_supported(void) {
    static int cached = -1; /* the answer never changes, so a racy first write is harmless */
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    }
    return cached;
}

/* d[c][r] = x[r][c] for an 8 x 8 block (rows ldx apart in x, ldd apart in d), through registers. */
__attribute__((target("avx2,fma"))) void ops_transpose8x8(float *d, long ldd, const float *x, long ldx) {
    __m256 r0 = _mm256_loadu_ps(x), r1 = _mm256_loadu_ps(x + ldx), r2 = _mm256_loadu_ps(x + 2 * ldx),
           r3 = _mm256_loadu_ps(x + 3 * ldx), r4 = _mm256_loadu_ps(x + 4 * ldx), r5 = _mm256_loadu_ps(x + 5 * ldx),
           r6 = _mm256_loadu_ps(x + 6 * ldx), r7 = _mm256_loadu_ps(x + 7 * ldx);
    __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1), t2 = _mm256_unpacklo_ps(r2, r3),
           t3 = _mm256_unpackhi_ps(r2, r3), t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5),
           t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
    __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE),
           u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE),
           u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE),
           u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    _mm256_storeu_ps(d + 0 * ldd, _mm256_permute2f128_ps(u0, u4, 0x20));
    _mm256_storeu_ps(d + 1 * ldd, _mm256_permute2f128_ps(u1, u5, 0x20));
    _mm256_storeu_ps(d + 2 * ldd, _mm256_permute2f128_ps(u2, u6, 0x20));
    _mm256_storeu_ps(d + 3 * ldd, _mm256_permute2f128_ps(u3, u7, 0x20));
    _mm256_storeu_ps(d + 4 * ldd, _mm256_permute2f128_ps(u0, u4, 0x31));
    _mm256_storeu_ps(d + 5 * ldd, _mm256_permute2f128_ps(u1, u5, 0x31));
    _mm256_storeu_ps(d + 6 * ldd, _mm256_permute2f128_ps(u2, u6, 0x31));
    _mm256_storeu_ps(d + 7 * ldd, _mm256_permute2f128_ps(u3, u7, 0x31));
}

typedef struct {
    float *P;
    const float *x;
    int M, K;
} xwt_pack_job;

/* x (M,K) -> panels of XWT_NR rows: P[p][k][r] = x[p*NR + r][k], rows past M zero. Whole groups of
 * 8 rows and 8 k go through 8 x 8 register transposes (the scalar loop's strided stores cost 3%
 * of a bert-base forward, on one core while the other waited); panels are shared over the pool. */
static void xwt_pack_share(void *ctx, long begin, long end, int worker) {
    (void)worker;
    const xwt_pack_job *j = ctx;
    int K = j->K, K8 = K & ~7;
    for (long p = begin; p < end; p++) {
        float *d = j->P + p * XWT_NR * K;
        long p0 = p * XWT_NR;
        int rows = j->M - p0 < XWT_NR ? (int)(j->M - p0) : XWT_NR, r = 0;
        for (; r + 8 <= rows; r += 8)
            for (int k = 0; k < K8; k += 8)
                ops_transpose8x8(d + (long)k * XWT_NR + r, XWT_NR, j->x + (p0 + r) * K + k, K);
        for (int q = 0; q < XWT_NR; q++) {
            const float *src = j->x + (p0 + q) * K;
            for (int k = q < r ? K8 : 0; k < K; k++) d[(long)k * XWT_NR + q] = q < rows ? src[k] : 0.0f;
        }
    }
}

/* Four features x 8 tokens (c0..c3 hold one feature each) transposed into 8 rows of out, plus the
 * 4 features' bias. */
__attribute__((target("avx2,fma"))) static inline void xwt_store4x8(float *out, int ldo, __m256 c0, __m256 c1,
                                                                   __m256 c2, __m256 c3, __m128 bias) {
    __m256 t0 = _mm256_unpacklo_ps(c0, c1), t1 = _mm256_unpackhi_ps(c0, c1);
    __m256 t2 = _mm256_unpacklo_ps(c2, c3), t3 = _mm256_unpackhi_ps(c2, c3);
    __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE),
           u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    _mm_storeu_ps(out, _mm_add_ps(_mm256_castps256_ps128(u0), bias));
    _mm_storeu_ps(out + ldo, _mm_add_ps(_mm256_castps256_ps128(u1), bias));
    _mm_storeu_ps(out + 2L * ldo, _mm_add_ps(_mm256_castps256_ps128(u2), bias));
    _mm_storeu_ps(out + 3L * ldo, _mm_add_ps(_mm256_castps256_ps128(u3), bias));
    _mm_storeu_ps(out + 4L * ldo, _mm_add_ps(_mm256_extractf128_ps(u0, 1), bias));
    _mm_storeu_ps(out + 5L * ldo, _mm_add_ps(_mm256_extractf128_ps(u1, 1), bias));
    _mm_storeu_ps(out + 6L * ldo, _mm_add_ps(_mm256_extractf128_ps(u2, 1), bias));
    _mm_storeu_ps(out + 7L * ldo, _mm_add_ps(_mm256_extractf128_ps(u3, 1), bias));
}

/* out[t][f] = sum_k w[f][k] * P[k][t] (+ bias[f] when bias is non-NULL) for t < nt tokens, f < nf
 * features. Rows of w past nf repeat the last real row (read, never stored), so no row outside the
 * weight is touched. */
__attribute__((target("avx2,fma"))) static void xwt_tile(int K, const float *w, int ldw, int nf, const float *P,
                                                          float *out, int ldo, int nt, const float *bias,
                                                          const float *next) {
    _Alignas(32) float buf[XWT_MR][XWT_NR];
    ops_tile6x16(buf, w, ldw, nf, K, P, next);
    /* the tile is out^T: 4 features x 8 tokens at a time through register transposes, the rest
     * (partial tiles, features 4 and 5) through a small buffer */
    int done = 0;
    if (nf == XWT_MR && nt == XWT_NR) {
        __m128 b4 = bias ? _mm_loadu_ps(bias) : _mm_setzero_ps();
        xwt_store4x8(out, ldo, _mm256_load_ps(buf[0]), _mm256_load_ps(buf[1]), _mm256_load_ps(buf[2]),
                     _mm256_load_ps(buf[3]), b4);
        xwt_store4x8(out + 8L * ldo, ldo, _mm256_load_ps(buf[0] + 8), _mm256_load_ps(buf[1] + 8),
                     _mm256_load_ps(buf[2] + 8), _mm256_load_ps(buf[3] + 8), b4);
        done = 4;
    }
    float b[XWT_MR] = {0};
    if (bias) memcpy(b, bias, sizeof(float) * (size_t)nf);
    for (int t = 0; t < nt; t++) {
        float *o = out + (long)t * ldo;
        for (int f = done; f < nf; f++) o[f] = buf[f][t] + b[f];
    }
}

typedef struct {
    float *out;
    const float *P;
    const float *const *w, *const *bias;
    int parts, items_per_part, M, N, K;
    atomic_long next; /* the next item to claim */
    long items;
} xwt_job;

/* Items are XWT_SHARE features of one part; part s writes columns s*N .. s*N+N-1 of out. */
static void xwt_share(void *ctx, long begin, long end, int worker) {
    (void)worker;
    const xwt_job *j = ctx;
    long ldo = (long)j->parts * j->N;
    for (long item = begin; item < end; item++) {
        int s = (int)(item / j->items_per_part);
        long f0 = item % j->items_per_part * XWT_SHARE, f1 = f0 + XWT_SHARE < j->N ? f0 + XWT_SHARE : j->N;
        const float *w = j->w[s], *bias = j->bias[s];
        float *out = j->out + (long)s * j->N;
        for (long f = f0; f < f1; f += XWT_MR) {
            int nf = f1 - f < XWT_MR ? (int)(f1 - f) : XWT_MR;
            /* while the first panel passes, the next tile's weight rows are fetched: they come
             * from DRAM (a forward reads every weight once), 6 short streams the hardware
             * prefetcher catches late */
            const float *next = f + 2 * XWT_MR <= f1 ? w + (f + XWT_MR) * j->K : NULL;
            for (int p0 = 0; p0 < j->M; p0 += XWT_NR, next = NULL)
                xwt_tile(j->K, w + f * j->K, j->K, nf, j->P + (long)p0 * j->K, out + (long)p0 * ldo + f, (int)ldo,
                         j->M - p0 < XWT_NR ? j->M - p0 : XWT_NR, bias ? bias + f : NULL, next);
        }
    }
}

/* One per thread: items are claimed one at a time rather than cut into fixed halves, so a core that
 * runs slower for a while (this VM's cores do, by 10-20% for seconds at a time) takes fewer of them
 * instead of holding up the other at the end of the product. Each item is computed the same way
 * whoever claims it: the result does not depend on the claiming. An item (48 features, K = 768,
 * 128 tokens) is 9.4 MFLOP, so the one atomic per item is nothing. In-process alternation, bert-base
 * T=128 shapes on 2 threads, weights from DRAM: equal on a quiet machine (1.836 vs 1.818 s), 5-16%
 * faster while the cores' speeds drift apart. */
static void xwt_claim_share(void *ctx, long begin, long end, int worker) {
    xwt_job *j = ctx;
    (void)begin, (void)end;
    for (long item; (item = atomic_fetch_add_explicit(&j->next, 1, memory_order_relaxed)) < j->items;)
        xwt_share(ctx, item, item + 1, worker);
}

int ops_gemm_xwt_parts(float *out, const float *x, const float *const *w, const float *const *bias, int parts,
                       int M, int N, int K) {
    if (!ops_xwt_supported() || M < 1 || N < 1 || K < 1 || parts < 1) return 0;
    size_t panels = (size_t)(M + XWT_NR - 1) / XWT_NR;
    /* the packed activations: the calling thread's buffer, kept between calls (a layer's products reuse it) */
    float *P = ops_thread_scratch(OPS_SCRATCH_XWT, panels * XWT_NR * (size_t)K);
    if (!P) return 0;
    xwt_pack_job pj = {P, x, M, K};
    long per_panel = (long)XWT_NR * K;
    bb_pool_for(ops_pool(), (long)panels, (OPS_GRAIN + per_panel - 1) / per_panel, xwt_pack_share, &pj);
    int items_per_part = (N + XWT_SHARE - 1) / XWT_SHARE;
    xwt_job j = {out, P, w, bias, parts, items_per_part, M, N, K, 0, (long)parts * items_per_part};
    long per_item = (long)M * K * XWT_SHARE, grain = (OPS_SHARE_MIN + per_item - 1) / per_item;
    long shares = (j.items + grain - 1) / grain, threads = bb_pool_threads(ops_pool());
    bb_pool_for(ops_pool(), shares < threads ? shares : threads, 1, xwt_claim_share, &j);
    return 1;
}

int ops_gemm_xwt(float *out, const float *x, const float *w, const float *bias, int M, int N, int K) {
    return ops_gemm_xwt_parts(out, x, &w, &bias, 1, M, N, K);
}

#else

int ops_xwt_supported(void) { return 0; }

int ops_gemm_xwt_parts(float *out, const float *x, const float *const *w, const float *const *bias, int parts,
                       int M, int N, int K) {
    (void)out, (void)x, (void)w, (void)bias, (void)parts, (void)M, (void)N, (void)K;
    return 0;
}

int ops_gemm_xwt(float *out, const float *x, const float *w, const float *bias, int M, int N, int K) {
    (void)out, (void)x, (void)w, (void)bias, (void)M, (void)N, (void)K;
    return 0;
}

#endif
