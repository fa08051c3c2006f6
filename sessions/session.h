/* session.h — a workbench session on disk: NAME.bbs/session.json plus runs/RUN/ (run.json, metrics.jsonl).
 *
 *     sess_session *s;
 *     char err[512];
 *     if (sess_open(&s, "demo.bbs", 0, err, sizeof err) != BB_OK) { show(err); ... }   // or sess_new
 *     if (s->warnings[0]) show(s->warnings);          // e.g. a run directory that has gone missing
 *     sess_history_add(s, "mask The cat sat on the [MASK].");
 *     sess_set_layout(s, layout_json);                // opaque to this library; the UI's own object
 *     sess_save(s, err, sizeof err);                  // session.json.bak <- old, session.json <- new
 *
 *     sess_run *r;                                     // a training run recorded in the session
 *     sess_run_create(s, "mlm-1", config_json, NULL, &r, err, sizeof err); // runs/mlm-1/run.json, running
 *     sess_run_file(s, r, "metrics.jsonl", path, sizeof path); // written with engine/runs/run_metrics.h
 *     sess_run_finish(s, r, SESS_RUN_FINISHED, NULL, summary_json, err, sizeof err);
 *     sess_free(s);
 *
 * Safety rules, all enforced here:
 * - Every file is written atomically (engine/io/atomic_file.h: temp file, fsync, rename, fsync dir).
 * - Before session.json is replaced, the file on disk is read back: if it parses it is copied to
 *   session.json.bak; if it is damaged or has a newer schema_version the save is refused and the file
 *   is left byte-identical (the caller may sess_save_as to another directory).
 * - sess_open on a damaged or newer file fails with "PATH: problem" and writes nothing. SESS_OPEN_READ_ONLY
 *   accepts a newer schema_version (fields this build knows are read; the session cannot be saved in
 *   place); SESS_OPEN_BACKUP reads session.json.bak instead (also read-only in place).
 * - One writer per session: sess_new / sess_open take an exclusive flock on DIR/session.lock (holding
 *   the pid). When another live process holds it, sess_open opens the session read-only, sets
 *   locked_by to that pid and says so in s->warnings; sess_save_as moves the lock to the new directory.
 * - Runs are read lazily: sess_open reads session.json and lists runs/ once (names only), so a session
 *   of 100k runs opens in a few file operations, not 3-4 per run. A run's run.json is read by
 *   sess_run_load (sess_run_find, sess_run_list and every function here that takes a run call it);
 *   until then only name and problem (a listed run whose directory is missing) are set.
 * - A run whose run.json says "running" but whose lock file (runs/RUN/lock, flock + pid) no live
 *   process holds is marked "interrupted" when it is loaded. A run listed in session.json whose
 *   directory (or run.json) is missing or damaged is kept in the list, flagged, named in s->warnings
 *   and never rewritten; the rest of the session opens.
 * - A run's metrics.jsonl is written and read by engine/runs/run_metrics.h (one line per fwrite +
 *   fflush, so kill -9 loses nothing an append returned; a torn final line is ignored).
 *
 * Errors follow bb_err.h: BB_OK or a negative code, and a one-line message naming the file.
 * A sess_session belongs to one thread (the UI's).
 * Creating a run does not save session.json: sess_open finds run directories it does not list.
 */
#ifndef BB_SESSION_H
#define BB_SESSION_H

#include <stddef.h>
#include <time.h>

#include <cjson/cJSON.h>

#define SESS_SCHEMA_VERSION 1
#define SESS_HISTORY_MAX 1000
#define SESS_RUN_NAME_MAX 64

typedef enum {
    SESS_RUN_RUNNING, SESS_RUN_FINISHED, SESS_RUN_FAILED, SESS_RUN_STOPPED, SESS_RUN_INTERRUPTED,
} sess_run_status;

const char *sess_run_status_name(sess_run_status st); /* "running", "finished", ... */
int sess_run_status_parse(const char *name);          /* -1 when unknown */

typedef struct {
    char *name;            /* directory under runs/ */
    sess_run_status status;
    time_t started, ended; /* ended: 0 while running */
    char *checkpoint_dir;  /* where checkpoints go; may be outside the session (--out) */
    char *last_checkpoint; /* NULL until one is saved */
    char *message;         /* why it failed / stopped / was interrupted; NULL */
    cJSON *config;         /* the caller's run config (task, model/init, data, hparams ...); owned */
    cJSON *summary;        /* final numbers the caller recorded at finish; owned, NULL */
    long pid;              /* process that started it (from run.json) */
    char *problem;         /* non-NULL: run.json missing/damaged; the run is listed but not usable */
    int lock_fd;           /* >= 0 while this process holds the run */
    int loaded;            /* the fields above status..problem hold run.json (sess_run_load) */
} sess_run;

enum { SESS_OPEN_READ_ONLY = 1, SESS_OPEN_BACKUP = 2 };

