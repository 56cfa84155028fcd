/* Value nodes: typed views, creation, and the tuple/list containers (dict and set insertion,
 * which needs hashing, lives in keys.c). */
#include <string.h>

#include "../common/checked.h"
#include "vm.h"

/* ------------------------------------------------------------------ views */

bool npg__as_i64(const npg_value *v, int64_t *out)
{
    if (v->kind == NPG_BOOL) {
        *out = v->u.b;
        return true;
    }
    if (v->kind == NPG_INT && !(v->flags & NPG_VF_BIG)) {
        *out = v->u.i;
        return true;
    }
    return false;
}

bool npg__as_text(const npg_value *v, const uint8_t **p, size_t *n)
{
    if (v->kind != NPG_STR && v->kind != NPG_K_PY2STR) return false;
    *p = v->u.s.p;
    return npg__u64_to_sz(v->u.s.n, n);
}

bool npg__as_raw(const npg_value *v, const uint8_t **p, uint64_t *n)
{
    if (v->kind != NPG_BYTES && v->kind != NPG_K_PY2STR) return false;
    *p = v->u.s.p;
    *n = v->u.s.n;
    return true;
}

npg_value **npg__tuple_items(const npg_value *v, size_t *n)
{
    static npg_value *none[1];
    if (v->kind != NPG_TUPLE) return NULL;
    *n = v->u.c_.n;
    return v->u.c_.items ? v->u.c_.items : none; /* never NULL for a tuple, even () */
}

/* ------------------------------------------------------------------ creation */

npg_value *npg__new(npg_vm *vm, int kind)
{
    npg_value *v = npg__arena_alloc(vm->arena, sizeof *v);
    if (!v) return NULL;
    memset(v, 0, sizeof *v);
    v->kind = (uint8_t)kind;
    v->depth = 1;
    return v;
}

npg_value *npg__new_int(npg_vm *vm, int64_t i)
{
    npg_value *v = npg__new(vm, NPG_INT);
    if (v) v->u.i = i;
    return v;
}

npg_value *npg__new_opaque(npg_vm *vm, const char *desc)
{
    npg_value *v = npg__new(vm, NPG_OPAQUE);
    if (v) {
        v->u.opq.name = desc ? desc : "";
        v->u.opq.len = v->u.opq.mlen = (uint32_t)strlen(v->u.opq.name);
        v->flags |= NPG_VF_OPAQUE;
    }
    return v;
}

npg_value *npg__new_named(npg_vm *vm, int kind, const uint8_t *m, size_t mn, const uint8_t *n, size_t nn)
{
    npg_value *v = npg__new(vm, kind);
    if (!v) return NULL;
    /* the pair as CPython's find_class gets it, cut at NPG_GLOBAL_MAX (a STACK_GLOBAL name may
     * be a str as long as the input, and the memo can name it again and again) */
    size_t total = mn + 1 + nn, keep = total < NPG_GLOBAL_MAX ? total : NPG_GLOBAL_MAX;
    char *p = npg__arena_alloc(vm->arena, keep + 1);
    if (!p) return NULL;
    size_t km = mn < keep ? mn : keep;
    if (km) memcpy(p, m, km);
    if (km < keep) p[km] = '.';
    if (km + 1 < keep) memcpy(p + km + 1, n, keep - km - 1);
    p[keep] = '\0';
    v->u.opq.name = p;
    v->u.opq.len = (uint32_t)keep;
    v->u.opq.mlen = (uint32_t)km;
    v->u.opq.cut = keep < total;
    if (kind == NPG_OPAQUE) v->flags |= NPG_VF_OPAQUE;
    return v;
}

npg_value *npg__new_derived(npg_vm *vm, const npg_value *from)
{
    npg_value *v = npg__new(vm, NPG_OPAQUE);
    if (v) {
        v->u.opq = from->u.opq;
        v->sym = from->sym;
        v->flags |= NPG_VF_OPAQUE;
    }
    return v;
}

/* Length of the minimal two's-complement form: drop high bytes that only repeat the sign. */
size_t npg__int_minimal_len(const uint8_t *b, size_t n)
{
    while (n > 1) {
        uint8_t top = b[n - 1], next = b[n - 2];
        if ((top == 0x00 && !(next & 0x80)) || (top == 0xff && (next & 0x80))) n--;
        else break;
    }
    return n;
}

