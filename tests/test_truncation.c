/* Every proper prefix of every pickle the VM accepts is refused with exactly NPG_E_TRUNCATED:
 * never another code, never a crash, never a read past the prefix. The full file is accepted.
 *
 * Inputs: every file in tests/data/numpy-pickles/ that decode mode accepts (protocol-5
 * out-of-band files with their buffer), and tests/data/hostile/valid_*.pkl (which must all be
 * accepted). Scan mode is checked on the same prefixes, and also on the hostile files whose scan
 * reaches STOP (refused in decode mode, but parseable): a cut there is NPG_E_TRUNCATED as well,
 * with the findings seen so far a prefix of the full file's findings. Decode mode is also run
 * with NPG_ALLOW_TRAILING (which must not turn a cut into anything else) on files up to 1 KiB.
 *
 * Each prefix is copied to the END of a heap block of the file's size, so AddressSanitizer flags
 * any read past the prefix. Files above 4 KiB are sampled (512 bytes at both ends fully, about 256
 * cuts in the middle) to keep the run within a few seconds. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "npguard.h"
#include "testutil.h"

enum { FULL_SWEEP_MAX = 4096, ENDS = 512, MIDDLE_SAMPLES = 256 };

typedef struct corpus_file {
    char rel[300];
    uint8_t *data;
    size_t len;
    uint8_t *oob; /* out-of-band buffer of a *_p5oob.pkl, or NULL */
    size_t oob_len;
} corpus_file;

static npg_ctx *g_ctx;
static int g_failures;
static size_t g_loads;

static int setup(void **state)
{
    (void)state;
    g_ctx = npg_ctx_new(NULL);
    return g_ctx ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    npg_ctx_free(g_ctx);
    return 0;
}

static int load(const corpus_file *f, const uint8_t *buf, size_t len, unsigned flags, npg_doc **doc,
                npg_error *err)
{
    npg_buffer b = {f->oob, f->oob_len, 0};
    npg_pickle_opts opts = {flags, f->oob ? &b : NULL, f->oob ? 1u : 0u};
    memset(err, 0x5a, sizeof *err);
    *doc = (npg_doc *)(uintptr_t)1;
    g_loads++;
    return npg_pickle_load(g_ctx, buf, len, &opts, doc, err);
}

__attribute__((format(printf, 3, 4)))
static void report(const corpus_file *f, size_t k, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (g_failures < 40) print_message("  FAIL %s, prefix %zu/%zu: %s\n", f->rel, k, f->len, msg);
    g_failures++;
}

static int printable_line(const char *s, size_t cap)
{
    size_t n = strnlen(s, cap);
    if (n == 0 || n == cap) return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e) return 0;
    return 1;
}

static int has_suffix(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

static int file_exists(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f) fclose(f);
    return f != NULL;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Files of tests/data/<dir> whose names start with prefix and end with suffix, sorted. */
static corpus_file *read_dir(const char *dir, const char *prefix, const char *suffix, size_t *count)
{
    DIR *d = opendir(tu_data_path(dir));
    assert_non_null(d);
    char *names[1024];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0 && has_suffix(e->d_name, suffix) && n < 1024)
            names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, n, sizeof *names, cmp_str);
    corpus_file *files = calloc(n ? n : 1, sizeof *files);
    assert_non_null(files);
    for (size_t i = 0; i < n; i++) {
        corpus_file *f = &files[i];
        snprintf(f->rel, sizeof f->rel, "%s/%s", dir, names[i]);
        f->data = tu_read_file(tu_data_path(f->rel), &f->len);
        if (has_suffix(names[i], "_p5oob.pkl")) {
            char brel[400];
            snprintf(brel, sizeof brel, "%s/%.*s.buf0.bin", dir, (int)(strlen(names[i]) - 4), names[i]);
            if (file_exists(tu_data_path(brel))) f->oob = tu_read_file(tu_data_path(brel), &f->oob_len);
        }
        free(names[i]);
    }
    *count = n;
    return files;
}

