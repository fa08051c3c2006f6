/* `bertbench train-tokenizer --algo wordpiece|bpe --vocab-size N [--min-frequency F] [--limit-alphabet N]
 * [--cased] --out DIR FILE...`: learns a vocabulary from the lines of the files and writes a model
 * directory (tokenizer.json, vocab.txt or vocab.json + merges.txt, tokenizer_config.json). */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tok.h"

static int parse_int(const char *s, int lo, int hi, int *out) {
    char *end;
    long v = strtol(s, &end, 10);
    if (*end || v < lo || v > hi) return 0;
    *out = (int)v;
    return 1;
}

int cli_train_tokenizer(int argc, char **argv) {
    const char *algo = NULL, *out = NULL;
    int vocab_size = 0, min_freq = -1, limit = -1, cased = 0, n_files = 0;
    const char **files = calloc((size_t)argc + 1, sizeof *files);
    if (!files) return cli_fail("train-tokenizer", "out of memory");
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has = i + 1 < argc;
        if (strcmp(a, "--help") == 0) {
            free(files);
            puts("usage: bertbench train-tokenizer --algo wordpiece|bpe --vocab-size N [--min-frequency F]\n"
                 "                                 [--limit-alphabet N] [--cased] --out DIR FILE...");
            return 0;
        }
        if (strcmp(a, "--algo") == 0 && has) algo = argv[++i];
        else if (strcmp(a, "--out") == 0 && has) out = argv[++i];
        else if (strcmp(a, "--cased") == 0) cased = 1;
        else if (strcmp(a, "--vocab-size") == 0 && has) {
            if (!parse_int(argv[++i], 1, 1 << 24, &vocab_size)) {
                free(files);
                return cli_usage_error("train-tokenizer", "--vocab-size '%s' is not a size", argv[i]);
            }
        } else if (strcmp(a, "--min-frequency") == 0 && has) {
            if (!parse_int(argv[++i], 0, 1 << 30, &min_freq)) {
                free(files);
                return cli_usage_error("train-tokenizer", "--min-frequency '%s' is not a count", argv[i]);
            }
        } else if (strcmp(a, "--limit-alphabet") == 0 && has) {
            if (!parse_int(argv[++i], 0, 1 << 24, &limit)) {
                free(files);
                return cli_usage_error("train-tokenizer", "--limit-alphabet '%s' is not a count", argv[i]);
            }
        } else if (a[0] == '-' && a[1] == '-') {
            free(files);
            return cli_usage_error("train-tokenizer", "unknown option '%s'", a);
        } else {
            files[n_files++] = a;
        }
    }
    if (!algo || (strcmp(algo, "wordpiece") && strcmp(algo, "bpe")) || !vocab_size || !out || !n_files) {
        free(files);
        return cli_usage_error("train-tokenizer", "need --algo wordpiece|bpe, --vocab-size N, --out DIR and FILE...");
    }
    tok_train_options o = tok_train_options_default(algo[0] == 'w' ? TOK_MODEL_WORDPIECE : TOK_MODEL_BPE);
    o.vocab_size = vocab_size;
    o.lowercase = !cased;
    if (min_freq >= 0) o.min_frequency = min_freq;
    if (limit >= 0) o.limit_alphabet = limit;
    char err[512];
    tok_trainer *tr = NULL;
    tok_tokenizer *tk = NULL;
    int status = 0;
    long lines = 0;
    if (tok_trainer_new(&tr, &o, err, sizeof err) != BB_OK) {
        free(files);
        return cli_fail("train-tokenizer", "%s", err);
    }
    char *line = NULL;
    size_t cap = 0;
    for (int f = 0; f < n_files && status == 0; f++) {
        FILE *fp = fopen(files[f], "rb");
        if (!fp) {
            status = cli_fail("train-tokenizer", "%s: cannot open", files[f]);
            break;
        }
        ssize_t r;
        while ((r = getline(&line, &cap, fp)) >= 0) {
            lines++;
            if (tok_trainer_feed(tr, line, (long)r, err, sizeof err) != BB_OK) {
                status = cli_fail("train-tokenizer", "%s: %s", files[f], err);
                break;
            }
        }
        fclose(fp);
    }
    free(line);
    if (status == 0 && tok_trainer_finish(tr, &tk, err, sizeof err) != BB_OK) status = cli_fail("train-tokenizer", "%s", err);
    if (status == 0 && tok_save_dir(tk, out, err, sizeof err) != BB_OK) status = cli_fail("train-tokenizer", "%s", err);
    if (status == 0)
        printf("{\"algo\":\"%s\",\"vocab_size\":%d,\"lines\":%ld,\"out\":\"%s\"}\n", algo, tok_vocab_size(tk), lines, out);
    tok_free(tk);
    tok_trainer_free(tr);
    free(files);
    return status;
}
