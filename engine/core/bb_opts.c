/* Options from one table: the parser and the usage text it writes (bb_opts.h). */
#include "bb_opts.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bb_err.h"

enum { USAGE_WIDTH = 100, HELP_COL = 26, COUNT_MAX = 1000000000 };

static const bb_opt *find_row(const bb_opt *rows, int n, const char *a) {
    for (int i = 0; i < n; i++)
        if (!strcmp(a, rows[i].name) || (rows[i].alias && !strcmp(a, rows[i].alias))) return &rows[i];
    return NULL;
}

void bb_opts_words_text(const bb_opt *row, char *buf, size_t len) {
    size_t k = 0, nw = 0;
    if (len) buf[0] = 0;
    while (row->words && row->words[nw].word) nw++;
    for (size_t i = 0; i < nw && k < len; i++) {
        const char *sep = i == 0 ? "" : i + 1 == nw ? " or " : ", ";
        int w = snprintf(buf + k, len - k, "%s%s", sep, row->words[i].word);
        if (w < 0) break;
        k += (size_t)w;
    }
}

static int parse_count(const char *s, long *v) {
    char *end;
    *v = strtol(s, &end, 10);
    return *s && !*end && *v >= 0 && *v <= COUNT_MAX;
}

/* A float member is read with strtof, so that what is checked is what is stored (1e39 is inf, 1e-50 is 0). */
static int parse_number(const char *s, size_t size, double *v) {
    char *end;
    *v = size == sizeof(float) ? (double)strtof(s, &end) : strtod(s, &end);
    return *s && !*end && isfinite(*v) && *v >= 0;
}

/* Stores the value of one row into its member; the member's size picks the C type. */
static void store(const bb_opt *r, void *out, const char *s, long count, double x) {
    char *p = (char *)out + r->field;
    switch (r->kind) {
    case BB_OPT_STRING:
        BB_ASSERT(r->size == sizeof s);
        memcpy(p, &s, sizeof s);
        break;
    case BB_OPT_FLAG:
    case BB_OPT_ENUM: {
        int v = r->kind == BB_OPT_FLAG ? 1 : (int)count;
        BB_ASSERT(r->size == sizeof v);
        memcpy(p, &v, sizeof v);
        break;
    }
    case BB_OPT_COUNT:
        if (r->size == sizeof(int)) {
            int v = (int)count;
            memcpy(p, &v, sizeof v);
        } else {
            BB_ASSERT(r->size == sizeof(int64_t));
            int64_t v = count; /* a long or a uint64_t member: the same bytes for 0..10^9 */
            memcpy(p, &v, sizeof v);
        }
        break;
    case BB_OPT_NUMBER:
        if (r->size == sizeof(float)) {
            float v = (float)x;
            memcpy(p, &v, sizeof v);
        } else {
            BB_ASSERT(r->size == sizeof(double));
            memcpy(p, &x, sizeof x);
        }
        break;
    }
}

/* Reads the value word v of row r (given as a); BB_EINVAL with the message when it does not fit. */
static int take_value(const bb_opt *r, const char *a, const char *v, void *out, char *err, size_t errlen) {
    long count = 0;
    double x = 0;
    if (r->kind == BB_OPT_ENUM) {
        const bb_opt_word *w = r->words;
        while (w->word && strcmp(w->word, v)) w++;
        if (!w->word) {
            char words[512];
            bb_opts_words_text(r, words, sizeof words);
            return bb_err(err, errlen, BB_EINVAL, "%s %.200s: expected %s", a, v, words);
        }
        count = w->value;
    } else if (r->kind == BB_OPT_COUNT) {
        if (!parse_count(v, &count))
            return bb_err(err, errlen, BB_EINVAL, "%s %.200s: expected a non-negative integer", a, v);
        x = (double)count;
    } else if (r->kind == BB_OPT_NUMBER) {
        if (!parse_number(v, r->size, &x))
            return bb_err(err, errlen, BB_EINVAL, "%s %.40s: expected a finite number >= 0", a, v);
    }
    if (r->check) {
        int rc = r->check(a, v, x, err, errlen);
        if (rc != BB_OK) return rc;
    }
    store(r, out, v, count, x);
    return BB_OK;
}

