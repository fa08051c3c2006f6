/* viz_theme.h — the one colour table (htop's CRT_colors): every colour bertbench draws has a name,
 * and each name has an xterm-256 index, an 8-colour fallback and a monochrome attribute.
 *
 * Pictures store a name, not a number: VIZ_COLOUR(VIZ_C_ERROR) is a colour value a viz_style takes
 * (fg or bg) like an xterm index. Whoever shows the canvas resolves it for its medium: the exporters
 * (SVG, ANSI) and a 256-colour terminal take the index, an 8-colour terminal the fallback, and a
 * monochrome one the attribute, so that what colour says (a chip's piece, a sign, an error) is still
 * said without it.
 *
 *     viz_put(c, x, y, w, "error", (viz_style){VIZ_COLOUR(VIZ_C_ERROR), VIZ_DEFAULT, VIZ_BOLD});
 *     viz_colour_256(VIZ_COLOUR(VIZ_C_ERROR));   // 196
 *     viz_colour_8(VIZ_COLOUR(VIZ_C_ERROR));     // 1 (red)
 *     viz_colour_mono(VIZ_COLOUR(VIZ_C_ERROR));  // VIZ_BOLD
 *
 * Plain xterm indices (0..255) still work: 8 colours then take the nearest, mono nothing.
 */
#ifndef BB_VIZ_THEME_H
#define BB_VIZ_THEME_H

#include <stdint.h>

typedef enum {
    /* bars around the panes */
    VIZ_C_BAR,          /* tab bar and status line background and text */
    VIZ_C_BAR_TEXT,
    VIZ_C_BAR_NAME,     /* " bertbench " */
    VIZ_C_BAR_NAME_BG,
    VIZ_C_TAB_SHOWN,    /* a pane shown in a slot */
    VIZ_C_TAB_HIDDEN,   /* a pane not shown */
    VIZ_C_FOCUS,        /* the focused tab, "PANE", a focused border */
    VIZ_C_ON_ACCENT,    /* text on an accent background (black) */
    VIZ_C_BUSY,         /* the worker's spinner label; a live run */
    VIZ_C_MESSAGE,      /* an informational message */
    VIZ_C_ERROR_BG,     /* an error message */
    VIZ_C_BORDER,       /* an unfocused pane's border */
    VIZ_C_BORDER_FOCUS, /* the focused pane's border */
    /* text */
    VIZ_C_ERROR,
    VIZ_C_WARN,         /* something cut, skipped or differing */
    VIZ_C_GOOD,
    VIZ_C_MUTED,        /* off, paused, secondary */
    VIZ_C_BADGE,        /* behind a status word that is not busy (finished, stopped, loading) */
    VIZ_C_HEADING,
    VIZ_C_SELECTED_BG,  /* a selected thumbnail */
    /* token chips: segment A/B x word parity x piece parity, then specials and [UNK] */
    VIZ_C_CHIP_TEXT,
    VIZ_C_CHIP_A00, VIZ_C_CHIP_A01, VIZ_C_CHIP_A10, VIZ_C_CHIP_A11,
    VIZ_C_CHIP_B00, VIZ_C_CHIP_B01, VIZ_C_CHIP_B10, VIZ_C_CHIP_B11,
    VIZ_C_CHIP_SPECIAL,
    VIZ_C_CHIP_UNK,
    VIZ_C_CHIP_CUT,     /* a token past the effective max length */
    VIZ_C_WORD0, VIZ_C_WORD1, /* pre-tokenizer word chips, alternating */
    /* heat ramp, dark to bright (viz_heat_colour) */
    VIZ_C_HEAT0, VIZ_C_HEAT1, VIZ_C_HEAT2, VIZ_C_HEAT3, VIZ_C_HEAT4,
    VIZ_C_HEAT5, VIZ_C_HEAT6, VIZ_C_HEAT7, VIZ_C_HEAT8, VIZ_C_HEAT9,
    /* bars, signs, plots */
    VIZ_C_BAR_FILL,
    VIZ_C_BAR_HIGHLIGHT,
    VIZ_C_POSITIVE,
    VIZ_C_NEGATIVE,
    VIZ_C_AXIS,
    VIZ_C_MARK,         /* vertical marks (epochs) */
    VIZ_C_RAW,          /* a raw series under its smoothed line */
    VIZ_C_SPIKE,
    VIZ_C_EVAL,
    VIZ_C_CURSOR,       /* the training plots' value cursor and its readout */
    VIZ_C_RUN0, VIZ_C_RUN1, VIZ_C_RUN2, VIZ_C_RUN3, VIZ_C_RUN4, VIZ_C_RUN5,
    /* confusion matrix cells, faint to strong: right (diagonal) and wrong */
    VIZ_C_RIGHT0, VIZ_C_RIGHT1, VIZ_C_RIGHT2, VIZ_C_RIGHT3, VIZ_C_RIGHT4,
    VIZ_C_WRONG0, VIZ_C_WRONG1, VIZ_C_WRONG2, VIZ_C_WRONG3, VIZ_C_WRONG4,
    VIZ_C_COUNT
} viz_colour_name;

enum { VIZ_THEME_BASE = 256, VIZ_RUN_COLOURS = 6 };
#define VIZ_COLOUR(name) ((int16_t)(VIZ_THEME_BASE + (name)))

typedef struct {
    const char *name; /* as a person would call it: "error", "chip-a00" */
    int16_t c256;     /* xterm-256 index */
    int8_t c8;        /* 0..7 (black red green yellow blue magenta cyan white), -1: the default */
    uint8_t mono;     /* VIZ_BOLD | VIZ_DIM | VIZ_UNDERLINE | VIZ_REVERSE without colour */
} viz_theme_entry;

extern const viz_theme_entry viz_theme[VIZ_C_COUNT];

/* A colour value (xterm index, VIZ_COLOUR(name) or VIZ_DEFAULT) resolved for a medium: an xterm-256
 * index or -1; an 8-colour index or -1; the attributes that stand for it without colour. */
int viz_colour_256(int colour);
int viz_colour_8(int colour);
uint8_t viz_colour_mono(int colour);
/* The nearest of the 8 basic colours to an xterm-256 index (-1 for -1). */
int viz_nearest8(int idx);
/* The colour of run i (runs overlaid in one plot). */
int16_t viz_run_colour(int i);

#endif
