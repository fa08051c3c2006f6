/* Where a session goes when nobody named one: the XDG data directory, not the current directory. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bb_err.h"
#include "session.h"

/* mkdir -p with 0700 for what it creates (the XDG base directory spec's mode); BB_EIO names the part
 * that failed or is not a directory. */
static int mkdir_parents(char *path, char *err, size_t errlen) {
    for (char *p = path + 1;; p++) {
        if (*p != '/' && *p) continue;
        char c = *p;
        *p = 0;
        struct stat st;
        int bad = mkdir(path, 0700) != 0 && errno != EEXIST;
        int e = errno;
        if (!bad && (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))) bad = 1, e = ENOTDIR;
        if (bad) {
            int rc = bb_err(err, errlen, BB_EIO, "%s: cannot create the sessions directory: %s", path, strerror(e));
            *p = c;
            return rc;
        }
        *p = c;
        if (!c) return BB_OK;
    }
}

int sess_data_dir(char *buf, size_t n, char *err, size_t errlen) {
    /* the spec ignores a relative XDG_DATA_HOME; a relative HOME would put the session under the
     * current directory again */
    const char *x = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
    int k;
    if (x && x[0] == '/')
        k = snprintf(buf, n, "%s/bertbench/sessions", x);
    else if (home && home[0] == '/')
        k = snprintf(buf, n, "%s/.local/share/bertbench/sessions", home);
    else
        return bb_err(err, errlen, BB_EINVAL, "no place for a new session: neither XDG_DATA_HOME nor HOME is an "
                      "absolute path (give --session PATH or `save PATH`)");
    if (k < 0 || (size_t)k >= n) return bb_err(err, errlen, BB_EINVAL, "the sessions directory's path is too long");
    return mkdir_parents(buf, err, errlen);
}
