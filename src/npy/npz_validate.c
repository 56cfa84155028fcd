/* npg_npz_validate: a whole .npz checked without holding any member in memory. Each member is
 * streamed by npg_zip_read (inflate and CRC-32 in the zip layer) into a small state machine:
 *
 *   PREAMBLE  up to 12 bytes: magic, version, HEADER_LEN (checked against max_header_len and the
 *             alignment before the header is buffered)
 *   HEADER    the rest of the header, buffered (at most 12 + max_header_len bytes) and parsed
 *             by the same parser as npg_npy_load
 *   DATA      its length (the member's declared size, which npg_zip_read enforces, minus the
 *             header) must be what the header implies; then the bytes are counted, never kept
 *             (bool bytes looked at with NPG_NPY_CHECK_VALUES)
 *   PICKLE    object dtypes only: the pickle is collected (under max_alloc) and then run by the
 *             restricted VM in decode mode, which must rebuild the header's array
 *
 * Errors name the member (err->member); their offsets are offsets in the member's uncompressed
 * bytes for .npy problems, in the archive for zip problems. */
#include <string.h>

#include "../common/checked.h"
#include "../pickle/doc.h"
#include "../pickle/vm.h"
#include "npy.h"
#include "npz_ctx.h"

enum { ST_PREAMBLE, ST_HEADER, ST_DATA, ST_PICKLE };

typedef struct stream {
    const npg_ctx *ctx;
    unsigned flags;
    npg_mem mem;     /* scratch for this member: header, dtype, pickle (limits.max_alloc) */
    npg_arena arena;
    int state;
    uint8_t pre[12];
    uint8_t *hdr;    /* preamble + header, data_offset bytes */
    size_t hdr_len, have;
    npg_npy_header h;
    uint64_t data_seen;
    npg_bool_runs runs;
    bool check_bools;
    uint8_t *pickle;
    size_t pickle_len, pickle_cap;
    npg_npy_fail fail; /* the verdict when rc != NPG_OK */
    int rc;
    uint64_t usize;    /* the member's size: declared, and enforced by npg_zip_read */
} stream;

static int stop(stream *s, int code, uint64_t off, const char *msg)
{
    s->rc = code;
    s->fail.offset = off;
    npg__diag(&s->fail.diag, code, "%s", msg);
    return 1; /* tells npg_zip_read to stop */
}

static int stop_fail(stream *s, int code)
{
    s->rc = code;
    return 1;
}

/* Enough bytes for the preamble? Then allocate the header buffer it declares. */
static int feed_preamble(stream *s, const uint8_t **p, size_t *n)
{
    size_t k = sizeof s->pre - s->have < *n ? sizeof s->pre - s->have : *n;
    memcpy(s->pre + s->have, *p, k);
    s->have += k;
    *p += k;
    *n -= k;
    int rc = npg__npy_preamble(s->pre, s->have, s->flags, &s->ctx->limits, &s->h, &s->fail);
    if (rc == NPG_E_TRUNCATED && s->have < sizeof s->pre) return 0; /* more to come */
    if (rc) return stop_fail(s, rc);
    /* data_offset <= 12 + max_header_len: bounded before anything is allocated */
    if (!npg__u64_to_sz(s->h.data_offset, &s->hdr_len))
        return stop(s, NPG_E_LIMIT_HEADER, 8, "header too long for this platform");
    s->hdr = npg__mem_alloc(&s->mem, s->hdr_len);
    if (!s->hdr) return stop(s, s->mem.status, 8, "no memory for the header");
    memcpy(s->hdr, s->pre, s->have); /* have <= 12 < data_offset (at least 16: the alignment) */
    s->state = ST_HEADER;
    return 0;
}

static int header_done(stream *s)
{
    int rc = npg__npy_parse_header(&s->arena, &s->ctx->limits, s->hdr, s->hdr_len, &s->h, &s->fail);
    if (rc) return stop_fail(s, rc);
    if (s->h.dtype->flags & NPG_DT_HAS_OBJECT) {
        s->state = ST_PICKLE;
        return 0;
    }
    s->state = ST_DATA;
    /* the member's length is known: judge the data length now, as npg_npy_load does before it
     * looks at any value (the same verdict for the same bytes, and no inflating in vain) */
    if (s->usize < s->h.data_offset || s->usize - s->h.data_offset < s->h.nbytes)
        return stop(s, NPG_E_TRUNCATED, s->usize, "array data shorter than the header implies");
    if (s->usize - s->h.data_offset > s->h.nbytes)
        return stop(s, NPG_E_TRAILING, s->h.data_offset + s->h.nbytes, "bytes after the array data");
    if ((s->flags & NPG_NPY_CHECK_VALUES) && s->h.size > 0) {
        if ((rc = npg__npy_bool_runs(&s->arena, s->h.dtype, &s->runs, &s->fail.diag))) {
            s->fail.offset = s->h.data_offset;
            return stop_fail(s, rc);
        }
        s->check_bools = s->runs.n > 0;
    }
    return 0;
}

static int feed_header(stream *s, const uint8_t **p, size_t *n)
{
    size_t k = s->hdr_len - s->have < *n ? s->hdr_len - s->have : *n;
    memcpy(s->hdr + s->have, *p, k);
    s->have += k;
    *p += k;
    *n -= k;
    return s->have == s->hdr_len ? header_done(s) : 0;
}

static int feed_data(stream *s, const uint8_t *p, size_t n)
{
    uint64_t bad;
    if (n > s->h.nbytes - s->data_seen)
        return stop(s, NPG_E_TRAILING, s->h.data_offset + s->h.nbytes, "bytes after the array data");
    if (s->check_bools && !npg__npy_bools_ok(&s->runs, s->data_seen, p, n, &bad))
        return stop(s, NPG_E_ARRAY, s->h.data_offset + bad, "bool byte that is neither 0 nor 1");
    s->data_seen += n;
    return 0;
}

