#include "ui_app.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bb_hub.h"
#include "ui_rl.h"
#include "ui_session.h"
#include "ui_worker.h"

/* ---- panes and layout ------------------------------------------------------------------------- */

ui_pane *ui_app_pane(ui_app *app, const char *name) {
    for (int i = 0; i < app->n_panes; i++)
        if (strcmp(app->panes[i].cls->name, name) == 0) return &app->panes[i];
    /* unique prefix, then a class's alias ("attn" is one users type) */
    ui_pane *hit = NULL;
    size_t n = strlen(name);
    for (int i = 0; i < app->n_panes; i++)
        if (n && strncmp(app->panes[i].cls->name, name, n) == 0) {
            if (hit) return NULL;
            hit = &app->panes[i];
        }
    for (int i = 0; !hit && i < app->n_panes; i++)
        if (app->panes[i].cls->alias && strcmp(app->panes[i].cls->alias, name) == 0) hit = &app->panes[i];
    return hit;
}

ui_pane *ui_app_pane_of(ui_app *app, const ui_pane_class *cls) {
    for (int i = 0; i < app->n_panes; i++)
        if (app->panes[i].cls == cls) return &app->panes[i];
    return NULL;
}

void ui_app_show_text(ui_app *app, const char *title, const char *text) {
    for (int i = 0; i < app->n_panes; i++)
        if (app->panes[i].cls->show_text) {
            app->panes[i].cls->show_text(&app->panes[i], title, text);
            ui_app_show(app, &app->panes[i]);
            return;
        }
}

int ui_layout_slots(int layout) {
    switch (layout) {
    case UI_LAYOUT_SINGLE: return 1;
    case UI_LAYOUT_VSPLIT:
    case UI_LAYOUT_HSPLIT: return 2;
    default: return 4;
    }
}

const char *ui_layout_name(int layout) {
    static const char *names[] = {"single", "vsplit", "hsplit", "grid"};
    return layout >= 0 && layout < UI_LAYOUT_COUNT ? names[layout] : "?";
}

ui_pane *ui_app_focused(ui_app *app) { return &app->panes[app->slots[app->focus]]; }

void ui_app_show(ui_app *app, ui_pane *p) {
    int idx = (int)(p - app->panes);
    int used = app->zoom ? 1 : ui_layout_slots(app->layout);
    for (int s = 0; s < used; s++) {
        int slot = app->zoom ? app->focus : s;
        if (app->slots[slot] == idx) {
            app->focus = slot;
            return;
        }
    }
    /* Not visible: swap it with the pane in the focused slot, so every pane keeps one slot. */
    for (int s = 0; s < 4; s++)
        if (app->slots[s] == idx) app->slots[s] = app->slots[app->focus];
    app->slots[app->focus] = idx;
}

int ui_app_layout_rects(const ui_app *app, int w, int h, viz_rect *rects, int *panes) {
    viz_rect area = {0, 1, w, h - 3};
    int layout = app->zoom ? UI_LAYOUT_SINGLE : app->layout;
    int n = ui_layout_slots(layout);
    int hw = area.w / 2, hh = area.h / 2;
    switch (layout) {
    case UI_LAYOUT_SINGLE: rects[0] = area; break;
    case UI_LAYOUT_VSPLIT:
        rects[0] = (viz_rect){0, area.y, hw, area.h};
        rects[1] = (viz_rect){hw, area.y, area.w - hw, area.h};
        break;
    case UI_LAYOUT_HSPLIT:
        rects[0] = (viz_rect){0, area.y, area.w, hh};
        rects[1] = (viz_rect){0, area.y + hh, area.w, area.h - hh};
        break;
    default:
        rects[0] = (viz_rect){0, area.y, hw, hh};
        rects[1] = (viz_rect){hw, area.y, area.w - hw, hh};
        rects[2] = (viz_rect){0, area.y + hh, hw, area.h - hh};
        rects[3] = (viz_rect){hw, area.y + hh, area.w - hw, area.h - hh};
    }
    for (int i = 0; i < n; i++) panes[i] = app->slots[app->zoom ? app->focus : i];
    return n;
}

