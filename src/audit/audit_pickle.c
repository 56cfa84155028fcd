/* Pickle streams: one pickle, or several written one after another (legacy torch.save files hold
 * five; pickle.dump called in a loop makes any number). Each is run by the VM in scan mode with
 * NPG_ALLOW_TRAILING; the next starts where the previous STOP ended, and the first failure ends
 * the stream (nothing after it can be located reliably). All pickles share one max_ops budget, so
 * a file of a million "N." pickles costs what one long pickle does.
 *
 * Whether the bytes are a pickle at all is CPython's call (rule 4 of docs/scan-json.md): they are
 * not one only when CPython would stop without ever calling find_class for an importable module
 * (the scan, which reads at least as far as CPython, reached none) and they do not form a
 * complete opcode stream. A file that starts with PROTO is a pickle; a run cut short by a limit
 * or by memory is one too (what it did not see may be an import: fail closed). Otherwise the
 * findings the stream made are taken back: "Name,Age\n" (NONE, then APPEND fails) is text, and
 * so is a CSV that starts "count,value" (a GLOBAL of module "ount,value" no import can find). */
#include "../pickle/doc.h"
#include "audit.h"

/* Opcodes a stream may run in all, counted as max_ops counts them, plus this much per pickle
 * for the document each one costs. */
enum { PER_PICKLE_COST = 64 };

static bool starts_with_proto(const uint8_t *p, size_t n)
{
    return n >= 2 && p[0] == 0x80 && p[1] <= 5;
}

/* A stop that says nothing about the bytes: a limit or memory ended the run. (Too many decimal
 * digits is no such stop: CPython's int_max_str_digits refuses the same texts.) */
static bool cut_short(int rc)
{
    if (rc == NPG_OK || rc == NPG_E_LIMIT_DIGITS) return false;
    return rc == NPG_E_NOMEM || (rc >= NPG_E_LIMIT_INPUT && rc < NPG_E_NOMEM) || rc >= NPG_E_INVALID;
}

/* A finding that makes the file unsafe: an import or call outside the allowlist. */
static bool unsafe_finding(const npg_finding *f)
{
    return f->rule >= NPG_RULE_GLOBAL_DANGEROUS && f->rule <= NPG_RULE_BUFFER && f->severity >= NPG_SEV_HIGH;
}

/* What one pickle at p[pos..n) showed about the bytes: an import reached, or a run that could
 * not judge them. */
static bool claims_pickle(const npg_doc *doc, int rc)
{
    if (!doc || cut_short(rc)) return true;
    if (doc->imports) return true;
    size_t count, total;
    const npg_finding *f = npg_doc_findings(doc, &count, &total);
    if (total > count) return true; /* findings were dropped: one may be an import */
    for (size_t i = 0; i < count; i++) {
        if (unsafe_finding(&f[i])) return true;
        /* another reading of the frames that a limit cut short */
        if (f[i].rule == NPG_RULE_MALFORMED && cut_short(f[i].status)) return true;
    }
    return false;
}

static bool over_budget(npg_aud *x, uint64_t *spent, const npg_doc *doc, uint64_t pos, uint64_t base,
                        const char *member)
{
    *spent += npg_doc_ops(doc) + PER_PICKLE_COST;
    if (*spent <= x->lim->max_ops) return false;
    npg__aud_add(x, NPG_RULE_MALFORMED, npg_rule_severity(NPG_RULE_MALFORMED), base + pos, member, NULL,
                 NPG_E_LIMIT_OPS, "%s: concatenated pickles use more than %llu operations in all",
                 npg_status_name(NPG_E_LIMIT_OPS), (unsigned long long)x->lim->max_ops);
    return true;
}

/* Run the stream, recording every pickle's findings; *claimed says whether it is a pickle. */
static void run_stream(npg_aud *x, const uint8_t *p, size_t n, size_t until, uint64_t base, const char *member,
                       bool *claimed)
{
    uint64_t pos = 0, spent = 0;
    for (;;) {
        npg_doc *doc = NULL;
        npg_error err;
        npg_pickle_opts o = {NPG_SCAN | NPG_ALLOW_TRAILING | (x->flags & NPG_PY2_BYTES), NULL, 0};
        int rc = npg_pickle_load(x->ctx, p + pos, n - (size_t)pos, &o, &doc, &err);
        *claimed |= claims_pickle(doc, rc);
        npg__aud_add_doc(x, doc, rc, &err, base + pos, member);
        uint64_t end = rc == NPG_OK ? npg_doc_end(doc) : 0;
        bool stop = rc != NPG_OK || end == 0 || end >= until - pos ||
                    over_budget(x, &spent, doc, pos, base, member);
        npg_doc_free(doc);
        if (stop) return;
        pos += end;
    }
}

static bool pickles(npg_aud *x, const uint8_t *p, size_t n, size_t until, uint64_t base, const char *member)
{
    npg_aud_mark mark;
    npg__aud_mark(x, &mark);
    bool claimed = starts_with_proto(p, n);
    run_stream(x, p, n, until, base, member, &claimed);
    if (claimed || npg__pickle_complete(p, n)) return true;
    return !npg__aud_take_back(x, &mark); /* findings the cap evicted cannot come back: keep all */
}

bool npg__aud_pickles(npg_aud *x, const uint8_t *p, size_t n, const char *member)
{
    return pickles(x, p, n, n, 0, member);
}

bool npg__aud_pickles_at(npg_aud *x, const uint8_t *p, size_t n, uint64_t base, const char *member)
{
    return pickles(x, p, n, n, base, member);
}

bool npg__aud_pickles_until(npg_aud *x, const uint8_t *p, size_t n, size_t until, const char *member)
{
    return pickles(x, p, n, until, 0, member);
}
