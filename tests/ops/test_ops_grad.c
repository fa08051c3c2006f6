/* test_ops_grad.c — every op's backward against central finite differences of its forward, on tiny
 * sizes, and a check that each backward ADDS into its gradients (pre-filled buffers end up as
 * base + gradient). L = sum r * out with a fixed random r, so dout = r. */
#include "ops.h"
#include "opstest.h"

#define H 1e-2f    /* finite-difference step: float forward, smooth ops */
#define TOL 2e-3   /* relative to the largest analytic entry; measured errors are ~1e-4 or less */
#define ADDTOL 1e-6

static bb_rng rng;

/* Runs bw twice: once into zeroed grads (g), once into grads pre-filled with base; the second must
 * equal base + g. Returns g in grads[k]. */
typedef void (*bw_fn)(void *ctx, float **grads);

static void check_adds(const char *name, void *ctx, bw_fn bw, float **grads, const long *sizes,
                       int k) {
    float *base[4], *acc[4];
    for (int i = 0; i < k; i++) {
        memset(grads[i], 0, (size_t)sizes[i] * sizeof(float));
        base[i] = alloc_floats(sizes[i]);
        acc[i] = alloc_floats(sizes[i]);
        fill_uniform(base[i], sizes[i], &rng, -1.0f, 1.0f);
        memcpy(acc[i], base[i], (size_t)sizes[i] * sizeof(float));
    }
    bw(ctx, grads);
    bw(ctx, acc);
    for (int i = 0; i < k; i++) {
        double e = adds_err(base[i], grads[i], acc[i], sizes[i]);
        CHECK(e <= ADDTOL, "%s: backward does not add into grad %d (err %.3g)", name, i, e);
        free(base[i]);
        free(acc[i]);
    }
}

/* ---- linear ---- */
typedef struct {
    float *inp, *w, *b, *out, *r;
    int N, C, OC;
} linear_ctx;

static double linear_eval(void *p) {
    linear_ctx *c = p;
    linear_forward(c->out, c->inp, c->w, c->b, c->N, c->C, c->OC);
    return dot_d(c->r, c->out, (long)c->N * c->OC);
}

static void linear_bw(void *p, float **g) {
    linear_ctx *c = p;
    linear_backward(g[0], g[1], g[2], c->r, c->inp, c->w, c->N, c->C, c->OC);
}

static void test_linear(int N, int C, int OC, long step) {
    linear_ctx c = {.N = N, .C = C, .OC = OC};
    long ni = (long)c.N * c.C, nw = (long)c.OC * c.C, no = (long)c.N * c.OC;
    c.inp = alloc_floats(ni), c.w = alloc_floats(nw), c.b = alloc_floats(c.OC);
    c.out = alloc_floats(no), c.r = alloc_floats(no);
    fill_uniform(c.inp, ni, &rng, -1, 1), fill_uniform(c.w, nw, &rng, -1, 1);
    fill_uniform(c.b, c.OC, &rng, -1, 1), fill_uniform(c.r, no, &rng, -1, 1);
    float *g[3] = {alloc_floats(ni), alloc_floats(nw), alloc_floats(c.OC)};
    long sz[3] = {ni, nw, c.OC};
    check_adds("linear", &c, linear_bw, g, sz, 3);
    GC_CHECK_STEP("linear dinp", c.inp, ni, step, g[0], linear_eval, &c, H, TOL);
    GC_CHECK_STEP("linear dweight", c.w, nw, step, g[1], linear_eval, &c, H, TOL);
    GC_CHECK("linear dbias", c.b, c.OC, g[2], linear_eval, &c, H, TOL);
    /* NULL grads are skipped: only dbias wanted */
    float *db = alloc_floats(c.OC);
    linear_backward(NULL, NULL, db, c.r, c.inp, c.w, c.N, c.C, c.OC);
    CHECK(check_maxdiff(db, g[2], c.OC) == 0.0, "linear: dbias alone differs");
    free(db);
    for (int i = 0; i < 3; i++) free(g[i]);
    free(c.inp), free(c.w), free(c.b), free(c.out), free(c.r);
}

