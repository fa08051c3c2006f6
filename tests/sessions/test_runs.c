/* Runs: run.json round trip, locks (a live run stays "running", a dead one becomes "interrupted"),
 * runs found on disk, a missing run directory or damaged run.json reported while the rest opens, and
 * the crash test: kill -9 a child appending metrics, reopen, every acknowledged line is there, resume. */
#include "sess_test.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "bb_err.h"
#include "check.h"
#include "run_metrics.h"
#include "session.h"

static char root[512];

static void run_json_path(const sess_session *s, const char *name, char *buf, size_t n) {
    snprintf(buf, n, "%s/runs/%s/run.json", s->dir, name);
}

static void test_run_lifecycle(void) {
    char err[512] = "", dir[600];
    snprintf(dir, sizeof dir, "%s/life", root);
    sess_session *s;
    CHECK_OK(sess_new(&s, dir, err, sizeof err), err);
    if (!s) return;
    cJSON *cfg = cJSON_Parse("{\"task\":\"seqcls\",\"model\":\"models/tiny\",\"init\":\"pretrained\",\"data\":\"sst.jsonl\","
                             "\"hparams\":{\"lr\":2e-5,\"batch_size\":16,\"epochs\":3}}");
    sess_run *r, *r2, *bad;
    CHECK_OK(sess_run_create(s, "cls-a", cfg, "/elsewhere/ckpt", &r, err, sizeof err), err);
    if (!r) return;
    CHECK(r->status == SESS_RUN_RUNNING && r->lock_fd >= 0 && r->pid == (long)getpid(), "created running, locked");
    CHECK(sess_run_create(s, "cls-a", cfg, NULL, &bad, err, sizeof err) == BB_EINVAL, "duplicate name refused");
    CHECK(sess_run_create(s, "../up", cfg, NULL, &bad, err, sizeof err) == BB_EINVAL && strstr(err, "run name"),
          "bad name refused: %s", err);
    CHECK(sess_run_create(s, NULL, NULL, NULL, &r2, err, sizeof err) == BB_OK && r2 && !strcmp(r2->name, "run-1"),
          "automatic name run-1");
    CHECK_OK(sess_run_set_checkpoint(s, r, "/elsewhere/ckpt/checkpoint-100", err, sizeof err), err);
    CHECK_OK(sess_save(s, err, sizeof err), err);

    /* A second opener (same process, its own file description) sees the lock held: still running. */
    sess_session *t;
    CHECK_OK(sess_open(&t, dir, 0, err, sizeof err), err);
    sess_run *tr = t ? sess_run_find(t, "cls-a") : NULL;
    CHECK(tr && tr->status == SESS_RUN_RUNNING && tr->lock_fd < 0, "a live run stays running");
    CHECK(t && t->read_only && t->locked_by == (long)getpid(), "the second opener is read-only");
    CHECK(tr && sess_run_resume(t, tr, err, sizeof err) == BB_EINVAL &&
              (strstr(err, "in use by process") || strstr(err, "read-only")),
          "cannot take a live run: %s", err);
    CHECK(tr && sess_run_finish(t, tr, SESS_RUN_STOPPED, NULL, NULL, err, sizeof err) == BB_EINVAL,
          "cannot end another process's run");
    sess_free(t);

    CHECK(sess_run_finish(s, r, SESS_RUN_RUNNING, NULL, NULL, err, sizeof err) == BB_EINVAL, "finish needs an end");
    cJSON *sum = cJSON_Parse("{\"steps\":300,\"train_loss\":0.41,\"eval_loss\":0.52,\"accuracy\":0.86,\"f1\":0.85}");
    CHECK_OK(sess_run_finish(s, r, SESS_RUN_FINISHED, "done", sum, err, sizeof err), err);
    CHECK(r->lock_fd < 0 && r->ended >= r->started, "finish releases the lock and records the end");
    CHECK_OK(sess_run_finish(s, r2, SESS_RUN_FAILED, "loss is NaN at step 12", NULL, err, sizeof err), err);

    CHECK_OK(sess_open(&t, dir, 0, err, sizeof err), err);
    if (t) {
        tr = sess_run_find(t, "cls-a");
        CHECK(tr && tr->status == SESS_RUN_FINISHED && tr->started == r->started && tr->ended == r->ended,
              "status and times");
        CHECK(tr && cJSON_Compare(tr->config, cfg, 1) && cJSON_Compare(tr->summary, sum, 1), "config and summary");
        CHECK(tr && !strcmp(tr->checkpoint_dir, "/elsewhere/ckpt") &&
                  !strcmp(tr->last_checkpoint, "/elsewhere/ckpt/checkpoint-100") && !strcmp(tr->message, "done") &&
                  tr->pid == (long)getpid(),
              "checkpoint paths, message, pid");
        sess_run *f = sess_run_find(t, "run-1");
        char want[700];
        snprintf(want, sizeof want, "%s/runs/run-1", t->dir);
        CHECK(f && f->status == SESS_RUN_FAILED && !strcmp(f->message, "loss is NaN at step 12") &&
                  !strcmp(f->checkpoint_dir, want) && f->summary == NULL,
              "failed run; default checkpoint dir is the run directory");
        CHECK(t->n_runs == 2 && !strcmp(t->runs[0]->name, "cls-a"), "run order kept");
        sess_free(t);
    }
    cJSON_Delete(cfg);
    cJSON_Delete(sum);
    sess_free(s);
}

