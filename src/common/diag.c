/* Failure records for the modules below the VM (see diag.h). */
#include "diag.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* The header declares npg__vdiag without a format attribute; add it here so that the
 * vsnprintf below is checked (and -Wformat-nonliteral stays quiet). */
int npg__vdiag(npg_diag *d, int code, const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));

int npg__vdiag(npg_diag *d, int code, const char *fmt, va_list ap)
{
    if (!d) return code;
    d->code = code;
    if (!fmt) {
        d->msg[0] = '\0';
        return code;
    }
    /* Format into a scratch buffer first: an argument may point into d->msg itself. */
    char tmp[sizeof d->msg];
    int r = vsnprintf(tmp, sizeof tmp, fmt, ap);
    if (r < 0) {
        tmp[0] = '\0';
    } else if ((size_t)r >= sizeof tmp) {
        /* Truncated: say so. */
        memcpy(tmp + sizeof tmp - 4, "...", 4);
    }
    for (size_t i = 0; tmp[i] != '\0'; i++) {
        unsigned char c = (unsigned char)tmp[i];
        if (c < 0x20 || c > 0x7e) tmp[i] = '?';
    }
    memcpy(d->msg, tmp, sizeof d->msg);
    return code;
}

int npg__diag(npg_diag *d, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = npg__vdiag(d, code, fmt, ap);
    va_end(ap);
    return r;
}

size_t npg__escape(char *out, size_t cap, const void *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    if (!out || cap == 0) return 0;
    const uint8_t *p = s;
    size_t o = 0;
    if (!p) n = 0;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        size_t room = cap - 1 - o;
        if (c == '\\') {
            if (room < 2) break;
            out[o++] = '\\';
            out[o++] = '\\';
        } else if (c >= 0x20 && c <= 0x7e) {
            if (room < 1) break;
            out[o++] = (char)c;
        } else {
            if (room < 4) break;
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[c >> 4];
            out[o++] = hex[c & 15];
        }
    }
    out[o] = '\0';
    return o;
}
