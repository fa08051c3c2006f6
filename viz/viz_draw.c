/* Glyphs, boxes, heatmaps and ranking bars. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "viz.h"

uint32_t viz_shade_glyph(const viz_canvas *c, float frac) {
    static const uint32_t uni[5] = {' ', 0x2591, 0x2592, 0x2593, 0x2588};
    static const char asc[] = " .:-=+*#%@";
    if (!(frac > 0)) frac = 0;
    if (frac > 1) frac = 1;
    if (c->ascii) {
        int k = (int)lrintf(frac * 9.0f);
        return (uint32_t)asc[k];
    }
    /* Anything visibly non-zero gets at least the lightest shade. */
    int k = frac < 0.02f ? 0 : 1 + (int)(frac * 3.999f);
    return uni[k];
}

int viz_heat_colour(float frac) {
    /* The theme's ramp: a perceptually ordered run from dark blue-grey through teal to yellow. */
    if (!(frac > 0)) frac = 0;
    if (frac > 1) frac = 1;
    return VIZ_COLOUR(VIZ_C_HEAT0 + (int)(frac * 9.999f));
}

void viz_box(viz_canvas *c, viz_rect r, const char *title, viz_style st) {
    if (r.w < 2 || r.h < 2) return;
    uint32_t h = c->ascii ? '-' : 0x2500, v = c->ascii ? '|' : 0x2502;
    uint32_t tl = c->ascii ? '+' : 0x250c, tr = c->ascii ? '+' : 0x2510;
    uint32_t bl = c->ascii ? '+' : 0x2514, br = c->ascii ? '+' : 0x2518;
    for (int x = r.x + 1; x < r.x + r.w - 1; x++) {
        viz_putc(c, x, r.y, h, st);
        viz_putc(c, x, r.y + r.h - 1, h, st);
    }
    for (int y = r.y + 1; y < r.y + r.h - 1; y++) {
        viz_putc(c, r.x, y, v, st);
        viz_putc(c, r.x + r.w - 1, y, v, st);
    }
    viz_putc(c, r.x, r.y, tl, st);
    viz_putc(c, r.x + r.w - 1, r.y, tr, st);
    viz_putc(c, r.x, r.y + r.h - 1, bl, st);
    viz_putc(c, r.x + r.w - 1, r.y + r.h - 1, br, st);
    if (title && *title && r.w > 6) {
        viz_putc(c, r.x + 1, r.y, ' ', st);
        int k = viz_put(c, r.x + 2, r.y, r.w - 5, title, st);
        viz_putc(c, r.x + 2 + k, r.y, ' ', st);
    }
}

/* ---- heatmap ---------------------------------------------------------------------------------- */

static float mat_max(const float *v, long n) {
    float m = 0;
    for (long i = 0; i < n; i++)
        if (v[i] > m) m = v[i];
    return m > 0 ? m : 1;
}

/* Labels are at most this many columns; longer ones are cut. */
enum { LABEL_MAX = 12 };

/* Mean of the block [i0, i0+k) x [j0, j0+k) clipped to the matrix. */
static float block_mean(const viz_heatmap *h, int i0, int j0, int k) {
    double sum = 0;
    int n = 0;
    for (int i = i0; i < i0 + k && i < h->rows; i++)
        for (int j = j0; j < j0 + k && j < h->cols; j++, n++) sum += h->v[(long)i * h->cols + j];
    return n ? (float)(sum / n) : 0;
}

/* A key label written downwards from (x, y), one character a row, at most n rows: a label cut short
 * ends in '~' ('…' in Unicode) so it does not pass for a shorter token; a character wider than the
 * cell is '?'. */
static void col_label_down(viz_canvas *c, int x, int y, int n, int cellw, const char *label, viz_style st) {
    long len = (long)strlen(label), at = 0;
    for (int row = 0; row < n && at < len; row++) {
        uint32_t cp;
        int k = viz_utf8_next(label + at, len - at, &cp);
        if (k <= 0) break;
        at += k;
        if (row == n - 1 && at < len) cp = c->ascii ? '~' : 0x2026;
        if (viz_cp_width(cp) > cellw) cp = '?'; /* a wide character would spill into the next column */
        viz_putc(c, x, y + row, cp, st);
    }
}

/* Where a heatmap's parts go in its rectangle: cell width, the index and label columns on the left, the
 * rows of rotated key labels, the overview's block size k, and the window of blocks in view. */
typedef struct {
    int cellw, labw, idxw, left, labh, k;
    int rows, cols;     /* in blocks */
    int cr, cc;         /* the cursor's block (-1: none) */
    int row0, col0;     /* the first block in view */
    int vis_r, vis_c;   /* blocks in view */
} heat_layout;

