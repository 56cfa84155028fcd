/* The dtype model: plain dtypes, validation of a filled-in dtype (npg__dtype_finish) and the
 * public accessors. Formatting (dtype.str, descr) lives in dtype_str.c. */
#include "dtype.h"

#include <stdlib.h>
#include <string.h>

#include "../common/checked.h"

/* ------------------------------------------------------------------ plain dtypes */

/* NumPy's alignment for a plain dtype on x86 (16-byte long double: x86-64; 12-byte: i386), or
 * 0 when NumPy has no such kind/itemsize. */
static uint64_t plain_alignment(char kind, uint64_t itemsize)
{
    switch (kind) {
    case 'b':
        return itemsize == 1 ? 1 : 0;
    case 'i':
    case 'u':
        return (itemsize == 1 || itemsize == 2 || itemsize == 4 || itemsize == 8) ? itemsize : 0;
    case 'f':
        if (itemsize == 12) return 4; /* i386 long double */
        return (itemsize == 2 || itemsize == 4 || itemsize == 8 || itemsize == 16) ? itemsize : 0;
    case 'c': /* a complex aligns like one of its two parts */
        if (itemsize == 8 || itemsize == 24) return 4;
        if (itemsize == 16) return 8;
        return itemsize == 32 ? 16 : 0;
    case 'O':
        return (itemsize == 4 || itemsize == 8) ? itemsize : 0;
    case 'M':
    case 'm':
        return itemsize == 8 ? 8 : 0;
    case 'S':
    case 'V':
        return 1;
    case 'U': /* UCS-4 code units */
        return itemsize % 4 == 0 ? 4 : 0;
    default:
        return 0;
    }
}

/* Kinds whose byte order means something and must be '<' or '>'; all others are '|'. */
static bool needs_byteorder(char kind, uint64_t itemsize)
{
    switch (kind) {
    case 'i':
    case 'u':
    case 'f':
    case 'c':
        return itemsize > 1;
    case 'U':
    case 'M':
    case 'm':
        return true;
    default: /* b, S, V, O */
        return false;
    }
}

bool npg__dtype_init_plain(npg_dtype *dt, char kind, uint64_t itemsize)
{
    memset(dt, 0, sizeof *dt);
    uint64_t align = plain_alignment(kind, itemsize);
    if (align == 0 || itemsize > (uint64_t)INT64_MAX) return false;
    dt->kind = kind;
    dt->itemsize = itemsize;
    dt->alignment = align;
    dt->byteorder = needs_byteorder(kind, itemsize) ? '<' : '|';
    if (kind == 'M' || kind == 'm') {
        memcpy(dt->unit, "generic", sizeof "generic");
        dt->unit_num = 1;
    }
    dt->depth = 1;
    return true;
}

static const char *const datetime_units[] = {"Y",  "M",  "W",  "D",  "h",  "m",  "s",
                                             "ms", "us", "ns", "ps", "fs", "as", "generic"};

bool npg__dtype_unit_valid(const uint8_t *unit, size_t n)
{
    for (size_t i = 0; i < sizeof datetime_units / sizeof datetime_units[0]; i++) {
        if (strlen(datetime_units[i]) == n && memcmp(datetime_units[i], unit, n) == 0) return true;
    }
    return false;
}

/* ------------------------------------------------------------------ validation: one level */

static int check_kind_and_size(const npg_dtype *dt, npg_diag *d)
{
    if (plain_alignment(dt->kind, dt->itemsize) == 0 || dt->itemsize > (uint64_t)INT64_MAX)
        return npg__diag(d, NPG_E_DTYPE, "dtype kind '%c' cannot have itemsize %llu",
                         dt->kind >= 0x20 && dt->kind < 0x7f ? dt->kind : '?',
                         (unsigned long long)dt->itemsize);
    return NPG_OK;
}

static int check_byteorder(const npg_dtype *dt, npg_diag *d)
{
    bool ordered = needs_byteorder(dt->kind, dt->itemsize);
    if (ordered ? (dt->byteorder == '<' || dt->byteorder == '>') : dt->byteorder == '|')
        return NPG_OK;
    return npg__diag(d, NPG_E_DTYPE,
                     "byte order '%c' is not valid for kind '%c' of itemsize %llu "
                     "('|' is for 1-byte numbers, S, V, O and structs; '<'/'>' for the rest)",
                     dt->byteorder >= 0x20 && dt->byteorder < 0x7f ? dt->byteorder : '?', dt->kind,
                     (unsigned long long)dt->itemsize);
}

