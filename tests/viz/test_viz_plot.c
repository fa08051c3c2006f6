/* Line plots compared to expected text (axes, ticks, labels, braille / block / ASCII dots, points,
 * epoch marks, log scale), and the series maths: nice ticks, de-biased EMA, rolling z-score spikes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "viz_plot.h"

static void expect(viz_canvas *c, const char *want, int line) {
    char *got = viz_canvas_text_dup(c);
    CHECK(got && strcmp(got, want) == 0, "line %d: canvas\n%s---- want\n%s----", line, got ? got : "(null)",
          want);
    free(got);
}

static void test_ticks(void) {
    double t[16];
    int n = viz_nice_ticks(0, 100, 6, t);
    CHECK(n == 6 && t[0] == 0 && t[1] == 20 && t[5] == 100, "0..100: %d ticks, step %g", n, n > 1 ? t[1] - t[0] : 0);
    n = viz_nice_ticks(2.13, 7.9, 4, t);
    CHECK(n == 2 && t[0] == 4 && t[1] == 6, "2.13..7.9: %d ticks from %g", n, t[0]);
    n = viz_nice_ticks(0.95, 1.05, 3, t);
    CHECK(n == 3 && fabs(t[0] - 0.95) < 1e-12 && fabs(t[2] - 1.05) < 1e-12, "0.95..1.05: %d ticks", n);
    n = viz_nice_ticks(1, 1, 3, t);
    CHECK(n == 0, "empty range: %d ticks", n);
    /* log: powers of ten when two fit, else 1-2-5 */
    n = viz_log_ticks(log10(0.05), log10(20), 8, t);
    CHECK(n == 3 && fabs(t[0] + 1) < 1e-12 && fabs(t[2] - 1) < 1e-12, "0.05..20 log: %d ticks", n);
    n = viz_log_ticks(log10(1.5), log10(9), 8, t);
    CHECK(n == 2 && fabs(t[0] - log10(2)) < 1e-12 && fabs(t[1] - log10(5)) < 1e-12, "1.5..9 log: %d ticks", n);
    char b[32];
    viz_tick_label(b, sizeof b, 0.25, 0.05);
    CHECK(strcmp(b, "0.25") == 0, "label %s", b);
    viz_tick_label(b, sizeof b, 40000, 10000);
    CHECK(strcmp(b, "40k") == 0, "label %s", b);
    viz_tick_label(b, sizeof b, 12500, 500);
    CHECK(strcmp(b, "12.5k") == 0, "label %s", b);
    viz_duration_label(b, sizeof b, 185);
    CHECK(strcmp(b, "3:05") == 0, "duration %s", b);
    viz_duration_label(b, sizeof b, 3723);
    CHECK(strcmp(b, "1:02:03") == 0, "duration %s", b);
}

static void test_ema(void) {
    /* a constant series stays constant (a plain EMA from 0 would start at (1-w)*y) */
    double y[6] = {4, 4, 4, 4, 4, 4}, out[6];
    viz_ema(out, y, 6, 0.9);
    for (int i = 0; i < 6; i++) CHECK(fabs(out[i] - 4) < 1e-12, "constant EMA[%d] = %g", i, out[i]);
    /* known values, w = 0.5: (0.5*2) / 0.5 = 2; (0.25*2 + 0.5*4) / 0.75 = 10/3; NaN skipped */
    double z[4] = {2, 4, NAN, 8}, e[4];
    viz_ema(e, z, 4, 0.5);
    CHECK(fabs(e[0] - 2) < 1e-12 && fabs(e[1] - 10.0 / 3) < 1e-12 && isnan(e[2]), "EMA %g %g %g", e[0], e[1], e[2]);
    /* third value: last = 0.5*(0.5*(0.5*2)+0.5*4)... = (0.125*2 + 0.25*4 + 0.5*8) / 0.875 */
    CHECK(fabs(e[3] - (0.25 + 1 + 4) / 0.875) < 1e-12, "EMA[3] = %g", e[3]);
    viz_ema(e, z, 4, 0);
    CHECK(e[0] == 2 && e[1] == 4 && e[3] == 8, "weight 0 is the raw series");
}

static void test_spikes(void) {
    double y[30];
    for (int i = 0; i < 30; i++) y[i] = 3 + 0.1 * ((i % 3) - 1);
    y[20] = 9;
    unsigned char f[30];
    long n = viz_spikes(f, y, 30, 10, 4);
    CHECK(n == 1 && f[20], "one spike at 20, got %ld", n);
    CHECK(!f[0] && !f[3], "too little history is never a spike");
}

