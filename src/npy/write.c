/* The .npy writer: byte for byte what NumPy 1.24's np.save writes.
 *
 *   header  = "{'descr': " repr(descr) ", 'fortran_order': " B ", 'shape': " repr(shape) ", }"
 *             + GROWTH_AXIS padding: 21 - len(repr(growth axis)) spaces (NumPy >= 1.24, so the
 *               header can be rewritten in place when that axis grows; none for 0-d arrays)
 *   version = 1.0 if the text is latin-1 and the padded header fits a u16 length, else 2.0 if
 *             latin-1, else 3.0 (UTF-8)
 *   file    = magic, version, HEADER_LEN, header, spaces to a multiple of 64 (at least one), '\n',
 *             then the data as given.
 *
 * repr() of the descr differs from npg__dtype_descr's text only in printable non-ASCII
 * characters, which repr() writes raw and npg__dtype_descr escapes (\xNN, \uNNNN, \UNNNNNNNN);
 * the writer turns those escapes back into characters. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "../common/checked.h"
#include "../pickle/value.h"
#include "npy.h"
#include "unicode.h"

enum { GROWTH_AXIS_MAX_DIGITS = 21, ARRAY_ALIGN = 64 };

static const uint8_t magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};

static int hex_val(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1; /* npg__dtype_descr writes lower-case hex only */
}

/* Rewrite s[0..n) (npg__dtype_descr's ASCII text) in place as repr() would write it, in UTF-8:
 * printable characters behind \x/\u/\U escapes become raw. The output is never longer (an
 * escape of k >= 4 bytes becomes at most 4 bytes of UTF-8... and at most k). Returns the new
 * length; *max_cp gets the largest raw code point. */
static size_t unescape_printable(char *s, size_t n, uint32_t *max_cp)
{
    size_t r = 0, w = 0;
    *max_cp = 0;
    while (r < n) {
        if (s[r] != '\\' || r + 1 >= n) {
            s[w++] = s[r++];
            continue;
        }
        char e = s[r + 1];
        size_t ndig = e == 'x' ? 2 : e == 'u' ? 4 : e == 'U' ? 8 : 0;
        uint32_t cp = 0;
        bool ok = ndig > 0 && r + 2 + ndig <= n;
        for (size_t i = 0; ok && i < ndig; i++) {
            int h = hex_val(s[r + 2 + i]);
            ok = h >= 0;
            cp = (cp << 4) | (uint32_t)(h < 0 ? 0 : h);
        }
        if (!ok || cp > 0x10FFFF || !npg__npy_printable(cp)) { /* stays an escape, as in repr() */
            s[w++] = s[r++];
            s[w++] = s[r++];
            continue;
        }
        uint8_t enc[4];
        size_t k = npg__utf8_put(enc, cp);
        memcpy(s + w, enc, k);
        w += k;
        r += 2 + ndig;
        if (cp > *max_cp) *max_cp = cp;
    }
    return w;
}

/* UTF-8 s[0..n) with every code point <= 0xFF, as latin-1 in place; returns the new length. */
static size_t to_latin1(char *s, size_t n)
{
    size_t r = 0, w = 0;
    while (r < n) {
        uint8_t b = (uint8_t)s[r];
        if (b >= 0xC2 && b <= 0xC3 && r + 1 < n) {
            s[w++] = (char)(((b & 0x1F) << 6) | ((uint8_t)s[r + 1] & 0x3F));
            r += 2;
        } else {
            s[w++] = s[r++];
        }
    }
    return w;
}

/* The text after the descr: fortran_order, shape, the closing brace and the growth padding. */
static size_t format_tail(char *buf, size_t cap, size_t ndim, const uint64_t *shape, int fortran)
{
    size_t n = 0;
    int k = snprintf(buf, cap, ", 'fortran_order': %s, 'shape': (", fortran ? "True" : "False");
    n = (size_t)k;
    for (size_t i = 0; i < ndim; i++) {
        k = snprintf(buf + n, cap - n, "%s%" PRIu64, i ? ", " : "", shape[i]);
        n += (size_t)k;
    }
    k = snprintf(buf + n, cap - n, "%s), }", ndim == 1 ? "," : "");
    n += (size_t)k;
    if (ndim > 0) {
        char digits[24];
        int nd = snprintf(digits, sizeof digits, "%" PRIu64, shape[fortran ? ndim - 1 : 0]);
        for (int i = nd; i < GROWTH_AXIS_MAX_DIGITS; i++) buf[n++] = ' ';
    }
    buf[n] = '\0';
    return n;
}

