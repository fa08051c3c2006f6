/* tok_unigram_train.h — a SentencePiece-style Unigram trainer: learns pieces and their log
 * probabilities from raw text, and writes them as a Hugging Face tokenizer.json (Unigram model,
 * Metaspace pre-tokenizer) that tok_load_json reads.
 *
 * The recipe is SentencePiece's (unigram_model_trainer.cc), step by step:
 *   normalize   nmt_nfkc as SentencePiece builds it (control characters dropped, odd spaces -> ' ',
 *               NFKC by longest match over a charsmap), runs of spaces collapsed, ends stripped, a dummy
 *               ' ' prefix, ' ' -> '▁'; split into words before each '▁';
 *   characters  the most frequent characters covering character_coverage of the text are required
 *               (always in the vocabulary); the rest become unknown;
 *   seed        every substring that occurs at least twice and branches (is followed by more than one
 *               character), up to 16 characters, '▁' only in front, one Unicode script (digits and
 *               punctuation are Common), ranked by frequency x length; the top seed_size plus the
 *               required characters, scored log(count / total);
 *   EM          forward-backward over each word's lattice of pieces gives expected counts; the M step
 *               drops pieces expected less than 0.5 times and scores the rest digamma(count) -
 *               digamma(total) (the Bayesian update SentencePiece uses);
 *   prune       each piece's loss is how much the corpus likelihood drops when its Viterbi uses fall
 *               back to its best other segmentation; pieces that are never the best segmentation of
 *               themselves go, the rest are kept by loss down to max(1.1 x target, shrink x size);
 *   finish      the required characters plus the best-scored pieces fill the vocabulary after
 *               <unk> <s> </s> (and <0x00>..<0xFF> with byte_fallback).
 *
 * Tutorial:
 *     tok_ug_options o = tok_ug_options_default();
 *     o.vocab_size = 8000;
 *     tok_ug_trainer *tr;
 *     if (tok_ug_new(&tr, &o, err, sizeof err) != BB_OK) ...;
 *     while (getline(...)) tok_ug_feed(tr, line, n, err, sizeof err);
 *     tok_ug_model m;
 *     if (tok_ug_finish(tr, &m, err, sizeof err) == BB_OK) tok_ug_save_dir(&m, "out", err, sizeof err);
 *     tok_ug_model_free(&m);
 *     tok_ug_free(tr);
 */
#ifndef BB_TOK_UNIGRAM_TRAIN_H
#define BB_TOK_UNIGRAM_TRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "bb_err.h"
#include "bb_work.h"

typedef struct {
    int vocab_size;            /* total, with <unk> <s> </s> and the byte pieces (default 8000) */
    double character_coverage; /* (0, 1] (default 0.9995) */
    int byte_fallback;         /* add <0x00>..<0xFF> pieces (default 0) */
    int max_piece_length;      /* in code points (default 16) */
    int seed_size;             /* seed pieces kept (default 1000000) */
    double shrinking_factor;   /* pieces kept per pruning round (default 0.75) */
    int sub_iterations;        /* EM steps between prunings (default 2) */
    int max_sentence_bytes;    /* longer lines are skipped, as SentencePiece does (default 8192) */
    bb_work *work;             /* may be NULL: tok_ug_finish checks its cancel (BB_ECANCEL) and reports
                                  ("pruning", done, 1000) between pruning rounds */
} tok_ug_options;

tok_ug_options tok_ug_options_default(void);

enum { TOK_UG_NORMAL = 1, TOK_UG_UNKNOWN = 2, TOK_UG_CONTROL = 3, TOK_UG_BYTE = 6 };

/* A trained model: ids 0..n-1 (<unk> <s> </s>, bytes, then pieces by descending score). */
typedef struct {
    int n;
    char **piece;   /* (n) UTF-8, '▁' for spaces */
    double *score;  /* (n) log probability; 0 for <unk>, <s>, </s> and byte pieces */
    uint8_t *type;  /* (n) TOK_UG_* */
    int byte_fallback;
    long n_sentences, n_skipped; /* lines used and lines skipped as too long */
    int n_required;              /* required characters */
    double character_coverage;
    uint8_t *charsmap;           /* the normalization rules (tok_ug_charsmap_build) */
    size_t charsmap_len;
} tok_ug_model;

typedef struct tok_ug_trainer tok_ug_trainer;

int tok_ug_new(tok_ug_trainer **out, const tok_ug_options *o, char *err, size_t errlen);
/* Normalizes one line (len bytes or -1) and counts its words. */
int tok_ug_feed(tok_ug_trainer *tr, const char *text, long len, char *err, size_t errlen);
/* Trains on everything fed; fills *out (free with tok_ug_model_free). BB_EINVAL when nothing was fed
 * or vocab_size leaves no room for the required characters. */
int tok_ug_finish(tok_ug_trainer *tr, tok_ug_model *out, char *err, size_t errlen);
void tok_ug_free(tok_ug_trainer *tr);
void tok_ug_model_free(tok_ug_model *m);

/* SentencePiece's nmt_nfkc rules (NMT control/space rules, then NFKC per code point and for each
 * NFKD sequence) as a precompiled charsmap blob: the bytes SentencePiece keeps in
 * normalizer_spec.precompiled_charsmap and HF in a Precompiled normalizer. The caller frees it; NULL
 * when out of memory. */
uint8_t *tok_ug_charsmap_build(size_t *len);
/* The normalization above with charsmap cm: text -> '▁'-escaped normalized UTF-8 (caller frees), its
 * length in *n. NULL when out of memory. */
char *tok_ug_normalize_dup(const uint8_t *cm, size_t cm_len, const char *text, long len, size_t *n);

/* Pieces of texts[0..n) under the model's Viterbi segmentation, summed into *pieces; unknown
 * characters count one piece per run (as SentencePiece fuses them), or one per UTF-8 byte with
 * byte_fallback, and *n_unk (may be NULL) gets those pieces. For measuring a model while training;
 * tokenizing goes through tok_load_json. BB_OK or BB_ENOMEM. */
int tok_ug_count_pieces(const tok_ug_model *m, const char *const *texts, long n, long *pieces, long *n_unk,
                        char *err, size_t errlen);

/* tokenizer.json as HF writes it for a SentencePiece Unigram tokenizer: Unigram model (vocab with
 * scores, unk_id 0, byte_fallback), normalizer Sequence[Precompiled (the charsmap), Replace(' {2,}' -> ' '),
 * Strip],
 * Metaspace pre-tokenizer, <s> A </s> template, Metaspace decoder (ByteFallback chain with bytes). */
int tok_ug_save_json(const tok_ug_model *m, const char *path, char *err, size_t errlen);
/* A SentencePiece ModelProto (.model): the pieces with scores and types, trainer_spec (unigram,
 * vocab_size, character_coverage, byte_fallback), normalizer_spec nmt_nfkc with the charsmap. */
int tok_ug_save_model(const tok_ug_model *m, const char *path, char *err, size_t errlen);
/* DIR/tokenizer.json, DIR/tokenizer_config.json and DIR/spiece.model (the same model as SentencePiece
 * writes it); DIR is created when missing. */
int tok_ug_save_dir(const tok_ug_model *m, const char *dir, char *err, size_t errlen);

#endif
