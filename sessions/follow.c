#include "follow.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bb_err.h"
#include "hf_state.h"
#include "run_metrics.h"
#include "sess_internal.h"
#include "session.h"
#include "tfevents.h"

enum { KIND_UNKNOWN, KIND_HF, KIND_TB, KIND_BB, KIND_BBS };
enum { SRC_NONE, SRC_EVENTS, SRC_STATE, SRC_METRICS };
enum { MAX_EVENT_FILES = 256, MAX_SCAN_DEPTH = 4, MAX_SCAN_ENTRIES = 20000 };

struct sess_follow {
    char *dir;
    int forced; /* KIND_* to read only, or KIND_UNKNOWN for any */
    int kind, source;
    /* event files, in the order found (names sorted within a directory: they start with the time) */
    tfev_file *ev[MAX_EVENT_FILES];
    int nev;
    char **rejected; /* files that are not event files (and will not become ones: complete first record) */
    int nrejected;
    /* trainer_state.json: the newest one, its stat and what it said */
    char state_path[4096], checkpoint[256];
    hf_state st;
    int have_state;
    struct timespec state_mtime;
    off_t state_size;
    /* metrics.jsonl (bertbench) */
    char run_dir[4096];
    off_t metrics_size;
    long metrics_rows, bad_lines;
    int torn_line;
    char run_status[32];
    int final_model;
    /* what each source gave, and the merged view the caller sees */
    run_series ev_s, st_s, mx_s, s;
    int dirty;
    run_series sent; /* per tag of s, one point: the last step handed to the caller's fn */
    time_t last_growth;
};

static time_t mtime_of(const struct stat *sb) { return sb->st_mtim.tv_sec; }

static void grew(sess_follow *f, const struct stat *sb) {
    if (mtime_of(sb) > f->last_growth) f->last_growth = mtime_of(sb);
}

static int deliver_ev(void *user, const char *tag, int64_t step, double wall, double value) {
    sess_follow *f = user;
    f->dirty = 1;
    return run_series_add(&f->ev_s, tag, (long)step, wall, value);
}

/* ---- event files ------------------------------------------------------------------------------ */

static int known_path(const sess_follow *f, const char *path) {
    for (int i = 0; i < f->nev; i++)
        if (strcmp(f->ev[i]->path, path) == 0) return 1;
    for (int i = 0; i < f->nrejected; i++)
        if (strcmp(f->rejected[i], path) == 0) return 1;
    return 0;
}

static void reject(sess_follow *f, const char *path) {
    char **r = realloc(f->rejected, sizeof *r * (size_t)(f->nrejected + 1));
    if (!r) return;
    f->rejected = r;
    if ((r[f->nrejected] = strdup(path))) f->nrejected++;
}

static int cmp_names(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void scan_events(sess_follow *f, const char *dir, int depth, int *budget) {
    DIR *d = opendir(dir);
    if (!d) return;
    char **names = NULL;
    int n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) && *budget > 0) {
        (*budget)--;
        if (e->d_name[0] == '.') continue;
        if (n == cap) {
            char **nn = realloc(names, sizeof *nn * (size_t)(cap = cap ? cap * 2 : 32));
            if (!nn) break;
            names = nn;
        }
        if ((names[n] = strdup(e->d_name))) n++;
    }
    closedir(d);
    if (n) qsort(names, (size_t)n, sizeof *names, cmp_names);
    for (int i = 0; i < n; i++) {
        char path[4096];
        struct stat sb;
        int len = snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (len >= (int)sizeof path || stat(path, &sb) != 0) continue;
        if (S_ISDIR(sb.st_mode)) {
            /* checkpoints hold model weights, never event files */
            if (depth < MAX_SCAN_DEPTH && strncmp(names[i], "checkpoint-", 11) != 0)
                scan_events(f, path, depth + 1, budget);
        } else if (S_ISREG(sb.st_mode) && sb.st_size >= 12 && f->nev < MAX_EVENT_FILES && !known_path(f, path)) {
            tfev_file *ev;
            char e2[256];
            if (tfev_sniff(path)) {
                if (tfev_file_open(&ev, path, e2, sizeof e2) == BB_OK) f->ev[f->nev++] = ev;
            } else if (sb.st_size >= 4096) {
                reject(f, path); /* a first record would have fit: it is not an event file */
            }
        }
    }
    for (int i = 0; i < n; i++) free(names[i]);
    free(names);
}

