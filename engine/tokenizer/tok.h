/* tok.h — tokenizers with Hugging Face `tokenizers` parity: BERT WordPiece and byte-level BPE
 * (GPT-2/RoBERTa), loaded from vocab.txt, tokenizer.json or a model directory; trainers; statistics.
 *
 * The pipeline, as the HF book teaches it, and what each stage does here:
 *   added tokens  literal special tokens in the text ("[MASK]", "<s>") are split out first, verbatim;
 *   normalizer    BertNormalizer: drop NUL/U+FFFD/control chars, whitespace -> ' ', spaces around CJK
 *                 ideographs, strip accents (NFD, drop Mn) and lowercase; or none (byte-level BPE);
 *   pre-tokenizer BertPreTokenizer (split on whitespace, isolate punctuation) or ByteLevel (GPT-2 regex,
 *                 bytes mapped to printable code points: ' ' -> 'Ġ');
 *   model         WordPiece (greedy longest match, "##" continuation) or BPE (merges by rank);
 *   post-processor [CLS] A [SEP] / [CLS] A [SEP] B [SEP] (or RoBERTa's <s> A </s></s> B </s>),
 *                 type ids, truncation, padding;
 *   decoder       ids -> text ("##" merged and spaces before punctuation cleaned, or bytes reassembled).
 *
 * Tutorial:
 *     char err[256];
 *     tok_tokenizer *tk;
 *     if (tok_load_dir(&tk, "models/bert-base-uncased", TOK_CASE_AUTO, err, sizeof err) != BB_OK)
 *         return fprintf(stderr, "%s\n", err), 1;
 *     tok_options o = tok_options_default();          // add specials, no truncation, no padding
 *     o.truncation = TOK_TRUNC_LONGEST_FIRST; o.max_length = 128;
 *     tok_encoding *enc = tok_encoding_new();          // reusable: buffers grow, never per token
 *     if (tok_encode(tk, "Café au lait", -1, NULL, 0, &o, enc, err, sizeof err) != BB_OK) ...;
 *     for (int i = 0; i < enc->n; i++)                 // "[CLS]" "cafe" "au" "lait" "[SEP]"
 *         printf("%d %s [%d,%d)\n", enc->ids[i], enc->tokens[i], enc->offsets[2*i], enc->offsets[2*i+1]);
 *     char *s = tok_decode_dup(tk, enc->ids, enc->n, 1);   // "cafe au lait"; free(s)
 *     tok_encoding_free(enc);
 *     tok_free(tk);
 *
 * To show how "Café" became "cafe", call tok_inspect() and read the stages (normalized text with the
 * original offset of every normalized character, pre-tokenized words, model pieces).
 *
 * Thread safety: a loaded tok_tokenizer is immutable; any number of threads may encode with it at
 * once, each with its own tok_encoding. Offsets are [start, end) into the text that was passed
 * (text A for tokens of A, text B for tokens of B); special and padding tokens have [0, 0).
 */
#ifndef BB_TOK_H
#define BB_TOK_H

#include <stddef.h>
#include <stdint.h>

#include "bb_err.h"
#include "bb_work.h"

typedef struct tok_tokenizer tok_tokenizer;

/* WordPiece, byte-level BPE (GPT-2/RoBERTa), SentencePiece Unigram, SentencePiece BPE (merges by piece
 * score over characters, '▁' for spaces, byte fallback: Llama-style). */
typedef enum { TOK_MODEL_WORDPIECE = 0, TOK_MODEL_BPE = 1, TOK_MODEL_UNIGRAM = 2, TOK_MODEL_SPM_BPE = 3 } tok_model_kind;

/* Case handling when loading: AUTO reads tokenizer_config.json / tokenizer.json (vocab.txt: lowercase). */
enum { TOK_CASE_AUTO = -1, TOK_CASE_CASED = 0, TOK_CASE_LOWER = 1 };

/* ---- loading ---------------------------------------------------------------------------------- */

