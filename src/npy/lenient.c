/* numpy.load's own reading of a .npy header, for the headers npguard's grammar refuses: would it
 * unpickle the data? NumPy (format.py, _read_array_header) decodes the header (latin-1, or
 * UTF-8 for 3.0), drops an L after a number (1.0/2.0), ast.literal_eval()s it, requires a dict
 * whose keys are exactly descr, fortran_order and shape, builds the dtype with descr_to_dtype()
 * and, when it holds objects, calls pickle.load() at the data offset. With allow_pickle=True that
 * runs whatever the pickle imports, however odd the header's spelling, so a scan has to look.
 *
 * The literal is walked token by token with an explicit bracket stack (no recursion; Python
 * itself refuses more than 200 nested brackets). Only two things are decided exactly enough to
 * matter, and both err towards "NumPy would unpickle":
 *   keys    a plain string key is compared with the three names once decoded; any other key
 *           expression, or a \N{...} escape, is a key that might be any of them;
 *   descr   NumPy reads a str as a dtype, a tuple as (format, shape), and any other sequence as
 *           fields, each unpacked as (name, format[, shape]). Each container on the stack
 *           carries the set of roles it may play; a string in a format or field role that holds
 *           'O' or "object" (or a character \N{...} names) may make objects. "(x)" is x, not a
 *           tuple: a string first in a '(' is judged in both readings, the grouping one held
 *           until the ',' or ')' that decides it (so a field name is not taken for a format).
 * fortran_order and shape are not judged: NumPy checks them before unpickling, but a header
 * that fails there is invalid anyway, and scanning its data costs only time. */
#include <string.h>

#include "lenient.h"
#include "npy.h"
#include "unicode.h"

enum { MAX_LEVEL = 200 }; /* Python's tokenizer: "too many nested parentheses" beyond */

/* Roles an element of the descr value may play for descr_to_dtype (bit set). */
enum { R_FORMAT = 1, R_FIELD = 2, R_NAME = 4, R_OTHER = 8 };

/* Keys of the header dict. */
enum { K_DESCR, K_FORTRAN, K_SHAPE, K_OTHER, K_UNSURE };

typedef struct walk {
    npg_lx lx;
    npg_lx_tok t;
    uint8_t open[MAX_LEVEL]; /* the bracket opened at each level */
    uint8_t role[MAX_LEVEL]; /* roles the container at each level may play in a descr */
    bool first[MAX_LEVEL];   /* no ',' or ':' met yet at this level */
    bool held[MAX_LEVEL];    /* '(': its first element may make objects if the '(' only groups it */
    size_t depth;            /* levels open */
    size_t base;             /* depth inside the header dict */
    unsigned keys;           /* bit per K_DESCR.. K_SHAPE met */
    bool other_key, unsure_key;
    bool object;             /* a descr string may make an object dtype */
} walk;

static void next(walk *w) { npg__lx_next(&w->lx, &w->t); }

static bool is_op(const walk *w, uint8_t op) { return w->t.kind == NPG_LX_OP && w->t.op == op; }

/* ------------------------------------------------------------------ descr roles */

/* Roles of an element of a container playing roles m, opened by `open`, at its first element
 * or a later one, if the container is what it looks like (a '(' holding a ',' is a tuple). */
static uint8_t child_roles(uint8_t m, uint8_t open, bool first)
{
    uint8_t r = 0;
    if (m & R_FORMAT) r |= open == '(' ? (first ? R_FORMAT : R_OTHER) : R_FIELD; /* (fmt, shape); fields */
    if (m & R_FIELD) r |= first ? R_NAME : R_FORMAT; /* (name, fmt, shape), also a dict's keys */
    if (m & (R_NAME | R_OTHER)) r |= R_OTHER;
    return r;
}

/* Roles of the element at the current position: *now, and *if_group, the ones it also has if
 * the innermost '(' only groups it ("(x)" is x): known at its ')' (no ',' met) or ','. Outside a
 * descr value there are none. */
static void here(const walk *w, bool descr, uint8_t *now, uint8_t *if_group)
{
    *if_group = 0;
    if (w->depth == w->base) {
        *now = descr ? R_FORMAT : 0;
        return;
    }
    size_t i = w->depth - 1;
    *now = child_roles(w->role[i], w->open[i], w->first[i]);
    if (w->open[i] == '(' && w->first[i]) *if_group = (uint8_t)(w->role[i] & ~*now);
}

/* ------------------------------------------------------------------ strings */

/* One string value: the pieces of an implicit concatenation, judged as one. */
typedef struct strval {
    bool active, bytes;
    uint8_t now, if_group; /* its roles (see here()) */
    bool hit;              /* holds 'O', "object" or an unknown character */
    char win[6];           /* its last characters, for "object" across pieces */
} strval;

