/* Attention capture for the attention pane and `bertbench attention`: every layer's and head's
 * probabilities, the mean over heads, attention rollout (Abnar & Zuidema 2020), per-head summaries,
 * pair filters / hidden specials (exBERT) and the neuron view (BertViz). */
#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#include "bb_err.h"
#include "infer.h"
#include "infer_internal.h"
#include "ops.h"

void infer_attn_free(infer_attn *a) {
    tok_encoding_free(a->enc);
    free(a->probs);
    free(a->mean_heads);
    free(a->rollout);
    free(a->summary);
    memset(a, 0, sizeof *a);
}

static void summarize(infer_head_summary *s, const float *p, const tok_encoding *enc, int T) {
    double ent = 0, cls = 0, sep = 0, self = 0, prev = 0, next = 0;
    for (int i = 0; i < T; i++) {
        const float *row = p + (size_t)i * T;
        for (int j = 0; j < T; j++) {
            if (row[j] > 0) ent -= row[j] * log(row[j]);
            if (enc->special[j] == TOK_ADDED && j > 0) sep += row[j];
        }
        cls += row[0];
        self += row[i];
        if (i > 0) prev += row[i - 1];
        if (i + 1 < T) next += row[i + 1];
    }
    s->entropy = (float)(ent / T);
    s->to_cls = (float)(cls / T);
    s->to_sep = (float)(sep / T);
    s->to_self = (float)(self / T);
    s->to_prev = T > 1 ? (float)(prev / (T - 1)) : 0;
    s->to_next = T > 1 ? (float)(next / (T - 1)) : 0;
}

int infer_attention(infer_ctx *cx, const char *text, const char *pair, infer_attn *out, bb_work *work, char *err,
                    size_t errlen) {
    memset(out, 0, sizeof *out);
    const bert_model *m = cx->model;
    int L = m->cfg.num_layers, NH = m->cfg.num_heads, rc;
    out->enc = tok_encoding_new();
    if (!out->enc) return bb_err(err, errlen, BB_ENOMEM, "out of memory");
    out->enc->work = work;
    if ((rc = infer_encode(cx, text, pair, out->enc, err, errlen)) != BB_OK) goto fail;
    out->enc->work = NULL; /* the result outlives the caller's work */
    int T = out->enc->n;
    out->truncated = out->enc->overflow_a + out->enc->overflow_b;
    if ((rc = bb_work_check(work, "attention", err, errlen)) != BB_OK) goto fail;
    if ((rc = infer_run(cx, out->enc->ids, out->enc->type_ids, T, err, errlen)) != BB_OK) goto fail;
    size_t TT = (size_t)T * T;
    out->L = L;
    out->NH = NH;
    out->T = T;
    out->probs = malloc(sizeof(float) * L * NH * TT);
    out->mean_heads = calloc((size_t)L * TT, sizeof(float));
    out->rollout = malloc(sizeof(float) * L * TT);
    out->summary = calloc((size_t)L * NH, sizeof *out->summary);
    float *step = malloc(sizeof(float) * TT);
    if (!out->probs || !out->mean_heads || !out->rollout || !out->summary || !step) {
        free(step);
        rc = bb_err(err, errlen, BB_ENOMEM, "out of memory for the attention of %d tokens", T);
        goto fail;
    }
    memcpy(out->probs, bert_attention(&cx->acts, m, 0), sizeof(float) * L * NH * TT); /* batch 1: contiguous */
    for (int l = 0; l < L; l++) {
        /* the rollout is T^3 per layer: at 512 tokens as long as the forward itself */
        bb_work_progress(work, "layers", l, L);
        if ((rc = bb_work_check(work, "attention", err, errlen)) != BB_OK) {
            free(step);
            goto fail;
        }
        float *mean = out->mean_heads + l * TT;
        for (int h = 0; h < NH; h++) {
            const float *p = infer_attn_head(out, l, h);
            for (size_t i = 0; i < TT; i++) mean[i] += p[i] / NH;
            summarize(&out->summary[l * NH + h], p, out->enc, T);
        }
        /* Rollout: the residual connection is half of each layer's mixing, A' = (A + I) / 2; R_l = A'_l R_{l-1}. */
        for (size_t i = 0; i < TT; i++) step[i] = 0.5f * mean[i];
        for (int i = 0; i < T; i++) step[(size_t)i * T + i] += 0.5f;
        if (l == 0)
            memcpy(out->rollout, step, sizeof(float) * TT);
        else
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, T, T, 1.0f, step, T, out->rollout + (l - 1) * TT,
                        T, 0.0f, out->rollout + l * TT, T);
    }
    free(step);
    bb_work_progress(work, "layers", L, L);
    return BB_OK;
fail:
    infer_attn_free(out);
    return rc;
}

/* Segment of each token: 0 up to the first token of text B, then 1 (specials go with their side). */
static int segment_of(const tok_encoding *enc, int i) {
    for (int j = 0; j <= i; j++)
        if (enc->seq[j] == 1) return 1;
    return 0;
}

