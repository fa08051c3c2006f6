/* cli_model.h — what the inference subcommands share: --model/--vocab/--cased options, opening the
 * model with its tokenizer, integer options, printing cJSON. */
#ifndef BB_CLI_MODEL_H
#define BB_CLI_MODEL_H

#include <cjson/cJSON.h>

#include "infer.h"

typedef struct {
    const char *model; /* --model DIR (default: the bundled model) */
    const char *vocab; /* --vocab / --tokenizer PATH (vocab.txt, tokenizer.json, directory) overriding the model's tokenizer */
    int case_mode;     /* TOK_CASE_AUTO, or --cased / --uncased */
} cli_model_opts;

#define CLI_MODEL_HELP                                                                             \
    "  --model DIR       Hugging Face model directory, or ORG/NAME[@REV] from the local HF cache\n"  \
    "                    (default: $BERTBENCH_MODEL, else the bundled model)\n"                   \
    "  --vocab PATH      vocab.txt, tokenizer.json, SentencePiece .model or directory to use\n"  \
    "                    instead of the model's tokenizer (also --tokenizer); it must match the model\n" \
    "  --cased           keep case and accents (default: as the tokenizer was configured)\n"

/* The model used without --model: $BERTBENCH_MODEL, else the bundled one (bb_model_default). NULL
 * after printing why there is none and how to give one. */
const char *cli_default_model(const char *cmd);
/* Consumes a model option at argv[*i] (advancing *i past its value). Returns 1 when consumed, 0 when
 * argv[*i] is not a model option, -1 after printing a usage error. */
int cli_model_arg(cli_model_opts *o, int argc, char **argv, int *i, const char *cmd);
/* Opens model + tokenizer; on failure prints the error and returns NULL. */
infer_ctx *cli_open_infer(const cli_model_opts *o, const char *cmd);
/* Parses an integer option value in [lo, hi]; prints a usage error and returns 0 when invalid. */
int cli_int_arg(const char *cmd, const char *name, const char *val, int lo, int hi, int *out);
/* Prints j unformatted on one line of stdout and deletes it. Returns 0, or 1 when out of memory or the
 * write failed (that one without a message: main() reports the write error once). */
int cli_print_json(cJSON *j, const char *cmd);
/* A JSON array of an encoding's token strings. */
cJSON *cli_tokens_json(const tok_encoding *enc);

#endif
