/* End-to-end training on tiny models: MLM memorises a small text (loss near zero), a classifier
 * reaches 100% training accuracy on a separable toy set, token classification learns tags, a run
 * stopped at step k and resumed from its checkpoint ends with bit-identical parameters, and the
 * worker thread honours pause / resume / stop and publishes events and metrics.jsonl. */
#include <unistd.h>

#include "bb_err.h"
#include "check.h"
#include "st.h"
#include "train_fixture.h"
#include "trainer.h"

static char err[512];

static const char *corpus =
    "the cat sat on the mat .\n"
    "the dog ran to a big red house .\n"
    "alice lives in paris and bob lives in london .\n"
    "a small blue tree .\n";

static train_options mlm_options(const char *dir, const char *data, const char *out) {
    train_options o = train_options_default();
    o.task = TRAIN_TASK_MLM;
    o.config_path = NULL;
    o.tokenizer_dir = dir;
    o.data_path = data;
    o.out_dir = out;
    o.block_size = 16;
    o.batch_size = 4;
    o.adam.lr = 3e-3f;
    o.sched = TRAIN_SCHED_CONSTANT;
    o.threads = 1;
    return o;
}

/* Final loss averaged over the last n logged steps; counts metrics.jsonl lines. */
static double tail_loss(trainer *t, int n, int *steps) {
    train_event ev[256];
    double recent[64] = {0};
    int k, count = 0;
    while ((k = trainer_poll(t, ev, 256)) > 0)
        for (int i = 0; i < k; i++)
            if (ev[i].kind == TRAIN_EV_STEP) recent[count++ % 64] = ev[i].loss;
    double s = 0;
    int m = count < n ? count : n;
    for (int i = 0; i < m; i++) s += recent[(count - 1 - i) % 64];
    *steps = count;
    return m ? s / m : NAN;
}

static void test_memorise(const char *dir) {
    char data[600], cfg[600], out[600];
    snprintf(data, sizeof data, "%s/corpus.txt", dir);
    snprintf(cfg, sizeof cfg, "%s/config.json", dir);
    snprintf(out, sizeof out, "%s/mlm", dir);
    fx_write(data, corpus);
    train_options o = mlm_options(dir, data, out);
    o.config_path = cfg;
    o.max_steps = 400;
    o.eval_path = data;
    o.eval_every = 200;
    trainer *t = NULL;
    CHECK_OK(trainer_create(&t, &o, err, sizeof err), err);
    if (!t) return;
    CHECK_OK(trainer_run(t, err, sizeof err), err);
    int steps = 0;
    double loss = tail_loss(t, 20, &steps);
    train_status st;
    trainer_status(t, &st);
    printf("memorise: %d steps, mean loss of the last 20 %.4f, eval perplexity %.3f\n", steps, loss, st.eval_metric);
    CHECK(steps == 400, "logged %d steps", steps);
    CHECK(loss < 0.1, "MLM loss after 400 steps on a 4-line text: %.4f", loss);
    CHECK(st.eval_metric < 1.2f, "eval perplexity %.3f", st.eval_metric);
    trainer_free(t);
    /* the output directory is a Hugging Face model directory that loads back */
    bert_model *m = NULL;
    CHECK_OK(bert_load(&m, out, err, sizeof err), err);
    CHECK(m && m->has_mlm && m->cfg.vocab_size == FX_V, "reloaded model");
    bert_free(m);
    char path[700];
    snprintf(path, sizeof path, "%s/metrics.jsonl", out);
    FILE *f = fopen(path, "r");
    CHECK(f != NULL, "%s exists", path);
    int lines = 0, evals = 0;
    char line[1024];
    while (f && fgets(line, sizeof line, f)) {
        lines++;
        evals += strstr(line, "\"eval_perplexity\"") != NULL;
        if (lines == 1)
            CHECK(strstr(line, "\"step\":1,") && strstr(line, "\"lr\":") && strstr(line, "\"grad_norm\":") &&
                      strstr(line, "\"tokens_per_s\":") && strstr(line, "\"elapsed_s\":") && strstr(line, "\"epoch\":"),
                  "first metrics line: %s", line);
    }
    if (f) fclose(f);
    CHECK(lines == 402 && evals == 2, "metrics.jsonl: %d lines, %d evaluations", lines, evals);
}

