/* CPython's readings of protocol-0 text arguments (text_cpython.h). Each function follows the C
 * library call _pickle.c makes, step by step, on the same NUL-terminated view of the line. */
#include "text_cpython.h"

#include <math.h>
#include <string.h>

#include "text.h"

/* ------------------------------------------------------------------ the text C sees */

/* _pickle.c copies the line with its '\n' and adds a NUL: the C functions see s[0..len) up to
 * the first embedded NUL, then '\n' when there was none, then the terminator. */
typedef struct cview {
    const uint8_t *s;
    size_t len;  /* bytes before the first NUL */
    bool nl;     /* no NUL inside: the '\n' follows */
} cview;

static cview view_of(const uint8_t *s, size_t n)
{
    const uint8_t *z = memchr(s, 0, n);
    cview v = {s, z ? (size_t)(z - s) : n, z == NULL};
    return v;
}

/* The character at i, '\n' just past the text when it has one, 0 (the terminator) after. */
static uint8_t at(const cview *v, size_t i)
{
    if (i < v->len) return v->s[i];
    return i == v->len && v->nl ? '\n' : 0;
}

/* isspace() in the C locale, and CPython's Py_ISSPACE: the same six characters. */
static bool is_space(uint8_t c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

static bool is_digit(uint8_t c) { return c >= '0' && c <= '9'; }

/* _PyLong_DigitValue: 0-9, then letters 10-35 in either case, 37 for everything else. */
static unsigned digit_value(uint8_t c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'z') return c - 'a' + 10;
    if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
    return 37;
}

static uint8_t lower(uint8_t c) { return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c; }

/* ------------------------------------------------------------------ integers */

size_t npg__cpy_int_big_cap(size_t n)
{
    /* at most 4 bits of magnitude per character (hex), plus a sign byte and rounding */
    return n / 2 + 3;
}

/* A magnitude being built in the caller's buffer, little-endian. */
typedef struct mag {
    uint8_t *b;
    size_t cap, n;
    bool full; /* ran out of room */
} mag;

/* m = m * mul + add (mul <= 10^16, add < mul) */
static void mag_mul_add(mag *m, uint64_t mul, uint64_t add)
{
    uint64_t carry = add;
    for (size_t i = 0; i < m->n; i++) {
        uint64_t t = (uint64_t)m->b[i] * mul + carry;
        m->b[i] = (uint8_t)t;
        carry = t >> 8;
    }
    while (carry) {
        if (m->n == m->cap) {
            m->full = true;
            return;
        }
        m->b[m->n++] = (uint8_t)carry;
        carry >>= 8;
    }
}

/* The finished value: small when it fits int64_t, else minimal two's complement in m->b. */
static npg_cpy_rc finish(mag *m, bool neg, npg_cpy_int *out)
{
    while (m->n && m->b[m->n - 1] == 0) m->n--;
    memset(out, 0, sizeof *out);
    if (m->n <= 8) {
        uint64_t u = 0;
        for (size_t i = 0; i < m->n; i++) u |= (uint64_t)m->b[i] << (8 * i);
        if (u <= (uint64_t)INT64_MAX || (neg && u == (uint64_t)1 << 63)) {
            out->fits = true;
            out->small = neg ? (int64_t)(0 - u) : (int64_t)u; /* 0 - u wraps to INT64_MIN for 2^63 */
            return NPG_CPY_OK;
        }
    }
    if (m->n == m->cap) return NPG_CPY_LIMIT; /* no room for a sign byte */
    if (neg) {
        unsigned carry = 1;
        for (size_t i = 0; i < m->n; i++) {
            unsigned t = (uint8_t)~m->b[i] + carry;
            m->b[i] = (uint8_t)t;
            carry = t >> 8;
        }
        if (!(m->b[m->n - 1] & 0x80)) m->b[m->n++] = 0xFF;
    } else if (m->b[m->n - 1] & 0x80) {
        m->b[m->n++] = 0x00;
    }
    /* drop high bytes that only repeat the sign */
    while (m->n > 1 && ((m->b[m->n - 1] == 0x00 && !(m->b[m->n - 2] & 0x80)) ||
                        (m->b[m->n - 1] == 0xFF && (m->b[m->n - 2] & 0x80))))
        m->n--;
    out->big_len = m->n;
    return NPG_CPY_OK;
}

