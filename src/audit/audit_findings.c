/* The audit's findings: copied into its arena, downgraded by the caller's allow list, and capped
 * at limits.max_findings. The verdict flags are set before the cap is applied, so a dropped
 * finding still counts; when the list is full, a finding above info takes the place of a kept
 * info one (a flood of allowlisted-global notes must not push out the one call that matters). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../common/diag.h"
#include "audit.h"

static char *copy_str(npg_audit *a, const char *s)
{
    if (!s) return NULL;
    size_t n = strlen(s);
    char *d = npg__arena_alloc(&a->arena, n + 1);
    if (d) memcpy(d, s, n + 1);
    return d;
}

static bool is_allowlist_rule(int rule)
{
    return rule >= NPG_RULE_GLOBAL_DANGEROUS && rule <= NPG_RULE_BUFFER;
}

/* The caller's allow list names globals exactly ("module.name", compared byte for byte). */
static bool allowed_by_caller(const npg_aud *x, const char *global, size_t len)
{
    if (!global) return false;
    for (size_t i = 0; i < x->nallow; i++)
        if (x->allow[i] && strlen(x->allow[i]) == len && memcmp(x->allow[i], global, len) == 0) return true;
    return false;
}

/* unsafe: an import or call outside the allowlist (NPG002-NPG010 at high or critical).
 * invalid: the strict grammar or a validator refused something (NPG100 above info), two formats
 * at once (NPG102), a hidden member (NPG104), a name claiming a format the bytes are not in
 * (NPG105), or what pickle.load stops at for want of a hook or at a call NumPy never writes
 * (NPG005-NPG010 at low or medium). */
static void update_verdict(npg_audit *a, int rule, npg_severity sev)
{
    if (is_allowlist_rule(rule) && sev >= NPG_SEV_HIGH) a->unsafe = true;
    if (is_allowlist_rule(rule) && sev > NPG_SEV_INFO && sev < NPG_SEV_HIGH) a->invalid = true;
    if ((rule == NPG_RULE_MALFORMED && sev > NPG_SEV_INFO) || rule == NPG_RULE_POLYGLOT ||
        rule == NPG_RULE_HIDDEN_MEMBER || rule == NPG_RULE_FORMAT_MISMATCH)
        a->invalid = true;
}

/* The slot for a new finding: the next free one, the last kept info finding when the list is
 * full and the new one matters more, or *out = NULL (dropped). The cursor only moves down, so
 * finding the info slots costs O(max_findings) over the whole audit. */
static int slot(npg_aud *x, npg_severity sev, npg_audit_finding **out)
{
    npg_audit *a = x->a;
    *out = NULL;
    if (a->n < x->lim->max_findings) {
        if (a->n == a->cap) {
            size_t cap = a->cap ? a->cap * 2 : 16;
            if (cap > x->lim->max_findings) cap = x->lim->max_findings;
            npg_audit_finding *f = npg__arena_grow(&a->arena, a->f, a->cap * sizeof *f, cap * sizeof *f);
            if (!f) return a->status = a->mem.status != NPG_OK ? a->mem.status : NPG_E_NOMEM;
            a->f = f;
            a->cap = cap;
        }
        *out = &a->f[a->n++];
        a->info_cursor = a->n; /* nothing known about the kept ones yet */
        return NPG_OK;
    }
    a->dropped++;
    if (sev == NPG_SEV_INFO) return NPG_OK;
    while (a->info_cursor > 0 && a->f[a->info_cursor - 1].severity != NPG_SEV_INFO) a->info_cursor--;
    if (a->info_cursor > 0) *out = &a->f[--a->info_cursor], a->evicted++;
    return NPG_OK;
}

