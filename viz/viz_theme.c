/* The colour table: name -> xterm-256 index, 8-colour fallback, monochrome attribute. */
#include "viz_theme.h"

#include "viz_canvas.h"

enum { BLACK, RED, GREEN, YELLOW, BLUE, MAGENTA, CYAN, WHITE, DEF = -1 };
enum { B = VIZ_BOLD, D = VIZ_DIM, U = VIZ_UNDERLINE, R = VIZ_REVERSE };

/* Chips alternate their monochrome attribute per piece (reverse, underline), so the pieces of one
 * word stay apart without colour; segment B adds bold. The heat ramp has no attribute: its glyphs
 * (shades) carry the scale. */
const viz_theme_entry viz_theme[VIZ_C_COUNT] = {
    [VIZ_C_BAR] = {"bar", 236, BLUE, 0},
    [VIZ_C_BAR_TEXT] = {"bar-text", 252, WHITE, 0},
    [VIZ_C_BAR_NAME] = {"bar-name", 231, WHITE, B},
    [VIZ_C_BAR_NAME_BG] = {"bar-name-bg", 24, CYAN, R},
    [VIZ_C_TAB_SHOWN] = {"tab-shown", 231, WHITE, B},
    [VIZ_C_TAB_HIDDEN] = {"tab-hidden", 246, DEF, D},
    [VIZ_C_FOCUS] = {"focus", 214, YELLOW, R | B},
    [VIZ_C_ON_ACCENT] = {"on-accent", 16, BLACK, 0},
    [VIZ_C_BUSY] = {"busy", 79, GREEN, R},
    [VIZ_C_MESSAGE] = {"message", 229, YELLOW, 0},
    [VIZ_C_ERROR_BG] = {"error-bg", 124, RED, R | B},
    [VIZ_C_BORDER] = {"border", 242, DEF, 0},
    [VIZ_C_BORDER_FOCUS] = {"border-focus", 214, YELLOW, B},
    [VIZ_C_ERROR] = {"error", 196, RED, B},
    [VIZ_C_WARN] = {"warn", 214, YELLOW, B},
    [VIZ_C_GOOD] = {"good", 79, GREEN, 0},
    [VIZ_C_MUTED] = {"muted", 244, DEF, D},
    [VIZ_C_BADGE] = {"badge", 244, WHITE, R},
    [VIZ_C_HEADING] = {"heading", 250, WHITE, B},
    [VIZ_C_SELECTED_BG] = {"selected-bg", 236, BLUE, U},
    [VIZ_C_CHIP_TEXT] = {"chip-text", 231, WHITE, 0},
    [VIZ_C_CHIP_A00] = {"chip-a-word0-piece0", 24, BLUE, R},
    [VIZ_C_CHIP_A01] = {"chip-a-word0-piece1", 31, CYAN, U},
    [VIZ_C_CHIP_A10] = {"chip-a-word1-piece0", 29, CYAN, R},
    [VIZ_C_CHIP_A11] = {"chip-a-word1-piece1", 36, BLUE, U},
    [VIZ_C_CHIP_B00] = {"chip-b-word0-piece0", 94, YELLOW, R | B},
    [VIZ_C_CHIP_B01] = {"chip-b-word0-piece1", 136, GREEN, U | B},
    [VIZ_C_CHIP_B10] = {"chip-b-word1-piece0", 130, GREEN, R | B},
    [VIZ_C_CHIP_B11] = {"chip-b-word1-piece1", 172, YELLOW, U | B},
    [VIZ_C_CHIP_SPECIAL] = {"chip-special", 90, MAGENTA, B},
    [VIZ_C_CHIP_UNK] = {"chip-unk", 160, RED, B | R},
    [VIZ_C_CHIP_CUT] = {"chip-cut", 237, BLACK, D},
    [VIZ_C_WORD0] = {"word0", 238, BLUE, R},
    [VIZ_C_WORD1] = {"word1", 240, CYAN, U},
    [VIZ_C_HEAT0] = {"heat0", 238, BLUE, 0},
    [VIZ_C_HEAT1] = {"heat1", 60, BLUE, 0},
    [VIZ_C_HEAT2] = {"heat2", 61, BLUE, 0},
    [VIZ_C_HEAT3] = {"heat3", 67, BLUE, 0},
    [VIZ_C_HEAT4] = {"heat4", 31, CYAN, 0},
    [VIZ_C_HEAT5] = {"heat5", 37, CYAN, 0},
    [VIZ_C_HEAT6] = {"heat6", 72, GREEN, 0},
    [VIZ_C_HEAT7] = {"heat7", 107, GREEN, 0},
    [VIZ_C_HEAT8] = {"heat8", 149, YELLOW, 0},
    [VIZ_C_HEAT9] = {"heat9", 226, YELLOW, B},
    [VIZ_C_BAR_FILL] = {"bar-fill", 39, CYAN, 0},
    [VIZ_C_BAR_HIGHLIGHT] = {"bar-highlight", 214, YELLOW, B},
    [VIZ_C_POSITIVE] = {"positive", 39, BLUE, 0},
    [VIZ_C_NEGATIVE] = {"negative", 203, RED, U},
    [VIZ_C_AXIS] = {"axis", 244, DEF, 0},
    [VIZ_C_MARK] = {"mark", 240, DEF, D},
    [VIZ_C_RAW] = {"raw", 242, DEF, D},
    [VIZ_C_SPIKE] = {"spike", 196, RED, B},
    [VIZ_C_EVAL] = {"eval", 214, YELLOW, B},
    [VIZ_C_CURSOR] = {"cursor", 226, YELLOW, B},
    [VIZ_C_RUN0] = {"run0", 39, CYAN, B},
    [VIZ_C_RUN1] = {"run1", 213, MAGENTA, 0},
    [VIZ_C_RUN2] = {"run2", 118, GREEN, 0},
    [VIZ_C_RUN3] = {"run3", 208, YELLOW, 0},
    [VIZ_C_RUN4] = {"run4", 51, BLUE, 0},
    [VIZ_C_RUN5] = {"run5", 226, WHITE, 0},
    [VIZ_C_RIGHT0] = {"right0", 22, GREEN, 0},
    [VIZ_C_RIGHT1] = {"right1", 28, GREEN, 0},
    [VIZ_C_RIGHT2] = {"right2", 34, GREEN, 0},
    [VIZ_C_RIGHT3] = {"right3", 40, GREEN, 0},
    [VIZ_C_RIGHT4] = {"right4", 46, GREEN, 0},
    [VIZ_C_WRONG0] = {"wrong0", 52, RED, 0},
    [VIZ_C_WRONG1] = {"wrong1", 88, RED, 0},
    [VIZ_C_WRONG2] = {"wrong2", 124, RED, 0},
    [VIZ_C_WRONG3] = {"wrong3", 160, RED, 0},
    [VIZ_C_WRONG4] = {"wrong4", 196, RED, U},
};

