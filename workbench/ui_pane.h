/* ui_pane.h — the pane interface: what the app core knows of a pane.
 *
 * A pane is an instance (its state and scroll position) of a class: a struct of function pointers
 * (draw, text, live text, export extent, reload, session save/restore) plus two tables, its keys and
 * its commands. The core (ui_app.c, ui_cmd.c) draws, dispatches keys and runs commands through the
 * class only; the classes are listed once, in ui_panes.c (ui_pane_registry), and the app makes one
 * pane of each in that order. A pane's own API (what other panes and the tests call) is in its own
 * header (ui_pane_tokens.h, ...).
 *
 * Keys are tables of {key, fn, help} rows (as htop's Action_setBindings): ui_pane_key finds the row and
 * calls fn, F1's key list is written from the same rows (ui_keys_help), so the two cannot drift. A
 * handler returns flags (htop's HandlerResult): UI_HANDLED when it took the key, UI_REDRAW when the
 * screen changed, UI_RESIZE when the layout did (the canvas is rebuilt), UI_QUIT to leave; UI_IGNORED
 * (0) lets the app try its own meaning of the key. Nothing here touches curses: tests run handlers on
 * panes without a terminal.
 */
#ifndef BB_UI_PANE_H
#define BB_UI_PANE_H

#include <stddef.h>

#include "viz.h"

typedef struct ui_app ui_app;
typedef struct ui_pane ui_pane;
typedef struct ui_pane_class ui_pane_class;
struct cJSON;

/* Key codes handed to panes: a Unicode code point (>= 0) or a curses KEY_* code negated. */
#define UI_KEY(curses_code) (-(curses_code))

/* Handler results, or'ed together. */
enum { UI_IGNORED = 0, UI_HANDLED = 1, UI_REDRAW = 2, UI_RESIZE = 4, UI_QUIT = 8 };
#define UI_CHANGED (UI_HANDLED | UI_REDRAW)

/* A key binding: fn(app, pane, key) returns UI_* flags. help says what the key does (F1); NULL: the
 * key is another one for the row above ("down" and "j"). A table ends with a row whose fn is NULL. */
typedef int (*ui_key_fn)(ui_app *app, ui_pane *p, int key);
typedef struct {
    int key;
    ui_key_fn fn;
    const char *help;
} ui_key_binding;

/* What Tab completes in a command's arguments. */
enum { UI_COMPLETE_FILES, UI_COMPLETE_PANES, UI_COMPLETE_LAYOUTS, UI_COMPLETE_COMMANDS, UI_COMPLETE_HUB };

/* A command: `name ARGS` (or its alias); fn(app, args, err, errlen) returns a status, its message goes to
 * the message line. words: completions for the first argument ("run", "model"), and options ("--vocab")
 * anywhere; complete: what else Tab offers for the first argument. live: the arguments are text that the
 * owning pane shows while it is typed (its class's live()). A table ends with a row whose name is NULL. */
typedef struct {
    const char *name;
    const char *alias;
    const char *args;
    const char *help;
    int (*fn)(ui_app *app, const char *args, char *err, size_t errlen);
    const char *const *words;
    int complete;
    int live;
} ui_cmd;

struct ui_pane_class {
    const char *name;  /* as typed in commands ("tokens") */
    const char *alias; /* another name users type ("attn"), or NULL */
    const char *help;  /* what fills it (F1 adds its keys from the table) */
    const ui_key_binding *keys; /* pane keys (after Esc; PgUp/PgDn always); may be NULL */
    const ui_cmd *cmds;         /* the commands it owns; may be NULL */
    /* Allocates the state (BB_OK or BB_ENOMEM); NULL: the pane keeps none. free releases it. */
    int (*init)(ui_pane *p);
    void (*free)(ui_pane *p);
    /* Draws into r of the canvas. */
    void (*draw)(ui_app *app, ui_pane *p, viz_canvas *c, viz_rect r);
    /* Plain text typed with no command (the pane's default action). May be NULL. */
    int (*text)(ui_app *app, ui_pane *p, const char *text, char *err, size_t errlen);
    /* The input line as it is typed, for a pane that follows it (its own live commands, or plain text
     * while it has the focus). May be NULL. */
    void (*live)(ui_app *app, ui_pane *p, const char *text);
    /* Shows a titled text (help, the model summary): the app's text pane has it. May be NULL. */
    void (*show_text)(ui_pane *p, const char *title, const char *text);
    /* The columns and rows the pane's whole content needs (`export` draws it at that size, from the
     * top: it may reset the pane's scroll positions). NULL: 100 x 38, as a zoomed pane. */
    void (*extent)(ui_app *app, ui_pane *p, int *w, int *h);
    /* Called after a model or tokenizer is loaded or replaced. May be NULL. */
    void (*reload)(ui_app *app, ui_pane *p);
    /* What the pane shows, for the session: its text and view settings (NULL: nothing to keep); and
     * putting them back, computed at once when a model is there, else by the next load's reload.
     * Either may be NULL. */
    struct cJSON *(*save)(const ui_pane *p);
    void (*restore)(ui_app *app, ui_pane *p, const struct cJSON *o);
};

struct ui_pane {
    const ui_pane_class *cls;
    void *state;
    int scroll;
};

/* Every pane class, in tab order, NULL-terminated (ui_panes.c). */
extern const ui_pane_class *const ui_pane_registry[];

/* ---- keys (ui_keys.c) ---- */
/* The row of table for key, or NULL. */
const ui_key_binding *ui_key_find(const ui_key_binding *table, int key);
/* Runs the pane's binding for key: its flags, UI_IGNORED when it has none. */
int ui_pane_key(ui_app *app, ui_pane *p, int key);
/* A key as F1 writes it: "j", "up", "PgDn", "F2", "Ctrl-O", "S-left". */
const char *ui_key_name(int key, char *buf, size_t n);
/* Appends the table's rows to out (at *o, cap bytes) as "KEY[/KEY] help" items separated by two
 * spaces, wrapped at width columns, each line after the first indented by indent spaces. */
void ui_keys_help(const ui_key_binding *table, char *out, size_t cap, size_t *o, int indent, int width);
/* The keys of a pane that only scrolls (info, compare): up/down or k/j move p->scroll one line,
 * PgUp/PgDn ten, never below 0. */
extern const ui_key_binding ui_scroll_keys[];

#endif
