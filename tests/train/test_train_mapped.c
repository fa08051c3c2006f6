/* Training from a checkpoint leaves it as it was: the trainer loads through the mapping
 * (bert_load_mapped) and copies the weights into the flat buffer it trains (bert_own_params), so the
 * steps change the trainer's parameters and never the file (compared byte for byte before and after),
 * and a model the workbench holds mapped meanwhile keeps computing the same outputs. */
#include <unistd.h>

#include "bb_err.h"
#include "check.h"
#include "infer.h"
#include "trainer.h"

static char err[1024];

static void copy_file(const char *from, const char *to) {
    size_t n;
    unsigned char *b = check_slurp(from, &n);
    FILE *f = fopen(to, "wb");
    CHECK(b && f && fwrite(b, 1, n, f) == n && fclose(f) == 0, "copy %s to %s", from, to);
    free(b);
}

/* The top prediction's score for the text's mask. */
static float top_score(infer_ctx *cx) {
    infer_fill f;
    float s = -1;
    CHECK_OK(infer_fill_mask(cx, "the cat sat on the [MASK] .", 1, NULL, 0, &f, err, sizeof err), err);
    if (f.n_masks == 1 && f.masks[0].k == 1) s = f.masks[0].preds[0].score;
    infer_fill_free(&f);
    return s;
}

int main(void) {
    const char *fx = check_fixtures();
    char tmp[] = "/tmp/bb_train_mapped_XXXXXX", dir[1200], from[1200], to[1300], data[1300], out[1300], vocab[1200];
    CHECK(mkdtemp(tmp) != NULL, "mkdtemp");
    snprintf(dir, sizeof dir, "%s/model", tmp);
    mkdir(dir, 0777);
    const char *files[] = {"config.json", "model.safetensors"};
    for (int i = 0; i < 2; i++) {
        snprintf(from, sizeof from, "%s/bert_tiny_a/%s", fx, files[i]);
        snprintf(to, sizeof to, "%s/%s", dir, files[i]);
        copy_file(from, to);
    }
    snprintf(to, sizeof to, "%s/model.safetensors", dir);
    snprintf(vocab, sizeof vocab, "%s/vocab/bert-base-uncased-vocab.txt", fx);
    snprintf(data, sizeof data, "%s/corpus.txt", tmp);
    snprintf(out, sizeof out, "%s/run", tmp);
    FILE *d = fopen(data, "w");
    CHECK(d != NULL, "write %s", data);
    if (d) {
        fputs("the cat sat on the mat .\nthe dog ran to a big red house .\nalice lives in paris .\n", d);
        fclose(d);
    }
    size_t n0;
    unsigned char *before = check_slurp(to, &n0);

    /* the model a workbench would hold while a run trains from the same directory */
    infer_ctx *cx = NULL;
    CHECK_OK(infer_open(&cx, dir, vocab, TOK_CASE_AUTO, err, sizeof err), err);
    CHECK(cx && bert_is_mapped(cx->model), "inference holds the checkpoint mapped");
    float score0 = cx ? top_score(cx) : 0;

    train_options o = train_options_default();
    o.task = TRAIN_TASK_MLM;
    o.model_dir = dir;
    o.tokenizer_dir = vocab;
    o.data_path = data;
    o.out_dir = out;
    o.block_size = 16;
    o.batch_size = 2;
    o.max_steps = 3;
    o.adam.lr = 1e-2f;
    o.threads = 1;
    trainer *t = NULL;
    CHECK_OK(trainer_create(&t, &o, err, sizeof err), err);
    if (t) {
        CHECK_OK(trainer_run(t, err, sizeof err), err);
        const bert_model *tm = trainer_model_unsafe(t);
        bert_model *orig = NULL;
        CHECK_OK(bert_load(&orig, dir, err, sizeof err), err);
        CHECK(tm && !bert_is_mapped(tm) && tm->params_memory, "the trainer trains a flat buffer of its own");
        CHECK(tm && orig && tm->num_params == orig->num_params &&
                  memcmp(tm->params_memory, orig->params_memory, orig->num_params * sizeof(float)) != 0,
              "three steps changed the trainer's parameters");
        bert_free(orig);
        trainer_free(t);
    }
    size_t n1;
    unsigned char *after = check_slurp(to, &n1);
    CHECK(before && after && n0 == n1 && memcmp(before, after, n0) == 0, "%s is byte for byte what it was", to);
    if (cx) CHECK(top_score(cx) == score0, "the mapped model computes what it did before the run");
    infer_close(cx);
    free(before);
    free(after);
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    CHECK(system(cmd) == 0, "%s", cmd);
    return check_done();
}
