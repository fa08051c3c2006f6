/* `bertbench train-tokenizer --algo wordpiece|bpe --vocab-size N [--min-frequency F] [--limit-alphabet N]
 * [--cased] --out DIR FILE...`: learns a vocabulary from the lines of the files and writes a model
 * directory (tokenizer.json, vocab.txt or vocab.json + merges.txt, tokenizer_config.json).
 * `--algo unigram [--character-coverage X] [--byte-fallback]` trains a SentencePiece-style Unigram
 * model instead (tok_unigram_train.h) and writes tokenizer.json + tokenizer_config.json. On a terminal
 * the trainer's progress (bb_work) goes to stderr. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bb_opts.h"
#include "bb_work.h"
#include "cli.h"
#include "tok.h"
#include "tok_unigram_train.h"

enum { ALGO_WORDPIECE, ALGO_BPE, ALGO_UNIGRAM };

typedef struct {
    int algo;
    const char *out;
    int vocab_size, min_freq, limit, cased, byte_fallback;
    double coverage; /* 0: the trainer's default */
} ttok_options;

static int size_check(const char *name, const char *value, double x, char *err, size_t errlen) {
    if (x < 1 || x > (1 << 24))
        return bb_err(err, errlen, BB_EINVAL, "%s %s: expected a size from 1 to %d", name, value, 1 << 24);
    return BB_OK;
}

static int alphabet_check(const char *name, const char *value, double x, char *err, size_t errlen) {
    if (x > (1 << 24)) return bb_err(err, errlen, BB_EINVAL, "%s %s: expected a count up to %d", name, value, 1 << 24);
    return BB_OK;
}

static int coverage_check(const char *name, const char *value, double x, char *err, size_t errlen) {
    if (!(x > 0 && x <= 1)) return bb_err(err, errlen, BB_EINVAL, "%s %s: expected a fraction in (0, 1]", name, value);
    return BB_OK;
}

static const bb_opt_word algo_words[] = {
    {"wordpiece", ALGO_WORDPIECE}, {"bpe", ALGO_BPE}, {"unigram", ALGO_UNIGRAM}, {NULL, 0}};

#define F(m) offsetof(ttok_options, m), sizeof(((ttok_options *)0)->m)
static const bb_opt rows[] = {
    {"--algo", NULL, BB_OPT_ENUM, F(algo), NULL, algo_words, 0, NULL, "the model to learn (required)"},
    {"--vocab-size", NULL, BB_OPT_COUNT, F(vocab_size), "N", NULL, 0, size_check, "vocabulary size (required)"},
    {"--out", NULL, BB_OPT_STRING, F(out), "DIR", NULL, 0, NULL, "where the tokenizer files go (required)"},
    {"--min-frequency", NULL, BB_OPT_COUNT, F(min_freq), "F", NULL, 0, NULL,
     "wordpiece|bpe: the fewest times a pair must occur to be merged"},
    {"--limit-alphabet", NULL, BB_OPT_COUNT, F(limit), "N", NULL, 0, alphabet_check,
     "wordpiece|bpe: keep at most N initial characters"},
    {"--cased", NULL, BB_OPT_FLAG, F(cased), NULL, NULL, 0, NULL, "wordpiece|bpe: keep case (default: lowercase)"},
    {"--character-coverage", NULL, BB_OPT_NUMBER, F(coverage), "X", NULL, 0, coverage_check,
     "unigram: the fraction of the characters' occurrences the alphabet covers"},
    {"--byte-fallback", NULL, BB_OPT_FLAG, F(byte_fallback), NULL, NULL, 0, NULL,
     "unigram: characters outside the alphabet become <0xNN> byte pieces"},
};
#undef F
enum { NROWS = (int)(sizeof rows / sizeof rows[0]), ROW_ALGO = 0, ROW_VOCAB = 1, ROW_OUT = 2, ROW_MINF = 3,
       ROW_LIMIT = 4, ROW_CASED = 5, ROW_COVERAGE = 6, ROW_BYTES = 7 };

static int usage(void) {
    char *u = bb_opts_usage_dup(rows, NROWS, NULL,
                                "usage: bertbench train-tokenizer --algo wordpiece|bpe|unigram --vocab-size N --out DIR "
                                "[options] FILE...\n",
                                "Learns a vocabulary from the lines of the files. wordpiece and bpe write tokenizer.json, "
                                "vocab.txt (or\nvocab.json + merges.txt) and tokenizer_config.json; unigram (SentencePiece "
                                "style) writes tokenizer.json\nand tokenizer_config.json.\n");
    if (!u) return cli_fail("train-tokenizer", "out of memory");
    fputs(u, stdout);
    free(u);
    return 0;
}

