/* viz_plot.h — line plots with labelled axes (training curves), and the series maths they show.
 *
 * A plot is a list of series over a shared x axis. Lines are drawn on a grid of sub-cell dots:
 * braille (2x4 dots a cell) in Unicode, half blocks (1x2) when `blocks` is set, and ASCII
 * ('.' '-' '\'' for the bottom, middle and top third of a cell) when c->ascii. Points (eval
 * values, spikes) are glyphs on top of the lines; vertical marks (epochs) are dim dotted columns.
 *
 *     double x[4] = {1, 2, 3, 4}, y[4] = {8, 6, 5, 4.5};
 *     viz_series s = {.x = x, .y = y, .n = 4, .style = {39, VIZ_DEFAULT, 0}, .label = "loss"};
 *     viz_plot p = {.series = &s, .n_series = 1, .xlabel = "step"};
 *     viz_plot_draw(&canvas, (viz_rect){0, 0, 60, 12}, &p);
 *
 * A series with `band` set and more points than columns is drawn as its per-column mean over a
 * shaded min..max band ('░', ':' in ASCII). A cursor (p->cursor) is a vertical line at cursor_x
 * through the cells no series drew into, with its tick on the x axis.
 *
 * Layout inside r: row 0 the y label and the legend; rows 1..h-3 the plot with y tick labels on the
 * left; row h-2 the x axis with tick marks; row h-1 the x tick labels and the x label.
 */
#ifndef BB_VIZ_PLOT_H
#define BB_VIZ_PLOT_H

#include "viz_canvas.h"
#include "viz_theme.h"

enum { VIZ_SERIES_LINE = 0, VIZ_SERIES_POINTS = 1 };

typedef struct {
    const double *x, *y; /* (n); a NaN y is a gap in a line and no point */
    long n;
    int kind;            /* VIZ_SERIES_LINE or VIZ_SERIES_POINTS */
    viz_style style;     /* colour (and VIZ_DIM for a faint raw series) */
    uint32_t glyph;      /* points: the mark ('o' in ASCII when not ASCII itself); 0: a dot */
    const char *label;   /* legend entry; NULL: not listed */
    int band;            /* lines: with more points in view than the plot has columns, draw each dot
                            column's mean as the line over a shaded min..max band per cell column
                            (in the style made dim), instead of a smear of every zigzag */
} viz_series;

typedef struct {
    const viz_series *series; /* (n_series) drawn in order: later ones on top */
    int n_series;
    const double *vmarks;     /* (n_vmarks) x positions of vertical marks (epoch boundaries) */
    int n_vmarks;
    const char *xlabel, *ylabel;
    int x_time;               /* x values are seconds: tick labels as m:ss / h:mm */
    int log_y;                /* log10 y axis; values <= 0 are not drawn */
    int blocks;               /* half blocks instead of braille */
    double xmin, xmax;        /* x range; xmin >= xmax: from the data */
    int cursor;               /* 1: a vertical cursor at cursor_x, in cursor_style, on its cell column */
    double cursor_x;
    viz_style cursor_style;
} viz_plot;

/* Draws p inside r (needs at least 20x5; smaller draws nothing). Returns the number of data points
 * drawn, for callers that say "no data yet". */
long viz_plot_draw(viz_canvas *c, viz_rect r, const viz_plot *p);

/* Up to max_ticks "nice" values (1, 2, 5 x 10^k steps) inside [lo, hi], ascending; returns how many. */
int viz_nice_ticks(double lo, double hi, int max_ticks, double *ticks);
/* Tick values for a log10 axis over [lo, hi] (in log10 units): powers of ten, else 1-2-5 steps;
 * stores log10 of each; returns how many (at most max_ticks). */
int viz_log_ticks(double lo, double hi, int max_ticks, double *ticks);
/* Short label of a tick value: step is the tick spacing (sets the decimals); k/M suffixes from 10^4. */
void viz_tick_label(char *buf, size_t n, double v, double step);
/* Seconds as "42s", "3:05", "1:02:03". */
void viz_duration_label(char *buf, size_t n, double s);

/* Exponential moving average as TensorBoard's smoothing slider, de-biased: last = w*last + (1-w)*y
 * from last = 0 over the finite values of y, divided by 1 - w^k after k values so the first points
 * are not pulled toward zero (out[first] = y[first]). NaN stays NaN in out. w in [0, 1); out may alias y. */
void viz_ema(double *out, const double *y, long n, double w);
/* Spikes: flag[i] = 1 when y[i] is more than z standard deviations above the mean of the `window`
 * finite values before it (needs at least window/2 of them) and more than 10% above it, so the
 * noise of a flat, nearly converged curve is not flagged. Returns the number flagged. */
long viz_spikes(unsigned char *flag, const double *y, long n, int window, double z);

#endif
