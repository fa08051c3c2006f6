/* tok_vocab.c — vocabulary storage and lookups, vocab.txt loading, model directories, UTF-8 helpers. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "bb_file.h"
#include "bb_hub.h"
#include "bb_json.h"
#include "tok_internal.h"
#include "tok_spm.h"

int tok_utf8_decode(const unsigned char *s, long n, int32_t *cp) {
    unsigned c = s[0];
    if (c < 0x80) return *cp = (int32_t)c, 1;
    int len;
    int32_t v, min;
    if (c >= 0xC2 && c <= 0xDF) len = 2, v = c & 0x1F, min = 0x80;
    else if (c >= 0xE0 && c <= 0xEF) len = 3, v = c & 0x0F, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4) len = 4, v = c & 0x07, min = 0x10000;
    else return *cp = 0xFFFD, 1;
    if (n < len) return *cp = 0xFFFD, 1;
    for (int i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) return *cp = 0xFFFD, 1;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return *cp = 0xFFFD, 1;
    *cp = v;
    return len;
}

int tok_utf8_encode(int32_t cp, char *out) {
    unsigned char *o = (unsigned char *)out;
    if (cp < 0x80) return o[0] = (unsigned char)cp, 1;
    if (cp < 0x800) return o[0] = (unsigned char)(0xC0 | (cp >> 6)), o[1] = (unsigned char)(0x80 | (cp & 0x3F)), 2;
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

/* GPT-2 bytes_to_unicode: printable Latin-1 bytes stand for themselves, the other 68 bytes are
 * numbered from U+0100 in byte order. */
static int byte_printable(int b) { return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE); }

int32_t tok_byte_char(int b) {
    if (byte_printable(b)) return b;
    int n = 0;
    for (int i = 0; i < b; i++) n += !byte_printable(i);
    return 256 + n;
}

int tok_char_byte(int32_t cp) {
    if (cp < 256) return byte_printable((int)cp) ? (int)cp : -1;
    if (cp >= 256 + 68) return -1;
    int n = (int)cp - 256;
    for (int b = 0; b < 256; b++)
        if (!byte_printable(b) && n-- == 0) return b;
    return -1;
}

