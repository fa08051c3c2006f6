/* run.c — runs/RUN/run.json and the run lock.
 *
 * A run that is being trained holds an exclusive flock on runs/RUN/lock (which also holds its pid, for
 * messages). The kernel drops the lock when the process dies however it dies, so "status running and
 * nobody holds the lock" means the process ended without recording an end: the run is interrupted. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bb_err.h"
#include "sess_internal.h"

static const char *const status_names[] = {"running", "finished", "failed", "stopped", "interrupted"};

const char *sess_run_status_name(sess_run_status st) {
    return (unsigned)st < sizeof status_names / sizeof *status_names ? status_names[st] : "unknown";
}

int sess_run_status_parse(const char *name) {
    for (int i = 0; i < (int)(sizeof status_names / sizeof *status_names); i++)
        if (!strcmp(name, status_names[i])) return i;
    return -1;
}

void sess_run_free(sess_run *r) {
    if (!r) return;
    free(r->name);
    free(r->checkpoint_dir);
    free(r->last_checkpoint);
    free(r->message);
    free(r->problem);
    cJSON_Delete(r->config);
    cJSON_Delete(r->summary);
    if (r->lock_fd >= 0) close(r->lock_fd);
    free(r);
}

int sess_run_file(const sess_session *s, const sess_run *r, const char *file, char *buf, size_t n) {
    int k = file ? snprintf(buf, n, "%s/runs/%s/%s", s->dir, r->name, file)
                 : snprintf(buf, n, "%s/runs/%s", s->dir, r->name);
    return k >= 0 && (size_t)k < n ? BB_OK : BB_EINVAL;
}

/* ---- run.json ---- */

static cJSON *run_to_json(const sess_run *r) {
    cJSON *j = cJSON_CreateObject();
    if (!j) return NULL;
    char t[32];
    int ok = cJSON_AddNumberToObject(j, "schema_version", SESS_SCHEMA_VERSION) != NULL;
    ok &= cJSON_AddStringToObject(j, "name", r->name) != NULL;
    ok &= cJSON_AddStringToObject(j, "status", sess_run_status_name(r->status)) != NULL;
    sess_time_format(r->started, t, sizeof t);
    ok &= cJSON_AddStringToObject(j, "started", t) != NULL;
    if (r->ended) sess_time_format(r->ended, t, sizeof t);
    ok &= (r->ended ? cJSON_AddStringToObject(j, "ended", t) : cJSON_AddNullToObject(j, "ended")) != NULL;
    ok &= cJSON_AddNumberToObject(j, "pid", (double)r->pid) != NULL;
    const char *keys[] = {"checkpoint_dir", "last_checkpoint", "message"};
    const char *vals[] = {r->checkpoint_dir, r->last_checkpoint, r->message};
    for (int i = 0; i < 3; i++)
        ok &= (vals[i] ? cJSON_AddStringToObject(j, keys[i], vals[i]) : cJSON_AddNullToObject(j, keys[i])) != NULL;
    cJSON *c = r->config ? cJSON_Duplicate(r->config, 1) : cJSON_CreateObject();
    ok &= c && cJSON_AddItemToObject(j, "config", c);
    cJSON *sm = r->summary ? cJSON_Duplicate(r->summary, 1) : cJSON_CreateNull();
    ok &= sm && cJSON_AddItemToObject(j, "summary", sm);
    if (!ok) {
        cJSON_Delete(j);
        return NULL;
    }
    return j;
}

int sess_run_write(const char *dir, const sess_run *r, char *err, size_t errlen) {
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/runs/%s/run.json", dir, r->name) >= sizeof path)
        return bb_err(err, errlen, BB_EINVAL, "%s: path too long", dir);
    cJSON *j = run_to_json(r);
    if (!j) return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", path);
    int rc = sess_write_json(path, j, err, errlen);
    cJSON_Delete(j);
    return rc;
}

static int opt_str(const cJSON *j, const char *key, char **out) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    if (!v || cJSON_IsNull(v)) return 0;
    if (!cJSON_IsString(v)) return -1;
    *out = strdup(v->valuestring);
    return *out ? 0 : -1;
}

