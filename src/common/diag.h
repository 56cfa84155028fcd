/* A small failure record for modules below the VM (text grammars, dtypes, later .npy/zip):
 * they return an npg_status and describe the failure here; the caller adds the offset. */
#ifndef NPG_DIAG_H
#define NPG_DIAG_H

#include <stdarg.h>

#include "npguard.h"

typedef struct npg_diag {
    int code;
    char msg[200];
} npg_diag;

/* Record code and a printf-style one-line message; returns code (for `return npg__diag(...)`).
 * The message is truncated to fit and non-printable bytes are replaced. */
int npg__diag(npg_diag *d, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int npg__vdiag(npg_diag *d, int code, const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));

/* Copy at most cap-1 bytes of s[0..n) into out, escaping anything outside printable ASCII as
 * \xNN (so attacker bytes can never reach a terminal raw). Always NUL-terminates (cap >= 1). */
size_t npg__escape(char *out, size_t cap, const void *s, size_t n);

#endif
