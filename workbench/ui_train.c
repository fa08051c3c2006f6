/* Training runs in the workbench: `train OPTIONS`, the trainer's events into the run's curves and the
 * session's run records, pause/resume/stop/checkpoint/eval, `resume RUN` from the last checkpoint,
 * the runs table's data, `plot` settings and `csv` export. */
#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ckpt_dir.h"
#include "export_hf.h"
#include "train_opts.h"
#include "tok.h"
#include "ui_pane_mask.h"
#include "ui_session.h"

/* ---- curves ----------------------------------------------------------------------------------- */

static int grow(double **cols[], int ncols, long *cap, long need) {
    if (need <= *cap) return BB_OK;
    long nc = *cap ? *cap * 2 : 256;
    while (nc < need) nc *= 2;
    for (int i = 0; i < ncols; i++) {
        double *p = realloc(*cols[i], sizeof(double) * (size_t)nc);
        if (!p) return BB_ENOMEM;
        *cols[i] = p;
    }
    *cap = nc;
    return BB_OK;
}

int ui_curves_add_step(ui_curves *cv, double step, double time, double epoch, double loss, double lr, double gnorm,
                       double tps) {
    while (cv->n > 0 && cv->step[cv->n - 1] >= step) cv->n--; /* a resumed run repeats these steps */
    double **cols[7] = {&cv->step, &cv->time, &cv->epoch, &cv->loss, &cv->lr, &cv->gnorm, &cv->tps};
    if (grow(cols, 7, &cv->cap, cv->n + 1) != BB_OK) return BB_ENOMEM;
    long i = cv->n++;
    cv->step[i] = step, cv->time[i] = time, cv->epoch[i] = epoch, cv->loss[i] = loss;
    cv->lr[i] = lr, cv->gnorm[i] = gnorm, cv->tps[i] = tps;
    return BB_OK;
}

int ui_curves_add_eval(ui_curves *cv, double step, double time, double loss, double ppl, double acc, double f1) {
    while (cv->ne > 0 && cv->estep[cv->ne - 1] >= step) cv->ne--;
    double **cols[6] = {&cv->estep, &cv->etime, &cv->eloss, &cv->eppl, &cv->eacc, &cv->ef1};
    if (grow(cols, 6, &cv->ecap, cv->ne + 1) != BB_OK) return BB_ENOMEM;
    long i = cv->ne++;
    cv->estep[i] = step, cv->etime[i] = time, cv->eloss[i] = loss, cv->eppl[i] = ppl, cv->eacc[i] = acc;
    cv->ef1[i] = f1;
    return BB_OK;
}

void ui_curves_free(ui_curves *cv) {
    double *cols[13] = {cv->step,  cv->time,  cv->epoch, cv->loss, cv->lr,   cv->gnorm, cv->tps,
                        cv->estep, cv->etime, cv->eloss, cv->eppl, cv->eacc, cv->ef1};
    for (int i = 0; i < 13; i++) free(cols[i]);
    memset(cv, 0, sizeof *cv);
}

/* Eval lines carry no time: the time of the last train point at or before the step. */
static double time_at(const ui_curves *cv, double step) {
    double t = 0;
    for (long i = 0; i < cv->n && cv->step[i] <= step; i++) t = cv->time[i];
    return t;
}

int ui_curves_load(ui_curves *cv, const char *path, char *err, size_t errlen) {
    memset(cv, 0, sizeof *cv);
    if (access(path, F_OK) != 0) return BB_OK; /* a run that logged nothing yet */
    run_metrics_table s;
    int rc = run_metrics_read(&s, path, err, errlen);
    if (rc != BB_OK) return rc;
    const run_metric keys[11] = {RUN_M_STEP,      RUN_M_ELAPSED_S,       RUN_M_EPOCH,         RUN_M_LOSS,
                                 RUN_M_LR,        RUN_M_GRAD_NORM,       RUN_M_TOKENS_PER_S,  RUN_M_EVAL_LOSS,
                                 RUN_M_EVAL_PERPLEXITY, RUN_M_EVAL_ACCURACY, RUN_M_EVAL_F1};
    const double *c[11];
    for (int i = 0; i < 11; i++) c[i] = run_metrics_col(&s, keys[i]);
#define AT(k, i) (c[k] ? c[k][i] : NAN)
    const run_metric skip_keys[2] = {RUN_M_SKIPPED_TRAIN, RUN_M_SKIPPED_EVAL};
    for (int k = 0; k < 2; k++) {
        const double *v = run_metrics_col(&s, skip_keys[k]);
        for (long i = 0; v && i < s.n; i++)
            if (isfinite(v[i]) && v[i] >= 0 && v[i] <= INT_MAX) cv->skipped[k] = (int)v[i];
    }
    for (long i = 0; i < s.n && rc == BB_OK; i++) {
        double step = AT(0, i);
        if (!isfinite(step)) continue;
        if (isfinite(AT(3, i)))
            rc = ui_curves_add_step(cv, step, AT(1, i), AT(2, i), AT(3, i), AT(4, i), AT(5, i), AT(6, i));
        if (rc == BB_OK && isfinite(AT(7, i)))
            rc = ui_curves_add_eval(cv, step, time_at(cv, step), AT(7, i), AT(8, i), AT(9, i), AT(10, i));
    }
#undef AT
    run_metrics_table_free(&s);
    if (rc != BB_OK) {
        ui_curves_free(cv);
        return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", path);
    }
    return BB_OK;
}

/* ---- runs ------------------------------------------------------------------------------------- */