static bool judged(uint8_t roles) { return (roles & (R_FORMAT | R_FIELD)) != 0; }

static void judge_char(strval *v, uint32_t cp)
{
    if (cp == 'O' || cp == NPG_LX_UNKNOWN_CP) v->hit = true;
    memmove(v->win, v->win + 1, sizeof v->win - 1);
    v->win[sizeof v->win - 1] = cp < 0x80 ? (char)cp : '?';
    if (memcmp(v->win, "object", sizeof v->win) == 0) v->hit = true;
}

/* A piece of a string value: bytes and str do not mix (a SyntaxError); a piece in a format or
 * field role is decoded and judged. False when NumPy would refuse the header. */
static bool piece(walk *w, strval *v, bool descr)
{
    if (!v->active) {
        memset(v, 0, sizeof *v);
        v->active = true;
        v->bytes = w->t.bytes;
        here(w, descr, &v->now, &v->if_group);
    }
    if (w->t.bytes != v->bytes) return false;
    if (!judged(v->now) && !judged(v->if_group)) return true;
    npg_lx_str s;
    uint32_t cp;
    int rc;
    npg__lx_str_open(&w->lx, &w->t, &s);
    while ((rc = npg__lx_str_next(&s, &cp)) == 1) judge_char(v, cp);
    return rc == 0;
}

/* The string value ended: a hit counts now, or is held until its '(' shows what it is. */
static void string_done(walk *w, strval *v)
{
    if (!v->active) return;
    v->active = false;
    if (!v->hit) return;
    if (judged(v->now)) w->object = true;
    else if (judged(v->if_group)) w->held[w->depth - 1] = true;
}

/* ------------------------------------------------------------------ expressions */

static uint8_t closer(uint8_t open) { return open == '(' ? ')' : open == '[' ? ']' : '}'; }

static bool push(walk *w, uint8_t open, uint8_t roles)
{
    if (w->depth == MAX_LEVEL) return false;
    w->open[w->depth] = open;
    w->role[w->depth] = roles;
    w->first[w->depth] = true;
    w->held[w->depth] = false;
    w->depth++;
    return true;
}

/* Closing the innermost container: a '(' that met no ',' grouped one value, whose held
 * judgement now counts. */
static bool pop(walk *w, uint8_t op)
{
    size_t i = w->depth - 1;
    if (op != closer(w->open[i])) return false;
    if (w->held[i] && w->first[i]) w->object = true;
    w->depth--;
    return true;
}

/* A bracket, separator or sign inside an expression. A container's roles include those it has
 * only if an enclosing '(' groups it (a little wider than NumPy: errs towards scanning). */
static bool punct(walk *w, bool descr)
{
    uint8_t op = w->t.op, now, if_group;
    if (op == '(' || op == '[' || op == '{') {
        here(w, descr, &now, &if_group);
        return push(w, op, now | if_group);
    }
    if (op == '+' || op == '-') return true;
    if (w->depth == w->base) return false; /* a ')' ']' ',' ':' the dict does not expect */
    if (op == ',' || op == ':') {
        w->first[w->depth - 1] = false; /* a '(' holding a ',' is a tuple: nothing held counts */
        w->held[w->depth - 1] = false;
        return true;
    }
    return pop(w, op);
}

/* The expression starting at w->t, up to the character of stops that ends it at the dict's own
 * level (returned), strings judged when descr; 0 when NumPy would refuse the header. */
static uint8_t expression(walk *w, bool descr, const char *stops)
{
    strval v;
    memset(&v, 0, sizeof v);
    for (bool empty = true;; empty = false, next(w)) {
        if (w->t.kind != NPG_LX_STR) string_done(w, &v);
        switch (w->t.kind) {
        case NPG_LX_END:
        case NPG_LX_BAD:
            return 0;
        case NPG_LX_STR:
            if (!piece(w, &v, descr)) return 0;
            break;
        case NPG_LX_OP:
            if (w->depth == w->base && strchr(stops, w->t.op)) return empty ? 0 : w->t.op;
            if (!punct(w, descr)) return 0;
            break;
        default:
            break;
        }
    }
}

/* ------------------------------------------------------------------ the dict */

/* A plain string key, decoded: one of the three names, another key, or unsure (\N{...}). */
typedef struct keytext {
    uint32_t cp[14]; /* "fortran_order" is the longest name: 13 */
    size_t n;
    bool too_long, bytes;
} keytext;

static bool key_piece(walk *w, keytext *k)
{
    npg_lx_str s;
    uint32_t cp;
    int rc;
    npg__lx_str_open(&w->lx, &w->t, &s);
    while ((rc = npg__lx_str_next(&s, &cp)) == 1) {
        if (k->n == sizeof k->cp / sizeof k->cp[0]) k->too_long = true;
        else k->cp[k->n++] = cp;
    }
    return rc == 0;
}

