/* Dataset files (text, JSONL, CSV/TSV, CoNLL), splits and label maps. */
#include "data.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "bb_err.h"
#include "bb_lines.h"

static const char *const fmt_names[] = {"auto", "text", "jsonl", "csv", "tsv", "conll"};

int data_format_parse(const char *name) {
    for (int i = 0; i < 6; i++)
        if (strcmp(name, fmt_names[i]) == 0) return i;
    return -1;
}

const char *data_format_name(data_format f) { return fmt_names[f]; }

static data_format format_from_ext(const char *path) {
    const char *dot = strrchr(path, '.');
    if (!dot) return DATA_FMT_TEXT;
    if (!strcmp(dot, ".jsonl") || !strcmp(dot, ".json") || !strcmp(dot, ".ndjson")) return DATA_FMT_JSONL;
    if (!strcmp(dot, ".csv")) return DATA_FMT_CSV;
    if (!strcmp(dot, ".tsv")) return DATA_FMT_TSV;
    if (!strcmp(dot, ".conll") || !strcmp(dot, ".bio") || !strcmp(dot, ".iob") || !strcmp(dot, ".conllu"))
        return DATA_FMT_CONLL;
    return DATA_FMT_TEXT;
}

static void example_free(data_example *e) {
    free(e->text);
    free(e->text_pair);
    free(e->label);
    for (int i = 0; i < e->n_words; i++) {
        free(e->words[i]);
        free(e->tags[i]);
    }
    free(e->words);
    free(e->tags);
}

void data_free(data_set *d) {
    if (!d) return;
    for (int i = 0; i < d->n; i++) example_free(&d->ex[i]);
    free(d->ex);
    free(d);
}

static data_example *push(data_set *d) {
    if (d->n == d->cap) {
        int cap = d->cap ? d->cap * 2 : 64;
        data_example *ex = realloc(d->ex, sizeof *ex * (size_t)cap);
        if (!ex) return NULL;
        d->ex = ex;
        d->cap = cap;
    }
    data_example *e = &d->ex[d->n++];
    memset(e, 0, sizeof *e);
    return e;
}

static char *dup_n(const char *s, size_t n) {
    char *r = malloc(n + 1);
    if (r) {
        memcpy(r, s, n);
        r[n] = 0;
    }
    return r;
}

static int oom(const data_set *d, char *err, size_t errlen) {
    return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", d->path);
}

/* Joins words with single spaces into e->text. */
static int join_words(data_example *e) {
    size_t n = 1;
    for (int i = 0; i < e->n_words; i++) n += strlen(e->words[i]) + 1;
    e->text = malloc(n);
    if (!e->text) return -1;
    char *p = e->text;
    for (int i = 0; i < e->n_words; i++) {
        size_t k = strlen(e->words[i]);
        if (i) *p++ = ' ';
        memcpy(p, e->words[i], k);
        p += k;
    }
    *p = 0;
    return 0;
}

static int load_text(data_set *d, char *buf, size_t len, int paragraphs, char *err, size_t errlen) {
    size_t i = 0;
    int line = 1, start_line = 1;
    size_t doc_start = 0, doc_end = 0;
    int in_doc = 0;
    while (i <= len) {
        size_t j = i;
        while (j < len && buf[j] != '\n') j++;
        size_t e = j;
        if (e > i && buf[e - 1] == '\r') e--;
        int blank = 1;
        for (size_t k = i; k < e; k++)
            if (buf[k] != ' ' && buf[k] != '\t') blank = 0;
        if (!paragraphs) {
            if (!blank) {
                data_example *ex = push(d);
                if (!ex || !(ex->text = dup_n(buf + i, e - i))) return oom(d, err, errlen);
                ex->line = line;
            }
        } else if (!blank) {
            if (!in_doc) doc_start = i, start_line = line, in_doc = 1;
            doc_end = e;
        }
        if (paragraphs && in_doc && (blank || j >= len)) {
            data_example *ex = push(d);
            if (!ex || !(ex->text = dup_n(buf + doc_start, doc_end - doc_start))) return oom(d, err, errlen);
            for (char *p = ex->text; *p; p++)
                if (*p == '\n' || *p == '\r') *p = ' ';
            ex->line = start_line;
            in_doc = 0;
        }
        i = j + 1;
        line++;
    }
    return BB_OK;
}

