/* Workbench logic without a terminal: command table, pair splitting, completion, layout rectangles,
 * colour-mode choice (NO_COLOR), and the tokens pane drawn by ui_app_draw into a canvas. */
#define NCURSES_WIDECHAR 1
#include <curses.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "ui_app.h"
#include "ui_cmd.h"
#include "ui_pane_attn.h"
#include "ui_term.h"
#include "ui_screen.h"

static void key(ui_app *app, int k) {
    ui_pane *p = ui_app_focused(app);
    ui_pane_key(app, p, k);
    ui_app_wait_jobs(app);
}

/* Neuron view, logit lens and `x` on bert_tiny_a, checked against the engine's own numbers. */
static void test_attention_views(ui_app *app, const char *fx) {
    char err[512], dir[1024];
    snprintf(dir, sizeof dir, "%s/bert_tiny_a", fx);
    CHECK_OK(ui_app_load(app, dir, err, sizeof err), err);
    ui_app_wait_jobs(app);
    CHECK(app->model && strstr(app->msg, "2 layers x 4 heads"), "model loaded: %s", app->msg);
    CHECK(ui_cmd_run(app, "attn the cat sat on the mat") == BB_OK, "attn runs");
    ui_app_wait_jobs(app);
    CHECK(strcmp(ui_app_focused(app)->cls->name, "attention") == 0, "attention focused");
    infer_attn at;
    CHECK_OK(infer_attention(app->cx, "the cat sat on the mat", NULL, &at, NULL, err, sizeof err), err);
    /* ] . j j: layer 1, head 1, query 2 ("cat"); n computes the neuron view on the worker */
    key(app, ']');
    key(app, '.');
    key(app, 'j');
    key(app, 'j');
    key(app, 'n');
    char *t = screen(app);
    CHECK(t && strstr(t, "view neuron") && strstr(t, "query 2 cat (layer 1 head 1): q.k/sqrt(d), softmax, key k, q*k"), "neuron view:\n%s",
          t ? t : "");
    /* every key row's softmax is the captured attention probability of layer 1, head 1, row 2 */
    const float *p = infer_attn_head(&at, 1, 1) + 2 * at.T;
    for (int k = 0; k < at.T && t; k++) {
        char row[64];
        snprintf(row, sizeof row, "%3d %-10.10s ", k, at.enc->tokens[k]);
        char *line = strstr(t, row);
        char want[16];
        snprintf(want, sizeof want, "%6.3f", (double)p[k]);
        CHECK(line && strstr(line, want) && strstr(line, want) < strchr(line, '\n'), "key %d softmax %s", k, want);
    }
    free(t);
    /* v until the lens view; l computes the lens of the cursor's token */
    key(app, 'v');
    key(app, 'l');
    t = screen(app);
    infer_lens lens;
    CHECK_OK(infer_logit_lens(app->cx, "the cat sat on the mat", 2, 5, &lens, err, sizeof err), err);
    char want[128];
    snprintf(want, sizeof want, "L1    %s %.2f", tok_id_to_token(app->tk, lens.ids[2 * 5]), (double)lens.probs[2 * 5]);
    CHECK(t && strstr(t, "view logit lens") && strstr(t, "token 2 cat: the MLM head's top 5") && strstr(t, want),
          "logit lens (%s):\n%s", want, t ? t : "");
    infer_lens_free(&lens);
    free(t);
    /* x masks "cat": attention and fill-mask recompute on "the [MASK] sat on the mat" */
    key(app, 'x');
    CHECK(strstr(app->msg, "masked token 2: the [MASK] sat on the mat") != NULL, "x message: %s", app->msg);
    key(app, 'v'); /* back to the heatmap */
    t = screen(app);
    CHECK(t && strstr(t, "2 [MASK]") && strstr(t, "view heatmap"), "heatmap row of the mask:\n%s", t ? t : "");
    free(t);
    CHECK(ui_cmd_run(app, "pane fill-mask") == BB_OK, "pane fill-mask");
    t = screen(app);
    infer_fill fm;
    CHECK_OK(infer_fill_mask(app->cx, "the [MASK] sat on the mat", 10, NULL, 0, &fm, err, sizeof err), err);
    CHECK(t && strstr(t, "[MASK] #0 (token 2): ") && strstr(t, fm.masks[0].preds[0].token_str),
          "fill-mask recomputed for the masked text (top %s):\n%s", fm.masks[0].preds[0].token_str, t ? t : "");
    infer_fill_free(&fm);
    free(t);
    infer_attn_free(&at);
}

