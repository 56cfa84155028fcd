/* Fuzz target: the pickle VM in decode mode, scan mode and disassembly over the same input.
 *
 * Beyond "no crash", it checks what the library promises:
 *  - scan says ok (status NPG_OK, no finding above info) exactly when decode succeeds, and so
 *    does the disassembler's status (all three are the same VM);
 *  - every error and finding offset lies within the input, and no error is NPG_E_INTERNAL;
 *  - a decoded tree has only allowed kinds; an array's data length equals itemsize times the
 *    product of its shape, and borrowed data lies inside the input or an out-of-band buffer.
 * Option byte (the first): bit 0 NPG_PY2_BYTES, bit 1 NPG_ALLOW_TRAILING, bit 2 out-of-band
 * buffers, bit 3 also disassemble. */
#include <string.h>

#include "fuzz_common.h"

static const uint8_t oob0[] = {1, 2, 3, 4, 5, 6, 7, 8};

static int decode(const npg_ctx *ctx, const uint8_t *data, size_t size, const npg_pickle_opts *o,
                  const fuzz_region *regions, size_t nregions)
{
    npg_doc *doc = NULL;
    npg_error err;
    int rc = npg_pickle_load(ctx, data, size, o, &doc, &err);
    if (rc == NPG_OK) {
        FUZZ_ASSERT(doc && npg_doc_root(doc));
        FUZZ_ASSERT(npg_doc_end(doc) <= size);
        fuzz_check_tree(npg_doc_root(doc), regions, nregions);
        npg_value_print(npg_doc_root(doc), fuzz_discard, NULL, 4);
    } else {
        FUZZ_ASSERT(doc == NULL);
        fuzz_check_error(&err, size);
    }
    npg_doc_free(doc);
    return rc;
}

/* Scan status, and whether a finding refuses the pickle. */
static int scan(const npg_ctx *ctx, const uint8_t *data, size_t size, const npg_pickle_opts *o, int *refused)
{
    npg_doc *doc = NULL;
    npg_error err;
    int rc = npg_pickle_load(ctx, data, size, o, &doc, &err);
    *refused = 0;
    if (rc != NPG_OK) fuzz_check_error(&err, size);
    if (!doc) return rc;
    size_t n, total;
    const npg_finding *f = npg_doc_findings(doc, &n, &total);
    FUZZ_ASSERT(total >= n);
    for (size_t i = 0; i < n; i++) {
        FUZZ_ASSERT(f[i].offset <= size);
        *refused |= f[i].severity > NPG_SEV_INFO;
    }
    npg_doc_free(doc);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned opt;
    npg_ctx *ctx = fuzz_start(&data, &size, &opt);
    if (!ctx) return 0;
    npg_buffer bufs[2] = {{oob0, 8, 0}, {oob0, 4, 1}};
    fuzz_region regions[2] = {{data, size}, {oob0, sizeof oob0}};
    unsigned flags = ((opt & 1) ? NPG_PY2_BYTES : 0) | ((opt & 2) ? NPG_ALLOW_TRAILING : 0);
    npg_pickle_opts dopt = {flags, (opt & 4) ? bufs : NULL, (opt & 4) ? 2 : 0};
    npg_pickle_opts sopt = dopt;
    sopt.flags |= NPG_SCAN;

    int rc = decode(ctx, data, size, &dopt, regions, 2);
    int refused, src = scan(ctx, data, size, &sopt, &refused);
    /* the promise: scan ok <=> decode ok (resource limits aside: both hit the same ones) */
    if (!fuzz_is_resource_error(src) && !fuzz_is_resource_error(rc))
        FUZZ_ASSERT((src == NPG_OK && !refused) == (rc == NPG_OK));
    if ((opt & 8) && !(opt & 4)) { /* the disassembler takes no out-of-band buffers */
        npg_error err;
        int drc = npg_pickle_disassemble(ctx, data, size, flags | NPG_SCAN, fuzz_discard, NULL, &err);
        if (drc != NPG_OK) fuzz_check_error(&err, size);
        if (!fuzz_is_resource_error(drc) && !fuzz_is_resource_error(rc)) FUZZ_ASSERT((drc == NPG_OK) == (rc == NPG_OK));
    }
    npg_ctx_free(ctx);
    return 0;
}
