/* The workbench's session: `--session PATH`, `save [PATH]`, `open PATH`, autosave every minute and at
 * exit, history and pinned texts, the layout and the training view saved as the session's layout object. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <readline/history.h>

#include "bb_file.h"
#include "ui_pane_tokens.h"
#include "ui_pane_train.h"
#include "ui_session.h"

enum { AUTOSAVE_S = 60 };
/* Runs read at open to offer an interrupted one for `resume`: the newest (a killed workbench's run is
 * the last it made or the one it showed), not all of a session that lists 100k. */
enum { RESUME_SCAN = 16 };

ui_sess *ui_sess_new(void) {
    ui_sess *u = calloc(1, sizeof *u);
    if (u) u->cur = -1, u->ema = 0.6;
    return u;
}

void ui_sess_free(ui_sess *u) {
    if (!u) return;
    char err[256];
    trainer_free(u->t);
    trainer_free(u->retired); /* NULL once the jobs that held it are done, as they are by now */
    run_confusion_free(&u->conf);
    if (u->mirror) run_metrics_close(u->mirror, err, sizeof err);
    ui_sess_free_runs(u);
    sess_free(u->s);
    for (int i = 0; i < u->n_pending; i++) free(u->pending[i]);
    free(u->pending);
    for (int i = 0; i < u->argc; i++) free(u->argv[i]);
    free(u->argv);
    free(u);
}

ui_sess *ui_sess_of(ui_app *app) { return app->sess; }

/* ---- layout <-> JSON -------------------------------------------------------------------------- */

static cJSON *layout_json(ui_app *app, ui_sess *u) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "layout", ui_layout_name(app->layout));
    cJSON_AddBoolToObject(o, "zoom", app->zoom);
    cJSON_AddNumberToObject(o, "focus", app->focus);
    cJSON_AddBoolToObject(o, "show_ws", app->show_ws);
    cJSON_AddItemToObject(o, "tokens", ui_tokens_settings_json(ui_app_pane_of(app, &ui_tokens_pane)));
    cJSON *panes = cJSON_AddObjectToObject(o, "panes");
    for (int i = 0; panes && i < app->n_panes; i++) {
        const ui_pane_class *k = app->panes[i].cls;
        cJSON *ps = k->save ? k->save(&app->panes[i]) : NULL;
        if (ps) cJSON_AddItemToObject(panes, k->name, ps);
    }
    cJSON *slots = cJSON_AddArrayToObject(o, "slots");
    for (int i = 0; i < 4; i++) cJSON_AddItemToArray(slots, cJSON_CreateString(app->panes[app->slots[i]].cls->name));
    cJSON *t = cJSON_AddObjectToObject(o, "train");
    cJSON_AddNumberToObject(t, "smooth", u->ema);
    cJSON_AddNumberToObject(t, "skip", (double)u->skip);
    cJSON_AddNumberToObject(t, "last", (double)u->last_n);
    cJSON_AddBoolToObject(t, "log", u->log_y);
    cJSON_AddStringToObject(t, "x", u->x_time ? "time" : "step");
    cJSON_AddBoolToObject(t, "table", u->table);
    if (u->cur >= 0 && u->cur < u->n_runs) cJSON_AddStringToObject(t, "run", u->runs[u->cur].run->name);
    cJSON *shown = cJSON_AddArrayToObject(t, "shown");
    for (int i = 0; i < u->n_runs; i++)
        if (u->runs[i].shown) cJSON_AddItemToArray(shown, cJSON_CreateString(u->runs[i].run->name));
    ui_follow_save(u, t);
    return o;
}

/* A number of o in [lo, hi], else dflt: checked before any conversion (a hand-edited 1e300 would
 * otherwise be an undefined cast and come back as -9.2e18). */
static double num(const cJSON *o, const char *k, double lo, double hi, double dflt) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) && v->valuedouble >= lo && v->valuedouble <= hi ? v->valuedouble : dflt;
}

enum { COUNT_MAX = 1000000000 }; /* steps to skip / last steps shown: far beyond any run */

