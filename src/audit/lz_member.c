/* One member on the lenient path: locate its data through its local header, take sizes and
 * method from the central directory (as CD readers do) or from the local header (as streaming
 * readers do), get the bytes (lz_data.c) and scan them by content. Everything odd on the way is
 * an NPG100; a member the directory does not list is NPG104. */
#include <string.h>

#include "../zip/zip.h"
#include "audit.h"

/* A stored member with a data descriptor does not say how long it is: up to the next record
 * signature (local header, directory, descriptor, end records), as a streaming reader guesses. */
static uint64_t stored_extent(const uint8_t *buf, size_t len, uint64_t from)
{
    uint64_t pos = from;
    while (pos + 4 <= len) {
        const uint8_t *p = memmem(buf + pos, len - (size_t)pos, "PK", 2);
        if (!p || (size_t)(p - buf) + 4 > len) break;
        uint32_t s = npg__zip_u32(p);
        if (s == NPG_ZIP_SIG_LOCAL || s == NPG_ZIP_SIG_CENTRAL || s == NPG_ZIP_SIG_DESC || s == NPG_ZIP_SIG_EOCD ||
            s == NPG_ZIP_SIG_EOCD64)
            return (uint64_t)(p - buf) - from;
        pos = (uint64_t)(p - buf) + 1;
    }
    return len - from;
}

static bool zip_level(int status)
{
    return (status >= NPG_E_ZIP_EOCD && status <= NPG_E_ZIP_CRC) || status == NPG_E_LIMIT_MEMBERS ||
           status == NPG_E_LIMIT_RATIO || status == NPG_E_LIMIT_UNCOMPRESSED;
}

typedef struct where {
    uint32_t method;
    bool known;      /* compressed size known */
    uint64_t csize;  /* when known */
    uint64_t in_len; /* bytes handed to the reader */
} where;

static void locate(const uint8_t *buf, size_t len, const npg_lz_local *l, const npg_lz_entry *e, where *w)
{
    uint64_t avail = len - l->data;
    w->method = e ? e->method : l->method;
    w->known = e ? true : l->sizes_known;
    w->csize = e ? e->csize : l->csize;
    if (w->known) w->in_len = w->csize < avail ? w->csize : avail;
    else w->in_len = w->method == 8 ? avail : stored_extent(buf, len, l->data);
}

static uint64_t budget_left(const npg_aud *x)
{
    return x->lim->max_uncompressed > x->member_bytes ? x->lim->max_uncompressed - x->member_bytes : 0;
}

static uint64_t inflation_cap(const npg_aud *x)
{
    uint64_t left = budget_left(x);
    return left < x->lim->max_alloc ? left : x->lim->max_alloc;
}

/* Stored bytes count against the same budget as inflated ones: directory entries may overlap
 * (the "quoted overlap" bomb), so the sum of their sizes is not bounded by the file's size. */
static void cap_stored(npg_aud *x, npg_lz_data *d, uint64_t data_off, const char *name)
{
    uint64_t left = budget_left(x);
    if (d->owned || d->n <= left) return;
    /* a zip-level status: the offset is in the archive, where scanning stopped */
    npg__aud_add(x, NPG_RULE_MALFORMED, npg_rule_severity(NPG_RULE_MALFORMED), data_off + left, name, NULL,
                 NPG_E_LIMIT_UNCOMPRESSED, "%s: members read past validation add up to more than "
                 "limits.max_uncompressed: only the first %llu bytes of this one were scanned",
                 npg_status_name(NPG_E_LIMIT_UNCOMPRESSED), (unsigned long long)left);
    d->n = (size_t)left;
}

/* Members that do not overlap read at most the whole file between them. More means entries
 * share bytes (Fifield's quoted-overlap bomb: each entry's data contains the next entries), and
 * reading on would inflate the same bytes once per entry, quadratic in the file's size. The
 * first such member is reported and it and every later one are skipped. */
