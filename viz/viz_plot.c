/* Line plots on a dot grid (braille, half blocks or ASCII thirds), nice ticks, EMA and spikes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "viz_plot.h"

/* ---- series maths ----------------------------------------------------------------------------- */

void viz_ema(double *out, const double *y, long n, double w) {
    double last = 0, wk = 1;
    for (long i = 0; i < n; i++) {
        double v = y[i];
        if (!isfinite(v)) {
            out[i] = NAN;
            continue;
        }
        last = w * last + (1 - w) * v;
        wk *= w;
        out[i] = last / (1 - wk);
    }
}

long viz_spikes(unsigned char *flag, const double *y, long n, int window, double z) {
    long hits = 0;
    int need = window / 2 > 2 ? window / 2 : 2;
    for (long i = 0; i < n; i++) {
        flag[i] = 0;
        if (!isfinite(y[i])) continue;
        double s = 0, s2 = 0;
        int k = 0;
        for (long j = i - 1; j >= 0 && k < window; j--) {
            if (!isfinite(y[j])) continue;
            s += y[j], s2 += y[j] * y[j], k++;
        }
        if (k < need) continue;
        double mean = s / k, var = s2 / k - mean * mean;
        double sd = var > 0 ? sqrt(var) : 0;
        double up = y[i] - mean;
        if (sd > 0 && up > z * sd && up > 0.1 * fabs(mean)) flag[i] = 1, hits++;
    }
    return hits;
}

/* ---- ticks ------------------------------------------------------------------------------------ */

static double nice_step(double raw) {
    double p = pow(10, floor(log10(raw)));
    double f = raw / p;
    return (f <= 1 + 1e-9 ? 1 : f <= 2 + 1e-9 ? 2 : f <= 5 + 1e-9 ? 5 : 10) * p;
}

int viz_nice_ticks(double lo, double hi, int max_ticks, double *ticks) {
    if (!(hi > lo) || max_ticks < 1) return 0;
    double step = nice_step((hi - lo) / (max_ticks > 1 ? max_ticks - 1 : 1));
    for (;;) {
        long a = (long)ceil(lo / step - 1e-9), b = (long)floor(hi / step + 1e-9);
        if (b - a + 1 <= max_ticks) {
            int n = 0;
            for (long i = a; i <= b; i++) ticks[n++] = i == 0 ? 0 : (double)i * step;
            return n;
        }
        step = nice_step(step * 1.01);
    }
}

int viz_log_ticks(double lo, double hi, int max_ticks, double *ticks) {
    static const double mult[3] = {1, 2, 5};
    for (int nm = 1; nm <= 3; nm += 2) { /* powers of ten first; 1-2-5 when fewer than two fit */
        int n = 0;
        for (long e = (long)floor(lo) - 1; e <= (long)ceil(hi); e++)
            for (int k = 0; k < nm; k++) {
                double t = log10(mult[k]) + (double)e;
                if (t >= lo - 1e-9 && t <= hi + 1e-9 && n < max_ticks) ticks[n++] = t;
            }
        if (n >= 2) return n;
    }
    return viz_nice_ticks(lo, hi, max_ticks, ticks);
}

void viz_tick_label(char *buf, size_t n, double v, double step) {
    const char *suffix = "";
    double a = fabs(v), scale = 1;
    if (a >= 1e7) scale = 1e6, suffix = "M";
    else if (a >= 1e4) scale = 1e3, suffix = "k";
    v /= scale, step /= scale;
    int dec = step >= 1 || step <= 0 ? 0 : (int)ceil(-log10(step) - 1e-9);
    if (dec > 6) dec = 6;
    snprintf(buf, n, "%.*f%s", dec, v, suffix);
}

void viz_duration_label(char *buf, size_t n, double s) {
    long t = (long)floor(s + 0.5);
    if (t < 60) snprintf(buf, n, "%lds", t);
    else if (t < 3600) snprintf(buf, n, "%ld:%02ld", t / 60, t % 60);
    else snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
}

/* ---- drawing ---------------------------------------------------------------------------------- */

typedef struct {
    int sx, sy;          /* dots per cell */
    int pw, ph;          /* plot cells */
    unsigned char *bits; /* (ph, pw) dot bits of each cell */
    short *owner;        /* (ph, pw) series that drew last into the cell, -1: none */
    uint32_t *point;     /* (ph, pw) point glyph, 0: none */
    short *band;         /* (ph, pw) series whose min..max band covers the cell, -1: none */
} dotgrid;

