/* Unit tests for the restricted pickle VM (src/pickle/vm.c, reduce.c, value.c), opcode by opcode.
 *
 * Every opcode of the table in src/pickle/opcodes.h gets at least one pickle that is accepted
 * (with its decoded value checked through the public accessors) and at least one that is
 * refused with an exact status and byte offset. The tests record which opcodes they covered;
 * the last test walks npg__opinfo and fails when a row has no accepted or no refused case, so an
 * opcode added to the table without tests fails this file. For the opcodes that are never
 * executed (INST, OBJ, NEWOBJ, NEWOBJ_EX, EXT1/2/4, PERSID, BINPERSID) "accepted" means: a scan
 * (NPG_SCAN) that records the right finding at the right offset and parses on to STOP.
 *
 * Expected values come from the pickle format itself (CPython's pickletools, Lib/pickle.py), from
 * ../shared/notes/numpy-pickles.md, or from Debian's /usr/bin/python3 (CPython 3.11.2 with NumPy
 * 1.24.2) as stated next to each literal; never from running npguard. Short pickles are written
 * by hand, one opcode per string piece with its offset, pickletools style. Each input is copied
 * into a heap buffer of exactly its length, so AddressSanitizer sees any read past the end. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "npguard.h"
#include "pickle/opcodes.h"
#include "pickles.h"
#include "testutil.h"

#define LIT(s) (const uint8_t *)(s), (sizeof(s) - 1)
#define AUTO_OP (-2) /* expected err.opcode: the byte at the error offset, or -1 past the end */

/* ------------------------------------------------------------------ coverage bookkeeping */

static bool g_accepted[256];
static bool g_refused[256];

/* ------------------------------------------------------------------ running the VM */

typedef struct run {
    uint8_t *buf; /* exact-size heap copy of the input */
    size_t len;
    npg_doc *doc;
    npg_error err;
    int rc;
} run;

static void run_load(run *r, const uint8_t *p, size_t n, const npg_pickle_opts *opts,
                     const npg_limits *lim)
{
    memset(r, 0, sizeof *r);
    r->len = n;
    r->buf = malloc(n ? n : 1);
    assert_non_null(r->buf);
    if (n) memcpy(r->buf, p, n);
    npg_ctx *ctx = npg_ctx_new(NULL);
    assert_non_null(ctx);
    if (lim) assert_int_equal(npg_ctx_set_limits(ctx, lim), NPG_OK);
    memset(&r->err, 0xff, sizeof r->err);
    r->doc = (npg_doc *)(void *)&r->len; /* poison: the load must overwrite *out */
    r->rc = npg_pickle_load(ctx, r->buf, n, opts, &r->doc, &r->err);
    npg_ctx_free(ctx);
}

static void run_free(run *r)
{
    if (r->doc != (npg_doc *)(void *)&r->len) npg_doc_free(r->doc);
    free(r->buf);
    memset(r, 0, sizeof *r);
}

/* One line of printable ASCII, NUL-terminated inside the array. */
static void check_message(const char *msg, size_t cap)
{
    size_t n = strnlen(msg, cap);
    if (n == 0 || n >= cap) fail_msg("message empty or not terminated (%zu)", n);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)msg[i];
        if (c < 0x20 || c > 0x7e) fail_msg("message byte %zu is 0x%02x: %.*s", i, c, (int)n, msg);
    }
}

static void expect_refused(int line, const run *r, int code, uint64_t off, int opcode)
{
    if (r->rc != code || r->err.code != code || r->err.offset != off)
        fail_msg("line %d: got %s (err.code %d) at offset %llu (opcode %d: %.*s), want %s at %llu", line,
                 npg_status_name(r->rc), r->err.code, (unsigned long long)r->err.offset, r->err.opcode,
                 (int)sizeof r->err.message, r->err.message, npg_status_name(code), (unsigned long long)off);
    int want = opcode;
    if (want == AUTO_OP) want = off < r->len ? r->buf[off] : -1;
    if (r->err.opcode != want) fail_msg("line %d: err.opcode %d, want %d", line, r->err.opcode, want);
    check_message(r->err.message, sizeof r->err.message);
    if (strnlen(r->err.member, sizeof r->err.member) != 0) fail_msg("line %d: err.member not empty", line);
}

/* npguard.h: "A scan with no finding above NPG_SEV_INFO and status NPG_OK is exactly a pickle that
 * decode mode accepts." Every input of this file is also scanned to check that promise. */
static void check_scan_agrees(int line, const uint8_t *p, size_t n, const npg_pickle_opts *decode_opts,
                              const npg_limits *lim, int decode_rc, int decode_kind)
{
    npg_pickle_opts o = decode_opts ? *decode_opts : (npg_pickle_opts){0, NULL, 0};
    o.flags |= NPG_SCAN;
    run s;
    run_load(&s, p, n, &o, lim);
    if (s.doc == NULL && s.rc != NPG_E_NOMEM && s.rc != NPG_E_LIMIT_ALLOC)
        fail_msg("line %d: scan gave no document (%s)", line, npg_status_name(s.rc));
    size_t count = 0, total = 0, above_info = 0;
    const npg_finding *f = npg_doc_findings(s.doc, &count, &total);
    for (size_t i = 0; i < count; i++) above_info += f[i].severity > NPG_SEV_INFO;
    bool clean = s.rc == NPG_OK && above_info == 0;
    if (clean != (decode_rc == NPG_OK))
        fail_msg("line %d: decode %s but scan %s with %zu finding(s) above info", line, npg_status_name(decode_rc),
                 npg_status_name(s.rc), above_info);
    if (decode_rc == NPG_OK && (int)npg_value_kind(npg_doc_root(s.doc)) != decode_kind)
        fail_msg("line %d: scan root is a %s, decode root a %s", line, npg_kind_name(npg_value_kind(npg_doc_root(s.doc))),
                 npg_kind_name((npg_kind)decode_kind));
    /* A refusal that is not a finding is the same error in both modes, except where decode mode
     * refuses an opcode or global outright and CPython (which scan mode follows) raises for
     * another reason; a strict refusal CPython would not make is the scan's first finding,
     * carrying the same status. */
    bool outright = decode_rc == NPG_E_FORBIDDEN_OPCODE || decode_rc == NPG_E_GLOBAL || decode_rc == NPG_E_BUFFER;
    if (decode_rc != NPG_OK && above_info == 0 && s.rc != decode_rc && !outright)
        fail_msg("line %d: decode %s, scan %s", line, npg_status_name(decode_rc), npg_status_name(s.rc));
    for (size_t i = 0; i < count && decode_rc != NPG_OK; i++) {
        if (f[i].severity == NPG_SEV_INFO) continue;
        if (f[i].rule == NPG_RULE_MALFORMED && f[i].status != decode_rc)
            fail_msg("line %d: decode %s, scan's first finding has status %s", line, npg_status_name(decode_rc),
                     npg_status_name(f[i].status));
        break;
    }
    run_free(&s);
}

/* Decode (or scan, with flags) and expect a refusal with code at off; records the opcode. */
static void refuse_(int line, int op, const uint8_t *p, size_t n, unsigned flags, const npg_limits *lim,
                    int code, uint64_t off, int opcode)
{
    run r;
    npg_pickle_opts o = {flags, NULL, 0};
    run_load(&r, p, n, &o, lim);
    expect_refused(line, &r, code, off, opcode);
    if (!(flags & NPG_SCAN)) {
        if (r.doc != NULL) fail_msg("line %d: *out is not NULL after a failed decode", line);
    } else {
        if (r.doc == NULL) fail_msg("line %d: scan gave no document", line);
        npg_error e;
        memset(&e, 0xff, sizeof e);
        assert_int_equal(npg_doc_status(r.doc, &e), code);
        assert_int_equal(e.code, code);
        assert_true(e.offset == off);
        assert_null(npg_doc_root(r.doc));
    }
    if (op >= 0) g_refused[op] = true;
    if (!(flags & NPG_SCAN)) check_scan_agrees(line, p, n, &o, lim, r.rc, -1);
    run_free(&r);
}

#define REFUSE(op, bytes, code, off) refuse_(__LINE__, (op), LIT(bytes), 0, NULL, (code), (off), AUTO_OP)
#define REFUSE_OP(op, bytes, code, off, opcode) \
    refuse_(__LINE__, (op), LIT(bytes), 0, NULL, (code), (off), (opcode))
#define REFUSE_F(op, bytes, flags, code, off) refuse_(__LINE__, (op), LIT(bytes), (flags), NULL, (code), (off), AUTO_OP)
#define REFUSE_L(op, bytes, lim, code, off) refuse_(__LINE__, (op), LIT(bytes), 0, (lim), (code), (off), AUTO_OP)
#define REFUSE_B(op, ptr, n, code, off) refuse_(__LINE__, (op), (ptr), (n), 0, NULL, (code), (off), AUTO_OP)

static const npg_value *accept_(int line, run *r, int op, const uint8_t *p, size_t n, const npg_pickle_opts *o,
                                const npg_limits *lim)
{
    run_load(r, p, n, o, lim);
    if (r->rc != NPG_OK)
        fail_msg("line %d: refused with %s at offset %llu (opcode %d): %.*s", line, npg_status_name(r->rc),
                 (unsigned long long)r->err.offset, r->err.opcode, (int)sizeof r->err.message, r->err.message);
    if (r->doc == NULL || r->doc == (npg_doc *)(void *)&r->len) fail_msg("line %d: no document", line);
    /* success clears the error record */
    assert_int_equal(r->err.code, NPG_OK);
    assert_int_equal(r->err.opcode, -1);
    assert_int_equal(npg_doc_status(r->doc, NULL), NPG_OK);
    const npg_value *root = npg_doc_root(r->doc);
    if (!root) fail_msg("line %d: no root", line);
    if (op >= 0) g_accepted[op] = true;
    if (!o || !(o->flags & NPG_SCAN)) check_scan_agrees(line, p, n, o, lim, NPG_OK, (int)npg_value_kind(root));
    return root;
}

static const npg_value *accept_flags(int line, run *r, int op, const uint8_t *p, size_t n, unsigned flags)
{
    npg_pickle_opts o = {flags, NULL, 0};
    return accept_(line, r, op, p, n, &o, NULL);
}

#define ACCEPT(r, op, bytes) accept_flags(__LINE__, (r), (op), LIT(bytes), 0)
#define ACCEPT_F(r, op, bytes, flags) accept_flags(__LINE__, (r), (op), LIT(bytes), (flags))
#define ACCEPT_B(r, op, ptr, n) accept_flags(__LINE__, (r), (op), (ptr), (n), 0)

/* A heap copy of p[0..n) with byte `at` changed from `from` (checked) to `to`. */
static uint8_t *patched(const char *p, size_t n, size_t at, uint8_t from, uint8_t to)
{
    uint8_t *q = malloc(n);
    assert_non_null(q);
    memcpy(q, p, n);
    assert_true(at < n);
    assert_int_equal(q[at], from);
    q[at] = to;
    return q;
}

/* ------------------------------------------------------------------ value checks */

static void expect_kind(const npg_value *v, npg_kind k)
{
    if (!v) fail_msg("value is NULL, want %s", npg_kind_name(k));
    if (npg_value_kind(v) != k)
        fail_msg("kind %s, want %s", npg_kind_name(npg_value_kind(v)), npg_kind_name(k));
}

/* Minimal two's-complement little-endian bytes, as pickle.encode_long writes them (0 -> 00). */
static void expect_int_bytes(const npg_value *v, const char *le, size_t n)
{
    expect_kind(v, NPG_INT);
    uint8_t buf[600];
    assert_true(n <= sizeof buf);
    memset(buf, 0xa5, sizeof buf);
    size_t got = npg_value_int_bytes(v, buf, sizeof buf);
    if (got != n) fail_msg("int of %zu bytes, want %zu", got, n);
    assert_memory_equal(buf, le, n);
    assert_int_equal(buf[n], 0xa5); /* nothing written past the value */
    int64_t dummy = 0;
    if (n > 8) assert_false(npg_value_int64(v, &dummy));
}

static void expect_int(const npg_value *v, int64_t want)
{
    expect_kind(v, NPG_INT);
    int64_t got = 0;
    if (!npg_value_int64(v, &got)) fail_msg("int does not fit int64, want %lld", (long long)want);
    if (got != want) fail_msg("int %lld, want %lld", (long long)got, (long long)want);
    /* the same value as minimal two's complement */
    char le[8];
    uint64_t u = (uint64_t)want;
    size_t n = 8;
    for (int i = 0; i < 8; i++) le[i] = (char)(u >> (8 * i));
    while (n > 1 && (((uint8_t)le[n - 1] == 0x00 && !((uint8_t)le[n - 2] & 0x80)) ||
                     ((uint8_t)le[n - 1] == 0xff && ((uint8_t)le[n - 2] & 0x80))))
        n--;
    expect_int_bytes(v, le, n);
}

static void expect_bool(const npg_value *v, int b)
{
    expect_kind(v, NPG_BOOL);
    assert_int_equal(npg_value_bool(v), b);
}

static uint64_t f64_bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static void expect_float_bits(const npg_value *v, uint64_t bits)
{
    expect_kind(v, NPG_FLOAT);
    uint64_t got = f64_bits(npg_value_float(v));
    if (got != bits) fail_msg("float bits %016llx, want %016llx", (unsigned long long)got, (unsigned long long)bits);
}

static void expect_data(const npg_value *v, npg_kind k, const char *s, size_t n)
{
    expect_kind(v, k);
    size_t len = 12345;
    const uint8_t *p = npg_value_bytes(v, &len);
    if (len != n) fail_msg("%s of %zu bytes, want %zu", npg_kind_name(k), len, n);
    if (n) {
        assert_non_null(p);
        assert_memory_equal(p, s, n);
    }
}
#define EXPECT_DATA(v, k, s) expect_data((v), (k), (s), sizeof(s) - 1)

static void expect_len(const npg_value *v, npg_kind k, size_t n)
{
    expect_kind(v, k);
    assert_int_equal(npg_value_len(v), n);
}

static void expect_dtype(const npg_dtype *d, const char *str, char kind, size_t itemsize)
{
    assert_non_null(d);
    char buf[64];
    memset(buf, 0x5a, sizeof buf);
    size_t n = npg_dtype_str(d, buf, sizeof buf);
    assert_int_equal(n, strlen(str));
    assert_string_equal(buf, str);
    assert_int_equal(npg_dtype_kind(d), kind);
    assert_int_equal(npg_dtype_itemsize(d), itemsize);
}

/* ------------------------------------------------------------------ scan findings */

static void expect_nfindings(const npg_doc *doc, size_t count, size_t total)
{
    size_t c = 999, t = 999;
    npg_doc_findings(doc, &c, &t);
    if (c != count || t != total) fail_msg("%zu findings (%zu in total), want %zu (%zu)", c, t, count, total);
}

static void expect_finding(const npg_doc *doc, size_t i, uint64_t off, int opcode, int rule, npg_severity sev,
                           const char *global)
{
    size_t count = 0, total = 0;
    const npg_finding *f = npg_doc_findings(doc, &count, &total);
    if (i >= count) fail_msg("finding %zu missing (%zu findings)", i, count);
    f += i;
    if (f->offset != off || f->opcode != opcode || f->rule != rule || f->severity != sev)
        fail_msg("finding %zu: offset %llu opcode 0x%02x rule %d severity %d, want %llu 0x%02x %d %d", i,
                 (unsigned long long)f->offset, (unsigned)f->opcode, f->rule, (int)f->severity,
                 (unsigned long long)off, (unsigned)opcode, rule, (int)sev);
    if (global) {
        assert_non_null(f->global);
        assert_string_equal(f->global, global);
    }
    assert_non_null(f->message);
    check_message(f->message, strlen(f->message) + 1);
}

/* Scan and expect the run to stop with code at off, as CPython's unpickler would. */
static void scan_stops_(int line, run *r, const uint8_t *p, size_t n, int code, uint64_t off)
{
    npg_pickle_opts o = {NPG_SCAN, NULL, 0};
    run_load(r, p, n, &o, NULL);
    if (r->rc != code || r->err.offset != off)
        fail_msg("line %d: scan status %s at %llu (%.*s), want %s at %llu", line, npg_status_name(r->rc),
                 (unsigned long long)r->err.offset, (int)sizeof r->err.message, r->err.message,
                 npg_status_name(code), (unsigned long long)off);
    if (!r->doc) fail_msg("line %d: no document", line);
    check_message(r->err.message, sizeof r->err.message);
}
#define SCAN_STOPS(r, bytes, code, off) scan_stops_(__LINE__, (r), LIT(bytes), (code), (off))

/* Scan and expect the parse to reach STOP (status NPG_OK); returns the document in r. */
static void scan_ok_(int line, run *r, int op, const uint8_t *p, size_t n)
{
    npg_pickle_opts o = {NPG_SCAN, NULL, 0};
    run_load(r, p, n, &o, NULL);
    if (r->rc != NPG_OK)
        fail_msg("line %d: scan status %s at %llu: %.*s", line, npg_status_name(r->rc),
                 (unsigned long long)r->err.offset, (int)sizeof r->err.message, r->err.message);
    if (!r->doc) fail_msg("line %d: no document", line);
    assert_non_null(npg_doc_root(r->doc));
    if (op >= 0) g_accepted[op] = true;
}
#define SCAN_OK(r, op, bytes) scan_ok_(__LINE__, (r), (op), LIT(bytes))

/* ------------------------------------------------------------------ the opcode table */

typedef struct py_op {
    uint8_t byte;
    const char *name;
    int proto;
    int arg;
    int argsize;
} py_op;

/* CPython 3.11.2 Lib/pickletools.py `opcodes`: code, name, proto, and the argument descriptor
 * mapped to npg_arg_kind (uint1/2/4/8 -> UINT, int4 -> SINT, float8 -> FIXED 8, *nl -> LINE,
 * stringnl_noescape_pair -> LINE2, bytes1/4/8, bytearray8, string1, unicodestring1/4/8, long1 ->
 * ULEN, string4 and long4 (signed lengths) -> SLEN). Generated with /usr/bin/python3. */
static const py_op cpython_ops[] = {
    {0x28, "MARK", 0, ARG_NONE, 0},          {0x29, "EMPTY_TUPLE", 1, ARG_NONE, 0},
    {0x2e, "STOP", 0, ARG_NONE, 0},          {0x30, "POP", 0, ARG_NONE, 0},
    {0x31, "POP_MARK", 1, ARG_NONE, 0},      {0x32, "DUP", 0, ARG_NONE, 0},
    {0x42, "BINBYTES", 3, ARG_ULEN, 4},      {0x43, "SHORT_BINBYTES", 3, ARG_ULEN, 1},
    {0x46, "FLOAT", 0, ARG_LINE, 0},         {0x47, "BINFLOAT", 1, ARG_FIXED, 8},
    {0x49, "INT", 0, ARG_LINE, 0},           {0x4a, "BININT", 1, ARG_SINT, 4},
    {0x4b, "BININT1", 1, ARG_UINT, 1},       {0x4c, "LONG", 0, ARG_LINE, 0},
    {0x4d, "BININT2", 1, ARG_UINT, 2},       {0x4e, "NONE", 0, ARG_NONE, 0},
    {0x50, "PERSID", 0, ARG_LINE, 0},        {0x51, "BINPERSID", 1, ARG_NONE, 0},
    {0x52, "REDUCE", 0, ARG_NONE, 0},        {0x53, "STRING", 0, ARG_LINE, 0},
    {0x54, "BINSTRING", 1, ARG_SLEN, 4},     {0x55, "SHORT_BINSTRING", 1, ARG_ULEN, 1},
    {0x56, "UNICODE", 0, ARG_LINE, 0},       {0x58, "BINUNICODE", 1, ARG_ULEN, 4},
    {0x5d, "EMPTY_LIST", 1, ARG_NONE, 0},    {0x61, "APPEND", 0, ARG_NONE, 0},
    {0x62, "BUILD", 0, ARG_NONE, 0},         {0x63, "GLOBAL", 0, ARG_LINE2, 0},
    {0x64, "DICT", 0, ARG_NONE, 0},          {0x65, "APPENDS", 1, ARG_NONE, 0},
    {0x67, "GET", 0, ARG_LINE, 0},           {0x68, "BINGET", 1, ARG_UINT, 1},
    {0x69, "INST", 0, ARG_LINE2, 0},         {0x6a, "LONG_BINGET", 1, ARG_UINT, 4},
    {0x6c, "LIST", 0, ARG_NONE, 0},          {0x6f, "OBJ", 1, ARG_NONE, 0},
    {0x70, "PUT", 0, ARG_LINE, 0},           {0x71, "BINPUT", 1, ARG_UINT, 1},
    {0x72, "LONG_BINPUT", 1, ARG_UINT, 4},   {0x73, "SETITEM", 0, ARG_NONE, 0},
    {0x74, "TUPLE", 0, ARG_NONE, 0},         {0x75, "SETITEMS", 1, ARG_NONE, 0},
    {0x7d, "EMPTY_DICT", 1, ARG_NONE, 0},    {0x80, "PROTO", 2, ARG_UINT, 1},
    {0x81, "NEWOBJ", 2, ARG_NONE, 0},        {0x82, "EXT1", 2, ARG_UINT, 1},
    {0x83, "EXT2", 2, ARG_UINT, 2},          {0x84, "EXT4", 2, ARG_SINT, 4},
    {0x85, "TUPLE1", 2, ARG_NONE, 0},        {0x86, "TUPLE2", 2, ARG_NONE, 0},
    {0x87, "TUPLE3", 2, ARG_NONE, 0},        {0x88, "NEWTRUE", 2, ARG_NONE, 0},
    {0x89, "NEWFALSE", 2, ARG_NONE, 0},      {0x8a, "LONG1", 2, ARG_ULEN, 1},
    {0x8b, "LONG4", 2, ARG_SLEN, 4},         {0x8c, "SHORT_BINUNICODE", 4, ARG_ULEN, 1},
    {0x8d, "BINUNICODE8", 4, ARG_ULEN, 8},   {0x8e, "BINBYTES8", 4, ARG_ULEN, 8},
    {0x8f, "EMPTY_SET", 4, ARG_NONE, 0},     {0x90, "ADDITEMS", 4, ARG_NONE, 0},
    {0x91, "FROZENSET", 4, ARG_NONE, 0},     {0x92, "NEWOBJ_EX", 4, ARG_NONE, 0},
    {0x93, "STACK_GLOBAL", 4, ARG_NONE, 0},  {0x94, "MEMOIZE", 4, ARG_NONE, 0},
    {0x95, "FRAME", 4, ARG_UINT, 8},         {0x96, "BYTEARRAY8", 5, ARG_ULEN, 8},
    {0x97, "NEXT_BUFFER", 5, ARG_NONE, 0},   {0x98, "READONLY_BUFFER", 5, ARG_NONE, 0},
};

/* The opcodes npguard.h (NPG_E_FORBIDDEN_OPCODE) says are never executed. */
static const char *const refused_names[] = {"INST", "OBJ", "NEWOBJ", "NEWOBJ_EX", "EXT1",
                                            "EXT2", "EXT4", "PERSID", "BINPERSID"};

static const py_op *cpython_op(int byte)
{
    for (size_t i = 0; i < sizeof cpython_ops / sizeof cpython_ops[0]; i++)
        if (cpython_ops[i].byte == byte) return &cpython_ops[i];
    return NULL;
}

static void test_opcode_table(void **state)
{
    (void)state;
    assert_int_equal(sizeof cpython_ops / sizeof cpython_ops[0], 68);
    assert_int_equal(npg__opcode_count(), 68);
    int rows = 0, refused = 0;
    for (int b = 0; b < 256; b++) {
        const npg_opinfo *info = &npg__opinfo[b];
        const py_op *py = cpython_op(b);
        if (!info->name) {
            if (py) fail_msg("opcode 0x%02x (%s) missing from the table", (unsigned)b, py->name);
            assert_null(npg_opcode_name(b));
            continue;
        }
        rows++;
        if (!py) fail_msg("0x%02x (%s) is not a CPython opcode", (unsigned)b, info->name);
        assert_string_equal(info->name, py->name);
        if (info->proto != py->proto || info->arg != py->arg || info->argsize != py->argsize)
            fail_msg("%s: proto %d arg %d size %d, want %d %d %d", info->name, info->proto, info->arg,
                     info->argsize, py->proto, py->arg, py->argsize);
        assert_non_null(npg_opcode_name(b));
        assert_string_equal(npg_opcode_name(b), py->name);
        bool listed = false;
        for (size_t i = 0; i < sizeof refused_names / sizeof refused_names[0]; i++)
            if (strcmp(refused_names[i], info->name) == 0) listed = true;
        if (listed != (info->cls == OPC_REFUSED))
            fail_msg("%s: class %d, refused by npguard.h: %d", info->name, info->cls, (int)listed);
        refused += listed;
    }
    assert_int_equal(rows, 68);
    assert_int_equal(refused, 9);
    assert_null(npg_opcode_name(-1));
    assert_null(npg_opcode_name(256));
    assert_null(npg_opcode_name(0x00));
    assert_null(npg_opcode_name(0xff));
}

/* ------------------------------------------------------------------ stack opcodes */

