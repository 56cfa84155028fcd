/* Failure records of the zip module and their copy into the public npg_error. Member names come
 * from the archive, so they are escaped before they can reach a terminal or a log. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "zip.h"

static int vfail(npg_zip_fail *f, int code, uint64_t offset, const uint8_t *name, size_t n,
                 const char *fmt, va_list ap) __attribute__((format(printf, 6, 0)));

static int vfail(npg_zip_fail *f, int code, uint64_t offset, const uint8_t *name, size_t n,
                 const char *fmt, va_list ap)
{
    if (!f) return code;
    npg_diag d;
    npg__vdiag(&d, code, fmt, ap);
    f->code = code;
    f->offset = offset;
    f->name = name;
    f->name_len = name ? n : 0;
    memcpy(f->msg, d.msg, sizeof f->msg);
    return code;
}

int npg__zip_fail(npg_zip_fail *f, int code, uint64_t offset, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vfail(f, code, offset, NULL, 0, fmt, ap);
    va_end(ap);
    return r;
}

int npg__zip_fail_at(npg_zip_fail *f, int code, uint64_t offset, const uint8_t *name, size_t n,
                     const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = vfail(f, code, offset, name, n, fmt, ap);
    va_end(ap);
    return r;
}

void npg__zip_error_out(npg_error *err, const npg_zip_fail *f)
{
    if (!err) return;
    memset(err, 0, sizeof *err);
    err->opcode = -1;
    if (!f) return;
    err->code = f->code;
    err->offset = f->offset;
    snprintf(err->message, sizeof err->message, "%s", f->msg);
    npg__escape(err->member, sizeof err->member, f->name, f->name_len);
}
