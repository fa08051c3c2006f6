/* train_opts.h — the options of a training run as given on a command line: `bertbench train` and the
 * workbench's `train` command parse the same words into a train_options. */
#ifndef BB_TRAIN_OPTS_H
#define BB_TRAIN_OPTS_H

#include <stddef.h>

#include "trainer.h"

/* Parses argv[1..argc) into *o (argv[0] is the command name). Returns BB_OK, 1 for --help, or
 * BB_EINVAL with the problem in err. need_out: --out is required (the CLI; the workbench defaults
 * it to the run's directory in the session). Strings in *o point into argv. */
int train_opts_parse(int argc, char **argv, train_options *o, int need_out, char *err, size_t errlen);
/* "PATH: skipped N lines that are not UTF-8 (first at line L)" for --skip-invalid-utf8's count of a
 * data file; "" when n is 0. */
void train_opts_skipped_text(char *buf, size_t len, const char *path, int n, int first_line);
/* The --help text. */
extern const char train_opts_usage[];

#endif
