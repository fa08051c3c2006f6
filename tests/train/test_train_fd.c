/* Finite-difference check of the whole backward pass on a tiny random model, for every parameter
 * field and every head: masked LM (tied decoder), sequence classification on the pooler, on [CLS] and
 * on the masked mean, token classification, regression; with hidden and attention dropout on (the
 * masks are replayed by restoring the RNG), padding in the batch, and frozen embeddings + layer 0
 * (whose gradients must stay exactly zero). Central differences in float32 with h = 1e-2. */
#include "heads.h"
#include "bb_err.h"
#include "bert.h"
#include "check.h"

static char err[512];
enum { B = 2, T = 6, V = 40 };

typedef struct {
    const char *name;
    bert_head head;
    bert_pool_kind pool;
    int num_labels;
    int freeze; /* freeze embeddings and layer 0 */
} variant;

static float run_loss(bert_model *m, bert_acts *a, bert_cls_acts *c, bert_mlm_acts *h, const variant *v,
                      const bb_rng *rng0, const int32_t *ids, const int32_t *tt, const float *mask,
                      const int32_t *labels, const float *values) {
    bb_rng cls_rng = *rng0;
    a->rng = *rng0;
    float loss = NAN;
    CHECK_OK(bert_forward(m, a, ids, tt, mask, B, T, err, sizeof err), err);
    if (v->head == BERT_HEAD_NONE)
        CHECK_OK(bert_mlm_forward(m, h, a, labels, &loss, NULL, err, sizeof err), err);
    else
        CHECK_OK(bert_cls_forward(m, c, a, labels, values, 1, &cls_rng, &loss, err, sizeof err), err);
    return loss;
}

