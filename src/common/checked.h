/* Overflow-checked size arithmetic. Every size that derives from input goes through these:
 * a wrapped multiplication is how a "small" allocation ends up holding a huge copy. */
#ifndef NPG_CHECKED_H
#define NPG_CHECKED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Each returns true on success and false when the exact result does not fit. */
static inline bool npg__add_u64(uint64_t a, uint64_t b, uint64_t *r) { return !__builtin_add_overflow(a, b, r); }
static inline bool npg__mul_u64(uint64_t a, uint64_t b, uint64_t *r) { return !__builtin_mul_overflow(a, b, r); }
static inline bool npg__add_sz(size_t a, size_t b, size_t *r) { return !__builtin_add_overflow(a, b, r); }
static inline bool npg__mul_sz(size_t a, size_t b, size_t *r) { return !__builtin_mul_overflow(a, b, r); }

/* uint64 -> size_t without truncation (matters on 32-bit targets). */
static inline bool npg__u64_to_sz(uint64_t a, size_t *r)
{
    if (a > (uint64_t)SIZE_MAX) return false;
    *r = (size_t)a;
    return true;
}

#endif
