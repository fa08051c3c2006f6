/* head_cls.c — the classification and regression heads (sequence: pooler, [CLS] or mean pooling;
 * token: every row): buffers, the forward with its loss and, beside it, the backward. */
#include "heads.h"

#include <stdlib.h>
#include <string.h>

#include "bb_err.h"
#include "ops.h"

int bert_cls_alloc(bert_cls_acts *c, const bert_model *m, int B, int T, bert_pool_kind pool, char *err,
                   size_t errlen) {
    memset(c, 0, sizeof *c);
    return bert_cls_resize(c, m, B, T, pool, err, errlen);
}

int bert_cls_resize(bert_cls_acts *c, const bert_model *m, int B, int T, bert_pool_kind pool, char *err,
                    size_t errlen) {
    float *x = c->x;
    uint8_t *keep = c->keep;
    size_t cap = x ? c->cap : 0;
    memset(c, 0, sizeof *c);
    const char *why = NULL;
    if (m->head == BERT_HEAD_NONE) why = "the model has no classifier head";
    else if (m->head == BERT_HEAD_SEQCLS && pool == BERT_POOL_POOLER && !m->has_pooler)
        why = "pooling by the pooler needs a pooler, which the model lacks";
    if (why) {
        free(x), free(keep);
        return bb_err(err, errlen, BB_EINVAL, "%s: %s", m->dir[0] ? m->dir : "model", why);
    }
    int C = m->cfg.hidden_size, NL = m->cfg.num_labels;
    int rows = m->head == BERT_HEAD_TOKCLS ? B * T : B;
    size_t rC = (size_t)rows * C, rL = (size_t)rows * NL, floats = 3 * rC + 3 * rL + (size_t)rows;
    if (floats > cap) { /* keep needs rC <= floats bytes: it shares x's capacity */
        free(x), free(keep);
        cap = floats;
        x = malloc(sizeof(float) * cap);
        keep = malloc(cap);
    }
    c->x = x;
    c->keep = keep;
    if (!c->x || !c->keep) {
        bert_cls_free(c);
        return bb_err(err, errlen, BB_ENOMEM, "out of memory for the classifier (%d rows)", rows);
    }
    c->cap = cap;
    c->xd = c->x + rC;
    c->dx = c->xd + rC;
    c->logits = c->dx + rC;
    c->probs = c->logits + rL;
    c->dlogits = c->probs + rL;
    c->losses = c->dlogits + rL;
    c->B = B;
    c->T = T;
    c->rows = rows;
    c->NL = NL;
    c->kind = m->head;
    c->pool = pool;
    return BB_OK;
}

void bert_cls_free(bert_cls_acts *c) {
    free(c->x);
    free(c->keep);
    memset(c, 0, sizeof *c);
}

