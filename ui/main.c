/* bertbench entry point: `bertbench SUBCOMMAND ...` runs a scripted subcommand; with no subcommand
 * it opens the workbench. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void print_help(FILE *f) {
    fprintf(f, "usage: bertbench [SUBCOMMAND] [OPTIONS]\n\n"
               "A terminal workbench for BERT-style encoders. Subcommands print JSON on stdout:\n\n");
    for (const cli_cmd *c = cli_commands; c->name; c++) fprintf(f, "  %-16s %s\n", c->name, c->summary);
    fprintf(f, "\n'bertbench SUBCOMMAND --help' describes its options.\n");
}

int main(int argc, char **argv) {
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        print_help(stdout);
        return 0;
    }
    for (const cli_cmd *c = cli_commands; c->name; c++)
        if (strcmp(argv[1], c->name) == 0) return c->run(argc - 1, argv + 1);
    fprintf(stderr, "bertbench: unknown subcommand '%s' (try 'bertbench --help')\n", argv[1]);
    return 2;
}
