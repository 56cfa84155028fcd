/* npg_npz_writer_*: a .npz as np.savez / np.savez_compressed lay it out: one member per array,
 * named "<name>.npy", holding exactly the bytes np.save would write (the header comes from the
 * .npy module), stored or deflated. */
#include <string.h>

#include "zip.h"

#include "../common/checked.h"
#include "../common/ctx.h"
#include "../npy/npy.h"

struct npg_npz_writer {
    npg_mem mem; /* budget: limits.max_alloc (deflate buffers, names, headers) */
    npg_zipw zw;
    int method;
};

static int plain_error(npg_error *err, int code, const char *name, const char *msg)
{
    npg_zip_fail f;
    npg__zip_fail_at(&f, code, 0, (const uint8_t *)name, name ? strlen(name) : 0, "%s", msg);
    npg__zip_error_out(err, &f);
    return code;
}

NPG_API int npg_npz_writer_new(const npg_ctx *ctx, int compress, npg_write_fn write, void *ud,
                               npg_npz_writer **out)
{
    if (out) *out = NULL;
    if (!ctx || !write || !out || (compress != 0 && compress != 1)) return NPG_E_INVALID;
    npg_npz_writer *w = ctx->alloc.malloc(ctx->alloc.ud, sizeof *w);
    if (!w) return NPG_E_NOMEM;
    memset(w, 0, sizeof *w);
    npg__mem_init(&w->mem, &ctx->alloc, ctx->limits.max_alloc);
    npg__zipw_init(&w->zw, &w->mem, write, ud, ctx->limits.max_zip_members);
    w->method = compress ? 8 : 0;
    *out = w;
    return NPG_OK;
}

/* The data must be exactly what the header describes: itemsize * prod(shape) bytes. */
static int check_len(const npg_dtype *dtype, size_t ndim, const uint64_t *shape, uint64_t len,
                     const char *name, npg_error *err)
{
    uint64_t need = npg_dtype_itemsize(dtype);
    for (size_t i = 0; i < ndim; i++) {
        if (!npg__mul_u64(need, shape[i], &need))
            return plain_error(err, NPG_E_INVALID, name, "array size overflows");
    }
    if (need != len) return plain_error(err, NPG_E_INVALID, name, "data length differs from dtype and shape");
    return NPG_OK;
}

/* "<name>.npy" into out[NPG_ZIP_MAX_NAME + 1]; the zip layer checks the result. */
static int member_name(const char *name, char *out, size_t *n, npg_error *err)
{
    size_t k = strlen(name);
    if (k + 4 > NPG_ZIP_MAX_NAME) return plain_error(err, NPG_E_ZIP_NAME, name, "array name too long");
    memcpy(out, name, k);
    memcpy(out + k, ".npy", 4);
    *n = k + 4;
    out[*n] = '\0';
    return NPG_OK;
}

/* The .npy header np.save writes, in memory from the budget (*hdr, *hlen; free with *hlen). */
static int make_header(npg_npz_writer *w, const npg_dtype *dtype, size_t ndim, const uint64_t *shape,
                       int fortran, uint8_t **hdr, size_t *hlen, const char *name, npg_error *err)
{
    npg_diag d;
    memset(&d, 0, sizeof d);
    int rc = npg__npy_format_header(dtype, ndim, shape, fortran, NULL, 0, hlen, &d);
    if (rc != NPG_OK) return plain_error(err, rc, name, d.msg);
    *hdr = npg__mem_alloc(&w->mem, *hlen);
    if (!*hdr) return plain_error(err, w->mem.status, name, "no memory for the .npy header");
    size_t again;
    rc = npg__npy_format_header(dtype, ndim, shape, fortran, *hdr, *hlen, &again, &d);
    if (rc == NPG_OK && again != *hlen) rc = npg__diag(&d, NPG_E_INTERNAL, ".npy header size changed");
    if (rc != NPG_OK) {
        npg__mem_free(&w->mem, *hdr, *hlen);
        return plain_error(err, rc, name, d.msg);
    }
    return NPG_OK;
}

NPG_API int npg_npz_writer_add(npg_npz_writer *w, const char *name, const npg_dtype *dtype,
                               size_t ndim, const uint64_t *shape, int fortran, const uint8_t *data,
                               uint64_t len, npg_error *err)
{
    if (!w || !name || !dtype || (ndim && !shape) || (!data && len))
        return plain_error(err, NPG_E_INVALID, NULL, "invalid argument");
    if (w->zw.status != NPG_OK) return plain_error(err, NPG_E_BADSTATE, name, "writer failed or finished");
    char mname[NPG_ZIP_MAX_NAME + 1];
    size_t mlen = 0, hlen = 0;
    uint8_t *hdr = NULL;
    int rc = check_len(dtype, ndim, shape, len, name, err);
    if (rc == NPG_OK) rc = member_name(name, mname, &mlen, err);
    if (rc == NPG_OK) rc = make_header(w, dtype, ndim, shape, fortran, &hdr, &hlen, name, err);
    if (rc != NPG_OK) return rc;
    npg_zipw_piece pieces[2] = {{hdr, hlen}, {data, len}};
    npg_zip_fail f;
    rc = npg__zipw_add(&w->zw, (const uint8_t *)mname, mlen, w->method, pieces, 2, &f);
    npg__mem_free(&w->mem, hdr, hlen);
    npg__zip_error_out(err, rc == NPG_OK ? NULL : &f);
    return rc;
}

NPG_API int npg_npz_writer_finish(npg_npz_writer *w, npg_error *err)
{
    if (!w) return plain_error(err, NPG_E_INVALID, NULL, "invalid argument");
    npg_zip_fail f;
    int rc = npg__zipw_finish(&w->zw, &f);
    npg__zip_error_out(err, rc == NPG_OK ? NULL : &f);
    return rc;
}

NPG_API void npg_npz_writer_free(npg_npz_writer *w)
{
    if (!w) return;
    npg__zipw_release(&w->zw);
    npg_alloc hooks = w->mem.hooks;
    hooks.free(hooks.ud, w, sizeof *w);
}
