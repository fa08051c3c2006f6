/* ui_worker.h — one background thread for long work (loading, forward passes). See ui_worker.c. */
#ifndef BB_UI_WORKER_H
#define BB_UI_WORKER_H

#include <stddef.h>

#include "ui_app.h"

typedef struct ui_worker ui_worker;

ui_worker *ui_worker_new(void);
/* Stops the thread after the job it is running (if any) returns. */
void ui_worker_free(ui_worker *w);
/* Hands j to the thread; -1 when it is still busy or its last job was not collected. */
int ui_worker_start_job(ui_worker *w, ui_job *j);
/* The finished job (with its status and message), or NULL; block waits for the running one. */
ui_job *ui_worker_take_done(ui_worker *w, int block, int *status, char *err, size_t errlen);

#endif
