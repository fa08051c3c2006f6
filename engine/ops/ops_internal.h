/* ops_internal.h — helpers shared by the op files (not part of the public API).
 *
 * The elementwise kernels (GELU, softmax, layernorm) must vectorise: libm's erff/expf are scalar
 * calls and would cost more than the matrix products around them. So exp and erfc are written here
 * as branch-free polynomials that the compiler turns into SIMD code (meson builds these files with
 * -fno-trapping-math so the clamps if-convert, and -fopenmp-simd for the reductions).
 * OPS_HOT compiles a loop twice, for x86-64-v3 (AVX2+FMA) and the baseline, and picks at load time.
 */
#ifndef BB_OPS_INTERNAL_H
#define BB_OPS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "bb_rng.h"

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define OPS_HOT __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define OPS_HOT
#endif

#define OPS_INLINE static inline __attribute__((always_inline))

typedef union { float f; uint32_t u; } ops_fbits;

/* exp(x) in float, max relative error ~1e-7 (Cephes expf polynomial with a Cody-Waite reduction).
 * Below about -103.3 the result is exactly 0 (so HF's finfo.min-masked keys get probability 0),
 * above 88.7 it is +inf; the scale 2^n is applied in two halves so that every n in range stays a
 * normal float. */
OPS_INLINE float ops_expf(float x) {
    x = x < -104.0f ? -104.0f : x;
    x = x > 89.0f ? 89.0f : x;
    /* round(x / ln 2) by the 1.5 * 2^23 trick (no libm call, vectorises) */
    float t = x * 1.44269504088896341f + 12582912.0f;
    float nf = t - 12582912.0f;
    int32_t n = (int32_t)nf;
    float r = x - nf * 0.693359375f;
    r = r - nf * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    int32_t n1 = n / 2, n2 = n - n1;
    /* unsigned, so a NaN input (n garbage) gives NaN out rather than a signed overflow */
    ops_fbits s1 = {.u = (uint32_t)(n1 + 127) << 23}, s2 = {.u = (uint32_t)(n2 + 127) << 23};
    return p * s1.f * s2.f;
}

/* Standard normal CDF Phi(x) = 0.5 erfc(-x / sqrt 2), from the Numerical Recipes erfc
 * (Chebyshev fit, fractional error < 1.2e-7 for every argument), so both tails keep their relative
 * accuracy: GELU error stays below 4e-7 absolute and ~1e-7 relative where |GELU(x)| > 1e-2. */
OPS_INLINE float ops_normcdf(float x) {
    float z = x * 0.70710678118654752f;
    float a = z < 0.0f ? -z : z;
    float t = 1.0f / (1.0f + 0.5f * a);
    float q = 0.17087277f;
    q = q * t - 0.82215223f;
    q = q * t + 1.48851587f;
    q = q * t - 1.13520398f;
    q = q * t + 0.27886807f;
    q = q * t - 0.18628806f;
    q = q * t + 0.09678418f;
    q = q * t + 0.37409196f;
    q = q * t + 1.00002368f;
    q = q * t - 1.26551223f;
    float half_erfc = 0.5f * t * ops_expf(q - a * a); /* 0.5 erfc(|z|) */
    return z >= 0.0f ? 1.0f - half_erfc : half_erfc;
}

/* Dropout decisions: keep when a uniform 32-bit draw is >= p * 2^32 (each 64-bit draw gives two). */
static inline uint32_t ops_dropout_threshold(float p) {
    double t = (double)p * 4294967296.0;
    return t >= 4294967295.0 ? 4294967295u : (uint32_t)t;
}

/* A dropout mask is drawn in blocks, each from its own xoshiro stream seeded (through splitmix64)
 * by one draw of the caller's stream and the block's number, so the blocks are drawn by every
 * thread at once and the mask does not depend on the thread count (one stream for the whole mask
 * kept one core drawing while the other waited). */
#define OPS_DROP_BLOCK 16384L /* values per block of a hidden-state mask (part of the mask's definition) */
static inline void ops_dropout_stream(bb_rng *r, uint64_t seed, uint64_t block) {
    bb_rng_seed(r, seed + block * 0xd1342543de82ef95ULL);
}

/* keep[i] = 1 with probability 1 - p, for i < n, from stream r. */
void ops_dropout_draw(uint8_t *keep, long n, float p, bb_rng *r);

/* out[i] = in[i] * scale where keep[i], else 0 (out may be in); ADD adds it to out instead. The product is
 * taken whether kept or not, so the loop is a select the compiler vectorises rather than a branch on
 * a random byte (one misprediction in ten at p = 0.1). */
OPS_INLINE void ops_dropout_apply(float *out, const float *in, const uint8_t *keep, long n, float scale, int add) {
    if (add)
        for (long i = 0; i < n; i++) {
            float v = in[i] * scale;
            out[i] += keep[i] ? v : 0.0f;
        }
    else
        for (long i = 0; i < n; i++) {
            float v = in[i] * scale;
            out[i] = keep[i] ? v : 0.0f;
        }
}

