/* .npy: npg_npy_load, npg_npy_write, npg_npy_write_raw and npg__npy_format_header.
 *
 * The data comes from tests/gen/make_npy.py, run by ctest before this program (fixture
 * npy_data) with Debian's NumPy 1.24; NPG_NPY_DATA names its directory. manifest.txt there says
 * what numpy.load returned for every valid file, and which code and offset npguard must give for
 * every refused one (see make_npy.py for the record format). This program also writes every
 * valid array back with npg_npy_write_raw into NPG_NPY_WRITTEN, which a later ctest step reads
 * with numpy.load(allow_pickle=False).
 *
 * Prefixes: every proper prefix of a valid file gives NPG_E_TRUNCATED, including the prefixes
 * of the magic itself (the empty input too); NPG_E_NPY_MAGIC means a byte that differs. */
#include <errno.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "manifest.h"
#include "testutil.h"
#include "npguard.h"
#include "npy/npy.h"
#include "npy/unicode.h"
#include "pickle/value.h"

/* ------------------------------------------------------------------ SHA-256 (FIPS 180-4) */

typedef struct sha256 {
    uint32_t h[8];
    uint8_t block[64];
    size_t fill;
    uint64_t total;
} sha256;

static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

static uint32_t ror(uint32_t x, unsigned n) { return (x >> n) | (x << (32 - n)); }

static void sha_block(sha256 *s, const uint8_t *p)
{
    uint32_t w[64], v[8];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
        uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    memcpy(v, s->h, sizeof v);
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = v[7] + (ror(v[4], 6) ^ ror(v[4], 11) ^ ror(v[4], 25)) + ((v[4] & v[5]) ^ (~v[4] & v[6])) +
                      K256[i] + w[i];
        uint32_t t2 = (ror(v[0], 2) ^ ror(v[0], 13) ^ ror(v[0], 22)) + ((v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]));
        memmove(v + 1, v, 7 * sizeof v[0]);
        v[4] += t1;
        v[0] = t1 + t2;
    }
    for (int i = 0; i < 8; i++) s->h[i] += v[i];
}

static void sha_init(sha256 *s)
{
    static const uint32_t h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(s->h, h0, sizeof h0);
    s->fill = 0;
    s->total = 0;
}

static void sha_update(sha256 *s, const uint8_t *p, size_t n)
{
    s->total += n;
    while (n > 0) {
        size_t k = 64 - s->fill < n ? 64 - s->fill : n;
        memcpy(s->block + s->fill, p, k);
        s->fill += k;
        p += k;
        n -= k;
        if (s->fill == 64) {
            sha_block(s, s->block);
            s->fill = 0;
        }
    }
}

static void sha_hex(const uint8_t *p, size_t n, char out[65])
{
    sha256 s;
    uint8_t pad[72] = {0x80};
    sha_init(&s);
    sha_update(&s, p, n);
    uint64_t bits = s.total * 8;
    size_t padlen = (s.fill < 56 ? 56 : 120) - s.fill;
    for (int i = 0; i < 8; i++) pad[padlen + i] = (uint8_t)(bits >> (56 - 8 * i));
    sha_update(&s, pad, padlen + 8);
    for (int i = 0; i < 8; i++) snprintf(out + 8 * i, 9, "%08x", s.h[i]);
}

/* ------------------------------------------------------------------ manifest */


