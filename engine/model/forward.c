/* The forward pass: embeddings, post-LayerNorm encoder layers, pooler and heads (HF's BertModel). */
#include <stdlib.h>
#include <string.h>

#include "bb_err.h"
#include "bert.h"
#include "ops.h"

static void *arena_take(char **cur, size_t bytes) {
    void *p = *cur;
    *cur += (bytes + 63) & ~(size_t)63;
    return p;
}

void bert_acts_free(bert_acts *a) {
    free(a->mask); /* the arena starts at mask */
    memset(a, 0, sizeof *a);
}

int bert_acts_alloc(bert_acts *a, const bert_model *m, int B, int T, int training, char *err, size_t errlen) {
    memset(a, 0, sizeof *a);
    return bert_acts_resize(a, m, B, T, training, err, errlen);
}

int bert_acts_resize(bert_acts *a, const bert_model *m, int B, int T, int training, char *err, size_t errlen) {
    char *arena = (char *)a->mask; /* the arena starts at mask */
    size_t cap = arena ? a->cap : 0;
    bb_rng rng = a->rng;
    memset(a, 0, sizeof *a);
    a->rng = rng;
    if (B < 1 || T < 1) {
        free(arena);
        return bb_err(err, errlen, BB_EINVAL, "batch %d x length %d: both must be >= 1", B, T);
    }
    const bert_config *c = &m->cfg;
    size_t L = (size_t)c->num_layers, C = (size_t)c->hidden_size, I = (size_t)c->intermediate_size,
           NH = (size_t)c->num_heads, BT = (size_t)B * (size_t)T, TT = (size_t)T * (size_t)T;
    size_t LS = training ? L : 1;
    int drop = training && c->attn_dropout > 0;
    struct {
        size_t n, elem;
    } parts[] = {
        {BT, 4},           {BT * C, 4},          {BT, 4},         {BT, 4},          {training ? BT * C : 0, 1},
        {(L + 1) * BT * C, 4}, {L * NH * B * TT, 4}, {drop ? L * NH * B * TT : 0, 4},
        {LS * BT * 3 * C, 4},  {LS * BT * C, 4},      {LS * BT * C, 4}, {training ? LS * BT * C : 0, 1},
        {LS * BT * C, 4},  {LS * BT * C, 4},      {LS * BT, 4},    {LS * BT, 4},     {LS * BT * I, 4},
        {LS * BT * I, 4},  {LS * BT * C, 4},      {training ? LS * BT * C : 0, 1}, {LS * BT * C, 4},
        {L * BT, 4},       {L * BT, 4},           {(size_t)B * C, 4}, {(size_t)B * C, 4},
    };
    size_t total = 0;
    for (size_t i = 0; i < sizeof parts / sizeof *parts; i++) {
        if (parts[i].n > (SIZE_MAX / 2) / parts[i].elem) {
            free(arena);
            return bb_err(err, errlen, BB_ENOMEM, "activations too large");
        }
        total += (parts[i].n * parts[i].elem + 63) & ~(size_t)63;
    }
    if (total > cap) {
        free(arena);
        arena = aligned_alloc(64, total);
        cap = total;
    }
    char *mem = arena, *cur = mem;
    if (!mem)
        return bb_err(err, errlen, BB_ENOMEM, "out of memory for activations (%.1f MB for batch %d x length %d)",
                      (double)total / 1e6, B, T);
    void **fields[] = {
        (void **)&a->mask,     (void **)&a->emb,      (void **)&a->emb_mean,     (void **)&a->emb_rstd,
        (void **)&a->emb_keep, (void **)&a->hidden,   (void **)&a->probs,        (void **)&a->probs_drop,
        (void **)&a->qkv,      (void **)&a->atty,     (void **)&a->attproj,      (void **)&a->attproj_keep,
        (void **)&a->res1,     (void **)&a->ln1,      (void **)&a->ln1_mean,     (void **)&a->ln1_rstd,
        (void **)&a->fch,      (void **)&a->fch_act,  (void **)&a->fcproj,       (void **)&a->fcproj_keep,
        (void **)&a->res2,     (void **)&a->ln2_mean, (void **)&a->ln2_rstd,     (void **)&a->cls_in,
        (void **)&a->pool,
    };
    for (size_t i = 0; i < sizeof parts / sizeof *parts; i++) {
        void *p = arena_take(&cur, parts[i].n * parts[i].elem);
        *fields[i] = parts[i].n ? p : NULL;
    }
    a->B = B;
    a->T = T;
    a->LS = (int)LS;
    a->training = training;
    a->bytes = total;
    a->cap = cap;
    return BB_OK;
}