/* Bias gradients (bias_grad.c): dbias (C) += the column sums of d (N, C), each channel's rows summed
 * in blocks of OPS_BIAS_ROWS (in order within a block, from the block's first row) and the blocks'
 * sums added to dbias in order: one order for every op, so fused and separate bias gradients agree bit
 * for bit, whatever the thread count. fill(ctx, r0, r1), when not NULL, writes rows r0..r1-1 of d
 * first (the op's own pass, run block by block just before the block is summed). */
#define OPS_BIAS_ROWS 32
typedef void (*ops_rows_fn)(void *ctx, long r0, long r1);
void ops_bias_grad(float *dbias, const float *d, long N, int C, ops_rows_fn fill, void *ctx);
/* The general form: sum(ctx, part, r0, r1) writes `parts` rows of C partial sums (part + k*C) for the
 * block of rows r0..r1-1, and dst[k] (C) += those partials block by block in order (dst[k] NULL: not
 * wanted). Without memory for every block's partials it runs block by block on the calling thread. */
typedef void (*ops_block_sum_fn)(void *ctx, float *part, long r0, long r1);
void ops_grad_blocks(float *const *dst, int parts, long N, int C, ops_block_sum_fn sum, void *ctx);

/* A buffer of at least `floats` floats kept for the calling thread between calls (one per slot),
 * freed when the thread exits; NULL when memory is short. */
enum { OPS_SCRATCH_XWT, OPS_SCRATCH_BIAS, OPS_SCRATCH_ATTN, OPS_SCRATCH_SLOTS };
float *ops_thread_scratch(int slot, size_t floats);

/* p (V) = softmax(x), max-subtracted as torch.softmax; p may be x. Stores max(x) in *max (when
 * non-NULL) and returns sum(exp(x - max)), from which cross-entropy takes its log-sum-exp. */
double ops_softmax_row(float *p, const float *x, int V, float *max);

/* Multiply-adds a pool share must hold to repay its hand-off (~40 us on one core); smaller work stays
 * on the calling thread. */
#define OPS_SHARE_MIN (1L << 21)

/* out (M,N) = x (M,K) @ w (N,K)^T + bias (N) (bias may be NULL), w read in place by an AVX2/FMA kernel shared
 * across ops_pool() (gemm_xwt.c): faster than a BLAS for few rows. Returns 0, having done nothing,
 * when the CPU lacks AVX2/FMA (ops_xwt_supported() == 0) or the packing buffer cannot be had. */
int ops_gemm_xwt(float *out, const float *x, const float *w, const float *bias, int M, int N, int K);
/* The same for `parts` weights (N,K) of one input, side by side: out (M, parts*N), columns
 * s*N .. s*N+N-1 = x @ w[s]^T + bias[s] (bias[s] may be NULL); x is packed once. */
int ops_gemm_xwt_parts(float *out, const float *x, const float *const *w, const float *const *bias, int parts,
                       int M, int N, int K);
int ops_xwt_supported(void);
/* Rows up to which linear_forward uses ops_gemm_xwt. One-thread CPU time against OpenBLAS on the
 * bert-base shapes: ahead at every M from 1 to 128 (+10% at 128, +15..120% below 32), 5-9% behind
 * at 256 and 10-20% at 512, where the BLAS's packing pays for itself. */
#define OPS_XWT_MAX_ROWS 192

/* d[c][r] = x[r][c] for one 8 x 8 block (gemm_xwt.c); AVX2 only: call it where ops_xwt_supported(). */
void ops_transpose8x8(float *d, long ldd, const float *x, long ldx);

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

/* The 6 x 16 tile of the AVX2/FMA kernels (gemm_xwt.c, attention_kernel.c), in 12 ymm accumulators:
 * acc[r][0..15] = sum over k < K of a_r[k] * p[k][0..15], where a_r = a + r*lda for r < rows (rows past
 * `rows` repeat the last real one: read, never stored) is broadcast one float at a time and p's rows
 * are 16 floats apart (a packed panel). With `next` non-NULL, the 6 rows of the next tile (next + r*lda)
 * are prefetched 16 floats at a time as the sum goes. */