static manifest mf; /* the data generator's manifest */
static const char *data_dir, *written_dir;

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
    written_dir = getenv("NPG_NPY_WRITTEN");
    if (!data_dir || !written_dir) {
        fprintf(stderr, "NPG_NPY_DATA / NPG_NPY_WRITTEN not set (run through ctest)\n");
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

/* ------------------------------------------------------------------ loading */

/* Limits for the big valid files (v2 headers of 60 KiB, 500 fields). */
static npg_ctx *ctx_with(size_t max_header_len, size_t max_fields)
{
    npg_ctx *ctx = npg_ctx_new(NULL);
    npg_limits lim;
    assert_non_null(ctx);
    npg_limits_init(&lim);
    if (max_header_len) lim.max_header_len = max_header_len;
    if (max_fields) lim.max_fields = max_fields;
    assert_int_equal(npg_ctx_set_limits(ctx, &lim), NPG_OK);
    return ctx;
}

static int load(const npg_ctx *ctx, const uint8_t *buf, size_t len, unsigned flags, npg_doc **doc,
                npg_error *err)
{
    memset(err, 0xff, sizeof *err); /* poisoned: every field must be set */
    *doc = (npg_doc *)(uintptr_t)1;
    return npg_npy_load(ctx, buf, len, flags, doc, err);
}

static int code_of(const char *name)
{
    for (int c = 0; c < 256; c++)
        if (strcmp(npg_status_name(c), name) == 0) return c;
    fail_msg("unknown status %s", name);
    return -1;
}

static void shape_text(const npg_value *v, char *out, size_t cap)
{
    size_t n = npg_array_ndim(v), o = 0;
    const uint64_t *s = npg_array_shape(v);
    out[0] = '\0';
    for (size_t i = 0; i < n && o < cap; i++)
        o += (size_t)snprintf(out + o, cap - o, "%s%llu", i ? "," : "", (unsigned long long)s[i]);
}

static char *descr_of(const npg_dtype *dt)
{
    size_t n = npg__dtype_descr(dt, NULL, 0);
    char *s = malloc(n + 1);
    assert_non_null(s);
    npg__dtype_descr(dt, s, n + 1);
    return s;
}

/* Everything the manifest says numpy.load returned, against what npguard returned. */
static void check_array(const record *r, const npg_doc *doc, const uint8_t *buf)
{
    const char *file = tu_need(r, "file");
    const npg_value *root = npg_doc_root(doc);
    char str[NPG_DTYPE_STR_CAP], shape[2048], digest[65];
    int major, minor;
    assert_int_equal(npg_value_kind(root), NPG_ARRAY);
    assert_int_equal(npg_doc_npy_version(doc, &major, &minor), NPG_OK);
    assert_int_equal(major, (int)tu_num(r, "version"));
    assert_int_equal(minor, 0);
    assert_int_equal(npg_doc_data_offset(doc), tu_num(r, "offset"));
    const npg_dtype *dt = npg_array_dtype(root);
    npg_dtype_str(dt, str, sizeof str);
    if (strcmp(str, tu_need(r, "str")) != 0) fail_msg("%s: dtype.str %s, numpy %s", file, str, tu_need(r, "str"));
    char *descr = descr_of(dt);
    if (strcmp(descr, tu_need(r, "descr")) != 0) fail_msg("%s: descr\n  %.300s\nnumpy\n  %.300s", file, descr, tu_need(r, "descr"));
    free(descr);
    assert_int_equal(npg_dtype_itemsize(dt), tu_num(r, "itemsize"));
    shape_text(root, shape, sizeof shape);
    if (strcmp(shape, tu_need(r, "shape")) != 0) fail_msg("%s: shape %s, numpy %s", file, shape, tu_need(r, "shape"));
    if (tu_num(r, "object")) {
        assert_true(npg_dtype_has_object(dt));
        return;
    }
    assert_int_equal(npg_array_fortran(root), (int)tu_num(r, "fortran"));
    assert_int_equal(npg_array_writeable(root), 0);
    uint64_t len;
    int borrowed;
    const uint8_t *data = npg_array_data(root, &len, &borrowed);
    assert_int_equal(borrowed, 1);
    assert_ptr_equal(data, buf + tu_num(r, "offset")); /* zero-copy */
    assert_int_equal(len, tu_num(r, "nbytes"));
    sha_hex(data, (size_t)len, digest);
    if (strcmp(digest, tu_need(r, "sha256")) != 0) fail_msg("%s: data differs from numpy's", file);
}

/* ------------------------------------------------------------------ (a) NumPy's files */

static void test_sha256(void **state)
{
    (void)state;
    char d[65];
    sha_hex((const uint8_t *)"abc", 3, d);
    assert_string_equal(d, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    sha_hex((const uint8_t *)"", 0, d);
    assert_string_equal(d, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_valid_files(void **state)
{
    (void)state;
    npg_ctx *big = ctx_with(1 << 20, 0), *def = ctx_with(0, 0);
    size_t count = 0;
    for (size_t i = 0; i < mf.n; i++) {
        const record *r = &mf.recs[i];
        if (strcmp(r->kind, "ok") != 0 || tu_num(r, "unsafe")) continue;
        size_t len;
        uint8_t *buf = read_rel(tu_need(r, "file"), &len);
        npg_doc *doc;
        npg_error err;
        int rc = load(big, buf, len, 0, &doc, &err);
        if (rc != NPG_OK) fail_msg("%s: %s at %llu: %s", tu_need(r, "file"), npg_status_name(rc),
                                   (unsigned long long)err.offset, err.message);
        assert_int_equal(err.code, NPG_OK);
        check_array(r, doc, buf);
        npg_doc_free(doc);
        /* values checked: NumPy's bools are 0/1; scan mode gives the same */
        assert_int_equal(load(big, buf, len, NPG_NPY_CHECK_VALUES | NPG_SCAN, &doc, &err), NPG_OK);
        check_array(r, doc, buf);
        size_t nf;
        npg_doc_findings(doc, &nf, NULL);
        for (size_t k = 0; k < nf; k++) assert_int_equal(npg_doc_findings(doc, NULL, NULL)[k].severity, NPG_SEV_INFO);
        npg_doc_free(doc);
        /* the headers NumPy writes beyond its own default max_header_size */
        rc = load(def, buf, len, 0, &doc, &err);
        if (tu_num(r, "offset") - (tu_num(r, "version") == 1 ? 10 : 12) > 10000) {
            assert_int_equal(rc, NPG_E_LIMIT_HEADER);
            assert_int_equal(err.offset, 8);
            assert_null(doc);
        } else {
            assert_int_equal(rc, NPG_OK);
            npg_doc_free(doc);
        }
        free(buf);
        count++;
    }
    assert_true(count > 200);
    npg_ctx_free(big);
    npg_ctx_free(def);
}

/* The object array whose pickle calls os.system: unsafe in scan mode, refused in decode mode. */
static void test_unsafe_object(void **state)
{
    (void)state;
    npg_ctx *ctx = ctx_with(0, 0);
    size_t len;
    uint8_t *buf = read_rel("valid/object_os_system.npy", &len);
    npg_doc *doc;
    npg_error err;
    int rc = load(ctx, buf, len, 0, &doc, &err);
    assert_int_equal(rc, NPG_E_GLOBAL);
    assert_null(doc);
    assert_true(err.offset > 128 && err.offset < len); /* a file offset inside the pickle */
    assert_non_null(strstr(err.message, "os"));

    rc = load(ctx, buf, len, NPG_SCAN, &doc, &err);
    if (rc != NPG_OK) fail_msg("scan: %s %s", npg_status_name(rc), err.message);
    assert_non_null(doc);
    size_t nf;
    const npg_finding *f = npg_doc_findings(doc, &nf, NULL);
    int worst = -1;
    for (size_t k = 0; k < nf; k++) {
        if ((int)f[k].severity > worst) worst = (int)f[k].severity;
        assert_true(f[k].offset >= 128 && f[k].offset < len);
    }
    assert_int_equal(worst, NPG_SEV_CRITICAL);
    /* the VM turns an array rebuilt from refused code into a placeholder */
    assert_int_equal(npg_value_kind(npg_doc_root(doc)), NPG_OPAQUE);
    npg_doc_free(doc);
    free(buf);
    npg_ctx_free(ctx);
}

/* ------------------------------------------------------------------ (b) refused files */

static void test_bad_files(void **state)
{
    (void)state;
    size_t count = 0;
    for (size_t i = 0; i < mf.n; i++) {
        const record *r = &mf.recs[i];
        if (strcmp(r->kind, "bad") != 0) continue;
        const char *hdr = tu_get(r, "hdr");
        npg_ctx *ctx = ctx_with(hdr ? (size_t)strtoull(hdr, NULL, 10) : 0, 0);
        size_t len;
        uint8_t *buf = read_rel(tu_need(r, "file"), &len);
        int want = code_of(tu_need(r, "code"));
        /* NPG_NPY_ALIGN16 (now a no-op) relaxes nothing */
        static const unsigned flag_sets[] = {0, NPG_SCAN, NPG_NPY_ALIGN16, NPG_SCAN | NPG_NPY_ALIGN16};
        for (size_t k = 0; k < sizeof flag_sets / sizeof flag_sets[0]; k++) {
            unsigned scan = flag_sets[k] & NPG_SCAN;
            npg_doc *doc;
            npg_error err;
            int rc = load(ctx, buf, len, flag_sets[k], &doc, &err);
            if (rc != want || err.offset != tu_num(r, "offset"))
                fail_msg("%s (%s): got %s at %llu (%s), want %s at %s", tu_need(r, "file"), tu_need(r, "why"),
                         npg_status_name(rc), (unsigned long long)err.offset, err.message, tu_need(r, "code"),
                         tu_need(r, "offset"));
            assert_int_equal(err.code, want);
            assert_int_equal(err.opcode, -1);
            assert_true(err.message[0] != '\0');
            assert_int_equal(err.member[0], '\0');
            if (scan) { /* scan mode: the document carries the status */
                npg_error e2;
                assert_non_null(doc);
                assert_int_equal(npg_doc_status(doc, &e2), want);
                assert_null(npg_doc_root(doc));
                npg_doc_free(doc);
            } else {
                assert_null(doc);
            }
        }
        free(buf);
        npg_ctx_free(ctx);
        count++;
    }
    assert_true(count > 90);
}

/* Files that are not canonical but what NumPy writes when asked for a version (2.0/3.0 for a
 * small header). What older NumPy wrote is test_npy_legacy.c's. */
static void test_good_files(void **state)
{
    (void)state;
    npg_ctx *ctx = ctx_with(0, 0);
    size_t count = 0;
    for (size_t i = 0; i < mf.n; i++) {
        const record *r = &mf.recs[i];
        if (strcmp(r->kind, "good") != 0) continue;
        size_t len;
        uint8_t *buf = read_rel(tu_need(r, "file"), &len);
        npg_doc *doc;
        npg_error err;
        int rc = load(ctx, buf, len, 0, &doc, &err);
        if (rc) fail_msg("%s: %s %s", tu_need(r, "file"), npg_status_name(rc), err.message);
        count++;
        uint64_t n;
        char digest[65];
        const uint8_t *data = npg_array_data(npg_doc_root(doc), &n, NULL);
        sha_hex(data, (size_t)n, digest);
        assert_string_equal(digest, tu_need(r, "sha256"));
        npg_doc_free(doc);
        free(buf);
    }
    assert_int_equal(count, 2);
    npg_ctx_free(ctx);
}

/* ------------------------------------------------------------------ (c) every prefix */

static void test_prefixes(void **state)
{
    (void)state;
    npg_ctx *ctx = ctx_with(1 << 20, 0);
    size_t files = 0, loads = 0;
    /* under valgrind (50x slower) every 7th prefix: the memory checks need variety, not all */
    size_t thin = getenv("NPG_UNDER_VALGRIND") ? 7 : 1;
    for (size_t i = 0; i < mf.n; i++) {
        const record *r = &mf.recs[i];
        if (strcmp(r->kind, "ok") != 0) continue;
        size_t len;
        uint8_t *buf = read_rel(tu_need(r, "file"), &len);
        /* every prefix of a pickle, and of everything else the first 2 KiB and a KiB either
         * side of the header's end and of the file's end; a sample in between, where the code
         * at work is only a length comparison (the 64 KiB headers, long data: under ASan a load
         * costs ~50 us, and this keeps the test at seconds) */
        size_t off = (size_t)tu_num(r, "offset");
        bool all = tu_num(r, "object") || len <= 2048;
        for (size_t n = 0; n < len; n += (all || n < 2048 || (n + 1024 >= off && n < off + 1024) || n + 1024 >= len) ? thin : 61 * thin) {
            /* copy: ASan then sees any read past the prefix */
            uint8_t *p = malloc(n ? n : 1);
            memcpy(p, buf, n);
            npg_doc *doc;
            npg_error err;
            /* decode mode stops the os.system pickle at its GLOBAL: scan it */
            int rc = load(ctx, p, n, tu_num(r, "unsafe") ? NPG_SCAN : 0, &doc, &err);
            if (rc != NPG_OK) npg_doc_free(doc);
            if (rc != NPG_E_TRUNCATED)
                fail_msg("%s: prefix of %zu bytes gives %s (%s)", tu_need(r, "file"), n, npg_status_name(rc), err.message);
            assert_true(err.offset <= n);
            free(p);
            loads++;
        }
        free(buf);
        files++;
    }
    print_message("%zu files, %zu prefixes\n", files, loads);
    assert_true(files > 200 && loads > 10000 / thin);
    npg_ctx_free(ctx);
}

/* ------------------------------------------------------------------ (d) writing */

typedef struct membuf {
    uint8_t *p;
    size_t n, cap;
    size_t stop_after; /* fail the call that would pass this many bytes; 0: never */
} membuf;

static int mem_write(void *ud, const void *data, size_t len)
{
    membuf *m = ud;
    if (m->stop_after && m->n + len > m->stop_after) return 1;
    if (m->n + len > m->cap) {
        m->cap = (m->n + len) * 2;
        m->p = realloc(m->p, m->cap);
        assert_non_null(m->p);
    }
    memcpy(m->p + m->n, data, len);
    m->n += len;
    return 0;
}

/* npg_npy_write of what we loaded reproduces NumPy's file byte for byte, and is accepted. */
static void test_write_roundtrip(void **state)
{
    (void)state;
    npg_ctx *ctx = ctx_with(1 << 20, 0);
    size_t count = 0;
    for (size_t i = 0; i < mf.n; i++) {
        const record *r = &mf.recs[i];
        if (strcmp(r->kind, "ok") != 0 || tu_num(r, "object") || !tu_num(r, "roundtrip")) continue;
        size_t len;
        uint8_t *buf = read_rel(tu_need(r, "file"), &len);
        npg_doc *doc, *again;
        npg_error err;
        assert_int_equal(load(ctx, buf, len, 0, &doc, &err), NPG_OK);
        membuf m = {0};
        memset(&err, 0xff, sizeof err);
        assert_int_equal(npg_npy_write(npg_doc_root(doc), mem_write, &m, &err), NPG_OK);
        assert_int_equal(err.code, NPG_OK);
        if (m.n != len || memcmp(m.p, buf, len) != 0) {
            size_t k = 0;
            while (k < len && k < m.n && m.p[k] == buf[k]) k++;
            fail_msg("%s: written file differs at byte %zu (%zu vs %zu bytes)", tu_need(r, "file"), k, m.n, len);
        }
        /* the sizing call agrees */
        size_t hlen;
        npg_diag d;
        const npg_value *root = npg_doc_root(doc);
        assert_int_equal(npg__npy_format_header(npg_array_dtype(root), npg_array_ndim(root), npg_array_shape(root),
                                                npg_array_fortran(root), NULL, 0, &hlen, &d), NPG_OK);
        assert_int_equal(hlen, tu_num(r, "offset"));
        assert_int_equal(load(ctx, m.p, m.n, 0, &again, &err), NPG_OK);
        check_array(r, again, m.p);
        npg_doc_free(again);
        npg_doc_free(doc);
        free(m.p);
        free(buf);
        count++;
    }
    assert_true(count > 200);
    npg_ctx_free(ctx);
}

static void write_file(const char *path, const uint8_t *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, 1, n, f) != n || fclose(f) != 0) fail_msg("cannot write %s", path);
}

/* npg_npy_write_raw of every valid array into NPG_NPY_WRITTEN, with a manifest that the ctest
 * step npy_written_numpy checks with numpy.load(allow_pickle=False). */
static void test_write_raw_for_numpy(void **state)
{
    (void)state;
    npg_ctx *ctx = ctx_with(1 << 20, 0);
    char path[4096];
    mkdir(written_dir, 0777);
    snprintf(path, sizeof path, "%s/valid", written_dir);
    mkdir(path, 0777);
    snprintf(path, sizeof path, "%s/legacy", written_dir);
    mkdir(path, 0777);
    snprintf(path, sizeof path, "%s/manifest.txt", written_dir);
    FILE *man = fopen(path, "w");
    assert_non_null(man);
    size_t count = 0;
    for (size_t i = 0; i < mf.n; i++) {
        const record *r = &mf.recs[i];
        /* files as older NumPy wrote them come out as np.save writes them today */
        bool legacy = strcmp(r->kind, "legacy") == 0;
        if ((strcmp(r->kind, "ok") != 0 && !legacy) || tu_num(r, "object")) continue;
        size_t len;
        uint8_t *buf = read_rel(tu_need(r, "file"), &len);
        npg_doc *doc;
        npg_error err;
        assert_int_equal(load(ctx, buf, len, 0, &doc, &err), NPG_OK);
        const npg_value *a = npg_doc_root(doc);
        uint64_t n;
        const uint8_t *data = npg_array_data(a, &n, NULL);
        membuf m = {0};
        assert_int_equal(npg_npy_write_raw(npg_array_dtype(a), npg_array_ndim(a), npg_array_shape(a),
                                           npg_array_fortran(a), data, n, mem_write, &m, &err), NPG_OK);
        if (!legacy) assert_true(m.n == len && memcmp(m.p, buf, len) == 0);
        else assert_true(m.n >= n && (m.n - n) % 64 == 0 && memcmp(m.p + m.n - n, data, (size_t)n) == 0);
        snprintf(path, sizeof path, "%s/%s", written_dir, tu_need(r, "file"));
        write_file(path, m.p, m.n);
        fprintf(man, "ok\tfile=%s\tstr=%s\tdescr=%s\tshape=%s\tfortran=%s\tsha256=%s\n", tu_need(r, "file"),
                tu_need(r, "str"), tu_need(r, "descr"), tu_need(r, "shape"), tu_need(r, "fortran"), tu_need(r, "sha256"));
        npg_doc_free(doc);
        free(m.p);
        free(buf);
        count++;
    }
    assert_int_equal(fclose(man), 0);
    assert_true(count > 200);
    npg_ctx_free(ctx);
}

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
    size_t n = strlen(s) / 2;
    assert_true(n <= cap);
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        sscanf(s + 2 * i, "%2x", &v);
        out[i] = (uint8_t)v;
    }
    return n;
}

