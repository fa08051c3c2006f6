/* follow.h — follow a training run's directory while another program (or machine) writes it, and
 * read its scalar series: Hugging Face Trainer output dirs, TensorBoard logs, bertbench's own runs.
 *
 *     sess_follow *f;
 *     if (sess_follow_open(&f, "out/", NULL, err, sizeof err) != BB_OK) ...;   // NULL: recognise by content
 *     for (;;) {                                                             // at most once a second
 *         int n = sess_follow_poll(f, on_point, user, err, sizeof err);      // new points, to on_point too
 *         if (n < 0) ...;                                                    // unreadable: err says which file
 *         if (sess_follow_status(f, time(NULL), 600) == SESS_FOLLOW_FINISHED) break;
 *     }
 *     sess_follow_series(f)                       // everything so far (run_series.h)
 *     cJSON *meta = sess_follow_meta_dup(f);      // max_steps, checkpoint, corrupt records, ...
 *     sess_follow_free(f);
 *
 * What a directory is, checked in this order by what the files hold (not by their names):
 * - "bertbench-session": NAME.bbs with session.json; its most recently written runs/RUN/metrics.jsonl;
 * - "bertbench": a run directory with metrics.jsonl (sessions' reader: a torn last line waits);
 * - "hf-trainer": checkpoint-*\/trainer_state.json (the newest checkpoint's, or output_dir's own when
 *   newer): its log_history up to its global_step, then the points of the TensorBoard event files below
 *   the directory after that step (they are written every logging step, checkpoints more rarely);
 * - "tensorboard": event files anywhere below the directory (not inside checkpoint-* directories).
 * A directory that holds none of them yet is "waiting": the next poll looks again.
 *
 * Tags are kept as written: "train/loss" and "eval/accuracy" from event files, "loss" and "eval_loss"
 * from metrics.jsonl; log_history keys get the names HF's TensorBoardCallback writes them under
 * ("loss" -> "train/loss", "eval_loss" -> "eval/loss"), so an HF directory reads the same with or
 * without its runs/. A point whose step is at or below the last one
 * of its tag (a resumed run) replaces the points from there on.
 *
 * Status: "finished" once the trainer wrote its final state (HF: a trainer_state.json whose
 * global_step reached max_steps; bertbench: run.json no longer "running", or the final model in the
 * run directory), "stale" when no file grew for stale_s seconds, else "running".
 */
#ifndef BB_FOLLOW_H
#define BB_FOLLOW_H

#include <stddef.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "run_series.h"

typedef struct sess_follow sess_follow;

typedef enum { SESS_FOLLOW_WAITING, SESS_FOLLOW_RUNNING, SESS_FOLLOW_FINISHED, SESS_FOLLOW_STALE } sess_follow_status;

/* One new point; returns 0, or a negative bb_err code that stops the poll. */
typedef int (*sess_follow_fn)(void *user, const char *tag, long step, double wall, double value);

/* format: NULL or "auto", or one of "hf-trainer", "tensorboard", "bertbench" to read only that.
 * Fails when dir is not a directory or format is unknown; reads nothing yet. */
int sess_follow_open(sess_follow **out, const char *dir, const char *format, char *err, size_t errlen);
/* Reads what was added since the last poll; returns how many points arrived (>= 0) or an error. */
int sess_follow_poll(sess_follow *f, sess_follow_fn fn, void *user, char *err, size_t errlen);
const run_series *sess_follow_series(const sess_follow *f);
const char *sess_follow_dir(const sess_follow *f);
/* "hf-trainer", "tensorboard", "bertbench", "bertbench-session", or "unknown" before anything is found. */
const char *sess_follow_format(const sess_follow *f);
sess_follow_status sess_follow_status_at(const sess_follow *f, time_t now, int stale_s);
const char *sess_follow_status_name(sess_follow_status st); /* "waiting", "running", "finished", "stale" */
/* The run's planned length when the files say (HF max_steps); -1 when unknown. */
long sess_follow_max_steps(const sess_follow *f);
/* Details as a new JSON object the caller frees: source, files, records, corrupt_records, torn_bytes,
 * checkpoint, global_step, max_steps, num_train_epochs, logging_steps, ... */
cJSON *sess_follow_meta_dup(const sess_follow *f, time_t now);
void sess_follow_free(sess_follow *f);

#endif
