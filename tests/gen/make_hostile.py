#!/usr/bin/python3
"""Generate tests/data/hostile/: hostile pickles for test_malicious.c and valid pickles for
test_truncation.c / test_oom.c, plus EXPECT, the outcome each file must have.

Run with Debian's interpreter (it has NumPy 1.24):  /usr/bin/python3 tests/gen/make_hostile.py

Safety: nothing here ever unpickles anything. Hostile files are made by pickling harmless stand-in
functions that live in throw-away stub modules (pickling a callable never calls it), then renaming
the stub module in the opcode stream (GLOBAL arguments and the str operands of STACK_GLOBAL), or
by assembling opcodes by hand. pickletools.genops only decodes opcodes; it is used to re-frame
the output and to compute the byte offsets the tests expect.

EXPECT format (one block per file, read by test_malicious.c):

    file NAME
    decode STATUS OFFSET OPCODE        what npg_pickle_load returns in decode mode
    scan STATUS OFFSET OPCODE          the scan-mode status (npg_doc_status) and its error site
    finding RULE SEVERITY OFFSET OPCODE GLOBAL   every scan finding, in order ("-" = NULL global)
    end

STATUS is npg_status_name(), RULE npg_rule_id(), SEVERITY npg_severity_name(), OPCODE
npg_opcode_name() or "-" when the error is not at an opcode (trailing bytes). OFFSET is "-" for
NPG_OK. Expectations come from the rules in include/npguard.h and the spec
(notes/numpy-pickles.md sections 6, 7, 11), never from running npguard.
"""

import os
import pickle
import pickletools
import struct
import sys
import types

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "data", "hostile")

# The allowlist of notes/numpy-pickles.md section 11.2: scan mode notes each as NPG001 (info).
ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core._multiarray_umath", "_reconstruct"), ("numpy.core._internal", "_reconstruct"),
    ("numpy.core.numeric", "_frombuffer"), ("numpy._core.numeric", "_frombuffer"),
    ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
    ("numpy.core._multiarray_umath", "scalar"), ("numpy", "dtype"), ("numpy", "ndarray"),
    ("numpy", "matrix"), ("numpy.matrixlib.defmatrix", "matrix"), ("numpy", "recarray"),
    ("numpy.rec", "recarray"), ("numpy", "record"), ("numpy.ma.core", "_mareconstruct"),
    ("numpy.ma.core", "MaskedArray"), ("numpy.ma", "MaskedArray"),
    ("numpy.ma.core", "MaskedConstant"), ("_codecs", "encode"),
    ("__builtin__", "bytes"), ("builtins", "bytes"), ("__builtin__", "bytearray"),
    ("builtins", "bytearray"), ("__builtin__", "set"), ("builtins", "set"),
    ("__builtin__", "frozenset"), ("builtins", "frozenset"), ("__builtin__", "complex"),
    ("builtins", "complex"), ("collections", "OrderedDict"),
}

# ------------------------------------------------------------------ harmless stand-ins

_stub_modules = {}  # stub module name -> real module name


def stub(module, name):
    """A harmless function that pickles as GLOBAL '<stub module> name'; renamed to module later."""
    sname = "npgstub_" + module.replace(".", "_")
    mod = sys.modules.get(sname)
    if mod is None:
        mod = types.ModuleType(sname)
        sys.modules[sname] = mod
        _stub_modules[sname] = module
    if not hasattr(mod, name):
        def fn(*args, **kw):
            raise RuntimeError("stand-in, never called")
        fn.__module__ = sname
        fn.__name__ = fn.__qualname__ = name
        setattr(mod, name, fn)
    return getattr(mod, name)


class R:
    """pickle writes func, args, REDUCE for it. Callable so that it can be the func of another R."""

    def __init__(self, func, args):
        self.func, self.args = func, args

    def __reduce__(self):
        return (self.func, self.args)

    def __call__(self, *args):
        raise RuntimeError("stand-in, never called")


# ------------------------------------------------------------------ opcode-level tools

def ops_of(data):
    """[(name, arg, pos, raw)] of a linear opcode stream (genops decodes, it never executes)."""
    out = []
    ops = list(pickletools.genops(data))
    for i, (op, arg, pos) in enumerate(ops):
        end = ops[i + 1][2] if i + 1 < len(ops) else len(data)
        if op.name == "STOP":
            end = pos + 1
        out.append((op.name, arg, pos, data[pos:end]))
    return out


def sbu(s):
    b = s.encode("utf-8")
    return b"\x8c" + bytes([len(b)]) + b if len(b) < 256 else b"X" + struct.pack("<I", len(b)) + b


def frame(raws):
    """PROTO + one FRAME holding the rest, as CPython frames a small pickle (none under 4 bytes)."""
    head, body = raws[0], b"".join(raws[1:])
    assert head[0] == 0x80
    if head[1] < 4 or len(body) < 4:
        return head + body
    return head + b"\x95" + struct.pack("<Q", len(body)) + body


def rename_stubs(data):
    """Replace every stub module name by the real one; re-frame protocol 4+ output."""
    raws = []
    for name, arg, pos, raw in ops_of(data):
        if name == "FRAME":
            continue
        if name in ("GLOBAL", "INST"):
            mod, attr = arg.split(" ", 1)
            if mod in _stub_modules:
                raw = raw[:1] + _stub_modules[mod].encode() + b"\n" + attr.encode() + b"\n"
        elif name in ("SHORT_BINUNICODE", "BINUNICODE") and arg in _stub_modules:
            raw = sbu(_stub_modules[arg])
        elif name == "UNICODE" and arg in _stub_modules:
            raw = b"V" + _stub_modules[arg].encode() + b"\n"
        raws.append(raw)
    if raws[0][0] == 0x80 and raws[0][1] >= 4:
        return frame(raws)
    return b"".join(raws)


