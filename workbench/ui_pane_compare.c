/* The compare pane: one text through the current tokenizer (A) and one or two others (B, C), side by
 * side: every token split with its counts ([UNK], byte fallback), then the text cut into segments where
 * all splits agree on the boundaries, each with every side's pieces (the rows whose piece counts differ
 * are marked). Any mix of WordPiece, BPE and Unigram tokenizers. With two models (`compare --model
 * DIR`), also both fill-mask rankings at each mask and how much every attention head changed (total
 * variation distance, mean over query tokens).
 *
 *   compare --vocab FILE [--vocab FILE2] TEXT   B (and C) = those tokenizers (vocab.txt, tokenizer.json,
 *                                               .model, directory)
 *   compare --model DIR TEXT                    B = DIR's model and tokenizer (loaded on the worker)
 *   compare TEXT                                the same B (and C) as last time
 *
 * The other side is owned here and replaced only in a job's done() (UI thread, no job running). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui_cmd.h"
#include "ui_pane_compare.h"
#include "ui_pane_mask.h"

enum { CMP_TOP_K = 5, CMP_SIDES = 3 };

typedef struct {
    tok_encoding *enc;
    char *disp_buf;     /* chip text (viz_bytelevel_display / viz_spm_display), NULL for WordPiece */
    const char **disp;  /* (n) */
    int *starts, *ends; /* (n) code-point offsets */
    infer_fill fill;
    char *fill_strs; /* fill's token_str (ui_fill_own_strs): A's tokenizer may be replaced meanwhile */
    int have_fill;
    char name[300];
    int bpe, wordpiece, unk_id, n_unk, n_bytes;
} cmp_side;

typedef struct {
    tok_tokenizer *tk; /* side B, owned */
    tok_tokenizer *tk_c; /* side C, owned, NULL when comparing two */
    bert_model *model;
    infer_ctx *cx;
    char label[1024], label_c[1024];
    char text[4096];
    int have, busy;
    int n_sides;
    cmp_side side[CMP_SIDES];
    float *tv; /* (L, NH) total variation distance between the models' heads */
    int L, NH;
    char note[512];
    char err[512];
} cmp_state;

typedef struct {
    ui_job job;
    ui_pane *pane;
    char text[4096];
    char vocab[1024], vocab_c[1024], model_dir[1024]; /* vocab or model_dir set: load new sides first */
    char fallback[1024]; /* A's tokenizer source, for a model directory without a tokenizer */
    tok_tokenizer *new_tk, *new_tk_c;
    bert_model *new_model;
    infer_ctx *new_cx;
    int n_sides;
    cmp_side side[CMP_SIDES];
    float *tv;
    int L, NH;
    char note[512];
} cmp_job;

static void side_free(cmp_side *s) {
    tok_encoding_free(s->enc);
    free(s->disp_buf);
    free(s->disp);
    free(s->starts);
    free(s->ends);
    if (s->have_fill) infer_fill_free(&s->fill);
    free(s->fill_strs);
    memset(s, 0, sizeof *s);
}

/* Encodes text with tk into s (no truncation: the point is to see every piece). */
static int side_encode(cmp_side *s, const tok_tokenizer *tk, const char *who, const char *text, char *err,
                       size_t errlen) {
    s->enc = tok_encoding_new();
    if (!s->enc) return bb_err(err, errlen, BB_ENOMEM, "compare: out of memory");
    tok_options o = tok_options_default();
    int st = tok_encode(tk, text, -1, NULL, 0, &o, s->enc, err, errlen);
    if (st != BB_OK) return st;
    int n = s->enc->n;
    s->starts = malloc(sizeof(int) * (size_t)(n + 1));
    s->ends = malloc(sizeof(int) * (size_t)(n + 1));
    if (!s->starts || !s->ends) return bb_err(err, errlen, BB_ENOMEM, "compare: out of memory");
    s->unk_id = tok_specials(tk).unk;
    for (int i = 0; i < n; i++) {
        s->starts[i] = s->enc->offsets[2 * i];
        s->ends[i] = s->enc->offsets[2 * i + 1];
        s->n_unk += s->unk_id >= 0 && s->enc->ids[i] == s->unk_id;
        s->n_bytes += tok_is_byte_piece(s->enc->tokens[i]);
    }
    s->bpe = tok_kind(tk) == TOK_MODEL_BPE;
    s->wordpiece = tok_kind(tk) == TOK_MODEL_WORDPIECE;
    if (!s->wordpiece) { /* byte-level graphemes, or SentencePiece byte pieces as the characters they spell */
        s->disp = malloc(sizeof(char *) * (size_t)(n + 1));
        if (s->disp)
            s->disp_buf = s->bpe ? viz_bytelevel_display(s->enc->tokens, s->enc->special, n, s->disp)
                                 : viz_spm_display(s->enc->tokens, s->enc->special, n, s->disp);
        if (!s->disp || (n > 0 && !s->disp_buf)) return bb_err(err, errlen, BB_ENOMEM, "compare: out of memory");
    }
    snprintf(s->name, sizeof s->name, "%s (%s, vocab %d)", who, tok_kind_name(tok_kind(tk)), tok_vocab_size(tk));
    return BB_OK;
}

