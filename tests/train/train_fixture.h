/* train_fixture.h — a throwaway model directory for trainer tests: a small WordPiece vocabulary and
 * a tiny BERT config (trained from scratch), plus helpers to write data files. */
#ifndef BB_TRAIN_FIXTURE_H
#define BB_TRAIN_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const fx_words[] = {
    "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "cat", "dog", "sat", "on", "mat", "ran", "to",
    "a", "big", "small", "red", "blue", "house", "tree", "good", "bad", "great", "awful", "movie", "film",
    "was", "is", "very", "really", "paris", "london", "in", "lives", "alice", "bob", ".", ",", "##s", "and",
};
enum { FX_V = sizeof fx_words / sizeof *fx_words };

static void fx_write(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        exit(1);
    }
    fputs(text, f);
    fclose(f);
}

/* Creates DIR (mkdtemp) with vocab.txt and config.json (hidden_dropout as given); returns DIR. */
static char *fx_model_dir(char *buf, size_t n, float dropout) {
    snprintf(buf, n, "/tmp/bb_train_XXXXXX");
    if (!mkdtemp(buf)) {
        perror("mkdtemp");
        exit(1);
    }
    char path[512], cfg[1024];
    snprintf(path, sizeof path, "%s/vocab.txt", buf);
    FILE *f = fopen(path, "w");
    for (int i = 0; i < FX_V; i++) fprintf(f, "%s\n", fx_words[i]);
    fclose(f);
    snprintf(cfg, sizeof cfg,
             "{\"model_type\":\"bert\",\"vocab_size\":%d,\"hidden_size\":32,\"num_hidden_layers\":2,"
             "\"num_attention_heads\":4,\"intermediate_size\":64,\"max_position_embeddings\":64,"
             "\"type_vocab_size\":2,\"hidden_act\":\"gelu\",\"hidden_dropout_prob\":%g,"
             "\"attention_probs_dropout_prob\":%g,\"initializer_range\":0.02,\"layer_norm_eps\":1e-12,"
             "\"pad_token_id\":0}",
             FX_V, dropout, dropout);
    snprintf(path, sizeof path, "%s/config.json", buf);
    fx_write(path, cfg);
    return buf;
}

/* rm -r of a test directory (paths we created under /tmp only). */
static void fx_cleanup(const char *dir) {
    if (strncmp(dir, "/tmp/bb_train_", 14) != 0) return;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
}

#endif
