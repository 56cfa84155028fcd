/* Local headers and data descriptors, held to their central-directory entry.
 *
 * CPython compares only the name; Go and miniz compare nothing by default; streaming readers
 * (cnpy, xtensor-io) use only the local header. Every field where they could disagree must be
 * equal, or the two kinds of reader see different archives: picklescan was blinded by a local
 * name differing from the central one (CVE-2025-1944) and by flag bits (CVE-2025-1945). */
#include <string.h>

#include "zip.h"

#include "../common/checked.h"

typedef struct lh_values {
    uint32_t crc;
    uint64_t csize, usize;
    bool zip64; /* the header carries a zip64 extra */
} lh_values;

#define FAIL(code, off, ...) \
    npg__zip_fail_at(f, code, off, (const uint8_t *)e->m.name, e->name_len, __VA_ARGS__)

/* Fixed fields other than CRC and sizes: signature, version, flags, method, name bytes. */
static int check_header(const npg_zip *z, const npg_zip_entry *e, npg_zip_fail *f)
{
    uint64_t h = e->m.header_offset;
    if (!npg__zip_span(z->len, h, NPG_ZIP_LOCAL_LEN))
        return FAIL(NPG_E_ZIP_LOCAL, e->cd_pos, "local header offset %llu is outside the file",
                    (unsigned long long)h);
    const uint8_t *p = z->buf + h;
    if (npg__zip_u32(p) != NPG_ZIP_SIG_LOCAL) return FAIL(NPG_E_ZIP_LOCAL, h, "no local header signature");
    if (p[4] > NPG_ZIP_VERSION_MAX) /* the lower byte: the upper may name the host (zip_cd.c) */
        return FAIL(NPG_E_ZIP_LOCAL, h, "local header needs zip version %u.%u", (unsigned)p[4] / 10,
                    (unsigned)p[4] % 10);
    if (npg__zip_u16(p + 6) != e->flags)
        return FAIL(NPG_E_ZIP_LOCAL, h, "local flags 0x%04x, central flags 0x%04x",
                    (unsigned)npg__zip_u16(p + 6), (unsigned)e->flags);
    if ((int)npg__zip_u16(p + 8) != e->m.method)
        return FAIL(NPG_E_ZIP_LOCAL, h, "local method %u, central method %d", (unsigned)npg__zip_u16(p + 8),
                    e->m.method);
    size_t nlen = npg__zip_u16(p + 26), elen = npg__zip_u16(p + 28);
    if (!npg__zip_span(z->len, h + NPG_ZIP_LOCAL_LEN, (uint64_t)nlen + elen))
        return FAIL(NPG_E_ZIP_LOCAL, h, "local header runs past the end of the file");
    if (nlen != e->name_len || memcmp(p + NPG_ZIP_LOCAL_LEN, e->m.name, nlen) != 0)
        return FAIL(NPG_E_ZIP_LOCAL, h, "local name differs from the central-directory name");
    return NPG_OK;
}

/* CRC and sizes as the local header states them, zip64-resolved. NumPy's writer always adds
 * a 16-byte zip64 extra (usize, csize) holding the real values, also when the 32-bit fields
 * are real: then both copies must agree. */
static int local_values(const npg_zip *z, const npg_zip_entry *e, lh_values *v, npg_zip_fail *f)
{
    uint64_t h = e->m.header_offset;
    const uint8_t *p = z->buf + h;
    size_t nlen = npg__zip_u16(p + 26), elen = npg__zip_u16(p + 28);
    const uint8_t *z64;
    size_t z64len;
    uint64_t xpos = h + NPG_ZIP_LOCAL_LEN + nlen;
    int rc = npg__zip_extra_walk(p + NPG_ZIP_LOCAL_LEN + nlen, elen, xpos, &z64, &z64len, f);
    if (rc != NPG_OK) {
        if (f) f->name = (const uint8_t *)e->m.name, f->name_len = e->name_len;
        return rc;
    }
    if (z64 && z64len != 16) return FAIL(NPG_E_ZIP_EXTRA, xpos, "local zip64 extra of %zu bytes", z64len);
    v->crc = npg__zip_u32(p + 14);
    v->csize = npg__zip_u32(p + 18);
    v->usize = npg__zip_u32(p + 22);
    v->zip64 = z64 != NULL;
    if (!z64) {
        if (v->csize == NPG_ZIP_U32_MAX || v->usize == NPG_ZIP_U32_MAX)
            return FAIL(NPG_E_ZIP_EXTRA, h, "local sizes defer to a zip64 extra that is missing");
        return NPG_OK;
    }
    uint64_t us = npg__zip_u64(z64), cs = npg__zip_u64(z64 + 8);
    if ((v->usize != NPG_ZIP_U32_MAX && v->usize != us) || (v->csize != NPG_ZIP_U32_MAX && v->csize != cs))
        return FAIL(NPG_E_ZIP_LOCAL, h, "local sizes differ from the local zip64 extra");
    v->usize = us;
    v->csize = cs;
    return NPG_OK;
}

