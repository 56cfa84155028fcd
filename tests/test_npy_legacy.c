/* What older NumPy releases wrote, and headers only NumPy's own reader accepts.
 *
 * The data comes from tests/gen/make_npy.py (fixture npy_data, NPG_NPY_DATA; see test_npy.c):
 *   legacy   files laid out as NumPy < 1.14 or NumPy under Python 2 wrote them (by our own writer
 *            of that layout, from numpy/lib/format.py's history), with what numpy.load 1.24
 *            returned and which legacy forms were put where: accepted in decode mode with
 *            numpy.load's dtype, shape and bytes, with one NPG106 info finding per form in scan
 *            mode, NPG_NPY_ALIGN16 changing nothing, every proper prefix truncated;
 *   lenient  headers npguard's grammar refuses before an os.system pickle, with whether
 *            numpy.load(allow_pickle=True) would unpickle the data (asked of NumPy's own header
 *            reader): npg__npy_lenient_object must agree, and the audit must find the payload
 *            exactly then (the verdict is unsafe), else call the file invalid;
 *   npzold   archives of legacy members with a deflate level hint in their flags;
 *   npzlax   archives whose member has such a header (also deflated beyond 1 MiB, where the
 *            audit judges members from their header alone). */
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

static manifest mf;
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

static npg_ctx *ctx_big(void)
{
    npg_ctx *ctx = npg_ctx_new(NULL);
    npg_limits lim;
    assert_non_null(ctx);
    npg_limits_init(&lim);
    lim.max_header_len = 1 << 20; /* the legacy 2.0 header of 107 KB */
    lim.max_fields = 10000;
    assert_int_equal(npg_ctx_set_limits(ctx, &lim), NPG_OK);
    return ctx;
}

static char *descr_of(const npg_dtype *dt)
{
    size_t n = npg__dtype_descr(dt, NULL, 0);
    char *s = malloc(n + 1);
    assert_non_null(s);
    npg__dtype_descr(dt, s, n + 1);
    return s;
}

static void shape_text(const npg_value *v, char *out, size_t cap)
{
    size_t n = npg_array_ndim(v), o = 0;
    const uint64_t *s = npg_array_shape(v);
    out[0] = '\0';
    for (size_t i = 0; i < n && o < cap; i++)
        o += (size_t)snprintf(out + o, cap - o, "%s%llu", i ? "," : "", (unsigned long long)s[i]);
}

/* What numpy.load returned, against npguard's array. The generator checked that numpy's bytes
 * are the file's from the data offset on, so the zero-copy view must start there. */
static void check_array(const record *r, const npg_doc *doc, const uint8_t *buf)
{
    const char *file = tu_need(r, "file");
    const npg_value *root = npg_doc_root(doc);
    char str[NPG_DTYPE_STR_CAP], shape[256];
    int major;
    assert_int_equal(npg_value_kind(root), NPG_ARRAY);
    assert_int_equal(npg_doc_npy_version(doc, &major, NULL), NPG_OK);
    assert_int_equal(major, (int)tu_num(r, "version"));
    assert_int_equal(npg_doc_data_offset(doc), tu_num(r, "offset"));
    npg_dtype_str(npg_array_dtype(root), str, sizeof str);
    if (strcmp(str, tu_need(r, "str")) != 0) fail_msg("%s: dtype.str %s, numpy %s", file, str, tu_need(r, "str"));
    char *descr = descr_of(npg_array_dtype(root));
    if (strcmp(descr, tu_need(r, "descr")) != 0) fail_msg("%s: descr %.200s, numpy %.200s", file, descr, tu_need(r, "descr"));
    free(descr);
    assert_int_equal(npg_dtype_itemsize(npg_array_dtype(root)), tu_num(r, "itemsize"));
    shape_text(root, shape, sizeof shape);
    if (strcmp(shape, tu_need(r, "shape")) != 0) fail_msg("%s: shape %s, numpy %s", file, shape, tu_need(r, "shape"));
    if (tu_num(r, "object")) {
        assert_true(npg_dtype_has_object(npg_array_dtype(root)));
        return;
    }
    assert_int_equal(npg_array_fortran(root), (int)tu_num(r, "fortran"));
    uint64_t len;
    const uint8_t *data = npg_array_data(root, &len, NULL);
    assert_ptr_equal(data, buf + tu_num(r, "offset"));
    assert_int_equal(len, tu_num(r, "nbytes"));
}

/* ------------------------------------------------------------------ legacy files */

