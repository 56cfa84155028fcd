/* The restricted pickle VM: one loop that fetches an opcode and its argument (decoded by the
 * table in opcodes.h) and runs that opcode's handler. Handlers only build data; the one way to
 * reach a reconstructor is REDUCE/BUILD on an allowlisted symbol (reduce.c). No recursion: the
 * value stack, mark stack and memo are explicit. Scan mode runs this very code; a refusal there
 * records a finding and yields an opaque placeholder instead of failing. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../common/checked.h"
#include "opcodes.h"
#include "text.h"
#include "vm.h"

enum { STOPPED = -1 }; /* internal: STOP reached */

typedef struct npg_arg {
    uint64_t u;          /* ARG_UINT, and the length of counted arguments */
    int64_t s;           /* ARG_SINT */
    const uint8_t *p;    /* ARG_FIXED / LINE / counted payload; LINE2: module */
    size_t n;
    const uint8_t *p2;   /* ARG_LINE2: name */
    size_t n2;
} npg_arg;

typedef int (*op_handler)(npg_vm *vm, const npg_arg *a);

/* ------------------------------------------------------------------ stack */

static int push(npg_vm *vm, npg_value *v)
{
    if (!v) return vm->doc->status ? vm->doc->status : npg__fail_alloc(vm);
    if (vm->sp == vm->stack_cap) {
        if (vm->sp >= vm->lim->max_stack)
            return npg__fail(vm, NPG_E_LIMIT_STACK, "stack deeper than %zu", vm->lim->max_stack);
        size_t cap = vm->stack_cap ? vm->stack_cap * 2 : 64;
        if (cap > vm->lim->max_stack) cap = vm->lim->max_stack;
        npg_value **s = npg__mem_realloc(&vm->doc->mem, vm->stack, vm->stack_cap * sizeof *s,
                                         cap * sizeof *s);
        if (!s) return npg__fail_alloc(vm);
        vm->stack = s;
        vm->stack_cap = cap;
    }
    vm->stack[vm->sp++] = v;
    return NPG_OK;
}

/* Items above the innermost MARK: what a fixed-arity opcode may consume. */
static size_t avail(const npg_vm *vm)
{
    return vm->sp - (vm->nmarks ? vm->marks[vm->nmarks - 1] : 0);
}

static int need(npg_vm *vm, size_t n)
{
    if (avail(vm) >= n) return NPG_OK;
    if (vm->nmarks && vm->sp >= n)
        return npg__fail(vm, NPG_E_STACK, "%s would consume a MARK", npg__opinfo[vm->op].name);
    return npg__fail(vm, NPG_E_STACK, "%s needs %zu item(s) on the stack", npg__opinfo[vm->op].name, n);
}

/* Pop n items; *items points at them (still valid until the next push). */
static int pop_n(npg_vm *vm, size_t n, npg_value ***items)
{
    int rc = need(vm, n);
    if (rc) return rc;
    vm->sp -= n;
    *items = vm->stack + vm->sp;
    return NPG_OK;
}

static int pop_mark(npg_vm *vm, npg_value ***items, size_t *n)
{
    if (!vm->nmarks) return npg__fail(vm, NPG_E_MARK, "%s without a MARK", npg__opinfo[vm->op].name);
    size_t at = vm->marks[--vm->nmarks];
    *items = vm->stack + at;
    *n = vm->sp - at;
    vm->sp = at;
    return NPG_OK;
}

/* ------------------------------------------------------------------ argument reading */

/* A read failed: the input ended (truncated), or the bytes exist but lie past the end of the
 * current frame (an opcode straddling a frame boundary: PEP 3154 forbids it, and CPython's C
 * unpickler long ignored it, which let scanners and loaders see different opcodes). */
static int short_read(npg_vm *vm, uint64_t wanted)
{
    if (vm->in_frame && (uint64_t)(vm->cur.len - vm->cur.pos) >= wanted)
        return npg__fail(vm, NPG_E_FRAME, "%s straddles the end of its frame", npg__opinfo[vm->op].name);
    return npg__fail(vm, NPG_E_TRUNCATED, "pickle data ends inside %s", npg__opinfo[vm->op].name);
}

static int read_line(npg_vm *vm, const uint8_t **p, size_t *n)
{
    if (npg__cur_line(&vm->cur, p, n)) return NPG_OK;
    if (vm->in_frame && memchr(vm->cur.p + vm->cur.end, '\n', vm->cur.len - vm->cur.end))
        return short_read(vm, 0);
    return npg__fail(vm, NPG_E_TRUNCATED, "pickle data ends inside %s", npg__opinfo[vm->op].name);
}

static int read_arg(npg_vm *vm, const npg_opinfo *info, npg_arg *a)
{
    unsigned sz = info->argsize;
    switch ((npg_arg_kind)info->arg) {
    case ARG_NONE: return NPG_OK;
    case ARG_UINT:
    case ARG_SINT:
        if (!npg__cur_le(&vm->cur, sz, &a->u)) return short_read(vm, sz);
        a->s = (int64_t)a->u;
        if (info->arg == ARG_SINT && sz < 8 && (a->u >> (8 * sz - 1) & 1))
            a->s = (int64_t)(a->u | (~(uint64_t)0 << (8 * sz)));
        return NPG_OK;
    case ARG_FIXED:
        if (!npg__cur_bytes(&vm->cur, sz, &a->p)) return short_read(vm, sz);
        a->n = sz;
        return NPG_OK;
    case ARG_LINE: return read_line(vm, &a->p, &a->n);
    case ARG_LINE2: {
        int rc = read_line(vm, &a->p, &a->n);
        return rc ? rc : read_line(vm, &a->p2, &a->n2);
    }
    case ARG_ULEN:
    case ARG_SLEN: {
        uint64_t len;
        if (!npg__cur_le(&vm->cur, sz, &len)) return short_read(vm, sz);
        if (info->arg == ARG_SLEN && (len >> (8 * sz - 1) & 1))
            return npg__fail(vm, NPG_E_NEGATIVE_LENGTH, "%s has a negative length", info->name);
        /* the limit first, so a 2^62-byte claim is named as such; then the input */
        bool is_long = vm->op == OP_LONG1 || vm->op == OP_LONG4;
        uint64_t max = is_long ? vm->lim->max_long_bytes : vm->lim->max_string_len;
        if (len > max)
            return npg__fail(vm, is_long ? NPG_E_LIMIT_LONG : NPG_E_LIMIT_STRING,
                             "%s of %llu bytes is beyond the limit of %llu", info->name,
                             (unsigned long long)len, (unsigned long long)max);
        if (!npg__cur_bytes(&vm->cur, len, &a->p)) return short_read(vm, len);
        a->u = len;
        a->n = (size_t)len;
        return NPG_OK;
    }
    }
    return npg__fail(vm, NPG_E_INTERNAL, "bad argument kind");
}

