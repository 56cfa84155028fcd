/* Internal interface of the .npy module (src/npy/), used by the .npz code. */
#ifndef NPG_NPY_H
#define NPG_NPY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/alloc.h"
#include "../common/diag.h"
#include "../dtype/dtype.h"
#include "npguard.h"

/* The complete .npy preamble + header NumPy's np.save writes for this array (version 1.0, 2.0 or
 * 3.0 as NumPy chooses; 64-byte aligned). Writes at most cap bytes to out and sets *len to the
 * full size (call with cap 0 to size it). Errors: NPG_E_INVALID for dtypes NumPy cannot describe
 * (e.g. objects), with a message in d. */
int npg__npy_format_header(const npg_dtype *dtype, size_t ndim, const uint64_t *shape, int fortran,
                           uint8_t *out, size_t cap, size_t *len, npg_diag *d);

/* What a header holds that only older NumPy releases (or NumPy under Python 2) wrote. Every
 * current NumPy reads it the same way, so it is accepted; scan mode reports each kind met once,
 * as an info finding (NPG106) at its first offset (legacy.c has the texts and the reasons). */
enum npg_npy_old {
    NPG_NPY_OLD_ALIGN16,       /* 1.0 data at a multiple of 16, as NumPy < 1.14 padded it */
    NPG_NPY_OLD_ALIGN16_V2,    /* 2.0 data 2 past a multiple of 16 (NumPy 1.9-1.13 padded 10 + HEADER_LEN) */
    NPG_NPY_OLD_LONG,          /* a dimension written 2L: Python 2's repr of a long */
    NPG_NPY_OLD_LONG_FILTERED, /* a dimension written '2 ': the L NumPy 1.9.1-1.16 blanked out */
    NPG_NPY_OLD_OBJECT_SIZE,   /* '|O8' or '|O4': the object type string of NumPy < 1.10 */
    NPG_NPY_OLD_UNICODE_TITLE, /* u'...': a field title that was a Python 2 unicode object */
    NPG_NPY_OLD_KINDS
};

typedef struct npg_npy_legacy {
    unsigned seen;                  /* bit k set: kind k was met */
    uint64_t at[NPG_NPY_OLD_KINDS]; /* offset of the first occurrence of each kind */
} npg_npy_legacy;

/* Record kind at offset off (the first occurrence wins). */
void npg__npy_legacy_mark(npg_npy_legacy *l, int kind, uint64_t off);
/* One line saying what kind is and why it is accepted. */
const char *npg__npy_legacy_text(int kind);
/* Scan mode: one NPG106 info finding per kind in l, in kind order. NPG_OK or the allocation
 * status of npg__doc_add_finding. */
int npg__npy_note_legacy(npg_doc *doc, size_t max_findings, const npg_npy_legacy *l);

/* What a .npy preamble and header say. */
typedef struct npg_npy_header {
    int major, minor;
    size_t prefix_len;    /* magic + version + length field: 10 (v1) or 12 (v2, v3) */
    uint64_t header_len;  /* HEADER_LEN: the header text, padding and '\n' included */
    uint64_t data_offset; /* prefix_len + header_len */
    /* filled by npg__npy_parse_header */
    const npg_dtype *dtype;
    size_t ndim;
    uint64_t *shape;      /* in the arena given to the parser */
    bool fortran;
    uint64_t size;        /* elements: the product of the shape */
    uint64_t nbytes;      /* size * itemsize: the data length (the pickle's, for object dtypes, is free) */
    npg_npy_legacy legacy; /* what older NumPy wrote differently (filled by both calls below) */
} npg_npy_header;

/* Where and why a .npy check failed: a status, the byte offset (in the file or zip member) and
 * the message. */
typedef struct npg_npy_fail {
    npg_diag diag;
    uint64_t offset;
} npg_npy_fail;

/* The 8-byte magic/version and the length field from buf[0..avail), which may hold less than the
 * whole file (a stream): magic (NPG_E_NPY_MAGIC at the first wrong byte), version 1.0/2.0/3.0
 * (NPG_E_NPY_VERSION), HEADER_LEN <= limits.max_header_len (NPG_E_LIMIT_HEADER), and a data
 * offset where some NumPy put it (NPG_E_NPY_ALIGNMENT otherwise): a multiple of 64 (NumPy >=
 * 1.14), or, in 1.0/2.0 files, 10 + HEADER_LEN a multiple of 16 (NumPy < 1.14; legacy
 * NPG_NPY_OLD_ALIGN16 / _V2, whose padding npg__npy_parse_header then holds to 1-16 spaces).
 * NPG_NPY_ALIGN16 in flags changes nothing (kept for compatibility). These need only the first
 * 12 bytes, so nothing is read or allocated from the declared length. Fewer bytes than a check
 * needs: NPG_E_TRUNCATED at offset avail (so every prefix of the magic is "truncated", and a
 * byte that differs from it is "not .npy"). The caller checks that data_offset bytes exist. */
