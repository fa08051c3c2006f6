/* ui_cmd.h — the input line's commands: the app's own table and each pane class's (ui_pane.h's ui_cmd
 * rows), found by name or alias, run, completed and listed by F1. Nothing here touches curses. */
#ifndef BB_UI_CMD_H
#define BB_UI_CMD_H

#include <stddef.h>

#include "ui_app.h"

/* The app's own commands (load, layout, export, help, ...). */
extern const ui_cmd ui_app_commands[];

/* Every command, the panes' (in registry order) then the app's: *it starts at 0; NULL after the last.
 * owner (may be NULL) receives the class that owns the command, NULL for the app's. */
const ui_cmd *ui_cmd_next(int *it, const ui_pane_class **owner);
/* The command named (or aliased) word, or NULL; owner as in ui_cmd_next. */
const ui_cmd *ui_cmd_lookup(const char *word, const ui_pane_class **owner);
const ui_cmd *ui_cmd_find(const char *word);
/* Runs one input line: a command, or plain text for the focused pane. Errors go to the message line. */
int ui_cmd_run(ui_app *app, const char *line);
/* If line is a live command with text (`tokenize TEXT`, `tok TEXT`) or plain text for a focused pane
 * that follows the input line, returns the text part (pointer into line) and the pane in *pane (may
 * be NULL), else NULL. Used for the live token view while typing. */
const char *ui_cmd_live_text(ui_app *app, const char *line, ui_pane **pane);
/* The command a first word is one or two edits from (name or alias, as typed), or NULL: one edit for
 * names of up to 4 letters, two for longer ones; words under 3 letters never match. */
const char *ui_cmd_near_miss(const char *word);
/* Readline completion (ui_rl_complete_fn): commands, pane names, layouts, options; NULL for paths. */
char **ui_cmd_complete(const char *line, int start, int end, const char *text, void *user);

/* Copies the first word of s into w (cap bytes) and returns the rest after its spaces. */
const char *ui_cmd_first_word(const char *s, char *w, size_t cap);
/* BB_EINVAL with "CMD: give a text, e.g. ..." when args is empty; else BB_OK. */
int ui_cmd_need_text(const char *args, const char *cmd, char *err, size_t errlen);
/* Splits "A ||| B" into A and B in place; returns B or NULL. */
char *ui_split_pair(char *s);
/* "1,234,567" */
void ui_fmt_count(char *out, size_t n, long v);

#endif
