/* bert_names.h — Hugging Face tensor names of each parameter, per model family (internal). */
#ifndef BB_BERT_NAMES_H
#define BB_BERT_NAMES_H

#include <stddef.h>

#include "bert.h"

/* One Hugging Face tensor that a parameter field (or a slice of it) is stored as. */
typedef struct {
    int field;      /* index into bert_params, in field order */
    int per_layer;  /* name has a %d for the layer */
    int slice;      /* for qkv: 0 query, 1 key, 2 value, as row blocks of C; -1 whole */
    const char *fmt[3]; /* names to try, in order (legacy spellings after the current one) */
} bert_tensor_name;

/* The names of family's tensors; n receives the count. Names contain "%s" for the encoder prefix
 * ("bert.", "roberta.", "distilbert." or "") and, when per_layer, a "%d" after it. */
const bert_tensor_name *bert_names(bert_family family, int *n);

/* Expected (rows, cols) of one stored tensor of a field (cols 0 for a vector). */
void bert_tensor_shape(const bert_model *m, int field, int64_t *rows, int64_t *cols);
/* Where one stored tensor lives inside the flat parameter buffer (a model that owns its parameters). */
float *bert_tensor_slot(const bert_model *m, const bert_tensor_name *tn, int layer);
/* Where one stored tensor's floats are, in either kind of model (mapped or owned). */
const float *bert_tensor_data(const bert_model *m, const bert_tensor_name *tn, int layer);
/* The index of a per-layer tensor's pointer among the members of bert_layer. */
int bert_layer_member(const bert_tensor_name *tn);

/* Fills m->param_sizes and m->num_params for m's flags and num_labels classifier outputs. */
int bert_count_params(bert_model *m, int num_labels, char *err, size_t errlen);

#endif
