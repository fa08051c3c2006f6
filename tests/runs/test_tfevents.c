/* The run readers (engine/runs): CRC32C against the published check value and a bitwise reference;
 * the writer's files re-framed by an independent check of every length and data CRC, and read back;
 * a torn tail waits (no error, nothing consumed), a bad data CRC skips exactly that record, a bad
 * length CRC resynchronises on the next header; both scalar forms (simple_value; a rank-0 DT_FLOAT
 * tensor with the "scalars" plugin on the tag's first value only); the fixtures' event files framed
 * correctly, and trainer_state.json's log_history. */
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bb_err.h"
#include "check.h"
#include "crc32c.h"
#include "hf_state.h"
#include "pbwire.h"
#include "tfevents.h"
#include "tfrecord.h"

/* Bit by bit, the definition (no table): reflected 0x82F63B78, init and final xor 0xFFFFFFFF. */
static uint32_t crc_ref(const uint8_t *p, size_t n) {
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1)));
    }
    return ~c;
}
static uint32_t mask_ref(uint32_t c) { return ((c >> 15) | (c << 17)) + 0xA282EAD8u; }
static uint32_t le32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }

/* Walks a whole file checking each record's framing with crc_ref; returns records, -1 on any mismatch. */
static long verify_framing(const uint8_t *b, size_t n) {
    size_t off = 0;
    long recs = 0;
    while (off < n) {
        if (n - off < 12) return -1;
        uint64_t len = 0;
        for (int i = 7; i >= 0; i--) len = len << 8 | b[off + i];
        if (mask_ref(crc_ref(b + off, 8)) != le32(b + off + 8)) return -1;
        if (n - off - 12 < len + 4) return -1;
        if (mask_ref(crc_ref(b + off + 12, (size_t)len)) != le32(b + off + 12 + len)) return -1;
        off += 12 + (size_t)len + 4;
        recs++;
    }
    return recs;
}

static uint8_t *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)sz + 1);
    *n = b ? fread(b, 1, (size_t)sz, f) : 0;
    fclose(f);
    return b;
}

typedef struct {
    int n;
    char tag[64][64];
    long step[64];
    double v[64];
} pts;

static int collect(void *user, const char *tag, int64_t step, double wall, double value) {
    pts *p = user;
    if (p->n < 64) {
        snprintf(p->tag[p->n], sizeof p->tag[0], "%s", tag);
        p->step[p->n] = (long)step;
        p->v[p->n++] = value;
    }
    return 0;
}

static int hf_row(void *user, long step, const char *const *keys, const double *values, int n) {
    for (int i = 0; i < n; i++) collect(user, keys[i], step, 0, values[i]);
    return 0;
}

static void append_record(pb_buf *file, const pb_buf *ev) {
    uint8_t h[TFR_HEADER], t[TFR_FOOTER];
    tfrecord_frame(h, t, ev->p, ev->n);
    pb_buf *f = file;
    /* the framing bytes are appended raw: pb_put_* would add a field key */
    size_t need = f->n + sizeof h + ev->n + sizeof t;
    if (need > f->cap) {
        f->p = realloc(f->p, need * 2);
        f->cap = need * 2;
    }
    memcpy(f->p + f->n, h, sizeof h), f->n += sizeof h;
    memcpy(f->p + f->n, ev->p, ev->n), f->n += ev->n;
    memcpy(f->p + f->n, t, sizeof t), f->n += sizeof t;
}

/* An event at step with one tensor-form scalar; meta: the "scalars" plugin metadata on it. */
static void tensor_event(pb_buf *file, long step, const char *tag, float v, int meta) {
    pb_buf tensor = {0}, shape = {0}, fv = {0}, pd = {0}, md = {0}, val = {0}, sum = {0}, ev = {0};
    pb_put_varint(&tensor, 1, 1); /* DT_FLOAT */
    pb_put_len(&tensor, 2, "", 0);  /* shape [] */
    uint8_t bits[4];
    memcpy(bits, &v, 4);
    pb_put_len(&tensor, 5, bits, 4); /* packed float_val */
    pb_put_len(&pd, 1, "scalars", 7);
    pb_put_len(&md, 1, pd.p, pd.n);
    pb_put_len(&val, 1, tag, strlen(tag));
    pb_put_len(&val, 8, tensor.p, tensor.n);
    if (meta) pb_put_len(&val, 9, md.p, md.n);
    pb_put_len(&sum, 1, val.p, val.n);
    pb_put_double(&ev, 1, 1.5e9 + step);
    pb_put_varint(&ev, 2, (uint64_t)step);
    pb_put_len(&ev, 5, sum.p, sum.n);
    append_record(file, &ev);
    free(tensor.p), free(shape.p), free(fv.p), free(pd.p), free(md.p), free(val.p), free(sum.p), free(ev.p);
}

