/* libFuzzer target: a session directory built from the input — session.json, then (after a NUL byte)
 * runs/r/run.json, then (after a second NUL) runs/r/metrics.jsonl — opened with sess_open, changed and
 * saved; the metrics file is read as a series. Runs in /dev/shm; nothing may appear outside the session. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bb_err.h"
#include "run_metrics.h"
#include "session.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void rm_tree(const char *path) {
    DIR *d = opendir(path);
    if (d) {
        struct dirent *e;
        char sub[512];
        while ((e = readdir(d)))
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
                snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
                rm_tree(sub);
            }
        closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

static void put(const char *path, const uint8_t *p, size_t n) {
    FILE *fp = fopen(path, "wb");
    if (!fp) abort();
    if (n && fwrite(p, 1, n, fp) != n) abort();
    fclose(fp);
}

/* Pieces of the input split at NUL bytes (the last piece runs to the end). */
static size_t piece(const uint8_t *data, size_t size, size_t *pos) {
    const uint8_t *z = *pos < size ? memchr(data + *pos, 0, size - *pos) : NULL;
    size_t start = *pos, end = z ? (size_t)(z - data) : size;
    *pos = z ? end + 1 : size;
    return end - start;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char root[64], dir[96], path[160], err[512];
    snprintf(root, sizeof root, "/dev/shm/bb_fuzz_sess_%d", (int)getpid());
    snprintf(dir, sizeof dir, "%s/s.bbs", root);
    rm_tree(root);
    if (mkdir(root, 0700) || mkdir(dir, 0700)) abort();
    snprintf(path, sizeof path, "%s/runs", dir);
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/runs/r", dir);
    mkdir(path, 0700);
    size_t pos = 0, n;
    n = piece(data, size, &pos);
    snprintf(path, sizeof path, "%s/session.json", dir);
    put(path, data, n);
    size_t at = pos;
    n = piece(data, size, &pos);
    snprintf(path, sizeof path, "%s/runs/r/run.json", dir);
    if (at < size) put(path, data + at, n);
    at = pos;
    n = piece(data, size, &pos);
    snprintf(path, sizeof path, "%s/runs/r/metrics.jsonl", dir);
    if (at < size) {
        put(path, data + at, n);
        run_metrics_table ser;
        if (run_metrics_read(&ser, path, err, sizeof err) == BB_OK) run_metrics_table_free(&ser);
    }
    sess_session *s = NULL;
    if (sess_open(&s, dir, 0, err, sizeof err) == BB_OK) {
        sess_history_add(s, "mask The cat sat on the [MASK].");
        sess_pin_add(s, "pinned");
        sess_setting_set(s, "k", "v");
        sess_run_list(s, NULL, NULL, err, sizeof err);
        sess_save(s, err, sizeof err);
        sess_free(s);
        sess_session *again = NULL;
        if (sess_open(&again, dir, SESS_OPEN_READ_ONLY, err, sizeof err) == BB_OK) sess_free(again);
    }
    /* Only s.bbs may exist under root: a run name must never reach outside the session. */
    DIR *d = opendir(root);
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strcmp(e->d_name, "s.bbs")) abort();
    if (d) closedir(d);
    return 0;
}
