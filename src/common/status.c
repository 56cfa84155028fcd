/* Status codes: stable names and one-line descriptions. */
#include "npguard.h"

typedef struct status_row {
    int code;
    const char *name;
    const char *text;
} status_row;

#define ROW(c, t) {c, #c, t}
static const status_row rows[] = {
    ROW(NPG_OK, "success"),
    ROW(NPG_E_TRUNCATED, "input ends too early"),
    ROW(NPG_E_OPCODE, "unknown pickle opcode"),
    ROW(NPG_E_FORBIDDEN_OPCODE, "pickle opcode that imports or calls is not allowed"),
    ROW(NPG_E_GLOBAL, "global outside the allowlist"),
    ROW(NPG_E_STACK, "pickle stack underflow or misuse"),
    ROW(NPG_E_MARK, "missing MARK"),
    ROW(NPG_E_MEMO, "bad memo index"),
    ROW(NPG_E_TYPE, "operand of the wrong type"),
    ROW(NPG_E_UNHASHABLE, "unhashable dict key or set item"),
    ROW(NPG_E_DUPLICATE_KEY, "duplicate dict key or set item"),
    ROW(NPG_E_SYNTAX, "malformed text argument"),
    ROW(NPG_E_UTF8, "invalid UTF-8"),
    ROW(NPG_E_FRAME, "frame boundary violated"),
    ROW(NPG_E_PROTO, "bad or misplaced PROTO"),
    ROW(NPG_E_STOP, "stack not exactly one object at STOP"),
    ROW(NPG_E_TRAILING, "data after the end"),
    ROW(NPG_E_CALL, "allowed callable with arguments of the wrong shape"),
    ROW(NPG_E_BUILD, "BUILD on a wrong target or with a bad state"),
    ROW(NPG_E_DTYPE, "invalid dtype"),
    ROW(NPG_E_ARRAY, "inconsistent array shape, order or data"),
    ROW(NPG_E_BUFFER, "out-of-band buffer missing"),
    ROW(NPG_E_PENDING, "array or dtype used before its BUILD"),
    ROW(NPG_E_NEGATIVE_LENGTH, "negative length"),
    ROW(NPG_E_LIMIT_INPUT, "input size limit exceeded"),
    ROW(NPG_E_LIMIT_OPS, "operation count limit exceeded"),
    ROW(NPG_E_LIMIT_STACK, "stack depth limit exceeded"),
    ROW(NPG_E_LIMIT_MARKS, "open MARK limit exceeded"),
    ROW(NPG_E_LIMIT_MEMO, "memo limit exceeded"),
    ROW(NPG_E_LIMIT_DEPTH, "nesting depth limit exceeded"),
    ROW(NPG_E_LIMIT_CONTAINER, "container length limit exceeded"),
    ROW(NPG_E_LIMIT_ALLOC, "memory limit exceeded"),
    ROW(NPG_E_LIMIT_DIGITS, "integer digit limit exceeded"),
    ROW(NPG_E_LIMIT_LONG, "LONG byte limit exceeded"),
    ROW(NPG_E_LIMIT_ARRAY, "array size limit exceeded"),
    ROW(NPG_E_LIMIT_NDIM, "array dimension limit exceeded"),
    ROW(NPG_E_LIMIT_STRING, "string length limit exceeded"),
    ROW(NPG_E_LIMIT_FIELDS, "dtype field limit exceeded"),
    ROW(NPG_E_NOMEM, "out of memory"),
    ROW(NPG_E_INVALID, "invalid argument"),
    ROW(NPG_E_BADSTATE, "object in the wrong state"),
    ROW(NPG_E_INTERNAL, "internal error in npguard"),
};
#undef ROW

static const status_row *find(int code)
{
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (rows[i].code == code) return &rows[i];
    return NULL;
}

NPG_API const char *npg_strerror(int code)
{
    const status_row *r = find(code);
    return r ? r->text : "unknown status";
}

NPG_API const char *npg_status_name(int code)
{
    const status_row *r = find(code);
    return r ? r->name : "NPG_E_UNKNOWN";
}

NPG_API unsigned npg_version_number(void) { return NPG_VERSION_NUMBER; }
NPG_API const char *npg_version_string(void) { return NPG_VERSION_STRING; }
