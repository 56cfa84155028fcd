/* Every field of npg_limits: an input just under the limit is accepted, one just over it is
 * refused with the limit's NPG_E_LIMIT_* code at an exact offset; npg_ctx_set_limits refuses
 * bad structs; the defaults are finite.
 *
 * Pickles are hand-written (offsets in comments) or made by Debian's /usr/bin/python3 (CPython
 * 3.11.2, NumPy 1.24.2) as each literal says. Each input is copied into a heap buffer of exactly
 * its length (AddressSanitizer sees any over-read). */
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

#define LIT(s) (const uint8_t *)(s), (sizeof(s) - 1)

/* ------------------------------------------------------------------ inputs */

/* P_DTYPE_NESTED_P2 (215 bytes): pickle.dumps(np.dtype([('a', [('x', 'i1'), ('y', 'i1')]), ('b', 'i1')]), 2), same interpreter
 * CPython 3.11 pickle.loads -> dtype([('a', [('x', 'i1'), ('y', 'i1')]), ('b', 'i1')]) */
static const char P_DTYPE_NESTED_P2[] =
    "\x80\x02"              /*    0: PROTO 2 */
    "cnumpy\ndtype\n"       /*    2: GLOBAL 'numpy dtype' */
    "q\x00"                 /*   15: BINPUT 0 */
    "X\x02\x00\x00\x00V3"   /*   17: BINUNICODE 'V3' */
    "q\x01"                 /*   24: BINPUT 1 */
    "\x89"                  /*   26: NEWFALSE */
    "\x88"                  /*   27: NEWTRUE */
    "\x87"                  /*   28: TUPLE3 */
    "q\x02"                 /*   29: BINPUT 2 */
    "R"                     /*   31: REDUCE */
    "q\x03"                 /*   32: BINPUT 3 */
    "("                     /*   34: MARK */
    "K\x03"                 /*   35: BININT1 3 */
    "X\x01\x00\x00\x00|"    /*   37: BINUNICODE '|' */
    "q\x04"                 /*   43: BINPUT 4 */
    "N"                     /*   45: NONE */
    "X\x01\x00\x00\x00" "a" /*   46: BINUNICODE 'a' */
    "q\x05"                 /*   52: BINPUT 5 */
    "X\x01\x00\x00\x00" "b" /*   54: BINUNICODE 'b' */
    "q\x06"                 /*   60: BINPUT 6 */
    "\x86"                  /*   62: TUPLE2 */
    "q\x07"                 /*   63: BINPUT 7 */
    "}"                     /*   65: EMPTY_DICT */
    "q\x08"                 /*   66: BINPUT 8 */
    "("                     /*   68: MARK */
    "h\x05"                 /*   69: BINGET 5 */
    "h\x00"                 /*   71: BINGET 0 */
    "X\x02\x00\x00\x00V2"   /*   73: BINUNICODE 'V2' */
    "q\x09"                 /*   80: BINPUT 9 */
    "\x89"                  /*   82: NEWFALSE */
    "\x88"                  /*   83: NEWTRUE */
    "\x87"                  /*   84: TUPLE3 */
    "q\n"                   /*   85: BINPUT 10 */
    "R"                     /*   87: REDUCE */
    "q\x0b"                 /*   88: BINPUT 11 */
    "("                     /*   90: MARK */
    "K\x03"                 /*   91: BININT1 3 */
    "h\x04"                 /*   93: BINGET 4 */
    "N"                     /*   95: NONE */
    "X\x01\x00\x00\x00x"    /*   96: BINUNICODE 'x' */
    "q\x0c"                 /*  102: BINPUT 12 */
    "X\x01\x00\x00\x00y"    /*  104: BINUNICODE 'y' */
    "q\x0d"                 /*  110: BINPUT 13 */
    "\x86"                  /*  112: TUPLE2 */
    "q\x0e"                 /*  113: BINPUT 14 */
    "}"                     /*  115: EMPTY_DICT */
    "q\x0f"                 /*  116: BINPUT 15 */
    "("                     /*  118: MARK */
    "h\x0c"                 /*  119: BINGET 12 */
    "h\x00"                 /*  121: BINGET 0 */
    "X\x02\x00\x00\x00i1"   /*  123: BINUNICODE 'i1' */
    "q\x10"                 /*  130: BINPUT 16 */
    "\x89"                  /*  132: NEWFALSE */
    "\x88"                  /*  133: NEWTRUE */
    "\x87"                  /*  134: TUPLE3 */
    "q\x11"                 /*  135: BINPUT 17 */
    "R"                     /*  137: REDUCE */
    "q\x12"                 /*  138: BINPUT 18 */
    "("                     /*  140: MARK */
    "K\x03"                 /*  141: BININT1 3 */
    "h\x04"                 /*  143: BINGET 4 */
    "N"                     /*  145: NONE */
    "N"                     /*  146: NONE */
    "N"                     /*  147: NONE */
    "J\xff\xff\xff\xff"     /*  148: BININT -1 */
    "J\xff\xff\xff\xff"     /*  153: BININT -1 */
    "K\x00"                 /*  158: BININT1 0 */
    "t"                     /*  160: TUPLE */
    "q\x13"                 /*  161: BINPUT 19 */
    "b"                     /*  163: BUILD */
    "K\x00"                 /*  164: BININT1 0 */
    "\x86"                  /*  166: TUPLE2 */
    "q\x14"                 /*  167: BINPUT 20 */
    "h\x0d"                 /*  169: BINGET 13 */
    "h\x12"                 /*  171: BINGET 18 */
    "K\x01"                 /*  173: BININT1 1 */
    "\x86"                  /*  175: TUPLE2 */
    "q\x15"                 /*  176: BINPUT 21 */
    "u"                     /*  178: SETITEMS */
    "K\x02"                 /*  179: BININT1 2 */
    "K\x01"                 /*  181: BININT1 1 */
    "K\x10"                 /*  183: BININT1 16 */
    "t"                     /*  185: TUPLE */
    "q\x16"                 /*  186: BINPUT 22 */
    "b"                     /*  188: BUILD */
    "K\x00"                 /*  189: BININT1 0 */
    "\x86"                  /*  191: TUPLE2 */
    "q\x17"                 /*  192: BINPUT 23 */
    "h\x06"                 /*  194: BINGET 6 */
    "h\x12"                 /*  196: BINGET 18 */
    "K\x02"                 /*  198: BININT1 2 */
    "\x86"                  /*  200: TUPLE2 */
    "q\x18"                 /*  201: BINPUT 24 */
    "u"                     /*  203: SETITEMS */
    "K\x03"                 /*  204: BININT1 3 */
    "K\x01"                 /*  206: BININT1 1 */
    "K\x10"                 /*  208: BININT1 16 */
    "t"                     /*  210: TUPLE */
    "q\x19"                 /*  211: BINPUT 25 */
    "b"                     /*  213: BUILD */
    "."                     /*  214: STOP */;

