/* The non-finite scan of the loaders (bert_finite.h). */
#include "bert_finite.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* A float is NaN or Inf exactly when its exponent bits are all ones, i.e. when its bits without the
 * sign are >= 0x7f800000. The largest of those over a block of fixed length is one vectorised max per
 * element, so a block costs what reading it costs (an isfinite() branch per element does not
 * vectorise); only a block that has one is searched element by element. */
int64_t bert_first_nonfinite(const float *x, int64_t n) {
    enum { BLOCK = 1024 };
    int64_t b = 0;
    for (; b + BLOCK <= n; b += BLOCK) {
        uint32_t worst = 0;
        for (int i = 0; i < BLOCK; i++) {
            uint32_t u;
            memcpy(&u, x + b + i, sizeof u);
            u &= 0x7fffffffu;
            worst = u > worst ? u : worst;
        }
        if (worst >= 0x7f800000u) break;
    }
    for (int64_t i = b; i < n; i++) {
        uint32_t u;
        memcpy(&u, x + i, sizeof u);
        if ((u & 0x7fffffffu) >= 0x7f800000u) return i;
    }
    return -1;
}

enum { CHUNK = 1 << 20 }; /* floats: 4 MB, small enough to share a 90 MB embedding between threads */

typedef struct {
    int array;
    int64_t begin, n;
    int64_t bad; /* index in the array of the chunk's first non-finite element, or -1 */
} scan_chunk;

typedef struct {
    const float *const *arrays;
    scan_chunk *chunks;
    int nchunks;
    atomic_int next;
} scan_job;

static void *scan_worker(void *arg) {
    scan_job *j = arg;
    for (int i; (i = atomic_fetch_add(&j->next, 1)) < j->nchunks;) {
        scan_chunk *c = &j->chunks[i];
        int64_t at = bert_first_nonfinite(j->arrays[c->array] + c->begin, c->n);
        c->bad = at < 0 ? -1 : c->begin + at;
    }
    return NULL;
}

static int find_serial(const float *const *arrays, const int64_t *lens, int count, int *which, int64_t *at) {
    for (int i = 0; i < count; i++) {
        int64_t k = bert_first_nonfinite(arrays[i], lens[i]);
        if (k >= 0) {
            *which = i;
            *at = k;
            return 1;
        }
    }
    return 0;
}

int bert_find_nonfinite(const float *const *arrays, const int64_t *lens, int count, int threads, int *which,
                      int64_t *at) {
    int64_t nchunks = 0;
    for (int i = 0; i < count; i++) nchunks += (lens[i] + CHUNK - 1) / CHUNK;
    if (threads > 8) threads = 8; /* memory bandwidth, not arithmetic, is the limit */
    if (threads > nchunks) threads = (int)nchunks;
    scan_chunk *chunks = threads > 1 && nchunks < INT32_MAX ? malloc(sizeof *chunks * (size_t)nchunks) : NULL;
    if (!chunks) return find_serial(arrays, lens, count, which, at); /* one thread, or no memory to share */
    scan_job job = {arrays, chunks, (int)nchunks, 0};
    int k = 0;
    for (int i = 0; i < count; i++)
        for (int64_t b = 0; b < lens[i]; b += CHUNK)
            chunks[k++] = (scan_chunk){i, b, lens[i] - b < CHUNK ? lens[i] - b : CHUNK, -1};
    pthread_t tid[8];
    int started = 0;
    while (started < threads - 1 && pthread_create(&tid[started], NULL, scan_worker, &job) == 0) started++;
    scan_worker(&job); /* the calling thread works too; with no helper it does everything */
    for (int t = 0; t < started; t++) pthread_join(tid[t], NULL);
    int found = 0;
    for (int c = 0; c < job.nchunks && !found; c++)
        if (chunks[c].bad >= 0) {
            *which = chunks[c].array;
            *at = chunks[c].bad;
            found = 1;
        }
    free(chunks);
    return found;
}
