/* npg_audit_buffer: format sniffing, verdicts and findings for every format, polyglots, zip
 * members by content (also in archives the strict reader refuses), the allow list, findings kept
 * together with errors, the findings cap, and an allocation-failure sweep.
 *
 * Inputs are built here byte by byte (pickles), or by small writers below (.npy headers, zip
 * archives with chosen defects), and always copied into a heap buffer of exactly their size so
 * that AddressSanitizer sees any read past the end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <cmocka.h>

#include "npguard.h"
#include "testutil.h"

/* ------------------------------------------------------------------ byte buffers */

typedef struct buf {
    uint8_t *p;
    size_t n, cap;
} buf;

static void put(buf *b, const void *p, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
    if (n) memcpy(b->p + b->n, p, n);
    b->n += n;
}

static void put_str(buf *b, const char *s) { put(b, s, strlen(s)); }

static void put_le(buf *b, uint64_t v, int n)
{
    uint8_t t[8];
    for (int i = 0; i < n; i++) t[i] = (uint8_t)(v >> (8 * i));
    put(b, t, (size_t)n);
}

/* ------------------------------------------------------------------ inputs */

#define LIT(s) (const uint8_t *)(s), sizeof(s) - 1

/* pickle.dumps(os.system('x') object, protocol 0): a GLOBAL and a REDUCE */
static const char EVIL_P0[] = "cposix\nsystem\np0\n(Vx\np1\ntp2\nRp3\n.";
/* the same in protocol 2 */
static const char EVIL_P2[] = "\x80\x02" "cposix\nsystem\nq\x00X\x01\x00\x00\x00xq\x01\x85q\x02Rq\x03.";

/* A .npy file: canonical header padded to 64 bytes, then data. */
static buf make_npy(const char *descr, const char *shape, const void *data, size_t len)
{
    char hdr[256];
    int k = snprintf(hdr, sizeof hdr, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, shape);
    size_t total = 10 + (size_t)k + 1, padded = (total + 63) / 64 * 64;
    buf b = {0};
    put(&b, "\x93NUMPY\x01\x00", 8);
    put_le(&b, padded - 10, 2);
    put(&b, hdr, (size_t)k);
    while (b.n < padded - 1) put(&b, " ", 1);
    put(&b, "\n", 1);
    put(&b, data, len);
    return b;
}

static buf npy_i8(void)
{
    int64_t v[3] = {1, 2, 3};
    return make_npy("<i8", "(3,)", v, sizeof v);
}

/* A zip member for make_zip. */
typedef struct zm {
    const char *name;      /* in the local header */
    const char *cd_name;   /* in the central directory; NULL: the same */
    const void *data;
    size_t len;
    bool deflate;
    bool hidden;           /* left out of the central directory */
    uint16_t cd_flags;
    int cd_points_to;      /* 0: its own local header; k > 0: member k-1's */
} zm;