void ui_app_message(ui_app *app, int error, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(app->msg, sizeof app->msg, fmt, ap);
    va_end(ap);
    app->msg_error = error;
    app->msg_seq++;
    if (!app->log) return;
    ui_logged_msg *last = app->log_n ? &app->log[(app->log_next + UI_MSG_LOG - 1) % UI_MSG_LOG] : NULL;
    if (last && last->error == error && strcmp(last->text, app->msg) == 0) {
        last->repeats++;
        last->when = time(NULL);
        return;
    }
    ui_logged_msg *m = &app->log[app->log_next];
    app->log_next = (app->log_next + 1) % UI_MSG_LOG;
    if (app->log_n < UI_MSG_LOG) app->log_n++;
    m->when = time(NULL);
    m->error = error;
    m->repeats = 1;
    snprintf(m->text, sizeof m->text, "%s", app->msg);
}

const ui_logged_msg *ui_app_logged(const ui_app *app, int i) {
    if (!app->log || i < 0 || i >= app->log_n) return NULL;
    return &app->log[(app->log_next + UI_MSG_LOG - 1 - i) % UI_MSG_LOG];
}

/* ---- drawing ---------------------------------------------------------------------------------- */

enum { MIN_W = 80, MIN_H = 24 };

static void draw_too_small(viz_canvas *c) {
    const char *l1 = "The terminal is too small for bertbench.";
    char l2[80];
    snprintf(l2, sizeof l2, "It needs at least %dx%d; this one is %dx%d.", MIN_W, MIN_H, c->w, c->h);
    const char *l3 = "Enlarge the window (F10 quits).";
    int y = c->h / 2 - 1;
    const char *ls[3] = {l1, l2, l3};
    for (int i = 0; i < 3; i++) {
        int w = viz_text_width(ls[i], -1);
        viz_put(c, w < c->w ? (c->w - w) / 2 : 0, y + i, c->w, ls[i],
                (viz_style){VIZ_DEFAULT, VIZ_DEFAULT, i == 0 ? VIZ_BOLD : 0});
    }
}

static void draw_tabs(ui_app *app, viz_canvas *c) {
    viz_fill(c, (viz_rect){0, 0, c->w, 1}, ' ', (viz_style){VIZ_COLOUR(VIZ_C_BAR_TEXT), VIZ_COLOUR(VIZ_C_BAR), 0});
    int x = viz_put(c, 0, 0, c->w, " bertbench ", (viz_style){VIZ_COLOUR(VIZ_C_BAR_NAME), VIZ_COLOUR(VIZ_C_BAR_NAME_BG), VIZ_BOLD});
    viz_rect rects[4];
    int vis[4], n = ui_app_layout_rects(app, c->w, c->h, rects, vis);
    char right[224], run[160] = "";
    if (app->using_run[0]) snprintf(run, sizeof run, "weights: %s  ", app->using_run);
    snprintf(right, sizeof right, " %s%s%s  F1 help ", run, ui_layout_name(app->layout), app->zoom ? " (zoom)" : "");
    /* Narrow screens: the layout name goes first, then the panes not focused shrink to 3 letters. */
    int total = 0;
    for (int i = 0; i < app->n_panes; i++) total += viz_text_width(app->panes[i].cls->name, -1) + 3;
    int rw = viz_text_width(right, -1);
    if (x + total + rw >= c->w)
        snprintf(right, sizeof right, " %s%sF1 help ", run, app->zoom ? "(zoom)  " : ""), rw = viz_text_width(right, -1);
    int shorten = x + total + rw >= c->w;
    for (int i = 0; i < app->n_panes; i++) {
        int shown = 0;
        for (int k = 0; k < n; k++) shown |= vis[k] == i;
        int focused = app->slots[app->focus] == i;
        viz_style st = focused ? (viz_style){VIZ_COLOUR(VIZ_C_ON_ACCENT), VIZ_COLOUR(VIZ_C_FOCUS), VIZ_BOLD} : (viz_style){VIZ_COLOUR(shown ? VIZ_C_TAB_SHOWN : VIZ_C_TAB_HIDDEN), VIZ_COLOUR(VIZ_C_BAR), shown ? VIZ_BOLD : 0};
        char label[48];
        snprintf(label, sizeof label, " %s%.*s ", focused ? "*" : "", shorten && !focused ? 3 : 40, app->panes[i].cls->name);
        x += 1;
        x += viz_put(c, x, 0, c->w - x, label, st);
    }
    if (x + rw < c->w) viz_put(c, c->w - rw, 0, rw, right, (viz_style){VIZ_COLOUR(VIZ_C_BAR_TEXT), VIZ_COLOUR(VIZ_C_BAR), 0});
}

