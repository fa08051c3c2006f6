/* Reading trainer_state.json strictly (see train_state.h). */
#include "train_state.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "bb_err.h"
#include "bb_file.h"

/* Integers travel as JSON numbers (doubles): exact up to 2^53. */
#define STATE_INT_MAX 9007199254740992.0

/* An integer field in [lo, hi] into *v; missing (when required), fractional or out of range is an error. */
static int int_field(const cJSON *o, const char *key, int required, double lo, double hi, long *v, const char *path,
                     char *err, size_t errlen) {
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!j) {
        if (!required) return BB_OK;
        return bb_err(err, errlen, BB_EFORMAT, "%s: \"%s\" is missing", path, key);
    }
    if (!cJSON_IsNumber(j)) return bb_err(err, errlen, BB_EFORMAT, "%s: \"%s\" must be a number", path, key);
    double d = j->valuedouble;
    if (!isfinite(d) || d != floor(d))
        return bb_err(err, errlen, BB_EFORMAT, "%s: \"%s\" is %.6g, not a whole number", path, key, d);
    if (d < lo || d > hi) {
        if (hi >= STATE_INT_MAX)
            return bb_err(err, errlen, BB_EFORMAT, "%s: \"%s\" is %.6g, outside %.0f..2^53", path, key, d, lo);
        return bb_err(err, errlen, BB_EFORMAT, "%s: \"%s\" is %.6g, outside %.0f..%.0f", path, key, d, lo, hi);
    }
    *v = (long)d;
    return BB_OK;
}

static int rng_field(const cJSON *o, const char *key, uint64_t r[4], const char *path, char *err, size_t errlen) {
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) != 4)
        return bb_err(err, errlen, BB_EFORMAT, "%s: \"%s\" must be an array of 4 hex strings", path, key);
    uint64_t any = 0;
    for (int i = 0; i < 4; i++) {
        const cJSON *v = cJSON_GetArrayItem(a, i);
        const char *s = cJSON_IsString(v) ? v->valuestring : NULL;
        size_t n = s ? strlen(s) : 0;
        if (n == 0 || n > 16 || strspn(s, "0123456789abcdefABCDEF") != n)
            return bb_err(err, errlen, BB_EFORMAT, "%s: \"%s\"[%d] must be 1 to 16 hex digits", path, key, i);
        r[i] = strtoull(s, NULL, 16);
        any |= r[i];
    }
    if (!any) /* xoshiro's one forbidden state: it would return zeros forever */
        return bb_err(err, errlen, BB_EFORMAT, "%s: \"%s\" is all zeros, not a generator state", path, key);
    return BB_OK;
}

