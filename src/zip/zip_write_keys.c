/* The writer's duplicate check: an open-addressing set of member keys (name without ".npy"),
 * so that "a" and "a.npy" collide exactly as they do for the reader and for NumPy. Linear in
 * the member count, unlike comparing each new name with all earlier ones. */
#include <string.h>

#include "zip.h"

static uint64_t key_hash(const uint8_t *s, size_t n)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < n; i++) h = (h ^ s[i]) * 1099511628211ull;
    return h;
}

static size_t key_of(const npg_zipw *w, size_t i, const uint8_t **s)
{
    *s = w->e[i].name;
    return npg__zip_key_len(w->e[i].name, w->e[i].name_len);
}

/* Insert entry i into a table of nslots (a power of two); returns the index of an entry
 * with the same key, or SIZE_MAX. */
static size_t insert(npg_zipw *w, uint32_t *slots, size_t nslots, size_t i)
{
    const uint8_t *s, *t;
    size_t n = key_of(w, i, &s);
    for (size_t j = (size_t)key_hash(s, n) & (nslots - 1);; j = (j + 1) & (nslots - 1)) {
        if (!slots[j]) {
            slots[j] = (uint32_t)(i + 1);
            return SIZE_MAX;
        }
        size_t other = slots[j] - 1;
        if (key_of(w, other, &t) == n && memcmp(s, t, n) == 0) return other;
    }
}

/* Keep the load at most one half. */
static int rehash(npg_zipw *w, size_t need, npg_zip_fail *f)
{
    if (need * 2 <= w->nslots) return NPG_OK;
    size_t nslots = w->nslots ? w->nslots * 2 : 64;
    uint32_t *slots = npg__mem_alloc(w->mem, nslots * sizeof *slots);
    if (!slots) return npg__zip_fail(f, w->mem->status, w->pos, "no memory for member names");
    memset(slots, 0, nslots * sizeof *slots);
    for (size_t k = 0; k < w->nslots; k++) {
        if (w->slots[k]) insert(w, slots, nslots, w->slots[k] - 1);
    }
    npg__mem_free(w->mem, w->slots, w->nslots * sizeof *w->slots);
    w->slots = slots;
    w->nslots = nslots;
    return NPG_OK;
}

int npg__zipw_key_add(npg_zipw *w, size_t i, npg_zip_fail *f)
{
    int rc = rehash(w, i + 1, f);
    if (rc != NPG_OK) return rc;
    size_t other = insert(w, w->slots, w->nslots, i);
    if (other == SIZE_MAX) return NPG_OK;
    return npg__zip_fail_at(f, NPG_E_ZIP_DUPLICATE, w->pos, w->e[i].name, w->e[i].name_len,
                            "member name already used (as an entry at %llu)",
                            (unsigned long long)w->e[other].offset);
}
