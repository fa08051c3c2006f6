/* tok_json.c — tokenizer.json (HF `tokenizers` format) reading and writing, and model directories. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "tok_internal.h"
#include "tok_json_vocab.h"
#include "tok_spm.h"

static const cJSON *get(const cJSON *o, const char *k) { return cJSON_GetObjectItemCaseSensitive(o, k); }

static int get_bool(const cJSON *o, const char *k, int def) {
    const cJSON *v = get(o, k);
    return cJSON_IsBool(v) ? cJSON_IsTrue(v) : def;
}

static int is_null(const cJSON *v) { return !v || cJSON_IsNull(v); }

/* A JSON number as a long, or -1 when it is missing, NaN or outside [0, 2^24] (ids and type ids). */
static long num_id(const cJSON *v) {
    if (!cJSON_IsNumber(v)) return -1;
    double d = v->valuedouble;
    return d >= 0 && d <= (double)(1L << 24) ? (long)d : -1;
}

static int type_of(const cJSON *v) { return num_id(v) < 0 ? 0 : (int)num_id(v); }

/* Sets str[id] (growing the tables) from the JSON number d; a second string for the same id is an
 * error. The message shows the number as written (%.15g: 2147483648, 1e+300, 5.5), never a cast of it. */
static int set_token(tok_tokenizer *tk, int *cap, double d, long limit, const char *s, const char *name,
                     char *err, size_t errlen) {
    /* Ids are dense in real files; the limit keeps a hostile id from allocating gigabytes. */
    if (!(d >= 0 && d < (double)limit))
        return bb_err(err, errlen, BB_EFORMAT, "%s: token '%.40s' has id %.15g outside [0, %ld)", name, s, d, limit);
    long id = (long)d;
    if ((double)id != d)
        return bb_err(err, errlen, BB_EFORMAT, "%s: token '%.40s' has id %.15g, not a whole number", name, s, d);
    if (id >= *cap) {
        int nc = *cap ? *cap : 1024;
        while (nc <= id) nc *= 2;
        char **ns = realloc(tk->str, sizeof *ns * (size_t)nc);
        if (!ns) return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", name);
        tk->str = ns;
        uint32_t *nl = realloc(tk->len, sizeof *nl * (size_t)nc);
        if (!nl) return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", name);
        tk->len = nl;
        for (int i = *cap; i < nc; i++) tk->str[i] = NULL, tk->len[i] = 0;
        *cap = nc;
    }
    if (tk->str[id]) {
        if (strcmp(tk->str[id], s) == 0) return BB_OK;
        return bb_err(err, errlen, BB_EFORMAT, "%s: id %ld is given to both '%.40s' and '%.40s'", name, id,
                      tk->str[id], s);
    }
    tk->str[id] = strdup(s);
    if (!tk->str[id]) return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", name);
    tk->len[id] = (uint32_t)strlen(s);
    if (id + 1 > tk->n_vocab) tk->n_vocab = (int)id + 1;
    return BB_OK;
}

static int build_merges(tok_tokenizer *tk, const cJSON *merges, const char *name, char *err, size_t errlen) {
    int n = cJSON_GetArraySize(merges);
    uint32_t cap = 64;
    while (cap < (uint32_t)n * 2u + 2u) cap <<= 1;
    tk->merges = malloc(sizeof *tk->merges * cap);
    tk->merge_left = malloc(sizeof(int32_t) * ((size_t)n + 1));
    tk->merge_right = malloc(sizeof(int32_t) * ((size_t)n + 1));
    if (!tk->merges || !tk->merge_left || !tk->merge_right) return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", name);
    for (uint32_t i = 0; i < cap; i++) tk->merges[i].left = -1;
    tk->merge_mask = cap - 1;
    int rank = 0;
    const cJSON *m;
    cJSON_ArrayForEach(m, merges) {
        char a[512], b[512];
        if (cJSON_IsString(m)) {
            const char *sp = strchr(m->valuestring, ' ');
            if (!sp || (size_t)(sp - m->valuestring) >= sizeof a || strlen(sp + 1) >= sizeof b)
                return bb_err(err, errlen, BB_EFORMAT, "%s: model.merges[%d] is not \"left right\"", name, rank);
            memcpy(a, m->valuestring, (size_t)(sp - m->valuestring));
            a[sp - m->valuestring] = 0;
            strcpy(b, sp + 1);
        } else if (cJSON_IsArray(m) && cJSON_GetArraySize(m) == 2 && cJSON_IsString(m->child) &&
                   cJSON_IsString(m->child->next) && strlen(m->child->valuestring) < sizeof a &&
                   strlen(m->child->next->valuestring) < sizeof b) {
            strcpy(a, m->child->valuestring);
            strcpy(b, m->child->next->valuestring);
        } else {
            return bb_err(err, errlen, BB_EFORMAT, "%s: model.merges[%d] is neither \"a b\" nor [a, b]", name, rank);
        }
        char ab[1024];
        snprintf(ab, sizeof ab, "%s%s", a, b);
        int32_t l = tok_token_to_id(tk, a), r = tok_token_to_id(tk, b), id = tok_token_to_id(tk, ab);
        if (l < 0 || r < 0 || id < 0)
            return bb_err(err, errlen, BB_EFORMAT, "%s: merge %d ('%.40s' '%.40s') uses a token missing from the vocab",
                          name, rank, a, b);
        uint32_t h = ((uint32_t)l * 0x9E3779B1u) ^ ((uint32_t)r * 0x85EBCA77u);
        uint32_t i = h & tk->merge_mask;
        while (tk->merges[i].left >= 0 && !(tk->merges[i].left == l && tk->merges[i].right == r))
            i = (i + 1) & tk->merge_mask;
        if (tk->merges[i].left < 0) tk->merges[i] = (struct tok_merge){l, r, rank, id};
        tk->merge_left[rank] = l, tk->merge_right[rank] = r;
        rank++;
    }
    tk->n_merges = rank;
    return BB_OK;
}

