/* Tokenizing datasets for training: MLM blocks (group_texts), classification rows, batches, masking. */
#include <stdlib.h>
#include <string.h>

#include "bb_err.h"
#include "data.h"

void data_encoded_free(data_encoded *e) {
    free(e->ids);
    free(e->type_ids);
    free(e->len);
    free(e->special);
    free(e->word_start);
    free(e->labels);
    free(e->values);
    memset(e, 0, sizeof *e);
}

/* Allocates n rows of T; labels: 0 none, 1 per row, 2 per token. */
static int enc_alloc(data_encoded *e, int n, int T, int labels, int values, char *err, size_t errlen) {
    memset(e, 0, sizeof *e);
    size_t nt = (size_t)n * T;
    e->ids = calloc(nt ? nt : 1, sizeof(int32_t));
    e->type_ids = calloc(nt ? nt : 1, sizeof(int32_t));
    e->len = calloc((size_t)n + 1, sizeof(int32_t));
    e->special = calloc(nt ? nt : 1, 1);
    e->word_start = calloc(nt ? nt : 1, 1);
    if (labels) e->labels = malloc(sizeof(int32_t) * (labels == 2 ? nt + 1 : (size_t)n + 1));
    if (values) e->values = calloc((size_t)n + 1, sizeof(float));
    if (!e->ids || !e->type_ids || !e->len || !e->special || !e->word_start || (labels && !e->labels) ||
        (values && !e->values)) {
        data_encoded_free(e);
        return bb_err(err, errlen, BB_ENOMEM, "out of memory for %d encoded rows of %d tokens", n, T);
    }
    e->n = n;
    e->T = T;
    e->label_kind = labels;
    return BB_OK;
}

static int is_special_tok(const tok_tokenizer *tk, const tok_encoding *enc, int i) {
    return enc->special[i] != TOK_TEXT || tok_is_special(tk, enc->ids[i]);
}

int data_group_texts(data_encoded *out, const tok_tokenizer *tk, const data_set *d, int block_size, char *err,
                     size_t errlen) {
    memset(out, 0, sizeof *out);
    if (block_size < 2) return bb_err(err, errlen, BB_EINVAL, "--block-size %d: must be at least 2", block_size);
    tok_options o = tok_options_default();
    tok_encoding *enc = tok_encoding_new();
    size_t n = 0, cap = 0;
    int32_t *ids = NULL;
    uint8_t *sp = NULL, *ws = NULL;
    int rc = enc ? BB_OK : bb_err(err, errlen, BB_ENOMEM, "out of memory");
    for (int i = 0; i < d->n && rc == BB_OK; i++) {
        if ((rc = tok_encode(tk, d->ex[i].text, -1, NULL, 0, &o, enc, err, errlen)) != BB_OK) break;
        if (n + (size_t)enc->n > cap) {
            size_t nc = (n + (size_t)enc->n) * 2 + 1024;
            int32_t *a = realloc(ids, nc * sizeof *a);
            if (a) ids = a;
            uint8_t *b = realloc(sp, nc), *c = b ? realloc(ws, nc) : NULL;
            if (b) sp = b;
            if (c) ws = c;
            if (!a || !b || !c) {
                rc = bb_err(err, errlen, BB_ENOMEM, "%s: out of memory tokenizing", d->path);
                break;
            }
            cap = nc;
        }
        for (int k = 0; k < enc->n; k++) {
            int s = is_special_tok(tk, enc, k);
            ids[n] = enc->ids[k];
            sp[n] = (uint8_t)s;
            ws[n] = (uint8_t)(!s && (k == 0 || enc->words[k] != enc->words[k - 1] || is_special_tok(tk, enc, k - 1)));
            n++;
        }
    }
    tok_encoding_free(enc);
    if (rc == BB_OK && n == 0) rc = bb_err(err, errlen, BB_EFORMAT, "%s: no tokens", d->path);
    if (rc == BB_OK) {
        int blocks = n >= (size_t)block_size ? (int)(n / (size_t)block_size) : 1;
        rc = enc_alloc(out, blocks, block_size, 0, 0, err, errlen);
        for (int b = 0; b < blocks && rc == BB_OK; b++) {
            size_t off = (size_t)b * block_size, len = n - off < (size_t)block_size ? n - off : (size_t)block_size;
            memcpy(out->ids + off, ids + off, len * sizeof(int32_t));
            memcpy(out->special + off, sp + off, len);
            memcpy(out->word_start + off, ws + off, len);
            out->len[b] = (int32_t)len;
            out->n_tokens += (long)len;
        }
    }
    free(ids);
    free(sp);
    free(ws);
    return rc;
}