int npg__npy_preamble(const uint8_t *buf, size_t avail, unsigned flags, const npg_limits *lim,
                      npg_npy_header *h, npg_npy_fail *f);

/* Parse the header text buf[prefix_len..data_offset) (len >= data_offset) after a successful
 * npg__npy_preamble: encoding, the canonical dict, descr, shape, fortran_order (in 1.0/2.0
 * headers also the Python 2 forms NumPy wrote: see enum npg_npy_old, recorded in h->legacy);
 * then the element and byte counts (NPG_E_LIMIT_ARRAY when either exceeds
 * limits.max_array_bytes, so that even zero-size items cannot declare more elements than that).
 * Dtype, names and shape go to arena. */
int npg__npy_parse_header(npg_arena *arena, const npg_limits *lim, const uint8_t *buf, size_t len,
                          npg_npy_header *h, npg_npy_fail *f);

/* ---- headers the grammar refuses (lenient.c, lenient_lex.c) */

/* Would numpy.load(allow_pickle=True) unpickle the data of buf[0..len)? Its reader evaluates
 * the header as any Python literal, so it reads many headers the grammar above refuses (other
 * key order, double quotes, comments, other alignments...). True, with *data_offset where the
 * pickle starts, when the header is a literal dict with exactly the keys descr, fortran_order
 * and shape whose descr may hold an object type. Errs towards true (a doubtful key or string
 * counts as one that would), never reads past buf[len) or limits.max_header_len bytes of
 * header, allocates nothing and does not recurse. */
bool npg__npy_lenient_object(const uint8_t *buf, size_t len, const npg_limits *lim, uint64_t *data_offset);

/* ---- bool values (NPG_NPY_CHECK_VALUES) */

/* The bytes of one item that hold bools, as sorted, merged [start, end) runs. */
typedef struct npg_bool_runs {
    uint64_t itemsize;
    uint64_t (*runs)[2];
    size_t n;
} npg_bool_runs;

/* Runs of dt (in arena). Only for arrays with at least one element (then itemsize is bounded by
 * the data length). n == 0 when the dtype holds no bool. */
int npg__npy_bool_runs(npg_arena *arena, const npg_dtype *dt, npg_bool_runs *out, npg_diag *d);
/* Check data bytes p[0..n), which start pos bytes into the array data: false with *bad set to
 * the data offset of the first bool byte that is neither 0 nor 1. */
bool npg__npy_bools_ok(const npg_bool_runs *r, uint64_t pos, const uint8_t *p, size_t n, uint64_t *bad);

/* ---- the array value */

/* The NPG_ARRAY node for a header and its data (read-only; borrowed: the bytes are the caller's),
 * in arena; NULL when out of memory. */
npg_value *npg__npy_array_value(npg_arena *arena, const npg_npy_header *h, const uint8_t *data,
                                bool borrowed);

/* For an object dtype, after the pickle ran: NPG_OK when the document's root is an array of the
 * header's dtype (compared as descr text, allocated in arena) and shape, else NPG_E_NPY_OBJECT
 * with a message in d. */
int npg__npy_check_object_root(npg_arena *arena, const npg_value *root, const npg_npy_header *h,
                               npg_diag *d);

/* ---- loading (load.c) */

/* Flags npg_npy_load (and the .npz loaders) accept. */
#define NPG_NPY_LOAD_FLAGS ((unsigned)(NPG_SCAN | NPG_PY2_BYTES | NPG_NPY_ALIGN16 | NPG_NPY_CHECK_VALUES))

/* Load buf[0..len) as a .npy file into an empty document: root, status, error (offsets in buf),
 * version and data offset. borrowed tells whether buf is the caller's (the array is then marked
 * borrowed) or the document's own (inflated) bytes. Returns the status. */
int npg__npy_load_doc(npg_doc *doc, const npg_ctx *ctx, const uint8_t *buf, size_t len, unsigned flags,
                      bool borrowed);

#endif
