#include <math.h>
#include "bert.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "bb_err.h"
#include "bert_names.h"
#include "st.h"

static const char *const field_names[BERT_NPARAMS] = {
    "wte", "wpe", "wtt", "emb_lnw", "emb_lnb", "qkvw", "qkvb", "attprojw", "attprojb", "ln1w",
    "ln1b", "fcw", "fcb", "fcprojw", "fcprojb", "ln2w", "ln2b", "poolw", "poolb", "mlmw",
    "mlmb", "mlm_lnw", "mlm_lnb", "mlm_bias", "mlm_dec", "nspw", "nspb", "clsw", "clsb",
};

const char *bert_param_field_name(int i) { return i >= 0 && i < BERT_NPARAMS ? field_names[i] : NULL; }

void bert_param_sizes(size_t *s, const bert_config *cfg, int has_pooler, int has_mlm, int has_nsp,
                      int tied_decoder, int num_labels) {
    size_t V = (size_t)cfg->vocab_size, C = (size_t)cfg->hidden_size, L = (size_t)cfg->num_layers,
           I = (size_t)cfg->intermediate_size, P = (size_t)cfg->max_position,
           TV = (size_t)(cfg->type_vocab_size > 0 ? cfg->type_vocab_size : 1);
    size_t sizes[BERT_NPARAMS] = {
        V * C, P * C, TV * C, C, C,              /* embeddings */
        L * 3 * C * C, L * 3 * C, L * C * C, L * C, L * C, L * C, /* attention */
        L * I * C, L * I, L * C * I, L * C, L * C, L * C,         /* feed-forward */
        has_pooler ? C * C : 0, has_pooler ? C : 0,
        has_mlm ? C * C : 0, has_mlm ? C : 0, has_mlm ? C : 0, has_mlm ? C : 0, has_mlm ? V : 0,
        has_mlm && !tied_decoder ? V * C : 0,
        has_nsp ? 2 * C : 0, has_nsp ? 2 : 0,
        (size_t)num_labels * C, (size_t)num_labels,
    };
    memcpy(s, sizes, sizeof sizes);
}

void bert_params_point(bert_params *p, float *memory, const size_t *sizes) {
    float **ptrs = (float **)p;
    for (int i = 0; i < BERT_NPARAMS; i++) {
        ptrs[i] = sizes[i] ? memory : NULL;
        memory += sizes[i];
    }
}

size_t bert_encoder_param_count(const bert_config *cfg, int with_pooler) {
    size_t s[BERT_NPARAMS], n = 0;
    bert_param_sizes(s, cfg, with_pooler, 0, 0, 1, 0);
    for (int i = 0; i < BERT_NPARAMS; i++) n += s[i];
    if (cfg->type_vocab_size == 0) n -= (size_t)cfg->hidden_size; /* the zero row DistilBERT does not have */
    return n;
}

int bert_count_params(bert_model *m, int num_labels, char *err, size_t errlen) {
    bert_param_sizes(m->param_sizes, &m->cfg, m->has_pooler, m->has_mlm, m->has_nsp, m->tied_decoder, num_labels);
    size_t n = 0;
    for (int i = 0; i < BERT_NPARAMS; i++) {
        if (m->param_sizes[i] > SIZE_MAX / sizeof(float) - n) return bb_err(err, errlen, BB_ENOMEM, "model too large");
        n += m->param_sizes[i];
    }
    m->num_params = n;
    return BB_OK;
}

/* Allocates the flat parameter buffer for the current flags and points the fields into it. */
static int alloc_params(bert_model *m, int num_labels, char *err, size_t errlen) {
    int rc = bert_count_params(m, num_labels, err, errlen);
    if (rc != BB_OK) return rc;
    size_t n = m->num_params;
    float *mem = calloc(n ? n : 1, sizeof(float));
    if (!mem)
        return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory for %zu parameters (%.1f GB)",
                      m->dir[0] ? m->dir : "model", n, (double)n * 4 / 1e9);
    free(m->params_memory);
    m->params_memory = mem;
    bert_params_point(&m->params, mem, m->param_sizes);
    return BB_OK;
}

void bert_free(bert_model *m) {
    if (!m) return;
    free(m->params_memory);
    free(m->converted);
    free(m->layers);
    st_close(m->weights);
    bert_config_free(&m->cfg);
    free(m);
}

static void init_normal(float *p, size_t n, float std, bb_rng *rng) {
    for (size_t i = 0; i < n; i++) p[i] = std * bb_rng_normal(rng);
}

