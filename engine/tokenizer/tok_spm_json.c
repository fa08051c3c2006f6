/* tok_spm_json.c — tokenizer.json for the SentencePiece family: reading the Unigram model, the
 * normalizers, the Metaspace pre-tokenizer and the decoders (HF `tokenizers` names and fields), and
 * writing them back; a SentencePiece .model is written the way HF's converters write one (Precompiled
 * charsmap, whitespace collapsed by Replace, Metaspace). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "tok_spm.h"

static const cJSON *get(const cJSON *o, const char *k) { return cJSON_GetObjectItemCaseSensitive(o, k); }

static const char *type_of(const cJSON *o) {
    const cJSON *t = get(o, "type");
    return cJSON_IsString(t) ? t->valuestring : "";
}

static int get_bool(const cJSON *o, const char *k, int def) {
    const cJSON *v = get(o, k);
    return cJSON_IsBool(v) ? cJSON_IsTrue(v) : def;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static uint8_t *b64_decode(const char *s, size_t *n) {
    size_t len = strlen(s);
    uint8_t *out = malloc(len / 4 * 3 + 3);
    if (!out) return NULL;
    uint32_t acc = 0;
    int bits = 0;
    *n = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '=') break;
        const char *p = strchr(b64, s[i]);
        if (!p || !s[i]) {
            free(out);
            return NULL;
        }
        acc = acc << 6 | (uint32_t)(p - b64);
        bits += 6;
        if (bits >= 8) out[(*n)++] = (uint8_t)(acc >> (bits - 8)), bits -= 8;
    }
    return out;
}

static char *b64_encode(const uint8_t *d, size_t n) {
    char *out = malloc((n + 2) / 3 * 4 + 1), *o = out;
    if (!out) return NULL;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)d[i] << 16 | (i + 1 < n ? (uint32_t)d[i + 1] << 8 : 0) | (i + 2 < n ? d[i + 2] : 0);
        *o++ = b64[v >> 18 & 63], *o++ = b64[v >> 12 & 63];
        *o++ = i + 1 < n ? b64[v >> 6 & 63] : '=';
        *o++ = i + 2 < n ? b64[v & 63] : '=';
    }
    *o = 0;
    return out;
}

/* ---- reading ------------------------------------------------------------------------------------------- */

int tok_spm_json_vocab(tok_tokenizer *tk, const cJSON *model, int *cap, const char *name, char *err, size_t errlen) {
    const cJSON *vocab = get(model, "vocab");
    if (!cJSON_IsArray(vocab))
        return bb_err(err, errlen, BB_EFORMAT, "%s: model.vocab of a Unigram model is not an array of [piece, score]", name);
    int n = cJSON_GetArraySize(vocab);
    if (n <= 0 || n > (1 << 24)) return bb_err(err, errlen, BB_EFORMAT, "%s: Unigram vocab has %d entries", name, n);
    struct tok_spm *sp = calloc(1, sizeof *sp);
    if (!sp) return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", name);
    tk->spm = sp;
    sp->hf = 1, sp->algo = TOK_SPM_UNIGRAM, sp->unk_as_text = 1, sp->model_type = 1;
    tk->str = calloc((size_t)n, sizeof *tk->str);
    tk->len = calloc((size_t)n, sizeof *tk->len);
    sp->score = calloc((size_t)n, sizeof *sp->score);
    sp->dscore = calloc((size_t)n, sizeof *sp->dscore);
    sp->type = calloc((size_t)n, 1);
    if (!tk->str || !tk->len || !sp->score || !sp->dscore || !sp->type)
        return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", name);
    *cap = n;
    tk->n_vocab = n;
    int id = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, vocab) {
        if (!cJSON_IsArray(e) || cJSON_GetArraySize(e) != 2 || !cJSON_IsString(e->child) || !cJSON_IsNumber(e->child->next))
            return bb_err(err, errlen, BB_EFORMAT, "%s: model.vocab[%d] is not [piece, score]", name, id);
        double sc = e->child->next->valuedouble;
        if (sc != sc || sc > 1e30 || sc < -1e30)
            return bb_err(err, errlen, BB_EFORMAT, "%s: model.vocab[%d] has a score that is not a finite number", name, id);
        if (!(tk->str[id] = strdup(e->child->valuestring))) return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", name);
        tk->len[id] = (uint32_t)strlen(tk->str[id]);
        sp->dscore[id] = sc, sp->score[id] = (float)sc, sp->type[id] = SPM_NORMAL;
        id++;
    }
    const cJSON *unk = get(model, "unk_id");
    if (!cJSON_IsNumber(unk) || unk->valuedouble < 0 || unk->valuedouble >= n)
        return bb_err(err, errlen, BB_EFORMAT, "%s: model.unk_id is missing or outside the vocab", name);
    sp->type[(int)unk->valuedouble] = SPM_UNKNOWN;
    sp->byte_fallback = get_bool(model, "byte_fallback", 0);
    for (int i = 0; sp->byte_fallback && i < n; i++)
        if (tk->len[i] == 6 && strncmp(tk->str[i], "<0x", 3) == 0 && tk->str[i][5] == '>' && i != (int)unk->valuedouble)
            sp->type[i] = SPM_BYTE;
    return BB_OK;
}