/* A JSON value as a label string: strings as is, integers without a fraction, other numbers %g. */
static char *label_string(const cJSON *v) {
    char tmp[64];
    if (cJSON_IsString(v)) return dup_n(v->valuestring, strlen(v->valuestring));
    if (cJSON_IsBool(v)) return dup_n(cJSON_IsTrue(v) ? "1" : "0", 1);
    if (!cJSON_IsNumber(v)) return NULL;
    double x = v->valuedouble;
    if (x > -1e15 && x < 1e15 && x == (double)(long long)x) /* range first: (long long)inf is undefined */
        snprintf(tmp, sizeof tmp, "%lld", (long long)x);
    else
        snprintf(tmp, sizeof tmp, "%.9g", x);
    return dup_n(tmp, strlen(tmp));
}

static int load_jsonl(data_set *d, char *buf, size_t len, char *err, size_t errlen) {
    size_t i = 0;
    int line = 1;
    while (i < len) {
        size_t j = i;
        while (j < len && buf[j] != '\n') j++;
        size_t k = i;
        while (k < j && (buf[k] == ' ' || buf[k] == '\t' || buf[k] == '\r')) k++;
        if (k < j) {
            cJSON *o = cJSON_ParseWithLength(buf + i, j - i);
            if (!o || !cJSON_IsObject(o)) {
                cJSON_Delete(o);
                return bb_err(err, errlen, BB_EFORMAT, "%s:%d: not a JSON object", d->path, line);
            }
            data_example *e = push(d);
            if (!e) {
                cJSON_Delete(o);
                return oom(d, err, errlen);
            }
            e->line = line;
            const cJSON *text = cJSON_GetObjectItemCaseSensitive(o, "text");
            const cJSON *pair = cJSON_GetObjectItemCaseSensitive(o, "text_pair");
            const cJSON *label = cJSON_GetObjectItemCaseSensitive(o, "label");
            const cJSON *words = cJSON_GetObjectItemCaseSensitive(o, "tokens");
            const cJSON *tags = cJSON_GetObjectItemCaseSensitive(o, "tags");
            if (!tags) tags = cJSON_GetObjectItemCaseSensitive(o, "ner_tags");
            int rc = BB_OK;
            if (cJSON_IsArray(words)) {
                int n = cJSON_GetArraySize(words);
                if (!cJSON_IsArray(tags) || cJSON_GetArraySize(tags) != n) {
                    rc = bb_err(err, errlen, BB_EFORMAT, "%s:%d: \"tokens\" needs a \"tags\" array of the same length",
                                d->path, line);
                } else {
                    e->words = calloc((size_t)n + 1, sizeof(char *));
                    e->tags = calloc((size_t)n + 1, sizeof(char *));
                    if (!e->words || !e->tags) rc = oom(d, err, errlen);
                    for (int w = 0; w < n && rc == BB_OK; w++) {
                        const cJSON *wv = cJSON_GetArrayItem(words, w), *tv = cJSON_GetArrayItem(tags, w);
                        if (!cJSON_IsString(wv))
                            rc = bb_err(err, errlen, BB_EFORMAT, "%s:%d: tokens[%d] is not a string", d->path, line, w);
                        else if (!(e->tags[w] = label_string(tv)))
                            rc = bb_err(err, errlen, BB_EFORMAT, "%s:%d: tags[%d] is not a string or number", d->path,
                                        line, w);
                        else if (!(e->words[w] = dup_n(wv->valuestring, strlen(wv->valuestring))))
                            rc = oom(d, err, errlen);
                        else
                            e->n_words = w + 1;
                    }
                    if (rc == BB_OK && join_words(e)) rc = oom(d, err, errlen);
                }
            } else if (!cJSON_IsString(text)) {
                rc = bb_err(err, errlen, BB_EFORMAT, "%s:%d: missing string field \"text\"", d->path, line);
            } else if (!(e->text = dup_n(text->valuestring, strlen(text->valuestring)))) {
                rc = oom(d, err, errlen);
            } else if (pair && !cJSON_IsNull(pair)) {
                if (!cJSON_IsString(pair))
                    rc = bb_err(err, errlen, BB_EFORMAT, "%s:%d: \"text_pair\" is not a string", d->path, line);
                else if (!(e->text_pair = dup_n(pair->valuestring, strlen(pair->valuestring))))
                    rc = oom(d, err, errlen);
            }
            if (rc == BB_OK && label && !cJSON_IsNull(label) && !(e->label = label_string(label)))
                rc = bb_err(err, errlen, BB_EFORMAT, "%s:%d: \"label\" is not a string or number", d->path, line);
            cJSON_Delete(o);
            if (rc != BB_OK) return rc;
        }
        i = j + 1;
        line++;
    }
    return BB_OK;
}

