/*
 * npgdump: decode a pickle with npguard and print a canonical, line-based dump of the result.
 *
 * Test tool for the oracle and reference-vector tests (tests/gen/). It uses only the public API
 * in npguard.h. The canonical format is described in tests/gen/README.md; tests/gen/canon.py
 * produces the same text from Python objects. In short, one node per line, indented by two
 * spaces per level:
 *
 *   None | bool 0|1 | int <signed hex> | float <ieee bits> | complex <bits> <bits>
 *   str "<utf-8, escaped>" | bytes "<escaped>" | bytearray #N "<escaped>"
 *   tuple n=K | list #N n=K | dict #N n=K | odict #N n=K | set #N n=K | frozenset n=K
 *   array #N class=<c> dtype=<dtype> shape=[d,...]   then "data <hex>" or the elements
 *   dtype <dtype> | scalar dtype=<dtype> data=<hex> | masked | opaque "<name>" | ref #N
 *
 * Array and scalar bytes are printed little-endian in C order whatever the pickle held; set and
 * frozenset items are sorted by their dump; #N numbers lists, dicts, sets, bytearrays and arrays
 * in order of first visit, and a later visit prints "ref #N" (this also ends cycles).
 *
 * Usage:
 *   npgdump [options] FILE [BUFFER...]    one pickle (BUFFERs: protocol-5 out-of-band buffers)
 *   npgdump [options] --list LISTFILE     many: each line is FILE[<TAB>BUFFER...]; each result is
 *                                         framed by "#FILE <path>" and "#END" lines
 * FILE and BUFFER may also be PATH@OFFSET+LENGTH, a byte range of a bigger file.
 * Options:
 *   --scan            NPG_SCAN: print STATUS, FINDING lines and the (partial) tree
 *   --py2-bytes       NPG_PY2_BYTES
 *   --allow-trailing  NPG_ALLOW_TRAILING (prints "END <offset>")
 *   --readonly        mark the out-of-band buffers read-only
 *
 * Decode mode prints the dump, or "ERROR <status name> offset=<n>" and a "MESSAGE" line.
 * Exit status: 0 when every file was processed (whatever the verdicts), 2 on usage or I/O error.
 */
#include <npguard.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 1000000u         /* nesting of the dump itself */
#define MAX_OUT ((size_t)1 << 30)  /* guard against exponential dumps of shared tuples */
#define MAX_PLAN ((size_t)1 << 22) /* byte-swap plan entries for one dtype */

/* ------------------------------------------------------------------ small utilities */

static void die(const char *what)
{
    fprintf(stderr, "npgdump: %s\n", what);
    exit(2);
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        die("out of memory");
    return p;
}

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        die("out of memory");
    return q;
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        die("out of memory");
    return p;
}

/* Growable text buffer. */
typedef struct sbuf {
    char *p;
    size_t n, cap;
} sbuf;

static void sb_reserve(sbuf *b, size_t add)
{
    size_t need, cap;
    if (add > MAX_OUT || b->n > MAX_OUT - add)
        die("dump too large");
    need = b->n + add;
    if (need <= b->cap)
        return;
    cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    b->p = xrealloc(b->p, cap);
    b->cap = cap;
}

static void sb_put(sbuf *b, const void *s, size_t n)
{
    if (n == 0)
        return;
    sb_reserve(b, n);
    memcpy(b->p + b->n, s, n);
    b->n += n;
}

static void sb_puts(sbuf *b, const char *s)
{
    sb_put(b, s, strlen(s));
}

static void sb_putc(sbuf *b, char c)
{
    sb_reserve(b, 1);
    b->p[b->n++] = c;
}

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    int n;
    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        die("vsnprintf failed");
    if ((size_t)n < sizeof tmp) {
        sb_put(b, tmp, (size_t)n);
        return;
    }
    sb_reserve(b, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(b->p + b->n, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)n;
}

static void sb_indent(sbuf *b, size_t depth)
{
    size_t i;
    sb_reserve(b, 2 * depth);
    for (i = 0; i < 2 * depth; i++)
        b->p[b->n++] = ' ';
}

static const char HEX[] = "0123456789abcdef";

static void sb_hex(sbuf *b, const uint8_t *p, uint64_t n)
{
    uint64_t i;
    if (n > MAX_OUT / 2)
        die("dump too large");
    sb_reserve(b, (size_t)n * 2);
    for (i = 0; i < n; i++) {
        b->p[b->n++] = HEX[p[i] >> 4];
        b->p[b->n++] = HEX[p[i] & 15];
    }
}

/* "..." with printable ASCII kept (except " and \) and every other byte as \xNN. */
static void sb_escaped(sbuf *b, const uint8_t *p, size_t n)
{
    size_t i;
    sb_putc(b, '"');
    for (i = 0; i < n; i++) {
        uint8_t c = p[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            sb_putc(b, (char)c);
        } else {
            char e[4] = {'\\', 'x', HEX[c >> 4], HEX[c & 15]};
            sb_put(b, e, 4);
        }
    }
    sb_putc(b, '"');
}

static void sb_escaped_cstr(sbuf *b, const char *s)
{
    sb_escaped(b, (const uint8_t *)s, strlen(s));
}

/* ------------------------------------------------------------------ identity map */

