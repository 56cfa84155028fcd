/* Public read-only accessors over the value tree. Every accessor tolerates a NULL or a value of
 * another kind (it then returns 0/NULL), so a caller's type confusion cannot crash. */
#include <string.h>

#include "vm.h"

NPG_API npg_kind npg_value_kind(const npg_value *v)
{
    if (!v) return NPG_NONE;
    switch (v->kind) {
    case NPG_K_PY2STR: return v->sym ? NPG_BYTES : NPG_STR;
    case NPG_K_BUFFER: return (v->flags & NPG_VF_READONLY) ? NPG_BYTES : NPG_BYTEARRAY;
    case NPG_K_SYMBOL: /* only data symbols are reachable from a decoded root */
        return npg__symbol_is_data((npg_symbol)v->sym) ? NPG_TYPE : NPG_OPAQUE;
    default: return (npg_kind)v->kind;
    }
}

NPG_API const char *npg_kind_name(npg_kind kind)
{
    static const char *const names[] = {
        "None", "bool", "int", "float", "complex", "str", "bytes", "bytearray", "tuple", "list",
        "dict", "OrderedDict", "set", "frozenset", "ndarray", "dtype", "numpy scalar",
        "numpy.ma.masked", "opaque", "type"};
    return (unsigned)kind < sizeof names / sizeof names[0] ? names[kind] : "unknown";
}

NPG_API int npg_value_bool(const npg_value *v) { return v && v->kind == NPG_BOOL && v->u.b; }

NPG_API int npg_value_int64(const npg_value *v, int64_t *out)
{
    if (!v || v->kind != NPG_INT || (v->flags & NPG_VF_BIG)) return 0;
    if (out) *out = v->u.i;
    return 1;
}

NPG_API size_t npg_value_int_bytes(const npg_value *v, uint8_t *buf, size_t cap)
{
    if (!v || v->kind != NPG_INT) return 0;
    if (v->flags & NPG_VF_BIG) {
        size_t n = (size_t)v->u.s.n;
        if (buf) memcpy(buf, v->u.s.p, n < cap ? n : cap);
        return n;
    }
    uint8_t b[8];
    uint64_t u = (uint64_t)v->u.i;
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)(u >> (8 * i));
    size_t n = 8; /* drop high bytes that only repeat the sign */
    while (n > 1 && ((b[n - 1] == 0 && !(b[n - 2] & 0x80)) || (b[n - 1] == 0xff && (b[n - 2] & 0x80)))) n--;
    if (buf) memcpy(buf, b, n < cap ? n : cap);
    return n;
}

NPG_API double npg_value_float(const npg_value *v) { return v && v->kind == NPG_FLOAT ? v->u.f : 0.0; }

NPG_API void npg_value_complex(const npg_value *v, double *re, double *im)
{
    int ok = v && v->kind == NPG_COMPLEX;
    if (re) *re = ok ? v->u.c.re : 0.0;
    if (im) *im = ok ? v->u.c.im : 0.0;
}

NPG_API const uint8_t *npg_value_bytes(const npg_value *v, size_t *len)
{
    if (len) *len = 0;
    if (!v) return NULL;
    switch (v->kind) {
    case NPG_STR:
    case NPG_BYTES:
    case NPG_BYTEARRAY:
    case NPG_K_BUFFER:
        if (len) *len = (size_t)v->u.s.n;
        return v->u.s.p;
    case NPG_K_PY2STR:
        if (len) *len = (size_t)v->u.s.alt_n;
        return v->u.s.alt;
    default: return NULL;
    }
}

static int is_dict(const npg_value *v) { return v->kind == NPG_DICT || v->kind == NPG_ORDERED_DICT; }

static int is_seq(const npg_value *v)
{
    return v->kind == NPG_TUPLE || v->kind == NPG_LIST || v->kind == NPG_SET || v->kind == NPG_FROZENSET;
}

NPG_API size_t npg_value_len(const npg_value *v)
{
    if (!v) return 0;
    if (is_dict(v)) return v->u.c_.n;
    return is_seq(v) ? v->u.c_.n : 0;
}

