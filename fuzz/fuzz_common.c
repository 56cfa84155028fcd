/* Shared checks of the fuzz harnesses (see fuzz_common.h). */
#include "fuzz_common.h"

#include <string.h>

npg_ctx *fuzz_ctx(void)
{
    npg_ctx *ctx = npg_ctx_new(NULL);
    if (!ctx) return NULL;
    npg_limits lim;
    npg_limits_init(&lim);
    lim.max_ops = 200000;
    lim.max_alloc = 64u << 20;
    lim.max_memo = 4096;
    lim.max_depth = 200;
    lim.max_container_len = 100000;
    lim.max_findings = 64;
    lim.max_array_bytes = 16u << 20;
    lim.max_zip_members = 64;
    lim.max_uncompressed = 32u << 20;
    FUZZ_ASSERT(npg_ctx_set_limits(ctx, &lim) == NPG_OK);
    return ctx;
}

npg_ctx *fuzz_start(const uint8_t **data, size_t *size, unsigned *opt)
{
    if (*size < 1) return NULL;
    *opt = (*data)[0];
    (*data)++, (*size)--;
    return fuzz_ctx();
}

void fuzz_check_error(const npg_error *e, uint64_t len)
{
    if (getenv("NPG_FUZZ_VERBOSE"))
        fprintf(stderr, "error %s at %llu of %llu [%s]: %.200s\n", npg_status_name(e->code),
                (unsigned long long)e->offset, (unsigned long long)len, e->member, e->message);
    FUZZ_ASSERT(e->code != NPG_OK);
    FUZZ_ASSERT(e->code != NPG_E_INTERNAL);
    FUZZ_ASSERT(strcmp(npg_status_name(e->code), "NPG_E_UNKNOWN") != 0);
    FUZZ_ASSERT(e->offset <= len);
    FUZZ_ASSERT(memchr(e->message, '\0', sizeof e->message) != NULL);
    FUZZ_ASSERT(memchr(e->member, '\0', sizeof e->member) != NULL);
    for (const char *c = e->message; *c; c++) FUZZ_ASSERT(*c >= 0x20 && *c < 0x7f);
}

int fuzz_is_resource_error(int code)
{
    return code == NPG_E_NOMEM || (code >= 100 && code < 200);
}

static int kind_allowed(npg_kind k)
{
    switch (k) {
    case NPG_NONE: case NPG_BOOL: case NPG_INT: case NPG_FLOAT: case NPG_COMPLEX: case NPG_STR:
    case NPG_BYTES: case NPG_BYTEARRAY: case NPG_TUPLE: case NPG_LIST: case NPG_DICT:
    case NPG_SET: case NPG_FROZENSET: case NPG_ORDERED_DICT: case NPG_ARRAY: case NPG_DTYPE:
    case NPG_SCALAR: case NPG_MASKED_CONSTANT: case NPG_TYPE: return 1;
    default: return 0; /* NPG_OPAQUE only exists in scan mode */
    }
}

static int inside(const uint8_t *d, uint64_t len, const fuzz_region *r, size_t nr)
{
    for (size_t i = 0; i < nr; i++)
        if (d >= r[i].p && len <= r[i].len && (size_t)(d - r[i].p) <= r[i].len - len) return 1;
    return 0;
}

static void check_array(const npg_value *v, const fuzz_region *r, size_t nr)
{
    const npg_dtype *dt = npg_array_dtype(v);
    const uint64_t *shape = npg_array_shape(v);
    uint64_t size = 1, len = 0;
    FUZZ_ASSERT(dt != NULL && npg_array_ndim(v) <= NPG_MAX_NDIM);
    for (size_t i = 0; i < npg_array_ndim(v); i++) size *= shape[i];
    FUZZ_ASSERT(size == npg_array_size(v));
    if (npg_dtype_has_object(dt)) return;
    int borrowed = 0;
    const uint8_t *d = npg_array_data(v, &len, &borrowed);
    FUZZ_ASSERT(d != NULL);
    FUZZ_ASSERT(len == size * npg_dtype_itemsize(dt));
    if (borrowed) FUZZ_ASSERT(inside(d, len, r, nr));
    if (len) { volatile uint8_t x = d[0] ^ d[len - 1]; (void)x; } /* owned memory: ASan checks */
}