typedef struct idmap {
    const void **keys;
    uint32_t *vals;
    size_t cap, n;
} idmap;

static size_t ptr_hash(const void *p, size_t cap)
{
    uint64_t h = (uint64_t)(uintptr_t)p;
    h ^= h >> 29;
    h *= UINT64_C(0x9E3779B97F4A7C15);
    h ^= h >> 32;
    return (size_t)h & (cap - 1);
}

static uint32_t idmap_get(const idmap *m, const void *key)
{
    size_t i;
    if (m->cap == 0)
        return 0;
    for (i = ptr_hash(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
        if (m->keys[i] == NULL)
            return 0;
        if (m->keys[i] == key)
            return m->vals[i];
    }
}

static void idmap_put(idmap *m, const void *key, uint32_t val)
{
    size_t i;
    if (2 * (m->n + 1) > m->cap) {
        idmap old = *m;
        size_t j;
        m->cap = old.cap ? old.cap * 2 : 64;
        m->keys = xcalloc(m->cap, sizeof *m->keys);
        m->vals = xcalloc(m->cap, sizeof *m->vals);
        m->n = 0;
        for (j = 0; j < old.cap; j++)
            if (old.keys[j])
                idmap_put(m, old.keys[j], old.vals[j]);
        free(old.keys);
        free(old.vals);
    }
    for (i = ptr_hash(key, m->cap); m->keys[i] != NULL; i = (i + 1) & (m->cap - 1))
        ;
    m->keys[i] = key;
    m->vals[i] = val;
    m->n++;
}

static void idmap_free(idmap *m)
{
    free(m->keys);
    free(m->vals);
    memset(m, 0, sizeof *m);
}

/* ------------------------------------------------------------------ dtypes */

static int dtype_is_struct(const npg_dtype *d)
{
    return npg_dtype_nfields(d) > 0;
}

static int dtype_is_sub(const npg_dtype *d)
{
    size_t nd;
    const uint64_t *sh;
    return npg_dtype_subarray(d, &nd, &sh) != NULL;
}

/* Leaf byte-swap geometry: unit size and units per item; 0 when the kind never swaps. */
static size_t leaf_swap_unit(const npg_dtype *d, uint64_t *count)
{
    size_t isz = npg_dtype_itemsize(d);
    *count = 1;
    switch (npg_dtype_kind(d)) {
    case 'i': case 'u': case 'f': case 'M': case 'm':
        return isz;
    case 'c':
        *count = 2;
        return isz / 2;
    case 'U':
        *count = isz / 4;
        return 4;
    default:
        return 0;
    }
}

/*
 * Canonical structural text of a dtype, byte order left out (the data is normalised instead):
 *   leaf     <kind><itemsize>@<alignment>          e.g. f8@8, U20@4, M8[m*15]@8
 *   subarray sub[<itemsize>@<alignment>](<base>;<d1>,<d2>...)
 *   struct   struct[<itemsize>@<alignment>,aligned=<0|1>,record=<0|1>]{<field>,...}
 *   field    "<name>"[/"<title>"]+<offset>:<dtype>
 * Iterative (explicit stack) like the value dump.
 */
typedef struct dt_frame {
    const npg_dtype *d;
    size_t next; /* next field to print (struct) */
} dt_frame;

static void dtype_leaf_text(sbuf *b, const npg_dtype *d)
{
    char kind = npg_dtype_kind(d);
    sb_printf(b, "%c%zu", kind, npg_dtype_itemsize(d));
    if (kind == 'M' || kind == 'm') {
        uint32_t mult = 0;
        const char *unit = npg_dtype_datetime_unit(d, &mult);
        sb_printf(b, "[%s*%" PRIu32 "]", unit ? unit : "?", mult);
    }
    sb_printf(b, "@%zu", npg_dtype_alignment(d));
}

static void dtype_text(sbuf *b, const npg_dtype *root)
{
    dt_frame *st;
    size_t sp = 0, cap = 16;
    if (root == NULL) {
        sb_puts(b, "NULL");
        return;
    }
    st = xmalloc(cap * sizeof *st);
    st[sp].d = root;
    st[sp].next = (size_t)-1; /* header not yet printed */
    sp++;
    while (sp > 0) {
        dt_frame *f = &st[sp - 1];
        const npg_dtype *d = f->d;
        const npg_dtype *child = NULL;
        if (f->next == (size_t)-1) {
            size_t nd;
            const uint64_t *sh;
            const npg_dtype *base = npg_dtype_subarray(d, &nd, &sh);
            if (dtype_is_struct(d)) {
                sb_printf(b, "struct[%zu@%zu,aligned=%d,record=%d]{", npg_dtype_itemsize(d),
                          npg_dtype_alignment(d), npg_dtype_is_aligned_struct(d) ? 1 : 0,
                          npg_dtype_is_record(d) ? 1 : 0);
                f->next = 0;
            } else if (base != NULL) {
                sb_printf(b, "sub[%zu@%zu](", npg_dtype_itemsize(d), npg_dtype_alignment(d));
                f->next = 0;
                child = base;
            } else {
                dtype_leaf_text(b, d);
                sp--;
                continue;
            }
        } else if (dtype_is_struct(d)) {
            size_t nf = npg_dtype_nfields(d);
            if (f->next >= nf) {
                sb_putc(b, '}');
                sp--;
                continue;
            } else {
                const char *name = NULL, *title = NULL;
                uint64_t off = 0;
                child = npg_dtype_field(d, f->next, &name, &title, &off);
                if (f->next > 0)
                    sb_putc(b, ',');
                sb_escaped_cstr(b, name ? name : "");
                if (title) {
                    sb_putc(b, '/');
                    sb_escaped_cstr(b, title);
                }
                sb_printf(b, "+%" PRIu64 ":", off);
                f->next++;
                if (child == NULL) {
                    sb_puts(b, "NULL");
                    continue;
                }
            }
        } else {
            /* subarray: base printed, now the shape */
            size_t nd, i;
            const uint64_t *sh;
            npg_dtype_subarray(d, &nd, &sh);
            sb_putc(b, ';');
            for (i = 0; i < nd; i++)
                sb_printf(b, "%s%" PRIu64, i ? "," : "", sh[i]);
            sb_putc(b, ')');
            sp--;
            continue;
        }
        if (child != NULL) {
            if (sp == cap) {
                cap *= 2;
                st = xrealloc(st, cap * sizeof *st);
            }
            st[sp].d = child;
            st[sp].next = (size_t)-1;
            sp++;
        }
    }
    free(st);
}

/* Byte-swap plan: runs of `count` units of `unit` bytes at `off` inside one item that are
 * big-endian and must be reversed unit by unit to become little-endian. */
typedef struct swap_run {
    uint64_t off;
    uint64_t count;
    size_t unit;
} swap_run;

typedef struct swap_plan {
    swap_run *runs;
    size_t n, cap;
} swap_plan;

static void plan_add(swap_plan *pl, uint64_t off, size_t unit, uint64_t count)
{
    if (pl->n == pl->cap) {
        if (pl->n >= MAX_PLAN)
            die("dtype too complex for the swap plan");
        pl->cap = pl->cap ? pl->cap * 2 : 8;
        pl->runs = xrealloc(pl->runs, pl->cap * sizeof *pl->runs);
    }
    pl->runs[pl->n].off = off;
    pl->runs[pl->n].unit = unit;
    pl->runs[pl->n].count = count;
    pl->n++;
}

typedef struct plan_frame {
    const npg_dtype *d;
    uint64_t off;
    uint64_t next; /* next field / subarray element */
} plan_frame;

static void plan_build(swap_plan *pl, const npg_dtype *root)
{
    plan_frame *st;
    size_t sp = 0, cap = 16;
    pl->n = 0;
    if (root == NULL)
        return;
    st = xmalloc(cap * sizeof *st);
    st[sp].d = root;
    st[sp].off = 0;
    st[sp].next = 0;
    sp++;
    while (sp > 0) {
        plan_frame *f = &st[sp - 1];
        const npg_dtype *d = f->d, *child = NULL;
        uint64_t child_off = 0;
        size_t nd;
        const uint64_t *sh;
        const npg_dtype *base = npg_dtype_subarray(d, &nd, &sh);
        if (dtype_is_struct(d)) {
            if (f->next >= npg_dtype_nfields(d)) {
                sp--;
                continue;
            }
            child = npg_dtype_field(d, (size_t)f->next, NULL, NULL, &child_off);
            child_off += f->off;
            f->next++;
        } else if (base != NULL) {
            uint64_t nelem = 1;
            size_t i;
            for (i = 0; i < nd; i++)
                nelem *= sh[i];
            if (!dtype_is_struct(base) && !dtype_is_sub(base)) {
                uint64_t cnt;
                size_t unit = leaf_swap_unit(base, &cnt);
                if (unit > 1 && npg_dtype_byteorder(base) == '>')
                    plan_add(pl, f->off, unit, cnt * nelem);
                sp--;
                continue;
            }
            if (f->next >= nelem) {
                sp--;
                continue;
            }
            child = base;
            child_off = f->off + f->next * npg_dtype_itemsize(base);
            f->next++;
        } else {
            uint64_t cnt;
            size_t unit = leaf_swap_unit(d, &cnt);
            if (unit > 1 && npg_dtype_byteorder(d) == '>')
                plan_add(pl, f->off, unit, cnt);
            sp--;
            continue;
        }
        if (child == NULL)
            continue;
        if (sp == cap) {
            cap *= 2;
            st = xrealloc(st, cap * sizeof *st);
        }
        st[sp].d = child;
        st[sp].off = child_off;
        st[sp].next = 0;
        sp++;
    }
    free(st);
}

static void plan_apply(const swap_plan *pl, uint8_t *data, size_t itemsize, uint64_t nitems)
{
    uint64_t k, c;
    size_t r, i;
    for (k = 0; k < nitems; k++) {
        uint8_t *item = data + k * itemsize;
        for (r = 0; r < pl->n; r++) {
            const swap_run *run = &pl->runs[r];
            for (c = 0; c < run->count; c++) {
                uint8_t *u = item + run->off + c * run->unit;
                if (run->off + (c + 1) * run->unit > itemsize)
                    break; /* inconsistent dtype: leave the rest */
                for (i = 0; i < run->unit / 2; i++) {
                    uint8_t t = u[i];
                    u[i] = u[run->unit - 1 - i];
                    u[run->unit - 1 - i] = t;
                }
            }
        }
    }
}

/* Copy `data` (nitems items of `unit` bytes, Fortran order when `fortran`) into C order. */
static uint8_t *to_c_order(const uint8_t *data, size_t unit, size_t ndim, const uint64_t *shape,
                           uint64_t nitems, int fortran)
{
    uint8_t *out = xmalloc((size_t)(nitems * unit));
    if (nitems == 0)
        return out;
    if (!fortran || ndim < 2 || ndim > NPG_MAX_NDIM) {
        memcpy(out, data, (size_t)(nitems * unit));
    } else {
        uint64_t fstride[NPG_MAX_NDIM], idx[NPG_MAX_NDIM] = {0};
        uint64_t k, src = 0;
        size_t i;
        fstride[0] = 1;
        for (i = 1; i < ndim; i++)
            fstride[i] = fstride[i - 1] * shape[i - 1];
        for (k = 0; k < nitems; k++) {
            memcpy(out + k * unit, data + src * unit, unit);
            /* advance the C-order index: last dimension fastest */
            for (i = ndim; i-- > 0;) {
                idx[i]++;
                src += fstride[i];
                if (idx[i] < shape[i])
                    break;
                src -= idx[i] * fstride[i];
                idx[i] = 0;
            }
        }
    }
    return out;
}

/* ------------------------------------------------------------------ values */

typedef struct dumper {
    idmap ids;
    uint32_t next_id;
    swap_plan plan;
} dumper;

enum { F_SEQ, F_DICT, F_ARRAY, F_SCALAR };

typedef struct frame {
    const npg_value *v;
    size_t depth;
    uint8_t mode;
    uint64_t i, n;
} frame;

typedef struct fstack {
    frame *f;
    size_t n, cap;
} fstack;

static void fs_push(fstack *s, const npg_value *v, size_t depth, uint8_t mode, uint64_t n)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->f = xrealloc(s->f, s->cap * sizeof *s->f);
    }
    s->f[s->n].v = v;
    s->f[s->n].depth = depth;
    s->f[s->n].mode = mode;
    s->f[s->n].i = 0;
    s->f[s->n].n = n;
    s->n++;
}

