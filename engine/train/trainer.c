/* The trainer: setup, the step loop, evaluation, checkpoints and resume, worker thread and events. */
#include "trainer.h"

#include <cblas.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "atomic_file.h"
#include "bb_err.h"
#include "ckpt_dir.h"
#include "eval_metrics.h"
#include "infer.h"
#include "ops.h"
#include "run_metrics.h"
#include "tfevents.h"
#include "st.h"
#include "train_state.h"

enum { RING = 1024 };
enum { FLAG_PAUSE = 2, FLAG_SAVE = 4, FLAG_EVAL = 8 };

struct trainer {
    train_options o;
    char model_dir[1024], config_path[1024], tok_dir[1024], data_path[1024], eval_path[1024], out_dir[1024],
        resume_dir[1024];
    bert_model *m;
    tok_tokenizer *tk;
    data_labels lm;
    int has_labels;          /* lm is used (classification) */
    data_encoded etr, eev;   /* encoded train / eval sets (eev.n == 0: no evaluation) */
    /* step state */
    bert_acts a, ea;         /* training (dropout, all intermediates) and evaluation activations */
    bert_bwd w;
    bert_mlm_acts h;
    bert_cls_acts c, ec;     /* classifier buffers for the training and the evaluation shapes */
    data_batch batch;
    uint8_t *flag_sp, *flag_ws;
    int32_t *perm, *idx;
    float *grads;
    bert_params g;
    adamw_state opt;
    long step, total_steps, warmup, batches_per_epoch, batch_in_epoch;
    int epoch;
    bb_rng rng;      /* masking and classifier dropout */
    bb_rng drop_rng; /* hidden / attention dropout */
    float best_eval;
    long *confusion; /* (K, K) of the last classification eval, rows gold, columns predicted; NULL before */
    train_skipped skipped; /* lines the data sets dropped as not UTF-8 */
    char new_weights[256];   /* HF names of the weights the head set-up created, sorted, ", "-joined */
    double elapsed_before, t0;
    run_metrics *metrics; /* out_dir/metrics.jsonl */
    tfev_writer *events; /* the same numbers for TensorBoard, under the tags HF's TensorBoardCallback uses */
    /* thread and reporting */
    pthread_t th;
    int has_thread;
    atomic_int flags;
    bb_work run;    /* the run's cancel: trainer_stop (the worker finishes the step, saves and ends) */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    train_status st;
    train_event ring[RING];
    int ring_head, ring_count;
};

train_options train_options_default(void) {
    train_options o;
    memset(&o, 0, sizeof o);
    o.task = TRAIN_TASK_MLM;
    o.epochs = 3;
    o.batch_size = 8;
    o.grad_accum = 1;
    o.block_size = 128;
    o.adam = adamw_hparams_default();
    o.max_grad_norm = 1.0f;
    o.warmup_steps = 0;
    o.sched = TRAIN_SCHED_LINEAR;
    o.seed = 42;
    o.mlm_probability = 0.15f;
    o.pool = BERT_POOL_POOLER;
    o.log_every = 1;
    o.eval_split = 0.0;
    return o;
}

