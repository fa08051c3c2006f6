/* tok_unigram_internal.h — shared by the Unigram trainer's files. */
#ifndef BB_TOK_UNIGRAM_INTERNAL_H
#define BB_TOK_UNIGRAM_INTERNAL_H

#include <stdint.h>

#include "tok_unigram_train.h"

#define UG_SCRIPT_COMMON 0
#define UG_WS 0x2581 /* '▁' */

/* The longest rule of the charsmap blob matching s[0, n): its length in bytes (0 = none) and *repl
 * its NUL-terminated replacement. */
int tok_ug_charsmap_match(const uint8_t *blob, size_t len, const char *s, long n, const char **repl);

/* The script class of a code point: UG_SCRIPT_COMMON for digits, punctuation, symbols and spaces. */
int tok_ug_script(int32_t c);

#endif