static void draw_status(ui_app *app, viz_canvas *c, int y) {
    static const char *spin_u[] = {"\xe2\xa0\x8b", "\xe2\xa0\x99", "\xe2\xa0\xb9", "\xe2\xa0\xb8",
                                   "\xe2\xa0\xbc", "\xe2\xa0\xb4", "\xe2\xa0\xa6", "\xe2\xa0\xa7"};
    static const char *spin_a[] = {"|", "/", "-", "\\"};
    viz_fill(c, (viz_rect){0, y, c->w, 1}, ' ', (viz_style){VIZ_COLOUR(VIZ_C_BAR_TEXT), VIZ_COLOUR(VIZ_C_BAR), 0});
    int x = 0;
    if (app->pane_mode) x += viz_put(c, 0, y, c->w, " PANE ", (viz_style){VIZ_COLOUR(VIZ_C_ON_ACCENT), VIZ_COLOUR(VIZ_C_FOCUS), VIZ_BOLD}) + 1;
    if (app->running) {
        char s[96];
        int pm = atomic_load(&app->running->permille);
        char pct[16] = "";
        if (pm > 0) snprintf(pct, sizeof pct, " %d%%", pm / 10);
        snprintf(s, sizeof s, " %s %s...%s ", c->ascii ? spin_a[app->spin % 4] : spin_u[app->spin % 8],
                 app->running->what, pct);
        x += viz_put(c, x, y, c->w - x, s, (viz_style){VIZ_COLOUR(VIZ_C_ON_ACCENT), VIZ_COLOUR(VIZ_C_BUSY), VIZ_BOLD}) + 1;
    }
    const char *m = ui_rl_matches();
    if (m)
        viz_put(c, x, y, c->w - x, m, (viz_style){VIZ_COLOUR(VIZ_C_MESSAGE), VIZ_COLOUR(VIZ_C_BAR), 0});
    else
        viz_put(c, x, y, c->w - x, app->msg,
                app->msg_error ? (viz_style){VIZ_COLOUR(VIZ_C_BAR_NAME), VIZ_COLOUR(VIZ_C_ERROR_BG), VIZ_BOLD} : (viz_style){VIZ_COLOUR(VIZ_C_BAR_TEXT), VIZ_COLOUR(VIZ_C_BAR), 0});
}

int ui_app_draw(ui_app *app, viz_canvas *c) {
    viz_canvas_clear(c);
    if (c->w < MIN_W || c->h < MIN_H) {
        draw_too_small(c);
        return -1;
    }
    draw_tabs(app, c);
    viz_rect rects[4];
    int vis[4], n = ui_app_layout_rects(app, c->w, c->h, rects, vis);
    for (int i = 0; i < n; i++) {
        ui_pane *p = &app->panes[vis[i]];
        int focused = app->slots[app->focus] == vis[i];
        viz_style bs = focused ? (viz_style){VIZ_COLOUR(VIZ_C_BORDER_FOCUS), VIZ_DEFAULT, VIZ_BOLD} : (viz_style){VIZ_COLOUR(VIZ_C_BORDER), VIZ_DEFAULT, 0};
        viz_box(c, rects[i], p->cls->name, bs);
        viz_rect in = {rects[i].x + 1, rects[i].y + 1, rects[i].w - 2, rects[i].h - 2};
        if (in.w > 0 && in.h > 0) p->cls->draw(app, p, c, in);
    }
    draw_status(app, c, c->h - 2);
    return ui_rl_draw(c, c->h - 1);
}

/* ---- jobs ------------------------------------------------------------------------------------- */

/* The engine's progress (on the worker thread) as the job's share of 0..100%: pass part of parts. */
static void job_progress(void *user, const char *phase, long done, long total) {
    (void)phase;
    ui_job *j = user;
    int parts = j->parts > 0 ? j->parts : 1, part = j->part < parts ? j->part : parts - 1;
    long in_part = total > 0 ? (done >= total ? 1000 : 1000 * done / total) : 0;
    int pm = (int)((part * 1000L + in_part) / parts);
    atomic_store(&j->permille, pm < 1 ? 1 : pm);
}

