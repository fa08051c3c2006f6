/* The options of a training run (`bertbench train` and the workbench's `train`): one table drives the
 * parser and writes the usage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train_opts.h"

static const bb_opt_word task_words[] = {
    {"mlm", TRAIN_TASK_MLM}, {"seqcls", TRAIN_TASK_SEQCLS}, {"tokcls", TRAIN_TASK_TOKCLS}, {NULL, 0}};
static const bb_opt_word format_words[] = {{"auto", DATA_FMT_AUTO}, {"text", DATA_FMT_TEXT},
                                           {"jsonl", DATA_FMT_JSONL}, {"csv", DATA_FMT_CSV},
                                           {"tsv", DATA_FMT_TSV},    {"conll", DATA_FMT_CONLL},
                                           {NULL, 0}};
static const bb_opt_word sched_words[] = {
    {"linear", TRAIN_SCHED_LINEAR}, {"cosine", TRAIN_SCHED_COSINE}, {"constant", TRAIN_SCHED_CONSTANT}, {NULL, 0}};
static const bb_opt_word pool_words[] = {
    {"pooler", BERT_POOL_POOLER}, {"cls", BERT_POOL_CLS}, {"mean", BERT_POOL_MEAN}, {NULL, 0}};
static const bb_opt_word position_words[] = {{"normal", 0}, {"sinusoidal", 1}, {NULL, 0}};

static int lr_above_zero(const char *name, const char *value, double x, char *err, size_t errlen) {
    if (x == 0) return bb_err(err, errlen, BB_EINVAL, "%s %s: the learning rate must be above 0", name, value);
    return BB_OK;
}

static int split_below_one(const char *name, const char *value, double x, char *err, size_t errlen) {
    if (x >= 1)
        return bb_err(err, errlen, BB_EINVAL, "%s %s: the fraction held out must be below 1 (it would leave no "
                      "training data)", name, value);
    return BB_OK;
}

#define F(m) offsetof(train_options, m), sizeof(((train_options *)0)->m)
#define STRING(name, alias, m, arg, help) {name, alias, BB_OPT_STRING, F(m), arg, NULL, 0, NULL, help}
#define FLAG(name, m, help) {name, NULL, BB_OPT_FLAG, F(m), NULL, NULL, 0, NULL, help}
#define ENUM(name, m, words, dflt, help) {name, NULL, BB_OPT_ENUM, F(m), NULL, words, dflt, NULL, help}
#define COUNT(name, m, arg, dflt, help) {name, NULL, BB_OPT_COUNT, F(m), arg, NULL, dflt, NULL, help}
#define NUMBER(name, m, dflt, check, help) {name, NULL, BB_OPT_NUMBER, F(m), "X", NULL, dflt, check, help}

static const bb_opt rows[] = {
    ENUM("--task", task, task_words, 0, "what to train: masked LM, sequence or token classification (required)"),
    STRING("--model", NULL, model_dir, "DIR", "start from a checkpoint (Hugging Face directory)"),
    STRING("--config", NULL, config_path, "FILE", "train from scratch (HF init) with this config.json"),
    STRING("--tokenizer", "--vocab", tokenizer_dir, "PATH",
           "tokenizer directory, tokenizer.json or vocab.txt (default: the model's, or the config's directory); "
           "it must match the model"),
    STRING("--data", NULL, data_path, "FILE", "training data: .txt, .jsonl, .csv, .tsv, .conll (or --format)"),
    ENUM("--format", format, format_words, 1, "the data's format; auto goes by the file name's extension"),
    FLAG("--paragraphs", paragraphs, "plain text: blank lines separate documents (default: one per line)"),
    FLAG("--skip-invalid-utf8", skip_invalid_utf8,
         "drop dataset lines that are not UTF-8 (default: stop with FILE:LINE)"),
    STRING("--eval", NULL, eval_path, "FILE", "evaluation data"),
    NUMBER("--eval-split", eval_split, 0, split_below_one, "or hold out this fraction of --data for evaluation"),
    STRING("--out", NULL, out_dir, "DIR", "where the run goes: metrics.jsonl, event files, checkpoints, the model"),
    STRING("--resume", NULL, resume_dir, "DIR", "continue a checkpoint, or a run (its newest complete one)"),
    STRING("--export-hf", NULL, export_hf, "DIR",
           "train nothing: write DIR/train_hf.py (HF Trainer + datasets, the same settings), "
           "accelerate_config.yaml and README.md, to run on GPUs; `bertbench follow` reads its output"),
    COUNT("--epochs", epochs, "N", 1, "passes over the training data"),
    COUNT("--max-steps", max_steps, "N", 0, "optimizer steps to take instead of --epochs"),
    COUNT("--batch-size", batch_size, "B", 1, "examples per micro-batch"),
    COUNT("--grad-accum", grad_accum, "N", 1, "micro-batches per optimizer step"),
    NUMBER("--lr", adam.lr, 1, lr_above_zero, "peak learning rate (above 0)"),
    NUMBER("--weight-decay", adam.weight_decay, 1, NULL, "AdamW weight decay"),
    COUNT("--warmup", warmup_steps, "N", 1, "steps of linear warmup"),
    NUMBER("--warmup-ratio", warmup_ratio, 0, NULL, "or warm up over this fraction of the steps"),
    ENUM("--schedule", sched, sched_words, 1, "the learning rate after warmup"),
    NUMBER("--max-grad-norm", max_grad_norm, 1, NULL, "clip the gradients' global norm to X (0: off)"),
    COUNT("--block-size", block_size, "N", 1, "MLM chunk / classification max length, in tokens"),
    COUNT("--seed", seed, "S", 1, "seed of shuffling, masking, dropout and initialisation"),
    NUMBER("--mlm-probability", mlm_probability, 1, NULL, "fraction of the tokens masked"),
    FLAG("--whole-word-mask", whole_word_mask, "mask every piece of a chosen word"),
    ENUM("--position-init", position_init, position_words, 1,
         "with --config: HF's N(0, initializer_range), or sinusoids at that scale"),
    FLAG("--freeze-embeddings", freeze_embeddings, "keep the embeddings as they are"),
    COUNT("--freeze-layers", freeze_layers, "N", 0, "keep the lowest N encoder layers as they are"),
    ENUM("--pool", pool, pool_words, 1, "the seqcls head's input"),
    FLAG("--regression", regression, "seqcls with one output and MSE loss"),
    COUNT("--log-every", log_every, "N", 1, "steps between metrics lines"),
    COUNT("--eval-every", eval_every, "N", 0, "steps between evaluations (one runs at the end anyway)"),
    COUNT("--save-every", save_every, "N", 0, "steps between checkpoints (one is saved at the end anyway)"),
    COUNT("--threads", threads, "N", 0, "BLAS threads (default: OpenBLAS's own choice)"),
};

#undef F
#undef STRING
#undef FLAG
#undef ENUM
#undef COUNT
#undef NUMBER

enum { NROWS = (int)(sizeof rows / sizeof rows[0]) };

static const char usage_head[] =
    "usage: bertbench train --task mlm|seqcls|tokcls (--model DIR | --config FILE) --data FILE --out DIR [options]\n";
static const char usage_tail[] =
    "Writes DIR/metrics.jsonl, events.out.tfevents.*, DIR/checkpoint-STEP/, DIR/best/ and the final model in DIR.\n"
    "In the workbench, without --model or --config: the loaded model with the tokenizer in use; --out defaults\n"
    "to the run's directory in the session.\n"
    "Ctrl-C stops after the current step and saves a checkpoint that --resume continues bit-exactly.\n";

const bb_opt *train_opts_table(int *n) {
    *n = NROWS;
    return rows;
}

char *train_opts_usage_dup(void) {
    train_options d = train_options_default();
    return bb_opts_usage_dup(rows, NROWS, &d, usage_head, usage_tail);
}

/* "" or a path that names the filesystem root ("/", "//", "/./", "/..") would put metrics.jsonl and
 * the checkpoints into / itself. */