/* P_DTYPE_SUB3_P2 (113 bytes): pickle.dumps(np.dtype(('i1', (1, 1, 1))), 2), same interpreter
 * CPython 3.11 pickle.loads -> dtype(('i1', (1, 1, 1))) */
static const char P_DTYPE_SUB3_P2[] =
    "\x80\x02"            /*    0: PROTO 2 */
    "cnumpy\ndtype\n"     /*    2: GLOBAL 'numpy dtype' */
    "q\x00"               /*   15: BINPUT 0 */
    "X\x02\x00\x00\x00V1" /*   17: BINUNICODE 'V1' */
    "q\x01"               /*   24: BINPUT 1 */
    "\x89"                /*   26: NEWFALSE */
    "\x88"                /*   27: NEWTRUE */
    "\x87"                /*   28: TUPLE3 */
    "q\x02"               /*   29: BINPUT 2 */
    "R"                   /*   31: REDUCE */
    "q\x03"               /*   32: BINPUT 3 */
    "("                   /*   34: MARK */
    "K\x03"               /*   35: BININT1 3 */
    "X\x01\x00\x00\x00|"  /*   37: BINUNICODE '|' */
    "q\x04"               /*   43: BINPUT 4 */
    "h\x00"               /*   45: BINGET 0 */
    "X\x02\x00\x00\x00i1" /*   47: BINUNICODE 'i1' */
    "q\x05"               /*   54: BINPUT 5 */
    "\x89"                /*   56: NEWFALSE */
    "\x88"                /*   57: NEWTRUE */
    "\x87"                /*   58: TUPLE3 */
    "q\x06"               /*   59: BINPUT 6 */
    "R"                   /*   61: REDUCE */
    "q\x07"               /*   62: BINPUT 7 */
    "("                   /*   64: MARK */
    "K\x03"               /*   65: BININT1 3 */
    "h\x04"               /*   67: BINGET 4 */
    "N"                   /*   69: NONE */
    "N"                   /*   70: NONE */
    "N"                   /*   71: NONE */
    "J\xff\xff\xff\xff"   /*   72: BININT -1 */
    "J\xff\xff\xff\xff"   /*   77: BININT -1 */
    "K\x00"               /*   82: BININT1 0 */
    "t"                   /*   84: TUPLE */
    "q\x08"               /*   85: BINPUT 8 */
    "b"                   /*   87: BUILD */
    "K\x01"               /*   88: BININT1 1 */
    "K\x01"               /*   90: BININT1 1 */
    "K\x01"               /*   92: BININT1 1 */
    "\x87"                /*   94: TUPLE3 */
    "q\x09"               /*   95: BINPUT 9 */
    "\x86"                /*   97: TUPLE2 */
    "q\n"                 /*   98: BINPUT 10 */
    "N"                   /*  100: NONE */
    "N"                   /*  101: NONE */
    "K\x01"               /*  102: BININT1 1 */
    "K\x01"               /*  104: BININT1 1 */
    "K\x00"               /*  106: BININT1 0 */
    "t"                   /*  108: TUPLE */
    "q\x0b"               /*  109: BINPUT 11 */
    "b"                   /*  111: BUILD */
    "."                   /*  112: STOP */;

/* P_FB_OVERFLOW (128 bytes): _frombuffer(bytearray(), dtype('i1'), (2**32, 2**32), 'C')
 * CPython 3.11 pickle.loads -> ValueError: cannot reshape array of size 0 into shape (4294967296,4294967296) */
static const char P_FB_OVERFLOW[] =
    "cnumpy.core.numeric\n_frombuffer\n"   /*    0: GLOBAL 'numpy.core.numeric _frombuffer' */
    "("                                    /*   32: MARK */
    "\x96\x00\x00\x00\x00\x00\x00\x00\x00" /*   33: BYTEARRAY8 bytearray(b'') */
    "cnumpy\ndtype\n"                      /*   42: GLOBAL 'numpy dtype' */
    "q\x00"                                /*   55: BINPUT 0 */
    "X\x02\x00\x00\x00i1"                  /*   57: BINUNICODE 'i1' */
    "q\x01"                                /*   64: BINPUT 1 */
    "\x89"                                 /*   66: NEWFALSE */
    "\x88"                                 /*   67: NEWTRUE */
    "\x87"                                 /*   68: TUPLE3 */
    "q\x02"                                /*   69: BINPUT 2 */
    "R"                                    /*   71: REDUCE */
    "q\x03"                                /*   72: BINPUT 3 */
    "("                                    /*   74: MARK */
    "K\x03"                                /*   75: BININT1 3 */
    "X\x01\x00\x00\x00|"                   /*   77: BINUNICODE '|' */
    "q\x04"                                /*   83: BINPUT 4 */
    "N"                                    /*   85: NONE */
    "N"                                    /*   86: NONE */
    "N"                                    /*   87: NONE */
    "J\xff\xff\xff\xff"                    /*   88: BININT -1 */
    "J\xff\xff\xff\xff"                    /*   93: BININT -1 */
    "K\x00"                                /*   98: BININT1 0 */
    "t"                                    /*  100: TUPLE */
    "q\x05"                                /*  101: BINPUT 5 */
    "b"                                    /*  103: BUILD */
    "\x8a\x05\x00\x00\x00\x00\x01"         /*  104: LONG1 4294967296 */
    "\x8a\x05\x00\x00\x00\x00\x01"         /*  111: LONG1 4294967296 */
    "\x86"                                 /*  118: TUPLE2 */
    "X\x01\x00\x00\x00" "C"                /*  119: BINUNICODE 'C' */
    "t"                                    /*  125: TUPLE */
    "R"                                    /*  126: REDUCE */
    "."                                    /*  127: STOP */;

