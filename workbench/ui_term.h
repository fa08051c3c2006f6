/* ui_term.h — the one place that owns the terminal (htop's CRT): curses init and teardown, the
 * colour mode, and copying a viz_canvas onto the screen.
 *
 * Colour modes: 256 colours when the terminal has them (known after start_color()), 8 otherwise,
 * and monochrome (attributes only) when NO_COLOR is set or the terminal has no colour. Canvas colours
 * are theme names (viz_theme.h) resolved here: the 256-colour index, the 8-colour fallback, or the
 * monochrome attribute. BERTBENCH_COLORS=256|8|mono overrides the choice. Every exit path (normal, fatal signal,
 * exit()) restores the terminal.
 */
#ifndef BB_UI_TERM_H
#define BB_UI_TERM_H

#include <stdio.h>

#include "viz_canvas.h"

enum { UI_MONO = 0, UI_COLOR8 = 8, UI_COLOR256 = 256 };

/* Starts curses on out/in (the terminal: stdout, stdin); returns BB_OK or an error with a message
 * in err. *utf8 tells whether the locale is UTF-8. */
int ui_term_init(FILE *out, FILE *in, int *utf8, char *err, size_t errlen);
/* 1 when the user's locale (before ui_term_init read keys as UTF-8 anyway) is UTF-8. */
int ui_term_locale_utf8(void);
/* Whether the workbench can run here: stdin and stdout are terminals and TERM names one that can move
 * the cursor (not unset, empty or "dumb"). Otherwise BB_EINVAL and a message pointing to the subcommands. */
int ui_term_check(FILE *out, FILE *in, char *err, size_t errlen);
/* Restores the terminal; safe to call more than once. */
void ui_term_end(void);
int ui_term_colors(void);
/* Copies c to the screen, puts the cursor at (cx, cy) (cy < 0 hides it) and refreshes. */
void ui_term_blit(const viz_canvas *c, int cx, int cy);
/* The colour mode for a terminal that offers `colors` colours, given NO_COLOR and the override. */
int ui_term_pick_mode(int has_colors, int colors, const char *no_color, const char *override);

#endif
