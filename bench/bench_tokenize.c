/* `bertbench bench tokenize (--vocab FILE | --model DIR | --tokenizer FILE) [--cased] TEXTFILE`:
 * encodes every line of TEXTFILE on one thread (no special tokens, as HF's reference loop counts) and
 * prints one JSON line. Small files are encoded repeatedly until a second has passed; the numbers are
 * per pass. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "tok.h"

static const char usage[] =
    "usage: bertbench bench tokenize (--vocab FILE | --model DIR | --tokenizer FILE) [--cased] TEXTFILE\n"
    "Encodes every line of TEXTFILE on one thread (no special tokens) and prints one JSON line:\n"
    "tokens/s, bytes/s and the time of one pass (small files are encoded again until a second passed).\n"
    "  --vocab FILE      a WordPiece vocab.txt (lowercased unless --cased)\n"
    "  --model DIR       the tokenizer of a model directory\n"
    "  --tokenizer FILE  a tokenizer.json\n"
    "  --cased           keep case\n";

int bench_tokenize(int argc, char **argv) {
    const char *vocab = NULL, *model = NULL, *tjson = NULL, *file = NULL;
    int cased = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            fputs(usage, stdout);
            return 0;
        }
        if (strcmp(argv[i], "--vocab") == 0 && i + 1 < argc) vocab = argv[++i];
        else if (strcmp(argv[i], "--model") == 0 && i + 1 < argc) model = argv[++i];
        else if (strcmp(argv[i], "--tokenizer") == 0 && i + 1 < argc) tjson = argv[++i];
        else if (strcmp(argv[i], "--cased") == 0) cased = 1;
        else if (argv[i][0] == '-') return bench_usage_error("bench tokenize", "unknown option '%s'", argv[i]);
        else file = argv[i];
    }
    if (!file || (!vocab && !model && !tjson))
        return bench_usage_error("bench tokenize", "give a TEXTFILE and --vocab FILE, --model DIR or --tokenizer FILE");
    char err[512];
    tok_tokenizer *tk = NULL;
    int rc = vocab ? tok_load_vocab(&tk, vocab, !cased, err, sizeof err)
             : model ? tok_load_dir(&tk, model, cased ? TOK_CASE_CASED : TOK_CASE_AUTO, err, sizeof err)
                     : tok_load_any(&tk, tjson, cased ? TOK_CASE_CASED : TOK_CASE_AUTO, err, sizeof err);
    if (rc != BB_OK) return bench_fail("bench tokenize", "%s", err);
    FILE *f = fopen(file, "rb");
    if (!f) {
        tok_free(tk);
        return bench_fail("bench tokenize", "%s: cannot open", file);
    }
    char *data = NULL;
    size_t cap = 0, n = 0, r;
    char buf[1 << 16];
    while ((r = fread(buf, 1, sizeof buf, f)) > 0) {
        if (n + r + 1 > cap) {
            cap = (n + r + 1) * 2;
            char *nd = realloc(data, cap);
            if (!nd) {
                free(data), fclose(f), tok_free(tk);
                return bench_fail("bench tokenize", "out of memory");
            }
            data = nd;
        }
        memcpy(data + n, buf, r), n += r;
    }
    fclose(f);
    tok_encoding *e = tok_encoding_new();
    tok_options o = tok_options_default();
    o.add_special_tokens = 0;
    long lines = 0, tokens = 0, passes = 0;
    double t0 = bench_now(), dt = 0;
    do {
        lines = tokens = 0;
        for (size_t p = 0; p < n;) {
            size_t q = p;
            while (q < n && data[q] != '\n') q++;
            if (tok_encode(tk, data + p, (long)(q - p), NULL, 0, &o, e, err, sizeof err) != BB_OK) {
                free(data), tok_encoding_free(e), tok_free(tk);
                return bench_fail("bench tokenize", "%s", err);
            }
            tokens += e->n, lines++;
            p = q + 1;
        }
        passes++;
        dt = bench_now() - t0;
    } while (dt < 1.0);
    double sec = dt / (double)passes;
    printf("{\"lines\":%ld,\"bytes\":%zu,\"tokens\":%ld,\"seconds\":%.6f,\"tokens_per_s\":%.0f,\"passes\":%ld}\n", lines, n,
           tokens, sec, (double)tokens / sec, passes);
    free(data);
    tok_encoding_free(e);
    tok_free(tk);
    return 0;
}
