/* The tokens pane: the tokenizer's stages (normalized text, pre-tokenizer words), the tokens as
 * chips, what truncation would cut, and a table of index, token, id, offsets, word and type id.
 * Re-tokenizing is synchronous: it takes microseconds, and the live view follows every keystroke.
 *
 * Truncation is shown, not applied: the tokens past the max length (the model's effective limit,
 * infer_max_length, unless the user set one) are greyed after a scissors mark and flagged "cut".
 * The max length, the side that is cut and the tokenizer's case handling are set here (keys + - 0 s
 * c, commands `truncate` and `case`) and saved in the session. */
#define NCURSES_WIDECHAR 1
#include <cjson/cJSON.h>
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui_cmd.h"
#include "ui_pane_tokens.h"

typedef struct {
    char text[4096], pair[4096];
    int has_pair, has_text;
    tok_encoding *enc; /* with specials, no truncation: truncation is reported, not applied */
    tok_stages st;
    int have_stages;
    int *starts, *ends; /* (n) code-point offsets split out of enc->offsets */
    const char **disp;  /* (n) byte-level BPE chips as whole graphemes (viz_bytelevel_display) */
    char *disp_buf;     /* their storage; NULL for WordPiece */
    int cap;
    char err[256];
    int sel;         /* selected table row */
    int table0;      /* first table row shown */
    int text_chars;  /* code points of text A (and B) */
    int full;        /* the next draw is an export: nothing clipped (tokens_extent sets it) */
    /* truncation as the user set it: max length (0: the model's effective limit), side */
    int max_len;
    tok_side side;
    unsigned char *cut; /* (n) 1: past the max length */
    tok_encoding *trunc; /* the text encoded with truncation on `side` and on the other side */
    int overflow[2][2];  /* [side][segment] tokens cut */
    int dropped[2];      /* [side] characters of text A cut */
    /* case: TOK_CASE_AUTO keeps the tokenizer's own; the tokenizer seen last and its own setting */
    int case_mode;
    const tok_tokenizer *tk_seen;
    int tk_lower;
} tokens_state;

static void free_stages(tokens_state *s) {
    if (s->have_stages) tok_stages_free(&s->st);
    s->have_stages = 0;
}

static int count_cps(const char *s) {
    int n = 0;
    for (; *s; s++) n += ((unsigned char)*s & 0xc0) != 0x80;
    return n;
}

/* The max length the pane cuts at: the user's, else the model's effective one (the tokenizer's alone
 * without a model). */
static int max_of(const ui_app *app, const tokens_state *s) {
    return s->max_len > 0 ? s->max_len : infer_max_length(app->model ? &app->model->cfg : NULL, app->tk);
}

/* Encodes with truncation on each side and marks, in the untruncated encoding, the tokens each
 * segment loses: its last ones when cutting on the right, its first ones on the left. */
static int mark_cut(ui_app *app, tokens_state *s, char *err, size_t errlen) {
    const tok_encoding *e = s->enc;
    int n = e->n;
    memset(s->cut, 0, (size_t)n);
    memset(s->overflow, 0, sizeof s->overflow);
    s->dropped[0] = s->dropped[1] = 0;
    int max = max_of(app, s);
    if (n <= max) return BB_OK;
    if (!s->trunc && !(s->trunc = tok_encoding_new())) return bb_err(err, errlen, BB_ENOMEM, "tokens: out of memory");
    for (int side = 0; side < 2; side++) {
        tok_options o = tok_options_default();
        o.truncation = TOK_TRUNC_LONGEST_FIRST, o.max_length = max, o.truncation_side = (tok_side)side;
        int st = tok_encode(app->tk, s->text, -1, s->has_pair ? s->pair : NULL, -1, &o, s->trunc, s->err, sizeof s->err);
        if (st != BB_OK) return bb_err(err, errlen, st, "%s", s->err);
        s->overflow[side][0] = s->trunc->overflow_a, s->overflow[side][1] = s->trunc->overflow_b;
        /* characters of text A lost: after the last kept A token (right) or before the first (left) */
        int kept_end = 0, kept_start = -1;
        for (int i = 0; i < s->trunc->n; i++)
            if (s->trunc->seq[i] == 0) {
                if (kept_start < 0) kept_start = s->trunc->offsets[2 * i];
                kept_end = s->trunc->offsets[2 * i + 1];
            }
        s->dropped[side] = side == TOK_SIDE_RIGHT ? count_cps(s->text) - kept_end : kept_start < 0 ? 0 : kept_start;
    }
    for (int seg = 0; seg < 2; seg++) {
        int total = 0, k = 0, cut = s->overflow[s->side][seg];
        for (int i = 0; i < n; i++) total += e->seq[i] == seg;
        for (int i = 0; i < n; i++) {
            if (e->seq[i] != seg) continue;
            s->cut[i] = s->side == TOK_SIDE_RIGHT ? k >= total - cut : k < cut;
            k++;
        }
    }
    return BB_OK;
}

