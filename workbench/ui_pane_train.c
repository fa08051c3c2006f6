/* The training pane: the current run's status line, loss (raw faint, de-biased EMA, eval points,
 * spikes, epoch marks, other runs overlaid), learning rate, grad norm and tokens/s plots, or the runs
 * table. Everything is drawn by viz/ from the run's curves, so `export train FILE.svg` and the
 * tests see what the screen shows. */
#define NCURSES_WIDECHAR 1
#include <curses.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui_pane_train.h"
#include "ui_session.h"
#include "viz_confusion.h"
#include "viz_plot.h"

enum { SPIKE_WINDOW = 20, MAX_EPOCH_MARKS = 24 };
#define SPIKE_Z 4.0

static int run_colour(int i) { return viz_run_colour(i); }

static const char *base_name(const char *p) {
    const char *s = p ? strrchr(p, '/') : NULL;
    return s && s[1] ? s + 1 : p ? p : "-";
}

static void fmt_num(char *b, size_t n, double v, const char *fmt) {
    if (isfinite(v))
        snprintf(b, n, fmt, v);
    else
        snprintf(b, n, "-");
}

/* ---- runs table ------------------------------------------------------------------------------- */

static void draw_table(ui_app *app, ui_sess *u, viz_canvas *c, viz_rect r) {
    if (!u->n_runs) {
        viz_put(c, r.x, r.y, r.w,
                "No runs yet. `train --task mlm --config CONFIG --data FILE --max-steps N` starts one;", VIZ_PLAIN);
        viz_put(c, r.x, r.y + 1, r.w, "`train --help` lists the options (those of `bertbench train`).", VIZ_PLAIN);
        return;
    }
    viz_style hs = {VIZ_COLOUR(VIZ_C_HEADING), VIZ_DEFAULT, VIZ_BOLD};
    viz_printf(c, r.x, r.y, r.w, hs, "%-10s %-11s %-6s %-10s %-12s %6s %9s %9s %8s %6s %6s %8s", "run", "status",
               "task", "init", "data", "steps", "train", "eval", "ppl", "acc", "F1", "time");
    /* rows from `first` so that the current run is in view; only the rows drawn are read from disk */
    int rows = r.h - 1, first = u->cur >= rows && rows > 0 ? u->cur - rows + 1 : 0;
    int row = 1;
    for (int i = first; i < u->n_runs && row < r.h; i++, row++) {
        const ui_runview *v = ui_run_ready(u, i);
        const sess_run *run = v->run;
        const ui_curves *cv = &v->cv;
        const cJSON *init = cJSON_GetObjectItemCaseSensitive(run->config, "init");
        const cJSON *data = cJSON_GetObjectItemCaseSensitive(run->config, "data");
        char loss[16], el[16], ppl[16], acc[16], f1[16], tm[16];
        fmt_num(loss, sizeof loss, cv->n ? cv->loss[cv->n - 1] : NAN, "%.4f");
        fmt_num(el, sizeof el, cv->ne ? cv->eloss[cv->ne - 1] : NAN, "%.4f");
        fmt_num(ppl, sizeof ppl, cv->ne ? cv->eppl[cv->ne - 1] : NAN, "%.4g");
        fmt_num(acc, sizeof acc, cv->ne ? cv->eacc[cv->ne - 1] : NAN, "%.3f");
        fmt_num(f1, sizeof f1, cv->ne ? cv->ef1[cv->ne - 1] : NAN, "%.3f");
        if (cv->n && isfinite(cv->time[cv->n - 1]))
            viz_duration_label(tm, sizeof tm, cv->time[cv->n - 1]);
        else
            snprintf(tm, sizeof tm, "-");
        const char *status = ui_run_status_text(u, i);
        viz_style st = {(int16_t)run_colour(i), VIZ_DEFAULT, (uint8_t)(i == u->cur ? VIZ_REVERSE : 0)};
        viz_printf(c, r.x, r.y + row, r.w, st, "%-10.10s %-11s %-6s %-10.10s %-12.12s %6ld %9s %9s %8s %6s %6s %8s",
                   run->name, status, ui_run_task(run), cJSON_IsString(init) ? base_name(init->valuestring) : "-",
                   cJSON_IsString(data) ? base_name(data->valuestring) : "-", cv->n ? (long)cv->step[cv->n - 1] : 0L,
                   loss, el, ppl, acc, f1, tm);
    }
    if (row + 1 < r.h)
        viz_put(c, r.x, r.y + row + 1, r.w,
                "n next run  r plot  o overlay other runs  `plot show RUN` / `plot hide RUN`  `csv [RUN] FILE`",
                (viz_style){VIZ_COLOUR(VIZ_C_MUTED), VIZ_DEFAULT, 0});
}

/* ---- plots ------------------------------------------------------------------------------------ */

/* The points of a run the view keeps (after skip, within the zoom), as x and the chosen column. */
typedef struct {
    double *x, *y, *y2, *y3, *y4; /* (n): loss, lr, grad norm, tokens/s */
    long n;
    double *ex, *es, *ey, *eppl, *eacc, *ef1; /* (ne) x, step, eval loss, perplexity, accuracy, macro-F1 */
    long ne;
    double *marks; /* (nm) epoch starts */
    int nm;
} view_pts;

static void view_free(view_pts *v) {
    free(v->x), free(v->y), free(v->y2), free(v->y3), free(v->y4), free(v->ex), free(v->ey), free(v->marks);
    free(v->es), free(v->eppl), free(v->eacc), free(v->ef1);
    memset(v, 0, sizeof *v);
}