/* P_FB_ZERODIM (130 bytes): _frombuffer(bytearray(), dtype('i1'), (2**32, 2**32, 0), 'C')
 * CPython 3.11 pickle.loads -> ValueError: cannot reshape array of size 0 into shape (4294967296,4294967296,0) */
static const char P_FB_ZERODIM[] =
    "cnumpy.core.numeric\n_frombuffer\n"   /*    0: GLOBAL 'numpy.core.numeric _frombuffer' */
    "("                                    /*   32: MARK */
    "\x96\x00\x00\x00\x00\x00\x00\x00\x00" /*   33: BYTEARRAY8 bytearray(b'') */
    "cnumpy\ndtype\n"                      /*   42: GLOBAL 'numpy dtype' */
    "q\x00"                                /*   55: BINPUT 0 */
    "X\x02\x00\x00\x00i1"                  /*   57: BINUNICODE 'i1' */
    "q\x01"                                /*   64: BINPUT 1 */
    "\x89"                                 /*   66: NEWFALSE */
    "\x88"                                 /*   67: NEWTRUE */
    "\x87"                                 /*   68: TUPLE3 */
    "q\x02"                                /*   69: BINPUT 2 */
    "R"                                    /*   71: REDUCE */
    "q\x03"                                /*   72: BINPUT 3 */
    "("                                    /*   74: MARK */
    "K\x03"                                /*   75: BININT1 3 */
    "X\x01\x00\x00\x00|"                   /*   77: BINUNICODE '|' */
    "q\x04"                                /*   83: BINPUT 4 */
    "N"                                    /*   85: NONE */
    "N"                                    /*   86: NONE */
    "N"                                    /*   87: NONE */
    "J\xff\xff\xff\xff"                    /*   88: BININT -1 */
    "J\xff\xff\xff\xff"                    /*   93: BININT -1 */
    "K\x00"                                /*   98: BININT1 0 */
    "t"                                    /*  100: TUPLE */
    "q\x05"                                /*  101: BINPUT 5 */
    "b"                                    /*  103: BUILD */
    "\x8a\x05\x00\x00\x00\x00\x01"         /*  104: LONG1 4294967296 */
    "\x8a\x05\x00\x00\x00\x00\x01"         /*  111: LONG1 4294967296 */
    "K\x00"                                /*  118: BININT1 0 */
    "\x87"                                 /*  120: TUPLE3 */
    "X\x01\x00\x00\x00" "C"                /*  121: BINUNICODE 'C' */
    "t"                                    /*  127: TUPLE */
    "R"                                    /*  128: REDUCE */
    "."                                    /*  129: STOP */;

/* ------------------------------------------------------------------ helpers */

typedef struct outcome {
    int rc;
    npg_error err;
    uint64_t ops;
    uint64_t alloc_bytes;
    size_t nfindings, total_findings;
    int root_kind;
} outcome;

/* Load p[0..n) (exact-size copy) with lim and flags; record what came out and free it all. */
static outcome load(const uint8_t *p, size_t n, unsigned flags, const npg_limits *lim)
{
    outcome o;
    memset(&o, 0, sizeof o);
    uint8_t *buf = malloc(n ? n : 1);
    assert_non_null(buf);
    if (n) memcpy(buf, p, n);
    npg_doc *doc = NULL;
    o.rc = tu_load_limits(buf, n, flags, lim, &doc, &o.err);
    if (doc) {
        o.ops = npg_doc_ops(doc);
        o.alloc_bytes = npg_doc_alloc_bytes(doc);
        npg_doc_findings(doc, &o.nfindings, &o.total_findings);
        o.root_kind = npg_doc_root(doc) ? (int)npg_value_kind(npg_doc_root(doc)) : -1;
    }
    if (o.rc != NPG_OK && !(flags & NPG_SCAN) && doc) fail_msg("a failed decode returned a document");
    npg_doc_free(doc);
    free(buf);
    return o;
}

static void accept_(int line, const uint8_t *p, size_t n, const npg_limits *lim)
{
    outcome o = load(p, n, 0, lim);
    if (o.rc != NPG_OK)
        fail_msg("line %d: refused with %s at %llu: %.*s", line, npg_status_name(o.rc),
                 (unsigned long long)o.err.offset, (int)sizeof o.err.message, o.err.message);
}

static void refuse_(int line, const uint8_t *p, size_t n, const npg_limits *lim, int code, uint64_t off)
{
    outcome o = load(p, n, 0, lim);
    if (o.rc != code || o.err.code != code || o.err.offset != off)
        fail_msg("line %d: got %s at %llu (%.*s), want %s at %llu", line, npg_status_name(o.rc),
                 (unsigned long long)o.err.offset, (int)sizeof o.err.message, o.err.message,
                 npg_status_name(code), (unsigned long long)off);
    int want_op = off < n ? p[off] : -1;
    if (code == NPG_E_LIMIT_INPUT) want_op = -1;
    if (o.err.opcode != want_op) fail_msg("line %d: err.opcode %d, want %d", line, o.err.opcode, want_op);
    size_t len = strnlen(o.err.message, sizeof o.err.message);
    assert_true(len > 0 && len < sizeof o.err.message);
}

#define ACCEPT(bytes, lim) accept_(__LINE__, LIT(bytes), (lim))
#define REFUSE(bytes, lim, code, off) refuse_(__LINE__, LIT(bytes), (lim), (code), (off))
#define ACCEPT_B(p, n, lim) accept_(__LINE__, (p), (n), (lim))
#define REFUSE_B(p, n, lim, code, off) refuse_(__LINE__, (p), (n), (lim), (code), (off))

static npg_limits defaults(void)
{
    npg_limits l;
    npg_limits_init(&l);
    return l;
}

/* ------------------------------------------------------------------ defaults and validation */

