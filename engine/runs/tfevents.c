#include "tfevents.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bb_err.h"
#include "pbwire.h"
#include "tfrecord.h"

enum { DT_FLOAT = 1, DT_DOUBLE = 2 };
/* one poll reads at most this much; the rest comes at the next one */
#define POLL_MAX ((size_t)256 << 20)

/* ---- decoding --------------------------------------------------------------------------------- */

/* The scalar of a TensorProto with one element of DT_FLOAT or DT_DOUBLE; 0 when it is not one. */
static int tensor_scalar(const uint8_t *p, size_t n, double *out) {
    pb_reader r = {p, p + n};
    pb_field f;
    int rc, dtype = 0, have = 0;
    uint64_t elems = 1;
    double v = NAN;
    while ((rc = pb_next(&r, &f)) == 1) {
        if (f.num == 1 && f.wire == PB_VARINT) {
            dtype = (int)f.u;
        } else if (f.num == 2 && f.wire == PB_LEN) { /* TensorShapeProto: dim = 2 {size = 1} */
            pb_reader s = {f.p, f.p + f.len};
            pb_field d;
            int k;
            while ((k = pb_next(&s, &d)) == 1) {
                if (d.num != 2 || d.wire != PB_LEN) continue;
                pb_reader dr = {d.p, d.p + d.len};
                pb_field sz;
                uint64_t size = 0;
                int j;
                while ((j = pb_next(&dr, &sz)) == 1)
                    if (sz.num == 1 && sz.wire == PB_VARINT) size = sz.u;
                if (j < 0) return 0;
                elems = size <= 1 ? elems * size : 2;
            }
            if (k < 0) return 0;
        } else if (f.num == 4 && f.wire == PB_LEN && !have) { /* tensor_content: raw little-endian */
            if (f.len == 4) {
                pb_field t = {.u = (uint64_t)f.p[0] | (uint64_t)f.p[1] << 8 | (uint64_t)f.p[2] << 16 |
                                   (uint64_t)f.p[3] << 24};
                v = pb_float(&t), have = DT_FLOAT;
            } else if (f.len == 8) {
                pb_field t = {0};
                for (int i = 7; i >= 0; i--) t.u = t.u << 8 | f.p[i];
                v = pb_double(&t), have = DT_DOUBLE;
            }
        } else if ((f.num == 5 || f.num == 6) && !have) { /* float_val / double_val, packed or not */
            int wide = f.num == 6;
            if (f.wire == (wide ? PB_I64 : PB_I32)) {
                v = wide ? pb_double(&f) : pb_float(&f);
                have = wide ? DT_DOUBLE : DT_FLOAT;
            } else if (f.wire == PB_LEN && f.len >= (size_t)(wide ? 8 : 4)) {
                pb_field t = {0};
                for (int i = (wide ? 7 : 3); i >= 0; i--) t.u = t.u << 8 | f.p[i];
                v = wide ? pb_double(&t) : pb_float(&t);
                have = wide ? DT_DOUBLE : DT_FLOAT;
            }
        }
    }
    if (rc < 0 || elems != 1 || !have || have != dtype) return 0;
    *out = v;
    return 1;
}

/* 1 when SummaryMetadata's plugin_data.plugin_name is "scalars". */
static int scalars_plugin(const uint8_t *p, size_t n) {
    pb_reader r = {p, p + n};
    pb_field f;
    while (pb_next(&r, &f) == 1) {
        if (f.num != 1 || f.wire != PB_LEN) continue;
        pb_reader pd = {f.p, f.p + f.len};
        pb_field g;
        while (pb_next(&pd, &g) == 1)
            if (g.num == 1 && g.wire == PB_LEN && g.len == 7 && memcmp(g.p, "scalars", 7) == 0) return 1;
    }
    return 0;
}

