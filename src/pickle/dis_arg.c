/* Rendering of one opcode's argument for the disassembler. The VM has already read (and
 * bounds-checked) these bytes; here they are only turned into safe, bounded text: every byte
 * outside printable ASCII is escaped, so a listing can be printed to a terminal. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dis.h"
#include "opcodes.h"

typedef struct text {
    char *p;
    size_t n, cap;
} text;

static void put(text *t, const char *s)
{
    size_t k = strlen(s);
    if (k > t->cap - 1 - t->n) k = t->cap - 1 - t->n;
    memcpy(t->p + t->n, s, k);
    t->n += k;
    t->p[t->n] = '\0';
}

/* Escaped bytes between open and close (a quote, when quote is set, is escaped too); stops once
 * NPG_DIS_ARG_SHOW characters are out and then says how long the whole value was (array data
 * arrives as one multi-megabyte BINBYTES). */
static void put_escaped(text *t, const char *open, const uint8_t *s, size_t n, char quote, const char *close)
{
    char one[8];
    size_t shown = 0, i = 0;
    put(t, open);
    for (; i < n && shown < NPG_DIS_ARG_SHOW; i++) {
        uint8_t c = s[i];
        if (c == '\\' || (quote && c == (uint8_t)quote)) snprintf(one, sizeof one, "\\%c", c);
        else if (c >= 0x20 && c < 0x7f) snprintf(one, sizeof one, "%c", c);
        else snprintf(one, sizeof one, "\\x%02x", c);
        put(t, one);
        shown += strlen(one);
    }
    if (i < n) put(t, "...");
    put(t, close);
    if (i < n) {
        char len[48];
        snprintf(len, sizeof len, " (%zu bytes)", n);
        put(t, len);
    }
}

static void put_quoted(text *t, const char *prefix, const uint8_t *s, size_t n, const char *suffix)
{
    char open[24];
    snprintf(open, sizeof open, "%s'", prefix);
    char close[8];
    snprintf(close, sizeof close, "'%s", suffix);
    put_escaped(t, open, s, n, '\'', close);
}

static uint64_t le(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static int64_t sign_extend(uint64_t v, size_t n)
{
    if (n && n < 8 && (v >> (8 * n - 1) & 1)) v |= ~(uint64_t)0 << (8 * n);
    return (int64_t)v;
}

/* Shortest decimal that reads back to d, with ".0" on integral values, as Python's repr. */
static void put_double(text *t, double d)
{
    char b[40];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(b, sizeof b, "%.*g", prec, d);
        if (strtod(b, NULL) == d || d != d) break;
    }
    if (strspn(b, "-0123456789") == strlen(b)) strcat(b, ".0");
    put(t, b);
}

static void put_int(text *t, int64_t v)
{
    char b[24];
    snprintf(b, sizeof b, "%lld", (long long)v);
    put(t, b);
}

static void put_uint(text *t, uint64_t v)
{
    char b[24];
    snprintf(b, sizeof b, "%llu", (unsigned long long)v);
    put(t, b);
}

/* GLOBAL/INST: 'module name', as pickletools shows the two lines. */
static void put_two_lines(text *t, const uint8_t *p, size_t n)
{
    char both[2 * NPG_DIS_ARG_SHOW + 2];
    const uint8_t *nl = memchr(p, '\n', n);
    size_t mn = nl ? (size_t)(nl - p) : n, k = mn < NPG_DIS_ARG_SHOW ? mn : NPG_DIS_ARG_SHOW;
    memcpy(both, p, k);
    if (nl) {
        size_t rest = n - mn - 1;
        if (rest && nl[rest] == '\n') rest--; /* the name's own terminator */
        if (rest > NPG_DIS_ARG_SHOW) rest = NPG_DIS_ARG_SHOW;
        both[k++] = ' ';
        memcpy(both + k, nl + 1, rest);
        k += rest;
    }
    put_quoted(t, "", (const uint8_t *)both, k, "");
}

/* LONG1/LONG4: little-endian two's complement of any length. */
static void put_long(text *t, const uint8_t *p, size_t n)
{
    char b[48];
    if (n <= 8) {
        put_int(t, sign_extend(le(p, n), n));
        return;
    }
    snprintf(b, sizeof b, "<int of %zu bytes>", n);
    put(t, b);
}

/* A counted payload (length prefix already skipped), shown by what the opcode makes of it. */
static void put_payload(text *t, int op, const uint8_t *p, size_t n)
{
    switch (op) {
    case OP_LONG1:
    case OP_LONG4: put_long(t, p, n); break;
    case OP_BINBYTES:
    case OP_SHORT_BINBYTES:
    case OP_BINBYTES8: put_quoted(t, "b", p, n, ""); break;
    case OP_BYTEARRAY8: put_quoted(t, "bytearray(b", p, n, ")"); break;
    default: put_quoted(t, "", p, n, ""); break; /* str, and Python 2 str */
    }
}

/* A text line (its '\n' dropped): numbers as written, strings quoted like pickletools (STRING
 * carries its own quotes). */
static void put_line(text *t, int op, const uint8_t *p, size_t n)
{
    if (n && p[n - 1] == '\n') n--;
    if (op == OP_UNICODE || op == OP_PERSID) put_quoted(t, "", p, n, "");
    else put_escaped(t, "", p, n, 0, "");
}

void npg__dis_arg(char *out, int op, const uint8_t *arg, size_t n)
{
    text t = {out, 0, NPG_DIS_ARG_CAP};
    out[0] = '\0';
    if (op < 0 || op > 255 || !arg) return;
    const npg_opinfo *info = &npg__opinfo[op];
    size_t sz = info->argsize;
    switch ((npg_arg_kind)info->arg) {
    case ARG_NONE: break;
    case ARG_UINT: put_uint(&t, le(arg, n < sz ? n : sz)); break;
    case ARG_SINT: put_int(&t, sign_extend(le(arg, n < sz ? n : sz), sz)); break;
    case ARG_FIXED: { /* BINFLOAT: big-endian IEEE 754 */
        uint64_t bits = 0;
        double d;
        for (size_t i = 0; i < 8 && i < n; i++) bits = bits << 8 | arg[i];
        memcpy(&d, &bits, sizeof d);
        put_double(&t, d);
        break;
    }
    case ARG_LINE: put_line(&t, op, arg, n); break;
    case ARG_LINE2: put_two_lines(&t, arg, n); break;
    case ARG_ULEN:
    case ARG_SLEN: put_payload(&t, op, arg + (n < sz ? n : sz), n > sz ? n - sz : 0); break;
    }
}
