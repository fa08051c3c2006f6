/* Regular files only (see bb_file.h). */
#include "bb_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bb_err.h"

static const char *kind_of(mode_t m) {
    if (S_ISDIR(m)) return "a directory";
    if (S_ISFIFO(m)) return "a FIFO";
    if (S_ISCHR(m)) return "a character device";
    if (S_ISBLK(m)) return "a block device";
    if (S_ISSOCK(m)) return "a socket";
    return "not a plain file";
}

static int not_regular(const char *path, mode_t m, char *err, size_t errlen) {
    if (S_ISDIR(m)) return bb_err(err, errlen, BB_EIO, "%s: is a directory, not a file", path);
    return bb_err(err, errlen, BB_EIO, "%s: is %s, not a regular file", path, kind_of(m));
}

/* "cannot open" with the reason; a link that leads nowhere or in a circle says so. */
static int open_error(const char *path, int e, char *err, size_t errlen) {
    struct stat lst;
    if (e == ENOENT && lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode))
        return bb_err(err, errlen, BB_EIO, "%s: a symbolic link to a file that does not exist", path);
    if (e == ELOOP) return bb_err(err, errlen, BB_EIO, "%s: a loop of symbolic links", path);
    return bb_err(err, errlen, BB_EIO, "%s: cannot open: %s", path, strerror(e));
}

int bb_check_regular(const char *path, char *err, size_t errlen) {
    struct stat st;
    if (stat(path, &st) != 0) return open_error(path, errno, err, errlen);
    return S_ISREG(st.st_mode) ? BB_OK : not_regular(path, st.st_mode, err, errlen);
}

int bb_path_exists(const char *path) {
    struct stat st;
    return lstat(path, &st) == 0;
}

int bb_open_regular(const char *path, int *fd, char *err, size_t errlen) {
    *fd = -1;
    /* O_NONBLOCK: opening a FIFO without a writer must not wait for one */
    int f = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (f < 0) return open_error(path, errno, err, errlen);
    struct stat sb;
    if (fstat(f, &sb) != 0) {
        int e = errno;
        close(f);
        return bb_err(err, errlen, BB_EIO, "%s: cannot stat: %s", path, strerror(e));
    }
    if (!S_ISREG(sb.st_mode)) {
        close(f);
        return not_regular(path, sb.st_mode, err, errlen);
    }
    int fl = fcntl(f, F_GETFL);
    if (fl != -1) fcntl(f, F_SETFL, fl & ~O_NONBLOCK);
    *fd = f;
    return BB_OK;
}

int bb_fopen_regular(const char *path, FILE **fp, char *err, size_t errlen) {
    int fd, rc = bb_open_regular(path, &fd, err, errlen);
    *fp = NULL;
    if (rc != BB_OK) return rc;
    if (!(*fp = fdopen(fd, "rb"))) {
        int e = errno;
        close(fd);
        return bb_err(err, errlen, BB_ENOMEM, "%s: cannot open: %s", path, strerror(e));
    }
    return BB_OK;
}

static int too_big(const char *path, size_t limit, char *err, size_t errlen) {
    if (limit >= (1u << 20)) return bb_err(err, errlen, BB_EFORMAT, "%s: larger than %zu MB", path, limit >> 20);
    return bb_err(err, errlen, BB_EFORMAT, "%s: larger than %zu bytes", path, limit);
}

int bb_read_file(const char *path, size_t limit, char **buf, size_t *len, char *err, size_t errlen) {
    *buf = NULL;
    *len = 0;
    int fd, rc = bb_open_regular(path, &fd, err, errlen);
    if (rc != BB_OK) return rc;
    struct stat sb;
    if (fstat(fd, &sb) != 0 || (uint64_t)sb.st_size > (uint64_t)limit) {
        close(fd);
        return too_big(path, limit, err, errlen);
    }
    /* the size may change under us: read up to limit + 1 whatever the stat said */
    size_t cap = (size_t)sb.st_size + 1, n = 0;
    char *b = malloc(cap + 1);
    if (!b) {
        close(fd);
        return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", path);
    }
    for (;;) {
        if (n == cap) {
            if (cap > limit) {
                rc = too_big(path, limit, err, errlen);
                break;
            }
            size_t nc = cap * 2 > limit + 1 ? limit + 1 : cap * 2;
            char *g = realloc(b, nc + 1);
            if (!g) {
                rc = bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", path);
                break;
            }
            b = g, cap = nc;
        }
        ssize_t r = read(fd, b + n, cap - n);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            rc = bb_err(err, errlen, BB_EIO, "%s: read error: %s", path, strerror(errno));
            break;
        }
        if (r == 0) break;
        n += (size_t)r;
    }
    close(fd);
    if (rc != BB_OK) {
        free(b);
        return rc;
    }
    b[n] = 0;
    *buf = b;
    *len = n;
    return BB_OK;
}
