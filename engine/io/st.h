/* st.h — safetensors reader and writer.
 *
 * A safetensors file is: u64 little-endian header length N, N bytes of JSON
 * {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ..., "__metadata__": {..}},
 * then the data area; offsets are relative to the data area.
 *
 *     st_file *f;
 *     if (st_open_dir(&f, "models/bert", err, sizeof err) != BB_OK) ...;
 *     const st_tensor *t = st_find(f, "bert.embeddings.word_embeddings.weight");
 *     st_read_f32(t, dst, n, err, sizeof err);    // F32 copied, F16/BF16 converted
 *     st_close(f);
 *
 * The reader mmaps each file and validates everything before use: header length (<= 100 MB and inside
 * the file), JSON syntax, dtypes, shapes (non-negative, product times element size equals the byte range,
 * no overflow), offsets inside the data area and not overlapping, no duplicate names. A sharded
 * checkpoint (model.safetensors.index.json with a weight_map) opens as one st_file.
 */
#ifndef BB_ST_H
#define BB_ST_H

#include <stddef.h>
#include <stdint.h>

typedef enum { ST_F32, ST_F16, ST_BF16, ST_F64, ST_I64, ST_I32, ST_I16, ST_I8, ST_U8, ST_BOOL } st_dtype;

#define ST_MAX_DIMS 8
#define ST_MAX_HEADER (100u * 1024u * 1024u)

typedef struct {
    const char *name;        /* borrowed from the st_file */
    st_dtype dtype;
    int ndim;
    int64_t shape[ST_MAX_DIMS];
    int64_t numel;
    const void *data;        /* inside the mmap; may be unaligned for its type */
    size_t nbytes;
    const char *path;        /* the file it lives in (for messages) */
} st_tensor;

typedef struct st_file st_file;

/* Opens one .safetensors file. */
int st_open(st_file **out, const char *path, char *err, size_t errlen);
/* Parses a safetensors image held in memory (copied); name is used in messages. */
int st_open_mem(st_file **out, const void *data, size_t len, const char *name, char *err, size_t errlen);
/* Opens a model directory: model.safetensors, or model.safetensors.index.json and its shards. */
int st_open_dir(st_file **out, const char *dir, char *err, size_t errlen);
void st_close(st_file *f);

int st_count(const st_file *f);
const st_tensor *st_at(const st_file *f, int i);
const st_tensor *st_find(const st_file *f, const char *name); /* NULL if absent */

const char *st_dtype_name(st_dtype d);
size_t st_dtype_size(st_dtype d);

/* Converts a floating tensor (F32, F16, BF16, F64) to float32 into dst, which holds exactly n floats
 * (n must equal t->numel). */
int st_read_f32(const st_tensor *t, float *dst, int64_t n, char *err, size_t errlen);
/* Converts an integer tensor (I64, I32, I16, I8, U8, BOOL) to int32 (values must fit). */
int st_read_i32(const st_tensor *t, int32_t *dst, int64_t n, char *err, size_t errlen);
/* A pointer to the tensor's data used in place when it is F32 and 4-byte aligned, else NULL. Files are
 * mapped MAP_PRIVATE and writable: a write into the data copies that page for this process and never
 * reaches the file. */
const float *st_f32_inplace(const st_tensor *t);

/* Writer: F32 tensors, written atomically (temporary file, fsync, rename), with
 * "__metadata__": {"format": "pt"} so Hugging Face transformers loads the file. */
typedef struct {
    const char *name;
    const float *data;
    int ndim;
    int64_t shape[ST_MAX_DIMS];
} st_entry;

int st_write(const char *path, const st_entry *entries, int n, char *err, size_t errlen);

/* The same for tensors of any dtype given as raw little-endian bytes (nbytes = numel * dtype size). */
typedef struct {
    const char *name;
    st_dtype dtype;
    int ndim;
    int64_t shape[ST_MAX_DIMS];
    const void *data;
    size_t nbytes;
} st_raw_entry;

int st_write_raw(const char *path, const st_raw_entry *entries, int n, char *err, size_t errlen);

/* Half-precision conversions (exposed for tests and for F16 storage). */
float st_f16_to_f32(uint16_t h);
float st_bf16_to_f32(uint16_t h);
uint16_t st_f32_to_f16(float f);

#endif
