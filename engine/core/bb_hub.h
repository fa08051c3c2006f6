/* bb_hub.h — Hugging Face Hub model ids resolved from the local cache, offline, as huggingface_hub does.
 *
 * The cache is $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub. A model ORG/NAME lives in
 * models--ORG--NAME/: refs/REVISION holds a commit hash, snapshots/HASH/ the files (symlinks into
 * blobs/). `ORG/NAME@REVISION` picks a branch or tag (default main) or a full commit hash. A path that
 * exists always wins over an id, so `--model bert-base-uncased` is the directory when there is one.
 *
 *     char dir[4096];
 *     if (bb_hub_resolve("dslim/bert-base-NER", dir, sizeof dir, err, sizeof err) != BB_OK) ...;
 *     // dir: ~/.cache/huggingface/hub/models--dslim--bert-base-NER/snapshots/<hash>
 *
 * The model and tokenizer loaders call bb_hub_resolve on their directory argument, so every command
 * that takes a model directory takes an id too. (It lives in core because both depend on core only.)
 */
#ifndef BB_HUB_H
#define BB_HUB_H

#include <stddef.h>

/* The cache directory in use (which need not exist). */
int bb_hub_cache_dir(char *out, size_t outlen, char *err, size_t errlen);
/* Whether s has the shape of a Hub id: NAME or ORG/NAME (letters, digits, '-', '_', '.'), optionally
 * followed by @REVISION. */
int bb_hub_is_id(const char *s);
/* An existing path, or a string that is not an id, is copied to out unchanged (its loader reports what
 * is wrong with it); an id becomes its snapshot directory, or an error saying where it was looked for
 * and how to get it. */
int bb_hub_resolve(const char *arg, char *out, size_t outlen, char *err, size_t errlen);

/* One cached model: its id, the commit its main ref (or only snapshot) points to, the snapshot path. */
typedef struct {
    char id[128];
    char revision[64]; /* "main", or the snapshot's hash when there is no main ref */
    char commit[64];
    char path[4096];
} bb_hub_model;

/* Every cached model with a snapshot, sorted by id (*out is the caller's to free; none: n = 0). */
int bb_hub_list(bb_hub_model **out, int *n, char *err, size_t errlen);

#endif