static char *dup_str(const cJSON *v) { return cJSON_IsString(v) ? strdup(v->valuestring) : NULL; }

/* Replace's pattern: {"String": s} or {"Regex": "X{n,}" | "X+"} for a single character (or literal) X. */
static int read_pattern(tok_hf_norm *nm, const cJSON *pat, const char *name, char *err, size_t errlen) {
    const cJSON *str = get(pat, "String"), *re = get(pat, "Regex");
    if (cJSON_IsString(str)) {
        nm->pattern = strdup(str->valuestring);
        return nm->pattern ? BB_OK : BB_ENOMEM;
    }
    if (!cJSON_IsString(re)) return bb_err(err, errlen, BB_EFORMAT, "%s: Replace pattern is neither String nor Regex", name);
    const char *r = re->valuestring;
    size_t l = strlen(r);
    int min = -1;
    size_t body = 0;
    if (l >= 2 && r[l - 1] == '+') body = l - 1, min = 1;
    else {
        const char *br = strrchr(r, '{');
        int v, used = 0;
        if (br && br > r && sscanf(br, "{%d,}%n", &v, &used) == 1 && used > 0 && (size_t)(br - r) + (size_t)used == l && v >= 1)
            body = (size_t)(br - r), min = v;
    }
    int32_t cp;
    if (min < 0 || body == 0 || tok_utf8_decode((const unsigned char *)r, (long)body, &cp) != (int)body ||
        strchr("\\.[](){}*+?|^$", r[0]))
        return bb_err(err, errlen, BB_EFORMAT, "%s: Replace regex '%.40s' is not supported (one character then {n,} or +)",
                      name, r);
    nm->pattern = malloc(body + 1);
    if (!nm->pattern) return BB_ENOMEM;
    memcpy(nm->pattern, r, body);
    nm->pattern[body] = 0;
    nm->regex = 1, nm->min_rep = min;
    return BB_OK;
}

