/* show for .npz files: one row per member (name, dtype, shape, order, method, sizes), each
 * member loaded by the library; then the whole archive is validated, which is the verdict. */
#include <stdio.h>

#include "cli.h"

static void member_row(const npg_zip *zip, size_t i, int *bad)
{
    const npg_zip_member *mb = npg_zip_member_at(zip, i);
    npg_doc *doc = NULL;
    npg_error err;
    char dtype[96] = "?", shape[400] = "?", order[2] = "?";
    int rc = npg_npz_load_member(zip, i, 0, &doc, &err);
    if (rc == NPG_OK) {
        cli_array_desc(npg_doc_root(doc), dtype, sizeof dtype, shape, sizeof shape);
        order[0] = npg_array_fortran(npg_doc_root(doc)) ? 'F' : 'C';
    }
    printf("  %-28s %-8s %-20s %-5s %-8s %12llu %12llu", mb->name, dtype, shape, order,
           mb->method == 8 ? "deflate" : "stored", (unsigned long long)mb->usize,
           (unsigned long long)mb->csize);
    if (rc != NPG_OK) printf("  error %s: %s", npg_status_name(err.code), err.message);
    printf("\n");
    *bad |= rc != NPG_OK;
    npg_doc_free(doc);
}

int cli_show_npz(const char *path, const npg_ctx *ctx, const mapped *m)
{
    npg_zip *zip = NULL;
    npg_error err;
    if (npg_zip_open(ctx, m->data, m->len, 0, &zip, &err) != NPG_OK) {
        cli_print_error(path, &err);
        return EXIT_FINDINGS;
    }
    size_t n = npg_zip_count(zip);
    int bad = 0;
    printf("%s: .npz (zip), %zu member%s\n", path, n, n == 1 ? "" : "s");
    printf("  %-28s %-8s %-20s %-5s %-8s %12s %12s\n", "member", "dtype", "shape", "order", "method",
           "size", "compressed");
    for (size_t i = 0; i < n; i++) member_row(zip, i, &bad);
    npg_zip_free(zip);
    if (npg_npz_validate(ctx, m->data, m->len, 0, &err) != NPG_OK) {
        cli_print_error(path, &err);
        bad = 1;
    }
    return bad ? EXIT_FINDINGS : EXIT_OK;
}