/* Digits of base `base` (with single underscores between them) from v at *i: the magnitude
 * into m. False for a doubled or trailing underscore. *count gets the digits read. */
static bool read_digits(const cview *v, size_t *i, unsigned base, mag *m, size_t *count)
{
    unsigned bits = base == 2 ? 1 : base == 8 ? 3 : base == 16 ? 4 : 0;
    size_t start = *i, j = *i, nd = 0;
    uint8_t prev = 0;
    while (digit_value(at(v, j)) < base || at(v, j) == '_') {
        if (at(v, j) == '_' && prev == '_') return false;
        if (at(v, j) != '_') nd++;
        prev = at(v, j++);
    }
    if (prev == '_') return false;
    *i = j;
    *count = nd;
    if (bits) {
        /* power-of-two bases: pack the bits from the least significant digit up (linear) */
        size_t bit = 0;
        for (size_t k = j; k-- > start;) {
            if (at(v, k) == '_') continue;
            unsigned d = digit_value(at(v, k));
            for (unsigned b = 0; b < bits; b++, bit++) {
                if (bit / 8 >= m->cap) {
                    if (d >> b) m->full = true;
                    continue;
                }
                if (bit / 8 >= m->n) m->b[m->n++] = 0;
                m->b[bit / 8] |= (uint8_t)(((d >> b) & 1) << (bit % 8));
            }
        }
        return true;
    }
    /* base 10: chunks of up to 16 digits (the caller bounds their count) */
    uint64_t chunk = 0, mul = 1;
    for (size_t k = start; k < j && !m->full; k++) {
        if (at(v, k) == '_') continue;
        chunk = chunk * 10 + digit_value(at(v, k));
        mul *= 10;
        if (mul == 10000000000000000ull) {
            mag_mul_add(m, mul, chunk);
            chunk = 0, mul = 1;
        }
    }
    if (mul > 1) mag_mul_add(m, mul, chunk);
    return true;
}

/* PyLong_FromString(s, NULL, base) with base 0 or 10, over v from position i. */
static npg_cpy_rc py_long(const cview *v, size_t i, unsigned base, size_t max_digits, npg_cpy_int *out,
                          uint8_t *big, size_t big_cap)
{
    bool neg = false, zero_only = false;
    while (at(v, i) && is_space(at(v, i))) i++;
    if (at(v, i) == '+') i++;
    else if (at(v, i) == '-') i++, neg = true;
    if (base == 0) {
        uint8_t x = lower(at(v, i + 1));
        if (at(v, i) != '0') base = 10;
        else if (x == 'x') base = 16;
        else if (x == 'o') base = 8;
        else if (x == 'b') base = 2;
        else base = 10, zero_only = true; /* "010": an old octal literal, valid only as zero */
        if (base != 10) {
            i += 2;
            if (at(v, i) == '_') i++; /* one underscore may follow the prefix */
        }
    }
    if (at(v, i) == '_') return NPG_CPY_REFUSED;
    uint8_t scratch[16];
    mag m = {big ? big : scratch, big ? big_cap : sizeof scratch, 0, false};
    size_t start = i, nd = 0;
    if (!read_digits(v, &i, base, &m, &nd)) return NPG_CPY_REFUSED;
    if (i == start) return NPG_CPY_REFUSED;
    if (base == 10 && nd > max_digits) return NPG_CPY_LIMIT; /* int_max_str_digits */
    if (m.full) return NPG_CPY_LIMIT;
    while (at(v, i) && is_space(at(v, i))) i++;
    if (at(v, i) != 0) return NPG_CPY_REFUSED;
    npg_cpy_rc rc = finish(&m, neg, out);
    if (rc == NPG_CPY_OK && zero_only && !(out->fits && out->small == 0)) return NPG_CPY_REFUSED;
    return rc;
}

