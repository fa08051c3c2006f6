/* The attention pane: one layer/head (or the mean over heads, or rollout) as a heatmap, all
 * layers x heads as thumbnails, the cursor token's attention as bars, per-head summaries, the neuron
 * view and the logit lens. The forward pass, the neuron view and the lens run on the worker; the
 * filters (pair, hide [CLS]/[SEP]) and head and layer toggles are applied here on the UI thread.
 * Layers and heads are numbered from 0, as in Hugging Face and BertViz.
 *
 * Toggles: t/o turn the selected head off / solo it in the mean of heads; T/O do the same for the
 * selected layer. A layer that is off is hidden from the model view and the summary table (what
 * BertViz's include_layers does) and skipped by rollout (it counts as the identity). [ ] still visit
 * layers that are off, shown grey while selected, so that T can turn one back on: solo a layer with
 * O, then walk to others and add them with T. */
#define NCURSES_WIDECHAR 1
#include <curses.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ui_cmd.h"
#include "ui_pane_attn.h"
#include "ui_pane_mask.h"
#include "viz_lens.h"

enum { MODE_HEAD, MODE_MEAN, MODE_ROLLOUT, MODE_COUNT };
enum { VIEW_HEAT, VIEW_MODEL, VIEW_BARS, VIEW_SUMMARY, VIEW_NEURON, VIEW_LENS, VIEW_COUNT };
static const char *mode_names[] = {"head", "mean of heads", "rollout"};
static const char *view_names[] = {"heatmap", "model", "head bars", "summary", "neuron", "logit lens"};
static const char *filter_names[] = {"all", "A->A", "B->B", "A->B", "B->A"};

typedef struct {
    char text[4096], pair[4096];
    int has_pair, has_text;
    infer_attn at;
    int have;
    int busy; /* a job for this pane is queued or running */
    int layer, head, mode, view, filter, hide_special;
    unsigned char off[64];  /* heads left out of the mean (toggle/solo) */
    unsigned char loff[64]; /* layers left out (toggle/solo); layers from 64 on are always on */
    float *roll;            /* (T, T) rollout over the layers on, up to roll_layer (-1: none) */
    int roll_layer;
    unsigned char roll_off[64]; /* the loff it was computed for */
    viz_heatmap hm;
    float *mat;    /* (T, T) what the heatmap shows */
    char **labels; /* (T) token labels */
    infer_neuron nv;
    int have_nv, nv_key[3];
    infer_lens lens;
    int have_lens, lens_pos;
    infer_lens_grid grid;   /* the lens over every token (g in the lens view) */
    char **grid_top;        /* (L1, T) its top tokens as text, owned: they outlive a tokenizer swap */
    int have_grid, lens_grid; /* lens_grid: the lens view shows the grid */
    char err[512];
} attn_state;

/* ---- jobs ---- */

typedef struct {
    ui_job job;
    ui_pane *pane;
    char text[4096], pair[4096];
    int has_pair;
    int kind; /* 0 attention, 1 neuron view, 2 logit lens, 3 logit-lens grid */
    int layer, head, q;
    const infer_attn *at;
    infer_attn out_at;
    infer_neuron out_nv;
    infer_lens out_lens;
    infer_lens_grid out_grid;
} attn_job;

static int attn_run(ui_job *j, char *err, size_t errlen) {
    attn_job *a = (attn_job *)j;
    if (!j->cx) return bb_err(err, errlen, BB_EINVAL, "attention: load a model first (`load DIR`)");
    switch (a->kind) {
    case 0: return infer_attention(j->cx, a->text, a->has_pair ? a->pair : NULL, &a->out_at, &j->work, err, errlen);
    case 1: return infer_neuron_view(j->cx, a->at, a->layer, a->head, a->q, &a->out_nv, err, errlen);
    case 2: return infer_logit_lens(j->cx, a->text, a->q, 5, &a->out_lens, err, errlen);
    default: return infer_logit_lens_grid(j->cx, a->text, a->has_pair ? a->pair : NULL, &a->out_grid, err, errlen);
    }
}

static void free_labels(attn_state *s) {
    if (s->labels)
        for (int i = 0; i < s->at.T; i++) free(s->labels[i]);
    free(s->labels);
    s->labels = NULL;
}

static void drop_grid(attn_state *s) {
    if (!s->have_grid) return;
    for (long i = 0; i < (long)s->grid.L1 * s->grid.T; i++) free(s->grid_top[i]);
    free(s->grid_top);
    s->grid_top = NULL;
    infer_lens_grid_free(&s->grid);
    s->have_grid = 0;
}

static void drop_aux(attn_state *s) {
    if (s->have_nv) infer_neuron_free(&s->nv);
    if (s->have_lens) infer_lens_free(&s->lens);
    s->have_nv = s->have_lens = 0;
    drop_grid(s);
}

static int submit(ui_app *app, ui_pane *p, int kind, char *err, size_t errlen);

/* The neuron view and the logit lens follow the cursor (and the layer and head): the result for
 * where it is now is computed when missing, after the running job when one runs. */