/* The planned number of steps goes into run.json's config as the run starts, so a run that dies
 * without a summary (kill -9, power loss) still reopens as "step 126/600". */
static void record_total(ui_app *app, ui_sess *u, sess_run *r, long total) {
    char e[512];
    if (u->s && sess_run_set_config(u->s, r, "total_steps", (double)total, e, sizeof e) != BB_OK)
        ui_app_message(app, 1, "run %s: recording its total steps: %s", r->name, e);
}

/* A number field of the JSON object in the file at path; 0 when it cannot be read. */
static long json_file_long(const char *path, const char *key) {
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    cJSON *j = cJSON_Parse(buf);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);
    long r = cJSON_IsNumber(v) ? (long)v->valuedouble : 0;
    cJSON_Delete(j);
    return r;
}

long ui_run_total(const sess_run *r) {
    const cJSON *v = r->summary ? cJSON_GetObjectItemCaseSensitive(r->summary, "total_steps") : NULL;
    if (cJSON_IsNumber(v) && v->valuedouble > 0) return (long)v->valuedouble;
    v = r->config ? cJSON_GetObjectItemCaseSensitive(r->config, "total_steps") : NULL;
    if (cJSON_IsNumber(v) && v->valuedouble > 0) return (long)v->valuedouble;
    /* runs recorded before the total went into the config: their last checkpoint knows it */
    char path[4200];
    if (r->last_checkpoint && snprintf(path, sizeof path, "%s/trainer_state.json", r->last_checkpoint) < (int)sizeof path)
        return json_file_long(path, "total_steps");
    return 0;
}

const char *ui_run_task(const sess_run *r) {
    const cJSON *t = r->config ? cJSON_GetObjectItemCaseSensitive(r->config, "task") : NULL;
    return cJSON_IsString(t) ? t->valuestring : "?";
}

void ui_sess_free_runs(ui_sess *u) {
    for (int i = 0; i < u->n_runs; i++) ui_follow_release(&u->runs[i]), ui_curves_free(&u->runs[i].cv);
    free(u->runs);
    u->runs = NULL;
    u->n_runs = 0;
    u->cur = -1;
}

static int run_metrics_path(const ui_sess *u, const sess_run *r, char *buf, size_t n) {
    return sess_run_file(u->s, r, "metrics.jsonl", buf, n);
}

int ui_sess_load_runs(ui_sess *u, char *err, size_t errlen) {
    ui_sess_free_runs(u);
    if (!u->s || !u->s->n_runs) return BB_OK;
    u->runs = calloc((size_t)u->s->n_runs, sizeof *u->runs);
    if (!u->runs) return bb_err(err, errlen, BB_ENOMEM, "out of memory");
    for (int i = 0; i < u->s->n_runs; i++) u->runs[u->n_runs++].run = u->s->runs[i];
    u->cur = u->n_runs - 1;
    return BB_OK;
}

ui_runview *ui_run_ready(ui_sess *u, int i) {
    ui_runview *v = &u->runs[i];
    if (v->loaded || v->follow) return v;
    v->loaded = 1;
    sess_run_load(u->s, v->run);
    char path[4096], e[512];
    if (!v->run->problem && run_metrics_path(u, v->run, path, sizeof path) == BB_OK &&
        ui_curves_load(&v->cv, path, e, sizeof e) != BB_OK && !u->run_err[0])
        snprintf(u->run_err, sizeof u->run_err, "%s", e);
    return v;
}

static int add_runview(ui_sess *u, sess_run *r) {
    ui_runview *nr = realloc(u->runs, sizeof *nr * (size_t)(u->n_runs + 1));
    if (!nr) return -1;
    u->runs = nr;
    memset(&nr[u->n_runs], 0, sizeof *nr);
    nr[u->n_runs].run = r;
    nr[u->n_runs].loaded = 1; /* just created: its curves fill from the trainer's events */
    return u->n_runs++;
}

static int find_run(ui_sess *u, const char *name) {
    for (int i = 0; i < u->n_runs; i++)
        if (strcmp(u->runs[i].run->name, name) == 0) return i;
    return -1;
}

/* ---- the train command ------------------------------------------------------------------------ */

static void free_argv(ui_sess *u) {
    for (int i = 0; i < u->argc; i++) free(u->argv[i]);
    free(u->argv);
    u->argv = NULL;
    u->argc = 0;
}

/* Splits a command line into words ("train" first); quotes group words. */
static int split_args(ui_sess *u, const char *args, char *err, size_t errlen) {
    free_argv(u);
    size_t n = strlen(args);
    u->argv = calloc(n / 2 + 3, sizeof *u->argv);
    if (!u->argv || !(u->argv[0] = strdup("train"))) return bb_err(err, errlen, BB_ENOMEM, "out of memory");
    u->argc = 1;
    const char *p = args;
    for (;;) {
        while (isspace((unsigned char)*p)) p++;
        if (!*p) break;
        char *w = malloc(n + 1);
        if (!w) return bb_err(err, errlen, BB_ENOMEM, "out of memory");
        size_t k = 0;
        char q = 0;
        while (*p && (q || !isspace((unsigned char)*p))) {
            if (!q && (*p == '"' || *p == '\''))
                q = *p;
            else if (q && *p == q)
                q = 0;
            else
                w[k++] = *p;
            p++;
        }
        w[k] = 0;
        if (q) {
            free(w);
            return bb_err(err, errlen, BB_EINVAL, "train: unclosed quote");
        }
        u->argv[u->argc++] = w;
    }
    return BB_OK;
}

typedef struct {
    ui_job job;
    train_options o;
    char out_dir[4096], resume_dir[4096];
    int run_index;
    trainer *t;
} start_job;

