/* The backward pass: heads and losses, then bert_forward's calls in reverse. */
#include "backward.h"

#include <stdlib.h>
#include <string.h>

#include "bb_err.h"
#include "ops.h"

static void *arena_take(char **cur, size_t bytes) {
    void *p = *cur;
    *cur += (bytes + 63) & ~(size_t)63;
    return p;
}

int bert_bwd_alloc(bert_bwd *w, const bert_model *m, int B, int T, char *err, size_t errlen) {
    memset(w, 0, sizeof *w);
    return bert_bwd_resize(w, m, B, T, err, errlen);
}

int bert_bwd_resize(bert_bwd *w, const bert_model *m, int B, int T, char *err, size_t errlen) {
    char *arena = (char *)w->dh; /* the arena starts at dh */
    size_t cap = arena ? w->cap : 0;
    memset(w, 0, sizeof *w);
    if (B < 1 || T < 1) {
        free(arena);
        return bb_err(err, errlen, BB_EINVAL, "batch %d x length %d: both must be >= 1", B, T);
    }
    size_t C = (size_t)m->cfg.hidden_size, I = (size_t)m->cfg.intermediate_size, BT = (size_t)B * (size_t)T;
    size_t n[] = {BT * C, BT * C, BT * C, BT * C, BT * C, 3 * BT * C, BT * I, BT * I, B * C, B * C, (size_t)attention_backward_scratch(T)};
    float **f[] = {&w->dh, &w->dres, &w->dln1, &w->datty, &w->dtmp, &w->dqkv, &w->dfch, &w->dfch_act,
                   &w->dpool, &w->dcls, &w->scratch};
    size_t total = 0;
    for (size_t i = 0; i < sizeof n / sizeof *n; i++) total += (n[i] * sizeof(float) + 63) & ~(size_t)63;
    if (total > cap) {
        free(arena);
        arena = aligned_alloc(64, total);
        cap = total;
    }
    char *mem = arena, *cur = mem;
    if (!mem)
        return bb_err(err, errlen, BB_ENOMEM, "out of memory for gradients (%.1f MB for batch %d x length %d)",
                      (double)total / 1e6, B, T);
    for (size_t i = 0; i < sizeof n / sizeof *n; i++) *f[i] = arena_take(&cur, n[i] * sizeof(float));
    w->B = B;
    w->T = T;
    w->cap = cap;
    return BB_OK;
}

void bert_bwd_free(bert_bwd *w) {
    free(w->dh); /* the arena starts at dh */
    memset(w, 0, sizeof *w);
}

void bert_bwd_zero(bert_bwd *w, const bert_model *m) {
    size_t C = (size_t)m->cfg.hidden_size;
    ops_zero(w->dh, (long)((size_t)w->B * w->T * C));
    ops_zero(w->dpool, (long)((size_t)w->B * C));
}

/* g's field, or NULL when the gradient is not wanted; off offsets into a per-layer slice. */
static float *gslot(float *base, size_t off, int want) { return want && base ? base + off : NULL; }

