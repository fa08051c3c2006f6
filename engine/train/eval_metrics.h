/* eval_metrics.h — evaluation metrics of classification and regression runs (accuracy, macro-F1,
 * confusion matrix; MSE, Pearson, Spearman). metrics.jsonl, the run log, is engine/runs/run_metrics.h.
 *
 *     train_cls_metrics cm;
 *     train_cls_metrics_init(&cm, num_labels);
 *     train_cls_metrics_add(&cm, predicted, gold);   // per example (or per labelled token)
 *     train_cls_metrics_finish(&cm);                 // accuracy, macro-F1, per-class P/R/F1
 *     train_cls_metrics_free(&cm);
 */
#ifndef BB_EVAL_METRICS_H
#define BB_EVAL_METRICS_H

#include <stddef.h>

typedef struct {
    int K;
    long *confusion;   /* (K, K) rows gold, columns predicted */
    long total, correct;
    double accuracy, macro_f1;
    double *precision, *recall, *f1; /* (K) */
} train_cls_metrics;

int train_cls_metrics_init(train_cls_metrics *m, int K);
void train_cls_metrics_add(train_cls_metrics *m, int predicted, int gold);
void train_cls_metrics_finish(train_cls_metrics *m);
void train_cls_metrics_free(train_cls_metrics *m);

/* Regression: mean squared error, Pearson and Spearman correlations of pred vs gold over n values. */
typedef struct {
    double mse, pearson, spearman;
} train_reg_metrics;

int train_reg_metrics_compute(train_reg_metrics *out, const float *pred, const float *gold, long n);

#endif
