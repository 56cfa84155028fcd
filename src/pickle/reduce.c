/* The closed set of reconstructors: what REDUCE and BUILD may do. Each allowlisted symbol
 * accepts exactly the argument shapes NumPy and CPython write (../shared/notes/numpy-pickles.md
 * sections 4 and 11) and validates more than NumPy does: data length equals itemsize times the
 * product of the shape, object lists have exactly one item per element, shapes and sizes are
 * overflow-checked. Anything else is NPG_E_CALL / NPG_E_BUILD. */
#include <string.h>

#include "../common/checked.h"
#include "dtype_state.h"
#include "text.h"
#include "vm.h"

/* ------------------------------------------------------------------ argument checks */

static int call_fail(npg_vm *vm, npg_symbol sym, const char *why)
{
    return npg__fail(vm, NPG_E_CALL, "%s: %s", npg__symbol_name(sym), why);
}

static bool is_symbol(const npg_value *v, npg_symbol s) { return v->kind == NPG_K_SYMBOL && v->sym == s; }

static bool is_text(const npg_value *v, const char *lit)
{
    const uint8_t *p;
    size_t n;
    return npg__as_text(v, &p, &n) && npg__eq_lit(p, n, lit);
}

/* 'b' or b'b': the dummy dtype argument of _reconstruct, discarded by BUILD. */
static bool is_dummy_b(const npg_value *v)
{
    const uint8_t *p;
    uint64_t n;
    if (is_text(v, "b")) return true;
    return npg__as_raw(v, &p, &n) && n == 1 && p[0] == 'b';
}

/* (0,): the dummy shape of _reconstruct. A real shape here would make NumPy allocate it. */
static bool is_zero_tuple(const npg_value *v)
{
    size_t n;
    npg_value **it = npg__tuple_items(v, &n);
    int64_t i;
    return it && n == 1 && it[0]->kind == NPG_INT && npg__as_i64(it[0], &i) && i == 0;
}

/* A finished dtype value, or NULL after recording the error. */
static const npg_dtype *finished_dtype(npg_vm *vm, const npg_value *v, const char *where)
{
    if (v->kind != NPG_DTYPE) {
        npg__fail(vm, NPG_E_CALL, "%s: expected a dtype", where);
        return NULL;
    }
    if (v->flags & NPG_VF_PENDING) {
        npg__fail(vm, NPG_E_PENDING, "%s: dtype used before its BUILD", where);
        return NULL;
    }
    return v->u.dt;
}

/* Shape tuple: non-negative ints, ndim <= limit; *size = product, overflow-checked. */
static int read_shape(npg_vm *vm, const npg_value *v, uint64_t **shape, size_t *ndim, uint64_t *size)
{
    size_t n;
    npg_value **it = npg__tuple_items(v, &n);
    if (!it) return npg__fail(vm, NPG_E_ARRAY, "array shape is not a tuple");
    if (n > vm->lim->max_ndim)
        return npg__fail(vm, NPG_E_LIMIT_NDIM, "array with %zu dimensions (limit %zu)", n, vm->lim->max_ndim);
    uint64_t *s = npg__arena_alloc(vm->arena, (n ? n : 1) * sizeof *s);
    if (!s) return npg__fail_alloc(vm);
    /* NumPy refuses a shape whose non-zero dimensions multiply past its index type even when
     * another dimension is 0; so do we, so that no later stride computation can overflow */
    uint64_t prod = 1, nonzero = 1;
    for (size_t i = 0; i < n; i++) {
        int64_t d;
        if (it[i]->kind != NPG_INT || !npg__as_i64(it[i], &d) || d < 0)
            return npg__fail(vm, NPG_E_ARRAY, "array dimension %zu is not a non-negative int", i);
        s[i] = (uint64_t)d;
        if (d && (!npg__mul_u64(nonzero, s[i], &nonzero) || nonzero > INT64_MAX))
            return npg__fail(vm, NPG_E_LIMIT_ARRAY, "array shape product overflows");
        prod *= s[i]; /* <= nonzero, cannot overflow */
    }
    *shape = s;
    *ndim = n;
    *size = prod;
    return NPG_OK;
}

