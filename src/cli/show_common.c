/* Helpers shared by show and convert: what a file holds by its first bytes (never its name),
 * and short text forms of a shape and a dtype for tables and messages. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* The magic numbers decide; everything else is handed to the pickle VM, which refuses what is
 * not a pickle (protocols 0 and 1 have no magic of their own). */
npg_format cli_sniff(const uint8_t *p, size_t n)
{
    if (n == 0) return NPG_FMT_EMPTY;
    if (n >= 6 && memcmp(p, "\x93NUMPY", 6) == 0) return NPG_FMT_NPY;
    if (n >= 4 && (memcmp(p, "PK\x03\x04", 4) == 0 || memcmp(p, "PK\x05\x06", 4) == 0)) return NPG_FMT_ZIP;
    return NPG_FMT_PICKLE;
}

void cli_shape_str(char *buf, size_t cap, size_t ndim, const uint64_t *shape)
{
    size_t k = (size_t)snprintf(buf, cap, "(");
    for (size_t i = 0; i < ndim && k + 24 < cap; i++)
        k += (size_t)snprintf(buf + k, cap - k, "%s%llu%s", i ? ", " : "", (unsigned long long)shape[i],
                              ndim == 1 ? "," : "");
    if (k + 2 < cap) snprintf(buf + k, cap - k, ")");
}

void cli_array_desc(const npg_value *a, char *dtype, size_t dcap, char *shape, size_t scap)
{
    npg_dtype_str(npg_array_dtype(a), dtype, dcap);
    cli_shape_str(shape, scap, npg_array_ndim(a), npg_array_shape(a));
}
