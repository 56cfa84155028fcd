/* .npz: npg_npz_load_member and npg_npz_validate, on archives written by NumPy (np.savez,
 * np.savez_compressed) and by zipfile the way np.savez lays them out, from tests/gen/make_npy.py
 * (NPG_NPY_DATA, see test_npy.c).
 *
 * Every member of a good archive must load to exactly what npg_npy_load gives for the same
 * array saved alone; every refused .npy of test_npy's table, put in an archive after a good
 * member, must be refused by both functions with the same code and member-relative offset, and
 * with the member's name. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "manifest.h"
#include "testutil.h"
#include "npguard.h"
#include "npy/npy.h"

/* ------------------------------------------------------------------ manifest (as test_npy.c) */


static manifest mf; /* the data generator's manifest */
static const char *data_dir;

static uint8_t *read_rel(const char *rel, size_t *len)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", data_dir, rel);
    return tu_read_file(path, len);
}

static int load_manifest(void **state)
{
    (void)state;
    char path[4096];
    data_dir = getenv("NPG_NPY_DATA");
    if (!data_dir) {
        fprintf(stderr, "NPG_NPY_DATA not set (run through ctest)\n");
        return -1;
    }
    snprintf(path, sizeof path, "%s/manifest.txt", data_dir);
    return tu_manifest_load(&mf, path);
}

static int free_manifest(void **state)
{
    (void)state;
    tu_manifest_free(&mf);
    return 0;
}

static npg_ctx *ctx_with(size_t max_header_len, uint64_t max_alloc)
{
    npg_ctx *ctx = npg_ctx_new(NULL);
    npg_limits lim;
    assert_non_null(ctx);
    npg_limits_init(&lim);
    if (max_header_len) lim.max_header_len = max_header_len;
    if (max_alloc) lim.max_alloc = max_alloc;
    assert_int_equal(npg_ctx_set_limits(ctx, &lim), NPG_OK);
    return ctx;
}

static int code_of(const char *name)
{
    for (int c = 0; c < 256; c++)
        if (strcmp(npg_status_name(c), name) == 0) return c;
    fail_msg("unknown status %s", name);
    return -1;
}

static char *descr_of(const npg_dtype *dt)
{
    size_t n = npg__dtype_descr(dt, NULL, 0);
    char *s = malloc(n + 1);
    assert_non_null(s);
    npg__dtype_descr(dt, s, n + 1);
    return s;
}

/* The same array: dtype (as descr), shape, order and bytes (or, for objects, element count). */
static void same_array(const npg_value *a, const npg_value *b, const char *what)
{
    char *da = descr_of(npg_array_dtype(a)), *db = descr_of(npg_array_dtype(b));
    if (strcmp(da, db) != 0) fail_msg("%s: dtype %.200s vs %.200s", what, da, db);
    free(da);
    free(db);
    assert_int_equal(npg_array_ndim(a), npg_array_ndim(b));
    for (size_t i = 0; i < npg_array_ndim(a); i++) assert_int_equal(npg_array_shape(a)[i], npg_array_shape(b)[i]);
    assert_int_equal(npg_array_fortran(a), npg_array_fortran(b));
    assert_int_equal(npg_array_size(a), npg_array_size(b));
    if (npg_dtype_has_object(npg_array_dtype(a))) return;
    uint64_t na, nb;
    const uint8_t *pa = npg_array_data(a, &na, NULL), *pb = npg_array_data(b, &nb, NULL);
    assert_int_equal(na, nb);
    assert_memory_equal(pa, pb, (size_t)na);
}

/* ------------------------------------------------------------------ good archives */

