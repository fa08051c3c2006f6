/* The logit lens over every token at once (infer.h): the MLM head read at each layer's output for each
 * position, keeping the top token and its probability, as Ecco's grid for GPT models. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bb_err.h"
#include "infer.h"
#include "infer_internal.h"

enum { LENS_ROWS = 64 }; /* positions through the MLM head at once: logits stay (64, V) */

void infer_lens_grid_free(infer_lens_grid *g) {
    free(g->ids);
    free(g->probs);
    tok_encoding_free(g->enc);
    memset(g, 0, sizeof *g);
}

int infer_logit_lens_grid(infer_ctx *cx, const char *text, const char *pair, infer_lens_grid *out, char *err,
                          size_t errlen) {
    memset(out, 0, sizeof *out);
    const bert_model *m = cx->model;
    int C = m->cfg.hidden_size, L1 = m->cfg.num_layers + 1, V = m->cfg.vocab_size, rc;
    float *logits = NULL;
    if (!(out->enc = tok_encoding_new())) return bb_err(err, errlen, BB_ENOMEM, "out of memory");
    if ((rc = infer_encode(cx, text, pair, out->enc, err, errlen)) != BB_OK) goto done;
    int T = out->enc->n;
    if ((rc = infer_run(cx, out->enc->ids, out->enc->type_ids, T, err, errlen)) != BB_OK) goto done;
    int rows = T < LENS_ROWS ? T : LENS_ROWS;
    float *work = infer_work(cx, (size_t)rows * C + bert_mlm_work_size(m, rows), err, errlen);
    logits = malloc(sizeof(float) * (size_t)rows * V);
    out->ids = malloc(sizeof(int32_t) * (size_t)L1 * T);
    out->probs = malloc(sizeof(float) * (size_t)L1 * T);
    if (!work || !logits || !out->ids || !out->probs) {
        rc = bb_err(err, errlen, BB_ENOMEM, "out of memory");
        goto done;
    }
    out->L1 = L1, out->T = T;
    for (int l = 0; l < L1; l++) {
        const float *h = bert_hidden(&cx->acts, m, l); /* (T, C) of the one sequence */
        for (int t0 = 0; t0 < T; t0 += rows) {
            int n = T - t0 < rows ? T - t0 : rows;
            memcpy(work, h + (size_t)t0 * C, sizeof(float) * (size_t)n * C);
            if ((rc = bert_mlm_logits(m, logits, work, n, work + (size_t)rows * C, err, errlen)) != BB_OK) goto done;
            for (int i = 0; i < n; i++) {
                const float *p = logits + (size_t)i * V;
                int best = 0;
                for (int v = 1; v < V; v++)
                    if (p[v] > p[best]) best = v;
                double z = 0; /* softmax of the best: 1 / sum exp(p - p[best]) */
                for (int v = 0; v < V; v++) z += exp((double)p[v] - (double)p[best]);
                out->ids[(size_t)l * T + t0 + i] = best;
                out->probs[(size_t)l * T + t0 + i] = (float)(1.0 / z);
            }
        }
    }
done:
    free(logits);
    if (rc != BB_OK) infer_lens_grid_free(out);
    return rc;
}
