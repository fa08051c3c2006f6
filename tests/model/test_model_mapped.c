/* bert_load_mapped: the fixtures' F32 weights are used in place inside the checkpoint's mapping
 * (checked against /proc/self/maps) and give the owned load's outputs within 1e-5 on every fixture
 * format (safetensors, torch zip, legacy F16 torch), bit-identical once owned; unaligned F32 data is
 * copied instead; NaN / Inf weights are refused naming the tensor and the element, by the parallel
 * scan as by a serial one; a write into a mapped parameter never reaches the file; bert_own_params
 * and bert_save work on a mapped model; bert_free and bert_own_params unmap the file. */
#include <unistd.h>

#include <cjson/cJSON.h>

#include "bb_err.h"
#include "bb_pool.h"
#include "bert.h"
#include "bert_finite.h"
#include "check.h"
#include "st.h"

static char err[1024];

/* 1 when p lies in a mapping of the file at path (the file's real path, as the kernel lists it). */
static int in_mapping_of(const void *p, const char *path) {
    char real[4096], line[8192];
    if (!realpath(path, real)) return 0;
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f) return 0;
    int found = 0;
    while (!found && fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        char *name = strchr(line, '/');
        if (!name || sscanf(line, "%lx-%lx", &lo, &hi) != 2) continue;
        name[strcspn(name, "\n")] = 0;
        found = strcmp(name, real) == 0 && (unsigned long)p >= lo && (unsigned long)p < hi;
    }
    fclose(f);
    return found;
}

static int mapped_anywhere(const char *path) {
    char real[4096], line[8192];
    if (!realpath(path, real)) return 0;
    FILE *f = fopen("/proc/self/maps", "r");
    int found = 0;
    while (f && !found && fgets(line, sizeof line, f)) {
        char *name = strchr(line, '/');
        if (name) name[strcspn(name, "\n")] = 0;
        found = name && strcmp(name, real) == 0;
    }
    if (f) fclose(f);
    return found;
}

static void spit(const char *path, const void *b, size_t n) {
    FILE *f = fopen(path, "wb");
    CHECK(f && fwrite(b, 1, n, f) == n && fclose(f) == 0, "write %s", path);
}

/* A model directory in tmp: the fixture's config.json and the given safetensors bytes. */
static void make_model(const char *dir, const char *fixture_dir, const unsigned char *st, size_t n) {
    char src[1200], dst[1200];
    mkdir(dir, 0777);
    snprintf(src, sizeof src, "%s/config.json", fixture_dir);
    size_t cn;
    unsigned char *cfg = check_slurp(src, &cn);
    snprintf(dst, sizeof dst, "%s/config.json", dir);
    if (cfg) spit(dst, cfg, cn);
    free(cfg);
    snprintf(dst, sizeof dst, "%s/model.safetensors", dir);
    spit(dst, st, n);
}

/* Everything a forward computes, for comparing two loads. */
typedef struct {
    float *out;
    size_t n;
} outputs;

static outputs run(bert_model *m) {
    enum { B = 2, T = 7 };
    int32_t ids[B * T] = {101, 1996, 4937, 2938, 2006, 103, 102, 101, 2009, 103, 1012, 102, 0, 0};
    int32_t tt[B * T] = {0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0};
    float mask[B * T] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0};
    bert_acts a;
    outputs o = {0};
    CHECK_OK(bert_acts_alloc(&a, m, B, T, 0, err, sizeof err), err);
    CHECK_OK(bert_forward(m, &a, ids, tt, mask, B, T, err, sizeof err), err);
    int C = m->cfg.hidden_size, V = m->cfg.vocab_size, L = m->cfg.num_layers, NH = m->cfg.num_heads;
    size_t hid = (size_t)(L + 1) * B * T * C, att = (size_t)L * B * NH * T * T, mlm = (size_t)B * T * V;
    o.n = hid + att + (size_t)B * C + 2 * B + mlm;
    o.out = calloc(o.n, sizeof(float));
    float *w = malloc(sizeof(float) * bert_mlm_work_size(m, B * T));
    memcpy(o.out, a.hidden, hid * sizeof(float));
    memcpy(o.out + hid, a.probs, att * sizeof(float));
    memcpy(o.out + hid + att, a.pool, (size_t)B * C * sizeof(float));
    CHECK_OK(bert_nsp_logits(m, &a, o.out + hid + att + B * C, err, sizeof err), err);
    CHECK_OK(bert_mlm_logits(m, o.out + hid + att + B * C + 2 * B, bert_hidden(&a, m, L), B * T, w, err, sizeof err),
             err);
    free(w);
    bert_acts_free(&a);
    return o;
}

