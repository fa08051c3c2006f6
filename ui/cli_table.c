/* The subcommand table: one line per subcommand, implemented in ui/cli_NAME.c. */
#include "cli.h"

const cli_cmd cli_commands[] = {
    {"bench", cli_bench, "benchmarks: forward, tokenize, train (JSON line)"},
    {0, 0, 0},
};