/* Lays h out in r, keeping the cursor in view (h->row0/col0 updated); 0 when r is too small. */
static int heat_layout_of(viz_rect r, viz_heatmap *h, heat_layout *L) {
    L->cellw = h->cellw == 2 && !h->fit ? 2 : 1;
    L->labw = 0;
    if (h->row_labels)
        for (int i = 0; i < h->rows; i++) {
            int w = viz_text_width(h->row_labels[i], -1);
            if (w > L->labw) L->labw = w;
        }
    if (L->labw > LABEL_MAX) L->labw = LABEL_MAX;
    L->idxw = h->rows > 99 ? 3 : h->rows > 9 ? 2 : 1;
    L->left = L->idxw + 1 + (L->labw ? L->labw + 1 : 0);
    if (L->left > r.w / 2) L->left = r.w / 2;
    int avail_c = (r.w - L->left) / L->cellw, avail_r = r.h - 2; /* one ruler line on top, footer below */
    if (avail_c < 1 || avail_r < 1) return 0;
    /* Key labels written downwards under their columns (rotated), as many letters as leave at least
     * 4 matrix rows; not in the overview, where a column is a block of keys. */
    L->labh = 0;
    if (h->col_labels && !h->fit) {
        for (int j = 0; j < h->cols; j++) {
            int w = viz_text_width(h->col_labels[j], -1);
            if (w > L->labh) L->labh = w;
        }
        if (L->labh > VIZ_HEAT_COL_LABEL) L->labh = VIZ_HEAT_COL_LABEL;
        if (L->labh > avail_r - 4) L->labh = avail_r - 4 > 0 ? avail_r - 4 : 0;
        avail_r -= L->labh;
    }
    /* Overview: one square block size for rows and columns, so the picture keeps its shape. */
    L->k = 1;
    if (h->fit) {
        int kr = (h->rows + avail_r - 1) / avail_r, kc = (h->cols + avail_c - 1) / avail_c;
        L->k = kr > kc ? kr : kc;
    }
    int k = L->k;
    L->rows = (h->rows + k - 1) / k, L->cols = (h->cols + k - 1) / k;
    L->cr = h->cur_r >= 0 ? h->cur_r / k : -1, L->cc = h->cur_c >= 0 ? h->cur_c / k : -1;
    L->vis_c = avail_c, L->vis_r = avail_r;
    /* Keep the cursor on screen, and never scroll past the end (row0/col0 count matrix rows). */
    int row0 = h->row0 / k, col0 = h->col0 / k;
    if (L->cr >= 0) {
        if (L->cr < row0) row0 = L->cr;
        if (L->cr >= row0 + L->vis_r) row0 = L->cr - L->vis_r + 1;
    }
    if (L->cc >= 0) {
        if (L->cc < col0) col0 = L->cc;
        if (L->cc >= col0 + L->vis_c) col0 = L->cc - L->vis_c + 1;
    }
    if (row0 > L->rows - L->vis_r) row0 = L->rows - L->vis_r;
    if (col0 > L->cols - L->vis_c) col0 = L->cols - L->vis_c;
    if (row0 < 0) row0 = 0;
    if (col0 < 0) col0 = 0;
    L->row0 = row0, L->col0 = col0;
    h->row0 = row0 * k, h->col0 = col0 * k;
    return 1;
}

/* A cell's value: the matrix's, or the block's mean in the overview. */
static float heat_at(const viz_heatmap *h, const heat_layout *L, int i, int j) {
    return L->k == 1 ? h->v[(long)i * h->cols + j] : block_mean(h, i * L->k, j * L->k, L->k);
}

/* The value shading is relative to: h->vmax, or the largest cell (1 when none is positive). */
static float heat_vmax(const viz_heatmap *h, const heat_layout *L) {
    if (!(h->vmax <= 0)) return h->vmax;
    float vmax = 0;
    for (int i = 0; i < L->rows; i++)
        for (int j = 0; j < L->cols; j++) {
            float m = heat_at(h, L, i, j);
            if (m > vmax) vmax = m;
        }
    return vmax > 0 ? vmax : 1;
}

/* Ruler: key indices every 5 columns (every 2 when cells are 2 wide enough to hold them). */
static void heat_ruler(viz_canvas *c, viz_rect r, const heat_layout *L) {
    viz_style dim = {VIZ_DEFAULT, VIZ_DEFAULT, VIZ_DIM};
    int step = L->cellw == 2 ? 2 : 5;
    for (int j = L->col0; j < L->cols && j < L->col0 + L->vis_c; j++) {
        int x = r.x + L->left + (j - L->col0) * L->cellw;
        viz_style st = j == L->cc ? (viz_style){VIZ_DEFAULT, VIZ_DEFAULT, VIZ_BOLD} : dim;
        if (j % step == 0 || j == L->cc) {
            char num[12];
            snprintf(num, sizeof num, "%d", j * L->k);
            viz_put(c, x, r.y, r.x + r.w - x, num, st);
        }
    }
}