static int check_unit(const npg_dtype *dt, npg_diag *d)
{
    size_t n = strnlen(dt->unit, sizeof dt->unit);
    if (dt->kind != 'M' && dt->kind != 'm') {
        if (n != 0 || dt->unit_num != 0)
            return npg__diag(d, NPG_E_DTYPE, "a '%c' dtype has no datetime unit", dt->kind);
        return NPG_OK;
    }
    if (!npg__dtype_unit_valid((const uint8_t *)dt->unit, n))
        return npg__diag(d, NPG_E_DTYPE, "invalid datetime unit");
    if (dt->unit_num < 1 || dt->unit_num > INT32_MAX)
        return npg__diag(d, NPG_E_DTYPE, "datetime multiplier %lu outside 1..2147483647",
                         (unsigned long)dt->unit_num);
    /* NumPy ignores a multiplier on the generic unit; one that is not 1 was not written by it */
    if (strcmp(dt->unit, "generic") == 0 && dt->unit_num != 1)
        return npg__diag(d, NPG_E_DTYPE, "the generic datetime unit takes no multiplier");
    return NPG_OK;
}

/* Which composite forms the kind allows; also drops flags that mean nothing for it. */
static int check_composite_form(npg_dtype *dt, npg_diag *d)
{
    bool structured = (dt->flags & NPG_DT_STRUCTURED) != 0;
    if ((dt->base || structured) && dt->kind != 'V')
        return npg__diag(d, NPG_E_DTYPE, "only a 'V' dtype can have a subarray or fields, not '%c'",
                         dt->kind);
    if (dt->base && structured)
        return npg__diag(d, NPG_E_DTYPE, "a dtype cannot have both a subarray and fields");
    if (!structured && dt->nfields != 0)
        return npg__diag(d, NPG_E_DTYPE, "fields given without the structured flag");
    if ((dt->flags & NPG_DT_RECORD) && !structured)
        return npg__diag(d, NPG_E_DTYPE, "a numpy.record dtype must have fields");
    /* NumPy sets ALIGNED_STRUCT only on void dtypes (structs and subarrays of them); on a number
     * it would be noise, so it is dropped rather than reported through the accessor. */
    if (dt->kind != 'V') dt->flags &= (uint8_t)~NPG_DT_ALIGNED_STRUCT;
    return NPG_OK;
}

static int check_subarray(const npg_limits *lim, const npg_dtype *dt, npg_diag *d)
{
    if (dt->sub_ndim > lim->max_ndim || dt->sub_ndim > NPG_MAX_NDIM)
        return npg__diag(d, NPG_E_LIMIT_NDIM, "subarray has %zu dimensions (limit %zu)", dt->sub_ndim,
                         lim->max_ndim < NPG_MAX_NDIM ? lim->max_ndim : (size_t)NPG_MAX_NDIM);
    if (dt->sub_ndim != 0 && !dt->sub_shape)
        return npg__diag(d, NPG_E_INTERNAL, "subarray shape missing");
    uint64_t size = dt->base->itemsize;
    for (size_t i = 0; i < dt->sub_ndim; i++) {
        if (!npg__mul_u64(size, dt->sub_shape[i], &size))
            return npg__diag(d, NPG_E_DTYPE, "subarray size overflows");
    }
    if (size != dt->itemsize)
        return npg__diag(d, NPG_E_DTYPE,
                         "subarray itemsize %llu is not base itemsize times the shape (%llu)",
                         (unsigned long long)dt->itemsize, (unsigned long long)size);
    return NPG_OK;
}