/* Room for format_tail: 64 dimensions of 20 digits plus separators, text and padding. */
enum { TAIL_CAP = 64 * 22 + 128 };

typedef struct layout {
    int major;
    size_t prefix;   /* 10 or 12 */
    uint64_t hlen;   /* HEADER_LEN */
    bool latin1;
} layout;

/* NumPy's _wrap_header_guess_version: 1.0 when latin-1 and the padded length fits a u16, else
 * 2.0 when latin-1, else 3.0. */
static bool choose_layout(size_t text_len, bool latin1, layout *L)
{
    for (int major = latin1 ? 1 : 3; major <= 3; major++) {
        size_t prefix = major == 1 ? 10 : 12;
        uint64_t hlen = (uint64_t)text_len + 1; /* the '\n' */
        uint64_t pad = ARRAY_ALIGN - (prefix + hlen) % ARRAY_ALIGN;
        hlen += pad;
        if (hlen <= (major == 1 ? 0xFFFFu : 0xFFFFFFFFu)) {
            *L = (layout){major, prefix, hlen, latin1};
            return true;
        }
        if (major == 2) break; /* v3 only for text that is not latin-1 */
    }
    return false;
}

/* magic, version, HEADER_LEN, the text pieces, padding and '\n' into out. */
static void put_header(uint8_t *out, const layout *L, const char *descr, size_t dlen, const char *tail,
                       size_t tlen)
{
    static const char open[] = "{'descr': ";
    size_t text = sizeof open - 1 + dlen + tlen;
    memcpy(out, magic, sizeof magic);
    out[6] = (uint8_t)L->major;
    out[7] = 0;
    for (size_t i = 0; i < L->prefix - 8; i++) out[8 + i] = (uint8_t)(L->hlen >> (8 * i));
    out += L->prefix;
    memcpy(out, open, sizeof open - 1);
    memcpy(out + sizeof open - 1, descr, dlen);
    memcpy(out + sizeof open - 1 + dlen, tail, tlen);
    memset(out + text, ' ', (size_t)L->hlen - 1 - text);
    out[L->hlen - 1] = '\n';
}

/* The descr as repr() writes it, latin-1 or UTF-8, in a buffer from mem (*cap bytes). */
static int descr_text(const npg_dtype *dtype, npg_mem *mem, char **out, size_t *len, size_t *cap,
                      bool *latin1, npg_diag *d)
{
    uint32_t max_cp;
    size_t n = npg__dtype_descr(dtype, NULL, 0);
    if (n == 0) return npg__diag(d, NPG_E_INVALID, "NumPy has no descr for this dtype (overlapping or out-of-order fields)");
    if (!npg__add_sz(n, 1, cap)) return npg__diag(d, NPG_E_INVALID, "descr too long");
    char *s = npg__mem_alloc(mem, *cap);
    if (!s) return npg__diag(d, NPG_E_NOMEM, "out of memory");
    npg__dtype_descr(dtype, s, *cap);
    n = unescape_printable(s, n, &max_cp);
    *latin1 = max_cp <= 0xFF;
    *len = *latin1 ? to_latin1(s, n) : n;
    *out = s;
    return NPG_OK;
}

int npg__npy_format_header(const npg_dtype *dtype, size_t ndim, const uint64_t *shape, int fortran,
                           uint8_t *out, size_t cap, size_t *len, npg_diag *d)
{
    char tail[TAIL_CAP], *descr = NULL;
    npg_mem mem;
    layout L;
    size_t dlen = 0, dcap = 0, total;
    bool latin1 = true;
    *len = 0;
    if (!dtype || (ndim && !shape) || ndim > NPG_MAX_NDIM || (!out && cap))
        return npg__diag(d, NPG_E_INVALID, "invalid argument");
    if (dtype->flags & NPG_DT_HAS_OBJECT)
        return npg__diag(d, NPG_E_INVALID, "object dtypes are written by pickling, which npguard does not do");
    /* scratch for the descr text: libc behind the usual accounting (the writer has no context) */
    npg__mem_init(&mem, npg__libc_alloc(), UINT64_MAX);
    int rc = descr_text(dtype, &mem, &descr, &dlen, &dcap, &latin1, d);
    if (rc == NPG_OK) {
        size_t tlen = format_tail(tail, sizeof tail, ndim, shape, fortran);
        size_t text = sizeof "{'descr': " - 1 + dlen + tlen;
        if (!choose_layout(text, latin1, &L) || !npg__u64_to_sz(L.prefix + L.hlen, &total)) {
            rc = npg__diag(d, NPG_E_INVALID, "header too long for any .npy version");
        } else {
            *len = total;
            if (cap >= total) put_header(out, &L, descr, dlen, tail, tlen);
        }
    }
    npg__mem_free(&mem, descr, dcap);
    return rc;
}