/* Words that tell each legacy kind's note from the others (the generator's names). */
static const struct {
    const char *kind, *word;
} kinds[] = {
    {"ALIGN16_V2", "2 bytes past"},
    {"ALIGN16", "16 bytes"},
    {"LONG_FILTERED", "removed a long's L"},
    {"LONG", "as a Python 2 long"},
    {"OBJECT_SIZE", "'|O8'"},
    {"UNICODE_TITLE", "u'...'"},
};

static const char *word_of(const char *kind, size_t n)
{
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strlen(kinds[i].kind) == n && memcmp(kinds[i].kind, kind, n) == 0) return kinds[i].word;
    fail_msg("unknown legacy kind %.*s", (int)n, kind);
    return NULL;
}

/* Scan mode: exactly one NPG106 info finding per note "KIND@offset", nothing above info. */
static void check_notes(const record *r, const npg_doc *doc)
{
    size_t nf, want = 0, got = 0;
    const npg_finding *f = npg_doc_findings(doc, &nf, NULL);
    for (size_t k = 0; k < nf; k++) {
        assert_int_equal(f[k].severity, NPG_SEV_INFO);
        if (f[k].rule == NPG_RULE_LEGACY_FORMAT) got++;
    }
    for (const char *s = tu_need(r, "notes"); *s;) {
        const char *at = strchr(s, '@'), *end = strchr(s, ',');
        assert_non_null(at);
        unsigned long long off = strtoull(at + 1, NULL, 10);
        const char *word = word_of(s, (size_t)(at - s));
        bool found = false;
        for (size_t k = 0; k < nf; k++)
            found |= f[k].rule == NPG_RULE_LEGACY_FORMAT && f[k].offset == off && strstr(f[k].message, word);
        if (!found) fail_msg("%s: no NPG106 note '%s' at offset %llu", tu_need(r, "file"), word, off);
        want++;
        s = end ? end + 1 : s + strlen(s);
    }
    if (got != want) fail_msg("%s: %zu NPG106 notes, %zu legacy forms", tu_need(r, "file"), got, want);
}

static void test_legacy_files(void **state)
{
    (void)state;
    npg_ctx *ctx = ctx_big();
    size_t count = 0;
    for (size_t i = 0; i < mf.n; i++) {
        const record *r = &mf.recs[i];
        if (strcmp(r->kind, "legacy") != 0) continue;
        size_t len;
        uint8_t *buf = read_rel(tu_need(r, "file"), &len);
        static const unsigned flag_sets[] = {0, NPG_NPY_ALIGN16, NPG_NPY_CHECK_VALUES, NPG_SCAN,
                                             NPG_SCAN | NPG_NPY_ALIGN16};
        for (size_t k = 0; k < sizeof flag_sets / sizeof flag_sets[0]; k++) {
            npg_doc *doc;
            npg_error err;
            int rc = npg_npy_load(ctx, buf, len, flag_sets[k], &doc, &err);
            if (rc != NPG_OK)
                fail_msg("%s (%s), flags 0x%x: %s at %llu: %s", tu_need(r, "file"), tu_need(r, "why"), flag_sets[k],
                         npg_status_name(rc), (unsigned long long)err.offset, err.message);
            check_array(r, doc, buf);
            size_t nf;
            npg_doc_findings(doc, &nf, NULL);
            if (flag_sets[k] & NPG_SCAN) check_notes(r, doc);
            else assert_int_equal(nf, 0); /* decode mode records nothing */
            npg_doc_free(doc);
        }
        free(buf);
        count++;
    }
    assert_int_equal(count, 16);
    npg_ctx_free(ctx);
}

/* Every proper prefix of a legacy file is truncated, as for today's files. */
static void test_legacy_prefixes(void **state)
{
    (void)state;
    npg_ctx *ctx = ctx_big();
    for (size_t i = 0; i < mf.n; i++) {
        const record *r = &mf.recs[i];
        if (strcmp(r->kind, "legacy") != 0) continue;
        size_t len;
        uint8_t *buf = read_rel(tu_need(r, "file"), &len);
        size_t step = len > 4096 ? 97 : 1;
        for (size_t n = 0; n < len; n += step) {
            uint8_t *p = malloc(n ? n : 1); /* a copy: ASan sees any read past the prefix */
            memcpy(p, buf, n);
            npg_doc *doc;
            npg_error err;
            int rc = npg_npy_load(ctx, p, n, 0, &doc, &err);
            if (rc != NPG_E_TRUNCATED)
                fail_msg("%s: prefix of %zu bytes gives %s (%s)", tu_need(r, "file"), n, npg_status_name(rc), err.message);
            assert_null(doc);
            free(p);
        }
        free(buf);
    }
    npg_ctx_free(ctx);
}