/* Rust's char::is_whitespace (the White_Space property). */
int tok_is_whitespace(int32_t c) {
    if (c < 0x80) return c == ' ' || (c >= 0x09 && c <= 0x0D);
    return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 ||
           c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

/* ---- maps --------------------------------------------------------------------------------------- */

int tok_map_build(tok_map *m, const tok_tokenizer *tk, int only_prefixed) {
    free(m->slots);
    uint32_t cap = 64;
    while (cap < (uint32_t)tk->n_vocab * 2u + 2u) cap <<= 1;
    m->slots = malloc(sizeof *m->slots * cap);
    if (!m->slots) return BB_ENOMEM;
    for (uint32_t i = 0; i < cap; i++) m->slots[i].id = -1;
    m->mask = cap - 1;
    m->skip = only_prefixed ? tk->prefix_len : 0;
    for (int id = 0; id < tk->n_vocab; id++) {
        const char *s = tk->str[id];
        if (!s) continue;
        size_t n = tk->len[id];
        if (only_prefixed) {
            if (n <= (size_t)tk->prefix_len || memcmp(s, tk->prefix, (size_t)tk->prefix_len) != 0) continue;
        }
        const char *key = s + m->skip;
        size_t kn = n - (size_t)m->skip;
        uint32_t h = tok_hash(key, kn);
        uint32_t i = h & m->mask;
        for (;; i = (i + 1) & m->mask) {
            tok_slot *sl = &m->slots[i];
            if (sl->id < 0) {
                sl->hash = h, sl->id = id;
                break;
            }
            /* A duplicate string: the later id wins, as HF's vocab map does. */
            if (sl->hash == h && tk->len[sl->id] == n && memcmp(tk->str[sl->id], s, n) == 0) {
                sl->id = id;
                break;
            }
        }
    }
    return BB_OK;
}

int32_t tok_map_get(const tok_map *m, const tok_tokenizer *tk, const char *key, size_t n, uint32_t h) {
    if (!m->slots) return -1;
    for (uint32_t i = h & m->mask;; i = (i + 1) & m->mask) {
        const tok_slot *sl = &m->slots[i];
        if (sl->id < 0) return -1;
        if (sl->hash == h && tk->len[sl->id] == n + (size_t)m->skip &&
            memcmp(tk->str[sl->id] + m->skip, key, n) == 0)
            return sl->id;
    }
}

/* ---- construction --------------------------------------------------------------------------------- */

int tok_add_added(tok_tokenizer *tk, int32_t id, const char *content, int lstrip, int rstrip, int special) {
    if (!*content) return BB_OK;
    tok_added *na = realloc(tk->added, sizeof *na * (size_t)(tk->n_added + 1));
    if (!na) return BB_ENOMEM;
    tk->added = na;
    tok_added *a = &tk->added[tk->n_added];
    a->content = strdup(content);
    if (!a->content) return BB_ENOMEM;
    a->id = id, a->len = (int)strlen(content), a->lstrip = lstrip, a->rstrip = rstrip, a->special = special;
    tk->n_added++;
    return BB_OK;
}

void tok_set_bert_template(tok_tokenizer *tk, int32_t cls, int32_t sep) {
    tok_tmpl_item *s = tk->single, *p = tk->pair;
    tk->post_kind = TOK_POST_BERT;
    s[0] = (tok_tmpl_item){1, cls, 0, 0};
    s[1] = (tok_tmpl_item){0, -1, 0, 0};
    s[2] = (tok_tmpl_item){1, sep, 0, 0};
    tk->n_single = 3;
    p[0] = s[0], p[1] = s[1], p[2] = s[2];
    p[3] = (tok_tmpl_item){0, -1, 1, 1};
    p[4] = (tok_tmpl_item){1, sep, 0, 1};
    tk->n_pair = 5;
}

static int32_t lookup_str(const tok_tokenizer *tk, const char *s) {
    return tok_map_get(&tk->full, tk, s, strlen(s), tok_hash(s, strlen(s)));
}

int tok_finish(tok_tokenizer *tk, char *err, size_t errlen) {
    if (tok_map_build(&tk->full, tk, 0) != BB_OK) return bb_err(err, errlen, BB_ENOMEM, "tokenizer: out of memory");
    if (tk->kind == TOK_MODEL_WORDPIECE && tk->prefix_len > 0 && tok_map_build(&tk->cont, tk, 1) != BB_OK)
        return bb_err(err, errlen, BB_ENOMEM, "tokenizer: out of memory");
    tk->max_key = 0;
    for (int id = 0; id < tk->n_vocab; id++)
        if (tk->str[id] && (int)tk->len[id] > tk->max_key) tk->max_key = (int)tk->len[id];
    for (int b = 0; b < 256; b++) {
        char u[4];
        int n = tok_utf8_encode(tok_byte_char(b), u);
        tk->byte_id[b] = tok_map_get(&tk->full, tk, u, (size_t)n, tok_hash(u, (size_t)n));
    }
    tk->is_special = calloc((size_t)tk->n_vocab + 1, 1);
    if (!tk->is_special) return bb_err(err, errlen, BB_ENOMEM, "tokenizer: out of memory");
    memset(tk->added_first, 0, sizeof tk->added_first);
    for (int i = 0; i < tk->n_added; i++) {
        tok_added *a = &tk->added[i];
        if (a->id < 0 || a->id >= tk->n_vocab)
            return bb_err(err, errlen, BB_EFORMAT, "tokenizer: added token '%s' has id %d outside the vocabulary",
                          a->content, (int)a->id);
        if (a->special) tk->is_special[a->id] = 1;
        tk->added_first[(uint8_t)a->content[0]] = 1;
    }
    const char *names[5][2] = {{"[CLS]", "<s>"}, {"[SEP]", "</s>"}, {"[PAD]", "<pad>"}, {"[MASK]", "<mask>"},
                               {"[UNK]", "<unk>"}};
    int32_t v[5];
    for (int k = 0; k < 5; k++) {
        v[k] = lookup_str(tk, names[k][tk->kind != TOK_MODEL_WORDPIECE]);
        if (v[k] < 0) v[k] = lookup_str(tk, names[k][tk->kind == TOK_MODEL_WORDPIECE]);
    }
    tk->sp = (tok_special_ids){v[0], v[1], v[2], v[3], v[4]};
    if (!tk->model_max_length) tk->model_max_length = 512;
    tk->clean_up_spaces = tk->kind == TOK_MODEL_WORDPIECE; /* transformers' BertTokenizer default */
    return BB_OK;
}

void tok_free(tok_tokenizer *tk) {
    if (!tk) return;
    for (int i = 0; i < tk->n_vocab; i++) free(tk->str[i]);
    free(tk->str), free(tk->len);
    free(tk->full.slots), free(tk->cont.slots);
    free(tk->merges), free(tk->merge_left), free(tk->merge_right);
    for (int i = 0; i < tk->n_added; i++) free(tk->added[i].content);
    free(tk->added);
    free(tk->is_special);
    tok_spm_free(tk->spm);
    free(tk);
}

/* BertTokenizer's settings for a WordPiece vocabulary: "##" continuations, words up to 100
 * characters, BERT's normaliser and pre-tokeniser, the WordPiece decoder. */
void tok_wordpiece_defaults(tok_tokenizer *tk, int lowercase) {
    memcpy(tk->prefix, "##", 3);
    tk->prefix_len = 2;
    tk->max_chars = 100;
    tk->bert_norm = 1, tk->clean_text = 1, tk->chinese = 1, tk->strip_accents = -1, tk->lower = lowercase != 0;
    tk->pre = TOK_PRE_BERT;
    tk->dec = TOK_DEC_WORDPIECE, tk->dec_cleanup = 1;
    memcpy(tk->dec_prefix, "##", 3);
}

/* ---- vocab.txt ------------------------------------------------------------------------------------ */

int tok_load_vocab_mem(tok_tokenizer **out, const char *data, size_t len, const char *name, int lowercase,
                       char *err, size_t errlen) {
    *out = NULL;
    tok_tokenizer *tk = calloc(1, sizeof *tk);
    if (!tk) return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", name);
    long lines = 0;
    for (size_t i = 0; i < len; i++) lines += data[i] == '\n';
    if (len && data[len - 1] != '\n') lines++;
    if (lines == 0) {
        free(tk);
        return bb_err(err, errlen, BB_EFORMAT, "%s: empty vocabulary", name);
    }
    if (lines > (1L << 24)) {
        free(tk);
        return bb_err(err, errlen, BB_EFORMAT, "%s: %ld lines is more than a vocabulary can hold", name, lines);
    }
    tk->str = calloc((size_t)lines, sizeof *tk->str);
    tk->len = calloc((size_t)lines, sizeof *tk->len);
    if (!tk->str || !tk->len) goto nomem;
    size_t p = 0;
    for (long id = 0; id < lines; id++) {
        size_t e = p;
        while (e < len && data[e] != '\n') e++;
        size_t n = e - p;
        /* HF trims trailing whitespace of each line (so "\r\n" files load too). */
        while (n > 0 && (data[p + n - 1] == ' ' || data[p + n - 1] == '\r' || data[p + n - 1] == '\t')) n--;
        tk->str[id] = malloc(n + 1);
        if (!tk->str[id]) goto nomem;
        memcpy(tk->str[id], data + p, n);
        tk->str[id][n] = 0;
        tk->len[id] = (uint32_t)n;
        tk->n_vocab = (int)id + 1;
        p = e + 1;
    }
    tk->kind = TOK_MODEL_WORDPIECE;
    tok_wordpiece_defaults(tk, lowercase);
    tk->n_single = 1, tk->single[0] = (tok_tmpl_item){0, -1, 0, 0};
    tk->n_pair = 2, tk->pair[0] = tk->single[0], tk->pair[1] = (tok_tmpl_item){0, -1, 1, 1};
    int rc = tok_finish(tk, err, errlen);
    if (rc != BB_OK) goto fail;
    /* BertWordPieceTokenizer registers these as special added tokens when the vocabulary has them. */
    const char *sp[5] = {"[UNK]", "[SEP]", "[CLS]", "[PAD]", "[MASK]"};
    for (int k = 0; k < 5; k++) {
        int32_t id = lookup_str(tk, sp[k]);
        if (id >= 0 && tok_add_added(tk, id, sp[k], 0, 0, 1) != BB_OK) goto nomem;
    }
    tk->unk = lookup_str(tk, "[UNK]");
    int32_t cls = lookup_str(tk, "[CLS]"), sep = lookup_str(tk, "[SEP]");
    if (cls >= 0 && sep >= 0) tok_set_bert_template(tk, cls, sep);
    free(tk->is_special);
    tk->is_special = NULL;
    rc = tok_finish(tk, err, errlen);
    if (rc != BB_OK) goto fail;
    *out = tk;
    return BB_OK;
nomem:
    rc = bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", name);
fail:
    tok_free(tk);
    return rc;
}

/* Reads a whole file; the caller frees *data. Tokenizer files run to tens of MB (tokenizer.json of a
 * 250k vocabulary); the limit only keeps a device or a stray huge file from being read whole. */
static int read_file(const char *path, char **data, size_t *len, char *err, size_t errlen) {
    return bb_read_file(path, (size_t)1 << 30, data, len, err, errlen);
}

int tok_load_vocab(tok_tokenizer **out, const char *path, int lowercase, char *err, size_t errlen) {
    char *data;
    size_t len;
    *out = NULL;
    int rc = read_file(path, &data, &len, err, errlen);
    if (rc != BB_OK) return rc;
    rc = tok_load_vocab_mem(out, data, len, path, lowercase, err, errlen);
    free(data);
    return rc;
}

int tok_load_json(tok_tokenizer **out, const char *path, char *err, size_t errlen) {
    char *data;
    size_t len;
    *out = NULL;
    int rc = read_file(path, &data, &len, err, errlen);
    if (rc != BB_OK) return rc;
    rc = tok_load_json_mem(out, data, len, path, err, errlen);
    free(data);
    return rc;
}

int tok_load_any(tok_tokenizer **out, const char *path_or_id, int case_mode, char *err, size_t errlen) {
    *out = NULL;
    char path[4096];
    int hub_rc = bb_hub_resolve(path_or_id, path, sizeof path, err, errlen);
    if (hub_rc != BB_OK) return hub_rc;
    struct stat st;
    if (stat(path, &st) != 0) return bb_check_regular(path, err, errlen);
    if (S_ISDIR(st.st_mode)) return tok_load_dir(out, path, case_mode, err, errlen);
    char *data;
    size_t len;
    int rc = read_file(path, &data, &len, err, errlen);
    if (rc != BB_OK) return rc;
    tok_file_kind kind = tok_sniff(data, len);
    if (kind == TOK_FILE_SPM) {
        rc = tok_load_spm_mem(out, (const uint8_t *)data, len, path, err, errlen);
    } else if (kind == TOK_FILE_JSON) {
        rc = tok_load_json_mem(out, data, len, path, err, errlen);
        if (rc == BB_OK && case_mode != TOK_CASE_AUTO) tok_set_lowercase(*out, case_mode == TOK_CASE_LOWER);
    } else {
        rc = tok_load_vocab_mem(out, data, len, path, case_mode != TOK_CASE_CASED, err, errlen);
    }
    free(data);
    return rc;
}

/* tokenizer_config.json's special tokens (cls, sep, pad, mask, unk: tok_special_ids' order), as a string
 * or an AddedToken object {"content": ...}; "" where absent. */
static void config_special_names(const cJSON *j, char names[5][64]) {
    static const char *const keys[5] = {"cls_token", "sep_token", "pad_token", "mask_token", "unk_token"};
    for (int k = 0; k < 5; k++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, keys[k]);
        if (cJSON_IsObject(v)) v = cJSON_GetObjectItemCaseSensitive(v, "content");
        snprintf(names[k], sizeof names[k], "%s", cJSON_IsString(v) ? v->valuestring : "");
    }
}

