/* JSON report (docs/scan-json.md, schema version 1): one object per file, in list order,
 * streamed as the scan proceeds; the summary comes last. Every finding is included, info too. */
#include "scan_job.h"

enum { SCHEMA_VERSION = 1 };

/* "name" is the rule's name (schema version 1): the import's parts are global_module, global_name */
static const char *const global_keys[4] = {"global", "global_module", "global_name", "global_truncated"};

static void finding(FILE *f, const npg_audit_finding *x)
{
    fputs("{\"rule\": ", f);
    json_str(f, npg_rule_id(x->rule));
    fputs(", \"name\": ", f);
    json_str(f, npg_rule_name(x->rule));
    fputs(", \"severity\": ", f);
    json_str(f, npg_severity_name(x->severity));
    fputs(", \"message\": ", f);
    json_str(f, x->message);
    fprintf(f, ", \"offset\": %llu, \"offset_in\": \"%s\", \"member\": ", (unsigned long long)x->offset,
            offset_in_file(x) ? "file" : "member");
    json_str(f, x->member);
    json_global_keys(f, x, global_keys);
    fputs(", \"status\": ", f);
    json_str(f, x->status ? npg_status_name(x->status) : NULL);
    fputc('}', f);
}

static void findings(FILE *f, const npg_audit *a)
{
    fputs("[", f);
    for (size_t i = 0; a && i < npg_audit_count(a); i++) {
        fputs(i ? ",\n      " : "\n      ", f);
        finding(f, npg_audit_finding_at(a, i));
    }
    fputs(a && npg_audit_count(a) ? "\n    ]" : "]", f);
}

/* format, verdict, size, error and note of one item */
static void describe(reporter *r, const scan_item *it)
{
    FILE *f = r->out;
    char buf[300];
    const char *format = NULL, *verdict = "unknown", *error = NULL, *note = NULL;
    if (it->state == ITEM_ERROR) {
        item_error_text(it, buf, sizeof buf);
        verdict = "error";
        error = buf;
    } else if (it->state == ITEM_TOO_BIG) {
        note = "not scanned: larger than --max-file-size";
    } else {
        format = npg_format_name(npg_audit_format(it->audit));
        verdict = npg_verdict_name(npg_audit_verdict(it->audit));
    }
    if (!error && scan_passed(it, r->o) && (it->state == ITEM_TOO_BIG || npg_audit_verdict(it->audit) == NPG_VERDICT_UNKNOWN))
        note = it->state == ITEM_TOO_BIG ? "not scanned: larger than --max-file-size; passed by --skip-unknown"
                                         : "unknown format: passed by --skip-unknown";
    fputs(", \"format\": ", f);
    json_str(f, format);
    fputs(", \"verdict\": ", f);
    json_str(f, verdict);
    fprintf(f, ", \"passed\": %s, \"size\": ", scan_passed(it, r->o) ? "true" : "false");
    if (it->state == ITEM_ERROR) fputs("null", f);
    else fprintf(f, "%llu", (unsigned long long)it->size);
    fputs(", \"error\": ", f);
    json_str(f, error);
    fputs(", \"note\": ", f);
    json_str(f, note);
}

static void file(reporter *r, const scan_item *it)
{
    if (scan_hidden(it, r->o)) return;
    FILE *f = r->out;
    fputs(r->count++ ? ",\n  {\"path\": " : "\n  {\"path\": ", f);
    json_str(f, it->path);
    describe(r, it);
    fputs(",\n    \"findings\": ", f);
    findings(f, it->state == ITEM_SCANNED ? it->audit : NULL);
    fputc('}', f);
}

static void begin(reporter *r)
{
    fprintf(r->out, "{\"version\": %d, \"tool\": {\"name\": \"npguard\", \"version\": ", SCHEMA_VERSION);
    json_str(r->out, npg_version_string());
    fputs("},\n \"files\": [", r->out);
}

static void end(reporter *r, const scan_summary *s)
{
    FILE *f = r->out;
    fprintf(f, "%s],\n \"summary\": {\"files\": %zu, \"ok\": %zu, \"unsafe\": %zu, \"invalid\": %zu, "
            "\"unknown\": %zu, \"errors\": %zu, \"not_scanned\": %zu, \"passed\": %zu, \"findings\": {",
            r->count ? "\n " : "", s->files, s->ok, s->unsafe, s->invalid, s->unknown, s->errors, s->skipped,
            s->passed);
    for (int sev = NPG_SEV_INFO; sev <= NPG_SEV_CRITICAL; sev++)
        fprintf(f, "%s\"%s\": %zu", sev ? ", " : "", npg_severity_name((npg_severity)sev), s->by_severity[sev]);
    fprintf(f, "}, \"exit_status\": %d}}\n", s->exit_status);
}

void report_json_init(reporter *r)
{
    r->begin = begin;
    r->file = file;
    r->end = end;
}
