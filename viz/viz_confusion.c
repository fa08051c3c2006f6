/* A confusion matrix as a table of counts (viz_confusion.h). */
#include "viz_confusion.h"

#include "viz_theme.h"

#include <stdio.h>
#include <string.h>


static viz_style cell_style(long n, long row_total, int diagonal) {
    if (n == 0 || row_total == 0) return (viz_style){VIZ_COLOUR(VIZ_C_MUTED), VIZ_DEFAULT, diagonal ? VIZ_BOLD : 0};
    double f = (double)n / (double)row_total;
    int k = f >= 0.8 ? 4 : f >= 0.5 ? 3 : f >= 0.25 ? 2 : f >= 0.1 ? 1 : 0;
    /* the theme's shades from faint to strong: the share of the gold row in a cell */
    return (viz_style){VIZ_COLOUR(k >= 2 ? VIZ_C_ON_ACCENT : VIZ_C_CHIP_TEXT),
                       VIZ_COLOUR((diagonal ? VIZ_C_RIGHT0 : VIZ_C_WRONG0) + k), (uint8_t)(diagonal ? VIZ_BOLD : 0)};
}

void viz_confusion_draw(viz_canvas *c, viz_rect r, int K, const char *const *labels, const long *counts,
                        const char *title) {
    if (r.w < 10 || r.h < 4 || K <= 0) return;
    viz_style head = {VIZ_COLOUR(VIZ_C_HEADING), VIZ_DEFAULT, VIZ_BOLD}, dim = {VIZ_COLOUR(VIZ_C_MUTED), VIZ_DEFAULT, 0};
    viz_put(c, r.x, r.y, r.w, title, head);
    /* widths: the gold-label column, then one column per predicted label, wide enough for the counts */
    int lw = 9, cw = 5; /* "precision" */
    long maxn = 0;
    for (int i = 0; i < K; i++) {
        int w = viz_text_width(labels[i], -1);
        if (w > lw) lw = w;
        if (w + 2 > cw) cw = w + 2 > 10 ? 10 : w + 2;
        for (int j = 0; j < K; j++)
            if (counts[(size_t)i * K + j] > maxn) maxn = counts[(size_t)i * K + j];
    }
    char num[32];
    int nw = snprintf(num, sizeof num, "%ld", maxn);
    if (nw + 2 > cw) cw = nw + 2;
    if (lw > 14) lw = 14;
    const int rec_w = 8;
    int cols = (r.w - lw - 1 - rec_w) / cw;
    if (cols > K) cols = K;
    if (cols < 1) cols = 1;
    int rows = r.h - 4; /* title, header, precision row, note */
    if (rows > K) rows = K;
    int y = r.y + 1, x0 = r.x + lw + 1;
    viz_put(c, r.x, y, lw, "gold\\pred", dim);
    for (int j = 0; j < cols; j++) {
        char lab[64];
        snprintf(lab, sizeof lab, "%.*s", cw - 1, labels[j]);
        int w = viz_text_width(lab, -1);
        viz_put(c, x0 + j * cw + (cw - w), y, cw, lab, head);
    }
    viz_put(c, x0 + cols * cw + 1, y, rec_w, " recall", head);
    for (int i = 0; i < rows; i++) {
        y++;
        viz_put(c, r.x, y, lw, labels[i], head);
        long row_total = 0;
        for (int j = 0; j < K; j++) row_total += counts[(size_t)i * K + j];
        for (int j = 0; j < cols; j++) {
            long n = counts[(size_t)i * K + j];
            snprintf(num, sizeof num, "%*ld ", cw - 1, n);
            viz_put(c, x0 + j * cw, y, cw, num, cell_style(n, row_total, i == j));
        }
        if (row_total) viz_printf(c, x0 + cols * cw + 1, y, rec_w, VIZ_PLAIN, " %6.3f", (double)counts[(size_t)i * K + i] / (double)row_total);
        else viz_put(c, x0 + cols * cw + 1, y, rec_w, "      -", dim);
    }
    y++;
    viz_put(c, r.x, y, lw, "precision", head);
    for (int j = 0; j < cols; j++) {
        long tot = 0;
        for (int i = 0; i < K; i++) tot += counts[(size_t)i * K + j];
        if (tot) viz_printf(c, x0 + j * cw, y, cw, VIZ_PLAIN, "%*.*f ", cw - 1, cw >= 7 ? 3 : 2, (double)counts[(size_t)j * K + j] / (double)tot);
        else viz_printf(c, x0 + j * cw, y, cw, dim, "%*s ", cw - 1, "-");
    }
    if (rows < K || cols < K) {
        char note[128];
        snprintf(note, sizeof note, "%d of %d labels shown (%s); export the pane or widen it for all", rows < cols ? rows : cols,
                 K, rows < K && cols < K ? "rows and columns cut" : rows < K ? "rows cut" : "columns cut");
        viz_put(c, r.x, y + 1, r.w, note, dim);
    }
}
