/* The stats pane (corpus view): `stats [--max N] [--vocab FILE]... CORPUS` reads a corpus on the
 * worker and shows, for the current tokenizer (and up to two more given with --vocab, side by side: any
 * mix of WordPiece, BPE and Unigram), the histogram of tokens per text, the share over the max length,
 * what right and left truncation would cut, the [UNK] and byte-fallback rates, the fertility and how
 * many tokens each needs for the corpus against the first. The texts are tok_read_texts' and the numbers
 * tok_stats_compute's, as `tokenize --stats` reports them; the job's bb_work carries Ctrl-C and progress. */
#define NCURSES_WIDECHAR 1
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui_cmd.h"
#include "ui_pane_stats.h"

/* ---- the pane --------------------------------------------------------------------------------- */

enum { STATS_SIDES = 3 };

typedef struct {
    int have, busy;
    char path[1024];
    int n_sides;                   /* 1 + the --vocab tokenizers */
    char names[STATS_SIDES][1100]; /* "current (WordPiece, vocab 30522)" */
    tok_stats st[STATS_SIDES];
    char err[512];
} stats_state;

typedef struct {
    ui_job job;
    ui_pane *pane;
    char path[1024], vocab[STATS_SIDES - 1][1024];
    int n_vocab;
    int max_length;
    int n_sides;
    char names[STATS_SIDES][1100];
    tok_stats st[STATS_SIDES];
} stats_job;

static void describe(char *out, size_t n, const char *who, const tok_tokenizer *tk) {
    snprintf(out, n, "%s (%s, vocab %d)", who, tok_kind_name(tok_kind(tk)), tok_vocab_size(tk));
}

static int stats_run(ui_job *j, char *err, size_t errlen) {
    stats_job *s = (stats_job *)j;
    if (!j->tk) return bb_err(err, errlen, BB_EINVAL, "stats: load a tokenizer first (`load DIR` or `vocab FILE`)");
    tok_tokenizer *other[STATS_SIDES - 1] = {0};
    int st = BB_OK;
    for (int k = 0; k < s->n_vocab && st == BB_OK; k++) st = tok_load_any(&other[k], s->vocab[k], TOK_CASE_AUTO, err, errlen);
    char **texts;
    long n;
    if (st == BB_OK) st = tok_read_texts(s->path, 0, &texts, &n, NULL, err, errlen);
    if (st == BB_OK && n == 0) {
        free(texts);
        st = bb_err(err, errlen, BB_EINVAL, "stats: %s holds no text", s->path);
    }
    if (st == BB_OK) {
        int max = s->max_length > 0 ? s->max_length : infer_max_length(j->model ? &j->model->cfg : NULL, j->tk);
        const tok_tokenizer *tks[STATS_SIDES] = {j->tk, other[0], other[1]};
        s->n_sides = 1 + s->n_vocab;
        describe(s->names[0], sizeof s->names[0], "current", j->tk);
        for (int k = 0; k < s->n_vocab; k++) {
            const char *base = strrchr(s->vocab[k], '/');
            describe(s->names[k + 1], sizeof s->names[k + 1], base && base[1] ? base + 1 : s->vocab[k], other[k]);
        }
        j->parts = s->n_sides; /* each tokenizer's pass fills its share of 0..100% */
        for (int k = 0; k < s->n_sides && st == BB_OK; k++) {
            j->part = k;
            st = tok_stats_compute(tks[k], (const char *const *)texts, n, max, &s->st[k], &j->work, err, errlen);
        }
        tok_texts_free(texts, n);
    }
    for (int k = 0; k < STATS_SIDES - 1; k++) tok_free(other[k]);
    return st;
}

static void stats_done(ui_app *app, ui_job *j, int status, const char *err) {
    stats_job *s = (stats_job *)j;
    stats_state *p = s->pane->state;
    p->busy = 0;
    if (status != BB_OK) {
        snprintf(p->err, sizeof p->err, "%s", err);
        if (status != BB_ECANCEL) ui_app_message(app, 1, "%s", err);
    } else {
        p->err[0] = 0;
        p->have = 1;
        p->n_sides = s->n_sides;
        memcpy(p->names, s->names, sizeof p->names);
        memcpy(p->st, s->st, sizeof p->st);
        snprintf(p->path, sizeof p->path, "%s", s->path);
        char a[32];
        ui_fmt_count(a, sizeof a, s->st[0].n_texts);
        ui_app_message(app, 0, "stats of %s: %s texts", s->path, a);
    }
    free(s);
}

