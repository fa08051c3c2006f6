/* Token chips and the token table; byte-level BPE pieces grouped into whole graphemes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "viz.h"

static int word_of(const viz_tokens *t, int i) { return t->word_ids ? t->word_ids[i] : i; }
static int is_special(const viz_tokens *t, int i) { return t->special && t->special[i]; }

/* Token i continues the word of token i-1 (a "##" piece, or a BPE piece inside a word). */
static int continues(const viz_tokens *t, int i) {
    if (i == 0 || !t->word_ids || is_special(t, i) || is_special(t, i - 1)) return 0;
    return t->word_ids[i] >= 0 && t->word_ids[i] == t->word_ids[i - 1] &&
           (!t->type_ids || t->type_ids[i] == t->type_ids[i - 1]);
}

/* Token i starts a chip: it is not joined to the one before it by the display grouping. */
static int starts_chip(const viz_tokens *t, int i) { return !t->display || t->display[i]; }

static int is_cut(const viz_tokens *t, int i) { return t->cut && t->cut[i]; }

viz_style viz_token_style(const viz_tokens *t, int i) {
    /* (segment, word parity, piece parity) -> background; the theme gives each a monochrome
     * attribute that alternates per piece too */
    static const int bg[2][2][2] = {{{VIZ_C_CHIP_A00, VIZ_C_CHIP_A01}, {VIZ_C_CHIP_A10, VIZ_C_CHIP_A11}},
                                    {{VIZ_C_CHIP_B00, VIZ_C_CHIP_B01}, {VIZ_C_CHIP_B10, VIZ_C_CHIP_B11}}};
    if (is_cut(t, i)) return (viz_style){VIZ_COLOUR(VIZ_C_MUTED), VIZ_COLOUR(VIZ_C_CHIP_CUT), 0};
    if (t->unk_id >= 0 && t->ids && t->ids[i] == t->unk_id)
        return (viz_style){VIZ_COLOUR(VIZ_C_CHIP_TEXT), VIZ_COLOUR(VIZ_C_CHIP_UNK), VIZ_BOLD};
    if (is_special(t, i)) return (viz_style){VIZ_COLOUR(VIZ_C_CHIP_TEXT), VIZ_COLOUR(VIZ_C_CHIP_SPECIAL), VIZ_BOLD};
    int seg = t->type_ids && t->type_ids[i] ? 1 : 0;
    int w = word_of(t, i);
    /* count chips, not tokens: byte-level pieces joined into one grapheme chip are one piece */
    int piece = 0;
    for (int k = i; k > 0 && continues(t, k); k--) piece += starts_chip(t, k - 1);
    return (viz_style){VIZ_COLOUR(VIZ_C_CHIP_TEXT), VIZ_COLOUR(bg[seg][(w < 0 ? 0 : w) & 1][piece & 1]), 0};
}

char *viz_visible_ws(char *dst, size_t cap, const char *src, int flags, int ascii) {
    if (cap == 0) return dst;
    size_t o = 0;
    for (const char *s = src; *s; s++) {
        const char *rep = NULL;
        if (flags & VIZ_TOK_WHITESPACE) {
            if (*s == ' ') rep = ascii ? "." : "\xe2\x8b\x85";       /* ⋅ */
            else if (*s == '\t') rep = ascii ? ">" : "\xe2\x86\x92"; /* → */
            else if (*s == '\n') rep = "\\n";
            else if (*s == '\r') rep = "\\r";
        }
        char one[2] = {*s, 0};
        if (!rep) rep = one;
        size_t k = strlen(rep);
        if (o + k + 1 > cap) break;
        memcpy(dst + o, rep, k);
        o += k;
    }
    dst[o] = 0;
    return dst;
}

/* Moves (*x, *y) to where a chip `width` columns wide goes after a gap of `gap` columns, wrapping
 * to the next line of r when it does not fit. */
static void place(viz_rect r, int *x, int *y, int width, int gap) {
    if (*x > 0 && *x + gap + width > r.w) {
        *x = 0;
        (*y)++;
    } else if (*x > 0) {
        *x += gap;
    }
}

