/* Every status code the pickle VM can return, each produced by at least one input at an exact
 * byte offset, with the error record checked field by field; and the status-code tables
 * (npg_strerror, npg_status_name) checked against include/npguard.h itself, so that a code added
 * to the header without a test here fails this file.
 *
 * Inputs are hand-written pickles (one opcode per string piece, offsets in comments) or pickles
 * made by Debian's /usr/bin/python3 (CPython 3.11.2, NumPy 1.24.2), as each literal says. The
 * expected codes and offsets come from the documentation of each code in npguard.h and the
 * pickle format, never from running npguard. */
#include <ctype.h>
#include <limits.h>
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
#include "pickles.h"
#include "testutil.h"

#define LIT(s) (s), (sizeof(s) - 1)
#define NO_OP (-1)   /* err.opcode when no opcode is being executed */
#define AT_OFF (-2)  /* err.opcode is the byte at the error offset */

/* ------------------------------------------------------------------ inputs */

/* Which limit a case lowers (npg_limits fields by name). */
typedef enum lim_id {
    L_NONE,
    L_INPUT,
    L_OPS,
    L_STACK,
    L_MARKS,
    L_MEMO,
    L_DEPTH,
    L_CONTAINER,
    L_ALLOC,
    L_DIGITS,
    L_LONG,
    L_ARRAY,
    L_NDIM,
    L_STRING,
    L_FIELDS
} lim_id;

typedef struct err_case {
    int code;
    const char *what;
    const char *bytes;
    size_t len;
    unsigned flags;
    lim_id lim;
    uint64_t lim_value;
    int patch_at; /* -1: none; else bytes[patch_at] becomes patch_to */
    uint8_t patch_to;
    uint64_t offset;
    int opcode; /* NO_OP, AT_OFF or an opcode byte */
} err_case;

#define CASE(code, what, bytes, off, op) {code, what, LIT(bytes), 0, L_NONE, 0, -1, 0, off, op}
#define CASE_L(code, what, bytes, lim, v, off, op) {code, what, LIT(bytes), 0, lim, v, -1, 0, off, op}
#define CASE_P(code, what, bytes, at, to, off, op) {code, what, LIT(bytes), 0, L_NONE, 0, at, to, off, op}