static int data_bytes(npg_vm *vm, const npg_dtype *dt, uint64_t size, uint64_t *nbytes)
{
    if (!npg__mul_u64(dt->itemsize, size, nbytes) || *nbytes > vm->lim->max_array_bytes)
        return npg__fail(vm, NPG_E_LIMIT_ARRAY, "array data beyond the limit of %llu bytes",
                         (unsigned long long)vm->lim->max_array_bytes);
    return NPG_OK;
}

static npg_value *new_array_node(npg_vm *vm, int cls)
{
    npg_value *v = npg__new(vm, NPG_ARRAY);
    npg_array *arr = v ? npg__arena_zalloc(vm->arena, sizeof *arr) : NULL;
    if (!arr) {
        npg__fail_alloc(vm);
        return NULL;
    }
    arr->cls = (uint8_t)cls;
    v->u.arr = arr;
    return v;
}

/* ------------------------------------------------------------------ ndarray: _reconstruct */

static int reduce_reconstruct(npg_vm *vm, npg_value **a, size_t n, npg_value **out)
{
    if (n != 3) return call_fail(vm, SYM_NP_RECONSTRUCT, "expected 3 arguments");
    int cls;
    if (is_symbol(a[0], SYM_NDARRAY)) cls = NPG_CLASS_NDARRAY;
    else if (is_symbol(a[0], SYM_MATRIX)) cls = NPG_CLASS_MATRIX;
    else if (is_symbol(a[0], SYM_RECARRAY)) cls = NPG_CLASS_RECARRAY;
    else return call_fail(vm, SYM_NP_RECONSTRUCT, "first argument is not an allowed array class");
    if (!is_zero_tuple(a[1]) || !is_dummy_b(a[2]))
        return call_fail(vm, SYM_NP_RECONSTRUCT, "expected the arguments (cls, (0,), b'b')");
    npg_value *v = new_array_node(vm, cls);
    if (!v) return vm->doc->status;
    v->flags |= NPG_VF_PENDING;
    vm->pending++;
    *out = v;
    return NPG_OK;
}

static int reduce_mareconstruct(npg_vm *vm, npg_value **a, size_t n, npg_value **out)
{
    if (n != 4 || !is_symbol(a[0], SYM_MA_CLASS) || !is_symbol(a[1], SYM_NDARRAY) ||
        !is_zero_tuple(a[2]) || !is_dummy_b(a[3]))
        return call_fail(vm, SYM_MA_RECONSTRUCT, "expected (MaskedArray, ndarray, (0,), 'b')");
    npg_value *v = new_array_node(vm, NPG_CLASS_MASKED);
    if (!v) return vm->doc->status;
    v->flags |= NPG_VF_PENDING;
    vm->pending++;
    *out = v;
    return NPG_OK;
}

/* ------------------------------------------------------------------ structured object elements */

/* Does value v fit a leaf field of dtype d (what NumPy's getitem returns for that kind)? */
static bool leaf_value_ok(const npg_dtype *d, const npg_value *v)
{
    int k = v->kind;
    bool number = k == NPG_BOOL || k == NPG_INT;
    switch (d->kind) {
    case 'O': return true;
    case 'b':
    case 'i':
    case 'u': return number || (k == NPG_SCALAR && v->u.sc->data);
    case 'f': return number || k == NPG_FLOAT || (k == NPG_SCALAR && v->u.sc->data);
    case 'c': return number || k == NPG_FLOAT || k == NPG_COMPLEX || (k == NPG_SCALAR && v->u.sc->data);
    case 'S': return k == NPG_BYTES || k == NPG_K_PY2STR;
    case 'U': return k == NPG_STR || k == NPG_K_PY2STR;
    case 'V': return k == NPG_BYTES;
    case 'M':
    case 'm': return k == NPG_INT || k == NPG_NONE;
    default: return false;
    }
}

/* Each element of a structured array holding objects is a tuple with one value per field,
 * nested for nested structs. Checked with an explicit stack of (dtype, value) pairs. */
