/* ui_pane_mask.h — the fill-mask pane and its results (ui_fill), which a training run's `watch`
 * computes on the run's weights and shows here too. */
#ifndef BB_UI_PANE_MASK_H
#define BB_UI_PANE_MASK_H

#include "ui_app.h"

extern const ui_pane_class ui_fillmask_pane;

/* Ranks every [MASK] of text on the worker; target word may be NULL. */
int ui_fillmask_set(ui_app *app, ui_pane *p, const char *text, const char *target, char *err, size_t errlen);
/* A fill-mask result: the top predictions at each [MASK] of text and, when word is set, its rank there. */
enum { UI_FILL_TOP_K = 10, UI_FILL_MAX_RANKS = 16 };
typedef struct {
    char text[4096], word[128]; /* the inputs */
    infer_fill fm; /* its token_str point into strs: the result outlives the tokenizer that made it */
    char *strs;
    int n_ranks, ranks[UI_FILL_MAX_RANKS];
    float probs[UI_FILL_MAX_RANKS];
} ui_fill;
/* Fills f's result for f->text and f->word on cx (on the worker); on success ui_fill_free frees it. */
int ui_fill_compute(infer_ctx *cx, ui_fill *f, bb_work *work, char *err, size_t errlen);
void ui_fill_free(ui_fill *f);
/* Points fm's token_str (borrowed from the vocabulary) at copies in *strs, malloc'd and freed by the
 * caller with fm, so that a result a pane keeps outlives a tokenizer that `use` or `load` replaced. */
int ui_fill_own_strs(infer_fill *fm, char **strs);
/* Copies the pane's text and word into f; 0 when no text was given yet. */
int ui_fillmask_inputs(ui_pane *p, ui_fill *f);
/* Shows f in the pane, taking over its result; label says which weights ranked it ("run-1 at step 40";
 * "" for the loaded model). On the UI thread. */
void ui_fillmask_show(ui_app *app, ui_pane *p, ui_fill *f, const char *label);

#endif
