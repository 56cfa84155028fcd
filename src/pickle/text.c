/* Strict grammars for protocol-0 text arguments and the string encodings of the VM (text.h).
 *
 * Every function reads only s[0..n), never allocates and never recurses. Grammar checks come
 * first; conversions run only on text already known to be well formed. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* strtod_l, newlocale */
#endif

#include "text.h"

#include "../common/utf8.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#if defined(__APPLE__) || defined(__FreeBSD__) || defined(__NetBSD__) || defined(__OpenBSD__)
#include <xlocale.h>
#endif

#include "npguard.h"

/* ------------------------------------------------------------------ helpers */

static bool is_digit(uint8_t c) { return c >= '0' && c <= '9'; }

static int hex_value(uint8_t c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Record a syntax-style failure naming the argument, the problem and (escaped, shortened) the
 * offending text. */
static int fail_text(npg_diag *d, int code, const char *what, const char *problem,
                     const uint8_t *s, size_t n)
{
    char snip[4 * 32 + 1];
    size_t take = n < 32 ? n : 32;
    npg__escape(snip, sizeof snip, s, take);
    return npg__diag(d, code, "%s argument %s: '%s'%s", what, problem, snip, n > take ? "..." : "");
}

bool npg__eq_lit(const uint8_t *s, size_t n, const char *lit)
{
    size_t m = strlen(lit);
    return m == n && (n == 0 || memcmp(s, lit, n) == 0);
}

/* ------------------------------------------------------------------ integers */

size_t npg__text_int_big_cap(size_t n)
{
    /* n decimal digits need at most n*log2(10) < 3.33n bits of magnitude plus a sign bit:
     * ceil((3.33n + 1) / 8) <= n/2 + 2 bytes. n/2 + 2 cannot overflow. */
    return n / 2 + 2;
}

/* Magnitude of the decimal digits dig[0..nd) into big as minimal two's complement (negated
 * when neg). The value is known not to fit in int64_t, so it has at least 8 bytes. */
static int decimal_to_big(const uint8_t *dig, size_t nd, bool neg, uint8_t *big, size_t cap,
                          size_t *out_len, const char *what, npg_diag *d)
{
    static const uint64_t pow10[17] = {
        1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull,
        100000000ull, 1000000000ull, 10000000000ull, 100000000000ull, 1000000000000ull,
        10000000000000ull, 100000000000000ull, 1000000000000000ull, 10000000000000000ull,
    };
    size_t m = 0; /* bytes of magnitude so far, little-endian in big[0..m) */
    size_t i = 0;
    /* Chunks of up to 16 digits: byte * 10^16 + carry stays below 2^62. The first chunk takes
     * the remainder so that every later chunk is full. */
    size_t k = nd % 16;
    if (k == 0) k = 16;
    while (i < nd) {
        uint64_t chunk = 0;
        for (size_t j = 0; j < k; j++) chunk = chunk * 10 + (uint64_t)(dig[i + j] - '0');
        uint64_t mul = pow10[k];
        uint64_t carry = chunk;
        for (size_t b = 0; b < m; b++) {
            uint64_t t = (uint64_t)big[b] * mul + carry;
            big[b] = (uint8_t)(t & 0xFF);
            carry = t >> 8;
        }
        while (carry != 0) {
            if (m >= cap) goto too_small;
            big[m++] = (uint8_t)(carry & 0xFF);
            carry >>= 8;
        }
        i += k;
        k = 16;
    }
    if (!neg) {
        /* Top byte is non-zero; add a 0x00 sign byte when its high bit is set. */
        if (m > 0 && (big[m - 1] & 0x80)) {
            if (m >= cap) goto too_small;
            big[m++] = 0x00;
        }
    } else {
        /* Two's complement over m bytes: invert and add one. */
        unsigned carry = 1;
        for (size_t b = 0; b < m; b++) {
            unsigned t = (unsigned)(uint8_t)~big[b] + carry;
            big[b] = (uint8_t)(t & 0xFF);
            carry = t >> 8;
        }
        /* magnitude > 2^(8m-1): the result lost its sign bit; add a 0xFF sign byte. */
        if (m > 0 && !(big[m - 1] & 0x80)) {
            if (m >= cap) goto too_small;
            big[m++] = 0xFF;
        }
        /* Drop redundant sign bytes (cannot happen for a non-zero top magnitude byte, but the
         * minimal form is the contract, so make sure). */
        while (m > 1 && big[m - 1] == 0xFF && (big[m - 2] & 0x80)) m--;
    }
    *out_len = m;
    return NPG_OK;
too_small:
    return npg__diag(d, NPG_E_INTERNAL, "%s conversion: output buffer of %zu bytes too small", what, cap);
}

/* -?[0-9]+ without leading zeros and without "-0"; then the value. */
static int parse_decimal(const uint8_t *s, size_t n, size_t max_digits, const char *what, bool *fits,
                         int64_t *small, uint8_t *big, size_t big_cap, size_t *big_len, npg_diag *d)
{
    size_t i = 0;
    bool neg = false;
    if (n == 0) return npg__diag(d, NPG_E_SYNTAX, "%s argument is empty", what);
    if (s[0] == '-') {
        neg = true;
        i = 1;
    }
    if (i == n) return fail_text(d, NPG_E_SYNTAX, what, "has no digits", s, n);
    for (size_t j = i; j < n; j++) {
        if (!is_digit(s[j])) {
            if (j == 0 && (s[j] == '+' || s[j] == ' ' || s[j] == '\t'))
                return fail_text(d, NPG_E_SYNTAX, what, "has a character before its digits", s, n);
            return fail_text(d, NPG_E_SYNTAX, what, "has a character that is not a decimal digit", s, n);
        }
    }
    size_t nd = n - i;
    if (s[i] == '0' && nd > 1) return fail_text(d, NPG_E_SYNTAX, what, "has a leading zero", s, n);
    if (s[i] == '0' && neg) return fail_text(d, NPG_E_SYNTAX, what, "is a negative zero", s, n);
    if (nd > max_digits)
        return npg__diag(d, NPG_E_LIMIT_DIGITS, "%s argument has %zu digits (limit %zu)", what, nd,
                         max_digits);

    /* Fast path: accumulate until the magnitude exceeds 2^63. */
    uint64_t u = 0;
    bool over = false;
    for (size_t j = i; j < n; j++) {
        uint64_t dv = (uint64_t)(s[j] - '0');
        if (u > (UINT64_MAX - dv) / 10) {
            over = true;
            break;
        }
        u = u * 10 + dv;
    }
    const uint64_t lim = neg ? (uint64_t)1 << 63 : ((uint64_t)1 << 63) - 1;
    *big_len = 0;
    if (!over && u <= lim) {
        *fits = true;
        if (!neg) *small = (int64_t)u;
        else if (u == (uint64_t)1 << 63) *small = INT64_MIN;
        else *small = -(int64_t)u;
        return NPG_OK;
    }
    *fits = false;
    *small = 0;
    if (!big) return npg__diag(d, NPG_E_INTERNAL, "%s conversion: no output buffer", what);
    return decimal_to_big(s + i, nd, neg, big, big_cap, big_len, what, d);
}

int npg__text_int(const uint8_t *s, size_t n, size_t max_digits, bool *is_bool, bool *fits,
                  int64_t *small, uint8_t *big, size_t big_cap, size_t *big_len, npg_diag *d)
{
    *is_bool = false;
    if (n == 2 && s[0] == '0' && (s[1] == '0' || s[1] == '1')) {
        *is_bool = true;
        *fits = true;
        *small = s[1] - '0';
        *big_len = 0;
        return NPG_OK;
    }
    return parse_decimal(s, n, max_digits, "INT", fits, small, big, big_cap, big_len, d);
}

int npg__text_long(const uint8_t *s, size_t n, size_t max_digits, bool *fits, int64_t *small,
                   uint8_t *big, size_t big_cap, size_t *big_len, npg_diag *d)
{
    size_t m = n;
    if (m > 0 && s[m - 1] == 'L') m--;
    if (m == 0) return fail_text(d, NPG_E_SYNTAX, "LONG", "has no digits", s, n);
    return parse_decimal(s, m, max_digits, "LONG", fits, small, big, big_cap, big_len, d);
}

void npg__long_bytes(const uint8_t *b, size_t n, bool *fits, int64_t *small, size_t *min_len)
{
    size_t m = n;
    /* Drop a top byte that only repeats the sign of the byte below it. */
    while (m > 1 && ((b[m - 1] == 0x00 && !(b[m - 2] & 0x80)) || (b[m - 1] == 0xFF && (b[m - 2] & 0x80))))
        m--;
    if (m == 1 && b[0] == 0x00) m = 0; /* zero is the empty string, as pickle.encode_long(0) */
    *min_len = m;
    if (m <= 8) {
        uint64_t u = 0;
        for (size_t i = 0; i < m; i++) u |= (uint64_t)b[i] << (8 * i);
        if (m > 0 && m < 8 && (b[m - 1] & 0x80)) u |= ~(uint64_t)0 << (8 * m); /* sign-extend */
        *fits = true;
        /* Two's-complement reinterpretation without implementation-defined conversion. */
        *small = (u >> 63) ? -(int64_t)(~u) - 1 : (int64_t)u;
    } else {
        *fits = false;
        *small = 0;
    }
}

/* ------------------------------------------------------------------ floats */

/* repr(float) is at most 24 characters ("-2.2250738585072014e-308"); anything much longer was
 * not written by CPython. */
#define NPG_FLOAT_TEXT_MAX 64

#if defined(_WIN32)
typedef _locale_t npg_locale;
static npg_locale make_c_locale(void) { return _create_locale(LC_ALL, "C"); }
static void free_c_locale(npg_locale l) { _free_locale(l); }
static double strtod_c(const char *p, char **end, npg_locale l) { return _strtod_l(p, end, l); }
#else
typedef locale_t npg_locale;
static npg_locale make_c_locale(void) { return newlocale(LC_ALL_MASK, "C", (locale_t)0); }
static void free_c_locale(npg_locale l) { freelocale(l); }
static double strtod_c(const char *p, char **end, npg_locale l) { return strtod_l(p, end, l); }
#endif

/* One "C" locale for the process, created on first use. Threads racing here each create one;
 * the loser frees its own. It is never freed (and is reachable from this static). */
static _Atomic(void *) g_c_locale;

static npg_locale c_locale(void)
{
    void *p = atomic_load_explicit(&g_c_locale, memory_order_acquire);
    if (p) return (npg_locale)p;
    npg_locale loc = make_c_locale();
    if (!loc) return loc;
    void *expected = NULL;
    if (!atomic_compare_exchange_strong_explicit(&g_c_locale, &expected, (void *)loc,
                                                 memory_order_acq_rel, memory_order_acquire)) {
        free_c_locale(loc);
        return (npg_locale)expected;
    }
    return loc;
}

static double make_double(uint64_t bits)
{
    double v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

bool npg__strtod_c(const char *p, size_t n, double *out)
{
    npg_locale loc = c_locale();
    if (!loc) return false;
    char *end = NULL;
    int saved = errno;
    *out = strtod_c(p, &end, loc);
    errno = saved;
    return end == p + n;
}

int npg__text_float(const uint8_t *s, size_t n, double *out, npg_diag *d)
{
    size_t i = 0;
    bool neg = false;
    if (n == 0) return npg__diag(d, NPG_E_SYNTAX, "FLOAT argument is empty");
    if (s[0] == '-') {
        neg = true;
        i = 1;
    }
    if (npg__eq_lit(s + i, n - i, "inf")) {
        *out = neg ? -HUGE_VAL : HUGE_VAL;
        return NPG_OK;
    }
    if (npg__eq_lit(s + i, n - i, "nan")) {
        /* float('nan') and float('-nan'): quiet NaN, sign as written (CPython keeps it). */
        *out = make_double((neg ? 0x8000000000000000ull : 0) | 0x7FF8000000000000ull);
        return NPG_OK;
    }
    size_t j = i;
    while (j < n && is_digit(s[j])) j++;
    if (j == i) {
        if (j < n && (s[j] == '+' || s[j] == ' ' || s[j] == '\t'))
            return fail_text(d, NPG_E_SYNTAX, "FLOAT", "has a character before its digits", s, n);
        return fail_text(d, NPG_E_SYNTAX, "FLOAT", "does not start with a digit", s, n);
    }
    if (j < n && s[j] == '.') {
        size_t k = ++j;
        while (j < n && is_digit(s[j])) j++;
        if (j == k) return fail_text(d, NPG_E_SYNTAX, "FLOAT", "has no digit after '.'", s, n);
    }
    if (j < n && s[j] == 'e') {
        j++;
        /* repr() always signs the exponent, but hand-written protocol-0 files use "1e308";
         * every unpickler reads that the same way, so it is no differential */
        if (j < n && (s[j] == '+' || s[j] == '-')) j++;
        size_t k = j;
        while (j < n && is_digit(s[j])) j++;
        if (j == k) return fail_text(d, NPG_E_SYNTAX, "FLOAT", "has an exponent without digits", s, n);
    }
    if (j != n) return fail_text(d, NPG_E_SYNTAX, "FLOAT", "has an unexpected character", s, n);
    if (n > NPG_FLOAT_TEXT_MAX)
        return npg__diag(d, NPG_E_SYNTAX, "FLOAT argument is %zu characters long (at most %d)", n,
                         NPG_FLOAT_TEXT_MAX);

    npg_locale loc = c_locale();
    if (!loc) return npg__diag(d, NPG_E_NOMEM, "cannot create the C locale for FLOAT conversion");
    char buf[NPG_FLOAT_TEXT_MAX + 1];
    memcpy(buf, s, n);
    buf[n] = '\0';
    char *end = NULL;
    int saved = errno;
    double v = strtod_c(buf, &end, loc);
    errno = saved;
    if (end != buf + n) return fail_text(d, NPG_E_INTERNAL, "FLOAT", "was not fully converted", s, n);
    /* CPython's C unpickler raises OverflowError ("value too large to convert to float") where
     * float() would give inf; refuse rather than pick one. Underflow to 0 is what both do. */
    if (isinf(v)) return fail_text(d, NPG_E_SYNTAX, "FLOAT", "is too large for a double", s, n);
    *out = v;
    return NPG_OK;
}

/* ------------------------------------------------------------------ STRING */

int npg__simple_escape(uint8_t e)
{
    switch (e) {
    case '\\': case '\'': case '"': return e;
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    case 'a': return '\a';
    case 'b': return '\b';
    case 'f': return '\f';
    case 'v': return '\v';
    default: return -1;
    }
}

int npg__text_string(const uint8_t *s, size_t n, uint8_t *out, size_t out_cap, size_t *out_len,
                     npg_diag *d)
{
    static const char what[] = "STRING";
    if (n < 2 || (s[0] != '\'' && s[0] != '"') || s[n - 1] != s[0])
        return fail_text(d, NPG_E_SYNTAX, what, "is not quoted with matching ' or \"", s, n);
    if (out_cap < n) return npg__diag(d, NPG_E_INTERNAL, "STRING output buffer too small");
    const uint8_t q = s[0];
    const size_t end = n - 1; /* body is s[1..end) */
    size_t o = 0;
    size_t i = 1;
    while (i < end) {
        uint8_t c = s[i];
        if (c == q) return fail_text(d, NPG_E_SYNTAX, what, "has an unescaped quote inside", s, n);
        if (c != '\\') {
            out[o++] = c;
            i++;
            continue;
        }
        if (i + 1 >= end) return fail_text(d, NPG_E_SYNTAX, what, "ends with a lone backslash", s, n);
        uint8_t e = s[i + 1];
        i += 2;
        int simple = npg__simple_escape(e);
        if (simple >= 0) {
            out[o++] = (uint8_t)simple;
            continue;
        }
        switch (e) {
        case 'x': {
            int h1 = i < end ? hex_value(s[i]) : -1;
            int h2 = i + 1 < end ? hex_value(s[i + 1]) : -1;
            if (h1 < 0 || h2 < 0)
                return fail_text(d, NPG_E_SYNTAX, what, "has a \\x escape without two hex digits", s, n);
            out[o++] = (uint8_t)(h1 * 16 + h2);
            i += 2;
            break;
        }
        case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': {
            unsigned v = (unsigned)(e - '0');
            for (int k = 0; k < 2 && i < end && s[i] >= '0' && s[i] <= '7'; k++, i++)
                v = v * 8 + (unsigned)(s[i] - '0');
            /* CPython keeps the low 8 bits of \400..\777 (with a DeprecationWarning); Python 2's
             * repr never writes them. */
            if (v > 0377) return fail_text(d, NPG_E_SYNTAX, what, "has an octal escape above \\377", s, n);
            out[o++] = (uint8_t)v;
            break;
        }
        default:
            /* CPython keeps "\q" as two bytes (DeprecationWarning); no pickler writes it. */
            return fail_text(d, NPG_E_SYNTAX, what, "has an unknown backslash escape", s, n);
        }
    }
    *out_len = o;
    return NPG_OK;
}

/* ------------------------------------------------------------------ UNICODE */

int npg__text_unicode(const uint8_t *s, size_t n, uint8_t *out, size_t out_cap, size_t *out_len,
                      npg_diag *d)
{
    static const char what[] = "UNICODE";
    if (out_cap / 2 < n) return npg__diag(d, NPG_E_INTERNAL, "UNICODE output buffer too small");
    size_t o = 0;
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        if (c != '\\') {
            o += npg__utf8_put(out + o, c);
            i++;
            continue;
        }
        /* raw-unicode-escape: \u and \U are escapes only after an odd number of backslashes,
         * so a pair of backslashes is two literal backslashes. */
        if (i + 1 < n && s[i + 1] == '\\') {
            out[o++] = '\\';
            out[o++] = '\\';
            i += 2;
            continue;
        }
        if (i + 1 >= n || (s[i + 1] != 'u' && s[i + 1] != 'U')) {
            out[o++] = '\\';
            i++;
            continue;
        }
        size_t k = s[i + 1] == 'u' ? 4 : 8;
        uint32_t cp = 0;
        for (size_t j = 0; j < k; j++) {
            int h = i + 2 + j < n ? hex_value(s[i + 2 + j]) : -1;
            if (h < 0)
                return fail_text(d, NPG_E_SYNTAX, what,
                                 k == 4 ? "has a truncated \\uXXXX escape" : "has a truncated \\UXXXXXXXX escape",
                                 s, n);
            cp = (cp << 4) | (uint32_t)h; /* 8 hex digits fit in 32 bits */
        }
        if (cp > 0x10FFFF) return fail_text(d, NPG_E_SYNTAX, what, "has a \\U escape above U+10FFFF", s, n);
        o += npg__utf8_put(out + o, cp);
        i += 2 + k;
    }
    *out_len = o;
    return NPG_OK;
}

