#include "st.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic_file.h"
#include "bb_err.h"
#include "bb_file.h"
#include "st_build.h"
#include "torch_ckpt.h"

typedef struct {
    char *path;
    void *map;
    size_t size;
    int heap; /* map is a malloc'd copy (st_open_mem), not an mmap */
} st_map;

struct st_file {
    st_map *maps;
    int nmaps;
    st_tensor *tensors;
    int ntensors;
    char **names; /* owned storage for tensor names and paths */
    int nnames, cap_names;
    int *slots;   /* open-addressing hash of tensor names: index into tensors, -1 empty */
    size_t nslots; /* a power of two, at least twice ntensors */
};

static const struct {
    const char *name;
    st_dtype dtype;
    size_t size;
} dtypes[] = {
    {"F32", ST_F32, 4}, {"F16", ST_F16, 2}, {"BF16", ST_BF16, 2}, {"F64", ST_F64, 8},
    {"I64", ST_I64, 8}, {"I32", ST_I32, 4}, {"I16", ST_I16, 2},  {"I8", ST_I8, 1},
    {"U8", ST_U8, 1},   {"BOOL", ST_BOOL, 1},
};

const char *st_dtype_name(st_dtype d) {
    for (size_t i = 0; i < sizeof dtypes / sizeof *dtypes; i++)
        if (dtypes[i].dtype == d) return dtypes[i].name;
    return "?";
}

size_t st_dtype_size(st_dtype d) {
    for (size_t i = 0; i < sizeof dtypes / sizeof *dtypes; i++)
        if (dtypes[i].dtype == d) return dtypes[i].size;
    return 0;
}

static int dtype_parse(const char *s, st_dtype *out) {
    for (size_t i = 0; i < sizeof dtypes / sizeof *dtypes; i++)
        if (strcmp(dtypes[i].name, s) == 0) {
            *out = dtypes[i].dtype;
            return 1;
        }
    return 0;
}

static char *keep_string(st_file *f, const char *s) {
    if (f->nnames == f->cap_names) { /* doubling: a header of 300k names is not 300k reallocs */
        int cap = f->cap_names ? f->cap_names * 2 : 64;
        char **grown = realloc(f->names, sizeof(char *) * (size_t)cap);
        if (!grown) return NULL;
        f->names = grown;
        f->cap_names = cap;
    }
    char *copy = strdup(s);
    if (!copy) return NULL;
    f->names[f->nnames++] = copy;
    return copy;
}

void st_close(st_file *f) {
    if (!f) return;
    for (int i = 0; i < f->nmaps; i++) {
        if (f->maps[i].heap)
            free(f->maps[i].map);
        else if (f->maps[i].map && f->maps[i].size)
            munmap(f->maps[i].map, f->maps[i].size);
        free(f->maps[i].path);
    }
    for (int i = 0; i < f->nnames; i++) free(f->names[i]);
    free(f->names);
    free(f->slots);
    free(f->maps);
    free(f->tensors);
    free(f);
}

static int map_file(st_map *m, const char *path, char *err, size_t errlen) {
    int fd, rc = bb_open_regular(path, &fd, err, errlen); /* a FIFO would block forever */
    if (rc != BB_OK) return rc;
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        close(fd);
        return bb_err(err, errlen, BB_EIO, "%s: cannot stat: %s", path, strerror(errno));
    }
    m->size = (size_t)sb.st_size;
    m->map = NULL;
    if (m->size > 0) {
        m->map = mmap(NULL, m->size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
        if (m->map == MAP_FAILED) {
            m->map = NULL;
            m->size = 0;
            close(fd);
            return bb_err(err, errlen, BB_EIO, "%s: mmap failed: %s", path, strerror(errno));
        }
    }
    close(fd);
    return BB_OK;
}

typedef struct {
    uint64_t begin, end;
    int index;
} span;

static int span_cmp(const void *a, const void *b) {
    const span *x = a, *y = b;
    return (x->begin > y->begin) - (x->begin < y->begin);
}