void bert_backward(const bert_model *m, bert_params *g, const bert_acts *a, bert_bwd *w, const int32_t *ids,
                   const int32_t *type_ids, int use_pool, int freeze_embeddings, int freeze_layers) {
    const bert_config *c = &m->cfg;
    const bert_params *p = &m->params;
    int B = a->B, T = a->T, C = c->hidden_size, I = c->intermediate_size, NH = c->num_heads, L = c->num_layers;
    int N = B * T;
    size_t BTC = (size_t)N * C, BTI = (size_t)N * I, BT = (size_t)N, att = (size_t)B * NH * T * T, C3 = (size_t)3 * C;
    float pdrop = a->training ? c->hidden_dropout : 0.0f, adrop = a->training ? c->attn_dropout : 0.0f;
    BB_ASSERT(a->training && a->LS == L && w->B == B && w->T == T);
    if (freeze_layers > L) freeze_layers = L;
    if (freeze_layers < 0) freeze_layers = 0;
    int stop = freeze_embeddings ? freeze_layers : 0; /* lowest layer whose backward is needed */

    if (use_pool && m->has_pooler) {
        /* pool = tanh(cls_in @ poolw^T + poolb); cls_in = hidden[L][:, 0] */
        float *dpre = w->dtmp, *dcls = w->dcls;
        ops_zero(dpre, (long)((size_t)B * C));
        ops_zero(dcls, (long)((size_t)B * C));
        tanh_backward(dpre, a->pool, w->dpool, (long)B * C);
        linear_backward(dcls, g->poolw, g->poolb, dpre, a->cls_in, p->poolw, B, C, C);
        for (int b = 0; b < B; b++) residual_backward(w->dh + (size_t)b * T * C, NULL, dcls + (size_t)b * C, C);
    }

    for (int l = L - 1; l >= stop; l--) {
        int want = l >= freeze_layers;
        const float *x = a->hidden + (size_t)l * BTC;
        const float *qkv = a->qkv + (size_t)l * 3 * BTC, *atty = a->atty + (size_t)l * BTC,
                    *res1 = a->res1 + (size_t)l * BTC, *ln1 = a->ln1 + (size_t)l * BTC, *fch = a->fch + (size_t)l * BTI,
                    *fch_act = a->fch_act + (size_t)l * BTI, *res2 = a->res2 + (size_t)l * BTC;
        const float *probs = a->probs + (size_t)l * att, *probs_drop = a->probs_drop ? a->probs_drop + (size_t)l * att : NULL;
        const uint8_t *attproj_keep = a->attproj_keep + (size_t)l * BTC, *fcproj_keep = a->fcproj_keep + (size_t)l * BTC;
        size_t lc = (size_t)l * C;

        /* out = LN2(res2), res2 = ln1 + dropout(fcproj) */
        float *dres = w->dres;
        ops_zero(dres, (long)BTC);
        layernorm_backward(dres, gslot(g->ln2w, lc, want), gslot(g->ln2b, lc, want), w->dh, res2, p->ln2w + lc,
                           a->ln2_mean + (size_t)l * BT, a->ln2_rstd + (size_t)l * BT, N, C);
        const float *dfcproj = dres;
        if (pdrop > 0) {
            ops_zero(w->dtmp, (long)BTC);
            dropout_backward(w->dtmp, dres, fcproj_keep, (long)BTC, pdrop);
            dfcproj = w->dtmp;
        }
        ops_zero(w->dfch_act, (long)BTI);
        linear_backward(w->dfch_act, gslot(g->fcprojw, lc * I, want), gslot(g->fcprojb, lc, want), dfcproj, fch_act,
                        p->fcprojw + lc * I, N, I, C);
        ops_zero(w->dfch, (long)BTI);
        act_backward(w->dfch, fch, w->dfch_act, (long)BTI, c->act);
        memcpy(w->dln1, dres, sizeof(float) * BTC);
        linear_backward(w->dln1, gslot(g->fcw, (size_t)l * I * C, want), gslot(g->fcb, (size_t)l * I, want), w->dfch,
                        ln1, p->fcw + (size_t)l * I * C, N, C, I);

        /* ln1 = LN1(res1), res1 = x + dropout(attproj) */
        ops_zero(dres, (long)BTC);
        layernorm_backward(dres, gslot(g->ln1w, lc, want), gslot(g->ln1b, lc, want), w->dln1, res1, p->ln1w + lc,
                           a->ln1_mean + (size_t)l * BT, a->ln1_rstd + (size_t)l * BT, N, C);
        const float *dattproj = dres;
        if (pdrop > 0) {
            ops_zero(w->dtmp, (long)BTC);
            dropout_backward(w->dtmp, dres, attproj_keep, (long)BTC, pdrop);
            dattproj = w->dtmp;
        }
        ops_zero(w->datty, (long)BTC);
        linear_backward(w->datty, gslot(g->attprojw, lc * C, want), gslot(g->attprojb, lc, want), dattproj, atty,
                        p->attprojw + lc * C, N, C, C);
        ops_zero(w->dqkv, (long)(3 * BTC));
        attention_backward(w->dqkv, w->datty, qkv, probs, probs_drop, B, T, C, NH, adrop, w->scratch);
        int need_dx = l > stop || !freeze_embeddings;
        if (need_dx) memcpy(w->dh, dres, sizeof(float) * BTC); /* the residual branch */
        linear_backward(need_dx ? w->dh : NULL, gslot(g->qkvw, (size_t)l * C3 * C, want),
                        gslot(g->qkvb, (size_t)l * C3, want), w->dqkv, x, p->qkvw + (size_t)l * C3 * C, N, C, 3 * C);
    }
    if (freeze_embeddings) return;

    /* hidden[0] = dropout(LN(emb)), emb = wte[ids] + wpe[t] + wtt[type_ids] */
    const float *dln = w->dh;
    if (pdrop > 0) {
        ops_zero(w->dtmp, (long)BTC);
        dropout_backward(w->dtmp, w->dh, a->emb_keep, (long)BTC, pdrop);
        dln = w->dtmp;
    }
    ops_zero(w->dres, (long)BTC);
    layernorm_backward(w->dres, g->emb_lnw, g->emb_lnb, dln, a->emb, p->emb_lnw, a->emb_mean, a->emb_rstd, N, C);
    embeddings_backward(g->wte, g->wpe, c->type_vocab_size > 0 ? g->wtt : NULL, w->dres, ids, type_ids, B, T, C,
                        c->position_offset);
}

/* ---- masked-LM head ---------------------------------------------------------------------------- */

void bert_mlm_acts_free(bert_mlm_acts *h) {
    free(h->rows);
    free(h->targets);
    free(h->h);
    free(h->logits);
    free(h->probs);
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
    nh.probs = malloc(sizeof(float) * (size_t)cap * V);
    if (!nh.rows || !nh.targets || !nh.h || !nh.logits || !nh.probs) {
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
    crossentropy_forward(h->losses, h->probs, h->logits, h->targets, n, V);
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
    float *dlogits = h->logits, *dln = h->dC, *dta = dln + nC, *dt = dta + nC, *dh = dt + nC;
    ops_zero(dlogits, (long)((size_t)n * V));
    ops_zero(h->dC, (long)(4 * nC));
    crossentropy_backward(dlogits, h->probs, h->targets, n, V, loss_scale / (float)n);
    float *ddec = m->tied_decoder ? (freeze_embeddings ? NULL : g->wte) : g->mlm_dec;
    linear_backward(dln, ddec, g->mlm_bias, dlogits, h->ln, m->tied_decoder ? p->wte : p->mlm_dec, n, C, V);
    layernorm_backward(dta, g->mlm_lnw, g->mlm_lnb, dln, h->ta, p->mlm_lnw, h->mean, h->rstd, n, C);
    act_backward(dt, h->t, dta, (long)n * C, m->cfg.act);
    linear_backward(dh, g->mlmw, g->mlmb, dt, h->h, p->mlmw, n, C, C);
    for (int i = 0; i < n; i++) residual_backward(w->dh + (size_t)h->rows[i] * C, NULL, dh + (size_t)i * C, C);
}

/* ---- classification / regression heads --------------------------------------------------------- */

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
