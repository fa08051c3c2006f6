/* sess_internal.h — helpers shared by session.c, run.c and follow.c (not part of the API). */
#ifndef BB_SESS_INTERNAL_H
#define BB_SESS_INTERNAL_H

#include <stddef.h>
#include <time.h>

#include "session.h"

/* Reads the whole file (NUL-terminated, len without the NUL). BB_EIO with errno kept on failure. */
int sess_read_file(const char *path, char **buf, size_t *len, char *err, size_t errlen);
/* "2024-05-01T12:00:00Z" (UTC); buf holds at least 32 bytes. */
void sess_time_format(time_t t, char *buf, size_t n);
int sess_time_parse(const char *s, time_t *out); /* 0 on success */
char *sess_strdup(const char *s);                /* NULL for NULL */
/* cJSON_Print + atomic write. */
int sess_write_json(const char *path, const cJSON *root, char *err, size_t errlen);
/* Appends one line to s->warnings (dropped quietly when full: the first ones matter most). */
void sess_warn(sess_session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int sess_run_name_valid(const char *name);

/* run.c: at open, lists runs/ once: flags the runs named in s->runs (names filled by the session
 * parser) whose directory is missing and adds unlisted runs found there. Reads no run.json. */
void sess_runs_load(sess_session *s);
void sess_run_free(sess_run *r); /* closes its lock */
int sess_run_write(const char *dir, const sess_run *r, char *err, size_t errlen);

#endif
