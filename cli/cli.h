/* cli.h — scripted subcommands. Each prints JSON on stdout; on error one line on stderr naming the
 * file or argument and the problem; returns the process exit status (0 ok, 1 error, 2 usage). */
#ifndef BB_CLI_H
#define BB_CLI_H

#include <stdio.h>

int cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints "bertbench CMD: message" on stderr and returns 1. */
int cli_fail(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

int cli_train(int argc, char **argv);
int cli_follow(int argc, char **argv);
int cli_tokenize(int argc, char **argv);
int cli_train_tokenizer(int argc, char **argv);
int cli_compare(int argc, char **argv);
int cli_fill_mask(int argc, char **argv);
int cli_attention(int argc, char **argv);
int cli_embed(int argc, char **argv);
int cli_perplexity(int argc, char **argv);
int cli_convert(int argc, char **argv);
int cli_models(int argc, char **argv);

#endif
