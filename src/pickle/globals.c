#include "globals.h"

#include <string.h>

static const npg_allow_row allowlist[] = {
    /* ndarray, regular path: NumPy 1.x, 1.16.0, 2.x, < 1.0 */
    {"numpy.core.multiarray", "_reconstruct", SYM_NP_RECONSTRUCT},
    {"numpy._core.multiarray", "_reconstruct", SYM_NP_RECONSTRUCT},
    {"numpy.core._multiarray_umath", "_reconstruct", SYM_NP_RECONSTRUCT},
    {"numpy.core._internal", "_reconstruct", SYM_NP_RECONSTRUCT},
    /* ndarray, protocol-5 path */
    {"numpy.core.numeric", "_frombuffer", SYM_NP_FROMBUFFER},
    {"numpy._core.numeric", "_frombuffer", SYM_NP_FROMBUFFER},
    /* numpy scalars */
    {"numpy.core.multiarray", "scalar", SYM_NP_SCALAR},
    {"numpy._core.multiarray", "scalar", SYM_NP_SCALAR},
    {"numpy.core._multiarray_umath", "scalar", SYM_NP_SCALAR},
    {"numpy", "dtype", SYM_NP_DTYPE},
    /* array classes, accepted only as arguments */
    {"numpy", "ndarray", SYM_NDARRAY},
    {"numpy", "matrix", SYM_MATRIX},
    {"numpy.matrixlib.defmatrix", "matrix", SYM_MATRIX},
    {"numpy", "recarray", SYM_RECARRAY},
    {"numpy.rec", "recarray", SYM_RECARRAY},
    {"numpy.core.records", "recarray", SYM_RECARRAY}, /* NumPy < 2's spelling of the class */
    {"numpy._core.records", "recarray", SYM_RECARRAY},
    {"numpy", "record", SYM_NP_RECORD},
    {"numpy.core.records", "record", SYM_NP_RECORD},
    {"numpy._core.records", "record", SYM_NP_RECORD},
    /* masked arrays */
    {"numpy.ma.core", "_mareconstruct", SYM_MA_RECONSTRUCT},
    {"numpy.ma.core", "MaskedArray", SYM_MA_CLASS},
    {"numpy.ma", "MaskedArray", SYM_MA_CLASS},
    {"numpy.ma.core", "MaskedConstant", SYM_MA_CONSTANT},
    /* what CPython writes for plain data in protocols 0-4 */
    {"_codecs", "encode", SYM_CODECS_ENCODE},
    {"__builtin__", "bytes", SYM_BYTES},
    {"builtins", "bytes", SYM_BYTES},
    {"__builtin__", "bytearray", SYM_BYTEARRAY},
    {"builtins", "bytearray", SYM_BYTEARRAY},
    {"__builtin__", "set", SYM_SET},
    {"builtins", "set", SYM_SET},
    {"__builtin__", "frozenset", SYM_FROZENSET},
    {"builtins", "frozenset", SYM_FROZENSET},
    {"__builtin__", "complex", SYM_COMPLEX},
    {"builtins", "complex", SYM_COMPLEX},
    {"collections", "OrderedDict", SYM_ORDERED_DICT},
    /* the type range as a value: NumPy's own test files (py2-objarr.npy) hold it in an object
     * array; Python 2 spells it __builtin__.xrange (fix_imports maps it to builtins.range) */
    {"__builtin__", "xrange", SYM_RANGE_TYPE},
    {"builtins", "range", SYM_RANGE_TYPE},
};

static const char *const symbol_names[SYM_COUNT] = {
    [SYM_NONE] = "none",
    [SYM_NP_RECONSTRUCT] = "numpy _reconstruct",
    [SYM_NP_FROMBUFFER] = "numpy _frombuffer",
    [SYM_NP_SCALAR] = "numpy scalar",
    [SYM_NP_DTYPE] = "numpy.dtype",
    [SYM_NDARRAY] = "numpy.ndarray",
    [SYM_MATRIX] = "numpy.matrix",
    [SYM_RECARRAY] = "numpy.recarray",
    [SYM_NP_RECORD] = "numpy.record",
    [SYM_MA_RECONSTRUCT] = "numpy.ma _mareconstruct",
    [SYM_MA_CLASS] = "numpy.ma.MaskedArray",
    [SYM_MA_CONSTANT] = "numpy.ma.MaskedConstant",
    [SYM_CODECS_ENCODE] = "_codecs.encode",
    [SYM_BYTES] = "bytes",
    [SYM_BYTEARRAY] = "bytearray",
    [SYM_SET] = "set",
    [SYM_FROZENSET] = "frozenset",
    [SYM_COMPLEX] = "complex",
    [SYM_ORDERED_DICT] = "collections.OrderedDict",
    [SYM_RANGE_TYPE] = "range",
};

