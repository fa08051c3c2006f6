#include "bb_model_dir.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bb_err.h"

#ifndef BB_BUNDLED_MODEL_FROM_EXE
#define BB_BUNDLED_MODEL_FROM_EXE "../share/bertbench/models/bert-brown-small"
#endif

int bb_exe_dir(char *dir, size_t dirlen, char *err, size_t errlen) {
    if (dirlen < 2) return bb_err(err, errlen, BB_EINVAL, "executable directory: buffer too small");
    ssize_t n = readlink("/proc/self/exe", dir, dirlen - 1);
    if (n < 0) return bb_err(err, errlen, BB_EIO, "/proc/self/exe: %s", strerror(errno));
    if ((size_t)n >= dirlen - 1) return bb_err(err, errlen, BB_EINVAL, "/proc/self/exe: path too long");
    dir[n] = '\0';
    char *slash = strrchr(dir, '/');
    if (!slash) return bb_err(err, errlen, BB_EIO, "/proc/self/exe: not an absolute path: %s", dir);
    slash[slash == dir] = '\0'; /* "/bertbench" keeps its "/" */
    return BB_OK;
}

int bb_model_default(char *dir, size_t dirlen, char *err, size_t errlen) {
    const char *env = getenv("BERTBENCH_MODEL");
    if (env && *env) {
        if ((size_t)snprintf(dir, dirlen, "%s", env) >= dirlen)
            return bb_err(err, errlen, BB_EINVAL, "BERTBENCH_MODEL: path too long");
        return BB_OK;
    }
    char exe[4096], why[512], cfg[4200];
    if (bb_exe_dir(exe, sizeof exe, why, sizeof why) != BB_OK)
        return bb_err(err, errlen, BB_EIO,
                      "no model found: give one with --model DIR or BERTBENCH_MODEL=DIR (BERTBENCH_MODEL is not set; "
                      "the bundled model cannot be located: %s)", why);
    const char *rel = BB_BUNDLED_MODEL_FROM_EXE;
    int n = rel[0] == '/' ? snprintf(dir, dirlen, "%s", rel) : snprintf(dir, dirlen, "%s/%s", exe, rel);
    if (n < 0 || (size_t)n >= dirlen) return bb_err(err, errlen, BB_EINVAL, "bundled model: path too long");
    snprintf(cfg, sizeof cfg, "%s/config.json", dir);
    if (access(cfg, R_OK) != 0)
        return bb_err(err, errlen, BB_EIO,
                      "no model found: give one with --model DIR or BERTBENCH_MODEL=DIR (BERTBENCH_MODEL is not set; "
                      "no bundled model at %s: %s)", dir, strerror(errno));
    /* without the "bin/.." detour, as messages and sessions show it */
    char *real = realpath(dir, NULL);
    if (real && strlen(real) < dirlen) memcpy(dir, real, strlen(real) + 1);
    free(real);
    return BB_OK;
}
