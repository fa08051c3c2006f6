/* bertbench embed / perplexity: sentence embeddings with cosine similarities, and pseudo-perplexity
 * with per-token surprisal. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_model.h"

static const char embed_usage[] =
    "usage: bertbench embed [--model DIR] [--pooling cls|mean] [--layer L] [--stride S] TEXT...\n"
    "Sentence embeddings and the cosine similarity of every pair of texts:\n"
    "{\"pooling\",\"layer\",\"embeddings\":[{\"text\",\"vector\",\"truncated_tokens\"}],\"cosine\":[[..]]}\n"
    "  --pooling P       cls (the [CLS] vector) or mean (over the tokens; default)\n"
    "  --layer L         0 = embeddings output ... L = last layer (default)\n"
    "  --stride S        texts longer than the model: average windows advancing by S tokens\n"
    "                    (default: truncate and report truncated_tokens)\n" CLI_MODEL_HELP;

static const char ppl_usage[] =
    "usage: bertbench perplexity [--model DIR] [--stride S] TEXT...\n"
    "Pseudo-perplexity: each token is masked in turn and scored (Salazar et al. 2020):\n"
    "{\"text\",\"pseudo_perplexity\",\"tokens\":[{\"token\",\"position\",\"logprob\",\"surprisal_bits\"}]}\n"
    "  --stride S        texts longer than the model: windows advancing by S tokens (default: truncate)\n" CLI_MODEL_HELP;

/* Parses the shared options; returns the index of the first TEXT, 0 after --help, -1 on a usage error. */
static int parse(int argc, char **argv, const char *cmd, const char *usage, cli_model_opts *mo, int *pooling, int *layer,
                 int *stride) {
    for (int i = 1; i < argc; i++) {
        int r = cli_model_arg(mo, argc, argv, &i, cmd);
        if (r < 0) return -1;
        if (r) continue;
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0) {
            fputs(usage, stdout);
            return 0;
        } else if (strcmp(a, "--stride") == 0) {
            if (!cli_int_arg(cmd, a, v, 1, 100000, stride)) return -1;
            i++;
        } else if (pooling && strcmp(a, "--layer") == 0) {
            if (!cli_int_arg(cmd, a, v, 0, 1000, layer)) return -1;
            i++;
        } else if (pooling && strcmp(a, "--pooling") == 0) {
            if (!v || (strcmp(v, "cls") && strcmp(v, "mean"))) {
                cli_usage_error(cmd, "--pooling is cls or mean");
                return -1;
            }
            *pooling = strcmp(v, "cls") == 0 ? INFER_POOL_CLS : INFER_POOL_MEAN;
            i++;
        } else if (strcmp(a, "--") == 0) {
            return i + 1 < argc ? i + 1 : (cli_usage_error(cmd, "no TEXT given"), -1);
        } else if (a[0] == '-' && a[1] == '-') {
            cli_usage_error(cmd, "unknown option '%s'", a);
            return -1;
        } else {
            return i;
        }
    }
    cli_usage_error(cmd, "no TEXT given");
    return -1;
}

int cli_embed(int argc, char **argv) {
    const char *cmd = "embed";
    cli_model_opts mo = {NULL, NULL, TOK_CASE_AUTO};
    int pooling = INFER_POOL_MEAN, layer = -1, stride = 0;
    int first = parse(argc, argv, cmd, embed_usage, &mo, &pooling, &layer, &stride);
    if (first <= 0) return first == 0 ? 0 : 2;
    infer_ctx *cx = cli_open_infer(&mo, cmd);
    if (!cx) return 1;
    int n = argc - first, C = cx->model->cfg.hidden_size, status = 0;
    float *vec = malloc(sizeof(float) * (size_t)n * C);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "pooling", pooling == INFER_POOL_CLS ? "cls" : "mean");
    cJSON_AddNumberToObject(o, "layer", layer < 0 ? cx->model->cfg.num_layers : layer);
    cJSON *embs = cJSON_AddArrayToObject(o, "embeddings");
    for (int t = 0; t < n && vec && status == 0; t++) {
        char err[1024];
        int trunc;
        if (infer_embed(cx, argv[first + t], (infer_pooling)pooling, layer, stride, vec + (size_t)t * C, &trunc, err,
                        sizeof err) != BB_OK) {
            status = cli_fail(cmd, "text %d: %s", t + 1, err);
            break;
        }
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "text", argv[first + t]);
        cJSON_AddItemToObject(e, "vector", cJSON_CreateFloatArray(vec + (size_t)t * C, C));
        if (trunc) {
            /* the model's effective max length cut the text there (HF's pipelines would refuse it) */
            cJSON_AddNumberToObject(e, "truncated_tokens", trunc);
            cJSON_AddNumberToObject(e, "max_length", infer_max_tokens(cx));
        }
        cJSON_AddItemToArray(embs, e);
    }
    if (!vec) status = cli_fail(cmd, "out of memory");
    if (status == 0) {
        cJSON *cos = cJSON_AddArrayToObject(o, "cosine");
        for (int a = 0; a < n; a++) {
            cJSON *row = cJSON_CreateArray();
            for (int b = 0; b < n; b++)
                cJSON_AddItemToArray(row, cJSON_CreateNumber(infer_cosine(vec + (size_t)a * C, vec + (size_t)b * C, C)));
            cJSON_AddItemToArray(cos, row);
        }
        status = cli_print_json(o, cmd);
    } else {
        cJSON_Delete(o);
    }
    free(vec);
    infer_close(cx);
    return status;
}

int cli_perplexity(int argc, char **argv) {
    const char *cmd = "perplexity";
    cli_model_opts mo = {NULL, NULL, TOK_CASE_AUTO};
    int stride = 0;
    int first = parse(argc, argv, cmd, ppl_usage, &mo, NULL, NULL, &stride);
    if (first <= 0) return first == 0 ? 0 : 2;
    infer_ctx *cx = cli_open_infer(&mo, cmd);
    int status = cx ? 0 : 1;
    for (int t = first; cx && t < argc && status == 0; t++) {
        infer_ppl p;
        char err[1024];
        if (infer_pseudo_perplexity(cx, argv[t], stride, &p, NULL, err, sizeof err) != BB_OK) {
            status = cli_fail(cmd, "text %d: %s", t - first + 1, err);
            break;
        }
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "text", argv[t]);
        cJSON_AddNumberToObject(o, "pseudo_perplexity", p.pppl);
        if (p.truncated) {
            /* the model's effective max length cut the text there (HF's pipelines would refuse it) */
            cJSON_AddNumberToObject(o, "truncated_tokens", p.truncated);
            cJSON_AddNumberToObject(o, "max_length", infer_max_tokens(cx));
        }
        cJSON *toks = cJSON_AddArrayToObject(o, "tokens");
        for (int i = 0; i < p.n; i++) {
            cJSON *tj = cJSON_CreateObject();
            cJSON_AddStringToObject(tj, "token", p.enc->tokens[p.positions[i]]);
            cJSON_AddNumberToObject(tj, "position", p.positions[i]);
            cJSON_AddNumberToObject(tj, "logprob", p.logprob[i]);
            cJSON_AddNumberToObject(tj, "surprisal_bits", p.surprisal[i]);
            cJSON_AddItemToArray(toks, tj);
        }
        status = cli_print_json(o, cmd);
        infer_ppl_free(&p);
    }
    infer_close(cx);
    return status;
}
