/* bb_numfmt.h — float32 values as JSON numbers, fast: the shortest decimal that reads back as the same
 * float32 (parse(format(x)) == x exactly; what Ryu and numpy's repr of a float32 print), laid out as
 * JavaScript's Number.toString lays out digits: 0.25, 1, 0.020544866, 1e-7, 3.4028235e+38. NaN and
 * Inf, which JSON cannot hold, are written null (as cJSON writes them). cJSON writes a float as the
 * 17 digits of its double (printed, re-parsed and printed again); this costs a few multiplications.
 *
 *     char buf[BB_FLOAT_CHARS];
 *     size_t n = bb_format_float(buf, 0.25f);                  // "0.25", n = 4
 *     cJSON_AddItemToObject(o, "probs", bb_json_floats(p, 3, 8)); // [[...8 numbers],[..],[..]]
 */
#ifndef BB_NUMFMT_H
#define BB_NUMFMT_H

#include <stddef.h>

#include <cjson/cJSON.h>

#define BB_FLOAT_CHARS 24 /* enough for "-1.2345678e-45" and a terminating NUL */

/* Writes x into buf (NUL-terminated); returns the length. */
size_t bb_format_float(char *buf, float x);

/* A cJSON item holding p (rows, cols) as nested arrays of numbers written by bb_format_float, printed
 * verbatim inside the document (a raw item): [[p00,p01,..],[p10,..],..], or a flat array [p0,p1,..]
 * when rows is 0. NULL when out of memory. */
cJSON *bb_json_floats(const float *p, int rows, int cols);

#endif
