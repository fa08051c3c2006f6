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
 * PgUp/PgDn scroll, F10 quit. Panes are added by ui_app_add_pane (a training pane plugs in the same
 * way as the four built-in ones).
 */
#ifndef BB_UI_APP_H
#define BB_UI_APP_H

#include <stddef.h>
#include <time.h>

#include "bb_work.h"
#include "bert.h"
#include "infer.h"
#include "tok.h"
#include "viz.h"

typedef struct ui_app ui_app;
typedef struct ui_pane ui_pane;

/* Key codes handed to panes: a Unicode code point (>= 0) or a curses KEY_* code negated. */
#define UI_KEY(curses_code) (-(curses_code))

enum { UI_IGNORED = 0, UI_HANDLED = 1 };

struct ui_pane {
    const char *name; /* as typed in commands ("tokens") */
    const char *help; /* one line: what fills it and its keys */
    void *state;
    int scroll;
    /* Draws into r of the canvas. */
    void (*draw)(ui_app *app, ui_pane *p, viz_canvas *c, viz_rect r);
    /* A key in pane mode; returns UI_HANDLED or UI_IGNORED. May be NULL. */
    int (*key)(ui_app *app, ui_pane *p, int key);
    /* Plain text typed with no command (the pane's default action). May be NULL. */
    int (*text)(ui_app *app, ui_pane *p, const char *text, char *err, size_t errlen);
    /* The columns and rows the pane's whole content needs (`export` draws it at that size, from the
     * top: it may reset the pane's scroll positions). NULL: 100 x 38, as a zoomed pane. */
    void (*extent)(ui_app *app, ui_pane *p, int *w, int *h);
    /* Called after a model or tokenizer is loaded or replaced. May be NULL. */
    void (*reload)(ui_app *app, ui_pane *p);
    void (*free)(ui_pane *p);
    /* What the pane shows, for the session: its text and view settings (NULL: nothing to keep); and
     * putting them back, computed at once when a model is there, else by the next load's reload.
     * Either may be NULL. */
    struct cJSON *(*save)(const ui_pane *p);
    void (*restore)(ui_app *app, ui_pane *p, const struct cJSON *o);
};

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
    /* every message, so one the next overwrites is not lost (`messages`): a ring of UI_MSG_LOG */
    struct ui_logged_msg *log;
    int log_n, log_next;
    /* a first word one or two edits from a command: the line, waiting for Enter again ("" none) */
    char near_miss[4096];
    char refill[4096]; /* put back on the input line once readline has cleared it ("" none) */
    int stop_asked; /* Ctrl-C on the train pane asked "again to stop"; any other key forgets it */

    /* input line as last seen, to notice edits for the live token view */
    char input[4096];
    int input_changed;

    /* worker */
    struct ui_worker *worker;
    ui_job *queue[UI_MAX_JOBS];
    int n_queued;
    ui_job *running;
    int spin;

    int quit;
    int dirty;
};

