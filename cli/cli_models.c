/* `bertbench models`: the models in the local Hugging Face cache that bertbench can load, as JSON —
 * id, revision and commit, architecture, layers/hidden/heads, weight bytes, tokenizer kind and the
 * weight formats present. Cached models it cannot load are listed under "skipped" with the reason. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "bb_err.h"
#include "bb_hub.h"
#include "cli.h"
#include "cli_model.h"
#include "config.h"
#include "tok.h"

static const char usage[] =
    "usage: bertbench models\n"
    "  lists the models of the Hugging Face cache ($HF_HUB_CACHE, else $HF_HOME/hub, else\n"
    "  ~/.cache/huggingface/hub) that --model ORG/NAME and the workbench's `load ORG/NAME` can open\n";

static int has_suffix(const char *s, const char *suf) {
    size_t n = strlen(s), k = strlen(suf);
    return n >= k && strcmp(s + n - k, suf) == 0;
}

/* Weight formats present in dir (JSON strings) and the bytes of the one bertbench would load. */
static cJSON *formats(const char *dir, double *bytes, int *loadable) {
    static const struct {
        const char *name, *prefix, *suffix;
    } kinds[] = {
        {"safetensors", "model", ".safetensors"}, {"pytorch", "pytorch_model", ".bin"},
        {"tensorflow", "tf_model", ".h5"},        {"flax", "flax_model", ".msgpack"},
        {"onnx", "model", ".onnx"},
    };
    double size[5] = {0};
    int found[5] = {0};
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        char p[8300];
        struct stat sb;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (stat(p, &sb) != 0 || !S_ISREG(sb.st_mode)) continue;
        for (int k = 0; k < 5; k++) {
            size_t pl = strlen(kinds[k].prefix);
            if (strncmp(e->d_name, kinds[k].prefix, pl) == 0 && (e->d_name[pl] == '.' || e->d_name[pl] == '-') &&
                has_suffix(e->d_name, kinds[k].suffix)) {
                found[k] = 1;
                size[k] += (double)sb.st_size;
            }
        }
    }
    if (d) closedir(d);
    cJSON *a = cJSON_CreateArray();
    for (int k = 0; k < 5; k++)
        if (found[k]) cJSON_AddItemToArray(a, cJSON_CreateString(kinds[k].name));
    *loadable = found[0] || found[1];
    *bytes = found[0] ? size[0] : size[1]; /* safetensors first, as the loader prefers */
    return a;
}

/* The tokenizer the loaders would load from dir (tok_resolve): a tokenizer.json's model type, else
 * WordPiece (vocab.txt) or SentencePiece; NULL when there is none. */
static const char *tokenizer_kind(const char *dir, char *buf, size_t len) {
    char p[8300], err[256];
    tok_file_kind kind;
    if (tok_resolve(dir, p, sizeof p, &kind, NULL, err, sizeof err) != BB_OK) return NULL;
    if (kind == TOK_FILE_VOCAB) return "WordPiece";
    if (kind == TOK_FILE_SPM) return "SentencePiece";
    struct stat sb;
    FILE *fp = stat(p, &sb) == 0 && sb.st_size < (64 << 20) ? fopen(p, "rb") : NULL;
    if (!fp) return NULL;
    char *text = malloc((size_t)sb.st_size + 1);
    size_t n = text ? fread(text, 1, (size_t)sb.st_size, fp) : 0;
    fclose(fp);
    cJSON *j = text ? cJSON_ParseWithLength(text, n) : NULL;
    free(text);
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "model"), "type");
    if (cJSON_IsString(t)) snprintf(buf, len, "%s", t->valuestring);
    cJSON_Delete(j);
    return cJSON_IsString(t) ? buf : NULL;
}

static void skip(cJSON *skipped, const char *id, const char *reason) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", id);
    cJSON_AddStringToObject(o, "reason", reason);
    cJSON_AddItemToArray(skipped, o);
}

static void describe(const bb_hub_model *hm, cJSON *models, cJSON *skipped) {
    char path[8300], err[1024], kind[64];
    snprintf(path, sizeof path, "%s/config.json", hm->path);
    bert_config cfg = {0};
    if (bert_config_load(&cfg, path, err, sizeof err) != BB_OK) {
        skip(skipped, hm->id, err);
        return;
    }
    double bytes;
    int loadable;
    cJSON *fmt = formats(hm->path, &bytes, &loadable);
    if (!loadable) {
        cJSON_Delete(fmt);
        bert_config_free(&cfg);
        skip(skipped, hm->id, "no model.safetensors or pytorch_model.bin weights");
        return;
    }
    const cJSON *json = cfg.json, *arch = cJSON_GetObjectItemCaseSensitive(json, "architectures"),
                *mt = cJSON_GetObjectItemCaseSensitive(json, "model_type");
    const char *tk = tokenizer_kind(hm->path, kind, sizeof kind);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", hm->id);
    cJSON_AddStringToObject(o, "revision", hm->revision);
    cJSON_AddStringToObject(o, "commit", hm->commit);
    cJSON_AddStringToObject(o, "path", hm->path);
    if (cJSON_IsArray(arch) && cJSON_IsString(arch->child))
        cJSON_AddStringToObject(o, "architecture", arch->child->valuestring);
    else
        cJSON_AddNullToObject(o, "architecture");
    cJSON_AddStringToObject(o, "model_type", cJSON_IsString(mt) ? mt->valuestring : "bert");
    cJSON_AddNumberToObject(o, "layers", cfg.num_layers);
    cJSON_AddNumberToObject(o, "hidden", cfg.hidden_size);
    cJSON_AddNumberToObject(o, "heads", cfg.num_heads);
    cJSON_AddNumberToObject(o, "vocab_size", cfg.vocab_size);
    cJSON_AddNumberToObject(o, "size_bytes", bytes);
    if (tk)
        cJSON_AddStringToObject(o, "tokenizer", tk);
    else
        cJSON_AddNullToObject(o, "tokenizer");
    cJSON_AddItemToObject(o, "formats", fmt);
    cJSON_AddItemToArray(models, o);
    bert_config_free(&cfg);
}

int cli_models(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            fputs(usage, stdout);
            return 0;
        }
        return cli_usage_error("models", "unexpected argument '%s'", argv[i]);
    }
    char cache[4096], err[1024];
    bb_hub_model *list;
    int n;
    if (bb_hub_cache_dir(cache, sizeof cache, err, sizeof err) != BB_OK ||
        bb_hub_list(&list, &n, err, sizeof err) != BB_OK)
        return cli_fail("models", "%s", err);
    cJSON *res = cJSON_CreateObject(), *models = cJSON_AddArrayToObject(res, "models"),
          *skipped = cJSON_AddArrayToObject(res, "skipped");
    cJSON_AddStringToObject(res, "cache", cache);
    for (int i = 0; i < n && models && skipped; i++) describe(&list[i], models, skipped);
    free(list);
    return cli_print_json(res, "models");
}
