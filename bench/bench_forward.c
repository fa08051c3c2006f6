/* bertbench bench forward: the encoder forward pass at a given shape (random weights, or a model
 * directory's) against the machine's own sgemm peak measured in the same run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bb_err.h"
#include "bench.h"
#include "bert.h"

static const char usage[] =
    "usage: bertbench bench forward [--layers L] [--hidden C] [--heads NH] [--intermediate I]\n"
    "                               [--seq T] [--batch B] [--reps N] [--model DIR]\n"
    "Times the encoder forward pass (random weights, default bert-base: 12/768/12/3072, T=128, B=1;\n"
    "--model: the shape and weights of a model directory) and a 2048^3 cblas_sgemm in the same run;\n"
    "prints one JSON line: {\"median_s\",\"cpu_s\",\"gflops\",\"tokens_per_s\",\"sgemm_gflops\",\"ratio\"}.\n"
    "cpu_s is the median CPU time of one forward over all threads (comparable on a busy machine).\n";

static int int_opt(const char *name, const char *val, int lo, int hi, int *out) {
    char *end;
    long v = val ? strtol(val, &end, 10) : 0;
    if (!val || *end || v < lo || v > hi) {
        bench_usage_error("bench forward", "%s needs an integer in %d..%d", name, lo, hi);
        return 0;
    }
    *out = (int)v;
    return 1;
}

/* FLOPs of the encoder layers (matrix products and attention; the elementwise ops are negligible). */
double bench_forward_flops(int L, int C, int I, int B, int T) {
    double N = (double)B * T;
    return L * (2 * N * C * 3 * C + 2 * N * C * C + 2 * 2 * N * C * I + 2 * 2 * (double)B * T * T * C);
}

/* CPU seconds of the whole process (every thread, spinning included). */
static double cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int bench_forward(int argc, char **argv) {
    int L = 12, C = 768, NH = 12, I = 0, T = 128, B = 1, reps = 10;
    const char *model_dir = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int ok = 1;
        if (strcmp(a, "--help") == 0) {
            fputs(usage, stdout);
            return 0;
        } else if (strcmp(a, "--layers") == 0) ok = int_opt(a, v, 1, 48, &L), i++;
        else if (strcmp(a, "--hidden") == 0) ok = int_opt(a, v, 8, 8192, &C), i++;
        else if (strcmp(a, "--heads") == 0) ok = int_opt(a, v, 1, 128, &NH), i++;
        else if (strcmp(a, "--intermediate") == 0) ok = int_opt(a, v, 8, 32768, &I), i++;
        else if (strcmp(a, "--seq") == 0) ok = int_opt(a, v, 1, 4096, &T), i++;
        else if (strcmp(a, "--batch") == 0) ok = int_opt(a, v, 1, 512, &B), i++;
        else if (strcmp(a, "--reps") == 0) ok = int_opt(a, v, 1, 1000, &reps), i++;
        else if (strcmp(a, "--model") == 0) {
            if (!v) return bench_usage_error("bench forward", "--model needs a model directory");
            model_dir = v, i++;
        }
        else return bench_usage_error("bench forward", "unknown option '%s'", a);
        if (!ok) return 2;
    }
    if (!I) I = 4 * C;
    if (C % NH) return bench_usage_error("bench forward", "--hidden %d is not divisible by --heads %d", C, NH);
    char err[512];
    bert_model *m;
    if (model_dir) {
        if (bert_load(&m, model_dir, err, sizeof err) != BB_OK) return bench_fail("bench forward", "%s", err);
        const bert_config *mc = &m->cfg;
        L = mc->num_layers, C = mc->hidden_size, NH = mc->num_heads, I = mc->intermediate_size;
    } else {
        bert_config cfg;
        bert_config_default(&cfg, 30522, C, L, NH, I, T > 512 ? T : 512);
        if (bert_create(&m, &cfg, 1, err, sizeof err) != BB_OK) return bench_fail("bench forward", "%s", err);
    }
    bert_acts a;
    if (bert_acts_alloc(&a, m, B, T, 0, err, sizeof err) != BB_OK) {
        bert_free(m);
        return bench_fail("bench forward", "%s", err);
    }
    int32_t *ids = malloc(sizeof(int32_t) * B * T);
    bb_rng rng;
    bb_rng_seed(&rng, 7);
    for (int i = 0; i < B * T; i++) ids[i] = (int32_t)bb_rng_below(&rng, (uint32_t)m->cfg.vocab_size);
    double *t = malloc(sizeof(double) * 2 * reps), *cpu = t + reps;
    int rc = bert_forward(m, &a, ids, NULL, NULL, B, T, err, sizeof err); /* warm-up */
    for (int r = 0; r < reps && rc == BB_OK; r++) {
        double t0 = bench_now(), c0 = cpu_now();
        rc = bert_forward(m, &a, ids, NULL, NULL, B, T, err, sizeof err);
        t[r] = bench_now() - t0;
        cpu[r] = cpu_now() - c0;
    }
    if (rc == BB_OK) {
        double med = bench_median(t, reps), flops = bench_forward_flops(L, C, I, B, T);
        double sg = bench_sgemm_gflops(5), gf = flops / med / 1e9;
        printf("{\"layers\":%d,\"hidden\":%d,\"heads\":%d,\"seq\":%d,\"batch\":%d,\"median_s\":%.5f,\"cpu_s\":%.5f,"
               "\"gflops\":%.2f,\"tokens_per_s\":%.1f,\"sgemm_gflops\":%.2f,\"ratio\":%.3f}\n",
               L, C, NH, T, B, med, bench_median(cpu, reps), gf, B * T / med, sg, gf / sg);
    }
    free(t);
    free(ids);
    bert_acts_free(&a);
    bert_free(m);
    return rc == BB_OK ? 0 : bench_fail("bench forward", "%s", err);
}
