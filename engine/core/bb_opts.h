/* bb_opts.h — command-line options parsed from one table that also writes the usage text, so the two
 * cannot drift. A row names an option, its kind, the member of the caller's struct it sets (offsetof
 * and sizeof) and its help line:
 *
 *     typedef struct { const char *data; int epochs; float lr; int verbose; } my_opts;
 *     #define F(m) offsetof(my_opts, m), sizeof(((my_opts *)0)->m)
 *     static const bb_opt rows[] = {
 *         {"--data", NULL, BB_OPT_STRING, F(data), "FILE", NULL, 0, NULL, "training data"},
 *         {"--epochs", NULL, BB_OPT_COUNT, F(epochs), "N", NULL, 1, NULL, "passes over the data"},
 *         {"--lr", NULL, BB_OPT_NUMBER, F(lr), "X", NULL, 1, lr_above_zero, "learning rate"},
 *         {"--verbose", "-v", BB_OPT_FLAG, F(verbose), NULL, NULL, 0, NULL, "say more"},
 *     };
 *     my_opts o = defaults;
 *     int rc = bb_opts_parse(rows, 4, argc, argv, &o, NULL, NULL, NULL, err, sizeof err);  // 1: --help
 *     char *usage = bb_opts_usage_dup(rows, 4, &defaults, "usage: prog [options]\n", "");
 *
 * Kinds and what they accept (the messages name the option as typed and the value):
 * - BB_OPT_STRING: the next word, stored as a pointer into argv (a const char * member);
 * - BB_OPT_FLAG: no value; the int member becomes 1;
 * - BB_OPT_ENUM: one of the row's words; the word's value goes into the (int-sized) enum member;
 *   otherwise "NAME VALUE: expected a, b or c";
 * - BB_OPT_COUNT: a non-negative integer up to 10^9 into an int, long or uint64_t member; otherwise
 *   "NAME VALUE: expected a non-negative integer";
 * - BB_OPT_NUMBER: a finite number >= 0 into a float or double member; otherwise "NAME VALUE:
 *   expected a finite number >= 0" (strtod reads "inf" and "nan", which no option means).
 * A row's check adds its own rule after the kind's (the value as read in x). A missing value is
 * "NAME needs a value"; a word no row names is "unknown option 'WORD'". Sizes that do not fit the
 * kind are programmer errors (BB_ASSERT).
 */
#ifndef BB_OPTS_H
#define BB_OPTS_H

#include <stddef.h>

typedef enum { BB_OPT_STRING, BB_OPT_FLAG, BB_OPT_ENUM, BB_OPT_COUNT, BB_OPT_NUMBER } bb_opt_kind;

typedef struct {
    const char *word;
    int value;
} bb_opt_word;

typedef struct {
    const char *name;          /* "--epochs" */
    const char *alias;         /* another spelling ("--vocab"), or NULL */
    bb_opt_kind kind;
    size_t field, size;        /* offsetof / sizeof the member it sets */
    const char *arg;           /* the value's placeholder in the usage ("N", "FILE"); NULL for flags and enums */
    const bb_opt_word *words;  /* BB_OPT_ENUM: its words, ended by {NULL, 0} */
    int show_default;          /* the usage adds "(default X)", X read from the defaults struct */
    /* a rule beyond the kind's, or NULL: x is the number read (0 for strings and words) */
    int (*check)(const char *name, const char *value, double x, char *err, size_t errlen);
    const char *help;
} bb_opt;

/* Parses argv[1..argc) into out (argv[0] is the command name). seen (n entries, or NULL) gets 1 for
 * each row given. rest (room for argc words, or NULL) collects the operands, the words that do not
 * start with '-', in order, *nrest of them; without rest an operand is an unknown option. Returns
 * BB_OK, 1 for --help / -h, or BB_EINVAL with the problem in err. */
int bb_opts_parse(const bb_opt *rows, int n, int argc, char **argv, void *out, unsigned char *seen, char **rest,
                  int *nrest, char *err, size_t errlen);
/* head, one line per row (wrapped at 100 columns) and tail; malloc'd, NULL when out of memory.
 * defaults (a struct of the table's type, or NULL) gives the values show_default prints. */
char *bb_opts_usage_dup(const bb_opt *rows, int n, const void *defaults, const char *head, const char *tail);
/* "a, b or c" from an enum row's words. */
void bb_opts_words_text(const bb_opt *row, char *buf, size_t len);

#endif
