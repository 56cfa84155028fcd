/* Lenient reading of central-directory entries and local headers, for archives npg_zip_open
 * refused. Every field read is bounds-checked against the buffer; nothing else is checked, since
 * the point is to see what a less strict reader would see. zip64 extras are applied where the
 * 32-bit field says 0xFFFFFFFF. */
#include <string.h>

#include "../common/diag.h"
#include "../zip/zip.h"
#include "audit.h"

/* The zip64 extra record's payload in the extra block p[0..n), or NULL. */
static const uint8_t *find_zip64(const uint8_t *p, size_t n, size_t *len)
{
    size_t i = 0;
    while (n - i >= 4) {
        uint32_t id = npg__zip_u16(p + i), sz = npg__zip_u16(p + i + 2);
        if (sz > n - i - 4) return NULL;
        if (id == NPG_ZIP_EXTRA_ZIP64) {
            *len = sz;
            return p + i + 4;
        }
        i += 4 + sz;
    }
    return NULL;
}

/* Replace each maxed-out field, in order, by the next 8 bytes of the zip64 record. */
static void apply_zip64(const uint8_t *z, size_t zn, uint64_t *const *fields, size_t nfields)
{
    size_t at = 0;
    for (size_t i = 0; i < nfields; i++) {
        if (*fields[i] != NPG_ZIP_U32_MAX) continue;
        if (zn - at < 8) return;
        *fields[i] = npg__zip_u64(z + at);
        at += 8;
    }
}

bool npg__lz_local(const uint8_t *buf, size_t len, uint64_t off, npg_lz_local *l)
{
    if (!npg__zip_span(len, off, NPG_ZIP_LOCAL_LEN) || npg__zip_u32(buf + off) != NPG_ZIP_SIG_LOCAL)
        return false;
    const uint8_t *p = buf + off;
    size_t nl = npg__zip_u16(p + 26), el = npg__zip_u16(p + 28);
    if (!npg__zip_span(len, off + NPG_ZIP_LOCAL_LEN, (uint64_t)nl + el)) return false;
    l->flags = npg__zip_u16(p + 6);
    l->method = npg__zip_u16(p + 8);
    l->csize = npg__zip_u32(p + 18);
    l->usize = npg__zip_u32(p + 22);
    l->name = p + NPG_ZIP_LOCAL_LEN;
    l->name_len = nl;
    l->data = off + NPG_ZIP_LOCAL_LEN + nl + el;
    size_t zn = 0;
    const uint8_t *z = find_zip64(p + NPG_ZIP_LOCAL_LEN + nl, el, &zn);
    uint64_t *fields[] = {&l->usize, &l->csize};
    if (z) apply_zip64(z, zn, fields, 2);
    l->sizes_known = !((l->flags & NPG_ZIP_FLAG_DESCRIPTOR) && l->csize == 0);
    return true;
}

/* The central-directory record at *pos (before end), advancing *pos; false at the end. */
static bool cd_next(const uint8_t *buf, size_t len, uint64_t end, uint64_t concat, uint64_t *pos,
                    npg_lz_entry *e)
{
    uint64_t at = *pos;
    if (at >= end || !npg__zip_span(len, at, NPG_ZIP_CENTRAL_LEN) || npg__zip_u32(buf + at) != NPG_ZIP_SIG_CENTRAL)
        return false;
    const uint8_t *p = buf + at;
    size_t nl = npg__zip_u16(p + 28), el = npg__zip_u16(p + 30), cl = npg__zip_u16(p + 32);
    if (!npg__zip_span(len, at + NPG_ZIP_CENTRAL_LEN, (uint64_t)nl + el + cl)) return false;
    memset(e, 0, sizeof *e);
    e->flags = npg__zip_u16(p + 8);
    e->method = npg__zip_u16(p + 10);
    e->csize = npg__zip_u32(p + 20);
    e->usize = npg__zip_u32(p + 24);
    uint64_t lh = npg__zip_u32(p + 42);
    e->name = p + NPG_ZIP_CENTRAL_LEN;
    e->name_len = nl;
    size_t zn = 0;
    const uint8_t *z = find_zip64(p + NPG_ZIP_CENTRAL_LEN + nl, el, &zn);
    uint64_t *fields[] = {&e->usize, &e->csize, &lh};
    if (z) apply_zip64(z, zn, fields, 3);
    e->lh = lh + concat < lh ? lh : lh + concat;
    *pos = at + NPG_ZIP_CENTRAL_LEN + nl + el + cl;
    return true;
}

static uint64_t cd_end(const npg_lz_end *end)
{
    uint64_t e = end->cd_pos + end->cd_size;
    return e < end->cd_pos || e > end->eocd ? end->eocd : e;
}

int npg__lz_read_cd(npg_mem *mem, const uint8_t *buf, size_t len, const npg_lz_end *end, size_t max,
                    npg_lz_entry **out, size_t *n, size_t *cap_out)
{
    npg_lz_entry *v = NULL, e;
    size_t cap = 0, k = 0;
    uint64_t pos = end->cd_pos, stop = cd_end(end);
    while (k < max && cd_next(buf, len, stop, end->concat, &pos, &e)) {
        if (k == cap) { /* grown as records are met, never sized from the declared count */
            size_t nc = cap ? cap * 2 : 16;
            npg_lz_entry *g = npg__mem_realloc(mem, v, cap * sizeof *v, nc * sizeof *v);
            if (!g) {
                npg__mem_free(mem, v, cap * sizeof *v);
                return mem->status != NPG_OK ? mem->status : NPG_E_NOMEM;
            }
            v = g;
            cap = nc;
        }
        v[k++] = e;
    }
    *out = v;
    *n = k;
    *cap_out = cap;
    return NPG_OK;
}

uint64_t npg__lz_start(const uint8_t *buf, size_t len, const npg_lz_end *end, size_t max_members)
{
    uint64_t lo = end->cd_pos, pos = end->cd_pos, stop = cd_end(end);
    npg_lz_entry e;
    for (size_t k = 0; k < max_members && cd_next(buf, len, stop, end->concat, &pos, &e); k++)
        if (e.lh < lo && npg__zip_span(len, e.lh, 4) && npg__zip_u32(buf + e.lh) == NPG_ZIP_SIG_LOCAL) lo = e.lh;
    return lo;
}

void npg__lz_name(char *out, size_t cap, const uint8_t *name, size_t n)
{
    npg__escape(out, cap, name, n);
}