/* The rows in view: index, query label, then the shaded cells (the cursor's reversed). */
static void heat_rows(viz_canvas *c, viz_rect r, const viz_heatmap *h, const heat_layout *L, float vmax) {
    viz_style dim = {VIZ_DEFAULT, VIZ_DEFAULT, VIZ_DIM}, bold = {VIZ_DEFAULT, VIZ_DEFAULT, VIZ_BOLD};
    for (int i = L->row0; i < L->rows && i < L->row0 + L->vis_r; i++) {
        int y = r.y + 1 + i - L->row0;
        viz_printf(c, r.x, y, L->idxw, i == L->cr ? bold : dim, "%*d", L->idxw, i * L->k);
        if (L->labw && h->row_labels)
            viz_put(c, r.x + L->idxw + 1, y, L->left - L->idxw - 2, h->row_labels[i * L->k], i == L->cr ? bold : VIZ_PLAIN);
        for (int j = L->col0; j < L->cols && j < L->col0 + L->vis_c; j++) {
            float f = heat_at(h, L, i, j) / vmax;
            viz_style st = {(int16_t)viz_heat_colour(f), VIZ_DEFAULT, 0};
            uint32_t g = viz_shade_glyph(c, f);
            if (i == L->cr && j == L->cc) {
                st.attr = VIZ_REVERSE | VIZ_BOLD;
                if (g == ' ') g = c->ascii ? '.' : 0x00b7;
            }
            int x = r.x + L->left + (j - L->col0) * L->cellw;
            for (int q = 0; q < L->cellw; q++) viz_putc(c, x + q, y, g, st);
        }
    }
}

/* The footer: the cursor's query, key and value (and its block in the overview), then the legend. */
static void heat_footer(viz_canvas *c, viz_rect r, const viz_heatmap *h, const heat_layout *L, float vmax) {
    int foot = r.x, y = r.y + r.h - 1;
    if (h->cur_r >= 0 && h->cur_c >= 0 && h->cur_r < h->rows && h->cur_c < h->cols) {
        const char *ql = h->row_labels ? h->row_labels[h->cur_r] : "";
        const char *kl = h->col_labels ? h->col_labels[h->cur_c] : "";
        int x = r.x + viz_printf(c, r.x, y, r.w, VIZ_PLAIN, "q%d %s %s k%d %s = %.4f", h->cur_r, ql,
                                 c->ascii ? "->" : "\xe2\x86\x92", h->cur_c, kl,
                                 (double)h->v[(long)h->cur_r * h->cols + h->cur_c]);
        if (L->k > 1)
            x += viz_printf(c, x, y, r.x + r.w - x, (viz_style){VIZ_DEFAULT, VIZ_DEFAULT, VIZ_DIM},
                            "  (overview: %dx%d blocks, block mean %.4f)", L->k, L->k,
                            (double)block_mean(h, L->cr * L->k, L->cc * L->k, L->k));
        foot = x;
    }
    viz_heat_legend(c, foot, r.x + r.w, y, vmax);
}

int viz_heatmap_draw(viz_canvas *c, viz_rect r, viz_heatmap *h) {
    if (r.w < 8 || r.h < 4 || h->rows <= 0 || h->cols <= 0) return 1;
    heat_layout L;
    if (!heat_layout_of(r, h, &L)) return 1;
    float vmax = heat_vmax(h, &L);
    heat_ruler(c, r, &L);
    heat_rows(c, r, h, &L, vmax);
    if (L.labh > 0 && L.k == 1) {
        int y0 = r.y + 1 + (L.rows - L.row0 < L.vis_r ? L.rows - L.row0 : L.vis_r);
        for (int j = L.col0; j < L.cols && j < L.col0 + L.vis_c; j++)
            col_label_down(c, r.x + L.left + (j - L.col0) * L.cellw, y0, L.labh, L.cellw, h->col_labels[j],
                           j == L.cc ? (viz_style){VIZ_DEFAULT, VIZ_DEFAULT, VIZ_BOLD} : (viz_style){VIZ_DEFAULT, VIZ_DEFAULT, VIZ_DIM});
    }
    heat_footer(c, r, h, &L, vmax);
    return L.k;
}

