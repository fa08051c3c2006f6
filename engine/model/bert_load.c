/* Loading a Hugging Face model directory. bert_load_mapped points the parameters into the mapped
 * checkpoint (inference: no copy, the weights in memory once); bert_load copies them into the flat
 * buffer that training needs (bert_own_params). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "bb_err.h"
#include "bb_hub.h"
#include "bert.h"
#include "bert_finite.h"
#include "bert_names.h"
#include "st.h"

_Static_assert(sizeof(bert_layer) == (3 + 3 + BERT_P_LN2B - BERT_P_ATTPROJW + 1) * sizeof(const float *),
               "bert_layer holds one pointer per stored per-layer tensor, in field order");

static const char *family_prefix(bert_family f) {
    return f == BERT_FAMILY_ROBERTA ? "roberta." : f == BERT_FAMILY_DISTILBERT ? "distilbert." : "bert.";
}

/* Finds the first existing spelling of a tensor name; name receives it (the first spelling when absent). */
static const st_tensor *find_name(const st_file *f, const bert_tensor_name *tn, const char *prefix, int layer,
                                  char *name, size_t n) {
    for (int v = 0; v < 3 && tn->fmt[v]; v++) {
        if (tn->per_layer)
            snprintf(name, n, tn->fmt[v], prefix, layer);
        else
            snprintf(name, n, tn->fmt[v], prefix);
        const st_tensor *t = st_find(f, name);
        if (t) return t;
    }
    if (tn->per_layer)
        snprintf(name, n, tn->fmt[0], prefix, layer);
    else
        snprintf(name, n, tn->fmt[0], prefix);
    return NULL;
}

static int check_shape(const bert_model *m, const st_tensor *t, const bert_tensor_name *tn, const char *name,
                       char *err, size_t errlen) {
    int64_t rows, cols;
    bert_tensor_shape(m, tn->field, &rows, &cols);
    if (!t) return bb_err(err, errlen, BB_ESHAPE, "%s: tensor '%s' is missing", m->dir, name);
    int ok = cols ? t->ndim == 2 && t->shape[0] == rows && t->shape[1] == cols : t->ndim == 1 && t->shape[0] == rows;
    if (ok) return BB_OK;
    char got[96] = "", want[48];
    size_t k = 0;
    for (int d = 0; d < t->ndim && k < sizeof got - 24; d++)
        k += (size_t)snprintf(got + k, sizeof got - k, "%s%lld", d ? ", " : "", (long long)t->shape[d]);
    if (cols)
        snprintf(want, sizeof want, "%lld, %lld", (long long)rows, (long long)cols);
    else
        snprintf(want, sizeof want, "%lld", (long long)rows);
    return bb_err(err, errlen, BB_ESHAPE, "%s: tensor '%s' has shape [%s], expected [%s]", t->path, name, got, want);
}

/* Detects the encoder prefix ("bert.", "" ...) from the word embeddings' name. */
static const char *detect_prefix(const st_file *f, bert_family fam) {
    static const char *const bare = "";
    const char *pre = family_prefix(fam);
    char name[128];
    snprintf(name, sizeof name, "%sembeddings.word_embeddings.weight", pre);
    if (st_find(f, name)) return pre;
    if (st_find(f, "embeddings.word_embeddings.weight")) return bare;
    return NULL;
}

static int has_any(const st_file *f, const bert_tensor_name *names, int n, int field, const char *prefix) {
    char name[256];
    for (int i = 0; i < n; i++)
        if (names[i].field == field && find_name(f, &names[i], prefix, 0, name, sizeof name)) return 1;
    return 0;
}

/* A PyTorch checkpoint keeps a tied decoder as a second name of the word embeddings' storage. */
static int decoder_shares_embeddings(const st_file *f, const bert_tensor_name *names, int n, const char *prefix) {
    const st_tensor *dec = NULL, *wte = NULL;
    char name[256];
    for (int i = 0; i < n; i++) {
        if (names[i].field == BERT_P_MLM_DEC) dec = find_name(f, &names[i], prefix, 0, name, sizeof name);
        if (names[i].field == BERT_P_WTE) wte = find_name(f, &names[i], prefix, 0, name, sizeof name);
    }
    return dec && wte && dec->data == wte->data && dec->nbytes == wte->nbytes && dec->dtype == wte->dtype;
}

