/* Deflated .npy members that inflate to more than 1 MiB (or limits.max_alloc). Holding them
 * would cost memory (or be refused, as npg_npz_load_member refuses), and scanning does not need the data:
 * only the header can hold anything other than numbers. So the first bytes are inflated, the
 * header is parsed by the .npy module's own parser, its implied length is compared with the
 * member's size (which npg_zip_read enforces), and the whole member is then streamed once for
 * the CRC without being kept. Object arrays (their data is a pickle) and value checks need the
 * bytes: those members take the ordinary, bounded path. */
#include <string.h>

#include "../dtype/dtype.h"
#include "../npy/npy.h"
#include "audit.h"

typedef struct head {
    uint8_t *p;
    size_t n, cap;
} head;

static int keep_head(void *ud, const void *data, size_t len)
{
    head *h = ud;
    size_t k = len <= h->cap - h->n ? len : h->cap - h->n;
    memcpy(h->p + h->n, data, k);
    h->n += k;
    return h->n == h->cap; /* enough: stop the inflation */
}

static int discard(void *ud, const void *data, size_t len)
{
    (void)ud, (void)data, (void)len;
    return 0;
}

static void npy_error(npg_aud *x, const char *member, int code, uint64_t offset, const char *msg)
{
    npg__aud_add(x, NPG_RULE_MALFORMED, npg_rule_severity(NPG_RULE_MALFORMED), offset, member, NULL, code,
                 "%s: %s", npg_status_name(code), msg);
}

/* Header and length of the member whose first bytes are h; false when the data must be read
 * (object dtype). */
static bool judge_header(npg_aud *x, const head *h, uint64_t usize, const char *member)
{
    npg_mem mem;
    npg_arena arena;
    npg__mem_init(&mem, &x->ctx->alloc, x->lim->max_alloc);
    npg__arena_init(&arena, &mem);
    npg_npy_header hd;
    npg_npy_fail f;
    bool handled = true;
    int rc = npg__npy_preamble(h->p, h->n, x->flags, x->lim, &hd, &f);
    if (rc == NPG_OK && hd.data_offset > h->n) {
        npy_error(x, member, NPG_E_TRUNCATED, h->n, "member ends inside the .npy header");
    } else if (rc == NPG_OK && (rc = npg__npy_parse_header(&arena, x->lim, h->p, h->n, &hd, &f)) == NPG_OK) {
        if (hd.dtype->flags & NPG_DT_HAS_OBJECT) handled = false;
        else if (usize - hd.data_offset < hd.nbytes)
            npy_error(x, member, NPG_E_TRUNCATED, usize, "array data shorter than the header implies");
        else if (usize - hd.data_offset > hd.nbytes)
            npy_error(x, member, NPG_E_TRAILING, hd.data_offset + hd.nbytes, "bytes after the array data");
    }
    if (rc != NPG_OK) npy_error(x, member, rc, f.offset, f.diag.msg);
    npg__arena_release(&arena);
    return handled;
}

bool npg__aud_big_npy(npg_aud *x, const npg_zip *z, size_t i, const npg_zip_member *m)
{
    if (x->flags & NPG_NPY_CHECK_VALUES) return false;
    npg_mem mem;
    npg__mem_init(&mem, &x->ctx->alloc, x->lim->max_alloc);
    head h = {NULL, 0, 12 + x->lim->max_header_len};
    if (h.cap > m->usize) h.cap = (size_t)m->usize;
    if (h.cap < 6 || !(h.p = npg__mem_alloc(&mem, h.cap))) return false;
    npg_error err;
    bool handled = false;
    npg_zip_read(z, i, keep_head, &h, &err); /* stopped on purpose; real errors come again below */
    if (h.n == h.cap && npg__aud_is_npy(h.p, h.n) && judge_header(x, &h, m->usize, m->name)) {
        handled = true;
        if (npg_zip_read(z, i, discard, NULL, &err) != NPG_OK) /* the CRC and the sizes */
            npg__aud_add(x, NPG_RULE_MALFORMED, npg_rule_severity(NPG_RULE_MALFORMED), err.offset, m->name,
                         NULL, err.code, "%s: %s", npg_status_name(err.code), err.message);
    }
    npg__mem_free(&mem, h.p, h.cap);
    return handled;
}
