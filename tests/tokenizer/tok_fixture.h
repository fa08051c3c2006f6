/* tok_fixture.h — reading the HF golden JSONL rows and comparing an encoding with one. */
#ifndef TOK_FIXTURE_H
#define TOK_FIXTURE_H

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tok.h"

static inline int tok_utf8_len_encode(long cp, char *o) {
    unsigned char *u = (unsigned char *)o;
    if (cp < 0x80) return u[0] = (unsigned char)cp, 1;
    if (cp < 0x800) return u[0] = (unsigned char)(0xC0 | (cp >> 6)), u[1] = (unsigned char)(0x80 | (cp & 0x3F)), 2;
    if (cp < 0x10000)
        return u[0] = (unsigned char)(0xE0 | (cp >> 12)), u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F)),
               u[2] = (unsigned char)(0x80 | (cp & 0x3F)), 3;
    u[0] = (unsigned char)(0xF0 | (cp >> 18)), u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F)), u[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Reads a whole file into a NUL-terminated buffer (NULL on failure). */
static inline char *fx_read(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)sz + 1);
    if (b && fread(b, 1, (size_t)sz, f) != (size_t)sz) free(b), b = NULL;
    fclose(f);
    if (b) b[sz] = 0, *n = (size_t)sz;
    return b;
}

static inline int fx_hex(const char *p) {
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v = v * 16 + (c >= '0' && c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
    }
    return v;
}

/* The JSON string value of "key" in a raw JSONL line, unescaped into a malloc'd buffer with its
 * length: cJSON stops C strings at an escaped NUL, and the fixtures have "control\u0000char". */
static inline char *fx_string(const char *line, const char *key, long *len) {
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\": \"", key);
    const char *p = strstr(line, pat);
    if (!p) return NULL;
    p += strlen(pat);
    char *out = malloc(strlen(p) + 1), *o = out;
    while (*p && *p != '"') {
        if (*p != '\\') {
            *o++ = *p++;
            continue;
        }
        p++;
        char c = *p++;
        if (c == 'n') *o++ = '\n';
        else if (c == 't') *o++ = '\t';
        else if (c == 'r') *o++ = '\r';
        else if (c == 'b') *o++ = '\b';
        else if (c == 'f') *o++ = '\f';
        else if (c != 'u') *o++ = c;
        else {
            long cp = fx_hex(p);
            p += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && p[0] == '\\' && p[1] == 'u') {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (fx_hex(p + 2) - 0xDC00);
                p += 6;
            }
            o += tok_utf8_len_encode(cp, o);
        }
    }
    *len = (long)(o - out);
    *o = 0;
    return out;
}

/* Compares enc with the row's ids, tokens, offsets, type_ids; on mismatch prints why (once). */
static inline int fx_match(const tok_encoding *e, const cJSON *row, int lineno) {
    const cJSON *ids = cJSON_GetObjectItem(row, "ids"), *toks = cJSON_GetObjectItem(row, "tokens"),
                *offs = cJSON_GetObjectItem(row, "offsets"), *types = cJSON_GetObjectItem(row, "type_ids");
    int n = cJSON_GetArraySize(ids);
    const char *why = NULL;
    int at = -1;
    if (n != e->n) why = "length";
    for (int i = 0; !why && i < n; i++) {
        const cJSON *o = cJSON_GetArrayItem(offs, i);
        if ((int)cJSON_GetArrayItem(ids, i)->valuedouble != e->ids[i]) why = "id", at = i;
        else if (strcmp(cJSON_GetArrayItem(toks, i)->valuestring, e->tokens[i]) != 0) why = "token", at = i;
        else if ((int)cJSON_GetArrayItem(o, 0)->valuedouble != e->offsets[2 * i] ||
                 (int)cJSON_GetArrayItem(o, 1)->valuedouble != e->offsets[2 * i + 1])
            why = "offset", at = i;
        else if ((int)cJSON_GetArrayItem(types, i)->valuedouble != e->type_ids[i]) why = "type_id", at = i;
    }
    if (!why) return 1;
    fprintf(stderr, "line %d: %s differs at %d (n=%d want %d) text=%.80s\n", lineno, why, at, e->n, n,
            cJSON_GetObjectItem(row, "text")->valuestring);
    if (at >= 0) {
        const cJSON *o = cJSON_GetArrayItem(offs, at);
        fprintf(stderr, "  want %d '%s' [%d,%d) got %d '%s' [%d,%d)\n", (int)cJSON_GetArrayItem(ids, at)->valuedouble,
                cJSON_GetArrayItem(toks, at)->valuestring, (int)cJSON_GetArrayItem(o, 0)->valuedouble,
                (int)cJSON_GetArrayItem(o, 1)->valuedouble, e->ids[at], e->tokens[at], e->offsets[2 * at],
                e->offsets[2 * at + 1]);
    }
    return 0;
}

#endif