/* strtol(s, &end, 0) in the C locale (glibc): true when it converted without overflow and
 * stopped at the '\n' or the terminator; the value in *x. */
static bool c_strtol(const cview *v, int64_t *x)
{
    size_t i = 0;
    bool neg = false;
    while (is_space(at(v, i))) i++; /* this may skip the '\n' too: then nothing converts */
    if (at(v, i) == '+' || at(v, i) == '-') neg = at(v, i++) == '-';
    unsigned base = 10;
    if (at(v, i) == '0') {
        if (lower(at(v, i + 1)) == 'x' && digit_value(at(v, i + 2)) < 16) base = 16, i += 2;
        else base = 8; /* "0x" without a hex digit converts the 0 and stops at the x */
    }
    size_t start = i;
    uint64_t u = 0;
    bool over = false;
    while (digit_value(at(v, i)) < base) {
        unsigned d = digit_value(at(v, i++));
        if (u > (UINT64_MAX - d) / base) over = true;
        else u = u * base + d;
    }
    if (i == start) { /* no conversion: 0, and end points at the start of the text, so a text
                         * that starts with a NUL ("I\0...") is read as 0 */
        *x = 0;
        return at(v, 0) == '\n' || at(v, 0) == 0;
    }
    if (over || u > (neg ? (uint64_t)1 << 63 : (uint64_t)INT64_MAX)) return false; /* ERANGE */
    if (at(v, i) != '\n' && at(v, i) != 0) return false;
    *x = neg ? (int64_t)(0 - u) : (int64_t)u;
    return true;
}

npg_cpy_rc npg__cpy_int(const uint8_t *s, size_t n, size_t max_digits, npg_cpy_int *out, uint8_t *big,
                        size_t big_cap)
{
    cview v = view_of(s, n);
    int64_t x;
    if (n == 0) return NPG_CPY_REFUSED; /* "I\n": a line shorter than 2 is a bad readline */
    if (c_strtol(&v, &x)) {
        memset(out, 0, sizeof *out);
        out->fits = true;
        out->small = x;
        out->is_bool = n == 2 && (x == 0 || x == 1); /* len == 3 with the '\n' */
        return NPG_CPY_OK;
    }
    return py_long(&v, 0, 0, max_digits, out, big, big_cap);
}

npg_cpy_rc npg__cpy_long(const uint8_t *s, size_t n, size_t max_digits, npg_cpy_int *out, uint8_t *big,
                         size_t big_cap)
{
    if (n == 0) return NPG_CPY_REFUSED;
    /* s[len-2] == 'L' is overwritten by the terminator: the text ends before it */
    cview v = view_of(s, s[n - 1] == 'L' ? n - 1 : n);
    if (s[n - 1] == 'L') v.nl = false;
    return py_long(&v, 0, 0, max_digits, out, big, big_cap);
}

npg_cpy_rc npg__cpy_index(const uint8_t *s, size_t n, size_t max_digits, int64_t *out)
{
    if (n == 0) return NPG_CPY_REFUSED;
    cview v = view_of(s, n);
    npg_cpy_int r;
    npg_cpy_rc rc = py_long(&v, 0, 10, max_digits, &r, NULL, 0);
    if (rc == NPG_CPY_LIMIT) return NPG_CPY_REFUSED; /* more than 16 bytes: PyLong_AsSsize_t overflows */
    if (rc != NPG_CPY_OK) return rc;
    if (!r.fits) return NPG_CPY_REFUSED; /* OverflowError */
    *out = r.small;
    return NPG_CPY_OK;
}

/* ------------------------------------------------------------------ FLOAT */

/* Case-insensitive match of the ASCII word w at v[i..). */
static bool word_at(const cview *v, size_t i, const char *w)
{
    for (size_t k = 0; w[k]; k++)
        if (lower(at(v, i + k)) != (uint8_t)w[k]) return false;
    return true;
}

