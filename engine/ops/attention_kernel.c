/* attention_kernel.c — the per-head products of attention (T x T x HS, HS = 64 in every BERT) by an
 * AVX2/FMA micro-kernel instead of the one-threaded BLAS.
 *
 * At these sizes a BLAS spends as much on packing both operands and clearing C (beta = 0 is a pass
 * of its own) as on multiplying: measured on this 2-core EPYC, bert-base T=128 attention ran at 70
 * GFLOP/s against ~150 for the layer's other products. Here the tile of gemm_xwt.c (ops_tile6x16: 6
 * rows of one operand broadcast one float at a time against a panel of 16 columns) runs with the
 * panel made of 16 keys at a time (q k^T, dout v^T: packed on the stack by register transposes) or of
 * 16 columns of v or k (probs @ v, dS @ k: copied into panels). The broadcast rows are probabilities
 * read in place or a contiguous copy of q or dout: rows of the fused qkv, 3C floats apart, fall into a
 * few of L1's sets and evict each other before they are used again. The products with a transposed
 * probability matrix (the backward's dv and dk) stay with the BLAS (attention.c), and so does every
 * product here when the head size or the CPU does not suit the kernel or its buffer cannot be had.
 * Each output element is one sum over k in order, the same whoever computes it. */
#include <cblas.h>
#include <stddef.h>
#include <string.h>

#include "ops_internal.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

#define AK_MR 6  /* rows of a tile (broadcast operand) */
#define AK_NR 16 /* columns of a tile (vector operand) */

static int ak_fits(int HS) { return ops_xwt_supported() && HS % AK_NR == 0 && HS <= OPS_ATTN_MAX_HS; }

/* c (mr rows, nc columns; ldc) = alpha * sum_k a[r][k] b[k][0..15] (+ c when acc), a's rows lda apart,
 * b a packed panel (rows of 16). Rows of a past mr repeat the last real row (read, never stored). */
__attribute__((target("avx2,fma"))) static void ak_tile(int K, const float *a, long lda, int mr, const float *b,
                                                         float *c, long ldc, int nc, float alpha, int acc) {
    if (acc) /* c's rows come from far away (rows 3C apart in dqkv): fetched while the tile is computed */
        for (int i = 0; i < mr; i++) _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0),
                                     _mm_prefetch((const char *)(c + i * ldc + AK_NR - 1), _MM_HINT_T0);
    _Alignas(32) float t[AK_MR][AK_NR];
    ops_tile6x16(t, a, lda, mr, K, b, NULL);
    __m256 al = _mm256_set1_ps(alpha);
    if (nc == AK_NR) {
        for (int i = 0; i < mr; i++) {
            float *ci = c + i * ldc;
            __m256 r0 = _mm256_load_ps(t[i]), r1 = _mm256_load_ps(t[i] + 8);
            __m256 v0 = acc ? _mm256_fmadd_ps(al, r0, _mm256_loadu_ps(ci)) : _mm256_mul_ps(al, r0);
            __m256 v1 = acc ? _mm256_fmadd_ps(al, r1, _mm256_loadu_ps(ci + 8)) : _mm256_mul_ps(al, r1);
            _mm256_storeu_ps(ci, v0), _mm256_storeu_ps(ci + 8, v1);
        }
        return;
    }
    for (int i = 0; i < mr; i++) {
        float *ci = c + i * ldc;
        for (int j = 0; j < nc; j++) ci[j] = acc ? alpha * t[i][j] + ci[j] : alpha * t[i][j];
    }
}

/* Copies rows of n floats (lds apart) into rows n apart: the operands read again and again are made
 * contiguous first. Read in place, rows 3C floats apart (q, k, v in the fused qkv) fall into a few
 * of L1's sets and evict each other before they are used again (measured: the kernel 16% behind the
 * BLAS on probs^T @ q in place, 12-28% ahead with packed operands). */
static void ak_copy_rows(float *d, const float *src, long lds, int rows, int n) {
    for (int r = 0; r < rows; r++) memcpy(d + (long)r * n, src + r * lds, sizeof(float) * (size_t)n);
}