static int check_struct_element(npg_vm *vm, const npg_dtype *dt, const npg_value *elem)
{
    const void **work = NULL;
    size_t top = 0, cap = 0;
    int rc = NPG_OK;
    const void *pair[2] = {dt, elem};
    for (const void **cur = pair;; cur = work + (top -= 2)) {
        const npg_dtype *d = cur[0];
        const npg_value *v = cur[1];
        if (v->kind == NPG_OPAQUE) goto next;
        if (d->base) { /* subarray field: NumPy hands out an ndarray */
            if (v->kind != NPG_ARRAY) { rc = npg__fail(vm, NPG_E_ARRAY, "object-array element: subarray field is not an array"); break; }
        } else if (d->nfields) {
            size_t n;
            npg_value **it = npg__tuple_items(v, &n);
            if (!it || n != d->nfields) { rc = npg__fail(vm, NPG_E_ARRAY, "object-array element is not a tuple of %zu fields", d->nfields); break; }
            if (top + 2 * n > cap) {
                size_t ncap = (top + 2 * n) * 2;
                const void **w = npg__arena_grow(vm->arena, work, cap * sizeof *w, ncap * sizeof *w);
                if (!w) { rc = npg__fail_alloc(vm); break; }
                work = w;
                cap = ncap;
            }
            for (size_t i = 0; i < n; i++) {
                work[top++] = d->fields[i].dtype;
                work[top++] = it[i];
            }
        } else if (!leaf_value_ok(d, v)) {
            rc = npg__fail(vm, NPG_E_ARRAY, "object-array element: a value does not fit a '%c' field", d->kind);
            break;
        }
    next:
        if (top == 0) break;
    }
    return rc;
}

/* ------------------------------------------------------------------ ndarray state (BUILD) */

/* Raw element bytes: bytes, _codecs.encode(...) result, or a Python-2 str. */
static bool raw_view(const npg_value *v, const uint8_t **p, uint64_t *n, bool *borrowed)
{
    if (!npg__as_raw(v, p, n)) return false;
    *borrowed = (v->flags & NPG_VF_BORROWED) != 0;
    return true;
}

static int set_object_items(npg_vm *vm, npg_value *node, npg_array *arr, const npg_value *raw)
{
    if (raw->kind != NPG_LIST) return npg__fail(vm, NPG_E_ARRAY, "object array data is not a list");
    if (raw->u.c_.n != arr->size)
        return npg__fail(vm, NPG_E_ARRAY, "object array of %llu elements with a list of %zu",
                         (unsigned long long)arr->size, (size_t)raw->u.c_.n);
    /* a copy of the item pointers: the list object may still be appended to later */
    arr->objects = npg__arena_alloc(vm->arena, (raw->u.c_.n ? raw->u.c_.n : 1) * sizeof(npg_value *));
    if (!arr->objects) return npg__fail_alloc(vm);
    if (raw->u.c_.n) memcpy(arr->objects, raw->u.c_.items, raw->u.c_.n * sizeof(npg_value *));
    bool structured = arr->dtype->nfields > 0;
    for (size_t i = 0; i < raw->u.c_.n; i++) {
        int rc = npg__note_depth(vm, node, arr->objects[i]);
        if (!rc && structured) rc = check_struct_element(vm, arr->dtype, arr->objects[i]);
        if (rc) return rc;
    }
    return NPG_OK;
}

static int set_raw_data(npg_vm *vm, npg_array *arr, const uint8_t *p, uint64_t n, bool borrowed)
{
    uint64_t want;
    int rc = data_bytes(vm, arr->dtype, arr->size, &want);
    if (rc) return rc;
    if (n != want)
        return npg__fail(vm, NPG_E_ARRAY, "array data has %llu bytes, shape and dtype need %llu",
                         (unsigned long long)n, (unsigned long long)want);
    arr->data = p;
    arr->nbytes = n;
    arr->borrowed = borrowed;
    return NPG_OK;
}

