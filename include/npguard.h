/*
 * npguard: open pickle, .npy and .npz files from strangers without running their code.
 *
 * This is the only public header. Everything the library offers is declared here with the
 * prefix npg_ (functions, types) or NPG_ (macros, enum values).
 *
 * Ownership in one paragraph: an npg_ctx holds configuration (allocator, limits) and may be
 * shared read-only by several threads. Each decode returns an npg_doc that owns every value,
 * dtype, finding and copied byte it produced; npg_doc_free() releases all of it in one call.
 * Values may point (zero-copy) into the caller's input buffer and into out-of-band buffers, so
 * those buffers must outlive the document. The library does no file I/O, never calls exit() or
 * abort(), and never imports or calls anything named by its input.
 */
#ifndef NPGUARD_H
#define NPGUARD_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(NPG_STATIC)
#define NPG_API
#elif defined(_WIN32) && defined(NPG_BUILDING)
#define NPG_API __declspec(dllexport)
#elif defined(_WIN32)
#define NPG_API __declspec(dllimport)
#elif defined(__GNUC__)
#define NPG_API __attribute__((visibility("default")))
#else
#define NPG_API
#endif

/* ---------------------------------------------------------------- version */

#define NPG_VERSION_MAJOR 0
#define NPG_VERSION_MINOR 1
#define NPG_VERSION_PATCH 0
#define NPG_VERSION_NUMBER (NPG_VERSION_MAJOR * 10000 + NPG_VERSION_MINOR * 100 + NPG_VERSION_PATCH)
#define NPG_VERSION_STRING "0.1.0"

NPG_API unsigned npg_version_number(void);
NPG_API const char *npg_version_string(void);

/* ---------------------------------------------------------------- status codes
 *
 * Values are stable and never reused. Ranges: 1-99 malformed or refused input, 100-149 a limit
 * was hit, 200-249 caller or environment problems, 255 a bug in npguard.
 */
