/* tok_unigram_save.c — a trained Unigram model as Hugging Face writes a SentencePiece-style Unigram
 * tokenizer (tokenizer.json, tokenizer_config.json), and piece counts under the model's Viterbi. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "tok_internal.h"
#include "tok_unigram_internal.h"
#include "tok_unigram_lattice.h"

static cJSON *typed(const char *type) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", type);
    return o;
}

static cJSON *metaspace(void) {
    cJSON *o = typed("Metaspace");
    cJSON_AddStringToObject(o, "replacement", "\xe2\x96\x81");
    cJSON_AddStringToObject(o, "prepend_scheme", "always");
    cJSON_AddBoolToObject(o, "split", 1);
    return o;
}

static cJSON *replace(const char *kind, const char *pattern, const char *content) {
    cJSON *o = typed("Replace");
    cJSON_AddStringToObject(cJSON_AddObjectToObject(o, "pattern"), kind, pattern);
    cJSON_AddStringToObject(o, "content", content);
    return o;
}

static cJSON *template_item(const char *kind, const char *id) {
    cJSON *o = cJSON_CreateObject(), *in = cJSON_AddObjectToObject(o, kind);
    cJSON_AddStringToObject(in, "id", id);
    cJSON_AddNumberToObject(in, "type_id", 0);
    return o;
}

/* XLM-R's layout: <s> A </s> and <s> A </s> </s> B </s>. */
static cJSON *post_processor(const tok_ug_model *m) {
    cJSON *p = typed("TemplateProcessing");
    cJSON *single = cJSON_AddArrayToObject(p, "single"), *pair = cJSON_AddArrayToObject(p, "pair");
    cJSON_AddItemToArray(single, template_item("SpecialToken", "<s>"));
    cJSON_AddItemToArray(single, template_item("Sequence", "A"));
    cJSON_AddItemToArray(single, template_item("SpecialToken", "</s>"));
    const char *pr[6] = {"<s>", "A", "</s>", "</s>", "B", "</s>"};
    for (int k = 0; k < 6; k++)
        cJSON_AddItemToArray(pair, template_item(pr[k][0] == '<' ? "SpecialToken" : "Sequence", pr[k]));
    cJSON *sp = cJSON_AddObjectToObject(p, "special_tokens");
    for (int id = 1; id <= 2; id++) {
        cJSON *t = cJSON_AddObjectToObject(sp, m->piece[id]);
        cJSON_AddStringToObject(t, "id", m->piece[id]);
        cJSON_AddItemToObject(t, "ids", cJSON_CreateIntArray((const int[]){id}, 1));
        cJSON_AddItemToObject(t, "tokens", cJSON_CreateStringArray((const char *const[]){m->piece[id]}, 1));
    }
    return p;
}

/* Metaspace, or with byte fallback the chain HF uses for Llama-style tokenizers. */
static cJSON *decoder(const tok_ug_model *m) {
    if (!m->byte_fallback) return metaspace();
    cJSON *d = typed("Sequence"), *list = cJSON_AddArrayToObject(d, "decoders");
    cJSON_AddItemToArray(list, replace("String", "\xe2\x96\x81", " "));
    cJSON_AddItemToArray(list, typed("ByteFallback"));
    cJSON_AddItemToArray(list, typed("Fuse"));
    cJSON *strip = typed("Strip");
    cJSON_AddStringToObject(strip, "content", " ");
    cJSON_AddNumberToObject(strip, "start", 1);
    cJSON_AddNumberToObject(strip, "stop", 0);
    cJSON_AddItemToArray(list, strip);
    return d;
}

static char *base64_dup(const uint8_t *p, size_t n) {
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = malloc((n + 2) / 3 * 4 + 1), *o = out;
    if (!out) return NULL;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
        *o++ = tab[v >> 18], *o++ = tab[(v >> 12) & 63];
        *o++ = i + 1 < n ? tab[(v >> 6) & 63] : '=';
        *o++ = i + 2 < n ? tab[v & 63] : '=';
    }
    *o = 0;
    return out;
}

