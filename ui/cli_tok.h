/* cli_tok.h — what the tokenizer subcommands (tokenize, compare) share. */
#ifndef BB_CLI_TOK_H
#define BB_CLI_TOK_H

#include <cjson/cJSON.h>

#include "tok.h"

/* tok_stats as the JSON object `tokenize --stats` prints. */
cJSON *cli_stats_json(const tok_stats *s);
/* The lines of path (a JSONL line's "text" field when it is an object with one), *n of them; the
 * caller frees each and the array. NULL when path cannot be opened. */
char **cli_read_texts(const char *path, long *n);

#endif
