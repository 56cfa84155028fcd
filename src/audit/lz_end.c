/* Lenient end-of-archive search: where would a central-directory reader find the archive in these
 * bytes? Used to sniff zips that do not start at offset 0 (prepended data, a pickle or .npy file
 * with an archive appended: polyglots) and to list the members of archives npg_zip_open refused.
 *
 * Like CPython's zipfile, the EOCD is searched in the last 64 KiB + 22 bytes, the zip64 locator
 * and end record are followed, and `concat` (how far the directory sits from where the records
 * say) is added to every offset. A candidate is only taken when its central directory really
 * starts with a central-directory signature (or is empty with zero entries), so stray "PK\5\6"
 * bytes in array data do not make a file a zip. */
#include <string.h>

#include "../zip/zip.h"
#include "audit.h"

enum { SEARCH = NPG_ZIP_MAX_COMMENT + NPG_ZIP_EOCD_LEN };

static bool sig_at(const uint8_t *buf, size_t len, uint64_t pos, uint32_t sig)
{
    return npg__zip_span(len, pos, 4) && npg__zip_u32(buf + pos) == sig;
}

/* The zip64 end record a locator right before the EOCD points at (or that sits right before the
 * locator, when prepended data shifted the absolute offset). */
static bool read_zip64(const uint8_t *buf, size_t len, uint64_t eocd, npg_lz_end *e, uint64_t *cd_end,
                       uint64_t *cd_off)
{
    if (eocd < NPG_ZIP_LOC64_LEN) return false;
    uint64_t loc = eocd - NPG_ZIP_LOC64_LEN;
    if (!sig_at(buf, len, loc, NPG_ZIP_SIG_LOC64)) return false;
    uint64_t cand[2] = {npg__zip_u64(buf + loc + 8), loc >= NPG_ZIP_EOCD64_LEN ? loc - NPG_ZIP_EOCD64_LEN : loc};
    for (int i = 0; i < 2; i++) {
        uint64_t r = cand[i];
        if (r >= loc || !npg__zip_span(len, r, NPG_ZIP_EOCD64_LEN) || !sig_at(buf, len, r, NPG_ZIP_SIG_EOCD64))
            continue;
        e->count = npg__zip_u64(buf + r + 32);
        e->cd_size = npg__zip_u64(buf + r + 40);
        *cd_off = npg__zip_u64(buf + r + 48);
        *cd_end = r;
        return true;
    }
    return false;
}

/* Is the EOCD at pos one a reader would use? Fills e when it is. */
static bool candidate(const uint8_t *buf, size_t len, uint64_t pos, npg_lz_end *e)
{
    const uint8_t *p = buf + pos;
    uint64_t cd_end = pos, cd_off = npg__zip_u32(p + 16);
    e->eocd = pos;
    e->count = npg__zip_u16(p + 10);
    e->cd_size = npg__zip_u32(p + 12);
    if (e->count == NPG_ZIP_U16_MAX || e->cd_size == NPG_ZIP_U32_MAX || cd_off == NPG_ZIP_U32_MAX)
        read_zip64(buf, len, pos, e, &cd_end, &cd_off);
    if (e->cd_size > cd_end) return false;
    uint64_t right_before = cd_end - e->cd_size;
    if (e->cd_size == 0) { /* an empty archive: nothing to point at */
        if (e->count != 0) return false;
        e->cd_pos = right_before;
        e->concat = right_before >= cd_off ? right_before - cd_off : 0;
        return true;
    }
    if (sig_at(buf, len, right_before, NPG_ZIP_SIG_CENTRAL)) { /* CPython's reading */
        e->cd_pos = right_before;
        e->concat = right_before >= cd_off ? right_before - cd_off : 0;
        return true;
    }
    if (cd_off < cd_end && sig_at(buf, len, cd_off, NPG_ZIP_SIG_CENTRAL)) { /* a gap before the EOCD */
        e->cd_pos = cd_off;
        e->cd_size = cd_end - cd_off < e->cd_size ? cd_end - cd_off : e->cd_size;
        e->concat = 0;
        return true;
    }
    return false;
}

bool npg__lz_find_end(const uint8_t *buf, size_t len, npg_lz_end *end)
{
    if (len < NPG_ZIP_EOCD_LEN) return false;
    uint64_t lo = len > SEARCH ? len - SEARCH : 0;
    for (uint64_t pos = len - NPG_ZIP_EOCD_LEN + 1; pos-- > lo;) {
        const uint8_t *p = buf + pos;
        if (p[0] != 'P' || npg__zip_u32(p) != NPG_ZIP_SIG_EOCD) continue;
        npg_lz_end e;
        memset(&e, 0, sizeof e);
        if (candidate(buf, len, pos, &e)) {
            *end = e;
            return true;
        }
    }
    return false;
}