/* One CSV record starting at *pos: fields written into out[] (pointers into buf, unescaped in place).
 * Returns the number of fields, 0 at the end, -1 on an unterminated quote. */
static int csv_record(char *buf, size_t len, size_t *pos, char sep, char **out, int max, int *line) {
    size_t i = *pos;
    if (i >= len) return 0;
    int n = 0;
    for (;;) {
        char *w = buf + i, *start = w;
        if (i < len && buf[i] == '"') {
            i++;
            for (;;) {
                if (i >= len) return -1;
                if (buf[i] == '"') {
                    if (i + 1 < len && buf[i + 1] == '"') {
                        *w++ = '"';
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                if (buf[i] == '\n') (*line)++;
                *w++ = buf[i++];
            }
            while (i < len && buf[i] != sep && buf[i] != '\n') i++; /* junk after the closing quote */
        } else {
            while (i < len && buf[i] != sep && buf[i] != '\n') *w++ = buf[i++];
            if (w > start && w[-1] == '\r') w--;
        }
        char end = i < len ? buf[i] : '\n';
        *w = 0;
        if (n < max) out[n] = start;
        n++;
        i++;
        if (end == '\n') break;
    }
    *pos = i;
    (*line)++;
    return n;
}

static int col_index(char **hdr, int n, const char *a, const char *b) {
    for (int i = 0; i < n; i++)
        if (!strcmp(hdr[i], a) || (b && !strcmp(hdr[i], b))) return i;
    return -1;
}

static int load_csv(data_set *d, char *buf, size_t len, char sep, char *err, size_t errlen) {
    enum { MAXF = 256 };
    char *hdr[MAXF], *f[MAXF];
    size_t pos = 0;
    int line = 1;
    if (len >= 3 && (unsigned char)buf[0] == 0xEF && (unsigned char)buf[1] == 0xBB && (unsigned char)buf[2] == 0xBF)
        pos = 3;
    int nh = csv_record(buf, len, &pos, sep, hdr, MAXF, &line);
    if (nh <= 0) return bb_err(err, errlen, BB_EFORMAT, "%s: no header line", d->path);
    if (nh > MAXF) return bb_err(err, errlen, BB_EFORMAT, "%s:1: more than %d columns", d->path, MAXF);
    int ct = col_index(hdr, nh, "text", "sentence1"), cp = col_index(hdr, nh, "text_pair", "sentence2"),
        cl = col_index(hdr, nh, "label", "labels");
    if (ct < 0)
        return bb_err(err, errlen, BB_EFORMAT, "%s:1: the header has no \"text\" (or \"sentence1\") column", d->path);
    for (;;) {
        int start = line;
        int n = csv_record(buf, len, &pos, sep, f, MAXF, &line);
        if (n == 0) break;
        if (n < 0) return bb_err(err, errlen, BB_EFORMAT, "%s:%d: unterminated quoted field", d->path, start);
        if (n == 1 && f[0][0] == 0) continue; /* blank line */
        if (n != nh)
            return bb_err(err, errlen, BB_EFORMAT, "%s:%d: %d fields, the header has %d", d->path, start, n, nh);
        data_example *e = push(d);
        if (!e || !(e->text = dup_n(f[ct], strlen(f[ct])))) return oom(d, err, errlen);
        e->line = start;
        if (cp >= 0 && !(e->text_pair = dup_n(f[cp], strlen(f[cp])))) return oom(d, err, errlen);
        if (cl >= 0 && f[cl][0] && !(e->label = dup_n(f[cl], strlen(f[cl])))) return oom(d, err, errlen);
    }
    return BB_OK;
}

static int load_conll(data_set *d, char *buf, size_t len, char *err, size_t errlen) {
    size_t i = 0;
    int line = 1;
    data_example *cur = NULL;
    int cap = 0;
    while (i <= len) {
        size_t j = i;
        while (j < len && buf[j] != '\n') j++;
        size_t e = j;
        if (e > i && buf[e - 1] == '\r') e--;
        buf[e] = 0;
        char *s = buf + i;
        while (*s == ' ' || *s == '\t') s++;
        if (!*s || !strncmp(s, "-DOCSTART-", 10) || *s == '#') {
            if (*s != '#') cur = NULL;
        } else {
            char *first = s, *last = NULL, *p = s;
            while (*p && *p != ' ' && *p != '\t') p++;
            size_t fl = (size_t)(p - first);
            char *q = p;
            while (*q) {
                while (*q == ' ' || *q == '\t') q++;
                if (*q) last = q;
                while (*q && *q != ' ' && *q != '\t') q++;
            }
            if (!last) return bb_err(err, errlen, BB_EFORMAT, "%s:%d: a token without a tag column", d->path, line);
            if (!cur) {
                if (!(cur = push(d))) return oom(d, err, errlen);
                cur->line = line;
                cap = 0;
            }
            if (cur->n_words == cap) {
                cap = cap ? cap * 2 : 16;
                char **w = realloc(cur->words, sizeof(char *) * (size_t)cap), **t;
                if (w) cur->words = w;
                t = realloc(cur->tags, sizeof(char *) * (size_t)cap);
                if (t) cur->tags = t;
                if (!w || !t) return oom(d, err, errlen);
            }
            cur->words[cur->n_words] = dup_n(first, fl);
            cur->tags[cur->n_words] = dup_n(last, strcspn(last, " \t"));
            cur->n_words++;
            if (!cur->words[cur->n_words - 1] || !cur->tags[cur->n_words - 1]) return oom(d, err, errlen);
        }
        i = j + 1;
        line++;
    }
    for (int k = 0; k < d->n; k++)
        if (join_words(&d->ex[k])) return oom(d, err, errlen);
    return BB_OK;
}

/* Strict UTF-8: no overlong forms, surrogates or code points past U+10FFFF (0x80-0xC1 and 0xF5-0xFF
 * never start a character; the first following byte's range is narrowed for E0, ED, F0, F4). */
static int example_utf8(const data_example *e) {
    if (!bb_utf8_valid(e->text) || (e->text_pair && !bb_utf8_valid(e->text_pair)) ||
        (e->label && !bb_utf8_valid(e->label)))
        return 0;
    for (int i = 0; i < e->n_words; i++)
        if (!bb_utf8_valid(e->words[i]) || !bb_utf8_valid(e->tags[i])) return 0;
    return 1;
}

/* Fails on the first example that is not UTF-8, or (skip) drops every such example. */
static int check_utf8(data_set *d, int skip, char *err, size_t errlen) {
    int k = 0;
    for (int i = 0; i < d->n; i++) {
        if (example_utf8(&d->ex[i])) {
            d->ex[k++] = d->ex[i];
            continue;
        }
        if (!skip)
            return bb_err(err, errlen, BB_EFORMAT, "%s:%d: not valid UTF-8 (--skip-invalid-utf8 skips such lines)",
                          d->path, d->ex[i].line);
        if (!d->n_skipped++) d->first_skipped_line = d->ex[i].line;
        example_free(&d->ex[i]);
    }
    d->n = k;
    return BB_OK;
}

int data_load(data_set **out, const char *path, data_format fmt, int flags, char *err, size_t errlen) {
    *out = NULL;
    char *buf;
    size_t len;
    int rc = bb_read_text(path, BB_MAX_LINE, &buf, &len, err, errlen);
    if (rc != BB_OK) return rc;
    data_set *d = calloc(1, sizeof *d);
    if (!d) {
        free(buf);
        return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", path);
    }
    snprintf(d->path, sizeof d->path, "%s", path);
    d->format = fmt == DATA_FMT_AUTO ? format_from_ext(path) : fmt;
    switch (d->format) {
    case DATA_FMT_JSONL: rc = load_jsonl(d, buf, len, err, errlen); break;
    case DATA_FMT_CSV: rc = load_csv(d, buf, len, ',', err, errlen); break;
    case DATA_FMT_TSV: rc = load_csv(d, buf, len, '\t', err, errlen); break;
    case DATA_FMT_CONLL: rc = load_conll(d, buf, len, err, errlen); break;
    default: rc = load_text(d, buf, len, flags & DATA_PARAGRAPHS, err, errlen); break;
    }
    free(buf);
    if (rc == BB_OK) rc = check_utf8(d, flags & DATA_SKIP_BAD_UTF8, err, errlen);
    if (rc == BB_OK && d->n == 0) rc = bb_err(err, errlen, BB_EFORMAT, "%s: no examples", path);
    if (rc != BB_OK) {
        data_free(d);
        return rc;
    }
    *out = d;
    return BB_OK;
}

int data_split(data_set *d, double fraction, uint64_t seed, data_set **train, data_set **eval, char *err,
               size_t errlen) {
    *train = *eval = NULL;
    if (d->n < 2) {
        int rc = bb_err(err, errlen, BB_EINVAL, "%s: %d example(s) cannot be split into train and validation", d->path, d->n);
        data_free(d);
        return rc;
    }
    long k = (long)(d->n * fraction + 0.5);
    if (k < 1) k = 1;
    if (k > d->n - 1) k = d->n - 1;
    bb_rng rng;
    bb_rng_seed(&rng, seed);
    for (int i = d->n - 1; i > 0; i--) { /* Fisher-Yates */
        int j = (int)bb_rng_below(&rng, (uint32_t)i + 1);
        data_example t = d->ex[i];
        d->ex[i] = d->ex[j];
        d->ex[j] = t;
    }
    data_set *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);
    if (a) a->ex = malloc(sizeof(data_example) * (size_t)(d->n - k));
    if (b) b->ex = malloc(sizeof(data_example) * (size_t)k);
    if (!a || !b || !a->ex || !b->ex) {
        if (a) free(a->ex);
        if (b) free(b->ex);
        free(a), free(b);
        data_free(d);
        return bb_err(err, errlen, BB_ENOMEM, "out of memory splitting the data");
    }
    *a = (data_set){.format = d->format, .n = d->n - (int)k, .cap = d->n - (int)k, .ex = a->ex};
    *b = (data_set){.format = d->format, .n = (int)k, .cap = (int)k, .ex = b->ex};
    snprintf(a->path, sizeof a->path, "%s", d->path);
    snprintf(b->path, sizeof b->path, "%.990s (validation split)", d->path);
    memcpy(b->ex, d->ex, sizeof(data_example) * (size_t)k);
    memcpy(a->ex, d->ex + k, sizeof(data_example) * (size_t)(d->n - k));
    free(d->ex);
    free(d);
    *train = a;
    *eval = b;
    return BB_OK;
}

/* ---- label maps --------------------------------------------------------------------------------- */

void data_labels_free(data_labels *lm) {
    for (int i = 0; i < lm->n; i++) free(lm->names[i]);
    free(lm->names);
    free(lm->slots);
    lm->names = NULL;
    lm->slots = NULL;
    lm->n = 0;
    lm->nslots = 0;
}

static size_t label_slot(const data_labels *lm, const char *name) {
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (const char *c = name; *c; c++) h = (h ^ (unsigned char)*c) * 1099511628211ULL;
    size_t mask = lm->nslots - 1, i = (size_t)h & mask;
    while (lm->slots[i] >= 0 && strcmp(lm->names[lm->slots[i]], name) != 0) i = (i + 1) & mask;
    return i;
}

/* Indexes lm->names (the first of equal names keeps the slot, as a scan would find it). */
static int labels_index(data_labels *lm, char *err, size_t errlen) {
    size_t n = 16;
    while (n <= 2 * (size_t)lm->n) n *= 2;
    lm->slots = malloc(sizeof(int) * n);
    if (!lm->slots) {
        data_labels_free(lm);
        return bb_err(err, errlen, BB_ENOMEM, "out of memory");
    }
    lm->nslots = n;
    for (size_t i = 0; i < n; i++) lm->slots[i] = -1;
    for (int id = 0; id < lm->n; id++) {
        size_t s = label_slot(lm, lm->names[id]);
        if (lm->slots[s] < 0) lm->slots[s] = id;
    }
    return BB_OK;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int is_index(const char *s, long *v) {
    if (!*s) return 0;
    char *end;
    errno = 0;
    long x = strtol(s, &end, 10);
    if (*end || errno || x < 0 || x > 100000) return 0;
    *v = x;
    return 1;
}

int data_labels_build(data_labels *lm, const data_set *d, int tags, char *err, size_t errlen) {
    memset(lm, 0, sizeof *lm);
    size_t n = 0, cap = 0;
    char **all = NULL;
    for (int i = 0; i < d->n; i++) {
        const data_example *e = &d->ex[i];
        int k = tags ? e->n_words : 1;
        for (int j = 0; j < k; j++) {
            const char *s = tags ? e->tags[j] : e->label;
            if (!s)
                return free(all), bb_err(err, errlen, BB_EFORMAT, "%s:%d: example without a label", d->path, e->line);
            if (n == cap) {
                cap = cap ? cap * 2 : 256;
                char **na = realloc(all, sizeof(char *) * cap);
                if (!na) return free(all), bb_err(err, errlen, BB_ENOMEM, "out of memory");
                all = na;
            }
            all[n++] = (char *)s;
        }
    }
    if (n == 0) return free(all), bb_err(err, errlen, BB_EFORMAT, "%s: no labels", d->path);
    qsort(all, n, sizeof(char *), cmp_str);
    size_t u = 0;
    int all_int = 1;
    long maxv = -1, v;
    for (size_t i = 0; i < n; i++) {
        if (i && !strcmp(all[i], all[u - 1])) continue;
        all[u++] = all[i];
        if (is_index(all[i], &v)) {
            if (v > maxv) maxv = v;
        } else {
            all_int = 0;
        }
    }
    int k = all_int ? (int)maxv + 1 : (int)u;
    lm->names = calloc((size_t)k, sizeof(char *));
    if (!lm->names) return free(all), bb_err(err, errlen, BB_ENOMEM, "out of memory");
    lm->n = k;
    for (int i = 0; i < k; i++) {
        char tmp[24];
        const char *s = all_int ? (snprintf(tmp, sizeof tmp, "%d", i), tmp) : all[i];
        if (!(lm->names[i] = dup_n(s, strlen(s)))) {
            free(all);
            data_labels_free(lm);
            return bb_err(err, errlen, BB_ENOMEM, "out of memory");
        }
    }
    free(all);
    return labels_index(lm, err, errlen);
}

int data_labels_from(data_labels *lm, int n, const char *const *names, char *err, size_t errlen) {
    memset(lm, 0, sizeof *lm);
    lm->names = calloc((size_t)(n > 0 ? n : 1), sizeof(char *));
    if (!lm->names) return bb_err(err, errlen, BB_ENOMEM, "out of memory");
    lm->n = n;
    for (int i = 0; i < n; i++) {
        char tmp[24];
        const char *s = names ? names[i] : (snprintf(tmp, sizeof tmp, "%d", i), tmp);
        if (!(lm->names[i] = dup_n(s, strlen(s)))) {
            data_labels_free(lm);
            return bb_err(err, errlen, BB_ENOMEM, "out of memory");
        }
    }
    return labels_index(lm, err, errlen);
}

int data_label_id(const data_labels *lm, const char *name) {
    if (lm->nslots) {
        int id = lm->slots[label_slot(lm, name)];
        if (id >= 0) return id;
    }
    /* HF's default names: LABEL_k */
    long v;
    if (!strncmp(name, "LABEL_", 6) && is_index(name + 6, &v) && v < lm->n) return (int)v;
    return -1;
}
