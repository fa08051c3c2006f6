/* The bb_work contract, checked on every engine function that takes one: a cancel set before the work
 * starts stops it with BB_ECANCEL and "cancelled" in err, and frees what it built (the ASan build's leak
 * check); a cancel set from a second thread while the work runs stops it the same way; uncancelled,
 * the progress it reports never falls within a phase and ends at done == total.
 *
 * The second thread cancels at a known point, not after a sleep: the work's first progress report
 * tells the canceller it is running and then waits until the cancel is visible, so the work must notice
 * it at its next check. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bb_rng.h"
#include "bb_work.h"
#include "bert.h"
#include "check.h"
#include "infer.h"
#include "tok.h"
#include "tok_unigram_train.h"
#include "trainer.h"

#define MODEL_DIR BB_SOURCE_DIR "/models/bert-brown-small"

/* ---- a progress recorder ------------------------------------------------------------------------ */

typedef struct {
    const char *phase; /* the last report's */
    long done, total;
    long calls, falls; /* reports; reports whose done fell below the previous in the same phase */
    /* the two-thread mode: the first report signals `started`, then waits for the cancel */
    int block_first;
    atomic_int started;
    bb_work *w;
} recorder;

static void record(void *user, const char *phase, long done, long total) {
    recorder *r = user;
    if (r->calls && r->phase == phase && done < r->done) r->falls++;
    r->phase = phase, r->done = done, r->total = total;
    if (r->calls++ == 0 && r->block_first) {
        atomic_store(&r->started, 1);
        /* a generous deadline: the canceller needs only to be scheduled once */
        for (int i = 0; i < 60000 && !bb_work_cancelled(r->w); i++) usleep(1000);
    }
}

static void recorder_init(recorder *r, bb_work *w, int block_first) {
    memset(r, 0, sizeof *r);
    r->block_first = block_first;
    r->w = w;
    bb_work_init(w, record, r);
}

static void *canceller(void *arg) {
    recorder *r = arg;
    for (int i = 0; i < 60000 && !atomic_load(&r->started); i++) usleep(1000);
    bb_work_cancel(r->w);
    return NULL;
}

/* The three runs of one taker: fn(w, 0) uncancelled, cancelled before, cancelled by a second thread. */
typedef int (*work_fn)(void *ctx, bb_work *w, char *err, size_t errlen);

static void check_taker(const char *name, work_fn fn, void *ctx, const char *phase) {
    char err[512] = "";
    bb_work w;
    recorder r;

    recorder_init(&r, &w, 0);
    CHECK_OK(fn(ctx, &w, err, sizeof err), err);
    CHECK(r.calls > 0 && r.falls == 0 && r.done == r.total && r.total > 0 && r.phase && strcmp(r.phase, phase) == 0,
          "%s: %ld reports, %ld falling, last %s %ld/%ld (want phase %s ending at total)", name, r.calls, r.falls,
          r.phase ? r.phase : "-", r.done, r.total, phase);

    recorder_init(&r, &w, 0);
    bb_work_cancel(&w);
    err[0] = 0;
    int rc = fn(ctx, &w, err, sizeof err);
    CHECK(rc == BB_ECANCEL && strstr(err, "cancelled"), "%s: cancelled before: %d (%s)", name, rc, err);

    recorder_init(&r, &w, 1);
    pthread_t th;
    CHECK(pthread_create(&th, NULL, canceller, &r) == 0, "%s: thread", name);
    err[0] = 0;
    rc = fn(ctx, &w, err, sizeof err);
    pthread_join(th, NULL);
    CHECK(atomic_load(&r.started) && rc == BB_ECANCEL && strstr(err, "cancelled"),
          "%s: cancelled by another thread while running: %d (%s)", name, rc, err);
}

/* ---- the takers --------------------------------------------------------------------------------- */

/* Deterministic words over a small alphabet: enough distinct pairs for hundreds of merges. */
static char **corpus(int n) {
    char **t = calloc((size_t)n, sizeof *t);
    bb_rng rng;
    bb_rng_seed(&rng, 7);
    for (int i = 0; i < n; i++) {
        t[i] = malloc(200);
        int k = 0;
        for (int w = 0; w < 12; w++) {
            int len = 2 + (int)(bb_rng_below(&rng, 7));
            for (int c = 0; c < len; c++) t[i][k++] = "etaoinshrdlucmfwyp"[bb_rng_below(&rng, 18)];
            t[i][k++] = ' ';
        }
        t[i][k - 1] = 0;
    }
    return t;
}

enum { N_TEXTS = 400 };

typedef struct {
    tok_tokenizer *tk;
    infer_ctx *cx;
    char **texts;
    char dir[64];
} fixture;

static int do_stats(void *ctx, bb_work *w, char *err, size_t errlen) {
    fixture *f = ctx;
    tok_stats st;
    return tok_stats_compute(f->tk, (const char *const *)f->texts, N_TEXTS, 32, &st, w, err, errlen);
}