npg_value *npg__new_int_bytes(npg_vm *vm, const uint8_t *b, size_t n, bool borrow)
{
    n = npg__int_minimal_len(b, n);
    if (n <= 8) {
        uint64_t u = 0;
        for (size_t i = 0; i < n; i++) u |= (uint64_t)b[i] << (8 * i);
        if (n > 0 && n < 8 && (b[n - 1] & 0x80)) u |= ~(uint64_t)0 << (8 * n); /* sign-extend */
        return npg__new_int(vm, (int64_t)u);
    }
    npg_value *v = npg__new(vm, NPG_INT);
    if (!v) return NULL;
    v->flags |= NPG_VF_BIG;
    if (borrow) {
        v->u.s.p = b;
    } else {
        uint8_t *copy = npg__arena_alloc(vm->arena, n);
        if (!copy) return NULL;
        memcpy(copy, b, n);
        v->u.s.p = copy;
    }
    v->u.s.n = n;
    return v;
}

int npg__note_depth(npg_vm *vm, npg_value *container, const npg_value *item)
{
    uint32_t d = item->depth + 1;
    if (d > container->depth) {
        if (d > vm->lim->max_depth)
            return npg__fail(vm, NPG_E_LIMIT_DEPTH, "containers nested deeper than %zu",
                             vm->lim->max_depth);
        container->depth = d;
    }
    container->flags |= item->flags & (NPG_VF_OPAQUE | NPG_VF_SYMBOL);
    return NPG_OK;
}

/* Grow the item array of a container so that `need` slots fit. */
int npg__reserve_items(npg_vm *vm, npg_value *c, size_t need)
{
    if (need <= c->u.c_.cap) return NPG_OK;
    /* dicts take two slots per entry: start them with room for four entries */
    size_t cap = c->u.c_.cap ? c->u.c_.cap : (c->kind == NPG_DICT || c->kind == NPG_ORDERED_DICT) ? 8 : 4;
    while (cap < need)
        if (!npg__mul_sz(cap, 2, &cap)) return npg__fail(vm, NPG_E_LIMIT_ALLOC, "container too large");
    size_t bytes, old = c->u.c_.cap * sizeof(npg_value *);
    if (!npg__mul_sz(cap, sizeof(npg_value *), &bytes))
        return npg__fail(vm, NPG_E_LIMIT_ALLOC, "container too large");
    npg_value **items = npg__arena_grow(vm->arena, c->u.c_.items, old, bytes);
    if (!items) return npg__fail_alloc(vm);
    c->u.c_.items = items;
    c->u.c_.cap = (uint32_t)cap;
    return NPG_OK;
}

int npg__check_len(npg_vm *vm, size_t n)
{
    if (n > vm->lim->max_container_len)
        return npg__fail(vm, NPG_E_LIMIT_CONTAINER, "container longer than %zu items",
                         vm->lim->max_container_len);
    return NPG_OK;
}

/* Classes and functions from the allowlist exist to be called or passed to reconstructors;
 * they never become data (tuples may hold them: REDUCE arguments are tuples). */
int npg__no_symbol(npg_vm *vm, const npg_value *item)
{
    /* CPython stores anything; only npguard's result model has no place for a class */
    if (item->kind != NPG_K_SYMBOL && !(item->flags & NPG_VF_SYMBOL)) return NPG_OK; /* the usual case */
    bool symbol = vm->scan ? item->kind == NPG_K_SYMBOL && !npg__symbol_is_data((npg_symbol)item->sym)
                           : (item->flags & NPG_VF_SYMBOL) != 0;
    if (symbol) return npg__strict(vm, NPG_E_CALL, "a class or function cannot be stored as data");
    return NPG_OK;
}

int npg__seq_append(npg_vm *vm, npg_value *seq, npg_value *item)
{
    size_t n = seq->u.c_.n;
    int rc = npg__check_len(vm, n + 1);
    if (rc == NPG_OK) rc = npg__no_symbol(vm, item);
    if (rc == NPG_OK) rc = npg__note_depth(vm, seq, item);
    if (rc == NPG_OK) rc = npg__reserve_items(vm, seq, n + 1);
    if (rc != NPG_OK) return rc;
    seq->u.c_.items[n] = item;
    seq->u.c_.n = (uint32_t)(n + 1);
    return NPG_OK;
}

npg_value *npg__new_tuple(npg_vm *vm, npg_value *const *items, size_t n)
{
    npg_value *t = npg__new(vm, NPG_TUPLE);
    if (!t) {
        npg__fail_alloc(vm);
        return NULL;
    }
    if (npg__check_len(vm, n) != NPG_OK || npg__reserve_items(vm, t, n) != NPG_OK) return NULL;
    for (size_t i = 0; i < n; i++)
        if (npg__note_depth(vm, t, items[i]) != NPG_OK) return NULL;
    if (n) memcpy(t->u.c_.items, items, n * sizeof *items);
    t->u.c_.n = (uint32_t)n;
    return t;
}