def dumps(obj, proto):
    return rename_stubs(pickle.dumps(obj, protocol=proto))


def positions(data, opname):
    return [pos for name, arg, pos, raw in ops_of(data) if name == opname]


def globals_in(data):
    """[(pos, opname, 'module.name')] for GLOBAL and STACK_GLOBAL, following the str operands of
    STACK_GLOBAL through the memo (enough for pickler output and the hand-made files here)."""
    memo, pushed, out = {}, [], []
    for name, arg, pos, raw in ops_of(data):
        if name == "GLOBAL":
            mod, attr = arg.split(" ", 1)
            out.append((pos, name, mod + "." + attr))
            pushed.append(None)
        elif name == "STACK_GLOBAL":
            mod, attr = pushed[-2], pushed[-1]
            assert isinstance(mod, str) and isinstance(attr, str), (mod, attr)
            out.append((pos, name, mod + "." + attr))
            pushed[-2:] = [None]
        elif name in ("SHORT_BINUNICODE", "BINUNICODE", "UNICODE", "BINUNICODE8"):
            pushed.append(arg)
        elif name == "MEMOIZE":
            memo[len(memo)] = pushed[-1]
        elif name in ("PUT", "BINPUT", "LONG_BINPUT"):
            memo[arg] = pushed[-1]
        elif name in ("GET", "BINGET", "LONG_BINGET"):
            pushed.append(memo.get(arg))
        elif name in ("PROTO", "FRAME", "STOP"):
            pass
        else:
            pushed.append(None)
    return out


def allowed_notes(data, before=None):
    """NPG001 findings for the allowlisted globals (at offsets < before, when given)."""
    res = []
    for pos, opname, g in globals_in(data):
        mod, attr = g.rsplit(".", 1)
        if (mod, attr) in ALLOWED and (before is None or pos < before):
            res.append(("NPG001", "info", pos, opname, g))
    return res


# ------------------------------------------------------------------ the corpus

FILES = []  # (name, data, decode, scan, findings)


def add(name, data, decode, scan=("NPG_OK",), findings=()):
    FILES.append((name, data, decode, scan, list(findings)))


def nth(data, opname, i=0):
    return positions(data, opname)[i]


def gop(proto):
    return "GLOBAL" if proto < 4 else "STACK_GLOBAL"


def dangerous_calls():
    """os.system & co via GLOBAL/STACK_GLOBAL + REDUCE, in every protocol."""
    cases = [
        ("os_system", "os", "system", ("id",), range(6)),
        ("posix_system", "posix", "system", ("id",), (0, 2, 4)),
        ("nt_system", "nt", "system", ("id",), (1, 5)),
        ("subprocess_popen", "subprocess", "Popen", (["id"],), (0, 2, 4)),
        ("subprocess_check_output", "subprocess", "check_output", (["id"],), (3,)),
        ("builtins_eval", "builtins", "eval", ("__import__('os').system('id')",), (0, 2, 4)),
        ("builtins_exec", "builtins", "exec", ("import os; os.system('id')",), (1, 3, 5)),
        ("py2_builtin_eval", "__builtin__", "eval", ("1",), (0, 2)),
        ("runpy_run_path", "runpy", "run_path", ("/tmp/x",), (2,)),
        ("importlib_import_module", "importlib", "import_module", ("os",), (4,)),
        ("socket_socket", "socket", "socket", (), (2,)),
        ("os_path_join_submodule", "os.path", "join", ("a", "b"), (2, 4)),
    ]
    for tag, mod, attr, args, protos in cases:
        for p in protos:
            data = dumps(R(stub(mod, attr), args), p)
            g, r = nth(data, gop(p)), nth(data, "REDUCE")
            name = "%s.%s" % (mod, attr)
            add("%s_p%d.pkl" % (tag, p), data, ("NPG_E_GLOBAL", g, gop(p)),
                findings=[("NPG002", "critical", g, gop(p), name),
                          ("NPG004", "critical", r, "REDUCE", name)])

    # Unknown (not known-dangerous) callables: high, not critical.
    for p in (0, 2, 4):
        data = dumps(R(stub("mymodule.sub", "Thing"), (1, 2)), p)
        g, r = nth(data, gop(p)), nth(data, "REDUCE")
        add("unknown_call_p%d.pkl" % p, data, ("NPG_E_GLOBAL", g, gop(p)),
            findings=[("NPG003", "high", g, gop(p), "mymodule.sub.Thing"),
                      ("NPG004", "high", r, "REDUCE", "mymodule.sub.Thing")])

    # getattr(__import__('os'), 'system')('id'): every link is reported, the last call keeps the
    # name of the refused global that produced the callable.
    for p in (0, 2, 4, 5):
        imp = R(stub("builtins", "__import__"), ("os",))
        ga = R(stub("builtins", "getattr"), (imp, "system"))
        data = dumps(R(ga, ("id",)), p)
        gs, rs = positions(data, gop(p)), positions(data, "REDUCE")
        assert len(gs) == 2 and len(rs) == 3
        add("getattr_import_chain_p%d.pkl" % p, data, ("NPG_E_GLOBAL", gs[0], gop(p)),
            findings=[("NPG002", "critical", gs[0], gop(p), "builtins.getattr"),
                      ("NPG002", "critical", gs[1], gop(p), "builtins.__import__"),
                      ("NPG004", "critical", rs[0], "REDUCE", "builtins.__import__"),
                      ("NPG004", "critical", rs[1], "REDUCE", "builtins.getattr"),
                      ("NPG004", "critical", rs[2], "REDUCE", "builtins.getattr")])

    # A dangerous call hidden as an argument of an allowed reconstructor: set([os.system('id')]).
    for p in (2, 4):
        data = dumps(R(stub("builtins", "set"), ([R(stub("os", "system"), ("id",))],)), p)
        gs, rs = positions(data, gop(p)), positions(data, "REDUCE")
        add("payload_in_set_args_p%d.pkl" % p, data, ("NPG_E_GLOBAL", gs[1], gop(p)),
            findings=[("NPG001", "info", gs[0], gop(p), "builtins.set"),
                      ("NPG002", "critical", gs[1], gop(p), "os.system"),
                      ("NPG004", "critical", rs[0], "REDUCE", "os.system")])


