/* tok_spm.h — SentencePiece inside the tokenizer (private): the ModelProto fields the encoder needs,
 * the charsmap normalizer and the piece trie, shared by tok_spm_*.c.
 *
 * The data flow follows SentencePieceProcessor::Encode:
 *   text --normalizer (charsmap rules longest-match, whitespace collapsing, dummy prefix, '▁')-->
 *   normalized bytes + norm_to_orig --model (Unigram Viterbi or BPE by piece score)--> pieces
 *   --unknown runs merged or byte fallback to <0xXX>--> ids with original offsets.
 * The normalized bytes live in the scratch's nb with nal[2i] = norm_to_orig[i] and
 * nal[2i+1] = norm_to_orig[i+1], so a piece [b, e) covers original bytes [nal[2b], nal[2e-1]). */
#ifndef BB_TOK_SPM_H
#define BB_TOK_SPM_H

#include <stdint.h>

#include "tok_internal.h"

/* ModelProto.SentencePiece.Type */
enum { SPM_NORMAL = 1, SPM_UNKNOWN = 2, SPM_CONTROL = 3, SPM_USER = 4, SPM_UNUSED = 5, SPM_BYTE = 6 };

/* A byte trie over piece strings: nodes carry a value (-1 none); edges live in one hash table keyed by
 * (node << 8 | byte), so a lookup step is one probe and the walk stops at the first missing edge. */
typedef struct {
    int32_t *value;      /* (n_nodes) */
    int32_t n_nodes, cap_nodes;
    uint64_t *edge_key;  /* (edge_mask + 1) node << 8 | byte, UINT64_MAX = empty */
    int32_t *edge_child; /* (edge_mask + 1) */
    uint32_t edge_mask;
    int32_t n_edges;
    int32_t root[256];   /* the root's children without a probe, -1 none */
} tok_trie;

static inline int32_t tok_trie_step(const tok_trie *t, int32_t node, uint8_t b) {
    if (node == 0) return t->root[b];
    uint64_t key = (uint64_t)node << 8 | b;
    for (uint32_t i = (uint32_t)(key * 0x9E3779B97F4A7C15ull >> 32) & t->edge_mask;; i = (i + 1) & t->edge_mask) {
        if (t->edge_key[i] == key) return t->edge_child[i];
        if (t->edge_key[i] == UINT64_MAX) return -1;
    }
}

int tok_trie_init(tok_trie *t);
/* Adds key[0, n) with value v (a second add of the same key keeps the first value). */
int tok_trie_add(tok_trie *t, const char *key, long n, int32_t v);
void tok_trie_free(tok_trie *t);

/* The precompiled charsmap: a darts-clone double array of rules whose values index NUL-terminated
 * replacement strings. */
typedef struct {
    uint8_t *blob;         /* the bytes as stored (for writing tokenizer.json back) */
    uint32_t blob_len;
    uint32_t *units;       /* (n_units) aligned copy of the double array */
    uint32_t n_units;
    char *repl;            /* replacement strings, NUL-terminated (a NUL is appended when missing) */
    uint32_t repl_len;
    uint8_t first[256];    /* 1 when some rule starts with this byte */
} tok_charsmap;

/* Parses <u32 trie size><double array><strings>; checks every rule's string offset. */
int tok_charsmap_load(tok_charsmap *cm, const uint8_t *blob, size_t len, const char *name, char *err, size_t errlen);
void tok_charsmap_free(tok_charsmap *cm);
/* The longest rule matching s[0, n): its length in bytes (0 = none) and *repl its replacement. */
int tok_charsmap_match(const tok_charsmap *cm, const unsigned char *s, long n, const char **repl);
/* The shortest rule matching s[0, n) (what HF's Precompiled normalizer takes): its length, 0 = none. */
int tok_charsmap_first(const tok_charsmap *cm, const unsigned char *s, long n, const char **repl);

enum { TOK_SPM_UNIGRAM = 1, TOK_SPM_BPE = 2 };

/* tokenizer.json normalizers of the SentencePiece family (HF `tokenizers` names). */
enum {
    TOK_HN_PRECOMPILED = 1, TOK_HN_REPLACE, TOK_HN_NFC, TOK_HN_NFD, TOK_HN_NFKC, TOK_HN_NFKD, TOK_HN_STRIP,
    TOK_HN_PREPEND, TOK_HN_LOWERCASE, TOK_HN_STRIP_ACCENTS
};
typedef struct {
    int kind;
    tok_charsmap cm;     /* Precompiled */
    char *pattern;       /* Replace: a literal string, or the character of a repetition regex */
    int regex, min_rep;  /* Replace with Regex "X{n,}" / "X+": runs of at least min_rep of pattern */
    char *content;       /* Replace: the replacement; Prepend: the prefix */
    int left, right;     /* Strip */
} tok_hf_norm;

/* tokenizer.json decoders, applied in order to the token strings (decode_chain), then joined. */
enum { TOK_HD_METASPACE = 1, TOK_HD_REPLACE, TOK_HD_BYTE_FALLBACK, TOK_HD_FUSE, TOK_HD_STRIP };
typedef struct {
    int kind;
    char *pattern, *content; /* Replace (literal); Strip: content is the character */
    int start, stop;         /* Strip */
} tok_hf_dec;

enum { TOK_PREPEND_NEVER = 0, TOK_PREPEND_FIRST = 1, TOK_PREPEND_ALWAYS = 2 };