static void test_good_archives(void **state)
{
    (void)state;
    size_t archives = 0, members = 0;
    for (size_t r = 0; r < mf.n; r++) {
        const record *rec = &mf.recs[r];
        if (strcmp(rec->kind, "npz") != 0) continue;
        const char *hdr = tu_get(rec, "hdr");
        npg_ctx *ctx = ctx_with(hdr ? (size_t)strtoull(hdr, NULL, 10) : 0, 0);
        size_t len;
        uint8_t *buf = read_rel(tu_need(rec, "file"), &len);
        npg_error err;
        for (unsigned flags = 0; flags <= NPG_NPY_CHECK_VALUES; flags += NPG_NPY_CHECK_VALUES) {
            memset(&err, 0xff, sizeof err);
            int rc = npg_npz_validate(ctx, buf, len, flags, &err);
            if (rc) fail_msg("%s: %s in %s at %llu: %s", tu_need(rec, "file"), npg_status_name(rc), err.member,
                             (unsigned long long)err.offset, err.message);
            assert_int_equal(err.code, NPG_OK);
        }
        npg_zip *zip;
        assert_int_equal(npg_zip_open(ctx, buf, len, 0, &zip, &err), NPG_OK);
        /* members: "key:file,key:file", in archive order */
        char *list = strdup(tu_need(rec, "members"));
        size_t i = 0;
        for (char *item = strtok(list, ","); item; item = strtok(NULL, ","), i++) {
            char *colon = strchr(item, ':');
            *colon = '\0';
            const npg_zip_member *m = npg_zip_member_at(zip, i);
            assert_non_null(m);
            char want[256];
            snprintf(want, sizeof want, "%s.npy", item);
            assert_string_equal(m->name, want);
            npg_doc *doc, *alone;
            memset(&err, 0xff, sizeof err);
            int rc = npg_npz_load_member(zip, i, 0, &doc, &err);
            (void)hdr; /* the archive keeps the context's limits: raised limits apply to members */
            if (rc) fail_msg("%s/%s: %s %s", tu_need(rec, "file"), want, npg_status_name(rc), err.message);
            assert_int_equal(err.code, NPG_OK);
            size_t alen;
            uint8_t *abuf = read_rel(colon + 1, &alen);
            assert_int_equal(npg_npy_load(ctx, abuf, alen, 0, &alone, &err), NPG_OK);
            same_array(npg_doc_root(doc), npg_doc_root(alone), want);
            int major;
            assert_int_equal(npg_doc_npy_version(doc, &major, NULL), NPG_OK);
            assert_int_equal(npg_doc_data_offset(doc), npg_doc_data_offset(alone));
            if (!npg_dtype_has_object(npg_array_dtype(npg_doc_root(doc)))) {
                uint64_t n;
                int borrowed;
                const uint8_t *p = npg_array_data(npg_doc_root(doc), &n, &borrowed);
                if (m->method == 0) { /* zero-copy: the array is the archive's bytes */
                    assert_int_equal(borrowed, 1);
                    assert_ptr_equal(p, buf + m->data_offset + npg_doc_data_offset(doc));
                } else {
                    assert_int_equal(borrowed, 0);
                }
            }
            npg_doc_free(alone);
            npg_doc_free(doc);
            free(abuf);
            members++;
        }
        assert_int_equal(i, npg_zip_count(zip));
        free(list);
        npg_zip_free(zip);
        free(buf);
        npg_ctx_free(ctx);
        archives++;
    }
    assert_int_equal(archives, 5);
    assert_true(members >= 18);
}

/* ------------------------------------------------------------------ refused members */

