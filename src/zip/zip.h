/* Internal interface of the zip module (src/zip/): the strict reader behind npg_zip_open /
 * npg_zip_read, and the writer behind npg_npz_writer_*.
 *
 * Reader in one paragraph: the archive must parse identically for a central-directory reader
 * (CPython's zipfile, which NumPy uses) and for a forward reader of local headers (cnpy,
 * xtensor-io, anything streaming). So the EOCD is unique and ends the file, the central
 * directory ends exactly where the EOCD (or the zip64 end record) starts, and the entries,
 * sorted by offset, tile [0, cd_offset) exactly: local header, data, optional descriptor, next
 * local header. Every local header agrees field by field with its central-directory entry. Any
 * byte not accounted for, and any field two readers could read differently, is an error.
 *
 * Which status the end-of-archive attacks get:
 *   no EOCD, a second EOCD signature in the searched tail (fake EOCD in a comment, two small
 *   archives concatenated), an archive comment, bad EOCD fields       -> NPG_E_ZIP_EOCD
 *   bytes after the EOCD (appended data), bytes before the archive (prepended data, an earlier
 *   archive beyond the 64 KiB search window), gaps and overlaps      -> NPG_E_ZIP_LAYOUT
 *   zip64 locator / end record missing, malformed or disagreeing     -> NPG_E_ZIP_ZIP64 */
#ifndef NPG_ZIP_H
#define NPG_ZIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/alloc.h"
#include "../common/diag.h"
#include "npguard.h"

/* ------------------------------------------------------------------ record layouts */

#define NPG_ZIP_SIG_LOCAL 0x04034b50u  /* PK\3\4 */
#define NPG_ZIP_SIG_CENTRAL 0x02014b50u /* PK\1\2 */
#define NPG_ZIP_SIG_EOCD 0x06054b50u   /* PK\5\6 */
#define NPG_ZIP_SIG_EOCD64 0x06064b50u /* PK\6\6 */
#define NPG_ZIP_SIG_LOC64 0x07064b50u  /* PK\6\7 */
#define NPG_ZIP_SIG_DESC 0x08074b50u   /* PK\7\8 */

enum {
    NPG_ZIP_LOCAL_LEN = 30,
    NPG_ZIP_CENTRAL_LEN = 46,
    NPG_ZIP_EOCD_LEN = 22,
    NPG_ZIP_EOCD64_LEN = 56, /* with record-size field 44: no extensible data */
    NPG_ZIP_LOC64_LEN = 20,
    NPG_ZIP_MAX_COMMENT = 65535,
    NPG_ZIP_MAX_NAME = 255,
    NPG_ZIP_VERSION_MAX = 45, /* "version needed" of zip64; NumPy writes 20 or 45 */
    NPG_ZIP_EXTRA_ZIP64 = 0x0001,
    NPG_ZIP_EXTRA_UPATH = 0x7075,  /* Info-ZIP Unicode Path: a second name some readers prefer */
    NPG_ZIP_EXTRA_STRONG = 0x0017, /* PKWARE strong encryption header */
    NPG_ZIP_EXTRA_AES = 0x9901     /* WinZip AES */
};

#define NPG_ZIP_FLAG_ENCRYPTED 0x0001u
#define NPG_ZIP_FLAG_LEVEL 0x0006u /* bits 1-2 of a deflated member: the level its writer used */
#define NPG_ZIP_FLAG_DESCRIPTOR 0x0008u
#define NPG_ZIP_FLAG_UTF8 0x0800u
/* The only flags NumPy's zipfile ever sets. */
#define NPG_ZIP_FLAGS_ALLOWED (NPG_ZIP_FLAG_DESCRIPTOR | NPG_ZIP_FLAG_UTF8)
/* And on deflated members the level hint that Info-ZIP's zip -9 (and other tools) set: a note
 * for whoever decompresses, which zlib, zipfile and every reader ignore (npg_zip_member.level_hint). */
#define NPG_ZIP_FLAGS_ALLOWED_DEFLATE (NPG_ZIP_FLAGS_ALLOWED | NPG_ZIP_FLAG_LEVEL)

/* npg_zip_read hands out at most this many bytes per callback (and allocates this much). */
#define NPG_ZIP_READ_CHUNK (256 * 1024)