void fuzz_check_tree(const npg_value *root, const fuzz_region *regions, size_t nregions)
{
    enum { BUDGET = 100000 };
    const npg_value **stack = malloc(BUDGET * sizeof *stack);
    size_t top = 0, visits = 0;
    FUZZ_ASSERT(stack);
    stack[top++] = root;
    while (top && visits++ < BUDGET) {
        const npg_value *v = stack[--top];
        npg_kind k = npg_value_kind(v);
        FUZZ_ASSERT(kind_allowed(k));
        if (k == NPG_ARRAY) {
            check_array(v, regions, nregions);
            if (npg_dtype_has_object(npg_array_dtype(v)))
                for (uint64_t i = 0; i < npg_array_size(v) && top < BUDGET; i++) {
                    const npg_value *o = npg_array_object(v, i);
                    FUZZ_ASSERT(o != NULL);
                    stack[top++] = o;
                }
        }
        size_t n = npg_value_len(v);
        for (size_t i = 0; i < n && top + 2 < BUDGET; i++) {
            if (k == NPG_DICT || k == NPG_ORDERED_DICT) {
                stack[top++] = npg_value_dict_key(v, i);
                stack[top++] = npg_value_dict_val(v, i);
            } else {
                stack[top++] = npg_value_item(v, i);
            }
            FUZZ_ASSERT(stack[top - 1] != NULL);
        }
    }
    free(stack);
}

/* Same dtype: str, kind, byte order, size, datetime unit, subarray and every field (name,
 * title, offset, dtype), compared pairwise with an explicit stack. */
static int dtypes_equal(const npg_dtype *a, const npg_dtype *b)
{
    enum { MAX_PAIRS = 4096 };
    const npg_dtype *st[MAX_PAIRS][2];
    size_t top = 0;
    st[top][0] = a, st[top][1] = b, top++;
    while (top) {
        top--;
        const npg_dtype *x = st[top][0], *y = st[top][1];
        char sx[512], sy[512];
        uint32_t mx = 0, my = 0;
        size_t ndx = 0, ndy = 0;
        const uint64_t *shx = NULL, *shy = NULL;
        npg_dtype_str(x, sx, sizeof sx), npg_dtype_str(y, sy, sizeof sy);
        if (strcmp(sx, sy) != 0 || npg_dtype_kind(x) != npg_dtype_kind(y) ||
            npg_dtype_itemsize(x) != npg_dtype_itemsize(y) || npg_dtype_nfields(x) != npg_dtype_nfields(y))
            return 0;
        const char *ux = npg_dtype_datetime_unit(x, &mx), *uy = npg_dtype_datetime_unit(y, &my);
        if ((ux == NULL) != (uy == NULL) || (ux && (strcmp(ux, uy) != 0 || mx != my))) return 0;
        const npg_dtype *bx = npg_dtype_subarray(x, &ndx, &shx), *by = npg_dtype_subarray(y, &ndy, &shy);
        if ((bx == NULL) != (by == NULL)) return 0;
        if (bx) {
            if (ndx != ndy || (ndx && memcmp(shx, shy, ndx * sizeof *shx) != 0) || top == MAX_PAIRS) return 0;
            st[top][0] = bx, st[top][1] = by, top++;
        }
        for (size_t i = 0; i < npg_dtype_nfields(x); i++) {
            const char *nx, *ny, *tx, *ty;
            uint64_t ox, oy;
            const npg_dtype *fx = npg_dtype_field(x, i, &nx, &tx, &ox);
            const npg_dtype *fy = npg_dtype_field(y, i, &ny, &ty, &oy);
            if (strcmp(nx, ny) != 0 || ox != oy || (tx == NULL) != (ty == NULL) || (tx && strcmp(tx, ty) != 0))
                return 0;
            if (top == MAX_PAIRS) return 0;
            st[top][0] = fx, st[top][1] = fy, top++;
        }
    }
    return 1;
}

int fuzz_arrays_equal(const npg_value *a, const npg_value *b)
{
    uint64_t la = 0, lb = 0;
    int ba, bb;
    if (!dtypes_equal(npg_array_dtype(a), npg_array_dtype(b))) return 0;
    if (npg_array_ndim(a) != npg_array_ndim(b) || npg_array_fortran(a) != npg_array_fortran(b)) return 0;
    if (npg_array_ndim(a) &&
        memcmp(npg_array_shape(a), npg_array_shape(b), npg_array_ndim(a) * sizeof(uint64_t)) != 0)
        return 0;
    const uint8_t *pa = npg_array_data(a, &la, &ba), *pb = npg_array_data(b, &lb, &bb);
    return la == lb && (la == 0 || memcmp(pa, pb, la) == 0);
}

int fuzz_sink_write(void *ud, const void *data, size_t len)
{
    fuzz_sink *s = ud;
    if (len > s->cap - s->len) return 1;
    if (s->len + len > s->size) {
        size_t size = s->size ? s->size : 4096;
        while (size < s->len + len) size *= 2;
        uint8_t *p = realloc(s->p, size);
        if (!p) return 1;
        s->p = p, s->size = size;
    }
    memcpy(s->p + s->len, data, len);
    s->len += len;
    return 0;
}

int fuzz_discard(void *ud, const void *data, size_t len)
{
    (void)ud, (void)data, (void)len;
    return 0;
}
