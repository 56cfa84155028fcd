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
    ROW(NPG_E_IMPORT, "import of a module name no import system can find"),
    ROW(NPG_E_NPY_MAGIC, "not a .npy file (bad magic)"),
    ROW(NPG_E_NPY_VERSION, "unsupported .npy format version"),
    ROW(NPG_E_NPY_ALIGNMENT, ".npy data is not aligned"),
    ROW(NPG_E_NPY_ENCODING, ".npy header has a bad encoding or control characters"),
    ROW(NPG_E_NPY_SYNTAX, ".npy header is not the canonical dict literal"),
    ROW(NPG_E_NPY_KEYS, ".npy header keys are not descr, fortran_order, shape"),
    ROW(NPG_E_NPY_DESCR, "invalid .npy descr"),
    ROW(NPG_E_NPY_SHAPE, "invalid .npy shape"),
    ROW(NPG_E_NPY_FORTRAN, "invalid .npy fortran_order"),
    ROW(NPG_E_NPY_OBJECT, ".npy object data is not a pickle of a matching array"),
    ROW(NPG_E_ZIP_EOCD, "bad zip end-of-central-directory record"),
    ROW(NPG_E_ZIP_ZIP64, "bad zip64 record"),
    ROW(NPG_E_ZIP_CD, "bad zip central directory"),
    ROW(NPG_E_ZIP_LOCAL, "zip local header disagrees with the central directory"),
    ROW(NPG_E_ZIP_LAYOUT, "zip entries overlap, leave gaps, or extra data surrounds the archive"),
    ROW(NPG_E_ZIP_FLAGS, "unsupported zip flags"),
    ROW(NPG_E_ZIP_ENCRYPTED, "encrypted zip entry"),
    ROW(NPG_E_ZIP_METHOD, "unsupported zip compression method"),
    ROW(NPG_E_ZIP_NAME, "unsafe zip member name"),
    ROW(NPG_E_ZIP_DUPLICATE, "duplicate zip member name"),
    ROW(NPG_E_ZIP_EXTRA, "malformed zip extra field"),
    ROW(NPG_E_ZIP_DESCRIPTOR, "bad zip data descriptor"),
    ROW(NPG_E_ZIP_INFLATE, "corrupt or mis-sized deflate stream"),
    ROW(NPG_E_ZIP_SIZE, "zip member larger than declared"),
    ROW(NPG_E_ZIP_CRC, "zip CRC-32 mismatch"),
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
    ROW(NPG_E_LIMIT_HEADER, ".npy header size limit exceeded"),
    ROW(NPG_E_LIMIT_MEMBERS, "zip member count limit exceeded"),
    ROW(NPG_E_LIMIT_RATIO, "compression ratio limit exceeded"),
    ROW(NPG_E_LIMIT_UNCOMPRESSED, "uncompressed size limit exceeded"),
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