static int special_id(const tok_tokenizer *tk, const cJSON *pair, const char *what, const char *name, int32_t *id,
                      char *err, size_t errlen) {
    /* ["[CLS]", 101] */
    if (!cJSON_IsArray(pair) || cJSON_GetArraySize(pair) != 2 || !cJSON_IsNumber(pair->child->next))
        return bb_err(err, errlen, BB_EFORMAT, "%s: post_processor.%s is not [token, id]", name, what);
    double d = pair->child->next->valuedouble;
    *id = (int32_t)num_id(pair->child->next);
    if (*id < 0 || *id >= tk->n_vocab || d != (double)*id)
        return bb_err(err, errlen, BB_EFORMAT, "%s: post_processor.%s id %.15g is not an id in the vocabulary [0, %d)", name,
                      what, d, tk->n_vocab);
    return BB_OK;
}

static int template_items(tok_tokenizer *tk, const cJSON *arr, const cJSON *specials, tok_tmpl_item *items, int max,
                          int *n, const char *which, const char *name, char *err, size_t errlen) {
    *n = 0;
    const cJSON *it;
    cJSON_ArrayForEach(it, arr) {
        const cJSON *sq = get(it, "Sequence"), *st = get(it, "SpecialToken");
        if (sq) {
            const cJSON *id = get(sq, "id");
            if (*n >= max || !cJSON_IsString(id))
                return bb_err(err, errlen, BB_EFORMAT, "%s: post_processor.%s has a bad Sequence item", name, which);
            items[(*n)++] = (tok_tmpl_item){0, -1, strcmp(id->valuestring, "B") == 0, type_of(get(sq, "type_id"))};
        } else if (st) {
            const cJSON *id = get(st, "id");
            const cJSON *sp = cJSON_IsString(id) ? get(specials, id->valuestring) : NULL;
            const cJSON *ids = sp ? get(sp, "ids") : NULL;
            if (!cJSON_IsArray(ids))
                return bb_err(err, errlen, BB_EFORMAT, "%s: post_processor.%s names a special token missing from special_tokens",
                              name, which);
            const cJSON *v;
            cJSON_ArrayForEach(v, ids) {
                int32_t x = (int32_t)num_id(v);
                if (*n >= max || x < 0 || x >= tk->n_vocab)
                    return bb_err(err, errlen, BB_EFORMAT, "%s: post_processor.%s special token id is bad or the template too long",
                                  name, which);
                items[(*n)++] = (tok_tmpl_item){1, x, 0, type_of(get(st, "type_id"))};
            }
        } else {
            return bb_err(err, errlen, BB_EFORMAT, "%s: post_processor.%s item is neither Sequence nor SpecialToken", name, which);
        }
    }
    return BB_OK;
}

static int load_post(tok_tokenizer *tk, const cJSON *pp, const char *name, char *err, size_t errlen) {
    tk->n_single = 1, tk->single[0] = (tok_tmpl_item){0, -1, 0, 0};
    tk->n_pair = 2, tk->pair[0] = tk->single[0], tk->pair[1] = (tok_tmpl_item){0, -1, 1, 1};
    tk->post_kind = TOK_POST_NONE;
    if (is_null(pp)) return BB_OK;
    const cJSON *type = get(pp, "type");
    const char *t = cJSON_IsString(type) ? type->valuestring : "";
    int rc;
    int32_t cls, sep;
    if (strcmp(t, "BertProcessing") == 0 || strcmp(t, "RobertaProcessing") == 0) {
        if ((rc = special_id(tk, get(pp, "cls"), "cls", name, &cls, err, errlen)) != BB_OK) return rc;
        if ((rc = special_id(tk, get(pp, "sep"), "sep", name, &sep, err, errlen)) != BB_OK) return rc;
        tok_set_bert_template(tk, cls, sep);
        if (t[0] == 'R') {
            tok_tmpl_item *p = tk->pair;
            p[0] = (tok_tmpl_item){1, cls, 0, 0}, p[1] = (tok_tmpl_item){0, -1, 0, 0}, p[2] = (tok_tmpl_item){1, sep, 0, 0};
            p[3] = p[2], p[4] = (tok_tmpl_item){0, -1, 1, 0}, p[5] = p[2];
            tk->n_pair = 6;
            tk->post_kind = TOK_POST_ROBERTA;
            tk->type_ids_zero = 1;
            tk->trim_offsets = get_bool(pp, "trim_offsets", 1);
            tk->trim_prefix_space = get_bool(pp, "add_prefix_space", 1);
        }
        return BB_OK;
    }
    if (strcmp(t, "ByteLevel") == 0) {
        tk->post_kind = TOK_POST_BYTELEVEL;
        tk->trim_offsets = get_bool(pp, "trim_offsets", 1);
        tk->trim_prefix_space = get_bool(pp, "add_prefix_space", 1);
        return BB_OK;
    }
    if (strcmp(t, "TemplateProcessing") == 0) {
        const cJSON *sp = get(pp, "special_tokens");
        if ((rc = template_items(tk, get(pp, "single"), sp, tk->single, 8, &tk->n_single, "single", name, err, errlen)) != BB_OK)
            return rc;
        if ((rc = template_items(tk, get(pp, "pair"), sp, tk->pair, 12, &tk->n_pair, "pair", name, err, errlen)) != BB_OK)
            return rc;
        tk->post_kind = TOK_POST_TEMPLATE;
        return BB_OK;
    }
    return bb_err(err, errlen, BB_EFORMAT, "%s: post_processor type '%s' is not supported", name, t);
}

