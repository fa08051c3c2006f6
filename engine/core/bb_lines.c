/* Line-limited corpus reading (see bb_lines.h). */
#include "bb_lines.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bb_err.h"

struct bb_lines {
    int fd;
    char path[1024];
    size_t max_line;
    char *buf;          /* [start, end) unread bytes */
    size_t start, end, cap;
    long line;
    int eof;
};

static int open_stream(const char *path, int *fd, char *err, size_t errlen) {
    *fd = open(path, O_RDONLY | O_CLOEXEC);
    if (*fd < 0) return bb_err(err, errlen, BB_EIO, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(*fd, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        close(*fd);
        *fd = -1;
        return bb_err(err, errlen, BB_EIO, "%s: a directory, not a text file", path);
    }
    return BB_OK;
}

static int too_long(const char *path, long line, size_t max, char *err, size_t errlen) {
    return bb_err(err, errlen, BB_EFORMAT, "%s:%ld: line longer than %zu MB (not a text corpus?)", path, line,
                  max >> 20);
}

int bb_lines_open(bb_lines **out, const char *path, size_t max_line, char *err, size_t errlen) {
    *out = NULL;
    bb_lines *r = calloc(1, sizeof *r);
    if (!r) return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", path);
    int rc = open_stream(path, &r->fd, err, errlen);
    if (rc != BB_OK) {
        free(r);
        return rc;
    }
    snprintf(r->path, sizeof r->path, "%s", path);
    r->max_line = max_line;
    *out = r;
    return BB_OK;
}

int bb_lines_next(bb_lines *r, const char **line, size_t *len, char *err, size_t errlen) {
    size_t scanned = 0; /* bytes of [start, end) known to hold no newline */
    for (;;) {
        /* no buffer before the first read: memchr on NULL is undefined even for 0 bytes */
        char *nl = r->buf ? memchr(r->buf + r->start + scanned, '\n', r->end - r->start - scanned) : NULL;
        if (nl || (r->eof && r->end > r->start)) {
            size_t n = nl ? (size_t)(nl - (r->buf + r->start)) : r->end - r->start;
            r->line++;
            if (n > r->max_line) return too_long(r->path, r->line, r->max_line, err, errlen);
            *line = r->buf + r->start;
            r->buf[r->start + n] = 0; /* the '\n', or the spare byte after end */
            *len = n;
            r->start += n + (nl != NULL);
            return 1;
        }
        if (r->eof) return 0;
        scanned = r->end - r->start;
        if (scanned > r->max_line) return too_long(r->path, r->line + 1, r->max_line, err, errlen);
        if (r->start > 0) { /* keep the partial line at the front */
            memmove(r->buf, r->buf + r->start, scanned);
            r->end = scanned, r->start = 0;
        }
        if (r->cap - r->end < 65536 + 1) {
            size_t nc = r->cap ? r->cap * 2 : 1 << 16;
            while (nc - r->end < 65536 + 1) nc *= 2;
            char *g = realloc(r->buf, nc);
            if (!g) return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", r->path);
            r->buf = g, r->cap = nc;
        }
        ssize_t k = read(r->fd, r->buf + r->end, r->cap - r->end - 1);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) return bb_err(err, errlen, BB_EIO, "%s: read error: %s", r->path, strerror(errno));
        if (k == 0) r->eof = 1;
        r->end += (size_t)k;
    }
}

long bb_lines_number(const bb_lines *r) { return r->line; }

void bb_lines_close(bb_lines *r) {
    if (!r) return;
    if (r->fd >= 0) close(r->fd);
    free(r->buf);
    free(r);
}

int bb_read_text(const char *path, size_t max_line, char **buf, size_t *len, char *err, size_t errlen) {
    *buf = NULL;
    *len = 0;
    int fd, rc = open_stream(path, &fd, err, errlen);
    if (rc != BB_OK) return rc;
    char *b = NULL;
    size_t n = 0, cap = 0, run = 0; /* run: bytes since the last newline */
    long line = 1;
    for (;;) {
        if (cap - n < 65536 + 1) {
            size_t nc = cap ? cap * 2 : 1 << 20;
            char *g = realloc(b, nc);
            if (!g) {
                rc = bb_err(err, errlen, BB_ENOMEM, "%s: out of memory reading the file", path);
                break;
            }
            b = g, cap = nc;
        }
        ssize_t k = read(fd, b + n, 65536);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) {
            rc = bb_err(err, errlen, BB_EIO, "%s: read error: %s", path, strerror(errno));
            break;
        }
        if (k == 0) break;
        for (const char *p = b + n, *e = b + n + k; p < e;) {
            const char *nl = memchr(p, '\n', (size_t)(e - p));
            size_t seg = (size_t)((nl ? nl : e) - p);
            if (run + seg > max_line) {
                rc = too_long(path, line, max_line, err, errlen);
                break;
            }
            if (!nl) {
                run += seg;
                break;
            }
            run = 0, line++, p = nl + 1;
        }
        if (rc != BB_OK) break;
        n += (size_t)k;
    }
    close(fd);
    if (rc != BB_OK) {
        free(b);
        return rc;
    }
    if (!b && !(b = malloc(1))) return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", path);
    b[n] = 0;
    *buf = b;
    *len = n;
    return BB_OK;
}

int bb_utf8_valid(const char *str) {
    const unsigned char *s = (const unsigned char *)str;
    while (*s) {
        unsigned c = *s;
        int n = c < 0x80 ? 0 : c < 0xC2 ? -1 : c <= 0xDF ? 1 : c <= 0xEF ? 2 : c <= 0xF4 ? 3 : -1;
        if (n < 0) return 0;
        unsigned lo = 0x80, hi = 0xBF;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
        s++;
        for (int k = 0; k < n; k++, s++) {
            if (*s < lo || *s > hi) return 0;
            lo = 0x80, hi = 0xBF;
        }
    }
    return 1;
}
