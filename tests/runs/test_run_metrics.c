/* metrics.jsonl (engine/runs/run_metrics.h): points are written in the trainer's formats and read
 * back into columns; list keys (newly initialized weights, confusion matrices) round-trip; a torn last
 * line is ignored and bad lines counted; reopening after a tear keeps new lines whole; nan/inf as
 * printf writes them are read; CSV export matches expected text; a write under a file-size limit
 * fails with BB_ENOSPC. */
#include "sessions/sess_test.h"

#include <math.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "bb_err.h"
#include "check.h"
#include "run_metrics.h"

static char root[512];

/* One point of every numeric key, in the trainer's formats. */
static void test_round_trip(void) {
    char err[512] = "", path[600];
    snprintf(path, sizeof path, "%s/m.jsonl", root);
    run_metrics *m;
    CHECK_OK(run_metrics_open(&m, path, 0, err, sizeof err), err);
    if (!m) return;
    for (int i = 0; i < 3; i++) {
        run_point p;
        run_point_init(&p);
        run_point_set(&p, RUN_M_STEP, 10 * (i + 1));
        run_point_set(&p, RUN_M_EPOCH, 0.25 * (i + 1));
        run_point_set(&p, RUN_M_LOSS, 7.5 - i);
        run_point_set(&p, RUN_M_LR, 1e-4 * (i + 1));
        run_point_set(&p, RUN_M_GRAD_NORM, 1.0 / 3.0);
        run_point_set(&p, RUN_M_TOKENS_PER_S, 12345.5);
        run_point_set(&p, RUN_M_ELAPSED_S, 1.125 * (i + 1));
        CHECK_OK(run_metrics_append(m, &p, err, sizeof err), err);
    }
    run_point e;
    run_point_init(&e);
    run_point_set(&e, RUN_M_STEP, 30);
    run_point_set(&e, RUN_M_EVAL_LOSS, 6.0);
    run_point_set(&e, RUN_M_EVAL_PERPLEXITY, INFINITY);
    CHECK_OK(run_metrics_append(m, &e, err, sizeof err), err);
    run_point_init(&e);
    CHECK(run_metrics_append(m, &e, err, sizeof err) == BB_EINVAL, "an empty point is refused");
    run_point_set(&e, RUN_M_STEP, 31);
    run_point_set(&e, RUN_M_EVAL_LOSS, NAN);
    run_point_set(&e, RUN_M_EVAL_MSE, -INFINITY);
    CHECK_OK(run_metrics_append(m, &e, err, sizeof err), err);
    CHECK_OK(run_metrics_close(m, err, sizeof err), err);
    FILE *f = fopen(path, "a"); /* a line another writer made, with keys this build does not know */
    fputs("{\"step\":32,\"eval_accuracy\":0.75,\"eval_f1\":0.5,\"kind\":\"eval\",\"detail\":{\"x\":1}}\n", f);
    fclose(f);

    char *text = slurp(path, NULL);
    const char *want =
        "{\"step\":10,\"epoch\":0.2500,\"loss\":7.5,\"lr\":0.0001,\"grad_norm\":0.333333,\"tokens_per_s\":12345.5,"
        "\"elapsed_s\":1.125}\n"
        "{\"step\":20,\"epoch\":0.5000,\"loss\":6.5,\"lr\":0.0002,\"grad_norm\":0.333333,\"tokens_per_s\":12345.5,"
        "\"elapsed_s\":2.250}\n"
        "{\"step\":30,\"epoch\":0.7500,\"loss\":5.5,\"lr\":0.0003,\"grad_norm\":0.333333,\"tokens_per_s\":12345.5,"
        "\"elapsed_s\":3.375}\n"
        "{\"step\":30,\"eval_loss\":6,\"eval_perplexity\":1e999}\n"
        "{\"step\":31,\"eval_loss\":null,\"eval_mse\":-1e999}\n";
    CHECK(text && !strncmp(text, want, strlen(want)), "lines as the trainer writes them:\n%s", text ? text : "");
    free(text);

    run_metrics_table s;
    CHECK_OK(run_metrics_read(&s, path, err, sizeof err), err);
    CHECK(s.n == 6 && s.bad_lines == 0 && !s.torn_tail, "6 rows (n %ld)", s.n);
    CHECK(s.ncols > 0 && !strcmp(s.cols[0].name, "step"), "step first");
    const double *step = run_metrics_col(&s, RUN_M_STEP), *loss = run_metrics_col(&s, RUN_M_LOSS);
    const double *lr = run_metrics_col(&s, RUN_M_LR), *gn = run_metrics_col(&s, RUN_M_GRAD_NORM);
    const double *ep = run_metrics_col(&s, RUN_M_EPOCH), *tps = run_metrics_col(&s, RUN_M_TOKENS_PER_S);
    const double *el = run_metrics_col(&s, RUN_M_ELAPSED_S), *ev = run_metrics_col(&s, RUN_M_EVAL_LOSS);
    const double *ppl = run_metrics_col(&s, RUN_M_EVAL_PERPLEXITY), *acc = run_metrics_col(&s, RUN_M_EVAL_ACCURACY);
    const double *mse = run_metrics_col(&s, RUN_M_EVAL_MSE);
    CHECK(step && loss && lr && gn && ep && tps && el && ev && ppl && acc && mse, "all columns present");
    CHECK(!run_metrics_col_named(&s, "kind") && !run_metrics_col_named(&s, "detail") &&
              !run_metrics_col(&s, RUN_M_EVAL_PEARSON),
          "strings, objects and never-set keys are not columns");
    if (step && loss && lr && gn && ep && tps && el && ev && ppl && acc && mse) {
        int ok = 1;
        for (int i = 0; i < 3; i++)
            ok &= step[i] == 10 * (i + 1) && ep[i] == 0.25 * (i + 1) && loss[i] == 7.5 - i &&
                  fabs(lr[i] / (1e-4 * (i + 1)) - 1) < 1e-12 && gn[i] == 0.333333 && tps[i] == 12345.5 &&
                  el[i] == 1.125 * (i + 1) && isnan(ev[i]);
        CHECK(ok, "training rows read back as written");
        CHECK(step[3] == 30 && ev[3] == 6.0 && isinf(ppl[3]) && ppl[3] > 0 && isnan(loss[3]), "eval row; inf kept");
        CHECK(step[4] == 31 && isnan(ev[4]) && isinf(mse[4]) && mse[4] < 0, "null is NaN, -1e999 is -inf");
        CHECK(step[5] == 32 && acc[5] == 0.75 && isnan(ev[5]), "another writer's row");
    }
    run_metrics_table_free(&s);
}

