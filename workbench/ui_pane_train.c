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
        if (i == u->live && u->t && u->st.paused) status = "paused";
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

static void draw_plots(ui_app *app, ui_sess *u, viz_canvas *c, viz_rect r) {
    ui_runview *cur = ui_run_ready(u, u->cur);
    const ui_curves *cv = &cur->cv;
    int live = u->t && u->live == u->cur;
    /* header: status, progress, time */
    long step = live ? u->st.step : cv->n ? (long)cv->step[cv->n - 1] : 0;
    long total = live ? u->st.total_steps : ui_run_total(cur->run);
    const char *status = ui_run_status_text(u, u->cur);
    if (live && u->st.paused) status = "paused";
    if (u->starting && u->live == u->cur) status = "loading";
    int x = r.x;
    x += viz_printf(c, x, r.y, r.w, (viz_style){(int16_t)run_colour(u->cur), VIZ_DEFAULT, VIZ_BOLD}, "%s ",
                    cur->run->name);
    x += viz_printf(c, x, r.y, r.x + r.w - x, (viz_style){VIZ_COLOUR(VIZ_C_ON_ACCENT), VIZ_COLOUR(live && !u->st.paused ? VIZ_C_BUSY : VIZ_C_MUTED), VIZ_BOLD}, " %s ",
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
    viz_printf(c, x, r.y, r.x + r.w - x, VIZ_PLAIN, " step %ld/%ld %3.0f%%  epoch %.2f  elapsed %s  ETA %s  %.0f tok/s",
               step, total, 100 * frac, isfinite(epoch) ? epoch : 0, el, eta, isfinite(tps) ? tps : 0);
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
    if (!ema || !sl || !sg) goto out;
    viz_ema(ema, v.y, v.n, u->ema);
    long nsl = viz_spikes(sl, v.y, v.n, SPIKE_WINDOW, SPIKE_Z), nsg = viz_spikes(sg, v.y3, v.n, SPIKE_WINDOW, SPIKE_Z);
    /* second line: latest numbers */
    char l1[16], l2[16], l3[16], l4[16], l5[16], m1[48] = "";
    fmt_num(l1, sizeof l1, v.n ? v.y[v.n - 1] : NAN, "%.4f");
    fmt_num(l2, sizeof l2, v.n ? ema[v.n - 1] : NAN, "%.4f");
    fmt_num(l3, sizeof l3, v.n ? v.y2[v.n - 1] : NAN, "%.3g");
    fmt_num(l4, sizeof l4, v.n ? v.y3[v.n - 1] : NAN, "%.3g");
    fmt_num(l5, sizeof l5, cv->ne ? cv->eloss[cv->ne - 1] : NAN, "%.4f");
    if (cv->ne && isfinite(cv->eppl[cv->ne - 1]))
        snprintf(m1, sizeof m1, "  perplexity %.3f", cv->eppl[cv->ne - 1]);
    else if (cv->ne && isfinite(cv->eacc[cv->ne - 1]))
        snprintf(m1, sizeof m1, "  accuracy %.4f  F1 %.4f", cv->eacc[cv->ne - 1], cv->ef1[cv->ne - 1]);
    if (u->cursor && v.n)
        cursor_line(c, (viz_rect){r.x, r.y + 1, r.w, 1}, u, cv, &v, ema);
    else
        viz_printf(c, r.x, r.y + 1, r.w, VIZ_PLAIN,
                   "loss %s  smoothed %s  lr %s  grad norm %s  eval loss %s%s  spikes %ld", l1, l2, l3, l4, l5, m1,
                   nsl + nsg);
    /* a third line, only for a run whose data lost lines to --skip-invalid-utf8 */
    int skipped = cv->skipped[0] + cv->skipped[1], note = skipped > 0;
    if (note) {
        char split[64] = "";
        if (cv->skipped[1] > 0)
            snprintf(split, sizeof split, ": %d training, %d eval", cv->skipped[0], cv->skipped[1]);
        viz_printf(c, r.x, r.y + 2, r.w, (viz_style){VIZ_COLOUR(VIZ_C_WARN), VIZ_DEFAULT, VIZ_BOLD}, "%d line%s skipped (not UTF-8)%s",
                   skipped, skipped == 1 ? "" : "s", split);
    }
    if (u->confusion) {
        draw_confusion(u, c, (viz_rect){r.x, r.y + 3 + note, r.w, r.h - 4 - note});
        viz_put(c, r.x, r.y + r.h - 1, r.w, "C plots  e eval now  n next run  r runs  p pause/resume  X stop",
                (viz_style){VIZ_COLOUR(VIZ_C_MUTED), VIZ_DEFAULT, 0});
        goto out;
    }
    /* main plot: other runs (smoothed), then raw, smoothed, eval points, spikes of this one */
    int small_h = r.h >= 22 ? 8 : r.h >= 18 ? 6 : 0;
    viz_rect mr = {r.x, r.y + 2 + note, r.w, r.h - 3 - small_h - note};
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
        .x = v.x, .y = v.y, .n = v.n, .style = {VIZ_COLOUR(VIZ_C_RAW), VIZ_DEFAULT, VIZ_DIM}, .label = "raw", .band = 1};
    ss[ns++] = (viz_series){
        .x = v.x, .y = ema, .n = v.n, .style = {(int16_t)run_colour(u->cur), VIZ_DEFAULT, VIZ_BOLD}, .label = elab};
    if (v.ne)
        ss[ns++] = (viz_series){.x = v.ex,
                                .y = v.ey,
                                .n = v.ne,
                                .kind = VIZ_SERIES_POINTS,
                                .style = {VIZ_COLOUR(VIZ_C_EVAL), VIZ_DEFAULT, VIZ_BOLD},
                                .glyph = c->ascii ? 'o' : 0x25c6,
                                .label = "eval"};
    double *spx = malloc(sizeof(double) * (size_t)(v.n ? v.n : 1)),
           *spy = malloc(sizeof(double) * (size_t)(v.n ? v.n : 1));
    long k = 0;
    for (long i = 0; spx && spy && i < v.n; i++)
        if (sl[i]) spx[k] = v.x[i], spy[k++] = v.y[i];
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
                  .vmarks = v.marks,
                  .n_vmarks = v.nm,
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
                live || u->starting ? "waiting for the first step..." : "no steps logged",
                (viz_style){VIZ_COLOUR(VIZ_C_MUTED), VIZ_DEFAULT, 0});
    free(spx), free(spy);
    for (int i = 0; i < nov; i++) view_free(&ov[i]), free(oema[i]);
    /* small plots: the eval metrics when the run has evaluations (g: the optimizer's instead), else
     * learning rate, grad norm (with its spikes), tokens/s */
    int evals = cv->ne > 0 && !u->opt_row;
    if (small_h && evals) {
        int cls = cv->ne && !isfinite(cv->eppl[cv->ne - 1]);
        int nplots = r.w >= 96 || cls ? 3 : 2, w = r.w / nplots;
        viz_rect sr = {r.x, mr.y + mr.h, w - 1, small_h};
        eval_plot(c, sr, "eval loss", v.ex, v.ey, v.ne, VIZ_COLOUR(VIZ_C_EVAL), u);
        sr.x += w;
        if (cls) {
            eval_plot(c, sr, "accuracy", v.ex, v.eacc, v.ne, 118, u);
            sr.x += w;
            eval_plot(c, sr, "macro F1", v.ex, v.ef1, v.ne, 51, u);
        } else {
            eval_plot(c, sr, "perplexity", v.ex, v.eppl, v.ne, 213, u);
            if (nplots == 3) {
                sr.x += w;
                small_plot(c, sr, "learning rate", v.x, v.y2, v.n, 141, NULL, u);
            }
        }
    } else if (small_h) {
        int nplots = r.w >= 96 ? 3 : 2, w = r.w / nplots;
        viz_rect sr = {r.x, mr.y + mr.h, w - 1, small_h};
        small_plot(c, sr, "learning rate", v.x, v.y2, v.n, 141, NULL, u);
        sr.x += w;
        small_plot(c, sr, "grad norm", v.x, v.y3, v.n, 208, sg, u);
        if (nplots == 3) {
            sr.x += w;
            small_plot(c, sr, "tokens/s", v.x, v.y4, v.n, 118, NULL, u);
        }
    }
    if (ui_run_external(u, u->cur))
        viz_printf(c, r.x, r.y + r.h - 1, r.w, (viz_style){VIZ_COLOUR(VIZ_C_MUTED), VIZ_DEFAULT, 0},
                   "followed read-only: %s  <-/-> cursor  c hide  g eval/optimizer plots  l log  t step/time  z zoom  "
                   "-/+ smooth  [/] skip  r runs  n next run  o overlay",
                   cJSON_GetObjectItemCaseSensitive(cur->run->config, "dir")->valuestring);
    else
        viz_put(c, r.x, r.y + r.h - 1, r.w,
                "<-/-> cursor  c hide  g eval/optimizer plots  C confusion  p pause/resume  X stop  s checkpoint  e eval  "
                "l log  t step/time  z zoom  -/+ smooth  [/] skip  r runs  n next run  o overlay",
                (viz_style){VIZ_COLOUR(VIZ_C_MUTED), VIZ_DEFAULT, 0});
