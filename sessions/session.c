/* session.c — session.json: parse (strict: every problem names the file and the key), build, save with
 * a backup of the previous good copy, and the small mutators the UI calls. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic_file.h"
#include "bb_err.h"
#include "sess_internal.h"

/* ---- shared helpers ---- */

int sess_read_file(const char *path, char **buf, size_t *len, char *err, size_t errlen) {
    *buf = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno; /* callers tell a missing file from an unreadable one */
        bb_err(err, errlen, BB_EIO, "%s: cannot open: %s", path, strerror(e));
        errno = e;
        return BB_EIO;
    }
    size_t cap = 4096, n = 0;
    char *b = malloc(cap);
    for (;;) {
        if (!b) {
            fclose(f);
            return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", path);
        }
        n += fread(b + n, 1, cap - n - 1, f);
        if (n < cap - 1) break;
        char *nb = cap > SIZE_MAX / 2 ? NULL : realloc(b, cap * 2);
        if (!nb) free(b);
        b = nb;
        cap *= 2;
    }
    int bad = ferror(f);
    int e = errno;
    fclose(f);
    if (bad) {
        free(b);
        return bb_err(err, errlen, BB_EIO, "%s: read failed: %s", path, strerror(e));
    }
    b[n] = 0;
    *buf = b;
    *len = n;
    return BB_OK;
}

void sess_time_format(time_t t, char *buf, size_t n) {
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int sess_time_parse(const char *s, time_t *out) {
    struct tm tm = {0};
    char z = 0;
    int used = 0;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%c%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
               &tm.tm_sec, &z, &used) != 7 || z != 'Z' || s[used] != 0)
        return -1;
    if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
        tm.tm_sec > 60)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    *out = timegm(&tm);
    return 0;
}

char *sess_strdup(const char *s) { return s ? strdup(s) : NULL; }

int sess_write_json(const char *path, const cJSON *root, char *err, size_t errlen) {
    char *text = cJSON_Print(root);
    if (!text) return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", path);
    size_t n = strlen(text);
    text[n] = '\n'; /* cJSON_Print leaves no final newline; the NUL slot takes it */
    int rc = bb_write_atomic(path, text, n + 1, err, errlen);
    free(text);
    return rc;
}

void sess_warn(sess_session *s, const char *fmt, ...) {
    size_t used = strlen(s->warnings);
    if (used + 2 >= sizeof s->warnings) return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(s->warnings + used, sizeof s->warnings - used - 1, fmt, ap);
    va_end(ap);
    used = k < 0 ? used : strlen(s->warnings);
    s->warnings[used] = '\n';
    s->warnings[used + 1] = 0;
}

int sess_run_name_valid(const char *name) {
    size_t n = strlen(name);
    if (n == 0 || n > SESS_RUN_NAME_MAX || name[0] == '.' || name[0] == '-') return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
              c == '.'))
            return 0;
    }
    return 1;
}

/* ---- session.json ---- */

static void strv_free(char **v, int n) {
    for (int i = 0; i < n; i++) free(v[i]);
    free(v);
}

static void session_clear(sess_session *s) {
    free(s->dir);
    free(s->model);
    free(s->tokenizer);
    cJSON_Delete(s->layout);
    cJSON_Delete(s->settings);
    cJSON_Delete(s->extra);
    strv_free(s->history, s->n_history);
    strv_free(s->pinned, s->n_pinned);
    for (int i = 0; i < s->n_runs; i++) sess_run_free(s->runs[i]);
    free(s->runs);
    memset(s, 0, sizeof *s);
}

void sess_free(sess_session *s) {
    if (!s) return;
    if (s->lock_fd >= 0) close(s->lock_fd); /* releases the flock */
    session_clear(s);
    free(s);
}

static const char *json_type_name(const cJSON *j) {
    if (cJSON_IsString(j)) return "a string";
    if (cJSON_IsNumber(j)) return "a number";
    if (cJSON_IsBool(j)) return "a boolean";
    if (cJSON_IsNull(j)) return "null";
    if (cJSON_IsArray(j)) return "an array";
    if (cJSON_IsObject(j)) return "an object";
    return "invalid";
}