int ui_stats_cmd(ui_app *app, ui_pane *p, const char *args, char *err, size_t errlen) {
    stats_state *ps = p->state;
    stats_job *s = calloc(1, sizeof *s);
    if (!s) return bb_err(err, errlen, BB_ENOMEM, "stats: out of memory");
    /* [--max N] [--vocab FILE]... CORPUS, options in any order before the corpus */
    const char *q = args;
    int st = BB_OK;
    for (;;) {
        while (*q == ' ') q++;
        if (strncmp(q, "--max", 5) == 0 && (q[5] == ' ' || q[5] == '=')) {
            char *end;
            long v = strtol(q + 6, &end, 10);
            if (end == q + 6 || v < 3 || v > 1000000) {
                st = bb_err(err, errlen, BB_EINVAL, "stats: --max takes a length of at least 3");
                break;
            }
            s->max_length = (int)v;
            q = end;
        } else if (strncmp(q, "--vocab", 7) == 0 && (q[7] == ' ' || q[7] == '=')) {
            q += 8;
            while (*q == ' ') q++;
            size_t k = strcspn(q, " ");
            if (s->n_vocab == STATS_SIDES - 1) {
                st = bb_err(err, errlen, BB_EINVAL, "stats: at most %d --vocab tokenizers beside the current one",
                            STATS_SIDES - 1);
                break;
            }
            snprintf(s->vocab[s->n_vocab++], sizeof s->vocab[0], "%.*s", (int)k, q);
            q += k;
        } else {
            break;
        }
    }
    if (st == BB_OK && !*q)
        st = bb_err(err, errlen, BB_EINVAL, "stats: usage `stats [--max N] [--vocab FILE]... CORPUS` (.txt: a text "
                                            "per line; .jsonl: a \"text\" field)");
    if (st == BB_OK && !app->tk)
        st = bb_err(err, errlen, BB_EINVAL, "stats: load a tokenizer first (`load DIR` or `vocab FILE`)");
    if (st != BB_OK) {
        free(s);
        return st;
    }
    snprintf(s->path, sizeof s->path, "%s", q);
    size_t pl = strlen(s->path);
    while (pl && s->path[pl - 1] == ' ') s->path[--pl] = 0;
    s->pane = p;
    s->job.what = "corpus stats";
    s->job.run = stats_run;
    s->job.done = stats_done;
    ps->busy = 1;
    return ui_app_submit(app, &s->job);
}

static int stats_text(ui_app *app, ui_pane *p, const char *text, char *err, size_t errlen) {
    return ui_stats_cmd(app, p, text, err, errlen);
}

static double pct(long a, long b) { return b ? 100.0 * (double)a / (double)b : 0; }

/* A line of the side at row *y, kept inside r. */
#define LINE(st, ...)                                                                \
    do {                                                                             \
        if (*y < r.y + r.h) viz_printf(c, r.x, *y, r.w, st, __VA_ARGS__);            \
        (*y)++;                                                                      \
    } while (0)

/* One tokenizer's numbers in r; base is the first tokenizer's, for the relative token count (NULL
 * when there is only one). */
static void draw_side(viz_canvas *c, viz_rect r, const char *name, const tok_stats *s, const tok_stats *base) {
    viz_style bold = {VIZ_DEFAULT, VIZ_DEFAULT, VIZ_BOLD}, dim = {VIZ_DEFAULT, VIZ_DEFAULT, VIZ_DIM};
    viz_style warn = {VIZ_COLOUR(VIZ_C_WARN), VIZ_DEFAULT, VIZ_BOLD};
    char a[32], b[32];
    int row = r.y, *y = &row;
    LINE(bold, "%s", name);
    ui_fmt_count(a, sizeof a, s->n_texts);
    ui_fmt_count(b, sizeof b, s->n_tokens);
    LINE(VIZ_PLAIN, "%s texts, %s tokens", a, b);
    LINE(VIZ_PLAIN, "per text %.1f \xc2\xb1 %.1f, median %d", s->mean, s->std, s->median);
    LINE(VIZ_PLAIN, "  min %d  q1 %d  q3 %d  max %d", s->min, s->q1, s->q3, s->max);
    ui_fmt_count(a, sizeof a, s->n_over);
    LINE(s->n_over ? warn : VIZ_PLAIN, "over max length %d: %s texts (%.1f%%)", s->max_length, a,
         pct(s->n_over, s->n_texts));
    ui_fmt_count(a, sizeof a, s->cut_tokens);
    LINE(VIZ_PLAIN, "truncation cuts %s tokens (%.1f%%)", a, pct(s->cut_tokens, s->n_tokens));
    ui_fmt_count(a, sizeof a, s->cut_words_right);
    LINE(VIZ_PLAIN, "  right side (keeps the start): %s words hit", a);
    ui_fmt_count(a, sizeof a, s->cut_words_left);
    LINE(VIZ_PLAIN, "  left side (keeps the end):    %s words hit", a);
    ui_fmt_count(a, sizeof a, s->n_unk);
    LINE(s->n_unk ? warn : VIZ_PLAIN, "[UNK] %s tokens (%.3f%%)", a, 100.0 * s->unk_rate);
    ui_fmt_count(a, sizeof a, s->n_bytes);
    LINE(s->n_bytes ? warn : VIZ_PLAIN, "byte fallback %s tokens (%.3f%%)", a, 100.0 * s->byte_rate);
    LINE(VIZ_PLAIN, "fertility %.3f tokens per word", s->fertility);
    /* Content tokens (fertility x words): the specials each kind adds are not the text's. */
    double mine = s->fertility * (double)s->n_words, first = base ? base->fertility * (double)base->n_words : 0;
    if (base) LINE(bold, "tokens vs current: x%.3f", first > 0 ? mine / first : 0);
    LINE(dim, "tokens per text (max length's bin bold)");
    if (row >= r.y + r.h) return;
    char labels[TOK_STATS_BINS][32];
    const char *lp[TOK_STATS_BINS];
    float v[TOK_STATS_BINS];
    int nb = s->max / s->bin_width + 1;
    if (nb > TOK_STATS_BINS) nb = TOK_STATS_BINS;
    for (int i = 0; i < nb; i++) {
        snprintf(labels[i], sizeof labels[i], "%d-%d", i * s->bin_width, (i + 1) * s->bin_width - 1);
        lp[i] = labels[i];
        v[i] = (float)s->hist[i];
    }
    int hl = s->max_length / s->bin_width;
    viz_bars bars = {.n = nb, .labels = lp, .values = v, .vmax = 0, .highlight = hl < nb ? hl : -1, .percent = 2};
    viz_bars_draw(c, (viz_rect){r.x, row, r.w, r.y + r.h - row}, &bars, 0);
}
#undef LINE