/* ------------------------------------------------------------------ small helpers */

static int diag_fail(npg_vm *vm, int rc)
{
    if (rc == NPG_E_NOMEM || rc == NPG_E_LIMIT_ALLOC) return npg__fail_alloc(vm);
    return npg__fail(vm, rc, "%s", vm->diag.msg);
}

static npg_value *new_bytes(npg_vm *vm, int kind, const uint8_t *p, uint64_t n, bool borrowed)
{
    npg_value *v = npg__new(vm, kind);
    if (v) {
        v->u.s.p = p;
        v->u.s.n = n;
        if (borrowed) v->flags |= NPG_VF_BORROWED;
    }
    return v;
}

static uint8_t *scratch(npg_vm *vm, size_t n)
{
    uint8_t *p = npg__arena_alloc(vm->arena, n ? n : 1);
    if (!p) npg__fail_alloc(vm);
    return p;
}

/* Escaped "module.name" for messages and findings. */
static void global_name(char *out, size_t cap, const uint8_t *m, size_t mn, const uint8_t *n, size_t nn)
{
    size_t k = npg__escape(out, cap, m, mn);
    if (k + 1 < cap) {
        out[k++] = '.';
        npg__escape(out + k, cap - k, n, nn);
    }
}

/* Opaque values made from a refused global carry its severity (high or critical) and its
 * "module.name"; those made otherwise (a refused opcode's result) have neither. */
static npg_severity opaque_severity(const npg_value *v)
{
    return v->sym >= NPG_SEV_HIGH && v->sym <= NPG_SEV_CRITICAL ? (npg_severity)v->sym : NPG_SEV_HIGH;
}

static const char *opaque_global(const npg_value *v)
{
    return v->kind == NPG_K_SYMBOL || (v->sym >= NPG_SEV_HIGH && v->sym <= NPG_SEV_CRITICAL) ? v->u.opq.name : NULL;
}

/* ------------------------------------------------------------------ handlers: control */

static int op_PROTO(npg_vm *vm, const npg_arg *a)
{
    if (vm->op_start != 0) return npg__fail(vm, NPG_E_PROTO, "PROTO is allowed only as the first opcode");
    if (a->u < 2 || a->u > 5)
        return npg__fail(vm, NPG_E_PROTO, "unsupported pickle protocol %llu", (unsigned long long)a->u);
    vm->proto = (int)a->u;
    return NPG_OK;
}

static int op_FRAME(npg_vm *vm, const npg_arg *a)
{
    if (vm->in_frame && vm->cur.pos < vm->frame_end)
        return npg__fail(vm, NPG_E_FRAME, "FRAME inside a frame that still has unread bytes");
    if (a->u > (uint64_t)(vm->cur.len - vm->cur.pos))
        return npg__fail(vm, NPG_E_TRUNCATED, "FRAME of %llu bytes but only %zu remain",
                         (unsigned long long)a->u, vm->cur.len - vm->cur.pos);
    vm->in_frame = true;
    vm->frame_end = vm->cur.pos + (size_t)a->u;
    vm->cur.end = vm->frame_end;
    return NPG_OK;
}

static int op_STOP(npg_vm *vm, const npg_arg *a)
{
    (void)a;
    if (vm->nmarks) return npg__fail(vm, NPG_E_STOP, "STOP with %zu open MARK(s)", vm->nmarks);
    if (vm->sp != 1) return npg__fail(vm, NPG_E_STOP, "STOP with %zu items on the stack (need 1)", vm->sp);
    if (vm->stack[0]->flags & NPG_VF_SYMBOL)
        return npg__fail(vm, NPG_E_CALL, "a class or function cannot be stored as data");
    if (vm->pending)
        return npg__fail(vm, NPG_E_PENDING, "%zu array(s)/dtype(s) never received their BUILD", vm->pending);
    vm->doc->root = vm->stack[0];
    vm->doc->end = vm->cur.pos;
    if (!(vm->flags & NPG_ALLOW_TRAILING) && vm->cur.pos < vm->cur.len) {
        vm->op_start = vm->cur.pos;
        vm->op = -1;
        return npg__fail(vm, NPG_E_TRAILING, "%zu byte(s) after STOP", vm->cur.len - vm->cur.pos);
    }
    return STOPPED;
}

/* ------------------------------------------------------------------ handlers: stack */

static int op_MARK(npg_vm *vm, const npg_arg *a)
{
    (void)a;
    if (vm->nmarks == vm->marks_cap) {
        if (vm->nmarks >= vm->lim->max_marks)
            return npg__fail(vm, NPG_E_LIMIT_MARKS, "more than %zu open MARKs", vm->lim->max_marks);
        size_t cap = vm->marks_cap ? vm->marks_cap * 2 : 16;
        if (cap > vm->lim->max_marks) cap = vm->lim->max_marks;
        size_t *m = npg__mem_realloc(&vm->doc->mem, vm->marks, vm->marks_cap * sizeof *m, cap * sizeof *m);
        if (!m) return npg__fail_alloc(vm);
        vm->marks = m;
        vm->marks_cap = cap;
    }
    vm->marks[vm->nmarks++] = vm->sp;
    return NPG_OK;
}

/* POP with nothing above the innermost MARK removes that MARK (CPython does, and its protocol-0
 * output for recursive tuples relies on it). */