static void check_variant(const variant *v) {
    bert_config cfg;
    bert_config_default(&cfg, V, 8, 2, 2, 16, 16);
    cfg.hidden_dropout = 0.1f;
    cfg.attn_dropout = 0.1f;
    cfg.initializer_range = 0.3f;
    bert_model *m = NULL;
    CHECK_OK(bert_create(&m, &cfg, 7, err, sizeof err), err);
    bert_config_free(&cfg);
    if (!m) return;
    bb_rng rng;
    bb_rng_seed(&rng, 11);
    /* Random LayerNorm affine and biases, so their gradients are exercised away from 1/0. */
    for (size_t i = 0; i < m->num_params; i++) m->params_memory[i] += 0.1f * bb_rng_normal(&rng);
    if (v->head != BERT_HEAD_NONE) CHECK_OK(bert_set_head(m, v->head, v->num_labels, &rng, err, sizeof err), err);

    int32_t ids[B * T], tt[B * T], labels[B * T];
    float mask[B * T], values[B];
    for (int i = 0; i < B * T; i++) {
        ids[i] = 5 + (int32_t)bb_rng_below(&rng, V - 5);
        tt[i] = (i % T) >= T / 2;
        mask[i] = (i / T == 1 && i % T >= T - 2) ? 0.0f : 1.0f; /* row 1 has two padding tokens */
        labels[i] = -100;
    }
    if (v->head == BERT_HEAD_NONE) {
        labels[1] = 7, labels[3] = 30, labels[T + 2] = 12;
    } else if (v->head == BERT_HEAD_SEQCLS) {
        labels[0] = 2, labels[1] = 0;
        values[0] = 0.7f, values[1] = -1.2f;
    } else {
        for (int i = 0; i < B * T; i++)
            if (mask[i] != 0 && i % 2 == 0) labels[i] = (int32_t)bb_rng_below(&rng, (uint32_t)v->num_labels);
    }
    const float *vals = v->num_labels == 1 ? values : NULL;

    bert_acts a;
    bert_bwd w;
    bert_cls_acts c = {0};
    bert_mlm_acts h = {0};
    CHECK_OK(bert_acts_alloc(&a, m, B, T, 1, err, sizeof err), err);
    CHECK_OK(bert_bwd_alloc(&w, m, B, T, err, sizeof err), err);
    if (v->head != BERT_HEAD_NONE) CHECK_OK(bert_cls_alloc(&c, m, B, T, v->pool, err, sizeof err), err);
    bb_rng rng0;
    bb_rng_seed(&rng0, 99);

    float *grads = calloc(m->num_params, sizeof(float));
    bert_params g;
    bert_params_point(&g, grads, m->param_sizes);
    run_loss(m, &a, &c, &h, v, &rng0, ids, tt, mask, labels, vals);
    bert_bwd_zero(&w, m);
    int use_pool = 0;
    if (v->head == BERT_HEAD_NONE)
        bert_mlm_backward(m, &g, &h, &w, 1.0f, v->freeze);
    else
        use_pool = bert_cls_backward(m, &g, &c, &a, &w, labels, vals, 1.0f);
    bert_backward(m, &g, &a, &w, ids, tt, use_pool, v->freeze, v->freeze ? 1 : 0);

    double worst = 0;
    size_t off = 0;
    const float hstep = 1e-2f;
    for (int f = 0; f < BERT_NPARAMS; f++) {
        size_t n = m->param_sizes[f];
        for (int k = 0; k < 8 && n; k++) {
            size_t i = off + (k == 0 ? 0 : bb_rng_below(&rng, (uint32_t)n));
            float keep = m->params_memory[i];
            m->params_memory[i] = keep + hstep;
            float lp = run_loss(m, &a, &c, &h, v, &rng0, ids, tt, mask, labels, vals);
            m->params_memory[i] = keep - hstep;
            float lm = run_loss(m, &a, &c, &h, v, &rng0, ids, tt, mask, labels, vals);
            m->params_memory[i] = keep;
            double fd = ((double)lp - lm) / (2.0 * hstep), an = grads[i];
            int per_layer = f >= BERT_P_QKVW && f <= BERT_P_LN2B; /* layer 0 is the first half of these */
            int frozen = v->freeze && (f <= BERT_P_EMB_LNB || (per_layer && i - off < n / 2));
            if (frozen) {
                CHECK(an == 0.0, "%s: frozen field %s[%zu] has gradient %g", v->name, bert_param_field_name(f), i - off, an);
                continue;
            }
            double e = fabs(fd - an) / (2e-3 + 3e-2 * fabs(fd));
            if (e > worst) worst = e;
            CHECK(e <= 1.0, "%s: %s[%zu]: analytic %.6g, finite difference %.6g", v->name, bert_param_field_name(f),
                  i - off, an, fd);
        }
        off += n;
    }
    if (v->freeze) {
        /* layer 0's slice of the per-layer fields must be untouched too */
        size_t C = 8, I = 16;
        for (size_t i = 0; i < 3 * C * C; i++) CHECK(g.qkvw[i] == 0.0f, "%s: frozen layer 0 qkvw[%zu]", v->name, i);
        for (size_t i = 0; i < I * C; i++) CHECK(g.fcw[i] == 0.0f, "%s: frozen layer 0 fcw[%zu]", v->name, i);
        int moved = 0;
        for (size_t i = 3 * C * C; i < 6 * C * C; i++) moved |= g.qkvw[i] != 0.0f;
        CHECK(moved, "%s: layer 1 still gets gradients", v->name);
    }
    printf("%-22s worst |fd - analytic| / (2e-3 + 3e-2 |fd|) = %.3f\n", v->name, worst);
    free(grads);
    bert_mlm_acts_free(&h);
    bert_cls_free(&c);
    bert_bwd_free(&w);
    bert_acts_free(&a);
    bert_free(m);
}

int main(void) {
    const variant vs[] = {
        {"mlm", BERT_HEAD_NONE, BERT_POOL_POOLER, 0, 0},
        {"mlm frozen emb+L0", BERT_HEAD_NONE, BERT_POOL_POOLER, 0, 1},
        {"seqcls pooler", BERT_HEAD_SEQCLS, BERT_POOL_POOLER, 3, 0},
        {"seqcls cls", BERT_HEAD_SEQCLS, BERT_POOL_CLS, 3, 0},
        {"seqcls mean", BERT_HEAD_SEQCLS, BERT_POOL_MEAN, 3, 0},
        {"regression mean", BERT_HEAD_SEQCLS, BERT_POOL_MEAN, 1, 0},
        {"tokcls", BERT_HEAD_TOKCLS, BERT_POOL_POOLER, 5, 0},
        {"tokcls frozen emb+L0", BERT_HEAD_TOKCLS, BERT_POOL_POOLER, 5, 1},
    };
    for (size_t i = 0; i < sizeof vs / sizeof *vs; i++) check_variant(&vs[i]);
    return check_done();
}
