/* npg_pickle_disassemble: a pickletools.dis-like listing produced by the VM itself. There is no
 * second parser: the VM runs as for npg_pickle_load and calls back after every opcode (vm.c,
 * npg__pickle_run_traced), so the listing shows exactly what decode and scan executed, with the
 * stack depth and memo index the VM had and the findings it recorded at that offset. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "dis.h"
#include "opcodes.h"
#include "vm.h"

enum { MAX_INDENT = 16, LINE_CAP = 640 };

typedef struct dis {
    npg_write_fn write;
    void *ud;
    int wrc;                /* first failing write: the listing stops there */
    const npg_doc *doc;
    size_t next_finding;    /* findings before this index are listed */
    size_t marks;           /* open MARKs before the current opcode */
    bool refused;
    npg_finding refusal;    /* first finding above info: what decode mode would refuse */
} dis;

__attribute__((format(printf, 2, 3)))
static void out(dis *d, const char *fmt, ...)
{
    char line[LINE_CAP];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (k < 0 || d->wrc) return;
    size_t n = (size_t)k < sizeof line ? (size_t)k : sizeof line - 1;
    if (n == sizeof line - 1) line[n - 1] = '\n'; /* a cut line still ends */
    d->wrc = d->write(d->ud, line, n);
}

/* "NPG002 critical dangerous-global posix.system" (the name escaped: it may hold any byte),
 * "NPG100 high NPG_E_SYNTAX: <message>" for a strict refusal, or the message when no global is
 * involved. */
static void finding_text(char *buf, size_t cap, const npg_finding *f)
{
    char name[200];
    if (f->global) {
        npg__escape(name, sizeof name, f->global, f->global_len);
        snprintf(buf, cap, "%s %s %s %s", npg_rule_id(f->rule), npg_severity_name(f->severity),
                 npg_rule_name(f->rule), name);
    } else if (f->rule == NPG_RULE_MALFORMED) {
        snprintf(buf, cap, "%s %s %s: %s", npg_rule_id(f->rule), npg_severity_name(f->severity),
                 npg_status_name(f->status), f->message);
    } else {
        snprintf(buf, cap, "%s %s %s", npg_rule_id(f->rule), npg_severity_name(f->severity), f->message);
    }
}

static void error_text(const dis *d, int status, char *buf, size_t cap)
{
    npg_error e;
    npg_doc_status(d->doc, &e);
    snprintf(buf, cap, "error %s: %s", npg_status_name(status), e.message);
}

/* A line under an opcode's line, with only the judgement column filled. */
static void more(dis *d, const char *text)
{
    out(d, "%8s  %5s  %4s  %-24s  %-40s  %s\n", "", "", "", "", "", text);
}

/* The opcode's name, indented as pickletools does by the MARKs open before it ran. */
static void label(char *buf, size_t cap, const npg__trace_ev *ev, size_t level)
{
    const char *name = ev->opcode >= 0 ? npg__opinfo[ev->opcode].name : "(end of data)";
    char unknown[16];
    if (!name) snprintf(unknown, sizeof unknown, "<0x%02x>", (unsigned)ev->opcode), name = unknown;
    if (level > MAX_INDENT) level = MAX_INDENT;
    snprintf(buf, cap, "%*s%s", (int)(2 * level), "", name);
}

/* One opcode: its line with the VM's judgement (the first finding recorded while it ran, the
 * error it raised, or "ok"), then any further findings and the error on lines of their own.
 * Findings are matched by offset; one recorded elsewhere (none is, today) names its offset. */
static void on_op(void *ud, const npg__trace_ev *ev)
{
    dis *d = ud;
    size_t n = 0;
    const npg_finding *f = npg_doc_findings(d->doc, &n, NULL);
    size_t i = d->next_finding;
    char name[2 * MAX_INDENT + 24], memo[24] = "", arg[NPG_DIS_ARG_CAP], verdict[400];
    bool error_shown = false;
    for (size_t k = i; k < n; k++)
        if (f[k].severity > NPG_SEV_INFO && !d->refused) d->refusal = f[k], d->refused = true;
    if (i < n && f[i].offset == ev->offset) finding_text(verdict, sizeof verdict, &f[i++]);
    else if (ev->status != NPG_OK) error_text(d, ev->status, verdict, sizeof verdict), error_shown = true;
    else snprintf(verdict, sizeof verdict, "ok");
    label(name, sizeof name, ev, d->marks);
    d->marks = ev->marks;
    if (ev->memo >= 0) snprintf(memo, sizeof memo, "%lld", (long long)ev->memo);
    npg__dis_arg(arg, ev->opcode, ev->arg, ev->arglen);
    out(d, "%8llu  %5zu  %4s  %-24s  %-40s  %s\n", (unsigned long long)ev->offset, ev->depth, memo, name,
        arg, verdict);
    for (; i < n; i++) {
        char text[400];
        size_t k = 0;
        finding_text(text, sizeof text, &f[i]);
        if (f[i].offset != ev->offset) {
            k = strlen(text);
            snprintf(text + k, sizeof text - k, " (at offset %llu)", (unsigned long long)f[i].offset);
        }
        more(d, text);
    }
    if (ev->status != NPG_OK && !error_shown) {
        error_text(d, ev->status, verdict, sizeof verdict);
        more(d, verdict);
    }
    d->next_finding = n;
}