static void dot_set(dotgrid *g, int dx, int dy, short s) {
    if (dx < 0 || dy < 0 || dx >= g->pw * g->sx || dy >= g->ph * g->sy) return;
    int cx = dx / g->sx, cy = dy / g->sy, k = cy * g->pw + cx;
    g->bits[k] |= (unsigned char)(1u << ((dy % g->sy) * g->sx + dx % g->sx));
    g->owner[k] = s;
}

static void dot_line(dotgrid *g, int x0, int y0, int x1, int y1, short s) {
    int dx = abs(x1 - x0), dy = -abs(y1 - y0), stx = x0 < x1 ? 1 : -1, sty = y0 < y1 ? 1 : -1, e = dx + dy;
    for (;;) {
        dot_set(g, x0, y0, s);
        if (x0 == x1 && y0 == y1) return;
        int e2 = 2 * e;
        if (e2 >= dy) e += dy, x0 += stx;
        if (e2 <= dx) e += dx, y0 += sty;
    }
}

/* A dense series (band set, more points than cell columns): per dot column the mean of its points,
 * per cell column the min..max band; the mean is drawn as a line like any series. dx/dy map data to
 * dots. Returns 0 when it drew nothing (the caller draws the series point by point). */
static int draw_band(dotgrid *g, const viz_series *sr, short s, const viz_plot *p, double xmin, double xmax,
                     double ymin, double ymax, double (*tyf)(const viz_plot *, double)) {
    int W = g->pw * g->sx, H = g->ph * g->sy;
    long in_view = 0;
    for (long i = 0; i < sr->n; i++)
        if (isfinite(sr->x[i]) && sr->x[i] >= xmin && sr->x[i] <= xmax && isfinite(tyf(p, sr->y[i]))) in_view++;
    if (in_view <= g->pw) return 0;
    double *sum = calloc((size_t)W, sizeof *sum), *lo = malloc(sizeof *lo * (size_t)g->pw),
           *hi = malloc(sizeof *hi * (size_t)g->pw);
    long *cnt = calloc((size_t)W, sizeof *cnt);
    if (!sum || !lo || !hi || !cnt) {
        free(sum), free(lo), free(hi), free(cnt);
        return 0;
    }
    for (int i = 0; i < g->pw; i++) lo[i] = INFINITY, hi[i] = -INFINITY;
    for (long i = 0; i < sr->n; i++) {
        double x = sr->x[i], y = tyf(p, sr->y[i]);
        if (!isfinite(x) || x < xmin || x > xmax || !isfinite(y)) continue;
        int dx = (int)lround((x - xmin) / (xmax - xmin) * (W - 1)), cx = dx / g->sx;
        sum[dx] += y, cnt[dx]++;
        if (y < lo[cx]) lo[cx] = y;
        if (y > hi[cx]) hi[cx] = y;
    }
    for (int cx = 0; cx < g->pw; cx++) {
        if (!(hi[cx] >= lo[cx])) continue;
        int top = (int)lround((ymax - hi[cx]) / (ymax - ymin) * (H - 1)) / g->sy;
        int bot = (int)lround((ymax - lo[cx]) / (ymax - ymin) * (H - 1)) / g->sy;
        for (int cy = top; cy <= bot && cy < g->ph; cy++)
            if (cy >= 0) g->band[cy * g->pw + cx] = s;
    }
    int have = 0, px = 0, py = 0;
    for (int dx = 0; dx < W; dx++) {
        if (!cnt[dx]) continue;
        int dy = (int)lround((ymax - sum[dx] / (double)cnt[dx]) / (ymax - ymin) * (H - 1));
        if (have) dot_line(g, px, py, dx, dy, s);
        else dot_set(g, dx, dy, s);
        have = 1, px = dx, py = dy;
    }
    free(sum), free(lo), free(hi), free(cnt);
    return 1;
}

/* The glyph of a cell's dots; bit (row * sx + col). */
static uint32_t cell_glyph(const dotgrid *g, unsigned bits, int ascii) {
    if (ascii) {
        int n = (bits & 1) + (bits >> 1 & 1) + (bits >> 2 & 1);
        return n > 1 ? '|' : (bits & 1) ? '\'' : (bits & 2) ? '-' : '.';
    }
    if (g->sy == 2) return bits == 3 ? 0x2588 : bits == 1 ? 0x2580 : 0x2584;
    /* braille: dots 1-3 and 7 in the left column, 4-6 and 8 in the right */
    static const unsigned char map[8] = {0x01, 0x08, 0x02, 0x10, 0x04, 0x20, 0x40, 0x80};
    unsigned b = 0;
    for (int i = 0; i < 8; i++)
        if (bits & (1u << i)) b |= map[i];
    return 0x2800 + b;
}