/* ------------------------------------------------------------------ public writers */

static void set_err(npg_error *err, int code, const char *msg)
{
    if (!err) return;
    memset(err, 0, sizeof *err);
    err->code = code;
    err->opcode = -1;
    snprintf(err->message, sizeof err->message, "%s", msg);
}

/* write() takes size_t lengths: hand over large data in pieces. */
static int emit(npg_write_fn write, void *ud, const uint8_t *p, uint64_t n)
{
    const uint64_t piece = (uint64_t)1 << 30;
    while (n > 0) {
        size_t k = (size_t)(n < piece ? n : piece);
        if (write(ud, p, k) != 0) return NPG_E_INVALID;
        p += k;
        n -= k;
    }
    return NPG_OK;
}

/* Elements times itemsize, false on overflow. */
static bool data_len(const npg_dtype *dtype, size_t ndim, const uint64_t *shape, uint64_t *out)
{
    uint64_t n = 1;
    for (size_t i = 0; i < ndim; i++) {
        if (!npg__mul_u64(n, shape[i], &n)) return false;
    }
    return npg__mul_u64(n, dtype->itemsize, out);
}

static int write_npy(const npg_dtype *dtype, size_t ndim, const uint64_t *shape, int fortran,
                     const uint8_t *data, uint64_t len, npg_write_fn write, void *ud, npg_error *err)
{
    npg_diag d;
    size_t hlen;
    uint64_t n;
    if (!write || !dtype || (ndim && !shape) || (!data && len) || ndim > NPG_MAX_NDIM) {
        set_err(err, NPG_E_INVALID, "invalid argument");
        return NPG_E_INVALID;
    }
    if (!data_len(dtype, ndim, shape, &n) || n != len) {
        set_err(err, NPG_E_INVALID, "data length is not the shape's element count times the itemsize");
        return NPG_E_INVALID;
    }
    int rc = npg__npy_format_header(dtype, ndim, shape, fortran, NULL, 0, &hlen, &d);
    if (rc) {
        set_err(err, rc, d.msg);
        return rc;
    }
    uint8_t small[512];
    npg_mem mem;
    npg__mem_init(&mem, npg__libc_alloc(), UINT64_MAX);
    uint8_t *hdr = hlen <= sizeof small ? small : npg__mem_alloc(&mem, hlen);
    if (!hdr) {
        set_err(err, NPG_E_NOMEM, "out of memory");
        return NPG_E_NOMEM;
    }
    rc = npg__npy_format_header(dtype, ndim, shape, fortran, hdr, hlen, &hlen, &d);
    if (rc == NPG_OK && (rc = emit(write, ud, hdr, hlen)) == NPG_OK) rc = emit(write, ud, data, len);
    if (hdr != small) npg__mem_free(&mem, hdr, hlen);
    if (rc) set_err(err, rc, rc == NPG_E_INVALID ? "the write callback stopped" : d.msg);
    else set_err(err, NPG_OK, "");
    return rc;
}

NPG_API int npg_npy_write(const npg_value *array, npg_write_fn write, void *ud, npg_error *err)
{
    uint64_t len;
    int borrowed;
    const uint8_t *data = npg_array_data(array, &len, &borrowed);
    const npg_dtype *dt = npg_array_dtype(array);
    if (!dt || !data) { /* not an array, or an array of objects */
        set_err(err, NPG_E_INVALID, dt ? "object arrays are not written" : "not an array");
        return NPG_E_INVALID;
    }
    return write_npy(dt, npg_array_ndim(array), npg_array_shape(array), npg_array_fortran(array), data,
                     len, write, ud, err);
}

NPG_API int npg_npy_write_raw(const npg_dtype *dtype, size_t ndim, const uint64_t *shape, int fortran,
                              const uint8_t *data, uint64_t len, npg_write_fn write, void *ud,
                              npg_error *err)
{
    return write_npy(dtype, ndim, shape, fortran, data, len, write, ud, err);
}
