/* run_metrics.h — metrics.jsonl, the log of a bertbench training run: one list of keys, one writer
 * and one reader. The trainer writes it into its output directory; the workbench copies a run's
 * lines into the session's runs/RUN/metrics.jsonl when --out is elsewhere; the workbench's curves,
 * `follow` and the CSV export read it.
 *
 *     run_metrics *m;
 *     run_metrics_open(&m, "run/metrics.jsonl", 1000, err, sizeof err);
 *     run_point p;
 *     run_point_init(&p);
 *     run_point_set(&p, RUN_M_STEP, 10);
 *     run_point_set(&p, RUN_M_LOSS, 2.5);
 *     run_metrics_append(m, &p, err, sizeof err);              // {"step":10,"loss":2.5}
 *     run_metrics_close(m, err, sizeof err);
 *
 *     run_metrics_table t;
 *     run_metrics_read(&t, "run/metrics.jsonl", err, sizeof err);
 *     const double *loss = run_metrics_col(&t, RUN_M_LOSS);      // (t.n), NaN where a row has none
 *     run_metrics_table_free(&t);
 *
 * The lines a run writes (keys in the order of run_metric; numbers as their key's format):
 *   {"newly_initialized":["classifier.bias","classifier.weight"]}      a head the checkpoint lacked
 *   {"skipped_invalid_utf8_train":2,"first_skipped_line_train":3,"skipped_invalid_utf8_eval":1,...}
 *   {"step":10,"epoch":0.0417,"loss":2.53,"lr":5e-05,"grad_norm":1.2,"tokens_per_s":4210.5,"elapsed_s":1.234}
 *   {"step":10,"eval_loss":2.1,"eval_perplexity":8.17}                                     MLM
 *   {"step":10,"eval_loss":0.6,"eval_accuracy":0.75,"eval_f1":0.7,"eval_labels":["ham","spam"],
 *    "eval_confusion":[[3,1],[0,4]]}                                 classification (rows gold)
 *   {"step":10,"eval_loss":0.2,"eval_mse":0.2,"eval_pearson":0.9,"eval_spearman":0.88}   regression
 * A number that is not finite is written as JSON can hold it: NaN as null, +-inf as +-1e999 (which
 * strtod reads back as +-inf).
 *
 * Durability: each line is one fwrite + fflush, so a kill -9 loses nothing append returned;
 * fdatasync runs at most every sync_ms (0: every line) and at close. Opening a file whose last line
 * a crash tore ends that line first, so new lines stay whole. The reader keeps every complete line
 * that is a JSON object, counts the others, ignores a torn last line and also reads the bare
 * nan/inf that printf writes. Errors follow bb_err.h and name the file.
 */
#ifndef BB_RUN_METRICS_H
#define BB_RUN_METRICS_H

#include <stddef.h>
#include <stdint.h>

/* The keys of metrics.jsonl. The numeric ones come first (a run_point holds them); the others hold
 * lists. */
typedef enum {
    RUN_M_STEP,
    RUN_M_EPOCH,
    RUN_M_LOSS,
    RUN_M_LR,
    RUN_M_GRAD_NORM,
    RUN_M_TOKENS_PER_S,
    RUN_M_ELAPSED_S,
    RUN_M_EVAL_LOSS,
    RUN_M_EVAL_PERPLEXITY,
    RUN_M_EVAL_ACCURACY,
    RUN_M_EVAL_F1,
    RUN_M_EVAL_MSE,
    RUN_M_EVAL_PEARSON,
    RUN_M_EVAL_SPEARMAN,
    RUN_M_SKIPPED_TRAIN,       /* --skip-invalid-utf8: lines of the training file dropped */
    RUN_M_FIRST_SKIPPED_TRAIN, /* the first one's line number */
    RUN_M_SKIPPED_EVAL,
    RUN_M_FIRST_SKIPPED_EVAL,
    RUN_M_NUMBERS,                             /* the count of numeric keys */
    RUN_M_NEWLY_INITIALIZED = RUN_M_NUMBERS, /* ["name", ...] */
    RUN_M_EVAL_LABELS,                         /* ["label", ...] */
    RUN_M_EVAL_CONFUSION,                      /* [[count, ...], ...] (k, k), rows gold, columns predicted */
    RUN_M_KEYS
} run_metric;

const char *run_metric_name(run_metric k); /* "step", "eval_loss", ... */

/* One line to write. Only keys set with run_point_set are written. */
typedef struct {
    double v[RUN_M_NUMBERS];
    uint32_t set;               /* bit k: v[k] is written */
    const char *new_weights;    /* "a, b, c" (comma-separated, spaces ignored) -> newly_initialized; or NULL */
    int k;                      /* > 0: eval_labels and eval_confusion are written */
    const char *const *labels;  /* (k) */
    const long *confusion;      /* (k, k) */
} run_point;

void run_point_init(run_point *p);
void run_point_set(run_point *p, run_metric k, double v);

typedef struct run_metrics run_metrics;

/* Opens PATH for appending (created when absent). sync_ms: fdatasync at most this often (0: every line). */
int run_metrics_open(run_metrics **out, const char *path, int sync_ms, char *err, size_t errlen);
/* Writes p as one line; BB_EINVAL for a point with nothing set, BB_ENOSPC on a full disk or file-size
 * limit, BB_EIO on other write errors. Safe from the thread that owns m. */
int run_metrics_append(run_metrics *m, const run_point *p, char *err, size_t errlen);
int run_metrics_close(run_metrics *m, char *err, size_t errlen); /* syncs; frees m even on error */

/* The numeric series of a metrics file: one row per valid line, one column per key seen ("step"
 * first, the rest in order of first appearance), NaN where a row lacks the key; nulls read as NaN. */
typedef struct {
    char *name;
    double *v; /* (n) */
} run_metrics_column;

typedef struct {
    long n;
    int ncols;
    run_metrics_column *cols;
    long bad_lines; /* complete lines that were not a JSON object (skipped) */
    int torn_tail;  /* the last line had no newline and did not parse: ignored */
} run_metrics_table;

int run_metrics_read(run_metrics_table *out, const char *path, char *err, size_t errlen);
const double *run_metrics_col(const run_metrics_table *t, run_metric k); /* NULL when absent */
const double *run_metrics_col_named(const run_metrics_table *t, const char *name);
void run_metrics_table_free(run_metrics_table *t);

/* The last evaluation's confusion matrix: k labels (malloc'd names), counts (k, k), the step. k == 0
 * when the file has none. */
typedef struct {
    int k;
    char **labels;
    long *counts;
    long step;
} run_confusion;
int run_metrics_last_confusion(run_confusion *out, const char *path, char *err, size_t errlen);
void run_confusion_free(run_confusion *c);

/* CSV with a header row of the column names; empty cells for missing values. Written atomically. */
int run_metrics_export_csv(const char *metrics_path, const char *csv_path, char *err, size_t errlen);

#endif
