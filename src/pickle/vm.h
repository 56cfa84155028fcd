/* Internal state of one run of the restricted pickle VM, shared by the interpreter loop
 * (vm.c), the value helpers (value.c), the reconstructors (reduce.c) and scan findings. */
#ifndef NPG_VM_H
#define NPG_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/alloc.h"
#include "../common/cursor.h"
#include "../common/diag.h"
#include "globals.h"
#include "value.h"

#include "doc.h"

/* Memo (memo.c): a dense array for the indices real picklers use plus a keyed hash table for
 * sparse ones; memory follows the entry count, never the index values. */
typedef struct npg_memo {
    npg_value **dense;  /* dense[i]: entry i or NULL */
    size_t dense_cap;
    uint32_t *keys;     /* sparse part: open addressing */
    npg_value **vals;   /* NULL: empty slot */
    size_t cap, nsparse;
    uint64_t seed;      /* per-document secret for the sparse hash */
    size_t count;       /* entries in both parts: MEMOIZE's next index */
} npg_memo;

/* One pair of tuples being compared for equality (keys.c). */
typedef struct npg_eqframe {
    npg_value *x, *y;
    size_t next; /* next child index to compare */
} npg_eqframe;

/* Per-opcode trace (the disassembler, dis.c): called after each opcode ran, and once for the
 * opcode that failed. The same loop decodes, scans and lists, so the listing is what ran. */
typedef struct npg__trace_ev {
    uint64_t offset;    /* of the opcode byte, in buf */
    int opcode;         /* the byte there, or -1 past the end */
    const uint8_t *arg; /* the argument's raw bytes (NULL when it could not be read) */
    size_t arglen;
    size_t depth;       /* values on the stack afterwards */
    size_t marks;       /* open MARKs afterwards */
    int64_t memo;       /* memo index PUT/GET/MEMOIZE used, else -1 */
    int status;         /* NPG_OK, or the error this opcode raised */
} npg__trace_ev;
typedef void (*npg__trace_fn)(void *ud, const npg__trace_ev *ev);

typedef struct npg_vm {
    npg_doc *doc;
    const npg_limits *lim;
    npg_arena *arena;
    npg_cur cur;
    unsigned flags;
    bool scan;
    const npg_buffer *buffers;
    size_t nbuffers, next_buffer;

    npg_value **stack;
    size_t sp, stack_cap;
    size_t *marks; /* stack heights at each open MARK */
    size_t nmarks, marks_cap;
    npg_memo memo;
    size_t pending; /* arrays/dtypes made by REDUCE still waiting for BUILD */

    uint64_t ops;   /* opcodes executed */
    uint64_t steps; /* hashing/comparison steps; ops + steps is what max_ops bounds */
    int proto;      /* 0 when no PROTO was seen */
    size_t frame_end; /* 0: not in a frame */
    bool in_frame;
    size_t op_start; /* offset of the opcode being executed */
    int op;

    npg_value **work; /* scratch stack for iterative hashing */
    size_t work_cap;
    npg_eqframe *frames; /* scratch stack for iterative equality */
    size_t frames_cap;

    npg_diag diag;
    uint64_t base; /* added to every reported offset (a pickle inside a .npy file) */

    npg__trace_fn trace; /* NULL unless disassembling */
    void *trace_ud;
    int64_t memo_index;  /* set by PUT/GET for the trace */
} npg_vm;

/* Run the VM over buf into an existing document (root, findings, status, error). flags as in
 * npg_pickle_opts. Offsets in errors and findings are reported as base + offset in buf. */
int npg__pickle_run(npg_doc *doc, const npg_ctx *ctx, const uint8_t *buf, size_t len,
                    unsigned flags, const npg_buffer *buffers, size_t nbuffers, uint64_t base);

/* npg__pickle_run with a trace callback called for every opcode (base 0, no buffers). */
int npg__pickle_run_traced(npg_doc *doc, const npg_ctx *ctx, const uint8_t *buf, size_t len,
                           unsigned flags, npg__trace_fn trace, void *ud);

/* Record the error (code, message, offset of the current opcode) and return code. */
int npg__fail(npg_vm *vm, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The arena/budget status after an allocation failure. */
int npg__fail_alloc(npg_vm *vm);

/* A refusal (disallowed global, call, opcode...). Decode mode: fails with code. Scan mode:
 * records a finding and returns NPG_OK, and the caller carries on with an opaque value. */
int npg__refuse(npg_vm *vm, int code, int rule, npg_severity sev, const char *global,
                const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* Informational finding (scan mode only; no-op in decode mode). */
int npg__note(npg_vm *vm, int rule, const char *global, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Copy of a NUL-terminated string into the document's arena (NULL on failure). */
char *npg__arena_strdup(npg_vm *vm, const char *s);

/* ---- memo (memo.c): re-PUT overwrites; an index >= max_memo is NPG_E_LIMIT_MEMO */
npg_value *npg__memo_get(const npg_memo *m, uint64_t key);
int npg__memo_put(npg_vm *vm, uint64_t key, npg_value *v);
void npg__memo_release(npg_vm *vm);

/* ---- values (value.c) */
npg_value *npg__new(npg_vm *vm, int kind);
npg_value *npg__new_int(npg_vm *vm, int64_t i);
npg_value *npg__new_opaque(npg_vm *vm, const char *name);
/* Big or small integer from minimal-or-not two's complement LE bytes (copied when big). */
/* Length of the minimal two's-complement form of b[0..n) (redundant sign bytes dropped). */
size_t npg__int_minimal_len(const uint8_t *b, size_t n);
npg_value *npg__new_int_bytes(npg_vm *vm, const uint8_t *b, size_t n, bool borrow);
npg_value *npg__new_tuple(npg_vm *vm, npg_value *const *items, size_t n);
/* Append to list/tuple-under-construction; checks container length and depth limits. */
int npg__seq_append(npg_vm *vm, npg_value *seq, npg_value *item);
/* dict/OrderedDict: insert key -> val (refuses unhashable and duplicate keys). */
int npg__dict_set(npg_vm *vm, npg_value *dict, npg_value *key, npg_value *val);
/* set/frozenset: add item (refuses unhashable and duplicate items). */
int npg__set_add(npg_vm *vm, npg_value *set, npg_value *item);
/* Shared by value.c and keys.c: item-array growth, the length limit, and the rule that
 * allowlisted classes never become data. */
int npg__reserve_items(npg_vm *vm, npg_value *c, size_t need);
int npg__check_len(npg_vm *vm, size_t n);
int npg__no_symbol(npg_vm *vm, const npg_value *item);
/* Raise a container's depth to hold an item of the given depth. */
int npg__note_depth(npg_vm *vm, npg_value *container, const npg_value *item);

/* ---- reconstructors (reduce.c) */
int npg__reduce(npg_vm *vm, npg_value *callable, npg_value *args, npg_value **out);
int npg__build(npg_vm *vm, npg_value *target, npg_value *state);

#endif