/* text with every occurrence of `from` replaced by `to` (the other tokenizer's mask token). */
static void replace_all(char *out, size_t cap, const char *text, const char *from, const char *to) {
    size_t o = 0, fl = strlen(from), tl = strlen(to);
    for (const char *p = text; *p && o + 1 < cap;) {
        if (fl && strncmp(p, from, fl) == 0 && o + tl + 1 < cap) {
            memcpy(out + o, to, tl);
            o += tl, p += fl;
        } else {
            out[o++] = *p++;
        }
    }
    out[o] = 0;
}

/* The last path component, with its directory when the file name alone says little
 * ("bert_tiny_b/tokenizer.json"). */
static const char *short_name(const char *path) {
    const char *end = path + strlen(path);
    while (end > path && end[-1] == '/') end--;
    const char *p = end;
    while (p > path && p[-1] != '/') p--;
    if (p > path && (strncmp(p, "tokenizer.json", 14) == 0 || strncmp(p, "vocab.txt", 9) == 0)) {
        p--;
        while (p > path && p[-1] != '/') p--;
    }
    return p;
}

/* The new other side(s) the command named: one or two tokenizers, or a model directory (with its own
 * tokenizer, else A's). Nothing to load: BB_OK. */
static int load_sides(cmp_job *c, char *err, size_t errlen) {
    int st = BB_OK;
    if (c->vocab[0]) {
        st = tok_load_any(&c->new_tk, c->vocab, TOK_CASE_AUTO, err, errlen);
        if (st == BB_OK && c->vocab_c[0]) st = tok_load_any(&c->new_tk_c, c->vocab_c, TOK_CASE_AUTO, err, errlen);
    } else if (c->model_dir[0]) {
        st = bert_load_mapped(&c->new_model, c->model_dir, err, errlen);
        /* A checkpoint directory often has no tokenizer files: it then shares A's vocabulary. */
        if (st == BB_OK && tok_load_dir(&c->new_tk, c->model_dir, TOK_CASE_AUTO, err, errlen) != BB_OK) {
            st = c->fallback[0] ? tok_load_any(&c->new_tk, c->fallback, TOK_CASE_AUTO, err, errlen) : BB_EINVAL;
            if (st == BB_OK) snprintf(c->note, sizeof c->note, "B has no tokenizer files: it uses A's (%s)",
                                       short_name(c->fallback));
        }
        if (st == BB_OK) st = infer_wrap(&c->new_cx, c->new_model, c->new_tk, err, errlen);
    }
    return st;
}

/* Fill-mask on both models when the text has the current mask token (each side's own mask token
 * substituted): the top predictions at every mask, their strings owned. */
static int fill_both(ui_job *j, cmp_job *c, infer_ctx *cxb, const tok_tokenizer *tkb, char *err, size_t errlen) {
    const tok_tokenizer *tks[2] = {j->tk, tkb};
    infer_ctx *cxs[2] = {j->cx, cxb};
    const char *mask_a = tok_specials(j->tk).mask >= 0 ? tok_id_to_token(j->tk, tok_specials(j->tk).mask) : NULL;
    int st = BB_OK;
    if (!mask_a || !strstr(c->text, mask_a)) return BB_OK;
    for (int k = 0; k < 2 && st == BB_OK && !bb_work_cancelled(&j->work); k++) {
        int32_t mid = tok_specials(tks[k]).mask;
        const char *mk = mid >= 0 ? tok_id_to_token(tks[k], mid) : NULL;
        if (!mk) continue;
        char t[4096];
        replace_all(t, sizeof t, c->text, mask_a, mk);
        st = infer_fill_mask(cxs[k], t, CMP_TOP_K, NULL, 0, &c->side[k].fill, err, errlen);
        if (st == BB_OK && ui_fill_own_strs(&c->side[k].fill, &c->side[k].fill_strs) != BB_OK) {
            infer_fill_free(&c->side[k].fill);
            st = bb_err(err, errlen, BB_ENOMEM, "compare: out of memory");
        }
        c->side[k].have_fill = st == BB_OK;
    }
    return st;
}