/* A vocab.txt whose special tokens are not BERT's bracketed ones: the config names them, so they are
 * matched whole in text, used for [CLS]/[SEP] framing, padding and unknown words. */
static int apply_config_specials(tok_tokenizer *tk, char names[5][64], char *err, size_t errlen) {
    int32_t id[5];
    int added = 0;
    for (int k = 0; k < 5; k++) {
        id[k] = names[k][0] ? lookup_str(tk, names[k]) : -1;
        if (id[k] >= 0 && !tok_is_special(tk, id[k])) {
            if (tok_add_added(tk, id[k], names[k], 0, 0, 1) != BB_OK) return bb_err(err, errlen, BB_ENOMEM, "out of memory");
            added = 1;
        }
    }
    if (!added) return BB_OK;
    int32_t *sp[5] = {&tk->sp.cls, &tk->sp.sep, &tk->sp.pad, &tk->sp.mask, &tk->sp.unk};
    if (id[0] >= 0 && id[1] >= 0) tok_set_bert_template(tk, id[0], id[1]);
    if (id[4] >= 0) tk->unk = id[4];
    free(tk->is_special);
    tk->is_special = NULL;
    int rc = tok_finish(tk, err, errlen); /* rebuilds the added-token tables; resets sp from BERT's names */
    for (int k = 0; k < 5 && rc == BB_OK; k++)
        if (id[k] >= 0) *sp[k] = id[k];
    return rc;
}

