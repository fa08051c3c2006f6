/* Bounded work on hostile input. Each case is sized so that the old quadratic code would run for
 * many minutes (far past this test's meson timeout) while the fixed code takes about a second: the
 * test does not time anything, it fails only by not finishing. 300k safetensors tensors (a scan per
 * name: 4.5e10 comparisons), 300k distinct labels (the same), a 1M-character byte-level BPE word
 * (a rescan per merge: 5e11 pair lookups). Also: a 30k-label config.json bertbench writes (over 1 MB)
 * loads back, a set cancel flag stops BPE merging, and a FIFO as config.json, model.safetensors, shard
 * index or shard is refused at once instead of blocking. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bb_err.h"
#include "check.h"
#include "config.h"
#include "data.h"
#include "st.h"
#include "tok.h"

static char dir[256], err[512];

static char *path_in(const char *name) {
    static char p[4][600];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
    return p[k];
}

static void test_st_many(void) {
    enum { N = 300000 };
    size_t cap = (size_t)N * 80 + 64, n = 0;
    char *h = malloc(cap);
    n += (size_t)sprintf(h + n, "{");
    for (int i = 0; i < N; i++)
        n += (size_t)sprintf(h + n, "%s\"t%d\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[%d,%d]}", i ? "," : "",
                             i, 4 * i, 4 * i + 4);
    n += (size_t)sprintf(h + n, "}");
    size_t total = 8 + n + (size_t)N * 4;
    unsigned char *img = calloc(1, total);
    for (int b = 0; b < 8; b++) img[b] = (unsigned char)((uint64_t)n >> (8 * b));
    memcpy(img + 8, h, n);
    float *data = (float *)(img + 8 + n);
    for (int i = 0; i < N; i++) memcpy(&data[i], &(float){(float)i}, 4);
    st_file *f = NULL;
    CHECK_OK(st_open_mem(&f, img, total, "many.safetensors", err, sizeof err), err);
    if (f) {
        CHECK(st_count(f) == N, "%d tensors", st_count(f));
        int bad = 0;
        for (int i = 0; i < N; i += 997) {
            char name[16];
            snprintf(name, sizeof name, "t%d", i);
            const st_tensor *t = st_find(f, name);
            float v = -1;
            if (t) memcpy(&v, t->data, 4);
            bad += !t || v != (float)i;
        }
        CHECK(bad == 0 && !st_find(f, "t300000") && !st_find(f, ""), "%d lookups wrong", bad);
        st_close(f);
    }
    /* the duplicate check still works through the index */
    const char *dup = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                      "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}";
    size_t dn = strlen(dup);
    unsigned char small[256] = {0};
    small[0] = (unsigned char)dn;
    memcpy(small + 8, dup, dn);
    CHECK(st_open_mem(&f, small, 8 + dn + 8, "dup.safetensors", err, sizeof err) == BB_EFORMAT &&
              strstr(err, "'a' appears twice"),
          "duplicate name: %s", err);
    free(h), free(img);
}

static void test_labels_many(void) {
    enum { N = 300000 };
    FILE *fp = fopen(path_in("labels.csv"), "w");
    fprintf(fp, "text,label\n");
    for (int i = 0; i < N; i++) fprintf(fp, "x,L%ld\n", (long)i * 7919 % N);
    fclose(fp);
    data_set *d = NULL;
    CHECK_OK(data_load(&d, path_in("labels.csv"), DATA_FMT_AUTO, 0, err, sizeof err), err);
    if (!d) return;
    data_labels lm;
    CHECK_OK(data_labels_build(&lm, d, 0, err, sizeof err), err);
    CHECK(lm.n == N, "%d labels", lm.n);
    int bad = 0;
    for (int i = 0; i < d->n; i++) {
        int id = data_label_id(&lm, d->ex[i].label);
        bad += id < 0 || strcmp(lm.names[id], d->ex[i].label) != 0;
    }
    CHECK(bad == 0, "%d label lookups wrong", bad);
    CHECK(data_label_id(&lm, "L300000") == -1 && data_label_id(&lm, "LABEL_5") == 5, "absent / HF default names");
    data_labels_free(&lm);
    data_free(d);
}

static void test_config_labels(void) {
    enum { N = 30000 };
    bert_config cfg;
    bert_config_default(&cfg, 100, 32, 1, 2, 64, 64);
    char **names = malloc(sizeof(char *) * N);
    for (int i = 0; i < N; i++) {
        names[i] = malloc(24);
        snprintf(names[i], 24, "label-number-%05d", i);
    }
    CHECK_OK(bert_config_set_labels(&cfg, N, (const char *const *)names, err, sizeof err), err);
    CHECK_OK(bert_config_save(&cfg, path_in("config.json"), err, sizeof err), err);
    struct stat sb;
    CHECK(stat(path_in("config.json"), &sb) == 0 && sb.st_size > (1 << 20), "the saved config is over 1 MB (%lld)",
          (long long)sb.st_size);
    bert_config back;
    CHECK_OK(bert_config_load(&back, path_in("config.json"), err, sizeof err), err);
    CHECK(back.num_labels == N && back.id2label && !strcmp(back.id2label[N - 1], names[N - 1]),
          "%d labels read back", back.num_labels);
    bert_config_free(&back);
    bert_config_free(&cfg);
    for (int i = 0; i < N; i++) free(names[i]);
    free(names);
}