/* How much every attention head changed between the two models (total variation distance, mean over
 * query tokens) into c->tv, when both see the same tokens; a note says why not otherwise. */
static int attention_change(ui_job *j, cmp_job *c, infer_ctx *cxb, char *err, size_t errlen) {
    const tok_encoding *ea = c->side[0].enc, *eb = c->side[1].enc;
    int same = ea->n == eb->n && memcmp(ea->ids, eb->ids, sizeof(int32_t) * (size_t)ea->n) == 0;
    if (!same || bb_work_cancelled(&j->work)) {
        snprintf(c->note + strlen(c->note), sizeof c->note - strlen(c->note), "%sattention not compared: the two "
                 "tokenizers give different tokens", c->note[0] ? "; " : "");
        return BB_OK;
    }
    infer_attn at[2];
    j->parts = 2; /* the two captures, each half of the progress */
    int st = infer_attention(j->cx, c->text, NULL, &at[0], &j->work, err, errlen);
    if (st != BB_OK) return st;
    j->part = 1;
    st = infer_attention(cxb, c->text, NULL, &at[1], &j->work, err, errlen);
    if (st != BB_OK) {
        infer_attn_free(&at[0]);
        return st;
    }
    if (at[0].L != at[1].L || at[0].NH != at[1].NH || at[0].T != at[1].T) {
        snprintf(c->note + strlen(c->note), sizeof c->note - strlen(c->note),
                 "%sattention not compared: the models have %dx%d and %dx%d layers x heads", c->note[0] ? "; " : "",
                 at[0].L, at[0].NH, at[1].L, at[1].NH);
    } else if ((c->tv = malloc(sizeof(float) * (size_t)at[0].L * (size_t)at[0].NH))) {
        int T = at[0].T;
        c->L = at[0].L, c->NH = at[0].NH;
        for (int l = 0; l < c->L; l++)
            for (int h = 0; h < c->NH; h++) {
                const float *p = infer_attn_head(&at[0], l, h), *q = infer_attn_head(&at[1], l, h);
                double d = 0;
                for (int i = 0; i < T * T; i++) d += fabs((double)p[i] - (double)q[i]);
                c->tv[l * c->NH + h] = (float)(0.5 * d / T);
            }
    } else {
        st = bb_err(err, errlen, BB_ENOMEM, "compare: out of memory");
    }
    infer_attn_free(&at[0]);
    infer_attn_free(&at[1]);
    return st;
}

static int cmp_run(ui_job *j, char *err, size_t errlen) {
    cmp_job *c = (cmp_job *)j;
    cmp_state *ps = c->pane->state;
    if (!j->tk) return bb_err(err, errlen, BB_EINVAL, "compare: load a tokenizer first (`load DIR` or `vocab FILE`)");
    int st = load_sides(c, err, errlen);
    if (st != BB_OK) return st;
    /* Side B: the one just loaded, else the pane's (not replaced while this job runs). */
    int loaded = c->vocab[0] || c->model_dir[0];
    const tok_tokenizer *tkb = loaded ? c->new_tk : ps->tk;
    const tok_tokenizer *tkc = loaded ? c->new_tk_c : ps->tk_c;
    infer_ctx *cxb = loaded ? c->new_cx : ps->cx;
    const char *label = loaded ? (c->vocab[0] ? c->vocab : c->model_dir) : ps->label;
    const char *label_c = loaded ? c->vocab_c : ps->label_c;
    if (!tkb) return bb_err(err, errlen, BB_EINVAL, "compare: give the other side: `compare --vocab FILE TEXT` or `compare --model DIR TEXT`");
    c->n_sides = tkc ? 3 : 2;
    st = side_encode(&c->side[0], j->tk, "A current", c->text, err, errlen);
    for (int k = 1; k < c->n_sides && st == BB_OK; k++) {
        char who[1100];
        snprintf(who, sizeof who, "%c %s", 'A' + k, short_name(k == 1 ? label : label_c));
        st = side_encode(&c->side[k], k == 1 ? tkb : tkc, who, c->text, err, errlen);
    }
    if (st != BB_OK) return st;
    if (c->n_sides > 2) return BB_OK; /* three tokenizers: no models to compare */
    if (!j->cx || !cxb) {
        snprintf(c->note + strlen(c->note), sizeof c->note - strlen(c->note), "%s%s", c->note[0] ? "; " : "",
                 !j->cx ? (j->model ? "the tokenizer does not match the model: tokenizers only" : "no model loaded: tokenizers only")
                        : "B is a tokenizer only: `compare --model DIR TEXT` compares models too");
        return BB_OK;
    }
    st = fill_both(j, c, cxb, tkb, err, errlen);
    return st == BB_OK ? attention_change(j, c, cxb, err, errlen) : st;
}