/* The list-valued keys: newly initialized weights, and the confusion matrix with its labels (names that
 * need escaping included), read back by run_metrics_last_confusion. */
static void test_lists(void) {
    char err[512] = "", path[600];
    snprintf(path, sizeof path, "%s/lists.jsonl", root);
    run_metrics *m;
    CHECK_OK(run_metrics_open(&m, path, 0, err, sizeof err), err);
    if (!m) return;
    run_point p;
    run_point_init(&p);
    p.new_weights = "bert.pooler.dense.bias, bert.pooler.dense.weight, classifier.bias";
    CHECK_OK(run_metrics_append(m, &p, err, sizeof err), err);
    const char *labels[3] = {"ham", "sp\"am", "x\\y\n"};
    long counts[9] = {3, 1, 0, 0, 4, 2, 1, 0, 5};
    for (int step = 5; step <= 10; step += 5) {
        run_point_init(&p);
        run_point_set(&p, RUN_M_STEP, step);
        run_point_set(&p, RUN_M_EVAL_LOSS, 0.5);
        run_point_set(&p, RUN_M_EVAL_ACCURACY, 0.75);
        run_point_set(&p, RUN_M_EVAL_F1, 0.7);
        p.k = 3, p.labels = labels, p.confusion = counts;
        counts[0] = step;
        CHECK_OK(run_metrics_append(m, &p, err, sizeof err), err);
    }
    CHECK_OK(run_metrics_close(m, err, sizeof err), err);
    char *text = slurp(path, NULL);
    const char *want = "{\"newly_initialized\":[\"bert.pooler.dense.bias\",\"bert.pooler.dense.weight\","
                       "\"classifier.bias\"]}\n"
                       "{\"step\":5,\"eval_loss\":0.5,\"eval_accuracy\":0.75,\"eval_f1\":0.7,"
                       "\"eval_labels\":[\"ham\",\"sp\\\"am\",\"x\\\\y\\n\"],"
                       "\"eval_confusion\":[[5,1,0],[0,4,2],[1,0,5]]}\n";
    CHECK(text && !strncmp(text, want, strlen(want)), "list lines:\n%s", text ? text : "");
    free(text);
    run_confusion c;
    CHECK_OK(run_metrics_last_confusion(&c, path, err, sizeof err), err);
    CHECK(c.k == 3 && c.step == 10 && c.counts[0] == 10 && c.counts[5] == 2 && !strcmp(c.labels[1], "sp\"am") &&
              !strcmp(c.labels[2], "x\\y\n"),
          "the last confusion matrix read back (k %d step %ld)", c.k, c.step);
    run_confusion_free(&c);
    run_metrics_table s;
    CHECK_OK(run_metrics_read(&s, path, err, sizeof err), err);
    CHECK(s.n == 3 && !run_metrics_col(&s, RUN_M_EVAL_CONFUSION) && !run_metrics_col(&s, RUN_M_NEWLY_INITIALIZED),
          "lists are no columns");
    run_metrics_table_free(&s);
    for (int k = 0; k < RUN_M_KEYS; k++)
        for (int j = 0; j < k; j++)
            CHECK(strcmp(run_metric_name((run_metric)k), run_metric_name((run_metric)j)), "key %d named twice", k);
}