/* GROWTH_AXIS padding for shapes of 1 to 21 digits, against NumPy's _write_array_header. */
static void test_growth_headers(void **state)
{
    (void)state;
    npg_ctx *ctx = ctx_with(0, 0);
    size_t count = 0;
    for (size_t i = 0; i < mf.n; i++) {
        const record *r = &mf.recs[i];
        if (strcmp(r->kind, "hdr") != 0) continue;
        size_t len, ndim = 0;
        uint8_t *buf = read_rel(tu_need(r, "like"), &len);
        npg_doc *doc;
        npg_error err;
        assert_int_equal(load(ctx, buf, len, 0, &doc, &err), NPG_OK);
        uint64_t shape[8];
        const char *s = tu_need(r, "shape");
        while (*s && ndim < 8) {
            char *end;
            shape[ndim++] = strtoull(s, &end, 10);
            s = *end == ',' ? end + 1 : end;
        }
        uint8_t want[512], got[512];
        size_t wn = unhex(tu_need(r, "hex"), want, sizeof want), gn;
        npg_diag d;
        assert_int_equal(npg__npy_format_header(npg_array_dtype(npg_doc_root(doc)), ndim, shape,
                                                (int)tu_num(r, "fortran"), got, sizeof got, &gn, &d), NPG_OK);
        if (gn != wn || memcmp(got, want, wn) != 0)
            fail_msg("%s shape %s: header differs from NumPy's:\n%.*s\n%.*s", tu_need(r, "like"), tu_need(r, "shape"),
                     (int)gn, (const char *)got, (int)wn, (const char *)want);
        npg_doc_free(doc);
        free(buf);
        count++;
    }
    assert_int_equal(count, 3 * 20 * 3);
    npg_ctx_free(ctx);
}