static cJSON *tokenizer_json(const tok_ug_model *m) {
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "version", "1.0");
    cJSON_AddNullToObject(root, "truncation");
    cJSON_AddNullToObject(root, "padding");
    cJSON *added = cJSON_AddArrayToObject(root, "added_tokens");
    for (int id = 0; id < 3; id++) {
        cJSON *a = cJSON_CreateObject();
        cJSON_AddNumberToObject(a, "id", id);
        cJSON_AddStringToObject(a, "content", m->piece[id]);
        cJSON_AddBoolToObject(a, "single_word", 0);
        cJSON_AddBoolToObject(a, "lstrip", 0);
        cJSON_AddBoolToObject(a, "rstrip", 0);
        cJSON_AddBoolToObject(a, "normalized", 0);
        cJSON_AddBoolToObject(a, "special", 1);
        cJSON_AddItemToArray(added, a);
    }
    /* The trainer's normalization as HF converts a SentencePiece model's: the charsmap, then runs of
     * spaces collapsed (Metaspace adds the dummy prefix and the '▁'); and the ends stripped, as
     * SentencePiece's remove_extra_whitespaces does (HF's XLM-R layout would leave a trailing '▁'). */
    char *b64 = base64_dup(m->charsmap, m->charsmap_len);
    if (!b64) {
        cJSON_Delete(root);
        return NULL;
    }
    cJSON *norm = typed("Sequence"), *list = cJSON_AddArrayToObject(norm, "normalizers");
    cJSON *pre = typed("Precompiled");
    cJSON_AddStringToObject(pre, "precompiled_charsmap", b64);
    free(b64);
    cJSON_AddItemToArray(list, pre);
    cJSON_AddItemToArray(list, replace("Regex", " {2,}", " "));
    cJSON *strip = typed("Strip");
    cJSON_AddBoolToObject(strip, "strip_left", 1);
    cJSON_AddBoolToObject(strip, "strip_right", 1);
    cJSON_AddItemToArray(list, strip);
    cJSON_AddItemToObject(root, "normalizer", norm);
    cJSON_AddItemToObject(root, "pre_tokenizer", metaspace());
    cJSON_AddItemToObject(root, "post_processor", post_processor(m));
    cJSON_AddItemToObject(root, "decoder", decoder(m));
    cJSON *model = cJSON_AddObjectToObject(root, "model");
    cJSON_AddStringToObject(model, "type", "Unigram");
    cJSON_AddNumberToObject(model, "unk_id", 0);
    cJSON *vocab = cJSON_AddArrayToObject(model, "vocab");
    for (int id = 0; id < m->n; id++) {
        cJSON *e = cJSON_CreateArray();
        cJSON_AddItemToArray(e, cJSON_CreateString(m->piece[id]));
        cJSON_AddItemToArray(e, cJSON_CreateNumber(m->score[id]));
        cJSON_AddItemToArray(vocab, e);
    }
    cJSON_AddBoolToObject(model, "byte_fallback", m->byte_fallback);
    return root;
}

static int write_json(cJSON *j, const char *path, char *err, size_t errlen) {
    char *s = j ? cJSON_PrintUnformatted(j) : NULL;
    cJSON_Delete(j);
    if (!s) return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", path);
    int rc = tok_write_text(path, s, strlen(s), err, errlen);
    free(s);
    return rc;
}

int tok_ug_save_json(const tok_ug_model *m, const char *path, char *err, size_t errlen) {
    if (m->n < 3) return bb_err(err, errlen, BB_EINVAL, "%s: the model has no pieces", path);
    return write_json(tokenizer_json(m), path, err, errlen);
}