static void test_torn_and_bad(void) {
    char err[512] = "", path[600];
    snprintf(path, sizeof path, "%s/torn.jsonl", root);
    const char *text = "{\"step\":1,\"loss\":3}\n"
                       "\n"
                       "not json at all\n"
                       "{\"step\":2,\"loss\":2.5}\r\n"
                       "[1,2]\n"
                       "{\"step\":3,\"loss\":nan,\"grad_norm\":inf,\"lr\":-inf,\"note\":\"nan inf\"}\n"
                       "{\"step\":4,\"lo";
    put_file(path, text, strlen(text));
    run_metrics_table s;
    CHECK_OK(run_metrics_read(&s, path, err, sizeof err), err);
    const double *step = run_metrics_col(&s, RUN_M_STEP), *loss = run_metrics_col(&s, RUN_M_LOSS);
    const double *gn = run_metrics_col(&s, RUN_M_GRAD_NORM), *lr = run_metrics_col(&s, RUN_M_LR);
    CHECK(s.n == 3 && s.bad_lines == 2 && s.torn_tail == 1, "n %ld bad %ld torn %d", s.n, s.bad_lines, s.torn_tail);
    CHECK(step && loss && gn && lr && step[1] == 2 && loss[1] == 2.5 && step[2] == 3 && isnan(loss[2]) &&
              isinf(gn[2]) && gn[2] > 0 && isinf(lr[2]) && lr[2] < 0,
          "CRLF line and printf's nan/inf read");
    run_metrics_table_free(&s);
    CHECK(same_bytes(path, text, strlen(text)), "reading changes nothing");

    /* An appender reopening the torn file ends the torn line first: new lines stay whole. */
    run_metrics *m;
    CHECK_OK(run_metrics_open(&m, path, 1000, err, sizeof err), err);
    if (m) {
        run_point p;
        run_point_init(&p);
        run_point_set(&p, RUN_M_STEP, 5);
        run_point_set(&p, RUN_M_LOSS, 1.0);
        CHECK_OK(run_metrics_append(m, &p, err, sizeof err), err);
        CHECK_OK(run_metrics_close(m, err, sizeof err), err);
    }
    CHECK_OK(run_metrics_read(&s, path, err, sizeof err), err);
    step = run_metrics_col(&s, RUN_M_STEP);
    CHECK(s.n == 4 && s.bad_lines == 3 && !s.torn_tail && step && step[3] == 5, "torn line now a counted bad line");
    run_metrics_table_free(&s);
    size_t n;
    char *b = slurp(path, &n);
    CHECK(b && n > strlen(text) && !memcmp(b, text, strlen(text)), "the torn bytes are kept, not deleted");
    free(b);

    CHECK(run_metrics_read(&s, "/nonexistent/metrics.jsonl", err, sizeof err) == BB_EIO &&
              strstr(err, "/nonexistent/metrics.jsonl"),
          "missing file named: %s", err);
}