/* Fills r from run.json text; returns NULL or a static description of the problem. */
static const char *parse_run(sess_run *r, const char *buf, size_t len) {
    cJSON *j = cJSON_ParseWithLength(buf, len);
    if (!j) return len ? "not valid JSON (truncated or damaged)" : "empty file";
    const char *why = NULL;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "schema_version");
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(j, "status");
    const cJSON *t0 = cJSON_GetObjectItemCaseSensitive(j, "started");
    const cJSON *t1 = cJSON_GetObjectItemCaseSensitive(j, "ended");
    const cJSON *pid = cJSON_GetObjectItemCaseSensitive(j, "pid");
    const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(j, "config");
    const cJSON *sum = cJSON_GetObjectItemCaseSensitive(j, "summary");
    if (!cJSON_IsObject(j))
        why = "not a JSON object";
    else if (!cJSON_IsNumber(v) || v->valueint < 1)
        why = "\"schema_version\" missing or not a positive integer";
    else if (v->valueint > SESS_SCHEMA_VERSION)
        why = "schema_version is newer than this bertbench reads";
    else if (!cJSON_IsString(st) || sess_run_status_parse(st->valuestring) < 0)
        why = "\"status\" missing or not one of running/finished/failed/stopped/interrupted";
    else if (!cJSON_IsString(t0) || sess_time_parse(t0->valuestring, &r->started) != 0)
        why = "\"started\" missing or not a UTC time";
    else if (t1 && !cJSON_IsNull(t1) && (!cJSON_IsString(t1) || sess_time_parse(t1->valuestring, &r->ended) != 0))
        why = "\"ended\" is not a UTC time or null";
    else if (pid && !(cJSON_IsNumber(pid) && pid->valuedouble >= 0 && pid->valuedouble <= INT32_MAX))
        why = "\"pid\" is not a process id";
    else if (cfg && !cJSON_IsObject(cfg))
        why = "\"config\" is not an object";
    else if (sum && !cJSON_IsNull(sum) && !cJSON_IsObject(sum))
        why = "\"summary\" is not an object or null";
    else if (opt_str(j, "checkpoint_dir", &r->checkpoint_dir) || opt_str(j, "last_checkpoint", &r->last_checkpoint) ||
             opt_str(j, "message", &r->message))
        why = "\"checkpoint_dir\", \"last_checkpoint\" and \"message\" must be strings or null";
    if (!why) {
        r->status = (sess_run_status)sess_run_status_parse(st->valuestring);
        r->pid = pid ? (long)pid->valuedouble : 0;
        r->config = cfg ? cJSON_Duplicate(cfg, 1) : cJSON_CreateObject();
        r->summary = sum && cJSON_IsObject(sum) ? cJSON_Duplicate(sum, 1) : NULL;
        if (!r->config) why = "out of memory";
    }
    cJSON_Delete(j);
    return why;
}

/* ---- locks ---- */

static int lock_path(const sess_session *s, const sess_run *r, char *buf, size_t n) {
    return sess_run_file(s, r, "lock", buf, n);
}

/* 1 when a live process holds the run's lock. */
static int lock_held(const sess_session *s, const sess_run *r) {
    char path[4096];
    if (lock_path(s, r, path, sizeof path) != BB_OK) return 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return 0;
    int held = flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    close(fd); /* also releases the probe's lock when it got it */
    return held;
}

static int lock_take(sess_session *s, sess_run *r, char *err, size_t errlen) {
    char path[4096];
    if (lock_path(s, r, path, sizeof path) != BB_OK) return bb_err(err, errlen, BB_EINVAL, "%s: path too long", s->dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return bb_err(err, errlen, BB_EIO, "%s: cannot open: %s", path, strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        char pid[32] = "";
        ssize_t k = pread(fd, pid, sizeof pid - 1, 0);
        pid[k > 0 ? k : 0] = 0;
        pid[strcspn(pid, "\n")] = 0;
        close(fd);
        return bb_err(err, errlen, BB_EINVAL, "run %s is in use by process %s", r->name, pid[0] ? pid : "(unknown)");
    }
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)n, 0) != n) {
        int e = errno;
        close(fd);
        return bb_err(err, errlen, BB_EIO, "%s: write failed: %s", path, strerror(e));
    }
    r->lock_fd = fd;
    return BB_OK;
}

static void lock_release(sess_run *r) {
    if (r->lock_fd >= 0) close(r->lock_fd);
    r->lock_fd = -1;
}

/* ---- loading ---- */

static time_t mtime_of(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? st.st_mtime : 0;
}

