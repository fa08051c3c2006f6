/* Loading variants of a real checkpoint (bert_tiny_a): without the "bert." prefix, legacy
 * LayerNorm gamma/beta, F16 and BF16 storage, sharded; missing and mis-shaped tensors give errors that
 * name the tensor and both shapes; bert_save writes a checkpoint that loads back identically. */
#include <unistd.h>

#include "bb_err.h"
#include "bert.h"
#include "check.h"
#include "st.h"

static char tmp[256];

typedef enum { V_PLAIN, V_NOPREFIX, V_GAMMA, V_F16, V_BF16, V_DROP, V_RESHAPE } variant;

static void copy_file(const char *from, const char *to) {
    FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
    char buf[4096];
    size_t n;
    while (a && b && (n = fread(buf, 1, sizeof buf, a)) > 0) fwrite(buf, 1, n, b);
    if (a) fclose(a);
    if (b) fclose(b);
}

static void rename_for(char *out, size_t n, const char *name, variant v) {
    const char *s = name;
    if (v == V_NOPREFIX && strncmp(s, "bert.", 5) == 0) s += 5;
    snprintf(out, n, "%s", s);
    if (v == V_GAMMA) {
        char *p = strstr(out, "LayerNorm.weight");
        if (p) strcpy(p, "LayerNorm.gamma");
        p = strstr(out, "LayerNorm.bias");
        if (p) strcpy(p, "LayerNorm.beta");
    }
}

/* Writes src's tensors as a safetensors file in dir with the variant applied (F16/BF16 by hand). */
static void write_variant(const st_file *src, const char *dir, variant v, const char *fixture_dir) {
    char path[512], err[256];
    mkdir(dir, 0700);
    snprintf(path, sizeof path, "%s/config.json", fixture_dir);
    char to[512];
    snprintf(to, sizeof to, "%s/config.json", dir);
    copy_file(path, to);
    int n = st_count(src);
    size_t cap = 1 << 20, len = 0, off = 0;
    char *hdr = malloc(cap);
    len += (size_t)snprintf(hdr + len, cap - len, "{");
    size_t esz = v == V_F16 || v == V_BF16 ? 2 : 4;
    for (int i = 0; i < n; i++) {
        const st_tensor *t = st_at(src, i);
        char name[256];
        rename_for(name, sizeof name, t->name, v);
        if (v == V_DROP && strstr(name, "layer.1.output.dense.weight")) continue;
        int64_t d0 = t->shape[0], d1 = t->ndim > 1 ? t->shape[1] : 0;
        if (v == V_RESHAPE && strstr(name, "layer.0.intermediate.dense.weight")) d0 = t->shape[1], d1 = t->shape[0];
        char shape[64];
        if (t->ndim > 1)
            snprintf(shape, sizeof shape, "%lld,%lld", (long long)d0, (long long)d1);
        else
            snprintf(shape, sizeof shape, "%lld", (long long)d0);
        len += (size_t)snprintf(hdr + len, cap - len, "%s\"%s\":{\"dtype\":\"%s\",\"shape\":[%s],\"data_offsets\":[%zu,%zu]}",
                                len > 1 ? "," : "", name, esz == 2 ? (v == V_F16 ? "F16" : "BF16") : "F32", shape,
                                off, off + (size_t)t->numel * esz);
        off += (size_t)t->numel * esz;
    }
    len += (size_t)snprintf(hdr + len, cap - len, "}");
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    FILE *f = fopen(path, "wb");
    unsigned char l8[8];
    for (int i = 0; i < 8; i++) l8[i] = (unsigned char)((uint64_t)len >> (8 * i));
    fwrite(l8, 1, 8, f);
    fwrite(hdr, 1, len, f);
    for (int i = 0; i < n; i++) {
        const st_tensor *t = st_at(src, i);
        char name[256];
        rename_for(name, sizeof name, t->name, v);
        if (v == V_DROP && strstr(name, "layer.1.output.dense.weight")) continue;
        float *vals = malloc(sizeof(float) * (size_t)t->numel);
        CHECK_OK(st_read_f32(t, vals, t->numel, err, sizeof err), err);
        for (int64_t k = 0; k < t->numel; k++) {
            if (esz == 4) {
                fwrite(&vals[k], 4, 1, f);
            } else {
                uint32_t bits;
                memcpy(&bits, &vals[k], 4);
                uint16_t h = v == V_F16 ? st_f32_to_f16(vals[k]) : (uint16_t)((bits + 0x7fff + ((bits >> 16) & 1)) >> 16);
                fwrite(&h, 2, 1, f);
            }
        }
        free(vals);
    }
    fclose(f);
    free(hdr);
}

