/* Key tables without a terminal: every pane's {key, fn, help} rows are well formed and reachable (no
 * app key shadows a pane key, Ctrl-C aside: the app hands it to the pane), F1's help lists every row
 * of every table, and handlers run on panes and on the app return the flags their change calls for. */
#define NCURSES_WIDECHAR 1
#include <curses.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "ui_app.h"
#include "ui_cmd.h"
#include "ui_session.h"

/* Every row has a handler, the first of a table says what it does, no key appears twice, and the app's
 * own table takes none of a pane's keys but Ctrl-C (which it hands to the focused pane first). */
static void test_tables(void) {
    int n_classes = 0;
    for (int k = 0; ui_pane_registry[k]; k++, n_classes++) {
        const ui_pane_class *c = ui_pane_registry[k];
        CHECK(c->name && c->help && c->draw, "class %d has a name, help and draw", k);
        if (!c->keys) continue;
        CHECK(c->keys[0].help != NULL, "%s: the first key says what it does", c->name);
        for (const ui_key_binding *b = c->keys; b->fn; b++) {
            char name[32];
            for (const ui_key_binding *d = b + 1; d->fn; d++)
                CHECK(d->key != b->key, "%s: key %s bound twice", c->name, ui_key_name(b->key, name, sizeof name));
            CHECK(b->key == 3 || !ui_key_find(ui_app_keys, b->key), "%s: key %s is taken by the app", c->name,
                  ui_key_name(b->key, name, sizeof name));
        }
    }
    CHECK(n_classes >= 7, "the registry lists the panes (%d)", n_classes);
    char b[32];
    CHECK(strcmp(ui_key_name(UI_KEY(KEY_F(2)), b, sizeof b), "F2") == 0, "F2: %s", b);
    CHECK(strcmp(ui_key_name(15, b, sizeof b), "Ctrl-O") == 0, "Ctrl-O: %s", b);
    CHECK(strcmp(ui_key_name(UI_KEY(KEY_NPAGE), b, sizeof b), "PgDn") == 0, "PgDn: %s", b);
    CHECK(strcmp(ui_key_name('[', b, sizeof b), "[") == 0, "[: %s", b);
}

/* Collapses every run of white space into one space, in place (F1 wraps long key lists). */
static void squeeze(char *s) {
    char *o = s;
    for (char *p = s; *p; p++)
        if (!isspace((unsigned char)*p)) *o++ = *p;
        else if (o > s && o[-1] != ' ') *o++ = ' ';
    *o = 0;
}

/* F1's text, exported from the info pane, holds every row of the app's and every pane's table: the keys
 * of a row and of the rows after it without help ("up/k"), then the help. */
static void test_help_lists_tables(ui_app *app) {
    char path[] = "/tmp/bb_ui_keys_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0, "temp file");
    if (fd < 0) return;
    close(fd);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "export info %s.txt", path);
    CHECK(ui_cmd_run(app, "help") == BB_OK && ui_cmd_run(app, cmd) == BB_OK, "help exported: %s", app->msg);
    char file[64];
    snprintf(file, sizeof file, "%s.txt", path);
    FILE *f = fopen(file, "rb");
    static char text[65536];
    size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
    text[n] = 0;
    if (f) fclose(f);
    unlink(file);
    unlink(path);
    squeeze(text);
    const ui_key_binding *tables[16] = {ui_app_keys};
    int nt = 1;
    for (int k = 0; ui_pane_registry[k] && nt < 16; k++)
        if (ui_pane_registry[k]->keys) tables[nt++] = ui_pane_registry[k]->keys;
    int rows = 0;
    for (int t = 0; t < nt; t++)
        for (const ui_key_binding *b = tables[t]; b->fn; b++) {
            if (!b->help) continue;
            char want[512], name[32];
            size_t o = 0;
            const ui_key_binding *r = b;
            do {
                o += (size_t)snprintf(want + o, sizeof want - o, "%s%s", r == b ? "" : "/", ui_key_name(r->key, name, sizeof name));
                r++;
            } while (r->fn && !r->help);
            snprintf(want + o, sizeof want - o, " %s", b->help);
            squeeze(want);
            CHECK(strstr(text, want) != NULL, "F1 lists '%s'", want);
            rows++;
        }
    CHECK(rows > 60, "every table's rows checked (%d)", rows);
    CHECK(strstr(text, "Ctrl-C stops the focused pane's work: a training run after a second Ctrl-C") != NULL,
          "F1 says what Ctrl-C does");
}