static uint64_t name_hash(const char *s) { /* FNV-1a */
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static size_t slot_of(const st_file *f, const char *name) {
    size_t mask = f->nslots - 1, i = (size_t)name_hash(name) & mask;
    while (f->slots[i] >= 0 && strcmp(f->tensors[f->slots[i]].name, name) != 0) i = (i + 1) & mask;
    return i;
}

/* Makes room in the name index for want tensors in all (rehashing when it grows). */
static int index_reserve(st_file *f, size_t want) {
    if (f->nslots >= 2 * want && f->nslots) return 0;
    size_t n = 64;
    while (n < 2 * want) n *= 2;
    int *slots = malloc(sizeof(int) * n);
    if (!slots) return -1;
    free(f->slots);
    f->slots = slots;
    f->nslots = n;
    for (size_t i = 0; i < n; i++) slots[i] = -1;
    for (int t = 0; t < f->ntensors; t++) slots[slot_of(f, f->tensors[t].name)] = t;
    return 0;
}

/* One header entry `name: {dtype, shape, data_offsets}` -> t (dtype, shape) and its byte span [*b, *en) in
 * the data area, every count range-checked against the file. */
static int parse_entry(const char *path, const char *name, const cJSON *e, uint64_t data_size, st_tensor *t, uint64_t *b,
                       uint64_t *en, char *err, size_t errlen) {
    const cJSON *jd = cJSON_GetObjectItemCaseSensitive(e, "dtype");
    const cJSON *js = cJSON_GetObjectItemCaseSensitive(e, "shape");
    const cJSON *jo = cJSON_GetObjectItemCaseSensitive(e, "data_offsets");
    if (!cJSON_IsString(jd) || !dtype_parse(jd->valuestring, &t->dtype))
        return bb_err(err, errlen, BB_EFORMAT, "%s: tensor '%s' has unsupported or missing dtype %s", path, name,
                      cJSON_IsString(jd) ? jd->valuestring : "(none)");
    if (!cJSON_IsArray(js) || cJSON_GetArraySize(js) > ST_MAX_DIMS)
        return bb_err(err, errlen, BB_EFORMAT, "%s: tensor '%s' has a missing or invalid shape", path, name);
    uint64_t numel = 1;
    const cJSON *d;
    cJSON_ArrayForEach(d, js) {
        if (!cJSON_IsNumber(d) || d->valuedouble < 0 || d->valuedouble > 9.0e15 ||
            d->valuedouble != (double)(int64_t)d->valuedouble)
            return bb_err(err, errlen, BB_EFORMAT, "%s: tensor '%s' has an invalid dimension", path, name);
        uint64_t dim = (uint64_t)d->valuedouble;
        if (dim && numel > UINT64_MAX / dim)
            return bb_err(err, errlen, BB_EFORMAT, "%s: tensor '%s' shape product overflows", path, name);
        numel *= dim;
        t->shape[t->ndim++] = (int64_t)dim;
    }
    size_t esz = st_dtype_size(t->dtype);
    if (numel > UINT64_MAX / esz || numel > (uint64_t)INT64_MAX / esz)
        return bb_err(err, errlen, BB_EFORMAT, "%s: tensor '%s' size overflows", path, name);
    if (!cJSON_IsArray(jo) || cJSON_GetArraySize(jo) != 2 || !cJSON_IsNumber(jo->child) ||
        !cJSON_IsNumber(jo->child->next) || jo->child->valuedouble < 0 ||
        jo->child->next->valuedouble < jo->child->valuedouble || jo->child->next->valuedouble > 1.8e19)
        return bb_err(err, errlen, BB_EFORMAT, "%s: tensor '%s' has invalid data_offsets", path, name);
    *b = (uint64_t)jo->child->valuedouble;
    *en = (uint64_t)jo->child->next->valuedouble;
    if (*en - *b != numel * esz)
        return bb_err(err, errlen, BB_EFORMAT,
                      "%s: tensor '%s': data_offsets span %llu bytes but dtype %s and its shape need %llu", path, name,
                      (unsigned long long)(*en - *b), jd->valuestring, (unsigned long long)(numel * esz));
    if (*en > data_size)
        return bb_err(err, errlen, BB_EFORMAT, "%s: tensor '%s' ends at byte %llu, past the end of the data (%llu bytes)",
                      path, name, (unsigned long long)*en, (unsigned long long)data_size);
    t->numel = (int64_t)numel;
    t->nbytes = (size_t)(*en - *b);
    return BB_OK;
}

/* Parses and validates the header of map m, appending its tensors to f. When only is non-NULL, the
 * file must contain (at least) the tensors the shard index assigns to it; others are kept too. */
static int parse_header(st_file *f, st_map *m, char *err, size_t errlen) {
    const char *path = m->path;
    if (m->size < 8) return bb_err(err, errlen, BB_EFORMAT, "%s: file too short for a safetensors header (%zu bytes)", path, m->size);
    const unsigned char *p = m->map;
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = (hlen << 8) | p[i];
    if (hlen > ST_MAX_HEADER)
        return bb_err(err, errlen, BB_EFORMAT, "%s: header claims %llu bytes (limit %u)", path,
                      (unsigned long long)hlen, ST_MAX_HEADER);
    if (hlen > m->size - 8)
        return bb_err(err, errlen, BB_EFORMAT, "%s: header claims %llu bytes but the file has %zu", path,
                      (unsigned long long)hlen, m->size - 8);
    const char *hdr = (const char *)p + 8;
    uint64_t data_size = m->size - 8 - hlen;
    const unsigned char *data = p + 8 + hlen;

    cJSON *root = cJSON_ParseWithLength(hdr, (size_t)hlen);
    if (!root) return bb_err(err, errlen, BB_EFORMAT, "%s: header is not valid JSON", path);
    int rc = BB_OK;
    span *spans = NULL;
    if (!cJSON_IsObject(root)) {
        rc = bb_err(err, errlen, BB_EFORMAT, "%s: header is not a JSON object", path);
        goto done;
    }
    int n = cJSON_GetArraySize(root);
    spans = calloc((size_t)n + 1, sizeof *spans);
    st_tensor *grown = realloc(f->tensors, sizeof(st_tensor) * (size_t)(f->ntensors + n + 1));
    if (!spans || !grown) {
        rc = bb_err(err, errlen, BB_ENOMEM, "%s: out of memory reading header", path);
        goto done;
    }
    f->tensors = grown;
    if (index_reserve(f, (size_t)f->ntensors + (size_t)n + 1) != 0) {
        rc = bb_err(err, errlen, BB_ENOMEM, "%s: out of memory reading header", path);
        goto done;
    }
    int nspans = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, root) {
        const char *name = e->string;
        if (strcmp(name, "__metadata__") == 0) continue;
        if (!cJSON_IsObject(e)) {
            rc = bb_err(err, errlen, BB_EFORMAT, "%s: tensor '%s' is not an object", path, name);
            goto done;
        }
        st_tensor t = {0};
        uint64_t b = 0, en = 0;
        if ((rc = parse_entry(path, name, e, data_size, &t, &b, &en, err, errlen)) != BB_OK) goto done;
        size_t slot = slot_of(f, name);
        if (f->slots[slot] >= 0) {
            rc = bb_err(err, errlen, BB_EFORMAT, "%s: tensor '%s' appears twice", path, name);
            goto done;
        }
        t.name = keep_string(f, name);
        if (!t.name) {
            rc = bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", path);
            goto done;
        }
        t.data = data + b;
        t.path = path;
        spans[nspans].begin = b;
        spans[nspans].end = en;
        spans[nspans].index = f->ntensors;
        nspans++;
        f->slots[slot] = f->ntensors;
        f->tensors[f->ntensors++] = t;
    }
    qsort(spans, (size_t)nspans, sizeof *spans, span_cmp);
    for (int i = 1; i < nspans; i++)
        if (spans[i].begin < spans[i - 1].end && spans[i].end > spans[i].begin) {
            rc = bb_err(err, errlen, BB_EFORMAT, "%s: tensors '%s' and '%s' overlap in the data area", path,
                        f->tensors[spans[i - 1].index].name, f->tensors[spans[i].index].name);
            goto done;
        }
done:
    free(spans);
    cJSON_Delete(root);
    return rc;
}