int viz_token_chips(viz_canvas *c, viz_rect r, const viz_tokens *t, int flags, int scroll) {
    int x = 0, y = 0;
    size_t plen = t->cont_prefix ? strlen(t->cont_prefix) : 0;
    for (int i = 0; i < t->n; i++) {
        if (!starts_chip(t, i)) continue;
        const char *src = t->display ? t->display[i] : t->tokens[i];
        /* A word-initial byte-level piece starts with its space: the gap before the chip shows it,
         * unless whitespace is made visible (or the piece is nothing but the space). */
        if (t->display && !(flags & VIZ_TOK_WHITESPACE) && src[0] == ' ' && src[1]) src++;
        char vis[256];
        viz_visible_ws(vis, sizeof vis, src, flags, c->ascii);
        int w = viz_text_width(vis, -1);
        if (w > r.w) w = r.w;
        if (i > 0 && is_cut(t, i) != is_cut(t, i - 1)) {
            /* the truncation boundary: a marker of its own between the kept and the cut tokens */
            const char *mark = c->ascii ? "%<" : "\xe2\x9c\x82"; /* ✂ */
            int mw = viz_text_width(mark, -1);
            place(r, &x, &y, mw, 1);
            if (y - scroll >= 0 && y - scroll < r.h)
                viz_put(c, r.x + x, r.y + y - scroll, mw, mark, (viz_style){VIZ_COLOUR(VIZ_C_WARN), VIZ_DEFAULT, VIZ_BOLD});
            x += mw;
            place(r, &x, &y, w, 1);
        } else {
            place(r, &x, &y, w, continues(t, i) ? 0 : 1);
        }
        int row = y - scroll;
        if (row >= 0 && row < r.h) {
            viz_style st = viz_token_style(t, i);
            const char *s = vis;
            int col = r.x + x;
            if (plen && strncmp(s, t->cont_prefix, plen) == 0 && !is_special(t, i)) {
                viz_style ps = st;
                ps.attr |= VIZ_DIM;
                char pre[16];
                snprintf(pre, sizeof pre, "%.*s", (int)plen, s);
                col += viz_put(c, col, r.y + row, w, pre, ps);
                s += plen;
            }
            viz_put(c, col, r.y + row, r.x + x + w - col, s, st);
        }
        x += w;
    }
    return t->n ? y + 1 : 0;
}

/* GPT-2's bytes_to_unicode inverse: the byte a code point stands for, or -1. Bytes that are printable
 * Latin-1 map to themselves; the other 68 map, in order, to U+0100.. */
static int byte_of(uint32_t cp) {
    if ((cp >= 33 && cp <= 126) || (cp >= 161 && cp <= 172) || (cp >= 174 && cp <= 255)) return (int)cp;
    if (cp < 256 || cp >= 256 + 68) return -1;
    int k = (int)cp - 256;
    for (int b = 0; b < 256; b++) {
        int printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
        if (!printable && k-- == 0) return b;
    }
    return -1;
}

char *viz_bytelevel_display(const char *const *tokens, const unsigned char *special, int n, const char **display) {
    /* buf holds the decoded bytes of every token back to back; each group is later copied out with a
     * NUL into out. start[i] is token i's first byte in buf. */
    size_t total = 0;
    for (int i = 0; i < n; i++) total += strlen(tokens[i]);
    char *buf = malloc(total + 1), *out = malloc(total + (size_t)n + 1);
    size_t *start = malloc(sizeof(size_t) * ((size_t)n + 1));
    unsigned char *brk = calloc(total + 1, 1);
    unsigned char *raw = calloc((size_t)n + 1, 1);
    if (!buf || !out || !start || !brk || !raw) {
        free(buf), free(out), free(start), free(brk), free(raw);
        return NULL;
    }
    size_t nb = 0;
    for (int i = 0; i < n; i++) {
        start[i] = nb;
        const char *s = tokens[i];
        long len = (long)strlen(s);
        raw[i] = special && special[i];
        for (long p = 0; p < len && !raw[i];) {
            uint32_t cp;
            p += viz_utf8_next(s + p, len - p, &cp);
            int b = byte_of(cp);
            if (b < 0) raw[i] = 1;
            else buf[nb++] = (char)b;
        }
        if (raw[i]) {
            nb = start[i];
            memcpy(buf + nb, s, (size_t)len);
            nb += (size_t)len;
        }
    }
    start[n] = nb;
    /* Grapheme boundaries of the decoded bytes: brk[p] = 1 when a cluster starts at byte p. */
    utf8proc_int32_t prev = -1, state = 0;
    for (size_t p = 0; p < nb;) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)buf + p, (utf8proc_ssize_t)(nb - p), &cp);
        if (k < 1) { /* an invalid byte stands alone */
            brk[p++] = 1;
            prev = -1, state = 0;
            continue;
        }
        if (prev < 0 || utf8proc_grapheme_break_stateful(prev, cp, &state)) brk[p] = 1;
        prev = cp;
        p += (size_t)k;
    }
    brk[nb] = 1;
    size_t o = 0;
    for (int i = 0; i < n;) {
        int j = i + 1;
        if (!raw[i])
            while (j < n && !raw[j] && !brk[start[j]]) j++;
        display[i] = out + o;
        memcpy(out + o, buf + start[i], start[j] - start[i]);
        o += start[j] - start[i];
        out[o++] = 0;
        for (int k = i + 1; k < j; k++) display[k] = NULL;
        i = j;
    }
    free(buf), free(start), free(brk), free(raw);
    return out;
}

