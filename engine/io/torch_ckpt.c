#include "torch_ckpt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bb_err.h"
#include "pickle.h"
#include "st_build.h"
#include "zip_read.h"

/* torch's legacy files open with pickle.dumps(0x1950a86a20f9469cfc6c, protocol=2). */
static const unsigned char legacy_magic[] = {0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46,
                                             0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e};
#define LEGACY_PROTOCOL 1001

/* One storage's bytes, found in the zip or in the legacy file's tail. */
typedef struct {
    const char *key;
    const unsigned char *data;
    uint64_t numel;
} storage_bytes;

/* The tensor view of storage bytes s as an st_tensor named name, added to f. */
static int add_view(st_file *f, const char *name, const pk_value *t, const storage_bytes *s, const char *path,
                    char *err, size_t errlen) {
    size_t esz = st_dtype_size(t->dtype);
    st_tensor out = {.name = name, .dtype = t->dtype, .ndim = t->ndim, .path = path};
    int64_t numel = 1, last = t->offset; /* last: the highest element index the view touches */
    int contiguous = 1;
    for (int d = t->ndim - 1; d >= 0; d--) {
        out.shape[d] = t->shape[d];
        if (t->shape[d] != 1 && t->stride[d] != numel) contiguous = 0;
        int64_t reach;
        if (__builtin_mul_overflow(t->shape[d] ? t->shape[d] - 1 : 0, t->stride[d], &reach) ||
            __builtin_add_overflow(last, reach, &last) || __builtin_mul_overflow(numel, t->shape[d], &numel))
            return bb_err(err, errlen, BB_EFORMAT, "%s: tensor '%s': size or stride overflows", path, name);
    }
    if ((uint64_t)numel > (uint64_t)INT64_MAX / 8)
        return bb_err(err, errlen, BB_EFORMAT, "%s: tensor '%s': size overflows", path, name);
    out.numel = numel;
    out.nbytes = (size_t)numel * esz;
    int64_t end = numel ? last + 1 : t->offset;
    if ((uint64_t)end > s->numel)
        return bb_err(err, errlen, BB_EFORMAT,
                      "%s: tensor '%s' reaches element %lld of storage '%s', which has %llu elements", path, name,
                      (long long)end, s->key, (unsigned long long)s->numel);
    if (contiguous || numel == 0) {
        out.data = s->data + (size_t)t->offset * esz;
        return st_add_tensor(f, &out, err, errlen);
    }
    /* A non-contiguous view (a transpose saved as is): copied into row-major order. A view with more
     * elements than its storage (stride 0) is refused: it would make a small file a large allocation. */
    if ((uint64_t)numel > s->numel)
        return bb_err(err, errlen, BB_EFORMAT, "%s: tensor '%s' has %lld elements over a storage of %llu (stride 0?)",
                      path, name, (long long)numel, (unsigned long long)s->numel);
    unsigned char *copy = malloc(out.nbytes);
    if (!copy) return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory copying tensor '%s'", path, name);
    int64_t idx[ST_MAX_DIMS] = {0};
    for (int64_t i = 0; i < numel; i++) {
        int64_t at = t->offset;
        for (int d = 0; d < t->ndim; d++) at += idx[d] * t->stride[d];
        memcpy(copy + (size_t)i * esz, s->data + (size_t)at * esz, esz);
        for (int d = t->ndim - 1; d >= 0 && ++idx[d] == t->shape[d]; d--) idx[d] = 0;
    }
    int rc = st_keep_block(f, copy, err, errlen);
    if (rc != BB_OK) return rc;
    out.data = copy;
    return st_add_tensor(f, &out, err, errlen);
}

