#include "viz_canvas.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "bb_err.h"
#include "viz_theme.h"

int viz_canvas_init(viz_canvas *c, int w, int h, char *err, size_t errlen) {
    memset(c, 0, sizeof *c);
    return viz_canvas_resize(c, w, h, err, errlen);
}

void viz_canvas_free(viz_canvas *c) {
    free(c->cells);
    c->cells = NULL;
    c->w = c->h = 0;
}

int viz_canvas_resize(viz_canvas *c, int w, int h, char *err, size_t errlen) {
    if (w < 0 || h < 0 || (w > 0 && (size_t)h > SIZE_MAX / sizeof(viz_cell) / (size_t)w))
        return bb_err(err, errlen, BB_EINVAL, "canvas: bad size %dx%d", w, h);
    viz_cell *cells = malloc(sizeof(viz_cell) * (size_t)w * (size_t)h + 1);
    if (!cells) return bb_err(err, errlen, BB_ENOMEM, "canvas: out of memory for %dx%d", w, h);
    free(c->cells);
    c->cells = cells;
    c->w = w;
    c->h = h;
    viz_canvas_clear(c);
    return BB_OK;
}

static viz_cell blank_cell(viz_style st) {
    return (viz_cell){.cp = ' ', .mark = 0, .fg = st.fg, .bg = st.bg, .attr = st.attr, .width = 1};
}

void viz_canvas_clear(viz_canvas *c) {
    viz_cell b = blank_cell(VIZ_PLAIN);
    for (long i = 0; i < (long)c->w * c->h; i++) c->cells[i] = b;
}

const viz_cell *viz_cell_at(const viz_canvas *c, int x, int y) {
    if (x < 0 || y < 0 || x >= c->w || y >= c->h) return NULL;
    return &c->cells[(long)y * c->w + x];
}

static viz_cell *cell(viz_canvas *c, int x, int y) { return &c->cells[(long)y * c->w + x]; }

/* Overwriting half of a wide char leaves the other half as a blank. */
static void break_wide(viz_canvas *c, int x, int y) {
    viz_cell *p = cell(c, x, y);
    if (p->width == 0 && x > 0) {
        viz_cell *lead = cell(c, x - 1, y);
        lead->cp = ' ', lead->mark = 0, lead->width = 1;
    } else if (p->width == 2 && x + 1 < c->w) {
        viz_cell *cov = cell(c, x + 1, y);
        cov->cp = ' ', cov->mark = 0, cov->width = 1;
    }
}

void viz_fill(viz_canvas *c, viz_rect r, uint32_t cp, viz_style st) {
    int x0 = r.x < 0 ? 0 : r.x, y0 = r.y < 0 ? 0 : r.y;
    int x1 = r.x + r.w > c->w ? c->w : r.x + r.w, y1 = r.y + r.h > c->h ? c->h : r.y + r.h;
    viz_cell b = blank_cell(st);
    b.cp = cp;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) {
            break_wide(c, x, y);
            *cell(c, x, y) = b;
        }
}

void viz_restyle(viz_canvas *c, viz_rect r, viz_style st, int or_attr) {
    int x0 = r.x < 0 ? 0 : r.x, y0 = r.y < 0 ? 0 : r.y;
    int x1 = r.x + r.w > c->w ? c->w : r.x + r.w, y1 = r.y + r.h > c->h ? c->h : r.y + r.h;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) {
            viz_cell *p = cell(c, x, y);
            p->fg = st.fg;
            p->bg = st.bg;
            p->attr = or_attr ? (uint8_t)(p->attr | st.attr) : st.attr;
        }
}

int viz_cp_width(uint32_t cp) {
    if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) return 1; /* drawn as a replacement glyph */
    if (cp > 0x10ffff) return 1;
    int w = utf8proc_charwidth((utf8proc_int32_t)cp);
    if (w == 0) {
        /* Combining marks and zero-width format characters have no cell of their own. */
        const utf8proc_property_t *p = utf8proc_get_property((utf8proc_int32_t)cp);
        if (p->category == UTF8PROC_CATEGORY_MN || p->category == UTF8PROC_CATEGORY_ME ||
            p->category == UTF8PROC_CATEGORY_CF)
            return 0;
        return 1; /* unassigned or private use: the terminal draws something one cell wide */
    }
    return w;
}

int viz_utf8_next(const char *s, long n, uint32_t *cp) {
    utf8proc_int32_t c;
    utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s, n < 4 ? n : 4, &c);
    if (k <= 0) {
        *cp = 0xfffd;
        return 1;
    }
    *cp = (uint32_t)c;
    return (int)k;
}

int viz_text_width(const char *s, long n) {
    if (n < 0) n = (long)strlen(s);
    int w = 0;
    for (long i = 0; i < n;) {
        uint32_t cp;
        i += viz_utf8_next(s + i, n - i, &cp);
        w += viz_cp_width(cp);
    }
    return w;
}

