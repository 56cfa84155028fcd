/* The restricted pickle VM: one loop that fetches an opcode and its argument (decoded by the
 * table in opcodes.h) and runs that opcode's handler (ops_*.c). Handlers only build data; the
 * one way to reach a reconstructor is REDUCE/BUILD on an allowlisted symbol (reduce.c). No
 * recursion: the value stack, mark stack and memo are explicit. Scan mode runs this very code;
 * a refusal there records a finding and the run goes on the way CPython's unpickler would. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../common/checked.h"
#include "ops.h"
#include "text.h"

/* ------------------------------------------------------------------ stack */

int npg__push(npg_vm *vm, npg_value *v)
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

size_t npg__avail(const npg_vm *vm)
{
    return vm->sp - (vm->nmarks ? vm->marks[vm->nmarks - 1] : 0);
}

int npg__need(npg_vm *vm, size_t n)
{
    if (npg__avail(vm) >= n) return NPG_OK;
    if (vm->nmarks && vm->sp >= n)
        return npg__fail(vm, NPG_E_STACK, "%s would consume a MARK", npg__opinfo[vm->op].name);
    return npg__fail(vm, NPG_E_STACK, "%s needs %zu item(s) on the stack", npg__opinfo[vm->op].name, n);
}

int npg__pop_n(npg_vm *vm, size_t n, npg_value ***items)
{
    int rc = npg__need(vm, n);
    if (rc) return rc;
    vm->sp -= n;
    *items = vm->stack + vm->sp;
    return NPG_OK;
}

int npg__pop_mark(npg_vm *vm, npg_value ***items, size_t *n)
{
    if (!vm->nmarks) return npg__fail(vm, NPG_E_MARK, "%s without a MARK", npg__opinfo[vm->op].name);
    size_t at = vm->marks[--vm->nmarks];
    *items = vm->stack + at;
    *n = vm->sp - at;
    vm->sp = at;
    return NPG_OK;
}

void npg__name_text(char *out, size_t cap, const npg_value *v)
{
    npg__escape(out, cap, v->u.opq.name ? v->u.opq.name : "", v->u.opq.name ? v->u.opq.len : 0);
}

/* ------------------------------------------------------------------ frame readings */

/* CPython reads a frame in one of two ways. From a bytes object (pickle.loads), or from a file it
 * has peeked ahead in, it reads on linearly across the frame's end. From a file it read the frame
 * from with one read() (io.BytesIO; a real file when the frame is larger than the file's
 * buffer), its buffer holds the frame's bytes only: a read that does not fit in what is left of
 * them drops that rest and starts at the frame's end. A pickle whose opcodes straddle a frame end
 * is refused by the strict grammar (frame_check); scan mode then reads it every way a loader may:
 * the first run reads linearly, later runs (explore_readings) drop at chosen crossings. */
static void cross_buffer(npg_vm *vm)
{
    bool drop = vm->crossings < 64 && (vm->decisions >> vm->crossings & 1);
    vm->crossings++;
    vm->in_buf = false;
    if (drop) vm->cur.pos = vm->buf_end;
}

/* ------------------------------------------------------------------ argument reading */

static int truncated(npg_vm *vm)
{
    return npg__fail(vm, NPG_E_TRUNCATED, "pickle data ends inside %s", npg__opinfo[vm->op].name);
}

/* n bytes in place: where CPython's buffer ends first, the frame reading decides. */
static inline bool read_bytes(npg_vm *vm, uint64_t n, const uint8_t **out)
{
    if (vm->in_buf && n > (uint64_t)(vm->buf_end - vm->cur.pos)) cross_buffer(vm);
    return npg__cur_bytes(&vm->cur, n, out);
}

/* (inline, as read_bytes: every opcode's argument comes through one of them) */
static inline bool read_le(npg_vm *vm, unsigned n, uint64_t *out)
{
    if (vm->in_buf && n > (uint64_t)(vm->buf_end - vm->cur.pos)) cross_buffer(vm);
    return npg__cur_le(&vm->cur, n, out);
}

static bool read_line(npg_vm *vm, const uint8_t **out, size_t *n)
{
    if (vm->in_buf && !memchr(vm->cur.p + vm->cur.pos, '\n', vm->buf_end - vm->cur.pos)) cross_buffer(vm);
    return npg__cur_line(&vm->cur, out, n);
}