static int is_scalar_tag(const tfev_file *f, const char *tag) {
    for (int i = 0; i < f->n_scalar_tags; i++)
        if (strcmp(f->scalar_tags[i], tag) == 0) return 1;
    return 0;
}

static int add_scalar_tag(tfev_file *f, const char *tag) {
    if (is_scalar_tag(f, tag) || f->n_scalar_tags >= TFEV_MAX_SCALAR_TAGS) return BB_OK;
    char **t = realloc(f->scalar_tags, sizeof *t * (size_t)(f->n_scalar_tags + 1));
    if (!t) return BB_ENOMEM;
    f->scalar_tags = t;
    if (!(t[f->n_scalar_tags] = strdup(tag))) return BB_ENOMEM;
    f->n_scalar_tags++;
    return BB_OK;
}

/* One Summary.Value: its scalar, if it is one, to fn. 1: not decodable. */
static int summary_value(tfev_file *f, const uint8_t *p, size_t n, int64_t step, double wall, tfev_point_fn fn,
                         void *user) {
    pb_reader r = {p, p + n};
    pb_field fl;
    int rc, has_simple = 0, has_tensor = 0, plugin = 0;
    char tag[TFEV_MAX_TAG + 1];
    size_t tag_len = 0;
    int has_tag = 0;
    double simple = NAN, tv = NAN;
    while ((rc = pb_next(&r, &fl)) == 1) {
        if (fl.num == 1 && fl.wire == PB_LEN) {
            if (fl.len > TFEV_MAX_TAG || memchr(fl.p, 0, fl.len)) return 1;
            memcpy(tag, fl.p, fl.len);
            tag_len = fl.len, has_tag = 1;
        } else if (fl.num == 2 && fl.wire == PB_I32) {
            simple = pb_float(&fl), has_simple = 1;
        } else if (fl.num == 8 && fl.wire == PB_LEN) {
            has_tensor = tensor_scalar(fl.p, fl.len, &tv);
        } else if (fl.num == 9 && fl.wire == PB_LEN) {
            plugin = scalars_plugin(fl.p, fl.len);
        }
    }
    if (rc < 0) return 1;
    if (!has_tag) return BB_OK;
    tag[tag_len] = 0;
    if (plugin && add_scalar_tag(f, tag) != BB_OK) return BB_ENOMEM;
    double v;
    if (has_simple)
        v = simple;
    else if (has_tensor && (plugin || is_scalar_tag(f, tag)))
        v = tv;
    else
        return BB_OK; /* an image, a histogram, text ... */
    f->points++;
    return fn ? fn(user, tag, step, wall, v) : BB_OK;
}

/* One Event record. 1: not an Event (counted as corrupt); < 0: fn failed. */
static int event_record(tfev_file *f, const uint8_t *p, size_t n, tfev_point_fn fn, void *user) {
    pb_reader r = {p, p + n};
    pb_field fl;
    int rc;
    double wall = NAN;
    int64_t step = 0;
    const uint8_t *sum = NULL;
    size_t sum_len = 0;
    while ((rc = pb_next(&r, &fl)) == 1) {
        if (fl.num == 1 && fl.wire == PB_I64)
            wall = pb_double(&fl);
        else if (fl.num == 2 && fl.wire == PB_VARINT)
            step = (int64_t)fl.u;
        else if (fl.num == 3 && fl.wire == PB_LEN && !f->version[0] && fl.len < sizeof f->version &&
                 !memchr(fl.p, 0, fl.len))
            memcpy(f->version, fl.p, fl.len), f->version[fl.len] = 0;
        else if (fl.num == 5 && fl.wire == PB_LEN)
            sum = fl.p, sum_len = fl.len;
    }
    if (rc < 0) return 1;
    if (isnan(f->first_wall) && isfinite(wall)) f->first_wall = wall;
    if (!sum) return BB_OK;
    pb_reader s = {sum, sum + sum_len};
    while ((rc = pb_next(&s, &fl)) == 1) {
        if (fl.num != 1 || fl.wire != PB_LEN) continue;
        int k = summary_value(f, fl.p, fl.len, step, wall, fn, user);
        if (k < 0) return k;
        if (k > 0) return 1;
    }
    return rc < 0 ? 1 : BB_OK;
}

