/* The opcode handlers of the VM (internal): one function per row of opcodes.h, in three files by
 * concern (ops_data.c: control, stack, numbers, strings; ops_container.c: containers, mutation,
 * memo; ops_call.c: globals, calls, persistent ids, extensions, buffers), and the stack
 * primitives they share (vm.c).
 *
 * Every handler follows one rule in scan mode: where CPython 3.11's C unpickler would fail, it
 * fails (npg__fail: the run stops there, as pickle.load does); where only npguard's strict
 * grammar refuses, it records the refusal (npg__strict) and goes on as CPython would, with a
 * placeholder when the value CPython would make is not one npguard models. So every find_class
 * CPython would reach is reached. Decode mode fails at the first refusal of either kind. */
#ifndef NPG_OPS_H
#define NPG_OPS_H

#include "opcodes.h"
#include "vm.h"

enum { NPG_STOPPED = -1 }; /* a handler's return: STOP was reached */

typedef struct npg_arg {
    uint64_t u;          /* ARG_UINT, and the length of counted arguments */
    int64_t s;           /* ARG_SINT */
    const uint8_t *p;    /* ARG_FIXED / LINE / counted payload; LINE2: module */
    size_t n;
    const uint8_t *p2;   /* ARG_LINE2: name */
    size_t n2;
} npg_arg;

#define NPG_OP_DECL(name, byte, arg, argsize, proto, cls) int npg__op_##name(npg_vm *vm, const npg_arg *a);
NPG_PICKLE_OPS(NPG_OP_DECL)
#undef NPG_OP_DECL

/* ---- the value stack (vm.c). CPython's fence: fixed-arity opcodes see only the items above
 * the innermost MARK. */
int npg__push(npg_vm *vm, npg_value *v); /* v NULL: the allocation failure that made it */
size_t npg__avail(const npg_vm *vm);     /* items above the innermost MARK */
int npg__need(npg_vm *vm, size_t n);     /* NPG_E_STACK unless n items are above it */
int npg__pop_n(npg_vm *vm, size_t n, npg_value ***items); /* items valid until the next push */
int npg__pop_mark(npg_vm *vm, npg_value ***items, size_t *n);
static inline npg_value *npg__top(const npg_vm *vm, size_t k) { return vm->stack[vm->sp - 1 - k]; }

/* FRAME of len bytes at the cursor (vm.c: the frame readings live there). */
int npg__frame_start(npg_vm *vm, uint64_t len);

/* Escaped, printable form of a value's global name for messages (out of cap bytes). */
void npg__name_text(char *out, size_t cap, const npg_value *v);

#endif
