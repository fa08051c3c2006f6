/* tok_stats.c — corpus statistics for choosing max_length: tokens per text, what truncation would
 * cut on either side, [UNK] and byte-fallback rates, fertility (tokens per word). */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

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

int tok_stats_compute(const tok_tokenizer *tk, const char *const *texts, long n, int max_length, tok_stats *out,
                      bb_work *work, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    out->max_length = max_length;
    if (n <= 0) return BB_OK;
    int *len = malloc(sizeof(int) * (size_t)n);
    tok_encoding *e = tok_encoding_new();
    if (!len || !e) {
        free(len), tok_encoding_free(e);
        return bb_err(err, errlen, BB_ENOMEM, "stats: out of memory");
    }
    e->work = work;
    int nadd = 0;
    for (int k = 0; k < tk->n_single; k++) nadd += tk->single[k].is_special;
    long content = 0;
    double sum = 0, sum2 = 0;
    for (long t = 0; t < n; t++) {
        if ((t & 63) == 0) bb_work_progress(work, "texts", t, n);
        tok_options o = tok_options_default();
        int rc = bb_work_check(work, "stats", err, errlen);
        if (rc == BB_OK) rc = tok_encode(tk, texts[t], -1, NULL, 0, &o, e, err, errlen);
        if (rc != BB_OK) {
            free(len), tok_encoding_free(e);
            return rc;
        }
        len[t] = e->n;
        sum += e->n, sum2 += (double)e->n * e->n;
        int first = -1, nc = 0, maxw = -1;
        for (int i = 0; i < e->n; i++) {
            if (e->special[i] == TOK_ADDED) continue;
            if (first < 0) first = i;
            nc++;
            if (e->ids[i] == tk->unk && tk->unk >= 0) out->n_unk++;
            out->n_bytes += tok_is_byte_piece(e->tokens[i]);
            if (e->words[i] > maxw) maxw = e->words[i];
        }
        content += nc;
        out->n_words += maxw + 1;
        if (e->n > max_length) {
            out->n_over++;
            int keep = max_length - nadd > 0 ? max_length - nadd : 0;
            out->cut_tokens += nc - keep;
            out->cut_words_right += words_cut(e, first, nc, keep, TOK_SIDE_RIGHT);
            out->cut_words_left += words_cut(e, first, nc, keep, TOK_SIDE_LEFT);
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
    bb_work_progress(work, "texts", n, n);
    return BB_OK;
}