static const char *const task_names[] = {"mlm", "seqcls", "tokcls"};
const char *train_task_name(train_task t) { return task_names[t]; }
int train_task_parse(const char *name) {
    for (int i = 0; i < 3; i++)
        if (!strcmp(name, task_names[i])) return i;
    return -1;
}

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Event files carry wall-clock time (TensorBoard's "relative" axis starts at the first event). */
static double wall_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void copy_str(char *dst, size_t n, const char *src) {
    size_t k = src ? strlen(src) : 0;
    if (k >= n) k = n - 1;
    if (k) memcpy(dst, src, k);
    dst[k] = 0;
}

/* ---- events and status ---------------------------------------------------------------------------- */

static void publish(trainer *t, const train_event *ev) {
    pthread_mutex_lock(&t->mu);
    if (t->ring_count == RING) { /* drop the oldest */
        t->ring_head = (t->ring_head + 1) % RING;
        t->ring_count--;
        t->st.events_dropped++;
    }
    t->ring[(t->ring_head + t->ring_count) % RING] = *ev;
    t->ring_count++;
    switch (ev->kind) {
    case TRAIN_EV_STEP:
        t->st.step = ev->step;
        t->st.epoch = ev->epoch;
        t->st.loss = ev->loss;
        t->st.lr = ev->lr;
        t->st.grad_norm = ev->grad_norm;
        t->st.tokens_per_s = ev->tokens_per_s;
        t->st.elapsed_s = ev->elapsed_s;
        t->st.eta_s = ev->step > 0 ? ev->elapsed_s / (double)ev->step * (double)(t->total_steps - ev->step) : NAN;
        break;
    case TRAIN_EV_EVAL:
        t->st.eval_loss = ev->eval_loss;
        t->st.eval_metric = t->o.task == TRAIN_TASK_MLM ? ev->eval_perplexity
                            : t->o.regression          ? ev->eval_pearson
                                                       : ev->eval_accuracy;
        break;
    case TRAIN_EV_PAUSED: t->st.paused = 1; break;
    case TRAIN_EV_RESUMED: t->st.paused = 0; break;
    default: break;
    }
    pthread_mutex_unlock(&t->mu);
}

int trainer_poll(trainer *t, train_event *out, int max) {
    pthread_mutex_lock(&t->mu);
    int n = 0;
    while (n < max && t->ring_count > 0) {
        out[n++] = t->ring[t->ring_head];
        t->ring_head = (t->ring_head + 1) % RING;
        t->ring_count--;
    }
    pthread_mutex_unlock(&t->mu);
    return n;
}

void trainer_status(trainer *t, train_status *out) {
    pthread_mutex_lock(&t->mu);
    *out = t->st;
    pthread_mutex_unlock(&t->mu);
}

static void set_flag(trainer *t, int f) {
    atomic_fetch_or(&t->flags, f);
    pthread_mutex_lock(&t->mu);
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
}

void trainer_pause(trainer *t) { set_flag(t, FLAG_PAUSE); }
void trainer_stop(trainer *t) {
    bb_work_cancel(&t->run);
    set_flag(t, 0); /* wakes a paused worker */
}
void trainer_save_now(trainer *t) { set_flag(t, FLAG_SAVE); }
void trainer_eval_now(trainer *t) { set_flag(t, FLAG_EVAL); }
void trainer_resume(trainer *t) {
    atomic_fetch_and(&t->flags, ~FLAG_PAUSE);
    pthread_mutex_lock(&t->mu);
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
}

long trainer_total_steps(const trainer *t) { return t->total_steps; }
void trainer_skipped(const trainer *t, train_skipped *out) { *out = t->skipped; }
const bert_model *trainer_model_unsafe(const trainer *t) { return t->m; }

const char *trainer_newly_initialized(const trainer *t) { return t->new_weights; }

const char *trainer_tokenizer_dir(const trainer *t) { return t->tok_dir; }

void train_tokenizer_path(const train_options *o, char *out, size_t n) {
    const char *p = o->tokenizer_dir ? o->tokenizer_dir : o->resume_dir ? o->resume_dir : o->model_dir;
    if (p || !o->config_path) {
        copy_str(out, n, p ? p : "");
        return;
    }
    copy_str(out, n, o->config_path);
    char *slash = strrchr(out, '/');
    if (slash)
        *slash = 0;
    else
        copy_str(out, n, ".");
}

int trainer_copy_model(trainer *t, bert_model **out, long *step, char *err, size_t errlen) {
    *out = NULL;
    bert_model *c = calloc(1, sizeof *c);
    float *mem = malloc(sizeof(float) * (t->m->num_params ? t->m->num_params : 1));
    cJSON *json = t->m->cfg.json ? cJSON_Duplicate(t->m->cfg.json, 1) : NULL;
    if (!c || !mem || (t->m->cfg.json && !json)) {
        free(c), free(mem), cJSON_Delete(json);
        return bb_err(err, errlen, BB_ENOMEM, "out of memory copying the model");
    }
    pthread_mutex_lock(&t->mu); /* the worker holds mu while it updates the weights */
    *c = *t->m;
    memcpy(mem, t->m->params_memory, sizeof(float) * t->m->num_params);
    long at = t->step;
    pthread_mutex_unlock(&t->mu);
    if (step) *step = at;
    c->params_memory = mem;
    c->cfg.json = json;
    c->cfg.id2label = NULL;
    bert_params_point(&c->params, mem, c->param_sizes);
    if (t->m->cfg.id2label &&
        bert_config_set_labels(&c->cfg, t->m->cfg.num_labels, (const char *const *)t->m->cfg.id2label, err, errlen)) {
        bert_free(c);
        return BB_ENOMEM;
    }
    *out = c;
    return BB_OK;
}

/* ---- setup --------------------------------------------------------------------------------------- */

/* mkdir -p: the output directory and any missing parents (`--out runs/spam` on a fresh checkout). */
static int mkdir_p(const char *dir, char *err, size_t errlen) {
    char path[1200];
    size_t n = strlen(dir);
    if (n >= sizeof path) return bb_err(err, errlen, BB_EINVAL, "%s: path too long", dir);
    memcpy(path, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (path[i] != '/' && path[i] != 0) continue;
        char c = path[i];
        path[i] = 0;
        if (mkdir(path, 0777) != 0 && errno != EEXIST)
            return bb_err(err, errlen, BB_EIO, "%s: cannot create directory: %s", path, strerror(errno));
        path[i] = c;
    }
    return BB_OK;
}

static void free_state(trainer *t) {
    bert_acts_free(&t->a);
    bert_acts_free(&t->ea);
    bert_bwd_free(&t->w);
    bert_cls_free(&t->c);
    bert_cls_free(&t->ec);
    bert_mlm_acts_free(&t->h);
}

void trainer_free(trainer *t) {
    if (!t) return;
    if (t->has_thread) {
        trainer_stop(t);
        trainer_wait(t, NULL, 0);
    }
    free_state(t);
    data_batch_free(&t->batch);
    free(t->confusion);
    free(t->flag_sp);
    free(t->flag_ws);
    free(t->perm);
    free(t->idx);
    free(t->grads);
    adamw_free(&t->opt);
    data_encoded_free(&t->etr);
    data_encoded_free(&t->eev);
    data_labels_free(&t->lm);
    tok_free(t->tk);
    bert_free(t->m);
    run_metrics_close(t->metrics, NULL, 0);
    char ignored[8];
    tfev_writer_close(t->events, ignored, sizeof ignored);
    pthread_mutex_destroy(&t->mu);
    pthread_cond_destroy(&t->cv);
    free(t);
}

/* Which parameter fields the task trains (the rest stay as loaded, like HF heads the task drops). */
static void set_active_fields(trainer *t) {
    const train_options *o = &t->o;
    adamw_state *s = &t->opt;
    const int mlm_fields[] = {BERT_P_MLMW, BERT_P_MLMB, BERT_P_MLM_LNW, BERT_P_MLM_LNB, BERT_P_MLM_BIAS, BERT_P_MLM_DEC};
    adamw_set_active(s, BERT_P_NSPW, 0);
    adamw_set_active(s, BERT_P_NSPB, 0);
    if (o->task == TRAIN_TASK_MLM) {
        adamw_set_active(s, BERT_P_POOLW, 0);
        adamw_set_active(s, BERT_P_POOLB, 0);
        adamw_set_active(s, BERT_P_CLSW, 0);
        adamw_set_active(s, BERT_P_CLSB, 0);
    } else {
        for (size_t i = 0; i < sizeof mlm_fields / sizeof *mlm_fields; i++) adamw_set_active(s, mlm_fields[i], 0);
        int pool = o->task == TRAIN_TASK_SEQCLS && o->pool == BERT_POOL_POOLER;
        adamw_set_active(s, BERT_P_POOLW, pool);
        adamw_set_active(s, BERT_P_POOLB, pool);
    }
    if (o->freeze_embeddings)
        for (int f = BERT_P_WTE; f <= BERT_P_EMB_LNB; f++) adamw_set_active(s, f, 0);
    int L = t->m->cfg.num_layers, k = o->freeze_layers < L ? o->freeze_layers : L;
    for (int f = BERT_P_QKVW; f <= BERT_P_LN2B && k > 0; f++)
        adamw_set_frozen_prefix(s, f, s->sizes[f] / (size_t)L * (size_t)k);
}

static int load_model(trainer *t, char *err, size_t errlen) {
    const train_options *o = &t->o;
    int rc;
    if (t->resume_dir[0]) return bert_load_work(&t->m, t->resume_dir, o->work, err, errlen);
    if (t->model_dir[0]) return bert_load_work(&t->m, t->model_dir, o->work, err, errlen);
    if (!t->config_path[0]) return bb_err(err, errlen, BB_EINVAL, "give a model directory (--model) or a config (--config)");
    bert_config cfg;
    if ((rc = bert_config_load(&cfg, t->config_path, err, errlen)) != BB_OK) return rc;
    rc = bert_create(&t->m, &cfg, o->seed, err, errlen);
    bert_config_free(&cfg);
    if (rc == BB_OK && o->position_init == 1) bert_init_positions_sinusoidal(t->m);
    return rc;
}

/* Label map and classifier head: kept from the checkpoint when it has the right kind of head,
 * else built from the training data and a fresh head added. */
static int setup_head(trainer *t, const data_set *train, char *err, size_t errlen) {
    const train_options *o = &t->o;
    bert_model *m = t->m;
    int rc;
    if (o->task == TRAIN_TASK_MLM) {
        if (!m->has_mlm)
            return bb_err(err, errlen, BB_EINVAL, "%s: the model has no masked-LM head to train", m->dir[0] ? m->dir : "model");
        return BB_OK;
    }
    bert_head kind = o->task == TRAIN_TASK_SEQCLS ? BERT_HEAD_SEQCLS : BERT_HEAD_TOKCLS;
    int keep = m->head == kind && (o->regression ? m->cfg.num_labels == 1 : m->cfg.num_labels > 1 && m->cfg.id2label);
    if (o->regression) {
        t->has_labels = 0;
        /* transformers' id2label for one output, so the saved config describes this head, not a source's */
        if ((rc = bert_config_set_labels(&m->cfg, 1, (const char *const[]){"LABEL_0"}, err, errlen)) != BB_OK) return rc;
    } else if (keep) {
        if ((rc = data_labels_from(&t->lm, m->cfg.num_labels, (const char *const *)m->cfg.id2label, err, errlen))) return rc;
        t->has_labels = 1;
    } else {
        if ((rc = data_labels_build(&t->lm, train, o->task == TRAIN_TASK_TOKCLS, err, errlen)) != BB_OK) return rc;
        t->has_labels = 1;
    }
    if (!keep) {
        bb_rng r;
        bb_rng_seed(&r, o->seed ^ 0x9e3779b97f4a7c15ULL);
        int had_pooler = m->has_pooler;
        if ((rc = bert_set_head(m, kind, o->regression ? 1 : t->lm.n, &r, err, errlen)) != BB_OK) return rc;
        /* sorted, as transformers lists them in its "newly initialized" warning */
        snprintf(t->new_weights, sizeof t->new_weights, "%s%s", !had_pooler && m->has_pooler
                 ? "bert.pooler.dense.bias, bert.pooler.dense.weight, " : "", "classifier.bias, classifier.weight");
    }
    if (t->has_labels &&
        (rc = bert_config_set_labels(&m->cfg, t->lm.n, (const char *const *)t->lm.names, err, errlen)) != BB_OK)
        return rc;
    snprintf(m->cfg.problem_type, sizeof m->cfg.problem_type, "%s",
             o->regression ? "regression" : o->task == TRAIN_TASK_SEQCLS ? "single_label_classification" : "");
    return BB_OK;
}

static int encode_set(trainer *t, data_encoded *e, const data_set *d, char *err, size_t errlen) {
    if (t->o.task == TRAIN_TASK_MLM) return data_group_texts(e, t->tk, d, t->o.block_size, err, errlen);
    return data_encode_examples(e, t->tk, d, t->has_labels ? &t->lm : NULL, t->o.task == TRAIN_TASK_TOKCLS,
                                t->o.block_size, err, errlen);
}

static int read_state(trainer *t, char *err, size_t errlen);

static int has_state_file(const char *dir) {
    char path[1200];
    struct stat sb;
    snprintf(path, sizeof path, "%s/trainer_state.json", dir);
    return lstat(path, &sb) == 0;
}

/* The options trainer_create refuses before it reads anything. */
static int check_options(const train_options *o, char *err, size_t errlen) {
    if (!o->data_path) return bb_err(err, errlen, BB_EINVAL, "no training data (--data)");
    if (!o->out_dir) return bb_err(err, errlen, BB_EINVAL, "no output directory (--out)");
    if (o->batch_size < 1 || o->grad_accum < 1)
        return bb_err(err, errlen, BB_EINVAL, "--batch-size and gradient accumulation must be >= 1");
    if (o->max_steps <= 0 && o->epochs < 1) return bb_err(err, errlen, BB_EINVAL, "--epochs must be >= 1 (or give --max-steps)");
    if (!(o->adam.lr > 0) || !isfinite(o->adam.lr)) return bb_err(err, errlen, BB_EINVAL, "--lr must be a finite number > 0");
    if (o->eval_split < 0 || o->eval_split >= 1)
        return bb_err(err, errlen, BB_EINVAL, "--eval-split %g: must be in [0, 1)", o->eval_split);
    if (o->mlm_probability <= 0 || o->mlm_probability >= 1)
        return bb_err(err, errlen, BB_EINVAL, "--mlm-probability %g: must be in (0, 1)", o->mlm_probability);
    if (o->regression && o->task != TRAIN_TASK_SEQCLS)
        return bb_err(err, errlen, BB_EINVAL, "regression (num_labels 1) is a seqcls task");
    return BB_OK;
}

/* The loaded model against its tokenizer and the options that depend on its shape. */
static int check_model_fit(trainer *t, const train_options *o, char *err, size_t errlen) {
    /* a tokenizer from elsewhere must be the model's own (the same token at every id) */
    const char *mdir = t->resume_dir[0] ? t->resume_dir : t->model_dir;
    tok_tokenizer *own = NULL;
    char ignored[256], why[256];
    if (mdir[0] && strcmp(mdir, t->tok_dir) != 0 && tok_load_dir(&own, mdir, TOK_CASE_AUTO, ignored, sizeof ignored) != BB_OK)
        own = NULL;
    int bad = infer_check_tokenizer(t->m, t->tk, own, why, sizeof why) != BB_OK;
    tok_free(own);
    if (bad)
        return bb_err(err, errlen, BB_EINVAL, "%s: tokenizer does not match the model%s%s: %s", t->tok_dir,
                      mdir[0] ? " " : "", mdir, why);
    /* saved with the checkpoints: HF's tokenizer_config.json carries the model's length */
    tok_set_model_max_length(t->tk, t->m->cfg.max_position - t->m->cfg.position_offset);
    if (o->freeze_layers > t->m->cfg.num_layers)
        return bb_err(err, errlen, BB_EINVAL, "--freeze-layers %d: the model has only %d layers", o->freeze_layers,
                      t->m->cfg.num_layers);
    if (t->o.block_size + t->m->cfg.position_offset > t->m->cfg.max_position)
        return bb_err(err, errlen, BB_EINVAL, "--block-size %d exceeds the model's %d positions", t->o.block_size,
                      t->m->cfg.max_position - t->m->cfg.position_offset);
    return BB_OK;
}

/* The training and evaluation sets: read (or split off), the head set up from the labels, encoded. */
static int load_sets(trainer *t, const train_options *o, char *err, size_t errlen) {
    data_set *train = NULL, *eval = NULL;
    int rc;
    if ((rc = bb_work_check(o->work, "train", err, errlen)) != BB_OK) goto fail;
    int dflags = (o->paragraphs ? DATA_PARAGRAPHS : 0) | (o->skip_invalid_utf8 ? DATA_SKIP_BAD_UTF8 : 0);
    if ((rc = data_load(&train, t->data_path, o->format, dflags, err, errlen)) != BB_OK) goto fail;
    t->skipped.train = train->n_skipped;
    t->skipped.train_first_line = train->first_skipped_line;
    if (t->eval_path[0]) {
        if ((rc = data_load(&eval, t->eval_path, o->format, dflags, err, errlen)) != BB_OK) goto fail;
        t->skipped.eval = eval->n_skipped;
        t->skipped.eval_first_line = eval->first_skipped_line;
    } else if (o->eval_split > 0) {
        data_set *all = train;
        train = NULL;
        if ((rc = data_split(all, o->eval_split, o->seed, &train, &eval, err, errlen)) != BB_OK) goto fail;
    }
    if ((rc = bb_work_check(o->work, "train", err, errlen)) != BB_OK) goto fail;
    if ((rc = setup_head(t, train, err, errlen)) != BB_OK) goto fail;
    if ((rc = encode_set(t, &t->etr, train, err, errlen)) != BB_OK) goto fail;
    if ((rc = bb_work_check(o->work, "train", err, errlen)) != BB_OK) goto fail;
    if (eval && (rc = encode_set(t, &t->eev, eval, err, errlen)) != BB_OK) goto fail;
    if ((rc = bb_work_check(o->work, "train", err, errlen)) != BB_OK) goto fail;
    data_free(train);
    data_free(eval);
    return BB_OK;
fail:
    data_free(train);
    data_free(eval);
    return rc;
}

/* Steps, warmup and the run's buffers: permutation, batch indices, gradients, AdamW state, RNGs. */
static int plan_run(trainer *t, const train_options *o, char *err, size_t errlen) {
    int rc;
    int B = t->o.batch_size;
    t->batches_per_epoch = (t->etr.n + B - 1) / B;
    long steps_per_epoch = (t->batches_per_epoch + t->o.grad_accum - 1) / t->o.grad_accum;
    t->total_steps = o->max_steps > 0 ? o->max_steps : steps_per_epoch * o->epochs;
    t->warmup = o->warmup_steps >= 0 ? o->warmup_steps : (long)ceil(o->warmup_ratio * (double)t->total_steps);
    t->st.total_steps = t->total_steps;
    t->perm = malloc(sizeof(int32_t) * (size_t)t->etr.n);
    t->idx = malloc(sizeof(int32_t) * (size_t)(B > t->eev.n ? B : t->eev.n + 1));
    t->grads = calloc(t->m->num_params, sizeof(float));
    if (!t->perm || !t->idx || !t->grads) return bb_err(err, errlen, BB_ENOMEM, "out of memory");
    bert_params_point(&t->g, t->grads, t->m->param_sizes);
    if ((rc = adamw_init(&t->opt, t->m, err, errlen)) != BB_OK) return rc;
    set_active_fields(t);
    bb_rng_seed(&t->rng, o->seed);
    bb_rng_seed(&t->drop_rng, o->seed + 1);
    return BB_OK;
}

int trainer_create(trainer **out, const train_options *o, char *err, size_t errlen) {
    *out = NULL;
    int rc = check_options(o, err, errlen);
    if (rc != BB_OK) return rc;
    trainer *t = calloc(1, sizeof *t);
    if (!t) return bb_err(err, errlen, BB_ENOMEM, "out of memory");
    pthread_mutex_init(&t->mu, NULL);
    pthread_cond_init(&t->cv, NULL);
    bb_work_init(&t->run, NULL, NULL);
    t->o = *o;
    copy_str(t->model_dir, sizeof t->model_dir, o->model_dir);
    copy_str(t->config_path, sizeof t->config_path, o->config_path);
    copy_str(t->data_path, sizeof t->data_path, o->data_path);
    copy_str(t->eval_path, sizeof t->eval_path, o->eval_path);
    copy_str(t->out_dir, sizeof t->out_dir, o->out_dir);
    copy_str(t->resume_dir, sizeof t->resume_dir, o->resume_dir);
    if (o->resume_dir && !has_state_file(o->resume_dir) &&
        trainer_ckpt_latest(o->resume_dir, t->resume_dir, sizeof t->resume_dir, NULL, 0) != BB_OK) {
        rc = bb_err(err, errlen, BB_EINVAL, "%s: not a complete checkpoint (trainer_state.json, optimizer.safetensors, "
                    "config.json, model.safetensors) nor a run directory holding one", o->resume_dir);
        trainer_free(t);
        return rc;
    }
    train_options resolved = *o;
    if (o->resume_dir) resolved.resume_dir = t->resume_dir; /* the newest checkpoint of a run directory */
    train_tokenizer_path(&resolved, t->tok_dir, sizeof t->tok_dir);
    t->o.model_dir = t->o.config_path = t->o.tokenizer_dir = t->o.data_path = t->o.eval_path = t->o.out_dir =
        t->o.resume_dir = t->o.export_hf = NULL; /* the copies above are the ones used */
    t->best_eval = INFINITY;
    t->st.eval_loss = t->st.eval_metric = NAN;
    if ((rc = load_model(t, err, errlen)) != BB_OK) goto fail;
    if ((rc = tok_load_any(&t->tk, t->tok_dir, TOK_CASE_AUTO, err, errlen)) != BB_OK) goto fail;
    if ((rc = check_model_fit(t, o, err, errlen)) != BB_OK) goto fail;
    if ((rc = load_sets(t, o, err, errlen)) != BB_OK) goto fail;

    if ((rc = plan_run(t, o, err, errlen)) != BB_OK) goto fail;
    if (t->resume_dir[0] && (rc = read_state(t, err, errlen)) != BB_OK) goto fail;
    if ((rc = mkdir_p(t->out_dir, err, errlen)) != BB_OK) goto fail;
    trainer_ckpt_clean(t->out_dir); /* what a killed run or a full disk left half-written */
    t->o.work = NULL; /* the caller's, for trainer_create only */
    *out = t;
    return BB_OK;
fail:
    trainer_free(t);
    return rc;
}

/* ---- checkpoints --------------------------------------------------------------------------------- */

static void rng_to_json(cJSON *o, const char *key, const bb_rng *r) {
    cJSON *a = cJSON_AddArrayToObject(o, key);
    for (int i = 0; i < 4; i++) {
        char hex[24];
        snprintf(hex, sizeof hex, "%016llx", (unsigned long long)r->s[i]);
        cJSON_AddItemToArray(a, cJSON_CreateString(hex));
    }
}

static int write_checkpoint(trainer *t, const char *dir, int with_state, char *err, size_t errlen) {
    int rc = bert_save(t->m, dir, err, errlen);
    if (rc != BB_OK) return rc;
    if ((rc = tok_save_dir(t->tk, dir, err, errlen)) != BB_OK) return rc;
    if (!with_state) return BB_OK;
    char path[1200];
    snprintf(path, sizeof path, "%s/optimizer.safetensors", dir);
    st_entry e[2] = {{.name = "exp_avg", .data = t->opt.m, .ndim = 1, .shape = {(int64_t)t->opt.n}},
                     {.name = "exp_avg_sq", .data = t->opt.v, .ndim = 1, .shape = {(int64_t)t->opt.n}}};
    if ((rc = st_write(path, e, 2, err, errlen)) != BB_OK) return rc;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "global_step", (double)t->step);
    cJSON_AddNumberToObject(o, "epoch", t->epoch);
    cJSON_AddNumberToObject(o, "batch_in_epoch", (double)t->batch_in_epoch);
    cJSON_AddNumberToObject(o, "optimizer_steps", (double)t->opt.t);
    cJSON_AddNumberToObject(o, "num_params", (double)t->m->num_params);
    cJSON_AddNumberToObject(o, "total_steps", (double)t->total_steps);
    cJSON_AddNumberToObject(o, "elapsed_s", t->elapsed_before + (now_s() - t->t0));
    cJSON_AddStringToObject(o, "task", train_task_name(t->o.task));
    if (isfinite(t->best_eval)) cJSON_AddNumberToObject(o, "best_eval_loss", t->best_eval);
    rng_to_json(o, "rng", &t->rng);
    rng_to_json(o, "dropout_rng", &t->drop_rng);
    char *text = cJSON_Print(o);
    cJSON_Delete(o);
    if (!text) return bb_err(err, errlen, BB_ENOMEM, "out of memory");
    snprintf(path, sizeof path, "%s/trainer_state.json", dir);
    rc = bb_write_atomic(path, text, strlen(text), err, errlen);
    free(text);
    return rc;
}