/* ---- layernorm ---- */
typedef struct {
    float *inp, *w, *b, *out, *mean, *rstd, *r;
    int N, C;
    float eps;
} ln_ctx;

static double ln_eval(void *p) {
    ln_ctx *c = p;
    layernorm_forward(c->out, c->mean, c->rstd, c->inp, c->w, c->b, c->N, c->C, c->eps);
    return dot_d(c->r, c->out, (long)c->N * c->C);
}

static void ln_bw(void *p, float **g) {
    ln_ctx *c = p;
    layernorm_backward(g[0], g[1], g[2], c->r, c->inp, c->w, c->mean, c->rstd, c->N, c->C);
}

static void test_layernorm(void) {
    ln_ctx c = {.N = 3, .C = 7, .eps = 1e-12f};
    long n = (long)c.N * c.C;
    c.inp = alloc_floats(n), c.w = alloc_floats(c.C), c.b = alloc_floats(c.C);
    c.out = alloc_floats(n), c.r = alloc_floats(n);
    c.mean = alloc_floats(c.N), c.rstd = alloc_floats(c.N);
    fill_uniform(c.inp, n, &rng, -2, 2), fill_uniform(c.w, c.C, &rng, 0.5f, 1.5f);
    fill_uniform(c.b, c.C, &rng, -1, 1), fill_uniform(c.r, n, &rng, -1, 1);
    ln_eval(&c);
    float *g[3] = {alloc_floats(n), alloc_floats(c.C), alloc_floats(c.C)};
    long sz[3] = {n, c.C, c.C};
    check_adds("layernorm", &c, ln_bw, g, sz, 3);
    GC_CHECK("layernorm dinp", c.inp, n, g[0], ln_eval, &c, H, TOL);
    GC_CHECK("layernorm dweight", c.w, c.C, g[1], ln_eval, &c, H, TOL);
    GC_CHECK("layernorm dbias", c.b, c.C, g[2], ln_eval, &c, H, TOL);
    for (int i = 0; i < 3; i++) free(g[i]);
    free(c.inp), free(c.w), free(c.b), free(c.out), free(c.r), free(c.mean), free(c.rstd);
}

/* ---- activations and tanh ---- */
typedef struct {
    float *inp, *out, *r;
    long n;
    bb_act act;
    int is_tanh;
} act_ctx;

static double act_eval(void *p) {
    act_ctx *c = p;
    if (c->is_tanh)
        tanh_forward(c->out, c->inp, c->n);
    else
        act_forward(c->out, c->inp, c->n, c->act);
    return dot_d(c->r, c->out, c->n);
}

static void act_bw(void *p, float **g) {
    act_ctx *c = p;
    if (c->is_tanh) {
        tanh_forward(c->out, c->inp, c->n);
        tanh_backward(g[0], c->out, c->r, c->n);
    } else {
        act_backward(g[0], c->inp, NULL, c->r, c->n, c->act);
    }
}

static void test_activation(const char *name, bb_act act, int is_tanh) {
    act_ctx c = {.n = 64, .act = act, .is_tanh = is_tanh};
    c.inp = alloc_floats(c.n), c.out = alloc_floats(c.n), c.r = alloc_floats(c.n);
    fill_uniform(c.inp, c.n, &rng, -5, 5);
    /* keep ReLU's kink out of the +-h window */
    for (long i = 0; i < c.n; i++)
        if (fabsf(c.inp[i]) < 0.05f) c.inp[i] = c.inp[i] < 0 ? -0.1f : 0.1f;
    fill_uniform(c.r, c.n, &rng, -1, 1);
    float *g[1] = {alloc_floats(c.n)};
    long sz[1] = {c.n};
    check_adds(name, &c, act_bw, g, sz, 1);
    GC_CHECK(name, c.inp, c.n, g[0], act_eval, &c, 1e-3f, TOL);
    free(g[0]);
    free(c.inp), free(c.out), free(c.r);
}

