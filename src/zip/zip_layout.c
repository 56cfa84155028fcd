/* Layout: the entries, in offset order, must tile the file from byte 0 to the central directory.
 *
 * This one rule stops a family of attacks: overlapping entries (Fifield's "better zip bomb":
 * many central records sharing one compressed kernel, or a record whose data "quotes" the next
 * local header), members hidden between entries (seen by streaming readers only), data prepended
 * before the first header (polyglots; CPython tolerates it). The walk is also the forward reader:
 * from offset 0 it reads local header, data and descriptor, and must land on the next entry's
 * local header each time, then exactly on the central directory. */
#include <stdlib.h>

#include "zip.h"

#include "../common/checked.h"

static int by_offset(const void *a, const void *b)
{
    const npg_zip_entry *x = *(const npg_zip_entry *const *)a;
    const npg_zip_entry *y = *(const npg_zip_entry *const *)b;
    if (x->m.header_offset != y->m.header_offset) return x->m.header_offset < y->m.header_offset ? -1 : 1;
    return x->cd_pos < y->cd_pos ? -1 : x->cd_pos > y->cd_pos;
}

#define FAIL(e, code, off, ...) \
    npg__zip_fail_at(f, code, off, (const uint8_t *)(e)->m.name, (e)->name_len, __VA_ARGS__)

/* From central-directory values alone, before any local header is trusted: each entry needs
 * at least header + name + data bytes before the next one starts (CPython's CVE-2024-0450
 * check, made strict). Catches shared and quoted overlaps whatever the local headers say. */
static int no_overlap(npg_zip_entry **ix, size_t n, uint64_t cd_offset, npg_zip_fail *f)
{
    for (size_t k = 0; k < n; k++) {
        const npg_zip_entry *e = ix[k];
        uint64_t next = k + 1 < n ? ix[k + 1]->m.header_offset : cd_offset;
        uint64_t least;
        if (!npg__add_u64(e->m.header_offset, NPG_ZIP_LOCAL_LEN + (uint64_t)e->name_len, &least) ||
            !npg__add_u64(least, e->m.csize, &least) || least > next) {
            /* Blame the later entry at its local header, or at its central-directory record
             * when the declared header lies past the directory (outside what the file holds). */
            const npg_zip_entry *blame = k + 1 < n ? ix[k + 1] : e;
            uint64_t at = blame->m.header_offset <= cd_offset ? blame->m.header_offset : blame->cd_pos;
            return FAIL(blame, NPG_E_ZIP_LAYOUT, at,
                        "overlapping entries (possible zip bomb): the entry at %llu needs at least %llu "
                        "bytes, the next item starts at %llu",
                        (unsigned long long)e->m.header_offset,
                        (unsigned long long)(e->m.csize + NPG_ZIP_LOCAL_LEN + e->name_len),
                        (unsigned long long)next);
        }
    }
    return NPG_OK;
}

static int walk(npg_zip *z, npg_zip_entry **ix, uint64_t cd_offset, npg_zip_fail *f)
{
    uint64_t pos = 0;
    for (size_t k = 0; k < z->n; k++) {
        npg_zip_entry *e = ix[k];
        if (e->m.header_offset < pos)
            return FAIL(e, NPG_E_ZIP_LAYOUT, e->m.header_offset,
                        "local header starts inside the previous entry, which ends at %llu (overlap)",
                        (unsigned long long)pos);
        if (e->m.header_offset != pos)
            return FAIL(e, NPG_E_ZIP_LAYOUT, pos,
                        k == 0 ? "%llu bytes before the first local header (prepended data)"
                               : "%llu bytes between entries belong to no member (hidden data)",
                        (unsigned long long)(e->m.header_offset - pos));
        int rc = npg__zip_check_local(z, e, f);
        if (rc != NPG_OK) return rc;
        pos = e->end;
        if (pos > cd_offset)
            return FAIL(e, NPG_E_ZIP_LAYOUT, e->m.header_offset, "member runs into the central directory");
    }
    if (pos != cd_offset)
        return npg__zip_fail(f, NPG_E_ZIP_LAYOUT, pos,
                             "%llu bytes before the central directory belong to no member",
                             (unsigned long long)(cd_offset - pos));
    return NPG_OK;
}

int npg__zip_check_layout(npg_zip *z, const npg_zip_end *end, npg_zip_fail *f)
{
    if (z->n == 0) return walk(z, NULL, end->cd_offset, f);
    npg_zip_entry **ix = npg__mem_alloc(&z->mem, z->n * sizeof *ix);
    if (!ix) return npg__zip_fail(f, z->mem.status, 0, "no memory to sort entries");
    for (size_t i = 0; i < z->n; i++) ix[i] = &z->e[i];
    qsort(ix, z->n, sizeof *ix, by_offset);
    int rc = no_overlap(ix, z->n, end->cd_offset, f);
    if (rc == NPG_OK) rc = walk(z, ix, end->cd_offset, f);
    npg__mem_free(&z->mem, ix, z->n * sizeof *ix);
    return rc;
}
