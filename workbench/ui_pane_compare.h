/* ui_pane_compare.h — the compare pane: one text through two or three tokenizers, or two models. */
#ifndef BB_UI_PANE_COMPARE_H
#define BB_UI_PANE_COMPARE_H

#include "ui_app.h"

extern const ui_pane_class ui_compare_pane;

/* `compare [--vocab FILE | --model DIR] TEXT` (the option replaces the other side). */
int ui_compare_cmd(ui_app *app, ui_pane *p, const char *args, char *err, size_t errlen);

#endif
