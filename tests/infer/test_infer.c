/* Inference views on the fixture models with the fixture vocabulary: fill-mask probabilities equal the
 * softmax of the reference MLM logits, attention equals the reference attentions, embeddings equal the
 * reference hidden states, pseudo-perplexity equals a direct computation through the forward pass, and
 * fill-mask allocates logits for the masked positions only. */
#include "bb_err.h"
#include "check.h"
#include "infer.h"
#include "st.h"

static char err[512];

static float *ref_f32(const st_file *f, const char *name) {
    const st_tensor *t = st_find(f, name);
    CHECK(t != NULL, "reference has %s", name);
    if (!t) return NULL;
    float *v = malloc(sizeof(float) * (size_t)t->numel);
    CHECK_OK(st_read_f32(t, v, t->numel, err, sizeof err), err);
    return v;
}

static void softmax_ref(double *out, const float *logits, int V) {
    double mx = logits[0], s = 0;
    for (int i = 1; i < V; i++) mx = logits[i] > mx ? logits[i] : mx;
    for (int i = 0; i < V; i++) s += exp(logits[i] - mx);
    for (int i = 0; i < V; i++) out[i] = exp(logits[i] - mx) / s;
}

static void test_model(const char *fx, const char *name, const char *const *texts, const char *const *pairs, int rows) {
    char dir[600], vocab[600], path[700];
    snprintf(dir, sizeof dir, "%s/%s", fx, name);
    snprintf(vocab, sizeof vocab, "%s/vocab/bert-base-uncased-vocab.txt", fx);
    infer_ctx *cx = NULL;
    CHECK_OK(infer_open(&cx, dir, vocab, TOK_CASE_AUTO, err, sizeof err), err);
    if (!cx) return;
    snprintf(path, sizeof path, "%s/reference.safetensors", dir);
    st_file *ref = NULL;
    CHECK_OK(st_open(&ref, path, err, sizeof err), err);
    if (!ref) {
        infer_close(cx);
        return;
    }
    const st_tensor *tids = st_find(ref, "input_ids");
    int B = (int)tids->shape[0], TP = (int)tids->shape[1], L = cx->model->cfg.num_layers,
        NH = cx->model->cfg.num_heads, C = cx->model->cfg.hidden_size, V = cx->model->cfg.vocab_size;
    int32_t *ids = malloc(sizeof(int32_t) * B * TP), *am = malloc(sizeof(int32_t) * B * TP),
            *tt = malloc(sizeof(int32_t) * B * TP);
    st_read_i32(tids, ids, (int64_t)B * TP, err, sizeof err);
    st_read_i32(st_find(ref, "token_type_ids"), tt, (int64_t)B * TP, err, sizeof err);
    st_read_i32(st_find(ref, "attention_mask"), am, (int64_t)B * TP, err, sizeof err);
    const st_tensor *tl = st_find(ref, "mlm_logits");
    float *logits = ref_f32(ref, "mlm_logits");
    double *sm = malloc(sizeof(double) * V);

    for (int r = 0; r < rows && r < B; r++) {
        int n = 0;
        for (int t = 0; t < TP; t++) n += am[r * TP + t];
        /* The tokenizer + infer_encode reproduce the reference ids. */
        tok_encoding *enc = tok_encoding_new();
        CHECK_OK(infer_encode(cx, texts[r], pairs[r], enc, err, sizeof err), err);
        int same = enc->n == n;
        for (int t = 0; same && t < n; t++) same = enc->ids[t] == ids[r * TP + t];
        CHECK(same, "%s row %d: encoded ids match the reference", name, r);
        tok_encoding_free(enc);

        /* Fill-mask scores at two positions = softmax of the reference logits there. */
        if (r < tl->shape[0]) {
            int pos[2] = {1, n - 2};
            infer_fill f;
            CHECK_OK(infer_fill_positions(cx, ids + r * TP, tt + r * TP, n, pos, 2, 5, NULL, 0, &f, err, sizeof err), err);
            CHECK(cx->last_logits_floats == (size_t)2 * V, "logits for 2 positions only (%zu floats)",
                  cx->last_logits_floats);
            double maxe = 0;
            for (int m = 0; m < f.n_masks; m++) {
                softmax_ref(sm, logits + ((size_t)r * TP + pos[m]) * V, V);
                int best = 0;
                for (int v = 1; v < V; v++) best = sm[v] > sm[best] ? v : best;
                CHECK(f.masks[m].preds[0].token == best, "%s row %d pos %d: top-1 %d, reference %d", name, r, pos[m],
                      f.masks[m].preds[0].token, best);
                for (int k = 0; k < f.masks[m].k; k++)
                    maxe = fmax(maxe, fabs(f.masks[m].preds[k].score - sm[f.masks[m].preds[k].token]));
            }
            printf("%s row %d fill-mask score max error %.2e\n", name, r, maxe);
            CHECK(maxe <= 1e-5, "%s fill-mask scores: %.3e", name, maxe);
            infer_fill_free(&f);
        }

        /* Attention: every layer/head equals the reference on the real tokens. */
        infer_attn at;
        CHECK_OK(infer_attention(cx, texts[r], pairs[r], &at, NULL, err, sizeof err), err);
        double amax = 0;
        for (int l = 0; l < L && at.T == n; l++) {
            snprintf(path, sizeof path, "attentions.%d", l);
            float *ra = ref_f32(ref, path);
            for (int h = 0; h < NH && ra; h++)
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < n; j++)
                        amax = fmax(amax, fabs(infer_attn_head(&at, l, h)[i * n + j] -
                                               ra[(((size_t)r * NH + h) * TP + i) * TP + j]));
            free(ra);
        }
        printf("%s row %d attention max error %.2e\n", name, r, amax);
        CHECK(at.T == n && amax <= 1e-5, "%s attention: %.3e", name, amax);
        /* Rows of the hidden-specials view sum to 1; neuron view reproduces the probabilities. */
        float *view = malloc(sizeof(float) * n * n);
        infer_attn_filter(view, infer_attn_head(&at, 0, 0), at.enc, INFER_PAIR_ALL, 1);
        double rs = 0;
        for (int j = 0; j < n; j++) rs += view[1 * n + j];
        CHECK(fabs(rs - 1) < 1e-5 && view[1 * n + 0] == 0, "renormalised row without specials sums to 1 (%g)", rs);
        free(view);
        infer_neuron nv;
        CHECK_OK(infer_neuron_view(cx, &at, L - 1, NH - 1, 1, &nv, err, sizeof err), err);
        double ne = 0;
        for (int j = 0; j < n && nv.probs; j++) ne = fmax(ne, fabs(nv.probs[j] - infer_attn_head(&at, L - 1, NH - 1)[n + j]));
        CHECK(nv.probs && ne < 1e-5, "neuron view probabilities match attention (%.2e)", ne);
        infer_neuron_free(&nv);
        for (int l = 0; l < L; l++)
            for (int i = 0; i < n; i++) {
                double s = 0;
                for (int j = 0; j < n; j++) s += at.rollout[((size_t)l * n + i) * n + j];
                CHECK(fabs(s - 1) < 1e-4, "rollout row sums to 1 (%g)", s);
            }
        CHECK(at.summary[0].entropy > 0 && at.summary[0].entropy <= log(n) + 1e-4, "entropy in range");
        infer_attn_free(&at);

        /* Embeddings: CLS and mean pooling of every layer equal the reference hidden states. */
        if (!pairs[r]) {
            float *emb = malloc(sizeof(float) * C);
            int trunc;
            double emax = 0;
            for (int l = 0; l <= L; l++) {
                snprintf(path, sizeof path, "hidden_states.%d", l);
                float *hs = ref_f32(ref, path);
                CHECK_OK(infer_embed(cx, texts[r], INFER_POOL_CLS, l, 0, emb, &trunc, err, sizeof err), err);
                for (int c = 0; c < C && hs; c++) emax = fmax(emax, fabs(emb[c] - hs[(size_t)r * TP * C + c]));
                CHECK_OK(infer_embed(cx, texts[r], INFER_POOL_MEAN, l, 0, emb, &trunc, err, sizeof err), err);
                for (int c = 0; c < C && hs; c++) {
                    double mean = 0;
                    for (int t = 0; t < n; t++) mean += hs[((size_t)r * TP + t) * C + c];
                    emax = fmax(emax, fabs(emb[c] - mean / n));
                }
                free(hs);
            }
            printf("%s row %d embeddings max error %.2e\n", name, r, emax);
            CHECK(emax <= 1e-4, "%s embeddings: %.3e", name, emax);
            free(emb);
        }
    }
    free(sm);
    free(logits);
    free(ids);
    free(am);
    free(tt);
    st_close(ref);
    infer_close(cx);
}