/* Screen line that starts (inside the pane border) with prefix, or NULL. */
static const char *line_with(const char *t, const char *prefix) {
    for (const char *l = t; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        const char *p = l;
        while (*p == ' ' || *p == '|' || (unsigned char)*p >= 0x80) p++; /* the border glyph */
        if (strncmp(p, prefix, strlen(prefix)) == 0) return l;
    }
    return NULL;
}

/* Layer toggles: the solo rule, rollout over the layers left on, and the model view's rows
 * (bert_tiny_a: 2 layers x 4 heads). Runs after test_attention_views (the attention pane focused). */
static void test_layer_toggles(ui_app *app) {
    unsigned char off[4] = {0, 1, 0, 0};
    ui_attn_solo(off, 4, 2);
    CHECK(!off[2] && off[0] && off[1] && off[3], "solo 2 turns the others off");
    ui_attn_solo(off, 4, 2);
    CHECK(!off[0] && !off[1] && !off[2] && !off[3], "solo of the only one on turns all on");
    ui_attn_solo(off, 4, 7);
    CHECK(!off[0] && !off[1] && !off[2] && !off[3], "out of range changes nothing");

    char err[512];
    infer_attn at;
    CHECK_OK(infer_attention(app->cx, "the cat sat", NULL, &at, NULL, err, sizeof err), err);
    int T = at.T;
    size_t TT = (size_t)T * T;
    float *r = malloc(sizeof(float) * TT);
    unsigned char loff[2] = {0, 0};
    double d = 0;
    CHECK_OK(infer_attn_rollout_subset(r, &at, loff, 2, 1), "rollout");
    for (size_t i = 0; i < TT; i++) d = fmax(d, fabs((double)r[i] - at.rollout[TT + i]));
    CHECK(d < 1e-5, "all layers on: the engine's rollout (max diff %g)", d);
    /* layer 0 off: rollout to layer 1 is layer 1's own (A + I) / 2, which is the engine's rollout at 0 for layer 1 alone */
    loff[0] = 1;
    CHECK_OK(infer_attn_rollout_subset(r, &at, loff, 2, 1), "rollout without layer 0");
    d = 0;
    for (int i = 0; i < T; i++)
        for (int j = 0; j < T; j++)
            d = fmax(d, fabs((double)r[i * T + j] - (0.5 * at.mean_heads[TT + (size_t)i * T + j] + (i == j ? 0.5 : 0))));
    CHECK(d < 1e-6, "layer 0 off: (A_1 + I) / 2 (max diff %g)", d);
    loff[1] = 1;
    CHECK_OK(infer_attn_rollout_subset(r, &at, loff, 2, 1), "rollout of no layers");
    d = 0;
    for (int i = 0; i < T; i++)
        for (int j = 0; j < T; j++) d = fmax(d, fabs((double)r[i * T + j] - (i == j)));
    CHECK(d == 0, "every layer off: the identity");
    free(r);
    infer_attn_free(&at);

    CHECK(ui_cmd_run(app, "pane attention") == BB_OK && ui_cmd_run(app, "attn the cat sat") == BB_OK, "attn");
    ui_app_wait_jobs(app);
    /* the model view at layer 1: both layers' rows, then O solos layer 1 */
    for (int i = 0; i < 6; i++) {
        char *t = screen(app);
        int model = t && strstr(t, "view model");
        free(t);
        if (model) break;
        key(app, 'v');
    }
    char *t = screen(app);
    CHECK(t && strstr(t, "view model") && line_with(t, "L0 ") && line_with(t, "L1 "), "model view, both layers:\n%s",
          t ? t : "");
    free(t);
    while (1) {
        t = screen(app);
        int at1 = t && strstr(t, "layer 1/1");
        free(t);
        if (at1) break;
        key(app, ']');
    }
    key(app, 'O');
    t = screen(app);
    CHECK(t && strstr(t, "layer 1/1 (1 of 2 on)") && !line_with(t, "L0 ") && line_with(t, "L1 "),
          "O: only layer 1's thumbnails:\n%s", t ? t : "");
    free(t);
    /* [ visits layer 0 (off, shown grey while selected); T turns it back on */
    key(app, '[');
    t = screen(app);
    CHECK(t && strstr(t, "layer 0/1 (off; 1 of 2 on)") && line_with(t, "L0 ") && line_with(t, "L1 "),
          "[ selects layer 0, shown while selected:\n%s", t ? t : "");
    free(t);
    key(app, ']');
    t = screen(app);
    CHECK(t && !line_with(t, "L0 "), "layer 0 hidden again once not selected:\n%s", t ? t : "");
    free(t);
    key(app, '[');
    key(app, 'T');
    key(app, ']');
    t = screen(app);
    CHECK(t && strstr(t, "layer 1/1  head") && line_with(t, "L0 ") && line_with(t, "L1 "), "T turned layer 0 on:\n%s",
          t ? t : "");
    free(t);
    /* rollout with layer 0 off says so */
    key(app, '[');
    key(app, 'T');
    key(app, ']');
    for (int i = 0; i < 3; i++) {
        t = screen(app);
        int roll = t && strstr(t, "rollout");
        free(t);
        if (roll) break;
        key(app, 'm');
    }
    t = screen(app);
    CHECK(t && strstr(t, "rollout (layers off skipped)"), "rollout header:\n%s", t ? t : "");
    free(t);
    key(app, 'O'); /* layer 1 was the only one on: all back on */
    t = screen(app);
    CHECK(t && strstr(t, "layer 1/1  head") && line_with(t, "L0 "), "O again: all layers on:\n%s", t ? t : "");
    free(t);
}