typedef enum npg_status {
    NPG_OK = 0,

    NPG_E_TRUNCATED = 1,        /* input ended inside an opcode, an argument or before STOP */
    NPG_E_OPCODE = 2,           /* byte is not a pickle opcode */
    NPG_E_FORBIDDEN_OPCODE = 3, /* INST, OBJ, NEWOBJ, NEWOBJ_EX, EXT1/2/4, PERSID, BINPERSID */
    NPG_E_GLOBAL = 4,           /* GLOBAL/STACK_GLOBAL names something outside the allowlist */
    NPG_E_STACK = 5,            /* stack underflow, or a MARK where an object was expected */
    NPG_E_MARK = 6,             /* an opcode needs a MARK and there is none */
    NPG_E_MEMO = 7,             /* GET of an index never PUT, or a negative PUT index */
    NPG_E_TYPE = 8,             /* operand of the wrong type (APPEND on a non-list, ...) */
    NPG_E_UNHASHABLE = 9,       /* dict key or set item that is not hashable */
    NPG_E_DUPLICATE_KEY = 10,   /* dict key or set item equal to one already present */
    NPG_E_SYNTAX = 11,          /* text argument (INT, LONG, FLOAT, STRING, UNICODE, GET...) */
    NPG_E_UTF8 = 12,            /* invalid UTF-8 in a BINUNICODE argument */
    NPG_E_FRAME = 13,           /* opcode straddles a frame end, or FRAME inside a frame */
    NPG_E_PROTO = 14,           /* PROTO not first, or protocol outside 2..5 */
    NPG_E_STOP = 15,            /* not exactly one object and no open MARK at STOP */
    NPG_E_TRAILING = 16,        /* bytes after STOP */
    NPG_E_CALL = 17,            /* REDUCE of an allowed symbol with arguments of the wrong shape */
    NPG_E_BUILD = 18,           /* BUILD on something that is not a pending array/dtype, or bad state */
    NPG_E_DTYPE = 19,           /* invalid dtype string or dtype state */
    NPG_E_ARRAY = 20,           /* array shape, order or data inconsistent */
    NPG_E_BUFFER = 21,          /* NEXT_BUFFER with no (more) out-of-band buffers */
    NPG_E_PENDING = 22,         /* an array or dtype used before its BUILD */
    NPG_E_NEGATIVE_LENGTH = 23, /* a signed length field is negative */
    NPG_E_IMPORT = 24,          /* find_class of a module name no import can find (not dotted identifiers) */

    /* .npy (30-49) */
    NPG_E_NPY_MAGIC = 30,         /* not a .npy file: bytes 0-5 are not \x93NUMPY */
    NPG_E_NPY_VERSION = 31,       /* format version other than 1.0, 2.0, 3.0 */
    NPG_E_NPY_ALIGNMENT = 32,     /* data not where any NumPy put it (a multiple of 64, or NumPy < 1.14's 16) */
    NPG_E_NPY_ENCODING = 33,      /* header text not latin-1 (v1/v2) / UTF-8 (v3), or control characters */
    NPG_E_NPY_SYNTAX = 34,        /* header is not the canonical dict literal NumPy writes */
    NPG_E_NPY_KEYS = 35,          /* keys other than exactly descr, fortran_order, shape */
    NPG_E_NPY_DESCR = 36,         /* descr is not a valid dtype description */
    NPG_E_NPY_SHAPE = 37,         /* shape is not a tuple of non-negative ints */
    NPG_E_NPY_FORTRAN = 38,       /* fortran_order is not True or False */
    NPG_E_NPY_OBJECT = 39,        /* object dtype data that is not a pickle of a matching array */

    /* zip / .npz (50-79) */
    NPG_E_ZIP_EOCD = 50,          /* end-of-central-directory record missing, repeated or inconsistent */
    NPG_E_ZIP_ZIP64 = 51,         /* zip64 locator/record missing, malformed or inconsistent */
    NPG_E_ZIP_CD = 52,            /* central directory malformed or its count disagrees */
    NPG_E_ZIP_LOCAL = 53,         /* local header disagrees with its central-directory entry */
    NPG_E_ZIP_LAYOUT = 54,        /* entries overlap, leave gaps, or data before/after the archive */
    NPG_E_ZIP_FLAGS = 55,         /* general-purpose flags other than data descriptor, UTF-8 name, deflate level */
    NPG_E_ZIP_ENCRYPTED = 56,     /* encrypted entry */
    NPG_E_ZIP_METHOD = 57,        /* compression method other than stored (0) or deflate (8) */
    NPG_E_ZIP_NAME = 58,          /* unsafe or malformed member name (absolute, .., \\, control chars) */
    NPG_E_ZIP_DUPLICATE = 59,     /* two members with the same name (also after stripping .npy) */
    NPG_E_ZIP_EXTRA = 60,         /* malformed extra field */
    NPG_E_ZIP_DESCRIPTOR = 61,    /* data descriptor missing or disagreeing */
    NPG_E_ZIP_INFLATE = 62,       /* corrupt deflate stream, or it does not end at the declared sizes */
    NPG_E_ZIP_SIZE = 63,          /* member inflates past its declared size */
    NPG_E_ZIP_CRC = 64,           /* CRC-32 mismatch */

    NPG_E_LIMIT_INPUT = 100,     /* input larger than limits.max_input */
    NPG_E_LIMIT_OPS = 101,       /* more opcodes than limits.max_ops */
    NPG_E_LIMIT_STACK = 102,     /* value stack deeper than limits.max_stack */
    NPG_E_LIMIT_MARKS = 103,     /* more open MARKs than limits.max_marks */
    NPG_E_LIMIT_MEMO = 104,      /* more memo entries, or a larger index, than limits.max_memo */
    NPG_E_LIMIT_DEPTH = 105,     /* containers nested deeper than limits.max_depth */
    NPG_E_LIMIT_CONTAINER = 106, /* container longer than limits.max_container_len */
    NPG_E_LIMIT_ALLOC = 107,     /* library allocations above limits.max_alloc */
    NPG_E_LIMIT_DIGITS = 108,    /* text integer longer than limits.max_int_digits */
    NPG_E_LIMIT_LONG = 109,      /* LONG1/LONG4 longer than limits.max_long_bytes */
    NPG_E_LIMIT_ARRAY = 110,     /* array data larger than limits.max_array_bytes */
    NPG_E_LIMIT_NDIM = 111,      /* array or subarray with more than limits.max_ndim dimensions */
    NPG_E_LIMIT_STRING = 112,    /* str/bytes argument longer than limits.max_string_len */
    NPG_E_LIMIT_FIELDS = 113,    /* structured dtype with more than limits.max_fields fields */
    NPG_E_LIMIT_HEADER = 114,    /* .npy header longer than limits.max_header_len */
    NPG_E_LIMIT_MEMBERS = 115,   /* zip with more than limits.max_zip_members entries */
    NPG_E_LIMIT_RATIO = 116,     /* member compression ratio above limits.max_ratio */
    NPG_E_LIMIT_UNCOMPRESSED = 117, /* uncompressed bytes above limits.max_uncompressed */

    NPG_E_NOMEM = 200,     /* the allocator returned NULL */
    NPG_E_INVALID = 201,   /* invalid argument from the caller (NULL pointer, bad flag) */
    NPG_E_BADSTATE = 202,  /* object used after an earlier failure or in the wrong state */

    NPG_E_INTERNAL = 255 /* a bug in npguard: please report it */
} npg_status;

/* Static one-line description of a status code ("unknown status" for unknown codes). */
NPG_API const char *npg_strerror(int code);
/* Stable short name of a status code, e.g. "NPG_E_TRUNCATED". */
NPG_API const char *npg_status_name(int code);

/* Where and why a call failed. Filled by every call that takes one (may be NULL). */
typedef struct npg_error {
    int code;          /* npg_status */
    int opcode;        /* pickle opcode byte being executed, or -1 */
    uint64_t offset;   /* byte offset in the input where the failing item starts */
    char message[200]; /* one line, printable ASCII, NUL-terminated; names the global when one is involved */
    char member[256];  /* zip member name, or "" */
} npg_error;

/* ---------------------------------------------------------------- allocator */

