/* tok_internal.h — the tokenizer's private structures, shared by the tok_*.c files. */
#ifndef BB_TOK_INTERNAL_H
#define BB_TOK_INTERNAL_H

#include <stdint.h>

#include "tok.h"

/* String -> id map: open addressing, slots hold (hash, id); keys live in the vocabulary. */
typedef struct {
    uint32_t hash;
    int32_t id; /* -1 = empty */
} tok_slot;

typedef struct {
    tok_slot *slots;
    uint32_t mask;
    int skip; /* bytes of each vocabulary string not part of the key (the "##" prefix) */
} tok_map;

static inline uint32_t tok_hash(const char *s, size_t n) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)s[i]) * 16777619u;
    return h;
}
#define TOK_HASH_SEED 2166136261u
#define TOK_HASH_STEP(h, b) (((h) ^ (uint8_t)(b)) * 16777619u)

typedef struct {
    int32_t id;
    char *content;
    int len;
    int lstrip, rstrip, special;
} tok_added;

typedef struct {
    int is_special; /* 1: a special token (id), 0: a sequence (seq 0 = A, 1 = B) */
    int32_t id;
    int seq;
    int type_id;
} tok_tmpl_item;

enum { TOK_PRE_NONE = 0, TOK_PRE_BERT = 1, TOK_PRE_BYTELEVEL = 2 };
enum { TOK_POST_NONE = 0, TOK_POST_BERT, TOK_POST_ROBERTA, TOK_POST_TEMPLATE, TOK_POST_BYTELEVEL };
enum { TOK_DEC_NONE = 0, TOK_DEC_WORDPIECE = 1, TOK_DEC_BYTELEVEL = 2 };

struct tok_tokenizer {
    tok_model_kind kind;
    int n_vocab;          /* ids are 0..n_vocab-1; str[id] may be NULL for a gap */
    char **str;           /* (n_vocab) */
    uint32_t *len;        /* (n_vocab) */
    tok_map full;         /* every token */
    tok_map cont;         /* WordPiece: tokens with the continuation prefix, keyed without it */
    int max_key;          /* longest key in bytes (bounds the greedy search) */
    /* model */
    int32_t unk;          /* -1 when none */
    char prefix[16];      /* WordPiece continuation prefix ("##") */
    int prefix_len;
    int max_chars;        /* WordPiece max_input_chars_per_word */
    /* BPE merges: (left, right) -> rank, new id */
    struct tok_merge *merges;
    uint32_t merge_mask;
    int n_merges;
    int32_t *merge_left, *merge_right; /* (n_merges) in rank order, for saving */
    int32_t byte_id[256]; /* BPE: id of the byte-level symbol of each byte, -1 when missing */
    int ignore_merges;
    /* normalizer: BertNormalizer when bert_norm */
    int bert_norm, clean_text, chinese, strip_accents /* -1: follow lowercase */, lower;
    int pre;              /* TOK_PRE_* */
    int add_prefix_space, use_regex;
    /* post-processor */
    tok_tmpl_item single[8], pair[12];
    int n_single, n_pair;
    int post_kind;        /* TOK_POST_*: how to write it back to tokenizer.json */
    int trim_offsets, trim_prefix_space, type_ids_zero;
    int dec;              /* TOK_DEC_* */
    int dec_cleanup;
    char dec_prefix[16];
    /* added tokens, matched verbatim in the original text */
    tok_added *added;
    int n_added;
    uint8_t added_first[256]; /* 1 when some added token starts with this byte */
    uint8_t *is_special;  /* (n_vocab) */
    tok_special_ids sp;
    int model_max_length;
    /* tokenizer.json's truncation section; trunc_max 0: none ("truncation": null) */
    int trunc_max;
    tok_trunc trunc;
    tok_side trunc_side;
    int clean_up_spaces;  /* tokenizer_config.json clean_up_tokenization_spaces (default: WordPiece) */
    struct tok_spm *spm;  /* SentencePiece normalizer and model (tok_spm.h); NULL for the other kinds */
};

struct tok_merge {
    int32_t left, right; /* -1 = empty slot */
    int32_t rank, id;
};

/* One sequence's tokens before post-processing. */
typedef struct {
    int n, cap;
    int32_t *id, *word;
    int32_t *bs, *be; /* original bytes */
    int32_t *cs, *ce; /* original code points */
    uint8_t *lit;     /* 1 = literal special token */
    int32_t *txt;     /* offset in pool of the token's own text (SentencePiece unknown pieces), -1 = none */
    char *pool;
    long pool_n, pool_cap;
} tok_seq;

