/* Python-compatible hashing and equality for dict keys and set items, and insertion into
 * dicts and sets. Equality follows Python (1 == 1.0 == True == (1+0j), 'a' != b'a', NaN unequal
 * to itself unless it is the same object) so that a dict we accept has exactly the entries
 * Python would build; a key equal to an earlier one is refused (CPython's pickler never writes
 * one). Hashing and comparing run on explicit stacks and each step is charged to max_ops. */
#include <math.h>
#include <string.h>

#include "../common/checked.h"
#include "../common/utf8.h"
#include "vm.h"

/* ------------------------------------------------------------------ numbers as keys */

typedef enum { NUM_I64, NUM_BIG, NUM_F64, NUM_C128 } num_type;

typedef struct num {
    num_type t;
    int64_t i;
    double re, im;
    const uint8_t *big; /* NUM_BIG: minimal two's complement LE */
    size_t big_n;
    uint8_t buf[16];    /* storage for a converted uint64 or float */
} num;

static uint64_t hash_bytes(const uint8_t *p, uint64_t n, uint64_t seed)
{
    uint64_t h = 0xcbf29ce484222325ULL ^ seed;
    for (uint64_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return npg__mix64(h ^ n);
}

static double half_to_double(uint16_t h)
{
    int e = (h >> 10) & 0x1f;
    int m = h & 0x3ff;
    double v;
    if (e == 0) v = ldexp(m, -24);
    else if (e == 31) v = m ? NAN : INFINITY;
    else v = ldexp(m | 0x400, e - 25);
    return (h & 0x8000) ? -v : v;
}

enum { BIG_FLOAT_BYTES = 136 }; /* 2^1024 needs 129 bytes plus a sign byte */

/* Integer value of a finite, integral double, as minimal two's complement (any magnitude a
 * double can hold), so that a huge float and the equal int compare and hash alike. */
static size_t double_to_big(double d, uint8_t out[BIG_FLOAT_BYTES])
{
    int e;
    double m = frexp(fabs(d), &e); /* |d| = m * 2^e, 0.5 <= m < 1 */
    uint64_t mant = (uint64_t)ldexp(m, 53);
    int shift = e - 53;
    memset(out, 0, BIG_FLOAT_BYTES);
    for (int bit = 0; bit < 53; bit++) {
        int at = bit + shift;
        if (at >= 0 && (mant >> bit & 1)) out[at / 8] |= (uint8_t)(1u << (at % 8));
    }
    if (d < 0) {
        unsigned carry = 1;
        for (size_t i = 0; i < BIG_FLOAT_BYTES; i++) {
            unsigned x = (uint8_t)~out[i] + carry;
            out[i] = (uint8_t)x;
            carry = x >> 8;
        }
    }
    return npg__int_minimal_len(out, BIG_FLOAT_BYTES);
}

static bool f64_is_int64(double d, int64_t *out)
{
    if (!isfinite(d) || d != floor(d)) return false;
    if (d < -9223372036854775808.0 || d >= 9223372036854775808.0) return false;
    *out = (int64_t)d;
    return true;
}

/* Normalise: complex with a zero imaginary part compares like its real part. */
static void num_norm(num *x)
{
    if (x->t == NUM_C128 && x->im == 0.0) x->t = NUM_F64;
}

static bool num_eq(num a, num b)
{
    num_norm(&a);
    num_norm(&b);
    if (a.t > b.t) {
        num t = a;
        a = b;
        b = t;
    }
    int64_t k;
    switch (a.t) {
    case NUM_I64:
        if (b.t == NUM_I64) return a.i == b.i;
        if (b.t == NUM_BIG) return false; /* big ints never fit int64 */
        if (b.t == NUM_F64) return f64_is_int64(b.re, &k) && k == a.i;
        return false;
    case NUM_BIG:
        if (b.t == NUM_BIG) return a.big_n == b.big_n && memcmp(a.big, b.big, a.big_n) == 0;
        if (b.t == NUM_F64) {
            if (!isfinite(b.re) || b.re != floor(b.re)) return false;
            uint8_t tmp[BIG_FLOAT_BYTES];
            size_t n = double_to_big(b.re, tmp);
            return n == a.big_n && memcmp(tmp, a.big, n) == 0;
        }
        return false;
    case NUM_F64:
        if (b.t == NUM_F64) return a.re == b.re;
        return false;
    case NUM_C128:
        return a.re == b.re && a.im == b.im;
    }
    return false;
}

static uint64_t num_hash(num x)
{
    int64_t k;
    num_norm(&x);
    switch (x.t) {
    case NUM_I64: return npg__mix64((uint64_t)x.i);
    case NUM_BIG: return hash_bytes(x.big, x.big_n, 7);
    case NUM_F64:
        if (f64_is_int64(x.re, &k)) return npg__mix64((uint64_t)k);
        if (isnan(x.re)) return 0x7ff8;
        if (isfinite(x.re) && x.re == floor(x.re)) {
            uint8_t tmp[BIG_FLOAT_BYTES];
            size_t n = double_to_big(x.re, tmp);
            return hash_bytes(tmp, n, 7); /* as the equal int hashes */
        }
        {
            uint64_t bits;
            memcpy(&bits, &x.re, 8);
            return npg__mix64(bits);
        }
    case NUM_C128: {
        num r = x, i = x;
        r.t = NUM_F64;
        i.t = NUM_F64;
        i.re = x.im;
        return num_hash(r) * 1000003u ^ num_hash(i);
    }
    }
    return 0;
}

static uint64_t load_uint(const uint8_t *p, size_t n, char order)
{
    uint64_t u = 0;
    for (size_t i = 0; i < n; i++) {
        size_t at = order == '>' ? n - 1 - i : i;
        u |= (uint64_t)p[at] << (8 * i);
    }
    return u;
}

/* numpy scalar of a numeric kind as a Python number (np.float64(1.0) == 1 in Python). */
static bool scalar_num(const npg_scalar *sc, num *x)
{
    const npg_dtype *d = sc->dtype;
    if (!sc->data || d->nfields || d->base) return false;
    size_t n = (size_t)d->itemsize;
    char bo = d->byteorder;
    uint64_t u;
    switch (d->kind) {
    case 'b':
        x->t = NUM_I64;
        x->i = sc->data[0] != 0;
        return true;
    case 'i':
        if (n != 1 && n != 2 && n != 4 && n != 8) return false;
        u = load_uint(sc->data, n, bo);
        if (n < 8 && (u >> (8 * n - 1) & 1)) u |= ~(uint64_t)0 << (8 * n);
        x->t = NUM_I64;
        x->i = (int64_t)u;
        return true;
    case 'u':
        if (n != 1 && n != 2 && n != 4 && n != 8) return false;
        u = load_uint(sc->data, n, bo);
        if (u <= INT64_MAX) {
            x->t = NUM_I64;
            x->i = (int64_t)u;
            return true;
        }
        for (int i = 0; i < 8; i++) x->buf[i] = (uint8_t)(u >> (8 * i));
        x->buf[8] = 0;
        x->t = NUM_BIG;
        x->big = x->buf;
        x->big_n = 9;
        return true;
    case 'f':
    case 'c': {
        size_t part = d->kind == 'c' ? n / 2 : n;
        double v[2] = {0, 0};
        for (int k = 0; k < (d->kind == 'c' ? 2 : 1); k++) {
            u = load_uint(sc->data + k * part, part, bo);
            if (part == 2) v[k] = half_to_double((uint16_t)u);
            else if (part == 4) {
                uint32_t u32 = (uint32_t)u;
                float f;
                memcpy(&f, &u32, 4);
                v[k] = f;
            } else if (part == 8) memcpy(&v[k], &u, 8);
            else return false; /* long double: not supported as a key */
        }
        x->t = d->kind == 'c' ? NUM_C128 : NUM_F64;
        x->re = v[0];
        x->im = v[1];
        return true;
    }
    default: return false;
    }
}

/* ------------------------------------------------------------------ key classes */

typedef enum { KC_NONE, KC_NUM, KC_STR, KC_BYTES, KC_TUPLE, KC_FROZENSET, KC_OPAQUE, KC_BAD } key_class;

typedef struct keyview {
    key_class kc;
    num n;
    const uint8_t *p;
    uint64_t len;
} keyview;

static key_class key_view(const npg_value *v, keyview *kv)
{
    memset(kv, 0, sizeof *kv);
    switch (v->kind) {
    case NPG_NONE: return kv->kc = KC_NONE;
    case NPG_BOOL: kv->n.t = NUM_I64; kv->n.i = v->u.b; return kv->kc = KC_NUM;
    case NPG_INT:
        if (v->flags & NPG_VF_BIG) {
            kv->n.t = NUM_BIG;
            kv->n.big = v->u.s.p;
            kv->n.big_n = (size_t)v->u.s.n;
        } else {
            kv->n.t = NUM_I64;
            kv->n.i = v->u.i;
        }
        return kv->kc = KC_NUM;
    case NPG_FLOAT: kv->n.t = NUM_F64; kv->n.re = v->u.f; return kv->kc = KC_NUM;
    case NPG_COMPLEX:
        kv->n.t = NUM_C128;
        kv->n.re = v->u.c.re;
        kv->n.im = v->u.c.im;
        return kv->kc = KC_NUM;
    case NPG_STR: kv->p = v->u.s.p; kv->len = v->u.s.n; return kv->kc = KC_STR;
    case NPG_BYTES: kv->p = v->u.s.p; kv->len = v->u.s.n; return kv->kc = KC_BYTES;
    case NPG_K_PY2STR:
        if (v->sym) {
            kv->p = v->u.s.p;
            kv->len = v->u.s.n;
            return kv->kc = KC_BYTES;
        }
        kv->p = v->u.s.alt;
        kv->len = v->u.s.alt_n;
        return kv->kc = KC_STR;
    case NPG_TUPLE: return kv->kc = KC_TUPLE;
    case NPG_FROZENSET: return kv->kc = KC_FROZENSET;
    case NPG_SCALAR:
        if (scalar_num(v->u.sc, &kv->n)) {
            if (kv->n.t == NUM_BIG) kv->n.big = kv->n.buf; /* the view was copied */
            return kv->kc = KC_NUM;
        }
        return kv->kc = KC_BAD;
    case NPG_OPAQUE: return kv->kc = KC_OPAQUE;
    default: return kv->kc = KC_BAD;
    }
}

static const char *key_kind_text(const npg_value *v)
{
    return v->kind == NPG_SCALAR ? "numpy scalar of this kind"
           : v->kind == NPG_K_SYMBOL ? "class or function"
           : v->kind < NPG_K_PY2STR ? npg_kind_name((npg_kind)v->kind) : "value";
}

static int unhashable(npg_vm *vm, const npg_value *v)
{
    return npg__fail(vm, NPG_E_UNHASHABLE, "%s cannot be a dict key or set item", key_kind_text(v));
}

/* Values Python can hash that npguard's key model leaves out. Lists, dicts, sets, bytearrays
 * and arrays are unhashable in Python too (hash() raises TypeError and pickle.load stops). */
static bool cpython_hashable(const npg_value *v)
{
    return v->kind == NPG_DTYPE || v->kind == NPG_SCALAR || v->kind == NPG_K_SYMBOL || v->kind == NPG_K_BUFFER;
}

/* Make room on the scratch stack. */
static int work_reserve(npg_vm *vm, size_t need)
{
    if (need <= vm->work_cap) return NPG_OK;
    size_t cap = vm->work_cap ? vm->work_cap * 2 : 64;
    while (cap < need) cap *= 2;
    npg_value **w = npg__mem_realloc(&vm->doc->mem, vm->work, vm->work_cap * sizeof *w, cap * sizeof *w);
    if (!w) return npg__fail_alloc(vm);
    vm->work = w;
    vm->work_cap = cap;
    return NPG_OK;
}

/* Every step of hashing or comparing costs one op, so that keys built as a DAG of shared
 * tuples (exponential when expanded) are bounded by max_ops. */
static int charge_op(npg_vm *vm)
{
    if (vm->ops + ++vm->steps > vm->lim->max_ops)
        return npg__fail(vm, NPG_E_LIMIT_OPS, "more than %llu operations",
                         (unsigned long long)vm->lim->max_ops);
    return NPG_OK;
}

static uint64_t leaf_hash(const keyview *kv)
{
    switch (kv->kc) {
    case KC_NONE: return 0x9e3779b97f4a7c15ULL;
    case KC_NUM: return num_hash(kv->n);
    case KC_STR: return hash_bytes(kv->p, kv->len, 1);
    case KC_BYTES: return hash_bytes(kv->p, kv->len, 2);
    default: return 0;
    }
}

static int frozenset_hash_from_items(npg_vm *vm, npg_value *fs);

/* Hash of a hashable value, computed once and cached. Tuples are hashed post-order with an
 * explicit stack (a key may be a tuple nested max_depth deep). */
static int value_hash(npg_vm *vm, npg_value *root, uint64_t *out)
{
    if (root->flags & NPG_VF_HASHED) {
        *out = root->hash;
        return NPG_OK;
    }
    if (root->flags & NPG_VF_UNHASHABLE) return unhashable(vm, root);
    size_t base = 0, top = 0;
    int rc = work_reserve(vm, 1);
    if (rc) return rc;
    vm->work[top++] = root;
    while (top > base) {
        npg_value *v = vm->work[top - 1];
        if ((rc = charge_op(vm))) return rc;
        if (v->flags & NPG_VF_HASHED) {
            top--;
            continue;
        }
        keyview kv;
        key_class kc = key_view(v, &kv);
        if (kc == KC_BAD && vm->scan && cpython_hashable(v)) {
            /* Python hashes it (a dtype, a class, a numpy scalar npguard does not compare):
             * refused by npguard's key model only, so the scan goes on, comparing it by identity */
            if ((rc = npg__strict(vm, NPG_E_UNHASHABLE, "%s is not a key npguard decodes", key_kind_text(v)))) return rc;
            kc = KC_OPAQUE;
        }
        if (kc == KC_BAD) {
            root->flags |= NPG_VF_UNHASHABLE;
            return unhashable(vm, v);
        }
        if (kc == KC_FROZENSET) {
            if ((rc = frozenset_hash_from_items(vm, v))) return rc;
            top--;
            continue;
        }
        if (kc != KC_TUPLE) {
            v->hash = kc == KC_OPAQUE ? (uint64_t)(uintptr_t)v : leaf_hash(&kv);
            v->flags |= NPG_VF_HASHED;
            top--;
            continue;
        }
        /* tuple: hash children first */
        size_t pushed = 0;
        for (size_t i = 0; i < v->u.c_.n; i++) {
            npg_value *c = v->u.c_.items[i];
            if (c->flags & NPG_VF_HASHED) continue;
            if (c->flags & NPG_VF_UNHASHABLE) {
                v->flags |= NPG_VF_UNHASHABLE;
                return unhashable(vm, c);
            }
            if ((rc = work_reserve(vm, top + 1))) return rc;
            vm->work[top++] = c;
            pushed++;
        }
        if (pushed) continue;
        uint64_t h = 0x345678 ^ v->u.c_.n;
        for (size_t i = 0; i < v->u.c_.n; i++) h = (h ^ v->u.c_.items[i]->hash) * 1000003u;
        v->hash = npg__mix64(h);
        v->flags |= NPG_VF_HASHED;
        top--;
    }
    *out = root->hash;
    return NPG_OK;
}

/* A frozenset's items were hashed when they were added; combine them order-independently. */
static int frozenset_hash_from_items(npg_vm *vm, npg_value *fs)
{
    uint64_t h = 0x1f2e3d4c ^ fs->u.c_.n;
    for (size_t i = 0; i < fs->u.c_.n; i++) h += npg__mix64(fs->u.c_.items[i]->hash);
    (void)vm;
    fs->hash = npg__mix64(h);
    fs->flags |= NPG_VF_HASHED;
    return NPG_OK;
}

static int set_lookup(npg_vm *vm, const npg_value *set, npg_value *key, uint64_t h, int depth,
                      size_t base, bool *found);

/* The representative of v's equality class: tuples and frozensets proved equal are linked, so a
 * key built as a DAG of shared tuples is compared in linear time, not once per path. */
static npg_value *canon(npg_value *v)
{
    if (v->kind != NPG_TUPLE && v->kind != NPG_FROZENSET) return v;
    npg_value *r = v;
    while (r->u.c_.canon) r = r->u.c_.canon;
    while (v != r) { /* path compression */
        npg_value *next = v->u.c_.canon;
        v->u.c_.canon = r;
        v = next;
    }
    return r;
}

static void unite(npg_value *x, npg_value *y)
{
    x = canon(x);
    y = canon(y);
    if (x != y) y->u.c_.canon = x;
}

static int frames_reserve(npg_vm *vm, size_t need)
{
    if (need <= vm->frames_cap) return NPG_OK;
    size_t cap = vm->frames_cap ? vm->frames_cap * 2 : 32;
    while (cap < need) cap *= 2;
    npg_eqframe *f = npg__mem_realloc(&vm->doc->mem, vm->frames, vm->frames_cap * sizeof *f, cap * sizeof *f);
    if (!f) return npg__fail_alloc(vm);
    vm->frames = f;
    vm->frames_cap = cap;
    return NPG_OK;
}

/* First look at a pair: settles leaves and frozensets, says whether a tuple pair needs its
 * children compared (*descend). */
static int compare_shallow(npg_vm *vm, npg_value *x, npg_value *y, int depth, size_t base,
                           bool *eq, bool *descend)
{
    *eq = true;
    *descend = false;
    if (x == y) return NPG_OK;
    *eq = false;
    if (x->hash != y->hash) return NPG_OK;
    keyview kx, ky;
    key_class cx = key_view(x, &kx), cy = key_view(y, &ky);
    if (cx != cy) return NPG_OK;
    switch (cx) {
    case KC_NONE: *eq = true; return NPG_OK;
    case KC_NUM: *eq = num_eq(kx.n, ky.n); return NPG_OK;
    case KC_STR:
    case KC_BYTES: *eq = kx.len == ky.len && memcmp(kx.p, ky.p, (size_t)kx.len) == 0; return NPG_OK;
    case KC_TUPLE:
        if (x->u.c_.n != y->u.c_.n) return NPG_OK;
        *eq = true;
        *descend = x->u.c_.n > 0;
        if (!*descend) unite(x, y);
        return NPG_OK;
    case KC_FROZENSET:
        if (x->u.c_.n != y->u.c_.n) return NPG_OK;
        for (size_t i = 0; i < x->u.c_.n; i++) {
            bool found = false;
            npg_value *item = x->u.c_.items[i];
            int rc = set_lookup(vm, y, item, item->hash, depth + 1, base, &found);
            if (rc) return rc;
            if (!found) return NPG_OK;
        }
        *eq = true;
        unite(x, y);
        return NPG_OK;
    default: return NPG_OK; /* opaque values are equal only to themselves */
    }
}

/* Python equality of two hashable values (both already hashed). Tuples are compared with an
 * explicit stack of (x, y, next child) frames; a pair proved equal is united, so shared
 * sub-tuples are compared once. Frozensets compare by membership, at most 32 levels deep. */
static int keys_equal(npg_vm *vm, npg_value *a, npg_value *b, int depth, size_t base, bool *eq)
{
    int rc;
    if (depth > 32) return npg__fail(vm, NPG_E_LIMIT_DEPTH, "frozensets nested too deep in a key");
    size_t top = base; /* frames live above `base`, which an outer comparison is using */
    npg_value *x = a, *y = b;
    for (;;) {
        bool descend;
        if ((rc = charge_op(vm))) return rc;
        x = canon(x);
        y = canon(y);
        if ((rc = compare_shallow(vm, x, y, depth, top, eq, &descend))) return rc;
        if (!*eq) return NPG_OK;
        if (descend) {
            if ((rc = frames_reserve(vm, top + 1))) return rc;
            vm->frames[top++] = (npg_eqframe){x, y, 0};
        }
        /* next pair: the next child of the innermost unfinished tuple pair */
        for (;;) {
            if (top == base) return NPG_OK;
            npg_eqframe *f = &vm->frames[top - 1];
            if (f->next < f->x->u.c_.n) {
                x = f->x->u.c_.items[f->next];
                y = f->y->u.c_.items[f->next];
                f->next++;
                break;
            }
            unite(f->x, f->y); /* every child matched */
            top--;
        }
    }
}

/* ------------------------------------------------------------------ hashed collections */

/* Slot i of a dict holds keys at items[2i]; a set holds items[i]. */
static npg_value *entry_key(const npg_value *c, size_t i)
{
    bool is_dict = c->kind == NPG_DICT || c->kind == NPG_ORDERED_DICT;
    return c->u.c_.items[is_dict ? 2 * i : i];
}

static size_t entry_count(const npg_value *c) { return c->u.c_.n; }

enum { LINEAR_MAX = 8 };

static int set_lookup(npg_vm *vm, const npg_value *c, npg_value *key, uint64_t h, int depth,
                      size_t base, bool *found)
{
    size_t n = entry_count(c);
    *found = false;
    int rc;
    if (!c->u.c_.index) {
        for (size_t i = 0; i < n; i++) {
            npg_value *k = entry_key(c, i);
            if (k->hash != h && k != key) continue;
            if ((rc = keys_equal(vm, k, key, depth, base, found))) return rc;
            if (*found) return NPG_OK;
        }
        return NPG_OK;
    }
    uint32_t mask = c->u.c_.index_cap - 1;
    for (uint32_t s = (uint32_t)h & mask;; s = (s + 1) & mask) {
        uint32_t e = c->u.c_.index[s];
        if (!e) return NPG_OK;
        npg_value *k = entry_key(c, e - 1);
        if (k->hash != h && k != key) continue;
        if ((rc = keys_equal(vm, k, key, depth, base, found))) return rc;
        if (*found) return NPG_OK;
    }
}

static void index_put(npg_value *c, size_t entry)
{
    uint32_t mask = c->u.c_.index_cap - 1;
    uint32_t s = (uint32_t)entry_key(c, entry)->hash & mask;
    while (c->u.c_.index[s]) s = (s + 1) & mask;
    c->u.c_.index[s] = (uint32_t)entry + 1;
}

/* Keep the index at most half full; build it once the collection outgrows a linear scan. */
static int index_reserve(npg_vm *vm, npg_value *c, size_t entries, bool *rebuilt)
{
    *rebuilt = false;
    if (entries <= LINEAR_MAX) return NPG_OK;
    if (entries >= UINT32_MAX / 4) return npg__fail(vm, NPG_E_LIMIT_CONTAINER, "collection too large");
    if (c->u.c_.index && (size_t)c->u.c_.index_cap >= 2 * entries) return NPG_OK;
    uint32_t cap = 32;
    while (cap < 2 * entries) cap *= 2;
    uint32_t *idx = npg__arena_zalloc(vm->arena, (size_t)cap * sizeof *idx);
    if (!idx) return npg__fail_alloc(vm);
    c->u.c_.index = idx;
    c->u.c_.index_cap = cap;
    for (size_t i = 0; i < entries; i++) index_put(c, i);
    *rebuilt = true;
    return NPG_OK;
}

/* Insert key (and val for dicts) after checking hashability and uniqueness. In scan mode an
 * opaque key is accepted without comparison: it stands for something already refused. */
static int coll_insert(npg_vm *vm, npg_value *c, npg_value *key, npg_value *val)
{
    bool is_dict = val != NULL;
    size_t n = entry_count(c);
    int rc = npg__check_len(vm, n + 1);
    if (!rc) rc = npg__no_symbol(vm, key);
    if (!rc && val) rc = npg__no_symbol(vm, val);
    if (rc) return rc;
    if (!(key->flags & NPG_VF_OPAQUE)) {
        uint64_t h = 0;
        bool dup = false;
        if ((rc = value_hash(vm, key, &h))) return rc;
        if ((rc = set_lookup(vm, c, key, h, 0, 0, &dup))) return rc;
        /* CPython keeps the last value of a duplicate key; npguard keeps the first and goes on */
        if (dup) return npg__strict(vm, NPG_E_DUPLICATE_KEY, is_dict ? "duplicate dict key" : "duplicate set item");
    } else {
        key->hash = (uint64_t)(uintptr_t)key;
        key->flags |= NPG_VF_HASHED;
    }
    if ((rc = npg__note_depth(vm, c, key))) return rc;
    if (is_dict && (rc = npg__note_depth(vm, c, val))) return rc;
    size_t slot = is_dict ? 2 * n : n;
    if ((rc = npg__reserve_items(vm, c, slot + (is_dict ? 2 : 1)))) return rc;
    c->u.c_.items[slot] = key;
    if (is_dict) c->u.c_.items[slot + 1] = val;
    c->u.c_.n = (uint32_t)(n + 1);
    bool rebuilt;
    if ((rc = index_reserve(vm, c, n + 1, &rebuilt))) return rc;
    if (c->u.c_.index && !rebuilt) index_put(c, n);
    return NPG_OK;
}

int npg__dict_set(npg_vm *vm, npg_value *dict, npg_value *key, npg_value *val)
{
    return coll_insert(vm, dict, key, val);
}

int npg__set_add(npg_vm *vm, npg_value *set, npg_value *item)
{
    int rc = coll_insert(vm, set, item, NULL);
    if (rc == NPG_OK && set->kind == NPG_FROZENSET) set->flags &= (uint8_t)~NPG_VF_HASHED;
    return rc;
}