static int is_spm(const tok_tokenizer *tk) {
    return tok_kind(tk) == TOK_MODEL_UNIGRAM || tok_kind(tk) == TOK_MODEL_SPM_BPE;
}

static int retokenize(ui_app *app, tokens_state *s, char *err, size_t errlen) {
    s->err[0] = 0;
    free_stages(s);
    if (!app->tk || !s->has_text) return BB_OK;
    if (!s->enc && !(s->enc = tok_encoding_new())) return bb_err(err, errlen, BB_ENOMEM, "tokens: out of memory");
    tok_options o = tok_options_default();
    int st = tok_encode(app->tk, s->text, -1, s->has_pair ? s->pair : NULL, -1, &o, s->enc, s->err, sizeof s->err);
    if (st != BB_OK) {
        s->enc->n = 0;
        return bb_err(err, errlen, st, "%s", s->err);
    }
    if (tok_inspect(app->tk, s->text, -1, &s->st, s->err, sizeof s->err) == BB_OK) s->have_stages = 1;
    int n = s->enc->n;
    if (n > s->cap) {
        int *a = realloc(s->starts, sizeof(int) * (size_t)n), *b = a ? realloc(s->ends, sizeof(int) * (size_t)n) : NULL;
        if (a) s->starts = a;
        if (b) s->ends = b;
        const char **d = b ? realloc(s->disp, sizeof(char *) * (size_t)n) : NULL;
        if (d) s->disp = d;
        unsigned char *cu = d ? realloc(s->cut, (size_t)n) : NULL;
        if (!cu) return bb_err(err, errlen, BB_ENOMEM, "tokens: out of memory");
        s->cut = cu;
        s->cap = n;
    }
    for (int i = 0; i < n; i++) {
        s->starts[i] = s->enc->offsets[2 * i];
        s->ends[i] = s->enc->offsets[2 * i + 1];
    }
    free(s->disp_buf);
    s->disp_buf = NULL;
    if (tok_kind(app->tk) == TOK_MODEL_BPE && n > 0 &&
        !(s->disp_buf = viz_bytelevel_display(s->enc->tokens, s->enc->special, n, s->disp)))
        return bb_err(err, errlen, BB_ENOMEM, "tokens: out of memory");
    if (is_spm(app->tk) && n > 0 && !(s->disp_buf = viz_spm_display(s->enc->tokens, s->enc->special, n, s->disp)))
        return bb_err(err, errlen, BB_ENOMEM, "tokens: out of memory");
    s->text_chars = count_cps(s->text) + (s->has_pair ? count_cps(s->pair) : 0);
    if (s->sel >= n) s->sel = n ? n - 1 : 0;
    return mark_cut(app, s, err, errlen);
}

int ui_tokens_set(ui_app *app, ui_pane *p, const char *text, const char *pair, char *err, size_t errlen) {
    tokens_state *s = p->state;
    snprintf(s->text, sizeof s->text, "%s", text);
    snprintf(s->pair, sizeof s->pair, "%s", pair ? pair : "");
    s->has_pair = pair != NULL;
    s->has_text = 1;
    s->table0 = 0;
    s->sel = 0;
    if (!app->tk) return bb_err(err, errlen, BB_EINVAL, "tokenize: no tokenizer loaded (`load DIR` or `vocab FILE`)");
    return retokenize(app, s, err, errlen);
}

static int tokens_text(ui_app *app, ui_pane *p, const char *text, char *err, size_t errlen) {
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", text);
    char *pair = ui_split_pair(buf);
    return ui_tokens_set(app, p, buf, pair, err, errlen);
}

/* Puts the pane's case setting on the tokenizer; a tokenizer seen for the first time keeps its own
 * setting in tk_lower, so that `case auto` can give it back. */
