/* `bertbench bench redraw (--vocab FILE | --model DIR)`: the cost of one keystroke in the
 * workbench's live token view on a text of about 128 tokens — re-tokenize (encode + stages), draw
 * every pane element into the canvas and copy it into curses (refresh to /dev/null: the terminal's
 * own drawing is not ours to time). Prints one JSON line with the median and p99 in milliseconds. */
#define NCURSES_WIDECHAR 1
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "ui_app.h"
#include "ui_pane_tokens.h"
#include "ui_term.h"

enum { KEYS = 300 };

static const char usage[] =
    "usage: bertbench bench redraw (--vocab FILE | --model DIR)\n"
    "The cost of one keystroke in the workbench's live token view on a ~128-token text: re-tokenize,\n"
    "draw every pane into the canvas and copy it into curses. One JSON line: median and p99 in ms.\n"
    "  --vocab FILE  a vocab.txt or tokenizer.json\n"
    "  --model DIR   a model directory (its tokenizer)\n";

int bench_redraw(int argc, char **argv) {
    const char *vocab = NULL, *model = NULL;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0) {
            fputs(usage, stdout);
            return 0;
        }
    for (int i = 1; i < argc; i += 2) {
        if (i + 1 >= argc) return bench_usage_error("bench redraw", "%s needs a value", argv[i]);
        if (strcmp(argv[i], "--vocab") == 0 || strcmp(argv[i], "--tokenizer") == 0) vocab = argv[i + 1];
        else if (strcmp(argv[i], "--model") == 0) model = argv[i + 1];
        else return bench_usage_error("bench redraw", "unknown option '%s'", argv[i]);
    }
    if (!vocab && !model) return bench_usage_error("bench redraw", "give --vocab FILE or --model DIR");
    ui_app app;
    char err[512];
    if (ui_app_init(&app, model, vocab, err, sizeof err) != BB_OK) {
        ui_app_free(&app);
        return bench_fail("bench redraw", "%s", err);
    }
    ui_app_wait_jobs(&app);
    if (!app.tk) {
        ui_app_free(&app);
        return bench_fail("bench redraw", "no tokenizer: %s", app.msg);
    }
    /* About 128 tokens with specials: ~13.5 tokens a sentence, 10 copies, typing the last 40 chars. */
    char text[4096] = "";
    for (int i = 0; i < 10; i++)
        strcat(text, "Tokenization is the process of splitting sequences into tokens, fast. ");
    FILE *out = fopen("/dev/null", "w"), *in = fopen("/dev/null", "r");
    setenv("LINES", "30", 1);
    setenv("COLUMNS", "100", 1);
    int utf8;
    if (!out || !in || ui_term_init(out, in, &utf8, err, sizeof err) != BB_OK) {
        if (out) fclose(out);
        if (in) fclose(in);
        ui_app_free(&app);
        return bench_fail("bench redraw", "curses: %s", err);
    }
    viz_canvas c;
    viz_canvas_init(&c, 100, 30, err, sizeof err);
    ui_pane *tp = ui_app_pane(&app, "tokens");
    ui_app_show(&app, tp);
    double t[KEYS];
    int len = (int)strlen(text), ntok = 0;
    for (int k = 0; k < KEYS; k++) {
        /* typing: the text grows by one character, wrapping around near the end */
        char typed[4096];
        int n = len - 40 + k % 40;
        snprintf(typed, sizeof typed, "%.*s", n, text);
        double t0 = bench_now();
        ui_tokens_set(&app, tp, typed, NULL, NULL, 0);
        int cx = ui_app_draw(&app, &c);
        ui_term_blit(&c, cx, c.h - 1);
        t[k] = bench_now() - t0;
        if (k == KEYS - 1) {
            /* the count shown in the pane's first line */
            const viz_cell *p = viz_cell_at(&c, 1, 2);
            for (int x = 1; p && p->cp >= '0' && p->cp <= '9'; p = viz_cell_at(&c, ++x, 2)) ntok = ntok * 10 + (int)(p->cp - '0');
        }
    }
    ui_term_end();
    fclose(out);
    fclose(in);
    viz_canvas_free(&c);
    ui_app_free(&app);
    double med = bench_median(t, KEYS);
    double p99 = t[(int)(KEYS * 0.99)];
    printf("{\"keystrokes\":%d,\"tokens\":%d,\"screen\":\"100x30\",\"median_ms\":%.3f,\"p99_ms\":%.3f,\"target_ms\":16}\n",
           KEYS, ntok, 1e3 * med, 1e3 * p99);
    return 0;
}