int bert_set_head(bert_model *m, bert_head kind, int num_labels, bb_rng *rng, char *err, size_t errlen) {
    if (num_labels < 1) return bb_err(err, errlen, BB_EINVAL, "num_labels must be >= 1 (got %d)", num_labels);
    int rc = bert_own_params(m, err, errlen); /* a head is for training, which needs the flat buffer */
    if (rc != BB_OK) return rc;
    bert_model copy = *m;
    copy.params_memory = NULL;
    /* Sequence classification reads the pooler; a checkpoint without one (every BertForMaskedLM save)
     * gets a fresh one, as transformers creates the weights the checkpoint lacks. */
    int new_pooler = kind == BERT_HEAD_SEQCLS && !m->has_pooler;
    if (new_pooler) copy.has_pooler = 1;
    rc = alloc_params(&copy, kind == BERT_HEAD_NONE ? 0 : num_labels, err, errlen);
    if (rc != BB_OK) return rc;
    /* Fields that keep their size keep their values; the others start from HF's init. */
    float **from = (float **)&m->params, **to = (float **)&copy.params;
    for (int i = 0; i < BERT_NPARAMS; i++)
        if (copy.param_sizes[i] == m->param_sizes[i] && i != BERT_P_CLSW && i != BERT_P_CLSB && copy.param_sizes[i])
            memcpy(to[i], from[i], copy.param_sizes[i] * sizeof(float));
    if (new_pooler) init_normal(copy.params.poolw, copy.param_sizes[BERT_P_POOLW], m->cfg.initializer_range, rng);
    if (kind != BERT_HEAD_NONE) init_normal(copy.params.clsw, copy.param_sizes[BERT_P_CLSW], m->cfg.initializer_range, rng);
    free(m->params_memory);
    *m = copy;
    m->head = kind;
    if (kind != BERT_HEAD_NONE) m->cfg.num_labels = num_labels;
    return BB_OK;
}

void bert_init_positions_sinusoidal(bert_model *m) {
    int P = m->cfg.max_position, H = m->cfg.hidden_size;
    float scale = m->cfg.initializer_range * sqrtf(2.0f);
    for (int p = 0; p < P; p++)
        for (int i = 0; i < H; i++) {
            double angle = p / pow(10000.0, (double)(i & ~1) / H);
            m->params.wpe[(size_t)p * H + i] = scale * (float)(i % 2 ? cos(angle) : sin(angle));
        }
}

int bert_create(bert_model **out, const bert_config *cfg, uint64_t seed, char *err, size_t errlen) {
    *out = NULL;
    bert_model *m = calloc(1, sizeof *m);
    if (!m) return bb_err(err, errlen, BB_ENOMEM, "out of memory");
    m->cfg = *cfg;
    m->cfg.json = cfg->json ? cJSON_Duplicate(cfg->json, 1) : NULL;
    m->cfg.id2label = NULL;
    int rc = BB_OK;
    if (cfg->id2label &&
        (rc = bert_config_set_labels(&m->cfg, cfg->num_labels, (const char *const *)cfg->id2label, err, errlen)))
        goto fail;
    m->has_pooler = m->has_mlm = m->has_nsp = m->tied_decoder = 1;
    if ((rc = alloc_params(m, 0, err, errlen)) != BB_OK) goto fail;
    bb_rng rng;
    bb_rng_seed(&rng, seed);
    float std = cfg->initializer_range;
    bert_params *p = &m->params;
    float **ptrs = (float **)p;
    /* HF _init_weights: Linear/Embedding weights ~ N(0, std), biases 0, LayerNorm weight 1 bias 0;
     * the embedding row of pad_token_id is zeroed. */
    const int weights[] = {BERT_P_WTE, BERT_P_WPE, BERT_P_WTT, BERT_P_QKVW, BERT_P_ATTPROJW, BERT_P_FCW,
                           BERT_P_FCPROJW, BERT_P_POOLW, BERT_P_MLMW, BERT_P_NSPW};
    for (size_t i = 0; i < sizeof weights / sizeof *weights; i++)
        init_normal(ptrs[weights[i]], m->param_sizes[weights[i]], std, &rng);
    const int ones[] = {BERT_P_EMB_LNW, BERT_P_LN1W, BERT_P_LN2W, BERT_P_MLM_LNW};
    for (size_t i = 0; i < sizeof ones / sizeof *ones; i++)
        for (size_t j = 0; j < m->param_sizes[ones[i]]; j++) ptrs[ones[i]][j] = 1.0f;
    memset(p->wte + (size_t)cfg->pad_token_id * cfg->hidden_size, 0, sizeof(float) * (size_t)cfg->hidden_size);
    *out = m;
    return BB_OK;
fail:
    bert_free(m);
    return rc;
}