/* Every field of npg_limits but size. The pickle VM's own limits get a test of their own below;
 * the .npy/.npz ones (max_header_len and after) are only checked for validation and defaults
 * here. test_field_table fails when the struct gains a field this table does not list. */
typedef struct field_ref {
    const char *name;
    size_t off;
    size_t width;
} field_ref;

#define FIELD(f) {#f, offsetof(npg_limits, f), sizeof(((npg_limits *)0)->f)}
static const field_ref fields[] = {
    FIELD(max_input),        FIELD(max_ops),          FIELD(max_stack),         FIELD(max_marks),
    FIELD(max_memo),         FIELD(max_depth),        FIELD(max_container_len), FIELD(max_alloc),
    FIELD(max_int_digits),   FIELD(max_long_bytes),   FIELD(max_array_bytes),   FIELD(max_ndim),
    FIELD(max_string_len),   FIELD(max_fields),       FIELD(max_findings),      FIELD(max_header_len),
    FIELD(max_zip_members),  FIELD(max_uncompressed), FIELD(max_ratio),
};
#define NFIELDS (sizeof fields / sizeof fields[0])

static uint64_t field_get(const npg_limits *l, const field_ref *f)
{
    const unsigned char *p = (const unsigned char *)l + f->off;
    if (f->width == 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        return v;
    }
    if (f->width == 4) {
        uint32_t v;
        memcpy(&v, p, 4);
        return v;
    }
    fail_msg("%s has width %zu", f->name, f->width);
    return 0;
}

static void test_field_table(void **state)
{
    (void)state;
    /* the fields follow each other with at most alignment padding, and the last one ends the
     * struct (up to its final padding) */
    size_t end = sizeof(size_t);
    assert_int_equal(offsetof(npg_limits, size), 0);
    for (size_t i = 0; i < NFIELDS; i++) {
        if (fields[i].off < end || fields[i].off - end >= fields[i].width)
            fail_msg("npg_limits has a field before %s that the test does not know", fields[i].name);
        end = fields[i].off + fields[i].width;
    }
    if (sizeof(npg_limits) - end >= 8) fail_msg("npg_limits has fields after %s that the test does not know",
                                                fields[NFIELDS - 1].name);
}


static void test_defaults(void **state)
{
    (void)state;
    npg_limits l;
    memset(&l, 0xa5, sizeof l);
    npg_limits_init(&l);
    assert_int_equal(l.size, sizeof l);
    /* non-zero, and finite: no field is the "all ones" value of its type (SIZE_MAX, ...) */
    for (size_t i = 0; i < NFIELDS; i++) {
        uint64_t v = field_get(&l, &fields[i]);
        uint64_t ones = fields[i].width == 8 ? UINT64_MAX : UINT32_MAX;
        if (v == 0 || v == ones) fail_msg("default %s = %llu", fields[i].name, (unsigned long long)v);
    }
    assert_true(l.max_ndim <= NPG_MAX_NDIM);
    /* a fresh context holds the defaults, and accepts them back */
    npg_ctx *ctx = npg_ctx_new(NULL);
    assert_non_null(ctx);
    npg_limits got;
    memset(&got, 0x5a, sizeof got);
    npg_ctx_get_limits(ctx, &got);
    assert_memory_equal(&got, &l, sizeof l);
    assert_int_equal(npg_ctx_set_limits(ctx, &l), NPG_OK);
    npg_ctx_free(ctx);
}

static void test_set_limits_validation(void **state)
{
    (void)state;
    npg_ctx *ctx = npg_ctx_new(NULL);
    assert_non_null(ctx);
    npg_limits good = defaults();
    good.max_ops = 12345; /* recognisable: refused calls must leave it in place */
    assert_int_equal(npg_ctx_set_limits(ctx, &good), NPG_OK);

    npg_limits l = good;
    l.size = sizeof l - 1;
    assert_int_equal(npg_ctx_set_limits(ctx, &l), NPG_E_INVALID);
    l.size = sizeof l + 8;
    assert_int_equal(npg_ctx_set_limits(ctx, &l), NPG_E_INVALID);
    l.size = 0;
    assert_int_equal(npg_ctx_set_limits(ctx, &l), NPG_E_INVALID);

    for (size_t i = 0; i < NFIELDS; i++) {
        l = good;
        memset((char *)&l + fields[i].off, 0, fields[i].width);
        if (npg_ctx_set_limits(ctx, &l) != NPG_E_INVALID) fail_msg("%s = 0 accepted", fields[i].name);
    }
    l = good;
    l.max_ndim = NPG_MAX_NDIM + 1;
    assert_int_equal(npg_ctx_set_limits(ctx, &l), NPG_E_INVALID);
    l.max_ndim = SIZE_MAX;
    assert_int_equal(npg_ctx_set_limits(ctx, &l), NPG_E_INVALID);

    npg_limits now;
    npg_ctx_get_limits(ctx, &now);
    assert_memory_equal(&now, &good, sizeof good);

    l = good;
    l.max_ndim = NPG_MAX_NDIM; /* the ceiling itself is allowed */
    assert_int_equal(npg_ctx_set_limits(ctx, &l), NPG_OK);
    npg_ctx_get_limits(ctx, &now);
    assert_int_equal(now.max_ndim, NPG_MAX_NDIM);
    l.max_ndim = 1;
    assert_int_equal(npg_ctx_set_limits(ctx, &l), NPG_OK);
    npg_ctx_free(ctx);
}

/* ------------------------------------------------------------------ one test per limit */

static void test_max_input(void **state)
{
    (void)state;
    npg_limits l = defaults();
    l.max_input = 2;
    ACCEPT("N.", &l);
    l.max_input = 1;
    REFUSE("N.", &l, NPG_E_LIMIT_INPUT, 0);
    /* checked before anything is read: even an invalid opcode is not reached */
    REFUSE("\xff\xff", &l, NPG_E_LIMIT_INPUT, 0);
}