static const err_case cases[] = {
    /* 1-23: malformed or refused input */
    CASE(NPG_E_TRUNCATED, "empty input", "", 0, NO_OP),
    CASE(NPG_E_TRUNCATED, "no STOP", "N", 1, NO_OP),
    CASE(NPG_E_TRUNCATED, "argument cut short", "NK", 1, AT_OFF),
    CASE(NPG_E_TRUNCATED, "counted argument longer than the input", "C\x05" "abc.", 0, AT_OFF),
    CASE(NPG_E_OPCODE, "0xff is no opcode", "N\xff.", 1, AT_OFF),
    CASE(NPG_E_OPCODE, "0x00 is no opcode", "\x00", 0, AT_OFF),
    CASE(NPG_E_FORBIDDEN_OPCODE, "EXT1", "\x82\x01.", 0, AT_OFF),
    CASE(NPG_E_FORBIDDEN_OPCODE, "INST", "(ibuiltins\nint\n.", 1, AT_OFF),
    CASE(NPG_E_GLOBAL, "os.system", "cos\nsystem\n)R.", 0, AT_OFF),
    CASE(NPG_E_GLOBAL, "STACK_GLOBAL builtins.eval", "\x8c\x08" "builtins" "\x8c\x04" "eval" "\x93.", 16, AT_OFF),
    CASE(NPG_E_STACK, "POP on an empty stack", "0", 0, AT_OFF),
    CASE(NPG_E_STACK, "TUPLE2 would take a MARK", "N(N\x86", 3, AT_OFF),
    CASE(NPG_E_MARK, "TUPLE without MARK", "K\x01t.", 2, AT_OFF),
    CASE(NPG_E_MEMO, "BINGET of an index never PUT", "h\x00.", 0, AT_OFF),
    CASE(NPG_E_MEMO, "negative PUT", "Np-1\n.", 1, AT_OFF),
    CASE(NPG_E_TYPE, "APPEND on a tuple", ")K\x01" "a.", 3, AT_OFF),
    CASE(NPG_E_UNHASHABLE, "list as a dict key", "(]Nd.", 3, AT_OFF),
    CASE(NPG_E_DUPLICATE_KEY, "None twice as a key", "(NNNNd.", 5, AT_OFF),
    CASE(NPG_E_SYNTAX, "octal INT", "I010\n.", 0, AT_OFF),
    CASE(NPG_E_UTF8, "BINUNICODE with 0xff (the offset is the bad byte's)", "X\x01\x00\x00\x00\xff.", 5, 0x58),
    CASE(NPG_E_FRAME, "BININT straddles the frame end",
         "\x95\x02\x00\x00\x00\x00\x00\x00\x00" "J\x01\x00\x00\x00.", 9, AT_OFF),
    CASE(NPG_E_FRAME, "FRAME inside a frame",
         "\x95\x0b\x00\x00\x00\x00\x00\x00\x00" "\x95\x02\x00\x00\x00\x00\x00\x00\x00" "N.", 9, AT_OFF),
    CASE(NPG_E_PROTO, "protocol 6", "\x80\x06N.", 0, AT_OFF),
    CASE(NPG_E_PROTO, "PROTO not first", "N\x80\x02.", 1, AT_OFF),
    CASE(NPG_E_STOP, "two items at STOP", "NN.", 2, AT_OFF),
    CASE(NPG_E_STOP, "open MARK at STOP", "N(.", 2, AT_OFF),
    CASE(NPG_E_TRAILING, "a byte after STOP", "N.N", 2, NO_OP),
    CASE(NPG_E_CALL, "class left in the data", "cnumpy\nndarray\n.", 15, AT_OFF),
    CASE(NPG_E_CALL, "set(1)", "c__builtin__\nset\nK\x01\x85R.", 20, AT_OFF),
    CASE(NPG_E_BUILD, "BUILD on a list", "]]b.", 2, AT_OFF),
    /* 0 GLOBAL, 13 BINUNICODE 'x8', 20 NEWFALSE, 21 NEWTRUE, 22 TUPLE3, 23 REDUCE */
    CASE(NPG_E_DTYPE, "dtype('x8')", "cnumpy\ndtype\nX\x02\x00\x00\x00x8\x89\x88\x87R.", 23, AT_OFF),
    CASE_P(NPG_E_ARRAY, "_frombuffer of 3 bytes with shape (2,)", P_FB_I1_3, 108, 0x02, 117, AT_OFF),
    CASE(NPG_E_BUFFER, "NEXT_BUFFER without buffers", "\x97.", 0, AT_OFF),
    /* same as NPG_E_DTYPE's input with 'f8': a dtype never built */
    CASE(NPG_E_PENDING, "dtype without BUILD", "cnumpy\ndtype\nX\x02\x00\x00\x00" "f8\x89\x88\x87R.", 24, AT_OFF),
    CASE(NPG_E_NEGATIVE_LENGTH, "LONG4 length -1", "\x8b\xff\xff\xff\xff.", 0, AT_OFF),
    CASE(NPG_E_NEGATIVE_LENGTH, "BINSTRING length -2**31", "T\x00\x00\x00\x80.", 0, AT_OFF),
    /* scan mode only: CPython's import of module "bad name" fails, and pickle.load stops */
    {NPG_E_IMPORT, "GLOBAL of a module no import can find", LIT("cbad name\nx\n."), NPG_SCAN, L_NONE, 0, -1, 0, 0, AT_OFF},

    /* 100-113: limits, each lowered so that this input is just over it */
    CASE_L(NPG_E_LIMIT_INPUT, "2 bytes, max_input 1", "N.", L_INPUT, 1, 0, NO_OP),
    CASE_L(NPG_E_LIMIT_OPS, "4 opcodes, max_ops 3", "NN\x86.", L_OPS, 3, 3, AT_OFF),
    CASE_L(NPG_E_LIMIT_STACK, "2 values, max_stack 1", "NN\x86.", L_STACK, 1, 1, AT_OFF),
    CASE_L(NPG_E_LIMIT_MARKS, "2 MARKs, max_marks 1", "((tt.", L_MARKS, 1, 1, AT_OFF),
    CASE_L(NPG_E_LIMIT_MEMO, "memo index 5, max_memo 5", "Nq\x05.", L_MEMO, 5, 1, AT_OFF),
    CASE_L(NPG_E_LIMIT_DEPTH, "((),) in a tuple, max_depth 2", ")\x85\x85.", L_DEPTH, 2, 2, AT_OFF),
    CASE_L(NPG_E_LIMIT_CONTAINER, "3-tuple, max_container_len 2", "(NNNt.", L_CONTAINER, 2, 4, AT_OFF),
    CASE_L(NPG_E_LIMIT_ALLOC, "max_alloc 1024", "N.", L_ALLOC, 1024, 0, AT_OFF),
    CASE_L(NPG_E_LIMIT_DIGITS, "6 digits, max_int_digits 5", "I123456\n.", L_DIGITS, 5, 0, AT_OFF),
    CASE_L(NPG_E_LIMIT_LONG, "LONG1 of 3 bytes, max_long_bytes 2", "\x8a\x03\x01\x02\x03.", L_LONG, 2, 0, AT_OFF),
    CASE_L(NPG_E_LIMIT_ARRAY, "3-byte array, max_array_bytes 2", P_FB_I1_3, L_ARRAY, 2, 117, AT_OFF),
    CASE_L(NPG_E_LIMIT_NDIM, "3 dimensions, max_ndim 2", P_FB_I1_111, L_NDIM, 2, 119, AT_OFF),
    CASE_L(NPG_E_LIMIT_STRING, "3 bytes, max_string_len 2", "C\x03" "abc.", L_STRING, 2, 0, AT_OFF),
    CASE_L(NPG_E_LIMIT_FIELDS, "2 fields, max_fields 1", P_DTYPE_STRUCT2_P2, L_FIELDS, 1, 186, AT_OFF),
};