/* A counted length: the limit first, so a 2^62-byte claim is named as such; then the input. */
static int read_counted(npg_vm *vm, const npg_opinfo *info, npg_arg *a)
{
    unsigned sz = info->argsize;
    uint64_t len;
    if (!read_le(vm, sz, &len)) return truncated(vm);
    if (info->arg == ARG_SLEN && (len >> (8 * sz - 1) & 1)) {
        /* CPython reads BINSTRING's length unsigned (LONG4's is signed: it refuses) */
        if (vm->op != OP_BINSTRING || !vm->scan)
            return npg__fail(vm, NPG_E_NEGATIVE_LENGTH, "%s has a negative length", info->name);
        int rc = npg__strict(vm, NPG_E_NEGATIVE_LENGTH, "%s has a negative length", info->name);
        if (rc) return rc;
    }
    bool is_long = vm->op == OP_LONG1 || vm->op == OP_LONG4;
    uint64_t max = is_long ? vm->lim->max_long_bytes : vm->lim->max_string_len;
    if (len > max)
        return npg__fail(vm, is_long ? NPG_E_LIMIT_LONG : NPG_E_LIMIT_STRING,
                         "%s of %llu bytes is beyond the limit of %llu", info->name,
                         (unsigned long long)len, (unsigned long long)max);
    if (!read_bytes(vm, len, &a->p)) return truncated(vm);
    a->u = len;
    a->n = (size_t)len;
    return NPG_OK;
}

static int read_arg(npg_vm *vm, const npg_opinfo *info, npg_arg *a)
{
    unsigned sz = info->argsize;
    switch ((npg_arg_kind)info->arg) {
    case ARG_NONE: return NPG_OK;
    case ARG_UINT:
    case ARG_SINT:
        if (!read_le(vm, sz, &a->u)) return truncated(vm);
        a->s = (int64_t)a->u;
        if (info->arg == ARG_SINT && sz < 8 && (a->u >> (8 * sz - 1) & 1))
            a->s = (int64_t)(a->u | (~(uint64_t)0 << (8 * sz)));
        return NPG_OK;
    case ARG_FIXED:
        if (!read_bytes(vm, sz, &a->p)) return truncated(vm);
        a->n = sz;
        return NPG_OK;
    case ARG_LINE:
        return read_line(vm, &a->p, &a->n) ? NPG_OK : truncated(vm);
    case ARG_LINE2:
        return read_line(vm, &a->p, &a->n) && read_line(vm, &a->p2, &a->n2) ? NPG_OK : truncated(vm);
    case ARG_ULEN:
    case ARG_SLEN: return read_counted(vm, info, a);
    }
    return npg__fail(vm, NPG_E_INTERNAL, "bad argument kind");
}

/* ------------------------------------------------------------------ frames */

/* PEP 3154: no opcode may straddle the end of its frame. CPython's C unpickler only checks that
 * a frame's bytes exist (how it reads on depends on its input: see "frame readings" above), so
 * this is a strict refusal: decode fails, scan notes it and reads on. */
static int frame_check(npg_vm *vm)
{
    if (!vm->in_frame || vm->cur.pos <= vm->frame_end) return NPG_OK;
    vm->in_frame = false;
    return npg__strict(vm, NPG_E_FRAME, "%s straddles the end of its frame", npg__opinfo[vm->op].name);
}

int npg__frame_start(npg_vm *vm, uint64_t len)
{
    /* CPython reads the frame's bytes into its buffer, unless they are in it already */
    if (vm->scan && vm->in_buf && len > (uint64_t)(vm->buf_end - vm->cur.pos)) cross_buffer(vm);
    if (len > (uint64_t)(vm->cur.len - vm->cur.pos))
        return npg__fail(vm, NPG_E_TRUNCATED, "FRAME of %llu bytes but only %zu remain",
                         (unsigned long long)len, vm->cur.len - vm->cur.pos);
    if (vm->in_frame && vm->cur.pos < vm->frame_end) {
        int rc = npg__strict(vm, NPG_E_FRAME, "FRAME inside a frame that still has unread bytes");
        if (rc) return rc;
    }
    vm->in_frame = true;
    vm->frame_end = vm->cur.pos + (size_t)len;
    if (vm->scan && !vm->in_buf) {
        vm->in_buf = true;
        vm->buf_end = vm->frame_end;
    }
    return NPG_OK;
}

/* ------------------------------------------------------------------ dispatch */

typedef int (*op_handler)(npg_vm *vm, const npg_arg *a);