typedef struct npg_alloc {
    void *(*malloc)(void *ud, size_t size);
    void *(*realloc)(void *ud, void *ptr, size_t old_size, size_t new_size);
    void (*free)(void *ud, void *ptr, size_t size);
    void *ud;
} npg_alloc;

/* ---------------------------------------------------------------- limits
 *
 * Every resource the input can make the library spend is capped. npg_limits_init() fills
 * conservative defaults (documented in README.md); a caller may lower or raise each field, up to
 * the compile-time ceilings below. Zero is never "unlimited".
 */
typedef struct npg_limits {
    size_t size;             /* sizeof(npg_limits), set by npg_limits_init */
    uint64_t max_input;      /* input bytes */
    uint64_t max_ops;        /* opcodes executed */
    size_t max_stack;        /* values on the VM stack */
    size_t max_marks;        /* open MARKs */
    size_t max_memo;         /* memo entries; also the largest accepted memo index + 1 */
    size_t max_depth;        /* container nesting depth (as built) */
    size_t max_container_len;/* items in one tuple/list/dict/set */
    uint64_t max_alloc;      /* bytes allocated by the library for one document */
    size_t max_int_digits;   /* digits of an INT/LONG text argument */
    size_t max_long_bytes;   /* bytes of a LONG1/LONG4 argument */
    uint64_t max_array_bytes;/* data bytes of one array */
    size_t max_ndim;         /* dimensions of an array or subarray */
    uint64_t max_string_len; /* bytes of one str/bytes/bytearray argument */
    size_t max_fields;       /* fields of one structured dtype (over all nesting levels) */
    size_t max_findings;     /* findings kept by scan mode (more are counted, not kept) */
    size_t max_header_len;   /* .npy header bytes (NumPy's max_header_size) */
    size_t max_zip_members;  /* entries of one zip archive */
    uint64_t max_uncompressed; /* uncompressed bytes of one zip archive (all members) */
    uint32_t max_ratio;      /* uncompressed/compressed size of one member (deflate's own max ~1032) */
} npg_limits;

#define NPG_MAX_NDIM 64 /* NumPy 2's NPY_MAXDIMS; a hard ceiling */

NPG_API void npg_limits_init(npg_limits *limits);

/* ---------------------------------------------------------------- context */

typedef struct npg_ctx npg_ctx;

/* alloc may be NULL (libc). Returns NULL on allocation failure. */
NPG_API npg_ctx *npg_ctx_new(const npg_alloc *alloc);
NPG_API void npg_ctx_free(npg_ctx *ctx); /* NULL is a no-op */
/* Copies the limits. NPG_E_INVALID if limits->size is wrong or a field is 0 or above its ceiling. */
NPG_API int npg_ctx_set_limits(npg_ctx *ctx, const npg_limits *limits);
NPG_API void npg_ctx_get_limits(const npg_ctx *ctx, npg_limits *out);

/* ---------------------------------------------------------------- values */

typedef enum npg_kind {
    NPG_NONE = 0,
    NPG_BOOL = 1,
    NPG_INT = 2,         /* any size */
    NPG_FLOAT = 3,
    NPG_COMPLEX = 4,
    NPG_STR = 5,         /* UTF-8 bytes; lone surrogates appear in their 3-byte form (surrogatepass) */
    NPG_BYTES = 6,
    NPG_BYTEARRAY = 7,
    NPG_TUPLE = 8,
    NPG_LIST = 9,
    NPG_DICT = 10,
    NPG_ORDERED_DICT = 11, /* collections.OrderedDict: a dict that remembers its class */
    NPG_SET = 12,
    NPG_FROZENSET = 13,
    NPG_ARRAY = 14,        /* numpy.ndarray, matrix, recarray or MaskedArray */
    NPG_DTYPE = 15,
    NPG_SCALAR = 16,       /* numpy scalar (np.float64(1.5), np.str_('a'), ...) */
    NPG_MASKED_CONSTANT = 17, /* numpy.ma.masked */
    NPG_OPAQUE = 18,       /* scan mode only: what a refused construct produced */
    NPG_TYPE = 19          /* a builtin type kept as data (only range: NumPy's own test data holds it) */
} npg_kind;

typedef struct npg_value npg_value;
typedef struct npg_dtype npg_dtype;

NPG_API npg_kind npg_value_kind(const npg_value *v);
NPG_API const char *npg_kind_name(npg_kind kind);

NPG_API int npg_value_bool(const npg_value *v);
/* Integers: returns 1 and sets *out when the value fits in int64_t, else 0. */
NPG_API int npg_value_int64(const npg_value *v, int64_t *out);
/* Any integer as minimal two's-complement little-endian bytes (also for small ones), copied
 * into buf[0..cap). Returns the number of bytes the value needs (copies min(that, cap)); 0 when
 * v is not an int. */
NPG_API size_t npg_value_int_bytes(const npg_value *v, uint8_t *buf, size_t cap);
NPG_API double npg_value_float(const npg_value *v);
NPG_API void npg_value_complex(const npg_value *v, double *re, double *im);
/* str (UTF-8), bytes, bytearray: pointer and length; NOT NUL-terminated. */
NPG_API const uint8_t *npg_value_bytes(const npg_value *v, size_t *len);