void sess_run_load(sess_session *s, sess_run *r) {
    if (r->loaded) return;
    r->loaded = 1;
    if (r->problem) return; /* its directory was missing at open */
    char path[4096], why[4096 + 600];
    why[0] = 0;
    if (sess_run_file(s, r, "run.json", path, sizeof path) != BB_OK) {
        snprintf(why, sizeof why, "runs/%s: path too long", r->name);
    } else {
        char *buf;
        size_t len;
        char rerr[512];
        if (sess_read_file(path, &buf, &len, rerr, sizeof rerr) != BB_OK) {
            snprintf(why, sizeof why, "%s", rerr);
        } else {
            const char *p = parse_run(r, buf, len);
            if (p) snprintf(why, sizeof why, "%s: %s; run left as it is", path, p);
            free(buf);
        }
    }
    if (why[0]) {
        r->problem = strdup(why);
        sess_warn(s, "%s", why);
        return;
    }
    if (r->status != SESS_RUN_RUNNING || lock_held(s, r)) return;
    r->status = SESS_RUN_INTERRUPTED;
    sess_run_file(s, r, "metrics.jsonl", path, sizeof path);
    time_t last = mtime_of(path);
    sess_run_file(s, r, "run.json", path, sizeof path);
    r->ended = last ? last : mtime_of(path);
    char msg[128];
    snprintf(msg, sizeof msg, "interrupted: process %ld ended without recording an end", r->pid);
    free(r->message);
    r->message = strdup(msg);
    char werr[512];
    if (!s->read_only && sess_run_write(s->dir, r, werr, sizeof werr) != BB_OK)
        sess_warn(s, "runs/%s: could not record the interruption: %s", r->name, werr);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }
static int cmp_run(const void *a, const void *b) {
    return strcmp((*(sess_run *const *)a)->name, (*(sess_run *const *)b)->name);
}

/* Lists runs/ once: adds run directories (holding run.json) that s does not list yet, by name, and
 * with mark_missing flags the listed runs that have no directory there. A listed run costs no file
 * operation: the directory's names are matched against the listed ones sorted once. */
static int scan_runs(sess_session *s, int mark_missing, char *err, size_t errlen) {
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/runs", s->dir) >= sizeof path)
        return bb_err(err, errlen, BB_EINVAL, "%s: path too long", s->dir);
    DIR *d = opendir(path);
    if (!d && errno != ENOENT) return bb_err(err, errlen, BB_EIO, "%s: %s", path, strerror(errno));
    char **found = NULL;
    int n = 0, rc = BB_OK;
    sess_run **known = malloc(sizeof *known * (size_t)(s->n_runs + 1));
    char *seen = calloc((size_t)s->n_runs + 1, 1);
    if (!known || !seen) {
        if (d) closedir(d);
        free(known), free(seen);
        return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", path);
    }
    memcpy(known, s->runs, sizeof *known * (size_t)s->n_runs);
    qsort(known, (size_t)s->n_runs, sizeof *known, cmp_run);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (!sess_run_name_valid(e->d_name)) continue;
        sess_run key = {.name = e->d_name}, *kp = &key;
        sess_run **hit = bsearch(&kp, known, (size_t)s->n_runs, sizeof *known, cmp_run);
        if (hit) {
            seen[hit - known] = 1;
            continue;
        }
        char rj[4096 + 300];
        struct stat st;
        snprintf(rj, sizeof rj, "%s/%s/run.json", path, e->d_name);
        if (stat(rj, &st) != 0) continue;
        char **nf = (n & (n - 1)) == 0 ? realloc(found, (size_t)(n ? 2 * n : 1) * sizeof *found) : found;
        if (!nf || !(nf[n] = strdup(e->d_name))) {
            found = nf ? nf : found;
            rc = bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", path);
            break;
        }
        found = nf;
        n++;
    }
    if (d) closedir(d);
    for (int i = 0; mark_missing && i < s->n_runs; i++) {
        sess_run *r = known[i];
        if (seen[i] || r->loaded || r->problem) continue;
        char why[600];
        snprintf(why, sizeof why, "runs/%s: directory missing (listed in session.json)", r->name);
        r->problem = strdup(why);
        r->loaded = 1;
        sess_warn(s, "%s", why);
    }
    free(known);
    free(seen);
    if (n) qsort(found, (size_t)n, sizeof *found, cmp_str);
    sess_run **nr = rc == BB_OK ? realloc(s->runs, (size_t)(s->n_runs + n + 1) * sizeof *s->runs) : NULL;
    if (rc == BB_OK && !nr) rc = bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", path);
    if (nr) s->runs = nr;
    for (int i = 0; i < n; i++) {
        sess_run *r = rc == BB_OK ? calloc(1, sizeof *r) : NULL;
        if (!r) {
            free(found[i]);
            if (rc == BB_OK) rc = bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", path);
            continue;
        }
        r->lock_fd = -1;
        r->name = found[i];
        s->runs[s->n_runs++] = r;
    }
    free(found);
    return rc;
}

