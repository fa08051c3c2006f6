/* st_build.h — filling an st_file from another checkpoint format (internal to engine/io).
 *
 * Readers of other formats (torch_ckpt.c) map their files into the st_file, then add tensors whose
 * data points into those maps (or into heap blocks the st_file takes), so everything downstream sees
 * one st_file whatever the format. Unlike safetensors, tensors added here may share bytes (tied weights
 * stored once under two names, as torch keeps them).
 */
#ifndef BB_ST_BUILD_H
#define BB_ST_BUILD_H

#include <stddef.h>

#include "st.h"

st_file *st_new(void); /* an empty st_file, NULL when out of memory */
/* Maps the file at path into f; *data and *size describe it and *kept is f's copy of path (for messages). */
int st_map_add(st_file *f, const char *path, const unsigned char **data, size_t *size, const char **kept, char *err,
               size_t errlen);
/* Copies len bytes at data into a heap block f owns (st_open_mem's way); as st_map_add otherwise. */
int st_mem_add(st_file *f, const void *data, size_t len, const char *name, const unsigned char **copy,
               const char **kept, char *err, size_t errlen);
/* Gives f a heap block (freed with f). On failure the block is freed. */
int st_keep_block(st_file *f, void *block, char *err, size_t errlen);
/* Adds a tensor (its name is copied; data, path must live as long as f). Duplicate names are errors. */
int st_add_tensor(st_file *f, const st_tensor *t, char *err, size_t errlen);

/* Opens dir/index_name ({"weight_map": {tensor: shard file}}), adds each shard once with add, and
 * checks that every tensor is where the index says. */
typedef int (*st_add_fn)(st_file *f, const char *path, char *err, size_t errlen);
int st_open_index(st_file **out, const char *dir, const char *index_name, st_add_fn add, char *err, size_t errlen);

#endif