static int start_run(ui_job *j, char *err, size_t errlen) {
    start_job *s = (start_job *)j;
    s->o.work = &j->work; /* Ctrl-C while the run loads cancels it */
    return trainer_create(&s->t, &s->o, err, errlen);
}

static void fail_run(ui_app *app, ui_sess *u, int idx, const char *msg) {
    char e[512];
    if (idx >= 0 && idx < u->n_runs) sess_run_finish(u->s, u->runs[idx].run, SESS_RUN_FAILED, msg, NULL, e, sizeof e);
    ui_app_message(app, 1, "train: %s", msg);
    free_argv(u);
}

static void start_done(ui_app *app, ui_job *j, int status, const char *err) {
    start_job *s = (start_job *)j;
    ui_sess *u = ui_sess_of(app);
    u->starting = 0;
    char e[512];
    if (status == BB_OK && trainer_start(s->t, e, sizeof e) != BB_OK) {
        status = BB_EINVAL;
        err = e;
    }
    if (status != BB_OK) {
        trainer_free(s->t);
        fail_run(app, u, s->run_index, err && *err ? err : bb_strerror(status));
        free(s);
        return;
    }
    u->t = s->t;
    u->live = u->cur = s->run_index;
    memset(&u->st, 0, sizeof u->st);
    record_total(app, u, u->runs[s->run_index].run, trainer_total_steps(s->t));
    u->watch_at = 0; /* a watch ranks the starting weights first */
    /* with --out elsewhere, the run directory gets its own copy of the metrics */
    sess_run *r = u->runs[s->run_index].run;
    train_skipped sk;
    trainer_skipped(s->t, &sk);
    u->runs[s->run_index].cv.skipped[0] = sk.train;
    u->runs[s->run_index].cv.skipped[1] = sk.eval;
    char run_dir[4096], path[4096];
    sess_run_file(u->s, r, "", run_dir, sizeof run_dir);
    size_t rl = strlen(run_dir);
    if (rl && run_dir[rl - 1] == '/') run_dir[rl - 1] = 0;
    if (strcmp(s->out_dir, run_dir) != 0 && run_metrics_path(u, r, path, sizeof path) == BB_OK &&
        run_metrics_open(&u->mirror, path, 1000, e, sizeof e) != BB_OK) {
        ui_app_message(app, 1, "train: %s (the run goes on; its metrics are in %s)", e, s->out_dir);
    } else {
        if (u->mirror && s->o.skip_invalid_utf8) { /* the record the trainer starts its own file with */
            run_point pt;
            trainer_skipped_point(s->t, &pt);
            run_metrics_append(u->mirror, &pt, e, sizeof e); /* errors ignored, as for the mirrored steps */
        }
        char w[2][1200];
        train_opts_skipped_text(w[0], sizeof w[0], s->o.data_path, sk.train, sk.train_first_line);
        train_opts_skipped_text(w[1], sizeof w[1], s->o.eval_path ? s->o.eval_path : "", sk.eval, sk.eval_first_line);
        if (w[0][0] || w[1][0])
            ui_app_message(app, 1, "run %s: %ld steps; warning: %s%s%s", r->name, trainer_total_steps(s->t), w[0],
                           w[0][0] && w[1][0] ? "; " : "", w[1]);
        else
            ui_app_message(app, 0, "run %s: %ld steps on %d threads (p pause, X stop, s checkpoint, e eval)", r->name,
                           trainer_total_steps(s->t), s->o.threads);
    }
    ui_app_show(app, ui_app_pane(app, "train"));
    /* the run's listing and the layout on disk now, not at the next autosave: a crash keeps both */
    if (ui_sess_save(app, e, sizeof e) != BB_OK) ui_app_message(app, 1, "%s", e);
    free(s);
}

static int default_threads(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 1 ? (int)n - 1 : 1; /* one core stays with the UI */
}

/* Parses u->argv into a start job for run idx; resume_dir is NULL or the checkpoint to continue. */
static int submit_start(ui_app *app, ui_sess *u, int idx, const char *resume_dir, char *err, size_t errlen) {
    start_job *s = calloc(1, sizeof *s);
    if (!s) return bb_err(err, errlen, BB_ENOMEM, "out of memory");
    int rc = train_opts_parse(u->argc, u->argv, &s->o, 0, err, errlen);
    if (rc != BB_OK) {
        free(s);
        return rc == 1 ? bb_err(err, errlen, BB_EINVAL, "train: see `help train`") : rc;
    }
    sess_run *r = u->runs[idx].run;
    snprintf(s->out_dir, sizeof s->out_dir, "%s", r->checkpoint_dir);
    s->o.out_dir = s->out_dir;
    if (resume_dir) {
        snprintf(s->resume_dir, sizeof s->resume_dir, "%s", resume_dir);
        s->o.resume_dir = s->resume_dir;
    }
    if (s->o.threads == 0) s->o.threads = default_threads();
    s->run_index = idx;
    u->live = idx; /* the run being prepared: "loading" in its header, named by busy() */
    s->job.what = resume_dir ? "resuming run" : "preparing run";
    s->job.run = start_run;
    s->job.done = start_done;
    u->starting = 1;
    return ui_app_submit(app, &s->job);
}

static int busy(ui_sess *u, char *err, size_t errlen) {
    if (u->t || u->starting)
        return bb_err(err, errlen, BB_EINVAL, "a run is training (%s); stop it first (X or `stop`)",
                      u->runs[u->live].run->name);
    return BB_OK;
}

