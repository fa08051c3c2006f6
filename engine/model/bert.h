/* bert.h — a BERT-family encoder: parameters, loading a Hugging Face model directory, forward pass.
 *
 * Dimension letters: B batch, T sequence, C hidden, I intermediate, L layers, NH heads, HS = C/NH,
 * V vocabulary, P max positions, TV token-type vocabulary, NL number of labels.
 *
 *     bert_model *m;
 *     if (bert_load(&m, "path/to/model", err, sizeof err) != BB_OK) ...;
 *     bert_acts a;
 *     bert_acts_alloc(&a, m, B, T, 0, err, sizeof err);         // once per shape
 *     bert_forward(m, &a, ids, type_ids, mask, B, T, err, sizeof err);
 *     const float *h = bert_hidden(&a, m->cfg.num_layers);    // (B,T,C) last hidden state
 *     const float *p = bert_attention(&a, 0);                 // (B,NH,T,T) layer 0 probabilities
 *     bert_acts_free(&a); bert_free(m);
 *
 * Parameters live in one flat buffer (llm.c style): bert_params holds pointers into it, and the same
 * struct type with the same size table describes gradients and AdamW moments. Q, K and V of each layer
 * are fused into one (3C, C) weight so one sgemm computes all three; loading and saving split them back
 * into Hugging Face's query/key/value tensors. Heads that the checkpoint does not have get size 0.
 *
 * Inference does not need that buffer: bert_load_mapped() leaves the checkpoint mapped and points the
 * parameters into it (zero-copy: the load costs page-table set-up, not a copy, and the weights are in
 * memory once, shared with the page cache). Such a "mapped" model has params_memory NULL, the per-layer
 * fields of params NULL (a checkpoint stores each layer apart, and query, key and value apart), and
 * says where each layer's weights are through bert_layer_weights(). Training, which needs the flat
 * buffer for gradients and AdamW, calls bert_own_params() first (bert_load does it at once).
 */
#ifndef BB_BERT_H
#define BB_BERT_H

#include <stddef.h>
#include <stdint.h>

#include "bb_rng.h"
#include "bb_work.h"
#include "config.h"

/* Indices of the fields of bert_params, in order. */
enum {
    BERT_P_WTE, BERT_P_WPE, BERT_P_WTT, BERT_P_EMB_LNW, BERT_P_EMB_LNB, BERT_P_QKVW, BERT_P_QKVB,
    BERT_P_ATTPROJW, BERT_P_ATTPROJB, BERT_P_LN1W, BERT_P_LN1B, BERT_P_FCW, BERT_P_FCB, BERT_P_FCPROJW,
    BERT_P_FCPROJB, BERT_P_LN2W, BERT_P_LN2B, BERT_P_POOLW, BERT_P_POOLB, BERT_P_MLMW, BERT_P_MLMB,
    BERT_P_MLM_LNW, BERT_P_MLM_LNB, BERT_P_MLM_BIAS, BERT_P_MLM_DEC, BERT_P_NSPW, BERT_P_NSPB,
    BERT_P_CLSW, BERT_P_CLSB,
    BERT_NPARAMS
};

typedef struct {
    float *wte;      /* (V, C)   word embeddings; also the MLM decoder when tied */
    float *wpe;      /* (P, C)   position embeddings */
    float *wtt;      /* (TV, C)  token type embeddings */
    float *emb_lnw;  /* (C) */
    float *emb_lnb;  /* (C) */
    float *qkvw;     /* (L, 3C, C) query | key | value */
    float *qkvb;     /* (L, 3C) */
    float *attprojw; /* (L, C, C)  attention.output.dense */
    float *attprojb; /* (L, C) */
    float *ln1w;     /* (L, C)  attention.output.LayerNorm */
    float *ln1b;     /* (L, C) */
    float *fcw;      /* (L, I, C)  intermediate.dense */
    float *fcb;      /* (L, I) */
    float *fcprojw;  /* (L, C, I)  output.dense */
    float *fcprojb;  /* (L, C) */
    float *ln2w;     /* (L, C)  output.LayerNorm */
    float *ln2b;     /* (L, C) */
    float *poolw;    /* (C, C)  pooler.dense (size 0 without a pooler) */
    float *poolb;    /* (C) */
    float *mlmw;     /* (C, C)  cls.predictions.transform.dense (size 0 without an MLM head) */
    float *mlmb;     /* (C) */
    float *mlm_lnw;  /* (C)  cls.predictions.transform.LayerNorm */
    float *mlm_lnb;  /* (C) */
    float *mlm_bias; /* (V)  cls.predictions.bias */
    float *mlm_dec;  /* (V, C) untied decoder; size 0 when tied to wte */
    float *nspw;     /* (2, C)  cls.seq_relationship (size 0 without) */
    float *nspb;     /* (2) */
    float *clsw;     /* (NL, C) classifier (size 0 without) */
    float *clsb;     /* (NL) */
} bert_params;