static const viz_theme_entry *entry(int colour) {
    int k = colour - VIZ_THEME_BASE;
    return k >= 0 && k < VIZ_C_COUNT ? &viz_theme[k] : NULL;
}

int viz_colour_256(int colour) {
    const viz_theme_entry *e = entry(colour);
    if (e) return e->c256;
    return colour >= 0 && colour < 256 ? colour : -1;
}

int viz_nearest8(int idx) {
    if (idx < 0) return -1;
    if (idx < 16) return idx & 7;
    uint32_t rgb = viz_rgb(idx, 0);
    int r = (int)(rgb >> 16), g = (int)(rgb >> 8 & 255), b = (int)(rgb & 255);
    /* Colour when one channel stands out, else black/white by brightness. */
    int mx = r > g ? (r > b ? r : b) : (g > b ? g : b), mn = r < g ? (r < b ? r : b) : (g < b ? g : b);
    if (mx - mn < 48) return (r + g + b) / 3 > 110 ? WHITE : BLACK;
    int t = (mx + mn) / 2;
    return (r > t ? RED : 0) | (g > t ? GREEN : 0) | (b > t ? BLUE : 0);
}

int viz_colour_8(int colour) {
    const viz_theme_entry *e = entry(colour);
    if (e) return e->c8;
    return colour >= 0 && colour < 256 ? viz_nearest8(colour) : -1;
}

uint8_t viz_colour_mono(int colour) {
    const viz_theme_entry *e = entry(colour);
    return e ? e->mono : 0;
}

int16_t viz_run_colour(int i) { return VIZ_COLOUR(VIZ_C_RUN0 + (i < 0 ? 0 : i) % VIZ_RUN_COLOURS); }
