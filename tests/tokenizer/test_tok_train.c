/* The project's trainers: WordPiece and byte-level BPE learned from fixture texts, written as a model
 * directory, loaded back (tokenizer.json and vocab.txt) and round-tripped encode -> decode. */
#include <unistd.h>

#include "check.h"
#include "tok_fixture.h"

static void strip_spaces(char *s) {
    char *o = s;
    for (; *s; s++)
        if (*s != ' ') *o++ = *s;
    *o = 0;
}

int main(void) {
    const char *fx = check_fixtures();
    char path[4096], err[256];
    snprintf(path, sizeof path, "%s/tokenizer/wordpiece_uncased.jsonl", fx);
    size_t n;
    char *data = fx_read(path, &n);
    CHECK(data != NULL, "cannot read %s", path);
    if (!data) return check_done();
    /* The corpus: the texts of the first 1500 rows (edge cases, Brown, mail). */
    char *texts[1500];
    int nt = 0;
    for (char *line = data, *next; line && *line && nt < 1500; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = 0;
        long tl;
        texts[nt] = fx_string(line, "text", &tl);
        if (texts[nt] && strlen(texts[nt]) == (size_t)tl) nt++;
        else free(texts[nt]);
    }
    char dir[] = "/tmp/bb_tok_train_XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    tok_encoding *e = tok_encoding_new();
    for (int algo = 0; algo < 2; algo++) {
        tok_train_options o = tok_train_options_default(algo ? TOK_MODEL_BPE : TOK_MODEL_WORDPIECE);
        o.vocab_size = algo ? 1500 : 2000;
        tok_trainer *tr = NULL;
        tok_tokenizer *tk = NULL, *back = NULL;
        CHECK_OK(tok_trainer_new(&tr, &o, err, sizeof err), err);
        for (int i = 0; i < nt; i++) CHECK_OK(tok_trainer_feed(tr, texts[i], -1, err, sizeof err), err);
        CHECK_OK(tok_trainer_finish(tr, &tk, err, sizeof err), err);
        tok_trainer_free(tr);
        if (!tk) continue;
        CHECK(tok_vocab_size(tk) == o.vocab_size, "algo %d: vocab %d, want %d", algo, tok_vocab_size(tk), o.vocab_size);
        CHECK(tok_specials(tk).cls >= 0 && tok_specials(tk).mask >= 0 && tok_specials(tk).pad >= 0, "specials present");
        CHECK_OK(tok_save_dir(tk, dir, err, sizeof err), err);
        snprintf(path, sizeof path, "%s/tokenizer.json", dir);
        CHECK_OK(tok_load_json(&back, path, err, sizeof err), err);
        if (!back) {
            tok_free(tk);
            continue;
        }
        int same = 0, round = 0, checked = 0;
        for (int i = 0; i < nt; i++) {
            CHECK_OK(tok_encode(tk, texts[i], -1, NULL, 0, NULL, e, err, sizeof err), err);
            int n1 = e->n, unk = 0;
            int32_t ids[4096];
            if (n1 > 4096) continue;
            memcpy(ids, e->ids, sizeof(int32_t) * (size_t)n1);
            /* Texts with [UNK] or a literal special token (skipped when decoding) cannot round-trip. */
            for (int k = 0; k < n1; k++) unk |= ids[k] == tok_specials(tk).unk || e->special[k] == TOK_LITERAL;
            CHECK_OK(tok_encode(back, texts[i], -1, NULL, 0, NULL, e, err, sizeof err), err);
            same += e->n == n1 && memcmp(e->ids, ids, sizeof(int32_t) * (size_t)n1) == 0;
            if (unk) continue;
            checked++;
            char *d = tok_decode_dup(back, ids, n1, 1);
            if (algo) {
                round += d && strcmp(d, texts[i]) == 0; /* byte-level BPE is lossless */
            } else {
                tok_stages st;
                CHECK_OK(tok_inspect(back, texts[i], -1, &st, err, sizeof err), err);
                strip_spaces(d), strip_spaces(st.normalized);
                round += strcmp(d, st.normalized) == 0;
                tok_stages_free(&st);
            }
            free(d);
        }
        printf("%s: vocab %d, reloaded tokenizer.json encodes %d/%d texts identically, round trip %d/%d\n",
               algo ? "bpe" : "wordpiece", tok_vocab_size(tk), same, nt, round, checked);
        CHECK(same == nt, "reloaded tokenizer differs on %d texts", nt - same);
        CHECK(round == checked && checked > nt / 2, "round trip %d/%d", round, checked);
        if (!algo) {
            tok_tokenizer *vt = NULL;
            snprintf(path, sizeof path, "%s/vocab.txt", dir);
            CHECK_OK(tok_load_vocab(&vt, path, 1, err, sizeof err), err);
            CHECK(vt && tok_vocab_size(vt) == tok_vocab_size(tk), "vocab.txt loads with the same size");
            tok_free(vt);
        }
        const char *files[] = {"tokenizer.json", "vocab.txt", "vocab.json", "merges.txt", "tokenizer_config.json"};
        for (int k = 0; k < 5; k++) {
            snprintf(path, sizeof path, "%s/%s", dir, files[k]);
            unlink(path);
        }
        tok_free(tk), tok_free(back);
    }
    rmdir(dir);
    tok_encoding_free(e);
    for (int i = 0; i < nt; i++) free(texts[i]);
    free(data);
    return check_done();
}
