/* Opcode handlers that name globals or call things: GLOBAL, STACK_GLOBAL, INST (find_class),
 * REDUCE, BUILD, OBJ, NEWOBJ, NEWOBJ_EX, and the hooks pickle.load has none of by default
 * (PERSID/BINPERSID: persistent_load; EXT1/2/4: the copyreg registry; NEXT_BUFFER: buffers).
 *
 * Decode mode refuses everything outside the allowlist. Scan mode reports it and goes on with a
 * placeholder, following CPython: find_class is reached exactly where CPython reaches it (INST
 * looks for its MARK first, STACK_GLOBAL wants two str, GLOBAL two UTF-8 lines), and where
 * CPython would raise (calling an int, NEWOBJ of a function) the run stops, so nothing after it
 * is reported as an import. Past a missing hook the scan reads on, as a loader that has the hook
 * (torch.load's persistent_load) would: imports there are reported too. */
#include <string.h>

#include "../common/checked.h"
#include "globals.h"
#include "ident.h"
#include "ops.h"
#include "text.h"

/* ------------------------------------------------------------------ find_class */

/* find_class(module, name) with the exact strings: an allowlisted pair becomes its symbol; any
 * other pair is refused (NPG002/NPG003, a placeholder carrying the name and severity) unless, in
 * scan mode, no import could find such a module: CPython stops there (NPG011, NPG_E_IMPORT). */
static int find_class(npg_vm *vm, const uint8_t *m, size_t mn, const uint8_t *n, size_t nn, npg_value **out)
{
    char text[200];
    npg_symbol sym = npg__lookup_global(m, mn, n, nn);
    /* Python 3 has no module __builtin__: CPython maps Python 2's names (fix_imports) only while
     * the pickle's protocol, as its last PROTO said, is below 3 */
    if (sym != SYM_NONE && vm->proto >= 3 && mn == 11 && memcmp(m, "__builtin__", 11) == 0) sym = SYM_NONE;
    npg_value *v = npg__new_named(vm, sym != SYM_NONE ? NPG_K_SYMBOL : NPG_OPAQUE, m, mn, n, nn);
    if (!v) return npg__fail_alloc(vm);
    npg__name_text(text, sizeof text, v);
    *out = v;
    if (sym != SYM_NONE) {
        v->sym = (uint16_t)sym;
        /* classes and functions are never data; the types kept as values are */
        if (!npg__symbol_is_data(sym)) v->flags |= NPG_VF_SYMBOL;
        vm->imports++;
        return npg__note(vm, NPG_RULE_GLOBAL_ALLOWED, v, "allowed global %s", text);
    }
    if (vm->scan && !npg__module_importable(m, mn)) {
        v->sym = NPG_SEV_LOW; /* named in the finding, but no refused global */
        int rc = npg__finding(vm, NPG_RULE_GLOBAL_UNIMPORTABLE, NPG_SEV_LOW, v,
                              "module name is not a dotted sequence of identifiers: %s", text);
        return rc ? rc : npg__fail(vm, NPG_E_IMPORT, "no module can be named as in %s: the import fails", text);
    }
    vm->imports++;
    npg_severity sev = npg_global_severity((const char *)m, mn, (const char *)n, nn);
    if (sev == NPG_SEV_INFO) sev = NPG_SEV_HIGH; /* an allowlisted Python-2 name in protocol 3+ */
    v->sym = (uint16_t)sev;
    int rule = sev == NPG_SEV_CRITICAL ? NPG_RULE_GLOBAL_DANGEROUS : NPG_RULE_GLOBAL_UNKNOWN;
    return npg__refuse(vm, NPG_E_GLOBAL, rule, sev, v, "global not allowed: %s", text);
}

/* UTF-8 as Python's strict decoder takes it: no surrogates (ED A0-BF), unlike BINUNICODE. */
static bool utf8_strict(const uint8_t *p, size_t n)
{
    if (!npg__utf8_valid(p, n, NULL)) return false;
    for (size_t i = 0; i + 1 < n; i++)
        if (p[i] == 0xED && p[i + 1] >= 0xA0) return false;
    return true;
}

