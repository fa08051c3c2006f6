/* pytorch_model.bin: the fixtures (zip with a shared storage; legacy F16 in two shards) load to exactly
 * the tensors of their model.safetensors; the hostile pickle is refused by name and runs nothing; and
 * hand-made files exercise every failure path with an error naming the file and the problem. */
#include <stdint.h>
#include <unistd.h>

#include "bb_err.h"
#include "check.h"
#include "pickle.h"
#include "st.h"
#include "torch_build.h"
#include "torch_ckpt.h"

static char dir[] = "/tmp/bb_torch_test_XXXXXX";

/* Every tensor of ref is in got under the same name and shape with the same float32 values (F16 in got:
 * the F16 rounding of ref's values, as torch's .half() makes them). */
static void same_tensors(const st_file *got, const st_file *ref, const char *what) {
    char err[512] = "";
    int same = 0;
    for (int i = 0; i < st_count(ref); i++) {
        const st_tensor *r = st_at(ref, i), *g = st_find(got, r->name);
        CHECK(g != NULL, "%s has %s", what, r->name);
        if (!g) continue;
        int shape_ok = g->ndim == r->ndim;
        for (int d = 0; shape_ok && d < r->ndim; d++) shape_ok = g->shape[d] == r->shape[d];
        CHECK(shape_ok, "%s %s shape", what, r->name);
        float *a = malloc(sizeof(float) * (size_t)r->numel), *b = malloc(sizeof(float) * (size_t)r->numel);
        CHECK_OK(st_read_f32(r, a, r->numel, err, sizeof err), err);
        CHECK_OK(st_read_f32(g, b, g->numel, err, sizeof err), err);
        if (g->dtype == ST_F16)
            for (int64_t j = 0; j < r->numel; j++) a[j] = st_f16_to_f32(st_f32_to_f16(a[j]));
        int eq = shape_ok && memcmp(a, b, sizeof(float) * (size_t)r->numel) == 0;
        CHECK(eq, "%s %s values identical (max diff %g)", what, r->name, shape_ok ? check_maxdiff(a, b, (long)r->numel) : -1.0);
        same += eq;
        free(a);
        free(b);
    }
    printf("%s: %d of %d tensors identical to model.safetensors\n", what, same, st_count(ref));
}

static void test_fixtures(const char *fx) {
    char p[1024], q[1100], err[512] = "";
    st_file *bin = NULL, *ref = NULL;
    snprintf(p, sizeof p, "%s/torch_bin/bert_tiny_a_bin", fx);
    snprintf(q, sizeof q, "%s/bert_tiny_a/model.safetensors", fx);
    CHECK_OK(st_open_dir(&bin, p, err, sizeof err), err);
    CHECK_OK(st_open(&ref, q, err, sizeof err), err);
    if (bin && ref) {
        same_tensors(bin, ref, "bert_tiny_a_bin (zip)");
        CHECK(st_count(bin) == st_count(ref) + 2, "the tied decoder weight and bias as two more names");
        const st_tensor *dec = st_find(bin, "cls.predictions.decoder.weight"),
                        *wte = st_find(bin, "bert.embeddings.word_embeddings.weight");
        CHECK(dec && wte && dec->data == wte->data, "decoder weight shares the embeddings' storage");
        const st_tensor *db = st_find(bin, "cls.predictions.decoder.bias"), *b = st_find(bin, "cls.predictions.bias");
        CHECK(db && b && db->data == b->data, "decoder bias shares cls.predictions.bias");
    }
    st_close(bin);
    st_close(ref);
    bin = ref = NULL;
    snprintf(p, sizeof p, "%s/torch_bin/bert_tiny_b_bin_sharded", fx);
    snprintf(q, sizeof q, "%s/bert_tiny_b/model.safetensors", fx);
    CHECK_OK(st_open_dir(&bin, p, err, sizeof err), err);
    CHECK_OK(st_open(&ref, q, err, sizeof err), err);
    if (bin && ref) {
        same_tensors(bin, ref, "bert_tiny_b_bin_sharded (legacy, F16)");
        CHECK(st_count(bin) == st_count(ref), "same tensor count");
        const st_tensor *t = st_at(bin, 0);
        CHECK(t->dtype == ST_F16, "legacy shards hold F16 (%s)", st_dtype_name(t->dtype));
        snprintf(q, sizeof q, "%s/pytorch_model-00002-of-00002.bin", p);
        CHECK(strcmp(st_find(bin, "cls.seq_relationship.weight")->path, q) == 0, "second shard's tensor from it");
    }
    st_close(bin);
    st_close(ref);
}

