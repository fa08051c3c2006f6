/* crc32c.h — CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) and TFRecord's masked form.
 *
 *     uint32_t c = crc32c(buf, n);           // crc32c("123456789", 9) == 0xE3069283
 *     uint32_t m = crc32c_mask(c);           // what TFRecord stores beside a length and a record
 *
 * TensorFlow masks its CRCs (rotate right 15, add 0xa282ead8) because a CRC of data that itself holds
 * CRCs is weak; the mask is part of the on-disk format, so it is reproduced exactly.
 */
#ifndef BB_CRC32C_H
#define BB_CRC32C_H

#include <stddef.h>
#include <stdint.h>

uint32_t crc32c(const void *data, size_t n);
/* Continues a CRC over more bytes: crc32c_extend(crc32c(a, na), b, nb) == crc32c(a ++ b). */
uint32_t crc32c_extend(uint32_t crc, const void *data, size_t n);
uint32_t crc32c_mask(uint32_t crc);

#endif