/* A BERT WordPiece tokenizer from a vocab.txt (one token per line, id = line number), as HF's
 * BertWordPieceTokenizer(vocab, lowercase) builds it: BertNormalizer(lowercase, strip accents when
 * lowercasing), BertPreTokenizer, "##" prefix, [CLS]/[SEP] post-processing, WordPiece decoder. */
int tok_load_vocab(tok_tokenizer **out, const char *path, int lowercase, char *err, size_t errlen);
/* Same from memory (len bytes); name is used in error messages. */
int tok_load_vocab_mem(tok_tokenizer **out, const char *data, size_t len, const char *name, int lowercase,
                       char *err, size_t errlen);
/* A tokenizer.json (WordPiece or BPE model; BertNormalizer; BertPreTokenizer or ByteLevel;
 * BertProcessing, RobertaProcessing, TemplateProcessing or ByteLevel post-processor; WordPiece or
 * ByteLevel decoder). An unsupported component is an error naming it. */
int tok_load_json(tok_tokenizer **out, const char *path, char *err, size_t errlen);
int tok_load_json_mem(tok_tokenizer **out, const char *json, size_t len, const char *name, char *err,
                      size_t errlen);
/* A SentencePiece model (the ModelProto protobuf of a .model file; Unigram or BPE), encoding as
 * SentencePieceProcessor does: its normalizer, no special tokens added, a run of unknown characters as one
 * unknown piece whose token is the text itself, byte fallback to <0xXX> pieces. */
int tok_load_spm(tok_tokenizer **out, const char *path, char *err, size_t errlen);
int tok_load_spm_mem(tok_tokenizer **out, const uint8_t *data, size_t len, const char *name, char *err,
                     size_t errlen);
/* 1 when data starts like a SentencePiece ModelProto (recognised by content, not by name). */
int tok_is_spm(const uint8_t *data, size_t len);
typedef enum { TOK_FILE_JSON = 1, TOK_FILE_VOCAB, TOK_FILE_SPM } tok_file_kind;
/* Where the tokenizer of a path lives, as every loader finds it: path (or a Hub id's cached snapshot)
 * is the file itself, its kind recognised by content (a SentencePiece model, a JSON object, else a
 * vocab.txt), or a model directory holding tokenizer.json, else vocab.txt, else a SentencePiece model
 * (tokenizer.model, spiece.model, sentencepiece.bpe.model, sentencepiece.model, then any *.model).
 * file (n bytes) receives that file's path, *kind its kind, *is_dir (may be NULL) whether path was a
 * directory. BB_EIO naming the path when there is none. */
int tok_resolve(const char *path, char *file, size_t n, tok_file_kind *kind, int *is_dir, char *err, size_t errlen);
const char *tok_file_kind_name(tok_file_kind kind); /* "tokenizer.json", "vocab.txt", "SentencePiece model" */
/* A file recognised by its content (a SentencePiece model, a tokenizer.json, else a vocab.txt) or a
 * model directory (tok_load_dir), as tok_resolve finds it. case_mode as for tok_load_dir. */
int tok_load_any(tok_tokenizer **out, const char *path, int case_mode, char *err, size_t errlen);
/* A model directory: tokenizer.json if present, else vocab.txt, else a SentencePiece .model
 * (tokenizer.model, spiece.model, sentencepiece.bpe.model or any *.model). case_mode TOK_CASE_AUTO takes
 * tokenizer_config.json's do_lower_case (default true for vocab.txt); CASED/LOWER override it. */
int tok_load_dir(tok_tokenizer **out, const char *dir, int case_mode, char *err, size_t errlen);
void tok_free(tok_tokenizer *tk);

/* Turn lowercasing (and accent stripping with it) on or off on a BertNormalizer ("--cased"). */
void tok_set_lowercase(tok_tokenizer *tk, int lowercase);

/* ---- lookups ---------------------------------------------------------------------------------- */