out:
    free(ema), free(sl), free(sg);
    view_free(&v);
}

static void train_draw(ui_app *app, ui_pane *p, viz_canvas *c, viz_rect r) {
    ui_sess *u = p->state;
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

static int train_key(ui_app *app, ui_pane *p, int key) {
    ui_sess *u = p->state;
    char err[512] = "";
    int rc = BB_OK;
    static const long zooms[4] = {0, 20, 100, 500};
    if ((key == 'p' || key == 'X' || key == 's' || key == 'e') && ui_run_external(u, u->cur)) {
        ui_app_message(app, 1, "%s is followed read-only (another program trains it): no pause, stop, checkpoint "
                       "or eval here", u->runs[u->cur].run->name);
        return UI_HANDLED;
    }
    switch (key) {
    case UI_KEY(KEY_LEFT): move_cursor(u, -1); break;
    case UI_KEY(KEY_RIGHT): move_cursor(u, 1); break;
    case UI_KEY(KEY_SLEFT): move_cursor(u, -10); break;
    case UI_KEY(KEY_SRIGHT): move_cursor(u, 10); break;
    case UI_KEY(KEY_HOME): move_cursor(u, INT_MIN); break;
    case UI_KEY(KEY_END): move_cursor(u, INT_MAX); break;
    case 'c': u->cursor = 0; break;
    case 'g':
        u->opt_row = !u->opt_row;
        ui_app_message(app, 0, "lower plots: %s (g switches)",
                       u->opt_row ? "learning rate, grad norm, tokens/s" : "eval loss and metrics");
        break;
    case 'C': u->confusion = !u->confusion; break;
    case 'p':
        if (u->t && u->st.paused)
            rc = ui_cmd_resume(app, "", err, sizeof err);
        else
            rc = ui_cmd_pause(app, "", err, sizeof err);
        break;
    case 'X': rc = ui_cmd_stop(app, "", err, sizeof err); break;
    case 's': rc = ui_cmd_ckpt(app, "", err, sizeof err); break;
    case 'e': rc = ui_cmd_eval(app, "", err, sizeof err); break;
    case 'l': u->log_y = !u->log_y; break;
    case 't': {
        /* the cursor stays on its point: its x becomes that point's time (or step) */
        const ui_curves *cv = u->cur >= 0 && u->cur < u->n_runs ? &ui_run_ready(u, u->cur)->cv : NULL;
        long i = cv && u->cursor ? nearest(u->x_time ? cv->time : cv->step, cv->n, u->cursor_x) : -1;
        u->x_time = !u->x_time;
        if (i >= 0) u->cursor_x = u->x_time ? cv->time[i] : cv->step[i];
        break;
    }
    case 'z': {
        int k = 0;
        while (k < 3 && zooms[k] != u->last_n) k++;
        u->last_n = zooms[(k + 1) % 4];
        if (u->last_n)
            ui_app_message(app, 0, "showing the last %ld steps (z: more)", u->last_n);
        else
            ui_app_message(app, 0, "showing all steps");
        break;
    }
    case '+':
    case '=': u->ema = u->ema + 0.1 > 0.99 ? 0.99 : floor(u->ema * 10 + 1.5) / 10; break;
    case '-': u->ema = u->ema - 0.1 < 0 ? 0 : floor(u->ema * 10 - 0.5) / 10; break;
    case ']': u->skip += 10; break;
    case '[': u->skip = u->skip >= 10 ? u->skip - 10 : 0; break;
    case 'r': u->table = !u->table; break;
    case 'n':
        if (u->n_runs) u->cur = (u->cur + 1) % u->n_runs;
        break;
    case 'o': {
        int any = 0;
        for (int i = 0; i < u->n_runs; i++) any |= i != u->cur && u->runs[i].shown;
        for (int i = 0; i < u->n_runs; i++) u->runs[i].shown = !any && i != u->cur;
        break;
    }
    default: return UI_IGNORED;
    }
    if (rc != BB_OK) ui_app_message(app, 1, "%s", err);
    app->dirty = 1;
    return UI_HANDLED;
}

static void train_free(ui_pane *p) {
    ui_sess *u = p->state;
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
    p->state = NULL;
}

/* export: the header lines at full width and, in the runs table, every run */
static void train_extent(ui_app *app, ui_pane *p, int *w, int *h) {
    ui_sess *u = p->state;
    *w = 170;
    if (u->table && u->n_runs + 2 > *h) *h = u->n_runs + 2;
}

ui_pane ui_pane_train(void) {
    ui_sess *u = calloc(1, sizeof *u);
    if (u) u->cur = -1, u->ema = 0.6;
    return (ui_pane){.name = "train",
                     .help =
                         "training runs: `train ...`; left/right (shift: 10 columns, Home/End) move the value cursor, "
                         "c hides it, g eval/optimizer plots, C confusion matrix, p pause, X stop (Ctrl-C twice), "
                         "s checkpoint, e eval, l log, t x axis, z zoom, -/+ smooth, [/] skip, r runs, n next, o overlay; "
                         "`watch N` ranks the fill-mask text on "
                         "the run's weights every N steps, `use run` puts every pane on them",
                     .state = u,
                     .draw = train_draw,
                     .extent = train_extent,
                     .key = train_key,
                     .free = train_free};
}