def stack_global_tricks():
    P4 = b"\x80\x04"
    # Operands memoised, POPped, then fetched back with BINGET.
    body = [sbu("os"), b"\x94", sbu("system"), b"\x94", b"0", b"0", b"h\x00", b"h\x01", b"\x93",
            sbu("id"), b"\x85", b"R", b"."]
    data = frame([P4] + body)
    sg, r = nth(data, "STACK_GLOBAL"), nth(data, "REDUCE")
    add("stack_global_binget_p4.pkl", data, ("NPG_E_GLOBAL", sg, "STACK_GLOBAL"),
        findings=[("NPG002", "critical", sg, "STACK_GLOBAL", "os.system"),
                  ("NPG004", "critical", r, "REDUCE", "os.system")])

    # The memo slots first hold an allowed pair (numpy.dtype); they are overwritten (re-PUT) with
    # 'os'/'system' before use. A scanner that remembers the first PUT would see numpy.dtype.
    body = [sbu("numpy"), b"r\x07\x00\x00\x00", sbu("dtype"), b"r\x09\x00\x00\x00", b"0", b"0",
            sbu("os"), b"r\x07\x00\x00\x00", b"0", sbu("system"), b"r\x09\x00\x00\x00", b"0",
            b"j\x07\x00\x00\x00", b"j\x09\x00\x00\x00", b"\x93", sbu("id"), b"\x85", b"R", b"."]
    data = frame([P4] + body)
    sg, r = nth(data, "STACK_GLOBAL"), nth(data, "REDUCE")
    add("stack_global_memo_overwrite_p4.pkl", data, ("NPG_E_GLOBAL", sg, "STACK_GLOBAL"),
        findings=[("NPG002", "critical", sg, "STACK_GLOBAL", "os.system"),
                  ("NPG004", "critical", r, "REDUCE", "os.system")])

    # The name operand is the result of a refused call: str('system'). Decode refuses the first
    # global; scan records the computed STACK_GLOBAL as a finding judged by its known module
    # (global "os.?", critical like anything in os) and carries on.
    body = [sbu("os"), sbu("builtins"), sbu("str"), b"\x93", sbu("system"), b"\x85", b"R",
            b"\x93", sbu("id"), b"\x85", b"R", b"."]
    data = frame([P4] + body)
    sgs, rs = positions(data, "STACK_GLOBAL"), positions(data, "REDUCE")
    add("stack_global_computed_name_p4.pkl", data, ("NPG_E_GLOBAL", sgs[0], "STACK_GLOBAL"),
        findings=[("NPG003", "high", sgs[0], "STACK_GLOBAL", "builtins.str"),
                  ("NPG004", "high", rs[0], "REDUCE", "builtins.str"),
                  ("NPG002", "critical", sgs[1], "STACK_GLOBAL", "os.?"),
                  ("NPG004", "critical", rs[1], "REDUCE", "os.?")])

    # Both operands computed by refused calls.
    body = [sbu("m"), sbu("f"), b"\x93", b")", b"R", sbu("m"), sbu("g"), b"\x93", b")", b"R",
            b"\x93", b")", b"R", b"."]
    data = frame([P4] + body)
    sgs, rs = positions(data, "STACK_GLOBAL"), positions(data, "REDUCE")
    add("stack_global_both_computed_p4.pkl", data, ("NPG_E_GLOBAL", sgs[0], "STACK_GLOBAL"),
        findings=[("NPG003", "high", sgs[0], "STACK_GLOBAL", "m.f"),
                  ("NPG004", "high", rs[0], "REDUCE", "m.f"),
                  ("NPG003", "high", sgs[1], "STACK_GLOBAL", "m.g"),
                  ("NPG004", "high", rs[1], "REDUCE", "m.g"),
                  ("NPG003", "high", sgs[2], "STACK_GLOBAL", "?.?"),
                  ("NPG004", "high", rs[2], "REDUCE", "?.?")])

    # Operands that are not str (bytes, int): a type error in both modes, not a finding.
    for tag, ops in (("bytes", [b"C\x02os", b"C\x06system"]), ("int", [sbu("os"), b"K\x01"])):
        data = frame([P4] + ops + [b"\x93", b"."])
        sg = nth(data, "STACK_GLOBAL")
        add("stack_global_%s_operand_p4.pkl" % tag, data, ("NPG_E_TYPE", sg, "STACK_GLOBAL"),
            scan=("NPG_E_TYPE", sg, "STACK_GLOBAL"))


