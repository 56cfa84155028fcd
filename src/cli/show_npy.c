/* show for .npy files: the header as the validator read it, then a preview of the values. */
#include <stdio.h>

#include "cli.h"

int cli_show_npy(const char *path, const npg_ctx *ctx, const mapped *m)
{
    npg_doc *doc = NULL;
    npg_error err;
    if (npg_npy_load(ctx, m->data, m->len, 0, &doc, &err) != NPG_OK) {
        cli_print_error(path, &err);
        return EXIT_FINDINGS;
    }
    const npg_value *a = npg_doc_root(doc);
    int major = 0, minor = 0;
    npg_doc_npy_version(doc, &major, &minor);
    uint64_t off = npg_doc_data_offset(doc);
    char dtype[96], shape[400];
    cli_array_desc(a, dtype, sizeof dtype, shape, sizeof shape);
    printf("%s: .npy version %d.%d, header of %llu bytes, %llu data bytes\n", path, major, minor,
           (unsigned long long)off, (unsigned long long)(m->len - off));
    printf("  dtype %s, fortran_order %s, shape %s, %llu elements\n", dtype,
           npg_array_fortran(a) ? "True" : "False", shape, (unsigned long long)npg_array_size(a));
    npg_value_print(a, cli_write_file, stdout, 8);
    npg_doc_free(doc);
    return EXIT_OK;
}
