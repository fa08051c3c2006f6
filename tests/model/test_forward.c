/* Conformance: the forward pass on bert_tiny_a (gelu) and bert_tiny_b (gelu_new) reproduces every
 * tensor of the fixtures' reference.safetensors from Hugging Face transformers: all hidden states,
 * all attentions, pooler output, MLM / NSP logits and the seqcls / tokcls head logits.
 * Tolerances from the fixtures README: 1e-4 absolute (relative for large values) for hidden states and
 * logits, 1e-5 for attention probabilities. The same runs on the pytorch_model.bin copies of the models
 * (torch_bin/): the zip one holds the same float32 weights; the legacy one holds them rounded to float16,
 * so its tolerances are those of F16 weights against the float32 reference (tol_scale). Each model runs
 * twice: loaded into memory it owns (bert_load, as training does) and mapped (bert_load_mapped, as
 * inference does). */
#include "bb_err.h"
#include "bert.h"
#include "check.h"
#include "ops.h"
#include "st.h"

static float *read_f32(const st_file *f, const char *name, int64_t *n) {
    char err[256];
    const st_tensor *t = st_find(f, name);
    CHECK(t != NULL, "reference has %s", name);
    if (!t) return NULL;
    float *v = malloc(sizeof(float) * (size_t)t->numel);
    CHECK_OK(st_read_f32(t, v, t->numel, err, sizeof err), err);
    *n = t->numel;
    return v;
}

/* max |got - want| / max(1, |want|) */
static double rel_err(const float *got, const float *want, int64_t n) {
    double m = 0;
    for (int64_t i = 0; i < n; i++) {
        double d = fabs((double)got[i] - want[i]) / fmax(1.0, fabs((double)want[i]));
        if (!(d <= m)) m = d;
    }
    return m;
}

static double tol_scale = 1;

static void compare(const char *model, const char *name, const float *got, const st_file *ref, int64_t n_expected,
                    double tol) {
    tol *= tol_scale;
    int64_t n = 0;
    float *want = read_f32(ref, name, &n);
    if (!want) return;
    CHECK(n == n_expected, "%s %s: %lld values, computed %lld", model, name, (long long)n, (long long)n_expected);
    double e = n == n_expected ? rel_err(got, want, n) : INFINITY;
    printf("%-24s %-20s max error %.2e (tolerance %.0e)\n", model, name, e, tol);
    CHECK(e <= tol, "%s %s: max error %.3e > %.0e", model, name, e, tol);
    free(want);
}

/* The model in fixtures/model against the reference outputs in fixtures/ref_model; mapped: loaded
 * with bert_load_mapped (weights used in place; bert_set_head then makes them owned). */