/* Applies what it understands of a layout object; anything else keeps its current value. */
static void layout_apply(ui_app *app, ui_sess *u, const cJSON *o) {
    if (!cJSON_IsObject(o)) return;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "layout");
    for (int i = 0; cJSON_IsString(v) && i < UI_LAYOUT_COUNT; i++)
        if (strcmp(v->valuestring, ui_layout_name(i)) == 0) app->layout = i;
    app->zoom = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "zoom"));
    app->show_ws = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "show_ws"));
    ui_tokens_settings_apply(app, ui_app_pane_of(app, &ui_tokens_pane), cJSON_GetObjectItemCaseSensitive(o, "tokens"));
    const cJSON *panes = cJSON_GetObjectItemCaseSensitive(o, "panes");
    for (int i = 0; cJSON_IsObject(panes) && i < app->n_panes; i++) {
        const ui_pane_class *k = app->panes[i].cls;
        const cJSON *ps = cJSON_GetObjectItemCaseSensitive(panes, k->name);
        if (k->restore && cJSON_IsObject(ps)) k->restore(app, &app->panes[i], ps);
    }
    const cJSON *slots = cJSON_GetObjectItemCaseSensitive(o, "slots");
    if (cJSON_IsArray(slots) && cJSON_GetArraySize(slots) == 4) {
        int idx[4], ok = 1;
        for (int i = 0; i < 4 && ok; i++) {
            const cJSON *s = cJSON_GetArrayItem(slots, i);
            ui_pane *p = cJSON_IsString(s) ? ui_app_pane(app, s->valuestring) : NULL;
            idx[i] = p ? (int)(p - app->panes) : -1;
            ok = idx[i] >= 0;
            for (int j = 0; j < i && ok; j++) ok = idx[j] != idx[i];
        }
        if (ok) memcpy(app->slots, idx, sizeof idx);
    }
    app->focus = (int)num(o, "focus", 0, 3, 0);
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "train");
    if (!cJSON_IsObject(t)) return;
    double e = num(t, "smooth", 0, 1, u->ema);
    if (e < 1) u->ema = e;
    u->skip = (long)num(t, "skip", 0, COUNT_MAX, (double)u->skip);
    u->last_n = (long)num(t, "last", 0, COUNT_MAX, (double)u->last_n);
    u->log_y = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "log"));
    u->table = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "table"));
    v = cJSON_GetObjectItemCaseSensitive(t, "x");
    u->x_time = cJSON_IsString(v) && strcmp(v->valuestring, "time") == 0;
    v = cJSON_GetObjectItemCaseSensitive(t, "run");
    for (int i = 0; cJSON_IsString(v) && i < u->n_runs; i++)
        if (strcmp(u->runs[i].run->name, v->valuestring) == 0) u->cur = i;
    const cJSON *shown = cJSON_GetObjectItemCaseSensitive(t, "shown"), *s;
    cJSON_ArrayForEach(s, shown) {
        for (int i = 0; cJSON_IsString(s) && i < u->n_runs; i++)
            if (strcmp(u->runs[i].run->name, s->valuestring) == 0) u->runs[i].shown = 1;
    }
}

/* ---- save / open ------------------------------------------------------------------------------ */

int ui_sess_save(ui_app *app, char *err, size_t errlen) {
    ui_sess *u = ui_sess_of(app);
    if (!u->s) return bb_err(err, errlen, BB_EINVAL, "save: no session yet; `save PATH` makes one");
    if (app->model_dir[0] || !u->keep_model) sess_set_model(u->s, app->model_dir[0] ? app->model_dir : NULL);
    sess_set_tokenizer(u->s, app->vocab_path[0] ? app->vocab_path : NULL);
    cJSON *l = layout_json(app, u);
    int rc = l ? sess_set_layout(u->s, l) : BB_ENOMEM;
    cJSON_Delete(l);
    if (rc != BB_OK) return bb_err(err, errlen, rc, "save: out of memory");
    rc = sess_save(u->s, err, errlen);
    u->last_save = time(NULL);
    u->save_failed = rc != BB_OK;
    return rc;
}

