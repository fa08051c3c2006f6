/* backward.h — the BERT backward pass: the training heads (masked-LM on the masked rows only,
 * sequence / token classification, regression) with their losses, and the encoder backward, which is
 * bert_forward's list of calls in reverse.
 *
 * Dimension letters as in bert.h: B batch, T sequence, C hidden, I intermediate, L layers, V vocab,
 * NL labels, n = number of masked (labelled) rows.
 *
 *     bert_acts a;   bert_acts_alloc(&a, m, B, T, 1, ...);        // training = 1 keeps intermediates
 *     bert_bwd w;    bert_bwd_alloc(&w, m, B, T, ...);
 *     bert_mlm_acts h = {0};
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
    float *dres;     /* (B, T, C) */
    float *dln1;     /* (B, T, C) */
    float *datty;    /* (B, T, C) */
    float *dtmp;     /* (B, T, C) after a dropout backward */
    float *dqkv;     /* (B, T, 3C) */
    float *dfch;     /* (B, T, I) */
    float *dfch_act; /* (B, T, I) */
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

/* ---- masked-LM head on the labelled rows only ------------------------------------------------- */

/* Activations of the MLM head; buffers grow with the number of masked rows. Zero-initialise. */
typedef struct {
    int n, cap;
    int32_t *rows;    /* (n) b*T + t of each labelled position */
    int32_t *targets; /* (n) */
    float *h;         /* (n, C) gathered last hidden states */
    float *t;         /* (n, C) transform dense output (before the activation) */
    float *ta;        /* (n, C) after the activation */
    float *ln;        /* (n, C) after the LayerNorm */
    float *mean, *rstd; /* (n) */
    float *logits;    /* (n, V) logits; reused for their gradient in backward */
    float *probs;     /* (n, V) softmax */
    float *losses;    /* (n) */
    float *dC;        /* (3, n, C) gradient buffers: dln, dta/dt, dh */
} bert_mlm_acts;

/* labels (B, T): target id or -100. Writes the mean loss over labelled rows into *loss (0 when none)
 * and the number of labelled rows into *count (may be NULL). */
int bert_mlm_forward(const bert_model *m, bert_mlm_acts *h, const bert_acts *a, const int32_t *labels, float *loss,
                     int *count, char *err, size_t errlen);
/* Adds the head's gradients (scaled by loss_scale / n, i.e. the mean loss times loss_scale) into g
 * and the hidden-state gradient rows into w->dh. freeze_embeddings keeps a tied decoder out of g.wte. */
void bert_mlm_backward(const bert_model *m, bert_params *g, const bert_mlm_acts *h, bert_bwd *w, float loss_scale,
                       int freeze_embeddings);
void bert_mlm_acts_free(bert_mlm_acts *h);

/* ---- classification / regression heads -------------------------------------------------------- */

typedef enum {
    BERT_POOL_POOLER, /* HF default: tanh(dense(h[CLS])) */
    BERT_POOL_CLS,    /* h[CLS] itself */
    BERT_POOL_MEAN,   /* mean of the real tokens' last hidden states */
} bert_pool_kind;

typedef struct {
    int B, T, rows, NL;   /* rows: B (seqcls) or B*T (tokcls) */
    bert_head kind;
    bert_pool_kind pool;
    float p_drop;         /* classifier dropout (0 in eval) */
    float *x;             /* (rows, C) classifier input before dropout (pool or CLS or mean or hidden) */
    float *xd;            /* (rows, C) after dropout */
    uint8_t *keep;        /* (rows, C) */
    float *logits;        /* (rows, NL) */
    float *probs;         /* (rows, NL) */
    float *losses;        /* (rows) */
    float *dlogits;       /* (rows, NL) */
    float *dx;            /* (rows, C) */
    size_t cap;           /* floats allocated at x (and bytes at keep) */
} bert_cls_acts;

int bert_cls_alloc(bert_cls_acts *c, const bert_model *m, int B, int T, bert_pool_kind pool, char *err,
                   size_t errlen);
/* Re-lays an allocated (or zeroed) c for a new shape, reusing its buffers when large enough.
 * On failure c is freed. */
int bert_cls_resize(bert_cls_acts *c, const bert_model *m, int B, int T, bert_pool_kind pool, char *err,
                    size_t errlen);
void bert_cls_free(bert_cls_acts *c);
/* Classifier forward on the last bert_forward. labels: seqcls (B) class ids, tokcls (B, T) ids or -100;
 * values (B) regression targets when NL == 1 (labels unused). training enables classifier dropout
 * drawn from rng. labels and values may both be NULL (logits only; *loss = 0). */
int bert_cls_forward(const bert_model *m, bert_cls_acts *c, const bert_acts *a, const int32_t *labels,
                     const float *values, int training, bb_rng *rng, float *loss, char *err, size_t errlen);
/* Adds the classifier gradients (mean loss times loss_scale) into g and the input gradient into
 * w->dpool (pooler) or w->dh (CLS, mean, tokcls). Returns whether bert_backward must use the pooler. */
int bert_cls_backward(const bert_model *m, bert_params *g, const bert_cls_acts *c, const bert_acts *a, bert_bwd *w,
                      const int32_t *labels, const float *values, float loss_scale);

#endif