/* (version, shape, dtype, is_fortran, raw) with version 1, or the pre-1.0 4-tuple. */
static int array_setstate(npg_vm *vm, npg_value *node, npg_value **st, size_t n)
{
    npg_array *arr = node->u.arr;
    int64_t version = 1, fortran;
    if (n == 5) {
        if (!npg__as_i64(st[0], &version) || version != 1)
            return npg__fail(vm, NPG_E_BUILD, "ndarray state version must be 1");
        st++;
    } else if (n != 4) {
        return npg__fail(vm, NPG_E_BUILD, "ndarray state must have 4 or 5 items");
    }
    int rc = read_shape(vm, st[0], &arr->shape, &arr->ndim, &arr->size);
    if (rc) return rc;
    if (!(arr->dtype = finished_dtype(vm, st[1], "ndarray state"))) return vm->doc->status;
    if (!npg__as_i64(st[2], &fortran) || (fortran != 0 && fortran != 1))
        return npg__fail(vm, NPG_E_BUILD, "ndarray is_fortran must be a bool");
    arr->fortran = fortran == 1;
    arr->writeable = true; /* NumPy copies the data into a new, writeable array */
    if (arr->dtype->flags & NPG_DT_HAS_OBJECT) return set_object_items(vm, node, arr, st[3]);
    const uint8_t *p;
    uint64_t len;
    bool borrowed;
    if (!raw_view(st[3], &p, &len, &borrowed)) return npg__fail(vm, NPG_E_ARRAY, "array data is not bytes");
    return set_raw_data(vm, arr, p, len, borrowed);
}

/* Leaf count of a dtype: the bytes of its MaskedArray mask (one bool per leaf element). */
static int mask_itemsize(npg_vm *vm, const npg_dtype *dt, uint64_t *out)
{
    const npg_dtype **work = NULL;
    uint64_t *mult = NULL;
    size_t top = 0, cap = 0;
    uint64_t total = 0;
    const npg_dtype *d = dt;
    uint64_t m = 1;
    for (;;) {
        if (d->base) {
            uint64_t k = 1;
            for (size_t i = 0; i < d->sub_ndim; i++)
                if (!npg__mul_u64(k, d->sub_shape[i], &k)) return npg__fail(vm, NPG_E_ARRAY, "mask size overflows");
            if (!npg__mul_u64(m, k, &m)) return npg__fail(vm, NPG_E_ARRAY, "mask size overflows");
            d = d->base;
            continue;
        }
        if (d->nfields) {
            if (top + d->nfields > cap) {
                size_t ncap = (top + d->nfields) * 2;
                work = npg__arena_grow(vm->arena, work, cap * sizeof *work, ncap * sizeof *work);
                mult = npg__arena_grow(vm->arena, mult, cap * sizeof *mult, ncap * sizeof *mult);
                if (!work || !mult) return npg__fail_alloc(vm);
                cap = ncap;
            }
            for (size_t i = 0; i < d->nfields; i++) {
                work[top] = d->fields[i].dtype;
                mult[top++] = m;
            }
        } else if (!npg__add_u64(total, m, &total)) {
            return npg__fail(vm, NPG_E_ARRAY, "mask size overflows");
        }
        if (!top) break;
        d = work[--top];
        m = mult[top];
    }
    *out = total;
    return NPG_OK;
}

