/* run_metrics.c — metrics.jsonl (run_metrics.h): the keys and their formats, an appender that a
 * kill -9 cannot tear (each line is one fwrite + fflush, so it reaches the kernel before append
 * returns), a reader that keeps every complete line and ignores a torn tail, and CSV export. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "atomic_file.h"
#include "bb_err.h"
#include "bb_file.h"
#include "run_metrics.h"

/* The one list of keys. fmt: how a finite value is printed (the trainer's precision: a step and the
 * counts whole, the epoch to 4 places, throughput to 0.1 token/s, times to the millisecond, losses
 * and rates to 6 significant digits); NULL for the list-valued keys. */
static const struct {
    const char *name, *fmt;
} keys[RUN_M_KEYS] = {
    [RUN_M_STEP] = {"step", "%.0f"},
    [RUN_M_EPOCH] = {"epoch", "%.4f"},
    [RUN_M_LOSS] = {"loss", "%.6g"},
    [RUN_M_LR] = {"lr", "%.6g"},
    [RUN_M_GRAD_NORM] = {"grad_norm", "%.6g"},
    [RUN_M_TOKENS_PER_S] = {"tokens_per_s", "%.1f"},
    [RUN_M_ELAPSED_S] = {"elapsed_s", "%.3f"},
    [RUN_M_EVAL_LOSS] = {"eval_loss", "%.6g"},
    [RUN_M_EVAL_PERPLEXITY] = {"eval_perplexity", "%.6g"},
    [RUN_M_EVAL_ACCURACY] = {"eval_accuracy", "%.6g"},
    [RUN_M_EVAL_F1] = {"eval_f1", "%.6g"},
    [RUN_M_EVAL_MSE] = {"eval_mse", "%.6g"},
    [RUN_M_EVAL_PEARSON] = {"eval_pearson", "%.6g"},
    [RUN_M_EVAL_SPEARMAN] = {"eval_spearman", "%.6g"},
    [RUN_M_SKIPPED_TRAIN] = {"skipped_invalid_utf8_train", "%.0f"},
    [RUN_M_FIRST_SKIPPED_TRAIN] = {"first_skipped_line_train", "%.0f"},
    [RUN_M_SKIPPED_EVAL] = {"skipped_invalid_utf8_eval", "%.0f"},
    [RUN_M_FIRST_SKIPPED_EVAL] = {"first_skipped_line_eval", "%.0f"},
    [RUN_M_NEWLY_INITIALIZED] = {"newly_initialized", NULL},
    [RUN_M_EVAL_LABELS] = {"eval_labels", NULL},
    [RUN_M_EVAL_CONFUSION] = {"eval_confusion", NULL},
};

const char *run_metric_name(run_metric k) {
    BB_ASSERT(k >= 0 && k < RUN_M_KEYS);
    return keys[k].name;
}

void run_point_init(run_point *p) {
    memset(p, 0, sizeof *p);
    for (int k = 0; k < RUN_M_NUMBERS; k++) p->v[k] = NAN;
}

void run_point_set(run_point *p, run_metric k, double v) {
    BB_ASSERT(k >= 0 && k < RUN_M_NUMBERS);
    p->v[k] = v;
    p->set |= (uint32_t)1 << k;
}

/* ---- writing ---- */

struct run_metrics {
    FILE *fp;
    char *path;
    int sync_ms;
    double last_sync; /* monotonic seconds of the last fdatasync */
    int unsynced;     /* lines written since */
};

static double mono_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int io_code(int e) { return e == ENOSPC || e == EFBIG || e == EDQUOT ? BB_ENOSPC : BB_EIO; }