static int view_build(view_pts *v, const ui_curves *cv, const ui_sess *u, double min_step) {
    memset(v, 0, sizeof *v);
    size_t n = (size_t)(cv->n ? cv->n : 1), ne = (size_t)(cv->ne ? cv->ne : 1);
    v->x = malloc(n * sizeof(double)), v->y = malloc(n * sizeof(double)), v->y2 = malloc(n * sizeof(double));
    v->y3 = malloc(n * sizeof(double)), v->y4 = malloc(n * sizeof(double)), v->marks = malloc(n * sizeof(double));
    v->ex = malloc(ne * sizeof(double)), v->ey = malloc(ne * sizeof(double));
    v->es = malloc(ne * sizeof(double));
    v->eppl = malloc(ne * sizeof(double)), v->eacc = malloc(ne * sizeof(double)), v->ef1 = malloc(ne * sizeof(double));
    if (!v->x || !v->y || !v->y2 || !v->y3 || !v->y4 || !v->marks || !v->ex || !v->ey || !v->es || !v->eppl || !v->eacc ||
        !v->ef1)
        return BB_ENOMEM;
    for (long i = 0; i < cv->n; i++) {
        if (cv->step[i] <= min_step) continue;
        double x = u->x_time ? cv->time[i] : cv->step[i];
        if (i > 0 && isfinite(cv->epoch[i]) && isfinite(cv->epoch[i - 1]) &&
            floor(cv->epoch[i] + 1e-9) > floor(cv->epoch[i - 1] + 1e-9) && v->n > 0)
            v->marks[v->nm++] = x;
        v->x[v->n] = x, v->y[v->n] = cv->loss[i], v->y2[v->n] = cv->lr[i], v->y3[v->n] = cv->gnorm[i];
        v->y4[v->n++] = cv->tps[i];
    }
    for (long i = 0; i < cv->ne; i++) {
        if (cv->estep[i] <= min_step) continue;
        v->ex[v->ne] = u->x_time ? cv->etime[i] : cv->estep[i];
        v->es[v->ne] = cv->estep[i], v->eppl[v->ne] = cv->eppl[i], v->eacc[v->ne] = cv->eacc[i], v->ef1[v->ne] = cv->ef1[i];
        v->ey[v->ne++] = cv->eloss[i];
    }
    if (v->nm > MAX_EPOCH_MARKS) v->nm = 0; /* tiny data sets: a mark every few steps says nothing */
    return BB_OK;
}

static double min_step_of(const ui_sess *u, const ui_curves *cv) {
    double m = (double)u->skip;
    if (u->last_n > 0 && cv->n > 0 && cv->step[cv->n - 1] - (double)u->last_n > m)
        m = cv->step[cv->n - 1] - (double)u->last_n;
    return m;
}

static const viz_style cursor_style = {VIZ_COLOUR(VIZ_C_CURSOR), VIZ_DEFAULT, VIZ_BOLD};

/* Index of the point of xs (n) nearest to x; -1 when n is 0. */
static long nearest(const double *xs, long n, double x) {
    long best = -1;
    for (long i = 0; i < n; i++)
        if (best < 0 || fabs(xs[i] - x) < fabs(xs[best] - x)) best = i;
    return best;
}

/* An eval metric: a line through its points with a mark on each (evaluations are few and far apart). */
static void eval_plot(viz_canvas *c, viz_rect r, const char *title, const double *x, const double *y, long n,
                      int colour, const ui_sess *u) {
    char t[96];
    long e = -1;
    for (long j = 0; u->cursor && j < n; j++)
        if (x[j] <= u->cursor_x + 1e-9) e = j;
    if (e >= 0 && isfinite(y[e])) snprintf(t, sizeof t, "%s %.4g", title, y[e]);
    title = e >= 0 && isfinite(y[e]) ? t : title;
    viz_series s[2] = {{.x = x, .y = y, .n = n, .style = {(int16_t)colour, VIZ_DEFAULT, 0}},
                       {.x = x,
                        .y = y,
                        .n = n,
                        .kind = VIZ_SERIES_POINTS,
                        .style = {(int16_t)colour, VIZ_DEFAULT, VIZ_BOLD},
                        .glyph = c->ascii ? 'o' : 0x25c6}};
    viz_plot p = {.series = s,
                  .n_series = 2,
                  .ylabel = title,
                  .xlabel = u->x_time ? "time" : "step",
                  .x_time = u->x_time,
                  .cursor = u->cursor,
                  .cursor_x = u->cursor_x,
                  .cursor_style = cursor_style};
    if (viz_plot_draw(c, r, &p) == 0 && r.h >= 5)
        viz_put(c, r.x + 2, r.y + r.h / 2, r.w - 2, "no evaluation yet", (viz_style){VIZ_COLOUR(VIZ_C_MUTED), VIZ_DEFAULT, 0});
}

