/* libFuzzer target: pytorch_model.bin on arbitrary bytes — the zip reader, the restricted unpickler and
 * the torch loader (storages, views, copies of non-contiguous tensors), then every tensor's conversion. */
#include <stdint.h>
#include <stdlib.h>

#include "bb_err.h"
#include "st.h"
#include "torch_ckpt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char err[512];
    st_file *f = NULL;
    if (torch_open_mem(&f, data, size, "fuzz.bin", err, sizeof err) != BB_OK) return 0;
    for (int i = 0; i < st_count(f); i++) {
        const st_tensor *t = st_at(f, i);
        if (t->numel > (1 << 20)) continue;
        void *buf = malloc(sizeof(float) * (size_t)(t->numel ? t->numel : 1));
        if (!buf) continue;
        if (st_read_f32(t, buf, t->numel, err, sizeof err) != BB_OK) st_read_i32(t, buf, t->numel, err, sizeof err);
        free(buf);
    }
    st_close(f);
    return 0;
}
