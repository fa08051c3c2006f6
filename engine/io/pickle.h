/* pickle.h — a restricted unpickler for PyTorch state dicts. Nothing in the input is ever run.
 *
 * It reads the opcodes of pickle protocols 0-5 that torch.save emits (and the plain data ones around
 * them) into a tree of pk_value, and resolves only the globals a tensor state dict needs:
 * collections.OrderedDict, torch._utils._rebuild_tensor(_v2), torch._utils._rebuild_parameter(_with_state),
 * torch.Size and the typed storage classes (torch.FloatStorage, ...). Any other global — posix.system,
 * builtins.eval, a model class — is an error naming it, raised when the GLOBAL opcode is read, so a
 * hostile pickle fails before it could get anywhere. "Calls" of the allowed globals are interpreted
 * here: a tensor rebuild becomes a PK_TENSOR holding its storage, offset, sizes and strides.
 * A persistent id ('storage', torch.XStorage, key, location, numel[, view]) becomes a PK_STORAGE.
 *
 * Limits (each an error naming the file and the limit): memo indices, mark nesting, stack size,
 * number of values, string sizes, tensor dimensions. Nothing recurses, so a pickle whose containers
 * contain themselves is only a data structure with a cycle.
 *
 *     pk_ctx *cx = pk_new();
 *     const pk_value *v;
 *     size_t used;
 *     if (pk_load(cx, bytes, n, &used, "model/data.pkl", &v, err, sizeof err) == BB_OK) ... walk v ...;
 *     pk_free(cx); // frees every value it made
 */
#ifndef BB_PICKLE_H
#define BB_PICKLE_H

#include <stddef.h>
#include <stdint.h>

#include "st.h"

#define PK_MAX_MEMO (1u << 20)     /* memo indices 0 .. PK_MAX_MEMO-1 */
#define PK_MAX_DEPTH 256           /* open MARKs at once */
#define PK_MAX_STACK (1u << 22)    /* values on the stack */
#define PK_MAX_VALUES (1u << 22)   /* values made by one context (a state dict needs ~15 a tensor) */
#define PK_MAX_STRING (1u << 30)   /* bytes in one string */

typedef enum {
    PK_NONE, PK_BOOL, PK_INT, PK_FLOAT, PK_STR, PK_BYTES, PK_TUPLE, PK_LIST, PK_DICT,
    PK_GLOBAL, PK_STORAGE, PK_TENSOR,
} pk_kind;

typedef enum {
    PKG_ORDERED_DICT, PKG_REBUILD_TENSOR_V2, PKG_REBUILD_TENSOR, PKG_REBUILD_PARAMETER,
    PKG_REBUILD_PARAMETER_STATE, PKG_SIZE, PKG_STORAGE_TYPE,
} pk_global;

typedef struct pk_value pk_value;
struct pk_value {
    pk_kind kind;
    int64_t i;           /* BOOL, INT */
    double f;            /* FLOAT */
    char *s;             /* STR, BYTES (NUL-terminated copy) */
    size_t len;          /* STR, BYTES: bytes; TUPLE, LIST: items; DICT: pairs */
    pk_value **items;    /* TUPLE, LIST; DICT: key0, value0, key1, value1, ... */
    size_t cap;
    pk_global global;    /* GLOBAL */
    st_dtype dtype;      /* GLOBAL storage type, STORAGE, TENSOR */
    const char *key;     /* STORAGE: its key in the archive (borrowed from a PK_STR) */
    int64_t numel;       /* STORAGE: elements */
    const pk_value *storage; /* TENSOR */
    int64_t offset;          /* TENSOR: storage offset, in elements */
    int ndim;                /* TENSOR */
    int64_t shape[ST_MAX_DIMS], stride[ST_MAX_DIMS];
};

typedef struct pk_ctx pk_ctx;

pk_ctx *pk_new(void); /* NULL when out of memory */
void pk_free(pk_ctx *cx);

/* Unpickles one pickle from the len bytes at data; *used receives the bytes up to and including STOP.
 * name is used in messages. *out stays valid until pk_free. */
int pk_load(pk_ctx *cx, const unsigned char *data, size_t len, size_t *used, const char *name, const pk_value **out,
            char *err, size_t errlen);

/* "tuple", "dict", ... for messages. */
const char *pk_kind_name(pk_kind k);

#endif