static void small_plot(viz_canvas *c, viz_rect r, const char *title, const double *x, const double *y, long n,
                       int colour, const unsigned char *spikes, const ui_sess *u) {
    char t[96];
    long at = u->cursor ? nearest(x, n, u->cursor_x) : -1;
    if (at >= 0 && isfinite(y[at])) snprintf(t, sizeof t, "%s %.4g", title, y[at]);
    title = at >= 0 && isfinite(y[at]) ? t : title;
    viz_series s[2] = {{.x = x, .y = y, .n = n, .style = {(int16_t)colour, VIZ_DEFAULT, 0}, .band = 1}};
    int ns = 1;
    double *sx = NULL, *sy = NULL;
    if (spikes) {
        sx = malloc(sizeof(double) * (size_t)(n ? n : 1)), sy = malloc(sizeof(double) * (size_t)(n ? n : 1));
        long k = 0;
        for (long i = 0; sx && sy && i < n; i++)
            if (spikes[i]) sx[k] = x[i], sy[k++] = y[i];
        if (sx && sy && k)
            s[ns++] = (viz_series){.x = sx,
                                   .y = sy,
                                   .n = k,
                                   .kind = VIZ_SERIES_POINTS,
                                   .style = {VIZ_COLOUR(VIZ_C_SPIKE), VIZ_DEFAULT, VIZ_BOLD},
                                   .glyph = c->ascii ? '^' : 0x25b2,
                                   .label = "spike"};
    }
    viz_plot p = {.series = s,
                  .n_series = ns,
                  .ylabel = title,
                  .xlabel = u->x_time ? "time" : "step",
                  .x_time = u->x_time,
                  .cursor = u->cursor,
                  .cursor_x = u->cursor_x,
                  .cursor_style = cursor_style};
    viz_plot_draw(c, r, &p);
    free(sx), free(sy);
}

/* The current run's last confusion matrix, read again when an evaluation arrived since; the
 * trainer writes it into the metrics.jsonl of its output directory (the run directory, or --out). */
static const char *load_confusion(ui_sess *u, char *err, size_t errlen) {
    const ui_runview *v = &u->runs[u->cur];
    if (u->conf.k && u->conf_run == u->cur && u->conf_ne == v->cv.ne) return NULL;
    run_confusion_free(&u->conf);
    u->conf_run = u->cur, u->conf_ne = v->cv.ne;
    char path[4200];
    const char *dir = v->run->checkpoint_dir;
    if (!dir || snprintf(path, sizeof path, "%s/metrics.jsonl", dir) >= (int)sizeof path ||
        run_metrics_last_confusion(&u->conf, path, err, errlen) != BB_OK) {
        if (!u->s || sess_run_file(u->s, v->run, "metrics.jsonl", path, sizeof path) != BB_OK ||
            run_metrics_last_confusion(&u->conf, path, err, errlen) != BB_OK)
            return err;
    }
    return NULL;
}

static void draw_confusion(ui_sess *u, viz_canvas *c, viz_rect r) {
    const ui_runview *v = &u->runs[u->cur];
    viz_style note = {VIZ_COLOUR(VIZ_C_MUTED), VIZ_DEFAULT, 0};
    if (strcmp(ui_run_task(v->run), "mlm") == 0) {
        viz_printf(c, r.x, r.y, r.w, note, "%s is an MLM run: no labels, no confusion matrix (C: back to the plots)",
                   v->run->name);
        return;
    }
    char err[512] = "";
    const char *problem = load_confusion(u, err, sizeof err);
    if (problem) {
        viz_printf(c, r.x, r.y, r.w, (viz_style){VIZ_COLOUR(VIZ_C_ERROR), VIZ_DEFAULT, VIZ_BOLD}, "confusion matrix: %s", problem);
        return;
    }
    if (!u->conf.k) {
        viz_put(c, r.x, r.y, r.w,
                v->cv.ne ? "this run's evaluations carry no confusion matrix (written by an older bertbench)"
                         : "no evaluation yet: e evaluates now (C: back to the plots)",
                note);
        return;
    }
    char title[160];
    snprintf(title, sizeof title, "confusion matrix of the evaluation at step %ld: rows gold, columns predicted",
             u->conf.step);
    viz_confusion_draw(c, r, u->conf.k, (const char *const *)u->conf.labels, u->conf.counts, title);
}

/* The last evaluation at or before x (-1: none). */
static long last_eval_at(const view_pts *v, double x) {
    long e = -1;
    for (long j = 0; j < v->ne; j++)
        if (v->ex[j] <= x + 1e-9) e = j;
    return e;
}


/* The cursor's readout: step, time and every series' value at the point under the cursor; the eval
 * values are those of the last evaluation at or before it. */
static void cursor_line(viz_canvas *c, viz_rect r, const ui_sess *u, const ui_curves *cv, const view_pts *v,
                        const double *ema) {
    long i = nearest(v->x, v->n, u->cursor_x);
    /* the curve's row of that point, for its step and time whichever the x axis is */
    long k = -1;
    for (long j = 0; j < cv->n; j++)
        if ((u->x_time ? cv->time[j] : cv->step[j]) == v->x[i]) k = j;
    char tm[32] = "-", l[5][16], ev[64] = "";
    if (k >= 0) viz_duration_label(tm, sizeof tm, cv->time[k]);
    fmt_num(l[0], sizeof l[0], v->y[i], "%.4f");
    fmt_num(l[1], sizeof l[1], ema[i], "%.4f");
    fmt_num(l[2], sizeof l[2], v->y2[i], "%.3g");
    fmt_num(l[3], sizeof l[3], v->y3[i], "%.3g");
    fmt_num(l[4], sizeof l[4], v->y4[i], "%.0f");
    long e = last_eval_at(v, v->x[i]);
    if (e >= 0) snprintf(ev, sizeof ev, "  (evals below: step %.0f)", v->es[e]);
    int x = r.x + viz_put(c, r.x, r.y, r.w, c->ascii ? "|" : "\xe2\x94\x82", cursor_style);
    viz_printf(c, x, r.y, r.x + r.w - x, cursor_style, " step %.0f  %s  loss %s  smoothed %s  lr %s  grad norm %s  tok/s %s%s",
               k >= 0 ? cv->step[k] : v->x[i], tm, l[0], l[1], l[2], l[3], l[4], ev);
}

/* The first row: run name, status, a progress bar, step, epoch, elapsed time, ETA and tokens/s (the live
 * trainer's snapshot, else the run's last logged point). */