/* Appends " NAME 'VALUE'" to buf (quoted so that split_args gives VALUE back whole). */
static int append_opt(char *buf, size_t n, const char *name, const char *value, char *err, size_t errlen) {
    char q = strchr(value, '\'') ? '"' : '\'';
    if (strchr(value, q)) return bb_err(err, errlen, BB_EINVAL, "train: %s has both kinds of quote; give %s", value, name);
    size_t k = strlen(buf);
    if ((size_t)snprintf(buf + k, n - k, " %s %c%s%c", name, q, value, q) >= n - k)
        return bb_err(err, errlen, BB_EINVAL, "train: the options are too long");
    return BB_OK;
}

/* With neither --model, --config nor --resume, a run fine-tunes what the workbench has loaded: the
 * loaded model's directory and the tokenizer in use (an override included). The options are recorded
 * with them, so `resume` finds the same model. */
static int default_model_args(ui_app *app, const char *args, char *out, size_t n, char *err, size_t errlen) {
    snprintf(out, n, "%s", args);
    static const char *const named[] = {"--model", "--config", "--resume", "--help", "-h"};
    for (size_t i = 0; i < sizeof named / sizeof *named; i++) {
        const char *p = strstr(args, named[i]);
        size_t l = strlen(named[i]);
        if (p && (p == args || p[-1] == ' ') && (p[l] == ' ' || p[l] == 0)) return BB_OK;
    }
    if (!app->model || !app->model_dir[0])
        return bb_err(err, errlen, BB_EINVAL, "train: no model loaded: `load DIR` first, or give --model DIR or --config FILE");
    int rc = append_opt(out, n, "--model", app->model_dir, err, errlen);
    if (rc == BB_OK && app->vocab_path[0]) rc = append_opt(out, n, "--tokenizer", app->vocab_path, err, errlen);
    return rc;
}

int ui_cmd_train(ui_app *app, const char *args, char *err, size_t errlen) {
    ui_sess *u = ui_sess_of(app);
    if (busy(u, err, errlen)) return BB_EINVAL;
    char full[8192];
    int rc = default_model_args(app, args, full, sizeof full, err, errlen);
    if (rc != BB_OK) return rc;
    args = full;
    rc = split_args(u, args, err, errlen);
    if (rc != BB_OK) return rc;
    train_options o;
    rc = train_opts_parse(u->argc, u->argv, &o, 0, err, errlen);
    if (rc == 1) {
        char *usage = train_opts_usage_dup();
        free_argv(u);
        if (!usage) return bb_err(err, errlen, BB_ENOMEM, "out of memory");
        ui_app_show_text(app, "train", usage);
        free(usage);
        return BB_OK;
    }
    if (rc != BB_OK) {
        char why[512];
        snprintf(why, sizeof why, "%s", err);
        free_argv(u);
        return bb_err(err, errlen, rc, "train: %s", why);
    }
    if (o.export_hf) { /* nothing trains here: the files `bertbench train --export-hf` writes */
        rc = train_export_hf(&o, o.export_hf, u->argc, u->argv, err, errlen);
        if (rc == BB_OK)
            ui_app_message(app, 0, "wrote %s/train_hf.py, accelerate_config.yaml and README.md (`follow` shows the "
                           "run's output)", o.export_hf);
        free_argv(u);
        return rc;
    }
    if ((rc = ui_sess_ensure(app, NULL, err, errlen)) != BB_OK) return rc;
    cJSON *cfg = cJSON_CreateObject();
    cJSON_AddStringToObject(cfg, "args", args);
    cJSON_AddStringToObject(cfg, "task", train_task_name(o.task));
    if (o.model_dir)
        cJSON_AddStringToObject(cfg, "init", o.model_dir);
    else if (o.config_path)
        cJSON_AddStringToObject(cfg, "init", "scratch");
    if (o.config_path) cJSON_AddStringToObject(cfg, "config", o.config_path);
    cJSON_AddStringToObject(cfg, "data", o.data_path);
    if (o.out_dir) cJSON_AddStringToObject(cfg, "out", o.out_dir);
    sess_run *r;
    rc = sess_run_create(u->s, NULL, cfg, o.out_dir, &r, err, errlen);
    cJSON_Delete(cfg);
    if (rc != BB_OK) {
        free_argv(u);
        return rc;
    }
    int idx = add_runview(u, r);
    if (idx < 0) {
        fail_run(app, u, -1, "out of memory");
        return bb_err(err, errlen, BB_ENOMEM, "out of memory");
    }
    u->cur = idx;
    return submit_start(app, u, idx, NULL, err, errlen);
}

/* ---- events ----------------------------------------------------------------------------------- */

static double last_of(const double *v, long n) { return n > 0 ? v[n - 1] : NAN; }

