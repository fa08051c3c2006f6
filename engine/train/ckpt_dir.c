/* Checkpoint directories written into a temporary sibling and renamed into place (see ckpt_dir.h). */
#define _GNU_SOURCE /* renameat2 */
#include "ckpt_dir.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bb_err.h"

static int rm_entry(const char *path, const struct stat *sb, int type, struct FTW *ftw) {
    (void)sb, (void)ftw;
    return (type == FTW_DP ? rmdir(path) : unlink(path)) != 0 && errno != ENOENT ? -1 : 0;
}

int trainer_rm_tree(const char *path) {
    struct stat sb;
    if (lstat(path, &sb) != 0) return errno == ENOENT ? 0 : -1;
    if (!S_ISDIR(sb.st_mode)) return unlink(path);
    return nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* parent directory of path into out ("." when it has none) */
static void parent_of(const char *path, char *out, size_t n) {
    snprintf(out, n, "%s", path);
    char *slash = strrchr(out, '/');
    if (!slash)
        snprintf(out, n, ".");
    else if (slash == out)
        out[1] = 0;
    else
        *slash = 0;
}

static int fsync_path(const char *path, int flags) {
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | flags);
    if (fd < 0) return -1;
    int rc = fsync(fd);
    int e = errno;
    close(fd);
    /* some filesystems refuse fsync on directories; the files' own fsyncs are what matters there */
    if (rc != 0 && (flags & O_DIRECTORY) && (e == EINVAL || e == EROFS)) return 0;
    errno = e;
    return rc;
}

int trainer_ckpt_begin(trainer_ckpt *c, const char *dir, char *err, size_t errlen) {
    memset(c, 0, sizeof *c);
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/') n--;
    if (n == 0 || n >= sizeof c->path) return bb_err(err, errlen, BB_EINVAL, "%s: checkpoint path too long or empty", dir);
    memcpy(c->path, dir, n);
    c->path[n] = 0;
    const char *slash = strrchr(c->path, '/');
    int plen = slash ? (int)(slash - c->path + 1) : 0;
    snprintf(c->tmp, sizeof c->tmp, "%.*s.%s.partial-%ld", plen, c->path, c->path + plen, (long)getpid());
    if (trainer_rm_tree(c->tmp) != 0 || mkdir(c->tmp, 0777) != 0)
        return bb_err(err, errlen, errno == ENOSPC ? BB_ENOSPC : BB_EIO, "%s: cannot create directory: %s", c->tmp,
                      strerror(errno));
    return BB_OK;
}

void trainer_ckpt_abort(trainer_ckpt *c) {
    if (c->tmp[0]) trainer_rm_tree(c->tmp);
    c->tmp[0] = 0;
}

static int sync_files(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return -1;
    struct dirent *e;
    int rc = 0;
    char path[1600];
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2]))) continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat sb;
        if (lstat(path, &sb) == 0 && S_ISREG(sb.st_mode)) rc = fsync_path(path, 0);
    }
    int saved = errno;
    closedir(d);
    errno = saved;
    return rc;
}

int trainer_ckpt_commit(trainer_ckpt *c, char *err, size_t errlen) {
    char parent[1200];
    parent_of(c->path, parent, sizeof parent);
    if (sync_files(c->tmp) != 0 || fsync_path(c->tmp, O_DIRECTORY) != 0) {
        int e = errno;
        trainer_ckpt_abort(c);
        return bb_err(err, errlen, e == ENOSPC ? BB_ENOSPC : BB_EIO, "%s: cannot sync the checkpoint: %s", c->path,
                      strerror(e));
    }
    if (rename(c->tmp, c->path) != 0) {
        if (errno != ENOTEMPTY && errno != EEXIST) {
            int e = errno;
            trainer_ckpt_abort(c);
            return bb_err(err, errlen, BB_EIO, "%s: cannot rename %s into place: %s", c->path, c->tmp, strerror(e));
        }
        /* an older checkpoint of the same name: swap atomically, then drop the old one */
        if (renameat2(AT_FDCWD, c->tmp, AT_FDCWD, c->path, RENAME_EXCHANGE) != 0) {
            char old[1400];
            snprintf(old, sizeof old, "%s.old", c->tmp);
            if (rename(c->path, old) != 0 || rename(c->tmp, c->path) != 0) {
                int e = errno;
                trainer_ckpt_abort(c);
                return bb_err(err, errlen, BB_EIO, "%s: cannot replace the older checkpoint: %s", c->path, strerror(e));
            }
            trainer_rm_tree(old);
        }
    }
    trainer_ckpt_abort(c); /* after an exchange the temporary name holds the older copy */
    fsync_path(parent, O_DIRECTORY);
    return BB_OK;
}

