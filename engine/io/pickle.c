#include "pickle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bb_err.h"

struct pk_ctx {
    pk_value **all; /* every value made, freed by pk_free */
    size_t nall, capall;
    pk_value **stack;
    size_t sp, scap;
    size_t marks[PK_MAX_DEPTH];
    int nmarks;
    pk_value **memo;
    size_t memocap, nmemo; /* nmemo: entries set (MEMOIZE's next index) */
};

/* One pickle being read; failures format into err and return the code. */
typedef struct {
    pk_ctx *cx;
    const unsigned char *start, *p, *end;
    const char *name;
    char *err;
    size_t errlen;
    size_t op_at; /* offset of the current opcode, for messages */
} rd;

static const struct {
    const char *module, *name;
    pk_global g;
    st_dtype dtype;
} allowed[] = {
    {"collections", "OrderedDict", PKG_ORDERED_DICT, ST_F32},
    {"torch._utils", "_rebuild_tensor_v2", PKG_REBUILD_TENSOR_V2, ST_F32},
    {"torch._utils", "_rebuild_tensor", PKG_REBUILD_TENSOR, ST_F32},
    {"torch._utils", "_rebuild_parameter", PKG_REBUILD_PARAMETER, ST_F32},
    {"torch._utils", "_rebuild_parameter_with_state", PKG_REBUILD_PARAMETER_STATE, ST_F32},
    {"torch", "Size", PKG_SIZE, ST_F32},
    {"torch", "FloatStorage", PKG_STORAGE_TYPE, ST_F32},
    {"torch", "HalfStorage", PKG_STORAGE_TYPE, ST_F16},
    {"torch", "BFloat16Storage", PKG_STORAGE_TYPE, ST_BF16},
    {"torch", "DoubleStorage", PKG_STORAGE_TYPE, ST_F64},
    {"torch", "LongStorage", PKG_STORAGE_TYPE, ST_I64},
    {"torch", "IntStorage", PKG_STORAGE_TYPE, ST_I32},
    {"torch", "ShortStorage", PKG_STORAGE_TYPE, ST_I16},
    {"torch", "CharStorage", PKG_STORAGE_TYPE, ST_I8},
    {"torch", "ByteStorage", PKG_STORAGE_TYPE, ST_U8},
    {"torch", "BoolStorage", PKG_STORAGE_TYPE, ST_BOOL},
};

const char *pk_kind_name(pk_kind k) {
    static const char *const names[] = {"None", "bool", "int", "float", "str", "bytes", "tuple", "list",
                                        "dict", "global", "storage", "tensor"};
    return k <= PK_TENSOR ? names[k] : "?";
}

pk_ctx *pk_new(void) { return calloc(1, sizeof(pk_ctx)); }

void pk_free(pk_ctx *cx) {
    if (!cx) return;
    for (size_t i = 0; i < cx->nall; i++) {
        free(cx->all[i]->s);
        free(cx->all[i]->items);
        free(cx->all[i]);
    }
    free(cx->all);
    free(cx->stack);
    free(cx->memo);
    free(cx);
}

static int fail(rd *r, int code, const char *fmt, const char *a, const char *b) {
    char msg[1024];
    snprintf(msg, sizeof msg, fmt, a ? a : "", b ? b : "");
    return bb_err(r->err, r->errlen, code, "%s: pickle byte %zu: %s", r->name, r->op_at, msg);
}

static int fail_n(rd *r, const char *what, unsigned long long n, unsigned long long limit) {
    return bb_err(r->err, r->errlen, BB_EFORMAT, "%s: pickle byte %zu: %s %llu exceeds the limit of %llu", r->name,
                  r->op_at, what, n, limit);
}