static void cmp_done(ui_app *app, ui_job *j, int status, const char *err) {
    cmp_job *c = (cmp_job *)j;
    cmp_state *s = c->pane->state;
    s->busy = 0;
    if (status == BB_OK && (c->vocab[0] || c->model_dir[0])) {
        if (s->cx) infer_close(s->cx);
        bert_free(s->model);
        tok_free(s->tk);
        tok_free(s->tk_c);
        s->tk = c->new_tk, s->tk_c = c->new_tk_c, s->model = c->new_model, s->cx = c->new_cx;
        snprintf(s->label, sizeof s->label, "%s", c->vocab[0] ? c->vocab : c->model_dir);
        snprintf(s->label_c, sizeof s->label_c, "%s", c->vocab_c);
    } else if (status != BB_OK) {
        if (c->new_cx) infer_close(c->new_cx);
        bert_free(c->new_model);
        tok_free(c->new_tk);
        tok_free(c->new_tk_c);
    }
    if (status != BB_OK) {
        snprintf(s->err, sizeof s->err, "%s", err);
        if (status != BB_ECANCEL) ui_app_message(app, 1, "%s", err);
        for (int k = 0; k < CMP_SIDES; k++) side_free(&c->side[k]);
        free(c->tv);
    } else {
        s->err[0] = 0;
        s->n_sides = c->n_sides;
        for (int k = 0; k < CMP_SIDES; k++) {
            side_free(&s->side[k]);
            s->side[k] = c->side[k];
        }
        free(s->tv);
        s->tv = c->tv, s->L = c->L, s->NH = c->NH;
        snprintf(s->note, sizeof s->note, "%s", c->note);
        snprintf(s->text, sizeof s->text, "%s", c->text);
        s->have = 1;
        if (s->n_sides == 3)
            ui_app_message(app, 0, "compare: A %d tokens, B %d tokens, C %d tokens", s->side[0].enc->n,
                           s->side[1].enc->n, s->side[2].enc->n);
        else
            ui_app_message(app, 0, "compare: A %d tokens, B %d tokens", s->side[0].enc->n, s->side[1].enc->n);
    }
    free(c);
}

int ui_compare_cmd(ui_app *app, ui_pane *p, const char *args, char *err, size_t errlen) {
    cmp_state *s = p->state;
    cmp_job *c = calloc(1, sizeof *c);
    if (!c) return bb_err(err, errlen, BB_ENOMEM, "compare: out of memory");
    const char *q = args;
    while (*q == ' ') q++;
    int is_vocab = strncmp(q, "--vocab ", 8) == 0, is_model = strncmp(q, "--model ", 8) == 0;
    for (int round = 0; round < 2 && (is_vocab || (is_model && round == 0)); round++) {
        q += 8;
        while (*q == ' ') q++;
        size_t k = strcspn(q, " ");
        char *dst = is_model ? c->model_dir : round == 0 ? c->vocab : c->vocab_c;
        snprintf(dst, sizeof c->vocab, "%.*s", (int)k, q);
        q += k;
        while (*q == ' ') q++;
        if (is_model || strncmp(q, "--vocab ", 8) != 0) break;
    }
    int st = BB_OK;
    if (!*q || q[0] == '-')
        st = bb_err(err, errlen, BB_EINVAL, "compare: usage `compare [--vocab FILE [--vocab FILE2] | --model DIR] TEXT`");
    else if (!app->tk)
        st = bb_err(err, errlen, BB_EINVAL, "compare: load a tokenizer first (`load DIR` or `vocab FILE`)");
    else if (!is_vocab && !is_model && !s->tk)
        st = bb_err(err, errlen, BB_EINVAL,
                    "compare: nothing to compare with yet: `compare --vocab FILE TEXT` or `compare --model DIR TEXT`");
    if (st != BB_OK) {
        free(c);
        return st;
    }
    snprintf(c->text, sizeof c->text, "%s", q);
    snprintf(c->fallback, sizeof c->fallback, "%s", app->vocab_path[0] ? app->vocab_path : app->model_dir);
    c->pane = p;
    c->job.what = is_model ? "loading and comparing" : "comparing";
    c->job.run = cmp_run;
    c->job.done = cmp_done;
    s->busy = 1;
    return ui_app_submit(app, &c->job);
}

