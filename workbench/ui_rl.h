/* ui_rl.h — GNU readline as the workbench's input line, inside curses (the rlncurses recipe).
 *
 * Readline runs in callback mode with its terminal handling off: curses reads every key, keys
 * that belong to the input line are fed to readline byte by byte (curses key codes translated to
 * the escape sequences readline binds), and readline's redisplay only records that the line
 * changed; the app draws the line itself (ui_rl_draw). Enter calls the line handler given to
 * ui_rl_init. History is read from and written to a file; Tab completes commands, pane names,
 * options and paths.
 */
#ifndef BB_UI_RL_H
#define BB_UI_RL_H

#include "viz_canvas.h"

typedef void (*ui_rl_line_fn)(char *line, void *user); /* line is NULL on Ctrl-D at an empty line */
/* Candidates for the word text at [start, end) of line: a NULL-terminated malloc'd array of malloc'd
 * strings (readline's convention), or NULL to fall back to file names. */
typedef char **(*ui_rl_complete_fn)(const char *line, int start, int end, const char *text, void *user);

void ui_rl_init(const char *prompt, ui_rl_line_fn on_line, ui_rl_complete_fn complete, void *user,
                const char *history_path);
void ui_rl_end(void);
/* Feeds one key: a code point (is_key 0) or a curses KEY_* code (is_key 1). */
void ui_rl_feed(int ch, int is_key);
/* Characters typed past ASCII, and those the locale could not encode (dropped), so far. */
long ui_rl_non_ascii(void);
long ui_rl_dropped(void);
/* The current line (UTF-8) and the cursor as a byte index into it. */
const char *ui_rl_line(void);
int ui_rl_point(void);
/* Replaces the line (used by tests and the benchmark to type a whole text at once). */
void ui_rl_set_line(const char *text);
/* Draws prompt + line into row y of c, scrolled so the cursor is visible; returns the cursor column. */
int ui_rl_draw(viz_canvas *c, int y);
/* Matches from the last completion with several candidates (for the message line), or NULL. */
const char *ui_rl_matches(void);
void ui_rl_clear_matches(void);

#endif