/* ------------------------------------------------------------------ hand-made cases */

/* A .npy file around header text, padded to 64 like NumPy, with data. */
static size_t make(uint8_t *out, const char *text, const void *data, size_t dlen)
{
    size_t t = strlen(text), hlen = t + 1;
    hlen += 64 - (10 + hlen) % 64;
    memcpy(out, "\x93NUMPY\x01\x00", 8);
    out[8] = (uint8_t)hlen;
    out[9] = (uint8_t)(hlen >> 8);
    memcpy(out + 10, text, t);
    memset(out + 10 + t, ' ', hlen - t - 1);
    out[9 + hlen] = '\n';
    memcpy(out + 10 + hlen, data, dlen);
    return 10 + hlen + dlen;
}

static void test_check_values(void **state)
{
    (void)state;
    npg_ctx *ctx = ctx_with(0, 0);
    uint8_t f[512];
    npg_doc *doc;
    npg_error err;
    size_t n = make(f, "{'descr': '|b1', 'fortran_order': False, 'shape': (4,), }", "\0\1\2\1", 4);
    assert_int_equal(load(ctx, f, n, 0, &doc, &err), NPG_OK); /* not looked at by default */
    npg_doc_free(doc);
    assert_int_equal(load(ctx, f, n, NPG_NPY_CHECK_VALUES, &doc, &err), NPG_E_ARRAY);
    assert_int_equal(err.offset, 128 + 2);
    /* bools inside fields and subarrays; other bytes may hold anything */
    static const uint8_t rows[2][8] = {{1, 0xff, 0xff, 0, 1, 1, 0xff, 0xff}, {0, 7, 7, 1, 2, 9, 0xfe, 0xfe}};
    n = make(f, "{'descr': [('f', '|b1'), ('x', '<i2'), ('g', '|b1', (2,)), ('', '|V1'), ('h', '<u2')], "
                "'fortran_order': False, 'shape': (2,), }", rows, sizeof rows);
    assert_int_equal(load(ctx, f, n, NPG_NPY_CHECK_VALUES, &doc, &err), NPG_E_ARRAY);
    assert_int_equal(err.offset, n - 16 + 8 + 4); /* the second row's g[1] */
    f[n - 16 + 8 + 4] = 1;
    assert_int_equal(load(ctx, f, n, NPG_NPY_CHECK_VALUES, &doc, &err), NPG_OK);
    npg_doc_free(doc);
    npg_ctx_free(ctx);
}