/* A pre-tokenized word: normalized byte range, its index, and the special id for literal specials. */
typedef struct {
    int32_t ns, ne;
    int32_t special; /* -1 unless a literal special token */
} tok_wordspan;

struct tok_scratch {
    char *nb;         /* normalized bytes */
    int32_t *nal;     /* (2 * nb) original byte [start, end) of each normalized byte */
    long nb_len, nb_cap;
    int32_t *b2c;     /* original byte -> code point index (len + 1) */
    long b2c_cap;
    tok_wordspan *w;
    long nw, w_cap;
    int32_t *sym;     /* BPE symbols of one word */
    int32_t *sym_s, *sym_e; /* their normalized byte ranges */
    int32_t *sym_prev, *sym_next; /* the live symbols as a list (-1 ends) */
    long sym_cap;
    struct tok_bpe_cand *heap; /* candidate merges, lowest (rank, position) on top */
    long heap_n, heap_cap;
    bb_work *work; /* the encoding's (cancels a long word's merging) */
    uint32_t *hs;     /* WordPiece prefix hashes of one word */
    long hs_cap;
    tok_seq a, b;
    int32_t bad_word_s, bad_word_e; /* original bytes of the word that had no token and no [UNK] */
    struct tok_spm_scratch *spm; /* SentencePiece lattice and symbols */
};

/* Grows the normalized-byte buffers of s to hold need bytes; BB_OK or BB_ENOMEM. */
int tok_scratch_reserve(struct tok_scratch *s, long need);
/* Grows q to hold need tokens. */
int tok_seq_reserve(tok_seq *q, int need);

/* A growable NUL-terminated string for the decoders; bad is set (and appends stop) when memory runs out. */
typedef struct {
    char *p;
    size_t n, cap;
    int bad;
} tok_sbuf;
void tok_sbuf_put(tok_sbuf *b, const char *s, size_t n);

/* Normalizes + pre-tokenizes text into s (nb, nal, w, b2c); returns BB_OK or BB_ENOMEM. */
int tok_pipeline(const tok_tokenizer *tk, const char *text, long len, struct tok_scratch *s);
/* Runs the model over the words of s, appending to q (offsets in original bytes and code points).
 * BB_EFORMAT: a word the vocabulary cannot spell without an unknown token (s->bad_word_s/e). */
int tok_model_run(const tok_tokenizer *tk, struct tok_scratch *s, tok_seq *q);

/* The map helpers (tok_vocab.c). */
int tok_map_build(tok_map *m, const tok_tokenizer *tk, int only_prefixed);
int32_t tok_map_get(const tok_map *m, const tok_tokenizer *tk, const char *key, size_t n, uint32_t h);
/* Finishes a tokenizer whose str/len/n_vocab are set: maps, added-token tables, special ids. */
int tok_finish(tok_tokenizer *tk, char *err, size_t errlen);
/* tok_path.c: a file's kind by its content; whether a regular file is at path (1), nothing (0) or
 * something else (-1, the reason in err); a directory's tokenizer file (tok_resolve without the Hub). */
tok_file_kind tok_sniff(const char *data, size_t len);
int tok_file_exists(const char *path, char *err, size_t errlen);
int tok_resolve_dir(const char *dir, char *file, size_t n, tok_file_kind *kind, char *err, size_t errlen);
int tok_add_added(tok_tokenizer *tk, int32_t id, const char *content, int lstrip, int rstrip, int special);
void tok_set_bert_template(tok_tokenizer *tk, int32_t cls, int32_t sep);

/* Writes n bytes to path through path.tmp and a rename, so a failed write leaves no half file. */
int tok_write_text(const char *path, const char *text, size_t n, char *err, size_t errlen);

/* UTF-8: decodes one code point at s[0..n) into *cp, returns its length; invalid bytes -> U+FFFD, 1. */
int tok_utf8_decode(const unsigned char *s, long n, int32_t *cp);
int tok_utf8_encode(int32_t cp, char *out);
/* GPT-2's bytes_to_unicode: the code point that stands for byte b. */
int32_t tok_byte_char(int b);
/* Inverse: the byte a code point stands for, -1 when none. */
int tok_char_byte(int32_t cp);
int tok_is_whitespace(int32_t c);

/* BertTokenizer's settings for a WordPiece vocabulary (tok_vocab.c; also the WordPiece trainer's). */
void tok_wordpiece_defaults(tok_tokenizer *tk, int lowercase);

#endif
