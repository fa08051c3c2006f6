/* bertbench fill-mask: HF pipeline("fill-mask") as JSON, one object per text. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_model.h"

static const char usage[] =
    "usage: bertbench fill-mask [--model DIR] [--top-k K] [--targets w1,w2,...] [--rank WORD] TEXT...\n"
    "For every [MASK] in each TEXT, the top-K predictions (softmax over the vocabulary), as\n"
    "{\"text\",\"masks\":[{\"position\",\"predictions\":[{\"token\",\"token_str\",\"score\",\"sequence\"}]}]}.\n"
    "  --top-k K         predictions per mask (default 5)\n"
    "  --targets LIST    rank only these words (a word that is not one token uses its first token)\n"
    "  --rank WORD       also report WORD's rank and probability at every mask\n" CLI_MODEL_HELP;

static cJSON *fill_json(infer_ctx *cx, const char *text, const infer_fill *f, const char *rank_word) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "text", text);
    cJSON *masks = cJSON_AddArrayToObject(o, "masks");
    for (int m = 0; m < f->n_masks; m++) {
        cJSON *mj = cJSON_CreateObject();
        cJSON_AddNumberToObject(mj, "position", f->masks[m].position);
        cJSON *preds = cJSON_AddArrayToObject(mj, "predictions");
        for (int k = 0; k < f->masks[m].k; k++) {
            const infer_pred *p = &f->masks[m].preds[k];
            cJSON *pj = cJSON_CreateObject();
            cJSON_AddNumberToObject(pj, "token", p->token);
            cJSON_AddStringToObject(pj, "token_str", p->token_text);
            cJSON_AddNumberToObject(pj, "score", p->score);
            cJSON_AddStringToObject(pj, "sequence", p->sequence);
            cJSON_AddItemToArray(preds, pj);
        }
        if (rank_word) {
            int rank;
            float prob;
            char err[512];
            if (infer_word_rank(cx, text, m, rank_word, &rank, &prob, err, sizeof err) == BB_OK) {
                cJSON *r = cJSON_AddObjectToObject(mj, "rank");
                cJSON_AddStringToObject(r, "word", rank_word);
                cJSON_AddNumberToObject(r, "rank", rank);
                cJSON_AddNumberToObject(r, "score", prob);
            }
        }
        cJSON_AddItemToArray(masks, mj);
    }
    if (f->truncated) {
            /* the model's effective max length cut the text there (HF's pipelines would refuse it) */
            cJSON_AddNumberToObject(o, "truncated_tokens", f->truncated);
            cJSON_AddNumberToObject(o, "max_length", infer_max_tokens(cx));
        }
    if (f->warning[0]) cJSON_AddStringToObject(o, "warning", f->warning);
    return o;
}

int cli_fill_mask(int argc, char **argv) {
    const char *cmd = "fill-mask";
    cli_model_opts mo = {NULL, NULL, TOK_CASE_AUTO};
    int top_k = 5, first_text = 0;
    char *targets_arg = NULL;
    const char *rank_word = NULL;
    for (int i = 1; i < argc && !first_text; i++) {
        int r = cli_model_arg(&mo, argc, argv, &i, cmd);
        if (r < 0) return 2;
        if (r) continue;
        if (strcmp(argv[i], "--help") == 0) {
            fputs(usage, stdout);
            return 0;
        } else if (strcmp(argv[i], "--top-k") == 0) {
            if (!cli_int_arg(cmd, "--top-k", i + 1 < argc ? argv[++i] : NULL, 1, 100000, &top_k)) return 2;
        } else if (strcmp(argv[i], "--targets") == 0 || strcmp(argv[i], "--rank") == 0) {
            if (i + 1 >= argc) return cli_usage_error(cmd, "%s needs a value", argv[i]);
            if (argv[i][2] == 't')
                targets_arg = argv[++i];
            else
                rank_word = argv[++i];
        } else if (strcmp(argv[i], "--") == 0) {
            first_text = i + 1;
        } else if (argv[i][0] == '-' && argv[i][1] == '-') {
            return cli_usage_error(cmd, "unknown option '%s'", argv[i]);
        } else {
            first_text = i;
        }
    }
    if (!first_text || first_text >= argc) return cli_usage_error(cmd, "no TEXT given");
    const char **targets = NULL;
    int n_targets = 0;
    char *tcopy = targets_arg ? strdup(targets_arg) : NULL;
    if (tcopy) {
        targets = calloc(strlen(tcopy) + 1, sizeof *targets);
        for (char *save, *t = strtok_r(tcopy, ",", &save); t && targets; t = strtok_r(NULL, ",", &save))
            targets[n_targets++] = t;
        if (!n_targets) {
            free(targets);
            free(tcopy);
            return cli_usage_error(cmd, "--targets is empty");
        }
    }
    infer_ctx *cx = cli_open_infer(&mo, cmd);
    int status = cx ? 0 : 1;
    for (int i = first_text; cx && i < argc && status == 0; i++) {
        infer_fill f;
        char err[1024];
        if (infer_fill_mask(cx, argv[i], top_k, targets, n_targets, &f, err, sizeof err) != BB_OK) {
            status = cli_fail(cmd, "text %d: %s", i - first_text + 1, err);
            break;
        }
        status = cli_print_json(fill_json(cx, argv[i], &f, rank_word), cmd);
        infer_fill_free(&f);
    }
    infer_close(cx);
    free(targets);
    free(tcopy);
    return status;
}