static int op_POP(npg_vm *vm, const npg_arg *a)
{
    (void)a;
    if (avail(vm) == 0 && vm->nmarks) {
        vm->nmarks--;
        return NPG_OK;
    }
    npg_value **items = NULL;
    return pop_n(vm, 1, &items);
}

static int op_POP_MARK(npg_vm *vm, const npg_arg *a)
{
    (void)a;
    npg_value **items = NULL;
    size_t n = 0;
    return pop_mark(vm, &items, &n);
}

static int op_DUP(npg_vm *vm, const npg_arg *a)
{
    (void)a;
    int rc = need(vm, 1);
    return rc ? rc : push(vm, vm->stack[vm->sp - 1]);
}

/* ------------------------------------------------------------------ handlers: numbers */

static int op_NONE(npg_vm *vm, const npg_arg *a)
{
    (void)a;
    return push(vm, npg__new(vm, NPG_NONE));
}

static int push_bool(npg_vm *vm, bool b)
{
    npg_value *v = npg__new(vm, NPG_BOOL);
    if (v) v->u.b = b;
    return push(vm, v);
}

static int op_NEWTRUE(npg_vm *vm, const npg_arg *a) { (void)a; return push_bool(vm, true); }
static int op_NEWFALSE(npg_vm *vm, const npg_arg *a) { (void)a; return push_bool(vm, false); }
static int op_BININT(npg_vm *vm, const npg_arg *a) { return push(vm, npg__new_int(vm, a->s)); }
static int op_BININT1(npg_vm *vm, const npg_arg *a) { return push(vm, npg__new_int(vm, (int64_t)a->u)); }
static int op_BININT2(npg_vm *vm, const npg_arg *a) { return push(vm, npg__new_int(vm, (int64_t)a->u)); }

static int push_text_int(npg_vm *vm, const npg_arg *a, bool is_long)
{
    bool is_bool = false, fits = false;
    int64_t small = 0;
    size_t cap = npg__text_int_big_cap(a->n), big_len = 0;
    if (a->n > vm->lim->max_int_digits + 2)
        return npg__fail(vm, NPG_E_LIMIT_DIGITS, "integer text longer than %zu digits", vm->lim->max_int_digits);
    uint8_t *big = scratch(vm, cap);
    if (!big) return vm->doc->status;
    int rc = is_long ? npg__text_long(a->p, a->n, vm->lim->max_int_digits, &fits, &small, big, cap,
                                      &big_len, &vm->diag)
                     : npg__text_int(a->p, a->n, vm->lim->max_int_digits, &is_bool, &fits, &small,
                                     big, cap, &big_len, &vm->diag);
    if (rc) return diag_fail(vm, rc);
    if (is_bool) return push_bool(vm, small != 0);
    if (fits) return push(vm, npg__new_int(vm, small));
    return push(vm, npg__new_int_bytes(vm, big, big_len, true));
}

static int op_INT(npg_vm *vm, const npg_arg *a) { return push_text_int(vm, a, false); }
static int op_LONG(npg_vm *vm, const npg_arg *a) { return push_text_int(vm, a, true); }

/* LONG1/LONG4 payloads are two's complement already: reference them in place. */
static int op_LONG1(npg_vm *vm, const npg_arg *a) { return push(vm, npg__new_int_bytes(vm, a->p, a->n, true)); }
static int op_LONG4(npg_vm *vm, const npg_arg *a) { return push(vm, npg__new_int_bytes(vm, a->p, a->n, true)); }

static int push_float(npg_vm *vm, double d)
{
    npg_value *v = npg__new(vm, NPG_FLOAT);
    if (v) v->u.f = d;
    return push(vm, v);
}

static int op_FLOAT(npg_vm *vm, const npg_arg *a)
{
    double d;
    int rc = npg__text_float(a->p, a->n, &d, &vm->diag);
    return rc ? diag_fail(vm, rc) : push_float(vm, d);
}

static int op_BINFLOAT(npg_vm *vm, const npg_arg *a)
{
    uint64_t bits = 0;
    for (int i = 0; i < 8; i++) bits = bits << 8 | a->p[i]; /* big-endian IEEE 754 */
    double d;
    memcpy(&d, &bits, 8);
    return push_float(vm, d);
}

/* ------------------------------------------------------------------ handlers: str and bytes */

static int push_utf8(npg_vm *vm, const npg_arg *a)
{
    size_t bad;
    if (!npg__utf8_valid(a->p, a->n, &bad)) {
        /* point at the offending byte, not the opcode: a string may be megabytes long */
        vm->op_start = (size_t)(a->p - vm->cur.p) + bad;
        return npg__fail(vm, NPG_E_UTF8, "invalid UTF-8 in %s", npg__opinfo[vm->op].name);
    }
    return push(vm, new_bytes(vm, NPG_STR, a->p, a->n, true));
}

static int op_BINUNICODE(npg_vm *vm, const npg_arg *a) { return push_utf8(vm, a); }
static int op_SHORT_BINUNICODE(npg_vm *vm, const npg_arg *a) { return push_utf8(vm, a); }
static int op_BINUNICODE8(npg_vm *vm, const npg_arg *a) { return push_utf8(vm, a); }

/* Text arguments have no length field, but they are strings all the same. */
static int check_text_len(npg_vm *vm, const npg_arg *a)
{
    if ((uint64_t)a->n > vm->lim->max_string_len)
        return npg__fail(vm, NPG_E_LIMIT_STRING, "%s of %zu bytes is beyond the limit of %llu",
                         npg__opinfo[vm->op].name, a->n, (unsigned long long)vm->lim->max_string_len);
    return NPG_OK;
}

static int op_UNICODE(npg_vm *vm, const npg_arg *a)
{
    size_t cap, n;
    if (check_text_len(vm, a)) return vm->doc->status;
    if (!npg__mul_sz(a->n, 2, &cap)) return npg__fail(vm, NPG_E_LIMIT_ALLOC, "UNICODE too long");
    uint8_t *out = scratch(vm, cap);
    if (!out) return vm->doc->status;
    int rc = npg__text_unicode(a->p, a->n, out, cap, &n, &vm->diag);
    return rc ? diag_fail(vm, rc) : push(vm, new_bytes(vm, NPG_STR, out, n, false));
}