/* stats: the pane reads the corpus and computes as `tokenize --stats` does (tok_read_texts +
 * tok_stats_compute: a blank line is an empty text) and shows both tokenizers. */
static void test_stats(ui_app *app, const char *fx) {
    char err[512], path[] = "/tmp/bb_ui_stats_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0, "temp file");
    if (fd < 0) return;
    FILE *f = fdopen(fd, "w");
    fputs("hello\n\nworld\n", f);
    fclose(f);
    char one[2048];
    snprintf(one, sizeof one, "stats %s", path);
    CHECK(ui_cmd_run(app, one) == BB_OK, "stats runs");
    ui_app_wait_jobs(app);
    char *t = screen(app);
    CHECK(t && strstr(t, "3 texts, "), "hello, blank, world: 3 texts as tokenize --stats counts:\n%s", t ? t : "");
    free(t);
    f = fopen(path, "w");
    const char *lines[] = {"The cat sat on the mat.", "Tokenization is the process of splitting sequence to tokens",
                           "a", "Zwölf Boxkämpfer jagen Viktor quer über den großen Sylter Deich ☃ ☃ ☃",
                           "one two three four five six seven eight nine ten eleven twelve thirteen fourteen"};
    for (int i = 0; i < 5; i++) fprintf(f, "%s\n\n", lines[i]);
    fclose(f);
    char **texts;
    long n;
    CHECK_OK(tok_read_texts(path, 0, &texts, &n, NULL, err, sizeof err), err);
    CHECK(n == 10, "10 texts (blank lines are empty texts), got %ld", n);
    tok_stats a;
    CHECK_OK(tok_stats_compute(app->tk, (const char *const *)texts, n, 12, &a, NULL, err, sizeof err), err);
    tok_texts_free(texts, n);
    char want[96], count[32];
    ui_fmt_count(count, sizeof count, a.n_tokens);
    snprintf(want, sizeof want, "10 texts, %s tokens", count);

    char cmd[2048];
    snprintf(cmd, sizeof cmd, "stats --max 12 --vocab %s/tokenizer/bpe_brown_tokenizer.json %s", fx, path);
    CHECK(ui_cmd_run(app, cmd) == BB_OK, "stats runs");
    ui_app_wait_jobs(app);
    t = screen(app);
    CHECK(t && strstr(t, "current (WordPiece, vocab 30522)") && strstr(t, "bpe_brown_tokenizer.json (byte-level BPE") &&
              strstr(t, "tokens vs current: x1.000") && strstr(t, "tokens vs current: x1.483") && strstr(t, want) && strstr(t, "over max length 12:") && strstr(t, "fertility"),
          "stats pane:\n%s", t ? t : "");
    free(t);
    CHECK(ui_cmd_run(app, "stats /nonexistent/corpus.txt") == BB_OK, "stats queued");
    ui_app_wait_jobs(app);
    CHECK(app->msg_error && strstr(app->msg, "/nonexistent/corpus.txt"), "missing corpus reported: %s", app->msg);
    unlink(path);
}