/* Parses JSON text, naming where it breaks (a truncated file breaks at its end). */
static cJSON *parse_json(const char *file, const char *buf, size_t len, char *err, size_t errlen) {
    if (len == 0) {
        bb_err(err, errlen, BB_EFORMAT, "%s: empty file (truncated?)", file);
        return NULL;
    }
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(buf, len, &end, 0);
    if (root) return root;
    size_t at = end && end >= buf && end <= buf + len ? (size_t)(end - buf) : len;
    int line = 1;
    for (size_t i = 0; i < at; i++) line += buf[i] == '\n';
    if (at >= len)
        bb_err(err, errlen, BB_EFORMAT, "%s: not valid JSON: ends early at byte %zu (truncated?)", file, len);
    else
        bb_err(err, errlen, BB_EFORMAT, "%s: not valid JSON at line %d (byte %zu)", file, line, at);
    return NULL;
}

/* Takes an optional string-array key out of root into (v, n), keeping the newest `cap` items. */
static int take_strings(cJSON *root, const char *key, int cap, char ***v, int *n, const char *file, char *err,
                        size_t errlen) {
    cJSON *a = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!a) return BB_OK;
    if (!cJSON_IsArray(a))
        return bb_err(err, errlen, BB_EFORMAT, "%s: \"%s\" must be an array of strings, not %s", file, key,
                      json_type_name(a));
    int count = cJSON_GetArraySize(a), i = 0;
    cJSON *it;
    cJSON_ArrayForEach(it, a) {
        if (!cJSON_IsString(it))
            return bb_err(err, errlen, BB_EFORMAT, "%s: \"%s\"[%d] must be a string, not %s", file, key, i,
                          json_type_name(it));
        i++;
    }
    int skip = count > cap ? count - cap : 0;
    *v = calloc(count - skip + 1, sizeof **v);
    if (!*v) return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", file);
    i = 0;
    cJSON_ArrayForEach(it, a) {
        if (i++ < skip) continue;
        if (!((*v)[(*n)++] = strdup(it->valuestring))) return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", file);
    }
    return BB_OK;
}

static int take_opt_string(cJSON *root, const char *key, char **out, const char *file, char *err, size_t errlen) {
    cJSON *j = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!j || cJSON_IsNull(j)) return BB_OK;
    if (!cJSON_IsString(j))
        return bb_err(err, errlen, BB_EFORMAT, "%s: \"%s\" must be a string or null, not %s", file, key,
                      json_type_name(j));
    *out = strdup(j->valuestring);
    return *out ? BB_OK : bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", file);
}

static int take_time(cJSON *root, const char *key, time_t *out, const char *file, char *err, size_t errlen) {
    cJSON *j = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!j) return bb_err(err, errlen, BB_EFORMAT, "%s: required key \"%s\" is missing", file, key);
    if (!cJSON_IsString(j) || sess_time_parse(j->valuestring, out) != 0)
        return bb_err(err, errlen, BB_EFORMAT, "%s: \"%s\" must be a UTC time like \"2024-05-01T12:00:00Z\"", file,
                      key);
    return BB_OK;
}