static int check_field_bounds(const npg_dtype *dt, const npg_field *f, npg_diag *d)
{
    char esc[48];
    uint64_t end;
    if (!f->dtype || !f->name) return npg__diag(d, NPG_E_INTERNAL, "field without dtype or name");
    npg__escape(esc, sizeof esc, f->name, f->name_len);
    if (memchr(f->name, 0, f->name_len) || (f->title && memchr(f->title, 0, f->title_len)))
        return npg__diag(d, NPG_E_DTYPE, "field name or title '%s' holds a NUL", esc);
    /* NumPy does not check this and then reads outside the item (reject_field_offset_p2.pkl) */
    if (!npg__add_u64(f->offset, f->dtype->itemsize, &end) || end > dt->itemsize)
        return npg__diag(d, NPG_E_DTYPE, "field '%s' (offset %llu, size %llu) ends past itemsize %llu",
                         esc, (unsigned long long)f->offset, (unsigned long long)f->dtype->itemsize,
                         (unsigned long long)dt->itemsize);
    return NPG_OK;
}

/* --- names and titles share one namespace (NumPy: "title already used as a name or title") */

typedef struct name_ref {
    const char *p;
    size_t n;
} name_ref;

static int cmp_name_ref(const void *x, const void *y)
{
    const name_ref *a = x, *b = y;
    int c = memcmp(a->p, b->p, a->n < b->n ? a->n : b->n);
    if (c != 0) return c;
    return (a->n > b->n) - (a->n < b->n);
}

static int check_names_unique(npg_arena *a, const npg_dtype *dt, npg_diag *d)
{
    size_t count = 0, bytes;
    for (size_t i = 0; i < dt->nfields; i++) count += dt->fields[i].title ? 2 : 1;
    if (count < 2) return NPG_OK;
    if (!npg__mul_sz(count, sizeof(name_ref), &bytes)) return npg__diag(d, NPG_E_DTYPE, "too many names");
    name_ref *refs = npg__mem_alloc(a->mem, bytes);
    if (!refs) return npg__diag(d, a->mem->status, "out of memory checking field names");
    size_t k = 0;
    for (size_t i = 0; i < dt->nfields; i++) {
        refs[k++] = (name_ref){dt->fields[i].name, dt->fields[i].name_len};
        if (dt->fields[i].title) refs[k++] = (name_ref){dt->fields[i].title, dt->fields[i].title_len};
    }
    qsort(refs, count, sizeof *refs, cmp_name_ref);
    int rc = NPG_OK;
    for (size_t i = 1; i < count && rc == NPG_OK; i++) {
        if (cmp_name_ref(&refs[i - 1], &refs[i]) == 0) {
            char esc[48];
            npg__escape(esc, sizeof esc, refs[i].p, refs[i].n);
            rc = npg__diag(d, NPG_E_DTYPE, "'%s' is used twice as a field name or title", esc);
        }
    }
    npg__mem_free(a->mem, refs, bytes);
    return rc;
}

/* --- object fields: a pointer slot shared with other bytes could be forged from data */

typedef struct span {
    uint64_t start, end;
    bool obj;
} span;

static int cmp_span(const void *x, const void *y)
{
    const span *a = x, *b = y;
    return (a->start > b->start) - (a->start < b->start);
}

/* Sorted by start, an interval overlaps an earlier one iff some earlier end lies past its start;
 * so one sweep keeping the furthest end (of all, and of object fields) finds every clash. */
static bool spans_clash(const span *s, size_t n)
{
    uint64_t max_end = 0, max_obj_end = 0;
    for (size_t i = 0; i < n; i++) {
        if (max_obj_end > s[i].start || (s[i].obj && max_end > s[i].start)) return true;
        if (s[i].end > max_end) max_end = s[i].end;
        if (s[i].obj && s[i].end > max_obj_end) max_obj_end = s[i].end;
    }
    return false;
}

static int check_object_overlap(npg_arena *a, const npg_dtype *dt, npg_diag *d)
{
    size_t count = 0, bytes;
    bool any_obj = false;
    for (size_t i = 0; i < dt->nfields; i++) {
        if (dt->fields[i].dtype->itemsize == 0) continue; /* an empty field overlaps nothing */
        count++;
        any_obj |= (dt->fields[i].dtype->flags & NPG_DT_HAS_OBJECT) != 0;
    }
    if (!any_obj || count < 2) return NPG_OK;
    if (!npg__mul_sz(count, sizeof(span), &bytes)) return npg__diag(d, NPG_E_DTYPE, "too many fields");
    span *spans = npg__mem_alloc(a->mem, bytes);
    if (!spans) return npg__diag(d, a->mem->status, "out of memory checking field overlap");
    size_t k = 0;
    for (size_t i = 0; i < dt->nfields; i++) {
        const npg_field *f = &dt->fields[i];
        if (f->dtype->itemsize == 0) continue;
        /* bounds were checked first, so offset + itemsize does not wrap */
        spans[k++] = (span){f->offset, f->offset + f->dtype->itemsize,
                            (f->dtype->flags & NPG_DT_HAS_OBJECT) != 0};
    }
    qsort(spans, count, sizeof *spans, cmp_span);
    bool clash = spans_clash(spans, count);
    npg__mem_free(a->mem, spans, bytes);
    if (clash) return npg__diag(d, NPG_E_DTYPE, "a field holding objects overlaps another field");
    return NPG_OK;
}