static int check_inputs(const bert_model *m, const bert_acts *a, const int32_t *ids, const int32_t *type_ids, int B,
                        int T, char *err, size_t errlen) {
    const bert_config *c = &m->cfg;
    if (B != a->B || T != a->T)
        return bb_err(err, errlen, BB_EINVAL, "activations were allocated for %d x %d, not %d x %d", a->B, a->T, B, T);
    if (T + c->position_offset > c->max_position)
        return bb_err(err, errlen, BB_EINVAL, "sequence of %d tokens is longer than the model's %d positions", T,
                      c->max_position - c->position_offset);
    for (long i = 0; i < (long)B * T; i++) {
        if (ids[i] < 0 || ids[i] >= c->vocab_size)
            return bb_err(err, errlen, BB_EINVAL, "token id %d at position %ld is outside the vocabulary (%d)", ids[i],
                          i % T, c->vocab_size);
        if (type_ids && (type_ids[i] < 0 || type_ids[i] >= c->type_vocab_size))
            return bb_err(err, errlen, BB_EINVAL, "token type %d at position %ld is outside 0..%d", type_ids[i], i % T,
                          c->type_vocab_size - 1);
    }
    return BB_OK;
}

int bert_forward(const bert_model *m, bert_acts *a, const int32_t *ids, const int32_t *type_ids, const float *mask,
                 int B, int T, char *err, size_t errlen) {
    int rc = check_inputs(m, a, ids, type_ids, B, T, err, errlen);
    if (rc != BB_OK) return rc;
    const bert_config *c = &m->cfg;
    const bert_params *p = &m->params;
    int C = c->hidden_size, I = c->intermediate_size, NH = c->num_heads, L = c->num_layers, N = B * T;
    size_t BTC = (size_t)N * C, BTI = (size_t)N * I, BT = (size_t)N, att = (size_t)B * NH * T * T;
    float pdrop = a->training ? c->hidden_dropout : 0.0f, adrop = a->training ? c->attn_dropout : 0.0f;
    for (size_t i = 0; i < BT; i++) a->mask[i] = mask ? mask[i] : 1.0f;

    embeddings_forward(a->emb, ids, type_ids, p->wte, p->wpe, p->wtt, B, T, C, c->position_offset);
    layernorm_forward(a->hidden, a->emb_mean, a->emb_rstd, a->emb, p->emb_lnw, p->emb_lnb, N, C, c->layer_norm_eps);
    if (pdrop > 0) dropout_forward(a->hidden, a->emb_keep, a->hidden, (long)BTC, pdrop, &a->rng);

    for (int l = 0; l < L; l++) {
        size_t s = a->LS > 1 ? (size_t)l : 0; /* per-layer slot of the intermediates */
        const float *x = a->hidden + (size_t)l * BTC;
        float *qkv = a->qkv + s * 3 * BTC, *atty = a->atty + s * BTC, *attproj = a->attproj + s * BTC,
              *res1 = a->res1 + s * BTC, *ln1 = a->ln1 + s * BTC, *fch = a->fch + s * BTI,
              *fch_act = a->fch_act + s * BTI, *fcproj = a->fcproj + s * BTC, *res2 = a->res2 + s * BTC;
        float *ln1_mean = a->ln1_mean + s * BT, *ln1_rstd = a->ln1_rstd + s * BT;
        float *probs = a->probs + (size_t)l * att, *probs_drop = a->probs_drop ? a->probs_drop + (size_t)l * att : NULL;
        float *out = a->hidden + (size_t)(l + 1) * BTC;
        bert_layer w;
        bert_layer_weights(m, l, &w);

        bert_qkv_forward(m, l, qkv, x, N);
        attention_forward(atty, probs, probs_drop, qkv, a->mask, B, T, C, NH, adrop, &a->rng);
        linear_forward(attproj, atty, w.attprojw, w.attprojb, N, C, C);
        if (pdrop > 0) dropout_forward(attproj, a->attproj_keep + s * BTC, attproj, (long)BTC, pdrop, &a->rng);
        residual_layernorm_forward(res1, ln1, ln1_mean, ln1_rstd, x, attproj, w.ln1w, w.ln1b, N, C, c->layer_norm_eps);
        linear_forward(fch, ln1, w.fcw, w.fcb, N, C, I);
        act_forward(fch_act, fch, (long)BTI, c->act);
        linear_forward(fcproj, fch_act, w.fcprojw, w.fcprojb, N, I, C);
        if (pdrop > 0) dropout_forward(fcproj, a->fcproj_keep + s * BTC, fcproj, (long)BTC, pdrop, &a->rng);
        residual_layernorm_forward(res2, out, a->ln2_mean + (size_t)l * BT, a->ln2_rstd + (size_t)l * BT, ln1, fcproj,
                                   w.ln2w, w.ln2b, N, C, c->layer_norm_eps);
    }
    if (m->has_pooler) {
        const float *last = a->hidden + (size_t)L * BTC;
        for (int b = 0; b < B; b++) memcpy(a->cls_in + (size_t)b * C, last + (size_t)b * T * C, sizeof(float) * C);
        linear_forward(a->pool, a->cls_in, p->poolw, p->poolb, B, C, C);
        tanh_forward(a->pool, a->pool, (long)B * C);
    }
    return BB_OK;
}

