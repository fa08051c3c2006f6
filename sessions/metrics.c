/* metrics.c — runs/RUN/metrics.jsonl: an appender that a kill -9 cannot tear (each line is one
 * fwrite + fflush, so it reaches the kernel before append returns), a reader that keeps every
 * complete line and ignores a torn tail, and CSV export. */
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

#include "atomic_file.h"
#include "bb_err.h"
#include "sess_internal.h"

struct sess_metrics {
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

void sess_point_init(sess_point *p) {
    p->step = -1;
    p->epoch = p->loss = p->lr = p->grad_norm = p->tokens_per_s = p->elapsed_s = NAN;
    p->eval_loss = p->eval_perplexity = p->eval_accuracy = p->eval_f1 = NAN;
    p->eval_mse = p->eval_pearson = p->eval_spearman = NAN;
}

int sess_metrics_open(sess_metrics **out, const char *path, int sync_ms, char *err, size_t errlen) {
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
    sess_metrics *m = calloc(1, sizeof *m);
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

static int sync_now(sess_metrics *m, char *err, size_t errlen) {
    if (!m->unsynced) return BB_OK;
    if (fdatasync(fileno(m->fp)) != 0)
        return bb_err(err, errlen, io_code(errno), "%s: sync failed: %s", m->path, strerror(errno));
    m->unsynced = 0;
    m->last_sync = mono_s();
    return BB_OK;
}

/* Writes one whole line (line holds its '\n') and flushes it to the kernel. */
static int write_line(sess_metrics *m, const char *line, size_t n, char *err, size_t errlen) {
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

/* JSON has no inf: +-1e999 reads back as +-inf (strtod overflows to HUGE_VAL). */
static int put_num(char *buf, size_t n, size_t *at, const char *key, double v) {
    if (isnan(v)) return 0;
    int k = isinf(v) ? snprintf(buf + *at, n - *at, ",\"%s\":%s", key, v > 0 ? "1e999" : "-1e999")
                     : snprintf(buf + *at, n - *at, ",\"%s\":%.12g", key, v);
    if (k < 0 || (size_t)k >= n - *at) return -1;
    *at += (size_t)k;
    return 0;
}

int sess_metrics_append(sess_metrics *m, const sess_point *p, char *err, size_t errlen) {
    char line[1024];
    size_t at = 0;
    int bad = 0;
    line[0] = 0;
    if (p->step >= 0) at = (size_t)snprintf(line, sizeof line, ",\"step\":%ld", p->step);
    bad |= put_num(line, sizeof line, &at, "epoch", p->epoch);
    bad |= put_num(line, sizeof line, &at, "loss", p->loss);
    bad |= put_num(line, sizeof line, &at, "lr", p->lr);
    bad |= put_num(line, sizeof line, &at, "grad_norm", p->grad_norm);
    bad |= put_num(line, sizeof line, &at, "tokens_per_s", p->tokens_per_s);
    bad |= put_num(line, sizeof line, &at, "elapsed_s", p->elapsed_s);
    bad |= put_num(line, sizeof line, &at, "eval_loss", p->eval_loss);
    bad |= put_num(line, sizeof line, &at, "eval_perplexity", p->eval_perplexity);
    bad |= put_num(line, sizeof line, &at, "eval_accuracy", p->eval_accuracy);
    bad |= put_num(line, sizeof line, &at, "eval_f1", p->eval_f1);
    bad |= put_num(line, sizeof line, &at, "eval_mse", p->eval_mse);
    bad |= put_num(line, sizeof line, &at, "eval_pearson", p->eval_pearson);
    bad |= put_num(line, sizeof line, &at, "eval_spearman", p->eval_spearman);
    BB_ASSERT(!bad && at + 3 < sizeof line); /* 14 numbers always fit */
    if (at == 0) return bb_err(err, errlen, BB_EINVAL, "%s: empty metrics point", m->path);
    line[0] = '{'; /* replaces the first key's leading comma */
    line[at++] = '}';
    line[at++] = '\n';
    return write_line(m, line, at, err, errlen);
}

int sess_metrics_append_json(sess_metrics *m, const cJSON *obj, char *err, size_t errlen) {
    if (!cJSON_IsObject(obj))
        return bb_err(err, errlen, BB_EINVAL, "%s: a metrics line must be a JSON object", m->path);
    char *text = cJSON_PrintUnformatted(obj); /* one line: strings escape their newlines */
    if (!text) return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", m->path);
    size_t n = strlen(text);
    char *line = realloc(text, n + 2);
    if (!line) {
        free(text);
        return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", m->path);
    }
    line[n] = '\n';
    line[n + 1] = 0;
    int rc = write_line(m, line, n + 1, err, errlen);
    free(line);
    return rc;
}

int sess_metrics_close(sess_metrics *m, char *err, size_t errlen) {
    if (!m) return BB_OK;
    int rc = sync_now(m, err, errlen);
    if (fclose(m->fp) != 0 && rc == BB_OK)
        rc = bb_err(err, errlen, io_code(errno), "%s: close failed: %s", m->path, strerror(errno));
    free(m->path);
    free(m);
    return rc;
}

/* ---- reading ---- */

void sess_series_free(sess_series *s) {
    for (int i = 0; i < s->ncols; i++) {
        free(s->cols[i].name);
        free(s->cols[i].v);
    }
    free(s->cols);
    memset(s, 0, sizeof *s);
}

const double *sess_series_col(const sess_series *s, const char *name) {
    for (int i = 0; i < s->ncols; i++)
        if (!strcmp(s->cols[i].name, name)) return s->cols[i].v;
    return NULL;
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

static int find_col(sess_series *s, const char *name, long cap) {
    for (int i = 0; i < s->ncols; i++)
        if (!strcmp(s->cols[i].name, name)) return i;
    sess_column *nc = realloc(s->cols, (size_t)(s->ncols + 1) * sizeof *nc);
    if (!nc) return -1;
    s->cols = nc;
    sess_column *c = &s->cols[s->ncols];
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
static int add_row(sess_series *s, const cJSON *obj, long *cap) {
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

int sess_metrics_read(sess_series *out, const char *path, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    char *buf;
    size_t len;
    int rc = sess_read_file(path, &buf, &len, err, errlen);
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
        sess_series_free(out);
        return rc;
    }
    for (int i = 1; i < out->ncols; i++) /* "step" first: the x axis */
        if (!strcmp(out->cols[i].name, "step")) {
            sess_column c = out->cols[i];
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

int sess_metrics_export_csv(const char *metrics_path, const char *csv_path, char *err, size_t errlen) {
    sess_series s;
    int rc = sess_metrics_read(&s, metrics_path, err, errlen);
    if (rc != BB_OK) return rc;
    bb_atomic_file af;
    if ((rc = bb_atomic_open(&af, csv_path, err, errlen)) != BB_OK) {
        sess_series_free(&s);
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
    sess_series_free(&s);
    return rc;
}

void sess_confusion_free(sess_confusion *c) {
    for (int i = 0; c->labels && i < c->k; i++) free(c->labels[i]);
    free(c->labels);
    free(c->counts);
    memset(c, 0, sizeof *c);
}

/* Fills c from one parsed eval line; BB_EINVAL when its matrix is not k x k numbers. */
static int confusion_from(sess_confusion *c, const cJSON *o) {
    const cJSON *names = cJSON_GetObjectItemCaseSensitive(o, "eval_labels");
    const cJSON *rows = cJSON_GetObjectItemCaseSensitive(o, "eval_confusion");
    const cJSON *step = cJSON_GetObjectItemCaseSensitive(o, "step");
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

int sess_metrics_last_confusion(sess_confusion *out, const char *path, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f) return bb_err(err, errlen, BB_EIO, "%s: %s", path, strerror(errno));
    char *line = NULL, *last = NULL;
    size_t cap = 0;
    ssize_t n;
    long lineno = 0, last_no = 0;
    while ((n = getline(&line, &cap, f)) > 0) {
        lineno++;
        if (!strstr(line, "\"eval_confusion\"")) continue;
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
        sess_confusion_free(out);
        return bb_err(err, errlen, rc, "%s:%ld: %s", path, last_no,
                      rc == BB_ENOMEM ? "out of memory" : "eval_confusion is not a K x K matrix of counts with K labels");
    }
    return BB_OK;
}
