/* The descr grammar of a .npy header, as NumPy's dtype_to_descr() and repr() write it, built into
 * the dtype NumPy's descr_to_dtype() makes of it:
 *
 *   descr   := typestr | fields
 *   fields  := '[' ']' | '[' field (', ' field)* ']'
 *   field   := '(' name ', ' fmt [', ' shape] ')'
 *   name    := str | '(' str ', ' str ')'               (title, name)
 *   fmt     := typestr | fields | '(' fmt ', ' shape ')'
 *   typestr := str holding [<>|] kind size, or [<>]M8 / [<>]m8 with an optional [unit]
 *
 * Offsets follow the list order: each field starts where the previous one (or a padding entry
 * ('', '|Vn')) ended, and the itemsize is the sum. Padding entries become gaps, not fields.
 *
 * The grammar is recursive. The recursion is bounded: every nested list or subarray adds one
 * dtype level, and a level beyond min(limits.max_depth, NPG_DTYPE_MAX_DEPTH) (64) is refused
 * before descending, so the C stack holds at most 64 frames of each function. */
#include <string.h>

#include "../common/checked.h"
#include "../dtype/dtype.h"
#include "npy.h"
#include "parse.h"

static int fmt(npg_hp *hp, size_t depth, const npg_dtype **out, bool *plain);

static int enter(npg_hp *hp, size_t depth)
{
    if (depth > hp->max_depth)
        return npg__hp_fail(hp, NPG_E_LIMIT_DEPTH, hp->cur.pos, "dtype nested more than %zu levels deep",
                            hp->max_depth);
    return NPG_OK;
}

/* npg__dtype_finish with its verdict reported at off; an invalid dtype is a bad descr. */
static int finish(npg_hp *hp, npg_dtype *dt, size_t off)
{
    npg_diag d;
    int rc = npg__dtype_finish(hp->arena, hp->lim, dt, &d);
    if (rc == NPG_OK) return NPG_OK;
    return npg__hp_fail(hp, rc == NPG_E_DTYPE ? NPG_E_NPY_DESCR : rc, off, "%s", d.msg);
}

static npg_dtype *new_dtype(npg_hp *hp)
{
    npg_dtype *dt = npg__arena_zalloc(hp->arena, sizeof *dt);
    if (!dt) npg__hp_fail_alloc(hp);
    return dt;
}

/* ------------------------------------------------------------------ typestr */

/* Decimal digits as dtype.str writes them: no leading zero, at most max. */
static bool ts_number(npg_cur *c, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    size_t start = c->pos;
    uint8_t b;
    while (npg__cur_left(c) > 0 && (b = c->p[c->pos]) >= '0' && b <= '9') {
        if (c->pos > start && v == 0) return false;
        if (!npg__mul_u64(v, 10, &v) || !npg__add_u64(v, (uint64_t)(b - '0'), &v) || v > max) return false;
        c->pos++;
    }
    *out = v;
    return c->pos > start;
}

/* "[unit]" or "[Nunit]" after M8/m8. dtype.str omits a multiplier of 1 and never names the
 * generic unit, so neither is accepted. */
static bool ts_unit(npg_cur *c, npg_dtype *dt)
{
    uint64_t num = 1;
    const uint8_t *unit;
    uint8_t b;
    if (npg__cur_left(c) > 0 && c->p[c->pos] >= '0' && c->p[c->pos] <= '9') {
        if (!ts_number(c, INT32_MAX, &num) || num < 2) return false;
    }
    size_t start = c->pos;
    while (npg__cur_left(c) > 0 && c->p[c->pos] != ']') c->pos++;
    size_t n = c->pos - start;
    if (!npg__cur_u8(c, &b) || npg__cur_left(c) != 0) return false; /* the ']' ends the typestr */
    unit = c->p + start;
    if (n >= sizeof dt->unit || !npg__dtype_unit_valid(unit, n) || (n == 7 && !memcmp(unit, "generic", 7)))
        return false;
    memcpy(dt->unit, unit, n);
    dt->unit[n] = '\0';
    dt->unit_num = (uint32_t)num;
    return true;
}