/* dir (checkpoint-N, best) appears complete or not at all; the final model at the top of out_dir is
 * written file by file, each atomically, next to metrics.jsonl. */
static int save_checkpoint(trainer *t, const char *dir, int with_state, char *err, size_t errlen) {
    if (!strcmp(dir, t->out_dir)) return write_checkpoint(t, dir, with_state, err, errlen);
    trainer_ckpt c;
    int rc = trainer_ckpt_begin(&c, dir, err, errlen);
    if (rc != BB_OK) return rc;
    if ((rc = write_checkpoint(t, c.tmp, with_state, err, errlen)) != BB_OK) {
        trainer_ckpt_abort(&c);
        return rc;
    }
    return trainer_ckpt_commit(&c, err, errlen);
}

static int read_state(trainer *t, char *err, size_t errlen) {
    char path[1200];
    snprintf(path, sizeof path, "%s/trainer_state.json", t->resume_dir);
    train_state_run run = {.num_params = t->m->num_params, .batches_per_epoch = t->batches_per_epoch,
                           .grad_accum = t->o.grad_accum, .total_steps = t->total_steps,
                           .task = train_task_name(t->o.task)};
    train_state s;
    int rc = trainer_state_read(&s, path, &run, err, errlen);
    if (rc != BB_OK) return rc;
    t->step = s.global_step;
    t->epoch = (int)s.epoch;
    t->batch_in_epoch = s.batch_in_epoch;
    t->opt.t = s.optimizer_steps;
    t->elapsed_before = s.elapsed_s;
    t->best_eval = s.best_eval_loss;
    memcpy(t->rng.s, s.rng, sizeof s.rng);
    memcpy(t->drop_rng.s, s.dropout_rng, sizeof s.dropout_rng);
    st_file *f = NULL;
    snprintf(path, sizeof path, "%s/optimizer.safetensors", t->resume_dir);
    if ((rc = st_open(&f, path, err, errlen)) != BB_OK) return rc;
    const st_tensor *m = st_find(f, "exp_avg"), *v = st_find(f, "exp_avg_sq");
    if (!m || !v || m->numel != (int64_t)t->opt.n || v->numel != (int64_t)t->opt.n)
        rc = bb_err(err, errlen, BB_ESHAPE, "%s: exp_avg / exp_avg_sq missing or not of %zu values", path, t->opt.n);
    if (rc == BB_OK) rc = st_read_f32(m, t->opt.m, (int64_t)t->opt.n, err, errlen);
    if (rc == BB_OK) rc = st_read_f32(v, t->opt.v, (int64_t)t->opt.n, err, errlen);
    st_close(f);
    for (size_t i = 0; rc == BB_OK && i < t->opt.n; i++) /* Adam's moments: finite, the second one >= 0 */
        if (!isfinite(t->opt.m[i]) || !isfinite(t->opt.v[i]) || t->opt.v[i] < 0)
            rc = bb_err(err, errlen, BB_EFORMAT, "%s: value %zu is not a valid Adam moment (exp_avg %g, exp_avg_sq %g): "
                        "the optimizer state is damaged", path, i, t->opt.m[i], t->opt.v[i]);
    t->st.step = t->step;
    return rc;
}