/* compare: two tokenizers (aligned segments), then a model against itself (no attention change). */
static void test_compare(ui_app *app, const char *fx) {
    char cmd[2048];
    CHECK(ui_cmd_run(app, "compare the cat") != BB_OK && strstr(app->msg, "--vocab FILE"), "compare needs a B first");
    snprintf(cmd, sizeof cmd, "compare --vocab %s/tokenizer/bpe_brown_tokenizer.json Tokenization is na\xc3\xafve", fx);
    CHECK(ui_cmd_run(app, cmd) == BB_OK, "compare --vocab runs");
    ui_app_wait_jobs(app);
    char *t = screen(app);
    CHECK(t && strstr(t, "A current (WordPiece, vocab 30522): 6 tokens, 0 [UNK]") &&
              strstr(t, "B bpe_brown_tokenizer.json (byte-level BPE, vocab 8000)") &&
              strstr(t, "<s> Tokenization is na\xc3\xafve </s>"),
          "compare chips:\n%s", t ? t : "");
    CHECK(t && strstr(t, "\xe2\x94\x82na\xc3\xafve ") && strstr(t, "naive") && strstr(t, "\xc4\xa0n a \xc3\x83 \xc2\xaf ve"),
          "segment row of naïve:\n%s", t ? t : "");
    free(t);
    /* compare TEXT reuses B */
    CHECK(ui_cmd_run(app, "compare hello") == BB_OK, "compare TEXT");
    ui_app_wait_jobs(app);
    t = screen(app);
    CHECK(t && strstr(t, "B bpe_brown_tokenizer.json") && strstr(t, "A current (WordPiece, vocab 30522): 3 tokens"),
          "B kept:\n%s", t ? t : "");
    free(t);
    /* three tokenizers: every split, and segments where all three agree */
    snprintf(cmd, sizeof cmd,
             "compare --vocab %s/tokenizer/bpe_brown_tokenizer.json --vocab %s/tokenizer/wordpiece_brown_cased_tokenizer.json "
             "Tokenization is na\xc3\xafve",
             fx, fx);
    CHECK(ui_cmd_run(app, cmd) == BB_OK, "three-way compare runs");
    ui_app_wait_jobs(app);
    t = screen(app);
    CHECK(t && strstr(t, "A current (WordPiece, vocab 30522): 6 tokens") && strstr(t, "B bpe_brown_tokenizer.json") &&
              strstr(t, "C wordpiece_brown_cased_tokenizer.json (WordPiece") && strstr(t, "C pieces") &&
              strstr(t, "\xc4\xa0n a \xc3\x83 \xc2\xaf ve"),
          "three-way compare:\n%s", t ? t : "");
    CHECK(strstr(app->msg, "C ") && strstr(app->msg, "tokens"), "message counts three: %s", app->msg);
    free(t);
    /* a SentencePiece side: byte-fallback pieces chip as the character they spell, raw in the segments */
    snprintf(cmd, sizeof cmd, "compare --vocab %s/sentencepiece/bpe_bytefallback_4k.model rare \xf0\xa0\xae\xb7 ok", fx);
    CHECK(ui_cmd_run(app, cmd) == BB_OK, "compare with a .model runs");
    ui_app_wait_jobs(app);
    t = screen(app);
    if (getenv("SHOWSCREEN")) fprintf(stderr, "%s\n", t);
    CHECK(t && strstr(t, "B bpe_bytefallback_4k.model (SentencePiece BPE, vocab 4000)") &&
              strstr(t, " \xf0\xa0\xae\xb7 ") && strstr(t, "<0xF0> <0xA0> <0xAE> <0xB7>"),
          "SentencePiece side:\n%s", t ? t : "");
    free(t);
    snprintf(cmd, sizeof cmd, "compare --model %s/bert_tiny_a the capital of france is [MASK].", fx);
    CHECK(ui_cmd_run(app, cmd) == BB_OK, "compare --model runs");
    ui_app_wait_jobs(app);
    t = screen(app);
    CHECK(t && strstr(t, "A and B split the text into the same pieces.") && strstr(t, "fill-mask, mask #0") &&
              strstr(t, "most: L0 h0 = 0.000") && strstr(t, "L1    0.000  0.000  0.000  0.000") &&
              strstr(t, "B has no tokenizer files: it uses A's (bert-base-uncased-vocab.txt)"),
          "same model: identical splits, zero attention change:\n%s", t ? t : "");
    free(t);
}

