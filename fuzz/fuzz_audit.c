/* Fuzz target: whole-file scanning with format sniffing (npg_audit_buffer), as `npguard scan`
 * runs it on every file.
 *
 * Checks: the audit returns a result unless memory ran out; every finding has a known rule and
 * severity, a printable message and, outside zip members, an offset within the file; the
 * verdict follows from the findings; and the auditor agrees with the strict loaders on the same
 * bytes: a file that decodes as one pickle, loads as .npy or validates as .npz is ok for the
 * auditor in that format, and an ok .npy or ok pickle (with PROTO) loads with the loader.
 * Rule 4 from the VM's side: bytes the auditor calls text, unknown or empty are no pickle to
 * CPython: the VM, run over them as pickle.load would, reaches no find_class of an importable
 * module, and they are no complete opcode stream (checked here with the opcode table alone).
 * Option byte: bit 0 NPG_NPY_ALIGN16, bit 1 allow os.system/posix.system (--allow). */
#include <string.h>

#include "../src/pickle/opcodes.h"
#include "fuzz_common.h"

static const char *const allow[] = {"os.system", "posix.system"};

static int is_allowlist_rule(int rule) { return rule >= 2 && rule <= 10; }

/* A complete opcode stream: known opcodes, whole arguments, the last STOP at the very end. */
static int complete_stream(const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t code = p[i++];
        const npg_opinfo *op = &npg__opinfo[code];
        if (!op->name) return 0;
        uint64_t len = 0;
        switch ((npg_arg_kind)op->arg) {
        case ARG_NONE: break;
        case ARG_UINT: case ARG_SINT: case ARG_FIXED:
            if (n - i < op->argsize) return 0;
            i += op->argsize;
            break;
        case ARG_LINE2:
        case ARG_LINE:
            for (int lines = op->arg == ARG_LINE2 ? 2 : 1; lines > 0; lines--) {
                const uint8_t *nl = memchr(p + i, '\n', n - i);
                if (!nl) return 0;
                i = (size_t)(nl - p) + 1;
            }
            break;
        case ARG_ULEN: case ARG_SLEN:
            if (n - i < op->argsize) return 0;
            for (unsigned k = 0; k < op->argsize; k++) len |= (uint64_t)p[i + k] << (8 * k);
            i += op->argsize;
            /* CPython takes BINSTRING's length unsigned and refuses LONG4's when negative */
            if (op->arg == ARG_SLEN && code != OP_BINSTRING && (len >> (8 * op->argsize - 1) & 1)) return 0;
            if (n - i < len) return 0;
            i += (size_t)len;
            break;
        }
        if (code == OP_STOP && i == n) return 1;
    }
    return 0;
}

/* Rule 4: the auditor said the bytes are no pickle. */
static void check_not_a_pickle(const npg_ctx *ctx, const uint8_t *data, size_t size)
{
    FUZZ_ASSERT(!complete_stream(data, size));
    npg_doc *doc = NULL;
    npg_error err;
    const npg_pickle_opts o = {NPG_SCAN | NPG_ALLOW_TRAILING, NULL, 0};
    npg_pickle_load(ctx, data, size, &o, &doc, &err);
    if (!doc) return;
    size_t count, total;
    const npg_finding *f = npg_doc_findings(doc, &count, &total);
    for (size_t i = 0; i < count && total == count; i++)
        FUZZ_ASSERT(f[i].rule != NPG_RULE_GLOBAL_ALLOWED && f[i].rule != NPG_RULE_GLOBAL_DANGEROUS &&
                    f[i].rule != NPG_RULE_GLOBAL_UNKNOWN);
    npg_doc_free(doc);
}

/* Each finding is well-formed; returns whether the findings alone make the file unsafe (1),
 * invalid (2), both (3) or neither (0). */
static int check_findings(const npg_audit *a, size_t size)
{
    int seen = 0;
    for (size_t i = 0; i < npg_audit_count(a); i++) {
        const npg_audit_finding *f = npg_audit_finding_at(a, i);
        FUZZ_ASSERT(f && f->message);
        if (getenv("NPG_FUZZ_VERBOSE"))
            fprintf(stderr, "%s %s status %d at %llu [%s]: %s\n", npg_rule_id(f->rule), npg_severity_name(f->severity),
                    f->status, (unsigned long long)f->offset, f->member ? f->member : "", f->message);
        FUZZ_ASSERT(strcmp(npg_rule_id(f->rule), "NPG000") != 0);
        FUZZ_ASSERT(f->severity >= NPG_SEV_INFO && f->severity <= NPG_SEV_CRITICAL);
        for (const char *c = f->message; *c; c++) FUZZ_ASSERT(*c >= 0x20 && *c < 0x7f);
        if (!f->member) FUZZ_ASSERT(f->offset <= size);
        /* NPG100 carries the loader's status; the notes about findings beyond the cap have none
         * (info when the audit dropped them, high when a document did: then it cannot be judged) */
        if (f->rule == NPG_RULE_MALFORMED)
            FUZZ_ASSERT(f->status != NPG_E_INTERNAL && (f->status != NPG_OK || f->severity == NPG_SEV_INFO ||
                                                        strstr(f->message, "beyond limits.max_findings")));
        if (is_allowlist_rule(f->rule) && f->severity >= NPG_SEV_HIGH) seen |= 1;
        if ((f->rule == NPG_RULE_MALFORMED && f->severity > NPG_SEV_INFO) || f->rule == NPG_RULE_POLYGLOT ||
            f->rule == NPG_RULE_HIDDEN_MEMBER || f->rule == NPG_RULE_FORMAT_MISMATCH ||
            (is_allowlist_rule(f->rule) && f->severity > NPG_SEV_INFO && f->severity < NPG_SEV_HIGH))
            seen |= 2;
    }
    return seen;
}