def refused_opcodes():
    # Scan mode follows CPython 3.11's unpickler: INST finds its MARK, reads two ASCII lines,
    # calls find_class (NPG002/NPG003), then calls the class (NPG005, the global's severity).
    data = b"(Vid\nios\nsystem\n."
    i = nth(data, "INST")
    add("inst_os_system_p0.pkl", data, ("NPG_E_FORBIDDEN_OPCODE", i, "INST"),
        findings=[("NPG002", "critical", i, "INST", "os.system"),
                  ("NPG005", "critical", i, "INST", "os.system")])
    # an allowlisted name is still refused through INST: calling it directly is something NumPy
    # never writes (medium: pickle.load would call builtins.set(1) and fail, importing nothing else)
    data = b"(I1\nibuiltins\nset\n."
    i = nth(data, "INST")
    add("inst_allowed_name_p0.pkl", data, ("NPG_E_FORBIDDEN_OPCODE", i, "INST"),
        findings=[("NPG001", "info", i, "INST", "builtins.set"),
                  ("NPG005", "medium", i, "INST", "builtins.set")])
    data = b"(ccollections\nUserList\nI1\ni__main__\nEvil\n."
    i = nth(data, "INST")
    add("inst_after_refused_global_p0.pkl", data, ("NPG_E_GLOBAL", 1, "GLOBAL"),
        findings=[("NPG003", "high", 1, "GLOBAL", "collections.UserList"),
                  ("NPG003", "high", i, "INST", "__main__.Evil"),
                  ("NPG005", "high", i, "INST", "__main__.Evil")])
    # without a MARK, CPython's INST stops before it reads the names: nothing is imported
    add("inst_without_mark_p0.pkl", b"ios\nsystem\n.", ("NPG_E_FORBIDDEN_OPCODE", 0, "INST"),
        scan=("NPG_E_MARK", 0, "INST"))

    # OBJ: class = first item above the MARK.
    data = b"(cos\nsystem\nVid\no."
    add("obj_os_system_p1.pkl", data, ("NPG_E_GLOBAL", 1, "GLOBAL"),
        findings=[("NPG002", "critical", 1, "GLOBAL", "os.system"),
                  ("NPG005", "critical", nth(data, "OBJ"), "OBJ", "os.system")])
    data = b"\x80\x02(cnumpy\nndarray\no."
    o = nth(data, "OBJ")
    add("obj_allowed_class_p2.pkl", data, ("NPG_E_FORBIDDEN_OPCODE", o, "OBJ"),
        findings=[("NPG001", "info", 3, "GLOBAL", "numpy.ndarray"),
                  ("NPG005", "medium", o, "OBJ", "numpy.ndarray")])

    # NEWOBJ / NEWOBJ_EX: cls.__new__(cls, *args[, **kwargs]).
    data = b"\x80\x02cnumpy\nndarray\n)\x81."
    o = nth(data, "NEWOBJ")
    add("newobj_allowed_class_p2.pkl", data, ("NPG_E_FORBIDDEN_OPCODE", o, "NEWOBJ"),
        findings=[("NPG001", "info", 2, "GLOBAL", "numpy.ndarray"),
                  ("NPG005", "medium", o, "NEWOBJ", "numpy.ndarray")])
    data = b"\x80\x02csubprocess\nPopen\n)\x81."
    add("newobj_popen_p2.pkl", data, ("NPG_E_GLOBAL", 2, "GLOBAL"),
        findings=[("NPG002", "critical", 2, "GLOBAL", "subprocess.Popen"),
                  ("NPG005", "critical", nth(data, "NEWOBJ"), "NEWOBJ", "subprocess.Popen")])
    data = frame([b"\x80\x04", sbu("numpy"), sbu("ndarray"), b"\x93", b")", b"}", b"\x92", b"."])
    sg, op = nth(data, "STACK_GLOBAL"), nth(data, "NEWOBJ_EX")
    add("newobj_ex_allowed_class_p4.pkl", data, ("NPG_E_FORBIDDEN_OPCODE", op, "NEWOBJ_EX"),
        findings=[("NPG001", "info", sg, "STACK_GLOBAL", "numpy.ndarray"),
                  ("NPG005", "medium", op, "NEWOBJ_EX", "numpy.ndarray")])
    data = frame([b"\x80\x04", sbu("__main__"), sbu("Evil"), b"\x93", b")", b"}", b"\x92", b"."])
    sg, op = nth(data, "STACK_GLOBAL"), nth(data, "NEWOBJ_EX")
    add("newobj_ex_unknown_p4.pkl", data, ("NPG_E_GLOBAL", sg, "STACK_GLOBAL"),
        findings=[("NPG003", "high", sg, "STACK_GLOBAL", "__main__.Evil"),
                  ("NPG005", "high", op, "NEWOBJ_EX", "__main__.Evil")])

    # Extension registry and persistent ids: pickle.load (no registry entries, no
    # persistent_load) stops there; the scan reads on as a loader with the hook would. Medium:
    # the file is invalid, and imports after them are reported as usual.
    add("ext1_p2.pkl", b"\x80\x02\x82\x01.", ("NPG_E_FORBIDDEN_OPCODE", 2, "EXT1"),
        findings=[("NPG006", "medium", 2, "EXT1", "-")])
    add("ext2_p2.pkl", b"\x80\x02\x83\x01\x02.", ("NPG_E_FORBIDDEN_OPCODE", 2, "EXT2"),
        findings=[("NPG006", "medium", 2, "EXT2", "-")])
    add("ext4_p2.pkl", b"\x80\x02\x84\x01\x02\x03\x04.", ("NPG_E_FORBIDDEN_OPCODE", 2, "EXT4"),
        findings=[("NPG006", "medium", 2, "EXT4", "-")])
    data = b"\x80\x02\x82\x01X\x02\x00\x00\x00id\x85R."
    add("ext1_reduce_p2.pkl", data, ("NPG_E_FORBIDDEN_OPCODE", 2, "EXT1"),
        findings=[("NPG006", "medium", 2, "EXT1", "-")])  # EXT1 names no global to call
    add("ext0_p2.pkl", b"\x80\x02\x82\x00.", ("NPG_E_FORBIDDEN_OPCODE", 2, "EXT1"),
        scan=("NPG_E_SYNTAX", 2, "EXT1"))  # "EXT specifies code <= 0": CPython raises
    add("persid_p0.pkl", b"Pstorage/0\n.", ("NPG_E_FORBIDDEN_OPCODE", 0, "PERSID"),
        findings=[("NPG007", "medium", 0, "PERSID", "-")])
    data = b"\x80\x02(X\x07\x00\x00\x00storageK\x00tQ."
    q = nth(data, "BINPERSID")
    add("binpersid_p2.pkl", data, ("NPG_E_FORBIDDEN_OPCODE", q, "BINPERSID"),
        findings=[("NPG007", "medium", q, "BINPERSID", "-")])
    # the fail-open hole this file guards: an import after a persistent id is still reported
    data = b"Pstorage/0\n0cos\nsystem\n(Vid\ntR."
    add("persid_then_payload_p0.pkl", data, ("NPG_E_FORBIDDEN_OPCODE", 0, "PERSID"),
        findings=[("NPG007", "medium", 0, "PERSID", "-"),
                  ("NPG002", "critical", 12, "GLOBAL", "os.system"),
                  ("NPG004", "critical", nth(data, "REDUCE"), "REDUCE", "os.system")])


