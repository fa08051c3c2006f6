/* bertbench bench train: MLM training throughput (forward, MLM head on the masked positions only,
 * backward, clipping, AdamW) at block size 128 for an L4/H256 and a bert-base shape, with the same
 * run's sgemm peak. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adamw.h"
#include "heads.h"
#include "bb_err.h"
#include "bench.h"
#include "bert.h"
#include "data.h"
#include "ops.h"

static const char usage[] =
    "usage: bertbench bench train [--shape small|base|all] [--seq T] [--batch B] [--reps N]\n"
    "MLM training steps on random weights and tokens (15% dynamic masking, logits only for the masked\n"
    "positions, AdamW with clipping): small = 4 layers, hidden 256, batch 16; base = bert-base, batch 8;\n"
    "block size 128. One JSON line per shape:\n"
    "{\"shape\",\"layers\",\"hidden\",\"batch\",\"seq\",\"step_s\",\"tokens_per_s\",\"gflops\",\"sgemm_gflops\",\"ratio\"}.\n";

/* Training FLOPs of one step: 3x the encoder forward (forward, input and weight gradients) plus the
 * MLM head on n masked rows (transform C x C and decoder C x V). */
static double train_flops(int L, int C, int I, int V, int B, int T, int n) {
    return 3.0 * (bench_forward_flops(L, C, I, B, T) + 2.0 * n * ((double)C * C + (double)C * V));
}

static int run_shape(const char *name, int L, int C, int NH, int B, int T, int reps, double sgemm) {
    const char *cmd = "bench train";
    int V = 30522, I = 4 * C;
    bert_config cfg;
    bert_config_default(&cfg, V, C, L, NH, I, T > 512 ? T : 512);
    cfg.hidden_dropout = cfg.attn_dropout = 0.1f;
    char err[512];
    bert_model *m = NULL;
    if (bert_create(&m, &cfg, 1, err, sizeof err) != BB_OK) return bench_fail(cmd, "%s", err);
    bert_acts a;
    bert_bwd w;
    bert_mlm_acts h = {0};
    adamw_state opt;
    int rc = bert_acts_alloc(&a, m, B, T, 1, err, sizeof err);
    bb_rng_seed(&a.rng, 7); /* the dropout stream: an unseeded (all-zero) state draws only zeros, dropping everything */
    if (rc == BB_OK) rc = bert_bwd_alloc(&w, m, B, T, err, sizeof err);
    if (rc == BB_OK) rc = adamw_init(&opt, m, err, sizeof err);
    float *grads = calloc(m->num_params, sizeof(float));
    int32_t *ids = malloc(sizeof(int32_t) * B * T), *labels = malloc(sizeof(int32_t) * B * T);
    uint8_t *special = calloc((size_t)B * T, 1), *word_start = malloc((size_t)B * T);
    if (rc == BB_OK && (!grads || !ids || !labels || !special || !word_start)) rc = bb_err(err, sizeof err, BB_ENOMEM, "out of memory");
    double *times = malloc(sizeof(double) * (size_t)(reps + 1));
    bb_rng rng;
    bb_rng_seed(&rng, 5);
    bert_params g;
    bert_params_point(&g, grads, m->param_sizes);
    adamw_set_active(&opt, BERT_P_POOLW, 0);
    adamw_set_active(&opt, BERT_P_POOLB, 0);
    adamw_set_active(&opt, BERT_P_NSPW, 0);
    adamw_set_active(&opt, BERT_P_NSPB, 0);
    adamw_hparams hp = adamw_hparams_default();
    hp.weight_decay = 0.01f;
    memset(word_start, 1, (size_t)B * T);
    for (int b = 0; b < B; b++) special[b * T] = special[b * T + T - 1] = 1; /* [CLS], [SEP] */
    data_batch batch = {.B = B, .T = T, .ids = ids, .labels = labels};
    data_mask_opts mo = {.prob = 0.15f, .mask_id = 103, .vocab_size = V};
    long masked = 0;
    for (int r = 0; r <= reps && rc == BB_OK; r++) { /* r == 0 warms up */
        for (int i = 0; i < B * T; i++) ids[i] = 1000 + (int32_t)bb_rng_below(&rng, (uint32_t)(V - 1000));
        data_mask(&batch, special, word_start, &mo, &rng);
        double t0 = bench_now();
        float loss;
        ops_zero(grads, (long)m->num_params);
        rc = bert_forward(m, &a, ids, NULL, NULL, B, T, err, sizeof err);
        if (rc == BB_OK) rc = bert_mlm_forward(m, &h, &a, labels, &loss, NULL, err, sizeof err);
        if (rc != BB_OK) break;
        bert_bwd_zero(&w, m);
        bert_mlm_backward(m, &g, &h, &w, 1.0f, 0);
        bert_backward(m, &g, &a, &w, ids, NULL, 0, 0, 0);
        float coef; /* clipping folded into the step, as the trainer does */
        adamw_clip_coef(&opt, grads, 1.0f, &coef);
        adamw_step_scaled(&opt, m->params_memory, grads, coef, 1e-4f, &hp);
        if (r > 0) times[r - 1] = bench_now() - t0, masked += h.n;
    }
    if (rc == BB_OK) {
        double med = bench_median(times, reps);
        double gf = train_flops(L, C, I, V, B, T, (int)(masked / reps)) / med / 1e9;
        printf("{\"shape\":\"%s\",\"layers\":%d,\"hidden\":%d,\"batch\":%d,\"seq\":%d,\"masked_per_step\":%.1f,"
               "\"step_s\":%.4f,\"tokens_per_s\":%.1f,\"gflops\":%.2f,\"sgemm_gflops\":%.2f,\"ratio\":%.3f}\n",
               name, L, C, B, T, (double)masked / reps, med, B * T / med, gf, sgemm, gf / sgemm);
        fflush(stdout);
    }
    free(times), free(grads), free(ids), free(labels), free(special), free(word_start);
    bert_mlm_acts_free(&h);
    adamw_free(&opt);
    bert_bwd_free(&w);
    bert_acts_free(&a);
    bert_free(m);
    bert_config_free(&cfg);
    return rc == BB_OK ? 0 : bench_fail(cmd, "%s", err);
}

int bench_train(int argc, char **argv) {
    const char *shape = "all";
    int T = 128, B = 0, reps = 3;
    for (int i = 1; i < argc; i += 2) { /* OPTION VALUE pairs */
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help")) {
            fputs(usage, stdout);
            return 0;
        }
        if (!v) return bench_usage_error("bench train", "unknown option or missing value '%s'", a);
        char *end;
        long n = strtol(v, &end, 10);
        if (!strcmp(a, "--shape")) shape = v;
        else if (*end || n < 1 || n > 4096) return bench_usage_error("bench train", "%s %s: expected 1..4096", a, v);
        else if (!strcmp(a, "--seq")) T = (int)n;
        else if (!strcmp(a, "--batch")) B = (int)n;
        else if (!strcmp(a, "--reps")) reps = (int)n;
        else return bench_usage_error("bench train", "unknown option '%s'", a);
    }
    int small = !strcmp(shape, "small") || !strcmp(shape, "all"), base = !strcmp(shape, "base") || !strcmp(shape, "all");
    if (!small && !base) return bench_usage_error("bench train", "--shape %s: expected small, base or all", shape);
    double sg = bench_sgemm_gflops(5);
    int rc = 0;
    if (small) rc = run_shape("L4-H256", 4, 256, 4, B ? B : 16, T, reps, sg);
    if (base && rc == 0) rc = run_shape("bert-base", 12, 768, 12, B ? B : 8, T, reps, sg);
    return rc;
}
