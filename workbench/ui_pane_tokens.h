/* ui_pane_tokens.h — the tokens pane: the tokenizer's stages, the tokens as chips, what truncation
 * cuts, and a table of every token; it follows the input line as it is typed. */
#ifndef BB_UI_PANE_TOKENS_H
#define BB_UI_PANE_TOKENS_H

#include "ui_app.h"

extern const ui_pane_class ui_tokens_pane;

/* Sets the text (and optional pair) and re-tokenizes now. */
int ui_tokens_set(ui_app *app, ui_pane *p, const char *text, const char *pair, char *err, size_t errlen);
/* Settings: `truncate [N|model] [left|right]`, `case auto|cased|uncased` (the tokenizer's lowercasing,
 * for every pane), and their session form {"max_length", "truncation_side", "case"}. */
int ui_tokens_truncate_cmd(ui_app *app, ui_pane *p, const char *args, char *err, size_t errlen);
int ui_tokens_case_cmd(ui_app *app, ui_pane *p, const char *args, char *err, size_t errlen);
struct cJSON *ui_tokens_settings_json(const ui_pane *p);
void ui_tokens_settings_apply(ui_app *app, ui_pane *p, const struct cJSON *o);

#endif
