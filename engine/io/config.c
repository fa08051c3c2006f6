#include "config.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomic_file.h"
#include "bb_err.h"
#include "bb_file.h"
#include "bb_json.h"

static const struct {
    const char *name;
    bb_act act;
} acts[] = {
    {"gelu", BB_ACT_GELU},           {"gelu_new", BB_ACT_GELU_TANH}, {"gelu_pytorch_tanh", BB_ACT_GELU_TANH},
    {"gelu_fast", BB_ACT_GELU_TANH}, {"relu", BB_ACT_RELU},
};

const char *bert_act_name(bb_act act) {
    switch (act) {
    case BB_ACT_GELU: return "gelu";
    case BB_ACT_GELU_TANH: return "gelu_new";
    case BB_ACT_RELU: return "relu";
    }
    return "gelu";
}

void bert_config_default(bert_config *cfg, int vocab, int hidden, int layers, int heads, int intermediate,
                         int max_position) {
    memset(cfg, 0, sizeof *cfg);
    cfg->family = BERT_FAMILY_BERT;
    cfg->vocab_size = vocab;
    cfg->hidden_size = hidden;
    cfg->num_layers = layers;
    cfg->num_heads = heads;
    cfg->intermediate_size = intermediate;
    cfg->max_position = max_position;
    cfg->type_vocab_size = 2;
    cfg->act = BB_ACT_GELU;
    cfg->layer_norm_eps = 1e-12f;
    cfg->hidden_dropout = 0.1f;
    cfg->attn_dropout = 0.1f;
    cfg->classifier_dropout = -1;
    cfg->initializer_range = 0.02f;
    cfg->num_labels = 2;
}

/* Reads an integer key; absent keys keep *out. */
static int get_int(const cJSON *root, const char *key, int *out, int minval, const char *src, char *err,
                   size_t errlen) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!v || cJSON_IsNull(v)) return BB_OK;
    /* Range first: converting inf or 1e300 to an integer type is undefined behaviour. */
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= minval && v->valuedouble <= 1e9) ||
        v->valuedouble != (double)(long long)v->valuedouble)
        return bb_err(err, errlen, BB_EFORMAT, "%s: \"%s\" must be an integer >= %d", src, key, minval);
    *out = (int)v->valuedouble;
    return BB_OK;
}

static int get_float(const cJSON *root, const char *key, float *out, float minval, float maxval, const char *src,
                     char *err, size_t errlen) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!v || cJSON_IsNull(v)) return BB_OK;
    if (!cJSON_IsNumber(v) || !(v->valuedouble >= minval && v->valuedouble <= maxval))
        return bb_err(err, errlen, BB_EFORMAT, "%s: \"%s\" must be a number in [%g, %g]", src, key, minval,
                      maxval);
    *out = (float)v->valuedouble;
    return BB_OK;
}

static int free_labels(bert_config *cfg) {
    if (cfg->id2label)
        for (int i = 0; i < cfg->num_labels; i++) free(cfg->id2label[i]);
    free(cfg->id2label);
    cfg->id2label = NULL;
    return 0;
}

int bert_config_set_labels(bert_config *cfg, int n, const char *const *labels, char *err, size_t errlen) {
    char **copy = calloc((size_t)n, sizeof *copy);
    if (!copy) return bb_err(err, errlen, BB_ENOMEM, "label map: out of memory");
    for (int i = 0; i < n; i++)
        if (!(copy[i] = strdup(labels[i]))) {
            for (int j = 0; j < i; j++) free(copy[j]);
            free(copy);
            return bb_err(err, errlen, BB_ENOMEM, "label map: out of memory");
        }
    free_labels(cfg);
    cfg->id2label = copy;
    cfg->num_labels = n;
    return BB_OK;
}

