/* Default limits and the context that carries them. Each default is finite and says what it
 * defends against; README.md lists them. */
#include <string.h>

#include <stdint.h>

#include "alloc.h"
#include "ctx.h"

#define KiB ((uint64_t)1 << 10)
#define MiB ((uint64_t)1 << 20)
#define GiB ((uint64_t)1 << 30)

NPG_API void npg_limits_init(npg_limits *l)
{
    memset(l, 0, sizeof *l);
    l->size = sizeof *l;
    l->max_input = 64 * GiB;          /* total work; arrays are referenced, not copied */
    l->max_ops = (uint64_t)1 << 28;   /* ~268M opcodes: seconds of work, never hours */
    l->max_stack = (size_t)1 << 20;   /* stack slots (8 MiB of pointers) */
    l->max_marks = 10000;             /* nested tuples/lists/dicts being built */
    l->max_memo = (size_t)1 << 24;    /* memo entries and largest index (CPython: 2 x index) */
    l->max_depth = 10000;             /* containers nested as built */
    l->max_container_len = (size_t)1 << 27;
    l->max_alloc = 1 * GiB;           /* memory the library allocates for one document */
    l->max_int_digits = 4300;         /* CPython's int_max_str_digits; decimal parsing is O(n^2) */
    l->max_long_bytes = 64 * KiB;     /* LONG1/LONG4 payload */
    l->max_array_bytes = 16 * GiB;    /* one array's data (referenced in place when possible) */
    l->max_ndim = 32;                 /* NumPy 1.x NPY_MAXDIMS; NumPy 2 allows 64 */
    l->max_string_len = 16 * GiB;     /* one str/bytes argument (array data arrives as bytes) */
    l->max_fields = 4096;             /* fields of one structured dtype */
    l->max_findings = 10000;          /* findings kept by scan mode */
    l->max_header_len = 10000;        /* NumPy's max_header_size: header parsing cost and memory */
    l->max_zip_members = 65536;       /* central-directory entries (never preallocated from a count) */
    l->max_uncompressed = 64 * GiB;   /* total inflated bytes of one archive */
    l->max_ratio = 1100;              /* deflate cannot exceed ~1032:1; more is a bomb */
}

static int limits_valid(const npg_limits *l)
{
    if (l->size != sizeof *l) return 0;
    if (!l->max_input || !l->max_ops || !l->max_stack || !l->max_marks || !l->max_memo ||
        !l->max_depth || !l->max_container_len || !l->max_alloc || !l->max_int_digits ||
        !l->max_long_bytes || !l->max_array_bytes || !l->max_ndim || !l->max_string_len ||
        !l->max_fields || !l->max_findings || !l->max_header_len || !l->max_zip_members ||
        !l->max_uncompressed || !l->max_ratio)
        return 0;
    if (l->max_ndim > NPG_MAX_NDIM || l->max_memo > ((size_t)1 << 30) || l->max_depth > UINT32_MAX - 1 ||
        l->max_container_len > ((size_t)1 << 30))
        return 0;
    return 1;
}

NPG_API npg_ctx *npg_ctx_new(const npg_alloc *alloc)
{
    if (alloc && (!alloc->malloc || !alloc->realloc || !alloc->free)) return NULL;
    const npg_alloc *a = alloc ? alloc : npg__libc_alloc();
    npg_ctx *ctx = a->malloc(a->ud, sizeof *ctx);
    if (!ctx) return NULL;
    ctx->alloc = *a;
    npg_limits_init(&ctx->limits);
    return ctx;
}

NPG_API void npg_ctx_free(npg_ctx *ctx)
{
    if (ctx) ctx->alloc.free(ctx->alloc.ud, ctx, sizeof *ctx);
}

NPG_API int npg_ctx_set_limits(npg_ctx *ctx, const npg_limits *limits)
{
    if (!ctx || !limits || !limits_valid(limits)) return NPG_E_INVALID;
    ctx->limits = *limits;
    return NPG_OK;
}

NPG_API void npg_ctx_get_limits(const npg_ctx *ctx, npg_limits *out)
{
    if (ctx && out) *out = ctx->limits;
}
