/* ui_pane_attn.h — the attention pane: heatmaps of every layer and head, the model view, head bars,
 * summaries, the neuron view and the logit lens; and its head/layer toggles as plain functions (no
 * terminal), so tests can check them. */
#ifndef BB_UI_PANE_ATTN_H
#define BB_UI_PANE_ATTN_H

#include "ui_app.h"

extern const ui_pane_class ui_attention_pane;

/* Computes attention for text (pair may be NULL) on the worker. */
int ui_attention_set(ui_app *app, ui_pane *p, const char *text, const char *pair, char *err, size_t errlen);
/* Solo over n on/off flags (heads or layers; off[i] = 1 leaves i out): every flag but i goes off, or
 * all come back on when i already is the only one on. i outside [0, n) changes nothing. */
void ui_attn_solo(unsigned char *off, int n, int i);

#endif