static int add_file(st_file *f, const char *path, char *err, size_t errlen) {
    st_map *grown = realloc(f->maps, sizeof(st_map) * (size_t)(f->nmaps + 1));
    if (!grown) return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", path);
    f->maps = grown;
    st_map *m = &f->maps[f->nmaps];
    memset(m, 0, sizeof *m);
    m->path = strdup(path);
    if (!m->path) return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", path);
    f->nmaps++;
    int rc = map_file(m, path, err, errlen);
    if (rc != BB_OK) return rc;
    return parse_header(f, m, err, errlen);
}

int st_open(st_file **out, const char *path, char *err, size_t errlen) {
    *out = NULL;
    st_file *f = calloc(1, sizeof *f);
    if (!f) return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", path);
    int rc = add_file(f, path, err, errlen);
    if (rc != BB_OK) {
        st_close(f);
        return rc;
    }
    *out = f;
    return BB_OK;
}

int st_open_mem(st_file **out, const void *data, size_t len, const char *name, char *err, size_t errlen) {
    *out = NULL;
    st_file *f = calloc(1, sizeof *f);
    st_map *m = calloc(1, sizeof *m);
    if (!f || !m || !(m->path = strdup(name)) || !(m->map = malloc(len ? len : 1))) {
        if (m) free(m->path);
        free(m);
        free(f);
        return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", name);
    }
    memcpy(m->map, data, len);
    m->size = len;
    m->heap = 1;
    f->maps = m;
    f->nmaps = 1;
    int rc = parse_header(f, m, err, errlen);
    if (rc != BB_OK) {
        st_close(f);
        return rc;
    }
    *out = f;
    return BB_OK;
}