const npg_allow_row *npg__allowlist(size_t *count)
{
    *count = sizeof allowlist / sizeof allowlist[0];
    return allowlist;
}

static int same(const uint8_t *s, size_t n, const char *lit)
{
    return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

npg_symbol npg__lookup_global(const uint8_t *module, size_t mlen, const uint8_t *name, size_t nlen)
{
    for (size_t i = 0; i < sizeof allowlist / sizeof allowlist[0]; i++)
        if (same(module, mlen, allowlist[i].module) && same(name, nlen, allowlist[i].name))
            return allowlist[i].sym;
    return SYM_NONE;
}

bool npg__symbol_is_class(npg_symbol sym)
{
    switch (sym) {
    case SYM_NP_RECONSTRUCT:
    case SYM_NP_FROMBUFFER:
    case SYM_NP_SCALAR:
    case SYM_MA_RECONSTRUCT:
    case SYM_CODECS_ENCODE:
    case SYM_NONE:
    case SYM_COUNT: return false;
    default: return true; /* numpy.dtype, the array classes, the builtins, OrderedDict */
    }
}

bool npg__symbol_is_data(npg_symbol sym) { return sym == SYM_RANGE_TYPE; }

const char *npg__symbol_type_name(npg_symbol sym) { return sym == SYM_RANGE_TYPE ? "range" : ""; }

const char *npg__symbol_name(npg_symbol sym)
{
    return (sym > SYM_NONE && sym < SYM_COUNT) ? symbol_names[sym] : "none";
}

/* ------------------------------------------------------------------ severity */

/* Modules whose import alone reaches code execution, the file system, processes or the
 * network; any name inside them (or their submodules) is critical. */
static const char *const dangerous_modules[] = {
    "os", "posix", "nt", "posixpath", "ntpath", "subprocess", "_posixsubprocess", "sys", "runpy",
    "pip", "importlib", "imp", "pkgutil", "zipimport", "pickle", "_pickle", "cPickle", "dill",
    "joblib", "marshal", "socket", "_socket", "ssl", "shutil", "ctypes", "_ctypes", "cffi", "code",
    "codeop", "pty", "commands", "popen2", "platform", "webbrowser", "multiprocessing", "asyncio",
    "signal", "threading", "_thread", "thread", "types", "operator", "functools", "inspect", "pdb",
    "bdb", "timeit", "trace", "profile", "cProfile", "tempfile", "glob", "io", "_io", "fileinput",
    "urllib", "urllib2", "httplib", "http", "requests", "ftplib", "smtplib", "telnetlib", "xmlrpc",
    "venv", "ensurepip", "distutils", "setuptools", "torch.hub", "shelve", "dbm", "sqlite3",
};

/* Builtins that evaluate code, reach attributes, or open files. */
static const char *const dangerous_builtins[] = {
    "eval", "exec", "execfile", "compile", "__import__", "getattr", "setattr", "delattr",
    "globals", "locals", "vars", "open", "file", "input", "raw_input", "breakpoint", "apply",
    "reload", "help", "memoryview", "type", "object", "super", "classmethod", "staticmethod",
    "property", "__build_class__", "exit", "quit",
};

static int module_matches(const char *module, size_t mlen, const char *root)
{
    size_t rlen = strlen(root);
    if (mlen < rlen || memcmp(module, root, rlen) != 0) return 0;
    return mlen == rlen || module[rlen] == '.';
}

NPG_API npg_severity npg_global_severity(const char *module, size_t mlen, const char *name,
                                         size_t nlen)
{
    if (npg__lookup_global((const uint8_t *)module, mlen, (const uint8_t *)name, nlen) != SYM_NONE)
        return NPG_SEV_INFO;
    for (size_t i = 0; i < sizeof dangerous_modules / sizeof dangerous_modules[0]; i++)
        if (module_matches(module, mlen, dangerous_modules[i])) return NPG_SEV_CRITICAL;
    if (same((const uint8_t *)module, mlen, "builtins") || same((const uint8_t *)module, mlen, "__builtin__")) {
        for (size_t i = 0; i < sizeof dangerous_builtins / sizeof dangerous_builtins[0]; i++)
            if (same((const uint8_t *)name, nlen, dangerous_builtins[i])) return NPG_SEV_CRITICAL;
    }
    return NPG_SEV_HIGH;
}
