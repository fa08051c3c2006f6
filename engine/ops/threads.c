/* The process-wide thread count of the engine's pool (bb_pool_global). The pool is the only source
 * of parallelism: OpenBLAS is set to one thread once, when the count is first read or set, and
 * ops_sgemm shares products across the pool itself, so no call ever switches OpenBLAS's
 * process-wide setting while another thread may be inside BLAS. */
#include <cblas.h>
#include <stdatomic.h>

#include "bb_pool.h"
#include "ops.h"
#include "ops_internal.h"

static atomic_int configured; /* 0: not read yet */

int ops_threads(void) {
    int n = atomic_load(&configured);
    if (n == 0) {
        int expected = 0;
        n = openblas_get_num_threads(); /* OPENBLAS_NUM_THREADS, or every core */
        if (n < 1) n = 1;
        if (atomic_compare_exchange_strong(&configured, &expected, n)) {
            openblas_set_num_threads(1);
            bb_pool_set_threads(bb_pool_global(), n);
        } else {
            n = expected;
        }
    }
    return n;
}

void ops_set_threads(int n) {
    if (n <= 0) n = openblas_get_num_procs();
    if (n < 1) n = 1;
    atomic_store(&configured, n);
    openblas_set_num_threads(1);
    bb_pool_set_threads(bb_pool_global(), n);
}

void ops_blas_threaded(int on) { openblas_set_num_threads(on ? ops_threads() : 1); }

bb_pool *ops_pool(void) {
    ops_threads();
    return bb_pool_global();
}
