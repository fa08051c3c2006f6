/* Resource errors: an unreadable model directory, a model too big for memory (RLIMIT_AS in a child),
 * and a full disk (RLIMIT_FSIZE in a child, SIGXFSZ ignored as bertbench's main does) while saving a
 * checkpoint or a session: an error message each time, and the files saved before stay intact. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bb_err.h"
#include "bert.h"
#include "check.h"
#include "config.h"
#include "session.h"
#include "st.h"
#include "tok.h"

#if defined(__SANITIZE_ADDRESS__)
#define BB_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BB_ASAN 1
#endif
#endif

static char dir[256];

static char *slurp(const char *path, long *n) {
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    fseek(fp, 0, SEEK_END);
    *n = ftell(fp);
    rewind(fp);
    char *b = malloc((size_t)*n + 1);
    if (b && fread(b, 1, (size_t)*n, fp) != (size_t)*n) *n = -1;
    fclose(fp);
    return b;
}

/* Runs fn in a child under a resource limit; returns its exit status, or 128 + signal. */
static int in_child(int resource, rlim_t limit, int (*fn)(void)) {
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit rl = {limit, limit};
        if (setrlimit(resource, &rl) != 0) _exit(99);
        int rc = fn();
        fflush(NULL);
        _exit(rc);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void test_unreadable_dir(void) {
    char m[512], err[512] = "";
    snprintf(m, sizeof m, "%s/locked", dir);
    bert_config cfg;
    bert_config_default(&cfg, 32, 8, 1, 2, 16, 16);
    bert_model *model = NULL;
    CHECK_OK(bert_create(&model, &cfg, 1, err, sizeof err), err);
    bert_config_free(&cfg);
    if (!model) return;
    CHECK_OK(bert_save(model, m, err, sizeof err), err);
    bert_free(model);
    model = NULL;
    CHECK(chmod(m, 0) == 0, "chmod 000");
    char probe[600];
    snprintf(probe, sizeof probe, "%s/config.json", m);
    if (access(probe, R_OK) == 0) {
        /* root (or CAP_DAC_OVERRIDE) reads through mode 000: nothing to test here */
        printf("SKIP part: running with permission override (uid %d), chmod 000 does not deny\n", (int)geteuid());
    } else {
        int rc = bert_load(&model, m, err, sizeof err);
        CHECK(rc != BB_OK && model == NULL && strstr(err, m), "unreadable model dir: %d %s", rc, err);
        tok_tokenizer *tk = NULL;
        rc = tok_load_dir(&tk, m, TOK_CASE_AUTO, err, sizeof err);
        CHECK(rc != BB_OK && tk == NULL && strstr(err, m), "unreadable tokenizer dir: %d %s", rc, err);
    }
    CHECK(chmod(m, 0755) == 0, "chmod back");
    char missing[600];
    snprintf(missing, sizeof missing, "%s/nonexistent", dir);
    CHECK(bert_load(&model, missing, err, sizeof err) != BB_OK && strstr(err, missing), "missing dir: %s", err);
}

#ifndef BB_ASAN
/* ~40 G parameters (163 GB): wide but under the config's sanity limits; the child gets 1 GB of address space. */
static char huge_dir[512];
static int load_huge(void) {
    char err[512] = "";
    bert_model *m = NULL;
    int rc = bert_load(&m, huge_dir, err, sizeof err);
    printf("huge model: rc %d: %s\n", rc, err);
    if (rc == BB_OK) return 1;
    return rc == BB_ENOMEM && strstr(err, "out of memory") ? 0 : 2;
}

static void test_out_of_memory(void) {
    snprintf(huge_dir, sizeof huge_dir, "%s/huge", dir);
    mkdir(huge_dir, 0755);
    char p[600];
    snprintf(p, sizeof p, "%s/config.json", huge_dir);
    FILE *fp = fopen(p, "w");
    CHECK(fp != NULL, "config");
    if (!fp) return;
    fprintf(fp, "{\"model_type\":\"bert\",\"vocab_size\":250000,\"hidden_size\":8192,\"num_hidden_layers\":48,"
                "\"num_attention_heads\":64,\"intermediate_size\":32768,\"max_position_embeddings\":512}\n");
    fclose(fp);
    /* Any weights file: the loader sizes its parameter buffer from the config before reading tensors. */
    static const float one = 1;
    st_entry e = {"bert.embeddings.word_embeddings.weight", &one, 1, {1}};
    snprintf(p, sizeof p, "%s/model.safetensors", huge_dir);
    char err[512] = "";
    CHECK_OK(st_write(p, &e, 1, err, sizeof err), err);
    int st = in_child(RLIMIT_AS, (rlim_t)1 << 30, load_huge);
    CHECK(st == 0, "a model larger than memory: a message, no crash (child status %d)", st);
}
#else
static void test_out_of_memory(void) {
    printf("SKIP part: out of memory under an address-space limit (ASan reserves terabytes of shadow)\n");
}
#endif

static char ck_dir[512];
static bert_model *ck_model;
static int save_checkpoint(void) {
    char err[512] = "";
    int rc = bert_save(ck_model, ck_dir, err, sizeof err);
    printf("checkpoint under a 64 KB file-size limit: rc %d: %s\n", rc, err);
    return rc != BB_OK && strstr(err, ck_dir) ? 0 : 1;
}

static void test_disk_full_checkpoint(void) {
    char err[512] = "";
    bert_config cfg;
    bert_config_default(&cfg, 2000, 32, 2, 2, 64, 64); /* ~330 KB of weights */
    CHECK_OK(bert_create(&ck_model, &cfg, 1, err, sizeof err), err);
    bert_config_free(&cfg);
    if (!ck_model) return;
    snprintf(ck_dir, sizeof ck_dir, "%s/ckpt", dir);
    CHECK_OK(bert_save(ck_model, ck_dir, err, sizeof err), err);
    char st_path[600], cfg_path[600];
    snprintf(st_path, sizeof st_path, "%s/model.safetensors", ck_dir);
    snprintf(cfg_path, sizeof cfg_path, "%s/config.json", ck_dir);
    long n0 = 0, c0 = 0, n1 = 0, c1 = 0;
    char *before = slurp(st_path, &n0), *cbefore = slurp(cfg_path, &c0);
    ck_model->params.wte[0] += 1.0f; /* the new checkpoint differs from the saved one */
    int st = in_child(RLIMIT_FSIZE, 64 << 10, save_checkpoint);
    CHECK(st == 0, "save under a file-size limit fails with a message (child status %d)", st);
    char *after = slurp(st_path, &n1), *cafter = slurp(cfg_path, &c1);
    CHECK(before && after && n0 == n1 && memcmp(before, after, (size_t)n0) == 0, "model.safetensors intact");
    CHECK(cbefore && cafter && c0 == c1 && memcmp(cbefore, cafter, (size_t)c0) == 0, "config.json intact");
    bert_model *back = NULL;
    CHECK_OK(bert_load(&back, ck_dir, err, sizeof err), err);
    bert_free(back);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "ls -a %s | grep -q tmp", ck_dir);
    CHECK(system(cmd) != 0, "no temporary files left in %s", ck_dir);
    free(before), free(after), free(cbefore), free(cafter);
    bert_free(ck_model);
}