/* Token classification row: [CLS] pieces of each word [SEP], each word encoded on its own (HF's
 * is_split_into_words), its tag on the first piece. */
static int encode_words(const tok_tokenizer *tk, const data_example *ex, const data_labels *lm, tok_encoding *enc,
                        int max_length, int32_t *ids, int32_t *labels, uint8_t *ws, int *len, const char *path,
                        char *err, size_t errlen) {
    tok_special_ids s = tok_specials(tk);
    tok_options o = tok_options_default();
    o.add_special_tokens = 0;
    int n = 0;
    ids[n] = s.cls, labels[n] = -100, ws[n] = 0, n++;
    for (int w = 0; w < ex->n_words && n < max_length - 1; w++) {
        int tag = data_label_id(lm, ex->tags[w]);
        if (tag < 0)
            return bb_err(err, errlen, BB_EFORMAT, "%s:%d: tag '%s' is not in the label map", path, ex->line + w,
                          ex->tags[w]);
        int rc = tok_encode(tk, ex->words[w], -1, NULL, 0, &o, enc, err, errlen);
        if (rc != BB_OK) return rc;
        for (int k = 0; k < enc->n && n < max_length - 1; k++) {
            ids[n] = enc->ids[k];
            labels[n] = k == 0 ? tag : -100;
            ws[n] = k == 0;
            n++;
        }
    }
    ids[n] = s.sep, labels[n] = -100, ws[n] = 0, n++;
    *len = n;
    return BB_OK;
}

int data_encode_examples(data_encoded *out, const tok_tokenizer *tk, const data_set *d, const data_labels *lm,
                         int task_tokcls, int max_length, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    if (max_length < 3) return bb_err(err, errlen, BB_EINVAL, "maximum length %d: must be at least 3", max_length);
    tok_special_ids s = tok_specials(tk);
    if (task_tokcls && (s.cls < 0 || s.sep < 0))
        return bb_err(err, errlen, BB_EINVAL, "the tokenizer has no [CLS]/[SEP] tokens for token classification");
    int rc = enc_alloc(out, d->n, max_length, task_tokcls ? 2 : 1, lm == NULL, err, errlen);
    if (rc != BB_OK) return rc;
    tok_encoding *enc = tok_encoding_new();
    if (!enc) {
        data_encoded_free(out);
        return bb_err(err, errlen, BB_ENOMEM, "out of memory");
    }
    tok_options o = tok_options_default();
    o.truncation = TOK_TRUNC_LONGEST_FIRST;
    o.max_length = max_length;
    int T = 1;
    for (int i = 0; i < d->n && rc == BB_OK; i++) {
        const data_example *ex = &d->ex[i];
        size_t off = (size_t)i * max_length;
        int len = 0;
        if (task_tokcls) {
            if (ex->n_words == 0) {
                rc = bb_err(err, errlen, BB_EFORMAT, "%s:%d: no tagged tokens (token classification needs CoNLL or "
                            "JSONL tokens/tags)", d->path, ex->line);
                break;
            }
            rc = encode_words(tk, ex, lm, enc, max_length, out->ids + off, out->labels + off, out->word_start + off,
                              &len, d->path, err, errlen);
            for (int k = 0; k < len; k++) out->special[off + k] = k == 0 || k == len - 1; /* [CLS], [SEP] */
        } else {
            if (!ex->label) {
                rc = bb_err(err, errlen, BB_EFORMAT, "%s:%d: example without a label", d->path, ex->line);
                break;
            }
            if (lm) {
                int id = data_label_id(lm, ex->label);
                if (id < 0) {
                    rc = bb_err(err, errlen, BB_EFORMAT, "%s:%d: label '%s' is not in the label map", d->path, ex->line,
                                ex->label);
                    break;
                }
                out->labels[i] = id;
            } else {
                char *end;
                out->values[i] = strtof(ex->label, &end);
                if (*end || end == ex->label) {
                    rc = bb_err(err, errlen, BB_EFORMAT, "%s:%d: regression label '%s' is not a number", d->path,
                                ex->line, ex->label);
                    break;
                }
                out->labels[i] = 0;
            }
            if ((rc = tok_encode(tk, ex->text, -1, ex->text_pair, -1, &o, enc, err, errlen)) != BB_OK) break;
            len = enc->n;
            for (int k = 0; k < len; k++) {
                out->ids[off + k] = enc->ids[k];
                out->type_ids[off + k] = enc->type_ids[k];
                out->special[off + k] = (uint8_t)is_special_tok(tk, enc, k);
            }
        }
        for (int k = len; task_tokcls && k < max_length; k++) out->labels[off + k] = -100;
        out->len[i] = len;
        out->n_tokens += len;
        if (len > T) T = len;
    }
    tok_encoding_free(enc);
    if (rc != BB_OK) data_encoded_free(out);
    return rc;
}

