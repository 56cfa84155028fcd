/* A member's bytes on the lenient path. Nothing about the member is believed: deflate output is
 * bounded by the caller's cap (limits.max_alloc and what is left of limits.max_uncompressed) and
 * by limits.max_ratio as it is produced, never by the declared size; a stream that breaks off
 * still yields what it inflated so far (a pickle at the start of a damaged member is found). */
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "../zip/zip.h"
#include "audit.h"

enum { FIRST = 64 * 1024, RATIO_GRACE = 256 * 1024 };
#define FEED ((uint64_t)1 << 30) /* zlib counts input in 32-bit units */

static void stop(npg_lz_data *d, int status, const char *msg)
{
    d->status = status;
    snprintf(d->msg, sizeof d->msg, "%s", msg);
}

/* Room for more output: double the buffer up to cap. False when at the cap or out of memory. */
static bool grow(npg_mem *mem, npg_lz_data *d, uint64_t cap)
{
    if (d->owned_cap >= cap) {
        stop(d, NPG_E_LIMIT_UNCOMPRESSED, "output reached the inflation cap (limits.max_alloc or max_uncompressed)");
        return false;
    }
    uint64_t want = d->owned_cap ? (uint64_t)d->owned_cap * 2 : FIRST;
    if (want > cap) want = cap;
    uint8_t *p = npg__mem_realloc(mem, d->owned, d->owned_cap, (size_t)want);
    if (!p) {
        stop(d, mem->status != NPG_OK ? mem->status : NPG_E_NOMEM, "no memory for the inflated bytes");
        return false;
    }
    d->owned = p;
    d->owned_cap = (size_t)want;
    return true;
}

static bool ratio_ok(npg_lz_data *d, uint64_t out, uint64_t in, uint32_t max_ratio)
{
    if (out <= RATIO_GRACE || out / (in ? in : 1) <= max_ratio) return true;
    stop(d, NPG_E_LIMIT_RATIO, "inflation ratio above limits.max_ratio");
    return false;
}

static void pump(npg_mem *mem, z_stream *s, const uint8_t *in, uint64_t in_len, uint64_t cap,
                 uint32_t max_ratio, npg_lz_data *d)
{
    uint64_t fed = 0, out = 0;
    for (;;) {
        if (s->avail_in == 0 && fed < in_len) {
            uint64_t k = in_len - fed < FEED ? in_len - fed : FEED;
            s->next_in = (Bytef *)(uintptr_t)(in + fed);
            s->avail_in = (uInt)k;
            fed += k;
        }
        if (out == d->owned_cap && !grow(mem, d, cap)) break;
        size_t room = d->owned_cap - (size_t)out;
        uInt chunk = room > (1u << 30) ? (1u << 30) : (uInt)room;
        s->next_out = d->owned + out;
        s->avail_out = chunk;
        int zr = inflate(s, Z_NO_FLUSH);
        out += chunk - s->avail_out;
        d->consumed = fed - s->avail_in;
        if (zr == Z_STREAM_END) {
            d->ended = true;
            break;
        }
        if (!ratio_ok(d, out, d->consumed, max_ratio)) break;
        if (zr == Z_BUF_ERROR && s->avail_in == 0 && fed == in_len) {
            stop(d, NPG_E_ZIP_INFLATE, "deflate stream truncated");
            break;
        }
        if (zr != Z_OK && zr != Z_BUF_ERROR) {
            stop(d, zr == Z_MEM_ERROR ? (mem->status ? mem->status : NPG_E_NOMEM) : NPG_E_ZIP_INFLATE,
                 zr == Z_MEM_ERROR ? "no memory for zlib" : "corrupt deflate stream");
            break;
        }
    }
    d->p = d->owned;
    d->n = (size_t)out;
}

void npg__lz_data(npg_mem *mem, const uint8_t *in, uint64_t in_len, uint32_t method, uint64_t cap,
                  uint32_t max_ratio, npg_lz_data *d)
{
    memset(d, 0, sizeof *d);
    if (method != 8) { /* stored, or a method field that may lie: the raw bytes */
        d->p = in;
        d->n = in_len > SIZE_MAX ? SIZE_MAX : (size_t)in_len;
        d->consumed = in_len;
        d->ended = true;
        return;
    }
    z_stream s;
    memset(&s, 0, sizeof s);
    s.zalloc = npg__zip_zalloc;
    s.zfree = npg__zip_zfree;
    s.opaque = mem;
    if (inflateInit2(&s, -MAX_WBITS) != Z_OK) {
        stop(d, mem->status != NPG_OK ? mem->status : NPG_E_NOMEM, "cannot initialise zlib");
        d->p = (const uint8_t *)"";
        return;
    }
    pump(mem, &s, in, in_len, cap, max_ratio, d);
    inflateEnd(&s);
    if (!d->p) d->p = (const uint8_t *)"";
}

void npg__lz_data_free(npg_mem *mem, npg_lz_data *d)
{
    if (d->owned) npg__mem_free(mem, d->owned, d->owned_cap);
    d->owned = NULL;
    d->owned_cap = 0;
}