static void follow(ui_app *app, ui_pane *p) {
    attn_state *s = p->state;
    if (!s->have) return;
    int kind = 0;
    if (s->view == VIEW_NEURON &&
        !(s->have_nv && s->nv_key[0] == s->layer && s->nv_key[1] == s->head && s->nv_key[2] == s->hm.cur_r))
        kind = 1;
    else if (s->view == VIEW_LENS && s->lens_grid && !s->have_grid)
        kind = 3;
    else if (s->view == VIEW_LENS && !s->lens_grid && !(s->have_lens && s->lens_pos == s->hm.cur_r))
        kind = 2;
    if (!kind) return;
    if (s->busy) return; /* attn_done follows again */
    char err[512];
    if (submit(app, p, kind, err, sizeof err) != BB_OK) ui_app_message(app, 1, "%s", err);
}

static void attn_done(ui_app *app, ui_job *j, int status, const char *err) {
    attn_job *a = (attn_job *)j;
    ui_pane *p = a->pane;
    attn_state *s = p->state;
    s->busy = 0;
    if (status != BB_OK) {
        snprintf(s->err, sizeof s->err, "%s", err);
        if (status != BB_ECANCEL) ui_app_message(app, 1, "%s", err);
    } else if (a->kind == 0) {
        s->err[0] = 0;
        drop_aux(s);
        free_labels(s);
        if (s->have) infer_attn_free(&s->at);
        s->at = a->out_at;
        s->roll_layer = -1;
        s->have = 1;
        int T = s->at.T;
        float *m = realloc(s->mat, sizeof(float) * (size_t)T * (size_t)T);
        float *rl = realloc(s->roll, sizeof(float) * (size_t)T * (size_t)T);
        s->labels = calloc((size_t)T, sizeof(char *));
        if (m) s->mat = m;
        if (rl) s->roll = rl;
        if (!m || !rl || !s->labels) {
            infer_attn_free(&s->at);
            s->have = 0;
            ui_app_message(app, 1, "attention: out of memory");
        } else {
            for (int i = 0; i < T; i++) s->labels[i] = strdup(s->at.enc->tokens[i]);
            if (s->layer >= s->at.L) s->layer = 0;
            if (s->head >= s->at.NH) s->head = 0;
            if (s->hm.cur_r >= T) s->hm.cur_r = 0;
            if (s->hm.cur_c >= T) s->hm.cur_c = 0;
            if (s->at.truncated) ui_app_message(app, 0, "attention: text truncated to %d tokens", T);
        }
    } else if (a->kind == 1) {
        if (s->have_nv) infer_neuron_free(&s->nv);
        s->nv = a->out_nv;
        s->have_nv = 1;
        s->nv_key[0] = a->layer, s->nv_key[1] = a->head, s->nv_key[2] = a->q;
    } else if (a->kind == 2) {
        if (s->have_lens) infer_lens_free(&s->lens);
        s->lens = a->out_lens;
        s->have_lens = 1;
        s->lens_pos = a->q;
    } else {
        drop_grid(s);
        s->grid = a->out_grid;
        long n = (long)s->grid.L1 * s->grid.T;
        s->grid_top = calloc((size_t)(n ? n : 1), sizeof(char *));
        for (long i = 0; s->grid_top && i < n; i++) {
            const char *t = app->tk ? tok_id_to_token(app->tk, s->grid.ids[i]) : NULL;
            s->grid_top[i] = strdup(t ? t : "?");
        }
        if (!s->grid_top) {
            infer_lens_grid_free(&s->grid);
            ui_app_message(app, 1, "logit lens: out of memory");
        } else {
            s->have_grid = 1;
        }
    }
    free(a);
    if (status == BB_OK) follow(app, p); /* the cursor may have moved on while this ran */
}

static int submit(ui_app *app, ui_pane *p, int kind, char *err, size_t errlen) {
    attn_state *s = p->state;
    attn_job *a = calloc(1, sizeof *a);
    if (!a) return bb_err(err, errlen, BB_ENOMEM, "attention: out of memory");
    a->pane = p;
    a->kind = kind;
    memcpy(a->text, s->text, sizeof a->text);
    memcpy(a->pair, s->pair, sizeof a->pair);
    a->has_pair = s->has_pair;
    a->layer = s->layer, a->head = s->head, a->q = s->hm.cur_r;
    a->at = &s->at;
    a->job.what = kind == 0 ? "attention" : kind == 1 ? "neuron view" : kind == 2 ? "logit lens" : "logit-lens grid";
    a->job.run = attn_run;
    a->job.done = attn_done;
    s->busy = 1;
    return ui_app_submit(app, &a->job);
}

int ui_attention_set(ui_app *app, ui_pane *p, const char *text, const char *pair, char *err, size_t errlen) {
    attn_state *s = p->state;
    if (!app->model || !app->tk)
        return bb_err(err, errlen, BB_EINVAL, "attention: load a model and tokenizer first (`load DIR`)");
    if (ui_app_pair_ok(app, "attention", err, errlen) != BB_OK) return BB_EINVAL;
    snprintf(s->text, sizeof s->text, "%s", text);
    snprintf(s->pair, sizeof s->pair, "%s", pair ? pair : "");
    s->has_pair = pair != NULL;
    s->has_text = 1;
    return submit(app, p, 0, err, errlen);
}

static int attn_text(ui_app *app, ui_pane *p, const char *text, char *err, size_t errlen) {
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", text);
    char *pair = ui_split_pair(buf);
    return ui_attention_set(app, p, buf, pair, err, errlen);
}

static void attn_reload(ui_app *app, ui_pane *p) {
    attn_state *s = p->state;
    if (s->has_text && app->cx) submit(app, p, 0, NULL, 0);
}