/* ------------------------------------------------------------------ headers only NumPy reads */

static npg_audit *audit(const npg_ctx *ctx, const uint8_t *buf, size_t len)
{
    npg_audit *a = NULL;
    npg_audit_opts o = {0};
    assert_int_equal(npg_audit_buffer(ctx, buf, len, &o, &a), NPG_OK);
    assert_non_null(a);
    return a;
}

/* The os.system call found, in the member (NULL: the file), at or after offset. */
static bool payload_found(const npg_audit *a, const char *member, uint64_t offset)
{
    for (size_t k = 0; k < npg_audit_count(a); k++) {
        const npg_audit_finding *f = npg_audit_finding_at(a, k);
        bool same = member ? f->member && strcmp(f->member, member) == 0 : !f->member;
        if (same && f->severity == NPG_SEV_CRITICAL && f->global && strstr(f->global, "system") &&
            f->offset >= offset)
            return true;
    }
    return false;
}

static bool has_status(const npg_audit *a, int status)
{
    for (size_t k = 0; k < npg_audit_count(a); k++)
        if (npg_audit_finding_at(a, k)->status == status) return true;
    return false;
}

static void test_lenient_headers(void **state)
{
    (void)state;
    npg_ctx *ctx = npg_ctx_new(NULL);
    npg_limits lim;
    npg_limits_init(&lim);
    size_t count = 0, unpickled = 0;
    for (size_t i = 0; i < mf.n; i++) {
        const record *r = &mf.recs[i];
        if (strcmp(r->kind, "lenient") != 0) continue;
        const char *file = tu_need(r, "file");
        size_t len;
        uint8_t *buf = read_rel(file, &len);
        bool numpy = tu_num(r, "unpickles"), wider = tu_num(r, "wider");
        uint64_t off = 0;
        bool lenient = npg__npy_lenient_object(buf, len, &lim, &off);
        if (lenient != (numpy || wider))
            fail_msg("%s: lenient reader says %d, numpy.load would %sunpickle%s", file, lenient, numpy ? "" : "not ",
                     wider ? " (a case where npguard scans anyway)" : "");
        if (numpy) assert_int_equal(off, tu_num(r, "offset"));
        /* never past the buffer, whatever it is cut to */
        for (size_t n = 0; n < len; n++) {
            uint8_t *p = malloc(n ? n : 1);
            memcpy(p, buf, n);
            uint64_t o2;
            if (npg__npy_lenient_object(p, n, &lim, &o2)) assert_true(o2 < n);
            free(p);
        }
        npg_audit *a = audit(ctx, buf, len);
        npg_verdict v = npg_audit_verdict(a);
        if (lenient) {
            if (v != NPG_VERDICT_UNSAFE || !payload_found(a, NULL, off))
                fail_msg("%s: verdict %s, the payload pickle not found", file, npg_verdict_name(v));
            unpickled++;
        } else if (v != NPG_VERDICT_INVALID) {
            fail_msg("%s: verdict %s, want invalid (NumPy refuses the header)", file, npg_verdict_name(v));
        }
        npg_audit_free(a);
        free(buf);
        count++;
    }
    assert_true(count >= 28 && unpickled >= 19);
    npg_ctx_free(ctx);
}

