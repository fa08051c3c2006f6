/* tok_stats_compute counts blocks of texts on the engine's threads; its result must be exactly the
 * serial one: every field equal, at 1 and at every available thread count, to a plain loop over the
 * texts (the computation as it was before it went parallel, kept here as the reference), on the bundled
 * model's tokenizer over 5,000 generated texts (empty ones, ones over max_length, unknown characters),
 * and on a corpus of one text. A failure is reported as the serial loop meets it: cancelled. */
#include <stdint.h>

#include "bb_err.h"
#include "bb_pool.h"
#include "bb_rng.h"
#include "check.h"
#include "tok.h"

static int cmp_int(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static long words_cut(const tok_encoding *e, int first, int n, int keep, int right) {
    if (keep >= n) return 0;
    long cut = 0;
    int prev = -2;
    int a = right ? first + keep : first, b = right ? first + n : first + n - keep;
    for (int i = a; i < b; i++)
        if (e->words[i] != prev) cut++, prev = e->words[i];
    return cut;
}

/* The serial reference: one encoding after the other, sums in the order of the texts. */
static void reference(const tok_tokenizer *tk, char **texts, long n, int max_length, tok_stats *out) {
    memset(out, 0, sizeof *out);
    out->max_length = max_length;
    int *len = malloc(sizeof(int) * (size_t)n);
    tok_encoding *e = tok_encoding_new();
    char err[256];
    int nadd = 0;
    tok_encoding *probe = tok_encoding_new();
    tok_options po = tok_options_default();
    CHECK_OK(tok_encode(tk, "", -1, NULL, 0, &po, probe, err, sizeof err), err);
    nadd = probe->n; /* the specials of a single text */
    tok_encoding_free(probe);
    int unk = tok_token_to_id(tk, "[UNK]");
    long content = 0;
    double sum = 0, sum2 = 0;
    for (long t = 0; t < n; t++) {
        tok_options o = tok_options_default();
        CHECK_OK(tok_encode(tk, texts[t], -1, NULL, 0, &o, e, err, sizeof err), err);
        len[t] = e->n;
        sum += e->n, sum2 += (double)e->n * e->n;
        int first = -1, nc = 0, maxw = -1;
        for (int i = 0; i < e->n; i++) {
            if (e->special[i] == TOK_ADDED) continue;
            if (first < 0) first = i;
            nc++;
            if (e->ids[i] == unk && unk >= 0) out->n_unk++;
            out->n_bytes += tok_is_byte_piece(e->tokens[i]);
            if (e->words[i] > maxw) maxw = e->words[i];
        }
        content += nc;
        out->n_words += maxw + 1;
        if (e->n > max_length) {
            out->n_over++;
            int keep = max_length - nadd > 0 ? max_length - nadd : 0;
            out->cut_tokens += nc - keep;
            out->cut_words_right += words_cut(e, first, nc, keep, 1);
            out->cut_words_left += words_cut(e, first, nc, keep, 0);
        }
    }
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
    for (long t = 0; t < n; t++) out->hist[len[t] / out->bin_width]++;
    free(len);
    tok_encoding_free(e);
}

static int same(const tok_stats *a, const tok_stats *b) {
    int ok = a->n_texts == b->n_texts && a->n_tokens == b->n_tokens && a->n_words == b->n_words &&
             a->n_unk == b->n_unk && a->n_bytes == b->n_bytes && a->mean == b->mean && a->std == b->std &&
             a->min == b->min && a->q1 == b->q1 && a->median == b->median && a->q3 == b->q3 && a->max == b->max &&
             a->max_length == b->max_length && a->n_over == b->n_over && a->cut_tokens == b->cut_tokens &&
             a->cut_words_right == b->cut_words_right && a->cut_words_left == b->cut_words_left &&
             a->unk_rate == b->unk_rate && a->byte_rate == b->byte_rate && a->fertility == b->fertility &&
             a->bin_width == b->bin_width;
    for (int i = 0; i < TOK_STATS_BINS; i++) ok = ok && a->hist[i] == b->hist[i];
    return ok;
}

static char **corpus(long n) {
    static const char *const words[] = {"the", "cat", "sat", "on", "mat", "running", "unbelievable", "café",
                                        "東京", "🙂", "xqzj", ",", ".", "antidisestablishment", "and", "of"};
    char **t = calloc((size_t)n, sizeof *t);
    bb_rng rng;
    bb_rng_seed(&rng, 19);
    for (long i = 0; i < n; i++) {
        int nw = i % 97 == 0 ? 0 : (int)bb_rng_below(&rng, i % 13 == 0 ? 60 : 12); /* some empty, some long */
        t[i] = malloc((size_t)nw * 24 + 1);
        t[i][0] = 0;
        for (int w = 0; w < nw; w++) {
            strcat(t[i], words[bb_rng_below(&rng, sizeof words / sizeof *words)]);
            strcat(t[i], " ");
        }
    }
    return t;
}

int main(void) {
    char err[512];
    tok_tokenizer *tk = NULL;
    CHECK_OK(tok_load_any(&tk, BB_SOURCE_DIR "/models/bert-brown-small", TOK_CASE_AUTO, err, sizeof err), err);
    if (!tk) return check_done();
    enum { N = 5000, MAXLEN = 24 };
    char **texts = corpus(N);
    tok_stats want, got;
    reference(tk, texts, N, MAXLEN, &want);
    CHECK(want.n_over > 0 && want.min < want.max && want.n_unk > 0, "the corpus exercises truncation and [UNK]");
    bb_pool *pool = bb_pool_global();
    int maxt = bb_pool_max_threads(pool);
    for (int threads = 1; threads <= (maxt > 4 ? maxt : 4); threads++) {
        bb_pool_set_threads(pool, threads);
        CHECK_OK(tok_stats_compute(tk, (const char *const *)texts, N, MAXLEN, &got, NULL, err, sizeof err), err);
        CHECK(same(&got, &want), "%d threads (of %d): the serial statistics exactly (%ld tokens, want %ld)", threads,
              bb_pool_threads(pool), got.n_tokens, want.n_tokens);
        CHECK_OK(tok_stats_compute(tk, (const char *const *)texts + 7, 1, MAXLEN, &got, NULL, err, sizeof err), err);
        reference(tk, texts + 7, 1, MAXLEN, &want);
        CHECK(same(&got, &want), "%d threads: one text", threads);
        reference(tk, texts, N, MAXLEN, &want);
        bb_work w;
        bb_work_init(&w, NULL, NULL);
        bb_work_cancel(&w);
        err[0] = 0;
        int rc = tok_stats_compute(tk, (const char *const *)texts, N, MAXLEN, &got, &w, err, sizeof err);
        CHECK(rc == BB_ECANCEL && strstr(err, "stats: cancelled"), "%d threads: cancelled: %d %s", threads, rc, err);
    }
    for (long i = 0; i < N; i++) free(texts[i]);
    free(texts);
    tok_free(tk);
    return check_done();
}
