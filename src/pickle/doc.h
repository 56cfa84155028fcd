/* The document: everything one load produced (values, dtypes, findings, copied bytes), owned
 * by one arena and freed in one call. Pickle, .npy and .npz-member loads all return one. */
#ifndef NPG_DOC_H
#define NPG_DOC_H

#include "../common/alloc.h"
#include "../common/ctx.h"
#include "npguard.h"

struct npg_doc {
    npg_mem mem; /* the budget; the doc struct itself is allocated outside it */
    npg_arena arena;
    const npg_value *root;
    npg_finding *findings; /* arena */
    size_t nfindings, findings_cap, findings_total;
    uint64_t end;
    uint64_t ops;
    int protocol;
    int status;
    npg_error err;
    /* .npy documents */
    int npy_major, npy_minor; /* 0 for pickles */
    uint64_t data_offset;
};

/* A new, empty document using the context's allocator and max_alloc; NULL when out of memory. */
npg_doc *npg__doc_new(const npg_ctx *ctx);
/* Fill err for a failure that has no document (bad arguments, no memory for one). */
void npg__error_plain(npg_error *err, int code, const char *msg);
/* The end of every public load: copy the document's error into err, then hand the document
 * out (success, or any result in scan mode) or free it (a failed decode). Returns rc. */
int npg__doc_finish(npg_doc *doc, int rc, unsigned flags, npg_doc **out, npg_error *err);

#endif
