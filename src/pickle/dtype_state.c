/* Rebuilding a dtype from its pickle: numpy.dtype(typestr, align, copy) then BUILD(state)
 * (../shared/notes/numpy-pickles.md sections 4.3 and 11.3). This file turns the state tuple into
 * the npg_dtype description; npg__dtype_finish then checks the layout as a whole. Field and base
 * dtypes inside the state are already finished dtype objects, so nothing here recurses. */
#include "dtype_state.h"

#include <stdlib.h>
#include <string.h>

#include "../common/checked.h"

/* ------------------------------------------------------------------ value views */

/* Typestrs, byte orders and datetime units: str, Python-2 str (py2str) or bytes (NumPy writes
 * the unit as bytes, and accepts either for the others). */
static bool as_code(const npg_value *v, const uint8_t **p, size_t *n)
{
    uint64_t n64;
    if (npg__as_text(v, p, n)) return true;
    return npg__as_raw(v, p, &n64) && npg__u64_to_sz(n64, n);
}

/* Field names and titles: str, or an ASCII py2str. NumPy decodes Python-2 names as ASCII;
 * anything else would read differently under encoding='latin1' and encoding='bytes'. */
static bool as_name(const npg_value *v, const uint8_t **p, size_t *n)
{
    if (v->kind == NPG_STR) return npg__as_text(v, p, n);
    if (v->kind != NPG_K_PY2STR || !npg__as_text(v, p, n)) return false;
    for (size_t i = 0; i < *n; i++) {
        if ((*p)[i] >= 0x80) return false;
    }
    return true;
}

static bool is_none(const npg_value *v) { return v->kind == NPG_NONE; }

static bool is_dict(const npg_value *v) { return v->kind == NPG_DICT || v->kind == NPG_ORDERED_DICT; }

/* A dtype object inside the state: it must have had its own BUILD (NumPy mutates dtypes in
 * place, so a pending one could still change under us). */
static int finished_dtype(const npg_value *v, const char *what, const npg_dtype **out, npg_diag *d)
{
    if (v->kind != NPG_DTYPE) return npg__diag(d, NPG_E_DTYPE, "%s is not a dtype", what);
    if (v->flags & NPG_VF_PENDING)
        return npg__diag(d, NPG_E_PENDING, "%s is a dtype still waiting for its BUILD", what);
    if (!v->u.dt) return npg__diag(d, NPG_E_INTERNAL, "%s: dtype node without a dtype", what);
    *out = v->u.dt;
    return NPG_OK;
}