/* Largest |a - b| over the outputs (INFINITY when they differ in size or hold NaN); frees both. */
static double outputs_diff(outputs a, outputs b) {
    double d = a.n == b.n ? check_maxdiff(a.out, b.out, (long)a.n) : INFINITY;
    free(a.out);
    free(b.out);
    return d;
}

/* Mapped and owned loads of dir agree bit for bit; zero_copy: F32 weights lie in the file's mapping. */
static void mapped_matches_owned(const char *dir, const char *weights_file, int zero_copy) {
    bert_model *own = NULL, *map = NULL;
    CHECK_OK(bert_load(&own, dir, err, sizeof err), err);
    CHECK_OK(bert_load_mapped(&map, dir, err, sizeof err), err);
    if (!own || !map) goto done;
    CHECK(!bert_is_mapped(own) && own->params_memory && !own->weights, "%s: bert_load owns its parameters", dir);
    CHECK(bert_is_mapped(map) && !map->params_memory && map->weights, "%s: bert_load_mapped maps them", dir);
    CHECK(map->num_params == own->num_params, "%s: %zu parameters, owned %zu", dir, map->num_params, own->num_params);
    bert_layer w;
    bert_layer_weights(map, map->cfg.num_layers - 1, &w);
    CHECK(in_mapping_of(map->params.wte, weights_file) == zero_copy &&
              in_mapping_of(w.fcw, weights_file) == zero_copy && in_mapping_of(w.qkvw[2], weights_file) == zero_copy,
          "%s: word embeddings and the last layer's weights %s the mapping of %s", dir,
          zero_copy ? "inside" : "not inside", weights_file);
    /* A mapped model computes query, key and value as three products side by side (the checkpoint
     * stores them apart) where an owned one computes one fused product: the few-row kernel gives the
     * same sums either way, but a BLAS (more rows, or a CPU without AVX2) may round them differently. */
    double d = outputs_diff(run(own), run(map));
    CHECK(d <= 1e-5, "%s: mapped forward within %g of the owned one (1e-5)", dir, d);
    /* a model saved from the mapped load is the model saved from the owned one */
    char out[] = "/tmp/bb_mapped_save_XXXXXX";
    CHECK(mkdtemp(out) != NULL, "mkdtemp");
    CHECK_OK(bert_save(map, out, err, sizeof err), err);
    bert_model *back = NULL;
    CHECK_OK(bert_load(&back, out, err, sizeof err), err);
    CHECK(back && back->num_params == own->num_params &&
              !memcmp(back->params_memory, own->params_memory, own->num_params * sizeof(float)),
          "%s: saved from the mapping, reloads to the same parameters", dir);
    bert_free(back);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", out);
    CHECK(system(cmd) == 0, "%s", cmd);
    /* owning the parameters gives exactly what bert_load gives, and releases the mapping */
    CHECK_OK(bert_own_params(map, err, sizeof err), err);
    CHECK(!bert_is_mapped(map) && map->params_memory && !map->weights && !map->layers && !map->converted,
          "%s: owned after bert_own_params", dir);
    CHECK(!memcmp(map->params_memory, own->params_memory, own->num_params * sizeof(float)),
          "%s: bert_own_params gives the flat buffer bert_load fills", dir);
    CHECK(outputs_diff(run(own), run(map)) == 0, "%s: bit-identical outputs after bert_own_params", dir);
done:
    bert_free(own);
    bert_free(map);
    CHECK(!mapped_anywhere(weights_file), "%s: nothing of %s stays mapped after bert_free", dir, weights_file);
}

/* The little-endian header length a safetensors file starts with. */
static uint64_t header_len(const unsigned char *b) {
    uint64_t h = 0;
    for (int i = 0; i < 8; i++) h |= (uint64_t)b[i] << (8 * i);
    return h;
}

/* Data offsets that are not 4-byte aligned: two more spaces of header padding. */
static void unaligned(const char *fx, const char *tmp) {
    char src[1200], dir[1200], path[1300];
    snprintf(src, sizeof src, "%s/bert_tiny_a/model.safetensors", fx);
    size_t n;
    unsigned char *b = check_slurp(src, &n);
    if (!b) return;
    uint64_t h = header_len(b);
    unsigned char *c = malloc(n + 2);
    uint64_t h2 = h + 2;
    for (int i = 0; i < 8; i++) c[i] = (unsigned char)(h2 >> (8 * i));
    memcpy(c + 8, b + 8, h);
    c[8 + h] = c[9 + h] = ' ';
    memcpy(c + 10 + h, b + 8 + h, n - 8 - h);
    snprintf(dir, sizeof dir, "%s/unaligned", tmp);
    snprintf(src, sizeof src, "%s/bert_tiny_a", fx);
    make_model(dir, src, c, n + 2);
    free(b);
    free(c);
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    mapped_matches_owned(dir, path, 0);
    bert_model *a = NULL, *u = NULL;
    CHECK_OK(bert_load(&a, src, err, sizeof err), err);
    CHECK_OK(bert_load_mapped(&u, dir, err, sizeof err), err);
    if (a && u) CHECK(outputs_diff(run(a), run(u)) <= 1e-5, "unaligned copy computes what the aligned file does");
    bert_free(a);
    bert_free(u);
}

