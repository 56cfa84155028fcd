/* Strict grammars for the text arguments of protocol-0 opcodes, and the string encodings the
 * VM needs. One grammar, used by every code path: CPython's C unpickler, its Python unpickler
 * and pickletools each read these texts differently (I010 is 8, an error, 10), and a scanner
 * that reads a text differently from the loader is bypassed; so we accept only what CPython's
 * pickler writes and refuse everything else with NPG_E_SYNTAX.
 *
 * No function here allocates: callers pass output buffers of the documented worst-case size.
 * Inputs are (pointer, length) and need not be NUL-terminated. */
#ifndef NPG_TEXT_H
#define NPG_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/diag.h"

/* INT argument (the line without its '\n'): "00" -> False, "01" -> True, else -?[0-9]+ with no
 * leading zeros except "0" itself ("-0" refused). CPython writes Python ints < 2**31 this way.
 * Results: *is_bool set for 00/01 (value in *small 0/1). Otherwise, when the number fits in
 * int64_t, *fits = true and *small holds it; else big holds the minimal two's-complement
 * little-endian bytes (big_cap >= npg__text_int_big_cap(n)) and *big_len their count.
 * Errors: NPG_E_SYNTAX; NPG_E_LIMIT_DIGITS when the digit count exceeds max_digits. */
int npg__text_int(const uint8_t *s, size_t n, size_t max_digits, bool *is_bool, bool *fits,
                  int64_t *small, uint8_t *big, size_t big_cap, size_t *big_len, npg_diag *d);

/* LONG argument: -?[0-9]+ followed by an optional 'L' (CPython 3 writes the L; Python 2 too).
 * Same outputs as npg__text_int without the bool case. */
int npg__text_long(const uint8_t *s, size_t n, size_t max_digits, bool *fits, int64_t *small,
                   uint8_t *big, size_t big_cap, size_t *big_len, npg_diag *d);

/* Worst-case output size for the big-integer bytes of an n-character decimal text. */
size_t npg__text_int_big_cap(size_t n);

/* Minimal two's-complement LE bytes of a LONG1/LONG4 payload: decides whether it fits in
 * int64_t (then *fits and *small) and otherwise returns the length of the minimal form (a
 * prefix of the input: trailing redundant sign bytes dropped) in *min_len. n == 0 is 0. */
void npg__long_bytes(const uint8_t *b, size_t n, bool *fits, int64_t *small, size_t *min_len);

/* FLOAT argument: what repr(float) writes:
 *   -?(inf|nan|[0-9]+(\.[0-9]+)?(e[-+][0-9]+)?)   (also "1e+16", "5e-324", "-0.0")
 * converted with correct rounding in the C locale whatever the process locale is. */
int npg__text_float(const uint8_t *s, size_t n, double *out, npg_diag *d);

/* strtod of the NUL-terminated text p (n bytes, already known to be a decimal float) in the C
 * locale, whatever the process locale is; false when it did not convert all n bytes. */
bool npg__strtod_c(const char *p, size_t n, double *out);

/* The byte a one-character backslash escape stands for in a Python 2 str (\\ \' \" \n \r \t \a \b
 * \f \v), or -1 for any other character. */
int npg__simple_escape(uint8_t e);

/* STRING argument (Python 2 str repr, the line without '\n'): a quote ' or ", the body, the same
 * quote. The body uses Python 2 escapes: \\ \' \" \n \r \t \a \b \f \v \xNN \ooo (1-3 octal
 * digits) and \<newline> is refused; a bare quote of the opening kind inside is refused. Output:
 * the raw bytes (out_cap >= n). */
int npg__text_string(const uint8_t *s, size_t n, uint8_t *out, size_t out_cap, size_t *out_len,
                     npg_diag *d);

/* UNICODE argument (raw-unicode-escape): \uXXXX and \UXXXXXXXX (exactly 4/8 hex digits, code
 * point <= 0x10FFFF) are escapes; a backslash not followed by u/U is itself; every other byte is
 * its latin-1 code point. Surrogate code points are kept (never combined into pairs), as CPython
 * does. Output: UTF-8 with surrogates in 3-byte form (out_cap >= 2*n). */
int npg__text_unicode(const uint8_t *s, size_t n, uint8_t *out, size_t out_cap, size_t *out_len,
                      npg_diag *d);

/* Decimal index of GET/PUT: [0-9]+ with no leading zeros (except "0"), value <= max. A leading
 * '-' gives NPG_E_MEMO ("negative PUT"); anything else malformed NPG_E_SYNTAX. */
int npg__text_index(const uint8_t *s, size_t n, uint64_t max, uint64_t *out, npg_diag *d);

/* Validate UTF-8 as CPython decodes BINUNICODE ("utf-8", "surrogatepass"): shortest forms only,
 * code points <= 0x10FFFF, surrogates D800-DFFF allowed. Returns true when valid; on failure
 * *bad_at is the offset of the first bad byte. */
bool npg__utf8_valid(const uint8_t *s, size_t n, size_t *bad_at);

/* Number of code points of valid (surrogatepass) UTF-8. */
size_t npg__utf8_count(const uint8_t *s, size_t n);

/* latin-1 bytes -> UTF-8 (out_cap >= 2*n). Returns the output length. */
size_t npg__latin1_to_utf8(const uint8_t *s, size_t n, uint8_t *out);

/* Valid UTF-8 -> latin-1, as str.encode('latin1'): fails (returns false) if any code point is
 * above 0xFF. out_cap >= n. */
bool npg__utf8_to_latin1(const uint8_t *s, size_t n, uint8_t *out, size_t *out_len);

/* True when s[0..n) equals the NUL-terminated ASCII string lit. */
bool npg__eq_lit(const uint8_t *s, size_t n, const char *lit);

#endif