/* ---- the step loop ------------------------------------------------------------------------------- */

static int ensure_shape(trainer *t, int B, int T, char *err, size_t errlen) {
    if (t->a.B == B && t->a.T == T) return BB_OK;
    /* batches differ in length: the buffers keep their memory and are re-laid for the new shape */
    int rc = bert_acts_resize(&t->a, t->m, B, T, 1, err, errlen);
    if (rc == BB_OK) rc = bert_bwd_resize(&t->w, t->m, B, T, err, errlen);
    if (rc == BB_OK && t->o.task != TRAIN_TASK_MLM) rc = bert_cls_resize(&t->c, t->m, B, T, t->o.pool, err, errlen);
    if (rc == BB_OK) {
        free(t->flag_sp);
        free(t->flag_ws);
        t->flag_sp = malloc((size_t)B * T);
        t->flag_ws = malloc((size_t)B * T);
        if (!t->flag_sp || !t->flag_ws) rc = bb_err(err, errlen, BB_ENOMEM, "out of memory");
    }
    return rc;
}

/* The data order of an epoch: a permutation derived from the seed and the epoch number only, so a
 * resumed run finds the same order. */
static void epoch_perm(trainer *t, int epoch) {
    bb_rng r;
    bb_rng_seed(&r, t->o.seed * 1000003ULL + (uint64_t)epoch);
    for (int i = 0; i < t->etr.n; i++) t->perm[i] = i;
    for (int i = t->etr.n - 1; i > 0; i--) {
        int j = (int)bb_rng_below(&r, (uint32_t)i + 1);
        int32_t x = t->perm[i];
        t->perm[i] = t->perm[j];
        t->perm[j] = x;
    }
}