static void test_plot(void) {
    char err[256];
    viz_canvas c;
    CHECK_OK(viz_canvas_init(&c, 40, 10, err, sizeof err), err);
    double x[5] = {0, 25, 50, 75, 100}, y[5] = {8, 6, 4, 2, 0};
    viz_series s = {.x = x, .y = y, .n = 5, .style = {39, VIZ_DEFAULT, 0}, .label = "loss"};
    viz_plot p = {.series = &s, .n_series = 1, .xlabel = "step", .ylabel = "train loss"};
    long n = viz_plot_draw(&c, (viz_rect){0, 0, 40, 10}, &p);
    CHECK(n == 5, "5 points drawn, got %ld", n);
    expect(&c,
           "train loss (x: step)              ─ loss\n"
           "8 ┤⠉⠒⠤⢄⡀\n"
           "6 ┤    ⠈⠉⠒⠢⢄⣀\n"
           "  │          ⠉⠑⠢⠤⣀⡀\n"
           "4 ┤               ⠈⠑⠒⠤⢄⣀\n"
           "  │                     ⠉⠑⠒⠤⢄⣀\n"
           "2 ┤                           ⠉⠑⠢⠤⣀\n"
           "0 ┤                                ⠉⠑⠒⠤⣀\n"
           "  └┬─────────────────┬─────────────────┬\n"
           "   0                50               100\n",
           __LINE__);
    /* ASCII, raw + EMA + eval points + an epoch mark */
    viz_canvas_free(&c);
    CHECK_OK(viz_canvas_init(&c, 44, 9, err, sizeof err), err);
    c.ascii = 1;
    double sx[8] = {1, 2, 3, 4, 5, 6, 7, 8}, sy[8] = {6, 5, 5.5, 3, 3.2, 2, 2.4, 1.5}, se[8];
    viz_ema(se, sy, 8, 0.6);
    double ex[2] = {4, 8}, ey[2] = {3.5, 2};
    double ep[1] = {4.5};
    viz_series ss[3] = {
        {.x = sx, .y = sy, .n = 8, .style = {244, VIZ_DEFAULT, VIZ_DIM}, .label = "raw"},
        {.x = sx, .y = se, .n = 8, .style = {39, VIZ_DEFAULT, 0}, .label = "ema 0.6"},
        {.x = ex, .y = ey, .n = 2, .kind = VIZ_SERIES_POINTS, .style = {214, VIZ_DEFAULT, 0}, .label = "eval"},
    };
    viz_plot q = {.series = ss, .n_series = 3, .vmarks = ep, .n_vmarks = 1, .xlabel = "step", .ylabel = "loss"};
    viz_plot_draw(&c, (viz_rect){0, 0, 44, 9}, &q);
    expect(&c,
           "loss (x: step)        - raw - ema 0.6 o eval\n"
           "6 +'|-|-.......        :\n"
           "  |    ''--''  ||-..   :\n"
           "4 +              |. ''---..\n"
           "  |                |o......''--....\n"
           "  |                    :   ''-..   |||'---..\n"
           "2 +                    :        '''   ''--.o\n"
           "  +------+----------+-----------+----------+\n"
           "         2          4           6          8\n",
           __LINE__);
    CHECK(viz_cell_at(&c, 20, 4)->cp == 'o' && viz_cell_at(&c, 20, 4)->fg == 214, "eval point in its colour");
    CHECK(viz_cell_at(&c, 23, 1)->cp == ':' && viz_cell_at(&c, 23, 1)->fg == VIZ_COLOUR(VIZ_C_MARK), "epoch mark dim");
    /* log scale and time axis, blocks */
    viz_canvas_free(&c);
    CHECK_OK(viz_canvas_init(&c, 40, 8, err, sizeof err), err);
    double tx[6] = {0, 60, 120, 180, 240, 300}, ty[6] = {10, 3, 1, 0.3, 0.1, 0.05};
    viz_series ls = {.x = tx, .y = ty, .n = 6, .style = {39, VIZ_DEFAULT, 0}};
    viz_plot lp = {.series = &ls, .n_series = 1, .xlabel = "time", .log_y = 1, .x_time = 1, .blocks = 1};
    viz_plot_draw(&c, (viz_rect){0, 0, 40, 8}, &lp);
    expect(&c,
           "(x: time)\n"
           " 10 ┤▀▀▄▄▄▄\n"
           "    │      ▀▀▀▄▄▄▄\n"
           "  1 ┤             ▀▀▀▄▄▄\n"
           "    │                   ▀▀▀▄▄▄▄\n"
           "0.1 ┤                          ▀▀▀▀▀▄▄▄▄\n"
           "    └┬──────────┬───────────┬──────────┬\n"
           "    0s        1:40        3:20      5:00\n",
           __LINE__);
    viz_canvas_free(&c);
}

int main(void) {
    test_ticks();
    test_ema();
    test_spikes();
    test_plot();
    return check_done();
}
