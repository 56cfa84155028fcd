/* Output helpers shared by the reporters. Paths come from the file system and may hold any byte:
 * on a terminal, control characters (and bytes that are not UTF-8, which some terminals read as
 * 8-bit controls) are escaped so that a file name cannot drive the terminal; in JSON, bytes that
 * are not UTF-8 become U+FFFD, since JSON strings cannot carry them. */
#include <errno.h>
#include <string.h>

#include "scan_job.h"

/* Length of the well-formed UTF-8 sequence at p (p[0] >= 0x80) that is not a C1 control, or 0. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
    unsigned char c = p[0], lo = 0x80, hi = 0xBF;
    size_t len;
    if (c >= 0xC2 && c <= 0xDF) len = 2, lo = c == 0xC2 ? 0xA0 : 0x80;
    else if (c >= 0xE0 && c <= 0xEF) len = 3, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
    else if (c >= 0xF0 && c <= 0xF4) len = 4, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    else return 0;
    if (n < len || p[1] < lo || p[1] > hi) return 0;
    for (size_t i = 2; i < len; i++)
        if (p[i] < 0x80 || p[i] > 0xBF) return 0;
    return len;
}

void json_str(FILE *f, const char *s)
{
    if (!s) {
        fputs("null", f);
        return;
    }
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    fputc('"', f);
    for (size_t i = 0; i < n;) {
        unsigned char c = p[i];
        if (c == '"' || c == '\\') fprintf(f, "\\%c", c), i++;
        else if (c == '\n') fputs("\\n", f), i++;
        else if (c == '\t') fputs("\\t", f), i++;
        else if (c < 0x20 || c == 0x7F) fprintf(f, "\\u%04x", c), i++;
        else if (c < 0x80) fputc(c, f), i++;
        else {
            size_t k = utf8_len(p + i, n - i);
            if (k) fwrite(p + i, 1, k, f), i += k;
            else fputs("\\ufffd", f), i++;
        }
    }
    fputc('"', f);
}

void text_path(FILE *f, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        unsigned char c = p[i];
        size_t k = c >= 0x80 ? utf8_len(p + i, n - i) : (c >= 0x20 && c != 0x7F);
        if (k) fwrite(p + i, 1, k, f), i += k;
        else fprintf(f, "\\x%02x", c), i++;
    }
}

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
