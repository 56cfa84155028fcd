/* npg_audit_buffer and the accessors of its result. The verdict is derived from flags the
 * findings set as they were recorded (audit_findings.c), so findings dropped by the
 * limits.max_findings cap still count:
 *   unsafe   a finding above info from the allowlist rules NPG002-NPG010
 *   invalid  NPG100 above info, NPG102 (polyglot), NPG104 (hidden member)
 *   unknown  the format is unknown
 *   ok       everything else (empty files and inert text included)
 * Unsafe wins over invalid: a malformed file that also imports os.system is unsafe. */
#include <string.h>

#include "audit.h"

NPG_API int npg_audit_buffer(const npg_ctx *ctx, const uint8_t *buf, size_t len, const npg_audit_opts *opts,
                             npg_audit **out)
{
    if (out) *out = NULL;
    unsigned flags = opts ? opts->flags : 0;
    if (!ctx || !out || (!buf && len) || (flags & ~NPG_AUDIT_FLAGS) || (opts && opts->nallow && !opts->allow))
        return NPG_E_INVALID;
    npg_audit *a = ctx->alloc.malloc(ctx->alloc.ud, sizeof *a);
    if (!a) return NPG_E_NOMEM;
    memset(a, 0, sizeof *a);
    /* The record's size is bounded by max_findings (each finding and its three strings are short);
     * max_alloc bounds each document the scan makes, and must not make the record itself fail. */
    npg__mem_init(&a->mem, &ctx->alloc, UINT64_MAX);
    npg__arena_init(&a->arena, &a->mem);
    npg_aud x = {a, ctx, &ctx->limits, flags, opts ? opts->allow : NULL, opts ? opts->nallow : 0,
                 opts ? opts->name : NULL, 0, 0, false};
    npg__aud_root(&x, buf ? buf : (const uint8_t *)"", len);
    npg__aud_finish(&x);
    if (a->status != NPG_OK) {
        int rc = a->status;
        npg_audit_free(a);
        return rc;
    }
    *out = a;
    return NPG_OK;
}

NPG_API void npg_audit_free(npg_audit *a)
{
    if (!a) return;
    npg__arena_release(&a->arena);
    npg_alloc hooks = a->mem.hooks;
    hooks.free(hooks.ud, a, sizeof *a);
}

NPG_API npg_format npg_audit_format(const npg_audit *a) { return a ? a->format : NPG_FMT_UNKNOWN; }

NPG_API npg_verdict npg_audit_verdict(const npg_audit *a)
{
    if (!a) return NPG_VERDICT_UNKNOWN;
    if (a->unsafe) return NPG_VERDICT_UNSAFE;
    if (a->invalid) return NPG_VERDICT_INVALID;
    if (a->format == NPG_FMT_UNKNOWN) return NPG_VERDICT_UNKNOWN;
    return NPG_VERDICT_OK;
}

NPG_API size_t npg_audit_count(const npg_audit *a) { return a ? a->n : 0; }

NPG_API const npg_audit_finding *npg_audit_finding_at(const npg_audit *a, size_t i)
{
    return a && i < a->n ? &a->f[i] : NULL;
}

NPG_API const char *npg_format_name(npg_format f)
{
    static const char *const names[] = {"unknown", "empty", "pickle", "npy", "zip", "text"};
    return f >= NPG_FMT_UNKNOWN && f <= NPG_FMT_TEXT ? names[f] : "unknown";
}

NPG_API const char *npg_verdict_name(npg_verdict v)
{
    static const char *const names[] = {"ok", "unsafe", "invalid", "unknown"};
    return v >= NPG_VERDICT_OK && v <= NPG_VERDICT_UNKNOWN ? names[v] : "unknown";
}
