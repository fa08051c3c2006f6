/* bb_model_dir.h — the model a program opens when none is named.
 *
 * In this order: $BERTBENCH_MODEL when it is set and not empty (an explicit setting beats a built-in
 * default; it is returned unchecked, so the loader names what is wrong with it), else the bundled model
 * installed beside the executable: EXE_DIR/BB_BUNDLED_MODEL_FROM_EXE, by default
 * `../share/bertbench/models/bert-brown-small`, the layout `meson install` writes (under any prefix or
 * DESTDIR, moved or not) and the build tree mirrors with a link to the source's models/ directory.
 *
 *     char dir[4096], err[1024];
 *     if (bb_model_default(dir, sizeof dir, err, sizeof err) != BB_OK) fprintf(stderr, "%s\n", err);
 *
 * When neither is there, err says where it looked and how to give a model (`--model DIR` or
 * BERTBENCH_MODEL=DIR).
 */
#ifndef BB_MODEL_DIR_H
#define BB_MODEL_DIR_H

#include <stddef.h>

/* Writes the default model directory into dir; BB_EIO with a message when there is none. */
int bb_model_default(char *dir, size_t dirlen, char *err, size_t errlen);
/* The directory of the running executable (from /proc/self/exe, symlinks resolved). */
int bb_exe_dir(char *dir, size_t dirlen, char *err, size_t errlen);

#endif