static void test_arguments(void **state)
{
    (void)state;
    npg_ctx *ctx = ctx_with(0, 0);
    npg_doc *doc;
    npg_error err;
    uint8_t f[256];
    size_t n = make(f, "{'descr': '<f8', 'fortran_order': False, 'shape': (), }", "12345678", 8);
    assert_int_equal(load(NULL, f, n, 0, &doc, &err), NPG_E_INVALID);
    assert_null(doc);
    assert_int_equal(npg_npy_load(ctx, f, n, 0, NULL, &err), NPG_E_INVALID);
    assert_int_equal(load(ctx, NULL, 3, 0, &doc, &err), NPG_E_INVALID);
    assert_int_equal(load(ctx, f, n, NPG_ALLOW_TRAILING, &doc, &err), NPG_E_INVALID);
    assert_int_equal(load(ctx, f, n, 1u << 20, &doc, &err), NPG_E_INVALID);
    assert_int_equal(load(ctx, f, n, 0, &doc, &err), NPG_OK);
    npg_doc_free(doc);
    assert_int_equal(npg_npy_load(ctx, f, n, 0, &doc, NULL), NPG_OK); /* err may be NULL */
    /* 0-d array */
    assert_int_equal(npg_array_ndim(npg_doc_root(doc)), 0);
    assert_int_equal(npg_array_size(npg_doc_root(doc)), 1);
    npg_doc_free(doc);

    /* limits: input, array bytes */
    npg_limits lim;
    npg_limits_init(&lim);
    lim.max_input = n - 1;
    assert_int_equal(npg_ctx_set_limits(ctx, &lim), NPG_OK);
    assert_int_equal(load(ctx, f, n, 0, &doc, &err), NPG_E_LIMIT_INPUT);
    npg_limits_init(&lim);
    lim.max_array_bytes = 7;
    assert_int_equal(npg_ctx_set_limits(ctx, &lim), NPG_OK);
    assert_int_equal(load(ctx, f, n, 0, &doc, &err), NPG_E_LIMIT_ARRAY);
    assert_int_equal(err.offset, 10 + strlen("{'descr': '<f8', 'fortran_order': False, 'shape': "));
    npg_limits_init(&lim);
    lim.max_ndim = 1;
    assert_int_equal(npg_ctx_set_limits(ctx, &lim), NPG_OK);
    n = make(f, "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1), }", "12345678", 8);
    assert_int_equal(load(ctx, f, n, 0, &doc, &err), NPG_E_LIMIT_NDIM);
    npg_ctx_free(ctx);
}