static void test_stack_ops(void **state)
{
    (void)state;
    run r;
    const npg_value *v;
    npg_limits lim;

    /* MARK */
    v = ACCEPT(&r, OP_MARK, "("      /* 0 MARK */
                            "K\x01"  /* 1 BININT1 1 */
                            "t"      /* 3 TUPLE */
                            ".");    /* 4 STOP */
    expect_len(v, NPG_TUPLE, 1);
    expect_int(npg_value_item(v, 0), 1);
    run_free(&r);
    REFUSE(OP_MARK, "N(.", NPG_E_STOP, 2); /* 0 NONE, 1 MARK, 2 STOP with an open MARK */
    npg_limits_init(&lim);
    lim.max_marks = 1;
    REFUSE_L(OP_MARK, "((tt.", &lim, NPG_E_LIMIT_MARKS, 1);

    /* STOP */
    v = ACCEPT(&r, OP_STOP, "N.");
    expect_kind(v, NPG_NONE);
    run_free(&r);
    v = ACCEPT_F(&r, OP_STOP, "N.xyz", NPG_ALLOW_TRAILING);
    expect_kind(v, NPG_NONE);
    assert_true(npg_doc_end(r.doc) == 2);
    run_free(&r);
    REFUSE(OP_STOP, ".", NPG_E_STOP, 0);                       /* nothing on the stack */
    REFUSE(OP_STOP, "NN.", NPG_E_STOP, 2);                     /* two items */
    REFUSE_OP(OP_STOP, "N.N", NPG_E_TRAILING, 2, -1);          /* first byte after STOP */
    REFUSE_OP(OP_STOP, "", NPG_E_TRUNCATED, 0, -1);            /* no STOP at all */
    REFUSE_OP(OP_STOP, "N", NPG_E_TRUNCATED, 1, -1);

    /* POP */
    v = ACCEPT(&r, OP_POP, "K\x01"  /* 0 BININT1 1 */
                           "K\x02"  /* 2 BININT1 2 */
                           "0"      /* 4 POP */
                           ".");    /* 5 STOP */
    expect_int(v, 1);
    run_free(&r);
    /* POP with nothing above the MARK removes the MARK (edge_pop_pops_mark_p0.pkl -> 5) */
    v = ACCEPT(&r, OP_POP, "K\x05"  /* 0 BININT1 5 */
                           "("      /* 2 MARK */
                           "0"      /* 3 POP: removes the MARK */
                           ".");    /* 4 STOP */
    expect_int(v, 5);
    run_free(&r);
    v = ACCEPT(&r, OP_POP, "N"      /* 0 NONE */
                           "("      /* 1 MARK */
                           "0"      /* 2 POP: the MARK */
                           "0"      /* 3 POP: the None */
                           "K\x01"  /* 4 BININT1 1 */
                           ".");    /* 6 STOP */
    expect_int(v, 1);
    run_free(&r);
    REFUSE(OP_POP, "K\x05(0t.", NPG_E_MARK, 4); /* the MARK is gone: TUPLE finds none */
    REFUSE(OP_POP, "0", NPG_E_STACK, 0);

    /* POP_MARK (edge_pop_mark_p1.pkl -> 3) */
    v = ACCEPT(&r, OP_POP_MARK, "K\x03"  /* 0 BININT1 3 */
                                "("      /* 2 MARK */
                                "K\x01"  /* 3 BININT1 1 */
                                "K\x02"  /* 5 BININT1 2 */
                                "1"      /* 7 POP_MARK */
                                ".");    /* 8 STOP */
    expect_int(v, 3);
    run_free(&r);
    REFUSE(OP_POP_MARK, "K\x01" "1", NPG_E_MARK, 2);

    /* DUP: both tuple items are the same object */
    v = ACCEPT(&r, OP_DUP, "K\x07"  /* 0 BININT1 7 */
                           "2"      /* 2 DUP */
                           "\x86"   /* 3 TUPLE2 */
                           ".");    /* 4 STOP */
    expect_len(v, NPG_TUPLE, 2);
    expect_int(npg_value_item(v, 0), 7);
    assert_ptr_equal(npg_value_item(v, 0), npg_value_item(v, 1));
    run_free(&r);
    REFUSE(OP_DUP, "2", NPG_E_STACK, 0);
    REFUSE(OP_DUP, "N(2", NPG_E_STACK, 2); /* DUP would copy the MARK */
}

/* ------------------------------------------------------------------ numbers */

static void test_none_bools(void **state)
{
    (void)state;
    run r;
    const npg_value *v;
    npg_limits lim;
    npg_limits_init(&lim);
    lim.max_stack = 1; /* the second push of each pickle below is the refused opcode */

    v = ACCEPT(&r, OP_NONE, "N.");
    expect_kind(v, NPG_NONE);
    run_free(&r);
    REFUSE_L(OP_NONE, "NN\x86.", &lim, NPG_E_LIMIT_STACK, 1);

    v = ACCEPT(&r, OP_NEWTRUE, "\x88.");
    expect_bool(v, 1);
    run_free(&r);
    REFUSE_L(OP_NEWTRUE, "N\x88\x86.", &lim, NPG_E_LIMIT_STACK, 1);

    v = ACCEPT(&r, OP_NEWFALSE, "\x89.");
    expect_bool(v, 0);
    run_free(&r);
    REFUSE_L(OP_NEWFALSE, "N\x89\x86.", &lim, NPG_E_LIMIT_STACK, 1);
}

static void test_int_text(void **state)
{
    (void)state;
    run r;
    const npg_value *v;

    /* INT: I01/I00 are the bools protocols 0-1 write; other texts are ints */
    v = ACCEPT(&r, OP_INT, "I01\n.");
    expect_bool(v, 1);
    run_free(&r);
    v = ACCEPT(&r, OP_INT, "I00\n.");
    expect_bool(v, 0);
    run_free(&r);
    v = ACCEPT(&r, OP_INT, "I0\n.");
    expect_int(v, 0);
    run_free(&r);
    v = ACCEPT(&r, OP_INT, "I1\n.");
    expect_int(v, 1);
    run_free(&r);
    v = ACCEPT(&r, OP_INT, "I-5\n.");
    expect_int(v, -5);
    run_free(&r);
    v = ACCEPT(&r, OP_INT, "I9223372036854775807\n.");
    expect_int(v, INT64_MAX);
    run_free(&r);
    /* pickle.encode_long(2**63) and (-2**63 - 1) */
    v = ACCEPT(&r, OP_INT, "I9223372036854775808\n.");
    expect_int_bytes(v, "\x00\x00\x00\x00\x00\x00\x00\x80\x00", 9);
    run_free(&r);
    v = ACCEPT(&r, OP_INT, "I-9223372036854775809\n.");
    expect_int_bytes(v, "\xff\xff\xff\xff\xff\xff\xff\x7f\xff", 9);
    run_free(&r);
    /* strict grammar (numpy-pickles.md 7.2): no octal, underscores, plus signs or blanks */
    REFUSE(OP_INT, "I010\n.", NPG_E_SYNTAX, 0);
    REFUSE(OP_INT, "N0I1_000\n.", NPG_E_SYNTAX, 2);
    REFUSE(OP_INT, "I+1\n.", NPG_E_SYNTAX, 0);
    REFUSE(OP_INT, "I0x10\n.", NPG_E_SYNTAX, 0);
    REFUSE(OP_INT, "I\n.", NPG_E_SYNTAX, 0);
    REFUSE(OP_INT, "I12", NPG_E_TRUNCATED, 0); /* no newline */

    /* LONG: optional trailing L */
    v = ACCEPT(&r, OP_LONG, "L-5L\n.");
    expect_int(v, -5);
    run_free(&r);
    v = ACCEPT(&r, OP_LONG, "L123\n.");
    expect_int(v, 123);
    run_free(&r);
    /* pickle.encode_long(2**64) */
    v = ACCEPT(&r, OP_LONG, "L18446744073709551616L\n.");
    expect_int_bytes(v, "\x00\x00\x00\x00\x00\x00\x00\x00\x01", 9);
    run_free(&r);
    REFUSE(OP_LONG, "L12a\n.", NPG_E_SYNTAX, 0);
    REFUSE(OP_LONG, "LL\n.", NPG_E_SYNTAX, 0);
    REFUSE(OP_LONG, "L5", NPG_E_TRUNCATED, 0);
}

static void test_int_binary(void **state)
{
    (void)state;
    run r;
    const npg_value *v;

    v = ACCEPT(&r, OP_BININT, "J\xff\xff\xff\xff.");
    expect_int(v, -1);
    run_free(&r);
    v = ACCEPT(&r, OP_BININT, "J\x00\x00\x00\x80.");
    expect_int(v, INT32_MIN);
    run_free(&r);
    v = ACCEPT(&r, OP_BININT, "J\xff\xff\xff\x7f.");
    expect_int(v, INT32_MAX);
    run_free(&r);
    v = ACCEPT(&r, OP_BININT, "J\x01\x02\x03\x04.");
    expect_int(v, 0x04030201);
    run_free(&r);
    REFUSE(OP_BININT, "J\x00\x00\x00", NPG_E_TRUNCATED, 0);

    v = ACCEPT(&r, OP_BININT1, "K\xff.");
    expect_int(v, 255);
    run_free(&r);
    REFUSE(OP_BININT1, "K", NPG_E_TRUNCATED, 0);

    v = ACCEPT(&r, OP_BININT2, "M\xff\xff.");
    expect_int(v, 65535); /* unsigned */
    run_free(&r);
    v = ACCEPT(&r, OP_BININT2, "M\x01\x02.");
    expect_int(v, 0x0201);
    run_free(&r);
    REFUSE(OP_BININT2, "M\x00", NPG_E_TRUNCATED, 0);
}

/* LONG1/LONG4: two's complement little-endian, any length, not necessarily minimal
 * (edge_long1_long4_p2.pkl; values checked with int.from_bytes(b, 'little', signed=True)). */
static void test_long_binary(void **state)
{
    (void)state;
    run r;
    const npg_value *v;

    v = ACCEPT(&r, OP_LONG1, "\x8a\x00.");            /* 0-length: 0 */
    expect_int(v, 0);
    expect_int_bytes(v, "\x00", 1);
    run_free(&r);
    v = ACCEPT(&r, OP_LONG1, "\x8a\x01\xff.");
    expect_int(v, -1);
    run_free(&r);
    v = ACCEPT(&r, OP_LONG1, "\x8a\x02\x00\x80.");
    expect_int(v, -32768);
    run_free(&r);
    v = ACCEPT(&r, OP_LONG1, "\x8a\x02\xff\x00.");
    expect_int(v, 255);
    run_free(&r);
    v = ACCEPT(&r, OP_LONG1, "\x8a\x03\x01\x00\x00.");  /* non-minimal 1 */
    expect_int(v, 1);
    expect_int_bytes(v, "\x01", 1);
    run_free(&r);
    v = ACCEPT(&r, OP_LONG1, "\x8a\x03\xff\xff\xff.");  /* non-minimal -1 */
    expect_int(v, -1);
    expect_int_bytes(v, "\xff", 1);
    run_free(&r);
    v = ACCEPT(&r, OP_LONG1, "\x8a\x08\x00\x00\x00\x00\x00\x00\x00\x80.");
    expect_int(v, INT64_MIN);
    run_free(&r);
    v = ACCEPT(&r, OP_LONG1, "\x8a\x08\xff\xff\xff\xff\xff\xff\xff\x7f.");
    expect_int(v, INT64_MAX);
    run_free(&r);
    v = ACCEPT(&r, OP_LONG1, "\x8a\x09\xff\xff\xff\xff\xff\xff\xff\xff\xff."); /* 9-byte -1 */
    expect_int(v, -1);
    run_free(&r);
    v = ACCEPT(&r, OP_LONG1, "\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x80\x00."); /* 2**63 */
    expect_int_bytes(v, "\x00\x00\x00\x00\x00\x00\x00\x80\x00", 9);
    run_free(&r);
    v = ACCEPT(&r, OP_LONG1, "\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\x01."); /* 2**64 */
    expect_int_bytes(v, "\x00\x00\x00\x00\x00\x00\x00\x00\x01", 9);
    run_free(&r);
    v = ACCEPT(&r, OP_LONG1, "\x8a\x0a\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00."); /* 2**64, non-minimal */
    expect_int_bytes(v, "\x00\x00\x00\x00\x00\x00\x00\x00\x01", 9);
    run_free(&r);
    v = ACCEPT(&r, OP_LONG1, "\x8a\x0a\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff."); /* -2**64, non-minimal */
    expect_int_bytes(v, "\x00\x00\x00\x00\x00\x00\x00\x00\xff", 9);
    run_free(&r);
    /* npg_value_int_bytes with a small buffer: returns the size needed, copies what fits */
    v = ACCEPT(&r, OP_LONG1, "\x8a\x09\x01\x02\x03\x04\x05\x06\x07\x08\x09.");
    {
        uint8_t small[4] = {0xa5, 0xa5, 0xa5, 0xa5};
        assert_int_equal(npg_value_int_bytes(v, small, 3), 9);
        assert_memory_equal(small, "\x01\x02\x03\xa5", 4);
        assert_int_equal(npg_value_int_bytes(v, NULL, 0), 9);
    }
    run_free(&r);
    REFUSE(OP_LONG1, "\x8a\x05\x00", NPG_E_TRUNCATED, 0);
    REFUSE(OP_LONG1, "\x8a", NPG_E_TRUNCATED, 0);

    v = ACCEPT(&r, OP_LONG4, "\x8b\x00\x00\x00\x00.");
    expect_int(v, 0);
    run_free(&r);
    v = ACCEPT(&r, OP_LONG4, "\x8b\x03\x00\x00\x00\x00\x00\x80.");
    expect_int(v, -8388608);
    run_free(&r);
    v = ACCEPT(&r, OP_LONG4, "\x8b\x02\x00\x00\x00\xff\x7f.");
    expect_int(v, 32767);
    run_free(&r);
    {
        /* 300 bytes: 2**2392 (00 * 299, 01) and its negation (00 * 299, ff) */
        char p[1 + 4 + 300 + 1], want[300];
        p[0] = (char)0x8b;
        memcpy(p + 1, "\x2c\x01\x00\x00", 4);
        memset(p + 5, 0, 300);
        p[5 + 299] = 0x01;
        p[305] = '.';
        memset(want, 0, sizeof want);
        want[299] = 0x01;
        v = accept_flags(__LINE__, &r, OP_LONG4, (const uint8_t *)p, sizeof p, 0);
        expect_int_bytes(v, want, 300);
        run_free(&r);
        p[5 + 299] = (char)0xff;
        want[299] = (char)0xff;
        v = accept_flags(__LINE__, &r, OP_LONG4, (const uint8_t *)p, sizeof p, 0);
        expect_int_bytes(v, want, 300);
        run_free(&r);
    }
    /* LONG4's length is signed: negative is an error (CPython: "LONG pickle has negative byte count") */
    REFUSE(OP_LONG4, "\x8b\xff\xff\xff\xff.", NPG_E_NEGATIVE_LENGTH, 0);
    REFUSE(OP_LONG4, "\x8b\x02\x00\x00\x00\x01", NPG_E_TRUNCATED, 0);
}

static void test_floats(void **state)
{
    (void)state;
    run r;
    const npg_value *v;

    /* FLOAT: repr() text; bit patterns from struct.pack('<d', x) */
    v = ACCEPT(&r, OP_FLOAT, "F1.5\n.");
    expect_float_bits(v, 0x3ff8000000000000ULL);
    run_free(&r);
    v = ACCEPT(&r, OP_FLOAT, "F-0.0\n.");
    expect_float_bits(v, 0x8000000000000000ULL);
    run_free(&r);
    v = ACCEPT(&r, OP_FLOAT, "F0.1\n.");
    expect_float_bits(v, 0x3fb999999999999aULL);
    run_free(&r);
    v = ACCEPT(&r, OP_FLOAT, "F1e+308\n.");
    expect_float_bits(v, 0x7fe1ccf385ebc8a0ULL);
    run_free(&r);
    v = ACCEPT(&r, OP_FLOAT, "F5e-324\n.");
    expect_float_bits(v, 0x1ULL);
    run_free(&r);
    v = ACCEPT(&r, OP_FLOAT, "F-inf\n.");
    expect_float_bits(v, 0xfff0000000000000ULL);
    run_free(&r);
    v = ACCEPT(&r, OP_FLOAT, "Fnan\n.");
    expect_kind(v, NPG_FLOAT);
    assert_true(isnan(npg_value_float(v)));
    run_free(&r);
    /* edge_float_underscore_p0 / edge_float_space_p0: CPython's C unpickler refuses both */
    REFUSE(OP_FLOAT, "F1_0.5\n.", NPG_E_SYNTAX, 0);
    REFUSE(OP_FLOAT, "F 1.5\n.", NPG_E_SYNTAX, 0);
    REFUSE(OP_FLOAT, "F1.5", NPG_E_TRUNCATED, 0);

    /* BINFLOAT: 8-byte big-endian IEEE 754 */
    v = ACCEPT(&r, OP_BINFLOAT, "G\x3f\xf8\x00\x00\x00\x00\x00\x00.");
    expect_float_bits(v, 0x3ff8000000000000ULL);
    run_free(&r);
    v = ACCEPT(&r, OP_BINFLOAT, "G\x3f\xf0\x00\x00\x00\x00\x00\x01.");
    expect_float_bits(v, 0x3ff0000000000001ULL);
    run_free(&r);
    v = ACCEPT(&r, OP_BINFLOAT, "G\x80\x00\x00\x00\x00\x00\x00\x00.");
    expect_float_bits(v, 0x8000000000000000ULL);
    run_free(&r);
    v = ACCEPT(&r, OP_BINFLOAT, "G\x7f\xf8\x00\x00\x00\x00\x00\x01."); /* NaN payload kept */
    expect_float_bits(v, 0x7ff8000000000001ULL);
    run_free(&r);
    REFUSE(OP_BINFLOAT, "G\x3f\xf8\x00\x00\x00\x00\x00", NPG_E_TRUNCATED, 0);
}

/* ------------------------------------------------------------------ str and bytes */

static void test_py2_strings(void **state)
{
    (void)state;
    run r;
    const npg_value *v;

    /* STRING: Python-2 repr; latin-1 str by default (as pickle.loads(..., encoding='latin1')),
     * bytes with NPG_PY2_BYTES (encoding='bytes') */
    v = ACCEPT(&r, OP_STRING, "S'abc'\n.");
    EXPECT_DATA(v, NPG_STR, "abc");
    run_free(&r);
    v = ACCEPT_F(&r, OP_STRING, "S'abc'\n.", NPG_PY2_BYTES);
    EXPECT_DATA(v, NPG_BYTES, "abc");
    run_free(&r);
    v = ACCEPT(&r, OP_STRING, "S'\\xe9\\n'\n.");
    EXPECT_DATA(v, NPG_STR, "\xc3\xa9\n");
    run_free(&r);
    v = ACCEPT_F(&r, OP_STRING, "S'\\xe9\\n'\n.", NPG_PY2_BYTES);
    EXPECT_DATA(v, NPG_BYTES, "\xe9\n");
    run_free(&r);
    v = ACCEPT(&r, OP_STRING, "S\"dq'uote\"\n.");
    EXPECT_DATA(v, NPG_STR, "dq'uote");
    run_free(&r);
    REFUSE(OP_STRING, "S'abc\n.", NPG_E_SYNTAX, 0);       /* edge_string_badquote_p0.pkl */
    REFUSE(OP_STRING, "S'abc\"\n.", NPG_E_SYNTAX, 0);
    REFUSE(OP_STRING, "S'abc'", NPG_E_TRUNCATED, 0);

    v = ACCEPT(&r, OP_BINSTRING, "T\x03\x00\x00\x00" "abc.");
    EXPECT_DATA(v, NPG_STR, "abc");
    run_free(&r);
    v = ACCEPT(&r, OP_BINSTRING, "T\x02\x00\x00\x00\xff" "a.");
    EXPECT_DATA(v, NPG_STR, "\xc3\xbf" "a");
    run_free(&r);
    v = ACCEPT_F(&r, OP_BINSTRING, "T\x02\x00\x00\x00\xff" "a.", NPG_PY2_BYTES);
    EXPECT_DATA(v, NPG_BYTES, "\xff" "a");
    run_free(&r);
    REFUSE(OP_BINSTRING, "T\xff\xff\xff\xff" "abc.", NPG_E_NEGATIVE_LENGTH, 0);
    REFUSE(OP_BINSTRING, "T\x05\x00\x00\x00" "ab", NPG_E_TRUNCATED, 0);

    v = ACCEPT(&r, OP_SHORT_BINSTRING, "U\x02\xe9" "a.");
    EXPECT_DATA(v, NPG_STR, "\xc3\xa9" "a");
    run_free(&r);
    v = ACCEPT_F(&r, OP_SHORT_BINSTRING, "U\x02\xe9" "a.", NPG_PY2_BYTES);
    EXPECT_DATA(v, NPG_BYTES, "\xe9" "a");
    run_free(&r);
    v = ACCEPT(&r, OP_SHORT_BINSTRING, "U\x00.");
    EXPECT_DATA(v, NPG_STR, "");
    run_free(&r);
    REFUSE(OP_SHORT_BINSTRING, "U\x05" "ab", NPG_E_TRUNCATED, 0);
}

static void test_unicode(void **state)
{
    (void)state;
    run r;
    const npg_value *v;

    /* UNICODE: raw-unicode-escape */
    v = ACCEPT(&r, OP_UNICODE, "Vabc\\u20ac\n.");
    EXPECT_DATA(v, NPG_STR, "abc\xe2\x82\xac");
    run_free(&r);
    v = ACCEPT(&r, OP_UNICODE, "V\xe9\\U0001f600\\x\n."); /* raw byte is latin-1; \x is no escape */
    EXPECT_DATA(v, NPG_STR, "\xc3\xa9\xf0\x9f\x98\x80\\x");
    run_free(&r);
    REFUSE(OP_UNICODE, "V\\u12\n.", NPG_E_SYNTAX, 0);
    REFUSE(OP_UNICODE, "V\\U00110000\n.", NPG_E_SYNTAX, 0);
    REFUSE(OP_UNICODE, "Vabc", NPG_E_TRUNCATED, 0);

    /* BINUNICODE: UTF-8 with surrogatepass, referenced in place */
    v = ACCEPT(&r, OP_BINUNICODE, "X\x02\x00\x00\x00\xc3\xa9.");
    EXPECT_DATA(v, NPG_STR, "\xc3\xa9");
    assert_ptr_equal(npg_value_bytes(v, NULL), r.buf + 5);
    run_free(&r);
    v = ACCEPT(&r, OP_BINUNICODE, "X\x03\x00\x00\x00\xed\xa0\x80."); /* lone surrogate U+D800 */
    EXPECT_DATA(v, NPG_STR, "\xed\xa0\x80");
    run_free(&r);
    /* invalid UTF-8: the error points at the bad byte (offset 6), opcode BINUNICODE */
    REFUSE_OP(OP_BINUNICODE, "X\x02\x00\x00\x00" "a\xff.", NPG_E_UTF8, 6, OP_BINUNICODE);
    REFUSE(OP_BINUNICODE, "X\x03\x00\x00\x00" "ab", NPG_E_TRUNCATED, 0);

    v = ACCEPT(&r, OP_SHORT_BINUNICODE, "\x8c\x03" "abc.");
    EXPECT_DATA(v, NPG_STR, "abc");
    assert_ptr_equal(npg_value_bytes(v, NULL), r.buf + 2);
    run_free(&r);
    REFUSE_OP(OP_SHORT_BINUNICODE, "\x8c\x02\xc0\x80.", NPG_E_UTF8, 2, OP_SHORT_BINUNICODE); /* overlong */
    REFUSE(OP_SHORT_BINUNICODE, "\x8c\x04" "abc", NPG_E_TRUNCATED, 0);

    v = ACCEPT(&r, OP_BINUNICODE8, "\x8d\x03\x00\x00\x00\x00\x00\x00\x00" "abc.");
    EXPECT_DATA(v, NPG_STR, "abc");
    assert_ptr_equal(npg_value_bytes(v, NULL), r.buf + 9);
    run_free(&r);
    REFUSE_OP(OP_BINUNICODE8, "\x8d\x01\x00\x00\x00\x00\x00\x00\x00\x80.", NPG_E_UTF8, 9, OP_BINUNICODE8);
    REFUSE(OP_BINUNICODE8, "\x8d\x64\x00\x00\x00\x00\x00\x00\x00" "abc.", NPG_E_TRUNCATED, 0);
    /* 2**63: above the default max_string_len (16 GiB) */
    REFUSE(OP_BINUNICODE8, "\x8d\x00\x00\x00\x00\x00\x00\x00\x80" "abc.", NPG_E_LIMIT_STRING, 0);
}

static void test_bytes(void **state)
{
    (void)state;
    run r;
    const npg_value *v;

    v = ACCEPT(&r, OP_BINBYTES, "B\x03\x00\x00\x00" "abc.");
    EXPECT_DATA(v, NPG_BYTES, "abc");
    assert_ptr_equal(npg_value_bytes(v, NULL), r.buf + 5); /* zero-copy */
    run_free(&r);
    REFUSE(OP_BINBYTES, "B\x05\x00\x00\x00" "abc.", NPG_E_TRUNCATED, 0);
    /* the 4-byte length is unsigned: 0xffffffff is a (too long) length, not a negative one */
    REFUSE(OP_BINBYTES, "B\xff\xff\xff\xff" "abc.", NPG_E_TRUNCATED, 0);

    v = ACCEPT(&r, OP_SHORT_BINBYTES, "C\x02" "ab.");
    EXPECT_DATA(v, NPG_BYTES, "ab");
    assert_ptr_equal(npg_value_bytes(v, NULL), r.buf + 2);
    run_free(&r);
    v = ACCEPT(&r, OP_SHORT_BINBYTES, "C\x00.");
    EXPECT_DATA(v, NPG_BYTES, "");
    run_free(&r);
    REFUSE(OP_SHORT_BINBYTES, "C\x03" "ab", NPG_E_TRUNCATED, 0);

    v = ACCEPT(&r, OP_BINBYTES8, "\x8e\x02\x00\x00\x00\x00\x00\x00\x00" "ab.");
    EXPECT_DATA(v, NPG_BYTES, "ab");
    assert_ptr_equal(npg_value_bytes(v, NULL), r.buf + 9);
    run_free(&r);
    REFUSE(OP_BINBYTES8, "\x8e\xff\xff\xff\xff\xff\xff\xff\xff" "ab.", NPG_E_LIMIT_STRING, 0);
    REFUSE(OP_BINBYTES8, "\x8e\x03\x00\x00\x00\x00\x00\x00\x00" "ab", NPG_E_TRUNCATED, 0);
    REFUSE(OP_BINBYTES8, "\x8e\x03\x00\x00", NPG_E_TRUNCATED, 0);

    v = ACCEPT(&r, OP_BYTEARRAY8, "\x96\x02\x00\x00\x00\x00\x00\x00\x00" "ab.");
    EXPECT_DATA(v, NPG_BYTEARRAY, "ab");
    assert_ptr_equal(npg_value_bytes(v, NULL), r.buf + 9);
    run_free(&r);
    REFUSE(OP_BYTEARRAY8, "\x96\x03\x00\x00\x00\x00\x00\x00\x00" "ab", NPG_E_TRUNCATED, 0);
}