static int cmp_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Fills s from the text of a session.json (runs: names only). file names it in messages. */
static int parse_session(sess_session *s, const char *file, const char *buf, size_t len, int flags, char *err,
                         size_t errlen) {
    cJSON *root = parse_json(file, buf, len, err, errlen);
    if (!root) return BB_EFORMAT;
    int rc = BB_EFORMAT;
    if (!cJSON_IsObject(root)) {
        bb_err(err, errlen, rc, "%s: not a JSON object (a session file holds one object)", file);
        goto fail;
    }
    cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "schema_version");
    if (!v) {
        bb_err(err, errlen, rc, "%s: required key \"schema_version\" is missing", file);
        goto fail;
    }
    if (!cJSON_IsNumber(v) || v->valuedouble != (double)v->valueint) {
        bb_err(err, errlen, rc, "%s: \"schema_version\" must be an integer, not %s", file, json_type_name(v));
        goto fail;
    }
    s->schema_version = v->valueint;
    if (s->schema_version < 1) {
        bb_err(err, errlen, rc, "%s: unknown schema_version %d (this bertbench reads 1..%d)", file,
               s->schema_version, SESS_SCHEMA_VERSION);
        goto fail;
    }
    if (s->schema_version > SESS_SCHEMA_VERSION) {
        if (!(flags & SESS_OPEN_READ_ONLY)) {
            bb_err(err, errlen, rc,
                   "%s: schema_version %d is newer than this bertbench reads (%d); left untouched (open it "
                   "read-only, or use a newer bertbench)",
                   file, s->schema_version, SESS_SCHEMA_VERSION);
            goto fail;
        }
        s->read_only = 1;
    }
    if ((rc = take_time(root, "created", &s->created, file, err, errlen)) != BB_OK) goto fail;
    if ((rc = take_time(root, "modified", &s->modified, file, err, errlen)) != BB_OK) goto fail;
    if ((rc = take_opt_string(root, "model", &s->model, file, err, errlen)) != BB_OK) goto fail;
    if ((rc = take_opt_string(root, "tokenizer", &s->tokenizer, file, err, errlen)) != BB_OK) goto fail;
    rc = BB_EFORMAT;
    cJSON *lay = cJSON_GetObjectItemCaseSensitive(root, "layout");
    if (lay && !cJSON_IsNull(lay)) {
        if (!cJSON_IsObject(lay)) {
            bb_err(err, errlen, rc, "%s: \"layout\" must be an object or null, not %s", file, json_type_name(lay));
            goto fail;
        }
        s->layout = cJSON_DetachItemViaPointer(root, lay);
    }
    cJSON *set = cJSON_GetObjectItemCaseSensitive(root, "settings");
    if (set && !cJSON_IsObject(set)) {
        bb_err(err, errlen, rc, "%s: \"settings\" must be an object, not %s", file, json_type_name(set));
        goto fail;
    }
    s->settings = set ? cJSON_DetachItemViaPointer(root, set) : cJSON_CreateObject();
    if (!s->settings) {
        rc = bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", file);
        goto fail;
    }
    if ((rc = take_strings(root, "history", SESS_HISTORY_MAX, &s->history, &s->n_history, file, err, errlen)) != BB_OK)
        goto fail;
    if ((rc = take_strings(root, "pinned", INT32_MAX, &s->pinned, &s->n_pinned, file, err, errlen)) != BB_OK) goto fail;
    char **names = NULL;
    int n_names = 0;
    if ((rc = take_strings(root, "runs", INT32_MAX, &names, &n_names, file, err, errlen)) != BB_OK) {
        strv_free(names, n_names);
        goto fail;
    }
    if (!(s->runs = calloc(n_names + 1, sizeof *s->runs))) {
        strv_free(names, n_names);
        rc = bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", file);
        goto fail;
    }
    /* duplicates by sorting a copy once: a list of 100k runs is not 5e9 comparisons */
    const char *dup = NULL;
    char **sorted = n_names ? malloc(sizeof *sorted * (size_t)n_names) : NULL;
    if (n_names && !sorted) {
        strv_free(names, n_names);
        rc = bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", file);
        goto fail;
    }
    if (n_names) memcpy(sorted, names, sizeof *sorted * (size_t)n_names);
    if (n_names) qsort(sorted, (size_t)n_names, sizeof *sorted, cmp_name);
    for (int i = 1; i < n_names && !dup; i++)
        if (!strcmp(sorted[i - 1], sorted[i])) dup = sorted[i];
    free(sorted);
    for (int i = 0; i < n_names; i++) {
        sess_run *r = NULL;
        if (!sess_run_name_valid(names[i]))
            bb_err(err, errlen, rc = BB_EFORMAT, "%s: \"runs\"[%d] \"%s\" is not a run directory name", file, i,
                   names[i]);
        else if (dup && !strcmp(names[i], dup))
            bb_err(err, errlen, rc = BB_EFORMAT, "%s: run \"%s\" is listed twice", file, names[i]);
        else if (!(r = calloc(1, sizeof *r)))
            rc = bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", file);
        if (!r) { /* names[0..i) already belong to s->runs */
            for (int k = i; k < n_names; k++) free(names[k]);
            free(names);
            goto fail;
        }
        r->lock_fd = -1;
        r->name = names[i];
        s->runs[s->n_runs++] = r;
    }
    free(names);
    static const char *const known[] = {"schema_version", "created", "modified", "model", "tokenizer",
                                        "history",        "pinned",  "runs"};
    for (size_t i = 0; i < sizeof known / sizeof *known; i++) cJSON_DeleteItemFromObjectCaseSensitive(root, known[i]);
    cJSON_DeleteItemFromObjectCaseSensitive(root, "layout"); /* a null layout is still there */
    s->extra = root;
    return BB_OK;
