"""Grammar-generated pickles: every opcode and protocol, CPython's oddities, and payloads.

`GrammarGen(seed, bodies).case()` writes one pickle program from a random derivation:

    [PROTO p] statement* [payload] [leftover items / open MARK] root STOP [second pickle] [junk]

with FRAMEs placed over the result (exact, straddling the end of an opcode, nested, running past
the data). Values are written in every form a pickler uses (binary and text opcodes, protocol 0
list/dict idioms, MARK forms, memo PUT/GET/MEMOIZE), embedded bodies of real NumPy pickles (their
memo indices shifted), allowlisted reductions (`_codecs.encode`, `__builtin__.set`, OrderedDict,
complex...), the same classes reached through call opcodes (INST/OBJ/NEWOBJ/NEWOBJ_EX), and the
text forms CPython's C unpickler accepts although a strict parser may refuse them (`I1_000`,
`I0x10`, `I010`, `F-iNf`, `S'a'b'`, `p 1`, PROTO 0/1 or anywhere, BUILD None on anything, empty
APPENDS on anything, duplicate dict keys, STOP above leftover items or open MARKs...). Values that
CPython refuses ("stoppers": `F1e999`, `S'\\777'`, PROTO 6...) appear too, also in front of
payloads. A random opcode with a well-formed argument is thrown in now and then, so all 68
opcodes occur.

Payloads come from gen_payloads, placed: as a statement (after oddities), as the root, inside a
container, in a second pickle after STOP, right after a stopper, with STACK_GLOBAL operands
taken from the memo, inside a frame, or behind a frame whose end an opcode straddles (which a
reader from a file and a linear reader see differently: `frame_skip`). Each case's tag says
where and how.
"""

import pickletools
import random
import struct

import gen_ops as op
import gen_payloads as payloads

# Text arguments CPython's C unpickler accepts (checked on Debian's CPython 3.11)...
ODD_INT = [b"1_000", b" 5", b"+5", b"0x10", b"010", b"007", b"00", b"01", b"-0", b"1\x005",
           b"5 ", b"\t5", b"0o17", b"0b101", b"-0x1F", b"99999999999999999999"]
ODD_LONG = [b"5", b"0x10L", b"1_0L", b" 5L", b"5 L", b"-0L", b"00L", b"0b11L"]
ODD_FLOAT = [b"inf", b"Infinity", b"-iNf", b"nan", b"+1", b"1.", b".5", b"1E5", b"1.5\x00zz",
             b"-0", b"1e-400", b"NaN", b"1.5 "]
ODD_STRING = [b"'a'b'", b'"x"', b"'\\q'", b"''", b"'\\x41'", b"'\\n'", b"'\\101'"]
ODD_UNICODE = [b"\\\\u0041", b"\\ud800", b"ab\\", b"\\u00e9", b"\\U0001F600", b"\xe9", b""]
ODD_INDEX = [b" %d", b"+%d", b"0%d", b"%d ", b" %d ", b"%d\t"]

# ... and some it refuses.
STOPPER_TEXT = [op.float_text(b" 1.5"), op.float_text(b"1_0"), op.float_text(b"1e999"),
                op.float_text(b"0x10"), op.string_text(b"'\\777'"), op.int_text(b"abc"),
                op.int_text(b""), op.string_text(b"'abc"), op.short_binstring(b"\xe9"),
                op.binunicode("x")[:5] + b"\xff", op.long_text(b"5LL"), op.unicode_text(b"\\u12")]

ALLOWED_CLASSES = [("__builtin__", "set"), ("builtins", "set"), ("__builtin__", "frozenset"),
                   ("builtins", "frozenset"), ("collections", "OrderedDict"),
                   ("__builtin__", "bytearray"), ("builtins", "bytearray"), ("numpy", "ndarray"),
                   ("numpy", "dtype"), ("__builtin__", "complex"), ("builtins", "complex")]

GETS = {"GET", "BINGET", "LONG_BINGET"}
PUTS = {"PUT", "BINPUT", "LONG_BINPUT"}

PLACEMENTS = ["none", "statement", "statement", "root", "inside", "second", "after-stopper",
              "memo-operands", "after-oddities", "after-oddities", "in-frame", "frame-skip"]