/* ------------------------------------------------------------------ containers */

static void test_tuples(void **state)
{
    (void)state;
    run r;
    const npg_value *v;
    npg_limits lim;
    npg_limits_init(&lim);
    lim.max_stack = 1;

    v = ACCEPT(&r, OP_EMPTY_TUPLE, ").");
    expect_len(v, NPG_TUPLE, 0);
    run_free(&r);
    REFUSE_L(OP_EMPTY_TUPLE, "N)\x86.", &lim, NPG_E_LIMIT_STACK, 1);

    v = ACCEPT(&r, OP_TUPLE, "(K\x01K\x02t.");
    expect_len(v, NPG_TUPLE, 2);
    expect_int(npg_value_item(v, 0), 1);
    expect_int(npg_value_item(v, 1), 2);
    run_free(&r);
    v = ACCEPT(&r, OP_TUPLE, "(t.");
    expect_len(v, NPG_TUPLE, 0);
    run_free(&r);
    REFUSE(OP_TUPLE, "t", NPG_E_MARK, 0);
    REFUSE(OP_TUPLE, "K\x01t.", NPG_E_MARK, 2);

    v = ACCEPT(&r, OP_TUPLE1, "K\x01\x85.");
    expect_len(v, NPG_TUPLE, 1);
    expect_int(npg_value_item(v, 0), 1);
    run_free(&r);
    REFUSE(OP_TUPLE1, "\x85", NPG_E_STACK, 0);
    REFUSE(OP_TUPLE1, "N(\x85", NPG_E_STACK, 2);

    v = ACCEPT(&r, OP_TUPLE2, "K\x01K\x02\x86.");
    expect_len(v, NPG_TUPLE, 2);
    expect_int(npg_value_item(v, 0), 1);
    expect_int(npg_value_item(v, 1), 2);
    run_free(&r);
    REFUSE(OP_TUPLE2, "K\x01\x86", NPG_E_STACK, 2);
    REFUSE(OP_TUPLE2, "K\x01(K\x02\x86", NPG_E_STACK, 5); /* 1 item above the MARK */

    v = ACCEPT(&r, OP_TUPLE3, "K\x01K\x02K\x03\x87.");
    expect_len(v, NPG_TUPLE, 3);
    expect_int(npg_value_item(v, 2), 3);
    run_free(&r);
    REFUSE(OP_TUPLE3, "NN\x87", NPG_E_STACK, 2);
}

static void test_lists(void **state)
{
    (void)state;
    run r;
    const npg_value *v;
    npg_limits lim;
    npg_limits_init(&lim);
    lim.max_stack = 1;

    v = ACCEPT(&r, OP_EMPTY_LIST, "].");
    expect_len(v, NPG_LIST, 0);
    run_free(&r);
    REFUSE_L(OP_EMPTY_LIST, "N]\x86.", &lim, NPG_E_LIMIT_STACK, 1);

    v = ACCEPT(&r, OP_LIST, "(K\x01K\x02l.");
    expect_len(v, NPG_LIST, 2);
    expect_int(npg_value_item(v, 1), 2);
    run_free(&r);
    REFUSE(OP_LIST, "l", NPG_E_MARK, 0);

    v = ACCEPT(&r, OP_APPEND, "]"      /* 0 EMPTY_LIST */
                              "K\x01"  /* 1 BININT1 1 */
                              "a"      /* 3 APPEND */
                              ".");    /* 4 STOP */
    expect_len(v, NPG_LIST, 1);
    expect_int(npg_value_item(v, 0), 1);
    run_free(&r);
    /* a list appended to itself (recursive_list) */
    v = ACCEPT(&r, OP_APPEND, "]"      /* 0 EMPTY_LIST */
                              "2"      /* 1 DUP */
                              "a"      /* 2 APPEND */
                              ".");
    expect_len(v, NPG_LIST, 1);
    assert_ptr_equal(npg_value_item(v, 0), v);
    run_free(&r);
    REFUSE(OP_APPEND, ")K\x01" "a.", NPG_E_TYPE, 3);   /* APPEND on a tuple */
    REFUSE(OP_APPEND, "}K\x01" "a.", NPG_E_TYPE, 3);   /* APPEND on a dict */
    REFUSE(OP_APPEND, "K\x01" "a", NPG_E_STACK, 2);
    REFUSE(OP_APPEND, "](K\x01" "a", NPG_E_STACK, 4);  /* the list is below a MARK */

    v = ACCEPT(&r, OP_APPENDS, "]"      /* 0 EMPTY_LIST */
                               "("      /* 1 MARK */
                               "K\x01"  /* 2 BININT1 1 */
                               "K\x02"  /* 4 BININT1 2 */
                               "e"      /* 6 APPENDS */
                               ".");
    expect_len(v, NPG_LIST, 2);
    expect_int(npg_value_item(v, 0), 1);
    expect_int(npg_value_item(v, 1), 2);
    run_free(&r);
    v = ACCEPT(&r, OP_APPENDS, "](e.");
    expect_len(v, NPG_LIST, 0);
    run_free(&r);
    REFUSE(OP_APPENDS, "}(K\x01" "e.", NPG_E_TYPE, 4);
    REFUSE(OP_APPENDS, "(K\x01" "e.", NPG_E_STACK, 3); /* no list below the MARK */
    REFUSE(OP_APPENDS, "]K\x01" "e.", NPG_E_MARK, 3);
}

static void test_dicts(void **state)
{
    (void)state;
    run r;
    const npg_value *v;
    npg_limits lim;
    npg_limits_init(&lim);
    lim.max_stack = 1;

    v = ACCEPT(&r, OP_EMPTY_DICT, "}.");
    expect_len(v, NPG_DICT, 0);
    run_free(&r);
    REFUSE_L(OP_EMPTY_DICT, "N}\x86.", &lim, NPG_E_LIMIT_STACK, 1);

    v = ACCEPT(&r, OP_DICT, "(K\x01K\x02K\x03K\x04" "d.");
    expect_len(v, NPG_DICT, 2);
    expect_int(npg_value_dict_key(v, 0), 1);
    expect_int(npg_value_dict_val(v, 0), 2);
    expect_int(npg_value_dict_key(v, 1), 3);
    expect_int(npg_value_dict_val(v, 1), 4);
    assert_null(npg_value_dict_key(v, 2));
    run_free(&r);
    REFUSE(OP_DICT, "(K\x01" "d.", NPG_E_STACK, 3); /* odd number of items */
    REFUSE(OP_DICT, "d", NPG_E_MARK, 0);

    v = ACCEPT(&r, OP_SETITEM, "}"      /* 0 EMPTY_DICT */
                               "K\x01"  /* 1 BININT1 1 */
                               "K\x02"  /* 3 BININT1 2 */
                               "s"      /* 5 SETITEM */
                               ".");
    expect_len(v, NPG_DICT, 1);
    expect_int(npg_value_dict_key(v, 0), 1);
    expect_int(npg_value_dict_val(v, 0), 2);
    run_free(&r);
    REFUSE(OP_SETITEM, "]K\x01K\x02s.", NPG_E_TYPE, 5); /* SETITEM on a list */
    REFUSE(OP_SETITEM, "K\x01K\x02s.", NPG_E_STACK, 4);

    v = ACCEPT(&r, OP_SETITEMS, "}"                      /* 0 EMPTY_DICT */
                                "("                      /* 1 MARK */
                                "K\x03K\x04K\x01K\x02"   /* 2 3: 4, 1: 2 */
                                "u"                      /* 10 SETITEMS */
                                ".");
    expect_len(v, NPG_DICT, 2);
    expect_int(npg_value_dict_key(v, 0), 3); /* insertion order */
    expect_int(npg_value_dict_key(v, 1), 1);
    expect_int(npg_value_dict_val(v, 1), 2);
    run_free(&r);
    REFUSE(OP_SETITEMS, "}(K\x01u.", NPG_E_STACK, 4);       /* odd */
    REFUSE(OP_SETITEMS, "](K\x01K\x02u.", NPG_E_TYPE, 6);   /* on a list */
}

static void test_sets(void **state)
{
    (void)state;
    run r;
    const npg_value *v;
    npg_limits lim;
    npg_limits_init(&lim);
    lim.max_stack = 1;

    v = ACCEPT(&r, OP_EMPTY_SET, "\x8f.");
    expect_len(v, NPG_SET, 0);
    run_free(&r);
    REFUSE_L(OP_EMPTY_SET, "N\x8f\x86.", &lim, NPG_E_LIMIT_STACK, 1);

    v = ACCEPT(&r, OP_ADDITEMS, "\x8f"     /* 0 EMPTY_SET */
                                "("        /* 1 MARK */
                                "K\x02"    /* 2 BININT1 2 */
                                "K\x01"    /* 4 BININT1 1 */
                                "\x90"     /* 6 ADDITEMS */
                                ".");
    expect_len(v, NPG_SET, 2);
    expect_int(npg_value_item(v, 0), 2); /* pickle order */
    expect_int(npg_value_item(v, 1), 1);
    run_free(&r);
    REFUSE(OP_ADDITEMS, "(\x91(K\x01\x90.", NPG_E_TYPE, 5); /* ADDITEMS on a frozenset */
    REFUSE(OP_ADDITEMS, "](K\x01\x90.", NPG_E_TYPE, 4);     /* on a list */
    REFUSE(OP_ADDITEMS, "\x8f(K\x01K\x01\x90.", NPG_E_DUPLICATE_KEY, 6);

    v = ACCEPT(&r, OP_FROZENSET, "(K\x01K\x02\x91.");
    expect_len(v, NPG_FROZENSET, 2);
    expect_int(npg_value_item(v, 0), 1);
    run_free(&r);
    REFUSE(OP_FROZENSET, "(K\x01K\x01\x91.", NPG_E_DUPLICATE_KEY, 5);
    REFUSE(OP_FROZENSET, "\x91", NPG_E_MARK, 0);
}

/* ------------------------------------------------------------------ memo */

static void test_memo(void **state)
{
    (void)state;
    run r;
    const npg_value *v;

    /* PUT / GET (text indices) */
    v = ACCEPT(&r, OP_PUT, "K\x07"  /* 0 BININT1 7 */
                           "p0\n"   /* 2 PUT 0 */
                           "0"      /* 5 POP */
                           "g0\n"   /* 6 GET 0 */
                           ".");
    expect_int(v, 7);
    g_accepted[OP_GET] = true;
    run_free(&r);
    REFUSE(OP_PUT, "Np-1\n.", NPG_E_MEMO, 1);   /* negative PUT (edge_negative_put_p0.pkl) */
    REFUSE(OP_PUT, "Np01\n.", NPG_E_SYNTAX, 1);
    REFUSE(OP_PUT, "p0\n.", NPG_E_STACK, 0);
    REFUSE(OP_GET, "g0\n.", NPG_E_MEMO, 0);      /* never PUT */
    REFUSE(OP_GET, "Np1\ng0\n.", NPG_E_MEMO, 4);
    REFUSE(OP_GET, "g\n.", NPG_E_SYNTAX, 0);

    /* BINPUT / BINGET; the memo holds references */
    v = ACCEPT(&r, OP_BINPUT, "]"       /* 0 EMPTY_LIST */
                              "q\x05"   /* 1 BINPUT 5 */
                              "h\x05"   /* 3 BINGET 5 */
                              "\x86"    /* 5 TUPLE2 */
                              ".");
    expect_len(v, NPG_TUPLE, 2);
    expect_kind(npg_value_item(v, 0), NPG_LIST);
    assert_ptr_equal(npg_value_item(v, 0), npg_value_item(v, 1));
    g_accepted[OP_BINGET] = true;
    run_free(&r);
    REFUSE(OP_BINPUT, "q\x00", NPG_E_STACK, 0);
    REFUSE(OP_BINGET, "h\x00.", NPG_E_MEMO, 0);
    REFUSE(OP_BINGET, "Nq\x01h\x00.", NPG_E_MEMO, 3);

    /* re-PUT overwrites (edge_memo_overwrite_p2.pkl -> (2, 2)) */
    v = ACCEPT(&r, OP_BINPUT, "K\x01"   /* 0 BININT1 1 */
                              "q\x00"   /* 2 BINPUT 0 */
                              "0"       /* 4 POP */
                              "K\x02"   /* 5 BININT1 2 */
                              "q\x00"   /* 7 BINPUT 0: overwrites */
                              "0"       /* 9 POP */
                              "h\x00"   /* 10 BINGET 0 */
                              "h\x00"   /* 12 BINGET 0 */
                              "\x86.");
    expect_len(v, NPG_TUPLE, 2);
    expect_int(npg_value_item(v, 0), 2);
    expect_int(npg_value_item(v, 1), 2);
    run_free(&r);

    /* LONG_BINPUT / LONG_BINGET (4-byte unsigned indices) */
    v = ACCEPT(&r, OP_LONG_BINPUT, "K\x07"                /* 0 BININT1 7 */
                                   "r\x00\x00\x01\x00"    /* 2 LONG_BINPUT 65536 */
                                   "j\x00\x00\x01\x00"    /* 7 LONG_BINGET 65536 */
                                   "\x86.");              /* 12 TUPLE2 */
    expect_len(v, NPG_TUPLE, 2);
    expect_int(npg_value_item(v, 1), 7);
    g_accepted[OP_LONG_BINGET] = true;
    run_free(&r);
    /* reject_put_4G_p2.pkl: index 2**32-1 is beyond max_memo */
    REFUSE(OP_LONG_BINPUT, "Nr\xff\xff\xff\xff.", NPG_E_LIMIT_MEMO, 1);
    REFUSE(OP_LONG_BINGET, "j\x01\x00\x00\x00.", NPG_E_MEMO, 0);
    REFUSE(OP_LONG_BINGET, "j\xff\xff\xff\xff.", NPG_E_MEMO, 0);

    /* MEMOIZE stores at len(memo), not max + 1 (edge_memoize_after_put_p4.pkl -> (2, 1)) */
    v = ACCEPT(&r, OP_MEMOIZE, "K\x01"   /* 0 BININT1 1 */
                               "q\x05"   /* 2 BINPUT 5: memo {5: 1} */
                               "0"       /* 4 POP */
                               "K\x02"   /* 5 BININT1 2 */
                               "\x94"    /* 7 MEMOIZE: index 1 */
                               "0"       /* 8 POP */
                               "h\x01"   /* 9 BINGET 1 */
                               "h\x05"   /* 11 BINGET 5 */
                               "\x86.");
    expect_len(v, NPG_TUPLE, 2);
    expect_int(npg_value_item(v, 0), 2);
    expect_int(npg_value_item(v, 1), 1);
    run_free(&r);
    /* an overwriting PUT does not add an entry: MEMOIZE still uses index 1 */
    v = ACCEPT(&r, OP_MEMOIZE, "K\x01q\x00" "0"   /* 0 memo {0: 1} */
                               "K\x02q\x00" "0"   /* 5 memo {0: 2} */
                               "K\x03\x94" "0"    /* 10 MEMOIZE at 12: index 1 -> 3 */
                               "h\x01"           /* 14 BINGET 1 */
                               "h\x00"           /* 16 BINGET 0 */
                               "\x86.");         /* 18 TUPLE2 */
    expect_len(v, NPG_TUPLE, 2);
    expect_int(npg_value_item(v, 0), 3);
    expect_int(npg_value_item(v, 1), 2);
    run_free(&r);
    REFUSE(OP_MEMOIZE, "\x94", NPG_E_STACK, 0);
    REFUSE(OP_MEMOIZE, "N(\x94", NPG_E_STACK, 2);
}

/* ------------------------------------------------------------------ PROTO and FRAME */

static void test_proto(void **state)
{
    (void)state;
    run r;
    const npg_value *v;

    for (int p = 2; p <= 5; p++) {
        const char pk[4] = {(char)0x80, (char)p, 'N', '.'};
        v = accept_flags(__LINE__, &r, OP_PROTO, (const uint8_t *)pk, sizeof pk, 0);
        expect_kind(v, NPG_NONE);
        assert_int_equal(npg_doc_protocol(r.doc), p);
        run_free(&r);
    }
    v = ACCEPT(&r, -1, "N.");
    assert_int_equal(npg_doc_protocol(r.doc), 0); /* no PROTO: protocol 0 or 1 */
    run_free(&r);
    REFUSE(OP_PROTO, "\x80\x06N.", NPG_E_PROTO, 0); /* edge_proto_6.pkl */
    REFUSE(OP_PROTO, "\x80\x01N.", NPG_E_PROTO, 0);
    REFUSE(OP_PROTO, "\x80\x00N.", NPG_E_PROTO, 0);
    REFUSE(OP_PROTO, "\x80\xffN.", NPG_E_PROTO, 0);
    REFUSE(OP_PROTO, "N\x80\x02.", NPG_E_PROTO, 1);          /* not first */
    REFUSE(OP_PROTO, "\x80\x02\x80\x02N.", NPG_E_PROTO, 2);  /* twice */
    REFUSE(OP_PROTO, "\x80", NPG_E_TRUNCATED, 0);
}

static void test_frame(void **state)
{
    (void)state;
    run r;
    const npg_value *v;

    /* test_frame_readline in CPython's pickletester: a text opcode inside a frame */
    v = ACCEPT(&r, OP_FRAME, "\x80\x04"                              /* 0 PROTO 4 */
                             "\x95\x05\x00\x00\x00\x00\x00\x00\x00"  /* 2 FRAME 5 */
                             "I42\n"                                 /* 11 INT 42 */
                             ".");                                   /* 15 STOP */
    expect_int(v, 42);
    run_free(&r);
    /* edge_frame_ok_p4.pkl: two consecutive frames */
    v = ACCEPT(&r, OP_FRAME, "\x80\x04"                              /* 0 PROTO 4 */
                             "\x95\x02\x00\x00\x00\x00\x00\x00\x00"  /* 2 FRAME 2 */
                             "K\x01"                                 /* 11 BININT1 1 */
                             "\x95\x04\x00\x00\x00\x00\x00\x00\x00"  /* 13 FRAME 4 */
                             "K\x02"                                 /* 22 BININT1 2 */
                             "\x86"                                  /* 24 TUPLE2 */
                             ".");                                   /* 25 STOP */
    expect_len(v, NPG_TUPLE, 2);
    expect_int(npg_value_item(v, 1), 2);
    run_free(&r);
    /* a frame followed by unframed opcodes (CPython writes large payloads between frames) */
    v = ACCEPT(&r, OP_FRAME, "\x80\x04"
                             "\x95\x02\x00\x00\x00\x00\x00\x00\x00"  /* 2 FRAME 2 */
                             "K\x01"                                 /* 11 BININT1 1 */
                             "\x85"                                  /* 13 TUPLE1, unframed */
                             ".");
    expect_len(v, NPG_TUPLE, 1);
    run_free(&r);
    /* a FRAME that is the last opcode of a frame starts the next one */
    v = ACCEPT(&r, OP_FRAME, "\x95\x09\x00\x00\x00\x00\x00\x00\x00"  /* 0 FRAME 9 */
                             "\x95\x02\x00\x00\x00\x00\x00\x00\x00"  /* 9 FRAME 2, fills frame 1 */
                             "N.");                                  /* 18 */
    expect_kind(v, NPG_NONE);
    run_free(&r);

    /* edge_frame_straddle_p4.pkl: BININT's argument crosses the frame end */
    REFUSE(OP_FRAME, "\x80\x04"
                     "\x95\x03\x00\x00\x00\x00\x00\x00\x00"  /* 2 FRAME 3 */
                     "J\x01\x00\x00\x00"                     /* 11 BININT: 3 bytes inside, 2 outside */
                     ".",
           NPG_E_FRAME, 11);
    /* a text argument whose newline lies past the frame end */
    REFUSE(OP_FRAME, "\x80\x04"
                     "\x95\x02\x00\x00\x00\x00\x00\x00\x00"  /* 2 FRAME 2 */
                     "I4"                                    /* 11 INT, "2\n" outside */
                     "2\n.",
           NPG_E_FRAME, 11);
    /* edge_frame_nested_p4.pkl: FRAME inside a frame with unread bytes */
    REFUSE(OP_FRAME, "\x80\x04"
                     "\x95\x0b\x00\x00\x00\x00\x00\x00\x00"  /* 2 FRAME 11 */
                     "\x95\x02\x00\x00\x00\x00\x00\x00\x00"  /* 11 FRAME 2 */
                     "N.",                                   /* 20 */
           NPG_E_FRAME, 11);
    /* edge_frame_short_p4.pkl: frame longer than the input */
    REFUSE(OP_FRAME, "\x80\x04"
                     "\x95\x10\x00\x00\x00\x00\x00\x00\x00"  /* 2 FRAME 16, 2 bytes left */
                     "N.",
           NPG_E_TRUNCATED, 2);
    REFUSE(OP_FRAME, "\x95\x01\x00", NPG_E_TRUNCATED, 0);
    /* the input ends with the frame, before STOP */
    REFUSE_OP(OP_FRAME, "\x95\x01\x00\x00\x00\x00\x00\x00\x00" "N", NPG_E_TRUNCATED, 10, -1);
}

/* ------------------------------------------------------------------ globals */

static void test_global(void **state)
{
    (void)state;
    run r;
    const npg_value *v;

    v = ACCEPT(&r, OP_GLOBAL, "c__builtin__\nset\n"  /* 0 GLOBAL '__builtin__ set' */
                              ")"                    /* 17 EMPTY_TUPLE */
                              "R"                    /* 18 REDUCE */
                              ".");                  /* 19 STOP */
    expect_len(v, NPG_SET, 0);
    run_free(&r);
    v = ACCEPT(&r, OP_GLOBAL, "cbuiltins\nset\n)R.");
    expect_len(v, NPG_SET, 0);
    run_free(&r);

    REFUSE(OP_GLOBAL, "cos\nsystem\n)R.", NPG_E_GLOBAL, 0);
    REFUSE(OP_GLOBAL, "cbuiltins\neval\n.", NPG_E_GLOBAL, 0);
    REFUSE(OP_GLOBAL, "N0cfoo\nbar\n.", NPG_E_GLOBAL, 2);
    REFUSE(OP_GLOBAL, "cnumpy\ndtype \n.", NPG_E_GLOBAL, 0);  /* exact names only */
    REFUSE(OP_GLOBAL, "cNumpy\ndtype\n.", NPG_E_GLOBAL, 0);
    REFUSE(OP_GLOBAL, "cnumpy.core.multiarray\n_reconstruct_\n.", NPG_E_GLOBAL, 0);
    REFUSE(OP_GLOBAL, "cnumpy\nndarray.__class__\n.", NPG_E_GLOBAL, 0);
    REFUSE(OP_GLOBAL, "cos\n", NPG_E_TRUNCATED, 0);
    /* an allowed class or function left in the data: CPython would hand the caller a class */
    REFUSE(OP_GLOBAL, "cnumpy\nndarray\n.", NPG_E_CALL, 15);
    REFUSE(OP_GLOBAL, "]cnumpy\nndarray\na.", NPG_E_CALL, 16);

    /* the message names the global */
    {
        npg_pickle_opts o = {0, NULL, 0};
        run_load(&r, LIT("cos\nsystem\n)R."), &o, NULL);
        assert_int_equal(r.rc, NPG_E_GLOBAL);
        if (!strstr(r.err.message, "os.system")) fail_msg("message does not name the global: %s", r.err.message);
        run_free(&r);
        /* unprintable bytes in the name are escaped */
        run_load(&r, LIT("cos\x1b\nsys\xfftem\n)R."), &o, NULL);
        assert_int_equal(r.rc, NPG_E_GLOBAL);
        check_message(r.err.message, sizeof r.err.message);
        run_free(&r);
    }

    /* scan: the refusal becomes a finding and the load goes on */
    SCAN_OK(&r, -1, "cos\nsystem\n)R.");
    expect_finding(r.doc, 0, 0, OP_GLOBAL, NPG_RULE_GLOBAL_DANGEROUS, NPG_SEV_CRITICAL, "os.system");
    expect_finding(r.doc, 1, 12, OP_REDUCE, NPG_RULE_CALL, NPG_SEV_CRITICAL, "os.system");
    expect_nfindings(r.doc, 2, 2);
    expect_kind(npg_doc_root(r.doc), NPG_OPAQUE);
    assert_string_equal(npg_value_opaque_name(npg_doc_root(r.doc)), "os.system");
    run_free(&r);
    /* findings name the pair exactly as find_class gets it (their messages escape it) */
    SCAN_OK(&r, -1, "cos\nsys\x1btem\xc3\xa9\n.");
    expect_finding(r.doc, 0, 0, OP_GLOBAL, NPG_RULE_GLOBAL_DANGEROUS, NPG_SEV_CRITICAL, "os.sys\x1btem\xc3\xa9");
    assert_non_null(strstr(npg_doc_findings(r.doc, NULL, NULL)[0].message, "os.sys\\x1btem\\xc3\\xa9"));
    assert_int_equal(npg_doc_findings(r.doc, NULL, NULL)[0].module_len, 2);
    assert_int_equal(npg_doc_findings(r.doc, NULL, NULL)[0].global_len, 12);
    run_free(&r);
    /* GLOBAL lines CPython cannot decode stop it before find_class (UnicodeDecodeError) */
    SCAN_STOPS(&r, "cos\nsys\xfftem\n.", NPG_E_UTF8, 0);
    expect_nfindings(r.doc, 0, 0);
    run_free(&r);
    /* a module name no import can find: CPython's import fails there (NPG011, the scan stops) */
    SCAN_STOPS(&r, "count,value\n1,2\n3,4\n", NPG_E_IMPORT, 0);
    expect_nfindings(r.doc, 1, 1);
    expect_finding(r.doc, 0, 0, OP_GLOBAL, NPG_RULE_GLOBAL_UNIMPORTABLE, NPG_SEV_LOW, "ount,value.1,2");
    run_free(&r);
    SCAN_OK(&r, -1, "cfoo\nbar\n.");
    expect_finding(r.doc, 0, 0, OP_GLOBAL, NPG_RULE_GLOBAL_UNKNOWN, NPG_SEV_HIGH, "foo.bar");
    expect_nfindings(r.doc, 1, 1);
    run_free(&r);
    SCAN_OK(&r, -1, "c__builtin__\nset\n)R.");
    expect_finding(r.doc, 0, 0, OP_GLOBAL, NPG_RULE_GLOBAL_ALLOWED, NPG_SEV_INFO, "__builtin__.set");
    expect_nfindings(r.doc, 1, 1);
    expect_kind(npg_doc_root(r.doc), NPG_SET);
    run_free(&r);
}