static void test_classifier(const char *dir) {
    char data[600], cfg[600], out[600];
    snprintf(data, sizeof data, "%s/sent.jsonl", dir);
    snprintf(cfg, sizeof cfg, "%s/config.json", dir);
    snprintf(out, sizeof out, "%s/cls", dir);
    fx_write(data, "{\"text\": \"the movie was good\", \"label\": \"pos\"}\n"
                   "{\"text\": \"a really great film\", \"label\": \"pos\"}\n"
                   "{\"text\": \"the film is very good\", \"label\": \"pos\"}\n"
                   "{\"text\": \"great movie\", \"label\": \"pos\"}\n"
                   "{\"text\": \"the movie was bad\", \"label\": \"neg\"}\n"
                   "{\"text\": \"a really awful film\", \"label\": \"neg\"}\n"
                   "{\"text\": \"the film is very bad\", \"label\": \"neg\"}\n"
                   "{\"text\": \"awful movie\", \"label\": \"neg\"}\n");
    train_options o = mlm_options(dir, data, out);
    o.task = TRAIN_TASK_SEQCLS;
    o.config_path = cfg;
    o.eval_path = data;
    o.max_steps = 60;
    o.adam.lr = 2e-3f;
    trainer *t = NULL;
    CHECK_OK(trainer_create(&t, &o, err, sizeof err), err);
    if (!t) return;
    CHECK_OK(trainer_run(t, err, sizeof err), err);
    train_event ev;
    CHECK_OK(trainer_evaluate(t, &ev, err, sizeof err), err);
    printf("classifier: training accuracy %.3f, macro-F1 %.3f, eval loss %.4f\n", ev.eval_accuracy, ev.eval_f1,
           ev.eval_loss);
    CHECK(ev.eval_accuracy == 1.0f && ev.eval_f1 == 1.0f, "accuracy %.3f F1 %.3f", ev.eval_accuracy, ev.eval_f1);
    const bert_model *m = trainer_model_unsafe(t);
    CHECK(m->cfg.num_labels == 2 && m->cfg.id2label && !strcmp(m->cfg.id2label[0], "neg") &&
              !strcmp(m->cfg.id2label[1], "pos"),
          "label map neg, pos");
    trainer_free(t);
    char path[700];
    snprintf(path, sizeof path, "%s/config.json", out);
    FILE *f = fopen(path, "r");
    char buf[4096] = "";
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    buf[n] = 0;
    if (f) fclose(f);
    CHECK(strstr(buf, "\"id2label\"") && strstr(buf, "\"label2id\"") && strstr(buf, "BertForSequenceClassification"),
          "config.json keeps the label map: %s", buf);
}

static void test_tokcls(const char *dir) {
    char data[600], cfg[600], out[600];
    snprintf(data, sizeof data, "%s/ner.conll", dir);
    snprintf(cfg, sizeof cfg, "%s/config.json", dir);
    snprintf(out, sizeof out, "%s/ner", dir);
    fx_write(data, "-DOCSTART- O\n\nalice B-PER\nlives O\nin O\nparis B-LOC\n\nbob B-PER\nlives O\nin O\n"
                   "london B-LOC\n\nthe O\ncats O\nsat O\n\nalice B-PER\nand O\nbob B-PER\n");
    train_options o = mlm_options(dir, data, out);
    o.task = TRAIN_TASK_TOKCLS;
    o.config_path = cfg;
    o.eval_path = data;
    o.max_steps = 60;
    o.adam.lr = 3e-3f;
    trainer *t = NULL;
    CHECK_OK(trainer_create(&t, &o, err, sizeof err), err);
    if (!t) return;
    CHECK_OK(trainer_run(t, err, sizeof err), err);
    train_event ev;
    CHECK_OK(trainer_evaluate(t, &ev, err, sizeof err), err);
    printf("tokcls: token accuracy %.3f, macro-F1 %.3f\n", ev.eval_accuracy, ev.eval_f1);
    CHECK(ev.eval_accuracy == 1.0f, "token accuracy %.3f", ev.eval_accuracy);
    CHECK(trainer_model_unsafe(t)->cfg.num_labels == 3, "three tags");
    trainer_free(t);
}

static float *load_params(const char *dir, size_t *n) {
    bert_model *m = NULL;
    CHECK_OK(bert_load(&m, dir, err, sizeof err), err);
    if (!m) return NULL;
    float *p = malloc(sizeof(float) * m->num_params);
    memcpy(p, m->params_memory, sizeof(float) * m->num_params);
    *n = m->num_params;
    bert_free(m);
    return p;
}

