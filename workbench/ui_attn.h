/* ui_attn.h — the attention pane's head and layer toggles as plain functions (no terminal), so
 * tests can check them. The pane itself is ui_pane_attention() in ui_app.h. */
#ifndef BB_UI_ATTN_H
#define BB_UI_ATTN_H

#include "infer.h"

/* Solo over n on/off flags (heads or layers; off[i] = 1 leaves i out): every flag but i goes off, or
 * all come back on when i already is the only one on. i outside [0, n) changes nothing. */
void ui_attn_solo(unsigned char *off, int n, int i);

#endif
