/* Opcode handlers: building containers (tuple, list, dict, set, frozenset), mutating them
 * (APPEND(S), SETITEM(S), ADDITEMS) and the memo (PUT, GET, MEMOIZE and their binary forms).
 *
 * A mutation opcode makes CPython call a method of its target (extend/append, __setitem__,
 * add). npguard builds only lists, dicts and sets that way; on other targets scan mode asks what
 * CPython would find: a method that may work (a bytearray's append, an array's __setitem__, an
 * unknown placeholder's anything) is a strict refusal to go on from, no method at all (a dict's
 * append, a tuple's __setitem__) stops CPython, and so the scan. */
#include <string.h>

#include "ops.h"
#include "text.h"
#include "text_cpython.h"

/* ------------------------------------------------------------------ building */

int npg__op_EMPTY_LIST(npg_vm *vm, const npg_arg *a) { (void)a; return npg__push(vm, npg__new(vm, NPG_LIST)); }
int npg__op_EMPTY_DICT(npg_vm *vm, const npg_arg *a) { (void)a; return npg__push(vm, npg__new(vm, NPG_DICT)); }
int npg__op_EMPTY_SET(npg_vm *vm, const npg_arg *a) { (void)a; return npg__push(vm, npg__new(vm, NPG_SET)); }
int npg__op_EMPTY_TUPLE(npg_vm *vm, const npg_arg *a) { (void)a; return npg__push(vm, npg__new_tuple(vm, NULL, 0)); }

static int tuple_n(npg_vm *vm, size_t n)
{
    npg_value **items = NULL;
    int rc = npg__pop_n(vm, n, &items);
    return rc ? rc : npg__push(vm, npg__new_tuple(vm, items, n));
}

int npg__op_TUPLE1(npg_vm *vm, const npg_arg *a) { (void)a; return tuple_n(vm, 1); }
int npg__op_TUPLE2(npg_vm *vm, const npg_arg *a) { (void)a; return tuple_n(vm, 2); }
int npg__op_TUPLE3(npg_vm *vm, const npg_arg *a) { (void)a; return tuple_n(vm, 3); }

int npg__op_TUPLE(npg_vm *vm, const npg_arg *a)
{
    (void)a;
    npg_value **items = NULL;
    size_t n = 0;
    int rc = npg__pop_mark(vm, &items, &n);
    return rc ? rc : npg__push(vm, npg__new_tuple(vm, items, n));
}

int npg__op_LIST(npg_vm *vm, const npg_arg *a)
{
    (void)a;
    npg_value **items = NULL;
    size_t n = 0;
    int rc = npg__pop_mark(vm, &items, &n);
    if (rc) return rc;
    npg_value *list = npg__new(vm, NPG_LIST);
    if (!list) return npg__fail_alloc(vm);
    for (size_t i = 0; i < n && !rc; i++) rc = npg__seq_append(vm, list, items[i]);
    return rc ? rc : npg__push(vm, list);
}

static int fill_dict(npg_vm *vm, npg_value *dict, npg_value **items, size_t n)
{
    if (n % 2) return npg__fail(vm, NPG_E_STACK, "%s with an odd number of items", npg__opinfo[vm->op].name);
    int rc = NPG_OK;
    for (size_t i = 0; i < n && !rc; i += 2) rc = npg__dict_set(vm, dict, items[i], items[i + 1]);
    return rc;
}

int npg__op_DICT(npg_vm *vm, const npg_arg *a)
{
    (void)a;
    npg_value **items = NULL;
    size_t n = 0;
    int rc = npg__pop_mark(vm, &items, &n);
    if (rc) return rc;
    npg_value *dict = npg__new(vm, NPG_DICT);
    if (!dict) return npg__fail_alloc(vm);
    rc = fill_dict(vm, dict, items, n);
    return rc ? rc : npg__push(vm, dict);
}