int st_open_index(st_file **out, const char *dir, const char *index_name, st_add_fn add, char *err, size_t errlen) {
    *out = NULL;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, index_name);
    size_t len;
    char *text;
    int rc = bb_read_file(path, 64u << 20, &text, &len, err, errlen);
    if (rc != BB_OK) return rc;
    cJSON *root = cJSON_ParseWithLength(text, len);
    free(text);
    st_file *f = calloc(1, sizeof *f);
    if (!root || !f) {
        rc = bb_err(err, errlen, root ? BB_ENOMEM : BB_EFORMAT, "%s: %s", path,
                    root ? "out of memory" : "not valid JSON");
        goto fail;
    }
    const cJSON *wm = cJSON_GetObjectItemCaseSensitive(root, "weight_map");
    if (!cJSON_IsObject(wm)) {
        rc = bb_err(err, errlen, BB_EFORMAT, "%s: no \"weight_map\" object", path);
        goto fail;
    }
    const cJSON *e;
    cJSON_ArrayForEach(e, wm) {
        if (!cJSON_IsString(e) || strchr(e->valuestring, '/') || strcmp(e->valuestring, "..") == 0) {
            rc = bb_err(err, errlen, BB_EFORMAT, "%s: weight_map entry '%s' is not a file name in %s", path,
                        e->string, dir);
            goto fail;
        }
        char shard[4096];
        snprintf(shard, sizeof shard, "%s/%s", dir, e->valuestring);
        int seen = 0;
        for (int i = 0; i < f->nmaps && !seen; i++) seen = strcmp(f->maps[i].path, shard) == 0;
        if (!seen && (rc = add(f, shard, err, errlen)) != BB_OK) goto fail;
    }
    cJSON_ArrayForEach(e, wm) {
        const st_tensor *t = st_find(f, e->string);
        char shard[4096];
        snprintf(shard, sizeof shard, "%s/%s", dir, e->valuestring);
        if (!t || strcmp(t->path, shard) != 0) {
            rc = bb_err(err, errlen, BB_EFORMAT, "%s: tensor '%s' is not in %s as the index says", path,
                        e->string, e->valuestring);
            goto fail;
        }
    }
    cJSON_Delete(root);
    *out = f;
    return BB_OK;