static int cmp_text(ui_app *app, ui_pane *p, const char *text, char *err, size_t errlen) {
    return ui_compare_cmd(app, p, text, err, errlen);
}

/* ---- drawing: everything goes into a tall canvas, and the rows from p->scroll are copied ---- */

static viz_tokens view_of(const cmp_side *s) {
    const tok_encoding *e = s->enc;
    return (viz_tokens){.n = e->n, .tokens = e->tokens, .ids = e->ids, .starts = s->starts, .ends = s->ends,
                        .word_ids = e->words, .type_ids = e->type_ids, .special = e->special, .unk_id = s->unk_id,
                        .cont_prefix = s->wordpiece ? "##" : NULL, .display = s->disp};
}

static int is_content(const tok_encoding *e, int i) { return e->special[i] != TOK_ADDED && e->special[i] != TOK_PADDING; }

/* Segments of the text on which every side agrees about the boundaries; one row each. Returns rows. */
/* The content pieces of every side, as indices into its encoding. */
typedef struct {
    int ns;
    const tok_encoding *e[CMP_SIDES];
    int idx[CMP_SIDES][1024];
    int cnt[CMP_SIDES];
} seg_sides;

/* The end (exclusive, in content pieces) of the segment that starts at pos on every side: grown until
 * every side's last piece ends at the same character, then taking the pieces of a split character. */
static void segment_end(const cmp_state *s, const seg_sides *q, const int *pos, int *end1) {
    int ns = q->ns;
    for (int k = 0; k < ns; k++) end1[k] = pos[k] < q->cnt[k] ? pos[k] + 1 : pos[k];
    for (;;) {
        int target = -1, agree = 1;
        for (int k = 0; k < ns; k++) {
            int ek = end1[k] > pos[k] ? s->side[k].ends[q->idx[k][end1[k] - 1]] : -1;
            if (k && ek != target) agree = 0;
            if (ek > target) target = ek;
        }
        if (agree) break;
        int stuck = 0;
        for (int k = 0; k < ns; k++) {
            int ek = end1[k] > pos[k] ? s->side[k].ends[q->idx[k][end1[k] - 1]] : -1;
            if (ek >= target) continue;
            if (end1[k] < q->cnt[k]) end1[k]++;
            else stuck = 1;
        }
        if (stuck) { /* a side ran out: the rest of every side joins this segment */
            for (int k = 0; k < ns; k++) end1[k] = q->cnt[k];
            break;
        }
    }
    /* pieces of one split character share its offsets: they all belong to this segment */
    int end = -1;
    for (int k = 0; k < ns; k++)
        if (end1[k] > pos[k] && s->side[k].ends[q->idx[k][end1[k] - 1]] > end) end = s->side[k].ends[q->idx[k][end1[k] - 1]];
    for (int k = 0; k < ns; k++)
        while (end1[k] < q->cnt[k] && s->side[k].starts[q->idx[k][end1[k]]] < end) end1[k]++;
}

/* One segment's row at y: its text, then every side's pieces, marked when the piece counts differ;
 * returns 1 when they do. */