static void test_stack_global(void **state)
{
    (void)state;
    run r;
    const npg_value *v;

    v = ACCEPT(&r, OP_STACK_GLOBAL, "\x8c\x08" "builtins"  /* 0 SHORT_BINUNICODE 'builtins' */
                                    "\x8c\x03" "set"       /* 10 SHORT_BINUNICODE 'set' */
                                    "\x93"                 /* 15 STACK_GLOBAL */
                                    ")"                    /* 16 EMPTY_TUPLE */
                                    "R"                    /* 17 REDUCE */
                                    ".");
    expect_len(v, NPG_SET, 0);
    run_free(&r);
    /* the operands must be str: bytes, ints, py2 str are refused */
    REFUSE(OP_STACK_GLOBAL, "\x8c\x08" "builtins" "C\x03" "set" "\x93)R.", NPG_E_TYPE, 15);
    REFUSE(OP_STACK_GLOBAL, "K\x01" "\x8c\x03" "set" "\x93)R.", NPG_E_TYPE, 7);
    REFUSE(OP_STACK_GLOBAL, "U\x08" "builtins" "U\x03" "set" "\x93)R.", NPG_E_TYPE, 15);
    REFUSE(OP_STACK_GLOBAL, "\x8c\x02" "os" "\x8c\x06" "system" "\x93.", NPG_E_GLOBAL, 12);
    REFUSE(OP_STACK_GLOBAL, "\x8c\x03" "set" "\x93", NPG_E_STACK, 5);
    REFUSE(OP_STACK_GLOBAL, "\x8c\x03" "set" "(" "\x8c\x03" "set" "\x93", NPG_E_STACK, 11);
}

/* ------------------------------------------------------------------ opcodes that are never run */

static void test_refused_decode(void **state)
{
    (void)state;
    REFUSE(OP_INST, "(ibuiltins\nint\n.", NPG_E_FORBIDDEN_OPCODE, 1);     /* reject_inst_p0.pkl */
    REFUSE(OP_OBJ, "(]o.", NPG_E_FORBIDDEN_OPCODE, 2);
    REFUSE(OP_NEWOBJ, "])\x81.", NPG_E_FORBIDDEN_OPCODE, 2);
    REFUSE(OP_NEWOBJ_EX, "])}\x92.", NPG_E_FORBIDDEN_OPCODE, 3);
    REFUSE(OP_EXT1, "\x82\x01.", NPG_E_FORBIDDEN_OPCODE, 0);               /* reject_ext1_p2.pkl */
    REFUSE(OP_EXT2, "\x83\x01\x00.", NPG_E_FORBIDDEN_OPCODE, 0);
    REFUSE(OP_EXT4, "\x84\x01\x00\x00\x00.", NPG_E_FORBIDDEN_OPCODE, 0);
    REFUSE(OP_PERSID, "P0\n.", NPG_E_FORBIDDEN_OPCODE, 0);                  /* reject_persid_p0.pkl */
    REFUSE(OP_BINPERSID, "K\x01Q.", NPG_E_FORBIDDEN_OPCODE, 2);             /* reject_binpersid_p2.pkl */
    /* refused whatever the stack holds: no argument checks come first */
    REFUSE(OP_NEWOBJ, "\x81", NPG_E_FORBIDDEN_OPCODE, 0);
    REFUSE(OP_OBJ, "o", NPG_E_FORBIDDEN_OPCODE, 0);
    /* argument truncation is found before the refusal */
    REFUSE(OP_EXT4, "\x84\x01\x00", NPG_E_TRUNCATED, 0);
    REFUSE(OP_INST, "(ibuiltins\n", NPG_E_TRUNCATED, 1);
}

static void test_refused_scan(void **state)
{
    (void)state;
    run r;

    /* INST: find_class, then the class is called (CPython 3.11 behaviour throughout this test) */
    SCAN_OK(&r, OP_INST, "(ibuiltins\nint\n.");
    expect_nfindings(r.doc, 2, 2);
    expect_finding(r.doc, 0, 1, OP_INST, NPG_RULE_GLOBAL_UNKNOWN, NPG_SEV_HIGH, "builtins.int");
    expect_finding(r.doc, 1, 1, OP_INST, NPG_RULE_OPCODE_CALL, NPG_SEV_HIGH, "builtins.int");
    expect_kind(npg_doc_root(r.doc), NPG_OPAQUE);
    run_free(&r);
    SCAN_OK(&r, OP_INST, "(ios\nsystem\n.");
    expect_finding(r.doc, 0, 1, OP_INST, NPG_RULE_GLOBAL_DANGEROUS, NPG_SEV_CRITICAL, "os.system");
    expect_finding(r.doc, 1, 1, OP_INST, NPG_RULE_OPCODE_CALL, NPG_SEV_CRITICAL, "os.system");
    run_free(&r);
    /* INST looks for its MARK before it reads the names: "import os" imports nothing */
    SCAN_STOPS(&r, "import os\nimport sys\n", NPG_E_MARK, 0);
    expect_nfindings(r.doc, 0, 0);
    run_free(&r);
    /* ... and INST names must be ASCII */
    SCAN_STOPS(&r, "(ios\xc3\xa9\nsystem\n.", NPG_E_UTF8, 1);
    expect_nfindings(r.doc, 0, 0);
    run_free(&r);
    /* OBJ, NEWOBJ, NEWOBJ_EX of a refused global: named, with its severity */
    SCAN_OK(&r, OP_OBJ, "(cfoo\nBar\no.");
    expect_nfindings(r.doc, 2, 2);
    expect_finding(r.doc, 0, 1, OP_GLOBAL, NPG_RULE_GLOBAL_UNKNOWN, NPG_SEV_HIGH, "foo.Bar");
    expect_finding(r.doc, 1, 10, OP_OBJ, NPG_RULE_OPCODE_CALL, NPG_SEV_HIGH, "foo.Bar");
    run_free(&r);
    SCAN_OK(&r, OP_NEWOBJ, "cfoo\nBar\n"  /* 0 GLOBAL 'foo Bar' */
                           ")"            /* 9 EMPTY_TUPLE */
                           "\x81"         /* 10 NEWOBJ */
                           ".");
    expect_nfindings(r.doc, 2, 2);
    expect_finding(r.doc, 0, 0, OP_GLOBAL, NPG_RULE_GLOBAL_UNKNOWN, NPG_SEV_HIGH, "foo.Bar");
    expect_finding(r.doc, 1, 10, OP_NEWOBJ, NPG_RULE_OPCODE_CALL, NPG_SEV_HIGH, "foo.Bar");
    run_free(&r);
    SCAN_OK(&r, OP_NEWOBJ_EX, "cfoo\nBar\n)}\x92.");
    expect_finding(r.doc, 1, 11, OP_NEWOBJ_EX, NPG_RULE_OPCODE_CALL, NPG_SEV_HIGH, "foo.Bar");
    run_free(&r);
    /* an allowlisted class called directly: NumPy never writes it; medium (CPython runs numpy's
     * constructor on the file's arguments) */
    SCAN_OK(&r, OP_NEWOBJ, "cbuiltins\nset\n)\x81.");
    expect_finding(r.doc, 1, 15, OP_NEWOBJ, NPG_RULE_OPCODE_CALL, NPG_SEV_MEDIUM, "builtins.set");
    run_free(&r);
    /* what CPython cannot call stops it: a list instance, a function given to NEWOBJ */
    SCAN_STOPS(&r, "(]o.", NPG_E_TYPE, 2);
    run_free(&r);
    SCAN_STOPS(&r, "])\x81.", NPG_E_TYPE, 2);
    run_free(&r);
    SCAN_STOPS(&r, "])}\x92.", NPG_E_TYPE, 3);
    run_free(&r);
    SCAN_STOPS(&r, "c_codecs\nencode\n)\x81.", NPG_E_TYPE, 17);
    run_free(&r);
    SCAN_STOPS(&r, "cfoo\nBar\nN\x81.", NPG_E_TYPE, 10); /* NEWOBJ args not a tuple */
    run_free(&r);
    /* the hooks pickle.load lacks (persistent_load, the copyreg registry): it stops there, and
     * the scan reads on as a loader with the hook would (medium: the file is invalid) */
    SCAN_OK(&r, OP_EXT1, "\x82\x01.");
    expect_finding(r.doc, 0, 0, OP_EXT1, NPG_RULE_OPCODE_EXT, NPG_SEV_MEDIUM, NULL);
    run_free(&r);
    SCAN_OK(&r, OP_EXT2, "\x83\x01\x00.");
    expect_finding(r.doc, 0, 0, OP_EXT2, NPG_RULE_OPCODE_EXT, NPG_SEV_MEDIUM, NULL);
    run_free(&r);
    SCAN_OK(&r, OP_EXT4, "\x84\x01\x00\x00\x00.");
    expect_finding(r.doc, 0, 0, OP_EXT4, NPG_RULE_OPCODE_EXT, NPG_SEV_MEDIUM, NULL);
    run_free(&r);
    SCAN_STOPS(&r, "\x82\x00.", NPG_E_SYNTAX, 0); /* "EXT specifies code <= 0" */
    run_free(&r);
    SCAN_STOPS(&r, "\x84\xff\xff\xff\xff.", NPG_E_SYNTAX, 0);
    run_free(&r);
    SCAN_OK(&r, OP_PERSID, "P0\n.");
    expect_finding(r.doc, 0, 0, OP_PERSID, NPG_RULE_OPCODE_PERSID, NPG_SEV_MEDIUM, NULL);
    run_free(&r);
    SCAN_OK(&r, OP_BINPERSID, "K\x01Q.");
    expect_finding(r.doc, 0, 2, OP_BINPERSID, NPG_RULE_OPCODE_PERSID, NPG_SEV_MEDIUM, NULL);
    run_free(&r);

    /* all of them in one pickle: each is recorded in order, with its stack effect applied */
    SCAN_OK(&r, -1, "("                      /* 0 MARK */
                    "\x82\x01"               /* 1 EXT1 1 */
                    "\x83\x01\x00"           /* 3 EXT2 1 */
                    "\x84\x01\x00\x00\x00"   /* 6 EXT4 1 */
                    "Pid\n"                  /* 11 PERSID 'id' */
                    "K\x01"                  /* 15 BININT1 1 */
                    "Q"                      /* 17 BINPERSID */
                    ")"                      /* 18 EMPTY_TUPLE */
                    "\x81"                   /* 19 NEWOBJ (BINPERSID's placeholder, ()) */
                    ")}"                     /* 20 EMPTY_TUPLE, 21 EMPTY_DICT */
                    "\x92"                   /* 22 NEWOBJ_EX */
                    "("                      /* 23 MARK */
                    "ibuiltins\nint\n"       /* 24 INST */
                    "("                      /* 38 MARK */
                    "cfoo\nBar\n"            /* 39 GLOBAL 'foo Bar' */
                    "o"                      /* 48 OBJ */
                    "t"                      /* 49 TUPLE */
                    "cos\nsystem\n"          /* 50 GLOBAL 'os system' */
                    "\x86"                   /* 61 TUPLE2 */
                    ".");                    /* 62 STOP */
    expect_nfindings(r.doc, 12, 12);
    expect_finding(r.doc, 0, 1, OP_EXT1, NPG_RULE_OPCODE_EXT, NPG_SEV_MEDIUM, NULL);
    expect_finding(r.doc, 1, 3, OP_EXT2, NPG_RULE_OPCODE_EXT, NPG_SEV_MEDIUM, NULL);
    expect_finding(r.doc, 2, 6, OP_EXT4, NPG_RULE_OPCODE_EXT, NPG_SEV_MEDIUM, NULL);
    expect_finding(r.doc, 3, 11, OP_PERSID, NPG_RULE_OPCODE_PERSID, NPG_SEV_MEDIUM, NULL);
    expect_finding(r.doc, 4, 17, OP_BINPERSID, NPG_RULE_OPCODE_PERSID, NPG_SEV_MEDIUM, NULL);
    expect_finding(r.doc, 5, 19, OP_NEWOBJ, NPG_RULE_OPCODE_CALL, NPG_SEV_MEDIUM, NULL);
    expect_finding(r.doc, 6, 22, OP_NEWOBJ_EX, NPG_RULE_OPCODE_CALL, NPG_SEV_MEDIUM, NULL);
    expect_finding(r.doc, 7, 24, OP_INST, NPG_RULE_GLOBAL_UNKNOWN, NPG_SEV_HIGH, "builtins.int");
    expect_finding(r.doc, 8, 24, OP_INST, NPG_RULE_OPCODE_CALL, NPG_SEV_HIGH, "builtins.int");
    expect_finding(r.doc, 9, 39, OP_GLOBAL, NPG_RULE_GLOBAL_UNKNOWN, NPG_SEV_HIGH, "foo.Bar");
    expect_finding(r.doc, 10, 48, OP_OBJ, NPG_RULE_OPCODE_CALL, NPG_SEV_HIGH, "foo.Bar");
    expect_finding(r.doc, 11, 50, OP_GLOBAL, NPG_RULE_GLOBAL_DANGEROUS, NPG_SEV_CRITICAL, "os.system");
    {
        const npg_value *root = npg_doc_root(r.doc);
        expect_len(root, NPG_TUPLE, 2);
        const npg_value *t = npg_value_item(root, 0);
        expect_len(t, NPG_TUPLE, 7);
        for (size_t i = 0; i < 7; i++) expect_kind(npg_value_item(t, i), NPG_OPAQUE);
        expect_kind(npg_value_item(root, 1), NPG_OPAQUE);
    }
    run_free(&r);

    /* a scan stops where CPython stops, keeping the findings seen before it */
    {
        npg_pickle_opts o = {NPG_SCAN, NULL, 0};
        run_load(&r, LIT("\x82\x01" "0" "0"), &o, NULL); /* 0 EXT1, 2 POP, 3 POP: underflow */
        assert_int_equal(r.rc, NPG_E_STACK);
        assert_non_null(r.doc);
        expect_nfindings(r.doc, 1, 1);
        expect_finding(r.doc, 0, 0, OP_EXT1, NPG_RULE_OPCODE_EXT, NPG_SEV_MEDIUM, NULL);
        npg_error e;
        memset(&e, 0xff, sizeof e);
        assert_int_equal(npg_doc_status(r.doc, &e), NPG_E_STACK);
        assert_true(e.offset == 3);
        assert_int_equal(e.opcode, '0');
        assert_null(npg_doc_root(r.doc));
        run_free(&r);
    }
}

/* ------------------------------------------------------------------ protocol-5 buffers */

/* P_F8_OOB (117 bytes), made by Debian's /usr/bin/python3 (CPython 3.11.2, NumPy 1.24.2):
 *   pickle.dumps(np.array([1.5, -2.0]), 5, buffer_callback=lambda b: False) */
static const char P_F8_OOB[] =
    "\x80\x05"                          /*    0: PROTO 5 */
    "\x95j\x00\x00\x00\x00\x00\x00\x00" /*    2: FRAME 106 */
    "\x8c\x12numpy.core.numeric"        /*   11: SHORT_BINUNICODE 'numpy.core.numeric' */
    "\x94"                              /*   31: MEMOIZE */
    "\x8c\x0b_frombuffer"               /*   32: SHORT_BINUNICODE '_frombuffer' */
    "\x94"                              /*   45: MEMOIZE */
    "\x93"                              /*   46: STACK_GLOBAL */
    "\x94"                              /*   47: MEMOIZE */
    "("                                 /*   48: MARK */
    "\x97"                              /*   49: NEXT_BUFFER */
    "\x8c\x05numpy"                     /*   50: SHORT_BINUNICODE 'numpy' */
    "\x94"                              /*   57: MEMOIZE */
    "\x8c\x05" "dtype"                  /*   58: SHORT_BINUNICODE 'dtype' */
    "\x94"                              /*   65: MEMOIZE */
    "\x93"                              /*   66: STACK_GLOBAL */
    "\x94"                              /*   67: MEMOIZE */
    "\x8c\x02" "f8"                     /*   68: SHORT_BINUNICODE 'f8' */
    "\x94"                              /*   72: MEMOIZE */
    "\x89"                              /*   73: NEWFALSE */
    "\x88"                              /*   74: NEWTRUE */
    "\x87"                              /*   75: TUPLE3 */
    "\x94"                              /*   76: MEMOIZE */
    "R"                                 /*   77: REDUCE */
    "\x94"                              /*   78: MEMOIZE */
    "("                                 /*   79: MARK */
    "K\x03"                             /*   80: BININT1 3 */
    "\x8c\x01<"                         /*   82: SHORT_BINUNICODE '<' */
    "\x94"                              /*   85: MEMOIZE */
    "N"                                 /*   86: NONE */
    "N"                                 /*   87: NONE */
    "N"                                 /*   88: NONE */
    "J\xff\xff\xff\xff"                 /*   89: BININT -1 */
    "J\xff\xff\xff\xff"                 /*   94: BININT -1 */
    "K\x00"                             /*   99: BININT1 0 */
    "t"                                 /*  101: TUPLE */
    "\x94"                              /*  102: MEMOIZE */
    "b"                                 /*  103: BUILD */
    "K\x02"                             /*  104: BININT1 2 */
    "\x85"                              /*  106: TUPLE1 */
    "\x94"                              /*  107: MEMOIZE */
    "\x8c\x01" "C"                      /*  108: SHORT_BINUNICODE 'C' */
    "\x94"                              /*  111: MEMOIZE */
    "t"                                 /*  112: TUPLE */
    "\x94"                              /*  113: MEMOIZE */
    "R"                                 /*  114: REDUCE */
    "\x94"                              /*  115: MEMOIZE */
    "."                                 /*  116: STOP */;

/* P_F8_OOB_RO (118 bytes), made by Debian's /usr/bin/python3 (CPython 3.11.2, NumPy 1.24.2):
 *   a = np.array([1.5, -2.0]); a.flags.writeable = False; pickle.dumps(a, 5, buffer_callback=lambda b: False) */
static const char P_F8_OOB_RO[] =
    "\x80\x05"                          /*    0: PROTO 5 */
    "\x95k\x00\x00\x00\x00\x00\x00\x00" /*    2: FRAME 107 */
    "\x8c\x12numpy.core.numeric"        /*   11: SHORT_BINUNICODE 'numpy.core.numeric' */
    "\x94"                              /*   31: MEMOIZE */
    "\x8c\x0b_frombuffer"               /*   32: SHORT_BINUNICODE '_frombuffer' */
    "\x94"                              /*   45: MEMOIZE */
    "\x93"                              /*   46: STACK_GLOBAL */
    "\x94"                              /*   47: MEMOIZE */
    "("                                 /*   48: MARK */
    "\x97"                              /*   49: NEXT_BUFFER */
    "\x98"                              /*   50: READONLY_BUFFER */
    "\x8c\x05numpy"                     /*   51: SHORT_BINUNICODE 'numpy' */
    "\x94"                              /*   58: MEMOIZE */
    "\x8c\x05" "dtype"                  /*   59: SHORT_BINUNICODE 'dtype' */
    "\x94"                              /*   66: MEMOIZE */
    "\x93"                              /*   67: STACK_GLOBAL */
    "\x94"                              /*   68: MEMOIZE */
    "\x8c\x02" "f8"                     /*   69: SHORT_BINUNICODE 'f8' */
    "\x94"                              /*   73: MEMOIZE */
    "\x89"                              /*   74: NEWFALSE */
    "\x88"                              /*   75: NEWTRUE */
    "\x87"                              /*   76: TUPLE3 */
    "\x94"                              /*   77: MEMOIZE */
    "R"                                 /*   78: REDUCE */
    "\x94"                              /*   79: MEMOIZE */
    "("                                 /*   80: MARK */
    "K\x03"                             /*   81: BININT1 3 */
    "\x8c\x01<"                         /*   83: SHORT_BINUNICODE '<' */
    "\x94"                              /*   86: MEMOIZE */
    "N"                                 /*   87: NONE */
    "N"                                 /*   88: NONE */
    "N"                                 /*   89: NONE */
    "J\xff\xff\xff\xff"                 /*   90: BININT -1 */
    "J\xff\xff\xff\xff"                 /*   95: BININT -1 */
    "K\x00"                             /*  100: BININT1 0 */
    "t"                                 /*  102: TUPLE */
    "\x94"                              /*  103: MEMOIZE */
    "b"                                 /*  104: BUILD */
    "K\x02"                             /*  105: BININT1 2 */
    "\x85"                              /*  107: TUPLE1 */
    "\x94"                              /*  108: MEMOIZE */
    "\x8c\x01" "C"                      /*  109: SHORT_BINUNICODE 'C' */
    "\x94"                              /*  112: MEMOIZE */
    "t"                                 /*  113: TUPLE */
    "\x94"                              /*  114: MEMOIZE */
    "R"                                 /*  115: REDUCE */
    "\x94"                              /*  116: MEMOIZE */
    "."                                 /*  117: STOP */;


static void refuse_opts_(int line, int op, const uint8_t *p, size_t n, const npg_pickle_opts *o, int code,
                         uint64_t off)
{
    run r;
    run_load(&r, p, n, o, NULL);
    expect_refused(line, &r, code, off, AUTO_OP);
    if (r.doc != NULL) fail_msg("line %d: *out is not NULL after a failed decode", line);
    if (op >= 0) g_refused[op] = true;
    check_scan_agrees(line, p, n, o, NULL, r.rc, -1);
    run_free(&r);
}