void infer_attn_filter(float *out, const float *probs, const tok_encoding *enc, infer_pair_filter filter,
                       int hide_special) {
    int T = enc->n;
    for (int i = 0; i < T; i++) {
        int si = segment_of(enc, i);
        double sum = 0;
        for (int j = 0; j < T; j++) {
            int sj = segment_of(enc, j), keep = 1;
            switch (filter) {
            case INFER_PAIR_ALL: break;
            case INFER_PAIR_AA: keep = si == 0 && sj == 0; break;
            case INFER_PAIR_BB: keep = si == 1 && sj == 1; break;
            case INFER_PAIR_AB: keep = si == 0 && sj == 1; break;
            case INFER_PAIR_BA: keep = si == 1 && sj == 0; break;
            }
            if (hide_special && (enc->special[i] == TOK_ADDED || enc->special[j] == TOK_ADDED)) keep = 0;
            float v = keep ? probs[(size_t)i * T + j] : 0.0f;
            out[(size_t)i * T + j] = v;
            sum += v;
        }
        if (hide_special && sum > 0)
            for (int j = 0; j < T; j++) out[(size_t)i * T + j] = (float)(out[(size_t)i * T + j] / sum);
    }
}

void infer_neuron_free(infer_neuron *n) {
    free(n->query);
    memset(n, 0, sizeof *n);
}

int infer_neuron_view(infer_ctx *cx, const infer_attn *a, int layer, int head, int query, infer_neuron *out,
                      char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    const bert_model *m = cx->model;
    int C = m->cfg.hidden_size, NH = m->cfg.num_heads, HS = C / NH, T = a->T;
    if (layer < 0 || layer >= a->L || head < 0 || head >= NH || query < 0 || query >= T)
        return bb_err(err, errlen, BB_EINVAL, "layer %d, head %d, token %d: out of range (%d layers, %d heads, %d tokens)",
                      layer, head, query, a->L, NH, T);
    int rc = infer_run(cx, a->enc->ids, a->enc->type_ids, T, err, errlen);
    if (rc != BB_OK) return rc;
    float *qkv = infer_work(cx, (size_t)T * 3 * C, err, errlen); /* (T, 3C) */
    if (!qkv) return BB_ENOMEM;
    bert_qkv_forward(m, layer, qkv, bert_hidden(&cx->acts, m, layer), T);
    /* One allocation: query | keys | qk | scores | probs. */
    float *mem = malloc(sizeof(float) * ((size_t)HS + 2 * (size_t)T * HS + 2 * (size_t)T));
    if (!mem) return bb_err(err, errlen, BB_ENOMEM, "out of memory");
    out->T = T;
    out->HS = HS;
    out->query = mem;
    out->keys = mem + HS;
    out->qk = out->keys + (size_t)T * HS;
    out->scores = out->qk + (size_t)T * HS;
    out->probs = out->scores + T;
    memcpy(out->query, qkv + (size_t)query * 3 * C + (size_t)head * HS, sizeof(float) * HS);
    float scale = 1.0f / sqrtf((float)HS), mx = -INFINITY;
    for (int j = 0; j < T; j++) {
        const float *k = qkv + (size_t)j * 3 * C + C + (size_t)head * HS;
        double dot = 0;
        for (int d = 0; d < HS; d++) {
            out->keys[(size_t)j * HS + d] = k[d];
            out->qk[(size_t)j * HS + d] = out->query[d] * k[d];
            dot += out->qk[(size_t)j * HS + d];
        }
        out->scores[j] = (float)dot * scale;
        mx = out->scores[j] > mx ? out->scores[j] : mx;
    }
    double sum = 0;
    for (int j = 0; j < T; j++) sum += exp((double)out->scores[j] - mx);
    for (int j = 0; j < T; j++) out->probs[j] = (float)(exp((double)out->scores[j] - mx) / sum);
    return BB_OK;
}

int infer_attn_rollout_subset(float *out, const infer_attn *a, const unsigned char *layer_off, int n, int upto) {
    int T = a->T;
    size_t TT = (size_t)T * T;
    float *step = malloc(sizeof(float) * TT), *prod = malloc(sizeof(float) * TT);
    if (!step || !prod) {
        free(step);
        free(prod);
        return BB_ENOMEM;
    }
    memset(out, 0, sizeof(float) * TT);
    for (int i = 0; i < T; i++) out[(size_t)i * T + i] = 1;
    for (int l = 0; l <= upto && l < a->L; l++) {
        if (l < n && layer_off[l]) continue;
        /* as infer_attention: A' = (A + I) / 2 with A the mean over heads; R = A' R */
        const float *mean = a->mean_heads + (size_t)l * TT;
        for (size_t i = 0; i < TT; i++) step[i] = 0.5f * mean[i];
        for (int i = 0; i < T; i++) step[(size_t)i * T + i] += 0.5f;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T, T, T, 1.0f, step, T, out, T, 0.0f, prod, T);
        memcpy(out, prod, sizeof(float) * TT);
    }
    free(step);
    free(prod);
    return BB_OK;
}