def build_and_mutation():
    # BUILD on targets that are not a pending array/dtype. CPython: a dict or list has neither
    # __setstate__ nor __dict__, so any state but None raises (the scan stops too).
    for tag, data in (("dict", b"\x80\x02}q\x00}q\x01X\x01\x00\x00\x00aK\x01sb."),
                      ("list", b"\x80\x02]N\x85b.")):
        b = nth(data, "BUILD")
        add("build_on_%s_p2.pkl" % tag, data, ("NPG_E_BUILD", b, "BUILD"), scan=("NPG_E_BUILD", b, "BUILD"))
    # ... with state None nothing happens: a strict refusal (NPG100) the scan goes on from
    data = b"\x80\x02]Nb."
    b = nth(data, "BUILD")
    add("build_none_on_list_p2.pkl", data, ("NPG_E_BUILD", b, "BUILD"),
        findings=[("NPG100", "high", b, "BUILD", "-")])
    # A class or an array may take a state (__setstate__, a function's __dict__): the scan goes
    # on (strict refusals, NPG100), and a class left as the result is one more.
    data = b"\x80\x02cnumpy\nndarray\n}b."
    b = nth(data, "BUILD")
    add("build_on_class_p2.pkl", data, ("NPG_E_BUILD", b, "BUILD"),
        findings=[("NPG001", "info", 2, "GLOBAL", "numpy.ndarray"), ("NPG100", "high", b, "BUILD", "-"),
                  ("NPG100", "high", b + 1, "STOP", "-")])
    # A second BUILD on an array that is already built (setstate twice).
    arr = pickle.dumps(np.arange(3.0), protocol=2)
    b = positions(arr, "BUILD")[-1]
    again = arr[:b + 1] + b"Nb" + arr[b + 1:]
    add("build_twice_p2.pkl", again, ("NPG_E_BUILD", b + 2, "BUILD"),
        findings=allowed_notes(again) + [("NPG100", "high", b + 2, "BUILD", "-")])

    # BUILD (setstate) on the result of a refused call.
    data = b"\x80\x02cos\nsystem\nX\x02\x00\x00\x00id\x85R}X\x01\x00\x00\x00aK\x01sb."
    add("build_on_refused_call_p2.pkl", data, ("NPG_E_GLOBAL", 2, "GLOBAL"),
        findings=[("NPG002", "critical", 2, "GLOBAL", "os.system"),
                  ("NPG004", "critical", 21, "REDUCE", "os.system"),
                  ("NPG008", "critical", 32, "BUILD", "os.system")])
    data = b"cmymod\nObj\n)R(dVx\nI1\nsb."
    add("build_on_unknown_p0.pkl", data, ("NPG_E_GLOBAL", 0, "GLOBAL"),
        findings=[("NPG003", "high", 0, "GLOBAL", "mymod.Obj"),
                  ("NPG004", "high", nth(data, "REDUCE"), "REDUCE", "mymod.Obj"),
                  ("NPG008", "high", nth(data, "BUILD"), "BUILD", "mymod.Obj")])

    # Mutation opcodes on a refused object (pickle.load would call its methods).
    pre = b"\x80\x02ccollections\ndeque\n)R"  # REDUCE at 22
    find0 = [("NPG003", "high", 2, "GLOBAL", "collections.deque"),
             ("NPG004", "high", 22, "REDUCE", "collections.deque")]
    add("append_on_refused_p2.pkl", pre + b"K\x01a.", ("NPG_E_GLOBAL", 2, "GLOBAL"),
        findings=find0 + [("NPG009", "high", 25, "APPEND", "collections.deque")])
    add("appends_on_refused_p2.pkl", pre + b"(K\x01K\x02e.", ("NPG_E_GLOBAL", 2, "GLOBAL"),
        findings=find0 + [("NPG009", "high", 28, "APPENDS", "collections.deque")])
    add("setitem_on_refused_p2.pkl", pre + b"K\x01K\x02s.", ("NPG_E_GLOBAL", 2, "GLOBAL"),
        findings=find0 + [("NPG009", "high", 27, "SETITEM", "collections.deque")])
    add("setitems_on_refused_p2.pkl", pre + b"(K\x01K\x02K\x03K\x04u.",
        ("NPG_E_GLOBAL", 2, "GLOBAL"), findings=find0 + [("NPG009", "high", 32, "SETITEMS", "collections.deque")])
    data = frame([b"\x80\x04", sbu("os"), sbu("system"), b"\x93", sbu("id"), b"\x85", b"R",
                  b"(", b"K\x01", b"\x90", b"."])
    sg, r, ai = nth(data, "STACK_GLOBAL"), nth(data, "REDUCE"), nth(data, "ADDITEMS")
    add("additems_on_refused_p4.pkl", data, ("NPG_E_GLOBAL", sg, "STACK_GLOBAL"),
        findings=[("NPG002", "critical", sg, "STACK_GLOBAL", "os.system"),
                  ("NPG004", "critical", r, "REDUCE", "os.system"),
                  ("NPG009", "critical", ai, "ADDITEMS", "os.system")])
    # Mutation of a value that is not a container of ours: a type error in both modes.
    add("append_on_int_p2.pkl", b"\x80\x02K\x01K\x02a.", ("NPG_E_TYPE", 6, "APPEND"),
        scan=("NPG_E_TYPE", 6, "APPEND"))
    data = b"\x80\x02cnumpy\ndtype\n(K\x01K\x02u."
    u = nth(data, "SETITEMS")
    add("setitems_on_class_p2.pkl", data, ("NPG_E_TYPE", u, "SETITEMS"), scan=("NPG_E_TYPE", u, "SETITEMS"),
        findings=[("NPG001", "info", 2, "GLOBAL", "numpy.dtype")])
    # CPython's mutation opcodes with nothing to add call nothing: fine on any object
    data = b"\x80\x02}(e."
    add("empty_appends_on_dict_p2.pkl", data, ("NPG_E_TYPE", 4, "APPENDS"),
        findings=[("NPG100", "high", 4, "APPENDS", "-")])
    # ... and a bytearray has append(): CPython appends the int
    data = b"\x80\x05\x96\x00\x00\x00\x00\x00\x00\x00\x00K\x05a."
    add("append_on_bytearray_p5.pkl", data, ("NPG_E_TYPE", 13, "APPEND"),
        findings=[("NPG100", "high", 13, "APPEND", "-")])