/* Hand-made headers: the reader's edges (no NumPy needed to know these). */
static void test_lenient_edges(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        bool object;
    } cases[] = {
        {"{'descr': '|O', 'fortran_order': False, 'shape': (2,)}", true},
        {"{'descr': ((('|O'))), 'fortran_order': False, 'shape': (2,)}", true},   /* groups */
        {"{'descr': [(('a', 'O'))], 'fortran_order': False, 'shape': (2,)}", true}, /* a grouped field */
        {"{'descr': [('Off', '<f8')], 'fortran_order': False, 'shape': (2,)}", false},
        {"{'descr': 'ob' 'ject', 'fortran_order': False, 'shape': (2,)}", true},   /* across pieces */
        {"{'descr': '\\117', 'fortran_order': False, 'shape': (2,)}", true},       /* octal O */
        {"{'descr': r'\\x4f', 'fortran_order': False, 'shape': (2,)}", false},     /* raw: no escape */
        {"{'descr': '''|O''', 'fortran_order': False, 'shape': (2,)}", true},      /* triple quotes */
        {"{'descr': b'|O' '', 'fortran_order': False, 'shape': (2,)}", false},    /* bytes + str */
        {"{'descr': '|O', 'fortran_order': False, 'shape': (2,), **x}", false},
        {"{'descr': '|O', 'fortran_order': False, 'shape': (2,)} x", false},
        {"{'descr': '|O', 'fortran_order': False, 'shape': (2,)}}", false},
        {"{'descr': '|O' 'fortran_order': False, 'shape': (2,)}", false},
        {"{'descr': '|O\n', 'fortran_order': False, 'shape': (2,)}", false},       /* newline in '' */
        {"{'descr': '|O', 'fortran_order': False, 'shape': (2,), 'shape': (3,)}", true},
        {"{('descr'): '|O', 'fortran_order': False, 'shape': (2,)}", true},       /* unsure key */
        {"{'descr': '|O', 'fortran_order': False, 'shape': (2 L,)}", true},       /* 1.0: L dropped */
        {"{'descr': '|O', 'fortran_order': False, 'shape': (2,)} \\\n", true},
        {"{'descr': '\\N{LATIN CAPITAL LETTER O}', 'fortran_order': False, 'shape': (2,)}", true},
        {"{'descr': '\\x4', 'fortran_order': False, 'shape': (2,)}", false},       /* bad escape */
        {"{'descr': '|O', 'fortran_order': False, 'shape': (2,)", false},
        {"", false},
    };
    npg_limits lim;
    npg_limits_init(&lim);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t f[512];
        size_t t = strlen(cases[i].text);
        memcpy(f, "\x93NUMPY\x01\x00", 8);
        f[8] = (uint8_t)(t + 1);
        f[9] = 0;
        memcpy(f + 10, cases[i].text, t);
        f[10 + t] = '\n';
        memcpy(f + 11 + t, "\x80\x02N.", 4);
        uint64_t off = 0;
        bool got = npg__npy_lenient_object(f, 15 + t, &lim, &off);
        if (got != cases[i].object) fail_msg("case %zu (%s): %d", i, cases[i].text, got);
        if (got) assert_int_equal(off, 11 + t);
    }
    /* nesting: 200 brackets are Python's limit, more is a SyntaxError */
    for (size_t depth = 198; depth <= 201; depth++) {
        char text[600];
        size_t n = 0;
        n += (size_t)snprintf(text + n, sizeof text - n, "{'descr': ");
        for (size_t k = 0; k + 1 < depth; k++) text[n++] = '(';
        n += (size_t)snprintf(text + n, sizeof text - n, "'|O'");
        for (size_t k = 0; k + 1 < depth; k++) text[n++] = ')';
        n += (size_t)snprintf(text + n, sizeof text - n, ", 'fortran_order': False, 'shape': (2,)}\n");
        uint8_t f[700];
        memcpy(f, "\x93NUMPY\x01\x00", 8);
        f[8] = (uint8_t)n;
        f[9] = (uint8_t)(n >> 8);
        memcpy(f + 10, text, n);
        memcpy(f + 10 + n, "N.", 2);
        uint64_t off;
        assert_int_equal(npg__npy_lenient_object(f, 12 + n, &lim, &off), depth <= 200);
    }
    /* the header limit bounds what is read */
    lim.max_header_len = 20;
    uint8_t f[128];
    const char *text = "{'descr': '|O', 'fortran_order': False, 'shape': (2,)}\n";
    memcpy(f, "\x93NUMPY\x01\x00", 8);
    f[8] = (uint8_t)strlen(text);
    f[9] = 0;
    memcpy(f + 10, text, strlen(text));
    memcpy(f + 10 + strlen(text), "N.", 2);
    uint64_t off;
    assert_false(npg__npy_lenient_object(f, 12 + strlen(text), &lim, &off));
}

/* ------------------------------------------------------------------ archives */

