/* trainer.h — a training run: model + tokenizer + data + AdamW, on a worker thread that publishes
 * events, or synchronously on the caller's thread.
 *
 *     train_options o = train_options_default();
 *     o.task = TRAIN_TASK_MLM; o.model_dir = "models/tiny"; o.data_path = "corpus.txt"; o.out_dir = "run1";
 *     trainer *t;
 *     if (trainer_create(&t, &o, err, sizeof err) != BB_OK) ...;   // loads and validates everything
 *     trainer_start(t, err, sizeof err);                           // worker thread
 *     for (;;) {                                                   // e.g. on each UI tick
 *         train_event ev[64];
 *         int n = trainer_poll(t, ev, 64);                          // drains the event ring
 *         train_status st; trainer_status(t, &st);                  // latest snapshot
 *         if (st.finished) break;
 *     }
 *     int rc = trainer_wait(t, err, sizeof err);                   // joins; the run's status
 *     trainer_free(t);
 *
 * Controls, safe from any thread at any time: trainer_pause / trainer_resume, trainer_stop (the
 * worker finishes the current step, saves a checkpoint and ends), trainer_save_now and
 * trainer_eval_now (done between steps). The worker checks an atomic flag word and the run's bb_work
 * (trainer_stop cancels it) between steps; trainer_create takes the caller's bb_work (o.work).
 *
 * Files in out_dir: metrics.jsonl (one JSON object per logged step and per evaluation, flushed as
 * written; with skip_invalid_utf8 each run or resume first writes the lines it dropped:
 * {"skipped_invalid_utf8_train":N,"first_skipped_line_train":L} plus the same "_eval" keys with an
 * eval file), events.out.tfevents.* (the same steps and evaluations for TensorBoard, one file per start,
 * tags as HF's TensorBoardCallback writes them: train/loss, train/learning_rate, train/grad_norm,
 * train/epoch, eval/loss, eval/accuracy, ...), checkpoint-STEP/ (Hugging Face layout: config.json, model.safetensors, tokenizer files;
 * plus optimizer.safetensors and trainer_state.json for --resume), best/ (lowest eval loss) and the
 * final model at the top level. Resuming from a checkpoint continues bit-exactly: parameters, AdamW
 * moments and step, the RNG states (masking, dropout) and the position in the epoch are restored.
 */
#ifndef BB_TRAINER_H
#define BB_TRAINER_H

#include <stddef.h>
#include <stdint.h>

#include "adamw.h"
#include "heads.h"
#include "bb_work.h"
#include "data.h"
#include "run_metrics.h"

typedef enum { TRAIN_TASK_MLM, TRAIN_TASK_SEQCLS, TRAIN_TASK_TOKCLS } train_task;

typedef struct {
    train_task task;
    const char *model_dir;      /* start from this checkpoint, or */
    const char *config_path;    /* from scratch (HF init) with this config.json */
    const char *tokenizer_dir;  /* a directory, tokenizer.json or vocab.txt (default: model_dir, or the
                                   config's directory); it must match the model (infer_check_tokenizer) */
    const char *data_path;
    const char *eval_path;      /* NULL: hold out eval_split of the data (0: no evaluation) */
    data_format format;
    int paragraphs;             /* plain text: blank-line-separated documents */
    int skip_invalid_utf8;      /* drop dataset lines that are not UTF-8 instead of failing */
    double eval_split;
    int epochs;                 /* used when max_steps <= 0 */
    long max_steps;
    int batch_size, grad_accum, block_size; /* block_size: MLM chunk / classification max length */
    adamw_hparams adam;
    float max_grad_norm;        /* 0: no clipping */
    long warmup_steps;
    float warmup_ratio;         /* used when warmup_steps < 0 */
    train_sched sched;
    uint64_t seed;
    float mlm_probability;
    int whole_word_mask;
    int position_init;          /* from scratch (--config): 0 HF's normal init, 1 sinusoidal positions */
    int freeze_embeddings, freeze_layers;
    bert_pool_kind pool;
    int regression;             /* seqcls with num_labels 1 (MSE) */
    long log_every, eval_every, save_every; /* in optimizer steps; 0: never (eval/save still at the end) */
    const char *out_dir;
    const char *resume_dir;     /* a checkpoint-STEP directory to continue from, or a run directory (its newest
                                 * complete checkpoint) */
    int threads;                /* OpenBLAS threads for the run; 0: leave as is */
    const char *export_hf;      /* the command line's --export-hf DIR (export_hf.h); the trainer ignores it */
    bb_work *work;              /* trainer_create's loading (may be NULL; not kept): cancel (BB_ECANCEL) between
                                 * its stages and the checkpoint's tensors, progress ("tensors") */
} train_options;

