/* metrics.jsonl: points and free-form objects round-trip into series; a torn last line is ignored and
 * bad lines counted; reopening after a tear keeps new lines whole; nan/inf as printf writes them are
 * read; CSV export matches expected text; a write under a file-size limit fails with BB_ENOSPC. */
#include "sess_test.h"

#include <math.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "bb_err.h"
#include "check.h"
#include "session.h"

static char root[512];

static void test_round_trip(void) {
    char err[512] = "", path[600];
    snprintf(path, sizeof path, "%s/m.jsonl", root);
    sess_metrics *m;
    CHECK_OK(sess_metrics_open(&m, path, 0, err, sizeof err), err);
    if (!m) return;
    for (int i = 0; i < 3; i++) {
        sess_point p;
        sess_point_init(&p);
        p.step = 10 * (i + 1);
        p.epoch = 0.25 * (i + 1);
        p.loss = 7.5 - i;
        p.lr = 1e-4 * (i + 1);
        p.grad_norm = 1.0 / 3.0;
        p.tokens_per_s = 12345.5;
        p.elapsed_s = 1.125 * (i + 1);
        CHECK_OK(sess_metrics_append(m, &p, err, sizeof err), err);
    }
    sess_point e;
    sess_point_init(&e);
    e.step = 30;
    e.eval_loss = 6.0;
    e.eval_perplexity = INFINITY;
    CHECK_OK(sess_metrics_append(m, &e, err, sizeof err), err);
    sess_point_init(&e);
    CHECK(sess_metrics_append(m, &e, err, sizeof err) == BB_EINVAL, "an empty point is refused");
    cJSON *j = cJSON_Parse("{\"step\":31,\"eval_accuracy\":0.75,\"eval_f1\":0.5,\"kind\":\"eval\",\"detail\":{\"x\":1}}");
    CHECK_OK(sess_metrics_append_json(m, j, err, sizeof err), err);
    cJSON_Delete(j);
    CHECK_OK(sess_metrics_close(m, err, sizeof err), err);

    sess_series s;
    CHECK_OK(sess_metrics_read(&s, path, err, sizeof err), err);
    CHECK(s.n == 5 && s.bad_lines == 0 && !s.torn_tail, "5 rows (n %ld)", s.n);
    CHECK(s.ncols > 0 && !strcmp(s.cols[0].name, "step"), "step first");
    const double *step = sess_series_col(&s, "step"), *loss = sess_series_col(&s, "loss");
    const double *lr = sess_series_col(&s, "lr"), *gn = sess_series_col(&s, "grad_norm");
    const double *ep = sess_series_col(&s, "epoch"), *tps = sess_series_col(&s, "tokens_per_s");
    const double *el = sess_series_col(&s, "elapsed_s"), *ev = sess_series_col(&s, "eval_loss");
    const double *ppl = sess_series_col(&s, "eval_perplexity"), *acc = sess_series_col(&s, "eval_accuracy");
    CHECK(step && loss && lr && gn && ep && tps && el && ev && ppl && acc, "all columns present");
    CHECK(!sess_series_col(&s, "kind") && !sess_series_col(&s, "detail") && !sess_series_col(&s, "eval_mse"),
          "strings, objects and never-set fields are not columns");
    if (step && loss && lr && gn && ep && tps && el && ev && ppl && acc) {
        int ok = 1;
        for (int i = 0; i < 3; i++)
            ok &= step[i] == 10 * (i + 1) && ep[i] == 0.25 * (i + 1) && loss[i] == 7.5 - i &&
                  fabs(lr[i] / (1e-4 * (i + 1)) - 1) < 1e-11 && /* %.12g keeps 12 digits */
                  fabs(gn[i] - 1.0 / 3.0) < 1e-12 && tps[i] == 12345.5 && el[i] == 1.125 * (i + 1) && isnan(ev[i]);
        CHECK(ok, "training rows exact");
        CHECK(step[3] == 30 && ev[3] == 6.0 && isinf(ppl[3]) && ppl[3] > 0 && isnan(loss[3]), "eval row; inf kept");
        CHECK(step[4] == 31 && acc[4] == 0.75 && isnan(ev[4]), "free-form row");
    }
    sess_series_free(&s);
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
    sess_series s;
    CHECK_OK(sess_metrics_read(&s, path, err, sizeof err), err);
    const double *step = sess_series_col(&s, "step"), *loss = sess_series_col(&s, "loss");
    const double *gn = sess_series_col(&s, "grad_norm"), *lr = sess_series_col(&s, "lr");
    CHECK(s.n == 3 && s.bad_lines == 2 && s.torn_tail == 1, "n %ld bad %ld torn %d", s.n, s.bad_lines, s.torn_tail);
    CHECK(step && loss && gn && lr && step[1] == 2 && loss[1] == 2.5 && step[2] == 3 && isnan(loss[2]) &&
              isinf(gn[2]) && gn[2] > 0 && isinf(lr[2]) && lr[2] < 0,
          "CRLF line and printf's nan/inf read");
    sess_series_free(&s);
    CHECK(same_bytes(path, text, strlen(text)), "reading changes nothing");

    /* An appender reopening the torn file ends the torn line first: new lines stay whole. */
    sess_metrics *m;
    CHECK_OK(sess_metrics_open(&m, path, 1000, err, sizeof err), err);
    if (m) {
        sess_point p;
        sess_point_init(&p);
        p.step = 5;
        p.loss = 1.0;
        CHECK_OK(sess_metrics_append(m, &p, err, sizeof err), err);
        CHECK_OK(sess_metrics_close(m, err, sizeof err), err);
    }
    CHECK_OK(sess_metrics_read(&s, path, err, sizeof err), err);
    step = sess_series_col(&s, "step");
    CHECK(s.n == 4 && s.bad_lines == 3 && !s.torn_tail && step && step[3] == 5, "torn line now a counted bad line");
    sess_series_free(&s);
    size_t n;
    char *b = slurp(path, &n);
    CHECK(b && n > strlen(text) && !memcmp(b, text, strlen(text)), "the torn bytes are kept, not deleted");
    free(b);

    CHECK(sess_metrics_read(&s, "/nonexistent/metrics.jsonl", err, sizeof err) == BB_EIO &&
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
    CHECK_OK(sess_metrics_export_csv(path, csv, err, sizeof err), err);
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
        sess_metrics *m;
        if (setrlimit(RLIMIT_FSIZE, &rl) != 0 || sess_metrics_open(&m, path, 0, err, sizeof err) != BB_OK) _exit(2);
        int rc = BB_OK;
        long i;
        for (i = 0; i < 1000 && rc == BB_OK; i++) {
            sess_point p;
            sess_point_init(&p);
            p.step = i;
            p.loss = 1.0 / (double)(i + 1);
            rc = sess_metrics_append(m, &p, err, sizeof err);
        }
        sess_metrics_close(m, NULL, 0);
        int ok = rc == BB_ENOSPC && strstr(err, "full.jsonl") && i > 10;
        if (!ok) fprintf(stderr, "child: rc %d after %ld: %s\n", rc, i, err);
        _exit(ok ? 0 : 1);
    }
    int st;
    waitpid(pid, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "append past the file-size limit reports BB_ENOSPC");
    char err[512];
    sess_series s;
    CHECK_OK(sess_metrics_read(&s, path, err, sizeof err), err);
    CHECK(s.n > 10 && s.bad_lines == 0, "the lines before the limit are readable (%ld)", s.n);
    sess_series_free(&s);
}

int main(void) {
    make_tmpdir(root, sizeof root, "metrics");
    test_round_trip();
    test_torn_and_bad();
    test_csv();
    test_disk_full();
    rm_rf(root);
    return check_done();
}
