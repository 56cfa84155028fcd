/* Text report: one line per file, "PATH: verdict (format)", its findings indented below it (info
 * findings only with --verbose), then a summary line. Colour only on a terminal without
 * NO_COLOR; paths are escaped (scan_job.h). A finding shows the library's message, in which a
 * global's bytes outside printable ASCII are escaped: a look-alike letter shows as \xNN, which
 * is what a person checking a name on a terminal needs; the exact bytes are in JSON and SARIF. */
#include <string.h>

#include "scan_job.h"

static const char *paint(const reporter *r, const char *code)
{
    return r->colour ? code : "";
}

static const char *verdict_colour(npg_verdict v)
{
    static const char *const c[] = {"\033[32m", "\033[1;31m", "\033[33m", "\033[35m"};
    return v <= NPG_VERDICT_UNKNOWN ? c[v] : "";
}

static const char *severity_colour(npg_severity s)
{
    static const char *const c[] = {"\033[2m", "\033[36m", "\033[33m", "\033[31m", "\033[1;31m"};
    return s <= NPG_SEV_CRITICAL ? c[s] : "";
}

static void finding(reporter *r, const npg_audit_finding *f)
{
    FILE *out = r->out;
    fprintf(out, "  %s %s%-8s%s ", npg_rule_id(f->rule), paint(r, severity_colour(f->severity)),
            npg_severity_name(f->severity), paint(r, "\033[0m"));
    if (f->member) {
        fputs("member ", out);
        text_path(out, f->member);
        fputc(' ', out);
    }
    /* "offset" counts in the member's bytes; "file offset" where a member finding points into the archive */
    fprintf(out, "%soffset %llu: ", f->member && offset_in_file(f) ? "file " : "", (unsigned long long)f->offset);
    text_ascii(out, f->message); /* printable ASCII already: a broken promise must not reach the terminal */
    fputc('\n', out);
}

static void head(reporter *r, const scan_item *it, npg_verdict v, const char *word, const char *detail)
{
    text_path(r->out, it->path);
    fprintf(r->out, ": %s%s%s (%s)", paint(r, verdict_colour(v)), word, paint(r, "\033[0m"), detail);
    if (it->state != ITEM_ERROR && v == NPG_VERDICT_UNKNOWN && r->o->skip_unknown)
        fputs(", passed (--skip-unknown)", r->out);
    fputc('\n', r->out);
}

static void file(reporter *r, const scan_item *it)
{
    char buf[300];
    if (scan_hidden(it, r->o)) return;
    if (it->state == ITEM_ERROR) {
        item_error_text(it, buf, sizeof buf);
        head(r, it, NPG_VERDICT_UNSAFE, "error", buf);
        return;
    }
    if (it->state == ITEM_TOO_BIG) {
        snprintf(buf, sizeof buf, "not scanned: %llu bytes, above --max-file-size %llu",
                 (unsigned long long)it->size, (unsigned long long)r->o->max_file_size);
        head(r, it, NPG_VERDICT_UNKNOWN, "unknown", buf);
        return;
    }
    npg_verdict v = npg_audit_verdict(it->audit);
    head(r, it, v, npg_verdict_name(v), npg_format_name(npg_audit_format(it->audit)));
    for (size_t i = 0; i < npg_audit_count(it->audit); i++) {
        const npg_audit_finding *f = npg_audit_finding_at(it->audit, i);
        if (f->severity > NPG_SEV_INFO || r->o->verbose) finding(r, f);
    }
}

static void begin(reporter *r)
{
    (void)r;
}

static void end(reporter *r, const scan_summary *s)
{
    fprintf(r->out, "%zu file%s: %zu ok, %zu unsafe, %zu invalid, %zu unknown, %zu error%s", s->files,
            s->files == 1 ? "" : "s", s->ok, s->unsafe, s->invalid, s->unknown, s->errors, s->errors == 1 ? "" : "s");
    if (s->skipped) fprintf(r->out, " (%zu not scanned: above --max-file-size)", s->skipped);
    if (r->o->skip_unknown && s->unknown) fputs("; unknown files passed (--skip-unknown)", r->out);
    fputc('\n', r->out);
}

void report_text_init(reporter *r)
{
    r->begin = begin;
    r->file = file;
    r->end = end;
}
