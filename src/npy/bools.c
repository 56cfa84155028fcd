/* NPG_NPY_CHECK_VALUES: every byte that holds a bool (plain, in fields, in subarrays) must be 0
 * or 1. NumPy never writes anything else, and code that reads bools as bytes may misbehave on
 * other values (a bool array used as a mask or an index). */
#include <stdlib.h>
#include <string.h>

#include "npy.h"

/* True when dt holds a bool byte (an item of size 0 holds none). Recursive over the dtype's
 * nesting, which npg__dtype_finish capped at NPG_DTYPE_MAX_DEPTH levels. */
static bool has_bool(const npg_dtype *dt)
{
    if (dt->itemsize == 0) return false;
    if (dt->kind == 'b') return true;
    if (dt->base) return has_bool(dt->base);
    for (size_t i = 0; i < dt->nfields; i++) {
        if (has_bool(dt->fields[i].dtype)) return true;
    }
    return false;
}

typedef struct run_list {
    npg_arena *arena;
    uint64_t (*runs)[2];
    size_t n, cap;
} run_list;

static bool add_run(run_list *l, uint64_t start, uint64_t end)
{
    if (l->n > 0 && l->runs[l->n - 1][1] == start) { /* contiguous with the previous one */
        l->runs[l->n - 1][1] = end;
        return true;
    }
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        void *p = npg__arena_grow(l->arena, l->runs, l->n * sizeof *l->runs, cap * sizeof *l->runs);
        if (!p) return false;
        l->runs = p;
        l->cap = cap;
    }
    l->runs[l->n][0] = start;
    l->runs[l->n][1] = end;
    l->n++;
    return true;
}

/* Emit the bool bytes of dt placed at off. Recursion bounded as in has_bool; the loop over a
 * subarray's elements runs at most itemsize times (each element holds a bool byte), and the
 * caller only asks for dtypes of arrays whose data is at least one item long. */
static bool emit(run_list *l, const npg_dtype *dt, uint64_t off)
{
    if (!has_bool(dt)) return true;
    if (dt->kind == 'b') return add_run(l, off, off + 1);
    if (dt->base) {
        const npg_dtype *b = dt->base;
        if (b->kind == 'b') return add_run(l, off, off + dt->itemsize); /* all bools */
        uint64_t count = dt->itemsize / b->itemsize;
        for (uint64_t i = 0; i < count; i++) {
            if (!emit(l, b, off + i * b->itemsize)) return false;
        }
        return true;
    }
    for (size_t i = 0; i < dt->nfields; i++) {
        if (!emit(l, dt->fields[i].dtype, off + dt->fields[i].offset)) return false;
    }
    return true;
}

static int cmp_run(const void *x, const void *y)
{
    const uint64_t *a = x, *b = y;
    return (a[0] > b[0]) - (a[0] < b[0]);
}

int npg__npy_bool_runs(npg_arena *arena, const npg_dtype *dt, npg_bool_runs *out, npg_diag *d)
{
    run_list l = {arena, NULL, 0, 0};
    memset(out, 0, sizeof *out);
    out->itemsize = dt->itemsize;
    if (!emit(&l, dt, 0)) {
        int code = arena->mem->status ? arena->mem->status : NPG_E_NOMEM;
        return npg__diag(d, code, "out of memory listing the bool bytes of an item");
    }
    /* fields may be listed out of offset order (pickled dtypes); sort, then merge neighbours */
    if (l.n > 1) qsort(l.runs, l.n, sizeof *l.runs, cmp_run);
    size_t k = 0;
    for (size_t i = 0; i < l.n; i++) {
        if (k > 0 && l.runs[k - 1][1] >= l.runs[i][0]) {
            if (l.runs[i][1] > l.runs[k - 1][1]) l.runs[k - 1][1] = l.runs[i][1];
        } else {
            l.runs[k][0] = l.runs[i][0];
            l.runs[k][1] = l.runs[i][1];
            k++;
        }
    }
    out->runs = l.runs;
    out->n = k;
    return NPG_OK;
}

bool npg__npy_bools_ok(const npg_bool_runs *r, uint64_t pos, const uint8_t *p, size_t n, uint64_t *bad)
{
    if (r->n == 0 || r->itemsize == 0) return true;
    if (r->n == 1 && r->runs[0][0] == 0 && r->runs[0][1] == r->itemsize) {
        for (size_t i = 0; i < n; i++) { /* the whole item is bools: every byte */
            if (p[i] > 1) {
                *bad = pos + i;
                return false;
            }
        }
        return true;
    }
    uint64_t o = pos % r->itemsize; /* offset inside the current item */
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        while (k < r->n && r->runs[k][1] <= o) k++;
        if (k < r->n && o >= r->runs[k][0] && p[i] > 1) {
            *bad = pos + i;
            return false;
        }
        if (++o == r->itemsize) {
            o = 0;
            k = 0;
        }
    }
    return true;
}