static double ty(const viz_plot *p, double y) {
    if (!isfinite(y)) return NAN;
    if (p->log_y) return y > 0 ? log10(y) : NAN;
    return y;
}

/* The data ranges a plot shows and how they map onto the dot grid (W x H dots). */
typedef struct {
    double xmin, xmax, ymin, ymax;
    int W, H;
} plot_map;

static int dot_x(const plot_map *m, double x) { return (int)lround((x - m->xmin) / (m->xmax - m->xmin) * (m->W - 1)); }
static int dot_y(const plot_map *m, double y) { return (int)lround((m->ymax - y) / (m->ymax - m->ymin) * (m->H - 1)); }

/* x from the plot (or every finite point when it sets none), y over the points inside it; returns how
 * many points are in view (0: a unit square). */
static long plot_ranges(const viz_plot *p, plot_map *m) {
    m->xmin = p->xmin, m->xmax = p->xmax;
    int auto_x = !(m->xmax > m->xmin);
    if (auto_x) m->xmin = INFINITY, m->xmax = -INFINITY;
    for (int s = 0; auto_x && s < p->n_series; s++)
        for (long i = 0; i < p->series[s].n; i++) {
            double x = p->series[s].x[i];
            if (!isfinite(x) || !isfinite(ty(p, p->series[s].y[i]))) continue;
            if (x < m->xmin) m->xmin = x;
            if (x > m->xmax) m->xmax = x;
        }
    m->ymin = INFINITY, m->ymax = -INFINITY;
    long npts = 0;
    for (int s = 0; s < p->n_series; s++)
        for (long i = 0; i < p->series[s].n; i++) {
            double x = p->series[s].x[i], y = ty(p, p->series[s].y[i]);
            if (!isfinite(x) || !isfinite(y) || x < m->xmin || x > m->xmax) continue;
            if (y < m->ymin) m->ymin = y;
            if (y > m->ymax) m->ymax = y;
            npts++;
        }
    if (!npts) m->xmin = 0, m->xmax = 1, m->ymin = 0, m->ymax = 1;
    if (!(m->xmax > m->xmin)) m->xmax = m->xmin + 1;
    if (!(m->ymax > m->ymin)) {
        double pad = fabs(m->ymin) > 1e-3 ? fabs(m->ymin) * 0.1 : 0.1;
        m->ymin -= pad, m->ymax += pad;
    }
    return npts;
}

/* The y ticks for ph rows and their labels; returns how many and the widest label in *lw. */
static int y_ticks(const viz_plot *p, const plot_map *m, int ph, double yt[16], char ylab[16][24], int *lw) {
    int max_yt = (ph + 1) / 2 + 1 > 16 ? 16 : (ph + 1) / 2 + 1;
    int nyt = p->log_y ? viz_log_ticks(m->ymin, m->ymax, max_yt, yt) : viz_nice_ticks(m->ymin, m->ymax, max_yt, yt);
    double ystep = nyt > 1 ? yt[1] - yt[0] : m->ymax - m->ymin;
    *lw = 1;
    for (int i = 0; i < nyt; i++) {
        if (p->log_y) viz_tick_label(ylab[i], sizeof ylab[i], pow(10, yt[i]), pow(10, floor(yt[i] + 1e-9)));
        else viz_tick_label(ylab[i], sizeof ylab[i], yt[i], ystep);
        int w = viz_text_width(ylab[i], -1);
        if (w > *lw) *lw = w;
    }
    return nyt;
}

/* Every series onto the dot grid: lines as dots joined, points as glyphs in their cell, banded lines
 * as their min/max band and mean. */