static void free_files(corpus_file *files, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(files[i].data);
        free(files[i].oob);
    }
    free(files);
}

static int sampled(size_t k, size_t n)
{
    size_t stride = (n / MIDDLE_SAMPLES) | 1; /* odd: hits every alignment */
    return n <= FULL_SWEEP_MAX || k < ENDS || k + ENDS >= n || k % stride == 0;
}

typedef struct full_result {
    int decode_ok, scan_ok;
    uint64_t scan_end;     /* just past the first STOP of the full scan */
    npg_finding *findings; /* copy of the full scan's findings (strings not kept) */
    size_t nfindings;
} full_result;

/* Load the full file in both modes. */
static full_result run_full(const corpus_file *f)
{
    full_result r = {0, 0, 0, NULL, 0};
    uint8_t *buf = malloc(f->len ? f->len : 1);
    assert_non_null(buf);
    memcpy(buf, f->data, f->len);
    npg_doc *doc;
    npg_error err;
    if (load(f, buf, f->len, 0, &doc, &err) == NPG_OK) {
        r.decode_ok = 1;
        npg_doc_free(doc);
    }
    if (load(f, buf, f->len, NPG_SCAN, &doc, &err) == NPG_OK) {
        r.scan_ok = 1;
        r.scan_end = npg_doc_end(doc);
        size_t n, total;
        const npg_finding *fs = npg_doc_findings(doc, &n, &total);
        r.findings = malloc((n ? n : 1) * sizeof *fs);
        assert_non_null(r.findings);
        if (n) memcpy(r.findings, fs, n * sizeof *fs);
        r.nfindings = n;
    }
    if (doc && doc != (npg_doc *)(uintptr_t)1) npg_doc_free(doc);
    free(buf);
    return r;
}

static void check_decode_prefix(const corpus_file *f, uint8_t *p, size_t k, unsigned flags)
{
    npg_doc *doc;
    npg_error err;
    int rc = load(f, p, k, flags, &doc, &err);
    if (rc != NPG_E_TRUNCATED) {
        report(f, k, "decode%s returned %s (%s at %llu)", flags ? "+ALLOW_TRAILING" : "", npg_status_name(rc),
               err.message, (unsigned long long)err.offset);
        if (rc == NPG_OK) npg_doc_free(doc);
        return;
    }
    if (doc) report(f, k, "decode error but *out != NULL");
    if (err.code != NPG_E_TRUNCATED || err.offset > k || !printable_line(err.message, sizeof err.message))
        report(f, k, "bad error detail: code %d offset %llu", err.code, (unsigned long long)err.offset);
    if (err.opcode != -1 && !npg_opcode_name(err.opcode)) report(f, k, "error opcode %d is not an opcode", err.opcode);
}

static void check_scan_prefix(const corpus_file *f, uint8_t *p, size_t k, const full_result *full)
{
    npg_doc *doc;
    npg_error err, st;
    int rc = load(f, p, k, NPG_SCAN, &doc, &err);
    if (!doc || doc == (npg_doc *)(uintptr_t)1) {
        report(f, k, "scan returned no document (%s)", npg_status_name(rc));
        return;
    }
    if (rc != NPG_E_TRUNCATED || npg_doc_status(doc, &st) != rc)
        report(f, k, "scan returned %s (%s at %llu)", npg_status_name(rc), err.message, (unsigned long long)err.offset);
    else if (st.offset > k || err.offset != st.offset)
        report(f, k, "scan error offset %llu", (unsigned long long)st.offset);
    if (npg_doc_root(doc)) report(f, k, "truncated scan has a root");
    size_t n, total;
    const npg_finding *fs = npg_doc_findings(doc, &n, &total);
    if (n > full->nfindings) {
        report(f, k, "%zu findings, the full file has %zu", n, full->nfindings);
    } else {
        for (size_t i = 0; i < n; i++)
            if (fs[i].offset != full->findings[i].offset || fs[i].rule != full->findings[i].rule ||
                fs[i].severity != full->findings[i].severity || fs[i].offset >= k) {
                report(f, k, "finding %zu differs from the full file's", i);
                break;
            }
    }
    npg_doc_free(doc);
}