int tok_ug_save_dir(const tok_ug_model *m, const char *dir, char *err, size_t errlen) {
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) return bb_err(err, errlen, BB_EIO, "%s: %s", dir, strerror(errno));
    char path[4096];
    if (snprintf(path, sizeof path, "%s/tokenizer.json", dir) >= (int)sizeof path)
        return bb_err(err, errlen, BB_EINVAL, "%s: path too long", dir);
    int rc = tok_ug_save_json(m, path, err, errlen);
    if (rc != BB_OK) return rc;
    cJSON *cfg = cJSON_CreateObject();
    cJSON_AddStringToObject(cfg, "tokenizer_class", "XLMRobertaTokenizerFast");
    cJSON_AddNumberToObject(cfg, "model_max_length", 512);
    cJSON_AddStringToObject(cfg, "bos_token", "<s>");
    cJSON_AddStringToObject(cfg, "eos_token", "</s>");
    cJSON_AddStringToObject(cfg, "cls_token", "<s>");
    cJSON_AddStringToObject(cfg, "sep_token", "</s>");
    cJSON_AddStringToObject(cfg, "unk_token", "<unk>");
    snprintf(path, sizeof path, "%s/tokenizer_config.json", dir);
    if ((rc = write_json(cfg, path, err, errlen)) != BB_OK) return rc;
    snprintf(path, sizeof path, "%s/spiece.model", dir);
    return tok_ug_save_model(m, path, err, errlen);
}

/* ---- SentencePiece ModelProto ------------------------------------------------------------------ */

typedef struct {
    uint8_t *p;
    size_t n, cap;
    int oom;
} pb_buf;

static void pb_put(pb_buf *b, const void *d, size_t n) {
    if (b->oom) return;
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 4096;
        while (cap < b->n + n) cap *= 2;
        uint8_t *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p, b->cap = cap;
    }
    memcpy(b->p + b->n, d, n);
    b->n += n;
}

static void pb_varint(pb_buf *b, uint64_t v) {
    uint8_t t[10];
    int k = 0;
    do {
        t[k++] = (uint8_t)((v & 0x7F) | (v > 0x7F ? 0x80 : 0));
        v >>= 7;
    } while (v);
    pb_put(b, t, (size_t)k);
}

static void pb_bytes(pb_buf *b, int field, const void *d, size_t n) {
    pb_varint(b, (uint64_t)field << 3 | 2);
    pb_varint(b, n);
    pb_put(b, d, n);
}

static void pb_float(pb_buf *b, int field, float v) {
    uint8_t t[4];
    uint32_t u;
    memcpy(&u, &v, 4);
    for (int k = 0; k < 4; k++) t[k] = (uint8_t)(u >> (8 * k));
    pb_varint(b, (uint64_t)field << 3 | 5);
    pb_put(b, t, 4);
}

static void pb_uint(pb_buf *b, int field, uint64_t v) {
    pb_varint(b, (uint64_t)field << 3);
    pb_varint(b, v);
}

int tok_ug_save_model(const tok_ug_model *m, const char *path, char *err, size_t errlen) {
    pb_buf out = {0}, sub = {0};
    for (int id = 0; id < m->n; id++) {
        sub.n = 0;
        pb_bytes(&sub, 1, m->piece[id], strlen(m->piece[id]));
        pb_float(&sub, 2, (float)m->score[id]);
        if (m->type[id] != TOK_UG_NORMAL) pb_uint(&sub, 3, m->type[id]);
        if (!sub.oom) pb_bytes(&out, 1, sub.p, sub.n);
    }
    /* TrainerSpec: model_type UNIGRAM, vocab_size, character_coverage, byte_fallback. */
    sub.n = 0;
    pb_uint(&sub, 3, 1);
    pb_uint(&sub, 4, (uint64_t)m->n);
    pb_float(&sub, 10, (float)m->character_coverage);
    if (m->byte_fallback) pb_uint(&sub, 35, 1);
    if (!sub.oom) pb_bytes(&out, 2, sub.p, sub.n);
    /* NormalizerSpec: nmt_nfkc and its rules; dummy prefix, extra whitespace and escaping keep their
     * defaults (true). */
    sub.n = 0;
    pb_bytes(&sub, 1, "nmt_nfkc", 8);
    pb_bytes(&sub, 2, m->charsmap, m->charsmap_len);
    if (!sub.oom) pb_bytes(&out, 3, sub.p, sub.n);
    int rc = out.oom || sub.oom ? bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", path)
                                : tok_write_text(path, (const char *)out.p, out.n, err, errlen);
    free(out.p), free(sub.p);
    return rc;
}

