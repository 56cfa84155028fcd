/* Internal interface of the audit module (src/audit/): npg_audit_buffer sniffs a file's real
 * format from its content and runs the library's own parser for it in scan mode; zip archives
 * are scanned member by member, and when an archive fails validation its members are still
 * found (central directory, and a forward walk of local headers) and scanned.
 *
 * Nothing here parses pickles or .npy headers: those go to npg_pickle_load / npg_npy_load in
 * scan mode. What the module parses itself is zip structure in the lenient path (lz_*.c), and
 * that path only ever adds findings: its archives were refused by npg_zip_open already, so the
 * verdict is at best "invalid" and the lenient reading can only make it "unsafe". */
#ifndef NPG_AUDIT_H
#define NPG_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/alloc.h"
#include "../common/ctx.h"
#include "npguard.h"

struct npg_audit {
    npg_mem mem;       /* the record below (bounded by limits.max_findings); struct outside it */
    npg_arena arena;   /* finding strings */
    npg_audit_finding *f;
    size_t n, cap;
    size_t dropped;    /* findings beyond limits.max_findings (counted in the verdict) */
    size_t evicted;    /* kept info findings replaced by later ones when the record was full */
    size_t info_cursor;/* eviction: kept findings at [info_cursor, n) are known not to be info */
    npg_format format;
    bool unsafe;       /* a finding above info from the allowlist rules (NPG002-NPG010) */
    bool invalid;      /* NPG100 (above info), NPG102 or NPG104 */
    int status;        /* NPG_OK, or the allocation failure that stopped the record */
};

/* State of one npg_audit_buffer call. */
typedef struct npg_aud {
    npg_audit *a;
    const npg_ctx *ctx;
    const npg_limits *lim;
    unsigned flags;           /* the npy/pickle flags passed down (NPG_NPY_ALIGN16, ...) */
    const char *const *allow; /* extra acceptable globals, "module.name" */
    size_t nallow;
    const char *name;         /* the file's name or path (suspicion only), or NULL */
    uint64_t member_bytes;    /* member bytes the lenient zip path scanned, stored or inflated:
                                 bounded by limits.max_uncompressed (its entries may overlap) */
    uint64_t member_in;       /* bytes of the file the lenient zip path has read as member data:
                                 at most the file's length, so that overlapping entries cannot
                                 make it inflate one stretch of the file again and again */
    bool overlap_stopped;     /* member_in would have passed the file's length: no more members */
} npg_aud;

/* Flags npg_audit_opts.flags may hold. */
#define NPG_AUDIT_FLAGS ((unsigned)(NPG_PY2_BYTES | NPG_NPY_ALIGN16 | NPG_NPY_CHECK_VALUES))

/* Sniff and scan a whole file (audit_root.c); sets a->format. */
void npg__aud_root(npg_aud *x, const uint8_t *buf, size_t len);

/* ---- findings (audit_findings.c) */

/* Record a finding (printf-style message). The allow list downgrades allowlist-rule findings on
 * an allowed global to info; the verdict flags are updated before the limits.max_findings cap
 * decides whether the finding is kept. member and global are copied (may be NULL). Returns
 * NPG_OK or the allocation failure (sticky in a->status). */
int npg__aud_add(npg_aud *x, int rule, npg_severity sev, uint64_t offset, const char *member,
                 const char *global, int status, const char *fmt, ...)
    __attribute__((format(printf, 8, 9)));
/* Copy a document's findings (offsets + base) and, when its status is not NPG_OK, one NPG100
 * with the status. doc may be NULL (then rc and err describe the failure). */
void npg__aud_add_doc(npg_aud *x, const npg_doc *doc, int rc, const npg_error *err, uint64_t base,
                      const char *member);
/* After everything was scanned: one info note when findings were dropped. */
void npg__aud_finish(npg_aud *x);

/* A point in the record to take findings back to (bytes that turned out not to be a pickle). */
typedef struct npg_aud_mark {
    size_t n, dropped, evicted;
    bool unsafe, invalid;
} npg_aud_mark;
void npg__aud_mark(const npg_aud *x, npg_aud_mark *m);
/* Forget the findings made since the mark. False (nothing changed) when the findings cap evicted
 * an earlier finding meanwhile: that one cannot come back. */
bool npg__aud_take_back(npg_aud *x, const npg_aud_mark *m);

/* ---- content (audit_content.c, audit_pickle.c, audit_text.c) */

/* True when p starts with the .npy magic / a zip record signature (local header or EOCD). */
bool npg__aud_is_npy(const uint8_t *p, size_t n);
bool npg__aud_is_zip(const uint8_t *p, size_t n);
/* Printable UTF-8 (whitespace \t \n \r \f \v allowed, an initial BOM too), n > 0. */
bool npg__aud_is_text(const uint8_t *p, size_t n);

/* Scan p[0..n) as a stream of pickles (several concatenated ones too). Returns true when it is
 * one (findings recorded); false, with nothing recorded, when it is not (audit_pickle.c: CPython
 * would import nothing from it and it is no complete opcode stream). */
bool npg__aud_pickles(npg_aud *x, const uint8_t *p, size_t n, const char *member);
/* The same for a pickle that starts base bytes into the file or member (the data of a .npy
 * whose header npguard refuses but numpy.load reads): findings' offsets are moved by base. */
bool npg__aud_pickles_at(npg_aud *x, const uint8_t *p, size_t n, uint64_t base, const char *member);
/* The same, but no further pickle is looked for at or after offset until (where an archive
 * behind the pickles starts); each pickle still runs to its STOP, however far, as pickle.load
 * would read it. */
