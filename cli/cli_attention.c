/* bertbench attention: attention probabilities (layer, head, query, key) and per-head summaries. */
#include <stdlib.h>
#include <string.h>

#include "bb_numfmt.h"
#include "cli.h"
#include "cli_model.h"

static const char usage[] =
    "usage: bertbench attention [--model DIR] [--layer L] [--head H] [--pair TEXT] TEXT\n"
    "Attention probabilities of every layer and head (numbered from 0, as in Hugging Face and BertViz):\n"
    "{\"tokens\",\"layers\",\"heads\",\"attentions\":[layer][head][query][key],\"summaries\":[layer][head]}\n"
    "with only the selected layer/head when --layer/--head are given. Summaries: entropy (nats, mean over\n"
    "queries), mean attention to [CLS], to [SEP], to itself, to the previous and to the next token.\n"
    "Probabilities are written as the shortest decimal that reads back as the same float32 (0.25,\n"
    "0.020544866, 1e-7): parsed as float32 they are the engine's values exactly.\n"
    "  --layer L         only layer L\n"
    "  --head H          only head H\n"
    "  --pair TEXT       encode TEXT as the second segment\n"
    "  --rollout         add \"rollout\": attention rollout through each selected layer\n" CLI_MODEL_HELP;

int cli_attention(int argc, char **argv) {
    const char *cmd = "attention", *text = NULL, *pair = NULL;
    cli_model_opts mo = {NULL, NULL, TOK_CASE_AUTO};
    int layer = -1, head = -1, rollout = 0;
    for (int i = 1; i < argc; i++) {
        int r = cli_model_arg(&mo, argc, argv, &i, cmd);
        if (r < 0) return 2;
        if (r) continue;
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0) {
            fputs(usage, stdout);
            return 0;
        } else if (strcmp(a, "--layer") == 0) {
            if (!cli_int_arg(cmd, a, v, 0, 1000, &layer)) return 2;
            i++;
        } else if (strcmp(a, "--head") == 0) {
            if (!cli_int_arg(cmd, a, v, 0, 1000, &head)) return 2;
            i++;
        } else if (strcmp(a, "--pair") == 0) {
            if (!v) return cli_usage_error(cmd, "--pair needs a value");
            pair = argv[++i];
        } else if (strcmp(a, "--rollout") == 0) {
            rollout = 1;
        } else if (a[0] == '-' && a[1] == '-' && a[2]) {
            return cli_usage_error(cmd, "unknown option '%s'", a);
        } else if (text) {
            return cli_usage_error(cmd, "one TEXT only (use --pair for a second segment)");
        } else {
            text = a;
        }
    }
    if (!text) return cli_usage_error(cmd, "no TEXT given");
    infer_ctx *cx = cli_open_infer(&mo, cmd);
    if (!cx) return 1;
    infer_attn at;
    char err[1024];
    int status;
    if (infer_attention(cx, text, pair, &at, NULL, err, sizeof err) != BB_OK) {
        status = cli_fail(cmd, "%s", err);
    } else if (layer >= at.L || head >= at.NH) {
        status = cli_usage_error(cmd, "the model has layers 0..%d and heads 0..%d", at.L - 1, at.NH - 1);
        infer_attn_free(&at);
    } else {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToObject(o, "tokens", cli_tokens_json(at.enc));
        cJSON_AddNumberToObject(o, "layers", at.L);
        cJSON_AddNumberToObject(o, "heads", at.NH);
        if (layer >= 0) cJSON_AddNumberToObject(o, "layer", layer);
        if (head >= 0) cJSON_AddNumberToObject(o, "head", head);
        if (at.truncated) {
            /* the model's effective max length cut the text there (HF's pipelines would refuse it) */
            cJSON_AddNumberToObject(o, "truncated_tokens", at.truncated);
            cJSON_AddNumberToObject(o, "max_length", infer_max_tokens(cx));
        }
        cJSON *att = cJSON_AddArrayToObject(o, "attentions"), *sum = cJSON_AddArrayToObject(o, "summaries");
        cJSON *roll = rollout ? cJSON_AddArrayToObject(o, "rollout") : NULL;
        for (int l = layer < 0 ? 0 : layer; l < (layer < 0 ? at.L : layer + 1); l++) {
            cJSON *la = cJSON_CreateArray(), *ls = cJSON_CreateArray();
            for (int h = head < 0 ? 0 : head; h < (head < 0 ? at.NH : head + 1); h++) {
                cJSON_AddItemToArray(la, bb_json_floats(infer_attn_head(&at, l, h), at.T, at.T));
                const infer_head_summary *s = &at.summary[l * at.NH + h];
                cJSON *sj = cJSON_CreateObject();
                cJSON_AddNumberToObject(sj, "entropy", s->entropy);
                cJSON_AddNumberToObject(sj, "to_cls", s->to_cls);
                cJSON_AddNumberToObject(sj, "to_sep", s->to_sep);
                cJSON_AddNumberToObject(sj, "to_self", s->to_self);
                cJSON_AddNumberToObject(sj, "to_prev", s->to_prev);
                cJSON_AddNumberToObject(sj, "to_next", s->to_next);
                cJSON_AddItemToArray(ls, sj);
            }
            cJSON_AddItemToArray(att, la);
            cJSON_AddItemToArray(sum, ls);
            if (roll) cJSON_AddItemToArray(roll, bb_json_floats(at.rollout + (size_t)l * at.T * at.T, at.T, at.T));
        }
        status = cli_print_json(o, cmd);
        infer_attn_free(&at);
    }
    infer_close(cx);
    return status;
}