/* The PID in a temporary's name, after marker (".partial-" or ".tmp."); 0 when name is not one. */
static long temp_pid(const char *name, const char *marker) {
    const char *p = strstr(name, marker);
    if (!p) return 0;
    p += strlen(marker);
    char *end;
    long pid = strtol(p, &end, 10);
    return pid > 0 && !*end && end > p ? pid : 0;
}

static int stale(long pid) { return pid == (long)getpid() || (kill((pid_t)pid, 0) != 0 && errno == ESRCH); }

static int clean_dir(const char *dir, int depth) {
    DIR *d = opendir(dir);
    if (!d) return 0;
    struct dirent *e;
    int removed = 0;
    char path[1600];
    while ((e = readdir(d)) != NULL) {
        const char *nm = e->d_name;
        if (nm[0] == '.' && (!nm[1] || (nm[1] == '.' && !nm[2]))) continue;
        snprintf(path, sizeof path, "%s/%s", dir, nm);
        long pid = nm[0] == '.' ? temp_pid(nm, ".partial-") : 0;
        if (!pid) pid = temp_pid(nm, ".tmp.");
        if (pid && stale(pid)) {
            removed += trainer_rm_tree(path) == 0;
            continue;
        }
        struct stat sb;
        if (depth == 0 && (!strncmp(nm, "checkpoint-", 11) || !strcmp(nm, "best")) && lstat(path, &sb) == 0 &&
            S_ISDIR(sb.st_mode))
            removed += clean_dir(path, 1);
    }
    closedir(d);
    return removed;
}

int trainer_ckpt_clean(const char *run_dir) { return clean_dir(run_dir, 0); }

int trainer_ckpt_complete(const char *dir) {
    static const char *const need[] = {"trainer_state.json", "optimizer.safetensors", "config.json",
                                       "model.safetensors"};
    char path[1600];
    for (size_t i = 0; i < sizeof need / sizeof *need; i++) {
        struct stat sb;
        snprintf(path, sizeof path, "%s/%s", dir, need[i]);
        if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size == 0) return 0;
    }
    return 1;
}

int trainer_ckpt_latest(const char *run_dir, char *out, size_t outlen, char *err, size_t errlen) {
    DIR *d = opendir(run_dir);
    if (!d) return bb_err(err, errlen, BB_EIO, "%s: cannot open: %s", run_dir, strerror(errno));
    struct dirent *e;
    long best = -1;
    char path[1600];
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, "checkpoint-", 11) != 0) continue;
        const char *p = e->d_name + 11;
        char *end;
        errno = 0;
        long n = strtol(p, &end, 10);
        if (end == p || *end || n < 0 || errno || *p == '+' || *p == '-' || n <= best) continue;
        snprintf(path, sizeof path, "%s/%s", run_dir, e->d_name);
        if (trainer_ckpt_complete(path)) best = n;
    }
    closedir(d);
    if (best < 0) return bb_err(err, errlen, BB_EINVAL, "%s: no complete checkpoint-STEP directory", run_dir);
    if ((size_t)snprintf(out, outlen, "%s/checkpoint-%ld", run_dir, best) >= outlen)
        return bb_err(err, errlen, BB_EINVAL, "%s: path too long", run_dir);
    return BB_OK;
}