int run_metrics_open(run_metrics **out, const char *path, int sync_ms, char *err, size_t errlen) {
    *out = NULL;
    int fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return bb_err(err, errlen, BB_EIO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    char last = '\n';
    if (fstat(fd, &st) != 0 || (st.st_size > 0 && pread(fd, &last, 1, st.st_size - 1) != 1)) {
        int e = errno;
        close(fd);
        return bb_err(err, errlen, BB_EIO, "%s: cannot read: %s", path, strerror(e));
    }
    /* A crash mid-line left a torn tail: end it, so the next line starts whole (the reader counts the
     * torn one as a bad line; nothing is deleted). */
    if (last != '\n' && write(fd, "\n", 1) != 1) {
        int e = errno;
        close(fd);
        return bb_err(err, errlen, io_code(e), "%s: write failed: %s", path, strerror(e));
    }
    run_metrics *m = calloc(1, sizeof *m);
    if (m) m->path = strdup(path);
    if (m && m->path) m->fp = fdopen(fd, "a");
    if (!m || !m->path || !m->fp) {
        close(fd);
        if (m) free(m->path);
        free(m);
        return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", path);
    }
    m->sync_ms = sync_ms < 0 ? 0 : sync_ms;
    m->last_sync = mono_s();
    *out = m;
    return BB_OK;
}

static int sync_now(run_metrics *m, char *err, size_t errlen) {
    if (!m->unsynced) return BB_OK;
    if (fdatasync(fileno(m->fp)) != 0)
        return bb_err(err, errlen, io_code(errno), "%s: sync failed: %s", m->path, strerror(errno));
    m->unsynced = 0;
    m->last_sync = mono_s();
    return BB_OK;
}

/* Writes one whole line (line holds its '\n') and flushes it to the kernel. */
static int write_line(run_metrics *m, const char *line, size_t n, char *err, size_t errlen) {
    errno = 0;
    if (fwrite(line, 1, n, m->fp) != n || fflush(m->fp) != 0) {
        int e = errno ? errno : EIO;
        clearerr(m->fp);
        return bb_err(err, errlen, io_code(e), "%s: write failed: %s", m->path, strerror(e));
    }
    m->unsynced++;
    if (m->sync_ms == 0 || (mono_s() - m->last_sync) * 1000.0 >= m->sync_ms) return sync_now(m, err, errlen);
    return BB_OK;
}

/* A JSON string: quotes, backslashes and control characters escaped as cJSON prints them. */
static void put_string(FILE *f, const char *s, size_t n) {
    fputc('"', f);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = c == '"' ? "\\\"" : c == '\\' ? "\\\\" : c == '\n' ? "\\n" : c == '\r' ? "\\r"
                        : c == '\t' ? "\\t" : c == '\b' ? "\\b" : c == '\f' ? "\\f" : NULL;
        if (esc)
            fputs(esc, f);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static void put_key(FILE *f, int *first, run_metric k) {
    fprintf(f, "%s\"%s\":", *first ? "" : ",", keys[k].name);
    *first = 0;
}

/* JSON has no NaN or inf: null, and +-1e999 (which reads back as +-inf: strtod overflows to HUGE_VAL). */
static void put_number(FILE *f, run_metric k, double v) {
    if (isnan(v))
        fputs("null", f);
    else if (isinf(v))
        fputs(v > 0 ? "1e999" : "-1e999", f);
    else
        fprintf(f, keys[k].fmt, v);
}

/* "a, b,c" -> ["a","b","c"] */
static void put_names(FILE *f, const char *list) {
    fputc('[', f);
    int first = 1;
    for (const char *p = list; *p;) {
        while (*p == ' ' || *p == ',') p++;
        size_t n = strcspn(p, ", ");
        if (!n) break;
        if (!first) fputc(',', f);
        first = 0;
        put_string(f, p, n);
        p += n;
    }
    fputc(']', f);
}

static void put_confusion(FILE *f, int *first, const run_point *p) {
    put_key(f, first, RUN_M_EVAL_LABELS);
    fputc('[', f);
    for (int i = 0; i < p->k; i++) {
        if (i) fputc(',', f);
        put_string(f, p->labels[i], strlen(p->labels[i]));
    }
    fputc(']', f);
    put_key(f, first, RUN_M_EVAL_CONFUSION);
    fputc('[', f);
    for (int i = 0; i < p->k; i++) {
        fputs(i ? ",[" : "[", f);
        for (int j = 0; j < p->k; j++) fprintf(f, "%s%ld", j ? "," : "", p->confusion[(size_t)i * (size_t)p->k + j]);
        fputc(']', f);
    }
    fputc(']', f);
}

int run_metrics_append(run_metrics *m, const run_point *p, char *err, size_t errlen) {
    if (!p->set && !p->new_weights && p->k <= 0)
        return bb_err(err, errlen, BB_EINVAL, "%s: empty metrics point", m->path);
    char *line = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&line, &len);
    if (!f) return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", m->path);
    int first = 1;
    fputc('{', f);
    if (p->new_weights) {
        put_key(f, &first, RUN_M_NEWLY_INITIALIZED);
        put_names(f, p->new_weights);
    }
    for (int k = 0; k < RUN_M_NUMBERS; k++)
        if (p->set & ((uint32_t)1 << k)) {
            put_key(f, &first, (run_metric)k);
            put_number(f, (run_metric)k, p->v[k]);
        }
    if (p->k > 0) put_confusion(f, &first, p);
    fputs("}\n", f);
    if (fclose(f) != 0) {
        free(line);
        return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", m->path);
    }
    int rc = write_line(m, line, len, err, errlen);
    free(line);
    return rc;
}

int run_metrics_close(run_metrics *m, char *err, size_t errlen) {
    if (!m) return BB_OK;
    int rc = sync_now(m, err, errlen);
    if (fclose(m->fp) != 0 && rc == BB_OK)
        rc = bb_err(err, errlen, io_code(errno), "%s: close failed: %s", m->path, strerror(errno));
    free(m->path);
    free(m);
    return rc;
}

/* ---- reading ---- */

void run_metrics_table_free(run_metrics_table *s) {
    for (int i = 0; i < s->ncols; i++) {
        free(s->cols[i].name);
        free(s->cols[i].v);
    }
    free(s->cols);
    memset(s, 0, sizeof *s);
}

const double *run_metrics_col_named(const run_metrics_table *s, const char *name) {
    for (int i = 0; i < s->ncols; i++)
        if (!strcmp(s->cols[i].name, name)) return s->cols[i].v;
    return NULL;
}

const double *run_metrics_col(const run_metrics_table *t, run_metric k) {
    return run_metrics_col_named(t, run_metric_name(k));
}

/* A copy of line with bare nan/inf numbers (as printf writes them) made JSON: null and +-1e999. Other
 * writers (printf("%g") of a diverged loss) produce them; the line is still worth keeping. */
static char *fix_nonfinite(const char *line, size_t n) {
    char *out = malloc(2 * n + 1);
    if (!out) return NULL;
    size_t o = 0;
    int in_str = 0;
    for (size_t i = 0; i < n; i++) {
        char c = line[i];
        if (in_str) {
            out[o++] = c;
            if (c == '\\' && i + 1 < n) out[o++] = line[++i];
            else if (c == '"') in_str = 0;
            continue;
        }
        if (c == '"') in_str = 1;
        size_t j = i + (c == '-' || c == '+');
        int neg = c == '-';
        size_t len = 0;
        if (j + 3 <= n && !strncasecmp(line + j, "nan", 3)) len = 3;
        else if (j + 8 <= n && !strncasecmp(line + j, "infinity", 8)) len = 8;
        else if (j + 3 <= n && !strncasecmp(line + j, "inf", 3)) len = 3;
        if (len && (j + len == n || !isalnum((unsigned char)line[j + len]))) {
            const char *rep = tolower((unsigned char)line[j]) == 'n' ? "null" : neg ? "-1e999" : "1e999";
            memcpy(out + o, rep, strlen(rep));
            o += strlen(rep);
            i = j + len - 1;
            continue;
        }
        out[o++] = c;
    }
    out[o] = 0;
    return out;
}

static cJSON *parse_line(const char *line, size_t n) {
    cJSON *j = cJSON_ParseWithLength(line, n);
    if (j) return j;
    char *fixed = fix_nonfinite(line, n);
    if (!fixed) return NULL;
    j = cJSON_Parse(fixed);
    free(fixed);
    return j;
}

static int find_col(run_metrics_table *s, const char *name, long cap) {
    for (int i = 0; i < s->ncols; i++)
        if (!strcmp(s->cols[i].name, name)) return i;
    run_metrics_column *nc = realloc(s->cols, (size_t)(s->ncols + 1) * sizeof *nc);
    if (!nc) return -1;
    s->cols = nc;
    run_metrics_column *c = &s->cols[s->ncols];
    c->name = strdup(name);
    c->v = malloc((size_t)cap * sizeof *c->v);
    if (!c->name || !c->v) {
        free(c->name);
        free(c->v);
        return -1;
    }
    for (long r = 0; r < cap; r++) c->v[r] = NAN;
    return s->ncols++;
}

/* Adds one row from a parsed object; its numbers (and nulls, as NaN) become cells. */
static int add_row(run_metrics_table *s, const cJSON *obj, long *cap) {
    if (s->n == *cap) {
        long nc = *cap ? *cap * 2 : 256;
        for (int i = 0; i < s->ncols; i++) {
            double *v = realloc(s->cols[i].v, (size_t)nc * sizeof *v);
            if (!v) return BB_ENOMEM;
            for (long r = *cap; r < nc; r++) v[r] = NAN;
            s->cols[i].v = v;
        }
        *cap = nc;
    }
    const cJSON *it;
    cJSON_ArrayForEach(it, obj) {
        if (!it->string || !(cJSON_IsNumber(it) || cJSON_IsNull(it))) continue;
        int c = find_col(s, it->string, *cap);
        if (c < 0) return BB_ENOMEM;
        s->cols[c].v[s->n] = cJSON_IsNumber(it) ? it->valuedouble : NAN;
    }
    s->n++;
    return BB_OK;
}

int run_metrics_read(run_metrics_table *out, const char *path, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    char *buf;
    size_t len;
    int rc = bb_read_file(path, SIZE_MAX, &buf, &len, err, errlen);
    if (rc != BB_OK) return rc;
    long cap = 0;
    for (size_t at = 0; at < len && rc == BB_OK;) {
        char *nl = memchr(buf + at, '\n', len - at);
        size_t end = nl ? (size_t)(nl - buf) : len;
        size_t n = end - at;
        const char *line = buf + at;
        at = end + 1;
        if (n && line[n - 1] == '\r') n--;
        size_t sp = 0;
        while (sp < n && isspace((unsigned char)line[sp])) sp++;
        if (sp == n) continue;
        cJSON *j = parse_line(line, n);
        if (cJSON_IsObject(j)) {
            if (add_row(out, j, &cap) != BB_OK) rc = bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", path);
        } else if (nl) {
            out->bad_lines++;
        } else {
            out->torn_tail = 1;
        }
        cJSON_Delete(j);
    }
    free(buf);
    if (rc != BB_OK) {
        run_metrics_table_free(out);
        return rc;
    }
    for (int i = 1; i < out->ncols; i++) /* "step" first: the x axis */
        if (!strcmp(out->cols[i].name, keys[RUN_M_STEP].name)) {
            run_metrics_column c = out->cols[i];
            memmove(out->cols + 1, out->cols, (size_t)i * sizeof c);
            out->cols[0] = c;
        }
    return BB_OK;
}

static void csv_field(FILE *f, const char *s) {
    if (!strpbrk(s, ",\"\n\r")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

int run_metrics_export_csv(const char *metrics_path, const char *csv_path, char *err, size_t errlen) {
    run_metrics_table s;
    int rc = run_metrics_read(&s, metrics_path, err, errlen);
    if (rc != BB_OK) return rc;
    bb_atomic_file af;
    if ((rc = bb_atomic_open(&af, csv_path, err, errlen)) != BB_OK) {
        run_metrics_table_free(&s);
        return rc;
    }
    errno = 0;
    for (int c = 0; c < s.ncols; c++) {
        if (c) fputc(',', af.fp);
        csv_field(af.fp, s.cols[c].name);
    }
    fputc('\n', af.fp);
    for (long r = 0; r < s.n; r++) {
        for (int c = 0; c < s.ncols; c++) {
            double v = s.cols[c].v[r];
            if (c) fputc(',', af.fp);
            if (isinf(v)) fputs(v > 0 ? "inf" : "-inf", af.fp);
            else if (!isnan(v)) fprintf(af.fp, "%.12g", v);
        }
        fputc('\n', af.fp);
    }
    rc = bb_atomic_commit(&af, ferror(af.fp), err, errlen);
    run_metrics_table_free(&s);
    return rc;
}

void run_confusion_free(run_confusion *c) {
    for (int i = 0; c->labels && i < c->k; i++) free(c->labels[i]);
    free(c->labels);
    free(c->counts);
    memset(c, 0, sizeof *c);
}

/* Fills c from one parsed eval line; BB_EINVAL when its matrix is not k x k numbers. */
static int confusion_from(run_confusion *c, const cJSON *o) {
    const cJSON *names = cJSON_GetObjectItemCaseSensitive(o, keys[RUN_M_EVAL_LABELS].name);
    const cJSON *rows = cJSON_GetObjectItemCaseSensitive(o, keys[RUN_M_EVAL_CONFUSION].name);
    const cJSON *step = cJSON_GetObjectItemCaseSensitive(o, keys[RUN_M_STEP].name);
    int k = cJSON_GetArraySize(rows);
    if (!cJSON_IsArray(names) || !cJSON_IsArray(rows) || k < 1 || k > 4096 || cJSON_GetArraySize(names) != k)
        return BB_EINVAL;
    c->labels = calloc((size_t)k, sizeof *c->labels);
    c->counts = malloc(sizeof *c->counts * (size_t)k * (size_t)k);
    if (!c->labels || !c->counts) return BB_ENOMEM;
    c->k = k;
    c->step = cJSON_IsNumber(step) ? (long)step->valuedouble : -1;
    for (int i = 0; i < k; i++) {
        const cJSON *nm = cJSON_GetArrayItem(names, i), *row = cJSON_GetArrayItem(rows, i);
        if (!cJSON_IsString(nm) || !cJSON_IsArray(row) || cJSON_GetArraySize(row) != k) return BB_EINVAL;
        if (!(c->labels[i] = strdup(nm->valuestring))) return BB_ENOMEM;
        for (int j = 0; j < k; j++) {
            const cJSON *v = cJSON_GetArrayItem(row, j);
            if (!cJSON_IsNumber(v) || v->valuedouble < 0) return BB_EINVAL;
            c->counts[(size_t)i * k + j] = (long)v->valuedouble;
        }
    }
    return BB_OK;
}

int run_metrics_last_confusion(run_confusion *out, const char *path, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f) return bb_err(err, errlen, BB_EIO, "%s: %s", path, strerror(errno));
    char *line = NULL, *last = NULL;
    size_t cap = 0;
    ssize_t n;
    long lineno = 0, last_no = 0;
    char needle[32];
    snprintf(needle, sizeof needle, "\"%s\"", keys[RUN_M_EVAL_CONFUSION].name);
    while ((n = getline(&line, &cap, f)) > 0) {
        lineno++;
        if (!strstr(line, needle)) continue;
        free(last);
        if (!(last = strdup(line))) break;
        last_no = lineno;
    }
    int rd = ferror(f);
    fclose(f);
    free(line);
    if (rd) {
        free(last);
        return bb_err(err, errlen, BB_EIO, "%s: read error", path);
    }
    if (!last) return BB_OK;
    cJSON *o = cJSON_Parse(last);
    free(last);
    int rc = o ? confusion_from(out, o) : BB_EINVAL;
    cJSON_Delete(o);
    if (rc != BB_OK) {
        run_confusion_free(out);
        return bb_err(err, errlen, rc, "%s:%ld: %s", path, last_no,
                      rc == BB_ENOMEM ? "out of memory" : "eval_confusion is not a K x K matrix of counts with K labels");
    }
    return BB_OK;
}
