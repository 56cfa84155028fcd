/* The zip writer: members in order, each as local header + data, never a data descriptor.
 * Records are laid out as zipfile lays them out for NumPy (version 20, date 1980-01-01, Unix
 * 0o600 attributes), so the output tiles exactly and passes our own reader; zip64 fields appear
 * only where a value does not fit (>= 0xFFFFFFFF), unlike np.savez's unconditional ones.
 * Stored data goes straight from the caller's buffer to the callback; deflated data is
 * compressed into memory first (zip_deflate.c). */
#include <string.h>
#include <zlib.h>

#include "zip.h"

#include "../common/checked.h"

enum { DOS_DATE_1980 = 0x21 }; /* 1980-01-01, what zipfile writes for NumPy */

void npg__zipw_init(npg_zipw *w, npg_mem *mem, npg_write_fn write, void *ud, size_t max_members)
{
    memset(w, 0, sizeof *w);
    w->mem = mem;
    npg__arena_init(&w->arena, mem);
    w->write = write;
    w->ud = ud;
    w->zip64_at = NPG_ZIP_U32_MAX;
    w->zip64_count = NPG_ZIP_U16_MAX;
    w->max_members = max_members;
}

void npg__zipw_release(npg_zipw *w)
{
    npg__mem_free(w->mem, w->e, w->cap * sizeof *w->e);
    npg__mem_free(w->mem, w->slots, w->nslots * sizeof *w->slots);
    npg__arena_release(&w->arena);
    w->e = NULL, w->slots = NULL, w->cap = w->nslots = w->n = 0;
}

int npg__zipw_out(npg_zipw *w, const void *p, uint64_t n, npg_zip_fail *f)
{
    const uint8_t *b = p;
    while (n) {
        size_t k = n < ((size_t)1 << 30) ? (size_t)n : (size_t)1 << 30;
        if (w->write(w->ud, b, k) != 0) return npg__zip_fail(f, NPG_E_INVALID, w->pos, "write callback failed");
        w->pos += k, b += k, n -= k;
    }
    return NPG_OK;
}

/* Room for entry n, its name copied (checked as the reader will check it) and its key unique. */
static int new_entry(npg_zipw *w, const uint8_t *name, size_t n, npg_zip_fail *f)
{
    unsigned flags = 0;
    for (size_t i = 0; i < n; i++) flags |= name[i] >= 0x80 ? NPG_ZIP_FLAG_UTF8 : 0;
    int rc = npg__zip_check_name(name, n, flags, w->pos, f);
    if (rc != NPG_OK) return rc;
    if (w->n >= w->max_members || w->n >= UINT32_MAX - 1) /* the key set stores index + 1 in 32 bits */
        return npg__zip_fail(f, NPG_E_LIMIT_MEMBERS, w->pos, "more than %zu members", w->max_members);
    if (w->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 8;
        void *p = npg__mem_realloc(w->mem, w->e, w->cap * sizeof *w->e, cap * sizeof *w->e);
        if (!p) return npg__zip_fail(f, w->mem->status, w->pos, "no memory for the member list");
        w->e = p, w->cap = cap;
    }
    uint8_t *copy = npg__arena_alloc(&w->arena, n);
    if (!copy) return npg__zip_fail(f, w->mem->status, w->pos, "no memory for member names");
    memcpy(copy, name, n);
    npg_zipw_entry *e = &w->e[w->n];
    memset(e, 0, sizeof *e);
    e->name = copy;
    e->name_len = (uint16_t)n;
    e->flags = (uint16_t)flags;
    e->offset = w->pos;
    return npg__zipw_key_add(w, w->n, f);
}

/* usize and CRC-32 over all pieces, before anything is written. */
static int measure(const npg_zipw_piece *pieces, size_t npieces, npg_zipw_entry *e, uint64_t pos,
                   npg_zip_fail *f)
{
    uint32_t crc = 0;
    for (size_t i = 0; i < npieces; i++) {
        if (!npg__add_u64(e->usize, pieces[i].n, &e->usize))
            return npg__zip_fail(f, NPG_E_INVALID, pos, "member size overflows");
        const uint8_t *p = pieces[i].p;
        for (uint64_t left = pieces[i].n; left;) {
            size_t k = left < ((size_t)1 << 30) ? (size_t)left : (size_t)1 << 30;
            crc = (uint32_t)crc32_z(crc, p, k);
            p += k, left -= k;
        }
    }
    e->crc = crc;
    return NPG_OK;
}