/* The kind, size and unit of a typestr body s[0..n) into dt (byte order still to check). */
static bool ts_parse(const char *s, size_t n, bool top, npg_dtype *dt)
{
    npg_cur c;
    uint8_t bo, kind;
    uint64_t size = 0;
    npg__cur_init(&c, (const uint8_t *)s, n);
    if (!npg__cur_u8(&c, &bo) || !npg__cur_u8(&c, &kind) || !strchr("<>|", bo) || bo == 0) return false;
    if (kind == 0 || !strchr("biufcSUVOMm", kind)) return false;
    if (kind == 'O') {
        /* dtype.str is '|O' since NumPy 1.10; before, it held the pointer size: '|O8' (64-bit),
         * '|O4' (32-bit). NumPy still reads both as objects (typestr() records them). */
        size = 8;
        uint8_t ptr;
        if (npg__cur_left(&c) != 0 && (!npg__cur_u8(&c, &ptr) || (ptr != '8' && ptr != '4'))) return false;
    } else if (!ts_number(&c, (uint64_t)INT64_MAX, &size)) {
        return false;
    }
    if (kind == 'U' && !npg__mul_u64(size, 4, &size)) return false; /* counted in UCS-4 units */
    /* 'S0'/'U0' arrays do not exist (NumPy turns them into S1/U1); in fields they do */
    if (top && size == 0 && (kind == 'S' || kind == 'U')) return false;
    /* i386's 12-byte long double: the dtype model knows it (pickles), x86-64 NumPy refuses it */
    if ((kind == 'f' && size == 12) || (kind == 'c' && size == 24)) return false;
    if (!npg__dtype_init_plain(dt, (char)kind, size)) return false;
    dt->byteorder = (char)bo;
    if (kind == 'M' || kind == 'm') {
        uint8_t b;
        if (npg__cur_left(&c) == 0) return true; /* generic unit */
        if (!npg__cur_u8(&c, &b) || b != '[' || !ts_unit(&c, dt)) return false;
    }
    return npg__cur_left(&c) == 0;
}

static int typestr(npg_hp *hp, bool top, const npg_dtype **out)
{
    size_t start = hp->cur.pos, n;
    const char *s;
    char esc[48];
    int rc = npg__hp_str(hp, NPG_E_NPY_DESCR, &s, &n, NULL);
    if (rc) return rc;
    npg_dtype *dt = new_dtype(hp);
    if (!dt) return hp->d->code;
    if (!ts_parse(s, n, top, dt)) {
        npg__escape(esc, sizeof esc, s, n);
        return npg__hp_fail(hp, NPG_E_NPY_DESCR, start, "'%s' is not a type string NumPy writes", esc);
    }
    if ((rc = finish(hp, dt, start))) return rc; /* byte order against kind and size */
    if (dt->kind == 'O' && n > 2) npg__npy_legacy_mark(hp->legacy, NPG_NPY_OLD_OBJECT_SIZE, start);
    *out = dt;
    return NPG_OK;
}

/* ------------------------------------------------------------------ subarrays */

static int subarray(npg_hp *hp, size_t start, const npg_dtype *base, const uint64_t *dims, size_t nd,
                    const npg_dtype **out)
{
    uint64_t size = base->itemsize;
    /* NumPy writes a subarray with a () shape as the plain type */
    if (nd == 0) return npg__hp_fail(hp, NPG_E_NPY_DESCR, start, "subarray with an empty shape");
    for (size_t i = 0; i < nd; i++) {
        if (!npg__mul_u64(size, dims[i], &size) || size > (uint64_t)INT64_MAX)
            return npg__hp_fail(hp, NPG_E_NPY_DESCR, start, "subarray size overflows");
    }
    npg_dtype *dt = new_dtype(hp);
    uint64_t *shape = npg__arena_alloc(hp->arena, nd * sizeof *shape);
    if (!dt || !shape) return dt ? npg__hp_fail_alloc(hp) : hp->d->code;
    memcpy(shape, dims, nd * sizeof *shape);
    dt->kind = 'V';
    dt->byteorder = '|';
    dt->itemsize = size;
    dt->base = base;
    dt->sub_ndim = nd;
    dt->sub_shape = shape;
    int rc = finish(hp, dt, start);
    if (rc == NPG_OK) *out = dt;
    return rc;
}

