/* The header text of a .npy file, by a strict grammar of exactly what NumPy (>= 1.1.1) writes:
 *
 *   {'descr': DESCR, 'fortran_order': True|False, 'shape': SHAPE, }<spaces>\n
 *
 * keys single-quoted and in this (sorted) order, ', ' after every value including the last, at
 * least one space of padding, one '\n' as the last byte. NumPy's reader evaluates any Python
 * literal; anything it would read differently from this grammar (duplicate keys, comments,
 * hex ints...) is refused here instead. What NumPy itself wrote under Python 2 into 1.0/2.0
 * headers is accepted there and recorded as legacy (2L and '2 ' dimensions in parse.h's
 * npg__hp_shape, '|O8'/'|O4' and u'...' titles in descr.c). */
#include <string.h>

#include "../common/checked.h"
#include "../common/cursor.h"
#include "npy.h"
#include "parse.h"
#include "unicode.h"

/* Encoding and characters of the whole text [start, end) before any parsing: v3 is strict UTF-8,
 * v1/v2 latin-1 (any byte decodes); no control character (C0, DEL, C1) anywhere, '\n' only as
 * the last byte. */
static int check_text(npg_hp *hp, size_t start, size_t end)
{
    npg_cur c = hp->cur;
    c.pos = start;
    c.end = end;
    while (npg__cur_left(&c) > 0) {
        size_t at = c.pos;
        uint32_t cp = c.p[c.pos];
        if (hp->utf8 && cp >= 0x80) {
            size_t k = npg__npy_utf8_decode(c.p + c.pos, npg__cur_left(&c), &cp);
            if (k == 0) return npg__hp_fail(hp, NPG_E_NPY_ENCODING, at, "header is not valid UTF-8");
            c.pos += k;
        } else {
            c.pos++;
        }
        if (cp == '\n' && c.pos == end) break;
        if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F))
            return npg__hp_fail(hp, NPG_E_NPY_ENCODING, at, "control character 0x%02lX in the header",
                                (unsigned long)cp);
    }
    if (end == start || c.p[end - 1] != '\n')
        return npg__hp_fail(hp, NPG_E_NPY_SYNTAX, end ? end - 1 : 0, "header does not end with '\\n'");
    return NPG_OK;
}

/* 'key': with the key checked against the one expected at this position. */
static int key(npg_hp *hp, const char *want)
{
    size_t at = hp->cur.pos, n;
    const char *got;
    uint8_t q, b;
    char esc[48];
    int rc;
    if (npg__hp_peek(hp, &b) && b == '}')
        return npg__hp_fail(hp, NPG_E_NPY_KEYS, at, "key '%s' is missing", want);
    if ((rc = npg__hp_str(hp, NPG_E_NPY_SYNTAX, &got, &n, &q))) return rc;
    if (n != strlen(want) || memcmp(got, want, n) != 0) {
        npg__escape(esc, sizeof esc, got, n);
        return npg__hp_fail(hp, NPG_E_NPY_KEYS, at,
                            "found key '%s' where '%s' belongs (keys: descr, fortran_order, shape, in order)",
                            esc, want);
    }
    if (q != '\'') return npg__hp_fail(hp, NPG_E_NPY_SYNTAX, at, "key '%s' is not single-quoted", want);
    return npg__hp_expect(hp, ": ", NPG_E_NPY_SYNTAX, "': ' after a key");
}

static int fortran_order(npg_hp *hp, bool *out)
{
    size_t at = hp->cur.pos;
    uint8_t b;
    if (npg__hp_accept(hp, "True")) *out = true;
    else if (npg__hp_accept(hp, "False")) *out = false;
    else return npg__hp_fail(hp, NPG_E_NPY_FORTRAN, at, "fortran_order is not True or False");
    if (npg__hp_peek(hp, &b) && b != ',')
        return npg__hp_fail(hp, NPG_E_NPY_FORTRAN, at, "fortran_order is not True or False");
    return NPG_OK;
}

static int value_end(npg_hp *hp)
{
    return npg__hp_expect(hp, ", ", NPG_E_NPY_SYNTAX, "', ' after a value");
}

/* '}' then at least one space up to the final '\n' (cur.end), at most hp->max_pad of them:
 * NumPy < 1.14 padded with 1 to 16 spaces, so a 16-byte aligned header with more padding was
 * written by no NumPy (any count is NumPy >= 1.14's: it leaves room for the shape to grow). */
