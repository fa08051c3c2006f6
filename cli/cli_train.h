/* cli_train.h — `bertbench train --export-hf DIR` (cli_export_hf.c), called from cli_train.c. */
#ifndef BB_CLI_TRAIN_H
#define BB_CLI_TRAIN_H

#include "trainer.h"

/* `train ... --export-hf DIR` (cli_export_hf.c): writes the HF Trainer export of the parsed options
 * (o->export_hf set) and returns the exit status. argv is quoted in the files. */
int cli_train_export(const train_options *o, int argc, char **argv);

#endif
