/* The tokens pane: the tokenizer's stages (normalized text, pre-tokenizer words), the tokens as
 * chips, what truncation would cut, and a table of index, token, id, offsets, word and type id.
 * Re-tokenizing is synchronous: it takes microseconds, and the live view follows every keystroke. */
#define NCURSES_WIDECHAR 1
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui_app.h"

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
        if (!d) return bb_err(err, errlen, BB_ENOMEM, "tokens: out of memory");
        s->disp = d;
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
    s->text_chars = count_cps(s->text) + (s->has_pair ? count_cps(s->pair) : 0);
    if (s->sel >= n) s->sel = n ? n - 1 : 0;
    return BB_OK;
}

int ui_tokens_set(ui_app *app, ui_pane *p, const char *text, const char *pair, char *err, size_t errlen) {
    tokens_state *s = p->state;
    snprintf(s->text, sizeof s->text, "%s", text);
    snprintf(s->pair, sizeof s->pair, "%s", pair ? pair : "");
    s->has_pair = pair != NULL;
    s->has_text = 1;
    s->table0 = 0;
    s->sel = 0;
    app->dirty = 1;
    if (!app->tk) return bb_err(err, errlen, BB_EINVAL, "tokenize: no tokenizer loaded (`load DIR` or `vocab FILE`)");
    return retokenize(app, s, err, errlen);
}

static int tokens_text(ui_app *app, ui_pane *p, const char *text, char *err, size_t errlen) {
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", text);
    char *pair = ui_split_pair(buf);
    return ui_tokens_set(app, p, buf, pair, err, errlen);
}

static void tokens_reload(ui_app *app, ui_pane *p) { retokenize(app, p->state, NULL, 0); }

static viz_tokens view_of(const ui_app *app, const tokens_state *s) {
    const tok_encoding *e = s->enc;
    tok_special_ids sp = tok_specials(app->tk);
    return (viz_tokens){.n = e->n, .tokens = e->tokens, .ids = e->ids, .starts = s->starts, .ends = s->ends,
                        .word_ids = e->words, .type_ids = e->type_ids, .special = e->special, .unk_id = sp.unk,
                        .cont_prefix = tok_kind(app->tk) == TOK_MODEL_WORDPIECE ? "##" : NULL,
                        .display = s->disp_buf ? s->disp : NULL};
}

/* "max length 512: nothing cut" or how many tokens and characters each truncation side would cut. */
static void truncation_line(const ui_app *app, const tokens_state *s, char *out, size_t n) {
    const tok_encoding *e = s->enc;
    int max = tok_model_max_length(app->tk);
    if (e->n <= max) {
        snprintf(out, n, "max length %d: nothing cut", max);
        return;
    }
    int cut = e->n - max;
    /* Right truncation keeps the first max-1 tokens before the final [SEP]; left keeps the last. */
    int keep_right_end = max - 2 >= 1 ? s->ends[max - 2] : 0;
    int first_left = e->n - max + 1 < e->n ? s->starts[e->n - max + 1] : 0;
    int chars = count_cps(s->text);
    snprintf(out, n, "max length %d cuts %d tokens: right side drops %d chars, left side drops %d chars", max, cut,
             chars - keep_right_end, first_left);
}

