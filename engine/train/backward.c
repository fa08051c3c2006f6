/* The encoder backward pass: bert_forward's calls in reverse (the heads' backward sits beside their
 * forward in head_mlm.c and head_cls.c). */
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
    size_t n[] = {BT * C, BT * C, BT * C, BT * C, 3 * BT * C, BT * I, B * C, B * C, (size_t)attention_backward_scratch(T)};
    float **f[] = {&w->dh, &w->dres, &w->datty, &w->dtmp, &w->dqkv, &w->dfch, &w->dpool, &w->dcls, &w->scratch};
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

        /* Each fresh gradient is stored by a `_set` backward (no clearing pass), and the residual
         * branches are added onto the buffer that already holds the skip path's gradient, so no
         * copy either: dres and dh alternate as the residual stream's gradient. */
        /* out = LN2(res2), res2 = ln1 + dropout(fcproj): dres = d res2 */
        float *dres = w->dres, *dh = w->dh;
        layernorm_backward_set(dres, gslot(g->ln2w, lc, want), gslot(g->ln2b, lc, want), dh, res2, p->ln2w + lc,
                               a->ln2_mean + (size_t)l * BT, a->ln2_rstd + (size_t)l * BT, N, C);
        /* A bias gradient is summed by the pass that writes the gradient it sums (dropout's or the
         * activation's backward) when there is one, rather than by linear_backward reading it again. */
        const float *dfcproj = dres;
        float *dfcprojb = gslot(g->fcprojb, lc, want);
        if (pdrop > 0) {
            dropout_backward_set(w->dtmp, dfcprojb, dres, fcproj_keep, N, C, pdrop);
            dfcproj = w->dtmp;
        }
        linear_backward_set(w->dfch, gslot(g->fcprojw, lc * I, want), pdrop > 0 ? NULL : dfcprojb, dfcproj, fch_act,
                            p->fcprojw + lc * I, N, I, C);
        act_backward_set(w->dfch, gslot(g->fcb, (size_t)l * I, want), fch, fch_act, w->dfch, N, I, c->act);
        /* dres += the MLP branch: dres = d ln1 */
        linear_backward(dres, gslot(g->fcw, (size_t)l * I * C, want), NULL, w->dfch, ln1, p->fcw + (size_t)l * I * C,
                        N, C, I);

        /* ln1 = LN1(res1), res1 = x + dropout(attproj): dh = d res1 */
        layernorm_backward_set(dh, gslot(g->ln1w, lc, want), gslot(g->ln1b, lc, want), dres, res1, p->ln1w + lc,
                               a->ln1_mean + (size_t)l * BT, a->ln1_rstd + (size_t)l * BT, N, C);
        const float *dattproj = dh;
        float *dattprojb = gslot(g->attprojb, lc, want);
        if (pdrop > 0) {
            dropout_backward_set(w->dtmp, dattprojb, dh, attproj_keep, N, C, pdrop);
            dattproj = w->dtmp;
        }
        linear_backward_set(w->datty, gslot(g->attprojw, lc * C, want), pdrop > 0 ? NULL : dattprojb, dattproj, atty,
                            p->attprojw + lc * C, N, C, C);
        attention_backward_set(w->dqkv, w->datty, qkv, probs, probs_drop, B, T, C, NH, adrop, w->scratch);
        /* dh += the attention branch: dh = d x, the layer below's output gradient */
        int need_dx = l > stop || !freeze_embeddings;
        linear_backward(need_dx ? dh : NULL, gslot(g->qkvw, (size_t)l * C3 * C, want),
                        gslot(g->qkvb, (size_t)l * C3, want), w->dqkv, x, p->qkvw + (size_t)l * C3 * C, N, C, 3 * C);
    }
    if (freeze_embeddings) return;

    /* hidden[0] = dropout(LN(emb)), emb = wte[ids] + wpe[t] + wtt[type_ids] */
    const float *dln = w->dh;
    if (pdrop > 0) {
        dropout_backward_set(w->dtmp, NULL, w->dh, a->emb_keep, N, C, pdrop);
        dln = w->dtmp;
    }
    layernorm_backward_set(w->dres, g->emb_lnw, g->emb_lnb, dln, a->emb, p->emb_lnw, a->emb_mean, a->emb_rstd, N, C);
    embeddings_backward(g->wte, g->wpe, c->type_vocab_size > 0 ? g->wtt : NULL, w->dres, ids, type_ids, B, T, C,
                        c->position_offset);
}
