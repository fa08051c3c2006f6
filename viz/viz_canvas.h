/* viz_canvas.h — an in-memory grid of terminal cells that every bertbench picture is drawn into.
 *
 * A canvas is what htop calls a RichString, in two dimensions: each cell holds one code point (plus
 * one combining mark), its display width, a foreground and background colour (xterm-256 index, or
 * VIZ_DEFAULT) and attributes. Wide characters (CJK, emoji) take two cells: the lead cell has
 * width 2 and the cell after it width 0. Nothing here knows about curses; workbench/ copies canvases into
 * windows, and the exporters write them as plain text, ANSI text or SVG, so pictures are testable.
 *
 *     viz_canvas c;
 *     viz_canvas_init(&c, 40, 3, err, sizeof err);
 *     viz_put(&c, 0, 0, 40, "token ##ization", (viz_style){VIZ_DEFAULT, 24, VIZ_BOLD});
 *     char *txt = viz_canvas_text_dup(&c);   // "token ##ization\n\n\n"
 *     free(txt); viz_canvas_free(&c);
 *
 * c.ascii = 1 asks renderers for ASCII glyphs (non-UTF-8 locales); viz_put then writes '?' for
 * every non-ASCII code point, one per display column.
 */
#ifndef BB_VIZ_CANVAS_H
#define BB_VIZ_CANVAS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum { VIZ_DEFAULT = -1 }; /* the terminal's default colour */

enum {
    VIZ_BOLD = 1,
    VIZ_DIM = 2,
    VIZ_UNDERLINE = 4,
    VIZ_REVERSE = 8,
};

typedef struct {
    int16_t fg, bg; /* xterm-256 colour index or VIZ_DEFAULT */
    uint8_t attr;   /* VIZ_BOLD | ... */
} viz_style;

typedef struct {
    uint32_t cp;   /* code point; ' ' for an empty cell */
    uint32_t mark; /* one combining mark drawn on cp, 0 if none */
    int16_t fg, bg;
    uint8_t attr;
    uint8_t width; /* 1; 2 for the lead cell of a wide char; 0 for the cell it covers */
} viz_cell;

typedef struct {
    int x, y, w, h;
} viz_rect;

typedef struct {
    int w, h;
    int ascii;       /* 1: renderers use ASCII glyphs only */
    viz_cell *cells; /* (h, w) */
} viz_canvas;

#define VIZ_PLAIN ((viz_style){VIZ_DEFAULT, VIZ_DEFAULT, 0})

int viz_canvas_init(viz_canvas *c, int w, int h, char *err, size_t errlen);
void viz_canvas_free(viz_canvas *c);
/* Reallocates to w x h and clears. */
int viz_canvas_resize(viz_canvas *c, int w, int h, char *err, size_t errlen);
void viz_canvas_clear(viz_canvas *c);
/* Fills a rectangle (clipped to the canvas) with code point cp (width 1) in style st. */
void viz_fill(viz_canvas *c, viz_rect r, uint32_t cp, viz_style st);
/* Writes one code point at (x, y); returns the columns used (0 when it does not fit in the canvas
 * or, for a wide char, in the one column left). A zero-width code point becomes the mark of the
 * cell to its left. */
int viz_putc(viz_canvas *c, int x, int y, uint32_t cp, viz_style st);
/* Writes UTF-8 text at (x, y) using at most maxw columns; stops before a char that would not fit.
 * Control characters are drawn as U+FFFD ('?' in ASCII mode). Returns the columns used. */
int viz_put(viz_canvas *c, int x, int y, int maxw, const char *utf8, viz_style st);
/* Writes fields[0..n-1] one after another from (x, y) within maxw columns, each whole or not at
 * all: the first is cut as viz_put cuts, the others stop at the first that does not fit (a status
 * line or a row of key hints loses its last entries rather than showing half of one). Returns the
 * columns used. */
int viz_put_fields(viz_canvas *c, int x, int y, int maxw, const char *const *fields, int n, viz_style st);
/* Like viz_put with a printf format. */
int viz_printf(viz_canvas *c, int x, int y, int maxw, viz_style st, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
/* Sets style (not glyphs) over a rectangle; attrs are OR-ed in when or_attr is 1. */
void viz_restyle(viz_canvas *c, viz_rect r, viz_style st, int or_attr);

/* Display width of one code point (0, 1 or 2) and of UTF-8 text (nbytes < 0: up to NUL). */
int viz_cp_width(uint32_t cp);
int viz_text_width(const char *utf8, long nbytes);
/* Decodes one UTF-8 code point from s (n bytes left); returns the bytes consumed (>= 1) and
 * stores U+FFFD for an invalid sequence. */
int viz_utf8_next(const char *s, long n, uint32_t *cp);

const viz_cell *viz_cell_at(const viz_canvas *c, int x, int y);

/* Exports. The _dup functions return a malloc'd NUL-terminated string the caller frees (NULL on
 * out of memory). Text: one line per row, trailing blanks trimmed, '\n' after each row. ANSI: the
 * same with SGR colour/attribute sequences (256-colour). SVG: a standalone picture. */
char *viz_canvas_text_dup(const viz_canvas *c);
char *viz_canvas_ansi_dup(const viz_canvas *c);
char *viz_canvas_svg_dup(const viz_canvas *c);
/* Writes the canvas to path: .svg -> SVG, .ansi -> ANSI text, anything else -> plain text. */
int viz_canvas_save(const viz_canvas *c, const char *path, char *err, size_t errlen);

/* The RGB value (0xRRGGBB) of an xterm-256 colour index; fallback when idx is VIZ_DEFAULT. */
uint32_t viz_rgb(int idx, uint32_t fallback);

#endif