static data_mask_opts mask_opts(const trainer *t) {
    tok_special_ids s = tok_specials(t->tk);
    return (data_mask_opts){.prob = t->o.mlm_probability, .whole_word = t->o.whole_word_mask, .mask_id = s.mask,
                            .vocab_size = tok_vocab_size(t->tk)};
}

/* Forward + loss (+ backward when train) on the filled batch, with acts a. */
static int run_batch(trainer *t, bert_acts *a, bert_cls_acts *c, int train, float loss_scale, float *loss, char *err,
                     size_t errlen) {
    data_batch *b = &t->batch;
    int rc = bert_forward(t->m, a, b->ids, b->type_ids, b->mask, b->B, b->T, err, errlen);
    if (rc != BB_OK) return rc;
    int freeze_emb = t->o.freeze_embeddings;
    if (t->o.task == TRAIN_TASK_MLM) {
        if ((rc = bert_mlm_forward(t->m, &t->h, a, b->labels, loss, NULL, err, errlen)) != BB_OK) return rc;
        if (!train) return BB_OK;
        bert_bwd_zero(&t->w, t->m);
        bert_mlm_backward(t->m, &t->g, &t->h, &t->w, loss_scale, freeze_emb);
        bert_backward(t->m, &t->g, a, &t->w, b->ids, b->type_ids, 0, freeze_emb, t->o.freeze_layers);
        return BB_OK;
    }
    const float *values = t->o.regression ? b->values : NULL;
    if ((rc = bert_cls_forward(t->m, c, a, b->labels, values, train, &t->rng, loss, err, errlen)) != BB_OK) return rc;
    if (!train) return BB_OK;
    bert_bwd_zero(&t->w, t->m);
    int use_pool = bert_cls_backward(t->m, &t->g, c, a, &t->w, b->labels, values, loss_scale);
    bert_backward(t->m, &t->g, a, &t->w, b->ids, b->type_ids, use_pool, freeze_emb, t->o.freeze_layers);
    return BB_OK;
}

