/* Workbench logic without a terminal: command table, pair splitting, completion, layout rectangles,
 * colour-mode choice (NO_COLOR), and the tokens pane drawn by ui_app_draw into a canvas. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ui_app.h"
#include "ui_term.h"

int main(void) {
    char err[512];
    ui_app app;
    CHECK_OK(ui_app_init(&app, NULL, NULL, err, sizeof err), err);
    CHECK(strstr(app.msg, "load DIR") != NULL, "empty start says how to load: %s", app.msg);

    CHECK(ui_cmd_find("attn") == ui_cmd_find("attention") && ui_cmd_find("attn"), "alias");
    CHECK(ui_cmd_find("nope") == NULL, "unknown command");
    char pair[] = "the cat ||| a dog";
    char *b = ui_split_pair(pair);
    CHECK(b && strcmp(pair, "the cat") == 0 && strcmp(b, "a dog") == 0, "pair split: '%s' '%s'", pair, b ? b : "");

    char **m = ui_cmd_complete("lay", 0, 3, "lay", &app);
    CHECK(m && strcmp(m[0], "layout") == 0 && !m[1], "complete a command");
    for (int i = 0; m && m[i]; i++) free(m[i]);
    free(m);
    m = ui_cmd_complete("pane att", 5, 8, "att", &app);
    CHECK(m && strcmp(m[0], "attention") == 0, "complete a pane name");
    for (int i = 0; m && m[i]; i++) free(m[i]);
    free(m);
    CHECK(ui_cmd_complete("load /tm", 5, 8, "/tm", &app) == NULL, "paths fall back to file names");

    viz_rect r[4];
    int panes[4];
    app.layout = UI_LAYOUT_GRID;
    CHECK(ui_app_layout_rects(&app, 100, 30, r, panes) == 4, "grid has 4 panes");
    CHECK(r[0].w + r[1].w == 100 && r[0].h + r[2].h == 27 && r[3].x == 50 && r[3].y == 14, "grid rects");
    app.zoom = 1;
    CHECK(ui_app_layout_rects(&app, 100, 30, r, panes) == 1 && r[0].w == 100, "zoom fills the screen");
    app.zoom = 0;
    app.layout = UI_LAYOUT_SINGLE;

    CHECK(ui_term_pick_mode(1, 256, "1", NULL) == UI_MONO, "NO_COLOR wins");
    CHECK(ui_term_pick_mode(1, 256, "", NULL) == UI_COLOR256, "empty NO_COLOR is ignored");
    CHECK(ui_term_pick_mode(1, 8, NULL, NULL) == UI_COLOR8, "8 colours");
    CHECK(ui_term_pick_mode(1, 256, NULL, "mono") == UI_MONO, "override");
    CHECK(ui_term_nearest8(196) == 1 && ui_term_nearest8(21) == 4 && ui_term_nearest8(231) == 7, "nearest of 8");

    /* too small: a polite message, no panes */
    viz_canvas c;
    CHECK_OK(viz_canvas_init(&c, 70, 20, err, sizeof err), err);
    CHECK(ui_app_draw(&app, &c) == -1, "no cursor when too small");
    char *t = viz_canvas_text_dup(&c);
    CHECK(t && strstr(t, "needs at least 80x24; this one is 70x20"), "too-small message");
    free(t);
    viz_canvas_free(&c);

    /* with a vocabulary: live text goes to the tokens pane */
    const char *fx = check_fixtures();
    char vocab[1024];
    snprintf(vocab, sizeof vocab, "%s/vocab/bert-base-uncased-vocab.txt", fx);
    CHECK_OK(ui_app_load_vocab(&app, vocab, err, sizeof err), err);
    CHECK(ui_cmd_live_text(&app, "tok hello world") && strcmp(ui_cmd_live_text(&app, "tok hello world"), "hello world") == 0,
          "live text of tok");
    CHECK(ui_cmd_live_text(&app, "mask a [MASK]") == NULL, "no live text for other commands");
    CHECK(ui_cmd_run(&app, "tokenize Tokenization is the process") == BB_OK, "tokenize runs");
    CHECK_OK(viz_canvas_init(&c, 100, 30, err, sizeof err), err);
    ui_app_draw(&app, &c);
    t = viz_canvas_text_dup(&c);
    CHECK(t && strstr(t, "[CLS] token##ization is the process [SEP]"), "chips on screen:\n%s", t ? t : "");
    CHECK(t && strstr(t, "7 tokens"), "count on screen");
    free(t);
    /* plain text is the focused pane's action: tokens tokenizes it, info has none */
    CHECK(ui_cmd_run(&app, "frobnicate") == BB_OK, "plain text tokenized in the tokens pane");
    CHECK(ui_cmd_run(&app, "pane info") == BB_OK && strcmp(ui_app_focused(&app)->name, "info") == 0, "pane info");
    CHECK(ui_cmd_run(&app, "frobnicate") != BB_OK && app.msg_error, "unknown command is an error message");
    CHECK(ui_cmd_run(&app, "attention the cat") != BB_OK && strstr(app.msg, "load"), "attention without a model says to load");
    viz_canvas_free(&c);
    ui_app_free(&app);
    return check_done();
}