/* The info and compare panes share one key table: one line, ten a page, never above the top. */
static void test_scroll_keys(ui_app *app) {
    const char *names[] = {"info", "compare"};
    for (int i = 0; i < 2; i++) {
        ui_pane *p = ui_app_pane(app, names[i]);
        CHECK(p && p->cls->keys == ui_scroll_keys, "%s pane scrolls with ui_scroll_keys", names[i]);
        if (!p) continue;
        p->scroll = 0;
        CHECK(ui_pane_key(app, p, UI_KEY(KEY_NPAGE)) == (UI_HANDLED | UI_REDRAW) && p->scroll == 10, "%s: PgDn",
              names[i]);
        ui_pane_key(app, p, UI_KEY(KEY_DOWN));
        ui_pane_key(app, p, 'j');
        CHECK(p->scroll == 12, "%s: down and j, one line each (%d)", names[i], p->scroll);
        ui_pane_key(app, p, UI_KEY(KEY_UP));
        ui_pane_key(app, p, 'k');
        ui_pane_key(app, p, UI_KEY(KEY_PPAGE));
        CHECK(p->scroll == 0, "%s: up, k, PgUp (%d)", names[i], p->scroll);
        CHECK(ui_pane_key(app, p, UI_KEY(KEY_PPAGE)) == UI_HANDLED && p->scroll == 0,
              "%s: not above the top, nothing to redraw (%d)", names[i], p->scroll);
        CHECK(ui_pane_key(app, p, 'x') == UI_IGNORED && p->scroll == 0, "%s: other keys ignored", names[i]);
    }
}

