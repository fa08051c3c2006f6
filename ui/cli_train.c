/* bertbench train: a training run on a worker thread; progress on stderr (a bar on a terminal, plain
 * lines otherwise), metrics.jsonl and checkpoints in --out, a JSON summary on stdout. */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cli_train.h"

const char cli_train_usage[] =
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

static volatile sig_atomic_t interrupted;
static void on_sigint(int sig) { interrupted = sig; }

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

static void fmt_time(char *buf, size_t n, double s) {
    if (!isfinite(s) || s < 0) {
        snprintf(buf, n, "--:--");
        return;
    }
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, n, "%02ld:%02ld", t / 60, t % 60);
}

static void progress(const train_event *ev, long total, int tty) {
    char eta[32], el[32];
    double rate = ev->step > 0 ? ev->elapsed_s / ev->step : 0;
    fmt_time(eta, sizeof eta, rate * (double)(total - ev->step));
    fmt_time(el, sizeof el, ev->elapsed_s);
    if (!tty) {
        fprintf(stderr, "step %ld/%ld epoch %.2f loss %.4f lr %.3g grad_norm %.3g tokens/s %.0f elapsed %s eta %s\n",
                ev->step, total, ev->epoch, ev->loss, ev->lr, ev->grad_norm, ev->tokens_per_s, el, eta);
        return;
    }
    enum { W = 24 };
    int fill = total > 0 ? (int)((double)W * ev->step / total) : 0;
    char bar[W + 1];
    for (int i = 0; i < W; i++) bar[i] = i < fill ? '#' : '-';
    bar[W] = 0;
    fprintf(stderr, "\r[%s] %ld/%ld loss %.4f lr %.2e %.0f tok/s %s<%s \033[K", bar, ev->step, total, ev->loss, ev->lr,
            ev->tokens_per_s, el, eta);
}

