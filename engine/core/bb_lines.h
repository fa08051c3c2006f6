/* bb_lines.h — reading a text corpus as a stream of lines with a line-length limit.
 *
 * /dev/zero or a 3 GB file without a newline is not a corpus: the reader stops at the first line
 * longer than the limit with "FILE:LINE: line longer than N MB" instead of reading it whole. Pipes
 * and devices are read as streams; directories are refused.
 *
 *     bb_lines *r;
 *     if (bb_lines_open(&r, path, BB_MAX_LINE, err, errlen) != BB_OK) return ...;
 *     const char *s; size_t n; int rc;
 *     while ((rc = bb_lines_next(r, &s, &n, err, errlen)) > 0) use(s, n);  // no '\n'; s[n] == 0
 *     bb_lines_close(r);                                                 // rc < 0: error in err
 */
#ifndef BB_LINES_H
#define BB_LINES_H

#include <stddef.h>

/* The default limit for one line of a corpus. */
#define BB_MAX_LINE ((size_t)16 << 20)

typedef struct bb_lines bb_lines;

int bb_lines_open(bb_lines **out, const char *path, size_t max_line, char *err, size_t errlen);
/* 1 with the next line, 0 at the end, a negative status with err filled. */
int bb_lines_next(bb_lines *r, const char **line, size_t *len, char *err, size_t errlen);
long bb_lines_number(const bb_lines *r); /* 1-based number of the line last returned */
void bb_lines_close(bb_lines *r);

/* The whole file through the same checks, NUL-terminated (the caller frees *buf). */
int bb_read_text(const char *path, size_t max_line, char **buf, size_t *len, char *err, size_t errlen);

/* 1 when str (NUL-terminated) is well-formed UTF-8: no overlong forms, surrogates or code points past
 * U+10FFFF. */
int bb_utf8_valid(const char *str);

#endif
