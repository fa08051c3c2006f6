/* The inference context: a model, its tokenizer, and cached activations / work space. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bb_err.h"
#include "infer.h"
#include "infer_internal.h"

int infer_wrap(infer_ctx **out, bert_model *m, tok_tokenizer *tk, char *err, size_t errlen) {
    *out = NULL;
    if (tok_vocab_size(tk) > m->cfg.vocab_size)
        return bb_err(err, errlen, BB_EINVAL, "the tokenizer has %d tokens but the model's vocabulary has %d",
                      tok_vocab_size(tk), m->cfg.vocab_size);
    infer_ctx *cx = calloc(1, sizeof *cx);
    if (!cx) return bb_err(err, errlen, BB_ENOMEM, "out of memory");
    cx->model = m;
    cx->tok = tk;
    *out = cx;
    return BB_OK;
}

int infer_open(infer_ctx **out, const char *model_dir, const char *vocab, int case_mode, char *err, size_t errlen) {
    *out = NULL;
    bert_model *m = NULL;
    tok_tokenizer *tk = NULL;
    int rc = bert_load(&m, model_dir, err, errlen);
    if (rc != BB_OK) return rc;
    if (vocab) {
        size_t n = strlen(vocab);
        if (n >= 5 && strcmp(vocab + n - 5, ".json") == 0) {
            rc = tok_load_json(&tk, vocab, err, errlen);
            if (rc == BB_OK && case_mode != TOK_CASE_AUTO) tok_set_lowercase(tk, case_mode == TOK_CASE_LOWER);
        } else {
            rc = tok_load_vocab(&tk, vocab, case_mode != TOK_CASE_CASED, err, errlen);
        }
    } else {
        rc = tok_load_dir(&tk, model_dir, case_mode, err, errlen);
    }
    if (rc == BB_OK) rc = infer_wrap(out, m, tk, err, errlen);
    if (rc != BB_OK) {
        tok_free(tk);
        bert_free(m);
        return rc;
    }
    (*out)->own_model = 1;
    return BB_OK;
}

void infer_close(infer_ctx *cx) {
    if (!cx) return;
    bert_acts_free(&cx->acts);
    free(cx->work);
    if (cx->own_model) {
        bert_free(cx->model);
        tok_free(cx->tok);
    }
    free(cx);
}

int infer_max_length(const bert_config *cfg, const tok_tokenizer *tk) {
    int tl = tk ? tok_model_max_length(tk) : 0;
    if (!cfg) return tl;
    int limit = cfg->max_position - cfg->position_offset;
    return tl > 0 && tl < limit ? tl : limit;
}

int infer_max_tokens(const infer_ctx *cx) { return infer_max_length(&cx->model->cfg, cx->tok); }

int infer_encode(infer_ctx *cx, const char *text, const char *pair, tok_encoding *enc, char *err, size_t errlen) {
    tok_options o = tok_options_default();
    o.truncation = TOK_TRUNC_LONGEST_FIRST;
    o.max_length = infer_max_tokens(cx);
    return tok_encode(cx->tok, text, -1, pair, -1, &o, enc, err, errlen);
}

int infer_ensure_acts(infer_ctx *cx, int B, int T, char *err, size_t errlen) {
    if (cx->acts.mask && cx->acts.B == B && cx->acts.T == T) return BB_OK;
    bert_acts_free(&cx->acts);
    return bert_acts_alloc(&cx->acts, cx->model, B, T, 0, err, errlen);
}

float *infer_work(infer_ctx *cx, size_t floats, char *err, size_t errlen) {
    if (floats > cx->work_cap) {
        float *w = realloc(cx->work, floats * sizeof(float));
        if (!w) {
            bb_err(err, errlen, BB_ENOMEM, "out of memory (%zu MB of work space)", floats * 4 >> 20);
            return NULL;
        }
        cx->work = w;
        cx->work_cap = floats;
    }
    return cx->work;
}

int infer_run(infer_ctx *cx, const int32_t *ids, const int32_t *type_ids, int T, char *err, size_t errlen) {
    int rc = infer_ensure_acts(cx, 1, T, err, errlen);
    if (rc != BB_OK) return rc;
    return bert_forward(cx->model, &cx->acts, ids, type_ids, NULL, 1, T, err, errlen);
}

void infer_log_softmax_row(float *out, const float *logits, int V) {
    float mx = logits[0];
    for (int i = 1; i < V; i++) mx = logits[i] > mx ? logits[i] : mx;
    double s = 0;
    for (int i = 0; i < V; i++) s += exp((double)logits[i] - mx);
    float lse = mx + (float)log(s);
    for (int i = 0; i < V; i++) out[i] = logits[i] - lse;
}