static int check_state_dict(const pk_value *root, const char *path, char *err, size_t errlen) {
    if (root->kind != PK_DICT)
        return bb_err(err, errlen, BB_EFORMAT, "%s: the pickle holds a %s, not a state dict", path,
                      pk_kind_name(root->kind));
    for (size_t i = 0; i < root->len; i++) {
        const pk_value *k = root->items[2 * i], *v = root->items[2 * i + 1];
        if (k->kind != PK_STR)
            return bb_err(err, errlen, BB_EFORMAT, "%s: state dict key %zu is a %s, not a string", path, i,
                          pk_kind_name(k->kind));
        if (v->kind != PK_TENSOR)
            return bb_err(err, errlen, BB_EFORMAT, "%s: '%s' is a %s, not a tensor (only state dicts of tensors are read)",
                          path, k->s, pk_kind_name(v->kind));
    }
    return BB_OK;
}

static int storage_size_check(const pk_value *st, uint64_t nbytes, const char *where, const char *path, char *err,
                              size_t errlen) {
    size_t esz = st_dtype_size(st->dtype);
    if (nbytes != (uint64_t)st->numel * esz)
        return bb_err(err, errlen, BB_EFORMAT,
                      "%s: storage '%s' (%s) has %llu bytes but the pickle says %lld %s elements (%llu bytes)", path,
                      st->key, where, (unsigned long long)nbytes, (long long)st->numel, st_dtype_name(st->dtype),
                      (unsigned long long)st->numel * esz);
    return BB_OK;
}

static int load_zip(st_file *f, const unsigned char *d, size_t len, const char *path, pk_ctx *cx, char *err,
                    size_t errlen) {
    zip_archive *z = NULL;
    int rc = zip_open_mem(&z, d, len, path, err, errlen);
    if (rc != BB_OK) return rc;
    const zip_entry *pkl = NULL;
    for (int i = 0; i < zip_count(z); i++) {
        const zip_entry *e = zip_at(z, i);
        const char *slash = strchr(e->name, '/');
        if (slash && strcmp(slash, "/data.pkl") == 0) {
            if (pkl) {
                rc = bb_err(err, errlen, BB_EFORMAT, "%s: two pickles (%s, %s) in one archive", path, pkl->name, e->name);
                goto done;
            }
            pkl = e;
        }
    }
    if (!pkl) {
        rc = bb_err(err, errlen, BB_EFORMAT, "%s: a zip without ARCHIVE/data.pkl (not a torch.save checkpoint)", path);
        goto done;
    }
    size_t plen = strlen(pkl->name) - strlen("data.pkl");
    char name[4096];
    const unsigned char *p;
    snprintf(name, sizeof name, "%.*sbyteorder", (int)plen, pkl->name);
    const zip_entry *bo = zip_find(z, name);
    if (bo && ((rc = zip_entry_data(z, bo, &p, err, errlen)) != BB_OK ||
               !(bo->size == 6 && memcmp(p, "little", 6) == 0))) {
        if (rc == BB_OK) rc = bb_err(err, errlen, BB_EFORMAT, "%s: storages are not little-endian (%s)", path, name);
        goto done;
    }
    if ((rc = zip_entry_data(z, pkl, &p, err, errlen)) != BB_OK) goto done;
    char pkl_name[4200];
    snprintf(pkl_name, sizeof pkl_name, "%s:%s", path, pkl->name);
    const pk_value *root;
    size_t used;
    if ((rc = pk_load(cx, p, pkl->size, &used, pkl_name, &root, err, errlen)) != BB_OK ||
        (rc = check_state_dict(root, path, err, errlen)) != BB_OK)
        goto done;
    for (size_t i = 0; i < root->len; i++) {
        const pk_value *t = root->items[2 * i + 1];
        snprintf(name, sizeof name, "%.*sdata/%s", (int)plen, pkl->name, t->storage->key);
        const zip_entry *e = zip_find(z, name);
        if (!e) {
            rc = bb_err(err, errlen, BB_EFORMAT, "%s: tensor '%s': storage entry %s is missing", path,
                        root->items[2 * i]->s, name);
            goto done;
        }
        storage_bytes s = {t->storage->key, NULL, (uint64_t)t->storage->numel};
        if ((rc = zip_entry_data(z, e, &s.data, err, errlen)) != BB_OK ||
            (rc = storage_size_check(t->storage, e->size, name, path, err, errlen)) != BB_OK ||
            (rc = add_view(f, root->items[2 * i]->s, t, &s, path, err, errlen)) != BB_OK)
            goto done;
    }
done:
    zip_close(z);
    return rc;
}

