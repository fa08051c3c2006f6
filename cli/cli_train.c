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
#include "train_opts.h"

static volatile sig_atomic_t interrupted;
static void on_sigint(int sig) { interrupted = sig; }

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

/* One warning per file that lost lines to --skip-invalid-utf8, before the first step. */
static void warn_skipped(const char *path, int n, int first_line) {
    char msg[1200];
    train_opts_skipped_text(msg, sizeof msg, path, n, first_line);
    if (msg[0]) fprintf(stderr, "warning: %s\n", msg);
}

/* --freeze-layers above the model's layer count (from its config.json) is a usage error; 0 when fine
 * or when the config cannot be read here (the trainer then reports it). */
static int check_freeze_layers(const train_options *o, const char *cmd) {
    char cfg_path[1200], err[512];
    bert_config cfg;
    snprintf(cfg_path, sizeof cfg_path, "%s%s", o->config_path ? o->config_path : o->resume_dir ? o->resume_dir : o->model_dir,
             o->config_path ? "" : "/config.json");
    if (bert_config_load(&cfg, cfg_path, err, sizeof err) != BB_OK) return 0;
    int L = cfg.num_layers;
    bert_config_free(&cfg);
    if (o->freeze_layers > L) return cli_usage_error(cmd, "--freeze-layers %d: the model has only %d layers", o->freeze_layers, L);
    return 0;
}

/* transformers' warning for heads created on top of a checkpoint, its list written as Python prints it. */
static void warn_newly_initialized(const train_options *o, const char *fresh) {
    fprintf(stderr, "warning: Some weights of %s were not initialized from the model checkpoint at %s and are newly "
            "initialized: ['", o->task == TRAIN_TASK_SEQCLS ? "BertForSequenceClassification" : "BertForTokenClassification",
            o->model_dir ? o->model_dir : o->config_path);
    for (const char *p = fresh; *p; p++)
        if (*p == ',') fputs("', '", stderr);
        else if (*p != ' ') fputc(*p, stderr);
    fputs("']\nYou should probably TRAIN this model on a down-stream task to be able to use it for predictions and "
          "inference.\n", stderr);
}

/* One evaluation's line on stderr: the task's own metrics. */
static void print_eval(const train_options *o, const train_event *ev) {
    if (o->task == TRAIN_TASK_MLM)
        fprintf(stderr, "eval step %ld: loss %.4f perplexity %.3f\n", ev->step, ev->eval_loss, ev->eval_perplexity);
    else if (o->regression)
        fprintf(stderr, "eval step %ld: mse %.4f pearson %.4f spearman %.4f\n", ev->step, ev->eval_mse, ev->eval_pearson,
                ev->eval_spearman);
    else
        fprintf(stderr, "eval step %ld: loss %.4f accuracy %.4f macro-F1 %.4f\n", ev->step, ev->eval_loss,
                ev->eval_accuracy, ev->eval_f1);
}

/* The run's JSON summary on stdout. last_eval NULL: no evaluation ran. */
static void print_summary(const train_options *o, const train_event *last_step, const train_event *last_eval, long total,
                          int stopped, const char *ck, const char *fresh, const train_skipped *sk) {
    printf("{\"task\":\"%s\",\"out\":\"%s\",\"steps\":%ld,\"total_steps\":%ld,\"stopped\":%s,\"loss\":%.6g,"
           "\"tokens_per_s\":%.1f,\"elapsed_s\":%.3f,\"checkpoint\":\"%s\"",
           train_task_name(o->task), o->out_dir, last_step->step, total, stopped ? "true" : "false", last_step->loss,
           last_step->tokens_per_s, last_step->elapsed_s, ck);
    if (last_eval) {
        if (o->task == TRAIN_TASK_MLM)
            printf(",\"eval_loss\":%.6g,\"eval_perplexity\":%.6g", last_eval->eval_loss, last_eval->eval_perplexity);
        else if (o->regression)
            printf(",\"eval_loss\":%.6g,\"eval_pearson\":%.6g,\"eval_spearman\":%.6g", last_eval->eval_loss,
                   last_eval->eval_pearson, last_eval->eval_spearman);
        else
            printf(",\"eval_loss\":%.6g,\"eval_accuracy\":%.6g,\"eval_f1\":%.6g", last_eval->eval_loss,
                   last_eval->eval_accuracy, last_eval->eval_f1);
    }
    if (*fresh && !o->resume_dir) {
        printf(",\"newly_initialized\":[\"");
        for (const char *p = fresh; *p; p++)
            if (*p == ',') printf("\",\"");
            else if (*p != ' ') putchar(*p);
        printf("\"]");
    }
    if (o->skip_invalid_utf8) {
        printf(",\"skipped_invalid_utf8\":{\"train\":%d", sk->train);
        if (o->eval_path) printf(",\"eval\":%d", sk->eval);
        printf("}");
    }
    printf("}\n");
}

int cli_train(int argc, char **argv) {
    const char *cmd = "train";
    train_options o;
    char err[512];
    int prc = train_opts_parse(argc, argv, &o, 1, err, sizeof err);
    if (prc == 1) {
        char *usage = train_opts_usage_dup();
        if (!usage) return cli_fail(cmd, "out of memory");
        fputs(usage, stdout);
        free(usage);
        return 0;
    }
    if (prc != BB_OK) return cli_usage_error(cmd, "%s", err);
    if (o.export_hf) return cli_train_export(&o, argc, argv);
    /* --freeze-layers is checked against the model's layers here, so that it is a usage error too */
    if (o.freeze_layers > 0 && (prc = check_freeze_layers(&o, cmd)) != 0) return prc;
    trainer *t = NULL;
    if (trainer_create(&t, &o, err, sizeof err) != BB_OK) return cli_fail(cmd, "%s", err);
    const char *fresh = trainer_newly_initialized(t);
    if (*fresh && !o.resume_dir) warn_newly_initialized(&o, fresh);
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
                print_eval(&o, &ev[i]);
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
    print_summary(&o, &last_step, have_eval ? &last_eval : NULL, total, stop_sent, last_ck, fresh, &sk);
    trainer_free(t);
    return 0;
}