int tok_load_dir(tok_tokenizer **out, const char *dir_or_id, int case_mode, char *err, size_t errlen) {
    char path[4200], dir[4096];
    *out = NULL;
    int hub_rc = bb_hub_resolve(dir_or_id, dir, sizeof dir, err, errlen);
    if (hub_rc != BB_OK) return hub_rc;
    int lower = 1, max_len = 0, cleanup = -1, ex, xlmr = 0;
    char specials[5][64] = {""};
    snprintf(path, sizeof path, "%s/tokenizer_config.json", dir);
    if ((ex = tok_file_exists(path, err, errlen)) < 0) return BB_EIO;
    if (ex) {
        char *data;
        size_t len;
        int rc = read_file(path, &data, &len, err, errlen);
        if (rc != BB_OK) return rc;
        cJSON *j;
        rc = bb_json_parse(&j, data, len, path, err, errlen);
        free(data);
        if (rc != BB_OK) return rc;
        const cJSON *dl = cJSON_GetObjectItemCaseSensitive(j, "do_lower_case");
        if (cJSON_IsBool(dl)) lower = cJSON_IsTrue(dl);
        const cJSON *ml = cJSON_GetObjectItemCaseSensitive(j, "model_max_length");
        if (cJSON_IsNumber(ml) && ml->valuedouble >= 1 && ml->valuedouble <= 1e6) max_len = (int)ml->valuedouble;
        const cJSON *tc = cJSON_GetObjectItemCaseSensitive(j, "tokenizer_class");
        xlmr = cJSON_IsString(tc) && strncmp(tc->valuestring, "XLMRoberta", 10) == 0;
        const cJSON *cu = cJSON_GetObjectItemCaseSensitive(j, "clean_up_tokenization_spaces");
        if (cJSON_IsBool(cu)) cleanup = cJSON_IsTrue(cu);
        config_special_names(j, specials);
        cJSON_Delete(j);
    }
    tok_file_kind kind;
    int rc = tok_resolve_dir(dir, path, sizeof path, &kind, err, errlen);
    if (rc != BB_OK) return rc;
    if (kind == TOK_FILE_JSON) {
        rc = tok_load_json(out, path, err, errlen);
        if (rc != BB_OK) return rc;
        if (case_mode != TOK_CASE_AUTO) tok_set_lowercase(*out, case_mode == TOK_CASE_LOWER);
    } else if (kind == TOK_FILE_SPM) {
        rc = tok_load_spm(out, path, err, errlen);
        size_t pl = strlen(path);
        /* XLM-R (and its fine-tunes) ship sentencepiece.bpe.model and number it the fairseq way. */
        if (rc == BB_OK && (xlmr || (pl >= 23 && strcmp(path + pl - 23, "sentencepiece.bpe.model") == 0)))
            rc = tok_spm_xlmr(*out, path, err, errlen);
        if (rc != BB_OK) {
            tok_free(*out), *out = NULL;
            return rc;
        }
        if (max_len) (*out)->model_max_length = max_len;
        return BB_OK;
    } else {
        if (case_mode != TOK_CASE_AUTO) lower = case_mode == TOK_CASE_LOWER;
        rc = tok_load_vocab(out, path, lower, err, errlen);
        if (rc == BB_OK) rc = apply_config_specials(*out, specials, err, errlen);
        if (rc != BB_OK) {
            tok_free(*out);
            *out = NULL;
            return rc;
        }
    }
    if (max_len) (*out)->model_max_length = max_len;
    if (cleanup >= 0) (*out)->clean_up_spaces = cleanup;
    return BB_OK;
}