static int local_header(npg_zipw *w, const npg_zipw_entry *e, npg_zip_fail *f)
{
    uint8_t rec[NPG_ZIP_LOCAL_LEN + NPG_ZIP_MAX_NAME + 20];
    bool zip64 = e->usize >= w->zip64_at || e->csize >= w->zip64_at;
    uint8_t *p = npg__zip_put32(rec, NPG_ZIP_SIG_LOCAL);
    p = npg__zip_put16(p, zip64 ? NPG_ZIP_VERSION_MAX : 20);
    p = npg__zip_put16(p, e->flags);
    p = npg__zip_put16(p, e->method);
    p = npg__zip_put16(p, 0);
    p = npg__zip_put16(p, DOS_DATE_1980);
    p = npg__zip_put32(p, e->crc);
    p = npg__zip_put32(p, zip64 ? NPG_ZIP_U32_MAX : (uint32_t)e->csize);
    p = npg__zip_put32(p, zip64 ? NPG_ZIP_U32_MAX : (uint32_t)e->usize);
    p = npg__zip_put16(p, e->name_len);
    p = npg__zip_put16(p, zip64 ? 20 : 0);
    memcpy(p, e->name, e->name_len);
    p += e->name_len;
    if (zip64) { /* a local zip64 extra holds both sizes, in this order */
        p = npg__zip_put16(p, NPG_ZIP_EXTRA_ZIP64);
        p = npg__zip_put16(p, 16);
        p = npg__zip_put64(p, e->usize);
        p = npg__zip_put64(p, e->csize);
    }
    return npg__zipw_out(w, rec, (uint64_t)(p - rec), f);
}

static int write_pieces(npg_zipw *w, const npg_zipw_piece *pieces, size_t npieces, npg_zip_fail *f)
{
    for (size_t i = 0; i < npieces; i++) {
        int rc = npg__zipw_out(w, pieces[i].p, pieces[i].n, f);
        if (rc != NPG_OK) return rc;
    }
    return NPG_OK;
}

static int write_member(npg_zipw *w, npg_zipw_entry *e, const npg_zipw_piece *pieces, size_t npieces,
                        npg_zip_fail *f)
{
    if (e->method == 0) {
        e->csize = e->usize;
        int rc = local_header(w, e, f);
        return rc != NPG_OK ? rc : write_pieces(w, pieces, npieces, f);
    }
    uint8_t *z;
    size_t cap;
    int rc = npg__zip_deflate(w->mem, pieces, npieces, &z, &cap, &e->csize);
    if (rc != NPG_OK) return npg__zip_fail(f, rc, w->pos, "cannot compress the member");
    rc = local_header(w, e, f);
    if (rc == NPG_OK) rc = npg__zipw_out(w, z, e->csize, f);
    npg__mem_free(w->mem, z, cap);
    return rc;
}

int npg__zipw_add(npg_zipw *w, const uint8_t *name, size_t n, int method,
                  const npg_zipw_piece *pieces, size_t npieces, npg_zip_fail *f)
{
    if (w->status != NPG_OK) return npg__zip_fail(f, NPG_E_BADSTATE, w->pos, "writer failed or finished");
    if ((method != 0 && method != 8) || !name || (npieces && !pieces))
        return npg__zip_fail(f, NPG_E_INVALID, w->pos, "invalid argument");
    /* A refused name leaves the writer as it was; any later failure poisons it (the key is
     * taken, bytes may be out). */
    int rc = new_entry(w, name, n, f);
    if (rc != NPG_OK) return rc;
    npg_zipw_entry *e = &w->e[w->n];
    e->method = (uint16_t)method;
    rc = measure(pieces, npieces, e, w->pos, f);
    if (rc == NPG_OK) rc = write_member(w, e, pieces, npieces, f);
    if (rc != NPG_OK) {
        w->status = rc;
        return rc;
    }
    w->n++;
    return NPG_OK;
}