static int op_BINBYTES(npg_vm *vm, const npg_arg *a) { return push(vm, new_bytes(vm, NPG_BYTES, a->p, a->u, true)); }
static int op_SHORT_BINBYTES(npg_vm *vm, const npg_arg *a) { return op_BINBYTES(vm, a); }
static int op_BINBYTES8(npg_vm *vm, const npg_arg *a) { return op_BINBYTES(vm, a); }
static int op_BYTEARRAY8(npg_vm *vm, const npg_arg *a) { return push(vm, new_bytes(vm, NPG_BYTEARRAY, a->p, a->u, true)); }

/* A Python-2 str: raw bytes that become latin-1 text, or bytes with NPG_PY2_BYTES. The text
 * form is made now (ASCII needs no copy) so that the finished document is read-only. */
static int push_py2str(npg_vm *vm, const uint8_t *p, size_t n, bool borrowed)
{
    npg_value *v = new_bytes(vm, NPG_K_PY2STR, p, n, borrowed);
    if (!v) return npg__fail_alloc(vm);
    v->u.s.alt = p;
    v->u.s.alt_n = n;
    v->sym = (vm->flags & NPG_PY2_BYTES) != 0;
    if (!v->sym) {
        size_t i = 0;
        while (i < n && p[i] < 0x80) i++;
        if (i < n) {
            size_t cap;
            if (!npg__mul_sz(n, 2, &cap)) return npg__fail(vm, NPG_E_LIMIT_ALLOC, "string too long");
            uint8_t *u = scratch(vm, cap);
            if (!u) return vm->doc->status;
            v->u.s.alt = u;
            v->u.s.alt_n = npg__latin1_to_utf8(p, n, u);
        }
    }
    return push(vm, v);
}

static int op_STRING(npg_vm *vm, const npg_arg *a)
{
    size_t n = 0;
    if (check_text_len(vm, a)) return vm->doc->status;
    uint8_t *out = scratch(vm, a->n);
    if (!out) return vm->doc->status;
    int rc = npg__text_string(a->p, a->n, out, a->n, &n, &vm->diag);
    return rc ? diag_fail(vm, rc) : push_py2str(vm, out, n, false);
}

static int op_BINSTRING(npg_vm *vm, const npg_arg *a) { return push_py2str(vm, a->p, a->n, true); }
static int op_SHORT_BINSTRING(npg_vm *vm, const npg_arg *a) { return push_py2str(vm, a->p, a->n, true); }

/* ------------------------------------------------------------------ handlers: containers */

static int op_EMPTY_LIST(npg_vm *vm, const npg_arg *a) { (void)a; return push(vm, npg__new(vm, NPG_LIST)); }
static int op_EMPTY_DICT(npg_vm *vm, const npg_arg *a) { (void)a; return push(vm, npg__new(vm, NPG_DICT)); }
static int op_EMPTY_SET(npg_vm *vm, const npg_arg *a) { (void)a; return push(vm, npg__new(vm, NPG_SET)); }
static int op_EMPTY_TUPLE(npg_vm *vm, const npg_arg *a) { (void)a; return push(vm, npg__new_tuple(vm, NULL, 0)); }

static int tuple_n(npg_vm *vm, size_t n)
{
    npg_value **items = NULL;
    int rc = pop_n(vm, n, &items);
    return rc ? rc : push(vm, npg__new_tuple(vm, items, n));
}

static int op_TUPLE1(npg_vm *vm, const npg_arg *a) { (void)a; return tuple_n(vm, 1); }
static int op_TUPLE2(npg_vm *vm, const npg_arg *a) { (void)a; return tuple_n(vm, 2); }
static int op_TUPLE3(npg_vm *vm, const npg_arg *a) { (void)a; return tuple_n(vm, 3); }

static int op_TUPLE(npg_vm *vm, const npg_arg *a)
{
    (void)a;
    npg_value **items = NULL;
    size_t n = 0;
    int rc = pop_mark(vm, &items, &n);
    return rc ? rc : push(vm, npg__new_tuple(vm, items, n));
}

static int op_LIST(npg_vm *vm, const npg_arg *a)
{
    (void)a;
    npg_value **items = NULL;
    size_t n = 0;
    int rc = pop_mark(vm, &items, &n);
    if (rc) return rc;
    npg_value *list = npg__new(vm, NPG_LIST);
    if (!list) return npg__fail_alloc(vm);
    for (size_t i = 0; i < n && !rc; i++) rc = npg__seq_append(vm, list, items[i]);
    return rc ? rc : push(vm, list);
}

static int fill_dict(npg_vm *vm, npg_value *dict, npg_value **items, size_t n)
{
    if (n % 2) return npg__fail(vm, NPG_E_STACK, "%s with an odd number of items", npg__opinfo[vm->op].name);
    int rc = NPG_OK;
    for (size_t i = 0; i < n && !rc; i += 2) rc = npg__dict_set(vm, dict, items[i], items[i + 1]);
    return rc;
}

static int op_DICT(npg_vm *vm, const npg_arg *a)
{
    (void)a;
    npg_value **items = NULL;
    size_t n = 0;
    int rc = pop_mark(vm, &items, &n);
    if (rc) return rc;
    npg_value *dict = npg__new(vm, NPG_DICT);
    if (!dict) return npg__fail_alloc(vm);
    rc = fill_dict(vm, dict, items, n);
    return rc ? rc : push(vm, dict);
}

static int op_FROZENSET(npg_vm *vm, const npg_arg *a)
{
    (void)a;
    npg_value **items = NULL;
    size_t n = 0;
    int rc = pop_mark(vm, &items, &n);
    if (rc) return rc;
    npg_value *set = npg__new(vm, NPG_FROZENSET);
    if (!set) return npg__fail_alloc(vm);
    for (size_t i = 0; i < n && !rc; i++) rc = npg__set_add(vm, set, items[i]);
    return rc ? rc : push(vm, set);
}

/* The object a mutation opcode (APPEND, SETITEM, ADDITEMS...) works on must be one of ours:
 * CPython would call its append/__setitem__/add method, i.e. run code on anything else. */
