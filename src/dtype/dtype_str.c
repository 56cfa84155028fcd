/* Text forms of a dtype: NumPy's dtype.str and the descr a .npy header holds. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "dtype.h"

/* ------------------------------------------------------------------ dtype.str */

size_t npg__dtype_format_str(const npg_dtype *dt, char out[NPG_DTYPE_STR_CAP])
{
    int n;
    if (dt->kind == 'O') {
        n = snprintf(out, NPG_DTYPE_STR_CAP, "%cO", dt->byteorder); /* NumPy omits the size */
    } else if (dt->kind == 'U') {
        n = snprintf(out, NPG_DTYPE_STR_CAP, "%cU%" PRIu64, dt->byteorder, dt->itemsize / 4);
    } else if ((dt->kind == 'M' || dt->kind == 'm') && strcmp(dt->unit, "generic") != 0) {
        if (dt->unit_num == 1)
            n = snprintf(out, NPG_DTYPE_STR_CAP, "%c%c8[%s]", dt->byteorder, dt->kind, dt->unit);
        else
            n = snprintf(out, NPG_DTYPE_STR_CAP, "%c%c8[%lu%s]", dt->byteorder, dt->kind,
                         (unsigned long)dt->unit_num, dt->unit);
    } else {
        n = snprintf(out, NPG_DTYPE_STR_CAP, "%c%c%" PRIu64, dt->byteorder, dt->kind, dt->itemsize);
    }
    if (n < 0) { /* cannot happen with these formats; keep the buffer a valid string */
        out[0] = '\0';
        return 0;
    }
    return (size_t)n < NPG_DTYPE_STR_CAP ? (size_t)n : NPG_DTYPE_STR_CAP - 1;
}

NPG_API size_t npg_dtype_str(const npg_dtype *d, char *buf, size_t cap)
{
    char tmp[NPG_DTYPE_STR_CAP];
    if (!buf || cap == 0) return 0;
    if (!d) {
        buf[0] = '\0';
        return 0;
    }
    size_t n = npg__dtype_format_str(d, tmp);
    if (n > cap - 1) n = cap - 1;
    memcpy(buf, tmp, n);
    buf[n] = '\0';
    return n;
}

/* ------------------------------------------------------------------ descr */

/* snprintf-style sink: stores what fits, counts everything. */
typedef struct sink {
    char *buf;
    size_t cap;
    size_t len;
} sink;

static void put_bytes(sink *s, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s->len + 1 < s->cap) s->buf[s->len] = p[i];
        if (s->len < SIZE_MAX - 1) s->len++; /* saturate; the caller sees "does not fit" */
    }
}

static void put_lit(sink *s, const char *lit) { put_bytes(s, lit, strlen(lit)); }

static void put_u64(sink *s, uint64_t v)
{
    char tmp[24];
    int n = snprintf(tmp, sizeof tmp, "%" PRIu64, v);
    put_bytes(s, tmp, n > 0 ? (size_t)n : 0);
}

/* One code point of (surrogatepass) UTF-8 at p[0..n): returns its length, 0 if malformed. */
static size_t utf8_decode(const uint8_t *p, size_t n, uint32_t *cp)
{
    size_t len;
    uint32_t c = p[0], min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) len = 2, c &= 0x1F, min = 0x80;
    else if (c >= 0xE0 && c <= 0xEF) len = 3, c &= 0x0F, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4) len = 4, c &= 0x07, min = 0x10000;
    else return 0;
    if (len > n) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80) return 0;
        c = (c << 6) | (p[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF) return 0;
    *cp = c;
    return len;
}

static void put_escaped_cp(sink *s, uint32_t cp, char quote)
{
    char tmp[12];
    if (cp == '\\' || cp == (uint32_t)quote) {
        tmp[0] = '\\';
        tmp[1] = (char)cp;
        put_bytes(s, tmp, 2);
        return;
    }
    if (cp >= 0x20 && cp < 0x7F) {
        tmp[0] = (char)cp;
        put_bytes(s, tmp, 1);
        return;
    }
    if (cp == '\t') snprintf(tmp, sizeof tmp, "\\t");
    else if (cp == '\n') snprintf(tmp, sizeof tmp, "\\n");
    else if (cp == '\r') snprintf(tmp, sizeof tmp, "\\r");
    /* Python's repr() would keep printable non-ASCII characters; we escape them all as ascii()
     * does, so that a header stays ASCII without a Unicode table (same string when parsed). */
    else if (cp < 0x100) snprintf(tmp, sizeof tmp, "\\x%02x", (unsigned)cp);
    else if (cp < 0x10000) snprintf(tmp, sizeof tmp, "\\u%04x", (unsigned)cp);
    else snprintf(tmp, sizeof tmp, "\\U%08x", (unsigned)cp);
    put_lit(s, tmp);
}