/* Sweep the prefixes of one file. decode: also check decode mode; scan: also scan mode. */
static void sweep(const corpus_file *f, int decode, int scan, const full_result *full)
{
    size_t n = f->len;
    uint8_t *block = malloc(n ? n : 1);
    assert_non_null(block);
    for (size_t k = 0; k < n; k++) {
        if (!sampled(k, n)) continue;
        uint8_t *p = block + (n - k); /* the prefix ends where the heap block ends */
        memcpy(p, f->data, k);
        if (decode) {
            check_decode_prefix(f, p, k, 0);
            if (n <= 1024) check_decode_prefix(f, p, k, NPG_ALLOW_TRAILING);
        }
        /* a prefix holding the whole first pickle is one to CPython (it stops reading at STOP),
         * and scan mode reads what CPython reads: only shorter prefixes are truncated */
        if (scan && k < full->scan_end) check_scan_prefix(f, p, k, full);
    }
    free(block);
}

static void run_corpus(const char *dir, const char *prefix, int all_must_decode, size_t *swept_out)
{
    size_t n, swept = 0;
    corpus_file *files = read_dir(dir, prefix, ".pkl", &n);
    assert_true(n > 0);
    for (size_t i = 0; i < n; i++) {
        full_result full = run_full(&files[i]);
        if (all_must_decode && !full.decode_ok) report(&files[i], files[i].len, "the full file is refused");
        if (full.decode_ok && !full.scan_ok) report(&files[i], files[i].len, "decode accepts, scan does not");
        if (full.decode_ok || full.scan_ok) {
            sweep(&files[i], full.decode_ok, full.scan_ok, &full);
            swept++;
        }
        free(full.findings);
    }
    free_files(files, n);
    *swept_out = swept;
}

static void test_prefixes_numpy_pickles(void **state)
{
    (void)state;
    g_failures = 0;
    g_loads = 0;
    clock_t t0 = clock();
    size_t swept;
    run_corpus("numpy-pickles", "", 0, &swept);
    print_message("  %zu accepted files swept, %zu loads, %.2f s\n", swept, g_loads,
                  (double)(clock() - t0) / CLOCKS_PER_SEC);
    assert_true(swept >= 360); /* every valid reference pickle (a few are hostile or malformed) */
    assert_int_equal(g_failures, 0);
}

static void test_prefixes_own_corpus(void **state)
{
    (void)state;
    g_failures = 0;
    g_loads = 0;
    clock_t t0 = clock();
    size_t swept;
    run_corpus("hostile", "valid_", 1, &swept);
    print_message("  %zu files swept, %zu loads, %.2f s\n", swept, g_loads, (double)(clock() - t0) / CLOCKS_PER_SEC);
    assert_true(swept >= 19);
    assert_int_equal(g_failures, 0);
}

/* Hostile files refused by decode but parsed to STOP by scan: cut anywhere, scan says TRUNCATED. */
static void test_prefixes_hostile_scan(void **state)
{
    (void)state;
    g_failures = 0;
    g_loads = 0;
    size_t n, swept = 0;
    corpus_file *files = read_dir("hostile", "", ".pkl", &n);
    for (size_t i = 0; i < n; i++) {
        if (strncmp(files[i].rel, "hostile/valid_", 14) == 0) continue;
        full_result full = run_full(&files[i]);
        if (full.scan_ok && !full.decode_ok) {
            sweep(&files[i], 0, 1, &full);
            swept++;
        }
        free(full.findings);
    }
    free_files(files, n);
    print_message("  %zu hostile files swept in scan mode, %zu loads\n", swept, g_loads);
    assert_true(swept >= 40);
    assert_int_equal(g_failures, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prefixes_numpy_pickles),
        cmocka_unit_test(test_prefixes_own_corpus),
        cmocka_unit_test(test_prefixes_hostile_scan),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
