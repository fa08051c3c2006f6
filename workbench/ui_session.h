/* ui_session.h — the workbench's session (sessions/ on disk) and its training runs.
 *
 * The app holds one ui_sess (ui_sess_new at init, ui_sess_free at the end); commands and the train
 * pane (a view on it, ui_pane_train.h) find it with ui_sess_of(app).
 *
 * Training: `train OPTIONS` (the options of `bertbench train`) loads the run on the UI's worker (a
 * short job: trainer_create), then the trainer runs on its own thread. Each UI tick (ui_sess_tick)
 * drains the trainer's events into the run's in-memory series, records checkpoints and the end in
 * the session's runs/RUN/run.json, and copies the status snapshot. Without --out the trainer writes
 * into runs/RUN itself (its metrics.jsonl is flushed after every line); with --out elsewhere the
 * trainer's lines are copied into runs/RUN/metrics.jsonl (trainer_event_point, run_metrics.h).
 *
 * While a run trains, `use run` makes a snapshot of its weights (trainer_copy_model, on the worker)
 * the model every pane uses until `use model`, and `watch N` ranks the fill-mask pane's text on a
 * fresh snapshot every N steps. A job that reads the trainer holds it: a run that ends meanwhile
 * leaves its trainer in `retired` until the last such job is done.
 *
 * Sessions: `save [PATH]`, `open PATH`, autosave every minute and at exit, `bertbench --session PATH`
 * (opened, or created when PATH does not exist). Restoring brings back the model, the tokenizer
 * override, the layout and the training pane's view, the history (into readline too), pinned texts
 * and the runs; an interrupted run among the newest is offered for `resume RUN`.
 *
 * Runs are loaded lazily: opening a session lists the runs by name, and a run's run.json and
 * metrics.jsonl are read (ui_run_ready) when something shows or uses it: a row the runs table draws,
 * the plotted or overlaid run, resume, `use run`. A session of 100k runs opens as fast as one of ten.
 */
#ifndef BB_UI_SESSION_H
#define BB_UI_SESSION_H

#include <time.h>

#include "session.h"
#include "trainer.h"
#include "ui_app.h"

/* One run's curves: train points (one per logged step) and eval points, as read from its
 * metrics.jsonl and appended as events arrive. A step at or below the last one (a resumed run
 * repeating the steps after its checkpoint) replaces the points from there on. */
typedef struct {
    long n, cap;
    double *step, *time, *epoch, *loss, *lr, *gnorm, *tps; /* (n) */
    long ne, ecap;
    double *estep, *etime, *eloss, *eppl, *eacc, *ef1; /* (ne) */
    int skipped[2]; /* dataset lines dropped as not UTF-8 (data file, eval file): the latest
                       skipped_invalid_utf8_* record, or the live trainer's count */
} ui_curves;

typedef struct {
    sess_run *run; /* the session's record (owned by the session) */
    ui_curves cv;
    int shown; /* overlaid on the plot when it is not the current run */
    struct sess_follow *follow; /* an external run (`follow DIR`), read-only; then run is a stand-in owned
                                   here, not in the session's list */
    int loaded; /* run and cv hold run.json and metrics.jsonl (ui_run_ready) */
} ui_runview;

typedef struct ui_sess {
    sess_session *s; /* NULL: no session yet (`save PATH` or `train` makes one) */
    ui_runview *runs; /* (n_runs) in the session's order */
    int n_runs, cur; /* cur: the run the pane shows (-1: none) */
    /* the live run */
    trainer *t; /* NULL when none runs */
    int live; /* index into runs of the live run */
    run_metrics *mirror; /* runs/RUN/metrics.jsonl when --out is elsewhere */
    train_status st; /* snapshot of this tick */
    int starting; /* a trainer is being created on the worker */
    char **argv; /* the live run's options (train_options points into them) */
    int argc;
    /* snapshots of the live run's weights, taken on the worker (`use run`, `watch N`) */
    long watch_every; /* fill-mask of the fill-mask pane's text every N steps; 0: off */
    long watch_at; /* the step from which the next watch snapshot is due */
    int watch_busy; /* a watch job is queued or running */
    int holds; /* snapshot jobs that still read a trainer */
    trainer *retired; /* an ended run's trainer, freed when holds drops to 0 */
    /* view (saved in the layout) */
    double ema; /* smoothing weight in [0, 0.999] */
    long skip; /* steps left out at the start */
    long last_n; /* zoom: the last N steps; 0: all */
    int log_y, x_time, table;
    int opt_row;      /* 1: the lower plots show learning rate, grad norm, tokens/s even when the run has evals */
    int cursor;       /* the value cursor is shown (arrows move it, c hides it) */
    double cursor_x;  /* its step (or seconds with x_time) */
    int plot_w;       /* the main plot's width as last drawn: an arrow moves the cursor one column */
    int confusion;    /* the last evaluation's confusion matrix instead of the plots (C) */
    run_confusion conf; /* as last read, for run conf_run after conf_ne evaluations */
    int conf_run;
    long conf_ne;
    /* history typed before a session existed, added when one is made */
    char **pending;
    int n_pending;
    double follow_polled; /* ms (monotonic) of the last poll of the followed runs */
    char run_err[512]; /* a run's metrics that could not be read as it was loaded; said at the next tick */
    time_t last_save;
    int save_failed; /* autosave failed: said once, not every minute */
    int keep_model; /* the session recorded a model: its path is saved back while no model is loaded (it may
                       be missing or damaged) until the user loads another */
    int stop_asked; /* Ctrl-C on the train pane asked "again to stop" */
} ui_sess;