int main(void) {
    /* fixtures first: a SKIP must not hide failures of the checks that do not need them */
    const char *fx = check_fixtures();
    char err[512];
    ui_app app;
    CHECK_OK(ui_app_init(&app, NULL, NULL, err, sizeof err), err);
    CHECK(strstr(app.msg, "load DIR") != NULL, "empty start says how to load: %s", app.msg);

    CHECK(ui_cmd_find("attn") == ui_cmd_find("attention") && ui_cmd_find("attn"), "alias");
    CHECK(ui_cmd_find("nope") == NULL, "unknown command");
    char pair[] = "the cat ||| a dog";
    char *b = ui_split_pair(pair);
    CHECK(b && strcmp(pair, "the cat") == 0 && strcmp(b, "a dog") == 0, "pair split: '%s' '%s'", pair, b ? b : "");

    char **m = ui_cmd_complete("lay", 0, 3, "lay", &app);
    CHECK(m && strcmp(m[0], "layout") == 0 && !m[1], "complete a command");
    for (int i = 0; m && m[i]; i++) free(m[i]);
    free(m);
    m = ui_cmd_complete("pane att", 5, 8, "att", &app);
    CHECK(m && strcmp(m[0], "attention") == 0, "complete a pane name");
    for (int i = 0; m && m[i]; i++) free(m[i]);
    free(m);
    CHECK(ui_cmd_complete("load /tm", 5, 8, "/tm", &app) == NULL, "paths fall back to file names");

    viz_rect r[4];
    int panes[4];
    app.layout = UI_LAYOUT_GRID;
    CHECK(ui_app_layout_rects(&app, 100, 30, r, panes) == 4, "grid has 4 panes");
    CHECK(r[0].w + r[1].w == 100 && r[0].h + r[2].h == 27 && r[3].x == 50 && r[3].y == 14, "grid rects");
    app.zoom = 1;
    CHECK(ui_app_layout_rects(&app, 100, 30, r, panes) == 1 && r[0].w == 100, "zoom fills the screen");
    app.zoom = 0;
    app.layout = UI_LAYOUT_SINGLE;
    test_scroll_keys(&app);

    CHECK(ui_term_pick_mode(1, 256, "1", NULL) == UI_MONO, "NO_COLOR wins");
    CHECK(ui_term_pick_mode(1, 256, "", NULL) == UI_COLOR256, "empty NO_COLOR is ignored");
    CHECK(ui_term_pick_mode(1, 8, NULL, NULL) == UI_COLOR8, "8 colours");
    CHECK(ui_term_pick_mode(1, 256, NULL, "mono") == UI_MONO, "override");
    CHECK(viz_nearest8(196) == 1 && viz_nearest8(21) == 4 && viz_nearest8(231) == 7, "nearest of 8");
    CHECK(viz_colour_256(VIZ_COLOUR(VIZ_C_ERROR)) == 196 && viz_colour_8(VIZ_COLOUR(VIZ_C_ERROR)) == 1 &&
              viz_colour_mono(VIZ_COLOUR(VIZ_C_ERROR)) == VIZ_BOLD, "theme: error is 196, red, bold");
    CHECK(viz_colour_256(42) == 42 && viz_colour_8(VIZ_DEFAULT) == -1 && viz_colour_mono(42) == 0, "plain xterm indices");
    /* the raw loss stays apart from the smoothed line (drawn bold in its run's colour) without colour */
    CHECK((viz_colour_mono(VIZ_COLOUR(VIZ_C_RAW)) & VIZ_DIM) && viz_colour_8(VIZ_COLOUR(VIZ_C_RAW)) != viz_colour_8(viz_run_colour(0)),
          "raw loss: dim, and not the run's 8-colour fallback");
    CHECK(viz_colour_mono(VIZ_COLOUR(VIZ_C_CHIP_A00)) != viz_colour_mono(VIZ_COLOUR(VIZ_C_CHIP_A01)) &&
              viz_colour_8(VIZ_COLOUR(VIZ_C_CHIP_B00)) != viz_colour_8(VIZ_COLOUR(VIZ_C_CHIP_B01)),
          "chip pieces alternate in mono and 8 colours");
    for (int i = 0; i < VIZ_C_COUNT; i++)
        CHECK(viz_theme[i].name && viz_theme[i].c256 >= 0 && viz_theme[i].c256 < 256 && viz_theme[i].c8 < 8,
              "theme entry %d complete", i);

    /* too small: a polite message, no panes */
    viz_canvas c;
    CHECK_OK(viz_canvas_init(&c, 70, 20, err, sizeof err), err);
    CHECK(ui_app_draw(&app, &c) == -1, "no cursor when too small");
    char *t = viz_canvas_text_dup(&c);
    CHECK(t && strstr(t, "needs at least 80x24; this one is 70x20"), "too-small message");
    free(t);
    viz_canvas_free(&c);

    /* with a vocabulary: live text goes to the tokens pane */
    char vocab[1024];
    snprintf(vocab, sizeof vocab, "%s/vocab/bert-base-uncased-vocab.txt", fx);
    CHECK_OK(ui_app_load_vocab(&app, vocab, err, sizeof err), err);
    CHECK(ui_cmd_live_text(&app, "tok hello world", NULL) && strcmp(ui_cmd_live_text(&app, "tok hello world", NULL), "hello world") == 0,
          "live text of tok");
    CHECK(ui_cmd_live_text(&app, "mask a [MASK]", NULL) == NULL, "no live text for other commands");
    CHECK(ui_cmd_run(&app, "tokenize Tokenization is the process") == BB_OK, "tokenize runs");
    CHECK_OK(viz_canvas_init(&c, 100, 30, err, sizeof err), err);
    ui_app_draw(&app, &c);
    t = viz_canvas_text_dup(&c);
    CHECK(t && strstr(t, "[CLS] token##ization is the process [SEP]"), "chips on screen:\n%s", t ? t : "");
    CHECK(t && strstr(t, "7 tokens"), "count on screen");
    free(t);
    /* plain text is the focused pane's action: tokens tokenizes it, info has none */
    CHECK(ui_cmd_run(&app, "frobnicate") == BB_OK, "plain text tokenized in the tokens pane");
    CHECK(ui_cmd_run(&app, "pane info") == BB_OK && strcmp(ui_app_focused(&app)->cls->name, "info") == 0, "pane info");
    CHECK(ui_cmd_run(&app, "frobnicate") != BB_OK && app.msg_error, "unknown command is an error message");
    CHECK(ui_cmd_run(&app, "attention the cat") != BB_OK && strstr(app.msg, "load"), "attention without a model says to load");
    viz_canvas_free(&c);
    test_stats(&app, fx);
    test_attention_views(&app, fx);
    test_layer_toggles(&app);
    test_compare(&app, fx);
    ui_app_free(&app);
    return check_done();
}
