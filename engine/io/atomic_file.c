#include "atomic_file.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <string.h>
#include <unistd.h>

#include "bb_err.h"

int bb_atomic_open(bb_atomic_file *af, const char *path, char *err, size_t errlen) {
    memset(af, 0, sizeof *af);
    if (strlen(path) >= sizeof af->path) return bb_err(err, errlen, BB_EINVAL, "%s: path too long", path);
    snprintf(af->path, sizeof af->path, "%s", path);
    snprintf(af->tmp, sizeof af->tmp, "%s.tmp.%ld", path, (long)getpid());
    af->fp = fopen(af->tmp, "wb");
    if (!af->fp) return bb_err(err, errlen, BB_EIO, "%s: cannot create: %s", af->tmp, strerror(errno));
    return BB_OK;
}

static int io_code(int e) { return e == ENOSPC || e == EFBIG || e == EDQUOT ? BB_ENOSPC : BB_EIO; }

int bb_atomic_commit(bb_atomic_file *af, int failed, char *err, size_t errlen) {
    int e = failed ? (errno ? errno : EIO) : 0;
    if (!e && fflush(af->fp) != 0) e = errno;
    if (!e && fsync(fileno(af->fp)) != 0) e = errno;
    if (fclose(af->fp) != 0 && !e) e = errno;
    af->fp = NULL;
    if (!e && rename(af->tmp, af->path) != 0) e = errno;
    if (e) {
        unlink(af->tmp);
        return bb_err(err, errlen, io_code(e), "%s: write failed: %s (previous file left intact)", af->path,
                      strerror(e));
    }
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", af->path);
    int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd); /* best effort: some filesystems refuse fsync on directories */
        close(dfd);
    }
    return BB_OK;
}

int bb_write_atomic(const char *path, const void *data, size_t n, char *err, size_t errlen) {
    bb_atomic_file af;
    int rc = bb_atomic_open(&af, path, err, errlen);
    if (rc != BB_OK) return rc;
    errno = 0;
    int bad = n && fwrite(data, 1, n, af.fp) != n;
    return bb_atomic_commit(&af, bad, err, errlen);
}