int cli_train_parse(int argc, char **argv, train_options *op, int need_out, char *err, size_t errlen) {
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

void cli_train_skipped_text(char *buf, size_t len, const char *path, int n, int first_line) {
    if (n > 0)
        snprintf(buf, len, "%s: skipped %d line%s that %s not UTF-8 (first at line %d)", path, n, n == 1 ? "" : "s",
                 n == 1 ? "is" : "are", first_line);
    else if (len)
        buf[0] = 0;
}

/* One warning per file that lost lines to --skip-invalid-utf8, before the first step. */
static void warn_skipped(const char *path, int n, int first_line) {
    char msg[1200];
    cli_train_skipped_text(msg, sizeof msg, path, n, first_line);
    if (msg[0]) fprintf(stderr, "warning: %s\n", msg);
}

int cli_train(int argc, char **argv) {
    const char *cmd = "train";
    train_options o;
    char err[512];
    int xrc = cli_train_export(argc, argv);
    if (xrc >= 0) return xrc;
    int prc = cli_train_parse(argc, argv, &o, 1, err, sizeof err);
    if (prc == 1) {
        fputs(cli_train_usage, stdout);
        return 0;
    }
    if (prc != BB_OK) return cli_usage_error(cmd, "%s", err);
    /* --freeze-layers is checked against the model's layers here, so that it is a usage error too */
    if (o.freeze_layers > 0) {
        char cfg_path[1200];
        bert_config cfg;
        snprintf(cfg_path, sizeof cfg_path, "%s%s", o.config_path ? o.config_path : o.resume_dir ? o.resume_dir : o.model_dir,
                 o.config_path ? "" : "/config.json");
        if (bert_config_load(&cfg, cfg_path, err, sizeof err) == BB_OK) {
            int L = cfg.num_layers;
            bert_config_free(&cfg);
            if (o.freeze_layers > L)
                return cli_usage_error(cmd, "--freeze-layers %d: the model has only %d layers", o.freeze_layers, L);
        }
    }
    trainer *t = NULL;
    if (trainer_create(&t, &o, err, sizeof err) != BB_OK) return cli_fail(cmd, "%s", err);
    const char *fresh = trainer_newly_initialized(t);
    if (*fresh && !o.resume_dir) { /* transformers' warning, its list written as Python prints it */
        fprintf(stderr, "warning: Some weights of %s were not initialized from the model checkpoint at %s and are newly "
                "initialized: ['", o.task == TRAIN_TASK_SEQCLS ? "BertForSequenceClassification" : "BertForTokenClassification",
                o.model_dir ? o.model_dir : o.config_path);
        for (const char *p = fresh; *p; p++)
            if (*p == ',') fputs("', '", stderr);
            else if (*p != ' ') fputc(*p, stderr);
        fputs("']\nYou should probably TRAIN this model on a down-stream task to be able to use it for predictions and "
              "inference.\n", stderr);
    }
    train_skipped sk;
    trainer_skipped(t, &sk);
    warn_skipped(o.data_path, sk.train, sk.train_first_line);
    if (o.eval_path) warn_skipped(o.eval_path, sk.eval, sk.eval_first_line);
    struct sigaction sa = {0}, old_int, old_term;
    sa.sa_handler = on_sigint;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    signal(SIGXFSZ, SIG_IGN); /* a file-size limit shows up as a write error */
    if (trainer_start(t, err, sizeof err) != BB_OK) {
        trainer_free(t);
        return cli_fail(cmd, "%s", err);
    }
    int tty = isatty(2), stop_sent = 0, bar_open = 0;
    long total = trainer_total_steps(t);
    train_event ev[64], last_step = {0}, last_eval = {0};
    int have_eval = 0;
    char last_ck[512] = "";
    for (;;) {
        train_status st;
        trainer_status(t, &st);
        if (interrupted && !stop_sent) {
            trainer_stop(t);
            stop_sent = 1;
            if (bar_open) fputc('\n', stderr), bar_open = 0;
            fprintf(stderr, "stopping after the current step...\n");
        }
        int n = trainer_poll(t, ev, 64);
        for (int i = 0; i < n; i++) {
            if (ev[i].kind == TRAIN_EV_STEP) {
                last_step = ev[i];
                progress(&ev[i], total, tty);
                bar_open = tty;
            } else if (ev[i].kind == TRAIN_EV_EVAL) {
                last_eval = ev[i];
                have_eval = 1;
                if (bar_open) fputc('\n', stderr), bar_open = 0;
                if (o.task == TRAIN_TASK_MLM)
                    fprintf(stderr, "eval step %ld: loss %.4f perplexity %.3f\n", ev[i].step, ev[i].eval_loss,
                            ev[i].eval_perplexity);
                else if (o.regression)
                    fprintf(stderr, "eval step %ld: mse %.4f pearson %.4f spearman %.4f\n", ev[i].step, ev[i].eval_mse,
                            ev[i].eval_pearson, ev[i].eval_spearman);
                else
                    fprintf(stderr, "eval step %ld: loss %.4f accuracy %.4f macro-F1 %.4f\n", ev[i].step,
                            ev[i].eval_loss, ev[i].eval_accuracy, ev[i].eval_f1);
            } else if (ev[i].kind == TRAIN_EV_CHECKPOINT) {
                snprintf(last_ck, sizeof last_ck, "%s", ev[i].msg);
            }
        }
        if (st.finished && n == 0) break;
        if (n == 0) {
            struct timespec ts = {0, 50 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
    }
    if (bar_open) fputc('\n', stderr);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    int rc = trainer_wait(t, err, sizeof err);
    if (rc != BB_OK) {
        trainer_free(t);
        char mpath[1200];
        snprintf(mpath, sizeof mpath, "%s/metrics.jsonl", o.out_dir);
        struct stat st; /* never created (or not a file): nothing to point at */
        if (stat(mpath, &st) != 0 || !S_ISREG(st.st_mode)) return cli_fail(cmd, "%s", err);
        return cli_fail(cmd, "%s (metrics so far are in %s)", err, mpath);
    }
    printf("{\"task\":\"%s\",\"out\":\"%s\",\"steps\":%ld,\"total_steps\":%ld,\"stopped\":%s,\"loss\":%.6g,"
           "\"tokens_per_s\":%.1f,\"elapsed_s\":%.3f,\"checkpoint\":\"%s\"",
           train_task_name(o.task), o.out_dir, last_step.step, total, stop_sent ? "true" : "false", last_step.loss,
           last_step.tokens_per_s, last_step.elapsed_s, last_ck);
    if (have_eval) {
        if (o.task == TRAIN_TASK_MLM)
            printf(",\"eval_loss\":%.6g,\"eval_perplexity\":%.6g", last_eval.eval_loss, last_eval.eval_perplexity);
        else if (o.regression)
            printf(",\"eval_loss\":%.6g,\"eval_pearson\":%.6g,\"eval_spearman\":%.6g", last_eval.eval_loss,
                   last_eval.eval_pearson, last_eval.eval_spearman);
        else
            printf(",\"eval_loss\":%.6g,\"eval_accuracy\":%.6g,\"eval_f1\":%.6g", last_eval.eval_loss,
                   last_eval.eval_accuracy, last_eval.eval_f1);
    }
    if (*fresh && !o.resume_dir) {
        printf(",\"newly_initialized\":[\"");
        for (const char *p = fresh; *p; p++)
            if (*p == ',') printf("\",\"");
            else if (*p != ' ') putchar(*p);
        printf("\"]");
    }
    if (o.skip_invalid_utf8) {
        printf(",\"skipped_invalid_utf8\":{\"train\":%d", sk.train);
        if (o.eval_path) printf(",\"eval\":%d", sk.eval);
        printf("}");
    }
    printf("}\n");
    trainer_free(t);
    return 0;
}
