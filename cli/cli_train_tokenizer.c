/* `bertbench train-tokenizer --algo wordpiece|bpe --vocab-size N [--min-frequency F] [--limit-alphabet N]
 * [--cased] --out DIR FILE...`: learns a vocabulary from the lines of the files and writes a model
 * directory (tokenizer.json, vocab.txt or vocab.json + merges.txt, tokenizer_config.json).
 * `--algo unigram [--character-coverage X] [--byte-fallback]` trains a SentencePiece-style Unigram
 * model instead (tok_unigram_train.h) and writes tokenizer.json + tokenizer_config.json. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "tok.h"
#include "tok_unigram_train.h"

static int parse_int(const char *s, int lo, int hi, int *out) {
    char *end;
    long v = strtol(s, &end, 10);
    if (*end || v < lo || v > hi) return 0;
    *out = (int)v;
    return 1;
}

static int parse_coverage(const char *s, double *out) {
    char *end;
    double v = strtod(s, &end);
    if (*end || !(v > 0 && v <= 1)) return 0;
    *out = v;
    return 1;
}

/* Feeds every line of files[0..n) through feed(ctx, line, len, err, errlen); 0 or a cli_fail status. */
static int feed_files(const char **files, int n, int (*feed)(void *, const char *, long, char *, size_t), void *ctx,
                      long *lines) {
    char err[512];
    char *line = NULL;
    size_t cap = 0;
    int status = 0;
    for (int f = 0; f < n && status == 0; f++) {
        FILE *fp = fopen(files[f], "rb");
        if (!fp) {
            status = cli_fail("train-tokenizer", "%s: cannot open", files[f]);
            break;
        }
        ssize_t r;
        while ((r = getline(&line, &cap, fp)) >= 0) {
            (*lines)++;
            if (feed(ctx, line, (long)r, err, sizeof err) != BB_OK) {
                status = cli_fail("train-tokenizer", "%s: %s", files[f], err);
                break;
            }
        }
        fclose(fp);
    }
    free(line);
    return status;
}

static int feed_wp_bpe(void *ctx, const char *s, long n, char *err, size_t errlen) {
    return tok_trainer_feed(ctx, s, n, err, errlen);
}

static int feed_unigram(void *ctx, const char *s, long n, char *err, size_t errlen) {
    return tok_ug_feed(ctx, s, n, err, errlen);
}

static int train_unigram(int vocab_size, double coverage, int byte_fallback, const char *out, const char **files,
                         int n_files) {
    tok_ug_options o = tok_ug_options_default();
    o.vocab_size = vocab_size;
    if (coverage > 0) o.character_coverage = coverage;
    o.byte_fallback = byte_fallback;
    char err[512];
    tok_ug_trainer *tr = NULL;
    tok_ug_model m = {0};
    long lines = 0;
    if (tok_ug_new(&tr, &o, err, sizeof err) != BB_OK) return cli_fail("train-tokenizer", "%s", err);
    int status = feed_files(files, n_files, feed_unigram, tr, &lines);
    if (status == 0 && tok_ug_finish(tr, &m, err, sizeof err) != BB_OK) status = cli_fail("train-tokenizer", "%s", err);
    if (status == 0 && tok_ug_save_dir(&m, out, err, sizeof err) != BB_OK) status = cli_fail("train-tokenizer", "%s", err);
    if (status == 0)
        printf("{\"algo\":\"unigram\",\"vocab_size\":%d,\"lines\":%ld,\"skipped_long_lines\":%ld,"
               "\"required_chars\":%d,\"byte_fallback\":%s,\"out\":\"%s\"}\n",
               m.n, lines, m.n_skipped, m.n_required, m.byte_fallback ? "true" : "false", out);
    tok_ug_model_free(&m);
    tok_ug_free(tr);
    return status;
}

int cli_train_tokenizer(int argc, char **argv) {
    const char *algo = NULL, *out = NULL;
    int vocab_size = 0, min_freq = -1, limit = -1, cased = 0, n_files = 0, byte_fallback = 0;
    double coverage = 0;
    const char **files = calloc((size_t)argc + 1, sizeof *files);
    if (!files) return cli_fail("train-tokenizer", "out of memory");
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has = i + 1 < argc;
        if (strcmp(a, "--help") == 0) {
            free(files);
            puts("usage: bertbench train-tokenizer --algo wordpiece|bpe --vocab-size N [--min-frequency F]\n"
                 "                                 [--limit-alphabet N] [--cased] --out DIR FILE...\n"
                 "       bertbench train-tokenizer --algo unigram --vocab-size N [--character-coverage X]\n"
                 "                                 [--byte-fallback] --out DIR FILE...");
            return 0;
        }
        if (strcmp(a, "--algo") == 0 && has) algo = argv[++i];
        else if (strcmp(a, "--out") == 0 && has) out = argv[++i];
        else if (strcmp(a, "--cased") == 0) cased = 1;
        else if (strcmp(a, "--byte-fallback") == 0) byte_fallback = 1;
        else if (strcmp(a, "--character-coverage") == 0 && has) {
            if (!parse_coverage(argv[++i], &coverage)) {
                free(files);
                return cli_usage_error("train-tokenizer", "--character-coverage '%s' is not in (0, 1]", argv[i]);
            }
        }
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
    if (!algo || (strcmp(algo, "wordpiece") && strcmp(algo, "bpe") && strcmp(algo, "unigram")) || !vocab_size || !out ||
        !n_files) {
        free(files);
        return cli_usage_error("train-tokenizer",
                               "need --algo wordpiece|bpe|unigram, --vocab-size N, --out DIR and FILE...");
    }
    int unigram = strcmp(algo, "unigram") == 0;
    if (unigram && (min_freq >= 0 || limit >= 0 || cased)) {
        free(files);
        return cli_usage_error("train-tokenizer", "--min-frequency, --limit-alphabet and --cased are for wordpiece|bpe");
    }
    if (!unigram && (coverage > 0 || byte_fallback)) {
        free(files);
        return cli_usage_error("train-tokenizer", "--character-coverage and --byte-fallback are for --algo unigram");
    }
    if (unigram) {
        int status = train_unigram(vocab_size, coverage, byte_fallback, out, files, n_files);
        free(files);
        return status;
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
    status = feed_files(files, n_files, feed_wp_bpe, tr, &lines);
    if (status == 0 && tok_trainer_finish(tr, &tk, err, sizeof err) != BB_OK) status = cli_fail("train-tokenizer", "%s", err);
    if (status == 0 && tok_save_dir(tk, out, err, sizeof err) != BB_OK) status = cli_fail("train-tokenizer", "%s", err);
    if (status == 0)
        printf("{\"algo\":\"%s\",\"vocab_size\":%d,\"lines\":%ld,\"out\":\"%s\"}\n", algo, tok_vocab_size(tk), lines, out);
    tok_free(tk);
    tok_trainer_free(tr);
    free(files);
    return status;
}
