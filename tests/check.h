/* check.h — the test harness: CHECK records a failure and goes on; check_done() returns the exit
 * status (non-zero on any failure), so a test cannot pass by accident. Fixture helpers SKIP (exit 77,
 * meson's skip code) when ../shared/fixtures is absent, except under CI=true where that fails. */
#ifndef BB_CHECK_H
#define BB_CHECK_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int check_failures_;
static int check_count_;

#define CHECK(cond, ...)                                                          \
    do {                                                                          \
        check_count_++;                                                           \
        if (!(cond)) {                                                            \
            check_failures_++;                                                    \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);       \
            fprintf(stderr, __VA_ARGS__);                                         \
            fputc('\n', stderr);                                                  \
        }                                                                         \
    } while (0)

#define CHECK_OK(expr, errbuf)                                                    \
    do {                                                                          \
        int check_rc_ = (expr);                                                   \
        CHECK(check_rc_ == 0, "%s -> %d: %s", #expr, check_rc_, (errbuf));        \
    } while (0)

static inline int check_done(void) {
    fprintf(stderr, "%d checks, %d failed\n", check_count_, check_failures_);
    return check_failures_ ? 1 : 0;
}

/* Returns the fixtures directory, or exits 77 (SKIP) / 1 (under CI=true) when it is absent. */
static inline const char *check_fixtures(void) {
    const char *dir = getenv("BERTBENCH_FIXTURES");
#ifdef BB_FIXTURES_DIR
    if (!dir || !*dir) dir = BB_FIXTURES_DIR;
#endif
    struct stat st;
    if (dir && stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) return dir;
    const char *ci = getenv("CI");
    if (ci && strcmp(ci, "true") == 0) {
        fprintf(stderr, "FAIL: fixtures directory %s is missing (required under CI=true)\n",
                dir ? dir : "(unset)");
        exit(1);
    }
    printf("SKIP: fixtures directory %s not found (set BERTBENCH_FIXTURES)\n", dir ? dir : "(unset)");
    exit(77);
}

/* The whole file at path (*n bytes; a failed open or read is a recorded failure). */
static inline unsigned char *check_slurp(const char *path, size_t *n) {
    *n = 0;
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL, "open %s", path);
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(*n ? *n : 1);
    CHECK(b && fread(b, 1, *n, f) == *n, "read %s", path);
    fclose(f);
    return b;
}

/* Max |a-b| over n floats. */
static inline double check_maxdiff(const float *a, const float *b, long n) {
    double m = 0;
    for (long i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (d > m || d != d) m = d != d ? INFINITY : d;
    }
    return m;
}

#endif