int ui_app_submit(ui_app *app, ui_job *j) {
    bb_work_init(&j->work, job_progress, j);
    atomic_init(&j->permille, 0);
    if (app->n_queued >= UI_MAX_JOBS) {
        char err[64];
        j->done(app, j, bb_err(err, sizeof err, BB_EINVAL, "too much queued work"), "too much queued work");
        return BB_EINVAL;
    }
    app->queue[app->n_queued++] = j;
    ui_app_poll_jobs(app);
    return BB_OK;
}

static void start_next(ui_app *app) {
    if (app->running || !app->n_queued) return;
    ui_job *j = app->queue[0];
    memmove(app->queue, app->queue + 1, sizeof *app->queue * (size_t)--app->n_queued);
    j->model = app->model;
    j->tk = app->tk;
    j->cx = app->cx;
    app->running = j;
    ui_worker_start_job(app->worker, j);
}

static int finish(ui_app *app, int block) {
    if (!app->running) return 0;
    int st = 0;
    char err[512] = "";
    ui_job *j = ui_worker_take_done(app->worker, block, &st, err, sizeof err);
    if (!j) return 0;
    app->running = NULL;
    j->done(app, j, st, err);
    return 1;
}

int ui_app_poll_jobs(ui_app *app) {
    int changed = finish(app, 0);
    if (!app->running && app->n_queued) {
        start_next(app);
        changed = 1;
    }
    return changed;
}

void ui_app_wait_jobs(ui_app *app) {
    while (app->running || app->n_queued) {
        start_next(app);
        finish(app, 1);
    }
}

void ui_app_cancel_jobs(ui_app *app) {
    for (int i = 0; i < app->n_queued; i++) {
        bb_work_cancel(&app->queue[i]->work);
        app->queue[i]->done(app, app->queue[i], BB_ECANCEL, "cancelled");
    }
    app->n_queued = 0;
    if (app->running) bb_work_cancel(&app->running->work);
}

/* ---- loading ---------------------------------------------------------------------------------- */

typedef struct {
    ui_job job;
    char dir[1024];
    char vocab[1024];
    bert_model *model;
    tok_tokenizer *tk;
    tok_tokenizer *own; /* with an override: the directory's own tokenizer, to check the override against */
    int model_st, tk_st;
    char model_err[512], tk_err[512];
} load_job;

static int load_run(ui_job *j, char *err, size_t errlen) {
    load_job *l = (load_job *)j;
    struct stat st;
    char dir[4096]; /* a Hub id's cached snapshot; l->dir keeps the id for messages and the session */
    int rc = bb_hub_resolve(l->dir, dir, sizeof dir, err, errlen);
    if (rc != BB_OK) return rc;
    if (stat(dir, &st) != 0) return bb_err(err, errlen, BB_EIO, "%s: no such file or directory", l->dir);
    l->tk_st = tok_load_any(&l->tk, l->vocab[0] ? l->vocab : dir, TOK_CASE_AUTO, l->tk_err, sizeof l->tk_err);
    l->model_st = S_ISDIR(st.st_mode) ? bert_load_mapped_work(&l->model, dir, &j->work, l->model_err, sizeof l->model_err)
                                      : bb_err(l->model_err, sizeof l->model_err, BB_EINVAL, "%s: not a directory", l->dir);
    /* A tokenizer alone is a useful load only when it came from the path itself (vocab.txt, tokenizer.json). */
    if (l->model_st != BB_OK && (l->tk_st != BB_OK || l->vocab[0] || l->model_st == BB_ECANCEL)) {
        tok_free(l->tk);
        l->tk = NULL;
        return bb_err(err, errlen, l->model_st, "%s", l->model_err);
    }
    char ignored[256];
    if (l->vocab[0] && l->model && tok_load_dir(&l->own, l->dir, TOK_CASE_AUTO, ignored, sizeof ignored) != BB_OK)
        l->own = NULL;
    return BB_OK;
}

static void drop_ctx(ui_app *app) {
    if (app->cx) infer_close(app->cx);
    app->cx = NULL;
}

/* After the model or tokenizer changed (drop_ctx was called before either was freed): decides whether
 * they belong together (the loaded model is checked against its directory's own tokenizer when an
 * override is in use; a run's snapshot brings its own) and wraps them for the model panes if so. */
