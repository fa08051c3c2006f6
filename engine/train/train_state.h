/* train_state.h — trainer_state.json of a checkpoint, read and checked against the run resuming it.
 *
 * Every field is validated before the trainer uses it: counts are integers in range, the position in
 * the epoch matches global_step for this data, batch size and accumulation (epoch * batches_per_epoch
 * + batch_in_epoch == global_step * grad_accum), the parameter count and task match, the RNG states
 * are four 64-bit hex words. Errors name the file and the field. */
#ifndef BB_TRAIN_STATE_H
#define BB_TRAIN_STATE_H

#include <stddef.h>
#include <stdint.h>

/* The largest trainer_state.json accepted (ours are ~1 KB; room for fields other tools add). */
#define TRAIN_STATE_MAX_BYTES (1u << 20)

typedef struct {
    long global_step, epoch, batch_in_epoch, optimizer_steps;
    double elapsed_s;
    float best_eval_loss; /* INFINITY when absent */
    uint64_t rng[4], dropout_rng[4];
} train_state;

/* What the resuming run is: the state must fit it. */
typedef struct {
    size_t num_params;
    long batches_per_epoch, grad_accum, total_steps;
    const char *task;
} train_state_run;

int trainer_state_read(train_state *s, const char *path, const train_state_run *run, char *err, size_t errlen);

#endif