static void apply_case(ui_app *app, tokens_state *s) {
    if (!app->tk) return;
    if (app->tk != s->tk_seen) s->tk_seen = app->tk, s->tk_lower = tok_lowercase(app->tk);
    int lower = s->case_mode == TOK_CASE_AUTO ? s->tk_lower : s->case_mode == TOK_CASE_LOWER;
    /* untouched unless it changes: setting it resets accent stripping to follow lowercasing */
    if (lower != tok_lowercase(app->tk)) tok_set_lowercase(app->tk, lower);
}

static void tokens_reload(ui_app *app, ui_pane *p) {
    apply_case(app, p->state);
    retokenize(app, p->state, NULL, 0);
}

static const char *side_name(tok_side side) { return side == TOK_SIDE_LEFT ? "left" : "right"; }
static const char *case_name(int mode) {
    return mode == TOK_CASE_CASED ? "cased" : mode == TOK_CASE_LOWER ? "uncased" : "auto";
}

/* After a setting changed: re-tokenize here, and for case every pane (the tokenizer is shared). */
static void settings_changed(ui_app *app, ui_pane *p, int all_panes) {
    tokens_state *s = p->state;
    if (all_panes) {
        apply_case(app, s);
        for (int i = 0; i < app->n_panes; i++)
            if (&app->panes[i] != p && app->panes[i].cls->reload) app->panes[i].cls->reload(app, &app->panes[i]);
    }
    retokenize(app, s, NULL, 0);
    int model = app->tk ? infer_max_length(app->model ? &app->model->cfg : NULL, app->tk) : 0;
    ui_app_message(app, 0, "tokens: max length %d%s, cut on the %s, case %s%s", app->tk ? max_of(app, s) : s->max_len,
                   s->max_len > 0 ? " (set)" : " (the model's)", side_name(s->side), case_name(s->case_mode),
                   s->max_len > model && model > 0 ? "; the model takes fewer" : "");
}

int ui_tokens_truncate_cmd(ui_app *app, ui_pane *p, const char *args, char *err, size_t errlen) {
    tokens_state *s = p->state;
    char w[2][32] = {"", ""};
    if (sscanf(args, "%31s %31s", w[0], w[1]) < 1)
        return bb_err(err, errlen, BB_EINVAL, "truncate: usage `truncate [N|model] [left|right]` (now %d, %s)",
                      app->tk ? max_of(app, s) : s->max_len, side_name(s->side));
    int max = s->max_len;
    tok_side side = s->side;
    for (int i = 0; i < 2 && w[i][0]; i++) {
        char *end;
        long v = strtol(w[i], &end, 10);
        if (strcmp(w[i], "left") == 0 || strcmp(w[i], "right") == 0) side = w[i][0] == 'l' ? TOK_SIDE_LEFT : TOK_SIDE_RIGHT;
        else if (strcmp(w[i], "model") == 0 || strcmp(w[i], "auto") == 0) max = 0;
        else if (!*end && v >= 4 && v <= 100000) max = (int)v;
        else return bb_err(err, errlen, BB_EINVAL, "truncate: '%s' is not a length (4..100000), model, left or right", w[i]);
    }
    s->max_len = max, s->side = side;
    settings_changed(app, p, 0);
    return BB_OK;
}

int ui_tokens_case_cmd(ui_app *app, ui_pane *p, const char *args, char *err, size_t errlen) {
    tokens_state *s = p->state;
    char w[32] = "";
    sscanf(args, "%31s", w);
    if (strcmp(w, "auto") == 0) s->case_mode = TOK_CASE_AUTO;
    else if (strcmp(w, "cased") == 0) s->case_mode = TOK_CASE_CASED;
    else if (strcmp(w, "uncased") == 0 || strcmp(w, "lower") == 0) s->case_mode = TOK_CASE_LOWER;
    else return bb_err(err, errlen, BB_EINVAL, "case: usage `case auto|cased|uncased` (now %s)", case_name(s->case_mode));
    if (app->tk && tok_kind(app->tk) != TOK_MODEL_WORDPIECE && s->case_mode != TOK_CASE_AUTO)
        ui_app_message(app, 1, "case: this tokenizer has no lowercasing step to turn on or off");
    settings_changed(app, p, 1);
    return BB_OK;
}

