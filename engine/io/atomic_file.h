/* atomic_file.h — write a file so that a crash, a full disk or a file-size limit never leaves a
 * half-written file in place of a good one: write PATH.tmp.PID, fflush, fsync, rename over PATH,
 * fsync the directory. On any failure the temporary file is removed and PATH is untouched.
 *
 *     bb_atomic_file af;
 *     if (bb_atomic_open(&af, path, err, errlen) != BB_OK) return ...;
 *     int bad = fwrite(buf, 1, n, af.fp) != n;
 *     return bb_atomic_commit(&af, bad, err, errlen);
 *
 * Programs that write files should ignore SIGXFSZ so a file-size limit shows up as EFBIG here
 * instead of killing the process. */
#ifndef BB_ATOMIC_FILE_H
#define BB_ATOMIC_FILE_H

#include <stddef.h>
#include <stdio.h>

typedef struct {
    FILE *fp;
    char path[4096];
    char tmp[4096 + 32];
} bb_atomic_file;

int bb_atomic_open(bb_atomic_file *af, const char *path, char *err, size_t errlen);
/* Finishes the write (or abandons it when failed != 0, reporting a write error). */
int bb_atomic_commit(bb_atomic_file *af, int failed, char *err, size_t errlen);
/* Convenience: the whole contents at once. */
int bb_write_atomic(const char *path, const void *data, size_t n, char *err, size_t errlen);

#endif