void tok_set_lowercase(tok_tokenizer *tk, int lowercase) {
    if (!tk->bert_norm) return;
    tk->lower = lowercase != 0;
    tk->strip_accents = -1;
}

/* ---- lookups -------------------------------------------------------------------------------------- */

tok_model_kind tok_kind(const tok_tokenizer *tk) { return tk->kind; }

const char *tok_kind_name(tok_model_kind kind) {
    switch (kind) {
    case TOK_MODEL_WORDPIECE: return "WordPiece";
    case TOK_MODEL_BPE: return "byte-level BPE";
    case TOK_MODEL_UNIGRAM: return "Unigram";
    case TOK_MODEL_SPM_BPE: return "SentencePiece BPE";
    }
    return "unknown";
}
int tok_lowercase(const tok_tokenizer *tk) { return tk->bert_norm && tk->lower; }
int tok_vocab_size(const tok_tokenizer *tk) { return tk->n_vocab; }
int tok_model_max_length(const tok_tokenizer *tk) { return tk->model_max_length; }
int tok_file_truncation(const tok_tokenizer *tk, tok_options *o) {
    if (!tk->trunc_max) return 0;
    o->truncation = tk->trunc, o->truncation_side = tk->trunc_side, o->max_length = tk->trunc_max;
    return 1;
}
void tok_set_model_max_length(tok_tokenizer *tk, int n) {
    if (n > 0) tk->model_max_length = n;
}
int tok_clean_up_spaces(const tok_tokenizer *tk) { return tk->clean_up_spaces; }
tok_special_ids tok_specials(const tok_tokenizer *tk) { return tk->sp; }

int32_t tok_token_to_id(const tok_tokenizer *tk, const char *token) { return lookup_str(tk, token); }

const char *tok_id_to_token(const tok_tokenizer *tk, int32_t id) {
    return id >= 0 && id < tk->n_vocab ? tk->str[id] : NULL;
}

int tok_is_special(const tok_tokenizer *tk, int32_t id) {
    return id >= 0 && id < tk->n_vocab && tk->is_special[id];
}