cJSON *ui_tokens_settings_json(const ui_pane *p) {
    const tokens_state *s = p->state;
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    if (s->max_len > 0) cJSON_AddNumberToObject(o, "max_length", s->max_len);
    else cJSON_AddStringToObject(o, "max_length", "model");
    cJSON_AddStringToObject(o, "truncation_side", side_name(s->side));
    cJSON_AddStringToObject(o, "case", case_name(s->case_mode));
    return o;
}

void ui_tokens_settings_apply(ui_app *app, ui_pane *p, const cJSON *o) {
    tokens_state *s = p->state;
    if (!cJSON_IsObject(o)) return;
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, "max_length");
    if (cJSON_IsNumber(m) && m->valuedouble >= 4 && m->valuedouble <= 100000) s->max_len = (int)m->valuedouble;
    else if (cJSON_IsString(m) && strcmp(m->valuestring, "model") == 0) s->max_len = 0;
    const cJSON *side = cJSON_GetObjectItemCaseSensitive(o, "truncation_side");
    if (cJSON_IsString(side)) s->side = strcmp(side->valuestring, "left") == 0 ? TOK_SIDE_LEFT : TOK_SIDE_RIGHT;
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(o, "case");
    for (int mode = TOK_CASE_AUTO; cJSON_IsString(c) && mode <= TOK_CASE_LOWER; mode++)
        if (strcmp(c->valuestring, case_name(mode)) == 0) s->case_mode = mode;
    apply_case(app, s);
    retokenize(app, s, NULL, 0);
}

static cJSON *tokens_save(const ui_pane *p) {
    const tokens_state *s = p->state;
    if (!s->has_text) return NULL;
    cJSON *o = cJSON_CreateObject();
    if (o && !cJSON_AddStringToObject(o, "text", s->text)) cJSON_Delete(o), o = NULL;
    if (o && s->has_pair) cJSON_AddStringToObject(o, "pair", s->pair);
    return o;
}

static void tokens_restore(ui_app *app, ui_pane *p, const cJSON *o) {
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "text"), *b = cJSON_GetObjectItemCaseSensitive(o, "pair");
    if (!cJSON_IsString(t)) return;
    tokens_state *s = p->state;
    if (app->tk) {
        ui_tokens_set(app, p, t->valuestring, cJSON_IsString(b) ? b->valuestring : NULL, NULL, 0);
        return;
    }
    snprintf(s->text, sizeof s->text, "%s", t->valuestring);
    snprintf(s->pair, sizeof s->pair, "%s", cJSON_IsString(b) ? b->valuestring : "");
    s->has_pair = cJSON_IsString(b);
    s->has_text = 1;
}

static viz_tokens view_of(const ui_app *app, const tokens_state *s) {
    const tok_encoding *e = s->enc;
    tok_special_ids sp = tok_specials(app->tk);
    return (viz_tokens){.n = e->n, .tokens = e->tokens, .ids = e->ids, .starts = s->starts, .ends = s->ends,
                        .word_ids = e->words, .type_ids = e->type_ids, .special = e->special, .unk_id = sp.unk,
                        .cont_prefix = tok_kind(app->tk) == TOK_MODEL_WORDPIECE ? "##" : NULL,
                        .display = s->disp_buf ? s->disp : NULL, .cut = s->cut};
}

/* "max length 128 (the model's), right: nothing cut", or how many tokens and characters the chosen side
 * cuts and what the other side would drop. */
static void truncation_line(const ui_app *app, const tokens_state *s, char *out, size_t n) {
    int max = max_of(app, s), side = s->side, other = !side;
    char whose[48];
    int model = infer_max_length(app->model ? &app->model->cfg : NULL, app->tk);
    if (s->max_len > 0) snprintf(whose, sizeof whose, " (set; model %d)", model);
    else snprintf(whose, sizeof whose, "%s", app->model ? " (model)" : " (tokenizer)");
    if (s->enc->n <= max) {
        snprintf(out, n, "max length %d%s: nothing cut", max, whose);
        return;
    }
    snprintf(out, n, "max length %d%s: %d tokens cut on the %s, %d chars (%s: %d)", max, whose,
             s->overflow[side][0] + s->overflow[side][1], side_name((tok_side)side), s->dropped[side],
             side_name((tok_side)other), s->dropped[other]);
}