static void set_limit(npg_limits *l, lim_id id, uint64_t v)
{
    switch (id) {
    case L_NONE: break;
    case L_INPUT: l->max_input = v; break;
    case L_OPS: l->max_ops = v; break;
    case L_STACK: l->max_stack = (size_t)v; break;
    case L_MARKS: l->max_marks = (size_t)v; break;
    case L_MEMO: l->max_memo = (size_t)v; break;
    case L_DEPTH: l->max_depth = (size_t)v; break;
    case L_CONTAINER: l->max_container_len = (size_t)v; break;
    case L_ALLOC: l->max_alloc = v; break;
    case L_DIGITS: l->max_int_digits = (size_t)v; break;
    case L_LONG: l->max_long_bytes = (size_t)v; break;
    case L_ARRAY: l->max_array_bytes = v; break;
    case L_NDIM: l->max_ndim = (size_t)v; break;
    case L_STRING: l->max_string_len = v; break;
    case L_FIELDS: l->max_fields = (size_t)v; break;
    }
}

/* ------------------------------------------------------------------ error record checks */

static void check_line(const char *msg, size_t cap, const char *what)
{
    size_t n = strnlen(msg, cap);
    if (n == 0 || n >= cap) fail_msg("%s: message empty or not NUL-terminated (%zu)", what, n);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)msg[i];
        if (c < 0x20 || c > 0x7e) fail_msg("%s: message byte %zu is 0x%02x", what, i, c);
    }
}

/* Failures of the table test are collected, so that one wrong case does not hide the others. */
static char g_soft[8192];
static int g_soft_count;

static void soft_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void soft_fail(const char *fmt, ...)
{
    size_t n = strlen(g_soft);
    g_soft_count++;
    if (n + 2 >= sizeof g_soft) return;
    g_soft[n++] = '\n';
    g_soft[n] = '\0';
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g_soft + n, sizeof g_soft - n, fmt, ap);
    va_end(ap);
}

/* Returns false (after recording why) when the error record is not exactly as expected. */
static bool soft_check_error(const npg_error *e, int code, uint64_t off, int opcode, const char *what)
{
    if (e->code != code || e->offset != off || e->opcode != opcode) {
        soft_fail("%s: err = {code %d, offset %llu, opcode %d, \"%.*s\"}, want {%d, %llu, %d}", what, e->code,
                  (unsigned long long)e->offset, e->opcode, (int)sizeof e->message, e->message, code,
                  (unsigned long long)off, opcode);
        return false;
    }
    check_line(e->message, sizeof e->message, what);
    if (strnlen(e->member, sizeof e->member) != 0) fail_msg("%s: err.member is not empty", what);
    return true;
}

static void check_error(const npg_error *e, int code, uint64_t off, int opcode, const char *what)
{
    g_soft[0] = '\0';
    if (!soft_check_error(e, code, off, opcode, what)) fail_msg("%s", g_soft + 1);
}

/* The first finding a scan made for a strict-grammar refusal (NPG100), or NULL. */
static const npg_finding *first_strict_finding(const npg_doc *doc)
{
    size_t n = 0;
    const npg_finding *f = npg_doc_findings(doc, &n, NULL);
    for (size_t i = 0; i < n; i++)
        if (f[i].rule == NPG_RULE_MALFORMED) return &f[i];
    return NULL;
}

