/* The fixed part of a .npy file: magic, version and header length. All of it is checked from
 * the first 12 bytes, before anything is read or allocated from the declared length (NumPy
 * itself first tries to read HEADER_LEN bytes, so a 12-byte file can make it allocate 4 GiB). */
#include <string.h>

#include "../common/cursor.h"
#include "npy.h"

static const uint8_t magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};

static int fail(npg_npy_fail *f, int code, uint64_t off, const char *msg)
{
    f->offset = off;
    return npg__diag(&f->diag, code, "%s", msg);
}

static int check_magic(npg_cur *c, npg_npy_fail *f)
{
    for (size_t i = 0; i < sizeof magic; i++) {
        uint8_t b;
        if (!npg__cur_u8(c, &b)) return fail(f, NPG_E_TRUNCATED, c->pos, "input ends inside the .npy magic");
        if (b != magic[i]) return fail(f, NPG_E_NPY_MAGIC, i, "not a .npy file (magic is \\x93NUMPY)");
    }
    return NPG_OK;
}

static int check_version(npg_cur *c, npg_npy_header *h, npg_npy_fail *f)
{
    uint8_t major, minor;
    if (!npg__cur_u8(c, &major)) return fail(f, NPG_E_TRUNCATED, c->pos, "input ends before the version");
    if (major < 1 || major > 3)
        return fail(f, NPG_E_NPY_VERSION, 6, "format version is not 1.0, 2.0 or 3.0");
    if (!npg__cur_u8(c, &minor)) return fail(f, NPG_E_TRUNCATED, c->pos, "input ends before the version");
    if (minor != 0) return fail(f, NPG_E_NPY_VERSION, 7, "format version is not 1.0, 2.0 or 3.0");
    h->major = major;
    h->minor = minor;
    return NPG_OK;
}

int npg__npy_preamble(const uint8_t *buf, size_t avail, unsigned flags, const npg_limits *lim,
                      npg_npy_header *h, npg_npy_fail *f)
{
    npg_cur c;
    uint64_t hlen;
    int rc;
    memset(h, 0, sizeof *h);
    npg__cur_init(&c, buf ? buf : (const uint8_t *)"", buf ? avail : 0);
    if ((rc = check_magic(&c, f)) || (rc = check_version(&c, h, f))) return rc;
    /* HEADER_LEN is a little-endian u16 in 1.0, u32 in 2.0 and 3.0 */
    unsigned width = h->major == 1 ? 2 : 4;
    if (!npg__cur_le(&c, width, &hlen)) return fail(f, NPG_E_TRUNCATED, avail, "input ends inside the header length");
    h->prefix_len = 8 + width;
    h->header_len = hlen;
    h->data_offset = h->prefix_len + hlen;
    if (hlen > lim->max_header_len) {
        f->offset = 8;
        return npg__diag(&f->diag, NPG_E_LIMIT_HEADER, "header of %llu bytes (limits.max_header_len is %zu)",
                         (unsigned long long)hlen, lim->max_header_len);
    }
    /* NumPy >= 1.14 pads to 64 so that the data can be mapped and read in place with any
     * alignment; older NumPy, libnpy and xtensor pad to 16 (opt-in) */
    unsigned align = (flags & NPG_NPY_ALIGN16) ? 16 : 64;
    if (h->data_offset % align != 0) {
        f->offset = 8;
        return npg__diag(&f->diag, NPG_E_NPY_ALIGNMENT, "data offset %llu is not a multiple of %u",
                         (unsigned long long)h->data_offset, align);
    }
    return NPG_OK;
}
