/* ckpt_dir.h — checkpoint directories that are complete or absent.
 *
 * A checkpoint is written into a temporary sibling directory (".checkpoint-N.partial-PID"), its files
 * and the directory are fsynced, and only then is it renamed into place (exchanged with an older copy
 * of the same name, which is then removed) and the parent fsynced. A crash, kill -9 or full disk at
 * any moment leaves either the previous complete checkpoint-N/ or the new one, plus at worst a
 * temporary that trainer_ckpt_clean removes on the next start.
 *
 *     trainer_ckpt c;
 *     if (trainer_ckpt_begin(&c, "run/checkpoint-40", err, errlen) != BB_OK) return ...;
 *     rc = write_files_into(c.tmp);                     // any files, any number
 *     rc = rc == BB_OK ? trainer_ckpt_commit(&c, err, errlen) : (trainer_ckpt_abort(&c), rc);
 */
#ifndef BB_CKPT_DIR_H
#define BB_CKPT_DIR_H

#include <stddef.h>

typedef struct {
    char path[1200]; /* the final directory */
    char tmp[1300];  /* where the files go until commit */
} trainer_ckpt;

int trainer_ckpt_begin(trainer_ckpt *c, const char *dir, char *err, size_t errlen);
int trainer_ckpt_commit(trainer_ckpt *c, char *err, size_t errlen);
void trainer_ckpt_abort(trainer_ckpt *c);

/* Removes, in run_dir, the temporaries of processes that no longer run: partial checkpoint
 * directories and the PATH.tmp.PID files of atomic writes. Returns how many it removed. */
int trainer_ckpt_clean(const char *run_dir);

/* True when dir holds what resuming needs (trainer_state.json, optimizer.safetensors, config.json,
 * model.safetensors). */
int trainer_ckpt_complete(const char *dir);

/* The newest complete checkpoint-N under run_dir into out; BB_EINVAL naming run_dir when there is none. */
int trainer_ckpt_latest(const char *run_dir, char *out, size_t outlen, char *err, size_t errlen);

/* Removes a directory tree (no symlinks followed); 0 or -1 with errno. */
int trainer_rm_tree(const char *path);

#endif