static void end_run(ui_app *app, ui_sess *u, int failed, const char *msg) {
    char e[512] = "";
    int rc = trainer_wait(u->t, e, sizeof e);
    ui_runview *v = &u->runs[u->live];
    const ui_curves *cv = &v->cv;
    int stopped = u->st.step < u->st.total_steps;
    sess_run_status st = rc != BB_OK || failed ? SESS_RUN_FAILED : stopped ? SESS_RUN_STOPPED : SESS_RUN_FINISHED;
    cJSON *sum = cJSON_CreateObject();
    cJSON_AddNumberToObject(sum, "steps", (double)u->st.step);
    cJSON_AddNumberToObject(sum, "total_steps", (double)u->st.total_steps);
    double vals[6] = {last_of(cv->loss, cv->n),  last_of(cv->eloss, cv->ne), last_of(cv->eppl, cv->ne),
                      last_of(cv->eacc, cv->ne), last_of(cv->ef1, cv->ne),   u->st.elapsed_s};
    const run_metric keys[6] = {RUN_M_LOSS,          RUN_M_EVAL_LOSS, RUN_M_EVAL_PERPLEXITY,
                                RUN_M_EVAL_ACCURACY, RUN_M_EVAL_F1,   RUN_M_ELAPSED_S}; /* named as in metrics.jsonl */
    for (int i = 0; i < 6; i++)
        if (isfinite(vals[i])) cJSON_AddNumberToObject(sum, run_metric_name(keys[i]), vals[i]);
    const char *why = st == SESS_RUN_FAILED ? (msg && *msg ? msg : e) : NULL;
    if (sess_run_finish(u->s, v->run, st, why, sum, e, sizeof e) != BB_OK)
        ui_app_message(app, 1, "%s", e);
    else if (st == SESS_RUN_FAILED)
        ui_app_message(app, 1, "run %s failed at step %ld: %s (its metrics are kept)", v->run->name, u->st.step, why);
    else
        ui_app_message(app, 0, "run %s %s at step %ld/%ld, loss %.4f", v->run->name, sess_run_status_name(st),
                       u->st.step, u->st.total_steps, vals[0]);
    cJSON_Delete(sum);
    if (u->mirror && run_metrics_close(u->mirror, e, sizeof e) != BB_OK) ui_app_message(app, 1, "%s", e);
    u->mirror = NULL;
    /* the curves from the file, as a reopened session reads them (events carry floats the file rounds) */
    char path[4096];
    ui_curves cv2;
    if (run_metrics_path(u, v->run, path, sizeof path) == BB_OK && ui_curves_load(&cv2, path, e, sizeof e) == BB_OK) {
        ui_curves_free(&v->cv);
        v->cv = cv2;
    }
    /* the watch's last ranking: on the final weights */
    u->watch_at = 0;
    ui_train_watch(app, u);
    if (u->holds > 0)
        u->retired = u->t; /* a snapshot job still reads it; its done() frees it */
    else
        trainer_free(u->t);
    u->t = NULL;
    free_argv(u);
    if (u->s && ui_sess_save(app, e, sizeof e) != BB_OK) ui_app_message(app, 1, "%s", e);
}

int ui_train_poll(ui_app *app, ui_sess *u) {
    if (!u->t) return 0;
    trainer_status(u->t, &u->st); /* before draining: once finished, every event is in the ring */
    ui_runview *v = &u->runs[u->live];
    train_event ev[128];
    int n, any = 0, failed = 0;
    char msg[512] = "", e[512];
    while ((n = trainer_poll(u->t, ev, 128)) > 0) {
        any = 1;
        for (int i = 0; i < n; i++) {
            const train_event *x = &ev[i];
            run_point pt; /* the line the trainer wrote, copied into the session when --out is elsewhere */
            if (u->mirror && trainer_event_point(u->t, x, &pt) == BB_OK)
                run_metrics_append(u->mirror, &pt, e, sizeof e); /* errors ignored: the trainer's file has it */
            switch (x->kind) {
            case TRAIN_EV_STEP:
                ui_curves_add_step(&v->cv, (double)x->step, x->elapsed_s, x->epoch, x->loss, x->lr, x->grad_norm,
                                   x->tokens_per_s);
                break;
            case TRAIN_EV_EVAL:
                ui_curves_add_eval(&v->cv, (double)x->step, time_at(&v->cv, (double)x->step), x->eval_loss,
                                   x->eval_perplexity, x->eval_accuracy, x->eval_f1);
                if (isfinite(x->eval_perplexity))
                    ui_app_message(app, 0, "eval at step %ld: loss %.4f, perplexity %.3f", x->step, x->eval_loss,
                                   x->eval_perplexity);
                else
                    ui_app_message(app, 0, "eval at step %ld: loss %.4f, accuracy %.4f, F1 %.4f", x->step, x->eval_loss,
                                   x->eval_accuracy, x->eval_f1);
                break;
            case TRAIN_EV_CHECKPOINT: {
                const char *base = strrchr(x->msg, '/');
                base = base ? base + 1 : x->msg;
                /* only checkpoint-STEP holds the optimizer state that resuming needs */
                if (strncmp(base, "checkpoint-", 11) == 0) {
                    if (sess_run_set_checkpoint(u->s, v->run, x->msg, e, sizeof e) != BB_OK)
                        ui_app_message(app, 1, "%s", e);
                    else
                        ui_app_message(app, 0, "checkpoint saved: %s", x->msg);
                }
                break;
            }
            case TRAIN_EV_PAUSED:
                ui_app_message(app, 0, "paused at step %ld (p or `resume` continues)", x->step);
                break;
            case TRAIN_EV_RESUMED: ui_app_message(app, 0, "resumed at step %ld", x->step); break;
            case TRAIN_EV_ERROR:
                failed = 1;
                snprintf(msg, sizeof msg, "%s", x->msg);
                break;
            case TRAIN_EV_FINISHED: break;
            }
        }
    }
    if (u->st.finished) {
        end_run(app, u, failed, msg);
        return 1;
    }
    return any || u->st.running;
}

void ui_train_shutdown(ui_app *app, ui_sess *u) {
    if (!u->t) return;
    u->watch_every = 0; /* no last ranking at exit: nobody would see it */
    trainer_stop(u->t);
    trainer_resume(u->t);
    for (;;) {
        ui_train_poll(app, u);
        if (!u->t) return;
        usleep(20000);
    }
}