static int poll_events(sess_follow *f, char *err, size_t errlen) {
    for (int i = 0; i < f->nev; i++) {
        struct stat sb;
        if (stat(f->ev[i]->path, &sb) != 0) continue; /* removed: what it gave stays */
        grew(f, &sb);
        int rc = tfev_file_poll(f->ev[i], deliver_ev, f, err, errlen);
        if (rc != BB_OK) return rc;
    }
    return BB_OK;
}

/* ---- trainer_state.json ----------------------------------------------------------------------- */

/* log_history keys become the tags HF's TensorBoardCallback gives them, so that a directory reads
 * the same with or without its event files. */
static int state_row(void *user, long step, const char *const *keys, const double *values, int n) {
    sess_follow *f = user;
    for (int i = 0; i < n; i++) {
        char tag[256];
        hf_state_tb_tag(keys[i], tag, sizeof tag);
        if (run_series_add(&f->st_s, tag, step, NAN, values[i]) != BB_OK) return BB_ENOMEM;
    }
    return BB_OK;
}

/* The newest trainer_state.json: the highest checkpoint-N holding one, or DIR's own when it is at
 * least as far (Trainer.save_state() writes it there at the end). */
static void find_state(const sess_follow *f, char *path, size_t n, char *ckpt, size_t cn) {
    path[0] = ckpt[0] = 0;
    DIR *d = opendir(f->dir);
    if (!d) return;
    long best = -1;
    struct dirent *e;
    while ((e = readdir(d))) {
        char *end;
        if (strncmp(e->d_name, "checkpoint-", 11) != 0) continue;
        long k = strtol(e->d_name + 11, &end, 10);
        if (*end || end == e->d_name + 11 || k <= best) continue;
        char p[4096];
        if (snprintf(p, sizeof p, "%s/%s/trainer_state.json", f->dir, e->d_name) >= (int)sizeof p ||
            access(p, R_OK) != 0)
            continue;
        best = k;
        snprintf(path, n, "%s", p);
        snprintf(ckpt, cn, "%s", e->d_name);
    }
    closedir(d);
    char top[4096];
    hf_state st;
    char e2[256];
    if (snprintf(top, sizeof top, "%s/trainer_state.json", f->dir) < (int)sizeof top && access(top, R_OK) == 0 &&
        hf_state_read(&st, top, NULL, NULL, e2, sizeof e2) == BB_OK && st.global_step >= best) {
        snprintf(path, n, "%s", top);
        snprintf(ckpt, cn, ".");
    }
}

static int poll_state(sess_follow *f, char *err, size_t errlen) {
    char path[4096], ckpt[256];
    find_state(f, path, sizeof path, ckpt, sizeof ckpt);
    if (!path[0]) return BB_OK;
    struct stat sb;
    if (stat(path, &sb) != 0) return BB_OK;
    if (f->have_state && strcmp(path, f->state_path) == 0 && sb.st_size == f->state_size &&
        sb.st_mtim.tv_sec == f->state_mtime.tv_sec && sb.st_mtim.tv_nsec == f->state_mtime.tv_nsec)
        return BB_OK;
    grew(f, &sb);
    hf_state st;
    char e2[512];
    /* a checkpoint being written may not parse yet: keep the last good one and look again */
    if (hf_state_read(&st, path, NULL, NULL, e2, sizeof e2) != BB_OK) return BB_OK;
    run_series_free(&f->st_s);
    int rc = hf_state_read(&st, path, state_row, f, err, errlen);
    if (rc != BB_OK) return rc;
    f->st = st;
    f->dirty = 1;
    f->have_state = 1;
    snprintf(f->state_path, sizeof f->state_path, "%s", path);
    snprintf(f->checkpoint, sizeof f->checkpoint, "%s", ckpt);
    f->state_size = sb.st_size;
    f->state_mtime = sb.st_mtim;
    return BB_OK;
}