static void test_hostile(const char *fx) {
    char p[1024], err[512] = "";
    const char *marker = "/tmp/bertbench-pwned"; /* what the hostile pickle's command would create */
    struct stat sb;
    if (stat(marker, &sb) == 0) CHECK(unlink(marker) == 0, "%s left by something else could not be removed", marker);
    snprintf(p, sizeof p, "%s/torch_bin/hostile", fx);
    st_file *f = NULL;
    int rc = st_open_dir(&f, p, err, sizeof err);
    CHECK(rc == BB_EFORMAT && f == NULL, "hostile pickle refused (%d)", rc);
    CHECK(strstr(err, "posix.system") && strstr(err, "not allowed") && strstr(err, "hostile/pytorch_model.bin"),
          "error names the global and the file: %s", err);
    CHECK(stat(marker, &sb) != 0, "nothing ran: %s was not created", marker);
}

/* Writes a one-tensor zip checkpoint: pickle pkl, storage data/0 of n bytes. */
static void write_zip1(const char *name, const tb_buf *pkl, const void *data, size_t n, int method) {
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    tb_entry e[3] = {{"ckpt/data.pkl", pkl->p, pkl->n, 0}, {"ckpt/data/0", data, n, method}, {"ckpt/version", "3\n", 2, 0}};
    CHECK(tb_write_zip(p, e, 3) == 0, "write %s", p);
}

static st_file *open_file(const char *name, char *err, size_t errlen, int *rc) {
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    st_file *f = NULL;
    *rc = torch_open(&f, p, err, errlen);
    return f;
}

static void expect_error(const char *name, const char *needle) {
    char err[1024] = "";
    int rc;
    st_file *f = open_file(name, err, sizeof err, &rc);
    CHECK(rc != BB_OK && f == NULL, "%s refused", name);
    CHECK(strstr(err, name) != NULL, "%s: error names the file: %s", name, err);
    CHECK(strstr(err, needle) != NULL, "%s: error says '%s': %s", name, needle, err);
    st_close(f);
}

static void one_tensor(tb_buf *b, const char *type, int64_t numel, int64_t offset, int64_t rows, int64_t cols,
                       int64_t s0, int64_t s1) {
    int64_t size[2] = {rows, cols}, stride[2] = {s0, s1};
    tb_dict_begin(b);
    tb_tensor(b, "w", type, "0", numel, offset, size, stride, 2);
    tb_dict_end(b);
}

