/* The central directory: the list CPython's zipfile (and so np.load) believes. Walked record by
 * record over exactly cd_size bytes; the entry array grows as records are met (a declared count
 * never sizes an allocation: Go's CVE-2021-33196). Each record is held to what NumPy writes. */
#include <string.h>

#include "zip.h"

#include "../common/checked.h"

/* Unix file type bits of the external attributes: a symlink or device entry is a trap for
 * whoever extracts the archive, and NumPy writes plain files (type 0 or S_IFREG). */
static bool regular_file(const uint8_t *p)
{
    if (p[5] != 3) return true; /* not made on Unix: the high attribute bits mean nothing */
    uint32_t type = (npg__zip_u32(p + 38) >> 16) & 0xF000u;
    return type == 0 || type == 0x8000u;
}

/* Flags, method, version, comment, disk, file type: NPG_E_ZIP_{ENCRYPTED,FLAGS,METHOD,CD}. */
static int check_fixed(const uint8_t *p, uint64_t pos, npg_zip_fail *f)
{
    const uint8_t *name = p + NPG_ZIP_CENTRAL_LEN;
    size_t nlen = npg__zip_u16(p + 28);
    uint32_t flags = npg__zip_u16(p + 8), method = npg__zip_u16(p + 10);
    if (flags & NPG_ZIP_FLAG_ENCRYPTED)
        return npg__zip_fail_at(f, NPG_E_ZIP_ENCRYPTED, pos, name, nlen, "encrypted member (flags 0x%04x)", flags);
    /* bzip2 and lzma: CPython (so np.load) decodes them, a zlib-only validator cannot vet them.
     * Checked before the flags, which lzma members use for their end marker. */
    if (method != 0 && method != 8)
        return npg__zip_fail_at(f, NPG_E_ZIP_METHOD, pos, name, nlen, "compression method %u", method);
    /* bits 5 (patched data) and 6 (strong encryption) are how picklescan was blinded (CVE-2025-1945);
     * bits 1-2 mean something else for other methods (lzma's end marker, implode's tables) */
    if (flags & ~(method == 8 ? NPG_ZIP_FLAGS_ALLOWED_DEFLATE : NPG_ZIP_FLAGS_ALLOWED))
        return npg__zip_fail_at(f, NPG_E_ZIP_FLAGS, pos, name, nlen, "general-purpose flags 0x%04x", flags);
    /* the version's upper byte may name the host system, as in "version made by" (APPNOTE
     * 4.4.3): only the lower byte is the version, as zipfile reads it */
    if (p[6] > NPG_ZIP_VERSION_MAX)
        return npg__zip_fail_at(f, NPG_E_ZIP_CD, pos, name, nlen, "member needs zip version %u.%u",
                                (unsigned)p[6] / 10, (unsigned)p[6] % 10);
    if (npg__zip_u16(p + 32) != 0)
        return npg__zip_fail_at(f, NPG_E_ZIP_CD, pos, name, nlen, "member comment");
    if (npg__zip_u16(p + 34) != 0)
        return npg__zip_fail_at(f, NPG_E_ZIP_CD, pos, name, nlen, "member on another disk");
    if (!regular_file(p))
        return npg__zip_fail_at(f, NPG_E_ZIP_CD, pos, name, nlen, "member is not a regular file");
    return NPG_OK;
}

/* Sizes and offset: a 32-bit field of all ones defers to the zip64 extra, which holds exactly
 * the deferred values in the order usize, csize, offset (CPython reads them the same way). */
static int resolve_zip64(const uint8_t *p, uint64_t pos, npg_zip_entry *e, npg_zip_fail *f)
{
    const uint8_t *name = p + NPG_ZIP_CENTRAL_LEN;
    size_t nlen = npg__zip_u16(p + 28), elen = npg__zip_u16(p + 30);
    const uint8_t *z64;
    size_t z64len;
    int rc = npg__zip_extra_walk(name + nlen, elen, pos + NPG_ZIP_CENTRAL_LEN + nlen, &z64, &z64len, f);
    if (rc != NPG_OK) {
        if (f) f->name = name, f->name_len = nlen;
        return rc;
    }
    uint64_t v[3] = {npg__zip_u32(p + 24), npg__zip_u32(p + 20), npg__zip_u32(p + 42)};
    size_t k = 0;
    for (int i = 0; i < 3; i++) {
        if (v[i] != NPG_ZIP_U32_MAX) continue;
        if (!z64 || z64len < 8 * (k + 1))
            return npg__zip_fail_at(f, NPG_E_ZIP_EXTRA, pos, name, nlen, "zip64 extra missing a deferred field");
        v[i] = npg__zip_u64(z64 + 8 * k++);
    }
    if (z64 && z64len != 8 * k)
        return npg__zip_fail_at(f, NPG_E_ZIP_EXTRA, pos, name, nlen,
                                "zip64 extra of %zu bytes for %zu deferred fields", z64len, k);
    e->m.usize = v[0];
    e->m.csize = v[1];
    e->m.header_offset = v[2];
    e->cd_zip64_sizes = npg__zip_u32(p + 24) == NPG_ZIP_U32_MAX || npg__zip_u32(p + 20) == NPG_ZIP_U32_MAX;
    return NPG_OK;
}