struct tok_spm {
    int algo;                /* TOK_SPM_UNIGRAM or TOK_SPM_BPE */
    float *score;            /* (n_vocab) */
    uint8_t *type;           /* (n_vocab) SPM_* */
    tok_trie pieces;         /* normal, user-defined and unused pieces -> id */
    tok_trie user;           /* user-defined pieces only (matched before normalizing, never split) */
    int n_user;
    float min_score, max_score; /* over normal pieces, as SentencePiece's unigram model keeps them */
    int32_t byte_piece[256]; /* id of <0xXX>, -1 when absent */
    tok_charsmap cm;         /* empty (n_units 0) for identity normalization */
    char norm_name[32];      /* normalizer_spec.name: "nmt_nfkc", "identity", ... */
    int add_dummy_prefix, remove_extra_ws, escape_ws, treat_ws_as_suffix;
    int byte_fallback, split_digits;
    int model_type;          /* trainer_spec.model_type as stored (1 unigram, 2 bpe) */
    int vocab_size_spec;     /* trainer_spec.vocab_size */
    float char_coverage;     /* trainer_spec.character_coverage */
    char *unk_surface;       /* decoding of <unk> (" \u2047 " by default) */
    int unk_as_text;         /* 1: an unknown piece reports its text, as SentencePieceProcessor does */
    /* tokenizer.json (HF tokenizers) semantics: scores in double, a normalizer chain with HF's alignments,
     * the Metaspace pre-tokenizer, byte-fallback pieces each spanning their character, a decoder chain. */
    int hf;
    double *dscore;          /* (n_vocab) */
    double dmin;             /* the lowest score of the vocabulary */
    tok_hf_norm *norms;
    int n_norms;
    int metaspace;           /* a Metaspace pre-tokenizer is present */
    char meta_rep[8];        /* its replacement character (UTF-8) */
    int meta_prepend, meta_split;
    tok_hf_dec *decs;
    int n_decs;
    int has_decoder;         /* 0: tokens joined with spaces (no decoder) */
};

/* Normalizes text[a, b) into s (appending), as SentencePiece's Normalizer::Normalize. Returns BB_OK or
 * BB_ENOMEM. */
int tok_spm_normalize(const tok_tokenizer *tk, const char *text, long a, long b, struct tok_scratch *s);
/* Same for tokenizer.json: the normalizer chain, then Metaspace (replace, prepend); the normalized text is
 * appended to s and its words (split before each replacement character when Metaspace splits) pushed. */
int tok_hf_segment(const tok_tokenizer *tk, const char *text, long a, long b, struct tok_scratch *s);
/* The decoder chain of a tokenizer.json. */
char *tok_hf_decode_dup(const tok_tokenizer *tk, const int32_t *ids, int n, int skip_special, size_t *len);
/* Reads the Unigram model, normalizer, pre-tokenizer and decoder of a tokenizer.json (cJSON objects). */
struct cJSON;
int tok_spm_json_vocab(tok_tokenizer *tk, const struct cJSON *model, int *cap, const char *name, char *err,
                       size_t errlen);
int tok_spm_json_components(tok_tokenizer *tk, const struct cJSON *root, const char *name, char *err, size_t errlen);
/* Writes the model, normalizer, pre_tokenizer and decoder of tk into root (tokenizer.json). */
int tok_spm_json_write(const tok_tokenizer *tk, struct cJSON *root);
void tok_hf_norm_free(tok_hf_norm *n);
/* Pushes a word span of normalized bytes [ns, ne) (tok_encode.c). */
int tok_push_word(struct tok_scratch *s, long ns, long ne, int32_t special);
/* Runs the model over the normalized bytes [ns, ne) of s, appending pieces to q; *word counts words
 * (a piece that starts with '▁' starts one). */
int tok_spm_run(const tok_tokenizer *tk, struct tok_scratch *s, tok_seq *q, long ns, long ne, int32_t *word);
void tok_spm_scratch_free(struct tok_spm_scratch *ss);
/* SentencePiece's decoder (control pieces vanish, <unk> becomes unk_surface, byte runs become UTF-8,
 * '▁' becomes ' ', the dummy prefix is dropped). */
char *tok_spm_decode_dup(const tok_tokenizer *tk, const int32_t *ids, int n, int skip_special, size_t *len);
/* Builds the tries and tables once str/len/n_vocab, spm->score and spm->type are set. */
int tok_spm_finish(tok_tokenizer *tk, const char *name, char *err, size_t errlen);
void tok_spm_free(struct tok_spm *spm);
/* Renumbers a loaded .model as XLMRobertaTokenizer does (fairseq's <s> <pad> </s> <unk> first, pieces
 * shifted by one, <mask> last) with its special tokens and the <s> A </s></s> B </s> template. */
int tok_spm_xlmr(tok_tokenizer *tk, const char *name, char *err, size_t errlen);
/* For tok_inspect: the text after the normalization rules alone (malloc'd, NULL when out of memory),
 * the rules' name, and the score the model gives a piece. */
char *tok_spm_mapped_dup(const tok_tokenizer *tk, const char *text, long len);
char *tok_hf_mapped_dup(const tok_tokenizer *tk, const char *text, long len);
const char *tok_spm_rule_name(const tok_tokenizer *tk);
double tok_spm_piece_score(const tok_tokenizer *tk, int32_t id);

#endif