static void reload_panes(ui_app *app) {
    char err[256];
    app->mismatch[0] = 0;
    if (app->model && app->tk &&
        infer_check_tokenizer(app->model, app->tk, app->using_run[0] ? NULL : app->own_tk, app->mismatch,
                              sizeof app->mismatch) != BB_OK)
        ui_app_message(app, 1, "tokenizer %s does not match the model: %s; fill-mask and attention are off until a "
                       "matching one is loaded (`vocab FILE`)", app->vocab_path[0] ? app->vocab_path : app->model_dir,
                       app->mismatch);
    else if (app->model && app->tk && infer_wrap(&app->cx, app->model, app->tk, err, sizeof err) != BB_OK)
        ui_app_message(app, 1, "%s", err);
    for (int i = 0; i < app->n_panes; i++)
        if (app->panes[i].cls->reload) app->panes[i].cls->reload(app, &app->panes[i]);
}

/* Frees a run's snapshot in use and puts the loaded model and tokenizer back (drop_ctx first). */
static void put_back_loaded(ui_app *app) {
    if (!app->using_run[0]) return;
    bert_free(app->model);
    tok_free(app->tk);
    app->model = app->loaded_model;
    app->tk = app->loaded_tk;
    app->loaded_model = NULL;
    app->loaded_tk = NULL;
    app->using_run[0] = 0;
}

void ui_app_use(ui_app *app, bert_model *m, tok_tokenizer *tk, const char *label) {
    BB_ASSERT(!app->running); /* a running job may hold the model about to be freed */
    drop_ctx(app);
    if (!m) {
        put_back_loaded(app);
    } else {
        if (app->using_run[0]) {
            bert_free(app->model); /* the older snapshot: no job runs, so none holds it */
            tok_free(app->tk);
        } else {
            app->loaded_model = app->model;
            app->loaded_tk = app->tk;
        }
        app->model = m;
        app->tk = tk;
        snprintf(app->using_run, sizeof app->using_run, "%s", label && *label ? label : "a run");
    }
    reload_panes(app);
}

static void load_done(ui_app *app, ui_job *j, int status, const char *err) {
    load_job *l = (load_job *)j;
    if (status != BB_OK) {
        ui_app_message(app, 1, "load: %s", err);
    } else {
        drop_ctx(app);
        put_back_loaded(app); /* a load replaces the loaded model; a run's snapshot goes */
        if (l->model) {
            bert_free(app->model);
            app->model = l->model;
            snprintf(app->model_dir, sizeof app->model_dir, "%s", l->dir);
        }
        if (l->tk) {
            tok_free(app->tk);
            app->tk = l->tk;
        }
        if (l->model) { /* the new directory's own tokenizer, if an override is to be checked against it */
            tok_free(app->own_tk);
            app->own_tk = l->own;
            l->own = NULL;
        }
        if (l->model && l->tk)
            ui_app_message(app, 0, "loaded %s: %d layers x %d heads, hidden %d, vocab %d", l->dir,
                           app->model->cfg.num_layers, app->model->cfg.num_heads, app->model->cfg.hidden_size,
                           tok_vocab_size(app->tk));
        else if (l->model)
            ui_app_message(app, 1, "loaded the model of %s, but no tokenizer: %s (give one with `vocab FILE`)",
                           l->dir, l->tk_err);
        else
            ui_app_message(app, 1, "loaded a tokenizer only: %s", l->model_err);
        reload_panes(app);
    }
    tok_free(l->own);
    free(l);
}

int ui_app_load(ui_app *app, const char *dir, char *err, size_t errlen) {
    load_job *l = calloc(1, sizeof *l);
    if (!l) return bb_err(err, errlen, BB_ENOMEM, "load: out of memory");
    snprintf(l->dir, sizeof l->dir, "%s", dir);
    snprintf(l->vocab, sizeof l->vocab, "%s", app->vocab_path);
    l->job.what = "loading model";
    l->job.run = load_run;
    l->job.done = load_done;
    return ui_app_submit(app, &l->job);
}