/* Fills the next training batch (advancing epochs) and masks it for MLM. */
static int next_batch(trainer *t, char *err, size_t errlen) {
    if (t->batch_in_epoch >= t->batches_per_epoch) {
        t->epoch++;
        t->batch_in_epoch = 0;
    }
    epoch_perm(t, t->epoch);
    int B = t->o.batch_size;
    long start = t->batch_in_epoch * B;
    if (start + B > t->etr.n) B = (int)(t->etr.n - start);
    int rc = data_batch_fill(&t->batch, &t->etr, t->perm + start, B, err, errlen);
    if (rc != BB_OK) return rc;
    t->batch_in_epoch++;
    if ((rc = ensure_shape(t, t->batch.B, t->batch.T, err, errlen)) != BB_OK) return rc;
    if (t->o.task == TRAIN_TASK_MLM) {
        data_batch_flags(&t->batch, &t->etr, t->perm + start, t->flag_sp, t->flag_ws);
        data_mask_opts mo = mask_opts(t);
        data_mask(&t->batch, t->flag_sp, t->flag_ws, &mo, &t->rng);
    }
    return BB_OK;
}

static int write_metrics(trainer *t, const run_point *p, char *err, size_t errlen) {
    return t->metrics ? run_metrics_append(t->metrics, p, err, errlen) : BB_OK;
}

int trainer_event_point(const trainer *t, const train_event *ev, run_point *p) {
    run_point_init(p);
    run_point_set(p, RUN_M_STEP, (double)ev->step);
    if (ev->kind == TRAIN_EV_STEP) {
        const run_metric k[6] = {RUN_M_EPOCH,     RUN_M_LOSS,         RUN_M_LR,
                                 RUN_M_GRAD_NORM, RUN_M_TOKENS_PER_S, RUN_M_ELAPSED_S};
        const double v[6] = {ev->epoch, ev->loss, ev->lr, ev->grad_norm, ev->tokens_per_s, ev->elapsed_s};
        for (int i = 0; i < 6; i++) run_point_set(p, k[i], v[i]);
        return BB_OK;
    }
    if (ev->kind != TRAIN_EV_EVAL) return BB_EINVAL;
    run_point_set(p, RUN_M_EVAL_LOSS, ev->eval_loss);
    if (t->o.task == TRAIN_TASK_MLM) {
        run_point_set(p, RUN_M_EVAL_PERPLEXITY, ev->eval_perplexity);
    } else if (t->o.regression) {
        run_point_set(p, RUN_M_EVAL_MSE, ev->eval_mse);
        run_point_set(p, RUN_M_EVAL_PEARSON, ev->eval_pearson);
        run_point_set(p, RUN_M_EVAL_SPEARMAN, ev->eval_spearman);
    } else {
        run_point_set(p, RUN_M_EVAL_ACCURACY, ev->eval_accuracy);
        run_point_set(p, RUN_M_EVAL_F1, ev->eval_f1);
    }
    return BB_OK;
}

void trainer_skipped_point(const trainer *t, run_point *p) {
    const train_skipped *k = &t->skipped;
    run_point_init(p);
    run_point_set(p, RUN_M_SKIPPED_TRAIN, k->train);
    run_point_set(p, RUN_M_FIRST_SKIPPED_TRAIN, k->train_first_line);
    if (t->eval_path[0]) {
        run_point_set(p, RUN_M_SKIPPED_EVAL, k->eval);
        run_point_set(p, RUN_M_FIRST_SKIPPED_EVAL, k->eval_first_line);
    }
}

int trainer_evaluate(trainer *t, train_event *ev, char *err, size_t errlen) {
    memset(ev, 0, sizeof *ev);
    ev->kind = TRAIN_EV_EVAL;
    ev->step = t->step;
    ev->eval_loss = ev->eval_perplexity = ev->eval_accuracy = ev->eval_f1 = NAN;
    ev->eval_mse = ev->eval_pearson = ev->eval_spearman = NAN;
    const data_encoded *e = &t->eev;
    if (e->n == 0) return bb_err(err, errlen, BB_EINVAL, "no evaluation data");
    int Bmax = t->o.batch_size, K = t->m->cfg.num_labels, rc = BB_OK;
    bb_rng mrng; /* the same masks at every evaluation, so eval losses compare */
    bb_rng_seed(&mrng, t->o.seed ^ 0xe7a1e7a1ULL);
    data_mask_opts mo = mask_opts(t);
    double loss_sum = 0, weight = 0;
    train_cls_metrics cm = {0};
    float *pred = NULL, *gold = NULL;
    long nreg = 0;
    if (t->o.task != TRAIN_TASK_MLM && !t->o.regression && train_cls_metrics_init(&cm, K) != BB_OK)
        return bb_err(err, errlen, BB_ENOMEM, "out of memory");
    if (t->o.regression) {
        pred = malloc(sizeof(float) * (size_t)e->n);
        gold = malloc(sizeof(float) * (size_t)e->n);
        if (!pred || !gold) rc = bb_err(err, errlen, BB_ENOMEM, "out of memory");
    }
    uint8_t *sp = NULL, *ws = NULL;
    for (long start = 0; start < e->n && rc == BB_OK; start += Bmax) {
        int B = (int)(start + Bmax > e->n ? e->n - start : Bmax);
        for (int i = 0; i < B; i++) t->idx[i] = (int32_t)(start + i);
        if ((rc = data_batch_fill(&t->batch, e, t->idx, B, err, errlen)) != BB_OK) break;
        int T = t->batch.T;
        if (t->ea.B != B || t->ea.T != T) { /* eval runs without dropout on its own activations */
            if ((rc = bert_acts_resize(&t->ea, t->m, B, T, 0, err, errlen)) != BB_OK) break;
            if (t->o.task != TRAIN_TASK_MLM && (rc = bert_cls_resize(&t->ec, t->m, B, T, t->o.pool, err, errlen))) break;
        }
        if (t->o.task == TRAIN_TASK_MLM) {
            free(sp), free(ws);
            sp = malloc((size_t)B * T), ws = malloc((size_t)B * T);
            if (!sp || !ws) {
                rc = bb_err(err, errlen, BB_ENOMEM, "out of memory");
                break;
            }
            data_batch_flags(&t->batch, e, t->idx, sp, ws);
            data_mask(&t->batch, sp, ws, &mo, &mrng);
        }
        float loss = 0;
        if ((rc = run_batch(t, &t->ea, &t->ec, 0, 1.0f, &loss, err, errlen)) != BB_OK) break;
        if (t->o.task == TRAIN_TASK_MLM) {
            loss_sum += (double)loss * t->h.n;
            weight += t->h.n;
            continue;
        }
        const bert_cls_acts *c = &t->ec;
        if (t->o.regression) {
            for (int r = 0; r < B; r++) pred[nreg] = c->logits[r], gold[nreg++] = t->batch.values[r];
            loss_sum += (double)loss * B;
            weight += B;
            continue;
        }
        long labelled = 0;
        for (int r = 0; r < c->rows; r++) {
            int y = t->batch.labels[r];
            if (y == -100) continue;
            const float *lg = c->logits + (size_t)r * K;
            int best = 0;
            for (int k = 1; k < K; k++)
                if (lg[k] > lg[best]) best = k;
            train_cls_metrics_add(&cm, best, y);
            labelled++;
        }
        loss_sum += (double)loss * labelled;
        weight += labelled;
    }
    free(sp), free(ws);
    if (rc == BB_OK) {
        ev->eval_loss = weight > 0 ? (float)(loss_sum / weight) : NAN;
        if (t->o.task == TRAIN_TASK_MLM) {
            ev->eval_perplexity = expf(ev->eval_loss);
        } else if (t->o.regression) {
            train_reg_metrics rm;
            train_reg_metrics_compute(&rm, pred, gold, nreg);
            ev->eval_mse = (float)rm.mse, ev->eval_pearson = (float)rm.pearson, ev->eval_spearman = (float)rm.spearman;
        } else {
            train_cls_metrics_finish(&cm);
            ev->eval_accuracy = (float)cm.accuracy;
            ev->eval_f1 = (float)cm.macro_f1;
            if (!t->confusion) t->confusion = malloc(sizeof(long) * (size_t)K * (size_t)K);
            if (t->confusion) memcpy(t->confusion, cm.confusion, sizeof(long) * (size_t)K * (size_t)K);
        }
    }
    train_cls_metrics_free(&cm);
    free(pred), free(gold);
    return rc;
}