/* tuple, list, set, frozenset: items in pickle order; dict/OrderedDict: number of entries. */
NPG_API size_t npg_value_len(const npg_value *v);
NPG_API const npg_value *npg_value_item(const npg_value *v, size_t i);
NPG_API const npg_value *npg_value_dict_key(const npg_value *v, size_t i);
NPG_API const npg_value *npg_value_dict_val(const npg_value *v, size_t i);

/* Opaque placeholders (scan mode): the exact "module.name" of the refused global they stand for
 * (as findings give it; it may hold any byte), a short description, or "". */
NPG_API const char *npg_value_opaque_name(const npg_value *v);
/* NPG_TYPE: the type's Python name ("range"); "" for other values. */
NPG_API const char *npg_value_type_name(const npg_value *v);

/* ---------------------------------------------------------------- dtypes */

typedef enum npg_array_class {
    NPG_CLASS_NDARRAY = 0,
    NPG_CLASS_MATRIX = 1,
    NPG_CLASS_RECARRAY = 2,
    NPG_CLASS_MASKED = 3
} npg_array_class;

/* The dtype a value of kind NPG_DTYPE holds. */
NPG_API const npg_dtype *npg_value_dtype(const npg_value *v);

/* 'b' bool, 'i' signed, 'u' unsigned, 'f' float, 'c' complex, 'S' bytes, 'U' UCS-4 str,
 * 'V' void/structured, 'O' object, 'M' datetime64, 'm' timedelta64 */
NPG_API char npg_dtype_kind(const npg_dtype *d);
/* '<' little, '>' big, '|' not applicable (as NumPy spells dtype.str). */
NPG_API char npg_dtype_byteorder(const npg_dtype *d);
NPG_API size_t npg_dtype_itemsize(const npg_dtype *d);
NPG_API size_t npg_dtype_alignment(const npg_dtype *d);
NPG_API int npg_dtype_is_aligned_struct(const npg_dtype *d);
NPG_API int npg_dtype_has_object(const npg_dtype *d);
NPG_API int npg_dtype_is_record(const npg_dtype *d); /* made from numpy.record (recarray) */
/* datetime64/timedelta64 unit ("ns", "D", "generic", ...) and multiplier; NULL for other kinds. */
NPG_API const char *npg_dtype_datetime_unit(const npg_dtype *d, uint32_t *multiplier);
/* Subarray dtypes ('V' with a base): base dtype and shape; NULL when not a subarray. */
NPG_API const npg_dtype *npg_dtype_subarray(const npg_dtype *d, size_t *ndim, const uint64_t **shape);
/* Structured dtypes: fields in order. name/title are UTF-8, NUL-terminated; title may be NULL. */
NPG_API size_t npg_dtype_nfields(const npg_dtype *d);
NPG_API const npg_dtype *npg_dtype_field(const npg_dtype *d, size_t i, const char **name,
                                         const char **title, uint64_t *offset);
/* dtype.str as NumPy spells it, e.g. "<f8", "|S3", "<M8[15m]", "|V12". Returns the length
 * written (excluding NUL); truncates safely when cap is too small. */
NPG_API size_t npg_dtype_str(const npg_dtype *d, char *buf, size_t cap);
/* The descr a .npy header holds for the dtype (numpy.lib.format.dtype_to_descr, repr()'d, with
 * non-ASCII characters escaped), e.g. "'<f8'" or "[('x', '<i4'), ('y', '<f8')]". Like snprintf:
 * writes at most cap bytes including a NUL and returns the full length. Returns 0 when NumPy has
 * no descr for the dtype (fields that overlap or are out of order): np.save refuses such arrays,
 * and so does npg_npy_write. */
NPG_API size_t npg_dtype_descr(const npg_dtype *d, char *buf, size_t cap);

/* ---------------------------------------------------------------- arrays and scalars */

NPG_API npg_array_class npg_array_class_of(const npg_value *v);
NPG_API const npg_dtype *npg_array_dtype(const npg_value *v);
NPG_API size_t npg_array_ndim(const npg_value *v);
NPG_API const uint64_t *npg_array_shape(const npg_value *v);
NPG_API int npg_array_fortran(const npg_value *v); /* data is in Fortran (column-major) order */
NPG_API int npg_array_writeable(const npg_value *v);
NPG_API uint64_t npg_array_size(const npg_value *v); /* product of the shape */
/* Raw element bytes (dtypes without objects): itemsize * size bytes, in the order given by
 * npg_array_fortran, byte order as in the dtype. Points into the input buffer (or an out-of-band
 * buffer) whenever the pickle stored the bytes verbatim; *borrowed tells which. */
NPG_API const uint8_t *npg_array_data(const npg_value *v, uint64_t *len, int *borrowed);
/* Object arrays (and structured dtypes holding objects): element i in C order. */
NPG_API const npg_value *npg_array_object(const npg_value *v, uint64_t i);
/* MaskedArray: mask bytes (one bool per element and field, same order as the data) and the
 * fill value (a 0-d array or NULL). */