/* Text wrapped at r.w columns over up to r.h lines; returns the lines used (at least 1). */
static int put_wrapped(viz_canvas *c, viz_rect r, const char *text) {
    int x = 0, y = 0;
    for (const char *q = text; *q && y < r.h;) {
        uint32_t cp;
        q += viz_utf8_next(q, (long)strlen(q), &cp);
        int w = viz_cp_width(cp);
        if (x + w > r.w) x = 0, y++;
        if (y < r.h) x += viz_putc(c, r.x + x, r.y + y, cp, VIZ_PLAIN);
    }
    return y + 1;
}

/* The chip lines to skip so that the first truncation mark shows in h lines of width w (0 when there
 * is no cut or everything fits): the chips laid out once in a scratch canvas to find the mark's line. */
static int cut_scroll(const viz_canvas *c, int w, int h, const viz_tokens *t, int flags) {
    int first = -1;
    for (int i = 0; i < t->n && first < 0; i++)
        if (t->cut[i]) first = i;
    if (first < 0 || w < 1 || h < 1) return 0;
    viz_canvas sc;
    if (viz_canvas_init(&sc, w, 1, NULL, 0) != BB_OK) return 0;
    sc.ascii = c->ascii;
    int need = viz_token_chips(&sc, (viz_rect){0, 0, w, 1}, t, flags, 0), line = 0;
    if (need > h && viz_canvas_resize(&sc, w, need, NULL, 0) == BB_OK) {
        viz_token_chips(&sc, (viz_rect){0, 0, w, need}, t, flags, 0);
        uint32_t mark = c->ascii ? '%' : 0x2702;
        for (int k = 0; k < need * w; k++)
            if (viz_cell_at(&sc, k % w, k / w)->cp == mark) {
                line = k / w;
                break;
            }
    }
    viz_canvas_free(&sc);
    if (need <= h) return 0;
    int scroll = line - h / 2;
    if (scroll > need - h) scroll = need - h;
    return scroll > 0 ? scroll : 0;
}

/* export: the whole pane, from the top, with the normalized text, words and chips unclipped */
static void tokens_extent(ui_app *app, ui_pane *p, int *w, int *h) {
    tokens_state *s = p->state;
    if (!s->enc || !s->has_text) return;
    int chars = s->text_chars * 2 + 16;
    for (int i = 0; i < s->enc->n; i++) chars += (int)strlen(s->enc->tokens[i]) + 2;
    *w = 120;
    *h = 8 + 3 * (chars / (*w - 11 - 24) + 2) + s->enc->n;
    s->full = 1;
    s->table0 = 0;
}

/* Why there is nothing to draw (no tokenizer, no text, an error), drawn in r; 0 when there is something. */
static int draw_empty(ui_app *app, tokens_state *s, viz_canvas *c, viz_rect r) {
    viz_style bold = {VIZ_DEFAULT, VIZ_DEFAULT, VIZ_BOLD};
    if (!app->tk) {
        viz_put(c, r.x, r.y, r.w, "No tokenizer loaded.", bold);
        viz_put(c, r.x, r.y + 1, r.w, "`load DIR` loads a model directory (tokenizer.json or vocab.txt);", VIZ_PLAIN);
        viz_put(c, r.x, r.y + 2, r.w, "`vocab FILE` loads a vocab.txt or tokenizer.json alone.", VIZ_PLAIN);
        return 1;
    }
    if (!s->has_text || !s->enc) {
        viz_put(c, r.x, r.y, r.w, "Type text in the input line: the tokens update as you type.", bold);
        viz_put(c, r.x, r.y + 1, r.w, "`tokenize TEXT ||| PAIR` shows a sentence pair with segments A/B.", VIZ_PLAIN);
        return 1;
    }
    if (s->err[0] && s->enc->n == 0) {
        viz_put(c, r.x, r.y, r.w, s->err, (viz_style){VIZ_COLOUR(VIZ_C_ERROR), VIZ_DEFAULT, VIZ_BOLD});
        return 1;
    }
    return 0;
}

/* The counts (tokens, specials, [UNK], characters) and the truncation note after them, or on the next
 * line when it does not fit; returns the row after them. */
