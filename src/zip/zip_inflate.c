/* npg_zip_read: a member's bytes through the caller's callback, in chunks of at most CHUNK
 * bytes, whatever the member's size. Stored members are passed straight out of the input
 * buffer; deflated ones are inflated into one CHUNK-sized buffer that is CRC'd and handed out,
 * so each output byte is written once by zlib and read once by crc32 (no copy of ours).
 *
 * The declared sizes are not believed: inflation stops one byte past usize (CPython silently
 * truncates there, hiding the rest), the stream must end exactly at csize input bytes and usize
 * output bytes, and the CRC-32 is always checked (NumPy never checks it when the .npy inside
 * ends before the member does). */
#include <string.h>
#include <zlib.h>

#include "zip.h"

#include "../common/checked.h"

/* Each inflate() call copies up to 32 KiB of its output into zlib's window; with 256 KiB
 * chunks that is 1/8 of the output (1/2 with 64 KiB chunks: measured 5% slower on the bench
 * archive), and the chunk still sits in L2 when crc32 reads it right after inflate wrote it. */
enum { CHUNK = NPG_ZIP_READ_CHUNK };
/* zlib counts input in 32-bit units; larger members are fed in pieces. */
#define FEED ((uint64_t)1 << 30)

typedef struct reader {
    const npg_zip *z;
    const npg_zip_entry *e;
    npg_write_fn write;
    void *ud;
    npg_zip_fail *f;
    npg_mem mem;
    uint32_t crc;
} reader;

#define FAIL(r, code, off, ...) \
    npg__zip_fail_at((r)->f, code, off, (const uint8_t *)(r)->e->m.name, (r)->e->name_len, __VA_ARGS__)

static int emit(reader *r, const uint8_t *p, size_t n, uint64_t at)
{
    r->crc = (uint32_t)crc32_z(r->crc, p, n);
    if (r->write(r->ud, p, n) != 0) return FAIL(r, NPG_E_INVALID, at, "stopped by the write callback");
    return NPG_OK;
}

static int read_stored(reader *r)
{
    const uint8_t *p = r->z->buf + r->e->m.data_offset;
    uint64_t left = r->e->m.csize;
    while (left) {
        size_t n = left < CHUNK ? (size_t)left : CHUNK;
        int rc = emit(r, p, n, (uint64_t)(p - r->z->buf));
        if (rc != NPG_OK) return rc;
        p += n;
        left -= n;
    }
    return NPG_OK;
}

/* Deflate cannot expand more than ~1032:1 on any prefix of a stream, so this never refuses a
 * genuine stream under the default cap; under a lowered cap it bounds the amplification rate
 * as well as the total (the total was checked from the declared sizes already). */
static int running_ratio(reader *r, uint64_t out, uint64_t in)
{
    uint64_t cap;
    if (out <= CHUNK || !npg__mul_u64(in, r->z->max_ratio, &cap) || out <= cap) return NPG_OK;
    return FAIL(r, NPG_E_LIMIT_RATIO, r->e->m.data_offset + in,
                "%llu bytes inflated from %llu: ratio above %llu", (unsigned long long)out,
                (unsigned long long)in, (unsigned long long)r->z->max_ratio);
}

/* What a non-progressing or failing inflate() call means. */
static int inflate_error(reader *r, z_stream *s, int zr, uint64_t in)
{
    uint64_t at = r->e->m.data_offset + in;
    if (zr == Z_MEM_ERROR)
        return FAIL(r, r->mem.status != NPG_OK ? r->mem.status : NPG_E_NOMEM, at, "no memory for zlib");
    if (zr == Z_BUF_ERROR)
        return FAIL(r, NPG_E_ZIP_INFLATE, at, "deflate stream truncated: no final block within %llu bytes",
                    (unsigned long long)r->e->m.csize);
    return FAIL(r, NPG_E_ZIP_INFLATE, at, "corrupt deflate stream: %s", s->msg ? s->msg : "zlib error");
}