static void test_max_ops(void **state)
{
    (void)state;
    npg_limits l = defaults();
    l.max_ops = 4;
    ACCEPT("NN\x86.", &l); /* 4 opcodes */
    outcome o = load(LIT("NN\x86."), 0, &l);
    assert_true(o.ops == 4);
    l.max_ops = 3;
    REFUSE("NN\x86.", &l, NPG_E_LIMIT_OPS, 3);

    /* hashing and comparing keys costs operations too (keys.c): two equal keys built as DAGs
     * of shared tuples, (x, x) nested 30 times, would take 2**30 steps to compare path by path;
     * pairs proved equal are united, so it takes ~ a few steps per level and finds the duplicate
     * even under a small operation budget */
    enum { LEVELS = 30 };
    uint8_t p[1 + 2 * (1 + 2 * LEVELS + 1) + 2];
    size_t n = 0;
    p[n++] = '(';
    for (int k = 0; k < 2; k++) {
        p[n++] = 'N';
        for (int i = 0; i < LEVELS; i++) {
            p[n++] = '2';    /* DUP */
            p[n++] = 0x86;   /* TUPLE2 */
        }
        p[n++] = 'N'; /* the value */
    }
    size_t dict_at = n;
    p[n++] = 'd';
    p[n++] = '.';
    assert_int_equal(n, sizeof p);
    l.max_ops = 1000;
    REFUSE_B(p, n, &l, NPG_E_DUPLICATE_KEY, dict_at);
    l.max_ops = 130; /* 128 opcodes + the hash of the first key: the comparison no longer fits */
    REFUSE_B(p, n, &l, NPG_E_LIMIT_OPS, dict_at);
    l.max_ops = 1000000;
    /* the same with 3 levels: compared in full, and found equal */
    uint8_t q[1 + 2 * (1 + 2 * 3 + 1) + 2];
    n = 0;
    q[n++] = '(';
    for (int k = 0; k < 2; k++) {
        q[n++] = 'N';
        for (int i = 0; i < 3; i++) {
            q[n++] = '2';
            q[n++] = 0x86;
        }
        q[n++] = 'N';
    }
    dict_at = n;
    q[n++] = 'd';
    q[n++] = '.';
    REFUSE_B(q, n, &l, NPG_E_DUPLICATE_KEY, dict_at);
}

static void test_max_stack(void **state)
{
    (void)state;
    npg_limits l = defaults();
    l.max_stack = 2;
    ACCEPT("NN\x86.", &l);
    ACCEPT("(NN\x86t.", &l); /* a MARK is not a stack value */
    l.max_stack = 1;
    REFUSE("NN\x86.", &l, NPG_E_LIMIT_STACK, 1);
    /* beyond the first allocation of the stack (64 slots) */
    uint8_t p[200 + 2];
    size_t n = 0;
    p[n++] = '(';
    for (int i = 0; i < 200; i++) p[n++] = 'N';
    p[n++] = 't';
    l.max_stack = 200;
    uint8_t *q = malloc(n + 1);
    assert_non_null(q);
    memcpy(q, p, n);
    q[n] = '.';
    ACCEPT_B(q, n + 1, &l);
    l.max_stack = 199;
    REFUSE_B(q, n + 1, &l, NPG_E_LIMIT_STACK, 200); /* the 200th NONE is at offset 200 */
    free(q);
}

static void test_max_marks(void **state)
{
    (void)state;
    npg_limits l = defaults();
    l.max_marks = 2;
    ACCEPT("((tt.", &l);
    ACCEPT("(t(t(t\x87.", &l); /* MARKs closed again do not count */
    l.max_marks = 1;
    REFUSE("((tt.", &l, NPG_E_LIMIT_MARKS, 1);
    /* beyond the first allocation of the mark stack (16) */
    uint8_t p[40 + 40 + 1];
    size_t n = 0;
    for (int i = 0; i < 40; i++) p[n++] = '(';
    for (int i = 0; i < 40; i++) p[n++] = 't';
    p[n++] = '.';
    l.max_marks = 40;
    ACCEPT_B(p, n, &l);
    l.max_marks = 39;
    REFUSE_B(p, n, &l, NPG_E_LIMIT_MARKS, 39);
}

static void test_max_memo(void **state)
{
    (void)state;
    npg_limits l = defaults();
    l.max_memo = 5;
    ACCEPT("Nq\x04.", &l);          /* largest index: max_memo - 1 */
    REFUSE("Nq\x05.", &l, NPG_E_LIMIT_MEMO, 1);
    ACCEPT("Np4\n.", &l);
    REFUSE("Np5\n.", &l, NPG_E_LIMIT_MEMO, 1);
    ACCEPT("Nr\x04\x00\x00\x00.", &l);
    REFUSE("Nr\x05\x00\x00\x00.", &l, NPG_E_LIMIT_MEMO, 1);
    /* MEMOIZE uses the next index: 5 entries fit, the 6th does not */
    ACCEPT("N\x94\x94\x94\x94\x94.", &l);
    REFUSE("N\x94\x94\x94\x94\x94\x94.", &l, NPG_E_LIMIT_MEMO, 6);
    /* re-PUT of an existing index does not add an entry */
    ACCEPT("Nq\x00q\x00q\x00q\x00q\x00q\x00\x94\x94\x94\x94.", &l);
    /* a text index beyond 2**32 - 1 with the default limit */
    l = defaults();
    REFUSE("Np4294967296\n.", &l, NPG_E_LIMIT_MEMO, 1);
    REFUSE("Np99999999999999999999999\n.", &l, NPG_E_LIMIT_MEMO, 1);
    /* 100 entries (memo growth) */
    uint8_t p[1 + 2 * 100 + 1];
    size_t n = 0;
    p[n++] = 'N';
    for (int i = 0; i < 100; i++) {
        p[n++] = 'q';
        p[n++] = (uint8_t)(i + 100);
    }
    p[n++] = '.';
    l.max_memo = 200;
    ACCEPT_B(p, n, &l);
    l.max_memo = 199;
    REFUSE_B(p, n, &l, NPG_E_LIMIT_MEMO, 1 + 2 * 99);
}

