/* Every op that shares its loops with the engine's pool gives bit-identical results on one thread
 * and on all of them (sizes above the ops' grain, so the loops really are shared when the machine
 * has more than one CPU), and AdamW / clipping the same; the fused residual + LayerNorm equals the
 * two ops in turn, and so does AdamW with the clipping folded into its step. */
#include <string.h>

#include "adamw.h"
#include "bb_pool.h"
#include "check.h"
#include "ops.h"
#include "opstest.h"

enum { N = 384, C = 192, V = 1000, NV = 96, B = 3, T = N / B, VOCAB = 50, NP = 300000 };

typedef struct {
    float *out;  /* every float output, concatenated */
    uint8_t *keep;
    long n;
} results;

static long used;

/* The next `count` floats of r's output (argument order within a call does not matter: both runs
 * run the same code). */
static float *take(results *r, long count) {
    used += count;
    return r->out + used - count;
}

/* Runs every op once on fixed inputs; outputs go to r (zeroed first). */
static void run_ops(results *r, const float *x, const float *y, const float *w, const float *bias,
                    const float *logits, const int32_t *targets, const int32_t *ids, const int32_t *types) {
    memset(r->out, 0, sizeof(float) * (size_t)r->n);
    used = 0;
    long nc = (long)N * C;
    for (int act = BB_ACT_GELU; act <= BB_ACT_RELU; act++) {
        float *fx = take(r, nc);
        act_forward(fx, x, nc, (bb_act)act);
        act_backward(take(r, nc), x, NULL, y, nc, (bb_act)act);
        act_backward(take(r, nc), x, fx, y, nc, (bb_act)act);
    }
    residual_forward(take(r, nc), x, y, nc);
    float *da = take(r, nc), *db = take(r, nc);
    residual_backward(da, db, y, nc);
    bb_rng rng;
    bb_rng_seed(&rng, 11);
    dropout_forward(take(r, nc), r->keep, x, nc, 0.3f, &rng);
    dropout_backward(take(r, nc), y, r->keep, nc, 0.3f);
    float *ln = take(r, nc), *mean = take(r, N), *rstd = take(r, N);
    layernorm_forward(ln, mean, rstd, x, w, bias, N, C, 1e-12f);
    residual_layernorm_forward(take(r, nc), take(r, nc), take(r, N), take(r, N), x, y, w, bias, N, C, 1e-12f);
    layernorm_backward(take(r, nc), take(r, C), take(r, C), y, x, w, mean, rstd, N, C);
    softmax_forward(take(r, (long)NV * V), logits, NV, V);
    float *probs = take(r, (long)NV * V);
    crossentropy_forward(take(r, NV), probs, logits, targets, NV, V);
    crossentropy_backward(take(r, (long)NV * V), probs, targets, NV, V, 0.5f);
    embeddings_forward(take(r, nc), ids, types, x, y, w, B, T, C, 0);
    embeddings_backward(take(r, (long)VOCAB * C), take(r, (long)T * C), take(r, 2L * C), y, ids, types, B, T, C, 0);
    linear_backward(NULL, NULL, take(r, C), y, x, w, N, C, C);
    /* the fused bias gradients: blocks of rows summed by whichever thread, partials added in order */
    act_backward_set(take(r, nc), take(r, C), x, NULL, y, N, C, BB_ACT_GELU);
    dropout_backward_set(take(r, nc), take(r, C), y, r->keep, N, C, 0.3f);
    float *dl = take(r, (long)NV * V);
    crossentropy_backward_set(dl, take(r, V), probs, targets, NV, V, 0.5f);
    float *z = take(r, nc);
    memcpy(z, x, sizeof(float) * (size_t)nc);
    ops_zero(z + 7, nc - 9);
    CHECK(used <= r->n, "results buffer too small: %ld > %ld", used, r->n);
}

/* AdamW and clipping over a flat parameter vector with a frozen prefix and an inactive field; fused:
 * the clipping folded into the step (adamw_clip_coef + adamw_step_scaled). */
static void run_adamw(float *params, float *grads, float *norm, int fused) {
    adamw_state s;
    memset(&s, 0, sizeof s);
    s.n = NP;
    s.sizes[0] = 1000, s.sizes[1] = 200000, s.sizes[2] = 50000, s.sizes[3] = NP - 251000;
    s.m = alloc_floats(NP), s.v = alloc_floats(NP);
    for (int f = 0; f < 4; f++) s.active[f] = f != 2, s.decay[f] = f != 3;
    s.frozen[1] = 123;
    adamw_hparams h = adamw_hparams_default();
    h.weight_decay = 0.01f;
    bb_rng rng;
    bb_rng_seed(&rng, 3);
    fill_uniform(params, NP, &rng, -1, 1);
    for (int step = 0; step < 3; step++) {
        fill_uniform(grads, NP, &rng, -2, 2);
        if (fused) {
            float coef;
            norm[step] = adamw_clip_coef(&s, grads, 1.0f, &coef);
            adamw_step_scaled(&s, params, grads, coef, 1e-3f, &h);
        } else {
            norm[step] = adamw_clip_grad_norm(&s, grads, 1.0f);
            adamw_step(&s, params, grads, 1e-3f, &h);
        }
    }
    free(s.m), free(s.v);
}

