/* bb_work.h — the one contract for long engine work (as ggml's abort callback): a cancel flag that
 * any thread may set, and a progress callback the work calls as it goes.
 *
 *     static void on_progress(void *user, const char *phase, long done, long total) { ... }
 *
 *     bb_work w;
 *     bb_work_init(&w, on_progress, ui);                 // or (&w, NULL, NULL): cancel only
 *     // on the worker thread:
 *     int rc = tok_stats_compute(tk, texts, n, 512, &st, &w, err, sizeof err);
 *     // meanwhile on any other thread (the workbench on Ctrl-C):
 *     bb_work_cancel(&w);                                 // the work returns BB_ECANCEL
 *
 * Every function that takes a bb_work * accepts NULL (never cancelled, reports nothing). It checks the
 * flag where stopping leaves nothing half-made, frees what it built and returns BB_ECANCEL with
 * "WHAT: cancelled" in err. It reports progress as (phase, done, total): phase a static string naming
 * the stage ("tensors", "texts", "merges"), done never falling within a phase, the last report of a
 * phase that ends normally with done == total. The callback runs on the working thread, now and then
 * (not on every item): keep it short and thread-safe (store into atomics; never touch the UI).
 */
#ifndef BB_WORK_H
#define BB_WORK_H

#include <stdatomic.h>
#include <stddef.h>

typedef void (*bb_progress_fn)(void *user, const char *phase, long done, long total);

typedef struct bb_work {
    atomic_int cancel;       /* nonzero: stop at the next check (bb_work_cancel; C11 atomic, any thread) */
    bb_progress_fn progress; /* may be NULL */
    void *user;              /* passed to progress */
} bb_work;

/* Not cancelled, with this callback (both may be NULL). */
void bb_work_init(bb_work *w, bb_progress_fn progress, void *user);
/* Asks the work to stop; safe from any thread, any number of times. */
void bb_work_cancel(bb_work *w);
/* Clears a cancel, so the same bb_work can drive the next job. */
void bb_work_reset(bb_work *w);
/* 1 once cancelled (0 for NULL). */
int bb_work_cancelled(bb_work *w);
/* BB_ECANCEL with "what: cancelled" in err once cancelled, else BB_OK. */
int bb_work_check(bb_work *w, const char *what, char *err, size_t errlen);
/* Calls the callback when there is one (w may be NULL). */
void bb_work_progress(bb_work *w, const char *phase, long done, long total);

#endif