/* MaskedArray: the ndarray state plus (mask_bytes, fill_value). */
static int masked_setstate(npg_vm *vm, npg_value *node, npg_value **st, size_t n)
{
    if (n != 7) return npg__fail(vm, NPG_E_BUILD, "MaskedArray state must have 7 items");
    int rc = array_setstate(vm, node, st, 5);
    if (rc) return rc;
    npg_array *arr = node->u.arr;
    const uint8_t *p;
    uint64_t len, per = 0, want;
    bool borrowed;
    if (!raw_view(st[5], &p, &len, &borrowed)) return npg__fail(vm, NPG_E_BUILD, "MaskedArray mask is not bytes");
    if ((rc = mask_itemsize(vm, arr->dtype, &per))) return rc;
    if (!npg__mul_u64(per, arr->size, &want) || len != want)
        return npg__fail(vm, NPG_E_ARRAY, "MaskedArray mask has %llu bytes, expected %llu",
                         (unsigned long long)len, (unsigned long long)want);
    for (uint64_t i = 0; i < len; i++)
        if (p[i] > 1) return npg__fail(vm, NPG_E_ARRAY, "MaskedArray mask byte is not 0 or 1");
    arr->mask = p;
    arr->mask_len = len;
    const npg_value *fill = st[6];
    if (fill->kind == NPG_NONE) return NPG_OK;
    if (fill->kind != NPG_ARRAY || fill->u.arr->ndim != 0 || fill->u.arr->cls != NPG_CLASS_NDARRAY)
        return npg__fail(vm, NPG_E_BUILD, "MaskedArray fill value is not a 0-d array");
    if (fill->flags & NPG_VF_PENDING) return npg__fail(vm, NPG_E_PENDING, "fill value used before its BUILD");
    const npg_dtype *fd = fill->u.arr->dtype;
    if (fd->kind != arr->dtype->kind || fd->itemsize != arr->dtype->itemsize)
        return npg__fail(vm, NPG_E_BUILD, "MaskedArray fill value has another dtype");
    arr->fill = fill;
    return npg__note_depth(vm, node, fill);
}

int npg__build(npg_vm *vm, npg_value *target, npg_value *state)
{
    if (!(target->flags & NPG_VF_PENDING))
        return npg__fail(vm, NPG_E_BUILD, "BUILD on a value that is not a freshly made array or dtype");
    int rc;
    if (target->kind == NPG_DTYPE) {
        rc = npg__dtype_setstate(vm->arena, vm->lim, target->u.pending_dt, state, &vm->diag);
        if (rc) return rc == NPG_E_NOMEM || rc == NPG_E_LIMIT_ALLOC ? npg__fail_alloc(vm)
                                                                      : npg__fail(vm, rc, "%s", vm->diag.msg);
    } else {
        size_t n;
        npg_value **st = npg__tuple_items(state, &n);
        if (!st) return npg__fail(vm, NPG_E_BUILD, "array state is not a tuple");
        rc = target->u.arr->cls == NPG_CLASS_MASKED ? masked_setstate(vm, target, st, n)
                                                    : array_setstate(vm, target, st, n);
        if (rc) return rc;
        if (target->u.arr->cls == NPG_CLASS_RECARRAY && !target->u.arr->dtype->nfields)
            return npg__fail(vm, NPG_E_BUILD, "recarray with a dtype that has no fields");
    }
    target->flags &= (uint8_t)~NPG_VF_PENDING;
    vm->pending--;
    return NPG_OK;
}

/* ------------------------------------------------------------------ ndarray: _frombuffer */

/* NumPy >= 2.3 'K' order: the buffer holds the C-order array of `shape`; the result is that
 * array transposed by axis_order. We materialise it in C order (a copy) so that every array we
 * expose is C- or F-ordered. */
static int apply_axis_order(npg_vm *vm, npg_array *arr, const npg_value *perm_v)
{
    size_t n, nd = arr->ndim;
    npg_value **it = npg__tuple_items(perm_v, &n);
    if (!it || n != nd) return call_fail(vm, SYM_NP_FROMBUFFER, "axis_order is not a tuple of ndim ints");
    uint64_t perm[NPG_MAX_NDIM], src_stride[NPG_MAX_NDIM], new_shape[NPG_MAX_NDIM];
    bool seen[NPG_MAX_NDIM] = {false};
    for (size_t i = 0; i < nd; i++) {
        int64_t k;
        if (!npg__as_i64(it[i], &k) || k < 0 || (uint64_t)k >= nd || seen[k])
            return call_fail(vm, SYM_NP_FROMBUFFER, "axis_order is not a permutation");
        seen[k] = true;
        perm[i] = (uint64_t)k;
    }
    uint64_t isz = arr->dtype->itemsize, stride = isz;
    for (size_t i = nd; i-- > 0;) {
        src_stride[i] = stride;
        stride *= arr->shape[i]; /* cannot overflow: the product was checked */
    }
    for (size_t i = 0; i < nd; i++) new_shape[i] = arr->shape[perm[i]];
    size_t nbytes;
    if (!npg__u64_to_sz(arr->nbytes, &nbytes)) return npg__fail(vm, NPG_E_LIMIT_ALLOC, "array too large");
    uint8_t *dst = npg__arena_alloc(vm->arena, nbytes);
    if (!dst) return npg__fail_alloc(vm);
    uint64_t idx[NPG_MAX_NDIM] = {0};
    for (uint64_t e = 0; e < arr->size; e++) {
        uint64_t off = 0;
        for (size_t i = 0; i < nd; i++) off += idx[i] * src_stride[perm[i]];
        memcpy(dst + e * isz, arr->data + off, isz);
        for (size_t i = nd; i-- > 0;) { /* odometer over the new shape, C order */
            if (++idx[i] < new_shape[i]) break;
            idx[i] = 0;
        }
    }
    memcpy(arr->shape, new_shape, nd * sizeof *new_shape);
    arr->data = dst;
    arr->borrowed = false;
    return NPG_OK;
}

