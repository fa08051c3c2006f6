/* The fill-mask pane: for each [MASK], the top predictions as bars with probabilities and the
 * sentence with the best one filled in; `rank WORD` adds the word's rank and probability at every
 * mask. Computed on the worker through infer_fill_mask / infer_word_rank. */
#define NCURSES_WIDECHAR 1
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui_app.h"

enum { TOP_K = 10, MAX_RANKS = 16 };

typedef struct {
    char text[4096];
    char word[128];
    int has_text;
    infer_fill fm;
    int have;
    int busy;
    int n_ranks, ranks[MAX_RANKS];
    float probs[MAX_RANKS];
    int scroll;
    char err[512];
} mask_state;

typedef struct {
    ui_job job;
    ui_pane *pane;
    char text[4096], word[128];
    infer_fill out;
    int n_ranks, ranks[MAX_RANKS];
    float probs[MAX_RANKS];
} mask_job;

static int mask_run(ui_job *j, char *err, size_t errlen) {
    mask_job *m = (mask_job *)j;
    if (!j->cx) return bb_err(err, errlen, BB_EINVAL, "mask: load a model first (`load DIR`)");
    int st = infer_fill_mask(j->cx, m->text, TOP_K, NULL, 0, &m->out, err, errlen);
    if (st != BB_OK || !m->word[0]) return st;
    for (int i = 0; i < m->out.n_masks && i < MAX_RANKS && !j->cancel; i++) {
        st = infer_word_rank(j->cx, m->text, i, m->word, &m->ranks[i], &m->probs[i], err, errlen);
        if (st != BB_OK) {
            infer_fill_free(&m->out);
            return st;
        }
        m->n_ranks = i + 1;
    }
    return BB_OK;
}

static void mask_done(ui_app *app, ui_job *j, int status, const char *err) {
    mask_job *m = (mask_job *)j;
    mask_state *s = m->pane->state;
    s->busy = 0;
    if (status != BB_OK) {
        snprintf(s->err, sizeof s->err, "%s", err);
        if (status != BB_ECANCEL) ui_app_message(app, 1, "%s", err);
    } else {
        s->err[0] = 0;
        if (s->have) infer_fill_free(&s->fm);
        s->fm = m->out;
        s->have = 1;
        s->n_ranks = m->n_ranks;
        memcpy(s->ranks, m->ranks, sizeof s->ranks);
        memcpy(s->probs, m->probs, sizeof s->probs);
        s->scroll = 0;
        if (s->fm.n_masks == 0) ui_app_message(app, 1, "mask: the text has no [MASK] token");
        else if (s->fm.warning[0]) ui_app_message(app, 0, "%s", s->fm.warning);
    }
    free(m);
    app->dirty = 1;
}

int ui_fillmask_set(ui_app *app, ui_pane *p, const char *text, const char *word, char *err, size_t errlen) {
    mask_state *s = p->state;
    if (!app->model || !app->tk)
        return bb_err(err, errlen, BB_EINVAL, "mask: load a model and tokenizer first (`load DIR`)");
    if (text) {
        snprintf(s->text, sizeof s->text, "%s", text);
        s->has_text = 1;
        s->word[0] = 0;
    }
    if (word) snprintf(s->word, sizeof s->word, "%s", word);
    if (!s->has_text) return bb_err(err, errlen, BB_EINVAL, "rank: first `mask TEXT` with a [MASK] in it");
    mask_job *m = calloc(1, sizeof *m);
    if (!m) return bb_err(err, errlen, BB_ENOMEM, "mask: out of memory");
    m->pane = p;
    memcpy(m->text, s->text, sizeof m->text);
    memcpy(m->word, s->word, sizeof m->word);
    m->job.what = "fill-mask";
    m->job.run = mask_run;
    m->job.done = mask_done;
    s->busy = 1;
    return ui_app_submit(app, &m->job);
}

static int mask_text(ui_app *app, ui_pane *p, const char *text, char *err, size_t errlen) {
    return ui_fillmask_set(app, p, text, NULL, err, errlen);
}

