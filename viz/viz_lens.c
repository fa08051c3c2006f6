/* The logit-lens grid (viz_lens.h). */
#include "viz_lens.h"

#include <stdio.h>
#include <string.h>

#include "viz.h"
#include "viz_theme.h"

enum { CELL = 8, LABEL = 5 }; /* a column: 7 characters and a gap; the layer names on the left */

int viz_lens_draw(viz_canvas *c, viz_rect r, const viz_lens_view *v) {
    if (r.w < LABEL + CELL || r.h < 3 || v->T < 1 || v->L1 < 1) return 0;
    int cols = (r.w - LABEL) / CELL, first = 0;
    if (cols > v->T) cols = v->T;
    if (v->cursor >= cols) first = v->cursor - cols + 1;
    if (first + cols > v->T) first = v->T - cols;
    if (first < 0) first = 0;
    viz_style head = {VIZ_COLOUR(VIZ_C_HEADING), VIZ_DEFAULT, VIZ_BOLD}, muted = {VIZ_COLOUR(VIZ_C_MUTED), VIZ_DEFAULT, 0};
    viz_put(c, r.x, r.y, LABEL, "in", muted);
    for (int j = 0; j < cols; j++) {
        int t = first + j;
        viz_style st = head;
        if (t == v->cursor) st.attr |= VIZ_REVERSE;
        viz_printf(c, r.x + LABEL + j * CELL, r.y, CELL - 1, st, "%-*.*s", CELL - 1, CELL - 1, v->inputs[t]);
    }
    /* rows: the last layer first would read like a stack; Ecco reads top-down from the input, so do we */
    for (int l = 0; l < v->L1 && 2 + 2 * l < r.h; l++) {
        int y = r.y + 1 + 2 * l;
        char name[16];
        if (l == 0) snprintf(name, sizeof name, "emb");
        else snprintf(name, sizeof name, "L%d", l - 1);
        viz_put(c, r.x, y, LABEL, name, muted);
        for (int j = 0; j < cols; j++) {
            int t = first + j;
            const char *tok = v->top[(size_t)l * v->T + t];
            float p = v->probs[(size_t)l * v->T + t];
            int same = tok && v->inputs[t] && strcmp(tok, v->inputs[t]) == 0;
            viz_style ts = {VIZ_DEFAULT, VIZ_DEFAULT, (uint8_t)(same ? VIZ_BOLD : 0)};
            if (t == v->cursor) ts.attr |= VIZ_UNDERLINE;
            viz_printf(c, r.x + LABEL + j * CELL, y, CELL - 1, ts, "%-*.*s", CELL - 1, CELL - 1, tok ? tok : "?");
            viz_style ps = {VIZ_COLOUR(p > 0.55f ? VIZ_C_ON_ACCENT : VIZ_C_CHIP_TEXT), (int16_t)viz_heat_colour(p), 0}; /* dark text on the bright end */
            viz_printf(c, r.x + LABEL + j * CELL, y + 1, CELL - 1, ps, "%*.2f ", CELL - 2, (double)p);
        }
    }
    if (first > 0 || first + cols < v->T) {
        char note[96];
        snprintf(note, sizeof note, "tokens %d-%d of %d (the cursor scrolls)", first, first + cols - 1, v->T);
        int w = viz_text_width(note, -1);
        if (2 + 2 * v->L1 < r.h) viz_put(c, r.x + r.w - w, r.y + 1 + 2 * v->L1, w, note, muted);
    }
    return first;
}