def numpy_with_payload():
    """A real NumPy array pickle with os.system spliced in (stack-neutral: call, then POP)."""
    for p in (2, 3):
        arr = pickle.dumps(np.arange(4.0), protocol=p)
        # after the dtype's BUILD, i.e. in the middle of the array's opcodes
        at = positions(arr, "BUILD")[0] + 1
        payload = b"cos\nsystem\nX\x02\x00\x00\x00id\x85R0"
        data = arr[:at] + payload + arr[at:]
        g, r = at, at + 19
        notes = allowed_notes(data)
        # a corrupt tail: the last 7 bytes are gone
        cut = data[:-7]
        find = [f for f in notes if f[2] < g] + [
            ("NPG002", "critical", g, "GLOBAL", "os.system"),
            ("NPG004", "critical", r, "REDUCE", "os.system")] + [f for f in notes if f[2] > g]
        add("array_payload_truncated_p%d.pkl" % p, cut, ("NPG_E_GLOBAL", g, "GLOBAL"),
            scan=("NPG_E_TRUNCATED", None, None), findings=find)
        # a corrupt tail: an invalid opcode byte instead of the final BUILD
        b = positions(data, "BUILD")[-1]
        bad = data[:b] + b"\xff" + data[b + 1:]
        add("array_payload_badop_p%d.pkl" % p, bad, ("NPG_E_GLOBAL", g, "GLOBAL"),
            scan=("NPG_E_OPCODE", b, "0xff"), findings=find)
        # the intact spliced file: parses to STOP, still refused
        add("array_payload_p%d.pkl" % p, data, ("NPG_E_GLOBAL", g, "GLOBAL"), findings=find)


def trailing_payload():
    """A valid array pickle followed by an os.system pickle (bytes after STOP)."""
    first = pickle.dumps(np.arange(3, dtype=np.int32), protocol=2)
    second = dumps(R(stub("os", "system"), ("id",)), 2)
    data = first + second
    # pickle.load reads the first pickle only: the bytes after it are a strict refusal (NPG100);
    # the audit (npg_audit_buffer) scans the second pickle too
    add("trailing_payload_p2.pkl", data, ("NPG_E_TRAILING", len(first), "-"),
        findings=allowed_notes(first) + [("NPG100", "high", len(first), "-", "-")])
    # the rest, as a caller scanning after npg_doc_end() would see it
    add("trailing_payload_rest_p2.pkl", second, ("NPG_E_GLOBAL", 2, "GLOBAL"),
        findings=[("NPG002", "critical", 2, "GLOBAL", "os.system"),
                  ("NPG004", "critical", nth(second, "REDUCE"), "REDUCE", "os.system")])
    return len(first)