/* Handlers on panes and on the app, no terminal: the flags say what changed. */
static void test_handlers(ui_app *app) {
    ui_pane *train = ui_app_pane(app, "train"), *info = ui_app_pane(app, "info");
    ui_sess *u = ui_sess_of(app);
    CHECK(train && info && u, "train and info panes, a session state");
    if (!train || !info || !u) return;
    int log = u->log_y;
    CHECK(ui_pane_key(app, train, 'l') == UI_CHANGED && u->log_y == !log, "l: log scale, redraw");
    double ema = u->ema;
    CHECK(ui_pane_key(app, train, '+') == UI_CHANGED && u->ema > ema, "+: more smoothing (%g -> %g)", ema, u->ema);
    CHECK(ui_pane_key(app, train, '=') == UI_CHANGED && u->ema > ema + 0.15, "=: the same key as +");
    CHECK(ui_pane_key(app, train, 'z') == UI_CHANGED && u->last_n == 20 && strstr(app->msg, "last 20 steps"),
          "z: zoom to the last 20 steps: %s", app->msg);
    CHECK(ui_pane_key(app, train, 'r') == UI_CHANGED && u->table, "r: the runs table");
    CHECK(ui_pane_key(app, train, 'Q') == UI_IGNORED, "an unbound key is ignored");
    CHECK(ui_pane_key(app, train, 3) == UI_IGNORED, "Ctrl-C without a live run: the pane leaves it to the app");

    /* the app's table: F3 cycles the layout, F2 the focus, F10 quits */
    int layout = app->layout;
    CHECK((ui_app_key(app, UI_KEY(KEY_F(3))) & UI_REDRAW) && app->layout == (layout + 1) % UI_LAYOUT_COUNT,
          "F3: next layout");
    app->layout = UI_LAYOUT_SINGLE;
    ui_app_show(app, info);
    CHECK((ui_app_key(app, UI_KEY(KEY_F(2))) & UI_REDRAW) && ui_app_focused(app) != info, "F2: the next pane");
    ui_app_show(app, info);
    /* PgDn goes to the focused pane in any mode; in pane mode its keys do, q leaves where it is unbound */
    info->scroll = 0;
    CHECK((ui_app_key(app, UI_KEY(KEY_NPAGE)) & UI_REDRAW) && info->scroll == 10, "PgDn scrolls the focused pane");
    app->pane_mode = 1;
    CHECK(ui_app_key(app, 'k') == UI_CHANGED && info->scroll == 9, "k in pane mode: the pane's key");
    CHECK(ui_app_key(app, 'q') == UI_CHANGED && !app->pane_mode, "q leaves pane mode");
    CHECK(ui_app_key(app, UI_KEY(KEY_F(10))) & UI_QUIT && app->quit, "F10: quit");
    app->quit = 0;
}

/* The tokens pane's keys on a real tokenizer (the bundled model's): a length key re-tokenizes and says so. */
static void test_tokens_keys(ui_app *app) {
    char err[512], dir[1024];
    snprintf(dir, sizeof dir, "%s/models/bert-brown-small", BB_SOURCE_DIR);
    if (access(dir, R_OK) != 0) return;
    CHECK_OK(ui_app_load_vocab(app, dir, err, sizeof err), err);
    CHECK(ui_cmd_run(app, "tokenize the cat sat on the mat") == BB_OK, "tokenize: %s", app->msg);
    ui_pane *p = ui_app_pane(app, "tokens");
    CHECK(p && ui_app_focused(app) == p, "tokenize shows the tokens pane");
    if (!p) return;
    CHECK(ui_pane_key(app, p, '-') == UI_CHANGED && strstr(app->msg, "max length") && strstr(app->msg, "(set)"),
          "-: a shorter max length: %s", app->msg);
    CHECK(ui_pane_key(app, p, '0') == UI_CHANGED && strstr(app->msg, "(the model's)"), "0: the model's: %s", app->msg);
    CHECK(ui_pane_key(app, p, 'j') == UI_CHANGED, "j: the next row");
    int ws = app->show_ws;
    CHECK(ui_pane_key(app, p, 'w') == UI_CHANGED && app->show_ws == !ws, "w: whitespace");
}

int main(void) {
    char err[512];
    ui_app app;
    CHECK_OK(ui_app_init(&app, NULL, NULL, err, sizeof err), err);
    test_tables();
    test_help_lists_tables(&app);
    test_handlers(&app);
    test_tokens_keys(&app);
    ui_app_wait_jobs(&app);
    ui_app_free(&app);
    return check_done();
}
