/* viz_lens.h — the logit lens over every token as a grid (Ecco's view for GPT models): a column per
 * input token, two rows per layer (the MLM head's top token read from that layer's output, then its
 * probability), the embeddings first and the last layer at the bottom. The probability row is shaded
 * by the heat ramp (and the number says it without colour); a token whose top prediction is the input
 * token itself is bold. The columns scroll so that the cursor's column is in view; its header is
 * reversed.
 *
 *     viz_lens_view v = {.L1 = 3, .T = 4, .inputs = tokens, .top = tops, .probs = probs, .cursor = 1};
 *     viz_lens_draw(&canvas, (viz_rect){0, 0, 80, 8}, &v);
 */
#ifndef BB_VIZ_LENS_H
#define BB_VIZ_LENS_H

#include "viz_canvas.h"

typedef struct {
    int L1, T;                      /* rows: the embeddings and each layer; columns: tokens */
    const char *const *inputs;      /* (T) the input tokens (column headers) */
    const char *const *top;         /* (L1, T) the top token at each layer and position */
    const float *probs;             /* (L1, T) its probability */
    int cursor;                     /* the highlighted column */
} viz_lens_view;

/* Draws v inside r; returns the first column shown (scrolled for the cursor). */
int viz_lens_draw(viz_canvas *c, viz_rect r, const viz_lens_view *v);

#endif
