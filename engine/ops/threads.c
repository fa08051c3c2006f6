/* The process-wide thread count, shared by OpenBLAS and the engine's pool (bb_pool_global), and
 * remembered so that code which briefly switches OpenBLAS to one thread (attention's small products)
 * can restore it even when several engine threads do so. */
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
        n = openblas_get_num_threads();
        if (n < 1) n = 1;
        if (atomic_compare_exchange_strong(&configured, &expected, n)) bb_pool_set_threads(bb_pool_global(), n);
        else n = expected;
    }
    return n;
}

void ops_set_threads(int n) {
    if (n <= 0) n = openblas_get_num_procs();
    if (n < 1) n = 1;
    atomic_store(&configured, n);
    openblas_set_num_threads(n);
    bb_pool_set_threads(bb_pool_global(), n);
}

bb_pool *ops_pool(void) {
    ops_threads();
    return bb_pool_global();
}
