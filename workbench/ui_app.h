/* ui_app.h — the workbench: application state, panes, layout, commands, worker jobs.
 *
 * One event loop (ui_app_run) owns the terminal through ui_term, reads keys with curses, feeds the
 * input line to readline (ui_rl), dispatches pane keys, polls the worker, and redraws the whole
 * screen into one viz_canvas that ui_term copies into curses. Everything a pane shows is drawn by
 * viz/ from data the pane holds; panes never call curses, so `export PANE FILE` and the tests draw
 * the same pictures.
 *
 * Screen (rows): 0 tab bar with pane names and focus, 1..H-3 panes, H-2 status/message line,
 * H-1 input line. Keys: F2 (or Ctrl-O) next pane, F3 cycle layout, F4 zoom, Esc pane keys,
 * PgUp/PgDn scroll, F10 quit (the app's key table, ui_app_keys). The panes are one of each class in
 * ui_pane_registry, known here only through ui_pane.h's interface.
 */
#ifndef BB_UI_APP_H
#define BB_UI_APP_H

#include <stddef.h>
#include <time.h>

#include "bb_work.h"
#include "bert.h"
#include "infer.h"
#include "tok.h"
#include "ui_pane.h"
#include "viz.h"

struct ui_sess;

enum { UI_LAYOUT_SINGLE, UI_LAYOUT_VSPLIT, UI_LAYOUT_HSPLIT, UI_LAYOUT_GRID, UI_LAYOUT_COUNT };

enum { UI_MAX_PANES = 8, UI_MAX_JOBS = 8, UI_MSG_LOG = 200 };

typedef struct ui_logged_msg {
    time_t when;
    int error, repeats; /* repeats: the same message again right after (shown as "(x3)") */
    char text[512];
} ui_logged_msg;

/* A piece of long work. run() executes on the worker thread with the model and tokenizer that were
 * current when the job started; done() runs on the UI thread afterwards and frees the job. */
typedef struct ui_job ui_job;
struct ui_job {
    const char *what; /* shown beside the spinner: "loading model" */
    const bert_model *model;
    const tok_tokenizer *tk;
    infer_ctx *cx; /* the inference context over model + tokenizer; NULL without both */
    bb_work work; /* given to the engine calls run() makes: the UI's Ctrl-C cancels it (ui_app_submit sets
                     it up to publish the engine's progress into permille) */
    _Atomic int permille; /* progress shown beside the spinner, 1..1000; 0 while the work reports none */
    int part, parts; /* run() in pass part (0-based) of parts: the engine's progress fills that share */
    int (*run)(ui_job *j, char *err, size_t errlen);
    void (*done)(ui_app *app, ui_job *j, int status, const char *err);
};

struct ui_app {
    /* model and tokenizer: replaced only on the UI thread while no job runs */
    bert_model *model;
    tok_tokenizer *tk;
    infer_ctx *cx; /* wraps model + tk; used by one job at a time */
    char model_dir[1024]; /* the loaded model's, also while a run's snapshot is in use */
    /* `use run`: model and tk are a snapshot of a training run, named here ("run-1 at step 40"); the
     * loaded ones wait in loaded_model and loaded_tk until `use model` or the next load. "": none. */
    char using_run[128];
    bert_model *loaded_model;
    tok_tokenizer *loaded_tk;
    char vocab_path[1024]; /* --vocab override, "" when none */
    tok_tokenizer *own_tk; /* with an override: the model directory's own tokenizer (NULL: none there) */
    char mismatch[256];    /* why tk does not belong with model (infer_check_tokenizer), "" when it does:
                              fill-mask and attention refuse to run on the pair */

    ui_pane panes[UI_MAX_PANES];
    int n_panes;
    int layout;      /* UI_LAYOUT_* */
    int slots[4];    /* pane index shown in each layout slot */
    int focus;       /* slot with the focus */
    int zoom;        /* 1: the focused pane fills the screen */
    int pane_mode;   /* 1: keys go to the focused pane, not the input line */
    int show_ws;     /* whitespace made visible in token views */

    char msg[512];   /* message line */
    int msg_error;
    unsigned msg_seq; /* counts messages: the loop redraws when it moved */
    /* every message, so one the next overwrites is not lost (`messages`): a ring of UI_MSG_LOG */
    struct ui_logged_msg *log;
    int log_n, log_next;
    /* a first word one or two edits from a command: the line, waiting for Enter again ("" none) */
    char near_miss[4096];
    char refill[4096]; /* put back on the input line once readline has cleared it ("" none) */
    int prev_key; /* the key before the one being handled (UI_KEY codes negated), for "press again" keys */

