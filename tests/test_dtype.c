/* Dtype reconstruction (npg__dtype_from_typestr + npg__dtype_setstate), validation, dtype.str
 * and descr, and the public dtype accessors.
 *
 * States are built by hand as VM value nodes. Expected values (str, itemsize, alignment,
 * offsets, descr) come from real NumPy: CPython 3.11.2 + NumPy 1.24.2 (Debian /usr/bin/python3)
 * on x86-64, printing for each dtype d: d.str, d.itemsize, d.alignment, d.__reduce__() (which is
 * where the state tuples below come from) and repr(numpy.lib.format.dtype_to_descr(d)). */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dtype/dtype.h"
#include "pickle/dtype_state.h"
#include "pickle/value.h"

/* ------------------------------------------------------------------ fixture */

typedef struct fixture {
    npg_mem mem;
    npg_arena arena;
    npg_limits lim;
    npg_diag diag;
} fixture;

static fixture *F;

static void limits_for_tests(npg_limits *l)
{
    memset(l, 0, sizeof *l);
    l->size = sizeof *l;
    l->max_depth = 10000;
    l->max_ndim = 32;
    l->max_fields = 4096;
}

static int setup(void **state)
{
    F = calloc(1, sizeof *F);
    if (!F) return -1;
    npg__mem_init(&F->mem, NULL, (uint64_t)1 << 30);
    npg__arena_init(&F->arena, &F->mem);
    limits_for_tests(&F->lim);
    *state = F;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    npg__arena_release(&F->arena);
    assert_int_equal(F->mem.used, 0); /* temporary sort buffers were all returned */
    free(F);
    F = NULL;
    return 0;
}

/* ------------------------------------------------------------------ value nodes */

static npg_value *node(uint8_t kind)
{
    npg_value *v = npg__arena_zalloc(&F->arena, sizeof *v);
    assert_non_null(v);
    v->kind = kind;
    v->depth = 1;
    return v;
}

static npg_value *v_none(void) { return node(NPG_NONE); }

static npg_value *v_int(int64_t i)
{
    npg_value *v = node(NPG_INT);
    v->u.i = i;
    return v;
}

static npg_value *v_bool(bool b)
{
    npg_value *v = node(NPG_BOOL);
    v->u.b = b;
    return v;
}

static npg_value *v_textn(uint8_t kind, const char *s, size_t n)
{
    npg_value *v = node(kind);
    v->u.s.p = (const uint8_t *)s;
    v->u.s.n = n;
    return v;
}

static npg_value *v_str(const char *s) { return v_textn(NPG_STR, s, strlen(s)); }
static npg_value *v_py2(const char *s) { return v_textn(NPG_K_PY2STR, s, strlen(s)); }
static npg_value *v_bytes(const char *s) { return v_textn(NPG_BYTES, s, strlen(s)); }

static npg_value *v_seq(uint8_t kind, size_t slots, va_list ap)
{
    npg_value *v = node(kind);
    npg_value **items = npg__arena_alloc(&F->arena, (slots ? slots : 1) * sizeof *items);
    assert_non_null(items);
    for (size_t i = 0; i < slots; i++) items[i] = va_arg(ap, npg_value *);
    NPG_SEQ(v).items = items;
    NPG_SEQ(v).cap = slots;
    return v;
}

static npg_value *v_tuple(size_t n, ...)
{
    va_list ap;
    va_start(ap, n);
    npg_value *v = v_seq(NPG_TUPLE, n, ap);
    va_end(ap);
    NPG_SEQ(v).n = n;
    return v;
}

/* n entries given as key, value, key, value, ... */
static npg_value *v_dict(size_t n, ...)
{
    va_list ap;
    va_start(ap, n);
    npg_value *v = v_seq(NPG_DICT, 2 * n, ap);
    va_end(ap);
    NPG_SEQ(v).n = n;
    return v;
}

static npg_value *v_dtype(const npg_dtype *dt)
{
    npg_value *v = node(NPG_DTYPE);
    v->u.dt = dt;
    return v;
}

/* ------------------------------------------------------------------ building dtypes */

/* numpy.dtype(typestr).__setstate__(state) as the VM runs it; returns the status. */
static int build(npg_value *typestr, npg_value *state, const npg_dtype **out)
{
    npg_dtype *dt = NULL;
    memset(&F->diag, 0, sizeof F->diag);
    int rc = npg__dtype_from_typestr(&F->arena, typestr, false, &dt, &F->diag);
    if (rc) return rc;
    assert_non_null(dt);
    rc = npg__dtype_setstate(&F->arena, &F->lim, dt, state, &F->diag);
    if (rc == NPG_OK && out) *out = dt;
    return rc;
}

static int build_s(const char *typestr, npg_value *state) { return build(v_str(typestr), state, NULL); }

static const npg_dtype *mk(const char *typestr, npg_value *state)
{
    const npg_dtype *dt = NULL;
    int rc = build(v_str(typestr), state, &dt);
    if (rc != NPG_OK) fail_msg("building %s: %d %s", typestr, rc, F->diag.msg);
    return dt;
}

/* (3, endian, None, None, None, elsize, alignment, flags): what NumPy writes for plain dtypes */
static npg_value *st_plain(const char *endian, int64_t elsize, int64_t align, int64_t flags)
{
    return v_tuple(8, v_int(3), v_str(endian), v_none(), v_none(), v_none(), v_int(elsize), v_int(align),
                   v_int(flags));
}

static npg_value *st_struct(npg_value *names, npg_value *fields, int64_t elsize, int64_t align, int64_t flags)
{
    return v_tuple(8, v_int(3), v_str("|"), v_none(), names, fields, v_int(elsize), v_int(align), v_int(flags));
}

/* A subarray's flags are its base's (NumPy copies them): 63 for objects, 0 for numbers */
static npg_value *st_sub(const npg_dtype *base, npg_value *shape, int64_t elsize, int64_t align)
{
    return v_tuple(8, v_int(3), v_str("|"), v_tuple(2, v_dtype(base), shape), v_none(), v_none(), v_int(elsize),
                   v_int(align), v_int(npg_dtype_has_object(base) ? 63 : 0));
}

/* (4, endian, None, None, None, -1, -1, 0, ({}, (b'unit', num, 1, 1))) */
static npg_value *st_datetime(const char *endian, const char *unit, int64_t num)
{
    npg_value *meta = v_tuple(2, v_dict(0), v_tuple(4, v_bytes(unit), v_int(num), v_int(1), v_int(1)));
    return v_tuple(9, v_int(4), v_str(endian), v_none(), v_none(), v_none(), v_int(-1), v_int(-1), v_int(0), meta);
}

static const npg_dtype *mk_num(const char *typestr, const char *endian)
{
    return mk(typestr, st_plain(endian, -1, -1, 0));
}

static npg_value *fld(const npg_dtype *dt, int64_t offset) { return v_tuple(2, v_dtype(dt), v_int(offset)); }

static npg_value *fld_title(const npg_dtype *dt, int64_t offset, const char *title)
{
    return v_tuple(3, v_dtype(dt), v_int(offset), v_str(title));
}

/* A struct whose names tuple and fields dict hold n fields (no titles). */
static npg_value *names_of(size_t n, const char *const *names)
{
    npg_value *t = v_tuple(0);
    NPG_SEQ(t).items = npg__arena_alloc(&F->arena, (n ? n : 1) * sizeof(npg_value *));
    for (size_t i = 0; i < n; i++) NPG_SEQ(t).items[i] = v_str(names[i]);
    NPG_SEQ(t).n = n;
    return t;
}

static npg_value *fields_of(size_t n, const char *const *names, const npg_dtype *const *dts,
                            const int64_t *offsets)
{
    npg_value *d = v_dict(0);
    NPG_SEQ(d).items = npg__arena_alloc(&F->arena, (n ? 2 * n : 1) * sizeof(npg_value *));
    for (size_t i = 0; i < n; i++) {
        NPG_SEQ(d).items[2 * i] = v_str(names[i]);
        NPG_SEQ(d).items[2 * i + 1] = fld(dts[i], offsets[i]);
    }
    NPG_SEQ(d).n = n;
    return d;
}

static const npg_dtype *mk_struct(uint64_t elsize, int64_t align, int64_t flags, size_t n,
                                  const char *const *names, const npg_dtype *const *dts,
                                  const int64_t *offsets)
{
    char typestr[32];
    snprintf(typestr, sizeof typestr, "V%llu", (unsigned long long)elsize);
    return mk(typestr, st_struct(names_of(n, names), fields_of(n, names, dts, offsets), (int64_t)elsize,
                                 align, flags));
}

static void assert_str(const npg_dtype *dt, const char *expect)
{
    char buf[NPG_DTYPE_STR_CAP];
    size_t n = npg_dtype_str(dt, buf, sizeof buf);
    assert_string_equal(buf, expect);
    assert_int_equal(n, strlen(expect));
}

static void assert_descr(const npg_dtype *dt, const char *expect)
{
    size_t need = npg__dtype_descr(dt, NULL, 0);
    assert_int_equal(need, strlen(expect));
    char *buf = malloc(need + 1);
    assert_non_null(buf);
    assert_int_equal(npg__dtype_descr(dt, buf, need + 1), need);
    assert_string_equal(buf, expect);
    free(buf);
}

static void assert_refused(int rc, int code, const char *msg_part)
{
    if (rc != code) fail_msg("expected %d, got %d (%s)", code, rc, F->diag.msg);
    assert_int_equal(F->diag.code, code);
    if (msg_part && !strstr(F->diag.msg, msg_part))
        fail_msg("message '%s' lacks '%s'", F->diag.msg, msg_part);
}

/* ------------------------------------------------------------------ plain dtypes */

typedef struct plain_case {
    const char *typestr, *endian;
    int64_t elsize, align, flags; /* the state NumPy writes */
    const char *str;
    size_t itemsize, alignment;
} plain_case;

/* d = numpy.dtype(spelling); d.__reduce__() gave typestr and state; d.str, d.itemsize,
 * d.alignment the rest. f12/c24/O4 are the i386 forms (long double: 12 bytes aligned to 4). */
static const plain_case plain_cases[] = {
    {"b1", "|", -1, -1, 0, "|b1", 1, 1},      {"i1", "|", -1, -1, 0, "|i1", 1, 1},
    {"u1", "|", -1, -1, 0, "|u1", 1, 1},      {"i2", "<", -1, -1, 0, "<i2", 2, 2},
    {"u8", "<", -1, -1, 0, "<u8", 8, 8},      {"i4", ">", -1, -1, 0, ">i4", 4, 4},
    {"f2", "<", -1, -1, 0, "<f2", 2, 2},      {"f4", "<", -1, -1, 0, "<f4", 4, 4},
    {"f8", "<", -1, -1, 0, "<f8", 8, 8},      {"f16", "<", -1, -1, 0, "<f16", 16, 16},
    {"c8", "<", -1, -1, 0, "<c8", 8, 4},      {"c16", "<", -1, -1, 0, "<c16", 16, 8},
    {"c32", "<", -1, -1, 0, "<c32", 32, 16},  {"O8", "|", -1, -1, 63, "|O", 8, 8},
    {"S3", "|", 3, 1, 0, "|S3", 3, 1},        {"S0", "|", 0, 1, 0, "|S0", 0, 1},
    {"U5", "<", 20, 4, 8, "<U5", 20, 4},      {"U0", "<", 0, 4, 8, "<U0", 0, 4},
    {"V12", "|", 12, 1, 0, "|V12", 12, 1},    {"V0", "|", 0, 1, 0, "|V0", 0, 1},
    {"f12", "<", -1, -1, 0, "<f12", 12, 4},   {"c24", "<", -1, -1, 0, "<c24", 24, 4},
    {"O4", "|", -1, -1, 63, "|O", 4, 4},      {"i4", "=", -1, -1, 0, "<i4", 4, 4},
};