npg_cpy_rc npg__cpy_float(const uint8_t *s, size_t n, char *scratch, size_t scratch_cap, double *out)
{
    if (n == 0) return NPG_CPY_REFUSED;
    cview v = view_of(s, n);
    size_t i = 0, j;
    bool neg = false;
    if (at(&v, i) == '+' || at(&v, i) == '-') neg = at(&v, i++) == '-';
    if (word_at(&v, i, "inf") || word_at(&v, i, "nan")) {
        bool inf = lower(at(&v, i)) == 'i';
        j = i + 3;
        if (inf && word_at(&v, j, "inity")) j += 5;
        if (at(&v, j) != '\n' && at(&v, j) != 0) return NPG_CPY_REFUSED;
        *out = inf ? (neg ? -HUGE_VAL : HUGE_VAL) : (neg ? -NAN : NAN);
        return NPG_CPY_OK;
    }
    size_t digits = 0;
    for (j = i; is_digit(at(&v, j)); j++) digits++;
    if (at(&v, j) == '.')
        for (j++; is_digit(at(&v, j)); j++) digits++;
    if (digits == 0) return NPG_CPY_REFUSED;
    if (lower(at(&v, j)) == 'e') { /* an exponent only when digits follow */
        size_t k = j + 1;
        if (at(&v, k) == '+' || at(&v, k) == '-') k++;
        if (is_digit(at(&v, k))) {
            while (is_digit(at(&v, k))) k++;
            j = k;
        }
    }
    if (at(&v, j) != '\n' && at(&v, j) != 0) return NPG_CPY_REFUSED;
    double d;
    if (scratch_cap <= j) return NPG_CPY_LIMIT;
    memcpy(scratch, s, j);
    scratch[j] = '\0';
    if (!npg__strtod_c(scratch, j, &d)) return NPG_CPY_LIMIT;
    if (isinf(d)) return NPG_CPY_REFUSED; /* OverflowError: value too large to convert to float */
    *out = d;
    return NPG_CPY_OK;
}

/* ------------------------------------------------------------------ STRING */

npg_cpy_rc npg__cpy_string(const uint8_t *s, size_t n, uint8_t *out, size_t out_cap, size_t *out_len)
{
    if (n < 2 || s[0] != s[n - 1] || (s[0] != '\'' && s[0] != '"')) return NPG_CPY_REFUSED;
    if (out_cap < n) return NPG_CPY_LIMIT;
    size_t i = 1, end = n - 1, o = 0;
    while (i < end) {
        if (s[i] != '\\') {
            out[o++] = s[i++];
            continue;
        }
        if (++i == end) return NPG_CPY_REFUSED; /* "Trailing \ in string" */
        uint8_t e = s[i++];
        int simple = npg__simple_escape(e);
        if (simple >= 0) {
            out[o++] = (uint8_t)simple;
            continue;
        }
        switch (e) {
        case '\n': break; /* a line continuation (cannot occur inside one line) */
        case 'x':
            if (i + 1 < end && digit_value(s[i]) < 16 && digit_value(s[i + 1]) < 16) {
                out[o++] = (uint8_t)(digit_value(s[i]) << 4 | digit_value(s[i + 1]));
                i += 2;
                break;
            }
            return NPG_CPY_REFUSED; /* "invalid \x escape" */
        default:
            if (e >= '0' && e <= '7') {
                unsigned c = e - '0';
                for (int k = 0; k < 2 && i < end && s[i] >= '0' && s[i] <= '7'; k++)
                    c = c * 8 + (unsigned)(s[i++] - '0');
                out[o++] = (uint8_t)c; /* above \377 only the low 8 bits are kept */
            } else {
                out[o++] = '\\'; /* unknown escape: the backslash stays, the byte is read again */
                i--;
            }
        }
    }
    *out_len = o;
    return NPG_CPY_OK;
}