tok_model_kind tok_kind(const tok_tokenizer *tk);
/* "WordPiece", "byte-level BPE", "Unigram", "SentencePiece BPE". */
const char *tok_kind_name(tok_model_kind kind);
int tok_lowercase(const tok_tokenizer *tk);
int tok_vocab_size(const tok_tokenizer *tk);
/* tokenizer_config.json model_max_length when loaded from a directory and sensible, else 512. */
int tok_model_max_length(const tok_tokenizer *tk);
/* Sets it (n > 0): a trainer records the model's positions, as HF's tokenizer_config.json does. */
void tok_set_model_max_length(tok_tokenizer *tk, int n);
/* transformers' clean_up_tokenization_spaces: whether decoded text gets tok_clean_up_tokenization. */
int tok_clean_up_spaces(const tok_tokenizer *tk);
/* -1 when absent. */
int32_t tok_token_to_id(const tok_tokenizer *tk, const char *token);
/* Borrowed (lives as long as tk); NULL when id is out of range. */
const char *tok_id_to_token(const tok_tokenizer *tk, int32_t id);
/* 1 when id is a special token ([CLS], <s>, ...). */
int tok_is_special(const tok_tokenizer *tk, int32_t id);

/* Special token ids, -1 when the vocabulary lacks one. BPE: cls=<s>, sep=</s>, pad=<pad>, mask=<mask>,
 * unk=<unk>. */
typedef struct {
    int32_t cls, sep, pad, mask, unk;
} tok_special_ids;
tok_special_ids tok_specials(const tok_tokenizer *tk);

/* ---- encoding --------------------------------------------------------------------------------- */

typedef enum {
    TOK_TRUNC_NONE = 0,
    TOK_TRUNC_LONGEST_FIRST,  /* cut the longer of A/B one token at a time (HF's split of the budget) */
    TOK_TRUNC_ONLY_FIRST,
    TOK_TRUNC_ONLY_SECOND,
} tok_trunc;

typedef enum { TOK_SIDE_RIGHT = 0, TOK_SIDE_LEFT = 1 } tok_side;

typedef struct {
    int add_special_tokens; /* 1: the post-processor's [CLS] A [SEP] (default 1) */
    tok_trunc truncation;   /* default NONE */
    tok_side truncation_side;
    int max_length;         /* total tokens including specials when truncating (default 512) */
    int pad_to;             /* pad to at least this many tokens with [PAD]; 0 = no padding */
    tok_side padding_side;
} tok_options;

tok_options tok_options_default(void);
/* A tokenizer.json's own truncation section, as HF tokenizers applies it to every encoding: 1 and
 * o's truncation, side and max_length set when the file has one, 0 (o untouched) when it is null. */
int tok_file_truncation(const tok_tokenizer *tk, tok_options *o);

/* Special-token flag values (tok_encoding.special). */
enum { TOK_TEXT = 0, TOK_ADDED = 1, TOK_PADDING = 2, TOK_LITERAL = 3 };

/* One encoded sequence (or pair). All arrays have n entries; offsets have 2n. Owned by the encoding
 * and reused by the next tok_encode into it. */
typedef struct {
    int n;
    int32_t *ids;           /* (n) */
    const char **tokens;    /* (n) borrowed from the tokenizer */
    int32_t *offsets;       /* (n, 2) [start, end) in code points of the token's own text */
    int32_t *byte_offsets;  /* (n, 2) [start, end) in bytes */
    int32_t *words;         /* (n) word index within its text (a literal special token counts as a
                               word, as in HF); -1 for added specials and padding */
    int32_t *seq;           /* (n) 0 = text A, 1 = text B, -1 = added special or padding */
    int32_t *type_ids;      /* (n) */
    int32_t *attention_mask;/* (n) 1 for tokens, 0 for padding */
    uint8_t *special;       /* (n) TOK_TEXT, TOK_ADDED (post-processor), TOK_PADDING, TOK_LITERAL
                               (a special token written in the text) */
    int overflow_a;         /* tokens of A cut by truncation */
    int overflow_b;         /* tokens of B cut by truncation */
    bb_work *work;          /* set by the caller (may be NULL): its cancel stops a long word's merging,
                               tok_encode / tok_count then return BB_ECANCEL */
    int cap_;               /* private: allocated entries */
    struct tok_scratch *scratch_; /* private: working buffers reused across calls */
} tok_encoding;

