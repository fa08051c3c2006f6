/* run_series.h — the scalar series of a run as the run readers deliver them: for each tag (kept as
 * written: "train/loss", "eval_accuracy", "loss"), points (step, value, wall time) in step order.
 *
 *     run_series s = {0};
 *     run_series_add(&s, "train/loss", 10, wall, 0.6973);
 *     const run_tag *t = run_series_find(&s, "train/loss");   // t->n, t->step[i], t->value[i]
 *     run_series_free(&s);
 *
 * A point at or below a tag's last step (a run resumed from a checkpoint logs those steps again)
 * replaces the points from that step on, as the trainer's own curves do.
 */
#ifndef BB_RUN_SERIES_H
#define BB_RUN_SERIES_H

#include <stddef.h>

typedef struct {
    char *name;
    long n, cap;
    long *step;    /* (n) */
    double *value; /* (n) */
    double *wall;  /* (n) seconds since the epoch, or NaN when the format has none */
} run_tag;

typedef struct {
    run_tag *tags; /* (ntags) in order of first appearance */
    int ntags;
    long points;   /* points added, replacements included */
} run_series;

/* BB_OK or BB_ENOMEM. */
int run_series_add(run_series *s, const char *tag, long step, double wall, double value);
const run_tag *run_series_find(const run_series *s, const char *tag);
long run_series_last_step(const run_series *s); /* -1 when empty */
void run_series_free(run_series *s);

#endif
