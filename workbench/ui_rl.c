#define NCURSES_WIDECHAR 1
#include "ui_rl.h"

#include <curses.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include <readline/history.h>
#include <readline/readline.h>

/* readline pulls bytes through rl_getc_function; we hand it one byte at a time. */
static unsigned char pending;
static int have_pending;
static ui_rl_line_fn line_fn;
static ui_rl_complete_fn complete_fn;
static void *line_user;
static char history_file[1024];
static char matches[1024];
static FILE *devnull;
static long non_ascii, dropped; /* characters typed past ASCII; those the locale could not encode */

static int rl_getc_cb(FILE *f) {
    (void)f;
    have_pending = 0;
    return pending;
}

static int rl_avail_cb(void) { return have_pending; }

/* The app draws the line on its next frame; nothing to do here. */
static void rl_redisplay_cb(void) {}

static void rl_line_cb(char *line) {
    if (line && *line) {
        HIST_ENTRY *last = history_length > 0 ? history_get(history_base + history_length - 1) : NULL;
        if (!last || strcmp(last->line, line) != 0) {
            add_history(line);
            if (history_file[0]) append_history(1, history_file);
        }
    }
    line_fn(line, line_user);
}

static void rl_display_matches_cb(char **m, int n, int maxlen) {
    (void)maxlen;
    size_t o = 0;
    matches[0] = 0;
    for (int i = 1; i <= n && o + 2 < sizeof matches; i++) {
        int k = snprintf(matches + o, sizeof matches - o, "%s%s", i > 1 ? "  " : "", m[i]);
        if (k < 0) break;
        o += (size_t)k;
    }
    if (o >= sizeof matches) matches[sizeof matches - 1] = 0;
}

static char **rl_complete_cb(const char *text, int start, int end) {
    char **r = complete_fn ? complete_fn(rl_line_buffer, start, end, text, line_user) : NULL;
    rl_attempted_completion_over = r != NULL;
    return r;
}

void ui_rl_init(const char *prompt, ui_rl_line_fn on_line, ui_rl_complete_fn complete, void *user,
                const char *history_path) {
    line_fn = on_line;
    complete_fn = complete;
    line_user = user;
    /* readline must not touch the terminal or the signals: curses owns both */
    rl_catch_signals = 0;
    rl_catch_sigwinch = 0;
    rl_change_environment = 0;
    rl_prep_term_function = NULL;
    rl_deprep_term_function = NULL;
    rl_getc_function = rl_getc_cb;
    rl_input_available_hook = rl_avail_cb;
    rl_redisplay_function = rl_redisplay_cb;
    rl_completion_display_matches_hook = rl_display_matches_cb;
    rl_attempted_completion_function = rl_complete_cb;
    /* the bell and anything else readline would print must not land on the curses screen */
    devnull = fopen("/dev/null", "w");
    if (devnull) rl_outstream = devnull;
    rl_readline_name = "bertbench";
    /* Under LANG=C readline would turn bytes past 0x7f into Meta keys and lose typed UTF-8; the keys
     * arrive decoded as UTF-8 (ui_term_init), so take them as text whatever the environment says. */
    rl_variable_bind("input-meta", "on");
    rl_variable_bind("convert-meta", "off");
    rl_variable_bind("output-meta", "on");
    using_history();
    history_file[0] = 0;
    if (history_path && *history_path) {
        snprintf(history_file, sizeof history_file, "%s", history_path);
        read_history(history_file);
        FILE *f = fopen(history_file, "a"); /* create it so append_history works */
        if (f) fclose(f);
    }
    rl_callback_handler_install(prompt, rl_line_cb);
}

void ui_rl_end(void) {
    rl_callback_handler_remove();
    if (history_file[0]) history_truncate_file(history_file, 1000);
    clear_history();
    if (devnull) fclose(devnull);
    devnull = NULL;
    rl_outstream = NULL;
}

static void feed_byte(unsigned char b) {
    pending = b;
    have_pending = 1;
    rl_callback_read_char();
}

static void feed_str(const char *s) {
    for (; *s; s++) feed_byte((unsigned char)*s);
}

void ui_rl_feed(int ch, int is_key) {
    if (is_key) {
        switch (ch) {
        case KEY_LEFT: feed_str("\033[D"); break;
        case KEY_RIGHT: feed_str("\033[C"); break;
        case KEY_UP: feed_str("\033[A"); break;
        case KEY_DOWN: feed_str("\033[B"); break;
        case KEY_HOME: feed_str("\033[H"); break;
        case KEY_END: feed_str("\033[F"); break;
        case KEY_DC: feed_str("\033[3~"); break;
        case KEY_BACKSPACE: feed_byte(127); break;
        case KEY_ENTER: feed_byte('\r'); break;
        default: break;
        }
        return;
    }
    char mb[MB_LEN_MAX];
    mbstate_t st;
    memset(&st, 0, sizeof st);
    size_t k = wcrtomb(mb, (wchar_t)ch, &st);
    if (k == (size_t)-1) {
        dropped++;
        return;
    }
    if (ch >= 0x80) non_ascii++;
    for (size_t i = 0; i < k; i++) feed_byte((unsigned char)mb[i]);
}

long ui_rl_non_ascii(void) { return non_ascii; }
long ui_rl_dropped(void) { return dropped; }

const char *ui_rl_line(void) { return rl_line_buffer ? rl_line_buffer : ""; }
int ui_rl_point(void) { return rl_point; }

void ui_rl_set_line(const char *text) {
    rl_replace_line(text, 0);
    rl_point = rl_end;
}

const char *ui_rl_matches(void) { return matches[0] ? matches : NULL; }
void ui_rl_clear_matches(void) { matches[0] = 0; }

int ui_rl_draw(viz_canvas *c, int y) {
    const char *prompt = rl_display_prompt ? rl_display_prompt : "";
    const char *line = ui_rl_line();
    int pw = viz_text_width(prompt, -1);
    int cur = viz_text_width(line, rl_point);
    int room = c->w - pw - 1;
    if (room < 1) room = 1;
    /* Scroll the line left in whole characters until the cursor fits. */
    const char *start = line;
    int skipped = 0;
    while (cur - skipped >= room && *start) {
        uint32_t cp;
        int k = viz_utf8_next(start, (long)strlen(start), &cp);
        skipped += viz_cp_width(cp);
        start += k;
    }
    viz_fill(c, (viz_rect){0, y, c->w, 1}, ' ', VIZ_PLAIN);
    viz_put(c, 0, y, c->w, prompt, (viz_style){VIZ_DEFAULT, VIZ_DEFAULT, VIZ_BOLD});
    viz_put(c, pw, y, c->w - pw, start, VIZ_PLAIN);
    return pw + cur - skipped;
}