fail:
    cJSON_Delete(root);
    st_close(f);
    return rc;
}

/* Safetensors first, then PyTorch's pytorch_model.bin, as transformers prefers them. */
int st_open_dir(st_file **out, const char *dir, char *err, size_t errlen) {
    *out = NULL;
    char path[4096];
    struct stat sb;
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    /* Anything at that name is the checkpoint: a looping or dangling link is an error about it, not
     * "no model.safetensors". */
    if (bb_path_exists(path)) {
        int rc = bb_check_regular(path, err, errlen);
        return rc != BB_OK ? rc : st_open(out, path, err, errlen);
    }
    snprintf(path, sizeof path, "%s/model.safetensors.index.json", dir);
    if (bb_path_exists(path)) return st_open_index(out, dir, "model.safetensors.index.json", add_file, err, errlen);
    if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return bb_err(err, errlen, BB_EIO, "%s: not a readable model directory", dir);
    return torch_open_dir(out, dir, err, errlen);
}

st_file *st_new(void) { return calloc(1, sizeof(st_file)); }

static st_map *new_map(st_file *f, const char *path, char *err, size_t errlen) {
    st_map *grown = realloc(f->maps, sizeof(st_map) * (size_t)(f->nmaps + 1));
    if (!grown) {
        bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", path);
        return NULL;
    }
    f->maps = grown;
    st_map *m = &f->maps[f->nmaps];
    memset(m, 0, sizeof *m);
    if (!(m->path = strdup(path))) {
        bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", path);
        return NULL;
    }
    f->nmaps++;
    return m;
}

int st_map_add(st_file *f, const char *path, const unsigned char **data, size_t *size, const char **kept, char *err,
               size_t errlen) {
    st_map *m = new_map(f, path, err, errlen);
    if (!m) return BB_ENOMEM;
    int rc = map_file(m, path, err, errlen);
    *data = m->map;
    *size = m->size;
    *kept = m->path;
    return rc;
}

int st_mem_add(st_file *f, const void *data, size_t len, const char *name, const unsigned char **copy,
               const char **kept, char *err, size_t errlen) {
    st_map *m = new_map(f, name, err, errlen);
    if (!m) return BB_ENOMEM;
    m->heap = 1;
    if (!(m->map = malloc(len ? len : 1))) return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", name);
    memcpy(m->map, data, len);
    m->size = len;
    *copy = m->map;
    *kept = m->path;
    return BB_OK;
}

int st_keep_block(st_file *f, void *block, char *err, size_t errlen) {
    st_map *m = new_map(f, "(copy)", err, errlen);
    if (!m) {
        free(block);
        return BB_ENOMEM;
    }
    m->heap = 1;
    m->map = block;
    return BB_OK;
}

int st_add_tensor(st_file *f, const st_tensor *t, char *err, size_t errlen) {
    if (st_find(f, t->name))
        return bb_err(err, errlen, BB_EFORMAT, "%s: tensor '%s' appears twice", t->path, t->name);
    st_tensor *grown = realloc(f->tensors, sizeof(st_tensor) * (size_t)(f->ntensors + 1));
    if (!grown) return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", t->path);
    f->tensors = grown; /* before index_reserve, which rehashes through f->tensors */
    if (index_reserve(f, (size_t)f->ntensors + 1) != 0) return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", t->path);
    st_tensor c = *t;
    if (!(c.name = keep_string(f, t->name))) return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", t->path);
    f->slots[slot_of(f, c.name)] = f->ntensors;
    f->tensors[f->ntensors++] = c;
    return BB_OK;
}

int st_count(const st_file *f) { return f->ntensors; }

const st_tensor *st_at(const st_file *f, int i) { return i >= 0 && i < f->ntensors ? &f->tensors[i] : NULL; }

