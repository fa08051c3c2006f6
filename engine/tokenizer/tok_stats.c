/* tok_stats.c — corpus statistics for choosing max_length: tokens per text, what truncation would
 * cut on either side, [UNK] and byte-fallback rates, fertility (tokens per word). The texts are
 * encoded in blocks on the engine's threads; the counts are integers summed per block, so the result
 * is the serial one exactly, whatever the thread count. */
#include <ctype.h>
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "bb_pool.h"
#include "tok_internal.h"

static int cmp_int(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

int tok_is_byte_piece(const char *t) {
    return t && t[0] == '<' && t[1] == '0' && t[2] == 'x' && isxdigit((unsigned char)t[3]) &&
           isxdigit((unsigned char)t[4]) && t[5] == '>' && !t[6];
}

/* Words that lose at least one token when q (content tokens) is cut to keep tokens from one side. */
static long words_cut(const tok_encoding *e, int first, int n, int keep, tok_side side) {
    if (keep >= n) return 0;
    long cut = 0;
    int prev = -2;
    int a = side == TOK_SIDE_RIGHT ? first + keep : first, b = side == TOK_SIDE_RIGHT ? first + n : first + n - keep;
    for (int i = a; i < b; i++)
        if (e->words[i] != prev) cut++, prev = e->words[i];
    return cut;
}

enum { STATS_BLOCK = 256 }; /* texts per item of the parallel loop */

/* What a block of texts adds to the statistics. Every sum is an integer, so the blocks add up to the
 * serial totals exactly, whatever thread counted which block. */
typedef struct {
    long content, n_words, n_unk, n_bytes, n_over, cut_tokens, cut_words_right, cut_words_left;
    long long sum, sum2; /* tokens per text, and their squares */
} stats_part;

/* The first failure a worker met (it stops there; its blocks run in order, so it is its lowest). */
typedef struct {
    long block; /* -1: none */
    int rc;
    char msg[512];
} stats_fail;

typedef struct {
    const tok_tokenizer *tk;
    const char *const *texts;
    long n;
    int max_length, nadd;
    int *len;             /* (n) tokens per text */
    stats_part *parts;    /* (blocks) */
    tok_encoding **enc;   /* (pool's max threads) one scratch encoding per worker */
    stats_fail *fail;     /* (pool's max threads) */
    bb_work *work;
    atomic_long done;     /* texts counted so far, for progress */
} stats_job;

static void add_text(stats_part *p, const tok_tokenizer *tk, const tok_encoding *e, int nadd, int max_length) {
    p->sum += e->n, p->sum2 += (long long)e->n * e->n;
    int first = -1, nc = 0, maxw = -1;
    for (int i = 0; i < e->n; i++) {
        if (e->special[i] == TOK_ADDED) continue;
        if (first < 0) first = i;
        nc++;
        if (e->ids[i] == tk->unk && tk->unk >= 0) p->n_unk++;
        p->n_bytes += tok_is_byte_piece(e->tokens[i]);
        if (e->words[i] > maxw) maxw = e->words[i];
    }
    p->content += nc;
    p->n_words += maxw + 1;
    if (e->n > max_length) {
        p->n_over++;
        int keep = max_length - nadd > 0 ? max_length - nadd : 0;
        p->cut_tokens += nc - keep;
        p->cut_words_right += words_cut(e, first, nc, keep, TOK_SIDE_RIGHT);
        p->cut_words_left += words_cut(e, first, nc, keep, TOK_SIDE_LEFT);
    }
}

/* Blocks begin..end-1 on one worker; the calling thread (worker 0) reports progress. */
static void stats_share(void *ctx, long begin, long end, int worker) {
    stats_job *j = ctx;
    stats_fail *f = &j->fail[worker];
    tok_encoding *e = j->enc[worker] ? j->enc[worker] : (j->enc[worker] = tok_encoding_new());
    if (!e) {
        f->block = begin;
        f->rc = bb_err(f->msg, sizeof f->msg, BB_ENOMEM, "stats: out of memory");
        return;
    }
    e->work = j->work;
    for (long b = begin; b < end; b++) {
        if (worker == 0) bb_work_progress(j->work, "texts", atomic_load(&j->done), j->n);
        long t1 = (b + 1) * STATS_BLOCK < j->n ? (b + 1) * STATS_BLOCK : j->n;
        for (long t = b * STATS_BLOCK; t < t1; t++) {
            tok_options o = tok_options_default();
            int rc = bb_work_check(j->work, "stats", f->msg, sizeof f->msg);
            if (rc == BB_OK) rc = tok_encode(j->tk, j->texts[t], -1, NULL, 0, &o, e, f->msg, sizeof f->msg);
            if (rc != BB_OK) {
                f->block = b;
                f->rc = rc;
                return;
            }
            j->len[t] = e->n;
            add_text(&j->parts[b], j->tk, e, j->nadd, j->max_length);
        }
        atomic_fetch_add(&j->done, t1 - b * STATS_BLOCK);
    }
}

/* Encodes every text on the engine's pool (bb_pool.h) into job->len and job->parts; returns the error of
 * the lowest block that failed, as the serial loop would have met it first. */
static int count_texts(stats_job *j, char *err, size_t errlen) {
    long blocks = (j->n + STATS_BLOCK - 1) / STATS_BLOCK;
    bb_pool *pool = bb_pool_global();
    int workers = pool ? bb_pool_max_threads(pool) : 1;
    j->parts = calloc((size_t)blocks, sizeof *j->parts);
    j->enc = calloc((size_t)workers, sizeof *j->enc);
    j->fail = calloc((size_t)workers, sizeof *j->fail);
    if (!j->parts || !j->enc || !j->fail) return bb_err(err, errlen, BB_ENOMEM, "stats: out of memory");
    for (int w = 0; w < workers; w++) j->fail[w].block = -1;
    bb_pool_for(pool, blocks, 1, stats_share, j);
    const stats_fail *first = NULL;
    for (int w = 0; w < workers; w++)
        if (j->fail[w].block >= 0 && (!first || j->fail[w].block < first->block)) first = &j->fail[w];
    if (first) return bb_err(err, errlen, first->rc, "%s", first->msg);
    return BB_OK;
}

static void stats_job_free(stats_job *j) {
    bb_pool *pool = bb_pool_global();
    int workers = pool ? bb_pool_max_threads(pool) : 1;
    for (int w = 0; j->enc && w < workers; w++) tok_encoding_free(j->enc[w]);
    free(j->enc);
    free(j->fail);
    free(j->parts);
    free(j->len);
}

int tok_stats_compute(const tok_tokenizer *tk, const char *const *texts, long n, int max_length, tok_stats *out,
                      bb_work *work, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    out->max_length = max_length;
    if (n <= 0) return BB_OK;
    stats_job j = {.tk = tk, .texts = texts, .n = n, .max_length = max_length, .work = work};
    atomic_init(&j.done, 0);
    j.len = malloc(sizeof(int) * (size_t)n);
    for (int k = 0; k < tk->n_single; k++) j.nadd += tk->single[k].is_special;
    int rc = j.len ? count_texts(&j, err, errlen) : bb_err(err, errlen, BB_ENOMEM, "stats: out of memory");
    if (rc != BB_OK) {
        stats_job_free(&j);
        return rc;
    }
    stats_part t = {0};
    for (long b = 0; b < (n + STATS_BLOCK - 1) / STATS_BLOCK; b++) {
        const stats_part *p = &j.parts[b];
        t.content += p->content, t.n_words += p->n_words, t.n_unk += p->n_unk, t.n_bytes += p->n_bytes;
        t.n_over += p->n_over, t.cut_tokens += p->cut_tokens, t.cut_words_right += p->cut_words_right;
        t.cut_words_left += p->cut_words_left, t.sum += p->sum, t.sum2 += p->sum2;
    }
    out->n_unk = t.n_unk, out->n_bytes = t.n_bytes, out->n_words = t.n_words, out->n_over = t.n_over;
    out->cut_tokens = t.cut_tokens, out->cut_words_right = t.cut_words_right, out->cut_words_left = t.cut_words_left;
    double sum = (double)t.sum, sum2 = (double)t.sum2;
    long content = t.content;
    int *len = j.len;
    out->n_texts = n;
    out->n_tokens = (long)sum;
    out->mean = sum / (double)n;
    double var = sum2 / (double)n - out->mean * out->mean;
    out->std = var > 0 ? sqrt(var) : 0;
    out->unk_rate = content ? (double)out->n_unk / (double)content : 0;
    out->byte_rate = content ? (double)out->n_bytes / (double)content : 0;
    out->fertility = out->n_words ? (double)content / (double)out->n_words : 0;
    qsort(len, (size_t)n, sizeof *len, cmp_int);
    out->min = len[0], out->max = len[n - 1];
    out->q1 = len[(n - 1) / 4], out->median = len[(n - 1) / 2], out->q3 = len[(3 * (n - 1)) / 4];
    out->bin_width = out->max / TOK_STATS_BINS + 1;
    for (long i = 0; i < n; i++) out->hist[len[i] / out->bin_width]++;
    stats_job_free(&j);
    bb_work_progress(work, "texts", n, n);
    return BB_OK;
}