static void dump_tree(dumper *d, const npg_value *root, size_t depth, sbuf *out);

/* "#N" for a first visit (returns 1), or the whole "ref #N" line (returns 0). */
static int track(dumper *d, const npg_value *v, sbuf *out, const char *what)
{
    uint32_t id = idmap_get(&d->ids, v);
    if (id) {
        sb_printf(out, "ref #%" PRIu32 "\n", id);
        return 0;
    }
    id = ++d->next_id;
    idmap_put(&d->ids, v, id);
    sb_printf(out, "%s #%" PRIu32, what, id);
    return 1;
}

static void dump_int(sbuf *out, const npg_value *v)
{
    uint8_t small[64];
    uint8_t *mag = small;
    size_t len = npg_value_int_bytes(v, small, sizeof small), i, top;
    int neg;
    if (len == 0) { /* "not an int", or a library that spells 0 with no bytes */
        sb_puts(out, "int 0x0\n");
        return;
    }
    if (len > sizeof small) {
        size_t again;
        mag = xmalloc(len);
        again = npg_value_int_bytes(v, mag, len);
        if (again != len)
            die("npg_value_int_bytes changed its mind");
    }
    neg = (mag[len - 1] & 0x80) != 0;
    if (neg) { /* two's complement negation */
        unsigned carry = 1;
        for (i = 0; i < len; i++) {
            unsigned x = (unsigned)(uint8_t)~mag[i] + carry;
            mag[i] = (uint8_t)x;
            carry = x >> 8;
        }
    }
    top = len;
    while (top > 0 && mag[top - 1] == 0)
        top--;
    sb_puts(out, neg ? "int -0x" : "int 0x");
    if (top == 0) {
        sb_putc(out, '0');
    } else {
        sb_printf(out, "%x", (unsigned)mag[top - 1]);
        for (i = top - 1; i-- > 0;)
            sb_printf(out, "%02x", (unsigned)mag[i]);
    }
    sb_putc(out, '\n');
    if (mag != small)
        free(mag);
}