static int draw_counts(ui_app *app, const tokens_state *s, const viz_tokens *t, viz_canvas *c, viz_rect r) {
    int nspecial = 0, nunk = 0;
    for (int i = 0; i < t->n; i++) {
        nspecial += t->special[i] != TOK_TEXT;
        nunk += t->ids[i] == t->unk_id;
    }
    char trunc[200];
    truncation_line(app, s, trunc, sizeof trunc);
    int y = r.y;
    int x = r.x + viz_printf(c, r.x, y, r.w, (viz_style){VIZ_DEFAULT, VIZ_DEFAULT, VIZ_BOLD}, "%d tokens", t->n);
    x += viz_printf(c, x, y, r.x + r.w - x, VIZ_PLAIN, " (%d special%s%d [UNK]), %d chars", nspecial,
                    nunk ? ", " : ", ", nunk, s->text_chars);
    int tw = viz_text_width(trunc, -1);
    if (x + 3 + tw > r.x + r.w && y + 1 < r.y + r.h) x = r.x, y++;
    else x += viz_put(c, x, y, r.x + r.w - x, c->ascii ? " - " : " \xc2\xb7 ", VIZ_PLAIN);
    viz_put(c, x, y, r.x + r.w - x, trunc,
            t->n > max_of(app, s) ? (viz_style){VIZ_COLOUR(VIZ_C_WARN), VIZ_DEFAULT, VIZ_BOLD}
                                  : (viz_style){VIZ_DEFAULT, VIZ_DEFAULT, VIZ_DIM});
    return y + 1;
}

enum { LABEL_W = 11 }; /* the stage names' column */

/* One labelled stage line (wrapped over the rows left when the pane is exported); returns the next row. */
static int stage_line(viz_canvas *c, viz_rect r, int y, const char *label, const char *text, int full) {
    viz_put(c, r.x, y, LABEL_W, label, (viz_style){VIZ_DEFAULT, VIZ_DEFAULT, VIZ_DIM});
    if (full) return y + put_wrapped(c, (viz_rect){r.x + LABEL_W, y, r.w - LABEL_W, r.y + r.h - y}, text);
    viz_put(c, r.x + LABEL_W, y, r.w - LABEL_W, text, VIZ_PLAIN);
    return y + 1;
}

/* The tokenizer's stages from row y: (SentencePiece: the text and the charsmap's output,) the normalized
 * text, the pre-tokenizer's words as chips, and (Unigram) the pieces with their scores; returns the next row. */
static int draw_stages(ui_app *app, const tokens_state *s, int flags, viz_canvas *c, viz_rect r, int y) {
    char vis[4096];
    if (s->st.mapped && y + 2 < r.y + r.h) {
        viz_visible_ws(vis, sizeof vis, s->text, flags, c->ascii);
        y = stage_line(c, r, y, "text", vis, 0);
        viz_visible_ws(vis, sizeof vis, s->st.mapped, flags, c->ascii);
        y = stage_line(c, r, y, s->st.rule, vis, 0);
    }
    viz_visible_ws(vis, sizeof vis, s->st.normalized, flags, c->ascii);
    y = stage_line(c, r, y, s->st.mapped ? "escaped" : "normalized", vis, s->full);
    const char *words[512];
    int nw = s->st.n_words < 512 ? s->st.n_words : 512;
    for (int i = 0; i < nw; i++) words[i] = s->st.words[i].text;
    /* byte-level words ("ĠnaÃ¯ve") shown as the text they stand for */
    char *wbuf = s->disp_buf && !is_spm(app->tk) ? viz_bytelevel_display(words, NULL, nw, words) : NULL;
    int k = 0;
    for (int i = 0; i < nw; i++)
        if (words[i]) words[k++] = words[i];
    nw = k;
    viz_put(c, r.x, y, LABEL_W, "words", (viz_style){VIZ_DEFAULT, VIZ_DEFAULT, VIZ_DIM});
    int wh = s->full ? r.y + r.h - y : 2;
    int lines = viz_word_chips(c, (viz_rect){r.x + LABEL_W, y, r.w - LABEL_W, wh}, words, nw, flags);
    free(wbuf);
    y += lines < 1 ? 1 : lines > wh ? wh : lines;
    if (s->st.scores && y < r.y + r.h) {
        /* the pieces the model chose, each with its score (log probability for Unigram) */
        char line[4096];
        size_t o = 0;
        for (int i = 0; i < s->st.n_pieces && o + 64 < sizeof line; i++)
            o += (size_t)snprintf(line + o, sizeof line - o, "%s%s %.2f", i ? "  " : "", s->st.pieces[i].token,
                                  s->st.scores[i]);
        y = stage_line(c, r, y, "scores", line, s->full);
    }
    return y;
}

