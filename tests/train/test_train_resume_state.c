/* Resuming validates the checkpoint before using it: every field of trainer_state.json (a negative
 * batch_in_epoch once overflowed data_batch_fill; global_step -5 trained with a negative learning
 * rate, 1e300 overflowed) and the optimizer moments are checked against the run, and each bad one
 * is refused with a message naming the file and the field. A trainer_state.json with extra fields
 * past 8 KB still loads; a run directory resumes from its newest complete checkpoint. */
#include <math.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "bb_err.h"
#include "check.h"
#include "st.h"
#include "train_fixture.h"
#include "trainer.h"

static char err[512];
static char dir[256], data[600], run[600], ck[700];

static train_options options(void) {
    train_options o = train_options_default();
    o.task = TRAIN_TASK_MLM;
    o.tokenizer_dir = dir;
    o.data_path = data;
    o.out_dir = run;
    o.block_size = 16;
    o.batch_size = 2;
    o.grad_accum = 2;
    o.max_steps = 6;
    o.save_every = 2;
    o.adam.lr = 1e-3f;
    o.threads = 1;
    return o;
}

static cJSON *read_json(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    return cJSON_Parse(buf);
}

/* A copy of checkpoint-4 as DIR/bad with one field of trainer_state.json replaced (raw JSON value,
 * NULL: removed); returns the copy's path. */
static const char *tampered(const char *key, const char *raw) {
    static char bad[700];
    char cmd[2400], path[800];
    snprintf(bad, sizeof bad, "%s/bad", dir);
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && cp -r '%s' '%s'", bad, ck, bad);
    if (system(cmd) != 0) exit(1);
    snprintf(path, sizeof path, "%s/trainer_state.json", bad);
    cJSON *o = read_json(path);
    if (!o) exit(1);
    cJSON_DeleteItemFromObjectCaseSensitive(o, key);
    if (raw) cJSON_AddItemToObject(o, key, cJSON_Parse(raw));
    char *text = cJSON_Print(o);
    fx_write(path, text);
    free(text);
    cJSON_Delete(o);
    return bad;
}

/* Resuming from dir_ must fail with a message containing both want1 and want2. */
static void refused(const char *what, const char *from, const char *want1, const char *want2) {
    train_options o = options();
    char out[700];
    snprintf(out, sizeof out, "%s/resumed", dir);
    o.out_dir = out;
    o.resume_dir = from;
    trainer *t = NULL;
    err[0] = 0;
    int rc = trainer_create(&t, &o, err, sizeof err);
    CHECK(rc != BB_OK && t == NULL, "%s: resume accepted", what);
    CHECK(strstr(err, want1) && strstr(err, want2), "%s: message '%s' lacks '%s' / '%s'", what, err, want1, want2);
    printf("%-28s -> %s\n", what, err);
    trainer_free(t);
}

static void test_fields(void) {
    refused("batch_in_epoch -1", tampered("batch_in_epoch", "-1"), "trainer_state.json", "\"batch_in_epoch\"");
    refused("batch_in_epoch -100000", tampered("batch_in_epoch", "-100000"), "trainer_state.json", "batch_in_epoch");
    refused("batch_in_epoch 1.5", tampered("batch_in_epoch", "1.5"), "batch_in_epoch", "whole number");
    refused("batch_in_epoch 99", tampered("batch_in_epoch", "99"), "batch_in_epoch", "outside");
    refused("global_step -5", tampered("global_step", "-5"), "\"global_step\"", "outside");
    refused("global_step 1e300", tampered("global_step", "1e300"), "\"global_step\"", "outside");
    refused("global_step past the run", tampered("global_step", "600"), "\"global_step\" 600", "past");
    refused("global_step missing", tampered("global_step", NULL), "\"global_step\"", "missing");
    refused("global_step a string", tampered("global_step", "\"4\""), "\"global_step\"", "number");
    refused("epoch 1e300", tampered("epoch", "1e300"), "\"epoch\"", "outside");
    refused("epoch -1", tampered("epoch", "-1"), "\"epoch\"", "outside");
    refused("epoch/batch mismatch", tampered("epoch", "0"), "do not match \"global_step\" 4", "batch");
    refused("optimizer_steps", tampered("optimizer_steps", "3"), "\"optimizer_steps\" 3", "global_step");
    refused("num_params", tampered("num_params", "7"), "\"num_params\" is 7", "model has");
    refused("task", tampered("task", "\"seqcls\""), "\"task\"", "this run is mlm");
    refused("elapsed_s", tampered("elapsed_s", "-3"), "\"elapsed_s\"", ">= 0");
    refused("best_eval_loss", tampered("best_eval_loss", "\"low\""), "\"best_eval_loss\"", "finite");
    refused("rng short", tampered("rng", "[\"1\",\"2\"]"), "\"rng\"", "4 hex");
    refused("rng not hex", tampered("rng", "[\"1\",\"2\",\"zz\",\"4\"]"), "\"rng\"[2]", "hex");
    refused("rng zero", tampered("dropout_rng", "[\"0\",\"0\",\"0\",\"0\"]"), "\"dropout_rng\"", "zeros");
}