/* ---- residual ---- */
typedef struct {
    float *a, *b, *out, *r;
    long n;
} res_ctx;

static double res_eval(void *p) {
    res_ctx *c = p;
    residual_forward(c->out, c->a, c->b, c->n);
    return dot_d(c->r, c->out, c->n);
}

static void res_bw(void *p, float **g) {
    res_ctx *c = p;
    residual_backward(g[0], g[1], c->r, c->n);
}

static void test_residual(void) {
    res_ctx c = {.n = 20};
    c.a = alloc_floats(c.n), c.b = alloc_floats(c.n), c.out = alloc_floats(c.n);
    c.r = alloc_floats(c.n);
    fill_uniform(c.a, c.n, &rng, -1, 1), fill_uniform(c.b, c.n, &rng, -1, 1);
    fill_uniform(c.r, c.n, &rng, -1, 1);
    float *g[2] = {alloc_floats(c.n), alloc_floats(c.n)};
    long sz[2] = {c.n, c.n};
    check_adds("residual", &c, res_bw, g, sz, 2);
    GC_CHECK("residual da", c.a, c.n, g[0], res_eval, &c, H, TOL);
    GC_CHECK("residual db", c.b, c.n, g[1], res_eval, &c, H, TOL);
    free(g[0]), free(g[1]);
    free(c.a), free(c.b), free(c.out), free(c.r);
}

/* ---- embeddings ---- */
typedef struct {
    int32_t *ids, *types;
    float *wte, *wpe, *wtt, *out, *r;
    int B, T, C, off;
} emb_ctx;

static double emb_eval(void *p) {
    emb_ctx *c = p;
    embeddings_forward(c->out, c->ids, c->types, c->wte, c->wpe, c->wtt, c->B, c->T, c->C, c->off);
    return dot_d(c->r, c->out, (long)c->B * c->T * c->C);
}

static void emb_bw(void *p, float **g) {
    emb_ctx *c = p;
    embeddings_backward(g[0], g[1], g[2], c->r, c->ids, c->types, c->B, c->T, c->C, c->off);
}

static void test_embeddings(void) {
    enum { V = 5, P = 7, TY = 2 };
    /* repeated ids: rows must accumulate; pos_offset 2 as RoBERTa */
    int32_t ids[6] = {1, 3, 1, 4, 1, 0}, types[6] = {0, 1, 1, 0, 0, 1};
    emb_ctx c = {.ids = ids, .types = types, .B = 2, .T = 3, .C = 4, .off = 2};
    long no = (long)c.B * c.T * c.C;
    c.wte = alloc_floats(V * c.C), c.wpe = alloc_floats(P * c.C), c.wtt = alloc_floats(TY * c.C);
    c.out = alloc_floats(no), c.r = alloc_floats(no);
    fill_uniform(c.wte, V * c.C, &rng, -1, 1), fill_uniform(c.wpe, P * c.C, &rng, -1, 1);
    fill_uniform(c.wtt, TY * c.C, &rng, -1, 1), fill_uniform(c.r, no, &rng, -1, 1);
    float *g[3] = {alloc_floats(V * c.C), alloc_floats(P * c.C), alloc_floats(TY * c.C)};
    long sz[3] = {V * c.C, P * c.C, TY * c.C};
    check_adds("embeddings", &c, emb_bw, g, sz, 3);
    GC_CHECK("embeddings dwte", c.wte, V * c.C, g[0], emb_eval, &c, H, TOL);
    GC_CHECK("embeddings dwpe", c.wpe, P * c.C, g[1], emb_eval, &c, H, TOL);
    GC_CHECK("embeddings dwtt", c.wtt, TY * c.C, g[2], emb_eval, &c, H, TOL);
    /* type_ids NULL means all type 0 */
    c.types = NULL;
    memset(g[2], 0, sizeof(float) * TY * c.C);
    embeddings_backward(NULL, NULL, g[2], c.r, c.ids, NULL, c.B, c.T, c.C, c.off);
    GC_CHECK("embeddings dwtt (types NULL)", c.wtt, TY * c.C, g[2], emb_eval, &c, H, TOL);
    for (int i = 0; i < 3; i++) free(g[i]);
    free(c.wte), free(c.wpe), free(c.wtt), free(c.out), free(c.r);
}