int main(void) {
    bb_rng rng;
    bb_rng_seed(&rng, 1);
    long nc = (long)N * C;
    float *x = alloc_floats(nc), *y = alloc_floats(nc), *w = alloc_floats(nc), *bias = alloc_floats(C);
    float *logits = alloc_floats((long)NV * V);
    int32_t targets[NV], ids[N], types[N];
    fill_uniform(x, nc, &rng, -3, 3);
    fill_uniform(y, nc, &rng, -1, 1);
    fill_uniform(w, nc, &rng, -1, 1);
    fill_uniform(bias, C, &rng, -1, 1);
    fill_uniform(logits, (long)NV * V, &rng, -8, 8);
    for (int i = 0; i < NV; i++) targets[i] = i % 7 == 3 ? -100 : (int32_t)bb_rng_below(&rng, V);
    for (int i = 0; i < N; i++) ids[i] = (int32_t)bb_rng_below(&rng, VOCAB), types[i] = i % 2;

    long total = 44 * nc + 4L * NV * V;
    results one = {alloc_floats(total), malloc((size_t)nc), total};
    results all = {alloc_floats(total), malloc((size_t)nc), total};
    float *p1 = alloc_floats(NP), *g1 = alloc_floats(NP), *pa = alloc_floats(NP), *ga = alloc_floats(NP);
    float n1[3], na[3];

    int cpus = bb_pool_max_threads(bb_pool_global());
    ops_set_threads(1);
    CHECK(bb_pool_threads(bb_pool_global()) == 1, "ops_set_threads(1) sizes the pool");
    run_ops(&one, x, y, w, bias, logits, targets, ids, types);
    run_adamw(p1, g1, n1, 0);
    ops_set_threads(cpus);
    CHECK(bb_pool_threads(bb_pool_global()) == cpus, "ops_set_threads(%d) sizes the pool", cpus);
    if (cpus < 2) printf("note: one CPU, so both runs use one thread\n");
    run_ops(&all, x, y, w, bias, logits, targets, ids, types);
    run_adamw(pa, ga, na, 0);
    float *pf = alloc_floats(NP), *gf = alloc_floats(NP), nf[3];
    run_adamw(pf, gf, nf, 1);

    long first = -1;
    for (long i = 0; i < total && first < 0; i++)
        if (memcmp(&one.out[i], &all.out[i], sizeof(float)) != 0) first = i;
    CHECK(first < 0, "ops differ between 1 and %d threads, first at output float %ld (%.9g vs %.9g)", cpus, first,
          first >= 0 ? one.out[first] : 0.0, first >= 0 ? all.out[first] : 0.0);
    CHECK(memcmp(one.keep, all.keep, (size_t)nc) == 0, "dropout masks differ between thread counts");
    CHECK(memcmp(p1, pa, sizeof(float) * NP) == 0, "AdamW parameters differ between thread counts");
    CHECK(memcmp(g1, ga, sizeof(float) * NP) == 0, "clipped gradients differ between thread counts");
    CHECK(memcmp(n1, na, sizeof n1) == 0, "grad norms differ: %.9g vs %.9g", n1[0], na[0]);
    CHECK(memcmp(pa, pf, sizeof(float) * NP) == 0 && memcmp(na, nf, sizeof na) == 0,
          "AdamW with the clipping folded in differs from clipping then AdamW");
    free(pf), free(gf);
    /* the fused residual + LayerNorm is the two ops one after the other, bit for bit */
    long nc2 = (long)N * C;
    float *res = alloc_floats(nc2), *ln = alloc_floats(nc2), *fres = alloc_floats(nc2), *fln = alloc_floats(nc2);
    float mean[N], rstd[N], fmean[N], frstd[N];
    residual_forward(res, x, y, nc2);
    layernorm_forward(ln, mean, rstd, res, w, bias, N, C, 1e-12f);
    residual_layernorm_forward(fres, fln, fmean, frstd, x, y, w, bias, N, C, 1e-12f);
    CHECK(memcmp(res, fres, sizeof(float) * (size_t)nc2) == 0 && memcmp(ln, fln, sizeof(float) * (size_t)nc2) == 0 &&
              memcmp(mean, fmean, sizeof mean) == 0 && memcmp(rstd, frstd, sizeof rstd) == 0,
          "residual_layernorm_forward differs from residual_forward + layernorm_forward");
    free(res), free(ln), free(fres), free(fln);
    /* the clipping actually clipped */
    CHECK(n1[0] > 1.0f, "grad norm %g", n1[0]);
    free(x), free(y), free(w), free(bias), free(logits), free(one.out), free(one.keep), free(all.out), free(all.keep);
    free(p1), free(g1), free(pa), free(ga);
    return check_done();
}
