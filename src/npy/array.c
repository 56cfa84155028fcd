/* The value a .npy load returns: an NPG_ARRAY node over the input's bytes, and the check that an
 * object array's pickle rebuilt what the header announced. */
#include <string.h>

#include "../pickle/value.h"
#include "npy.h"

npg_value *npg__npy_array_value(npg_arena *arena, const npg_npy_header *h, const uint8_t *data,
                                bool borrowed)
{
    npg_value *v = npg__arena_zalloc(arena, sizeof *v);
    npg_array *a = npg__arena_zalloc(arena, sizeof *a);
    if (!v || !a) return NULL;
    a->cls = NPG_CLASS_NDARRAY;
    a->fortran = h->fortran;
    /* a view of the caller's read-only buffer (or of bytes inflated into the document), never
     * written through */
    a->writeable = false;
    a->borrowed = borrowed;
    a->dtype = h->dtype;
    a->ndim = h->ndim;
    a->shape = h->shape;
    a->size = h->size;
    a->data = data;
    a->nbytes = h->nbytes;
    v->kind = NPG_ARRAY;
    v->depth = 1;
    v->u.arr = a;
    return v;
}

/* Dtypes compare by their descr text: it lists names, titles, formats, shapes and gaps. */
static int same_dtype(npg_arena *arena, const npg_dtype *a, const npg_dtype *b, npg_diag *d)
{
    size_t na = npg__dtype_descr(a, NULL, 0), nb = npg__dtype_descr(b, NULL, 0);
    if (na == 0 || na != nb) return NPG_E_NPY_OBJECT;
    char *sa = npg__arena_alloc(arena, na + 1), *sb = npg__arena_alloc(arena, na + 1);
    if (!sa || !sb) return npg__diag(d, arena->mem->status ? arena->mem->status : NPG_E_NOMEM, "out of memory");
    npg__dtype_descr(a, sa, na + 1);
    npg__dtype_descr(b, sb, na + 1);
    return memcmp(sa, sb, na) == 0 ? NPG_OK : NPG_E_NPY_OBJECT;
}

int npg__npy_check_object_root(npg_arena *arena, const npg_value *root, const npg_npy_header *h,
                               npg_diag *d)
{
    int rc;
    if (npg_value_kind(root) != NPG_ARRAY || !npg_array_dtype(root))
        return npg__diag(d, NPG_E_NPY_OBJECT, "object-dtype data is a pickle of a %s, not of an array",
                         npg_kind_name(npg_value_kind(root)));
    const npg_array *a = root->u.arr;
    if (a->ndim != h->ndim || (h->ndim && memcmp(a->shape, h->shape, h->ndim * sizeof *h->shape) != 0))
        return npg__diag(d, NPG_E_NPY_OBJECT, "the pickled array's shape differs from the header's");
    if ((rc = same_dtype(arena, a->dtype, h->dtype, d)) != NPG_OK && rc != NPG_E_NPY_OBJECT) return rc;
    if (rc != NPG_OK)
        return npg__diag(d, NPG_E_NPY_OBJECT, "the pickled array's dtype differs from the header's");
    if ((a->dtype->flags & NPG_DT_HAS_OBJECT) == 0)
        return npg__diag(d, NPG_E_NPY_OBJECT, "the pickled array holds no objects");
    return NPG_OK;
}
