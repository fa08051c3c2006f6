/* viz.h — renderers: plain data (arrays of tokens, float matrices, rankings) -> a viz_canvas.
 *
 * Each renderer draws inside a rectangle of the canvas and never outside it, takes its scroll
 * position and cursor from the caller, and picks Unicode or ASCII glyphs from c->ascii. They know
 * nothing about the engine's structs, so the UI, the exporters and the tests feed them the same way:
 *
 *     viz_tokens t = {.n = 3, .tokens = toks, .ids = ids, .word_ids = wids, .unk_id = 100,
 *                     .cont_prefix = "##"};
 *     viz_token_chips(&canvas, (viz_rect){0, 0, 80, 4}, &t, 0, 0);
 *
 * Colours are names from the theme (viz_theme.h); the UI maps them to 256 or 8 colours or to attributes.
 */
#ifndef BB_VIZ_H
#define BB_VIZ_H

#include "viz_canvas.h"
#include "viz_theme.h"

/* ---- glyphs ---- */
/* Shade for a fraction in [0,1]: " ░▒▓█" (" .:-=+*#%@" in ASCII). */
uint32_t viz_shade_glyph(const viz_canvas *c, float frac);
/* A colour from the heat ramp (dark -> bright) for a fraction in [0,1]. */
int viz_heat_colour(float frac);
/* Draws a box border around r with an optional title in the top edge. */
void viz_box(viz_canvas *c, viz_rect r, const char *title, viz_style st);

/* ---- tokens ---- */
typedef struct {
    int n;                        /* number of tokens */
    const char *const *tokens;    /* (n) UTF-8 token strings */
    const int *ids;               /* (n) vocabulary ids */
    const int *starts, *ends;     /* (n) offsets [start, end) in code points; NULL: not shown */
    const int *word_ids;          /* (n) word index, -1 for special tokens; NULL: one word each */
    const int *type_ids;          /* (n) segment 0 (A) or 1 (B); NULL: all A */
    const unsigned char *special; /* (n) 1 for special tokens; NULL: none */
    int unk_id;                   /* the [UNK] id, flagged; -1: none */
    const char *cont_prefix;      /* "##" for WordPiece: drawn dim; NULL: none */
    const char *const *display;   /* (n) chip text instead of tokens[i]; a NULL entry joins token i
                                     to the chip before it (viz_bytelevel_display); NULL: tokens */
    const unsigned char *cut;     /* (n) 1 for a token past the max length, drawn greyed after a
                                     scissors marker and flagged "cut" in the table; NULL: none */
} viz_tokens;

enum { VIZ_TOK_WHITESPACE = 1 }; /* draw ' ' '\t' '\n' in tokens as ⋅ → ↵ */

/* The style of token i's chip: alternating per word, shaded per piece, segment B in another hue,
 * special tokens purple, [UNK] red, cut tokens grey. */
viz_style viz_token_style(const viz_tokens *t, int i);
/* Chips: the tokens in reading order, wrapped to r.w; pieces of one word joined without a gap.
 * Skips the first `scroll` lines. Returns the number of lines the whole chip text needs. */
int viz_token_chips(viz_canvas *c, viz_rect r, const viz_tokens *t, int flags, int scroll);
/* Table: index, token, id, offsets, word, type; header row, then rows from `scroll`; row `sel`
 * (or -1) reversed. Returns the number of data rows (t->n). */
int viz_token_table(viz_canvas *c, viz_rect r, const viz_tokens *t, int flags, int scroll, int sel);
/* Copies src into dst (cap bytes, NUL-terminated) with whitespace made visible when flags has
 * VIZ_TOK_WHITESPACE; returns dst. */
char *viz_visible_ws(char *dst, size_t cap, const char *src, int flags, int ascii);
/* Byte-level BPE pieces as text: each character of a token stands for one byte (GPT-2's
 * bytes_to_unicode, 'Ġ' = ' '). Decodes tokens[0..n) to bytes and groups the tokens whose boundary
 * falls inside a UTF-8 character or a grapheme cluster ("ï" split in two bytes, an emoji with a skin
 * tone), so each group shows whole graphemes: display[i] is the group's text for the first token of a
 * group and NULL for the tokens joined to it. Special tokens (special[i] != 0; special may be NULL)
 * stay alone and as written, as does a token with a character that is not a byte. Returns the malloc'd
 * storage of the strings (the caller frees it after the last use of display), NULL when out of memory. */
char *viz_bytelevel_display(const char *const *tokens, const unsigned char *special, int n, const char **display);
/* SentencePiece: display strings where a run of <0xXX> byte pieces becomes the characters it spells
 * (the first byte piece of each character carries it, the others are NULL: one chip); other pieces
 * as they are. Returns the storage (the caller frees it), NULL when out of memory. */
char *viz_spm_display(const char *const *tokens, const unsigned char *special, int n, const char **display);
/* Words as a row of chips separated by a gap (the pre-tokenizer's output). Returns lines used. */
int viz_word_chips(viz_canvas *c, viz_rect r, const char *const *words, int n, int flags);

/* ---- heatmap ---- */
typedef struct {
    int rows, cols;
    const float *v;                       /* (rows, cols) row-major */
    const char *const *row_labels;        /* (rows) or NULL */
    const char *const *col_labels;        /* (cols) or NULL */
    float vmax;                           /* value drawn full; <= 0: the matrix's max */
    int cur_r, cur_c;                     /* cursor cell, -1 for none */
    int row0, col0;                       /* first visible row/col; updated to keep the cursor visible */
    int cellw;                            /* columns per cell (1 or 2) */
    int fit;                              /* 1: when the matrix is larger than r, each cell is the mean
                                             of a k x k block so the whole matrix fits (overview) */
} viz_heatmap;

/* Draws labels, an index ruler, the cells, the column labels written downwards under their columns
 * (up to VIZ_HEAT_COL_LABEL rows, leaving the matrix at least 4; not in the overview) and a footer line
 * with the cursor's exact value. Returns the block size k (1 unless fit shrank the matrix). */
enum { VIZ_HEAT_COL_LABEL = 8 };
int viz_heatmap_draw(viz_canvas *c, viz_rect r, viz_heatmap *h);
/* The heatmap's scale, right-aligned to end before column `right` of row y: "scale 0", the ramp's
 * shades in their colours, then vmax; drawn only when it leaves two columns free after `left` (where
 * the text before it ends). Returns the columns it took (0: not drawn). */
int viz_heat_legend(viz_canvas *c, int left, int right, int y, float vmax);
/* A small picture of a matrix (max-pooled to fit r); `selected` draws it highlighted. */
void viz_heat_thumb(viz_canvas *c, viz_rect r, const float *v, int rows, int cols, float vmax,
                    int selected);

/* ---- ranking bars ---- */
typedef struct {
    int n;
    const char *const *labels; /* (n) */
    const float *values;       /* (n), >= 0 */
    float vmax;                /* value of a full bar; <= 0: the largest value */
    int highlight;             /* row drawn bold, -1 none */
    int percent;               /* 1: values printed as percentages, 0: as %.4f, 2: as whole counts */
} viz_bars;

/* One row per entry: label, bar (eighth blocks, '#' in ASCII), value. Returns rows drawn. */
int viz_bars_draw(viz_canvas *c, viz_rect r, const viz_bars *b, int scroll);

#endif
