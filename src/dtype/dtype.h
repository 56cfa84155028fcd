/* The dtype model shared by the pickle VM (dtype reconstruction) and, later, the .npy header
 * parser. A finished npg_dtype is immutable and has been validated: sizes are consistent, field
 * offsets lie inside the item, subarray sizes multiply out without overflow. */
#ifndef NPG_DTYPE_H
#define NPG_DTYPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/alloc.h"
#include "../common/diag.h"
#include "npguard.h"

enum {
    NPG_DT_ALIGNED_STRUCT = 1 << 0, /* NumPy's NPY_ALIGNED_STRUCT: made with align=True */
    NPG_DT_HAS_OBJECT = 1 << 1,     /* 'O' here or in any field/subarray base */
    NPG_DT_RECORD = 1 << 2,         /* scalar type numpy.record (recarray dtypes) */
    NPG_DT_STRUCTURED = 1 << 3      /* has names/fields, possibly zero of them (NumPy's
                                       dtype({'names': [], ...}) is not a plain 'V') */
};

/* Dtypes nest through struct fields and subarray bases. Consumers (descr, printing, arrays of
 * structs) walk that nesting recursively, so it is capped: at most this many levels (and at most
 * limits.max_depth). Real files nest a handful of levels; NumPy itself overflows Python's
 * recursion limit long before 1000. */
#define NPG_DTYPE_MAX_DEPTH 64

/* Room for any dtype.str with its NUL: "<m8[2147483647us]" and "|V9223372036854775807"
 * both fit. */
#define NPG_DTYPE_STR_CAP 32

typedef struct npg_field {
    const char *name; /* UTF-8, NUL-terminated (embedded NULs are refused) */
    size_t name_len;
    const char *title; /* NULL when the field has no title */
    size_t title_len;
    const struct npg_dtype *dtype;
    uint64_t offset;
} npg_field;

struct npg_dtype {
    char kind;      /* b i u f c S U V O M m */
    char byteorder; /* '<' '>' '|' */
    uint8_t flags;  /* NPG_DT_* */
    uint64_t itemsize;
    uint64_t alignment;
    /* datetime64 / timedelta64 */
    char unit[8];   /* "ns", "D", "generic", ... (empty for other kinds) */
    uint32_t unit_num; /* multiplier, 1..INT32_MAX (1 for "generic") */
    /* subarray: base dtype and shape (itemsize == base->itemsize * prod(shape)) */
    const struct npg_dtype *base;
    size_t sub_ndim;
    uint64_t *sub_shape;
    /* structured: fields in order */
    size_t nfields;
    npg_field *fields;
    /* computed by npg__dtype_finish */
    uint8_t numpy_flags;   /* what NumPy computes as dtype.flags (its pickled state holds them) */
    uint32_t depth;        /* 1 for a leaf; 1 + deepest field or base dtype */
    uint64_t total_fields; /* fields over all nesting levels, each occurrence counted */
};

/* Fill dt (zeroed first) as the unstructured dtype of kind and itemsize with NumPy's defaults:
 * byte order '<' (native, this library's convention) for multi-byte numbers, U, M and m and '|'
 * otherwise; natural x86 alignment; M/m get the "generic" unit. Returns false when NumPy has
 * no such dtype: b1, [iu](1|2|4|8), f(2|4|8|12|16), c(8|16|24|32), O(4|8), [Mm]8, S/V any
 * size, U any multiple of 4. The result still needs npg__dtype_finish. */
bool npg__dtype_init_plain(npg_dtype *dt, char kind, uint64_t itemsize);

/* True when unit[0..n) is a datetime unit NumPy writes: Y M W D h m s ms us ns ps fs as generic. */
bool npg__dtype_unit_valid(const uint8_t *unit, size_t n);

/* Validate a dtype whose description fields have been filled in (kind, byteorder, itemsize,
 * alignment, unit, base/sub_shape, fields; flags may carry ALIGNED_STRUCT, RECORD and
 * STRUCTURED) and compute the rest (HAS_OBJECT, depth, total_fields). alignment 0 means
 * "derive it": the base's alignment for a subarray, the largest field alignment for an aligned
 * struct, else 1. Field and base dtypes must be finished already, so the check is one level
 * deep whatever the nesting. Rules: byte order legal for the kind ('|' for 1-byte numbers, S, V,
 * O; '<'/'>' for the rest), alignment a power of two <= 16, subarray and fields only on 'V'
 * (never both), itemsize == base itemsize * prod(shape), each field inside the item, names and
 * titles NUL-free and pairwise distinct, fields holding objects overlapping no other field.
 * Temporary sort buffers come from a->mem and are returned before the call ends.
 * Errors: NPG_E_DTYPE, NPG_E_LIMIT_NDIM, NPG_E_LIMIT_FIELDS, NPG_E_LIMIT_DEPTH (nesting deeper
 * than min(lim->max_depth, NPG_DTYPE_MAX_DEPTH)), a->mem->status. */
int npg__dtype_finish(npg_arena *a, const npg_limits *lim, npg_dtype *dt, npg_diag *d);

/* dtype.str into out (always NUL-terminated); returns its length. */
size_t npg__dtype_format_str(const npg_dtype *dt, char out[NPG_DTYPE_STR_CAP]);

/* What numpy.lib.format.dtype_to_descr(dt) returns, repr()'d as a .npy header holds it:
 * "'<f8'" for unstructured dtypes (subarrays included), else the field list with ('', '|Vn')
 * padding for gaps, e.g. "[('x', '<i4'), ('', '|V4'), ('y', '<f8', (2,))]". Strings are
 * quoted as Python's repr() does, except that every non-ASCII character is escaped (\xNN,
 * \uXXXX, \UXXXXXXXX, as Python's ascii() does): the header stays ASCII, and Python reads the
 * same string back. Writes at most cap bytes including a NUL (nothing when cap is 0) and
 * returns the full length needed excluding the NUL, like snprintf. Returns 0 when NumPy has no
 * descr for the dtype (overlapping or out-of-order fields at any level); a real descr is never
 * empty. Recursion is bounded by dt->depth. */
size_t npg__dtype_descr(const npg_dtype *dt, char *buf, size_t cap);

#endif
