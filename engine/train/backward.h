/* backward.h — the BERT encoder backward pass, bert_forward's list of calls in reverse, and its
 * gradient buffers. The training heads (masked-LM, classification, regression) and their losses, each
 * forward beside its backward, are in heads.h.
 *
 * Dimension letters as in bert.h: B batch, T sequence, C hidden, I intermediate, L layers, V vocab,
 * NL labels, n = number of masked (labelled) rows.
 *
 *     bert_acts a;   bert_acts_alloc(&a, m, B, T, 1, ...);        // training = 1 keeps intermediates
 *     bert_bwd w;    bert_bwd_alloc(&w, m, B, T, ...);
 *     bert_mlm_acts h = {0};                                        // the heads are in heads.h
 *     float *grads = calloc(m->num_params, 4); bert_params g; bert_params_point(&g, grads, m->param_sizes);
 *     bert_forward(m, &a, ids, type_ids, mask, B, T, ...);
 *     float loss; bert_mlm_forward(m, &h, &a, labels, &loss, ...);  // loss over rows with label != -100
 *     bert_bwd_zero(&w);
 *     bert_mlm_backward(m, &g, &h, &w);                             // adds into w.dh and the head grads
 *     bert_backward(m, &g, &a, &w, ids, type_ids, NULL, 0, 0);      // encoder and embeddings
 *
 * Every backward ADDS into the gradients (the caller zeroes them once per optimizer step, which is
 * what gradient accumulation needs). The tied decoder's share of the word-embedding gradient goes
 * into g.wte. Frozen parts get no gradient: freeze_embeddings skips the embeddings, freeze_layers
 * skips layers 0..freeze_layers-1 (and the backward stops early when nothing below is trainable).
 */
#ifndef BB_BACKWARD_H
#define BB_BACKWARD_H

#include <stddef.h>
#include <stdint.h>

#include "bert.h"

/* Gradient buffers for one (B, T) shape. */
typedef struct {
    int B, T;
    float *dh;       /* (B, T, C) gradient wrt the current layer's output; heads add the last one here */
    float *dres;     /* (B, T, C) the residual stream's gradient inside a layer */
    float *datty;    /* (B, T, C) */
    float *dtmp;     /* (B, T, C) after a dropout backward */
    float *dqkv;     /* (B, T, 3C) */
    float *dfch;     /* (B, T, I) the MLP's hidden gradient, after and then before the activation */
    float *dpool;    /* (B, C) gradient wrt the pooler output (heads add here) */
    float *dcls;     /* (B, C) */
    float *scratch;  /* attention_backward_scratch(T) */
    size_t cap;      /* bytes of the arena */
} bert_bwd;

int bert_bwd_alloc(bert_bwd *w, const bert_model *m, int B, int T, char *err, size_t errlen);
/* Re-lays an allocated (or zeroed) w for a new shape, reusing its arena when large enough (as
 * bert_acts_resize). On failure w is freed. */
int bert_bwd_resize(bert_bwd *w, const bert_model *m, int B, int T, char *err, size_t errlen);
void bert_bwd_free(bert_bwd *w);
/* Zeroes dh and dpool (call before the heads' backward). */
void bert_bwd_zero(bert_bwd *w, const bert_model *m);

/* Backward through pooler (when use_pool), encoder layers and embeddings, from w->dh (and w->dpool).
 * ids, type_ids (B, T) as given to bert_forward. w->dh is overwritten on the way down. */
void bert_backward(const bert_model *m, bert_params *g, const bert_acts *a, bert_bwd *w, const int32_t *ids,
                   const int32_t *type_ids, int use_pool, int freeze_embeddings, int freeze_layers);

#endif