static bert_head head_from_architectures(const bert_config *cfg) {
    const cJSON *arch = cfg->json ? cJSON_GetObjectItemCaseSensitive((const cJSON *)cfg->json, "architectures") : NULL;
    const cJSON *a;
    cJSON_ArrayForEach(a, arch) if (cJSON_IsString(a) && strstr(a->valuestring, "TokenClassification")) return BERT_HEAD_TOKCLS;
    return BERT_HEAD_SEQCLS;
}

/* Records where one stored tensor's floats are: a field of params, or a member of layers[l]. */
static void set_tensor_data(bert_model *m, const bert_tensor_name *tn, int l, const float *data) {
    if (tn->per_layer)
        ((const float **)&m->layers[l])[bert_layer_member(tn)] = data;
    else
        ((float **)&m->params)[tn->field] = (float *)data; /* a private mapping: writable, never written back */
}

/* Walks every stored tensor the model needs: checks its shape, and with arena NULL adds the floats it
 * needs converted to *need; with an arena, points the model at the tensor in place or converts it
 * there (cancellable between conversions). */
static int place_tensors(bert_model *m, const st_file *f, const char *prefix, float *arena, size_t *need,
                         bb_work *work, char *err, size_t errlen) {
    int n;
    const bert_tensor_name *names = bert_names(m->cfg.family, &n);
    size_t used = 0;
    int stored[BERT_NPARAMS] = {0};
    for (int i = 0; i < n; i++) {
        if (m->param_sizes[names[i].field] == 0) continue;
        int layers = names[i].per_layer ? m->cfg.num_layers : 1;
        for (int l = 0; l < layers; l++) {
            char name[256];
            const st_tensor *t = find_name(f, &names[i], prefix, l, name, sizeof name);
            int rc = check_shape(m, t, &names[i], name, err, errlen);
            if (rc != BB_OK) return rc;
            const float *in_place = st_f32_inplace(t);
            if (!in_place) {
                if (arena) {
                    if ((rc = bb_work_check(work, "load", err, errlen)) != BB_OK ||
                        (rc = st_read_f32(t, arena + used, t->numel, err, errlen)) != BB_OK)
                        return rc;
                    in_place = arena + used;
                }
                used += (size_t)t->numel;
            }
            if (arena) set_tensor_data(m, &names[i], l, in_place);
            stored[names[i].field] = 1;
        }
    }
    /* A field that no stored tensor fills (DistilBERT's one zero token-type row) takes zeros. */
    for (int field = 0; field < BERT_NPARAMS; field++) {
        if (!m->param_sizes[field] || stored[field]) continue;
        if (arena) ((float **)&m->params)[field] = arena + used;
        used += m->param_sizes[field];
    }
    *need = used;
    return BB_OK;
}

/* NaN or Inf in a weight makes every output NaN (fill-mask would rank [PAD] with no score): say so at
 * load, naming the tensor and the element. The scan reads every weight once (for a mapped checkpoint,
 * the first touch of each page), on the engine's threads (bert_find_nonfinite), and is what the
 * load's progress ("tensors") follows. */
static int check_finite(const bert_model *m, const st_file *f, const char *prefix, bb_work *work, char *err,
                        size_t errlen) {
    int n, count = 0, rc = BB_OK;
    const bert_tensor_name *names = bert_names(m->cfg.family, &n);
    int cap = n * m->cfg.num_layers;
    const float **arrays = malloc(sizeof *arrays * (size_t)cap);
    int64_t *lens = malloc(sizeof *lens * (size_t)cap);
    int *item = malloc(sizeof *item * (size_t)cap);
    if (!arrays || !lens || !item) {
        rc = bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", m->dir);
        goto done;
    }
    for (int i = 0; i < n; i++) {
        if (m->param_sizes[names[i].field] == 0) continue;
        int layers = names[i].per_layer ? m->cfg.num_layers : 1;
        for (int l = 0; l < layers; l++, count++) {
            arrays[count] = bert_tensor_data(m, &names[i], l);
            lens[count] = (int64_t)(m->param_sizes[names[i].field] / (size_t)layers / (names[i].slice >= 0 ? 3 : 1));
            item[count] = i * (m->cfg.num_layers + 1) + l;
        }
    }
    int which;
    int64_t at;
    int found = bert_find_nonfinite(arrays, lens, count, work, &which, &at);
    if (found < 0) {
        rc = bb_work_check(work, "load", err, errlen);
    } else if (found) {
        const bert_tensor_name *tn = &names[item[which] / (m->cfg.num_layers + 1)];
        char name[256];
        const st_tensor *t = find_name(f, tn, prefix, item[which] % (m->cfg.num_layers + 1), name, sizeof name);
        float v = arrays[which][at];
        rc = bb_err(err, errlen, BB_EFORMAT, "%s: tensor '%s' holds %s at element %lld: the weights are not finite",
                    t ? t->path : m->dir, name, v != v ? "NaN" : "Inf", (long long)at);
    }
done:
    free(arrays);
    free(lens);
    free(item);
    return rc;
}