void sess_runs_load(sess_session *s) {
    char err[512];
    if (scan_runs(s, 1, err, sizeof err) != BB_OK) sess_warn(s, "%s", err);
}

int sess_run_list(sess_session *s, sess_run ***runs, int *n, char *err, size_t errlen) {
    int rc = scan_runs(s, 0, err, errlen);
    for (int i = 0; i < s->n_runs; i++) sess_run_load(s, s->runs[i]);
    if (runs) *runs = s->runs;
    if (n) *n = s->n_runs;
    return rc;
}

sess_run *sess_run_find(sess_session *s, const char *name) {
    for (int i = 0; i < s->n_runs; i++)
        if (!strcmp(s->runs[i]->name, name)) {
            sess_run_load(s, s->runs[i]);
            return s->runs[i];
        }
    return NULL;
}

/* ---- lifecycle ---- */

static int writable(sess_session *s, sess_run *r, char *err, size_t errlen) {
    if (r) sess_run_load(s, r);
    if (s->read_only) return bb_err(err, errlen, BB_EINVAL, "%s: session is read-only", s->dir);
    if (r && r->problem) return bb_err(err, errlen, BB_EINVAL, "%s", r->problem);
    return BB_OK;
}

int sess_run_create(sess_session *s, const char *name, const cJSON *config, const char *checkpoint_dir,
                    sess_run **out, char *err, size_t errlen) {
    *out = NULL;
    int rc = writable(s, NULL, err, errlen);
    if (rc != BB_OK) return rc;
    if (config && !cJSON_IsObject(config)) return bb_err(err, errlen, BB_EINVAL, "run config must be a JSON object");
    char auto_name[32], path[4096];
    if (!name) {
        /* the taken names sorted once: a session of 20k runs named run-N is not 2e8 comparisons */
        char **taken = malloc(sizeof *taken * (size_t)(s->n_runs + 1));
        if (!taken) return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", s->dir);
        for (int i = 0; i < s->n_runs; i++) taken[i] = s->runs[i]->name;
        qsort(taken, (size_t)s->n_runs, sizeof *taken, cmp_str);
        for (int k = 1;; k++) {
            snprintf(auto_name, sizeof auto_name, "run-%d", k);
            if ((size_t)snprintf(path, sizeof path, "%s/runs/%s", s->dir, auto_name) >= sizeof path) {
                free(taken);
                return bb_err(err, errlen, BB_EINVAL, "%s: path too long", s->dir);
            }
            const char *key = auto_name;
            if (!bsearch(&key, taken, (size_t)s->n_runs, sizeof *taken, cmp_str) && mtime_of(path) == 0) break;
        }
        free(taken);
        name = auto_name;
    }
    if (!sess_run_name_valid(name))
        return bb_err(err, errlen, BB_EINVAL, "run name \"%s\": use letters, digits, '.', '-', '_' (at most %d)", name,
                      SESS_RUN_NAME_MAX);
    for (int i = 0; i < s->n_runs; i++)
        if (!strcmp(s->runs[i]->name, name)) return bb_err(err, errlen, BB_EINVAL, "run %s already exists", name);
    if ((size_t)snprintf(path, sizeof path, "%s/runs", s->dir) >= sizeof path)
        return bb_err(err, errlen, BB_EINVAL, "%s: path too long", s->dir);
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        return bb_err(err, errlen, BB_EIO, "%s: cannot create directory: %s", path, strerror(errno));
    if ((size_t)snprintf(path, sizeof path, "%s/runs/%s", s->dir, name) >= sizeof path)
        return bb_err(err, errlen, BB_EINVAL, "%s: path too long", s->dir);
    if (mkdir(path, 0755) != 0)
        return bb_err(err, errlen, errno == EEXIST ? BB_EINVAL : BB_EIO, "%s: cannot create: %s", path,
                      errno == EEXIST ? "a run of that name exists" : strerror(errno));
    sess_run **nr = realloc(s->runs, (size_t)(s->n_runs + 1) * sizeof *s->runs);
    if (nr) s->runs = nr;
    sess_run *r = nr ? calloc(1, sizeof *r) : NULL;
    if (!r) {
        rmdir(path);
        return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", path);
    }
    r->lock_fd = -1;
    r->loaded = 1;
    r->name = strdup(name);
    r->config = config ? cJSON_Duplicate(config, 1) : cJSON_CreateObject();
    r->checkpoint_dir = strdup(checkpoint_dir ? checkpoint_dir : path);
    r->status = SESS_RUN_RUNNING;
    r->started = time(NULL);
    r->pid = (long)getpid();
    if (!r->name || !r->config || !r->checkpoint_dir)
        rc = bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", path);
    if (rc == BB_OK) rc = lock_take(s, r, err, errlen);
    if (rc == BB_OK) rc = sess_run_write(s->dir, r, err, errlen);
    if (rc != BB_OK) {
        char lp[4096 + 8];
        snprintf(lp, sizeof lp, "%s/lock", path);
        unlink(lp);
        sess_run_free(r);
        rmdir(path);
        return rc;
    }
    s->runs[s->n_runs++] = r;
    *out = r;
    return BB_OK;
}