static int reduce_frombuffer(npg_vm *vm, npg_value **a, size_t n, npg_value **out)
{
    if (n != 4 && n != 5) return call_fail(vm, SYM_NP_FROMBUFFER, "expected 4 or 5 arguments");
    const npg_value *buf = a[0];
    if (buf->kind != NPG_BYTEARRAY && buf->kind != NPG_BYTES && buf->kind != NPG_K_BUFFER)
        return call_fail(vm, SYM_NP_FROMBUFFER, "buffer is not bytes, bytearray or an out-of-band buffer");
    npg_value *v = new_array_node(vm, NPG_CLASS_NDARRAY);
    if (!v) return vm->doc->status;
    npg_array *arr = v->u.arr;
    if (!(arr->dtype = finished_dtype(vm, a[1], "_frombuffer"))) return vm->doc->status;
    if ((arr->dtype->flags & NPG_DT_HAS_OBJECT) || arr->dtype->itemsize == 0)
        return call_fail(vm, SYM_NP_FROMBUFFER, "dtype holds objects or has itemsize 0");
    int rc = read_shape(vm, a[2], &arr->shape, &arr->ndim, &arr->size);
    if (rc) return rc;
    bool k_order = is_text(a[3], "K");
    if (!(is_text(a[3], "C") || is_text(a[3], "F") || (k_order && n == 5)) || (n == 5 && !k_order))
        return call_fail(vm, SYM_NP_FROMBUFFER, "order must be 'C', 'F', or 'K' with axis_order");
    arr->fortran = is_text(a[3], "F");
    arr->writeable = buf->kind == NPG_BYTEARRAY || (buf->kind == NPG_K_BUFFER && !(buf->flags & NPG_VF_READONLY));
    if ((rc = set_raw_data(vm, arr, buf->u.s.p, buf->u.s.n, (buf->flags & NPG_VF_BORROWED) != 0)))
        return rc;
    if (k_order && (rc = apply_axis_order(vm, arr, a[4]))) return rc;
    *out = v;
    return NPG_OK;
}

/* ------------------------------------------------------------------ numpy scalars and dtypes */

static int reduce_scalar(npg_vm *vm, npg_value **a, size_t n, npg_value **out)
{
    if (n != 2) return call_fail(vm, SYM_NP_SCALAR, "expected (dtype, data)");
    const npg_dtype *dt = finished_dtype(vm, a[0], "scalar");
    if (!dt) return vm->doc->status;
    npg_scalar *sc = npg__arena_zalloc(vm->arena, sizeof *sc);
    npg_value *v = sc ? npg__new(vm, NPG_SCALAR) : NULL;
    if (!v) return npg__fail_alloc(vm);
    sc->dtype = dt;
    v->u.sc = sc;
    if (dt->flags & NPG_DT_HAS_OBJECT) {
        /* structured scalar holding objects: a finished 0-d array of that dtype */
        const npg_value *arr = a[1];
        if (dt->kind == 'O' || !dt->nfields) return call_fail(vm, SYM_NP_SCALAR, "object scalars are not rebuilt");
        if (arr->kind != NPG_ARRAY || (arr->flags & NPG_VF_PENDING) || arr->u.arr->ndim != 0 ||
            arr->u.arr->dtype->itemsize != dt->itemsize || !arr->u.arr->dtype->nfields)
            return call_fail(vm, SYM_NP_SCALAR, "expected a finished 0-d structured array");
        sc->obj = arr;
        *out = v;
        return npg__note_depth(vm, v, arr);
    }
    const uint8_t *p;
    uint64_t len;
    bool borrowed;
    if (!raw_view(a[1], &p, &len, &borrowed) || len != dt->itemsize)
        return call_fail(vm, SYM_NP_SCALAR, "data is not bytes of exactly itemsize");
    sc->data = p;
    *out = v;
    return NPG_OK;
}

