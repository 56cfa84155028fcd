/* Pickle streams: one pickle, or several written one after another (legacy torch.save files hold
 * five; pickle.dump called in a loop makes any number). Each is run by the VM in scan mode with
 * NPG_ALLOW_TRAILING; the next starts where the previous STOP ended, and the first failure ends
 * the stream (nothing after it can be located reliably). All pickles share one max_ops budget, so
 * a file of a million "N." pickles costs what one long pickle does.
 *
 * Without a PROTO opcode (protocols 0 and 1) any byte string may look like the start of a pickle,
 * so the stream is only claimed when it parses completely or when the VM meets an import or a
 * call (any finding) in it. Text that merely starts like one ("N.B. ...") stays text. */
#include "audit.h"

/* Opcodes a stream may run in all, counted as max_ops counts them, plus this much per pickle
 * for the document each one costs. */
enum { PER_PICKLE_COST = 64 };

static bool starts_with_proto(const uint8_t *p, size_t n)
{
    return n >= 2 && p[0] == 0x80 && p[1] <= 5;
}

/* One pickle at p[pos..n): rc, the document (or NULL), whether it met a finding. */
static int run_one(npg_aud *x, const uint8_t *p, size_t n, uint64_t pos, npg_doc **doc, npg_error *err,
                   bool *found)
{
    npg_pickle_opts o = {NPG_SCAN | NPG_ALLOW_TRAILING | (x->flags & NPG_PY2_BYTES), NULL, 0};
    int rc = npg_pickle_load(x->ctx, p + pos, n - (size_t)pos, &o, doc, err);
    size_t total = 0;
    npg_doc_findings(*doc, NULL, &total);
    /* No document, or a run cut short by memory rather than by the bytes: what the VM did not
     * get to see may be an import, so fail closed and count it as a pickle. */
    *found = total > 0 || !*doc || rc == NPG_E_NOMEM || rc == NPG_E_LIMIT_ALLOC || rc >= NPG_E_INVALID;
    return rc;
}

static bool over_budget(npg_aud *x, uint64_t *spent, const npg_doc *doc, uint64_t pos, const char *member)
{
    *spent += npg_doc_ops(doc) + PER_PICKLE_COST;
    if (*spent <= x->lim->max_ops) return false;
    npg__aud_add(x, NPG_RULE_MALFORMED, npg_rule_severity(NPG_RULE_MALFORMED), pos, member, NULL,
                 NPG_E_LIMIT_OPS, "%s: concatenated pickles use more than %llu operations in all",
                 npg_status_name(NPG_E_LIMIT_OPS), (unsigned long long)x->lim->max_ops);
    return true;
}

bool npg__aud_pickles(npg_aud *x, const uint8_t *p, size_t n, const char *member)
{
    return npg__aud_pickles_until(x, p, n, n, member);
}

bool npg__aud_pickles_until(npg_aud *x, const uint8_t *p, size_t n, size_t until, const char *member)
{
    bool sure = starts_with_proto(p, n), any = false;
    uint64_t pos = 0, spent = 0;
    for (size_t i = 0;; i++) {
        npg_doc *doc = NULL;
        npg_error err;
        bool found;
        int rc = run_one(x, p, n, pos, &doc, &err, &found);
        any |= found;
        /* Until something failed, finding-less pickles recorded nothing: giving up is free. */
        if (rc != NPG_OK && !any && !sure && (i == 0 || npg__aud_is_text(p, n))) {
            npg_doc_free(doc);
            return false;
        }
        npg__aud_add_doc(x, doc, rc, &err, pos, member);
        uint64_t end = rc == NPG_OK ? npg_doc_end(doc) : 0;
        bool stop = rc != NPG_OK || end == 0 || end >= until - pos || over_budget(x, &spent, doc, pos, member);
        npg_doc_free(doc);
        if (stop) break;
        pos += end;
    }
    return true;
}
