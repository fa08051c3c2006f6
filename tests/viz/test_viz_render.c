/* Renderers compared to expected text: token chips and table, heatmap, ranking bars, ASCII mode. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "viz.h"

static void expect(viz_canvas *c, const char *want, int line) {
    char *got = viz_canvas_text_dup(c);
    CHECK(got && strcmp(got, want) == 0, "line %d: canvas\n%s---- want\n%s----", line, got ? got : "(null)",
          want);
    free(got);
}

/* "Tokenization is the process of splitting sequence to tokens" with bert-base-uncased. */
static const char *toks[] = {"[CLS]", "token", "##ization", "is", "the", "process", "of",
                             "splitting", "sequence", "to", "token", "##s", "[SEP]"};
static const int ids[] = {101, 19204, 3989, 2003, 1996, 2832, 1997, 14541, 5537, 2000, 19204, 2015, 102};
static const int starts[] = {0, 0, 5, 13, 16, 20, 28, 31, 41, 50, 53, 58, 0};
static const int ends[] = {0, 5, 12, 15, 19, 27, 30, 40, 49, 52, 58, 59, 0};
static const int words[] = {-1, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 8, -1};
static const unsigned char special[] = {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

static void test_tokens(void) {
    char err[256];
    viz_canvas c;
    CHECK_OK(viz_canvas_init(&c, 40, 4, err, sizeof err), err);
    viz_tokens t = {.n = 13, .tokens = toks, .ids = ids, .starts = starts, .ends = ends, .word_ids = words,
                    .special = special, .unk_id = 100, .cont_prefix = "##"};
    /* pieces of a word are joined; chips wrap at the rectangle's width */
    int lines = viz_token_chips(&c, (viz_rect){0, 0, 40, 4}, &t, 0, 0);
    CHECK(lines == 2, "chips need 2 lines, got %d", lines);
    expect(&c,
           "[CLS] token##ization is the process of\n"
           "splitting sequence to token##s [SEP]\n"
           "\n\n",
           __LINE__);
    /* styles: special purple, word 0 pieces two shades of one hue, [UNK] red */
    viz_style s0 = viz_token_style(&t, 0), s1 = viz_token_style(&t, 1), s2 = viz_token_style(&t, 2),
              s3 = viz_token_style(&t, 3);
    CHECK(s0.bg == VIZ_COLOUR(VIZ_C_CHIP_SPECIAL) && viz_colour_256(s0.bg) == 90, "[CLS] purple");
    CHECK(s1.bg != s2.bg && s1.bg != s3.bg, "piece and word shades differ: %d %d %d", s1.bg, s2.bg, s3.bg);
    CHECK(viz_cell_at(&c, 11, 0)->attr & VIZ_DIM, "'##' drawn dim");
    /* scrolling skips lines */
    viz_canvas_clear(&c);
    viz_token_chips(&c, (viz_rect){0, 0, 40, 4}, &t, 0, 1);
    expect(&c, "splitting sequence to token##s [SEP]\n\n\n\n", __LINE__);

    /* the table: header, rows from scroll, offsets and word ids, '-' for specials */
    viz_canvas_free(&c);
    CHECK_OK(viz_canvas_init(&c, 60, 4, err, sizeof err), err);
    viz_token_table(&c, (viz_rect){0, 0, 60, 4}, &t, 0, 0, -1);
    expect(&c,
           "   #  token         id  offsets     word type\n"
           "   0  [CLS]        101  [0,0)          -    0\n"
           "   1  token      19204  [0,5)          0    0\n"
           "   2  ##ization   3989  [5,12)         0    0\n",
           __LINE__);
    viz_canvas_clear(&c);
    viz_token_table(&c, (viz_rect){0, 0, 60, 4}, &t, 0, 10, 11);
    expect(&c,
           "   #  token         id  offsets     word type\n"
           "  10  token      19204  [53,58)        8    0\n"
           "  11  ##s         2015  [58,59)        8    0\n"
           "  12  [SEP]        102  [0,0)          -    0\n",
           __LINE__);
    CHECK(viz_cell_at(&c, 0, 2)->attr & VIZ_REVERSE, "selected row reversed");

    /* [UNK] flagged in the table; pair segment B in another hue */
    const char *ut[] = {"[UNK]", "b"};
    const int uid[] = {100, 1038}, uw[] = {0, 1}, ty[] = {0, 1};
    viz_tokens u = {.n = 2, .tokens = ut, .ids = uid, .word_ids = uw, .type_ids = ty, .unk_id = 100};
    viz_canvas_clear(&c);
    viz_token_table(&c, (viz_rect){0, 0, 60, 3}, &u, 0, 0, -1);
    expect(&c,
           "   #  token     id  offsets     word type\n"
           "   0  [UNK]    100                 0    0  unknown\n"
           "   1  b       1038                 1    1\n"
           "\n",
           __LINE__);
    CHECK(viz_colour_256(viz_token_style(&u, 0).bg) == 160, "[UNK] red");
    CHECK(viz_token_style(&u, 1).bg >= VIZ_COLOUR(VIZ_C_CHIP_B00) && viz_token_style(&u, 1).bg <= VIZ_COLOUR(VIZ_C_CHIP_B11), "segment B hue");

    /* whitespace made visible */
    char vis[32];
    CHECK(strcmp(viz_visible_ws(vis, sizeof vis, "a b\tc\n", VIZ_TOK_WHITESPACE, 0),
                 "a\xe2\x8b\x85" "b\xe2\x86\x92" "c\\n") == 0,
          "visible ws: %s", vis);
    CHECK(strcmp(viz_visible_ws(vis, sizeof vis, "a b\tc", VIZ_TOK_WHITESPACE, 1), "a.b>c") == 0, "ascii ws");
    CHECK(strcmp(viz_visible_ws(vis, sizeof vis, "a b", 0, 0), "a b") == 0, "off: unchanged");
    viz_canvas_free(&c);
}

static void test_heatmap(void) {
    char err[256];
    viz_canvas c;
    CHECK_OK(viz_canvas_init(&c, 30, 6, err, sizeof err), err);
    /* 3x3 attention: row i attends mostly to key (i+1)%3 */
    const float v[9] = {0.0f, 1.0f, 0.0f, 0.1f, 0.2f, 0.7f, 0.5f, 0.25f, 0.25f};
    const char *lab[] = {"a", "bb", "c"};
    viz_heatmap h = {.rows = 3, .cols = 3, .v = v, .row_labels = lab, .col_labels = lab, .vmax = 1,
                     .cur_r = 1, .cur_c = 2, .cellw = 2};
    viz_heatmap_draw(&c, (viz_rect){0, 0, 30, 6}, &h);
    /* shades (five glyphs): 0 blank; 0.1, 0.2, 0.25 light; 0.5 medium; 0.7 dark; 1 full */
    expect(&c,
           "     0   2\n"
           "0 a    \xe2\x96\x88\xe2\x96\x88\n"
           "1 bb \xe2\x96\x91\xe2\x96\x91\xe2\x96\x91\xe2\x96\x91\xe2\x96\x93\xe2\x96\x93\n"
           "2 c  \xe2\x96\x92\xe2\x96\x92\xe2\x96\x91\xe2\x96\x91\xe2\x96\x91\xe2\x96\x91\n"
           "\n"
           "q1 bb \xe2\x86\x92 k2 c = 0.7000\n",
           __LINE__);
    CHECK(viz_cell_at(&c, 9, 2)->attr & VIZ_REVERSE, "cursor cell reversed");

    /* ASCII glyphs (ten levels, rounded: 0.1 '.', 0.2 ':', 0.7 '*', 0.5 '=', 0.25 ':'), one column per
     * cell, and scrolling keeps the cursor visible */
    c.ascii = 1;
    viz_canvas_clear(&c);
    h.cellw = 1;
    h.cur_r = 2, h.cur_c = 0;
    viz_heatmap_draw(&c, (viz_rect){0, 0, 30, 4}, &h);
    expect(&c, "     0\n1 bb .:*\n2 c  =::\nq2 c -> k0 a = 0.5000\n\n\n", __LINE__);
    CHECK(h.row0 == 1, "scrolled to keep row 2 visible, row0=%d", h.row0);
    viz_canvas_free(&c);
}

static void test_bars(void) {
    char err[256];
    viz_canvas c;
    CHECK_OK(viz_canvas_init(&c, 30, 3, err, sizeof err), err);
    const char *lab[] = {"paris", "lyon", "a"};
    const float val[] = {0.5f, 0.25f, 0.0625f};
    viz_bars b = {.n = 3, .labels = lab, .values = val, .vmax = 0.5f, .highlight = -1, .percent = 1};
    CHECK(viz_bars_draw(&c, (viz_rect){0, 0, 30, 3}, &b, 0) == 3, "3 rows");
    /* bar width 30-5-8-2 = 15 columns: 1.0 -> 15 full, 0.5 -> 7.5, 0.125 -> 1.875 (eighths); ASCII
     * rounds 7.5 to 8 '#' */
    expect(&c,
           "paris \xe2\x96\x88\xe2\x96\x88\xe2\x96\x88\xe2\x96\x88\xe2\x96\x88\xe2\x96\x88\xe2\x96\x88"
           "\xe2\x96\x88\xe2\x96\x88\xe2\x96\x88\xe2\x96\x88\xe2\x96\x88\xe2\x96\x88\xe2\x96\x88\xe2\x96\x88"
           "  50.00%\n"
           " lyon \xe2\x96\x88\xe2\x96\x88\xe2\x96\x88\xe2\x96\x88\xe2\x96\x88\xe2\x96\x88\xe2\x96\x88\xe2\x96\x8c"
           "         25.00%\n"
           "    a \xe2\x96\x88\xe2\x96\x89                6.25%\n",
           __LINE__);
    c.ascii = 1;
    viz_canvas_clear(&c);
    viz_bars_draw(&c, (viz_rect){0, 0, 30, 3}, &b, 1);
    expect(&c, " lyon ########         25.00%\n    a ##                6.25%\n\n", __LINE__);
    viz_canvas_free(&c);
}

static void test_box_and_thumb(void) {
    char err[256];
    viz_canvas c;
    CHECK_OK(viz_canvas_init(&c, 12, 4, err, sizeof err), err);
    c.ascii = 1;
    viz_box(&c, (viz_rect){0, 0, 12, 4}, "tokens", VIZ_PLAIN);
    /* 4x4 identity max-pooled into 2x2: the diagonal stays full, the rest empty */
    const float eye[16] = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
    viz_heat_thumb(&c, (viz_rect){1, 1, 2, 2}, eye, 4, 4, 1, 0);
    expect(&c, "+ tokens --+\n|@         |\n| @        |\n+----------+\n", __LINE__);
    viz_canvas_free(&c);
}

/* Byte-level BPE pieces of "A naïve 😀 é" (bpe_brown_tokenizer.json): "ï" is split in two bytes,
 * the emoji in four, "e" + U+0301 in three pieces; each group is one chip of whole graphemes. */
static void test_bytelevel(void) {
    static const char *bt[] = {"<s>", "A", "\xc4\xa0n", "a", "\xc3\x83", "\xc2\xaf", "ve", "\xc4\xa0",
                               "\xc3\xb0", "\xc5\x81", "\xc4\xba", "\xc4\xa2", ("\xc4\xa0" "e"), "\xc3\x8c",
                               "\xc4\xa3", "</s>"};
    static const unsigned char bsp[] = {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    static const int bw[] = {-1, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 3, 3, 3, -1};
    enum { N = 16 };
    const char *disp[N];
    char *buf = viz_bytelevel_display(bt, bsp, N, disp);
    CHECK(buf != NULL, "display built");
    if (!buf) return;
    static const char *want[N] = {"<s>", "A", " n", "a", "\xc3\xaf", NULL, "ve", " ", "\xf0\x9f\x98\x80", NULL, NULL,
                                  NULL, " e\xcc\x81", NULL, NULL, "</s>"};
    for (int i = 0; i < N; i++)
        CHECK((!want[i] && !disp[i]) || (want[i] && disp[i] && strcmp(want[i], disp[i]) == 0), "display[%d] = '%s'",
              i, disp[i] ? disp[i] : "(joined)");
    char err[256];
    viz_canvas c;
    CHECK_OK(viz_canvas_init(&c, 40, 1, err, sizeof err), err);
    viz_tokens t = {.n = N, .tokens = bt, .word_ids = bw, .special = bsp, .unk_id = -1, .display = disp};
    viz_token_chips(&c, (viz_rect){0, 0, 40, 1}, &t, 0, 0);
    /* word-initial spaces are the gaps; the space piece before the emoji stays a (blank) chip */
    expect(&c, "<s> A na\xc3\xafve  \xf0\x9f\x98\x80 e\xcc\x81 </s>\n", __LINE__);
    /* n | a | ï (two tokens, one chip) | ve: every chip boundary inside the word changes the colour and
     * the monochrome attribute */
    for (int x = 6; x < 9; x++) {
        int b0 = viz_cell_at(&c, x, 0)->bg, b1 = viz_cell_at(&c, x + 1, 0)->bg;
        CHECK(b0 != b1 && viz_colour_mono(b0) != viz_colour_mono(b1) && viz_colour_8(b0) != viz_colour_8(b1),
              "piece boundary at column %d visible in 256, 8 and no colours", x + 1);
    }
    viz_canvas_clear(&c);
    viz_token_chips(&c, (viz_rect){0, 0, 40, 1}, &t, VIZ_TOK_WHITESPACE, 0);
    expect(&c, "<s> A \xe2\x8b\x85na\xc3\xafve \xe2\x8b\x85\xf0\x9f\x98\x80 \xe2\x8b\x85" "e\xcc\x81 </s>\n", __LINE__);
    viz_canvas_free(&c);
    free(buf);
    /* a token that is not byte-level text stays as written */
    const char *raw[] = {"[MASK]", "\xe4\xb8\x80"};
    buf = viz_bytelevel_display(raw, NULL, 2, disp);
    CHECK(buf && strcmp(disp[0], "[MASK]") == 0 && strcmp(disp[1], "\xe4\xb8\x80") == 0, "non-byte tokens kept");
    free(buf);
}

/* Tokens past the max length (8 of 13, cut on the right before the final [SEP]): greyed chips between
 * scissors, "cut" in the table; a wide heatmap shows its scale. */
static void test_cut_and_legend(void) {
    char err[256];
    viz_canvas c;
    CHECK_OK(viz_canvas_init(&c, 80, 16, err, sizeof err), err);
    static const unsigned char cut[13] = {0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 0};
    viz_tokens t = {.n = 13, .tokens = toks, .ids = ids, .starts = starts, .ends = ends, .word_ids = words,
                    .special = special, .unk_id = 100, .cont_prefix = "##", .cut = cut};
    viz_token_chips(&c, (viz_rect){0, 0, 80, 1}, &t, 0, 0);
    char *txt = viz_canvas_text_dup(&c);
    CHECK(txt && strncmp(txt, "[CLS] token##ization is the process of \xe2\x9c\x82 splitting sequence to token##s "
                              "\xe2\x9c\x82 [SEP]\n", strlen("[CLS] token##ization is the process of \xe2\x9c\x82 splitting "
                              "sequence to token##s \xe2\x9c\x82 [SEP]\n")) == 0, "scissors around the cut:\n%s", txt ? txt : "");
    free(txt);
    CHECK(viz_token_style(&t, 7).bg == VIZ_COLOUR(VIZ_C_CHIP_CUT) && viz_token_style(&t, 6).bg != VIZ_COLOUR(VIZ_C_CHIP_CUT),
          "cut tokens greyed");
    viz_canvas_clear(&c);
    viz_token_table(&c, (viz_rect){0, 0, 80, 14}, &t, 0, 0, -1);
    txt = viz_canvas_text_dup(&c);
    CHECK(txt && strstr(txt, "   7  splitting  14541  [31,40)        5    0  cut\n") &&
              strstr(txt, "   6  of          1997  [28,30)        4    0\n"), "table flags cut rows:\n%s", txt ? txt : "");
    free(txt);
    viz_canvas_clear(&c);
    static const float v[4] = {0.5f, 0.5f, 0.2f, 0.8f};
    const char *lab[] = {"a", "b"};
    viz_heatmap h = {.rows = 2, .cols = 2, .v = v, .row_labels = lab, .col_labels = lab, .cur_r = 0, .cur_c = 0, .cellw = 2};
    viz_heatmap_draw(&c, (viz_rect){0, 0, 80, 5}, &h);
    txt = viz_canvas_text_dup(&c);
    CHECK(txt && strstr(txt, "q0 a \xe2\x86\x92 k0 a = 0.5000") &&
              strstr(txt, "scale 0 \xe2\x96\x91\xe2\x96\x92\xe2\x96\x93\xe2\x96\x88\xe2\x96\x88 0.8\n"),
          "legend with the scale's top:\n%s", txt ? txt : "");
    free(txt);
    viz_canvas_free(&c);
}

/* 40x40 matrix, 1 on the diagonal: the overview averages 4x4 blocks so it fits 10 rows. */
static void test_heatmap_fit(void) {
    char err[256];
    viz_canvas c;
    CHECK_OK(viz_canvas_init(&c, 80, 12, err, sizeof err), err);
    c.ascii = 1;
    static float v[40 * 40];
    for (int i = 0; i < 40; i++) v[i * 40 + i] = 1;
    viz_heatmap h = {.rows = 40, .cols = 40, .v = v, .cur_r = 37, .cur_c = 37, .cellw = 2, .fit = 1};
    int k = viz_heatmap_draw(&c, (viz_rect){0, 0, 80, 12}, &h);
    CHECK(k == 4, "block size %d, want 4", k);
    char *txt = viz_canvas_text_dup(&c);
    /* every block on the diagonal holds 4 ones of 16 cells: mean 0.25, drawn full (the max) */
    CHECK(txt && strstr(txt, "\n 0 @\n 4  @\n") && strstr(txt, "\n36          @\n"), "diagonal blocks:\n%s",
          txt ? txt : "");
    CHECK(txt && strstr(txt, "q37  -> k37  = 1.0000  (overview: 4x4 blocks, block mean 0.2500)"), "footer:\n%s",
          txt ? txt : "");
    free(txt);
    h.fit = 0;
    viz_canvas_clear(&c);
    CHECK(viz_heatmap_draw(&c, (viz_rect){0, 0, 80, 12}, &h) == 1, "no overview: cells 1:1");
    CHECK(h.row0 == 37 - 9, "scrolled to keep the cursor: row0 %d", h.row0);
    viz_canvas_free(&c);
}

int main(void) {
    test_bytelevel();
    test_cut_and_legend();
    test_heatmap_fit();
    test_tokens();
    test_heatmap();
    test_bars();
    test_box_and_thumb();
    return check_done();
}
