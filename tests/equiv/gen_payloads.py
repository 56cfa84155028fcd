"""Payloads: opcode sequences that make CPython call find_class on a pair outside the allowlist.

TARGETS lists the (module, name) pairs: globals that run code or reach the system, near misses of
the allowlist (a name one character off, an attribute path, an allowlisted name under another
module), and names with odd characters (non-ASCII letters that are identifiers, such as a Cyrillic
'о' in 'оs', a newline or a lone surrogate that only STACK_GLOBAL can carry, empty names, module
names CPython cannot import at all). `snippet()` writes a self-contained sequence that pushes one
value through one of the importing opcodes (GLOBAL, STACK_GLOBAL, INST), optionally wrapped in a
call opcode (REDUCE, OBJ, NEWOBJ, NEWOBJ_EX) or BUILD. Nothing here is ever run: the oracle stops
at find_class, and the command strings are inert.
"""

import gen_ops as op

DANGEROUS = [
    ("os", "system"), ("posix", "system"), ("nt", "system"), ("subprocess", "Popen"),
    ("subprocess", "check_output"), ("builtins", "eval"), ("builtins", "exec"),
    ("builtins", "getattr"), ("builtins", "__import__"), ("__builtin__", "eval"),
    ("__builtin__", "getattr"), ("runpy", "_run_code"), ("importlib", "import_module"),
    ("pickle", "loads"), ("_pickle", "loads"), ("socket", "socket"), ("shutil", "rmtree"),
    ("webbrowser", "open"), ("pty", "spawn"), ("code", "interact"), ("os.path", "join"),
    ("operator", "attrgetter"), ("functools", "partial"), ("copyreg", "_reconstructor"),
    ("copy_reg", "_reconstructor"), ("torch._utils", "_rebuild_tensor_v2"), ("numpy", "load"),
    ("numpy.lib.npyio", "load"), ("numpy.testing._private.utils", "runstring"),
    ("builtins", "bytes.fromhex"), ("sys", "exit"), ("os", "system.__call__"),
    ("__main__", "Evil"), ("x.y.z", "w"), ("_", "_"),
]

NEAR_MISSES = [
    ("numpy", "dtypes"), ("numpy", "Dtype"), ("numpy", "dtype.__class__"),
    ("numpy", "ndarray.__new__"), ("numpy.core.multiarray", "_reconstruct.__self__"),
    ("numpy.core.multiarray", "frombuffer"), ("numpy.core.multiarray", "_reconstructx"),
    ("numpy.core.multiarray ", "_reconstruct"), ("numpy.core.multiarray", "_reconstruct "),
    ("numpy.core.multiarray", "_reconstruct\n"), ("numpy.core.multiarray", "_reconstruct\x00"),
    ("numpy..core", "dtype"), ("numpy.", "dtype"), ("numpy.core", "multiarray._reconstruct"),
    ("numpy.ma.core", "MaskedArray.__setstate__"), ("builtins", "bytearray.fromhex"),
    ("builtins", "set "), ("__builtin__", "bytes "), ("_codecs", "decode"), ("codecs", "encode"),
    ("collections", "OrderedDict.fromkeys"), ("collections", "defaultdict"),
    ("numpy", "record.__init__"), ("builtins", "complex.__class__"), ("Builtins", "set"),
    ("numpy.core.records", "fromstring"), ("numpy._core.records", "recarray.__getattribute__"),
    ("numpy", "rec"), ("numpy.rec", "array"), ("numpy.ma", "masked_array"),
    ("numpy.core.numeric", "frombuffer"), ("numpy", "dtype\t"),
]

ODD_NAMES = [
    ("\u043es", "system"),            # Cyrillic o: an identifier
    ("os", "s\u0443stem"),            # Cyrillic u in the name
    ("os", ""), ("", "system"), ("os", "system\n"), ("os\n", "system"), ("os", "\ud800"),
    ("\ud800", "x"), ("os ", "system"), (" os", "system"), ("os.", "system"),
    ("a" * 255, "x"), ("a" * 256, "x"), ("\u00e9" * 127, "x"), ("\u00e9" * 128, "x"),
    ("ount,value", "1,2"), ("\u2168", "x"), ("\U0001d428\U0001d42c", "system"),
    ("numpy", "\x00"), ("os", "system\r"), ("os\t", "system"), ("1os", "system"),
]