static void test_resume(const char *dir) {
    char data[600], cfg[600], outa[600], outb[600], ck[700];
    snprintf(data, sizeof data, "%s/corpus.txt", dir);
    snprintf(cfg, sizeof cfg, "%s/config.json", dir);
    snprintf(outa, sizeof outa, "%s/full", dir);
    snprintf(outb, sizeof outb, "%s/resumed", dir);
    fx_write(data, corpus);
    /* dropout on (the config has 0.1), warmup + linear decay, accumulation and clipping: everything a
     * resume must restore */
    train_options o = mlm_options(dir, data, outa);
    o.config_path = cfg;
    o.max_steps = 10;
    o.batch_size = 2;
    o.grad_accum = 2;
    o.warmup_steps = 3;
    o.sched = TRAIN_SCHED_LINEAR;
    o.max_grad_norm = 0.5f;
    o.adam.weight_decay = 0.01f;
    o.save_every = 4;
    trainer *t = NULL;
    CHECK_OK(trainer_create(&t, &o, err, sizeof err), err);
    if (!t) return;
    CHECK_OK(trainer_run(t, err, sizeof err), err);
    trainer_free(t);

    snprintf(ck, sizeof ck, "%s/checkpoint-4", outa);
    train_options r = o;
    r.out_dir = outb;
    r.resume_dir = ck;
    CHECK_OK(trainer_create(&t, &r, err, sizeof err), err);
    if (!t) return;
    train_status st;
    trainer_status(t, &st);
    CHECK(st.step == 4, "resumed at step %ld", st.step);
    CHECK_OK(trainer_run(t, err, sizeof err), err);
    trainer_free(t);
    size_t na = 0, nb = 0;
    float *pa = load_params(outa, &na), *pb = load_params(outb, &nb);
    CHECK(pa && pb && na == nb, "both runs saved %zu / %zu parameters", na, nb);
    if (pa && pb && na == nb) {
        size_t diff = 0;
        for (size_t i = 0; i < na; i++) diff += memcmp(&pa[i], &pb[i], sizeof(float)) != 0;
        printf("resume: %zu of %zu parameters differ from the uninterrupted run\n", diff, na);
        CHECK(diff == 0, "%zu parameters differ after resume", diff);
        /* and the run did change them */
        size_t n0 = 0;
        float *p0 = NULL;
        snprintf(ck, sizeof ck, "%s/checkpoint-4", outa);
        p0 = load_params(ck, &n0);
        size_t moved = 0;
        for (size_t i = 0; p0 && i < na; i++) moved += p0[i] != pa[i];
        CHECK(moved > na / 2, "steps 5-10 changed %zu parameters", moved);
        free(p0);
    }
    free(pa), free(pb);
}

