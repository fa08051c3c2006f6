/* tfrecord.h — TFRecord framing, the container of TensorBoard event files:
 *
 *     u64 length (little-endian) | u32 masked CRC32C of those 8 bytes | data[length] | u32 masked CRC32C of data
 *
 * Reading walks a buffer that may end in the middle of a record, because the writer is appending to
 * the file while it is read: such a torn tail is reported as TFR_TORN and left in place, so the next
 * read, with more bytes, starts at the same record.
 *
 *     size_t off = 0;
 *     const uint8_t *rec; size_t n;
 *     for (;;) {
 *         int k = tfrecord_next(buf, len, &off, &rec, &n);
 *         if (k == TFR_RECORD) use(rec, n);
 *         else if (k == TFR_CORRUPT) corrupt++;     // off moved past it (or to the next plausible header)
 *         else break;                               // TFR_END, or TFR_TORN: wait for more bytes at off
 *     }
 */
#ifndef BB_TFRECORD_H
#define BB_TFRECORD_H

#include <stddef.h>
#include <stdint.h>

enum { TFR_END = 0, TFR_RECORD = 1, TFR_TORN = 2, TFR_CORRUPT = 3 };
enum { TFR_HEADER = 12, TFR_FOOTER = 4 };
/* A record longer than this is taken for a damaged length (TensorBoard scalars are tens of bytes). */
#define TFR_MAX_RECORD ((uint64_t)64 << 20)

/* A corrupt length CRC loses the record boundary: the reader then looks for the next offset whose
 * 12-byte header checks out and resumes there. A corrupt data CRC skips exactly that record. */
int tfrecord_next(const uint8_t *buf, size_t len, size_t *off, const uint8_t **data, size_t *n);
/* The 12 bytes before and 4 bytes after a record of n bytes of data. */
void tfrecord_frame(uint8_t header[TFR_HEADER], uint8_t footer[TFR_FOOTER], const void *data, size_t n);

#endif
