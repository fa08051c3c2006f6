#include "pbwire.h"

#include <stdlib.h>
#include <string.h>

static int get_varint(pb_reader *r, uint64_t *v) {
    uint64_t x = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (r->p >= r->end) return -1;
        uint8_t b = *r->p++;
        x |= (uint64_t)(b & 0x7F) << shift;
        if (!(b & 0x80)) {
            *v = x;
            return 0;
        }
    }
    return -1; /* more than ten bytes */
}

static uint64_t get_le(const uint8_t *p, int n) {
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

int pb_next(pb_reader *r, pb_field *f) {
    if (r->p >= r->end) return 0;
    uint64_t key;
    if (get_varint(r, &key) < 0) return -1;
    f->num = (uint32_t)(key >> 3);
    f->wire = (int)(key & 7);
    f->u = 0, f->p = NULL, f->len = 0;
    if (f->num == 0 || key >> 3 > 0x1FFFFFFF) return -1;
    size_t left;
    switch (f->wire) {
    case PB_VARINT: return get_varint(r, &f->u) < 0 ? -1 : 1;
    case PB_I64:
    case PB_I32: {
        int n = f->wire == PB_I64 ? 8 : 4;
        if (r->end - r->p < n) return -1;
        f->u = get_le(r->p, n);
        r->p += n;
        return 1;
    }
    case PB_LEN:
        if (get_varint(r, &f->u) < 0) return -1;
        left = (size_t)(r->end - r->p);
        if (f->u > left) return -1;
        f->p = r->p;
        f->len = (size_t)f->u;
        r->p += f->len;
        return 1;
    default: return -1;
    }
}

float pb_float(const pb_field *f) {
    uint32_t bits = (uint32_t)f->u;
    float v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

double pb_double(const pb_field *f) {
    double v;
    memcpy(&v, &f->u, sizeof v);
    return v;
}

static void put_bytes(pb_buf *b, const void *data, size_t n) {
    if (b->failed) return;
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 128;
        while (cap < b->n + n) cap *= 2;
        uint8_t *p = realloc(b->p, cap);
        if (!p) {
            b->failed = 1;
            return;
        }
        b->p = p, b->cap = cap;
    }
    if (n) memcpy(b->p + b->n, data, n);
    b->n += n;
}

static void put_raw_varint(pb_buf *b, uint64_t v) {
    uint8_t tmp[10];
    int n = 0;
    do {
        tmp[n] = (uint8_t)(v & 0x7F);
        v >>= 7;
        if (v) tmp[n] |= 0x80;
        n++;
    } while (v);
    put_bytes(b, tmp, (size_t)n);
}

static void put_le(pb_buf *b, uint64_t v, int n) {
    uint8_t tmp[8];
    for (int i = 0; i < n; i++) tmp[i] = (uint8_t)(v >> (8 * i));
    put_bytes(b, tmp, (size_t)n);
}

void pb_put_varint(pb_buf *b, uint32_t num, uint64_t v) {
    put_raw_varint(b, (uint64_t)num << 3 | PB_VARINT);
    put_raw_varint(b, v);
}

void pb_put_double(pb_buf *b, uint32_t num, double v) {
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    put_raw_varint(b, (uint64_t)num << 3 | PB_I64);
    put_le(b, bits, 8);
}

void pb_put_float(pb_buf *b, uint32_t num, float v) {
    uint32_t bits;
    memcpy(&bits, &v, sizeof bits);
    put_raw_varint(b, (uint64_t)num << 3 | PB_I32);
    put_le(b, bits, 4);
}

void pb_put_len(pb_buf *b, uint32_t num, const void *data, size_t n) {
    put_raw_varint(b, (uint64_t)num << 3 | PB_LEN);
    put_raw_varint(b, n);
    put_bytes(b, data, n);
}