/* A child creates a run and dies without finishing it: the parent finds it (session.json was never
 * saved with it) and marks it interrupted, on disk too; then resumes it. */
static void test_interrupted(void) {
    char err[512] = "", dir[600], rj[800];
    snprintf(dir, sizeof dir, "%s/intr.bbs", root);
    sess_session *s;
    CHECK_OK(sess_new(&s, dir, err, sizeof err), err);
    if (!s) return;
    sess_free(s); /* the child is the session's writer until it dies */
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        sess_session *c;
        sess_run *r;
        if (sess_open(&c, dir, 0, err, sizeof err) != BB_OK) _exit(2);
        _exit(sess_run_create(c, "mlm", NULL, NULL, &r, err, sizeof err) == BB_OK ? 0 : 3);
    }
    int st;
    waitpid(pid, &st, 0);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child created a run");
    CHECK_OK(sess_open(&s, dir, 0, err, sizeof err), err);
    if (!s) return;
    CHECK(!s->read_only && s->warnings[0] == 0, "the dead child's session lock is free: %s", s->warnings);
    sess_run **runs;
    int n;
    CHECK_OK(sess_run_list(s, &runs, &n, err, sizeof err), err);
    CHECK(n == 1 && !strcmp(runs[0]->name, "mlm") && runs[0]->status == SESS_RUN_INTERRUPTED &&
              runs[0]->pid == (long)pid && strstr(runs[0]->message, "interrupted"),
          "run_list finds the other process's run, interrupted");
    run_json_path(s, "mlm", rj, sizeof rj);
    char *b = slurp(rj, NULL);
    CHECK(b && strstr(b, "\"interrupted\""), "run.json records the interruption");
    free(b);
    sess_run *r = n == 1 ? runs[0] : NULL;
    CHECK(r && sess_run_resume(s, r, err, sizeof err) == BB_OK && r->status == SESS_RUN_RUNNING && r->ended == 0 &&
              r->message == NULL,
          "resume: %s", err);
    sess_session *t;
    CHECK_OK(sess_open(&t, dir, 0, err, sizeof err), err);
    sess_run *tr = t ? sess_run_find(t, "mlm") : NULL;
    CHECK(tr && tr->status == SESS_RUN_RUNNING, "the resumed run is live for other openers");
    sess_free(t);
    CHECK(r && sess_run_finish(s, r, SESS_RUN_STOPPED, NULL, NULL, err, sizeof err) == BB_OK, "%s", err);
    sess_free(s);
}

