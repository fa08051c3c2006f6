/* libFuzzer target: vocab.txt as a file on disk (tok_load_vocab), lowercase or cased by the first byte,
 * then encode / decode a fixed text and save the vocabulary back. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bb_err.h"
#include "tok.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const char text[] = "Hello, [MASK] caf\xc3\xa9 world! \xe4\xb8\xad\xe6\x96\x87 don't ##s [UNK]";
    char err[256], path[64], out[64];
    if (size < 1) return 0;
    snprintf(path, sizeof path, "/dev/shm/bb_fuzz_vocab_%d.txt", (int)getpid());
    snprintf(out, sizeof out, "/dev/shm/bb_fuzz_vocab_%d.out", (int)getpid());
    FILE *fp = fopen(path, "wb");
    if (!fp) abort();
    if (size > 1 && fwrite(data + 1, 1, size - 1, fp) != size - 1) abort();
    fclose(fp);
    tok_tokenizer *tk = NULL;
    if (tok_load_vocab(&tk, path, data[0] & 1, err, sizeof err) != BB_OK) return 0;
    tok_encoding *e = tok_encoding_new();
    tok_options o = tok_options_default();
    o.max_length = 1 + data[0] % 16;
    o.truncation = data[0] & 2 ? TOK_TRUNC_LONGEST_FIRST : TOK_TRUNC_NONE;
    if (tok_encode(tk, text, -1, text + 7, -1, &o, e, err, sizeof err) == BB_OK) {
        for (int i = 0; i < e->n; i++)
            if (e->ids[i] < 0 || e->ids[i] >= tok_vocab_size(tk)) abort();
        size_t n;
        free(tok_decode_len_dup(tk, e->ids, e->n, data[0] & 4, &n));
    }
    tok_encoding_free(e);
    tok_tokenizer *back = NULL;
    if (tok_save_vocab(tk, out, err, sizeof err) == BB_OK && tok_load_vocab(&back, out, 1, err, sizeof err) == BB_OK)
        tok_free(back);
    tok_free(tk);
    return 0;
}
