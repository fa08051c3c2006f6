#include "bb_json.h"

#include <stdlib.h>
#include <string.h>

#include "bb_err.h"

typedef struct {
    cJSON *item;
    size_t pos;
} member;

static int by_key_then_pos(const void *a, const void *b) {
    const member *x = a, *y = b;
    int c = strcmp(x->item->string ? x->item->string : "", y->item->string ? y->item->string : "");
    return c ? c : (x->pos > y->pos) - (x->pos < y->pos);
}

/* Sorting once keeps this O(n log n): a config.json with 25k labels must not take n^2 comparisons. */
static int dedupe_object(cJSON *obj) {
    size_t n = 0;
    for (cJSON *c = obj->child; c; c = c->next) n++;
    if (n < 2) return BB_OK;
    member *m = malloc(n * sizeof *m);
    if (!m) return BB_ENOMEM;
    size_t i = 0;
    for (cJSON *c = obj->child; c; c = c->next, i++) m[i] = (member){c, i};
    qsort(m, n, sizeof *m, by_key_then_pos);
    for (i = 0; i + 1 < n; i++)
        if (strcmp(m[i].item->string ? m[i].item->string : "", m[i + 1].item->string ? m[i + 1].item->string : "") == 0)
            cJSON_Delete(cJSON_DetachItemViaPointer(obj, m[i].item));
    free(m);
    return BB_OK;
}

int bb_json_last_key_wins(cJSON *item) {
    if (!item) return BB_OK;
    if (cJSON_IsObject(item) && dedupe_object(item) != BB_OK) return BB_ENOMEM;
    for (cJSON *c = item->child; c; c = c->next)
        if ((cJSON_IsObject(c) || cJSON_IsArray(c)) && bb_json_last_key_wins(c) != BB_OK) return BB_ENOMEM;
    return BB_OK;
}

int bb_json_parse(cJSON **out, const char *text, size_t len, const char *name, char *err, size_t errlen) {
    *out = NULL;
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    if (!root) {
        size_t at = end && end >= text && end <= text + len ? (size_t)(end - text) : 0;
        return bb_err(err, errlen, BB_EFORMAT, "%s: not valid JSON (at byte %zu)", name, at);
    }
    size_t rest = (size_t)(end - text);
    while (rest < len && (text[rest] == ' ' || text[rest] == '\t' || text[rest] == '\n' || text[rest] == '\r')) rest++;
    if (rest < len && !(text[rest] == 0 && rest + 1 == len)) {
        cJSON_Delete(root);
        return bb_err(err, errlen, BB_EFORMAT, "%s: text after the JSON value (at byte %zu)", name, rest);
    }
    if (bb_json_last_key_wins(root) != BB_OK) {
        cJSON_Delete(root);
        return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", name);
    }
    *out = root;
    return BB_OK;
}
