/* Rebuilding a dtype from its pickle: numpy.dtype(obj, align, copy) followed by BUILD(state).
 * Shapes accepted: ../shared/notes/numpy-pickles.md sections 4.3 and 11.3. */
#ifndef NPG_DTYPE_STATE_H
#define NPG_DTYPE_STATE_H

#include "../common/alloc.h"
#include "../common/diag.h"
#include "../dtype/dtype.h"
#include "value.h"

/* REDUCE numpy.dtype(obj, align, copy): obj is a typestr (str, py2str or bytes) matching
 *   b1 | [iu](1|2|4|8) | f(2|4|8|12|16) | c(8|16|24|32) | O(4|8) | [SUV][0-9]+ | [Mm]8
 * or is_record (obj was the numpy.record symbol: a structured 'V' dtype whose layout comes
 * from BUILD). The result is a pending dtype with native byte order, to be completed by
 * npg__dtype_setstate. Errors: NPG_E_DTYPE, NPG_E_NOMEM/NPG_E_LIMIT_ALLOC. */
int npg__dtype_from_typestr(npg_arena *a, const npg_value *obj, bool is_record, npg_dtype **out,
                            npg_diag *d);

/* BUILD on a pending dtype: state is the 9/8/7/6/5-tuple of section 4.3. Validates everything
 * section 11.3 lists (byte order vs kind, names/fields agreement, unique names, titles pointing
 * at the same field, offsets inside the item, object fields not overlapping, elsize/alignment vs
 * the typestr, subarray size, datetime unit) and recomputes flags (keeping only ALIGNED_STRUCT
 * from the pickle). Nested dtypes in the state must be finished (else NPG_E_PENDING).
 * Errors: NPG_E_DTYPE, NPG_E_PENDING, NPG_E_LIMIT_NDIM, NPG_E_LIMIT_FIELDS, NPG_E_NOMEM,
 * NPG_E_LIMIT_ALLOC. On error dt may be partly written; the caller discards it. */
int npg__dtype_setstate(npg_arena *a, const npg_limits *lim, npg_dtype *dt, const npg_value *state,
                        npg_diag *d);

#endif
