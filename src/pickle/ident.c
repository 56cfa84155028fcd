/* Module names an import could find (ident.h), by the identifier tables Python itself uses. */
#include "ident.h"

#include "ident_table.h"

enum { NAME_MAX_BYTES = 255 };

static bool in_ranges(const uint32_t (*r)[2], size_t count, uint32_t cp)
{
    size_t lo = 0, hi = count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cp < r[mid][0]) hi = mid;
        else if (cp > r[mid][1]) lo = mid + 1;
        else return true;
    }
    return false;
}

#define COUNT(t) (sizeof(t) / sizeof((t)[0]))

/* One code point of well-formed UTF-8 (surrogates allowed: they are no identifier anyway);
 * returns its length, or 0 for a malformed sequence. */
static size_t decode(const uint8_t *s, size_t n, uint32_t *cp)
{
    uint8_t c = s[0];
    size_t len = c < 0x80 ? 1 : c >= 0xC2 && c < 0xE0 ? 2 : c >= 0xE0 && c < 0xF0 ? 3 : c >= 0xF0 && c < 0xF5 ? 4 : 0;
    if (len == 0 || len > n) return 0;
    uint32_t v = len == 1 ? c : len == 2 ? c & 0x1F : len == 3 ? c & 0x0F : c & 0x07;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        v = v << 6 | (s[i] & 0x3F);
    }
    static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (v < min[len] || v > 0x10FFFF) return 0; /* overlong or too large */
    *cp = v;
    return len;
}

static bool component_ok(const uint8_t *s, size_t n)
{
    if (n == 0 || n > NAME_MAX_BYTES) return false;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t k = decode(s + i, n - i, &cp);
        if (k == 0) return false;
        bool ok = i == 0 ? in_ranges(npg_ident_start, COUNT(npg_ident_start), cp)
                         : in_ranges(npg_ident_continue, COUNT(npg_ident_continue), cp);
        if (!ok) return false;
        i += k;
    }
    return true;
}

bool npg__module_importable(const uint8_t *m, size_t n)
{
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || m[i] == '.') {
            if (!component_ok(m + start, i - start)) return false;
            start = i + 1;
        }
    }
    return true;
}
