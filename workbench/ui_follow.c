/* `follow DIR` in the workbench: a run written by another program (HF Trainer, a TensorBoard writer,
 * another bertbench) shown in the train pane and the runs table beside the local ones, read-only,
 * its curves updated live (polled at most once a second) and its directory kept in the session's
 * layout so that reopening the session follows it again. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "follow.h"
#include "ui_session.h"

enum { POLL_MS = 1000, STALE_S = 10 * 60 };

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

int ui_run_external(const ui_sess *u, int i) { return i >= 0 && i < u->n_runs && u->runs[i].follow != NULL; }

const char *ui_run_status_text(const ui_sess *u, int i) {
    const ui_runview *v = &u->runs[i];
    if (v->follow) {
        sess_follow_status st = sess_follow_status_at(v->follow, time(NULL), STALE_S);
        return st == SESS_FOLLOW_RUNNING ? "following" : sess_follow_status_name(st);
    }
    if (i == u->live && u->starting) return "loading";
    if (i == u->live && u->t && u->st.paused) return "paused";
    return v->run->problem ? "damaged" : sess_run_status_name(v->run->status);
}

void ui_follow_release(ui_runview *v) {
    if (!v->follow) return;
    sess_follow_free(v->follow);
    v->follow = NULL;
    free(v->run->name);
    free(v->run->checkpoint_dir);
    cJSON_Delete(v->run->config);
    cJSON_Delete(v->run->summary);
    free(v->run);
    v->run = NULL;
}

/* ---- the series -> the pane's curves ---------------------------------------------------------- */

/* A plotted series: the tag HF's TensorBoardCallback writes it under (NULL: none), else bertbench's
 * metrics.jsonl key. */
typedef struct {
    const char *tb;
    run_metric key;
} series_tag;

static const run_tag *tag_of(const run_series *s, series_tag t) {
    const run_tag *r = t.tb ? run_series_find(s, t.tb) : NULL;
    return r ? r : run_series_find(s, run_metric_name(t.key));
}

/* The value of t at step, walking *k forward (rows and t are both in step order); NaN when absent. */
static double at_step(const run_tag *t, long *k, long step) {
    if (!t) return NAN;
    while (*k < t->n && t->step[*k] < step) (*k)++;
    return *k < t->n && t->step[*k] == step ? t->value[*k] : NAN;
}

static const series_tag T_LOSS = {"train/loss", RUN_M_LOSS}, T_LR = {"train/learning_rate", RUN_M_LR},
                        T_GN = {"train/grad_norm", RUN_M_GRAD_NORM}, T_EP = {"train/epoch", RUN_M_EPOCH},
                        T_TPS = {"train/tokens_per_s", RUN_M_TOKENS_PER_S}, T_EL = {NULL, RUN_M_ELAPSED_S},
                        T_ELOSS = {"eval/loss", RUN_M_EVAL_LOSS}, T_EPPL = {"eval/perplexity", RUN_M_EVAL_PERPLEXITY},
                        T_EACC = {"eval/accuracy", RUN_M_EVAL_ACCURACY}, T_EF1 = {"eval/f1", RUN_M_EVAL_F1};