/* Load (decode mode, or the case's flags) with the case's limit, err poisoned; check all. */
static void run_case(const err_case *c)
{
    uint8_t *buf = malloc(c->len ? c->len : 1);
    assert_non_null(buf);
    memcpy(buf, c->bytes, c->len);
    if (c->patch_at >= 0) {
        assert_true((size_t)c->patch_at < c->len);
        buf[c->patch_at] = c->patch_to;
    }
    npg_limits lim;
    npg_limits_init(&lim);
    set_limit(&lim, c->lim, c->lim_value);
    npg_ctx *ctx = npg_ctx_new(NULL);
    assert_non_null(ctx);
    assert_int_equal(npg_ctx_set_limits(ctx, &lim), NPG_OK);
    npg_error err;
    memset(&err, 0xff, sizeof err);
    npg_doc *doc = (npg_doc *)(void *)&err; /* poison */
    npg_pickle_opts o = {c->flags, NULL, 0};
    int rc = npg_pickle_load(ctx, buf, c->len, &o, &doc, &err);
    npg_ctx_free(ctx);
    if (c->flags & NPG_SCAN) { /* a code only scan mode returns: its document is there */
        if (rc != c->code) soft_fail("%s: scan returned %d, want %d", c->what, rc, c->code);
        int op = c->opcode == AT_OFF ? (c->offset < c->len ? buf[c->offset] : -1) : c->opcode;
        soft_check_error(&err, c->code, c->offset, op, c->what);
        npg_doc_free(doc);
        free(buf);
        return;
    }
    if (rc != c->code) {
        soft_fail("%s: returned %d (%s: %.*s), want %d (%s)", c->what, rc, npg_status_name(rc),
                  (int)sizeof err.message, err.message, c->code, npg_status_name(c->code));
        if (rc == NPG_OK) npg_doc_free(doc);
        free(buf);
        return;
    }
    int op = c->opcode == AT_OFF ? (c->offset < c->len ? buf[c->offset] : -1) : c->opcode;
    soft_check_error(&err, c->code, c->offset, op, c->what);
    if (doc != NULL) fail_msg("%s: *out not NULL after a failed decode", c->what);

    /* Scan mode meets the same first problem: where CPython stops too, as the scan's status and
     * error; where only the strict grammar refuses (CPython goes on, and so does the scan), as
     * the first NPG100 finding, carrying the code, offset and opcode. Allowlist refusals become
     * findings of their own rules. */
    if (c->code != NPG_E_FORBIDDEN_OPCODE && c->code != NPG_E_GLOBAL && c->code != NPG_E_BUFFER) {
        ctx = npg_ctx_new(NULL);
        assert_non_null(ctx);
        assert_int_equal(npg_ctx_set_limits(ctx, &lim), NPG_OK);
        memset(&err, 0xff, sizeof err);
        o.flags = c->flags | NPG_SCAN;
        rc = npg_pickle_load(ctx, buf, c->len, &o, &doc, &err);
        npg_ctx_free(ctx);
        const npg_finding *strict = first_strict_finding(doc);
        if (strict) {
            if (strict->status != c->code || strict->offset != c->offset || strict->opcode != op)
                soft_fail("%s: scan's first strict finding is {status %d, offset %llu, opcode %d}, want {%d, %llu, %d}",
                          c->what, strict->status, (unsigned long long)strict->offset, strict->opcode, c->code,
                          (unsigned long long)c->offset, op);
            else
                check_line(strict->message, strlen(strict->message) + 1, c->what);
        } else if (rc != c->code) {
            soft_fail("%s: scan returned %d, want %d", c->what, rc, c->code);
        } else if (soft_check_error(&err, c->code, c->offset, op, c->what) && c->code != NPG_E_LIMIT_ALLOC) {
            assert_non_null(doc);
            npg_error e2;
            memset(&e2, 0xff, sizeof e2);
            assert_int_equal(npg_doc_status(doc, &e2), c->code);
            soft_check_error(&e2, c->code, c->offset, op, c->what);
            assert_null(npg_doc_root(doc));
        }
        npg_doc_free(doc);
    }
    free(buf);
}

static void test_error_table(void **state)
{
    (void)state;
    g_soft[0] = '\0';
    g_soft_count = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) run_case(&cases[i]);
    if (g_soft_count) fail_msg("%d mismatch(es):%s", g_soft_count, g_soft);
}