/* A run listed in session.json whose directory is gone, and one whose run.json is damaged: both are
 * named in the warnings, kept in the list (nothing is lost on save) and never written. */
static void test_missing_and_damaged(void) {
    char err[512] = "", dir[600], path[800];
    snprintf(dir, sizeof dir, "%s/holes", root);
    sess_session *s;
    CHECK_OK(sess_new(&s, dir, err, sizeof err), err);
    if (!s) return;
    sess_run *r;
    const char *names[] = {"a", "gone", "broken"};
    for (int i = 0; i < 3; i++) {
        CHECK_OK(sess_run_create(s, names[i], NULL, NULL, &r, err, sizeof err), err);
        CHECK_OK(sess_run_finish(s, r, SESS_RUN_FINISHED, NULL, NULL, err, sizeof err), err);
    }
    CHECK_OK(sess_history_add(s, "train --task mlm"), "");
    CHECK_OK(sess_save(s, err, sizeof err), err);
    snprintf(path, sizeof path, "%s/runs/gone", s->dir);
    rm_rf(path);
    run_json_path(s, "broken", path, sizeof path);
    const char *dmg = "{\"schema_version\":1,\"status\":\"fini";
    put_file(path, dmg, strlen(dmg));
    char sj[700];
    snprintf(sj, sizeof sj, "%s/session.json", s->dir);
    size_t n0;
    char *v0 = slurp(sj, &n0);
    sess_free(s);

    CHECK_OK(sess_open(&s, dir, 0, err, sizeof err), err);
    if (!s) return;
    CHECK(strstr(s->warnings, "runs/gone") && strstr(s->warnings, "missing"), "missing run named: %s", s->warnings);
    CHECK(!strstr(s->warnings, "broken"), "run.json is read when the run is, not at open: %s", s->warnings);
    CHECK(v0 && same_bytes(sj, v0, n0), "opening writes nothing");
    sess_run *a = sess_run_find(s, "a"), *g = sess_run_find(s, "gone"), *k = sess_run_find(s, "broken");
    CHECK(strstr(s->warnings, "broken/run.json") && strstr(s->warnings, "not valid JSON"), "damaged run.json named: %s",
          s->warnings);
    CHECK(s->n_runs == 3 && a && !a->problem && g && g->problem && k && k->problem, "all three listed, two flagged");
    CHECK(s->n_history == 1, "the rest of the session opens");
    CHECK(g && sess_run_resume(s, g, err, sizeof err) == BB_EINVAL && strstr(err, "gone"), "flagged run refused");
    CHECK(k && sess_run_finish(s, k, SESS_RUN_STOPPED, NULL, NULL, err, sizeof err) == BB_EINVAL, "damaged refused");
    CHECK(sess_run_create(s, "gone", NULL, NULL, &r, err, sizeof err) == BB_EINVAL, "its name stays taken");
    CHECK_OK(sess_save(s, err, sizeof err), err);
    CHECK(same_bytes(path, dmg, strlen(dmg)), "damaged run.json byte-identical");
    char *v1 = slurp(sj, NULL);
    CHECK(v1 && strstr(v1, "\"gone\"") && strstr(v1, "\"broken\""), "save keeps the flagged runs listed");
    free(v1);
    free(v0);
    sess_free(s);
}

/* kill -9 a child appending metrics (fflush per line, fdatasync every 50 ms); each append it reports
 * through a pipe must be in metrics.jsonl afterwards, in order, with no damaged line. */
