/* Saving a model in Hugging Face layout: config.json + model.safetensors with HF's tensor names
 * (query/key/value split back out of the fused QKV), so transformers loads it unchanged. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "bb_err.h"
#include "bert.h"
#include "bert_names.h"
#include "st.h"

static const char *architecture(const bert_model *m) {
    if (m->head == BERT_HEAD_SEQCLS) return "BertForSequenceClassification";
    if (m->head == BERT_HEAD_TOKCLS) return "BertForTokenClassification";
    if (m->has_mlm && m->has_nsp) return "BertForPreTraining";
    if (m->has_mlm) return "BertForMaskedLM";
    return "BertModel";
}

int bert_save(const bert_model *m, const char *dir, char *err, size_t errlen) {
    if (m->cfg.family != BERT_FAMILY_BERT)
        return bb_err(err, errlen, BB_EINVAL, "%s: saving is supported for BERT models only", dir);
    if (mkdir(dir, 0777) != 0 && errno != EEXIST)
        return bb_err(err, errlen, BB_EIO, "%s: cannot create directory: %s", dir, strerror(errno));
    int n;
    const bert_tensor_name *names = bert_names(m->cfg.family, &n);
    int L = m->cfg.num_layers, cap = n * L;
    st_entry *e = calloc((size_t)cap, sizeof *e);
    char(*buf)[160] = calloc((size_t)cap, sizeof *buf);
    int ne = 0, rc;
    if (!e || !buf) {
        rc = bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", dir);
        goto done;
    }
    for (int i = 0; i < n; i++) {
        const bert_tensor_name *tn = &names[i];
        if (m->param_sizes[tn->field] == 0) continue;
        int layers = tn->per_layer ? L : 1;
        for (int l = 0; l < layers; l++) {
            if (tn->per_layer)
                snprintf(buf[ne], sizeof buf[ne], tn->fmt[0], "bert.", l);
            else
                snprintf(buf[ne], sizeof buf[ne], tn->fmt[0], "bert.");
            int64_t rows, cols;
            bert_tensor_shape(m, tn->field, &rows, &cols);
            e[ne].name = buf[ne];
            e[ne].data = bert_tensor_data(m, tn, l);
            e[ne].ndim = cols ? 2 : 1;
            e[ne].shape[0] = rows;
            e[ne].shape[1] = cols;
            ne++;
        }
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    if ((rc = st_write(path, e, ne, err, errlen)) != BB_OK) goto done;
    bert_config cfg = m->cfg;
    cJSON *json = cfg.json ? cJSON_Duplicate(cfg.json, 1) : NULL;
    if (json) {
        cJSON_DeleteItemFromObjectCaseSensitive(json, "architectures");
        cJSON_AddItemToObject(json, "architectures", cJSON_CreateStringArray((const char *[]){architecture(m)}, 1));
        cJSON_DeleteItemFromObjectCaseSensitive(json, "tie_word_embeddings");
        cJSON_AddBoolToObject(json, "tie_word_embeddings", m->tied_decoder);
    } else {
        json = cJSON_CreateObject(); /* bert_config_save fills in the sizes */
        if (!json) {
            rc = bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", dir);
            goto done;
        }
        cJSON_AddItemToObject(json, "architectures", cJSON_CreateStringArray((const char *[]){architecture(m)}, 1));
        cJSON_AddBoolToObject(json, "tie_word_embeddings", m->tied_decoder);
    }
    /* The tensors are written as F32 whatever the source was (an F16 checkpoint is converted on load):
     * the config says so under both names transformers reads (dtype since v5, torch_dtype before). */
    const char *dtype_keys[2] = {"dtype", "torch_dtype"};
    for (int k = 0; k < 2; k++) {
        cJSON_DeleteItemFromObjectCaseSensitive(json, dtype_keys[k]);
        cJSON_AddStringToObject(json, dtype_keys[k], "float32");
    }
    cfg.json = json;
    snprintf(path, sizeof path, "%s/config.json", dir);
    rc = bert_config_save(&cfg, path, err, errlen);
    cJSON_Delete(json);
done:
    free(e);
    free(buf);
    return rc;
}
