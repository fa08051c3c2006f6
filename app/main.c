/* bertbench entry point: `bertbench SUBCOMMAND ...` runs a scripted subcommand; with no subcommand
 * it opens the workbench. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "bb_model_dir.h"
#include "ui_app.h"
#include "ui_session.h"
#include "ui_term.h"

static void print_help(FILE *f) {
    fprintf(f, "usage: bertbench [SUBCOMMAND] [OPTIONS]\n\n"
               "A terminal workbench for BERT-style encoders. Subcommands print JSON on stdout:\n\n");
    for (const app_cmd *c = app_commands; c->name; c++) fprintf(f, "  %-16s %s\n", c->name, c->summary);
    fprintf(f, "\n'bertbench SUBCOMMAND --help' describes its options.\n"
               "\nWith no subcommand: the workbench.\n"
               "  bertbench [--model DIR] [--vocab FILE] [--session NAME.bbs]\n"
               "    no option     $BERTBENCH_MODEL, else the bundled model (installed beside bertbench)\n"
               "    --model DIR   a Hugging Face model directory (config.json, model.safetensors, tokenizer)\n"
               "    --vocab FILE  tokenizer override: vocab.txt, tokenizer.json or a directory (also --tokenizer)\n"
               "    --session DIR restore a saved session (created when DIR does not exist)\n");
}

/* `bertbench [--model DIR] [--vocab FILE]`: the full-screen workbench. */
static int workbench(int argc, char **argv) {
    const char *model = NULL, *vocab = NULL, *session = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--session") == 0 && i + 1 < argc) {
            session = argv[++i];
        } else if ((strcmp(argv[i], "--model") == 0 || strcmp(argv[i], "--vocab") == 0 ||
                    strcmp(argv[i], "--tokenizer") == 0) && i + 1 < argc) {
            *(argv[i][2] == 'm' ? &model : &vocab) = argv[i + 1];
            i++;
        } else {
            fprintf(stderr, "bertbench: unknown option '%s' (try 'bertbench --help')\n", argv[i]);
            return 2;
        }
    }
    /* No model, vocabulary or session named: $BERTBENCH_MODEL or the bundled model when it is there;
     * else the workbench opens empty and its message line says how to give one. */
    char dflt[4096], cfg_path[4200], no_model[4400] = "";
    if (!model && !vocab && !session && bb_model_default(dflt, sizeof dflt, no_model, sizeof no_model) == BB_OK) {
        snprintf(cfg_path, sizeof cfg_path, "%s/config.json", dflt);
        if (access(cfg_path, R_OK) == 0)
            model = dflt;
        else
            snprintf(no_model, sizeof no_model, "no model found: BERTBENCH_MODEL=%s has no readable config.json; "
                     "give another with --model DIR or BERTBENCH_MODEL=DIR", dflt);
    }
    ui_app app;
    char err[512];
    /* Before loading a model: a pipe or a dumb terminal gets its answer at once. */
    if (ui_term_check(stdout, stdin, err, sizeof err) != BB_OK) {
        fprintf(stderr, "bertbench: %s\n", err);
        return 2;
    }
    if (ui_app_init(&app, model, vocab, err, sizeof err) != BB_OK) {
        fprintf(stderr, "bertbench: %s\n", err);
        ui_app_free(&app);
        return 1;
    }
    if (no_model[0]) ui_app_message(&app, 1, "%s; or type `load DIR`", no_model);
    if (session) ui_sess_start(&app, session);
    int rc = ui_app_run(&app);
    ui_app_free(&app);
    return rc;
}

int main(int argc, char **argv) {
    /* A file-size limit (ulimit -f) or a full disk must become an error message while saving, not a
     * kill that leaves half a checkpoint; writes go through temporary files and rename. */
    signal(SIGXFSZ, SIG_IGN);
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        print_help(stdout);
        return 0;
    }
    if (argc < 2 || argv[1][0] == '-') return workbench(argc, argv);
    for (const app_cmd *c = app_commands; c->name; c++)
        if (strcmp(argv[1], c->name) == 0) {
            signal(SIGPIPE, SIG_IGN); /* a closed stdout is a write error, checked below */
            int rc = c->run(argc - 1, argv + 1);
            /* JSON lost to a full disk must not exit 0; a reader that stopped early (EPIPE) needs no message. */
            if (fflush(stdout) != 0 || ferror(stdout)) {
                if (errno != EPIPE) fprintf(stderr, "bertbench %s: writing the output: %s\n", c->name, strerror(errno));
                return rc ? rc : 1;
            }
            return rc;
        }
    fprintf(stderr, "bertbench: unknown subcommand '%s' (try 'bertbench --help')\n", argv[1]);
    return 2;
}
