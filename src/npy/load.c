/* npg_npy_load: a .npy file held in memory, validated in O(header) and returned as a zero-copy
 * array (or, for object dtypes, as the array its pickle rebuilds). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../common/checked.h"
#include "../common/ctx.h"
#include "../pickle/doc.h"
#include "../pickle/vm.h"
#include "npy.h"

static int doc_fail(npg_doc *doc, int code, uint64_t offset, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int doc_fail(npg_doc *doc, int code, uint64_t offset, const char *fmt, ...)
{
    npg_diag d;
    va_list ap;
    va_start(ap, fmt);
    npg__vdiag(&d, code, fmt, ap); /* truncates and keeps the text printable */
    va_end(ap);
    memset(&doc->err, 0, sizeof doc->err);
    doc->err.code = code;
    doc->err.opcode = -1;
    doc->err.offset = offset;
    memcpy(doc->err.message, d.msg, sizeof doc->err.message);
    doc->status = code;
    doc->root = NULL;
    return code;
}

static int check_bools(npg_doc *doc, const npg_npy_header *h, const uint8_t *data)
{
    npg_bool_runs runs;
    npg_diag d;
    uint64_t bad;
    size_t n;
    if (h->size == 0 || !npg__u64_to_sz(h->nbytes, &n)) return NPG_OK;
    int rc = npg__npy_bool_runs(&doc->arena, h->dtype, &runs, &d);
    if (rc) return doc_fail(doc, rc, h->data_offset, "%s", d.msg);
    if (!npg__npy_bools_ok(&runs, 0, data, n, &bad))
        return doc_fail(doc, NPG_E_ARRAY, h->data_offset + bad, "bool byte that is neither 0 nor 1");
    return NPG_OK;
}

/* Object dtypes: the data is a pickle of the array. Run exactly those bytes through the
 * restricted VM, offsets reported as file offsets. */
static int load_objects(npg_doc *doc, const npg_ctx *ctx, const uint8_t *buf, size_t len,
                        unsigned flags, const npg_npy_header *h)
{
    size_t off = (size_t)h->data_offset; /* <= len, checked by the caller */
    size_t noted = doc->findings_total;  /* the header's legacy notes */
    int rc = npg__pickle_run(doc, ctx, buf + off, len - off, flags & (NPG_SCAN | NPG_PY2_BYTES), NULL, 0,
                             h->data_offset);
    if (rc != NPG_OK) return rc; /* the VM recorded the error and status */
    /* scan mode: an array built from refused code is a placeholder (and the refusal a finding);
     * its shape cannot be compared, and the findings already say the file is unsafe */
    if (npg_value_kind(doc->root) == NPG_OPAQUE && doc->findings_total > noted) return NPG_OK;
    npg_diag d;
    if ((rc = npg__npy_check_object_root(&doc->arena, doc->root, h, &d)))
        return doc_fail(doc, rc, h->data_offset, "%s", d.msg);
    return NPG_OK;
}

int npg__npy_load_doc(npg_doc *doc, const npg_ctx *ctx, const uint8_t *buf, size_t len, unsigned flags,
                      bool borrowed)
{
    const npg_limits *lim = &ctx->limits;
    npg_npy_header h;
    npg_npy_fail f;
    int rc;
    if ((uint64_t)len > lim->max_input) {
        return doc_fail(doc, NPG_E_LIMIT_INPUT, 0, "input of %zu bytes is beyond limits.max_input", len);
    }
    if ((rc = npg__npy_preamble(buf, len, flags, lim, &h, &f))) return doc_fail(doc, rc, f.offset, "%s", f.diag.msg);
    if (h.data_offset > (uint64_t)len) {
        return doc_fail(doc, NPG_E_TRUNCATED, len, "input ends inside the header (%llu bytes declared, %zu present)",
                        (unsigned long long)h.header_len, len - h.prefix_len);
    }
    if ((rc = npg__npy_parse_header(&doc->arena, lim, buf, len, &h, &f)))
        return doc_fail(doc, rc, f.offset, "%s", f.diag.msg);
    doc->npy_major = h.major;
    doc->npy_minor = h.minor;
    doc->data_offset = h.data_offset;
    /* what an older NumPy wrote differently is accepted; a scan says so (info) */
    if ((flags & NPG_SCAN) && (rc = npg__npy_note_legacy(doc, lim->max_findings, &h.legacy)))
        return doc_fail(doc, rc, 0, "out of memory for the findings");
    if (h.dtype->flags & NPG_DT_HAS_OBJECT) return load_objects(doc, ctx, buf, len, flags, &h);

    uint64_t have = (uint64_t)len - h.data_offset;
    if (have < h.nbytes) {
        return doc_fail(doc, NPG_E_TRUNCATED, len, "array data is %llu bytes, the header implies %llu",
                        (unsigned long long)have, (unsigned long long)h.nbytes);
    }
    if (have > h.nbytes) {
        /* NumPy ignores bytes after the array: room for a second file in the same bytes */
        return doc_fail(doc, NPG_E_TRAILING, h.data_offset + h.nbytes, "%llu bytes after the array data",
                        (unsigned long long)(have - h.nbytes));
    }
    const uint8_t *data = buf + (size_t)h.data_offset;
    if ((flags & NPG_NPY_CHECK_VALUES) && (rc = check_bools(doc, &h, data))) return rc;
    npg_value *root = npg__npy_array_value(&doc->arena, &h, data, borrowed);
    if (!root) return doc_fail(doc, doc->mem.status ? doc->mem.status : NPG_E_NOMEM, 0, "out of memory");
    doc->root = root;
    doc->status = NPG_OK;
    return NPG_OK;
}

NPG_API int npg_npy_load(const npg_ctx *ctx, const uint8_t *buf, size_t len, unsigned flags,
                         npg_doc **out, npg_error *err)
{
    if (out) *out = NULL;
    if (!ctx || !out || (!buf && len) || (flags & ~(unsigned)NPG_NPY_LOAD_FLAGS)) {
        npg__error_plain(err, NPG_E_INVALID, "invalid argument");
        return NPG_E_INVALID;
    }
    npg_doc *doc = npg__doc_new(ctx);
    if (!doc) {
        npg__error_plain(err, NPG_E_NOMEM, "out of memory");
        return NPG_E_NOMEM;
    }
    int rc = npg__npy_load_doc(doc, ctx, buf, len, flags, true);
    return npg__doc_finish(doc, rc, flags, out, err);
}