static void test_views_and_dtypes(void) {
    float data[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    char err[512] = "";
    int rc;
    /* A transposed view (2x3 over a 3x2 storage, strides (1, 2)) is copied into row-major order. */
    tb_buf b = {0};
    one_tensor(&b, "FloatStorage", 8, 1, 2, 3, 1, 2);
    write_zip1("transposed.bin", &b, data, sizeof data, 0);
    st_file *f = open_file("transposed.bin", err, sizeof err, &rc);
    CHECK_OK(rc, err);
    if (f) {
        float out[6], want[6] = {1, 3, 5, 2, 4, 6};
        CHECK_OK(st_read_f32(st_find(f, "w"), out, 6, err, sizeof err), err);
        CHECK(memcmp(out, want, sizeof out) == 0, "transposed view gathered: %g %g %g %g %g %g", out[0], out[1], out[2],
              out[3], out[4], out[5]);
        st_close(f);
    }
    /* Two names on one storage at different offsets (views). */
    free(b.p);
    b = (tb_buf){0};
    int64_t s3[1] = {3}, st1[1] = {1};
    tb_dict_begin(&b);
    tb_tensor(&b, "head", "FloatStorage", "0", 8, 0, s3, st1, 1);
    tb_tensor(&b, "tail", "FloatStorage", "0", 8, 5, s3, st1, 1);
    tb_dict_end(&b);
    write_zip1("views.bin", &b, data, sizeof data, 0);
    f = open_file("views.bin", err, sizeof err, &rc);
    CHECK_OK(rc, err);
    if (f) {
        float out[3];
        CHECK_OK(st_read_f32(st_find(f, "tail"), out, 3, err, sizeof err), err);
        CHECK(out[0] == 5 && out[2] == 7, "view at storage offset 5");
        CHECK((const char *)st_find(f, "tail")->data - (const char *)st_find(f, "head")->data == 20, "same storage");
        st_close(f);
    }
    /* F64 and BF16 storages convert to float32. */
    double d64[4] = {0.5, -1.25, 3e-3, 1e5};
    free(b.p);
    b = (tb_buf){0};
    one_tensor(&b, "DoubleStorage", 4, 0, 2, 2, 2, 1);
    write_zip1("f64.bin", &b, d64, sizeof d64, 0);
    f = open_file("f64.bin", err, sizeof err, &rc);
    CHECK_OK(rc, err);
    if (f) {
        float out[4];
        CHECK(st_find(f, "w")->dtype == ST_F64, "F64 dtype");
        CHECK_OK(st_read_f32(st_find(f, "w"), out, 4, err, sizeof err), err);
        CHECK(out[1] == -1.25f && out[3] == 1e5f, "F64 converted");
        st_close(f);
    }
    uint16_t bf[4] = {0x3f80, 0xc000, 0x4040, 0x0000}; /* 1, -2, 3, 0 */
    free(b.p);
    b = (tb_buf){0};
    one_tensor(&b, "BFloat16Storage", 4, 0, 4, 1, 1, 1);
    write_zip1("bf16.bin", &b, bf, sizeof bf, 0);
    f = open_file("bf16.bin", err, sizeof err, &rc);
    CHECK_OK(rc, err);
    if (f) {
        float out[4];
        CHECK_OK(st_read_f32(st_find(f, "w"), out, 4, err, sizeof err), err);
        CHECK(out[0] == 1 && out[1] == -2 && out[2] == 3 && out[3] == 0, "BF16 converted");
        st_close(f);
    }
    free(b.p);
}

static void test_bad_files(const char *fx) {
    float data[8] = {0};
    tb_buf b = {0};
    /* Wrong storage size: the pickle says 8 floats, the entry has 16 bytes. */
    one_tensor(&b, "FloatStorage", 8, 0, 2, 4, 4, 1);
    write_zip1("short_storage.bin", &b, data, 16, 0);
    expect_error("short_storage.bin", "has 16 bytes but the pickle says 8 F32 elements");
    /* A view reaching past its storage. */
    free(b.p);
    b = (tb_buf){0};
    one_tensor(&b, "FloatStorage", 8, 4, 2, 4, 4, 1);
    write_zip1("past_storage.bin", &b, data, sizeof data, 0);
    expect_error("past_storage.bin", "reaches element 12 of storage '0', which has 8 elements");
    /* A compressed storage entry. */
    free(b.p);
    b = (tb_buf){0};
    one_tensor(&b, "FloatStorage", 8, 0, 2, 4, 4, 1);
    write_zip1("deflated.bin", &b, data, sizeof data, 8);
    expect_error("deflated.bin", "is compressed (method 8)");
    /* A global outside the list, in a STACK_GLOBAL this time. */
    free(b.p);
    b = (tb_buf){0};
    tb_bytes(&b, "\x80\x04", 2);
    tb_byte(&b, 0x8c);
    tb_byte(&b, 8);
    tb_bytes(&b, "builtins", 8);
    tb_byte(&b, 0x8c);
    tb_byte(&b, 4);
    tb_bytes(&b, "eval", 4);
    tb_byte(&b, 0x93);
    tb_str(&b, "print(1)");
    tb_bytes(&b, "\x85R.", 3);
    write_zip1("eval.bin", &b, data, 4, 0);
    expect_error("eval.bin", "global builtins.eval is not allowed");
    /* A pickle that nests without end. */
    free(b.p);
    b = (tb_buf){0};
    tb_bytes(&b, "\x80\x02", 2);
    for (int i = 0; i < 100000; i++) tb_byte(&b, '(');
    write_zip1("nested.bin", &b, data, 4, 0);
    expect_error("nested.bin", "nesting (open MARKs) 257 exceeds the limit of 256");
    /* A pickle whose list contains itself, as a state dict value: a cycle, not a recursion. */
    free(b.p);
    b = (tb_buf){0};
    tb_dict_begin(&b);
    tb_str(&b, "w");
    tb_bytes(&b, "]q\x07h\x07\x61", 6); /* EMPTY_LIST, BINPUT 7, BINGET 7, APPEND: l.append(l) */
    tb_dict_end(&b);
    write_zip1("cycle.bin", &b, data, 4, 0);
    expect_error("cycle.bin", "'w' is a list, not a tensor");
    /* A huge memo index. */
    free(b.p);
    b = (tb_buf){0};
    tb_bytes(&b, "\x80\x02}r\xff\xff\xff\xff.", 9);
    write_zip1("memo.bin", &b, data, 4, 0);
    expect_error("memo.bin", "memo index 4294967295 exceeds the limit of 1048575");
    free(b.p);
    b = (tb_buf){0};
    tb_bytes(&b, "\x80\x02h\x05.", 5);
    write_zip1("memo_unset.bin", &b, data, 4, 0);
    expect_error("memo_unset.bin", "memo index 5 was never set");
    free(b.p);

    /* Truncated copies of the fixtures: the zip loses its central directory, the legacy file its storages. */
    char p[1024], out[512];
    const char *srcs[2][2] = {{"bert_tiny_a_bin/pytorch_model.bin", "end-of-central-directory"},
                              {"bert_tiny_b_bin_sharded/pytorch_model-00002-of-00002.bin", "truncated"}};
    for (int i = 0; i < 2; i++) {
        snprintf(p, sizeof p, "%s/torch_bin/%s", fx, srcs[i][0]);
        FILE *fp = fopen(p, "rb");
        CHECK(fp != NULL, "open %s", p);
        if (!fp) continue;
        fseek(fp, 0, SEEK_END);
        long n = ftell(fp);
        rewind(fp);
        unsigned char *buf = malloc((size_t)n);
        CHECK(fread(buf, 1, (size_t)n, fp) == (size_t)n, "read %s", p);
        fclose(fp);
        const char *name = i ? "truncated_legacy.bin" : "truncated_zip.bin";
        snprintf(out, sizeof out, "%s/%s", dir, name);
        fp = fopen(out, "wb");
        fwrite(buf, 1, (size_t)n * 2 / 3, fp);
        fclose(fp);
        expect_error(name, srcs[i][1]);
        free(buf);
    }
    snprintf(out, sizeof out, "%s/not_torch.bin", dir);
    FILE *fp = fopen(out, "wb");
    fputs("hello", fp);
    fclose(fp);
    expect_error("not_torch.bin", "not a PyTorch checkpoint");
}

/* Python's own pickler (protocol 2 and 4: FRAME, MEMOIZE, STACK_GLOBAL) wrote the fuzz seeds, with
 * _rebuild_parameter, an F16 storage, a transposed view and a view at an offset. */
static void test_python_pickles(void) {
    const char *names[3] = {"zip_p2", "zip_p4", "legacy"};
    for (int i = 0; i < 3; i++) {
        char p[1024], err[512] = "";
        snprintf(p, sizeof p, "%s/fuzz/corpus/torch/%s", BB_SOURCE_DIR, names[i]);
        st_file *f = NULL;
        CHECK_OK(torch_open(&f, p, err, sizeof err), err);
        if (!f) continue;
        float wt[6], tail[2], h[4];
        const st_tensor *t = st_find(f, "wt");
        CHECK(st_count(f) == 5 && t && t->ndim == 2 && t->shape[0] == 3, "%s: five tensors, wt is 3x2", names[i]);
        CHECK_OK(st_read_f32(t, wt, 6, err, sizeof err), err);
        CHECK_OK(st_read_f32(st_find(f, "tail"), tail, 2, err, sizeof err), err);
        CHECK_OK(st_read_f32(st_find(f, "h"), h, 4, err, sizeof err), err);
        CHECK(wt[0] == 0 && wt[1] == 3 && wt[2] == 1 && wt[5] == 5 && tail[0] == 4 && tail[1] == 5, "%s: views", names[i]);
        CHECK(h[0] == 1 && h[1] == -2 && st_find(f, "h")->dtype == ST_F16, "%s: F16 parameter", names[i]);
        st_close(f);
    }
}

int main(void) {
    const char *fx = check_fixtures();
    if (!mkdtemp(dir)) return 1;
    test_fixtures(fx);
    test_hostile(fx);
    test_views_and_dtypes();
    test_python_pickles();
    test_bad_files(fx);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) fprintf(stderr, "warning: could not remove %s\n", dir);
    return check_done();
}