#define NPG_ZIP_U16_MAX 0xFFFFu
#define NPG_ZIP_U32_MAX 0xFFFFFFFFu

/* ------------------------------------------------------------------ the open archive */

typedef struct npg_zip_entry {
    npg_zip_member m;     /* public view; m.name lives in the archive's arena */
    uint64_t cd_pos;      /* offset of the central-directory record (for errors) */
    uint64_t end;         /* end of data and descriptor: where the next local header must start */
    uint16_t flags;
    uint16_t name_len;
    bool cd_zip64_sizes;  /* the central directory needed zip64 for the sizes */
} npg_zip_entry;

struct npg_zip {
    npg_mem mem;          /* budget: limits.max_alloc; the struct itself is outside it */
    npg_arena arena;      /* member names */
    const uint8_t *buf;
    size_t len;
    npg_zip_entry *e;     /* grown by doubling as entries are met, never sized from a count */
    size_t n, cap;
    uint64_t total_usize;
    uint64_t max_uncompressed;
    uint64_t max_ratio;
    uint64_t max_alloc;
    npg_limits limits;    /* all of the context's limits, for members loaded from the archive */
};

/* What the end records say, after the zip64 cross-checks. */
typedef struct npg_zip_end {
    uint64_t eocd_pos;   /* offset of the EOCD */
    uint64_t cd_end;     /* where the central directory must end: the EOCD64 or the EOCD */
    uint64_t cd_offset;
    uint64_t cd_size;
    uint64_t count;      /* entries declared */
    bool zip64;
} npg_zip_end;

/* A failure: code, offset and (when known) the member it concerns. */
typedef struct npg_zip_fail {
    int code;
    uint64_t offset;
    const uint8_t *name; /* raw member name bytes or NULL */
    size_t name_len;
    char msg[200];
} npg_zip_fail;

/* Record a failure (printf-style message); returns code. */
int npg__zip_fail(npg_zip_fail *f, int code, uint64_t offset, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The same, naming the member whose raw name is name[0..n). */
int npg__zip_fail_at(npg_zip_fail *f, int code, uint64_t offset, const uint8_t *name, size_t n,
                     const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* Copy f into the public error (escaping the member name); err may be NULL. */
void npg__zip_error_out(npg_error *err, const npg_zip_fail *f);

/* Little-endian fields at p (caller has checked the bounds). */
static inline uint32_t npg__zip_u16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static inline uint32_t npg__zip_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t npg__zip_u64(const uint8_t *p)
{
    return (uint64_t)npg__zip_u32(p) | (uint64_t)npg__zip_u32(p + 4) << 32;
}
static inline uint8_t *npg__zip_put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8);
    return p + 2;
}
static inline uint8_t *npg__zip_put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
    return p + 4;
}
static inline uint8_t *npg__zip_put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
    return p + 8;
}
/* True when [off, off+n) lies inside [0, len). */
static inline bool npg__zip_span(uint64_t len, uint64_t off, uint64_t n)
{
    return off <= len && n <= len - off;
}

/* zip_eocd.c: find the single EOCD at the end of buf, read and cross-check the zip64 records.
 * Errors: NPG_E_ZIP_EOCD, NPG_E_ZIP_ZIP64, NPG_E_ZIP_LAYOUT (bytes after the archive, or
 * before it: prepended data, concatenated archives), NPG_E_LIMIT_MEMBERS. */
int npg__zip_read_end(const uint8_t *buf, size_t len, size_t max_members, npg_zip_end *end,
                      npg_zip_fail *f);

/* zip_extra.c: extra fields. Walk a TLV block; reject partial records, duplicate ids and ids
 * that change meaning elsewhere (Unicode path, encryption). zip64 and zip64_len give the zip64
 * record's payload (NULL when absent). NPG_E_ZIP_EXTRA. */
int npg__zip_extra_walk(const uint8_t *p, size_t n, uint64_t pos, const uint8_t **zip64,
                        size_t *zip64_len, npg_zip_fail *f);

/* zip_name.c: member names. NPG_E_ZIP_NAME for an unsafe or malformed name. */
int npg__zip_check_name(const uint8_t *s, size_t n, unsigned flags, uint64_t pos, npg_zip_fail *f);
/* NPG_E_ZIP_DUPLICATE when two entries share a name, also after stripping ".npy".
 * Sorts a temporary index from mem. */
