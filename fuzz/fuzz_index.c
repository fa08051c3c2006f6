/* libFuzzer target: the shard index (model.safetensors.index.json) of a sharded checkpoint.
 * A model directory in /dev/shm holds two small valid shards (a.safetensors: tensors x, y;
 * b.safetensors: tensor z); the input becomes its index file and st_open_dir opens the directory. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bb_err.h"
#include "st.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];

static void make_dir(void) {
    char err[256], path[128];
    snprintf(dir, sizeof dir, "/dev/shm/bb_fuzz_index_%d", (int)getpid());
    if (mkdir(dir, 0700) != 0 && access(dir, W_OK) != 0) abort();
    static const float v[6] = {1, 2, 3, 4, 5, 6};
    st_entry a[2] = {{"x", v, 1, {2}}, {"y", v + 2, 2, {2, 2}}};
    st_entry b[1] = {{"z", v, 1, {6}}};
    snprintf(path, sizeof path, "%s/a.safetensors", dir);
    if (st_write(path, a, 2, err, sizeof err) != BB_OK) abort();
    snprintf(path, sizeof path, "%s/b.safetensors", dir);
    if (st_write(path, b, 1, err, sizeof err) != BB_OK) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char err[256], path[128];
    if (!dir[0]) make_dir();
    snprintf(path, sizeof path, "%s/model.safetensors.index.json", dir);
    FILE *fp = fopen(path, "wb");
    if (!fp) abort();
    if (size && fwrite(data, 1, size, fp) != size) abort();
    fclose(fp);
    st_file *f = NULL;
    if (st_open_dir(&f, dir, err, sizeof err) != BB_OK) return 0;
    float buf[8];
    for (int i = 0; i < st_count(f); i++) {
        const st_tensor *t = st_at(f, i);
        if (t->numel <= 8 && st_read_f32(t, buf, t->numel, err, sizeof err) != BB_OK) abort();
    }
    st_close(f);
    return 0;
}
