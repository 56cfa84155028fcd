/* The allowlist: exact (module, name) pairs that GLOBAL/STACK_GLOBAL may resolve, each to one
 * built-in symbol. Nothing is imported and no attribute is walked: a name either is a row of
 * this table or is refused. Several spellings (NumPy 1.x, 2.x, Python 2) map to one symbol. */
#ifndef NPG_GLOBALS_H
#define NPG_GLOBALS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "npguard.h"

typedef enum npg_symbol {
    SYM_NONE = 0,
    SYM_NP_RECONSTRUCT, /* numpy ..._reconstruct(cls, (0,), b'b') -> pending array */
    SYM_NP_FROMBUFFER,  /* numpy ..._frombuffer(buf, dtype, shape, order[, axis_order]) */
    SYM_NP_SCALAR,      /* numpy ...scalar(dtype, bytes) */
    SYM_NP_DTYPE,       /* numpy.dtype(typestr, align, copy) -> pending dtype */
    SYM_NDARRAY,        /* class tags, only ever arguments */
    SYM_MATRIX,
    SYM_RECARRAY,
    SYM_NP_RECORD,
    SYM_MA_RECONSTRUCT, /* numpy.ma.core._mareconstruct(MaskedArray, ndarray, (0,), 'b') */
    SYM_MA_CLASS,
    SYM_MA_CONSTANT,    /* numpy.ma.core.MaskedConstant() */
    SYM_CODECS_ENCODE,  /* _codecs.encode(str, 'latin1') -> bytes (protocols 0-2) */
    SYM_BYTES,          /* bytes() */
    SYM_BYTEARRAY,      /* bytearray() / bytearray(bytes) */
    SYM_SET,            /* set() / set(list) */
    SYM_FROZENSET,      /* frozenset() / frozenset(list) */
    SYM_COMPLEX,        /* complex(re, im) */
    SYM_ORDERED_DICT,   /* collections.OrderedDict() / OrderedDict([[k, v], ...]) */
    SYM_RANGE_TYPE,     /* the type range, kept as data (NumPy's test object arrays hold it) */
    SYM_COUNT
} npg_symbol;

typedef struct npg_allow_row {
    const char *module;
    const char *name;
    npg_symbol sym;
} npg_allow_row;

/* The whole table (for tests and documentation checks). */
const npg_allow_row *npg__allowlist(size_t *count);
/* Exact lookup; SYM_NONE when not allowed. */
npg_symbol npg__lookup_global(const uint8_t *module, size_t mlen, const uint8_t *name, size_t nlen);
const char *npg__symbol_name(npg_symbol sym);
/* True for the symbols that are classes (types), false for functions: NEWOBJ and OBJ call
 * classes, and CPython's NEWOBJ refuses anything that is not a type. */
bool npg__symbol_is_class(npg_symbol sym);
/* Symbols that may be data (left in the result): the builtin types the decoder keeps as values
 * of kind NPG_TYPE, named by npg__symbol_type_name ("range"). */
bool npg__symbol_is_data(npg_symbol sym);
const char *npg__symbol_type_name(npg_symbol sym);

#endif
