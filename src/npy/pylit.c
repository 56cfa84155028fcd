/* Lexer for the Python literals a .npy header holds: str literals, decimal ints, shape tuples.
 * Only what repr() writes is accepted (Python 2's too, where NumPy wrote it: 2L dimensions in
 * 1.0/2.0 headers); the header is parsed by a grammar, never evaluated. */
#include <stdarg.h>
#include <string.h>

#include "../common/checked.h"
#include "../dtype/dtype.h"
#include "npy.h"
#include "parse.h"
#include "unicode.h"

int npg__hp_fail(npg_hp *hp, int code, size_t off, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    npg__vdiag(hp->d, code, fmt, ap);
    va_end(ap);
    hp->err_off = off;
    return code;
}

int npg__hp_fail_alloc(npg_hp *hp)
{
    int code = hp->arena->mem->status != NPG_OK ? hp->arena->mem->status : NPG_E_NOMEM;
    return npg__hp_fail(hp, code, hp->cur.pos, code == NPG_E_LIMIT_ALLOC
                                                   ? "allocations above limits.max_alloc"
                                                   : "out of memory");
}

bool npg__hp_peek(const npg_hp *hp, uint8_t *b)
{
    if (npg__cur_left(&hp->cur) < 1) return false;
    *b = hp->cur.p[hp->cur.pos];
    return true;
}

bool npg__hp_accept(npg_hp *hp, const char *lit)
{
    size_t n = strlen(lit);
    if (npg__cur_left(&hp->cur) < n || memcmp(hp->cur.p + hp->cur.pos, lit, n) != 0) return false;
    hp->cur.pos += n;
    return true;
}

int npg__hp_expect(npg_hp *hp, const char *lit, int code, const char *what)
{
    size_t n = strlen(lit);
    for (size_t i = 0; i < n; i++) {
        uint8_t b;
        if (!npg__hp_peek(hp, &b) || b != (uint8_t)lit[i])
            return npg__hp_fail(hp, code, hp->cur.pos, "expected %s", what);
        hp->cur.pos++;
    }
    return NPG_OK;
}

/* ------------------------------------------------------------------ str literals */

static int hex_digit(uint8_t b)
{
    if (b >= '0' && b <= '9') return b - '0';
    if (b >= 'a' && b <= 'f') return b - 'a' + 10;
    if (b >= 'A' && b <= 'F') return b - 'A' + 10;
    return -1;
}

/* ndig hex digits from s (which stops at the closing quote). */
static bool read_hex(npg_cur *s, unsigned ndig, uint32_t *cp)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < ndig; i++) {
        uint8_t b;
        int h;
        if (!npg__cur_u8(s, &b) || (h = hex_digit(b)) < 0) return false;
        v = (v << 4) | (uint32_t)h;
    }
    *cp = v;
    return true;
}

/* Where the literal opened at hp->cur.pos - 1 (quote q) closes; the quote's offset or 0. */
static size_t find_close(const npg_hp *hp, uint8_t q)
{
    npg_cur s = hp->cur;
    uint8_t b;
    while (npg__cur_u8(&s, &b)) {
        if (b == q) return s.pos - 1;
        if (b == '\\' && !npg__cur_u8(&s, &b)) break; /* an escaped byte never closes */
    }
    return 0;
}

static int escape(npg_hp *hp, npg_cur *s, int code, uint32_t *cp)
{
    size_t at = s->pos - 1;
    uint8_t e;
    if (!npg__cur_u8(s, &e)) return npg__hp_fail(hp, code, at, "backslash at the end of a string");
    switch (e) {
    case '\\': case '\'': case '"': *cp = e; return NPG_OK;
    case 'n': *cp = '\n'; return NPG_OK;
    case 'r': *cp = '\r'; return NPG_OK;
    case 't': *cp = '\t'; return NPG_OK;
    case 'x':
    case 'u':
    case 'U':
        if (!read_hex(s, e == 'x' ? 2 : e == 'u' ? 4 : 8, cp))
            return npg__hp_fail(hp, code, at, "truncated \\%c escape", e);
        if (*cp > 0x10FFFF) return npg__hp_fail(hp, code, at, "escape beyond U+10FFFF");
        return NPG_OK;
    default:
        /* \a \b \f \v, octal, \N{...} and line continuations are Python but never repr() */
        return npg__hp_fail(hp, code, at, "escape \\%c is not one repr() writes",
                            e >= 0x20 && e < 0x7f ? e : '?');
    }
}