static void status_row(ui_sess *u, const ui_runview *cur, viz_canvas *c, viz_rect r) {
    const ui_curves *cv = &cur->cv;
    int live = u->t && u->live == u->cur;
    long step = live ? u->st.step : cv->n ? (long)cv->step[cv->n - 1] : 0;
    long total = live ? u->st.total_steps : ui_run_total(cur->run);
    const char *status = ui_run_status_text(u, u->cur);
    int x = r.x;
    x += viz_printf(c, x, r.y, r.w, (viz_style){(int16_t)run_colour(u->cur), VIZ_DEFAULT, VIZ_BOLD}, "%s ",
                    cur->run->name);
    x += viz_printf(c, x, r.y, r.x + r.w - x, (viz_style){VIZ_COLOUR(VIZ_C_ON_ACCENT), VIZ_COLOUR(live && !u->st.paused ? VIZ_C_BUSY : VIZ_C_BADGE), VIZ_BOLD}, " %s ",
                    status);
    enum { BAR = 20 };
    double frac = total > 0 ? (double)step / (double)total : 0;
    x += 1;
    for (int i = 0; i < BAR && x < r.x + r.w; i++, x++) {
        double f = frac * BAR - i;
        uint32_t g = c->ascii ? (f >= 1 ? '#' : f > 0.5 ? '=' : '-') : f >= 1 ? 0x2588 : f > 0.5 ? 0x258c : 0x2591;
        viz_putc(c, x, r.y, g, (viz_style){VIZ_COLOUR(f > 0.5 ? VIZ_C_GOOD : VIZ_C_MUTED), VIZ_DEFAULT, 0});
    }
    double elapsed = live ? u->st.elapsed_s : cv->n ? cv->time[cv->n - 1] : 0;
    double tps = live ? u->st.tokens_per_s : cv->n ? cv->tps[cv->n - 1] : 0;
    double epoch = live ? u->st.epoch : cv->n ? cv->epoch[cv->n - 1] : 0;
    char el[32], eta[32] = "-";
    viz_duration_label(el, sizeof el, elapsed);
    if (live && isfinite(u->st.eta_s) && u->st.eta_s >= 0)
        viz_duration_label(eta, sizeof eta, u->st.eta_s);
    else if (live && step > 0 && total > step)
        viz_duration_label(eta, sizeof eta, elapsed / step * (total - step));
    char f[5][48];
    snprintf(f[0], sizeof f[0], " step %ld/%ld %3.0f%%", step, total, 100 * frac);
    snprintf(f[1], sizeof f[1], "  epoch %.2f", isfinite(epoch) ? epoch : 0);
    snprintf(f[2], sizeof f[2], "  elapsed %s", el);
    snprintf(f[3], sizeof f[3], "  ETA %s", eta);
    snprintf(f[4], sizeof f[4], "  %.0f tok/s", isfinite(tps) ? tps : 0);
    const char *const fields[5] = {f[0], f[1], f[2], f[3], f[4]};
    viz_put_fields(c, x, r.y, r.x + r.w - x, fields, 5, VIZ_PLAIN);
}

/* The second row: the latest numbers, or the value cursor's readout. */
static void numbers_row(ui_sess *u, const ui_curves *cv, const view_pts *v, const double *ema, long spikes,
                        viz_canvas *c, viz_rect r) {
    char l1[16], l2[16], l3[16], l4[16], l5[16], m1[48] = "";
    fmt_num(l1, sizeof l1, v->n ? v->y[v->n - 1] : NAN, "%.4f");
    fmt_num(l2, sizeof l2, v->n ? ema[v->n - 1] : NAN, "%.4f");
    fmt_num(l3, sizeof l3, v->n ? v->y2[v->n - 1] : NAN, "%.3g");
    fmt_num(l4, sizeof l4, v->n ? v->y3[v->n - 1] : NAN, "%.3g");
    fmt_num(l5, sizeof l5, cv->ne ? cv->eloss[cv->ne - 1] : NAN, "%.4f");
    if (cv->ne && isfinite(cv->eppl[cv->ne - 1]))
        snprintf(m1, sizeof m1, "  perplexity %.3f", cv->eppl[cv->ne - 1]);
    else if (cv->ne && isfinite(cv->eacc[cv->ne - 1]))
        snprintf(m1, sizeof m1, "  accuracy %.4f  F1 %.4f", cv->eacc[cv->ne - 1], cv->ef1[cv->ne - 1]);
    if (u->cursor && v->n)
        cursor_line(c, r, u, cv, v, ema);
    else
        viz_printf(c, r.x, r.y, r.w, VIZ_PLAIN, "loss %s  smoothed %s  lr %s  grad norm %s  eval loss %s%s  spikes %ld",
                   l1, l2, l3, l4, l5, m1, spikes);
}

/* A third row, only for a run whose data lost lines to --skip-invalid-utf8; returns the rows used. */
static int skipped_row(const ui_curves *cv, viz_canvas *c, viz_rect r) {
    int skipped = cv->skipped[0] + cv->skipped[1];
    if (skipped <= 0) return 0;
    char split[64] = "";
    if (cv->skipped[1] > 0) snprintf(split, sizeof split, ": %d training, %d eval", cv->skipped[0], cv->skipped[1]);
    viz_printf(c, r.x, r.y, r.w, (viz_style){VIZ_COLOUR(VIZ_C_WARN), VIZ_DEFAULT, VIZ_BOLD},
               "%d line%s skipped (not UTF-8)%s", skipped, skipped == 1 ? "" : "s", split);
    return 1;
}