static int reduce_dtype(npg_vm *vm, npg_value **a, size_t n, npg_value **out)
{
    int64_t align, copy;
    if (n != 3 || !npg__as_i64(a[1], &align) || align != 0 || !npg__as_i64(a[2], &copy) || copy != 1)
        return call_fail(vm, SYM_NP_DTYPE, "expected (typestr, False, True)");
    bool record = is_symbol(a[0], SYM_NP_RECORD);
    npg_dtype *dt;
    int rc = npg__dtype_from_typestr(vm->arena, record ? NULL : a[0], record, &dt, &vm->diag);
    if (rc) return rc == NPG_E_NOMEM || rc == NPG_E_LIMIT_ALLOC ? npg__fail_alloc(vm)
                                                                  : npg__fail(vm, rc, "%s", vm->diag.msg);
    npg_value *v = npg__new(vm, NPG_DTYPE);
    if (!v) return npg__fail_alloc(vm);
    v->u.pending_dt = dt;
    v->flags |= NPG_VF_PENDING;
    vm->pending++;
    *out = v;
    return NPG_OK;
}

/* ------------------------------------------------------------------ Python builtins */

static int reduce_codecs_encode(npg_vm *vm, npg_value **a, size_t n, npg_value **out)
{
    if (n != 2 || a[0]->kind != NPG_STR || !is_text(a[1], "latin1") || a[1]->kind != NPG_STR)
        return call_fail(vm, SYM_CODECS_ENCODE, "expected (str, 'latin1')");
    size_t len;
    if (!npg__u64_to_sz(a[0]->u.s.n, &len)) return npg__fail(vm, NPG_E_LIMIT_ALLOC, "string too long");
    uint8_t *buf = npg__arena_alloc(vm->arena, len ? len : 1);
    if (!buf) return npg__fail_alloc(vm);
    size_t outn;
    if (!npg__utf8_to_latin1(a[0]->u.s.p, len, buf, &outn))
        return call_fail(vm, SYM_CODECS_ENCODE, "str has a code point above U+00FF");
    npg_value *v = npg__new(vm, NPG_BYTES);
    if (!v) return npg__fail_alloc(vm);
    v->u.s.p = buf;
    v->u.s.n = outn;
    *out = v;
    return NPG_OK;
}

static int reduce_bytes(npg_vm *vm, npg_value **a, size_t n, npg_value **out, npg_symbol sym)
{
    int kind = sym == SYM_BYTES ? NPG_BYTES : NPG_BYTEARRAY;
    npg_value *v = npg__new(vm, kind);
    if (!v) return npg__fail_alloc(vm);
    v->u.s.p = (const uint8_t *)"";
    if (n == 1 && sym == SYM_BYTEARRAY && a[0]->kind == NPG_BYTES) {
        v->u.s = a[0]->u.s; /* a new object over the same bytes: nothing can mutate them */
        v->flags |= a[0]->flags & NPG_VF_BORROWED;
    } else if (n != 0) {
        return call_fail(vm, sym, sym == SYM_BYTES ? "expected ()" : "expected () or (bytes,)");
    }
    *out = v;
    return NPG_OK;
}

