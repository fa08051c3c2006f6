/* adamw.h — the optimizer side of training: AdamW with Hugging Face Trainer's parameter grouping,
 * learning-rate schedules with linear warmup, and gradient clipping by global norm.
 *
 *     adamw_state opt;
 *     adamw_init(&opt, m, err, sizeof err);         // m, v zeroed; groups from the model's fields
 *     adamw_set_active(&opt, BERT_P_NSPW, 0);        // a field outside the task's graph stays as is
 *     adamw_hparams h = adamw_hparams_default();     // lr 5e-5, betas 0.9/0.999, eps 1e-8, wd 0
 *     float coef, norm = adamw_clip_coef(&opt, grads, 1.0f, &coef);   // clipping folded into the step
 *     adamw_step_scaled(&opt, m->params_memory, grads, coef,
 *                       train_lr_at(TRAIN_SCHED_LINEAR, h.lr, step, warmup, total), &h);
 *
 * The update is torch.optim.AdamW's, operation for operation in float32 (decoupled decay first,
 * then m = lerp(m, g, 1-b1), v = b2 v + (1-b2) g^2, p -= lr/bc1 * m / (sqrt(v)/sqrt(bc2) + eps)),
 * so one step matches PyTorch to rounding. Biases and LayerNorm weights get no weight decay.
 * m and v have the model's flat parameter layout (bert_params_point works on them).
 */
#ifndef BB_ADAMW_H
#define BB_ADAMW_H

#include <stddef.h>

#include "bert.h"

typedef struct {
    float lr, beta1, beta2, eps, weight_decay;
} adamw_hparams;

typedef struct {
    size_t n;                     /* parameters (the model's num_params) */
    size_t sizes[BERT_NPARAMS];   /* the model's param_sizes */
    float *m, *v;                 /* (n) first and second moments */
    long t;                       /* optimizer steps taken */
    unsigned char active[BERT_NPARAMS]; /* 0: frozen or outside the task (not updated, no decay) */
    unsigned char decay[BERT_NPARAMS];  /* 1: weight decay applies (weights; not biases/LayerNorm) */
    size_t frozen[BERT_NPARAMS];        /* leading elements of a field left alone (frozen layers) */
} adamw_state;

adamw_hparams adamw_hparams_default(void);
int adamw_init(adamw_state *s, const bert_model *m, char *err, size_t errlen);
void adamw_free(adamw_state *s);
void adamw_set_active(adamw_state *s, int field, int active);
/* Leaves the first n elements of a field alone (per-layer fields hold layer 0 first, so freezing
 * layers 0..k-1 is a prefix of k/L of the field). */
void adamw_set_frozen_prefix(adamw_state *s, int field, size_t n);
/* Whether HF's grouping decays a field (its name ends in "weight" and it is not a LayerNorm). */
int adamw_field_decays(int field);

/* One update of every active field at learning rate lr. */
void adamw_step(adamw_state *s, float *params, const float *grads, float lr, const adamw_hparams *h);
/* The same update with each gradient multiplied by grad_scale first (grads stay as they are):
 * adamw_clip_coef then this equals adamw_clip_grad_norm then adamw_step bit for bit, without the
 * clipping's read-and-write pass over the gradients (2 x 440 MB per bert-base step). */
void adamw_step_scaled(adamw_state *s, float *params, const float *grads, float grad_scale, float lr,
                       const adamw_hparams *h);

/* torch.nn.utils.clip_grad_norm_ over the active fields: returns the global L2 norm before clipping
 * and scales the gradients by min(1, max_norm / (norm + 1e-6)) when max_norm > 0. */
float adamw_clip_grad_norm(const adamw_state *s, float *grads, float max_norm);
/* The norm as adamw_clip_grad_norm returns it, and in *coef the factor it would scale the gradients
 * by (1 when it would not), leaving them as they are. */
float adamw_clip_coef(const adamw_state *s, const float *grads, float max_norm, float *coef);

typedef enum { TRAIN_SCHED_LINEAR, TRAIN_SCHED_COSINE, TRAIN_SCHED_CONSTANT } train_sched;

/* The learning rate for optimizer step `step` (0-based, as HF's LambdaLR sees it): linear warmup over
 * `warmup` steps, then linear decay to 0 at `total`, half-cosine decay, or constant. */
float train_lr_at(train_sched kind, float base_lr, long step, long warmup, long total);
/* "linear", "cosine", "constant" -> kind; -1 when unknown. */
int train_sched_parse(const char *name);
const char *train_sched_name(train_sched kind);

#endif
