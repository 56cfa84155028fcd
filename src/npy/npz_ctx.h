/* What the .npz functions need from an open archive that the public zip API does not give: the
 * allocator and limits it was opened with (npz_ctx.c). */
#ifndef NPG_NPZ_CTX_H
#define NPG_NPZ_CTX_H

#include "../common/ctx.h"
#include "npguard.h"

/* A context equal to the one zip was opened with, as far as the archive remembers it: its
 * allocator, max_alloc, max_uncompressed and max_ratio; the other limits at their defaults. */
void npg__npz_ctx(const npg_zip *zip, npg_ctx *out);

/* Fill err (may be NULL) with code, offset and message, naming the member. */
void npg__npz_error(npg_error *err, int code, uint64_t offset, const char *member, const char *msg);

#endif