/* "truncation": null, or {"direction": "Right"|"Left", "max_length": N, "strategy": "LongestFirst"|
 * "OnlyFirst"|"OnlySecond", "stride": 0}: HF tokenizers cuts every encoding there. */
static int load_truncation(tok_tokenizer *tk, const cJSON *t, const char *name, char *err, size_t errlen) {
    if (is_null(t)) return BB_OK;
    const cJSON *ml = get(t, "max_length"), *st = get(t, "strategy"), *dir = get(t, "direction"), *stride = get(t, "stride");
    if (!cJSON_IsObject(t) || !cJSON_IsNumber(ml) || ml->valuedouble < 1 || ml->valuedouble > 1e6 ||
        ml->valuedouble != (double)(int)ml->valuedouble)
        return bb_err(err, errlen, BB_EFORMAT, "%s: truncation needs a max_length between 1 and 1000000", name);
    if (cJSON_IsNumber(stride) && stride->valuedouble != 0)
        return bb_err(err, errlen, BB_EFORMAT, "%s: truncation.stride %g is not supported (only 0)", name,
                      stride->valuedouble);
    const char *s = cJSON_IsString(st) ? st->valuestring : "LongestFirst";
    if (strcmp(s, "LongestFirst") == 0) tk->trunc = TOK_TRUNC_LONGEST_FIRST;
    else if (strcmp(s, "OnlyFirst") == 0) tk->trunc = TOK_TRUNC_ONLY_FIRST;
    else if (strcmp(s, "OnlySecond") == 0) tk->trunc = TOK_TRUNC_ONLY_SECOND;
    else return bb_err(err, errlen, BB_EFORMAT, "%s: truncation.strategy '%s' is not one of LongestFirst, OnlyFirst, OnlySecond", name, s);
    const char *d = cJSON_IsString(dir) ? dir->valuestring : "Right";
    if (strcmp(d, "Right") && strcmp(d, "Left"))
        return bb_err(err, errlen, BB_EFORMAT, "%s: truncation.direction '%s' is not Right or Left", name, d);
    tk->trunc_side = d[0] == 'L' ? TOK_SIDE_LEFT : TOK_SIDE_RIGHT;
    tk->trunc_max = (int)ml->valuedouble;
    return BB_OK;
}

/* model.type -> tk->kind. */
static int load_model_kind(tok_tokenizer *tk, const cJSON *model, const char *name, char *err, size_t errlen) {
    if (!cJSON_IsObject(model)) return bb_err(err, errlen, BB_EFORMAT, "%s: no model object", name);
    const cJSON *mtype = get(model, "type");
    const char *mt = cJSON_IsString(mtype) ? mtype->valuestring : "";
    if (strcmp(mt, "WordPiece") == 0) tk->kind = TOK_MODEL_WORDPIECE;
    else if (strcmp(mt, "BPE") == 0) tk->kind = TOK_MODEL_BPE;
    else if (strcmp(mt, "Unigram") == 0) tk->kind = TOK_MODEL_UNIGRAM;
    else return bb_err(err, errlen, BB_EFORMAT, "%s: model type '%s' is not supported (WordPiece, BPE, Unigram)", name, mt);
    return BB_OK;
}

/* The text of a tokenizer.json whose model.vocab the cJSON tree lacks (read by tok_json_vocab.c). */
typedef struct {
    const char *json;
    tok_vocab_span span;
} vocab_text;

typedef struct {
    tok_tokenizer *tk;
    int *cap;
    long limit;
    const char *name;
    char *err;
    size_t errlen;
} vocab_fill;

static int fill_entry(void *ctx, const char *key, long id) {
    vocab_fill *f = ctx;
    return set_token(f->tk, f->cap, (double)id, f->limit, key, f->name, f->err, f->errlen);
}

/* model.vocab's entries, from the text or from the tree. */
static int fill_vocab(tok_tokenizer *tk, int *cap, const cJSON *vocab, const vocab_text *text, long limit,
                      const char *name, char *err, size_t errlen) {
    if (text) {
        char *key = malloc(text->span.end - text->span.begin + 1);
        if (!key) return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", name);
        vocab_fill f = {tk, cap, limit, name, err, errlen};
        int rc = tok_json_vocab_each(text->json, &text->span, key, fill_entry, &f);
        free(key);
        return rc;
    }
    const cJSON *v;
    cJSON_ArrayForEach(v, vocab) {
        if (!cJSON_IsNumber(v))
            return bb_err(err, errlen, BB_EFORMAT, "%s: model.vocab['%.40s'] is not a number", name, v->string);
        int rc = set_token(tk, cap, v->valuedouble, limit, v->string, name, err, errlen);
        if (rc != BB_OK) return rc;
    }
    return BB_OK;
}

