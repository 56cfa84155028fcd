/* The allowlist documented in README.md and the VM's own table must be the same set, so the
 * documentation cannot drift from what the VM accepts. Also: every documented global is
 * resolved to a symbol, and a few near-misses are not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pickle/globals.h"
#include "testutil.h"

typedef struct row {
    char module[128], name[128], rebuilds[256];
} row;

/* Rows "| `module` | `name` | ..." between the allowlist markers of README.md. */
static size_t readme_rows(row *rows, size_t cap)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/../../README.md", NPG_TEST_DATA);
    size_t len;
    uint8_t *text = tu_read_file(path, &len);
    char *s = (char *)realloc(text, len + 1);
    assert_non_null(s);
    s[len] = '\0';
    char *begin = strstr(s, "<!-- allowlist:begin -->"), *end = strstr(s, "<!-- allowlist:end -->");
    assert_non_null(begin);
    assert_non_null(end);
    size_t n = 0;
    for (char *line = begin; line && line < end; line = strchr(line + 1, '\n')) {
        char m[128], nm[128], rb[256] = "";
        if (sscanf(line, "\n| `%127[^`]` | `%127[^`]` | %255[^\n]", m, nm, rb) >= 2) {
            assert_true(n < cap);
            snprintf(rows[n].module, sizeof rows[n].module, "%s", m);
            snprintf(rows[n].name, sizeof rows[n].name, "%s", nm);
            snprintf(rows[n].rebuilds, sizeof rows[n].rebuilds, "%s", rb);
            n++;
        }
    }
    free(s);
    return n;
}

static void test_readme_matches_vm_table(void **state)
{
    (void)state;
    row rows[256];
    size_t n = readme_rows(rows, 256), count;
    const npg_allow_row *table = npg__allowlist(&count);
    assert_true(n > 0);
    assert_int_equal(n, count);
    for (size_t i = 0; i < count; i++) {
        int found = 0;
        for (size_t j = 0; j < n; j++)
            found |= strcmp(rows[j].module, table[i].module) == 0 && strcmp(rows[j].name, table[i].name) == 0;
        if (!found) fail_msg("%s.%s is allowed by the VM but not in README.md", table[i].module, table[i].name);
    }
    for (size_t j = 0; j < n; j++) {
        npg_symbol s = npg__lookup_global((const uint8_t *)rows[j].module, strlen(rows[j].module),
                                          (const uint8_t *)rows[j].name, strlen(rows[j].name));
        if (s == SYM_NONE) fail_msg("README.md lists %s.%s but the VM refuses it", rows[j].module, rows[j].name);
    }
}

/* The closed set of reconstructors: every symbol the VM knows is reached by some allowlist row
 * (no reconstructor hides outside the documented table), and the README's "rebuilds" column
 * says which rows are callable: calling a "class tag" or "argument" row with REDUCE is refused
 * as a class tag, and calling any other row reaches its reconstructor (which either builds the
 * value or refuses the argument shape, never as a class tag). */
static void test_reconstructors_match_readme(void **state)
{
    (void)state;
    size_t count, n;
    const npg_allow_row *table = npg__allowlist(&count);
    for (int sym = SYM_NONE + 1; sym < SYM_COUNT; sym++) {
        int reached = 0;
        for (size_t i = 0; i < count; i++) reached |= table[i].sym == (npg_symbol)sym;
        if (!reached) fail_msg("symbol %s has no allowlist row", npg__symbol_name((npg_symbol)sym));
    }
    row rows[256];
    n = readme_rows(rows, 256);
    npg_ctx *ctx = npg_ctx_new(NULL);
    assert_non_null(ctx);
    for (size_t j = 0; j < n; j++) {
        /* PROTO 2, GLOBAL module\nname\n, EMPTY_TUPLE, REDUCE, STOP */
        char pk[300];
        int len = snprintf(pk, sizeof pk, "\x80\x02" "c%s\n%s\n)R.", rows[j].module, rows[j].name);
        npg_doc *doc = NULL;
        npg_error err;
        int rc = npg_pickle_load(ctx, (const uint8_t *)pk, (size_t)len, NULL, &doc, &err);
        int tag = strstr(rows[j].rebuilds, "class tag") != NULL || strstr(rows[j].rebuilds, "argument of") != NULL;
        int refused_as_tag = rc == NPG_E_CALL && strstr(err.message, "is a class tag") != NULL;
        if (tag != refused_as_tag)
            fail_msg("%s.%s: README says '%s' but REDUCE gives %s (%s)", rows[j].module, rows[j].name,
                     rows[j].rebuilds, npg_status_name(rc), rc == NPG_OK ? "built" : err.message);
        npg_doc_free(doc);
    }
    npg_ctx_free(ctx);
}

static npg_symbol look(const char *m, const char *n)
{
    return npg__lookup_global((const uint8_t *)m, strlen(m), (const uint8_t *)n, strlen(n));
}

static void test_near_misses_refused(void **state)
{
    (void)state;
    assert_int_equal(look("numpy", "dtype"), SYM_NP_DTYPE);
    assert_int_equal(look("numpy", "dtypes"), SYM_NONE);
    assert_int_equal(look("numpy ", "dtype"), SYM_NONE);
    assert_int_equal(look("numpy.core", "multiarray"), SYM_NONE);
    assert_int_equal(look("numpy.core.multiarray", "_reconstruct\n"), SYM_NONE);
    assert_int_equal(look("builtins", "getattr"), SYM_NONE);
    assert_int_equal(look("numpy", "load"), SYM_NONE);
    assert_int_equal(look("numpy.testing._private.utils", "runstring"), SYM_NONE);
    assert_int_equal(look("os", "system"), SYM_NONE);
    assert_int_equal(look("", ""), SYM_NONE);
    /* the embedded NUL must not truncate the comparison */
    assert_int_equal(npg__lookup_global((const uint8_t *)"numpy\0x", 7, (const uint8_t *)"dtype", 5), SYM_NONE);
}

static void test_severity(void **state)
{
    (void)state;
    assert_int_equal(npg_global_severity("os", 2, "system", 6), NPG_SEV_CRITICAL);
    assert_int_equal(npg_global_severity("os.path", 7, "join", 4), NPG_SEV_CRITICAL);
    assert_int_equal(npg_global_severity("osx", 3, "thing", 5), NPG_SEV_HIGH);
    assert_int_equal(npg_global_severity("builtins", 8, "eval", 4), NPG_SEV_CRITICAL);
    assert_int_equal(npg_global_severity("__builtin__", 11, "getattr", 7), NPG_SEV_CRITICAL);
    assert_int_equal(npg_global_severity("builtins", 8, "print", 5), NPG_SEV_HIGH);
    assert_int_equal(npg_global_severity("numpy", 5, "dtype", 5), NPG_SEV_INFO);
    assert_int_equal(npg_global_severity("__main__", 8, "Point", 5), NPG_SEV_HIGH);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_readme_matches_vm_table),
        cmocka_unit_test(test_reconstructors_match_readme),
        cmocka_unit_test(test_near_misses_refused),
        cmocka_unit_test(test_severity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
