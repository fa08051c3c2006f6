/* ui_pane_info.h — the info pane: free text (help, the model summary, lists) that scrolls; the app's
 * text pane (its class has show_text). */
#ifndef BB_UI_PANE_INFO_H
#define BB_UI_PANE_INFO_H

#include "ui_app.h"

extern const ui_pane_class ui_info_pane;

/* Replaces its text. */
void ui_info_set(ui_pane *p, const char *title, const char *text);

#endif