static int reduce_set(npg_vm *vm, npg_value **a, size_t n, npg_value **out, npg_symbol sym)
{
    npg_value *v = npg__new(vm, sym == SYM_SET ? NPG_SET : NPG_FROZENSET);
    if (!v) return npg__fail_alloc(vm);
    if (n == 1 && a[0]->kind == NPG_LIST) {
        for (size_t i = 0; i < a[0]->u.c_.n; i++) {
            int rc = npg__set_add(vm, v, a[0]->u.c_.items[i]);
            if (rc) return rc;
        }
    } else if (n != 0) {
        return call_fail(vm, sym, "expected () or (list,)");
    }
    *out = v;
    return NPG_OK;
}

static bool real_part(const npg_value *v, double *d)
{
    int64_t i;
    if (v->kind == NPG_FLOAT) {
        *d = v->u.f;
        return true;
    }
    if (npg__as_i64(v, &i)) {
        *d = (double)i;
        return true;
    }
    return false;
}

static int reduce_complex(npg_vm *vm, npg_value **a, size_t n, npg_value **out)
{
    double re = 0, im = 0;
    if ((n != 1 && n != 2) || !real_part(a[0], &re) || (n == 2 && !real_part(a[1], &im)))
        return call_fail(vm, SYM_COMPLEX, "expected (float, float)");
    npg_value *v = npg__new(vm, NPG_COMPLEX);
    if (!v) return npg__fail_alloc(vm);
    v->u.c.re = re;
    v->u.c.im = im;
    *out = v;
    return NPG_OK;
}

/* OrderedDict() (Python 3; SETITEM(S) follow) or OrderedDict([[k, v], ...]) (Python 2.7). */
static int reduce_ordered_dict(npg_vm *vm, npg_value **a, size_t n, npg_value **out)
{
    npg_value *v = npg__new(vm, NPG_ORDERED_DICT);
    if (!v) return npg__fail_alloc(vm);
    if (n == 1 && a[0]->kind == NPG_LIST) {
        for (size_t i = 0; i < a[0]->u.c_.n; i++) {
            npg_value *pair = a[0]->u.c_.items[i];
            if ((pair->kind != NPG_LIST && pair->kind != NPG_TUPLE) || pair->u.c_.n != 2)
                return call_fail(vm, SYM_ORDERED_DICT, "items must be [key, value] pairs");
            int rc = npg__dict_set(vm, v, pair->u.c_.items[0], pair->u.c_.items[1]);
            if (rc) return rc;
        }
    } else if (n != 0) {
        return call_fail(vm, SYM_ORDERED_DICT, "expected () or ([[key, value], ...],)");
    }
    *out = v;
    return NPG_OK;
}

static int reduce_masked_constant(npg_vm *vm, size_t n, npg_value **out)
{
    if (n != 0) return call_fail(vm, SYM_MA_CONSTANT, "expected ()");
    *out = npg__new(vm, NPG_MASKED_CONSTANT);
    return *out ? NPG_OK : npg__fail_alloc(vm);
}

int npg__reduce(npg_vm *vm, npg_value *callable, npg_value *args, npg_value **out)
{
    size_t n;
    npg_value **a = npg__tuple_items(args, &n);
    npg_symbol sym = (npg_symbol)callable->sym;
    switch (sym) {
    case SYM_NP_RECONSTRUCT: return reduce_reconstruct(vm, a, n, out);
    case SYM_MA_RECONSTRUCT: return reduce_mareconstruct(vm, a, n, out);
    case SYM_NP_FROMBUFFER: return reduce_frombuffer(vm, a, n, out);
    case SYM_NP_SCALAR: return reduce_scalar(vm, a, n, out);
    case SYM_NP_DTYPE: return reduce_dtype(vm, a, n, out);
    case SYM_MA_CONSTANT: return reduce_masked_constant(vm, n, out);
    case SYM_CODECS_ENCODE: return reduce_codecs_encode(vm, a, n, out);
    case SYM_BYTES:
    case SYM_BYTEARRAY: return reduce_bytes(vm, a, n, out, sym);
    case SYM_SET:
    case SYM_FROZENSET: return reduce_set(vm, a, n, out, sym);
    case SYM_COMPLEX: return reduce_complex(vm, a, n, out);
    case SYM_ORDERED_DICT: return reduce_ordered_dict(vm, a, n, out);
    default: return call_fail(vm, sym, "is a class tag and cannot be called");
    }
}
