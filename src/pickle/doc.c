/* The document returned by npg_pickle_load: root, findings, and its release. */
#include <stdio.h>
#include <string.h>

#include "vm.h"

npg_doc *npg__doc_new(const npg_ctx *ctx)
{
    npg_doc *doc = ctx->alloc.malloc(ctx->alloc.ud, sizeof *doc);
    if (!doc) return NULL;
    memset(doc, 0, sizeof *doc);
    npg__mem_init(&doc->mem, &ctx->alloc, ctx->limits.max_alloc);
    npg__arena_init(&doc->arena, &doc->mem);
    doc->err.opcode = -1;
    return doc;
}

NPG_API int npg_doc_npy_version(const npg_doc *doc, int *major, int *minor)
{
    if (!doc || !doc->npy_major) return NPG_E_INVALID;
    if (major) *major = doc->npy_major;
    if (minor) *minor = doc->npy_minor;
    return NPG_OK;
}

NPG_API uint64_t npg_doc_data_offset(const npg_doc *doc) { return doc ? doc->data_offset : 0; }

NPG_API void npg_doc_free(npg_doc *doc)
{
    if (!doc) return;
    npg__arena_release(&doc->arena);
    npg_alloc hooks = doc->mem.hooks;
    hooks.free(hooks.ud, doc, sizeof *doc);
}

NPG_API const npg_value *npg_doc_root(const npg_doc *doc) { return doc ? doc->root : NULL; }

NPG_API const npg_finding *npg_doc_findings(const npg_doc *doc, size_t *count, size_t *total)
{
    if (count) *count = doc ? doc->nfindings : 0;
    if (total) *total = doc ? doc->findings_total : 0;
    return doc ? doc->findings : NULL;
}

NPG_API uint64_t npg_doc_end(const npg_doc *doc) { return doc ? doc->end : 0; }
NPG_API int npg_doc_protocol(const npg_doc *doc) { return doc ? doc->protocol : 0; }
NPG_API uint64_t npg_doc_ops(const npg_doc *doc) { return doc ? doc->ops : 0; }
NPG_API uint64_t npg_doc_alloc_bytes(const npg_doc *doc) { return doc ? doc->mem.peak : 0; }

NPG_API int npg_doc_status(const npg_doc *doc, npg_error *err)
{
    if (!doc) return NPG_E_INVALID;
    if (err) *err = doc->err;
    return doc->status;
}

void npg__error_plain(npg_error *err, int code, const char *msg)
{
    if (!err) return;
    memset(err, 0, sizeof *err);
    err->code = code;
    err->opcode = -1;
    snprintf(err->message, sizeof err->message, "%s", msg);
}

int npg__doc_finish(npg_doc *doc, int rc, unsigned flags, npg_doc **out, npg_error *err)
{
    if (err) {
        *err = doc->err;
        if (rc == NPG_OK) memset(err, 0, sizeof *err), err->opcode = -1;
    }
    /* decode mode returns a document only on success; scan mode always, so that the findings
     * seen before an error can be read */
    if (rc != NPG_OK && !(flags & NPG_SCAN)) {
        npg_doc_free(doc);
        return rc;
    }
    *out = doc;
    return rc;
}
