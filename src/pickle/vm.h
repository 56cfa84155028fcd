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

/* Frame readings a scan explores at most (each a run of the VM over the same bytes), and the
 * findings all runs after the first may add. */
enum { NPG_READINGS_MAX = 16, NPG_ALT_FINDINGS_MAX = 1024 };

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
    /* Scan mode follows each way CPython may read a frame (vm.c, "frame readings"): the bytes of
     * the frame CPython holds in its buffer end at buf_end; a read that does not fit in them either
     * goes on linearly or starts at buf_end, as bit k of `decisions` says for the k-th such read. */
    size_t buf_end;
    bool in_buf;
    uint64_t decisions;
    unsigned crossings;   /* reads that did not fit in the buffer, this run */
    bool alt_reading;     /* a run after the first: it only adds findings */
    size_t op_start; /* offset of the opcode being executed */
    int op;

    npg_value **work; /* scratch stack for iterative hashing */
    size_t work_cap;
    npg_eqframe *frames; /* scratch stack for iterative equality */
    size_t frames_cap;

    npg_diag diag;
    uint64_t base; /* added to every reported offset (a pickle inside a .npy file) */

    uint64_t imports;    /* find_class calls reached with a module name an import could find */

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

/* A refusal by the allowlist (a global, a call, an opcode...). Decode mode: fails with code.
 * Scan mode: records a finding naming `named`'s global (NULL: none) and returns NPG_OK; the
 * caller carries on with a placeholder. */
int npg__refuse(npg_vm *vm, int code, int rule, npg_severity sev, const npg_value *named,
                const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* A refusal by npguard's strict grammar where CPython would go on. Decode mode: fails with
 * code. Scan mode: records an NPG100 finding carrying code, returns NPG_OK, and the caller goes
 * on as CPython would. */
int npg__strict(npg_vm *vm, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* After a call that failed with rc (npg__fail already recorded it): in scan mode, a refusal
 * that CPython might not make (anything but limits, memory and internal errors) becomes an
 * NPG100 finding and NPG_OK is returned, so that the caller goes on with a placeholder. */
int npg__recover(npg_vm *vm, int rc);
/* A finding of any rule and severity in scan mode (no-op in decode mode). */
int npg__finding(npg_vm *vm, int rule, npg_severity sev, const npg_value *named, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Informational finding (scan mode only; no-op in decode mode). */
int npg__note(npg_vm *vm, int rule, const npg_value *named, const char *fmt, ...)
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
/* A placeholder for a value npguard does not model, described by desc (a static string). */
npg_value *npg__new_opaque(npg_vm *vm, const char *desc);
/* A node of kind NPG_OPAQUE or NPG_K_SYMBOL named by the exact pair module m[0..mn), name
 * n[0..nn) (kept up to NPG_GLOBAL_MAX bytes). */
npg_value *npg__new_named(npg_vm *vm, int kind, const uint8_t *m, size_t mn, const uint8_t *n, size_t nn);
/* A placeholder standing for what the refused global of `from` made (same name, severity). */
npg_value *npg__new_derived(npg_vm *vm, const npg_value *from);
/* Placeholders made from a refused global carry its severity (high or critical) in sym. */
static inline bool npg__from_global(const npg_value *v)
{
    return v->kind == NPG_OPAQUE && v->sym >= NPG_SEV_HIGH && v->sym <= NPG_SEV_CRITICAL;
}
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
