/* Fuzz target: zip archives and .npz files (npg_zip_open, npg_zip_read, npg_zip_stored_data,
 * npg_npz_load_member, npg_npz_validate).
 *
 * Checks: errors in range and never internal; every member of an opened archive lies inside the
 * input (local header before data, data within the file); a stored member's zero-copy view is
 * its bytes in the input; a member read to the end delivers exactly its declared size with the
 * declared CRC-32 (recomputed here with zlib); a loaded member passes the tree checks; and the
 * whole-archive validation agrees with the parts: npg_npz_validate accepts exactly when the
 * archive opens and every member is a .npy that loads (resource limits aside).
 * Option byte: bit 0 NPG_NPY_ALIGN16, bit 1 NPG_NPY_CHECK_VALUES, bit 2 NPG_PY2_BYTES, bit 3
 * recompute the CRC-32 fields first (fix_crcs), so that mutated member bytes get past the CRC
 * check and reach the .npy loader and the VM inside the archive. */
#include <string.h>
#include <zlib.h>

#include "fuzz_common.h"

typedef struct crc_sink {
    uLong crc;
    uint64_t len;
} crc_sink;

static int crc_write(void *ud, const void *data, size_t len)
{
    crc_sink *s = ud;
    s->crc = crc32(s->crc, data, (uInt)len);
    s->len += len;
    return 0;
}

static void check_member(const npg_zip_member *m, size_t size)
{
    FUZZ_ASSERT(m && m->name && strlen(m->name) > 0);
    FUZZ_ASSERT(m->header_offset < m->data_offset && m->data_offset <= size);
    FUZZ_ASSERT(m->csize <= size - m->data_offset);
    FUZZ_ASSERT(m->method == 0 || m->method == 8);
    size_t n = strlen(m->name);
    FUZZ_ASSERT(m->is_npy == (n >= 4 && memcmp(m->name + n - 4, ".npy", 4) == 0));
}

/* Read and load member i; returns whether it counts as a good .npz member, or -1 when a
 * resource limit decided. */
static int check_read_and_load(const npg_zip *zip, size_t i, const uint8_t *data, size_t size, unsigned flags)
{
    const npg_zip_member *m = npg_zip_member_at(zip, i);
    check_member(m, size);
    uint64_t slen = 0;
    const uint8_t *stored = npg_zip_stored_data(zip, i, &slen);
    if (m->method == 0) FUZZ_ASSERT(stored == data + m->data_offset && slen == m->csize);
    else FUZZ_ASSERT(stored == NULL);

    crc_sink cs = {crc32(0L, Z_NULL, 0), 0};
    npg_error err;
    int rc = npg_zip_read(zip, i, crc_write, &cs, &err);
    if (rc == NPG_OK) FUZZ_ASSERT(cs.len == m->usize && cs.crc == m->crc32);
    else fuzz_check_error(&err, size);
    if (fuzz_is_resource_error(rc)) return -1;

    npg_doc *doc = NULL;
    int lrc = npg_npz_load_member(zip, i, flags, &doc, &err);
    if (lrc == NPG_OK) {
        FUZZ_ASSERT(rc == NPG_OK); /* a member that loads must also read */
        const npg_value *a = npg_doc_root(doc);
        FUZZ_ASSERT(a && npg_value_kind(a) == NPG_ARRAY);
        fuzz_region input = {data, size};
        fuzz_check_tree(a, &input, 1);
    } else {
        /* offsets are in the archive or in the member's bytes, which are at most usize */
        fuzz_check_error(&err, size > m->usize ? size : m->usize);
    }
    npg_doc_free(doc);
    if (fuzz_is_resource_error(lrc)) return -1;
    return lrc == NPG_OK && m->is_npy;
}

static uint32_t le32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static void put32(uint8_t *p, uint32_t v) { p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16), p[3] = (uint8_t)(v >> 24); }

/* The CRC-32 of member m's uncompressed bytes (inflated here with zlib, at most usize); false
 * when they cannot be had. */
