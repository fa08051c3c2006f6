/* `bertbench tokenize`: encode texts (arguments, --jsonl on stdin) and print one JSON object each, or
 * corpus statistics with --stats FILE (optionally against a second tokenizer). */
#include <cjson/cJSON.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bb_err.h"
#include "bb_lines.h"
#include "cli.h"
#include "cli_model.h"
#include "cli_tok.h"
#include "data.h"
#include "infer.h"
#include "tok.h"

static const char *usage =
    "usage: bertbench tokenize [--model DIR | --vocab PATH | --tokenizer PATH] [--cased] [--max-length N]\n"
    "                          [--truncation-side right|left] [--pair TEXT] [--skip-invalid-utf8]\n"
    "                          [--no-special-tokens] (TEXT... | --jsonl | --stats FILE\n"
    "                          [--vs-model DIR | --vs-vocab FILE | --vs-tokenizer FILE])\n"
    "Without --model, --vocab or --tokenizer: the bundled model's tokenizer.\n"
    "Truncates only with --max-length or when the tokenizer.json has a truncation section (as HF\n"
    "tokenizers); a text longer than the model takes (the fewer of model_max_length and the model's\n"
    "positions) gets \"exceeds_model_max_length\": {\"length\", \"model_max_length\"} instead of a cut.\n";

/* Loads from whichever of dir / vocab / json is set (--vocab and --tokenizer each take a vocab.txt, a
 * tokenizer.json or a directory, as everywhere else). */
static int load(tok_tokenizer **tk, const char *dir, const char *vocab, const char *json, int cased, char *err,
                size_t errlen) {
    return tok_load_any(tk, dir ? dir : vocab ? vocab : json, cased ? TOK_CASE_CASED : TOK_CASE_AUTO, err, errlen);
}

/* The model's effective max length (infer_max_length): its config.json's positions when dir is a model
 * directory that has one, else the tokenizer's model_max_length. */
static int effective_limit(const char *dir, const tok_tokenizer *tk) {
    if (!dir) return infer_max_length(NULL, tk);
    char path[4096], err[256];
    snprintf(path, sizeof path, "%s/config.json", dir);
    bert_config cfg;
    if (bert_config_load(&cfg, path, err, sizeof err) != BB_OK) return infer_max_length(NULL, tk);
    int n = infer_max_length(&cfg, tk);
    bert_config_free(&cfg);
    return n;
}

static cJSON *int_array(const int32_t *v, int n, int stride) {
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < n; i++) cJSON_AddItemToArray(a, cJSON_CreateNumber(v[i * stride]));
    return a;
}

/* limit: the model's effective max length; an encoding longer than it (and not truncated) says so,
 * where HF tokenizers warns "Token indices sequence length is longer than the specified maximum". */
static void print_encoding(const tok_encoding *e, int limit) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "ids", int_array(e->ids, e->n, 1));
    cJSON *toks = cJSON_AddArrayToObject(o, "tokens");
    cJSON *offs = cJSON_AddArrayToObject(o, "offsets");
    for (int i = 0; i < e->n; i++) {
        cJSON_AddItemToArray(toks, cJSON_CreateString(e->tokens[i]));
        cJSON_AddItemToArray(offs, int_array(e->offsets + 2 * i, 2, 1));
    }
    cJSON_AddItemToObject(o, "type_ids", int_array(e->type_ids, e->n, 1));
    cJSON_AddNumberToObject(o, "overflow", e->overflow_a + e->overflow_b);
    if (limit > 0 && e->n > limit) {
        cJSON *x = cJSON_AddObjectToObject(o, "exceeds_model_max_length");
        cJSON_AddNumberToObject(x, "length", e->n);
        cJSON_AddNumberToObject(x, "model_max_length", limit);
    }
    char *s = cJSON_PrintUnformatted(o);
    if (s) puts(s);
    free(s);
    cJSON_Delete(o);
}

