/* safetensors reader/writer on hand-made good and bad files: every bad file gives an error that
 * names the file and the problem, and nothing crashes (run under ASan/UBSan in CI). */
#include <stdint.h>
#include <unistd.h>

#include "bb_err.h"
#include "check.h"
#include "st.h"

static char dir[256];

static void path_of(char *out, size_t n, const char *name) { snprintf(out, n, "%s/%s", dir, name); }

/* Writes an 8-byte length (claim, or the real length when claim == 0), header, then ndata bytes. */
static void write_raw(const char *name, const char *header, uint64_t claim, const void *data, size_t ndata) {
    char p[512];
    path_of(p, sizeof p, name);
    FILE *f = fopen(p, "wb");
    uint64_t len = claim ? claim : strlen(header);
    unsigned char l8[8];
    for (int i = 0; i < 8; i++) l8[i] = (unsigned char)(len >> (8 * i));
    fwrite(l8, 1, 8, f);
    fwrite(header, 1, strlen(header), f);
    if (ndata) fwrite(data, 1, ndata, f);
    fclose(f);
}

static int open_expect_error(const char *name, const char *needle) {
    char p[512], err[512] = "";
    path_of(p, sizeof p, name);
    st_file *f = NULL;
    int rc = st_open(&f, p, err, sizeof err);
    CHECK(rc != BB_OK && f == NULL, "%s should fail", name);
    CHECK(strstr(err, name) != NULL, "message names the file: %s", err);
    CHECK(strstr(err, needle) != NULL, "message for %s mentions '%s': %s", name, needle, err);
    return rc;
}

static void test_good(void) {
    float data[6] = {1, -2, 3.5f, 0, 1e-3f, -7};
    uint16_t h[2] = {st_f32_to_f16(1.5f), st_f32_to_f16(-0.25f)};
    uint16_t bf[2] = {0x3f80, 0xc000}; /* 1.0, -2.0 */
    unsigned char buf[24 + 4 + 4];
    memcpy(buf, data, 24);
    memcpy(buf + 24, h, 4);
    memcpy(buf + 28, bf, 4);
    write_raw("good.safetensors",
              "{\"__metadata__\":{\"format\":\"pt\"},\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
              "\"h\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[24,28]},"
              "\"b\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[28,32]}}",
              0, buf, sizeof buf);
    char p[512], err[256] = "";
    path_of(p, sizeof p, "good.safetensors");
    st_file *f;
    CHECK_OK(st_open(&f, p, err, sizeof err), err);
    if (!f) return;
    CHECK(st_count(f) == 3, "3 tensors, got %d", st_count(f));
    const st_tensor *a = st_find(f, "a");
    CHECK(a && a->ndim == 2 && a->shape[0] == 2 && a->shape[1] == 3 && a->numel == 6, "shape of a");
    float out[6];
    CHECK_OK(st_read_f32(a, out, 6, err, sizeof err), err);
    CHECK(memcmp(out, data, 24) == 0, "F32 values");
    CHECK(st_read_f32(a, out, 5, err, sizeof err) == BB_ESHAPE, "wrong element count rejected");
    CHECK_OK(st_read_f32(st_find(f, "h"), out, 2, err, sizeof err), err);
    CHECK(out[0] == 1.5f && out[1] == -0.25f, "F16 values %g %g", out[0], out[1]);
    CHECK_OK(st_read_f32(st_find(f, "b"), out, 2, err, sizeof err), err);
    CHECK(out[0] == 1.0f && out[1] == -2.0f, "BF16 values %g %g", out[0], out[1]);
    CHECK(st_find(f, "missing") == NULL, "absent name");
    int32_t iv[2];
    CHECK(st_read_i32(a, iv, 6, err, sizeof err) != BB_OK, "float tensor read as int rejected");
    st_close(f);
}

