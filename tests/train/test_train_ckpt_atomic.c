/* Checkpoints are complete or absent. A run killed with SIGKILL while a checkpoint is being written
 * (the test waits until the temporary directory exists, then kills) leaves only complete
 * checkpoint-N/ directories; the next start removes the temporary and resumes from the newest one.
 * A file-size limit (a full disk) at the optimizer state fails the save with "no space" and leaves no
 * checkpoint-N/ and no temporary behind. No sleeps: the test polls for states with a deadline. */
#include <dirent.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bb_err.h"
#include "check.h"
#include "ckpt_dir.h"
#include "train_fixture.h"
#include "trainer.h"

static char err[512];
static char dir[256], data[600], cfg[600];

static train_options options(const char *out) {
    train_options o = train_options_default();
    o.task = TRAIN_TASK_MLM;
    o.config_path = cfg;
    o.tokenizer_dir = dir;
    o.data_path = data;
    o.out_dir = out;
    o.block_size = 16;
    o.batch_size = 2;
    o.adam.lr = 1e-3f;
    o.threads = 1;
    return o;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Counts entries of run whose name contains part (starts with it when part is "checkpoint-"). */
static int count_named(const char *run, const char *part) {
    DIR *d = opendir(run);
    if (!d) return 0;
    int n = 0, prefix = !strcmp(part, "checkpoint-");
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *at = strstr(e->d_name, part);
        n += at && (!prefix || at == e->d_name);
    }
    closedir(d);
    return n;
}

/* Every checkpoint-N directory in run is complete; returns how many there are. */
static int all_complete(const char *run) {
    DIR *d = opendir(run);
    if (!d) return 0;
    int n = 0;
    struct dirent *e;
    char path[1200];
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, "checkpoint-", 11) != 0) continue;
        snprintf(path, sizeof path, "%s/%s", run, e->d_name);
        CHECK(trainer_ckpt_complete(path), "%s is incomplete", path);
        n++;
    }
    closedir(d);
    return n;
}

static void test_kill(void) {
    int caught = 0, trials = 6;
    for (int trial = 0; trial < trials; trial++) {
        char run[700];
        snprintf(run, sizeof run, "%s/killed-%d", dir, trial);
        pid_t pid = fork();
        if (pid == 0) {
            train_options o = options(run);
            o.max_steps = 100000;
            o.save_every = 1;
            trainer *t = NULL;
            if (trainer_create(&t, &o, err, sizeof err) != BB_OK) _exit(3);
            trainer_run(t, err, sizeof err);
            _exit(4);
        }
        /* wait until the trial+1-th checkpoint is being written: its temporary directory exists */
        int saw = 0;
        for (double end = now() + 120; now() < end && !saw;)
            saw = count_named(run, ".partial-") > 0 && count_named(run, "checkpoint-") >= trial + 1;
        kill(pid, SIGKILL);
        int status = 0;
        waitpid(pid, &status, 0);
        CHECK(saw, "trial %d: no checkpoint was being written within the deadline", trial);
        CHECK(WIFSIGNALED(status), "trial %d: the run ended on its own (status %d)", trial, status);
        caught += count_named(run, ".partial-") > 0;
        int n = all_complete(run);
        CHECK(n >= 1, "trial %d: no checkpoint", trial);
        /* the next start cleans up and resumes from the newest complete checkpoint */
        char latest[1200];
        CHECK_OK(trainer_ckpt_latest(run, latest, sizeof latest, err, sizeof err), err);
        train_options o = options(run);
        o.config_path = NULL;
        o.resume_dir = run;
        o.max_steps = 100000;
        trainer *t = NULL;
        CHECK_OK(trainer_create(&t, &o, err, sizeof err), err);
        if (t) {
            train_status st;
            trainer_status(t, &st);
            const char *num = strrchr(latest, '-') + 1;
            CHECK(st.step == atol(num), "trial %d: resumed at %ld, newest is %s", trial, st.step, latest);
        }
        trainer_free(t);
        CHECK(count_named(run, ".partial-") == 0 && count_named(run, ".tmp.") == 0,
              "trial %d: temporaries left after the restart", trial);
    }
    printf("kill -9: %d of %d kills landed while a temporary existed; every checkpoint-N was complete\n", caught,
           trials);
}

/* Fork a run under a file-size limit that the model fits and the optimizer state does not. */
static void test_full_disk(void) {
    char run[700];
    snprintf(run, sizeof run, "%s/full", dir);
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGXFSZ, SIG_IGN);
        train_options o = options(run);
        o.max_steps = 4;
        o.save_every = 2;
        trainer *t = NULL;
        if (trainer_create(&t, &o, err, sizeof err) != BB_OK) _exit(3);
        size_t model = trainer_model_unsafe(t)->num_params * sizeof(float);
        struct rlimit rl = {.rlim_cur = model + model / 2, .rlim_max = model + model / 2};
        if (setrlimit(RLIMIT_FSIZE, &rl) != 0) _exit(5);
        int rc = trainer_run(t, err, sizeof err);
        fprintf(stderr, "run under a %zu-byte file limit: %s\n", (size_t)rl.rlim_cur, err);
        trainer_free(t);
        _exit(rc == BB_ENOSPC && strstr(err, "optimizer.safetensors") ? 0 : 6);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the full-disk run did not fail with no space (status %d)",
          status);
    CHECK(count_named(run, "checkpoint-") == 0, "a checkpoint directory was left behind");
    CHECK(count_named(run, ".partial-") == 0 && count_named(run, ".tmp.") == 0, "temporaries left behind");
}

/* Saving the same step twice replaces the older copy as a whole. */
static void test_replace(void) {
    char run[700], path[1200];
    snprintf(run, sizeof run, "%s/replace", dir);
    CHECK(mkdir(run, 0777) == 0, "mkdir");
    snprintf(path, sizeof path, "%s/checkpoint-3", run);
    trainer_ckpt c;
    for (int round = 0; round < 2; round++) {
        CHECK_OK(trainer_ckpt_begin(&c, path, err, sizeof err), err);
        char f[1500];
        snprintf(f, sizeof f, "%s/%s", c.tmp, round ? "second" : "first");
        fx_write(f, "x");
        CHECK_OK(trainer_ckpt_commit(&c, err, sizeof err), err);
    }
    char first[1300], second[1300];
    snprintf(first, sizeof first, "%s/first", path);
    snprintf(second, sizeof second, "%s/second", path);
    CHECK(access(second, F_OK) == 0 && access(first, F_OK) != 0, "the second save replaced the first as a whole");
    CHECK(count_named(run, ".partial-") == 0, "no temporary left");
}

int main(void) {
    fx_model_dir(dir, sizeof dir, 0.0f);
    snprintf(data, sizeof data, "%s/corpus.txt", dir);
    snprintf(cfg, sizeof cfg, "%s/config.json", dir);
    fx_write(data, "the cat sat on the mat .\nthe dog ran to a big red house .\n"
                   "alice lives in paris and bob lives in london .\na small blue tree .\n");
    test_replace();
    test_full_disk();
    test_kill();
    fx_cleanup(dir);
    return check_done();
}
