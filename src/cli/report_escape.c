/* How the reports write strings that come from outside the program. File names and zip member
 * names may hold any byte: on a terminal, control characters (and bytes that are not UTF-8, which
 * some terminals read as 8-bit controls) are escaped so that a name cannot drive the terminal; in
 * JSON, bytes that are not UTF-8 become U+FFFD, since JSON strings cannot carry them. The name of
 * a global is written exactly instead (json_exact): it is what find_class would receive, and a
 * look-alike letter or a lone surrogate is the very thing a reader needs to see. */
#include <string.h>

#include "scan_job.h"

/* Length of the well-formed UTF-8 sequence at p (p[0] >= 0x80), or 0. With surrogates, the
 * 3-byte form of a UTF-16 surrogate (ED A0..BF xx), which a pickle's str may hold, counts too. */
static size_t utf8_len(const unsigned char *p, size_t n, bool surrogates)
{
    unsigned char c = p[0], lo = 0x80, hi = 0xBF;
    size_t len;
    if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c >= 0xE0 && c <= 0xEF) len = 3, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED && !surrogates ? 0x9F : 0xBF;
    else if (c >= 0xF0 && c <= 0xF4) len = 4, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    else return 0;
    if (n < len || p[1] < lo || p[1] > hi) return 0;
    for (size_t i = 2; i < len; i++)
        if (p[i] < 0x80 || p[i] > 0xBF) return 0;
    return len;
}

/* A C1 control (U+0080-U+009F): well-formed, but a terminal may obey it. */
static bool is_c1(const unsigned char *p, size_t len)
{
    return len == 2 && p[0] == 0xC2 && p[1] < 0xA0;
}

/* One ASCII character inside a JSON string: '"' and '\' escaped, and the controls JSON forbids. */
static void json_ascii(FILE *f, unsigned char c)
{
    static const char short_form[0x20] = {['\b'] = 'b', ['\t'] = 't', ['\n'] = 'n', ['\f'] = 'f', ['\r'] = 'r'};
    if (c == '"' || c == '\\') fprintf(f, "\\%c", c);
    else if (c < 0x20 && short_form[c]) fprintf(f, "\\%c", short_form[c]);
    else if (c < 0x20) fprintf(f, "\\u%04x", c);
    else fputc(c, f);
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
        size_t k = c >= 0x80 ? utf8_len(p + i, n - i, false) : 1;
        if (c == 0x7F) fputs("\\u007f", f), i++;
        else if (c < 0x80) json_ascii(f, c), i++;
        else if (k && !is_c1(p + i, k)) fwrite(p + i, 1, k, f), i += k;
        else fputs("\\ufffd", f), i++;
    }
    fputc('"', f);
}

/* The code point of a surrogate's 3-byte form (ED A0..BF xx). */
static unsigned surrogate_at(const unsigned char *p)
{
    return 0xD000u | ((unsigned)(p[1] & 0x3F) << 6) | (unsigned)(p[2] & 0x3F);
}

void json_exact(FILE *f, const char *s, size_t n)
{
    if (!s) {
        fputs("null", f);
        return;
    }
    const unsigned char *p = (const unsigned char *)s;
    bool after_high = false; /* the last thing written was a high surrogate's \uD8xx-\uDBxx */
    fputc('"', f);
    for (size_t i = 0; i < n;) {
        unsigned char c = p[i];
        size_t k = c >= 0x80 ? utf8_len(p + i, n - i, true) : 1;
        bool surrogate = k == 3 && c == 0xED && p[i + 1] >= 0xA0;
        unsigned u = surrogate ? surrogate_at(p + i) : 0;
        /* a JSON reader joins \uD8xx\uDCxx into one character the pickle did not name */
        bool would_join = surrogate && after_high && u >= 0xDC00;
        if (c < 0x80) json_ascii(f, c);
        else if (!k) fputs("\\ufffd", f), k = 1;
        else if (would_join) fputs("\\ufffd", f);
        else if (surrogate) fprintf(f, "\\u%04x", u);
        else fwrite(p + i, 1, k, f);
        after_high = surrogate && u < 0xDC00;
        i += k;
    }
    fputc('"', f);
}

void text_path(FILE *f, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        unsigned char c = p[i];
        size_t k = c >= 0x80 ? utf8_len(p + i, n - i, false) : (c >= 0x20 && c != 0x7F);
        if (k && !is_c1(p + i, k)) fwrite(p + i, 1, k, f), i += k;
        else fprintf(f, "\\x%02x", c), i++;
    }
}

void text_ascii(FILE *f, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p >= 0x20 && *p < 0x7F) fputc(*p, f);
        else fprintf(f, "\\x%02x", *p);
    }
}
