/* config.h — a BERT-family config.json (Hugging Face layout), read and written with cJSON.
 *
 *     bert_config cfg;
 *     if (bert_config_load(&cfg, "model/config.json", err, sizeof err) != BB_OK) ...;
 *     ... cfg.hidden_size ...
 *     bert_config_free(&cfg);
 *
 * Loading checks every value (positive sizes, hidden_size divisible by the heads, a known
 * hidden_act, ...) and names the key in the error. Keys bertbench does not use are ignored, as
 * transformers ignores them; the original JSON is kept so that saving preserves them.
 */
#ifndef BB_CONFIG_H
#define BB_CONFIG_H

#include <stddef.h>

#include "ops.h"

typedef enum { BERT_FAMILY_BERT, BERT_FAMILY_ROBERTA, BERT_FAMILY_DISTILBERT } bert_family;

typedef struct {
    bert_family family;
    int vocab_size;              /* V */
    int hidden_size;             /* C */
    int num_layers;              /* L */
    int num_heads;               /* NH */
    int intermediate_size;       /* I */
    int max_position;            /* maximum positions (T + position_offset must stay below it) */
    int type_vocab_size;         /* token type (segment) vocabulary; 0 for DistilBERT */
    int pad_token_id;
    int position_offset;         /* RoBERTa numbers positions from pad_token_id + 1 */
    bb_act act;
    float layer_norm_eps;
    float hidden_dropout;
    float attn_dropout;
    float classifier_dropout;    /* < 0: use hidden_dropout, as HF does when it is null */
    float initializer_range;
    int num_labels;
    char **id2label;             /* num_labels strings, or NULL */
    char problem_type[32];       /* "", "single_label_classification", "regression", ... */
    void *json;                  /* the parsed config (cJSON *), kept for saving unknown keys */
} bert_config;

int bert_config_load(bert_config *cfg, const char *path, char *err, size_t errlen);
/* Parses config.json text; `source` names it in messages. */
int bert_config_parse(bert_config *cfg, const char *text, size_t len, const char *source, char *err,
                      size_t errlen);
/* A config with bert-base-like defaults at the given sizes (for benchmarks and training from scratch). */
void bert_config_default(bert_config *cfg, int vocab, int hidden, int layers, int heads, int intermediate,
                         int max_position);
/* Writes config.json (atomically), including id2label/label2id when set. */
int bert_config_save(const bert_config *cfg, const char *path, char *err, size_t errlen);
/* Replaces the label map (copies the strings). */
int bert_config_set_labels(bert_config *cfg, int n, const char *const *labels, char *err, size_t errlen);
void bert_config_free(bert_config *cfg);

const char *bert_act_name(bb_act act);

#endif
