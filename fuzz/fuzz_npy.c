/* Fuzz target: .npy validation (npg_npy_load), and the writer on what it accepts.
 *
 * Checks: errors in range and never internal; an accepted file's root is an array whose data
 * lies inside the input, exactly at the end of it, itemsize * prod(shape) bytes long (object
 * arrays: their pickle rebuilt a tree of allowed kinds); writing an accepted non-object array
 * back with npg_npy_write gives a file that loads again to the same dtype, shape, order and
 * bytes, and whose one-member .npz validates. In scan mode a document comes back on every error.
 * Option byte: bit 0 NPG_NPY_ALIGN16, bit 1 NPG_NPY_CHECK_VALUES, bit 2 NPG_SCAN,
 * bit 3 NPG_PY2_BYTES, bit 4 the .npz round trip deflated. */
#include <string.h>

#include "fuzz_common.h"

static void round_trip(const npg_ctx *ctx, const npg_value *a, int compress)
{
    fuzz_sink out = {NULL, 0, 0, 64u << 20};
    npg_error err;
    npg_doc *again = NULL;
    int rc = npg_npy_write(a, fuzz_sink_write, &out, &err);
    FUZZ_ASSERT(rc == NPG_OK);
    rc = npg_npy_load(ctx, out.p, out.len, 0, &again, &err);
    FUZZ_ASSERT(rc == NPG_OK);
    FUZZ_ASSERT(fuzz_arrays_equal(a, npg_doc_root(again)));
    npg_doc_free(again);

    fuzz_sink npz = {NULL, 0, 0, 64u << 20};
    npg_npz_writer *w = NULL;
    uint64_t len = 0;
    int borrowed;
    const uint8_t *d = npg_array_data(a, &len, &borrowed);
    FUZZ_ASSERT(npg_npz_writer_new(ctx, compress, fuzz_sink_write, &npz, &w) == NPG_OK);
    rc = npg_npz_writer_add(w, "a", npg_array_dtype(a), npg_array_ndim(a), npg_array_shape(a),
                            npg_array_fortran(a), d, len, &err);
    if (rc == NPG_OK) rc = npg_npz_writer_finish(w, &err);
    npg_npz_writer_free(w);
    FUZZ_ASSERT(rc == NPG_OK);
    rc = npg_npz_validate(ctx, npz.p, npz.len, 0, &err);
    FUZZ_ASSERT(rc == NPG_OK);
    free(out.p);
    free(npz.p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned opt;
    npg_ctx *ctx = fuzz_start(&data, &size, &opt);
    if (!ctx) return 0;
    unsigned flags = ((opt & 1) ? NPG_NPY_ALIGN16 : 0) | ((opt & 2) ? NPG_NPY_CHECK_VALUES : 0) |
                     ((opt & 4) ? NPG_SCAN : 0) | ((opt & 8) ? NPG_PY2_BYTES : 0);
    fuzz_region input = {data, size};
    npg_doc *doc = NULL;
    npg_error err;
    int rc = npg_npy_load(ctx, data, size, flags, &doc, &err);
    if (rc != NPG_OK) {
        fuzz_check_error(&err, size);
        FUZZ_ASSERT((flags & NPG_SCAN) ? doc != NULL || err.code == NPG_E_NOMEM : doc == NULL);
    } else {
        const npg_value *a = npg_doc_root(doc);
        size_t nfind = 0, total = 0;
        npg_doc_findings(doc, &nfind, &total);
        FUZZ_ASSERT(npg_doc_data_offset(doc) <= size);
        FUZZ_ASSERT(a != NULL);
        if (total > 0) { /* scan mode: refusals leave placeholders in an object array's pickle */
            FUZZ_ASSERT(flags & NPG_SCAN);
            npg_doc_free(doc);
            npg_ctx_free(ctx);
            return 0;
        }
        FUZZ_ASSERT(npg_value_kind(a) == NPG_ARRAY);
        fuzz_check_tree(a, &input, 1);
        if (!npg_dtype_has_object(npg_array_dtype(a))) {
            uint64_t len = 0;
            int borrowed = 0;
            const uint8_t *d = npg_array_data(a, &len, &borrowed);
            FUZZ_ASSERT(borrowed && d == data + npg_doc_data_offset(doc) && npg_doc_data_offset(doc) + len == size);
            round_trip(ctx, a, (opt & 16) != 0);
        }
    }
    npg_doc_free(doc);
    npg_ctx_free(ctx);
    return 0;
}