tok_encoding *tok_encoding_new(void);
void tok_encoding_free(tok_encoding *enc);

/* Encodes text (len bytes, or -1 for NUL-terminated) and, when pair != NULL, the pair
 * (pair_len or -1). Invalid UTF-8 bytes are read as U+FFFD. Returns BB_OK, BB_EINVAL (e.g.
 * only_second truncation without a pair, or a sequence too short to cut), BB_ECANCEL (enc->work)
 * or BB_ENOMEM. */
int tok_encode(const tok_tokenizer *tk, const char *text, long len, const char *pair, long pair_len,
               const tok_options *o, tok_encoding *enc, char *err, size_t errlen);

/* Encodes n texts (pairs may be NULL, or hold NULL entries) into encs[0..n) (from tok_encoding_new)
 * and pads all of them to the longest (or o->pad_to when larger). */
int tok_encode_batch(const tok_tokenizer *tk, const char *const *texts, const char *const *pairs, int n,
                     const tok_options *o, tok_encoding **encs, char *err, size_t errlen);

/* Tokens of text without specials, truncation or padding: the count only (fast path for stats);
 * negative: BB_ENOMEM or BB_ECANCEL (scratch->work). */
int tok_count(const tok_tokenizer *tk, const char *text, long len, tok_encoding *scratch);

/* ---- decoding --------------------------------------------------------------------------------- */

/* ids -> text through the tokenizer's decoder; the caller frees the result. skip_special drops
 * special tokens. Unknown ids are skipped. NULL only when out of memory. */
char *tok_decode_dup(const tok_tokenizer *tk, const int32_t *ids, int n, int skip_special);
/* Same, with the length in bytes in *len (the text may hold NUL characters). */
char *tok_decode_len_dup(const tok_tokenizer *tk, const int32_t *ids, int n, int skip_special, size_t *len);
/* transformers' clean_up_tokenization, in place: " ." -> ".", " ' " -> "'", " n't" -> "n't", ... (what
 * its decode() applies when the tokenizer's clean_up_tokenization_spaces is set). */
void tok_clean_up_tokenization(char *text);

/* ---- stage-by-stage inspection ---------------------------------------------------------------- */

typedef struct {
    const char *text;   /* the pre-token as the model sees it ("cafe", "Ġworld"), NUL-terminated */
    int32_t start, end; /* [start, end) in original code points */
    int special;        /* 1 when this is a literal special token split out before normalizing */
} tok_word;

typedef struct {
    int32_t id;
    const char *token;  /* borrowed from the tokenizer */
    int32_t word;       /* index into words */
    int32_t start, end; /* original code points */
} tok_piece;

typedef struct {
    char *normalized;       /* the normalizer's output over the whole text (specials kept verbatim) */
    int n_chars;            /* code points in normalized */
    int32_t *char_orig;     /* (n_chars, 2) original [start, end) code points of each normalized char */
    int n_words;
    tok_word *words;
    int n_pieces;
    tok_piece *pieces;
    char *pool_;            /* private: storage for the word strings */
    /* SentencePiece family only (NULL otherwise): the text after the normalization rules alone (the
     * charsmap, or a tokenizer.json's normalizers), before whitespace handling and '▁'; the rules' name;
     * each piece's score as the model used it (an unknown piece: the lowest score minus 10). */
    char *mapped;
    const char *rule;
    double *scores;         /* (n_pieces) */
} tok_stages;

int tok_inspect(const tok_tokenizer *tk, const char *text, long len, tok_stages *out, char *err,
                size_t errlen);
void tok_stages_free(tok_stages *st);

/* ---- training --------------------------------------------------------------------------------- */

