#include "bb_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bb_err.h"

static const char *kind_of(mode_t m) {
    if (S_ISDIR(m)) return "a directory";
    if (S_ISCHR(m)) return "a character device";
    if (S_ISBLK(m)) return "a block device";
    if (S_ISFIFO(m)) return "a FIFO";
    if (S_ISSOCK(m)) return "a socket";
    return "not a plain file";
}

static int not_regular(const char *path, mode_t m, char *err, size_t errlen) {
    if (S_ISDIR(m)) return bb_err(err, errlen, BB_EIO, "%s: is a directory, not a file", path);
    return bb_err(err, errlen, BB_EIO, "%s: is %s, not a regular file", path, kind_of(m));
}

/* "cannot open" with the reason; a link that leads nowhere says so. */
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

int bb_read_file(const char *path, size_t limit, char **data, size_t *len, char *err, size_t errlen) {
    *data = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return open_error(path, errno, err, errlen);
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return bb_err(err, errlen, BB_EIO, "%s: cannot read: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return not_regular(path, st.st_mode, err, errlen);
    }
    if ((unsigned long long)st.st_size > limit) {
        close(fd);
        return bb_err(err, errlen, BB_EFORMAT, "%s: %lld bytes, more than the %zu this file may have", path,
                      (long long)st.st_size, limit);
    }
    size_t cap = (size_t)st.st_size + 1, n = 0;
    char *buf = malloc(cap + 1);
    if (!buf) {
        close(fd);
        return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", path);
    }
    /* Read until EOF (the file may have grown since fstat), never past limit. */
    for (;;) {
        if (n == cap) {
            if (cap > limit) {
                free(buf);
                close(fd);
                return bb_err(err, errlen, BB_EFORMAT, "%s: more than the %zu bytes this file may have", path,
                              limit);
            }
            char *nb = realloc(buf, cap * 2 + 1);
            if (!nb) {
                free(buf);
                close(fd);
                return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", path);
            }
            buf = nb, cap *= 2;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            int e = errno;
            free(buf);
            close(fd);
            return bb_err(err, errlen, BB_EIO, "%s: read error: %s", path, strerror(e));
        }
        if (r == 0) break;
        n += (size_t)r;
    }
    close(fd);
    buf[n] = 0;
    *data = buf;
    *len = n;
    return BB_OK;
}
