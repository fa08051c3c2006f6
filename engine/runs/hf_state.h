/* hf_state.h — Hugging Face Trainer's trainer_state.json (written into every checkpoint-STEP/ and,
 * by save_state(), into output_dir at the end).
 *
 *     hf_state st;
 *     hf_state_read(&st, "out/checkpoint-600/trainer_state.json", on_row, user, err, sizeof err);
 *     // on_row(user, step, keys, values, n) for each log_history entry, keys as written:
 *     // {loss, grad_norm, learning_rate, epoch} every logging_steps, {eval_loss, eval_accuracy, ...}
 *     // at each evaluation, {train_runtime, train_loss, ...} once at the end
 *     if (st.max_steps > 0 && st.global_step >= st.max_steps) ...finished...
 *
 * A numeric field the file lacks is -1 (epochs: NaN). Rows without a numeric "step" are skipped.
 */
#ifndef BB_HF_STATE_H
#define BB_HF_STATE_H

#include <stddef.h>

typedef struct {
    long global_step, max_steps, logging_steps, eval_steps, save_steps, train_batch_size;
    double epoch, num_train_epochs;
    long rows; /* log_history entries with a step */
} hf_state;

/* One log_history row; returns 0, or a negative bb_err code that stops the reading. */
typedef int (*hf_state_row_fn)(void *user, long step, const char *const *keys, const double *values, int n);

/* The tag Hugging Face's TensorBoardCallback writes for a log_history key (its rewrite_logs):
 * "eval_loss" -> "eval/loss", "test_x" -> "test/x", anything else "loss" -> "train/loss". */
void hf_state_tb_tag(const char *key, char *out, size_t n);

/* BB_EFORMAT "PATH: ..." when the file is not a JSON object with a log_history array. */
int hf_state_read(hf_state *out, const char *path, hf_state_row_fn fn, void *user, char *err, size_t errlen);
/* The same over text already in memory (path only names it in messages). */
int hf_state_parse(hf_state *out, const char *text, size_t len, const char *path, hf_state_row_fn fn, void *user,
                   char *err, size_t errlen);

#endif
