/* AdamW (torch.optim.AdamW semantics), schedules and gradient clipping. */
#include "adamw.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bb_err.h"
#include "ops.h"

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

/* One AdamW step or clipping pass over the flat parameters, in shares for the engine's pool. */
typedef struct {
    const adamw_state *s;
    float *params, *grads; /* params NULL for the clipping passes */
    const float *cgrads;
    float step_size, bc2_sqrt, w1, w2, b2, eps, decay, coef; /* coef: clipping's gradient scale */
    double *partial; /* (CLIP_BLOCKS) sums of squares, one per block */
    long block;
} adamw_ctx;

/* Calls fn(k, field, lo, hi, acc) for each active field's part lo..hi-1 of the flat range
 * begin..end-1 (skip_frozen: past the field's frozen prefix). */
typedef void (*field_fn)(const adamw_ctx *k, int f, size_t lo, size_t hi, double *acc);

static void for_active_fields(const adamw_ctx *k, size_t begin, size_t end, int skip_frozen, field_fn fn,
                              double *acc) {
    size_t off = 0;
    for (int f = 0; f < BERT_NPARAMS && off < end; f++) {
        size_t n = k->s->sizes[f], lo = off + (skip_frozen ? k->s->frozen[f] : 0), hi = off + n;
        if (lo < begin) lo = begin;
        if (hi > end) hi = end;
        if (k->s->active[f] && lo < hi) fn(k, f, lo, hi, acc);
        off += n;
    }
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

static int adamw_avx(void) {
    static int cached = -1; /* the answer never changes, so a racy first write is harmless */
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx");
    }
    return cached;
}

/* adamw_update's loop eight floats at a time: the same IEEE operations in the same order (no FMA:
 * each product and sum rounds as the scalar loop's does), so the same bits. The scalar build of
 * the loop (baseline x86-64, two divisions and a square root per parameter, one at a time) took
 * about 6 ns a parameter, 4.5% of an L4/H256 step on one thread and more at bert-base's 110M
 * parameters. Returns the first index it left to the scalar loop. */
__attribute__((target("avx"))) static size_t adamw_update_avx(const adamw_ctx *k, float decay, size_t lo, size_t hi) {
    float *p = k->params, *m = k->s->m, *v = k->s->v;
    const float *g = k->cgrads;
    __m256 vdecay = _mm256_set1_ps(decay), w1 = _mm256_set1_ps(k->w1), w2 = _mm256_set1_ps(k->w2),
           b2 = _mm256_set1_ps(k->b2), eps = _mm256_set1_ps(k->eps), step = _mm256_set1_ps(k->step_size),
           bc2 = _mm256_set1_ps(k->bc2_sqrt), coef = _mm256_set1_ps(k->coef);
    size_t i = lo;
    for (; i + 8 <= hi; i += 8) {
        __m256 gi = _mm256_mul_ps(_mm256_loadu_ps(g + i), coef);
        __m256 pi = _mm256_mul_ps(_mm256_loadu_ps(p + i), vdecay);
        __m256 mi = _mm256_loadu_ps(m + i), vi = _mm256_loadu_ps(v + i);
        mi = _mm256_add_ps(mi, _mm256_mul_ps(w1, _mm256_sub_ps(gi, mi)));
        vi = _mm256_add_ps(_mm256_mul_ps(vi, b2), _mm256_mul_ps(_mm256_mul_ps(w2, gi), gi));
        __m256 denom = _mm256_add_ps(_mm256_div_ps(_mm256_sqrt_ps(vi), bc2), eps);
        pi = _mm256_add_ps(pi, _mm256_div_ps(_mm256_mul_ps(step, mi), denom));
        _mm256_storeu_ps(m + i, mi);
        _mm256_storeu_ps(v + i, vi);
        _mm256_storeu_ps(p + i, pi);
    }
    return i;
}
#else
static int adamw_avx(void) { return 0; }
static size_t adamw_update_avx(const adamw_ctx *k, float decay, size_t lo, size_t hi) { return lo; }
#endif

static void adamw_update(const adamw_ctx *k, int f, size_t lo, size_t hi, double *acc) {
    float *p = k->params, *m = k->s->m, *v = k->s->v;
    const float *g = k->cgrads;
    float decay = k->s->decay[f] ? k->decay : 1.0f, w1 = k->w1, w2 = k->w2, b2 = k->b2, eps = k->eps;
    float step_size = k->step_size, bc2_sqrt = k->bc2_sqrt, coef = k->coef;
    if (adamw_avx()) lo = adamw_update_avx(k, decay, lo, hi);
    for (size_t i = lo; i < hi; i++) {
        float gi = g[i] * coef; /* the clipped gradient, as clip_grad_norm_ would have stored it */
        p[i] *= decay;
        m[i] = m[i] + w1 * (gi - m[i]); /* lerp with weight < 0.5 */
        v[i] = v[i] * b2 + w2 * gi * gi;
        float denom = sqrtf(v[i]) / bc2_sqrt + eps;
        p[i] = p[i] + step_size * m[i] / denom;
    }
}