static void flush_pending(ui_sess *u) {
    for (int i = 0; i < u->n_pending; i++) {
        if (u->s) sess_history_add(u->s, u->pending[i]);
        free(u->pending[i]);
    }
    free(u->pending);
    u->pending = NULL;
    u->n_pending = 0;
}

/* DATA_DIR/bertbench-YYYYmmdd-HHMMSS.bbs (sess_data_dir), with -2, -3 ... when that one exists (two
 * workbenches started in the same second). */
static int default_session_path(char *buf, size_t n, char *err, size_t errlen) {
    char base[4096], stamp[64];
    int rc = sess_data_dir(base, sizeof base, err, errlen);
    if (rc != BB_OK) return rc;
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    snprintf(buf, n, "%s/bertbench-%s.bbs", base, stamp);
    for (int k = 2; bb_path_exists(buf) && k < 1000; k++) snprintf(buf, n, "%s/bertbench-%s-%d.bbs", base, stamp, k);
    return BB_OK;
}

int ui_sess_ensure(ui_app *app, const char *dir, char *err, size_t errlen) {
    ui_sess *u = ui_sess_of(app);
    if (u->s) return BB_OK;
    char name[4400];
    if (!dir) { /* a session nobody named goes to the data directory, not into the current one */
        int rc = default_session_path(name, sizeof name, err, errlen);
        if (rc != BB_OK) return rc;
        dir = name;
    }
    int rc = sess_new(&u->s, dir, err, errlen);
    if (rc != BB_OK) return rc;
    flush_pending(u);
    rc = ui_sess_save(app, err, errlen);
    if (rc == BB_OK && dir == name) ui_app_message(app, 0, "runs are recorded in the new session %s", u->s->dir);
    return rc;
}

/* Makes s the app's session: model, tokenizer, history, layout, runs. */
static void restore(ui_app *app, ui_sess *u, sess_session *s) {
    char err[512];
    ui_sess_free_runs(u);
    sess_free(u->s);
    u->s = s;
    flush_pending(u);
    clear_history();
    for (int i = 0; i < s->n_history; i++) add_history(s->history[i]);
    if (ui_sess_load_runs(u, err, sizeof err) != BB_OK) ui_app_message(app, 1, "%s", err);
    ui_follow_restore(app, u, s->layout);
    layout_apply(app, u, s->layout);
    if (s->tokenizer) snprintf(app->vocab_path, sizeof app->vocab_path, "%s", s->tokenizer);
    u->keep_model = s->model != NULL;
    char model_msg[1200] = "";
    struct stat mst;
    int missing = s->model && stat(s->model, &mst) != 0;
    if (missing)
        snprintf(model_msg, sizeof model_msg, "the session's model %.600s is missing (%s); its path stays recorded "
                 "until you load another model", s->model, strerror(errno));
    if (s->model && !missing && strcmp(s->model, app->model_dir) != 0) {
        if (ui_app_load(app, s->model, err, sizeof err) != BB_OK) ui_app_message(app, 1, "%s", err);
    } else if (s->tokenizer && ui_app_load_vocab(app, s->tokenizer, err, sizeof err) != BB_OK) {
        ui_app_message(app, 1, "%s", err);
    }
    u->last_save = time(NULL);
    /* what to say: a problem first, then an interrupted run to resume, else what was opened */
    char msg[512] = "";
    for (int i = u->n_runs - 1, seen = 0; i >= 0 && !msg[0]; i--) {
        if (ui_run_external(u, i) || (seen++ >= RESUME_SCAN && i != u->cur)) continue;
        const sess_run *r = ui_run_ready(u, i)->run;
        if (r->status != SESS_RUN_INTERRUPTED) continue;
        long step = u->runs[i].cv.n ? (long)u->runs[i].cv.step[u->runs[i].cv.n - 1] : 0;
        if (r->last_checkpoint)
            snprintf(msg, sizeof msg, "run %s was interrupted at step %ld: `resume %s` continues from %s", r->name,
                     step, r->name, r->last_checkpoint);
        else
            snprintf(msg, sizeof msg, "run %s was interrupted at step %ld (no checkpoint to resume from)", r->name,
                     step);
    }
    if (s->warnings[0]) {
        char w[512];
        snprintf(w, sizeof w, "%.500s", s->warnings);
        char *nl = strchr(w, '\n');
        if (nl) *nl = 0;
        ui_app_message(app, 1, "%s", w);
    } else if (model_msg[0]) {
        ui_app_message(app, 1, "%s", model_msg);
    } else if (msg[0]) {
        ui_app_message(app, 0, "%s", msg);
        ui_app_show(app, ui_app_pane_of(app, &ui_train_pane));
    } else {
        ui_app_message(app, 0, "session %s: %d runs, %d history lines, %d pinned", s->dir, s->n_runs, s->n_history,
                       s->n_pinned);
    }
}