/* model.vocab (Unigram: its [piece, score] list; text: WordPiece's and BPE's object when it was left
 * out of the tree) and added_tokens. */
static int load_vocab(tok_tokenizer *tk, const cJSON *root, const cJSON *model, const vocab_text *text,
                      const char *name, char *err, size_t errlen) {
    int rc, cap = 0;
    const cJSON *vocab = get(model, "vocab");
    if (tk->kind == TOK_MODEL_UNIGRAM) {
        if ((rc = tok_spm_json_vocab(tk, model, &cap, name, err, errlen)) != BB_OK) return rc;
    } else if (!cJSON_IsObject(vocab)) {
        return bb_err(err, errlen, BB_EFORMAT, "%s: model.vocab is not an object", name);
    }
    long entries = text ? text->span.count : cJSON_GetArraySize(vocab);
    long limit = 2L * (entries + cJSON_GetArraySize(get(root, "added_tokens"))) + 1024;
    if (tk->kind != TOK_MODEL_UNIGRAM && (rc = fill_vocab(tk, &cap, vocab, text, limit, name, err, errlen)) != BB_OK)
        return rc;
    const cJSON *added = get(root, "added_tokens"), *a;
    cJSON_ArrayForEach(a, added) {
        const cJSON *content = get(a, "content"), *id = get(a, "id");
        if (!cJSON_IsString(content) || !cJSON_IsNumber(id))
            return bb_err(err, errlen, BB_EFORMAT, "%s: added_tokens entry without content and id", name);
        if (get_bool(a, "single_word", 0) || (get_bool(a, "normalized", 0) && *content->valuestring))
            return bb_err(err, errlen, BB_EFORMAT,
                          "%s: added token '%.40s': single_word or normalized matching is not supported", name,
                          content->valuestring);
        if ((rc = set_token(tk, &cap, id->valuedouble, limit, content->valuestring, name, err, errlen)) != BB_OK)
            return rc;
        if (tok_add_added(tk, (int32_t)num_id(id), content->valuestring, get_bool(a, "lstrip", 0),
                          get_bool(a, "rstrip", 0), get_bool(a, "special", 0)) != BB_OK)
            return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", name);
    }
    if (tk->n_vocab == 0) return bb_err(err, errlen, BB_EFORMAT, "%s: empty vocabulary", name);
    return BB_OK;
}

/* WordPiece's prefix and word limit; the BPE options this encoder does not implement are refused. */
static int load_model_options(tok_tokenizer *tk, const cJSON *model, const char *name, char *err, size_t errlen) {
    if (tk->kind == TOK_MODEL_WORDPIECE) {
        const cJSON *pre = get(model, "continuing_subword_prefix");
        const char *p = cJSON_IsString(pre) ? pre->valuestring : "##";
        if (strlen(p) >= sizeof tk->prefix)
            return bb_err(err, errlen, BB_EFORMAT, "%s: continuing_subword_prefix is too long", name);
        strcpy(tk->prefix, p);
        tk->prefix_len = (int)strlen(p);
        const cJSON *mc = get(model, "max_input_chars_per_word");
        tk->max_chars = cJSON_IsNumber(mc) && mc->valuedouble >= 0 && mc->valuedouble < 1e9 ? (int)mc->valuedouble : 100;
    } else if (tk->kind == TOK_MODEL_BPE) {
        const cJSON *dr = get(model, "dropout"), *cp = get(model, "continuing_subword_prefix"),
                    *ew = get(model, "end_of_word_suffix");
        const char *bad = !is_null(dr) ? "dropout"
                          : (cJSON_IsString(cp) && *cp->valuestring) ? "continuing_subword_prefix"
                          : (cJSON_IsString(ew) && *ew->valuestring) ? "end_of_word_suffix"
                          : get_bool(model, "byte_fallback", 0) ? "byte_fallback"
                                                                : NULL;
        if (bad) return bb_err(err, errlen, BB_EFORMAT, "%s: BPE option '%s' is not supported", name, bad);
        tk->ignore_merges = get_bool(model, "ignore_merges", 0);
    }
    return BB_OK;
}

static int load_normalizer(tok_tokenizer *tk, const cJSON *norm, const char *name, char *err, size_t errlen) {
    if (is_null(norm)) return BB_OK;
    const cJSON *nt = get(norm, "type");
    const char *t = cJSON_IsString(nt) ? nt->valuestring : "";
    if (strcmp(t, "BertNormalizer") != 0)
        return bb_err(err, errlen, BB_EFORMAT, "%s: normalizer type '%s' is not supported (BertNormalizer)", name, t);
    tk->bert_norm = 1;
    tk->clean_text = get_bool(norm, "clean_text", 1);
    tk->chinese = get_bool(norm, "handle_chinese_chars", 1);
    tk->lower = get_bool(norm, "lowercase", 1);
    const cJSON *sa = get(norm, "strip_accents");
    tk->strip_accents = cJSON_IsBool(sa) ? cJSON_IsTrue(sa) : -1;
    return BB_OK;
}

