/* tok_json_vocab.h — a tokenizer.json's model.vocab object ({"token": id, ...}) read straight from the
 * text, without a cJSON node per entry (internal to engine/tokenizer).
 *
 * cJSON builds three allocations and a strtod per entry: for the bundled model's 8,000-entry vocabulary
 * that was 2.1 ms of the 4.1 ms tok_load_any took. tok_load_json_mem finds the object's span, lets
 * cJSON parse the text with {} in its place, and reads the entries here:
 *
 *     tok_vocab_span sp;
 *     if (tok_json_vocab_span(json, len, &sp)) { ... cJSON on json[0, sp.begin) "{}" json[sp.end, len) ...
 *         tok_json_vocab_each(json, &sp, keybuf, on_entry, ctx); }   // keybuf: sp.end - sp.begin + 1 bytes
 *
 * The span is found only where the answer is certain to be cJSON's: the first member named "model" of
 * the top-level object, its first member named "vocab", no escaped key before either (cJSON compares
 * keys decoded), and every entry a string decoded exactly as cJSON decodes it with a plain integer id
 * (at most 9 digits). Anything else answers 0, and the caller parses the whole text with cJSON. */
#ifndef BB_TOK_JSON_VOCAB_H
#define BB_TOK_JSON_VOCAB_H

#include <stddef.h>

typedef struct {
    size_t begin, end; /* the object's bytes, '{' to '}' inclusive */
    long count;        /* its entries */
} tok_vocab_span;

/* Called with each entry in order (key decoded, NUL-terminated; borrowed until the next call); a
 * non-zero return stops the walk and is returned by tok_json_vocab_each. */
typedef int (*tok_vocab_entry_fn)(void *ctx, const char *key, long id);

/* 1 and *sp when json's model.vocab can be read here, else 0. */
int tok_json_vocab_span(const char *json, size_t len, tok_vocab_span *sp);

/* Walks the entries of a span found by tok_json_vocab_span; key: sp->end - sp->begin + 1 bytes of
 * room. Returns 0, or the first non-zero return of fn. */
int tok_json_vocab_each(const char *json, const tok_vocab_span *sp, char *key, tok_vocab_entry_fn fn, void *ctx);

#endif