static int check_target(npg_vm *vm, const npg_value *t, int kind1, int kind2, bool *skip)
{
    *skip = false;
    if (t->kind == kind1 || t->kind == kind2) return NPG_OK;
    if (t->kind == NPG_OPAQUE) {
        *skip = true;
        return npg__refuse(vm, NPG_E_TYPE, NPG_RULE_MUTATE, opaque_severity(t), opaque_global(t),
                           "%s calls a method of %s", npg__opinfo[vm->op].name, t->u.opq.name);
    }
    const char *k = t->kind < NPG_K_PY2STR ? npg_kind_name((npg_kind)t->kind) : "internal value";
    return npg__fail(vm, NPG_E_TYPE, "%s on a %s", npg__opinfo[vm->op].name, k);
}

static int op_APPEND(npg_vm *vm, const npg_arg *a)
{
    (void)a;
    npg_value **items = NULL;
    bool skip;
    int rc = need(vm, 2);
    if (rc) return rc;
    if ((rc = check_target(vm, vm->stack[vm->sp - 2], NPG_LIST, NPG_LIST, &skip))) return rc;
    if ((rc = pop_n(vm, 1, &items))) return rc;
    return skip ? NPG_OK : npg__seq_append(vm, vm->stack[vm->sp - 1], items[0]);
}

/* After popping a MARK, the target sits just below it and must not be under another MARK. */
static int marked_target(npg_vm *vm, npg_value ***items, size_t *n, npg_value **target)
{
    int rc = pop_mark(vm, items, n);
    if (!rc) rc = need(vm, 1);
    if (!rc) *target = vm->stack[vm->sp - 1];
    return rc;
}

static int op_APPENDS(npg_vm *vm, const npg_arg *a)
{
    (void)a;
    npg_value **items = NULL, *list = NULL;
    size_t n = 0;
    bool skip;
    int rc = marked_target(vm, &items, &n, &list);
    if (!rc) rc = check_target(vm, list, NPG_LIST, NPG_LIST, &skip);
    for (size_t i = 0; i < n && !rc && !skip; i++) rc = npg__seq_append(vm, list, items[i]);
    return rc;
}

static int op_SETITEM(npg_vm *vm, const npg_arg *a)
{
    (void)a;
    npg_value **items = NULL;
    bool skip;
    int rc = need(vm, 3);
    if (rc) return rc;
    if ((rc = check_target(vm, vm->stack[vm->sp - 3], NPG_DICT, NPG_ORDERED_DICT, &skip))) return rc;
    if ((rc = pop_n(vm, 2, &items))) return rc;
    return skip ? NPG_OK : npg__dict_set(vm, vm->stack[vm->sp - 1], items[0], items[1]);
}

static int op_SETITEMS(npg_vm *vm, const npg_arg *a)
{
    (void)a;
    npg_value **items = NULL, *dict = NULL;
    size_t n = 0;
    bool skip;
    int rc = marked_target(vm, &items, &n, &dict);
    if (!rc) rc = check_target(vm, dict, NPG_DICT, NPG_ORDERED_DICT, &skip);
    return rc || skip ? rc : fill_dict(vm, dict, items, n);
}

static int op_ADDITEMS(npg_vm *vm, const npg_arg *a)
{
    (void)a;
    npg_value **items = NULL, *set = NULL;
    size_t n = 0;
    bool skip;
    int rc = marked_target(vm, &items, &n, &set);
    if (!rc) rc = check_target(vm, set, NPG_SET, NPG_SET, &skip);
    for (size_t i = 0; i < n && !rc && !skip; i++) rc = npg__set_add(vm, set, items[i]);
    return rc;
}

/* ------------------------------------------------------------------ handlers: memo */

static int put(npg_vm *vm, uint64_t index)
{
    vm->memo_index = (int64_t)index;
    int rc = need(vm, 1);
    return rc ? rc : npg__memo_put(vm, index, vm->stack[vm->sp - 1]);
}

static int get(npg_vm *vm, uint64_t index)
{
    vm->memo_index = (int64_t)index;
    npg_value *v = npg__memo_get(&vm->memo, index);
    if (!v) return npg__fail(vm, NPG_E_MEMO, "memo index %llu was never stored", (unsigned long long)index);
    return push(vm, v);
}

static int text_index(npg_vm *vm, const npg_arg *a, uint64_t *index)
{
    int rc = npg__text_index(a->p, a->n, UINT32_MAX, index, &vm->diag);
    if (rc == NPG_E_SYNTAX && a->n > 10 && a->p[0] != '-') /* all digits but huge */
        rc = npg__diag(&vm->diag, NPG_E_LIMIT_MEMO, "memo index beyond the limit");
    return rc ? diag_fail(vm, rc) : NPG_OK;
}

static int op_PUT(npg_vm *vm, const npg_arg *a)
{
    uint64_t i;
    int rc = text_index(vm, a, &i);
    return rc ? rc : put(vm, i);
}

static int op_GET(npg_vm *vm, const npg_arg *a)
{
    uint64_t i;
    int rc = text_index(vm, a, &i);
    return rc ? rc : get(vm, i);
}

static int op_BINPUT(npg_vm *vm, const npg_arg *a) { return put(vm, a->u); }
static int op_LONG_BINPUT(npg_vm *vm, const npg_arg *a) { return put(vm, a->u); }
static int op_BINGET(npg_vm *vm, const npg_arg *a) { return get(vm, a->u); }
static int op_LONG_BINGET(npg_vm *vm, const npg_arg *a) { return get(vm, a->u); }
static int op_MEMOIZE(npg_vm *vm, const npg_arg *a) { (void)a; return put(vm, vm->memo.count); }

/* ------------------------------------------------------------------ handlers: globals */

/* Resolve (module, name) against the allowlist; anything else is refused (scan mode: an
 * opaque placeholder that remembers the name and its severity). */
