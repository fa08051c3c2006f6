/* sessions/follow.c on directories made here: a bertbench session (its most recently written run,
 * points as metrics.jsonl grows, a torn last line waited for, "finished" once run.json says so); an
 * empty directory that is "waiting" until an event file appears in a subdirectory (then
 * "tensorboard"); an HF output_dir without event files whose newest checkpoint moves on; the points
 * handed to the callback once each; bad arguments. */
#include "sess_test.h"

#include <math.h>
#include <sys/stat.h>
#include <time.h>

#include "bb_err.h"
#include "check.h"
#include "follow.h"
#include "session.h"
#include "tfevents.h"

typedef struct {
    int n;
    long last_step;
    char last_tag[64];
} seen;

static int count(void *user, const char *tag, long step, double wall, double value) {
    seen *s = user;
    s->n++;
    s->last_step = step;
    snprintf(s->last_tag, sizeof s->last_tag, "%s", tag);
    return 0;
}

static void append(const char *path, const char *text) {
    FILE *f = fopen(path, "a");
    if (f) fputs(text, f), fclose(f);
}

static const char *state_json(int step, int rows) {
    static char buf[4096];
    int o = snprintf(buf, sizeof buf, "{\"global_step\": %d, \"max_steps\": 30, \"logging_steps\": 10, \"log_history\": [",
                     step);
    for (int i = 1; i <= rows; i++)
        o += snprintf(buf + o, sizeof buf - (size_t)o, "%s{\"loss\": %g, \"learning_rate\": 1e-05, \"step\": %d}",
                      i > 1 ? ", " : "", 1.0 / i, i * 10);
    snprintf(buf + o, sizeof buf - (size_t)o, "]}");
    return buf;
}