/* A session state with nothing open (NULL: out of memory), and freeing it (a live trainer included). */
ui_sess *ui_sess_new(void);
void ui_sess_free(ui_sess *u);
ui_sess *ui_sess_of(ui_app *app);

/* ---- ui_session.c ---- */
/* `--session PATH`: opens PATH (or creates it when it does not exist) and restores it. Problems
 * (a damaged file, a newer schema) go to the message line; the files are left as they are. */
void ui_sess_start(ui_app *app, const char *path);
/* Called once a tick: drains the trainer, autosaves every minute. Returns 1 when the screen changed. */
int ui_sess_tick(ui_app *app);
/* 1 while a run trains (the loop ticks faster). */
int ui_sess_busy(ui_app *app);
/* Records a typed line in the history. */
void ui_sess_record(ui_app *app, const char *line);
/* At exit: stops a running trainer (it saves a checkpoint), records the run, saves the session. */
void ui_sess_end(ui_app *app);
/* Writes the app's state (model, tokenizer, layout, view, settings) into the session and saves it. */
int ui_sess_save(ui_app *app, char *err, size_t errlen);
/* Makes a session at dir when there is none (for `train` and `save PATH`). */
int ui_sess_ensure(ui_app *app, const char *dir, char *err, size_t errlen);

/* ---- ui_train.c ---- */
int ui_curves_load(ui_curves *cv, const char *metrics_path, char *err, size_t errlen);
void ui_curves_free(ui_curves *cv);
int ui_curves_add_step(ui_curves *cv, double step, double time, double epoch, double loss, double lr, double gnorm,
                       double tps);
int ui_curves_add_eval(ui_curves *cv, double step, double time, double loss, double ppl, double acc, double f1);
/* Rebuilds runs[] from the session's run list (names only: nothing is read). */
int ui_sess_load_runs(ui_sess *u, char *err, size_t errlen);
/* runs[i] with its run.json and curves read (once; a followed run is always ready). */
ui_runview *ui_run_ready(ui_sess *u, int i);
void ui_sess_free_runs(ui_sess *u);
/* The run's planned number of steps: its summary's, its config's (recorded at start) or its last
 * checkpoint's; 0 when none says. */
long ui_run_total(const sess_run *r);
/* The run's task from its config ("mlm", "seqcls", "tokcls"; "?" when unknown). */
const char *ui_run_task(const sess_run *r);
/* Handles the live trainer's pending events; returns 1 when any arrived. */
int ui_train_poll(ui_app *app, ui_sess *u);
/* Stops the live run and waits for it (at exit). */
void ui_train_shutdown(ui_app *app, ui_sess *u);
/* Starts the watch's snapshot + fill-mask job on the worker when it is due; returns 1 when it did. */
int ui_train_watch(ui_app *app, ui_sess *u);

/* ---- ui_follow.c: runs written elsewhere ---- */
int ui_run_external(const ui_sess *u, int i);          /* runs[i] is followed, not trained here */
const char *ui_run_status_text(const ui_sess *u, int i); /* "following", "stale", "loading", "paused", ..., or the run's status */
int ui_follow_tick(ui_app *app, ui_sess *u);           /* polls them at most once a second; 1: changed */
void ui_follow_release(ui_runview *v);                 /* frees an external run's reader and stand-in */
void ui_follow_save(const ui_sess *u, cJSON *train_view); /* "follow": [DIR, ...] */
void ui_follow_restore(ui_app *app, ui_sess *u, const cJSON *layout);
int ui_cmd_follow(ui_app *app, const char *args, char *err, size_t errlen);
int ui_cmd_unfollow(ui_app *app, const char *args, char *err, size_t errlen);

/* commands (in the table of ui_cmd.c) */
int ui_cmd_train(ui_app *app, const char *args, char *err, size_t errlen);
int ui_cmd_pause(ui_app *app, const char *args, char *err, size_t errlen);
int ui_cmd_resume(ui_app *app, const char *args, char *err, size_t errlen);
int ui_cmd_stop(ui_app *app, const char *args, char *err, size_t errlen);
int ui_cmd_ckpt(ui_app *app, const char *args, char *err, size_t errlen);
int ui_cmd_eval(ui_app *app, const char *args, char *err, size_t errlen);
int ui_cmd_runs(ui_app *app, const char *args, char *err, size_t errlen);
int ui_cmd_plot(ui_app *app, const char *args, char *err, size_t errlen);
int ui_cmd_csv(ui_app *app, const char *args, char *err, size_t errlen);
int ui_cmd_use(ui_app *app, const char *args, char *err, size_t errlen);
int ui_cmd_watch(ui_app *app, const char *args, char *err, size_t errlen);
int ui_cmd_save(ui_app *app, const char *args, char *err, size_t errlen);
int ui_cmd_open(ui_app *app, const char *args, char *err, size_t errlen);
int ui_cmd_pin(ui_app *app, const char *args, char *err, size_t errlen);
int ui_cmd_history(ui_app *app, const char *args, char *err, size_t errlen);

#endif