static int resolve_global(npg_vm *vm, const uint8_t *m, size_t mn, const uint8_t *n, size_t nn)
{
    char name[200];
    global_name(name, sizeof name, m, mn, n, nn);
    npg_symbol sym = npg__lookup_global(m, mn, n, nn);
    if (sym != SYM_NONE) {
        int rc = npg__note(vm, NPG_RULE_GLOBAL_ALLOWED, name, "allowed global %s", name);
        npg_value *v = rc ? NULL : npg__new(vm, NPG_K_SYMBOL);
        if (v) {
            v->sym = (uint16_t)sym;
            v->flags |= NPG_VF_SYMBOL;
            v->u.opq.name = npg__arena_strdup(vm, name); /* the spelling, for findings */
            if (!v->u.opq.name) v = NULL;
        }
        return rc ? rc : push(vm, v);
    }
    npg_severity sev = npg_global_severity((const char *)m, mn, (const char *)n, nn);
    int rule = sev == NPG_SEV_CRITICAL ? NPG_RULE_GLOBAL_DANGEROUS : NPG_RULE_GLOBAL_UNKNOWN;
    int rc = npg__refuse(vm, NPG_E_GLOBAL, rule, sev, name, "global not allowed: %s", name);
    if (rc) return rc;
    char *keep = npg__arena_strdup(vm, name);
    npg_value *v = keep ? npg__new_opaque(vm, keep) : NULL;
    if (v) v->sym = (uint16_t)sev; /* opaque values carry the severity of what they stand for */
    return push(vm, v);
}

static int op_GLOBAL(npg_vm *vm, const npg_arg *a) { return resolve_global(vm, a->p, a->n, a->p2, a->n2); }

static int op_STACK_GLOBAL(npg_vm *vm, const npg_arg *a)
{
    (void)a;
    npg_value **items = NULL;
    int rc = pop_n(vm, 2, &items);
    if (rc) return rc;
    npg_value *m = items[0], *n = items[1];
    if (m->kind == NPG_STR && n->kind == NPG_STR)
        return resolve_global(vm, m->u.s.p, (size_t)m->u.s.n, n->u.s.p, (size_t)n->u.s.n);
    if ((m->flags | n->flags) & NPG_VF_OPAQUE) { /* a name computed by refused code */
        char name[200] = "?";
        npg_severity sev = NPG_SEV_HIGH;
        if (m->kind == NPG_STR) { /* the module is known: judge by it */
            size_t k = npg__escape(name, sizeof name - 2, m->u.s.p, (size_t)m->u.s.n);
            memcpy(name + k, ".?", 3);
            sev = npg_global_severity((const char *)m->u.s.p, (size_t)m->u.s.n, "?", 1);
            if (sev < NPG_SEV_HIGH) sev = NPG_SEV_HIGH;
        }
        int rule = sev == NPG_SEV_CRITICAL ? NPG_RULE_GLOBAL_DANGEROUS : NPG_RULE_GLOBAL_UNKNOWN;
        rc = npg__refuse(vm, NPG_E_GLOBAL, rule, sev, name,
                         "STACK_GLOBAL with a name computed by a refused call: %s", name);
        char *keep = rc ? NULL : npg__arena_strdup(vm, name);
        npg_value *v = keep ? npg__new_opaque(vm, keep) : NULL;
        if (v) v->sym = (uint16_t)sev;
        return rc ? rc : push(vm, v);
    }
    return npg__fail(vm, NPG_E_TYPE, "STACK_GLOBAL needs two str operands");
}

/* ------------------------------------------------------------------ handlers: calls */

static int op_REDUCE(npg_vm *vm, const npg_arg *a)
{
    (void)a;
    npg_value **items = NULL, *out = NULL;
    int rc = pop_n(vm, 2, &items);
    if (rc) return rc;
    npg_value *callable = items[0], *args = items[1];
    if (callable->kind == NPG_OPAQUE) {
        const char *g = callable->u.opq.name;
        rc = npg__refuse(vm, NPG_E_GLOBAL, NPG_RULE_CALL, opaque_severity(callable),
                         opaque_global(callable), "call of %s", g);
        npg_value *v = rc ? NULL : npg__new_opaque(vm, g);
        if (v) v->sym = callable->sym;
        return rc ? rc : push(vm, v);
    }
    if (callable->kind != NPG_K_SYMBOL)
        return npg__fail(vm, NPG_E_TYPE, "REDUCE of a value that is not an allowed callable");
    if (args->kind != NPG_TUPLE) {
        if (args->kind == NPG_OPAQUE) return push(vm, args);
        return npg__fail(vm, NPG_E_CALL, "REDUCE arguments are not a tuple");
    }
    if (args->flags & NPG_VF_OPAQUE) /* an argument was refused already: nothing to rebuild */
    {
        npg_value *v = npg__new_opaque(vm, callable->u.opq.name);
        if (v) v->sym = NPG_SEV_HIGH; /* stands for what this allowed global made of refused input */
        return push(vm, v);
    }
    rc = npg__reduce(vm, callable, args, &out);
    return rc ? rc : push(vm, out);
}

static int op_BUILD(npg_vm *vm, const npg_arg *a)
{
    (void)a;
    npg_value **items = NULL;
    int rc = need(vm, 2);
    if (rc) return rc;
    pop_n(vm, 1, &items);
    npg_value *state = items[0], *target = vm->stack[vm->sp - 1];
    if (target->kind == NPG_OPAQUE)
        return npg__refuse(vm, NPG_E_BUILD, NPG_RULE_BUILD, opaque_severity(target), opaque_global(target),
                           "BUILD (setstate) on %s", target->u.opq.name);
    if ((state->flags & NPG_VF_OPAQUE) && (target->flags & NPG_VF_PENDING)) {
        /* the state came from refused code: the object can only be a placeholder now */
        target->kind = NPG_OPAQUE;
        target->flags = NPG_VF_OPAQUE;
        target->u.opq.name = "array rebuilt from refused data";
        target->sym = 0; /* not a global: findings on it name none */
        vm->pending--;
        return NPG_OK;
    }
    return npg__build(vm, target, state);
}

/* ------------------------------------------------------------------ handlers: buffers */