static bool ascii(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] >= 0x80) return false;
    return true;
}

/* The two lines of GLOBAL (UTF-8) and INST (ASCII): CPython refuses an empty line or one that
 * does not decode before it calls find_class. */
static int check_lines(npg_vm *vm, const npg_arg *a, bool ascii_only)
{
    const char *op = npg__opinfo[vm->op].name;
    if (a->n == 0 || a->n2 == 0) return npg__fail(vm, NPG_E_SYNTAX, "%s with an empty module or name line", op);
    bool ok = ascii_only ? ascii(a->p, a->n) && ascii(a->p2, a->n2) : utf8_strict(a->p, a->n) && utf8_strict(a->p2, a->n2);
    if (!ok) return npg__fail(vm, NPG_E_UTF8, ascii_only ? "%s names that are not ASCII" : "%s names that are not UTF-8", op);
    return NPG_OK;
}

int npg__op_GLOBAL(npg_vm *vm, const npg_arg *a)
{
    npg_value *v = NULL;
    int rc = vm->scan ? check_lines(vm, a, false) : NPG_OK;
    if (!rc) rc = find_class(vm, a->p, a->n, a->p2, a->n2, &v);
    return rc ? rc : npg__push(vm, v);
}

/* The str CPython would pass for a STACK_GLOBAL operand: a str, or a Python-2 str (which
 * Python 3 decodes to str: ASCII by default, latin-1 as NumPy advises). */
static bool str_operand(const npg_value *v, const uint8_t **p, size_t *n)
{
    if (v->kind == NPG_STR) return npg__as_text(v, p, n);
    if (v->kind == NPG_K_PY2STR && !v->sym) {
        *p = v->u.s.alt;
        return npg__u64_to_sz(v->u.s.alt_n, n);
    }
    return false;
}

/* A name computed by refused code: judged by the module when that one is known. */
static int computed_global(npg_vm *vm, const npg_value *m)
{
    const uint8_t *mp = (const uint8_t *)"?";
    size_t mn = 1;
    str_operand(m, &mp, &mn);
    npg_value *v = npg__new_named(vm, NPG_OPAQUE, mp, mn, (const uint8_t *)"?", 1);
    if (!v) return npg__fail_alloc(vm);
    npg_severity sev = npg_global_severity((const char *)mp, mn, "?", 1);
    if (sev < NPG_SEV_HIGH) sev = NPG_SEV_HIGH;
    v->sym = (uint16_t)sev;
    vm->imports++;
    char text[200];
    npg__name_text(text, sizeof text, v);
    int rule = sev == NPG_SEV_CRITICAL ? NPG_RULE_GLOBAL_DANGEROUS : NPG_RULE_GLOBAL_UNKNOWN;
    int rc = npg__refuse(vm, NPG_E_GLOBAL, rule, sev, v, "STACK_GLOBAL with a name computed by a refused call: %s", text);
    return rc ? rc : npg__push(vm, v);
}

int npg__op_STACK_GLOBAL(npg_vm *vm, const npg_arg *a)
{
    (void)a;
    npg_value **items = NULL, *v = NULL;
    int rc = npg__pop_n(vm, 2, &items);
    if (rc) return rc;
    npg_value *m = items[0], *n = items[1];
    const uint8_t *mp, *np;
    size_t mn, nn;
    bool ms = str_operand(m, &mp, &mn), ns = str_operand(n, &np, &nn);
    if (ms && ns) {
        if ((m->kind != NPG_STR || n->kind != NPG_STR) &&
            (rc = npg__strict(vm, NPG_E_TYPE, "STACK_GLOBAL with Python-2 str operands")))
            return rc;
        rc = find_class(vm, mp, mn, np, nn, &v);
        return rc ? rc : npg__push(vm, v);
    }
    if ((ms || m->kind == NPG_OPAQUE) && (ns || n->kind == NPG_OPAQUE)) return computed_global(vm, m);
    return npg__fail(vm, NPG_E_TYPE, "STACK_GLOBAL needs two str operands");
}

