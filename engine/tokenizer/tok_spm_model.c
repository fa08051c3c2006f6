/* tok_spm_model.c — SentencePiece .model files: a protobuf wire-format reader for ModelProto (pieces,
 * trainer_spec, normalizer_spec), the checks SentencePiece makes when it loads one, and the tables the
 * encoder needs (piece tries, byte pieces, score range).
 *
 * Only the wire format is needed (varints, fixed32 floats, length-delimited fields), so a small reader
 * is used instead of a protobuf library: every length is checked against the bytes left, unknown
 * fields are skipped, and a malformed file is an error naming the file and the field. */
#include <errno.h>
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tok_spm.h"

/* ---- protobuf wire format -------------------------------------------------------------------------- */

typedef struct {
    const uint8_t *p, *end;
} pb_reader;

enum { PB_VARINT = 0, PB_I64 = 1, PB_LEN = 2, PB_I32 = 5 };

static int pb_varint(pb_reader *r, uint64_t *v) {
    uint64_t x = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (r->p >= r->end) return -1;
        uint8_t b = *r->p++;
        x |= (uint64_t)(b & 0x7F) << shift;
        if (!(b & 0x80)) return *v = x, 0;
    }
    return -1;
}

/* Reads a field key; 0 at the end, 1 when a field was read, -1 when malformed. */
static int pb_key(pb_reader *r, uint32_t *field, int *wire) {
    if (r->p >= r->end) return 0;
    uint64_t k;
    if (pb_varint(r, &k) != 0 || (k >> 3) == 0 || (k >> 3) > 0x1FFFFFFF) return -1;
    *field = (uint32_t)(k >> 3), *wire = (int)(k & 7);
    return 1;
}

static int pb_bytes(pb_reader *r, pb_reader *sub) {
    uint64_t n;
    if (pb_varint(r, &n) != 0 || n > (uint64_t)(r->end - r->p)) return -1;
    sub->p = r->p, sub->end = r->p + n;
    r->p += n;
    return 0;
}

static int pb_fixed32(pb_reader *r, uint32_t *v) {
    if (r->end - r->p < 4) return -1;
    *v = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 | (uint32_t)r->p[2] << 16 | (uint32_t)r->p[3] << 24;
    r->p += 4;
    return 0;
}

static int pb_skip(pb_reader *r, int wire) {
    uint64_t v;
    pb_reader sub;
    switch (wire) {
    case PB_VARINT: return pb_varint(r, &v);
    case PB_I64:
        if (r->end - r->p < 8) return -1;
        r->p += 8;
        return 0;
    case PB_LEN: return pb_bytes(r, &sub);
    case PB_I32:
        if (r->end - r->p < 4) return -1;
        r->p += 4;
        return 0;
    default: return -1; /* groups (3, 4) are not used by sentencepiece_model.proto */
    }
}