static int rebuild(ui_runview *v) {
    const run_series *s = sess_follow_series(v->follow);
    ui_curves cv;
    memset(&cv, 0, sizeof cv);
    const run_tag *loss = tag_of(s, T_LOSS), *lr = tag_of(s, T_LR), *gn = tag_of(s, T_GN), *ep = tag_of(s, T_EP),
                  *tps = tag_of(s, T_TPS), *el = tag_of(s, T_EL);
    /* time: bertbench's elapsed_s, else the wall clock from the first point */
    double t0 = NAN;
    for (long i = 0; loss && i < loss->n && isnan(t0); i++) t0 = loss->wall[i];
    long k[5] = {0};
    int rc = BB_OK;
    for (long i = 0; loss && i < loss->n && rc == BB_OK; i++) {
        long st = loss->step[i];
        double t = el ? at_step(el, &k[4], st) : loss->wall[i] - t0;
        rc = ui_curves_add_step(&cv, (double)st, t, at_step(ep, &k[0], st), loss->value[i], at_step(lr, &k[1], st),
                                at_step(gn, &k[2], st), at_step(tps, &k[3], st));
    }
    const run_tag *eloss = tag_of(s, T_ELOSS), *ppl = tag_of(s, T_EPPL), *acc = tag_of(s, T_EACC),
                  *f1 = tag_of(s, T_EF1);
    const run_tag *erows = eloss ? eloss : acc;
    long e[4] = {0}, ti = 0;
    for (long i = 0; erows && i < erows->n && rc == BB_OK; i++) {
        long st = erows->step[i];
        while (ti + 1 < cv.n && cv.step[ti + 1] <= (double)st) ti++;
        rc = ui_curves_add_eval(&cv, (double)st, cv.n ? cv.time[ti] : NAN, at_step(eloss, &e[0], st),
                                at_step(ppl, &e[1], st), at_step(acc, &e[2], st), at_step(f1, &e[3], st));
    }
    if (rc != BB_OK) {
        ui_curves_free(&cv);
        return rc;
    }
    ui_curves_free(&v->cv);
    v->cv = cv;
    /* the header's step / total */
    long total = sess_follow_max_steps(v->follow);
    cJSON_DeleteItemFromObjectCaseSensitive(v->run->config, "init"); /* the format, once it is known */
    cJSON_AddStringToObject(v->run->config, "init", sess_follow_format(v->follow));
    /* a bertbench run directory: its metrics.jsonl also holds the confusion matrices (C) */
    if (!v->run->checkpoint_dir && strcmp(sess_follow_format(v->follow), "bertbench") == 0)
        v->run->checkpoint_dir = strdup(sess_follow_dir(v->follow));
    cJSON_DeleteItemFromObjectCaseSensitive(v->run->summary, "total_steps");
    if (total > 0) cJSON_AddNumberToObject(v->run->summary, "total_steps", (double)total);
    return BB_OK;
}

/* ---- polling ---------------------------------------------------------------------------------- */

static int poll_one(ui_app *app, ui_runview *v) {
    char err[1024];
    int n = sess_follow_poll(v->follow, NULL, NULL, err, sizeof err);
    if (n < 0) {
        ui_app_message(app, 1, "follow %s: %s", v->run->name, err);
        return 1;
    }
    if (n > 0 && rebuild(v) != BB_OK) ui_app_message(app, 1, "follow %s: out of memory", v->run->name);
    return n > 0;
}

int ui_follow_tick(ui_app *app, ui_sess *u) {
    double now = now_ms();
    if (now - u->follow_polled < POLL_MS) return 0;
    u->follow_polled = now;
    int changed = 0;
    for (int i = 0; i < u->n_runs; i++) {
        ui_runview *v = &u->runs[i];
        if (!v->follow) continue;
        const char *before = ui_run_status_text(u, i);
        changed |= poll_one(app, v);
        changed |= strcmp(before, ui_run_status_text(u, i)) != 0;
    }
    return changed;
}

/* ---- the command ------------------------------------------------------------------------------ */

static int name_taken(const ui_sess *u, const char *name) {
    for (int i = 0; i < u->n_runs; i++)
        if (strcmp(u->runs[i].run->name, name) == 0) return 1;
    return 0;
}

/* Adds DIR as an external run (quiet: for restoring); its index, or -1 with err set. */
static int follow_add(ui_app *app, ui_sess *u, const char *dir, char *err, size_t errlen) {
    sess_follow *f;
    if (sess_follow_open(&f, dir, NULL, err, errlen) != BB_OK) return -1;
    char name[SESS_RUN_NAME_MAX];
    const char *base = strrchr(sess_follow_dir(f), '/');
    base = base && base[1] ? base + 1 : sess_follow_dir(f);
    snprintf(name, sizeof name, "%.40s", base);
    for (int k = 2; name_taken(u, name) && k < 1000; k++) snprintf(name, sizeof name, "%.40s-%d", base, k);
    sess_run *r = calloc(1, sizeof *r);
    ui_runview *nv = realloc(u->runs, sizeof *nv * (size_t)(u->n_runs + 1));
    if (nv) u->runs = nv;
    if (!r || !nv || !(r->name = strdup(name)) || !(r->config = cJSON_CreateObject()) ||
        !(r->summary = cJSON_CreateObject())) {
        if (r) free(r->name), cJSON_Delete(r->config), free(r);
        sess_follow_free(f);
        bb_err(err, errlen, BB_ENOMEM, "out of memory");
        return -1;
    }
    r->status = SESS_RUN_RUNNING;
    r->lock_fd = -1;
    cJSON_AddStringToObject(r->config, "task", "ext");
    cJSON_AddStringToObject(r->config, "data", sess_follow_dir(f));
    cJSON_AddStringToObject(r->config, "dir", sess_follow_dir(f));
    ui_runview *v = &u->runs[u->n_runs];
    memset(v, 0, sizeof *v);
    v->run = r;
    v->follow = f;
    int idx = u->n_runs++;
    poll_one(app, v);
    return idx;
}

