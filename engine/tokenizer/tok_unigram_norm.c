/* tok_unigram_norm.c — the Unigram trainer's text normalization (SentencePiece's: the nmt_nfkc
 * charsmap longest-match, remove_extra_whitespaces, add_dummy_prefix and '▁' escaping) and the Unicode
 * script classes that keep a seed piece inside one script. */
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "tok_internal.h"
#include "tok_unigram_internal.h"

char *tok_ug_normalize_dup(const uint8_t *cm, size_t cm_len, const char *text, long len, size_t *n) {
    if (len < 0) len = (long)strlen(text);
    /* Each rule's replacement is at most a few code points; 18 bytes per input byte bounds them. */
    char *out = malloc((size_t)len * 18 + 4);
    if (!out) return NULL;
    size_t no = 0;
    int pending = 1; /* the dummy prefix */
    for (long i = 0; i < len;) {
        const char *repl = NULL, *from;
        char one[4];
        size_t nr;
        if (!text[i]) { /* NUL: a control character no rule can hold (0 ends a darts-clone key) */
            i++;
            continue;
        }
        int m = tok_ug_charsmap_match(cm, cm_len, text + i, len - i, &repl);
        if (m > 0) {
            from = repl, nr = strlen(repl);
            i += m;
        } else {
            int32_t c;
            i += tok_utf8_decode((const unsigned char *)text + i, len - i, &c);
            nr = (size_t)tok_utf8_encode(c, one);
            from = one;
        }
        for (size_t k = 0; k < nr; k++) {
            if (from[k] == ' ') {
                if (no > 0) pending = 1;
                continue;
            }
            if (pending) {
                memcpy(out + no, "\xe2\x96\x81", 3);
                no += 3;
                pending = 0;
            }
            out[no++] = from[k];
        }
    }
    out[no] = 0;
    *n = no;
    return out;
}

/* Script ranges for letters, marks and non-ASCII digits; Hiragana and Katakana count as Han, as in
 * SentencePiece. Anything else that is a letter falls back to its 128-code-point block. */
static const struct {
    int32_t lo, hi;
    int script;
} ug_scripts[] = {
    {0x0041, 0x024F, 1},  {0x0250, 0x02AF, 1},  {0x0300, 0x036F, 2},  {0x0370, 0x03FF, 3},
    {0x0400, 0x052F, 4},  {0x0530, 0x058F, 5},  {0x0590, 0x05FF, 6},  {0x0600, 0x06FF, 7},
    {0x0750, 0x077F, 7},  {0x08A0, 0x08FF, 7},  {0x0900, 0x097F, 8},  {0x0980, 0x09FF, 9},
    {0x0A00, 0x0A7F, 10}, {0x0A80, 0x0AFF, 11}, {0x0B00, 0x0B7F, 12}, {0x0B80, 0x0BFF, 13},
    {0x0C00, 0x0C7F, 14}, {0x0C80, 0x0CFF, 15}, {0x0D00, 0x0D7F, 16}, {0x0D80, 0x0DFF, 17},
    {0x0E00, 0x0E7F, 18}, {0x0E80, 0x0EFF, 19}, {0x0F00, 0x0FFF, 20}, {0x1000, 0x109F, 21},
    {0x10A0, 0x10FF, 22}, {0x1100, 0x11FF, 23}, {0x1200, 0x139F, 24}, {0x1780, 0x17FF, 25},
    {0x1800, 0x18AF, 26}, {0x1AB0, 0x1AFF, 2},  {0x1C80, 0x1C8F, 4},  {0x1C90, 0x1CBF, 22},
    {0x1D00, 0x1DBF, 1},  {0x1DC0, 0x1DFF, 2},  {0x1E00, 0x1EFF, 1},  {0x1F00, 0x1FFF, 3},
    {0x20D0, 0x20FF, 2},  {0x2C60, 0x2C7F, 1},  {0x2D00, 0x2D2F, 22},
    {0x2DE0, 0x2DFF, 4},  {0x2E80, 0x2FDF, 27}, {0x3005, 0x3007, 27}, {0x3021, 0x3029, 27},
    {0x3038, 0x303B, 27}, {0x3040, 0x30FF, 27}, {0x3130, 0x318F, 23}, {0x31F0, 0x31FF, 27},
    {0x3400, 0x4DBF, 27}, {0x4E00, 0x9FFF, 27}, {0xA640, 0xA69F, 4},  {0xA720, 0xA7FF, 1},
    {0xA8E0, 0xA8FF, 8},  {0xA960, 0xA97F, 23}, {0xAC00, 0xD7FF, 23}, {0xF900, 0xFAFF, 27},
    {0xFB00, 0xFB06, 1},  {0xFB13, 0xFB17, 5},  {0xFB1D, 0xFB4F, 6},  {0xFB50, 0xFDFF, 7},
    {0xFE20, 0xFE2F, 2},  {0xFE70, 0xFEFF, 7},  {0xFF21, 0xFF3A, 1},  {0xFF41, 0xFF5A, 1},
    {0xFF66, 0xFF9F, 27}, {0xFFA0, 0xFFDC, 23}, {0x20000, 0x3FFFF, 27},
};

int tok_ug_script(int32_t c) {
    if (c == 0x30FC) return 27; /* the prolonged sound mark is Common, but SentencePiece keeps it in Han */
    utf8proc_category_t k = utf8proc_category(c);
    int letter = (k >= UTF8PROC_CATEGORY_LU && k <= UTF8PROC_CATEGORY_ME) || (k == UTF8PROC_CATEGORY_ND && c > 0x7F);
    if (!letter) return UG_SCRIPT_COMMON;
    int lo = 0, hi = (int)(sizeof ug_scripts / sizeof ug_scripts[0]) - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (c < ug_scripts[mid].lo) hi = mid - 1;
        else if (c > ug_scripts[mid].hi) lo = mid + 1;
        else return ug_scripts[mid].script;
    }
    return 1000 + (c >> 7);
}