/* ---- reading ---------------------------------------------------------------------------------- */

int tfev_parse(tfev_file *f, const uint8_t *buf, size_t len, size_t *used, tfev_point_fn fn, void *user) {
    size_t off = 0;
    int rc = BB_OK;
    for (;;) {
        const uint8_t *rec = NULL;
        size_t n = 0, at = off;
        int k = tfrecord_next(buf, len, &off, &rec, &n);
        if (k == TFR_CORRUPT) {
            f->corrupt++;
            continue;
        }
        if (k != TFR_RECORD) break;
        int e = event_record(f, rec, n, fn, user);
        if (e < 0) {
            off = at; /* not consumed: the caller may retry */
            rc = e;
            break;
        }
        if (e > 0)
            f->corrupt++;
        else
            f->records++;
    }
    *used = off;
    f->torn_bytes = len - off;
    return rc;
}

int tfev_file_open(tfev_file **out, const char *path, char *err, size_t errlen) {
    tfev_file *f = calloc(1, sizeof *f);
    if (!f || !(f->path = strdup(path))) {
        free(f);
        return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", path);
    }
    f->first_wall = NAN;
    *out = f;
    return BB_OK;
}

int tfev_file_poll(tfev_file *f, tfev_point_fn fn, void *user, char *err, size_t errlen) {
    int fd = open(f->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return bb_err(err, errlen, BB_EIO, "%s: cannot open: %s", f->path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        close(fd);
        return bb_err(err, errlen, BB_EIO, "%s: %s", f->path, strerror(errno));
    }
    if ((uint64_t)sb.st_size < f->off) { /* replaced by a shorter file: start over */
        f->off = 0, f->version[0] = 0, f->first_wall = NAN;
    }
    size_t want = (size_t)((uint64_t)sb.st_size - f->off);
    if (want > POLL_MAX) want = POLL_MAX;
    if (want == 0) {
        close(fd);
        f->torn_bytes = 0;
        return BB_OK;
    }
    uint8_t *buf = malloc(want);
    if (!buf) {
        close(fd);
        return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", f->path);
    }
    size_t got = 0;
    while (got < want) {
        ssize_t k = pread(fd, buf + got, want - got, (off_t)(f->off + got));
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) {
            int e = errno;
            free(buf);
            close(fd);
            return bb_err(err, errlen, BB_EIO, "%s: read failed: %s", f->path, strerror(e));
        }
        if (k == 0) break;
        got += (size_t)k;
    }
    close(fd);
    size_t used = 0;
    int rc = tfev_parse(f, buf, got, &used, fn, user);
    f->off += used;
    free(buf);
    if (rc != BB_OK) return bb_err(err, errlen, rc, "%s: %s", f->path, bb_strerror(rc));
    return BB_OK;
}

void tfev_file_free(tfev_file *f) {
    if (!f) return;
    for (int i = 0; i < f->n_scalar_tags; i++) free(f->scalar_tags[i]);
    free(f->scalar_tags);
    free(f->path);
    free(f);
}

int tfev_sniff(const char *path) {
    FILE *fp = fopen(path, "rb");
    if (!fp) return 0;
    uint8_t buf[4096];
    size_t n = fread(buf, 1, sizeof buf, fp);
    fclose(fp);
    size_t off = 0;
    const uint8_t *rec;
    size_t len;
    if (tfrecord_next(buf, n, &off, &rec, &len) != TFR_RECORD) return 0;
    tfev_file f = {.first_wall = NAN};
    return event_record(&f, rec, len, NULL, NULL) == BB_OK && strncmp(f.version, "brain.Event:", 12) == 0;
}

/* ---- writing ---------------------------------------------------------------------------------- */

