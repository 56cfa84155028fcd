/* A readable, Python-like view of a decoded value, one item per line, indented by depth.
 * Iterative with an explicit stack: cycles print as <...>, nesting beyond MAX_SHOW_DEPTH as
 * <deeper>, and the total output is bounded so a DAG of shared references cannot explode. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vm.h"

enum { MAX_SHOW_DEPTH = 64, LINE = 512 };

typedef struct frame {
    const npg_value *v;
    size_t next; /* next child index */
} frame;

typedef struct printer {
    npg_write_fn write;
    void *ud;
    unsigned max_items;
    size_t lines_left;
    int rc;
} printer;

/* Shortest text that reads back to the same double, as Python's repr does. */
static int fmt_double(char *out, size_t cap, double d)
{
    int k = 0;
    for (int prec = 1; prec <= 17; prec++) {
        k = snprintf(out, cap, "%.*g", prec, d);
        if (strtod(out, NULL) == d || d != d) break;
    }
    return k;
}

static void emit(printer *p, const char *s, size_t n)
{
    if (p->rc == 0) p->rc = p->write(p->ud, s, n);
}

static void put_escaped(char *out, size_t cap, size_t *k, const uint8_t *s, size_t n, size_t max, char quote)
{
    size_t shown = n < max ? n : max;
    if (*k + 1 < cap) out[(*k)++] = quote;
    for (size_t i = 0; i < shown && *k + 5 < cap; i++) {
        uint8_t c = s[i];
        if (c >= 0x20 && c < 0x7f && c != '\\' && c != (uint8_t)quote) out[(*k)++] = (char)c;
        else *k += (size_t)snprintf(out + *k, cap - *k, "\\x%02x", c);
    }
    if (shown < n && *k + 4 < cap) *k += (size_t)snprintf(out + *k, cap - *k, "...");
    if (*k + 1 < cap) out[(*k)++] = quote;
    out[*k < cap ? *k : cap - 1] = '\0';
}

static double load_f(const uint8_t *p, size_t n, char bo)
{
    uint8_t b[8];
    for (size_t i = 0; i < n; i++) b[i] = bo == '>' ? p[n - 1 - i] : p[i];
    if (n == 4) {
        float f;
        memcpy(&f, b, 4);
        return f;
    }
    double d;
    memcpy(&d, b, 8);
    return d;
}

static int64_t load_i(const uint8_t *p, size_t n, char bo, int is_signed, uint64_t *u_out)
{
    uint64_t u = 0;
    for (size_t i = 0; i < n; i++) u |= (uint64_t)(bo == '>' ? p[n - 1 - i] : p[i]) << (8 * i);
    *u_out = u;
    if (is_signed && n < 8 && (u >> (8 * n - 1) & 1)) u |= ~(uint64_t)0 << (8 * n);
    return (int64_t)u;
}

/* One element of a simple dtype, for previews. */
static size_t format_element(char *out, size_t cap, const npg_dtype *d, const uint8_t *p)
{
    size_t n = (size_t)d->itemsize;
    uint64_t u;
    switch (d->kind) {
    case 'b': return (size_t)snprintf(out, cap, "%s", p[0] ? "True" : "False");
    case 'M':
    case 'm': /* int64 counts of the dtype's unit; NaT is the minimum */
    case 'i':
        if (n <= 8) return (size_t)snprintf(out, cap, "%lld", (long long)load_i(p, n, d->byteorder, 1, &u));
        break;
    case 'u':
        if (n <= 8) { load_i(p, n, d->byteorder, 0, &u); return (size_t)snprintf(out, cap, "%llu", (unsigned long long)u); }
        break;
    case 'f':
        if (n == 4 || n == 8) return (size_t)fmt_double(out, cap, load_f(p, n, d->byteorder));
        break;
    case 'c':
        if (n == 8 || n == 16)
            return (size_t)snprintf(out, cap, "(%.17g%+.17gj)", load_f(p, n / 2, d->byteorder),
                                    load_f(p + n / 2, n / 2, d->byteorder));
        break;
    case 'S': {
        size_t k = 0;
        put_escaped(out, cap, &k, p, n, 32, '\'');
        return k;
    }
    default: break;
    }
    size_t k = (size_t)snprintf(out, cap, "0x");
    for (size_t i = 0; i < n && i < 16 && k + 3 < cap; i++) k += (size_t)snprintf(out + k, cap - k, "%02x", p[i]);
    return k;
}