int main(void) {
    char dir[512], err[1024], path[1024];
    make_tmpdir(dir, sizeof dir, "follow");

    /* ---- a bertbench session: the run written last ---- */
    char sd[600];
    snprintf(sd, sizeof sd, "%s/s.bbs", dir);
    sess_session *s;
    CHECK_OK(sess_new(&s, sd, err, sizeof err), err);
    sess_run *r1, *r2;
    CHECK_OK(sess_run_create(s, "old", NULL, NULL, &r1, err, sizeof err), err);
    sess_run_file(s, r1, "metrics.jsonl", path, sizeof path);
    put_file(path, "{\"step\":1,\"loss\":9}\n", strlen("{\"step\":1,\"loss\":9}\n"));
    struct timespec pause = {0, 20 * 1000 * 1000};
    nanosleep(&pause, NULL); /* a later mtime for the second run's file */
    CHECK_OK(sess_run_create(s, "new", NULL, NULL, &r2, err, sizeof err), err);
    char m2[1024];
    sess_run_file(s, r2, "metrics.jsonl", m2, sizeof m2);
    const char *two = "{\"step\":1,\"loss\":2.5,\"lr\":0.001}\n{\"step\":2,\"loss\":2.25}\n";
    put_file(m2, two, strlen(two));
    sess_follow *f;
    CHECK_OK(sess_follow_open(&f, sd, NULL, err, sizeof err), err);
    seen a = {0};
    CHECK(sess_follow_poll(f, count, &a, err, sizeof err) == 3, "three points: %s", err);
    CHECK(!strcmp(sess_follow_format(f), "bertbench-session"), "%s", sess_follow_format(f));
    const run_tag *t = run_series_find(sess_follow_series(f), "loss");
    CHECK(t && t->n == 2 && t->value[1] == 2.25, "the newest run's loss");
    CHECK(sess_follow_status_at(f, time(NULL), 600) == SESS_FOLLOW_RUNNING, "running while run.json says so");
    /* a torn line waits; completed, it arrives once */
    append(m2, "{\"step\":3,\"loss\":2.");
    CHECK(sess_follow_poll(f, count, &a, err, sizeof err) == 0, "torn line: nothing yet");
    append(m2, "0}\n");
    CHECK(sess_follow_poll(f, count, &a, err, sizeof err) == 1 && a.last_step == 3, "completed line");
    CHECK(sess_follow_poll(f, count, &a, err, sizeof err) == 0, "nothing new");
    const char *whole = "{\"step\":1,\"loss\":2.5,\"lr\":0.001}\n{\"step\":2,\"loss\":2.25}\n{\"step\":3,\"loss\":2.0}\n";
    CHECK(same_bytes(m2, whole, strlen(whole)), "the reader left the file as it was");
    CHECK_OK(sess_run_finish(s, r2, SESS_RUN_FINISHED, NULL, NULL, err, sizeof err), err);
    sess_follow_poll(f, NULL, NULL, err, sizeof err);
    CHECK(sess_follow_status_at(f, time(NULL), 600) == SESS_FOLLOW_FINISHED, "finished with run.json");
    CHECK(sess_follow_status_at(f, time(NULL) + 3600, 600) == SESS_FOLLOW_FINISHED, "finished is never stale");
    cJSON *meta = sess_follow_meta_dup(f, time(NULL));
    const cJSON *src = cJSON_GetObjectItemCaseSensitive(meta, "source");
    CHECK(cJSON_IsString(src) && !strcmp(src->valuestring, "metrics.jsonl"), "meta source");
    cJSON_Delete(meta);
    sess_follow_free(f);
    sess_free(s);

    /* ---- waiting, then TensorBoard logs in a subdirectory ---- */
    char tb[600], sub[700];
    snprintf(tb, sizeof tb, "%s/tb", dir);
    mkdir(tb, 0755);
    CHECK_OK(sess_follow_open(&f, tb, NULL, err, sizeof err), err);
    CHECK(sess_follow_poll(f, NULL, NULL, err, sizeof err) == 0, "empty");
    CHECK(sess_follow_status_at(f, time(NULL), 600) == SESS_FOLLOW_WAITING, "waiting");
    snprintf(sub, sizeof sub, "%s/run1", tb);
    mkdir(sub, 0755);
    tfev_writer *w;
    CHECK_OK(tfev_writer_open(&w, sub, err, sizeof err), err);
    const char *tags[2] = {"train/loss", "eval/accuracy"};
    float vals[2] = {0.5f, 0.75f};
    CHECK_OK(tfev_writer_scalars(w, 10, 1.7e9, tags, vals, 2, err, sizeof err), err);
    seen b = {0};
    CHECK(sess_follow_poll(f, count, &b, err, sizeof err) == 2, "two points: %s", err);
    CHECK(!strcmp(sess_follow_format(f), "tensorboard"), "%s", sess_follow_format(f));
    CHECK(sess_follow_status_at(f, time(NULL), 600) == SESS_FOLLOW_RUNNING, "running");
    CHECK(sess_follow_status_at(f, time(NULL) + 601, 600) == SESS_FOLLOW_STALE, "stale after 600 s");
    CHECK_OK(tfev_writer_scalars(w, 20, 1.7e9 + 1, tags, vals, 1, err, sizeof err), err);
    CHECK(sess_follow_poll(f, count, &b, err, sizeof err) == 1 && b.last_step == 20, "a point appended");
    tfev_writer_close(w, err, sizeof err);
    sess_follow_free(f);
    CHECK_OK(sess_follow_open(&f, tb, "bertbench", err, sizeof err), err);
    sess_follow_poll(f, NULL, NULL, err, sizeof err);
    CHECK(sess_follow_status_at(f, time(NULL), 600) == SESS_FOLLOW_WAITING, "forced bertbench: nothing");
    sess_follow_free(f);

    /* ---- HF without event files: the newest checkpoint, its log_history under TensorBoard's tags ---- */
    char hf[600], ck[700];
    snprintf(hf, sizeof hf, "%s/hf", dir);
    mkdir(hf, 0755);
    snprintf(ck, sizeof ck, "%s/checkpoint-10", hf);
    mkdir(ck, 0755);
    snprintf(path, sizeof path, "%s/trainer_state.json", ck);
    const char *js = state_json(10, 1);
    put_file(path, js, strlen(js));
    CHECK_OK(sess_follow_open(&f, hf, NULL, err, sizeof err), err);
    seen c = {0};
    CHECK(sess_follow_poll(f, count, &c, err, sizeof err) == 2, "loss and learning_rate at step 10: %s", err);
    CHECK(!strcmp(sess_follow_format(f), "hf-trainer") && sess_follow_max_steps(f) == 30, "hf");
    CHECK(run_series_find(sess_follow_series(f), "train/loss") != NULL, "log_history keys as HF's TB tags");
    snprintf(ck, sizeof ck, "%s/checkpoint-30", hf);
    mkdir(ck, 0755);
    snprintf(path, sizeof path, "%s/trainer_state.json", ck);
    js = state_json(30, 3);
    put_file(path, js, strlen(js));
    CHECK(sess_follow_poll(f, count, &c, err, sizeof err) == 4 && c.last_step == 30, "steps 20 and 30 once each");
    CHECK(sess_follow_status_at(f, time(NULL), 600) == SESS_FOLLOW_FINISHED, "global_step reached max_steps");
    t = run_series_find(sess_follow_series(f), "train/loss");
    CHECK(t && t->n == 3 && fabs(t->value[2] - 1.0 / 3) < 1e-6, "three losses");
    sess_follow_free(f);

    /* ---- bad arguments ---- */
    CHECK(sess_follow_open(&f, path, NULL, err, sizeof err) == BB_EINVAL && strstr(err, "not a directory"), "%s", err);
    CHECK(sess_follow_open(&f, hf, "wandb", err, sizeof err) == BB_EINVAL && strstr(err, "wandb"), "%s", err);
    snprintf(path, sizeof path, "%s/missing", dir);
    CHECK(sess_follow_open(&f, path, NULL, err, sizeof err) == BB_EIO && strstr(err, "missing"), "%s", err);
    rm_rf(dir);
    return check_done();
}
