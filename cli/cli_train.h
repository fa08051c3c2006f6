/* cli_train.h — `bertbench train --export-hf DIR` (cli_export_hf.c), called from cli_train.c. */
#ifndef BB_CLI_TRAIN_H
#define BB_CLI_TRAIN_H

/* `train ... --export-hf DIR` (cli_export_hf.c): writes the HF Trainer export and returns the exit
 * status; -1 when argv has no --export-hf (then the run trains here). */
int cli_train_export(int argc, char **argv);

#endif