NPG_API const uint8_t *npg_array_mask(const npg_value *v, uint64_t *len);
NPG_API const npg_value *npg_array_fill_value(const npg_value *v);

NPG_API const npg_dtype *npg_scalar_dtype(const npg_value *v);
/* Scalar element bytes (itemsize bytes); NULL for a structured scalar holding objects, whose
 * value is npg_scalar_object() (a 0-d array). */
NPG_API const uint8_t *npg_scalar_data(const npg_value *v, size_t *len);
NPG_API const npg_value *npg_scalar_object(const npg_value *v);

/* ---------------------------------------------------------------- scan findings */

typedef enum npg_severity {
    NPG_SEV_INFO = 0,     /* recorded for the audit trail; the file is still ok */
    NPG_SEV_LOW = 1,
    NPG_SEV_MEDIUM = 2,
    NPG_SEV_HIGH = 3,
    NPG_SEV_CRITICAL = 4  /* known code execution */
} npg_severity;

/* Stable rule identifiers (see README.md, "Rules"). */
typedef enum npg_rule {
    NPG_RULE_GLOBAL_ALLOWED = 1,     /* NPG001 an allowlisted global (info) */
    NPG_RULE_GLOBAL_DANGEROUS = 2,   /* NPG002 a global known to execute code or touch the system */
    NPG_RULE_GLOBAL_UNKNOWN = 3,     /* NPG003 any other global outside the allowlist */
    NPG_RULE_CALL = 4,               /* NPG004 REDUCE of a refused global */
    NPG_RULE_OPCODE_CALL = 5,        /* NPG005 INST / OBJ / NEWOBJ / NEWOBJ_EX */
    NPG_RULE_OPCODE_EXT = 6,         /* NPG006 EXT1 / EXT2 / EXT4 */
    NPG_RULE_OPCODE_PERSID = 7,      /* NPG007 PERSID / BINPERSID */
    NPG_RULE_BUILD = 8,              /* NPG008 BUILD (setstate) on a refused object */
    NPG_RULE_MUTATE = 9,             /* NPG009 APPEND/SETITEM/ADDITEMS on a refused object */
    NPG_RULE_BUFFER = 10,            /* NPG010 out-of-band buffer (NEXT_BUFFER) with none supplied */
    NPG_RULE_GLOBAL_UNIMPORTABLE = 11 /* NPG011 a module name that is not dotted identifiers (low) */
} npg_rule;

NPG_API const char *npg_rule_id(int rule);   /* "NPG002" */
NPG_API const char *npg_rule_name(int rule); /* "dangerous-global" */
NPG_API const char *npg_rule_help(int rule); /* one paragraph */
NPG_API npg_severity npg_rule_severity(int rule);
NPG_API const char *npg_severity_name(npg_severity s); /* "info", ..., "critical" */

/* A finding about an import names the (module, name) pair exactly as CPython's find_class would
 * receive it: `global` holds the module's UTF-8 bytes, '.', the name's UTF-8 bytes (lone
 * surrogates, which a pickle's str may hold, in their 3-byte form), NUL-terminated; it may hold
 * any byte, a NUL or a newline too, so use global_len. module_len splits it (global[module_len]
 * is the '.'). Pairs longer than 4096 bytes are cut there (global_truncated is set). */
typedef struct npg_finding {
    uint64_t offset;       /* byte offset of the opcode */
    int opcode;            /* the opcode byte */
    int rule;              /* npg_rule, or NPG_RULE_MALFORMED for a strict-grammar refusal */
    npg_severity severity;
    const char *global;    /* exact "module.name" (see above), or NULL */
    const char *message;   /* one line, printable ASCII */
    int status;            /* NPG_RULE_MALFORMED: the status decode mode fails with; else 0 */
    size_t global_len;     /* bytes of global */
    size_t module_len;     /* bytes of the module part of global */
    int global_truncated;  /* the pair was longer than 4096 bytes and is cut */
} npg_finding;

/* Severity a global would get if it were refused (NPG_SEV_INFO when it is allowlisted). The
 * strings may hold any bytes; they are compared exactly. */
NPG_API npg_severity npg_global_severity(const char *module, size_t module_len,
                                         const char *name, size_t name_len);

/* ---------------------------------------------------------------- pickles */

typedef struct npg_doc npg_doc;

typedef struct npg_buffer {
    const uint8_t *data;
    uint64_t len;
    int readonly;
} npg_buffer;

enum {
    NPG_SCAN = 1u << 0,            /* record refusals as findings and carry on with placeholders */
    NPG_ALLOW_TRAILING = 1u << 1,  /* stop at STOP and report where it ended (npg_doc_end) */
    NPG_PY2_BYTES = 1u << 2        /* Python-2 STRING values become bytes instead of latin-1 str */
};

typedef struct npg_pickle_opts {
    unsigned flags;
    const npg_buffer *buffers; /* protocol-5 out-of-band buffers for NEXT_BUFFER, in order */
    size_t nbuffers;
} npg_pickle_opts;

