/* The event loop and the app's keys (as htop's ScreenManager): tick on a timeout, read every key
 * already typed, hand each to the app's key table, the focused pane's (in pane mode) or readline, and
 * redraw once when a handler's flags, a finished job, the session's tick or a new message say the
 * screen changed. */
#define NCURSES_WIDECHAR 1
#include <curses.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui_app.h"
#include "ui_cmd.h"
#include "ui_rl.h"
#include "ui_session.h"
#include "ui_term.h"

static void on_line(char *line, void *user) {
    ui_app *app = user;
    if (!line) {
        app->quit = 1;
        return;
    }
    ui_rl_clear_matches();
    ui_sess_record(app, line);
    ui_cmd_run(app, line);
    free(line);
}

static void focus_next(ui_app *app) {
    if (app->zoom || app->layout == UI_LAYOUT_SINGLE) {
        /* one pane on screen: cycle through all panes */
        int cur = app->slots[app->focus];
        ui_app_show(app, &app->panes[(cur + 1) % app->n_panes]);
    } else {
        app->focus = (app->focus + 1) % ui_layout_slots(app->layout);
    }
}

/* ---- the app's keys --------------------------------------------------------------------------- */

static int key_help(ui_app *app, ui_pane *p, int key) {
    ui_cmd_run(app, "help");
    return UI_CHANGED;
}

static int key_next(ui_app *app, ui_pane *p, int key) {
    focus_next(app);
    return UI_CHANGED;
}

static int key_layout(ui_app *app, ui_pane *p, int key) {
    app->layout = (app->layout + 1) % UI_LAYOUT_COUNT;
    app->zoom = 0;
    if (app->focus >= ui_layout_slots(app->layout)) app->focus = 0;
    return UI_CHANGED;
}

static int key_zoom(ui_app *app, ui_pane *p, int key) {
    app->zoom = !app->zoom;
    return UI_CHANGED;
}

static int key_ws(ui_app *app, ui_pane *p, int key) {
    app->show_ws = !app->show_ws;
    return UI_CHANGED;
}

static int key_quit(ui_app *app, ui_pane *p, int key) { return UI_HANDLED | UI_QUIT; }

static int key_repaint(ui_app *app, ui_pane *p, int key) {
    clearok(curscr, TRUE);
    return UI_CHANGED;
}

/* Ctrl-C: the focused pane's own meaning first (a run: stop after a second press), else cancel the
 * running job, else clear the input line. */
static int key_cancel(ui_app *app, ui_pane *p, int key) {
    int flags = ui_pane_key(app, p, key);
    if (flags != UI_IGNORED) return flags;
    if (app->running || app->n_queued) {
        ui_app_cancel_jobs(app);
        ui_app_message(app, 0, "cancelling...");
    } else {
        ui_rl_set_line("");
    }
    return UI_CHANGED;
}

const ui_key_binding ui_app_keys[] = {
    {UI_KEY(KEY_F(1)), key_help, "help"},
    {UI_KEY(KEY_F(2)), key_next, "next pane"},
    {15, key_next, NULL},
    {UI_KEY(KEY_F(3)), key_layout, "layout"},
    {UI_KEY(KEY_F(4)), key_zoom, "zoom"},
    {UI_KEY(KEY_F(5)), key_ws, "whitespace"},
    {UI_KEY(KEY_F(10)), key_quit, "quit"},
    {12, key_repaint, "repaint"},
    {3, key_cancel,
     "stops the focused pane's work: a training run after a second Ctrl-C (with a checkpoint), else the running "
     "job (attention, fill-mask, stats, loading); idle: clears the line"},
    {0, NULL, NULL},
};

/* ---- dispatch --------------------------------------------------------------------------------- */

/* A key for readline; a line the command put back (a near miss) returns once readline cleared it. */
static void rl_key(ui_app *app, int ch, int is_key) {
    static int said; /* once a process: the locale is the process's */
    ui_rl_feed(ch, is_key);
    if (!said && (ui_rl_dropped() > 0 || (ui_rl_non_ascii() > 0 && !ui_term_locale_utf8()))) {
        said = 1;
        const char *lang = getenv("LC_ALL");
        if (!lang || !*lang) lang = getenv("LC_CTYPE");
        if (!lang || !*lang) lang = getenv("LANG");
        if (ui_rl_dropped())
            ui_app_message(app, 1, "the locale %s cannot encode a character you typed: it was left out; run with "
                           "LANG=C.UTF-8", lang && *lang ? lang : "C");
        else
            ui_app_message(app, 0, "the locale %s is not UTF-8: non-ASCII text is read as UTF-8 but drawn as '?' "
                           "(LANG=C.UTF-8 draws it)", lang && *lang ? lang : "C");
    }
    if (app->refill[0]) {
        ui_rl_set_line(app->refill);
        app->refill[0] = 0;
    }
}

/* Pane mode: Esc, i or : go back to the input line, Tab moves the focus; q and Shift-Tab do the same
 * unless the pane binds them. */
static int pane_mode_key(ui_app *app, int key) {
    if (key == 27 || key == 'i' || key == ':') {
        app->pane_mode = 0;
        return UI_CHANGED;
    }
    if (key == '\t') return key_next(app, NULL, key);
    int flags = ui_pane_key(app, ui_app_focused(app), key);
    if (flags != UI_IGNORED) return flags;
    if (key == UI_KEY(KEY_BTAB)) return key_next(app, NULL, key);
    if (key == 'q') {
        app->pane_mode = 0;
        return UI_CHANGED;
    }
    return UI_IGNORED;
}