/* With a data descriptor (bit 3) zipfile writes zeros; a header carrying the real values
 * is also consistent. Anything else is a second opinion about the member. */
static int compare_values(const npg_zip_entry *e, const lh_values *v, npg_zip_fail *f)
{
    bool same = v->crc == e->m.crc32 && v->csize == e->m.csize && v->usize == e->m.usize;
    bool zero = v->crc == 0 && v->csize == 0 && v->usize == 0;
    if (same || (zero && (e->flags & NPG_ZIP_FLAG_DESCRIPTOR))) return NPG_OK;
    return FAIL(NPG_E_ZIP_LOCAL, e->m.header_offset,
                "local CRC/sizes (%08x, %llu, %llu) differ from the central directory (%08x, %llu, %llu)",
                (unsigned)v->crc, (unsigned long long)v->csize, (unsigned long long)v->usize,
                (unsigned)e->m.crc32, (unsigned long long)e->m.csize, (unsigned long long)e->m.usize);
}

/* Does a descriptor of the given width, with or without signature, sit at pos and agree? */
static bool descriptor_at(const npg_zip *z, const npg_zip_entry *e, uint64_t pos, bool wide, bool sig)
{
    uint64_t n = (wide ? 20 : 12) + (sig ? 4 : 0);
    if (!npg__zip_span(z->len, pos, n)) return false;
    const uint8_t *p = z->buf + pos;
    if (sig) {
        if (npg__zip_u32(p) != NPG_ZIP_SIG_DESC) return false;
        p += 4;
    }
    uint64_t cs = wide ? npg__zip_u64(p + 4) : npg__zip_u32(p + 4);
    uint64_t us = wide ? npg__zip_u64(p + 12) : npg__zip_u32(p + 8);
    return npg__zip_u32(p) == e->m.crc32 && cs == e->m.csize && us == e->m.usize;
}

/* A streaming reader cannot know where stored data with a descriptor ends; it looks for a
 * descriptor signature whose size field equals the bytes read so far. If the data holds such a
 * look-alike, that reader ends the member there and sees other members than we do. */
static int stored_lookalike(const npg_zip *z, const npg_zip_entry *e, npg_zip_fail *f)
{
    const uint8_t *d = z->buf + e->m.data_offset;
    uint64_t n = e->m.csize;
    static const uint8_t sig[4] = {'P', 'K', 7, 8};
    for (uint64_t k = 0; n >= 4 && k <= n - 4;) {
        const uint8_t *hit = memmem(d + k, (size_t)(n - k), sig, 4);
        if (!hit) break;
        k = (uint64_t)(hit - d);
        uint64_t at = e->m.data_offset + k;
        if ((npg__zip_span(z->len, at, 16) && npg__zip_u32(hit + 8) == k) ||
            (npg__zip_span(z->len, at, 24) && npg__zip_u64(hit + 8) == k))
            return FAIL(NPG_E_ZIP_DESCRIPTOR, at, "stored data holds a data-descriptor look-alike");
        k++;
    }
    return NPG_OK;
}

/* The descriptor after the data: 64-bit sizes when the member uses zip64 (as zipfile decides),
 * signature optional, and exactly one reading must fit. */
static int check_descriptor(const npg_zip *z, npg_zip_entry *e, const lh_values *v, uint64_t data_end,
                            npg_zip_fail *f)
{
    bool wide = v->zip64 || e->cd_zip64_sizes;
    bool with = descriptor_at(z, e, data_end, wide, true);
    bool without = descriptor_at(z, e, data_end, wide, false);
    if (with == without)
        return FAIL(NPG_E_ZIP_DESCRIPTOR, data_end,
                    with ? "data descriptor reads two ways" : "data descriptor missing or disagreeing");
    e->end = data_end + (wide ? 20 : 12) + (with ? 4 : 0);
    return e->m.method == 0 ? stored_lookalike(z, e, f) : NPG_OK;
}

int npg__zip_check_local(const npg_zip *z, npg_zip_entry *e, npg_zip_fail *f)
{
    lh_values v = {0, 0, 0, false};
    int rc = check_header(z, e, f);
    if (rc == NPG_OK) rc = local_values(z, e, &v, f);
    if (rc == NPG_OK) rc = compare_values(e, &v, f);
    if (rc != NPG_OK) return rc;
    const uint8_t *p = z->buf + e->m.header_offset;
    e->m.data_offset = e->m.header_offset + NPG_ZIP_LOCAL_LEN + npg__zip_u16(p + 26) + npg__zip_u16(p + 28);
    uint64_t data_end;
    if (!npg__add_u64(e->m.data_offset, e->m.csize, &data_end) || data_end > z->len)
        return FAIL(NPG_E_ZIP_LAYOUT, e->m.data_offset, "member data runs past the end of the file");
    if (!(e->flags & NPG_ZIP_FLAG_DESCRIPTOR)) {
        e->end = data_end;
        return NPG_OK;
    }
    return check_descriptor(z, e, &v, data_end, f);
}