NPG_API const npg_value *npg_value_item(const npg_value *v, size_t i)
{
    return v && is_seq(v) && i < v->u.c_.n ? v->u.c_.items[i] : NULL;
}

NPG_API const npg_value *npg_value_dict_key(const npg_value *v, size_t i)
{
    return v && is_dict(v) && i < v->u.c_.n ? v->u.c_.items[2 * i] : NULL;
}

NPG_API const npg_value *npg_value_dict_val(const npg_value *v, size_t i)
{
    return v && is_dict(v) && i < v->u.c_.n ? v->u.c_.items[2 * i + 1] : NULL;
}

NPG_API const char *npg_value_opaque_name(const npg_value *v)
{
    return v && v->kind == NPG_OPAQUE ? v->u.opq.name : "";
}

NPG_API const char *npg_value_type_name(const npg_value *v)
{
    return npg_value_kind(v) == NPG_TYPE ? npg__symbol_type_name((npg_symbol)v->sym) : "";
}

NPG_API const npg_dtype *npg_value_dtype(const npg_value *v)
{
    return v && v->kind == NPG_DTYPE && !(v->flags & NPG_VF_PENDING) ? v->u.dt : NULL;
}

static const npg_array *array_of(const npg_value *v)
{
    return v && v->kind == NPG_ARRAY && !(v->flags & NPG_VF_PENDING) ? v->u.arr : NULL;
}

NPG_API npg_array_class npg_array_class_of(const npg_value *v)
{
    const npg_array *a = array_of(v);
    return a ? (npg_array_class)a->cls : NPG_CLASS_NDARRAY;
}

NPG_API const npg_dtype *npg_array_dtype(const npg_value *v) { const npg_array *a = array_of(v); return a ? a->dtype : NULL; }
NPG_API size_t npg_array_ndim(const npg_value *v) { const npg_array *a = array_of(v); return a ? a->ndim : 0; }
NPG_API const uint64_t *npg_array_shape(const npg_value *v) { const npg_array *a = array_of(v); return a ? a->shape : NULL; }
NPG_API int npg_array_fortran(const npg_value *v) { const npg_array *a = array_of(v); return a && a->fortran; }
NPG_API int npg_array_writeable(const npg_value *v) { const npg_array *a = array_of(v); return a && a->writeable; }
NPG_API uint64_t npg_array_size(const npg_value *v) { const npg_array *a = array_of(v); return a ? a->size : 0; }

NPG_API const uint8_t *npg_array_data(const npg_value *v, uint64_t *len, int *borrowed)
{
    const npg_array *a = array_of(v);
    if (len) *len = a && !a->objects ? a->nbytes : 0;
    if (borrowed) *borrowed = a && a->borrowed;
    return a && !a->objects ? (a->data ? a->data : (const uint8_t *)"") : NULL;
}

NPG_API const npg_value *npg_array_object(const npg_value *v, uint64_t i)
{
    const npg_array *a = array_of(v);
    return a && a->objects && i < a->size ? a->objects[i] : NULL;
}

NPG_API const uint8_t *npg_array_mask(const npg_value *v, uint64_t *len)
{
    const npg_array *a = array_of(v);
    if (len) *len = a ? a->mask_len : 0;
    return a ? a->mask : NULL;
}

NPG_API const npg_value *npg_array_fill_value(const npg_value *v)
{
    const npg_array *a = array_of(v);
    return a ? a->fill : NULL;
}

NPG_API const npg_dtype *npg_scalar_dtype(const npg_value *v)
{
    return v && v->kind == NPG_SCALAR ? v->u.sc->dtype : NULL;
}

NPG_API const uint8_t *npg_scalar_data(const npg_value *v, size_t *len)
{
    if (len) *len = 0;
    if (!v || v->kind != NPG_SCALAR || !v->u.sc->data) return NULL;
    if (len) *len = (size_t)v->u.sc->dtype->itemsize;
    return v->u.sc->data;
}

NPG_API const npg_value *npg_scalar_object(const npg_value *v)
{
    return v && v->kind == NPG_SCALAR ? v->u.sc->obj : NULL;
}