static char sess_dir[512];
static int save_session(void) {
    char err[512] = "";
    sess_session *s = NULL;
    if (sess_open(&s, sess_dir, 0, err, sizeof err) != BB_OK) return 2;
    char line[1024];
    memset(line, 'x', sizeof line - 1);
    line[sizeof line - 1] = 0;
    for (int i = 0; i < 200; i++) sess_history_add(s, line);
    int rc = sess_save(s, err, sizeof err);
    printf("session under a 16 KB file-size limit: rc %d: %s\n", rc, err);
    sess_free(s);
    return rc != BB_OK && strstr(err, sess_dir) ? 0 : 1;
}

static void test_disk_full_session(void) {
    char err[512] = "";
    snprintf(sess_dir, sizeof sess_dir, "%s/s.bbs", dir);
    sess_session *s = NULL;
    CHECK_OK(sess_new(&s, sess_dir, err, sizeof err), err);
    if (!s) return;
    sess_history_add(s, "mask The cat sat on the [MASK].");
    CHECK_OK(sess_save(s, err, sizeof err), err);
    sess_free(s);
    char path[600];
    snprintf(path, sizeof path, "%s/session.json", sess_dir);
    long n0 = 0, n1 = 0;
    char *before = slurp(path, &n0);
    int st = in_child(RLIMIT_FSIZE, 16 << 10, save_session);
    CHECK(st == 0, "session save under a file-size limit fails with a message (child status %d)", st);
    char *after = slurp(path, &n1);
    CHECK(before && after && n0 == n1 && memcmp(before, after, (size_t)n0) == 0, "session.json intact");
    s = NULL;
    CHECK_OK(sess_open(&s, sess_dir, 0, err, sizeof err), err);
    CHECK(s && s->n_history == 1, "the session opens with its old history: %d", s ? s->n_history : -1);
    sess_free(s);
    free(before), free(after);
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/bb_resources_%d", (int)getpid());
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s && mkdir -p %s", dir, dir);
    CHECK(system(cmd) == 0, "temp dir");
    test_unreadable_dir();
    test_out_of_memory();
    test_disk_full_checkpoint();
    test_disk_full_session();
    snprintf(cmd, sizeof cmd, "chmod -R u+rwx %s; rm -rf %s", dir, dir);
    CHECK(system(cmd) == 0, "cleanup");
    return check_done();
}