typedef enum { BERT_HEAD_NONE, BERT_HEAD_SEQCLS, BERT_HEAD_TOKCLS } bert_head;

/* One encoder layer's weights as the forward reads them (bert_layer_weights). The members are in the
 * order of the per-layer fields of bert_params (BERT_P_QKVW .. BERT_P_LN2B), query/key/value split. */
typedef struct {
    const float *qkvw[3]; /* (C, C) query, key, value: consecutive when owned, anywhere when mapped */
    const float *qkvb[3]; /* (C) */
    const float *attprojw, *attprojb, *ln1w, *ln1b, *fcw, *fcb, *fcprojw, *fcprojb, *ln2w, *ln2b;
} bert_layer;

struct st_file;

typedef struct {
    bert_config cfg;
    bert_params params;
    size_t param_sizes[BERT_NPARAMS];
    float *params_memory;
    size_t num_params;
    int has_pooler, has_mlm, has_nsp, tied_decoder;
    bert_head head; /* the classifier head in clsw/clsb, if any */
    char dir[4096]; /* where it was loaded from ("" when built from a config) */
    /* A mapped model (bert_load_mapped; all NULL when the model owns its parameters): */
    struct st_file *weights; /* the open checkpoint the parameters point into; closed (munmap) by bert_free */
    float *converted;        /* the tensors that cannot be used in place: F16/BF16/F64, unaligned F32 */
    bert_layer *layers;      /* (L) where each layer's weights are */
} bert_model;

/* Forward activations for one (B, T) shape. In inference every layer's hidden state and attention
 * probabilities are kept (the workbench draws them) and the per-layer intermediates share one buffer;
 * with training set every intermediate the backward pass needs is kept per layer (LS = L, else 1). */
typedef struct {
    int B, T, LS, training;
    float *mask;         /* (B, T) 1 real token, 0 padding */
    float *emb;          /* (B, T, C) embedding sum before LayerNorm */
    float *emb_mean;     /* (B, T) */
    float *emb_rstd;     /* (B, T) */
    uint8_t *emb_keep;   /* (B, T, C) dropout mask (training) */
    float *hidden;       /* (L+1, B, T, C) hidden[0] embeddings output, hidden[l+1] layer l output */
    float *probs;        /* (L, B, NH, T, T) attention probabilities */
    float *probs_drop;   /* (L, B, NH, T, T) after attention dropout (training with dropout) */
    float *qkv;          /* (LS, B, T, 3C) */
    float *atty;         /* (LS, B, T, C) attention output before the projection */
    float *attproj;      /* (LS, B, T, C) projection output (after dropout) */
    uint8_t *attproj_keep; /* (LS, B, T, C) */
    float *res1;         /* (LS, B, T, C) hidden[l] + attproj */
    float *ln1;          /* (LS, B, T, C) */
    float *ln1_mean;     /* (LS, B, T) */
    float *ln1_rstd;     /* (LS, B, T) */
    float *fch;          /* (LS, B, T, I) before the activation */
    float *fch_act;      /* (LS, B, T, I) */
    float *fcproj;       /* (LS, B, T, C) after dropout */
    uint8_t *fcproj_keep; /* (LS, B, T, C) */
    float *res2;         /* (LS, B, T, C) ln1 + fcproj */
    float *ln2_mean;     /* (L, B, T) */
    float *ln2_rstd;     /* (L, B, T) */
    float *cls_in;       /* (B, C) hidden[L] at position 0 */
    float *pool;         /* (B, C) pooler output (tanh) */
    bb_rng rng;          /* dropout stream (training) */
    size_t bytes;        /* total bytes allocated (tests check arena sizes) */
    size_t cap;          /* bytes of the arena, >= bytes after bert_acts_resize to a smaller shape */
} bert_acts;

/* Loads config.json and the weights of a model directory (safetensors, sharded or not, or
 * pytorch_model.bin) into one flat buffer the model owns: what training needs. */
int bert_load(bert_model **out, const char *dir, char *err, size_t errlen);
/* The same for inference, without the copy: F32 tensors are used in place in the checkpoint's
 * mapping; F16/BF16/F64 tensors, and F32 ones whose data is not 4-byte aligned, are converted once
 * into model->converted. The mapping is private (MAP_PRIVATE): a write into a parameter changes this
 * process's copy of that page only, never the file; it lives until bert_free. Both loaders refuse
 * NaN or Inf weights, naming the tensor and the element. */
int bert_load_mapped(bert_model **out, const char *dir, char *err, size_t errlen);
/* Copies a mapped model's parameters into a flat buffer it owns and closes the mapping (training
 * calls this; the outputs stay bit-identical). Does nothing to a model that owns its parameters. */