static int load_pre_tokenizer(tok_tokenizer *tk, const cJSON *pre, const char *name, char *err, size_t errlen) {
    if (!is_null(pre)) {
        const cJSON *pt = get(pre, "type");
        const char *t = cJSON_IsString(pt) ? pt->valuestring : "";
        if (strcmp(t, "BertPreTokenizer") == 0) {
            tk->pre = TOK_PRE_BERT;
        } else if (strcmp(t, "ByteLevel") == 0) {
            tk->pre = TOK_PRE_BYTELEVEL;
            tk->add_prefix_space = get_bool(pre, "add_prefix_space", 1);
            tk->use_regex = get_bool(pre, "use_regex", 1);
        } else {
            return bb_err(err, errlen, BB_EFORMAT,
                          "%s: pre_tokenizer type '%s' is not supported (BertPreTokenizer, ByteLevel)", name, t);
        }
    }
    if (tk->kind == TOK_MODEL_BPE && tk->pre != TOK_PRE_BYTELEVEL)
        return bb_err(err, errlen, BB_EFORMAT, "%s: a BPE model needs the ByteLevel pre_tokenizer", name);
    return BB_OK;
}

static int load_decoder(tok_tokenizer *tk, const cJSON *dec, const char *name, char *err, size_t errlen) {
    if (is_null(dec)) return BB_OK;
    const cJSON *dt = get(dec, "type");
    const char *t = cJSON_IsString(dt) ? dt->valuestring : "";
    if (strcmp(t, "WordPiece") == 0) {
        tk->dec = TOK_DEC_WORDPIECE;
        const cJSON *p = get(dec, "prefix");
        const char *ps = cJSON_IsString(p) ? p->valuestring : "##";
        if (strlen(ps) >= sizeof tk->dec_prefix)
            return bb_err(err, errlen, BB_EFORMAT, "%s: decoder.prefix is too long", name);
        strcpy(tk->dec_prefix, ps);
        tk->dec_cleanup = get_bool(dec, "cleanup", 1);
    } else if (strcmp(t, "ByteLevel") == 0) {
        tk->dec = TOK_DEC_BYTELEVEL;
    } else {
        return bb_err(err, errlen, BB_EFORMAT, "%s: decoder type '%s' is not supported (WordPiece, ByteLevel)", name, t);
    }
    return BB_OK;
}

/* The pipeline after the vocabulary: Unigram brings its own normalizers, Metaspace and decoders; the
 * others a BertNormalizer, a pre-tokenizer, BPE merges and a decoder; all a post-processor and
 * truncation. */
static int load_pipeline(tok_tokenizer *tk, const cJSON *root, const cJSON *model, const char *name, char *err,
                         size_t errlen) {
    int rc;
    if (tk->spm) {
        if ((rc = tok_spm_finish(tk, name, err, errlen)) != BB_OK ||
            (rc = tok_spm_json_components(tk, root, name, err, errlen)) != BB_OK)
            return rc;
    } else {
        const cJSON *merges = get(model, "merges");
        if (tk->kind == TOK_MODEL_BPE && !cJSON_IsArray(merges))
            return bb_err(err, errlen, BB_EFORMAT, "%s: model.merges is not an array", name);
        if ((tk->kind == TOK_MODEL_BPE && (rc = build_merges(tk, merges, name, err, errlen)) != BB_OK) ||
            (rc = load_normalizer(tk, get(root, "normalizer"), name, err, errlen)) != BB_OK ||
            (rc = load_pre_tokenizer(tk, get(root, "pre_tokenizer"), name, err, errlen)) != BB_OK)
            return rc;
    }
    if ((rc = load_post(tk, get(root, "post_processor"), name, err, errlen)) != BB_OK ||
        (rc = load_truncation(tk, get(root, "truncation"), name, err, errlen)) != BB_OK)
        return rc;
    return tk->spm ? BB_OK : load_decoder(tk, get(root, "decoder"), name, err, errlen);
}

/* json parsed with "{}" in place of text->span; NULL when that is not valid JSON, or the model is not
 * WordPiece or BPE (the Unigram reader wants its vocabulary list in the tree). */
