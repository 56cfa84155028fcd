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
    char module[128], name[128];
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
        char m[128], nm[128];
        if (sscanf(line, "\n| `%127[^`]` | `%127[^`]` |", m, nm) == 2) {
            assert_true(n < cap);
            snprintf(rows[n].module, sizeof rows[n].module, "%s", m);
            snprintf(rows[n].name, sizeof rows[n].name, "%s", nm);
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
        cmocka_unit_test(test_near_misses_refused),
        cmocka_unit_test(test_severity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