/* One raw (unescaped) character of the literal: a latin-1 byte, or a UTF-8 sequence in v3. */
static int raw_char(npg_hp *hp, npg_cur *s, uint32_t *cp)
{
    size_t at = s->pos;
    uint8_t b = s->p[s->pos];
    if (hp->utf8 && b >= 0x80) {
        size_t k = npg__npy_utf8_decode(s->p + s->pos, npg__cur_left(s), cp);
        if (k == 0) return npg__hp_fail(hp, NPG_E_NPY_ENCODING, at, "invalid UTF-8 in a string");
        s->pos += k;
    } else {
        *cp = b;
        s->pos++;
    }
    /* repr() escapes every non-printable character, so a raw one (control, format character,
     * unassigned, non-space separator) was not written by NumPy; it is also how look-alike
     * field names are made. */
    if (*cp < 0x20 || !npg__npy_printable(*cp))
        return npg__hp_fail(hp, NPG_E_NPY_ENCODING, at,
                            "raw character U+%04lX in a string (repr() writes it escaped)",
                            (unsigned long)*cp);
    return NPG_OK;
}

int npg__hp_str(npg_hp *hp, int code, const char **out, size_t *n, uint8_t *quote)
{
    size_t start = hp->cur.pos, close, cap;
    uint8_t q;
    if (!npg__hp_peek(hp, &q) || (q != '\'' && q != '"'))
        return npg__hp_fail(hp, code, start, "expected a string literal");
    hp->cur.pos++;
    if ((close = find_close(hp, q)) == 0)
        return npg__hp_fail(hp, code, start, "unterminated string literal");
    /* each input byte yields at most 2 bytes of UTF-8 (a latin-1 byte >= 0x80; \xHH: 4 -> 2) */
    if (!npg__mul_sz(close - hp->cur.pos, 2, &cap) || !npg__add_sz(cap, 1, &cap))
        return npg__hp_fail(hp, NPG_E_LIMIT_ALLOC, start, "string too long");
    uint8_t *buf = npg__arena_alloc(hp->arena, cap);
    if (!buf) return npg__hp_fail_alloc(hp);

    npg_cur s = hp->cur; /* the literal's body only */
    s.end = close;
    size_t len = 0;
    while (npg__cur_left(&s) > 0) {
        uint32_t cp;
        uint8_t enc[4];
        int rc = s.p[s.pos] == '\\' ? (s.pos++, escape(hp, &s, code, &cp)) : raw_char(hp, &s, &cp);
        if (rc) return rc;
        size_t k = npg__utf8_put(enc, cp);
        if (len + k >= cap) return npg__hp_fail(hp, NPG_E_INTERNAL, start, "string buffer too small");
        memcpy(buf + len, enc, k);
        len += k;
    }
    buf[len] = '\0';
    hp->cur.pos = close + 1;
    *out = (const char *)buf;
    *n = len;
    if (quote) *quote = q;
    return NPG_OK;
}

/* ------------------------------------------------------------------ ints and shapes */

static bool is_digit(uint8_t b) { return b >= '0' && b <= '9'; }