/* ------------------------------------------------------------------ instantiation */

/* What calling cls (INST, OBJ, NEWOBJ, NEWOBJ_EX) makes: a refused global's class is reported
 * with that global's severity (NPG005); an allowlisted class or function called directly is
 * something NumPy never writes (medium: pickle.load would run NumPy's constructor on the file's
 * arguments); anything else is not callable and CPython raises. */
static int instantiate(npg_vm *vm, const npg_value *cls)
{
    const char *op = npg__opinfo[vm->op].name;
    char text[200];
    int rc;
    if (cls->kind == NPG_OPAQUE) {
        bool named = npg__from_global(cls);
        npg__name_text(text, sizeof text, cls);
        rc = npg__finding(vm, NPG_RULE_OPCODE_CALL, named ? (npg_severity)cls->sym : NPG_SEV_MEDIUM,
                          named ? cls : NULL, "opcode %s calls %s", op, text);
        npg_value *v = named ? npg__new_derived(vm, cls) : npg__new_opaque(vm, "instance of a placeholder");
        return rc ? rc : npg__push(vm, v);
    }
    if (cls->kind != NPG_K_SYMBOL)
        return npg__fail(vm, NPG_E_TYPE, "opcode %s calls a value that is not callable", op);
    npg__name_text(text, sizeof text, cls);
    rc = npg__finding(vm, NPG_RULE_OPCODE_CALL, NPG_SEV_MEDIUM, cls,
                      "opcode %s calls the allowlisted %s directly, as NumPy never does", op, text);
    return rc ? rc : npg__push(vm, npg__new_opaque(vm, "instance made by a call opcode"));
}

/* Decode mode: every instantiating opcode is refused, naming the class when it is a global. */
static int refuse_call_opcode(npg_vm *vm, const npg_value *cls)
{
    char text[200] = "";
    if (cls && (cls->kind == NPG_K_SYMBOL || npg__from_global(cls))) npg__name_text(text, sizeof text, cls);
    return npg__fail(vm, NPG_E_FORBIDDEN_OPCODE, "opcode %s is not allowed%s%s", npg__opinfo[vm->op].name,
                     text[0] ? ": " : "", text);
}

int npg__op_INST(npg_vm *vm, const npg_arg *a)
{
    npg_value *cls = NULL, **items = NULL;
    size_t n = 0;
    if (!vm->scan) {
        char text[200];
        size_t k = npg__escape(text, sizeof text, a->p, a->n);
        if (k + 1 < sizeof text) text[k] = '.', npg__escape(text + k + 1, sizeof text - k - 1, a->p2, a->n2);
        return npg__fail(vm, NPG_E_FORBIDDEN_OPCODE, "opcode INST is not allowed: %s", text);
    }
    /* CPython looks for the MARK before it reads the names: "import os" stops right there */
    if (!vm->nmarks) return npg__fail(vm, NPG_E_MARK, "INST without a MARK");
    int rc = check_lines(vm, a, true);
    if (!rc) rc = find_class(vm, a->p, a->n, a->p2, a->n2, &cls);
    if (!rc) rc = npg__pop_mark(vm, &items, &n);
    return rc ? rc : instantiate(vm, cls);
}

int npg__op_OBJ(npg_vm *vm, const npg_arg *a)
{
    (void)a;
    npg_value **items = NULL;
    size_t n = 0;
    if (!vm->scan) return refuse_call_opcode(vm, vm->nmarks && vm->marks[vm->nmarks - 1] < vm->sp
                                                     ? vm->stack[vm->marks[vm->nmarks - 1]] : NULL);
    int rc = npg__pop_mark(vm, &items, &n);
    if (rc) return rc;
    if (n == 0) return npg__fail(vm, NPG_E_STACK, "OBJ needs a class above its MARK");
    return instantiate(vm, items[0]);
}