/* A valid pickle: NPG_OK and a cleared error record. */
static void test_ok(void **state)
{
    (void)state;
    npg_doc *doc = NULL;
    npg_error err;
    assert_int_equal(tu_load((const uint8_t *)"N.", 2, 0, &doc, &err), NPG_OK);
    assert_non_null(doc);
    assert_int_equal(err.code, NPG_OK);
    assert_int_equal(err.opcode, -1);
    npg_doc_free(doc);
    /* err may be NULL */
    npg_ctx *ctx = npg_ctx_new(NULL);
    assert_non_null(ctx);
    assert_int_equal(npg_pickle_load(ctx, (const uint8_t *)"N.", 2, NULL, &doc, NULL), NPG_OK);
    npg_doc_free(doc);
    assert_int_equal(npg_pickle_load(ctx, (const uint8_t *)"N", 1, NULL, &doc, NULL), NPG_E_TRUNCATED);
    assert_null(doc);
    npg_ctx_free(ctx);
}

/* ------------------------------------------------------------------ NPG_E_INVALID */

static void expect_invalid(const npg_ctx *ctx, const uint8_t *buf, size_t len, const npg_pickle_opts *o,
                           bool with_out, const char *what)
{
    npg_error err;
    memset(&err, 0xff, sizeof err);
    npg_doc *doc = (npg_doc *)(void *)&err;
    int rc = npg_pickle_load(ctx, buf, len, o, with_out ? &doc : NULL, &err);
    if (rc != NPG_E_INVALID) fail_msg("%s: returned %d, want NPG_E_INVALID", what, rc);
    check_error(&err, NPG_E_INVALID, 0, -1, what);
    if (with_out && doc != NULL) fail_msg("%s: *out not NULL", what);
}

static void test_invalid_arguments(void **state)
{
    (void)state;
    npg_ctx *ctx = npg_ctx_new(NULL);
    assert_non_null(ctx);
    static const uint8_t ok[2] = {'N', '.'};
    npg_pickle_opts o = {0, NULL, 0};

    expect_invalid(NULL, ok, 2, NULL, true, "NULL ctx");
    expect_invalid(ctx, ok, 2, NULL, false, "NULL out");
    expect_invalid(ctx, NULL, 2, NULL, true, "NULL buf with len 2");
    o.flags = 1u << 3;
    expect_invalid(ctx, ok, 2, &o, true, "flag bit 3");
    o.flags = 1u << 31;
    expect_invalid(ctx, ok, 2, &o, true, "flag bit 31");
    o.flags = NPG_SCAN | (1u << 7);
    expect_invalid(ctx, ok, 2, &o, true, "NPG_SCAN plus an unknown bit");
    o.flags = 0;
    o.nbuffers = 1;
    expect_invalid(ctx, ok, 2, &o, true, "nbuffers without buffers");
    o.flags = NPG_SCAN;
    expect_invalid(ctx, ok, 2, &o, true, "nbuffers without buffers (scan)");

    /* NULL buf with len 0 is an empty input, not an invalid argument */
    npg_error err;
    memset(&err, 0xff, sizeof err);
    npg_doc *doc = NULL;
    assert_int_equal(npg_pickle_load(ctx, NULL, 0, NULL, &doc, &err), NPG_E_TRUNCATED);
    check_error(&err, NPG_E_TRUNCATED, 0, -1, "NULL buf, len 0");
    assert_null(doc);

    /* the other calls that report NPG_E_INVALID */
    assert_int_equal(npg_doc_status(NULL, NULL), NPG_E_INVALID);
    npg_limits lim;
    npg_limits_init(&lim);
    assert_int_equal(npg_ctx_set_limits(NULL, &lim), NPG_E_INVALID);
    assert_int_equal(npg_ctx_set_limits(ctx, NULL), NPG_E_INVALID);
    npg_ctx_free(ctx);
}

/* ------------------------------------------------------------------ NPG_E_NOMEM */

/* An allocator that fails once `budget` allocations have succeeded, and checks that every block
 * comes back with the size it was allocated with. */
typedef struct fail_alloc {
    long budget; /* allocations (malloc, or a growing realloc) still allowed */
    long live;
    size_t live_bytes;
    void *blocks[4096];
    size_t sizes[4096];
    long failures;
} fail_alloc;

