/* Python's tokens, as far as a literal needs them, for the lenient header reader (lenient.h).
 * Written from the Python language reference (lexical analysis), not from CPython's code. */
#include <string.h>

#include "lenient.h"
#include "unicode.h"

static bool at_byte(const npg_cur *c, size_t k, uint8_t *b)
{
    if (npg__cur_left(c) <= k) return false;
    *b = c->p[c->pos + k];
    return true;
}

static bool is_alpha(uint8_t b) { return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || b == '_'; }
static bool is_digit(uint8_t b) { return b >= '0' && b <= '9'; }

/* A line end at the cursor: "\r\n", "\r" or "\n"; its length or 0. */
static size_t newline_len(const npg_cur *c)
{
    uint8_t b, n;
    if (!at_byte(c, 0, &b) || (b != '\n' && b != '\r')) return 0;
    return b == '\r' && at_byte(c, 1, &n) && n == '\n' ? 2 : 1;
}

/* White space, line ends (implicit joining makes them white space inside brackets, and the
 * literal is one expression), backslash continuations and comments. */
static void skip_space(npg_lx *lx)
{
    npg_cur *c = &lx->cur;
    uint8_t b, n;
    while (at_byte(c, 0, &b)) {
        if (b == ' ' || b == '\t' || b == '\f' || b == '\v' || b == '\n' || b == '\r') {
            c->pos++;
        } else if (b == '\\' && at_byte(c, 1, &n) && (n == '\n' || n == '\r')) {
            c->pos++;
            c->pos += newline_len(c);
        } else if (b == '#') {
            while (at_byte(c, 0, &b) && b != '\n' && b != '\r') c->pos++;
        } else {
            return;
        }
    }
}

/* The body of a literal whose opening quote(s) were just consumed: up to the closing quote(s),
 * a backslash always taking the next character with it (also in raw literals). */
static bool string_body(npg_lx *lx, uint8_t q, bool triple, npg_lx_tok *t)
{
    npg_cur *c = &lx->cur;
    uint8_t b, b1, b2;
    t->body = c->pos;
    while (at_byte(c, 0, &b)) {
        if (b == '\\') {
            c->pos++;
            size_t nl = newline_len(c);
            if (nl) c->pos += nl;
            else if (!npg__cur_u8(c, &b)) return false;
            continue;
        }
        if (b == q && (!triple || (at_byte(c, 1, &b1) && b1 == q && at_byte(c, 2, &b2) && b2 == q))) {
            t->body_end = c->pos;
            c->pos += triple ? 3 : 1;
            return true;
        }
        if (!triple && (b == '\n' || b == '\r')) return false; /* unterminated */
        c->pos++;
    }
    return false;
}

/* A string literal with a prefix of up to two letters (r, u, b, br, rb in any case), or false
 * (and nothing consumed) when the cursor is not at one. */
static bool string_token(npg_lx *lx, npg_lx_tok *t)
{
    npg_cur *c = &lx->cur;
    size_t k = 0;
    uint8_t b, q, q1, q2;
    t->bytes = t->raw = false;
    while (k < 2 && at_byte(c, k, &b) && strchr("rRbBuU", b) && b) {
        t->bytes |= b == 'b' || b == 'B';
        t->raw |= b == 'r' || b == 'R';
        k++;
    }
    if (!at_byte(c, k, &q) || (q != '\'' && q != '"')) return false;
    c->pos += k + 1;
    bool triple = at_byte(c, 0, &q1) && q1 == q && at_byte(c, 1, &q2) && q2 == q;
    if (triple) c->pos += 2;
    t->kind = string_body(lx, q, triple, t) ? NPG_LX_STR : NPG_LX_BAD;
    return true;
}

/* A number, as a run of the characters numbers are made of (a sign only after an exponent). */
static void number_token(npg_lx *lx, npg_lx_tok *t)
{
    npg_cur *c = &lx->cur;
    uint8_t b, prev = 0;
    while (at_byte(c, 0, &b) && (is_alpha(b) || is_digit(b) || b == '.' ||
                                 ((b == '+' || b == '-') && (prev == 'e' || prev == 'E')))) {
        prev = b;
        c->pos++;
    }
    t->kind = NPG_LX_NUM;
}

/* A name: only True, False, None and set (set() is the empty set) are literals; an L right
 * after a number is what NumPy's header filter removes from 1.0/2.0 headers. */
static void name_token(npg_lx *lx, npg_lx_tok *t)
{
    static const char *const names[] = {"True", "False", "None", "set"};
    npg_cur *c = &lx->cur;
    size_t start = c->pos;
    uint8_t b;
    while (at_byte(c, 0, &b) && (is_alpha(b) || is_digit(b))) c->pos++;
    size_t n = c->pos - start;
    const char *s = (const char *)c->p + start;
    t->kind = NPG_LX_BAD;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i]) == n && memcmp(names[i], s, n) == 0) t->kind = NPG_LX_NAME;
    if (n == 1 && s[0] == 'L' && lx->py2 && lx->last == NPG_LX_NUM) t->kind = NPG_LX_NAME;
}