static int member_crc(const uint8_t *buf, const npg_zip_member *m, uint32_t *crc)
{
    const uint8_t *in = buf + m->data_offset;
    if (m->method == 0) return *crc = (uint32_t)crc32(0L, in, (uInt)m->csize), 1;
    if (m->usize > (16u << 20)) return 0;
    uint8_t *out = malloc(m->usize ? m->usize : 1);
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (!out || inflateInit2(&zs, -MAX_WBITS) != Z_OK) return free(out), 0;
    zs.next_in = (Bytef *)(uintptr_t)in, zs.avail_in = (uInt)m->csize;
    zs.next_out = out, zs.avail_out = (uInt)m->usize;
    int zr = inflate(&zs, Z_FINISH);
    int ok = zr == Z_STREAM_END || zr == Z_OK || zr == Z_BUF_ERROR;
    if (ok) *crc = (uint32_t)crc32(0L, out, (uInt)(m->usize - zs.avail_out));
    inflateEnd(&zs);
    free(out);
    return ok;
}

/* A copy of the archive whose CRC-32 fields (local header, directory records pointing at it,
 * data descriptor) hold the CRC of each member's bytes, when the archive opens. */
static uint8_t *fix_crcs(const npg_ctx *ctx, const uint8_t *data, size_t size)
{
    uint8_t *buf = malloc(size ? size : 1);
    npg_zip *zip = NULL;
    npg_error err;
    if (!buf) return NULL;
    memcpy(buf, data, size);
    if (npg_zip_open(ctx, data, size, 0, &zip, &err) != NPG_OK) return buf;
    size_t n = npg_zip_count(zip);
    uint32_t *crc = calloc(n ? n : 1, sizeof *crc);
    int *known = calloc(n ? n : 1, sizeof *known);
    for (size_t i = 0; crc && known && i < n; i++) {
        const npg_zip_member *m = npg_zip_member_at(zip, i);
        if (!(known[i] = member_crc(data, m, &crc[i]))) continue;
        uint64_t end = m->data_offset + m->csize; /* data descriptor, signed or not */
        if (!(data[m->header_offset + 6] & 8)) put32(buf + m->header_offset + 14, crc[i]);
        else if (end + 8 <= size) put32(buf + end + (le32(data + end) == 0x08074b50 ? 4 : 0), crc[i]);
    }
    for (size_t p = 0; crc && known && p + 46 <= size; p++) /* the directory records */
        if (le32(data + p) == 0x02014b50)
            for (size_t i = 0; i < n; i++)
                if (known[i] && le32(data + p + 42) == npg_zip_member_at(zip, i)->header_offset)
                    put32(buf + p + 16, crc[i]);
    free(crc);
    free(known);
    npg_zip_free(zip);
    return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned opt;
    npg_ctx *ctx = fuzz_start(&data, &size, &opt);
    if (!ctx) return 0;
    unsigned flags = ((opt & 1) ? NPG_NPY_ALIGN16 : 0) | ((opt & 2) ? NPG_NPY_CHECK_VALUES : 0) |
                     ((opt & 4) ? NPG_PY2_BYTES : 0);
    uint8_t *fixed = (opt & 8) ? fix_crcs(ctx, data, size) : NULL;
    if (fixed) data = fixed;
    npg_zip *zip = NULL;
    npg_error err;
    int parts_ok = 0; /* 1 all good, 0 some member bad, -1 a limit decided */
    int rc = npg_zip_open(ctx, data, size, flags, &zip, &err);
    if (rc == NPG_OK) {
        FUZZ_ASSERT(zip != NULL);
        parts_ok = 1;
        for (size_t i = 0; i < npg_zip_count(zip); i++) {
            int good = check_read_and_load(zip, i, data, size, flags);
            if (good < 0) parts_ok = -1;
            else if (!good && parts_ok == 1) parts_ok = 0;
        }
    } else {
        FUZZ_ASSERT(zip == NULL);
        fuzz_check_error(&err, size);
        if (fuzz_is_resource_error(rc)) parts_ok = -1;
    }
    npg_zip_free(zip);

    int vrc = npg_npz_validate(ctx, data, size, flags, &err);
    if (vrc != NPG_OK) fuzz_check_error(&err, size > (64u << 20) ? size : (64u << 20));
    if (parts_ok >= 0 && !fuzz_is_resource_error(vrc)) FUZZ_ASSERT((vrc == NPG_OK) == (parts_ok == 1));
    free(fixed);
    npg_ctx_free(ctx);
    return 0;
}
