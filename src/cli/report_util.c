/* Output helpers shared by the reporters: URIs for SARIF, the text of an error item, and where a
 * finding's offset counts. How strings are escaped is in report_escape.c. */
#include <errno.h>
#include <string.h>

#include "scan_job.h"

void uri_path(FILE *f, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned char c = *p;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || strchr("-._~/", c))
            fputc(c, f);
        else
            fprintf(f, "%%%c%c", hex[c >> 4], hex[c & 15]);
    }
}

void item_error_text(const scan_item *it, char *buf, size_t cap)
{
    if (it->status) snprintf(buf, cap, "%s: %s", it->what, npg_strerror(it->status));
    else if (it->err) snprintf(buf, cap, "%s: %s", it->what, strerror(it->err));
    else snprintf(buf, cap, "%s", it->what);
}

bool offset_in_file(const npg_audit_finding *f)
{
    int st = f->status;
    bool zip_level = (st >= NPG_E_ZIP_EOCD && st <= NPG_E_ZIP_CRC) || st == NPG_E_LIMIT_MEMBERS ||
                     st == NPG_E_LIMIT_RATIO || st == NPG_E_LIMIT_UNCOMPRESSED;
    return !f->member || f->rule == NPG_RULE_HIDDEN_MEMBER || (f->rule == NPG_RULE_MALFORMED && zip_level);
}