static void test_buffers(void **state)
{
    (void)state;
    run r;
    const npg_value *v;
    static const uint8_t xyz[3] = {'x', 'y', 'z'};
    npg_buffer b = {xyz, 3, 0};
    npg_pickle_opts o = {0, &b, 1};

    /* a writable buffer reads as a bytearray over the caller's memory */
    v = accept_(__LINE__, &r, OP_NEXT_BUFFER, LIT("\x97."), &o, NULL);
    EXPECT_DATA(v, NPG_BYTEARRAY, "xyz");
    assert_ptr_equal(npg_value_bytes(v, NULL), xyz);
    run_free(&r);
    b.readonly = 1;
    v = accept_(__LINE__, &r, OP_NEXT_BUFFER, LIT("\x97."), &o, NULL);
    EXPECT_DATA(v, NPG_BYTES, "xyz");
    run_free(&r);
    b.readonly = 0;
    v = accept_(__LINE__, &r, OP_READONLY_BUFFER, LIT("\x97\x98."), &o, NULL);
    EXPECT_DATA(v, NPG_BYTES, "xyz");
    assert_ptr_equal(npg_value_bytes(v, NULL), xyz);
    run_free(&r);

    REFUSE(OP_NEXT_BUFFER, "\x97.", NPG_E_BUFFER, 0);                    /* none supplied */
    refuse_opts_(__LINE__, OP_NEXT_BUFFER, LIT("\x97\x97\x86."), &o, NPG_E_BUFFER, 1); /* no more */
    REFUSE(OP_READONLY_BUFFER, "N\x98.", NPG_E_TYPE, 1);
    REFUSE(OP_READONLY_BUFFER, "C\x01" "a\x98.", NPG_E_TYPE, 3);
    REFUSE(OP_READONLY_BUFFER, "\x98", NPG_E_STACK, 0);

    /* scan without buffers: a finding, and the parse goes on */
    SCAN_OK(&r, -1, "\x97.");
    expect_nfindings(r.doc, 1, 1);
    expect_finding(r.doc, 0, 0, OP_NEXT_BUFFER, NPG_RULE_BUFFER, NPG_SEV_MEDIUM, NULL);
    run_free(&r);

    /* an array whose data is an out-of-band buffer is a view of the caller's memory */
    static const uint8_t f8[16] = {0, 0, 0, 0, 0, 0, 0xf8, 0x3f, 0, 0, 0, 0, 0, 0, 0, 0xc0};
    npg_buffer fb = {f8, 16, 0};
    npg_pickle_opts fo = {0, &fb, 1};
    v = accept_(__LINE__, &r, OP_NEXT_BUFFER, LIT(P_F8_OOB), &fo, NULL);
    expect_kind(v, NPG_ARRAY);
    {
        uint64_t len = 0;
        int borrowed = -1;
        assert_ptr_equal(npg_array_data(v, &len, &borrowed), f8);
        assert_true(len == 16);
        assert_int_equal(borrowed, 1);
        assert_int_equal(npg_array_writeable(v), 1);
        assert_int_equal(npg_array_ndim(v), 1);
        assert_true(npg_array_shape(v)[0] == 2);
        expect_dtype(npg_array_dtype(v), "<f8", 'f', 8);
    }
    run_free(&r);
    fb.readonly = 1; /* buffers=[memoryview(...).toreadonly()] */
    v = accept_(__LINE__, &r, OP_NEXT_BUFFER, LIT(P_F8_OOB), &fo, NULL);
    assert_int_equal(npg_array_writeable(v), 0);
    run_free(&r);
    fb.readonly = 0;
    v = accept_(__LINE__, &r, OP_READONLY_BUFFER, LIT(P_F8_OOB_RO), &fo, NULL);
    assert_int_equal(npg_array_writeable(v), 0);
    assert_ptr_equal(npg_array_data(v, NULL, NULL), f8);
    run_free(&r);
    REFUSE(OP_NEXT_BUFFER, P_F8_OOB, NPG_E_BUFFER, 49);
    fb.len = 15;
    refuse_opts_(__LINE__, -1, LIT(P_F8_OOB), &fo, NPG_E_ARRAY, 114);
    fb.len = 16;

    SCAN_OK(&r, -1, P_F8_OOB);
    {
        size_t count = 0, total = 0, buffers = 0;
        const npg_finding *f = npg_doc_findings(r.doc, &count, &total);
        for (size_t i = 0; i < count; i++) {
            if (f[i].rule == NPG_RULE_BUFFER) {
                buffers++;
                expect_finding(r.doc, i, 49, OP_NEXT_BUFFER, NPG_RULE_BUFFER, NPG_SEV_MEDIUM, NULL);
            } else {
                assert_int_equal(f[i].rule, NPG_RULE_GLOBAL_ALLOWED);
                assert_int_equal(f[i].severity, NPG_SEV_INFO);
            }
        }
        assert_int_equal(buffers, 1);
        expect_kind(npg_doc_root(r.doc), NPG_OPAQUE);
    }
    run_free(&r);
}

/* ------------------------------------------------------------------ REDUCE and BUILD */

/* P_DTYPE_F8_P2 (65 bytes), made by Debian's /usr/bin/python3 (CPython 3.11.2, NumPy 1.24.2):
 *   pickle.dumps(np.dtype('<f8'), 2) */
static const char P_DTYPE_F8_P2[] =
    "\x80\x02"               /*    0: PROTO 2 */
    "cnumpy\ndtype\n"        /*    2: GLOBAL 'numpy dtype' */
    "q\x00"                  /*   15: BINPUT 0 */
    "X\x02\x00\x00\x00" "f8" /*   17: BINUNICODE 'f8' */
    "q\x01"                  /*   24: BINPUT 1 */
    "\x89"                   /*   26: NEWFALSE */
    "\x88"                   /*   27: NEWTRUE */
    "\x87"                   /*   28: TUPLE3 */
    "q\x02"                  /*   29: BINPUT 2 */
    "R"                      /*   31: REDUCE */
    "q\x03"                  /*   32: BINPUT 3 */
    "("                      /*   34: MARK */
    "K\x03"                  /*   35: BININT1 3 */
    "X\x01\x00\x00\x00<"     /*   37: BINUNICODE '<' */
    "q\x04"                  /*   43: BINPUT 4 */
    "N"                      /*   45: NONE */
    "N"                      /*   46: NONE */
    "N"                      /*   47: NONE */
    "J\xff\xff\xff\xff"      /*   48: BININT -1 */
    "J\xff\xff\xff\xff"      /*   53: BININT -1 */
    "K\x00"                  /*   58: BININT1 0 */
    "t"                      /*   60: TUPLE */
    "q\x05"                  /*   61: BINPUT 5 */
    "b"                      /*   63: BUILD */
    "."                      /*   64: STOP */;

/* P_F8_P5 (142 bytes), made by Debian's /usr/bin/python3 (CPython 3.11.2, NumPy 1.24.2):
 *   pickle.dumps(np.array([1.5, -2.0]), 5) */
static const char P_F8_P5[] =
    "\x80\x05"                                                   /*    0: PROTO 5 */
    "\x95\x83\x00\x00\x00\x00\x00\x00\x00"                       /*    2: FRAME 131 */
    "\x8c\x12numpy.core.numeric"                                 /*   11: SHORT_BINUNICODE 'numpy.core.numeric' */
    "\x94"                                                       /*   31: MEMOIZE */
    "\x8c\x0b_frombuffer"                                        /*   32: SHORT_BINUNICODE '_frombuffer' */
    "\x94"                                                       /*   45: MEMOIZE */
    "\x93"                                                       /*   46: STACK_GLOBAL */
    "\x94"                                                       /*   47: MEMOIZE */
    "("                                                          /*   48: MARK */
    "\x96\x10\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xf8\x3f\x00\x00\x00\x00\x00\x00\x00\xc0" /*   49: BYTEARRAY8 bytearray(b'\x00\x00\x00\x00\x00\x00\... */
    "\x94"                                                       /*   74: MEMOIZE */
    "\x8c\x05numpy"                                              /*   75: SHORT_BINUNICODE 'numpy' */
    "\x94"                                                       /*   82: MEMOIZE */
    "\x8c\x05" "dtype"                                           /*   83: SHORT_BINUNICODE 'dtype' */
    "\x94"                                                       /*   90: MEMOIZE */
    "\x93"                                                       /*   91: STACK_GLOBAL */
    "\x94"                                                       /*   92: MEMOIZE */
    "\x8c\x02" "f8"                                              /*   93: SHORT_BINUNICODE 'f8' */
    "\x94"                                                       /*   97: MEMOIZE */
    "\x89"                                                       /*   98: NEWFALSE */
    "\x88"                                                       /*   99: NEWTRUE */
    "\x87"                                                       /*  100: TUPLE3 */
    "\x94"                                                       /*  101: MEMOIZE */
    "R"                                                          /*  102: REDUCE */
    "\x94"                                                       /*  103: MEMOIZE */
    "("                                                          /*  104: MARK */
    "K\x03"                                                      /*  105: BININT1 3 */
    "\x8c\x01<"                                                  /*  107: SHORT_BINUNICODE '<' */
    "\x94"                                                       /*  110: MEMOIZE */
    "N"                                                          /*  111: NONE */
    "N"                                                          /*  112: NONE */
    "N"                                                          /*  113: NONE */
    "J\xff\xff\xff\xff"                                          /*  114: BININT -1 */
    "J\xff\xff\xff\xff"                                          /*  119: BININT -1 */
    "K\x00"                                                      /*  124: BININT1 0 */
    "t"                                                          /*  126: TUPLE */
    "\x94"                                                       /*  127: MEMOIZE */
    "b"                                                          /*  128: BUILD */
    "K\x02"                                                      /*  129: BININT1 2 */
    "\x85"                                                       /*  131: TUPLE1 */
    "\x94"                                                       /*  132: MEMOIZE */
    "\x8c\x01" "C"                                               /*  133: SHORT_BINUNICODE 'C' */
    "\x94"                                                       /*  136: MEMOIZE */
    "t"                                                          /*  137: TUPLE */
    "\x94"                                                       /*  138: MEMOIZE */
    "R"                                                          /*  139: REDUCE */
    "\x94"                                                       /*  140: MEMOIZE */
    "."                                                          /*  141: STOP */;

/* P_I2_F_P5 (140 bytes), made by Debian's /usr/bin/python3 (CPython 3.11.2, NumPy 1.24.2):
 *   pickle.dumps(np.asfortranarray(np.arange(6, dtype='<i2').reshape(2, 3)), 5) */
static const char P_I2_F_P5[] =
    "\x80\x05"                                                   /*    0: PROTO 5 */
    "\x95\x81\x00\x00\x00\x00\x00\x00\x00"                       /*    2: FRAME 129 */
    "\x8c\x12numpy.core.numeric"                                 /*   11: SHORT_BINUNICODE 'numpy.core.numeric' */
    "\x94"                                                       /*   31: MEMOIZE */
    "\x8c\x0b_frombuffer"                                        /*   32: SHORT_BINUNICODE '_frombuffer' */
    "\x94"                                                       /*   45: MEMOIZE */
    "\x93"                                                       /*   46: STACK_GLOBAL */
    "\x94"                                                       /*   47: MEMOIZE */
    "("                                                          /*   48: MARK */
    "\x96\x0c\x00\x00\x00\x00\x00\x00\x00\x00\x00\x03\x00\x01\x00\x04\x00\x02\x00\x05\x00" /*   49: BYTEARRAY8 bytearray(b'\x00\x00\x03\x00\x01\x00\... */
    "\x94"                                                       /*   70: MEMOIZE */
    "\x8c\x05numpy"                                              /*   71: SHORT_BINUNICODE 'numpy' */
    "\x94"                                                       /*   78: MEMOIZE */
    "\x8c\x05" "dtype"                                           /*   79: SHORT_BINUNICODE 'dtype' */
    "\x94"                                                       /*   86: MEMOIZE */
    "\x93"                                                       /*   87: STACK_GLOBAL */
    "\x94"                                                       /*   88: MEMOIZE */
    "\x8c\x02i2"                                                 /*   89: SHORT_BINUNICODE 'i2' */
    "\x94"                                                       /*   93: MEMOIZE */
    "\x89"                                                       /*   94: NEWFALSE */
    "\x88"                                                       /*   95: NEWTRUE */
    "\x87"                                                       /*   96: TUPLE3 */
    "\x94"                                                       /*   97: MEMOIZE */
    "R"                                                          /*   98: REDUCE */
    "\x94"                                                       /*   99: MEMOIZE */
    "("                                                          /*  100: MARK */
    "K\x03"                                                      /*  101: BININT1 3 */
    "\x8c\x01<"                                                  /*  103: SHORT_BINUNICODE '<' */
    "\x94"                                                       /*  106: MEMOIZE */
    "N"                                                          /*  107: NONE */
    "N"                                                          /*  108: NONE */
    "N"                                                          /*  109: NONE */
    "J\xff\xff\xff\xff"                                          /*  110: BININT -1 */
    "J\xff\xff\xff\xff"                                          /*  115: BININT -1 */
    "K\x00"                                                      /*  120: BININT1 0 */
    "t"                                                          /*  122: TUPLE */
    "\x94"                                                       /*  123: MEMOIZE */
    "b"                                                          /*  124: BUILD */
    "K\x02"                                                      /*  125: BININT1 2 */
    "K\x03"                                                      /*  127: BININT1 3 */
    "\x86"                                                       /*  129: TUPLE2 */
    "\x94"                                                       /*  130: MEMOIZE */
    "\x8c\x01" "F"                                               /*  131: SHORT_BINUNICODE 'F' */
    "\x94"                                                       /*  134: MEMOIZE */
    "t"                                                          /*  135: TUPLE */
    "\x94"                                                       /*  136: MEMOIZE */
    "R"                                                          /*  137: REDUCE */
    "\x94"                                                       /*  138: MEMOIZE */
    "."                                                          /*  139: STOP */;

/* P_FB_K (139 bytes): hand-made: _frombuffer(bytearray(range(12)), dtype('i1'), (2, 3, 2), 'K', (2, 0, 1)) (NumPy >= 2.3 form; the dtype part is pickle.dumps(np.dtype('i1'), 2))
 * CPython 3.11 pickle.loads -> TypeError: _frombuffer() takes 4 positional arguments but 5 were given */
static const char P_FB_K[] =
    "cnumpy.core.numeric\n_frombuffer\n"                         /*    0: GLOBAL 'numpy.core.numeric _frombuffer' */
    "("                                                          /*   32: MARK */
    "\x96\x0c\x00\x00\x00\x00\x00\x00\x00\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\n\x0b" /*   33: BYTEARRAY8 bytearray(b'\x00\x01\x02\x03\x04\x05\... */
    "cnumpy\ndtype\n"                                            /*   54: GLOBAL 'numpy dtype' */
    "q\x00"                                                      /*   67: BINPUT 0 */
    "X\x02\x00\x00\x00i1"                                        /*   69: BINUNICODE 'i1' */
    "q\x01"                                                      /*   76: BINPUT 1 */
    "\x89"                                                       /*   78: NEWFALSE */
    "\x88"                                                       /*   79: NEWTRUE */
    "\x87"                                                       /*   80: TUPLE3 */
    "q\x02"                                                      /*   81: BINPUT 2 */
    "R"                                                          /*   83: REDUCE */
    "q\x03"                                                      /*   84: BINPUT 3 */
    "("                                                          /*   86: MARK */
    "K\x03"                                                      /*   87: BININT1 3 */
    "X\x01\x00\x00\x00|"                                         /*   89: BINUNICODE '|' */
    "q\x04"                                                      /*   95: BINPUT 4 */
    "N"                                                          /*   97: NONE */
    "N"                                                          /*   98: NONE */
    "N"                                                          /*   99: NONE */
    "J\xff\xff\xff\xff"                                          /*  100: BININT -1 */
    "J\xff\xff\xff\xff"                                          /*  105: BININT -1 */
    "K\x00"                                                      /*  110: BININT1 0 */
    "t"                                                          /*  112: TUPLE */
    "q\x05"                                                      /*  113: BINPUT 5 */
    "b"                                                          /*  115: BUILD */
    "K\x02"                                                      /*  116: BININT1 2 */
    "K\x03"                                                      /*  118: BININT1 3 */
    "K\x02"                                                      /*  120: BININT1 2 */
    "\x87"                                                       /*  122: TUPLE3 */
    "X\x01\x00\x00\x00K"                                         /*  123: BINUNICODE 'K' */
    "K\x02"                                                      /*  129: BININT1 2 */
    "K\x00"                                                      /*  131: BININT1 0 */
    "K\x01"                                                      /*  133: BININT1 1 */
    "\x87"                                                       /*  135: TUPLE3 */
    "t"                                                          /*  136: TUPLE */
    "R"                                                          /*  137: REDUCE */
    "."                                                          /*  138: STOP */;

/* P_SCALAR_F8_P3 (115 bytes), made by Debian's /usr/bin/python3 (CPython 3.11.2, NumPy 1.24.2):
 *   pickle.dumps(np.float64(1.5), 3) */
static const char P_SCALAR_F8_P3[] =
    "\x80\x03"                              /*    0: PROTO 3 */
    "cnumpy.core.multiarray\nscalar\n"      /*    2: GLOBAL 'numpy.core.multiarray scalar' */
    "q\x00"                                 /*   32: BINPUT 0 */
    "cnumpy\ndtype\n"                       /*   34: GLOBAL 'numpy dtype' */
    "q\x01"                                 /*   47: BINPUT 1 */
    "X\x02\x00\x00\x00" "f8"                /*   49: BINUNICODE 'f8' */
    "q\x02"                                 /*   56: BINPUT 2 */
    "\x89"                                  /*   58: NEWFALSE */
    "\x88"                                  /*   59: NEWTRUE */
    "\x87"                                  /*   60: TUPLE3 */
    "q\x03"                                 /*   61: BINPUT 3 */
    "R"                                     /*   63: REDUCE */
    "q\x04"                                 /*   64: BINPUT 4 */
    "("                                     /*   66: MARK */
    "K\x03"                                 /*   67: BININT1 3 */
    "X\x01\x00\x00\x00<"                    /*   69: BINUNICODE '<' */
    "q\x05"                                 /*   75: BINPUT 5 */
    "N"                                     /*   77: NONE */
    "N"                                     /*   78: NONE */
    "N"                                     /*   79: NONE */
    "J\xff\xff\xff\xff"                     /*   80: BININT -1 */
    "J\xff\xff\xff\xff"                     /*   85: BININT -1 */
    "K\x00"                                 /*   90: BININT1 0 */
    "t"                                     /*   92: TUPLE */
    "q\x06"                                 /*   93: BINPUT 6 */
    "b"                                     /*   95: BUILD */
    "C\x08\x00\x00\x00\x00\x00\x00\xf8\x3f" /*   96: SHORT_BINBYTES b'\x00\x00\x00\x00\x00\x00\xf8?' */
    "q\x07"                                 /*  106: BINPUT 7 */
    "\x86"                                  /*  108: TUPLE2 */
    "q\x08"                                 /*  109: BINPUT 8 */
    "R"                                     /*  111: REDUCE */
    "q\x09"                                 /*  112: BINPUT 9 */
    "."                                     /*  114: STOP */;

/* P_SCALAR_SHORT (114 bytes): pickle.dumps(np.float64(1.5), 3) with 7 data bytes
 * CPython 3.11 pickle.loads -> ValueError: initialization string is too small */
static const char P_SCALAR_SHORT[] =
    "\x80\x03"                          /*    0: PROTO 3 */
    "cnumpy.core.multiarray\nscalar\n"  /*    2: GLOBAL 'numpy.core.multiarray scalar' */
    "q\x00"                             /*   32: BINPUT 0 */
    "cnumpy\ndtype\n"                   /*   34: GLOBAL 'numpy dtype' */
    "q\x01"                             /*   47: BINPUT 1 */
    "X\x02\x00\x00\x00" "f8"            /*   49: BINUNICODE 'f8' */
    "q\x02"                             /*   56: BINPUT 2 */
    "\x89"                              /*   58: NEWFALSE */
    "\x88"                              /*   59: NEWTRUE */
    "\x87"                              /*   60: TUPLE3 */
    "q\x03"                             /*   61: BINPUT 3 */
    "R"                                 /*   63: REDUCE */
    "q\x04"                             /*   64: BINPUT 4 */
    "("                                 /*   66: MARK */
    "K\x03"                             /*   67: BININT1 3 */
    "X\x01\x00\x00\x00<"                /*   69: BINUNICODE '<' */
    "q\x05"                             /*   75: BINPUT 5 */
    "N"                                 /*   77: NONE */
    "N"                                 /*   78: NONE */
    "N"                                 /*   79: NONE */
    "J\xff\xff\xff\xff"                 /*   80: BININT -1 */
    "J\xff\xff\xff\xff"                 /*   85: BININT -1 */
    "K\x00"                             /*   90: BININT1 0 */
    "t"                                 /*   92: TUPLE */
    "q\x06"                             /*   93: BINPUT 6 */
    "b"                                 /*   95: BUILD */
    "C\x07\x00\x00\x00\x00\x00\x00\xf8" /*   96: SHORT_BINBYTES b'\x00\x00\x00\x00\x00\x00\xf8' */
    "q\x07"                             /*  105: BINPUT 7 */
    "\x86"                              /*  107: TUPLE2 */
    "q\x08"                             /*  108: BINPUT 8 */
    "R"                                 /*  110: REDUCE */
    "q\x09"                             /*  111: BINPUT 9 */
    "."                                 /*  113: STOP */;

/* P_SCALAR_PENDING (67 bytes): scalar(dtype('f8') before its BUILD, data)
 * CPython 3.11 pickle.loads -> 1.5 */
static const char P_SCALAR_PENDING[] =
    "cnumpy.core.multiarray\nscalar\n"      /*    0: GLOBAL 'numpy.core.multiarray scalar' */
    "cnumpy\ndtype\n"                       /*   30: GLOBAL 'numpy dtype' */
    "X\x02\x00\x00\x00" "f8"                /*   43: BINUNICODE 'f8' */
    "\x89"                                  /*   50: NEWFALSE */
    "\x88"                                  /*   51: NEWTRUE */
    "\x87"                                  /*   52: TUPLE3 */
    "R"                                     /*   53: REDUCE */
    "C\x08\x00\x00\x00\x00\x00\x00\xf8\x3f" /*   54: SHORT_BINBYTES b'\x00\x00\x00\x00\x00\x00\xf8?' */
    "\x86"                                  /*   64: TUPLE2 */
    "R"                                     /*   65: REDUCE */
    "."                                     /*   66: STOP */;

/* P_DTYPE_ALIGN1 (25 bytes): dtype('f8', True, True)
 * CPython 3.11 pickle.loads -> dtype('float64') */
static const char P_DTYPE_ALIGN1[] =
    "cnumpy\ndtype\n"        /*    0: GLOBAL 'numpy dtype' */
    "X\x02\x00\x00\x00" "f8" /*   13: BINUNICODE 'f8' */
    "\x88"                   /*   20: NEWTRUE */
    "\x88"                   /*   21: NEWTRUE */
    "\x87"                   /*   22: TUPLE3 */
    "R"                      /*   23: REDUCE */
    "."                      /*   24: STOP */;

/* P_DTYPE_BADSTR (25 bytes): dtype('x8', False, True)
 * CPython 3.11 pickle.loads -> TypeError: data type 'x8' not understood */
static const char P_DTYPE_BADSTR[] =
    "cnumpy\ndtype\n"     /*    0: GLOBAL 'numpy dtype' */
    "X\x02\x00\x00\x00x8" /*   13: BINUNICODE 'x8' */
    "\x89"                /*   20: NEWFALSE */
    "\x88"                /*   21: NEWTRUE */
    "\x87"                /*   22: TUPLE3 */
    "R"                   /*   23: REDUCE */
    "."                   /*   24: STOP */;

/* P_DTYPE_PENDING_STOP (25 bytes): dtype('f8', False, True) without BUILD
 * CPython 3.11 pickle.loads -> dtype('float64') */
static const char P_DTYPE_PENDING_STOP[] =
    "cnumpy\ndtype\n"        /*    0: GLOBAL 'numpy dtype' */
    "X\x02\x00\x00\x00" "f8" /*   13: BINUNICODE 'f8' */
    "\x89"                   /*   20: NEWFALSE */
    "\x88"                   /*   21: NEWTRUE */
    "\x87"                   /*   22: TUPLE3 */
    "R"                      /*   23: REDUCE */
    "."                      /*   24: STOP */;

/* P_MASKED_P2 (39 bytes), made by Debian's /usr/bin/python3 (CPython 3.11.2, NumPy 1.24.2):
 *   pickle.dumps(np.ma.masked, 2) */
static const char P_MASKED_P2[] =
    "\x80\x02"                         /*    0: PROTO 2 */
    "cnumpy.ma.core\nMaskedConstant\n" /*    2: GLOBAL 'numpy.ma.core MaskedConstant' */
    "q\x00"                            /*   32: BINPUT 0 */
    ")"                                /*   34: EMPTY_TUPLE */
    "R"                                /*   35: REDUCE */
    "q\x01"                            /*   36: BINPUT 1 */
    "."                                /*   38: STOP */;

/* P_MASKED_ARG (35 bytes): MaskedConstant(1)
 * CPython 3.11 pickle.loads -> TypeError: MaskedConstant.__new__() takes 1 positional argument but 2 were given */
static const char P_MASKED_ARG[] =
    "cnumpy.ma.core\nMaskedConstant\n" /*    0: GLOBAL 'numpy.ma.core MaskedConstant' */
    "K\x01"                            /*   30: BININT1 1 */
    "\x85"                             /*   32: TUPLE1 */
    "R"                                /*   33: REDUCE */
    "."                                /*   34: STOP */;

/* P_MA_P3 (203 bytes), made by Debian's /usr/bin/python3 (CPython 3.11.2, NumPy 1.24.2):
 *   pickle.dumps(np.ma.array([1.5, 2.0], mask=[False, True]), 3) */
static const char P_MA_P3[] =
    "\x80\x03"                                                   /*    0: PROTO 3 */
    "cnumpy.ma.core\n_mareconstruct\n"                           /*    2: GLOBAL 'numpy.ma.core _mareconstruct' */
    "q\x00"                                                      /*   32: BINPUT 0 */
    "("                                                          /*   34: MARK */
    "cnumpy.ma.core\nMaskedArray\n"                              /*   35: GLOBAL 'numpy.ma.core MaskedArray' */
    "q\x01"                                                      /*   62: BINPUT 1 */
    "cnumpy\nndarray\n"                                          /*   64: GLOBAL 'numpy ndarray' */
    "q\x02"                                                      /*   79: BINPUT 2 */
    "K\x00"                                                      /*   81: BININT1 0 */
    "\x85"                                                       /*   83: TUPLE1 */
    "q\x03"                                                      /*   84: BINPUT 3 */
    "X\x01\x00\x00\x00" "b"                                      /*   86: BINUNICODE 'b' */
    "q\x04"                                                      /*   92: BINPUT 4 */
    "t"                                                          /*   94: TUPLE */
    "q\x05"                                                      /*   95: BINPUT 5 */
    "R"                                                          /*   97: REDUCE */
    "q\x06"                                                      /*   98: BINPUT 6 */
    "("                                                          /*  100: MARK */
    "K\x01"                                                      /*  101: BININT1 1 */
    "K\x02"                                                      /*  103: BININT1 2 */
    "\x85"                                                       /*  105: TUPLE1 */
    "q\x07"                                                      /*  106: BINPUT 7 */
    "cnumpy\ndtype\n"                                            /*  108: GLOBAL 'numpy dtype' */
    "q\x08"                                                      /*  121: BINPUT 8 */
    "X\x02\x00\x00\x00" "f8"                                     /*  123: BINUNICODE 'f8' */
    "q\x09"                                                      /*  130: BINPUT 9 */
    "\x89"                                                       /*  132: NEWFALSE */
    "\x88"                                                       /*  133: NEWTRUE */
    "\x87"                                                       /*  134: TUPLE3 */
    "q\n"                                                        /*  135: BINPUT 10 */
    "R"                                                          /*  137: REDUCE */
    "q\x0b"                                                      /*  138: BINPUT 11 */
    "("                                                          /*  140: MARK */
    "K\x03"                                                      /*  141: BININT1 3 */
    "X\x01\x00\x00\x00<"                                         /*  143: BINUNICODE '<' */
    "q\x0c"                                                      /*  149: BINPUT 12 */
    "N"                                                          /*  151: NONE */
    "N"                                                          /*  152: NONE */
    "N"                                                          /*  153: NONE */
    "J\xff\xff\xff\xff"                                          /*  154: BININT -1 */
    "J\xff\xff\xff\xff"                                          /*  159: BININT -1 */
    "K\x00"                                                      /*  164: BININT1 0 */
    "t"                                                          /*  166: TUPLE */
    "q\x0d"                                                      /*  167: BINPUT 13 */
    "b"                                                          /*  169: BUILD */
    "\x89"                                                       /*  170: NEWFALSE */
    "C\x10\x00\x00\x00\x00\x00\x00\xf8\x3f\x00\x00\x00\x00\x00\x00\x00@" /*  171: SHORT_BINBYTES b'\x00\x00\x00\x00\x00\x00\xf8?\x00\x... */
    "q\x0e"                                                      /*  189: BINPUT 14 */
    "C\x02\x00\x01"                                              /*  191: SHORT_BINBYTES b'\x00\x01' */
    "q\x0f"                                                      /*  195: BINPUT 15 */
    "N"                                                          /*  197: NONE */
    "t"                                                          /*  198: TUPLE */
    "q\x10"                                                      /*  199: BINPUT 16 */
    "b"                                                          /*  201: BUILD */
    "."                                                          /*  202: STOP */;