/* Headers that only the escape rules tell apart. */
static void test_strings(void **state)
{
    (void)state;
    npg_ctx *ctx = ctx_with(0, 0);
    npg_doc *doc;
    npg_error err;
    uint8_t f[512];
    const char *name;
    /* every escape repr() uses, and \x/\u forms of printable characters (same string) */
    size_t n = make(f, "{'descr': [('\\t\\n\\r\\\\\\'\\x41\\u00e9\\U0001f600\"', '<i4')], 'fortran_order': False, "
                       "'shape': (1,), }", "abcd", 4);
    assert_int_equal(load(ctx, f, n, 0, &doc, &err), NPG_OK);
    npg_dtype_field(npg_array_dtype(npg_doc_root(doc)), 0, &name, NULL, NULL);
    assert_string_equal(name, "\t\n\r\\'A\xc3\xa9\xf0\x9f\x98\x80\"");
    npg_doc_free(doc);
    /* latin-1 in v1: raw 0xe9 is U+00E9 */
    n = make(f, "{'descr': [('\xe9', '<i4')], 'fortran_order': False, 'shape': (1,), }", "abcd", 4);
    assert_int_equal(load(ctx, f, n, 0, &doc, &err), NPG_OK);
    npg_dtype_field(npg_array_dtype(npg_doc_root(doc)), 0, &name, NULL, NULL);
    assert_string_equal(name, "\xc3\xa9");
    npg_doc_free(doc);
    /* escapes Python has but repr() never writes */
    static const char *const refused[] = {"\\a", "\\b", "\\f", "\\v", "\\0", "\\101", "\\N{DASH}", "\\U00110000",
                                          "\\u12", "\\"};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        char text[256];
        snprintf(text, sizeof text, "{'descr': [('x%s', '<i4')], 'fortran_order': False, 'shape': (1,), }",
                 refused[i]);
        n = make(f, text, "abcd", 4);
        int rc = load(ctx, f, n, 0, &doc, &err);
        if (rc != NPG_E_NPY_DESCR) fail_msg("escape %s: %s", refused[i], npg_status_name(rc));
    }
    npg_ctx_free(ctx);
}