static bool known_not(const npg_value *v, int kind1, int kind2)
{
    return v->kind != NPG_OPAQUE && v->kind != kind1 && v->kind != kind2;
}

/* NEWOBJ(_EX): cls.__new__(cls, *args[, **kwargs]); CPython checks that cls is a type, args a
 * tuple and kwargs a dict, in that order. */
static int newobj(npg_vm *vm, size_t nops)
{
    npg_value **items = NULL;
    if (!vm->scan) return refuse_call_opcode(vm, vm->sp >= nops ? vm->stack[vm->sp - nops] : NULL);
    int rc = npg__pop_n(vm, nops, &items);
    if (rc) return rc;
    const npg_value *cls = items[0];
    const char *op = npg__opinfo[vm->op].name;
    if (cls->kind != NPG_OPAQUE && !(cls->kind == NPG_K_SYMBOL && npg__symbol_is_class((npg_symbol)cls->sym)))
        return npg__fail(vm, NPG_E_TYPE, "%s class argument is not a type", op);
    if (known_not(items[1], NPG_TUPLE, NPG_TUPLE)) return npg__fail(vm, NPG_E_TYPE, "%s arguments are not a tuple", op);
    if (nops == 3 && known_not(items[2], NPG_DICT, NPG_ORDERED_DICT))
        return npg__fail(vm, NPG_E_TYPE, "%s keyword arguments are not a dict", op);
    return instantiate(vm, cls);
}

int npg__op_NEWOBJ(npg_vm *vm, const npg_arg *a) { (void)a; return newobj(vm, 2); }
int npg__op_NEWOBJ_EX(npg_vm *vm, const npg_arg *a) { (void)a; return newobj(vm, 3); }

/* ------------------------------------------------------------------ REDUCE */

static int reduce_symbol(npg_vm *vm, npg_value *callable, npg_value *args)
{
    npg_value *out = NULL;
    if (args->kind == NPG_OPAQUE || (args->kind == NPG_TUPLE && (args->flags & NPG_VF_OPAQUE)))
        /* an argument was refused already: nothing to rebuild */
        return npg__push(vm, npg__new_opaque(vm, "result of an allowlisted call on refused data"));
    if (args->kind != NPG_TUPLE) return npg__fail(vm, NPG_E_CALL, "REDUCE arguments are not a tuple");
    int rc = npg__reduce(vm, callable, args, &out);
    if (rc == NPG_OK) return npg__push(vm, out);
    /* CPython would call NumPy's reconstructor all the same: go on with what it may have made */
    rc = npg__recover(vm, rc);
    return rc ? rc : npg__push(vm, npg__new_opaque(vm, "result of an allowlisted call with refused arguments"));
}

int npg__op_REDUCE(npg_vm *vm, const npg_arg *a)
{
    (void)a;
    npg_value **items = NULL;
    int rc = npg__pop_n(vm, 2, &items);
    if (rc) return rc;
    npg_value *callable = items[0], *args = items[1];
    if (callable->kind == NPG_K_SYMBOL) return reduce_symbol(vm, callable, args);
    if (callable->kind != NPG_OPAQUE)
        return npg__fail(vm, NPG_E_TYPE, "REDUCE of a value that is not an allowed callable");
    if (!npg__from_global(callable)) return npg__push(vm, npg__new_opaque(vm, "result of a call on a placeholder"));
    char text[200];
    npg__name_text(text, sizeof text, callable);
    rc = npg__refuse(vm, NPG_E_GLOBAL, NPG_RULE_CALL, (npg_severity)callable->sym, callable, "call of %s", text);
    return rc ? rc : npg__push(vm, npg__new_derived(vm, callable));
}

/* ------------------------------------------------------------------ BUILD */

/* An array or dtype whose state was refused: only a placeholder can stand for it now (changed in
 * place, so that every reference to it through the memo sees the change). */
