/* Zip archives: the strict reader first (npg_zip_open: the archive as every reader would see it);
 * each member is then read with npg_zip_read (CRC and sizes checked) and scanned by content. An
 * archive the strict reader refuses gets one NPG100 and the lenient path (lz_scan.c), because a
 * consumer less strict than npguard (PyTorch's miniz, a streaming reader) may still load it. */
#include <string.h>

#include "../common/checked.h"
#include "../npy/npy.h"
#include "audit.h"

typedef struct sink {
    uint8_t *p;
    size_t n, cap;
    bool full;
} sink;

static int fill(void *ud, const void *data, size_t len)
{
    sink *s = ud;
    size_t k = len <= s->cap - s->n ? len : s->cap - s->n;
    if (k) memcpy(s->p + s->n, data, k);
    s->n += k;
    if (k < len) s->full = true;
    return k < len;
}

static int discard(void *ud, const void *data, size_t len)
{
    (void)ud, (void)data, (void)len;
    return 0;
}

static void zip_error(npg_aud *x, const npg_error *e, const char *member)
{
    npg__aud_add(x, NPG_RULE_MALFORMED, npg_rule_severity(NPG_RULE_MALFORMED), e->offset,
                 member ? member : (e->member[0] ? e->member : NULL), NULL, e->code, "%s: %s",
                 npg_status_name(e->code), e->message);
}

/* Stored: the bytes in place; the read only verifies the CRC (a consumer that skips it still
 * loads the content, so the content is scanned either way). */
static void stored_member(npg_aud *x, const npg_zip *z, size_t i, const npg_zip_member *m)
{
    npg_error err;
    uint64_t len;
    const uint8_t *p = npg_zip_stored_data(z, i, &len);
    size_t n;
    if (npg_zip_read(z, i, discard, NULL, &err) != NPG_OK) zip_error(x, &err, m->name);
    if (p && npg__u64_to_sz(len, &n)) npg__aud_member(x, p, n, m->name, NULL);
}

/* Deflated: inflated into one buffer of at most limits.max_alloc bytes; whatever came out before
 * an error (or the cap) is still scanned. */
static void deflated_member(npg_aud *x, const npg_zip *z, size_t i, const npg_zip_member *m)
{
    npg_error err;
    npg_mem mem;
    npg__mem_init(&mem, &x->ctx->alloc, x->lim->max_alloc);
    uint64_t want = m->usize < x->lim->max_alloc ? m->usize : x->lim->max_alloc;
    size_t cap;
    sink s = {NULL, 0, 0, false};
    if (!npg__u64_to_sz(want, &cap) || !(s.p = npg__mem_alloc(&mem, cap ? cap : 1))) {
        npg__aud_add(x, NPG_RULE_MALFORMED, npg_rule_severity(NPG_RULE_MALFORMED), 0, m->name, NULL,
                     NPG_E_NOMEM, "%s: no memory for the %llu inflated bytes: not scanned",
                     npg_status_name(NPG_E_NOMEM), (unsigned long long)want);
        return;
    }
    s.cap = cap;
    int rc = npg_zip_read(z, i, fill, &s, &err);
    if (rc != NPG_OK && s.full)
        npg__aud_add(x, NPG_RULE_MALFORMED, npg_rule_severity(NPG_RULE_MALFORMED), s.n, m->name, NULL,
                     NPG_E_LIMIT_ALLOC, "%s: member inflates to more than limits.max_alloc (%llu bytes): "
                     "only the first %zu bytes were scanned", npg_status_name(NPG_E_LIMIT_ALLOC),
                     (unsigned long long)x->lim->max_alloc, s.n);
    else if (rc != NPG_OK)
        zip_error(x, &err, m->name);
    npg__aud_member(x, s.p, s.n, m->name, rc != NPG_OK ? " (inflated in part)" : NULL);
    npg__mem_free(&mem, s.p, cap ? cap : 1);
}

/* Bits 1-2 of a deflated member's flags, the level its writer claims (zip -9 sets "maximum"):
 * npg_zip_open accepts them, since zlib, zipfile and every other reader ignore them; the note
 * says the archive was (re)packed by a zip tool rather than written by np.savez. */
static void level_note(npg_aud *x, const npg_zip_member *m)
{
    static const char *const level[4] = {"normal", "maximum", "fast", "super fast"};
    if (m->level_hint == 0 || m->level_hint > 3) return;
    npg__aud_add(x, NPG_RULE_LEGACY_FORMAT, npg_rule_severity(NPG_RULE_LEGACY_FORMAT), 0, m->name, NULL, 0,
                 "deflate level hint \"%s\" in the general-purpose flags (bits 1-2, local header at offset %llu): "
                 "set by zip tools, not by NumPy; every reader ignores it",
                 level[m->level_hint], (unsigned long long)m->header_offset);
}

/* Would numpy.load unpickle the data of this deflated member? Asked of its first bytes (the
 * header and one byte more) before a large member is judged from its header alone: that path
 * only knows headers npguard's grammar accepts, and a header it refuses may still make NumPy
 * run the pickle behind it, which must then be scanned (npg__aud_npy does). */
static bool numpy_unpickles(npg_aud *x, const npg_zip *z, size_t i, const npg_zip_member *m)
{
    npg_mem mem;
    npg_error err;
    npg__mem_init(&mem, &x->ctx->alloc, x->lim->max_alloc);
    uint64_t want = 13 + (uint64_t)x->lim->max_header_len;
    size_t cap;
    sink s = {NULL, 0, 0, false};
    if (want > m->usize) want = m->usize;
    if (!npg__u64_to_sz(want, &cap) || cap == 0 || !(s.p = npg__mem_alloc(&mem, cap))) return false;
    s.cap = cap;
    npg_zip_read(z, i, fill, &s, &err); /* stops once the head is in; errors come again later */
    uint64_t off;
    bool yes = npg__npy_lenient_object(s.p, s.n, x->lim, &off);
    npg__mem_free(&mem, s.p, cap);
    return yes;
}

/* Deflated .npy members larger than this (or than limits.max_alloc) are judged from their header
 * and streamed once for the CRC instead of being held (audit_bignpy.c): only the header of a
 * non-object .npy can hold anything but numbers, so holding its data would let a small archive
 * of zeros (deflate reaches ~1030:1) cost a thousand times its size in memory. */
#define HOLD_AT_MOST ((uint64_t)1 << 20)

void npg__aud_zip(npg_aud *x, const uint8_t *buf, size_t len, const npg_lz_end *end)
{
    uint64_t hold = x->lim->max_alloc < HOLD_AT_MOST ? x->lim->max_alloc : HOLD_AT_MOST;
    npg_zip *z = NULL;
    npg_error err;
    if (npg_zip_open(x->ctx, buf, len, 0, &z, &err) != NPG_OK) {
        zip_error(x, &err, NULL);
        npg__lz_scan(x, buf, len, end);
        return;
    }
    for (size_t i = 0; i < npg_zip_count(z) && x->a->status == NPG_OK; i++) {
        const npg_zip_member *m = npg_zip_member_at(z, i);
        level_note(x, m);
        if (m->method == 0) stored_member(x, z, i, m);
        else if (m->usize > hold && !numpy_unpickles(x, z, i, m) && npg__aud_big_npy(x, z, i, m))
            npg__aud_classify(x, NPG_FMT_NPY, m->name, " (header scanned, data streamed)");
        else deflated_member(x, z, i, m);
    }
    npg_zip_free(z);
}