int npg__op_FROZENSET(npg_vm *vm, const npg_arg *a)
{
    (void)a;
    npg_value **items = NULL;
    size_t n = 0;
    int rc = npg__pop_mark(vm, &items, &n);
    if (rc) return rc;
    npg_value *set = npg__new(vm, NPG_FROZENSET);
    if (!set) return npg__fail_alloc(vm);
    for (size_t i = 0; i < n && !rc; i++) rc = npg__set_add(vm, set, items[i]);
    return rc ? rc : npg__push(vm, set);
}

/* ------------------------------------------------------------------ mutation targets */

typedef enum {
    TGT_NATIVE, /* the container npguard builds: do it */
    TGT_MAYBE,  /* CPython finds a method that may work: strict refusal, skip, go on */
    TGT_NO      /* CPython finds no such method: it raises */
} tgt_kind;

static bool kind_in(int kind, const int *kinds, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (kinds[i] == kind) return true;
    return false;
}

/* Objects whose methods npguard cannot know: placeholders and out-of-band buffers (any object
 * the caller passes). An allowlisted class or function has none that works: item assignment on
 * a class raises, and its unbound append/add wants an instance first. */
static bool unknown_methods(const npg_value *t)
{
    return t->kind == NPG_OPAQUE || t->kind == NPG_K_BUFFER;
}

/* APPEND/APPENDS call extend() or append(): lists natively, bytearrays have both. */
static tgt_kind append_target(const npg_value *t)
{
    if (t->kind == NPG_LIST) return TGT_NATIVE;
    return t->kind == NPG_BYTEARRAY || unknown_methods(t) ? TGT_MAYBE : TGT_NO;
}

/* SETITEM(S) calls __setitem__: dicts natively; lists, bytearrays, arrays and numpy scalars
 * (structured ones) have one. */
static tgt_kind setitem_target(const npg_value *t)
{
    static const int maybe[] = {NPG_LIST, NPG_BYTEARRAY, NPG_ARRAY, NPG_SCALAR};
    if (t->kind == NPG_DICT || t->kind == NPG_ORDERED_DICT) return TGT_NATIVE;
    return kind_in(t->kind, maybe, sizeof maybe / sizeof maybe[0]) || unknown_methods(t) ? TGT_MAYBE : TGT_NO;
}

/* ADDITEMS updates a set natively, else calls add(): frozensets and the rest have none. */
static tgt_kind add_target(const npg_value *t)
{
    if (t->kind == NPG_SET) return TGT_NATIVE;
    return unknown_methods(t) ? TGT_MAYBE : TGT_NO;
}

static const char *kind_text(const npg_value *t)
{
    if (t->kind == NPG_K_PY2STR) return "Python-2 str";
    if (t->kind == NPG_K_SYMBOL) return "class or function";
    if (t->kind == NPG_K_BUFFER) return "out-of-band buffer";
    return t->kind < NPG_K_PY2STR ? npg_kind_name((npg_kind)t->kind) : "internal value";
}

/* Judge target t of the current opcode with nitems items to add. *apply: build natively. A
 * placeholder made by a refused global gets NPG009: CPython would call a method of an
 * attacker-chosen object. */
static int judge_target(npg_vm *vm, const npg_value *t, tgt_kind k, size_t nitems, bool *apply)
{
    *apply = false;
    if (k == TGT_NATIVE) {
        *apply = true;
        return NPG_OK;
    }
    /* a placeholder made otherwise stands for something already refused: nothing to add */
    if (t->kind == NPG_OPAQUE && (nitems == 0 || !npg__from_global(t))) return NPG_OK;
    if (nitems == 0) /* CPython has nothing to do and calls nothing */
        return npg__strict(vm, NPG_E_TYPE, "%s on a %s", npg__opinfo[vm->op].name, kind_text(t));
    if (npg__from_global(t)) {
        char name[160];
        npg__name_text(name, sizeof name, t);
        return npg__refuse(vm, NPG_E_TYPE, NPG_RULE_MUTATE, (npg_severity)t->sym, t, "%s calls a method of %s",
                           npg__opinfo[vm->op].name, name);
    }
    if (k == TGT_NO || !vm->scan)
        return npg__fail(vm, NPG_E_TYPE, "%s on a %s", npg__opinfo[vm->op].name, kind_text(t));
    return npg__strict(vm, NPG_E_TYPE, "%s on a %s", npg__opinfo[vm->op].name, kind_text(t));
}