static uint64_t float_bits(double x)
{
    uint64_t u;
    memcpy(&u, &x, sizeof u);
    return u;
}

static void dump_shape(sbuf *out, size_t ndim, const uint64_t *shape)
{
    size_t i;
    sb_putc(out, '[');
    for (i = 0; i < ndim; i++)
        sb_printf(out, "%s%" PRIu64, i ? "," : "", shape[i]);
    sb_putc(out, ']');
}

/* "data <hex>" of a dtype without objects: little-endian, C order. */
static void dump_array_data(dumper *d, const npg_value *v, size_t depth, sbuf *out)
{
    const npg_dtype *dt = npg_array_dtype(v);
    size_t isz = npg_dtype_itemsize(dt);
    uint64_t size = npg_array_size(v), len = 0;
    int borrowed = 0;
    const uint8_t *data = npg_array_data(v, &len, &borrowed);
    uint8_t *c;
    sb_indent(out, depth);
    if (len != (uint64_t)isz * size || (data == NULL && len != 0)) {
        sb_printf(out, "data BAD-LENGTH len=%" PRIu64 " itemsize=%zu size=%" PRIu64 "\n", len,
                  isz, size);
        return;
    }
    if (len == 0) {
        sb_puts(out, "data \n");
        return;
    }
    c = to_c_order(data, isz, npg_array_ndim(v), npg_array_shape(v), size, npg_array_fortran(v));
    plan_build(&d->plan, dt);
    plan_apply(&d->plan, c, isz, size);
    sb_puts(out, "data ");
    sb_hex(out, c, len);
    sb_putc(out, '\n');
    free(c);
}

