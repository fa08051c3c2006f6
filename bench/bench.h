/* bench.h — `bertbench bench NAME`: benchmarks that print one JSON line. Not tests: timings are
 * never asserted. Each benchmark lives in bench/bench_NAME.c. */
#ifndef BB_BENCH_H
#define BB_BENCH_H

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
/* ui/ui_bench.c: workbench redraw after a keystroke. */
int bench_redraw(int argc, char **argv);

#endif