/* ---- controls --------------------------------------------------------------------------------- */

static int need_live(ui_sess *u, const char *cmd, char *err, size_t errlen) {
    if (!u->t) return bb_err(err, errlen, BB_EINVAL, "%s: no run is training (`train ...` starts one)", cmd);
    return BB_OK;
}

int ui_cmd_pause(ui_app *app, const char *args, char *err, size_t errlen) {
    ui_sess *u = ui_sess_of(app);
    if (need_live(u, "pause", err, errlen)) return BB_EINVAL;
    trainer_pause(u->t);
    ui_app_message(app, 0, "pausing after the current step...");
    return BB_OK;
}

int ui_cmd_stop(ui_app *app, const char *args, char *err, size_t errlen) {
    ui_sess *u = ui_sess_of(app);
    if (need_live(u, "stop", err, errlen)) return BB_EINVAL;
    trainer_stop(u->t);
    trainer_resume(u->t);
    ui_app_message(app, 0, "stopping after the current step (a checkpoint is saved)...");
    return BB_OK;
}

int ui_cmd_ckpt(ui_app *app, const char *args, char *err, size_t errlen) {
    ui_sess *u = ui_sess_of(app);
    if (need_live(u, "checkpoint", err, errlen)) return BB_EINVAL;
    trainer_save_now(u->t);
    ui_app_message(app, 0, "saving a checkpoint after the current step...");
    return BB_OK;
}

int ui_cmd_eval(ui_app *app, const char *args, char *err, size_t errlen) {
    ui_sess *u = ui_sess_of(app);
    if (need_live(u, "eval", err, errlen)) return BB_EINVAL;
    trainer_eval_now(u->t);
    ui_app_message(app, 0, "evaluating after the current step...");
    return BB_OK;
}

int ui_cmd_resume(ui_app *app, const char *args, char *err, size_t errlen) {
    ui_sess *u = ui_sess_of(app);
    while (isspace((unsigned char)*args)) args++;
    if (u->t && !*args) {
        trainer_resume(u->t);
        return BB_OK;
    }
    if (busy(u, err, errlen)) return BB_EINVAL;
    int idx = -1;
    if (*args) {
        if ((idx = find_run(u, args)) < 0) return bb_err(err, errlen, BB_EINVAL, "resume: no run named %s", args);
    } else {
        for (int i = u->n_runs - 1; i >= 0 && idx < 0; i--) { /* newest first: reads only as far as it must */
            const sess_run *c = ui_run_ready(u, i)->run;
            if (!ui_run_external(u, i) && (c->status == SESS_RUN_INTERRUPTED || c->status == SESS_RUN_STOPPED)) idx = i;
        }
        if (idx < 0) return bb_err(err, errlen, BB_EINVAL, "resume: no interrupted or stopped run");
    }
    sess_run *r = ui_run_ready(u, idx)->run;
    if (ui_run_external(u, idx))
        return bb_err(err, errlen, BB_EINVAL, "resume: %s is followed read-only (another program trains it)", r->name);
    if (r->problem) return bb_err(err, errlen, BB_EINVAL, "resume: %s", r->problem);
    if (r->status == SESS_RUN_FINISHED) return bb_err(err, errlen, BB_EINVAL, "resume: run %s has finished", r->name);
    /* the newest complete checkpoint on disk: a kill can land after a save and before the session noted it */
    char from[4096];
    if (trainer_ckpt_latest(r->checkpoint_dir, from, sizeof from, NULL, 0) != BB_OK) {
        if (!r->last_checkpoint)
            return bb_err(err, errlen, BB_EINVAL, "resume: run %s saved no checkpoint (--save-every N makes some)",
                          r->name);
        snprintf(from, sizeof from, "%s", r->last_checkpoint);
    }
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(r->config, "args");
    if (!cJSON_IsString(a)) return bb_err(err, errlen, BB_EINVAL, "resume: run %s has no recorded options", r->name);
    int rc = split_args(u, a->valuestring, err, errlen);
    if (rc != BB_OK) return rc;
    if ((rc = sess_run_resume(u->s, r, err, errlen)) != BB_OK) {
        free_argv(u);
        return rc;
    }
    u->cur = idx;
    ui_app_message(app, 0, "resuming %s from %s", r->name, from);
    return submit_start(app, u, idx, from, err, errlen);
}

/* ---- snapshots of the live run: `use run`, `watch N` ----------------------------------------------- */

/* On the worker: copies the trainer's latest weights and loads the run's tokenizer; for the watch, also
 * ranks the fill-mask text on them and frees the copies there. The trainer stays alive until done()
 * (u->holds), so run() may read it even when the run ended in between. */
typedef struct {
    ui_job job;
    trainer *t;
    char tok_dir[1024], run[128];
    int watch; /* 0: `use run` */
    long every; /* the watch's N, for the label */
    long step; /* the snapshot's */
    bert_model *m;
    tok_tokenizer *tk;
    ui_fill fill; /* the watch's text, word and result */
} snap_job;

static int snap_run(ui_job *j, char *err, size_t errlen) {
    snap_job *s = (snap_job *)j;
    int rc = trainer_copy_model(s->t, &s->m, &s->step, err, errlen);
    if (rc == BB_OK) rc = tok_load_any(&s->tk, s->tok_dir, TOK_CASE_AUTO, err, errlen);
    if (rc == BB_OK && s->watch) {
        infer_ctx *cx;
        rc = infer_wrap(&cx, s->m, s->tk, err, errlen);
        if (rc == BB_OK) {
            rc = ui_fill_compute(cx, &s->fill, &j->work, err, errlen);
            infer_close(cx);
        }
    }
    if (rc != BB_OK || s->watch) {
        bert_free(s->m);
        tok_free(s->tk);
        s->m = NULL;
        s->tk = NULL;
    }
    return rc;
}