/* ------------------------------------------------------------------ mutation */

int npg__op_APPEND(npg_vm *vm, const npg_arg *a)
{
    (void)a;
    npg_value **items = NULL;
    bool apply;
    int rc = npg__need(vm, 2);
    if (rc) return rc;
    npg_value *t = npg__top(vm, 1);
    if ((rc = judge_target(vm, t, append_target(t), 1, &apply))) return rc;
    if ((rc = npg__pop_n(vm, 1, &items))) return rc;
    return apply ? npg__seq_append(vm, t, items[0]) : NPG_OK;
}

/* After popping a MARK, the target sits just below it and must not be under another MARK. */
static int marked_target(npg_vm *vm, npg_value ***items, size_t *n, npg_value **target)
{
    int rc = npg__pop_mark(vm, items, n);
    if (!rc) rc = npg__need(vm, 1);
    if (!rc) *target = npg__top(vm, 0);
    return rc;
}

int npg__op_APPENDS(npg_vm *vm, const npg_arg *a)
{
    (void)a;
    npg_value **items = NULL, *list = NULL;
    size_t n = 0;
    bool apply = false;
    int rc = marked_target(vm, &items, &n, &list);
    if (!rc) rc = judge_target(vm, list, append_target(list), n, &apply);
    for (size_t i = 0; i < n && !rc && apply; i++) rc = npg__seq_append(vm, list, items[i]);
    return rc;
}

/* list[key] = value: CPython needs an int key within the list (or something that may be one). */
static int list_key(npg_vm *vm, const npg_value *list, const npg_value *key)
{
    int64_t i;
    if (key->kind == NPG_OPAQUE || key->kind == NPG_SCALAR) return NPG_OK;
    if (!npg__as_i64(key, &i))
        return npg__fail(vm, NPG_E_TYPE, "%s on a list with a %s index", npg__opinfo[vm->op].name, kind_text(key));
    int64_t len = (int64_t)list->u.c_.n;
    if (i < -len || i >= len)
        return npg__fail(vm, NPG_E_TYPE, "%s on a list with index %lld out of range", npg__opinfo[vm->op].name,
                         (long long)i);
    return NPG_OK;
}

static int set_items(npg_vm *vm, npg_value *t, npg_value **items, size_t n)
{
    bool apply;
    if (n % 2) return npg__fail(vm, NPG_E_STACK, "%s with an odd number of items", npg__opinfo[vm->op].name);
    int rc = judge_target(vm, t, setitem_target(t), n, &apply);
    if (rc || apply) return rc ? rc : fill_dict(vm, t, items, n);
    if (t->kind == NPG_LIST)
        for (size_t i = 0; i < n && !rc; i += 2) rc = list_key(vm, t, items[i]);
    return rc;
}

int npg__op_SETITEM(npg_vm *vm, const npg_arg *a)
{
    (void)a;
    npg_value **items = NULL;
    int rc = npg__need(vm, 3);
    if (rc) return rc;
    npg_value *t = npg__top(vm, 2);
    if ((rc = npg__pop_n(vm, 2, &items))) return rc;
    return set_items(vm, t, items, 2);
}

int npg__op_SETITEMS(npg_vm *vm, const npg_arg *a)
{
    (void)a;
    npg_value **items = NULL, *dict = NULL;
    size_t n = 0;
    int rc = marked_target(vm, &items, &n, &dict);
    return rc ? rc : set_items(vm, dict, items, n);
}

