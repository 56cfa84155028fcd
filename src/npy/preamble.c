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

/* Where the data may start: where some NumPy release put it, nowhere else. NumPy >= 1.14 pads
 * to 64 (so that any dtype can be mapped and read in place). NumPy 1.0-1.13 padded magic + 2 +
 * header to a multiple of 16, also in 2.0 files (1.9-1.13), whose length field is 4 bytes: their
 * data starts 2 bytes past a multiple of 16 (numpy#8085). 3.0 appeared in 1.17: 64 only. */
static int check_alignment(npg_npy_header *h, npg_npy_fail *f)
{
    if (h->data_offset % 64 == 0) return NPG_OK;
    if (h->major <= 2 && (10 + h->header_len) % 16 == 0) {
        npg__npy_legacy_mark(&h->legacy, h->major == 1 ? NPG_NPY_OLD_ALIGN16 : NPG_NPY_OLD_ALIGN16_V2, 8);
        return NPG_OK;
    }
    f->offset = 8;
    return npg__diag(&f->diag, NPG_E_NPY_ALIGNMENT, "data offset %llu is not a multiple of 64%s",
                     (unsigned long long)h->data_offset,
                     h->major <= 2 ? " (NumPy >= 1.14) nor where NumPy < 1.14 put it" : "");
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
    (void)flags; /* NPG_NPY_ALIGN16: what it opted into is the default now */
    return check_alignment(h, f);
}