static cJSON *parse_without_vocab(const char *json, size_t len, const vocab_text *text) {
    size_t head = text->span.begin, tail = len - text->span.end;
    char *s = malloc(head + 2 + tail + 1);
    if (!s) return NULL;
    memcpy(s, json, head);
    memcpy(s + head, "{}", 2);
    memcpy(s + head + 2, json + text->span.end, tail);
    s[head + 2 + tail] = 0;
    cJSON *root = cJSON_ParseWithLength(s, head + 2 + tail);
    free(s);
    const cJSON *type = get(get(root, "model"), "type");
    if (!cJSON_IsString(type) || (strcmp(type->valuestring, "WordPiece") != 0 && strcmp(type->valuestring, "BPE") != 0)) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

int tok_load_json_mem(tok_tokenizer **out, const char *json, size_t len, const char *name, char *err, size_t errlen) {
    *out = NULL;
    /* The vocabulary object is read from the text when it can be (tok_json_vocab.h), the rest by cJSON. */
    vocab_text vt = {json, {0, 0, 0}}, *text = &vt;
    cJSON *root = tok_json_vocab_span(json, len, &vt.span) ? parse_without_vocab(json, len, &vt) : NULL;
    if (!root) {
        text = NULL;
        root = cJSON_ParseWithLength(json, len);
    }
    if (!root) return bb_err(err, errlen, BB_EFORMAT, "%s: not valid JSON", name);
    tok_tokenizer *tk = calloc(1, sizeof *tk);
    if (!tk) {
        cJSON_Delete(root);
        return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", name);
    }
    tk->unk = -1;
    const cJSON *model = get(root, "model"), *unk = get(model, "unk_token");
    int rc;
    if ((rc = load_model_kind(tk, model, name, err, errlen)) == BB_OK &&
        (rc = load_vocab(tk, root, model, text, name, err, errlen)) == BB_OK &&
        (rc = load_model_options(tk, model, name, err, errlen)) == BB_OK &&
        (rc = tok_finish(tk, err, errlen)) == BB_OK) {
        tk->unk = cJSON_IsString(unk) ? tok_token_to_id(tk, unk->valuestring) : -1;
        rc = load_pipeline(tk, root, model, name, err, errlen);
    }
    cJSON_Delete(root);
    if (rc != BB_OK) {
        tok_free(tk);
        return rc;
    }
    *out = tk;
    return BB_OK;
}

/* ---- writing ------------------------------------------------------------------------------------------ */

static cJSON *tok_pair_json(const tok_tokenizer *tk, int32_t id) {
    cJSON *a = cJSON_CreateArray();
    cJSON_AddItemToArray(a, cJSON_CreateString(tk->str[id] ? tk->str[id] : ""));
    cJSON_AddItemToArray(a, cJSON_CreateNumber(id));
    return a;
}

static cJSON *template_json(const tok_tokenizer *tk, const tok_tmpl_item *items, int n) {
    cJSON *arr = cJSON_CreateArray();
    for (int i = 0; i < n; i++) {
        cJSON *it = cJSON_CreateObject(), *inner = cJSON_CreateObject();
        if (items[i].is_special) {
            cJSON_AddStringToObject(inner, "id", tk->str[items[i].id] ? tk->str[items[i].id] : "");
            cJSON_AddItemToObject(it, "SpecialToken", inner);
        } else {
            cJSON_AddStringToObject(inner, "id", items[i].seq ? "B" : "A");
            cJSON_AddItemToObject(it, "Sequence", inner);
        }
        cJSON_AddNumberToObject(inner, "type_id", items[i].type_id);
        cJSON_AddItemToArray(arr, it);
    }
    return arr;
}

static cJSON *post_json(const tok_tokenizer *tk) {
    cJSON *pp = cJSON_CreateObject();
    switch (tk->post_kind) {
    case TOK_POST_BERT:
    case TOK_POST_ROBERTA:
        cJSON_AddStringToObject(pp, "type", tk->post_kind == TOK_POST_BERT ? "BertProcessing" : "RobertaProcessing");
        cJSON_AddItemToObject(pp, "sep", tok_pair_json(tk, tk->single[2].id));
        cJSON_AddItemToObject(pp, "cls", tok_pair_json(tk, tk->single[0].id));
        if (tk->post_kind == TOK_POST_ROBERTA) {
            cJSON_AddBoolToObject(pp, "trim_offsets", tk->trim_offsets);
            cJSON_AddBoolToObject(pp, "add_prefix_space", tk->trim_prefix_space);
        }
        return pp;
    case TOK_POST_BYTELEVEL:
        cJSON_AddStringToObject(pp, "type", "ByteLevel");
        cJSON_AddBoolToObject(pp, "add_prefix_space", tk->trim_prefix_space);
        cJSON_AddBoolToObject(pp, "trim_offsets", tk->trim_offsets);
        cJSON_AddBoolToObject(pp, "use_regex", 1);
        return pp;
    case TOK_POST_TEMPLATE: {
        cJSON_AddStringToObject(pp, "type", "TemplateProcessing");
        cJSON_AddItemToObject(pp, "single", template_json(tk, tk->single, tk->n_single));
        cJSON_AddItemToObject(pp, "pair", template_json(tk, tk->pair, tk->n_pair));
        cJSON *sp = cJSON_AddObjectToObject(pp, "special_tokens");
        const tok_tmpl_item *all[2] = {tk->single, tk->pair};
        int ns[2] = {tk->n_single, tk->n_pair};
        for (int k = 0; k < 2; k++)
            for (int i = 0; i < ns[k]; i++) {
                if (!all[k][i].is_special) continue; /* a Sequence item has no token (id -1) */
                const char *s = tk->str[all[k][i].id];
                if (!s || get(sp, s)) continue;
                cJSON *e = cJSON_AddObjectToObject(sp, s);
                cJSON_AddStringToObject(e, "id", s);
                cJSON *ids = cJSON_AddArrayToObject(e, "ids"), *toks = cJSON_AddArrayToObject(e, "tokens");
                cJSON_AddItemToArray(ids, cJSON_CreateNumber(all[k][i].id));
                cJSON_AddItemToArray(toks, cJSON_CreateString(s));
            }
        return pp;
    }
    default: cJSON_Delete(pp); return cJSON_CreateNull();
    }
}

static void add_added_tokens(cJSON *root, const tok_tokenizer *tk) {
    cJSON *added = cJSON_AddArrayToObject(root, "added_tokens");
    for (int i = 0; i < tk->n_added; i++) {
        const tok_added *a = &tk->added[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "id", a->id);
        cJSON_AddStringToObject(o, "content", a->content);
        cJSON_AddBoolToObject(o, "single_word", 0);
        cJSON_AddBoolToObject(o, "lstrip", a->lstrip);
        cJSON_AddBoolToObject(o, "rstrip", a->rstrip);
        cJSON_AddBoolToObject(o, "normalized", 0);
        cJSON_AddBoolToObject(o, "special", a->special);
        cJSON_AddItemToArray(added, o);
    }
}

static void add_normalizer(cJSON *root, const tok_tokenizer *tk) {
    if (!tk->bert_norm) {
        cJSON_AddNullToObject(root, "normalizer");
        return;
    }
    cJSON *n = cJSON_AddObjectToObject(root, "normalizer");
    cJSON_AddStringToObject(n, "type", "BertNormalizer");
    cJSON_AddBoolToObject(n, "clean_text", tk->clean_text);
    cJSON_AddBoolToObject(n, "handle_chinese_chars", tk->chinese);
    if (tk->strip_accents < 0) cJSON_AddNullToObject(n, "strip_accents");
    else cJSON_AddBoolToObject(n, "strip_accents", tk->strip_accents);
    cJSON_AddBoolToObject(n, "lowercase", tk->lower);
}

static void add_pre_tokenizer(cJSON *root, const tok_tokenizer *tk) {
    if (tk->pre == TOK_PRE_BERT) {
        cJSON_AddStringToObject(cJSON_AddObjectToObject(root, "pre_tokenizer"), "type", "BertPreTokenizer");
    } else if (tk->pre == TOK_PRE_BYTELEVEL) {
        cJSON *p = cJSON_AddObjectToObject(root, "pre_tokenizer");
        cJSON_AddStringToObject(p, "type", "ByteLevel");
        cJSON_AddBoolToObject(p, "add_prefix_space", tk->add_prefix_space);
        cJSON_AddBoolToObject(p, "trim_offsets", 1);
        cJSON_AddBoolToObject(p, "use_regex", tk->use_regex);
    } else {
        cJSON_AddNullToObject(root, "pre_tokenizer");
    }
}

static void add_decoder(cJSON *root, const tok_tokenizer *tk) {
    if (tk->dec == TOK_DEC_WORDPIECE) {
        cJSON *d = cJSON_AddObjectToObject(root, "decoder");
        cJSON_AddStringToObject(d, "type", "WordPiece");
        cJSON_AddStringToObject(d, "prefix", tk->dec_prefix);
        cJSON_AddBoolToObject(d, "cleanup", tk->dec_cleanup);
    } else if (tk->dec == TOK_DEC_BYTELEVEL) {
        cJSON *d = cJSON_AddObjectToObject(root, "decoder");
        cJSON_AddStringToObject(d, "type", "ByteLevel");
        cJSON_AddBoolToObject(d, "add_prefix_space", 1);
        cJSON_AddBoolToObject(d, "trim_offsets", 1);
        cJSON_AddBoolToObject(d, "use_regex", 1);
    } else {
        cJSON_AddNullToObject(root, "decoder");
    }
}

/* The WordPiece or BPE model: its options, vocab and (BPE) merges by rank. */
static void add_model(cJSON *root, const tok_tokenizer *tk) {
    cJSON *m = cJSON_AddObjectToObject(root, "model");
    const char *unk = tk->unk >= 0 ? tk->str[tk->unk] : NULL;
    if (tk->kind == TOK_MODEL_WORDPIECE) {
        cJSON_AddStringToObject(m, "type", "WordPiece");
        if (unk) cJSON_AddStringToObject(m, "unk_token", unk);
        else cJSON_AddNullToObject(m, "unk_token");
        cJSON_AddStringToObject(m, "continuing_subword_prefix", tk->prefix);
        cJSON_AddNumberToObject(m, "max_input_chars_per_word", tk->max_chars);
    } else {
        cJSON_AddStringToObject(m, "type", "BPE");
        cJSON_AddNullToObject(m, "dropout");
        if (unk) cJSON_AddStringToObject(m, "unk_token", unk);
        else cJSON_AddNullToObject(m, "unk_token");
        cJSON_AddNullToObject(m, "continuing_subword_prefix");
        cJSON_AddNullToObject(m, "end_of_word_suffix");
        cJSON_AddBoolToObject(m, "fuse_unk", 0);
        cJSON_AddBoolToObject(m, "byte_fallback", 0);
        cJSON_AddBoolToObject(m, "ignore_merges", tk->ignore_merges);
    }
    cJSON *vocab = cJSON_AddObjectToObject(m, "vocab");
    for (int id = 0; id < tk->n_vocab; id++)
        if (tk->str[id]) cJSON_AddItemToObject(vocab, tk->str[id], cJSON_CreateNumber(id));
    if (tk->kind == TOK_MODEL_BPE) {
        cJSON *merges = cJSON_AddArrayToObject(m, "merges");
        for (int r = 0; r < tk->n_merges; r++) {
            cJSON *p = cJSON_CreateArray();
            cJSON_AddItemToArray(p, cJSON_CreateString(tk->str[tk->merge_left[r]]));
            cJSON_AddItemToArray(p, cJSON_CreateString(tk->str[tk->merge_right[r]]));
            cJSON_AddItemToArray(merges, p);
        }
    }
}

static cJSON *tokenizer_json(const tok_tokenizer *tk) {
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "version", "1.0");
    cJSON_AddNullToObject(root, "truncation");
    cJSON_AddNullToObject(root, "padding");
    add_added_tokens(root, tk);
    if (tk->spm) {
        cJSON_AddItemToObject(root, "post_processor", post_json(tk));
        if (tok_spm_json_write(tk, root) != BB_OK) {
            cJSON_Delete(root);
            return NULL;
        }
        return root;
    }
    add_normalizer(root, tk);
    add_pre_tokenizer(root, tk);
    cJSON_AddItemToObject(root, "post_processor", post_json(tk));
    add_decoder(root, tk);
    add_model(root, tk);
    return root;
}