static void tokens_draw(ui_app *app, ui_pane *p, viz_canvas *c, viz_rect r) {
    tokens_state *s = p->state;
    viz_style dim = {VIZ_DEFAULT, VIZ_DEFAULT, VIZ_DIM}, bold = {VIZ_DEFAULT, VIZ_DEFAULT, VIZ_BOLD};
    if (!app->tk) {
        viz_put(c, r.x, r.y, r.w, "No tokenizer loaded.", bold);
        viz_put(c, r.x, r.y + 1, r.w, "`load DIR` loads a model directory (tokenizer.json or vocab.txt);", VIZ_PLAIN);
        viz_put(c, r.x, r.y + 2, r.w, "`vocab FILE` loads a vocab.txt or tokenizer.json alone.", VIZ_PLAIN);
        return;
    }
    if (!s->has_text || !s->enc) {
        viz_put(c, r.x, r.y, r.w, "Type text in the input line: the tokens update as you type.", bold);
        viz_put(c, r.x, r.y + 1, r.w, "`tokenize TEXT ||| PAIR` shows a sentence pair with segments A/B.", VIZ_PLAIN);
        return;
    }
    if (s->err[0] && s->enc->n == 0) {
        viz_put(c, r.x, r.y, r.w, s->err, (viz_style){VIZ_COLOUR(VIZ_C_ERROR), VIZ_DEFAULT, VIZ_BOLD});
        return;
    }
    int flags = app->show_ws ? VIZ_TOK_WHITESPACE : 0;
    viz_tokens t = view_of(app, s);
    int nspecial = 0, nunk = 0;
    for (int i = 0; i < t.n; i++) {
        nspecial += t.special[i] != TOK_TEXT;
        nunk += t.ids[i] == t.unk_id;
    }
    char trunc[200];
    truncation_line(app, s, trunc, sizeof trunc);
    int y = r.y;
    int x = r.x + viz_printf(c, r.x, y, r.w, bold, "%d tokens", t.n);
    x += viz_printf(c, x, y, r.x + r.w - x, VIZ_PLAIN, " (%d special%s%d [UNK]), %d chars \xc2\xb7 ", nspecial,
                    nunk ? ", " : ", ", nunk, s->text_chars);
    viz_put(c, x, y, r.x + r.w - x, trunc, t.n > tok_model_max_length(app->tk) ? (viz_style){VIZ_COLOUR(VIZ_C_WARN), VIZ_DEFAULT, VIZ_BOLD} : dim);
    y++;
    const int labw = 11;
    if (s->have_stages && y < r.y + r.h) {
        char vis[4096];
        viz_put(c, r.x, y, labw, "normalized", dim);
        viz_put(c, r.x + labw, y, r.w - labw, viz_visible_ws(vis, sizeof vis, s->st.normalized, flags, c->ascii),
                VIZ_PLAIN);
        y++;
        const char *words[512];
        int nw = s->st.n_words < 512 ? s->st.n_words : 512;
        for (int i = 0; i < nw; i++) words[i] = s->st.words[i].text;
        /* byte-level words ("ĠnaÃ¯ve") shown as the text they stand for */
        char *wbuf = s->disp_buf ? viz_bytelevel_display(words, NULL, nw, words) : NULL;
        int k = 0;
        for (int i = 0; i < nw; i++)
            if (words[i]) words[k++] = words[i];
        nw = k;
        viz_put(c, r.x, y, labw, "words", dim);
        int lines = viz_word_chips(c, (viz_rect){r.x + labw, y, r.w - labw, 2}, words, nw, flags);
        free(wbuf);
        y += lines < 1 ? 1 : lines > 2 ? 2 : lines;
    }
    int chip_h = (r.h - (y - r.y)) / 3;
    if (chip_h < 2) chip_h = 2;
    viz_put(c, r.x, y, labw, "tokens", dim);
    int need = viz_token_chips(c, (viz_rect){r.x + labw, y, r.w - labw, chip_h}, &t, flags, 0);
    if (need > chip_h) viz_put(c, r.x, y + chip_h - 1, labw, c->ascii ? "(more)" : "(more\xe2\x80\xa6)", dim);
    y += (need < chip_h ? need : chip_h) + 1;
    int th = r.y + r.h - y;
    if (th < 2) return;
    /* keep the selected row visible */
    if (s->sel < s->table0) s->table0 = s->sel;
    if (s->sel >= s->table0 + th - 1) s->table0 = s->sel - (th - 2);
    if (s->table0 < 0) s->table0 = 0;
    viz_token_table(c, (viz_rect){r.x, y, r.w, th}, &t, flags, s->table0, app->pane_mode ? s->sel : -1);
}

static int tokens_key(ui_app *app, ui_pane *p, int key) {
    tokens_state *s = p->state;
    int n = s->enc ? s->enc->n : 0;
    switch (key) {
    case UI_KEY(KEY_UP): case 'k': s->sel--; break;
    case UI_KEY(KEY_DOWN): case 'j': s->sel++; break;
    case UI_KEY(KEY_PPAGE): s->sel -= 10; break;
    case UI_KEY(KEY_NPAGE): s->sel += 10; break;
    case UI_KEY(KEY_HOME): case 'g': s->sel = 0; break;
    case UI_KEY(KEY_END): case 'G': s->sel = n - 1; break;
    case 'w': app->show_ws = !app->show_ws; break;
    default: return UI_IGNORED;
    }
    if (s->sel >= n) s->sel = n - 1;
    if (s->sel < 0) s->sel = 0;
    app->dirty = 1;
    return UI_HANDLED;
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
    free(s);
    p->state = NULL;
}

ui_pane ui_pane_tokens(void) {
    return (ui_pane){.name = "tokens",
                     .help = "`tokenize TEXT` or plain text; keys: up/down select, w whitespace",
                     .state = calloc(1, sizeof(tokens_state)),
                     .draw = tokens_draw,
                     .key = tokens_key,
                     .text = tokens_text,
                     .reload = tokens_reload,
                     .free = tokens_free};
}