static const op_handler handlers[256] = {
#define NPG_OP_HANDLER(name, byte, arg, argsize, proto, cls) [byte] = npg__op_##name,
    NPG_PICKLE_OPS(NPG_OP_HANDLER)
#undef NPG_OP_HANDLER
};

/* Leave a frame whose bytes are used up, then fetch one opcode and its argument; *arg_end is
 * where the argument ended once it was read (else the opcode's offset). */
static int fetch(npg_vm *vm, const npg_opinfo **info, npg_arg *a, size_t *arg_end)
{
    uint8_t byte;
    if (vm->in_frame && vm->cur.pos == vm->frame_end) vm->in_frame = false;
    if (vm->in_buf && vm->cur.pos == vm->buf_end) vm->in_buf = false; /* next read: the file's own */
    vm->op_start = vm->cur.pos;
    vm->op = -1;
    if (!npg__cur_u8(&vm->cur, &byte))
        return npg__fail(vm, NPG_E_TRUNCATED, "pickle data ends before STOP");
    vm->op = byte;
    *info = &npg__opinfo[byte];
    if (!(*info)->name) return npg__fail(vm, NPG_E_OPCODE, "byte 0x%02x is not a pickle opcode", byte);
    if (++vm->ops + vm->steps > vm->lim->max_ops)
        return npg__fail(vm, NPG_E_LIMIT_OPS, "more than %llu operations", (unsigned long long)vm->lim->max_ops);
    int rc = read_arg(vm, *info, a);
    if (rc) return rc;
    *arg_end = vm->cur.pos;
    return frame_check(vm);
}

/* Report one opcode to the trace: where it started, its argument bytes when they were read
 * (arg_end > at), and the VM's state once it ran or failed. */
static void trace(npg_vm *vm, size_t at, size_t arg_end, int rc)
{
    npg__trace_ev ev = {at, at < vm->cur.len ? vm->cur.p[at] : -1, NULL, 0, vm->sp, vm->nmarks,
                        vm->memo_index, rc == NPG_STOPPED ? NPG_OK : rc};
    if (arg_end > at) ev.arg = vm->cur.p + at + 1, ev.arglen = arg_end - at - 1;
    vm->trace(vm->trace_ud, &ev);
}