/* The label names of a classification run's confusion matrix: the data's, or the ids. */
static void label_names(const trainer *t, char (*ids)[16], const char **names, int K) {
    for (int i = 0; i < K; i++) {
        names[i] = t->has_labels && i < t->lm.n ? t->lm.names[i] : NULL;
        if (!names[i]) {
            snprintf(ids[i], sizeof ids[i], "%d", i);
            names[i] = ids[i];
        }
    }
}

static int do_eval(trainer *t, char *err, size_t errlen) {
    train_event ev;
    int rc = trainer_evaluate(t, &ev, err, errlen);
    if (rc != BB_OK) return rc;
    ev.epoch = t->epoch + (double)t->batch_in_epoch / (double)t->batches_per_epoch;
    ev.elapsed_s = t->elapsed_before + (now_s() - t->t0);
    run_point p;
    trainer_event_point(t, &ev, &p);
    int K = t->m->cfg.num_labels;
    char (*ids)[16] = NULL;
    const char **names = NULL;
    if (t->o.task != TRAIN_TASK_MLM && !t->o.regression && t->confusion) { /* the line names labels and counts */
        ids = malloc(sizeof *ids * (size_t)K);
        names = malloc(sizeof *names * (size_t)K);
        if (!ids || !names) {
            free(ids), free(names);
            return bb_err(err, errlen, BB_ENOMEM, "out of memory");
        }
        label_names(t, ids, names, K);
        p.k = K, p.labels = names, p.confusion = t->confusion;
    }
    rc = write_metrics(t, &p, err, errlen);
    free(ids), free(names);
    if (rc != BB_OK) return rc;
    const char *tags[4] = {"eval/loss", "eval/perplexity"};
    float vals[4] = {ev.eval_loss, ev.eval_perplexity};
    if (t->o.task != TRAIN_TASK_MLM && t->o.regression)
        tags[1] = "eval/mse", tags[2] = "eval/pearson", tags[3] = "eval/spearman", vals[1] = ev.eval_mse,
        vals[2] = ev.eval_pearson, vals[3] = ev.eval_spearman;
    else if (t->o.task != TRAIN_TASK_MLM)
        tags[1] = "eval/accuracy", tags[2] = "eval/f1", vals[1] = ev.eval_accuracy, vals[2] = ev.eval_f1;
    int ntags = t->o.task == TRAIN_TASK_MLM ? 2 : t->o.regression ? 4 : 3;
    if ((rc = tfev_writer_scalars(t->events, ev.step, wall_s(), tags, vals, ntags, err, errlen)) != BB_OK) return rc;
    publish(t, &ev);
    if (ev.eval_loss < t->best_eval) { /* keep the best checkpoint by eval loss */
        t->best_eval = ev.eval_loss;
        char dir[1100];
        snprintf(dir, sizeof dir, "%s/best", t->out_dir);
        if ((rc = save_checkpoint(t, dir, 0, err, errlen)) != BB_OK) return rc;
    }
    return BB_OK;
}

static int do_save(trainer *t, char *err, size_t errlen) {
    char dir[1100];
    snprintf(dir, sizeof dir, "%s/checkpoint-%ld", t->out_dir, t->step);
    int rc = save_checkpoint(t, dir, 1, err, errlen);
    if (rc != BB_OK) return rc;
    train_event ev = {.kind = TRAIN_EV_CHECKPOINT, .step = t->step};
    copy_str(ev.msg, sizeof ev.msg, dir);
    publish(t, &ev);
    return BB_OK;
}

/* Why the loss stopped being a number: a damaged optimizer state (AdamW moments that are not finite,
 * e.g. an edited optimizer.safetensors) turns the weights into NaN on the next step whatever the
 * learning rate; only when the moments are sound is a too-high learning rate the likely cause. */
static const char *loss_cause(const trainer *t) {
    for (size_t i = 0; i < t->opt.n; i++)
        if (!isfinite(t->opt.m[i]) || !isfinite(t->opt.v[i]) || t->opt.v[i] < 0)
            return t->resume_dir[0] ? "the optimizer state resumed from the checkpoint holds values that are not finite"
                                    : "the optimizer state holds values that are not finite";
    return "learning rate too high?";
}

/* One optimizer step: grad_accum micro-batches, clipping, AdamW. */
static int train_step(trainer *t, float *loss_out, float *lr_out, float *norm_out, long *tokens, char *err,
                      size_t errlen) {
    ops_zero(t->grads, (long)t->m->num_params);
    double loss_sum = 0;
    int accum = t->o.grad_accum, rc;
    for (int k = 0; k < accum; k++) {
        if ((rc = next_batch(t, err, errlen)) != BB_OK) return rc;
        float loss = 0;
        t->a.rng = t->drop_rng;
        rc = run_batch(t, &t->a, &t->c, 1, 1.0f / (float)accum, &loss, err, errlen);
        t->drop_rng = t->a.rng;
        if (rc != BB_OK) return rc;
        loss_sum += loss;
        *tokens += t->batch.n_tokens;
    }
    *loss_out = (float)(loss_sum / accum);
    if (!isfinite(*loss_out))
        return bb_err(err, errlen, BB_EINVAL, "the loss became %g at step %ld (%s)", *loss_out, t->step + 1,
                      loss_cause(t));
    float coef;
    *norm_out = adamw_clip_coef(&t->opt, t->grads, t->o.max_grad_norm, &coef);
    *lr_out = train_lr_at(t->o.sched, t->o.adam.lr, t->step, t->warmup, t->total_steps);
    pthread_mutex_lock(&t->mu); /* trainer_copy_model reads the weights under mu */
    adamw_step_scaled(&t->opt, t->m->params_memory, t->grads, coef, *lr_out, &t->o.adam);
    t->step++;
    pthread_mutex_unlock(&t->mu);
    return BB_OK;
}

