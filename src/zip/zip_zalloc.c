/* zlib's allocations go through the same budgeted allocator as everything else. zlib's free
 * hook does not pass the size, which npg__mem_free needs, so each block carries it in front. */
#include <string.h>

#include "zip.h"

#include "../common/checked.h"

enum { HEAD = 16 }; /* keeps the block as aligned as the allocator's */

void *npg__zip_zalloc(void *opaque, unsigned items, unsigned size)
{
    size_t n;
    if (!npg__mul_sz(items, size, &n) || !npg__add_sz(n, HEAD, &n)) return NULL;
    uint8_t *p = npg__mem_alloc(opaque, n);
    if (!p) return NULL;
    memcpy(p, &n, sizeof n);
    return p + HEAD;
}

void npg__zip_zfree(void *opaque, void *q)
{
    if (!q) return;
    uint8_t *p = (uint8_t *)q - HEAD;
    size_t n;
    memcpy(&n, p, sizeof n);
    npg__mem_free(opaque, p, n);
}