/*
 * Run the restricted VM over buf[0..len). opts may be NULL (decode, no buffers).
 *
 * Decode mode: returns NPG_OK and *out, or an error code, *out = NULL and *err filled.
 * Scan mode (NPG_SCAN): *out is set whenever memory allowed, even on error, so that the findings
 * seen before the error can be read; the return value is the parse status (NPG_OK when the
 * pickle parsed to its STOP). A scan with no finding above NPG_SEV_INFO and status NPG_OK is
 * exactly a pickle that decode mode accepts.
 *
 * buf (and opts->buffers' memory) must outlive *out: values reference them without copying.
 */
NPG_API int npg_pickle_load(const npg_ctx *ctx, const uint8_t *buf, size_t len,
                            const npg_pickle_opts *opts, npg_doc **out, npg_error *err);

NPG_API void npg_doc_free(npg_doc *doc); /* NULL is a no-op */
/* The decoded object (NULL when the load failed or in scan mode before STOP). */
NPG_API const npg_value *npg_doc_root(const npg_doc *doc);
/* Findings recorded in scan mode; *total counts also those beyond limits.max_findings. */
NPG_API const npg_finding *npg_doc_findings(const npg_doc *doc, size_t *count, size_t *total);
/* Offset just past STOP (with NPG_ALLOW_TRAILING), the protocol seen, opcodes executed. */
NPG_API uint64_t npg_doc_end(const npg_doc *doc);
NPG_API int npg_doc_protocol(const npg_doc *doc);
NPG_API uint64_t npg_doc_ops(const npg_doc *doc);
/* Scan-mode status: the same as the load's return value, and the error detail. */
NPG_API int npg_doc_status(const npg_doc *doc, npg_error *err);
/* Bytes the document holds from the allocator (its peak equals what the limit was checked against). */
NPG_API uint64_t npg_doc_alloc_bytes(const npg_doc *doc);

/* Output callback for printers and writers: return 0 to continue, non-zero to stop. */
typedef int (*npg_write_fn)(void *ud, const void *data, size_t len);

/*
 * Disassemble a pickle, as pickletools.dis does, by running it in the restricted VM (the same
 * code as npg_pickle_load, so the listing is exactly what decode and scan see). One line per
 * opcode: offset, name (indented by open MARKs), argument (escaped, long ones truncated), stack
 * depth afterwards, memo index of PUT/GET/MEMOIZE, and the VM's judgement ("ok", the findings
 * at that offset as "NPG002 critical dangerous-global posix.system", or the error); then a
 * summary line. The listing goes on up to the first error, which ends it.
 * flags: NPG_SCAN (refusals are listed as findings and the listing continues; without it the
 * first refusal is the error), NPG_ALLOW_TRAILING, NPG_PY2_BYTES.
 * Returns NPG_OK when the pickle would decode (parsed to STOP, no finding above info); else the
 * parse error, or when there is none the status of the first refusal (NPG_E_GLOBAL,
 * NPG_E_FORBIDDEN_OPCODE, ...), described in *err. The listing is complete in both cases; a
 * failing write stops it and returns NPG_E_INVALID.
 */
NPG_API int npg_pickle_disassemble(const npg_ctx *ctx, const uint8_t *buf, size_t len, unsigned flags,
                                   npg_write_fn write, void *ud, npg_error *err);

/* ---------------------------------------------------------------- printing */

/* Write a Python-like, one-line-per-item readable view of a value (arrays summarised) through
 * the callback. Iterative: safe on any nesting depth and on cycles (shown as <...>). */
NPG_API int npg_value_print(const npg_value *v, npg_write_fn write, void *ud, unsigned max_items);

/* ---------------------------------------------------------------- .npy */

enum {
    NPG_NPY_ALIGN16 = 1u << 8,      /* no effect (kept for compatibility): NumPy < 1.14's 16-byte
                                       alignment is always accepted now; other ones never are */
    NPG_NPY_CHECK_VALUES = 1u << 9  /* also read the data: bool bytes must be 0 or 1 */
};

/*
 * Validate buf as a .npy file: magic, version, header length against the file before anything is
 * read, header size, alignment, terminator and padding, the header dict by a strict grammar
 * (never an evaluator) with exactly the keys descr/fortran_order/shape, the descr grammar,
 * shape, overflow-checked sizes, and a data length exactly equal to what the header implies.
 * What older NumPy releases wrote and every current NumPy reads alike is accepted: data aligned
 * to 16 bytes (NumPy < 1.14; 2 bytes past a multiple of 16 in 1.9-1.13's 2.0 files), and in
 * 1.0/2.0 headers Python 2's 2L dimensions (also as '2 ', where NumPy 1.9.1-1.16 removed the L),
 * u'...' titles and '|O8'/'|O4'; scan mode reports each as an NPG_RULE_LEGACY_FORMAT info
 * finding.
 * O(header): the data is not read (unless NPG_NPY_CHECK_VALUES). An object dtype means the data
 * is a pickle: it is run by the restricted VM (flags NPG_SCAN, NPG_PY2_BYTES apply), and must
 * rebuild an object array of the header's shape.
 * On success the root is an NPG_ARRAY whose data points into buf (zero-copy, read-only:
 * npg_array_writeable() is 0). Errors give the offset of the offending byte; every proper prefix
 * of a valid file (the magic's too) gives NPG_E_TRUNCATED. Scan mode returns the document on
 * any error (status and detail in npg_doc_status).
 */