static void snap_done(ui_app *app, ui_job *j, int status, const char *err) {
    snap_job *s = (snap_job *)j;
    ui_sess *u = ui_sess_of(app);
    char label[192];
    if (s->watch) {
        u->watch_busy = 0;
        if (status == BB_OK && u->watch_every == 0) {
            ui_fill_free(&s->fill); /* `watch off` came after it started */
        } else if (status == BB_OK) {
            snprintf(label, sizeof label, "%s at step %ld (watch every %ld steps)", s->run, s->step, s->every);
            ui_fillmask_show(app, ui_app_pane(app, "fill-mask"), &s->fill, label);
            if (u->watch_every > 0) u->watch_at = (s->step / u->watch_every + 1) * u->watch_every;
        } else if (status != BB_ECANCEL) {
            u->watch_every = 0; /* one message, not one every N steps */
            ui_app_message(app, 1, "watch off: %s", err && *err ? err : bb_strerror(status));
        }
    } else if (status == BB_OK) {
        snprintf(label, sizeof label, "%s at step %ld", s->run, s->step);
        ui_app_use(app, s->m, s->tk, label); /* no job runs now: the older snapshot can go */
        ui_app_message(app, 0, "every pane now uses %s's weights at step %ld (`use run` again for newer ones, "
                       "`use model` goes back)", s->run, s->step);
    } else if (status != BB_ECANCEL) {
        ui_app_message(app, 1, "use run: %s", err && *err ? err : bb_strerror(status));
    }
    if (--u->holds == 0 && u->retired) {
        trainer_free(u->retired);
        u->retired = NULL;
    }
    free(s);
}

static int submit_snap(ui_app *app, ui_sess *u, int watch, char *err, size_t errlen) {
    snap_job *s = calloc(1, sizeof *s);
    if (!s) return bb_err(err, errlen, BB_ENOMEM, "out of memory");
    s->t = u->t;
    snprintf(s->tok_dir, sizeof s->tok_dir, "%s", trainer_tokenizer_dir(u->t));
    snprintf(s->run, sizeof s->run, "%s", u->runs[u->live].run->name);
    s->watch = watch;
    s->every = u->watch_every;
    if (watch) ui_fillmask_inputs(ui_app_pane(app, "fill-mask"), &s->fill);
    s->job.what = watch ? "fill-mask on the run's weights" : "snapshot of the run";
    s->job.run = snap_run;
    s->job.done = snap_done;
    u->holds++; /* before submitting: a full queue calls done() at once */
    if (watch) u->watch_busy = 1;
    return ui_app_submit(app, &s->job);
}

int ui_train_watch(ui_app *app, ui_sess *u) {
    ui_fill f;
    if (!u->t || u->watch_every <= 0 || u->watch_busy || u->st.step < u->watch_at ||
        !ui_fillmask_inputs(ui_app_pane(app, "fill-mask"), &f))
        return 0;
    char err[256];
    return submit_snap(app, u, 1, err, sizeof err) == BB_OK;
}

static int use_model_run(ui_job *j, char *err, size_t errlen) { return BB_OK; }

static void use_model_done(ui_app *app, ui_job *j, int status, const char *err) {
    if (status == BB_OK) {
        ui_app_use(app, NULL, NULL, NULL);
        if (app->model)
            ui_app_message(app, 0, "every pane uses the loaded model again (%s)", app->model_dir);
        else
            ui_app_message(app, 0, "back to no model (`load DIR` loads one)");
    }
    free(j);
}

int ui_cmd_use(ui_app *app, const char *args, char *err, size_t errlen) {
    ui_sess *u = ui_sess_of(app);
    char w[32] = "";
    sscanf(args, "%31s", w);
    if (strcmp(w, "run") == 0) {
        if (!u->t) {
            const sess_run *r = u->cur >= 0 && u->cur < u->n_runs ? ui_run_ready(u, u->cur)->run : NULL;
            if (r && r->last_checkpoint)
                return bb_err(err, errlen, BB_EINVAL, "use run: no run is training; `load %s` (%s's last checkpoint)",
                              r->last_checkpoint, r->name);
            return bb_err(err, errlen, BB_EINVAL, "use run: no run is training (`train ...` starts one)");
        }
        return submit_snap(app, u, 0, err, errlen);
    }
    if (strcmp(w, "model") == 0) {
        if (!app->using_run[0]) {
            ui_app_message(app, 0, "already on the loaded model%s%s", app->model_dir[0] ? " " : "", app->model_dir);
            return BB_OK;
        }
        /* a job, so that the jobs queued before it finish on the snapshot they started with */
        ui_job *j = calloc(1, sizeof *j);
        if (!j) return bb_err(err, errlen, BB_ENOMEM, "out of memory");
        j->what = "back to the loaded model";
        j->run = use_model_run;
        j->done = use_model_done;
        return ui_app_submit(app, j);
    }
    return bb_err(err, errlen, BB_EINVAL, "use: `use run` (the training run's latest weights) or `use model`");
}

