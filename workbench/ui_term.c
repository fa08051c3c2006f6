#define NCURSES_WIDECHAR 1
#include "ui_term.h"

#include <curses.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <wchar.h>

#include "bb_err.h"
#include "viz_theme.h"

static int term_active;
static int term_mode = UI_MONO;

int ui_term_pick_mode(int has_colors, int colors, const char *no_color, const char *override) {
    if (override && *override) {
        if (strcmp(override, "mono") == 0) return UI_MONO;
        if (strcmp(override, "8") == 0) return has_colors ? UI_COLOR8 : UI_MONO;
        if (strcmp(override, "256") == 0) return has_colors && colors >= 256 ? UI_COLOR256 : UI_COLOR8;
    }
    if (no_color && *no_color) return UI_MONO; /* https://no-color.org: any non-empty value */
    if (!has_colors || colors < 8) return UI_MONO;
    return colors >= 256 ? UI_COLOR256 : UI_COLOR8;
}

void ui_term_end(void) {
    if (!term_active) return;
    term_active = 0;
    curs_set(1);
    endwin();
}

/* A crash must not leave the terminal raw: restore it, then die of the same signal. */
static void on_fatal(int sig) {
    ui_term_end();
    signal(sig, SIG_DFL);
    raise(sig);
}

int ui_term_check(FILE *out, FILE *in, char *err, size_t errlen) {
    static const char hint[] = "the workbench is interactive; scripts use the subcommands, which print JSON "
                               "(bertbench --help, e.g. bertbench fill-mask --model DIR \"Paris is the [MASK].\")";
    if (!isatty(fileno(in))) return bb_err(err, errlen, BB_EINVAL, "standard input is not a terminal: %s", hint);
    if (!isatty(fileno(out))) return bb_err(err, errlen, BB_EINVAL, "standard output is not a terminal: %s", hint);
    const char *t = getenv("TERM");
    if (!t || !*t || strcmp(t, "dumb") == 0)
        return bb_err(err, errlen, BB_EINVAL, "TERM=%s cannot draw the workbench (set TERM, e.g. xterm-256color); %s",
                      t && *t ? t : "(unset)", hint);
    return BB_OK;
}

static int locale_utf8 = 1;

int ui_term_locale_utf8(void) { return locale_utf8; }

int ui_term_init(FILE *out, FILE *in, int *utf8, char *err, size_t errlen) {
    int rc = ui_term_check(out, in, err, errlen);
    if (rc != BB_OK) return rc;
    setlocale(LC_ALL, "");
    const char *cs = nl_langinfo(CODESET);
    *utf8 = cs && (strcasecmp(cs, "UTF-8") == 0 || strcasecmp(cs, "utf8") == 0);
    /* A locale that is not UTF-8 (LANG=C) draws ASCII, but the terminal still sends UTF-8 when
     * someone types "café": curses decodes keys by LC_CTYPE and would stall on the first byte past
     * 0x7f, so read keys as UTF-8 where the system has C.UTF-8 (the screen stays ASCII either way). */
    locale_utf8 = *utf8;
    if (!*utf8) setlocale(LC_CTYPE, "C.UTF-8");
    if (!newterm(NULL, out, in)) {
        const char *t = getenv("TERM");
        return bb_err(err, errlen, BB_EINVAL, "cannot open the terminal (TERM=%s)", t ? t : "(unset)");
    }
    term_active = 1;
    atexit(ui_term_end);
    static const int fatal[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTERM, SIGHUP, SIGQUIT};
    for (size_t i = 0; i < sizeof fatal / sizeof *fatal; i++) signal(fatal[i], on_fatal);
    raw(); /* Ctrl-C cancels work instead of killing the program */
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    set_escdelay(25);
    /* COLORS is only known after start_color(); it is not called at all when no colour is wanted. */
    const char *no_color = getenv("NO_COLOR"), *override = getenv("BERTBENCH_COLORS");
    term_mode = UI_MONO;
    if (ui_term_pick_mode(has_colors(), 256, no_color, override) != UI_MONO && start_color() == OK) {
        use_default_colors();
        term_mode = ui_term_pick_mode(has_colors(), COLORS, no_color, override);
    }
    return BB_OK;
}

int ui_term_colors(void) { return term_mode; }

static attr_t to_attr(uint8_t a) {
    attr_t r = 0;
    if (a & VIZ_BOLD) r |= WA_BOLD;
    if (a & VIZ_DIM) r |= WA_DIM;
    if (a & VIZ_UNDERLINE) r |= WA_UNDERLINE;
    if (a & VIZ_REVERSE) r |= WA_REVERSE;
    return r;
}

/* fg, bg: canvas colours (theme names or xterm indices), resolved here for the terminal's mode. */
static int pair_for(int fg, int bg) {
    if (term_mode == UI_MONO) return 0;
    if (term_mode == UI_COLOR8) fg = viz_colour_8(fg), bg = viz_colour_8(bg);
    else fg = viz_colour_256(fg), bg = viz_colour_256(bg);
    if (fg < 0 && bg < 0) return 0;
    /* alloc_pair keeps its own table; the last pair is cached because runs of one style are common */
    static int last_fg = -2, last_bg = -2, last_pair;
    if (fg == last_fg && bg == last_bg) return last_pair;
    int p = alloc_pair(fg, bg);
    if (p < 0) p = 0;
    last_fg = fg, last_bg = bg, last_pair = p;
    return p;
}

void ui_term_blit(const viz_canvas *c, int cx, int cy) {
    int h = c->h < LINES ? c->h : LINES, w = c->w < COLS ? c->w : COLS;
    for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
            const viz_cell *p = viz_cell_at(c, x, y);
            if (p->width == 0) continue;
            if (p->width == 2 && x + 1 >= w) break;
            wchar_t wc[3] = {(wchar_t)p->cp, (wchar_t)p->mark, 0};
            if (!p->mark) wc[1] = 0;
            int pair = pair_for(p->fg, p->bg);
            attr_t a = to_attr(p->attr);
            if (term_mode == UI_MONO) {
                /* The theme says what stands for each colour; a reversed cell whose colour also asks
                 * for reverse is underlined instead, so it does not flip back. A plain xterm
                 * background marks something (a chip, a selection): keep it visible. */
                uint8_t m = viz_colour_mono(p->fg) | viz_colour_mono(p->bg);
                if ((p->attr & VIZ_REVERSE) && (m & VIZ_REVERSE)) m = (uint8_t)((m & ~VIZ_REVERSE) | VIZ_UNDERLINE);
                a |= to_attr(m);
                if (p->bg >= 0 && p->bg < 256 && !(p->attr & VIZ_REVERSE)) a |= WA_UNDERLINE;
            }
            cchar_t cc;
            setcchar(&cc, wc, a, (short)0, &pair);
            mvadd_wch(y, x, &cc);
        }
    }
    if (cy >= 0) {
        curs_set(1);
        move(cy, cx);
    } else {
        curs_set(0);
    }
    refresh();
}
