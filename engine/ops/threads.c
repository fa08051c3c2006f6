/* The process-wide OpenBLAS thread count, remembered so that code which briefly switches OpenBLAS to
 * one thread (attention's small products) can restore it even when several engine threads do so. */
#include <cblas.h>
#include <stdatomic.h>

#include "ops.h"

static atomic_int configured; /* 0: not read yet */

int ops_threads(void) {
    int n = atomic_load(&configured);
    if (n == 0) {
        int expected = 0;
        n = openblas_get_num_threads();
        if (n < 1) n = 1;
        if (!atomic_compare_exchange_strong(&configured, &expected, n)) n = expected;
    }
    return n;
}

void ops_set_threads(int n) {
    if (n <= 0) n = openblas_get_num_procs();
    if (n < 1) n = 1;
    atomic_store(&configured, n);
    openblas_set_num_threads(n);
}