/* '(' fmt ', ' shape ')' in a format position: a subarray whose base may itself be one. */
static int subarray_fmt(npg_hp *hp, size_t depth, const npg_dtype **out)
{
    size_t start = hp->cur.pos, nd;
    uint64_t dims[NPG_MAX_NDIM];
    const npg_dtype *base;
    bool plain;
    int rc;
    if ((rc = enter(hp, depth + 1))) return rc;
    if ((rc = npg__hp_expect(hp, "(", NPG_E_NPY_DESCR, "'('"))) return rc;
    if ((rc = fmt(hp, depth + 1, &base, &plain))) return rc;
    if ((rc = npg__hp_expect(hp, ", ", NPG_E_NPY_DESCR, "', ' before a subarray shape"))) return rc;
    if ((rc = npg__hp_shape(hp, NPG_E_NPY_DESCR, dims, &nd))) return rc;
    if ((rc = npg__hp_expect(hp, ")", NPG_E_NPY_DESCR, "')' after a subarray shape"))) return rc;
    return subarray(hp, start, base, dims, nd, out);
}

/* ------------------------------------------------------------------ fields */

typedef struct field_list {
    npg_field *items;
    size_t n, cap;
    uint64_t offset;  /* where the next entry starts */
    bool last_was_pad;
} field_list;

static int push_field(npg_hp *hp, field_list *fl, const npg_field *f, size_t at)
{
    if (fl->n >= hp->lim->max_fields)
        return npg__hp_fail(hp, NPG_E_LIMIT_FIELDS, at, "more than %zu fields (limits.max_fields)",
                            hp->lim->max_fields);
    if (fl->n == fl->cap) {
        size_t cap = fl->cap ? fl->cap * 2 : 8;
        npg_field *p = npg__arena_grow(hp->arena, fl->items, fl->n * sizeof *p, cap * sizeof *p);
        if (!p) return npg__hp_fail_alloc(hp);
        fl->items = p;
        fl->cap = cap;
    }
    fl->items[fl->n++] = *f;
    return NPG_OK;
}

/* name := str | '(' title ', ' name ')' */
/* A name or title: a str without NUL (C strings; NumPy would keep it). */
static int name_str(npg_hp *hp, const char **s, size_t *n)
{
    size_t at = hp->cur.pos;
    int rc = npg__hp_str(hp, NPG_E_NPY_DESCR, s, n, NULL);
    if (rc == NPG_OK && memchr(*s, 0, *n))
        return npg__hp_fail(hp, NPG_E_NPY_DESCR, at, "field name or title holds a NUL");
    return rc;
}

/* Under Python 2 a title could be a unicode object, whose repr is u'...' (names could not:
 * NumPy < 1.15 refused unicode names there, later ones encoded them to str); the u prefix
 * changes nothing in Python 3. */
static void py2_unicode_title(npg_hp *hp)
{
    size_t at = hp->cur.pos;
    if (!hp->py2 || npg__cur_left(&hp->cur) < 2 || hp->cur.p[at] != 'u') return;
    if (hp->cur.p[at + 1] != '\'' && hp->cur.p[at + 1] != '"') return;
    hp->cur.pos++;
    npg__npy_legacy_mark(hp->legacy, NPG_NPY_OLD_UNICODE_TITLE, at);
}

static int field_name(npg_hp *hp, npg_field *f, bool *titled)
{
    int rc;
    *titled = npg__hp_accept(hp, "(");
    if (*titled) {
        py2_unicode_title(hp);
        if ((rc = name_str(hp, &f->title, &f->title_len))) return rc;
        if ((rc = npg__hp_expect(hp, ", ", NPG_E_NPY_DESCR, "', ' between title and name"))) return rc;
    }
    if ((rc = name_str(hp, &f->name, &f->name_len))) return rc;
    return *titled ? npg__hp_expect(hp, ")", NPG_E_NPY_DESCR, "')' after a field name") : NPG_OK;
}

/* Decide what NumPy's descr_to_dtype makes of a field named '': a plain void ('', '|Vn') is
 * padding (a gap); anything else void and unnamed (a subarray) would be dropped as padding too,
 * which NumPy never writes, so it is refused; other types stay a field named ''. */
static int classify_unnamed(npg_hp *hp, const npg_dtype *dt, bool plain, size_t at, bool *pad)
{
    *pad = false;
    if (dt->kind != 'V' || (dt->flags & NPG_DT_STRUCTURED)) return NPG_OK;
    if (!plain)
        return npg__hp_fail(hp, NPG_E_NPY_DESCR, at, "unnamed subarray field (NumPy drops it as padding)");
    if (dt->itemsize == 0) return npg__hp_fail(hp, NPG_E_NPY_DESCR, at, "empty padding entry");
    *pad = true;
    return NPG_OK;
}

