/* The writer's end: central directory, then the zip64 end record and locator when the entry
 * count, the directory's size or its offset do not fit the EOCD, then the EOCD. A 32-bit (or
 * 16-bit) field that does not fit holds the all-ones sentinel, and the central record's zip64
 * extra carries exactly those values, in the order usize, csize, offset: the layout our reader
 * (and CPython's) requires. */
#include <string.h>

#include "zip.h"

enum { MADE_BY_UNIX = 3 << 8, DOS_DATE_1980 = 0x21, ATTR_0600 = 0600u << 16 };

static uint32_t fit32(const npg_zipw *w, uint64_t v) { return v >= w->zip64_at ? NPG_ZIP_U32_MAX : (uint32_t)v; }

/* zip64 extra of a central record: the deferred values; returns its payload length. */
static size_t cd_zip64(const npg_zipw *w, const npg_zipw_entry *e, uint8_t *out)
{
    uint8_t *p = out;
    if (e->usize >= w->zip64_at) p = npg__zip_put64(p, e->usize);
    if (e->csize >= w->zip64_at) p = npg__zip_put64(p, e->csize);
    if (e->offset >= w->zip64_at) p = npg__zip_put64(p, e->offset);
    return (size_t)(p - out);
}

static int central_record(npg_zipw *w, const npg_zipw_entry *e, npg_zip_fail *f)
{
    uint8_t rec[NPG_ZIP_CENTRAL_LEN + NPG_ZIP_MAX_NAME + 4 + 24], z64[24];
    size_t zlen = cd_zip64(w, e, z64);
    uint32_t version = zlen ? NPG_ZIP_VERSION_MAX : 20;
    uint8_t *p = npg__zip_put32(rec, NPG_ZIP_SIG_CENTRAL);
    p = npg__zip_put16(p, MADE_BY_UNIX | version);
    p = npg__zip_put16(p, version);
    p = npg__zip_put16(p, e->flags);
    p = npg__zip_put16(p, e->method);
    p = npg__zip_put16(p, 0);
    p = npg__zip_put16(p, DOS_DATE_1980);
    p = npg__zip_put32(p, e->crc);
    p = npg__zip_put32(p, fit32(w, e->csize));
    p = npg__zip_put32(p, fit32(w, e->usize));
    p = npg__zip_put16(p, e->name_len);
    p = npg__zip_put16(p, zlen ? (uint32_t)zlen + 4 : 0);
    p = npg__zip_put16(p, 0); /* comment */
    p = npg__zip_put16(p, 0); /* disk */
    p = npg__zip_put16(p, 0); /* internal attributes */
    p = npg__zip_put32(p, ATTR_0600);
    p = npg__zip_put32(p, fit32(w, e->offset));
    memcpy(p, e->name, e->name_len);
    p += e->name_len;
    if (zlen) {
        p = npg__zip_put16(p, NPG_ZIP_EXTRA_ZIP64);
        p = npg__zip_put16(p, (uint32_t)zlen);
        memcpy(p, z64, zlen);
        p += zlen;
    }
    return npg__zipw_out(w, rec, (uint64_t)(p - rec), f);
}

static int zip64_end(npg_zipw *w, uint64_t cd_offset, uint64_t cd_size, npg_zip_fail *f)
{
    uint8_t rec[NPG_ZIP_EOCD64_LEN + NPG_ZIP_LOC64_LEN];
    uint64_t at = w->pos;
    uint8_t *p = npg__zip_put32(rec, NPG_ZIP_SIG_EOCD64);
    p = npg__zip_put64(p, NPG_ZIP_EOCD64_LEN - 12);
    p = npg__zip_put16(p, MADE_BY_UNIX | NPG_ZIP_VERSION_MAX);
    p = npg__zip_put16(p, NPG_ZIP_VERSION_MAX);
    p = npg__zip_put32(p, 0);
    p = npg__zip_put32(p, 0);
    p = npg__zip_put64(p, w->n);
    p = npg__zip_put64(p, w->n);
    p = npg__zip_put64(p, cd_size);
    p = npg__zip_put64(p, cd_offset);
    p = npg__zip_put32(p, NPG_ZIP_SIG_LOC64);
    p = npg__zip_put32(p, 0);
    p = npg__zip_put64(p, at);
    p = npg__zip_put32(p, 1);
    return npg__zipw_out(w, rec, sizeof rec, f);
}

static int eocd(npg_zipw *w, uint64_t cd_offset, uint64_t cd_size, npg_zip_fail *f)
{
    uint8_t rec[NPG_ZIP_EOCD_LEN];
    uint32_t count = w->n >= w->zip64_count ? NPG_ZIP_U16_MAX : (uint32_t)w->n;
    uint8_t *p = npg__zip_put32(rec, NPG_ZIP_SIG_EOCD);
    p = npg__zip_put16(p, 0);
    p = npg__zip_put16(p, 0);
    p = npg__zip_put16(p, count);
    p = npg__zip_put16(p, count);
    p = npg__zip_put32(p, fit32(w, cd_size));
    p = npg__zip_put32(p, fit32(w, cd_offset));
    npg__zip_put16(p, 0);
    return npg__zipw_out(w, rec, sizeof rec, f);
}

int npg__zipw_finish(npg_zipw *w, npg_zip_fail *f)
{
    if (w->status != NPG_OK) return npg__zip_fail(f, NPG_E_BADSTATE, w->pos, "writer failed or finished");
    uint64_t cd_offset = w->pos;
    int rc = NPG_OK;
    for (size_t i = 0; i < w->n && rc == NPG_OK; i++) rc = central_record(w, &w->e[i], f);
    uint64_t cd_size = w->pos - cd_offset;
    if (rc == NPG_OK && (w->n >= w->zip64_count || cd_offset >= w->zip64_at || cd_size >= w->zip64_at))
        rc = zip64_end(w, cd_offset, cd_size, f);
    if (rc == NPG_OK) rc = eocd(w, cd_offset, cd_size, f);
    w->status = rc != NPG_OK ? rc : NPG_E_BADSTATE; /* finished: nothing may follow */
    return rc;
}