struct tfev_writer {
    FILE *fp;
    char path[4096];
};

static int write_event(tfev_writer *w, const pb_buf *ev, char *err, size_t errlen) {
    if (ev->failed) return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", w->path);
    uint8_t h[TFR_HEADER], t[TFR_FOOTER];
    tfrecord_frame(h, t, ev->p, ev->n);
    if (fwrite(h, 1, sizeof h, w->fp) != sizeof h || (ev->n && fwrite(ev->p, 1, ev->n, w->fp) != ev->n) ||
        fwrite(t, 1, sizeof t, w->fp) != sizeof t || fflush(w->fp) != 0)
        return bb_err(err, errlen, errno == ENOSPC ? BB_ENOSPC : BB_EIO, "%s: write failed: %s", w->path,
                      strerror(errno));
    return BB_OK;
}

int tfev_writer_open(tfev_writer **out, const char *dir, char *err, size_t errlen) {
    *out = NULL;
    tfev_writer *w = calloc(1, sizeof *w);
    if (!w) return bb_err(err, errlen, BB_ENOMEM, "out of memory");
    char host[256] = "localhost";
    if (gethostname(host, sizeof host) != 0) snprintf(host, sizeof host, "localhost");
    host[sizeof host - 1] = 0;
    for (char *c = host; *c; c++)
        if (*c == '/') *c = '_';
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    int fd = -1;
    for (int k = 0; k < 100 && fd < 0; k++) {
        snprintf(w->path, sizeof w->path, "%s/events.out.tfevents.%lld.%s.%d.%d", dir, (long long)ts.tv_sec, host,
                 (int)getpid(), k);
        fd = open(w->path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0 && errno != EEXIST) break;
    }
    if (fd < 0 || !(w->fp = fdopen(fd, "wb"))) {
        int rc = bb_err(err, errlen, BB_EIO, "%s: cannot create: %s", w->path, strerror(errno));
        if (fd >= 0) close(fd);
        free(w);
        return rc;
    }
    pb_buf ev = {0};
    pb_put_double(&ev, 1, (double)ts.tv_sec + ts.tv_nsec * 1e-9);
    pb_put_varint(&ev, 2, 0);
    pb_put_len(&ev, 3, "brain.Event:2", 13);
    int rc = write_event(w, &ev, err, errlen);
    free(ev.p);
    if (rc != BB_OK) {
        char e[8];
        tfev_writer_close(w, e, sizeof e);
        return rc;
    }
    *out = w;
    return BB_OK;
}

int tfev_writer_scalars(tfev_writer *w, int64_t step, double wall_time, const char *const *tags, const float *values,
                        int n, char *err, size_t errlen) {
    pb_buf sum = {0}, val = {0}, ev = {0};
    for (int i = 0; i < n; i++) {
        if (isnan(values[i])) continue;
        val.n = 0;
        pb_put_len(&val, 1, tags[i], strlen(tags[i]));
        pb_put_float(&val, 2, values[i]);
        if (val.failed) break;
        pb_put_len(&sum, 1, val.p, val.n);
    }
    pb_put_double(&ev, 1, wall_time);
    pb_put_varint(&ev, 2, (uint64_t)step);
    if (!sum.failed) pb_put_len(&ev, 5, sum.p, sum.n);
    ev.failed |= sum.failed | val.failed;
    int rc = write_event(w, &ev, err, errlen);
    free(sum.p), free(val.p), free(ev.p);
    return rc;
}

const char *tfev_writer_path(const tfev_writer *w) { return w->path; }

int tfev_writer_close(tfev_writer *w, char *err, size_t errlen) {
    if (!w) return BB_OK;
    int rc = BB_OK;
    if (w->fp && fclose(w->fp) != 0) rc = bb_err(err, errlen, BB_EIO, "%s: close failed: %s", w->path, strerror(errno));
    free(w);
    return rc;
}