static int parse_labels(bert_config *cfg, const cJSON *root, const char *src, char *err, size_t errlen) {
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(root, "id2label");
    if (!m || cJSON_IsNull(m)) return BB_OK;
    if (!cJSON_IsObject(m)) return bb_err(err, errlen, BB_EFORMAT, "%s: \"id2label\" must be an object", src);
    int n = cJSON_GetArraySize(m);
    if (n < 1 || n > 100000) return bb_err(err, errlen, BB_EFORMAT, "%s: \"id2label\" has %d entries", src, n);
    char **labels = calloc((size_t)n, sizeof *labels);
    if (!labels) return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", src);
    const cJSON *e;
    int rc = BB_OK;
    cJSON_ArrayForEach(e, m) {
        char *end;
        errno = 0;
        long id = strtol(e->string, &end, 10);
        if (errno || *end || end == e->string || id < 0 || id >= n || !cJSON_IsString(e) || labels[id]) {
            rc = bb_err(err, errlen, BB_EFORMAT,
                        "%s: \"id2label\" key \"%s\" must be a distinct id in 0..%d with a string label", src,
                        e->string, n - 1);
            break;
        }
        if (!(labels[id] = strdup(e->valuestring))) {
            rc = bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", src);
            break;
        }
    }
    if (rc != BB_OK) {
        for (int i = 0; i < n; i++) free(labels[i]);
        free(labels);
        return rc;
    }
    free_labels(cfg);
    cfg->id2label = labels;
    cfg->num_labels = n;
    return BB_OK;
}