void ui_sess_start(ui_app *app, const char *path) {
    ui_sess *u = ui_sess_of(app);
    char err[512];
    struct stat st;
    char alt[4096];
    snprintf(alt, sizeof alt, "%s.bbs", path);
    if (stat(path, &st) != 0 && stat(alt, &st) != 0) {
        if (sess_new(&u->s, path, err, sizeof err) != BB_OK)
            ui_app_message(app, 1, "session: %s", err);
        else
            ui_app_message(app, 0, "new session %s", u->s->dir);
        return;
    }
    sess_session *s;
    if (sess_open(&s, path, 0, err, sizeof err) != BB_OK) {
        ui_app_message(app, 1, "session not opened: %s; nothing was changed on disk", err);
        return;
    }
    restore(app, u, s);
}

int ui_cmd_save(ui_app *app, const char *args, char *err, size_t errlen) {
    ui_sess *u = ui_sess_of(app);
    char path[4096] = "";
    sscanf(args, "%4095s", path);
    if (!*path) {
        int rc = ui_sess_save(app, err, errlen);
        if (rc == BB_OK) ui_app_message(app, 0, "saved %s", u->s->dir);
        return rc;
    }
    if (!u->s) {
        int rc = ui_sess_ensure(app, path, err, errlen);
        if (rc == BB_OK) ui_app_message(app, 0, "saved %s", u->s->dir);
        return rc;
    }
    if (u->t || u->starting)
        return bb_err(err, errlen, BB_EINVAL, "save: a run is writing into %s; stop it before saving elsewhere",
                      u->s->dir);
    int rc = ui_sess_save(app, err, errlen);
    if (rc != BB_OK && !u->s->read_only) return rc;
    if ((rc = sess_save_as(u->s, path, err, errlen)) != BB_OK) return rc;
    rc = ui_sess_save(app, err, errlen);
    if (rc == BB_OK)
        ui_app_message(app, 0, "saved as %s (runs' metrics copied; checkpoints stay where they are)", u->s->dir);
    return rc;
}

int ui_cmd_open(ui_app *app, const char *args, char *err, size_t errlen) {
    ui_sess *u = ui_sess_of(app);
    char path[4096] = "";
    sscanf(args, "%4095s", path);
    if (!*path) return bb_err(err, errlen, BB_EINVAL, "open: give a session directory (NAME.bbs)");
    if (u->t || u->starting) return bb_err(err, errlen, BB_EINVAL, "open: a run is training; stop it first");
    sess_session *s;
    int rc = sess_open(&s, path, 0, err, errlen);
    if (rc != BB_OK) return rc;
    char e[512];
    if (u->s && !u->s->read_only && ui_sess_save(app, e, sizeof e) != BB_OK) {
        sess_free(s);
        return bb_err(err, errlen, BB_EIO, "open: the current session could not be saved first: %s", e);
    }
    restore(app, u, s);
    return BB_OK;
}

