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

static bool allowed_by_caller(const npg_aud *x, const char *global)
{
    if (!global) return false;
    for (size_t i = 0; i < x->nallow; i++)
        if (x->allow[i] && strcmp(x->allow[i], global) == 0) return true;
    return false;
}

static void update_verdict(npg_audit *a, int rule, npg_severity sev)
{
    if (is_allowlist_rule(rule) && sev > NPG_SEV_INFO) a->unsafe = true;
    if ((rule == NPG_RULE_MALFORMED && sev > NPG_SEV_INFO) || rule == NPG_RULE_POLYGLOT ||
        rule == NPG_RULE_HIDDEN_MEMBER)
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
    if (a->info_cursor > 0) *out = &a->f[--a->info_cursor];
    return NPG_OK;
}

static int fill(npg_audit *a, npg_audit_finding *f, const npg_audit_finding *v)
{
    *f = *v;
    f->member = copy_str(a, v->member);
    f->global = copy_str(a, v->global);
    f->message = copy_str(a, v->message);
    if ((v->member && !f->member) || (v->global && !f->global) || !f->message) {
        f->message = "";
        a->status = a->mem.status != NPG_OK ? a->mem.status : NPG_E_NOMEM;
    }
    return a->status;
}

int npg__aud_add(npg_aud *x, int rule, npg_severity sev, uint64_t offset, const char *member,
                 const char *global, int status, const char *fmt, ...)
{
    npg_audit *a = x->a;
    if (a->status != NPG_OK) return a->status;
    char msg[sizeof ((npg_diag *)0)->msg + 32];
    npg_diag d;
    va_list ap;
    va_start(ap, fmt);
    npg__vdiag(&d, NPG_OK, fmt, ap);
    va_end(ap);
    snprintf(msg, sizeof msg, "%s", d.msg);
    if (is_allowlist_rule(rule) && sev > NPG_SEV_INFO && allowed_by_caller(x, global)) {
        sev = NPG_SEV_INFO;
        snprintf(msg, sizeof msg, "%s (allowed by the caller)", d.msg);
    }
    update_verdict(a, rule, sev);
    npg_audit_finding *f;
    if (slot(x, sev, &f) != NPG_OK || !f) return a->status;
    npg_audit_finding v = {rule, sev, offset, member, global, msg, status};
    return fill(a, f, &v);
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
    for (size_t i = 0; i < count; i++)
        npg__aud_add(x, f[i].rule, f[i].severity, base + f[i].offset, member, f[i].global, 0, "%s",
                     f[i].message);
    if (total > count && x->a->unsafe == unsafe_before)
        /* the VM kept the first max_findings; what it dropped is unknown, so the file cannot pass */
        npg__aud_add(x, NPG_RULE_MALFORMED, NPG_SEV_HIGH, base, member, NULL, 0,
                     "%zu findings beyond limits.max_findings were not recorded: the content cannot be judged",
                     total - count);
    npg_error e;
    int st = npg_doc_status(doc, &e);
    if (st != NPG_OK) add_status(x, st, &e, base, member);
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