/* ---- toggles ---- */

void ui_attn_solo(unsigned char *off, int n, int i) {
    if (i < 0 || i >= n) return;
    int solo = 1;
    for (int j = 0; j < n; j++) solo &= (j == i) == !off[j];
    for (int j = 0; j < n; j++) off[j] = solo ? 0 : j != i;
}

static int nflags(int n) { return n < 64 ? n : 64; }
static int layer_on(const attn_state *s, int l) { return l >= 64 || !s->loff[l]; }
/* Layers the model view and the summary show: those on, and the selected one. */
static int layer_shown(const attn_state *s, int l) { return l == s->layer || layer_on(s, l); }

static int layers_on(const attn_state *s) {
    int n = 0;
    for (int l = 0; l < s->at.L; l++) n += layer_on(s, l);
    return n;
}

/* ---- the matrix on screen ---- */

static const float *rollout_on(attn_state *s) {
    const infer_attn *a = &s->at;
    size_t TT = (size_t)a->T * a->T;
    if (layers_on(s) == a->L) return a->rollout + (size_t)s->layer * TT;
    if (s->roll_layer != s->layer || memcmp(s->roll_off, s->loff, sizeof s->loff) != 0) {
        if (infer_attn_rollout_subset(s->roll, a, s->loff, nflags(a->L), s->layer) != BB_OK) {
            memset(s->roll, 0, sizeof(float) * TT); /* out of memory: an empty picture, not a wrong one */
            s->roll_layer = -1;
            return s->roll;
        }
        s->roll_layer = s->layer;
        memcpy(s->roll_off, s->loff, sizeof s->loff);
    }
    return s->roll;
}

static void build_matrix(attn_state *s) {
    const infer_attn *a = &s->at;
    int T = a->T;
    size_t TT = (size_t)T * T;
    const float *src;
    if (s->mode == MODE_HEAD) {
        src = infer_attn_head(a, s->layer, s->head);
    } else if (s->mode == MODE_ROLLOUT) {
        src = rollout_on(s);
    } else {
        int n = 0;
        for (int h = 0; h < a->NH; h++) n += !s->off[h];
        if (n == a->NH) {
            src = a->mean_heads + (size_t)s->layer * TT;
        } else {
            /* mean over the heads left on (toggle/solo) */
            memset(s->mat, 0, sizeof(float) * TT);
            for (int h = 0; h < a->NH; h++)
                if (!s->off[h]) {
                    const float *p = infer_attn_head(a, s->layer, h);
                    for (size_t i = 0; i < TT; i++) s->mat[i] += p[i] / (float)(n ? n : 1);
                }
            src = s->mat;
        }
    }
    if (src != s->mat) memcpy(s->mat, src, sizeof(float) * TT);
    if (s->filter != INFER_PAIR_ALL || s->hide_special) {
        float *tmp = malloc(sizeof(float) * TT);
        if (tmp) {
            infer_attn_filter(tmp, s->mat, a->enc, (infer_pair_filter)s->filter, s->hide_special);
            memcpy(s->mat, tmp, sizeof(float) * TT);
            free(tmp);
        }
    }
}

static void header(ui_app *app, attn_state *s, viz_canvas *c, viz_rect r) {
    const infer_attn *a = &s->at;
    char h[256];
    char lay[64] = "";
    int nh_on = 0, nl_on = layers_on(s);
    for (int i = 0; i < a->NH; i++) nh_on += !s->off[i];
    if (nl_on < a->L)
        snprintf(lay, sizeof lay, " (%s%d of %d on)", layer_on(s, s->layer) ? "" : "off; ", nl_on, a->L);
    snprintf(h, sizeof h, "layer %d/%d%s  head %d/%d  %s%s  filter %s%s  view %s%s", s->layer, a->L - 1, lay,
             s->head, a->NH - 1, mode_names[s->mode],
             s->mode == MODE_MEAN && nh_on < a->NH      ? " (some heads off)"
             : s->mode == MODE_ROLLOUT && nl_on < a->L ? " (layers off skipped)"
                                                       : "",
             filter_names[s->filter], s->hide_special ? "  [CLS]/[SEP] hidden" : "", view_names[s->view],
             s->hm.fit ? "  (overview)" : "");
    int hw = viz_put(c, r.x, r.y, r.w, h, (viz_style){VIZ_DEFAULT, VIZ_DEFAULT, VIZ_BOLD});
    if (a->truncated) /* the model's effective max length (infer_max_length) cut the text */
        viz_printf(c, r.x + hw, r.y, r.w - hw, (viz_style){VIZ_COLOUR(VIZ_C_WARN), VIZ_DEFAULT, VIZ_BOLD},
                   "  cut at max length %d (%d tokens dropped)", a->T, a->truncated);
    viz_put(c, r.x, r.y + 1, r.w,
            app->pane_mode ? "[ ] layer  , . head  t/o head T/O layer off/solo  m mode  v view  f pairs  c [CLS]  z zoom  x mask"
                           : "Esc for pane keys (layers/heads numbered from 0, as HF and BertViz; exBERT counts from 1)",
            (viz_style){VIZ_DEFAULT, VIZ_DEFAULT, VIZ_DIM});
}

/* One row of thumbnails per layer shown (layers off are left out, so a few soloed layers of a large
 * model get room); when they do not all fit, the rows scroll to keep the selected layer in view. */
