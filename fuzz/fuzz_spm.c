/* libFuzzer target: a SentencePiece .model (tok_load_spm_mem: the protobuf reader, the charsmap, the
 * piece tables), then the Unigram or BPE encoder, stage inspection and the decoder over fixed texts
 * that reach the charsmap, whitespace handling, unknown runs and byte fallback. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bb_err.h"
#include "tok.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const char *texts[] = {
        "  Hello\tw\xC3\xB6rld \xEF\xBC\xA1\xEF\xAC\x81 caf" "e\xCC\x81  <sep> 12345 \xF0\xA0\xAE\xB7\xF0\x9F\x98\x80 ",
        "\xE2\x96\x81" "already\xE2\x96\x81marked\x01\xFF\xC3",
        "",
    };
    char err[256];
    tok_tokenizer *tk = NULL;
    if (tok_load_spm_mem(&tk, data, size, "fuzz.model", err, sizeof err) != BB_OK) return 0;
    tok_encoding *e = tok_encoding_new();
    for (int t = 0; t < 3; t++) {
        if (tok_encode(tk, texts[t], -1, t == 0 ? texts[1] : NULL, -1, NULL, e, err, sizeof err) != BB_OK) continue;
        for (int i = 0; i < e->n; i++)
            if (e->ids[i] < 0 || e->ids[i] >= tok_vocab_size(tk) || !e->tokens[i] ||
                e->offsets[2 * i] > e->offsets[2 * i + 1])
                abort();
        size_t n;
        free(tok_decode_len_dup(tk, e->ids, e->n, t == 1, &n));
        tok_stages st;
        if (tok_inspect(tk, texts[t], -1, &st, err, sizeof err) == BB_OK) tok_stages_free(&st);
    }
    tok_encoding_free(e);
    tok_free(tk);
    return 0;
}