/* The storage (with its dtype) that some tensor of root uses under key, or NULL. */
static const pk_value *storage_of(const pk_value *root, const char *key) {
    for (size_t i = 0; i < root->len; i++) {
        const pk_value *s = root->items[2 * i + 1]->storage;
        if (strcmp(s->key, key) == 0) return s;
    }
    return NULL;
}

static int load_legacy(st_file *f, const unsigned char *d, size_t len, const char *path, pk_ctx *cx, char *err,
                       size_t errlen) {
    size_t at = sizeof legacy_magic, used;
    const pk_value *proto, *info, *root, *keys;
    int rc;
    if ((rc = pk_load(cx, d + at, len - at, &used, path, &proto, err, errlen)) != BB_OK) return rc;
    if (proto->kind != PK_INT || proto->i != LEGACY_PROTOCOL)
        return bb_err(err, errlen, BB_EFORMAT, "%s: legacy torch file with an unknown protocol version", path);
    at += used;
    if ((rc = pk_load(cx, d + at, len - at, &used, path, &info, err, errlen)) != BB_OK) return rc;
    at += used;
    int little = 0;
    for (size_t i = 0; info->kind == PK_DICT && i < info->len; i++)
        if (info->items[2 * i]->kind == PK_STR && strcmp(info->items[2 * i]->s, "little_endian") == 0)
            little = info->items[2 * i + 1]->kind == PK_BOOL && info->items[2 * i + 1]->i;
    if (!little) return bb_err(err, errlen, BB_EFORMAT, "%s: written on a big-endian machine (not supported)", path);
    if ((rc = pk_load(cx, d + at, len - at, &used, path, &root, err, errlen)) != BB_OK ||
        (rc = check_state_dict(root, path, err, errlen)) != BB_OK)
        return rc;
    at += used;
    if ((rc = pk_load(cx, d + at, len - at, &used, path, &keys, err, errlen)) != BB_OK) return rc;
    at += used;
    if (keys->kind != PK_LIST)
        return bb_err(err, errlen, BB_EFORMAT, "%s: the storage key list is a %s", path, pk_kind_name(keys->kind));
    storage_bytes *sb = calloc(keys->len ? keys->len : 1, sizeof *sb);
    if (!sb) return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", path);
    for (size_t i = 0; i < keys->len; i++) {
        const pk_value *k = keys->items[i], *st = k->kind == PK_STR ? storage_of(root, k->s) : NULL;
        if (!st) {
            rc = bb_err(err, errlen, BB_EFORMAT, "%s: storage key %zu is not a key any tensor uses", path, i);
            goto done;
        }
        if (len - at < 8) {
            rc = bb_err(err, errlen, BB_EFORMAT, "%s: the file ends before storage '%s' (truncated?)", path, k->s);
            goto done;
        }
        uint64_t n = 0;
        for (int b = 7; b >= 0; b--) n = n << 8 | d[at + (size_t)b];
        at += 8;
        size_t esz = st_dtype_size(st->dtype);
        if (n != (uint64_t)st->numel) {
            rc = bb_err(err, errlen, BB_EFORMAT, "%s: storage '%s' holds %llu elements but the pickle says %lld", path,
                        k->s, (unsigned long long)n, (long long)st->numel);
            goto done;
        }
        if ((len - at) / esz < n) {
            rc = bb_err(err, errlen, BB_EFORMAT, "%s: storage '%s' (%llu %s elements) runs past the end of the file "
                        "(truncated?)", path, k->s, (unsigned long long)n, st_dtype_name(st->dtype));
            goto done;
        }
        sb[i] = (storage_bytes){k->s, d + at, n};
        at += (size_t)n * esz;
    }
    for (size_t i = 0; i < root->len; i++) {
        const pk_value *t = root->items[2 * i + 1];
        const storage_bytes *s = NULL;
        for (size_t j = 0; j < keys->len && !s; j++)
            if (strcmp(sb[j].key, t->storage->key) == 0) s = &sb[j];
        if (!s) {
            rc = bb_err(err, errlen, BB_EFORMAT, "%s: tensor '%s': storage '%s' is not in the file", path,
                        root->items[2 * i]->s, t->storage->key);
            goto done;
        }
        if (t->storage->dtype != storage_of(root, s->key)->dtype) {
            rc = bb_err(err, errlen, BB_EFORMAT, "%s: storage '%s' is used with two dtypes", path, s->key);
            goto done;
        }
        if ((rc = add_view(f, root->items[2 * i]->s, t, s, path, err, errlen)) != BB_OK) goto done;
    }
done:
    free(sb);
    return rc;
}

