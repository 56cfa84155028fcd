/* SARIF 2.1.0 report: one run; every rule id with its help text (npg_rule_help); one result per
 * finding (info findings only with --verbose) located by a relative URI under %SRCROOT% and a
 * byte offset, or by member name when the offset is inside a zip member's uncompressed bytes.
 * Files that could not be read, or were not scanned, become tool execution notifications. With
 * --quiet, a file that passed leaves no result and no notification. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scan_job.h"

/* The rules, in id order, as the library lists them (ids are NPG001-NPG999; a number without a
 * rule has no help text): a rule the library adds appears here without a change to this file. */
enum { MAX_RULE = 999 };
static int rule_ids[MAX_RULE];
static int nrules;

static void list_rules(void)
{
    nrules = 0;
    for (int id = 1; id <= MAX_RULE; id++)
        if (npg_rule_help(id)[0]) rule_ids[nrules++] = id;
}

static const char *const global_keys[4] = {"global", "globalModule", "globalName", "globalTruncated"};

typedef struct note {
    char *path;
    bool is_stdin, error;
    char msg[300];
} note;

typedef struct sstate {
    note *v;
    size_t n, cap;
} sstate;

static int rule_index(int rule)
{
    for (int i = 0; i < nrules; i++)
        if (rule_ids[i] == rule) return i;
    return -1;
}

static const char *level(npg_severity s)
{
    return s >= NPG_SEV_HIGH ? "error" : s == NPG_SEV_MEDIUM ? "warning" : "note";
}

static const char *security_severity(npg_severity s)
{
    static const char *const v[] = {"0.0", "3.0", "5.5", "8.0", "9.5"};
    return s <= NPG_SEV_CRITICAL ? v[s] : "5.5";
}

static void rule(FILE *f, int id)
{
    const char *help = npg_rule_help(id), *dot = strstr(help, ". ");
    char shortd[200];
    snprintf(shortd, sizeof shortd, "%.*s", dot ? (int)(dot - help + 1) : (int)strlen(help), help);
    fputs("{\"id\": ", f);
    json_str(f, npg_rule_id(id));
    fputs(", \"name\": ", f);
    json_str(f, npg_rule_name(id));
    fputs(", \"shortDescription\": {\"text\": ", f);
    json_str(f, shortd);
    fputs("}, \"fullDescription\": {\"text\": ", f);
    json_str(f, help);
    fputs("}, \"help\": {\"text\": ", f);
    json_str(f, help);
    fprintf(f, "}, \"defaultConfiguration\": {\"level\": \"%s\"}, \"properties\": {\"security-severity\": \"%s\", "
            "\"tags\": [\"security\"]}}", level(npg_rule_severity(id)), security_severity(npg_rule_severity(id)));
}

/* artifactLocation of an item: a relative URI under %SRCROOT%, file:// for absolute paths. */
static void artifact(FILE *f, const char *path, bool is_stdin)
{
    if (is_stdin) {
        fputs("{\"description\": {\"text\": \"standard input\"}}", f);
        return;
    }
    fputs("{\"uri\": \"", f);
    if (path[0] == '/') {
        fputs("file://", f);
        uri_path(f, path);
        fputs("\"}", f);
        return;
    }
    while (path[0] == '.' && path[1] == '/') path += 2;
    uri_path(f, path);
    fputs("\", \"uriBaseId\": \"SRCROOT\"}", f);
}

static void result(reporter *r, const scan_item *it, const npg_audit_finding *x)
{
    FILE *f = r->out;
    fputs(r->count++ ? ",\n    {\"ruleId\": " : "\n    {\"ruleId\": ", f);
    json_str(f, npg_rule_id(x->rule));
    fprintf(f, ", \"ruleIndex\": %d, \"level\": \"%s\", \"message\": {\"text\": ", rule_index(x->rule),
            level(x->severity));
    json_str(f, x->message);
    fputs("}, \"locations\": [{\"physicalLocation\": {\"artifactLocation\": ", f);
    artifact(f, it->path, it->is_stdin);
    if (offset_in_file(x)) fprintf(f, ", \"region\": {\"byteOffset\": %llu}", (unsigned long long)x->offset);
    fputs("}", f);
    if (x->member) { /* the member, as a logical location inside the artifact */
        fputs(", \"logicalLocations\": [{\"name\": ", f);
        json_str(f, x->member);
        fputs(", \"kind\": \"resource\"}]", f);
    }
    fputs("}]", f);
    fputs(", \"properties\": {\"severity\": ", f);
    json_str(f, npg_severity_name(x->severity));
    fputs(", \"verdict\": ", f);
    json_str(f, npg_verdict_name(npg_audit_verdict(it->audit)));
    fputs(", \"format\": ", f);
    json_str(f, npg_format_name(npg_audit_format(it->audit)));
    fputs(", \"member\": ", f);
    json_str(f, x->member);
    fprintf(f, ", \"offset\": %llu, \"offsetIn\": \"%s\"", (unsigned long long)x->offset,
            offset_in_file(x) ? "file" : "member");
    json_global_keys(f, x, global_keys);
    fputs(", \"status\": ", f);
    json_str(f, x->status ? npg_status_name(x->status) : NULL);
    fputs("}}", f);
}