static void run_model(const char *fixtures, const char *model, const char *ref_model, int mapped) {
    char dir[1024], path[1100], err[512] = "";
    snprintf(dir, sizeof dir, "%s/%s", fixtures, model);
    bert_model *m = NULL;
    CHECK_OK(mapped ? bert_load_mapped(&m, dir, err, sizeof err) : bert_load(&m, dir, err, sizeof err), err);
    printf("%s load of %s\n", mapped ? "mapped" : "owned", model);
    if (!m) return;
    CHECK(m->has_pooler && m->has_mlm && m->has_nsp && m->tied_decoder, "%s heads detected", model);
    snprintf(path, sizeof path, "%s/%s/reference.safetensors", fixtures, ref_model);
    st_file *ref = NULL;
    CHECK_OK(st_open(&ref, path, err, sizeof err), err);
    if (!ref) {
        bert_free(m);
        return;
    }
    const st_tensor *tid = st_find(ref, "input_ids");
    int B = (int)tid->shape[0], T = (int)tid->shape[1], C = m->cfg.hidden_size, L = m->cfg.num_layers,
        NH = m->cfg.num_heads, V = m->cfg.vocab_size;
    int32_t *ids = malloc(sizeof(int32_t) * B * T), *tt = malloc(sizeof(int32_t) * B * T),
            *am = malloc(sizeof(int32_t) * B * T);
    float *mask = malloc(sizeof(float) * B * T);
    CHECK_OK(st_read_i32(tid, ids, (int64_t)B * T, err, sizeof err), err);
    CHECK_OK(st_read_i32(st_find(ref, "token_type_ids"), tt, (int64_t)B * T, err, sizeof err), err);
    CHECK_OK(st_read_i32(st_find(ref, "attention_mask"), am, (int64_t)B * T, err, sizeof err), err);
    for (int i = 0; i < B * T; i++) mask[i] = (float)am[i];

    bert_acts a;
    CHECK_OK(bert_acts_alloc(&a, m, B, T, 0, err, sizeof err), err);
    CHECK_OK(bert_forward(m, &a, ids, tt, mask, B, T, err, sizeof err), err);
    char name[64];
    for (int l = 0; l <= L; l++) {
        snprintf(name, sizeof name, "hidden_states.%d", l);
        compare(model, name, bert_hidden(&a, m, l), ref, (int64_t)B * T * C, 1e-4);
    }
    for (int l = 0; l < L; l++) {
        snprintf(name, sizeof name, "attentions.%d", l);
        compare(model, name, bert_attention(&a, m, l), ref, (int64_t)B * NH * T * T, 1e-5);
    }
    compare(model, "pooler_output", a.pool, ref, (int64_t)B * C, 1e-4);

    float *nsp = malloc(sizeof(float) * B * 2);
    CHECK_OK(bert_nsp_logits(m, &a, nsp, err, sizeof err), err);
    compare(model, "nsp_logits", nsp, ref, (int64_t)B * 2, 1e-4);

    /* MLM logits for the rows the reference kept (tiny_b keeps row 0 only). */
    const st_tensor *tl = st_find(ref, "mlm_logits");
    int rows = (int)tl->shape[0];
    float *logits = malloc(sizeof(float) * (size_t)rows * T * V);
    float *work = malloc(sizeof(float) * bert_mlm_work_size(m, rows * T));
    CHECK_OK(bert_mlm_logits(m, logits, bert_hidden(&a, m, L), rows * T, work, err, sizeof err), err);
    compare(model, "mlm_logits", logits, ref, (int64_t)rows * T * V, 1e-4);

    /* Classification heads: install the reference head weights, then run the model's head path. */
    const char *heads[2] = {"seqcls", "tokcls"};
    const bert_head kinds[2] = {BERT_HEAD_SEQCLS, BERT_HEAD_TOKCLS};
    const int nl[2] = {3, 5};
    bb_rng rng;
    bb_rng_seed(&rng, 1);
    for (int h = 0; h < 2; h++) {
        CHECK_OK(bert_set_head(m, kinds[h], nl[h], &rng, err, sizeof err), err);
        int64_t n;
        snprintf(name, sizeof name, "head.%s.classifier.weight", heads[h]);
        float *w = read_f32(ref, name, &n);
        snprintf(name, sizeof name, "head.%s.classifier.bias", heads[h]);
        float *bias = read_f32(ref, name, &n);
        if (w && bias) {
            memcpy(m->params.clsw, w, sizeof(float) * nl[h] * C);
            memcpy(m->params.clsb, bias, sizeof(float) * nl[h]);
        }
        /* bert_set_head reallocated the parameters: run the forward pass again on them. */
        CHECK_OK(bert_forward(m, &a, ids, tt, mask, B, T, err, sizeof err), err);
        float *out = malloc(sizeof(float) * B * T * nl[h]);
        CHECK_OK(bert_classifier_logits(m, &a, out, err, sizeof err), err);
        snprintf(name, sizeof name, "%s_logits", heads[h]);
        compare(model, name, out, ref, (int64_t)(h ? B * T : B) * nl[h], 1e-4);
        free(out);
        free(w);
        free(bias);
    }
    free(nsp);
    free(logits);
    free(work);
    free(ids);
    free(tt);
    free(am);
    free(mask);
    bert_acts_free(&a);
    st_close(ref);
    bert_free(m);
}

int main(void) {
    const char *fx = check_fixtures();
    for (int mapped = 0; mapped < 2; mapped++) {
        tol_scale = 1;
        run_model(fx, "bert_tiny_a", "bert_tiny_a", mapped);
        run_model(fx, "bert_tiny_b", "bert_tiny_b", mapped);
        run_model(fx, "torch_bin/bert_tiny_a_bin", "bert_tiny_a", mapped);
        tol_scale = 100;
        run_model(fx, "torch_bin/bert_tiny_b_bin_sharded", "bert_tiny_b", mapped);
    }
    return check_done();
}
