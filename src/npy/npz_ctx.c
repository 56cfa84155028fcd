/* The context behind an open archive (see npz_ctx.h), and errors that name a member. */
#include "npz_ctx.h"

#include <stdio.h>
#include <string.h>

#include "../common/diag.h"
#include "../zip/zip.h"

/* The context an archive was opened with: its allocator and every limit (struct npg_zip keeps a
 * copy), so members are loaded under the caller's limits. */
void npg__npz_ctx(const npg_zip *zip, npg_ctx *out)
{
    memset(out, 0, sizeof *out);
    out->alloc = zip->mem.hooks;
    out->limits = zip->limits;
}

void npg__npz_error(npg_error *err, int code, uint64_t offset, const char *member, const char *msg)
{
    if (!err) return;
    memset(err, 0, sizeof *err);
    err->code = code;
    err->opcode = -1;
    err->offset = offset;
    snprintf(err->message, sizeof err->message, "%s", msg);
    if (member) npg__escape(err->member, sizeof err->member, member, strlen(member));
}