static int key_class(const keytext *k)
{
    static const char *const names[] = {"descr", "fortran_order", "shape"};
    if (k->bytes || k->too_long) return K_OTHER;
    for (int i = 0; i < 3; i++) {
        if (strlen(names[i]) != k->n) continue;
        bool exact = true, maybe = true;
        for (size_t j = 0; j < k->n; j++) {
            if (k->cp[j] == NPG_LX_UNKNOWN_CP) exact = false;
            else if (k->cp[j] != (uint8_t)names[i][j]) maybe = false;
        }
        if (maybe) return exact ? i : K_UNSURE;
    }
    return K_OTHER;
}

/* A key from w->t through its ':'; *which is its class. */
static bool key(walk *w, int *which)
{
    if (w->t.kind == NPG_LX_STR) {
        keytext k;
        memset(&k, 0, sizeof k);
        k.bytes = w->t.bytes;
        for (; w->t.kind == NPG_LX_STR; next(w))
            if (w->t.bytes != k.bytes || !key_piece(w, &k)) return false;
        if (is_op(w, ':')) {
            *which = key_class(&k);
            return true;
        }
    }
    *which = K_UNSURE; /* ('descr'), 'de' + ..., anything: it may evaluate to a name */
    return expression(w, false, ":") == ':';
}

static void note_key(walk *w, int which)
{
    if (which <= K_SHAPE) w->keys |= 1u << which;
    else if (which == K_OTHER) w->other_key = true;
    else w->unsure_key = true;
}

/* key: value pairs up to the dict's '}'. */
static bool entries(walk *w)
{
    for (;;) {
        next(w);
        if (is_op(w, '}')) return true; /* {} or a trailing comma */
        int which;
        if (!key(w, &which)) return false;
        note_key(w, which);
        next(w);
        uint8_t end = expression(w, which == K_DESCR || which == K_UNSURE, ",}");
        if (end == 0) return false;
        if (end == '}') return true;
    }
}

/* The whole literal: a dict, maybe in parentheses, and nothing else. */
static bool literal(walk *w)
{
    size_t lead = 0;
    for (next(w); is_op(w, '('); next(w), lead++)
        if (!push(w, '(', 0)) return false;
    if (!is_op(w, '{') || !push(w, '{', 0)) return false;
    w->base = w->depth;
    if (!entries(w)) return false;
    for (size_t i = 0; i < lead; i++) {
        next(w);
        if (!is_op(w, ')')) return false;
    }
    next(w);
    return w->t.kind == NPG_LX_END;
}

/* ------------------------------------------------------------------ the file */

/* The header text [*start, *end) as numpy.load finds it; false when it would stop before. */
static bool header_text(const uint8_t *buf, size_t len, const npg_limits *lim, size_t *start, size_t *end,
                        int *major)
{
    static const uint8_t magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
    npg_cur c;
    uint64_t hlen;
    const uint8_t *m;
    uint8_t maj, min;
    npg__cur_init(&c, buf, len);
    if (!npg__cur_bytes(&c, sizeof magic, &m) || memcmp(m, magic, sizeof magic) != 0) return false;
    if (!npg__cur_u8(&c, &maj) || !npg__cur_u8(&c, &min) || maj < 1 || maj > 3 || min != 0) return false;
    if (!npg__cur_le(&c, maj == 1 ? 2 : 4, &hlen) || hlen > lim->max_header_len || hlen > npg__cur_left(&c))
        return false;
    *start = c.pos;
    *end = c.pos + (size_t)hlen;
    *major = maj;
    return true;
}

/* Python source holds no NUL; a 3.0 header must decode as UTF-8. */
static bool decodes(const uint8_t *p, size_t n, bool utf8)
{
    if (memchr(p, 0, n)) return false;
    for (size_t i = 0; utf8 && i < n;) {
        uint32_t cp;
        size_t k = p[i] < 0x80 ? 1 : npg__npy_utf8_decode(p + i, n - i, &cp);
        if (k == 0) return false;
        i += k;
    }
    return true;
}

bool npg__npy_lenient_object(const uint8_t *buf, size_t len, const npg_limits *lim, uint64_t *data_offset)
{
    size_t start, end;
    int major;
    if (!buf || !header_text(buf, len, lim, &start, &end, &major) || end >= len) return false;
    if (!decodes(buf + start, end - start, major == 3)) return false;
    walk w;
    memset(&w, 0, sizeof w);
    npg__cur_init(&w.lx.cur, buf, end);
    w.lx.cur.pos = start;
    w.lx.utf8 = major == 3;
    w.lx.py2 = major <= 2;
    if (!literal(&w) || w.other_key) return false;
    if (w.keys != 7u && !w.unsure_key) return false; /* NumPy wants exactly the three keys */
    if (!w.object) return false;
    *data_offset = end;
    return true;
}