static long find_block(fail_alloc *f, void *p)
{
    for (long i = 0; i < 4096; i++)
        if (f->blocks[i] == p) return i;
    return -1;
}

static void *fa_malloc(void *ud, size_t n)
{
    fail_alloc *f = ud;
    if (f->budget <= 0) {
        f->failures++;
        return NULL;
    }
    f->budget--;
    long i = find_block(f, NULL);
    if (i < 0) return NULL;
    void *p = malloc(n ? n : 1);
    if (!p) return NULL;
    f->blocks[i] = p;
    f->sizes[i] = n;
    f->live++;
    f->live_bytes += n;
    return p;
}

static void *fa_realloc(void *ud, void *p, size_t old, size_t n)
{
    fail_alloc *f = ud;
    long i = find_block(f, p);
    if (i < 0) fail_msg("realloc of a block this allocator never gave");
    if (f->sizes[i] != old) fail_msg("realloc says the block has %zu bytes, it has %zu", old, f->sizes[i]);
    if (f->budget <= 0) {
        f->failures++;
        return NULL;
    }
    f->budget--;
    void *q = realloc(p, n ? n : 1);
    if (!q) return NULL;
    f->blocks[i] = q;
    f->live_bytes = f->live_bytes - old + n;
    f->sizes[i] = n;
    return q;
}

static void fa_free(void *ud, void *p, size_t n)
{
    fail_alloc *f = ud;
    if (!p) return;
    long i = find_block(f, p);
    if (i < 0) fail_msg("free of a block this allocator never gave");
    if (f->sizes[i] != n) fail_msg("free says the block has %zu bytes, it has %zu", n, f->sizes[i]);
    f->blocks[i] = NULL;
    f->live--;
    f->live_bytes -= n;
    free(p);
}

/* P_FB_I1_3 exercises the arena, the stack, the memo, marks and the reconstructors. */
static void test_nomem(void **state)
{
    (void)state;
    fail_alloc *f = calloc(1, sizeof *f);
    assert_non_null(f);
    npg_alloc a = {fa_malloc, fa_realloc, fa_free, f};

    /* npg_ctx_new itself: NULL when the allocator fails; incomplete hooks are refused */
    f->budget = 0;
    assert_null(npg_ctx_new(&a));
    npg_alloc partial = a;
    partial.realloc = NULL;
    f->budget = 10;
    assert_null(npg_ctx_new(&partial));
    assert_int_equal(f->live, 0);

    /* budget 1: the context, then nothing: the load fails before reading a byte */
    f->budget = 1;
    npg_ctx *ctx = npg_ctx_new(&a);
    assert_non_null(ctx);
    npg_error err;
    memset(&err, 0xff, sizeof err);
    npg_doc *doc = (npg_doc *)(void *)&err;
    int rc = npg_pickle_load(ctx, (const uint8_t *)P_FB_I1_3, sizeof P_FB_I1_3 - 1, NULL, &doc, &err);
    assert_int_equal(rc, NPG_E_NOMEM);
    check_error(&err, NPG_E_NOMEM, 0, -1, "no memory at all");
    assert_null(doc);
    assert_int_equal(f->live, 1); /* only the context */
    const size_t ctx_bytes = f->live_bytes;

    /* every budget: either NPG_OK, or NPG_E_NOMEM at an opcode of the input; nothing leaks.
     * Second input: 20 MARKs, 100 values and 40 memo entries, so that the mark stack, the value
     * stack and the memo all grow (realloc) past their first allocation. */
    uint8_t big[20 + 100 + 80 + 20 + 1];
    size_t bn = 0;
    for (int i = 0; i < 20; i++) big[bn++] = '(';
    for (int i = 0; i < 100; i++) big[bn++] = 'N';
    for (int i = 0; i < 40; i++) {
        big[bn++] = 'q';
        big[bn++] = (uint8_t)i;
    }
    for (int i = 0; i < 20; i++) big[bn++] = 't';
    big[bn++] = '.';
    assert_int_equal(bn, sizeof big);
    const uint8_t *inputs[2] = {(const uint8_t *)P_FB_I1_3, big};
    const size_t lens[2] = {sizeof P_FB_I1_3 - 1, sizeof big};
    bool saw_ok = false, saw_nomem_in_vm = false;
    char bad_opcode[256] = "";
    for (int in = 0; in < 2; in++) {
        const uint8_t *input = inputs[in];
        const size_t ilen = lens[in];
        saw_ok = false;
        for (long k = 0; k < 400 && !saw_ok; k++) {
            for (int scan = 0; scan < 2; scan++) {
                f->budget = k;
                f->failures = 0;
                memset(&err, 0xff, sizeof err);
                doc = NULL;
                npg_pickle_opts o = {scan ? NPG_SCAN : 0, NULL, 0};
                rc = npg_pickle_load(ctx, input, ilen, &o, &doc, &err);
                if (rc == NPG_OK) {
                    assert_int_equal(f->failures, 0);
                    assert_non_null(npg_doc_root(doc));
                    saw_ok = true;
                } else {
                    if (rc != NPG_E_NOMEM) fail_msg("input %d, budget %ld: %s (%s)", in, k, npg_status_name(rc), err.message);
                    assert_int_equal(err.code, NPG_E_NOMEM);
                    assert_true(f->failures > 0);
                    assert_true(err.offset <= ilen);
                    check_line(err.message, sizeof err.message, "NPG_E_NOMEM");
                    /* err.opcode is -1 or the opcode at err.offset */
                    if (err.opcode != -1) {
                        if (err.offset >= ilen || !npg_opcode_name(err.opcode) || input[err.offset] != err.opcode) {
                            if (!bad_opcode[0])
                                snprintf(bad_opcode, sizeof bad_opcode,
                                         "input %d, budget %ld (%s): NPG_E_NOMEM at offset %llu with opcode %d", in, k,
                                         scan ? "scan" : "decode", (unsigned long long)err.offset, err.opcode);
                        } else {
                            saw_nomem_in_vm = true;
                        }
                    }
                    if (!scan) assert_null(doc);
                }
                npg_doc_free(doc);
                if (f->live != 1 || f->live_bytes != ctx_bytes)
                    fail_msg("input %d, budget %ld: %ld blocks (%zu bytes) left after npg_doc_free", in, k, f->live,
                             f->live_bytes);
            }
        }
        assert_true(saw_ok);
    }
    assert_true(saw_nomem_in_vm);
    npg_ctx_free(ctx);
    assert_int_equal(f->live, 0);
    free(f);
    if (bad_opcode[0]) fail_msg("%s", bad_opcode);
}