static void test_max_depth(void **state)
{
    (void)state;
    npg_limits l = defaults();
    l.max_depth = 3;
    ACCEPT(")\x85\x85.", &l);                       /* ((),) in a tuple: depth 3 */
    l.max_depth = 2;
    REFUSE(")\x85\x85.", &l, NPG_E_LIMIT_DEPTH, 2);
    ACCEPT("]]a.", &l);
    REFUSE("]]]aa.", &l, NPG_E_LIMIT_DEPTH, 4);     /* 0 ] 1 ] 2 ] 3 APPEND 4 APPEND */
    ACCEPT("}N}s.", &l);
    REFUSE("}N}N}ss.", &l, NPG_E_LIMIT_DEPTH, 6);   /* 0 } 1 N 2 } 3 N 4 } 5 SETITEM 6 SETITEM */
    REFUSE("}(N)\x85u.", &l, NPG_E_LIMIT_DEPTH, 5); /* {None: ((),)} */
    l.max_depth = 1;
    ACCEPT("(\x91.", &l);
    REFUSE("((\x91\x91.", &l, NPG_E_LIMIT_DEPTH, 3);
    ACCEPT("N.", &l);
    /* deep nesting well past any recursion (depth 5000 with the default 10000) */
    enum { DEEP = 5000 };
    uint8_t *p = malloc(1 + DEEP + 1);
    assert_non_null(p);
    p[0] = ')';
    memset(p + 1, 0x85, DEEP);
    p[1 + DEEP] = '.';
    l = defaults();
    ACCEPT_B(p, DEEP + 2, &l);
    l.max_depth = DEEP + 1;
    ACCEPT_B(p, DEEP + 2, &l);
    l.max_depth = DEEP;
    REFUSE_B(p, DEEP + 2, &l, NPG_E_LIMIT_DEPTH, DEEP);
    free(p);
}

static void test_max_container_len(void **state)
{
    (void)state;
    npg_limits l = defaults();
    l.max_container_len = 3;
    ACCEPT("(NNNt.", &l);
    ACCEPT("(NNNl.", &l);
    ACCEPT("NNN\x87.", &l);
    l.max_container_len = 2;
    REFUSE("(NNNt.", &l, NPG_E_LIMIT_CONTAINER, 4);
    REFUSE("(NNNl.", &l, NPG_E_LIMIT_CONTAINER, 4);
    REFUSE("NNN\x87.", &l, NPG_E_LIMIT_CONTAINER, 3);
    REFUSE("](NNNe.", &l, NPG_E_LIMIT_CONTAINER, 5);
    REFUSE("]NaNaNa.", &l, NPG_E_LIMIT_CONTAINER, 6);
    ACCEPT("(NNK\x01N" "d.", &l);
    REFUSE("(NNK\x01NK\x02N" "d.", &l, NPG_E_LIMIT_CONTAINER, 9);
    REFUSE("}(NNK\x01NK\x02Nu.", &l, NPG_E_LIMIT_CONTAINER, 10);
    REFUSE("}NNsK\x01NsK\x02Ns.", &l, NPG_E_LIMIT_CONTAINER, 11);
    ACCEPT("(NK\x01\x91.", &l);
    REFUSE("(NK\x01K\x02\x91.", &l, NPG_E_LIMIT_CONTAINER, 6);
    REFUSE("\x8f(NK\x01K\x02\x90.", &l, NPG_E_LIMIT_CONTAINER, 7);
}

static void test_max_alloc(void **state)
{
    (void)state;
    /* npg_doc_alloc_bytes reports the peak the limit was checked against: that peak is
     * accepted, one byte less is not */
    npg_limits l = defaults();
    outcome o = load(LIT("(K\x01K\x02l."), 0, &l);
    assert_int_equal(o.rc, NPG_OK);
    uint64_t peak = o.alloc_bytes;
    assert_true(peak > 0);
    assert_true(peak < 1024 * 1024); /* a 7-byte pickle */
    l.max_alloc = peak;
    ACCEPT("(K\x01K\x02l.", &l);
    l.max_alloc = peak - 1;
    o = load(LIT("(K\x01K\x02l."), 0, &l);
    assert_int_equal(o.rc, NPG_E_LIMIT_ALLOC);
    assert_int_equal(o.err.code, NPG_E_LIMIT_ALLOC);
    assert_true(o.err.offset < 7);

    /* UNICODE decodes into scratch memory of twice its length: 300000 characters fit in
     * 1 MiB, 600000 do not */
    enum { SHORT = 300000, LONG = 600000 };
    uint8_t *p = malloc(1 + LONG + 2);
    assert_non_null(p);
    p[0] = 'V';
    memset(p + 1, 'a', LONG);
    l = defaults();
    l.max_alloc = 1024 * 1024;
    p[1 + SHORT] = '\n';
    p[2 + SHORT] = '.';
    ACCEPT_B(p, SHORT + 3, &l);
    p[1 + SHORT] = 'a';
    p[1 + LONG] = '\n';
    p[2 + LONG] = '.';
    REFUSE_B(p, LONG + 3, &l, NPG_E_LIMIT_ALLOC, 0);
    free(p);
}

static void test_max_int_digits(void **state)
{
    (void)state;
    npg_limits l = defaults();
    l.max_int_digits = 5;
    ACCEPT("I12345\n.", &l);
    ACCEPT("I-12345\n.", &l); /* the sign is not a digit */
    REFUSE("I123456\n.", &l, NPG_E_LIMIT_DIGITS, 0);
    REFUSE("I-123456\n.", &l, NPG_E_LIMIT_DIGITS, 0);
    ACCEPT("L12345L\n.", &l);
    ACCEPT("L-12345\n.", &l);
    REFUSE("L123456L\n.", &l, NPG_E_LIMIT_DIGITS, 0);
    REFUSE("N0L-123456\n.", &l, NPG_E_LIMIT_DIGITS, 2);
    /* the default is CPython's int_max_str_digits: 4300 digits load, 4301 do not */
    l = defaults();
    uint8_t *p = malloc(1 + 4301 + 2);
    assert_non_null(p);
    p[0] = 'L';
    memset(p + 1, '7', 4301);
    p[1 + 4300] = '\n';
    p[2 + 4300] = '.';
    ACCEPT_B(p, 4300 + 3, &l);
    p[0] = 'I';
    ACCEPT_B(p, 4300 + 3, &l);
    p[1 + 4300] = '7';
    p[1 + 4301] = '\n';
    p[2 + 4301] = '.';
    REFUSE_B(p, 4301 + 3, &l, NPG_E_LIMIT_DIGITS, 0);
    p[0] = 'L';
    REFUSE_B(p, 4301 + 3, &l, NPG_E_LIMIT_DIGITS, 0);
    free(p);
}