static void test_npz_level_hint(void **state)
{
    (void)state;
    npg_ctx *ctx = ctx_big();
    size_t count = 0;
    for (size_t i = 0; i < mf.n; i++) {
        const record *r = &mf.recs[i];
        if (strcmp(r->kind, "npzold") != 0) continue;
        size_t len;
        uint8_t *buf = read_rel(tu_need(r, "file"), &len);
        npg_error err;
        npg_zip *zip;
        assert_int_equal(npg_npz_validate(ctx, buf, len, 0, &err), NPG_OK);
        assert_int_equal(npg_zip_open(ctx, buf, len, 0, &zip, &err), NPG_OK);
        for (size_t k = 0; k < npg_zip_count(zip); k++) {
            const npg_zip_member *m = npg_zip_member_at(zip, k);
            assert_int_equal(m->method, 8);
            assert_int_equal(m->level_hint, tu_num(r, "hint"));
            npg_doc *doc;
            assert_int_equal(npg_npz_load_member(zip, k, 0, &doc, &err), NPG_OK);
            npg_doc_free(doc);
        }
        npg_zip_free(zip);
        /* the audit: ok, with one level note per member (at offset 0 of the member) */
        npg_audit *a = audit(ctx, buf, len);
        assert_int_equal(npg_audit_verdict(a), NPG_VERDICT_OK);
        size_t notes = 0;
        for (size_t k = 0; k < npg_audit_count(a); k++) {
            const npg_audit_finding *f = npg_audit_finding_at(a, k);
            assert_int_equal(f->severity, NPG_SEV_INFO);
            notes += f->rule == NPG_RULE_LEGACY_FORMAT && f->offset == 0 && strstr(f->message, "level hint");
        }
        assert_int_equal(notes, 4);
        npg_audit_free(a);
        free(buf);
        count++;
    }
    assert_int_equal(count, 3);
    npg_ctx_free(ctx);
}

static void test_npz_lenient_member(void **state)
{
    (void)state;
    npg_ctx *ctx = npg_ctx_new(NULL);
    size_t count = 0;
    for (size_t i = 0; i < mf.n; i++) {
        const record *r = &mf.recs[i];
        if (strcmp(r->kind, "npzlax") != 0) continue;
        size_t len;
        uint8_t *buf = read_rel(tu_need(r, "file"), &len);
        npg_audit *a = audit(ctx, buf, len);
        npg_verdict v = npg_audit_verdict(a);
        const char *member = tu_need(r, "member");
        if (tu_num(r, "unsafe")) {
            if (v != NPG_VERDICT_UNSAFE || !payload_found(a, member, 0))
                fail_msg("%s: verdict %s, the payload pickle not found", tu_need(r, "file"), npg_verdict_name(v));
        } else {
            assert_int_equal(v, NPG_VERDICT_INVALID);
            assert_true(has_status(a, NPG_E_NPY_KEYS));
        }
        npg_audit_free(a);
        free(buf);
        count++;
    }
    assert_int_equal(count, 5);
    npg_ctx_free(ctx);
}

/* ------------------------------------------------------------------ out of memory */


/* Scan mode records the notes (and runs the pickle of an object array): failing the Nth
 * allocation gives NPG_E_NOMEM, in the document's status when there is a document, and leaks
 * nothing. */
static void test_legacy_oom(void **state)
{
    (void)state;
    static const char *const files[] = {"legacy/objarr_O8.npy", "legacy/win64_py2_2d.npy"};
    for (size_t k = 0; k < sizeof files / sizeof files[0]; k++) {
        size_t len;
        uint8_t *buf = read_rel(files[k], &len);
        for (long n = 0;; n++) {
            tu_failing fl = {n, 0};
            npg_alloc a = tu_failing_alloc(&fl);
            npg_ctx *ctx = npg_ctx_new(&a);
            if (!ctx) continue;
            npg_doc *doc = NULL;
            npg_error err;
            int rc = npg_npy_load(ctx, buf, len, NPG_SCAN, &doc, &err);
            int st = doc ? npg_doc_status(doc, NULL) : rc;
            npg_doc_free(doc);
            npg_ctx_free(ctx);
            assert_int_equal(fl.live, 0);
            if (rc == NPG_OK && st == NPG_OK) break;
            if (st != NPG_E_NOMEM && rc != NPG_E_NOMEM)
                fail_msg("%s: allocation %ld failing gives %s / %s", files[k], n, npg_status_name(rc), npg_status_name(st));
        }
        free(buf);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_legacy_files),
        cmocka_unit_test(test_legacy_prefixes),
        cmocka_unit_test(test_lenient_headers),
        cmocka_unit_test(test_lenient_edges),
        cmocka_unit_test(test_npz_level_hint),
        cmocka_unit_test(test_npz_lenient_member),
        cmocka_unit_test(test_legacy_oom),
    };
    return cmocka_run_group_tests(tests, load_manifest, free_manifest);
}