static void plot_series(dotgrid *g, const viz_plot *p, const plot_map *m, int ascii) {
    for (int s = 0; s < p->n_series; s++) {
        const viz_series *sr = &p->series[s];
        if (sr->band && sr->kind == VIZ_SERIES_LINE &&
            draw_band(g, sr, (short)s, p, m->xmin, m->xmax, m->ymin, m->ymax, ty))
            continue;
        int have = 0, px = 0, py = 0;
        for (long i = 0; i < sr->n; i++) {
            double x = sr->x[i], y = ty(p, sr->y[i]);
            if (!isfinite(x) || x < m->xmin || x > m->xmax || !isfinite(y)) {
                have = 0;
                continue;
            }
            int dx = dot_x(m, x), dy = dot_y(m, y);
            if (sr->kind == VIZ_SERIES_POINTS) {
                int k = dy / g->sy * g->pw + dx / g->sx;
                uint32_t gl = sr->glyph ? sr->glyph : 0x25cf;
                g->point[k] = ascii && gl > 127 ? 'o' : gl;
                g->owner[k] = (short)s;
                continue;
            }
            if (have) dot_line(g, px, py, dx, dy, (short)s);
            else dot_set(g, dx, dy, (short)s);
            have = 1, px = dx, py = dy;
        }
    }
}

/* The grid's cells at (x0, y0): a series' dots or point, else its band, else the cursor's column, else an
 * epoch mark. Returns the cursor's column (-1: none). */
static int plot_cells(viz_canvas *c, const dotgrid *g, const viz_plot *p, const plot_map *m, int x0, int y0) {
    int mark_col[64], n_marks = 0;
    for (int i = 0; i < p->n_vmarks && n_marks < 64; i++) {
        double x = p->vmarks[i];
        if (x >= m->xmin && x <= m->xmax) mark_col[n_marks++] = dot_x(m, x) / g->sx;
    }
    int cursor_col = p->cursor && p->cursor_x >= m->xmin && p->cursor_x <= m->xmax ? dot_x(m, p->cursor_x) / g->sx : -1;
    for (int cy = 0; cy < g->ph; cy++)
        for (int cx = 0; cx < g->pw; cx++) {
            int k = cy * g->pw + cx;
            if (g->owner[k] >= 0) {
                viz_style st = p->series[g->owner[k]].style;
                viz_putc(c, x0 + cx, y0 + cy, g->point[k] ? g->point[k] : cell_glyph(g, g->bits[k], c->ascii), st);
                continue;
            }
            if (g->band[k] >= 0) {
                viz_style st = p->series[g->band[k]].style;
                st.attr = (uint8_t)((st.attr & ~VIZ_BOLD) | VIZ_DIM);
                viz_putc(c, x0 + cx, y0 + cy, c->ascii ? ':' : 0x2591, st);
                continue;
            }
            if (cursor_col == cx) {
                viz_putc(c, x0 + cx, y0 + cy, c->ascii ? '|' : 0x2502, p->cursor_style);
                continue;
            }
            for (int i = 0; i < n_marks; i++)
                if (mark_col[i] == cx) viz_putc(c, x0 + cx, y0 + cy, c->ascii ? ':' : 0x250a, (viz_style){VIZ_COLOUR(VIZ_C_MARK), VIZ_DEFAULT, 0});
        }
    return cursor_col;
}

static const viz_style axis_style = {VIZ_COLOUR(VIZ_C_AXIS), VIZ_DEFAULT, 0};

/* The y axis at column ax over the grid's rows, with its tick labels to the left. */
static void y_axis(viz_canvas *c, const dotgrid *g, const plot_map *m, int ax, int y0, const double *yt,
                   char ylab[][24], int nyt) {
    for (int cy = 0; cy < g->ph; cy++) viz_putc(c, ax, y0 + cy, c->ascii ? '|' : 0x2502, axis_style);
    for (int i = 0; i < nyt; i++) {
        int cy = dot_y(m, yt[i]) / g->sy;
        int w = viz_text_width(ylab[i], -1);
        viz_put(c, ax - 1 - w, y0 + cy, w, ylab[i], axis_style);
        viz_putc(c, ax, y0 + cy, c->ascii ? '+' : 0x2524, axis_style);
    }
}

/* The x axis on row axy with its tick labels below (those that would overlap are left out); returns the
 * column after the last label drawn. */
static int x_axis(viz_canvas *c, viz_rect r, const dotgrid *g, const viz_plot *p, const plot_map *m, int ax, int axy) {
    int x0 = ax + 1;
    viz_putc(c, ax, axy, c->ascii ? '+' : 0x2514, axis_style);
    for (int cx = 0; cx < g->pw; cx++) viz_putc(c, x0 + cx, axy, c->ascii ? '-' : 0x2500, axis_style);
    double xt[32];
    int max_xt = g->pw / 10 + 1 > 32 ? 32 : g->pw / 10 + 1;
    int nxt = viz_nice_ticks(m->xmin, m->xmax, max_xt, xt);
    double xstep = nxt > 1 ? xt[1] - xt[0] : m->xmax - m->xmin;
    int last = r.x - 1;
    for (int i = 0; i < nxt; i++) {
        int cx = x0 + dot_x(m, xt[i]) / g->sx;
        viz_putc(c, cx, axy, c->ascii ? '+' : 0x252c, axis_style);
        char lab[32];
        if (p->x_time) viz_duration_label(lab, sizeof lab, xt[i]);
        else viz_tick_label(lab, sizeof lab, xt[i], xstep);
        int w = viz_text_width(lab, -1), lx = cx - w / 2;
        if (lx < r.x) lx = r.x;
        if (lx + w > r.x + r.w) lx = r.x + r.w - w;
        if (lx <= last) continue;
        viz_put(c, lx, axy + 1, w, lab, axis_style);
        last = lx + w;
    }
    return last;
}