/* ---- app ---- */
int ui_app_init(ui_app *app, const char *model_dir, const char *vocab, char *err, size_t errlen);
void ui_app_free(ui_app *app);
/* Runs the workbench until quit; returns the process exit status. */
int ui_app_run(ui_app *app);
int ui_app_add_pane(ui_app *app, const ui_pane *p);
ui_pane *ui_app_pane(ui_app *app, const char *name);
ui_pane *ui_app_focused(ui_app *app);
/* Shows pane p: focuses it if visible, else puts it in the focused slot. */
void ui_app_show(ui_app *app, ui_pane *p);
void ui_app_message(ui_app *app, int error, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The i-th most recent logged message (0: the latest), NULL past the end. */
const ui_logged_msg *ui_app_logged(const ui_app *app, int i);
/* Draws the whole screen (w x h) into c; returns the input-line cursor column. */
int ui_app_draw(ui_app *app, viz_canvas *c);
/* Queues a job (taking ownership); it starts when the worker is free. */
int ui_app_submit(ui_app *app, ui_job *j);
/* Starts queued jobs and finishes done ones; returns 1 when something changed. */
int ui_app_poll_jobs(ui_app *app);
/* Blocks until every queued job has finished (tests, benchmarks, quitting). */
void ui_app_wait_jobs(ui_app *app);
/* The layout's name ("single", "vsplit", "hsplit", "grid"). */
const char *ui_layout_name(int layout);
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

/* When the tokenizer does not match the model: "CMD: the tokenizer does not match the model (why); ..."
 * into err and BB_EINVAL, for the model panes to refuse with; else BB_OK. */
int ui_app_pair_ok(const ui_app *app, const char *cmd, char *err, size_t errlen);
/* Draws the "tokenizer does not match the model" mark of a model pane over r and returns 1 when they
 * do not match (the pane then draws nothing else); 0 otherwise. */
int ui_app_draw_mismatch(const ui_app *app, viz_canvas *c, viz_rect r, const char *what);

/* ---- commands (ui_cmd.c) ---- */
typedef struct {
    const char *name;
    const char *alias;
    const char *args;
    const char *help;
    int (*fn)(ui_app *app, const char *args, char *err, size_t errlen);
} ui_cmd;

extern const ui_cmd ui_commands[];
const ui_cmd *ui_cmd_find(const char *word);
/* Runs one input line: a command, or plain text for the focused pane. Errors go to the message line. */
int ui_cmd_run(ui_app *app, const char *line);
/* If line is `tokenize TEXT`/`tok TEXT` or plain text for a token-view pane, returns the text part
 * (pointer into line), else NULL. Used for the live token view while typing. */
const char *ui_cmd_live_text(const ui_app *app, const char *line);
/* The command a first word is one or two edits from (name or alias, as typed), or NULL: one edit for
 * names of up to 4 letters, two for longer ones; words under 3 letters never match. */
const char *ui_cmd_near_miss(const char *word);
/* Readline completion (ui_rl_complete_fn): commands, pane names, layouts, options; NULL for paths. */
char **ui_cmd_complete(const char *line, int start, int end, const char *text, void *user);

/* ---- built-in panes ---- */
ui_pane ui_pane_tokens(void);
ui_pane ui_pane_attention(void);
ui_pane ui_pane_fillmask(void);
ui_pane ui_pane_info(void);
ui_pane ui_pane_compare(void);
ui_pane ui_pane_stats(void);

/* Tokens pane: set the text (and optional pair) and re-tokenize now. */
int ui_tokens_set(ui_app *app, ui_pane *p, const char *text, const char *pair, char *err, size_t errlen);
/* Tokens pane settings: `truncate [N|model] [left|right]`, `case auto|cased|uncased` (the tokenizer's
 * lowercasing, for every pane), and their session form {"max_length", "truncation_side", "case"}. */
int ui_tokens_truncate_cmd(ui_app *app, ui_pane *p, const char *args, char *err, size_t errlen);
int ui_tokens_case_cmd(ui_app *app, ui_pane *p, const char *args, char *err, size_t errlen);
struct cJSON *ui_tokens_settings_json(const ui_pane *p);
void ui_tokens_settings_apply(ui_app *app, ui_pane *p, const struct cJSON *o);
/* Attention pane: compute attention for text (pair may be NULL) on the worker. */
int ui_attention_set(ui_app *app, ui_pane *p, const char *text, const char *pair, char *err, size_t errlen);
/* Fill-mask pane: rank every [MASK] of text on the worker; target word may be NULL. */
int ui_fillmask_set(ui_app *app, ui_pane *p, const char *text, const char *target, char *err, size_t errlen);
/* A fill-mask result: the top predictions at each [MASK] of text and, when word is set, its rank there. */
enum { UI_FILL_TOP_K = 10, UI_FILL_MAX_RANKS = 16 };
typedef struct {
    char text[4096], word[128]; /* the inputs */
    infer_fill fm; /* its token_str point into strs: the result outlives the tokenizer that made it */
    char *strs;
    int n_ranks, ranks[UI_FILL_MAX_RANKS];
    float probs[UI_FILL_MAX_RANKS];
} ui_fill;
/* Fills f's result for f->text and f->word on cx (on the worker); on success ui_fill_free frees it. */
int ui_fill_compute(infer_ctx *cx, ui_fill *f, bb_work *work, char *err, size_t errlen);
void ui_fill_free(ui_fill *f);
/* Points fm's token_str (borrowed from the vocabulary) at copies in *strs, malloc'd and freed by the
 * caller with fm, so that a result a pane keeps outlives a tokenizer that `use` or `load` replaced. */
int ui_fill_own_strs(infer_fill *fm, char **strs);
/* Copies the fill-mask pane's text and word into f; 0 when no text was given yet. */
int ui_fillmask_inputs(ui_pane *p, ui_fill *f);
/* Shows f in the fill-mask pane, taking over its result; label says which weights ranked it ("run-1 at
 * step 40"; "" for the loaded model). On the UI thread. */
void ui_fillmask_show(ui_app *app, ui_pane *p, ui_fill *f, const char *label);
/* The key handler of a pane that only scrolls (info, compare): up/down or k/j move p->scroll one
 * line, PgUp/PgDn ten, never below 0. */
int ui_scroll_key(ui_app *app, ui_pane *p, int key);
/* Info pane: replace its text (model summary, help, stats). */
void ui_info_set(ui_pane *p, const char *title, const char *text);
/* Compare pane: `compare [--vocab FILE | --model DIR] TEXT` (the option replaces the other side). */
int ui_compare_cmd(ui_app *app, ui_pane *p, const char *args, char *err, size_t errlen);
/* Stats pane: `stats [--max N] [--vocab FILE] CORPUS` on the worker. */
int ui_stats_cmd(ui_app *app, ui_pane *p, const char *args, char *err, size_t errlen);
/* "1,234,567" */
void ui_fmt_count(char *out, size_t n, long v);

/* Splits "A ||| B" into A and B in place; returns B or NULL. */
char *ui_split_pair(char *s);

#endif