static void draw_model(attn_state *s, viz_canvas *c, viz_rect r) {
    const infer_attn *a = &s->at;
    int lab = 4, shown = 0, sel_row = 0;
    for (int l = 0; l < a->L; l++)
        if (layer_shown(s, l)) {
            if (l == s->layer) sel_row = shown;
            shown++;
        }
    int tw = (r.w - lab) / a->NH - 1;
    if (tw > 16) tw = 16;
    if (tw < 2) tw = 2;
    int th = (r.h - 1) / shown - 1;
    if (th > tw / 2) th = tw / 2;
    if (th < 1) th = 1;
    int fit = (r.h - 1 - th) / (th + 1) + 1; /* rows of th lines and a gap below the head labels */
    int first = sel_row >= fit ? sel_row - fit + 1 : 0;
    for (int h = 0; h < a->NH; h++) viz_printf(c, r.x + lab + h * (tw + 1), r.y, tw, VIZ_PLAIN, "h%d", h);
    for (int l = 0, row = 0; l < a->L; l++) {
        if (!layer_shown(s, l) || row++ < first) continue;
        int y = r.y + 1 + (row - 1 - first) * (th + 1);
        if (y + th > r.y + r.h) break;
        int on = layer_on(s, l);
        viz_printf(c, r.x, y, lab, on ? VIZ_PLAIN : (viz_style){VIZ_COLOUR(VIZ_C_MUTED), VIZ_DEFAULT, 0}, "L%d", l);
        for (int h = 0; h < a->NH; h++) {
            int sel = l == s->layer && h == s->head;
            viz_rect t = {r.x + lab + h * (tw + 1), y, tw, th};
            viz_heat_thumb(c, t, infer_attn_head(a, l, h), a->T, a->T, 0, sel);
            if (sel) viz_restyle(c, t, (viz_style){VIZ_COLOUR(VIZ_C_FOCUS), VIZ_COLOUR(VIZ_C_SELECTED_BG), VIZ_BOLD}, 0);
            else if (!on) viz_restyle(c, t, (viz_style){VIZ_COLOUR(VIZ_C_MUTED), VIZ_DEFAULT, 0}, 0);
        }
    }
}

static void draw_summary(attn_state *s, viz_canvas *c, viz_rect r) {
    const infer_attn *a = &s->at;
    viz_put(c, r.x, r.y, r.w, "layer head  entropy  ->[CLS]  ->[SEP]  ->self  ->prev  ->next",
            (viz_style){VIZ_DEFAULT, VIZ_DEFAULT, VIZ_BOLD | VIZ_UNDERLINE});
    /* rows of the layers shown (as in the model view); n counts them up to the selected one */
    int sel = s->layer * a->NH + s->head, rows = r.h - 1, n = 0;
    for (int i = 0; i <= sel; i++) n += layer_shown(s, i / a->NH);
    int first = n > rows ? n - rows : 0;
    for (int i = 0, k = 0, y = r.y + 1; i < a->L * a->NH && y < r.y + r.h; i++) {
        if (!layer_shown(s, i / a->NH) || k++ < first) continue;
        const infer_head_summary *h = &a->summary[i];
        viz_style st = i == sel                    ? (viz_style){VIZ_DEFAULT, VIZ_DEFAULT, VIZ_REVERSE}
                       : !layer_on(s, i / a->NH) ? (viz_style){VIZ_COLOUR(VIZ_C_MUTED), VIZ_DEFAULT, 0}
                                                 : VIZ_PLAIN;
        viz_printf(c, r.x, y, r.w, st, "%5d %4d  %7.3f  %7.3f  %7.3f  %6.3f  %6.3f  %6.3f", i / a->NH, i % a->NH,
                   (double)h->entropy, (double)h->to_cls, (double)h->to_sep, (double)h->to_self, (double)h->to_prev,
                   (double)h->to_next);
        y++;
    }
}

/* The glyph of a signed value m in [-1, 1]: shades for m >= 0, strokes for m < 0, so the sign reads
 * without colour (and in a text export) as well as in blue and red. */
static uint32_t signed_glyph(const viz_canvas *c, float m) {
    static const uint32_t neg[5] = {' ', 0x2212, '=', 0x2261, 0x2263}; /* − = ≡ ≣ */
    static const char neg_ascii[5] = {' ', '-', '=', 'x', 'X'};
    if (m >= 0) return viz_shade_glyph(c, m);
    float a = -m > 1 ? 1 : -m;
    int k = a < 0.02f ? 0 : 1 + (int)(a * 3.999f);
    return c->ascii ? (uint32_t)neg_ascii[k] : neg[k];
}

/* A vector of n values as w cells (groups of n/w dims averaged): shades in blue >= 0, strokes in red < 0. */
static void draw_vec(viz_canvas *c, int x, int y, int w, const float *v, int n, float vmax) {
    for (int d = 0; d < w; d++) {
        int i0 = d * n / w, i1 = (d + 1) * n / w;
        float sum = 0;
        for (int i = i0; i < i1; i++) sum += v[i];
        float m = i1 > i0 ? sum / (float)(i1 - i0) / vmax : 0;
        viz_putc(c, x + d, y, signed_glyph(c, m),
                 (viz_style){VIZ_COLOUR(m >= 0 ? VIZ_C_POSITIVE : VIZ_C_NEGATIVE), VIZ_DEFAULT, 0});
    }
}