static char *copy_text(npg_arena *a, const uint8_t *p, size_t n)
{
    size_t size;
    if (!npg__add_sz(n, 1, &size)) return NULL;
    char *s = npg__arena_alloc(a, size);
    if (!s) return NULL;
    memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

static int no_memory(npg_arena *a, npg_diag *d)
{
    return npg__diag(d, a->mem->status != NPG_OK ? a->mem->status : NPG_E_NOMEM,
                     "out of memory building a dtype");
}

/* ------------------------------------------------------------------ REDUCE: the typestr */

/* "%c%d" as NumPy writes it: a kind letter, then a decimal size without leading zeros. */
static bool parse_typestr(const uint8_t *p, size_t n, char *kind, uint64_t *num)
{
    if (n < 2 || n > 20 || p[0] == 0 || !strchr("biufcOSUVMm", p[0])) return false;
    if (p[1] == '0' && n > 2) return false;
    uint64_t v = 0;
    for (size_t i = 1; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') return false;
        if (!npg__mul_u64(v, 10, &v) || !npg__add_u64(v, (uint64_t)(p[i] - '0'), &v)) return false;
    }
    *kind = (char)p[0];
    *num = v;
    return true;
}

static int init_from_typestr(npg_dtype *dt, const npg_value *obj, npg_diag *d)
{
    const uint8_t *p;
    size_t n;
    char kind, esc[32];
    uint64_t num, itemsize;
    if (!obj || !as_code(obj, &p, &n))
        return npg__diag(d, NPG_E_DTYPE, "dtype() argument is not a typestr");
    npg__escape(esc, sizeof esc, p, n);
    if (!parse_typestr(p, n, &kind, &num))
        return npg__diag(d, NPG_E_DTYPE, "'%s' is not a typestr NumPy writes", esc);
    itemsize = num;
    if (kind == 'U' && !npg__mul_u64(num, 4, &itemsize)) /* U<n> counts UCS-4 characters */
        return npg__diag(d, NPG_E_DTYPE, "typestr '%s' is too large", esc);
    if (!npg__dtype_init_plain(dt, kind, itemsize))
        return npg__diag(d, NPG_E_DTYPE, "typestr '%s' names no NumPy dtype", esc);
    return NPG_OK;
}

int npg__dtype_from_typestr(npg_arena *a, const npg_value *obj, bool is_record, npg_dtype **out,
                            npg_diag *d)
{
    *out = NULL;
    npg_dtype *dt = npg__arena_alloc(a, sizeof *dt);
    if (!dt) return no_memory(a, d);
    if (is_record) {
        /* numpy.record: a structured void whose size and layout only the state gives */
        npg__dtype_init_plain(dt, 'V', 0);
        dt->flags = NPG_DT_RECORD;
    } else {
        int rc = init_from_typestr(dt, obj, d);
        if (rc) return rc;
    }
    *out = dt;
    return NPG_OK;
}

/* ------------------------------------------------------------------ BUILD: the state tuple */

typedef struct dt_state {
    int64_t version;
    const npg_value *endian, *subarray, *names, *fields, *elsize, *alignment;
    const npg_value *flags;    /* NULL before version 3 */
    const npg_value *metadata; /* NULL unless the 9-tuple */
    bool names_in_fields;      /* versions 0 and 1: names are fields[-1] */
} dt_state;

/* NumPy picks the layout by tuple length; each length has one version in what NumPy writes
 * (6-tuples: 0 or 1, which NumPy reads alike). Lengths >= 10 made NumPy <= 2.4 read
 * uninitialised variables (NumPy issue #30476). */
static int unpack_state(const npg_value *state, dt_state *st, npg_diag *d)
{
    size_t n, i = 0;
    npg_value **it = npg__tuple_items(state, &n);
    memset(st, 0, sizeof *st);
    if (!it) return npg__diag(d, NPG_E_DTYPE, "dtype state is not a tuple");
    if (n < 5 || n > 9) return npg__diag(d, NPG_E_DTYPE, "dtype state has %zu items, not 5 to 9", n);
    if (n > 5 && !npg__as_i64(it[i++], &st->version))
        return npg__diag(d, NPG_E_DTYPE, "dtype state version is not an int");
    bool ok = n == 9 ? st->version == 4
            : n == 8 ? st->version == 3
            : n == 7 ? st->version == 2
            : n == 6 ? (st->version == 0 || st->version == 1)
                     : true;
    if (!ok)
        return npg__diag(d, NPG_E_DTYPE, "dtype state version %lld does not fit a %zu-tuple",
                         (long long)st->version, n);
    st->endian = it[i++];
    st->subarray = it[i++];
    st->names_in_fields = n <= 6;
    if (!st->names_in_fields) st->names = it[i++];
    st->fields = it[i++];
    st->elsize = it[i++];
    st->alignment = it[i++];
    if (n >= 8) st->flags = it[i++];
    if (n == 9) st->metadata = it[i++];
    return NPG_OK;
}

static int apply_byteorder(npg_dtype *dt, const npg_value *v, npg_diag *d)
{
    const uint8_t *p;
    size_t n;
    if (!as_code(v, &p, &n) || n != 1 || p[0] == 0 || !strchr("<>|=", p[0]))
        return npg__diag(d, NPG_E_DTYPE, "dtype byte order must be one of '<', '>', '|', '='");
    dt->byteorder = p[0] == '=' ? '<' : (char)p[0]; /* native is little-endian in this library */
    return NPG_OK;
}

static bool is_small_power_of_two(int64_t v) { return v >= 1 && v <= 16 && (v & (v - 1)) == 0; }

/* NumPy uses elsize/alignment only for S, U and V and ignores them otherwise; we require what
 * NumPy writes: -1 for fixed kinds, the typestr's size for S/U/V. */
static int apply_sizes(npg_dtype *dt, const dt_state *st, npg_diag *d)
{
    int64_t elsize, align;
    if (!npg__as_i64(st->elsize, &elsize) || !npg__as_i64(st->alignment, &align))
        return npg__diag(d, NPG_E_DTYPE, "dtype elsize and alignment must be ints");
    if (dt->kind == 'V') {
        if (dt->flags & NPG_DT_RECORD) {
            if (elsize < 0) return npg__diag(d, NPG_E_DTYPE, "record dtype elsize %lld < 0", (long long)elsize);
            dt->itemsize = (uint64_t)elsize;
        } else if (elsize < 0 || (uint64_t)elsize != dt->itemsize) {
            return npg__diag(d, NPG_E_DTYPE, "elsize %lld differs from the typestr's V%llu", (long long)elsize,
                             (unsigned long long)dt->itemsize);
        }
        if (align != -1 && !is_small_power_of_two(align))
            return npg__diag(d, NPG_E_DTYPE, "void dtype alignment %lld is not -1 or a power of two <= 16",
                             (long long)align);
        dt->alignment = align == -1 ? 0 : (uint64_t)align; /* 0: derived by npg__dtype_finish */
        return NPG_OK;
    }
    if (dt->kind == 'S' || dt->kind == 'U') {
        if (elsize < 0 || (uint64_t)elsize != dt->itemsize || (uint64_t)align != dt->alignment)
            return npg__diag(d, NPG_E_DTYPE, "'%c' dtype needs elsize %llu and alignment %llu, not %lld and %lld",
                             dt->kind, (unsigned long long)dt->itemsize,
                             (unsigned long long)dt->alignment, (long long)elsize, (long long)align);
        return NPG_OK;
    }
    if (elsize != -1 || align != -1)
        return npg__diag(d, NPG_E_DTYPE, "'%c' dtype needs elsize and alignment -1, not %lld and %lld",
                         dt->kind, (long long)elsize, (long long)align);
    return NPG_OK;
}

/* The pickled flags are NumPy's internal bits. ALIGNED_STRUCT (0x80) says something the layout
 * does not, so it is taken from them; NumPy 1.x on signed-char platforms writes it as -112 (0x90
 * as a char), NumPy 2 and unsigned-char builds as 144: f & 0xFF reads both alike. The rest must
 * be what NumPy computes (check_flags, once the dtype is complete). Before version 3 there are no
 * flags (NumPy recomputes them too). */
static int apply_flags(npg_dtype *dt, const dt_state *st, npg_diag *d)
{
    int64_t f;
    if (!st->flags) return NPG_OK;
    if (!npg__as_i64(st->flags, &f) || f < -128 || f > 255)
        return npg__diag(d, NPG_E_DTYPE, "dtype flags must be an int in -128..255");
    if (((uint64_t)f & 0xFF) & 0x80) dt->flags |= NPG_DT_ALIGNED_STRUCT;
    return NPG_OK;
}

/* NumPy takes the pickled flags as they are, and those about objects (refcounting, pointers,
 * list pickling, zeroing) and item access (NPY_USE_GETITEM, NPY_USE_SETITEM) change how it
 * touches the array's memory: an f8 dtype claiming object flags, or a datetime claiming
 * NPY_USE_GETITEM (which crashes NumPy 1.24), must not pass. NPY_NEEDS_PYAPI (0x10) only says
 * whether NumPy may release the GIL, and early NumPy left it off structured dtypes; NEEDS_INIT
 * only matters with objects. */
static int check_flags(const npg_dtype *dt, const dt_state *st, npg_diag *d)
{
    int64_t f;
    if (!st->flags || !npg__as_i64(st->flags, &f)) return NPG_OK;
    unsigned mask = 0x67 | ((dt->flags & NPG_DT_HAS_OBJECT) ? 0x08 : 0);
    if (((unsigned)((uint64_t)f & 0xFF) & mask) != (dt->numpy_flags & mask))
        return npg__diag(d, NPG_E_DTYPE, "dtype flags %lld are not NumPy's for this dtype (%u)", (long long)f,
                         dt->numpy_flags);
    return NPG_OK;
}

/* (unit, num[, den[, events]]); NumPy 1.24 reads a 3-tuple as (unit, num, events). Either way
 * the extra items must be 1: NumPy would rescale for den != 1 and ignores events, and its own
 * pickles always hold 1. */
static int apply_datetime_unit(npg_dtype *dt, const npg_value *v, npg_diag *d)
{
    size_t n, ulen;
    const uint8_t *unit;
    int64_t num, extra;
    npg_value **it = npg__tuple_items(v, &n);
    if (!it || n < 2 || n > 4)
        return npg__diag(d, NPG_E_DTYPE, "datetime metadata must be (unit, num[, den[, events]])");
    if (!as_code(it[0], &unit, &ulen) || !npg__dtype_unit_valid(unit, ulen))
        return npg__diag(d, NPG_E_DTYPE, "invalid datetime unit");
    if (!npg__as_i64(it[1], &num) || num < 1 || num > INT32_MAX)
        return npg__diag(d, NPG_E_DTYPE, "datetime multiplier must be an int in 1..2147483647");
    for (size_t i = 2; i < n; i++) {
        if (!npg__as_i64(it[i], &extra) || extra != 1)
            return npg__diag(d, NPG_E_DTYPE, "datetime denominator and event count must be 1");
    }
    memcpy(dt->unit, unit, ulen); /* valid units are at most 7 bytes */
    dt->unit[ulen] = '\0';
    dt->unit_num = (uint32_t)num;
    return NPG_OK;
}

static int apply_metadata(npg_dtype *dt, const dt_state *st, npg_diag *d)
{
    const npg_value *md = st->metadata;
    if (dt->kind != 'M' && dt->kind != 'm') {
        /* dtype.metadata is user data NumPy never acts on; it is dropped here (no accessor,
         * and a .npy header cannot carry it) */
        if (md && !is_none(md) && !is_dict(md))
            return npg__diag(d, NPG_E_DTYPE, "dtype metadata must be a dict or None");
        return NPG_OK;
    }
    /* Without metadata (8-tuple, or None) NumPy 1.24 gives the generic unit. NumPy >= 2.4
     * crashes on the 8-tuple; we follow 1.24. */
    if (!md || is_none(md)) {
        memcpy(dt->unit, "generic", sizeof "generic");
        dt->unit_num = 1;
        return NPG_OK;
    }
    size_t n;
    npg_value **it = npg__tuple_items(md, &n);
    if (!it || n != 2 || !(is_none(it[0]) || is_dict(it[0])))
        return npg__diag(d, NPG_E_DTYPE, "datetime dtype metadata must be (dict or None, unit tuple)");
    return apply_datetime_unit(dt, it[1], d); /* the dict part is dropped, as above */
}

static int read_dim(const npg_value *v, uint64_t *out, npg_diag *d)
{
    int64_t x;
    if (!npg__as_i64(v, &x) || x < 0)
        return npg__diag(d, NPG_E_DTYPE, "subarray dimensions must be ints >= 0");
    *out = (uint64_t)x;
    return NPG_OK;
}

/* (base, shape) with shape a tuple of ints, or one int (NumPy makes it a 1-tuple). */
static int apply_subarray(npg_arena *a, const npg_limits *lim, npg_dtype *dt, const npg_value *v,
                          npg_diag *d)
{
    size_t n, ndim;
    int rc;
    if (is_none(v)) return NPG_OK;
    npg_value **it = npg__tuple_items(v, &n);
    if (!it || n != 2) return npg__diag(d, NPG_E_DTYPE, "dtype subarray must be (dtype, shape)");
    if ((rc = finished_dtype(it[0], "subarray base", &dt->base, d))) return rc;
    const npg_value *shape = it[1];
    npg_value **dims = npg__tuple_items(shape, &ndim);
    if (!dims) ndim = 1;
    if (ndim > lim->max_ndim || ndim > NPG_MAX_NDIM)
        return npg__diag(d, NPG_E_LIMIT_NDIM, "subarray has %zu dimensions (limit %zu)", ndim,
                         lim->max_ndim);
    dt->sub_ndim = ndim;
    if (ndim == 0) return NPG_OK;
    dt->sub_shape = npg__arena_alloc(a, ndim * sizeof *dt->sub_shape); /* ndim <= 64 */
    if (!dt->sub_shape) return no_memory(a, d);
    if (!dims) return read_dim(shape, &dt->sub_shape[0], d);
    for (size_t i = 0; i < ndim; i++) {
        if ((rc = read_dim(dims[i], &dt->sub_shape[i], d))) return rc;
    }
    return NPG_OK;
}

/* ------------------------------------------------------------------ BUILD: names and fields */

/* One text key of the fields dict: a field name or a title. */
typedef struct key_entry {
    const uint8_t *p;
    size_t n;
    const npg_value *val;
    bool used;
} key_entry;

typedef struct key_table {
    key_entry *e;
    size_t n;
    size_t bytes;
} key_table;

static int cmp_key(const void *x, const void *y)
{
    const key_entry *a = x, *b = y;
    int c = memcmp(a->p, b->p, a->n < b->n ? a->n : b->n);
    if (c != 0) return c;
    return (a->n > b->n) - (a->n < b->n);
}

static key_entry *find_key(const key_table *t, const uint8_t *p, size_t n)
{
    key_entry probe = {p, n, NULL, false};
    return bsearch(&probe, t->e, t->n, sizeof *t->e, cmp_key);
}

/* Versions 0 and 1 keep the names tuple under the int key -1 of the fields dict. */
static int names_from_fields(const npg_value *fields, const npg_value **names, size_t *skip,
                             npg_diag *d)
{
    if (is_none(fields)) {
        *names = fields;
        return NPG_OK;
    }
    if (!is_dict(fields)) return npg__diag(d, NPG_E_DTYPE, "dtype fields must be a dict or None");
    for (size_t i = 0; i < NPG_SEQ(fields).n; i++) {
        int64_t k;
        const npg_value *key = NPG_SEQ(fields).items[2 * i];
        if (key->kind == NPG_INT && npg__as_i64(key, &k) && k == -1) {
            *names = NPG_SEQ(fields).items[2 * i + 1];
            *skip = i;
            return NPG_OK;
        }
    }
    return npg__diag(d, NPG_E_DTYPE, "old dtype state has no names under fields[-1]");
}

/* Sorted text keys of the fields dict (without the entry at skip), so that names and titles
 * are found in log time and spellings that collide are caught. */
static int build_key_table(npg_arena *a, const npg_value *fields, size_t skip, key_table *t,
                           npg_diag *d)
{
    size_t total = NPG_SEQ(fields).n;
    t->n = total - (skip < total ? 1 : 0);
    if (!npg__mul_sz(t->n, sizeof *t->e, &t->bytes)) return no_memory(a, d);
    t->e = npg__mem_alloc(a->mem, t->bytes);
    if (!t->e) return no_memory(a, d);
    size_t k = 0;
    for (size_t i = 0; i < total; i++) {
        if (i == skip) continue;
        key_entry *e = &t->e[k++];
        e->val = NPG_SEQ(fields).items[2 * i + 1];
        e->used = false;
        if (!as_name(NPG_SEQ(fields).items[2 * i], &e->p, &e->n))
            return npg__diag(d, NPG_E_DTYPE, "dtype fields key is not a str (or ASCII py2 str)");
    }
    qsort(t->e, t->n, sizeof *t->e, cmp_key);
    for (size_t i = 1; i < t->n; i++) {
        if (cmp_key(&t->e[i - 1], &t->e[i]) == 0)
            return npg__diag(d, NPG_E_DTYPE, "dtype fields has two keys with the same text");
    }
    return NPG_OK;
}

typedef struct field_tuple {
    const npg_dtype *dtype;
    int64_t offset;
    const uint8_t *title; /* NULL: no title */
    size_t title_len;
} field_tuple;

/* fields[name] = (dtype, offset) or (dtype, offset, title) */
static int read_field_tuple(const npg_value *v, const char *esc, field_tuple *ft, npg_diag *d)
{
    size_t n;
    int rc;
    npg_value **it = npg__tuple_items(v, &n);
    if (!it || (n != 2 && n != 3))
        return npg__diag(d, NPG_E_DTYPE, "fields['%s'] must be (dtype, offset[, title])", esc);
    if ((rc = finished_dtype(it[0], "field dtype", &ft->dtype, d))) return rc;
    if (!npg__as_i64(it[1], &ft->offset) || ft->offset < 0)
        return npg__diag(d, NPG_E_DTYPE, "field '%s' offset must be an int >= 0", esc);
    ft->title = NULL;
    ft->title_len = 0;
    if (n == 3 && !as_name(it[2], &ft->title, &ft->title_len))
        return npg__diag(d, NPG_E_DTYPE, "field '%s' title must be a str", esc);
    return NPG_OK;
}

/* A title's entry must describe the same field as the name's: NumPy's pickles share one tuple
 * object; an equal tuple (same dtype object, offset and title) is accepted too. */
static bool same_field(const npg_value *x, const npg_value *y)
{
    size_t nx, ny;
    int64_t ox, oy;
    if (x == y) return true;
    npg_value **a = npg__tuple_items(x, &nx), **b = npg__tuple_items(y, &ny);
    if (!a || !b || nx != 3 || ny != 3) return false;
    if (a[0]->kind != NPG_DTYPE || b[0]->kind != NPG_DTYPE || a[0]->u.dt != b[0]->u.dt) return false;
    if (!npg__as_i64(a[1], &ox) || !npg__as_i64(b[1], &oy) || ox != oy) return false;
    const uint8_t *tx, *ty;
    size_t lx, ly;
    return as_name(a[2], &tx, &lx) && as_name(b[2], &ty, &ly) && lx == ly && memcmp(tx, ty, lx) == 0;
}

static int claim_title(key_table *t, const npg_value *field_val, const field_tuple *ft,
                       const char *esc, npg_diag *d)
{
    char tesc[48];
    npg__escape(tesc, sizeof tesc, ft->title, ft->title_len);
    key_entry *e = find_key(t, ft->title, ft->title_len);
    if (!e) return npg__diag(d, NPG_E_DTYPE, "title '%s' of field '%s' has no fields entry", tesc, esc);
    if (e->used)
        return npg__diag(d, NPG_E_DTYPE, "title '%s' of field '%s' is already a name or title", tesc, esc);
    if (!same_field(field_val, e->val))
        return npg__diag(d, NPG_E_DTYPE, "fields['%s'] differs from the field '%s' it titles", tesc, esc);
    e->used = true;
    return NPG_OK;
}

static int fill_field(npg_arena *a, key_table *t, const npg_value *name, npg_field *f, npg_diag *d)
{
    const uint8_t *p;
    size_t n;
    char esc[48];
    field_tuple ft;
    int rc;
    if (!as_name(name, &p, &n)) return npg__diag(d, NPG_E_DTYPE, "dtype names must be strs (or ASCII py2 strs)");
    npg__escape(esc, sizeof esc, p, n);
    key_entry *e = find_key(t, p, n);
    if (!e) return npg__diag(d, NPG_E_DTYPE, "field '%s' has no fields entry", esc);
    if (e->used) return npg__diag(d, NPG_E_DTYPE, "'%s' is used twice as a name or title", esc);
    e->used = true;
    if ((rc = read_field_tuple(e->val, esc, &ft, d))) return rc;
    if (ft.title && (rc = claim_title(t, e->val, &ft, esc, d))) return rc;
    f->name = copy_text(a, p, n);
    f->name_len = n;
    f->dtype = ft.dtype;
    f->offset = (uint64_t)ft.offset;
    if (!f->name) return no_memory(a, d);
    if (ft.title) {
        f->title = copy_text(a, ft.title, ft.title_len);
        f->title_len = ft.title_len;
        if (!f->title) return no_memory(a, d);
    }
    return NPG_OK;
}

static int fill_fields(npg_arena *a, npg_dtype *dt, npg_value *const *names, size_t nnames,
                       key_table *t, npg_diag *d)
{
    int rc;
    size_t bytes;
    if (nnames > 0) {
        if (!npg__mul_sz(nnames, sizeof *dt->fields, &bytes)) return no_memory(a, d);
        dt->fields = npg__arena_zalloc(a, bytes);
        if (!dt->fields) return no_memory(a, d);
    }
    for (size_t i = 0; i < nnames; i++) {
        if ((rc = fill_field(a, t, names[i], &dt->fields[i], d))) return rc;
    }
    for (size_t i = 0; i < t->n; i++) {
        if (!t->e[i].used) {
            char esc[48];
            npg__escape(esc, sizeof esc, t->e[i].p, t->e[i].n);
            return npg__diag(d, NPG_E_DTYPE, "fields['%s'] is neither a name nor a title", esc);
        }
    }
    dt->nfields = nnames;
    dt->flags |= NPG_DT_STRUCTURED;
    return NPG_OK;
}

static int apply_fields(npg_arena *a, const npg_limits *lim, npg_dtype *dt, const dt_state *st,
                        npg_diag *d)
{
    const npg_value *names = st->names, *fields = st->fields;
    size_t skip = SIZE_MAX, nnames;
    int rc;
    if (st->names_in_fields && (rc = names_from_fields(fields, &names, &skip, d))) return rc;
    if (is_none(names) && is_none(fields)) return NPG_OK;
    if (is_none(names) || is_none(fields))
        return npg__diag(d, NPG_E_DTYPE, "dtype names and fields must both be None or both be set");
    npg_value **items = npg__tuple_items(names, &nnames);
    if (!items) return npg__diag(d, NPG_E_DTYPE, "dtype names must be a tuple");
    if (!is_dict(fields)) return npg__diag(d, NPG_E_DTYPE, "dtype fields must be a dict");
    if (nnames > lim->max_fields) /* before allocating anything for them */
        return npg__diag(d, NPG_E_LIMIT_FIELDS, "dtype has %zu fields (limit %zu)", nnames, lim->max_fields);
    key_table t = {NULL, 0, 0};
    rc = build_key_table(a, fields, skip, &t, d);
    if (rc == NPG_OK) rc = fill_fields(a, dt, items, nnames, &t, d);
    npg__mem_free(a->mem, t.e, t.bytes);
    return rc;
}

int npg__dtype_setstate(npg_arena *a, const npg_limits *lim, npg_dtype *dt, const npg_value *state,
                        npg_diag *d)
{
    dt_state st;
    int rc;
    if ((rc = unpack_state(state, &st, d))) return rc;
    if ((rc = apply_byteorder(dt, st.endian, d))) return rc;
    if ((rc = apply_sizes(dt, &st, d))) return rc;
    if ((rc = apply_flags(dt, &st, d))) return rc;
    if ((rc = apply_metadata(dt, &st, d))) return rc;
    if ((rc = apply_subarray(a, lim, dt, st.subarray, d))) return rc;
    if ((rc = apply_fields(a, lim, dt, &st, d))) return rc;
    if ((rc = npg__dtype_finish(a, lim, dt, d))) return rc;
    return check_flags(dt, &st, d);
}