/* P_MA_3ARGS (79 bytes): _mareconstruct(MaskedArray, ndarray, (0,))
 * CPython 3.11 pickle.loads -> TypeError: _mareconstruct() missing 1 required positional argument: 'basetype' */
static const char P_MA_3ARGS[] =
    "cnumpy.ma.core\n_mareconstruct\n" /*    0: GLOBAL 'numpy.ma.core _mareconstruct' */
    "("                                /*   30: MARK */
    "cnumpy.ma.core\nMaskedArray\n"    /*   31: GLOBAL 'numpy.ma.core MaskedArray' */
    "cnumpy\nndarray\n"                /*   58: GLOBAL 'numpy ndarray' */
    "K\x00"                            /*   73: BININT1 0 */
    "\x85"                             /*   75: TUPLE1 */
    "t"                                /*   76: TUPLE */
    "R"                                /*   77: REDUCE */
    "."                                /*   78: STOP */;

/* P_COMPLEX_P2 (50 bytes), made by Debian's /usr/bin/python3 (CPython 3.11.2, NumPy 1.24.2):
 *   pickle.dumps(1+2j, 2) */
static const char P_COMPLEX_P2[] =
    "\x80\x02"                          /*    0: PROTO 2 */
    "c__builtin__\ncomplex\n"           /*    2: GLOBAL '__builtin__ complex' */
    "q\x00"                             /*   23: BINPUT 0 */
    "G\x3f\xf0\x00\x00\x00\x00\x00\x00" /*   25: BINFLOAT 1.0 */
    "G@\x00\x00\x00\x00\x00\x00\x00"    /*   34: BINFLOAT 2.0 */
    "\x86"                              /*   43: TUPLE2 */
    "q\x01"                             /*   44: BINPUT 1 */
    "R"                                 /*   46: REDUCE */
    "q\x02"                             /*   47: BINPUT 2 */
    "."                                 /*   49: STOP */;

/* P_COMPLEX_STR (30 bytes): complex('a')
 * CPython 3.11 pickle.loads -> ValueError: complex() arg is a malformed string */
static const char P_COMPLEX_STR[] =
    "c__builtin__\ncomplex\n" /*    0: GLOBAL '__builtin__ complex' */
    "X\x01\x00\x00\x00" "a"   /*   21: BINUNICODE 'a' */
    "\x85"                    /*   27: TUPLE1 */
    "R"                       /*   28: REDUCE */
    "."                       /*   29: STOP */;

/* P_BYTES_EMPTY_P2 (28 bytes), made by Debian's /usr/bin/python3 (CPython 3.11.2, NumPy 1.24.2):
 *   pickle.dumps(b'', 2) */
static const char P_BYTES_EMPTY_P2[] =
    "\x80\x02"              /*    0: PROTO 2 */
    "c__builtin__\nbytes\n" /*    2: GLOBAL '__builtin__ bytes' */
    "q\x00"                 /*   21: BINPUT 0 */
    ")"                     /*   23: EMPTY_TUPLE */
    "R"                     /*   24: REDUCE */
    "q\x01"                 /*   25: BINPUT 1 */
    "."                     /*   27: STOP */;

/* P_BYTES_ARG (25 bytes): bytes(b'a')
 * CPython 3.11 pickle.loads -> b'a' */
static const char P_BYTES_ARG[] =
    "c__builtin__\nbytes\n" /*    0: GLOBAL '__builtin__ bytes' */
    "C\x01" "a"             /*   19: SHORT_BINBYTES b'a' */
    "\x85"                  /*   22: TUPLE1 */
    "R"                     /*   23: REDUCE */
    "."                     /*   24: STOP */;

/* P_BYTES_AB_P2 (50 bytes), made by Debian's /usr/bin/python3 (CPython 3.11.2, NumPy 1.24.2):
 *   pickle.dumps(b'a\xff', 2) */
static const char P_BYTES_AB_P2[] =
    "\x80\x02"                      /*    0: PROTO 2 */
    "c_codecs\nencode\n"            /*    2: GLOBAL '_codecs encode' */
    "q\x00"                         /*   18: BINPUT 0 */
    "X\x03\x00\x00\x00" "a\xc3\xbf" /*   20: BINUNICODE 'aÿ' */
    "q\x01"                         /*   28: BINPUT 1 */
    "X\x06\x00\x00\x00latin1"       /*   30: BINUNICODE 'latin1' */
    "q\x02"                         /*   41: BINPUT 2 */
    "\x86"                          /*   43: TUPLE2 */
    "q\x03"                         /*   44: BINPUT 3 */
    "R"                             /*   46: REDUCE */
    "q\x04"                         /*   47: BINPUT 4 */
    "."                             /*   49: STOP */;

/* P_CODECS_UTF8 (36 bytes): _codecs.encode('ab', 'utf-8')
 * CPython 3.11 pickle.loads -> b'ab' */
static const char P_CODECS_UTF8[] =
    "c_codecs\nencode\n"     /*    0: GLOBAL '_codecs encode' */
    "X\x02\x00\x00\x00" "ab" /*   16: BINUNICODE 'ab' */
    "X\x05\x00\x00\x00utf-8" /*   23: BINUNICODE 'utf-8' */
    "\x86"                   /*   33: TUPLE2 */
    "R"                      /*   34: REDUCE */
    "."                      /*   35: STOP */;

/* P_CODECS_EURO (38 bytes): _codecs.encode('\u20ac', 'latin1')
 * CPython 3.11 pickle.loads -> UnicodeEncodeError: 'latin-1' codec can't encode character '\u20ac' in position 0: ordinal not in range(256) */
static const char P_CODECS_EURO[] =
    "c_codecs\nencode\n"            /*    0: GLOBAL '_codecs encode' */
    "X\x03\x00\x00\x00\xe2\x82\xac" /*   16: BINUNICODE '€' */
    "X\x06\x00\x00\x00latin1"       /*   24: BINUNICODE 'latin1' */
    "\x86"                          /*   35: TUPLE2 */
    "R"                             /*   36: REDUCE */
    "."                             /*   37: STOP */;

/* P_BYTEARRAY_P3 (37 bytes), made by Debian's /usr/bin/python3 (CPython 3.11.2, NumPy 1.24.2):
 *   pickle.dumps(bytearray(b'ab'), 3) */
static const char P_BYTEARRAY_P3[] =
    "\x80\x03"               /*    0: PROTO 3 */
    "cbuiltins\nbytearray\n" /*    2: GLOBAL 'builtins bytearray' */
    "q\x00"                  /*   22: BINPUT 0 */
    "C\x02" "ab"             /*   24: SHORT_BINBYTES b'ab' */
    "q\x01"                  /*   28: BINPUT 1 */
    "\x85"                   /*   30: TUPLE1 */
    "q\x02"                  /*   31: BINPUT 2 */
    "R"                      /*   33: REDUCE */
    "q\x03"                  /*   34: BINPUT 3 */
    "."                      /*   36: STOP */;

/* P_BYTEARRAY_EMPTY_P3 (29 bytes), made by Debian's /usr/bin/python3 (CPython 3.11.2, NumPy 1.24.2):
 *   pickle.dumps(bytearray(), 3) */
static const char P_BYTEARRAY_EMPTY_P3[] =
    "\x80\x03"               /*    0: PROTO 3 */
    "cbuiltins\nbytearray\n" /*    2: GLOBAL 'builtins bytearray' */
    "q\x00"                  /*   22: BINPUT 0 */
    ")"                      /*   24: EMPTY_TUPLE */
    "R"                      /*   25: REDUCE */
    "q\x01"                  /*   26: BINPUT 1 */
    "."                      /*   28: STOP */;

/* P_BYTEARRAY_STR (30 bytes): bytearray('ab')
 * CPython 3.11 pickle.loads -> TypeError: string argument without an encoding */
static const char P_BYTEARRAY_STR[] =
    "cbuiltins\nbytearray\n" /*    0: GLOBAL 'builtins bytearray' */
    "X\x02\x00\x00\x00" "ab" /*   20: BINUNICODE 'ab' */
    "\x85"                   /*   27: TUPLE1 */
    "R"                      /*   28: REDUCE */
    "."                      /*   29: STOP */;

/* P_SET_P2 (37 bytes), made by Debian's /usr/bin/python3 (CPython 3.11.2, NumPy 1.24.2):
 *   pickle.dumps({1, 2}, 2) */
static const char P_SET_P2[] =
    "\x80\x02"            /*    0: PROTO 2 */
    "c__builtin__\nset\n" /*    2: GLOBAL '__builtin__ set' */
    "q\x00"               /*   19: BINPUT 0 */
    "]"                   /*   21: EMPTY_LIST */
    "q\x01"               /*   22: BINPUT 1 */
    "("                   /*   24: MARK */
    "K\x01"               /*   25: BININT1 1 */
    "K\x02"               /*   27: BININT1 2 */
    "e"                   /*   29: APPENDS */
    "\x85"                /*   30: TUPLE1 */
    "q\x02"               /*   31: BINPUT 2 */
    "R"                   /*   33: REDUCE */
    "q\x03"               /*   34: BINPUT 3 */
    "."                   /*   36: STOP */;

/* P_SET_INT (22 bytes): set(1)
 * CPython 3.11 pickle.loads -> TypeError: 'int' object is not iterable */
static const char P_SET_INT[] =
    "c__builtin__\nset\n" /*    0: GLOBAL '__builtin__ set' */
    "K\x01"               /*   17: BININT1 1 */
    "\x85"                /*   19: TUPLE1 */
    "R"                   /*   20: REDUCE */
    "."                   /*   21: STOP */;

/* P_FROZENSET_P2 (40 bytes), made by Debian's /usr/bin/python3 (CPython 3.11.2, NumPy 1.24.2):
 *   pickle.dumps(frozenset({3}), 2) */
static const char P_FROZENSET_P2[] =
    "\x80\x02"                  /*    0: PROTO 2 */
    "c__builtin__\nfrozenset\n" /*    2: GLOBAL '__builtin__ frozenset' */
    "q\x00"                     /*   25: BINPUT 0 */
    "]"                         /*   27: EMPTY_LIST */
    "q\x01"                     /*   28: BINPUT 1 */
    "K\x03"                     /*   30: BININT1 3 */
    "a"                         /*   32: APPEND */
    "\x85"                      /*   33: TUPLE1 */
    "q\x02"                     /*   34: BINPUT 2 */
    "R"                         /*   36: REDUCE */
    "q\x03"                     /*   37: BINPUT 3 */
    "."                         /*   39: STOP */;

/* P_FROZENSET_2ARGS (28 bytes): frozenset([], [])
 * CPython 3.11 pickle.loads -> TypeError: frozenset expected at most 1 argument, got 2 */
static const char P_FROZENSET_2ARGS[] =
    "c__builtin__\nfrozenset\n" /*    0: GLOBAL '__builtin__ frozenset' */
    "]"                         /*   23: EMPTY_LIST */
    "]"                         /*   24: EMPTY_LIST */
    "\x86"                      /*   25: TUPLE2 */
    "R"                         /*   26: REDUCE */
    "."                         /*   27: STOP */;

/* P_ODICT_P2 (56 bytes), made by Debian's /usr/bin/python3 (CPython 3.11.2, NumPy 1.24.2):
 *   pickle.dumps(collections.OrderedDict([('a', 1), ('b', 2)]), 2) */
static const char P_ODICT_P2[] =
    "\x80\x02"                    /*    0: PROTO 2 */
    "ccollections\nOrderedDict\n" /*    2: GLOBAL 'collections OrderedDict' */
    "q\x00"                       /*   27: BINPUT 0 */
    ")"                           /*   29: EMPTY_TUPLE */
    "R"                           /*   30: REDUCE */
    "q\x01"                       /*   31: BINPUT 1 */
    "("                           /*   33: MARK */
    "X\x01\x00\x00\x00" "a"       /*   34: BINUNICODE 'a' */
    "q\x02"                       /*   40: BINPUT 2 */
    "K\x01"                       /*   42: BININT1 1 */
    "X\x01\x00\x00\x00" "b"       /*   44: BINUNICODE 'b' */
    "q\x03"                       /*   50: BINPUT 3 */
    "K\x02"                       /*   52: BININT1 2 */
    "u"                           /*   54: SETITEMS */
    "."                           /*   55: STOP */;

/* P_ODICT_PY27 (50 bytes): Python 2.7 form: OrderedDict([['a', 1], ['b', 2]])
 * CPython 3.11 pickle.loads -> OrderedDict([('a', 1), ('b', 2)]) */
static const char P_ODICT_PY27[] =
    "ccollections\nOrderedDict\n" /*    0: GLOBAL 'collections OrderedDict' */
    "("                           /*   25: MARK */
    "("                           /*   26: MARK */
    "X\x01\x00\x00\x00" "a"       /*   27: BINUNICODE 'a' */
    "K\x01"                       /*   33: BININT1 1 */
    "l"                           /*   35: LIST */
    "("                           /*   36: MARK */
    "X\x01\x00\x00\x00" "b"       /*   37: BINUNICODE 'b' */
    "K\x02"                       /*   43: BININT1 2 */
    "l"                           /*   45: LIST */
    "l"                           /*   46: LIST */
    "\x85"                        /*   47: TUPLE1 */
    "R"                           /*   48: REDUCE */
    "."                           /*   49: STOP */;

/* P_ODICT_BAD (38 bytes): OrderedDict([[1, 2, 3]])
 * CPython 3.11 pickle.loads -> ValueError: too many values to unpack (expected 2) */
static const char P_ODICT_BAD[] =
    "ccollections\nOrderedDict\n" /*    0: GLOBAL 'collections OrderedDict' */
    "("                           /*   25: MARK */
    "("                           /*   26: MARK */
    "K\x01"                       /*   27: BININT1 1 */
    "K\x02"                       /*   29: BININT1 2 */
    "K\x03"                       /*   31: BININT1 3 */
    "l"                           /*   33: LIST */
    "l"                           /*   34: LIST */
    "\x85"                        /*   35: TUPLE1 */
    "R"                           /*   36: REDUCE */
    "."                           /*   37: STOP */;


/* Heap copy of a[0..na) followed by b[0..nb). */
static uint8_t *joined(const char *a, size_t na, const uint8_t *b, size_t nb)
{
    uint8_t *q = malloc(na + nb);
    assert_non_null(q);
    memcpy(q, a, na);
    memcpy(q + na, b, nb);
    return q;
}

/* Heap copy of p[0..n) without the `count` bytes at `at`. */
static uint8_t *cut(const char *p, size_t n, size_t at, size_t count)
{
    assert_true(at + count <= n);
    uint8_t *q = malloc(n - count);
    assert_non_null(q);
    memcpy(q, p, at);
    memcpy(q + at, p + at + count, n - at - count);
    return q;
}

static void test_reduce_generic(void **state)
{
    (void)state;
    REFUSE(OP_REDUCE, "N)R.", NPG_E_TYPE, 2);                        /* None is not callable */
    REFUSE(OP_REDUCE, "c__builtin__\nset\nK\x01R.", NPG_E_CALL, 19);  /* arguments not a tuple */
    REFUSE(OP_REDUCE, ")R.", NPG_E_STACK, 1);
    /* a class tag is not callable */
    REFUSE(OP_REDUCE, "cnumpy\nndarray\n)R.", NPG_E_CALL, 16);
    REFUSE(OP_REDUCE, "cnumpy\nrecord\n)R.", NPG_E_CALL, 15);
}

static void test_reduce_dtype(void **state)
{
    (void)state;
    run r;
    const npg_value *v;

    v = ACCEPT(&r, OP_REDUCE, P_DTYPE_F8_P2);
    expect_kind(v, NPG_DTYPE);
    expect_dtype(npg_value_dtype(v), "<f8", 'f', 8);
    assert_int_equal(npg_dtype_byteorder(npg_value_dtype(v)), '<');
    g_accepted[OP_BUILD] = true; /* BUILD finished the dtype */
    run_free(&r);
    /* stricter than NumPy (numpy-pickles.md 4.3): exactly (typestr, False|0, True|1) */
    REFUSE(OP_REDUCE, P_DTYPE_ALIGN1, NPG_E_CALL, 23);
    REFUSE(OP_REDUCE, "cnumpy\ndtype\n"            /* 0 GLOBAL */
                      "X\x02\x00\x00\x00" "f8"     /* 13 BINUNICODE 'f8' */
                      "\x89"                       /* 20 NEWFALSE */
                      "\x86"                       /* 21 TUPLE2 */
                      "R.",                        /* 22 REDUCE */
           NPG_E_CALL, 22);
    REFUSE(OP_REDUCE, P_DTYPE_BADSTR, NPG_E_DTYPE, 23);
    /* a dtype used before its BUILD */
    REFUSE(OP_REDUCE, P_DTYPE_PENDING_STOP, NPG_E_PENDING, 24);
    REFUSE(OP_REDUCE, P_SCALAR_PENDING, NPG_E_PENDING, 65);
    /* a second BUILD on the same dtype: only a pending dtype takes a state */
    uint8_t *p = joined(P_DTYPE_F8_P2, sizeof P_DTYPE_F8_P2 - 2, LIT("h\x05" "b."));
    REFUSE_B(OP_BUILD, p, sizeof P_DTYPE_F8_P2 - 2 + 4, NPG_E_BUILD, 66); /* 64 BINGET 5, 66 BUILD */
    free(p);
}

static void test_reduce_reconstruct(void **state)
{
    (void)state;
    run r;
    const npg_value *v;

    v = ACCEPT(&r, OP_BUILD, P_F8_P3);
    expect_kind(v, NPG_ARRAY);
    assert_int_equal(npg_array_class_of(v), NPG_CLASS_NDARRAY);
    assert_int_equal(npg_array_ndim(v), 1);
    assert_true(npg_array_shape(v)[0] == 2);
    assert_true(npg_array_size(v) == 2);
    assert_int_equal(npg_array_fortran(v), 0);
    assert_int_equal(npg_array_writeable(v), 1);
    expect_dtype(npg_array_dtype(v), "<f8", 'f', 8);
    {
        uint64_t len = 0;
        int borrowed = -1;
        const uint8_t *d = npg_array_data(v, &len, &borrowed);
        assert_ptr_equal(d, r.buf + 146); /* the SHORT_BINBYTES payload, zero-copy */
        assert_true(len == 16);
        assert_int_equal(borrowed, 1);
        assert_memory_equal(d, "\x00\x00\x00\x00\x00\x00\xf8\x3f\x00\x00\x00\x00\x00\x00\x00\xc0", 16);
    }
    g_accepted[OP_REDUCE] = true;
    run_free(&r);

    /* _reconstruct(ndarray, (1,), b'b'): the shape must be the dummy (0,) */
    uint8_t *p = patched(P_F8_P3, sizeof P_F8_P3 - 1, 58, 0x00, 0x01);
    REFUSE_B(OP_REDUCE, p, sizeof P_F8_P3 - 1, NPG_E_CALL, 70);
    free(p);
    /* _reconstruct(ndarray, (0,), b'c') */
    p = patched(P_F8_P3, sizeof P_F8_P3 - 1, 64, 'b', 'c');
    REFUSE_B(OP_REDUCE, p, sizeof P_F8_P3 - 1, NPG_E_CALL, 70);
    free(p);
    /* reject_reconstruct_object_p2.pkl, with numpy.dtype as the class */
    REFUSE(OP_REDUCE, "cnumpy.core.multiarray\n_reconstruct\n"  /* 0 GLOBAL */
                      "cnumpy\ndtype\n"                         /* 36 GLOBAL */
                      "K\x00\x85"                               /* 49 (0,) */
                      "C\x01" "b"                               /* 52 b'b' */
                      "\x87"                                    /* 55 TUPLE3 */
                      "R.",                                     /* 56 REDUCE */
           NPG_E_CALL, 56);
    /* shape (3,) with 16 data bytes (reject_bad_rawlen_p3.pkl) */
    p = patched(P_F8_P3, sizeof P_F8_P3 - 1, 77, 0x02, 0x03);
    REFUSE_B(OP_BUILD, p, sizeof P_F8_P3 - 1, NPG_E_ARRAY, 167);
    free(p);
    /* BUILD on something that is not a pending array or dtype */
    REFUSE(OP_BUILD, "]]b.", NPG_E_BUILD, 2);
    REFUSE(OP_BUILD, "N)b.", NPG_E_BUILD, 2);
    REFUSE(OP_BUILD, "]b.", NPG_E_STACK, 1);
    /* the finished array used as the target of a second BUILD */
    p = joined(P_F8_P3, sizeof P_F8_P3 - 2, LIT("h\x0e" "b."));
    REFUSE_B(OP_BUILD, p, sizeof P_F8_P3 - 2 + 4, NPG_E_BUILD, 170); /* 168 BINGET 14, 170 BUILD */
    free(p);
    /* the array left pending: STOP refuses it */
    p = joined(P_F8_P3, 71, LIT("."));
    REFUSE_B(OP_BUILD, p, 72, NPG_E_PENDING, 71);
    free(p);
}

static void test_reduce_frombuffer(void **state)
{
    (void)state;
    run r;
    const npg_value *v;
    uint64_t len;
    int borrowed;

    /* 'C' order over a BYTEARRAY8: zero-copy and writeable */
    v = ACCEPT(&r, OP_REDUCE, P_F8_P5);
    expect_kind(v, NPG_ARRAY);
    assert_int_equal(npg_array_fortran(v), 0);
    assert_int_equal(npg_array_writeable(v), 1);
    assert_true(npg_array_shape(v)[0] == 2);
    expect_dtype(npg_array_dtype(v), "<f8", 'f', 8);
    len = 0;
    borrowed = -1;
    assert_ptr_equal(npg_array_data(v, &len, &borrowed), r.buf + 58);
    assert_true(len == 16);
    assert_int_equal(borrowed, 1);
    run_free(&r);

    /* 'F' order: the bytes are the Fortran-order data, a.tobytes(order='F') */
    v = ACCEPT(&r, OP_REDUCE, P_I2_F_P5);
    assert_int_equal(npg_array_fortran(v), 1);
    assert_int_equal(npg_array_ndim(v), 2);
    assert_true(npg_array_shape(v)[0] == 2 && npg_array_shape(v)[1] == 3);
    assert_true(npg_array_size(v) == 6);
    expect_dtype(npg_array_dtype(v), "<i2", 'i', 2);
    len = 0;
    borrowed = -1;
    assert_ptr_equal(npg_array_data(v, &len, &borrowed), r.buf + 58);
    assert_true(len == 12);
    assert_int_equal(borrowed, 1);
    assert_memory_equal(npg_array_data(v, NULL, NULL), "\x00\x00\x03\x00\x01\x00\x04\x00\x02\x00\x05\x00", 12);
    run_free(&r);

    /* 'K' with axis_order (NumPy >= 2.3): reshape((2, 3, 2)).transpose((2, 0, 1)), made C-order */
    v = ACCEPT(&r, OP_REDUCE, P_FB_K);
    assert_int_equal(npg_array_ndim(v), 3);
    assert_true(npg_array_shape(v)[0] == 2 && npg_array_shape(v)[1] == 2 && npg_array_shape(v)[2] == 3);
    assert_int_equal(npg_array_fortran(v), 0);
    expect_dtype(npg_array_dtype(v), "|i1", 'i', 1);
    len = 0;
    borrowed = -1;
    {
        const uint8_t *d = npg_array_data(v, &len, &borrowed);
        assert_true(len == 12);
        assert_int_equal(borrowed, 0); /* a transposed copy */
        /* list(np.arange(12).reshape(2, 3, 2).transpose(2, 0, 1).ravel()) */
        static const uint8_t want[12] = {0, 2, 4, 6, 8, 10, 1, 3, 5, 7, 9, 11};
        assert_memory_equal(d, want, 12);
    }
    run_free(&r);

    uint8_t *p;
    /* axis_order (2, 0, 0) is not a permutation */
    p = patched(P_FB_K, sizeof P_FB_K - 1, 134, 0x01, 0x00);
    REFUSE_B(OP_REDUCE, p, sizeof P_FB_K - 1, NPG_E_CALL, 137);
    free(p);
    /* axis_order (2, 0, 3): out of range */
    p = patched(P_FB_K, sizeof P_FB_K - 1, 134, 0x01, 0x03);
    REFUSE_B(OP_REDUCE, p, sizeof P_FB_K - 1, NPG_E_CALL, 137);
    free(p);
    /* order 'C' with an axis_order */
    p = patched(P_FB_K, sizeof P_FB_K - 1, 128, 'K', 'C');
    REFUSE_B(OP_REDUCE, p, sizeof P_FB_K - 1, NPG_E_CALL, 137);
    free(p);
    /* order 'X' */
    p = patched(P_FB_K, sizeof P_FB_K - 1, 128, 'K', 'X');
    REFUSE_B(OP_REDUCE, p, sizeof P_FB_K - 1, NPG_E_CALL, 137);
    free(p);
    /* 'K' without axis_order: remove bytes 129..135 (the axis_order tuple) */
    p = cut(P_FB_K, sizeof P_FB_K - 1, 129, 7);
    REFUSE_B(OP_REDUCE, p, sizeof P_FB_K - 1 - 7, NPG_E_CALL, 130);
    free(p);
    /* three arguments: remove the order and the axis_order (bytes 123..135) */
    p = cut(P_FB_K, sizeof P_FB_K - 1, 123, 13);
    REFUSE_B(OP_REDUCE, p, sizeof P_FB_K - 1 - 13, NPG_E_CALL, 124);
    free(p);
    /* shape (2, 3, 3) does not match the 12 bytes */
    p = patched(P_FB_K, sizeof P_FB_K - 1, 121, 0x02, 0x03);
    REFUSE_B(OP_REDUCE, p, sizeof P_FB_K - 1, NPG_E_ARRAY, 137);
    free(p);
    /* the buffer as BINBYTES8 (bytes): a zero-copy but read-only array */
    p = patched(P_F8_P5, sizeof P_F8_P5 - 1, 49, 0x96, 0x8e);
    v = ACCEPT_B(&r, -1, p, sizeof P_F8_P5 - 1);
    assert_int_equal(npg_array_writeable(v), 0);
    assert_ptr_equal(npg_array_data(v, NULL, NULL), r.buf + 58);
    run_free(&r);
    free(p);
    /* the buffer as BINUNICODE8 (str) */
    p = cut(P_F8_P5, sizeof P_F8_P5 - 1, 58, 16); /* an empty str; the frame shrinks by 16 */
    assert_int_equal(p[3], 0x83);
    p[3] = 0x83 - 16;
    p[49] = 0x8d;
    p[50] = 0x00;
    REFUSE_B(OP_REDUCE, p, sizeof P_F8_P5 - 1 - 16, NPG_E_CALL, 139 - 16);
    free(p);
    /* 'F' order patched to 'A' */
    p = patched(P_I2_F_P5, sizeof P_I2_F_P5 - 1, 133, 'F', 'A');
    REFUSE_B(OP_REDUCE, p, sizeof P_I2_F_P5 - 1, NPG_E_CALL, 137);
    free(p);
}