static void test_printable_table(void **state)
{
    (void)state;
    assert_true(npg__npy_printable('a'));
    assert_true(npg__npy_printable(' '));
    assert_false(npg__npy_printable('\n'));
    assert_false(npg__npy_printable(0x7f));
    assert_false(npg__npy_printable(0x85));
    assert_false(npg__npy_printable(0xa0));
    assert_true(npg__npy_printable(0xe9));
    assert_false(npg__npy_printable(0xad));
    assert_false(npg__npy_printable(0x200b));
    assert_true(npg__npy_printable(0x6574));
    assert_true(npg__npy_printable(0x1f600));
    assert_false(npg__npy_printable(0xd800));
    assert_false(npg__npy_printable(0x10ffff));
    assert_false(npg__npy_printable(0x110000));
}

/* The writers' refusals and the callback's veto. */
static void test_write_errors(void **state)
{
    (void)state;
    npg_ctx *ctx = ctx_with(0, 0);
    npg_doc *doc;
    npg_error err;
    uint8_t f[256];
    size_t n = make(f, "{'descr': '<u2', 'fortran_order': True, 'shape': (2, 1), }", "abcd", 4);
    assert_int_equal(load(ctx, f, n, 0, &doc, &err), NPG_OK);
    const npg_value *a = npg_doc_root(doc);
    const npg_dtype *dt = npg_array_dtype(a);
    membuf m = {0};
    m.stop_after = 10;
    assert_int_equal(npg_npy_write(a, mem_write, &m, &err), NPG_E_INVALID); /* the callback said stop */
    m.stop_after = 129;
    assert_int_equal(npg_npy_write(a, mem_write, &m, &err), NPG_E_INVALID);
    free(m.p);
    memset(&m, 0, sizeof m);
    assert_int_equal(npg_npy_write(a, mem_write, &m, &err), NPG_OK);
    assert_true(m.n == n && memcmp(m.p, f, n) == 0); /* fortran_order True, as given */
    free(m.p);
    memset(&m, 0, sizeof m);
    uint64_t shape[2] = {2, 1};
    assert_int_equal(npg_npy_write_raw(dt, 2, shape, 1, f + 128, 3, mem_write, &m, &err), NPG_E_INVALID);
    assert_int_equal(npg_npy_write_raw(dt, 2, NULL, 1, f + 128, 4, mem_write, &m, &err), NPG_E_INVALID);
    assert_int_equal(npg_npy_write_raw(dt, 2, shape, 1, f + 128, 4, NULL, &m, &err), NPG_E_INVALID);
    assert_int_equal(npg_npy_write_raw(NULL, 2, shape, 1, f + 128, 4, mem_write, &m, &err), NPG_E_INVALID);
    assert_int_equal(npg_npy_write(NULL, mem_write, &m, &err), NPG_E_INVALID);
    uint64_t huge[2] = {UINT64_MAX, 3};
    assert_int_equal(npg_npy_write_raw(dt, 2, huge, 0, f + 128, 4, mem_write, &m, &err), NPG_E_INVALID);
    assert_int_equal(m.n, 0);
    npg_doc_free(doc);

    /* object dtypes: refused by the writers */
    size_t len;
    uint8_t *obj = read_rel("valid/object_1d.npy", &len);
    assert_int_equal(load(ctx, obj, len, 0, &doc, &err), NPG_OK);
    assert_int_equal(npg_npy_write(npg_doc_root(doc), mem_write, &m, &err), NPG_E_INVALID);
    npg_diag d;
    size_t hl;
    assert_int_equal(npg__npy_format_header(npg_array_dtype(npg_doc_root(doc)), 1, shape, 0, NULL, 0, &hl, &d),
                     NPG_E_INVALID);
    assert_int_equal(npg_npy_write_raw(npg_array_dtype(npg_doc_root(doc)), 0, NULL, 0, NULL, 0, mem_write, &m, &err),
                     NPG_E_INVALID);
    assert_int_equal(m.n, 0);
    npg_doc_free(doc);
    free(obj);
    npg_ctx_free(ctx);
}

