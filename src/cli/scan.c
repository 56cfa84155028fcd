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

/* npguard scan FILE...: run the VM in scan mode and list every finding (pickles only for now). */
int cmd_scan(int argc, char **argv)
{
    int worst = 0;
    for (int i = 0; i < argc; i++) {
        mapped m;
        npg_doc *doc = NULL;
        npg_error err;
        int rc, st = load(argv[i], NPG_SCAN, &m, &doc, &err, &rc);
        if (st) {
            worst = 2;
            continue;
        }
        size_t n, total;
        const npg_finding *f = npg_doc_findings(doc, &n, &total);
        int unsafe = 0;
        for (size_t k = 0; k < n; k++) unsafe |= f[k].severity > NPG_SEV_INFO;
        printf("%s: %s\n", argv[i], unsafe ? "unsafe" : rc != NPG_OK ? "invalid" : "ok");
        for (size_t k = 0; k < n; k++)
            if (f[k].severity > NPG_SEV_INFO)
                printf("  %s %-8s offset %llu: %s\n", npg_rule_id(f[k].rule), npg_severity_name(f[k].severity),
                       (unsigned long long)f[k].offset, f[k].message);
        if (rc != NPG_OK) cli_print_error(argv[i], &err);
        if ((unsafe || rc != NPG_OK) && worst < 1) worst = 1;
        npg_doc_free(doc);
        cli_unmap_file(&m);
    }
    return worst;
}