static void test_reduce_scalar(void **state)
{
    (void)state;
    run r;
    const npg_value *v;

    v = ACCEPT(&r, OP_REDUCE, P_SCALAR_F8_P3);
    expect_kind(v, NPG_SCALAR);
    expect_dtype(npg_scalar_dtype(v), "<f8", 'f', 8);
    {
        size_t n = 0;
        const uint8_t *d = npg_scalar_data(v, &n);
        assert_int_equal(n, 8);
        assert_memory_equal(d, "\x00\x00\x00\x00\x00\x00\xf8\x3f", 8);
        assert_null(npg_scalar_object(v));
    }
    run_free(&r);
    REFUSE(OP_REDUCE, P_SCALAR_SHORT, NPG_E_CALL, 110); /* 7 data bytes */
    /* scalar(dtype) with one argument: bytes 0..95 (up to the dtype's BUILD), then
     * 96 TUPLE1, 97 REDUCE, 98 STOP */
    uint8_t *p = joined(P_SCALAR_F8_P3, 96, LIT("\x85R."));
    REFUSE_B(OP_REDUCE, p, 99, NPG_E_CALL, 97);
    free(p);
}

static void test_reduce_builtins(void **state)
{
    (void)state;
    run r;
    const npg_value *v;

    /* _codecs.encode(str, 'latin1'): protocol 0-2 bytes */
    v = ACCEPT(&r, OP_REDUCE, P_BYTES_AB_P2);
    EXPECT_DATA(v, NPG_BYTES, "a\xff");
    run_free(&r);
    REFUSE(OP_REDUCE, P_CODECS_UTF8, NPG_E_CALL, 34);
    REFUSE(OP_REDUCE, P_CODECS_EURO, NPG_E_CALL, 36);

    /* bytes() */
    v = ACCEPT(&r, OP_REDUCE, P_BYTES_EMPTY_P2);
    EXPECT_DATA(v, NPG_BYTES, "");
    run_free(&r);
    REFUSE(OP_REDUCE, P_BYTES_ARG, NPG_E_CALL, 23);

    /* bytearray() and bytearray(bytes) */
    v = ACCEPT(&r, OP_REDUCE, P_BYTEARRAY_P3);
    EXPECT_DATA(v, NPG_BYTEARRAY, "ab");
    run_free(&r);
    v = ACCEPT(&r, OP_REDUCE, P_BYTEARRAY_EMPTY_P3);
    EXPECT_DATA(v, NPG_BYTEARRAY, "");
    run_free(&r);
    REFUSE(OP_REDUCE, P_BYTEARRAY_STR, NPG_E_CALL, 28);

    /* set(list), frozenset(list) */
    v = ACCEPT(&r, OP_REDUCE, P_SET_P2);
    expect_len(v, NPG_SET, 2);
    expect_int(npg_value_item(v, 0), 1);
    expect_int(npg_value_item(v, 1), 2);
    run_free(&r);
    REFUSE(OP_REDUCE, P_SET_INT, NPG_E_CALL, 20);
    v = ACCEPT(&r, OP_REDUCE, P_FROZENSET_P2);
    expect_len(v, NPG_FROZENSET, 1);
    expect_int(npg_value_item(v, 0), 3);
    run_free(&r);
    REFUSE(OP_REDUCE, P_FROZENSET_2ARGS, NPG_E_CALL, 26);
    REFUSE(OP_REDUCE, "c__builtin__\nset\n(K\x01K\x01l\x85R.", NPG_E_DUPLICATE_KEY, 24);
    REFUSE(OP_REDUCE, "c__builtin__\nset\n(]l\x85R.", NPG_E_UNHASHABLE, 21);

    /* complex(re, im) and complex(re) */
    v = ACCEPT(&r, OP_REDUCE, P_COMPLEX_P2);
    expect_kind(v, NPG_COMPLEX);
    {
        double re = -1, im = -1;
        npg_value_complex(v, &re, &im);
        assert_true(f64_bits(re) == 0x3ff0000000000000ULL && f64_bits(im) == 0x4000000000000000ULL);
    }
    run_free(&r);
    v = ACCEPT(&r, OP_REDUCE, "c__builtin__\ncomplex\nK\x03\x85R.");
    {
        double re = -1, im = -1;
        npg_value_complex(v, &re, &im);
        assert_true(re == 3.0 && im == 0.0);
    }
    run_free(&r);
    REFUSE(OP_REDUCE, P_COMPLEX_STR, NPG_E_CALL, 28);
    REFUSE(OP_REDUCE, "c__builtin__\ncomplex\nK\x01K\x02K\x03\x87R.", NPG_E_CALL, 28);

    /* OrderedDict(): Python 3 form (SETITEMS on the result) and the Python 2.7 list form */
    v = ACCEPT(&r, OP_REDUCE, P_ODICT_P2);
    expect_len(v, NPG_ORDERED_DICT, 2);
    EXPECT_DATA(npg_value_dict_key(v, 0), NPG_STR, "a");
    expect_int(npg_value_dict_val(v, 0), 1);
    EXPECT_DATA(npg_value_dict_key(v, 1), NPG_STR, "b");
    expect_int(npg_value_dict_val(v, 1), 2);
    run_free(&r);
    v = ACCEPT(&r, OP_REDUCE, P_ODICT_PY27);
    expect_len(v, NPG_ORDERED_DICT, 2);
    EXPECT_DATA(npg_value_dict_key(v, 1), NPG_STR, "b");
    expect_int(npg_value_dict_val(v, 1), 2);
    run_free(&r);
    REFUSE(OP_REDUCE, P_ODICT_BAD, NPG_E_CALL, 36);
    REFUSE(OP_REDUCE, "ccollections\nOrderedDict\nK\x01\x85R.", NPG_E_CALL, 28);

    /* numpy.ma.masked */
    v = ACCEPT(&r, OP_REDUCE, P_MASKED_P2);
    expect_kind(v, NPG_MASKED_CONSTANT);
    run_free(&r);
    REFUSE(OP_REDUCE, P_MASKED_ARG, NPG_E_CALL, 33);

    /* MaskedArray: _mareconstruct + BUILD with the 7-tuple state */
    v = ACCEPT(&r, OP_BUILD, P_MA_P3);
    expect_kind(v, NPG_ARRAY);
    assert_int_equal(npg_array_class_of(v), NPG_CLASS_MASKED);
    assert_true(npg_array_shape(v)[0] == 2);
    {
        uint64_t len = 0;
        int borrowed = -1;
        assert_ptr_equal(npg_array_data(v, &len, &borrowed), r.buf + 173);
        assert_true(len == 16);
        const uint8_t *m = npg_array_mask(v, &len);
        assert_true(len == 2);
        assert_memory_equal(m, "\x00\x01", 2);
        assert_null(npg_array_fill_value(v));
    }
    run_free(&r);
    REFUSE(OP_REDUCE, P_MA_3ARGS, NPG_E_CALL, 77);
    /* a mask byte that is not 0 or 1 */
    uint8_t *p = patched(P_MA_P3, sizeof P_MA_P3 - 1, 194, 0x01, 0x02);
    REFUSE_B(OP_BUILD, p, sizeof P_MA_P3 - 1, NPG_E_ARRAY, 201);
    free(p);
}

/* P_OBJ_P2 (204 bytes), made by Debian's /usr/bin/python3 (CPython 3.11.2, NumPy 1.24.2):
 *   pickle.dumps(np.array([1, 'a'], dtype=object), 2) */
static const char P_OBJ_P2[] =
    "\x80\x02"                               /*    0: PROTO 2 */
    "cnumpy.core.multiarray\n_reconstruct\n" /*    2: GLOBAL 'numpy.core.multiarray _reconstruct' */
    "q\x00"                                  /*   38: BINPUT 0 */
    "cnumpy\nndarray\n"                      /*   40: GLOBAL 'numpy ndarray' */
    "q\x01"                                  /*   55: BINPUT 1 */
    "K\x00"                                  /*   57: BININT1 0 */
    "\x85"                                   /*   59: TUPLE1 */
    "q\x02"                                  /*   60: BINPUT 2 */
    "c_codecs\nencode\n"                     /*   62: GLOBAL '_codecs encode' */
    "q\x03"                                  /*   78: BINPUT 3 */
    "X\x01\x00\x00\x00" "b"                  /*   80: BINUNICODE 'b' */
    "q\x04"                                  /*   86: BINPUT 4 */
    "X\x06\x00\x00\x00latin1"                /*   88: BINUNICODE 'latin1' */
    "q\x05"                                  /*   99: BINPUT 5 */
    "\x86"                                   /*  101: TUPLE2 */
    "q\x06"                                  /*  102: BINPUT 6 */
    "R"                                      /*  104: REDUCE */
    "q\x07"                                  /*  105: BINPUT 7 */
    "\x87"                                   /*  107: TUPLE3 */
    "q\x08"                                  /*  108: BINPUT 8 */
    "R"                                      /*  110: REDUCE */
    "q\x09"                                  /*  111: BINPUT 9 */
    "("                                      /*  113: MARK */
    "K\x01"                                  /*  114: BININT1 1 */
    "K\x02"                                  /*  116: BININT1 2 */
    "\x85"                                   /*  118: TUPLE1 */
    "q\n"                                    /*  119: BINPUT 10 */
    "cnumpy\ndtype\n"                        /*  121: GLOBAL 'numpy dtype' */
    "q\x0b"                                  /*  134: BINPUT 11 */
    "X\x02\x00\x00\x00O8"                    /*  136: BINUNICODE 'O8' */
    "q\x0c"                                  /*  143: BINPUT 12 */
    "\x89"                                   /*  145: NEWFALSE */
    "\x88"                                   /*  146: NEWTRUE */
    "\x87"                                   /*  147: TUPLE3 */
    "q\x0d"                                  /*  148: BINPUT 13 */
    "R"                                      /*  150: REDUCE */
    "q\x0e"                                  /*  151: BINPUT 14 */
    "("                                      /*  153: MARK */
    "K\x03"                                  /*  154: BININT1 3 */
    "X\x01\x00\x00\x00|"                     /*  156: BINUNICODE '|' */
    "q\x0f"                                  /*  162: BINPUT 15 */
    "N"                                      /*  164: NONE */
    "N"                                      /*  165: NONE */
    "N"                                      /*  166: NONE */
    "J\xff\xff\xff\xff"                      /*  167: BININT -1 */
    "J\xff\xff\xff\xff"                      /*  172: BININT -1 */
    "K\x3f"                                  /*  177: BININT1 63 */
    "t"                                      /*  179: TUPLE */
    "q\x10"                                  /*  180: BINPUT 16 */
    "b"                                      /*  182: BUILD */
    "\x89"                                   /*  183: NEWFALSE */
    "]"                                      /*  184: EMPTY_LIST */
    "q\x11"                                  /*  185: BINPUT 17 */
    "("                                      /*  187: MARK */
    "K\x01"                                  /*  188: BININT1 1 */
    "X\x01\x00\x00\x00" "a"                  /*  190: BINUNICODE 'a' */
    "q\x12"                                  /*  196: BINPUT 18 */
    "e"                                      /*  198: APPENDS */
    "t"                                      /*  199: TUPLE */
    "q\x13"                                  /*  200: BINPUT 19 */
    "b"                                      /*  202: BUILD */
    "."                                      /*  203: STOP */;

/* P_OBJ_SELFREF_P2 (207 bytes), made by Debian's /usr/bin/python3 (CPython 3.11.2, NumPy 1.24.2):
 *   a = np.empty(2, dtype=object); a[0] = a; a[1] = 'tail'; pickle.dumps(a, 2) */
static const char P_OBJ_SELFREF_P2[] =
    "\x80\x02"                               /*    0: PROTO 2 */
    "cnumpy.core.multiarray\n_reconstruct\n" /*    2: GLOBAL 'numpy.core.multiarray _reconstruct' */
    "q\x00"                                  /*   38: BINPUT 0 */
    "cnumpy\nndarray\n"                      /*   40: GLOBAL 'numpy ndarray' */
    "q\x01"                                  /*   55: BINPUT 1 */
    "K\x00"                                  /*   57: BININT1 0 */
    "\x85"                                   /*   59: TUPLE1 */
    "q\x02"                                  /*   60: BINPUT 2 */
    "c_codecs\nencode\n"                     /*   62: GLOBAL '_codecs encode' */
    "q\x03"                                  /*   78: BINPUT 3 */
    "X\x01\x00\x00\x00" "b"                  /*   80: BINUNICODE 'b' */
    "q\x04"                                  /*   86: BINPUT 4 */
    "X\x06\x00\x00\x00latin1"                /*   88: BINUNICODE 'latin1' */
    "q\x05"                                  /*   99: BINPUT 5 */
    "\x86"                                   /*  101: TUPLE2 */
    "q\x06"                                  /*  102: BINPUT 6 */
    "R"                                      /*  104: REDUCE */
    "q\x07"                                  /*  105: BINPUT 7 */
    "\x87"                                   /*  107: TUPLE3 */
    "q\x08"                                  /*  108: BINPUT 8 */
    "R"                                      /*  110: REDUCE */
    "q\x09"                                  /*  111: BINPUT 9 */
    "("                                      /*  113: MARK */
    "K\x01"                                  /*  114: BININT1 1 */
    "K\x02"                                  /*  116: BININT1 2 */
    "\x85"                                   /*  118: TUPLE1 */
    "q\n"                                    /*  119: BINPUT 10 */
    "cnumpy\ndtype\n"                        /*  121: GLOBAL 'numpy dtype' */
    "q\x0b"                                  /*  134: BINPUT 11 */
    "X\x02\x00\x00\x00O8"                    /*  136: BINUNICODE 'O8' */
    "q\x0c"                                  /*  143: BINPUT 12 */
    "\x89"                                   /*  145: NEWFALSE */
    "\x88"                                   /*  146: NEWTRUE */
    "\x87"                                   /*  147: TUPLE3 */
    "q\x0d"                                  /*  148: BINPUT 13 */
    "R"                                      /*  150: REDUCE */
    "q\x0e"                                  /*  151: BINPUT 14 */
    "("                                      /*  153: MARK */
    "K\x03"                                  /*  154: BININT1 3 */
    "X\x01\x00\x00\x00|"                     /*  156: BINUNICODE '|' */
    "q\x0f"                                  /*  162: BINPUT 15 */
    "N"                                      /*  164: NONE */
    "N"                                      /*  165: NONE */
    "N"                                      /*  166: NONE */
    "J\xff\xff\xff\xff"                      /*  167: BININT -1 */
    "J\xff\xff\xff\xff"                      /*  172: BININT -1 */
    "K\x3f"                                  /*  177: BININT1 63 */
    "t"                                      /*  179: TUPLE */
    "q\x10"                                  /*  180: BINPUT 16 */
    "b"                                      /*  182: BUILD */
    "\x89"                                   /*  183: NEWFALSE */
    "]"                                      /*  184: EMPTY_LIST */
    "q\x11"                                  /*  185: BINPUT 17 */
    "("                                      /*  187: MARK */
    "h\x09"                                  /*  188: BINGET 9 */
    "X\x04\x00\x00\x00tail"                  /*  190: BINUNICODE 'tail' */
    "q\x12"                                  /*  199: BINPUT 18 */
    "e"                                      /*  201: APPENDS */
    "t"                                      /*  202: TUPLE */
    "q\x13"                                  /*  203: BINPUT 19 */
    "b"                                      /*  205: BUILD */
    "."                                      /*  206: STOP */;


static void test_object_arrays(void **state)
{
    (void)state;
    run r;
    const npg_value *v;

    v = ACCEPT(&r, OP_BUILD, P_OBJ_P2);
    expect_kind(v, NPG_ARRAY);
    assert_true(npg_array_size(v) == 2);
    assert_int_equal(npg_dtype_kind(npg_array_dtype(v)), 'O');
    assert_true(npg_dtype_has_object(npg_array_dtype(v)));
    expect_int(npg_array_object(v, 0), 1);
    EXPECT_DATA(npg_array_object(v, 1), NPG_STR, "a");
    assert_null(npg_array_object(v, 2));
    assert_null(npg_array_data(v, NULL, NULL));
    run_free(&r);
    /* obj_selfref: the array's first element is the array itself (memo GET before BUILD) */
    v = ACCEPT(&r, OP_BUILD, P_OBJ_SELFREF_P2);
    assert_ptr_equal(npg_array_object(v, 0), v);
    EXPECT_DATA(npg_array_object(v, 1), NPG_STR, "tail");
    run_free(&r);
    /* reject_objlist_short_p2.pkl: shape (3,) with a list of 2 (NumPy reads past the list) */
    uint8_t *p = patched(P_OBJ_P2, sizeof P_OBJ_P2 - 1, 117, 0x02, 0x03);
    REFUSE_B(OP_BUILD, p, sizeof P_OBJ_P2 - 1, NPG_E_ARRAY, 202);
    free(p);
    /* shape (1,) with a list of 2 (NumPy silently drops the rest) */
    p = patched(P_OBJ_P2, sizeof P_OBJ_P2 - 1, 117, 0x02, 0x01);
    REFUSE_B(OP_BUILD, p, sizeof P_OBJ_P2 - 1, NPG_E_ARRAY, 202);
    free(p);
}

/* ------------------------------------------------------------------ dict keys and set items */

/* P_DUP_INT_FLOAT (16 bytes): {1: None, 1.0: None} as a DICT
 * CPython 3.11 pickle.loads -> {1: None} */
static const char P_DUP_INT_FLOAT[] =
    "("                                 /*    0: MARK */
    "K\x01"                             /*    1: BININT1 1 */
    "N"                                 /*    3: NONE */
    "G\x3f\xf0\x00\x00\x00\x00\x00\x00" /*    4: BINFLOAT 1.0 */
    "N"                                 /*   13: NONE */
    "d"                                 /*   14: DICT */
    "."                                 /*   15: STOP */;

/* P_DUP_INT_TRUE (8 bytes): {1: None, True: None}
 * CPython 3.11 pickle.loads -> {1: None} */
static const char P_DUP_INT_TRUE[] =
    "("     /*    0: MARK */
    "K\x01" /*    1: BININT1 1 */
    "N"     /*    3: NONE */
    "\x88"  /*    4: NEWTRUE */
    "N"     /*    5: NONE */
    "d"     /*    6: DICT */
    "."     /*    7: STOP */;

/* P_DUP_INT_COMPLEX (54 bytes): {1: None, (1+0j): None}; the complex part is pickle.dumps(1+0j, 2)
 * CPython 3.11 pickle.loads -> {1: None} */
static const char P_DUP_INT_COMPLEX[] =
    "("                                 /*    0: MARK */
    "K\x01"                             /*    1: BININT1 1 */
    "N"                                 /*    3: NONE */
    "c__builtin__\ncomplex\n"           /*    4: GLOBAL '__builtin__ complex' */
    "q\x00"                             /*   25: BINPUT 0 */
    "G\x3f\xf0\x00\x00\x00\x00\x00\x00" /*   27: BINFLOAT 1.0 */
    "G\x00\x00\x00\x00\x00\x00\x00\x00" /*   36: BINFLOAT 0.0 */
    "\x86"                              /*   45: TUPLE2 */
    "q\x01"                             /*   46: BINPUT 1 */
    "R"                                 /*   48: REDUCE */
    "q\x02"                             /*   49: BINPUT 2 */
    "N"                                 /*   51: NONE */
    "d"                                 /*   52: DICT */
    "."                                 /*   53: STOP */;

/* P_DUP_INT_NPI8 (119 bytes): {1: None, np.int64(1): None}; the scalar part is pickle.dumps(np.int64(1), 3)
 * CPython 3.11 pickle.loads -> {1: None} */
static const char P_DUP_INT_NPI8[] =
    "("                                     /*    0: MARK */
    "K\x01"                                 /*    1: BININT1 1 */
    "N"                                     /*    3: NONE */
    "cnumpy.core.multiarray\nscalar\n"      /*    4: GLOBAL 'numpy.core.multiarray scalar' */
    "q\x00"                                 /*   34: BINPUT 0 */
    "cnumpy\ndtype\n"                       /*   36: GLOBAL 'numpy dtype' */
    "q\x01"                                 /*   49: BINPUT 1 */
    "X\x02\x00\x00\x00i8"                   /*   51: BINUNICODE 'i8' */
    "q\x02"                                 /*   58: BINPUT 2 */
    "\x89"                                  /*   60: NEWFALSE */
    "\x88"                                  /*   61: NEWTRUE */
    "\x87"                                  /*   62: TUPLE3 */
    "q\x03"                                 /*   63: BINPUT 3 */
    "R"                                     /*   65: REDUCE */
    "q\x04"                                 /*   66: BINPUT 4 */
    "("                                     /*   68: MARK */
    "K\x03"                                 /*   69: BININT1 3 */
    "X\x01\x00\x00\x00<"                    /*   71: BINUNICODE '<' */
    "q\x05"                                 /*   77: BINPUT 5 */
    "N"                                     /*   79: NONE */
    "N"                                     /*   80: NONE */
    "N"                                     /*   81: NONE */
    "J\xff\xff\xff\xff"                     /*   82: BININT -1 */
    "J\xff\xff\xff\xff"                     /*   87: BININT -1 */
    "K\x00"                                 /*   92: BININT1 0 */
    "t"                                     /*   94: TUPLE */
    "q\x06"                                 /*   95: BINPUT 6 */
    "b"                                     /*   97: BUILD */
    "C\x08\x01\x00\x00\x00\x00\x00\x00\x00" /*   98: SHORT_BINBYTES b'\x01\x00\x00\x00\x00\x00\x00\x00' */
    "q\x07"                                 /*  108: BINPUT 7 */
    "\x86"                                  /*  110: TUPLE2 */
    "q\x08"                                 /*  111: BINPUT 8 */
    "R"                                     /*  113: REDUCE */
    "q\x09"                                 /*  114: BINPUT 9 */
    "N"                                     /*  116: NONE */
    "d"                                     /*  117: DICT */
    "."                                     /*  118: STOP */;

/* P_DUP_INT_NPF8 (119 bytes): {1: None, np.float64(1.0): None}; the scalar part is pickle.dumps(np.float64(1.0), 3)
 * CPython 3.11 pickle.loads -> {1: None} */