static void draw_neuron(attn_state *s, viz_canvas *c, viz_rect r) {
    if (!s->have_nv) {
        viz_put(c, r.x, r.y, r.w, s->busy ? "computing the neuron view..." : "press n to compute the neuron view",
                VIZ_PLAIN);
        return;
    }
    const infer_neuron *n = &s->nv;
    float qkmax = 1e-6f, kmax = 1e-6f, qmax = 1e-6f;
    for (int i = 0; i < n->T * n->HS; i++) qkmax = fmaxf(qkmax, fabsf(n->qk[i])), kmax = fmaxf(kmax, fabsf(n->keys[i]));
    for (int i = 0; i < n->HS; i++) qmax = fmaxf(qmax, fabsf(n->query[i]));
    /* columns: index, key token, score, softmax (34), then the key vector and q*k, each up to HS cells */
    int vw = (r.w - 37) / 2;
    if (vw > n->HS) vw = n->HS;
    if (vw < 1) vw = 1;
    viz_style bold = {VIZ_DEFAULT, VIZ_DEFAULT, VIZ_BOLD};
    int x = r.x + viz_printf(c, r.x, r.y, r.w, bold, "query %d %s (layer %d head %d): q.k/sqrt(d), softmax, key k, q*k",
                             s->nv_key[2], s->labels[s->nv_key[2]], s->nv_key[0], s->nv_key[1]);
    if (s->nv_key[0] != s->layer || s->nv_key[1] != s->head || s->nv_key[2] != s->hm.cur_r)
        viz_put(c, x, r.y, r.x + r.w - x, "  (following the cursor...)", (viz_style){VIZ_COLOUR(VIZ_C_MUTED), VIZ_DEFAULT, 0});
    viz_printf(c, r.x, r.y + 1, 35, VIZ_PLAIN, "%-26s q", c->ascii ? "query vector (+ .:-=, - -=xX)"
                                                                   : "query (+ \xe2\x96\x91\xe2\x96\x92\xe2\x96\x93\xe2\x96\x88, - \xe2\x88\x92=\xe2\x89\xa1\xe2\x89\xa3)");
    draw_vec(c, r.x + 35, r.y + 1, vw, n->query, n->HS, qmax);
    for (int t = 0; t < n->T && 2 + t < r.h; t++) {
        int y = r.y + 2 + t;
        viz_printf(c, r.x, y, 34, VIZ_PLAIN, "%3d %-10.10s %8.3f %6.3f", t, s->labels[t], (double)n->scores[t],
                   (double)n->probs[t]);
        draw_vec(c, r.x + 35, y, vw, n->keys + (size_t)t * n->HS, n->HS, kmax);
        draw_vec(c, r.x + 36 + vw, y, vw, n->qk + (size_t)t * n->HS, n->HS, qkmax);
    }
}

static void draw_lens(ui_app *app, attn_state *s, viz_canvas *c, viz_rect r) {
    viz_style muted = {VIZ_COLOUR(VIZ_C_MUTED), VIZ_DEFAULT, 0};
    if (s->lens_grid) {
        if (!s->have_grid) {
            viz_put(c, r.x, r.y, r.w, "computing the logit lens of every token...", VIZ_PLAIN);
            return;
        }
        int x = r.x + viz_put(c, r.x, r.y, r.w, "logit lens, every token: the MLM head's top token and its probability at each layer",
                              (viz_style){VIZ_DEFAULT, VIZ_DEFAULT, VIZ_BOLD});
        viz_put(c, x, r.y, r.x + r.w - x, "  (g: one token's top 5)", muted);
        viz_lens_view v = {.L1 = s->grid.L1,
                           .T = s->grid.T,
                           .inputs = (const char *const *)s->labels,
                           .top = (const char *const *)s->grid_top,
                           .probs = s->grid.probs,
                           .cursor = s->hm.cur_r};
        if (s->grid.T == s->at.T) viz_lens_draw(c, (viz_rect){r.x, r.y + 1, r.w, r.h - 1}, &v);
        return;
    }
    if (!s->have_lens) {
        viz_put(c, r.x, r.y, r.w, s->busy ? "computing the logit lens..." : "the logit lens follows the cursor's token",
                VIZ_PLAIN);
        return;
    }
    const infer_lens *l = &s->lens;
    int hx = r.x + viz_printf(c, r.x, r.y, r.w, (viz_style){VIZ_DEFAULT, VIZ_DEFAULT, VIZ_BOLD},
                              "token %d %s: the MLM head's top %d read from each layer", s->lens_pos,
                              s->labels[s->lens_pos], l->k);
    viz_put(c, hx, r.y, r.x + r.w - hx, s->lens_pos != s->hm.cur_r ? "  (following the cursor...)" : "  (g: every token)",
            muted);
    for (int i = 0; i < l->L1 && 1 + i < r.h; i++) {
        int y = r.y + 1 + i;
        int x = r.x + viz_printf(c, r.x, y, r.w, VIZ_PLAIN, "%-6s", i == 0 ? "emb" : "");
        if (i > 0) viz_printf(c, r.x, y, 6, VIZ_PLAIN, "L%d", i - 1);
        for (int k = 0; k < l->k && x < r.x + r.w; k++) {
            const char *t = tok_id_to_token(app->tk, l->ids[(size_t)i * l->k + k]);
            char cell[64];
            snprintf(cell, sizeof cell, "%s %.2f", t ? t : "?", (double)l->probs[(size_t)i * l->k + k]);
            x += viz_put(c, x, y, r.x + r.w - x, cell, k == 0 ? (viz_style){VIZ_DEFAULT, VIZ_DEFAULT, VIZ_BOLD} : VIZ_PLAIN) + 2;
        }
    }
}

