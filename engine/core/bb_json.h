/* bb_json.h — parsing JSON files the way Python's json.loads (and so Hugging Face) reads them:
 * when an object repeats a key the last value wins (cJSON alone would find the first), and anything
 * but whitespace after the value is an error.
 *
 *     cJSON *root;
 *     if (bb_json_parse(&root, text, len, "model/config.json", err, sizeof err) != BB_OK) ...;
 *     cJSON_Delete(root);
 */
#ifndef BB_JSON_H
#define BB_JSON_H

#include <stddef.h>

#include <cjson/cJSON.h>

/* Parses text[0..len); name is used in messages ("NAME: not valid JSON (at byte N)"). */
int bb_json_parse(cJSON **out, const char *text, size_t len, const char *name, char *err, size_t errlen);
/* Removes every member of every object (recursively) that a later member of the same name overrides. */
int bb_json_last_key_wins(cJSON *item);

#endif