/* The digits of a decimal integer: no sign, no leading zero, at most max. */
static int digits(npg_hp *hp, int code, uint64_t max, uint64_t *out)
{
    size_t start = hp->cur.pos;
    uint64_t v = 0;
    uint8_t b;
    if (!npg__hp_peek(hp, &b) || !is_digit(b)) return npg__hp_fail(hp, code, start, "expected a decimal integer");
    while (npg__hp_peek(hp, &b) && is_digit(b)) {
        if (hp->cur.pos > start && v == 0)
            return npg__hp_fail(hp, code, start, "integer with a leading zero");
        if (!npg__mul_u64(v, 10, &v) || !npg__add_u64(v, (uint64_t)(b - '0'), &v) || v > max)
            return npg__hp_fail(hp, code, start, "integer above %llu", (unsigned long long)max);
        hp->cur.pos++;
    }
    *out = v;
    return NPG_OK;
}

/* Nothing of a number may follow its digits: 3L, 1_0, 0x2, 1.0, 1e3 are Python (or Python 2)
 * but never what repr() writes. */
static int number_ends(npg_hp *hp, int code)
{
    uint8_t b;
    if (npg__hp_peek(hp, &b) && (b == '_' || b == '.' || ((b | 0x20) >= 'a' && (b | 0x20) <= 'z')))
        return npg__hp_fail(hp, code, hp->cur.pos, "integer not in plain decimal form");
    return NPG_OK;
}

int npg__hp_uint(npg_hp *hp, int code, uint64_t max, uint64_t *out)
{
    int rc = digits(hp, code, max, out);
    return rc ? rc : number_ends(hp, code);
}

/* What follows a dimension's digits in a Python 2 file, as NumPy wrote it: 'L' (repr of a long,
 * where C long is 32 bits: 64-bit Windows), or the space NumPy 1.9.1-1.16 left in its place
 * when it filtered the L out with tokenize/untokenize, which keeps columns. NumPy strips the L
 * from every 1.0/2.0 header it reads, so both mean the plain integer. */
static void py2_long(npg_hp *hp)
{
    size_t at = hp->cur.pos;
    if (npg__hp_accept(hp, "L")) {
        npg__npy_legacy_mark(hp->legacy, NPG_NPY_OLD_LONG, at);
    } else if (npg__cur_left(&hp->cur) >= 2 && hp->cur.p[at] == ' ' &&
               (hp->cur.p[at + 1] == ',' || hp->cur.p[at + 1] == ')')) {
        hp->cur.pos++;
        npg__npy_legacy_mark(hp->legacy, NPG_NPY_OLD_LONG_FILTERED, at);
    }
}

static int dimension(npg_hp *hp, int code, uint64_t *out)
{
    int rc = digits(hp, code, (uint64_t)INT64_MAX, out);
    if (rc) return rc;
    if (hp->py2) py2_long(hp);
    return number_ends(hp, code);
}

int npg__hp_shape(npg_hp *hp, int code, uint64_t *dims, size_t *ndim)
{
    size_t max = hp->lim->max_ndim < NPG_MAX_NDIM ? hp->lim->max_ndim : NPG_MAX_NDIM;
    size_t n = 0;
    int rc;
    if ((rc = npg__hp_expect(hp, "(", code, "a shape tuple"))) return rc;
    if (npg__hp_accept(hp, ")")) {
        *ndim = 0;
        return NPG_OK;
    }
    for (;;) {
        if (n == max)
            return npg__hp_fail(hp, NPG_E_LIMIT_NDIM, hp->cur.pos,
                                "more than %zu dimensions (limits.max_ndim)", max);
        if ((rc = dimension(hp, code, &dims[n]))) return rc;
        n++;
        /* repr(): (a,) for one dimension, (a, b) for more: no other spacing or commas */
        if (n == 1 ? npg__hp_accept(hp, ",)") : npg__hp_accept(hp, ")")) break;
        if ((rc = npg__hp_expect(hp, ", ", code, n == 1 ? "',)' or ', '" : "')' or ', '"))) return rc;
    }
    *ndim = n;
    return NPG_OK;
}