/* The tokens as chips from row y (scrolled to the first cut when it would be out of view); returns the
 * row after them and a blank one. */
static int draw_chips(const tokens_state *s, const viz_tokens *t, int flags, viz_canvas *c, viz_rect r, int y) {
    viz_style dim = {VIZ_DEFAULT, VIZ_DEFAULT, VIZ_DIM};
    int chip_h = s->full ? r.y + r.h - y : (r.h - (y - r.y)) / 3;
    if (chip_h < 2) chip_h = 2;
    viz_put(c, r.x, y, LABEL_W, "tokens", dim);
    int scroll = cut_scroll(c, r.w - LABEL_W, chip_h, t, flags);
    int need = viz_token_chips(c, (viz_rect){r.x + LABEL_W, y, r.w - LABEL_W, chip_h}, t, flags, scroll);
    if (scroll > 0 && chip_h > 1) viz_put(c, r.x, y + 1, LABEL_W, c->ascii ? "(more)" : "(\xe2\x80\xa6more)", dim);
    if (need > scroll + chip_h) viz_put(c, r.x, y + chip_h - 1, LABEL_W, c->ascii ? "(more)" : "(more\xe2\x80\xa6)", dim);
    need -= scroll;
    return y + (need < chip_h ? need : chip_h) + 1;
}

static void tokens_draw(ui_app *app, ui_pane *p, viz_canvas *c, viz_rect r) {
    tokens_state *s = p->state;
    if (draw_empty(app, s, c, r)) return;
    int flags = app->show_ws ? VIZ_TOK_WHITESPACE : 0;
    viz_tokens t = view_of(app, s);
    int y = draw_counts(app, s, &t, c, r);
    if (s->have_stages && y < r.y + r.h) y = draw_stages(app, s, flags, c, r, y);
    y = draw_chips(s, &t, flags, c, r, y);
    s->full = 0;
    int th = r.y + r.h - y;
    if (th < 2) return;
    /* keep the selected row visible */
    if (s->sel < s->table0) s->table0 = s->sel;
    if (s->sel >= s->table0 + th - 1) s->table0 = s->sel - (th - 2);
    if (s->table0 < 0) s->table0 = 0;
    viz_token_table(c, (viz_rect){r.x, y, r.w, th}, &t, flags, s->table0, app->pane_mode ? s->sel : -1);
}

/* ---- keys ----------------------------------------------------------------------------------- */

static int key_select(ui_app *app, ui_pane *p, int key) {
    tokens_state *s = p->state;
    int n = s->enc ? s->enc->n : 0;
    switch (key) {
    case UI_KEY(KEY_UP): case 'k': s->sel--; break;
    case UI_KEY(KEY_DOWN): case 'j': s->sel++; break;
    case UI_KEY(KEY_PPAGE): s->sel -= 10; break;
    case UI_KEY(KEY_NPAGE): s->sel += 10; break;
    case UI_KEY(KEY_HOME): case 'g': s->sel = 0; break;
    default: s->sel = n - 1;
    }
    if (s->sel >= n) s->sel = n - 1;
    if (s->sel < 0) s->sel = 0;
    return UI_CHANGED;
}

static int key_ws(ui_app *app, ui_pane *p, int key) {
    app->show_ws = !app->show_ws;
    return UI_CHANGED;
}

/* Lengths move in steps of 16 from the current one; 0 gives the model's back. */
static int key_max_len(ui_app *app, ui_pane *p, int key) {
    tokens_state *s = p->state;
    int cur = app->tk ? max_of(app, s) : 128;
    if (key == '+' || key == '=') s->max_len = cur + 16;
    else if (key == '-') s->max_len = cur - 16 >= 4 ? cur - 16 : 4;
    else s->max_len = 0;
    settings_changed(app, p, 0);
    return UI_CHANGED;
}

static int key_side(ui_app *app, ui_pane *p, int key) {
    tokens_state *s = p->state;
    s->side = s->side == TOK_SIDE_LEFT ? TOK_SIDE_RIGHT : TOK_SIDE_LEFT;
    settings_changed(app, p, 0);
    return UI_CHANGED;
}

static int key_case(ui_app *app, ui_pane *p, int key) {
    tokens_state *s = p->state;
    s->case_mode = s->case_mode == TOK_CASE_AUTO ? TOK_CASE_LOWER : s->case_mode == TOK_CASE_LOWER ? TOK_CASE_CASED : TOK_CASE_AUTO;
    settings_changed(app, p, 1);
    return UI_CHANGED;
}

