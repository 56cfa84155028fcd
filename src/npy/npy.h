/* Internal interface of the .npy module (src/npy/), used by the .npz code. */
#ifndef NPG_NPY_H
#define NPG_NPY_H

#include <stddef.h>
#include <stdint.h>

#include "../common/diag.h"
#include "../dtype/dtype.h"
#include "npguard.h"

/* The complete .npy preamble + header NumPy's np.save writes for this array (version 1.0, 2.0 or
 * 3.0 as NumPy chooses; 64-byte aligned). Writes at most cap bytes to out and sets *len to the
 * full size (call with cap 0 to size it). Errors: NPG_E_INVALID for dtypes NumPy cannot describe
 * (e.g. objects), with a message in d. */
int npg__npy_format_header(const npg_dtype *dtype, size_t ndim, const uint64_t *shape, int fortran,
                           uint8_t *out, size_t cap, size_t *len, npg_diag *d);

#endif
