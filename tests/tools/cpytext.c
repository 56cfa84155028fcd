/* cpytext: reads "KIND HEX" lines on stdin (KIND: int, long, float, index, string; HEX: the
 * argument line without its '\n', hex-encoded) and prints what npguard's model of CPython's
 * unpickler makes of each: "ok VALUE" (int: decimal or "bool 0/1"; float: %.17g; string: hex
 * bytes), "refused" or "limit". tests/gen/cpytext_check.py compares it with CPython itself. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pickle/text_cpython.h"

static size_t unhex(const char *h, uint8_t *out)
{
    size_t n = 0;
    for (; h[0] && h[1] && h[0] != '\n'; h += 2) {
        unsigned v;
        sscanf(h, "%2x", &v);
        out[n++] = (uint8_t)v;
    }
    return n;
}

/* Signed decimal of a two's-complement little-endian integer (schoolbook, small inputs). */
static void print_big(const uint8_t *b, size_t n)
{
    uint8_t mag[4096];
    int neg = n && (b[n - 1] & 0x80);
    unsigned carry = 1;
    for (size_t i = 0; i < n; i++) {
        if (neg) {
            unsigned t = (uint8_t)~b[i] + carry;
            mag[i] = (uint8_t)t;
            carry = t >> 8;
        } else {
            mag[i] = b[i];
        }
    }
    char dec[12000];
    size_t nd = 0;
    size_t m = n;
    while (m && !mag[m - 1]) m--;
    while (m) {
        unsigned rem = 0;
        for (size_t i = m; i-- > 0;) {
            unsigned cur = rem << 8 | mag[i];
            mag[i] = (uint8_t)(cur / 10);
            rem = cur % 10;
        }
        dec[nd++] = (char)('0' + rem);
        while (m && !mag[m - 1]) m--;
    }
    if (!nd) dec[nd++] = '0';
    if (neg) putchar('-');
    while (nd) putchar(dec[--nd]);
}

int main(void)
{
    static char line[1 << 16];
    static uint8_t arg[1 << 15], out[1 << 15];
    while (fgets(line, sizeof line, stdin)) {
        char *sp = strchr(line, ' ');
        if (!sp) continue;
        *sp = '\0';
        size_t n = unhex(sp + 1, arg);
        npg_cpy_rc rc = NPG_CPY_REFUSED;
        npg_cpy_int iv;
        if (!strcmp(line, "int") || !strcmp(line, "long")) {
            rc = (!strcmp(line, "int") ? npg__cpy_int : npg__cpy_long)(arg, n, 4300, &iv, out, sizeof out);
            if (rc == NPG_CPY_OK) {
                printf("ok ");
                if (iv.is_bool) printf("bool %lld\n", (long long)iv.small);
                else if (iv.fits) printf("%lld\n", (long long)iv.small);
                else print_big(out, iv.big_len), putchar('\n');
                continue;
            }
        } else if (!strcmp(line, "index")) {
            int64_t ix;
            rc = npg__cpy_index(arg, n, 4300, &ix);
            if (rc == NPG_CPY_OK) {
                printf("ok %lld\n", (long long)ix);
                continue;
            }
        } else if (!strcmp(line, "float")) {
            double d;
            rc = npg__cpy_float(arg, n, (char *)out, sizeof out, &d);
            if (rc == NPG_CPY_OK) {
                printf("ok %.17g\n", d);
                continue;
            }
        } else if (!strcmp(line, "string")) {
            size_t len;
            rc = npg__cpy_string(arg, n, out, sizeof out, &len);
            if (rc == NPG_CPY_OK) {
                printf("ok ");
                for (size_t i = 0; i < len; i++) printf("%02x", out[i]);
                putchar('\n');
                continue;
            }
        }
        puts(rc == NPG_CPY_LIMIT ? "limit" : "refused");
    }
    return 0;
}