static int op_NEXT_BUFFER(npg_vm *vm, const npg_arg *a)
{
    (void)a;
    if (vm->next_buffer >= vm->nbuffers) {
        int rc = npg__refuse(vm, NPG_E_BUFFER, NPG_RULE_BUFFER, NPG_SEV_MEDIUM, NULL,
                             "NEXT_BUFFER but %s out-of-band buffers were supplied",
                             vm->nbuffers ? "no more" : "no");
        return rc ? rc : push(vm, npg__new_opaque(vm, "buffer"));
    }
    const npg_buffer *b = &vm->buffers[vm->next_buffer++];
    npg_value *v = new_bytes(vm, NPG_K_BUFFER, b->data, b->len, true);
    if (v && b->readonly) v->flags |= NPG_VF_READONLY;
    return push(vm, v);
}

static int op_READONLY_BUFFER(npg_vm *vm, const npg_arg *a)
{
    (void)a;
    int rc = need(vm, 1);
    if (rc) return rc;
    npg_value *v = vm->stack[vm->sp - 1];
    if (v->kind == NPG_OPAQUE) return NPG_OK;
    if (v->kind != NPG_K_BUFFER) return npg__fail(vm, NPG_E_TYPE, "READONLY_BUFFER on something that is not a buffer");
    v->flags |= NPG_VF_READONLY;
    return NPG_OK;
}

/* ------------------------------------------------------------------ handlers: refused opcodes */

/* These opcodes import and/or call by construction (INST, OBJ, NEWOBJ, NEWOBJ_EX), consult the
 * process-wide copyreg registry (EXT*), or hand data to the application (PERSID). Scan mode
 * applies their stack effect with a placeholder so the rest of the file is still read. */
static int refuse_opcode(npg_vm *vm, int rule, npg_severity sev, const char *global, size_t pops, bool mark)
{
    npg_value **items = NULL;
    size_t n = 0;
    int rc = npg__refuse(vm, NPG_E_FORBIDDEN_OPCODE, rule, sev, global, "opcode %s is not allowed%s%s",
                         npg__opinfo[vm->op].name, global ? ": " : "", global ? global : "");
    if (rc) return rc;
    if (mark && (rc = pop_mark(vm, &items, &n))) return rc;
    if (mark && vm->op == OP_OBJ && n == 0) /* OBJ takes the class from above the MARK */
        return npg__fail(vm, NPG_E_STACK, "OBJ needs a class above its MARK");
    if (pops && (rc = pop_n(vm, pops, &items))) return rc;
    npg_value *v = npg__new_opaque(vm, global ? npg__arena_strdup(vm, global) : npg__opinfo[vm->op].name);
    if (v && global) v->sym = (uint16_t)(sev >= NPG_SEV_HIGH ? sev : NPG_SEV_HIGH);
    return push(vm, v);
}

/* The class an instantiating opcode names: an opaque (refused) global or an allowlisted one. */
static const npg_value *class_operand(npg_vm *vm, size_t at)
{
    if (at >= vm->sp) return NULL;
    const npg_value *v = vm->stack[at];
    return v->kind == NPG_OPAQUE || v->kind == NPG_K_SYMBOL ? v : NULL;
}

static int refuse_instantiation(npg_vm *vm, const npg_value *cls, size_t pops, bool mark)
{
    const char *name = cls ? opaque_global(cls) : NULL;
    npg_severity sev = cls && cls->kind == NPG_OPAQUE ? opaque_severity(cls) : NPG_SEV_HIGH;
    return refuse_opcode(vm, NPG_RULE_OPCODE_CALL, sev, name, pops, mark);
}

static int op_INST(npg_vm *vm, const npg_arg *a)
{
    char name[200];
    global_name(name, sizeof name, a->p, a->n, a->p2, a->n2);
    npg_severity sev = npg_global_severity((const char *)a->p, a->n, (const char *)a->p2, a->n2);
    if (sev == NPG_SEV_INFO) sev = NPG_SEV_HIGH;
    return refuse_opcode(vm, NPG_RULE_OPCODE_CALL, sev, name, 0, true);
}

static int op_OBJ(npg_vm *vm, const npg_arg *a)
{
    (void)a; /* the class is the first item above the MARK */
    return refuse_instantiation(vm, vm->nmarks ? class_operand(vm, vm->marks[vm->nmarks - 1]) : NULL, 0, true);
}

static int op_NEWOBJ(npg_vm *vm, const npg_arg *a)
{
    (void)a;
    return refuse_instantiation(vm, vm->sp >= 2 ? class_operand(vm, vm->sp - 2) : NULL, 2, false);
}

static int op_NEWOBJ_EX(npg_vm *vm, const npg_arg *a)
{
    (void)a;
    return refuse_instantiation(vm, vm->sp >= 3 ? class_operand(vm, vm->sp - 3) : NULL, 3, false);
}

static int op_EXT1(npg_vm *vm, const npg_arg *a) { (void)a; return refuse_opcode(vm, NPG_RULE_OPCODE_EXT, NPG_SEV_HIGH, NULL, 0, false); }
static int op_EXT2(npg_vm *vm, const npg_arg *a) { return op_EXT1(vm, a); }
static int op_EXT4(npg_vm *vm, const npg_arg *a) { return op_EXT1(vm, a); }
static int op_PERSID(npg_vm *vm, const npg_arg *a) { (void)a; return refuse_opcode(vm, NPG_RULE_OPCODE_PERSID, NPG_SEV_HIGH, NULL, 0, false); }
static int op_BINPERSID(npg_vm *vm, const npg_arg *a) { (void)a; return refuse_opcode(vm, NPG_RULE_OPCODE_PERSID, NPG_SEV_HIGH, NULL, 1, false); }

/* ------------------------------------------------------------------ dispatch */

static const op_handler handlers[256] = {
#define NPG_OP_HANDLER(name, byte, arg, argsize, proto, cls) [byte] = op_##name,
    NPG_PICKLE_OPS(NPG_OP_HANDLER)
#undef NPG_OP_HANDLER
};