int sess_run_resume(sess_session *s, sess_run *r, char *err, size_t errlen) {
    int rc = writable(s, r, err, errlen);
    if (rc != BB_OK) return rc;
    if (r->lock_fd >= 0) return bb_err(err, errlen, BB_EINVAL, "run %s is already running", r->name);
    if ((rc = lock_take(s, r, err, errlen)) != BB_OK) return rc;
    sess_run was = *r;
    r->status = SESS_RUN_RUNNING;
    r->ended = 0;
    r->pid = (long)getpid();
    r->message = NULL;
    if ((rc = sess_run_write(s->dir, r, err, errlen)) != BB_OK) {
        lock_release(r);
        r->status = was.status, r->ended = was.ended, r->pid = was.pid, r->message = was.message;
        return rc;
    }
    free(was.message);
    return BB_OK;
}

int sess_run_set_config(sess_session *s, sess_run *r, const char *key, double value, char *err, size_t errlen) {
    int rc = writable(s, r, err, errlen);
    if (rc != BB_OK) return rc;
    if (!r->config && !(r->config = cJSON_CreateObject())) return bb_err(err, errlen, BB_ENOMEM, "out of memory");
    cJSON_DeleteItemFromObjectCaseSensitive(r->config, key);
    if (!cJSON_AddNumberToObject(r->config, key, value)) return bb_err(err, errlen, BB_ENOMEM, "out of memory");
    return sess_run_write(s->dir, r, err, errlen);
}

int sess_run_set_checkpoint(sess_session *s, sess_run *r, const char *path, char *err, size_t errlen) {
    int rc = writable(s, r, err, errlen);
    if (rc != BB_OK) return rc;
    char *d = strdup(path);
    if (!d) return bb_err(err, errlen, BB_ENOMEM, "out of memory");
    free(r->last_checkpoint);
    r->last_checkpoint = d;
    return sess_run_write(s->dir, r, err, errlen);
}

int sess_run_finish(sess_session *s, sess_run *r, sess_run_status status, const char *message, const cJSON *summary,
                    char *err, size_t errlen) {
    int rc = writable(s, r, err, errlen);
    if (rc != BB_OK) return rc;
    if (status == SESS_RUN_RUNNING || (unsigned)status > SESS_RUN_INTERRUPTED)
        return bb_err(err, errlen, BB_EINVAL, "run %s: finish needs an end status, not %s", r->name,
                      sess_run_status_name(status));
    if (r->lock_fd < 0 && r->status == SESS_RUN_RUNNING)
        return bb_err(err, errlen, BB_EINVAL, "run %s is running in process %ld", r->name, r->pid);
    if (summary && !cJSON_IsObject(summary))
        return bb_err(err, errlen, BB_EINVAL, "run %s: summary must be a JSON object", r->name);
    char *m = message ? strdup(message) : NULL;
    cJSON *sm = summary ? cJSON_Duplicate(summary, 1) : NULL;
    if ((message && !m) || (summary && !sm)) {
        free(m);
        cJSON_Delete(sm);
        return bb_err(err, errlen, BB_ENOMEM, "out of memory");
    }
    free(r->message);
    r->message = m;
    if (sm) {
        cJSON_Delete(r->summary);
        r->summary = sm;
    }
    r->status = status;
    r->ended = time(NULL);
    rc = sess_run_write(s->dir, r, err, errlen);
    lock_release(r);
    return rc;
}