static int run(npg_vm *vm)
{
    for (;;) {
        const npg_opinfo *info;
        npg_arg a;
        memset(&a, 0, sizeof a);
        size_t at = vm->cur.pos;
        vm->memo_index = -1;
        size_t arg_end = at;
        int rc = fetch(vm, &info, &a, &arg_end);
        if (!rc) rc = handlers[vm->op](vm, &a);
        if (vm->trace) trace(vm, at, arg_end, rc);
        if (rc == NPG_STOPPED) return NPG_OK;
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

/* The parameters of every run over one input. */
typedef struct run_args {
    npg_doc *doc;
    const npg_ctx *ctx;
    const uint8_t *buf;
    size_t len;
    unsigned flags;
    const npg_buffer *buffers;
    size_t nbuffers;
    uint64_t base;
} run_args;

static void vm_init(npg_vm *vm, const run_args *r)
{
    memset(vm, 0, sizeof *vm);
    vm->doc = r->doc;
    vm->lim = &r->ctx->limits;
    vm->arena = &r->doc->arena;
    vm->flags = r->flags;
    vm->scan = (r->flags & NPG_SCAN) != 0;
    vm->buffers = r->buffers;
    vm->nbuffers = r->nbuffers;
    vm->base = r->base;
    vm->op = -1; /* no opcode yet: errors before the first one report -1 */
    npg__cur_init(&vm->cur, r->buf ? r->buf : (const uint8_t *)"", r->len);
}

/* One run over the input, from a fresh VM state. */
static int run_one(npg_vm *vm, const run_args *r)
{
    int rc;
    /* the stack exists from the start, so that pointer arithmetic on it is always defined */
    vm->stack_cap = r->ctx->limits.max_stack < 64 ? r->ctx->limits.max_stack : 64;
    vm->stack = npg__mem_alloc(&r->doc->mem, vm->stack_cap * sizeof *vm->stack);
    if (!vm->stack) {
        vm->stack_cap = 0;
        rc = npg__fail_alloc(vm);
    } else if ((uint64_t)r->len > r->ctx->limits.max_input) {
        rc = npg__fail(vm, NPG_E_LIMIT_INPUT, "input of %zu bytes is beyond the limit of %llu", r->len,
                       (unsigned long long)r->ctx->limits.max_input);
    } else {
        rc = run(vm);
    }
    vm_release(vm);
    return rc;
}

/* A later reading of the frames (scan mode): it starts over with `decisions` choosing, crossing
 * by crossing, which reads drop the rest of the buffer; the first reading's status, root and
 * error stay the document's, the run only adds findings it did not make. *ops counts every
 * reading's opcodes against one max_ops. */
static int run_alternative(const run_args *r, uint64_t decisions, uint64_t *ops, unsigned *crossings)
{
    npg_doc *doc = r->doc;
    npg_error err = doc->err;
    int status = doc->status;
    const npg_value *root = doc->root;
    uint64_t end = doc->end;
    npg_vm vm;
    vm_init(&vm, r);
    vm.alt_reading = true;
    vm.decisions = decisions;
    vm.ops = *ops;
    doc->status = NPG_OK;
    int rc = run_one(&vm, r);
    *ops = vm.ops;
    *crossings = vm.crossings;
    doc->imports += vm.imports;
    doc->status = status;
    doc->err = err;
    doc->root = root;
    doc->end = end;
    return rc;
}

/* Record a reading that could not be finished (a limit, memory, or more readings than
 * NPG_READINGS_MAX): fail closed, the audit cannot pass the file. */
static void unfinished_reading(const run_args *r, int code, const char *msg)
{
    npg_finding f;
    memset(&f, 0, sizeof f);
    f.offset = r->base;
    f.opcode = -1;
    f.rule = NPG_RULE_MALFORMED;
    f.severity = NPG_SEV_HIGH;
    f.status = code;
    f.message = msg;
    npg__doc_add_finding(r->doc, r->ctx->limits.max_findings, &f);
}

/* Every other way of reading the frames (a depth-first walk over drop/linear choices, crossing
 * by crossing, each leaf one run), up to NPG_READINGS_MAX runs in all. */
static void explore_readings(const run_args *r, unsigned first_crossings, uint64_t ops)
{
    struct { uint64_t prefix; unsigned len; } todo[64];
    size_t ntodo = 0, runs = 1;
    bool lost = false;
    for (unsigned j = 0; j < first_crossings && j < 64; j++) {
        if (ntodo == 64) { lost = true; break; }
        todo[ntodo].prefix = (uint64_t)1 << j, todo[ntodo++].len = j + 1;
    }
    lost |= first_crossings > 64;
    while (ntodo && !lost) {
        if (runs == NPG_READINGS_MAX) {
            lost = true;
            break;
        }
        uint64_t prefix = todo[--ntodo].prefix;
        unsigned len = todo[ntodo].len, crossings = 0;
        int rc = run_alternative(r, prefix, &ops, &crossings);
        runs++;
        if (rc == NPG_E_NOMEM || (rc >= NPG_E_LIMIT_INPUT && rc < NPG_E_NOMEM)) {
            unfinished_reading(r, rc, "another reading of the frames stopped at a limit: it was not scanned to the end");
            return;
        }
        for (unsigned j = len; j < crossings && j < 64 && !lost; j++) {
            if (ntodo == 64) lost = true;
            else todo[ntodo].prefix = prefix | (uint64_t)1 << j, todo[ntodo++].len = j + 1;
        }
        lost |= crossings > 64;
    }
    if (lost)
        unfinished_reading(r, NPG_E_FRAME, "the frames can be read more ways than the scan follows: not all were scanned");
}

static int run_vm(npg_doc *doc, const npg_ctx *ctx, const uint8_t *buf, size_t len, unsigned flags,
                  const npg_buffer *buffers, size_t nbuffers, uint64_t base, npg__trace_fn tr, void *ud)
{
    run_args r = {doc, ctx, buf, len, flags, buffers, nbuffers, base};
    npg_vm vm;
    vm_init(&vm, &r);
    vm.trace = tr;
    vm.trace_ud = ud;
    size_t before = doc->nfindings;
    int rc = run_one(&vm, &r);
    doc->ops += vm.ops;
    doc->imports += vm.imports;
    doc->protocol = vm.proto;
    doc->status = rc;
    if (rc != NPG_OK) doc->root = NULL;
    if (vm.scan && vm.crossings && rc != NPG_E_NOMEM && rc != NPG_E_LIMIT_ALLOC && rc != NPG_E_LIMIT_OPS) {
        doc->nprimary = doc->nfindings;
        explore_readings(&r, vm.crossings, vm.ops);
        if (doc->nfindings > before) npg__doc_sort_findings(doc);
    }
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
