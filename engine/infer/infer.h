/* infer.h — what the workbench panes and the inference subcommands compute: fill-mask, attention
 * capture with summaries, the neuron view, the logit lens, embeddings and pseudo-perplexity.
 *
 *     infer_ctx *cx;
 *     if (infer_open(&cx, "models/bert", NULL, TOK_CASE_AUTO, err, sizeof err) != BB_OK) ...;
 *     infer_fill fm;
 *     infer_fill_mask(cx, "Paris is the [MASK] of France.", 5, NULL, 0, &fm, err, sizeof err);
 *     for (int m = 0; m < fm.n_masks; m++)
 *         for (int k = 0; k < fm.masks[m].k; k++)
 *             printf("%s %.3f\n", fm.masks[m].preds[k].token_str, fm.masks[m].preds[k].score);
 *     infer_fill_free(&fm);
 *
 *     infer_attn at;                          // every layer and head of one text (or pair)
 *     infer_attention(cx, "The cat sat.", NULL, &at, NULL, err, sizeof err);   // NULL: no bb_work
 *     const float *p = infer_attn_head(&at, layer, head);   // (T, T): rows query, columns key
 *     infer_attn_free(&at);
 *     infer_close(cx);
 *
 * Layers and heads are numbered from 0, as in Hugging Face and BertViz. A context is not thread-safe:
 * one thread at a time (the workbench's worker) uses it. Results own their memory (free them); they
 * stay valid after later calls.
 */
#ifndef BB_INFER_H
#define BB_INFER_H

#include <stddef.h>
#include <stdint.h>

#include "bert.h"
#include "tok.h"

typedef struct {
    bert_model *model;
    tok_tokenizer *tok;
    int own_model;         /* infer_close frees model/tok when set */
    bert_acts acts;        /* cached for the last (B, T) */
    float *work;           /* head work space, grown on demand */
    size_t work_cap;
    size_t last_logits_floats; /* floats of MLM logits allocated by the last call (tests check it) */
} infer_ctx;

/* Whether tokenizer tk belongs with model m, for model work (fill-mask, attention, training): every
 * id it produces must have a row in the word embeddings (its vocabulary no larger than vocab_size),
 * it must have the special tokens the model is driven with ([CLS] [SEP] [MASK] [PAD], or <s> </s>
 * <mask> <pad>), its padding token at the config's pad_token_id, and, when own (the tokenizer in the
 * model's directory) is given, the same token at every id as own. BB_OK, or BB_EINVAL with the reason
 * in why ("the tokenizer has 30522 tokens but the model's embedding only 8000"). The CLI, the trainer
 * and the workbench all decide with this one function. */
int infer_check_tokenizer(const bert_model *m, const tok_tokenizer *tk, const tok_tokenizer *own, char *why,
                          size_t whylen);
/* Loads a model directory and its tokenizer (vocab overrides the tokenizer: a vocab.txt, a
 * tokenizer.json or a directory; case_mode as tok_load_dir). An override is checked against the
 * model's own tokenizer (infer_check_tokenizer); a mismatch is an error. */
int infer_open(infer_ctx **out, const char *model_dir, const char *vocab, int case_mode, char *err, size_t errlen);
/* Wraps an existing model and tokenizer (not freed by infer_close). */
int infer_wrap(infer_ctx **out, bert_model *m, tok_tokenizer *tk, char *err, size_t errlen);
void infer_close(infer_ctx *cx);

/* The effective max length, the one figure every pane and subcommand cuts at: the fewer of the
 * tokenizer's model_max_length and the model's positions (max_position_embeddings less the position
 * offset, 2 for RoBERTa). cfg NULL: the tokenizer's alone. */
int infer_max_length(const bert_config *cfg, const tok_tokenizer *tk);
/* infer_max_length of cx's model and tokenizer. */
int infer_max_tokens(const infer_ctx *cx);
/* Encodes text (+ pair) with the model's limit: truncation longest_first at the model's positions. */
int infer_encode(infer_ctx *cx, const char *text, const char *pair, tok_encoding *enc, char *err, size_t errlen);
/* Runs the forward pass on one encoded sequence (batch 1); activations stay in cx->acts. */
int infer_run(infer_ctx *cx, const int32_t *ids, const int32_t *type_ids, int T, char *err, size_t errlen);