static void attn_draw(ui_app *app, ui_pane *p, viz_canvas *c, viz_rect r) {
    attn_state *s = p->state;
    if (ui_app_draw_mismatch(app, c, r, "attention")) return;
    if (!s->have) {
        const char *m = !app->model ? "No model loaded: `load DIR`, then `attention TEXT` (or `attn TEXT`)."
                        : s->busy   ? "computing attention..."
                                    : "`attention TEXT` (or `attn TEXT`, or plain text here) draws every layer and head.";
        viz_put(c, r.x, r.y, r.w, m, (viz_style){VIZ_DEFAULT, VIZ_DEFAULT, VIZ_BOLD});
        if (s->err[0]) viz_put(c, r.x, r.y + 1, r.w, s->err, (viz_style){VIZ_COLOUR(VIZ_C_ERROR), VIZ_DEFAULT, 0});
        return;
    }
    header(app, s, c, r);
    viz_rect body = {r.x, r.y + 2, r.w, r.h - 2};
    if (body.h < 3) return;
    build_matrix(s);
    int T = s->at.T;
    switch (s->view) {
    case VIEW_HEAT:
        s->hm.rows = s->hm.cols = T;
        s->hm.v = s->mat;
        s->hm.row_labels = (const char *const *)s->labels;
        s->hm.col_labels = (const char *const *)s->labels;
        s->hm.vmax = 0; /* shade relative to the matrix's largest probability */
        viz_heatmap_draw(c, body, &s->hm);
        break;
    case VIEW_MODEL: draw_model(s, c, body); break;
    case VIEW_BARS: {
        viz_printf(c, body.x, body.y, body.w, (viz_style){VIZ_DEFAULT, VIZ_DEFAULT, VIZ_BOLD},
                   "attention from query %d %s to every key", s->hm.cur_r, s->labels[s->hm.cur_r]);
        viz_bars b = {.n = T, .labels = (const char *const *)s->labels, .values = s->mat + (size_t)s->hm.cur_r * T,
                      .vmax = 0, .highlight = s->hm.cur_c, .percent = 1};
        int scroll = s->hm.cur_c >= body.h - 1 ? s->hm.cur_c - body.h + 2 : 0;
        viz_bars_draw(c, (viz_rect){body.x, body.y + 1, body.w, body.h - 1}, &b, scroll);
        break;
    }
    case VIEW_SUMMARY: draw_summary(s, c, body); break;
    case VIEW_NEURON: draw_neuron(s, c, body); break;
    default: draw_lens(app, s, c, body);
    }
}

/* Replaces the token under the cursor with [MASK] in the text and recomputes attention and the
 * fill-mask ranking (exBERT's "mask a token and watch"). */
static void mask_token(ui_app *app, ui_pane *p) {
    attn_state *s = p->state;
    const tok_encoding *e = s->at.enc;
    int i = s->hm.cur_r;
    char err[512] = "";
    if (e->special[i] != TOK_TEXT || e->seq[i] != 0) {
        ui_app_message(app, 1, "x masks a token of the first text, not a special token");
        return;
    }
    tok_special_ids sp = tok_specials(app->tk);
    const char *mask = sp.mask >= 0 ? tok_id_to_token(app->tk, sp.mask) : NULL;
    if (!mask) {
        ui_app_message(app, 1, "this tokenizer has no mask token");
        return;
    }
    char buf[4096];
    int b0 = e->byte_offsets[2 * i], b1 = e->byte_offsets[2 * i + 1];
    snprintf(buf, sizeof buf, "%.*s%s%s", b0, s->text, mask, s->text + b1);
    snprintf(s->text, sizeof s->text, "%s", buf);
    if (submit(app, p, 0, err, sizeof err) != BB_OK) ui_app_message(app, 1, "%s", err);
    ui_pane *fm = ui_app_pane_of(app, &ui_fillmask_pane);
    if (fm && ui_fillmask_set(app, fm, s->text, NULL, err, sizeof err) != BB_OK) ui_app_message(app, 1, "%s", err);
    ui_app_message(app, 0, "masked token %d: %s", i, s->text);
}

/* ---- keys ----------------------------------------------------------------------------------- */

/* After a key changed the view: the cursor kept inside the matrix, the neuron view and lens following. */
static int moved(ui_app *app, ui_pane *p) {
    attn_state *s = p->state;
    int T = s->at.T;
    if (s->hm.cur_r < 0) s->hm.cur_r = 0;
    if (s->hm.cur_r >= T) s->hm.cur_r = T - 1;
    if (s->hm.cur_c < 0) s->hm.cur_c = 0;
    if (s->hm.cur_c >= T) s->hm.cur_c = T - 1;
    follow(app, p);
    return UI_CHANGED;
}