static void token(npg_lx *lx, npg_lx_tok *t)
{
    npg_cur *c = &lx->cur;
    uint8_t b, b1, b2;
    if (!at_byte(c, 0, &b)) {
        t->kind = NPG_LX_END;
    } else if (string_token(lx, t)) {
        /* kind set */
    } else if (is_digit(b) || (b == '.' && at_byte(c, 1, &b1) && is_digit(b1))) {
        number_token(lx, t);
    } else if (b == '.' && at_byte(c, 1, &b1) && b1 == '.' && at_byte(c, 2, &b2) && b2 == '.') {
        c->pos += 3;
        t->kind = NPG_LX_NUM; /* Ellipsis: a constant like a number */
    } else if (is_alpha(b)) {
        name_token(lx, t);
    } else if (strchr("()[]{},:+-", b) && b) {
        c->pos++;
        t->kind = NPG_LX_OP;
        t->op = b;
    } else {
        t->kind = NPG_LX_BAD; /* other punctuation, and any non-ASCII character outside a string */
    }
}

void npg__lx_next(npg_lx *lx, npg_lx_tok *t)
{
    memset(t, 0, sizeof *t);
    skip_space(lx);
    token(lx, t);
    lx->last = t->kind;
}

/* ------------------------------------------------------------------ string contents */

void npg__lx_str_open(const npg_lx *lx, const npg_lx_tok *t, npg_lx_str *s)
{
    s->s = lx->cur;
    s->s.pos = t->body;
    s->s.end = t->body_end;
    s->raw = t->raw;
    s->bytes = t->bytes;
    s->utf8 = lx->utf8 && !t->bytes;
}

static int hex_value(uint8_t b)
{
    if (is_digit(b)) return b - '0';
    if ((b | 0x20) >= 'a' && (b | 0x20) <= 'f') return (b | 0x20) - 'a' + 10;
    return -1;
}

static int hex_escape(npg_cur *c, unsigned ndig, uint32_t *cp)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < ndig; i++) {
        uint8_t b;
        int h;
        if (!npg__cur_u8(c, &b) || (h = hex_value(b)) < 0) return -1;
        v = v << 4 | (uint32_t)h;
    }
    if (v > 0x10FFFF) return -1;
    *cp = v;
    return 1;
}

static int octal_escape(npg_cur *c, uint8_t first, uint32_t *cp)
{
    uint32_t v = (uint32_t)(first - '0');
    uint8_t b;
    for (int i = 0; i < 2 && at_byte(c, 0, &b) && b >= '0' && b <= '7'; i++, c->pos++) v = v * 8 + (b - '0');
    *cp = v;
    return 1;
}

/* \N{NAME}: the name is skipped; what it names is not known here. */
static int named_escape(npg_cur *c, uint32_t *cp)
{
    uint8_t b;
    if (!npg__cur_u8(c, &b) || b != '{') return -1;
    do {
        if (!npg__cur_u8(c, &b)) return -1;
    } while (b != '}');
    *cp = NPG_LX_UNKNOWN_CP;
    return 1;
}

/* A backslash followed by a line end, which joins the lines (no character); false when the
 * cursor is not at one. */
static bool continuation(npg_cur *c)
{
    uint8_t b, e;
    if (!at_byte(c, 0, &b) || b != '\\' || !at_byte(c, 1, &e) || (e != '\n' && e != '\r')) return false;
    c->pos++;
    c->pos += newline_len(c);
    return true;
}

static int simple_escape(uint8_t e, uint32_t *cp)
{
    static const char pairs[] = "\\\\''\"\"a\ab\bf\fn\nr\rt\tv\v";
    for (size_t i = 0; i + 1 < sizeof pairs; i += 2) {
        if ((uint8_t)pairs[i] == e) {
            *cp = (uint8_t)pairs[i + 1];
            return 1;
        }
    }
    return 0;
}

/* After a backslash that does not join lines (the body never ends on a backslash). */
static int escape(npg_lx_str *s, uint32_t *cp)
{
    npg_cur *c = &s->s;
    uint8_t e;
    if (!npg__cur_u8(c, &e)) return -1;
    if (simple_escape(e, cp)) return 1;
    if (e >= '0' && e <= '7') return octal_escape(c, e, cp);
    if (e == 'x') return hex_escape(c, 2, cp);
    if (!s->bytes && e == 'u') return hex_escape(c, 4, cp);
    if (!s->bytes && e == 'U') return hex_escape(c, 8, cp);
    if (!s->bytes && e == 'N') return named_escape(c, cp);
    c->pos--; /* not an escape: Python keeps the backslash and the character */
    *cp = '\\';
    return 1;
}

int npg__lx_str_next(npg_lx_str *s, uint32_t *cp)
{
    npg_cur *c = &s->s;
    uint8_t b;
    if (!s->raw) /* a loop, not recursion: a body may hold any number of them */
        while (continuation(c)) {}
    if (!npg__cur_u8(c, &b)) return 0;
    if (b == '\\' && !s->raw) return escape(s, cp);
    if (s->utf8 && b >= 0x80) {
        size_t k = npg__npy_utf8_decode(c->p + c->pos - 1, npg__cur_left(c) + 1, cp);
        if (k == 0) return -1;
        c->pos += k - 1;
        return 1;
    }
    *cp = b;
    return 1;
}