def frame_tricks():
    P4 = b"\x80\x04"
    hidden = b"cos\nsystem\nX\x02\x00\x00\x00id\x85R"  # 21 bytes

    # 1. A SHORT_BINUNICODE starts inside a frame and its argument runs past the frame end; the
    #    bytes after the frame hold a GLOBAL+REDUCE. A reader that honours the frame and resyncs
    #    there would run os.system, a linear reader sees a string: the VM must refuse the file.
    #    CPython's C unpickler reads on across the frame end (a strict refusal, NPG100): the
    #    string it reads is not UTF-8 (0x85 at 33), so it stops there.
    arg = b"ab" + hidden + b"0"  # 24 bytes
    data = P4 + b"\x95" + struct.pack("<Q", 4) + b"\x8c" + bytes([len(arg)]) + arg[:2] + arg[2:] + b"."
    add("frame_straddle_string_p4.pkl", data, ("NPG_E_FRAME", 11, "SHORT_BINUNICODE"),
        scan=("NPG_E_UTF8", 13 + arg.index(b"\x85"), "SHORT_BINUNICODE"),
        findings=[("NPG100", "high", 11, "SHORT_BINUNICODE", "-")])

    # 2. The frame ends inside BINUNICODE's 4-byte length field.
    data = P4 + b"\x95" + struct.pack("<Q", 3) + b"X\x02\x00" + b"\x00\x00id."
    add("frame_straddle_length_p4.pkl", data, ("NPG_E_FRAME", 11, "BINUNICODE"),
        findings=[("NPG100", "high", 11, "BINUNICODE", "-")])

    # 3. The frame ends inside GLOBAL's text arguments (the newline is past the frame). Read
    #    linearly (pickle.loads) it imports os.system; read from a file that holds just the frame
    #    (io.BytesIO), the rest of the frame ("s") is dropped: os.ystem. The scan reports both.
    data = P4 + b"\x95" + struct.pack("<Q", 5) + b"cos\ns" + b"ystem\n)R."
    r = nth(data, "REDUCE")
    add("frame_straddle_global_p4.pkl", data, ("NPG_E_FRAME", 11, "GLOBAL"),
        findings=[("NPG100", "high", 11, "GLOBAL", "-"), ("NPG002", "critical", 11, "GLOBAL", "os.system"),
                  ("NPG002", "critical", 11, "GLOBAL", "os.ystem"),
                  ("NPG004", "critical", r, "REDUCE", "os.system"), ("NPG004", "critical", r, "REDUCE", "os.ystem")])

    # 4. A FRAME inside a frame that still has unread bytes: the inner frame's bytes are the
    #    outer frame's tail. CPython reads K 1 and stops; the rest is trailing data.
    inner = b"K\x01."
    data = P4 + b"\x95" + struct.pack("<Q", 9 + len(inner) + 2) + b"\x95" + \
        struct.pack("<Q", len(inner)) + inner + b"0."
    add("frame_nested_p4.pkl", data, ("NPG_E_FRAME", 11, "FRAME"),
        findings=[("NPG100", "high", 11, "FRAME", "-"), ("NPG100", "high", 23, "-", "-")])

    # 5. A FRAME whose opcode sits inside the argument of a framed opcode in a linear view:
    #    frame 1 = [SHORT_BINBYTES len 9 + 2 bytes] would straddle: refused at the opcode;
    #    CPython reads the 9 bytes as bytes, then K 1, and STOP returns the 1.
    data = P4 + b"\x95" + struct.pack("<Q", 4) + b"C\x09" + b"\x95\x03" + \
        b"\x00\x00\x00\x00\x00\x00\x00" + b"K\x01."
    add("frame_straddle_bytes_p4.pkl", data, ("NPG_E_FRAME", 11, "SHORT_BINBYTES"),
        findings=[("NPG100", "high", 11, "SHORT_BINBYTES", "-"), ("NPG100", "high", 24, "STOP", "-")])

    # 6. Frames are optional: an unframed region after a proper frame is read like any other,
    #    so a payload placed there must be seen (decode refuses it, scan reports it).
    first = b"\x8c\x01a\x94"  # a framed string, memoised
    data = P4 + b"\x95" + struct.pack("<Q", len(first)) + first + b"0" + hidden + b"."
    g = 11 + len(first) + 1
    add("frame_then_unframed_payload_p4.pkl", data, ("NPG_E_GLOBAL", g, "GLOBAL"),
        findings=[("NPG002", "critical", g, "GLOBAL", "os.system"),
                  ("NPG004", "critical", nth(data, "REDUCE"), "REDUCE", "os.system")])

    # 7. Frame longer than the input.
    data = P4 + b"\x95" + struct.pack("<Q", 1 << 40) + b"N."
    add("frame_too_long_p4.pkl", data, ("NPG_E_TRUNCATED", 2, "FRAME"),
        scan=("NPG_E_TRUNCATED", 2, "FRAME"))


