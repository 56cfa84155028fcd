/* The end of the archive: the one end-of-central-directory record (EOCD) and, when present, the
 * zip64 locator and zip64 end record before it.
 *
 * Readers disagree about which EOCD to use when there are several (CPython takes the last
 * signature in the final 64 KiB, so a fake EOCD placed in the archive comment makes the archive
 * look empty; others take the first that validates). We therefore accept exactly one EOCD
 * signature in the searched tail, at the very end of the file, without comment. */
#include <stdio.h>

#include "zip.h"

#include "../common/checked.h"

/* Highest position in [lo, hi) where the EOCD signature starts (4 bytes, inside buf[0..len)),
 * or -1. The signature cannot overlap a shifted copy of itself, so scanning is exact. */
static int64_t find_sig_before(const uint8_t *buf, size_t len, size_t lo, size_t hi)
{
    if (len < 4) return -1;
    if (hi > len - 3) hi = len - 3;
    for (size_t i = hi; i-- > lo;) {
        if (buf[i] == 'P' && npg__zip_u32(buf + i) == NPG_ZIP_SIG_EOCD) return (int64_t)i;
    }
    return -1;
}

/* Locate the EOCD: last signature in the last 22+65535 bytes, no other one there, ending the
 * file exactly, no comment. */
static int locate_eocd(const uint8_t *buf, size_t len, size_t *pos, npg_zip_fail *f)
{
    if (len < NPG_ZIP_EOCD_LEN)
        return npg__zip_fail(f, NPG_E_ZIP_EOCD, 0,
                             "%zu bytes are too few for a zip end-of-central-directory record", len);
    size_t span = NPG_ZIP_EOCD_LEN + NPG_ZIP_MAX_COMMENT;
    size_t lo = len > span ? len - span : 0;
    int64_t last = find_sig_before(buf, len, lo, len);
    if (last < 0)
        return npg__zip_fail(f, NPG_E_ZIP_EOCD, lo,
                             "no end-of-central-directory record in the last %zu bytes", len - lo);
    /* Two EOCDs in reach: a fake one inside a comment, or two archives concatenated. */
    int64_t other = find_sig_before(buf, len, lo, (size_t)last);
    if (other >= 0)
        return npg__zip_fail(f, NPG_E_ZIP_EOCD, (uint64_t)other,
                             "second end-of-central-directory signature (the last is at %lld): "
                             "fake record in a comment, or concatenated archives",
                             (long long)last);
    size_t p = (size_t)last;
    if (len - p < NPG_ZIP_EOCD_LEN)
        return npg__zip_fail(f, NPG_E_ZIP_EOCD, p, "end-of-central-directory record truncated");
    size_t clen = npg__zip_u16(buf + p + 20);
    size_t after = len - p - NPG_ZIP_EOCD_LEN;
    if (clen > after)
        return npg__zip_fail(f, NPG_E_ZIP_EOCD, p, "archive comment of %zu bytes runs past the end", clen);
    if (clen < after)
        return npg__zip_fail(f, NPG_E_ZIP_LAYOUT, p + NPG_ZIP_EOCD_LEN + clen,
                             "%zu bytes after the end of the archive", after - clen);
    /* A comment is room for a second file in the same bytes (polyglots); NumPy writes none. */
    if (clen)
        return npg__zip_fail(f, NPG_E_ZIP_EOCD, p + NPG_ZIP_EOCD_LEN, "archive comment of %zu bytes", clen);
    *pos = p;
    return NPG_OK;
}

/* The 32-bit (or 16-bit) EOCD copy of a zip64 value: equal, or the "see zip64" sentinel. */
static bool eocd_agrees(uint64_t v32, uint64_t v64, uint64_t sentinel)
{
    return v32 == sentinel || (v64 < sentinel && v32 == v64);
}

/* Locator at eocd-20 -> zip64 end record directly before it (no extensible data, one disk),
 * each of its values agreeing with the EOCD. */
