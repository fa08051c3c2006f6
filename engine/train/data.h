/* data.h — training datasets, label maps, and the batches the trainer feeds the model.
 *
 * Formats (picked from the extension unless given): plain text (.txt: one document per line, or
 * blank-line-separated paragraphs), JSONL (.jsonl/.json: "text", optional "text_pair", "label" as a
 * string or a number; or "tokens" + "tags" arrays for token classification), CSV/TSV with a header
 * (.csv/.tsv: columns text / text_pair / label, also sentence1 / sentence2), CoNLL (.conll/.bio/.iob:
 * token first column, tag last column, blank line between sentences, -DOCSTART- skipped).
 *
 *     data_set *d;
 *     if (data_load(&d, "train.jsonl", DATA_FMT_AUTO, 0, err, sizeof err) != BB_OK) ...;  // "FILE:LINE: why"
 *     data_labels lm;
 *     data_labels_build(&lm, d, 0, err, sizeof err);   // sorted strings, or 0..K-1 when all integers
 *     data_set *tr, *ev;
 *     data_split(d, 0.1, seed, &tr, &ev, err, sizeof err);   // d is consumed
 *
 * Encoding for the model (tokenizer from tok.h):
 *   MLM: data_group_texts() tokenizes every text without truncation (with [CLS]/[SEP]), concatenates
 *        and cuts into blocks of block_size (the remainder is dropped when at least one block is full,
 *        as HF's run_mlm does); data_mask() applies dynamic masking to a batch of blocks.
 *   seqcls / tokcls: data_encode_examples() tokenizes with truncation to max_length; tokcls labels go
 *        on each word's first sub-token, -100 on the rest and on specials (as HF does).
 */
#ifndef BB_DATA_H
#define BB_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "bb_rng.h"
#include "tok.h"

typedef enum { DATA_FMT_AUTO, DATA_FMT_TEXT, DATA_FMT_JSONL, DATA_FMT_CSV, DATA_FMT_TSV, DATA_FMT_CONLL } data_format;

typedef struct {
    char *text;      /* the text (CoNLL / token lists: the words joined by spaces) */
    char *text_pair; /* or NULL */
    char *label;     /* the label as written (numbers in their JSON/CSV spelling), or NULL */
    int n_words;     /* token classification: words and their tags, else 0 */
    char **words;
    char **tags;
    int line;        /* 1-based line where the example starts (for messages) */
} data_example;

typedef struct {
    char path[1024];
    data_format format;
    int n, cap;
    data_example *ex;
    int n_skipped;          /* examples dropped by DATA_SKIP_BAD_UTF8 */
    int first_skipped_line; /* line of the first of them, 0 when none */
} data_set;

/* flags: DATA_PARAGRAPHS (plain text only: blank lines separate documents instead of every line being
 * one); DATA_SKIP_BAD_UTF8 drops examples whose text, pair, label, words or tags are not valid UTF-8
 * (counted in d->n_skipped, the first at d->first_skipped_line) instead of failing with "FILE:LINE: not
 * valid UTF-8". */
enum { DATA_PARAGRAPHS = 1, DATA_SKIP_BAD_UTF8 = 2 };
int data_load(data_set **out, const char *path, data_format fmt, int flags, char *err, size_t errlen);
void data_free(data_set *d);
int data_format_parse(const char *name); /* "text", "jsonl", "csv", "tsv", "conll"; -1 when unknown */
const char *data_format_name(data_format f);

/* Shuffles d with seed and moves the first round(n * fraction) examples (at least 1, at most n-1) into
 * *eval, the rest into *train. d is emptied and freed. */
int data_split(data_set *d, double fraction, uint64_t seed, data_set **train, data_set **eval, char *err,
               size_t errlen);

/* Label map: names[id]. Built from example labels (or word tags when tags != 0): when every label is
 * a non-negative integer the ids are those integers (names "0".."K-1"), otherwise the sorted distinct
 * strings. */
typedef struct {
    int n;
    char **names;
    int *slots;    /* hash of names -> id (-1 empty), so a lookup per example is O(1) with 50k labels */
    size_t nslots; /* a power of two > 2n */
} data_labels;

int data_labels_build(data_labels *lm, const data_set *d, int tags, char *err, size_t errlen);
/* From a model's id2label (copies). */
int data_labels_from(data_labels *lm, int n, const char *const *names, char *err, size_t errlen);
int data_label_id(const data_labels *lm, const char *name); /* -1 when absent */
void data_labels_free(data_labels *lm);

/* ---- encoded data ------------------------------------------------------------------------------- */

/* n rows of up to T tokens (row-major (n, T)); len[i] real tokens, the rest padding. */
typedef struct {
    int n, T;
    int32_t *ids;      /* (n, T) */
    int32_t *type_ids; /* (n, T) */
    int32_t *len;      /* (n) */
    uint8_t *special;  /* (n, T) 1: never masked (specials, padding) */
    uint8_t *word_start; /* (n, T) 1: first sub-token of a word (whole-word masking) */
    int label_kind;    /* 0 none (MLM), 1 one per row (seqcls, regression), 2 one per token (tokcls) */
    int32_t *labels;   /* (n) class ids (seqcls), (n, T) tag ids / -100 (tokcls), or NULL (MLM) */
    float *values;     /* (n) regression targets, or NULL */
    long n_tokens;     /* sum of len */
} data_encoded;

int data_group_texts(data_encoded *out, const tok_tokenizer *tk, const data_set *d, int block_size, char *err,
                     size_t errlen);
/* task_tokcls selects word-level tags; num_labels == 1 reads labels as numbers (regression). */
int data_encode_examples(data_encoded *out, const tok_tokenizer *tk, const data_set *d, const data_labels *lm,
                         int task_tokcls, int max_length, char *err, size_t errlen);
void data_encoded_free(data_encoded *e);

/* A batch: B rows gathered from an encoded set, padded to the longest row. */
typedef struct {
    int B, T, cap_B, cap_T;
    int32_t *ids, *type_ids, *labels; /* (B, T); labels (B, T) for MLM/tokcls, (B) for seqcls */
    float *mask;                      /* (B, T) 1 real, 0 padding */
    float *values;                    /* (B) regression targets */
    long n_tokens;                    /* real tokens */
} data_batch;

/* Gathers rows idx[0..B) of e into b (buffers grow as needed). */
int data_batch_fill(data_batch *b, const data_encoded *e, const int32_t *idx, int B, char *err, size_t errlen);
void data_batch_free(data_batch *b);

typedef struct {
    float prob;        /* fraction of non-special tokens to mask (0.15) */
    int whole_word;    /* mask all sub-tokens of a chosen word together */
    int32_t mask_id;   /* [MASK] */
    int vocab_size;    /* random replacements are drawn from [0, vocab_size) */
} data_mask_opts;

/* HF DataCollatorForLanguageModeling on a filled batch: each non-special real token (or word) is
 * chosen with probability prob; a chosen token gets label = its id and is replaced by [MASK] 80% of
 * the time, a random token 10%, kept 10%; all other labels are -100. special/word_start are the
 * batch rows' flags gathered like ids (see data_batch_fill_flags). */
void data_mask(data_batch *b, const uint8_t *special, const uint8_t *word_start, const data_mask_opts *o, bb_rng *rng);
/* The flags of rows idx[0..B) padded to b->T, into special and word_start (B * T bytes each). */
void data_batch_flags(const data_batch *b, const data_encoded *e, const int32_t *idx, uint8_t *special,
                      uint8_t *word_start);

#endif