static int segment_row(const cmp_state *s, const seg_sides *q, const int *pos, const int *end1, viz_canvas *c, int y,
                       int colw, int flags) {
    /* the sides own byte ranges of the same text */
    int b0 = 1 << 30, bend = 0, diff = 0;
    for (int k = 0; k < q->ns; k++) {
        for (int i = pos[k]; i < end1[k]; i++) {
            int t = q->idx[k][i];
            if (q->e[k]->byte_offsets[2 * t] < b0) b0 = q->e[k]->byte_offsets[2 * t];
            if (q->e[k]->byte_offsets[2 * t + 1] > bend) bend = q->e[k]->byte_offsets[2 * t + 1];
        }
        diff |= end1[k] - pos[k] != end1[0] - pos[0];
    }
    char seg[256], vis[512], pieces[512];
    snprintf(seg, sizeof seg, "%.*s", bend > b0 ? bend - b0 : 0, s->text + (b0 < bend ? b0 : 0));
    viz_visible_ws(vis, sizeof vis, seg, flags, c->ascii);
    viz_style st = diff ? (viz_style){VIZ_COLOUR(VIZ_C_WARN), VIZ_DEFAULT, VIZ_BOLD} : VIZ_PLAIN;
    if (y < c->h) viz_put(c, 0, y, 15, vis, st);
    for (int k = 0; k < q->ns; k++) {
        size_t o = 0;
        pieces[0] = 0;
        for (int i = pos[k]; i < end1[k]; i++)
            o += (size_t)snprintf(pieces + o, o < sizeof pieces ? sizeof pieces - o : 0, "%s%s", i > pos[k] ? " " : "",
                                  q->e[k]->tokens[q->idx[k][i]]);
        if (y < c->h) viz_put(c, 16 + k * (colw + 1), y, colw, pieces, st);
    }
    return diff;
}

/* The text cut into segments where all splits agree on the boundaries, each with every side's pieces,
 * under a count line at y - 1; returns the rows used from y. */
static int draw_segments(cmp_state *s, viz_canvas *c, int y, int w, int flags) {
    seg_sides q;
    q.ns = s->n_sides;
    int ns = q.ns;
    for (int k = 0; k < ns; k++) q.e[k] = s->side[k].enc;
    int same = 1;
    for (int k = 1; k < ns && same; k++) {
        same = q.e[k]->n == q.e[0]->n;
        for (int i = 0; same && i < q.e[0]->n; i++) same = strcmp(q.e[0]->tokens[i], q.e[k]->tokens[i]) == 0;
    }
    if (same) {
        viz_put(c, 0, y, w, ns == 3 ? "A, B and C split the text into the same pieces." :
                "A and B split the text into the same pieces.", (viz_style){VIZ_DEFAULT, VIZ_DEFAULT, VIZ_BOLD});
        return 1;
    }
    for (int k = 0; k < ns; k++)
        for (int i = q.cnt[k] = 0; i < q.e[k]->n && q.cnt[k] < 1024; i++)
            if (is_content(q.e[k], i)) q.idx[k][q.cnt[k]++] = i;
    int colw = (w - 16 - (ns - 1)) / ns;
    viz_style hs = {VIZ_DEFAULT, VIZ_DEFAULT, VIZ_BOLD | VIZ_UNDERLINE};
    int y0 = y;
    viz_put(c, 0, y, 15, "text", hs);
    for (int k = 0; k < ns; k++) {
        char head[16];
        snprintf(head, sizeof head, "%c pieces", 'A' + k);
        viz_printf(c, 16 + k * (colw + 1), y, colw, hs, "%-*s", colw, head);
    }
    y++;
    int pos[CMP_SIDES] = {0}, end1[CMP_SIDES], differ = 0, rows = 0;
    for (;;) {
        int more = 0;
        for (int k = 0; k < ns; k++) more |= pos[k] < q.cnt[k];
        if (!more) break;
        segment_end(s, &q, pos, end1);
        differ += segment_row(s, &q, pos, end1, c, y, colw, flags);
        y++, rows++;
        for (int k = 0; k < ns; k++) pos[k] = end1[k];
    }
    viz_printf(c, 0, y0 - 1, w, (viz_style){VIZ_DEFAULT, VIZ_DEFAULT, VIZ_BOLD},
               "%d segments, %d split into a different number of pieces (marked)", rows, differ);
    return y - y0;
}

