/* The document: everything one load produced (values, dtypes, findings, copied bytes), owned
 * by one arena and freed in one call. Pickle, .npy and .npz-member loads all return one. */
#ifndef NPG_DOC_H
#define NPG_DOC_H

#include <stdbool.h>

#include "../common/alloc.h"
#include "../common/ctx.h"
#include "npguard.h"

#define NPG_NEXT_STARTS_MAX 4

struct npg_doc {
    npg_mem mem; /* the budget; the doc struct itself is allocated outside it */
    npg_arena arena;
    const npg_value *root;
    npg_finding *findings; /* arena */
    size_t nfindings, findings_cap, findings_total;
    uint64_t end;
    uint64_t ops;
    int protocol;
    uint64_t imports;      /* scan mode: find_class calls with a module name an import could find */
    size_t nprimary;       /* findings of the first reading; later readings add only new ones */
    /* scan mode: where else a pickle.load called again on the same file would start reading,
     * besides `end` (a STOP inside a frame read with read(): the file is at the frame's end; a
     * later reading of the frames that stopped elsewhere). next_lost: more than fit. */
    uint64_t next_starts[NPG_NEXT_STARTS_MAX];
    unsigned nnext;
    bool next_lost;
    int status;
    npg_error err;
    /* .npy documents */
    int npy_major, npy_minor; /* 0 for pickles */
    uint64_t data_offset;
};

/* True when buf[0..len) is a complete opcode stream: known opcodes with whole arguments, one or
 * more pickles, the last STOP at the very end (opstream.c). */
bool npg__pickle_complete(const uint8_t *buf, size_t len);

/* A new, empty document using the context's allocator and max_alloc; NULL when out of memory. */
npg_doc *npg__doc_new(const npg_ctx *ctx);
/* Fill err for a failure that has no document (bad arguments, no memory for one). */
void npg__error_plain(npg_error *err, int code, const char *msg);
/* Record a finding in the document: copies f->global (f->global_len bytes, cut at
 * NPG_GLOBAL_MAX with global_truncated set) and f->message into the document's arena. Every
 * finding is counted (findings_total); the first max_findings are kept. Returns NPG_OK, or
 * the allocation status (the caller decides what that ends). */
#define NPG_GLOBAL_MAX 4096
int npg__doc_add_finding(npg_doc *doc, size_t max_findings, const npg_finding *f);
/* True when the document holds a finding equal to f (offset, rule, opcode, status, global). */
bool npg__doc_has_finding(const npg_doc *doc, const npg_finding *f);
/* Note that a later pickle of the stream may start at pos (deduplicated; none when pos is the
 * first reading's end). */
void npg__doc_add_next_start(npg_doc *doc, uint64_t pos);
/* Order the findings by offset (stable). */
void npg__doc_sort_findings(npg_doc *doc);
/* The end of every public load: copy the document's error into err, then hand the document
 * out (success, or any result in scan mode) or free it (a failed decode). Returns rc. */
int npg__doc_finish(npg_doc *doc, int rc, unsigned flags, npg_doc **out, npg_error *err);

#endif