/* vocab a, aa, aaaa, ... a^512 with merges (a^k, a^k) -> a^2k */
static tok_tokenizer *doubling_bpe(void) {
    char *j = malloc(200000), *p = j;
    p += sprintf(p, "{\"version\":\"1.0\",\"truncation\":null,\"padding\":null,\"added_tokens\":[],\"normalizer\":null,"
                    "\"pre_tokenizer\":{\"type\":\"ByteLevel\",\"add_prefix_space\":false,\"trim_offsets\":true,"
                    "\"use_regex\":true},\"post_processor\":null,\"decoder\":{\"type\":\"ByteLevel\"},"
                    "\"model\":{\"type\":\"BPE\",\"dropout\":null,\"unk_token\":null,\"vocab\":{");
    char a[1025];
    memset(a, 'a', sizeof a);
    for (int k = 0, len = 1; len <= 512; k++, len *= 2) p += sprintf(p, "%s\"%.*s\":%d", k ? "," : "", len, a, k);
    p += sprintf(p, "},\"merges\":[");
    for (int len = 1; len < 512; len *= 2) p += sprintf(p, "%s[\"%.*s\",\"%.*s\"]", len > 1 ? "," : "", len, a, len, a);
    p += sprintf(p, "]}}");
    tok_tokenizer *tk = NULL;
    CHECK_OK(tok_load_json_mem(&tk, j, (size_t)(p - j), "doubling.json", err, sizeof err), err);
    free(j);
    return tk;
}

static void test_bpe_long_word(void) {
    tok_tokenizer *tk = doubling_bpe();
    if (!tk) return;
    enum { N = 1 << 20 };
    char *w = malloc(N + 1);
    memset(w, 'a', N);
    w[N] = 0;
    tok_encoding *e = tok_encoding_new();
    tok_options o = tok_options_default();
    o.add_special_tokens = 0;
    CHECK_OK(tok_encode(tk, w, N, NULL, 0, &o, e, err, sizeof err), err);
    int bad = 0;
    for (int i = 0; i < e->n; i++) bad += e->ids[i] != 9;
    CHECK(e->n == N / 512 && bad == 0, "%d tokens (%d not a^512): want %d", e->n, bad, N / 512);
    /* 1027 a's: merged by rank, leftmost first: a^512, a^512, a^2, a */
    CHECK_OK(tok_encode(tk, w, 1027, NULL, 0, &o, e, err, sizeof err), err);
    CHECK(e->n == 4 && e->ids[0] == 9 && e->ids[1] == 9 && e->ids[2] == 1 && e->ids[3] == 0, "1027 a's: %d tokens",
          e->n);
    bb_work stop;
    bb_work_init(&stop, NULL, NULL);
    bb_work_cancel(&stop);
    e->work = &stop;
    CHECK(tok_encode(tk, w, N, NULL, 0, &o, e, err, sizeof err) == BB_ECANCEL && strstr(err, "cancelled"),
          "a set cancel flag stops the merging: %s", err);
    CHECK(tok_count(tk, w, N, e) == BB_ECANCEL, "tok_count too");
    tok_encoding_free(e);
    free(w);
    tok_free(tk);
}

static void test_fifos(void) {
    char sub[600];
    snprintf(sub, sizeof sub, "%s/fifo", dir);
    mkdir(sub, 0777);
    char p[700];
    snprintf(p, sizeof p, "%s/config.json", sub);
    CHECK(mkfifo(p, 0600) == 0, "mkfifo");
    bert_config cfg;
    CHECK(bert_config_load(&cfg, p, err, sizeof err) == BB_EIO && strstr(err, "FIFO") && strstr(err, "config.json"),
          "config.json FIFO: %s", err);
    snprintf(p, sizeof p, "%s/model.safetensors", sub);
    CHECK(mkfifo(p, 0600) == 0, "mkfifo");
    st_file *f = NULL;
    CHECK(st_open_dir(&f, sub, err, sizeof err) == BB_EIO && strstr(err, "FIFO") && strstr(err, "model.safetensors"),
          "model.safetensors FIFO: %s", err);
    unlink(p);
    snprintf(p, sizeof p, "%s/model.safetensors.index.json", sub);
    CHECK(mkfifo(p, 0600) == 0, "mkfifo");
    CHECK(st_open_dir(&f, sub, err, sizeof err) == BB_EIO && strstr(err, "FIFO") && strstr(err, "index.json"),
          "index FIFO: %s", err);
    unlink(p);
    FILE *fp = fopen(p, "w");
    fputs("{\"weight_map\":{\"w\":\"model-00001-of-00001.safetensors\"}}", fp);
    fclose(fp);
    snprintf(p, sizeof p, "%s/model-00001-of-00001.safetensors", sub);
    CHECK(mkfifo(p, 0600) == 0, "mkfifo");
    CHECK(st_open_dir(&f, sub, err, sizeof err) == BB_EIO && strstr(err, "FIFO") && strstr(err, "00001"),
          "shard FIFO: %s", err);
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/bb_bounded_XXXXXX");
    if (!mkdtemp(dir)) return 1;
    test_fifos();
    test_config_labels();
    test_bpe_long_word();
    test_st_many();
    test_labels_many();
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
    return check_done();
}