/* ------------------------------------------------------------------ the status table */

typedef struct hdr_code {
    char name[64];
    int value;
} hdr_code;

/* The npg_status enum as written in include/npguard.h. */
static size_t read_header_codes(hdr_code *out, size_t cap)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/../../include/npguard.h", NPG_TEST_DATA);
    size_t len = 0;
    uint8_t *text = tu_read_file(path, &len);
    char *s = malloc(len + 1);
    assert_non_null(s);
    memcpy(s, text, len);
    s[len] = '\0';
    free(text);
    char *begin = strstr(s, "typedef enum npg_status {");
    assert_non_null(begin);
    char *end = strstr(begin, "} npg_status;");
    assert_non_null(end);
    *end = '\0';
    size_t n = 0;
    for (char *line = begin; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        char one[256], name[64];
        int value;
        size_t k = 0;
        while (line[k] && line[k] != '\n' && k + 1 < sizeof one) {
            one[k] = line[k];
            k++;
        }
        one[k] = '\0';
        if (sscanf(one, " %63[A-Z0-9_] = %d", name, &value) == 2 && strncmp(name, "NPG_", 4) == 0) {
            assert_true(n < cap);
            snprintf(out[n].name, sizeof out[n].name, "%s", name);
            out[n].value = value;
            n++;
        }
    }
    free(s);
    return n;
}

/* Codes that no pickle can produce, and why: by exact name, or by name prefix (ending in '_'). */
static const struct {
    const char *name;
    const char *why;
} unreachable[] = {
    {"NPG_E_BADSTATE", "npg_pickle_load keeps no state between calls: every call makes a fresh document "
                       "and reads the context only, so nothing can be used after an earlier failure"},
    {"NPG_E_INTERNAL", "reserved for bugs in npguard (the opcode table and argument kinds are fixed at "
                       "compile time); no input may produce it"},
    {"NPG_E_NPY_", ".npy format errors: raised by the .npy reader, which npg_pickle_load never runs"},
    {"NPG_E_ZIP_", "zip/.npz container errors: raised by the .npz reader only"},
    {"NPG_E_LIMIT_HEADER", "limit of the .npy header parser (max_header_len)"},
    {"NPG_E_LIMIT_MEMBERS", "limit of the zip reader (max_zip_members)"},
    {"NPG_E_LIMIT_RATIO", "limit of the zip reader (max_ratio)"},
    {"NPG_E_LIMIT_UNCOMPRESSED", "limit of the zip reader (max_uncompressed)"},
};