static int check_fields(npg_arena *a, const npg_limits *lim, const npg_dtype *dt, npg_diag *d)
{
    int rc;
    if (dt->nfields > lim->max_fields)
        return npg__diag(d, NPG_E_LIMIT_FIELDS, "dtype has %zu fields (limit %zu)", dt->nfields,
                         lim->max_fields);
    if (dt->nfields != 0 && !dt->fields) return npg__diag(d, NPG_E_INTERNAL, "field array missing");
    for (size_t i = 0; i < dt->nfields; i++) {
        if ((rc = check_field_bounds(dt, &dt->fields[i], d))) return rc;
    }
    if ((rc = check_names_unique(a, dt, d))) return rc;
    return check_object_overlap(a, dt, d);
}

/* ------------------------------------------------------------------ derived properties */

static void add_child(npg_dtype *dt, const npg_dtype *child)
{
    if (child->flags & NPG_DT_HAS_OBJECT) dt->flags |= NPG_DT_HAS_OBJECT;
    if (child->depth + 1u > dt->depth) dt->depth = child->depth + 1u;
    if (!npg__add_u64(dt->total_fields, child->total_fields, &dt->total_fields))
        dt->total_fields = UINT64_MAX;
}

/* HAS_OBJECT, depth and total_fields from this level and the (finished) children: one level,
 * because each child carries its own totals. Shared children are counted once per use, which
 * is what a walk over the dtype costs. */
/* NumPy's own dtype.flags, from its constructors: objects 0x3f (every flag of NPY_OBJECT_DTYPE_FLAGS),
 * unicode 0x08 (NPY_NEEDS_INIT), a subarray its base's, a struct NPY_NEEDS_PYAPI (0x10) plus what
 * NPY_FROM_FIELDS (0x1b) takes from each field, and 0x80 when aligned; 0 for the rest. A pickled
 * dtype state carries them, and NumPy uses them when it rebuilds arrays and scalars (a wrong
 * NPY_USE_GETITEM bit can crash it), so the state must hold exactly these. */
static uint8_t numpy_flags(const npg_dtype *dt)
{
    if (dt->flags & NPG_DT_STRUCTURED) {
        uint8_t f = 0x10;
        for (size_t i = 0; i < dt->nfields; i++) f |= dt->fields[i].dtype->numpy_flags & 0x1b;
        return (uint8_t)(f | ((dt->flags & NPG_DT_ALIGNED_STRUCT) ? 0x80 : 0));
    }
    if (dt->base) return dt->base->numpy_flags;
    return dt->kind == 'O' ? 0x3f : dt->kind == 'U' ? 0x08 : 0;
}

static int derive_totals(const npg_limits *lim, npg_dtype *dt, npg_diag *d)
{
    dt->numpy_flags = numpy_flags(dt);
    dt->flags &= (uint8_t)~NPG_DT_HAS_OBJECT;
    if (dt->kind == 'O') dt->flags |= NPG_DT_HAS_OBJECT;
    dt->depth = 1;
    dt->total_fields = dt->nfields;
    if (dt->base) add_child(dt, dt->base);
    for (size_t i = 0; i < dt->nfields; i++) add_child(dt, dt->fields[i].dtype);

    size_t max_depth = lim->max_depth < NPG_DTYPE_MAX_DEPTH ? lim->max_depth : NPG_DTYPE_MAX_DEPTH;
    if (dt->depth > max_depth)
        return npg__diag(d, NPG_E_LIMIT_DEPTH, "dtype nested %lu levels deep (limit %zu)",
                         (unsigned long)dt->depth, max_depth);
    if (dt->total_fields > lim->max_fields)
        return npg__diag(d, NPG_E_LIMIT_FIELDS, "dtype has %llu fields over all levels (limit %zu)",
                         (unsigned long long)dt->total_fields, lim->max_fields);
    return NPG_OK;
}