static pk_value *mk(rd *r, pk_kind kind) {
    pk_ctx *cx = r->cx;
    if (cx->nall >= PK_MAX_VALUES) {
        fail_n(r, "value count", cx->nall + 1, PK_MAX_VALUES);
        return NULL;
    }
    if (cx->nall == cx->capall) {
        size_t cap = cx->capall ? cx->capall * 2 : 256;
        pk_value **g = realloc(cx->all, cap * sizeof *g);
        if (!g) goto oom;
        cx->all = g;
        cx->capall = cap;
    }
    pk_value *v = calloc(1, sizeof *v);
    if (!v) goto oom;
    v->kind = kind;
    cx->all[cx->nall++] = v;
    return v;
oom:
    fail(r, BB_ENOMEM, "out of memory", NULL, NULL);
    return NULL;
}

static int push(rd *r, pk_value *v) {
    pk_ctx *cx = r->cx;
    if (!v) return BB_EFORMAT; /* mk already reported */
    if (cx->sp >= PK_MAX_STACK) return fail_n(r, "stack depth", cx->sp + 1, PK_MAX_STACK);
    if (cx->sp == cx->scap) {
        size_t cap = cx->scap ? cx->scap * 2 : 64;
        pk_value **g = realloc(cx->stack, cap * sizeof *g);
        if (!g) return fail(r, BB_ENOMEM, "out of memory", NULL, NULL);
        cx->stack = g;
        cx->scap = cap;
    }
    cx->stack[cx->sp++] = v;
    return BB_OK;
}

static size_t floor_sp(const pk_ctx *cx) { return cx->nmarks ? cx->marks[cx->nmarks - 1] : 0; }

static int pop(rd *r, pk_value **v) {
    if (r->cx->sp <= floor_sp(r->cx)) return fail(r, BB_EFORMAT, "stack underflow", NULL, NULL);
    *v = r->cx->stack[--r->cx->sp];
    return BB_OK;
}

static int top(rd *r, pk_value **v) {
    if (r->cx->sp <= floor_sp(r->cx)) return fail(r, BB_EFORMAT, "stack underflow", NULL, NULL);
    *v = r->cx->stack[r->cx->sp - 1];
    return BB_OK;
}

/* Values above the innermost mark: *base points at them, *n counts them; the mark is dropped. */
static int pop_mark(rd *r, pk_value ***base, size_t *n) {
    pk_ctx *cx = r->cx;
    if (!cx->nmarks) return fail(r, BB_EFORMAT, "no MARK to pop to", NULL, NULL);
    size_t at = cx->marks[--cx->nmarks];
    *base = cx->stack ? cx->stack + at : NULL; /* a MARK before anything was pushed: no stack yet */
    *n = cx->sp - at;
    cx->sp = at;
    return BB_OK;
}

static int add_items(rd *r, pk_value *c, pk_value *const *items, size_t n) {
    if (n == 0) return BB_OK;
    if (n > SIZE_MAX / 2 - c->len * 2) return fail(r, BB_ENOMEM, "out of memory", NULL, NULL);
    size_t need = c->kind == PK_DICT ? (c->len + n / 2) * 2 : c->len + n;
    if (need > c->cap) {
        size_t cap = need < 8 ? 8 : need * 2;
        pk_value **g = realloc(c->items, cap * sizeof *g);
        if (!g) return fail(r, BB_ENOMEM, "out of memory", NULL, NULL);
        c->items = g;
        c->cap = cap;
    }
    size_t used = c->kind == PK_DICT ? c->len * 2 : c->len;
    memcpy(c->items + used, items, n * sizeof *items);
    c->len += c->kind == PK_DICT ? n / 2 : n;
    return BB_OK;
}

static pk_value *mk_seq(rd *r, pk_kind kind, pk_value *const *items, size_t n) {
    pk_value *v = mk(r, kind);
    if (v && n && add_items(r, v, items, n) != BB_OK) return NULL;
    return v;
}

static int need(rd *r, size_t n, const char *op) {
    if ((size_t)(r->end - r->p) < n) return fail(r, BB_EFORMAT, "the data ends inside %s (truncated?)", op, NULL);
    return BB_OK;
}

