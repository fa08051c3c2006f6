#include "tfrecord.h"

#include "crc32c.h"

static uint32_t le32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }

static uint64_t le64(const uint8_t *p) { return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32; }

static void put32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static int header_ok(const uint8_t *h) { return crc32c_mask(crc32c(h, 8)) == le32(h + 8) && le64(h) <= TFR_MAX_RECORD; }

int tfrecord_next(const uint8_t *buf, size_t len, size_t *off, const uint8_t **data, size_t *n) {
    size_t at = *off;
    if (at >= len) return TFR_END;
    if (len - at < TFR_HEADER) return TFR_TORN;
    const uint8_t *h = buf + at;
    if (!header_ok(h)) {
        size_t p = at + 1;
        while (p + TFR_HEADER <= len && !header_ok(buf + p)) p++;
        /* none found: p stops 11 bytes before the end, which may hold the start of a header still
         * being written */
        *off = p;
        return TFR_CORRUPT;
    }
    uint64_t size = le64(h);
    if ((uint64_t)(len - at - TFR_HEADER) < size + TFR_FOOTER) return TFR_TORN;
    const uint8_t *d = h + TFR_HEADER;
    *off = at + TFR_HEADER + (size_t)size + TFR_FOOTER;
    if (crc32c_mask(crc32c(d, (size_t)size)) != le32(d + size)) return TFR_CORRUPT;
    *data = d;
    *n = (size_t)size;
    return TFR_RECORD;
}

void tfrecord_frame(uint8_t header[TFR_HEADER], uint8_t footer[TFR_FOOTER], const void *data, size_t n) {
    for (int i = 0; i < 8; i++) header[i] = (uint8_t)((uint64_t)n >> (8 * i));
    put32(header + 8, crc32c_mask(crc32c(header, 8)));
    put32(footer, crc32c_mask(crc32c(data, n)));
}