static void make_placeholder(npg_vm *vm, npg_value *target)
{
    target->kind = NPG_OPAQUE;
    target->flags = NPG_VF_OPAQUE;
    target->u.opq.name = "array rebuilt from refused data";
    target->u.opq.len = target->u.opq.mlen = (uint32_t)strlen(target->u.opq.name);
    target->u.opq.cut = false;
    target->sym = 0; /* not a global: findings on it name none */
    vm->pending--;
}

static bool empty_dict(const npg_value *v)
{
    return (v->kind == NPG_DICT || v->kind == NPG_ORDERED_DICT) && v->u.c_.n == 0;
}

/* BUILD on something npguard did not just make (scan mode). CPython calls __setstate__ when the
 * object has one (arrays, dtypes, numpy scalars) or sets attributes in its __dict__
 * (OrderedDict has one); a plain builtin has neither, so only the states that change nothing
 * pass: None, or (None, {}). */
static int build_other(npg_vm *vm, const npg_value *target, const npg_value *state)
{
    static const int settable[] = {NPG_ARRAY, NPG_DTYPE, NPG_SCALAR, NPG_ORDERED_DICT, NPG_K_SYMBOL, NPG_K_BUFFER};
    bool may = state->kind == NPG_OPAQUE || state->kind == NPG_NONE;
    for (size_t i = 0; i < sizeof settable / sizeof settable[0]; i++) may |= target->kind == settable[i];
    size_t n;
    npg_value **st = npg__tuple_items(state, &n);
    if (st && n == 2 && st[0]->kind == NPG_NONE && (empty_dict(st[1]) || st[1]->kind == NPG_OPAQUE)) may = true;
    if (!may) return npg__fail(vm, NPG_E_BUILD, "BUILD with a state that a %s cannot take",
                              target->kind < NPG_K_PY2STR ? npg_kind_name((npg_kind)target->kind) : "value");
    return npg__strict(vm, NPG_E_BUILD, "BUILD on a value that is not a freshly made array or dtype");
}

int npg__op_BUILD(npg_vm *vm, const npg_arg *a)
{
    (void)a;
    npg_value **items = NULL;
    int rc = npg__need(vm, 2);
    if (rc) return rc;
    npg__pop_n(vm, 1, &items);
    npg_value *state = items[0], *target = npg__top(vm, 0);
    if (target->kind == NPG_OPAQUE) {
        if (!npg__from_global(target)) return NPG_OK;
        char text[200];
        npg__name_text(text, sizeof text, target);
        return npg__refuse(vm, NPG_E_BUILD, NPG_RULE_BUILD, (npg_severity)target->sym, target,
                           "BUILD (setstate) on %s", text);
    }
    if (target->flags & NPG_VF_PENDING) {
        if (state->flags & NPG_VF_OPAQUE) { /* the state came from refused code */
            make_placeholder(vm, target);
            return NPG_OK;
        }
        rc = npg__recover(vm, npg__build(vm, target, state));
        if (rc == NPG_OK && (target->flags & NPG_VF_PENDING)) make_placeholder(vm, target);
        return rc;
    }
    if (!vm->scan) return npg__build(vm, target, state);
    return build_other(vm, target, state);
}

/* ------------------------------------------------------------------ hooks pickle.load lacks */

/* Decode mode refuses these opcodes outright. */
static int refuse_hook_opcode(npg_vm *vm)
{
    return npg__fail(vm, NPG_E_FORBIDDEN_OPCODE, "opcode %s is not allowed", npg__opinfo[vm->op].name);
}

int npg__op_PERSID(npg_vm *vm, const npg_arg *a)
{
    if (!vm->scan) return refuse_hook_opcode(vm);
    if (!ascii(a->p, a->n)) return npg__fail(vm, NPG_E_SYNTAX, "persistent IDs in protocol 0 must be ASCII");
    int rc = npg__finding(vm, NPG_RULE_OPCODE_PERSID, NPG_SEV_MEDIUM, NULL,
                          "opcode PERSID: pickle.load without a persistent_load hook stops here");
    return rc ? rc : npg__push(vm, npg__new_opaque(vm, "persistent object"));
}

