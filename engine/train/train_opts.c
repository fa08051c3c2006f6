/* The option parser of a training run (`bertbench train` and the workbench's `train`). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train_opts.h"

const char train_opts_usage[] =
    "usage: bertbench train --task mlm|seqcls|tokcls (--model DIR | --config FILE) --data FILE --out DIR [options]\n"
    "  --model DIR            start from a checkpoint (Hugging Face directory)\n"
    "  --config FILE          train from scratch (HF init) with this config.json\n"
    "  --tokenizer PATH       tokenizer directory, tokenizer.json or vocab.txt (also --vocab; default: the\n"
    "                         model's, or the config's directory); it must match the model\n"
    "  --data FILE            training data: .txt, .jsonl, .csv, .tsv, .conll (or --format)\n"
    "  --format F             text|jsonl|csv|tsv|conll   --paragraphs: blank lines separate documents\n"
    "  --skip-invalid-utf8    drop dataset lines that are not UTF-8 (default: stop with FILE:LINE)\n"
    "  --eval FILE            evaluation data; or --eval-split X to hold out a fraction of --data\n"
    "  --epochs N (3) | --max-steps N    --batch-size B (8)   --grad-accum N (1)\n"
    "  --lr X (5e-5)  --weight-decay X (0)  --warmup N | --warmup-ratio X  --schedule linear|cosine|constant\n"
    "  --max-grad-norm X (1.0, 0 = off)   --block-size N (128: MLM chunk / classification max length)\n"
    "  --seed S (42)  --mlm-probability X (0.15)  --whole-word-mask\n"
    "  --position-init normal|sinusoidal (with --config: HF's N(0, initializer_range), or sinusoids at that scale)\n"
    "  --freeze-embeddings  --freeze-layers N  --pool pooler|cls|mean (seqcls head input)  --regression\n"
    "  --log-every N (1)  --eval-every N  --save-every N  --resume DIR (a checkpoint, or a run: its newest complete one)  --threads N\n"
    "  --export-hf DIR        train nothing: write DIR/train_hf.py (HF Trainer + datasets, the same settings),\n"
    "                         accelerate_config.yaml and README.md, to run on GPUs; `bertbench follow` reads its output\n"
    "Writes DIR/metrics.jsonl, events.out.tfevents.*, DIR/checkpoint-STEP/, DIR/best/ and the final model in DIR.\n"
    "In the workbench, without --model or --config: the loaded model with the tokenizer in use.\n"
    "Ctrl-C stops after the current step and saves a checkpoint that --resume continues bit-exactly.\n";

static int parse_long(const char *s, long *v) {
    char *end;
    *v = strtol(s, &end, 10);
    return *s && !*end;
}
/* A finite number: strtof also reads "inf" and "nan", which no option here means. */
static int parse_float(const char *s, float *v) {
    char *end;
    *v = strtof(s, &end);
    return *s && !*end && isfinite(*v);
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


int train_opts_parse(int argc, char **argv, train_options *op, int need_out, char *err, size_t errlen) {
    train_options o = train_options_default();
    o.warmup_steps = -1;
    int task_set = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        long n;
        float x;
#define NEED_ARG                                                                                                   \
    do {                                                                                                           \
        if (!v) return bb_err(err, errlen, BB_EINVAL, "%s needs a value", a);                                      \
        i++;                                                                                                       \
    } while (0)
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            return 1;
        } else if (!strcmp(a, "--task")) {
            NEED_ARG;
            int t = train_task_parse(v);
            if (t < 0) return bb_err(err, errlen, BB_EINVAL, "--task %s: expected mlm, seqcls or tokcls", v);
            o.task = (train_task)t;
            task_set = 1;
        } else if (!strcmp(a, "--model")) {
            NEED_ARG;
            o.model_dir = v;
        } else if (!strcmp(a, "--config")) {
            NEED_ARG;
            o.config_path = v;
        } else if (!strcmp(a, "--tokenizer") || !strcmp(a, "--vocab")) {
            NEED_ARG;
            o.tokenizer_dir = v;
        } else if (!strcmp(a, "--data")) {
            NEED_ARG;
            o.data_path = v;
        } else if (!strcmp(a, "--eval")) {
            NEED_ARG;
            o.eval_path = v;
        } else if (!strcmp(a, "--out")) {
            NEED_ARG;
            o.out_dir = v;
        } else if (!strcmp(a, "--resume")) {
            NEED_ARG;
            o.resume_dir = v;
        } else if (!strcmp(a, "--format")) {
            NEED_ARG;
            int f = data_format_parse(v);
            if (f < 0) return bb_err(err, errlen, BB_EINVAL, "--format %s: expected text, jsonl, csv, tsv or conll", v);
            o.format = (data_format)f;
        } else if (!strcmp(a, "--schedule")) {
            NEED_ARG;
            int s = train_sched_parse(v);
            if (s < 0) return bb_err(err, errlen, BB_EINVAL, "--schedule %s: expected linear, cosine or constant", v);
            o.sched = (train_sched)s;
        } else if (!strcmp(a, "--pool")) {
            NEED_ARG;
            if (!strcmp(v, "pooler")) o.pool = BERT_POOL_POOLER;
            else if (!strcmp(v, "cls")) o.pool = BERT_POOL_CLS;
            else if (!strcmp(v, "mean")) o.pool = BERT_POOL_MEAN;
            else return bb_err(err, errlen, BB_EINVAL, "--pool %s: expected pooler, cls or mean", v);
        } else if (!strcmp(a, "--paragraphs")) {
            o.paragraphs = 1;
        } else if (!strcmp(a, "--skip-invalid-utf8")) {
            o.skip_invalid_utf8 = 1;
        } else if (!strcmp(a, "--position-init")) {
            NEED_ARG;
            if (!strcmp(v, "normal")) o.position_init = 0;
            else if (!strcmp(v, "sinusoidal")) o.position_init = 1;
            else return bb_err(err, errlen, BB_EINVAL, "--position-init %s: expected normal or sinusoidal", v);
        } else if (!strcmp(a, "--whole-word-mask")) {
            o.whole_word_mask = 1;
        } else if (!strcmp(a, "--freeze-embeddings")) {
            o.freeze_embeddings = 1;
        } else if (!strcmp(a, "--regression")) {
            o.regression = 1;
        } else if (!strcmp(a, "--epochs") || !strcmp(a, "--max-steps") || !strcmp(a, "--batch-size") ||
                   !strcmp(a, "--grad-accum") || !strcmp(a, "--warmup") || !strcmp(a, "--block-size") ||
                   !strcmp(a, "--seed") || !strcmp(a, "--freeze-layers") || !strcmp(a, "--log-every") ||
                   !strcmp(a, "--eval-every") || !strcmp(a, "--save-every") || !strcmp(a, "--threads")) {
            NEED_ARG;
            if (!parse_long(v, &n) || n < 0 || n > 1000000000L)
                return bb_err(err, errlen, BB_EINVAL, "%s %s: expected a non-negative integer", a, v);
            if (!strcmp(a, "--epochs")) o.epochs = (int)n;
            else if (!strcmp(a, "--max-steps")) o.max_steps = n;
            else if (!strcmp(a, "--batch-size")) o.batch_size = (int)n;
            else if (!strcmp(a, "--grad-accum")) o.grad_accum = (int)n;
            else if (!strcmp(a, "--warmup")) o.warmup_steps = n;
            else if (!strcmp(a, "--block-size")) o.block_size = (int)n;
            else if (!strcmp(a, "--seed")) o.seed = (uint64_t)n;
            else if (!strcmp(a, "--freeze-layers")) o.freeze_layers = (int)n;
            else if (!strcmp(a, "--log-every")) o.log_every = n;
            else if (!strcmp(a, "--eval-every")) o.eval_every = n;
            else if (!strcmp(a, "--save-every")) o.save_every = n;
            else o.threads = (int)n;
        } else if (!strcmp(a, "--lr") || !strcmp(a, "--weight-decay") || !strcmp(a, "--warmup-ratio") ||
                   !strcmp(a, "--max-grad-norm") || !strcmp(a, "--mlm-probability") || !strcmp(a, "--eval-split")) {
            NEED_ARG;
            if (!parse_float(v, &x) || !(x >= 0))
                return bb_err(err, errlen, BB_EINVAL, "%s %.40s: expected a finite number >= 0", a, v);
            if (!strcmp(a, "--eval-split") && x >= 1)
                return bb_err(err, errlen, BB_EINVAL, "--eval-split %s: the fraction held out must be below 1 (it "
                              "would leave no training data)", v);
            if (!strcmp(a, "--lr") && x == 0)
                return bb_err(err, errlen, BB_EINVAL, "--lr %s: the learning rate must be above 0", v);
            if (!strcmp(a, "--lr")) o.adam.lr = x;
            else if (!strcmp(a, "--weight-decay")) o.adam.weight_decay = x;
            else if (!strcmp(a, "--warmup-ratio")) o.warmup_ratio = x;
            else if (!strcmp(a, "--max-grad-norm")) o.max_grad_norm = x;
            else if (!strcmp(a, "--mlm-probability")) o.mlm_probability = x;
            else o.eval_split = x;
        } else {
            return bb_err(err, errlen, BB_EINVAL, "unknown option '%s'", a);
        }
#undef NEED_ARG
    }
    if (!task_set && !o.resume_dir) return bb_err(err, errlen, BB_EINVAL, "--task is required");
    if (!o.data_path) return bb_err(err, errlen, BB_EINVAL, "--data is required");
    if (need_out && !o.out_dir) return bb_err(err, errlen, BB_EINVAL, "--out is required");
    if (!o.model_dir && !o.config_path && !o.resume_dir)
        return bb_err(err, errlen, BB_EINVAL, "give --model DIR or --config FILE");
    if (o.model_dir && o.config_path)
        return bb_err(err, errlen, BB_EINVAL, "give --model DIR (fine-tune a checkpoint) or --config FILE (train "
                      "from scratch), not both");
    if (o.out_dir && is_root_path(o.out_dir))
        return bb_err(err, errlen, BB_EINVAL, "--out '%s': give a directory for the run (metrics.jsonl and "
                      "checkpoints), not %s", o.out_dir, *o.out_dir ? "the filesystem root" : "an empty path");
    if (o.warmup_steps < 0 && o.warmup_ratio == 0) o.warmup_steps = 0;
    if (o.eval_every > 0 && !o.eval_path && o.eval_split == 0)
        return bb_err(err, errlen, BB_EINVAL, "--eval-every needs --eval FILE or --eval-split X");
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

