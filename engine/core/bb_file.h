/* bb_file.h — opening files that are meant to be regular files.
 *
 * A FIFO, a device (/dev/zero) or a directory given where a config, a checkpoint, a vocabulary or a
 * corpus is expected would block forever, never end or fail with a vague "read error"; these open
 * with O_NONBLOCK, fstat, and refuse anything that is not a regular file before reading a byte, with
 * errors that say what the path is ("is a directory", "is a FIFO, not a regular file", "a loop of
 * symbolic links").
 *
 *     char *text; size_t n;
 *     if (bb_read_file("config.json", 64u << 20, &text, &n, err, errlen) != BB_OK) return ...;
 *     ... text[0..n), NUL-terminated ...
 *     free(text);
 */
#ifndef BB_FILE_H
#define BB_FILE_H

#include <stddef.h>
#include <stdio.h>

/* A read-only descriptor of a regular file (blocking mode restored); errors name path and what it is. */
int bb_open_regular(const char *path, int *fd, char *err, size_t errlen);
/* The same as a stdio stream ("rb"). */
int bb_fopen_regular(const char *path, FILE **fp, char *err, size_t errlen);
/* The whole file, NUL-terminated (the caller frees *buf); BB_EFORMAT when it is larger than limit. */
int bb_read_file(const char *path, size_t limit, char **buf, size_t *len, char *err, size_t errlen);
/* BB_OK when path is a regular file (following links); else why not, naming path. */
int bb_check_regular(const char *path, char *err, size_t errlen);
/* 1 when something (a file, directory, link, even a dangling or looping one) is at path. */
int bb_path_exists(const char *path);

#endif
