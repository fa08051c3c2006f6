/* The info pane: free text (help, the model summary, lists) that scrolls: the app's text pane. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui_pane_info.h"

typedef struct {
    char title[64];
    char *text;
} info_state;

void ui_info_set(ui_pane *p, const char *title, const char *text) {
    info_state *s = p->state;
    snprintf(s->title, sizeof s->title, "%s", title);
    free(s->text);
    s->text = strdup(text);
    p->scroll = 0;
}

static void info_draw(ui_app *app, ui_pane *p, viz_canvas *c, viz_rect r) {
    info_state *s = p->state;
    const char *t = s->text ? s->text
                            : "bertbench workbench. F1 or `help` lists commands; `model` describes the loaded model.";
    int line = 0;
    for (const char *q = t; *q && line - p->scroll < r.h;) {
        const char *e = strchr(q, '\n');
        size_t n = e ? (size_t)(e - q) : strlen(q);
        if (line >= p->scroll) {
            char buf[1024];
            snprintf(buf, sizeof buf, "%.*s", (int)(n < sizeof buf ? n : sizeof buf - 1), q);
            viz_put(c, r.x, r.y + line - p->scroll, r.w, buf, VIZ_PLAIN);
        }
        line++;
        q += n + (e ? 1 : 0);
    }
}

/* export: every line at its full width */
static void info_extent(ui_app *app, ui_pane *p, int *w, int *h) {
    info_state *s = p->state;
    if (!s->text) return;
    int lines = 0;
    for (const char *q = s->text; *q; lines++) {
        const char *e = strchr(q, '\n');
        long n = e ? (long)(e - q) : (long)strlen(q);
        int tw = viz_text_width(q, n);
        if (tw > *w) *w = tw;
        q += n + (e ? 1 : 0);
    }
    *h = lines;
}

static void info_free(ui_pane *p) {
    info_state *s = p->state;
    if (s) free(s->text);
    free(s);
    p->state = NULL;
}

static int info_init(ui_pane *p) { return (p->state = calloc(1, sizeof(info_state))) ? BB_OK : BB_ENOMEM; }

const ui_pane_class ui_info_pane = {
    .name = "info",
    .help = "help, `model`, `messages`, `history` and `pin` lists",
    .keys = ui_scroll_keys,
    .init = info_init,
    .free = info_free,
    .draw = info_draw,
    .show_text = ui_info_set,
    .extent = info_extent,
};