NPG_API int npg_npy_load(const npg_ctx *ctx, const uint8_t *buf, size_t len, unsigned flags,
                         npg_doc **out, npg_error *err);
/* .npy documents: format version and the offset of the array data. */
NPG_API int npg_doc_npy_version(const npg_doc *doc, int *major, int *minor);
NPG_API uint64_t npg_doc_data_offset(const npg_doc *doc);

/* Write an array (dtype without objects) as .npy exactly as NumPy's np.save does: version 1.0
 * when the header fits, 2.0 for long headers, 3.0 for non-latin-1 field names; canonical header;
 * 64-byte alignment. */
NPG_API int npg_npy_write(const npg_value *array, npg_write_fn write, void *ud, npg_error *err);
NPG_API int npg_npy_write_raw(const npg_dtype *dtype, size_t ndim, const uint64_t *shape, int fortran,
                              const uint8_t *data, uint64_t len, npg_write_fn write, void *ud,
                              npg_error *err);

/* ---------------------------------------------------------------- zip and .npz */

typedef struct npg_zip npg_zip;

typedef struct npg_zip_member {
    const char *name;       /* validated safe name, NUL-terminated */
    uint64_t header_offset; /* local file header */
    uint64_t data_offset;   /* first byte of the (compressed) data */
    uint64_t csize, usize;  /* compressed and uncompressed sizes */
    uint32_t crc32;
    int method;             /* 0 stored, 8 deflate */
    int is_npy;             /* name ends in ".npy" */
    unsigned level_hint;    /* deflate only: general-purpose bits 1-2, the level the writer claims
                               (0 normal, 1 maximum, 2 fast, 3 super fast; zip -9 sets 1). Every
                               reader ignores it; NumPy's zipfile writes 0 */
} npg_zip_member;

/*
 * Open a zip archive held in buf and validate its structure without inflating anything: a single
 * EOCD, zip64 records, the central directory and a forward walk of the local headers agreeing
 * exactly and tiling the file (no gap, overlap, prefix or suffix), flags and methods limited to
 * what NumPy writes (data descriptors accepted when consistent; on deflated members also the
 * level hint other zip tools set, see level_hint), no encryption, safe and unique names. The
 * archive references buf, which must outlive it.
 */
NPG_API int npg_zip_open(const npg_ctx *ctx, const uint8_t *buf, size_t len, unsigned flags,
                         npg_zip **out, npg_error *err);
NPG_API void npg_zip_free(npg_zip *zip); /* NULL is a no-op */
NPG_API size_t npg_zip_count(const npg_zip *zip);
NPG_API const npg_zip_member *npg_zip_member_at(const npg_zip *zip, size_t i);
/* Stream member i's uncompressed bytes through write in fixed-size chunks, under the size and
 * ratio caps, requiring the deflate stream to end exactly at the declared sizes and the CRC-32
 * to match (checked before the call returns NPG_OK; the last chunk may precede the check). */
NPG_API int npg_zip_read(const npg_zip *zip, size_t i, npg_write_fn write, void *ud, npg_error *err);
/* Zero-copy view of a stored member's bytes (NULL for deflated members). CRC not checked. */
NPG_API const uint8_t *npg_zip_stored_data(const npg_zip *zip, size_t i, uint64_t *len);

/* Load member i as .npy (as npg_npy_load): zero-copy when stored, inflated into the document
 * when deflated; the CRC is verified first. */
NPG_API int npg_npz_load_member(const npg_zip *zip, size_t i, unsigned flags, npg_doc **out,
                                npg_error *err);
/* Validate a whole .npz: the archive, then every member (inflate + CRC in bounded buffers;
 * .npy members as .npy, object members through the VM). Errors name the member (err->member).
 * Here and in npg_npz_load_member, .npy errors give offsets in the member's uncompressed bytes,
 * zip errors offsets in the archive. Members not named *.npy are refused (NPG_E_ZIP_NAME); object
 * pickles run in decode mode (NPG_SCAN is accepted but there is no document for findings). */
NPG_API int npg_npz_validate(const npg_ctx *ctx, const uint8_t *buf, size_t len, unsigned flags,
                             npg_error *err);

/* Write a .npz: members added one by one (name without ".npy"), stored or deflated, zip64
 * records where a member or the archive needs them. */
typedef struct npg_npz_writer npg_npz_writer;
NPG_API int npg_npz_writer_new(const npg_ctx *ctx, int compress, npg_write_fn write, void *ud,
                               npg_npz_writer **out);
NPG_API int npg_npz_writer_add(npg_npz_writer *w, const char *name, const npg_dtype *dtype,
                               size_t ndim, const uint64_t *shape, int fortran, const uint8_t *data,
                               uint64_t len, npg_error *err);
