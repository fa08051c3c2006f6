/* pbwire.h — the protocol buffer wire format, just enough to read and write TensorBoard's Event.
 *
 *     pb_reader r = {buf, buf + n};
 *     pb_field f;
 *     int rc;
 *     while ((rc = pb_next(&r, &f)) == 1) {
 *         if (f.num == 2 && f.wire == PB_VARINT) step = (int64_t)f.u;
 *         else if (f.num == 5 && f.wire == PB_LEN) { pb_reader sub = {f.p, f.p + f.len}; ... }
 *     }
 *     if (rc < 0) ...malformed...
 *
 *     pb_buf b = {0};                       // writing: fields appended to a growing buffer
 *     pb_put_varint(&b, 2, step); pb_put_len(&b, 3, "brain.Event:2", 13);
 *     ... b.p, b.n ...; free(b.p);
 *
 * Unknown fields are skipped by their wire type; groups (wire types 3 and 4, long obsolete) and
 * lengths that run past the end are malformed. Nothing here allocates while reading.
 */
#ifndef BB_PBWIRE_H
#define BB_PBWIRE_H

#include <stddef.h>
#include <stdint.h>

enum { PB_VARINT = 0, PB_I64 = 1, PB_LEN = 2, PB_I32 = 5 };

typedef struct {
    const uint8_t *p, *end;
} pb_reader;

typedef struct {
    uint32_t num;     /* field number */
    int wire;         /* PB_* */
    uint64_t u;       /* PB_VARINT value; PB_I64 / PB_I32 raw little-endian bits */
    const uint8_t *p; /* PB_LEN: the bytes (borrowed from the reader's buffer) */
    size_t len;
} pb_field;

/* 1: a field was read into *f; 0: the end of the message; -1: malformed. */
int pb_next(pb_reader *r, pb_field *f);
/* The bits of a PB_I32 / PB_I64 field as a float / double. */
float pb_float(const pb_field *f);
double pb_double(const pb_field *f);

typedef struct {
    uint8_t *p;
    size_t n, cap;
    int failed; /* an allocation failed: the buffer is incomplete */
} pb_buf;

void pb_put_varint(pb_buf *b, uint32_t num, uint64_t v);
void pb_put_double(pb_buf *b, uint32_t num, double v);
void pb_put_float(pb_buf *b, uint32_t num, float v);
void pb_put_len(pb_buf *b, uint32_t num, const void *data, size_t n);

#endif
