/* The one bounds-checked reader of untrusted bytes.
 *
 * Invariant: pos <= end <= len. `end` is where reads stop (a caller may lower it below len to
 * fence off a region). Every read checks before it
 * consumes and never moves pos on failure; integers are assembled with shifts, never by casting
 * pointers (alignment, byte order). */
#ifndef NPG_CURSOR_H
#define NPG_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct npg_cur {
    const uint8_t *p; /* start of the whole input */
    size_t len;       /* length of the whole input */
    size_t end;       /* reads stop here (frame end or len) */
    size_t pos;       /* next byte to read; the offset reported in errors */
} npg_cur;

static inline void npg__cur_init(npg_cur *c, const uint8_t *p, size_t len)
{
    c->p = p;
    c->len = len;
    c->end = len;
    c->pos = 0;
}

static inline size_t npg__cur_left(const npg_cur *c) { return c->end - c->pos; }

static inline bool npg__cur_u8(npg_cur *c, uint8_t *out)
{
    if (c->end - c->pos < 1) return false;
    *out = c->p[c->pos++];
    return true;
}

static inline uint64_t npg__le(const uint8_t *b, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++) v |= (uint64_t)b[i] << (8 * i);
    return v;
}

/* Little-endian unsigned integer of n (1..8) bytes. */
static inline bool npg__cur_le(npg_cur *c, unsigned n, uint64_t *out)
{
    if (c->end - c->pos < n) return false;
    *out = npg__le(c->p + c->pos, n);
    c->pos += n;
    return true;
}

/* n bytes in place (zero-copy). */
static inline bool npg__cur_bytes(npg_cur *c, uint64_t n, const uint8_t **out)
{
    if ((uint64_t)(c->end - c->pos) < n) return false;
    *out = c->p + c->pos;
    c->pos += (size_t)n;
    return true;
}

/* Bytes up to (not including) the next '\n', which is consumed. */
static inline bool npg__cur_line(npg_cur *c, const uint8_t **out, size_t *n)
{
    const uint8_t *s = c->p + c->pos;
    const uint8_t *nl = memchr(s, '\n', c->end - c->pos);
    if (!nl) return false;
    *out = s;
    *n = (size_t)(nl - s);
    c->pos += *n + 1;
    return true;
}

#endif