static void remember(reporter *r, const scan_item *it)
{
    sstate *st = r->state;
    if (!st) return;
    if (st->n == st->cap) {
        size_t cap = st->cap ? st->cap * 2 : 16;
        note *v = realloc(st->v, cap * sizeof *v);
        if (!v) return;
        st->v = v;
        st->cap = cap;
    }
    note *nt = &st->v[st->n];
    if (!(nt->path = strdup(it->path))) return;
    nt->is_stdin = it->is_stdin;
    nt->error = it->state == ITEM_ERROR;
    if (nt->error) item_error_text(it, nt->msg, sizeof nt->msg);
    else snprintf(nt->msg, sizeof nt->msg, "not scanned: %llu bytes, above --max-file-size%s",
                  (unsigned long long)it->size, r->o->skip_unknown ? " (passed by --skip-unknown)" : "");
    st->n++;
}

static void file(reporter *r, const scan_item *it)
{
    if (scan_hidden(it, r->o)) return; /* --quiet: nothing about a file that passed */
    if (it->state != ITEM_SCANNED) {
        remember(r, it);
        return;
    }
    for (size_t i = 0; i < npg_audit_count(it->audit); i++) {
        const npg_audit_finding *x = npg_audit_finding_at(it->audit, i);
        if (x->severity > NPG_SEV_INFO || r->o->verbose) result(r, it, x);
    }
}

static void begin(reporter *r)
{
    FILE *f = r->out;
    char cwd[4096];
    fputs("{\"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\", \"version\": \"2.1.0\",\n"
          " \"runs\": [{\n  \"tool\": {\"driver\": {\"name\": \"npguard\", \"version\": ", f);
    json_str(f, npg_version_string());
    fputs(", \"semanticVersion\": ", f);
    json_str(f, npg_version_string());
    fputs(", \"rules\": [", f);
    for (int i = 0; i < nrules; i++) {
        fputs(i ? ",\n    " : "\n    ", f);
        rule(f, rule_ids[i]);
    }
    fputs("]}},\n", f);
    if (getcwd(cwd, sizeof cwd) && cwd[0] == '/') {
        fputs("  \"originalUriBaseIds\": {\"SRCROOT\": {\"uri\": \"file://", f);
        uri_path(f, cwd);
        fputs(cwd[1] ? "/\"}},\n" : "\"}},\n", f);
    }
    fputs("  \"results\": [", f);
}

static void notification(FILE *f, const note *nt, bool first)
{
    fputs(first ? "\n    {\"level\": " : ",\n    {\"level\": ", f);
    json_str(f, nt->error ? "error" : "warning");
    fputs(", \"message\": {\"text\": ", f);
    json_str(f, nt->msg);
    fputs("}, \"locations\": [{\"physicalLocation\": {\"artifactLocation\": ", f);
    artifact(f, nt->path, nt->is_stdin);
    fputs("}}]}", f);
}

static void end(reporter *r, const scan_summary *s)
{
    FILE *f = r->out;
    sstate *st = r->state;
    fprintf(f, "%s],\n  \"invocations\": [{\"executionSuccessful\": %s, \"exitCode\": %d, "
            "\"toolExecutionNotifications\": [", r->count ? "\n  " : "", s->errors ? "false" : "true", s->exit_status);
    for (size_t i = 0; st && i < st->n; i++) notification(f, &st->v[i], i == 0);
    fputs(st && st->n ? "\n  ]}]\n}]}\n" : "]}]\n}]}\n", f);
    for (size_t i = 0; st && i < st->n; i++) free(st->v[i].path);
    if (st) free(st->v);
    free(st);
    r->state = NULL;
}

void report_sarif_init(reporter *r)
{
    list_rules();
    r->state = calloc(1, sizeof(sstate)); /* NULL: notifications are left out, results still written */
    r->begin = begin;
    r->file = file;
    r->end = end;
}