static void adamw_share(void *vc, long begin, long end, int worker) {
    const adamw_ctx *k = vc;
    for_active_fields(k, (size_t)begin, (size_t)end, 1, adamw_update, NULL);
}

void adamw_step_scaled(adamw_state *s, float *params, const float *grads, float grad_scale, float lr,
                       const adamw_hparams *h) {
    s->t++;
    /* Scalars as torch computes them: in double (Python floats), then used in float32 kernels. */
    double bc1 = 1.0 - pow((double)h->beta1, (double)s->t), bc2 = 1.0 - pow((double)h->beta2, (double)s->t);
    adamw_ctx k = {.s = s, .params = params, .cgrads = grads};
    k.step_size = (float)(-((double)lr / bc1));
    k.bc2_sqrt = (float)sqrt(bc2);
    k.w1 = (float)(1.0 - (double)h->beta1);
    k.w2 = (float)(1.0 - (double)h->beta2);
    k.b2 = h->beta2;
    k.eps = h->eps;
    k.decay = (float)(1.0 - (double)lr * (double)h->weight_decay);
    k.coef = grad_scale;
    bb_pool_for(ops_pool(), (long)s->n, 4 * 16384, adamw_share, &k);
}

void adamw_step(adamw_state *s, float *params, const float *grads, float lr, const adamw_hparams *h) {
    adamw_step_scaled(s, params, grads, 1.0f, lr, h);
}

/* The squared norm is summed in CLIP_BLOCKS fixed blocks of the flat index, each in four lanes by
 * index mod 4 (four independent chains of double adds: one chain ran at the add's latency, ~1% of
 * an L4/H256 step), then the lanes and the blocks in order: the same sum whatever the thread count.
 * Each square of a float is exact in double, so only the order of the sums rounds. */
#define CLIP_BLOCKS 256

static void sum_squares(const adamw_ctx *k, int f, size_t lo, size_t hi, double *lanes) {
    const float *g = k->cgrads;
    size_t i = lo;
    for (; i < hi && (i & 3); i++) lanes[i & 3] += (double)g[i] * g[i];
    double a0 = lanes[0], a1 = lanes[1], a2 = lanes[2], a3 = lanes[3];
    for (; i + 4 <= hi; i += 4) {
        a0 += (double)g[i] * g[i];
        a1 += (double)g[i + 1] * g[i + 1];
        a2 += (double)g[i + 2] * g[i + 2];
        a3 += (double)g[i + 3] * g[i + 3];
    }
    lanes[0] = a0, lanes[1] = a1, lanes[2] = a2, lanes[3] = a3;
    for (; i < hi; i++) lanes[i & 3] += (double)g[i] * g[i];
}

static void clip_sum_share(void *vc, long begin, long end, int worker) {
    const adamw_ctx *k = vc;
    for (long b = begin; b < end; b++) {
        double lanes[4] = {0, 0, 0, 0};
        for_active_fields(k, (size_t)(b * k->block), (size_t)((b + 1) * k->block), 0, sum_squares, lanes);
        k->partial[b] = (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
    }
}

static void scale(const adamw_ctx *k, int f, size_t lo, size_t hi, double *acc) {
    float coef = k->coef, *g = k->grads;
    for (size_t i = lo; i < hi; i++) g[i] *= coef;
}

static void clip_scale_share(void *vc, long begin, long end, int worker) {
    for_active_fields(vc, (size_t)begin, (size_t)end, 0, scale, NULL);
}

float adamw_clip_coef(const adamw_state *s, const float *grads, float max_norm, float *coef) {
    double partial[CLIP_BLOCKS] = {0};
    adamw_ctx k = {.s = s, .cgrads = grads, .partial = partial};
    k.block = (long)((s->n + CLIP_BLOCKS - 1) / CLIP_BLOCKS);
    if (k.block < 1) k.block = 1;
    long blocks = (long)((s->n + (size_t)k.block - 1) / (size_t)k.block);
    bb_pool_for(ops_pool(), blocks, 4 * 16384 / k.block + 1, clip_sum_share, &k);
    double sq = 0;
    for (long b = 0; b < blocks; b++) sq += partial[b];
    float norm = (float)sqrt(sq);
    *coef = 1.0f;
    if (max_norm > 0) {
        float c = max_norm / (norm + 1e-6f);
        if (c < 1.0f) *coef = c;
    }
    return norm;
}

float adamw_clip_grad_norm(const adamw_state *s, float *grads, float max_norm) {
    adamw_ctx k = {.s = s, .grads = grads};
    float norm = adamw_clip_coef(s, grads, max_norm, &k.coef);
    if (k.coef < 1.0f) bb_pool_for(ops_pool(), (long)s->n, 4 * 16384, clip_scale_share, &k);
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