int bert_cls_forward(const bert_model *m, bert_cls_acts *c, const bert_acts *a, const int32_t *labels,
                     const float *values, int training, bb_rng *rng, float *loss, char *err, size_t errlen) {
    const bert_params *p = &m->params;
    int B = c->B, T = c->T, C = m->cfg.hidden_size, NL = c->NL, rows = c->rows;
    if (a->B != B || a->T != T)
        return bb_err(err, errlen, BB_EINVAL, "classifier buffers are for %d x %d, activations %d x %d", B, T, a->B, a->T);
    const float *last = bert_hidden(a, m, m->cfg.num_layers);
    if (c->kind == BERT_HEAD_TOKCLS) {
        memcpy(c->x, last, sizeof(float) * (size_t)rows * C);
    } else if (c->pool == BERT_POOL_POOLER) {
        memcpy(c->x, a->pool, sizeof(float) * (size_t)B * C);
    } else if (c->pool == BERT_POOL_CLS) {
        for (int b = 0; b < B; b++) memcpy(c->x + (size_t)b * C, last + (size_t)b * T * C, sizeof(float) * C);
    } else {
        for (int b = 0; b < B; b++) {
            float *x = c->x + (size_t)b * C, cnt = 0;
            memset(x, 0, sizeof(float) * C);
            for (int t = 0; t < T; t++) {
                float mk = a->mask[b * T + t];
                if (mk == 0) continue;
                cnt += mk;
                const float *hv = last + ((size_t)b * T + t) * C;
                for (int k = 0; k < C; k++) x[k] += mk * hv[k];
            }
            for (int k = 0; k < C; k++) x[k] /= cnt > 0 ? cnt : 1;
        }
    }
    float pd = m->cfg.classifier_dropout >= 0 ? m->cfg.classifier_dropout : m->cfg.hidden_dropout;
    c->p_drop = training ? pd : 0.0f;
    dropout_forward(c->xd, c->keep, c->x, (long)rows * C, c->p_drop, rng);
    linear_forward(c->logits, c->xd, p->clsw, p->clsb, rows, C, NL);
    *loss = 0.0f;
    if (NL == 1 && values) {
        /* HF regression: MSELoss(logits.squeeze(), labels) */
        double s = 0;
        for (int r = 0; r < rows; r++) {
            float d = c->logits[r] - values[r];
            s += (double)d * d;
        }
        *loss = (float)(s / rows);
    } else if (labels) {
        for (int r = 0; r < rows; r++)
            if (labels[r] != -100 && (labels[r] < 0 || labels[r] >= NL))
                return bb_err(err, errlen, BB_EINVAL, "label %d of row %d is outside 0..%d", labels[r], r, NL - 1);
        int n = crossentropy_forward(c->losses, c->probs, c->logits, labels, rows, NL);
        double s = 0;
        for (int r = 0; r < rows; r++) s += c->losses[r];
        *loss = n ? (float)(s / n) : 0.0f;
    }
    return BB_OK;
}

int bert_cls_backward(const bert_model *m, bert_params *g, const bert_cls_acts *c, const bert_acts *a, bert_bwd *w,
                      const int32_t *labels, const float *values, float loss_scale) {
    int B = c->B, T = c->T, C = m->cfg.hidden_size, NL = c->NL, rows = c->rows;
    ops_zero(c->dlogits, (long)((size_t)rows * NL));
    if (NL == 1 && values) {
        for (int r = 0; r < rows; r++) c->dlogits[r] = 2.0f * (c->logits[r] - values[r]) * loss_scale / (float)rows;
    } else {
        int n = 0;
        for (int r = 0; r < rows; r++) n += labels[r] != -100;
        if (n == 0) return 0;
        crossentropy_backward(c->dlogits, c->probs, labels, rows, NL, loss_scale / (float)n);
    }
    /* dx first holds the gradient wrt the dropped input, then wrt the input. */
    float *dxd = w->dtmp;
    ops_zero(dxd, (long)((size_t)rows * C));
    ops_zero(c->dx, (long)((size_t)rows * C));
    linear_backward(dxd, g->clsw, g->clsb, c->dlogits, c->xd, m->params.clsw, rows, C, NL);
    dropout_backward(c->dx, dxd, c->keep, (long)rows * C, c->p_drop);
    if (c->kind == BERT_HEAD_TOKCLS) {
        residual_backward(w->dh, NULL, c->dx, (long)rows * C);
        return 0;
    }
    if (c->pool == BERT_POOL_POOLER) {
        residual_backward(w->dpool, NULL, c->dx, (long)B * C);
        return 1;
    }
    for (int b = 0; b < B; b++) {
        const float *dx = c->dx + (size_t)b * C;
        if (c->pool == BERT_POOL_CLS) {
            residual_backward(w->dh + (size_t)b * T * C, NULL, dx, C);
            continue;
        }
        float cnt = 0;
        for (int t = 0; t < T; t++) cnt += a->mask[b * T + t];
        for (int t = 0; t < T; t++) {
            float s = a->mask[b * T + t] / (cnt > 0 ? cnt : 1);
            if (s == 0) continue;
            float *d = w->dh + ((size_t)b * T + t) * C;
            for (int k = 0; k < C; k++) d[k] += s * dx[k];
        }
    }
    return 0;
}
