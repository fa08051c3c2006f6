/* bench.h — `bertbench bench NAME`: benchmarks that print one JSON line. Not tests: timings are
 * never asserted. Each benchmark lives in bench/bench_NAME.c. */
#ifndef BB_BENCH_H
#define BB_BENCH_H

#include <stdio.h>

/* `bertbench bench NAME ...` (argv[0] is "bench"): runs the named benchmark; returns the exit status. */
int bench_main(int argc, char **argv);
/* "bertbench CMD: message (try 'bertbench CMD --help')" on stderr; returns 2. */
int bench_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "bertbench CMD: message" on stderr; returns 1. */
int bench_fail(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Monotonic wall clock in seconds. */
double bench_now(void);
/* The machine's practical sgemm peak: median GFLOP/s of a 2048x2048x2048 cblas_sgemm over reps runs. */
double bench_sgemm_gflops(int reps);
/* Median of n values (sorts v in place). */
double bench_median(double *v, int n);

int bench_forward(int argc, char **argv);
/* FLOPs of the encoder layers' matrix products and attention at a shape. */
double bench_forward_flops(int L, int C, int I, int B, int T);
int bench_tokenize(int argc, char **argv);
int bench_infer(int argc, char **argv);
int bench_train(int argc, char **argv);
/* bench_redraw.c: workbench redraw after a keystroke. */
int bench_redraw(int argc, char **argv);

#endif
