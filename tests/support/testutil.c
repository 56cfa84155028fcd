#include "testutil.h"

#include <stdarg.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

const char *tu_data_path(const char *rel)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/%s", NPG_TEST_DATA, rel);
    return path;
}

uint8_t *tu_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) fail_msg("cannot read %s", path);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

int tu_load_limits(const uint8_t *buf, size_t len, unsigned flags, const npg_limits *lim,
                   npg_doc **doc, npg_error *err)
{
    npg_ctx *ctx = npg_ctx_new(NULL);
    if (!ctx) fail_msg("npg_ctx_new");
    if (lim && npg_ctx_set_limits(ctx, lim) != NPG_OK) fail_msg("npg_ctx_set_limits");
    npg_pickle_opts opts = {flags, NULL, 0};
    memset(err, 0xff, sizeof *err);
    *doc = NULL;
    int rc = npg_pickle_load(ctx, buf, len, &opts, doc, err);
    npg_ctx_free(ctx);
    return rc;
}

int tu_load(const uint8_t *buf, size_t len, unsigned flags, npg_doc **doc, npg_error *err)
{
    return tu_load_limits(buf, len, flags, NULL, doc, err);
}