static void stats_draw(ui_app *app, ui_pane *p, viz_canvas *c, viz_rect r) {
    stats_state *s = p->state;
    viz_style bold = {VIZ_DEFAULT, VIZ_DEFAULT, VIZ_BOLD};
    if (!s->have) {
        viz_put(c, r.x, r.y, r.w,
                s->busy ? "reading and tokenizing the corpus..." : "`stats CORPUS` (a .txt with a text per line, or .jsonl)",
                bold);
        if (!s->busy)
            viz_put(c, r.x, r.y + 1, r.w,
                    "shows tokens per text, what truncation cuts, [UNK] and byte-fallback rates and fertility; "
                    "`--vocab FILE` (up to twice) adds tokenizers side by side, `--max N` sets the length",
                    VIZ_PLAIN);
        if (s->err[0]) viz_put(c, r.x, r.y + 2, r.w, s->err, (viz_style){VIZ_COLOUR(VIZ_C_ERROR), VIZ_DEFAULT, 0});
        return;
    }
    viz_printf(c, r.x, r.y, r.w, bold, "corpus %s", s->path);
    viz_rect body = {r.x, r.y + 2, r.w, r.h - 2};
    int cw = (r.w - 2 * (s->n_sides - 1)) / s->n_sides;
    for (int k = 0; k < s->n_sides; k++) {
        int x = body.x + k * (cw + 2);
        draw_side(c, (viz_rect){x, body.y, k == s->n_sides - 1 ? r.x + r.w - x : cw, body.h}, s->names[k], &s->st[k],
                  s->n_sides > 1 ? &s->st[0] : NULL);
    }
}

static void stats_free(ui_pane *p) {
    free(p->state);
    p->state = NULL;
}

static int cmd_stats(ui_app *app, const char *args, char *err, size_t errlen) {
    ui_pane *p = ui_app_pane_of(app, &ui_stats_pane);
    ui_app_show(app, p);
    return ui_stats_cmd(app, p, args, err, errlen);
}

static const char *const stats_words[] = {"--max", "--vocab", NULL};

static const ui_cmd stats_cmds[] = {
    {.name = "stats", .args = "[--max N] [--vocab FILE]... CORPUS",
     .help = "token lengths, truncation, [UNK] and byte-fallback rates, fertility of a .txt (a text per line) or "
     ".jsonl corpus, for up to 3 tokenizers", .fn = cmd_stats, .words = stats_words},
    {0},
};

static int stats_init(ui_pane *p) { return (p->state = calloc(1, sizeof(stats_state))) ? BB_OK : BB_ENOMEM; }

const ui_pane_class ui_stats_pane = {
    .name = "stats",
    .help = "`stats [--max N] [--vocab FILE]... CORPUS`: token lengths, truncation, [UNK], bytes, fertility of up to 3 "
            "tokenizers",
    .cmds = stats_cmds,
    .init = stats_init,
    .free = stats_free,
    .draw = stats_draw,
    .text = stats_text,
};