/* Writes text to path through a temporary file and a rename, so a failed write leaves no half file. */
int tok_write_text(const char *path, const char *text, size_t n, char *err, size_t errlen) {
    char tmp[4096];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return bb_err(err, errlen, BB_EINVAL, "%s: path too long", path);
    FILE *f = fopen(tmp, "wb");
    if (!f) return bb_err(err, errlen, BB_EIO, "%s: %s", tmp, strerror(errno));
    size_t w = fwrite(text, 1, n, f);
    int bad = w != n || fflush(f) != 0;
    int e = errno;
    if (fclose(f) != 0) bad = 1;
    if (bad) {
        remove(tmp);
        return bb_err(err, errlen, e == ENOSPC ? BB_ENOSPC : BB_EIO, "%s: write failed: %s", path, strerror(e));
    }
    if (rename(tmp, path) != 0) {
        e = errno;
        remove(tmp);
        return bb_err(err, errlen, BB_EIO, "%s: rename failed: %s", path, strerror(e));
    }
    return BB_OK;
}

static int write_json(cJSON *j, const char *path, int pretty, char *err, size_t errlen) {
    if (!j) return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", path);
    char *s = pretty ? cJSON_Print(j) : cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    if (!s) return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", path);
    int rc = tok_write_text(path, s, strlen(s), err, errlen);
    free(s);
    return rc;
}