/* A state file with a large extra field (over 8 KB) is fine; damaged JSON, a FIFO and bad Adam
 * moments are not. */
static void test_size_and_kind(void) {
    static char big[20001];
    memset(big, 'x', sizeof big - 1);
    big[0] = '"', big[sizeof big - 2] = '"', big[sizeof big - 1] = 0;
    const char *from = tampered("note", big);
    train_options o = options();
    char out[700], path[800];
    snprintf(out, sizeof out, "%s/resumed-big", dir);
    o.out_dir = out;
    o.resume_dir = from;
    trainer *t = NULL;
    CHECK_OK(trainer_create(&t, &o, err, sizeof err), err);
    if (t) {
        train_status st;
        trainer_status(t, &st);
        CHECK(st.step == 4, "a 20 KB trainer_state.json resumes at step 4 (%ld)", st.step);
    }
    trainer_free(t);

    from = tampered("note", NULL);
    snprintf(path, sizeof path, "%s/trainer_state.json", from);
    fx_write(path, "{\"global_step\": 4,");
    refused("truncated JSON", from, "trainer_state.json", "not a JSON object");
    unlink(path);
    CHECK(mkfifo(path, 0600) == 0, "mkfifo");
    refused("a FIFO as trainer_state.json", from, "trainer_state.json", "FIFO"); /* returns: no blocking open */

    for (int which = 0; which < 2; which++) {
        from = tampered("note", NULL);
        snprintf(path, sizeof path, "%s/optimizer.safetensors", from);
        st_file *f = NULL;
        CHECK_OK(st_open(&f, path, err, sizeof err), err);
        if (!f) return;
        const st_tensor *m = st_find(f, "exp_avg"), *v = st_find(f, "exp_avg_sq");
        size_t n = (size_t)m->numel;
        float *mm = malloc(n * sizeof *mm), *vv = malloc(n * sizeof *vv);
        st_read_f32(m, mm, m->numel, err, sizeof err);
        st_read_f32(v, vv, v->numel, err, sizeof err);
        st_close(f);
        if (which == 0)
            mm[n / 2] = NAN;
        else
            vv[7] = -1.0f;
        st_entry e[2] = {{.name = "exp_avg", .data = mm, .ndim = 1, .shape = {(int64_t)n}},
                         {.name = "exp_avg_sq", .data = vv, .ndim = 1, .shape = {(int64_t)n}}};
        CHECK_OK(st_write(path, e, 2, err, sizeof err), err);
        free(mm), free(vv);
        refused(which ? "exp_avg_sq negative" : "exp_avg NaN", from, "optimizer.safetensors", "Adam moment");
    }
}

/* --resume RUN_DIR takes the newest complete checkpoint; an incomplete newer one is passed over. */
static void test_run_dir(void) {
    char path[800];
    snprintf(path, sizeof path, "%s/checkpoint-9", run);
    CHECK(mkdir(path, 0777) == 0, "mkdir %s", path);
    snprintf(path, sizeof path, "%s/checkpoint-9/config.json", run);
    fx_write(path, "{}");
    train_options o = options();
    char out[700];
    snprintf(out, sizeof out, "%s/resumed-run", dir);
    o.out_dir = out;
    o.resume_dir = run;
    o.max_steps = 8;
    trainer *t = NULL;
    CHECK_OK(trainer_create(&t, &o, err, sizeof err), err);
    if (t) {
        train_status st;
        trainer_status(t, &st);
        CHECK(st.step == 6, "the run directory resumes from checkpoint-6 (step %ld)", st.step);
        CHECK_OK(trainer_run(t, err, sizeof err), err);
    }
    trainer_free(t);
    refused("a directory without checkpoints", dir, "not a complete checkpoint", dir);
}

int main(void) {
    fx_model_dir(dir, sizeof dir, 0.1f);
    snprintf(data, sizeof data, "%s/corpus.txt", dir);
    snprintf(run, sizeof run, "%s/run", dir);
    snprintf(ck, sizeof ck, "%s/checkpoint-4", run);
    char text[4096] = "";
    for (int i = 0; i < 5; i++)
        strcat(text, "the cat sat on the mat .\nthe dog ran to a big red house .\n"
                     "alice lives in paris and bob lives in london .\na small blue tree .\n");
    fx_write(data, text);
    char cfg[600];
    snprintf(cfg, sizeof cfg, "%s/config.json", dir);
    train_options o = options();
    o.config_path = cfg;
    trainer *t = NULL;
    CHECK_OK(trainer_create(&t, &o, err, sizeof err), err);
    if (t) CHECK_OK(trainer_run(t, err, sizeof err), err);
    trainer_free(t);
    /* the untouched copy resumes: the refusals below are about the fields */
    train_options r = options();
    char out[700];
    snprintf(out, sizeof out, "%s/resumed-ok", dir);
    r.out_dir = out;
    r.resume_dir = ck;
    CHECK_OK(trainer_create(&t, &r, err, sizeof err), err);
    trainer_free(t);
    test_fields();
    test_size_and_kind();
    test_run_dir();
    fx_cleanup(dir);
    return check_done();
}