static void test_crash(void) {
    char err[512] = "", dir[600], mp[800];
    snprintf(dir, sizeof dir, "%s/crash", root);
    sess_session *s;
    CHECK_OK(sess_new(&s, dir, err, sizeof err), err);
    if (!s) return;
    sess_free(s);
    int fds[2];
    if (pipe(fds) != 0) return;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        sess_session *c;
        sess_run *r;
        run_metrics *m;
        cJSON *cfg = cJSON_Parse("{\"task\":\"mlm\"}");
        if (sess_open(&c, dir, 0, err, sizeof err) || sess_run_create(c, "live", cfg, NULL, &r, err, sizeof err) ||
            sess_run_file(c, r, "metrics.jsonl", mp, sizeof mp) || run_metrics_open(&m, mp, 50, err, sizeof err))
            _exit(2);
        for (long i = 0;; i++) {
            run_point p;
            run_point_init(&p);
            run_point_set(&p, RUN_M_STEP, (double)i);
            run_point_set(&p, RUN_M_LOSS, 10.0 / (double)(i + 1));
            run_point_set(&p, RUN_M_LR, 1e-4);
            run_point_set(&p, RUN_M_ELAPSED_S, 0.01 * (double)i);
            if (run_metrics_append(m, &p, err, sizeof err) != BB_OK) _exit(3);
            if (write(fds[1], &i, sizeof i) != sizeof i) _exit(4);
        }
    }
    close(fds[1]);
    long acked = -1, v;
    while (acked < 400 && read(fds[0], &v, sizeof v) == sizeof v) acked = v;
    kill(pid, SIGKILL);
    int st;
    waitpid(pid, &st, 0);
    while (read(fds[0], &v, sizeof v) == sizeof v) acked = v; /* appends acknowledged before the kill */
    close(fds[0]);
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL && acked >= 400, "child killed after %ld appends", acked + 1);

    CHECK_OK(sess_open(&s, dir, 0, err, sizeof err), err);
    sess_run *r = s ? sess_run_find(s, "live") : NULL;
    CHECK(r && r->status == SESS_RUN_INTERRUPTED, "killed run reopens as interrupted");
    if (!r) {
        sess_free(s);
        return;
    }
    sess_run_file(s, r, "metrics.jsonl", mp, sizeof mp);
    run_metrics_table ser;
    CHECK_OK(run_metrics_read(&ser, mp, err, sizeof err), err);
    const double *step = run_metrics_col(&ser, RUN_M_STEP), *loss = run_metrics_col(&ser, RUN_M_LOSS);
    /* A line the kill caught half-written (the kernel stops a write at a page boundary for SIGKILL) is
     * the torn tail; it was never acknowledged. */
    CHECK(ser.n >= acked + 1 && ser.bad_lines == 0, "%ld lines for %ld acknowledged, %ld bad", ser.n, acked + 1,
          ser.bad_lines);
    int torn = ser.torn_tail;
    int in_order = step && loss;
    for (long i = 0; in_order && i < ser.n; i++)
        in_order = step[i] == (double)i && fabs(loss[i] * (double)(i + 1) / 10.0 - 1) < 1e-5; /* %.6g */
    CHECK(in_order, "every line there, in order");
    long before = ser.n;
    run_metrics_table_free(&ser);

    /* Resume appends to the same file. */
    run_metrics *m;
    CHECK_OK(sess_run_resume(s, r, err, sizeof err), err);
    CHECK_OK(run_metrics_open(&m, mp, 0, err, sizeof err), err);
    if (m) {
        run_point p;
        run_point_init(&p);
        run_point_set(&p, RUN_M_STEP, (double)before);
        run_point_set(&p, RUN_M_LOSS, 0.5);
        CHECK_OK(run_metrics_append(m, &p, err, sizeof err), err);
        CHECK_OK(run_metrics_close(m, err, sizeof err), err);
    }
    CHECK_OK(sess_run_finish(s, r, SESS_RUN_FINISHED, NULL, NULL, err, sizeof err), err);
    CHECK_OK(run_metrics_read(&ser, mp, err, sizeof err), err);
    step = run_metrics_col(&ser, RUN_M_STEP);
    CHECK(ser.n == before + 1 && step && step[before] == (double)before && ser.bad_lines == torn, "resumed line appended");
    run_metrics_table_free(&ser);
    sess_free(s);
}

int main(void) {
    make_tmpdir(root, sizeof root, "runs");
    test_run_lifecycle();
    test_interrupted();
    test_missing_and_damaged();
    test_crash();
    rm_rf(root);
    return check_done();
}