int viz_heat_legend(viz_canvas *c, int left, int right, int y, float vmax) {
    char hi[24];
    snprintf(hi, sizeof hi, " %.2g", (double)vmax);
    static const float steps[5] = {0.1f, 0.3f, 0.55f, 0.8f, 1.0f};
    int w = 8 + 5 + viz_text_width(hi, -1); /* "scale 0 ", the ramp, the top value */
    if (right - w < left + 2) return 0;
    int x = right - w;
    viz_style dim = {VIZ_DEFAULT, VIZ_DEFAULT, VIZ_DIM};
    x += viz_put(c, x, y, 8, "scale 0 ", dim);
    for (int i = 0; i < 5; i++)
        x += viz_putc(c, x, y, viz_shade_glyph(c, steps[i]), (viz_style){(int16_t)viz_heat_colour(steps[i]), VIZ_DEFAULT, 0});
    viz_put(c, x, y, right - x, hi, dim);
    return w;
}

void viz_heat_thumb(viz_canvas *c, viz_rect r, const float *v, int rows, int cols, float vmax,
                    int selected) {
    if (r.w <= 0 || r.h <= 0 || rows <= 0 || cols <= 0) return;
    if (vmax <= 0) vmax = mat_max(v, (long)rows * cols);
    for (int y = 0; y < r.h; y++) {
        int i0 = (int)((long)y * rows / r.h), i1 = (int)((long)(y + 1) * rows / r.h);
        if (i1 <= i0) i1 = i0 + 1;
        for (int x = 0; x < r.w; x++) {
            int j0 = (int)((long)x * cols / r.w), j1 = (int)((long)(x + 1) * cols / r.w);
            if (j1 <= j0) j1 = j0 + 1;
            float m = 0;
            for (int i = i0; i < i1 && i < rows; i++)
                for (int j = j0; j < j1 && j < cols; j++)
                    if (v[(long)i * cols + j] > m) m = v[(long)i * cols + j];
            float f = m / vmax;
            viz_style st = {(int16_t)viz_heat_colour(f), selected ? VIZ_COLOUR(VIZ_C_SELECTED_BG) : VIZ_DEFAULT,
                            selected ? VIZ_BOLD : 0};
            viz_putc(c, r.x + x, r.y + y, viz_shade_glyph(c, f), st);
        }
    }
}

/* ---- bars ------------------------------------------------------------------------------------- */

int viz_bars_draw(viz_canvas *c, viz_rect r, const viz_bars *b, int scroll) {
    static const uint32_t eighths[9] = {' ', 0x258f, 0x258e, 0x258d, 0x258c, 0x258b, 0x258a, 0x2589,
                                        0x2588};
    if (r.w < 10 || r.h < 1) return 0;
    float vmax = b->vmax;
    if (vmax <= 0)
        for (int i = 0; i < b->n; i++)
            if (b->values[i] > vmax) vmax = b->values[i];
    if (vmax <= 0) vmax = 1;
    int labw = 0;
    for (int i = 0; i < b->n; i++) {
        int w = viz_text_width(b->labels[i], -1);
        if (w > labw) labw = w;
    }
    if (labw > 16) labw = 16;
    if (labw > r.w / 3) labw = r.w / 3;
    const int valw = 8;
    int barw = r.w - labw - valw - 2;
    if (barw < 1) barw = 1;
    int drawn = 0;
    for (int i = scroll; i < b->n && drawn < r.h; i++, drawn++) {
        int y = r.y + drawn;
        viz_style ls = i == b->highlight ? (viz_style){VIZ_DEFAULT, VIZ_DEFAULT, VIZ_BOLD | VIZ_REVERSE}
                                         : VIZ_PLAIN;
        int lw = viz_text_width(b->labels[i], -1);
        int pad = lw < labw ? labw - lw : 0;
        viz_put(c, r.x + pad, y, labw, b->labels[i], ls);
        float f = b->values[i] / vmax;
        if (!(f > 0)) f = 0;
        if (f > 1) f = 1;
        viz_style bs = {VIZ_COLOUR(i == b->highlight ? VIZ_C_BAR_HIGHLIGHT : VIZ_C_BAR_FILL), VIZ_DEFAULT, 0};
        int x = r.x + labw + 1;
        if (c->ascii) {
            int full = (int)lrintf(f * (float)barw);
            for (int k = 0; k < full; k++) viz_putc(c, x + k, y, '#', bs);
        } else {
            int e = (int)lrintf(f * (float)barw * 8.0f);
            for (int k = 0; k < e / 8; k++) viz_putc(c, x + k, y, eighths[8], bs);
            if (e % 8) viz_putc(c, x + e / 8, y, eighths[e % 8], bs);
        }
        char val[32];
        if (b->percent == 2)
            snprintf(val, sizeof val, "%7.0f", (double)b->values[i]);
        else if (b->percent)
            snprintf(val, sizeof val, "%6.2f%%", 100.0 * (double)b->values[i]);
        else
            snprintf(val, sizeof val, "%.4f", (double)b->values[i]);
        viz_put(c, r.x + labw + 2 + barw, y, valw, val, VIZ_PLAIN);
    }
    return drawn;
}