/* The header row: the y label (and the x label when the tick row had no room for it) left, the legend of
 * the labelled series right, as many as fit. */
static void plot_header(viz_canvas *c, viz_rect r, const viz_plot *p, int x_label_here) {
    int hx = r.x;
    if (p->ylabel) hx += viz_put(c, r.x, r.y, r.w, p->ylabel, (viz_style){VIZ_COLOUR(VIZ_C_HEADING), VIZ_DEFAULT, VIZ_BOLD}) + 1;
    if (x_label_here) hx += viz_printf(c, hx, r.y, r.x + r.w - hx, axis_style, "(x: %s)", p->xlabel) + 1;
    char item[96];
    int right = r.x + r.w;
    for (int s = p->n_series - 1; s >= 0; s--) {
        const viz_series *sr = &p->series[s];
        if (!sr->label) continue;
        snprintf(item, sizeof item, "%s", sr->label);
        int w = viz_text_width(item, -1) + 3;
        if (right - w < hx) break;
        right -= w;
        uint32_t gl = sr->kind == VIZ_SERIES_POINTS ? (sr->glyph ? sr->glyph : 0x25cf) : 0x2500;
        if (c->ascii && gl > 127) gl = sr->kind == VIZ_SERIES_POINTS ? 'o' : '-';
        viz_putc(c, right + 1, r.y, gl, sr->style);
        viz_put(c, right + 3, r.y, w - 3, item, (viz_style){sr->style.fg, VIZ_DEFAULT, 0});
    }
}

long viz_plot_draw(viz_canvas *c, viz_rect r, const viz_plot *p) {
    if (r.w < 20 || r.h < 5) return 0;
    plot_map m;
    long npts = plot_ranges(p, &m);
    int ph = r.h - 3, lw;
    double yt[16];
    char ylab[16][24];
    int nyt = y_ticks(p, &m, ph, yt, ylab, &lw);
    int ax = r.x + lw + 1, x0 = ax + 1, y0 = r.y + 1;
    dotgrid g = {.sx = c->ascii || p->blocks ? 1 : 2, .sy = c->ascii ? 3 : p->blocks ? 2 : 4, .pw = r.x + r.w - x0, .ph = ph};
    size_t cells = (size_t)g.pw * (size_t)g.ph;
    g.bits = calloc(cells, 1);
    g.owner = malloc(cells * sizeof *g.owner);
    g.point = calloc(cells, sizeof *g.point);
    g.band = malloc(cells * sizeof *g.band);
    if (g.bits && g.owner && g.point && g.band) {
        for (size_t k = 0; k < cells; k++) g.owner[k] = g.band[k] = -1;
        m.W = g.pw * g.sx, m.H = g.ph * g.sy;
        plot_series(&g, p, &m, c->ascii);
        int cursor_col = plot_cells(c, &g, p, &m, x0, y0);
        y_axis(c, &g, &m, ax, y0, yt, ylab, nyt);
        int axy = y0 + g.ph, last = x_axis(c, r, &g, p, &m, ax, axy);
        if (cursor_col >= 0) viz_putc(c, x0 + cursor_col, axy, c->ascii ? '^' : 0x25b2, p->cursor_style);
        /* the x label after the tick labels, or beside the y label when they leave no room */
        int xl_w = p->xlabel ? viz_text_width(p->xlabel, -1) : 0, xl_top = 0;
        if (xl_w && r.x + r.w - xl_w > last) viz_put(c, r.x + r.w - xl_w, axy + 1, xl_w, p->xlabel, axis_style);
        else xl_top = xl_w > 0;
        plot_header(c, r, p, xl_top);
    }
    free(g.bits);
    free(g.owner);
    free(g.point);
    free(g.band);
    return npts;
}
