/* bb_pool.h — the engine's thread pool: a few persistent workers that share a loop over items with
 * the calling thread, so elementwise ops, the loss, the optimizer and attention heads use every core
 * without creating a thread per op.
 *
 *     typedef struct { float *x; long C; } rows_ctx;
 *     static void scale_rows(void *ctx, long begin, long end, int worker) {
 *         rows_ctx *r = ctx;                          // rows begin..end-1 are this call's share
 *         for (long i = begin * r->C; i < end * r->C; i++) r->x[i] *= 2.0f;
 *     }
 *     rows_ctx r = {x, C};
 *     bb_pool_for(NULL, N, 4, scale_rows, &r);        // NULL: the process's pool; >= 4 rows a share
 *
 * Contract:
 *  - Fixed shares: the n items are cut into `parts` contiguous shares, parts = min(threads,
 *    ceil(n / grain)), share i = [n*i/parts, n*(i+1)/parts). The caller and the workers that are
 *    awake claim shares one at a time, so a worker that a loaded machine does not schedule holds
 *    nothing up (the caller runs its share); bb_pool_for returns when every share is done. fn sees worker = i, always < bb_pool_max_threads(pool), so per-worker
 *    scratch sized by that count never overflows. Work whose result must not depend on the thread
 *    count (a reduction) makes its items fixed-size blocks and combines them in item order.
 *  - One parallel region at a time per pool: a second caller (another engine thread) that finds the
 *    pool busy, and any bb_pool_for called from inside a share, runs its whole loop on its own thread
 *    (fn(ctx, 0, n, 0)) instead of waiting. Results are the same either way.
 *  - A share must not start threaded work of its own (OpenBLAS with more than one thread): while a
 *    region runs, the pool's threads already occupy the cores.
 *  - Workers start on the first region that needs them, spin briefly after each region, then sleep
 *    on a condition variable (an idle pool costs no CPU).
 */
#ifndef BB_POOL_H
#define BB_POOL_H

typedef struct bb_pool bb_pool;

/* One share of a loop: items begin..end-1, run by worker `worker` (0 = the calling thread). */
typedef void (*bb_pool_fn)(void *ctx, long begin, long end, int worker);

/* A pool of at most max_threads threads counting the caller (1..64); NULL when out of memory.
 * It starts with all max_threads in use. */
bb_pool *bb_pool_create(int max_threads);
/* Stops and joins the workers. The pool must be idle. */
void bb_pool_free(bb_pool *pool);

/* The process's pool (created on first use, never freed): at most one thread per online CPU.
 * ops_set_threads() (engine/ops) sizes it; OpenBLAS stays on one thread, its products shared here. */
bb_pool *bb_pool_global(void);

/* Threads a region uses from now on, clamped to 1..max; 1 makes every loop serial. */
void bb_pool_set_threads(bb_pool *pool, int threads);
int bb_pool_threads(const bb_pool *pool);
int bb_pool_max_threads(const bb_pool *pool);

/* Runs fn over items 0..n-1 in shares of at least `grain` items (grain < 1 counts as 1).
 * pool NULL means bb_pool_global(). n <= 0 does nothing. */
void bb_pool_for(bb_pool *pool, long n, long grain, bb_pool_fn fn, void *ctx);

/* Non-zero on a thread that is running a share of a region (worker or caller). */
int bb_pool_in_task(void);

#endif