def wrong_reconstructor_args():
    dt = b"cnumpy\ndtype\n"          # GLOBAL at 2 (after PROTO)
    rc = b"cnumpy.core.multiarray\n_reconstruct\n"
    nd = b"cnumpy\nndarray\n"
    f8 = b"X\x02\x00\x00\x00f8"
    cases = [
        # numpy.dtype(typestr, align, copy)
        ("dtype_extra_arg", dt + b"(" + f8 + b"\x89\x88K\x01tR", "NPG_E_CALL"),
        ("dtype_two_args", dt + f8 + b"\x89\x86R", "NPG_E_CALL"),
        ("dtype_no_args", dt + b")R", "NPG_E_CALL"),
        ("dtype_align_true", dt + f8 + b"\x88\x88\x87R", "NPG_E_CALL"),
        ("dtype_copy_false", dt + f8 + b"\x89\x89\x87R", "NPG_E_CALL"),
        ("dtype_args_not_tuple", dt + b"]R", "NPG_E_CALL"),
        ("dtype_bad_typestr", dt + b"X\x03\x00\x00\x00q9x\x89\x88\x87R", "NPG_E_DTYPE"),
        ("dtype_typestr_int", dt + b"K\x08\x89\x88\x87R", "NPG_E_DTYPE"),
        # _reconstruct(cls, (0,), b'b')
        ("reconstruct_extra_arg", rc + b"(" + nd + b"K\x00\x85C\x01bK\x01tR", "NPG_E_CALL"),
        ("reconstruct_two_args", rc + nd + b"K\x00\x85\x86R", "NPG_E_CALL"),
        ("reconstruct_real_shape", rc + nd + b"K\x05\x85C\x01b\x87R", "NPG_E_CALL"),
        ("reconstruct_dtype_not_b", rc + nd + b"K\x00\x85C\x01x\x87R", "NPG_E_CALL"),
        ("reconstruct_cls_dtype", rc + dt + b"K\x00\x85C\x01b\x87R", "NPG_E_CALL"),
        ("reconstruct_cls_none", rc + b"NK\x00\x85C\x01b\x87R", "NPG_E_CALL"),
        # a class tag is not callable
        ("ndarray_called", nd + b")R", "NPG_E_CALL"),
    ]
    # Scan mode: NumPy would be called all the same (and may or may not accept the arguments),
    # so each refusal is an NPG100 finding and the scan goes on with a placeholder; arguments that
    # are no tuple make CPython raise at once.
    for tag, body, code in cases:
        data = b"\x80\x02" + body + b"."
        r = nth(data, "REDUCE")
        if tag == "dtype_args_not_tuple":
            add("%s_p2.pkl" % tag, data, (code, r, "REDUCE"), scan=(code, r, "REDUCE"),
                findings=allowed_notes(data))
        else:
            add("%s_p2.pkl" % tag, data, (code, r, "REDUCE"),
                findings=allowed_notes(data) + [("NPG100", "high", r, "REDUCE", "-")])

    # _reconstruct(builtins.object, (0,), b'b') and its BUILD: the refused class makes the
    # result a placeholder (the os-free work of an allowlisted function: no finding of its own).
    arr = pickle.dumps(np.arange(2.0), protocol=2)
    data = arr.replace(b"cnumpy\nndarray\n", b"cbuiltins\nobject\n", 1)
    g = data.index(b"cbuiltins\nobject\n")
    notes = allowed_notes(data)
    add("reconstruct_object_p2.pkl", data, ("NPG_E_GLOBAL", g, "GLOBAL"),
        findings=[f for f in notes if f[2] < g] +
                 [("NPG002", "critical", g, "GLOBAL", "builtins.object")] +
                 [f for f in notes if f[2] > g])


def valid_corpus():
    """Accepted pickles for the truncation and allocation-failure sweeps."""
    big = {i: "v%d" % i for i in range(1200)}
    for p in (0, 2, 4):
        add("valid_big_dict_p%d.pkl" % p, pickle.dumps(big, protocol=p), ("NPG_OK",))
    strs = ["s%d" % i for i in range(600)]
    add("valid_memo_list_p4.pkl", pickle.dumps([strs, strs, tuple(strs)], protocol=4), ("NPG_OK",))
    nested = []
    cur = nested
    for _ in range(300):
        nxt = []
        cur.append(nxt)
        cur = nxt
    add("valid_nested_list_p2.pkl", pickle.dumps(nested, protocol=2), ("NPG_OK",))
    rec = []
    rec.append(rec)
    rec.append({"self": rec, "t": (rec, 1)})
    for p in (0, 2, 4):
        add("valid_recursive_p%d.pkl" % p, pickle.dumps(rec, protocol=p), ("NPG_OK",))
    a = np.arange(300.0).reshape(15, 20)
    for p in (0, 1):
        data = pickle.dumps(a, protocol=p)
        add("valid_f8_300_p%d.pkl" % p, data, ("NPG_OK",), findings=allowed_notes(data))
    sdt = np.dtype([("x", "<i4"), ("y", ">f8", (2,)), ("z", [("a", "u1"), ("b", "S3")])],
                   align=True)
    d = {"arr": np.zeros(3, dtype=sdt), "dt": sdt, "sc": np.float32(1.5),
         "m": np.ma.masked_array([1, 2, 3], mask=[0, 1, 0]), "s": {1, 2}, "f": frozenset([3]),
         "c": 1 + 2j, "b": b"\x00\xff", "ba": bytearray(b"xy"), "big": 2 ** 100}
    for p in range(6):
        data = pickle.dumps(d, protocol=p)
        add("valid_np_dict_p%d.pkl" % p, data, ("NPG_OK",), findings=allowed_notes(data))
    for p in (0, 2, 4):
        data = pickle.dumps(sdt, protocol=p)
        add("valid_dtype_struct_p%d.pkl" % p, data, ("NPG_OK",), findings=allowed_notes(data))


def write():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        if f.endswith(".pkl") or f == "EXPECT":
            os.remove(os.path.join(OUT, f))
    lines = ["# generated by tests/gen/make_hostile.py; do not edit"]
    names = set()
    for name, data, decode, scan, findings in FILES:
        assert name not in names, name
        names.add(name)
        with open(os.path.join(OUT, name), "wb") as fh:
            fh.write(data)

        def site(t):
            code = t[0]
            if code == "NPG_OK":
                return "NPG_OK - -"
            off = "-" if len(t) < 2 or t[1] is None else str(t[1])
            op = "-" if len(t) < 3 or t[2] is None else t[2]
            return "%s %s %s" % (code, off, op)

        lines.append("file " + name)
        lines.append("decode " + site(decode))
        lines.append("scan " + site(scan))
        for rule, sev, off, op, g in findings:
            assert " " not in g
            lines.append("finding %s %s %d %s %s" % (rule, sev, off, op, g))
        lines.append("end")
    with open(os.path.join(OUT, "EXPECT"), "w") as fh:
        fh.write("\n".join(lines) + "\n")
    print("wrote %d files to %s" % (len(FILES), os.path.normpath(OUT)))


def main():
    dangerous_calls()
    stack_global_tricks()
    refused_opcodes()
    build_and_mutation()
    numpy_with_payload()
    trailing_payload()
    frame_tricks()
    wrong_reconstructor_args()
    valid_corpus()
    write()


if __name__ == "__main__":
    main()