/* A dtype NumPy cannot describe (overlapping fields) has no header. */
static void test_write_overlap(void **state)
{
    (void)state;
    npg_mem mem;
    npg_arena arena;
    npg_limits lim;
    npg_diag d;
    npg__mem_init(&mem, NULL, 1 << 20);
    npg__arena_init(&arena, &mem);
    npg_limits_init(&lim);
    npg_dtype i4, st;
    assert_true(npg__dtype_init_plain(&i4, 'i', 4));
    assert_int_equal(npg__dtype_finish(&arena, &lim, &i4, &d), NPG_OK);
    npg_field fields[2] = {{"a", 1, NULL, 0, &i4, 0}, {"b", 1, NULL, 0, &i4, 2}};
    memset(&st, 0, sizeof st);
    st.kind = 'V';
    st.byteorder = '|';
    st.flags = NPG_DT_STRUCTURED;
    st.itemsize = 6;
    st.fields = fields;
    st.nfields = 2;
    assert_int_equal(npg__dtype_finish(&arena, &lim, &st, &d), NPG_OK);
    size_t len;
    uint64_t shape = 1;
    assert_int_equal(npg__npy_format_header(&st, 1, &shape, 0, NULL, 0, &len, &d), NPG_E_INVALID);
    fields[1].offset = 4;
    st.itemsize = 8;
    assert_int_equal(npg__npy_format_header(&st, 1, &shape, 0, NULL, 0, &len, &d), NPG_OK);
    assert_int_equal(len, 128);
    npg__arena_release(&arena);
}

/* ------------------------------------------------------------------ out of memory */


/* Fail the Nth allocation for N = 0, 1, ...: a clean NPG_E_NOMEM each time, nothing leaked. */
static void test_oom_sweep(void **state)
{
    (void)state;
    static const char *const files[] = {"valid/record_N_be.npy", "valid/object_2d.npy", "valid/v3_unicode_name.npy"};
    for (size_t k = 0; k < sizeof files / sizeof files[0]; k++) {
        size_t len;
        uint8_t *buf = read_rel(files[k], &len);
        for (long n = 0;; n++) {
            tu_failing fl = {n, 0};
            npg_alloc a = tu_failing_alloc(&fl);
            npg_ctx *ctx = npg_ctx_new(&a);
            if (!ctx) continue;
            npg_doc *doc;
            npg_error err;
            int rc = load(ctx, buf, len, 0, &doc, &err);
            if (rc == NPG_OK) npg_doc_free(doc);
            npg_ctx_free(ctx);
            assert_int_equal(fl.live, 0);
            if (rc == NPG_OK) break;
            if (rc != NPG_E_NOMEM) fail_msg("%s: allocation %ld failing gives %s", files[k], n, npg_status_name(rc));
            assert_null(doc);
        }
        free(buf);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha256),
        cmocka_unit_test(test_printable_table),
        cmocka_unit_test(test_valid_files),
        cmocka_unit_test(test_unsafe_object),
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_good_files),
        cmocka_unit_test(test_prefixes),
        cmocka_unit_test(test_write_roundtrip),
        cmocka_unit_test(test_write_raw_for_numpy),
        cmocka_unit_test(test_growth_headers),
        cmocka_unit_test(test_check_values),
        cmocka_unit_test(test_arguments),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_write_errors),
        cmocka_unit_test(test_write_overlap),
        cmocka_unit_test(test_oom_sweep),
    };
    if (getenv("NPG_TEST_FILTER")) cmocka_set_test_filter(getenv("NPG_TEST_FILTER")); /* e.g. "test_prefixes" */
    return cmocka_run_group_tests(tests, load_manifest, free_manifest);
}