static void test_max_long_bytes(void **state)
{
    (void)state;
    npg_limits l = defaults();
    l.max_long_bytes = 2;
    ACCEPT("\x8a\x02\x01\x02.", &l);
    REFUSE("\x8a\x03\x01\x02\x03.", &l, NPG_E_LIMIT_LONG, 0);
    ACCEPT("\x8b\x02\x00\x00\x00\x01\x02.", &l);
    REFUSE("\x8b\x03\x00\x00\x00\x01\x02\x03.", &l, NPG_E_LIMIT_LONG, 0);
    /* the limit is checked before the input length: a huge claim is named as a limit */
    REFUSE("\x8b\xff\xff\xff\x7f", &l, NPG_E_LIMIT_LONG, 0);
    /* the default, 64 KiB */
    l = defaults();
    uint8_t *p = calloc(1 + 4 + 65537 + 1, 1);
    assert_non_null(p);
    p[0] = 0x8b;
    memcpy(p + 1, "\x00\x00\x01\x00", 4); /* 65536 */
    p[5 + 65536] = '.';
    ACCEPT_B(p, 5 + 65536 + 1, &l);
    memcpy(p + 1, "\x01\x00\x01\x00", 4); /* 65537 */
    p[5 + 65536] = 0;
    p[5 + 65537] = '.';
    REFUSE_B(p, 5 + 65537 + 1, &l, NPG_E_LIMIT_LONG, 0);
    free(p);
}

static void test_max_array_bytes(void **state)
{
    (void)state;
    npg_limits l = defaults();
    l.max_array_bytes = 3;
    ACCEPT(P_FB_I1_3, &l);
    l.max_array_bytes = 2;
    REFUSE(P_FB_I1_3, &l, NPG_E_LIMIT_ARRAY, 117);
    l.max_array_bytes = 16;
    ACCEPT(P_F8_P3, &l);
    l.max_array_bytes = 15;
    REFUSE(P_F8_P3, &l, NPG_E_LIMIT_ARRAY, 167);
    /* a shape whose product overflows 64 bits, whatever the limit */
    l = defaults();
    REFUSE(P_FB_OVERFLOW, &l, NPG_E_LIMIT_ARRAY, 126);
    /* ... even when another dimension is 0: NumPy refuses this shape too ("array is too big") */
    l.max_array_bytes = 1;
    REFUSE(P_FB_ZERODIM, &l, NPG_E_LIMIT_ARRAY, 128);
}

/* _frombuffer(bytearray(b'a'), dtype('i1'), (1,) * ndim, 'C') */
static uint8_t *ndim_pickle(size_t ndim, size_t *len, size_t *reduce_at)
{
    /* P_FB_I1_3 up to the shape (byte 107), the shape, then 'C', TUPLE, REDUCE, STOP;
     * with the bytearray shortened to 1 byte */
    static const char head[] = "cnumpy.core.numeric\n_frombuffer\n" "("
                               "\x96\x01\x00\x00\x00\x00\x00\x00\x00" "a";
    const size_t dt_from = 45, dt_to = 107; /* the dtype part of P_FB_I1_3 */
    size_t n = sizeof head - 1 + (dt_to - dt_from) + 1 + 2 * ndim + 1 + 6 + 3;
    uint8_t *p = malloc(n);
    assert_non_null(p);
    size_t k = 0;
    memcpy(p, head, sizeof head - 1);
    k += sizeof head - 1;
    memcpy(p + k, P_FB_I1_3 + dt_from, dt_to - dt_from);
    k += dt_to - dt_from;
    p[k++] = '(';
    for (size_t i = 0; i < ndim; i++) {
        p[k++] = 'K';
        p[k++] = 1;
    }
    p[k++] = 't';
    memcpy(p + k, "X\x01\x00\x00\x00" "C", 6);
    k += 6;
    p[k++] = 't';
    *reduce_at = k;
    p[k++] = 'R';
    p[k++] = '.';
    assert_int_equal(k, n);
    *len = k;
    return p;
}

static void test_max_ndim(void **state)
{
    (void)state;
    npg_limits l = defaults();
    l.max_ndim = 3;
    ACCEPT(P_FB_I1_111, &l);
    ACCEPT(P_DTYPE_SUB3_P2, &l); /* a subarray dtype of 3 dimensions */
    l.max_ndim = 2;
    REFUSE(P_FB_I1_111, &l, NPG_E_LIMIT_NDIM, 119);
    REFUSE(P_DTYPE_SUB3_P2, &l, NPG_E_LIMIT_NDIM, 111);

    size_t n, r;
    uint8_t *p = ndim_pickle(32, &n, &r);
    l = defaults(); /* 32, NumPy 1.x's NPY_MAXDIMS */
    ACCEPT_B(p, n, &l);
    free(p);
    p = ndim_pickle(33, &n, &r);
    REFUSE_B(p, n, &l, NPG_E_LIMIT_NDIM, r);
    l.max_ndim = NPG_MAX_NDIM;
    ACCEPT_B(p, n, &l);
    free(p);
    p = ndim_pickle(NPG_MAX_NDIM, &n, &r);
    ACCEPT_B(p, n, &l);
    free(p);
    p = ndim_pickle(NPG_MAX_NDIM + 1, &n, &r);
    REFUSE_B(p, n, &l, NPG_E_LIMIT_NDIM, r);
    free(p);
}

