/* npg_zip_open and the accessors: the structural validation runs in a fixed order, each step
 * bounded by the input size and limits.max_zip_members:
 *   end records (zip_eocd.c) -> central directory (zip_cd.c) -> unique names (zip_name.c)
 *   -> layout and local headers (zip_layout.c, zip_local.c). Nothing is inflated here. */
#include <string.h>

#include "zip.h"

#include "../common/ctx.h"

/* Flags of the other loaders are accepted (and ignored) so one flag word can be passed down
 * from npz-level calls; anything else is a caller error. */
#define KNOWN_FLAGS \
    ((unsigned)(NPG_SCAN | NPG_ALLOW_TRAILING | NPG_PY2_BYTES | NPG_NPY_ALIGN16 | NPG_NPY_CHECK_VALUES))

static int fail_plain(npg_error *err, int code, const char *msg)
{
    npg_zip_fail f;
    npg__zip_fail(&f, code, 0, "%s", msg);
    npg__zip_error_out(err, &f);
    return code;
}

static npg_zip *zip_new(const npg_ctx *ctx, const uint8_t *buf, size_t len)
{
    npg_zip *z = ctx->alloc.malloc(ctx->alloc.ud, sizeof *z);
    if (!z) return NULL;
    memset(z, 0, sizeof *z);
    npg__mem_init(&z->mem, &ctx->alloc, ctx->limits.max_alloc);
    npg__arena_init(&z->arena, &z->mem);
    z->buf = buf ? buf : (const uint8_t *)"";
    z->len = len;
    z->max_uncompressed = ctx->limits.max_uncompressed;
    z->max_ratio = ctx->limits.max_ratio;
    z->max_alloc = ctx->limits.max_alloc;
    z->limits = ctx->limits;
    return z;
}

static int validate(npg_zip *z, size_t max_members, npg_zip_fail *f)
{
    npg_zip_end end;
    int rc = npg__zip_read_end(z->buf, z->len, max_members, &end, f);
    if (rc == NPG_OK) rc = npg__zip_read_cd(z, &end, max_members, f);
    if (rc == NPG_OK) rc = npg__zip_check_unique(z, f);
    if (rc == NPG_OK) rc = npg__zip_check_layout(z, &end, f);
    return rc;
}

NPG_API int npg_zip_open(const npg_ctx *ctx, const uint8_t *buf, size_t len, unsigned flags,
                         npg_zip **out, npg_error *err)
{
    if (out) *out = NULL;
    if (!ctx || !out || (!buf && len)) return fail_plain(err, NPG_E_INVALID, "invalid argument");
    if (flags & ~KNOWN_FLAGS) return fail_plain(err, NPG_E_INVALID, "unknown flags");
    if ((uint64_t)len > ctx->limits.max_input)
        return fail_plain(err, NPG_E_LIMIT_INPUT, "input larger than limits.max_input");
    npg_zip *z = zip_new(ctx, buf, len);
    if (!z) return fail_plain(err, NPG_E_NOMEM, "out of memory");
    npg_zip_fail f;
    memset(&f, 0, sizeof f);
    int rc = validate(z, ctx->limits.max_zip_members, &f);
    if (rc != NPG_OK) {
        npg__zip_error_out(err, &f); /* before the free: f may name a member held by z */
        npg_zip_free(z);
        return rc;
    }
    npg__zip_error_out(err, NULL);
    *out = z;
    return NPG_OK;
}

NPG_API void npg_zip_free(npg_zip *z)
{
    if (!z) return;
    npg__arena_release(&z->arena);
    npg__mem_free(&z->mem, z->e, z->cap * sizeof *z->e);
    npg_alloc hooks = z->mem.hooks;
    hooks.free(hooks.ud, z, sizeof *z);
}

NPG_API size_t npg_zip_count(const npg_zip *z) { return z ? z->n : 0; }

NPG_API const npg_zip_member *npg_zip_member_at(const npg_zip *z, size_t i)
{
    return z && i < z->n ? &z->e[i].m : NULL;
}

NPG_API const uint8_t *npg_zip_stored_data(const npg_zip *z, size_t i, uint64_t *len)
{
    if (len) *len = 0;
    if (!z || i >= z->n || z->e[i].m.method != 0) return NULL;
    if (len) *len = z->e[i].m.csize;
    return z->buf + z->e[i].m.data_offset;
}