static buf raw_deflate(const void *p, size_t n)
{
    z_stream s;
    memset(&s, 0, sizeof s);
    assert_int_equal(deflateInit2(&s, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
    buf out = {0};
    out.cap = deflateBound(&s, (uLong)n) + 16;
    out.p = malloc(out.cap);
    s.next_in = (Bytef *)(uintptr_t)p;
    s.avail_in = (uInt)n;
    s.next_out = out.p;
    s.avail_out = (uInt)out.cap;
    assert_int_equal(deflate(&s, Z_FINISH), Z_STREAM_END);
    out.n = out.cap - s.avail_out;
    deflateEnd(&s);
    return out;
}

/* An archive after prefix (offsets absolute in the result), one local header + data per member,
 * a central directory of the members not hidden, an EOCD. */
static buf make_zip(const void *prefix, size_t plen, const zm *m, size_t n)
{
    buf b = {0};
    uint64_t off[16];
    buf comp[16];
    assert_true(n <= 16);
    put(&b, prefix, plen);
    for (size_t i = 0; i < n; i++) {
        comp[i] = m[i].deflate ? raw_deflate(m[i].data, m[i].len) : (buf){0};
        const void *d = m[i].deflate ? comp[i].p : m[i].data;
        size_t dn = m[i].deflate ? comp[i].n : m[i].len;
        uint32_t crc = (uint32_t)crc32(0, m[i].data, (uInt)m[i].len);
        off[i] = b.n;
        put_le(&b, 0x04034b50, 4), put_le(&b, 20, 2), put_le(&b, 0, 2), put_le(&b, m[i].deflate ? 8 : 0, 2);
        put_le(&b, 0, 2), put_le(&b, 0x21, 2), put_le(&b, crc, 4), put_le(&b, dn, 4), put_le(&b, m[i].len, 4);
        put_le(&b, strlen(m[i].name), 2), put_le(&b, 0, 2), put_str(&b, m[i].name);
        put(&b, d, dn);
        comp[i].n = dn; /* remember the compressed size */
    }
    uint64_t cd = b.n, count = 0;
    for (size_t i = 0; i < n; i++) {
        if (m[i].hidden) continue;
        const char *name = m[i].cd_name ? m[i].cd_name : m[i].name;
        size_t j = m[i].cd_points_to ? (size_t)m[i].cd_points_to - 1 : i;
        uint32_t crc = (uint32_t)crc32(0, m[j].data, (uInt)m[j].len);
        put_le(&b, 0x02014b50, 4), put_le(&b, 20, 2), put_le(&b, 20, 2), put_le(&b, m[i].cd_flags, 2);
        put_le(&b, m[j].deflate ? 8 : 0, 2), put_le(&b, 0, 2), put_le(&b, 0x21, 2), put_le(&b, crc, 4);
        put_le(&b, comp[j].n, 4), put_le(&b, m[j].len, 4), put_le(&b, strlen(name), 2), put_le(&b, 0, 2);
        put_le(&b, 0, 2), put_le(&b, 0, 2), put_le(&b, 0, 2), put_le(&b, 0, 4), put_le(&b, off[j], 4);
        put_str(&b, name);
        count++;
    }
    uint64_t cd_size = b.n - cd;
    put_le(&b, 0x06054b50, 4), put_le(&b, 0, 2), put_le(&b, 0, 2), put_le(&b, count, 2), put_le(&b, count, 2);
    put_le(&b, cd_size, 4), put_le(&b, cd, 4), put_le(&b, 0, 2);
    for (size_t i = 0; i < n; i++) free(m[i].deflate ? comp[i].p : NULL);
    return b;
}

/* ------------------------------------------------------------------ running audits */

static npg_audit *audit_with(const void *p, size_t n, const npg_audit_opts *o, const npg_limits *lim)
{
    npg_ctx *ctx = npg_ctx_new(NULL);
    assert_non_null(ctx);
    if (lim) assert_int_equal(npg_ctx_set_limits(ctx, lim), NPG_OK);
    uint8_t *copy = malloc(n ? n : 1); /* exactly n bytes: ASan sees any overread */
    if (n) memcpy(copy, p, n);
    npg_audit *a = NULL;
    assert_int_equal(npg_audit_buffer(ctx, copy, n, o, &a), NPG_OK);
    assert_non_null(a);
    free(copy); /* findings are copies: the audit outlives the input */
    npg_ctx_free(ctx);
    return a;
}

static npg_audit *audit(const void *p, size_t n) { return audit_with(p, n, NULL, NULL); }
static npg_audit *audit_buf(buf *b)
{
    npg_audit *a = audit(b->p, b->n);
    free(b->p);
    b->p = NULL;
    return a;
}

static const npg_audit_finding *find(const npg_audit *a, int rule, size_t nth)
{
    for (size_t i = 0; i < npg_audit_count(a); i++) {
        const npg_audit_finding *f = npg_audit_finding_at(a, i);
        if (f->rule == rule && nth-- == 0) return f;
    }
    return NULL;
}

static size_t count_rule(const npg_audit *a, int rule)
{
    size_t k = 0;
    while (find(a, rule, k)) k++;
    return k;
}

static void expect(const npg_audit *a, npg_format fmt, npg_verdict v)
{
    if (npg_audit_format(a) != fmt || npg_audit_verdict(a) != v) {
        for (size_t i = 0; i < npg_audit_count(a); i++) {
            const npg_audit_finding *f = npg_audit_finding_at(a, i);
            print_message("  %s %s %llu [%s] %s\n", npg_rule_id(f->rule), npg_severity_name(f->severity),
                          (unsigned long long)f->offset, f->member ? f->member : "", f->message);
        }
    }
    assert_string_equal(npg_format_name(npg_audit_format(a)), npg_format_name(fmt));
    assert_string_equal(npg_verdict_name(npg_audit_verdict(a)), npg_verdict_name(v));
}

/* ------------------------------------------------------------------ sniffing */

static void test_empty_and_unknown(void **state)
{
    (void)state;
    npg_audit *a = audit("", 0);
    expect(a, NPG_FMT_EMPTY, NPG_VERDICT_OK);
    assert_int_equal(npg_audit_count(a), 0);
    npg_audit_free(a);

    /* bytes that are neither a format nor text: unknown, never passed */
    a = audit(LIT("\x01\x02\x03\x04\xff\xfe binary"));
    expect(a, NPG_FMT_UNKNOWN, NPG_VERDICT_UNKNOWN);
    assert_non_null(find(a, NPG_RULE_UNKNOWN_FORMAT, 0));
    npg_audit_free(a);

    /* PNG magic: NEWFALSE, then PERSID would read a line; there is none, no finding: unknown */
    a = audit(LIT("\x89PNG\r\x1a\x00\x00\x00\x0dIHDR"));
    expect(a, NPG_FMT_UNKNOWN, NPG_VERDICT_UNKNOWN);
    npg_audit_free(a);
}

static void test_npy(void **state)
{
    (void)state;
    buf b = npy_i8();
    npg_audit *a = audit_buf(&b);
    expect(a, NPG_FMT_NPY, NPG_VERDICT_OK);
    assert_int_equal(npg_audit_count(a), 0);
    npg_audit_free(a);

    /* truncated data: invalid, with the status and the offset where the file ends */
    b = npy_i8();
    b.n -= 3;
    size_t cut = b.n;
    a = audit_buf(&b);
    expect(a, NPG_FMT_NPY, NPG_VERDICT_INVALID);
    const npg_audit_finding *f = find(a, NPG_RULE_MALFORMED, 0);
    assert_non_null(f);
    assert_int_equal(f->status, NPG_E_TRUNCATED);
    assert_int_equal(f->offset, cut);
    npg_audit_free(a);

    /* object dtype: the data is a pickle, scanned by the VM, offsets in the file */
    b = make_npy("|O", "(1,)", EVIL_P0, sizeof EVIL_P0 - 1);
    a = audit_buf(&b);
    expect(a, NPG_FMT_NPY, NPG_VERDICT_UNSAFE);
    f = find(a, NPG_RULE_GLOBAL_DANGEROUS, 0);
    assert_non_null(f);
    assert_int_equal(f->offset, 128); /* the header is padded to 128 bytes */
    assert_string_equal(f->global, "posix.system");
    npg_audit_free(a);
}

static void test_pickles_with_and_without_proto(void **state)
{
    (void)state;
    npg_audit *a = audit(LIT("\x80\x02K\x01."));
    expect(a, NPG_FMT_PICKLE, NPG_VERDICT_OK);
    npg_audit_free(a);

    /* protocol 0 and 1: no PROTO, recognised because the VM reads them to STOP */
    a = audit(LIT("(lp0\nI1\naI2\na."));
    expect(a, NPG_FMT_PICKLE, NPG_VERDICT_OK);
    npg_audit_free(a);
    a = audit(LIT("]q\x00(K\x01K\x02" "e."));
    expect(a, NPG_FMT_PICKLE, NPG_VERDICT_OK);
    npg_audit_free(a);

    /* protocol 0 with an import: it is text, and still a pickle (the VM met an import) */
    a = audit(LIT(EVIL_P0));
    expect(a, NPG_FMT_PICKLE, NPG_VERDICT_UNSAFE);
    const npg_audit_finding *g = find(a, NPG_RULE_GLOBAL_DANGEROUS, 0), *c = find(a, NPG_RULE_CALL, 0);
    assert_non_null(g);
    assert_non_null(c);
    assert_int_equal(g->offset, 0);
    assert_string_equal(g->global, "posix.system");
    assert_int_equal(g->severity, NPG_SEV_CRITICAL);
    assert_null(g->member);
    npg_audit_free(a);

    a = audit(LIT(EVIL_P2));
    expect(a, NPG_FMT_PICKLE, NPG_VERDICT_UNSAFE);
    npg_audit_free(a);

    /* PROTO then garbage: a pickle for sure, and invalid */
    a = audit(LIT("\x80\x03\xff"));
    expect(a, NPG_FMT_PICKLE, NPG_VERDICT_INVALID);
    assert_int_equal(find(a, NPG_RULE_MALFORMED, 0)->status, NPG_E_OPCODE);
    npg_audit_free(a);
}

static void test_findings_reported_with_errors(void **state)
{
    (void)state;
    /* the import, then the file ends: the finding and the error, verdict unsafe (it wins) */
    npg_audit *a = audit(LIT("\x80\x02" "cposix\nsystem\n"));
    expect(a, NPG_FMT_PICKLE, NPG_VERDICT_UNSAFE);
    assert_non_null(find(a, NPG_RULE_GLOBAL_DANGEROUS, 0));
    const npg_audit_finding *e = find(a, NPG_RULE_MALFORMED, 0);
    assert_non_null(e);
    assert_int_equal(e->status, NPG_E_TRUNCATED);
    assert_int_equal(e->offset, 16);
    assert_non_null(strstr(e->message, "NPG_E_TRUNCATED"));
    npg_audit_free(a);

    /* no import: only the error; invalid */
    a = audit(LIT("\x80\x02K"));
    expect(a, NPG_FMT_PICKLE, NPG_VERDICT_INVALID);
    npg_audit_free(a);
}

static void test_concatenated_pickles(void **state)
{
    (void)state;
    npg_audit *a = audit(LIT("\x80\x02K\x01.\x80\x04K\x02.I3\n."));
    expect(a, NPG_FMT_PICKLE, NPG_VERDICT_OK);
    npg_audit_free(a);

    /* the second pickle imports: offsets count from the start of the file */
    buf b = {0};
    put(&b, LIT("\x80\x02K\x01."));
    put(&b, LIT(EVIL_P2));
    a = audit_buf(&b);
    expect(a, NPG_FMT_PICKLE, NPG_VERDICT_UNSAFE);
    assert_int_equal(find(a, NPG_RULE_GLOBAL_DANGEROUS, 0)->offset, 5 + 2);
    npg_audit_free(a);

    /* bytes after the last STOP that are no pickle: invalid, at their offset */
    a = audit(LIT("\x80\x02K\x01.\x80\x02K\x02.\xff\xff"));
    expect(a, NPG_FMT_PICKLE, NPG_VERDICT_INVALID);
    assert_int_equal(find(a, NPG_RULE_MALFORMED, 0)->offset, 10);
    npg_audit_free(a);

    /* STOP with bytes of its frame unread: pickle.load from a file read the frame with read()
     * and resumes at the frame's end, where this file's second pickle imports os.system (the
     * bytes right after STOP are no pickle) */
    b = (buf){0};
    put(&b, LIT("\x80\x04\x95"));
    put_le(&b, 5, 8);
    put(&b, LIT("N.\x00\x00\x00"));
    put(&b, LIT("cos\nsystem\n."));
    a = audit_buf(&b);
    expect(a, NPG_FMT_PICKLE, NPG_VERDICT_UNSAFE);
    assert_int_equal(find(a, NPG_RULE_GLOBAL_DANGEROUS, 0)->offset, 16);
    assert_int_equal(find(a, NPG_RULE_MALFORMED, 0)->status, NPG_E_FRAME);
    npg_audit_free(a);
    /* ... and decoding refuses that STOP */
    npg_ctx *ctx = npg_ctx_new(NULL);
    npg_doc *doc = NULL;
    npg_error err;
    npg_pickle_opts opts = {NPG_ALLOW_TRAILING, NULL, 0};
    assert_int_equal(npg_pickle_load(ctx, LIT("\x80\x04\x95\x05\0\0\0\0\0\0\0N.\0\0\0"), &opts, &doc, &err), NPG_E_FRAME);
    assert_int_equal(err.offset, 12);
    npg_ctx_free(ctx);

    /* a million tiny pickles share one max_ops budget */
    npg_limits lim;
    npg_limits_init(&lim);
    lim.max_ops = 10000;
    b = (buf){0};
    for (int i = 0; i < 100000; i++) put(&b, "N.", 2);
    a = audit_with(b.p, b.n, NULL, &lim);
    free(b.p);
    expect(a, NPG_FMT_PICKLE, NPG_VERDICT_INVALID);
    assert_int_equal(find(a, NPG_RULE_MALFORMED, 0)->status, NPG_E_LIMIT_OPS);
    npg_audit_free(a);
}

static void test_text(void **state)
{
    (void)state;
    static const char *const inert[] = {
        "1.000000000000000000e+00,2.000000000000000000e+00\n3.0,4.0\n", /* np.savetxt */
        "# x y\n1 2\n3 4\n",
        "{\"a\": [1, 2, 3], \"b\": null}",
        "[1, 2]\n",
        "N.B. this starts like a pickle (NONE, STOP) and is text\n",
        "caf\xc3\xa9 na\xc3\xafve \xe2\x82\xac\n",
        "\xef\xbb\xbf# BOM then text\r\n",
    };
    for (size_t i = 0; i < sizeof inert / sizeof inert[0]; i++) {
        npg_audit *a = audit(inert[i], strlen(inert[i]));
        expect(a, NPG_FMT_TEXT, NPG_VERDICT_OK);
        assert_int_equal(npg_audit_count(a), 0);
        npg_audit_free(a);
    }
    /* a protocol 0 pickle is text too, and a pickle first */
    npg_audit *a = audit(LIT("I42\n."));
    expect(a, NPG_FMT_PICKLE, NPG_VERDICT_OK);
    npg_audit_free(a);
    /* control characters or bad UTF-8: not text */
    a = audit(LIT("abc\x1b[31m\n"));
    expect(a, NPG_FMT_UNKNOWN, NPG_VERDICT_UNKNOWN);
    npg_audit_free(a);
    a = audit(LIT("abc\xc0\xaf\n"));
    expect(a, NPG_FMT_UNKNOWN, NPG_VERDICT_UNKNOWN);
    npg_audit_free(a);
    /* Text that CPython's unpickler stops in before any find_class: INST looks for its MARK
     * first ("import os"); GLOBAL of a module no import can find ("count,value", "lass Foo:");
     * NONE then APPEND without a list ("Name,Age") */
    static const char *const stops[] = {
        "import os\nprint(1)\n",
        "count,value\n1,2\n3,4\n",
        "class Foo:\n    pass\n",
        "cimport numpy as np\n",
        "Name,Age\nAda,36\n",
    };
    for (size_t i = 0; i < sizeof stops / sizeof stops[0]; i++) {
        a = audit(stops[i], strlen(stops[i]));
        expect(a, NPG_FMT_TEXT, NPG_VERDICT_OK);
        assert_int_equal(npg_audit_count(a), 0);
        npg_audit_free(a);
    }
    /* ... but where CPython gets to find_class, the text is a pickle: INT "1_000" is CPython's
     * int(), so the GLOBAL after it imports os.system (the fail-open hole of issue 9) */
    a = audit(LIT("I1_000\n0cos\nsystem\n(S'echo PWNED'\ntR."));
    expect(a, NPG_FMT_PICKLE, NPG_VERDICT_UNSAFE);
    const npg_audit_finding *g = find(a, NPG_RULE_GLOBAL_DANGEROUS, 0);
    assert_non_null(g);
    assert_int_equal(g->offset, 8);
    assert_string_equal(g->global, "os.system");
    assert_int_equal(find(a, NPG_RULE_MALFORMED, 0)->status, NPG_E_SYNTAX); /* strict INT, reported */
    npg_audit_free(a);
    /* STACK_GLOBAL of two STRING operands (Python 3 decodes them to str) */
    a = audit(LIT("S'os'\nS'system'\n\x93(S'id'\ntR."));
    expect(a, NPG_FMT_PICKLE, NPG_VERDICT_UNSAFE);
    assert_string_equal(find(a, NPG_RULE_GLOBAL_DANGEROUS, 0)->global, "os.system");
    npg_audit_free(a);
    /* a complete opcode stream is a pickle even when CPython imports nothing from it: invalid */
    a = audit(LIT("."));
    expect(a, NPG_FMT_PICKLE, NPG_VERDICT_INVALID);
    npg_audit_free(a);
    a = audit(LIT("N)R."));
    expect(a, NPG_FMT_PICKLE, NPG_VERDICT_INVALID);
    npg_audit_free(a);
    /* a parquet file starts with P (PERSID): pickle.load stops at once (no persistent_load) */
    a = audit(LIT("PAR1\x15\x04\x15\x10\x15\x14L\x15\x02\x15\x00\x12\x00\x00\x08\x1c"));
    expect(a, NPG_FMT_UNKNOWN, NPG_VERDICT_UNKNOWN);
    assert_null(find(a, NPG_RULE_OPCODE_PERSID, 0));
    npg_audit_free(a);
}

/* A name claiming a data format adds suspicion: on text or empty bytes it makes them invalid. */
static void test_name_claims(void **state)
{
    (void)state;
    static const struct {
        const char *name, *data;
        npg_format fmt;
        npg_verdict v;
    } rows[] = {
        {"model.pkl", "0", NPG_FMT_TEXT, NPG_VERDICT_INVALID},        /* a broken pickle, not text */
        {"dir/MODEL.PKL", "", NPG_FMT_EMPTY, NPG_VERDICT_INVALID},
        {"weights.npy", "hello\n", NPG_FMT_TEXT, NPG_VERDICT_INVALID},
        {"ckpt.pt", "\x01\x02\xff", NPG_FMT_UNKNOWN, NPG_VERDICT_INVALID},
        {"notes.txt", "0", NPG_FMT_TEXT, NPG_VERDICT_OK},
        {"model.pkl.txt", "0", NPG_FMT_TEXT, NPG_VERDICT_OK},
        {"model.pkl", "\x80\x02K\x01.", NPG_FMT_PICKLE, NPG_VERDICT_OK}, /* a name never vouches */
        {"data.csv", "cos\nsystem\n(Vid\ntR.", NPG_FMT_PICKLE, NPG_VERDICT_UNSAFE}, /* nor hides */
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        npg_audit_opts o = {0, NULL, 0, rows[i].name};
        npg_audit *a = audit_with(rows[i].data, strlen(rows[i].data), &o, NULL);
        expect(a, rows[i].fmt, rows[i].v);
        if (rows[i].v == NPG_VERDICT_INVALID) assert_non_null(find(a, NPG_RULE_FORMAT_MISMATCH, 0));
        npg_audit_free(a);
    }
}

/* ------------------------------------------------------------------ zip */

static void test_zip_members_by_content(void **state)
{
    (void)state;
    buf npy = npy_i8();
    zm m[] = {
        {.name = "x.npy", .data = npy.p, .len = npy.n},
        {.name = "y.npy", .data = npy.p, .len = npy.n, .deflate = true},
    };
    buf z = make_zip(NULL, 0, m, 2);
    npg_audit *a = audit_buf(&z);
    expect(a, NPG_FMT_ZIP, NPG_VERDICT_OK);
    assert_int_equal(npg_audit_count(a), 0);
    npg_audit_free(a);

    /* a PyTorch-style archive: data.pkl is a pickle, scanned; other members by content */
    zm t[] = {
        {.name = "archive/data.pkl", .data = EVIL_P2, .len = sizeof EVIL_P2 - 1, .deflate = true},
        {.name = "archive/version", .data = "3\n", .len = 2},
        {.name = "archive/data/0", .data = "\x00\x01\x02\xff", .len = 4},
        {.name = "renamed.bin", .data = npy.p, .len = npy.n},
    };
    z = make_zip(NULL, 0, t, 4);
    a = audit_buf(&z);
    expect(a, NPG_FMT_ZIP, NPG_VERDICT_UNSAFE);
    const npg_audit_finding *g = find(a, NPG_RULE_GLOBAL_DANGEROUS, 0);
    assert_non_null(g);
    assert_string_equal(g->member, "archive/data.pkl");
    assert_int_equal(g->offset, 2); /* in the member's inflated bytes */
    assert_int_equal(count_rule(a, NPG_RULE_NON_NPY_MEMBER), 4);
    assert_int_equal(find(a, NPG_RULE_NON_NPY_MEMBER, 0)->severity, NPG_SEV_INFO); /* a pickle */
    assert_int_equal(find(a, NPG_RULE_NON_NPY_MEMBER, 1)->severity, NPG_SEV_INFO); /* text */
    assert_int_equal(find(a, NPG_RULE_NON_NPY_MEMBER, 2)->severity, NPG_SEV_LOW);  /* raw bytes */
    assert_int_equal(find(a, NPG_RULE_NON_NPY_MEMBER, 3)->severity, NPG_SEV_INFO); /* .npy, renamed */
    npg_audit_free(a);

    /* a member named .npy that holds a pickle: low, and its findings */
    zm l[] = {{.name = "arr.npy", .data = EVIL_P0, .len = sizeof EVIL_P0 - 1}};
    z = make_zip(NULL, 0, l, 1);
    a = audit_buf(&z);
    expect(a, NPG_FMT_ZIP, NPG_VERDICT_UNSAFE);
    assert_int_equal(find(a, NPG_RULE_NON_NPY_MEMBER, 0)->severity, NPG_SEV_LOW);
    npg_audit_free(a);
    free(npy.p);
}

/* Deflated .npy members larger than max_alloc: judged from the header, streamed, never held */
static void test_zip_member_above_max_alloc(void **state)
{
    (void)state;
    npg_limits lim;
    npg_limits_init(&lim);
    lim.max_alloc = 512 * 1024; /* npg_zip_read needs its 256 KiB chunk and zlib's state */
    size_t n = 2 * 1024 * 1024;
    uint8_t *zeros = calloc(n, 1);
    buf npy = make_npy("<f8", "(262144,)", zeros, n);
    zm m[] = {{.name = "big.npy", .data = npy.p, .len = npy.n, .deflate = true}};
    buf z = make_zip(NULL, 0, m, 1);
    npg_audit *a = audit_with(z.p, z.n, NULL, &lim);
    free(z.p);
    expect(a, NPG_FMT_ZIP, NPG_VERDICT_OK);
    assert_int_equal(npg_audit_count(a), 0);
    npg_audit_free(a);

    /* one byte too many: the header's length disagrees with the member's */
    free(npy.p);
    npy = make_npy("<f8", "(262144,)", zeros, n - 1);
    put(&npy, "\0\0", 2);
    m[0].data = npy.p, m[0].len = npy.n, m[0].name = "big.bin";
    z = make_zip(NULL, 0, m, 1);
    a = audit_with(z.p, z.n, NULL, &lim);
    free(z.p);
    expect(a, NPG_FMT_ZIP, NPG_VERDICT_INVALID);
    assert_int_equal(find(a, NPG_RULE_MALFORMED, 0)->status, NPG_E_TRAILING);
    assert_int_equal(find(a, NPG_RULE_NON_NPY_MEMBER, 0)->severity, NPG_SEV_INFO);
    npg_audit_free(a);

    /* an object array's data is a pickle: it must be held, and it is too big for that */
    free(npy.p);
    npy = make_npy("|O", "(1,)", zeros, n);
    m[0].data = npy.p, m[0].len = npy.n;
    z = make_zip(NULL, 0, m, 1);
    a = audit_with(z.p, z.n, NULL, &lim);
    free(z.p);
    expect(a, NPG_FMT_ZIP, NPG_VERDICT_INVALID);
    assert_int_equal(find(a, NPG_RULE_MALFORMED, 0)->status, NPG_E_LIMIT_ALLOC);
    npg_audit_free(a);
    free(npy.p);
    free(zeros);
}

static void test_zip_hidden_member(void **state)
{
    (void)state;
    buf npy = npy_i8();
    zm m[] = {
        {.name = "a.npy", .data = npy.p, .len = npy.n},
        {.name = "evil.pkl", .data = EVIL_P2, .len = sizeof EVIL_P2 - 1, .hidden = true},
    };
    buf z = make_zip(NULL, 0, m, 2);
    uint64_t evil_lh = 30 + 5 + npy.n;
    npg_audit *a = audit_buf(&z);
    expect(a, NPG_FMT_ZIP, NPG_VERDICT_UNSAFE); /* refused by npg_zip_open, scanned anyway */
    assert_int_equal(find(a, NPG_RULE_MALFORMED, 0)->status, NPG_E_ZIP_LAYOUT);
    const npg_audit_finding *h = find(a, NPG_RULE_HIDDEN_MEMBER, 0);
    assert_non_null(h);
    assert_string_equal(h->member, "evil.pkl");
    assert_int_equal(h->offset, evil_lh);
    assert_string_equal(find(a, NPG_RULE_GLOBAL_DANGEROUS, 0)->member, "evil.pkl");
    npg_audit_free(a);

    /* the same hidden member, deflated: found and inflated by the walk */
    m[1].deflate = true;
    z = make_zip(NULL, 0, m, 2);
    a = audit_buf(&z);
    expect(a, NPG_FMT_ZIP, NPG_VERDICT_UNSAFE);
    assert_non_null(find(a, NPG_RULE_HIDDEN_MEMBER, 0));
    npg_audit_free(a);

    /* hidden but benign: still invalid (the archive failed validation) */
    m[1].data = "\x80\x02K\x01.";
    m[1].len = 5;
    z = make_zip(NULL, 0, m, 2);
    a = audit_buf(&z);
    expect(a, NPG_FMT_ZIP, NPG_VERDICT_INVALID);
    npg_audit_free(a);
    free(npy.p);
}

static void test_zip_refused_but_scanned(void **state)
{
    (void)state;
    /* local and central names differ (picklescan CVE-2025-1944) */
    zm m[] = {{.name = "data.pkl", .cd_name = "datap.kl", .data = EVIL_P2, .len = sizeof EVIL_P2 - 1}};
    buf z = make_zip(NULL, 0, m, 1);
    npg_audit *a = audit_buf(&z);
    expect(a, NPG_FMT_ZIP, NPG_VERDICT_UNSAFE);
    assert_int_equal(find(a, NPG_RULE_MALFORMED, 0)->status, NPG_E_ZIP_LOCAL);
    npg_audit_free(a);

    /* "encrypted" flag on plain data (CVE-2025-1945): PyTorch reads it anyway, so do we */
    m[0].cd_name = NULL;
    m[0].cd_flags = 1;
    z = make_zip(NULL, 0, m, 1);
    a = audit_buf(&z);
    expect(a, NPG_FMT_ZIP, NPG_VERDICT_UNSAFE);
    npg_audit_free(a);

    /* two directory entries on one local header (overlap bomb shape): scanned once */
    zm o[] = {{.name = "a.pkl", .data = EVIL_P2, .len = sizeof EVIL_P2 - 1},
              {.name = "b.pkl", .data = "x", .len = 1, .hidden = true},
              {.name = "c.pkl", .cd_points_to = 1, .data = "", .len = 0}};
    z = make_zip(NULL, 0, o, 3);
    a = audit_buf(&z);
    expect(a, NPG_FMT_ZIP, NPG_VERDICT_UNSAFE);
    assert_int_equal(count_rule(a, NPG_RULE_GLOBAL_DANGEROUS), 1);
    npg_audit_free(a);

    /* cut before its central directory: the walk still finds the member */
    m[0].cd_flags = 0;
    m[0].deflate = true;
    z = make_zip(NULL, 0, m, 1);
    z.n -= 40;
    a = audit_buf(&z);
    expect(a, NPG_FMT_ZIP, NPG_VERDICT_UNSAFE);
    assert_int_equal(find(a, NPG_RULE_MALFORMED, 0)->status, NPG_E_ZIP_EOCD);
    assert_int_equal(count_rule(a, NPG_RULE_HIDDEN_MEMBER), 0); /* no directory to hide from */
    npg_audit_free(a);

    /* past validation, member bytes count against max_uncompressed, stored ones too (directory
     * entries may overlap, so their sizes can add up to far more than the file) */
    static const char big[200] = "\x80\x02K\x01.";
    zm st[] = {{.name = "a.bin", .data = big, .len = sizeof big},
               {.name = "b.bin", .data = big, .len = sizeof big, .hidden = true},
               {.name = "c.bin", .data = big, .len = sizeof big}};
    npg_limits lim;
    npg_limits_init(&lim);
    lim.max_uncompressed = 300;
    z = make_zip(NULL, 0, st, 3);
    a = audit_with(z.p, z.n, NULL, &lim);
    free(z.p);
    expect(a, NPG_FMT_ZIP, NPG_VERDICT_INVALID);
    const npg_audit_finding *cut = NULL;
    for (size_t i = 0; (cut = find(a, NPG_RULE_MALFORMED, i)); i++)
        if (cut->status == NPG_E_LIMIT_UNCOMPRESSED) break;
    assert_non_null(cut);
    npg_audit_free(a);

    /* prepended data (a shell script): still a zip, invalid, members scanned */
    zm ok[] = {{.name = "a.pkl", .data = "\x80\x02K\x01.", .len = 5}};
    z = make_zip(LIT("#!/bin/sh\nexit 0\n"), ok, 1);
    a = audit_buf(&z);
    expect(a, NPG_FMT_ZIP, NPG_VERDICT_INVALID);
    assert_int_equal(count_rule(a, NPG_RULE_POLYGLOT), 0);
    npg_audit_free(a);
}

static void test_polyglots(void **state)
{
    (void)state;
    zm m[] = {{.name = "data.pkl", .data = EVIL_P2, .len = sizeof EVIL_P2 - 1}};
    /* a .npy with an archive behind it: np.load sees the array, zip tools the pickle */
    buf npy = npy_i8();
    buf z = make_zip(npy.p, npy.n, m, 1);
    npg_audit *a = audit_buf(&z);
    expect(a, NPG_FMT_NPY, NPG_VERDICT_UNSAFE);
    assert_non_null(find(a, NPG_RULE_POLYGLOT, 0));
    assert_string_equal(find(a, NPG_RULE_GLOBAL_DANGEROUS, 0)->member, "data.pkl");
    npg_audit_free(a);

    /* a pickle with an archive behind it */
    z = make_zip(LIT("\x80\x02K\x01."), m, 1);
    a = audit_buf(&z);
    expect(a, NPG_FMT_PICKLE, NPG_VERDICT_UNSAFE);
    assert_non_null(find(a, NPG_RULE_POLYGLOT, 0));
    npg_audit_free(a);

    /* an end record inside a pickle's bytes payload: a zip reader may take it, but the pickle
     * runs on past it to its STOP, as pickle.load reads it, and all of it is scanned */
    static const char inside[] = "\x80\x03" "C\x16" "PK\x05\x06" "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
                                 "0" "cposix\nsystem\nq\x00X\x01\x00\x00\x00xq\x01\x85q\x02Rq\x03.";
    a = audit(inside, sizeof inside - 1);
    expect(a, NPG_FMT_PICKLE, NPG_VERDICT_UNSAFE);
    assert_non_null(find(a, NPG_RULE_POLYGLOT, 0));
    assert_int_equal(find(a, NPG_RULE_GLOBAL_DANGEROUS, 0)->offset, 27);
    npg_audit_free(a);

    /* both halves benign: the file is still refused (invalid) */
    zm ok[] = {{.name = "a.npy", .data = npy.p, .len = npy.n}};
    z = make_zip(LIT("\x80\x02K\x01."), ok, 1);
    a = audit_buf(&z);
    expect(a, NPG_FMT_PICKLE, NPG_VERDICT_INVALID);
    assert_non_null(find(a, NPG_RULE_POLYGLOT, 0));
    npg_audit_free(a);
    free(npy.p);
}

/* ------------------------------------------------------------------ options and limits */

static void test_allow_list(void **state)
{
    (void)state;
    const char *allow[] = {"posix.system"};
    npg_audit_opts o = {0, allow, 1};
    npg_audit *a = audit_with(LIT(EVIL_P2), &o, NULL);
    expect(a, NPG_FMT_PICKLE, NPG_VERDICT_OK);
    const npg_audit_finding *g = find(a, NPG_RULE_GLOBAL_DANGEROUS, 0), *c = find(a, NPG_RULE_CALL, 0);
    assert_int_equal(g->severity, NPG_SEV_INFO);
    assert_int_equal(c->severity, NPG_SEV_INFO); /* the call of the allowed global too */
    assert_non_null(strstr(g->message, "allowed by the caller"));
    npg_audit_free(a);

    /* exact match only */
    const char *near[] = {"posix.syste", "posix", "posix.system.x"};
    o = (npg_audit_opts){0, near, 3};
    a = audit_with(LIT(EVIL_P2), &o, NULL);
    expect(a, NPG_FMT_PICKLE, NPG_VERDICT_UNSAFE);
    npg_audit_free(a);

    /* bad options */
    npg_ctx *ctx = npg_ctx_new(NULL);
    npg_audit *out = (npg_audit *)1;
    o = (npg_audit_opts){0, NULL, 2};
    assert_int_equal(npg_audit_buffer(ctx, (const uint8_t *)"N.", 2, &o, &out), NPG_E_INVALID);
    assert_null(out);
    o = (npg_audit_opts){NPG_SCAN, NULL, 0};
    assert_int_equal(npg_audit_buffer(ctx, (const uint8_t *)"N.", 2, &o, &out), NPG_E_INVALID);
    assert_int_equal(npg_audit_buffer(NULL, (const uint8_t *)"N.", 2, NULL, &out), NPG_E_INVALID);
    assert_int_equal(npg_audit_buffer(ctx, NULL, 2, NULL, &out), NPG_E_INVALID);
    npg_ctx_free(ctx);
}

static void test_findings_cap(void **state)
{
    (void)state;
    npg_limits lim;
    npg_limits_init(&lim);
    lim.max_findings = 4;
    /* 20 allowlisted globals (info notes), then a call of os.system: the VM keeps the first 4,
     * so what it dropped is unknown and the file cannot pass */
    buf b = {0};
    put(&b, "\x80\x02", 2);
    for (int i = 0; i < 20; i++) put_str(&b, "cnumpy\ndtype\n0");
    put(&b, EVIL_P2 + 2, sizeof EVIL_P2 - 3);
    npg_audit *a = audit_with(b.p, b.n, NULL, &lim);
    assert_int_not_equal(npg_audit_verdict(a), NPG_VERDICT_OK);
    npg_audit_free(a);

    /* across members the audit itself caps: high findings push out info ones */
    zm m[6];
    static const char *const names[] = {"a", "b", "c", "d", "e", "f"};
    for (int i = 0; i < 6; i++)
        m[i] = (zm){.name = names[i], .data = i < 5 ? "\x80\x02K\x01." : EVIL_P2, .len = i < 5 ? 5 : sizeof EVIL_P2 - 1};
    buf z = make_zip(NULL, 0, m, 6);
    a = audit_with(z.p, z.n, NULL, &lim);
    free(z.p);
    expect(a, NPG_FMT_ZIP, NPG_VERDICT_UNSAFE);
    assert_int_equal(npg_audit_count(a), 5); /* the cap, plus the note saying how many were dropped */
    assert_non_null(find(a, NPG_RULE_GLOBAL_DANGEROUS, 0));
    const npg_audit_finding *note = npg_audit_finding_at(a, 4);
    assert_int_equal(note->rule, NPG_RULE_MALFORMED);
    assert_int_equal(note->severity, NPG_SEV_INFO);
    npg_audit_free(a);
    free(b.p);
}

static void test_names_and_rules(void **state)
{
    (void)state;
    assert_string_equal(npg_format_name(NPG_FMT_PICKLE), "pickle");
    assert_string_equal(npg_format_name(NPG_FMT_TEXT), "text");
    assert_string_equal(npg_format_name((npg_format)99), "unknown");
    assert_string_equal(npg_verdict_name(NPG_VERDICT_INVALID), "invalid");
    static const struct { int rule; const char *id, *name; npg_severity sev; } r[] = {
        {NPG_RULE_MALFORMED, "NPG100", "malformed", NPG_SEV_HIGH},
        {NPG_RULE_UNKNOWN_FORMAT, "NPG101", "unknown-format", NPG_SEV_MEDIUM},
        {NPG_RULE_POLYGLOT, "NPG102", "polyglot", NPG_SEV_HIGH},
        {NPG_RULE_NON_NPY_MEMBER, "NPG103", "non-npy-member", NPG_SEV_LOW},
        {NPG_RULE_HIDDEN_MEMBER, "NPG104", "hidden-member", NPG_SEV_HIGH},
        {NPG_RULE_FORMAT_MISMATCH, "NPG105", "format-mismatch", NPG_SEV_HIGH},
        {NPG_RULE_LEGACY_FORMAT, "NPG106", "legacy-format", NPG_SEV_INFO},
        {NPG_RULE_GLOBAL_UNIMPORTABLE, "NPG011", "unimportable-global", NPG_SEV_LOW},
    };
    for (size_t i = 0; i < sizeof r / sizeof r[0]; i++) {
        assert_string_equal(npg_rule_id(r[i].rule), r[i].id);
        assert_string_equal(npg_rule_name(r[i].rule), r[i].name);
        assert_int_equal(npg_rule_severity(r[i].rule), r[i].sev);
        assert_true(strlen(npg_rule_help(r[i].rule)) > 40);
    }
    assert_string_equal(npg_rule_id(50), "NPG000"); /* a gap in the table */
    assert_string_equal(npg_rule_id(107), "NPG000");
    assert_null(npg_audit_finding_at(NULL, 0));
    assert_int_equal(npg_audit_count(NULL), 0);
    npg_audit_free(NULL);
}

/* ------------------------------------------------------------------ allocation failures */


/* Every allocation, failing in turn: no leak, no crash, and a failure never yields "ok". */
static void sweep(const uint8_t *p, size_t n, npg_verdict full)
{
    tu_failing f = {-1, 0, false};
    npg_alloc hooks = tu_failing_alloc(&f);
    npg_ctx *ctx = npg_ctx_new(&hooks);
    assert_non_null(ctx);
    long k;
    for (k = 0; k < 5000; k++) {
        f = (tu_failing){k, 0, false};
        npg_audit *a = NULL;
        int rc = npg_audit_buffer(ctx, p, n, NULL, &a);
        f.left = -1;
        if (rc != NPG_OK) {
            assert_null(a);
            assert_true(rc == NPG_E_NOMEM || rc == NPG_E_LIMIT_ALLOC);
            continue;
        }
        if (f.failed) assert_int_not_equal(npg_audit_verdict(a), NPG_VERDICT_OK);
        else assert_int_equal(npg_audit_verdict(a), full);
        npg_audit_free(a);
        if (!f.failed) break;
    }
    assert_true(k >= 2 && k < 5000); /* the audit and a document at least; then one run had enough */
    npg_ctx_free(ctx);
}

static void test_allocation_failures(void **state)
{
    (void)state;
    sweep(LIT(EVIL_P0), NPG_VERDICT_UNSAFE);
    sweep(LIT("1.0,2.0\n"), NPG_VERDICT_OK);
    buf npy = npy_i8();
    zm m[] = {{.name = "a.npy", .data = npy.p, .len = npy.n, .deflate = true},
              {.name = "evil.pkl", .data = EVIL_P2, .len = sizeof EVIL_P2 - 1, .deflate = true, .hidden = true}};
    buf z = make_zip(NULL, 0, m, 2);
    sweep(z.p, z.n, NPG_VERDICT_UNSAFE);
    free(z.p);
    m[1].hidden = false;
    z = make_zip(npy.p, npy.n, m, 2);
    sweep(z.p, z.n, NPG_VERDICT_UNSAFE);
    free(z.p);
    free(npy.p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_and_unknown),
        cmocka_unit_test(test_npy),
        cmocka_unit_test(test_pickles_with_and_without_proto),
        cmocka_unit_test(test_findings_reported_with_errors),
        cmocka_unit_test(test_concatenated_pickles),
        cmocka_unit_test(test_text),
        cmocka_unit_test(test_name_claims),
        cmocka_unit_test(test_zip_members_by_content),
        cmocka_unit_test(test_zip_member_above_max_alloc),
        cmocka_unit_test(test_zip_hidden_member),
        cmocka_unit_test(test_zip_refused_but_scanned),
        cmocka_unit_test(test_polyglots),
        cmocka_unit_test(test_allow_list),
        cmocka_unit_test(test_findings_cap),
        cmocka_unit_test(test_names_and_rules),
        cmocka_unit_test(test_allocation_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
