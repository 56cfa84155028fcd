/* Unicode helpers for the .npy header (see unicode.h). */
#include "unicode.h"

#include "printable_table.h"

bool npg__npy_printable(uint32_t cp)
{
    /* binary search over the sorted, disjoint ranges of non-printable code points */
    size_t lo = 0, hi = sizeof npg_nonprintable / sizeof npg_nonprintable[0];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cp < npg_nonprintable[mid][0]) hi = mid;
        else if (cp > npg_nonprintable[mid][1]) lo = mid + 1;
        else return false;
    }
    return cp <= 0x10FFFF;
}

size_t npg__npy_utf8_decode(const uint8_t *p, size_t n, uint32_t *cp)
{
    uint32_t c, min;
    size_t len;
    if (n == 0) return 0;
    c = p[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) len = 2, c &= 0x1F, min = 0x80;
    else if (c >= 0xE0 && c <= 0xEF) len = 3, c &= 0x0F, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4) len = 4, c &= 0x07, min = 0x10000;
    else return 0; /* continuation byte, or a lead byte that can only start overlong/out-of-range forms */
    if (len > n) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80) return 0;
        c = (c << 6) | (p[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
    *cp = c;
    return len;
}

