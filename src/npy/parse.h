/* Internals of the .npy header parser, shared by the literal lexer (pylit.c), the descr grammar
 * (descr.c) and the dict grammar (header.c). The parser walks the header text with the
 * bounds-checked cursor; offsets in errors are cursor positions, i.e. offsets in the file (or
 * in the zip member). */
#ifndef NPG_NPY_PARSE_H
#define NPG_NPY_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/alloc.h"
#include "../common/cursor.h"
#include "../common/diag.h"
#include "npguard.h"

typedef struct npg_hp {
    npg_cur cur;          /* over the input; end = the header's final '\n' */
    bool utf8;            /* version 3.0: the text is UTF-8, else latin-1 */
    npg_arena *arena;     /* dtypes, names, shapes (the document's arena) */
    const npg_limits *lim;
    npg_diag *d;
    uint64_t err_off;     /* offset of the failing byte */
    size_t max_depth;     /* dtype nesting allowed: min(limits.max_depth, NPG_DTYPE_MAX_DEPTH) */
    bool py2;             /* version 1.0/2.0: Python 2's forms (2L, u'...') may appear */
    size_t max_pad;       /* spaces allowed before the final '\n' (16 in NumPy < 1.14 files) */
    struct npg_npy_legacy *legacy; /* where the Python 2 forms met are recorded */
} npg_hp;

/* Record an error at offset off; returns code. */
int npg__hp_fail(npg_hp *hp, int code, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The arena's failure (NPG_E_NOMEM or NPG_E_LIMIT_ALLOC) at the current position. */
int npg__hp_fail_alloc(npg_hp *hp);

/* Next byte without consuming it; false at the end of the text. */
bool npg__hp_peek(const npg_hp *hp, uint8_t *b);
/* Consume lit if the text continues with it exactly; else fail with code at the first byte that
 * differs, naming what was expected. */
int npg__hp_expect(npg_hp *hp, const char *lit, int code, const char *what);
/* True (and consumed) when the text continues with lit. */
bool npg__hp_accept(npg_hp *hp, const char *lit);

/* A Python str literal ('...' or "...", escapes \\ \' \" \n \r \t \xHH \uHHHH \UHHHHHHHH,
 * printable characters raw) decoded into the arena as NUL-terminated UTF-8. *quote gets the
 * quote character used. Errors: code for a malformed literal, NPG_E_NPY_ENCODING for a raw
 * character repr() would have escaped. */
int npg__hp_str(npg_hp *hp, int code, const char **out, size_t *n, uint8_t *quote);
/* A decimal integer as repr() writes it (no sign, no leading zero, no '_' or suffix), at most
 * max; errors use code. */
int npg__hp_uint(npg_hp *hp, int code, uint64_t max, uint64_t *out);
/* A shape tuple as repr() writes it: (), (a,), (a, b, ...). At most NPG_MAX_NDIM and
 * limits.max_ndim dimensions (else NPG_E_LIMIT_NDIM), each <= INT64_MAX; code for the rest.
 * With hp->py2 a dimension may also be a Python 2 long, 2L, or '2 ' before ',' or ')' (the L
 * NumPy 1.9.1-1.16 blanked out); both are recorded in hp->legacy. dims must hold NPG_MAX_NDIM
 * entries. */
int npg__hp_shape(npg_hp *hp, int code, uint64_t *dims, size_t *ndim);

/* The descr value: a typestr or a field list, built into a finished dtype. */
int npg__hp_descr(npg_hp *hp, const struct npg_dtype **out);

#endif
