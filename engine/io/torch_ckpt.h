/* torch_ckpt.h — PyTorch checkpoints (pytorch_model.bin) read as an st_file, without Python and without
 * running the pickle inside (pickle.h refuses every global a state dict does not need).
 *
 * Both formats torch.save writes are read:
 *   - zip (torch >= 1.6): ARCHIVE/data.pkl, the storages as ARCHIVE/data/KEY (stored, uncompressed),
 *     ARCHIVE/version, optionally ARCHIVE/byteorder;
 *   - legacy: five pickles (magic number, protocol 1001, sys info, the state dict, the storage keys),
 *     then each storage as a little-endian int64 element count and its raw bytes.
 * The state dict's tensors become st_tensors pointing into the mapped file: shared storages (a tied
 * decoder stored as a second name of the word embeddings) give tensors with the same bytes; a view's
 * storage offset and contiguous strides are honoured; a non-contiguous tensor is copied into order.
 * Every storage's size is checked against the bytes present, every view against its storage.
 *
 *     st_file *f;
 *     if (torch_open(&f, "dir/pytorch_model.bin", err, sizeof err) != BB_OK) ...;
 */
#ifndef BB_TORCH_CKPT_H
#define BB_TORCH_CKPT_H

#include <stddef.h>

#include "st.h"

/* Opens one pytorch_model.bin (either format). */
int torch_open(st_file **out, const char *path, char *err, size_t errlen);
/* The same for a file image held in memory (copied); name is used in messages. */
int torch_open_mem(st_file **out, const void *data, size_t len, const char *name, char *err, size_t errlen);
/* A model directory's pytorch_model.bin, or pytorch_model.bin.index.json and its shards; when neither
 * exists the error names every weight file looked for. */
int torch_open_dir(st_file **out, const char *dir, char *err, size_t errlen);

#endif