static int add_norm(struct tok_spm *sp, const cJSON *o, int depth, const char *name, char *err, size_t errlen) {
    const char *t = type_of(o);
    if (strcmp(t, "Sequence") == 0 && depth < 4) {
        const cJSON *v;
        cJSON_ArrayForEach(v, get(o, "normalizers")) {
            int rc = add_norm(sp, v, depth + 1, name, err, errlen);
            if (rc != BB_OK) return rc;
        }
        return BB_OK;
    }
    tok_hf_norm *nn = realloc(sp->norms, sizeof *nn * (size_t)(sp->n_norms + 1));
    if (!nn) return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", name);
    sp->norms = nn;
    tok_hf_norm *nm = &sp->norms[sp->n_norms];
    memset(nm, 0, sizeof *nm);
    static const struct {
        const char *name;
        int kind;
    } kinds[] = {{"Precompiled", TOK_HN_PRECOMPILED}, {"Replace", TOK_HN_REPLACE}, {"NFC", TOK_HN_NFC},
                 {"NFD", TOK_HN_NFD}, {"NFKC", TOK_HN_NFKC}, {"NFKD", TOK_HN_NFKD}, {"Strip", TOK_HN_STRIP},
                 {"Prepend", TOK_HN_PREPEND}, {"Lowercase", TOK_HN_LOWERCASE}, {"StripAccents", TOK_HN_STRIP_ACCENTS}};
    for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++)
        if (strcmp(t, kinds[k].name) == 0) nm->kind = kinds[k].kind;
    if (!nm->kind)
        return bb_err(err, errlen, BB_EFORMAT,
                      "%s: normalizer type '%s' is not supported with a Unigram model (Precompiled, Replace, NFC, NFD, "
                      "NFKC, NFKD, Strip, Prepend, Lowercase, StripAccents, Sequence)", name, t);
    sp->n_norms++;
    int rc = BB_OK;
    if (nm->kind == TOK_HN_PRECOMPILED) {
        const cJSON *cm = get(o, "precompiled_charsmap");
        if (cJSON_IsString(cm) && *cm->valuestring) {
            size_t n;
            uint8_t *blob = b64_decode(cm->valuestring, &n);
            if (!blob) return bb_err(err, errlen, BB_EFORMAT, "%s: Precompiled.precompiled_charsmap is not base64", name);
            rc = tok_charsmap_load(&nm->cm, blob, n, name, err, errlen);
            free(blob);
        }
    } else if (nm->kind == TOK_HN_REPLACE) {
        if ((rc = read_pattern(nm, get(o, "pattern"), name, err, errlen)) != BB_OK) return rc;
        if (!(nm->content = dup_str(get(o, "content"))))
            return bb_err(err, errlen, BB_EFORMAT, "%s: Replace normalizer without a content string", name);
    } else if (nm->kind == TOK_HN_PREPEND) {
        if (!(nm->content = dup_str(get(o, "prepend"))))
            return bb_err(err, errlen, BB_EFORMAT, "%s: Prepend normalizer without a prepend string", name);
    } else if (nm->kind == TOK_HN_STRIP) {
        nm->left = get_bool(o, "strip_left", 1), nm->right = get_bool(o, "strip_right", 1);
    }
    return rc;
}

static int read_metaspace(struct tok_spm *sp, const cJSON *o, const char *name, char *err, size_t errlen) {
    const cJSON *rep = get(o, "replacement"), *ps = get(o, "prepend_scheme");
    const char *r = cJSON_IsString(rep) ? rep->valuestring : "\xE2\x96\x81";
    int32_t cp;
    if (!*r || strlen(r) >= sizeof sp->meta_rep || tok_utf8_decode((const unsigned char *)r, (long)strlen(r), &cp) != (int)strlen(r))
        return bb_err(err, errlen, BB_EFORMAT, "%s: Metaspace.replacement must be one character", name);
    strcpy(sp->meta_rep, r);
    const char *s = cJSON_IsString(ps) ? ps->valuestring : "always";
    if (strcmp(s, "always") == 0) sp->meta_prepend = TOK_PREPEND_ALWAYS;
    else if (strcmp(s, "first") == 0) sp->meta_prepend = TOK_PREPEND_FIRST;
    else if (strcmp(s, "never") == 0) sp->meta_prepend = TOK_PREPEND_NEVER;
    else return bb_err(err, errlen, BB_EFORMAT, "%s: Metaspace.prepend_scheme '%.20s' (always, first, never)", name, s);
    /* The older field: add_prefix_space false means never. */
    if (cJSON_IsBool(get(o, "add_prefix_space")) && !get_bool(o, "add_prefix_space", 1)) sp->meta_prepend = TOK_PREPEND_NEVER;
    sp->meta_split = get_bool(o, "split", 1);
    return BB_OK;
}