static void test_max_string_len(void **state)
{
    (void)state;
    npg_limits l = defaults();
    l.max_string_len = 3;
    ACCEPT("C\x03" "abc.", &l);
    ACCEPT("B\x03\x00\x00\x00" "abc.", &l);
    ACCEPT("\x8e\x03\x00\x00\x00\x00\x00\x00\x00" "abc.", &l);
    ACCEPT("\x96\x03\x00\x00\x00\x00\x00\x00\x00" "abc.", &l);
    ACCEPT("\x8c\x03" "abc.", &l);
    ACCEPT("X\x03\x00\x00\x00" "abc.", &l);
    ACCEPT("\x8d\x03\x00\x00\x00\x00\x00\x00\x00" "abc.", &l);
    ACCEPT("U\x03" "abc.", &l);
    ACCEPT("T\x03\x00\x00\x00" "abc.", &l);
    ACCEPT("Vabc\n.", &l);
    l.max_string_len = 2;
    REFUSE("C\x03" "abc.", &l, NPG_E_LIMIT_STRING, 0);
    REFUSE("B\x03\x00\x00\x00" "abc.", &l, NPG_E_LIMIT_STRING, 0);
    REFUSE("\x8e\x03\x00\x00\x00\x00\x00\x00\x00" "abc.", &l, NPG_E_LIMIT_STRING, 0);
    REFUSE("\x96\x03\x00\x00\x00\x00\x00\x00\x00" "abc.", &l, NPG_E_LIMIT_STRING, 0);
    REFUSE("\x8c\x03" "abc.", &l, NPG_E_LIMIT_STRING, 0);
    REFUSE("X\x03\x00\x00\x00" "abc.", &l, NPG_E_LIMIT_STRING, 0);
    REFUSE("\x8d\x03\x00\x00\x00\x00\x00\x00\x00" "abc.", &l, NPG_E_LIMIT_STRING, 0);
    REFUSE("U\x03" "abc.", &l, NPG_E_LIMIT_STRING, 0);
    REFUSE("T\x03\x00\x00\x00" "abc.", &l, NPG_E_LIMIT_STRING, 0);
    /* the limit is checked before the input length: a huge claim is named as a limit */
    REFUSE("\x8e\x00\x00\x00\x00\x00\x00\x00\x40", &l, NPG_E_LIMIT_STRING, 0);
}

/* The protocol-0 text forms of str and Python-2 str are str arguments too
 * ("max_string_len: bytes of one str/bytes/bytearray argument"). */
static void test_max_string_len_text(void **state)
{
    (void)state;
    npg_limits l = defaults();
    l.max_string_len = 6;
    ACCEPT("S'abcd'\n.", &l); /* 6 argument bytes, 4 value bytes: fits either way */
    l.max_string_len = 3;
    ACCEPT("Vabc\n.", &l);
    REFUSE("Vabcd\n.", &l, NPG_E_LIMIT_STRING, 0);
    REFUSE("S'abcd'\n.", &l, NPG_E_LIMIT_STRING, 0);
}

static void test_max_fields(void **state)
{
    (void)state;
    npg_limits l = defaults();
    l.max_fields = 2;
    ACCEPT(P_DTYPE_STRUCT2_P2, &l);
    l.max_fields = 1;
    REFUSE(P_DTYPE_STRUCT2_P2, &l, NPG_E_LIMIT_FIELDS, 186);
    /* counted over all nesting levels: ('a': ('x', 'y'), 'b') has 4 */
    l.max_fields = 4;
    ACCEPT(P_DTYPE_NESTED_P2, &l);
    l.max_fields = 3;
    REFUSE(P_DTYPE_NESTED_P2, &l, NPG_E_LIMIT_FIELDS, 213); /* the outer BUILD */
    l.max_fields = 1;
    REFUSE(P_DTYPE_NESTED_P2, &l, NPG_E_LIMIT_FIELDS, 188); /* the inner BUILD */
}

static void test_max_findings(void **state)
{
    (void)state;
    npg_limits l = defaults();
    static const char p[] = "\x82\x01"  /* 0 EXT1 */
                            "\x82\x02"  /* 2 EXT1 */
                            "\x82\x03"  /* 4 EXT1 */
                            "\x87.";    /* 6 TUPLE3 */
    l.max_findings = 3;
    outcome o = load(LIT(p), NPG_SCAN, &l);
    assert_int_equal(o.rc, NPG_OK);
    assert_int_equal(o.nfindings, 3);
    assert_int_equal(o.total_findings, 3);
    /* beyond the limit findings are counted, not kept, and the scan goes on */
    l.max_findings = 2;
    npg_ctx *ctx = npg_ctx_new(NULL);
    assert_non_null(ctx);
    assert_int_equal(npg_ctx_set_limits(ctx, &l), NPG_OK);
    npg_pickle_opts opts = {NPG_SCAN, NULL, 0};
    npg_doc *doc = NULL;
    assert_int_equal(npg_pickle_load(ctx, LIT(p), &opts, &doc, NULL), NPG_OK);
    size_t count = 0, total = 0;
    const npg_finding *f = npg_doc_findings(doc, &count, &total);
    assert_int_equal(count, 2);
    assert_int_equal(total, 3);
    assert_true(f[0].offset == 0 && f[1].offset == 2);
    assert_int_equal(npg_value_kind(npg_doc_root(doc)), NPG_TUPLE);
    npg_doc_free(doc);
    l.max_findings = 1;
    assert_int_equal(npg_ctx_set_limits(ctx, &l), NPG_OK);
    assert_int_equal(npg_pickle_load(ctx, LIT(p), &opts, &doc, NULL), NPG_OK);
    f = npg_doc_findings(doc, &count, &total);
    assert_int_equal(count, 1);
    assert_int_equal(total, 3);
    npg_doc_free(doc);
    npg_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_field_table),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_set_limits_validation),
        cmocka_unit_test(test_max_input),
        cmocka_unit_test(test_max_ops),
        cmocka_unit_test(test_max_stack),
        cmocka_unit_test(test_max_marks),
        cmocka_unit_test(test_max_memo),
        cmocka_unit_test(test_max_depth),
        cmocka_unit_test(test_max_container_len),
        cmocka_unit_test(test_max_alloc),
        cmocka_unit_test(test_max_int_digits),
        cmocka_unit_test(test_max_long_bytes),
        cmocka_unit_test(test_max_array_bytes),
        cmocka_unit_test(test_max_ndim),
        cmocka_unit_test(test_max_string_len),
        cmocka_unit_test(test_max_string_len_text),
        cmocka_unit_test(test_max_fields),
        cmocka_unit_test(test_max_findings),
    };
    return cmocka_run_group_tests_name("limits", tests, NULL, NULL);
}