/* The pickle of an object array: kept whole (the VM needs it all), doubling under max_alloc. */
static int feed_pickle(stream *s, const uint8_t *p, size_t n)
{
    if (n > s->pickle_cap - s->pickle_len) {
        size_t cap = s->pickle_cap ? s->pickle_cap : 65536;
        while (cap - s->pickle_len < n) {
            if (!npg__mul_sz(cap, 2, &cap)) return stop(s, NPG_E_LIMIT_ALLOC, s->h.data_offset, "pickle too long");
        }
        uint8_t *q = npg__mem_realloc(&s->mem, s->pickle, s->pickle_cap, cap);
        if (!q) return stop(s, s->mem.status, s->h.data_offset + s->pickle_len, "pickle above limits.max_alloc");
        s->pickle = q;
        s->pickle_cap = cap;
    }
    memcpy(s->pickle + s->pickle_len, p, n);
    s->pickle_len += n;
    return 0;
}

static int feed(void *ud, const void *data, size_t len)
{
    stream *s = ud;
    const uint8_t *p = data;
    while (len > 0) {
        int stopped;
        switch (s->state) {
        case ST_PREAMBLE: stopped = feed_preamble(s, &p, &len); break;
        case ST_HEADER: stopped = feed_header(s, &p, &len); break;
        case ST_DATA: return feed_data(s, p, len);
        default: return feed_pickle(s, p, len);
        }
        if (stopped) return stopped;
    }
    return 0;
}

/* The member has ended (CRC checked): anything missing, and the pickle's verdict. A failure of
 * the VM itself goes to err directly (with its opcode); others are left in s->fail. */
static int finish(stream *s, npg_error *err, bool *vm_failed)
{
    *vm_failed = false;
    if (s->state == ST_PREAMBLE || s->state == ST_HEADER) {
        stop(s, NPG_E_TRUNCATED, s->have, "member ends inside the .npy header");
        return s->rc;
    }
    if (s->state == ST_DATA) {
        if (s->data_seen < s->h.nbytes)
            stop(s, NPG_E_TRUNCATED, s->h.data_offset + s->data_seen, "member ends inside the array data");
        return s->rc;
    }
    /* decode mode whatever the flags: there is no document to carry findings */
    npg_doc *doc = npg__doc_new(s->ctx);
    if (!doc) {
        stop(s, NPG_E_NOMEM, 0, "out of memory");
        return s->rc;
    }
    int rc = npg__pickle_run(doc, s->ctx, s->pickle, s->pickle_len, s->flags & NPG_PY2_BYTES, NULL, 0,
                             s->h.data_offset);
    if (rc) {
        if (err) *err = doc->err;
        *vm_failed = true;
    } else if ((rc = npg__npy_check_object_root(&doc->arena, doc->root, &s->h, &s->fail.diag))) {
        s->fail.offset = s->h.data_offset;
    }
    npg_doc_free(doc);
    return rc;
}

static int member(const npg_ctx *ctx, const npg_zip *zip, size_t i, unsigned flags, npg_error *err)
{
    const npg_zip_member *m = npg_zip_member_at(zip, i);
    stream s;
    bool vm_failed = false;
    if (!m->is_npy) {
        npg__npz_error(err, NPG_E_ZIP_NAME, m->header_offset, m->name,
                       "member is not a .npy file (NumPy would return its bytes unchecked)");
        return NPG_E_ZIP_NAME;
    }
    memset(&s, 0, sizeof s);
    s.ctx = ctx;
    s.flags = flags;
    s.usize = m->usize;
    npg__mem_init(&s.mem, &ctx->alloc, ctx->limits.max_alloc);
    npg__arena_init(&s.arena, &s.mem);
    int rc = npg_zip_read(zip, i, feed, &s, err);
    if (s.rc != NPG_OK) {
        rc = s.rc; /* the stream stopped the read: its verdict, not the zip's "stopped" */
        npg__npz_error(err, rc, s.fail.offset, m->name, s.fail.diag.msg);
    } else if (rc == NPG_OK && (rc = finish(&s, err, &vm_failed)) != NPG_OK) {
        if (vm_failed && err) npg__escape(err->member, sizeof err->member, m->name, strlen(m->name));
        else npg__npz_error(err, rc, s.fail.offset, m->name, s.fail.diag.msg);
    } /* else: the zip layer's error, which names the member already */
    npg__arena_release(&s.arena);
    npg__mem_free(&s.mem, s.hdr, s.hdr_len);
    npg__mem_free(&s.mem, s.pickle, s.pickle_cap);
    return rc;
}

NPG_API int npg_npz_validate(const npg_ctx *ctx, const uint8_t *buf, size_t len, unsigned flags,
                             npg_error *err)
{
    npg_zip *zip;
    if (!ctx || (!buf && len) || (flags & ~NPG_NPY_LOAD_FLAGS)) {
        npg__npz_error(err, NPG_E_INVALID, 0, NULL, "invalid argument");
        return NPG_E_INVALID;
    }
    int rc = npg_zip_open(ctx, buf, len, flags, &zip, err);
    if (rc) return rc;
    size_t n = npg_zip_count(zip);
    for (size_t i = 0; i < n && rc == NPG_OK; i++) rc = member(ctx, zip, i, flags, err);
    npg_zip_free(zip);
    if (rc == NPG_OK && err) memset(err, 0, sizeof *err), err->opcode = -1;
    return rc;
}