class GrammarGen:
    def __init__(self, seed, bodies):
        self.rng = random.Random(seed)
        self.bodies = [b for b in bodies if b and sum(len(r) for _, _, r in b) < 700]

    # ------------------------------------------------------------------ one case

    def case(self):
        rng = self.rng
        self.memo = {}          # index -> kind, as CPython will fill it
        self.region = 0         # memo regions handed to embedded PUT-style bodies
        placement = rng.choice(PLACEMENTS)
        self.proto = rng.choice([0, 0, 1, 2, 2, 3, 4, 4, 5, 5])
        if placement == "frame-skip":
            data, how = self.frame_skip()
            return data, "grammar:frame-skip:" + how
        how = "-"
        chunks = []
        if self.proto >= 2 or rng.random() < 0.1:
            chunks.append(op.proto(self.proto))
        for _ in range(rng.randint(0, 3)):
            chunks += self.statement()
        if placement in ("statement", "after-oddities", "after-stopper", "memo-operands",
                         "in-frame"):
            if placement == "after-oddities":
                for _ in range(rng.randint(1, 4)):
                    chunks += self.oddity_statement()
            if placement == "after-stopper":
                chunks.append(rng.choice(STOPPER_TEXT))
            if placement == "memo-operands":
                pay, how = self.payload_from_memo(chunks)
            else:
                pay, how = payloads.snippet(rng)
            chunks += [pay, op.POP] if rng.random() < 0.7 else [pay]
            for _ in range(rng.randint(0, 2)):
                chunks += self.statement()
        if rng.random() < 0.15:                      # items left below the root
            chunks += self.value(1)[0]
        if rng.random() < 0.1:                       # an open MARK under the root
            chunks.append(op.MARK)
        if placement == "root":
            pay, how = payloads.snippet(rng)
            chunks.append(pay)
        elif placement == "inside":
            pay, how = payloads.snippet(rng)
            chunks += self.container_with(pay)
        else:
            chunks += self.value(0)[0]
        chunks.append(op.STOP)
        if placement == "second" or rng.random() < 0.05:
            chunks += self.second_pickle(placement == "second")
            how = how if placement != "second" else self.last_how
        if rng.random() < 0.04:
            chunks.append(rng.choice([b"\n", b" ", b"\x00", b"junk", bytes([rng.randrange(256)])]))
        data = self.framed(chunks, placement == "in-frame")
        return data, "grammar:%s:%s" % (placement, how)

    def second_pickle(self, with_payload):
        rng = self.rng
        out = [op.proto(rng.choice([2, 4, 5]))] if rng.random() < 0.5 else []
        self.last_how = "-"
        if with_payload:
            pay, self.last_how = payloads.snippet(rng)
            out.append(pay)
        else:
            out += self.value(1)[0]
        out.append(op.STOP)
        return out

    # ------------------------------------------------------------------ framing

    def framed(self, chunks, force):
        rng = self.rng
        if not force and rng.random() > (0.5 if self.proto >= 4 else 0.08):
            return b"".join(chunks)
        start = 1 if chunks and chunks[0][:1] == b"\x80" else 0
        head, body = b"".join(chunks[:start]), chunks[start:]
        style = rng.choice(["exact", "exact", "split", "straddle", "nested", "overrun", "short"])
        total = sum(len(c) for c in body)
        if style == "exact":
            return head + op.frame(total) + b"".join(body)
        if style == "overrun":
            return head + op.frame(total + rng.randint(1, 64)) + b"".join(body)
        if style == "short":
            return head + op.frame(rng.randint(0, max(0, total - 1))) + b"".join(body)
        cut = rng.randint(0, len(body))
        first, rest = b"".join(body[:cut]), b"".join(body[cut:])
        if style == "split":
            return head + op.frame(len(first)) + first + op.frame(len(rest)) + rest
        if style == "straddle":  # the frame ends inside an opcode
            n = len(first) + rng.randint(1, max(1, min(8, len(rest) - 1)))
            return head + op.frame(min(n, total)) + first + rest
        # nested: a FRAME inside an unfinished frame
        return head + op.frame(total + 9) + first + op.frame(len(rest)) + rest

    def frame_skip(self):
        """A payload only a reader from a file meets. When an opcode's argument runs past the end
        of a FRAME, CPython's C unpickler reading from a file drops what is left of the frame and
        reads the argument from the bytes after it (for the opcodes whose argument goes through
        its internal read: counts, numbers, str; not the bytes opcodes, whose data is copied
        from the buffer first). Reading from memory (pickle.loads), or linearly (pickletools),
        the argument continues across. Here the linear reading sees a harmless value and a bytes
        object holding the payload; pickle.load(file) runs the payload:

            FRAME [head  OP s1..sa]  f1..fk C n x1..x(a-2)  payload  root  STOP

        OP is SHORT_BINSTRING with its length k + a (the file reader's str is f1..fk C n x..,
        so everything there is ASCII) or BININT (k + a = 4); C is SHORT_BINBYTES, n = a - 2 +
        len(payload). From a file, OP's argument is f1..fk C n x.. (s1..sa are dropped) and the
        payload runs; linearly, OP takes s1..sa f1..fk and C n swallows x.. and the payload.
        """
        rng = self.rng
        self.proto = rng.choice([4, 5])
        if rng.random() < 0.3:
            return self.frame_cut_line()
        pay, how = payloads.snippet(rng)
        if len(pay) > 120:
            pay, how = payloads.snippet(rng, ("os", "system"))
        pay += op.POP
        use_int = rng.random() < 0.3
        a = rng.randint(2, 3) if use_int else rng.randint(2, 6)   # bytes dropped from the frame
        k = 4 - a if use_int else rng.randint(1, 5)
        skipped = bytes(rng.choice(b"abcxyz") for _ in range(a))
        filler = bytes(rng.choice(b"klmn") for _ in range(k))
        extra = bytes(rng.choice(b"pq") for _ in range(a - 2))
        after = filler + b"C" + bytes([a - 2 + len(pay)]) + extra
        arg_head = b"J" if use_int else b"U" + bytes([len(after)])
        head = rng.choice([b"", b"N0", op.binint1(7) + op.POP])
        frame_body = head + arg_head + skipped
        root, _, _ = self.value(2)
        data = (op.proto(self.proto) + op.frame(len(frame_body)) + frame_body
                + after + pay + b"".join(root) + op.STOP)
        return data, how

    def frame_cut_line(self):
        """The same drop for a text line: a FRAME that ends inside GLOBAL's or INST's module
        line. From a file, the rest of the line comes from after the frame and the bytes of
        the line that were in the frame are dropped: `c` `xx|os\nsystem\n` imports os.system
        where a linear reading sees module 'xxos'."""
        rng = self.rng
        module, name = rng.choice(payloads.DANGEROUS + payloads.ODD_NAMES)
        if not (payloads.text_ok(module, True) and payloads.text_ok(name, True)):
            module, name = "os", "system"
        cut = bytes(rng.choice(b"abnpqx_.") for _ in range(rng.randint(1, 4)))
        opcode = rng.choice([b"c", b"i"])
        head = rng.choice([b"", b"N0", op.MARK]) + (op.MARK if opcode == b"i" else b"")
        frame_body = head + opcode + cut
        tail = module.encode("ascii") + b"\n" + name.encode("ascii") + b"\n" + op.POP
        root, _, _ = self.value(2)
        data = (op.proto(self.proto) + op.frame(len(frame_body)) + frame_body + tail
                + b"".join(root) + op.STOP)
        return data, "line-" + ("GLOBAL" if opcode == b"c" else "INST")

    # ------------------------------------------------------------------ statements

    def statement(self):
        """Chunks with no net effect on the stack (if CPython accepts them)."""
        rng = self.rng
        r = rng.random()
        if r < 0.35:
            return self.value(1)[0] + [op.POP]
        if r < 0.45:
            return self.oddity_statement()
        if r < 0.55:
            return [op.proto(rng.choice([0, 1, 2, 3, 4, 5]))]
        if r < 0.65:
            return [op.MARK] + self.value(2)[0] + self.value(2)[0] + [op.POP_MARK]
        if r < 0.72:
            return self.value(2)[0] + [op.DUP, op.POP, op.POP]
        if r < 0.85:
            chunks, _, _ = self.scalar("str")
            return chunks + self.memo_store("str") + [op.POP]
        if r < 0.93:
            return [self.random_opcode()]
        return self.value(1)[0] + [op.POP]

    def oddity_statement(self):
        rng = self.rng
        r = rng.random()
        if r < 0.55:
            chunks, _ = self.odd_scalar()
            return chunks + [op.POP]
        if r < 0.7:
            return [op.proto(rng.choice([0, 1, 2, 3, 4, 5]))]
        if r < 0.85:
            chunks, kind, _ = self.value(1)
            return chunks + self.post_oddity(kind) + [op.POP]
        chunks, kind, _ = self.scalar("str")
        return chunks + self.memo_store(kind, odd=True) + [op.POP]

    # ------------------------------------------------------------------ values

    def value(self, depth):
        """(chunks, kind, length) pushing exactly one value (if CPython accepts them)."""
        rng = self.rng
        r = rng.random()
        n = 0
        if depth >= 3:
            r = r * 0.45
        if r < 0.25:
            chunks, kind, n = self.scalar()
        elif r < 0.35:
            chunks, kind = self.odd_scalar()
        elif r < 0.45 and self.memo:
            chunks, kind = self.memo_get()
        elif r < 0.6:
            chunks, kind, n = self.container(depth)
        elif r < 0.72 and self.bodies:
            chunks, kind = self.embedded_body()
        elif r < 0.84:
            chunks, kind = self.allowed_reduce()
        elif r < 0.9:
            chunks, kind = self.allowed_call_opcode()
        else:
            chunks, kind, n = self.container(depth)
        if rng.random() < 0.12:
            chunks = chunks + self.memo_store(kind)
        if rng.random() < 0.06:
            chunks = chunks + self.post_oddity(kind, n)
        return chunks, kind, n

    def scalar(self, kind=None):
        rng = self.rng
        kind = kind or rng.choice(["none", "bool", "int", "int", "float", "str", "str", "py2str",
                                   "bytes", "bytearray"])
        if kind == "none":
            return [op.NONE], kind, 0
        if kind == "bool":
            return [rng.choice([op.NEWTRUE, op.NEWFALSE, op.int_text(b"01"),
                                op.int_text(b"00")])], kind, 0
        if kind == "int":
            v = rng.choice([0, 1, -1, 255, 256, 65535, 65536, 2**31 - 1, -2**31, 2**31, 2**64,
                            -2**100, rng.randint(-10**6, 10**6)])
            form = rng.choice(["bin", "bin", "text", "long", "long1", "long4"])
            if form == "text":
                return [op.int_text(b"%d" % v)], kind, 0
            if form == "long":
                return [op.long_text(b"%dL" % v)], kind, 0
            if form == "long1":
                return [op.long1(v, rng.choice([0, 0, 1]))], kind, 0
            if form == "long4":
                return [op.long4(v)], kind, 0
            return [op.int_bin(v)], kind, 0
        if kind == "float":
            v = rng.choice([0.0, -0.0, 1.5, -2.25, 1e300, float("inf"), float("nan"), 0.1])
            if rng.random() < 0.5:
                return [op.binfloat(v)], kind, 0
            return [op.float_text(repr(v).encode())], kind, 0
        if kind == "str":
            s = rng.choice(["", "a", "numpy", "os", "system", "caf\u00e9", "\u4e2d",
                            "x" * rng.randint(0, 300), "line\nbreak", "back\\slash"])
            return [payloads.str_operand(rng, s)], kind, 0
        if kind == "py2str":
            s = rng.choice([b"", b"abc", b"it's", b'"q"'])
            form = rng.choice(["text", "bin", "short"])
            if form == "text":
                return [op.string_text(repr(s.decode())[0:].encode())], "str", 0
            if form == "bin":
                return [op.binstring(s)], "str", 0
            return [op.short_binstring(s)], "str", 0
        if kind == "bytes":
            raw = bytes(rng.randrange(256) for _ in range(rng.randint(0, 20)))
            form = rng.choice([op.short_binbytes, op.binbytes, op.binbytes8])
            return [form(raw)], kind, 0
        raw = bytes(rng.randrange(256) for _ in range(rng.randint(0, 12)))
        return [op.bytearray8(raw)], "bytearray", 0

    def odd_scalar(self):
        """A value in a form CPython accepts and a strict parser may refuse: (chunks, kind)."""
        rng = self.rng
        r = rng.random()
        if r < 0.3:
            return [op.int_text(rng.choice(ODD_INT))], "int"
        if r < 0.42:
            return [op.long_text(rng.choice(ODD_LONG))], "int"
        if r < 0.6:
            return [op.float_text(rng.choice(ODD_FLOAT))], "float"
        if r < 0.72:
            return [op.string_text(rng.choice(ODD_STRING))], "str"
        if r < 0.84:
            return [op.unicode_text(rng.choice(ODD_UNICODE))], "str"
        if r < 0.9:
            return [op.long1(rng.randint(-300, 300), rng.randint(1, 3))], "int"
        if r < 0.95:
            return [op.binfloat_bits(rng.choice([0x7FF8000000000001, 0xFFF0000000000001,
                                                 0x8000000000000000]))], "float"
        s = rng.choice(["\ud800", "\udfff", "a\x00b", "\u043e"])
        return [rng.choice([op.short_binunicode, op.binunicode, op.binunicode8])(s)], "str"

    def hashable(self, depth=1):
        rng = self.rng
        r = rng.random()
        if r < 0.7 or depth > 2:
            return self.scalar(rng.choice(["int", "str", "str", "none", "bool", "float",
                                           "bytes"]))[0]
        if r < 0.85:
            return self.odd_scalar()[0]
        items = [self.hashable(depth + 1) for _ in range(rng.randint(0, 2))]
        return [op.MARK] + sum(items, []) + [op.TUPLE]

    def container(self, depth):
        rng = self.rng
        kind = rng.choice(["list", "list", "tuple", "dict", "dict", "set", "frozenset"])
        n = rng.randint(0, 4)
        if kind in ("list", "tuple"):
            items = [self.value(depth + 1)[0] for _ in range(n)]
            flat = sum(items, [])
            if kind == "tuple":
                if n <= 3 and rng.random() < 0.6:
                    return flat + [[op.EMPTY_TUPLE, op.TUPLE1, op.TUPLE2, op.TUPLE3][n]], kind, n
                return [op.MARK] + flat + [op.TUPLE], kind, n
            form = rng.choice(["appends", "append", "mark", "proto0"])
            if form == "appends":
                out = [op.EMPTY_LIST] + ([op.MARK] + flat + [op.APPENDS] if n else [])
            elif form == "append":
                out = [op.EMPTY_LIST] + sum(([*it, op.APPEND] for it in items), [])
            elif form == "mark":
                out = [op.MARK] + flat + [op.LIST]
            else:
                out = [op.MARK, op.LIST] + self.memo_store("list") + \
                      sum(([*it, op.APPEND] for it in items), [])
            if n and rng.random() < 0.15:   # SETITEM on a list with an in-range int key
                out += [op.int_bin(rng.randrange(n))] + self.scalar()[0] + [op.SETITEM]
            return out, "list", n
        if kind == "dict":
            pairs = []
            for _ in range(n):
                key = self.hashable()
                if pairs and rng.random() < 0.15:   # a duplicate key
                    key = pairs[rng.randrange(len(pairs))][0]
                pairs.append((key, self.value(depth + 1)[0]))
            flat = sum((k + v for k, v in pairs), [])
            form = rng.choice(["setitems", "setitem", "mark"])
            if form == "setitems":
                return [op.EMPTY_DICT] + ([op.MARK] + flat + [op.SETITEMS] if n else []), kind, n
            if form == "setitem":
                return [op.EMPTY_DICT] + sum(([*k, *v, op.SETITEM] for k, v in pairs), []), kind, n
            return [op.MARK] + flat + [op.DICT], kind, n
        items = sum((self.hashable() for _ in range(n)), [])
        if kind == "set":
            return [op.EMPTY_SET] + ([op.MARK] + items + [op.ADDITEMS] if n else []), kind, n
        return [op.MARK] + items + [op.FROZENSET], kind, n

    def container_with(self, pay):
        """A container holding the payload among other items."""
        rng = self.rng
        before = self.value(2)[0] if rng.random() < 0.5 else []
        r = rng.random()
        if r < 0.4:
            return [op.EMPTY_LIST, op.MARK] + before + [pay] + [op.APPENDS]
        if r < 0.7:
            return [op.EMPTY_DICT] + self.hashable() + [pay, op.SETITEM]
        if r < 0.85:
            return [op.MARK] + before + [pay, op.TUPLE]
        return [op.EMPTY_DICT, op.MARK] + self.hashable() + before + self.hashable() + [pay] + \
               [op.SETITEMS]

    def post_oddity(self, kind, n=0):
        """Opcodes applied to the value on top, which CPython accepts for that kind."""
        rng = self.rng
        choices = ["build-none", "empty-appends", "empty-setitems", "empty-additems", "dup-pop"]
        if kind in ("bytes", "bytearray"):
            choices.append("readonly")
        if kind == "bytearray":
            choices.append("append-int")
        c = rng.choice(choices)
        if c == "build-none":
            return [op.NONE, op.BUILD]
        if c == "empty-appends":
            return [op.MARK, op.APPENDS]
        if c == "empty-setitems":
            return [op.MARK, op.SETITEMS]
        if c == "empty-additems":
            return [op.MARK, op.ADDITEMS]
        if c == "readonly":
            return [op.READONLY_BUFFER]
        if c == "append-int":
            return [op.binint1(rng.randrange(256)), op.APPEND]
        return [op.DUP, op.POP]

    # ------------------------------------------------------------------ memo

    def memo_store(self, kind, odd=False):
        rng = self.rng
        r = rng.random()
        if r < 0.3 and not odd:
            self.memo[len(self.memo)] = kind
            return [op.MEMOIZE]
        idx = len(self.memo) if rng.random() < 0.8 or not self.memo else rng.choice(list(self.memo))
        self.memo[idx] = kind
        if odd or r < 0.5:
            text = (rng.choice(ODD_INDEX) % idx) if odd else b"%d" % idx
            if odd and idx >= 10 and rng.random() < 0.4:
                text = b"%d_%d" % divmod(idx, 10)
            return [op.put_text(text)]
        return [op.put(idx) if rng.random() < 0.7 else op.long_binput(idx)]

    def memo_get(self, kind=None):
        rng = self.rng
        keys = [k for k, v in self.memo.items() if kind is None or v == kind]
        idx = rng.choice(keys)
        r = rng.random()
        if r < 0.25:
            return [op.get_text(b"%d" % idx)], self.memo[idx]
        if r < 0.35:
            return [op.get_text(rng.choice(ODD_INDEX) % idx)], self.memo[idx]
        if r < 0.85:
            return [op.get(idx)], self.memo[idx]
        return [op.long_binget(idx)], self.memo[idx]

    def payload_from_memo(self, chunks):
        """STACK_GLOBAL whose operands come from the memo: the strings are stored (and popped)
        first, then fetched. Appends the stores to `chunks`; returns (payload, how)."""
        rng = self.rng
        module, name = rng.choice(payloads.TARGETS)
        got = []
        for s in (module, name):
            if rng.random() < 0.3:
                got.append(payloads.str_operand(rng, s))
                continue
            chunks.append(payloads.str_operand(rng, s))
            chunks += self.memo_store("target")
            chunks.append(op.POP)
            idx = max(k for k, v in self.memo.items() if v == "target")
            self.memo[idx] = "str"
            got.append(op.get(idx) if rng.random() < 0.7 else op.get_text(b"%d" % idx))
        pay, call = payloads.wrap_call(rng, got[0] + got[1] + op.STACK_GLOBAL)
        return pay, "STACK_GLOBAL(memo)+" + call

    # ------------------------------------------------------------------ NumPy and allowlisted

    def embedded_body(self):
        """A real NumPy pickle's opcodes, memo indices shifted to fit this program's memo."""
        ops = self.rng.choice(self.bodies)
        memoize = any(name == "MEMOIZE" for name, _, _ in ops)
        if memoize:
            base = len(self.memo)
        else:
            self.region += 1
            base = 1000 * self.region
        out = []
        for name, arg, raw in ops:
            if name == "MEMOIZE":
                self.memo[len(self.memo)] = "any"
                out.append(raw)
            elif name in PUTS:
                idx = arg + base
                self.memo[idx] = "any"
                out.append(op.put_text(b"%d" % idx) if name == "PUT" else op.put(idx))
            elif name in GETS:
                idx = arg + base
                out.append(op.get_text(b"%d" % idx) if name == "GET" else op.get(idx))
            else:
                out.append(raw)
        return out, "numpy"

    def builtins_module(self):
        """'__builtin__' for protocols 0-2, 'builtins' for 3-5, sometimes the other one."""
        if self.rng.random() < 0.1:
            return self.rng.choice(["__builtin__", "builtins"])
        return "__builtin__" if self.proto < 3 else "builtins"

    def allowed_global(self, module, name):
        obj, _ = payloads.importer(self.rng, module, name,
                                   self.rng.choice(["GLOBAL", "STACK_GLOBAL"]))
        return obj

    def allowed_reduce(self):
        """An allowlisted global called with REDUCE as CPython's pickler writes it."""
        rng = self.rng
        b = self.builtins_module()
        r = rng.random()
        if r < 0.25:
            text = "".join(rng.choice("ab\u00e9\xff") for _ in range(rng.randint(0, 6)))
            enc = payloads.str_operand(rng, text) + payloads.str_operand(rng, "latin1")
            return [self.allowed_global("_codecs", "encode"), enc, op.TUPLE2, op.REDUCE], "bytes"
        if r < 0.35:
            return [self.allowed_global(b, "bytes"), op.EMPTY_TUPLE, op.REDUCE], "bytes"
        if r < 0.55:
            cls = rng.choice(["set", "frozenset"])
            items = self.container(2)[0] if rng.random() < 0.3 else \
                [op.EMPTY_LIST, op.MARK] + self.hashable() + self.hashable() + [op.APPENDS]
            return [self.allowed_global(b, cls)] + items + [op.TUPLE1, op.REDUCE], cls
        if r < 0.7:
            args = [op.MARK] + self.scalar("float")[0] + self.scalar("float")[0] + [op.TUPLE]
            return [self.allowed_global(b, "complex")] + args + [op.REDUCE], "complex"
        if r < 0.8:
            raw = bytes(rng.randrange(256) for _ in range(rng.randint(0, 6)))
            return [self.allowed_global(b, "bytearray"), op.short_binbytes(raw), op.TUPLE1,
                    op.REDUCE], "bytearray"
        out = [self.allowed_global("collections", "OrderedDict"), op.EMPTY_TUPLE, op.REDUCE]
        if rng.random() < 0.7:
            out += [op.MARK] + self.hashable() + self.value(2)[0] + [op.SETITEMS]
        return out, "dict"

    def allowed_call_opcode(self):
        """An allowlisted class called through INST, OBJ, NEWOBJ or NEWOBJ_EX (CPython runs it;
        npguard refuses call opcodes)."""
        rng = self.rng
        module, name = rng.choice(ALLOWED_CLASSES)
        if name == "ndarray":
            args = [op.binint1(rng.randint(0, 3)), op.TUPLE1]
        elif name == "dtype":
            args = [payloads.str_operand(rng, rng.choice(["f8", "i4", "u1"])), op.TUPLE1]
        else:
            args = [op.EMPTY_TUPLE]
        how = rng.choice(["INST", "OBJ", "NEWOBJ", "NEWOBJ_EX"])
        if how == "INST":
            return [op.MARK, op.inst(module.encode(), name.encode())], "any"
        cls = self.allowed_global(module, name)
        if how == "OBJ":
            return [op.MARK, cls, op.OBJ], "any"
        if how == "NEWOBJ":
            return [cls] + args + [op.NEWOBJ], "any"
        return [cls] + args + [op.EMPTY_DICT, op.NEWOBJ_EX], "any"

    # ------------------------------------------------------------------ any opcode

    def random_opcode(self):
        """Any of the 68 opcodes with an argument of the right layout and random content."""
        rng = self.rng
        opc = rng.choice(pickletools.opcodes)
        code = opc.code.encode("latin-1")
        arg = opc.arg
        if arg is None:
            return code
        if opc.name == "PROTO":
            return code + bytes([rng.choice([0, 1, 2, 3, 4, 5, 6, 255])])
        if opc.name == "FRAME":
            return code + struct.pack("<Q", rng.randint(0, 16))
        if opc.name in ("GLOBAL", "INST"):
            module, name = rng.choice(payloads.TARGETS)
            if not (payloads.text_ok(module) and payloads.text_ok(name)):
                module, name = "os", "system"
            return code + op.utf8(module) + b"\n" + op.utf8(name) + b"\n"
        if arg.n >= 0:
            return code + bytes(rng.randrange(256) if rng.random() < 0.3 else 0
                                for _ in range(arg.n))
        if arg.n == pickletools.UP_TO_NEWLINE:
            return code + rng.choice([b"0", b"1", b"'x'", b"abc", b"-5", b"1.5", b""]) + b"\n"
        raw = bytes(rng.randrange(32, 127) for _ in range(rng.randint(0, 8)))
        size = {pickletools.TAKEN_FROM_ARGUMENT1: "<B", pickletools.TAKEN_FROM_ARGUMENT4: "<i",
                pickletools.TAKEN_FROM_ARGUMENT4U: "<I", pickletools.TAKEN_FROM_ARGUMENT8U: "<Q"}
        return code + struct.pack(size[arg.n], len(raw)) + raw
