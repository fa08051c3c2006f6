/* The fill-mask pane: for each [MASK], the top predictions as bars with probabilities and the
 * sentence with the best one filled in; `rank WORD` adds the word's rank and probability at every
 * mask. Computed on the worker through infer_fill_mask / infer_word_rank. */
#define NCURSES_WIDECHAR 1
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ui_cmd.h"
#include "ui_pane_mask.h"

enum { TOP_K = UI_FILL_TOP_K };

typedef struct {
    char text[4096]; /* the inputs of the next computation */
    char word[128];
    int has_text;
    ui_fill res; /* the result shown (res.text may be older than text) */
    char label[192]; /* which weights ranked res: "" for the loaded model */
    int have;
    int busy;
    int scroll;
    char err[512];
} mask_state;

typedef struct {
    ui_job job;
    ui_pane *pane;
    ui_fill f;
} mask_job;

void ui_fill_free(ui_fill *f) {
    infer_fill_free(&f->fm);
    free(f->strs);
    f->strs = NULL;
}

/* The pane draws a result until the next one arrives, also after a `use run`, `use model` or load
 * freed the tokenizer that made it. */
int ui_fill_own_strs(infer_fill *fm, char **strs) {
    size_t n = 1;
    for (int m = 0; m < fm->n_masks; m++)
        for (int k = 0; k < fm->masks[m].k; k++)
            n += strlen(fm->masks[m].preds[k].token_str ? fm->masks[m].preds[k].token_str : "") + 1;
    char *p = *strs = malloc(n);
    if (!p) return BB_ENOMEM;
    for (int m = 0; m < fm->n_masks; m++)
        for (int k = 0; k < fm->masks[m].k; k++) {
            infer_pred *pr = &fm->masks[m].preds[k];
            const char *t = pr->token_str ? pr->token_str : "";
            size_t len = strlen(t);
            memcpy(p, t, len + 1);
            pr->token_str = p;
            p += len + 1;
        }
    return BB_OK;
}

int ui_fill_compute(infer_ctx *cx, ui_fill *f, bb_work *work, char *err, size_t errlen) {
    f->n_ranks = 0;
    f->strs = NULL;
    int st = infer_fill_mask(cx, f->text, TOP_K, NULL, 0, &f->fm, err, errlen);
    if (st != BB_OK) return st;
    if (ui_fill_own_strs(&f->fm, &f->strs) != BB_OK) {
        infer_fill_free(&f->fm);
        return bb_err(err, errlen, BB_ENOMEM, "mask: out of memory");
    }
    for (int i = 0; f->word[0] && i < f->fm.n_masks && i < UI_FILL_MAX_RANKS && !bb_work_cancelled(work); i++) {
        st = infer_word_rank(cx, f->text, i, f->word, &f->ranks[i], &f->probs[i], err, errlen);
        if (st != BB_OK) {
            ui_fill_free(f);
            return st;
        }
        f->n_ranks = i + 1;
    }
    return BB_OK;
}

static int mask_run(ui_job *j, char *err, size_t errlen) {
    mask_job *m = (mask_job *)j;
    if (!j->cx) return bb_err(err, errlen, BB_EINVAL, "mask: load a model first (`load DIR`)");
    return ui_fill_compute(j->cx, &m->f, &j->work, err, errlen);
}

void ui_fillmask_show(ui_app *app, ui_pane *p, ui_fill *f, const char *label) {
    mask_state *s = p->state;
    s->err[0] = 0;
    /* a new text starts at the top; the same text ranked again (a watch, a reload) keeps the scroll */
    if (!s->have || strcmp(s->res.text, f->text) != 0) s->scroll = 0;
    if (s->have) ui_fill_free(&s->res);
    s->res = *f;
    memset(&f->fm, 0, sizeof f->fm);
    f->strs = NULL;
    snprintf(s->label, sizeof s->label, "%s", label ? label : "");
    s->have = 1;
    if (s->res.fm.n_masks == 0) ui_app_message(app, 1, "mask: the text has no [MASK] token");
    else if (s->res.fm.warning[0]) ui_app_message(app, 0, "%s", s->res.fm.warning);
}

