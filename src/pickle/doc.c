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

void npg__doc_add_next_start(npg_doc *doc, uint64_t pos)
{
    for (unsigned i = 0; i < doc->nnext; i++)
        if (doc->next_starts[i] == pos) return;
    if (doc->nnext == NPG_NEXT_STARTS_MAX) doc->next_lost = true;
    else doc->next_starts[doc->nnext++] = pos;
}
NPG_API int npg_doc_protocol(const npg_doc *doc) { return doc ? doc->protocol : 0; }
NPG_API uint64_t npg_doc_ops(const npg_doc *doc) { return doc ? doc->ops : 0; }
NPG_API uint64_t npg_doc_alloc_bytes(const npg_doc *doc) { return doc ? doc->mem.peak : 0; }

NPG_API int npg_doc_status(const npg_doc *doc, npg_error *err)
{
    if (!doc) return NPG_E_INVALID;
    if (err) *err = doc->err;
    return doc->status;
}

static char *copy_bytes(npg_arena *arena, const char *s, size_t n)
{
    char *d = npg__arena_alloc(arena, n + 1);
    if (d) {
        if (n) memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

int npg__doc_add_finding(npg_doc *doc, size_t max_findings, const npg_finding *f)
{
    doc->findings_total++;
    if (doc->nfindings >= max_findings) return NPG_OK;
    if (doc->nfindings == doc->findings_cap) {
        size_t cap = doc->findings_cap ? doc->findings_cap * 2 : 16;
        if (cap > max_findings) cap = max_findings;
        npg_finding *grown = npg__arena_grow(&doc->arena, doc->findings, doc->findings_cap * sizeof *grown,
                                             cap * sizeof *grown);
        if (!grown) return doc->mem.status != NPG_OK ? doc->mem.status : NPG_E_NOMEM;
        doc->findings = grown;
        doc->findings_cap = cap;
    }
    npg_finding *d = &doc->findings[doc->nfindings];
    *d = *f;
    d->message = copy_bytes(&doc->arena, f->message ? f->message : "", f->message ? strlen(f->message) : 0);
    if (f->global) {
        size_t n = f->global_len;
        /* a pair can be as long as the input (STACK_GLOBAL of a 1 GB str, named by 10,000
         * findings through the memo): keep a bounded, marked prefix */
        if (n > NPG_GLOBAL_MAX) n = NPG_GLOBAL_MAX, d->global_truncated = 1;
        d->global = copy_bytes(&doc->arena, f->global, n);
        d->global_len = n;
        if (d->module_len > n) d->module_len = n;
    }
    if (!d->message || (f->global && !d->global))
        return doc->mem.status != NPG_OK ? doc->mem.status : NPG_E_NOMEM;
    doc->nfindings++;
    return NPG_OK;
}

static bool same_finding(const npg_finding *a, const npg_finding *b)
{
    if (a->offset != b->offset || a->rule != b->rule || a->opcode != b->opcode || a->status != b->status) return false;
    if (!a->global || !b->global) return a->global == b->global;
    size_t n = b->global_len > NPG_GLOBAL_MAX ? NPG_GLOBAL_MAX : b->global_len;
    return a->global_len == n && memcmp(a->global, b->global, n) == 0;
}

bool npg__doc_has_finding(const npg_doc *doc, const npg_finding *f)
{
    /* the first reading's findings are in offset order: search them, then the few added since */
    size_t lo = 0, hi = doc->nprimary < doc->nfindings ? doc->nprimary : doc->nfindings;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (doc->findings[mid].offset < f->offset) lo = mid + 1;
        else hi = mid;
    }
    for (size_t i = lo; i < doc->nprimary && i < doc->nfindings && doc->findings[i].offset == f->offset; i++)
        if (same_finding(&doc->findings[i], f)) return true;
    for (size_t i = doc->nprimary; i < doc->nfindings; i++)
        if (same_finding(&doc->findings[i], f)) return true;
    return false;
}

void npg__doc_sort_findings(npg_doc *doc)
{
    /* insertion sort from the end of the ordered prefix: later readings add few findings */
    for (size_t i = doc->nprimary; i < doc->nfindings; i++) {
        npg_finding f = doc->findings[i];
        size_t j = i;
        while (j > 0 && doc->findings[j - 1].offset > f.offset) {
            doc->findings[j] = doc->findings[j - 1];
            j--;
        }
        doc->findings[j] = f;
    }
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