/* The main plot in mr: the other runs shown (smoothed), then this run's raw loss, smoothed loss, eval
 * points and spikes (sl flags v's points). */
static void main_plot(ui_sess *u, const view_pts *v, const double *ema, const unsigned char *sl, double min_step,
                      int waiting, viz_canvas *c, viz_rect mr) {
    viz_series ss[16];
    view_pts ov[8];
    double *oema[8];
    int ns = 0, nov = 0;
    char lab[8][80], elab[32];
    for (int i = 0; i < u->n_runs && nov < 8; i++) {
        if (i == u->cur || !u->runs[i].shown) continue;
        if (view_build(&ov[nov], &ui_run_ready(u, i)->cv, u, min_step) != BB_OK ||
            !(oema[nov] = malloc(sizeof(double) * (size_t)(ov[nov].n ? ov[nov].n : 1)))) {
            view_free(&ov[nov]);
            continue;
        }
        viz_ema(oema[nov], ov[nov].y, ov[nov].n, u->ema);
        snprintf(lab[nov], sizeof lab[nov], "%s", u->runs[i].run->name);
        ss[ns++] = (viz_series){.x = ov[nov].x,
                                .y = oema[nov],
                                .n = ov[nov].n,
                                .style = {(int16_t)run_colour(i), VIZ_DEFAULT, 0},
                                .label = lab[nov]};
        nov++;
    }
    snprintf(elab, sizeof elab, "smoothed %.2g", u->ema);
    ss[ns++] = (viz_series){
        .x = v->x, .y = v->y, .n = v->n, .style = {VIZ_COLOUR(VIZ_C_RAW), VIZ_DEFAULT, VIZ_DIM}, .label = "raw", .band = 1};
    ss[ns++] = (viz_series){
        .x = v->x, .y = ema, .n = v->n, .style = {(int16_t)run_colour(u->cur), VIZ_DEFAULT, VIZ_BOLD}, .label = elab};
    if (v->ne)
        ss[ns++] = (viz_series){.x = v->ex,
                                .y = v->ey,
                                .n = v->ne,
                                .kind = VIZ_SERIES_POINTS,
                                .style = {VIZ_COLOUR(VIZ_C_EVAL), VIZ_DEFAULT, VIZ_BOLD},
                                .glyph = c->ascii ? 'o' : 0x25c6,
                                .label = "eval"};
    double *spx = malloc(sizeof(double) * (size_t)(v->n ? v->n : 1)),
           *spy = malloc(sizeof(double) * (size_t)(v->n ? v->n : 1));
    long k = 0;
    for (long i = 0; spx && spy && i < v->n; i++)
        if (sl[i]) spx[k] = v->x[i], spy[k++] = v->y[i];
    if (k)
        ss[ns++] = (viz_series){.x = spx,
                                .y = spy,
                                .n = k,
                                .kind = VIZ_SERIES_POINTS,
                                .style = {VIZ_COLOUR(VIZ_C_SPIKE), VIZ_DEFAULT, VIZ_BOLD},
                                .glyph = c->ascii ? '^' : 0x25b2,
                                .label = "spike"};
    char ylab[64];
    snprintf(ylab, sizeof ylab, "train loss%s%s", u->log_y ? " (log)" : "", u->skip ? " (skip)" : "");
    viz_plot p = {.series = ss,
                  .n_series = ns,
                  .vmarks = v->marks,
                  .n_vmarks = v->nm,
                  .ylabel = ylab,
                  .xlabel = u->x_time ? "time" : "step",
                  .x_time = u->x_time,
                  .log_y = u->log_y,
                  .cursor = u->cursor,
                  .cursor_x = u->cursor_x,
                  .cursor_style = cursor_style};
    u->plot_w = mr.w;
    if (mr.h >= 5 && viz_plot_draw(c, mr, &p) == 0)
        viz_put(c, mr.x + mr.w / 2 - 10, mr.y + mr.h / 2, mr.w / 2,
                waiting ? "waiting for the first step..." : "no steps logged",
                (viz_style){VIZ_COLOUR(VIZ_C_MUTED), VIZ_DEFAULT, 0});
    free(spx), free(spy);
    for (int i = 0; i < nov; i++) view_free(&ov[i]), free(oema[i]);
}

/* The small plots under the main one (sr: the first's place): the eval metrics when the run has
 * evaluations (g: the optimizer's instead), else learning rate, grad norm (with its spikes sg), tokens/s. */
static void lower_plots(const ui_sess *u, const ui_curves *cv, const view_pts *v, const unsigned char *sg,
                        viz_canvas *c, viz_rect sr, int total_w) {
    int evals = cv->ne > 0 && !u->opt_row;
    int cls = evals && !isfinite(cv->eppl[cv->ne - 1]);
    int nplots = total_w >= 96 || cls ? 3 : 2, w = total_w / nplots;
    sr.w = w - 1;
    if (evals) {
        eval_plot(c, sr, "eval loss", v->ex, v->ey, v->ne, VIZ_COLOUR(VIZ_C_EVAL), u);
        sr.x += w;
        if (cls) {
            eval_plot(c, sr, "accuracy", v->ex, v->eacc, v->ne, 118, u);
            sr.x += w;
            eval_plot(c, sr, "macro F1", v->ex, v->ef1, v->ne, 51, u);
        } else {
            eval_plot(c, sr, "perplexity", v->ex, v->eppl, v->ne, 213, u);
            if (nplots == 3) {
                sr.x += w;
                small_plot(c, sr, "learning rate", v->x, v->y2, v->n, 141, NULL, u);
            }
        }
        return;
    }
    small_plot(c, sr, "learning rate", v->x, v->y2, v->n, 141, NULL, u);
    sr.x += w;
    small_plot(c, sr, "grad norm", v->x, v->y3, v->n, 208, sg, u);
    if (nplots == 3) {
        sr.x += w;
        small_plot(c, sr, "tokens/s", v->x, v->y4, v->n, 118, NULL, u);
    }
}