/* Pseudo-perplexity against a direct loop over single forward passes. */
static void test_ppl(const char *fx) {
    char dir[600], vocab[600];
    snprintf(dir, sizeof dir, "%s/bert_tiny_b", fx);
    snprintf(vocab, sizeof vocab, "%s/vocab/bert-base-uncased-vocab.txt", fx);
    infer_ctx *cx = NULL;
    CHECK_OK(infer_open(&cx, dir, vocab, TOK_CASE_AUTO, err, sizeof err), err);
    if (!cx) return;
    const char *text = "The quick brown fox jumps over the lazy dog near the riverbank.";
    infer_ppl p;
    CHECK_OK(infer_pseudo_perplexity(cx, text, 0, &p, NULL, err, sizeof err), err);
    const bert_model *m = cx->model;
    int T = p.enc->n, V = m->cfg.vocab_size, C = m->cfg.hidden_size;
    CHECK(p.n == T - 2, "every content token scored (%d of %d)", p.n, T);
    bert_acts a;
    CHECK_OK(bert_acts_alloc(&a, m, 1, T, 0, err, sizeof err), err);
    int32_t *ids = malloc(sizeof(int32_t) * T);
    float *logits = malloc(sizeof(float) * V), *work = malloc(sizeof(float) * bert_mlm_work_size(m, 1));
    double maxe = 0, sum = 0;
    for (int t = 0; t < p.n; t++) {
        memcpy(ids, p.enc->ids, sizeof(int32_t) * T);
        int pos = p.positions[t];
        ids[pos] = 103;
        bert_forward(m, &a, ids, NULL, NULL, 1, T, err, sizeof err);
        bert_mlm_logits(m, logits, bert_hidden(&a, m, m->cfg.num_layers) + (size_t)pos * C, 1, work, err, sizeof err);
        double mx = logits[0], s = 0;
        for (int v = 1; v < V; v++) mx = fmax(mx, logits[v]);
        for (int v = 0; v < V; v++) s += exp(logits[v] - mx);
        double lp = logits[p.enc->ids[pos]] - mx - log(s);
        sum += lp;
        maxe = fmax(maxe, fabs(lp - p.logprob[t]));
    }
    double pppl = exp(-sum / p.n);
    printf("pseudo-perplexity %.4f (direct %.4f), max log-prob error %.2e\n", p.pppl, pppl, maxe);
    CHECK(maxe < 1e-4 && fabs(p.pppl - pppl) / pppl < 1e-4, "pseudo-perplexity matches the direct computation");
    infer_ppl_free(&p);

    /* Fill-mask on text: memory for the masked rows only, targets with HF semantics, word rank. */
    infer_fill f;
    CHECK_OK(infer_fill_mask(cx, "the [MASK] sat on the [MASK].", 3, NULL, 0, &f, err, sizeof err), err);
    CHECK(f.n_masks == 2 && f.masks[0].position == 2 && f.masks[1].position == 6, "two masks found");
    CHECK(cx->last_logits_floats == (size_t)2 * V, "logits for the 2 masks only");
    CHECK(f.masks[0].k == 3 && f.masks[0].preds[0].score >= f.masks[0].preds[1].score, "ranked");
    int rank;
    float prob;
    CHECK_OK(infer_word_rank(cx, "the [MASK] sat on the [MASK].", 0, f.masks[0].preds[0].token_str, &rank, &prob, err,
                             sizeof err),
             err);
    CHECK(rank == 1 && fabs(prob - f.masks[0].preds[0].score) < 1e-7, "rank of the top word is 1");
    infer_fill_free(&f);
    const char *targets[] = {"cat", "dog", "cat", "Xylophonist"};
    CHECK_OK(infer_fill_mask(cx, "the [MASK] sat.", 10, targets, 4, &f, err, sizeof err), err);
    CHECK(f.n_masks == 1 && f.masks[0].k == 3, "duplicates removed, top-k capped at targets (%d)", f.masks[0].k);
    CHECK(strstr(f.warning, "Xylophonist") != NULL, "warning for a target that is not one token: %s", f.warning);
    infer_fill_free(&f);
    CHECK(infer_fill_mask(cx, "no mask here", 5, NULL, 0, &f, err, sizeof err) == BB_EINVAL, "no mask: %s", err);

    /* Logit lens: its last row is the fill-mask ranking. */
    infer_lens lens;
    CHECK_OK(infer_logit_lens(cx, "the [MASK] sat.", -1, 3, &lens, err, sizeof err), err);
    CHECK_OK(infer_fill_mask(cx, "the [MASK] sat.", 3, NULL, 0, &f, err, sizeof err), err);
    CHECK(lens.L1 == m->cfg.num_layers + 1 && lens.ids[(size_t)(lens.L1 - 1) * 3] == f.masks[0].preds[0].token &&
              fabs(lens.probs[(size_t)(lens.L1 - 1) * 3] - f.masks[0].preds[0].score) < 1e-6,
          "logit lens final layer = fill-mask");
    infer_fill_free(&f);
    infer_lens_free(&lens);
    /* The grid over every token: each of its columns is the one-position lens's top token. */
    infer_lens_grid grid;
    CHECK_OK(infer_logit_lens_grid(cx, "the [MASK] sat on the mat.", NULL, &grid, err, sizeof err), err);
    CHECK(grid.L1 == m->cfg.num_layers + 1 && grid.T == grid.enc->n && grid.T >= 6, "grid shape %d x %d", grid.L1,
          grid.T);
    for (int t = 0; t < grid.T; t++) {
        CHECK_OK(infer_logit_lens(cx, "the [MASK] sat on the mat.", t, 1, &lens, err, sizeof err), err);
        for (int l = 0; l < grid.L1; l++)
            CHECK(grid.ids[(size_t)l * grid.T + t] == lens.ids[l] &&
                      fabs(grid.probs[(size_t)l * grid.T + t] - lens.probs[l]) < 1e-5,
                  "grid layer %d token %d = the lens at that token (%d %g vs %d %g)", l, t,
                  grid.ids[(size_t)l * grid.T + t], (double)grid.probs[(size_t)l * grid.T + t], lens.ids[l],
                  (double)lens.probs[l]);
        infer_lens_free(&lens);
    }
    infer_lens_grid_free(&grid);

    /* Sliding windows: a text longer than the model's positions (tiny_b has 64). */
    char long_text[4096] = "";
    for (int i = 0; i < 40; i++) strcat(long_text, "the cat sat on the mat. ");
    float *e1 = malloc(sizeof(float) * C), *e2 = malloc(sizeof(float) * C);
    int trunc;
    CHECK_OK(infer_embed(cx, long_text, INFER_POOL_MEAN, -1, 0, e1, &trunc, err, sizeof err), err);
    CHECK(trunc > 0, "truncation reported (%d tokens)", trunc);
    CHECK_OK(infer_embed(cx, long_text, INFER_POOL_MEAN, -1, 32, e2, &trunc, err, sizeof err), err);
    CHECK(trunc == 0 && infer_cosine(e1, e2, C) > 0.5f, "windowed embedding close to the truncated one");
    CHECK_OK(infer_pseudo_perplexity(cx, long_text, 32, &p, NULL, err, sizeof err), err);
    CHECK(p.n == p.enc->n - 2 && p.pppl > 1, "windowed pseudo-perplexity scores every token (%d)", p.n);
    infer_ppl_free(&p);
    free(e1);
    free(e2);
    free(ids);
    free(logits);
    free(work);
    bert_acts_free(&a);
    infer_close(cx);
}

int main(void) {
    const char *fx = check_fixtures();
    const char *texts[] = {"The cat sat on the mat.", "Tokenization is the process of splitting sequence to tokens"};
    const char *pairs[] = {NULL, "I like BUAN6342"};
    test_model(fx, "bert_tiny_a", texts, pairs, 2);
    const char *texts_b[] = {"Café naïve résumé, 我爱北京 and the [MASK] of the united states.", "A short one.",
                             ("The Fulton County Grand Jury said Friday an investigation of Atlanta's recent primary "
                              "election produced no evidence.")};
    const char *pairs_b[] = {NULL, NULL, NULL};
    test_model(fx, "bert_tiny_b", texts_b, pairs_b, 3);
    test_ppl(fx);
    return check_done();
}
