/* Test driver for the report's string writers (src/cli/report_escape.c, report_global.c), used by
 * tests/cli/test_strings.py. The library only fills findings with exact globals once its side of
 * the change is in; this driver hands the writers any bytes, so their rules are checked on their
 * own, whatever the library produces today.
 *
 *   strings_driver global MODULE_LEN TRUNCATED < BYTES   {"x": 0, "global": ..., ..., "global_truncated": ...}
 *   strings_driver legacy < TEXT                          the same for global_len 0 (an older library)
 *   strings_driver path < TEXT                            {"path": json_str(TEXT)}
 *   strings_driver terminal < TEXT                        text_path(TEXT) "\n" text_ascii(TEXT)
 *
 * TEXT stops at its first NUL, as a C string does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan_job.h"

enum { MAX_INPUT = 1 << 20 };

static const char *const keys[4] = {"global", "global_module", "global_name", "global_truncated"};

/* Standard input, NUL-terminated after its last byte; *n is its length. */
static char *read_all(size_t *n)
{
    char *buf = malloc(MAX_INPUT + 1);
    if (!buf) return NULL;
    *n = fread(buf, 1, MAX_INPUT, stdin);
    buf[*n] = '\0';
    return buf;
}

static void global_keys(const char *bytes, size_t len, size_t module_len, int truncated)
{
    npg_audit_finding f;
    memset(&f, 0, sizeof f);
    f.global = bytes;
    f.global_len = len;
    f.module_len = module_len;
    f.global_truncated = truncated;
    fputs("{\"x\": 0", stdout);
    json_global_keys(stdout, &f, keys);
    fputs("}\n", stdout);
}

static int usage(void)
{
    fputs("usage: strings_driver global MODULE_LEN TRUNCATED | legacy | path | terminal < BYTES\n", stderr);
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 2) return usage();
    size_t n;
    char *in = read_all(&n);
    if (!in) return 1;
    const char *mode = argv[1];
    int rc = 0;
    if (!strcmp(mode, "global") && argc == 4) {
        global_keys(in, n, strtoul(argv[2], NULL, 10), atoi(argv[3]));
    } else if (!strcmp(mode, "legacy")) {
        global_keys(in, 0, 0, 0);
    } else if (!strcmp(mode, "path")) {
        fputs("{\"path\": ", stdout);
        json_str(stdout, in);
        fputs("}\n", stdout);
    } else if (!strcmp(mode, "terminal")) {
        text_path(stdout, in);
        fputc('\n', stdout);
        text_ascii(stdout, in);
        fputc('\n', stdout);
    } else {
        rc = usage();
    }
    free(in);
    return rc;
}