    /* input line as last seen, to notice edits for the live token view */
    char input[4096];
    int input_changed;

    /* worker */
    struct ui_worker *worker;
    ui_job *queue[UI_MAX_JOBS];
    int n_queued;
    ui_job *running;
    int spin;

    struct ui_sess *sess; /* the session and its training runs (ui_session.h) */

    int quit;
};

/* ---- app ---- */
int ui_app_init(ui_app *app, const char *model_dir, const char *vocab, char *err, size_t errlen);
void ui_app_free(ui_app *app);
/* Runs the workbench until quit; returns the process exit status. */
int ui_app_run(ui_app *app);
/* The pane named name (or a unique prefix of a name, or a class's alias); NULL when none. */
ui_pane *ui_app_pane(ui_app *app, const char *name);
/* The pane of class cls. */
ui_pane *ui_app_pane_of(ui_app *app, const ui_pane_class *cls);
ui_pane *ui_app_focused(ui_app *app);
/* Shows pane p: focuses it if visible, else puts it in the focused slot. */
void ui_app_show(ui_app *app, ui_pane *p);
void ui_app_message(ui_app *app, int error, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Shows a titled text (help, model summary, lists) in the text pane (the class with show_text) and
 * brings it into view. */
void ui_app_show_text(ui_app *app, const char *title, const char *text);
/* The i-th most recent logged message (0: the latest), NULL past the end. */
const ui_logged_msg *ui_app_logged(const ui_app *app, int i);
/* Draws the whole screen (w x h) into c; returns the input-line cursor column. */
int ui_app_draw(ui_app *app, viz_canvas *c);
/* Queues a job (taking ownership); it starts when the worker is free. */
int ui_app_submit(ui_app *app, ui_job *j);
/* Starts queued jobs and finishes done ones; returns 1 when something changed. */
int ui_app_poll_jobs(ui_app *app);
/* Cancels every queued job (their done() says BB_ECANCEL) and asks the running one to stop. */
void ui_app_cancel_jobs(ui_app *app);
/* Blocks until every queued job has finished (tests, benchmarks, quitting). */
void ui_app_wait_jobs(ui_app *app);
/* The layout's name ("single", "vsplit", "hsplit", "grid") and how many panes it shows. */
const char *ui_layout_name(int layout);
int ui_layout_slots(int layout);
/* Pane rectangles for a screen w x h: fills rects[] and panes[] (indices); returns how many. */
int ui_app_layout_rects(const ui_app *app, int w, int h, viz_rect *rects, int *panes);
/* Loading: a model directory (tokenizer from the directory or the --vocab override), on the worker. */
int ui_app_load(ui_app *app, const char *dir, char *err, size_t errlen);
/* Replaces the tokenizer with vocab.txt / tokenizer.json at path (on the UI thread: it is quick). */
int ui_app_load_vocab(ui_app *app, const char *path, char *err, size_t errlen);
/* Makes m and tk (a training run's snapshot, taken over) the model and tokenizer every pane uses,
 * named label, and recomputes the panes; m == NULL puts the loaded ones back. Only while no job runs
 * (from a job's done(), which is where the previous snapshot can be freed safely). */
void ui_app_use(ui_app *app, bert_model *m, tok_tokenizer *tk, const char *label);

/* The app's own keys (F1 help, F2 next pane, F3 layout, ..., Ctrl-C), tried before the input line; a
 * handler's flags as a pane key's. */
extern const ui_key_binding ui_app_keys[];
/* One key (a code point, or UI_KEY(curses code)) as the event loop handles it: the app's table, the
 * focused pane in pane mode, else the input line. Returns the UI_* flags. */
int ui_app_key(ui_app *app, int key);

/* When the tokenizer does not match the model: "CMD: the tokenizer does not match the model (why); ..."
 * into err and BB_EINVAL, for the model panes to refuse with; else BB_OK. */
int ui_app_pair_ok(const ui_app *app, const char *cmd, char *err, size_t errlen);
/* Draws the "tokenizer does not match the model" mark of a model pane over r and returns 1 when they
 * do not match (the pane then draws nothing else); 0 otherwise. */
int ui_app_draw_mismatch(const ui_app *app, viz_canvas *c, viz_rect r, const char *what);

#endif
