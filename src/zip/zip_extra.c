/* Extra fields: a list of (id u16, size u16, data) records. CPython stops at a short tail and
 * reads only the zip64 record; other readers honour more ids. Anything that parses two ways is
 * refused: a partial record, an id seen twice (which copy wins differs between readers), an
 * Info-ZIP Unicode Path (a second name that some tools show instead of the real one), and
 * encryption headers. */
#include "zip.h"

/* Real writers put one to three records in a block; more is only room for tricks, and the cap
 * keeps the duplicate check (quadratic in the record count) trivially bounded. */
enum { MAX_RECORDS = 32 };

int npg__zip_extra_walk(const uint8_t *p, size_t n, uint64_t pos, const uint8_t **zip64,
                        size_t *zip64_len, npg_zip_fail *f)
{
    uint32_t seen[MAX_RECORDS];
    size_t nseen = 0;
    *zip64 = NULL;
    *zip64_len = 0;
    for (size_t i = 0; i < n; i += 4 + npg__zip_u16(p + i + 2)) {
        if (n - i < 4)
            return npg__zip_fail(f, NPG_E_ZIP_EXTRA, pos + i, "extra field ends inside a record header");
        uint32_t id = npg__zip_u16(p + i);
        size_t sz = npg__zip_u16(p + i + 2);
        if (sz > n - i - 4)
            return npg__zip_fail(f, NPG_E_ZIP_EXTRA, pos + i,
                                 "extra record 0x%04x of %zu bytes runs past the extra field",
                                 (unsigned)id, sz);
        if (nseen == MAX_RECORDS)
            return npg__zip_fail(f, NPG_E_ZIP_EXTRA, pos + i, "more than %d extra records", MAX_RECORDS);
        for (size_t k = 0; k < nseen; k++) {
            if (seen[k] == id)
                return npg__zip_fail(f, NPG_E_ZIP_EXTRA, pos + i, "extra record 0x%04x repeated",
                                     (unsigned)id);
        }
        seen[nseen++] = id;
        if (id == NPG_ZIP_EXTRA_UPATH || id == NPG_ZIP_EXTRA_STRONG || id == NPG_ZIP_EXTRA_AES)
            return npg__zip_fail(f, NPG_E_ZIP_EXTRA, pos + i,
                                 "extra record 0x%04x (alternative name or encryption)", (unsigned)id);
        if (id == NPG_ZIP_EXTRA_ZIP64) {
            *zip64 = p + i + 4;
            *zip64_len = sz;
        }
    }
    return NPG_OK;
}