int bert_own_params(bert_model *m, char *err, size_t errlen);
static inline int bert_is_mapped(const bert_model *m) { return m->layers != NULL; }
/* Where layer l's weights are (either kind of model). */
void bert_layer_weights(const bert_model *m, int l, bert_layer *w);
/* The same as long work (bb_work.h; work may be NULL): cancel (BB_ECANCEL) between tensors and
 * between chunks of the weight scan, progress ("tensors", done, total) as the scan reads them. */
int bert_load_work(bert_model **out, const char *dir, bb_work *work, char *err, size_t errlen);
int bert_load_mapped_work(bert_model **out, const char *dir, bb_work *work, char *err, size_t errlen);
/* Builds a model from a config with HF's initialisation (normal(0, initializer_range) weights, zero
 * biases, unit LayerNorm), with a pooler, an MLM head tied to the word embeddings and an NSP head. */
int bert_create(bert_model **out, const bert_config *cfg, uint64_t seed, char *err, size_t errlen);
/* Replaces the position embeddings with sinusoids (Vaswani et al. 2017) times initializer_range * sqrt(2),
 * the scale at which a sinusoid's RMS over a period is initializer_range (HF's normal init's std):
 * an offset between positions is then a fixed rotation of each sin/cos pair from the start,
 * which shortens MLM's plateau before attention finds neighbouring tokens. */
void bert_init_positions_sinusoidal(bert_model *m);
void bert_free(bert_model *m);

/* Writes config.json and model.safetensors in Hugging Face layout (atomically) into dir. */
int bert_save(const bert_model *m, const char *dir, char *err, size_t errlen);

/* Adds (or replaces) a freshly initialised classifier head with num_labels outputs (HF's init:
 * weights normal(0, initializer_range) from rng, biases 0). SEQCLS on a model without a pooler adds a
 * fresh pooler first, the same way (has_pooler goes from 0 to 1). */
int bert_set_head(bert_model *m, bert_head kind, int num_labels, bb_rng *rng, char *err, size_t errlen);

/* Fills sizes[BERT_NPARAMS] for a config and head flags. */
void bert_param_sizes(size_t *sizes, const bert_config *cfg, int has_pooler, int has_mlm, int has_nsp,
                      int tied_decoder, int num_labels);
/* Points the fields of p into memory (laid out in field order with the given sizes). */
void bert_params_point(bert_params *p, float *memory, const size_t *sizes);
/* The Hugging Face name of parameter field i, or NULL for a fused/virtual one (see bert_save). */
const char *bert_param_field_name(int i);

/* Number of parameters of the encoder with pooler only (what `model` reports; bert-base: 109,482,240). */
size_t bert_encoder_param_count(const bert_config *cfg, int with_pooler);

int bert_acts_alloc(bert_acts *a, const bert_model *m, int B, int T, int training, char *err, size_t errlen);
/* Re-lays an allocated (or zeroed) a for a new shape, reusing its arena when it is large enough, so a
 * trainer whose batches vary in length does not map and fault in fresh memory every step. Keeps rng.
 * On failure a is freed. */
int bert_acts_resize(bert_acts *a, const bert_model *m, int B, int T, int training, char *err, size_t errlen);
void bert_acts_free(bert_acts *a);

/* Runs embeddings and every encoder layer, then the pooler when the model has one.
 * ids, type_ids (B,T) (type_ids may be NULL); mask (B,T) 1/0 (NULL: no padding).
 * Ids, type ids and T are range-checked (T + position offset <= P). */
int bert_forward(const bert_model *m, bert_acts *a, const int32_t *ids, const int32_t *type_ids,
                 const float *mask, int B, int T, char *err, size_t errlen);

static inline float *bert_hidden(const bert_acts *a, const bert_model *m, int l) {
    return a->hidden + (size_t)l * a->B * a->T * m->cfg.hidden_size;
}
static inline float *bert_attention(const bert_acts *a, const bert_model *m, int l) {
    return a->probs + (size_t)l * a->B * m->cfg.num_heads * a->T * a->T;
}

/* qkv (N, 3C) = x (N, C) @ [query | key | value]^T + bias, for layer l: one product when the three
 * weights are one block, three side by side (x packed once) when they are not (a mapped model). */
void bert_qkv_forward(const bert_model *m, int l, float *qkv, const float *x, int N);

/* MLM head on n selected rows h (n, C) -> logits (n, V). work: at least 2*n*C floats
 * (transform output, then LayerNorm output) and n*2 more (mean, rstd): use bert_mlm_work_size(). */
size_t bert_mlm_work_size(const bert_model *m, int n);
int bert_mlm_logits(const bert_model *m, float *logits, const float *h, int n, float *work, char *err,
                    size_t errlen);
/* NSP logits (B, 2) from the pooler output of the last forward. */
int bert_nsp_logits(const bert_model *m, const bert_acts *a, float *logits, char *err, size_t errlen);
/* Classifier logits: SEQCLS (B, NL) from the pooler; TOKCLS (B, T, NL) from the last hidden state. */
int bert_classifier_logits(const bert_model *m, const bert_acts *a, float *logits, char *err, size_t errlen);

#endif