TARGETS = DANGEROUS + NEAR_MISSES + ODD_NAMES

COMMANDS = ["echo PWNED", "true", "id", ""]


def text_ok(s, ascii_only=False):
    """Whether s can be a GLOBAL/INST text line (no newline; UTF-8, or ASCII for INST)."""
    if "\n" in s:
        return False
    try:
        s.encode("ascii" if ascii_only else "utf-8")
    except UnicodeEncodeError:
        return False
    return True


def str_operand(rng, s):
    """Opcodes pushing str s, through any of the string opcodes that give a str in Python 3."""
    choices = ["short_binunicode", "binunicode", "binunicode8", "unicode"]
    if s.isascii() and "\n" not in s:
        choices += ["string", "binstring", "short_binstring"]
    kind = rng.choice(choices)
    if kind == "short_binunicode" and len(op.utf8(s)) < 256:
        return op.short_binunicode(s)
    if kind == "binunicode8":
        return op.binunicode8(s)
    if kind == "unicode":
        return op.unicode_text(op.unicode_escape(s))
    if kind == "string":
        return op.string_text(repr(s).encode("ascii"))
    if kind == "binstring":
        return op.binstring(s.encode("ascii"))
    if kind == "short_binstring" and len(s) < 256:
        return op.short_binstring(s.encode("ascii"))
    return op.binunicode(s)


def importer(rng, module, name, how=None):
    """(opcodes, how) pushing the object find_class(module, name) returns.
    how: 'GLOBAL', 'STACK_GLOBAL' or 'INST' (INST also calls it with no arguments)."""
    if how is None:
        how = rng.choice(["GLOBAL", "STACK_GLOBAL", "STACK_GLOBAL", "INST"])
    if how == "GLOBAL" and not (text_ok(module) and text_ok(name)):
        how = "STACK_GLOBAL"
    if how == "INST" and not (text_ok(module, True) and text_ok(name, True)):
        how = "STACK_GLOBAL"
    if how == "GLOBAL":
        return op.global_(op.utf8(module), op.utf8(name)), how
    if how == "INST":
        return op.MARK + op.inst(module.encode("ascii"), name.encode("ascii")), how
    return str_operand(rng, module) + str_operand(rng, name) + op.STACK_GLOBAL, how


def args_tuple(rng):
    cmd = rng.choice(COMMANDS)
    return rng.choice([op.short_binunicode(cmd) + op.TUPLE1,
                       op.MARK + op.string_text(repr(cmd).encode()) + op.TUPLE,
                       op.EMPTY_TUPLE])


def wrap_call(rng, obj, how=None):
    """Wrap opcodes `obj` (which push a callable) in a call or BUILD; returns (opcodes, how)."""
    if how is None:
        how = rng.choice(["none", "REDUCE", "REDUCE", "OBJ", "NEWOBJ", "NEWOBJ_EX", "BUILD"])
    if how == "REDUCE":
        return obj + args_tuple(rng) + op.REDUCE, how
    if how == "OBJ":
        return op.MARK + obj + op.short_binunicode(rng.choice(COMMANDS)) + op.OBJ, how
    if how == "NEWOBJ":
        return obj + args_tuple(rng) + op.NEWOBJ, how
    if how == "NEWOBJ_EX":
        return obj + args_tuple(rng) + op.EMPTY_DICT + op.NEWOBJ_EX, how
    if how == "BUILD":
        return obj + rng.choice([op.NONE, op.EMPTY_DICT, op.EMPTY_DICT + op.short_binunicode("a")
                                 + op.NONE + op.SETITEM]) + op.BUILD, "BUILD"
    return obj, "none"


def snippet(rng, target=None):
    """(opcodes pushing one value that imports `target`, description)."""
    module, name = target or rng.choice(TARGETS)
    obj, how = importer(rng, module, name)
    if how != "INST":
        obj, call = wrap_call(rng, obj)
        how += "+" + call
    return obj, how