int npg__zip_check_unique(npg_zip *z, npg_zip_fail *f);
/* n bytes of name without a trailing ".npy". */
size_t npg__zip_key_len(const uint8_t *s, size_t n);

/* zip_cd.c: walk exactly cd_size bytes of central directory and append one entry per record. */
int npg__zip_read_cd(npg_zip *z, const npg_zip_end *end, size_t max_members, npg_zip_fail *f);

/* zip_local.c: entry e's local header (at e->m.header_offset) against the central directory,
 * its data descriptor, and e->m.data_offset / e->end. NPG_E_ZIP_LOCAL, NPG_E_ZIP_DESCRIPTOR. */
int npg__zip_check_local(const npg_zip *z, npg_zip_entry *e, npg_zip_fail *f);

/* zip_layout.c: forward walk from offset 0 over the entries in offset order; each local header
 * must start where the previous entry ended, and the last must end at cd_offset. */
int npg__zip_check_layout(npg_zip *z, const npg_zip_end *end, npg_zip_fail *f);

/* ------------------------------------------------------------------ writer */

/* One contiguous piece of a member's content. */
typedef struct npg_zipw_piece {
    const uint8_t *p;
    uint64_t n;
} npg_zipw_piece;

typedef struct npg_zipw_entry {
    uint64_t offset, csize, usize;
    uint32_t crc;
    uint16_t method, flags;
    const uint8_t *name; /* arena copy */
    uint16_t name_len;
} npg_zipw_entry;

/* Writes an archive strictly in order through a callback: no seeking, so each local header
 * carries the real CRC and sizes, computed before it is written (deflated members are
 * compressed into memory under the budget first). */
typedef struct npg_zipw {
    npg_mem *mem;
    npg_arena arena; /* names */
    npg_write_fn write;
    void *ud;
    uint64_t pos;    /* bytes written: the next local header's offset */
    npg_zipw_entry *e;
    size_t n, cap;
    uint32_t *slots; /* hash set of keys (name without .npy): entry index + 1, 0 = empty */
    size_t nslots;
    uint64_t zip64_at;  /* sizes/offsets >= this need zip64 (0xFFFFFFFF; tests lower it) */
    uint64_t zip64_count; /* entry counts >= this need the zip64 end records (0xFFFF) */
    size_t max_members;
    int status;      /* sticky: the first failure */
} npg_zipw;

void npg__zipw_init(npg_zipw *w, npg_mem *mem, npg_write_fn write, void *ud, size_t max_members);
/* Add a member named name[0..n) (validated like the reader's names, unique) made of pieces,
 * stored (method 0) or deflated (8) at zlib's default level, as zipfile's ZIP_DEFLATED does. */
int npg__zipw_add(npg_zipw *w, const uint8_t *name, size_t n, int method,
                  const npg_zipw_piece *pieces, size_t npieces, npg_zip_fail *f);
/* Central directory, zip64 end records when needed, EOCD. */
int npg__zipw_finish(npg_zipw *w, npg_zip_fail *f);
void npg__zipw_release(npg_zipw *w);
/* zip_write.c, shared with zip_write_cd.c: bytes out through the callback, counted in w->pos. */
int npg__zipw_out(npg_zipw *w, const void *p, uint64_t n, npg_zip_fail *f);
/* zip_write_keys.c: remember entry i's key (name without ".npy"); NPG_E_ZIP_DUPLICATE when an
 * earlier entry has it. */
int npg__zipw_key_add(npg_zipw *w, size_t i, npg_zip_fail *f);

/* zip_deflate.c: raw-deflate the pieces (zipfile's ZIP_DEFLATED settings) into a buffer from
 * mem; *out holds *csize bytes in an allocation of *cap bytes (free it with that size). */
int npg__zip_deflate(npg_mem *mem, const npg_zipw_piece *pieces, size_t npieces, uint8_t **out,
                     size_t *cap, uint64_t *csize);

/* zlib allocation hooks charging an npg_mem (opaque = the npg_mem). */
void *npg__zip_zalloc(void *opaque, unsigned items, unsigned size);
void npg__zip_zfree(void *opaque, void *p);

#endif
