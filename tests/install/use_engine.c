/* use_engine.c — another program using the installed libbertengine: built by tests/install from the
 * installed headers and `pkg-config --cflags --libs bertengine` only (never from the source tree).
 *
 *     use_engine MODEL_DIR WORK_DIR
 *
 * Finds no default model of its own (it is not bertbench: the message must say how to give one), then
 * with BERTBENCH_MODEL=MODEL_DIR tokenizes, fills a mask (a forward pass) and trains two MLM steps on
 * that model, checking each result. Exits non-zero on the first failure. */
#define _POSIX_C_SOURCE 200809L /* setenv, unsetenv under -std=c11 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <bertbench/bb_err.h>
#include <bertbench/bb_model_dir.h>
#include <bertbench/infer.h>
#include <bertbench/tok.h>
#include <bertbench/trainer.h>

static int failures;

#define EXPECT(cond, ...)                                                   \
    do {                                                                    \
        if (!(cond)) {                                                      \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);            \
            fprintf(stderr, __VA_ARGS__);                                   \
            fputc('\n', stderr);                                            \
            failures++;                                                     \
        }                                                                   \
    } while (0)

/* bb_model_default: an error that says how to give a model, then the environment's choice. */
static void check_default(const char *model) {
    char dir[4096], err[1024];
    unsetenv("BERTBENCH_MODEL");
    int st = bb_model_default(dir, sizeof dir, err, sizeof err);
    EXPECT(st != BB_OK && strstr(err, "--model DIR") && strstr(err, "BERTBENCH_MODEL"),
           "no default model: status %d, message '%s'", st, st == BB_OK ? dir : err);
    setenv("BERTBENCH_MODEL", model, 1);
    st = bb_model_default(dir, sizeof dir, err, sizeof err);
    EXPECT(st == BB_OK && strcmp(dir, model) == 0, "BERTBENCH_MODEL: status %d, '%s'", st, st == BB_OK ? dir : err);
}

/* The model's own tokenizer: "the cat sat." is [CLS] the cat sat . [SEP], ids from its vocabulary. */
static void check_tokenize(const char *model) {
    char err[1024];
    tok_tokenizer *tk = NULL;
    if (tok_load_dir(&tk, model, TOK_CASE_AUTO, err, sizeof err) != BB_OK) {
        EXPECT(0, "tok_load_dir %s: %s", model, err);
        return;
    }
    tok_options o = tok_options_default();
    tok_encoding *enc = tok_encoding_new();
    static const char *want[] = {"[CLS]", "the", "cat", "sat", ".", "[SEP]"};
    int st = enc ? tok_encode(tk, "The cat sat.", -1, NULL, -1, &o, enc, err, sizeof err) : BB_ENOMEM;
    EXPECT(st == BB_OK && enc->n == 6, "tok_encode: status %d, %d tokens (%s)", st, enc ? enc->n : 0, err);
    for (int i = 0; st == BB_OK && i < enc->n && i < 6; i++) {
        EXPECT(strcmp(enc->tokens[i], want[i]) == 0, "token %d: '%s', want '%s'", i, enc->tokens[i], want[i]);
        EXPECT(enc->ids[i] == tok_token_to_id(tk, want[i]) && enc->ids[i] >= 0, "id of '%s': %d", want[i],
               (int)enc->ids[i]);
    }
    tok_encoding_free(enc);
    tok_free(tk);
}

/* A forward pass through fill-mask: ten probabilities, best first, summing to at most 1, and the
 * bundled model's documented answer ("door") among them. */
static void check_fill_mask(const char *model) {
    char err[1024];
    infer_ctx *cx = NULL;
    if (infer_open(&cx, model, NULL, TOK_CASE_AUTO, err, sizeof err) != BB_OK) {
        EXPECT(0, "infer_open %s: %s", model, err);
        return;
    }
    infer_fill fm;
    int st = infer_fill_mask(cx, "she opened the [MASK].", 10, NULL, 0, &fm, err, sizeof err);
    EXPECT(st == BB_OK, "infer_fill_mask: %s", err);
    if (st == BB_OK) {
        EXPECT(fm.n_masks == 1 && fm.masks[0].k == 10, "%d masks, k %d", fm.n_masks, fm.n_masks ? fm.masks[0].k : 0);
        int door = 0;
        double sum = 0;
        for (int k = 0; fm.n_masks == 1 && k < fm.masks[0].k; k++) {
            const infer_pred *p = &fm.masks[0].preds[k];
            EXPECT(p->score > 0 && p->score <= 1 && (k == 0 || p->score <= fm.masks[0].preds[k - 1].score),
                   "prediction %d '%s' score %g", k, p->token_str, p->score);
            sum += p->score;
            door |= strcmp(p->token_str, "door") == 0;
        }
        EXPECT(sum <= 1.0001, "top-10 probabilities sum to %g", sum);
        EXPECT(door, "'door' is not in the top 10 of 'she opened the [MASK].'");
        infer_fill_free(&fm);
    }
    infer_close(cx);
}

/* Two MLM steps from the model on a few lines: finite losses and a saved model in the output. */
static void check_train(const char *model, const char *work) {
    char data[4200], out[4200], saved[4300], err[1024];
    snprintf(data, sizeof data, "%s/corpus.txt", work);
    snprintf(out, sizeof out, "%s/run", work);
    FILE *f = fopen(data, "w");
    if (!f) {
        EXPECT(0, "cannot write %s", data);
        return;
    }
    for (int i = 0; i < 16; i++) fprintf(f, "she opened the door and walked into the room number %d.\n", i);
    fclose(f);
    train_options o = train_options_default();
    o.task = TRAIN_TASK_MLM;
    o.model_dir = model;
    o.data_path = data;
    o.out_dir = out;
    o.max_steps = 2;
    o.batch_size = 2;
    o.block_size = 32;
    o.log_every = 1;
    trainer *t = NULL;
    int st = trainer_create(&t, &o, err, sizeof err);
    EXPECT(st == BB_OK, "trainer_create: %s", err);
    if (st != BB_OK) return;
    st = trainer_run(t, err, sizeof err);
    EXPECT(st == BB_OK, "trainer_run: %s", err);
    train_event ev[64];
    int n = trainer_poll(t, ev, 64), steps = 0;
    for (int i = 0; i < n; i++)
        if (ev[i].kind == TRAIN_EV_STEP) {
            steps++;
            EXPECT(isfinite(ev[i].loss) && ev[i].loss > 0, "step %ld loss %g", ev[i].step, ev[i].loss);
        }
    EXPECT(steps == 2, "%d step events, want 2", steps);
    trainer_free(t);
    struct stat sb;
    snprintf(saved, sizeof saved, "%s/model.safetensors", out);
    EXPECT(stat(saved, &sb) == 0 && sb.st_size > 0, "no %s after training", saved);
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: use_engine MODEL_DIR WORK_DIR\n");
        return 2;
    }
    check_default(argv[1]);
    check_tokenize(argv[1]);
    check_fill_mask(argv[1]);
    check_train(argv[1], argv[2]);
    if (failures) fprintf(stderr, "%d failures\n", failures);
    else printf("ok: tokenize, fill-mask and two training steps through the installed libbertengine\n");
    return failures ? 1 : 0;
}