/* ---- bertbench: metrics.jsonl ----------------------------------------------------------------- */

/* A session's run to follow: the one whose metrics.jsonl was written last. */
static int pick_session_run(sess_follow *f) {
    char runs[3800];
    snprintf(runs, sizeof runs, "%s/runs", f->dir);
    DIR *d = opendir(runs);
    if (!d) return 0;
    time_t best = 0;
    long best_ns = -1;
    struct dirent *e;
    while ((e = readdir(d))) {
        char p[4096];
        struct stat sb;
        if (e->d_name[0] == '.' ||
            snprintf(p, sizeof p, "%s/%s/metrics.jsonl", runs, e->d_name) >= (int)sizeof p || stat(p, &sb) != 0)
            continue;
        if (sb.st_mtim.tv_sec > best || (sb.st_mtim.tv_sec == best && sb.st_mtim.tv_nsec > best_ns)) {
            best = sb.st_mtim.tv_sec, best_ns = sb.st_mtim.tv_nsec;
            snprintf(f->run_dir, sizeof f->run_dir, "%s/%s", runs, e->d_name);
        }
    }
    closedir(d);
    return best_ns >= 0;
}

static void read_run_status(sess_follow *f) {
    char p[4200];
    snprintf(p, sizeof p, "%s/run.json", f->run_dir);
    char *buf;
    size_t len;
    char e[256];
    f->run_status[0] = 0;
    if (sess_read_file(p, &buf, &len, e, sizeof e) == BB_OK) {
        cJSON *j = cJSON_ParseWithLength(buf, len);
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(j, "status");
        if (cJSON_IsString(s)) snprintf(f->run_status, sizeof f->run_status, "%s", s->valuestring);
        cJSON_Delete(j);
        free(buf);
    }
    snprintf(p, sizeof p, "%s/model.safetensors", f->run_dir);
    f->final_model = access(p, F_OK) == 0;
}

static int poll_metrics(sess_follow *f, char *err, size_t errlen) {
    char path[4200];
    struct stat sb;
    snprintf(path, sizeof path, "%s/metrics.jsonl", f->run_dir);
    read_run_status(f);
    if (stat(path, &sb) != 0 || sb.st_size == f->metrics_size) return BB_OK;
    grew(f, &sb);
    run_metrics_table s;
    int rc = run_metrics_read(&s, path, err, errlen);
    if (rc != BB_OK) return rc;
    if (s.n < f->metrics_rows) f->metrics_rows = 0; /* replaced by a shorter file */
    const double *step = run_metrics_col(&s, RUN_M_STEP);
    const double *el = run_metrics_col(&s, RUN_M_ELAPSED_S);
    for (long r = f->metrics_rows; r < s.n && rc == BB_OK; r++) {
        if (!step || !isfinite(step[r])) continue;
        for (int c = 0; c < s.ncols && rc == BB_OK; c++) {
            if (s.cols[c].v == step || isnan(s.cols[c].v[r])) continue;
            rc = run_series_add(&f->mx_s, s.cols[c].name, (long)step[r], el && isfinite(el[r]) ? el[r] : NAN,
                                s.cols[c].v[r]);
        }
    }
    f->dirty = 1;
    if (rc == BB_OK) {
        f->metrics_rows = s.n;
        f->metrics_size = sb.st_size;
        f->bad_lines = s.bad_lines;
        f->torn_line = s.torn_tail;
    }
    run_metrics_table_free(&s);
    return rc == BB_OK ? BB_OK : bb_err(err, errlen, rc, "%s: %s", path, bb_strerror(rc));
}

