/* Errors and scan findings: how the VM records a failure (code, offset of the current opcode,
 * one-line message) and, in scan mode, a refusal it carries on from. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "opcodes.h"
#include "vm.h"


__attribute__((format(printf, 3, 0)))
static void set_error(npg_vm *vm, int code, const char *fmt, va_list ap)
{
    npg_error *e = &vm->doc->err;
    if (vm->doc->status != NPG_OK) return; /* keep the first error */
    vm->doc->status = code;
    e->code = code;
    e->opcode = vm->op;
    e->offset = vm->base + vm->op_start;
    e->member[0] = '\0';
    npg_diag d;
    npg__vdiag(&d, code, fmt, ap);
    memcpy(e->message, d.msg, sizeof e->message);
}

int npg__fail(npg_vm *vm, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_error(vm, code, fmt, ap);
    va_end(ap);
    return code;
}

int npg__fail_alloc(npg_vm *vm)
{
    int code = vm->doc->mem.status != NPG_OK ? vm->doc->mem.status : NPG_E_NOMEM;
    if (code == NPG_E_LIMIT_ALLOC)
        return npg__fail(vm, code, "allocations above the %llu-byte limit",
                         (unsigned long long)vm->lim->max_alloc);
    return npg__fail(vm, code, "out of memory");
}

char *npg__arena_strdup(npg_vm *vm, const char *s)
{
    size_t n = strlen(s);
    char *d = npg__arena_alloc(vm->arena, n + 1);
    if (d) memcpy(d, s, n + 1);
    return d;
}

static int add_finding(npg_vm *vm, int rule, npg_severity sev, const char *global, const char *msg)
{
    npg_doc *doc = vm->doc;
    doc->findings_total++;
    if (doc->nfindings >= vm->lim->max_findings) return NPG_OK;
    if (doc->nfindings == doc->findings_cap) {
        size_t cap = doc->findings_cap ? doc->findings_cap * 2 : 16;
        npg_finding *f = npg__arena_grow(vm->arena, doc->findings, doc->findings_cap * sizeof *f,
                                         cap * sizeof *f);
        if (!f) return npg__fail_alloc(vm);
        doc->findings = f;
        doc->findings_cap = cap;
    }
    npg_finding *f = &doc->findings[doc->nfindings];
    f->offset = vm->base + vm->op_start;
    f->opcode = vm->op;
    f->rule = rule;
    f->severity = sev;
    f->global = global ? npg__arena_strdup(vm, global) : NULL;
    f->message = npg__arena_strdup(vm, msg);
    if ((global && !f->global) || !f->message) return npg__fail_alloc(vm);
    doc->nfindings++;
    return NPG_OK;
}

int npg__refuse(npg_vm *vm, int code, int rule, npg_severity sev, const char *global,
                const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (!vm->scan) {
        set_error(vm, code, fmt, ap);
        va_end(ap);
        return code;
    }
    npg_diag d;
    npg__vdiag(&d, code, fmt, ap);
    va_end(ap);
    return add_finding(vm, rule, sev, global, d.msg);
}

int npg__note(npg_vm *vm, int rule, const char *global, const char *fmt, ...)
{
    if (!vm->scan) return NPG_OK;
    va_list ap;
    va_start(ap, fmt);
    npg_diag d;
    npg__vdiag(&d, NPG_OK, fmt, ap);
    va_end(ap);
    return add_finding(vm, rule, NPG_SEV_INFO, global, d.msg);
}