const st_tensor *st_find(const st_file *f, const char *name) {
    if (!f->nslots) return NULL;
    int i = f->slots[slot_of(f, name)];
    return i >= 0 ? &f->tensors[i] : NULL;
}

float st_f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
    if (exp == 0) {
        if (man == 0) {
            bits = sign;
        } else { /* subnormal: normalise */
            exp = 127 - 15 + 1;
            while (!(man & 0x400)) {
                man <<= 1;
                exp--;
            }
            bits = sign | (exp << 23) | ((man & 0x3ff) << 13);
        }
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | (man << 13);
    } else {
        bits = sign | ((exp - 15 + 127) << 23) | (man << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

float st_bf16_to_f32(uint16_t h) {
    uint32_t bits = (uint32_t)h << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

uint16_t st_f32_to_f16(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000, exp = (x >> 23) & 0xff, man = x & 0x7fffff;
    if (exp == 0xff) return (uint16_t)(sign | 0x7c00 | (man ? 0x200 : 0));
    int e = (int)exp - 127 + 15;
    if (e >= 31) return (uint16_t)(sign | 0x7c00);
    if (e <= 0) {
        if (e < -10) return (uint16_t)sign;
        man |= 0x800000;
        int shift = 14 - e;
        uint32_t half = man >> shift, rem = man & ((1u << shift) - 1), mid = 1u << (shift - 1);
        if (rem > mid || (rem == mid && (half & 1))) half++;
        return (uint16_t)(sign | half);
    }
    uint32_t half = sign | ((uint32_t)e << 10) | (man >> 13), rem = man & 0x1fff;
    if (rem > 0x1000 || (rem == 0x1000 && (half & 1))) half++; /* round to nearest even */
    return (uint16_t)half;
}

int st_read_f32(const st_tensor *t, float *dst, int64_t n, char *err, size_t errlen) {
    if (n != t->numel)
        return bb_err(err, errlen, BB_ESHAPE, "%s: tensor '%s' has %lld elements, expected %lld", t->path,
                      t->name, (long long)t->numel, (long long)n);
    const unsigned char *s = t->data;
    switch (t->dtype) {
    case ST_F32: memcpy(dst, s, (size_t)n * 4); break;
    case ST_F16:
        for (int64_t i = 0; i < n; i++) {
            uint16_t h;
            memcpy(&h, s + 2 * i, 2);
            dst[i] = st_f16_to_f32(h);
        }
        break;
    case ST_BF16:
        for (int64_t i = 0; i < n; i++) {
            uint16_t h;
            memcpy(&h, s + 2 * i, 2);
            dst[i] = st_bf16_to_f32(h);
        }
        break;
    case ST_F64:
        for (int64_t i = 0; i < n; i++) {
            double d;
            memcpy(&d, s + 8 * i, 8);
            dst[i] = (float)d;
        }
        break;
    default:
        return bb_err(err, errlen, BB_ESHAPE, "%s: tensor '%s' has dtype %s, expected a float type", t->path,
                      t->name, st_dtype_name(t->dtype));
    }
    return BB_OK;
}

int st_read_i32(const st_tensor *t, int32_t *dst, int64_t n, char *err, size_t errlen) {
    if (n != t->numel)
        return bb_err(err, errlen, BB_ESHAPE, "%s: tensor '%s' has %lld elements, expected %lld", t->path,
                      t->name, (long long)t->numel, (long long)n);
    const unsigned char *s = t->data;
    for (int64_t i = 0; i < n; i++) {
        int64_t v;
        switch (t->dtype) {
        case ST_I64: memcpy(&v, s + 8 * i, 8); break;
        case ST_I32: {
            int32_t x;
            memcpy(&x, s + 4 * i, 4);
            v = x;
            break;
        }
        case ST_I16: {
            int16_t x;
            memcpy(&x, s + 2 * i, 2);
            v = x;
            break;
        }
        case ST_I8: v = (int8_t)s[i]; break;
        case ST_U8:
        case ST_BOOL: v = s[i]; break;
        default:
            return bb_err(err, errlen, BB_ESHAPE, "%s: tensor '%s' has dtype %s, expected an integer type",
                          t->path, t->name, st_dtype_name(t->dtype));
        }
        if (v < INT32_MIN || v > INT32_MAX)
            return bb_err(err, errlen, BB_EFORMAT, "%s: tensor '%s' value %lld out of int32 range",
                          t->path, t->name, (long long)v);
        dst[i] = (int32_t)v;
    }
    return BB_OK;
}

const float *st_f32_inplace(const st_tensor *t) {
    if (t->dtype != ST_F32 || ((uintptr_t)t->data & 3u)) return NULL;
    return t->data;
}

static int write_all(FILE *fp, const void *p, size_t n) { return fwrite(p, 1, n, fp) == n ? 0 : -1; }

int st_write_raw(const char *path, const st_raw_entry *entries, int n, char *err, size_t errlen) {
    cJSON *root = cJSON_CreateObject();
    cJSON *meta = cJSON_AddObjectToObject(root, "__metadata__");
    if (!root || !meta || !cJSON_AddStringToObject(meta, "format", "pt")) {
        cJSON_Delete(root);
        return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", path);
    }
    uint64_t off = 0;
    for (int i = 0; i < n; i++) {
        const st_raw_entry *e = &entries[i];
        cJSON *t = cJSON_AddObjectToObject(root, e->name);
        cJSON *shape = cJSON_CreateArray(), *offs = cJSON_CreateArray();
        if (!t || !shape || !offs) {
            cJSON_Delete(shape);
            cJSON_Delete(offs);
            cJSON_Delete(root);
            return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", path);
        }
        for (int d = 0; d < e->ndim; d++) cJSON_AddItemToArray(shape, cJSON_CreateNumber((double)e->shape[d]));
        cJSON_AddStringToObject(t, "dtype", st_dtype_name(e->dtype));
        cJSON_AddItemToObject(t, "shape", shape);
        cJSON_AddItemToArray(offs, cJSON_CreateNumber((double)off));
        off += e->nbytes;
        cJSON_AddItemToArray(offs, cJSON_CreateNumber((double)off));
        cJSON_AddItemToObject(t, "data_offsets", offs);
    }
    char *hdr = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    if (!hdr) return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", path);
    size_t hlen = strlen(hdr), padded = (hlen + 7) & ~(size_t)7; /* keep the data 8-byte aligned */
    bb_atomic_file af;
    int rc = bb_atomic_open(&af, path, err, errlen);
    if (rc != BB_OK) {
        free(hdr);
        return rc;
    }
    unsigned char len8[8];
    for (int i = 0; i < 8; i++) len8[i] = (unsigned char)((uint64_t)padded >> (8 * i));
    int bad = write_all(af.fp, len8, 8) || write_all(af.fp, hdr, hlen);
    for (size_t i = hlen; i < padded && !bad; i++) bad = fputc(' ', af.fp) == EOF;
    free(hdr);
    for (int i = 0; i < n && !bad; i++) bad = write_all(af.fp, entries[i].data, entries[i].nbytes);
    return bb_atomic_commit(&af, bad, err, errlen);
}

int st_write(const char *path, const st_entry *entries, int n, char *err, size_t errlen) {
    st_raw_entry *raw = calloc((size_t)(n > 0 ? n : 1), sizeof *raw);
    if (!raw) return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", path);
    for (int i = 0; i < n; i++) {
        uint64_t numel = 1;
        for (int d = 0; d < entries[i].ndim; d++) numel *= (uint64_t)entries[i].shape[d];
        raw[i] = (st_raw_entry){entries[i].name, ST_F32, entries[i].ndim, {0}, entries[i].data, (size_t)numel * 4};
        memcpy(raw[i].shape, entries[i].shape, sizeof raw[i].shape);
    }
    int rc = st_write_raw(path, raw, n, err, errlen);
    free(raw);
    return rc;
}
