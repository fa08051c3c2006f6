/* The inference context: a model, its tokenizer, and cached activations / work space. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bb_err.h"
#include "infer.h"
#include "infer_internal.h"

int infer_check_tokenizer(const bert_model *m, const tok_tokenizer *tk, const tok_tokenizer *own, char *why,
                          size_t whylen) {
    int V = m->cfg.vocab_size, n = tok_vocab_size(tk);
    if (n > V)
        return bb_err(why, whylen, BB_EINVAL, "the tokenizer has %d tokens but the model's embedding only %d", n, V);
    tok_special_ids sp = tok_specials(tk);
    const char *missing = sp.cls < 0 ? "[CLS] (<s>)" : sp.sep < 0 ? "[SEP] (</s>)" : sp.mask < 0 ? "[MASK] (<mask>)"
                          : sp.pad < 0 ? "[PAD] (<pad>)" : NULL;
    if (missing) return bb_err(why, whylen, BB_EINVAL, "the tokenizer has no %s token for the model", missing);
    if (sp.pad != m->cfg.pad_token_id)
        return bb_err(why, whylen, BB_EINVAL, "the tokenizer pads with id %d but the model's pad_token_id is %d", sp.pad,
                      m->cfg.pad_token_id);
    if (!own) return BB_OK;
    int n_own = tok_vocab_size(own);
    if (n != n_own)
        return bb_err(why, whylen, BB_EINVAL, "the tokenizer has %d tokens, the model's own tokenizer %d", n, n_own);
    int differ = 0, first = -1;
    for (int id = 0; id < n; id++) {
        const char *a = tok_id_to_token(tk, id), *b = tok_id_to_token(own, id);
        if (a == b || (a && b && strcmp(a, b) == 0)) continue;
        if (first < 0) first = id;
        differ++;
    }
    if (differ) {
        const char *a = tok_id_to_token(tk, first), *b = tok_id_to_token(own, first);
        return bb_err(why, whylen, BB_EINVAL, "%d of its %d ids are other tokens than in the model's own tokenizer "
                      "(id %d is '%.30s', not '%.30s')", differ, n, first, a ? a : "", b ? b : "");
    }
    return BB_OK;
}

int infer_wrap(infer_ctx **out, bert_model *m, tok_tokenizer *tk, char *err, size_t errlen) {
    *out = NULL;
    char why[256];
    if (infer_check_tokenizer(m, tk, NULL, why, sizeof why) != BB_OK)
        return bb_err(err, errlen, BB_EINVAL, "tokenizer does not match the model: %s", why);
    infer_ctx *cx = calloc(1, sizeof *cx);
    if (!cx) return bb_err(err, errlen, BB_ENOMEM, "out of memory");
    cx->model = m;
    cx->tok = tk;
    *out = cx;
    return BB_OK;
}

/* The tokenizer loads on a thread of its own while the model loads on the caller's: each takes ~2 ms
 * of the bundled model's `attention` (the model's time is its mapping's first touch and the scan for
 * non-finite weights), so a one-shot command starts sooner by one of them on a machine with a core to
 * spare. */
typedef struct {
    const char *path;
    int case_mode;
    tok_tokenizer *tk;
    int rc;
    char *err;
    size_t errlen;
} tok_job;

static void *load_tokenizer(void *arg) {
    tok_job *j = arg;
    j->rc = tok_load_any(&j->tk, j->path, j->case_mode, j->err, j->errlen);
    return NULL;
}

int infer_open(infer_ctx **out, const char *model_dir, const char *vocab, int case_mode, char *err, size_t errlen) {
    *out = NULL;
    bert_model *m = NULL;
    tok_tokenizer *own = NULL;
    tok_job job = {vocab ? vocab : model_dir, case_mode, NULL, BB_OK, err && errlen ? malloc(errlen) : NULL,
                   err ? errlen : 0};
    if (err && errlen && !job.err) return bb_err(err, errlen, BB_ENOMEM, "out of memory");
    pthread_t th;
    int threaded = pthread_create(&th, NULL, load_tokenizer, &job) == 0;
    int rc = bert_load_mapped(&m, model_dir, err, errlen);
    if (threaded) pthread_join(th, NULL);
    else if (rc == BB_OK) load_tokenizer(&job);
    tok_tokenizer *tk = job.tk;
    if (rc == BB_OK && job.rc != BB_OK) {
        rc = job.rc;
        if (err && errlen) snprintf(err, errlen, "%s", job.err);
    }
    free(job.err);
    if (rc == BB_OK && vocab) {
        /* An override is compared with the model's own tokenizer when the directory has one. */
        char ignored[256], why[256];
        if (tok_load_dir(&own, model_dir, TOK_CASE_AUTO, ignored, sizeof ignored) != BB_OK) own = NULL;
        if (infer_check_tokenizer(m, tk, own, why, sizeof why) != BB_OK)
            rc = bb_err(err, errlen, BB_EINVAL, "%s: tokenizer does not match the model %s: %s", vocab, model_dir, why);
        tok_free(own);
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