static void test_bad_members(void **state)
{
    (void)state;
    npg_ctx *ctx = ctx_with(0, 0);
    size_t count = 0;
    for (size_t r = 0; r < mf.n; r++) {
        const record *rec = &mf.recs[r];
        if (strcmp(rec->kind, "npzbad") != 0) continue;
        size_t len;
        uint8_t *buf = read_rel(tu_need(rec, "file"), &len);
        int want = code_of(tu_need(rec, "code"));
        long long off = strtoll(tu_need(rec, "offset"), NULL, 10);
        npg_error err;
        memset(&err, 0xff, sizeof err);
        int rc = npg_npz_validate(ctx, buf, len, NPG_NPY_CHECK_VALUES, &err);
        if (rc != want || (off >= 0 && err.offset != (uint64_t)off) || strcmp(err.member, tu_need(rec, "member")) != 0)
            fail_msg("%s: validate gives %s at %llu in '%s' (%s), want %s at %lld", tu_need(rec, "file"),
                     npg_status_name(rc), (unsigned long long)err.offset, err.member, err.message, tu_need(rec, "code"),
                     off);
        assert_true(err.message[0] != '\0');
        /* the member alone, in decode and in scan mode */
        npg_zip *zip;
        assert_int_equal(npg_zip_open(ctx, buf, len, 0, &zip, &err), NPG_OK);
        size_t idx = (size_t)strtoull(tu_need(rec, "index"), NULL, 10);
        if (want != NPG_E_ZIP_NAME) {
            npg_doc *doc;
            memset(&err, 0xff, sizeof err);
            rc = npg_npz_load_member(zip, idx, NPG_NPY_CHECK_VALUES, &doc, &err);
            if (rc != want || (off >= 0 && err.offset != (uint64_t)off))
                fail_msg("%s: load_member gives %s at %llu (%s), want %s at %lld", tu_need(rec, "file"),
                         npg_status_name(rc), (unsigned long long)err.offset, err.message, tu_need(rec, "code"), off);
            assert_string_equal(err.member, tu_need(rec, "member"));
            assert_null(doc);
            rc = npg_npz_load_member(zip, idx, NPG_NPY_CHECK_VALUES | NPG_SCAN, &doc, &err);
            assert_non_null(doc);
            if (want == NPG_E_GLOBAL) { /* scan: parsed, unsafe */
                assert_int_equal(rc, NPG_OK);
                size_t nf;
                const npg_finding *f = npg_doc_findings(doc, &nf, NULL);
                bool critical = false;
                for (size_t k = 0; k < nf; k++) critical |= f[k].severity == NPG_SEV_CRITICAL;
                assert_true(critical);
            } else {
                assert_int_equal(rc, want);
                assert_int_equal(npg_doc_status(doc, NULL), want);
            }
            npg_doc_free(doc);
            /* the good member before it still loads */
            if (idx > 0) {
                assert_int_equal(npg_npz_load_member(zip, 0, 0, &doc, &err), NPG_OK);
                npg_doc_free(doc);
            }
        }
        npg_zip_free(zip);
        free(buf);
        count++;
    }
    assert_true(count > 150);
    npg_ctx_free(ctx);
}

/* ------------------------------------------------------------------ memory stays bounded */

typedef struct membuf {
    uint8_t *p;
    size_t n, cap;
} membuf;

static int mem_write(void *ud, const void *data, size_t len)
{
    membuf *m = ud;
    if (m->n + len > m->cap) {
        m->cap = (m->n + len) * 2;
        m->p = realloc(m->p, m->cap);
        assert_non_null(m->p);
    }
    memcpy(m->p + m->n, data, len);
    m->n += len;
    return 0;
}

/* A 32 MiB member validates under a 1 MiB allocation budget, stored or deflated: it is
 * streamed. Loading the deflated member needs the memory, and says so. */
static void test_streaming_bound(void **state)
{
    (void)state;
    enum { N = 4 << 20 }; /* float64: 32 MiB */
    npg_ctx *big = ctx_with(0, 0), *small = ctx_with(0, 1 << 20);
    size_t len;
    uint8_t *one = read_rel("valid/float64le_1d.npy", &len);
    npg_doc *doc;
    npg_error err;
    assert_int_equal(npg_npy_load(big, one, len, 0, &doc, &err), NPG_OK);
    const npg_dtype *dt = npg_array_dtype(npg_doc_root(doc));
    double *data = malloc((size_t)N * sizeof *data);
    assert_non_null(data);
    for (size_t i = 0; i < N; i++) data[i] = (double)(i % 1000) * 0.5;
    uint64_t shape = N;
    for (int compress = 0; compress <= 1; compress++) {
        membuf z = {0};
        npg_npz_writer *w;
        assert_int_equal(npg_npz_writer_new(big, compress, mem_write, &z, &w), NPG_OK);
        assert_int_equal(npg_npz_writer_add(w, "x", dt, 1, &shape, 0, (const uint8_t *)data, (uint64_t)N * 8, &err),
                         NPG_OK);
        assert_int_equal(npg_npz_writer_finish(w, &err), NPG_OK);
        npg_npz_writer_free(w);
        int rc = npg_npz_validate(small, z.p, z.n, NPG_NPY_CHECK_VALUES, &err);
        if (rc) fail_msg("compress=%d: %s %s", compress, npg_status_name(rc), err.message);
        npg_zip *zip;
        npg_doc *m;
        assert_int_equal(npg_zip_open(small, z.p, z.n, 0, &zip, &err), NPG_OK);
        rc = npg_npz_load_member(zip, 0, 0, &m, &err);
        if (compress) {
            assert_int_equal(rc, NPG_E_LIMIT_ALLOC);
            assert_string_equal(err.member, "x.npy");
        } else { /* stored: zero-copy, whatever the size */
            assert_int_equal(rc, NPG_OK);
            uint64_t n;
            int borrowed;
            const uint8_t *p = npg_array_data(npg_doc_root(m), &n, &borrowed);
            assert_int_equal(n, (uint64_t)N * 8);
            assert_int_equal(borrowed, 1);
            assert_memory_equal(p, data, (size_t)n);
            npg_doc_free(m);
        }
        npg_zip_free(zip);
        free(z.p);
    }
    free(data);
    npg_doc_free(doc);
    free(one);
    npg_ctx_free(big);
    npg_ctx_free(small);
}