static void test_plain_dtypes(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof plain_cases / sizeof plain_cases[0]; i++) {
        const plain_case *c = &plain_cases[i];
        const npg_dtype *dt = mk(c->typestr, st_plain(c->endian, c->elsize, c->align, c->flags));
        assert_str(dt, c->str);
        assert_int_equal(npg_dtype_itemsize(dt), c->itemsize);
        assert_int_equal(npg_dtype_alignment(dt), c->alignment);
        assert_int_equal(npg_dtype_kind(dt), c->typestr[0]);
        assert_int_equal(npg_dtype_byteorder(dt), c->str[0]);
        assert_int_equal(npg_dtype_has_object(dt), c->typestr[0] == 'O');
        assert_false(npg_dtype_is_aligned_struct(dt));
        assert_false(npg_dtype_is_record(dt));
        assert_int_equal(npg_dtype_nfields(dt), 0);
        assert_null(npg_dtype_subarray(dt, NULL, NULL));
        assert_null(npg_dtype_datetime_unit(dt, NULL));
        assert_int_equal(dt->depth, 1);
        assert_int_equal(dt->total_fields, 0);
    }
}

/* Python 2 pickles: typestr, byte order and names are py2str; NumPy 3.x-era pickles may carry
 * bytes. (py2_f8_p2.pkl, py2_struct_p0.pkl) */
static void test_typestr_spellings(void **state)
{
    (void)state;
    const npg_dtype *dt = NULL;
    npg_value *st = v_tuple(8, v_int(3), v_py2("<"), v_none(), v_none(), v_none(), v_int(-1), v_int(-1), v_int(0));
    assert_int_equal(build(v_py2("f8"), st, &dt), NPG_OK);
    assert_str(dt, "<f8");
    st = v_tuple(8, v_int(3), v_bytes(">"), v_none(), v_none(), v_none(), v_int(-1), v_int(-1), v_int(0));
    assert_int_equal(build(v_bytes("f8"), st, &dt), NPG_OK);
    assert_str(dt, ">f8");
    /* a bool reads as an int (True == 1), as in Python: not version 3 */
    st = v_tuple(8, v_bool(true), v_str("<"), v_none(), v_none(), v_none(), v_int(-1), v_int(-1), v_int(0));
    assert_refused(build(v_str("f8"), st, NULL), NPG_E_DTYPE, "version");
}

static void test_typestr_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {"",    "f",   "f3",  "i3",  "u16", "b2",     "c4",  "O2",   "M4",
                                      "m16", "x8",  "S",   "S01", "V-1", "U 5",    "f08", "M8[ns]", "<f8",
                                      "S99999999999999999999", "U4611686018427387904", "V9223372036854775808"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        npg_dtype *dt = (npg_dtype *)1;
        memset(&F->diag, 0, sizeof F->diag);
        int rc = npg__dtype_from_typestr(&F->arena, v_str(bad[i]), false, &dt, &F->diag);
        if (rc != NPG_E_DTYPE) fail_msg("typestr '%s' gave %d", bad[i], rc);
        assert_null(dt);
    }
    npg_dtype *dt;
    assert_int_equal(npg__dtype_from_typestr(&F->arena, v_int(8), false, &dt, &F->diag), NPG_E_DTYPE);
    assert_int_equal(npg__dtype_from_typestr(&F->arena, NULL, false, &dt, &F->diag), NPG_E_DTYPE);
    /* the largest sizes that still fit NumPy's npy_intp */
    assert_int_equal(npg__dtype_from_typestr(&F->arena, v_str("V9223372036854775807"), false, &dt, &F->diag),
                     NPG_OK);
    assert_int_equal(npg__dtype_from_typestr(&F->arena, v_str("U2305843009213693951"), false, &dt, &F->diag),
                     NPG_OK);
}

/* ------------------------------------------------------------------ datetime */

static void test_datetime_units(void **state)
{
    (void)state;
    uint32_t mult = 0;
    /* numpy.dtype('M8[ns]').__reduce__() -> ('M8', ...), (4, '<', ..., ({}, (b'ns', 1, 1, 1))) */
    const npg_dtype *dt = mk("M8", st_datetime("<", "ns", 1));
    assert_str(dt, "<M8[ns]");
    assert_string_equal(npg_dtype_datetime_unit(dt, &mult), "ns");
    assert_int_equal(mult, 1);
    assert_int_equal(npg_dtype_alignment(dt), 8);
    /* numpy.dtype('m8[15m]'), dtype_dt64_15m */
    dt = mk("m8", st_datetime("<", "m", 15));
    assert_str(dt, "<m8[15m]");
    assert_string_equal(npg_dtype_datetime_unit(dt, &mult), "m");
    assert_int_equal(mult, 15);
    /* numpy.dtype('M8') -> (b'generic', 1, 1, 1); str '<M8' */
    dt = mk("M8", st_datetime("<", "generic", 1));
    assert_str(dt, "<M8");
    assert_string_equal(npg_dtype_datetime_unit(dt, NULL), "generic");
    dt = mk("m8", st_datetime(">", "D", 1));
    assert_str(dt, ">m8[D]");
    static const char *const units[] = {"Y", "M", "W", "D", "h", "m", "s", "ms", "us", "ns", "ps", "fs", "as"};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        char expect[32];
        snprintf(expect, sizeof expect, "<M8[7%s]", units[i]);
        assert_str(mk("M8", st_datetime("<", units[i], 7)), expect);
    }
}

static npg_value *st_dt_meta(npg_value *meta)
{
    return v_tuple(9, v_int(4), v_str("<"), v_none(), v_none(), v_none(), v_int(-1), v_int(-1), v_int(0), meta);
}

static void test_datetime_metadata_forms(void **state)
{
    (void)state;
    uint32_t mult;
    /* NumPy accepts (unit, num), (unit, num, x), (unit, num, den, events); unit as str, bytes, py2str;
     * the first item {} (NumPy <= 2.3) or None (NumPy >= 2.4) */
    npg_value *forms[] = {
        v_tuple(2, v_none(), v_tuple(2, v_bytes("us"), v_int(3))),
        v_tuple(2, v_dict(0), v_tuple(3, v_str("us"), v_int(3), v_int(1))),
        v_tuple(2, v_dict(1, v_str("k"), v_int(1)), v_tuple(4, v_py2("us"), v_int(3), v_int(1), v_int(1))),
    };
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        const npg_dtype *dt = mk("M8", st_dt_meta(forms[i]));
        assert_string_equal(npg_dtype_datetime_unit(dt, &mult), "us");
        assert_int_equal(mult, 3);
        assert_str(dt, "<M8[3us]");
    }
    /* NumPy 1.24 reads an 8-tuple, or None metadata, as the generic unit
     * (d = numpy.dtype('M8'); d.__setstate__((3, '<', None, None, None, -1, -1, 0)) -> dtype('<M8')) */
    const npg_dtype *dt = mk("M8", st_plain("<", -1, -1, 0));
    assert_string_equal(npg_dtype_datetime_unit(dt, &mult), "generic");
    assert_int_equal(mult, 1);
    assert_str(dt, "<M8");
    assert_str(mk("m8", st_dt_meta(v_none())), "<m8");
    /* py2 / 5-tuple form */
    assert_str(mk("M8", v_tuple(5, v_py2("<"), v_none(), v_none(), v_int(-1), v_int(-1))), "<M8");
}

