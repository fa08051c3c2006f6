/* The worker thread: runs one ui_job at a time so the UI thread never waits on long work. The UI
 * thread hands a job over (ui_worker_start_job), keeps drawing, and collects it with
 * ui_worker_take_done; the next queued job starts only after the previous one's done() ran, so a
 * model replaced by done() is never in use by a running job. */
#include "ui_worker.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct ui_worker {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    ui_job *job;  /* handed over, not yet finished */
    ui_job *done; /* finished, not yet collected */
    int status;
    char err[512];
    int stop;
};

static void *worker_main(void *arg) {
    ui_worker *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->job && !w->stop) pthread_cond_wait(&w->cv, &w->mu);
        if (!w->job) break;
        ui_job *j = w->job;
        pthread_mutex_unlock(&w->mu);
        char err[512] = "";
        int st = j->run(j, err, sizeof err);
        pthread_mutex_lock(&w->mu);
        w->job = NULL;
        w->done = j;
        w->status = st;
        memcpy(w->err, err, sizeof err);
        pthread_cond_broadcast(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

ui_worker *ui_worker_new(void) {
    ui_worker *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
        pthread_mutex_destroy(&w->mu);
        pthread_cond_destroy(&w->cv);
        free(w);
        return NULL;
    }
    return w;
}

void ui_worker_free(ui_worker *w) {
    if (!w) return;
    pthread_mutex_lock(&w->mu);
    w->stop = 1;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
    free(w);
}

int ui_worker_start_job(ui_worker *w, ui_job *j) {
    pthread_mutex_lock(&w->mu);
    int busy = w->job || w->done;
    if (!busy) {
        w->job = j;
        pthread_cond_broadcast(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
    return busy ? -1 : 0;
}

ui_job *ui_worker_take_done(ui_worker *w, int block, int *status, char *err, size_t errlen) {
    pthread_mutex_lock(&w->mu);
    while (block && w->job) pthread_cond_wait(&w->cv, &w->mu);
    ui_job *j = w->done;
    if (j) {
        *status = w->status;
        if (err && errlen) {
            strncpy(err, w->err, errlen - 1);
            err[errlen - 1] = 0;
        }
        w->done = NULL;
    }
    pthread_mutex_unlock(&w->mu);
    return j;
}