static void test_csv(void) {
    char err[512] = "", path[600], csv[600];
    snprintf(path, sizeof path, "%s/c.jsonl", root);
    snprintf(csv, sizeof csv, "%s/c.csv", root);
    const char *text = "{\"step\":1,\"loss\":3.25,\"lr\":0.0001}\n"
                       "{\"loss\":2,\"step\":2,\"lr\":0.0002,\"a,b\":1}\n"
                       "{\"step\":2,\"eval_loss\":2.5,\"eval_perplexity\":inf}\n"
                       "{\"step\":3,\"lo";
    put_file(path, text, strlen(text));
    CHECK_OK(run_metrics_export_csv(path, csv, err, sizeof err), err);
    const char *want = "step,loss,lr,\"a,b\",eval_loss,eval_perplexity\n"
                       "1,3.25,0.0001,,,\n"
                       "2,2,0.0002,1,,\n"
                       "2,,,,2.5,inf\n";
    char *got = slurp(csv, NULL);
    CHECK(got && !strcmp(got, want), "csv:\n%s", got ? got : "(none)");
    free(got);
}

/* Appends under a 2 KiB file-size limit: the one that crosses it fails with BB_ENOSPC. */
static void test_disk_full(void) {
    char path[600];
    snprintf(path, sizeof path, "%s/full.jsonl", root);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        char err[512] = "";
        struct rlimit rl = {2048, 2048};
        signal(SIGXFSZ, SIG_IGN);
        run_metrics *m;
        if (setrlimit(RLIMIT_FSIZE, &rl) != 0 || run_metrics_open(&m, path, 0, err, sizeof err) != BB_OK) _exit(2);
        int rc = BB_OK;
        long i;
        for (i = 0; i < 1000 && rc == BB_OK; i++) {
            run_point p;
            run_point_init(&p);
            run_point_set(&p, RUN_M_STEP, (double)i);
            run_point_set(&p, RUN_M_LOSS, 1.0 / (double)(i + 1));
            rc = run_metrics_append(m, &p, err, sizeof err);
        }
        run_metrics_close(m, NULL, 0);
        int ok = rc == BB_ENOSPC && strstr(err, "full.jsonl") && i > 10;
        if (!ok) fprintf(stderr, "child: rc %d after %ld: %s\n", rc, i, err);
        _exit(ok ? 0 : 1);
    }
    int st;
    waitpid(pid, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "append past the file-size limit reports BB_ENOSPC");
    char err[512];
    run_metrics_table s;
    CHECK_OK(run_metrics_read(&s, path, err, sizeof err), err);
    CHECK(s.n > 10 && s.bad_lines == 0, "the lines before the limit are readable (%ld)", s.n);
    run_metrics_table_free(&s);
}

int main(void) {
    make_tmpdir(root, sizeof root, "metrics");
    test_round_trip();
    test_lists();
    test_torn_and_bad();
    test_csv();
    test_disk_full();
    rm_rf(root);
    return check_done();
}
