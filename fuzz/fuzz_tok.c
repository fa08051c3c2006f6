/* libFuzzer target: BERT normalizer + WordPiece on arbitrary bytes, the vocab.txt and tokenizer.json
 * loaders on arbitrary files, and encode/inspect/decode with whatever loaded. The first byte picks
 * the mode; the rest is the input. Build: meson setup -Dfuzz=true with CC=clang. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tok.h"

static const char vocab[] =
    "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n!\n,\n.\n#\na\nb\nc\ne\ni\nn\no\nr\ns\nt\n##a\n##b\n##e\n##s\n##t\n##ing\n"
    "the\ncat\ncafe\nre\n##sum\n\xe4\xb8\xad\n\xe1\x84\x92\n##\xe1\x85\xa1\n\xf0\x9f\x98\x80\n";

static tok_tokenizer *wp_lower, *wp_cased;

static void exercise(const tok_tokenizer *tk, const char *text, long len) {
    char err[256];
    if (len < 0) len = (long)strlen(text);
    tok_encoding *e = tok_encoding_new();
    tok_options o = tok_options_default();
    if (tok_encode(tk, text, len, NULL, 0, &o, e, err, sizeof err) == BB_OK) {
        for (int i = 0; i < e->n; i++)
            if (e->offsets[2 * i] > e->offsets[2 * i + 1] || e->byte_offsets[2 * i + 1] > len) abort();
        size_t n;
        free(tok_decode_len_dup(tk, e->ids, e->n, len & 1, &n));
    }
    /* A pair made of the two halves, truncated and padded. */
    o.truncation = (tok_trunc)(1 + (len % 3));
    o.truncation_side = (tok_side)(len & 1);
    o.max_length = 4 + (int)(len % 13);
    o.pad_to = 20;
    tok_encode(tk, text, len / 2, text + len / 2, len - len / 2, &o, e, err, sizeof err);
    tok_encoding_free(e);
    tok_stages st;
    if (tok_inspect(tk, text, len, &st, err, sizeof err) == BB_OK) tok_stages_free(&st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char err[256];
    if (!wp_lower) {
        if (tok_load_vocab_mem(&wp_lower, vocab, sizeof vocab - 1, "fuzz", 1, err, sizeof err) != BB_OK ||
            tok_load_vocab_mem(&wp_cased, vocab, sizeof vocab - 1, "fuzz", 0, err, sizeof err) != BB_OK)
            abort();
    }
    if (size < 1) return 0;
    const char *text = (const char *)data + 1;
    long len = (long)size - 1;
    tok_tokenizer *tk = NULL;
    switch (data[0] % 4) {
    case 0: exercise(wp_lower, text, len); break;
    case 1: exercise(wp_cased, text, len); break;
    case 2:
        if (tok_load_vocab_mem(&tk, text, (size_t)len, "fuzz", data[0] & 4, err, sizeof err) == BB_OK)
            exercise(tk, "Hello, [MASK] caf\xc3\xa9 world!", -1);
        break;
    default:
        if (tok_load_json_mem(&tk, text, (size_t)len, "fuzz", err, sizeof err) == BB_OK) {
            exercise(tk, "Hello, <s> caf\xc3\xa9 world! don't  \t x", -1);
            exercise(tk, text, len);
        }
        break;
    }
    tok_free(tk);
    return 0;
}
