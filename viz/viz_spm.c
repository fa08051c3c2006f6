/* viz_spm.c — SentencePiece pieces as chips: a run of byte-fallback pieces (<0xE2> <0x82> <0xAC>) shows
 * as the character it spells, in one chip; every other piece shows as it is, '▁' included (the space
 * marker is what a learner should see). */
#include <stdlib.h>
#include <string.h>

#include "viz.h"

static int byte_piece(const char *t) {
    if (strlen(t) != 6 || strncmp(t, "<0x", 3) != 0 || t[5] != '>') return -1;
    int v = 0;
    for (int i = 3; i < 5; i++) {
        char c = t[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0) return -1;
        v = v * 16 + d;
    }
    return v;
}

/* The length of the UTF-8 character at s[0, n) when it is whole and valid, else 0. */
static int utf8_whole(const unsigned char *s, int n) {
    int len = s[0] < 0x80 ? 1 : s[0] >= 0xC2 && s[0] <= 0xDF ? 2 : s[0] >= 0xE0 && s[0] <= 0xEF ? 3
                                                             : s[0] >= 0xF0 && s[0] <= 0xF4 ? 4 : 0;
    if (!len || len > n) return 0;
    for (int i = 1; i < len; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    uint32_t cp;
    return viz_utf8_next((const char *)s, len, &cp) == len && cp != 0xFFFD ? len : 0;
}

char *viz_spm_display(const char *const *tokens, const unsigned char *special, int n, const char **display) {
    size_t total = 1;
    for (int i = 0; i < n; i++) total += strlen(tokens[i]) + 1;
    char *out = malloc(total);
    if (!out) return NULL;
    size_t o = 0;
    for (int i = 0; i < n;) {
        int j = i;
        unsigned char bytes[64];
        while (j < n && j - i < (int)sizeof bytes && !(special && special[j]) && byte_piece(tokens[j]) >= 0)
            bytes[j - i] = (unsigned char)byte_piece(tokens[j]), j++;
        if (j == i) { /* an ordinary piece */
            display[i] = out + o;
            size_t l = strlen(tokens[i]);
            memcpy(out + o, tokens[i], l + 1), o += l + 1;
            i++;
            continue;
        }
        for (int k = i; k < j;) {
            int l = utf8_whole(bytes + (k - i), j - k);
            if (!l) l = 1;
            /* A single byte (ASCII, often a control character, or a broken sequence) keeps its own chip,
             * named as it is; a multi-byte character shows as itself. */
            display[k] = out + o;
            const char *src = l == 1 ? tokens[k] : (const char *)bytes + (k - i);
            size_t sl = l == 1 ? strlen(tokens[k]) : (size_t)l;
            memcpy(out + o, src, sl), o += sl;
            out[o++] = 0;
            for (int m = k + 1; m < k + l; m++) display[m] = NULL;
            k += l;
        }
        i = j;
    }
    return out;
}
