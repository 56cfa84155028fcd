/* The VM's value model (internal). One node type for every value; nodes live in the document's
 * arena and are never freed one by one, so sharing (memo GET) and cycles cost nothing. */
#ifndef NPG_VALUE_H
#define NPG_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/alloc.h"
#include "../dtype/dtype.h"
#include "npguard.h"

/* Kinds past the public npg_kind values exist only while the VM runs. */
enum {
    NPG_K_PY2STR = 32, /* STRING/BINSTRING/SHORT_BINSTRING: raw bytes, str or bytes by context */
    NPG_K_SYMBOL = 33, /* an allowlisted global (u.sym) */
    NPG_K_BUFFER = 34, /* an out-of-band buffer from NEXT_BUFFER */
    NPG_K_MARK = 35    /* never stored in a node; used in diagnostics only */
};

enum {
    NPG_VF_BIG = 1 << 0,      /* NPG_INT held as bytes (u.s) rather than u.i */
    NPG_VF_HASHED = 1 << 1,   /* hash field is valid */
    NPG_VF_UNHASHABLE = 1 << 2,/* known unhashable (tuple holding a list, ...) */
    NPG_VF_PENDING = 1 << 3,  /* array/dtype made by REDUCE, waiting for its BUILD */
    NPG_VF_BORROWED = 1 << 4, /* bytes point into the caller's input or buffer */
    NPG_VF_READONLY = 1 << 5, /* buffer from READONLY_BUFFER / bytes source */
    NPG_VF_OPAQUE = 1 << 6,   /* is, or directly holds, an opaque placeholder (scan mode) */
    NPG_VF_SYMBOL = 1 << 7    /* is, or holds, an allowlisted class/function symbol */
};

typedef struct npg_array {
    uint8_t cls; /* npg_array_class */
    bool fortran;
    bool writeable;
    bool borrowed;
    const npg_dtype *dtype;
    size_t ndim;
    uint64_t *shape;
    uint64_t size;         /* product of shape */
    const uint8_t *data;   /* dtypes without objects */
    uint64_t nbytes;
    struct npg_value **objects; /* dtypes with objects: size items, C order */
    const uint8_t *mask;   /* MaskedArray */
    uint64_t mask_len;
    const struct npg_value *fill; /* MaskedArray fill value (0-d array) or NULL */
} npg_array;

typedef struct npg_scalar {
    const npg_dtype *dtype;
    const uint8_t *data; /* itemsize bytes, or NULL when obj is set */
    const struct npg_value *obj;
} npg_scalar;

struct npg_value {
    uint8_t kind;
    uint8_t flags;
    uint16_t sym;   /* NPG_K_SYMBOL: which symbol; NPG_OPAQUE: severity; NPG_K_PY2STR: 1 = bytes */
    uint32_t depth; /* 1 for scalars; containers: 1 + deepest item at insertion */
    uint64_t hash;
    union {
        bool b;
        int64_t i;
        double f;
        struct { double re, im; } c;
        /* str (UTF-8), bytes, bytearray, big int (two's complement LE, minimal), py2str (raw
         * bytes in p/n; alt/alt_n: the latin-1 decoding as UTF-8), buffer (alt unused) */
        struct { const uint8_t *p; uint64_t n; const uint8_t *alt; uint64_t alt_n; } s;
        /* tuple, list: items; set/frozenset: items plus a hash index; dict: n entries, keys and
         * values interleaved in 2*n slots, plus a hash index */
        struct {
            struct npg_value **items;
            uint32_t n, cap;          /* max_container_len is capped below 2^32 */
            uint32_t *index;
            uint32_t index_cap;
            struct npg_value *canon;  /* tuple/frozenset: an equal value proved earlier (union-find) */
        } c_;
        npg_array *arr;
        const npg_dtype *dt;
        npg_dtype *pending_dt;
        npg_scalar *sc;
        /* NPG_OPAQUE and NPG_K_SYMBOL: the global's exact "module.name" (len bytes, NUL after;
         * the module is name[0..mlen); cut: longer pairs keep their first NPG_GLOBAL_MAX bytes),
         * or for a placeholder made otherwise a description (mlen == len) */
        struct { const char *name; uint32_t len, mlen; bool cut; } opq;
    } u;
};

#define NPG_SEQ(v) ((v)->u.c_)

/* Integer view: NPG_BOOL (0/1) and NPG_INT that fits int64_t. False otherwise (big ints too). */
bool npg__as_i64(const struct npg_value *v, int64_t *out);
/* Text view for names and codes: NPG_STR (UTF-8) or NPG_K_PY2STR (raw bytes); false otherwise. */
bool npg__as_text(const struct npg_value *v, const uint8_t **p, size_t *n);
/* Raw-bytes view: NPG_BYTES, NPG_K_PY2STR (raw bytes); false otherwise. */
bool npg__as_raw(const struct npg_value *v, const uint8_t **p, uint64_t *n);
/* Items of a tuple (n set); NULL when v is not a tuple. */
struct npg_value **npg__tuple_items(const struct npg_value *v, size_t *n);

#endif