static const ui_key_binding tokens_keys[] = {
    {UI_KEY(KEY_UP), key_select, "select the row above"},
    {'k', key_select, NULL},
    {UI_KEY(KEY_DOWN), key_select, "below"},
    {'j', key_select, NULL},
    {UI_KEY(KEY_PPAGE), key_select, "10 up"},
    {UI_KEY(KEY_NPAGE), key_select, "10 down"},
    {UI_KEY(KEY_HOME), key_select, "first"},
    {'g', key_select, NULL},
    {UI_KEY(KEY_END), key_select, "last"},
    {'G', key_select, NULL},
    {'w', key_ws, "whitespace"},
    {'+', key_max_len, "max length +16"},
    {'=', key_max_len, NULL},
    {'-', key_max_len, "-16"},
    {'0', key_max_len, "the model's max length"},
    {'s', key_side, "truncation side"},
    {'c', key_case, "case auto/uncased/cased"},
    {0, NULL, NULL},
};

/* ---- commands ------------------------------------------------------------------------------- */

static int cmd_tokenize(ui_app *app, const char *args, char *err, size_t errlen) {
    if (ui_cmd_need_text(args, "tokenize", err, errlen)) return BB_EINVAL;
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", args);
    char *pair = ui_split_pair(buf);
    ui_pane *p = ui_app_pane_of(app, &ui_tokens_pane);
    ui_app_show(app, p);
    return ui_tokens_set(app, p, buf, pair, err, errlen);
}

static int cmd_truncate(ui_app *app, const char *args, char *err, size_t errlen) {
    ui_pane *p = ui_app_pane_of(app, &ui_tokens_pane);
    ui_app_show(app, p);
    return ui_tokens_truncate_cmd(app, p, args, err, errlen);
}

static int cmd_case(ui_app *app, const char *args, char *err, size_t errlen) {
    ui_pane *p = ui_app_pane_of(app, &ui_tokens_pane);
    ui_app_show(app, p);
    return ui_tokens_case_cmd(app, p, args, err, errlen);
}

static const ui_cmd tokens_cmds[] = {
    {.name = "tokenize", .alias = "tok", .args = "TEXT [||| PAIR]",
     .help = "tokens, stages and offsets of TEXT (live while you type)", .fn = cmd_tokenize, .live = 1},
    {.name = "truncate", .alias = "trunc", .args = "[N|model] [left|right]",
     .help = "where the tokens pane cuts (+ - 0 s in the pane)", .fn = cmd_truncate},
    {.name = "case", .args = "auto|cased|uncased",
     .help = "the tokenizer's lowercasing, for every pane (c in the tokens pane)", .fn = cmd_case},
    {0},
};

/* The input line as it is typed: `tok TEXT`, or plain text while the pane has the focus. */
static void tokens_live(ui_app *app, ui_pane *p, const char *text) {
    if (!app->tk) return;
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", text);
    char *pair = ui_split_pair(buf);
    ui_tokens_set(app, p, buf, pair, NULL, 0);
}

static void tokens_free(ui_pane *p) {
    tokens_state *s = p->state;
    if (!s) return;
    free_stages(s);
    tok_encoding_free(s->enc);
    free(s->starts);
    free(s->ends);
    free(s->disp);
    free(s->disp_buf);
    free(s->cut);
    tok_encoding_free(s->trunc);
    free(s);
    p->state = NULL;
}

static int tokens_init(ui_pane *p) {
    tokens_state *s = calloc(1, sizeof(tokens_state));
    if (!s) return BB_ENOMEM;
    s->case_mode = TOK_CASE_AUTO;
    p->state = s;
    return BB_OK;
}

const ui_pane_class ui_tokens_pane = {
    .name = "tokens",
    .help = "`tokenize TEXT` or plain text, live as you type; `truncate N|model left|right`, `case`",
    .keys = tokens_keys,
    .cmds = tokens_cmds,
    .init = tokens_init,
    .free = tokens_free,
    .draw = tokens_draw,
    .text = tokens_text,
    .live = tokens_live,
    .extent = tokens_extent,
    .reload = tokens_reload,
    .save = tokens_save,
    .restore = tokens_restore,
};