static int key_cursor(ui_app *app, ui_pane *p, int key) {
    attn_state *s = p->state;
    if (!s->have) return UI_IGNORED;
    switch (key) {
    case UI_KEY(KEY_UP): case 'k': s->hm.cur_r--; break;
    case UI_KEY(KEY_DOWN): case 'j': s->hm.cur_r++; break;
    case UI_KEY(KEY_LEFT): case 'h': s->hm.cur_c--; break;
    case UI_KEY(KEY_PPAGE): s->hm.cur_r -= 10; break;
    case UI_KEY(KEY_NPAGE): s->hm.cur_r += 10; break;
    default:
        if (key == 'l' && s->view == VIEW_LENS) break; /* the lens follows the cursor by itself */
        s->hm.cur_c++;
    }
    return moved(app, p);
}

static int key_lens_grid(ui_app *app, ui_pane *p, int key) {
    attn_state *s = p->state;
    if (!s->have || s->view != VIEW_LENS) return UI_IGNORED;
    s->lens_grid = !s->lens_grid;
    return moved(app, p);
}

static int key_layer_head(ui_app *app, ui_pane *p, int key) {
    attn_state *s = p->state;
    if (!s->have) return UI_IGNORED;
    int L = s->at.L, NH = s->at.NH;
    if (key == '[') s->layer = (s->layer + L - 1) % L;
    else if (key == ']') s->layer = (s->layer + 1) % L;
    else if (key == ',' || key == '<') s->head = (s->head + NH - 1) % NH;
    else s->head = (s->head + 1) % NH;
    return moved(app, p);
}

/* m mode, v view, n the neuron view, f pair filter, c [CLS]/[SEP] */
static int key_view(ui_app *app, ui_pane *p, int key) {
    attn_state *s = p->state;
    if (!s->have) return UI_IGNORED;
    switch (key) {
    case 'm': s->mode = (s->mode + 1) % MODE_COUNT; break;
    case 'v': s->view = (s->view + 1) % VIEW_COUNT; break;
    case 'n': s->view = VIEW_NEURON; break;
    case 'f': s->filter = (s->filter + 1) % 5; break;
    default: s->hide_special = !s->hide_special;
    }
    return moved(app, p);
}

/* cells 2 wide -> 1 wide -> the whole matrix in view (blocks averaged) -> 2 wide */
static int key_zoom(ui_app *app, ui_pane *p, int key) {
    attn_state *s = p->state;
    if (!s->have) return UI_IGNORED;
    if (s->hm.fit) s->hm.fit = 0, s->hm.cellw = 2;
    else if (s->hm.cellw == 2) s->hm.cellw = 1;
    else s->hm.fit = 1;
    return moved(app, p);
}

static int key_toggle(ui_app *app, ui_pane *p, int key) {
    attn_state *s = p->state;
    if (!s->have) return UI_IGNORED;
    switch (key) {
    case 't':
        if (s->head < 64) s->off[s->head] = !s->off[s->head];
        s->mode = MODE_MEAN;
        break;
    case 'o': ui_attn_solo(s->off, nflags(s->at.NH), s->head); s->mode = MODE_MEAN; break;
    case 'T': if (s->layer < 64) s->loff[s->layer] = !s->loff[s->layer]; break;
    default: ui_attn_solo(s->loff, nflags(s->at.L), s->layer);
    }
    return moved(app, p);
}

static int key_mask(ui_app *app, ui_pane *p, int key) {
    attn_state *s = p->state;
    if (!s->have) return UI_IGNORED;
    mask_token(app, p);
    return moved(app, p);
}

static const ui_key_binding attn_keys[] = {
    {UI_KEY(KEY_UP), key_cursor, "query up"},
    {'k', key_cursor, NULL},
    {UI_KEY(KEY_DOWN), key_cursor, "query down"},
    {'j', key_cursor, NULL},
    {UI_KEY(KEY_LEFT), key_cursor, "key left"},
    {'h', key_cursor, NULL},
    {UI_KEY(KEY_RIGHT), key_cursor, "key right"},
    {'l', key_cursor, NULL},
    {UI_KEY(KEY_PPAGE), key_cursor, "10 queries up"},
    {UI_KEY(KEY_NPAGE), key_cursor, "10 down"},
    {'[', key_layer_head, "layer down"},
    {']', key_layer_head, "layer up"},
    {',', key_layer_head, "head down"},
    {'<', key_layer_head, NULL},
    {'.', key_layer_head, "head up"},
    {'>', key_layer_head, NULL},
    {'m', key_view, "mode (head, mean of heads, rollout)"},
    {'v', key_view, "view (heatmap, model, bars, summary, neuron, lens)"},
    {'n', key_view, "neuron view"},
    {'g', key_lens_grid, "every token in the logit lens"},
    {'f', key_view, "pair filter"},
    {'c', key_view, "hide [CLS]/[SEP]"},
    {'z', key_zoom, "cell width / whole matrix"},
    {'t', key_toggle, "head off"},
    {'o', key_toggle, "solo head"},
    {'T', key_toggle, "layer off"},
    {'O', key_toggle, "solo layer"},
    {'x', key_mask, "mask the query token (attention and fill-mask again)"},
    {0, NULL, NULL},
};

/* ---- commands ------------------------------------------------------------------------------- */

static int cmd_attention(ui_app *app, const char *args, char *err, size_t errlen) {
    if (ui_cmd_need_text(args, "attention", err, errlen)) return BB_EINVAL;
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", args);
    char *pair = ui_split_pair(buf);
    ui_pane *p = ui_app_pane_of(app, &ui_attention_pane);
    ui_app_show(app, p);
    return ui_attention_set(app, p, buf, pair, err, errlen);
}

