/* The process-wide thread count of the engine's pool (bb_pool_global). The pool is the only source
 * of parallelism: OpenBLAS runs one-threaded (it starts no worker of its own, see blas_start below),
 * and ops_sgemm shares products across the pool itself, so no call ever switches OpenBLAS's
 * process-wide setting while another thread may be inside BLAS. */
#include <cblas.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "bb_pool.h"
#include "ops.h"
#include "ops_internal.h"

static atomic_int configured; /* 0: not read yet */
static int blas_default;      /* OpenBLAS's own count (OPENBLAS_NUM_THREADS, ..., or every core); 0: unknown */

int ops_threads(void) {
    int n = atomic_load(&configured);
    if (n == 0) {
        int expected = 0;
        n = blas_default ? blas_default : openblas_get_num_threads(); /* OPENBLAS_NUM_THREADS, or every core */
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
 * spin, but OpenBLAS reads it when it starts its workers; 2^16 cycles (~25 us) still covers
 * back-to-back products. And those workers are not wanted at all until ops_blas_threaded asks for
 * them (the engine runs BLAS one-threaded): OpenBLAS starts them in its initialisation (one thread
 * per further core, its 128 MB buffer mapped, joined again at exit), which a one-shot command such
 * as `attention` pays for nothing.
 *
 * So, before anything uses BLAS: the short timeout goes into the environment (unless the user set
 * one) and OpenBLAS reads it; its own thread count is kept for ops_threads; the workers it started
 * are stopped; its count is set to one; and it is initialised, which then starts no worker and keeps
 * the short timeout for the workers ops_blas_threaded starts (goto_set_num_threads adds them). Linked
 * in from libopenblas.a (app/meson.build) OpenBLAS's constructor runs after this one (priority 101
 * runs before the default priority), so it has started nothing yet and gotoblas_init here is its
 * initialisation; linked as a shared library it was initialised before this executable's
 * constructors, its workers are joined here, and gotoblas_init returns at once. The environment is
 * left as it was. These OpenBLAS internals are exported by its pthreads build (Debian's 0.3.21); with
 * another build or BLAS the weak references stay NULL and nothing is changed. */
extern void openblas_read_env(void) __attribute__((weak));
extern int blas_thread_shutdown_(void) __attribute__((weak));
extern void gotoblas_init(void) __attribute__((weak));
extern int blas_num_threads __attribute__((weak));
extern int blas_cpu_number __attribute__((weak));

__attribute__((constructor(101))) static void blas_start(void) {
    if (!openblas_read_env || !blas_thread_shutdown_ || !gotoblas_init || !&blas_num_threads || !&blas_cpu_number)
        return;
    int own_timeout = getenv("OPENBLAS_THREAD_TIMEOUT") == NULL;
    if (own_timeout && setenv("OPENBLAS_THREAD_TIMEOUT", "16", 0) != 0) return;
    openblas_read_env();
    blas_default = openblas_get_num_threads();
    blas_thread_shutdown_();
    blas_num_threads = 1;
    blas_cpu_number = 1;
    gotoblas_init();
    if (own_timeout) unsetenv("OPENBLAS_THREAD_TIMEOUT");
}

bb_pool *ops_pool(void) {
    ops_threads();
    return bb_pool_global();
}

/* The per-thread buffers of ops_thread_scratch, freed by the key's destructor when the thread exits. */
typedef struct {
    float *buf[OPS_SCRATCH_SLOTS];
    size_t cap[OPS_SCRATCH_SLOTS];
} scratch_set;
static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;
static _Thread_local scratch_set *tls_scratch;

static void scratch_free(void *p) {
    scratch_set *s = p;
    for (int i = 0; i < OPS_SCRATCH_SLOTS; i++) free(s->buf[i]);
    free(s);
}

static void scratch_key_create(void) { pthread_key_create(&scratch_key, scratch_free); }

float *ops_thread_scratch(int slot, size_t floats) {
    scratch_set *s = tls_scratch;
    if (!s) {
        pthread_once(&scratch_once, scratch_key_create);
        s = calloc(1, sizeof *s);
        if (!s) return NULL;
        tls_scratch = s;
        pthread_setspecific(scratch_key, s);
    }
    if (floats <= s->cap[slot]) return s->buf[slot];
    free(s->buf[slot]);
    size_t bytes = (floats * sizeof(float) + 63) & ~(size_t)63;
    s->buf[slot] = aligned_alloc(64, bytes);
    s->cap[slot] = s->buf[slot] ? floats : 0;
    return s->buf[slot];
}