/* ---- fill-mask --------------------------------------------------------------------------------- */

typedef struct {
    int32_t token;
    const char *token_str; /* borrowed from the tokenizer's vocabulary */
    char *token_text;      /* the decoded token, as HF's token_str ("##s" -> "##s" decoded: "s") */
    float score;           /* softmax probability over the whole vocabulary */
    char *sequence;        /* the text with this prediction filled in (specials skipped) */
} infer_pred;

typedef struct {
    int position;          /* token index of the [MASK] */
    int k;
    infer_pred *preds;     /* (k) best first */
} infer_mask;

typedef struct {
    tok_encoding *enc;     /* the encoded text */
    int n_masks;
    infer_mask *masks;
    int truncated;         /* tokens cut to fit the model */
    char warning[512];     /* non-fatal notes (targets that are not one token), "" when none */
} infer_fill;

/* For every [MASK] in text, the top_k tokens (HF fill-mask semantics). targets (n_targets > 0)
 * restricts the ranking to those words: a word that is not one token uses its first token (with a
 * warning); duplicates are removed; top_k is capped at the number of targets. Only the masked positions
 * go through the vocabulary projection. */
int infer_fill_mask(infer_ctx *cx, const char *text, int top_k, const char *const *targets, int n_targets,
                    infer_fill *out, char *err, size_t errlen);
/* The same on already-encoded ids, ranking the given positions (which need not hold [MASK]). */
int infer_fill_positions(infer_ctx *cx, const int32_t *ids, const int32_t *type_ids, int T, const int *positions,
                         int n_positions, int top_k, const int32_t *target_ids, int n_targets, infer_fill *out,
                         char *err, size_t errlen);
/* Rank (1 = best) and probability of word at the mask_index-th [MASK] of text. */
int infer_word_rank(infer_ctx *cx, const char *text, int mask_index, const char *word, int *rank, float *prob,
                    char *err, size_t errlen);
void infer_fill_free(infer_fill *f);

/* ---- attention --------------------------------------------------------------------------------- */

typedef struct {
    float entropy;     /* mean over real query rows of -sum p log p (nats) */
    float to_cls;      /* mean attention to the first token ([CLS]) */
    float to_sep;      /* mean attention to [SEP] tokens */
    float to_self;     /* mean of the diagonal */
    float to_prev;     /* mean attention to the previous token */
    float to_next;     /* mean attention to the next token */
} infer_head_summary;

typedef struct {
    tok_encoding *enc;
    int L, NH, T;
    float *probs;            /* (L, NH, T, T) */
    float *mean_heads;       /* (L, T, T) mean over heads */
    float *rollout;          /* (L, T, T) attention rollout up to and including layer l */
    infer_head_summary *summary; /* (L, NH) */
    int truncated;
} infer_attn;

/* work (may be NULL): cancel (BB_ECANCEL) before the forward and between layers; progress ("layers"). */
int infer_attention(infer_ctx *cx, const char *text, const char *pair, infer_attn *out, bb_work *work, char *err,
                    size_t errlen);
static inline const float *infer_attn_head(const infer_attn *a, int layer, int head) {
    return a->probs + ((size_t)layer * a->NH + head) * a->T * a->T;
}
void infer_attn_free(infer_attn *a);
/* Attention rollout (as a->rollout) up to and including layer upto over the layers left on: a layer
 * with layer_off[l] = 1 (l < n) counts as the identity, so it is skipped (the attention pane's layer
 * toggles). out (T, T). Returns BB_OK, or BB_ENOMEM when its scratch cannot be allocated. */
int infer_attn_rollout_subset(float *out, const infer_attn *a, const unsigned char *layer_off, int n, int upto);