void data_batch_free(data_batch *b) {
    free(b->ids);
    free(b->type_ids);
    free(b->labels);
    free(b->mask);
    free(b->values);
    memset(b, 0, sizeof *b);
}

int data_batch_fill(data_batch *b, const data_encoded *e, const int32_t *idx, int B, char *err, size_t errlen) {
    int T = 1;
    for (int i = 0; i < B; i++) {
        BB_ASSERT(idx[i] >= 0 && idx[i] < e->n);
        if (e->len[idx[i]] > T) T = e->len[idx[i]];
    }
    if (B > b->cap_B || T > b->cap_T) {
        int cb = B > b->cap_B ? B : b->cap_B, ct = T > b->cap_T ? T : b->cap_T;
        data_batch nb = {.cap_B = cb, .cap_T = ct};
        size_t nt = (size_t)cb * ct;
        nb.ids = malloc(nt * sizeof(int32_t));
        nb.type_ids = malloc(nt * sizeof(int32_t));
        nb.labels = malloc(nt * sizeof(int32_t));
        nb.mask = malloc(nt * sizeof(float));
        nb.values = malloc((size_t)cb * sizeof(float));
        if (!nb.ids || !nb.type_ids || !nb.labels || !nb.mask || !nb.values) {
            data_batch_free(&nb);
            return bb_err(err, errlen, BB_ENOMEM, "out of memory for a batch of %d x %d", B, T);
        }
        data_batch_free(b);
        *b = nb;
    }
    b->B = B;
    b->T = T;
    b->n_tokens = 0;
    for (int i = 0; i < B; i++) {
        size_t src = (size_t)idx[i] * e->T, dst = (size_t)i * T;
        int len = e->len[idx[i]];
        for (int t = 0; t < T; t++) {
            int real = t < len;
            b->ids[dst + t] = real ? e->ids[src + t] : 0;
            b->type_ids[dst + t] = real ? e->type_ids[src + t] : 0;
            b->mask[dst + t] = (float)real;
            b->labels[dst + t] = -100;
        }
        if (e->label_kind == 2)
            for (int t = 0; t < len; t++) b->labels[dst + t] = e->labels[src + t];
        b->n_tokens += len;
        if (e->values) b->values[i] = e->values[idx[i]];
    }
    if (e->label_kind == 1) /* after the loop above: row labels occupy the first B entries */
        for (int i = 0; i < B; i++) b->labels[i] = e->labels[idx[i]];
    return BB_OK;
}

void data_batch_flags(const data_batch *b, const data_encoded *e, const int32_t *idx, uint8_t *special,
                      uint8_t *word_start) {
    for (int i = 0; i < b->B; i++) {
        size_t src = (size_t)idx[i] * e->T, dst = (size_t)i * b->T;
        int len = e->len[idx[i]];
        for (int t = 0; t < b->T; t++) {
            special[dst + t] = t < len ? e->special[src + t] : 1;
            word_start[dst + t] = t < len ? e->word_start[src + t] : 0;
        }
    }
}

/* 80% [MASK], 10% a random token, 10% unchanged (HF draws bernoulli(0.8), then bernoulli(0.5)). */
static void corrupt(int32_t *id, const data_mask_opts *o, bb_rng *rng) {
    if (bb_rng_uniform(rng) < 0.8f)
        *id = o->mask_id;
    else if (bb_rng_uniform(rng) < 0.5f)
        *id = (int32_t)bb_rng_below(rng, (uint32_t)o->vocab_size);
}

void data_mask(data_batch *b, const uint8_t *special, const uint8_t *word_start, const data_mask_opts *o, bb_rng *rng) {
    int n = b->B * b->T;
    for (int i = 0; i < n; i++) b->labels[i] = -100;
    for (int i = 0; i < n; i++) {
        if (special[i]) continue;
        if (o->whole_word && !word_start[i]) continue; /* decided with the word's first piece */
        if (bb_rng_uniform(rng) >= o->prob) continue;
        int end = i + 1;
        if (o->whole_word)
            while (end < n && end % b->T != 0 && !special[end] && !word_start[end]) end++;
        for (int k = i; k < end; k++) {
            b->labels[k] = b->ids[k];
            corrupt(&b->ids[k], o, rng);
        }
    }
}