static void dump_array_mask(const npg_value *v, size_t depth, sbuf *out)
{
    uint64_t size = npg_array_size(v), len = 0;
    const uint8_t *mask = npg_array_mask(v, &len);
    uint8_t *c;
    size_t unit;
    sb_indent(out, depth);
    if (mask == NULL && len != 0) {
        sb_puts(out, "mask NULL\n");
        return;
    }
    if (len == 0) {
        sb_puts(out, size == 0 ? "mask \n" : "mask EMPTY\n");
        return;
    }
    if (size == 0 || len % size != 0) {
        sb_printf(out, "mask len=%" PRIu64 " ", len);
        sb_hex(out, mask, len);
        sb_putc(out, '\n');
        return;
    }
    unit = (size_t)(len / size);
    c = to_c_order(mask, unit, npg_array_ndim(v), npg_array_shape(v), size, npg_array_fortran(v));
    sb_puts(out, "mask ");
    sb_hex(out, c, len);
    sb_putc(out, '\n');
    free(c);
}

static const char *class_name(npg_array_class c)
{
    switch (c) {
    case NPG_CLASS_NDARRAY: return "ndarray";
    case NPG_CLASS_MATRIX: return "matrix";
    case NPG_CLASS_RECARRAY: return "recarray";
    case NPG_CLASS_MASKED: return "masked";
    }
    return "?";
}

typedef struct strref {
    char *p;
    size_t n;
} strref;

static int strref_cmp(const void *a, const void *b)
{
    const strref *x = a, *y = b;
    size_t n = x->n < y->n ? x->n : y->n;
    int c = memcmp(x->p, y->p, n);
    if (c != 0)
        return c;
    return (x->n > y->n) - (x->n < y->n);
}

/* Set items: each dumped into its own buffer, sorted, then appended. */
static void dump_set_items(dumper *d, const npg_value *v, size_t depth, sbuf *out)
{
    size_t n = npg_value_len(v), i;
    strref *items = xcalloc(n, sizeof *items);
    for (i = 0; i < n; i++) {
        sbuf sub = {0};
        dump_tree(d, npg_value_item(v, i), depth, &sub);
        items[i].p = sub.p;
        items[i].n = sub.n;
    }
    qsort(items, n, sizeof *items, strref_cmp);
    for (i = 0; i < n; i++) {
        sb_put(out, items[i].p, items[i].n);
        free(items[i].p);
    }
    free(items);
}