int bert_config_parse(bert_config *cfg, const char *text, size_t len, const char *src, char *err,
                      size_t errlen) {
    bert_config_default(cfg, 30522, 768, 12, 12, 3072, 512);
    cJSON *root;
    int rc = bb_json_parse(&root, text, len, src, err, errlen);
    if (rc != BB_OK) return rc;
    if (!cJSON_IsObject(root)) {
        rc = bb_err(err, errlen, BB_EFORMAT, "%s: not a JSON object", src);
        goto fail;
    }
    const cJSON *mt = cJSON_GetObjectItemCaseSensitive(root, "model_type");
    if (mt && !cJSON_IsString(mt)) {
        rc = bb_err(err, errlen, BB_EFORMAT, "%s: \"model_type\" must be a string", src);
        goto fail;
    }
    const char *type = mt ? mt->valuestring : "bert";
    if (strcmp(type, "bert") == 0) {
        cfg->family = BERT_FAMILY_BERT;
    } else if (strcmp(type, "roberta") == 0 || strcmp(type, "xlm-roberta") == 0 || strcmp(type, "camembert") == 0) {
        cfg->family = BERT_FAMILY_ROBERTA;
        cfg->type_vocab_size = 1;
        cfg->pad_token_id = 1;
        cfg->layer_norm_eps = 1e-5f;
    } else if (strcmp(type, "distilbert") == 0) {
        cfg->family = BERT_FAMILY_DISTILBERT;
        cfg->type_vocab_size = 0;
        cfg->num_layers = 6;
    } else {
        rc = bb_err(err, errlen, BB_EFORMAT, "%s: \"model_type\" \"%s\" is not a BERT-family encoder (bert, roberta, distilbert)",
                    src, type);
        goto fail;
    }
    int distil = cfg->family == BERT_FAMILY_DISTILBERT;
    const char *k_hidden = distil ? "dim" : "hidden_size", *k_layers = distil ? "n_layers" : "num_hidden_layers",
               *k_heads = distil ? "n_heads" : "num_attention_heads",
               *k_inter = distil ? "hidden_dim" : "intermediate_size", *k_act = distil ? "activation" : "hidden_act",
               *k_drop = distil ? "dropout" : "hidden_dropout_prob",
               *k_adrop = distil ? "attention_dropout" : "attention_probs_dropout_prob";
    if ((rc = get_int(root, "vocab_size", &cfg->vocab_size, 1, src, err, errlen)) ||
        (rc = get_int(root, k_hidden, &cfg->hidden_size, 1, src, err, errlen)) ||
        (rc = get_int(root, k_layers, &cfg->num_layers, 1, src, err, errlen)) ||
        (rc = get_int(root, k_heads, &cfg->num_heads, 1, src, err, errlen)) ||
        (rc = get_int(root, k_inter, &cfg->intermediate_size, 1, src, err, errlen)) ||
        (rc = get_int(root, "max_position_embeddings", &cfg->max_position, 1, src, err, errlen)) ||
        (!distil && (rc = get_int(root, "type_vocab_size", &cfg->type_vocab_size, 1, src, err, errlen))) ||
        (rc = get_int(root, "pad_token_id", &cfg->pad_token_id, 0, src, err, errlen)) ||
        (rc = get_int(root, "num_labels", &cfg->num_labels, 1, src, err, errlen)) ||
        (rc = get_float(root, "layer_norm_eps", &cfg->layer_norm_eps, 0.0f, 1.0f, src, err, errlen)) ||
        (rc = get_float(root, k_drop, &cfg->hidden_dropout, 0.0f, 0.99f, src, err, errlen)) ||
        (rc = get_float(root, k_adrop, &cfg->attn_dropout, 0.0f, 0.99f, src, err, errlen)) ||
        (rc = get_float(root, "classifier_dropout", &cfg->classifier_dropout, 0.0f, 0.99f, src, err, errlen)) ||
        (rc = get_float(root, "initializer_range", &cfg->initializer_range, 0.0f, 10.0f, src, err, errlen)))
        goto fail;
    if (distil) cfg->layer_norm_eps = 1e-12f;
    const cJSON *act = cJSON_GetObjectItemCaseSensitive(root, k_act);
    if (act) {
        size_t i = 0, nacts = sizeof acts / sizeof *acts;
        while (cJSON_IsString(act) && i < nacts && strcmp(acts[i].name, act->valuestring) != 0) i++;
        if (!cJSON_IsString(act) || i == nacts) {
            rc = bb_err(err, errlen, BB_EFORMAT, "%s: \"%s\" %s is not supported (gelu, gelu_new, gelu_pytorch_tanh, relu)",
                        src, k_act, cJSON_IsString(act) ? act->valuestring : "(not a string)");
            goto fail;
        }
        cfg->act = acts[i].act;
    }
    /* relative_key(_query) adds distance embeddings to the attention scores, which this forward pass
     * does not compute: refuse rather than run a different model. */
    const cJSON *pe = cJSON_GetObjectItemCaseSensitive(root, "position_embedding_type");
    if (pe && !cJSON_IsNull(pe) && !(cJSON_IsString(pe) && strcmp(pe->valuestring, "absolute") == 0)) {
        rc = bb_err(err, errlen, BB_EFORMAT, "%s: \"position_embedding_type\" %s is not supported (only absolute)", src,
                    cJSON_IsString(pe) ? pe->valuestring : "(not a string)");
        goto fail;
    }
    if (cfg->hidden_size % cfg->num_heads != 0) {
        rc = bb_err(err, errlen, BB_EFORMAT, "%s: \"%s\" %d is not divisible by \"%s\" %d", src, k_hidden,
                    cfg->hidden_size, k_heads, cfg->num_heads);
        goto fail;
    }
    if (cfg->pad_token_id >= cfg->vocab_size) {
        rc = bb_err(err, errlen, BB_EFORMAT, "%s: \"pad_token_id\" %d is not below \"vocab_size\" %d", src,
                    cfg->pad_token_id, cfg->vocab_size);
        goto fail;
    }
    if (cfg->family == BERT_FAMILY_ROBERTA) cfg->position_offset = cfg->pad_token_id + 1;
    if (cfg->position_offset >= cfg->max_position) {
        rc = bb_err(err, errlen, BB_EFORMAT, "%s: \"max_position_embeddings\" %d leaves no positions", src,
                    cfg->max_position);
        goto fail;
    }
    if ((long long)cfg->vocab_size * cfg->hidden_size > (1LL << 34) ||
        (long long)cfg->intermediate_size * cfg->hidden_size > (1LL << 34)) {
        rc = bb_err(err, errlen, BB_EFORMAT, "%s: sizes too large (vocab_size %d x hidden %d)", src,
                    cfg->vocab_size, cfg->hidden_size);
        goto fail;
    }
    if ((rc = parse_labels(cfg, root, src, err, errlen)) != BB_OK) goto fail;
    const cJSON *pt = cJSON_GetObjectItemCaseSensitive(root, "problem_type");
    if (cJSON_IsString(pt)) snprintf(cfg->problem_type, sizeof cfg->problem_type, "%s", pt->valuestring);
    cfg->json = root;
    return BB_OK;
fail:
    cJSON_Delete(root);
    free_labels(cfg);
    return rc;
}

