/* ui_screen.h — for the terminal-free UI tests: the workbench drawn into a 100x30 canvas, as text. */
#ifndef BB_TEST_UI_SCREEN_H
#define BB_TEST_UI_SCREEN_H

#include "ui_app.h"

/* The screen as text (100x30); the caller frees it. */
static char *screen(ui_app *app) {
    char err[256];
    viz_canvas c;
    if (viz_canvas_init(&c, 100, 30, err, sizeof err) != BB_OK) return NULL;
    ui_app_draw(app, &c);
    char *t = viz_canvas_text_dup(&c);
    viz_canvas_free(&c);
    return t;
}

#endif
