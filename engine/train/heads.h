/* heads.h — the training heads on top of the encoder, each a forward with its loss and the matching
 * backward: the masked-LM head on the labelled rows only (head_mlm.c) and the sequence / token
 * classification and regression heads (head_cls.c). A head's backward adds into the head's
 * gradients and into the encoder's gradient buffers (bert_bwd, backward.h); see backward.h for a
 * whole training step.
 */
#ifndef BB_HEADS_H
#define BB_HEADS_H

#include <stddef.h>
#include <stdint.h>

#include "backward.h"
#include "bert.h"

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
    float *logits;    /* (n, V) logits, replaced by their softmax in the forward and by its gradient in the
                       * backward: one (n, V) block passed over in place */
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
