#include "hf_state.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "bb_err.h"

enum { MAX_KEYS = 64 };
#define MAX_STATE_BYTES ((long)256 << 20)

static long get_long(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble < 9e15 ? (long)v->valuedouble : -1;
}

static double get_double(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

void hf_state_tb_tag(const char *key, char *out, size_t n) {
    if (strncmp(key, "eval_", 5) == 0)
        snprintf(out, n, "eval/%s", key + 5);
    else if (strncmp(key, "test_", 5) == 0)
        snprintf(out, n, "test/%s", key + 5);
    else
        snprintf(out, n, "train/%s", key);
}

/* Python's json module writes NaN, Infinity and -Infinity (a diverged loss); JSON has no such numbers.
 * A copy with them (outside strings) as null, 1e999 and -1e999, which cJSON reads as NaN-free values. */
static char *fix_nonfinite(const char *t, size_t n, size_t *outlen) {
    char *o = malloc(n + n / 2 + 16);
    if (!o) return NULL;
    size_t k = 0;
    int in_str = 0;
    for (size_t i = 0; i < n; i++) {
        char c = t[i];
        if (in_str) {
            o[k++] = c;
            if (c == '\\' && i + 1 < n) o[k++] = t[++i];
            else if (c == '"') in_str = 0;
            continue;
        }
        if (c == '"') in_str = 1;
        if (c == 'N' && i + 3 <= n && !memcmp(t + i, "NaN", 3)) {
            memcpy(o + k, "null", 4), k += 4, i += 2;
        } else if (c == 'I' && i + 8 <= n && !memcmp(t + i, "Infinity", 8)) {
            memcpy(o + k, "1e999", 5), k += 5, i += 7;
        } else {
            o[k++] = c;
        }
    }
    *outlen = k;
    return o;
}

int hf_state_parse(hf_state *out, const char *text, size_t len, const char *path, hf_state_row_fn fn, void *user,
                   char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    cJSON *root = cJSON_ParseWithLength(text, len);
    if (!root) {
        size_t n2;
        char *fixed = fix_nonfinite(text, len, &n2);
        if (fixed) root = cJSON_ParseWithLength(fixed, n2);
        free(fixed);
    }
    const cJSON *hist = cJSON_GetObjectItemCaseSensitive(root, "log_history");
    if (!cJSON_IsObject(root) || !cJSON_IsArray(hist)) {
        cJSON_Delete(root);
        return bb_err(err, errlen, BB_EFORMAT, "%s: not a trainer_state.json (no log_history array)", path);
    }
    out->global_step = get_long(root, "global_step");
    out->max_steps = get_long(root, "max_steps");
    out->logging_steps = get_long(root, "logging_steps");
    out->eval_steps = get_long(root, "eval_steps");
    out->save_steps = get_long(root, "save_steps");
    out->train_batch_size = get_long(root, "train_batch_size");
    out->epoch = get_double(root, "epoch");
    out->num_train_epochs = get_double(root, "num_train_epochs");
    int rc = BB_OK;
    const cJSON *row;
    cJSON_ArrayForEach(row, hist) {
        const cJSON *st = cJSON_GetObjectItemCaseSensitive(row, "step");
        if (!cJSON_IsObject(row) || !cJSON_IsNumber(st) || !(st->valuedouble >= 0 && st->valuedouble < 9e15)) continue;
        const char *keys[MAX_KEYS];
        double vals[MAX_KEYS];
        int n = 0;
        const cJSON *it;
        cJSON_ArrayForEach(it, row) {
            if (n == MAX_KEYS || !it->string || !cJSON_IsNumber(it) || strcmp(it->string, "step") == 0) continue;
            keys[n] = it->string;
            vals[n++] = it->valuedouble;
        }
        out->rows++;
        if (fn && (rc = fn(user, (long)st->valuedouble, keys, vals, n)) != BB_OK) break;
    }
    cJSON_Delete(root);
    if (rc != BB_OK) return bb_err(err, errlen, rc, "%s: %s", path, bb_strerror(rc));
    return BB_OK;
}

int hf_state_read(hf_state *out, const char *path, hf_state_row_fn fn, void *user, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    FILE *fp = fopen(path, "rb");
    if (!fp) return bb_err(err, errlen, BB_EIO, "%s: cannot open: %s", path, strerror(errno));
    char *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n + 65536 > cap) {
            if ((long)cap > MAX_STATE_BYTES) {
                free(buf);
                fclose(fp);
                return bb_err(err, errlen, BB_EFORMAT, "%s: larger than %ld MB", path, MAX_STATE_BYTES >> 20);
            }
            char *b = realloc(buf, cap = cap * 2 + 65536);
            if (!b) {
                free(buf);
                fclose(fp);
                return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", path);
            }
            buf = b;
        }
        size_t k = fread(buf + n, 1, cap - n, fp);
        n += k;
        if (k == 0) break;
    }
    int bad = ferror(fp);
    fclose(fp);
    if (bad) {
        free(buf);
        return bb_err(err, errlen, BB_EIO, "%s: read failed", path);
    }
    int rc = hf_state_parse(out, buf, n, path, fn, user, err, errlen);
    free(buf);
    return rc;
}
