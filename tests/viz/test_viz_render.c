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
    CHECK(s0.bg == 90, "[CLS] purple");
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
    CHECK(viz_token_style(&u, 0).bg == 160, "[UNK] red");
    CHECK(viz_token_style(&u, 1).bg >= 94, "segment B hue");

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

int main(void) {
    test_tokens();
    test_heatmap();
    test_bars();
    test_box_and_thumb();
    return check_done();
}
