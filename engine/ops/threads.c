/* The process-wide thread count of the engine's pool (bb_pool_global). The pool is the only source
 * of parallelism: OpenBLAS is set to one thread once, when the count is first read or set, and
 * ops_sgemm shares products across the pool itself, so no call ever switches OpenBLAS's
 * process-wide setting while another thread may be inside BLAS. */
#include <cblas.h>
#include <stdatomic.h>
#include <stdlib.h>

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
/* OpenBLAS's pthread workers, once a product is done, call sched_yield in a loop for 2^28 cycles
 * (~0.1 s) before they sleep: through every elementwise phase of a training step the idle worker
 * spins in the kernel (168k sched_yield calls in 20 steps of the Brown POS fine-tune) and competes
 * with the pool's worker for the second core. OPENBLAS_THREAD_TIMEOUT (2^N cycles) shortens that
 * spin, but OpenBLAS reads it when it is loaded; so, unless the user set it, it is set here, read
 * again, and the workers restarted (lazily, by the next threaded product) with the short timeout.
 * 2^16 cycles (~25 us) still covers back-to-back products. Both functions are exported by the
 * pthreads and OpenMP builds of OpenBLAS; with another BLAS the weak references stay NULL. */
extern void openblas_read_env(void) __attribute__((weak));
extern int blas_thread_shutdown_(void) __attribute__((weak));

__attribute__((constructor)) static void blas_short_spin(void) {
    if (!openblas_read_env || !blas_thread_shutdown_ || getenv("OPENBLAS_THREAD_TIMEOUT")) return;
    if (setenv("OPENBLAS_THREAD_TIMEOUT", "16", 0) != 0) return;
    openblas_read_env();
    unsetenv("OPENBLAS_THREAD_TIMEOUT"); /* the process's environment stays as it was */
    blas_thread_shutdown_();
}

bb_pool *ops_pool(void) {
    ops_threads();
    return bb_pool_global();
}
