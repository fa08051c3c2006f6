/* export_hf.h — hand a run to Hugging Face Trainer + accelerate when one CPU is not enough.
 *
 *     train_options o;                               // as `bertbench train` parsed them
 *     train_export_hf(&o, "export/", argc, argv, err, sizeof err);
 *
 * Writes, without loading or training anything, into DIR (created when absent):
 * - train_hf.py: the same task and head, model (or config for from scratch), tokenizer, data files
 *   and format, and the same settings (lr, batch size, epochs / max steps, warmup, schedule, weight
 *   decay, Adam betas and epsilon, grad accumulation, max grad norm, block size, MLM probability and
 *   whole-word masking, freezing, seed, eval / save / log cadence) for transformers' Trainer and
 *   datasets, with report_to=["tensorboard"], so that `bertbench follow OUTPUT_DIR` shows it;
 * - accelerate_config.yaml: multi-GPU data parallel on one machine;
 * - README.md: the `accelerate launch` command, how to follow the run, and what differs from
 *   bertbench's own trainer.
 * OUTPUT_DIR is o->out_dir, or DIR/output without one. argv is the command line, quoted in the files.
 */
#ifndef BB_EXPORT_HF_H
#define BB_EXPORT_HF_H

#include <stddef.h>

#include "trainer.h"

int train_export_hf(const train_options *o, const char *dir, int argc, char *const *argv, char *err, size_t errlen);

#endif