static void test_thread(const char *dir) {
    char data[600], cfg[600], out[600];
    snprintf(data, sizeof data, "%s/corpus.txt", dir);
    snprintf(cfg, sizeof cfg, "%s/config.json", dir);
    snprintf(out, sizeof out, "%s/thread", dir);
    train_options o = mlm_options(dir, data, out);
    o.config_path = cfg;
    o.max_steps = 1000000; /* stopped long before */
    trainer *t = NULL;
    CHECK_OK(trainer_create(&t, &o, err, sizeof err), err);
    if (!t) return;
    CHECK_OK(trainer_start(t, err, sizeof err), err);
    train_status st;
    for (int i = 0; i < 2000; i++) { /* wait for a few steps */
        trainer_status(t, &st);
        if (st.step >= 5) break;
        usleep(1000);
    }
    CHECK(st.step >= 5, "worker made progress (%ld steps)", st.step);
    /* a copy while the worker trains: taken between steps, at a step the run has reached */
    bert_model *live = NULL;
    long live_step = -1;
    CHECK_OK(trainer_copy_model(t, &live, &live_step, err, sizeof err), err);
    CHECK(live && live_step >= st.step, "copy while training at step %ld (status said %ld)", live_step, st.step);
    trainer_pause(t);
    int paused = 0;
    for (int i = 0; i < 2000 && !paused; i++) {
        trainer_status(t, &st);
        paused = st.paused;
        usleep(1000);
    }
    CHECK(paused, "paused");
    long at = st.step;
    usleep(50000);
    trainer_status(t, &st);
    CHECK(st.step == at, "no steps while paused (%ld -> %ld)", at, st.step);
    trainer_save_now(t);
    trainer_resume(t);
    usleep(20000);
    trainer_stop(t);
    CHECK_OK(trainer_wait(t, err, sizeof err), err);
    trainer_status(t, &st);
    CHECK(st.finished && st.rc == 0 && !st.running, "finished cleanly");
    /* after the worker ended: the final weights and step, in memory of its own */
    bert_model *fin_m = NULL;
    long fin_step = -1;
    CHECK_OK(trainer_copy_model(t, &fin_m, &fin_step, err, sizeof err), err);
    const bert_model *tm = trainer_model_unsafe(t);
    CHECK(fin_m && fin_step == st.step && fin_m->num_params == tm->num_params &&
              fin_m->params_memory != tm->params_memory &&
              memcmp(fin_m->params_memory, tm->params_memory, sizeof(float) * tm->num_params) == 0 &&
              fin_m->params.wte == fin_m->params_memory,
          "final copy: step %ld of %ld, same weights, own buffer", fin_step, st.step);
    CHECK(live && live_step <= fin_step &&
              (live_step == fin_step || memcmp(live->params_memory, tm->params_memory, sizeof(float) * tm->num_params)),
          "the copy taken during the run kept the weights of step %ld (final %ld)", live_step, fin_step);
    bert_free(live);
    bert_free(fin_m);
    CHECK(strcmp(trainer_tokenizer_dir(t), dir) == 0, "tokenizer dir %s", trainer_tokenizer_dir(t));
    train_event ev[1024];
    int n = trainer_poll(t, ev, 1024), steps = 0, pauses = 0, resumes = 0, cks = 0, fin = 0;
    for (int i = 0; i < n; i++) {
        steps += ev[i].kind == TRAIN_EV_STEP;
        pauses += ev[i].kind == TRAIN_EV_PAUSED;
        resumes += ev[i].kind == TRAIN_EV_RESUMED;
        cks += ev[i].kind == TRAIN_EV_CHECKPOINT;
        fin += ev[i].kind == TRAIN_EV_FINISHED && !strcmp(ev[i].msg, "stopped");
    }
    printf("thread: %ld steps, events: %d step, %d paused, %d resumed, %d checkpoints, %d finished\n", st.step, steps,
           pauses, resumes, cks, fin);
    CHECK(pauses == 1 && resumes == 1 && cks == 2 && fin == 1 && steps >= 5, "event kinds");
    char path[800];
    snprintf(path, sizeof path, "%s/checkpoint-%ld/trainer_state.json", out, st.step);
    CHECK(access(path, R_OK) == 0, "stop leaves a resumable checkpoint %s", path);
    trainer_free(t);
}

/* --position-init sinusoidal: a model made from the config starts with sinusoidal position rows. */
static void test_position_init(const char *dir) {
    char data[600], cfg[600], out[600];
    snprintf(data, sizeof data, "%s/corpus.txt", dir);
    snprintf(cfg, sizeof cfg, "%s/config.json", dir);
    snprintf(out, sizeof out, "%s/runs/posinit", dir); /* runs/ does not exist: made as mkdir -p would */
    fx_write(data, corpus);
    train_options o = mlm_options(dir, data, out);
    o.config_path = cfg;
    o.position_init = 1;
    o.max_steps = 1;
    trainer *t = NULL;
    CHECK_OK(trainer_create(&t, &o, err, sizeof err), err);
    if (!t) return;
    struct stat sb;
    CHECK(stat(out, &sb) == 0 && S_ISDIR(sb.st_mode), "%s created with its parent", out);
    const bert_model *m = trainer_model_unsafe(t);
    int H = m->cfg.hidden_size;
    float s = m->cfg.initializer_range * sqrtf(2.0f);
    CHECK(m->params.wpe[0] == 0.0f && fabsf(m->params.wpe[1] - s) < 1e-7f, "row 0 is (0, s, ...): %g %g",
          m->params.wpe[0], m->params.wpe[1]);
    CHECK(fabsf(m->params.wpe[3 * H] - s * sinf(3.0f)) < 1e-6f, "row 3 column 0 is s*sin(3): %g", m->params.wpe[3 * H]);
    trainer_free(t);
}

int main(void) {
    char dir[256];
    fx_model_dir(dir, sizeof dir, 0.0f);
    test_memorise(dir);
    test_position_init(dir);
    test_classifier(dir);
    test_tokcls(dir);
    test_thread(dir);
    fx_cleanup(dir);
    fx_model_dir(dir, sizeof dir, 0.1f);
    test_resume(dir);
    fx_cleanup(dir);
    return check_done();
}
