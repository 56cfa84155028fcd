/* npg_npz_load_member: one .npz member as a .npy document. A stored member is validated in place
 * (zero-copy, like npg_npy_load on the archive's bytes); a deflated one is inflated into the
 * document first, under limits.max_alloc. Either way the CRC-32 is checked before the .npy is. */
#include <string.h>

#include "../common/checked.h"
#include "../pickle/doc.h"
#include "npy.h"
#include "npz_ctx.h"

typedef struct sink {
    uint8_t *p;
    size_t n, cap;
} sink;

/* npg_zip_read never hands out more than the declared size; the check keeps it so here. */
static int fill(void *ud, const void *data, size_t len)
{
    sink *s = ud;
    if (len > s->cap - s->n) return 1;
    if (len) memcpy(s->p + s->n, data, len);
    s->n += len;
    return 0;
}

static int discard(void *ud, const void *data, size_t len)
{
    (void)ud, (void)data, (void)len;
    return 0;
}

static int doc_error(npg_doc *doc, const npg_error *e)
{
    doc->err = *e;
    doc->status = e->code;
    doc->root = NULL;
    return e->code;
}

/* The member's bytes: the archive's own when stored, else inflated into the document. */
static int member_bytes(const npg_zip *zip, size_t i, npg_doc *doc, const uint8_t **p, size_t *n,
                        bool *borrowed)
{
    const npg_zip_member *m = npg_zip_member_at(zip, i);
    npg_error e;
    sink s = {NULL, 0, 0};
    if (m->method == 0) {
        uint64_t len;
        *p = npg_zip_stored_data(zip, i, &len);
        if (!*p || !npg__u64_to_sz(len, n)) {
            npg__npz_error(&e, NPG_E_INTERNAL, m->data_offset, m->name, "stored member without data");
            return doc_error(doc, &e);
        }
        *borrowed = true;
        return npg_zip_read(zip, i, discard, NULL, &e) == NPG_OK ? NPG_OK : doc_error(doc, &e);
    }
    if (!npg__u64_to_sz(m->usize, &s.cap) || m->usize > doc->mem.limit) {
        npg__npz_error(&e, NPG_E_LIMIT_ALLOC, m->header_offset, m->name,
                       "inflated member larger than limits.max_alloc");
        return doc_error(doc, &e);
    }
    s.p = npg__arena_alloc(&doc->arena, s.cap);
    if (!s.p) {
        npg__npz_error(&e, doc->mem.status ? doc->mem.status : NPG_E_NOMEM, m->header_offset, m->name,
                       "no memory for the inflated member");
        return doc_error(doc, &e);
    }
    if (npg_zip_read(zip, i, fill, &s, &e) != NPG_OK) return doc_error(doc, &e);
    *p = s.p;
    *n = s.n;
    *borrowed = false;
    return NPG_OK;
}

NPG_API int npg_npz_load_member(const npg_zip *zip, size_t i, unsigned flags, npg_doc **out,
                                npg_error *err)
{
    const npg_zip_member *m = npg_zip_member_at(zip, i);
    npg_ctx ctx;
    if (out) *out = NULL;
    if (!m || !out || (flags & ~NPG_NPY_LOAD_FLAGS)) {
        npg__npz_error(err, NPG_E_INVALID, 0, NULL, "invalid argument");
        return NPG_E_INVALID;
    }
    npg__npz_ctx(zip, &ctx);
    npg_doc *doc = npg__doc_new(&ctx);
    if (!doc) {
        npg__npz_error(err, NPG_E_NOMEM, 0, m->name, "out of memory");
        return NPG_E_NOMEM;
    }
    const uint8_t *p = NULL;
    size_t n = 0;
    bool borrowed = false;
    int rc = member_bytes(zip, i, doc, &p, &n, &borrowed);
    if (rc == NPG_OK) {
        /* offsets in .npy errors are offsets in the member's (uncompressed) bytes */
        rc = npg__npy_load_doc(doc, &ctx, p, n, flags, borrowed);
        if (rc != NPG_OK) npg__escape(doc->err.member, sizeof doc->err.member, m->name, strlen(m->name));
    }
    return npg__doc_finish(doc, rc, flags, out, err);
}