int bb_opts_parse(const bb_opt *rows, int n, int argc, char **argv, void *out, unsigned char *seen, char **rest,
                  int *nrest, char *err, size_t errlen) {
    if (seen) memset(seen, 0, (size_t)n);
    if (nrest) *nrest = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) return 1;
        if (rest && (a[0] != '-' || !a[1])) { /* an operand ("-" is one: standard input by convention) */
            rest[(*nrest)++] = argv[i];
            continue;
        }
        const bb_opt *r = find_row(rows, n, a);
        if (!r) return bb_err(err, errlen, BB_EINVAL, "unknown option '%s'", a);
        if (r->kind == BB_OPT_FLAG) {
            store(r, out, NULL, 0, 0);
        } else {
            if (i + 1 >= argc) return bb_err(err, errlen, BB_EINVAL, "%s needs a value", a);
            int rc = take_value(r, a, argv[++i], out, err, errlen);
            if (rc != BB_OK) return rc;
        }
        if (seen) seen[r - rows] = 1;
    }
    return BB_OK;
}

/* " (default X)" for row r read from the defaults struct; "" when it has none to show. */
static void default_text(const bb_opt *r, const void *defaults, char *buf, size_t len) {
    buf[0] = 0;
    if (!defaults || !r->show_default) return;
    const char *p = (const char *)defaults + r->field;
    if (r->kind == BB_OPT_ENUM) {
        int v;
        memcpy(&v, p, sizeof v);
        for (const bb_opt_word *w = r->words; w->word; w++)
            if (w->value == v) snprintf(buf, len, " (default %s)", w->word);
    } else if (r->kind == BB_OPT_COUNT) {
        long v;
        if (r->size == sizeof(int)) {
            int i;
            memcpy(&i, p, sizeof i);
            v = i;
        } else {
            int64_t l;
            memcpy(&l, p, sizeof l);
            v = (long)l;
        }
        snprintf(buf, len, " (default %ld)", v);
    } else if (r->kind == BB_OPT_NUMBER) {
        double v;
        if (r->size == sizeof(float)) {
            float f;
            memcpy(&f, p, sizeof f);
            v = f;
        } else {
            memcpy(&v, p, sizeof v);
        }
        snprintf(buf, len, " (default %g)", v);
    }
}

/* Writes text from column col on, wrapping at USAGE_WIDTH with continuation lines at HELP_COL. */
static void put_wrapped(FILE *f, const char *text, int col) {
    for (const char *w = text; *w;) {
        while (*w == ' ') w++;
        size_t len = strcspn(w, " ");
        if (!len) break;
        if (col > HELP_COL && col + 1 + (int)len > USAGE_WIDTH) {
            fprintf(f, "\n%*s", HELP_COL, "");
            col = HELP_COL;
        } else if (col > HELP_COL) {
            fputc(' ', f);
            col++;
        }
        fwrite(w, 1, len, f);
        col += (int)len;
        w += len;
    }
    fputc('\n', f);
}

static void put_row(FILE *f, const bb_opt *r, const void *defaults) {
    char left[600], dflt[128], help[1200];
    int k = snprintf(left, sizeof left, "  %s", r->name);
    if (r->kind == BB_OPT_ENUM) {
        for (const bb_opt_word *w = r->words; w->word && k < (int)sizeof left; w++)
            k += snprintf(left + k, sizeof left - (size_t)k, "%c%s", w == r->words ? ' ' : '|', w->word);
    } else if (r->arg) {
        k += snprintf(left + k, sizeof left - (size_t)k, " %s", r->arg);
    }
    default_text(r, defaults, dflt, sizeof dflt);
    snprintf(help, sizeof help, "%s%s%s%s", r->help, r->alias ? " (also " : "", r->alias ? r->alias : "",
             r->alias ? ")" : "");
    size_t hl = strlen(help);
    snprintf(help + hl, sizeof help - hl, "%s", dflt);
    int col = (int)strlen(left);
    fputs(left, f);
    if (col < HELP_COL - 1) {
        fprintf(f, "%*s", HELP_COL - col, "");
    } else {
        fprintf(f, "\n%*s", HELP_COL, "");
    }
    put_wrapped(f, help, HELP_COL);
}

char *bb_opts_usage_dup(const bb_opt *rows, int n, const void *defaults, const char *head, const char *tail) {
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) return NULL;
    fputs(head, f);
    for (int i = 0; i < n; i++) put_row(f, &rows[i], defaults);
    fputs(tail, f);
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    return text;
}