cJSON *cli_stats_json(const tok_stats *s) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "texts", (double)s->n_texts);
    cJSON_AddNumberToObject(o, "tokens", (double)s->n_tokens);
    cJSON *t = cJSON_AddObjectToObject(o, "tokens_per_text");
    cJSON_AddNumberToObject(t, "mean", s->mean);
    cJSON_AddNumberToObject(t, "std", s->std);
    cJSON_AddNumberToObject(t, "min", s->min);
    cJSON_AddNumberToObject(t, "q1", s->q1);
    cJSON_AddNumberToObject(t, "median", s->median);
    cJSON_AddNumberToObject(t, "q3", s->q3);
    cJSON_AddNumberToObject(t, "max", s->max);
    cJSON *h = cJSON_AddObjectToObject(o, "histogram");
    cJSON_AddNumberToObject(h, "bin_width", s->bin_width);
    cJSON *c = cJSON_AddArrayToObject(h, "counts");
    for (int i = 0; i < TOK_STATS_BINS; i++) cJSON_AddItemToArray(c, cJSON_CreateNumber((double)s->hist[i]));
    cJSON *tr = cJSON_AddObjectToObject(o, "truncation");
    cJSON_AddNumberToObject(tr, "max_length", s->max_length);
    cJSON_AddNumberToObject(tr, "texts_over", (double)s->n_over);
    cJSON_AddNumberToObject(tr, "tokens_cut", (double)s->cut_tokens);
    cJSON_AddNumberToObject(tr, "words_cut_right", (double)s->cut_words_right);
    cJSON_AddNumberToObject(tr, "words_cut_left", (double)s->cut_words_left);
    cJSON_AddNumberToObject(o, "words", (double)s->n_words);
    cJSON_AddNumberToObject(o, "unk", (double)s->n_unk);
    cJSON_AddNumberToObject(o, "unk_rate", s->unk_rate);
    cJSON_AddNumberToObject(o, "byte_fallback", (double)s->n_bytes);
    cJSON_AddNumberToObject(o, "byte_fallback_rate", s->byte_rate);
    cJSON_AddNumberToObject(o, "fertility", s->fertility);
    return o;
}

/* --stats FILE: corpus statistics with tk (and vs beside it when given), one JSON object. */
static int corpus_stats(tok_tokenizer *tk, tok_tokenizer *vs, const char *stats, int skip_bad, int max_length) {
    char err[512];
    long n = 0, skipped = 0;
    char **texts;
    if (tok_read_texts(stats, skip_bad, &texts, &n, &skipped, err, sizeof err) != BB_OK)
        return cli_fail("tokenize", "%s", err);
    if (skipped)
        fprintf(stderr, "warning: %s: skipped %ld line%s that %s not UTF-8\n", stats, skipped, skipped == 1 ? "" : "s",
                skipped == 1 ? "is" : "are");
    int status = 0;
    tok_stats sa, sb;
    int rc = tok_stats_compute(tk, (const char *const *)texts, n, max_length, &sa, NULL, err, sizeof err);
    if (rc == BB_OK && vs) rc = tok_stats_compute(vs, (const char *const *)texts, n, max_length, &sb, NULL, err, sizeof err);
    if (rc == BB_OK) {
        cJSON *o = cli_stats_json(&sa);
        if (vs) {
            cJSON *both = cJSON_CreateObject();
            cJSON_AddItemToObject(both, "a", o);
            cJSON_AddItemToObject(both, "b", cli_stats_json(&sb));
            o = both;
        }
        char *js = cJSON_PrintUnformatted(o);
        if (js) puts(js);
        free(js);
        cJSON_Delete(o);
    } else {
        status = cli_fail("tokenize", "%s", err);
    }
    tok_texts_free(texts, n);
    return status;
}

/* --jsonl: one {"text", "text_pair"?} object per stdin line, one encoding printed per line. */
static int encode_jsonl(tok_tokenizer *tk, const tok_options *opt, tok_encoding *e, int skip_bad, int limit) {
    char err[512];
    char *line = NULL;
    size_t cap = 0;
    long lineno = 0;
    int status = 0;
    while (getline(&line, &cap, stdin) >= 0) {
        lineno++;
        if (!bb_utf8_valid(line)) {
            if (skip_bad) continue;
            status = cli_fail("tokenize", "stdin line %ld: not valid UTF-8 (--skip-invalid-utf8 skips such lines)", lineno);
            break;
        }
        cJSON *j = cJSON_Parse(line);
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "text"), *p = cJSON_GetObjectItemCaseSensitive(j, "text_pair");
        if (!cJSON_IsString(t)) {
            cJSON_Delete(j);
            status = cli_fail("tokenize", "stdin line %ld: not an object with a \"text\" string", lineno);
            break;
        }
        if (tok_encode(tk, t->valuestring, -1, cJSON_IsString(p) ? p->valuestring : NULL, -1, opt, e, err, sizeof err) !=
            BB_OK) {
            cJSON_Delete(j);
            status = cli_fail("tokenize", "stdin line %ld: %s", lineno, err);
            break;
        }
        print_encoding(e, limit);
        cJSON_Delete(j);
    }
    /* a closed or unreadable stdin is an error, not an empty input */
    if (status == 0 && ferror(stdin)) status = cli_fail("tokenize", "reading stdin: %s", strerror(errno));
    free(line);
    return status;
}