static int is_root_path(const char *p) {
    if (!*p) return 1;
    if (*p != '/') return 0;
    for (const char *c = p; *c;) {
        while (*c == '/') c++;
        const char *e = c;
        while (*e && *e != '/') e++;
        int dots = (e - c == 1 && c[0] == '.') || (e - c == 2 && c[0] == '.' && c[1] == '.');
        if (e > c && !dots) return 0;
        c = e;
    }
    return 1;
}

/* The rules between options, once every word is read. */
static int cross_check(train_options *o, int task_set, int need_out, char *err, size_t errlen) {
    if (!task_set && !o->resume_dir) return bb_err(err, errlen, BB_EINVAL, "--task is required");
    if (!o->data_path) return bb_err(err, errlen, BB_EINVAL, "--data is required");
    if (need_out && !o->out_dir && !o->export_hf) return bb_err(err, errlen, BB_EINVAL, "--out is required");
    if (!o->model_dir && !o->config_path && !o->resume_dir)
        return bb_err(err, errlen, BB_EINVAL, "give --model DIR or --config FILE");
    if (o->model_dir && o->config_path)
        return bb_err(err, errlen, BB_EINVAL, "give --model DIR (fine-tune a checkpoint) or --config FILE (train "
                      "from scratch), not both");
    if (o->out_dir && is_root_path(o->out_dir))
        return bb_err(err, errlen, BB_EINVAL, "--out '%s': give a directory for the run (metrics.jsonl and "
                      "checkpoints), not %s", o->out_dir, *o->out_dir ? "the filesystem root" : "an empty path");
    if (o->warmup_steps < 0 && o->warmup_ratio == 0) o->warmup_steps = 0;
    if (o->eval_every > 0 && !o->eval_path && o->eval_split == 0)
        return bb_err(err, errlen, BB_EINVAL, "--eval-every needs --eval FILE or --eval-split X");
    return BB_OK;
}

int train_opts_parse(int argc, char **argv, train_options *op, int need_out, char *err, size_t errlen) {
    train_options o = train_options_default();
    o.warmup_steps = -1; /* not given: --warmup-ratio decides */
    unsigned char seen[NROWS];
    int rc = bb_opts_parse(rows, NROWS, argc, argv, &o, seen, NULL, NULL, err, errlen);
    if (rc != BB_OK) return rc;
    int task_row = 0;
    while (strcmp(rows[task_row].name, "--task")) task_row++;
    if ((rc = cross_check(&o, seen[task_row], need_out, err, errlen)) != BB_OK) return rc;
    *op = o;
    return BB_OK;
}

void train_opts_skipped_text(char *buf, size_t len, const char *path, int n, int first_line) {
    if (n > 0)
        snprintf(buf, len, "%s: skipped %d line%s that %s not UTF-8 (first at line %d)", path, n, n == 1 ? "" : "s",
                 n == 1 ? "is" : "are", first_line);
    else if (len)
        buf[0] = 0;
}