int ui_fillmask_inputs(ui_pane *p, ui_fill *f) {
    mask_state *s = p->state;
    if (!s->has_text) return 0;
    memcpy(f->text, s->text, sizeof f->text);
    memcpy(f->word, s->word, sizeof f->word);
    return 1;
}

static void mask_done(ui_app *app, ui_job *j, int status, const char *err) {
    mask_job *m = (mask_job *)j;
    mask_state *s = m->pane->state;
    s->busy = 0;
    if (status != BB_OK) {
        snprintf(s->err, sizeof s->err, "%s", err);
        if (status != BB_ECANCEL) ui_app_message(app, 1, "%s", err);
    } else {
        ui_fillmask_show(app, m->pane, &m->f, app->using_run); /* done() runs before the model can change */
    }
    free(m);
}

int ui_fillmask_set(ui_app *app, ui_pane *p, const char *text, const char *word, char *err, size_t errlen) {
    mask_state *s = p->state;
    if (!app->model || !app->tk)
        return bb_err(err, errlen, BB_EINVAL, "mask: load a model and tokenizer first (`load DIR`)");
    if (ui_app_pair_ok(app, "mask", err, errlen) != BB_OK) return BB_EINVAL;
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
    ui_fillmask_inputs(p, &m->f);
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

static cJSON *mask_save(const ui_pane *p) {
    const mask_state *s = p->state;
    if (!s->has_text) return NULL;
    cJSON *o = cJSON_CreateObject();
    if (o && !cJSON_AddStringToObject(o, "text", s->text)) cJSON_Delete(o), o = NULL;
    if (o && s->word[0]) cJSON_AddStringToObject(o, "word", s->word);
    return o;
}

static void mask_restore(ui_app *app, ui_pane *p, const cJSON *o) {
    mask_state *s = p->state;
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "text"), *w = cJSON_GetObjectItemCaseSensitive(o, "word");
    if (!cJSON_IsString(t)) return;
    snprintf(s->text, sizeof s->text, "%s", t->valuestring);
    snprintf(s->word, sizeof s->word, "%s", cJSON_IsString(w) ? w->valuestring : "");
    s->has_text = 1;
    mask_reload(app, p);
}