int cli_tokenize(int argc, char **argv) {
    const char *dir = NULL, *vocab = NULL, *json = NULL, *pair = NULL, *stats = NULL;
    const char *vs_dir = NULL, *vs_vocab = NULL, *vs_json = NULL;
    int cased = 0, jsonl = 0, max_length = 0, first_text = 0, side_given = 0, skip_bad = 0, specials = 1;
    tok_side side = TOK_SIDE_RIGHT;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has = i + 1 < argc;
        if (strcmp(a, "--help") == 0) return fputs(usage, stdout), 0;
        if (strcmp(a, "--model") == 0 && has) dir = argv[++i];
        else if (strcmp(a, "--vocab") == 0 && has) vocab = argv[++i];
        else if (strcmp(a, "--tokenizer") == 0 && has) json = argv[++i];
        else if (strcmp(a, "--vs-model") == 0 && has) vs_dir = argv[++i];
        else if (strcmp(a, "--vs-vocab") == 0 && has) vs_vocab = argv[++i];
        else if (strcmp(a, "--vs-tokenizer") == 0 && has) vs_json = argv[++i];
        else if (strcmp(a, "--cased") == 0) cased = 1;
        else if (strcmp(a, "--no-special-tokens") == 0) specials = 0; /* HF add_special_tokens=False */
        else if (strcmp(a, "--jsonl") == 0) jsonl = 1;
        else if (strcmp(a, "--skip-invalid-utf8") == 0) skip_bad = 1;
        else if (strcmp(a, "--pair") == 0 && has) pair = argv[++i];
        else if (strcmp(a, "--stats") == 0 && has) stats = argv[++i];
        else if (strcmp(a, "--max-length") == 0 && has) {
            char *end;
            long v = strtol(argv[++i], &end, 10);
            if (*end || v < 1 || v > 1000000) return cli_usage_error("tokenize", "--max-length '%s' is not a length", argv[i]);
            max_length = (int)v;
        } else if (strcmp(a, "--truncation-side") == 0 && has) {
            const char *s = argv[++i];
            if (strcmp(s, "right") && strcmp(s, "left"))
                return cli_usage_error("tokenize", "--truncation-side must be right or left, not '%s'", s);
            side = s[0] == 'l' ? TOK_SIDE_LEFT : TOK_SIDE_RIGHT;
            side_given = 1;
        } else if (a[0] == '-' && a[1] == '-') {
            return cli_usage_error("tokenize", "unknown option '%s'", a);
        } else if (!first_text) {
            first_text = i;
        }
    }
    if (!!dir + !!vocab + !!json > 1) return cli_usage_error("tokenize", "give one of --model, --vocab, --tokenizer");
    /* like the other subcommands */
    if (!dir && !vocab && !json && !(dir = cli_default_model("tokenize"))) return 1;
    if (!first_text && !jsonl && !stats) return cli_usage_error("tokenize", "no text (give TEXT..., --jsonl or --stats FILE)");
    char err[512];
    tok_tokenizer *tk = NULL, *vs = NULL;
    if (load(&tk, dir, vocab, json, cased, err, sizeof err) != BB_OK) return cli_fail("tokenize", "%s", err);
    /* As HF tokenizers: truncate only when asked (--max-length) or when the tokenizer.json says so;
     * otherwise report what goes past the model's limit. Stats count against that limit. */
    tok_options opt = tok_options_default();
    int file_trunc = tok_file_truncation(tk, &opt);
    int limit = effective_limit(dir, tk);
    if (max_length) opt.truncation = TOK_TRUNC_LONGEST_FIRST, opt.max_length = max_length;
    if (side_given) opt.truncation_side = side;
    opt.add_special_tokens = specials;
    if (!max_length) max_length = file_trunc ? opt.max_length : limit;
    int status = 0;
    if (stats) {
        if ((vs_dir || vs_vocab || vs_json) && load(&vs, vs_dir, vs_vocab, vs_json, cased, err, sizeof err) != BB_OK)
            status = cli_fail("tokenize", "%s", err);
        else
            status = corpus_stats(tk, vs, stats, skip_bad, max_length);
        tok_free(tk), tok_free(vs);
        return status;
    }
    tok_encoding *e = tok_encoding_new();
    if (jsonl) status = encode_jsonl(tk, &opt, e, skip_bad, limit);
    for (int i = first_text; first_text && i < argc && status == 0; i++) {
        if (argv[i][0] == '-' && argv[i][1] == '-') {
            if (strcmp(argv[i], "--cased") && strcmp(argv[i], "--jsonl") && strcmp(argv[i], "--skip-invalid-utf8") &&
                strcmp(argv[i], "--no-special-tokens"))
                i++;
            continue;
        }
        if (tok_encode(tk, argv[i], -1, pair, -1, &opt, e, err, sizeof err) != BB_OK) {
            status = cli_fail("tokenize", "%s", err);
            break;
        }
        print_encoding(e, limit);
    }
    tok_encoding_free(e);
    tok_free(tk);
    return status;
}
