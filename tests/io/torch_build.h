/* torch_build.h — hand-assembled torch.save files for tests: pickle opcodes appended to a buffer and a
 * stored zip around them, so every failure path can be written on purpose. */
#ifndef BB_TORCH_BUILD_H
#define BB_TORCH_BUILD_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    unsigned char *p;
    size_t n, cap;
} tb_buf;

static inline void tb_bytes(tb_buf *b, const void *data, size_t n) {
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
        if (!b->p) abort();
    }
    memcpy(b->p + b->n, data, n);
    b->n += n;
}
static inline void tb_byte(tb_buf *b, unsigned c) {
    unsigned char x = (unsigned char)c;
    tb_bytes(b, &x, 1);
}
static inline void tb_le(tb_buf *b, uint64_t v, int n) {
    for (int i = 0; i < n; i++) tb_byte(b, (unsigned)(v >> (8 * i)) & 0xff);
}
static inline void tb_str(tb_buf *b, const char *s) { /* BINUNICODE */
    tb_byte(b, 'X');
    tb_le(b, strlen(s), 4);
    tb_bytes(b, s, strlen(s));
}
static inline void tb_int(tb_buf *b, int64_t v) {
    if (v >= 0 && v < 256) {
        tb_byte(b, 'K');
        tb_byte(b, (unsigned)v);
    } else {
        tb_byte(b, 'J');
        tb_le(b, (uint64_t)v, 4);
    }
}
static inline void tb_global(tb_buf *b, const char *module, const char *name) {
    tb_byte(b, 'c');
    tb_bytes(b, module, strlen(module));
    tb_byte(b, '\n');
    tb_bytes(b, name, strlen(name));
    tb_byte(b, '\n');
}
static inline void tb_ints(tb_buf *b, const int64_t *v, int n) { /* a tuple of ints */
    tb_byte(b, '(');
    for (int i = 0; i < n; i++) tb_int(b, v[i]);
    tb_byte(b, 't');
}
/* The start of a state dict: PROTO 2, OrderedDict(), MARK. */
static inline void tb_dict_begin(tb_buf *b) {
    tb_byte(b, 0x80);
    tb_byte(b, 2);
    tb_global(b, "collections", "OrderedDict");
    tb_byte(b, ')');
    tb_byte(b, 'R');
    tb_byte(b, '(');
}
static inline void tb_dict_end(tb_buf *b) { /* SETITEMS, STOP */
    tb_byte(b, 'u');
    tb_byte(b, '.');
}
/* name -> _rebuild_tensor_v2(storage(type, key, numel), offset, size, stride, False, OrderedDict()) */
static inline void tb_tensor(tb_buf *b, const char *name, const char *storage_type, const char *key, int64_t numel,
                             int64_t offset, const int64_t *size, const int64_t *stride, int ndim) {
    tb_str(b, name);
    tb_global(b, "torch._utils", "_rebuild_tensor_v2");
    tb_byte(b, '(');
    tb_byte(b, '(');
    tb_str(b, "storage");
    tb_global(b, "torch", storage_type);
    tb_str(b, key);
    tb_str(b, "cpu");
    tb_int(b, numel);
    tb_byte(b, 't');
    tb_byte(b, 'Q');
    tb_int(b, offset);
    tb_ints(b, size, ndim);
    tb_ints(b, stride, ndim);
    tb_byte(b, 0x89);
    tb_global(b, "collections", "OrderedDict");
    tb_byte(b, ')');
    tb_byte(b, 'R');
    tb_byte(b, 't');
    tb_byte(b, 'R');
}

typedef struct {
    const char *name;
    const void *data;
    size_t n;
    int method; /* 0 stored; anything else only labels the entry */
} tb_entry;

/* A zip of the entries (no CRCs: the reader does not check them) written to path. */
static inline int tb_write_zip(const char *path, const tb_entry *e, int n) {
    tb_buf z = {0}, cd = {0};
    for (int i = 0; i < n; i++) {
        size_t off = z.n, nl = strlen(e[i].name);
        tb_le(&z, 0x04034b50, 4);
        tb_le(&z, 20, 2);
        tb_le(&z, 0, 2);
        tb_le(&z, (uint64_t)e[i].method, 2);
        tb_le(&z, 0, 4);
        tb_le(&z, 0, 4);
        tb_le(&z, e[i].n, 4);
        tb_le(&z, e[i].n, 4);
        tb_le(&z, nl, 2);
        tb_le(&z, 0, 2);
        tb_bytes(&z, e[i].name, nl);
        tb_bytes(&z, e[i].data, e[i].n);
        tb_le(&cd, 0x02014b50, 4);
        tb_le(&cd, 20, 2);
        tb_le(&cd, 20, 2);
        tb_le(&cd, 0, 2);
        tb_le(&cd, (uint64_t)e[i].method, 2);
        tb_le(&cd, 0, 4);
        tb_le(&cd, 0, 4);
        tb_le(&cd, e[i].n, 4);
        tb_le(&cd, e[i].n, 4);
        tb_le(&cd, nl, 2);
        tb_le(&cd, 0, 2);
        tb_le(&cd, 0, 2);
        tb_le(&cd, 0, 2);
        tb_le(&cd, 0, 2);
        tb_le(&cd, 0, 4);
        tb_le(&cd, off, 4);
        tb_bytes(&cd, e[i].name, nl);
    }
    size_t cd_off = z.n;
    tb_bytes(&z, cd.p, cd.n);
    tb_le(&z, 0x06054b50, 4);
    tb_le(&z, 0, 4);
    tb_le(&z, (uint64_t)n, 2);
    tb_le(&z, (uint64_t)n, 2);
    tb_le(&z, cd.n, 4);
    tb_le(&z, cd_off, 4);
    tb_le(&z, 0, 2);
    FILE *fp = fopen(path, "wb");
    int ok = fp && fwrite(z.p, 1, z.n, fp) == z.n;
    if (fp) ok = fclose(fp) == 0 && ok;
    free(z.p);
    free(cd.p);
    return ok ? 0 : -1;
}

#endif