static float pb_float(uint32_t bits) {
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

/* ---- the piece trie -------------------------------------------------------------------------------- */

int tok_trie_init(tok_trie *t) {
    memset(t, 0, sizeof *t);
    for (int b = 0; b < 256; b++) t->root[b] = -1;
    t->cap_nodes = 1024;
    t->value = malloc(sizeof *t->value * (size_t)t->cap_nodes);
    t->edge_mask = 1023;
    t->edge_key = malloc(sizeof *t->edge_key * 1024);
    t->edge_child = malloc(sizeof *t->edge_child * 1024);
    if (!t->value || !t->edge_key || !t->edge_child) return BB_ENOMEM;
    memset(t->edge_key, 0xFF, sizeof *t->edge_key * 1024);
    t->value[0] = -1;
    t->n_nodes = 1;
    return BB_OK;
}

static void edge_put(uint64_t *keys, int32_t *child, uint32_t mask, uint64_t key, int32_t c) {
    uint32_t i = (uint32_t)(key * 0x9E3779B97F4A7C15ull >> 32) & mask;
    while (keys[i] != UINT64_MAX) i = (i + 1) & mask;
    keys[i] = key, child[i] = c;
}

static int32_t trie_new_child(tok_trie *t, int32_t node, uint8_t b) {
    if (t->n_nodes == t->cap_nodes) {
        if (t->cap_nodes > (1 << 28)) return -1;
        int32_t *nv = realloc(t->value, sizeof *nv * (size_t)t->cap_nodes * 2);
        if (!nv) return -1;
        t->value = nv, t->cap_nodes *= 2;
    }
    int32_t c = t->n_nodes++;
    t->value[c] = -1;
    if (node == 0) return t->root[b] = c;
    if ((uint32_t)(t->n_edges + 1) * 2 > t->edge_mask + 1) {
        uint32_t cap = (t->edge_mask + 1) * 2;
        uint64_t *nk = malloc(sizeof *nk * cap);
        int32_t *nc = malloc(sizeof *nc * cap);
        if (!nk || !nc) {
            free(nk), free(nc);
            return -1;
        }
        memset(nk, 0xFF, sizeof *nk * cap);
        for (uint32_t i = 0; i <= t->edge_mask; i++)
            if (t->edge_key[i] != UINT64_MAX) edge_put(nk, nc, cap - 1, t->edge_key[i], t->edge_child[i]);
        free(t->edge_key), free(t->edge_child);
        t->edge_key = nk, t->edge_child = nc, t->edge_mask = cap - 1;
    }
    edge_put(t->edge_key, t->edge_child, t->edge_mask, (uint64_t)node << 8 | b, c);
    t->n_edges++;
    return c;
}

int tok_trie_add(tok_trie *t, const char *key, long n, int32_t v) {
    int32_t node = 0;
    for (long i = 0; i < n; i++) {
        int32_t c = tok_trie_step(t, node, (uint8_t)key[i]);
        if (c < 0 && (c = trie_new_child(t, node, (uint8_t)key[i])) < 0) return BB_ENOMEM;
        node = c;
    }
    if (t->value[node] < 0) t->value[node] = v;
    return BB_OK;
}

void tok_trie_free(tok_trie *t) {
    free(t->value), free(t->edge_key), free(t->edge_child);
    memset(t, 0, sizeof *t);
}

/* ---- the precompiled charsmap ---------------------------------------------------------------------- */

/* darts-clone's unit layout. */
static inline uint32_t da_offset(uint32_t u) { return (u >> 10) << ((u & (1u << 9)) >> 6); }
static inline int da_has_leaf(uint32_t u) { return (u >> 8) & 1; }
static inline uint32_t da_label(uint32_t u) { return u & ((1u << 31) | 0xFF); }

int tok_charsmap_load(tok_charsmap *cm, const uint8_t *blob, size_t len, const char *name, char *err, size_t errlen) {
    memset(cm, 0, sizeof *cm);
    if (len == 0) return BB_OK;
    if (len <= 4 || len > (1u << 30))
        return bb_err(err, errlen, BB_EFORMAT, "%s: normalizer_spec.precompiled_charsmap is broken (%zu bytes)", name, len);
    uint32_t trie = (uint32_t)blob[0] | (uint32_t)blob[1] << 8 | (uint32_t)blob[2] << 16 | (uint32_t)blob[3] << 24;
    if (trie > len - 4 || trie % 4 != 0 || trie < 4)
        return bb_err(err, errlen, BB_EFORMAT,
                      "%s: precompiled_charsmap trie size %u does not fit its %zu bytes (or is not whole units)", name,
                      trie, len);
    cm->blob = malloc(len);
    cm->units = malloc(trie);
    cm->repl_len = (uint32_t)(len - 4 - trie);
    cm->repl = malloc((size_t)cm->repl_len + 1);
    if (!cm->blob || !cm->units || !cm->repl) {
        tok_charsmap_free(cm);
        return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", name);
    }
    memcpy(cm->blob, blob, len);
    cm->blob_len = (uint32_t)len;
    cm->n_units = trie / 4;
    for (uint32_t i = 0; i < cm->n_units; i++) {
        const uint8_t *q = blob + 4 + 4 * (size_t)i;
        cm->units[i] = (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 | (uint32_t)q[3] << 24;
    }
    memcpy(cm->repl, blob + 4 + trie, cm->repl_len);
    cm->repl[cm->repl_len] = 0; /* the last string ends even when the file forgot its NUL */
    /* Leaf units (bit 31) hold offsets into the replacement strings: every one must point inside. */
    for (uint32_t i = 0; i < cm->n_units; i++) {
        uint32_t u = cm->units[i];
        if ((u >> 31) && (u & 0x7FFFFFFFu) >= cm->repl_len && cm->repl_len > 0) {
            uint32_t v = u & 0x7FFFFFFFu, rl = cm->repl_len;
            tok_charsmap_free(cm);
            return bb_err(err, errlen, BB_EFORMAT,
                          "%s: precompiled_charsmap rule %u points at offset %u, outside its %u bytes of replacements",
                          name, i, v, rl);
        }
    }
    uint32_t root = da_offset(cm->units[0]);
    for (int b = 0; b < 256; b++) {
        uint32_t pos = root ^ (uint32_t)b;
        cm->first[b] = pos < cm->n_units && da_label(cm->units[pos]) == (uint32_t)b;
    }
    return BB_OK;
}

void tok_charsmap_free(tok_charsmap *cm) {
    free(cm->blob), free(cm->units), free(cm->repl);
    memset(cm, 0, sizeof *cm);
}

static int charsmap_search(const tok_charsmap *cm, const unsigned char *s, long n, const char **repl, int shortest) {
    if (n <= 0 || !cm->n_units || !cm->first[s[0]]) return 0;
    const uint32_t *u = cm->units;
    uint32_t pos = da_offset(u[0]);
    int best = 0;
    for (long i = 0; i < n; i++) {
        pos ^= s[i];
        if (pos >= cm->n_units) break;
        uint32_t unit = u[pos];
        if (da_label(unit) != s[i]) break;
        pos ^= da_offset(unit);
        if (pos >= cm->n_units) break;
        if (da_has_leaf(unit)) {
            uint32_t leaf = u[pos];
            if ((leaf >> 31) && (leaf & 0x7FFFFFFFu) < cm->repl_len) {
                best = (int)(i + 1);
                *repl = cm->repl + (leaf & 0x7FFFFFFFu);
                if (shortest) break;
            }
        }
    }
    return best;
}

int tok_charsmap_match(const tok_charsmap *cm, const unsigned char *s, long n, const char **repl) {
    return charsmap_search(cm, s, n, repl, 0);
}

int tok_charsmap_first(const tok_charsmap *cm, const unsigned char *s, long n, const char **repl) {
    return charsmap_search(cm, s, n, repl, 1);
}

/* ---- tables ------------------------------------------------------------------------------------------- */

/* "<0x41>" -> 0x41, -1 when the piece is not a byte piece. */
static int byte_of_piece(const char *s, size_t n) {
    if (n != 6 || memcmp(s, "<0x", 3) != 0 || s[5] != '>') return -1;
    int v = 0;
    for (int i = 3; i < 5; i++) {
        char c = s[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0) return -1;
        v = v * 16 + d;
    }
    return v;
}

int tok_spm_finish(tok_tokenizer *tk, const char *name, char *err, size_t errlen) {
    struct tok_spm *sp = tk->spm;
    if (tok_trie_init(&sp->pieces) != BB_OK || tok_trie_init(&sp->user) != BB_OK)
        return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", name);
    for (int b = 0; b < 256; b++) sp->byte_piece[b] = -1;
    sp->min_score = FLT_MAX;
    sp->max_score = FLT_MIN; /* SentencePiece starts here too: user pieces then score about -0.1 */
    sp->n_user = 0;
    int32_t unk = -1;
    double min_all = 1e300; /* HF's Unigram takes the minimum over the whole vocabulary */
    for (int id = 0; id < tk->n_vocab; id++) {
        const char *s = tk->str[id];
        int t = sp->type[id];
        if (!s) continue;
        if (t == SPM_NORMAL) {
            if (sp->score[id] < sp->min_score) sp->min_score = sp->score[id];
            if (sp->score[id] > sp->max_score) sp->max_score = sp->score[id];
        }
        if (sp->hf && sp->dscore[id] < min_all) min_all = sp->dscore[id];
        if (t == SPM_NORMAL || t == SPM_USER || t == SPM_UNUSED || sp->hf) {
            if (tok_trie_add(&sp->pieces, s, tk->len[id], id) != BB_OK)
                return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", name);
        }
        if (t == SPM_USER) {
            if (tok_trie_add(&sp->user, s, tk->len[id], id) != BB_OK)
                return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", name);
            sp->n_user++;
        }
        if (t == SPM_UNKNOWN) {
            if (unk >= 0)
                return bb_err(err, errlen, BB_EFORMAT, "%s: two unknown pieces ('%.40s' and '%.40s')", name, tk->str[unk], s);
            unk = id;
        }
        if (t == SPM_BYTE) {
            int b = byte_of_piece(s, tk->len[id]);
            if (b < 0) return bb_err(err, errlen, BB_EFORMAT, "%s: byte piece '%.40s' (id %d) is not <0xXX>", name, s, id);
            if (!sp->byte_fallback)
                return bb_err(err, errlen, BB_EFORMAT, "%s: byte piece %s is present although byte_fallback is off", name, s);
            sp->byte_piece[b] = id;
        }
        if (t == SPM_CONTROL || t == SPM_UNKNOWN) tk->is_special[id] = 1;
    }
    if (unk < 0) return bb_err(err, errlen, BB_EFORMAT, "%s: no unknown piece (<unk>) is defined", name);
    tk->unk = unk;
    tk->sp.unk = unk;
    if (sp->hf) sp->dmin = tk->n_vocab ? min_all : 0;
    if (sp->hf) return BB_OK; /* HF falls back to <unk> for a byte without its piece */
    if (sp->byte_fallback)
        for (int b = 0; b < 256; b++)
            if (sp->byte_piece[b] < 0)
                return bb_err(err, errlen, BB_EFORMAT, "%s: byte_fallback is on but piece <0x%02X> is missing", name, b);
    if (sp->min_score == FLT_MAX) sp->min_score = 0;
    return BB_OK;
}

void tok_spm_free(struct tok_spm *sp) {
    if (!sp) return;
    free(sp->score), free(sp->type), free(sp->unk_surface), free(sp->dscore);
    for (int i = 0; i < sp->n_norms; i++) tok_hf_norm_free(&sp->norms[i]);
    free(sp->norms);
    for (int i = 0; i < sp->n_decs; i++) free(sp->decs[i].pattern), free(sp->decs[i].content);
    free(sp->decs);
    tok_trie_free(&sp->pieces), tok_trie_free(&sp->user);
    tok_charsmap_free(&sp->cm);
    free(sp);
}

/* ---- ModelProto --------------------------------------------------------------------------------------- */

typedef struct {
    const char *name;
    char *err;
    size_t errlen;
} spm_ctx;

static int malformed(const spm_ctx *c, const char *where) {
    return bb_err(c->err, c->errlen, BB_EFORMAT, "%s: not a SentencePiece model: %s is truncated or malformed", c->name,
                  where);
}

static int read_trainer(pb_reader r, struct tok_spm *sp, const spm_ctx *c) {
    uint32_t f;
    int w, k;
    while ((k = pb_key(&r, &f, &w)) == 1) {
        uint64_t v;
        uint32_t bits;
        pb_reader s;
        if (w == PB_VARINT && (f == 3 || f == 4 || f == 24 || f == 25 || f == 35)) {
            if (pb_varint(&r, &v) != 0) return malformed(c, "trainer_spec");
            if (f == 3) sp->model_type = (int)(v & 0xFF);
            else if (f == 4) sp->vocab_size_spec = (int)(v & 0x7FFFFFFF);
            else if (f == 24) sp->treat_ws_as_suffix = v != 0;
            else if (f == 25) sp->split_digits = v != 0;
            else sp->byte_fallback = v != 0;
        } else if (w == PB_I32 && f == 10) {
            if (pb_fixed32(&r, &bits) != 0) return malformed(c, "trainer_spec.character_coverage");
            sp->char_coverage = pb_float(bits);
        } else if (w == PB_LEN && f == 44) {
            if (pb_bytes(&r, &s) != 0) return malformed(c, "trainer_spec.unk_surface");
            char *u = malloc((size_t)(s.end - s.p) + 1);
            if (!u) return bb_err(c->err, c->errlen, BB_ENOMEM, "%s: out of memory", c->name);
            memcpy(u, s.p, (size_t)(s.end - s.p));
            u[s.end - s.p] = 0;
            free(sp->unk_surface);
            sp->unk_surface = u;
        } else if (pb_skip(&r, w) != 0) {
            return malformed(c, "trainer_spec");
        }
    }
    return k < 0 ? malformed(c, "trainer_spec") : BB_OK;
}

static int read_normalizer(pb_reader r, struct tok_spm *sp, const spm_ctx *c) {
    uint32_t f;
    int w, k;
    pb_reader blob = {0};
    while ((k = pb_key(&r, &f, &w)) == 1) {
        uint64_t v;
        pb_reader s;
        if (w == PB_LEN && (f == 1 || f == 2)) {
            if (pb_bytes(&r, &s) != 0) return malformed(c, "normalizer_spec");
            if (f == 2) blob = s;
            else snprintf(sp->norm_name, sizeof sp->norm_name, "%.*s", (int)(s.end - s.p), (const char *)s.p);
        } else if (w == PB_VARINT && f >= 3 && f <= 5) {
            if (pb_varint(&r, &v) != 0) return malformed(c, "normalizer_spec");
            if (f == 3) sp->add_dummy_prefix = v != 0;
            else if (f == 4) sp->remove_extra_ws = v != 0;
            else sp->escape_ws = v != 0;
        } else if (pb_skip(&r, w) != 0) {
            return malformed(c, "normalizer_spec");
        }
    }
    if (k < 0) return malformed(c, "normalizer_spec");
    return tok_charsmap_load(&sp->cm, blob.p, (size_t)(blob.end - blob.p), c->name, c->err, c->errlen);
}

static int read_piece(pb_reader r, tok_tokenizer *tk, int id, const spm_ctx *c) {
    uint32_t f;
    int w, k;
    struct tok_spm *sp = tk->spm;
    sp->type[id] = SPM_NORMAL;
    while ((k = pb_key(&r, &f, &w)) == 1) {
        uint64_t v;
        uint32_t bits;
        pb_reader s;
        if (w == PB_LEN && f == 1) {
            if (pb_bytes(&r, &s) != 0) return malformed(c, "a piece");
            size_t n = (size_t)(s.end - s.p);
            if (n == 0) return bb_err(c->err, c->errlen, BB_EFORMAT, "%s: piece %d is empty", c->name, id);
            if (memchr(s.p, 0, n))
                return bb_err(c->err, c->errlen, BB_EFORMAT, "%s: piece %d holds a NUL byte", c->name, id);
            free(tk->str[id]);
            tk->str[id] = malloc(n + 1);
            if (!tk->str[id]) return bb_err(c->err, c->errlen, BB_ENOMEM, "%s: out of memory", c->name);
            memcpy(tk->str[id], s.p, n);
            tk->str[id][n] = 0;
            tk->len[id] = (uint32_t)n;
        } else if (w == PB_I32 && f == 2) {
            if (pb_fixed32(&r, &bits) != 0) return malformed(c, "a piece score");
            float sc = pb_float(bits);
            if (sc != sc || sc > FLT_MAX || sc < -FLT_MAX)
                return bb_err(c->err, c->errlen, BB_EFORMAT, "%s: piece %d has a score that is not a finite number",
                              c->name, id);
            sp->score[id] = sc;
        } else if (w == PB_VARINT && f == 3) {
            if (pb_varint(&r, &v) != 0) return malformed(c, "a piece type");
            if (v < SPM_NORMAL || v > SPM_BYTE)
                return bb_err(c->err, c->errlen, BB_EFORMAT, "%s: piece %d has unknown type %llu", c->name, id,
                              (unsigned long long)v);
            sp->type[id] = (uint8_t)v;
        } else if (pb_skip(&r, w) != 0) {
            return malformed(c, "a piece");
        }
    }
    if (k < 0) return malformed(c, "a piece");
    if (!tk->str[id]) return bb_err(c->err, c->errlen, BB_EFORMAT, "%s: piece %d has no text", c->name, id);
    return BB_OK;
}

int tok_is_spm(const uint8_t *data, size_t len) {
    /* A ModelProto starts with its pieces: field 1, length-delimited, whose own first field is the piece
     * string (field 1, length-delimited). JSON and vocab.txt never start with byte 0x0A then a length. */
    pb_reader r = {data, data + len}, s;
    uint32_t f;
    int w;
    if (pb_key(&r, &f, &w) != 1 || f != 1 || w != PB_LEN || pb_bytes(&r, &s) != 0) return 0;
    return pb_key(&s, &f, &w) == 1 && f == 1 && w == PB_LEN;
}

int tok_load_spm_mem(tok_tokenizer **out, const uint8_t *data, size_t len, const char *name, char *err, size_t errlen) {
    *out = NULL;
    spm_ctx c = {name, err, errlen};
    pb_reader r = {data, data + len};
    uint32_t f;
    int w, k;
    long n = 0;
    /* First pass: count the pieces and check the top-level framing. */
    while ((k = pb_key(&r, &f, &w)) == 1) {
        if (f == 1 && w == PB_LEN) n++;
        if (pb_skip(&r, w) != 0) return malformed(&c, f == 1 ? "a piece" : "the model");
    }
    if (k < 0) return malformed(&c, "the model");
    if (n == 0) return bb_err(err, errlen, BB_EFORMAT, "%s: not a SentencePiece model: it holds no pieces", name);
    if (n > (1L << 24)) return bb_err(err, errlen, BB_EFORMAT, "%s: %ld pieces is more than a vocabulary can hold", name, n);
    tok_tokenizer *tk = calloc(1, sizeof *tk);
    struct tok_spm *sp = tk ? calloc(1, sizeof *sp) : NULL;
    int rc = BB_ENOMEM;
    if (!sp) {
        free(tk);
        return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", name);
    }
    tk->spm = sp;
    tk->unk = -1;
    tk->str = calloc((size_t)n, sizeof *tk->str);
    tk->len = calloc((size_t)n, sizeof *tk->len);
    sp->score = calloc((size_t)n, sizeof *sp->score);
    sp->type = calloc((size_t)n, 1);
    if (!tk->str || !tk->len || !sp->score || !sp->type) goto nomem;
    tk->n_vocab = (int)n;
    sp->model_type = 1;
    sp->add_dummy_prefix = sp->remove_extra_ws = sp->escape_ws = 1;
    sp->char_coverage = 0.9995f;
    sp->unk_as_text = 1;
    r.p = data;
    int id = 0;
    while ((k = pb_key(&r, &f, &w)) == 1) {
        pb_reader s;
        if (w != PB_LEN || (f != 1 && f != 2 && f != 3)) {
            if (pb_skip(&r, w) != 0) goto bad;
            continue;
        }
        if (pb_bytes(&r, &s) != 0) goto bad;
        if (f == 1) rc = read_piece(s, tk, id++, &c);
        else if (f == 2) rc = read_trainer(s, sp, &c);
        else rc = read_normalizer(s, sp, &c);
        if (rc != BB_OK) goto fail;
    }
    if (sp->model_type == 1) tk->kind = TOK_MODEL_UNIGRAM, sp->algo = TOK_SPM_UNIGRAM;
    else if (sp->model_type == 2) tk->kind = TOK_MODEL_SPM_BPE, sp->algo = TOK_SPM_BPE;
    else {
        rc = bb_err(err, errlen, BB_EFORMAT, "%s: model_type %d (%s) is not supported (unigram, bpe)", name,
                    sp->model_type, sp->model_type == 3 ? "word" : sp->model_type == 4 ? "char" : "unknown");
        goto fail;
    }
    if (!sp->unk_surface && !(sp->unk_surface = strdup(" \xE2\x81\x87 "))) goto nomem;
    if ((rc = tok_finish(tk, err, errlen)) != BB_OK) goto fail;
    /* SentencePiece refuses a piece defined twice; so do we (the id map could not hold both). */
    for (int i = 0; i < tk->n_vocab; i++)
        if (tok_token_to_id(tk, tk->str[i]) != i) {
            rc = bb_err(err, errlen, BB_EFORMAT, "%s: piece '%.40s' is defined twice", name, tk->str[i]);
            goto fail;
        }
    if ((rc = tok_spm_finish(tk, name, err, errlen)) != BB_OK) goto fail;
    tk->n_single = 1, tk->single[0] = (tok_tmpl_item){0, -1, 0, 0};
    tk->n_pair = 2, tk->pair[0] = tk->single[0], tk->pair[1] = (tok_tmpl_item){0, -1, 1, 0};
    tk->type_ids_zero = 1;
    *out = tk;
    return BB_OK;
bad:
    rc = malformed(&c, "the model");
    goto fail;
nomem:
    rc = bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", name);
fail:
    tok_free(tk);
    return rc;
}

int tok_load_spm(tok_tokenizer **out, const char *path, char *err, size_t errlen) {
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return bb_err(err, errlen, BB_EIO, "%s: %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    uint8_t *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap) break;
        if (cap >= (1u << 30)) {
            free(buf), fclose(f);
            return bb_err(err, errlen, BB_EFORMAT, "%s: larger than 1 GiB, not a SentencePiece model", path);
        }
        uint8_t *nb = realloc(buf, cap * 2);
        if (!nb) free(buf);
        buf = nb, cap *= 2;
    }
    int bad = ferror(f);
    fclose(f);
    if (!buf) return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", path);
    int rc = bad ? bb_err(err, errlen, BB_EIO, "%s: read error", path) : tok_load_spm_mem(out, buf, n, path, err, errlen);
    free(buf);
    return rc;
}

/* ---- XLM-RoBERTa's fairseq ids ---------------------------------------------------------------------- */

int tok_spm_xlmr(tok_tokenizer *tk, const char *name, char *err, size_t errlen) {
    /* XLMRobertaTokenizer: <s> <pad> </s> <unk> take ids 0-3, the model's pieces from its fourth on
     * follow at their index + 1, and <mask> comes last; <s> A </s></s> B </s>. */
    struct tok_spm *sp = tk->spm;
    int n = tk->n_vocab, m = n + 2;
    if (n < 4) return bb_err(err, errlen, BB_EFORMAT, "%s: too few pieces for XLM-RoBERTa's ids", name);
    char **str = calloc((size_t)m, sizeof *str);
    uint32_t *len = calloc((size_t)m, sizeof *len);
    float *score = calloc((size_t)m, sizeof *score);
    uint8_t *type = calloc((size_t)m, 1);
    if (!str || !len || !score || !type) {
        free(str), free(len), free(score), free(type);
        return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", name);
    }
    static const char *fixed[4] = {"<s>", "<pad>", "</s>", "<unk>"};
    for (int i = 0; i < 4; i++) str[i] = strdup(fixed[i]), type[i] = i == 3 ? SPM_UNKNOWN : SPM_CONTROL;
    str[m - 1] = strdup("<mask>"), type[m - 1] = SPM_CONTROL;
    for (int i = 3; i < n; i++) {
        str[i + 1] = tk->str[i], tk->str[i] = NULL;
        score[i + 1] = sp->score[i], type[i + 1] = sp->type[i] == SPM_UNKNOWN ? SPM_NORMAL : sp->type[i];
    }
    for (int i = 0; i < n; i++) free(tk->str[i]);
    free(tk->str), free(tk->len), free(sp->score), free(sp->type), free(tk->is_special);
    tk->str = str, tk->len = len, sp->score = score, sp->type = type, tk->is_special = NULL;
    tk->n_vocab = m;
    for (int i = 0; i < m; i++) {
        if (!str[i]) return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", name);
        len[i] = (uint32_t)strlen(str[i]);
    }
    tok_trie_free(&sp->pieces), tok_trie_free(&sp->user);
    for (int i = 0; i < 5; i++)
        if (tok_add_added(tk, i < 4 ? i : m - 1, i < 4 ? fixed[i] : "<mask>", i == 4, 0, 1) != BB_OK)
            return bb_err(err, errlen, BB_ENOMEM, "%s: out of memory", name);
    int rc = tok_finish(tk, err, errlen);
    if (rc == BB_OK) rc = tok_spm_finish(tk, name, err, errlen);
    if (rc != BB_OK) return rc;
    tok_set_bert_template(tk, 0, 2);
    tok_tmpl_item *p = tk->pair;
    p[0] = (tok_tmpl_item){1, 0, 0, 0}, p[1] = (tok_tmpl_item){0, -1, 0, 0}, p[2] = (tok_tmpl_item){1, 2, 0, 0};
    p[3] = p[2], p[4] = (tok_tmpl_item){0, -1, 1, 0}, p[5] = p[2];
    tk->n_pair = 6;
    tk->post_kind = TOK_POST_TEMPLATE;
    tk->type_ids_zero = 1;
    return BB_OK;
}