/* Writes a copy of tiny_a with value v at element `at` of tensor name; loads must refuse it. */
static void refuses(const char *fx, const char *tmp, const char *name, int64_t at, float v, const char *what) {
    char src[1200], dir[1200], want[400];
    snprintf(src, sizeof src, "%s/bert_tiny_a/model.safetensors", fx);
    size_t n;
    unsigned char *b = check_slurp(src, &n);
    if (!b) return;
    uint64_t h = header_len(b);
    cJSON *hdr = cJSON_ParseWithLength((const char *)b + 8, h);
    cJSON *offs = cJSON_GetObjectItem(cJSON_GetObjectItem(hdr, name), "data_offsets");
    CHECK(offs != NULL, "tensor %s in the fixture", name);
    if (offs) memcpy(b + 8 + h + (size_t)cJSON_GetArrayItem(offs, 0)->valuedouble + (size_t)at * 4, &v, 4);
    cJSON_Delete(hdr);
    snprintf(dir, sizeof dir, "%s/bad_%s_%lld", tmp, what, (long long)at);
    snprintf(src, sizeof src, "%s/bert_tiny_a", fx);
    make_model(dir, src, b, n);
    free(b);
    snprintf(want, sizeof want, "tensor '%s' holds %s at element %lld", name, what, (long long)at);
    for (int mapped = 0; mapped < 2; mapped++) {
        bert_model *m = NULL;
        err[0] = 0;
        int rc = mapped ? bert_load_mapped(&m, dir, err, sizeof err) : bert_load(&m, dir, err, sizeof err);
        CHECK(rc == BB_EFORMAT && !m && strstr(err, want) && strstr(err, "not finite"),
              "%s load refuses %s: rc %d, '%s' (want '%s')", mapped ? "mapped" : "owned", what, rc, err, want);
        bert_free(m);
    }
}

/* The parallel scan answers what a serial one does: the first bad element of the first bad array,
 * whichever chunk a thread reached first. */
static void scan_order(void) {
    int64_t lens[3] = {5, 3 << 20, (1 << 20) + 17};
    float *x[3];
    for (int i = 0; i < 3; i++) x[i] = calloc((size_t)lens[i], sizeof(float));
    for (int i = 0; i < 3; i++) CHECK(x[i] != NULL, "allocation");
    if (!x[0] || !x[1] || !x[2]) return;
    const float *arr[3] = {x[0], x[1], x[2]};
    for (int threads = 1; threads <= 4; threads++) {
        bb_pool_set_threads(bb_pool_global(), threads);
        int which = -1;
        int64_t at = -1;
        CHECK(!bert_find_nonfinite(arr, lens, 3, NULL, &which, &at), "all finite (%d threads)", threads);
        x[2][lens[2] - 1] = -INFINITY; /* in the short tail of the last chunk */
        CHECK(bert_find_nonfinite(arr, lens, 3, NULL, &which, &at) && which == 2 && at == lens[2] - 1,
              "tail Inf: %d %lld (%d threads)", which, (long long)at, threads);
        x[1][(5 << 19) + 3] = NAN; /* a later chunk of array 1 */
        x[1][(1 << 20) + 1000] = INFINITY;
        CHECK(bert_find_nonfinite(arr, lens, 3, NULL, &which, &at) && which == 1 && at == (1 << 20) + 1000,
              "first of several: %d %lld (%d threads)", which, (long long)at, threads);
        x[1][(5 << 19) + 3] = x[1][(1 << 20) + 1000] = x[2][lens[2] - 1] = 0;
    }
    CHECK(bert_first_nonfinite(x[0], 0) == -1, "empty array");
    x[0][4] = NAN;
    CHECK(bert_first_nonfinite(x[0], 5) == 4, "short array");
    float big = 3.4028235e38f, tiny = 1e-45f;
    CHECK(bert_first_nonfinite(&big, 1) == -1 && bert_first_nonfinite(&tiny, 1) == -1, "FLT_MAX and denormals are finite");
    bb_work w;
    bb_work_init(&w, NULL, NULL);
    bb_work_cancel(&w);
    int which = -1;
    int64_t at = -1;
    CHECK(bert_find_nonfinite(arr, lens, 3, &w, &which, &at) == -1, "a cancelled scan says so");
    /* empty arrays around and between others, and arrays that share a chunk (the scan cuts the arrays
     * taken end to end) */
    const float *mixed[5] = {x[0], x[1], x[0], x[0], x[2]};
    int64_t mlens[5] = {0, 70000, 0, 3, 17};
    for (int threads = 1; threads <= 2; threads++) {
        bb_pool_set_threads(bb_pool_global(), threads);
        x[0][2] = NAN;
        CHECK(bert_find_nonfinite(mixed, mlens, 5, NULL, &which, &at) == 1 && which == 3 && at == 2,
              "after an empty array: %d %lld (%d threads)", which, (long long)at, threads);
        x[1][0] = INFINITY;
        CHECK(bert_find_nonfinite(mixed, mlens, 5, NULL, &which, &at) == 1 && which == 1 && at == 0,
              "first element after an empty array: %d %lld (%d threads)", which, (long long)at, threads);
        x[0][2] = x[1][0] = 0;
        x[2][16] = NAN;
        CHECK(bert_find_nonfinite(mixed, mlens, 5, NULL, &which, &at) == 1 && which == 4 && at == 16,
              "last element: %d %lld (%d threads)", which, (long long)at, threads);
        x[2][16] = 0;
        CHECK(bert_find_nonfinite(mixed, mlens, 5, NULL, &which, &at) == 0, "all finite (%d threads)", threads);
    }
    for (int i = 0; i < 3; i++) free(x[i]);
}

