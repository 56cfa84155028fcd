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

static void *fail_malloc(void *ud, size_t n)
{
    tu_failing *f = ud;
    if (f->left == 0) return f->failed = true, NULL;
    if (f->left > 0) f->left--;
    f->live++;
    return malloc(n);
}

static void *fail_realloc(void *ud, void *p, size_t old, size_t n)
{
    tu_failing *f = ud;
    (void)old;
    if (f->left == 0) return f->failed = true, NULL;
    if (f->left > 0) f->left--;
    if (!p) f->live++;
    return realloc(p, n);
}

static void fail_free(void *ud, void *p, size_t n)
{
    tu_failing *f = ud;
    (void)n;
    if (p) f->live--;
    free(p);
}

npg_alloc tu_failing_alloc(tu_failing *f)
{
    npg_alloc a = {fail_malloc, fail_realloc, fail_free, f};
    return a;
}