train_options train_options_default(void);
const char *train_task_name(train_task t);
int train_task_parse(const char *name); /* -1 when unknown */

typedef enum {
    TRAIN_EV_STEP, TRAIN_EV_EVAL, TRAIN_EV_CHECKPOINT, TRAIN_EV_PAUSED, TRAIN_EV_RESUMED, TRAIN_EV_FINISHED,
    TRAIN_EV_ERROR,
} train_event_kind;

typedef struct {
    train_event_kind kind;
    long step;             /* optimizer steps done */
    double epoch;          /* fractional epoch */
    float loss, lr, grad_norm;
    double tokens_per_s, elapsed_s;
    /* TRAIN_EV_EVAL: */
    float eval_loss, eval_perplexity, eval_accuracy, eval_f1; /* NaN when not applicable */
    float eval_mse, eval_pearson, eval_spearman;
    char msg[512];         /* checkpoint path, error message */
} train_event;

typedef struct {
    int started, running, paused, finished, rc;
    long step, total_steps;
    double epoch, elapsed_s, eta_s, tokens_per_s;
    float loss, lr, grad_norm;
    float eval_loss, eval_metric; /* latest eval loss and perplexity / accuracy (NaN before the first) */
    long events_dropped;          /* ring overflow (the UI polled too slowly) */
    char error[512];
} train_status;

typedef struct trainer trainer;

int trainer_create(trainer **out, const train_options *o, char *err, size_t errlen);
void trainer_free(trainer *t); /* stops and joins a running worker first */

int trainer_start(trainer *t, char *err, size_t errlen);
/* Runs on the calling thread until done (events still go to the ring). */
int trainer_run(trainer *t, char *err, size_t errlen);
int trainer_wait(trainer *t, char *err, size_t errlen);

void trainer_pause(trainer *t);
void trainer_resume(trainer *t);
void trainer_stop(trainer *t);
void trainer_save_now(trainer *t);
void trainer_eval_now(trainer *t);

void trainer_status(trainer *t, train_status *out);
/* Copies up to max pending events (oldest first) and removes them; returns how many. */
int trainer_poll(trainer *t, train_event *out, int max);

/* A copy of the model with the latest weights (taken between steps), for inference while training;
 * *step (may be NULL) is the number of optimizer steps those weights have seen. Safe from any thread
 * while the trainer exists, also after the worker finished. */
int trainer_copy_model(trainer *t, bert_model **out, long *step, char *err, size_t errlen);
/* The weights the checkpoint lacked and the task's head needed, created with HF's init (normal(0,
 * initializer_range) from the seed, zero biases), by their HF names, sorted and ", "-joined, as
 * transformers' "Some weights ... were newly initialized" warning lists them: "classifier.bias,
 * classifier.weight", with "bert.pooler.dense.bias, bert.pooler.dense.weight" first when a
 * BertForMaskedLM checkpoint is fine-tuned for seqcls. "" when none. A fresh run's metrics.jsonl
 * starts with {"newly_initialized":[...]}. Borrowed. */
const char *trainer_newly_initialized(const trainer *t);
/* The path the run's tokenizer was loaded from (tok_load_any loads the same one); borrowed. */
const char *trainer_tokenizer_dir(const trainer *t);
/* The path a run takes its tokenizer from (tok_resolve then finds the file in it): o->tokenizer_dir, else
 * the checkpoint resumed, else the model directory, else the config's directory; "" with none of them. */
void train_tokenizer_path(const train_options *o, char *out, size_t n);
/* Dataset lines dropped by skip_invalid_utf8 (data.h's DATA_SKIP_BAD_UTF8): from the data file (an
 * eval split of it included) and from the eval file, each with the line of the first (0: none). */
typedef struct {
    int train, eval;
    int train_first_line, eval_first_line;
} train_skipped;
void trainer_skipped(const trainer *t, train_skipped *out);
/* Tokens per optimizer step and the number of steps the run will take. */
long trainer_total_steps(const trainer *t);
const bert_model *trainer_model_unsafe(const trainer *t); /* only while no worker runs */

/* The metrics.jsonl line of a TRAIN_EV_STEP or TRAIN_EV_EVAL event as the run writes it (without the
 * confusion matrix): the workbench copies a run's lines into its session with these. BB_EINVAL for
 * other events. Safe from any thread (it reads the task only). */
int trainer_event_point(const trainer *t, const train_event *ev, run_point *p);
/* The line --skip-invalid-utf8 starts a run with: the lines each data file lost. */
void trainer_skipped_point(const trainer *t, run_point *p);

/* Evaluates the current weights on the eval set (synchronously; not while a worker runs). */
int trainer_evaluate(trainer *t, train_event *out, char *err, size_t errlen);

#endif