static int parse_into(st_file *f, const unsigned char *d, size_t len, const char *path, char *err, size_t errlen) {
    pk_ctx *cx = pk_new();
    if (!cx) return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", path);
    int rc;
    if (len >= 4 && memcmp(d, "PK\x03\x04", 4) == 0)
        rc = load_zip(f, d, len, path, cx, err, errlen);
    else if (len >= sizeof legacy_magic && memcmp(d, legacy_magic, sizeof legacy_magic) == 0)
        rc = load_legacy(f, d, len, path, cx, err, errlen);
    else
        rc = bb_err(err, errlen, BB_EFORMAT,
                    "%s: not a PyTorch checkpoint (neither a torch.save zip nor the legacy format)", path);
    pk_free(cx);
    return rc;
}

static int add_torch_file(st_file *f, const char *path, char *err, size_t errlen) {
    const unsigned char *d;
    size_t len;
    const char *kept;
    int rc = st_map_add(f, path, &d, &len, &kept, err, errlen);
    return rc != BB_OK ? rc : parse_into(f, d, len, kept, err, errlen);
}

static int open_with(st_file **out, int rc, st_file *f) {
    if (rc != BB_OK) {
        st_close(f);
        return rc;
    }
    *out = f;
    return BB_OK;
}

int torch_open(st_file **out, const char *path, char *err, size_t errlen) {
    *out = NULL;
    st_file *f = st_new();
    if (!f) return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", path);
    return open_with(out, add_torch_file(f, path, err, errlen), f);
}

int torch_open_mem(st_file **out, const void *data, size_t len, const char *name, char *err, size_t errlen) {
    *out = NULL;
    st_file *f = st_new();
    if (!f) return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", name);
    const unsigned char *copy;
    const char *kept;
    int rc = st_mem_add(f, data, len, name, &copy, &kept, err, errlen);
    if (rc == BB_OK) rc = parse_into(f, copy, len, kept, err, errlen);
    return open_with(out, rc, f);
}

int torch_open_dir(st_file **out, const char *dir, char *err, size_t errlen) {
    *out = NULL;
    char path[4096];
    struct stat sb;
    snprintf(path, sizeof path, "%s/pytorch_model.bin", dir);
    if (stat(path, &sb) == 0) return torch_open(out, path, err, errlen);
    snprintf(path, sizeof path, "%s/pytorch_model.bin.index.json", dir);
    if (stat(path, &sb) == 0)
        return st_open_index(out, dir, "pytorch_model.bin.index.json", add_torch_file, err, errlen);
    return bb_err(err, errlen, BB_EIO,
                  "%s: no model.safetensors, model.safetensors.index.json, pytorch_model.bin or "
                  "pytorch_model.bin.index.json",
                  dir);
}
