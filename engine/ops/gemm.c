/* gemm.c — matrix products shared across the engine's pool.
 *
 * OpenBLAS runs on one thread (threads.c sets it once); a product big enough to share is cut into
 * column blocks (or row blocks when it is taller than wide) and each pool share calls the
 * one-threaded cblas_sgemm on its block. Measured on bert-base B1 T128 shapes, this beats
 * OpenBLAS's own two-thread split: no wake-up of OpenBLAS's server thread per call, and the pool
 * is already awake between the ops of a layer. Products too small to repay a hand-off run on the
 * calling thread.
 *
 * Two independent products (a linear layer's input and weight gradients) run side by side, each on
 * its own part of the threads (ops_sgemm_pair): on two cores each is then one whole one-threaded
 * call, with no operand packed twice and no thread waiting for the other's half of the same product.
 * (OpenBLAS's sums depend on where a product is cut: a shared product's last bits depend on the
 * thread count, as they do with OpenBLAS's own threads; a pair on two threads gives the one-thread
 * bits.) */
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

static gemm_job gemm_make(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda, const float *B,
                          int ldb, float beta, float *C, int ldc) {
    return (gemm_job){ta, tb, M, N, K, lda, ldb, ldc, M > N, alpha, beta, A, B, C};
}

static long gemm_blocks(const gemm_job *j) { return ((j->by_rows ? j->M : j->N) + GEMM_BLOCK - 1) / GEMM_BLOCK; }

void ops_sgemm(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda, const float *B,
               int ldb, float beta, float *C, int ldc) {
    gemm_job j = gemm_make(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    long macs = (long)M * N * K, blocks = gemm_blocks(&j);
    if (macs < 2 * OPS_SHARE_MIN || blocks < 2) {
        gemm_share(&j, 0, blocks, 0);
        return;
    }
    /* shares of at least OPS_SHARE_MIN multiply-adds each */
    long per_block = macs / blocks, grain = (OPS_SHARE_MIN + per_block - 1) / per_block;
    bb_pool_for(ops_pool(), blocks, grain, gemm_share, &j);
}

/* Two products side by side: shares 0..first-1 cut the first product's blocks among them, the
 * others the second's. */
typedef struct {
    gemm_job j[2];
    int first, shares;
} gemm_pair_job;

static void gemm_pair_share(void *ctx, long begin, long end, int worker) {
    (void)worker;
    const gemm_pair_job *p = ctx;
    for (long s = begin; s < end; s++) {
        int which = s >= p->first;
        long k = which ? p->shares - p->first : p->first, i = which ? s - p->first : s;
        long blocks = gemm_blocks(&p->j[which]), lo = blocks * i / k, hi = blocks * (i + 1) / k;
        if (lo < hi) gemm_share((void *)&p->j[which], lo, hi, 0);
    }
}

static void gemm_run(const ops_gemm_args *g) {
    ops_sgemm(g->ta, g->tb, g->M, g->N, g->K, g->alpha, g->A, g->lda, g->B, g->ldb, g->beta, g->C, g->ldc);
}

void ops_sgemm_pair(const ops_gemm_args *a, const ops_gemm_args *b) {
    int threads = bb_pool_threads(ops_pool());
    long macs_a = (long)a->M * a->N * a->K, macs_b = (long)b->M * b->N * b->K;
    if (!a->C || !b->C || threads < 2 || macs_a < 2 * OPS_SHARE_MIN || macs_b < 2 * OPS_SHARE_MIN) {
        if (a->C) gemm_run(a);
        if (b->C) gemm_run(b);
        return;
    }
    const ops_gemm_args *g[2] = {a, b};
    gemm_pair_job p;
    for (int i = 0; i < 2; i++)
        p.j[i] = gemm_make(g[i]->ta, g[i]->tb, g[i]->M, g[i]->N, g[i]->K, g[i]->alpha, g[i]->A, g[i]->lda, g[i]->B,
                           g[i]->ldb, g[i]->beta, g[i]->C, g[i]->ldc);
    /* the threads in proportion to the products' sizes, at least one each */
    long f = (long)((double)threads * macs_a / (double)(macs_a + macs_b) + 0.5);
    p.first = (int)(f < 1 ? 1 : f > threads - 1 ? threads - 1 : f);
    p.shares = threads;
    bb_pool_for(ops_pool(), threads, 1, gemm_pair_share, &p);
}