int npg__op_ADDITEMS(npg_vm *vm, const npg_arg *a)
{
    (void)a;
    npg_value **items = NULL, *set = NULL;
    size_t n = 0;
    bool apply = false;
    int rc = marked_target(vm, &items, &n, &set);
    if (!rc) rc = judge_target(vm, set, add_target(set), n, &apply);
    for (size_t i = 0; i < n && !rc && apply; i++) rc = npg__set_add(vm, set, items[i]);
    return rc;
}

/* ------------------------------------------------------------------ memo */

static int put(npg_vm *vm, uint64_t index)
{
    vm->memo_index = (int64_t)index;
    int rc = npg__need(vm, 1);
    return rc ? rc : npg__memo_put(vm, index, npg__top(vm, 0));
}

static int get(npg_vm *vm, uint64_t index)
{
    vm->memo_index = (int64_t)index;
    npg_value *v = npg__memo_get(&vm->memo, index);
    if (!v) return npg__fail(vm, NPG_E_MEMO, "memo index %llu was never stored", (unsigned long long)index);
    return npg__push(vm, v);
}

static bool all_digits(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] < '0' || p[i] > '9') return false;
    return true;
}

/* A text memo index. The strict grammar is decimal without leading zeros; CPython reads it with
 * PyLong_FromString base 10 (spaces, signs, underscores). *neg: CPython read a negative one. */
static int text_index(npg_vm *vm, const npg_arg *a, uint64_t *index, bool *neg)
{
    *neg = false;
    int rc = npg__text_index(a->p, a->n, UINT32_MAX, index, &vm->diag);
    if (rc == NPG_E_SYNTAX && a->n > 10 && all_digits(a->p, a->n)) /* all digits but huge */
        rc = npg__diag(&vm->diag, NPG_E_LIMIT_MEMO, "memo index beyond the limit");
    if (rc == NPG_OK || !vm->scan || rc == NPG_E_LIMIT_MEMO || a->n == 0) return rc ? npg__fail(vm, rc, "%s", vm->diag.msg) : NPG_OK;
    int64_t v;
    if (npg__cpy_index(a->p, a->n, vm->lim->max_int_digits, &v) != NPG_CPY_OK)
        return npg__fail(vm, rc, "%s", vm->diag.msg);
    if (v < 0) {
        *neg = true;
        return NPG_OK;
    }
    if ((uint64_t)v > UINT32_MAX) return npg__fail(vm, NPG_E_LIMIT_MEMO, "memo index beyond the limit");
    *index = (uint64_t)v; /* "-0" is 0 too */
    return npg__strict(vm, rc, "%s", vm->diag.msg);
}

int npg__op_PUT(npg_vm *vm, const npg_arg *a)
{
    uint64_t i = 0;
    bool neg;
    /* CPython checks the stack before it reads the index */
    int rc = vm->scan ? npg__need(vm, 1) : NPG_OK;
    if (!rc) rc = text_index(vm, a, &i, &neg);
    if (!rc && neg) rc = npg__fail(vm, NPG_E_MEMO, "negative PUT index");
    return rc ? rc : put(vm, i);
}

int npg__op_GET(npg_vm *vm, const npg_arg *a)
{
    uint64_t i = 0;
    bool neg;
    int rc = text_index(vm, a, &i, &neg);
    if (!rc && neg) rc = npg__fail(vm, NPG_E_MEMO, "memo index is negative");
    return rc ? rc : get(vm, i);
}

int npg__op_BINPUT(npg_vm *vm, const npg_arg *a) { return put(vm, a->u); }
int npg__op_LONG_BINPUT(npg_vm *vm, const npg_arg *a) { return put(vm, a->u); }
int npg__op_BINGET(npg_vm *vm, const npg_arg *a) { return get(vm, a->u); }
int npg__op_LONG_BINGET(npg_vm *vm, const npg_arg *a) { return get(vm, a->u); }
int npg__op_MEMOIZE(npg_vm *vm, const npg_arg *a) { (void)a; return put(vm, vm->memo.count); }