static int input_key(ui_app *app, int key) {
    if (key == 27) {
        /* Esc alone enters pane mode; Esc followed at once by a key is Alt+key for readline. */
        wint_t next;
        timeout(0); /* the caller's key loop drains without waiting, too */
        int r = get_wch(&next);
        if (r == ERR) {
            app->pane_mode = 1;
            ui_app_message(app, 0, "pane keys for %s (Esc, i or : returns to the input line)",
                           ui_app_focused(app)->cls->name);
            return UI_CHANGED;
        }
        ui_rl_feed(27, 0);
        rl_key(app, (int)next, r == KEY_CODE_YES);
        return UI_CHANGED;
    }
    rl_key(app, key < 0 ? -key : key, key < 0);
    return UI_CHANGED;
}

static int app_key(ui_app *app, int key) {
    if (key == UI_KEY(KEY_RESIZE)) return UI_CHANGED | UI_RESIZE;
    const ui_key_binding *b = ui_key_find(ui_app_keys, key);
    if (b) return b->fn(app, ui_app_focused(app), key);
    if (key == UI_KEY(KEY_PPAGE) || key == UI_KEY(KEY_NPAGE)) return ui_pane_key(app, ui_app_focused(app), key);
    return app->pane_mode ? pane_mode_key(app, key) : input_key(app, key);
}

int ui_app_key(ui_app *app, int key) {
    int flags = app_key(app, key);
    app->prev_key = key;
    if (flags & UI_QUIT) app->quit = 1;
    return flags;
}

/* ---- the loop --------------------------------------------------------------------------------- */

/* Gives the input line to the pane that follows it when it changed; 1 when it did. */
static int live_update(ui_app *app) {
    const char *line = ui_rl_line();
    if (strcmp(line, app->input) == 0) return 0;
    snprintf(app->input, sizeof app->input, "%s", line);
    ui_pane *p = NULL;
    const char *live = ui_cmd_live_text(app, app->input, &p);
    if (live && p && p->cls->live) p->cls->live(app, p, live);
    return 1;
}

static void history_path(char *out, size_t n) {
    const char *e = getenv("BERTBENCH_HISTORY"), *home = getenv("HOME");
    if (e && *e)
        snprintf(out, n, "%s", e);
    else if (home && *home)
        snprintf(out, n, "%s/.bertbench_history", home);
    else
        out[0] = 0;
}

/* Reads every key already typed before drawing once: a paste or fast typing costs one re-tokenization
 * and one redraw, not one per key. Returns the handlers' flags together. */
static int read_keys(ui_app *app, wint_t ch, int r) {
    int flags = 0;
    timeout(0);
    do {
        flags |= ui_app_key(app, r == KEY_CODE_YES ? UI_KEY((int)ch) : (int)ch);
    } while (!app->quit && (r = get_wch(&ch)) != ERR);
    return flags;
}

int ui_app_run(ui_app *app) {
    char err[512];
    int utf8 = 0;
    if (ui_term_init(stdout, stdin, &utf8, err, sizeof err) != BB_OK) {
        fprintf(stderr, "bertbench: %s\n", err);
        return 1;
    }
    char hist[1024];
    history_path(hist, sizeof hist);
    ui_rl_init("> ", on_line, ui_cmd_complete, app, hist);
    /* readline set LC_CTYPE back from the environment (LANG=C); keys are read as UTF-8 (ui_term_init) */
    if (!utf8) setlocale(LC_CTYPE, "C.UTF-8");
    viz_canvas c;
    if (viz_canvas_init(&c, COLS, LINES, err, sizeof err) != BB_OK) {
        ui_rl_end();
        ui_term_end();
        fprintf(stderr, "bertbench: %s\n", err);
        return 1;
    }
    c.ascii = !utf8;
    int dirty = 1;
    unsigned msg_seen = app->msg_seq;
    while (!app->quit) {
        dirty |= live_update(app);
        if (app->msg_seq != msg_seen) msg_seen = app->msg_seq, dirty = 1;
        if (dirty) {
            if (c.w != COLS || c.h != LINES) {
                if (viz_canvas_resize(&c, COLS, LINES, err, sizeof err) != BB_OK) break;
                erase();
            }
            int cx = ui_app_draw(app, &c);
            ui_term_blit(&c, cx, cx >= 0 ? c.h - 1 : -1);
            dirty = 0;
        }
        int busy = app->running || app->n_queued || ui_sess_busy(app);
        timeout(busy ? 80 : 500);
        wint_t ch;
        int r = get_wch(&ch);
        if (r != ERR) {
            dirty |= (read_keys(app, ch, r) & (UI_REDRAW | UI_RESIZE)) != 0;
        } else if (busy) {
            app->spin++;
            dirty = 1;
        }
        dirty |= ui_app_poll_jobs(app);
        dirty |= ui_sess_tick(app);
    }
    viz_canvas_free(&c);
    ui_rl_end();
    ui_term_end();
    ui_sess_end(app); /* stops a run (with a checkpoint) and saves the session */
    return 0;
}