int ui_cmd_watch(ui_app *app, const char *args, char *err, size_t errlen) {
    ui_sess *u = ui_sess_of(app);
    char w[32] = "";
    sscanf(args, "%31s", w);
    if (!*w) {
        if (u->watch_every > 0)
            ui_app_message(app, 0, "watch: fill-mask on the run's weights every %ld steps (`watch off` stops)",
                           u->watch_every);
        else
            ui_app_message(app, 0, "watch is off (`watch N` ranks the fill-mask text every N steps of a run)");
        return BB_OK;
    }
    if (strcmp(w, "off") == 0) {
        u->watch_every = 0;
        ui_app_message(app, 0, "watch off");
        return BB_OK;
    }
    char *end;
    long n = strtol(w, &end, 10);
    if (*end || n <= 0) return bb_err(err, errlen, BB_EINVAL, "watch: a number of steps (`watch 50`) or `watch off`");
    u->watch_every = n;
    u->watch_at = 0; /* the first ranking now, then every n steps */
    ui_fill f;
    int has_text = ui_fillmask_inputs(ui_app_pane(app, "fill-mask"), &f);
    ui_app_show(app, ui_app_pane(app, "fill-mask"));
    ui_app_message(app, 0, "watch: fill-mask on the run's weights every %ld steps%s", n,
                   !has_text ? "; give it a text: `mask TEXT` with [MASK]"
                   : !u->t   ? ", from the next run's start"
                             : "");
    ui_train_watch(app, u);
    return BB_OK;
}

/* ---- view and export -------------------------------------------------------------------------- */

int ui_cmd_runs(ui_app *app, const char *args, char *err, size_t errlen) {
    ui_sess *u = ui_sess_of(app);
    u->table = 1;
    ui_app_show(app, ui_app_pane(app, "train"));
    if (!u->n_runs) ui_app_message(app, 0, "no runs yet: `train --task mlm ...` starts one");
    return BB_OK;
}

int ui_cmd_plot(ui_app *app, const char *args, char *err, size_t errlen) {
    ui_sess *u = ui_sess_of(app);
    char w[64], v[128];
    const char *p = args;
    u->table = 0;
    for (;;) {
        int k = 0;
        while (isspace((unsigned char)*p)) p++;
        if (!*p) break;
        while (*p && !isspace((unsigned char)*p) && k < 63) w[k++] = *p++;
        w[k] = 0;
        if (!strcmp(w, "step") || !strcmp(w, "time"))
            u->x_time = w[0] == 't';
        else if (!strcmp(w, "log") || !strcmp(w, "linear"))
            u->log_y = w[0] == 'l' && w[1] == 'o';
        else if (!strcmp(w, "all"))
            u->last_n = 0;
        else if (!strcmp(w, "smooth") || !strcmp(w, "skip") || !strcmp(w, "last") || !strcmp(w, "show") ||
                 !strcmp(w, "hide") || !strcmp(w, "run")) {
            k = 0;
            while (isspace((unsigned char)*p)) p++;
            while (*p && !isspace((unsigned char)*p) && k < 127) v[k++] = *p++;
            v[k] = 0;
            char *end;
            double x = strtod(v, &end);
            int num = *v && !*end;
            if (w[0] == 's' && w[1] == 'm') {
                if (!num || x < 0 || x >= 1) return bb_err(err, errlen, BB_EINVAL, "plot smooth: a weight in [0, 1)");
                u->ema = x;
            } else if (w[0] == 's' && w[1] == 'k') {
                if (!num || x < 0) return bb_err(err, errlen, BB_EINVAL, "plot skip: a number of steps");
                u->skip = (long)x;
            } else if (w[0] == 'l') {
                if (!num || x < 0) return bb_err(err, errlen, BB_EINVAL, "plot last: a number of steps (0: all)");
                u->last_n = (long)x;
            } else {
                int i = find_run(u, v);
                if (i < 0) return bb_err(err, errlen, BB_EINVAL, "plot %s: no run named '%s'", w, v);
                if (w[0] == 'r')
                    u->cur = i;
                else
                    u->runs[i].shown = w[0] == 's';
            }
        } else {
            return bb_err(err, errlen, BB_EINVAL,
                          "plot: unknown '%s' (step|time, log|linear, smooth W, skip N, last N|all, show|hide|run RUN)",
                          w);
        }
    }
    ui_app_show(app, ui_app_pane(app, "train"));
    ui_app_message(app, 0, "plot: x %s, %s y, smoothing %.3g, skip %ld, %s", u->x_time ? "time" : "step",
                   u->log_y ? "log" : "linear", u->ema, u->skip, u->last_n ? "zoomed" : "all steps");
    return BB_OK;
}

int ui_cmd_csv(ui_app *app, const char *args, char *err, size_t errlen) {
    ui_sess *u = ui_sess_of(app);
    char a[1024] = "", b[1024] = "";
    sscanf(args, "%1023s %1023s", a, b);
    const char *file = *b ? b : a, *name = *b ? a : NULL;
    if (!*file) return bb_err(err, errlen, BB_EINVAL, "csv: usage `csv [RUN] FILE.csv`");
    int idx = name ? find_run(u, name) : u->cur;
    if (idx < 0 || idx >= u->n_runs)
        return bb_err(err, errlen, BB_EINVAL, name ? "csv: no run named %s" : "csv: no run yet%s", name ? name : "");
    if (ui_run_external(u, idx))
        return bb_err(err, errlen, BB_EINVAL, "csv: %s is followed, not recorded here; `bertbench follow DIR --once` "
                      "prints its series", u->runs[idx].run->name);
    char path[4096];
    run_metrics_path(u, u->runs[idx].run, path, sizeof path);
    int rc = run_metrics_export_csv(path, file, err, errlen);
    if (rc == BB_OK) ui_app_message(app, 0, "metrics of %s written to %s", u->runs[idx].run->name, file);
    return rc;
}
