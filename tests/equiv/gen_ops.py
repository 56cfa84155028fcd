"""Opcode encoders: the bytes of one pickle opcode with its argument.

Nothing here validates anything: the generators use these to write both what CPython's pickler
writes and what it never would (any argument text, any length, any index). Text arguments are
bytes and are written as given.
"""

import struct

# Opcodes without an argument.
MARK, STOP, POP, POP_MARK, DUP = b"(", b".", b"0", b"1", b"2"
NONE, NEWTRUE, NEWFALSE = b"N", b"\x88", b"\x89"
EMPTY_TUPLE, EMPTY_LIST, EMPTY_DICT, EMPTY_SET = b")", b"]", b"}", b"\x8f"
TUPLE, TUPLE1, TUPLE2, TUPLE3 = b"t", b"\x85", b"\x86", b"\x87"
LIST, DICT, FROZENSET = b"l", b"d", b"\x91"
APPEND, APPENDS, SETITEM, SETITEMS, ADDITEMS = b"a", b"e", b"s", b"u", b"\x90"
REDUCE, BUILD, OBJ, NEWOBJ, NEWOBJ_EX = b"R", b"b", b"o", b"\x81", b"\x92"
STACK_GLOBAL, MEMOIZE, BINPERSID = b"\x93", b"\x94", b"Q"
NEXT_BUFFER, READONLY_BUFFER = b"\x97", b"\x98"


def proto(p):
    return b"\x80" + bytes([p & 0xFF])


def frame(n):
    return b"\x95" + struct.pack("<Q", n)


# --- numbers

def int_text(text):
    """INT with any argument text (b'5', b'1_000', b'00'...)."""
    return b"I" + text + b"\n"


def long_text(text):
    return b"L" + text + b"\n"


def float_text(text):
    return b"F" + text + b"\n"


def binint1(v):
    return b"K" + bytes([v & 0xFF])


def binint2(v):
    return b"M" + struct.pack("<H", v & 0xFFFF)


def binint(v):
    return b"J" + struct.pack("<i", v)


def long1(v, extra=0):
    """LONG1 of v; `extra` adds non-minimal sign-extension bytes."""
    raw = _twos(v, extra)
    return b"\x8a" + bytes([len(raw)]) + raw


def long4(v, extra=0):
    raw = _twos(v, extra)
    return b"\x8b" + struct.pack("<i", len(raw)) + raw


def _twos(v, extra):
    if v == 0 and not extra:
        return b""
    n = (v.bit_length() + 8) // 8 + extra
    return v.to_bytes(n, "little", signed=True)


def int_bin(v):
    """The binary opcode a pickler would pick for int v."""
    if 0 <= v < 256:
        return binint1(v)
    if 0 <= v < 65536:
        return binint2(v)
    if -2**31 <= v < 2**31:
        return binint(v)
    return long1(v)


def binfloat(v):
    return b"G" + struct.pack(">d", v)


def binfloat_bits(bits):
    return b"G" + struct.pack(">Q", bits)


# --- strings and bytes

def string_text(quoted):
    """STRING with the argument as given, quotes included (b"'abc'")."""
    return b"S" + quoted + b"\n"


def binstring(raw, length=None):
    return b"T" + struct.pack("<I", len(raw) if length is None else length) + raw


def short_binstring(raw):
    return b"U" + bytes([len(raw)]) + raw


def unicode_text(raw):
    """UNICODE with a raw-unicode-escape argument as given."""
    return b"V" + raw + b"\n"


def unicode_escape(s):
    """The UNICODE argument CPython's pickler writes for str s."""
    return (s.replace("\\", "\\u005c").replace("\0", "\\u0000").replace("\n", "\\u000a")
            .replace("\r", "\\u000d").replace("\x1a", "\\u001a")
            .encode("raw-unicode-escape"))


def utf8(s):
    return s.encode("utf-8", "surrogatepass")


def binunicode(s):
    raw = utf8(s)
    return b"X" + struct.pack("<I", len(raw)) + raw


def short_binunicode(s):
    raw = utf8(s)
    return b"\x8c" + bytes([len(raw) & 0xFF]) + raw


def binunicode8(s):
    raw = utf8(s)
    return b"\x8d" + struct.pack("<Q", len(raw)) + raw


def binbytes(raw):
    return b"B" + struct.pack("<I", len(raw)) + raw


def short_binbytes(raw):
    return b"C" + bytes([len(raw) & 0xFF]) + raw


def binbytes8(raw):
    return b"\x8e" + struct.pack("<Q", len(raw)) + raw


def bytearray8(raw):
    return b"\x96" + struct.pack("<Q", len(raw)) + raw


# --- globals and calls

def global_(module, name):
    """GLOBAL with two text lines (bytes, written as given)."""
    return b"c" + module + b"\n" + name + b"\n"


def inst(module, name):
    return b"i" + module + b"\n" + name + b"\n"


def persid(text):
    return b"P" + text + b"\n"


def ext(code):
    if code < 256:
        return b"\x82" + bytes([code])
    if code < 65536:
        return b"\x83" + struct.pack("<H", code)
    return b"\x84" + struct.pack("<i", code)


# --- memo

def put_text(text):
    return b"p" + text + b"\n"


def get_text(text):
    return b"g" + text + b"\n"


def put(i):
    """The memo store a pickler picks for index i (BINPUT or LONG_BINPUT)."""
    return b"q" + bytes([i]) if i < 256 else b"r" + struct.pack("<I", i & 0xFFFFFFFF)


def get(i):
    return b"h" + bytes([i]) if i < 256 else b"j" + struct.pack("<I", i & 0xFFFFFFFF)


def long_binput(i):
    return b"r" + struct.pack("<I", i & 0xFFFFFFFF)


def long_binget(i):
    return b"j" + struct.pack("<I", i & 0xFFFFFFFF)