typedef struct {
    tok_model_kind algo;
    int vocab_size;         /* target size including specials and the alphabet (default 30000) */
    int min_frequency;      /* a merge must occur at least this often (default 2) */
    int limit_alphabet;     /* keep at most this many initial characters, most frequent first (0 = all) */
    int lowercase;          /* WordPiece: BertNormalizer lowercase + strip accents (default 1) */
    const char *const *special_tokens; /* NULL: [PAD] [UNK] [CLS] [SEP] [MASK] / <s> <pad> </s> <unk> <mask> */
    int n_special;
    bb_work *work;          /* may be NULL: tok_trainer_finish checks its cancel (BB_ECANCEL) and reports
                               ("vocabulary", size, vocab_size) every 64 merges */
} tok_train_options;

tok_train_options tok_train_options_default(tok_model_kind algo);

typedef struct tok_trainer tok_trainer;

int tok_trainer_new(tok_trainer **out, const tok_train_options *o, char *err, size_t errlen);
/* Counts the words of one text (len bytes or -1). */
int tok_trainer_feed(tok_trainer *tr, const char *text, long len, char *err, size_t errlen);
/* Learns the vocabulary and returns a ready tokenizer (the trainer stays usable for freeing only). */
int tok_trainer_finish(tok_trainer *tr, tok_tokenizer **out, char *err, size_t errlen);
void tok_trainer_free(tok_trainer *tr);

/* Writes tokenizer.json (loadable by HF tokenizers). */
int tok_save_json(const tok_tokenizer *tk, const char *path, char *err, size_t errlen);
/* Writes vocab.txt (one token per line, by id). */
int tok_save_vocab(const tok_tokenizer *tk, const char *path, char *err, size_t errlen);
/* A model directory: tokenizer.json, vocab.txt (WordPiece) or vocab.json + merges.txt (BPE), and
 * tokenizer_config.json. The directory is created when missing. */
int tok_save_dir(const tok_tokenizer *tk, const char *dir, char *err, size_t errlen);

/* ---- corpus statistics ------------------------------------------------------------------------ */

#define TOK_STATS_BINS 20

typedef struct {
    long n_texts;
    long n_tokens;          /* with the specials of single-text encoding */
    long n_words;           /* pre-tokenizer words */
    long n_unk;             /* [UNK] tokens */
    long n_bytes;           /* byte-fallback pieces (<0x00>..<0xFF>: characters outside the vocabulary) */
    double mean, std;       /* tokens per text (with specials) */
    int min, q1, median, q3, max;
    int max_length;         /* the truncation length the next counts use */
    long n_over;            /* texts longer than max_length */
    long cut_tokens;        /* tokens truncation would cut (the same number on either side) */
    long cut_words_right;   /* words losing at least one token under right truncation */
    long cut_words_left;    /* ... under left truncation */
    double unk_rate;        /* n_unk / content tokens */
    double byte_rate;       /* n_bytes / content tokens */
    double fertility;       /* content tokens per word */
    int bin_width;          /* histogram of tokens per text: hist[i] counts [i*w, (i+1)*w) */
    long hist[TOK_STATS_BINS];
} tok_stats;

/* Statistics of n texts against max_length. work (may be NULL) cancels (BB_ECANCEL) and receives
 * progress ("texts", done, n). */
int tok_stats_compute(const tok_tokenizer *tk, const char *const *texts, long n, int max_length,
                      tok_stats *out, bb_work *work, char *err, size_t errlen);
/* The texts of a corpus file, one per line (a blank line is an empty text; a line holding a JSON object
 * with a "text" string is that string), read as a stream with a line-length limit. A line that is not
 * UTF-8 stops the reading with PATH:LINE, or is skipped (skip_bad) and counted in *skipped (may be
 * NULL). Free with tok_texts_free. */
int tok_read_texts(const char *path, int skip_bad, char ***texts, long *n, long *skipped, char *err, size_t errlen);
void tok_texts_free(char **texts, long n);
/* 1 when token is a byte-fallback piece "<0xXX>" (HF and SentencePiece look bytes up by that name). */
int tok_is_byte_piece(const char *token);

#endif