int npg__op_BINPERSID(npg_vm *vm, const npg_arg *a)
{
    (void)a;
    npg_value **items = NULL;
    if (!vm->scan) return refuse_hook_opcode(vm);
    int rc = npg__pop_n(vm, 1, &items);
    if (!rc) rc = npg__finding(vm, NPG_RULE_OPCODE_PERSID, NPG_SEV_MEDIUM, NULL,
                               "opcode BINPERSID: pickle.load without a persistent_load hook stops here");
    return rc ? rc : npg__push(vm, npg__new_opaque(vm, "persistent object"));
}

static int extension(npg_vm *vm, int64_t code)
{
    if (!vm->scan) return refuse_hook_opcode(vm);
    if (code <= 0) return npg__fail(vm, NPG_E_SYNTAX, "EXT specifies code %lld <= 0", (long long)code);
    int rc = npg__finding(vm, NPG_RULE_OPCODE_EXT, NPG_SEV_MEDIUM, NULL,
                          "opcode %s with code %lld: pickle.load stops here unless the process registered "
                          "that code with copyreg.add_extension", npg__opinfo[vm->op].name, (long long)code);
    return rc ? rc : npg__push(vm, npg__new_opaque(vm, "extension registry object"));
}

int npg__op_EXT1(npg_vm *vm, const npg_arg *a) { return extension(vm, (int64_t)a->u); }
int npg__op_EXT2(npg_vm *vm, const npg_arg *a) { return extension(vm, (int64_t)a->u); }
int npg__op_EXT4(npg_vm *vm, const npg_arg *a) { return extension(vm, a->s); }

int npg__op_NEXT_BUFFER(npg_vm *vm, const npg_arg *a)
{
    (void)a;
    if (vm->next_buffer >= vm->nbuffers) {
        int rc = npg__refuse(vm, NPG_E_BUFFER, NPG_RULE_BUFFER, NPG_SEV_MEDIUM, NULL,
                             "NEXT_BUFFER but %s out-of-band buffers were supplied",
                             vm->nbuffers ? "no more" : "no");
        return rc ? rc : npg__push(vm, npg__new_opaque(vm, "buffer"));
    }
    const npg_buffer *b = &vm->buffers[vm->next_buffer++];
    npg_value *v = npg__new(vm, NPG_K_BUFFER);
    if (v) {
        v->u.s.p = b->data;
        v->u.s.n = b->len;
        v->flags |= NPG_VF_BORROWED | (b->readonly ? NPG_VF_READONLY : 0);
    }
    return npg__push(vm, v);
}

/* READONLY_BUFFER wraps its operand in a read-only memoryview: anything with the buffer protocol
 * (bytes, bytearray, arrays) works in CPython; npguard keeps it only for out-of-band buffers. */
int npg__op_READONLY_BUFFER(npg_vm *vm, const npg_arg *a)
{
    (void)a;
    static const int buffers[] = {NPG_BYTES, NPG_BYTEARRAY, NPG_ARRAY, NPG_K_PY2STR, NPG_SCALAR};
    int rc = npg__need(vm, 1);
    if (rc) return rc;
    npg_value *v = npg__top(vm, 0);
    if (v->kind == NPG_OPAQUE) return NPG_OK;
    if (v->kind == NPG_K_BUFFER) {
        v->flags |= NPG_VF_READONLY;
        return NPG_OK;
    }
    for (size_t i = 0; i < sizeof buffers / sizeof buffers[0]; i++)
        if (v->kind == buffers[i]) return npg__strict(vm, NPG_E_TYPE, "READONLY_BUFFER on something that is not a buffer");
    return npg__fail(vm, NPG_E_TYPE, "READONLY_BUFFER on something that is not a buffer");
}