int ui_app_load_vocab(ui_app *app, const char *path, char *err, size_t errlen) {
    if (app->running || app->n_queued)
        return bb_err(err, errlen, BB_EINVAL, "vocab: wait for the running work to finish (or Ctrl-C)");
    tok_tokenizer *tk;
    int st = tok_load_any(&tk, path, TOK_CASE_AUTO, err, errlen);
    if (st != BB_OK) return st;
    drop_ctx(app);
    put_back_loaded(app);
    tok_free(app->tk);
    app->tk = tk;
    snprintf(app->vocab_path, sizeof app->vocab_path, "%s", path);
    /* the loaded model's own tokenizer, once, to tell a matching override from another vocabulary */
    char ignored[256];
    if (app->model && !app->own_tk && app->model_dir[0] &&
        tok_load_dir(&app->own_tk, app->model_dir, TOK_CASE_AUTO, ignored, sizeof ignored) != BB_OK)
        app->own_tk = NULL;
    ui_app_message(app, 0, "tokenizer %s: %s, vocab %d", path, tok_kind_name(tok_kind(tk)),
                   tok_vocab_size(tk));
    reload_panes(app); /* after: a mismatch replaces the message above with the warning */
    return BB_OK;
}

int ui_app_pair_ok(const ui_app *app, const char *cmd, char *err, size_t errlen) {
    if (!app->mismatch[0]) return BB_OK;
    return bb_err(err, errlen, BB_EINVAL, "%s: the tokenizer does not match the model (%s); load a matching one with "
                  "`vocab FILE` or `load DIR`", cmd, app->mismatch);
}

int ui_app_draw_mismatch(const ui_app *app, viz_canvas *c, viz_rect r, const char *what) {
    if (!app->mismatch[0] || r.h < 1) return 0;
    viz_put(c, r.x, r.y, r.w, "tokenizer does not match the model", (viz_style){VIZ_COLOUR(VIZ_C_ERROR), VIZ_DEFAULT, VIZ_BOLD});
    if (r.h > 1) viz_put(c, r.x, r.y + 1, r.w, app->mismatch, (viz_style){VIZ_COLOUR(VIZ_C_ERROR), VIZ_DEFAULT, 0});
    if (r.h > 3)
        viz_printf(c, r.x, r.y + 3, r.w, VIZ_PLAIN, "%s is off until `vocab FILE` (or `load DIR`) brings a matching tokenizer;",
                   what);
    if (r.h > 4) viz_put(c, r.x, r.y + 4, r.w, "the tokens, compare and stats panes still work.", VIZ_PLAIN);
    return 1;
}

/* ---- init ------------------------------------------------------------------------------------- */

int ui_app_init(ui_app *app, const char *model_dir, const char *vocab, char *err, size_t errlen) {
    memset(app, 0, sizeof *app);
    for (int i = 0; ui_pane_registry[i] && app->n_panes < UI_MAX_PANES; i++) {
        ui_pane *p = &app->panes[app->n_panes++];
        p->cls = ui_pane_registry[i];
        if (p->cls->init && p->cls->init(p) != BB_OK) return bb_err(err, errlen, BB_ENOMEM, "out of memory");
    }
    for (int i = 0; i < 4; i++) app->slots[i] = i < app->n_panes ? i : 0;
    app->layout = UI_LAYOUT_SINGLE;
    app->log = calloc(UI_MSG_LOG, sizeof *app->log);
    app->sess = ui_sess_new();
    app->worker = ui_worker_new();
    if (!app->log || !app->sess || !app->worker) return bb_err(err, errlen, BB_ENOMEM, "cannot start the worker thread");
    if (vocab && *vocab) {
        int st = ui_app_load_vocab(app, vocab, err, errlen);
        if (st != BB_OK) return st;
    }
    if (model_dir && *model_dir) return ui_app_load(app, model_dir, err, errlen);
    if (!app->tk)
        ui_app_message(app, 0, "No model loaded: type `load DIR` (a Hugging Face model directory). F1 help.");
    return BB_OK;
}

void ui_app_free(ui_app *app) {
    ui_app_cancel_jobs(app);
    ui_app_wait_jobs(app);
    ui_worker_free(app->worker);
    for (int i = 0; i < app->n_panes; i++)
        if (app->panes[i].cls->free) app->panes[i].cls->free(&app->panes[i]);
    ui_sess_free(app->sess);
    drop_ctx(app);
    put_back_loaded(app);
    bert_free(app->model);
    tok_free(app->tk);
    free(app->log);
    tok_free(app->own_tk);
    memset(app, 0, sizeof *app);
}