/* Reads the config and opens the checkpoint of dir into m; *prefix receives the encoder's name prefix. */
static int open_checkpoint(bert_model *m, const char *dir, const char **prefix, char *err, size_t errlen) {
    char path[4200];
    snprintf(path, sizeof path, "%s/config.json", dir);
    int rc = bert_config_load(&m->cfg, path, err, errlen);
    if (rc == BB_OK) rc = st_open_dir(&m->weights, dir, err, errlen);
    if (rc != BB_OK) return rc;
    *prefix = detect_prefix(m->weights, m->cfg.family);
    if (!*prefix)
        return bb_err(err, errlen, BB_ESHAPE, "%s: no '%sembeddings.word_embeddings.weight' tensor (not a %s checkpoint?)",
                      dir, family_prefix(m->cfg.family), m->cfg.family == BERT_FAMILY_BERT ? "BERT" : "BERT-family");
    return BB_OK;
}

static float *alloc_flat(const bert_model *m, char *err, size_t errlen) {
    float *mem = calloc(m->num_params ? m->num_params : 1, sizeof(float));
    if (!mem)
        bb_err(err, errlen, BB_ENOMEM, "%s: out of memory for %zu parameters (%.1f GB)", m->dir[0] ? m->dir : "model",
               m->num_params, (double)m->num_params * 4 / 1e9);
    return mem;
}

/* Copies a mapped model's parameters into mem (num_params floats) and closes the mapping. */
static void own_into(bert_model *m, float *mem) {
    bert_params owned;
    bert_params_point(&owned, mem, m->param_sizes);
    float **to = (float **)&owned, *const *from = (float *const *)&m->params;
    size_t L = (size_t)m->cfg.num_layers;
    for (int f = 0; f < BERT_NPARAMS; f++) {
        if (!m->param_sizes[f] || (f >= BERT_P_QKVW && f <= BERT_P_LN2B)) continue;
        memcpy(to[f], from[f], m->param_sizes[f] * sizeof(float));
    }
    for (size_t l = 0; l < L; l++) {
        bert_layer w;
        bert_layer_weights(m, (int)l, &w);
        const float **src = (const float **)&w;
        int k = 0;
        for (int f = BERT_P_QKVW; f <= BERT_P_LN2B; f++) {
            size_t per = m->param_sizes[f] / L;
            int slices = f == BERT_P_QKVW || f == BERT_P_QKVB ? 3 : 1;
            for (int s = 0; s < slices; s++, k++)
                memcpy(to[f] + per * l + per / (size_t)slices * (size_t)s, src[k], per / (size_t)slices * sizeof(float));
        }
    }
    st_close(m->weights);
    free(m->converted);
    free(m->layers);
    m->weights = NULL;
    m->converted = NULL;
    m->layers = NULL;
    m->params = owned;
    m->params_memory = mem;
}

/* Loads dir mapped; with own, into a flat buffer allocated before anything is read (so a model larger
 * than memory fails at once, saying so). */
