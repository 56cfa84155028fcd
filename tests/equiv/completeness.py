"""Is a byte string a complete pickle opcode stream? Independent of npguard.

The contract's rule 4 lets npguard call bytes "not a pickle" (text, unknown, empty) only when
they are not a complete opcode stream:

* every byte at an opcode position is a known opcode (pickletools.code2op: the 68 opcodes of
  protocols 0-5);
* every argument is fully present: fixed-size arguments have all their bytes, newline-terminated
  arguments end with '\\n' (GLOBAL and INST take two such lines), counted lengths are not negative
  and fit in the data;
* after each STOP the next pickle starts, and the stream is complete when a STOP ends exactly at
  the end of the input.

Only the byte layout is checked, never the values (an INT line "abc" is still a present argument).
Argument kinds come from pickletools' descriptors (`arg.n`). Two details follow CPython's C
unpickler rather than pickletools: BINSTRING's 4-byte length is read unsigned (pickletools
describes it as signed), LONG4's is signed; and FRAME's 8-byte size is a counted length too (the
unpickler reads the whole frame before going on).
"""

import pickletools
import struct

_TWO_LINES = {"GLOBAL", "INST"}
_COUNTED_FIXED = {"FRAME"}      # a fixed 8-byte argument that is a length of following data


def _build_table():
    """Map each opcode byte to (name, kind, n): kind is 'none', 'fixed', 'line', 'lines2' or
    'counted'; n is the fixed size or the size of the length prefix."""
    table = {}
    for code, op in pickletools.code2op.items():
        arg = op.arg
        if arg is None:
            entry = (op.name, "none", 0)
        elif arg.n >= 0:
            entry = (op.name, "fixed", arg.n)
        elif arg.n == pickletools.UP_TO_NEWLINE:
            entry = (op.name, "lines2" if op.name in _TWO_LINES else "line", 0)
        elif arg.n == pickletools.TAKEN_FROM_ARGUMENT1:
            entry = (op.name, "counted", 1)
        elif arg.n in (pickletools.TAKEN_FROM_ARGUMENT4, pickletools.TAKEN_FROM_ARGUMENT4U):
            entry = (op.name, "counted", 4)
        elif arg.n == pickletools.TAKEN_FROM_ARGUMENT8U:
            entry = (op.name, "counted", 8)
        else:
            raise ValueError("unknown argument kind %r of %s" % (arg.n, op.name))
        table[ord(code.encode("latin-1"))] = entry
    return table


OPCODES = _build_table()
def _signed4(name):
    # Of the 4-byte lengths, CPython reads only LONG4's as signed. pickletools calls BINSTRING's
    # signed too (TAKEN_FROM_ARGUMENT4), but the C unpickler reads it unsigned.
    return name == "LONG4"


def _arg_end(data, pos, name, kind, size):
    """Where the argument of opcode `name` starting at pos ends, or None when it is cut short."""
    n = len(data)
    if kind == "fixed":
        if pos + size > n:
            return None
        if name in _COUNTED_FIXED:
            (length,) = struct.unpack_from("<Q", data, pos)
            if pos + size + length > n:
                return None
        return pos + size
    if kind in ("line", "lines2"):
        for _ in range(2 if kind == "lines2" else 1):
            nl = data.find(b"\n", pos)
            if nl < 0:
                return None
            pos = nl + 1
        return pos
    if kind == "counted":
        if pos + size > n:
            return None
        fmt = {1: "<B", 4: "<i" if _signed4(name) else "<I", 8: "<Q"}[size]
        (length,) = struct.unpack_from(fmt, data, pos)
        if length < 0 or pos + size + length > n:
            return None
        return pos + size + length
    return pos  # no argument


def _opcodes(data):
    """(name, end) of each whole opcode of a linear reading of `data`, up to the first byte that
    is no opcode or the first argument that is cut short."""
    pos = 0
    while pos < len(data):
        entry = OPCODES.get(data[pos])
        if entry is None:
            return
        end = _arg_end(data, pos + 1, *entry)
        if end is None:
            return
        yield entry[0], end
        pos = end


def is_complete_stream(data):
    """True when `data` is one or more complete pickle opcode streams, back to back, the last
    STOP ending exactly at the end."""
    last = None
    for last in _opcodes(data):
        pass
    return last is not None and last == ("STOP", len(data))


def opcode_names(data):
    """The names of the whole opcodes a linear reading of `data` meets (for coverage counts)."""
    return [name for name, _ in _opcodes(data)]