/* A write into a mapped parameter changes this process's page only (MAP_PRIVATE): the file and a
 * second load keep the original. */
static void write_stays_private(const char *fx, const char *tmp) {
    char src[1200], dir[1200], path[1300];
    snprintf(src, sizeof src, "%s/bert_tiny_a/model.safetensors", fx);
    size_t n;
    unsigned char *b = check_slurp(src, &n);
    if (!b) return;
    snprintf(dir, sizeof dir, "%s/cow", tmp);
    snprintf(src, sizeof src, "%s/bert_tiny_a", fx);
    make_model(dir, src, b, n);
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    bert_model *m = NULL, *again = NULL;
    CHECK_OK(bert_load_mapped(&m, dir, err, sizeof err), err);
    if (m) {
        float was = m->params.wte[100];
        m->params.wte[100] += 1.0f;
        CHECK_OK(bert_load_mapped(&again, dir, err, sizeof err), err);
        CHECK(again && again->params.wte[100] == was && m->params.wte[100] == was + 1.0f,
              "the write is seen by its model only");
        size_t n2;
        unsigned char *after = check_slurp(path, &n2);
        CHECK(after && n2 == n && !memcmp(after, b, n), "the file is unchanged by a write into the mapping");
        free(after);
    }
    bert_free(m);
    bert_free(again);
    free(b);
}

int main(void) {
    const char *fx = check_fixtures();
    char tmp[] = "/tmp/bb_mapped_XXXXXX", dir[1200], file[1300];
    CHECK(mkdtemp(tmp) != NULL, "mkdtemp");
    const char *models[][2] = {
        {"bert_tiny_a", "model.safetensors"},
        {"bert_tiny_b", "model.safetensors"},
        {"torch_bin/bert_tiny_a_bin", "pytorch_model.bin"},
        {"torch_bin/bert_tiny_b_bin_sharded", "pytorch_model-00001-of-00002.bin"},
    };
    for (int i = 0; i < 4; i++) {
        snprintf(dir, sizeof dir, "%s/%s", fx, models[i][0]);
        snprintf(file, sizeof file, "%s/%s", dir, models[i][1]);
        mapped_matches_owned(dir, file, i < 3); /* the legacy torch file holds F16: converted */
    }
    unaligned(fx, tmp);
    refuses(fx, tmp, "bert.encoder.layer.1.intermediate.dense.weight", 1234, NAN, "NaN");
    refuses(fx, tmp, "bert.embeddings.word_embeddings.weight", 30522 * 32 - 1, INFINITY, "Inf");
    refuses(fx, tmp, "bert.embeddings.word_embeddings.weight", 500000, -INFINITY, "Inf");
    refuses(fx, tmp, "bert.encoder.layer.0.attention.self.value.bias", 0, NAN, "NaN");
    scan_order();
    write_stays_private(fx, tmp);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    CHECK(system(cmd) == 0, "%s", cmd);
    return check_done();
}