static int load(bert_model **out, const char *dir_or_id, int own, bb_work *work, char *err, size_t errlen) {
    *out = NULL;
    char dir[4096];
    int rc = bb_hub_resolve(dir_or_id, dir, sizeof dir, err, errlen);
    if (rc != BB_OK) return rc;
    struct stat sb;
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return bb_err(err, errlen, BB_EIO, "%s: not a readable model directory%s%s", dir, errno ? ": " : "",
                      errno ? strerror(errno) : "");
    bert_model *m = calloc(1, sizeof *m);
    if (!m) return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", dir);
    snprintf(m->dir, sizeof m->dir, "%s", dir);
    const char *prefix = NULL;
    float *flat = NULL;
    if ((rc = bb_work_check(work, "load", err, errlen)) != BB_OK || (rc = open_checkpoint(m, dir, &prefix, err, errlen)))
        goto fail;
    const st_file *f = m->weights;
    int n;
    const bert_tensor_name *names = bert_names(m->cfg.family, &n);
    m->has_pooler = has_any(f, names, n, BERT_P_POOLW, prefix);
    m->has_mlm = has_any(f, names, n, BERT_P_MLMW, prefix);
    m->has_nsp = has_any(f, names, n, BERT_P_NSPW, prefix);
    m->tied_decoder = !has_any(f, names, n, BERT_P_MLM_DEC, prefix) || decoder_shares_embeddings(f, names, n, prefix);
    int has_cls = has_any(f, names, n, BERT_P_CLSW, prefix);
    m->head = has_cls ? head_from_architectures(&m->cfg) : BERT_HEAD_NONE;
    if ((rc = bert_count_params(m, has_cls ? m->cfg.num_labels : 0, err, errlen)) != BB_OK) goto fail;
    if (own && !(flat = alloc_flat(m, err, errlen))) {
        rc = BB_ENOMEM;
        goto fail;
    }
    size_t need = 0;
    if ((rc = place_tensors(m, f, prefix, NULL, &need, work, err, errlen)) != BB_OK) goto fail;
    m->layers = calloc((size_t)m->cfg.num_layers + 1, sizeof *m->layers);
    m->converted = calloc(need ? need : 1, sizeof(float));
    if (!m->layers || !m->converted) {
        rc = bb_err(err, errlen, BB_ENOMEM, "%s: out of memory converting %zu parameters", dir, need);
        goto fail;
    }
    if ((rc = place_tensors(m, f, prefix, m->converted, &need, work, err, errlen)) != BB_OK) goto fail;
    if ((rc = check_finite(m, f, prefix, work, err, errlen)) != BB_OK) goto fail;
    if (m->cfg.type_vocab_size == 0) m->cfg.type_vocab_size = 1; /* DistilBERT: one zero row */
    if (own) own_into(m, flat);
    *out = m;
    return BB_OK;
fail:
    free(flat);
    bert_free(m);
    return rc;
}

int bert_load(bert_model **out, const char *dir, char *err, size_t errlen) { return load(out, dir, 1, NULL, err, errlen); }

int bert_load_work(bert_model **out, const char *dir, bb_work *work, char *err, size_t errlen) {
    return load(out, dir, 1, work, err, errlen);
}

int bert_load_mapped(bert_model **out, const char *dir, char *err, size_t errlen) {
    return load(out, dir, 0, NULL, err, errlen);
}

int bert_load_mapped_work(bert_model **out, const char *dir, bb_work *work, char *err, size_t errlen) {
    return load(out, dir, 0, work, err, errlen);
}

void bert_layer_weights(const bert_model *m, int l, bert_layer *w) {
    if (m->layers) {
        *w = m->layers[l];
        return;
    }
    const float **out = (const float **)w;
    float *const *fields = (float *const *)&m->params;
    size_t L = (size_t)m->cfg.num_layers;
    int k = 0;
    for (int f = BERT_P_QKVW; f <= BERT_P_LN2B; f++) {
        size_t per = m->param_sizes[f] / L;
        const float *base = fields[f] + per * (size_t)l;
        int slices = f == BERT_P_QKVW || f == BERT_P_QKVB ? 3 : 1;
        for (int s = 0; s < slices; s++) out[k++] = base + per / (size_t)slices * (size_t)s;
    }
}

int bert_own_params(bert_model *m, char *err, size_t errlen) {
    if (!bert_is_mapped(m)) return BB_OK;
    float *mem = alloc_flat(m, err, errlen);
    if (!mem) return BB_ENOMEM;
    own_into(m, mem);
    return BB_OK;
}