/* The status decode mode gives the refusal a finding records (vm.c passes the same codes). */
static int refusal_status(const npg_finding *f)
{
    switch (f->rule) {
    case NPG_RULE_MALFORMED: return f->status; /* a strict refusal carries decode's status */
    case NPG_RULE_OPCODE_CALL:
    case NPG_RULE_OPCODE_EXT:
    case NPG_RULE_OPCODE_PERSID: return NPG_E_FORBIDDEN_OPCODE;
    case NPG_RULE_BUILD: return NPG_E_BUILD;
    case NPG_RULE_MUTATE: return NPG_E_TYPE;
    case NPG_RULE_BUFFER: return NPG_E_BUFFER;
    default: return NPG_E_GLOBAL;
    }
}

/* The last line, and the status the call returns (see npguard.h) with its detail in *e. */
static int summary(dis *d, int status, npg_error *e)
{
    size_t n = 0, total = 0, above = 0;
    const npg_finding *f = npg_doc_findings(d->doc, &n, &total);
    for (size_t i = 0; i < n; i++) above += f[i].severity > NPG_SEV_INFO;
    char tail[96] = "";
    if (total > n) snprintf(tail, sizeof tail, " (%zu more findings not kept)", total - n);
    npg_doc_status(d->doc, e);
    if (status == NPG_OK && d->refused) {
        memset(e, 0, sizeof *e);
        status = refusal_status(&d->refusal);
        e->code = status;
        e->opcode = d->refusal.opcode;
        e->offset = d->refusal.offset;
        snprintf(e->message, sizeof e->message, "%s", d->refusal.message);
    }
    /* the verdict npg_audit_buffer gives a pickle: unsafe for an import or call outside the
     * allowlist (high or critical), invalid for any other finding above info or a stop */
    bool unsafe = false;
    for (size_t i = 0; i < n; i++)
        unsafe |= f[i].rule >= NPG_RULE_GLOBAL_DANGEROUS && f[i].rule <= NPG_RULE_BUFFER && f[i].severity >= NPG_SEV_HIGH;
    const char *verdict = unsafe ? "unsafe" : status == NPG_OK ? "ok" : "invalid";
    out(d, "-- protocol %d, %llu opcodes, %zu finding(s) above info%s: ", npg_doc_protocol(d->doc),
        (unsigned long long)npg_doc_ops(d->doc), above, tail);
    if (npg_doc_status(d->doc, NULL) != NPG_OK)
        out(d, "%s, stopped by %s at offset %llu: %s\n", verdict, npg_status_name(e->code), (unsigned long long)e->offset,
            e->message);
    else
        out(d, "%s\n", verdict);
    return status;
}

static int fail_plain(npg_error *err, int code, const char *msg)
{
    if (err) {
        memset(err, 0, sizeof *err);
        err->code = code;
        err->opcode = -1;
        snprintf(err->message, sizeof err->message, "%s", msg);
    }
    return code;
}

NPG_API int npg_pickle_disassemble(const npg_ctx *ctx, const uint8_t *buf, size_t len, unsigned flags,
                                   npg_write_fn write, void *ud, npg_error *err)
{
    if (!ctx || !write || (!buf && len) || (flags & ~(unsigned)(NPG_SCAN | NPG_ALLOW_TRAILING | NPG_PY2_BYTES)))
        return fail_plain(err, NPG_E_INVALID, "invalid argument");
    npg_doc *doc = npg__doc_new(ctx);
    if (!doc) return fail_plain(err, NPG_E_NOMEM, "out of memory");
    dis d;
    memset(&d, 0, sizeof d);
    d.write = write;
    d.ud = ud;
    d.doc = doc;
    out(&d, "%8s  %5s  %4s  %-24s  %-40s  %s\n", "offset", "stack", "memo", "opcode", "argument", "judgement");
    int rc = npg__pickle_run_traced(doc, ctx, buf, len, flags, on_op, &d);
    npg_error e;
    rc = summary(&d, rc, &e);
    npg_doc_free(doc);
    if (d.wrc) return fail_plain(err, NPG_E_INVALID, "the output callback failed");
    if (err) *err = e;
    return rc;
}