void bert_qkv_forward(const bert_model *m, int l, float *qkv, const float *x, int N) {
    size_t C = (size_t)m->cfg.hidden_size;
    bert_layer w;
    bert_layer_weights(m, l, &w);
    int fused = w.qkvw[1] == w.qkvw[0] + C * C && w.qkvw[2] == w.qkvw[1] + C * C && w.qkvb[1] == w.qkvb[0] + C &&
                w.qkvb[2] == w.qkvb[1] + C;
    if (fused) {
        linear_forward(qkv, x, w.qkvw[0], w.qkvb[0], N, (int)C, 3 * (int)C);
        return;
    }
    const float *ws[3] = {w.qkvw[0], w.qkvw[1], w.qkvw[2]}, *bs[3] = {w.qkvb[0], w.qkvb[1], w.qkvb[2]};
    linear_forward_parts(qkv, x, ws, bs, 3, N, (int)C, (int)C);
}

size_t bert_mlm_work_size(const bert_model *m, int n) { return (size_t)n * (2 * (size_t)m->cfg.hidden_size + 2); }

int bert_mlm_logits(const bert_model *m, float *logits, const float *h, int n, float *work, char *err, size_t errlen) {
    if (!m->has_mlm) return bb_err(err, errlen, BB_EINVAL, "%s: the model has no masked-LM head", m->dir[0] ? m->dir : "model");
    const bert_params *p = &m->params;
    int C = m->cfg.hidden_size, V = m->cfg.vocab_size;
    float *t = work, *ln = work + (size_t)n * C, *mean = ln + (size_t)n * C, *rstd = mean + n;
    linear_forward(t, h, p->mlmw, p->mlmb, n, C, C);
    act_forward(t, t, (long)n * C, m->cfg.act);
    layernorm_forward(ln, mean, rstd, t, p->mlm_lnw, p->mlm_lnb, n, C, m->cfg.layer_norm_eps);
    linear_forward(logits, ln, m->tied_decoder ? p->wte : p->mlm_dec, p->mlm_bias, n, C, V);
    return BB_OK;
}

int bert_nsp_logits(const bert_model *m, const bert_acts *a, float *logits, char *err, size_t errlen) {
    if (!m->has_nsp || !m->has_pooler)
        return bb_err(err, errlen, BB_EINVAL, "%s: the model has no next-sentence head", m->dir[0] ? m->dir : "model");
    linear_forward(logits, a->pool, m->params.nspw, m->params.nspb, a->B, m->cfg.hidden_size, 2);
    return BB_OK;
}

int bert_classifier_logits(const bert_model *m, const bert_acts *a, float *logits, char *err, size_t errlen) {
    int C = m->cfg.hidden_size, NL = m->cfg.num_labels;
    if (m->head == BERT_HEAD_SEQCLS)
        linear_forward(logits, a->pool, m->params.clsw, m->params.clsb, a->B, C, NL);
    else if (m->head == BERT_HEAD_TOKCLS)
        linear_forward(logits, bert_hidden(a, m, m->cfg.num_layers), m->params.clsw, m->params.clsb, a->B * a->T, C, NL);
    else
        return bb_err(err, errlen, BB_EINVAL, "%s: the model has no classifier head", m->dir[0] ? m->dir : "model");
    return BB_OK;
}