static int add_dec(struct tok_spm *sp, const cJSON *o, int depth, const char *name, char *err, size_t errlen) {
    const char *t = type_of(o);
    if (strcmp(t, "Sequence") == 0 && depth < 4) {
        const cJSON *v;
        cJSON_ArrayForEach(v, get(o, "decoders")) {
            int rc = add_dec(sp, v, depth + 1, name, err, errlen);
            if (rc != BB_OK) return rc;
        }
        return BB_OK;
    }
    tok_hf_dec *nd = realloc(sp->decs, sizeof *nd * (size_t)(sp->n_decs + 1));
    if (!nd) return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", name);
    sp->decs = nd;
    tok_hf_dec *d = &sp->decs[sp->n_decs];
    memset(d, 0, sizeof *d);
    if (strcmp(t, "Metaspace") == 0) {
        d->kind = TOK_HD_METASPACE;
        if (!sp->metaspace) {
            int rc = read_metaspace(sp, o, name, err, errlen);
            if (rc != BB_OK) return rc;
        }
    } else if (strcmp(t, "ByteFallback") == 0) {
        d->kind = TOK_HD_BYTE_FALLBACK;
    } else if (strcmp(t, "Fuse") == 0) {
        d->kind = TOK_HD_FUSE;
    } else if (strcmp(t, "Replace") == 0) {
        d->kind = TOK_HD_REPLACE;
        const cJSON *str = get(get(o, "pattern"), "String");
        d->pattern = dup_str(str), d->content = dup_str(get(o, "content"));
        if (!d->pattern || !d->content) {
            free(d->pattern), free(d->content);
            return bb_err(err, errlen, BB_EFORMAT, "%s: Replace decoder needs a String pattern and a content", name);
        }
    } else if (strcmp(t, "Strip") == 0) {
        d->kind = TOK_HD_STRIP;
        const cJSON *st = get(o, "start"), *sp2 = get(o, "stop");
        d->content = dup_str(get(o, "content"));
        d->start = cJSON_IsNumber(st) && st->valuedouble >= 0 && st->valuedouble < 1e6 ? (int)st->valuedouble : 0;
        d->stop = cJSON_IsNumber(sp2) && sp2->valuedouble >= 0 && sp2->valuedouble < 1e6 ? (int)sp2->valuedouble : 0;
        if (!d->content) return bb_err(err, errlen, BB_EFORMAT, "%s: Strip decoder without content", name);
    } else {
        return bb_err(err, errlen, BB_EFORMAT,
                      "%s: decoder type '%s' is not supported with a Unigram model (Metaspace, Replace, ByteFallback, "
                      "Fuse, Strip, Sequence)", name, t);
    }
    sp->n_decs++;
    return BB_OK;
}

int tok_spm_json_components(tok_tokenizer *tk, const cJSON *root, const char *name, char *err, size_t errlen) {
    struct tok_spm *sp = tk->spm;
    int rc;
    const cJSON *norm = get(root, "normalizer"), *pre = get(root, "pre_tokenizer"), *dec = get(root, "decoder");
    if (norm && !cJSON_IsNull(norm) && (rc = add_norm(sp, norm, 0, name, err, errlen)) != BB_OK) return rc;
    strcpy(sp->meta_rep, "\xE2\x96\x81");
    if (pre && !cJSON_IsNull(pre)) {
        const cJSON *m = pre;
        if (strcmp(type_of(pre), "Sequence") == 0) {
            const cJSON *list = get(pre, "pretokenizers");
            m = cJSON_GetArraySize(list) == 1 ? list->child : NULL;
        }
        if (!m || strcmp(type_of(m), "Metaspace") != 0)
            return bb_err(err, errlen, BB_EFORMAT, "%s: pre_tokenizer type '%s' is not supported with a Unigram model (Metaspace)",
                          name, type_of(m ? m : pre));
        if ((rc = read_metaspace(sp, m, name, err, errlen)) != BB_OK) return rc;
        sp->metaspace = 1;
    }
    if (dec && !cJSON_IsNull(dec)) {
        sp->has_decoder = 1;
        if ((rc = add_dec(sp, dec, 0, name, err, errlen)) != BB_OK) return rc;
    }
    return BB_OK;
}

