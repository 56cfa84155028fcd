/* Opcode handlers: control (PROTO, FRAME, STOP), the stack (MARK, POP, POP_MARK, DUP), numbers
 * and strings. Text arguments are read by the strict grammars (text.h); where those refuse, scan
 * mode asks what CPython reads (text_cpython.h) and goes on with that value. */
#include <string.h>

#include "../common/checked.h"
#include "ops.h"
#include "text.h"
#include "text_cpython.h"

/* ------------------------------------------------------------------ helpers */

static int diag_fail(npg_vm *vm, int rc)
{
    if (rc == NPG_E_NOMEM || rc == NPG_E_LIMIT_ALLOC) return npg__fail_alloc(vm);
    return npg__fail(vm, rc, "%s", vm->diag.msg);
}

static uint8_t *scratch(npg_vm *vm, size_t n)
{
    uint8_t *p = npg__arena_alloc(vm->arena, n ? n : 1);
    if (!p) npg__fail_alloc(vm);
    return p;
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

/* A strict grammar refused the text (rc, message in vm->diag): in scan mode, where CPython reads
 * it all the same (cpy == NPG_CPY_OK), the refusal becomes a finding and NPG_OK is returned. */
static int text_refused(npg_vm *vm, int rc, npg_cpy_rc cpy)
{
    if (!vm->scan || rc != NPG_E_SYNTAX || cpy == NPG_CPY_REFUSED) return diag_fail(vm, rc);
    if (cpy == NPG_CPY_LIMIT)
        return npg__fail(vm, NPG_E_LIMIT_DIGITS, "%s argument beyond npguard's limits", npg__opinfo[vm->op].name);
    return npg__strict(vm, rc, "%s", vm->diag.msg);
}

/* ------------------------------------------------------------------ control */

int npg__op_PROTO(npg_vm *vm, const npg_arg *a)
{
    if (a->u > 5) return npg__fail(vm, NPG_E_PROTO, "unsupported pickle protocol %llu", (unsigned long long)a->u);
    int rc = NPG_OK;
    /* CPython takes PROTO anywhere, and 0 or 1 too; its pickler writes it first, for 2-5 */
    if (vm->op_start != 0) rc = npg__strict(vm, NPG_E_PROTO, "PROTO is allowed only as the first opcode");
    else if (a->u < 2) rc = npg__strict(vm, NPG_E_PROTO, "unsupported pickle protocol %llu", (unsigned long long)a->u);
    if (rc == NPG_OK) vm->proto = (int)a->u;
    return rc;
}

int npg__op_FRAME(npg_vm *vm, const npg_arg *a) { return npg__frame_start(vm, a->u); }

/* CPython's STOP returns the top item above the innermost MARK, whatever else is left; npguard
 * wants exactly one object, no MARK, and every array and dtype completed. */
static int stop_strict(npg_vm *vm)
{
    int rc = NPG_OK;
    if (vm->nmarks) rc = npg__strict(vm, NPG_E_STOP, "STOP with %zu open MARK(s)", vm->nmarks);
    if (!rc && vm->sp != 1) rc = npg__strict(vm, NPG_E_STOP, "STOP with %zu items on the stack (need 1)", vm->sp);
    const npg_value *top = npg__top(vm, 0);
    if (!rc && (top->flags & NPG_VF_SYMBOL) && !(vm->scan && top->kind != NPG_K_SYMBOL))
        rc = npg__strict(vm, NPG_E_CALL, "a class or function cannot be stored as data");
    if (!rc && vm->pending)
        rc = npg__strict(vm, NPG_E_PENDING, "%zu array(s)/dtype(s) never received their BUILD", vm->pending);
    return rc;
}

/* pickle.dump ends its last frame right after STOP. A STOP with bytes of its frame unread leaves
 * a file that is loaded again in two places: after the STOP (pickle.loads, a peeked file) or at
 * the frame's end (a frame read with read()). Scan mode notes where else the next pickle may
 * start; a later reading of the frames notes its own end (the audit scans from each). */
static int stop_in_frame(npg_vm *vm)
{
    if (!vm->scan) {
        if (vm->in_frame && vm->cur.pos < vm->frame_end)
            return npg__fail(vm, NPG_E_FRAME, "STOP with %zu byte(s) of its frame unread", vm->frame_end - vm->cur.pos);
        return NPG_OK;
    }
    if (vm->alt_reading) npg__doc_add_next_start(vm->doc, vm->cur.pos);
    if (vm->in_buf && vm->cur.pos < vm->buf_end) npg__doc_add_next_start(vm->doc, vm->buf_end);
    if (vm->in_frame && vm->cur.pos < vm->frame_end)
        return npg__strict(vm, NPG_E_FRAME, "STOP with %zu byte(s) of its frame unread", vm->frame_end - vm->cur.pos);
    return NPG_OK;
}

int npg__op_STOP(npg_vm *vm, const npg_arg *a)
{
    (void)a;
    if (npg__avail(vm) == 0)
        return vm->nmarks ? npg__fail(vm, NPG_E_STOP, "STOP with %zu open MARK(s) and nothing above the last", vm->nmarks)
                          : npg__fail(vm, NPG_E_STOP, "STOP with %zu items on the stack (need 1)", vm->sp);
    int rc = stop_strict(vm);
    if (!rc) rc = stop_in_frame(vm);
    if (rc) return rc;
    vm->doc->root = npg__top(vm, 0);
    vm->doc->end = vm->cur.pos;
    if (!(vm->flags & NPG_ALLOW_TRAILING) && vm->cur.pos < vm->cur.len) {
        vm->op_start = vm->cur.pos; /* pickle.load stops reading here; bytes after it are no pickle's */
        vm->op = -1;
        rc = npg__strict(vm, NPG_E_TRAILING, "%zu byte(s) after STOP", vm->cur.len - vm->cur.pos);
    }
    return rc ? rc : NPG_STOPPED;
}

/* ------------------------------------------------------------------ stack */

int npg__op_MARK(npg_vm *vm, const npg_arg *a)
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
int npg__op_POP(npg_vm *vm, const npg_arg *a)
{
    (void)a;
    if (npg__avail(vm) == 0 && vm->nmarks) {
        vm->nmarks--;
        return NPG_OK;
    }
    npg_value **items = NULL;
    return npg__pop_n(vm, 1, &items);
}

int npg__op_POP_MARK(npg_vm *vm, const npg_arg *a)
{
    (void)a;
    npg_value **items = NULL;
    size_t n = 0;
    return npg__pop_mark(vm, &items, &n);
}

int npg__op_DUP(npg_vm *vm, const npg_arg *a)
{
    (void)a;
    int rc = npg__need(vm, 1);
    return rc ? rc : npg__push(vm, npg__top(vm, 0));
}

/* ------------------------------------------------------------------ numbers */

int npg__op_NONE(npg_vm *vm, const npg_arg *a)
{
    (void)a;
    return npg__push(vm, npg__new(vm, NPG_NONE));
}

static int push_bool(npg_vm *vm, bool b)
{
    npg_value *v = npg__new(vm, NPG_BOOL);
    if (v) v->u.b = b;
    return npg__push(vm, v);
}

int npg__op_NEWTRUE(npg_vm *vm, const npg_arg *a) { (void)a; return push_bool(vm, true); }
int npg__op_NEWFALSE(npg_vm *vm, const npg_arg *a) { (void)a; return push_bool(vm, false); }
int npg__op_BININT(npg_vm *vm, const npg_arg *a) { return npg__push(vm, npg__new_int(vm, a->s)); }
int npg__op_BININT1(npg_vm *vm, const npg_arg *a) { return npg__push(vm, npg__new_int(vm, (int64_t)a->u)); }
int npg__op_BININT2(npg_vm *vm, const npg_arg *a) { return npg__push(vm, npg__new_int(vm, (int64_t)a->u)); }

/* The integer CPython made of a text argument the strict grammar refused. */
static int push_cpy_int(npg_vm *vm, const npg_cpy_int *c, const uint8_t *big)
{
    if (c->is_bool) return push_bool(vm, c->small != 0);
    if (c->fits) return npg__push(vm, npg__new_int(vm, c->small));
    return npg__push(vm, npg__new_int_bytes(vm, big, c->big_len, true));
}

static int push_text_int(npg_vm *vm, const npg_arg *a, bool is_long)
{
    bool is_bool = false, fits = false;
    int64_t small = 0;
    size_t cap = npg__cpy_int_big_cap(a->n), big_len = 0;
    /* decode mode: no text that long can be within the digit limit. A scan reads CPython's
     * forms too (spaces, underscores, hex of any length), so there the grammars decide. */
    if (!vm->scan && a->n > vm->lim->max_int_digits + 2)
        return npg__fail(vm, NPG_E_LIMIT_DIGITS, "integer text longer than %zu digits", vm->lim->max_int_digits);
    uint8_t *big = scratch(vm, cap);
    if (!big) return vm->doc->status;
    int rc = is_long ? npg__text_long(a->p, a->n, vm->lim->max_int_digits, &fits, &small, big, cap,
                                      &big_len, &vm->diag)
                     : npg__text_int(a->p, a->n, vm->lim->max_int_digits, &is_bool, &fits, &small,
                                     big, cap, &big_len, &vm->diag);
    if (rc) {
        npg_cpy_int c;
        npg_cpy_rc cpy = vm->scan ? (is_long ? npg__cpy_long : npg__cpy_int)(a->p, a->n, vm->lim->max_int_digits,
                                                                            &c, big, cap)
                                  : NPG_CPY_REFUSED;
        rc = text_refused(vm, rc, cpy);
        if (!rc && !c.fits && !c.is_bool && c.big_len > vm->lim->max_long_bytes)
            return npg__fail(vm, NPG_E_LIMIT_LONG, "%s of %zu bytes is beyond the limit of %zu", npg__opinfo[vm->op].name,
                             c.big_len, vm->lim->max_long_bytes);
        return rc ? rc : push_cpy_int(vm, &c, big);
    }
    if (is_bool) return push_bool(vm, small != 0);
    if (fits) return npg__push(vm, npg__new_int(vm, small));
    return npg__push(vm, npg__new_int_bytes(vm, big, big_len, true));
}

int npg__op_INT(npg_vm *vm, const npg_arg *a) { return push_text_int(vm, a, false); }
int npg__op_LONG(npg_vm *vm, const npg_arg *a) { return push_text_int(vm, a, true); }

/* LONG1/LONG4 payloads are two's complement already: reference them in place. */
int npg__op_LONG1(npg_vm *vm, const npg_arg *a) { return npg__push(vm, npg__new_int_bytes(vm, a->p, a->n, true)); }
int npg__op_LONG4(npg_vm *vm, const npg_arg *a) { return npg__push(vm, npg__new_int_bytes(vm, a->p, a->n, true)); }

static int push_float(npg_vm *vm, double d)
{
    npg_value *v = npg__new(vm, NPG_FLOAT);
    if (v) v->u.f = d;
    return npg__push(vm, v);
}

int npg__op_FLOAT(npg_vm *vm, const npg_arg *a)
{
    double d = 0;
    int rc = npg__text_float(a->p, a->n, &d, &vm->diag);
    if (rc) {
        npg_cpy_rc cpy = NPG_CPY_REFUSED;
        if (vm->scan) {
            char *buf = (char *)scratch(vm, a->n + 1);
            if (!buf) return vm->doc->status;
            cpy = npg__cpy_float(a->p, a->n, buf, a->n + 1, &d);
        }
        if ((rc = text_refused(vm, rc, cpy))) return rc;
    }
    return push_float(vm, d);
}

int npg__op_BINFLOAT(npg_vm *vm, const npg_arg *a)
{
    uint64_t bits = 0;
    for (int i = 0; i < 8; i++) bits = bits << 8 | a->p[i]; /* big-endian IEEE 754 */
    double d;
    memcpy(&d, &bits, 8);
    return push_float(vm, d);
}

/* ------------------------------------------------------------------ str and bytes */

static int push_utf8(npg_vm *vm, const npg_arg *a)
{
    size_t bad;
    if (!npg__utf8_valid(a->p, a->n, &bad)) {
        /* point at the offending byte, not the opcode: a string may be megabytes long */
        vm->op_start = (size_t)(a->p - vm->cur.p) + bad;
        return npg__fail(vm, NPG_E_UTF8, "invalid UTF-8 in %s", npg__opinfo[vm->op].name);
    }
    return npg__push(vm, new_bytes(vm, NPG_STR, a->p, a->n, true));
}

int npg__op_BINUNICODE(npg_vm *vm, const npg_arg *a) { return push_utf8(vm, a); }
int npg__op_SHORT_BINUNICODE(npg_vm *vm, const npg_arg *a) { return push_utf8(vm, a); }
int npg__op_BINUNICODE8(npg_vm *vm, const npg_arg *a) { return push_utf8(vm, a); }

/* Text arguments have no length field, but they are strings all the same. */
static int check_text_len(npg_vm *vm, const npg_arg *a)
{
    if ((uint64_t)a->n > vm->lim->max_string_len)
        return npg__fail(vm, NPG_E_LIMIT_STRING, "%s of %zu bytes is beyond the limit of %llu",
                         npg__opinfo[vm->op].name, a->n, (unsigned long long)vm->lim->max_string_len);
    return NPG_OK;
}

/* raw-unicode-escape: the strict reading is CPython's own (every refusal is one CPython makes). */
int npg__op_UNICODE(npg_vm *vm, const npg_arg *a)
{
    size_t cap, n;
    if (check_text_len(vm, a)) return vm->doc->status;
    if (!npg__mul_sz(a->n, 2, &cap)) return npg__fail(vm, NPG_E_LIMIT_ALLOC, "UNICODE too long");
    uint8_t *out = scratch(vm, cap);
    if (!out) return vm->doc->status;
    int rc = npg__text_unicode(a->p, a->n, out, cap, &n, &vm->diag);
    return rc ? diag_fail(vm, rc) : npg__push(vm, new_bytes(vm, NPG_STR, out, n, false));
}

int npg__op_BINBYTES(npg_vm *vm, const npg_arg *a) { return npg__push(vm, new_bytes(vm, NPG_BYTES, a->p, a->u, true)); }
int npg__op_SHORT_BINBYTES(npg_vm *vm, const npg_arg *a) { return npg__op_BINBYTES(vm, a); }
int npg__op_BINBYTES8(npg_vm *vm, const npg_arg *a) { return npg__op_BINBYTES(vm, a); }
int npg__op_BYTEARRAY8(npg_vm *vm, const npg_arg *a) { return npg__push(vm, new_bytes(vm, NPG_BYTEARRAY, a->p, a->u, true)); }

/* A Python-2 str: raw bytes that become latin-1 text, or bytes with NPG_PY2_BYTES. The text
 * form is made now (ASCII needs no copy) so that the finished document is read-only. (CPython's
 * default encoding='ASCII' refuses non-ASCII bytes here; latin-1 is NumPy's advice for Python-2
 * pickles, and the scan reads on as a loader following it would.) */
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
    return npg__push(vm, v);
}

int npg__op_STRING(npg_vm *vm, const npg_arg *a)
{
    size_t n = 0;
    if (check_text_len(vm, a)) return vm->doc->status;
    uint8_t *out = scratch(vm, a->n);
    if (!out) return vm->doc->status;
    int rc = npg__text_string(a->p, a->n, out, a->n, &n, &vm->diag);
    if (rc) {
        npg_cpy_rc cpy = vm->scan ? npg__cpy_string(a->p, a->n, out, a->n, &n) : NPG_CPY_REFUSED;
        if ((rc = text_refused(vm, rc, cpy))) return rc;
    }
    return push_py2str(vm, out, n, false);
}

int npg__op_BINSTRING(npg_vm *vm, const npg_arg *a) { return push_py2str(vm, a->p, a->n, true); }

int npg__op_SHORT_BINSTRING(npg_vm *vm, const npg_arg *a) { return push_py2str(vm, a->p, a->n, true); }