/* The last row: the pane's keys (a followed run: its directory and the keys that apply to it), as
 * many whole entries as the row holds; F1 lists them all. */
static void keys_row(ui_sess *u, const ui_runview *cur, viz_canvas *c, viz_rect r) {
    static const char *const own[] = {"<-/-> cursor", "  c hide", "  g eval/optimizer plots", "  C confusion",
                                      "  p pause/resume", "  X stop", "  s checkpoint", "  e eval", "  l log",
                                      "  t step/time", "  z zoom", "  -/+ smooth", "  [/] skip", "  r runs",
                                      "  n next run", "  o overlay"};
    static const char *const followed[] = {"", "  <-/-> cursor", "  c hide", "  g eval/optimizer plots", "  l log",
                                           "  t step/time", "  z zoom", "  -/+ smooth", "  [/] skip", "  r runs",
                                           "  n next run", "  o overlay"};
    viz_style muted = {VIZ_COLOUR(VIZ_C_MUTED), VIZ_DEFAULT, 0};
    if (!ui_run_external(u, u->cur)) {
        viz_put_fields(c, r.x, r.y, r.w, own, (int)(sizeof own / sizeof *own), muted);
        return;
    }
    enum { N = sizeof followed / sizeof *followed };
    char dir[1100];
    snprintf(dir, sizeof dir, "followed read-only: %.1000s",
             cJSON_GetObjectItemCaseSensitive(cur->run->config, "dir")->valuestring);
    const char *fields[N];
    memcpy(fields, followed, sizeof fields);
    fields[0] = dir;
    viz_put_fields(c, r.x, r.y, r.w, fields, N, muted);
}

static void draw_plots(ui_app *app, ui_sess *u, viz_canvas *c, viz_rect r) {
    ui_runview *cur = ui_run_ready(u, u->cur);
    const ui_curves *cv = &cur->cv;
    status_row(u, cur, c, r);
    /* the points in view */
    double min_step = min_step_of(u, cv);
    view_pts v;
    if (view_build(&v, cv, u, min_step) != BB_OK) {
        view_free(&v);
        viz_put(c, r.x, r.y + 1, r.w, "out of memory", VIZ_PLAIN);
        return;
    }
    double *ema = malloc(sizeof(double) * (size_t)(v.n ? v.n : 1));
    unsigned char *sl = malloc((size_t)(v.n ? v.n : 1)), *sg = malloc((size_t)(v.n ? v.n : 1));
    if (ema && sl && sg) {
        viz_ema(ema, v.y, v.n, u->ema);
        long nsl = viz_spikes(sl, v.y, v.n, SPIKE_WINDOW, SPIKE_Z), nsg = viz_spikes(sg, v.y3, v.n, SPIKE_WINDOW, SPIKE_Z);
        numbers_row(u, cv, &v, ema, nsl + nsg, c, (viz_rect){r.x, r.y + 1, r.w, 1});
        int note = skipped_row(cv, c, (viz_rect){r.x, r.y + 2, r.w, 1});
        if (u->confusion) {
            draw_confusion(u, c, (viz_rect){r.x, r.y + 3 + note, r.w, r.h - 4 - note});
            viz_put(c, r.x, r.y + r.h - 1, r.w, "C plots  e eval now  n next run  r runs  p pause/resume  X stop",
                    (viz_style){VIZ_COLOUR(VIZ_C_MUTED), VIZ_DEFAULT, 0});
        } else {
            int small_h = r.h >= 22 ? 8 : r.h >= 18 ? 6 : 0;
            viz_rect mr = {r.x, r.y + 2 + note, r.w, r.h - 3 - small_h - note};
            main_plot(u, &v, ema, sl, min_step, (u->t && u->live == u->cur) || u->starting, c, mr);
            if (small_h) lower_plots(u, cv, &v, sg, c, (viz_rect){r.x, mr.y + mr.h, r.w, small_h}, r.w);
            keys_row(u, cur, c, (viz_rect){r.x, r.y + r.h - 1, r.w, 1});
        }
    }
    free(ema), free(sl), free(sg);
    view_free(&v);
}

static void train_draw(ui_app *app, ui_pane *p, viz_canvas *c, viz_rect r) {
    ui_sess *u = ui_sess_of(app);
    if (u->table || u->cur < 0 || u->cur >= u->n_runs)
        draw_table(app, u, c, r);
    else
        draw_plots(app, u, c, r);
}

/* Moves the value cursor: by `cols` plot columns (negative: left), or to the first/last point in view
 * (cols = INT_MIN / INT_MAX). The first move shows it on the last point. */
static void move_cursor(ui_sess *u, int cols) {
    if (u->cur < 0 || u->cur >= u->n_runs) return;
    const ui_curves *cv = &ui_run_ready(u, u->cur)->cv;
    double min_step = min_step_of(u, cv);
    long first = 0;
    while (first < cv->n && cv->step[first] <= min_step) first++;
    long n = cv->n - first;
    if (n <= 0) return;
    const double *xs = (u->x_time ? cv->time : cv->step) + first;
    long i = u->cursor ? nearest(xs, n, u->cursor_x) : n - 1;
    if (u->cursor && cols == INT_MIN) i = 0;
    else if (u->cursor && cols == INT_MAX) i = n - 1;
    else if (u->cursor) {
        long per_col = u->plot_w > 8 ? (n + u->plot_w - 9) / (u->plot_w - 8) : 1; /* less the y labels */
        i += (long)cols * (per_col > 0 ? per_col : 1);
    }
    i = i < 0 ? 0 : i >= n ? n - 1 : i;
    u->cursor = 1;
    u->cursor_x = xs[i];
}