/* ------------------------------------------------------------------ GET/PUT indices */

int npg__text_index(const uint8_t *s, size_t n, uint64_t max, uint64_t *out, npg_diag *d)
{
    static const char what[] = "memo index";
    if (n == 0) return npg__diag(d, NPG_E_SYNTAX, "memo index argument is empty");
    if (s[0] == '-') return fail_text(d, NPG_E_MEMO, what, "is negative", s, n);
    for (size_t i = 0; i < n; i++)
        if (!is_digit(s[i]))
            return fail_text(d, NPG_E_SYNTAX, what, "has a character that is not a decimal digit", s, n);
    if (s[0] == '0' && n > 1) return fail_text(d, NPG_E_SYNTAX, what, "has a leading zero", s, n);
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t dv = (uint64_t)(s[i] - '0');
        if (v > (UINT64_MAX - dv) / 10 || v * 10 + dv > max)
            return npg__diag(d, NPG_E_LIMIT_MEMO, "memo index is above the limit %llu",
                             (unsigned long long)max);
        v = v * 10 + dv;
    }
    *out = v;
    return NPG_OK;
}

/* ------------------------------------------------------------------ UTF-8 and latin-1 */

static bool is_cont(uint8_t c) { return (c & 0xC0) == 0x80; }

bool npg__utf8_valid(const uint8_t *s, size_t n, size_t *bad_at)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t need;
        uint8_t lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
        if (c < 0xC2) goto bad;        /* continuation byte, or overlong C0/C1 */
        else if (c < 0xE0) need = 1;
        else if (c < 0xF0) {
            need = 2;
            if (c == 0xE0) lo = 0xA0; /* overlong below U+0800 */
            /* 0xED (surrogates D800-DFFF) is allowed: surrogatepass */
        } else if (c < 0xF5) {
            need = 3;
            if (c == 0xF0) lo = 0x90;      /* overlong below U+10000 */
            else if (c == 0xF4) hi = 0x8F; /* above U+10FFFF */
        } else goto bad;
        if (n - i - 1 < need) goto bad;
        if (s[i + 1] < lo || s[i + 1] > hi) goto bad;
        for (size_t k = 2; k <= need; k++)
            if (!is_cont(s[i + k])) goto bad;
        i += need + 1;
    }
    return true;
bad:
    if (bad_at) *bad_at = i;
    return false;
}

size_t npg__utf8_count(const uint8_t *s, size_t n)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        if (!is_cont(s[i])) count++;
    return count;
}

size_t npg__latin1_to_utf8(const uint8_t *s, size_t n, uint8_t *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) o += npg__utf8_put(out + o, s[i]);
    return o;
}

bool npg__utf8_to_latin1(const uint8_t *s, size_t n, uint8_t *out, size_t *out_len)
{
    size_t o = 0;
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        if (c < 0x80) {
            out[o++] = c;
            i++;
        } else if ((c == 0xC2 || c == 0xC3) && i + 1 < n && is_cont(s[i + 1])) {
            out[o++] = (uint8_t)(((c & 0x1F) << 6) | (s[i + 1] & 0x3F));
            i += 2;
        } else {
            return false;
        }
    }
    *out_len = o;
    return true;
}