static int keep_name(npg_zip *z, npg_zip_entry *e, const uint8_t *name, size_t nlen, npg_zip_fail *f)
{
    char *copy = npg__arena_alloc(&z->arena, nlen + 1);
    if (!copy) return npg__zip_fail(f, z->mem.status, e->cd_pos, "no memory for member names");
    memcpy(copy, name, nlen);
    copy[nlen] = '\0';
    e->m.name = copy;
    e->name_len = (uint16_t)nlen;
    e->m.is_npy = npg__zip_key_len(name, nlen) != nlen;
    return NPG_OK;
}

/* One record at pos (its whole length already checked to lie inside the directory). */
static int parse_entry(npg_zip *z, uint64_t pos, npg_zip_entry *e, npg_zip_fail *f)
{
    const uint8_t *p = z->buf + pos;
    const uint8_t *name = p + NPG_ZIP_CENTRAL_LEN;
    size_t nlen = npg__zip_u16(p + 28);
    memset(e, 0, sizeof *e);
    e->cd_pos = pos;
    e->flags = (uint16_t)npg__zip_u16(p + 8);
    e->m.method = (int)npg__zip_u16(p + 10);
    e->m.crc32 = npg__zip_u32(p + 16);
    e->m.level_hint = e->m.method == 8 ? (e->flags & NPG_ZIP_FLAG_LEVEL) >> 1 : 0;
    int rc = check_fixed(p, pos, f);
    if (rc == NPG_OK) rc = npg__zip_check_name(name, nlen, e->flags, pos, f);
    if (rc == NPG_OK) rc = resolve_zip64(p, pos, e, f);
    if (rc != NPG_OK) return rc;
    if (e->m.method == 0 && e->m.csize != e->m.usize)
        return npg__zip_fail_at(f, NPG_E_ZIP_CD, pos, name, nlen,
                                "stored member with %llu bytes compressed and %llu uncompressed",
                                (unsigned long long)e->m.csize, (unsigned long long)e->m.usize);
    return keep_name(z, e, name, nlen, f);
}

static int grow(npg_zip *z, npg_zip_fail *f, uint64_t pos)
{
    if (z->n < z->cap) return NPG_OK;
    size_t cap = z->cap ? z->cap * 2 : 8;
    void *p = npg__mem_realloc(&z->mem, z->e, z->cap * sizeof *z->e, cap * sizeof *z->e);
    if (!p) return npg__zip_fail(f, z->mem.status, pos, "no memory for %zu entries", cap);
    z->e = p;
    z->cap = cap;
    return NPG_OK;
}

/* The record header at pos: signature and a total length that fits in the directory. */
static int record_len(const npg_zip *z, uint64_t pos, uint64_t stop, uint64_t *total, npg_zip_fail *f)
{
    if (stop - pos < NPG_ZIP_CENTRAL_LEN)
        return npg__zip_fail(f, NPG_E_ZIP_CD, pos, "central directory ends inside a record");
    const uint8_t *p = z->buf + pos;
    if (npg__zip_u32(p) != NPG_ZIP_SIG_CENTRAL)
        return npg__zip_fail(f, NPG_E_ZIP_CD, pos, "not a central-directory record");
    *total = NPG_ZIP_CENTRAL_LEN + (uint64_t)npg__zip_u16(p + 28) + npg__zip_u16(p + 30) + npg__zip_u16(p + 32);
    if (*total > stop - pos)
        return npg__zip_fail(f, NPG_E_ZIP_CD, pos, "central-directory record runs past the directory");
    return NPG_OK;
}

int npg__zip_read_cd(npg_zip *z, const npg_zip_end *end, size_t max_members, npg_zip_fail *f)
{
    uint64_t pos = end->cd_offset, stop = end->cd_offset + end->cd_size; /* checked by read_end */
    while (pos < stop) {
        uint64_t total = 0;
        int rc = record_len(z, pos, stop, &total, f);
        if (rc != NPG_OK) return rc;
        if (z->n >= max_members)
            return npg__zip_fail(f, NPG_E_LIMIT_MEMBERS, pos, "more than %zu entries", max_members);
        if ((rc = grow(z, f, pos)) != NPG_OK) return rc;
        npg_zip_entry *e = &z->e[z->n];
        if ((rc = parse_entry(z, pos, e, f)) != NPG_OK) return rc;
        z->n++;
        if (!npg__add_u64(z->total_usize, e->m.usize, &z->total_usize) || z->total_usize > z->max_uncompressed)
            return npg__zip_fail_at(f, NPG_E_LIMIT_UNCOMPRESSED, pos, (const uint8_t *)e->m.name, e->name_len,
                                    "members declare more than %llu uncompressed bytes",
                                    (unsigned long long)z->max_uncompressed);
        pos += total;
    }
    if (z->n != end->count)
        return npg__zip_fail(f, NPG_E_ZIP_CD, end->cd_offset, "%zu central-directory records, %llu declared",
                             z->n, (unsigned long long)end->count);
    return NPG_OK;
}
