/* ui_pane_stats.h — the stats pane (corpus view): tokenize --stats side by side for up to 3 tokenizers. */
#ifndef BB_UI_PANE_STATS_H
#define BB_UI_PANE_STATS_H

#include "ui_app.h"

extern const ui_pane_class ui_stats_pane;

/* `stats [--max N] [--vocab FILE] CORPUS` on the worker. */
int ui_stats_cmd(ui_app *app, ui_pane *p, const char *args, char *err, size_t errlen);

#endif
