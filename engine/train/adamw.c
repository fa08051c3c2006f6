/* AdamW (torch.optim.AdamW semantics), schedules and gradient clipping. */
#include "adamw.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bb_err.h"

adamw_hparams adamw_hparams_default(void) {
    /* transformers.TrainingArguments defaults */
    return (adamw_hparams){.lr = 5e-5f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f, .weight_decay = 0.0f};
}

int adamw_field_decays(int field) {
    switch (field) {
    case BERT_P_WTE: case BERT_P_WPE: case BERT_P_WTT: case BERT_P_QKVW: case BERT_P_ATTPROJW: case BERT_P_FCW:
    case BERT_P_FCPROJW: case BERT_P_POOLW: case BERT_P_MLMW: case BERT_P_MLM_DEC: case BERT_P_NSPW: case BERT_P_CLSW:
        return 1;
    default:
        return 0;
    }
}

int adamw_init(adamw_state *s, const bert_model *m, char *err, size_t errlen) {
    memset(s, 0, sizeof *s);
    s->n = m->num_params;
    memcpy(s->sizes, m->param_sizes, sizeof s->sizes);
    s->m = calloc(s->n ? s->n : 1, sizeof(float));
    s->v = calloc(s->n ? s->n : 1, sizeof(float));
    if (!s->m || !s->v) {
        adamw_free(s);
        return bb_err(err, errlen, BB_ENOMEM, "out of memory for optimizer state (%.1f MB)", (double)m->num_params * 8 / 1e6);
    }
    for (int i = 0; i < BERT_NPARAMS; i++) {
        s->active[i] = s->sizes[i] > 0;
        s->decay[i] = (unsigned char)adamw_field_decays(i);
    }
    return BB_OK;
}

void adamw_free(adamw_state *s) {
    free(s->m);
    free(s->v);
    memset(s, 0, sizeof *s);
}

void adamw_set_active(adamw_state *s, int field, int active) {
    BB_ASSERT(field >= 0 && field < BERT_NPARAMS);
    s->active[field] = (unsigned char)(active && s->sizes[field] > 0);
}

void adamw_set_frozen_prefix(adamw_state *s, int field, size_t n) {
    BB_ASSERT(field >= 0 && field < BERT_NPARAMS && n <= s->sizes[field]);
    s->frozen[field] = n;
}

void adamw_step(adamw_state *s, float *params, const float *grads, float lr, const adamw_hparams *h) {
    s->t++;
    /* Scalars as torch computes them: in double (Python floats), then used in float32 kernels. */
    double bc1 = 1.0 - pow((double)h->beta1, (double)s->t), bc2 = 1.0 - pow((double)h->beta2, (double)s->t);
    float step_size = (float)(-((double)lr / bc1)), bc2_sqrt = (float)sqrt(bc2);
    float w1 = (float)(1.0 - (double)h->beta1), w2 = (float)(1.0 - (double)h->beta2), b2 = h->beta2, eps = h->eps;
    size_t off = 0;
    for (int f = 0; f < BERT_NPARAMS; f++) {
        size_t n = s->sizes[f];
        if (s->active[f]) {
            float *p = params + off, *m = s->m + off, *v = s->v + off;
            const float *g = grads + off;
            float decay = s->decay[f] ? (float)(1.0 - (double)lr * (double)h->weight_decay) : 1.0f;
            for (size_t i = s->frozen[f]; i < n; i++) {
                float gi = g[i];
                p[i] *= decay;
                m[i] = m[i] + w1 * (gi - m[i]); /* lerp with weight < 0.5 */
                v[i] = v[i] * b2 + w2 * gi * gi;
                float denom = sqrtf(v[i]) / bc2_sqrt + eps;
                p[i] = p[i] + step_size * m[i] / denom;
            }
        }
        off += n;
    }
}

float adamw_clip_grad_norm(const adamw_state *s, float *grads, float max_norm) {
    double sq = 0;
    size_t off = 0;
    for (int f = 0; f < BERT_NPARAMS; f++) {
        if (s->active[f])
            for (size_t i = 0; i < s->sizes[f]; i++) sq += (double)grads[off + i] * grads[off + i];
        off += s->sizes[f];
    }
    float norm = (float)sqrt(sq);
    if (max_norm > 0) {
        float coef = max_norm / (norm + 1e-6f);
        if (coef < 1.0f) {
            off = 0;
            for (int f = 0; f < BERT_NPARAMS; f++) {
                if (s->active[f])
                    for (size_t i = 0; i < s->sizes[f]; i++) grads[off + i] *= coef;
                off += s->sizes[f];
            }
        }
    }
    return norm;
}

float train_lr_at(train_sched kind, float base_lr, long step, long warmup, long total) {
    if (step < warmup) return base_lr * (float)((double)step / (double)(warmup > 1 ? warmup : 1));
    double span = (double)(total - warmup > 1 ? total - warmup : 1), progress = (double)(step - warmup) / span;
    switch (kind) {
    case TRAIN_SCHED_LINEAR:
        return base_lr * (float)fmax(0.0, (double)(total - step) / span);
    case TRAIN_SCHED_COSINE:
        return base_lr * (float)fmax(0.0, 0.5 * (1.0 + cos(M_PI * progress)));
    case TRAIN_SCHED_CONSTANT:
        break;
    }
    return base_lr;
}

static const char *const sched_names[] = {"linear", "cosine", "constant"};

int train_sched_parse(const char *name) {
    for (int i = 0; i < 3; i++)
        if (strcmp(name, sched_names[i]) == 0) return i;
    return -1;
}

const char *train_sched_name(train_sched kind) { return sched_names[kind]; }
