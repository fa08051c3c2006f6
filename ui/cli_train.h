/* cli_train.h — the option parser of `bertbench train`, shared with the workbench's `train` command. */
#ifndef BB_CLI_TRAIN_H
#define BB_CLI_TRAIN_H

#include <stddef.h>

#include "trainer.h"

/* Parses argv[1..argc) into *o (argv[0] is the command name). Returns BB_OK, 1 for --help, or
 * BB_EINVAL with the problem in err. need_out: --out is required (the CLI; the workbench defaults
 * it to the run's directory in the session). Strings in *o point into argv. */
int cli_train_parse(int argc, char **argv, train_options *o, int need_out, char *err, size_t errlen);
/* "PATH: skipped N lines that are not UTF-8 (first at line L)" for --skip-invalid-utf8's count of a
 * data file; "" when n is 0. */
void cli_train_skipped_text(char *buf, size_t len, const char *path, int n, int first_line);
/* `train ... --export-hf DIR` (cli_export_hf.c): writes the HF Trainer export and returns the exit
 * status; -1 when argv has no --export-hf (then the run trains here). */
int cli_train_export(int argc, char **argv);
/* The --help text. */
extern const char cli_train_usage[];

#endif
