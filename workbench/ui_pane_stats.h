/* ui_pane_stats.h — the stats pane (corpus view) and its corpus reader. */
#ifndef BB_UI_PANE_STATS_H
#define BB_UI_PANE_STATS_H

#include "ui_app.h"

extern const ui_pane_class ui_stats_pane;

/* `stats [--max N] [--vocab FILE] CORPUS` on the worker. */
int ui_stats_cmd(ui_app *app, ui_pane *p, const char *args, char *err, size_t errlen);
/* Corpus statistics as tok_stats_compute gives them, computed one text at a time so the worker can
 * publish progress (permille, may be NULL) and stop when *cancel is set (BB_ECANCEL). */
int ui_stats_compute(const tok_tokenizer *tk, const char *const *texts, long n, int max_length, tok_stats *out,
                     _Atomic int *permille, volatile int *cancel, char *err, size_t errlen);
/* Reads a corpus: JSONL (the "text" field of each line) when the name ends in .jsonl, else one text per
 * non-empty line. *texts is a malloc'd array of n malloc'd strings; ui_corpus_free frees both. */
int ui_corpus_read(const char *path, char ***texts, long *n, char *err, size_t errlen);
void ui_corpus_free(char **texts, long n);

#endif