int viz_word_chips(viz_canvas *c, viz_rect r, const char *const *words, int n, int flags) {
    int x = 0, y = 0;
    for (int i = 0; i < n; i++) {
        char vis[256];
        viz_visible_ws(vis, sizeof vis, words[i], flags, c->ascii);
        int w = viz_text_width(vis, -1);
        if (w > r.w) w = r.w;
        place(r, &x, &y, w, 1);
        if (y < r.h) viz_put(c, r.x + x, r.y + y, w, vis, (viz_style){VIZ_COLOUR(VIZ_C_CHIP_TEXT), VIZ_COLOUR(i & 1 ? VIZ_C_WORD1 : VIZ_C_WORD0), 0});
        x += w;
    }
    return n ? y + 1 : 0;
}

int viz_token_table(viz_canvas *c, viz_rect r, const viz_tokens *t, int flags, int scroll, int sel) {
    if (r.h < 1 || r.w < 20) return t->n;
    int tokw = 5;
    for (int i = 0; i < t->n; i++) {
        char vis[256];
        int w = viz_text_width(viz_visible_ws(vis, sizeof vis, t->tokens[i], flags, c->ascii), -1);
        if (w > tokw) tokw = w;
    }
    if (tokw > 24) tokw = 24;
    viz_style hs = {VIZ_DEFAULT, VIZ_DEFAULT, VIZ_BOLD | VIZ_UNDERLINE};
    char head[160];
    snprintf(head, sizeof head, "%4s  %-*s %6s  %-11s %4s %4s", "#", tokw, "token", "id", "offsets", "word",
             "type");
    viz_put(c, r.x, r.y, r.w, head, hs);
    for (int i = scroll, row = 1; i < t->n && row < r.h; i++, row++) {
        int y = r.y + row;
        viz_style rs = i == sel ? (viz_style){VIZ_DEFAULT, VIZ_DEFAULT, VIZ_REVERSE} : VIZ_PLAIN;
        if (i == sel) viz_fill(c, (viz_rect){r.x, y, r.w, 1}, ' ', rs);
        int x = r.x + viz_printf(c, r.x, y, r.w, rs, "%4d  ", i);
        char vis[256];
        viz_visible_ws(vis, sizeof vis, t->tokens[i], flags, c->ascii);
        viz_style ts = viz_token_style(t, i);
        if (i == sel) ts.attr |= VIZ_REVERSE;
        int tw = viz_put(c, x, y, tokw, vis, ts);
        x += tw;
        viz_fill(c, (viz_rect){x, y, tokw - tw + 1, 1}, ' ', rs);
        x += tokw - tw + 1;
        char off[24] = "";
        if (t->starts && t->ends) snprintf(off, sizeof off, "[%d,%d)", t->starts[i], t->ends[i]);
        char word[12] = "-";
        if (t->word_ids && t->word_ids[i] >= 0) snprintf(word, sizeof word, "%d", t->word_ids[i]);
        viz_printf(c, x, y, r.x + r.w - x, rs, "%6d  %-11s %4s %4d%s%s", t->ids ? t->ids[i] : -1, off,
                   word, t->type_ids ? t->type_ids[i] : 0,
                   t->unk_id >= 0 && t->ids && t->ids[i] == t->unk_id ? "  unknown" : "", is_cut(t, i) ? "  cut" : "");
    }
    return t->n;
}
