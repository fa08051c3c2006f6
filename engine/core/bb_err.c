#include "bb_err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

int bb_err(char *err, size_t errlen, int code, const char *fmt, ...) {
    if (err && errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return code;
}

const char *bb_strerror(int code) {
    switch (code) {
    case BB_OK: return "ok";
    case BB_EINVAL: return "invalid argument";
    case BB_EIO: return "i/o error";
    case BB_ENOMEM: return "out of memory";
    case BB_EFORMAT: return "bad format";
    case BB_ESHAPE: return "bad shape";
    case BB_ECANCEL: return "cancelled";
    case BB_ENOSPC: return "no space left";
    default: return "unknown error";
    }
}

void bb_assert_fail(const char *expr, const char *file, int line) {
    /* The one place the engine writes to stderr: a bug, not bad input. */
    fprintf(stderr, "bertbench: assertion failed: %s (%s:%d)\n", expr, file, line);
    abort();
}