/* Leave a frame whose bytes are used up, then fetch one opcode and its argument. */
static int fetch(npg_vm *vm, const npg_opinfo **info, npg_arg *a)
{
    uint8_t byte;
    if (vm->in_frame && vm->cur.pos == vm->frame_end) {
        vm->in_frame = false;
        vm->cur.end = vm->cur.len;
    }
    vm->op_start = vm->cur.pos;
    vm->op = -1;
    if (!npg__cur_u8(&vm->cur, &byte))
        return npg__fail(vm, NPG_E_TRUNCATED, "pickle data ends before STOP");
    vm->op = byte;
    *info = &npg__opinfo[byte];
    if (!(*info)->name) return npg__fail(vm, NPG_E_OPCODE, "byte 0x%02x is not a pickle opcode", byte);
    if (++vm->ops + vm->steps > vm->lim->max_ops)
        return npg__fail(vm, NPG_E_LIMIT_OPS, "more than %llu operations", (unsigned long long)vm->lim->max_ops);
    return read_arg(vm, *info, a);
}

/* Report one opcode to the trace: where it started, its argument bytes when they were read
 * (arg_end > at), and the VM's state once it ran or failed. */
static void trace(npg_vm *vm, size_t at, size_t arg_end, int rc)
{
    npg__trace_ev ev = {at, at < vm->cur.len ? vm->cur.p[at] : -1, NULL, 0, vm->sp, vm->nmarks,
                        vm->memo_index, rc == STOPPED ? NPG_OK : rc};
    if (arg_end > at) ev.arg = vm->cur.p + at + 1, ev.arglen = arg_end - at - 1;
    vm->trace(vm->trace_ud, &ev);
}

static int run(npg_vm *vm)
{
    for (;;) {
        const npg_opinfo *info;
        npg_arg a;
        size_t at = vm->cur.pos;
        vm->memo_index = -1;
        int rc = fetch(vm, &info, &a);
        size_t arg_end = rc ? at : vm->cur.pos;
        if (!rc) rc = handlers[vm->op](vm, &a);
        if (vm->trace) trace(vm, at, arg_end, rc);
        if (rc == STOPPED) return NPG_OK;
        if (rc) return rc;
    }
}

/* ------------------------------------------------------------------ entry point */

static void vm_release(npg_vm *vm)
{
    npg_mem *mem = &vm->doc->mem;
    npg__mem_free(mem, vm->stack, vm->stack_cap * sizeof *vm->stack);
    npg__mem_free(mem, vm->marks, vm->marks_cap * sizeof *vm->marks);
    npg__memo_release(vm);
    npg__mem_free(mem, vm->work, vm->work_cap * sizeof *vm->work);
    npg__mem_free(mem, vm->frames, vm->frames_cap * sizeof *vm->frames);
}

static int run_vm(npg_doc *doc, const npg_ctx *ctx, const uint8_t *buf, size_t len, unsigned flags,
                  const npg_buffer *buffers, size_t nbuffers, uint64_t base, npg__trace_fn tr, void *ud)
{
    npg_vm vm;
    memset(&vm, 0, sizeof vm);
    vm.trace = tr;
    vm.trace_ud = ud;
    vm.doc = doc;
    vm.lim = &ctx->limits;
    vm.arena = &doc->arena;
    vm.flags = flags;
    vm.scan = (flags & NPG_SCAN) != 0;
    vm.buffers = buffers;
    vm.nbuffers = nbuffers;
    vm.base = base;
    vm.op = -1; /* no opcode yet: errors before the first one report -1 */
    npg__cur_init(&vm.cur, buf ? buf : (const uint8_t *)"", len);

    int rc;
    /* the stack exists from the start, so that pointer arithmetic on it is always defined */
    vm.stack_cap = ctx->limits.max_stack < 64 ? ctx->limits.max_stack : 64;
    vm.stack = npg__mem_alloc(&doc->mem, vm.stack_cap * sizeof *vm.stack);
    if (!vm.stack) {
        vm.stack_cap = 0;
        rc = npg__fail_alloc(&vm);
    } else if ((uint64_t)len > ctx->limits.max_input) {
        rc = npg__fail(&vm, NPG_E_LIMIT_INPUT, "input of %zu bytes is beyond the limit of %llu", len,
                       (unsigned long long)ctx->limits.max_input);
    } else {
        rc = run(&vm);
    }
    vm_release(&vm);
    doc->ops += vm.ops;
    doc->protocol = vm.proto;
    doc->status = rc;
    if (rc != NPG_OK) doc->root = NULL;
    return rc;
}

int npg__pickle_run(npg_doc *doc, const npg_ctx *ctx, const uint8_t *buf, size_t len,
                    unsigned flags, const npg_buffer *buffers, size_t nbuffers, uint64_t base)
{
    return run_vm(doc, ctx, buf, len, flags, buffers, nbuffers, base, NULL, NULL);
}

int npg__pickle_run_traced(npg_doc *doc, const npg_ctx *ctx, const uint8_t *buf, size_t len,
                           unsigned flags, npg__trace_fn tr, void *ud)
{
    return run_vm(doc, ctx, buf, len, flags, NULL, 0, 0, tr, ud);
}

NPG_API int npg_pickle_load(const npg_ctx *ctx, const uint8_t *buf, size_t len,
                            const npg_pickle_opts *opts, npg_doc **out, npg_error *err)
{
    static const npg_pickle_opts no_opts = {0, NULL, 0};
    if (out) *out = NULL;
    if (!ctx || !out || (!buf && len)) {
        npg__error_plain(err, NPG_E_INVALID, "invalid argument");
        return NPG_E_INVALID;
    }
    if (!opts) opts = &no_opts;
    if ((opts->flags & ~(unsigned)(NPG_SCAN | NPG_ALLOW_TRAILING | NPG_PY2_BYTES)) ||
        (opts->nbuffers && !opts->buffers)) {
        npg__error_plain(err, NPG_E_INVALID, "invalid options");
        return NPG_E_INVALID;
    }
    npg_doc *doc = npg__doc_new(ctx);
    if (!doc) {
        npg__error_plain(err, NPG_E_NOMEM, "out of memory");
        return NPG_E_NOMEM;
    }
    int rc = npg__pickle_run(doc, ctx, buf, len, opts->flags, opts->buffers, opts->nbuffers, 0);
    return npg__doc_finish(doc, rc, opts->flags, out, err);
}
