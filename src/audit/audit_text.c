/* Magic numbers and the text test. Text is what np.savetxt, JSON and CSV writers produce:
 * printable UTF-8 with line breaks. It is only called inert after the pickle VM ran over the same
 * bytes and met no import or call (protocol 0 pickles are text too: audit_pickle.c decides). */
#include <string.h>

#include "audit.h"

bool npg__aud_is_npy(const uint8_t *p, size_t n)
{
    return n >= 6 && memcmp(p, "\x93NUMPY", 6) == 0;
}

/* A local header, or the EOCD of an empty archive (np.savez with no arrays writes only that). */
bool npg__aud_is_zip(const uint8_t *p, size_t n)
{
    return n >= 4 && (memcmp(p, "PK\3\4", 4) == 0 || memcmp(p, "PK\5\6", 4) == 0);
}

static bool is_space(uint8_t c)
{
    return c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Length of the well-formed UTF-8 sequence at p[0..n) (no overlongs, no surrogates, at most
 * U+10FFFF), or 0. p[0] >= 0x80. */
static size_t utf8_seq(const uint8_t *p, size_t n)
{
    uint8_t c = p[0];
    size_t len;
    uint8_t lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c == 0xE0) len = 3, lo = 0xA0;
    else if (c == 0xED) len = 3, hi = 0x9F;
    else if (c >= 0xE1 && c <= 0xEF) len = 3;
    else if (c == 0xF0) len = 4, lo = 0x90;
    else if (c == 0xF4) len = 4, hi = 0x8F;
    else if (c >= 0xF1 && c <= 0xF3) len = 4;
    else return 0;
    if (n < len || p[1] < lo || p[1] > hi) return 0;
    for (size_t i = 2; i < len; i++)
        if (p[i] < 0x80 || p[i] > 0xBF) return 0;
    /* C1 controls (U+0080-U+009F) are not text either */
    if (c == 0xC2 && p[1] <= 0x9F) return 0;
    return len;
}

bool npg__aud_is_text(const uint8_t *p, size_t n)
{
    size_t i = 0;
    if (n >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) i = 3;
    if (i == n) return false;
    while (i < n) {
        uint8_t c = p[i];
        if (c < 0x80) {
            if ((c < 0x20 && !is_space(c)) || c == 0x7F) return false;
            i++;
            continue;
        }
        size_t k = utf8_seq(p + i, n - i);
        if (k == 0) return false;
        i += k;
    }
    return true;
}