/* ---- keys ----------------------------------------------------------------------------------- */

static int key_cursor(ui_app *app, ui_pane *p, int key) {
    ui_sess *u = ui_sess_of(app);
    switch (key) {
    case UI_KEY(KEY_LEFT): move_cursor(u, -1); break;
    case UI_KEY(KEY_RIGHT): move_cursor(u, 1); break;
    case UI_KEY(KEY_SLEFT): move_cursor(u, -10); break;
    case UI_KEY(KEY_SRIGHT): move_cursor(u, 10); break;
    case UI_KEY(KEY_HOME): move_cursor(u, INT_MIN); break;
    default: move_cursor(u, INT_MAX);
    }
    return UI_CHANGED;
}

static int key_hide_cursor(ui_app *app, ui_pane *p, int key) {
    ui_sess_of(app)->cursor = 0;
    return UI_CHANGED;
}

static int key_lower_plots(ui_app *app, ui_pane *p, int key) {
    ui_sess *u = ui_sess_of(app);
    u->opt_row = !u->opt_row;
    ui_app_message(app, 0, "lower plots: %s (g switches)",
                   u->opt_row ? "learning rate, grad norm, tokens/s" : "eval loss and metrics");
    return UI_CHANGED;
}

static int key_confusion(ui_app *app, ui_pane *p, int key) {
    ui_sess *u = ui_sess_of(app);
    u->confusion = !u->confusion;
    return UI_CHANGED;
}

/* p pause/resume, X stop, s checkpoint, e eval: the live run's commands, refused on a followed run */
static int key_run(ui_app *app, ui_pane *p, int key) {
    ui_sess *u = ui_sess_of(app);
    char err[512] = "";
    int rc = BB_OK;
    if (ui_run_external(u, u->cur)) {
        ui_app_message(app, 1, "%s is followed read-only (another program trains it): no pause, stop, checkpoint "
                       "or eval here", u->runs[u->cur].run->name);
        return UI_CHANGED;
    }
    switch (key) {
    case 'p':
        rc = u->t && u->st.paused ? ui_cmd_resume(app, "", err, sizeof err) : ui_cmd_pause(app, "", err, sizeof err);
        break;
    case 'X': rc = ui_cmd_stop(app, "", err, sizeof err); break;
    case 's': rc = ui_cmd_ckpt(app, "", err, sizeof err); break;
    default: rc = ui_cmd_eval(app, "", err, sizeof err);
    }
    if (rc != BB_OK) ui_app_message(app, 1, "%s", err);
    return UI_CHANGED;
}

/* Ctrl-C on a live run asks first; a second Ctrl-C right after stops it (after its current step, with a
 * checkpoint). Without a live run the app's Ctrl-C applies. */
static int key_interrupt(ui_app *app, ui_pane *p, int key) {
    ui_sess *u = ui_sess_of(app);
    if (!u->t || u->st.finished) return UI_IGNORED;
    char err[256];
    if (!u->stop_asked || app->prev_key != key) {
        u->stop_asked = 1;
        ui_app_message(app, 0, "Ctrl-C again stops %s (after its current step, with a checkpoint)",
                       u->runs[u->live].run->name);
    } else {
        u->stop_asked = 0;
        if (ui_cmd_stop(app, "", err, sizeof err) != BB_OK) ui_app_message(app, 1, "%s", err);
    }
    return UI_CHANGED;
}

static int key_log(ui_app *app, ui_pane *p, int key) {
    ui_sess *u = ui_sess_of(app);
    u->log_y = !u->log_y;
    return UI_CHANGED;
}

/* The x axis: steps or time; the cursor stays on its point, its x becomes that point's time (or step). */
static int key_x_axis(ui_app *app, ui_pane *p, int key) {
    ui_sess *u = ui_sess_of(app);
    const ui_curves *cv = u->cur >= 0 && u->cur < u->n_runs ? &ui_run_ready(u, u->cur)->cv : NULL;
    long i = cv && u->cursor ? nearest(u->x_time ? cv->time : cv->step, cv->n, u->cursor_x) : -1;
    u->x_time = !u->x_time;
    if (i >= 0) u->cursor_x = u->x_time ? cv->time[i] : cv->step[i];
    return UI_CHANGED;
}

static int key_zoom(ui_app *app, ui_pane *p, int key) {
    static const long zooms[4] = {0, 20, 100, 500};
    ui_sess *u = ui_sess_of(app);
    int k = 0;
    while (k < 3 && zooms[k] != u->last_n) k++;
    u->last_n = zooms[(k + 1) % 4];
    if (u->last_n)
        ui_app_message(app, 0, "showing the last %ld steps (z: more)", u->last_n);
    else
        ui_app_message(app, 0, "showing all steps");
    return UI_CHANGED;
}

static int key_smooth(ui_app *app, ui_pane *p, int key) {
    ui_sess *u = ui_sess_of(app);
    if (key == '-') u->ema = u->ema - 0.1 < 0 ? 0 : floor(u->ema * 10 - 0.5) / 10;
    else u->ema = u->ema + 0.1 > 0.99 ? 0.99 : floor(u->ema * 10 + 1.5) / 10;
    return UI_CHANGED;
}

