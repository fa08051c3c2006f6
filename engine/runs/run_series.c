#include "run_series.h"

#include <stdlib.h>
#include <string.h>

#include "bb_err.h"

const run_tag *run_series_find(const run_series *s, const char *tag) {
    for (int i = 0; i < s->ntags; i++)
        if (strcmp(s->tags[i].name, tag) == 0) return &s->tags[i];
    return NULL;
}

int run_series_add(run_series *s, const char *tag, long step, double wall, double value) {
    run_tag *t = (run_tag *)run_series_find(s, tag);
    if (!t) {
        run_tag *nt = realloc(s->tags, sizeof *nt * (size_t)(s->ntags + 1));
        if (!nt) return BB_ENOMEM;
        s->tags = nt;
        t = &nt[s->ntags];
        memset(t, 0, sizeof *t);
        if (!(t->name = strdup(tag))) return BB_ENOMEM;
        s->ntags++;
    }
    while (t->n > 0 && t->step[t->n - 1] >= step) t->n--;
    if (t->n == t->cap) {
        long cap = t->cap ? t->cap * 2 : 64;
        long *st = realloc(t->step, sizeof *st * (size_t)cap);
        if (st) t->step = st;
        double *v = realloc(t->value, sizeof *v * (size_t)cap);
        if (v) t->value = v;
        double *w = realloc(t->wall, sizeof *w * (size_t)cap);
        if (w) t->wall = w;
        if (!st || !v || !w) return BB_ENOMEM;
        t->cap = cap;
    }
    t->step[t->n] = step, t->value[t->n] = value, t->wall[t->n] = wall;
    t->n++;
    s->points++;
    return BB_OK;
}

long run_series_last_step(const run_series *s) {
    long m = -1;
    for (int i = 0; i < s->ntags; i++)
        if (s->tags[i].n && s->tags[i].step[s->tags[i].n - 1] > m) m = s->tags[i].step[s->tags[i].n - 1];
    return m;
}

void run_series_free(run_series *s) {
    for (int i = 0; i < s->ntags; i++) {
        free(s->tags[i].name);
        free(s->tags[i].step);
        free(s->tags[i].value);
        free(s->tags[i].wall);
    }
    free(s->tags);
    memset(s, 0, sizeof *s);
}