/* ---- writing ------------------------------------------------------------------------------------------- */

static cJSON *pattern_json(const tok_hf_norm *nm) {
    cJSON *p = cJSON_CreateObject();
    if (!nm->regex) {
        cJSON_AddStringToObject(p, "String", nm->pattern);
    } else {
        char re[64];
        if (nm->min_rep == 1) snprintf(re, sizeof re, "%s+", nm->pattern);
        else snprintf(re, sizeof re, "%s{%d,}", nm->pattern, nm->min_rep);
        cJSON_AddStringToObject(p, "Regex", re);
    }
    return p;
}

static cJSON *norm_json(const tok_hf_norm *nm) {
    static const char *names[] = {"", "Precompiled", "Replace", "NFC", "NFD", "NFKC", "NFKD", "Strip", "Prepend",
                                  "Lowercase", "StripAccents"};
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", names[nm->kind]);
    if (nm->kind == TOK_HN_PRECOMPILED) {
        char *s = nm->cm.blob_len ? b64_encode(nm->cm.blob, nm->cm.blob_len) : NULL;
        cJSON_AddStringToObject(o, "precompiled_charsmap", s ? s : "");
        free(s);
    } else if (nm->kind == TOK_HN_REPLACE) {
        cJSON_AddItemToObject(o, "pattern", pattern_json(nm));
        cJSON_AddStringToObject(o, "content", nm->content);
    } else if (nm->kind == TOK_HN_PREPEND) {
        cJSON_AddStringToObject(o, "prepend", nm->content);
    } else if (nm->kind == TOK_HN_STRIP) {
        cJSON_AddBoolToObject(o, "strip_left", nm->left);
        cJSON_AddBoolToObject(o, "strip_right", nm->right);
    }
    return o;
}

static cJSON *metaspace_json(const char *rep, int prepend, int split) {
    static const char *schemes[] = {"never", "first", "always"};
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", "Metaspace");
    cJSON_AddStringToObject(o, "replacement", rep);
    cJSON_AddStringToObject(o, "prepend_scheme", schemes[prepend]);
    cJSON_AddBoolToObject(o, "split", split);
    return o;
}

