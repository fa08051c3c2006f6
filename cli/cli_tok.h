/* cli_tok.h — what the tokenizer subcommands (tokenize, compare) share. */
#ifndef BB_CLI_TOK_H
#define BB_CLI_TOK_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "tok.h"

/* tok_stats as the JSON object `tokenize --stats` prints. */
cJSON *cli_stats_json(const tok_stats *s);

#endif