fail:
    cJSON_Delete(root);
    return rc;
}

static cJSON *session_to_json(const sess_session *s) {
    cJSON *root = s->extra ? cJSON_Duplicate(s->extra, 1) : cJSON_CreateObject();
    if (!root) return NULL;
    char t[32];
    int ok = cJSON_AddNumberToObject(root, "schema_version", SESS_SCHEMA_VERSION) != NULL;
    sess_time_format(s->created, t, sizeof t);
    ok &= cJSON_AddStringToObject(root, "created", t) != NULL;
    sess_time_format(s->modified, t, sizeof t);
    ok &= cJSON_AddStringToObject(root, "modified", t) != NULL;
    ok &= (s->model ? cJSON_AddStringToObject(root, "model", s->model) : cJSON_AddNullToObject(root, "model")) != NULL;
    ok &= (s->tokenizer ? cJSON_AddStringToObject(root, "tokenizer", s->tokenizer)
                        : cJSON_AddNullToObject(root, "tokenizer")) != NULL;
    cJSON *lay = s->layout ? cJSON_Duplicate(s->layout, 1) : cJSON_CreateNull();
    ok &= lay && cJSON_AddItemToObject(root, "layout", lay);
    cJSON *set = cJSON_Duplicate(s->settings, 1);
    ok &= set && cJSON_AddItemToObject(root, "settings", set);
    cJSON *h = cJSON_AddArrayToObject(root, "history");
    for (int i = 0; ok && h && i < s->n_history; i++) ok &= cJSON_AddItemToArray(h, cJSON_CreateString(s->history[i]));
    cJSON *p = cJSON_AddArrayToObject(root, "pinned");
    for (int i = 0; ok && p && i < s->n_pinned; i++) ok &= cJSON_AddItemToArray(p, cJSON_CreateString(s->pinned[i]));
    cJSON *r = cJSON_AddArrayToObject(root, "runs");
    for (int i = 0; ok && r && i < s->n_runs; i++) ok &= cJSON_AddItemToArray(r, cJSON_CreateString(s->runs[i]->name));
    ok &= h && p && r;
    if (!ok) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

static int join(char *buf, size_t n, const char *dir, const char *file) {
    return (size_t)snprintf(buf, n, "%s/%s", dir, file) < n ? BB_OK : BB_EINVAL;
}

/* Writes session.json into dir. An existing session.json must parse (it is then kept as .bak); a damaged
 * or newer one is never replaced. */
static int save_to(sess_session *s, const char *dir, char *err, size_t errlen) {
    char path[4096], bak[4096 + 8];
    if (join(path, sizeof path, dir, "session.json") != BB_OK)
        return bb_err(err, errlen, BB_EINVAL, "%s: path too long", dir);
    snprintf(bak, sizeof bak, "%s.bak", path);
    char *old = NULL;
    size_t old_len = 0;
    char rerr[512];
    int rc = sess_read_file(path, &old, &old_len, rerr, sizeof rerr);
    if (rc != BB_OK && errno != ENOENT) return bb_err(err, errlen, rc, "%s", rerr);
    if (rc == BB_OK) {
        sess_session probe = {0};
        rc = parse_session(&probe, path, old, old_len, 0, rerr, sizeof rerr);
        session_clear(&probe);
        if (rc != BB_OK) {
            free(old);
            return bb_err(err, errlen, rc, "%s -- not overwritten; save the session elsewhere", rerr);
        }
        rc = bb_write_atomic(bak, old, old_len, err, errlen);
        free(old);
        if (rc != BB_OK) return rc;
    }
    time_t was = s->modified;
    s->modified = time(NULL);
    cJSON *root = session_to_json(s);
    if (!root) {
        s->modified = was;
        return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", path);
    }
    rc = sess_write_json(path, root, err, errlen);
    cJSON_Delete(root);
    if (rc != BB_OK) s->modified = was;
    return rc;
}

int sess_save(sess_session *s, char *err, size_t errlen) {
    if (s->read_only && s->locked_by)
        return bb_err(err, errlen, BB_EINVAL,
                      "%s: opened read-only (another bertbench, pid %ld, has it open); save it to another directory",
                      s->dir, s->locked_by);
    if (s->read_only)
        return bb_err(err, errlen, BB_EINVAL,
                      "%s: opened read-only (newer schema or from the backup); save it to another directory", s->dir);
    return save_to(s, s->dir, err, errlen);
}

/* dir with ".bbs" appended when it lacks it; malloc'd. */
static char *bbs_name(const char *dir) {
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/') n--;
    int has = n >= 4 && !strncmp(dir + n - 4, ".bbs", 4);
    char *out = malloc(n + 5);
    if (out) snprintf(out, n + 5, "%.*s%s", (int)n, dir, has ? "" : ".bbs");
    return out;
}

/* Makes dir and dir/runs; refuses a directory that already holds a session. */
static int make_session_dir(const char *dir, char *err, size_t errlen) {
    char path[4096];
    if (join(path, sizeof path, dir, "session.json") != BB_OK)
        return bb_err(err, errlen, BB_EINVAL, "%s: path too long", dir);
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return bb_err(err, errlen, BB_EIO, "%s: cannot create directory: %s", dir, strerror(errno));
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return bb_err(err, errlen, BB_EIO, "%s: exists and is not a directory", dir);
    if (stat(path, &st) == 0)
        return bb_err(err, errlen, BB_EINVAL, "%s: already holds a session; open it instead", dir);
    join(path, sizeof path, dir, "runs");
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        return bb_err(err, errlen, BB_EIO, "%s: cannot create directory: %s", path, strerror(errno));
    return BB_OK;
}

/* Takes DIR/session.lock for this process: BB_OK (fd in *fd), BB_EINVAL with the holder's pid in
 * *holder when another process has it, BB_EIO when the file cannot be made. */
static int lock_session(const char *dir, int *fd, long *holder, char *err, size_t errlen) {
    char path[4096 + 16];
    *fd = -1;
    *holder = 0;
    snprintf(path, sizeof path, "%s/session.lock", dir);
    int f = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (f < 0) return bb_err(err, errlen, BB_EIO, "%s: cannot create: %s", path, strerror(errno));
    if (flock(f, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        char pid[32] = "";
        ssize_t n = pread(f, pid, sizeof pid - 1, 0);
        close(f);
        if (e != EWOULDBLOCK) return bb_err(err, errlen, BB_EIO, "%s: cannot lock: %s", path, strerror(e));
        pid[n > 0 ? n : 0] = 0;
        *holder = strtol(pid, NULL, 10) > 0 ? strtol(pid, NULL, 10) : -1;
        return bb_err(err, errlen, BB_EINVAL, "%s is open in another bertbench (pid %ld)", dir, *holder);
    }
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    int told = ftruncate(f, 0) == 0 && pwrite(f, pid, (size_t)n, 0) == n;
    (void)told; /* the pid only names the holder in the other instance's message */
    *fd = f;
    return BB_OK;
}

int sess_new(sess_session **out, const char *dir, char *err, size_t errlen) {
    *out = NULL;
    sess_session *s = calloc(1, sizeof *s);
    if (!s || !(s->dir = bbs_name(dir)) || !(s->settings = cJSON_CreateObject())) {
        sess_free(s);
        return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", dir);
    }
    s->lock_fd = -1;
    s->schema_version = SESS_SCHEMA_VERSION;
    s->created = s->modified = time(NULL);
    long holder;
    int rc = make_session_dir(s->dir, err, errlen);
    if (rc == BB_OK) rc = lock_session(s->dir, &s->lock_fd, &holder, err, errlen);
    if (rc == BB_OK) rc = save_to(s, s->dir, err, errlen);
    if (rc != BB_OK) {
        sess_free(s);
        return rc;
    }
    *out = s;
    return BB_OK;
}

static int is_dir(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The session directory for PATH: PATH, PATH.bbs, or the directory of PATH/session.json. */
static char *resolve_dir(const char *path) {
    size_t n = strlen(path);
    const char *tail = "/session.json";
    size_t tn = strlen(tail);
    if (n > tn && !strcmp(path + n - tn, tail)) return strndup(path, n - tn);
    if (!strcmp(path, "session.json")) return strdup(".");
    char sj[4096 + 16];
    struct stat st;
    snprintf(sj, sizeof sj, "%s/session.json", path);
    if (stat(sj, &st) == 0) return strdup(path);
    char *b = bbs_name(path); /* "demo" opens demo.bbs unless demo/ itself holds a session */
    if (b && is_dir(b)) return b;
    free(b);
    return is_dir(path) ? strdup(path) : NULL;
}

int sess_open(sess_session **out, const char *path, int flags, char *err, size_t errlen) {
    *out = NULL;
    sess_session *s = calloc(1, sizeof *s);
    if (!s) return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", path);
    s->lock_fd = -1;
    if (!(s->dir = resolve_dir(path))) {
        free(s);
        return bb_err(err, errlen, BB_EIO, "%s: no such session (neither it nor %s.bbs is a directory)", path, path);
    }
    char file[4096 + 8];
    snprintf(file, sizeof file, "%s/session.json%s", s->dir, flags & SESS_OPEN_BACKUP ? ".bak" : "");
    char *buf;
    size_t len;
    int rc = sess_read_file(file, &buf, &len, err, errlen);
    if (rc == BB_OK) {
        rc = parse_session(s, file, buf, len, flags, err, errlen);
        free(buf);
    }
    if (rc != BB_OK) {
        struct stat st;
        size_t used = err ? strlen(err) : 0;
        snprintf(file, sizeof file, "%s/session.json.bak", s->dir);
        if (!(flags & SESS_OPEN_BACKUP) && err && used < errlen && stat(file, &st) == 0)
            snprintf(err + used, errlen - used, " (the previous copy is in session.json.bak)");
        sess_free(s);
        return rc;
    }
    if (flags & (SESS_OPEN_READ_ONLY | SESS_OPEN_BACKUP)) s->read_only = 1;
    if (!s->read_only) {
        char e[512];
        if (lock_session(s->dir, &s->lock_fd, &s->locked_by, e, sizeof e) != BB_OK) {
            /* another instance writes this session: reading is safe, writing would lose its changes */
            s->read_only = 1;
            if (!s->locked_by) s->locked_by = -1;
            sess_warn(s, "%s; opened read-only (`save DIR` keeps this copy's changes elsewhere)", e);
        }
    }
    sess_runs_load(s);
    *out = s;
    return BB_OK;
}

/* Copies src to dst atomically when src exists. */
static int copy_file(const char *src, const char *dst, char *err, size_t errlen) {
    char *buf;
    size_t len;
    if (sess_read_file(src, &buf, &len, err, errlen) != BB_OK) return errno == ENOENT ? BB_OK : BB_EIO;
    int rc = bb_write_atomic(dst, buf, len, err, errlen);
    free(buf);
    return rc;
}

int sess_save_as(sess_session *s, const char *dir, char *err, size_t errlen) {
    for (int i = 0; i < s->n_runs; i++)
        if (s->runs[i]->lock_fd >= 0)
            return bb_err(err, errlen, BB_EINVAL, "run %s is still running; stop it before saving elsewhere",
                          s->runs[i]->name);
    char *nd = bbs_name(dir);
    if (!nd) return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", dir);
    int rc = make_session_dir(nd, err, errlen);
    for (int i = 0; rc == BB_OK && i < s->n_runs; i++) {
        sess_run_load(s, s->runs[i]); /* every run is copied: this reads each run.json */
        const sess_run *r = s->runs[i];
        if (r->problem) continue;
        char src[4096], dst[4096];
        if (snprintf(dst, sizeof dst, "%s/runs/%s", nd, r->name) >= (int)sizeof dst) {
            rc = bb_err(err, errlen, BB_EINVAL, "%s: path too long", nd);
            break;
        }
        if (mkdir(dst, 0755) != 0 && errno != EEXIST) {
            rc = bb_err(err, errlen, BB_EIO, "%s: cannot create directory: %s", dst, strerror(errno));
            break;
        }
        if ((rc = sess_run_write(nd, r, err, errlen)) != BB_OK) break;
        size_t dl = strlen(dst);
        if (sess_run_file(s, r, "metrics.jsonl", src, sizeof src) != BB_OK ||
            (size_t)snprintf(dst + dl, sizeof dst - dl, "/metrics.jsonl") >= sizeof dst - dl) {
            rc = bb_err(err, errlen, BB_EINVAL, "%s: path too long", nd);
            break;
        }
        rc = copy_file(src, dst, err, errlen);
    }
    int fd = -1;
    long holder;
    if (rc == BB_OK) rc = lock_session(nd, &fd, &holder, err, errlen);
    if (rc == BB_OK) rc = save_to(s, nd, err, errlen);
    if (rc != BB_OK) {
        if (fd >= 0) close(fd);
        free(nd);
        return rc;
    }
    if (s->lock_fd >= 0) close(s->lock_fd);
    s->lock_fd = fd;
    s->locked_by = 0;
    free(s->dir);
    s->dir = nd;
    s->read_only = 0;
    s->schema_version = SESS_SCHEMA_VERSION;
    return BB_OK;
}

/* ---- mutators ---- */

static int replace_str(char **slot, const char *v) {
    char *d = NULL;
    if (v && !(d = strdup(v))) return BB_ENOMEM;
    free(*slot);
    *slot = d;
    return BB_OK;
}

int sess_set_model(sess_session *s, const char *model_dir) { return replace_str(&s->model, model_dir); }
int sess_set_tokenizer(sess_session *s, const char *tokenizer_path) {
    return replace_str(&s->tokenizer, tokenizer_path);
}

int sess_set_layout(sess_session *s, const cJSON *layout) {
    if (layout && !cJSON_IsObject(layout)) return BB_EINVAL;
    cJSON *d = NULL;
    if (layout && !(d = cJSON_Duplicate(layout, 1))) return BB_ENOMEM;
    cJSON_Delete(s->layout);
    s->layout = d;
    return BB_OK;
}

static int strv_push(char ***v, int *n, const char *x) {
    char *d = strdup(x);
    char **nv = d ? realloc(*v, (size_t)(*n + 1) * sizeof **v) : NULL;
    if (!nv) {
        free(d);
        return BB_ENOMEM;
    }
    nv[(*n)++] = d;
    *v = nv;
    return BB_OK;
}

int sess_history_add(sess_session *s, const char *line) {
    if (s->n_history >= SESS_HISTORY_MAX) {
        int drop = s->n_history - SESS_HISTORY_MAX + 1;
        for (int i = 0; i < drop; i++) free(s->history[i]);
        memmove(s->history, s->history + drop, (size_t)(s->n_history - drop) * sizeof *s->history);
        s->n_history -= drop;
    }
    return strv_push(&s->history, &s->n_history, line);
}

int sess_pin_add(sess_session *s, const char *text) { return strv_push(&s->pinned, &s->n_pinned, text); }

int sess_pin_remove(sess_session *s, int index) {
    if (index < 0 || index >= s->n_pinned) return BB_EINVAL;
    free(s->pinned[index]);
    memmove(s->pinned + index, s->pinned + index + 1, (size_t)(s->n_pinned - index - 1) * sizeof *s->pinned);
    s->n_pinned--;
    return BB_OK;
}

int sess_setting_set(sess_session *s, const char *key, const char *value) {
    cJSON_DeleteItemFromObjectCaseSensitive(s->settings, key);
    if (!value) return BB_OK;
    return cJSON_AddStringToObject(s->settings, key, value) ? BB_OK : BB_ENOMEM;
}

const char *sess_setting_get(const sess_session *s, const char *key) {
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(s->settings, key);
    return cJSON_IsString(j) ? j->valuestring : NULL;
}