/* Arguments and flags. */
static void test_arguments(void **state)
{
    (void)state;
    npg_ctx *ctx = ctx_with(0, 0);
    size_t len;
    uint8_t *buf = read_rel("npz/stored.npz", &len);
    npg_error err;
    npg_doc *doc;
    npg_zip *zip;
    assert_int_equal(npg_npz_validate(NULL, buf, len, 0, &err), NPG_E_INVALID);
    assert_int_equal(npg_npz_validate(ctx, NULL, 5, 0, &err), NPG_E_INVALID);
    assert_int_equal(npg_npz_validate(ctx, buf, len, NPG_ALLOW_TRAILING, &err), NPG_E_INVALID);
    assert_int_equal(npg_npz_validate(ctx, buf, len, 0, NULL), NPG_OK);
    assert_int_equal(npg_npz_validate(ctx, buf, len - 1, 0, &err), NPG_E_ZIP_EOCD);
    assert_int_equal(npg_zip_open(ctx, buf, len, 0, &zip, &err), NPG_OK);
    assert_int_equal(npg_npz_load_member(zip, npg_zip_count(zip), 0, &doc, &err), NPG_E_INVALID);
    assert_null(doc);
    assert_int_equal(npg_npz_load_member(NULL, 0, 0, &doc, &err), NPG_E_INVALID);
    assert_int_equal(npg_npz_load_member(zip, 0, 0, NULL, &err), NPG_E_INVALID);
    assert_int_equal(npg_npz_load_member(zip, 0, 1u << 20, &doc, &err), NPG_E_INVALID);
    assert_int_equal(npg_npz_load_member(zip, 0, 0, &doc, NULL), NPG_OK);
    npg_doc_free(doc);
    npg_zip_free(zip);
    free(buf);
    npg_ctx_free(ctx);
}

/* ------------------------------------------------------------------ out of memory */


/* Fail the Nth allocation for N = 0, 1, ...: NPG_E_NOMEM each time, nothing leaked, until the
 * whole validation (and then every member load) succeeds. */
static void test_oom_sweep(void **state)
{
    (void)state;
    size_t len;
    uint8_t *buf = read_rel("npz/deflated.npz", &len);
    for (int what = 0; what < 2; what++) {
        for (long n = 0;; n++) {
            tu_failing fl = {n, 0};
            npg_alloc a = tu_failing_alloc(&fl);
            npg_ctx *ctx = npg_ctx_new(&a);
            if (!ctx) continue;
            npg_error err;
            int rc;
            if (what == 0) {
                rc = npg_npz_validate(ctx, buf, len, NPG_NPY_CHECK_VALUES, &err);
            } else {
                npg_zip *zip;
                rc = npg_zip_open(ctx, buf, len, 0, &zip, &err);
                for (size_t i = 0; rc == NPG_OK && i < npg_zip_count(zip); i++) {
                    npg_doc *doc;
                    rc = npg_npz_load_member(zip, i, 0, &doc, &err);
                    if (rc == NPG_OK) npg_doc_free(doc);
                    else assert_null(doc);
                }
                if (zip) npg_zip_free(zip);
            }
            npg_ctx_free(ctx);
            assert_int_equal(fl.live, 0);
            if (rc == NPG_OK) break;
            if (rc != NPG_E_NOMEM) fail_msg("%s: allocation %ld failing gives %s (%s)", what ? "load" : "validate", n,
                                            npg_status_name(rc), err.message);
        }
    }
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_archives),
        cmocka_unit_test(test_bad_members),
        cmocka_unit_test(test_streaming_bound),
        cmocka_unit_test(test_arguments),
        cmocka_unit_test(test_oom_sweep),
    };
    if (getenv("NPG_TEST_FILTER")) cmocka_set_test_filter(getenv("NPG_TEST_FILTER"));
    return cmocka_run_group_tests(tests, load_manifest, free_manifest);
}