static void mask_draw(ui_app *app, ui_pane *p, viz_canvas *c, viz_rect r) {
    mask_state *s = p->state;
    if (ui_app_draw_mismatch(app, c, r, "fill-mask")) return;
    viz_style bold = {VIZ_DEFAULT, VIZ_DEFAULT, VIZ_BOLD}, dim = {VIZ_DEFAULT, VIZ_DEFAULT, VIZ_DIM};
    if (!s->have) {
        const char *m = !app->model ? "No model loaded: `load DIR`, then `mask TEXT` with [MASK] in it."
                        : s->busy   ? "ranking..."
                                    : "`mask The capital of France is [MASK].` ranks the vocabulary at each [MASK].";
        viz_put(c, r.x, r.y, r.w, m, bold);
        if (s->err[0]) viz_put(c, r.x, r.y + 1, r.w, s->err, (viz_style){VIZ_COLOUR(VIZ_C_ERROR), VIZ_DEFAULT, 0});
        return;
    }
    /* Lines are laid out top to bottom; `scroll` skips the first ones. */
    const ui_fill *f = &s->res;
    int y = r.y - s->scroll;
    if (y >= r.y) viz_printf(c, r.x, y, r.w, dim, "%s", f->text);
    int lx = r.x;
    if (s->label[0] && y + 1 >= r.y && y + 1 < r.y + r.h)
        lx += viz_printf(c, r.x, y + 1, r.w, (viz_style){VIZ_COLOUR(VIZ_C_GOOD), VIZ_DEFAULT, 0}, "weights: %s  ", s->label);
    if (f->fm.truncated && y + 1 >= r.y && y + 1 < r.y + r.h) /* the model's effective max length cut the text */
        viz_printf(c, lx, y + 1, r.x + r.w - lx, (viz_style){VIZ_COLOUR(VIZ_C_WARN), VIZ_DEFAULT, VIZ_BOLD},
                   "cut at max length %d (%d tokens dropped)", f->fm.enc ? f->fm.enc->n : 0, f->fm.truncated);
    y += 2;
    for (int m = 0; m < f->fm.n_masks; m++) {
        const infer_mask *mk = &f->fm.masks[m];
        if (y >= r.y && y < r.y + r.h)
            viz_printf(c, r.x, y, r.w, bold, "[MASK] #%d (token %d): %s", m, mk->position,
                       mk->k > 0 && mk->preds[0].sequence ? mk->preds[0].sequence : "");
        y++;
        if (m < f->n_ranks && y >= r.y && y < r.y + r.h)
            viz_printf(c, r.x, y, r.w, (viz_style){VIZ_COLOUR(VIZ_C_WARN), VIZ_DEFAULT, VIZ_BOLD}, "'%s': rank %d, p = %.4f", f->word,
                       f->ranks[m], (double)f->probs[m]);
        if (m < f->n_ranks) y++;
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

static int key_scroll(ui_app *app, ui_pane *p, int key) {
    mask_state *s = p->state;
    switch (key) {
    case UI_KEY(KEY_UP): case 'k': s->scroll--; break;
    case UI_KEY(KEY_DOWN): case 'j': s->scroll++; break;
    case UI_KEY(KEY_PPAGE): s->scroll -= 10; break;
    default: s->scroll += 10;
    }
    int total = 2 + (s->have ? s->res.fm.n_masks * (TOP_K + 3) : 0);
    if (s->scroll > total - 1) s->scroll = total - 1;
    if (s->scroll < 0) s->scroll = 0;
    return UI_CHANGED;
}

static const ui_key_binding mask_keys[] = {
    {UI_KEY(KEY_UP), key_scroll, "scroll up"},
    {'k', key_scroll, NULL},
    {UI_KEY(KEY_DOWN), key_scroll, "scroll down"},
    {'j', key_scroll, NULL},
    {UI_KEY(KEY_PPAGE), key_scroll, "10 lines up"},
    {UI_KEY(KEY_NPAGE), key_scroll, "10 lines down"},
    {0, NULL, NULL},
};

static int cmd_mask(ui_app *app, const char *args, char *err, size_t errlen) {
    if (ui_cmd_need_text(args, "mask", err, errlen)) return BB_EINVAL;
    ui_pane *p = ui_app_pane_of(app, &ui_fillmask_pane);
    ui_app_show(app, p);
    return ui_fillmask_set(app, p, args, NULL, err, errlen);
}

static int cmd_rank(ui_app *app, const char *args, char *err, size_t errlen) {
    char w[128];
    ui_cmd_first_word(args, w, sizeof w);
    if (!*w) return bb_err(err, errlen, BB_EINVAL, "rank: give a word, e.g. `rank paris`");
    ui_pane *p = ui_app_pane_of(app, &ui_fillmask_pane);
    ui_app_show(app, p);
    return ui_fillmask_set(app, p, NULL, w, err, errlen);
}

static const ui_cmd mask_cmds[] = {
    {.name = "mask", .alias = "fill-mask", .args = "TEXT", .help = "rank the vocabulary at each [MASK]",
     .fn = cmd_mask},
    {.name = "rank", .args = "WORD",
     .help = "rank and probability of WORD at each [MASK] of the last text", .fn = cmd_rank},
    {0},
};

static void mask_free(ui_pane *p) {
    mask_state *s = p->state;
    if (!s) return;
    if (s->have) ui_fill_free(&s->res);
    free(s);
    p->state = NULL;
}

/* export: every [MASK]'s ranking, from the top */
static void mask_extent(ui_app *app, ui_pane *p, int *w, int *h) {
    mask_state *s = p->state;
    *h = 2 + (s->have ? s->res.fm.n_masks * (TOP_K + 3) : 0);
    s->scroll = 0;
}

static int mask_init(ui_pane *p) { return (p->state = calloc(1, sizeof(mask_state))) ? BB_OK : BB_ENOMEM; }

const ui_pane_class ui_fillmask_pane = {
    .name = "fill-mask",
    .alias = "mask",
    .help = "`mask TEXT` with [MASK]; `rank WORD` for a word's rank",
    .keys = mask_keys,
    .cmds = mask_cmds,
    .init = mask_init,
    .free = mask_free,
    .draw = mask_draw,
    .text = mask_text,
    .extent = mask_extent,
    .reload = mask_reload,
    .save = mask_save,
    .restore = mask_restore,
};
