/* The tokenizer behind npg__npy_lenient_object (lenient_lex.c): the Python tokens a literal can
 * hold (ast.literal_eval's input), over a header that npguard's grammar refused. It is there to
 * decide one question, whether numpy.load would unpickle the data, so wherever it cannot be
 * exact it is wider than Python (numbers are runs of number characters, \v is white space):
 * reading too much only makes a scan look at bytes NumPy would not unpickle, reading too little
 * would let a payload pass unseen. */
#ifndef NPG_NPY_LENIENT_H
#define NPG_NPY_LENIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/cursor.h"

enum {
    NPG_LX_END,  /* end of the text */
    NPG_LX_STR,  /* a string or bytes literal (one piece of an implicit concatenation) */
    NPG_LX_NUM,  /* a number, ... (Ellipsis) */
    NPG_LX_NAME, /* True, False, None, set, and L after a number in 1.0/2.0 headers */
    NPG_LX_OP,   /* ( ) [ ] { } , : + - */
    NPG_LX_BAD   /* anything no Python literal holds: numpy.load refuses the header */
};

/* A code point \N{...} names: its value is unknown here (no Unicode name table). */
#define NPG_LX_UNKNOWN_CP 0xFFFFFFFFu

typedef struct npg_lx {
    npg_cur cur;   /* over the header text only */
    bool utf8;     /* 3.0: UTF-8 (checked by the caller), else latin-1 */
    bool py2;      /* 1.0/2.0: NumPy drops an L that follows a number */
    int last;      /* kind of the previous token */
} npg_lx;

typedef struct npg_lx_tok {
    int kind;
    uint8_t op;             /* NPG_LX_OP: the character */
    bool bytes, raw;        /* NPG_LX_STR: b'' and r'' prefixes */
    size_t body, body_end;  /* NPG_LX_STR: the literal's body, without prefix and quotes */
} npg_lx_tok;

/* The next token (white space, line continuations and comments skipped). */
void npg__lx_next(npg_lx *lx, npg_lx_tok *t);

/* The characters of one string token, decoded as Python does. */
typedef struct npg_lx_str {
    npg_cur s;       /* the body */
    bool raw, bytes, utf8;
} npg_lx_str;

void npg__lx_str_open(const npg_lx *lx, const npg_lx_tok *t, npg_lx_str *s);
/* 1: *cp is the next character (NPG_LX_UNKNOWN_CP for \N{...}); 0: the end; -1: an escape
 * Python refuses (a SyntaxError: numpy.load refuses the header). */
int npg__lx_str_next(npg_lx_str *s, uint32_t *cp);

#endif