static const char P_DUP_INT_NPF8[] =
    "("                                     /*    0: MARK */
    "K\x01"                                 /*    1: BININT1 1 */
    "N"                                     /*    3: NONE */
    "cnumpy.core.multiarray\nscalar\n"      /*    4: GLOBAL 'numpy.core.multiarray scalar' */
    "q\x00"                                 /*   34: BINPUT 0 */
    "cnumpy\ndtype\n"                       /*   36: GLOBAL 'numpy dtype' */
    "q\x01"                                 /*   49: BINPUT 1 */
    "X\x02\x00\x00\x00" "f8"                /*   51: BINUNICODE 'f8' */
    "q\x02"                                 /*   58: BINPUT 2 */
    "\x89"                                  /*   60: NEWFALSE */
    "\x88"                                  /*   61: NEWTRUE */
    "\x87"                                  /*   62: TUPLE3 */
    "q\x03"                                 /*   63: BINPUT 3 */
    "R"                                     /*   65: REDUCE */
    "q\x04"                                 /*   66: BINPUT 4 */
    "("                                     /*   68: MARK */
    "K\x03"                                 /*   69: BININT1 3 */
    "X\x01\x00\x00\x00<"                    /*   71: BINUNICODE '<' */
    "q\x05"                                 /*   77: BINPUT 5 */
    "N"                                     /*   79: NONE */
    "N"                                     /*   80: NONE */
    "N"                                     /*   81: NONE */
    "J\xff\xff\xff\xff"                     /*   82: BININT -1 */
    "J\xff\xff\xff\xff"                     /*   87: BININT -1 */
    "K\x00"                                 /*   92: BININT1 0 */
    "t"                                     /*   94: TUPLE */
    "q\x06"                                 /*   95: BINPUT 6 */
    "b"                                     /*   97: BUILD */
    "C\x08\x00\x00\x00\x00\x00\x00\xf0\x3f" /*   98: SHORT_BINBYTES b'\x00\x00\x00\x00\x00\x00\xf0?' */
    "q\x07"                                 /*  108: BINPUT 7 */
    "\x86"                                  /*  110: TUPLE2 */
    "q\x08"                                 /*  111: BINPUT 8 */
    "R"                                     /*  113: REDUCE */
    "q\x09"                                 /*  114: BINPUT 9 */
    "N"                                     /*  116: NONE */
    "d"                                     /*  117: DICT */
    "."                                     /*  118: STOP */;

/* P_NAN_TWO (23 bytes): {nan: None, nan: None} with two distinct float objects
 * CPython 3.11 pickle.loads -> {nan: None, nan: None} */
static const char P_NAN_TWO[] =
    "("                                 /*    0: MARK */
    "G\x7f\xf8\x00\x00\x00\x00\x00\x00" /*    1: BINFLOAT nan */
    "N"                                 /*   10: NONE */
    "G\x7f\xf8\x00\x00\x00\x00\x00\x00" /*   11: BINFLOAT nan */
    "N"                                 /*   20: NONE */
    "d"                                 /*   21: DICT */
    "."                                 /*   22: STOP */;

/* P_NAN_SAME (18 bytes): {x: None, x: None} with x = float('nan') shared through the memo
 * CPython 3.11 pickle.loads -> {nan: None} */
static const char P_NAN_SAME[] =
    "("                                 /*    0: MARK */
    "G\x7f\xf8\x00\x00\x00\x00\x00\x00" /*    1: BINFLOAT nan */
    "q\x00"                             /*   10: BINPUT 0 */
    "N"                                 /*   12: NONE */
    "h\x00"                             /*   13: BINGET 0 */
    "N"                                 /*   15: NONE */
    "d"                                 /*   16: DICT */
    "."                                 /*   17: STOP */;

/* P_UNHASH_NDARRAY (170 bytes): {ndarray: None}; the array is pickle.dumps(np.array([1.5, -2.0]), 3)
 * CPython 3.11 pickle.loads -> TypeError: unhashable type: 'numpy.ndarray' */
static const char P_UNHASH_NDARRAY[] =
    "("                                                          /*    0: MARK */
    "cnumpy.core.multiarray\n_reconstruct\n"                     /*    1: GLOBAL 'numpy.core.multiarray _reconstruct' */
    "q\x00"                                                      /*   37: BINPUT 0 */
    "cnumpy\nndarray\n"                                          /*   39: GLOBAL 'numpy ndarray' */
    "q\x01"                                                      /*   54: BINPUT 1 */
    "K\x00"                                                      /*   56: BININT1 0 */
    "\x85"                                                       /*   58: TUPLE1 */
    "q\x02"                                                      /*   59: BINPUT 2 */
    "C\x01" "b"                                                  /*   61: SHORT_BINBYTES b'b' */
    "q\x03"                                                      /*   64: BINPUT 3 */
    "\x87"                                                       /*   66: TUPLE3 */
    "q\x04"                                                      /*   67: BINPUT 4 */
    "R"                                                          /*   69: REDUCE */
    "q\x05"                                                      /*   70: BINPUT 5 */
    "("                                                          /*   72: MARK */
    "K\x01"                                                      /*   73: BININT1 1 */
    "K\x02"                                                      /*   75: BININT1 2 */
    "\x85"                                                       /*   77: TUPLE1 */
    "q\x06"                                                      /*   78: BINPUT 6 */
    "cnumpy\ndtype\n"                                            /*   80: GLOBAL 'numpy dtype' */
    "q\x07"                                                      /*   93: BINPUT 7 */
    "X\x02\x00\x00\x00" "f8"                                     /*   95: BINUNICODE 'f8' */
    "q\x08"                                                      /*  102: BINPUT 8 */
    "\x89"                                                       /*  104: NEWFALSE */
    "\x88"                                                       /*  105: NEWTRUE */
    "\x87"                                                       /*  106: TUPLE3 */
    "q\x09"                                                      /*  107: BINPUT 9 */
    "R"                                                          /*  109: REDUCE */
    "q\n"                                                        /*  110: BINPUT 10 */
    "("                                                          /*  112: MARK */
    "K\x03"                                                      /*  113: BININT1 3 */
    "X\x01\x00\x00\x00<"                                         /*  115: BINUNICODE '<' */
    "q\x0b"                                                      /*  121: BINPUT 11 */
    "N"                                                          /*  123: NONE */
    "N"                                                          /*  124: NONE */
    "N"                                                          /*  125: NONE */
    "J\xff\xff\xff\xff"                                          /*  126: BININT -1 */
    "J\xff\xff\xff\xff"                                          /*  131: BININT -1 */
    "K\x00"                                                      /*  136: BININT1 0 */
    "t"                                                          /*  138: TUPLE */
    "q\x0c"                                                      /*  139: BINPUT 12 */
    "b"                                                          /*  141: BUILD */
    "\x89"                                                       /*  142: NEWFALSE */
    "C\x10\x00\x00\x00\x00\x00\x00\xf8\x3f\x00\x00\x00\x00\x00\x00\x00\xc0" /*  143: SHORT_BINBYTES b'\x00\x00\x00\x00\x00\x00\xf8?\x00\x... */
    "q\x0d"                                                      /*  161: BINPUT 13 */
    "t"                                                          /*  163: TUPLE */
    "q\x0e"                                                      /*  164: BINPUT 14 */
    "b"                                                          /*  166: BUILD */
    "N"                                                          /*  167: NONE */
    "d"                                                          /*  168: DICT */
    "."                                                          /*  169: STOP */;

/* P_DUP_BIG_FLOAT (25 bytes): {2**64: None, 2.0**64: None}
 * CPython 3.11 pickle.loads -> {18446744073709551616: None} */
static const char P_DUP_BIG_FLOAT[] =
    "("                                            /*    0: MARK */
    "\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\x01" /*    1: LONG1 18446744073709551616 */
    "N"                                            /*   12: NONE */
    "GC\xf0\x00\x00\x00\x00\x00\x00"               /*   13: BINFLOAT 1.8446744073709552e+19 */
    "N"                                            /*   22: NONE */
    "d"                                            /*   23: DICT */
    "."                                            /*   24: STOP */;

/* P_DUP_NEGBIG_FLOAT (25 bytes): {-2**64: None, -2.0**64: None}
 * CPython 3.11 pickle.loads -> {-18446744073709551616: None} */
static const char P_DUP_NEGBIG_FLOAT[] =
    "("                                            /*    0: MARK */
    "\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\xff" /*    1: LONG1 -18446744073709551616 */
    "N"                                            /*   12: NONE */
    "G\xc3\xf0\x00\x00\x00\x00\x00\x00"            /*   13: BINFLOAT -1.8446744073709552e+19 */
    "N"                                            /*   22: NONE */
    "d"                                            /*   23: DICT */
    "."                                            /*   24: STOP */;

/* P_BIG_FLOAT_NEAR (25 bytes): {2**64 + 1: None, 2.0**64: None} (distinct)
 * CPython 3.11 pickle.loads -> {18446744073709551617: None, 1.8446744073709552e+19: None} */
static const char P_BIG_FLOAT_NEAR[] =
    "("                                            /*    0: MARK */
    "\x8a\x09\x01\x00\x00\x00\x00\x00\x00\x00\x01" /*    1: LONG1 18446744073709551617 */
    "N"                                            /*   12: NONE */
    "GC\xf0\x00\x00\x00\x00\x00\x00"               /*   13: BINFLOAT 1.8446744073709552e+19 */
    "N"                                            /*   22: NONE */
    "d"                                            /*   23: DICT */
    "."                                            /*   24: STOP */;

/* P_DUP_TUPLE (22 bytes): {(1, 2): None, (1.0, 2): None}
 * CPython 3.11 pickle.loads -> {(1, 2): None} */
static const char P_DUP_TUPLE[] =
    "("                                 /*    0: MARK */
    "K\x01"                             /*    1: BININT1 1 */
    "K\x02"                             /*    3: BININT1 2 */
    "\x86"                              /*    5: TUPLE2 */
    "N"                                 /*    6: NONE */
    "G\x3f\xf0\x00\x00\x00\x00\x00\x00" /*    7: BINFLOAT 1.0 */
    "K\x02"                             /*   16: BININT1 2 */
    "\x86"                              /*   18: TUPLE2 */
    "N"                                 /*   19: NONE */
    "d"                                 /*   20: DICT */
    "."                                 /*   21: STOP */;

/* P_DUP_FROZENSET (17 bytes): {frozenset({1, 2}): None, frozenset({2, 1}): None}
 * CPython 3.11 pickle.loads -> {frozenset({1, 2}): None} */
static const char P_DUP_FROZENSET[] =
    "("     /*    0: MARK */
    "("     /*    1: MARK */
    "K\x01" /*    2: BININT1 1 */
    "K\x02" /*    4: BININT1 2 */
    "\x91"  /*    6: FROZENSET */
    "N"     /*    7: NONE */
    "("     /*    8: MARK */
    "K\x02" /*    9: BININT1 2 */
    "K\x01" /*   11: BININT1 1 */
    "\x91"  /*   13: FROZENSET */
    "N"     /*   14: NONE */
    "d"     /*   15: DICT */
    "."     /*   16: STOP */;

/* P_STR_VS_BYTES (14 bytes): {'a': None, b'a': None} (distinct)
 * CPython 3.11 pickle.loads -> {'a': None, b'a': None} */
static const char P_STR_VS_BYTES[] =
    "("                     /*    0: MARK */
    "X\x01\x00\x00\x00" "a" /*    1: BINUNICODE 'a' */
    "N"                     /*    7: NONE */
    "C\x01" "a"             /*    8: SHORT_BINBYTES b'a' */
    "N"                     /*   11: NONE */
    "d"                     /*   12: DICT */
    "."                     /*   13: STOP */;


static void test_unhashable(void **state)
{
    (void)state;
    /* edge_unhashable_key_p2.pkl / edge_unhashable_set_p4.pkl: TypeError: unhashable type */
    REFUSE(OP_DICT, "(]Nd.", NPG_E_UNHASHABLE, 3);          /* list */
    REFUSE(OP_DICT, "(}Nd.", NPG_E_UNHASHABLE, 3);          /* dict */
    REFUSE(OP_DICT, "(\x8fNd.", NPG_E_UNHASHABLE, 3);       /* set */
    REFUSE(OP_DICT, "(\x96\x00\x00\x00\x00\x00\x00\x00\x00" "Nd.", NPG_E_UNHASHABLE, 11); /* bytearray */
    REFUSE(OP_DICT, "(]\x85Nd.", NPG_E_UNHASHABLE, 4);      /* tuple holding a list */
    REFUSE(OP_DICT, P_UNHASH_NDARRAY, NPG_E_UNHASHABLE, 168); /* ndarray */
    REFUSE(OP_ADDITEMS, "\x8f(]\x90.", NPG_E_UNHASHABLE, 3);
    REFUSE(OP_FROZENSET, "(]\x91.", NPG_E_UNHASHABLE, 2);
    REFUSE(OP_SETITEM, "}]Ns.", NPG_E_UNHASHABLE, 3);
    REFUSE(OP_SETITEMS, "}(]Nu.", NPG_E_UNHASHABLE, 4);
}

static void test_duplicate_keys(void **state)
{
    (void)state;
    run r;
    const npg_value *v;

    /* equal under Python's ==: 1 == 1.0 == True == (1+0j) == np.int64(1) == np.float64(1.0) */
    REFUSE(OP_DICT, "(K\x01NK\x01Nd.", NPG_E_DUPLICATE_KEY, 7);
    REFUSE(OP_DICT, P_DUP_INT_FLOAT, NPG_E_DUPLICATE_KEY, 14);
    REFUSE(OP_DICT, P_DUP_INT_TRUE, NPG_E_DUPLICATE_KEY, 6);
    REFUSE(OP_DICT, P_DUP_INT_COMPLEX, NPG_E_DUPLICATE_KEY, 52);
    REFUSE(OP_DICT, P_DUP_INT_NPI8, NPG_E_DUPLICATE_KEY, 117);
    REFUSE(OP_DICT, P_DUP_INT_NPF8, NPG_E_DUPLICATE_KEY, 117);
    REFUSE(OP_DICT, "(NNNNd.", NPG_E_DUPLICATE_KEY, 5);
    REFUSE(OP_SETITEM, "}K\x01Ns\x88Ns.", NPG_E_DUPLICATE_KEY, 7);
    /* -0.0 == 0.0 */
    REFUSE(OP_DICT, "(G\x80\x00\x00\x00\x00\x00\x00\x00N"   /* 1 BINFLOAT -0.0, 10 NONE */
                    "G\x00\x00\x00\x00\x00\x00\x00\x00N"    /* 11 BINFLOAT 0.0, 20 NONE */
                    "d.",                                   /* 21 DICT */
           NPG_E_DUPLICATE_KEY, 21);
    /* big ints against floats: 2**64 == 2.0**64, -2**64 == -2.0**64, 2**64 + 1 != 2.0**64 */
    REFUSE(OP_DICT, P_DUP_BIG_FLOAT, NPG_E_DUPLICATE_KEY, 23);
    REFUSE(OP_DICT, P_DUP_NEGBIG_FLOAT, NPG_E_DUPLICATE_KEY, 23);
    v = ACCEPT(&r, OP_DICT, P_BIG_FLOAT_NEAR);
    expect_len(v, NPG_DICT, 2);
    run_free(&r);
    /* -2**63 (int64) == -2.0**63 and 2**63 (9-byte int) == 2.0**63 */
    REFUSE(OP_DICT, "(\x8a\x08\x00\x00\x00\x00\x00\x00\x00\x80N"  /* 1 LONG1 -2**63, 11 NONE */
                    "G\xc3\xe0\x00\x00\x00\x00\x00\x00N"          /* 12 BINFLOAT -2.0**63, 21 NONE */
                    "d.",                                         /* 22 DICT */
           NPG_E_DUPLICATE_KEY, 22);
    REFUSE(OP_DICT, "(\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x80\x00N"  /* 1 LONG1 2**63, 12 NONE */
                    "G\x43\xe0\x00\x00\x00\x00\x00\x00N"              /* 13 BINFLOAT 2.0**63, 22 NONE */
                    "d.",                                             /* 23 DICT */
           NPG_E_DUPLICATE_KEY, 23);
    /* 2**53 + 1 != 2.0**53, 2**53 == 2.0**53 */
    v = ACCEPT(&r, OP_DICT, "(\x8a\x07\x01\x00\x00\x00\x00\x00\x20N"   /* 1 LONG1 2**53 + 1 */
                            "G\x43\x40\x00\x00\x00\x00\x00\x00N"       /* 11 BINFLOAT 2.0**53 */
                            "d.");
    expect_len(v, NPG_DICT, 2);
    run_free(&r);
    REFUSE(OP_DICT, "(\x8a\x07\x00\x00\x00\x00\x00\x00\x20N"
                    "G\x43\x40\x00\x00\x00\x00\x00\x00N"
                    "d.",
           NPG_E_DUPLICATE_KEY, 21);
    /* tuples and frozensets compare by content */
    REFUSE(OP_DICT, P_DUP_TUPLE, NPG_E_DUPLICATE_KEY, 20);
    REFUSE(OP_DICT, "(K\x01K\x02K\x03\x86\x86N"                      /* 1 (1, (2, 3)), 9 NONE */
                    "K\x01G\x40\x00\x00\x00\x00\x00\x00\x00K\x03\x86\x86N" /* 10 (1, (2.0, 3)), 25 NONE */
                    "d.",                                            /* 26 DICT */
           NPG_E_DUPLICATE_KEY, 26);
    REFUSE(OP_DICT, P_DUP_FROZENSET, NPG_E_DUPLICATE_KEY, 15);
    /* keys nested 5000 tuples deep are hashed and compared without recursion */
    {
        enum { DEEP = 5000 };
        size_t n = 1 + 2 * (2 + DEEP + 1) + 2;
        uint8_t *p = malloc(n);
        assert_non_null(p);
        size_t k = 0;
        p[k++] = '(';
        for (int key = 0; key < 2; key++) {
            p[k++] = 'K';
            p[k++] = 0x01;
            memset(p + k, 0x85, DEEP); /* TUPLE1 */
            k += DEEP;
            p[k++] = 'N';
        }
        p[k++] = 'd';
        p[k++] = '.';
        assert_int_equal(k, n);
        refuse_(__LINE__, OP_DICT, p, n, 0, NULL, NPG_E_DUPLICATE_KEY, n - 2, AUTO_OP);
        p[1 + 2 + DEEP + 1 + 1] = 0x02; /* the second key holds 2: no duplicate */
        v = accept_flags(__LINE__, &r, OP_DICT, p, n, 0);
        expect_len(v, NPG_DICT, 2);
        run_free(&r);
        p[1] = ']'; /* the first key: a list inside 5001 tuples (']' and one more TUPLE1 replace BININT1 1) */
        p[2] = 0x85;
        refuse_(__LINE__, OP_DICT, p, n, 0, NULL, NPG_E_UNHASHABLE, n - 2, AUTO_OP);
        free(p);
    }

    /* NaN: two distinct float objects are two keys; one object twice is a duplicate */
    v = ACCEPT(&r, OP_DICT, P_NAN_TWO);
    expect_len(v, NPG_DICT, 2);
    assert_true(isnan(npg_value_float(npg_value_dict_key(v, 0))));
    assert_true(isnan(npg_value_float(npg_value_dict_key(v, 1))));
    run_free(&r);
    REFUSE(OP_DICT, P_NAN_SAME, NPG_E_DUPLICATE_KEY, 16);
    v = ACCEPT(&r, OP_FROZENSET, "(G\x7f\xf8\x00\x00\x00\x00\x00\x00G\x7f\xf8\x00\x00\x00\x00\x00\x00\x91.");
    expect_len(v, NPG_FROZENSET, 2);
    run_free(&r);

    /* 'a' != b'a'; a Python-2 str is a str by default and bytes with NPG_PY2_BYTES */
    v = ACCEPT(&r, OP_DICT, P_STR_VS_BYTES);
    expect_len(v, NPG_DICT, 2);
    run_free(&r);
    REFUSE(OP_DICT, "(U\x01" "aNX\x01\x00\x00\x00" "aNd.", NPG_E_DUPLICATE_KEY, 12);
    v = ACCEPT_F(&r, OP_DICT, "(U\x01" "aNX\x01\x00\x00\x00" "aNd.", NPG_PY2_BYTES);
    expect_len(v, NPG_DICT, 2);
    run_free(&r);
    v = ACCEPT(&r, OP_DICT, "(U\x01" "aNC\x01" "aNd.");
    expect_len(v, NPG_DICT, 2);
    run_free(&r);
    REFUSE_F(OP_DICT, "(U\x01" "aNC\x01" "aNd.", NPG_PY2_BYTES, NPG_E_DUPLICATE_KEY, 9);
    /* latin-1: py2 '\xe9' equals the str 'é' */
    REFUSE(OP_DICT, "(U\x01\xe9NX\x02\x00\x00\x00\xc3\xa9Nd.", NPG_E_DUPLICATE_KEY, 13);

    /* larger collections (past any small linear scan) */
    {
        char p[2 + 3 * 20 + 10 + 2];
        size_t n = 0;
        p[n++] = '}';
        p[n++] = '(';
        for (int i = 0; i < 20; i++) {
            p[n++] = 'K';
            p[n++] = (char)(i + 1);
            p[n++] = 'N';
        }
        size_t tail = n;
        p[n++] = 'u';
        p[n++] = '.';
        v = accept_flags(__LINE__, &r, OP_SETITEMS, (const uint8_t *)p, n, 0);
        expect_len(v, NPG_DICT, 20);
        for (int i = 0; i < 20; i++) expect_int(npg_value_dict_key(v, (size_t)i), i + 1);
        run_free(&r);
        /* then 5.0 (== 5) as a 21st key */
        n = tail;
        memcpy(p + n, "G\x40\x14\x00\x00\x00\x00\x00\x00N", 10);
        n += 10;
        p[n++] = 'u';
        p[n++] = '.';
        refuse_(__LINE__, OP_SETITEMS, (const uint8_t *)p, n, 0, NULL, NPG_E_DUPLICATE_KEY, tail + 10, AUTO_OP);
    }
    {
        char p[1 + 2 * 20 + 3];
        size_t n = 0;
        p[n++] = '(';
        for (int i = 0; i < 20; i++) {
            p[n++] = 'K';
            p[n++] = (char)(20 - i);
        }
        size_t at = n;
        p[n++] = '\x91';
        p[n++] = '.';
        v = accept_flags(__LINE__, &r, OP_FROZENSET, (const uint8_t *)p, n, 0);
        expect_len(v, NPG_FROZENSET, 20);
        run_free(&r);
        p[at] = '\x88'; /* True == 1 */
        p[at + 1] = '\x91';
        p[at + 2] = '.';
        refuse_(__LINE__, OP_FROZENSET, (const uint8_t *)p, at + 3, 0, NULL, NPG_E_DUPLICATE_KEY, at + 1, AUTO_OP);
    }
}

static void test_duplicate_huge_ints(void **state)
{
    (void)state;
    /* 2**200 == 2.0**200 (hash(2**200) == hash(2.0**200) in CPython): integral floats beyond
     * 2**117 must still meet the equal int */
    REFUSE(OP_DICT, "(\x8a\x1a"                                         /* 1 LONG1 2**200 */
                    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
                    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01" "N" /* 29 NONE */
                    "G\x4c\x70\x00\x00\x00\x00\x00\x00N"              /* 30 BINFLOAT 2.0**200, 39 NONE */
                    "d.",                                                /* 40 DICT */
           NPG_E_DUPLICATE_KEY, 40);
    REFUSE(OP_DICT, "(\x8a\x1a"                                         /* 1 LONG1 -2**200 */
                    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
                    "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff" "N"
                    "G\xcc\x70\x00\x00\x00\x00\x00\x00N"              /* 30 BINFLOAT -2.0**200 */
                    "d.",
           NPG_E_DUPLICATE_KEY, 40);
}

/* ------------------------------------------------------------------ completeness */

static void test_every_opcode_covered(void **state)
{
    (void)state;
    char missing[2048];
    size_t n = 0;
    missing[0] = '\0';
    for (int b = 0; b < 256; b++) {
        const char *name = npg__opinfo[b].name;
        if (!name) continue;
        if (!g_accepted[b] || !g_refused[b])
            n += (size_t)snprintf(missing + n, sizeof missing - n, " %s(%s%s)", name, g_accepted[b] ? "" : "accept",
                                  g_refused[b] ? "" : g_accepted[b] ? "refuse" : ",refuse");
        if (n >= sizeof missing) break;
    }
    if (n) fail_msg("opcodes without tests:%s", missing);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_opcode_table),
        cmocka_unit_test(test_stack_ops),
        cmocka_unit_test(test_none_bools),
        cmocka_unit_test(test_int_text),
        cmocka_unit_test(test_int_binary),
        cmocka_unit_test(test_long_binary),
        cmocka_unit_test(test_floats),
        cmocka_unit_test(test_py2_strings),
        cmocka_unit_test(test_unicode),
        cmocka_unit_test(test_bytes),
        cmocka_unit_test(test_tuples),
        cmocka_unit_test(test_lists),
        cmocka_unit_test(test_dicts),
        cmocka_unit_test(test_sets),
        cmocka_unit_test(test_memo),
        cmocka_unit_test(test_proto),
        cmocka_unit_test(test_frame),
        cmocka_unit_test(test_global),
        cmocka_unit_test(test_stack_global),
        cmocka_unit_test(test_refused_decode),
        cmocka_unit_test(test_refused_scan),
        cmocka_unit_test(test_buffers),
        cmocka_unit_test(test_reduce_generic),
        cmocka_unit_test(test_reduce_dtype),
        cmocka_unit_test(test_reduce_reconstruct),
        cmocka_unit_test(test_reduce_frombuffer),
        cmocka_unit_test(test_reduce_scalar),
        cmocka_unit_test(test_reduce_builtins),
        cmocka_unit_test(test_object_arrays),
        cmocka_unit_test(test_unhashable),
        cmocka_unit_test(test_duplicate_keys),
        cmocka_unit_test(test_duplicate_huge_ints),
        /* last: reads what the tests above recorded */
        cmocka_unit_test(test_every_opcode_covered),
    };
    return cmocka_run_group_tests_name("opcodes", tests, NULL, NULL);
}