int tok_save_json(const tok_tokenizer *tk, const char *path, char *err, size_t errlen) {
    if (tk->kind == TOK_MODEL_SPM_BPE)
        return bb_err(err, errlen, BB_EINVAL, "%s: a SentencePiece BPE model has no tokenizer.json form here (save the .model)", path);
    return write_json(tokenizer_json(tk), path, 0, err, errlen);
}

int tok_save_vocab(const tok_tokenizer *tk, const char *path, char *err, size_t errlen) {
    size_t total = 1;
    for (int id = 0; id < tk->n_vocab; id++) total += (tk->str[id] ? tk->len[id] : 0) + 1;
    char *buf = malloc(total), *p = buf;
    if (!buf) return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", path);
    for (int id = 0; id < tk->n_vocab; id++) {
        if (tk->str[id]) memcpy(p, tk->str[id], tk->len[id]), p += tk->len[id];
        *p++ = '\n';
    }
    int rc = tok_write_text(path, buf, (size_t)(p - buf), err, errlen);
    free(buf);
    return rc;
}

int tok_save_dir(const tok_tokenizer *tk, const char *dir, char *err, size_t errlen) {
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) return bb_err(err, errlen, BB_EIO, "%s: %s", dir, strerror(errno));
    char path[4096];
    int rc;
    snprintf(path, sizeof path, "%s/tokenizer.json", dir);
    if ((rc = tok_save_json(tk, path, err, errlen)) != BB_OK) return rc;
    if (tk->kind == TOK_MODEL_WORDPIECE) {
        snprintf(path, sizeof path, "%s/vocab.txt", dir);
        if ((rc = tok_save_vocab(tk, path, err, errlen)) != BB_OK) return rc;
    } else if (tk->kind == TOK_MODEL_BPE) {
        cJSON *v = cJSON_CreateObject();
        for (int id = 0; id < tk->n_vocab; id++)
            if (tk->str[id]) cJSON_AddItemToObject(v, tk->str[id], cJSON_CreateNumber(id));
        snprintf(path, sizeof path, "%s/vocab.json", dir);
        if ((rc = write_json(v, path, 0, err, errlen)) != BB_OK) return rc;
        size_t total = 16;
        for (int r = 0; r < tk->n_merges; r++) total += tk->len[tk->merge_left[r]] + tk->len[tk->merge_right[r]] + 2;
        char *buf = malloc(total), *p = buf;
        if (!buf) return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", dir);
        p += sprintf(p, "#version: 0.2\n");
        for (int r = 0; r < tk->n_merges; r++)
            p += sprintf(p, "%s %s\n", tk->str[tk->merge_left[r]], tk->str[tk->merge_right[r]]);
        snprintf(path, sizeof path, "%s/merges.txt", dir);
        rc = tok_write_text(path, buf, (size_t)(p - buf), err, errlen);
        free(buf);
        if (rc != BB_OK) return rc;
    }
    cJSON *cfg = cJSON_CreateObject();
    cJSON_AddStringToObject(cfg, "tokenizer_class", tk->kind == TOK_MODEL_WORDPIECE ? "BertTokenizerFast"
                                                     : tk->kind == TOK_MODEL_BPE    ? "RobertaTokenizerFast"
                                                                                    : "PreTrainedTokenizerFast");
    if (tk->bert_norm) cJSON_AddBoolToObject(cfg, "do_lower_case", tk->lower);
    cJSON_AddNumberToObject(cfg, "model_max_length", tk->model_max_length);
    cJSON_AddBoolToObject(cfg, "clean_up_tokenization_spaces", tk->clean_up_spaces);
    const char *names[5] = {"cls_token", "sep_token", "pad_token", "mask_token", "unk_token"};
    int32_t ids[5] = {tk->sp.cls, tk->sp.sep, tk->sp.pad, tk->sp.mask, tk->sp.unk};
    for (int k = 0; k < 5; k++)
        if (ids[k] >= 0 && tk->str[ids[k]]) cJSON_AddStringToObject(cfg, names[k], tk->str[ids[k]]);
    snprintf(path, sizeof path, "%s/tokenizer_config.json", dir);
    return write_json(cfg, path, 1, err, errlen);
}
