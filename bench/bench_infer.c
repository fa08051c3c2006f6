/* bertbench bench infer: interactive latency of fill-mask and attention capture (with summaries and
 * rollout) at a model shape with random weights and a synthetic vocabulary, at several lengths. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "infer.h"

static const char usage[] =
    "usage: bertbench bench infer [--shape base|small] [--reps N]\n"
    "Median latency of fill-mask (one [MASK], top 5) and of attention capture (every layer and head,\n"
    "summaries, rollout) on random weights: base = bert-base (12/768/12, vocab 30522), small = 4/256/4\n"
    "(vocab 8000); texts of 32 and 128 tokens. One JSON line per shape and length.\n";

/* A vocabulary of V tokens: the five specials at BERT's ids, then "w0", "w1", ... */
static char *synthetic_vocab(int V, size_t *len) {
    size_t cap = (size_t)V * 12 + 64, n = 0;
    char *s = malloc(cap);
    for (int i = 0; s && i < V; i++) {
        const char *sp = i == 0 ? "[PAD]" : i == 100 ? "[UNK]" : i == 101 ? "[CLS]" : i == 102 ? "[SEP]"
                                                                            : i == 103 ? "[MASK]" : NULL;
        n += sp ? (size_t)snprintf(s + n, cap - n, "%s\n", sp) : (size_t)snprintf(s + n, cap - n, "w%d\n", i);
    }
    *len = n;
    return s;
}

/* "w200 w201 ... [MASK] ..." giving T tokens with [CLS]/[SEP]. */
static char *synthetic_text(int T) {
    char *s = malloc((size_t)T * 12 + 16), *p = s;
    for (int i = 0; i < T - 2; i++) p += sprintf(p, i == (T - 2) / 2 ? "[MASK] " : "w%d ", 200 + i * 7);
    return s;
}

int bench_infer(int argc, char **argv) {
    int small = 0, reps = 10;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            fputs(usage, stdout);
            return 0;
        } else if (strcmp(argv[i], "--shape") == 0 && i + 1 < argc) {
            small = strcmp(argv[++i], "small") == 0;
        } else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc) {
            reps = atoi(argv[++i]);
            if (reps < 1 || reps > 1000) return bench_usage_error("bench infer", "--reps needs 1..1000");
        } else {
            return bench_usage_error("bench infer", "unknown option '%s'", argv[i]);
        }
    }
    int V = small ? 8000 : 30522;
    bert_config cfg;
    if (small)
        bert_config_default(&cfg, V, 256, 4, 4, 1024, 512);
    else
        bert_config_default(&cfg, V, 768, 12, 12, 3072, 512);
    char err[512];
    bert_model *m = NULL;
    tok_tokenizer *tk = NULL;
    infer_ctx *cx = NULL;
    size_t vlen;
    char *vocab = synthetic_vocab(V, &vlen);
    int rc = bert_create(&m, &cfg, 3, err, sizeof err);
    if (rc == BB_OK) rc = tok_load_vocab_mem(&tk, vocab, vlen, "synthetic vocab", 1, err, sizeof err);
    if (rc == BB_OK) rc = infer_wrap(&cx, m, tk, err, sizeof err);
    double *t = malloc(sizeof(double) * (size_t)reps);
    const int lengths[] = {32, 128};
    for (int li = 0; li < 2 && rc == BB_OK; li++) {
        char *text = synthetic_text(lengths[li]);
        infer_fill f;
        infer_attn at;
        double fill = 0, attn = 0;
        for (int pass = 0; pass < 2 && rc == BB_OK; pass++) {
            for (int r = 0; r < reps && rc == BB_OK; r++) {
                double t0 = bench_now();
                if (pass == 0) {
                    rc = infer_fill_mask(cx, text, 5, NULL, 0, &f, err, sizeof err);
                    if (rc == BB_OK) infer_fill_free(&f);
                } else {
                    rc = infer_attention(cx, text, NULL, &at, NULL, err, sizeof err);
                    if (rc == BB_OK) infer_attn_free(&at);
                }
                t[r] = bench_now() - t0;
            }
            if (rc == BB_OK) *(pass ? &attn : &fill) = bench_median(t, reps);
        }
        if (rc == BB_OK)
            printf("{\"shape\":\"%s\",\"tokens\":%d,\"fill_mask_ms\":%.2f,\"attention_ms\":%.2f}\n",
                   small ? "L4-H256" : "bert-base", lengths[li], fill * 1e3, attn * 1e3);
        free(text);
    }
    free(t);
    free(vocab);
    infer_close(cx);
    tok_free(tk);
    bert_free(m);
    return rc == BB_OK ? 0 : bench_fail("bench infer", "%s", err);
}