static int draw_fill(cmp_state *s, viz_canvas *c, int y, int w) {
    int colw = (w - 2) / 2;
    int n = 0;
    float vmax = 0; /* one scale for both sides */
    for (int k = 0; k < 2; k++)
        if (s->side[k].have_fill) {
            if (s->side[k].fill.n_masks > n) n = s->side[k].fill.n_masks;
            for (int m = 0; m < s->side[k].fill.n_masks; m++)
                if (s->side[k].fill.masks[m].k > 0 && s->side[k].fill.masks[m].preds[0].score > vmax)
                    vmax = s->side[k].fill.masks[m].preds[0].score;
        }
    for (int m = 0; m < n; m++) {
        viz_printf(c, 0, y++, w, (viz_style){VIZ_DEFAULT, VIZ_DEFAULT, VIZ_BOLD}, "fill-mask, mask #%d:  A | B", m);
        int used = 0;
        for (int k = 0; k < 2; k++) {
            const cmp_side *sd = &s->side[k];
            if (!sd->have_fill || m >= sd->fill.n_masks) continue;
            const infer_mask *mk = &sd->fill.masks[m];
            const char *labels[CMP_TOP_K];
            float vals[CMP_TOP_K];
            int kk = mk->k < CMP_TOP_K ? mk->k : CMP_TOP_K;
            for (int i = 0; i < kk; i++) labels[i] = mk->preds[i].token_str, vals[i] = mk->preds[i].score;
            viz_bars b = {.n = kk, .labels = labels, .values = vals, .vmax = vmax, .highlight = -1, .percent = 1};
            int r = viz_bars_draw(c, (viz_rect){k * (colw + 2), y, colw, CMP_TOP_K}, &b, 0);
            if (r > used) used = r;
        }
        y += used + 1;
    }
    return y;
}

static int draw_tv(cmp_state *s, viz_canvas *c, int y, int w) {
    int bl = 0, bh = 0;
    for (int i = 0; i < s->L * s->NH; i++)
        if (s->tv[i] > s->tv[bl * s->NH + bh]) bl = i / s->NH, bh = i % s->NH;
    viz_printf(c, 0, y++, w, (viz_style){VIZ_DEFAULT, VIZ_DEFAULT, VIZ_BOLD},
               "attention change per head (total variation, 0 same .. 1 disjoint); most: L%d h%d = %.3f",
               bl, bh, (double)s->tv[bl * s->NH + bh]);
    int x = 5;
    for (int h = 0; h < s->NH && x + 6 <= w; h++, x += 7) {
        char hn[12];
        snprintf(hn, sizeof hn, "h%d", h);
        viz_printf(c, x, y, 6, (viz_style){VIZ_DEFAULT, VIZ_DEFAULT, VIZ_DIM}, "%6s", hn);
    }
    y++;
    for (int l = 0; l < s->L; l++, y++) {
        viz_printf(c, 0, y, 5, (viz_style){VIZ_DEFAULT, VIZ_DEFAULT, VIZ_DIM}, "L%d", l);
        x = 5;
        for (int h = 0; h < s->NH && x + 6 <= w; h++, x += 7) {
            float v = s->tv[l * s->NH + h];
            viz_style st = {(int16_t)viz_heat_colour(v), VIZ_DEFAULT, l == bl && h == bh ? VIZ_BOLD | VIZ_REVERSE : 0};
            viz_printf(c, x, y, 6, st, "%6.3f", (double)v);
        }
    }
    return y;
}

