/* Classification and regression metrics. */
#include "eval_metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bb_err.h"

int train_cls_metrics_init(train_cls_metrics *m, int K) {
    memset(m, 0, sizeof *m);
    m->K = K;
    m->confusion = calloc((size_t)K * K, sizeof(long));
    m->precision = calloc((size_t)K * 3, sizeof(double));
    if (!m->confusion || !m->precision) {
        train_cls_metrics_free(m);
        return BB_ENOMEM;
    }
    m->recall = m->precision + K;
    m->f1 = m->recall + K;
    return BB_OK;
}

void train_cls_metrics_add(train_cls_metrics *m, int predicted, int gold) {
    BB_ASSERT(predicted >= 0 && predicted < m->K && gold >= 0 && gold < m->K);
    m->confusion[(size_t)gold * m->K + predicted]++;
    m->total++;
    m->correct += predicted == gold;
}

/* Macro-F1 as sklearn's f1_score(average="macro") over the classes seen in gold or predictions. */
void train_cls_metrics_finish(train_cls_metrics *m) {
    int K = m->K, present = 0;
    double sum_f1 = 0;
    for (int k = 0; k < K; k++) {
        long tp = m->confusion[(size_t)k * K + k], gold = 0, pred = 0;
        for (int j = 0; j < K; j++) {
            gold += m->confusion[(size_t)k * K + j];
            pred += m->confusion[(size_t)j * K + k];
        }
        m->precision[k] = pred ? (double)tp / pred : 0;
        m->recall[k] = gold ? (double)tp / gold : 0;
        double pr = m->precision[k] + m->recall[k];
        m->f1[k] = pr > 0 ? 2 * m->precision[k] * m->recall[k] / pr : 0;
        if (gold || pred) {
            present++;
            sum_f1 += m->f1[k];
        }
    }
    m->accuracy = m->total ? (double)m->correct / m->total : 0;
    m->macro_f1 = present ? sum_f1 / present : 0;
}

void train_cls_metrics_free(train_cls_metrics *m) {
    free(m->confusion);
    free(m->precision);
    memset(m, 0, sizeof *m);
}

static double pearson(const double *x, const double *y, long n) {
    double mx = 0, my = 0;
    for (long i = 0; i < n; i++) mx += x[i], my += y[i];
    mx /= n, my /= n;
    double sxy = 0, sxx = 0, syy = 0;
    for (long i = 0; i < n; i++) {
        sxy += (x[i] - mx) * (y[i] - my);
        sxx += (x[i] - mx) * (x[i] - mx);
        syy += (y[i] - my) * (y[i] - my);
    }
    return sxx > 0 && syy > 0 ? sxy / sqrt(sxx * syy) : 0;
}

static _Thread_local const double *rank_key; /* qsort has no user pointer */
static int cmp_idx(const void *a, const void *b) {
    double x = rank_key[*(const long *)a], y = rank_key[*(const long *)b];
    return (x > y) - (x < y);
}

/* Average ranks (ties share the mean rank), as scipy.stats.rankdata. */
static void ranks(double *r, const double *v, long *idx, long n) {
    for (long i = 0; i < n; i++) idx[i] = i;
    rank_key = v;
    qsort(idx, (size_t)n, sizeof *idx, cmp_idx);
    for (long i = 0; i < n;) {
        long j = i;
        while (j + 1 < n && v[idx[j + 1]] == v[idx[i]]) j++;
        for (long k = i; k <= j; k++) r[idx[k]] = 0.5 * (double)(i + j) + 1;
        i = j + 1;
    }
}

int train_reg_metrics_compute(train_reg_metrics *out, const float *pred, const float *gold, long n) {
    memset(out, 0, sizeof *out);
    if (n <= 0) return BB_OK;
    double *buf = malloc(sizeof(double) * (size_t)n * 4);
    long *idx = malloc(sizeof(long) * (size_t)n);
    if (!buf || !idx) {
        free(buf), free(idx);
        return BB_ENOMEM;
    }
    double *x = buf, *y = buf + n, *rx = y + n, *ry = rx + n;
    for (long i = 0; i < n; i++) {
        x[i] = pred[i], y[i] = gold[i];
        out->mse += (x[i] - y[i]) * (x[i] - y[i]);
    }
    out->mse /= n;
    out->pearson = pearson(x, y, n);
    ranks(rx, x, idx, n);
    ranks(ry, y, idx, n);
    out->spearman = pearson(rx, ry, n);
    free(buf), free(idx);
    return BB_OK;
}
