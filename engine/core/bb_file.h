/* bb_file.h — reading a small whole file (config.json, vocab.txt, tokenizer.json) with errors that
 * say what the path is when it is not a regular file.
 *
 *     char *text; size_t len;
 *     if (bb_read_file("model/vocab.txt", 64u << 20, &text, &len, err, sizeof err) != BB_OK) ...;
 *     ... text[0..len), NUL-terminated ...
 *     free(text);
 *
 * The file is opened non-blocking and checked with fstat before anything is read, so a FIFO, a
 * device such as /dev/zero or a directory is refused at once ("is a directory", "is a character
 * device, not a regular file") instead of blocking, reading forever or failing with "read error".
 */
#ifndef BB_FILE_H
#define BB_FILE_H

#include <stddef.h>

/* Reads path (at most limit bytes) into a NUL-terminated buffer the caller frees. */
int bb_read_file(const char *path, size_t limit, char **data, size_t *len, char *err, size_t errlen);
/* BB_OK when path is a regular file (following links); else why not, naming path. */
int bb_check_regular(const char *path, char *err, size_t errlen);
/* 1 when something (a file, directory, link, even a dangling or looping one) is at path. */
int bb_path_exists(const char *path);

#endif