int viz_putc(viz_canvas *c, int x, int y, uint32_t cp, viz_style st) {
    if (y < 0 || y >= c->h || x >= c->w) return 0;
    if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) cp = c->ascii ? '?' : 0xfffd;
    int w = viz_cp_width(cp);
    if (w == 0) {
        if (c->ascii || x <= 0) return 0;
        viz_cell *p = cell(c, x - 1, y);
        if (p->width == 0 && x >= 2) p = cell(c, x - 2, y);
        p->mark = cp;
        return 0;
    }
    if (x < 0 || x + w > c->w) return 0;
    if (c->ascii && cp >= 0x80) {
        for (int i = 0; i < w; i++) viz_putc(c, x + i, y, '?', st);
        return w;
    }
    break_wide(c, x, y);
    if (w == 2) break_wide(c, x + 1, y);
    viz_cell v = blank_cell(st);
    v.cp = cp;
    v.width = (uint8_t)w;
    *cell(c, x, y) = v;
    if (w == 2) {
        v.cp = ' ';
        v.width = 0;
        *cell(c, x + 1, y) = v;
    }
    return w;
}

int viz_put(viz_canvas *c, int x, int y, int maxw, const char *s, viz_style st) {
    long n = (long)strlen(s);
    int used = 0;
    for (long i = 0; i < n;) {
        uint32_t cp;
        i += viz_utf8_next(s + i, n - i, &cp);
        int w = viz_cp_width(cp);
        if (used + w > maxw || x + used + w > c->w) break;
        viz_putc(c, x + used, y, cp, st);
        used += w;
    }
    return used;
}

int viz_put_fields(viz_canvas *c, int x, int y, int maxw, const char *const *fields, int n, viz_style st) {
    int used = 0;
    for (int i = 0; i < n; i++) {
        if (i > 0 && used + viz_text_width(fields[i], -1) > maxw) break;
        used += viz_put(c, x + used, y, maxw - used, fields[i], st);
    }
    return used;
}

int viz_printf(viz_canvas *c, int x, int y, int maxw, viz_style st, const char *fmt, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return viz_put(c, x, y, maxw, buf, st);
}

/* ---- exports ---------------------------------------------------------------------------------- */

typedef struct {
    char *p;
    size_t n, cap;
    int oom;
} sbuf;

static void sb_add(sbuf *b, const char *s, size_t n) {
    if (b->oom) return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n + 1) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

static void sb_str(sbuf *b, const char *s) { sb_add(b, s, strlen(s)); }