/* Handles pause / save-now / eval-now between steps; returns nonzero when asked to stop. */
static int between_steps(trainer *t, int *rc, char *err, size_t errlen) {
    int f = atomic_load(&t->flags);
    if (f & FLAG_PAUSE) {
        train_event ev = {.kind = TRAIN_EV_PAUSED, .step = t->step};
        publish(t, &ev);
        double p0 = now_s();
        pthread_mutex_lock(&t->mu);
        while ((atomic_load(&t->flags) & FLAG_PAUSE) && !bb_work_cancelled(&t->run)) pthread_cond_wait(&t->cv, &t->mu);
        pthread_mutex_unlock(&t->mu);
        t->t0 += now_s() - p0; /* paused time is not training time */
        ev.kind = TRAIN_EV_RESUMED;
        publish(t, &ev);
        f = atomic_load(&t->flags);
    }
    if (f & FLAG_SAVE) {
        atomic_fetch_and(&t->flags, ~FLAG_SAVE);
        if ((*rc = do_save(t, err, errlen)) != BB_OK) return 1;
    }
    if (f & FLAG_EVAL) {
        atomic_fetch_and(&t->flags, ~FLAG_EVAL);
        if (t->eev.n > 0 && (*rc = do_eval(t, err, errlen)) != BB_OK) return 1;
    }
    return bb_work_cancelled(&t->run);
}

static int run_loop(trainer *t, char *err, size_t errlen) {
    char path[1100];
    if (t->o.threads > 0) ops_set_threads(t->o.threads);
    snprintf(path, sizeof path, "%s/metrics.jsonl", t->out_dir);
    int rc = run_metrics_open(&t->metrics, path, 1000, err, errlen);
    if (rc != BB_OK) return rc;
    if ((rc = tfev_writer_open(&t->events, t->out_dir, err, errlen)) != BB_OK) return rc;
    run_point p;
    if (t->new_weights[0] && !t->resume_dir[0]) { /* which weights started from HF's init, not the checkpoint */
        run_point_init(&p);
        p.new_weights = t->new_weights;
        if ((rc = write_metrics(t, &p, err, errlen)) != BB_OK) return rc;
    }
    if (t->o.skip_invalid_utf8) { /* the file then says what the run did not see */
        trainer_skipped_point(t, &p);
        if ((rc = write_metrics(t, &p, err, errlen)) != BB_OK) return rc;
    }
    t->t0 = now_s();
    double last_t = t->t0;
    long tokens = 0, logged = 0;
    double loss_acc = 0;
    while (t->step < t->total_steps) {
        if (between_steps(t, &rc, err, errlen)) break;
        float loss = 0, lr = 0, norm = 0;
        if ((rc = train_step(t, &loss, &lr, &norm, &tokens, err, errlen)) != BB_OK) break;
        loss_acc += loss;
        logged++;
        int last = t->step == t->total_steps;
        if ((t->o.log_every > 0 && t->step % t->o.log_every == 0) || last) {
            double now = now_s();
            train_event ev = {.kind = TRAIN_EV_STEP, .step = t->step, .loss = (float)(loss_acc / logged), .lr = lr,
                              .grad_norm = norm};
            ev.epoch = t->epoch + (double)t->batch_in_epoch / (double)t->batches_per_epoch;
            ev.tokens_per_s = now > last_t ? (double)tokens / (now - last_t) : 0;
            ev.elapsed_s = t->elapsed_before + (now - t->t0);
            trainer_event_point(t, &ev, &p);
            if ((rc = write_metrics(t, &p, err, errlen)) != BB_OK) break;
            const char *tags[5] = {"train/loss", "train/learning_rate", "train/grad_norm", "train/epoch",
                                   "train/tokens_per_s"};
            float vals[5] = {ev.loss, ev.lr, ev.grad_norm, (float)ev.epoch, (float)ev.tokens_per_s};
            if ((rc = tfev_writer_scalars(t->events, ev.step, wall_s(), tags, vals, 5, err, errlen)) != BB_OK) break;
            publish(t, &ev);
            last_t = now, tokens = 0, logged = 0, loss_acc = 0;
        }
        if (t->o.eval_every > 0 && t->step % t->o.eval_every == 0 && t->eev.n > 0 && !last &&
            (rc = do_eval(t, err, errlen)) != BB_OK)
            break;
        if (t->o.save_every > 0 && t->step % t->o.save_every == 0 && !last && (rc = do_save(t, err, errlen)) != BB_OK)
            break;
    }
    int stopped = t->step < t->total_steps;
    if (rc == BB_OK && t->eev.n > 0 && !stopped) rc = do_eval(t, err, errlen);
    if (rc == BB_OK) rc = do_save(t, err, errlen); /* a checkpoint to resume from, also after a stop */
    if (rc == BB_OK && !stopped) {
        rc = save_checkpoint(t, t->out_dir, 0, err, errlen);
        if (rc == BB_OK) {
            train_event ev = {.kind = TRAIN_EV_CHECKPOINT, .step = t->step};
            copy_str(ev.msg, sizeof ev.msg, t->out_dir);
            publish(t, &ev);
        }
    }
    return rc;
}

static int finish(trainer *t, int rc, const char *msg) {
    train_event ev = {.kind = rc == BB_OK ? TRAIN_EV_FINISHED : TRAIN_EV_ERROR, .step = t->step};
    copy_str(ev.msg, sizeof ev.msg, rc == BB_OK ? (bb_work_cancelled(&t->run) ? "stopped" : "finished") : msg);
    publish(t, &ev);
    pthread_mutex_lock(&t->mu);
    t->st.running = 0;
    t->st.finished = 1;
    t->st.rc = rc;
    copy_str(t->st.error, sizeof t->st.error, rc == BB_OK ? "" : msg);
    pthread_mutex_unlock(&t->mu);
    return rc;
}

int trainer_run(trainer *t, char *err, size_t errlen) {
    char msg[512] = "";
    pthread_mutex_lock(&t->mu);
    t->st.started = t->st.running = 1;
    pthread_mutex_unlock(&t->mu);
    int rc = run_loop(t, msg, sizeof msg);
    if (rc != BB_OK && err && errlen) copy_str(err, errlen, msg);
    return finish(t, rc, msg);
}

static void *worker(void *arg) {
    trainer *t = arg;
    trainer_run(t, NULL, 0);
    return NULL;
}

int trainer_start(trainer *t, char *err, size_t errlen) {
    if (t->has_thread || t->st.started) return bb_err(err, errlen, BB_EINVAL, "the run was already started");
    pthread_mutex_lock(&t->mu);
    t->st.started = t->st.running = 1;
    pthread_mutex_unlock(&t->mu);
    int e = pthread_create(&t->th, NULL, worker, t);
    if (e) {
        t->st.started = t->st.running = 0;
        return bb_err(err, errlen, BB_ENOMEM, "cannot start the training thread: %s", strerror(e));
    }
    t->has_thread = 1;
    return BB_OK;
}

int trainer_wait(trainer *t, char *err, size_t errlen) {
    if (t->has_thread) {
        pthread_join(t->th, NULL);
        t->has_thread = 0;
    }
    if (t->st.rc != BB_OK) return bb_err(err, errlen, t->st.rc, "%s", t->st.error);
    return BB_OK;
}
