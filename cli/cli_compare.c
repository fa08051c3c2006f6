/* `bertbench compare --tokenizer A --tokenizer B [--tokenizer C] (TEXT... | --corpus FILE)`: the same
 * text (or corpus) through two or three tokenizers of any kind (WordPiece, byte-level BPE, Unigram,
 * SentencePiece BPE): each one's pieces and counts per text, or each one's corpus statistics
 * (fertility, [UNK] and byte-fallback rates, tokens per text) with its token count relative to the
 * first. Tokens are counted without the post-processor's specials, so that every kind is measured on
 * the text alone. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_tok.h"

enum { CMP_MAX = 3 };

static const char *usage =
    "usage: bertbench compare --tokenizer FILE --tokenizer FILE [--tokenizer FILE] [--max-length N]\n"
    "                         (TEXT... | --corpus FILE)\n"
    "FILE: vocab.txt, tokenizer.json, a SentencePiece .model or a model directory. One JSON line per TEXT\n"
    "(each tokenizer's tokens, count, [UNK] and byte-fallback pieces), or one for the corpus (each one's\n"
    "statistics as `tokenize --stats` prints them, and tokens relative to the first).\n";

static cJSON *describe(const tok_tokenizer *tk, const char *path) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "tokenizer", path);
    cJSON_AddStringToObject(o, "kind", tok_kind_name(tok_kind(tk)));
    cJSON_AddNumberToObject(o, "vocab_size", tok_vocab_size(tk));
    return o;
}

static int print_line(cJSON *o) {
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!s) return cli_fail("compare", "out of memory");
    puts(s);
    free(s);
    return 0;
}

static int compare_text(tok_tokenizer *const *tk, const char *const *paths, int n, const char *text,
                        tok_encoding *e) {
    char err[512];
    cJSON *o = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(o, "tokenizers");
    cJSON_AddStringToObject(o, "text", text);
    tok_options opt = tok_options_default();
    opt.add_special_tokens = 0;
    for (int k = 0; k < n; k++) {
        if (tok_encode(tk[k], text, -1, NULL, 0, &opt, e, err, sizeof err) != BB_OK) {
            cJSON_Delete(o);
            return cli_fail("compare", "%s: %s", paths[k], err);
        }
        cJSON *d = describe(tk[k], paths[k]), *toks = cJSON_AddArrayToObject(d, "tokens");
        int unk = 0, bytes = 0;
        int32_t unk_id = tok_specials(tk[k]).unk;
        for (int i = 0; i < e->n; i++) {
            cJSON_AddItemToArray(toks, cJSON_CreateString(e->tokens[i]));
            unk += unk_id >= 0 && e->ids[i] == unk_id;
            bytes += tok_is_byte_piece(e->tokens[i]);
        }
        cJSON_AddNumberToObject(d, "n_tokens", e->n);
        cJSON_AddNumberToObject(d, "unk", unk);
        cJSON_AddNumberToObject(d, "byte_fallback", bytes);
        cJSON_AddItemToArray(arr, d);
    }
    return print_line(o);
}

static int compare_corpus(tok_tokenizer *const *tk, const char *const *paths, int n, const char *corpus,
                          int max_length) {
    char err[512];
    long nt = 0, skipped = 0;
    char **texts;
    if (tok_read_texts(corpus, 0, &texts, &nt, &skipped, err, sizeof err) != BB_OK) return cli_fail("compare", "%s", err);
    cJSON *o = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(o, "tokenizers");
    cJSON_AddStringToObject(o, "corpus", corpus);
    int status = 0;
    long first = 0;
    for (int k = 0; k < n && status == 0; k++) {
        tok_stats st;
        int max = max_length ? max_length : tok_model_max_length(tk[k]);
        if (tok_stats_compute(tk[k], (const char *const *)texts, nt, max, &st, NULL, err, sizeof err) != BB_OK) {
            status = cli_fail("compare", "%s: %s", paths[k], err);
            break;
        }
        /* Content tokens (fertility x words): the specials each kind adds are not the text's. */
        long content = (long)(st.fertility * (double)st.n_words + 0.5);
        if (k == 0) first = content;
        cJSON *d = describe(tk[k], paths[k]);
        cJSON_AddNumberToObject(d, "content_tokens", (double)content);
        cJSON_AddNumberToObject(d, "tokens_vs_first", first ? (double)content / (double)first : 0);
        cJSON_AddItemToObject(d, "stats", cli_stats_json(&st));
        cJSON_AddItemToArray(arr, d);
    }
    tok_texts_free(texts, nt);
    if (status) {
        cJSON_Delete(o);
        return status;
    }
    return print_line(o);
}

int cli_compare(int argc, char **argv) {
    const char *paths[CMP_MAX], *corpus = NULL;
    int n = 0, max_length = 0, first_text = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has = i + 1 < argc;
        if (strcmp(a, "--help") == 0) return fputs(usage, stdout), 0;
        if (strcmp(a, "--tokenizer") == 0 && has) {
            if (n == CMP_MAX) return cli_usage_error("compare", "at most %d --tokenizer", CMP_MAX);
            paths[n++] = argv[++i];
        } else if (strcmp(a, "--corpus") == 0 && has) {
            corpus = argv[++i];
        } else if (strcmp(a, "--max-length") == 0 && has) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (*end || v < 1 || v > 1000000) return cli_usage_error("compare", "--max-length '%s' is not a length", argv[i]);
            max_length = (int)v;
        } else if (a[0] == '-' && a[1] == '-') {
            return cli_usage_error("compare", "unknown option '%s'", a);
        } else if (!first_text) {
            first_text = i;
        }
    }
    if (n < 2) return cli_usage_error("compare", "give two or three --tokenizer FILE");
    if (!!corpus == !!first_text) return cli_usage_error("compare", "give TEXT... or --corpus FILE (not both)");
    char err[512];
    tok_tokenizer *tk[CMP_MAX] = {0};
    int status = 0;
    for (int k = 0; k < n && status == 0; k++)
        if (tok_load_any(&tk[k], paths[k], TOK_CASE_AUTO, err, sizeof err) != BB_OK)
            status = cli_fail("compare", "%s", err);
    if (status == 0 && corpus) status = compare_corpus(tk, paths, n, corpus, max_length);
    if (status == 0 && first_text) {
        tok_encoding *e = tok_encoding_new();
        for (int i = first_text; i < argc && status == 0; i++) {
            if (argv[i][0] == '-' && argv[i][1] == '-') {
                i++; /* every option here takes a value */
                continue;
            }
            status = e ? compare_text(tk, paths, n, argv[i], e) : cli_fail("compare", "out of memory");
        }
        tok_encoding_free(e);
    }
    for (int k = 0; k < n; k++) tok_free(tk[k]);
    return status;
}
