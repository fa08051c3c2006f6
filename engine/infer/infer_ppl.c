/* Pseudo-perplexity (Salazar et al. 2020): mask each token in turn, score the true token, batch the
 * masked copies. */
#include <stdlib.h>
#include <string.h>

#include "bb_err.h"
#include "infer.h"
#include "infer_internal.h"

enum { PPL_BATCH = 16 };

void infer_ppl_free(infer_ppl *p) {
    tok_encoding_free(p->enc);
    free(p->positions);
    free(p->logprob);
    free(p->surprisal);
    memset(p, 0, sizeof *p);
}

/* Scores the tokens at idx[0..n) of window ids (T tokens): logprob[i] for each. bw: cancel between
 * batches, progress ("tokens", *done + scored, total) after each. */
static int score_window(infer_ctx *cx, const int32_t *ids, int T, const int *idx, int n, float *logprob,
                        bb_work *bw, long *done, long total, char *err, size_t errlen) {
    const bert_model *m = cx->model;
    int C = m->cfg.hidden_size, V = m->cfg.vocab_size, mask = tok_specials(cx->tok).mask;
    int32_t *batch = malloc(sizeof(int32_t) * (size_t)PPL_BATCH * T);
    float *logits = malloc(sizeof(float) * (size_t)PPL_BATCH * V);
    int rc = batch && logits ? BB_OK : bb_err(err, errlen, BB_ENOMEM, "out of memory");
    for (int s = 0; s < n && rc == BB_OK; s += PPL_BATCH) {
        int B = n - s < PPL_BATCH ? n - s : PPL_BATCH;
        if ((rc = bb_work_check(bw, "pseudo-perplexity", err, errlen)) != BB_OK) break;
        for (int b = 0; b < B; b++) {
            memcpy(batch + (size_t)b * T, ids, sizeof(int32_t) * (size_t)T);
            batch[(size_t)b * T + idx[s + b]] = mask;
        }
        if ((rc = infer_ensure_acts(cx, B, T, err, errlen)) != BB_OK) break;
        if ((rc = bert_forward(m, &cx->acts, batch, NULL, NULL, B, T, err, errlen)) != BB_OK) break;
        float *work = infer_work(cx, (size_t)B * C + bert_mlm_work_size(m, B), err, errlen);
        if (!work) {
            rc = BB_ENOMEM;
            break;
        }
        const float *last = bert_hidden(&cx->acts, m, m->cfg.num_layers);
        for (int b = 0; b < B; b++)
            memcpy(work + (size_t)b * C, last + ((size_t)b * T + idx[s + b]) * C, sizeof(float) * C);
        if ((rc = bert_mlm_logits(m, logits, work, B, work + (size_t)B * C, err, errlen)) != BB_OK) break;
        for (int b = 0; b < B; b++) {
            float *row = logits + (size_t)b * V;
            infer_log_softmax_row(row, row, V);
            logprob[s + b] = row[ids[idx[s + b]]];
        }
        *done += B;
        bb_work_progress(bw, "tokens", *done, total);
    }
    free(batch);
    free(logits);
    return rc;
}

/* A text longer than the model (maxT tokens): windows of W = maxT - 2 content tokens advancing by stride;
 * each token is scored in the window where it sits farthest from an edge, so it sees the most context
 * on both sides. */
static int score_windows(infer_ctx *cx, infer_ppl *out, int maxT, int stride, bb_work *bw, long *done, char *err,
                         size_t errlen) {
    const tok_encoding *e = out->enc;
    int32_t *win = malloc(sizeof(int32_t) * (size_t)maxT);
    int *idx = malloc(sizeof(int) * (size_t)maxT), *tix = malloc(sizeof(int) * (size_t)maxT);
    int rc = win && idx && tix ? BB_OK : bb_err(err, errlen, BB_ENOMEM, "out of memory");
    int n = e->n - 2, W = maxT - 2, nw = (n - W + stride - 1) / stride + 1;
    for (int w = 0; w < nw && rc == BB_OK; w++) {
        int s = w * stride < n - W ? w * stride : n - W, k = 0;
        for (int t = 0; t < out->n; t++) {
            int c = out->positions[t] - 1, best = -1, bestd = -1;
            for (int v = 0; v < nw; v++) {
                int sv = v * stride < n - W ? v * stride : n - W;
                if (c < sv || c >= sv + W) continue;
                int d = c - sv < sv + W - 1 - c ? c - sv : sv + W - 1 - c;
                if (d > bestd) bestd = d, best = v;
            }
            if (best == w) {
                tix[k] = t;
                idx[k++] = c - s + 1;
            }
        }
        win[0] = e->ids[0];
        memcpy(win + 1, e->ids + 1 + s, sizeof(int32_t) * (size_t)W);
        win[W + 1] = e->ids[e->n - 1];
        float *lp = malloc(sizeof(float) * (size_t)(k ? k : 1));
        if (!lp) {
            rc = bb_err(err, errlen, BB_ENOMEM, "out of memory");
            break;
        }
        rc = score_window(cx, win, maxT, idx, k, lp, bw, done, out->n, err, errlen);
        for (int j = 0; j < k && rc == BB_OK; j++) out->logprob[tix[j]] = lp[j];
        free(lp);
    }
    free(win);
    free(idx);
    free(tix);
    return rc;
}

int infer_pseudo_perplexity(infer_ctx *cx, const char *text, int stride, infer_ppl *out, bb_work *work, char *err,
                            size_t errlen) {
    memset(out, 0, sizeof *out);
    int maxT = infer_max_tokens(cx), rc;
    if (tok_specials(cx->tok).mask < 0) return bb_err(err, errlen, BB_EINVAL, "the tokenizer has no mask token");
    out->enc = tok_encoding_new();
    if (!out->enc) return bb_err(err, errlen, BB_ENOMEM, "out of memory");
    tok_options o = tok_options_default();
    out->enc->work = work;
    rc = tok_encode(cx->tok, text, -1, NULL, 0, &o, out->enc, err, errlen);
    out->enc->work = NULL; /* the result outlives the caller's work */
    if (rc != BB_OK) goto fail;
    if (out->enc->n > maxT && stride <= 0) {
        if ((rc = infer_encode(cx, text, NULL, out->enc, err, errlen)) != BB_OK) goto fail;
        out->truncated = out->enc->overflow_a;
    }
    tok_encoding *e = out->enc;
    out->positions = malloc(sizeof(int) * (size_t)e->n);
    out->logprob = malloc(sizeof(float) * (size_t)e->n);
    out->surprisal = malloc(sizeof(float) * (size_t)e->n);
    if (!out->positions || !out->logprob || !out->surprisal) {
        rc = bb_err(err, errlen, BB_ENOMEM, "out of memory");
        goto fail;
    }
    for (int i = 0; i < e->n; i++)
        if (e->special[i] == TOK_TEXT) out->positions[out->n++] = i;
    long done = 0;
    bb_work_progress(work, "tokens", 0, out->n);
    if (e->n <= maxT)
        rc = score_window(cx, e->ids, e->n, out->positions, out->n, out->logprob, work, &done, out->n, err, errlen);
    else
        rc = score_windows(cx, out, maxT, stride, work, &done, err, errlen);
    if (rc != BB_OK) goto fail;
    double sum = 0;
    for (int t = 0; t < out->n; t++) {
        sum += out->logprob[t];
        out->surprisal[t] = (float)(-out->logprob[t] / log(2.0));
    }
    out->pppl = out->n ? exp(-sum / out->n) : 0;
    return BB_OK;
fail:
    infer_ppl_free(out);
    return rc;
}
