/* The bytes of convert's outputs, from the library's writers (which write what np.save and
 * np.savez write): separate from the files they go to, so that the fuzz harness checks exactly
 * what the command publishes. */
#include <stdio.h>

#include "convert.h"

int conv_produce_npy(void *ud, npg_write_fn write, void *wud, npg_error *err)
{
    const npg_value *a = ((const conv_entry *)ud)->array;
    uint64_t len = 0;
    int borrowed;
    const uint8_t *data = npg_array_data(a, &len, &borrowed);
    return npg_npy_write_raw(npg_array_dtype(a), npg_array_ndim(a), npg_array_shape(a), npg_array_fortran(a),
                             data, len, write, wud, err);
}

int conv_produce_npz(void *ud, npg_write_fn write, void *wud, npg_error *err)
{
    const conv_job *job = ud;
    npg_npz_writer *w = NULL;
    int rc = npg_npz_writer_new(job->ctx, job->compress, write, wud, &w);
    for (size_t i = 0; rc == NPG_OK && i < job->n; i++) {
        const npg_value *a = job->e[i].array;
        uint64_t len = 0;
        int borrowed;
        const uint8_t *data = npg_array_data(a, &len, &borrowed);
        rc = npg_npz_writer_add(w, job->e[i].key, npg_array_dtype(a), npg_array_ndim(a), npg_array_shape(a),
                                npg_array_fortran(a), data, len, err);
    }
    if (rc == NPG_OK) rc = npg_npz_writer_finish(w, err);
    else if (!w && err) err->code = rc, snprintf(err->message, sizeof err->message, "cannot start the .npz writer");
    npg_npz_writer_free(w);
    return rc;
}
