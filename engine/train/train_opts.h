/* train_opts.h — the options of a training run as given on a command line: `bertbench train`, its
 * --export-hf and the workbench's `train` command parse the same words into a train_options, through
 * one table that also writes the usage text (so the two cannot drift).
 *
 *     train_options o;
 *     char err[512];
 *     int rc = train_opts_parse(argc, argv, &o, 1, err, sizeof err);  // argv[0] is the command name
 *     if (rc == 1) { char *u = train_opts_usage_dup(); fputs(u, stdout); free(u); }  // --help
 *     else if (rc != BB_OK) usage_error(err);                         // "--lr 0: the learning rate ..."
 *
 * Each row of the table (engine/core/bb_opts.h) names an option, its kind (a string, a flag, one of
 * a list of words, a non-negative integer, a finite number >= 0), the train_options member it sets
 * and its help line, plus a rule where one option needs more (--lr above 0, --eval-split below 1). After the
 * words, the cross-option rules: --task (unless --resume), --data, one of --model / --config /
 * --resume but not --model with --config, --out when required and never the filesystem root,
 * --eval-every only with evaluation data.
 */
#ifndef BB_TRAIN_OPTS_H
#define BB_TRAIN_OPTS_H

#include <stddef.h>

#include "bb_opts.h"
#include "trainer.h"

/* Parses argv[1..argc) into *o (argv[0] is the command name). Returns BB_OK, 1 for --help / -h, or
 * BB_EINVAL with the problem in err. need_out: --out is required unless --export-hf is given (the
 * CLI; the workbench defaults it to the run's directory in the session). Strings in *o point into argv. */
int train_opts_parse(int argc, char **argv, train_options *o, int need_out, char *err, size_t errlen);
/* The table (n rows), for tests and other front ends. */
const bb_opt *train_opts_table(int *n);
/* The --help text, generated from the table; malloc'd (NULL when out of memory). */
char *train_opts_usage_dup(void);
/* "PATH: skipped N lines that are not UTF-8 (first at line L)" for --skip-invalid-utf8's count of a
 * data file; "" when n is 0. */
void train_opts_skipped_text(char *buf, size_t len, const char *path, int n, int first_line);

#endif