static int key_skip(ui_app *app, ui_pane *p, int key) {
    ui_sess *u = ui_sess_of(app);
    if (key == ']') u->skip += 10;
    else u->skip = u->skip >= 10 ? u->skip - 10 : 0;
    return UI_CHANGED;
}

static int key_table(ui_app *app, ui_pane *p, int key) {
    ui_sess *u = ui_sess_of(app);
    u->table = !u->table;
    return UI_CHANGED;
}

static int key_next_run(ui_app *app, ui_pane *p, int key) {
    ui_sess *u = ui_sess_of(app);
    if (u->n_runs) u->cur = (u->cur + 1) % u->n_runs;
    return UI_CHANGED;
}

/* Every other run overlaid on the plot, or none. */
static int key_overlay(ui_app *app, ui_pane *p, int key) {
    ui_sess *u = ui_sess_of(app);
    int any = 0;
    for (int i = 0; i < u->n_runs; i++) any |= i != u->cur && u->runs[i].shown;
    for (int i = 0; i < u->n_runs; i++) u->runs[i].shown = !any && i != u->cur;
    return UI_CHANGED;
}

static const ui_key_binding train_keys[] = {
    {UI_KEY(KEY_LEFT), key_cursor, "value cursor left"},
    {UI_KEY(KEY_RIGHT), key_cursor, "right"},
    {UI_KEY(KEY_SLEFT), key_cursor, "10 columns left"},
    {UI_KEY(KEY_SRIGHT), key_cursor, "10 right"},
    {UI_KEY(KEY_HOME), key_cursor, "first point"},
    {UI_KEY(KEY_END), key_cursor, "last point"},
    {'c', key_hide_cursor, "hide the cursor"},
    {'g', key_lower_plots, "eval/optimizer plots"},
    {'C', key_confusion, "confusion matrix"},
    {'p', key_run, "pause/resume"},
    {'X', key_run, "stop"},
    {3, key_interrupt, "twice: stop"},
    {'s', key_run, "checkpoint"},
    {'e', key_run, "eval"},
    {'l', key_log, "log scale"},
    {'t', key_x_axis, "x axis step/time"},
    {'z', key_zoom, "zoom to the last steps"},
    {'-', key_smooth, "less smoothing"},
    {'+', key_smooth, "more"},
    {'=', key_smooth, NULL},
    {'[', key_skip, "skip 10 steps fewer"},
    {']', key_skip, "more"},
    {'r', key_table, "runs table"},
    {'n', key_next_run, "next run"},
    {'o', key_overlay, "overlay the other runs"},
    {0, NULL, NULL},
};

/* ---- commands (ui_train.c, ui_follow.c) ---------------------------------------------------------- */

static const char *const use_words[] = {"run", "model", NULL}, *const watch_words[] = {"off", NULL};

static const ui_cmd train_cmds[] = {
    {.name = "train", .args = "OPTIONS",
     .help = "start a training run (the options of `bertbench train`; --help lists them)", .fn = ui_cmd_train},
    {.name = "pause", .args = "", .help = "pause the run after its current step (p in the train pane)",
     .fn = ui_cmd_pause},
    {.name = "resume", .args = "[RUN]",
     .help = "continue the paused run, or an interrupted/stopped RUN from its last checkpoint", .fn = ui_cmd_resume},
    {.name = "stop", .args = "", .help = "stop the run after its current step, with a checkpoint (X)",
     .fn = ui_cmd_stop},
    {.name = "checkpoint", .alias = "ckpt", .args = "", .help = "save a checkpoint of the run now (s)",
     .fn = ui_cmd_ckpt},
    {.name = "eval", .args = "", .help = "evaluate the run now (e)", .fn = ui_cmd_eval},
    {.name = "follow", .args = "[DIR]",
     .help = "follow a run trained elsewhere (HF Trainer output_dir, TensorBoard logs, a bertbench run), read-only",
     .fn = ui_cmd_follow},
    {.name = "unfollow", .args = "[RUN]",
     .help = "stop following an external run (the shown one without RUN)", .fn = ui_cmd_unfollow},
    {.name = "runs", .args = "",
     .help = "the runs table: task, init, data, steps, losses, perplexity, accuracy, F1, time", .fn = ui_cmd_runs},
    {.name = "plot", .args = "[step|time] [log|linear] [smooth W] [skip N] [last N|all] [show|hide|run RUN]",
     .help = "the training plot's view", .fn = ui_cmd_plot},
    {.name = "csv", .args = "[RUN] FILE", .help = "write a run's metrics as CSV", .fn = ui_cmd_csv},
    {.name = "use", .args = "run|model",
     .help = "every pane on a snapshot of the training run's latest weights (`use run` again: newer), or the loaded "
     "model", .fn = ui_cmd_use, .words = use_words},
    {.name = "watch", .args = "N|off",
     .help = "fill-mask of the fill-mask pane's text on the run's latest weights every N steps", .fn = ui_cmd_watch,
     .words = watch_words},
    {0},
};

/* export: the header lines at full width and, in the runs table, every run */
static void train_extent(ui_app *app, ui_pane *p, int *w, int *h) {
    ui_sess *u = ui_sess_of(app);
    *w = 170;
    if (u->table && u->n_runs + 2 > *h) *h = u->n_runs + 2;
}

const ui_pane_class ui_train_pane = {
    .name = "train",
    .help = "training runs: `train ...`; `watch N` ranks the fill-mask text on the run's weights every N steps, "
            "`use run` puts every pane on them",
    .keys = train_keys,
    .cmds = train_cmds,
    .draw = train_draw,
    .extent = train_extent,
};