/* The inflate loop proper; s is initialised, out holds CHUNK bytes. */
static int pump(reader *r, z_stream *s, uint8_t *out)
{
    const npg_zip_member *m = &r->e->m;
    const uint8_t *in = r->z->buf + m->data_offset;
    uint64_t in_left = m->csize, total = 0;
    for (;;) {
        if (s->avail_in == 0 && in_left) {
            uint64_t n = in_left < FEED ? in_left : FEED;
            s->next_in = (Bytef *)(uintptr_t)in;
            s->avail_in = (uInt)n;
            in += n;
            in_left -= n;
        }
        uint64_t room = m->usize - total; /* one byte more than that proves an overrun */
        uInt want = room >= CHUNK ? CHUNK : (uInt)room + 1;
        s->next_out = out;
        s->avail_out = want;
        int zr = inflate(s, Z_NO_FLUSH);
        size_t got = want - s->avail_out;
        uint64_t used = m->csize - in_left - s->avail_in;
        total += got;
        if (total > m->usize)
            return FAIL(r, NPG_E_ZIP_SIZE, m->data_offset + used, "member inflates past its declared %llu bytes",
                        (unsigned long long)m->usize);
        int rc = running_ratio(r, total, used);
        if (rc == NPG_OK && got) rc = emit(r, out, got, m->data_offset + used);
        if (rc != NPG_OK) return rc;
        if (zr == Z_STREAM_END) {
            if (used != m->csize)
                return FAIL(r, NPG_E_ZIP_INFLATE, m->data_offset + used,
                            "deflate stream ends %llu bytes before the member data does",
                            (unsigned long long)(m->csize - used));
            if (total != m->usize)
                return FAIL(r, NPG_E_ZIP_INFLATE, m->data_offset + used,
                            "deflate stream ends after %llu of %llu declared bytes", (unsigned long long)total,
                            (unsigned long long)m->usize);
            return NPG_OK;
        }
        if (zr != Z_OK) return inflate_error(r, s, zr, used);
    }
}

static int read_deflated(reader *r)
{
    z_stream s;
    memset(&s, 0, sizeof s);
    s.zalloc = npg__zip_zalloc;
    s.zfree = npg__zip_zfree;
    s.opaque = &r->mem;
    uint8_t *out = npg__mem_alloc(&r->mem, CHUNK);
    if (!out) return FAIL(r, r->mem.status, r->e->m.data_offset, "no memory for the inflate buffer");
    int rc;
    if (inflateInit2(&s, -MAX_WBITS) != Z_OK) {
        rc = FAIL(r, r->mem.status != NPG_OK ? r->mem.status : NPG_E_NOMEM, r->e->m.data_offset,
                  "cannot initialise zlib");
    } else {
        rc = pump(r, &s, out);
        inflateEnd(&s);
    }
    npg__mem_free(&r->mem, out, CHUNK);
    return rc;
}

/* Declared sizes first: a bomb is refused before a single byte is inflated. */
static int check_declared(reader *r)
{
    const npg_zip_member *m = &r->e->m;
    uint64_t cap;
    if (npg__mul_u64(m->csize, r->z->max_ratio, &cap) && m->usize > cap)
        return FAIL(r, NPG_E_LIMIT_RATIO, m->header_offset,
                    "member declares %llu bytes from %llu compressed: ratio above %llu",
                    (unsigned long long)m->usize, (unsigned long long)m->csize,
                    (unsigned long long)r->z->max_ratio);
    return NPG_OK;
}

NPG_API int npg_zip_read(const npg_zip *z, size_t i, npg_write_fn write, void *ud, npg_error *err)
{
    npg_zip_fail f;
    if (!z || i >= z->n || !write) {
        npg__zip_fail(&f, NPG_E_INVALID, 0, "invalid argument");
        npg__zip_error_out(err, &f);
        return NPG_E_INVALID;
    }
    reader r = {z, &z->e[i], write, ud, &f, {{0}}, 0};
    npg__mem_init(&r.mem, &z->mem.hooks, z->max_alloc);
    int rc = check_declared(&r);
    if (rc == NPG_OK) rc = r.e->m.method == 0 ? read_stored(&r) : read_deflated(&r);
    if (rc == NPG_OK && r.crc != r.e->m.crc32)
        rc = FAIL(&r, NPG_E_ZIP_CRC, r.e->m.data_offset, "CRC-32 %08x, declared %08x", (unsigned)r.crc,
                  (unsigned)r.e->m.crc32);
    npg__zip_error_out(err, rc == NPG_OK ? NULL : &f);
    return rc;
}
