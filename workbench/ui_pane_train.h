/* ui_pane_train.h — the training pane: a view on the session's runs (ui_session.h holds them): the
 * current run's status, loss and metric plots, the confusion matrix, or the runs table. It owns the
 * training commands (train, pause, resume, ..., use, watch), which ui_train.c and ui_follow.c define. */
#ifndef BB_UI_PANE_TRAIN_H
#define BB_UI_PANE_TRAIN_H

#include "ui_app.h"

extern const ui_pane_class ui_train_pane;

#endif