/* Print the line(s) for v at `depth`; push a frame when v has children to visit. */
static void emit(dumper *d, fstack *st, const npg_value *v, size_t depth, sbuf *out)
{
    size_t len = 0;
    const uint8_t *p;
    sb_indent(out, depth);
    if (v == NULL) {
        sb_puts(out, "NULL\n");
        return;
    }
    switch (npg_value_kind(v)) {
    case NPG_NONE:
        sb_puts(out, "None\n");
        return;
    case NPG_BOOL:
        sb_printf(out, "bool %d\n", npg_value_bool(v) ? 1 : 0);
        return;
    case NPG_INT:
        dump_int(out, v);
        return;
    case NPG_FLOAT:
        sb_printf(out, "float %016" PRIx64 "\n", float_bits(npg_value_float(v)));
        return;
    case NPG_COMPLEX: {
        double re = 0, im = 0;
        npg_value_complex(v, &re, &im);
        sb_printf(out, "complex %016" PRIx64 " %016" PRIx64 "\n", float_bits(re), float_bits(im));
        return;
    }
    case NPG_STR:
    case NPG_BYTES:
        p = npg_value_bytes(v, &len);
        sb_puts(out, npg_value_kind(v) == NPG_STR ? "str " : "bytes ");
        sb_escaped(out, p, len);
        sb_putc(out, '\n');
        return;
    case NPG_BYTEARRAY:
        if (!track(d, v, out, "bytearray"))
            return;
        p = npg_value_bytes(v, &len);
        sb_putc(out, ' ');
        sb_escaped(out, p, len);
        sb_putc(out, '\n');
        return;
    case NPG_TUPLE:
        sb_printf(out, "tuple n=%zu\n", npg_value_len(v));
        fs_push(st, v, depth, F_SEQ, npg_value_len(v));
        return;
    case NPG_LIST:
        if (!track(d, v, out, "list"))
            return;
        sb_printf(out, " n=%zu\n", npg_value_len(v));
        fs_push(st, v, depth, F_SEQ, npg_value_len(v));
        return;
    case NPG_DICT:
    case NPG_ORDERED_DICT:
        if (!track(d, v, out, npg_value_kind(v) == NPG_DICT ? "dict" : "odict"))
            return;
        sb_printf(out, " n=%zu\n", npg_value_len(v));
        fs_push(st, v, depth, F_DICT, 2 * (uint64_t)npg_value_len(v));
        return;
    case NPG_SET:
        if (!track(d, v, out, "set"))
            return;
        sb_printf(out, " n=%zu\n", npg_value_len(v));
        dump_set_items(d, v, depth + 1, out);
        return;
    case NPG_FROZENSET:
        sb_printf(out, "frozenset n=%zu\n", npg_value_len(v));
        dump_set_items(d, v, depth + 1, out);
        return;
    case NPG_ARRAY: {
        const npg_dtype *dt = npg_array_dtype(v);
        int hasobj = dt != NULL && npg_dtype_has_object(dt);
        int masked = npg_array_class_of(v) == NPG_CLASS_MASKED;
        uint64_t nchild = 0;
        if (!track(d, v, out, "array"))
            return;
        sb_printf(out, " class=%s dtype=", class_name(npg_array_class_of(v)));
        dtype_text(out, dt);
        sb_puts(out, " shape=");
        dump_shape(out, npg_array_ndim(v), npg_array_shape(v));
        sb_putc(out, '\n');
        if (dt == NULL)
            return;
        if (hasobj)
            nchild = npg_array_size(v);
        else
            dump_array_data(d, v, depth + 1, out);
        if (masked) {
            dump_array_mask(v, depth + 1, out);
            nchild++; /* the fill value */
        }
        if (nchild > 0)
            fs_push(st, v, depth, F_ARRAY, nchild);
        return;
    }
    case NPG_DTYPE:
        sb_puts(out, "dtype ");
        dtype_text(out, npg_value_dtype(v));
        sb_putc(out, '\n');
        return;
    case NPG_SCALAR: {
        const npg_dtype *dt = npg_scalar_dtype(v);
        sb_puts(out, "scalar dtype=");
        dtype_text(out, dt);
        p = npg_scalar_data(v, &len);
        if (p != NULL) {
            uint8_t *c = xmalloc(len);
            memcpy(c, p, len);
            if (dt != NULL && len == npg_dtype_itemsize(dt)) {
                plan_build(&d->plan, dt);
                plan_apply(&d->plan, c, len, 1);
            } else {
                sb_printf(out, " BAD-LENGTH=%zu", len);
            }
            sb_puts(out, " data=");
            sb_hex(out, c, len);
            sb_putc(out, '\n');
            free(c);
        } else {
            sb_putc(out, '\n');
            fs_push(st, v, depth, F_SCALAR, 1);
        }
        return;
    }
    case NPG_MASKED_CONSTANT:
        sb_puts(out, "masked\n");
        return;
    case NPG_TYPE:
        sb_printf(out, "type %s\n", npg_value_type_name(v));
        return;
    case NPG_OPAQUE: {
        const char *name = npg_value_opaque_name(v);
        sb_puts(out, "opaque ");
        sb_escaped_cstr(out, name ? name : "");
        sb_putc(out, '\n');
        return;
    }
    }
    sb_printf(out, "unknown-kind %d\n", (int)npg_value_kind(v));
}

static void dump_tree(dumper *d, const npg_value *root, size_t depth, sbuf *out)
{
    fstack st = {0};
    emit(d, &st, root, depth, out);
    while (st.n > 0) {
        frame *f = &st.f[st.n - 1];
        const npg_value *child = NULL;
        size_t cdepth;
        uint64_t i;
        if (f->i >= f->n) {
            st.n--;
            continue;
        }
        i = f->i++;
        cdepth = f->depth + 1;
        if (cdepth > MAX_DEPTH)
            die("dump nested too deeply");
        switch (f->mode) {
        case F_SEQ:
            child = npg_value_item(f->v, (size_t)i);
            break;
        case F_DICT:
            child = (i & 1) ? npg_value_dict_val(f->v, (size_t)(i / 2))
                            : npg_value_dict_key(f->v, (size_t)(i / 2));
            break;
        case F_ARRAY: {
            const npg_dtype *dt = npg_array_dtype(f->v);
            int hasobj = npg_dtype_has_object(dt);
            uint64_t nobj = hasobj ? npg_array_size(f->v) : 0;
            if (i < nobj) {
                child = npg_array_object(f->v, i);
            } else { /* MaskedArray fill value: a 0-d array, or absent */
                child = npg_array_fill_value(f->v);
                if (child == NULL) {
                    sb_indent(out, cdepth);
                    sb_puts(out, "None\n");
                    continue;
                }
            }
            break;
        }
        case F_SCALAR:
            child = npg_scalar_object(f->v);
            break;
        }
        /* emit may grow the stack; f must not be used after this point */
        emit(d, &st, child, cdepth, out);
    }
    free(st.f);
}

static void dump_root(const npg_value *root, sbuf *out)
{
    dumper d;
    memset(&d, 0, sizeof d);
    dump_tree(&d, root, 0, out);
    idmap_free(&d.ids);
    free(d.plan.runs);
}

/* ------------------------------------------------------------------ files and modes */

typedef struct blob {
    uint8_t *p;
    size_t n;
} blob;