typedef struct {
    char *dir;              /* NAME.bbs */
    int schema_version;     /* as read (> SESS_SCHEMA_VERSION only with SESS_OPEN_READ_ONLY) */
    int read_only;          /* sess_save refuses; sess_save_as to a new directory clears it */
    time_t created, modified;
    char *model;            /* model directory, or NULL */
    char *tokenizer;        /* tokenizer path, or NULL (the model's own) */
    cJSON *layout;          /* the UI's pane layout object (layout, zoom, focus, per-pane settings); owned, NULL */
    cJSON *settings;        /* object of settings; owned, never NULL */
    char **history;         /* (n_history) oldest first, capped at SESS_HISTORY_MAX */
    int n_history;
    char **pinned;          /* (n_pinned) */
    int n_pinned;
    sess_run **runs;        /* (n_runs) in session.json order, then runs found on disk by name; the
                               sess_run objects stay at their address until sess_free */
    int n_runs;
    cJSON *extra;           /* top-level keys this build does not know, written back unchanged */
    int lock_fd;            /* >= 0: this process holds DIR/session.lock (flock + pid) */
    long locked_by;         /* > 0: another process held the lock at open, so the session is read-only */
    char warnings[2048];    /* non-fatal problems found at open, one per line; "" when none */
} sess_session;

/* Creates DIR (".bbs" appended when missing) with runs/ and an initial session.json. Refuses a
 * directory that already holds a session.json. */
int sess_new(sess_session **out, const char *dir, char *err, size_t errlen);
/* Opens DIR, DIR.bbs, or DIR/session.json. */
int sess_open(sess_session **out, const char *path, int flags, char *err, size_t errlen);
int sess_save(sess_session *s, char *err, size_t errlen);
/* Writes the session into a new directory (".bbs" appended when missing; must not hold a session yet),
 * copies each usable run's run.json and metrics.jsonl (not checkpoints: their paths are kept as they
 * are), and makes it the session's directory. The way out of a read-only session. */
int sess_save_as(sess_session *s, const char *dir, char *err, size_t errlen);
void sess_free(sess_session *s); /* releases run locks held by this process */

/* The directory for sessions nobody named (a `train` or `pin` in a workbench started without
 * --session): $XDG_DATA_HOME/bertbench/sessions, or ~/.local/share/bertbench/sessions when
 * XDG_DATA_HOME is unset, empty or relative; created with its parents (mode 0700). */
int sess_data_dir(char *buf, size_t n, char *err, size_t errlen);

/* Mutators (strings are copied). NULL clears model / tokenizer / layout. */
int sess_set_model(sess_session *s, const char *model_dir);
int sess_set_tokenizer(sess_session *s, const char *tokenizer_path);
int sess_set_layout(sess_session *s, const cJSON *layout); /* must be an object or NULL */
int sess_history_add(sess_session *s, const char *line);    /* drops the oldest beyond the cap */
int sess_pin_add(sess_session *s, const char *text);
int sess_pin_remove(sess_session *s, int index);
int sess_setting_set(sess_session *s, const char *key, const char *value); /* value NULL removes */
const char *sess_setting_get(const sess_session *s, const char *key);       /* NULL: absent / not a string */

/* ---- runs ---- */

/* Makes runs/NAME/ (NAME NULL: the next free "run-N") with run.json (status running, started now,
 * this pid) and takes its lock. config is copied; checkpoint_dir NULL means the run directory. */
int sess_run_create(sess_session *s, const char *name, const cJSON *config, const char *checkpoint_dir,
                    sess_run **out, char *err, size_t errlen);
/* Continues an interrupted/stopped/failed run: takes the lock, status running, ended cleared. */
int sess_run_resume(sess_session *s, sess_run *r, char *err, size_t errlen);
int sess_run_set_checkpoint(sess_session *s, sess_run *r, const char *path, char *err, size_t errlen);
/* Sets a number in the run's config (a figure known only once the run started, e.g. its total steps)
 * and writes run.json. */
int sess_run_set_config(sess_session *s, sess_run *r, const char *key, double value, char *err, size_t errlen);
/* Records the end (status not RUNNING), an optional message and summary (copied), releases the lock. */
int sess_run_finish(sess_session *s, sess_run *r, sess_run_status status, const char *message,
                    const cJSON *summary, char *err, size_t errlen);
/* Reads the run's run.json once (later calls do nothing): status, times, config, summary, or problem
 * (also named in s->warnings); a dead "running" run becomes interrupted (run.json rewritten unless
 * the session is read-only). */
void sess_run_load(sess_session *s, sess_run *r);
/* Re-scans runs/ for run directories not yet listed (e.g. written by another process), loads every
 * run (a file read per run not loaded yet) and gives s->runs / s->n_runs through runs / n (either may
 * be NULL). */
int sess_run_list(sess_session *s, sess_run ***runs, int *n, char *err, size_t errlen);
sess_run *sess_run_find(sess_session *s, const char *name); /* loaded; NULL when absent */
/* DIR/runs/NAME/FILE into buf; returns BB_EINVAL when it does not fit. */
int sess_run_file(const sess_session *s, const sess_run *r, const char *file, char *buf, size_t n);

#endif