static const char *unreachable_reason(const char *name)
{
    for (size_t j = 0; j < sizeof unreachable / sizeof unreachable[0]; j++) {
        const char *u = unreachable[j].name;
        size_t n = strlen(u);
        if (u[n - 1] == '_' ? strncmp(name, u, n) == 0 : strcmp(name, u) == 0) return unreachable[j].why;
    }
    return NULL;
}

static bool produced(int code)
{
    if (code == NPG_OK || code == NPG_E_NOMEM || code == NPG_E_INVALID) return true; /* test_ok, test_nomem, test_invalid_arguments */
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (cases[i].code == code) return true;
    return false;
}

static void test_every_code_covered(void **state)
{
    (void)state;
    hdr_code codes[128];
    size_t n = read_header_codes(codes, 128);
    assert_true(n >= 42); /* 0, 1-23, 100-113, 200-202, 255 when this was written */
    for (size_t i = 0; i < n; i++) {
        int c = codes[i].value;
        bool listed = unreachable_reason(codes[i].name) != NULL;
        if (produced(c) == listed)
            fail_msg("%s (%d): %s", codes[i].name, c,
                     listed ? "listed as unreachable but produced by a test" : "no test produces it");
        /* the library's name for the code is the header's */
        assert_string_equal(npg_status_name(c), codes[i].name);
    }
    /* the two lists only hold codes of the header */
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bool found = false;
        for (size_t j = 0; j < n; j++)
            if (codes[j].value == cases[i].code) found = true;
        assert_true(found);
    }
}

static void test_status_strings(void **state)
{
    (void)state;
    hdr_code codes[128];
    size_t n = read_header_codes(codes, 128);
    for (size_t i = 0; i < n; i++) {
        const char *text = npg_strerror(codes[i].value);
        const char *name = npg_status_name(codes[i].value);
        assert_non_null(text);
        assert_non_null(name);
        check_line(text, strlen(text) + 1, codes[i].name);
        assert_true(strcmp(text, "unknown status") != 0);
        for (size_t j = 0; j < i; j++) {
            if (strcmp(text, npg_strerror(codes[j].value)) == 0)
                fail_msg("%s and %s share the text \"%s\"", codes[i].name, codes[j].name, text);
            if (strcmp(name, npg_status_name(codes[j].value)) == 0)
                fail_msg("%s and %s share the name \"%s\"", codes[i].name, codes[j].name, name);
        }
    }
    static const int candidates[] = {-1, 24, 29, 80, 99, 118, 149, 150, 199, 203, 254, 256, 1000, INT_MAX, INT_MIN};
    size_t tried = 0;
    for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++) {
        bool in_header = false;
        for (size_t j = 0; j < n; j++)
            if (codes[j].value == candidates[i]) in_header = true;
        if (in_header) continue;
        tried++;
        int code = candidates[i];
        assert_string_equal(npg_strerror(code), "unknown status");
        const char *name = npg_status_name(code);
        assert_non_null(name);
        char low[64];
        size_t k = 0;
        for (; name[k] && k + 1 < sizeof low; k++) low[k] = (char)tolower((unsigned char)name[k]);
        low[k] = '\0';
        if (!strstr(low, "unknown")) fail_msg("npg_status_name(%d) = \"%s\"", code, name);
        for (size_t j = 0; j < n; j++) assert_true(strcmp(name, npg_status_name(codes[j].value)) != 0);
    }
    assert_true(tried >= 8);
}

/* The library reports the version its header says, as a number and as "major.minor.patch". */
static void test_version(void **state)
{
    (void)state;
    char want[32];
    unsigned v = npg_version_number();
    assert_int_equal(v, NPG_VERSION_NUMBER);
    snprintf(want, sizeof want, "%u.%u.%u", v / 10000, v / 100 % 100, v % 100);
    assert_string_equal(npg_version_string(), want);
    assert_string_equal(npg_version_string(), NPG_VERSION_STRING);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version),
        cmocka_unit_test(test_error_table),
        cmocka_unit_test(test_ok),
        cmocka_unit_test(test_invalid_arguments),
        cmocka_unit_test(test_nomem),
        cmocka_unit_test(test_every_code_covered),
        cmocka_unit_test(test_status_strings),
    };
    return cmocka_run_group_tests_name("errors", tests, NULL, NULL);
}