/* ---- attention ---- */
typedef struct {
    float *qkv, *mask, *out, *probs, *probs_drop, *scratch, *r;
    int B, T, C, NH;
    float p;
    uint64_t seed;
} att_ctx;

static double att_eval(void *p) {
    att_ctx *c = p;
    bb_rng r; /* reseeded: every evaluation draws the same dropout mask */
    bb_rng_seed(&r, c->seed);
    attention_forward(c->out, c->probs, c->probs_drop, c->qkv, c->mask, c->B, c->T, c->C, c->NH,
                      c->p, &r);
    return dot_d(c->r, c->out, (long)c->B * c->T * c->C);
}

static void att_bw(void *p, float **g) {
    att_ctx *c = p;
    att_eval(c);
    attention_backward(g[0], c->r, c->qkv, c->probs, c->p > 0 ? c->probs_drop : NULL, c->B, c->T,
                       c->C, c->NH, c->p, c->scratch);
}

/* T tokens per sequence; sequence 1 ends in two padding keys. step samples the FD entries. */
static void test_attention(int T, int C, int NH, float p, long step) {
    att_ctx c = {.B = 2, .T = T, .C = C, .NH = NH, .p = p, .seed = 7};
    long nq = (long)c.B * c.T * 3 * c.C, no = (long)c.B * c.T * c.C;
    long np = (long)c.B * c.NH * c.T * c.T;
    float *mask = alloc_floats(2L * T);
    for (int t = 0; t < 2 * T; t++) mask[t] = t < 2 * T - 2 ? 1.0f : 0.0f;
    c.mask = mask;
    c.qkv = alloc_floats(nq), c.out = alloc_floats(no), c.r = alloc_floats(no);
    c.probs = alloc_floats(np), c.probs_drop = alloc_floats(np);
    c.scratch = alloc_floats(attention_backward_scratch(c.T));
    fill_uniform(c.qkv, nq, &rng, -1.5f, 1.5f), fill_uniform(c.r, no, &rng, -1, 1);
    float *g[1] = {alloc_floats(nq)};
    long sz[1] = {nq};
    char name[64];
    snprintf(name, sizeof name, "attention dqkv T%d NH%d p%.1f", T, NH, (double)p);
    check_adds(name, &c, att_bw, g, sz, 1);
    GC_CHECK_STEP(name, c.qkv, nq, step, g[0], att_eval, &c, H, TOL);
    /* the keys and values of padded positions get no gradient */
    double kv = 0.0;
    for (int t = T - 2; t < T; t++)
        for (int j = c.C; j < 3 * c.C; j++) kv += fabs(g[0][((long)1 * c.T + t) * 3 * c.C + j]);
    CHECK(kv == 0.0, "attention: padded keys/values got gradient %.3g", kv);
    free(g[0]);
    free(c.qkv), free(c.out), free(c.r), free(c.probs), free(c.probs_drop), free(c.scratch), free(mask);
}

/* ---- dropout (fixed mask via a reseeded RNG) ---- */
typedef struct {
    float *inp, *out, *r;
    uint8_t *keep;
    long n;
    float p;
} drop_ctx;

static double drop_eval(void *p) {
    drop_ctx *c = p;
    bb_rng r;
    bb_rng_seed(&r, 11);
    dropout_forward(c->out, c->keep, c->inp, c->n, c->p, &r);
    return dot_d(c->r, c->out, c->n);
}

