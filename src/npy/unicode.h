/* The few Unicode facts the .npy header needs: strict UTF-8 (version 3.0 headers), UTF-8 output
 * for field names, and which characters Python's repr() writes raw. */
#ifndef NPG_NPY_UNICODE_H
#define NPG_NPY_UNICODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/utf8.h"

/* True when Python's str.isprintable() holds for cp: repr() then writes it raw, else escaped. */
bool npg__npy_printable(uint32_t cp);

/* One code point of strict UTF-8 at p[0..n) (no overlong forms, no surrogates, <= U+10FFFF, as
 * Python's decoder requires). Returns its length, or 0 when malformed or cut short. */
size_t npg__npy_utf8_decode(const uint8_t *p, size_t n, uint32_t *cp);


#endif