static int do_attention(void *ctx, bb_work *w, char *err, size_t errlen) {
    fixture *f = ctx;
    infer_attn at;
    int rc = infer_attention(f->cx, f->texts[0], f->texts[1], &at, w, err, errlen);
    if (rc == BB_OK) infer_attn_free(&at);
    return rc;
}

static int do_ppl(void *ctx, bb_work *w, char *err, size_t errlen) {
    fixture *f = ctx;
    infer_ppl p;
    int rc = infer_pseudo_perplexity(f->cx, f->texts[2], 0, &p, w, err, errlen);
    if (rc == BB_OK) infer_ppl_free(&p);
    return rc;
}

static int do_load(void *ctx, bb_work *w, char *err, size_t errlen) {
    bert_model *m;
    int rc = bert_load_work(&m, MODEL_DIR, w, err, errlen);
    if (rc == BB_OK) bert_free(m);
    return rc;
}

static int do_load_mapped(void *ctx, bb_work *w, char *err, size_t errlen) {
    bert_model *m;
    int rc = bert_load_mapped_work(&m, MODEL_DIR, w, err, errlen);
    if (rc == BB_OK) bert_free(m);
    return rc;
}

static int do_train_tok(void *ctx, bb_work *w, char *err, size_t errlen) {
    fixture *f = ctx;
    tok_train_options o = tok_train_options_default(TOK_MODEL_WORDPIECE);
    o.vocab_size = 600;
    o.work = w;
    tok_trainer *tr;
    int rc = tok_trainer_new(&tr, &o, err, errlen);
    for (int i = 0; rc == BB_OK && i < N_TEXTS; i++) rc = tok_trainer_feed(tr, f->texts[i], -1, err, errlen);
    tok_tokenizer *tk = NULL;
    if (rc == BB_OK) rc = tok_trainer_finish(tr, &tk, err, errlen);
    tok_free(tk);
    tok_trainer_free(tr);
    return rc;
}

static int do_train_unigram(void *ctx, bb_work *w, char *err, size_t errlen) {
    fixture *f = ctx;
    tok_ug_options o = tok_ug_options_default();
    o.vocab_size = 300;
    o.work = w;
    tok_ug_trainer *tr;
    int rc = tok_ug_new(&tr, &o, err, errlen);
    for (int i = 0; rc == BB_OK && i < N_TEXTS; i++) rc = tok_ug_feed(tr, f->texts[i], -1, err, errlen);
    tok_ug_model m;
    memset(&m, 0, sizeof m);
    if (rc == BB_OK) rc = tok_ug_finish(tr, &m, err, errlen);
    tok_ug_model_free(&m);
    tok_ug_free(tr);
    return rc;
}

static int do_trainer(void *ctx, bb_work *w, char *err, size_t errlen) {
    fixture *f = ctx;
    char data[128], out[128];
    snprintf(data, sizeof data, "%s/corpus.txt", f->dir);
    snprintf(out, sizeof out, "%s/run", f->dir);
    train_options o = train_options_default();
    o.task = TRAIN_TASK_MLM;
    o.model_dir = MODEL_DIR;
    o.data_path = data;
    o.out_dir = out;
    o.max_steps = 1;
    o.batch_size = 2;
    o.block_size = 32;
    o.eval_split = 0;
    o.work = w;
    trainer *t;
    int rc = trainer_create(&t, &o, err, errlen);
    if (rc == BB_OK) trainer_free(t);
    return rc;
}

int main(void) {
    char err[512];
    fixture f;
    memset(&f, 0, sizeof f);
    snprintf(f.dir, sizeof f.dir, "/tmp/bb_work_XXXXXX");
    CHECK(mkdtemp(f.dir) != NULL, "temp dir");
    f.texts = corpus(N_TEXTS);
    char path[128];
    snprintf(path, sizeof path, "%s/corpus.txt", f.dir);
    FILE *fp = fopen(path, "w");
    for (int i = 0; fp && i < N_TEXTS; i++) fprintf(fp, "%s\n", f.texts[i]);
    if (fp) fclose(fp);
    CHECK_OK(infer_open(&f.cx, MODEL_DIR, NULL, TOK_CASE_AUTO, err, sizeof err), err);
    if (f.cx) {
        f.tk = f.cx->tok;
        check_taker("tok_stats_compute", do_stats, &f, "texts");
        check_taker("infer_attention", do_attention, &f, "layers");
        check_taker("infer_pseudo_perplexity", do_ppl, &f, "tokens");
        check_taker("bert_load_work", do_load, &f, "tensors");
        check_taker("bert_load_mapped_work", do_load_mapped, &f, "tensors");
        check_taker("tok_trainer_finish", do_train_tok, &f, "vocabulary");
        check_taker("tok_ug_finish", do_train_unigram, &f, "pruning");
        check_taker("trainer_create", do_trainer, &f, "tensors");
        infer_close(f.cx);
    }
    for (int i = 0; i < N_TEXTS; i++) free(f.texts[i]);
    free(f.texts);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f.dir);
    CHECK(system(cmd) == 0, "clean up %s", f.dir);
    return check_done();
}