static void cmp_draw(ui_app *app, ui_pane *p, viz_canvas *c, viz_rect r) {
    cmp_state *s = p->state;
    viz_style bold = {VIZ_DEFAULT, VIZ_DEFAULT, VIZ_BOLD};
    if (!s->have) {
        viz_put(c, r.x, r.y, r.w,
                s->busy ? "comparing..." : "`compare --vocab FILE [--vocab FILE2] TEXT` or `compare --model DIR TEXT`",
                bold);
        if (!s->busy)
            viz_put(c, r.x, r.y + 1, r.w,
                    "shows TEXT through the current tokenizer (A) and one or two others (B, C); with a model, "
                    "fill-mask and attention too",
                    VIZ_PLAIN);
        if (s->err[0]) viz_put(c, r.x, r.y + 2, r.w, s->err, (viz_style){VIZ_COLOUR(VIZ_C_ERROR), VIZ_DEFAULT, 0});
        return;
    }
    viz_canvas t;
    if (viz_canvas_init(&t, r.w, 400, NULL, 0) != BB_OK) return;
    t.ascii = c->ascii;
    int flags = app->show_ws ? VIZ_TOK_WHITESPACE : 0, y = 0;
    for (int k = 0; k < s->n_sides; k++) {
        const cmp_side *sd = &s->side[k];
        if (sd->n_bytes)
            viz_printf(&t, 0, y++, r.w, bold, "%s: %d tokens, %d [UNK], %d byte fallback", sd->name, sd->enc->n,
                       sd->n_unk, sd->n_bytes);
        else
            viz_printf(&t, 0, y++, r.w, bold, "%s: %d tokens, %d [UNK]", sd->name, sd->enc->n, sd->n_unk);
        viz_tokens v = view_of(sd);
        int lines = viz_token_chips(&t, (viz_rect){2, y, r.w - 2, 6}, &v, flags, 0);
        y += (lines < 6 ? lines : 6) + 1;
    }
    y++;
    y += draw_segments(s, &t, y, r.w, flags) + 1;
    if (s->side[0].have_fill || s->side[1].have_fill) y = draw_fill(s, &t, y, r.w);
    if (s->tv) y = draw_tv(s, &t, y, r.w) + 1;
    if (s->note[0]) viz_put(&t, 0, y++, r.w, s->note, (viz_style){VIZ_DEFAULT, VIZ_DEFAULT, VIZ_DIM});
    if (p->scroll > y - 1) p->scroll = y > 0 ? y - 1 : 0;
    for (int row = 0; row < r.h && p->scroll + row < t.h; row++)
        memcpy(&c->cells[(size_t)(r.y + row) * c->w + r.x], &t.cells[(size_t)(p->scroll + row) * t.w],
               sizeof *t.cells * (size_t)r.w);
    viz_canvas_free(&t);
}

static void cmp_free(ui_pane *p) {
    cmp_state *s = p->state;
    if (!s) return;
    for (int k = 0; k < CMP_SIDES; k++) side_free(&s->side[k]);
    free(s->tv);
    if (s->cx) infer_close(s->cx);
    bert_free(s->model);
    tok_free(s->tk);
    tok_free(s->tk_c);
    free(s);
    p->state = NULL;
}

/* The loaded model or tokenizer was replaced: side A's tokens (and fill-mask strings) were borrowed
 * from the old tokenizer, so the comparison shown goes and is computed again on the new one. */
static void cmp_reload(ui_app *app, ui_pane *p) {
    cmp_state *s = p->state;
    int had = s->have;
    for (int k = 0; k < CMP_SIDES; k++) side_free(&s->side[k]);
    free(s->tv);
    s->tv = NULL;
    s->n_sides = 0;
    s->have = 0;
    if (had && s->tk && app->tk && s->text[0] && s->text[0] != '-') ui_compare_cmd(app, p, s->text, NULL, 0);
}

/* export: the whole tall canvas the pane draws into (cmp_draw), from the top */
static void cmp_extent(ui_app *app, ui_pane *p, int *w, int *h) { *h = 400; }

static int cmd_compare(ui_app *app, const char *args, char *err, size_t errlen) {
    ui_pane *p = ui_app_pane_of(app, &ui_compare_pane);
    ui_app_show(app, p);
    return ui_compare_cmd(app, p, args, err, errlen);
}

static const char *const cmp_words[] = {"--vocab", "--model", NULL};

static const ui_cmd cmp_cmds[] = {
    {.name = "compare", .alias = "cmp", .args = "[--vocab FILE [--vocab FILE2] | --model DIR] TEXT",
     .help = "TEXT split by the current and one or two other tokenizers (or a model: fill-mask, attention change) "
     "side by side", .fn = cmd_compare, .words = cmp_words},
    {0},
};

static int cmp_init(ui_pane *p) { return (p->state = calloc(1, sizeof(cmp_state))) ? BB_OK : BB_ENOMEM; }

const ui_pane_class ui_compare_pane = {
    .name = "compare",
    .help = "`compare [--vocab FILE [--vocab FILE2] | --model DIR] TEXT`: two or three tokenizers, or two models, "
            "side by side",
    .keys = ui_scroll_keys,
    .cmds = cmp_cmds,
    .init = cmp_init,
    .free = cmp_free,
    .draw = cmp_draw,
    .text = cmp_text,
    .extent = cmp_extent,
    .reload = cmp_reload,
};