static bool overlaps_read_bytes(npg_aud *x, size_t len, uint64_t lh, const where *w, const char *name)
{
    if (!x->overlap_stopped && x->member_in <= len && w->in_len <= len - x->member_in) return false;
    if (!x->overlap_stopped)
        npg__aud_add(x, NPG_RULE_MALFORMED, npg_rule_severity(NPG_RULE_MALFORMED), lh, name, NULL,
                     NPG_E_ZIP_LAYOUT, "%s: members overlap (possible zip bomb): with this one they would "
                     "read %llu bytes of a %zu-byte file; this member and later ones were not scanned",
                     npg_status_name(NPG_E_ZIP_LAYOUT), (unsigned long long)(x->member_in + w->in_len), len);
    x->overlap_stopped = true;
    return true;
}

static void report_oddities(npg_aud *x, uint64_t lh, const npg_lz_local *l, const where *w, size_t len,
                            const char *name, bool hidden)
{
    const npg_severity high = npg_rule_severity(NPG_RULE_MALFORMED);
    if (hidden)
        npg__aud_add(x, NPG_RULE_HIDDEN_MEMBER, npg_rule_severity(NPG_RULE_HIDDEN_MEMBER), lh, name, NULL, 0,
                     "local header at offset %llu is not in the central directory: only a reader that walks "
                     "local headers sees this member", (unsigned long long)lh);
    if (w->known && w->csize > len - l->data) /* offset: where the member's bytes are cut */
        npg__aud_add(x, NPG_RULE_MALFORMED, high, len - l->data, name, NULL, NPG_E_TRUNCATED,
                     "%s: member data (%llu bytes declared) runs past the end of the file",
                     npg_status_name(NPG_E_TRUNCATED), (unsigned long long)w->csize);
}

uint64_t npg__lz_member(npg_aud *x, const uint8_t *buf, size_t len, uint64_t lh, const npg_lz_entry *e,
                        bool hidden)
{
    npg_lz_local l;
    char name[256] = "";
    if (e) npg__lz_name(name, sizeof name, e->name, e->name_len);
    if (!npg__lz_local(buf, len, lh, &l)) {
        if (e)
            npg__aud_add(x, NPG_RULE_MALFORMED, npg_rule_severity(NPG_RULE_MALFORMED), lh, name, NULL,
                         NPG_E_ZIP_LOCAL, "%s: no local header at offset %llu, where the central directory "
                         "says: not scanned", npg_status_name(NPG_E_ZIP_LOCAL), (unsigned long long)lh);
        return 0;
    }
    if (!e) npg__lz_name(name, sizeof name, l.name, l.name_len);
    where w;
    locate(buf, len, &l, e, &w);
    report_oddities(x, lh, &l, &w, len, name, hidden);
    if (overlaps_read_bytes(x, len, lh, &w, name)) return l.data + (w.known ? w.in_len : 0);

    npg_mem mem;
    npg__mem_init(&mem, &x->ctx->alloc, x->lim->max_alloc);
    npg_lz_data d;
    npg__lz_data(&mem, buf + l.data, w.in_len, w.method, inflation_cap(x), x->lim->max_ratio, &d);
    cap_stored(x, &d, l.data, name);
    x->member_bytes += d.n;
    if (d.status != NPG_OK) /* zip statuses: where the stream stopped in the archive; others: in the member */
        npg__aud_add(x, NPG_RULE_MALFORMED, npg_rule_severity(NPG_RULE_MALFORMED),
                     zip_level(d.status) ? l.data + d.consumed : d.n, name, NULL, d.status,
                     "%s: %s (the first %zu inflated bytes were scanned)", npg_status_name(d.status), d.msg, d.n);
    npg__aud_member(x, d.p, d.n, name, hidden ? " (not in the central directory)" : NULL);
    x->member_in += w.known ? w.in_len : d.consumed;
    uint64_t end = l.data + (w.known ? w.in_len : d.consumed);
    npg__lz_data_free(&mem, &d);
    return end;
}
