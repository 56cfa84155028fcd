/* npguard dis FILE: the library's pickle disassembly (npg_pickle_disassemble), run in scan mode
 * so that every refused import and call is listed on its opcode's line and the listing goes on
 * past it. Exit 0 for a pickle that would decode, 1 for an unsafe or malformed one. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static int dis_mapped(const char *path, const npg_ctx *ctx, const mapped *m)
{
    npg_format f = cli_sniff(m->data, m->len);
    if (f == NPG_FMT_NPY || f == NPG_FMT_ZIP) { /* said plainly, rather than as a bad opcode */
        fprintf(stderr, "%s: a %s file, not a pickle (see npguard show)\n", path, f == NPG_FMT_NPY ? ".npy" : "zip");
        return EXIT_FINDINGS;
    }
    npg_error err;
    printf("%s: %zu bytes\n", path, m->len);
    int rc = npg_pickle_disassemble(ctx, m->data, m->len, NPG_SCAN, cli_write_file, stdout, &err);
    if (rc != NPG_OK) cli_print_error(path, &err);
    if (rc == NPG_E_INVALID) return EXIT_USAGE; /* stdout failed */
    return rc == NPG_OK ? EXIT_OK : EXIT_FINDINGS;
}

int cmd_dis(int argc, char **argv)
{
    if (argc != 1) return EXIT_USAGE;
    return cli_run_on_file(argv[0], dis_mapped);
}