int ui_cmd_follow(ui_app *app, const char *args, char *err, size_t errlen) {
    ui_sess *u = ui_sess_of(app);
    char dir[4096];
    while (isspace((unsigned char)*args)) args++;
    snprintf(dir, sizeof dir, "%s", args);
    size_t n = strlen(dir);
    while (n && isspace((unsigned char)dir[n - 1])) dir[--n] = 0;
    if (n >= 2 && (dir[0] == '"' || dir[0] == '\'') && dir[n - 1] == dir[0]) {
        memmove(dir, dir + 1, n - 2);
        dir[n - 2] = 0;
    }
    if (!dir[0]) {
        int k = 0;
        for (int i = 0; i < u->n_runs; i++) k += u->runs[i].follow != NULL;
        ui_app_message(app, 0, "following %d run%s (`follow DIR`: an HF Trainer output_dir, TensorBoard logs or a "
                       "bertbench run directory)", k, k == 1 ? "" : "s");
        return BB_OK;
    }
    for (int i = 0; i < u->n_runs; i++)
        if (u->runs[i].follow && strcmp(sess_follow_dir(u->runs[i].follow), dir) == 0) {
            u->cur = i, u->table = 0;
            ui_app_show(app, ui_app_pane(app, "train"));
            ui_app_message(app, 0, "already following %s as %s", dir, u->runs[i].run->name);
            return BB_OK;
        }
    int rc = ui_sess_ensure(app, NULL, err, errlen); /* the session remembers what it follows */
    if (rc != BB_OK) return rc;
    int idx = follow_add(app, u, dir, err, errlen);
    if (idx < 0) return bb_err(err, errlen, BB_EINVAL, "follow: %.900s", err);
    u->cur = idx, u->table = 0;
    ui_runview *v = &u->runs[idx];
    ui_app_show(app, ui_app_pane(app, "train"));
    ui_app_message(app, 0, "following %s (%s, read-only): %ld steps so far; `follow` lists, `unfollow %s` stops",
                   dir, sess_follow_format(v->follow), v->cv.n ? (long)v->cv.step[v->cv.n - 1] : 0L, v->run->name);
    char e[512];
    if (ui_sess_save(app, e, sizeof e) != BB_OK) ui_app_message(app, 1, "%s", e);
    return BB_OK;
}

int ui_cmd_unfollow(ui_app *app, const char *args, char *err, size_t errlen) {
    ui_sess *u = ui_sess_of(app);
    char name[256] = "";
    sscanf(args, "%255s", name);
    int idx = *name ? -1 : u->cur;
    for (int i = 0; *name && i < u->n_runs; i++)
        if (strcmp(u->runs[i].run->name, name) == 0) idx = i;
    if (!ui_run_external(u, idx))
        return bb_err(err, errlen, BB_EINVAL, "unfollow: %s is not a followed run (`unfollow NAME`)",
                      *name ? name : "the shown run");
    ui_app_message(app, 0, "no longer following %s", u->runs[idx].run->name);
    ui_follow_release(&u->runs[idx]);
    ui_curves_free(&u->runs[idx].cv);
    memmove(&u->runs[idx], &u->runs[idx + 1], sizeof *u->runs * (size_t)(u->n_runs - idx - 1));
    u->n_runs--;
    if (u->live > idx) u->live--;
    if (u->cur >= idx) u->cur = u->cur > 0 ? u->cur - 1 : (u->n_runs ? 0 : -1);
    return BB_OK;
}

/* ---- the session ------------------------------------------------------------------------------ */

void ui_follow_save(const ui_sess *u, cJSON *train_view) {
    cJSON *a = cJSON_AddArrayToObject(train_view, "follow");
    for (int i = 0; a && i < u->n_runs; i++)
        if (u->runs[i].follow) cJSON_AddItemToArray(a, cJSON_CreateString(sess_follow_dir(u->runs[i].follow)));
}

void ui_follow_restore(ui_app *app, ui_sess *u, const cJSON *layout) {
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(layout, "train");
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(t, "follow"), *d;
    cJSON_ArrayForEach(d, a) {
        char err[1024];
        if (cJSON_IsString(d) && follow_add(app, u, d->valuestring, err, sizeof err) < 0)
            ui_app_message(app, 1, "follow %s: %s (no longer followed)", d->valuestring, err);
    }
}
