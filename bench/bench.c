#include "bench.h"

#include <cblas.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ops.h"

double bench_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bench_median(double *v, int n) {
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double bench_sgemm_gflops(int reps) {
    const int n = 2048;
    float *a = malloc(sizeof(float) * n * n), *b = malloc(sizeof(float) * n * n),
          *c = malloc(sizeof(float) * n * n);
    if (!a || !b || !c) {
        free(a), free(b), free(c);
        return 0;
    }
    for (long i = 0; i < (long)n * n; i++) a[i] = b[i] = (float)(i % 17) * 0.01f;
    double t[16];
    if (reps > 16) reps = 16;
    /* the peak is OpenBLAS's own threaded sgemm (the engine keeps OpenBLAS on one thread and shares
     * its products across its pool instead); nothing else runs meanwhile */
    ops_blas_threaded(1);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
    for (int r = 0; r < reps; r++) {
        double t0 = bench_now();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
        t[r] = bench_now() - t0;
    }
    ops_blas_threaded(0);
    free(a), free(b), free(c);
    return 2.0 * n * n * n / bench_median(t, reps) / 1e9;
}

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} bench_entry;

static const bench_entry benches[] = {
    {"sgemm", NULL, "2048^3 cblas_sgemm GFLOP/s (the peak the others are measured against)"},
    {"forward", bench_forward, "encoder forward pass vs the sgemm peak"},
    {"infer", bench_infer, "fill-mask and attention-capture latency at 32 and 128 tokens"},
    {"tokenize", bench_tokenize, "tokens/s of one-thread encoding of a text file (--vocab/--model/--tokenizer)"},
    {"train", bench_train, "MLM training tokens/s (forward, backward, AdamW) for L4/H256 and bert-base"},
    {"redraw", bench_redraw, "workbench: re-tokenize + redraw after a keystroke on a 128-token text"},
    {0, 0, 0},
};

int bench_usage_error(const char *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "bertbench %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, " (try 'bertbench %s --help')\n", cmd);
    va_end(ap);
    return 2;
}

int bench_fail(const char *cmd, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "bertbench %s: ", cmd);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return 1;
}

static int bench_sgemm_only(void) {
    printf("{\"sgemm_gflops\":%.2f}\n", bench_sgemm_gflops(5));
    return 0;
}

int bench_main(int argc, char **argv) {
    if (argc < 2 || strcmp(argv[1], "--help") == 0) {
        /* asked for: the list on stdout; a missing name is a usage error, so the list goes to stderr */
        FILE *f = argc < 2 ? stderr : stdout;
        fprintf(f, "%susage: bertbench bench NAME [OPTIONS]\n\nBenchmarks (one JSON line each):\n",
                argc < 2 ? "bertbench bench: no benchmark named\n" : "");
        for (const bench_entry *b = benches; b->name; b++) fprintf(f, "  %-10s %s\n", b->name, b->summary);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "sgemm") == 0) {
        if (argc > 2 && strcmp(argv[2], "--help") == 0) {
            printf("usage: bertbench bench sgemm\nTimes a 2048x2048x2048 cblas_sgemm (median of 5) and prints "
                   "{\"sgemm_gflops\":G}: the peak the other benchmarks are measured against.\n");
            return 0;
        }
        if (argc > 2) return bench_usage_error("bench sgemm", "unknown option '%s'", argv[2]);
        return bench_sgemm_only();
    }
    for (const bench_entry *b = benches; b->name; b++)
        if (b->run && strcmp(argv[1], b->name) == 0) return b->run(argc - 1, argv + 1);
    return bench_usage_error("bench", "unknown benchmark '%s'", argv[1]);
}