typedef enum { INFER_PAIR_ALL, INFER_PAIR_AA, INFER_PAIR_BB, INFER_PAIR_AB, INFER_PAIR_BA } infer_pair_filter;

/* A (T, T) view of one matrix: entries outside the pair filter set to 0; with hide_special the rows
 * and columns of [CLS]/[SEP] are zeroed and every row renormalised to sum to 1 (exBERT). */
void infer_attn_filter(float *out, const float *probs, const tok_encoding *enc, infer_pair_filter filter,
                       int hide_special);

/* Neuron view of layer/head for query token q: the query vector, every key vector, q*k elementwise,
 * the scaled scores before softmax and the probabilities after. */
typedef struct {
    int T, HS;
    float *query;    /* (HS) */
    float *keys;     /* (T, HS) */
    float *qk;       /* (T, HS) elementwise query * key */
    float *scores;   /* (T) q.k / sqrt(HS) (padding keys excluded by the mask) */
    float *probs;    /* (T) softmax */
} infer_neuron;

int infer_neuron_view(infer_ctx *cx, const infer_attn *a, int layer, int head, int query, infer_neuron *out,
                      char *err, size_t errlen);
void infer_neuron_free(infer_neuron *n);

/* ---- logit lens -------------------------------------------------------------------------------- */

typedef struct {
    int L1;          /* layers + 1 rows: row 0 the embeddings, row l+1 the output of layer l */
    int k;
    int32_t *ids;    /* (L1, k) */
    float *probs;    /* (L1, k) */
    float *target_prob; /* (L1) probability of the final layer's top token at each depth */
} infer_lens;

/* For the token at position (usually a [MASK]) of text, the MLM head's top-k from every layer. */
int infer_logit_lens(infer_ctx *cx, const char *text, int position, int k, infer_lens *out, char *err,
                     size_t errlen);
void infer_lens_free(infer_lens *l);

/* The lens over every token (as Ecco shows for GPT models): for each layer (row 0 the embeddings) and
 * each token of text (and pair), the MLM head's top token and its probability. enc is the text's
 * encoding (the same tokens infer_attention shows); free with infer_lens_grid_free. */
typedef struct {
    int L1, T;
    tok_encoding *enc;
    int32_t *ids;  /* (L1, T) */
    float *probs;  /* (L1, T) */
} infer_lens_grid;

int infer_logit_lens_grid(infer_ctx *cx, const char *text, const char *pair, infer_lens_grid *out, char *err,
                          size_t errlen);
void infer_lens_grid_free(infer_lens_grid *g);

/* ---- embeddings -------------------------------------------------------------------------------- */

typedef enum { INFER_POOL_CLS, INFER_POOL_MEAN } infer_pooling;

/* Sentence embedding (C floats) of text from the last layer (or `layer`, 0..L; -1 = last). Long texts:
 * stride > 0 embeds overlapping windows and averages them; otherwise truncates (reported). */
int infer_embed(infer_ctx *cx, const char *text, infer_pooling pooling, int layer, int stride, float *out,
                int *truncated, char *err, size_t errlen);
float infer_cosine(const float *a, const float *b, int n);

/* ---- pseudo-perplexity ------------------------------------------------------------------------- */

typedef struct {
    tok_encoding *enc;
    int n;              /* scored tokens (specials excluded) */
    int *positions;     /* (n) token index of each scored token */
    float *logprob;     /* (n) natural log-probability of the true token with it masked */
    float *surprisal;   /* (n) -log2 p, bits */
    double pppl;        /* exp(-mean logprob) */
    int truncated;
} infer_ppl;

/* Masks each token in turn (batched), as Salazar et al.'s pseudo-log-likelihood. stride > 0 scores a
 * long text in windows of the model's length advancing by stride; otherwise it is truncated. work (may
 * be NULL): cancel (BB_ECANCEL) between batches of masked copies; progress ("tokens" scored). */
int infer_pseudo_perplexity(infer_ctx *cx, const char *text, int stride, infer_ppl *out, bb_work *work, char *err,
                            size_t errlen);
void infer_ppl_free(infer_ppl *p);

#endif