static char *copy_bytes(npg_audit *a, const char *s, size_t n)
{
    if (!s) return NULL;
    char *d = npg__arena_alloc(&a->arena, n + 1);
    if (d) {
        if (n) memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static int fill(npg_audit *a, npg_audit_finding *f, const npg_audit_finding *v)
{
    *f = *v;
    f->member = copy_str(a, v->member);
    f->global = copy_bytes(a, v->global, v->global_len);
    f->message = copy_str(a, v->message);
    if ((v->member && !f->member) || (v->global && !f->global) || !f->message) {
        f->message = "";
        a->status = a->mem.status != NPG_OK ? a->mem.status : NPG_E_NOMEM;
    }
    return a->status;
}

/* Record v (its message formatted from fmt): the allow list, the verdict, then the cap. */
__attribute__((format(printf, 3, 0)))
static int add(npg_aud *x, npg_audit_finding *v, const char *fmt, va_list ap)
{
    npg_audit *a = x->a;
    if (a->status != NPG_OK) return a->status;
    char msg[sizeof ((npg_diag *)0)->msg + 32];
    npg_diag d;
    npg__vdiag(&d, NPG_OK, fmt, ap);
    snprintf(msg, sizeof msg, "%s", d.msg);
    if (is_allowlist_rule(v->rule) && v->severity > NPG_SEV_INFO && allowed_by_caller(x, v->global, v->global_len)) {
        v->severity = NPG_SEV_INFO;
        snprintf(msg, sizeof msg, "%s (allowed by the caller)", d.msg);
    }
    v->message = msg;
    update_verdict(a, v->rule, v->severity);
    npg_audit_finding *f;
    if (slot(x, v->severity, &f) != NPG_OK || !f) return a->status;
    return fill(a, f, v);
}

int npg__aud_add(npg_aud *x, int rule, npg_severity sev, uint64_t offset, const char *member,
                 const char *global, int status, const char *fmt, ...)
{
    npg_audit_finding v = {rule, sev, offset, member, global, NULL, status, global ? strlen(global) : 0, 0, 0};
    if (global && strchr(global, '.')) v.module_len = (size_t)(strchr(global, '.') - global);
    va_list ap;
    va_start(ap, fmt);
    int rc = add(x, &v, fmt, ap);
    va_end(ap);
    return rc;
}

__attribute__((format(printf, 5, 6)))
static int add_vm(npg_aud *x, const npg_finding *f, uint64_t offset, const char *member, const char *fmt, ...)
{
    npg_audit_finding v = {f->rule, f->severity, offset, member, f->global, NULL, f->status,
                           f->global ? f->global_len : 0, f->module_len, f->global_truncated};
    va_list ap;
    va_start(ap, fmt);
    int rc = add(x, &v, fmt, ap);
    va_end(ap);
    return rc;
}

/* "NPG_E_TRUNCATED in BINUNICODE: pickle data ends before STOP" */
static void add_status(npg_aud *x, int code, const npg_error *e, uint64_t base, const char *member)
{
    const char *op = e->opcode >= 0 ? npg_opcode_name(e->opcode) : NULL;
    const char *m = member ? member : (e->member[0] ? e->member : NULL);
    npg__aud_add(x, NPG_RULE_MALFORMED, npg_rule_severity(NPG_RULE_MALFORMED), base + e->offset, m, NULL,
                 code, "%s%s%s: %s", npg_status_name(code), op ? " in " : "", op ? op : "", e->message);
}

void npg__aud_add_doc(npg_aud *x, const npg_doc *doc, int rc, const npg_error *err, uint64_t base,
                      const char *member)
{
    if (!doc) {
        add_status(x, rc, err, base, member);
        return;
    }
    size_t count, total;
    const npg_finding *f = npg_doc_findings(doc, &count, &total);
    bool unsafe_before = x->a->unsafe;
    for (size_t i = 0; i < count; i++) {
        const char *op = f[i].opcode >= 0 ? npg_opcode_name(f[i].opcode) : NULL;
        if (f[i].rule == NPG_RULE_MALFORMED) /* a strict refusal: told like the error it is in decode mode */
            add_vm(x, &f[i], base + f[i].offset, member, "%s%s%s: %s", npg_status_name(f[i].status),
                   op ? " in " : "", op ? op : "", f[i].message);
        else
            add_vm(x, &f[i], base + f[i].offset, member, "%s", f[i].message);
    }
    if (total > count && x->a->unsafe == unsafe_before)
        /* the VM kept the first max_findings; what it dropped is unknown, so the file cannot pass */
        npg__aud_add(x, NPG_RULE_MALFORMED, NPG_SEV_HIGH, base, member, NULL, 0,
                     "%zu findings beyond limits.max_findings were not recorded: the content cannot be judged",
                     total - count);
    npg_error e;
    int st = npg_doc_status(doc, &e);
    if (st != NPG_OK) add_status(x, st, &e, base, member);
}

void npg__aud_mark(const npg_aud *x, npg_aud_mark *m)
{
    const npg_audit *a = x->a;
    m->n = a->n;
    m->dropped = a->dropped;
    m->evicted = a->evicted;
    m->unsafe = a->unsafe;
    m->invalid = a->invalid;
}

bool npg__aud_take_back(npg_aud *x, const npg_aud_mark *m)
{
    npg_audit *a = x->a;
    if (a->evicted != m->evicted || a->status != NPG_OK) return false;
    a->n = m->n;
    a->dropped = m->dropped;
    a->unsafe = m->unsafe;
    a->invalid = m->invalid;
    if (a->info_cursor > a->n) a->info_cursor = a->n;
    return true;
}

void npg__aud_finish(npg_aud *x)
{
    npg_audit *a = x->a;
    if (a->dropped == 0 || a->status != NPG_OK) return;
    /* one slot past the cap, so the note is never what gets dropped */
    npg_audit_finding *f = npg__arena_grow(&a->arena, a->f, a->cap * sizeof *f, (a->n + 1) * sizeof *f);
    if (!f) {
        a->status = a->mem.status != NPG_OK ? a->mem.status : NPG_E_NOMEM;
        return;
    }
    a->f = f;
    a->cap = a->n + 1;
    char msg[120];
    snprintf(msg, sizeof msg, "%zu more findings were not kept (limits.max_findings); the verdict counts them",
             a->dropped);
    npg_audit_finding v = {NPG_RULE_MALFORMED, NPG_SEV_INFO, 0, NULL, NULL, msg, 0};
    fill(a, &a->f[a->n++], &v);
}
