#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static int load(const char *path, unsigned flags, mapped *m, npg_doc **doc, npg_error *err, int *rc)
{
    if (cli_map_file(path, m) != 0) {
        fprintf(stderr, "npguard: cannot read %s: %s\n", path, strerror(errno));
        return EXIT_USAGE;
    }
    npg_ctx *ctx = npg_ctx_new(NULL);
    if (!ctx) {
        fprintf(stderr, "npguard: out of memory\n");
        cli_unmap_file(m);
        return EXIT_USAGE;
    }
    npg_pickle_opts opts = {flags, NULL, 0};
    *rc = npg_pickle_load(ctx, m->data, m->len, &opts, doc, err);
    npg_ctx_free(ctx);
    return 0;
}

/* npguard show FILE: decode with the restricted VM and print the value tree. */
int cmd_show(int argc, char **argv)
{
    if (argc != 1) return EXIT_USAGE;
    const char *path = argv[0];
    mapped m;
    npg_doc *doc = NULL;
    npg_error err;
    int rc, st = load(path, 0, &m, &doc, &err, &rc);
    if (st) return st;
    if (rc != NPG_OK) {
        cli_print_error(path, &err);
        cli_unmap_file(&m);
        return 1;
    }
    printf("%s: pickle protocol %d, %llu opcodes\n", path, npg_doc_protocol(doc),
           (unsigned long long)npg_doc_ops(doc));
    npg_value_print(npg_doc_root(doc), cli_write_file, stdout, 8);
    npg_doc_free(doc);
    cli_unmap_file(&m);
    return 0;
}