static int dict_end(npg_hp *hp)
{
    uint8_t b;
    size_t at = hp->cur.pos;
    if (npg__hp_peek(hp, &b) && (b == '\'' || b == '"'))
        return npg__hp_fail(hp, NPG_E_NPY_KEYS, at, "key after 'shape' (only descr, fortran_order, shape)");
    int rc = npg__hp_expect(hp, "}", NPG_E_NPY_SYNTAX, "'}' after the shape");
    if (rc) return rc;
    if (npg__cur_left(&hp->cur) == 0)
        return npg__hp_fail(hp, NPG_E_NPY_SYNTAX, hp->cur.pos, "no space between '}' and '\\n'");
    size_t pad = npg__cur_left(&hp->cur);
    while (npg__hp_peek(hp, &b)) {
        if (b != ' ') return npg__hp_fail(hp, NPG_E_NPY_SYNTAX, hp->cur.pos, "header padding is not spaces");
        hp->cur.pos++;
    }
    if (pad > hp->max_pad)
        return npg__hp_fail(hp, NPG_E_NPY_ALIGNMENT, 8,
                            "data aligned to 16 bytes but %zu spaces of padding (NumPy < 1.14 wrote 1 to %zu)",
                            pad, hp->max_pad);
    return NPG_OK;
}

static int dict(npg_hp *hp, npg_npy_header *h, uint64_t *dims, size_t *shape_at)
{
    int rc;
    if ((rc = npg__hp_expect(hp, "{", NPG_E_NPY_SYNTAX, "'{' opening the header"))) return rc;
    if ((rc = key(hp, "descr")) || (rc = npg__hp_descr(hp, &h->dtype)) || (rc = value_end(hp))) return rc;
    if ((rc = key(hp, "fortran_order")) || (rc = fortran_order(hp, &h->fortran)) || (rc = value_end(hp)))
        return rc;
    if ((rc = key(hp, "shape"))) return rc;
    *shape_at = hp->cur.pos;
    if ((rc = npg__hp_shape(hp, NPG_E_NPY_SHAPE, dims, &h->ndim)) || (rc = value_end(hp))) return rc;
    return dict_end(hp);
}

/* Element and byte counts, overflow-checked; an element count above max_array_bytes is refused
 * as well, so that zero-size items cannot declare 10^18 elements for a consumer to walk. */
static int sizes(npg_hp *hp, npg_npy_header *h, size_t at)
{
    uint64_t size = 1, nbytes, max = hp->lim->max_array_bytes;
    for (size_t i = 0; i < h->ndim; i++) {
        if (!npg__mul_u64(size, h->shape[i], &size))
            return npg__hp_fail(hp, NPG_E_LIMIT_ARRAY, at, "element count overflows 64 bits");
    }
    if (!npg__mul_u64(size, h->dtype->itemsize, &nbytes))
        return npg__hp_fail(hp, NPG_E_LIMIT_ARRAY, at, "array size overflows 64 bits");
    if (size > max || (nbytes > max && !(h->dtype->flags & NPG_DT_HAS_OBJECT)))
        return npg__hp_fail(hp, NPG_E_LIMIT_ARRAY, at, "array of %llu elements, %llu bytes (limits.max_array_bytes is %llu)",
                            (unsigned long long)size, (unsigned long long)nbytes, (unsigned long long)max);
    h->size = size;
    h->nbytes = nbytes;
    return NPG_OK;
}

int npg__npy_parse_header(npg_arena *arena, const npg_limits *lim, const uint8_t *buf, size_t len,
                          npg_npy_header *h, npg_npy_fail *f)
{
    npg_hp hp;
    uint64_t dims[NPG_MAX_NDIM];
    size_t shape_at = 0, end;
    int rc;
    if (!npg__u64_to_sz(h->data_offset, &end) || end > len || h->prefix_len >= end) {
        f->offset = len;
        return npg__diag(&f->diag, NPG_E_INTERNAL, "header parser called without the whole header");
    }
    memset(&hp, 0, sizeof hp);
    npg__cur_init(&hp.cur, buf, end);
    hp.utf8 = h->major == 3;
    hp.arena = arena;
    hp.lim = lim;
    hp.d = &f->diag;
    hp.max_depth = lim->max_depth < NPG_DTYPE_MAX_DEPTH ? lim->max_depth : NPG_DTYPE_MAX_DEPTH;
    hp.py2 = h->major <= 2; /* 3.0 (NumPy >= 1.17) never came from Python 2, and is not filtered */
    hp.max_pad = (h->legacy.seen & ((1u << NPG_NPY_OLD_ALIGN16) | (1u << NPG_NPY_OLD_ALIGN16_V2))) ? 16 : SIZE_MAX;
    hp.legacy = &h->legacy;
    rc = check_text(&hp, h->prefix_len, end);
    if (rc == NPG_OK) {
        hp.cur.pos = h->prefix_len;
        hp.cur.end = end - 1; /* the final '\n' */
        rc = dict(&hp, h, dims, &shape_at);
    }
    if (rc == NPG_OK) {
        h->shape = npg__arena_alloc(arena, (h->ndim ? h->ndim : 1) * sizeof *h->shape);
        if (!h->shape) rc = npg__hp_fail_alloc(&hp);
        else memcpy(h->shape, dims, h->ndim * sizeof *h->shape);
    }
    if (rc == NPG_OK) rc = sizes(&hp, h, shape_at);
    f->offset = hp.err_off;
    return rc;
}