static const ui_cmd attn_cmds[] = {
    {.name = "attention", .alias = "attn", .args = "TEXT [||| PAIR]",
     .help = "attention heatmaps of every layer and head", .fn = cmd_attention},
    {0},
};

static cJSON *attn_save(const ui_pane *p) {
    const attn_state *s = p->state;
    if (!s->has_text) return NULL;
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddStringToObject(o, "text", s->text)) {
        cJSON_Delete(o);
        return NULL;
    }
    if (s->has_pair) cJSON_AddStringToObject(o, "pair", s->pair);
    cJSON_AddNumberToObject(o, "layer", s->layer);
    cJSON_AddNumberToObject(o, "head", s->head);
    cJSON_AddStringToObject(o, "mode", mode_names[s->mode]);
    cJSON_AddStringToObject(o, "view", view_names[s->view]);
    cJSON_AddStringToObject(o, "filter", filter_names[s->filter]);
    cJSON_AddBoolToObject(o, "hide_special", s->hide_special);
    cJSON_AddNumberToObject(o, "query", s->hm.cur_r);
    cJSON_AddNumberToObject(o, "key", s->hm.cur_c);
    cJSON_AddBoolToObject(o, "lens_grid", s->lens_grid);
    return o;
}

/* The index of name in names (n), or dflt. */
static int name_index(const cJSON *v, const char *const *names, int n, int dflt) {
    for (int i = 0; cJSON_IsString(v) && i < n; i++)
        if (strcmp(v->valuestring, names[i]) == 0) return i;
    return dflt;
}

/* A whole number of o in [0, hi], else dflt (checked before the conversion). */
static int small_num(const cJSON *o, const char *k, int hi, int dflt) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble <= hi ? (int)v->valuedouble : dflt;
}

static void attn_restore(ui_app *app, ui_pane *p, const cJSON *o) {
    attn_state *s = p->state;
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "text"), *b = cJSON_GetObjectItemCaseSensitive(o, "pair");
    if (!cJSON_IsString(t)) return;
    snprintf(s->text, sizeof s->text, "%s", t->valuestring);
    snprintf(s->pair, sizeof s->pair, "%s", cJSON_IsString(b) ? b->valuestring : "");
    s->has_pair = cJSON_IsString(b);
    s->has_text = 1;
    /* layer, head and the cursor are checked against the model when the attention arrives */
    s->layer = small_num(o, "layer", 4096, 0);
    s->head = small_num(o, "head", 4096, 0);
    s->hm.cur_r = small_num(o, "query", 1 << 20, 0);
    s->hm.cur_c = small_num(o, "key", 1 << 20, 0);
    s->mode = name_index(cJSON_GetObjectItemCaseSensitive(o, "mode"), mode_names, MODE_COUNT, MODE_HEAD);
    s->view = name_index(cJSON_GetObjectItemCaseSensitive(o, "view"), view_names, VIEW_COUNT, VIEW_HEAT);
    s->filter = name_index(cJSON_GetObjectItemCaseSensitive(o, "filter"), filter_names, 5, 0);
    s->hide_special = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "hide_special"));
    s->lens_grid = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "lens_grid"));
    attn_reload(app, p);
}

static void attn_free(ui_pane *p) {
    attn_state *s = p->state;
    if (!s) return;
    drop_aux(s);
    free_labels(s);
    if (s->have) infer_attn_free(&s->at);
    free(s->mat);
    free(s->roll);
    free(s);
    p->state = NULL;
}

/* export: every row and column of the matrix (2-column cells: the 17 columns of labels before them,
 * the key labels under them), every row of the bars, the summary, the neuron view and the lens grid. */
static void attn_extent(ui_app *app, ui_pane *p, int *w, int *h) {
    attn_state *s = p->state;
    if (!s->have) return;
    int T = s->at.T, hs = s->nv.HS > 0 ? s->nv.HS : 64;
    int cells = 17 + T * (s->hm.fit ? 2 : s->hm.cellw);
    int grid_w = 5 + 8 * T; /* viz_lens: the layer names, then 8 columns a token */
    *w = cells > 37 + 2 * hs ? cells : 37 + 2 * hs;
    if (*w < grid_w) *w = grid_w;
    if (*w < 140) *w = 140;
    *h = T + VIZ_HEAT_COL_LABEL;
    if (*h < s->at.L * s->at.NH) *h = s->at.L * s->at.NH;
    if (*h < 2 * (s->at.L + 1) + 2) *h = 2 * (s->at.L + 1) + 2;
    *h += 4;
    s->hm.row0 = s->hm.col0 = 0;
}

static int attn_init(ui_pane *p) {
    attn_state *s = calloc(1, sizeof *s);
    if (!s) return BB_ENOMEM;
    s->hm = (viz_heatmap){.cur_r = 0, .cur_c = 0, .cellw = 2}, s->roll_layer = -1;
    p->state = s;
    return BB_OK;
}

const ui_pane_class ui_attention_pane = {
    .name = "attention",
    .alias = "attn",
    .help = "`attention TEXT [||| PAIR]`: layers and heads from 0 (layers off hidden); the neuron view and\n"
            "             the logit lens follow the cursor",
    .keys = attn_keys,
    .cmds = attn_cmds,
    .init = attn_init,
    .free = attn_free,
    .draw = attn_draw,
    .text = attn_text,
    .extent = attn_extent,
    .reload = attn_reload,
    .save = attn_save,
    .restore = attn_restore,
};