static void test_datetime_refused(void **state)
{
    (void)state;
    struct {
        npg_value *meta;
        const char *why;
    } bad[] = {
        {v_dict(0), "metadata"},                                                        /* NumPy: ValueError */
        {v_tuple(3, v_dict(0), v_tuple(2, v_bytes("ns"), v_int(1)), v_int(5)), "metadata"},
        {v_tuple(1, v_dict(0)), "metadata"},
        {v_tuple(2, v_int(1), v_tuple(2, v_bytes("ns"), v_int(1))), "metadata"},
        {v_tuple(2, v_none(), v_tuple(1, v_bytes("ns"))), "unit"},
        {v_tuple(2, v_none(), v_tuple(5, v_bytes("ns"), v_int(1), v_int(1), v_int(1), v_int(1))), "unit"},
        {v_tuple(2, v_none(), v_tuple(2, v_bytes("xx"), v_int(1))), "invalid datetime unit"},
        {v_tuple(2, v_none(), v_tuple(2, v_bytes("NS"), v_int(1))), "invalid datetime unit"},
        {v_tuple(2, v_none(), v_tuple(2, v_bytes(""), v_int(1))), "invalid datetime unit"},
        {v_tuple(2, v_none(), v_tuple(2, v_bytes("generics"), v_int(1))), "invalid datetime unit"},
        {v_tuple(2, v_none(), v_tuple(2, v_int(9), v_int(1))), "invalid datetime unit"},
        {v_tuple(2, v_none(), v_tuple(2, v_bytes("ns"), v_int(0))), "multiplier"},
        {v_tuple(2, v_none(), v_tuple(2, v_bytes("ns"), v_int(-4))), "multiplier"},
        {v_tuple(2, v_none(), v_tuple(2, v_bytes("ns"), v_int((int64_t)INT32_MAX + 1))), "multiplier"},
        {v_tuple(2, v_none(), v_tuple(2, v_bytes("ns"), v_str("1"))), "multiplier"},
        {v_tuple(2, v_none(), v_tuple(4, v_bytes("ns"), v_int(1), v_int(2), v_int(1))), "denominator"},
        {v_tuple(2, v_none(), v_tuple(4, v_bytes("ns"), v_int(1), v_int(1), v_int(2))), "event"},
        {v_tuple(2, v_none(), v_tuple(2, v_bytes("generic"), v_int(3))), "generic"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) assert_refused(build_s("M8", st_dt_meta(bad[i].meta)),
                                                                         NPG_E_DTYPE, bad[i].why);
    /* datetime byte order must be '<' or '>' */
    assert_refused(build_s("M8", st_datetime("|", "ns", 1)), NPG_E_DTYPE, "byte order");
    /* the largest multiplier NumPy's C int holds */
    assert_str(mk("m8", st_datetime("<", "us", INT32_MAX)), "<m8[2147483647us]");
}

/* A non-datetime 9-tuple carries dtype.metadata (dtype_meta: numpy.dtype('<f8', metadata={'unit': 'm'})):
 * a dict or None, dropped. */
static void test_metadata_dropped(void **state)
{
    (void)state;
    npg_value *meta = v_dict(1, v_str("unit"), v_str("m"));
    npg_value *st = v_tuple(9, v_int(4), v_str("<"), v_none(), v_none(), v_none(), v_int(-1), v_int(-1), v_int(0), meta);
    assert_str(mk("f8", st), "<f8");
    st = v_tuple(9, v_int(4), v_str("<"), v_none(), v_none(), v_none(), v_int(-1), v_int(-1), v_int(0), v_none());
    assert_str(mk("f8", st), "<f8");
    npg_value *od = v_dict(0);
    od->kind = NPG_ORDERED_DICT;
    st = v_tuple(9, v_int(4), v_str("<"), v_none(), v_none(), v_none(), v_int(-1), v_int(-1), v_int(0), od);
    assert_str(mk("f8", st), "<f8");
    st = v_tuple(9, v_int(4), v_str("<"), v_none(), v_none(), v_none(), v_int(-1), v_int(-1), v_int(0),
                 v_tuple(2, v_dict(0), v_tuple(2, v_bytes("ns"), v_int(1))));
    assert_refused(build_s("f8", st), NPG_E_DTYPE, "metadata");
    st = v_tuple(9, v_int(4), v_str("<"), v_none(), v_none(), v_none(), v_int(-1), v_int(-1), v_int(0), v_int(0));
    assert_refused(build_s("f8", st), NPG_E_DTYPE, "metadata");
}

/* ------------------------------------------------------------------ state layouts */

static void test_state_versions(void **state)
{
    (void)state;
    const npg_dtype *f8 = mk_num("f8", "<");
    /* d = numpy.dtype('V8'); d.__setstate__(S) accepted each of these and gave [('a', '<f8')] */
    npg_value *names_in_fields = v_dict(2, v_str("a"), fld(f8, 0), v_int(-1), v_tuple(1, v_str("a")));
    npg_value *states[] = {
        /* 5: (endian, subarray, fields, elsize, alignment), version 0 */
        v_tuple(5, v_str("|"), v_none(), names_in_fields, v_int(8), v_int(1)),
        /* 6: version 1 (and 0), names in fields[-1] */
        v_tuple(6, v_int(1), v_str("|"), v_none(), names_in_fields, v_int(8), v_int(1)),
        v_tuple(6, v_int(0), v_str("|"), v_none(), names_in_fields, v_int(8), v_int(1)),
        /* 7: version 2, no flags */
        v_tuple(7, v_int(2), v_str("|"), v_none(), v_tuple(1, v_str("a")), v_dict(1, v_str("a"), fld(f8, 0)),
                v_int(8), v_int(1)),
        /* 8: version 3 */
        st_struct(v_tuple(1, v_str("a")), v_dict(1, v_str("a"), fld(f8, 0)), 8, 1, 16),
        /* 9: version 4 with dtype.metadata */
        v_tuple(9, v_int(4), v_str("|"), v_none(), v_tuple(1, v_str("a")), v_dict(1, v_str("a"), fld(f8, 0)),
                v_int(8), v_int(1), v_int(16), v_dict(1, v_str("a"), v_int(1))),
    };
    for (size_t i = 0; i < sizeof states / sizeof states[0]; i++) {
        const npg_dtype *dt = mk("V8", states[i]);
        assert_int_equal(npg_dtype_nfields(dt), 1);
        assert_descr(dt, "[('a', '<f8')]");
        assert_str(dt, "|V8");
    }
    /* version 0, py2_f8_v0_p2.pkl: numpy.dtype('f8', 0, 1).__setstate__(('<', None, None, -1, -1)) */
    assert_str(mk("f8", v_tuple(5, v_py2("<"), v_none(), v_none(), v_int(-1), v_int(-1))), "<f8");
    assert_str(mk("f8", v_tuple(6, v_int(1), v_str(">"), v_none(), v_none(), v_int(-1), v_int(-1))), ">f8");
    assert_str(mk("f8", v_tuple(7, v_int(2), v_str("<"), v_none(), v_none(), v_none(), v_int(-1), v_int(-1))), "<f8");
}

static void test_state_shape_refused(void **state)
{
    (void)state;
    npg_value *n = v_none();
    struct {
        npg_value *st;
        const char *why;
    } bad[] = {
        {v_int(3), "not a tuple"},
        {v_tuple(4, v_str("<"), n, n, v_int(-1)), "items"},
        {v_tuple(10, v_int(4), v_str("<"), n, n, n, v_int(-1), v_int(-1), v_int(0), n, n), "items"},
        {v_tuple(8, v_int(4), v_str("<"), n, n, n, v_int(-1), v_int(-1), v_int(0)), "version"},
        {v_tuple(8, v_int(5), v_str("<"), n, n, n, v_int(-1), v_int(-1), v_int(0)), "version"},
        {v_tuple(8, v_int(-1), v_str("<"), n, n, n, v_int(-1), v_int(-1), v_int(0)), "version"},
        {v_tuple(9, v_int(3), v_str("<"), n, n, n, v_int(-1), v_int(-1), v_int(0), n), "version"},
        {v_tuple(7, v_int(3), v_str("<"), n, n, n, v_int(-1), v_int(-1)), "version"},
        {v_tuple(6, v_int(2), v_str("<"), n, n, v_int(-1), v_int(-1)), "version"},
        {v_tuple(8, v_str("3"), v_str("<"), n, n, n, v_int(-1), v_int(-1), v_int(0)), "version"},
        {v_tuple(8, v_int(3), v_str("<"), n, n, n, v_none(), v_int(-1), v_int(0)), "elsize"},
        {v_tuple(8, v_int(3), v_str("<"), n, n, n, v_int(-1), v_int(-1), v_none()), "flags"},
        {v_tuple(8, v_int(3), v_str("<"), n, n, n, v_int(-1), v_int(-1), v_int(256)), "flags"},
        {v_tuple(8, v_int(3), v_str("<"), n, n, n, v_int(-1), v_int(-1), v_int(-129)), "flags"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) assert_refused(build_s("f8", bad[i].st), NPG_E_DTYPE, bad[i].why);
}

/* ------------------------------------------------------------------ byte order, sizes */

static void test_byteorder_rules(void **state)
{
    (void)state;
    struct {
        const char *typestr, *endian;
        int64_t elsize, align;
    } bad[] = {
        {"f8", "|", -1, -1}, {"i2", "|", -1, -1}, {"U5", "|", 20, 4}, {"i1", "<", -1, -1}, {"b1", ">", -1, -1},
        {"S3", "<", 3, 1},   {"V4", ">", 4, 1},   {"O8", "<", -1, -1}, {"f8", "x", -1, -1}, {"f8", "<<", -1, -1},
        {"f8", "", -1, -1},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_refused(build_s(bad[i].typestr, st_plain(bad[i].endian, bad[i].elsize, bad[i].align, 0)), NPG_E_DTYPE,
                       "byte order");
    npg_value *st = v_tuple(8, v_int(3), v_int(60), v_none(), v_none(), v_none(), v_int(-1), v_int(-1), v_int(0));
    assert_refused(build_s("f8", st), NPG_E_DTYPE, "byte order");
    st = v_tuple(8, v_int(3), v_textn(NPG_STR, "\0", 1), v_none(), v_none(), v_none(), v_int(-1), v_int(-1), v_int(0));
    assert_refused(build_s("f8", st), NPG_E_DTYPE, "byte order");
    /* a struct is '|' */
    const npg_dtype *i4 = mk_num("i4", "<");
    st = v_tuple(8, v_int(3), v_str("<"), v_none(), v_tuple(1, v_str("a")), v_dict(1, v_str("a"), fld(i4, 0)), v_int(4),
                 v_int(1), v_int(16));
    assert_refused(build_s("V4", st), NPG_E_DTYPE, "byte order");
}

static void test_sizes_rules(void **state)
{
    (void)state;
    struct {
        const char *typestr;
        int64_t elsize, align;
        const char *endian;
    } bad[] = {
        {"f8", 8, -1, "<"}, {"f8", -1, 8, "<"},  {"f8", 8, 8, "<"},   {"S3", 4, 1, "|"},  {"S3", 3, 4, "|"},
        {"S3", -1, -1, "|"}, {"U5", 5, 4, "<"},  {"U5", 20, 1, "<"},  {"V12", 13, 1, "|"}, {"V12", -1, 1, "|"},
        {"V12", 12, 3, "|"}, {"V12", 12, 32, "|"}, {"V12", 12, 0, "|"}, {"V12", 12, -2, "|"}, {"O8", 8, 8, "|"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = build_s(bad[i].typestr, st_plain(bad[i].endian, bad[i].elsize, bad[i].align, 0));
        if (rc != NPG_E_DTYPE) fail_msg("case %zu (%s) gave %d", i, bad[i].typestr, rc);
    }
    /* V alignment: any power of two up to 16, or -1 (then 1 for a plain void) */
    assert_int_equal(npg_dtype_alignment(mk("V12", st_plain("|", 12, 16, 0))), 16);
    assert_int_equal(npg_dtype_alignment(mk("V12", st_plain("|", 12, -1, 0))), 1);
}

static void test_flags(void **state)
{
    (void)state;
    /* NumPy takes the pickled flags as they are: the ones about objects and item access must be
     * NumPy's own (np.dtype('f8').flags == 0, np.dtype('O').flags == 63, np.dtype('U1').flags == 8
     * on Debian's NumPy 1.24), or NumPy would treat floats as pointers */
    assert_refused(build_s("f8", st_plain("<", -1, -1, 63)), NPG_E_DTYPE, "flags");
    assert_refused(build_s("O8", st_plain("|", -1, -1, 0)), NPG_E_DTYPE, "flags");
    npg_value *m8 = v_tuple(9, v_int(4), v_str("<"), v_none(), v_none(), v_none(), v_int(-1), v_int(-1), v_int(32),
                            v_tuple(2, v_dict(0), v_tuple(4, v_bytes("ns"), v_int(1), v_int(1), v_int(1))));
    assert_refused(build_s("M8", m8), NPG_E_DTYPE, "flags"); /* NPY_USE_GETITEM: NumPy 1.24 crashes */
    assert_true(npg_dtype_has_object(mk("O8", st_plain("|", -1, -1, 63))));
    assert_false(npg_dtype_has_object(mk("U1", st_plain("<", 4, 4, 8))));
    mk("U1", st_plain("<", 4, 4, 0)); /* NEEDS_INIT only matters with objects */
    /* ALIGNED_STRUCT on a number is dropped */
    const npg_dtype *dt = mk("f8", st_plain("<", -1, -1, -112));
    assert_false(npg_dtype_is_aligned_struct(dt));
    /* on a plain void it stays (NumPy sets it on subarrays of aligned structs), either sign */
    dt = mk("V8", st_plain("|", 8, 1, 144));
    assert_true(npg_dtype_is_aligned_struct(dt));
    dt = mk("V8", st_plain("|", 8, 1, -128));
    assert_true(npg_dtype_is_aligned_struct(dt));
    dt = mk("V8", st_plain("|", 8, 1, 16)); /* NPY_NEEDS_PYAPI: harmless either way */
    assert_false(npg_dtype_is_aligned_struct(dt));
    assert_refused(build_s("V8", st_plain("|", 8, 1, 127)), NPG_E_DTYPE, "flags");
    assert_refused(build_s("V8", st_plain("|", 8, 1, 255)), NPG_E_DTYPE, "flags");
}

/* ------------------------------------------------------------------ structs (NumPy cases) */

/* numpy.dtype([('x','<i4'),('y','<f8',(2,))]):
 *   ('V20', ...), (3, '|', None, ('x', 'y'), {'x': (int32, 0), 'y': (dtype(('<f8', (2,))), 4)}, 20, 1, 16)
 *   field y: ('V16', ...), (3, '|', (float64, (2,)), None, None, 16, 8, 0)
 *   descr [('x', '<i4'), ('y', '<f8', (2,))] */
static void test_struct_simple(void **state)
{
    (void)state;
    const npg_dtype *i4 = mk_num("i4", "<"), *f8 = mk_num("f8", "<");
    const npg_dtype *y = mk("V16", st_sub(f8, v_tuple(1, v_int(2)), 16, 8));
    assert_str(y, "|V16");
    assert_int_equal(npg_dtype_alignment(y), 8);
    size_t ndim = 0;
    const uint64_t *shape = NULL;
    assert_ptr_equal(npg_dtype_subarray(y, &ndim, &shape), f8);
    assert_int_equal(ndim, 1);
    assert_int_equal(shape[0], 2);
    assert_descr(y, "'|V16'"); /* dtype_to_descr(numpy.dtype(('<f8', (2,)))) == '|V16' */

    static const char *const names[] = {"x", "y"};
    const npg_dtype *dts[] = {i4, y};
    static const int64_t offs[] = {0, 4};
    const npg_dtype *dt = mk_struct(20, 1, 16, 2, names, dts, offs);
    assert_str(dt, "|V20");
    assert_int_equal(npg_dtype_itemsize(dt), 20);
    assert_int_equal(npg_dtype_alignment(dt), 1);
    assert_false(npg_dtype_is_aligned_struct(dt));
    assert_int_equal(npg_dtype_nfields(dt), 2);
    const char *name, *title;
    uint64_t off;
    assert_ptr_equal(npg_dtype_field(dt, 1, &name, &title, &off), y);
    assert_string_equal(name, "y");
    assert_null(title);
    assert_int_equal(off, 4);
    assert_null(npg_dtype_field(dt, 2, &name, &title, &off));
    assert_descr(dt, "[('x', '<i4'), ('y', '<f8', (2,))]");
    assert_int_equal(dt->depth, 3);
    assert_int_equal(dt->total_fields, 2);
}

/* numpy.dtype('i1,i4,i1', align=True): ('V12', ...), (3, '|', None, ('f0', 'f1', 'f2'),
 * {'f0': (int8, 0), 'f1': (int32, 4), 'f2': (int8, 8)}, 12, 4, -112); alignment 4;
 * descr [('f0', '|i1'), ('', '|V3'), ('f1', '<i4'), ('f2', '|i1'), ('', '|V3')] */
static void test_struct_aligned_padding(void **state)
{
    (void)state;
    const npg_dtype *i1 = mk_num("i1", "|"), *i4 = mk_num("i4", "<");
    static const char *const names[] = {"f0", "f1", "f2"};
    const npg_dtype *dts[] = {i1, i4, i1};
    static const int64_t offs[] = {0, 4, 8};
    const npg_dtype *dt = mk_struct(12, 4, -112, 3, names, dts, offs);
    assert_true(npg_dtype_is_aligned_struct(dt));
    assert_int_equal(npg_dtype_alignment(dt), 4);
    assert_descr(dt, "[('f0', '|i1'), ('', '|V3'), ('f1', '<i4'), ('f2', '|i1'), ('', '|V3')]");
    /* alignment -1: derived from the fields for an aligned struct */
    dt = mk_struct(12, -1, -112, 3, names, dts, offs);
    assert_int_equal(npg_dtype_alignment(dt), 4);
    dt = mk_struct(12, -1, 16, 3, names, dts, offs);
    assert_int_equal(npg_dtype_alignment(dt), 1);
}

/* numpy.dtype([('a','u1'),('b','f8'),('c','i2')], align=True): (3, '|', None, ('a', 'b', 'c'),
 * {... 0, 8, 16}, 24, 8, -112); NumPy 2 writes flags 144 (np2_dtype_struct_aligned_p2.pkl);
 * descr [('a', '|u1'), ('', '|V7'), ('b', '<f8'), ('c', '<i2'), ('', '|V6')] */
static void test_struct_aligned_flags_both_signs(void **state)
{
    (void)state;
    const npg_dtype *u1 = mk_num("u1", "|"), *f8 = mk_num("f8", "<"), *i2 = mk_num("i2", "<");
    static const char *const names[] = {"a", "b", "c"};
    const npg_dtype *dts[] = {u1, f8, i2};
    static const int64_t offs[] = {0, 8, 16};
    static const int64_t flags[] = {-112, 144};
    for (size_t i = 0; i < 2; i++) {
        const npg_dtype *dt = mk_struct(24, 8, flags[i], 3, names, dts, offs);
        assert_true(npg_dtype_is_aligned_struct(dt));
        assert_int_equal(npg_dtype_alignment(dt), 8);
        assert_false(npg_dtype_has_object(dt));
        assert_str(dt, "|V24");
        assert_descr(dt, "[('a', '|u1'), ('', '|V7'), ('b', '<f8'), ('c', '<i2'), ('', '|V6')]");
    }
    /* -101 (0x9b) is an aligned struct with an object field: these fields hold none */
    assert_refused(build_s("V24", st_struct(names_of(3, names), fields_of(3, names, dts, offs), 24, 8, -101)),
                   NPG_E_DTYPE, "flags");
}

/* numpy.dtype({'names':['a','b'],'formats':['<i4','<i4'],'offsets':[1,6],'titles':['aa','bb'],
 * 'itemsize':10}): (3, '|', None, ('a', 'b'), {'a': (int32, 1, 'aa'), 'aa': (int32, 1, 'aa'),
 * 'b': (int32, 6, 'bb'), 'bb': (int32, 6, 'bb')}, 10, 1, 16);
 * descr [('', '|V1'), (('aa', 'a'), '<i4'), ('', '|V1'), (('bb', 'b'), '<i4')] */
static void test_struct_titles(void **state)
{
    (void)state;
    const npg_dtype *i4 = mk_num("i4", "<");
    npg_value *ta = fld_title(i4, 1, "aa");
    /* 'a' and its title share one tuple (memo), 'b' and its title have equal separate tuples */
    npg_value *fields = v_dict(4, v_str("a"), ta, v_str("aa"), ta, v_str("b"), fld_title(i4, 6, "bb"), v_str("bb"),
                               fld_title(i4, 6, "bb"));
    const npg_dtype *dt = mk("V10", st_struct(v_tuple(2, v_str("a"), v_str("b")), fields, 10, 1, 16));
    const char *name, *title;
    uint64_t off;
    assert_ptr_equal(npg_dtype_field(dt, 0, &name, &title, &off), i4);
    assert_string_equal(name, "a");
    assert_string_equal(title, "aa");
    assert_int_equal(off, 1);
    assert_descr(dt, "[('', '|V1'), (('aa', 'a'), '<i4'), ('', '|V1'), (('bb', 'b'), '<i4')]");
}

static void test_struct_titles_refused(void **state)
{
    (void)state;
    const npg_dtype *i4 = mk_num("i4", "<"), *i4b = mk_num("i4", "<");
    npg_value *names = v_tuple(1, v_str("a"));
    struct {
        npg_value *names, *fields;
        const char *why;
    } bad[] = {
        /* the title has no entry of its own */
        {names, v_dict(1, v_str("a"), fld_title(i4, 0, "t")), "no fields entry"},
        /* the title's entry differs: offset, dtype object, title text, length */
        {names, v_dict(2, v_str("a"), fld_title(i4, 0, "t"), v_str("t"), fld_title(i4, 4, "t")), "differs"},
        {names, v_dict(2, v_str("a"), fld_title(i4, 0, "t"), v_str("t"), fld_title(i4b, 0, "t")), "differs"},
        {names, v_dict(2, v_str("a"), fld_title(i4, 0, "t"), v_str("t"), fld_title(i4, 0, "u")), "differs"},
        {names, v_dict(2, v_str("a"), fld_title(i4, 0, "t"), v_str("t"), fld(i4, 0)), "differs"},
        /* a title equal to the field's own name, or to another name (NumPy: "title already used") */
        {names, v_dict(1, v_str("a"), fld_title(i4, 0, "a")), "already"},
        {v_tuple(2, v_str("a"), v_str("b")),
         v_dict(2, v_str("a"), fld_title(i4, 0, "b"), v_str("b"), fld_title(i4, 0, "b")), "twice"},
        /* title not a str */
        {names, v_dict(1, v_str("a"), v_tuple(3, v_dtype(i4), v_int(0), v_none())), "title"},
        {names, v_dict(2, v_str("a"), v_tuple(3, v_dtype(i4), v_int(0), v_int(5)), v_int(5), v_none()), "key"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_refused(build_s("V8", st_struct(bad[i].names, bad[i].fields, 8, 1, 16)), NPG_E_DTYPE, bad[i].why);
}

/* numpy.dtype({'names':[],'formats':[],'itemsize':8}): ('V8', ...), (3, '|', None, (), {}, 8, 1, 16);
 * descr [('', '|V8')] (a plain V8 has '|V8') */
static void test_struct_empty(void **state)
{
    (void)state;
    const npg_dtype *dt = mk("V8", st_struct(v_tuple(0), v_dict(0), 8, 1, 16));
    assert_int_equal(npg_dtype_nfields(dt), 0);
    assert_str(dt, "|V8");
    assert_descr(dt, "[('', '|V8')]");
    assert_descr(mk("V8", st_plain("|", 8, 1, 0)), "'|V8'");
    assert_descr(mk("V0", st_struct(v_tuple(0), v_dict(0), 0, 1, 16)), "[]");
}

/* numpy.dtype([('c', ('<f8', (5,)), (2,))]): field c is ('V80', ...), (3, '|', (dtype(('<f8', (5,))), (2,)),
 * None, None, 80, 8, 0); descr [('c', ('<f8', (5,)), (2,))] */
static void test_struct_subarray_of_subarray(void **state)
{
    (void)state;
    const npg_dtype *f8 = mk_num("f8", "<");
    const npg_dtype *inner = mk("V40", st_sub(f8, v_tuple(1, v_int(5)), 40, 8));
    const npg_dtype *c = mk("V80", st_sub(inner, v_tuple(1, v_int(2)), 80, 8));
    static const char *const names[] = {"c"};
    const npg_dtype *dts[] = {c};
    static const int64_t offs[] = {0};
    const npg_dtype *dt = mk_struct(80, 1, 16, 1, names, dts, offs);
    assert_descr(dt, "[('c', ('<f8', (5,)), (2,))]");
    assert_int_equal(dt->depth, 4);
}

/* The structured dtype of case 'struct' (dtype_struct_p0.pkl):
 * numpy.dtype([(('Temperature in K','temp'),'<f4'),('pos',[('x','<i2'),('y','>i2')]),('mat','u1',(2,3)),
 * ('name','S4')]) -> '|V18', alignment 1; offsets 0, 4, 8, 14;
 * descr [(('Temperature in K', 'temp'), '<f4'), ('pos', [('x', '<i2'), ('y', '>i2')]),
 *        ('mat', '|u1', (2, 3)), ('name', '|S4')] */
static const npg_dtype *mk_case_struct(void)
{
    const npg_dtype *f4 = mk_num("f4", "<"), *i2 = mk_num("i2", "<"), *i2be = mk_num("i2", ">");
    const npg_dtype *u1 = mk_num("u1", "|"), *s4 = mk("S4", st_plain("|", 4, 1, 0));
    npg_value *pos_fields = v_dict(2, v_str("x"), fld(i2, 0), v_str("y"), fld(i2be, 2));
    const npg_dtype *pos = mk("V4", st_struct(v_tuple(2, v_str("x"), v_str("y")), pos_fields, 4, 1, 16));
    const npg_dtype *mat = mk("V6", st_sub(u1, v_tuple(2, v_int(2), v_int(3)), 6, 1));
    npg_value *temp = fld_title(f4, 0, "Temperature in K");
    npg_value *fields = v_dict(5, v_str("temp"), temp, v_str("Temperature in K"), temp, v_str("pos"), fld(pos, 4),
                               v_str("mat"), fld(mat, 8), v_str("name"), fld(s4, 14));
    npg_value *names = v_tuple(4, v_str("temp"), v_str("pos"), v_str("mat"), v_str("name"));
    return mk("V18", st_struct(names, fields, 18, 1, 16));
}

static void test_struct_notes_case(void **state)
{
    (void)state;
    const npg_dtype *dt = mk_case_struct();
    assert_str(dt, "|V18");
    assert_int_equal(npg_dtype_itemsize(dt), 18);
    assert_int_equal(npg_dtype_alignment(dt), 1);
    static const uint64_t offsets[] = {0, 4, 8, 14};
    for (size_t i = 0; i < 4; i++) {
        uint64_t off;
        assert_non_null(npg_dtype_field(dt, i, NULL, NULL, &off));
        assert_int_equal(off, offsets[i]);
    }
    assert_descr(dt, "[(('Temperature in K', 'temp'), '<f4'), ('pos', [('x', '<i2'), ('y', '>i2')]), "
                     "('mat', '|u1', (2, 3)), ('name', '|S4')]");
    assert_int_equal(dt->total_fields, 6); /* 4 + pos's 2 */
    assert_int_equal(dt->depth, 3);
}

/* numpy.dtype([('o','O'),('n','<i4')]): (3, '|', None, ('o', 'n'), {'o': (dtype('O'), 0),
 * 'n': (int32, 8)}, 12, 1, 27); descr [('o', '|O'), ('n', '<i4')] */
static void test_struct_object_field(void **state)
{
    (void)state;
    const npg_dtype *o = mk("O8", st_plain("|", -1, -1, 63)), *i4 = mk_num("i4", "<");
    static const char *const names[] = {"o", "n"};
    const npg_dtype *dts[] = {o, i4};
    static const int64_t offs[] = {0, 8};
    /* np.dtype([('o','O'),('n','<i4')]).flags == 27: the object bits must be there */
    const npg_dtype *dt = mk_struct(12, 1, 27, 2, names, dts, offs);
    assert_true(npg_dtype_has_object(dt));
    assert_descr(dt, "[('o', '|O'), ('n', '<i4')]");
    static const int64_t without[] = {0, 16};
    for (size_t i = 0; i < 2; i++)
        assert_refused(build_s("V12", st_struct(names_of(2, names), fields_of(2, names, dts, offs), 12, 1, without[i])),
                       NPG_E_DTYPE, "flags");
    /* and through a subarray and a nested struct */
    const npg_dtype *osub = mk("V16", st_sub(o, v_int(2), 16, 8));
    assert_true(npg_dtype_has_object(osub));
    static const char *const n1[] = {"s"};
    const npg_dtype *d1[] = {osub};
    static const int64_t o1[] = {0};
    assert_true(npg_dtype_has_object(mk_struct(16, 1, 27, 1, n1, d1, o1)));
}

static void test_object_overlap_refused(void **state)
{
    (void)state;
    const npg_dtype *o = mk("O8", st_plain("|", -1, -1, 63)), *i4 = mk_num("i4", "<"), *s0 = mk("S0", st_plain("|", 0, 1, 0));
    static const char *const names[] = {"o", "n"};
    struct {
        const npg_dtype *a, *b;
        int64_t off_a, off_b;
        bool ok;
    } cases[] = {
        {o, i4, 0, 4, false},  /* int inside the pointer */
        {i4, o, 0, 2, false},  /* pointer starts inside the int */
        {o, o, 0, 0, false},   /* two object fields at one place */
        {o, o, 0, 4, false},
        {o, i4, 0, 8, true},   /* adjacent */
        {i4, o, 4, 8, true},
        {o, s0, 0, 4, true},   /* an empty field overlaps nothing */
        {i4, i4, 0, 2, true},  /* plain fields may overlap (NumPy allows it: views) */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const npg_dtype *dts[] = {cases[i].a, cases[i].b};
        int64_t offs[] = {cases[i].off_a, cases[i].off_b};
        bool objects = npg_dtype_has_object(cases[i].a) || npg_dtype_has_object(cases[i].b);
        npg_value *st = st_struct(names_of(2, names), fields_of(2, names, dts, offs), 16, 1, objects ? 27 : 16);
        int rc = build_s("V16", st);
        if (cases[i].ok && rc != NPG_OK) fail_msg("case %zu refused: %s", i, F->diag.msg);
        if (!cases[i].ok) assert_refused(rc, NPG_E_DTYPE, "overlaps");
    }
    /* many fields: the clash is found after sorting, far from each other in name order */
    enum { N = 200 };
    const char *nm[N];
    const npg_dtype *dts[N];
    int64_t offs[N];
    char names_buf[N][16];
    for (int i = 0; i < N; i++) {
        snprintf(names_buf[i], sizeof names_buf[i], "f%d", i);
        nm[i] = names_buf[i];
        dts[i] = i4;
        offs[i] = (int64_t)(N - 1 - i) * 4;
    }
    dts[7] = o;
    offs[7] = 4 * 150 + 2;
    npg_value *st = st_struct(names_of(N, nm), fields_of(N, nm, dts, offs), 4 * N + 8, 1, 16);
    char ts[16];
    snprintf(ts, sizeof ts, "V%d", 4 * N + 8);
    assert_refused(build_s(ts, st), NPG_E_DTYPE, "overlaps");
}

/* numpy.dtype([('t','<M8[ns]'),('d','>m8[15m]',(3,)),('g','M8')]): '|V40';
 * descr [('t', '<M8[ns]'), ('d', '>m8[15m]', (3,)), ('g', '<M8')] */
static void test_struct_datetime_fields(void **state)
{
    (void)state;
    const npg_dtype *t = mk("M8", st_datetime("<", "ns", 1)), *m = mk("m8", st_datetime(">", "m", 15));
    const npg_dtype *g = mk("M8", st_datetime("<", "generic", 1));
    const npg_dtype *d = mk("V24", st_sub(m, v_tuple(1, v_int(3)), 24, 8));
    static const char *const names[] = {"t", "d", "g"};
    const npg_dtype *dts[] = {t, d, g};
    static const int64_t offs[] = {0, 8, 32};
    const npg_dtype *dt = mk_struct(40, 1, 16, 3, names, dts, offs);
    assert_descr(dt, "[('t', '<M8[ns]'), ('d', '>m8[15m]', (3,)), ('g', '<M8')]");
}

/* numpy.dtype([('p',[('a','<i4'),('b','u1')],(2,))]): field p is ('V10', ...),
 * (3, '|', (dtype([('a', '<i4'), ('b', 'u1')]), (2,)), None, None, 10, 1, 16);
 * descr [('p', [('a', '<i4'), ('b', '|u1')], (2,))] */
static void test_struct_subarray_of_struct(void **state)
{
    (void)state;
    const npg_dtype *i4 = mk_num("i4", "<"), *u1 = mk_num("u1", "|");
    static const char *const in_names[] = {"a", "b"};
    const npg_dtype *in_dts[] = {i4, u1};
    static const int64_t in_offs[] = {0, 4};
    const npg_dtype *inner = mk_struct(5, 1, 16, 2, in_names, in_dts, in_offs);
    npg_value *st = v_tuple(8, v_int(3), v_str("|"), v_tuple(2, v_dtype(inner), v_tuple(1, v_int(2))), v_none(),
                            v_none(), v_int(10), v_int(1), v_int(16));
    const npg_dtype *p = mk("V10", st);
    static const char *const names[] = {"p"};
    const npg_dtype *dts[] = {p};
    static const int64_t offs[] = {0};
    const npg_dtype *dt = mk_struct(10, 1, 16, 1, names, dts, offs);
    assert_descr(dt, "[('p', [('a', '<i4'), ('b', '|u1')], (2,))]");
    assert_int_equal(dt->total_fields, 3);
}

/* numpy.dtype([('u','<U3'),('s','S2'),('v','V3'),('b','?'),('c','>c16'),('l','<f16')]): '|V50';
 * descr [('u', '<U3'), ('s', '|S2'), ('v', '|V3'), ('b', '|b1'), ('c', '>c16'), ('l', '<f16')] */
static void test_struct_flexible_fields(void **state)
{
    (void)state;
    const npg_dtype *u = mk("U3", st_plain("<", 12, 4, 8)), *s = mk("S2", st_plain("|", 2, 1, 0));
    const npg_dtype *v = mk("V3", st_plain("|", 3, 1, 0)), *b = mk_num("b1", "|");
    const npg_dtype *c = mk_num("c16", ">"), *l = mk_num("f16", "<");
    static const char *const names[] = {"u", "s", "v", "b", "c", "l"};
    const npg_dtype *dts[] = {u, s, v, b, c, l};
    static const int64_t offs[] = {0, 12, 14, 17, 18, 34};
    const npg_dtype *dt = mk_struct(50, 1, 24, 6, names, dts, offs);
    assert_descr(dt, "[('u', '<U3'), ('s', '|S2'), ('v', '|V3'), ('b', '|b1'), ('c', '>c16'), ('l', '<f16')]");
}

/* numpy.dtype([('a','u1'),('s',numpy.dtype([('x','u1'),('y','<f8')],align=True))], align=True):
 * (3, '|', None, ('a', 's'), {'a': (uint8, 0), 's': (<aligned V16>, 8)}, 24, 8, -112);
 * descr [('a', '|u1'), ('', '|V7'), ('s', [('x', '|u1'), ('', '|V7'), ('y', '<f8')])] */
static void test_struct_aligned_nested(void **state)
{
    (void)state;
    const npg_dtype *u1 = mk_num("u1", "|"), *f8 = mk_num("f8", "<");
    static const char *const in_names[] = {"x", "y"};
    const npg_dtype *in_dts[] = {u1, f8};
    static const int64_t in_offs[] = {0, 8};
    const npg_dtype *inner = mk_struct(16, 8, -112, 2, in_names, in_dts, in_offs);
    static const char *const names[] = {"a", "s"};
    const npg_dtype *dts[] = {u1, inner};
    static const int64_t offs[] = {0, 8};
    const npg_dtype *dt = mk_struct(24, 8, -112, 2, names, dts, offs);
    assert_true(npg_dtype_is_aligned_struct(dt));
    assert_descr(dt, "[('a', '|u1'), ('', '|V7'), ('s', [('x', '|u1'), ('', '|V7'), ('y', '<f8')])]");
    /* a subarray of an aligned struct: numpy.dtype((<that inner>, (2,))) -> ('V32', ...),
     * (3, '|', (<inner>, (2,)), None, None, 32, 8, -112) */
    npg_value *st = v_tuple(8, v_int(3), v_str("|"), v_tuple(2, v_dtype(inner), v_tuple(1, v_int(2))), v_none(),
                            v_none(), v_int(32), v_int(8), v_int(-112));
    const npg_dtype *sub = mk("V32", st);
    assert_true(npg_dtype_is_aligned_struct(sub));
    assert_int_equal(npg_dtype_alignment(sub), 8);
}

/* Field names that need quoting. numpy.dtype([("it's",'<i4'),('q"d','<i4'),('both\'"','<i4'),
 * ('back\\sl','u1'),('tab\t','u1'),('nl\nr\r','u1'),('\x7f','u1'),('\x01','u1')]):
 * repr(dtype_to_descr(d)) below. Non-ASCII names: we write what ascii(dtype_to_descr(d)) gives
 * (Python's repr() would keep printable ones as they are). */
static void test_descr_quoting(void **state)
{
    (void)state;
    const npg_dtype *i4 = mk_num("i4", "<"), *u1 = mk_num("u1", "|");
    static const char *const names[] = {"it's", "q\"d", "both'\"", "back\\sl", "tab\t", "nl\nr\r", "\x7f", "\x01"};
    const npg_dtype *dts[] = {i4, i4, i4, u1, u1, u1, u1, u1};
    static const int64_t offs[] = {0, 4, 8, 12, 13, 14, 15, 16};
    const npg_dtype *dt = mk_struct(17, 1, 16, 8, names, dts, offs);
    assert_descr(dt, "[(\"it's\", '<i4'), ('q\"d', '<i4'), ('both\\'\"', '<i4'), ('back\\\\sl', '|u1'), "
                     "('tab\\t', '|u1'), ('nl\\nr\\r', '|u1'), ('\\x7f', '|u1'), ('\\x01', '|u1')]");

    /* numpy.dtype([('é','u1'),('€','u1'),('😀','u1'),('\xa0','u1'),('\udc80','u1')]) (the last a lone
     * surrogate, which the VM keeps in its 3-byte form); ascii(dtype_to_descr(d)) */
    static const char *const un[] = {"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xc2\xa0", "\xed\xb2\x80"};
    const npg_dtype *udts[] = {u1, u1, u1, u1, u1};
    static const int64_t uoffs[] = {0, 1, 2, 3, 4};
    dt = mk_struct(5, 1, 16, 5, un, udts, uoffs);
    assert_descr(dt, "[('\\xe9', '|u1'), ('\\u20ac', '|u1'), ('\\U0001f600', '|u1'), ('\\xa0', '|u1'), "
                     "('\\udc80', '|u1')]");

    /* numpy.dtype({'names':['a'],'formats':['<i4'],'titles':['it\'s "t"']}): [(('it\'s "t"', 'a'), '<i4')] */
    npg_value *t = fld_title(i4, 0, "it's \"t\"");
    dt = mk("V4", st_struct(v_tuple(1, v_str("a")), v_dict(2, v_str("a"), t, v_str("it's \"t\""), t), 4, 1, 16));
    assert_descr(dt, "[(('it\\'s \"t\"', 'a'), '<i4')]");
}

/* Out-of-order fields are a valid dtype without a descr:
 * numpy.dtype({'names':['a','b'],'formats':['<i4','<i4'],'offsets':[4,0]}).descr raises
 * "dtype.descr is not defined for types with overlapping or out-of-order fields" */
static void test_descr_undefined(void **state)
{
    (void)state;
    const npg_dtype *i4 = mk_num("i4", "<");
    static const char *const names[] = {"a", "b"};
    const npg_dtype *dts[] = {i4, i4};
    static const int64_t offs[] = {4, 0};
    const npg_dtype *dt = mk_struct(8, 1, 16, 2, names, dts, offs);
    char buf[64] = "x";
    assert_int_equal(npg__dtype_descr(dt, buf, sizeof buf), 0);
    assert_string_equal(buf, "");
    strcpy(buf, "x"); /* the public form says the same */
    assert_int_equal(npg_dtype_descr(dt, buf, sizeof buf), 0);
    assert_string_equal(buf, "");
    assert_int_equal(npg_dtype_descr(NULL, buf, sizeof buf), 0);
    static const int64_t overlap[] = {0, 2};
    dt = mk_struct(8, 1, 16, 2, names, dts, overlap);
    assert_int_equal(npg__dtype_descr(dt, buf, sizeof buf), 0);
    /* ... also when the bad struct is nested */
    static const char *const n1[] = {"s"};
    const npg_dtype *d1[] = {dt};
    static const int64_t o1[] = {0};
    assert_int_equal(npg__dtype_descr(mk_struct(8, 1, 16, 1, n1, d1, o1), buf, sizeof buf), 0);
    /* zero-size fields may share an offset */
    const npg_dtype *s0 = mk("S0", st_plain("|", 0, 1, 0));
    const npg_dtype *d2[] = {s0, s0};
    static const int64_t o2[] = {0, 0};
    assert_descr(mk_struct(0, 1, 16, 2, names, d2, o2), "[('a', '|S0'), ('b', '|S0')]");
    assert_int_equal(npg_dtype_descr(mk_struct(0, 1, 16, 2, names, d2, o2), buf, sizeof buf), 28);
    assert_string_equal(buf, "[('a', '|S0'), ('b', '|S0')]");
}

static void test_descr_plain_and_truncation(void **state)
{
    (void)state;
    /* dtype_to_descr of non-structured dtypes is dtype.str */
    assert_descr(mk_num("f8", "<"), "'<f8'");
    assert_descr(mk("O8", st_plain("|", -1, -1, 63)), "'|O'");
    assert_descr(mk("M8", st_datetime("<", "ns", 1)), "'<M8[ns]'");
    assert_descr(mk("U10", st_plain("<", 40, 4, 8)), "'<U10'");
    /* snprintf-like: returns the full length, writes a NUL-terminated prefix */
    const npg_dtype *dt = mk_case_struct();
    char small[10];
    memset(small, 'z', sizeof small);
    size_t need = npg__dtype_descr(dt, small, sizeof small);
    assert_true(need > sizeof small);
    assert_string_equal(small, "[(('Tempe");
    assert_int_equal(npg__dtype_descr(dt, small, 0), need);
    assert_int_equal(small[0], '[');
    char one[1] = {'z'};
    assert_int_equal(npg__dtype_descr(dt, one, 1), need);
    assert_int_equal(one[0], '\0');
}

static void test_dtype_str_truncation(void **state)
{
    (void)state;
    const npg_dtype *dt = mk("m8", st_datetime(">", "ms", 1000));
    char buf[NPG_DTYPE_STR_CAP];
    assert_int_equal(npg_dtype_str(dt, buf, sizeof buf), 11);
    assert_string_equal(buf, ">m8[1000ms]");
    assert_int_equal(npg_dtype_str(dt, buf, 4), 3);
    assert_string_equal(buf, ">m8");
    assert_int_equal(npg_dtype_str(dt, buf, 1), 0);
    assert_string_equal(buf, "");
    assert_int_equal(npg_dtype_str(dt, NULL, 0), 0);
    assert_int_equal(npg_dtype_str(NULL, buf, sizeof buf), 0);
    assert_string_equal(buf, "");
    /* the longest forms fit NPG_DTYPE_STR_CAP */
    npg_dtype *big;
    assert_int_equal(npg__dtype_from_typestr(&F->arena, v_str("V9223372036854775807"), false, &big, &F->diag), NPG_OK);
    assert_int_equal(npg_dtype_str(big, buf, sizeof buf), 21);
    assert_string_equal(buf, "|V9223372036854775807");
}

/* numpy.dtype((numpy.record, [('a','<i4')])): (numpy.record, False, True),
 * (3, '|', None, ('a',), {'a': (int32, 0)}, 4, 1, 16); str '|V4' (dtype_record_p0.pkl) */
static void test_record(void **state)
{
    (void)state;
    const npg_dtype *i4 = mk_num("i4", "<");
    npg_dtype *dt;
    assert_int_equal(npg__dtype_from_typestr(&F->arena, NULL, true, &dt, &F->diag), NPG_OK);
    npg_value *st = st_struct(v_tuple(1, v_str("a")), v_dict(1, v_str("a"), fld(i4, 0)), 4, 1, 16);
    assert_int_equal(npg__dtype_setstate(&F->arena, &F->lim, dt, st, &F->diag), NPG_OK);
    assert_true(npg_dtype_is_record(dt));
    assert_str(dt, "|V4");
    assert_int_equal(npg_dtype_itemsize(dt), 4);
    assert_descr(dt, "[('a', '<i4')]");

    /* a record needs fields, and a non-negative elsize */
    assert_int_equal(npg__dtype_from_typestr(&F->arena, NULL, true, &dt, &F->diag), NPG_OK);
    assert_refused(npg__dtype_setstate(&F->arena, &F->lim, dt, st_plain("|", 4, 1, 0), &F->diag), NPG_E_DTYPE,
                   "record");
    assert_int_equal(npg__dtype_from_typestr(&F->arena, NULL, true, &dt, &F->diag), NPG_OK);
    st = st_struct(v_tuple(1, v_str("a")), v_dict(1, v_str("a"), fld(i4, 0)), -1, 1, 16);
    assert_refused(npg__dtype_setstate(&F->arena, &F->lim, dt, st, &F->diag), NPG_E_DTYPE, "elsize");
    /* fields must fit the state's elsize */
    assert_int_equal(npg__dtype_from_typestr(&F->arena, NULL, true, &dt, &F->diag), NPG_OK);
    st = st_struct(v_tuple(1, v_str("a")), v_dict(1, v_str("a"), fld(i4, 0)), 3, 1, 16);
    assert_refused(npg__dtype_setstate(&F->arena, &F->lim, dt, st, &F->diag), NPG_E_DTYPE, "past itemsize");
}

/* py2_struct_p0.pkl: numpy.dtype(py2str('V6'), 0, 1).__setstate__((3, py2str('|'), None,
 * (py2str('x'), py2str('y')), {py2str('x'): (<i2>, 0), py2str('y'): (<f4>, 2)}, 6, 1, 0)) */
static void test_py2_names(void **state)
{
    (void)state;
    const npg_dtype *i2 = mk_num("i2", "<"), *f4 = mk_num("f4", "<");
    npg_value *st = v_tuple(8, v_int(3), v_py2("|"), v_none(), v_tuple(2, v_py2("x"), v_py2("y")),
                            v_dict(2, v_py2("x"), fld(i2, 0), v_py2("y"), fld(f4, 2)), v_int(6), v_int(1), v_int(0));
    const npg_dtype *dt = NULL;
    assert_int_equal(build(v_py2("V6"), st, &dt), NPG_OK);
    assert_descr(dt, "[('x', '<i2'), ('y', '<f4')]");
    /* a str name matches a py2str key of the same text */
    st = st_struct(v_tuple(1, v_str("x")), v_dict(1, v_py2("x"), fld(i2, 0)), 2, 1, 16);
    assert_int_equal(build_s("V2", st), NPG_OK);
    /* non-ASCII py2str names are ambiguous (latin-1 or bytes): refused */
    st = st_struct(v_tuple(1, v_py2("\xe9")), v_dict(1, v_py2("\xe9"), fld(i2, 0)), 2, 1, 16);
    assert_refused(build_s("V2", st), NPG_E_DTYPE, "ASCII");
    /* the same text as str and py2str keys: two spellings of one name */
    st = st_struct(v_tuple(1, v_str("x")), v_dict(2, v_py2("x"), fld(i2, 0), v_str("x"), fld(i2, 0)), 2, 1, 16);
    assert_refused(build_s("V2", st), NPG_E_DTYPE, "same text");
}

/* ------------------------------------------------------------------ names/fields refusals */

static void test_names_fields_refused(void **state)
{
    (void)state;
    const npg_dtype *i4 = mk_num("i4", "<");
    npg_value *a = v_tuple(1, v_str("a")), *fa = v_dict(1, v_str("a"), fld(i4, 0));
    struct {
        npg_value *names, *fields;
        const char *why;
    } bad[] = {
        {a, v_none(), "both"},
        {v_none(), fa, "both"},
        {v_str("a"), fa, "tuple"},
        {a, v_tuple(1, fld(i4, 0)), "dict"},
        {v_tuple(1, v_int(1)), fa, "names must be"},
        {v_tuple(1, v_bytes("a")), fa, "names must be"},
        {v_tuple(2, v_str("a"), v_str("a")), fa, "twice"},
        {v_tuple(1, v_str("b")), fa, "no fields entry"},
        {a, v_dict(2, v_str("a"), fld(i4, 0), v_str("z"), fld(i4, 0)), "neither"},
        {a, v_dict(2, v_str("a"), fld(i4, 0), v_int(-1), a), "key"},
        {a, v_dict(1, v_str("a"), v_tuple(1, v_dtype(i4))), "(dtype, offset"},
        {a, v_dict(1, v_str("a"), v_tuple(4, v_dtype(i4), v_int(0), v_str("t"), v_none())), "(dtype, offset"},
        {a, v_dict(1, v_str("a"), v_dtype(i4)), "(dtype, offset"},
        {a, v_dict(1, v_str("a"), v_tuple(2, v_str("i4"), v_int(0))), "not a dtype"},
        {a, v_dict(1, v_str("a"), fld(i4, -1)), "offset"},
        {a, v_dict(1, v_str("a"), v_tuple(2, v_dtype(i4), v_str("0"))), "offset"},
        {a, v_dict(1, v_str("a"), fld(i4, 5)), "past itemsize"},
        {a, v_dict(1, v_str("a"), fld(i4, INT64_MAX)), "past itemsize"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_refused(build_s("V8", st_struct(bad[i].names, bad[i].fields, 8, 1, 16)), NPG_E_DTYPE, bad[i].why);

    /* names/fields on a non-void dtype */
    npg_value *st = v_tuple(8, v_int(3), v_str("<"), v_none(), a, fa, v_int(-1), v_int(-1), v_int(0));
    assert_refused(build_s("f8", st), NPG_E_DTYPE, "only a 'V'");
    /* old layouts: fields[-1] missing */
    st = v_tuple(6, v_int(1), v_str("|"), v_none(), fa, v_int(8), v_int(1));
    assert_refused(build_s("V8", st), NPG_E_DTYPE, "fields[-1]");
    st = v_tuple(5, v_str("|"), v_none(), v_tuple(0), v_int(8), v_int(1));
    assert_refused(build_s("V8", st), NPG_E_DTYPE, "dict");
    /* embedded NUL in a name (names are NUL-terminated for the API) */
    st = st_struct(v_tuple(1, v_textn(NPG_STR, "a\0b", 3)), v_dict(1, v_textn(NPG_STR, "a\0b", 3), fld(i4, 0)), 8, 1, 16);
    assert_refused(build_s("V8", st), NPG_E_DTYPE, "NUL");
}

/* A dtype used inside a state before its own BUILD */
static void test_pending_refused(void **state)
{
    (void)state;
    npg_dtype *pending;
    assert_int_equal(npg__dtype_from_typestr(&F->arena, v_str("i4"), false, &pending, &F->diag), NPG_OK);
    npg_value *pv = node(NPG_DTYPE);
    pv->flags = NPG_VF_PENDING;
    pv->u.pending_dt = pending;
    npg_value *st = st_struct(v_tuple(1, v_str("a")), v_dict(1, v_str("a"), v_tuple(2, pv, v_int(0))), 8, 1, 16);
    assert_refused(build_s("V8", st), NPG_E_PENDING, NULL);
    st = v_tuple(8, v_int(3), v_str("|"), v_tuple(2, pv, v_int(2)), v_none(), v_none(), v_int(8), v_int(4), v_int(0));
    assert_refused(build_s("V8", st), NPG_E_PENDING, NULL);
}

/* ------------------------------------------------------------------ subarrays */

static void test_subarray_forms(void **state)
{
    (void)state;
    const npg_dtype *i2 = mk_num("i2", ">");
    size_t ndim;
    const uint64_t *shape;
    /* numpy.dtype(('>i2', 3)): (3, '|', (dtype('>i2'), (3,)), None, None, 6, 2, 0); NumPy also accepts
     * the int 3 for (3,) */
    const npg_dtype *dt = mk("V6", st_sub(i2, v_int(3), 6, 2));
    assert_ptr_equal(npg_dtype_subarray(dt, &ndim, &shape), i2);
    assert_int_equal(ndim, 1);
    assert_int_equal(shape[0], 3);
    assert_int_equal(npg_dtype_alignment(dt), 2);
    assert_str(dt, "|V6");
    /* alignment -1 derives the base's */
    assert_int_equal(npg_dtype_alignment(mk("V6", st_sub(i2, v_tuple(1, v_int(3)), 6, -1))), 2);
    /* shape () and zero dimensions */
    dt = mk("V2", st_sub(i2, v_tuple(0), 2, 2));
    assert_non_null(npg_dtype_subarray(dt, &ndim, &shape));
    assert_int_equal(ndim, 0);
    dt = mk("V0", st_sub(i2, v_tuple(2, v_int(0), v_int(5)), 0, 2));
    assert_int_equal(npg_dtype_itemsize(dt), 0);
    /* a zero-size base times a huge shape is still consistent */
    const npg_dtype *s0 = mk("S0", st_plain("|", 0, 1, 0));
    assert_int_equal(build_s("V0", st_sub(s0, v_tuple(1, v_int(INT64_MAX)), 0, 1)), NPG_OK);
}

static void test_subarray_refused(void **state)
{
    (void)state;
    const npg_dtype *i2 = mk_num("i2", "<"), *f8 = mk_num("f8", "<");
    assert_refused(build_s("V6", st_sub(i2, v_tuple(1, v_int(2)), 6, 2)), NPG_E_DTYPE, "subarray itemsize");
    assert_refused(build_s("V6", st_sub(i2, v_tuple(1, v_int(-3)), 6, 2)), NPG_E_DTYPE, "dimensions");
    assert_refused(build_s("V6", st_sub(i2, v_tuple(1, v_str("3")), 6, 2)), NPG_E_DTYPE, "dimensions");
    assert_refused(build_s("V6", st_sub(i2, v_str("3"), 6, 2)), NPG_E_DTYPE, "dimensions");
    assert_refused(build_s("V6", st_sub(i2, v_tuple(3, v_int(INT64_MAX), v_int(INT64_MAX), v_int(2)), 6, 2)),
                   NPG_E_DTYPE, "overflows");
    /* not (dtype, shape) */
    npg_value *st = v_tuple(8, v_int(3), v_str("|"), v_tuple(1, v_dtype(i2)), v_none(), v_none(), v_int(2), v_int(2),
                            v_int(0));
    assert_refused(build_s("V2", st), NPG_E_DTYPE, "subarray");
    st = v_tuple(8, v_int(3), v_str("|"), v_tuple(2, v_str("i2"), v_int(1)), v_none(), v_none(), v_int(2), v_int(2),
                 v_int(0));
    assert_refused(build_s("V2", st), NPG_E_DTYPE, "not a dtype");
    /* a subarray on a number, and subarray plus fields */
    st = v_tuple(8, v_int(3), v_str("<"), v_tuple(2, v_dtype(f8), v_int(1)), v_none(), v_none(), v_int(-1), v_int(-1),
                 v_int(0));
    assert_refused(build_s("f8", st), NPG_E_DTYPE, "only a 'V'");
    st = v_tuple(8, v_int(3), v_str("|"), v_tuple(2, v_dtype(f8), v_int(1)), v_tuple(1, v_str("a")),
                 v_dict(1, v_str("a"), fld(f8, 0)), v_int(8), v_int(8), v_int(16));
    assert_refused(build_s("V8", st), NPG_E_DTYPE, "both");
    /* ndim above limits.max_ndim */
    npg_value *dims = v_tuple(0);
    NPG_SEQ(dims).items = npg__arena_alloc(&F->arena, 33 * sizeof(npg_value *));
    for (size_t i = 0; i < 33; i++) NPG_SEQ(dims).items[i] = v_int(1);
    NPG_SEQ(dims).n = 33;
    assert_refused(build_s("V2", st_sub(i2, dims, 2, 2)), NPG_E_LIMIT_NDIM, NULL);
    NPG_SEQ(dims).n = 32;
    assert_int_equal(build_s("V2", st_sub(i2, dims, 2, 2)), NPG_OK);
    F->lim.max_ndim = 4;
    assert_refused(build_s("V2", st_sub(i2, dims, 2, 2)), NPG_E_LIMIT_NDIM, NULL);
}

/* ------------------------------------------------------------------ limits */

static void test_field_limits(void **state)
{
    (void)state;
    const npg_dtype *u1 = mk_num("u1", "|");
    enum { N = 10 };
    const char *names[N];
    char buf[N][16];
    const npg_dtype *dts[N];
    int64_t offs[N];
    for (int i = 0; i < N; i++) {
        snprintf(buf[i], sizeof buf[i], "f%d", i);
        names[i] = buf[i];
        dts[i] = u1;
        offs[i] = i;
    }
    F->lim.max_fields = N;
    const npg_dtype *ten = mk_struct(N, 1, 16, N, names, dts, offs);
    assert_int_equal(ten->total_fields, N);
    F->lim.max_fields = N - 1;
    assert_refused(build_s("V10", st_struct(names_of(N, names), fields_of(N, names, dts, offs), N, 1, 16)),
                   NPG_E_LIMIT_FIELDS, NULL);
    /* over all nesting levels: one field holding a 10-field struct is 11 */
    F->lim.max_fields = N;
    static const char *const one[] = {"s"};
    const npg_dtype *d1[] = {ten};
    static const int64_t o1[] = {0};
    assert_refused(build_s("V10", st_struct(names_of(1, one), fields_of(1, one, d1, o1), N, 1, 16)),
                   NPG_E_LIMIT_FIELDS, NULL);
    /* and through a subarray base */
    F->lim.max_fields = N - 1;
    assert_refused(build_s("V20", st_sub(ten, v_int(2), 20, 1)), NPG_E_LIMIT_FIELDS, NULL);
    /* sharing does not hide the count: each use of a field dtype counts (a walk visits each) */
    F->lim.max_fields = 4096;
    const npg_dtype *cur = ten;
    static const char *const two[] = {"a", "b"};
    for (int level = 0; level < 12; level++) {
        const npg_dtype *dd[] = {cur, cur};
        int64_t oo[] = {0, 0};
        char ts[32];
        snprintf(ts, sizeof ts, "V%d", N);
        const npg_dtype *next = NULL;
        int rc = build(v_str(ts), st_struct(names_of(2, two), fields_of(2, two, dd, oo), N, 1, 16), &next);
        if (rc != NPG_OK) {
            assert_refused(rc, NPG_E_LIMIT_FIELDS, NULL);
            assert_true(level >= 8); /* 10 * 2^9 > 4096 */
            return;
        }
        cur = next;
    }
    fail_msg("doubling never hit max_fields");
}

static void test_depth_limit(void **state)
{
    (void)state;
    const npg_dtype *cur = mk_num("u1", "|");
    /* subarray of subarray of ...: no fields, so only the depth limit stops it */
    for (int i = 2; i <= NPG_DTYPE_MAX_DEPTH; i++) {
        cur = mk("V1", st_sub(cur, v_tuple(0), 1, 1));
        assert_int_equal(cur->depth, (uint32_t)i);
    }
    assert_refused(build_s("V1", st_sub(cur, v_tuple(0), 1, 1)), NPG_E_LIMIT_DEPTH, NULL);
    /* limits.max_depth is honoured when lower */
    F->lim.max_depth = 3;
    const npg_dtype *a = mk("V1", st_sub(mk_num("u1", "|"), v_int(1), 1, 1));
    a = mk("V1", st_sub(a, v_int(1), 1, 1));
    assert_int_equal(a->depth, 3);
    assert_refused(build_s("V1", st_sub(a, v_int(1), 1, 1)), NPG_E_LIMIT_DEPTH, NULL);
}

/* ------------------------------------------------------------------ allocation failures */

static int fail_after; /* allocations left before the hook fails */

static void *counting_malloc(void *ud, size_t n)
{
    (void)ud;
    if (fail_after-- <= 0) return NULL;
    return malloc(n);
}

static void *counting_realloc(void *ud, void *p, size_t o, size_t n)
{
    (void)ud;
    (void)o;
    if (fail_after-- <= 0) return NULL;
    return realloc(p, n);
}

static void counting_free(void *ud, void *p, size_t n)
{
    (void)ud;
    (void)n;
    free(p);
}

/* Build the notes' struct with a fresh arena whose allocator fails after k calls, for every k
 * until it succeeds: each failure must be a clean NPG_E_NOMEM. The nested dtypes and values
 * come from the fixture's arena; only the outer dtype uses the failing one. */
static void test_alloc_failures(void **state)
{
    (void)state;
    const npg_dtype *i4 = mk_num("i4", "<");
    npg_value *t = fld_title(i4, 0, "title");
    npg_value *fields = v_dict(3, v_str("a"), t, v_str("title"), t, v_str("b"), fld(i4, 4));
    npg_value *st = st_struct(v_tuple(2, v_str("a"), v_str("b")), fields, 8, 1, 16);
    npg_alloc hooks = {counting_malloc, counting_realloc, counting_free, NULL};
    for (int k = 0;; k++) {
        npg_mem mem;
        npg_arena arena;
        npg__mem_init(&mem, &hooks, (uint64_t)1 << 30);
        npg__arena_init(&arena, &mem);
        fail_after = k;
        npg_dtype *dt = NULL;
        int rc = npg__dtype_from_typestr(&arena, v_str("V8"), false, &dt, &F->diag);
        if (rc == NPG_OK) rc = npg__dtype_setstate(&arena, &F->lim, dt, st, &F->diag);
        npg__arena_release(&arena);
        assert_int_equal(mem.used, 0);
        if (rc == NPG_OK) {
            assert_true(k > 0);
            break;
        }
        assert_int_equal(rc, NPG_E_NOMEM);
        assert_int_equal(F->diag.code, NPG_E_NOMEM);
        assert_true(k < 100);
    }
    /* a budget too small: NPG_E_LIMIT_ALLOC */
    npg_mem mem;
    npg_arena arena;
    npg__mem_init(&mem, NULL, 100);
    npg__arena_init(&arena, &mem);
    npg_dtype *dt;
    assert_int_equal(npg__dtype_from_typestr(&arena, v_str("f8"), false, &dt, &F->diag), NPG_E_LIMIT_ALLOC);
    npg__arena_release(&arena);
}

/* ------------------------------------------------------------------ npg__dtype_finish directly */

/* The .npy side will fill dtypes by hand: finish must catch inconsistent descriptions too. */
static void test_finish_direct(void **state)
{
    (void)state;
    npg_dtype dt;
    assert_true(npg__dtype_init_plain(&dt, 'f', 8));
    assert_int_equal(npg__dtype_finish(&F->arena, &F->lim, &dt, &F->diag), NPG_OK);
    assert_false(npg__dtype_init_plain(&dt, 'f', 3));
    assert_false(npg__dtype_init_plain(&dt, 'U', 6));
    assert_false(npg__dtype_init_plain(&dt, 'q', 8));

    assert_true(npg__dtype_init_plain(&dt, 'M', 8));
    memcpy(dt.unit, "ns", 3);
    dt.unit_num = 0;
    assert_refused(npg__dtype_finish(&F->arena, &F->lim, &dt, &F->diag), NPG_E_DTYPE, "multiplier");
    assert_true(npg__dtype_init_plain(&dt, 'M', 8));
    memcpy(dt.unit, "xs", 3);
    assert_refused(npg__dtype_finish(&F->arena, &F->lim, &dt, &F->diag), NPG_E_DTYPE, "unit");
    assert_true(npg__dtype_init_plain(&dt, 'f', 8));
    memcpy(dt.unit, "ns", 3);
    assert_refused(npg__dtype_finish(&F->arena, &F->lim, &dt, &F->diag), NPG_E_DTYPE, "unit");

    assert_true(npg__dtype_init_plain(&dt, 'f', 8));
    dt.alignment = 3;
    assert_refused(npg__dtype_finish(&F->arena, &F->lim, &dt, &F->diag), NPG_E_DTYPE, "alignment");
    assert_true(npg__dtype_init_plain(&dt, 'V', 8));
    dt.flags = NPG_DT_RECORD;
    assert_refused(npg__dtype_finish(&F->arena, &F->lim, &dt, &F->diag), NPG_E_DTYPE, "record");

    /* duplicate names and a title equal to a name */
    const npg_dtype *u1 = mk_num("u1", "|");
    npg_field fields[2] = {{"a", 1, NULL, 0, u1, 0}, {"a", 1, NULL, 0, u1, 1}};
    assert_true(npg__dtype_init_plain(&dt, 'V', 2));
    dt.flags = NPG_DT_STRUCTURED;
    dt.fields = fields;
    dt.nfields = 2;
    assert_refused(npg__dtype_finish(&F->arena, &F->lim, &dt, &F->diag), NPG_E_DTYPE, "twice");
    fields[1] = (npg_field){"b", 1, "a", 1, u1, 1};
    assert_refused(npg__dtype_finish(&F->arena, &F->lim, &dt, &F->diag), NPG_E_DTYPE, "twice");
    fields[1] = (npg_field){"b", 1, "c", 1, u1, 1};
    assert_int_equal(npg__dtype_finish(&F->arena, &F->lim, &dt, &F->diag), NPG_OK);
    assert_descr(&dt, "[('a', '|u1'), (('c', 'b'), '|u1')]");
    /* fields without the structured flag */
    dt.flags = 0;
    assert_refused(npg__dtype_finish(&F->arena, &F->lim, &dt, &F->diag), NPG_E_DTYPE, "structured");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_plain_dtypes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_typestr_spellings, setup, teardown),
        cmocka_unit_test_setup_teardown(test_typestr_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_datetime_units, setup, teardown),
        cmocka_unit_test_setup_teardown(test_datetime_metadata_forms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_datetime_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_metadata_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_state_versions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_state_shape_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_byteorder_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sizes_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flags, setup, teardown),
        cmocka_unit_test_setup_teardown(test_struct_simple, setup, teardown),
        cmocka_unit_test_setup_teardown(test_struct_aligned_padding, setup, teardown),
        cmocka_unit_test_setup_teardown(test_struct_aligned_flags_both_signs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_struct_titles, setup, teardown),
        cmocka_unit_test_setup_teardown(test_struct_titles_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_struct_empty, setup, teardown),
        cmocka_unit_test_setup_teardown(test_struct_subarray_of_subarray, setup, teardown),
        cmocka_unit_test_setup_teardown(test_struct_notes_case, setup, teardown),
        cmocka_unit_test_setup_teardown(test_struct_object_field, setup, teardown),
        cmocka_unit_test_setup_teardown(test_object_overlap_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_struct_datetime_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_struct_subarray_of_struct, setup, teardown),
        cmocka_unit_test_setup_teardown(test_struct_flexible_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_struct_aligned_nested, setup, teardown),
        cmocka_unit_test_setup_teardown(test_descr_quoting, setup, teardown),
        cmocka_unit_test_setup_teardown(test_descr_undefined, setup, teardown),
        cmocka_unit_test_setup_teardown(test_descr_plain_and_truncation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dtype_str_truncation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_record, setup, teardown),
        cmocka_unit_test_setup_teardown(test_py2_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_names_fields_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pending_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_subarray_forms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_subarray_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_field_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_depth_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alloc_failures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_finish_direct, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