static double max_param_diff(const bert_model *a, const bert_model *b) {
    if (a->num_params != b->num_params) return INFINITY;
    return check_maxdiff(a->params_memory, b->params_memory, (long)a->num_params);
}

int main(void) {
    const char *fx = check_fixtures();
    char dir[512], err[512] = "";
    snprintf(dir, sizeof dir, "%s/bert_tiny_a", fx);
    snprintf(tmp, sizeof tmp, "/tmp/bb_test_model_%ld", (long)getpid());
    mkdir(tmp, 0700);
    bert_model *ref = NULL;
    CHECK_OK(bert_load(&ref, dir, err, sizeof err), err);
    if (!ref) return check_done();
    CHECK(bert_encoder_param_count(&ref->cfg, 1) > 0, "param count");
    st_file *src = NULL;
    CHECK_OK(st_open_dir(&src, dir, err, sizeof err), err);

    const struct {
        variant v;
        const char *name;
        double tol;
    } ok[] = {{V_NOPREFIX, "noprefix", 0}, {V_GAMMA, "gamma", 0}, {V_F16, "f16", 2e-3}, {V_BF16, "bf16", 2e-2}};
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        char vd[600];
        snprintf(vd, sizeof vd, "%s/%s", tmp, ok[i].name);
        write_variant(src, vd, ok[i].v, dir);
        bert_model *m = NULL;
        CHECK_OK(bert_load(&m, vd, err, sizeof err), err);
        if (m) {
            double d = max_param_diff(ref, m);
            CHECK(d <= ok[i].tol, "%s: parameters differ by %g", ok[i].name, d);
            bert_free(m);
        }
    }
    char vd[600];
    snprintf(vd, sizeof vd, "%s/drop", tmp);
    write_variant(src, vd, V_DROP, dir);
    bert_model *m = NULL;
    CHECK(bert_load(&m, vd, err, sizeof err) == BB_ESHAPE && m == NULL, "missing tensor fails");
    CHECK(strstr(err, "bert.encoder.layer.1.output.dense.weight") && strstr(err, "missing"), "names it: %s", err);
    snprintf(vd, sizeof vd, "%s/reshape", tmp);
    write_variant(src, vd, V_RESHAPE, dir);
    CHECK(bert_load(&m, vd, err, sizeof err) == BB_ESHAPE && m == NULL, "mis-shaped tensor fails");
    CHECK(strstr(err, "layer.0.intermediate.dense.weight") && strstr(err, "[32, 64]") && strstr(err, "[64, 32]"),
          "names tensor and both shapes: %s", err);
    CHECK(bert_load(&m, "/nonexistent/model", err, sizeof err) == BB_EIO, "missing directory: %s", err);

    /* Save and reload. */
    snprintf(vd, sizeof vd, "%s/saved", tmp);
    CHECK_OK(bert_save(ref, vd, err, sizeof err), err);
    CHECK_OK(bert_load(&m, vd, err, sizeof err), err);
    if (m) {
        CHECK(max_param_diff(ref, m) == 0, "saved checkpoint reloads bit-exactly");
        CHECK(m->has_pooler && m->has_mlm && m->has_nsp && m->tied_decoder, "heads survive saving");
        bert_free(m);
    }

    /* bert-base parameter count (the figure the workbench's `model` command shows). */
    bert_config base;
    bert_config_default(&base, 30522, 768, 12, 12, 3072, 512);
    CHECK(bert_encoder_param_count(&base, 1) == 109482240u, "bert-base encoder+pooler = %zu",
          bert_encoder_param_count(&base, 1));

    st_close(src);
    bert_free(ref);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
    CHECK(system(cmd) == 0, "cleanup");
    return check_done();
}
