/* bb_work.c — the cancel flag and progress callback of long work (bb_work.h). */
#include "bb_work.h"

#include "bb_err.h"

void bb_work_init(bb_work *w, bb_progress_fn progress, void *user) {
    atomic_init(&w->cancel, 0);
    w->progress = progress;
    w->user = user;
}

void bb_work_cancel(bb_work *w) {
    if (w) atomic_store(&w->cancel, 1);
}

void bb_work_reset(bb_work *w) {
    if (w) atomic_store(&w->cancel, 0);
}

int bb_work_cancelled(bb_work *w) { return w && atomic_load_explicit(&w->cancel, memory_order_relaxed) != 0; }

int bb_work_check(bb_work *w, const char *what, char *err, size_t errlen) {
    if (!bb_work_cancelled(w)) return BB_OK;
    return bb_err(err, errlen, BB_ECANCEL, "%s: cancelled", what);
}

void bb_work_progress(bb_work *w, const char *phase, long done, long total) {
    if (w && w->progress) w->progress(w->user, phase, done, total);
}
