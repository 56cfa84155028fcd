/* Which files pass, the totals, and the exit status: 0 when every file passed, 1 when any file is
 * unsafe, invalid or unknown (unknown and too-large files pass with --skip-unknown), 2 when any
 * file or directory could not be read. An error never hides a finding: the other files are still
 * reported, and the status is 2. */
#include "scan_job.h"

bool scan_passed(const scan_item *it, const scan_opts *o)
{
    if (it->state == ITEM_ERROR) return false;
    if (it->state == ITEM_TOO_BIG) return o->skip_unknown;
    npg_verdict v = npg_audit_verdict(it->audit);
    return v == NPG_VERDICT_OK || (v == NPG_VERDICT_UNKNOWN && o->skip_unknown);
}

/* --quiet lists "only files that did not pass": an unknown or too-large file that passed by
 * --skip-unknown is hidden like an ok one, and an error (never passing) is always shown. */
bool scan_hidden(const scan_item *it, const scan_opts *o)
{
    return o->quiet && scan_passed(it, o);
}

void scan_count(scan_summary *s, const scan_item *it, const scan_opts *o)
{
    s->files++;
    if (it->state == ITEM_ERROR) {
        s->errors++;
        s->exit_status = 2;
        return;
    }
    bool passed = scan_passed(it, o);
    s->passed += passed;
    if (!passed && s->exit_status < 1) s->exit_status = 1;
    if (it->state == ITEM_TOO_BIG) {
        s->skipped++;
        s->unknown++;
        return;
    }
    switch (npg_audit_verdict(it->audit)) {
    case NPG_VERDICT_OK: s->ok++; break;
    case NPG_VERDICT_UNSAFE: s->unsafe++; break;
    case NPG_VERDICT_INVALID: s->invalid++; break;
    default: s->unknown++; break;
    }
    for (size_t i = 0; i < npg_audit_count(it->audit); i++) {
        npg_severity sev = npg_audit_finding_at(it->audit, i)->severity;
        if (sev >= NPG_SEV_INFO && sev <= NPG_SEV_CRITICAL) s->by_severity[sev]++;
    }
}