/* A Python str literal as repr() writes it: single quotes unless the text holds a single quote
 * and no double quote. */
static void put_pystr(sink *s, const char *text, size_t n)
{
    const uint8_t *p = (const uint8_t *)text;
    char quote = (memchr(p, '\'', n) && !memchr(p, '"', n)) ? '"' : '\'';
    put_bytes(s, &quote, 1);
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t len = utf8_decode(p + i, n - i, &cp);
        if (len == 0) { /* validated input never gets here; keep the output a valid literal */
            cp = p[i];
            len = 1;
        }
        put_escaped_cp(s, cp, quote);
        i += len;
    }
    put_bytes(s, &quote, 1);
}

static void put_shape(sink *s, const uint64_t *shape, size_t ndim)
{
    put_lit(s, "(");
    for (size_t i = 0; i < ndim; i++) {
        if (i > 0) put_lit(s, ", ");
        put_u64(s, shape[i]);
    }
    if (ndim == 1) put_lit(s, ",");
    put_lit(s, ")");
}

static void put_typestr(sink *s, const npg_dtype *dt)
{
    char str[NPG_DTYPE_STR_CAP];
    size_t n = npg__dtype_format_str(dt, str);
    put_pystr(s, str, n);
}

static bool put_field_list(sink *s, const npg_dtype *dt);

/* The format part of a descr entry: a typestr, a nested field list, or (format, shape) for a
 * subarray met inside a format (NumPy keeps a subarray-of-subarray that way). */
static bool put_format(sink *s, const npg_dtype *dt)
{
    if (dt->flags & NPG_DT_STRUCTURED) return put_field_list(s, dt);
    if (!dt->base) {
        put_typestr(s, dt);
        return true;
    }
    put_lit(s, "(");
    if (!put_format(s, dt->base)) return false;
    put_lit(s, ", ");
    put_shape(s, dt->sub_shape, dt->sub_ndim);
    put_lit(s, ")");
    return true;
}

static void put_padding(sink *s, uint64_t n)
{
    put_lit(s, "('', '|V");
    put_u64(s, n);
    put_lit(s, "')");
}

static bool put_field(sink *s, const npg_field *f)
{
    put_lit(s, "(");
    if (f->title) {
        put_lit(s, "(");
        put_pystr(s, f->title, f->title_len);
        put_lit(s, ", ");
        put_pystr(s, f->name, f->name_len);
        put_lit(s, ")");
    } else {
        put_pystr(s, f->name, f->name_len);
    }
    put_lit(s, ", ");
    /* a subarray field is written (name, base format, shape) */
    const npg_dtype *fd = f->dtype;
    if (!put_format(s, fd->base ? fd->base : fd)) return false;
    if (fd->base) {
        put_lit(s, ", ");
        put_shape(s, fd->sub_shape, fd->sub_ndim);
    }
    put_lit(s, ")");
    return true;
}

/* Fields in order, with ('', '|Vn') for every gap and for the tail up to itemsize. NumPy has no
 * descr when a field starts before the previous one ended. */
static bool put_field_list(sink *s, const npg_dtype *dt)
{
    uint64_t pos = 0;
    bool first = true;
    put_lit(s, "[");
    for (size_t i = 0; i < dt->nfields; i++) {
        const npg_field *f = &dt->fields[i];
        if (f->offset < pos) return false;
        if (!first) put_lit(s, ", ");
        first = false;
        if (f->offset > pos) {
            put_padding(s, f->offset - pos);
            put_lit(s, ", ");
        }
        if (!put_field(s, f)) return false;
        pos = f->offset + f->dtype->itemsize; /* within itemsize: checked when finished */
    }
    if (dt->itemsize > pos) {
        if (!first) put_lit(s, ", ");
        put_padding(s, dt->itemsize - pos);
    }
    put_lit(s, "]");
    return true;
}

size_t npg__dtype_descr(const npg_dtype *dt, char *buf, size_t cap)
{
    sink s = {buf, buf ? cap : 0, 0};
    bool ok;
    if (dt->flags & NPG_DT_STRUCTURED) {
        ok = put_field_list(&s, dt);
    } else {
        put_typestr(&s, dt); /* dtype_to_descr gives dtype.str, also for a subarray dtype */
        ok = true;
    }
    if (s.cap > 0) s.buf[s.len < s.cap ? s.len : s.cap - 1] = '\0';
    if (!ok) {
        if (s.cap > 0) s.buf[0] = '\0';
        return 0;
    }
    return s.len;
}

NPG_API size_t npg_dtype_descr(const npg_dtype *d, char *buf, size_t cap)
{
    if (!d) {
        if (buf && cap) buf[0] = '\0';
        return 0;
    }
    return npg__dtype_descr(d, buf, cap);
}