static int ak_mm(float *c, long ldc, const float *a, long lda, const float *b, long ldb, int m, int n, int K,
                 float alpha, int acc) {
    if (!ak_fits(n)) return 0;
    /* b as panels of 16 columns, each (K,16) contiguous */
    float *bp = ops_thread_scratch(OPS_SCRATCH_ATTN, (size_t)K * (size_t)n);
    if (!bp) return 0;
    for (int j0 = 0; j0 < n; j0 += AK_NR)
        for (int k = 0; k < K; k++)
            memcpy(bp + (long)j0 * K + (long)k * AK_NR, b + k * ldb + j0, sizeof(float) * AK_NR);
    for (int j0 = 0; j0 < n; j0 += AK_NR) /* a panel of b stays in L1 while every row of a passes */
        for (int i0 = 0; i0 < m; i0 += AK_MR)
            ak_tile(K, a + i0 * lda, lda, m - i0 < AK_MR ? m - i0 : AK_MR, bp + (long)j0 * K, c + i0 * ldc + j0, ldc,
                    AK_NR, alpha, acc);
    return 1;
}

/* panel[d][jj] = keys[jj][d] for the nk (<= 16) keys, zero past them; 8 x 8 blocks through registers. */
__attribute__((target("avx2,fma"))) static void ak_pack_keys(float *panel, const float *keys, long ldk, int nk,
                                                              int HS) {
    if (nk == AK_NR) {
        for (int j = 0; j < AK_NR; j += 8)
            for (int d = 0; d < HS; d += 8)
                ops_transpose8x8(panel + (long)d * AK_NR + j, AK_NR, keys + j * ldk + d, ldk);
        return;
    }
    for (int d = 0; d < HS; d++)
        for (int j = 0; j < AK_NR; j++) panel[(long)d * AK_NR + j] = j < nk ? keys[j * ldk + d] : 0.0f;
}

static int ak_abt(float *c, long ldc, const float *a, long lda, const float *keys, long ldk, int m, int T, int HS,
                  float alpha) {
    if (!ak_fits(HS)) return 0;
    float *ap = ops_thread_scratch(OPS_SCRATCH_ATTN, (size_t)m * (size_t)HS);
    if (!ap) return 0;
    ak_copy_rows(ap, a, lda, m, HS);
    _Alignas(32) float panel[AK_NR * OPS_ATTN_MAX_HS];
    for (int j0 = 0; j0 < T; j0 += AK_NR) {
        int nk = T - j0 < AK_NR ? T - j0 : AK_NR;
        ak_pack_keys(panel, keys + j0 * ldk, ldk, nk, HS);
        for (int i0 = 0; i0 < m; i0 += AK_MR)
            ak_tile(HS, ap + (long)i0 * HS, HS, m - i0 < AK_MR ? m - i0 : AK_MR, panel, c + i0 * ldc + j0, ldc, nk,
                    alpha, 0);
    }
    return 1;
}

#else

static int ak_mm(float *c, long ldc, const float *a, long lda, const float *b, long ldb, int m, int n, int K,
                 float alpha, int acc) {
    (void)c, (void)ldc, (void)a, (void)lda, (void)b, (void)ldb, (void)m, (void)n, (void)K, (void)alpha, (void)acc;
    return 0;
}

static int ak_abt(float *c, long ldc, const float *a, long lda, const float *keys, long ldk, int m, int T, int HS,
                  float alpha) {
    (void)c, (void)ldc, (void)a, (void)lda, (void)keys, (void)ldk, (void)m, (void)T, (void)HS, (void)alpha;
    return 0;
}

#endif

int ops_attn_mm(float *c, long ldc, const float *a, long lda, const float *b, long ldb, int m, int n, int K,
                float alpha, int acc) {
    if (ak_mm(c, ldc, a, lda, b, ldb, m, n, K, alpha, acc)) return 1;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, K, alpha, a, (int)lda, b, (int)ldb, acc ? 1.0f : 0.0f,
                c, (int)ldc);
    return 0;
}

int ops_attn_abt(float *c, long ldc, const float *a, long lda, const float *keys, long ldk, int m, int T, int HS,
                 float alpha) {
    if (ak_abt(c, ldc, a, lda, keys, ldk, m, T, HS, alpha)) return 1;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, T, HS, alpha, a, (int)lda, keys, (int)ldk, 0.0f, c,
                (int)ldc);
    return 0;
}
