/* Fill-mask with Hugging Face pipeline("fill-mask") semantics. Only the masked positions go through
 * the MLM head and the vocabulary projection. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bb_err.h"
#include "infer.h"
#include "infer_internal.h"

void infer_fill_free(infer_fill *f) {
    for (int m = 0; m < f->n_masks; m++) {
        for (int k = 0; k < f->masks[m].k; k++) {
            free(f->masks[m].preds[k].sequence);
            free(f->masks[m].preds[k].token_text);
        }
        free(f->masks[m].preds);
    }
    free(f->masks);
    tok_encoding_free(f->enc);
    memset(f, 0, sizeof *f);
}

/* Softmax probabilities (V) of the MLM logits at each of n positions of the last forward:
 * returns a malloc'd (n, V) array of probabilities, NULL on error. */
static float *mask_probs(infer_ctx *cx, const int *positions, int n, int T, char *err, size_t errlen) {
    const bert_model *m = cx->model;
    int C = m->cfg.hidden_size, V = m->cfg.vocab_size, L = m->cfg.num_layers;
    float *work = infer_work(cx, (size_t)n * C + bert_mlm_work_size(m, n), err, errlen);
    if (!work) return NULL;
    const float *last = bert_hidden(&cx->acts, m, L);
    for (int i = 0; i < n; i++) {
        if (positions[i] < 0 || positions[i] >= T) {
            bb_err(err, errlen, BB_EINVAL, "position %d is outside the %d tokens", positions[i], T);
            return NULL;
        }
        memcpy(work + (size_t)i * C, last + (size_t)positions[i] * C, sizeof(float) * C);
    }
    float *probs = malloc(sizeof(float) * (size_t)n * V);
    if (!probs) {
        bb_err(err, errlen, BB_ENOMEM, "out of memory for %d x %d logits", n, V);
        return NULL;
    }
    cx->last_logits_floats = (size_t)n * V;
    if (bert_mlm_logits(m, probs, work, n, work + (size_t)n * C, err, errlen) != BB_OK) {
        free(probs);
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        float *row = probs + (size_t)i * V;
        infer_log_softmax_row(row, row, V);
        for (int v = 0; v < V; v++) row[v] = expf(row[v]);
    }
    return probs;
}

/* Indices of the k largest probs among candidates (all V when cand == NULL), best first; ties keep
 * the lower id first. */
static void top_k(const float *p, const int32_t *cand, int ncand, int k, int32_t *out) {
    int have = 0;
    for (int c = 0; c < ncand; c++) {
        int32_t id = cand ? cand[c] : c;
        float v = p[id];
        if (have == k && v <= p[out[k - 1]]) continue;
        int j = have < k ? have++ : k - 1;
        while (j > 0 && p[out[j - 1]] < v) {
            out[j] = out[j - 1];
            j--;
        }
        out[j] = id;
    }
}

/* Ranks the positions into out->masks (out->enc is left as it is). */
static int fill_core(infer_ctx *cx, const int32_t *ids, const int32_t *type_ids, int T, const int *positions,
                     int n_positions, int top_k_req, const int32_t *target_ids, int n_targets, infer_fill *out,
                     char *err, size_t errlen) {
    int V = cx->model->cfg.vocab_size;
    int rc = infer_run(cx, ids, type_ids, T, err, errlen);
    if (rc != BB_OK) return rc;
    float *probs = mask_probs(cx, positions, n_positions, T, err, errlen);
    if (!probs) return BB_ENOMEM;
    int k = top_k_req < 1 ? 1 : top_k_req;
    if (n_targets > 0 && k > n_targets) k = n_targets;
    if (k > V) k = V;
    out->masks = calloc((size_t)n_positions, sizeof *out->masks);
    int32_t *seq = malloc(sizeof(int32_t) * (size_t)T), *best = malloc(sizeof(int32_t) * (size_t)k);
    if (!out->masks || !seq || !best) {
        rc = bb_err(err, errlen, BB_ENOMEM, "out of memory");
        goto done;
    }
    for (int i = 0; i < n_positions; i++) {
        infer_mask *mk = &out->masks[i];
        mk->position = positions[i];
        mk->preds = calloc((size_t)k, sizeof *mk->preds);
        if (!mk->preds) {
            rc = bb_err(err, errlen, BB_ENOMEM, "out of memory");
            goto done;
        }
        out->n_masks++;
        const float *p = probs + (size_t)i * V;
        top_k(p, target_ids, n_targets > 0 ? n_targets : V, k, best);
        for (int j = 0; j < k; j++) {
            infer_pred *pr = &mk->preds[j];
            pr->token = best[j];
            pr->token_str = tok_id_to_token(cx->tok, best[j]);
            pr->score = p[best[j]];
            pr->token_text = tok_decode_dup(cx->tok, &best[j], 1, 0);
            memcpy(seq, ids, sizeof(int32_t) * (size_t)T);
            seq[positions[i]] = best[j];
            pr->sequence = tok_decode_dup(cx->tok, seq, T, 1);
            mk->k++;
            if (!pr->token_text || !pr->sequence) {
                rc = bb_err(err, errlen, BB_ENOMEM, "out of memory");
                goto done;
            }
            /* HF's pipeline decodes with clean_up_tokenization_spaces: "i don't know", not "i don ' t know" */
            if (tok_clean_up_spaces(cx->tok)) tok_clean_up_tokenization(pr->sequence);
        }
    }
done:
    free(seq);
    free(best);
    free(probs);
    return rc;
}