static int is_ok(const npg_audit *a, npg_format f)
{
    return npg_audit_format(a) == f && npg_audit_verdict(a) == NPG_VERDICT_OK;
}

/* Read as format f, or as f and, through an end record somewhere in it, as a zip too (NPG102:
 * the auditor refuses what two loaders would read differently, and scans the archive as well). */
static int is_ok_or_polyglot(const npg_audit *a, npg_format f)
{
    if (is_ok(a, f)) return 1;
    if (npg_audit_format(a) != f) return 0;
    for (size_t i = 0; i < npg_audit_count(a); i++)
        if (npg_audit_finding_at(a, i)->rule == NPG_RULE_POLYGLOT) return 1;
    return 0;
}

/* The strict loaders' answers on the same bytes, compared with the audit's. */
static void cross_check(const npg_ctx *ctx, const npg_audit *a, const uint8_t *data, size_t size,
                        unsigned flags, int allowing)
{
    npg_doc *doc = NULL;
    npg_error err;
    int rc = npg_pickle_load(ctx, data, size, NULL, &doc, &err);
    npg_doc_free(doc), doc = NULL;
    if (rc == NPG_OK) { /* and the pickle was scanned to its STOP: no pickle error about it */
        FUZZ_ASSERT(is_ok_or_polyglot(a, NPG_FMT_PICKLE));
        for (size_t i = 0; i < npg_audit_count(a); i++) {
            const npg_audit_finding *f = npg_audit_finding_at(a, i);
            FUZZ_ASSERT(!(f->rule == NPG_RULE_MALFORMED && !f->member && f->status >= NPG_E_TRUNCATED &&
                          f->status <= NPG_E_NEGATIVE_LENGTH));
        }
    }
    if (!allowing && size && data[0] == 0x80 && is_ok(a, NPG_FMT_PICKLE)) {
        const npg_pickle_opts o = {NPG_ALLOW_TRAILING, NULL, 0};
        rc = npg_pickle_load(ctx, data, size, &o, &doc, &err);
        FUZZ_ASSERT(rc == NPG_OK || fuzz_is_resource_error(rc));
        npg_doc_free(doc), doc = NULL;
    }
    rc = npg_npy_load(ctx, data, size, flags, &doc, &err);
    npg_doc_free(doc), doc = NULL;
    if (rc == NPG_OK && !allowing) FUZZ_ASSERT(is_ok_or_polyglot(a, NPG_FMT_NPY));
    if (!allowing && is_ok(a, NPG_FMT_NPY)) FUZZ_ASSERT(rc == NPG_OK || fuzz_is_resource_error(rc));
    rc = npg_npz_validate(ctx, data, size, flags, &err);
    if (rc == NPG_OK) FUZZ_ASSERT(is_ok(a, NPG_FMT_ZIP));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned opt;
    npg_ctx *ctx = fuzz_start(&data, &size, &opt);
    if (!ctx) return 0;
    int allowing = (opt & 2) != 0;
    npg_audit_opts o = {(opt & 1) ? NPG_NPY_ALIGN16 : 0, allowing ? allow : NULL, allowing ? 2 : 0};
    npg_audit *a = NULL;
    int rc = npg_audit_buffer(ctx, data, size, &o, &a);
    FUZZ_ASSERT(rc == NPG_OK || rc == NPG_E_NOMEM);
    if (rc == NPG_OK) {
        FUZZ_ASSERT(a != NULL);
        FUZZ_ASSERT(strcmp(npg_format_name(npg_audit_format(a)), "") != 0);
        npg_verdict v = npg_audit_verdict(a);
        FUZZ_ASSERT(v >= NPG_VERDICT_OK && v <= NPG_VERDICT_UNKNOWN);
        int seen = check_findings(a, size);
        if (seen & 1) FUZZ_ASSERT(v == NPG_VERDICT_UNSAFE);
        else if (seen & 2) FUZZ_ASSERT(v == NPG_VERDICT_UNSAFE || v == NPG_VERDICT_INVALID);
        if (npg_audit_format(a) == NPG_FMT_UNKNOWN) FUZZ_ASSERT(v != NPG_VERDICT_OK);
        npg_format fmt = npg_audit_format(a);
        if (fmt == NPG_FMT_TEXT || fmt == NPG_FMT_UNKNOWN || fmt == NPG_FMT_EMPTY) check_not_a_pickle(ctx, data, size);
        cross_check(ctx, a, data, size, o.flags, allowing);
    }
    npg_audit_free(a);
    npg_ctx_free(ctx);
    return 0;
}
