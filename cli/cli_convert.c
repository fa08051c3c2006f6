/* `bertbench convert --to safetensors SRC OUT`: any checkpoint bertbench reads (model.safetensors,
 * sharded or not, or pytorch_model.bin in either torch format, sharded or not; SRC a directory or a Hub
 * id from the local cache) written as a Hugging Face model directory: model.safetensors with every
 * tensor in its own dtype, plus config.json and the tokenizer files copied. A tensor that is only a
 * second name of another's bytes (a tied decoder, as torch stores it) is left out, as transformers does
 * when it saves, since safetensors cannot hold shared tensors. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>

#include "atomic_file.h"
#include "bb_err.h"
#include "bb_hub.h"
#include "cli.h"
#include "cli_model.h"
#include "st.h"

static const char usage[] =
    "usage: bertbench convert --to safetensors SRC OUT\n"
    "  SRC   a model directory (model.safetensors or pytorch_model.bin, sharded or not) or a Hub id\n"
    "        (ORG/NAME[@REVISION]) from the local Hugging Face cache\n"
    "  OUT   the directory to write: model.safetensors, config.json and the tokenizer files\n";

/* The files of a model directory besides its weights, copied as they are. */
static const char *const side_files[] = {
    "config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt",
    "vocab.json", "merges.txt", "added_tokens.json", "spiece.model", "sentencepiece.bpe.model",
    "tokenizer.model", NULL,
};

static int same_bytes(const st_tensor *a, const st_tensor *b) {
    if (a->data != b->data || a->nbytes != b->nbytes || a->dtype != b->dtype || a->ndim != b->ndim) return 0;
    for (int d = 0; d < a->ndim; d++)
        if (a->shape[d] != b->shape[d]) return 0;
    return 1;
}

static int copy_file(const char *from, const char *to, char *err, size_t errlen) {
    FILE *fp = fopen(from, "rb");
    if (!fp) return bb_err(err, errlen, BB_EIO, "%s: cannot open: %s", from, strerror(errno));
    char *buf = NULL;
    size_t n = 0, cap = 0;
    int rc = BB_OK;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 1 << 16;
            char *g = cap <= (1u << 30) ? realloc(buf, cap) : NULL;
            if (!g) {
                rc = bb_err(err, errlen, BB_ENOMEM, "%s: too large to copy", from);
                break;
            }
            buf = g;
        }
        size_t r = fread(buf + n, 1, cap - n, fp);
        n += r;
        if (r == 0) break;
    }
    if (rc == BB_OK && ferror(fp)) rc = bb_err(err, errlen, BB_EIO, "%s: read error", from);
    fclose(fp);
    if (rc == BB_OK) rc = bb_write_atomic(to, buf, n, err, errlen);
    free(buf);
    return rc;
}

static int convert(const char *src_arg, const char *out, cJSON *res, char *err, size_t errlen) {
    char src[4096], path[8300], to[8300];
    int rc = bb_hub_resolve(src_arg, src, sizeof src, err, errlen);
    if (rc != BB_OK) return rc;
    st_file *f = NULL;
    if ((rc = st_open_dir(&f, src, err, errlen)) != BB_OK) return rc;
    int n = st_count(f), kept = 0;
    st_raw_entry *e = calloc((size_t)(n ? n : 1), sizeof *e);
    cJSON *dropped = cJSON_AddArrayToObject(res, "dropped_shared"), *from = cJSON_AddArrayToObject(res, "from"),
          *copied = cJSON_AddArrayToObject(res, "copied");
    if (!e || !dropped || !from || !copied) {
        rc = bb_err(err, errlen, BB_ENOMEM, "out of memory");
        goto done;
    }
    uint64_t bytes = 0;
    for (int i = 0; i < n; i++) {
        const st_tensor *t = st_at(f, i);
        int shared = 0;
        for (int j = 0; j < i && !shared; j++) shared = same_bytes(t, st_at(f, j));
        int seen = 0;
        for (int j = 0; j < i && !seen; j++) seen = strcmp(st_at(f, j)->path, t->path) == 0;
        if (!seen) cJSON_AddItemToArray(from, cJSON_CreateString(t->path));
        if (shared) {
            cJSON_AddItemToArray(dropped, cJSON_CreateString(t->name));
            continue;
        }
        e[kept] = (st_raw_entry){t->name, t->dtype, t->ndim, {0}, t->data, t->nbytes};
        memcpy(e[kept].shape, t->shape, sizeof e[kept].shape);
        bytes += t->nbytes;
        kept++;
    }
    if (mkdir(out, 0777) != 0 && errno != EEXIST) {
        rc = bb_err(err, errlen, BB_EIO, "%s: cannot create directory: %s", out, strerror(errno));
        goto done;
    }
    snprintf(to, sizeof to, "%s/model.safetensors", out);
    if ((rc = st_write_raw(to, e, kept, err, errlen)) != BB_OK) goto done;
    for (int i = 0; side_files[i]; i++) {
        struct stat sb;
        snprintf(path, sizeof path, "%s/%s", src, side_files[i]);
        if (stat(path, &sb) != 0) continue;
        snprintf(to, sizeof to, "%s/%s", out, side_files[i]);
        if ((rc = copy_file(path, to, err, errlen)) != BB_OK) goto done;
        cJSON_AddItemToArray(copied, cJSON_CreateString(side_files[i]));
    }
    cJSON_AddStringToObject(res, "source", src);
    cJSON_AddStringToObject(res, "out", out);
    cJSON_AddNumberToObject(res, "tensors", kept);
    cJSON_AddNumberToObject(res, "bytes", (double)bytes);
done:
    free(e);
    st_close(f);
    return rc;
}

int cli_convert(int argc, char **argv) {
    const char *to = NULL, *pos[2] = {NULL, NULL};
    int npos = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            fputs(usage, stdout);
            return 0;
        }
        if (strcmp(argv[i], "--to") == 0) {
            if (i + 1 >= argc) return cli_usage_error("convert", "--to needs a format");
            to = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1] == '-') {
            return cli_usage_error("convert", "unknown option '%s'", argv[i]);
        } else if (npos < 2) {
            pos[npos++] = argv[i];
        } else {
            return cli_usage_error("convert", "one SRC and one OUT, not '%s' too", argv[i]);
        }
    }
    if (!to || npos != 2) return cli_usage_error("convert", "need --to safetensors SRC OUT");
    if (strcmp(to, "safetensors") != 0)
        return cli_usage_error("convert", "--to '%s': only safetensors is written", to);
    char err[1024];
    cJSON *res = cJSON_CreateObject();
    if (!res) return cli_fail("convert", "out of memory");
    if (convert(pos[0], pos[1], res, err, sizeof err) != BB_OK) {
        cJSON_Delete(res);
        return cli_fail("convert", "%s", err);
    }
    return cli_print_json(res, "convert");
}