int tok_spm_json_write(const tok_tokenizer *tk, cJSON *root) {
    const struct tok_spm *sp = tk->spm;
    if (sp->algo != TOK_SPM_UNIGRAM) return BB_EINVAL;
    cJSON *norms = cJSON_CreateArray();
    if (sp->hf) {
        for (int i = 0; i < sp->n_norms; i++) cJSON_AddItemToArray(norms, norm_json(&sp->norms[i]));
    } else {
        /* As HF's SpmConverter writes a .model: its charsmap, then runs of spaces collapsed. */
        tok_hf_norm pc = {.kind = TOK_HN_PRECOMPILED, .cm = sp->cm};
        if (sp->cm.blob_len) cJSON_AddItemToArray(norms, norm_json(&pc));
        tok_hf_norm ws = {.kind = TOK_HN_REPLACE, .pattern = " ", .regex = 1, .min_rep = 2, .content = " "};
        if (sp->remove_extra_ws) cJSON_AddItemToArray(norms, norm_json(&ws));
    }
    if (cJSON_GetArraySize(norms) == 0) {
        cJSON_Delete(norms);
        cJSON_AddNullToObject(root, "normalizer");
    } else {
        cJSON *seq = cJSON_AddObjectToObject(root, "normalizer");
        cJSON_AddStringToObject(seq, "type", "Sequence");
        cJSON_AddItemToObject(seq, "normalizers", norms);
    }
    int prepend = sp->hf ? sp->meta_prepend : sp->add_dummy_prefix ? TOK_PREPEND_ALWAYS : TOK_PREPEND_NEVER;
    const char *rep = sp->hf ? sp->meta_rep : "\xE2\x96\x81";
    int split = sp->hf ? sp->meta_split : 1;
    if (!sp->hf || sp->metaspace) cJSON_AddItemToObject(root, "pre_tokenizer", metaspace_json(rep, prepend, split));
    else cJSON_AddNullToObject(root, "pre_tokenizer");
    if (!sp->hf) {
        cJSON_AddItemToObject(root, "decoder", metaspace_json(rep, prepend, split));
    } else if (!sp->has_decoder) {
        cJSON_AddNullToObject(root, "decoder");
    } else {
        static const char *names[] = {"", "Metaspace", "Replace", "ByteFallback", "Fuse", "Strip"};
        cJSON *seq = cJSON_AddObjectToObject(root, "decoder");
        cJSON_AddStringToObject(seq, "type", "Sequence");
        cJSON *list = cJSON_AddArrayToObject(seq, "decoders");
        for (int i = 0; i < sp->n_decs; i++) {
            const tok_hf_dec *d = &sp->decs[i];
            cJSON *o = d->kind == TOK_HD_METASPACE ? metaspace_json(rep, prepend, split) : cJSON_CreateObject();
            if (d->kind != TOK_HD_METASPACE) cJSON_AddStringToObject(o, "type", names[d->kind]);
            if (d->kind == TOK_HD_REPLACE) {
                cJSON_AddStringToObject(cJSON_AddObjectToObject(o, "pattern"), "String", d->pattern);
                cJSON_AddStringToObject(o, "content", d->content);
            } else if (d->kind == TOK_HD_STRIP) {
                cJSON_AddStringToObject(o, "content", d->content);
                cJSON_AddNumberToObject(o, "start", d->start);
                cJSON_AddNumberToObject(o, "stop", d->stop);
            }
            cJSON_AddItemToArray(list, o);
        }
    }
    /* A .model's control and unknown pieces become special added tokens, as HF's converters make them. */
    cJSON *added = cJSON_GetObjectItemCaseSensitive(root, "added_tokens");
    for (int id = 0; !sp->hf && added && id < tk->n_vocab; id++) {
        if (sp->type[id] != SPM_CONTROL && sp->type[id] != SPM_UNKNOWN) continue;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "id", id);
        cJSON_AddStringToObject(o, "content", tk->str[id]);
        cJSON_AddBoolToObject(o, "single_word", 0);
        cJSON_AddBoolToObject(o, "lstrip", 0);
        cJSON_AddBoolToObject(o, "rstrip", 0);
        cJSON_AddBoolToObject(o, "normalized", 0);
        cJSON_AddBoolToObject(o, "special", 1);
        cJSON_AddItemToArray(added, o);
    }
    cJSON *m = cJSON_AddObjectToObject(root, "model");
    cJSON_AddStringToObject(m, "type", "Unigram");
    cJSON_AddNumberToObject(m, "unk_id", tk->unk);
    cJSON *vocab = cJSON_AddArrayToObject(m, "vocab");
    for (int id = 0; id < tk->n_vocab; id++) {
        cJSON *e = cJSON_CreateArray();
        cJSON_AddItemToArray(e, cJSON_CreateString(tk->str[id] ? tk->str[id] : ""));
        cJSON_AddItemToArray(e, cJSON_CreateNumber(sp->hf ? sp->dscore[id] : (double)sp->score[id]));
        cJSON_AddItemToArray(vocab, e);
    }
    cJSON_AddBoolToObject(m, "byte_fallback", sp->byte_fallback);
    return BB_OK;
}