/* ---- measuring -------------------------------------------------------------------------------- */

int tok_ug_count_pieces(const tok_ug_model *m, const char *const *texts, long n, long *pieces, long *n_unk,
                        char *err, size_t errlen) {
    *pieces = 0;
    if (n_unk) *n_unk = 0;
    int np = 0, rc = BB_ENOMEM;
    const int32_t **cps = malloc((size_t)(m->n ? m->n : 1) * sizeof *cps);
    int *lens = malloc((size_t)(m->n ? m->n : 1) * sizeof *lens);
    double *score = malloc((size_t)(m->n ? m->n : 1) * sizeof *score);
    int32_t *pool = NULL, *w = NULL, *path = NULL;
    ug_trie trie = {0};
    ug_lattice lat = {0};
    long pool_len = 0;
    for (int i = 0; i < m->n; i++) pool_len += (long)strlen(m->piece[i]);
    pool = malloc((size_t)(pool_len ? pool_len : 1) * sizeof *pool);
    if (!cps || !lens || !score || !pool) goto done;
    double worst = 0;
    long at = 0;
    for (int i = 0; i < m->n; i++) {
        if (m->type[i] != TOK_UG_NORMAL) continue;
        const unsigned char *s = (const unsigned char *)m->piece[i];
        long len = (long)strlen(m->piece[i]);
        cps[np] = pool + at, lens[np] = 0, score[np] = m->score[i];
        for (long k = 0; k < len;) k += tok_utf8_decode(s + k, len - k, &pool[at + lens[np]++]);
        at += lens[np];
        if (m->score[i] < worst) worst = m->score[i];
        np++;
    }
    if (ug_trie_build(&trie, cps, lens, np)) goto done;
    long wcap = 0;
    for (long t = 0; t < n; t++) {
        size_t nb;
        char *s = tok_ug_normalize_dup(m->charsmap, m->charsmap_len, texts[t], -1, &nb);
        if (!s) goto done;
        if ((long)nb + 1 > wcap) {
            wcap = (long)nb + 1;
            int32_t *nw = realloc(w, (size_t)wcap * sizeof *nw), *npath = realloc(path, (size_t)wcap * sizeof *npath);
            if (nw) w = nw;
            if (npath) path = npath;
            if (!nw || !npath) {
                free(s);
                goto done;
            }
        }
        int nc = 0;
        for (size_t k = 0; k < nb;) k += (size_t)tok_utf8_decode((const unsigned char *)s + k, (long)(nb - k), &w[nc++]);
        free(s);
        if (ug_lattice_build(&lat, &trie, score, worst - 10.0, w, nc, 0)) goto done;
        int k = ug_lattice_viterbi(&lat, path, NULL);
        /* Positions again, to know each unknown node's character. */
        int pos = 0, prev_unk = 0;
        for (int j = 0; j < k; j++) {
            if (path[j] >= 0) {
                *pieces += 1;
                pos += lens[path[j]];
                prev_unk = 0;
                continue;
            }
            char tmp[4];
            int bytes = m->byte_fallback ? tok_utf8_encode(w[pos], tmp) : (prev_unk ? 0 : 1);
            *pieces += bytes;
            if (n_unk) *n_unk += bytes;
            prev_unk = 1;
            pos++;
        }
    }
    rc = BB_OK;
done:
    free(cps), free(lens), free(score), free(pool), free(w), free(path);
    ug_trie_free(&trie);
    ug_lattice_free(&lat);
    return rc == BB_OK ? rc : bb_err(err, errlen, rc, "unigram: out of memory");
}