static int read_zip64(const uint8_t *buf, size_t eocd, npg_zip_end *end, npg_zip_fail *f)
{
    size_t loc = eocd - NPG_ZIP_LOC64_LEN;
    const uint8_t *l = buf + loc;
    if (npg__zip_u32(l + 4) != 0 || npg__zip_u32(l + 16) != 1)
        return npg__zip_fail(f, NPG_E_ZIP_ZIP64, loc, "zip64 locator names a multi-disk archive");
    if (loc < NPG_ZIP_EOCD64_LEN)
        return npg__zip_fail(f, NPG_E_ZIP_ZIP64, loc, "no room for the zip64 end record");
    size_t at = loc - NPG_ZIP_EOCD64_LEN;
    uint64_t says = npg__zip_u64(l + 8);
    if (says != at)
        return npg__zip_fail(f, NPG_E_ZIP_ZIP64, loc,
                             "zip64 locator points at %llu, the zip64 end record must be at %zu",
                             (unsigned long long)says, at);
    const uint8_t *r = buf + at;
    if (npg__zip_u32(r) != NPG_ZIP_SIG_EOCD64)
        return npg__zip_fail(f, NPG_E_ZIP_ZIP64, at, "no zip64 end record signature");
    if (npg__zip_u64(r + 4) != NPG_ZIP_EOCD64_LEN - 12)
        return npg__zip_fail(f, NPG_E_ZIP_ZIP64, at, "zip64 end record of %llu bytes (extensible data)",
                             (unsigned long long)npg__zip_u64(r + 4));
    if (npg__zip_u16(r + 14) > NPG_ZIP_VERSION_MAX)
        return npg__zip_fail(f, NPG_E_ZIP_ZIP64, at, "zip64 end record needs version %u",
                             (unsigned)npg__zip_u16(r + 14));
    if (npg__zip_u32(r + 16) != 0 || npg__zip_u32(r + 20) != 0)
        return npg__zip_fail(f, NPG_E_ZIP_ZIP64, at, "zip64 end record names another disk");
    uint64_t n_disk = npg__zip_u64(r + 24), n = npg__zip_u64(r + 32);
    uint64_t size = npg__zip_u64(r + 40), off = npg__zip_u64(r + 48);
    if (n_disk != n)
        return npg__zip_fail(f, NPG_E_ZIP_ZIP64, at, "zip64 entry counts differ (%llu, %llu)",
                             (unsigned long long)n_disk, (unsigned long long)n);
    const uint8_t *e = buf + eocd;
    if (!eocd_agrees(npg__zip_u16(e + 10), n, NPG_ZIP_U16_MAX) ||
        !eocd_agrees(npg__zip_u32(e + 12), size, NPG_ZIP_U32_MAX) ||
        !eocd_agrees(npg__zip_u32(e + 16), off, NPG_ZIP_U32_MAX))
        return npg__zip_fail(f, NPG_E_ZIP_ZIP64, at, "zip64 end record disagrees with the EOCD");
    end->count = n;
    end->cd_size = size;
    end->cd_offset = off;
    end->cd_end = at;
    end->zip64 = true;
    return NPG_OK;
}

static int read_fields(const uint8_t *buf, size_t p, npg_zip_end *end, npg_zip_fail *f)
{
    const uint8_t *e = buf + p;
    if (npg__zip_u16(e + 4) != 0 || npg__zip_u16(e + 6) != 0)
        return npg__zip_fail(f, NPG_E_ZIP_EOCD, p, "multi-disk archive");
    if (npg__zip_u16(e + 8) != npg__zip_u16(e + 10))
        return npg__zip_fail(f, NPG_E_ZIP_EOCD, p, "EOCD entry counts differ (%u, %u)",
                             (unsigned)npg__zip_u16(e + 8), (unsigned)npg__zip_u16(e + 10));
    end->eocd_pos = p;
    /* CPython consults a zip64 locator whenever its signature is there; so do we. */
    if (p >= NPG_ZIP_LOC64_LEN && npg__zip_u32(e - NPG_ZIP_LOC64_LEN) == NPG_ZIP_SIG_LOC64)
        return read_zip64(buf, p, end, f);
    if (npg__zip_u32(e + 12) == NPG_ZIP_U32_MAX || npg__zip_u32(e + 16) == NPG_ZIP_U32_MAX)
        return npg__zip_fail(f, NPG_E_ZIP_ZIP64, p, "EOCD defers to zip64 records that are missing");
    end->count = npg__zip_u16(e + 10);
    end->cd_size = npg__zip_u32(e + 12);
    end->cd_offset = npg__zip_u32(e + 16);
    end->cd_end = p;
    end->zip64 = false;
    return NPG_OK;
}

int npg__zip_read_end(const uint8_t *buf, size_t len, size_t max_members, npg_zip_end *end,
                      npg_zip_fail *f)
{
    size_t p = 0;
    int rc = locate_eocd(buf, len, &p, f);
    if (rc == NPG_OK) rc = read_fields(buf, p, end, f);
    if (rc != NPG_OK) return rc;
    int code = end->zip64 ? NPG_E_ZIP_ZIP64 : NPG_E_ZIP_EOCD;
    uint64_t where = end->zip64 ? end->cd_end : end->eocd_pos;
    /* Never trust the count for anything but this comparison: no allocation is sized by it. */
    if (end->count > max_members)
        return npg__zip_fail(f, NPG_E_LIMIT_MEMBERS, where, "%llu entries declared, the limit is %zu",
                             (unsigned long long)end->count, max_members);
    uint64_t cd_stop;
    if (!npg__add_u64(end->cd_offset, end->cd_size, &cd_stop) || cd_stop > end->cd_end)
        return npg__zip_fail(f, code, where,
                             "central directory (offset %llu, %llu bytes) runs past the end record",
                             (unsigned long long)end->cd_offset, (unsigned long long)end->cd_size);
    /* The bytes in between are what CPython calls "concat": prepended data or an earlier archive. */
    if (cd_stop < end->cd_end)
        return npg__zip_fail(f, NPG_E_ZIP_LAYOUT, cd_stop,
                             "%llu unaccounted bytes: data prepended, or archives concatenated",
                             (unsigned long long)(end->cd_end - cd_stop));
    if (end->count > end->cd_size / NPG_ZIP_CENTRAL_LEN)
        return npg__zip_fail(f, NPG_E_ZIP_CD, end->cd_offset,
                             "%llu entries declared in a central directory of %llu bytes",
                             (unsigned long long)end->count, (unsigned long long)end->cd_size);
    return NPG_OK;
}