static int check_state(train_state *s, const cJSON *o, const char *path, const train_state_run *run, char *err,
                       size_t errlen) {
    int rc;
    long np = 0, total = 0;
    if ((rc = int_field(o, "num_params", 1, 1, STATE_INT_MAX, &np, path, err, errlen))) return rc;
    if ((size_t)np != run->num_params)
        return bb_err(err, errlen, BB_EFORMAT, "%s: \"num_params\" is %ld, the model has %zu (another model?)", path, np,
                      run->num_params);
    const cJSON *task = cJSON_GetObjectItemCaseSensitive(o, "task");
    if (task && !cJSON_IsString(task)) return bb_err(err, errlen, BB_EFORMAT, "%s: \"task\" must be a string", path);
    if (task && run->task && strcmp(task->valuestring, run->task) != 0)
        return bb_err(err, errlen, BB_EINVAL, "%s: \"task\" is \"%.32s\", this run is %s", path, task->valuestring,
                      run->task);
    if ((rc = int_field(o, "global_step", 1, 0, STATE_INT_MAX, &s->global_step, path, err, errlen))) return rc;
    if (s->global_step > run->total_steps)
        return bb_err(err, errlen, BB_EINVAL, "%s: \"global_step\" %ld is past this run's %ld steps", path,
                      s->global_step, run->total_steps);
    if ((rc = int_field(o, "optimizer_steps", 1, 0, STATE_INT_MAX, &s->optimizer_steps, path, err, errlen))) return rc;
    if (s->optimizer_steps != s->global_step)
        return bb_err(err, errlen, BB_EFORMAT, "%s: \"optimizer_steps\" %ld differs from \"global_step\" %ld", path,
                      s->optimizer_steps, s->global_step);
    if ((rc = int_field(o, "total_steps", 0, 0, STATE_INT_MAX, &total, path, err, errlen))) return rc;
    long done; /* batches the run had drawn */
    if (__builtin_mul_overflow(s->global_step, run->grad_accum, &done))
        return bb_err(err, errlen, BB_EFORMAT, "%s: \"global_step\" %ld is too large", path, s->global_step);
    if ((rc = int_field(o, "epoch", 1, 0, done < INT_MAX ? (double)done : INT_MAX, &s->epoch, path, err, errlen)))
        return rc;
    if ((rc = int_field(o, "batch_in_epoch", 1, 0, (double)run->batches_per_epoch, &s->batch_in_epoch, path, err,
                        errlen)))
        return rc;
    long at = 0;
    if (__builtin_mul_overflow(s->epoch, run->batches_per_epoch, &at) || at + s->batch_in_epoch != done) {
        long bpe = run->batches_per_epoch, e = done > 0 ? (done - 1) / bpe : 0, b = done > 0 ? done - e * bpe : 0;
        return bb_err(err, errlen, BB_EINVAL,
                      "%s: \"epoch\" %ld, \"batch_in_epoch\" %ld do not match \"global_step\" %ld: with this data "
                      "(%ld batches per epoch) and gradient accumulation %ld it is epoch %ld, batch %ld (different "
                      "data, --batch-size or --grad-accum?)",
                      path, s->epoch, s->batch_in_epoch, s->global_step, bpe, run->grad_accum, e, b);
    }
    const cJSON *el = cJSON_GetObjectItemCaseSensitive(o, "elapsed_s");
    s->elapsed_s = 0;
    if (el) {
        if (!cJSON_IsNumber(el) || !isfinite(el->valuedouble) || el->valuedouble < 0 || el->valuedouble > 1e10)
            return bb_err(err, errlen, BB_EFORMAT, "%s: \"elapsed_s\" must be a number of seconds >= 0", path);
        s->elapsed_s = el->valuedouble;
    }
    const cJSON *best = cJSON_GetObjectItemCaseSensitive(o, "best_eval_loss");
    s->best_eval_loss = INFINITY;
    if (best) {
        if (!cJSON_IsNumber(best) || !isfinite(best->valuedouble) || best->valuedouble < 0 ||
            best->valuedouble > 3.4e38)
            return bb_err(err, errlen, BB_EFORMAT, "%s: \"best_eval_loss\" must be a finite loss >= 0", path);
        s->best_eval_loss = (float)best->valuedouble;
    }
    if ((rc = rng_field(o, "rng", s->rng, path, err, errlen))) return rc;
    return rng_field(o, "dropout_rng", s->dropout_rng, path, err, errlen);
}

int trainer_state_read(train_state *s, const char *path, const train_state_run *run, char *err, size_t errlen) {
    memset(s, 0, sizeof *s);
    char *text;
    size_t n;
    int rc = bb_read_file(path, TRAIN_STATE_MAX_BYTES, &text, &n, err, errlen);
    if (rc != BB_OK) return rc;
    cJSON *o = cJSON_ParseWithLength(text, n);
    free(text);
    if (!cJSON_IsObject(o))
        rc = bb_err(err, errlen, BB_EFORMAT, "%s: not a JSON object (damaged checkpoint?)", path);
    else
        rc = check_state(s, o, path, run, err, errlen);
    cJSON_Delete(o);
    return rc;
}