/* config.json of a model with tens of thousands of labels (id2label + label2id) passes 1 MB; this
 * bounds a hostile file without refusing what bert_config_save writes. */
#define CONFIG_MAX_BYTES (64u << 20)

int bert_config_load(bert_config *cfg, const char *path, char *err, size_t errlen) {
    memset(cfg, 0, sizeof *cfg);
    char *buf;
    size_t n;
    int rc = bb_read_file(path, CONFIG_MAX_BYTES, &buf, &n, err, errlen);
    if (rc != BB_OK) return rc;
    rc = bert_config_parse(cfg, buf, n, path, err, errlen);
    free(buf);
    return rc;
}

static void set_num(cJSON *root, const char *key, double v) {
    cJSON_DeleteItemFromObjectCaseSensitive(root, key);
    cJSON_AddNumberToObject(root, key, v);
}

int bert_config_save(const bert_config *cfg, const char *path, char *err, size_t errlen) {
    cJSON *root = cfg->json ? cJSON_Duplicate(cfg->json, 1) : cJSON_CreateObject();
    if (!root) return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", path);
    /* Every key transformers needs, with the values this model uses; keys already there stay as read. */
    if (!cJSON_HasObjectItem(root, "architectures"))
        cJSON_AddItemToObject(root, "architectures", cJSON_CreateStringArray((const char *[]){"BertForMaskedLM"}, 1));
    if (!cJSON_HasObjectItem(root, "model_type")) cJSON_AddStringToObject(root, "model_type", "bert");
    if (!cJSON_HasObjectItem(root, "hidden_act")) cJSON_AddStringToObject(root, "hidden_act", bert_act_name(cfg->act));
    const struct {
        const char *key;
        double v;
    } nums[] = {{"attention_probs_dropout_prob", cfg->attn_dropout}, {"hidden_dropout_prob", cfg->hidden_dropout},
                {"hidden_size", cfg->hidden_size}, {"initializer_range", cfg->initializer_range},
                {"intermediate_size", cfg->intermediate_size}, {"layer_norm_eps", cfg->layer_norm_eps},
                {"max_position_embeddings", cfg->max_position}, {"num_attention_heads", cfg->num_heads},
                {"num_hidden_layers", cfg->num_layers}, {"pad_token_id", cfg->pad_token_id},
                {"type_vocab_size", cfg->type_vocab_size}, {"vocab_size", cfg->vocab_size}};
    for (size_t i = 0; i < sizeof nums / sizeof *nums; i++)
        if (!cJSON_HasObjectItem(root, nums[i].key)) cJSON_AddNumberToObject(root, nums[i].key, nums[i].v);
    if (!cJSON_HasObjectItem(root, "position_embedding_type"))
        cJSON_AddStringToObject(root, "position_embedding_type", "absolute");
    if (cfg->id2label) {
        cJSON *i2l = cJSON_CreateObject(), *l2i = cJSON_CreateObject();
        for (int i = 0; i < cfg->num_labels && i2l && l2i; i++) {
            char key[16];
            snprintf(key, sizeof key, "%d", i);
            cJSON_AddStringToObject(i2l, key, cfg->id2label[i]);
            cJSON_AddNumberToObject(l2i, cfg->id2label[i], i);
        }
        cJSON_DeleteItemFromObjectCaseSensitive(root, "id2label");
        cJSON_DeleteItemFromObjectCaseSensitive(root, "label2id");
        cJSON_AddItemToObject(root, "id2label", i2l);
        cJSON_AddItemToObject(root, "label2id", l2i);
        set_num(root, "num_labels", cfg->num_labels);
    }
    if (cfg->problem_type[0]) {
        cJSON_DeleteItemFromObjectCaseSensitive(root, "problem_type");
        cJSON_AddStringToObject(root, "problem_type", cfg->problem_type);
    }
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text) return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", path);
    size_t n = strlen(text);
    text[n] = '\n';
    int rc = bb_write_atomic(path, text, n + 1, err, errlen);
    free(text);
    return rc;
}

void bert_config_free(bert_config *cfg) {
    free_labels(cfg);
    cJSON_Delete(cfg->json);
    cfg->json = NULL;
}