static void sb_fmt(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_fmt(sbuf *b, const char *fmt, ...) {
    char tmp[256];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (k > 0) sb_add(b, tmp, (size_t)k < sizeof tmp ? (size_t)k : sizeof tmp - 1);
}

static void sb_cp(sbuf *b, uint32_t cp) {
    utf8proc_uint8_t u[4];
    utf8proc_ssize_t k = utf8proc_encode_char((utf8proc_int32_t)cp, u);
    sb_add(b, (const char *)u, (size_t)k);
}

static char *sb_take(sbuf *b) {
    if (b->oom) {
        free(b->p);
        return NULL;
    }
    if (!b->p) sb_add(b, "", 0);
    return b->oom ? NULL : b->p;
}

/* Number of cells in row y up to the last one that is not a plain blank. */
static int row_len(const viz_canvas *c, int y, int plain) {
    int n = c->w;
    while (n > 0) {
        const viz_cell *p = viz_cell_at(c, n - 1, y);
        int blank = p->cp == ' ' && p->width == 1 && !p->mark;
        if (!plain) blank = blank && p->bg == VIZ_DEFAULT && !(p->attr & (VIZ_REVERSE | VIZ_UNDERLINE));
        if (!blank) break;
        n--;
    }
    return n;
}

char *viz_canvas_text_dup(const viz_canvas *c) {
    sbuf b = {0};
    for (int y = 0; y < c->h; y++) {
        int n = row_len(c, y, 1);
        for (int x = 0; x < n; x++) {
            const viz_cell *p = viz_cell_at(c, x, y);
            if (p->width == 0) continue;
            sb_cp(&b, p->cp);
            if (p->mark) sb_cp(&b, p->mark);
        }
        sb_str(&b, "\n");
    }
    return sb_take(&b);
}

static int same_style(const viz_cell *a, const viz_cell *b) {
    return a->fg == b->fg && a->bg == b->bg && a->attr == b->attr;
}

static void sgr(sbuf *b, const viz_cell *p) {
    sb_str(b, "\x1b[0");
    if (p->attr & VIZ_BOLD) sb_str(b, ";1");
    if (p->attr & VIZ_DIM) sb_str(b, ";2");
    if (p->attr & VIZ_UNDERLINE) sb_str(b, ";4");
    if (p->attr & VIZ_REVERSE) sb_str(b, ";7");
    int fg = viz_colour_256(p->fg), bg = viz_colour_256(p->bg);
    if (fg >= 0) sb_fmt(b, ";38;5;%d", fg);
    if (bg >= 0) sb_fmt(b, ";48;5;%d", bg);
    sb_str(b, "m");
}

char *viz_canvas_ansi_dup(const viz_canvas *c) {
    sbuf b = {0};
    for (int y = 0; y < c->h; y++) {
        int n = row_len(c, y, 0);
        const viz_cell *prev = NULL;
        for (int x = 0; x < n; x++) {
            const viz_cell *p = viz_cell_at(c, x, y);
            if (p->width == 0) continue;
            if (!prev || !same_style(prev, p)) sgr(&b, p);
            prev = p;
            sb_cp(&b, p->cp);
            if (p->mark) sb_cp(&b, p->mark);
        }
        if (prev) sb_str(&b, "\x1b[0m");
        sb_str(&b, "\n");
    }
    return sb_take(&b);
}

uint32_t viz_rgb(int idx, uint32_t fallback) {
    static const uint32_t base[16] = {0x000000, 0xcd0000, 0x00cd00, 0xcdcd00, 0x0000ee, 0xcd00cd,
                                      0x00cdcd, 0xe5e5e5, 0x7f7f7f, 0xff0000, 0x00ff00, 0xffff00,
                                      0x5c5cff, 0xff00ff, 0x00ffff, 0xffffff};
    idx = viz_colour_256(idx);
    if (idx < 0) return fallback;
    if (idx < 16) return base[idx];
    if (idx < 232) {
        static const int lv[6] = {0, 95, 135, 175, 215, 255};
        int i = idx - 16;
        return (uint32_t)(lv[i / 36] << 16 | lv[i / 6 % 6] << 8 | lv[i % 6]);
    }
    int g = 8 + 10 * (idx - 232);
    return (uint32_t)(g << 16 | g << 8 | g);
}

/* SVG: one <rect> per run of equal background, one <text> per cell so wide chars and marks sit on
 * the grid exactly as in the terminal. Cell 9x18 px; a 15px monospace font fits it. */
char *viz_canvas_svg_dup(const viz_canvas *c) {
    const int cw = 9, ch = 18;
    const uint32_t dfg = 0xd0d0d0, dbg = 0x1c1c1c;
    sbuf b = {0};
    sb_fmt(&b,
           "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
           "font-family=\"DejaVu Sans Mono,Menlo,Consolas,monospace\" font-size=\"15\">\n",
           c->w * cw, c->h * ch);
    sb_fmt(&b, "<rect width=\"100%%\" height=\"100%%\" fill=\"#%06x\"/>\n", dbg);
    for (int y = 0; y < c->h; y++) {
        for (int x = 0; x < c->w;) {
            const viz_cell *p = viz_cell_at(c, x, y);
            int rev = p->attr & VIZ_REVERSE;
            uint32_t bg = rev ? viz_rgb(p->fg, dfg) : viz_rgb(p->bg, dbg);
            int x1 = x + 1;
            while (x1 < c->w) {
                const viz_cell *q = viz_cell_at(c, x1, y);
                uint32_t qb = (q->attr & VIZ_REVERSE) ? viz_rgb(q->fg, dfg) : viz_rgb(q->bg, dbg);
                if (qb != bg) break;
                x1++;
            }
            if (bg != dbg)
                sb_fmt(&b, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#%06x\"/>\n", x * cw,
                       y * ch, (x1 - x) * cw, ch, bg);
            x = x1;
        }
        for (int x = 0; x < c->w; x++) {
            const viz_cell *p = viz_cell_at(c, x, y);
            if (p->width == 0 || p->cp == ' ') continue;
            uint32_t fg = (p->attr & VIZ_REVERSE) ? viz_rgb(p->bg, dbg) : viz_rgb(p->fg, dfg);
            sb_fmt(&b, "<text x=\"%d\" y=\"%d\" fill=\"#%06x\"%s%s>", x * cw, y * ch + 14, fg,
                   (p->attr & VIZ_BOLD) ? " font-weight=\"bold\"" : "",
                   (p->attr & VIZ_DIM) ? " opacity=\"0.6\"" : "");
            switch (p->cp) {
            case '<': sb_str(&b, "&lt;"); break;
            case '>': sb_str(&b, "&gt;"); break;
            case '&': sb_str(&b, "&amp;"); break;
            default: sb_cp(&b, p->cp);
            }
            if (p->mark) sb_cp(&b, p->mark);
            sb_str(&b, "</text>\n");
        }
    }
    sb_str(&b, "</svg>\n");
    return sb_take(&b);
}

int viz_canvas_save(const viz_canvas *c, const char *path, char *err, size_t errlen) {
    size_t n = strlen(path);
    char *s;
    if (n >= 4 && strcmp(path + n - 4, ".svg") == 0)
        s = viz_canvas_svg_dup(c);
    else if (n >= 5 && strcmp(path + n - 5, ".ansi") == 0)
        s = viz_canvas_ansi_dup(c);
    else
        s = viz_canvas_text_dup(c);
    if (!s) return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory while exporting", path);
    FILE *f = fopen(path, "w");
    if (!f) {
        int e = errno;
        free(s);
        return bb_err(err, errlen, BB_EIO, "%s: %s", path, strerror(e));
    }
    size_t len = strlen(s);
    int bad = fwrite(s, 1, len, f) != len;
    bad |= fclose(f) != 0;
    free(s);
    if (bad) return bb_err(err, errlen, BB_EIO, "%s: write failed", path);
    return BB_OK;
}