static int read_file(const char *path, blob *b)
{
    FILE *f = fopen(path, "rb");
    size_t cap = 1 << 16, n = 0;
    uint8_t *p;
    if (!f)
        return -1;
    p = xmalloc(cap);
    for (;;) {
        size_t got;
        if (n == cap) {
            cap *= 2;
            p = xrealloc(p, cap);
        }
        got = fread(p + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        fclose(f);
        free(p);
        return -1;
    }
    fclose(f);
    b->p = xrealloc(p, n); /* exact size, so that ASan sees any read past the end */
    b->n = n;
    return 0;
}

/*
 * Inputs are named by a path, or by "PATH@OFFSET+LENGTH": a byte range of a pack file (the
 * oracle test writes all its pickles into one file). Each input is handed to the library in an
 * allocation of its exact size, so that ASan reports a read past its end.
 */
#define MAX_PACKS 16

typedef struct packs {
    char *path[MAX_PACKS];
    blob b[MAX_PACKS];
    size_t n;
} packs;

static int parse_range(const char *spec, size_t *pathlen, uint64_t *off, uint64_t *len)
{
    const char *at = strrchr(spec, '@'), *s;
    char *end;
    if (at == NULL || at == spec || at[1] < '0' || at[1] > '9')
        return 0;
    errno = 0;
    *off = strtoull(at + 1, &end, 10);
    if (errno || *end != '+' || end[1] < '0' || end[1] > '9')
        return 0;
    s = end + 1;
    *len = strtoull(s, &end, 10);
    if (errno || *end != '\0')
        return 0;
    *pathlen = (size_t)(at - spec);
    return 1;
}

static int load_input(packs *pk, const char *spec, blob *out)
{
    size_t plen, i;
    uint64_t off, len;
    blob *whole = NULL;
    if (!parse_range(spec, &plen, &off, &len))
        return read_file(spec, out);
    for (i = 0; i < pk->n; i++)
        if (strlen(pk->path[i]) == plen && memcmp(pk->path[i], spec, plen) == 0)
            whole = &pk->b[i];
    if (whole == NULL) {
        if (pk->n == MAX_PACKS)
            die("too many pack files");
        pk->path[pk->n] = xmalloc(plen + 1);
        memcpy(pk->path[pk->n], spec, plen);
        pk->path[pk->n][plen] = '\0';
        if (read_file(pk->path[pk->n], &pk->b[pk->n]) != 0) {
            free(pk->path[pk->n]);
            return -1;
        }
        whole = &pk->b[pk->n++];
    }
    if (off > whole->n || len > whole->n - off) {
        errno = ERANGE;
        return -1;
    }
    out->p = xmalloc((size_t)len);
    if (len)
        memcpy(out->p, whole->p + off, (size_t)len);
    out->n = (size_t)len;
    return 0;
}

static void packs_free(packs *pk)
{
    size_t i;
    for (i = 0; i < pk->n; i++) {
        free(pk->path[i]);
        free(pk->b[i].p);
    }
    pk->n = 0;
}

typedef struct options {
    unsigned flags;
    int readonly;
} options;

static void print_error_line(sbuf *out, const char *prefix, int rc, const npg_error *err)
{
    const char *nul = memchr(err->message, '\0', sizeof err->message);
    sb_printf(out, "%s %s offset=%" PRIu64 "\n", prefix, npg_status_name(rc), err->offset);
    sb_puts(out, "MESSAGE ");
    sb_put(out, err->message, nul ? (size_t)(nul - err->message) : sizeof err->message);
    sb_putc(out, '\n');
}

/* Process one pickle (with its buffers) and append the result to out. */
static int process(const npg_ctx *ctx, const options *o, packs *pk, const char *path,
                   char **bufpaths, size_t nbuf, sbuf *out)
{
    blob in = {0};
    blob *bufs = xcalloc(nbuf, sizeof *bufs);
    npg_buffer *nb = xcalloc(nbuf, sizeof *nb);
    npg_pickle_opts opts;
    npg_error err;
    npg_doc *doc = NULL;
    size_t i;
    int rc, ret = 0;

    if (load_input(pk, path, &in) != 0) {
        fprintf(stderr, "npgdump: cannot read %s: %s\n", path, strerror(errno));
        ret = -1;
        goto done;
    }
    for (i = 0; i < nbuf; i++) {
        if (load_input(pk, bufpaths[i], &bufs[i]) != 0) {
            fprintf(stderr, "npgdump: cannot read %s: %s\n", bufpaths[i], strerror(errno));
            ret = -1;
            goto done;
        }
        nb[i].data = bufs[i].p;
        nb[i].len = bufs[i].n;
        nb[i].readonly = o->readonly;
    }
    memset(&opts, 0, sizeof opts);
    memset(&err, 0, sizeof err);
    opts.flags = o->flags;
    opts.buffers = nbuf ? nb : NULL;
    opts.nbuffers = nbuf;
    rc = npg_pickle_load(ctx, in.p, in.n, &opts, &doc, &err);

    if (o->flags & NPG_SCAN) {
        size_t count = 0, total = 0;
        const npg_finding *fd;
        if (rc == NPG_OK)
            sb_printf(out, "STATUS %s\n", npg_status_name(rc));
        else
            print_error_line(out, "STATUS", rc, &err);
        if (doc != NULL) {
            fd = npg_doc_findings(doc, &count, &total);
            for (i = 0; fd != NULL && i < count; i++) {
                const char *op = npg_opcode_name(fd[i].opcode);
                sb_printf(out, "FINDING %s %s offset=%" PRIu64 " op=%s global=",
                          npg_rule_id(fd[i].rule), npg_severity_name(fd[i].severity),
                          fd[i].offset, op ? op : "?");
                sb_puts(out, fd[i].global ? fd[i].global : "-");
                sb_putc(out, '\n');
            }
            sb_printf(out, "FINDINGS count=%zu total=%zu\n", count, total);
            if (npg_doc_root(doc) != NULL) {
                sb_puts(out, "ROOT\n");
                dump_root(npg_doc_root(doc), out);
            }
        } else {
            sb_puts(out, "NODOC\n");
        }
    } else if (rc != NPG_OK) {
        print_error_line(out, "ERROR", rc, &err);
        if (doc != NULL)
            sb_puts(out, "BUG doc set on error\n");
    } else if (doc == NULL || npg_doc_root(doc) == NULL) {
        sb_puts(out, "BUG no document on success\n");
    } else {
        if (o->flags & NPG_ALLOW_TRAILING)
            sb_printf(out, "END %" PRIu64 "\n", npg_doc_end(doc));
        dump_root(npg_doc_root(doc), out);
    }
    npg_doc_free(doc);

done:
    free(in.p);
    for (i = 0; i < nbuf; i++)
        free(bufs[i].p);
    free(bufs);
    free(nb);
    return ret;
}

static void flush_out(sbuf *out)
{
    if (out->n && fwrite(out->p, 1, out->n, stdout) != out->n)
        die("write error");
    out->n = 0;
}

/* Split a list-file line at tabs (in place). Returns the number of fields. */
static size_t split_tabs(char *line, char ***fields, size_t *cap)
{
    size_t n = 0;
    char *s = line;
    for (;;) {
        char *t = strchr(s, '\t');
        if (n == *cap) {
            *cap = *cap ? *cap * 2 : 8;
            *fields = xrealloc(*fields, *cap * sizeof **fields);
        }
        (*fields)[n++] = s;
        if (t == NULL)
            break;
        *t = '\0';
        s = t + 1;
    }
    return n;
}

static int run_list(const npg_ctx *ctx, const options *o, const char *listpath)
{
    blob lst;
    packs pk;
    char **fields = NULL;
    size_t cap = 0;
    sbuf out = {0};
    char *s, *end;
    int ret = 0;
    memset(&pk, 0, sizeof pk);
    if (read_file(listpath, &lst) != 0) {
        fprintf(stderr, "npgdump: cannot read %s: %s\n", listpath, strerror(errno));
        return 2;
    }
    lst.p = xrealloc(lst.p, lst.n + 1);
    lst.p[lst.n] = '\0';
    for (s = (char *)lst.p; *s; s = end) {
        size_t nf;
        char *nl = strchr(s, '\n');
        end = nl ? nl + 1 : s + strlen(s);
        if (nl)
            *nl = '\0';
        if (nl && nl > s && nl[-1] == '\r')
            nl[-1] = '\0';
        if (*s == '\0')
            continue;
        nf = split_tabs(s, &fields, &cap);
        sb_puts(&out, "#FILE ");
        sb_puts(&out, fields[0]);
        sb_putc(&out, '\n');
        if (process(ctx, o, &pk, fields[0], fields + 1, nf - 1, &out) != 0) {
            sb_puts(&out, "IOERROR\n");
            ret = 2;
        }
        sb_puts(&out, "#END\n");
        if (out.n > (1u << 20))
            flush_out(&out);
    }
    flush_out(&out);
    free(out.p);
    free(fields);
    free(lst.p);
    packs_free(&pk);
    return ret;
}

static void usage(void)
{
    fputs("usage: npgdump [--scan] [--py2-bytes] [--allow-trailing] [--readonly] FILE [BUFFER...]\n"
          "       npgdump [options] --list LISTFILE\n"
          "FILE and BUFFER may be PATH@OFFSET+LENGTH (a byte range of PATH)\n",
          stderr);
    exit(2);
}

int main(int argc, char **argv)
{
    options o;
    const char *list = NULL;
    npg_ctx *ctx;
    int i, ret;

    memset(&o, 0, sizeof o);
    for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i++) {
        if (strcmp(argv[i], "--scan") == 0)
            o.flags |= NPG_SCAN;
        else if (strcmp(argv[i], "--py2-bytes") == 0)
            o.flags |= NPG_PY2_BYTES;
        else if (strcmp(argv[i], "--allow-trailing") == 0)
            o.flags |= NPG_ALLOW_TRAILING;
        else if (strcmp(argv[i], "--readonly") == 0)
            o.readonly = 1;
        else if (strcmp(argv[i], "--list") == 0 && i + 1 < argc)
            list = argv[++i];
        else if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        } else
            usage();
    }
    if ((list == NULL && i >= argc) || (list != NULL && i != argc))
        usage();

    ctx = npg_ctx_new(NULL);
    if (ctx == NULL)
        die("npg_ctx_new failed");
    if (list != NULL) {
        ret = run_list(ctx, &o, list);
    } else {
        sbuf out = {0};
        packs pk;
        memset(&pk, 0, sizeof pk);
        ret = process(ctx, &o, &pk, argv[i], argv + i + 1, (size_t)(argc - i - 1), &out) ? 2 : 0;
        flush_out(&out);
        free(out.p);
        packs_free(&pk);
    }
    npg_ctx_free(ctx);
    if (fflush(stdout) != 0)
        die("write error");
    return ret;
}
