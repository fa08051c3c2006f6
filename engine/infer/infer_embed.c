/* Sentence embeddings, cosine similarity and the masked-LM logit lens. */
#include <stdlib.h>
#include <string.h>

#include "bb_err.h"
#include "infer.h"
#include "infer_internal.h"

float infer_cosine(const float *a, const float *b, int n) {
    double ab = 0, aa = 0, bb = 0;
    for (int i = 0; i < n; i++) {
        ab += (double)a[i] * b[i];
        aa += (double)a[i] * a[i];
        bb += (double)b[i] * b[i];
    }
    return aa > 0 && bb > 0 ? (float)(ab / sqrt(aa * bb)) : 0.0f;
}

/* Pools hidden[layer] of the last forward (batch 1, T tokens) into out (C), adding with weight w. */
static void pool_into(const infer_ctx *cx, int layer, int T, infer_pooling pooling, float w, float *out) {
    int C = cx->model->cfg.hidden_size;
    const float *h = bert_hidden(&cx->acts, cx->model, layer);
    if (pooling == INFER_POOL_CLS) {
        for (int c = 0; c < C; c++) out[c] += w * h[c];
        return;
    }
    for (int t = 0; t < T; t++)
        for (int c = 0; c < C; c++) out[c] += w * h[(size_t)t * C + c] / T;
}

int infer_embed(infer_ctx *cx, const char *text, infer_pooling pooling, int layer, int stride, float *out,
                int *truncated, char *err, size_t errlen) {
    const bert_model *m = cx->model;
    int C = m->cfg.hidden_size, L = m->cfg.num_layers, maxT = infer_max_tokens(cx), rc;
    if (layer < 0) layer = L;
    if (layer > L) return bb_err(err, errlen, BB_EINVAL, "layer %d: the model has layers 0..%d", layer, L);
    memset(out, 0, sizeof(float) * C);
    *truncated = 0;
    tok_encoding *enc = tok_encoding_new();
    if (!enc) return bb_err(err, errlen, BB_ENOMEM, "out of memory");
    tok_options o = tok_options_default();
    if ((rc = tok_encode(cx->tok, text, -1, NULL, 0, &o, enc, err, errlen)) != BB_OK) goto done;
    if (enc->n <= maxT || stride <= 0) {
        if (enc->n > maxT && (rc = infer_encode(cx, text, NULL, enc, err, errlen)) != BB_OK) goto done;
        *truncated = enc->overflow_a;
        if ((rc = infer_run(cx, enc->ids, enc->type_ids, enc->n, err, errlen)) != BB_OK) goto done;
        pool_into(cx, layer, enc->n, pooling, 1.0f, out);
        goto done;
    }
    /* Sliding windows over the content tokens: [first] window [last] with the text's own specials. */
    int n = enc->n - 2, W = maxT - 2, nwin = 0;
    int32_t *ids = malloc(sizeof(int32_t) * (size_t)maxT);
    if (!ids) {
        rc = bb_err(err, errlen, BB_ENOMEM, "out of memory");
        goto done;
    }
    for (int s = 0;; s += stride) {
        if (s + W > n) s = n - W;
        ids[0] = enc->ids[0];
        memcpy(ids + 1, enc->ids + 1 + s, sizeof(int32_t) * (size_t)W);
        ids[W + 1] = enc->ids[enc->n - 1];
        if ((rc = infer_run(cx, ids, NULL, maxT, err, errlen)) != BB_OK) break;
        pool_into(cx, layer, maxT, pooling, 1.0f, out);
        nwin++;
        if (s + W >= n) break;
    }
    free(ids);
    for (int c = 0; c < C; c++) out[c] /= (float)(nwin ? nwin : 1);
done:
    tok_encoding_free(enc);
    return rc;
}

void infer_lens_free(infer_lens *l) {
    free(l->ids);
    free(l->probs);
    free(l->target_prob);
    memset(l, 0, sizeof *l);
}

int infer_logit_lens(infer_ctx *cx, const char *text, int position, int k, infer_lens *out, char *err,
                     size_t errlen) {
    memset(out, 0, sizeof *out);
    const bert_model *m = cx->model;
    int C = m->cfg.hidden_size, L = m->cfg.num_layers, V = m->cfg.vocab_size, rc;
    if (k < 1) k = 1;
    if (k > V) k = V;
    tok_encoding *enc = tok_encoding_new();
    float *logits = NULL;
    if (!enc) return bb_err(err, errlen, BB_ENOMEM, "out of memory");
    if ((rc = infer_encode(cx, text, NULL, enc, err, errlen)) != BB_OK) goto done;
    if (position < 0) { /* the first [MASK] */
        for (int i = 0; i < enc->n && position < 0; i++)
            if (enc->ids[i] == tok_specials(cx->tok).mask) position = i;
        if (position < 0) {
            rc = bb_err(err, errlen, BB_EINVAL, "no mask token in the text");
            goto done;
        }
    }
    if (position >= enc->n) {
        rc = bb_err(err, errlen, BB_EINVAL, "token %d: the text has %d tokens", position, enc->n);
        goto done;
    }
    if ((rc = infer_run(cx, enc->ids, enc->type_ids, enc->n, err, errlen)) != BB_OK) goto done;
    int L1 = L + 1;
    float *work = infer_work(cx, (size_t)L1 * C + bert_mlm_work_size(m, L1), err, errlen);
    logits = malloc(sizeof(float) * (size_t)L1 * V);
    out->ids = malloc(sizeof(int32_t) * (size_t)L1 * k);
    out->probs = malloc(sizeof(float) * (size_t)L1 * k);
    out->target_prob = malloc(sizeof(float) * (size_t)L1);
    if (!work || !logits || !out->ids || !out->probs || !out->target_prob) {
        rc = bb_err(err, errlen, BB_ENOMEM, "out of memory");
        goto done;
    }
    for (int l = 0; l < L1; l++)
        memcpy(work + (size_t)l * C, bert_hidden(&cx->acts, m, l) + (size_t)position * C, sizeof(float) * C);
    if ((rc = bert_mlm_logits(m, logits, work, L1, work + (size_t)L1 * C, err, errlen)) != BB_OK) goto done;
    out->L1 = L1;
    out->k = k;
    for (int l = 0; l < L1; l++) {
        float *p = logits + (size_t)l * V;
        infer_log_softmax_row(p, p, V);
        int32_t *best = out->ids + (size_t)l * k;
        int have = 0;
        for (int v = 0; v < V; v++) {
            if (have == k && p[v] <= p[best[k - 1]]) continue;
            int j = have < k ? have++ : k - 1;
            while (j > 0 && p[best[j - 1]] < p[v]) {
                best[j] = best[j - 1];
                j--;
            }
            best[j] = v;
        }
        for (int j = 0; j < k; j++) out->probs[(size_t)l * k + j] = expf(p[best[j]]);
    }
    int32_t final_top = out->ids[(size_t)L * k];
    for (int l = 0; l < L1; l++) out->target_prob[l] = expf(logits[(size_t)l * V + final_top]);
done:
    free(logits);
    tok_encoding_free(enc);
    if (rc != BB_OK) infer_lens_free(out);
    return rc;
}
