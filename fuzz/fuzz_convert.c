/* Fuzz target: pickle -> .npy/.npz conversion, with the code `npguard convert` runs: the
 * pickle is decoded by the restricted VM, its arrays are collected and keyed by the command's
 * own walk (src/cli/convert_walk.c, convert_keys.c), and the output bytes come from the
 * command's own producers (src/cli/convert_produce.c); only the files are left out.
 *
 * Checks: when the command would write, the .npz it produces passes npg_npz_validate, has one
 * member per array named "<key>.npy", and every member loads to the same dtype, shape, order and
 * bytes as the array it came from; with one array, the .npy produced loads to that array too.
 * Option byte: bit 0 NPG_PY2_BYTES, bit 1 deflate the .npz (convert --compress). */
#include <string.h>

#include "fuzz_common.h"
#include "convert.h"

static void check_npz(conv_job *job)
{
    fuzz_sink out = {NULL, 0, 0, 256u << 20};
    npg_error err;
    int rc = conv_produce_npz(job, fuzz_sink_write, &out, &err);
    if (rc != NPG_OK) { /* only a resource limit may stop the writer */
        fuzz_check_error(&err, UINT64_MAX);
        FUZZ_ASSERT(fuzz_is_resource_error(rc));
        free(out.p);
        return;
    }
    rc = npg_npz_validate(job->ctx, out.p, out.len, 0, &err);
    FUZZ_ASSERT(rc == NPG_OK || fuzz_is_resource_error(rc));
    npg_zip *zip = NULL;
    rc = npg_zip_open(job->ctx, out.p, out.len, 0, &zip, &err);
    FUZZ_ASSERT(rc == NPG_OK || fuzz_is_resource_error(rc));
    if (rc == NPG_OK) {
        FUZZ_ASSERT(npg_zip_count(zip) == job->n);
        for (size_t i = 0; i < job->n; i++) {
            const npg_zip_member *m = npg_zip_member_at(zip, i);
            size_t klen = strlen(job->e[i].key);
            FUZZ_ASSERT(strlen(m->name) == klen + 4 && memcmp(m->name, job->e[i].key, klen) == 0 &&
                        strcmp(m->name + klen, ".npy") == 0);
            npg_doc *doc = NULL;
            rc = npg_npz_load_member(zip, i, 0, &doc, &err);
            FUZZ_ASSERT(rc == NPG_OK || fuzz_is_resource_error(rc));
            if (rc == NPG_OK) FUZZ_ASSERT(fuzz_arrays_equal(job->e[i].array, npg_doc_root(doc)));
            npg_doc_free(doc);
        }
    }
    npg_zip_free(zip);
    free(out.p);
}

static void check_npy(conv_job *job)
{
    fuzz_sink out = {NULL, 0, 0, 256u << 20};
    npg_error err;
    npg_doc *doc = NULL;
    int rc = conv_produce_npy(&job->e[0], fuzz_sink_write, &out, &err);
    FUZZ_ASSERT(rc == NPG_OK || fuzz_is_resource_error(rc));
    if (rc == NPG_OK) {
        rc = npg_npy_load(job->ctx, out.p, out.len, 0, &doc, &err);
        FUZZ_ASSERT(rc == NPG_OK || fuzz_is_resource_error(rc));
        if (rc == NPG_OK) FUZZ_ASSERT(fuzz_arrays_equal(job->e[0].array, npg_doc_root(doc)));
    }
    npg_doc_free(doc);
    free(out.p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned opt;
    conv_job job;
    memset(&job, 0, sizeof job);
    job.ctx = fuzz_start(&data, &size, &opt);
    if (!job.ctx) return 0;
    job.compress = (opt & 2) != 0;
    npg_pickle_opts o = {(opt & 1) ? NPG_PY2_BYTES : 0, NULL, 0};
    npg_doc *doc = NULL;
    npg_error err;
    if (npg_pickle_load(job.ctx, data, size, &o, &doc, &err) == NPG_OK &&
        conv_walk_pickle(&job, npg_doc_root(doc), "fuzz") == EXIT_OK && job.n > 0 &&
        conv_check_unique(&job) == EXIT_OK) {
        for (size_t i = 0; i < job.n; i++) {
            const char *why = NULL;
            FUZZ_ASSERT(conv_array_ok(job.e[i].array, &why)); /* the walk keeps only these */
            FUZZ_ASSERT(strlen(job.e[i].key) > 0 && strlen(job.e[i].key) <= CONV_KEY_MAX);
        }
        check_npz(&job);
        if (job.n == 1) check_npy(&job);
    }
    for (size_t i = 0; i < job.n; i++) free(job.e[i].key);
    free(job.e);
    npg_doc_free(doc);
    npg_ctx_free(job.ctx);
    return 0;
}
