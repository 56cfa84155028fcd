/* Member names. np.load never extracts, but npz files are also unpacked by unzip, by scanners
 * and by tools that map names to paths, so a name must be a plain relative path: no absolute
 * path, no "." or ".." component, no backslash or drive letter (Windows separators), no control
 * byte (terminal escapes, NUL truncation in C consumers). Names are ASCII, or UTF-8 with flag
 * bit 11: without it CPython decodes the bytes as cp437 and would see another name than a UTF-8
 * reader. And names are unique, also once ".npy" is stripped: NumPy maps "a" and "a.npy" to the
 * same key and silently serves one of them. */
#include <stdlib.h>
#include <string.h>

#include "zip.h"

/* Length of the UTF-8 sequence at s[0..n) (strict: no overlong form, surrogate, or code point
 * above U+10FFFF, and no C1 control U+0080..U+009F), or 0 when invalid. */
static size_t utf8_seq(const uint8_t *s, size_t n)
{
    uint8_t c = s[0];
    size_t len;
    uint32_t cp, min;
    if (c >= 0xC2 && c <= 0xDF) len = 2, cp = c & 0x1F, min = 0x80;
    else if (c >= 0xE0 && c <= 0xEF) len = 3, cp = c & 0x0F, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4) len = 4, cp = c & 0x07, min = 0x10000;
    else return 0;
    if (n < len) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || cp <= 0x9F) return 0;
    return len;
}

/* Bytes: printable ASCII except \ and :, or valid UTF-8 when the flag allows it. */
static int check_bytes(const uint8_t *s, size_t n, unsigned flags, uint64_t pos, npg_zip_fail *f)
{
    for (size_t i = 0; i < n;) {
        uint8_t c = s[i];
        if (c < 0x20 || c == 0x7F)
            return npg__zip_fail_at(f, NPG_E_ZIP_NAME, pos, s, n, "control byte 0x%02x in a member name", c);
        if (c == '\\' || c == ':')
            return npg__zip_fail_at(f, NPG_E_ZIP_NAME, pos, s, n,
                                    "'%c' in a member name (Windows path separator or drive)", c);
        if (c < 0x80) {
            i++;
            continue;
        }
        if (!(flags & NPG_ZIP_FLAG_UTF8))
            return npg__zip_fail_at(f, NPG_E_ZIP_NAME, pos, s, n,
                                    "non-ASCII member name without the UTF-8 flag (read as cp437 by CPython)");
        size_t k = utf8_seq(s + i, n - i);
        if (!k) return npg__zip_fail_at(f, NPG_E_ZIP_NAME, pos, s, n, "member name is not valid UTF-8 (or holds a C1 control)");
        i += k;
    }
    return NPG_OK;
}

/* Components between '/': none empty (absolute path, "//", trailing '/' of a directory), none
 * "." or "..". */
static int check_components(const uint8_t *s, size_t n, uint64_t pos, npg_zip_fail *f)
{
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] != '/') continue;
        size_t k = i - start;
        if (k == 0)
            return npg__zip_fail_at(f, NPG_E_ZIP_NAME, pos, s, n,
                                    start == 0 ? "absolute member name"
                                               : "empty path component in a member name");
        if ((k == 1 && s[start] == '.') || (k == 2 && s[start] == '.' && s[start + 1] == '.'))
            return npg__zip_fail_at(f, NPG_E_ZIP_NAME, pos, s, n, "'.' or '..' component in a member name");
        start = i + 1;
    }
    return NPG_OK;
}

int npg__zip_check_name(const uint8_t *s, size_t n, unsigned flags, uint64_t pos, npg_zip_fail *f)
{
    if (n == 0) return npg__zip_fail(f, NPG_E_ZIP_NAME, pos, "empty member name");
    if (n > NPG_ZIP_MAX_NAME)
        return npg__zip_fail_at(f, NPG_E_ZIP_NAME, pos, s, n, "member name of %zu bytes (limit %d)", n,
                                NPG_ZIP_MAX_NAME);
    int rc = check_bytes(s, n, flags, pos, f);
    return rc != NPG_OK ? rc : check_components(s, n, pos, f);
}

size_t npg__zip_key_len(const uint8_t *s, size_t n)
{
    return n >= 4 && memcmp(s + n - 4, ".npy", 4) == 0 ? n - 4 : n;
}

static int key_cmp(const void *a, const void *b)
{
    const npg_zip_entry *x = *(const npg_zip_entry *const *)a;
    const npg_zip_entry *y = *(const npg_zip_entry *const *)b;
    size_t nx = npg__zip_key_len((const uint8_t *)x->m.name, x->name_len);
    size_t ny = npg__zip_key_len((const uint8_t *)y->m.name, y->name_len);
    int c = memcmp(x->m.name, y->m.name, nx < ny ? nx : ny);
    if (c) return c;
    if (nx != ny) return nx < ny ? -1 : 1;
    return x->cd_pos < y->cd_pos ? -1 : x->cd_pos > y->cd_pos; /* deterministic report */
}

int npg__zip_check_unique(npg_zip *z, npg_zip_fail *f)
{
    if (z->n < 2) return NPG_OK;
    npg_zip_entry **ix = npg__mem_alloc(&z->mem, z->n * sizeof *ix);
    if (!ix) return npg__zip_fail(f, z->mem.status, 0, "no memory to check member names");
    for (size_t i = 0; i < z->n; i++) ix[i] = &z->e[i];
    qsort(ix, z->n, sizeof *ix, key_cmp);
    int rc = NPG_OK;
    for (size_t i = 1; i < z->n && rc == NPG_OK; i++) {
        const npg_zip_entry *a = ix[i - 1], *b = ix[i];
        size_t na = npg__zip_key_len((const uint8_t *)a->m.name, a->name_len);
        size_t nb = npg__zip_key_len((const uint8_t *)b->m.name, b->name_len);
        if (na == nb && memcmp(a->m.name, b->m.name, na) == 0)
            rc = npg__zip_fail_at(f, NPG_E_ZIP_DUPLICATE, b->cd_pos, (const uint8_t *)b->m.name, b->name_len,
                                  "member name used twice (entries at %llu and %llu)",
                                  (unsigned long long)a->m.header_offset,
                                  (unsigned long long)b->m.header_offset);
    }
    npg__mem_free(&z->mem, ix, z->n * sizeof *ix);
    return rc;
}
