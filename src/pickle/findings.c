/* Errors and scan findings: how the VM records a failure (code, offset of the current opcode,
 * one-line message), and in scan mode the refusals it carries on from: the allowlist's (a global,
 * a call...) and the strict grammar's (where CPython would go on). */
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

/* One finding at `offset`; `named` (may be NULL) gives the exact global it is about. */
static int add_finding(npg_vm *vm, uint64_t offset, int rule, npg_severity sev, const npg_value *named,
                       int status, const char *msg)
{
    npg_finding f;
    memset(&f, 0, sizeof f);
    f.offset = offset;
    f.opcode = vm->op;
    f.rule = rule;
    f.severity = sev;
    f.message = msg;
    f.status = status;
    /* symbols, and placeholders of globals (sym holds their severity: refused or unimportable) */
    if (named && (named->kind == NPG_K_SYMBOL || (named->kind == NPG_OPAQUE && named->sym)) && named->u.opq.name) {
        f.global = named->u.opq.name;
        f.global_len = named->u.opq.len;
        f.module_len = named->u.opq.mlen;
        f.global_truncated = named->u.opq.cut;
    }
    if (vm->alt_reading) {
        /* another reading of the frames: only what the first did not see, and not without end */
        if (npg__doc_has_finding(vm->doc, &f)) return NPG_OK;
        if (vm->doc->nfindings - vm->doc->nprimary >= NPG_ALT_FINDINGS_MAX) {
            vm->doc->findings_total++; /* counted, not kept: the audit cannot pass the file */
            return NPG_OK;
        }
    }
    int rc = npg__doc_add_finding(vm->doc, vm->lim->max_findings, &f);
    return rc ? npg__fail_alloc(vm) : NPG_OK;
}

__attribute__((format(printf, 6, 0)))
static int vfinding(npg_vm *vm, int rule, npg_severity sev, const npg_value *named, int status,
                    const char *fmt, va_list ap)
{
    npg_diag d;
    npg__vdiag(&d, status, fmt, ap);
    return add_finding(vm, vm->base + vm->op_start, rule, sev, named, status, d.msg);
}

/* A refusal: decode mode fails with code; scan mode records it as a finding and goes on. */
__attribute__((format(printf, 7, 0)))
static int refusal(npg_vm *vm, int code, int rule, npg_severity sev, const npg_value *named, int status,
                   const char *fmt, va_list ap)
{
    if (vm->scan) return vfinding(vm, rule, sev, named, status, fmt, ap);
    set_error(vm, code, fmt, ap);
    return code;
}

int npg__refuse(npg_vm *vm, int code, int rule, npg_severity sev, const npg_value *named,
                const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = refusal(vm, code, rule, sev, named, 0, fmt, ap);
    va_end(ap);
    return rc;
}

int npg__strict(npg_vm *vm, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = refusal(vm, code, NPG_RULE_MALFORMED, NPG_SEV_HIGH, NULL, code, fmt, ap);
    va_end(ap);
    return rc;
}

/* Failures a scan goes on from: refusals of shapes, types and grammar. Limits, memory and
 * internal errors end the run (fail closed), as does anything below the VM's judgement. */
static bool recoverable(int rc)
{
    return rc > NPG_OK && rc < NPG_E_LIMIT_INPUT && rc != NPG_E_IMPORT;
}

int npg__recover(npg_vm *vm, int rc)
{
    if (rc == NPG_OK || !vm->scan || !recoverable(rc) || vm->doc->status != rc) return rc;
    npg_error e = vm->doc->err;
    vm->doc->status = NPG_OK;
    memset(&vm->doc->err, 0, sizeof vm->doc->err);
    vm->doc->err.opcode = -1;
    return add_finding(vm, e.offset, NPG_RULE_MALFORMED, NPG_SEV_HIGH, NULL, e.code, e.message);
}

int npg__finding(npg_vm *vm, int rule, npg_severity sev, const npg_value *named, const char *fmt, ...)
{
    if (!vm->scan) return NPG_OK;
    va_list ap;
    va_start(ap, fmt);
    int rc = vfinding(vm, rule, sev, named, 0, fmt, ap);
    va_end(ap);
    return rc;
}

int npg__note(npg_vm *vm, int rule, const npg_value *named, const char *fmt, ...)
{
    if (!vm->scan) return NPG_OK;
    va_list ap;
    va_start(ap, fmt);
    int rc = vfinding(vm, rule, NPG_SEV_INFO, named, 0, fmt, ap);
    va_end(ap);
    return rc;
}