bool npg__aud_pickles_until(npg_aud *x, const uint8_t *p, size_t n, size_t until, const char *member);
/* npg_npy_load in scan mode, findings and status recorded. */
void npg__aud_npy(npg_aud *x, const uint8_t *p, size_t n, const char *member);
/* Sniff and scan a zip member's bytes (nested archives are not opened). */
npg_format npg__aud_content(npg_aud *x, const uint8_t *p, size_t n, const char *member);
/* A member's content, complete or not: sniffed, scanned, classified (NPG103). */
void npg__aud_member(npg_aud *x, const uint8_t *p, size_t n, const char *member, const char *how);
/* The NPG103 finding (or none) for a member whose content was found to be in format f. */
void npg__aud_classify(npg_aud *x, npg_format f, const char *member, const char *how);
/* A deflated member larger than limits.max_alloc that is a .npy array without objects: header
 * judged, data streamed for the CRC, never held (audit_bignpy.c). False: not handled. */
bool npg__aud_big_npy(npg_aud *x, const npg_zip *z, size_t i, const npg_zip_member *m);

/* ---- zip (audit_zip.c): npg_zip_open first; on failure NPG100 and the lenient path */
typedef struct npg_lz_end npg_lz_end;
void npg__aud_zip(npg_aud *x, const uint8_t *buf, size_t len, const npg_lz_end *end);

/* ---- lenient zip (lz_*.c) */

/* Where the end records say the central directory is, as a CD reader (CPython's zipfile)
 * computes it: the EOCD is searched in the last 64 KiB + 22 bytes (last valid one wins), the
 * zip64 records are followed, and prepended data shifts every offset by `concat`. */
struct npg_lz_end {
    uint64_t eocd;    /* offset of the EOCD record */
    uint64_t cd_pos;  /* where the central directory really is in the buffer */
    uint64_t cd_size;
    uint64_t count;   /* entries declared */
    uint64_t concat;  /* added to every local-header offset of the central directory */
};
/* True when an EOCD was found whose central directory is where it says (or it is empty). */
bool npg__lz_find_end(const uint8_t *buf, size_t len, npg_lz_end *end);
/* Lowest offset of a local header the central directory names (or cd_pos): where the archive
 * starts when something else precedes it. */
uint64_t npg__lz_start(const uint8_t *buf, size_t len, const npg_lz_end *end, size_t max_members);

/* One local file header, read leniently. */
typedef struct npg_lz_local {
    uint32_t flags, method;
    uint64_t csize, usize;  /* zip64 extra applied when the 32-bit field is 0xFFFFFFFF */
    const uint8_t *name;
    size_t name_len;
    uint64_t data;          /* offset of the data */
    bool sizes_known;       /* false: data descriptor with zero sizes in the header */
} npg_lz_local;
bool npg__lz_local(const uint8_t *buf, size_t len, uint64_t off, npg_lz_local *l);

/* One central-directory entry, read leniently. */
typedef struct npg_lz_entry {
    uint64_t lh;            /* local header offset in the buffer (concat applied) */
    uint64_t csize, usize;
    uint32_t method, flags;
    const uint8_t *name;
    size_t name_len;
    uint64_t end;           /* end of its data once scanned (0: not located) */
    bool done;
} npg_lz_entry;
/* Entries of the central directory (at most max entries, in an array of *cap from mem). */
int npg__lz_read_cd(npg_mem *mem, const uint8_t *buf, size_t len, const npg_lz_end *end, size_t max,
                    npg_lz_entry **out, size_t *n, size_t *cap);

/* A member's bytes: stored (or an unknown method: its raw bytes, in case the field lies) are
 * returned in place; deflate is inflated into *owned (from mem), bounded by cap bytes of output
 * and limits.max_ratio; partial output is returned with a status saying why it stopped. in_len
 * may run past the real data (unknown compressed size): *consumed tells where the stream ended. */
typedef struct npg_lz_data {
    const uint8_t *p;
    size_t n;
    uint8_t *owned;   /* free with npg__mem_free(mem, owned, owned_cap) */
    size_t owned_cap;
    uint64_t consumed;/* input bytes the deflate stream used (csize for stored) */
    bool ended;       /* the deflate stream reached its end */
    int status;       /* NPG_OK or why the output is partial */
    char msg[120];
} npg_lz_data;
void npg__lz_data(npg_mem *mem, const uint8_t *in, uint64_t in_len, uint32_t method, uint64_t cap,
                  uint32_t max_ratio, npg_lz_data *d);
void npg__lz_data_free(npg_mem *mem, npg_lz_data *d);

/* Scan every member the central directory names (when end is not NULL) and every local header a
 * forward walk from offset 0 meets that the central directory does not name (NPG104). */
void npg__lz_scan(npg_aud *x, const uint8_t *buf, size_t len, const npg_lz_end *end);
/* Scan the member whose local header is at lh, with sizes and method from the central
 * directory entry e (NULL: from the local header, as a streaming reader would). Returns the
 * offset just past its data, or 0 when no local header is there. */
uint64_t npg__lz_member(npg_aud *x, const uint8_t *buf, size_t len, uint64_t lh, const npg_lz_entry *e,
                        bool hidden);

/* Escape a raw member name into out (printable ASCII, NUL-terminated). */
void npg__lz_name(char *out, size_t cap, const uint8_t *name, size_t n);

#endif