__attribute__((target("avx2,fma"), always_inline)) static inline void ops_tile6x16(float acc[6][16], const float *a,
                                                                                   long lda, int rows, int K,
                                                                                   const float *p,
                                                                                   const float *next) {
    const float *a0 = a, *a1 = a + (rows > 1 ? 1 : 0) * lda, *a2 = a + (rows > 2 ? 2 : rows - 1) * lda,
                *a3 = a + (rows > 3 ? 3 : rows - 1) * lda, *a4 = a + (rows > 4 ? 4 : rows - 1) * lda,
                *a5 = a + (rows > 5 ? 5 : rows - 1) * lda;
    __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00,
           c40 = c00, c41 = c00, c50 = c00, c51 = c00;
    for (int k0 = 0; k0 < K; k0 += 16) {
        if (next)
            for (int i = 0; i < 6; i++) _mm_prefetch((const char *)(next + i * lda + k0), _MM_HINT_T0);
        for (int k = k0, k1 = k0 + 16 < K ? k0 + 16 : K; k < k1; k++, p += 16) {
            __m256 b0 = _mm256_loadu_ps(p), b1 = _mm256_loadu_ps(p + 8), x;
            x = _mm256_broadcast_ss(a0 + k), c00 = _mm256_fmadd_ps(x, b0, c00), c01 = _mm256_fmadd_ps(x, b1, c01);
            x = _mm256_broadcast_ss(a1 + k), c10 = _mm256_fmadd_ps(x, b0, c10), c11 = _mm256_fmadd_ps(x, b1, c11);
            x = _mm256_broadcast_ss(a2 + k), c20 = _mm256_fmadd_ps(x, b0, c20), c21 = _mm256_fmadd_ps(x, b1, c21);
            x = _mm256_broadcast_ss(a3 + k), c30 = _mm256_fmadd_ps(x, b0, c30), c31 = _mm256_fmadd_ps(x, b1, c31);
            x = _mm256_broadcast_ss(a4 + k), c40 = _mm256_fmadd_ps(x, b0, c40), c41 = _mm256_fmadd_ps(x, b1, c41);
            x = _mm256_broadcast_ss(a5 + k), c50 = _mm256_fmadd_ps(x, b0, c50), c51 = _mm256_fmadd_ps(x, b1, c51);
        }
    }
    _mm256_storeu_ps(acc[0], c00), _mm256_storeu_ps(acc[0] + 8, c01), _mm256_storeu_ps(acc[1], c10);
    _mm256_storeu_ps(acc[1] + 8, c11), _mm256_storeu_ps(acc[2], c20), _mm256_storeu_ps(acc[2] + 8, c21);
    _mm256_storeu_ps(acc[3], c30), _mm256_storeu_ps(acc[3] + 8, c31), _mm256_storeu_ps(acc[4], c40);
    _mm256_storeu_ps(acc[4] + 8, c41), _mm256_storeu_ps(acc[5], c50), _mm256_storeu_ps(acc[5] + 8, c51);
}
#endif

/* Attention's per-head products (attention_kernel.c): an AVX2/FMA kernel for head sizes that are a
 * multiple of 16 up to OPS_ATTN_MAX_HS, else (another head size, a CPU without AVX2/FMA, or no memory
 * for the kernel's per-thread buffer, OPS_SCRATCH_ATTN) the one-threaded BLAS. Leading dimensions are
 * any; both return 1 when the kernel computed the product, 0 when the BLAS did.
 * ops_attn_mm: c (m,n) = alpha a (m,K) b (K,n) (+ c when acc).
 * ops_attn_abt: c (m,T) = alpha a (m,HS) keys (T,HS)^T. */
#define OPS_ATTN_MAX_HS 256
int ops_attn_mm(float *c, long ldc, const float *a, long lda, const float *b, long ldb, int m, int n, int K,
                float alpha, int acc);
int ops_attn_abt(float *c, long ldc, const float *a, long lda, const float *keys, long ldk, int m, int T, int HS,
                 float alpha);

/* C (M,N) = alpha op(A) op(B) + beta C, row-major, as cblas_sgemm (ta/tb non-zero: transposed),
 * shared across ops_pool() when big enough; each share calls the one-threaded OpenBLAS. */
void ops_sgemm(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda, const float *B,
               int ldb, float beta, float *C, int ldc);
/* One product's arguments, as ops_sgemm's. */
typedef struct {
    int ta, tb, M, N, K;
    float alpha;
    const float *A;
    int lda;
    const float *B;
    int ldb;
    float beta;
    float *C;
    int ldc;
} ops_gemm_args;
/* Two independent products (neither reads what the other writes), side by side across ops_pool():
 * the threads split between them in proportion to their sizes; a product whose C is NULL is not
 * wanted (the other runs alone). On one thread, or below the sharing
 * size, it is two ops_sgemm calls; on two threads each product is one whole one-threaded call, so
 * the bits are the one-thread ones (OpenBLAS's sums depend on where a product is cut, gemm.c). */
void ops_sgemm_pair(const ops_gemm_args *a, const ops_gemm_args *b);
/* Values per share below which a memory-bound loop is not worth a second thread (a share of 16k
 * floats takes ~10 us, several times the cost of handing it over). */
#define OPS_GRAIN 16384L

/* Rows of C values per share for a row-wise loop. */
static inline long ops_rows_grain(long C) { return C >= OPS_GRAIN ? 1 : OPS_GRAIN / (C > 0 ? C : 1); }

#endif
