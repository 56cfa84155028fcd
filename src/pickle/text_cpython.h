/* What CPython 3.11's C unpickler (Modules/_pickle.c) accepts in the text arguments of
 * protocol-0 opcodes, and the value it makes of them.
 *
 * The strict grammars of text.h accept only what CPython's pickler writes; decode mode uses
 * nothing else. Scan mode must see what the real loader sees: when a strict grammar refuses an
 * argument, the VM asks these functions whether CPython would go on (and with what value), so
 * that an import placed after "I1_000" is still found. They mirror the C library calls the
 * unpickler makes: strtol(s, &end, 0) and PyLong_FromString(s, NULL, 0) for INT,
 * PyLong_FromString(s, NULL, 0) for LONG, PyLong_FromString(s, NULL, 10) for GET/PUT,
 * PyOS_string_to_double for FLOAT, the quote test and PyBytes_DecodeEscape for STRING.
 *
 * Inputs are the line without its '\n' (s[0..n)). CPython works on a NUL-terminated copy of the
 * line with its '\n', so an embedded NUL ends the text the C functions see; these functions do
 * the same. None allocates; outputs go to caller buffers of the documented size. */
#ifndef NPG_TEXT_CPYTHON_H
#define NPG_TEXT_CPYTHON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An integer as CPython built it: a bool (INT "00"/"01" and the like), an int64, or a big
 * integer in minimal two's-complement little-endian bytes. */
typedef struct npg_cpy_int {
    bool is_bool;
    bool fits;      /* the value is small (also for bools) */
    int64_t small;
    size_t big_len; /* !fits: bytes written to the caller's big buffer */
} npg_cpy_int;

typedef enum npg_cpy_rc {
    NPG_CPY_OK = 0,      /* CPython accepts it */
    NPG_CPY_REFUSED = 1, /* CPython raises (ValueError, OverflowError, UnpicklingError) */
    NPG_CPY_LIMIT = 2    /* accepted by CPython, but beyond max_digits / big_cap: a limit stops us */
} npg_cpy_rc;

/* Bytes the big-integer output of an n-character argument can need. */
size_t npg__cpy_int_big_cap(size_t n);

/* INT (load_int): strtol base 0 in the C locale, else PyLong_FromString base 0; a bool when the
 * line is 2 characters and strtol read 0 or 1. max_digits bounds decimal digits (CPython's
 * int_max_str_digits, 4300 by default); big_cap >= npg__cpy_int_big_cap(n). */
npg_cpy_rc npg__cpy_int(const uint8_t *s, size_t n, size_t max_digits, npg_cpy_int *out, uint8_t *big,
                        size_t big_cap);

/* LONG (load_long): a final 'L' is dropped, then PyLong_FromString base 0. */
npg_cpy_rc npg__cpy_long(const uint8_t *s, size_t n, size_t max_digits, npg_cpy_int *out, uint8_t *big,
                         size_t big_cap);

/* GET/PUT (load_get, load_put): PyLong_FromString base 10, then PyLong_AsSsize_t. *out may be
 * negative (GET finds nothing there; PUT raises). */
npg_cpy_rc npg__cpy_index(const uint8_t *s, size_t n, size_t max_digits, int64_t *out);

/* FLOAT (load_float): PyOS_string_to_double with OverflowError: no leading space, an optional
 * sign, inf/infinity/nan in any case or a decimal number; overflow to infinity raises. The
 * value is converted in scratch (scratch_cap >= n + 1). */
npg_cpy_rc npg__cpy_float(const uint8_t *s, size_t n, char *scratch, size_t scratch_cap, double *out);

/* STRING (load_string): the first and last bytes must be the same quote (' or "), then
 * PyBytes_DecodeEscape of what lies between (unknown escapes are kept with their backslash,
 * octal escapes keep their low 8 bits, \x needs two hex digits, a trailing backslash raises).
 * Output: the raw bytes (out_cap >= n). CPython then decodes them with the unpickler's
 * encoding: that part is the caller's. */
npg_cpy_rc npg__cpy_string(const uint8_t *s, size_t n, uint8_t *out, size_t out_cap, size_t *out_len);

#endif
