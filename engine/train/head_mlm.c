/* head_mlm.c — the masked-LM head on the labelled rows only: its forward (transform, activation,
 * LayerNorm, decoder, cross-entropy) and, beside it, its backward (the same calls in reverse). */
#include "heads.h"

#include <stdlib.h>
#include <string.h>

#include "bb_err.h"
#include "ops.h"

void bert_mlm_acts_free(bert_mlm_acts *h) {
    free(h->rows);
    free(h->targets);
    free(h->h);
    free(h->logits);
    memset(h, 0, sizeof *h);
}

static int mlm_reserve(bert_mlm_acts *h, int n, int C, int V, char *err, size_t errlen) {
    if (n <= h->cap) return BB_OK;
    int cap = n + n / 4 + 8;
    bert_mlm_acts nh = {0};
    nh.rows = malloc(sizeof(int32_t) * (size_t)cap);
    nh.targets = malloc(sizeof(int32_t) * (size_t)cap);
    /* h, t, ta, ln, dC(4): 8 (cap, C) blocks, then mean, rstd, losses (cap each) */
    nh.h = malloc(sizeof(float) * ((size_t)cap * C * 8 + (size_t)cap * 3));
    nh.logits = malloc(sizeof(float) * (size_t)cap * V);
    if (!nh.rows || !nh.targets || !nh.h || !nh.logits) {
        bert_mlm_acts_free(&nh);
        return bb_err(err, errlen, BB_ENOMEM, "out of memory for the masked-LM head (%d rows x %d)", cap, V);
    }
    size_t cC = (size_t)cap * C;
    nh.t = nh.h + cC;
    nh.ta = nh.t + cC;
    nh.ln = nh.ta + cC;
    nh.dC = nh.ln + cC;
    nh.mean = nh.dC + 4 * cC;
    nh.rstd = nh.mean + cap;
    nh.losses = nh.rstd + cap;
    nh.cap = cap;
    bert_mlm_acts_free(h);
    *h = nh;
    return BB_OK;
}

int bert_mlm_forward(const bert_model *m, bert_mlm_acts *h, const bert_acts *a, const int32_t *labels, float *loss,
                     int *count, char *err, size_t errlen) {
    if (!m->has_mlm) return bb_err(err, errlen, BB_EINVAL, "%s: the model has no masked-LM head", m->dir[0] ? m->dir : "model");
    const bert_params *p = &m->params;
    int C = m->cfg.hidden_size, V = m->cfg.vocab_size, BT = a->B * a->T, n = 0;
    for (int i = 0; i < BT; i++) {
        if (labels[i] == -100) continue;
        if (labels[i] < 0 || labels[i] >= V)
            return bb_err(err, errlen, BB_EINVAL, "masked-LM label %d at position %d is outside the vocabulary (%d)",
                          labels[i], i % a->T, V);
        n++;
    }
    int rc = mlm_reserve(h, n, C, V, err, errlen);
    if (rc != BB_OK) return rc;
    const float *last = bert_hidden(a, m, m->cfg.num_layers);
    h->n = 0;
    for (int i = 0; i < BT; i++) {
        if (labels[i] == -100) continue;
        h->rows[h->n] = i;
        h->targets[h->n] = labels[i];
        memcpy(h->h + (size_t)h->n * C, last + (size_t)i * C, sizeof(float) * C);
        h->n++;
    }
    if (count) *count = n;
    *loss = 0.0f;
    if (n == 0) return BB_OK;
    linear_forward(h->t, h->h, p->mlmw, p->mlmb, n, C, C);
    act_forward(h->ta, h->t, (long)n * C, m->cfg.act);
    layernorm_forward(h->ln, h->mean, h->rstd, h->ta, p->mlm_lnw, p->mlm_lnb, n, C, m->cfg.layer_norm_eps);
    linear_forward(h->logits, h->ln, m->tied_decoder ? p->wte : p->mlm_dec, p->mlm_bias, n, C, V);
    crossentropy_forward(h->losses, h->logits, h->logits, h->targets, n, V); /* the softmax in place */
    double s = 0;
    for (int i = 0; i < n; i++) s += h->losses[i];
    *loss = (float)(s / n);
    return BB_OK;
}

void bert_mlm_backward(const bert_model *m, bert_params *g, const bert_mlm_acts *h, bert_bwd *w, float loss_scale,
                       int freeze_embeddings) {
    int n = h->n, C = m->cfg.hidden_size, V = m->cfg.vocab_size;
    if (n == 0) return;
    const bert_params *p = &m->params;
    size_t nC = (size_t)n * C;
    /* every activation gradient is stored by a `_set` backward: nothing to clear first */
    float *dlogits = h->logits, *probs = h->logits, *dln = h->dC, *dta = dln + nC, *dt = dta + nC, *dh = dt + nC;
    /* the decoder's bias gradient is summed as the logits' gradient is written */
    crossentropy_backward_set(dlogits, g->mlm_bias, probs, h->targets, n, V, loss_scale / (float)n);
    float *ddec = m->tied_decoder ? (freeze_embeddings ? NULL : g->wte) : g->mlm_dec;
    linear_backward_set(dln, ddec, NULL, dlogits, h->ln, m->tied_decoder ? p->wte : p->mlm_dec, n, C, V);
    layernorm_backward_set(dta, g->mlm_lnw, g->mlm_lnb, dln, h->ta, p->mlm_lnw, h->mean, h->rstd, n, C);
    act_backward_set(dt, g->mlmb, h->t, h->ta, dta, n, C, m->cfg.act); /* and the transform's bias gradient */
    linear_backward_set(dh, g->mlmw, NULL, dt, h->h, p->mlmw, n, C, C);
    for (int i = 0; i < n; i++) residual_backward(w->dh + (size_t)h->rows[i] * C, NULL, dh + (size_t)i * C, C);
}