static void format_shape(char *out, size_t cap, size_t *k, const npg_array *a)
{
    *k += (size_t)snprintf(out + *k, cap - *k, "shape=(");
    for (size_t i = 0; i < a->ndim && *k + 24 < cap; i++)
        *k += (size_t)snprintf(out + *k, cap - *k, "%llu%s", (unsigned long long)a->shape[i],
                               a->ndim == 1 ? "," : (i + 1 < a->ndim ? ", " : ""));
    if (*k + 2 < cap) *k += (size_t)snprintf(out + *k, cap - *k, ")");
}

static void format_array(char *out, size_t cap, size_t *k, const npg_value *v, unsigned max_items)
{
    static const char *const cls[] = {"ndarray", "matrix", "recarray", "MaskedArray"};
    const npg_array *a = v->u.arr;
    char ds[64];
    npg_dtype_str(a->dtype, ds, sizeof ds);
    *k += (size_t)snprintf(out + *k, cap - *k, "%s dtype=%s ", cls[a->cls & 3], ds);
    format_shape(out, cap, k, a);
    *k += (size_t)snprintf(out + *k, cap - *k, " order=%c", a->fortran ? 'F' : 'C');
    if (a->objects || !a->dtype->itemsize || a->dtype->nfields || a->dtype->base) return;
    *k += (size_t)snprintf(out + *k, cap - *k, " [");
    for (uint64_t i = 0; i < a->size && i < max_items && *k + 80 < cap; i++) {
        if (i) out[(*k)++] = ' ';
        *k += format_element(out + *k, cap - *k, a->dtype, a->data + i * a->dtype->itemsize);
    }
    if (*k + 6 < cap) *k += (size_t)snprintf(out + *k, cap - *k, "%s]", a->size > max_items ? " ..." : "");
}

/* The one-line text for a value (containers print their header; children follow). */
static void format_value(char *out, size_t cap, const npg_value *v, unsigned max_items)
{
    size_t k = 0, n;
    const uint8_t *p;
    char ds[64];
    out[0] = '\0';
    switch (npg_value_kind(v)) {
    case NPG_NONE: snprintf(out, cap, "None"); break;
    case NPG_BOOL: snprintf(out, cap, "%s", v->u.b ? "True" : "False"); break;
    case NPG_INT:
        if (!(v->flags & NPG_VF_BIG)) snprintf(out, cap, "%lld", (long long)v->u.i);
        else snprintf(out, cap, "<int of %llu bytes>", (unsigned long long)v->u.s.n);
        break;
    case NPG_FLOAT: fmt_double(out, cap, v->u.f); break;
    case NPG_COMPLEX: snprintf(out, cap, "(%.17g%+.17gj)", v->u.c.re, v->u.c.im); break;
    case NPG_STR: p = npg_value_bytes(v, &n); put_escaped(out, cap, &k, p, n, 200, '\''); break;
    case NPG_BYTES:
    case NPG_BYTEARRAY:
        p = npg_value_bytes(v, &n);
        k = (size_t)snprintf(out, cap, "%s", npg_value_kind(v) == NPG_BYTES ? "b" : "bytearray(b");
        put_escaped(out, cap, &k, p, n, 64, '\'');
        if (npg_value_kind(v) == NPG_BYTEARRAY && k + 2 < cap) snprintf(out + k, cap - k, ")");
        break;
    case NPG_TUPLE:
    case NPG_LIST:
    case NPG_SET:
    case NPG_FROZENSET:
    case NPG_DICT:
    case NPG_ORDERED_DICT:
        snprintf(out, cap, "%s (%zu items)", npg_kind_name(npg_value_kind(v)), npg_value_len(v));
        break;
    case NPG_ARRAY: format_array(out, cap, &k, v, max_items); break;
    case NPG_DTYPE: npg_dtype_str(v->u.dt, ds, sizeof ds); snprintf(out, cap, "dtype('%s')", ds); break;
    case NPG_SCALAR:
        npg_dtype_str(v->u.sc->dtype, ds, sizeof ds);
        k = (size_t)snprintf(out, cap, "numpy scalar dtype=%s ", ds);
        if (v->u.sc->data && !v->u.sc->dtype->nfields) format_element(out + k, cap - k, v->u.sc->dtype, v->u.sc->data);
        else snprintf(out + k, cap - k, "(structured)");
        break;
    case NPG_MASKED_CONSTANT: snprintf(out, cap, "masked"); break;
    case NPG_TYPE: snprintf(out, cap, "<class '%s'>", npg_value_type_name(v)); break;
    case NPG_OPAQUE: {
        char name[160];
        npg__escape(name, sizeof name, v->u.opq.name, v->u.opq.len); /* a pair may hold any byte */
        snprintf(out, cap, "<refused %s>", name);
        break;
    }
    }
}

