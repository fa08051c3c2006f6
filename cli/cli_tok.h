/* cli_tok.h — what the tokenizer subcommands (tokenize, compare) share. */
#ifndef BB_CLI_TOK_H
#define BB_CLI_TOK_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "tok.h"

/* tok_stats as the JSON object `tokenize --stats` prints. */
cJSON *cli_stats_json(const tok_stats *s);
/* The lines of path (a JSONL line's "text" field when it is an object with one), *n of them, read as
 * a stream with a line-length limit; the caller frees each and the array. A line that is not UTF-8
 * stops the reading with PATH:LINE, as training data does, or is skipped (skip_bad, counted in
 * *skipped). NULL with the problem in err. */
char **cli_read_texts(const char *path, long *n, int skip_bad, long *skipped, char *err, size_t errlen);

#endif