int infer_fill_positions(infer_ctx *cx, const int32_t *ids, const int32_t *type_ids, int T, const int *positions,
                         int n_positions, int top_k_req, const int32_t *target_ids, int n_targets, infer_fill *out,
                         char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    int rc = fill_core(cx, ids, type_ids, T, positions, n_positions, top_k_req, target_ids, n_targets, out, err, errlen);
    if (rc != BB_OK) infer_fill_free(out);
    return rc;
}

/* HF's get_target_ids: a word in the vocabulary is used as is; otherwise its first token, with a warning;
 * duplicates removed. Returns the count (0 with a message when none is usable). */
static int target_ids(infer_ctx *cx, const char *const *targets, int n, int32_t *ids, char *warn, size_t warnlen,
                      char *err, size_t errlen) {
    tok_encoding *enc = tok_encoding_new();
    tok_options o = tok_options_default();
    o.add_special_tokens = 0;
    int count = 0;
    size_t wl = strlen(warn);
    for (int i = 0; enc && i < n; i++) {
        int32_t id = tok_token_to_id(cx->tok, targets[i]);
        if (id < 0) {
            if (tok_encode(cx->tok, targets[i], -1, NULL, 0, &o, enc, err, errlen) != BB_OK) break;
            if (enc->n == 0) {
                wl += (size_t)snprintf(warn + wl, wl < warnlen ? warnlen - wl : 0,
                                       "%sthe target `%s` gives no token; ignoring it", wl ? "; " : "", targets[i]);
                continue;
            }
            id = enc->ids[0];
            wl += (size_t)snprintf(warn + wl, wl < warnlen ? warnlen - wl : 0,
                                   "%sthe target `%s` is not in the vocabulary; using its first token `%s`",
                                   wl ? "; " : "", targets[i], tok_id_to_token(cx->tok, id));
        }
        int dup = 0;
        for (int j = 0; j < count && !dup; j++) dup = ids[j] == id;
        if (!dup) ids[count++] = id;
    }
    tok_encoding_free(enc);
    if (count == 0) bb_err(err, errlen, BB_EINVAL, "none of the %d targets gives a token", n);
    return count;
}

/* Encodes text and finds its [MASK] positions (malloc'd into *pos). */
static int encode_masks(infer_ctx *cx, const char *text, infer_fill *out, int **pos, int *npos, char *err,
                        size_t errlen) {
    memset(out, 0, sizeof *out);
    out->enc = tok_encoding_new();
    if (!out->enc) return bb_err(err, errlen, BB_ENOMEM, "out of memory");
    int rc = infer_encode(cx, text, NULL, out->enc, err, errlen);
    if (rc != BB_OK) return rc;
    out->truncated = out->enc->overflow_a;
    int32_t mask = tok_specials(cx->tok).mask;
    if (mask < 0) return bb_err(err, errlen, BB_EINVAL, "the tokenizer has no mask token");
    *pos = malloc(sizeof(int) * (size_t)out->enc->n);
    if (!*pos) return bb_err(err, errlen, BB_ENOMEM, "out of memory");
    *npos = 0;
    for (int i = 0; i < out->enc->n; i++)
        if (out->enc->ids[i] == mask) (*pos)[(*npos)++] = i;
    if (*npos == 0)
        return bb_err(err, errlen, BB_EINVAL, "no %s token in the text%s", tok_id_to_token(cx->tok, mask),
                      out->truncated ? " (after truncation to the model's length)" : "");
    return BB_OK;
}

int infer_fill_mask(infer_ctx *cx, const char *text, int top_k_req, const char *const *targets, int n_targets,
                    infer_fill *out, char *err, size_t errlen) {
    int *pos = NULL, npos = 0;
    int32_t *tids = NULL;
    int rc = encode_masks(cx, text, out, &pos, &npos, err, errlen);
    if (rc == BB_OK && n_targets > 0) {
        tids = malloc(sizeof(int32_t) * (size_t)n_targets);
        if (!tids) rc = bb_err(err, errlen, BB_ENOMEM, "out of memory");
        else if ((n_targets = target_ids(cx, targets, n_targets, tids, out->warning, sizeof out->warning, err, errlen)) == 0)
            rc = BB_EINVAL;
    }
    if (rc == BB_OK)
        rc = fill_core(cx, out->enc->ids, out->enc->type_ids, out->enc->n, pos, npos, top_k_req, tids, n_targets, out,
                       err, errlen);
    free(pos);
    free(tids);
    if (rc != BB_OK) infer_fill_free(out);
    return rc;
}

int infer_word_rank(infer_ctx *cx, const char *text, int mask_index, const char *word, int *rank, float *prob,
                    char *err, size_t errlen) {
    infer_fill f;
    int *pos = NULL, npos = 0;
    int32_t id;
    char warn[256] = "";
    int rc = encode_masks(cx, text, &f, &pos, &npos, err, errlen);
    if (rc == BB_OK && (mask_index < 0 || mask_index >= npos))
        rc = bb_err(err, errlen, BB_EINVAL, "mask %d does not exist (the text has %d)", mask_index, npos);
    if (rc == BB_OK && target_ids(cx, &word, 1, &id, warn, sizeof warn, err, errlen) != 1) rc = BB_EINVAL;
    if (rc == BB_OK) rc = infer_run(cx, f.enc->ids, f.enc->type_ids, f.enc->n, err, errlen);
    if (rc == BB_OK) {
        float *p = mask_probs(cx, &pos[mask_index], 1, f.enc->n, err, errlen);
        if (!p) {
            rc = BB_ENOMEM;
        } else {
            int above = 0;
            for (int v = 0; v < cx->model->cfg.vocab_size; v++) above += p[v] > p[id];
            *rank = above + 1;
            *prob = p[id];
            free(p);
        }
    }
    free(pos);
    infer_fill_free(&f);
    return rc;
}