static uint64_t le(const unsigned char *p, int n) {
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

static int push_int(rd *r, int64_t i) {
    pk_value *v = mk(r, PK_INT);
    if (v) v->i = i;
    return push(r, v);
}

static int push_str(rd *r, pk_kind kind, uint64_t n, const char *op) {
    if (n > PK_MAX_STRING) return fail_n(r, "string length", n, PK_MAX_STRING);
    int rc = need(r, (size_t)n, op);
    if (rc != BB_OK) return rc;
    pk_value *v = mk(r, kind);
    if (!v) return BB_EFORMAT;
    if (!(v->s = malloc((size_t)n + 1))) return fail(r, BB_ENOMEM, "out of memory", NULL, NULL);
    memcpy(v->s, r->p, (size_t)n);
    v->s[n] = 0;
    v->len = (size_t)n;
    r->p += n;
    return push(r, v);
}

/* A little-endian two's complement integer of n bytes (LONG1/LONG4); more than 8 bytes is refused. */
static int push_long(rd *r, uint64_t n) {
    if (n > 8) return fail(r, BB_EFORMAT, "an integer wider than 64 bits", NULL, NULL);
    int rc = need(r, (size_t)n, "LONG");
    if (rc != BB_OK) return rc;
    uint64_t u = le(r->p, (int)n);
    if (n && n < 8 && (r->p[n - 1] & 0x80)) u |= ~(uint64_t)0 << (8 * n);
    r->p += n;
    return push_int(r, (int64_t)u);
}

/* A text line ending in '\n' (protocol 0 arguments); *line is NUL-terminated in buf. */
static int text_line(rd *r, char *buf, size_t cap, const char *op) {
    const unsigned char *nl = memchr(r->p, '\n', (size_t)(r->end - r->p));
    if (!nl) return fail(r, BB_EFORMAT, "the data ends inside %s (truncated?)", op, NULL);
    size_t n = (size_t)(nl - r->p);
    if (n >= cap || memchr(r->p, 0, n)) return fail(r, BB_EFORMAT, "%s argument is too long or not text", op, NULL);
    memcpy(buf, r->p, n);
    buf[n] = 0;
    r->p = nl + 1;
    return BB_OK;
}

static int text_uint(rd *r, const char *op, uint64_t *out) {
    char buf[32], *e;
    int rc = text_line(r, buf, sizeof buf, op);
    if (rc != BB_OK) return rc;
    unsigned long long v = strtoull(buf, &e, 10);
    if (!buf[0] || *e || buf[0] == '-') return fail(r, BB_EFORMAT, "%s argument '%s' is not a number", op, buf);
    *out = v;
    return BB_OK;
}

static int push_global(rd *r, const char *module, const char *name) {
    for (size_t i = 0; i < sizeof allowed / sizeof *allowed; i++)
        if (strcmp(allowed[i].module, module) == 0 && strcmp(allowed[i].name, name) == 0) {
            pk_value *v = mk(r, PK_GLOBAL);
            if (v) {
                v->global = allowed[i].g;
                v->dtype = allowed[i].dtype;
            }
            return push(r, v);
        }
    char full[400];
    snprintf(full, sizeof full, "%.190s.%.190s", module, name);
    return fail(r, BB_EFORMAT,
                "global %s is not allowed: a state dict needs only tensors, storages and OrderedDict, so this "
                "pickle is refused (nothing in it was run)",
                full, NULL);
}

static int memo_put(rd *r, uint64_t idx, pk_value *v) {
    pk_ctx *cx = r->cx;
    if (idx >= PK_MAX_MEMO) return fail_n(r, "memo index", idx, PK_MAX_MEMO - 1);
    if (idx >= cx->memocap) {
        size_t cap = cx->memocap ? cx->memocap : 64;
        while (cap <= idx) cap *= 2;
        pk_value **g = realloc(cx->memo, cap * sizeof *g);
        if (!g) return fail(r, BB_ENOMEM, "out of memory", NULL, NULL);
        memset(g + cx->memocap, 0, (cap - cx->memocap) * sizeof *g);
        cx->memo = g;
        cx->memocap = cap;
    }
    if (!cx->memo[idx]) cx->nmemo++;
    cx->memo[idx] = v;
    return BB_OK;
}

static int memo_get(rd *r, uint64_t idx) {
    pk_ctx *cx = r->cx;
    if (idx >= cx->memocap || !cx->memo[idx]) {
        char s[32];
        snprintf(s, sizeof s, "%llu", (unsigned long long)idx);
        return fail(r, BB_EFORMAT, "memo index %s was never set", s, NULL);
    }
    return push(r, cx->memo[idx]);
}

static int get_int(rd *r, const pk_value *v, const char *what, int64_t lo, int64_t *out) {
    if (v->kind != PK_INT || v->i < lo || v->i > ((int64_t)1 << 48))
        return fail(r, BB_EFORMAT, "%s is not an integer in range", what, NULL);
    *out = v->i;
    return BB_OK;
}

/* ('storage', torch.XStorage, key, location, numel[, None]) -> PK_STORAGE */
static int persistent(rd *r, const pk_value *pid) {
    if (pid->kind != PK_TUPLE || (pid->len != 5 && pid->len != 6) || pid->items[0]->kind != PK_STR ||
        strcmp(pid->items[0]->s, "storage") != 0)
        return fail(r, BB_EFORMAT, "persistent id is not ('storage', type, key, location, size)", NULL, NULL);
    const pk_value *type = pid->items[1], *key = pid->items[2];
    if (type->kind != PK_GLOBAL || type->global != PKG_STORAGE_TYPE)
        return fail(r, BB_EFORMAT, "persistent id's storage type is a %s, not a torch storage class",
                    pk_kind_name(type->kind), NULL);
    if (key->kind != PK_STR) return fail(r, BB_EFORMAT, "persistent id's storage key is not a string", NULL, NULL);
    if (pid->items[3]->kind != PK_STR)
        return fail(r, BB_EFORMAT, "storage '%s': location is not a string", key->s, NULL);
    if (pid->len == 6 && pid->items[5]->kind != PK_NONE)
        return fail(r, BB_EFORMAT, "storage '%s' is a view of another storage (torch < 0.4 format), not supported",
                    key->s, NULL);
    pk_value *v = mk(r, PK_STORAGE);
    if (!v) return BB_EFORMAT;
    int rc = get_int(r, pid->items[4], "storage size", 0, &v->numel);
    if (rc != BB_OK) return rc;
    v->dtype = type->dtype;
    v->key = key->s;
    return push(r, v);
}

static int int_tuple(rd *r, const pk_value *t, const char *what, int64_t *out, int *n) {
    if (t->kind != PK_TUPLE) return fail(r, BB_EFORMAT, "tensor %s is not a tuple", what, NULL);
    if (t->len > ST_MAX_DIMS) return fail_n(r, "tensor dimension count", t->len, ST_MAX_DIMS);
    for (size_t i = 0; i < t->len; i++) {
        int rc = get_int(r, t->items[i], what, 0, &out[i]);
        if (rc != BB_OK) return rc;
    }
    *n = (int)t->len;
    return BB_OK;
}

static int reduce(rd *r) {
    pk_value *args = NULL, *fn = NULL;
    int rc;
    if ((rc = pop(r, &args)) != BB_OK || (rc = pop(r, &fn)) != BB_OK) return rc;
    if (fn->kind != PK_GLOBAL) return fail(r, BB_EFORMAT, "REDUCE calls a %s", pk_kind_name(fn->kind), NULL);
    if (args->kind != PK_TUPLE) return fail(r, BB_EFORMAT, "REDUCE arguments are a %s", pk_kind_name(args->kind), NULL);
    switch (fn->global) {
    case PKG_ORDERED_DICT:
        if (args->len != 0) return fail(r, BB_EFORMAT, "OrderedDict called with arguments", NULL, NULL);
        return push(r, mk(r, PK_DICT));
    case PKG_SIZE:
        if (args->len != 1 || args->items[0]->kind != PK_TUPLE)
            return fail(r, BB_EFORMAT, "torch.Size called without one tuple", NULL, NULL);
        return push(r, args->items[0]);
    case PKG_REBUILD_PARAMETER:
    case PKG_REBUILD_PARAMETER_STATE:
        if (args->len < 1 || args->items[0]->kind != PK_TENSOR)
            return fail(r, BB_EFORMAT, "_rebuild_parameter called without a tensor", NULL, NULL);
        return push(r, args->items[0]);
    case PKG_REBUILD_TENSOR_V2:
    case PKG_REBUILD_TENSOR: {
        if (args->len < 4 || args->items[0]->kind != PK_STORAGE)
            return fail(r, BB_EFORMAT, "_rebuild_tensor called without (storage, offset, size, stride)", NULL, NULL);
        pk_value *t = mk(r, PK_TENSOR);
        if (!t) return BB_EFORMAT;
        int nstride = 0;
        t->storage = args->items[0];
        t->dtype = t->storage->dtype;
        if ((rc = get_int(r, args->items[1], "storage offset", 0, &t->offset)) != BB_OK ||
            (rc = int_tuple(r, args->items[2], "size", t->shape, &t->ndim)) != BB_OK ||
            (rc = int_tuple(r, args->items[3], "stride", t->stride, &nstride)) != BB_OK)
            return rc;
        if (nstride != t->ndim) return fail(r, BB_EFORMAT, "tensor size and stride differ in length", NULL, NULL);
        return push(r, t);
    }
    case PKG_STORAGE_TYPE: break;
    }
    return fail(r, BB_EFORMAT, "a storage class is called", NULL, NULL);
}

static int op_build(rd *r) {
    pk_value *state = NULL, *obj = NULL;
    int rc;
    if ((rc = pop(r, &state)) != BB_OK || (rc = top(r, &obj)) != BB_OK) return rc;
    /* An OrderedDict's __dict__ (state_dict's _metadata) or a tensor's extra state: not needed. */
    if (obj->kind == PK_DICT || obj->kind == PK_TENSOR) return BB_OK;
    return fail(r, BB_EFORMAT, "BUILD on a %s", pk_kind_name(obj->kind), NULL);
}

static int op_setitems(rd *r, pk_value **base, size_t n) {
    pk_value *d = NULL;
    int rc = top(r, &d);
    if (rc != BB_OK) return rc;
    if (d->kind != PK_DICT) return fail(r, BB_EFORMAT, "SETITEM on a %s", pk_kind_name(d->kind), NULL);
    if (n % 2) return fail(r, BB_EFORMAT, "SETITEMS with an odd number of values", NULL, NULL);
    return add_items(r, d, base, n);
}

static int op_appends(rd *r, pk_value **base, size_t n) {
    pk_value *l = NULL;
    int rc = top(r, &l);
    if (rc != BB_OK) return rc;
    if (l->kind != PK_LIST) return fail(r, BB_EFORMAT, "APPEND on a %s", pk_kind_name(l->kind), NULL);
    return add_items(r, l, base, n);
}

/* One function per opcode family; each is called only with the opcodes the table below gives it. */
typedef int (*op_fn)(rd *r, unsigned char op, int *stop);

/* PROTO, FRAME, STOP, MARK, POP, POP_MARK, DUP */
static int op_control(rd *r, unsigned char op, int *stop) {
    pk_ctx *cx = r->cx;
    pk_value *v = NULL, **base = NULL;
    size_t n;
    int rc;
    switch (op) {
    case 0x80: /* PROTO */
        if ((rc = need(r, 1, "PROTO")) != BB_OK) return rc;
        if (*r->p++ > 5) return fail(r, BB_EFORMAT, "pickle protocol newer than 5", NULL, NULL);
        return BB_OK;
    case 0x95: /* FRAME: a length hint only */
        if ((rc = need(r, 8, "FRAME")) != BB_OK) return rc;
        r->p += 8;
        return BB_OK;
    case '.': *stop = 1; return BB_OK;
    case '(':
        if (cx->nmarks >= PK_MAX_DEPTH) return fail_n(r, "nesting (open MARKs)", PK_MAX_DEPTH + 1, PK_MAX_DEPTH);
        cx->marks[cx->nmarks++] = cx->sp;
        return BB_OK;
    case '0': return pop(r, &v);
    case '1': return pop_mark(r, &base, &n);
    default: return top(r, &v) != BB_OK ? BB_EFORMAT : push(r, v); /* '2' DUP */
    }
}

/* NONE, NEWTRUE/NEWFALSE, BININT*, LONG1/LONG4, INT (protocol 0), BINFLOAT */
static int op_number(rd *r, unsigned char op, int *stop) {
    pk_value *v = NULL;
    int rc;
    char line[256];
    switch (op) {
    case 'N': return push(r, mk(r, PK_NONE));
    case 0x88:
    case 0x89:
        if ((v = mk(r, PK_BOOL))) v->i = op == 0x88;
        return push(r, v);
    case 'J':
        if ((rc = need(r, 4, "BININT")) != BB_OK) return rc;
        rc = push_int(r, (int32_t)(uint32_t)le(r->p, 4));
        r->p += 4;
        return rc;
    case 'K':
        if ((rc = need(r, 1, "BININT1")) != BB_OK) return rc;
        return push_int(r, *r->p++);
    case 'M':
        if ((rc = need(r, 2, "BININT2")) != BB_OK) return rc;
        rc = push_int(r, (int64_t)le(r->p, 2));
        r->p += 2;
        return rc;
    case 0x8a:
        if ((rc = need(r, 1, "LONG1")) != BB_OK) return rc;
        return push_long(r, *r->p++);
    case 0x8b: {
        if ((rc = need(r, 4, "LONG4")) != BB_OK) return rc;
        size_t n = (size_t)le(r->p, 4);
        r->p += 4;
        return push_long(r, n);
    }
    case 'I': { /* protocol 0 int; "01"/"00" are True/False */
        if ((rc = text_line(r, line, sizeof line, "INT")) != BB_OK) return rc;
        if (strcmp(line, "01") == 0 || strcmp(line, "00") == 0) {
            if ((v = mk(r, PK_BOOL))) v->i = line[1] == '1';
            return push(r, v);
        }
        char *e;
        long long x = strtoll(line, &e, 10);
        if (!line[0] || *e) return fail(r, BB_EFORMAT, "INT argument '%s' is not a number", line, NULL);
        return push_int(r, x);
    }
    default: { /* 'G' BINFLOAT */
        if ((rc = need(r, 8, "BINFLOAT")) != BB_OK) return rc;
        uint64_t bits = 0;
        for (int i = 0; i < 8; i++) bits = bits << 8 | r->p[i];
        r->p += 8;
        if (!(v = mk(r, PK_FLOAT))) return BB_EFORMAT;
        memcpy(&v->f, &bits, 8);
        return push(r, v);
    }
    }
}

/* BINUNICODE*, BINSTRING, BINBYTES*, SHORT_BINSTRING/SHORT_BINUNICODE/SHORT_BINBYTES */
static int op_string(rd *r, unsigned char op, int *stop) {
    int rc;
    size_t n;
    switch (op) {
    case 'X':
    case 'T':
    case 'B':
        if ((rc = need(r, 4, "a string length")) != BB_OK) return rc;
        n = (size_t)le(r->p, 4);
        r->p += 4;
        if (op == 'T' && n > INT32_MAX) return fail(r, BB_EFORMAT, "negative string length", NULL, NULL);
        return push_str(r, op == 'B' ? PK_BYTES : PK_STR, n, "a string");
    case 0x8c:
    case 'U':
    case 'C':
        if ((rc = need(r, 1, "a string length")) != BB_OK) return rc;
        n = *r->p++;
        return push_str(r, op == 'C' ? PK_BYTES : PK_STR, n, "a string");
    default: { /* 0x8d BINUNICODE8, 0x8e BINBYTES8 */
        if ((rc = need(r, 8, "a string length")) != BB_OK) return rc;
        uint64_t n64 = le(r->p, 8);
        r->p += 8;
        return push_str(r, op == 0x8e ? PK_BYTES : PK_STR, n64, "a string");
    }
    }
}

/* Empty and marked tuples, lists and dicts, TUPLE1-3, APPEND(S), SETITEM(S) */
static int op_container(rd *r, unsigned char op, int *stop) {
    pk_ctx *cx = r->cx;
    pk_value *v = NULL, *k = NULL, **base = NULL;
    size_t n = 0;
    int rc;
    switch (op) {
    case ')': return push(r, mk(r, PK_TUPLE));
    case ']': return push(r, mk(r, PK_LIST));
    case '}': return push(r, mk(r, PK_DICT));
    case 't':
    case 'l':
    case 'd':
        if ((rc = pop_mark(r, &base, &n)) != BB_OK) return rc;
        if (op == 'd' && n % 2) return fail(r, BB_EFORMAT, "DICT with an odd number of values", NULL, NULL);
        return push(r, mk_seq(r, op == 't' ? PK_TUPLE : op == 'l' ? PK_LIST : PK_DICT, base, n));
    case 0x85:
    case 0x86:
    case 0x87:
        n = (size_t)(op - 0x84);
        if (cx->sp - floor_sp(cx) < n) return fail(r, BB_EFORMAT, "stack underflow", NULL, NULL);
        cx->sp -= n;
        return push(r, mk_seq(r, PK_TUPLE, cx->stack + cx->sp, n));
    case 'a':
        if ((rc = pop(r, &v)) != BB_OK) return rc;
        return op_appends(r, &v, 1);
    case 'e':
        if ((rc = pop_mark(r, &base, &n)) != BB_OK) return rc;
        return op_appends(r, base, n);
    case 's': {
        if ((rc = pop(r, &v)) != BB_OK || (rc = pop(r, &k)) != BB_OK) return rc;
        pk_value *kv[2] = {k, v};
        return op_setitems(r, kv, 2);
    }
    default: /* 'u' SETITEMS */
        if ((rc = pop_mark(r, &base, &n)) != BB_OK) return rc;
        return op_setitems(r, base, n);
    }
}

/* GLOBAL, STACK_GLOBAL, REDUCE, BUILD, BINPERSID: the allow-listed torch objects */
static int op_object(rd *r, unsigned char op, int *stop) {
    pk_value *v = NULL, *k = NULL;
    int rc;
    char line[256], line2[256];
    switch (op) {
    case 'c':
        if ((rc = text_line(r, line, sizeof line, "GLOBAL")) != BB_OK ||
            (rc = text_line(r, line2, sizeof line2, "GLOBAL")) != BB_OK)
            return rc;
        return push_global(r, line, line2);
    case 0x93:
        if ((rc = pop(r, &v)) != BB_OK || (rc = pop(r, &k)) != BB_OK) return rc;
        if (k->kind != PK_STR || v->kind != PK_STR)
            return fail(r, BB_EFORMAT, "STACK_GLOBAL without two strings", NULL, NULL);
        return push_global(r, k->s, v->s);
    case 'R': return reduce(r);
    case 'b': return op_build(r);
    default: /* 'Q' BINPERSID */
        if ((rc = pop(r, &v)) != BB_OK) return rc;
        return persistent(r, v);
    }
}

/* The memo index of PUT/GET (text), BINPUT/BINGET (1 byte) and LONG_BINPUT/LONG_BINGET (4 bytes). */
static int memo_index(rd *r, int text, int width, const char *name, uint64_t *idx) {
    if (text) return text_uint(r, name, idx);
    int rc = need(r, (size_t)width, name);
    if (rc != BB_OK) return rc;
    *idx = le(r->p, width);
    r->p += width;
    return BB_OK;
}

/* PUT, BINPUT, LONG_BINPUT, MEMOIZE, GET, BINGET, LONG_BINGET */
static int op_memo(rd *r, unsigned char op, int *stop) {
    pk_value *v = NULL;
    uint64_t idx;
    int rc;
    switch (op) {
    case 'q':
    case 'r':
    case 'p':
        if ((rc = memo_index(r, op == 'p', op == 'q' ? 1 : 4, "PUT", &idx)) != BB_OK) return rc;
        if ((rc = top(r, &v)) != BB_OK) return rc;
        return memo_put(r, idx, v);
    case 0x94:
        if ((rc = top(r, &v)) != BB_OK) return rc;
        return memo_put(r, r->cx->nmemo, v);
    default: /* 'h', 'j', 'g' */
        if ((rc = memo_index(r, op == 'g', op == 'h' ? 1 : 4, "GET", &idx)) != BB_OK) return rc;
        return memo_get(r, idx);
    }
}

/* Every opcode torch.save writes for a state dict; anything else (object construction, extensions) is
 * refused. */
static const op_fn op_table[256] = {
    [0x80] = op_control, [0x95] = op_control, ['.'] = op_control, ['('] = op_control,
    ['0'] = op_control,  ['1'] = op_control,  ['2'] = op_control,
    ['N'] = op_number,   [0x88] = op_number,  [0x89] = op_number, ['J'] = op_number,  ['K'] = op_number,
    ['M'] = op_number,   [0x8a] = op_number,  [0x8b] = op_number, ['I'] = op_number,  ['G'] = op_number,
    ['X'] = op_string,   ['T'] = op_string,   ['B'] = op_string,  [0x8c] = op_string, ['U'] = op_string,
    ['C'] = op_string,   [0x8d] = op_string,  [0x8e] = op_string,
    [')'] = op_container, [']'] = op_container, ['}'] = op_container, ['t'] = op_container,
    ['l'] = op_container, ['d'] = op_container, [0x85] = op_container, [0x86] = op_container,
    [0x87] = op_container, ['a'] = op_container, ['e'] = op_container, ['s'] = op_container,
    ['u'] = op_container,
    ['c'] = op_object,   [0x93] = op_object,  ['R'] = op_object,  ['b'] = op_object,  ['Q'] = op_object,
    ['q'] = op_memo,     ['r'] = op_memo,     ['p'] = op_memo,    [0x94] = op_memo,   ['h'] = op_memo,
    ['j'] = op_memo,     ['g'] = op_memo,
};

static int step(rd *r, int *stop) {
    r->op_at = (size_t)(r->p - r->start);
    unsigned char op = *r->p++;
    if (op_table[op]) return op_table[op](r, op, stop);
    char hex[8];
    snprintf(hex, sizeof hex, "0x%02x", op);
    return fail(r, BB_EFORMAT,
                "opcode %s is not one torch.save writes for a state dict (object construction and "
                "extensions are refused)",
                hex, NULL);
}

int pk_load(pk_ctx *cx, const unsigned char *data, size_t len, size_t *used, const char *name, const pk_value **out,
            char *err, size_t errlen) {
    rd r = {cx, data, data, data + len, name, err, errlen, 0};
    *out = NULL;
    cx->sp = 0;
    cx->nmarks = 0;
    cx->nmemo = 0;
    if (cx->memo) memset(cx->memo, 0, cx->memocap * sizeof *cx->memo);
    int stop = 0;
    while (!stop) {
        if (r.p >= r.end) {
            r.op_at = len;
            return fail(&r, BB_EFORMAT, "the pickle ends without STOP (truncated?)", NULL, NULL);
        }
        int rc = step(&r, &stop);
        if (rc != BB_OK) return rc;
    }
    if (cx->sp != 1 || cx->nmarks)
        return fail(&r, BB_EFORMAT, "STOP with %s values on the stack", cx->sp == 0 ? "no" : "several", NULL);
    *out = cx->stack[0];
    *used = (size_t)(r.p - data);
    return BB_OK;
}