/* ---- the directory ---------------------------------------------------------------------------- */

static int file_in(const char *dir, const char *name) {
    char p[4200];
    struct stat sb;
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

static void detect(sess_follow *f) {
    if (f->kind == KIND_BB || f->kind == KIND_BBS) return;
    if (f->forced == KIND_UNKNOWN || f->forced == KIND_BB) {
        if (file_in(f->dir, "session.json") && pick_session_run(f)) {
            f->kind = KIND_BBS;
            return;
        }
        if (file_in(f->dir, "metrics.jsonl")) {
            snprintf(f->run_dir, sizeof f->run_dir, "%s", f->dir);
            f->kind = KIND_BB;
            return;
        }
        if (f->forced == KIND_BB) return;
    }
    int budget = MAX_SCAN_ENTRIES;
    scan_events(f, f->dir, 0, &budget);
    if (f->forced != KIND_TB && !f->have_state) {
        char path[4096], ckpt[256];
        find_state(f, path, sizeof path, ckpt, sizeof ckpt);
        if (path[0]) f->kind = KIND_HF;
    }
    if (f->kind == KIND_UNKNOWN && f->nev > 0) f->kind = KIND_TB;
}

/* The view: metrics.jsonl as it is; for HF dirs the newest log_history (what the trainer itself
 * recorded) up to its global_step, then the event files' points after it, which arrive every logging
 * step while checkpoints are rarer. */
static int merge(sess_follow *f) {
    run_series_free(&f->s);
    const run_series *a = f->source == SRC_METRICS ? &f->mx_s : f->have_state ? &f->st_s : NULL;
    const run_series *b = f->source == SRC_EVENTS ? &f->ev_s : NULL;
    long upto = a && b ? f->st.global_step : -1;
    for (int i = 0; a && i < a->ntags; i++) {
        const run_tag *t = &a->tags[i], *tb = b ? run_series_find(b, t->name) : NULL;
        long j = 0;
        for (long k = 0; k < t->n; k++) {
            /* log_history has no time: the event file's, at the same step */
            while (tb && j < tb->n && tb->step[j] < t->step[k]) j++;
            double wall = tb && j < tb->n && tb->step[j] == t->step[k] ? tb->wall[j] : t->wall[k];
            if (run_series_add(&f->s, t->name, t->step[k], wall, t->value[k])) return BB_ENOMEM;
        }
    }
    for (int i = 0; b && i < b->ntags; i++)
        for (long k = 0; k < b->tags[i].n; k++)
            if (b->tags[i].step[k] > upto &&
                run_series_add(&f->s, b->tags[i].name, b->tags[i].step[k], b->tags[i].wall[k], b->tags[i].value[k]))
                return BB_ENOMEM;
    return BB_OK;
}

/* Hands fn the points of the view past the last step it was given for their tag. */
static int emit(sess_follow *f, sess_follow_fn fn, void *user, long *fresh) {
    for (int i = 0; i < f->s.ntags; i++) {
        const run_tag *t = &f->s.tags[i];
        const run_tag *sent = run_series_find(&f->sent, t->name);
        long last = sent && sent->n ? sent->step[sent->n - 1] : -1;
        for (long k = 0; k < t->n; k++) {
            if (t->step[k] <= last) continue;
            int rc = fn ? fn(user, t->name, t->step[k], t->wall[k], t->value[k]) : BB_OK;
            if (rc != BB_OK) return rc;
            (*fresh)++;
            if (run_series_add(&f->sent, t->name, t->step[k], NAN, 0) != BB_OK) return BB_ENOMEM;
        }
    }
    return BB_OK;
}

int sess_follow_poll(sess_follow *f, sess_follow_fn fn, void *user, char *err, size_t errlen) {
    detect(f);
    if (f->source == SRC_NONE) {
        if (f->kind == KIND_BB || f->kind == KIND_BBS)
            f->source = SRC_METRICS;
        else if (f->nev > 0)
            f->source = SRC_EVENTS;
        else if (f->kind == KIND_HF)
            f->source = SRC_STATE;
    }
    if (f->source == SRC_STATE && f->nev > 0) f->source = SRC_EVENTS; /* the event file came after a checkpoint */
    int rc = BB_OK;
    if (f->source == SRC_METRICS) rc = poll_metrics(f, err, errlen);
    if (rc == BB_OK && f->source == SRC_EVENTS) rc = poll_events(f, err, errlen);
    if (rc == BB_OK && f->kind == KIND_HF) rc = poll_state(f, err, errlen);
    long fresh = 0;
    if (rc == BB_OK && f->dirty) {
        f->dirty = 0;
        if ((rc = merge(f)) != BB_OK || (rc = emit(f, fn, user, &fresh)) != BB_OK)
            rc = bb_err(err, errlen, rc, "%s: %s", f->dir, bb_strerror(rc));
    }
    return rc == BB_OK ? (int)(fresh > 1000000000 ? 1000000000 : fresh) : rc;
}

int sess_follow_open(sess_follow **out, const char *dir, const char *format, char *err, size_t errlen) {
    *out = NULL;
    int forced = KIND_UNKNOWN;
    if (format && strcmp(format, "auto") != 0) {
        if (strcmp(format, "hf-trainer") == 0) forced = KIND_HF;
        else if (strcmp(format, "tensorboard") == 0) forced = KIND_TB;
        else if (strcmp(format, "bertbench") == 0) forced = KIND_BB;
        else
            return bb_err(err, errlen, BB_EINVAL, "format '%s': expected auto, hf-trainer, tensorboard or bertbench",
                          format);
    }
    struct stat sb;
    if (stat(dir, &sb) != 0) return bb_err(err, errlen, BB_EIO, "%s: %s", dir, strerror(errno));
    if (!S_ISDIR(sb.st_mode)) return bb_err(err, errlen, BB_EINVAL, "%s: not a directory", dir);
    sess_follow *f = calloc(1, sizeof *f);
    if (!f || !(f->dir = strdup(dir))) {
        free(f);
        return bb_err(err, errlen, BB_ENOMEM, "out of memory");
    }
    size_t n = strlen(f->dir);
    while (n > 1 && f->dir[n - 1] == '/') f->dir[--n] = 0;
    f->forced = forced;
    *out = f;
    return BB_OK;
}

const run_series *sess_follow_series(const sess_follow *f) { return &f->s; }
const char *sess_follow_dir(const sess_follow *f) { return f->dir; }

const char *sess_follow_format(const sess_follow *f) {
    switch (f->kind) {
    case KIND_HF: return "hf-trainer";
    case KIND_TB: return "tensorboard";
    case KIND_BB: return "bertbench";
    case KIND_BBS: return "bertbench-session";
    default: return "unknown";
    }
}

long sess_follow_max_steps(const sess_follow *f) { return f->have_state ? f->st.max_steps : -1; }

static int finished(const sess_follow *f) {
    if (f->kind == KIND_HF) return f->have_state && f->st.max_steps > 0 && f->st.global_step >= f->st.max_steps;
    if (f->kind == KIND_BB || f->kind == KIND_BBS)
        return f->run_status[0] ? strcmp(f->run_status, "running") != 0 : f->final_model;
    return 0;
}

sess_follow_status sess_follow_status_at(const sess_follow *f, time_t now, int stale_s) {
    if (f->kind == KIND_UNKNOWN) return SESS_FOLLOW_WAITING;
    if (finished(f)) return SESS_FOLLOW_FINISHED;
    if (f->last_growth && stale_s > 0 && now - f->last_growth > stale_s) return SESS_FOLLOW_STALE;
    return SESS_FOLLOW_RUNNING;
}

const char *sess_follow_status_name(sess_follow_status st) {
    static const char *names[] = {"waiting", "running", "finished", "stale"};
    return st >= 0 && st <= SESS_FOLLOW_STALE ? names[st] : "?";
}

cJSON *sess_follow_meta_dup(const sess_follow *f, time_t now) {
    cJSON *m = cJSON_CreateObject();
    if (!m) return NULL;
    static const char *src[] = {"none", "tensorboard", "trainer_state", "metrics.jsonl"};
    cJSON_AddStringToObject(m, "source", f->source == SRC_EVENTS && f->have_state ? "trainer_state+tensorboard"
                                                                                    : src[f->source]);
    cJSON_AddNumberToObject(m, "last_step", (double)run_series_last_step(&f->s));
    cJSON_AddNumberToObject(m, "points", (double)f->s.points);
    if (f->last_growth) cJSON_AddNumberToObject(m, "seconds_since_growth", (double)(now - f->last_growth));
    if (f->nev) {
        cJSON *files = cJSON_AddArrayToObject(m, "event_files");
        long rec = 0, bad = 0, torn = 0;
        size_t dl = strlen(f->dir);
        for (int i = 0; i < f->nev; i++) {
            const char *p = f->ev[i]->path;
            cJSON_AddItemToArray(files, cJSON_CreateString(strncmp(p, f->dir, dl) == 0 && p[dl] == '/' ? p + dl + 1 : p));
            rec += f->ev[i]->records, bad += f->ev[i]->corrupt, torn += (long)f->ev[i]->torn_bytes;
        }
        cJSON_AddNumberToObject(m, "records", (double)rec);
        cJSON_AddNumberToObject(m, "corrupt_records", (double)bad);
        cJSON_AddNumberToObject(m, "torn_bytes", (double)torn);
    }
    if (f->have_state) {
        cJSON_AddStringToObject(m, "checkpoint", f->checkpoint);
        const char *keys[] = {"global_step", "max_steps", "logging_steps", "eval_steps", "save_steps",
                              "train_batch_size"};
        long vals[] = {f->st.global_step, f->st.max_steps,  f->st.logging_steps,
                       f->st.eval_steps,  f->st.save_steps, f->st.train_batch_size};
        for (int i = 0; i < 6; i++)
            if (vals[i] >= 0) cJSON_AddNumberToObject(m, keys[i], (double)vals[i]);
        if (isfinite(f->st.num_train_epochs)) cJSON_AddNumberToObject(m, "num_train_epochs", f->st.num_train_epochs);
        if (isfinite(f->st.epoch)) cJSON_AddNumberToObject(m, "epoch", f->st.epoch);
        cJSON_AddNumberToObject(m, "log_history_rows", (double)f->st.rows);
    }
    if (f->kind == KIND_BB || f->kind == KIND_BBS) {
        cJSON_AddStringToObject(m, "run_dir", f->run_dir);
        if (f->run_status[0]) cJSON_AddStringToObject(m, "run_status", f->run_status);
        cJSON_AddNumberToObject(m, "bad_lines", (double)f->bad_lines);
        cJSON_AddBoolToObject(m, "torn_line", f->torn_line);
    }
    return m;
}

void sess_follow_free(sess_follow *f) {
    if (!f) return;
    for (int i = 0; i < f->nev; i++) tfev_file_free(f->ev[i]);
    for (int i = 0; i < f->nrejected; i++) free(f->rejected[i]);
    free(f->rejected);
    run_series_free(&f->ev_s);
    run_series_free(&f->st_s);
    run_series_free(&f->mx_s);
    run_series_free(&f->s);
    run_series_free(&f->sent);
    free(f->dir);
    free(f);
}