static void drop_bw(void *p, float **g) {
    drop_ctx *c = p;
    drop_eval(c);
    dropout_backward(g[0], c->r, c->keep, c->n, c->p);
}

static void test_dropout(float p) {
    drop_ctx c = {.n = 33, .p = p};
    c.inp = alloc_floats(c.n), c.out = alloc_floats(c.n), c.r = alloc_floats(c.n);
    c.keep = calloc((size_t)c.n, 1);
    fill_uniform(c.inp, c.n, &rng, -1, 1), fill_uniform(c.r, c.n, &rng, -1, 1);
    float *g[1] = {alloc_floats(c.n)};
    long sz[1] = {c.n};
    char name[64];
    snprintf(name, sizeof name, "dropout (p %.1f)", (double)p);
    check_adds(name, &c, drop_bw, g, sz, 1);
    GC_CHECK(name, c.inp, c.n, g[0], drop_eval, &c, H, TOL);
    free(g[0]);
    free(c.inp), free(c.out), free(c.r), free(c.keep);
}

/* ---- softmax + cross-entropy (mean over non-ignored rows) ---- */
typedef struct {
    float *logits, *probs, *losses;
    int32_t *targets;
    int N, V, count;
} ce_ctx;

static double ce_eval(void *p) {
    ce_ctx *c = p;
    c->count = crossentropy_forward(c->losses, c->probs, c->logits, c->targets, c->N, c->V);
    double s = 0.0;
    for (int n = 0; n < c->N; n++) s += c->losses[n];
    return s / c->count;
}

static void ce_bw(void *p, float **g) {
    ce_ctx *c = p;
    ce_eval(c);
    crossentropy_backward(g[0], c->probs, c->targets, c->N, c->V, 1.0f / (float)c->count);
}

static void test_crossentropy(void) {
    int32_t targets[5] = {2, -100, 5, 0, -100};
    ce_ctx c = {.targets = targets, .N = 5, .V = 6};
    long n = (long)c.N * c.V;
    c.logits = alloc_floats(n), c.probs = alloc_floats(n), c.losses = alloc_floats(c.N);
    fill_uniform(c.logits, n, &rng, -3, 3);
    float *g[1] = {alloc_floats(n)};
    long sz[1] = {n};
    check_adds("crossentropy", &c, ce_bw, g, sz, 1);
    CHECK(c.count == 3, "crossentropy: count %d, want 3", c.count);
    GC_CHECK("crossentropy dlogits", c.logits, n, g[0], ce_eval, &c, H, TOL);
    /* ignored rows get no gradient */
    double ign = 0.0;
    for (int v = 0; v < c.V; v++) ign += fabs(g[0][1 * c.V + v]) + fabs(g[0][4 * c.V + v]);
    CHECK(ign == 0.0, "crossentropy: ignored rows got gradient %.3g", ign);
    free(g[0]);
    free(c.logits), free(c.probs), free(c.losses);
}

int main(void) {
    bb_rng_seed(&rng, 1234);
    test_linear(3, 5, 4, 1);
    test_linear(17, 40, 24, 5);
    test_layernorm();
    test_activation("gelu (erf)", BB_ACT_GELU, 0);
    test_activation("gelu (tanh)", BB_ACT_GELU_TANH, 0);
    test_activation("relu", BB_ACT_RELU, 0);
    test_activation("tanh", BB_ACT_RELU, 1);
    test_residual();
    test_embeddings();
    test_attention(5, 8, 2, 0.0f, 1);
    test_attention(5, 8, 2, 0.3f, 1);
    test_attention(16, 48, 4, 0.1f, 7); /* more heads, HS 12: every 7th entry */
    test_attention(9, 32, 2, 0.2f, 5);  /* HS 16: the AVX2 kernel's products where the CPU has it */
    test_dropout(0.4f);
    test_dropout(0.0f);
    test_crossentropy();
    return check_done();
}