NPG_API int npg_npz_writer_finish(npg_npz_writer *w, npg_error *err);
NPG_API void npg_npz_writer_free(npg_npz_writer *w);

/* ---------------------------------------------------------------- audit: scan any file */

typedef enum npg_format {
    NPG_FMT_UNKNOWN = 0, /* none of the formats below */
    NPG_FMT_EMPTY = 1,
    NPG_FMT_PICKLE = 2,  /* also several concatenated pickles, and protocol 0/1 without PROTO */
    NPG_FMT_NPY = 3,
    NPG_FMT_ZIP = 4,     /* .npz, PyTorch-style zip checkpoints, any zip: members sniffed */
    NPG_FMT_TEXT = 5     /* inert text (CSV/TSV from np.savetxt, JSON...) */
} npg_format;

typedef enum npg_verdict {
    NPG_VERDICT_OK = 0,      /* well-formed, and would load using only the allowlist */
    NPG_VERDICT_UNSAFE = 1,  /* imports or calls something outside the allowlist */
    NPG_VERDICT_INVALID = 2, /* malformed, truncated or inconsistent (and not unsafe) */
    NPG_VERDICT_UNKNOWN = 3  /* a format npguard cannot read: not passed */
} npg_verdict;

/* Rule ids of audit findings that are not VM findings (see README.md, "Rules"). */
enum {
    NPG_RULE_MALFORMED = 100,      /* NPG100 the file (or a member) failed validation */
    NPG_RULE_UNKNOWN_FORMAT = 101, /* NPG101 content in no format npguard reads */
    NPG_RULE_POLYGLOT = 102,       /* NPG102 the bytes are valid as two formats at once */
    NPG_RULE_NON_NPY_MEMBER = 103, /* NPG103 a zip member that is not .npy (scanned by content) */
    NPG_RULE_HIDDEN_MEMBER = 104,  /* NPG104 a member only reachable by walking local headers */
    NPG_RULE_FORMAT_MISMATCH = 105,/* NPG105 the file name claims a format its bytes are not in */
    NPG_RULE_LEGACY_FORMAT = 106   /* NPG106 written by an older NumPy/Python, read alike by all (info) */
};

typedef struct npg_audit npg_audit;

typedef struct npg_audit_finding {
    int rule;               /* npg_rule or NPG_RULE_* above */
    npg_severity severity;
    uint64_t offset;        /* in the file, or in the member's uncompressed bytes */
    const char *member;     /* zip member name, or NULL */
    const char *global;     /* exact "module.name" for findings about an import (as npg_finding), or NULL */
    const char *message;    /* one line, printable ASCII */
    int status;             /* npg_status for NPG_RULE_MALFORMED, else 0 */
    size_t global_len;      /* bytes of global (it may hold a NUL) */
    size_t module_len;      /* bytes of the module part: global[module_len] is the '.' */
    int global_truncated;   /* the pair was longer than 4096 bytes and is cut */
} npg_audit_finding;

typedef struct npg_audit_opts {
    unsigned flags;            /* NPG_PY2_BYTES, NPG_NPY_CHECK_VALUES (NPG_NPY_ALIGN16: no effect) */
    const char *const *allow;  /* extra "module.name" globals to treat as acceptable (exact) */
    size_t nallow;
    /* The file's name or path, or NULL. It can only add suspicion, never vouch: a name that
     * claims a data format (.pkl .pickle .pck .pcl .joblib .npy .npz .pt .pth .ckpt) on bytes
     * that are text, empty or in no format makes the verdict invalid (NPG105). */
    const char *name;
} npg_audit_opts;

/* Sniff buf's real format (never the extension) and scan it completely with the library's one
 * parser per format: pickles in scan mode, .npy headers (object data through the VM), zip
 * archives member by member by content (also when the archive itself fails validation: every
 * member found through the central directory or by walking local headers is scanned). Returns
 * NPG_OK and *out whenever memory allowed; the verdict and findings say the rest. */
NPG_API int npg_audit_buffer(const npg_ctx *ctx, const uint8_t *buf, size_t len,
                             const npg_audit_opts *opts, npg_audit **out);
NPG_API void npg_audit_free(npg_audit *a); /* NULL is a no-op */
NPG_API npg_format npg_audit_format(const npg_audit *a);
NPG_API npg_verdict npg_audit_verdict(const npg_audit *a);
NPG_API size_t npg_audit_count(const npg_audit *a);
NPG_API const npg_audit_finding *npg_audit_finding_at(const npg_audit *a, size_t i);
NPG_API const char *npg_format_name(npg_format f);   /* "pickle", "npy", "zip", ... */
NPG_API const char *npg_verdict_name(npg_verdict v); /* "ok", "unsafe", "invalid", "unknown" */

/* ---------------------------------------------------------------- opcode table */

/* Name of a pickle opcode byte ("BINUNICODE"), or NULL for a byte that is not an opcode. */
NPG_API const char *npg_opcode_name(int opcode);

#ifdef __cplusplus
}
#endif
#endif /* NPGUARD_H */
