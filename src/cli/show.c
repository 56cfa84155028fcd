/* npguard show FILE: a safe, readable view of what a file holds. The format comes from the
 * file's first bytes, never its name: a pickle is decoded by the restricted VM and printed as a
 * tree, a .npy shows its header and a preview, a .npz a table of its members. Anything refused or
 * malformed prints the library's error and exits 1. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static int show_pickle(const char *path, const npg_ctx *ctx, const mapped *m)
{
    npg_doc *doc = NULL;
    npg_error err;
    if (npg_pickle_load(ctx, m->data, m->len, NULL, &doc, &err) != NPG_OK) {
        cli_print_error(path, &err);
        return EXIT_FINDINGS;
    }
    printf("%s: pickle protocol %d, %llu opcodes\n", path, npg_doc_protocol(doc),
           (unsigned long long)npg_doc_ops(doc));
    npg_value_print(npg_doc_root(doc), cli_write_file, stdout, 8);
    npg_doc_free(doc);
    return EXIT_OK;
}

static int show_mapped(const char *path, const npg_ctx *ctx, const mapped *m)
{
    switch (cli_sniff(m->data, m->len)) {
    case NPG_FMT_EMPTY: fprintf(stderr, "%s: empty file\n", path); return EXIT_FINDINGS;
    case NPG_FMT_NPY: return cli_show_npy(path, ctx, m);
    case NPG_FMT_ZIP: return cli_show_npz(path, ctx, m);
    default: return show_pickle(path, ctx, m);
    }
}

int cmd_show(int argc, char **argv)
{
    if (argc != 1) return EXIT_USAGE;
    return cli_run_on_file(argv[0], show_mapped);
}
