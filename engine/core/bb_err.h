/* bb_err.h — status codes and the caller-owned error message convention.
 *
 * Every engine function that can fail returns an int status (BB_OK = 0, negative on error) and takes
 * `char *err, size_t errlen` last. On failure it writes one line naming the file/argument and the
 * problem into err (err may be NULL). The engine never prints and never exits.
 *
 *     char err[256];
 *     if (st_open(&f, path, err, sizeof err) != BB_OK) fprintf(stderr, "%s\n", err);
 *
 * Programmer errors (a violated precondition, not bad input) abort with file/line via BB_ASSERT.
 */
#ifndef BB_ERR_H
#define BB_ERR_H

#include <stddef.h>

enum {
    BB_OK = 0,
    BB_EINVAL = -1,  /* bad argument or option value */
    BB_EIO = -2,     /* open/read/write/mmap failed */
    BB_ENOMEM = -3,  /* allocation failed or size overflow */
    BB_EFORMAT = -4, /* malformed file contents */
    BB_ESHAPE = -5,  /* tensor missing or of the wrong shape/dtype */
    BB_ECANCEL = -6, /* stopped by the caller's abort flag */
    BB_ENOSPC = -7,  /* disk full / file size limit while writing */
};

/* Formats into err (when err != NULL && errlen > 0) and returns code. */
int bb_err(char *err, size_t errlen, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* A short name for a status code ("io error", "bad format", ...). */
const char *bb_strerror(int code);

void bb_assert_fail(const char *expr, const char *file, int line) __attribute__((noreturn));
#define BB_ASSERT(x) ((x) ? (void)0 : bb_assert_fail(#x, __FILE__, __LINE__))

#endif
