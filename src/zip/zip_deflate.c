/* Raw deflate of a member's pieces into memory, for the writer: the local header must carry the
 * compressed size before the data, and the output is a callback that cannot seek back. The
 * buffer grows by doubling under the writer's budget (limits.max_alloc), so the peak is about
 * twice the compressed size. Settings are zipfile's ZIP_DEFLATED defaults (what
 * np.savez_compressed uses): level Z_DEFAULT_COMPRESSION (6), window 2^15, memLevel 8. */
#include <string.h>
#include <zlib.h>

#include "zip.h"

#define FEED ((uint64_t)1 << 30)

typedef struct dz {
    z_stream s;
    npg_mem *mem;
    uint8_t *buf;
    size_t cap;
} dz;

static size_t used(const dz *d) { return (size_t)(d->s.next_out - d->buf); }

static void set_room(dz *d)
{
    size_t room = d->cap - used(d);
    d->s.avail_out = room < FEED ? (uInt)room : (uInt)FEED;
}

static int grow(dz *d)
{
    size_t u = used(d);
    if (u < d->cap) { /* room left beyond what avail_out could express */
        set_room(d);
        return NPG_OK;
    }
    size_t cap = d->cap * 2;
    if (cap < d->cap) return NPG_E_LIMIT_ALLOC;
    uint8_t *p = npg__mem_realloc(d->mem, d->buf, d->cap, cap);
    if (!p) return d->mem->status;
    d->buf = p;
    d->cap = cap;
    d->s.next_out = p + u;
    set_room(d);
    return NPG_OK;
}

/* deflate() until the input is used up (Z_NO_FLUSH) or the stream has ended (Z_FINISH). */
static int run(dz *d, int flush)
{
    for (;;) {
        if (d->s.avail_out == 0) {
            int rc = grow(d);
            if (rc != NPG_OK) return rc;
        }
        int zr = deflate(&d->s, flush);
        if (zr == Z_STREAM_END) return NPG_OK;
        if (zr != Z_OK && zr != Z_BUF_ERROR) return NPG_E_INTERNAL;
        if (flush == Z_NO_FLUSH && d->s.avail_in == 0 && d->s.avail_out != 0) return NPG_OK;
    }
}

static int feed(dz *d, const npg_zipw_piece *pieces, size_t npieces)
{
    for (size_t i = 0; i < npieces; i++) {
        const uint8_t *p = pieces[i].p;
        for (uint64_t left = pieces[i].n; left;) {
            uint64_t n = left < FEED ? left : FEED;
            d->s.next_in = (Bytef *)(uintptr_t)p;
            d->s.avail_in = (uInt)n;
            int rc = run(d, Z_NO_FLUSH);
            if (rc != NPG_OK) return rc;
            p += n;
            left -= n;
        }
    }
    return run(d, Z_FINISH);
}

int npg__zip_deflate(npg_mem *mem, const npg_zipw_piece *pieces, size_t npieces, uint8_t **out,
                     size_t *cap, uint64_t *csize)
{
    dz d;
    memset(&d, 0, sizeof d);
    d.mem = mem;
    d.s.zalloc = npg__zip_zalloc;
    d.s.zfree = npg__zip_zfree;
    d.s.opaque = mem;
    d.cap = 64 * 1024;
    d.buf = npg__mem_alloc(mem, d.cap);
    if (!d.buf) return mem->status;
    if (deflateInit2(&d.s, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        npg__mem_free(mem, d.buf, d.cap);
        return mem->status != NPG_OK ? mem->status : NPG_E_NOMEM;
    }
    d.s.next_out = d.buf;
    set_room(&d);
    int rc = feed(&d, pieces, npieces);
    deflateEnd(&d.s);
    if (rc != NPG_OK) {
        npg__mem_free(mem, d.buf, d.cap);
        return rc;
    }
    *out = d.buf;
    *cap = d.cap;
    *csize = used(&d);
    return NPG_OK;
}