static int field(npg_hp *hp, size_t depth, field_list *fl)
{
    size_t start = hp->cur.pos, nd;
    uint64_t dims[NPG_MAX_NDIM];
    npg_field f;
    const npg_dtype *dt;
    bool titled, plain, pad = false;
    int rc;
    memset(&f, 0, sizeof f);
    if ((rc = npg__hp_expect(hp, "(", NPG_E_NPY_DESCR, "'(' opening a field"))) return rc;
    if ((rc = field_name(hp, &f, &titled))) return rc;
    if ((rc = npg__hp_expect(hp, ", ", NPG_E_NPY_DESCR, "', ' after a field name"))) return rc;
    if ((rc = fmt(hp, depth + 1, &dt, &plain))) return rc;
    if (npg__hp_accept(hp, ", ")) {
        /* (name, base, shape): the field is a subarray one level further down */
        if ((rc = enter(hp, depth + 2))) return rc;
        size_t at = hp->cur.pos;
        if ((rc = npg__hp_shape(hp, NPG_E_NPY_DESCR, dims, &nd))) return rc;
        if ((rc = subarray(hp, at, dt, dims, nd, &dt))) return rc;
        plain = false;
    }
    if ((rc = npg__hp_expect(hp, ")", NPG_E_NPY_DESCR, "')' closing a field"))) return rc;
    if (!titled && f.name_len == 0 && (rc = classify_unnamed(hp, dt, plain, start, &pad))) return rc;
    if (pad && fl->last_was_pad)
        return npg__hp_fail(hp, NPG_E_NPY_DESCR, start, "two padding entries in a row (NumPy writes one per gap)");
    f.dtype = dt;
    f.offset = fl->offset;
    if (!npg__add_u64(fl->offset, dt->itemsize, &fl->offset) || fl->offset > (uint64_t)INT64_MAX)
        return npg__hp_fail(hp, NPG_E_NPY_DESCR, start, "structure size overflows");
    fl->last_was_pad = pad;
    return pad ? NPG_OK : push_field(hp, fl, &f, start);
}

static int fields(npg_hp *hp, size_t depth, const npg_dtype **out)
{
    size_t start = hp->cur.pos;
    field_list fl;
    int rc;
    memset(&fl, 0, sizeof fl);
    if ((rc = enter(hp, depth))) return rc;
    if ((rc = npg__hp_expect(hp, "[", NPG_E_NPY_DESCR, "'['"))) return rc;
    if (!npg__hp_accept(hp, "]")) {
        for (;;) {
            if ((rc = field(hp, depth, &fl))) return rc;
            if (npg__hp_accept(hp, "]")) break;
            if ((rc = npg__hp_expect(hp, ", ", NPG_E_NPY_DESCR, "', ' or ']' after a field"))) return rc;
        }
    }
    npg_dtype *dt = new_dtype(hp);
    if (!dt) return hp->d->code;
    dt->kind = 'V';
    dt->byteorder = '|';
    dt->flags = NPG_DT_STRUCTURED; /* from a dict without align=True: not an aligned struct */
    dt->itemsize = fl.offset;
    dt->fields = fl.items;
    dt->nfields = fl.n;
    if ((rc = finish(hp, dt, start))) return rc;
    *out = dt;
    return NPG_OK;
}

/* fmt := typestr | fields | '(' fmt ', ' shape ')'; *plain tells a bare typestr. */
static int fmt(npg_hp *hp, size_t depth, const npg_dtype **out, bool *plain)
{
    uint8_t b;
    *plain = false;
    if (!npg__hp_peek(hp, &b)) return npg__hp_fail(hp, NPG_E_NPY_DESCR, hp->cur.pos, "descr ends early");
    if (b == '[') return fields(hp, depth, out);
    if (b == '(') return subarray_fmt(hp, depth, out);
    *plain = true;
    return typestr(hp, false, out);
}

int npg__hp_descr(npg_hp *hp, const npg_dtype **out)
{
    uint8_t b;
    if (!npg__hp_peek(hp, &b)) return npg__hp_fail(hp, NPG_E_NPY_DESCR, hp->cur.pos, "descr missing");
    if (b == '[') return fields(hp, 1, out);
    if (b == '\'' || b == '"') return typestr(hp, true, out);
    /* dtype_to_descr never gives a tuple; NumPy would append the subarray shape to the array's
     * and then fail to reshape the data */
    if (b == '(') return npg__hp_fail(hp, NPG_E_NPY_DESCR, hp->cur.pos, "top-level subarray descr");
    return npg__hp_fail(hp, NPG_E_NPY_DESCR, hp->cur.pos, "descr is neither a type string nor a field list");
}