static void test_bad(void) {
    float z[4] = {0};
    write_raw("short.safetensors", "", 0, NULL, 0);
    { /* a 3-byte file */
        char p[512];
        path_of(p, sizeof p, "tiny.safetensors");
        FILE *fp = fopen(p, "wb");
        fwrite("abc", 1, 3, fp);
        fclose(fp);
    }
    open_expect_error("tiny.safetensors", "too short");
    write_raw("huge.safetensors", "{}", 10ull << 30, NULL, 0);
    open_expect_error("huge.safetensors", "header claims");
    write_raw("past.safetensors", "{}", 5000, NULL, 0);
    open_expect_error("past.safetensors", "but the file has");
    write_raw("badjson.safetensors", "{\"a\":{\"dtype\":\"F32\",", 0, NULL, 0);
    open_expect_error("badjson.safetensors", "not valid JSON");
    write_raw("notobj.safetensors", "[1,2]", 0, NULL, 0);
    open_expect_error("notobj.safetensors", "not a JSON object");
    write_raw("offsets.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 0, z, 8);
    open_expect_error("offsets.safetensors", "past the end");
    write_raw("mismatch.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,16]}}", 0, z, 16);
    open_expect_error("mismatch.safetensors", "need 12");
    write_raw("dtype.safetensors", "{\"a\":{\"dtype\":\"Q4\",\"shape\":[4],\"data_offsets\":[0,16]}}", 0, z, 16);
    open_expect_error("dtype.safetensors", "dtype Q4");
    write_raw("negdim.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[-4],\"data_offsets\":[0,16]}}", 0, z, 16);
    open_expect_error("negdim.safetensors", "invalid dimension");
    write_raw("absurd.safetensors",
              "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,16],\"data_offsets\":[0,16]}}", 0, z, 16);
    open_expect_error("absurd.safetensors", "overflows");
    write_raw("overlap.safetensors",
              "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
              "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
              0, z, 16);
    open_expect_error("overlap.safetensors", "overlap");
    write_raw("dup.safetensors",
              "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
              "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}",
              0, z, 16);
    open_expect_error("dup.safetensors", "twice");
    write_raw("revoff.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 0, z, 16);
    open_expect_error("revoff.safetensors", "invalid data_offsets");
    char err[256];
    st_file *f;
    CHECK(st_open(&f, "/nonexistent/x.safetensors", err, sizeof err) == BB_EIO, "missing file");
    CHECK(strstr(err, "/nonexistent/x.safetensors") != NULL, "names missing file: %s", err);
    CHECK(st_open_dir(&f, "/nonexistent", err, sizeof err) == BB_EIO, "missing dir: %s", err);
}

static void test_write_roundtrip_and_shards(void) {
    float a[6] = {1, 2, 3, 4, 5, 6}, b[3] = {-1, -2, -3};
    st_entry e[2] = {{"x.weight", a, 2, {2, 3}}, {"x.bias", b, 1, {3}}};
    char p[512], err[256] = "";
    snprintf(p, sizeof p, "%s/model-00001-of-00002.safetensors", dir);
    CHECK_OK(st_write(p, e, 1, err, sizeof err), err);
    snprintf(p, sizeof p, "%s/model-00002-of-00002.safetensors", dir);
    CHECK_OK(st_write(p, e + 1, 1, err, sizeof err), err);
    snprintf(p, sizeof p, "%s/model.safetensors.index.json", dir);
    FILE *fp = fopen(p, "w");
    fprintf(fp, "{\"metadata\":{\"total_size\":36},\"weight_map\":{\"x.weight\":\"model-00001-of-00002.safetensors\","
                "\"x.bias\":\"model-00002-of-00002.safetensors\"}}");
    fclose(fp);
    st_file *f;
    CHECK_OK(st_open_dir(&f, dir, err, sizeof err), err);
    if (f) {
        CHECK(st_count(f) == 2, "two tensors over two shards");
        float out[6];
        CHECK_OK(st_read_f32(st_find(f, "x.weight"), out, 6, err, sizeof err), err);
        CHECK(memcmp(out, a, sizeof a) == 0, "shard 1 values");
        CHECK_OK(st_read_f32(st_find(f, "x.bias"), out, 3, err, sizeof err), err);
        CHECK(memcmp(out, b, sizeof b) == 0, "shard 2 values");
        const st_tensor *t = st_find(f, "x.weight");
        CHECK(st_f32_inplace(t) != NULL, "written F32 data is aligned for in-place use");
        st_close(f);
    }
    fp = fopen(p, "w");
    fprintf(fp, "{\"weight_map\":{\"x.weight\":\"model-00002-of-00002.safetensors\"}}");
    fclose(fp);
    CHECK(st_open_dir(&f, dir, err, sizeof err) == BB_EFORMAT, "index naming the wrong shard");
    CHECK(strstr(err, "x.weight") != NULL, "names the tensor: %s", err);
    fp = fopen(p, "w");
    fprintf(fp, "{\"weight_map\":{\"x.weight\":\"../etc/passwd\"}}");
    fclose(fp);
    CHECK(st_open_dir(&f, dir, err, sizeof err) == BB_EFORMAT, "index escaping the directory: %s", err);
    unlink(p);
}

static void test_f16(void) {
    int exact = 1;
    for (uint32_t h = 0; h < 0x10000; h++) {
        if ((h & 0x7c00) == 0x7c00 && (h & 0x3ff)) continue; /* NaNs */
        exact &= st_f32_to_f16(st_f16_to_f32((uint16_t)h)) == h;
    }
    CHECK(exact, "every finite f16 round-trips through f32");
    CHECK(st_f32_to_f16(65520.0f) == 0x7c00, "overflow to inf");
    CHECK(st_f16_to_f32(0x0001) > 5.9e-8f && st_f16_to_f32(0x0001) < 6.0e-8f, "smallest subnormal");
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/bb_test_st_%ld", (long)getpid());
    mkdir(dir, 0700);
    test_good();
    test_bad();
    test_write_roundtrip_and_shards();
    test_f16();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0, "cleanup");
    return check_done();
}