static size_t child_count(const npg_value *v)
{
    if (v->kind == NPG_ARRAY && v->u.arr->objects) return (size_t)v->u.arr->size;
    if (v->kind == NPG_DICT || v->kind == NPG_ORDERED_DICT) return 2 * v->u.c_.n; /* keys and values */
    if (v->kind == NPG_TUPLE || v->kind == NPG_LIST || v->kind == NPG_SET || v->kind == NPG_FROZENSET)
        return v->u.c_.n;
    return 0;
}

static const npg_value *child(const npg_value *v, size_t i)
{
    return v->kind == NPG_ARRAY ? v->u.arr->objects[i] : v->u.c_.items[i];
}

static void print_line(printer *p, size_t depth, const char *prefix, const char *text)
{
    char line[LINE + 160];
    if (!p->lines_left) return;
    if (--p->lines_left == 0) text = "... (output truncated)";
    size_t ind = depth * 2 < 120 ? depth * 2 : 120;
    memset(line, ' ', ind);
    int k = snprintf(line + ind, sizeof line - ind, "%s%s\n", prefix, text);
    emit(p, line, ind + (size_t)(k > 0 ? k : 0));
}

NPG_API int npg_value_print(const npg_value *root, npg_write_fn write, void *ud, unsigned max_items)
{
    if (!root || !write) return NPG_E_INVALID;
    printer p = {write, ud, max_items ? max_items : 8, (size_t)(max_items ? max_items : 8) * 2000, 0};
    frame stack[MAX_SHOW_DEPTH + 1];
    size_t top = 0;
    char text[LINE];
    format_value(text, sizeof text, root, p.max_items);
    print_line(&p, 0, "", text);
    stack[top++] = (frame){root, 0};
    while (top && !p.rc && p.lines_left) {
        frame *f = &stack[top - 1];
        size_t n = child_count(f->v);
        bool dict = f->v->kind == NPG_DICT || f->v->kind == NPG_ORDERED_DICT;
        size_t step = dict ? 2 : 1;
        if (f->next >= n || f->next / step >= p.max_items) {
            if (f->next < n) print_line(&p, top, "", "...");
            top--;
            continue;
        }
        const npg_value *c = child(f->v, f->next + (dict ? 1 : 0));
        char prefix[LINE / 2] = "";
        if (dict) {
            format_value(prefix, sizeof prefix - 2, child(f->v, f->next), p.max_items);
            strcat(prefix, ": ");
        }
        f->next += step;
        bool cycle = false;
        for (size_t i = 0; i < top; i++) cycle |= stack[i].v == c;
        if (cycle) {
            print_line(&p, top, prefix, "<...>");
            continue;
        }
        format_value(text, sizeof text, c, p.max_items);
        print_line(&p, top, prefix, text);
        if (child_count(c)) {
            if (top >= MAX_SHOW_DEPTH) print_line(&p, top + 1, "", "<deeper>");
            else stack[top++] = (frame){c, 0};
        }
    }
    return p.rc ? NPG_E_INVALID : NPG_OK;
}