int main(void) {
    char err[512];
    /* CRC32C: the check value of "123456789", the table against the definition, the mask */
    CHECK(crc32c("123456789", 9) == 0xE3069283u, "%08x", crc32c("123456789", 9));
    uint8_t rnd[1000];
    for (int i = 0; i < 1000; i++) rnd[i] = (uint8_t)(i * 131 + 7);
    CHECK(crc32c(rnd, 1000) == crc_ref(rnd, 1000), "table vs bitwise");
    CHECK(crc32c_extend(crc32c(rnd, 300), rnd + 300, 700) == crc32c(rnd, 1000), "extend");
    CHECK(crc32c_mask(0x12345678u) == mask_ref(0x12345678u), "mask");

    /* the writer, framed as the format says, read back */
    char dir[] = "/tmp/bb_tfev_XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    tfev_writer *w;
    CHECK_OK(tfev_writer_open(&w, dir, err, sizeof err), err);
    const char *tags[3] = {"train/loss", "train/learning_rate", "eval/accuracy"};
    float vals[3] = {0.6973f, 5e-5f, NAN};
    CHECK_OK(tfev_writer_scalars(w, 10, 1.7e9, tags, vals, 3, err, sizeof err), err);
    vals[0] = 0.5f, vals[2] = 0.91f;
    CHECK_OK(tfev_writer_scalars(w, 20, 1.7e9 + 1, tags, vals, 3, err, sizeof err), err);
    char path[600];
    snprintf(path, sizeof path, "%s", tfev_writer_path(w));
    CHECK_OK(tfev_writer_close(w, err, sizeof err), err);
    CHECK(tfev_sniff(path) == 1, "our file is recognised by content");
    size_t n;
    uint8_t *b = slurp(path, &n);
    CHECK(b && verify_framing(b, n) == 3, "three records with good CRCs (%ld)", b ? verify_framing(b, n) : -9);
    tfev_file *f;
    pts p = {0};
    CHECK_OK(tfev_file_open(&f, path, err, sizeof err), err);
    CHECK_OK(tfev_file_poll(f, collect, &p, err, sizeof err), err);
    CHECK(p.n == 5 && f->records == 3 && f->corrupt == 0 && f->torn_bytes == 0, "n %d rec %ld bad %ld", p.n,
          f->records, f->corrupt);
    CHECK(strcmp(f->version, "brain.Event:2") == 0, "version %s", f->version);
    CHECK(p.n == 5 && !strcmp(p.tag[0], "train/loss") && p.step[0] == 10 && (float)p.v[0] == 0.6973f &&
              (float)p.v[1] == 5e-5f && !strcmp(p.tag[4], "eval/accuracy") && (float)p.v[4] == 0.91f,
          "values read back");
    tfev_file_free(f);

    /* torn tail: every prefix parses without error and consumes only whole records */
    long whole = 0;
    for (size_t cut = 0; b && cut <= n; cut++) {
        tfev_file *g;
        tfev_file_open(&g, "mem", err, sizeof err);
        size_t used = 99999;
        int rc = tfev_parse(g, b, cut, &used, NULL, NULL);
        if (rc != BB_OK || g->corrupt != 0 || used + g->torn_bytes != cut) whole = -1;
        if (whole >= 0 && cut == n && g->records == 3) whole = 1;
        tfev_file_free(g);
    }
    CHECK(whole == 1, "prefixes: torn records wait, no corruption counted");

    /* a bad data CRC: that record skipped, the next one read */
    if (b) {
        uint8_t *c = malloc(n);
        memcpy(c, b, n);
        size_t first = 12 + (size_t)c[0] + 4; /* the version record is short */
        c[first + 12 + 3] ^= 0x40;            /* inside the step-10 event */
        tfev_file *g;
        tfev_file_open(&g, "mem", err, sizeof err);
        pts q = {0};
        size_t used;
        CHECK(tfev_parse(g, c, n, &used, collect, &q) == BB_OK, "parse");
        CHECK(g->corrupt == 1 && g->records == 2 && q.n == 3 && q.step[0] == 20 && used == n,
              "corrupt %ld records %ld points %d", g->corrupt, g->records, q.n);
        tfev_file_free(g);
        /* a bad length CRC: resynchronised on the following header */
        memcpy(c, b, n);
        c[first + 9] ^= 0x01;
        tfev_file_open(&g, "mem", err, sizeof err);
        memset(&q, 0, sizeof q);
        CHECK(tfev_parse(g, c, n, &used, collect, &q) == BB_OK, "parse");
        CHECK(g->corrupt == 1 && q.n == 3 && q.step[0] == 20, "resync: corrupt %ld points %d", g->corrupt, q.n);
        tfev_file_free(g);
        free(c);
    }
    free(b);
    unlink(path);
    rmdir(dir);

    /* tensor form: metadata on a tag's first value only (TF2 writers); another plugin's tensor ignored */
    pb_buf file = {0};
    tensor_event(&file, 1, "eval/accuracy", 0.5f, 1);
    tensor_event(&file, 2, "eval/accuracy", 0.75f, 0);
    tensor_event(&file, 3, "histo", 1.0f, 0);
    tfev_file *g;
    tfev_file_open(&g, "mem", err, sizeof err);
    pts q = {0};
    size_t used;
    CHECK(tfev_parse(g, file.p, file.n, &used, collect, &q) == BB_OK, "parse");
    CHECK(q.n == 2 && q.step[1] == 2 && (float)q.v[1] == 0.75f && g->corrupt == 0, "tensor form: %d points", q.n);
    tfev_file_free(g);
    free(file.p);

    /* the fixtures: framing, both forms, log_history */
    const char *fx = check_fixtures();
    const char *forms[2] = {"simple_value", "tensor_form"};
    for (int k = 0; k < 2; k++) {
        char p2[1024];
        snprintf(p2, sizeof p2, "%s/hf_runs/%s/runs/Dec01_12-00-00_gpu-node-3/events.out.tfevents.1764590000.gpu-node-3.4242.0",
                 fx, forms[k]);
        uint8_t *fb = slurp(p2, &n);
        CHECK(fb && verify_framing(fb, n) == 67, "%s: 67 framed records", forms[k]);
        tfev_file *h;
        CHECK_OK(tfev_file_open(&h, p2, err, sizeof err), err);
        CHECK_OK(tfev_file_poll(h, NULL, NULL, err, sizeof err), err);
        CHECK(h->records == 67 && h->points == 60 * 4 + 6 * 3 && h->corrupt == 0, "%s: %ld records %ld points",
              forms[k], h->records, h->points);
        tfev_file_free(h);
        free(fb);
        hf_state st;
        snprintf(p2, sizeof p2, "%s/hf_runs/%s/checkpoint-400/trainer_state.json", fx, forms[k]);
        CHECK_OK(hf_state_read(&st, p2, NULL, NULL, err, sizeof err), err);
        CHECK(st.global_step == 400 && st.max_steps == 600 && st.logging_steps == 10 && st.num_train_epochs == 3 &&
                  st.rows == 44,
              "trainer_state: step %ld max %ld rows %ld", st.global_step, st.max_steps, st.rows);
    }
    char tag[64];
    hf_state_tb_tag("eval_accuracy", tag, sizeof tag);
    CHECK(!strcmp(tag, "eval/accuracy"), "%s", tag);
    hf_state_tb_tag("learning_rate", tag, sizeof tag);
    CHECK(!strcmp(tag, "train/learning_rate"), "%s", tag);
    CHECK(hf_state_parse(&(hf_state){0}, "{\"log_history\": 3}", 18, "x.json", NULL, NULL, err, sizeof err) ==
              BB_EFORMAT, "not a trainer_state");
    /* Python's json writes NaN and Infinity for a diverged run: the file still reads */
    const char *py = "{\"max_steps\": 10, \"log_history\": [{\"loss\": NaN, \"grad_norm\": Infinity, "
                     "\"note\": \"NaN in a string\", \"step\": 5}]}";
    hf_state st2;
    pts r = {0};
    CHECK_OK(hf_state_parse(&st2, py, strlen(py), "py.json", hf_row, &r, err, sizeof err), err);
    CHECK(st2.rows == 1 && st2.max_steps == 10 && r.n == 1 && !strcmp(r.tag[0], "grad_norm") && isinf(r.v[0]),
          "rows %ld points %d", st2.rows, r.n);
    return check_done();
}
