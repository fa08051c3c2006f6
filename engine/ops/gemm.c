/* gemm.c — matrix products shared across the engine's pool.
 *
 * OpenBLAS runs on one thread (threads.c sets it once); a product big enough to share is cut into
 * column blocks (or row blocks when it is taller than wide) and each pool share calls the
 * one-threaded cblas_sgemm on its block. Measured on bert-base B1 T128 shapes, this beats
 * OpenBLAS's own two-thread split: no wake-up of OpenBLAS's server thread per call, and the pool
 * is already awake between the ops of a layer. Products too small to repay a hand-off run on the
 * calling thread. */
#include <cblas.h>

#include "bb_pool.h"
#include "ops.h"
#include "ops_internal.h"

/* Blocks of 16 columns (64 bytes of float): two shares never write the same cache line of C. */
#define GEMM_BLOCK 16

typedef struct {
    int ta, tb, M, N, K, lda, ldb, ldc, by_rows;
    float alpha, beta;
    const float *A, *B;
    float *C;
} gemm_job;

static void gemm_share(void *ctx, long begin, long end, int worker) {
    (void)worker;
    const gemm_job *j = ctx;
    long lo = begin * GEMM_BLOCK, hi = end * GEMM_BLOCK;
    const float *A = j->A, *B = j->B;
    float *C = j->C;
    int M = j->M, N = j->N;
    if (j->by_rows) {
        if (hi > M) hi = M;
        M = (int)(hi - lo);
        A += j->ta ? lo : lo * j->lda;
        C += lo * j->ldc;
    } else {
        if (hi > N) hi = N;
        N = (int)(hi - lo);
        B += j->tb ? lo * j->ldb : lo;
        C += lo;
    }
    cblas_sgemm(CblasRowMajor, j->ta ? CblasTrans : CblasNoTrans, j->tb ? CblasTrans : CblasNoTrans, M, N, j->K,
                j->alpha, A, j->lda, B, j->ldb, j->beta, C, j->ldc);
}

void ops_sgemm(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda, const float *B,
               int ldb, float beta, float *C, int ldc) {
    gemm_job j = {ta, tb, M, N, K, lda, ldb, ldc, M > N, alpha, beta, A, B, C};
    long macs = (long)M * N * K, blocks = ((j.by_rows ? M : N) + GEMM_BLOCK - 1) / GEMM_BLOCK;
    if (macs < 2 * OPS_SHARE_MIN || blocks < 2) {
        gemm_share(&j, 0, blocks, 0);
        return;
    }
    /* shares of at least OPS_SHARE_MIN multiply-adds each */
    long per_block = macs / blocks, grain = (OPS_SHARE_MIN + per_block - 1) / per_block;
    bb_pool_for(ops_pool(), blocks, grain, gemm_share, &j);
}
