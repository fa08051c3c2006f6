/* The pane registry: the one place that names every pane class. The app makes one pane of each, in
 * this order (the tab bar's and the default layout slots'). */
#include "ui_pane.h"
#include "ui_pane_attn.h"
#include "ui_pane_compare.h"
#include "ui_pane_info.h"
#include "ui_pane_mask.h"
#include "ui_pane_stats.h"
#include "ui_pane_tokens.h"
#include "ui_pane_train.h"

const ui_pane_class *const ui_pane_registry[] = {
    &ui_tokens_pane, &ui_attention_pane, &ui_fillmask_pane, &ui_info_pane,
    &ui_compare_pane, &ui_stats_pane, &ui_train_pane, NULL,
};
