#include "cli_model.h"

#include <stdlib.h>
#include <string.h>

#include "bb_model_dir.h"
#include "cli.h"

const char *cli_default_model(const char *cmd) {
    static char dir[4096];
    char err[1024];
    if (bb_model_default(dir, sizeof dir, err, sizeof err) != BB_OK) {
        cli_fail(cmd, "%s", err);
        return NULL;
    }
    return dir;
}

int cli_model_arg(cli_model_opts *o, int argc, char **argv, int *i, const char *cmd) {
    const char *a = argv[*i];
    if (strcmp(a, "--cased") == 0) {
        o->case_mode = TOK_CASE_CASED;
        return 1;
    }
    if (strcmp(a, "--uncased") == 0) {
        o->case_mode = TOK_CASE_LOWER;
        return 1;
    }
    const char **slot = strcmp(a, "--model") == 0                                      ? &o->model
                        : strcmp(a, "--vocab") == 0 || strcmp(a, "--tokenizer") == 0 ? &o->vocab
                                                                                     : NULL;
    if (!slot) return 0;
    if (*i + 1 >= argc) {
        cli_usage_error(cmd, "%s needs a value", a);
        return -1;
    }
    *slot = argv[++*i];
    return 1;
}

infer_ctx *cli_open_infer(const cli_model_opts *o, const char *cmd) {
    char err[1024];
    infer_ctx *cx = NULL;
    const char *dir = o->model ? o->model : cli_default_model(cmd);
    if (!dir) return NULL;
    if (infer_open(&cx, dir, o->vocab, o->case_mode, err, sizeof err) != BB_OK) {
        cli_fail(cmd, "%s", err);
        return NULL;
    }
    return cx;
}

int cli_int_arg(const char *cmd, const char *name, const char *val, int lo, int hi, int *out) {
    char *end;
    long v = val ? strtol(val, &end, 10) : 0;
    if (!val || !*val || *end || v < lo || v > hi) {
        cli_usage_error(cmd, "%s needs an integer in %d..%d%s%s", name, lo, hi, val ? ", not " : "", val ? val : "");
        return 0;
    }
    *out = (int)v;
    return 1;
}

int cli_print_json(cJSON *j, const char *cmd) {
    char *s = j ? cJSON_PrintUnformatted(j) : NULL;
    cJSON_Delete(j);
    if (!s) return cli_fail(cmd, "out of memory");
    puts(s);
    free(s);
    /* a failed write stops the loop; main() says why, in one line */
    return fflush(stdout) == 0 ? 0 : 1;
}

cJSON *cli_tokens_json(const tok_encoding *enc) {
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; a && i < enc->n; i++) cJSON_AddItemToArray(a, cJSON_CreateString(enc->tokens[i]));
    return a;
}
