/* The cell canvas: display widths, wide chars, clipping, and the three exports. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "viz_canvas.h"

static char *text(const viz_canvas *c) { return viz_canvas_text_dup(c); }

static void expect(const viz_canvas *c, const char *want, int line) {
    char *got = text(c);
    CHECK(got && strcmp(got, want) == 0, "line %d: canvas\n%s---- want\n%s----", line, got ? got : "(null)",
          want);
    free(got);
}

int main(void) {
    char err[256];
    viz_canvas c;
    CHECK_OK(viz_canvas_init(&c, 10, 3, err, sizeof err), err);

    /* widths: ASCII 1, CJK and emoji 2, combining mark 0 */
    CHECK(viz_text_width("abc", -1) == 3, "ascii");
    CHECK(viz_text_width("\xe6\xbc\xa2\xe5\xad\x97", -1) == 4, "two CJK ideographs are 4 columns");
    CHECK(viz_text_width("\xf0\x9f\x98\x80", -1) == 2, "emoji is 2 columns");
    CHECK(viz_text_width("e\xcc\x81", -1) == 1, "e + combining acute is 1 column");

    /* plain put, and clipping by maxw: "hello" in 3 columns */
    CHECK(viz_put(&c, 0, 0, 3, "hello", VIZ_PLAIN) == 3, "clipped to 3");
    /* a wide char does not fit in the last column: dropped, not split */
    CHECK(viz_put(&c, 7, 0, 10, "ab\xe6\xbc\xa2", VIZ_PLAIN) == 2, "wide char at the edge dropped");
    /* wide chars take two cells; the covered cell has width 0 */
    CHECK(viz_put(&c, 0, 1, 10, "\xe6\xbc\xa2x\xf0\x9f\x98\x80", VIZ_PLAIN) == 5, "CJK x emoji = 5 cols");
    CHECK(viz_cell_at(&c, 0, 1)->width == 2 && viz_cell_at(&c, 1, 1)->width == 0, "lead + covered cell");
    /* combining mark attaches to the previous cell */
    viz_put(&c, 0, 2, 10, "cafe\xcc\x81!", VIZ_PLAIN);
    CHECK(viz_cell_at(&c, 3, 2)->mark == 0x301 && viz_cell_at(&c, 4, 2)->cp == '!', "mark on 'e'");
    expect(&c, "hel    ab\n\xe6\xbc\xa2x\xf0\x9f\x98\x80\ncafe\xcc\x81!\n", __LINE__);
    /* fields: whole or not at all after the first, which is cut as viz_put cuts */
    {
        viz_canvas f;
        CHECK_OK(viz_canvas_init(&f, 10, 1, err, sizeof err), err);
        const char *const kv[] = {"ab", "  cd", "  efgh", "  ij"};
        CHECK(viz_put_fields(&f, 0, 0, 9, kv, 4, VIZ_PLAIN) == 6, "ab  cd: '  efgh' would need 10 columns");
        CHECK(viz_cell_at(&f, 6, 0)->cp == ' ', "nothing of efgh drawn");
        viz_canvas_clear(&f);
        CHECK(viz_put_fields(&f, 0, 0, 1, kv, 4, VIZ_PLAIN) == 1, "the first field cut to 1 column");
        viz_canvas_free(&f);
    }

    /* overwriting half of a wide char blanks the other half */
    viz_putc(&c, 1, 1, 'Z', VIZ_PLAIN);
    expect(&c, "hel    ab\n Zx\xf0\x9f\x98\x80\ncafe\xcc\x81!\n", __LINE__);

    /* control characters never reach the terminal */
    viz_canvas_clear(&c);
    viz_put(&c, 0, 0, 10, "a\tb\x1b", VIZ_PLAIN);
    expect(&c, "a\xef\xbf\xbd" "b\xef\xbf\xbd\n\n\n", __LINE__);

    /* ASCII mode: non-ASCII becomes '?' per column */
    c.ascii = 1;
    viz_canvas_clear(&c);
    viz_put(&c, 0, 0, 10, "\xe6\xbc\xa2" "e\xcc\x81x", VIZ_PLAIN);
    expect(&c, "??ex\n\n\n", __LINE__);
    c.ascii = 0;

    /* ANSI: SGR for colour and attributes, reset at the end of the line */
    viz_canvas_clear(&c);
    viz_put(&c, 0, 0, 10, "ab", (viz_style){231, 24, VIZ_BOLD});
    viz_put(&c, 2, 0, 10, "c", VIZ_PLAIN);
    char *ansi = viz_canvas_ansi_dup(&c);
    CHECK(ansi && strcmp(ansi, "\x1b[0;1;38;5;231;48;5;24mab\x1b[0mc\x1b[0m\n\n\n") == 0, "ansi: %s", ansi);
    free(ansi);

    /* SVG: background rect in the colour of index 24 (#005f87) and escaped text */
    viz_put(&c, 4, 1, 10, "<&>", VIZ_PLAIN);
    char *svg = viz_canvas_svg_dup(&c);
    CHECK(svg && strncmp(svg, "<svg ", 5) == 0 && strstr(svg, "</svg>"), "svg document");
    CHECK(svg && strstr(svg, "fill=\"#005f87\""), "svg uses xterm colour 24");
    CHECK(svg && strstr(svg, "&lt;") && strstr(svg, "&amp;") && strstr(svg, "&gt;"), "svg escapes");
    free(svg);

    /* xterm palette */
    CHECK(viz_rgb(16, 0) == 0x000000 && viz_rgb(231, 0) == 0xffffff && viz_rgb(232, 0) == 0x080808,
          "palette");
    CHECK(viz_rgb(VIZ_DEFAULT, 0x123456) == 0x123456, "default colour falls back");

    /* save picks the format from the extension; errors name the path */
    char path[] = "/tmp/bb_viz_testXXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0, "mkstemp");
    if (fd >= 0) close(fd);
    CHECK_OK(viz_canvas_save(&c, path, err, sizeof err), err);
    FILE *f = fopen(path, "r");
    char buf[64] = "";
    if (f) {
        CHECK(fgets(buf, sizeof buf, f) != NULL, "read back");
        fclose(f);
    }
    CHECK(strcmp(buf, "abc\n") == 0, "saved text: %s", buf);
    unlink(path);
    CHECK(viz_canvas_save(&c, "/nonexistent-dir/x.svg", err, sizeof err) != 0 &&
              strstr(err, "/nonexistent-dir/x.svg"),
          "save error names the path: %s", err);

    /* bad sizes are errors, not crashes */
    viz_canvas d;
    CHECK(viz_canvas_init(&d, -1, 3, err, sizeof err) != 0, "negative width rejected");
    viz_canvas_free(&d);
    viz_canvas_free(&c);
    return check_done();
}