static uint64_t derived_alignment(const npg_dtype *dt)
{
    if (dt->base) return dt->base->alignment;
    uint64_t align = 1;
    if (dt->flags & NPG_DT_ALIGNED_STRUCT) {
        for (size_t i = 0; i < dt->nfields; i++) {
            if (dt->fields[i].dtype->alignment > align) align = dt->fields[i].dtype->alignment;
        }
    }
    return align;
}

static int settle_alignment(npg_dtype *dt, npg_diag *d)
{
    if (dt->alignment == 0) dt->alignment = derived_alignment(dt);
    if (dt->alignment > 16 || (dt->alignment & (dt->alignment - 1)) != 0)
        return npg__diag(d, NPG_E_DTYPE, "alignment %llu is not a power of two <= 16",
                         (unsigned long long)dt->alignment);
    return NPG_OK;
}

int npg__dtype_finish(npg_arena *a, const npg_limits *lim, npg_dtype *dt, npg_diag *d)
{
    int rc;
    if ((rc = check_kind_and_size(dt, d))) return rc;
    if ((rc = check_byteorder(dt, d))) return rc;
    if ((rc = check_unit(dt, d))) return rc;
    if ((rc = check_composite_form(dt, d))) return rc;
    if (dt->base && (rc = check_subarray(lim, dt, d))) return rc;
    if ((dt->flags & NPG_DT_STRUCTURED) && (rc = check_fields(a, lim, dt, d))) return rc;
    if ((rc = derive_totals(lim, dt, d))) return rc;
    return settle_alignment(dt, d);
}

/* ------------------------------------------------------------------ public accessors */

NPG_API char npg_dtype_kind(const npg_dtype *d) { return d ? d->kind : 0; }

NPG_API char npg_dtype_byteorder(const npg_dtype *d) { return d ? d->byteorder : 0; }

/* Saturates on 32-bit targets, where an itemsize can exceed SIZE_MAX; such a dtype cannot
 * back any array there anyway. */
NPG_API size_t npg_dtype_itemsize(const npg_dtype *d)
{
    size_t n;
    if (!d) return 0;
    return npg__u64_to_sz(d->itemsize, &n) ? n : SIZE_MAX;
}

NPG_API size_t npg_dtype_alignment(const npg_dtype *d) { return d ? (size_t)d->alignment : 0; }

NPG_API int npg_dtype_is_aligned_struct(const npg_dtype *d)
{
    return d && (d->flags & NPG_DT_ALIGNED_STRUCT) != 0;
}

NPG_API int npg_dtype_has_object(const npg_dtype *d) { return d && (d->flags & NPG_DT_HAS_OBJECT) != 0; }

NPG_API int npg_dtype_is_record(const npg_dtype *d) { return d && (d->flags & NPG_DT_RECORD) != 0; }

NPG_API const char *npg_dtype_datetime_unit(const npg_dtype *d, uint32_t *multiplier)
{
    if (!d || (d->kind != 'M' && d->kind != 'm')) return NULL;
    if (multiplier) *multiplier = d->unit_num;
    return d->unit;
}

NPG_API const npg_dtype *npg_dtype_subarray(const npg_dtype *d, size_t *ndim, const uint64_t **shape)
{
    if (!d || !d->base) return NULL;
    if (ndim) *ndim = d->sub_ndim;
    if (shape) *shape = d->sub_shape;
    return d->base;
}

NPG_API size_t npg_dtype_nfields(const npg_dtype *d) { return d ? d->nfields : 0; }

NPG_API const npg_dtype *npg_dtype_field(const npg_dtype *d, size_t i, const char **name,
                                         const char **title, uint64_t *offset)
{
    if (!d || i >= d->nfields) return NULL;
    const npg_field *f = &d->fields[i];
    if (name) *name = f->name;
    if (title) *title = f->title;
    if (offset) *offset = f->offset;
    return f->dtype;
}
