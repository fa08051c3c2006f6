/* Key tables: lookup, dispatch, names and F1's key lists, from the same {key, fn, help} rows. curses
 * is included for its KEY_* codes only. */
#define NCURSES_WIDECHAR 1
#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "ui_pane.h"

const ui_key_binding *ui_key_find(const ui_key_binding *table, int key) {
    for (const ui_key_binding *b = table; b && b->fn; b++)
        if (b->key == key) return b;
    return NULL;
}

int ui_pane_key(ui_app *app, ui_pane *p, int key) {
    const ui_key_binding *b = ui_key_find(p->cls->keys, key);
    return b ? b->fn(app, p, key) : UI_IGNORED;
}

const char *ui_key_name(int key, char *buf, size_t n) {
    static const struct {
        int code;
        const char *name;
    } named[] = {{KEY_UP, "up"},       {KEY_DOWN, "down"},    {KEY_LEFT, "left"},    {KEY_RIGHT, "right"},
                 {KEY_SLEFT, "S-left"}, {KEY_SRIGHT, "S-right"}, {KEY_HOME, "Home"},  {KEY_END, "End"},
                 {KEY_PPAGE, "PgUp"},   {KEY_NPAGE, "PgDn"},   {KEY_BTAB, "S-Tab"}, {KEY_RESIZE, "resize"}};
    if (key < 0) {
        int code = -key;
        for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
            if (named[i].code == code) return snprintf(buf, n, "%s", named[i].name), buf;
        if (code >= KEY_F(1) && code <= KEY_F(24)) return snprintf(buf, n, "F%d", code - KEY_F0), buf;
        snprintf(buf, n, "key %d", code);
    } else if (key == 27) {
        snprintf(buf, n, "Esc");
    } else if (key == '\t') {
        snprintf(buf, n, "Tab");
    } else if (key == ' ') {
        snprintf(buf, n, "Space");
    } else if (key > 0 && key < 32) {
        snprintf(buf, n, "Ctrl-%c", '@' + key);
    } else if (key < 128) {
        snprintf(buf, n, "%c", key);
    } else {
        snprintf(buf, n, "U+%04X", (unsigned)key);
    }
    return buf;
}

/* One item: the keys of row b and the rows after it without help ("up/k"), then b's help. */
static const ui_key_binding *item(const ui_key_binding *b, char *out, size_t n) {
    size_t o = 0;
    const ui_key_binding *r = b;
    do {
        char name[32];
        o += (size_t)snprintf(out + o, o < n ? n - o : 0, "%s%s", r == b ? "" : "/", ui_key_name(r->key, name, sizeof name));
        r++;
    } while (r->fn && !r->help);
    snprintf(out + o, o < n ? n - o : 0, " %s", b->help ? b->help : "");
    return r;
}

void ui_keys_help(const ui_key_binding *table, char *out, size_t cap, size_t *o, int indent, int width) {
    int col = 0;
#define PUT(...) *o += (size_t)snprintf(out + *o, *o < cap ? cap - *o : 0, __VA_ARGS__)
    for (const ui_key_binding *b = table; b && b->fn;) {
        char it[256];
        b = item(b, it, sizeof it);
        /* an item that does not fit starts a line; one longer than a line is wrapped between words */
        int len = (int)strlen(it);
        if (col > 0 && col + 2 + len > width) {
            PUT("\n%*s", indent, "");
            col = 0;
        } else if (col > 0) {
            PUT("  ");
            col += 2;
        }
        for (const char *w = it; *w;) {
            int wl = (int)strcspn(w, " ");
            if (col > 0 && col + wl > width) {
                PUT("\n%*s", indent, "");
                col = 0;
            }
            PUT("%.*s", wl, w);
            col += wl;
            w += wl;
            if (*w == ' ' && col + 1 < width) PUT(" "), col++;
            if (*w == ' ') w++;
        }
    }
#undef PUT
}

static int scroll_by(ui_app *app, ui_pane *p, int key) {
    (void)app;
    int before = p->scroll;
    switch (key) {
    case UI_KEY(KEY_UP): case 'k': p->scroll--; break;
    case UI_KEY(KEY_DOWN): case 'j': p->scroll++; break;
    case UI_KEY(KEY_PPAGE): p->scroll -= 10; break;
    default: p->scroll += 10;
    }
    if (p->scroll < 0) p->scroll = 0;
    return p->scroll != before ? UI_CHANGED : UI_HANDLED;
}

const ui_key_binding ui_scroll_keys[] = {
    {UI_KEY(KEY_UP), scroll_by, "scroll up"},   {'k', scroll_by, NULL},
    {UI_KEY(KEY_DOWN), scroll_by, "scroll down"}, {'j', scroll_by, NULL},
    {UI_KEY(KEY_PPAGE), scroll_by, "10 lines up"}, {UI_KEY(KEY_NPAGE), scroll_by, "10 lines down"},
    {0, NULL, NULL},
};
