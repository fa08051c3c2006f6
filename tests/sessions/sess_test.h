/* sess_test.h — scratch directories and file helpers for the sessions tests. */
#ifndef BB_SESS_TEST_H
#define BB_SESS_TEST_H

#define _GNU_SOURCE
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int rm_one_(const char *p, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb, (void)flag, (void)ftw;
    return remove(p);
}

static void rm_rf(const char *dir) { nftw(dir, rm_one_, 16, FTW_DEPTH | FTW_PHYS); }

/* A fresh directory under $TMPDIR (or /tmp); name into buf. */
static void make_tmpdir(char *buf, size_t n, const char *tag) {
    const char *t = getenv("TMPDIR");
    snprintf(buf, n, "%s/bb_%s_XXXXXX", t && *t ? t : "/tmp", tag);
    if (!mkdtemp(buf)) {
        perror(buf);
        exit(1);
    }
}

/* Whole file, NUL-terminated; NULL when unreadable. */
static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    if (b) b[n] = 0;
    if (len) *len = (size_t)n;
    return b;
}

static void put_file(const char *path, const char *text, size_t n) {
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(text, 1, n, f) != n || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}

/* 1 when path holds exactly (want, n). */
static int same_bytes(const char *path, const char *want, size_t n) {
    size_t len;
    char *b = slurp(path, &len);
    int same = b && len == n && memcmp(b, want, n) == 0;
    free(b);
    return same;
}

#endif
