/* The engine's thread pool: every index exactly once, shares contiguous and in worker order, nested
 * and concurrent callers (two threads on one pool, as the trainer and the workbench's worker). */
#include <pthread.h>
#include <stdatomic.h>

#include "bb_pool.h"
#include "check.h"

typedef struct {
    atomic_int *hits;   /* (n) times each index was visited */
    atomic_int bad;     /* shares that broke the contract */
    long n, grain;
    int max_workers;
    long begin_of[64];  /* share start seen by each worker, -1 when it had none */
} cover_ctx;

static void cover(void *vctx, long begin, long end, int worker) {
    cover_ctx *c = vctx;
    if (worker < 0 || worker >= c->max_workers || begin < 0 || end > c->n || begin >= end) {
        atomic_fetch_add(&c->bad, 1);
        return;
    }
    if (!bb_pool_in_task()) atomic_fetch_add(&c->bad, 1);
    c->begin_of[worker] = begin;
    for (long i = begin; i < end; i++) atomic_fetch_add(&c->hits[i], 1);
}

/* Runs one loop and checks coverage; returns the number of shares that ran. */
static int check_cover(bb_pool *pool, long n, long grain) {
    cover_ctx c = {.n = n, .grain = grain, .max_workers = bb_pool_max_threads(pool ? pool : bb_pool_global())};
    c.hits = calloc(n > 0 ? (size_t)n : 1, sizeof *c.hits);
    for (int i = 0; i < 64; i++) c.begin_of[i] = -1;
    bb_pool_for(pool, n, grain, cover, &c);
    int once = 1, shares = 0;
    for (long i = 0; i < n; i++) once &= atomic_load(&c.hits[i]) == 1;
    CHECK(once, "n %ld grain %ld: some index not visited exactly once", n, grain);
    CHECK(atomic_load(&c.bad) == 0, "n %ld grain %ld: %d shares out of contract", n, grain, atomic_load(&c.bad));
    long last = -1;
    for (int w = 0; w < 64; w++) {
        if (c.begin_of[w] < 0) continue;
        CHECK(c.begin_of[w] > last, "n %ld: worker %d's share starts at %ld, not after %ld", n, w, c.begin_of[w], last);
        last = c.begin_of[w];
        shares++;
    }
    if (n > 0) CHECK(c.begin_of[0] == 0, "n %ld: the caller's share does not start at 0", n);
    if (n > 0 && grain > 0) CHECK(shares <= (n + grain - 1) / grain, "n %ld grain %ld: %d shares", n, grain, shares);
    free(c.hits);
    return shares;
}

static void test_coverage(bb_pool *pool) {
    long ns[] = {0, 1, 2, 3, 5, 64, 1000, 100003};
    long grains[] = {0, 1, 3, 1000};
    for (size_t i = 0; i < sizeof ns / sizeof *ns; i++)
        for (size_t j = 0; j < sizeof grains / sizeof *grains; j++) check_cover(pool, ns[i], grains[j]);
}

/* A loop inside a share runs serially on that thread and still covers its items. */
typedef struct {
    atomic_int total;
} nest_ctx;

static void inner(void *vctx, long begin, long end, int worker) {
    nest_ctx *c = vctx;
    if (worker != 0) atomic_fetch_add(&c->total, 1000000);
    atomic_fetch_add(&c->total, (int)(end - begin));
}

static void outer(void *vctx, long begin, long end, int worker) {
    (void)worker;
    for (long i = begin; i < end; i++) bb_pool_for(NULL, 10, 1, inner, vctx);
}

typedef struct {
    bb_pool *pool;
    int rounds, failures;
} caller_arg;

static void *caller_main(void *varg) {
    caller_arg *a = varg;
    for (int r = 0; r < a->rounds; r++) {
        long n = 1 + (r * 7919) % 5000;
        cover_ctx c = {.n = n, .max_workers = bb_pool_max_threads(a->pool ? a->pool : bb_pool_global())};
        c.hits = calloc((size_t)n, sizeof *c.hits);
        bb_pool_for(a->pool, n, 1 + r % 5, cover, &c);
        for (long i = 0; i < n; i++) a->failures += atomic_load(&c.hits[i]) != 1;
        a->failures += atomic_load(&c.bad);
        free(c.hits);
    }
    return NULL;
}

static void test_two_callers(bb_pool *pool) {
    caller_arg a = {pool, 3000, 0}, b = {pool, 3000, 0};
    pthread_t ta, tb;
    CHECK(pthread_create(&ta, NULL, caller_main, &a) == 0, "thread a");
    CHECK(pthread_create(&tb, NULL, caller_main, &b) == 0, "thread b");
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    CHECK(a.failures == 0 && b.failures == 0, "concurrent callers: %d and %d bad indices", a.failures, b.failures);
}

int main(void) {
    bb_pool *g = bb_pool_global();
    CHECK(g && bb_pool_max_threads(g) >= 1, "global pool");
    CHECK(bb_pool_threads(g) == bb_pool_max_threads(g), "the global pool starts with every thread");
    test_coverage(NULL);

    /* a private pool larger than the machine: shares still partition the items */
    bb_pool *p4 = bb_pool_create(4);
    CHECK(p4 && bb_pool_max_threads(p4) == 4, "pool of 4");
    test_coverage(p4);
    CHECK(check_cover(p4, 4000, 1) == 4, "a pool of 4 cuts 4000 items into 4 shares");
    CHECK(check_cover(p4, 4000, 1500) == 3, "grain 1500 allows 3 shares of 4000");
    test_two_callers(p4);
    bb_pool_set_threads(p4, 1);
    CHECK(bb_pool_threads(p4) == 1, "set_threads(1)");
    CHECK(check_cover(p4, 4000, 1) == 1, "one thread: one share");
    bb_pool_set_threads(p4, 99);
    CHECK(bb_pool_threads(p4) == 4, "set_threads clamps to the maximum");
    bb_pool_free(p4);

    nest_ctx nc = {0};
    bb_pool_for(NULL, 8, 1, outer, &nc);
    CHECK(atomic_load(&nc.total) == 80, "nested loops ran serially on their caller: %d", atomic_load(&nc.total));
    test_two_callers(NULL);

    bb_pool *p1 = bb_pool_create(1);
    test_coverage(p1);
    bb_pool_free(p1);
    CHECK(!bb_pool_in_task(), "outside a region");
    return check_done();
}