/* ---- history and pins ------------------------------------------------------------------------- */

void ui_sess_record(ui_app *app, const char *line) {
    ui_sess *u = ui_sess_of(app);
    while (isspace((unsigned char)*line)) line++;
    if (!*line) return;
    if (u->s) {
        sess_history_add(u->s, line);
        return;
    }
    if (u->n_pending >= SESS_HISTORY_MAX) return;
    char **p = realloc(u->pending, sizeof *p * (size_t)(u->n_pending + 1));
    if (!p) return;
    u->pending = p;
    if ((p[u->n_pending] = strdup(line))) u->n_pending++;
}

static void show_list(ui_app *app, const char *title, char **v, int n, const char *empty) {
    size_t cap = 64;
    for (int i = 0; i < n; i++) cap += strlen(v[i]) + 16;
    char *text = malloc(cap);
    if (!text) return;
    size_t o = 0;
    for (int i = 0; i < n; i++) o += (size_t)snprintf(text + o, cap - o, "%4d  %s\n", i + 1, v[i]);
    if (!n) snprintf(text, cap, "%s\n", empty);
    ui_app_show_text(app, title, text);
    free(text);
}

int ui_cmd_history(ui_app *app, const char *args, char *err, size_t errlen) {
    ui_sess *u = ui_sess_of(app);
    if (u->s)
        show_list(app, "history", u->s->history, u->s->n_history, "(no history)");
    else
        show_list(app, "history", u->pending, u->n_pending, "(no history)");
    return BB_OK;
}

int ui_cmd_pin(ui_app *app, const char *args, char *err, size_t errlen) {
    ui_sess *u = ui_sess_of(app);
    while (isspace((unsigned char)*args)) args++;
    if (!*args) {
        show_list(app, "pinned", u->s ? u->s->pinned : NULL, u->s ? u->s->n_pinned : 0,
                  "(nothing pinned: `pin TEXT` keeps a text in the session)");
        return BB_OK;
    }
    int rc = ui_sess_ensure(app, NULL, err, errlen);
    if (rc != BB_OK) return rc;
    if (strncmp(args, "-d ", 3) == 0) {
        int k = atoi(args + 3);
        if (k < 1 || k > u->s->n_pinned) return bb_err(err, errlen, BB_EINVAL, "pin -d: no pinned text %d", k);
        sess_pin_remove(u->s, k - 1);
    } else if (sess_pin_add(u->s, args) != BB_OK) {
        return bb_err(err, errlen, BB_ENOMEM, "pin: out of memory");
    }
    ui_app_message(app, 0, "%d pinned texts (`pin` lists them)", u->s->n_pinned);
    return BB_OK;
}

/* ---- tick and exit ---------------------------------------------------------------------------- */

int ui_sess_busy(ui_app *app) {
    ui_sess *u = ui_sess_of(app);
    return u->t != NULL;
}

int ui_sess_tick(ui_app *app) {
    ui_sess *u = ui_sess_of(app);
    int changed = ui_train_poll(app, u);
    changed |= ui_follow_tick(app, u);
    if (u->run_err[0]) {
        ui_app_message(app, 1, "%s", u->run_err);
        u->run_err[0] = 0;
        changed = 1;
    }
    ui_train_watch(app, u);
    if (u->s && !u->s->read_only && time(NULL) - u->last_save >= AUTOSAVE_S) {
        char err[512];
        int failed_before = u->save_failed;
        if (ui_sess_save(app, err, sizeof err) != BB_OK && !failed_before) {
            ui_app_message(app, 1, "autosave: %s", err);
            changed = 1;
        }
    }
    return changed;
}

void ui_sess_end(ui_app *app) {
    ui_sess *u = ui_sess_of(app);
    ui_app_wait_jobs(app); /* a trainer being created */
    ui_train_shutdown(app, u);
    char err[512];
    if (u->s && !u->s->read_only && ui_sess_save(app, err, sizeof err) != BB_OK)
        fprintf(stderr, "bertbench: session not saved: %s\n", err);
}
