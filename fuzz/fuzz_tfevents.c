/* libFuzzer target: the input is a TensorBoard event file (TFRecord framing, Event protobufs). It is
 * read whole, then again in two parts split where the first byte says (as a writer appends while it is
 * read: the torn record at the split must wait, not fail), the points collected into a run_series;
 * both reads must agree on the records, points and damage; the file is also parsed as a
 * trainer_state.json, the other run file the readers take from another machine. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bb_err.h"
#include "hf_state.h"
#include "run_series.h"
#include "tfevents.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int add(void *user, const char *tag, int64_t step, double wall, double value) {
    return run_series_add(user, tag, (long)step, wall, value);
}

static int row(void *user, long step, const char *const *keys, const double *values, int n) {
    for (int i = 0; i < n; i++)
        if (run_series_add(user, keys[i], step, 0, values[i]) != BB_OK) return BB_ENOMEM;
    return BB_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char err[256];
    tfev_file *a, *b;
    if (tfev_file_open(&a, "whole", err, sizeof err) != BB_OK) return 0;
    if (tfev_file_open(&b, "parts", err, sizeof err) != BB_OK) {
        tfev_file_free(a);
        return 0;
    }
    run_series sa = {0}, sb = {0};
    size_t used_a = 0, used_b = 0, used_c = 0;
    int ra = tfev_parse(a, data, size, &used_a, add, &sa);
    size_t split = size ? (size_t)data[0] * size / 256 : 0;
    int rb = tfev_parse(b, data, split, &used_b, add, &sb);
    if (rb == BB_OK) rb = tfev_parse(b, data + used_b, size - used_b, &used_c, add, &sb);
    if (used_a > size || used_b > split || used_b + used_c > size) abort();
    /* A record split in two is read once both parts are there: the same records either way, unless
     * damage made the first read resynchronise somewhere else (then only the counts are bounded). */
    if (ra == BB_OK && rb == BB_OK && a->corrupt == 0 && b->corrupt == 0 &&
        (a->records != b->records || a->points != b->points || used_a != used_b + used_c))
        abort();
    run_series_free(&sa);
    run_series_free(&sb);
    tfev_file_free(a);
    tfev_file_free(b);
    hf_state st;
    run_series sc = {0};
    hf_state_parse(&st, (const char *)data, size, "fuzz.json", row, &sc, err, sizeof err);
    run_series_free(&sc);
    return 0;
}