/* Parses argv; files (room for argc) gets the FILE operands. 0 when training should go on, else the
 * exit status (--help: 0 after the usage; a usage error: 2) in *status. */
static int parse(int argc, char **argv, ttok_options *o, char **files, int *n_files, int *status) {
    char err[512];
    unsigned char seen[NROWS];
    memset(o, 0, sizeof *o);
    int rc = bb_opts_parse(rows, NROWS, argc, argv, o, seen, files, n_files, err, sizeof err);
    if (rc == 1) return *status = usage(), 1;
    if (rc != BB_OK) return *status = cli_usage_error("train-tokenizer", "%s", err), 1;
    if (!seen[ROW_ALGO] || !seen[ROW_VOCAB] || !seen[ROW_OUT] || !*n_files)
        return *status = cli_usage_error("train-tokenizer",
                                         "need --algo wordpiece|bpe|unigram, --vocab-size N, --out DIR and FILE..."), 1;
    if (o->algo == ALGO_UNIGRAM && (seen[ROW_MINF] || seen[ROW_LIMIT] || seen[ROW_CASED]))
        return *status = cli_usage_error("train-tokenizer",
                                         "--min-frequency, --limit-alphabet and --cased are for wordpiece|bpe"), 1;
    if (o->algo != ALGO_UNIGRAM && (seen[ROW_COVERAGE] || seen[ROW_BYTES]))
        return *status = cli_usage_error("train-tokenizer",
                                         "--character-coverage and --byte-fallback are for --algo unigram"), 1;
    if (!seen[ROW_MINF]) o->min_freq = -1;
    if (!seen[ROW_LIMIT]) o->limit = -1;
    return 0;
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

/* On a terminal, the trainer's progress on stderr ("\rtrain-tokenizer: vocabulary 1200/30000"). */
static void show_progress(void *user, const char *phase, long done, long total) {
    fprintf(stderr, "\rtrain-tokenizer: %s %ld/%ld%s", phase, done, total, done >= total ? "\n" : "");
}

static int train_unigram(int vocab_size, double coverage, int byte_fallback, const char *out, const char **files,
                         int n_files, bb_work *work) {
    tok_ug_options o = tok_ug_options_default();
    o.work = work;
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
    char **files = calloc((size_t)argc + 1, sizeof *files);
    if (!files) return cli_fail("train-tokenizer", "out of memory");
    ttok_options to;
    int n_files = 0, status = 0;
    if (parse(argc, argv, &to, files, &n_files, &status)) {
        free(files);
        return status;
    }
    const char *out = to.out, *algo = algo_words[to.algo].word;
    bb_work work;
    bb_work_init(&work, isatty(STDERR_FILENO) ? show_progress : NULL, NULL);
    if (to.algo == ALGO_UNIGRAM) {
        status = train_unigram(to.vocab_size, to.coverage, to.byte_fallback, out, (const char **)files, n_files, &work);
        free(files);
        return status;
    }
    tok_train_options o = tok_train_options_default(to.algo == ALGO_WORDPIECE ? TOK_MODEL_WORDPIECE : TOK_MODEL_BPE);
    o.vocab_size = to.vocab_size;
    o.work = &work;
    o.lowercase = !to.cased;
    if (to.min_freq >= 0) o.min_frequency = to.min_freq;
    if (to.limit >= 0) o.limit_alphabet = to.limit;
    char err[512];
    tok_trainer *tr = NULL;
    tok_tokenizer *tk = NULL;
    long lines = 0;
    if (tok_trainer_new(&tr, &o, err, sizeof err) != BB_OK) {
        free(files);
        return cli_fail("train-tokenizer", "%s", err);
    }
    status = feed_files((const char **)files, n_files, feed_wp_bpe, tr, &lines);
    if (status == 0 && tok_trainer_finish(tr, &tk, err, sizeof err) != BB_OK) status = cli_fail("train-tokenizer", "%s", err);
    if (status == 0 && tok_save_dir(tk, out, err, sizeof err) != BB_OK) status = cli_fail("train-tokenizer", "%s", err);
    if (status == 0)
        printf("{\"algo\":\"%s\",\"vocab_size\":%d,\"lines\":%ld,\"out\":\"%s\"}\n", algo, tok_vocab_size(tk), lines, out);
    tok_free(tk);
    tok_trainer_free(tr);
    free(files);
    return status;
}
