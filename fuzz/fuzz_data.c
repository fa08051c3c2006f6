/* libFuzzer target: the dataset readers (plain text, paragraphs, JSONL, CSV, TSV, CoNLL), label maps,
 * and encoding the examples with a small WordPiece tokenizer. The first byte picks the format (and
 * text paragraphs), bit 0x40 skips lines that are not UTF-8; the rest is written to a file in /dev/shm
 * and loaded with data_load. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bb_err.h"
#include "data.h"
#include "tok.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char vocab[] = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n!\n,\n.\na\nb\nc\ne\nthe\ncat\n##s\n##t\n";
static tok_tokenizer *tk;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const data_format fmts[] = {DATA_FMT_TEXT, DATA_FMT_TEXT, DATA_FMT_JSONL,
                                       DATA_FMT_CSV,  DATA_FMT_TSV,  DATA_FMT_CONLL};
    char err[256], path[64];
    if (!tk && tok_load_vocab_mem(&tk, vocab, sizeof vocab - 1, "fuzz", 1, err, sizeof err) != BB_OK) abort();
    if (size < 1) return 0;
    int mode = (data[0] & 0x3f) % 6;
    snprintf(path, sizeof path, "/dev/shm/bb_fuzz_data_%d", (int)getpid());
    FILE *fp = fopen(path, "wb");
    if (!fp) abort();
    if (size > 1 && fwrite(data + 1, 1, size - 1, fp) != size - 1) abort();
    fclose(fp);
    data_set *d = NULL;
    int flags = (mode == 1 ? DATA_PARAGRAPHS : 0) | (data[0] & 0x40 ? DATA_SKIP_BAD_UTF8 : 0);
    if (data_load(&d, path, fmts[mode], flags, err, sizeof err) != BB_OK) return 0;
    int tags = d->ex[0].n_words > 0;
    data_labels lm;
    data_encoded e;
    if (data_labels_build(&lm, d, tags, err, sizeof err) == BB_OK) {
        if (data_encode_examples(&e, tk, d, &lm, tags, 3 + data[0] % 29, err, sizeof err) == BB_OK)
            data_encoded_free(&e);
        data_labels_free(&lm);
    }
    if (data_group_texts(&e, tk, d, 8, err, sizeof err) == BB_OK) data_encoded_free(&e);
    data_set *tr, *ev;
    if (data_split(d, 0.25, 7, &tr, &ev, err, sizeof err) == BB_OK) {
        data_free(tr);
        data_free(ev);
    }
    return 0;
}