static void mask_reload(ui_app *app, ui_pane *p) {
    mask_state *s = p->state;
    if (s->has_text && app->cx) ui_fillmask_set(app, p, NULL, NULL, NULL, 0);
}

static void mask_draw(ui_app *app, ui_pane *p, viz_canvas *c, viz_rect r) {
    mask_state *s = p->state;
    viz_style bold = {VIZ_DEFAULT, VIZ_DEFAULT, VIZ_BOLD}, dim = {VIZ_DEFAULT, VIZ_DEFAULT, VIZ_DIM};
    if (!s->have) {
        const char *m = !app->model ? "No model loaded: `load DIR`, then `mask TEXT` with [MASK] in it."
                        : s->busy   ? "ranking..."
                                    : "`mask The capital of France is [MASK].` ranks the vocabulary at each [MASK].";
        viz_put(c, r.x, r.y, r.w, m, bold);
        if (s->err[0]) viz_put(c, r.x, r.y + 1, r.w, s->err, (viz_style){196, VIZ_DEFAULT, 0});
        return;
    }
    /* Lines are laid out top to bottom; `scroll` skips the first ones. */
    int y = r.y - s->scroll;
    viz_printf(c, r.x, y, r.w, dim, "%s", s->text);
    y += 2;
    for (int m = 0; m < s->fm.n_masks; m++) {
        const infer_mask *mk = &s->fm.masks[m];
        if (y >= r.y && y < r.y + r.h)
            viz_printf(c, r.x, y, r.w, bold, "[MASK] #%d (token %d): %s", m, mk->position,
                       mk->k > 0 && mk->preds[0].sequence ? mk->preds[0].sequence : "");
        y++;
        if (m < s->n_ranks && y >= r.y && y < r.y + r.h)
            viz_printf(c, r.x, y, r.w, (viz_style){214, VIZ_DEFAULT, VIZ_BOLD}, "'%s': rank %d, p = %.4f", s->word,
                       s->ranks[m], (double)s->probs[m]);
        if (m < s->n_ranks) y++;
        const char *labels[TOP_K];
        float vals[TOP_K];
        int k = mk->k < TOP_K ? mk->k : TOP_K;
        for (int i = 0; i < k; i++) {
            labels[i] = mk->preds[i].token_str;
            vals[i] = mk->preds[i].score;
        }
        viz_bars b = {.n = k, .labels = labels, .values = vals, .vmax = 0, .highlight = -1, .percent = 1};
        int top = y < r.y ? r.y - y : 0;
        int rows = r.y + r.h - (y + top);
        if (rows > 0 && top < k) viz_bars_draw(c, (viz_rect){r.x, y + top, r.w < 70 ? r.w : 70, rows}, &b, top);
        y += k + 1;
    }
}

static int mask_key(ui_app *app, ui_pane *p, int key) {
    mask_state *s = p->state;
    switch (key) {
    case UI_KEY(KEY_UP): case 'k': s->scroll--; break;
    case UI_KEY(KEY_DOWN): case 'j': s->scroll++; break;
    case UI_KEY(KEY_PPAGE): s->scroll -= 10; break;
    case UI_KEY(KEY_NPAGE): s->scroll += 10; break;
    default: return UI_IGNORED;
    }
    int total = 2 + (s->have ? s->fm.n_masks * (TOP_K + 3) : 0);
    if (s->scroll > total - 1) s->scroll = total - 1;
    if (s->scroll < 0) s->scroll = 0;
    app->dirty = 1;
    return UI_HANDLED;
}

static void mask_free(ui_pane *p) {
    mask_state *s = p->state;
    if (!s) return;
    if (s->have) infer_fill_free(&s->fm);
    free(s);
    p->state = NULL;
}

ui_pane ui_pane_fillmask(void) {
    return (ui_pane){.name = "fill-mask",
                     .help = "`mask TEXT` with [MASK]; `rank WORD` for a word's rank; up/down scroll",
                     .state = calloc(1, sizeof(mask_state)),
                     .draw = mask_draw,
                     .key = mask_key,
                     .text = mask_text,
                     .reload = mask_reload,
                     .free = mask_free};
}
