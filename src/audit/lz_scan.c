/* The lenient path for archives npg_zip_open refused: the members a central-directory reader
 * would list (CPython's zipfile, PyTorch's miniz: sizes and method from the directory), then a
 * forward walk of local headers from offset 0 as a streaming reader would do it (sizes from each
 * local header, resynchronising on the next "PK\3\4" after anything it cannot read). Each local
 * header is scanned once; one the directory does not name is a hidden member (NPG104) when there
 * is a directory to hide it from. Findings only add to the NPG100 the archive already has. */
#include <stdlib.h>
#include <string.h>

#include "../zip/zip.h"
#include "audit.h"

typedef struct lz_key {
    uint64_t lh;
    size_t i;
} lz_key;

typedef struct lz_dir {
    npg_lz_entry *e;
    size_t n, cap;
    lz_key *by_lh; /* (offset, index) sorted: entries that share a local header are adjacent */
} lz_dir;

static int cmp_key(const void *a, const void *b)
{
    const lz_key *x = a, *y = b;
    if (x->lh != y->lh) return x->lh < y->lh ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

static int index_dir(npg_mem *mem, lz_dir *d)
{
    if (d->n == 0) return NPG_OK;
    d->by_lh = npg__mem_alloc(mem, d->n * sizeof *d->by_lh);
    if (!d->by_lh) return mem->status != NPG_OK ? mem->status : NPG_E_NOMEM;
    for (size_t i = 0; i < d->n; i++) d->by_lh[i] = (lz_key){d->e[i].lh, i};
    qsort(d->by_lh, d->n, sizeof *d->by_lh, cmp_key);
    return NPG_OK;
}

/* The first directory entry (in sorted order) whose local header is at lh, or NULL. */
static npg_lz_entry *find(const lz_dir *d, uint64_t lh)
{
    size_t lo = 0, hi = d->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (d->by_lh[mid].lh < lh) lo = mid + 1;
        else hi = mid;
    }
    return lo < d->n && d->by_lh[lo].lh == lh ? &d->e[d->by_lh[lo].i] : NULL;
}

/* Directory members in directory order; several entries pointing at one local header (the
 * overlapping-entries zip bomb) are scanned once. */
static void scan_dir(npg_aud *x, const uint8_t *buf, size_t len, lz_dir *d)
{
    for (size_t i = 0; i < d->n && x->a->status == NPG_OK; i++) {
        npg_lz_entry *first = find(d, d->e[i].lh);
        if (first != &d->e[i] && first->done) {
            char name[256];
            npg__lz_name(name, sizeof name, d->e[i].name, d->e[i].name_len);
            npg__aud_add(x, NPG_RULE_MALFORMED, NPG_SEV_HIGH, d->e[i].lh, name, NULL, NPG_E_ZIP_LAYOUT,
                         "%s: shares its local header with another entry (scanned once)",
                         npg_status_name(NPG_E_ZIP_LAYOUT));
            continue;
        }
        d->e[i].end = npg__lz_member(x, buf, len, d->e[i].lh, &d->e[i], false);
        d->e[i].done = true;
    }
}

/* Next "PK\3\4" at or after pos, or len. */
static uint64_t next_local(const uint8_t *buf, size_t len, uint64_t pos)
{
    if (pos >= len) return len;
    const uint8_t *p = memmem(buf + pos, len - (size_t)pos, "PK\3\4", 4);
    return p ? (uint64_t)(p - buf) : len;
}

static void walk(npg_aud *x, const uint8_t *buf, size_t len, const lz_dir *d, bool have_dir)
{
    uint64_t pos = 0;
    size_t hidden = 0;
    while (x->a->status == NPG_OK && (pos = next_local(buf, len, pos)) < len) {
        const npg_lz_entry *known = d->n ? find(d, pos) : NULL;
        npg_lz_local l;
        uint64_t next = 0;
        if (known) {
            next = known->end;
        } else if (npg__lz_local(buf, len, pos, &l)) {
            if (++hidden > x->lim->max_zip_members) {
                npg__aud_add(x, NPG_RULE_MALFORMED, NPG_SEV_HIGH, pos, NULL, NULL, NPG_E_LIMIT_MEMBERS,
                             "%s: more than %zu local headers outside the central directory: not scanned",
                             npg_status_name(NPG_E_LIMIT_MEMBERS), x->lim->max_zip_members);
                return;
            }
            next = npg__lz_member(x, buf, len, pos, NULL, have_dir);
            /* sizes that run past the end were not a real header's: look again right after it */
            if (l.sizes_known && l.csize > len - l.data) next = 0;
        }
        pos = next > pos ? next : pos + 4;
    }
}

void npg__lz_scan(npg_aud *x, const uint8_t *buf, size_t len, const npg_lz_end *end)
{
    npg_mem mem;
    npg__mem_init(&mem, &x->ctx->alloc, x->lim->max_alloc);
    lz_dir d = {NULL, 0, 0, NULL};
    int rc = end ? npg__lz_read_cd(&mem, buf, len, end, x->lim->max_zip_members, &d.e, &d.n, &d.cap) : NPG_OK;
    if (rc == NPG_OK) rc = index_dir(&mem, &d);
    if (rc != NPG_OK) {
        npg__aud_add(x, NPG_RULE_MALFORMED, NPG_SEV_HIGH, 0, NULL, NULL, rc,
                     "%s: no memory to list the central directory", npg_status_name(rc));
        d.n = 0;
    }
    scan_dir(x, buf, len, &d);
    walk(x, buf, len, &d, end != NULL);
    if (d.by_lh) npg__mem_free(&mem, d.by_lh, d.n * sizeof *d.by_lh);
    if (d.e) npg__mem_free(&mem, d.e, d.cap * sizeof *d.e);
}
