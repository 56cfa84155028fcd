"""Where the pickle-mode cases come from: a fixed list of hand-written cases, then a seeded mix.

`PickleSource(seed, ref_dir).next()` returns (bytes, tag). The first cases are CORNER_CASES (the
oddities and payloads the issue names, each checked on Debian's CPython 3.11); after them, each
case is drawn from: the grammar (45%), mutations (35%), text (8%), unmodified benign and reference
pickles (12%). Everything is derived from the seed, so a run is reproducible.
"""

import random
import struct

import gen_benign
from gen_grammar import GrammarGen
from gen_mutate import Mutator
from gen_text import TextGen


def _frame_skip():
    """A frame that ends inside an opcode: reading from a file, CPython's C unpickler drops the
    rest of the frame and reads the argument from the bytes after it, so pickle.load imports
    os.system where pickle.loads (and pickletools) see two strings."""
    rest = b"0cos\nsystem\n"
    return (b"\x80\x04\x95" + struct.pack("<Q", 4) + b"U\x05ab" + b"xyzU" + bytes([len(rest)])
            + rest + b".")


CORNER_CASES = [
    b"I1_000\n0cos\nsystem\n(S'echo PWNED'\ntR.",
    b"I 5\n0cos\nsystem\n.", b"I+5\n0cos\nsystem\n.", b"I0x10\n0cos\nsystem\n.",
    b"I010\n0cos\nsystem\n.", b"I007\n0cos\nsystem\n.", b"I00\n0cos\nsystem\n.",
    b"I-0\n0cos\nsystem\n.", b"I1\x005\n0cos\nsystem\n.", b"I5 \n0cos\nsystem\n.",
    b"I\t5\n0cos\nsystem\n.", b"L0x10L\n0cos\nsystem\n.", b"L1_0L\n0cos\nsystem\n.",
    b"L 5L\n0cos\nsystem\n.", b"L5 L\n0cos\nsystem\n.", b"Finf\n0cos\nsystem\n.",
    b"FInfinity\n0cos\nsystem\n.", b"F-iNf\n0cos\nsystem\n.", b"Fnan\n0cos\nsystem\n.",
    b"F+1\n0cos\nsystem\n.", b"F1.\n0cos\nsystem\n.", b"F.5\n0cos\nsystem\n.",
    b"F1E5\n0cos\nsystem\n.", b"F1.5\x00zz\n0cos\nsystem\n.", b"F 1.5\n0cos\nsystem\n.",
    b"F1_0\n0cos\nsystem\n.", b"F1e999\n0cos\nsystem\n.", b"F0x10\n0cos\nsystem\n.",
    b"Np 1\n0cos\nsystem\n.", b"Np+1\n0cos\nsystem\n.", b"Np1_0\n0g10\n0cos\nsystem\n.",
    b"Np01\n0cos\nsystem\n.", b"Np1\n0g 1 \n0cos\nsystem\n.", b"S'a'b'\n0cos\nsystem\n.",
    b"S\"x\"\n0cos\nsystem\n.", b"S'\\q'\n0cos\nsystem\n.", b"S'\\777'\n0cos\nsystem\n.",
    b"V\\\\u0041\n0cos\nsystem\n.", b"V\\ud800\n0cos\nsystem\n.", b"Vab\\\n0cos\nsystem\n.",
    b"\x80\x02N0\x80\x04cos\nsystem\n.", b"\x80\x00cos\nsystem\n.", b"\x80\x01cos\nsystem\n.",
    b"\x80\x04\x95\x02\x00\x00\x00\x00\x00\x00\x00N0\x8c\x02os\x8c\x06system\x93.",
    b"K\x01K\x02cos\nsystem\n.", b"K\x01(cos\nsystem\n.", b"(K\x01.", b"K\x01(K\x02.",
    b"}(K\x01K\x02K\x01K\x03u0cos\nsystem\n.", b"K\x01(e0cos\nsystem\n.",
    b"K\x01(u0cos\nsystem\n.", b"K\x01(\x900cos\nsystem\n.", b"K\x01Nb0cos\nsystem\n.",
    b"\x80\x05C\x01a\x980cos\nsystem\n.",
    b"\x80\x05\x96\x01\x00\x00\x00\x00\x00\x00\x00aK\x05a0cos\nsystem\n.",
    b"]K\x07aK\x00K\x09s0cos\nsystem\n.",
    b"\x80\x02S'os'\nS'system'\n\x93.", b"\x80\x02T\x02\x00\x00\x00osU\x06system\x93.",
    b"\x80\x04\x8c\x02os\x94\x8c\x06system\x94h\x00h\x01\x93.",
    b"\x80\x04\x8c\x02os\x8c\x07system\n\x93.", b"c\xd0\xbes\nsystem\n.",
    b"\x80\x04\x8c\x03\xd0\xbes\x8c\x06system\x93.", b"\x80\x04\x8c\x02os\x8c\x00\x93.",
    b"\x80\x04\x8c\x00\x8c\x06system\x93.", b"(i\xd0\xbes\nsystem\n.",
    b"\x80\x04X\x02\x00\x00\x00osX\x03\x00\x00\x00\xed\xa0\x80\x93.",
    b"count,value\n1,2\n", b"cats\ndogs\n", b"import os\n", b"class Foo:\n    pass\n",
    b"N.B. the arrays are in metres\n", b"N.", b"N.N.", b"N.cos\nsystem\n.",
    b"\x80\x04\x95\x02\x00\x00\x00\x00\x00\x00\x00N.\x80\x04cos\nsystem\n.",
    _frame_skip(),
    b"\x80\x04\x95\x03\x00\x00\x00\x00\x00\x00\x00I1234\n.",           # 34 from a file
    b"\x80\x05\x95\x04\x00\x00\x00\x00\x00\x00\x00(ibuiltins\nfrozenset\n.",  # 'iltins'
    b"\x80\x04c__builtin__\nset\n)R.", b"\x80\x02c__builtin__\nset\n)R.",
    b"\x80\x04\x8c\x05numpy\x8c\x0fdtype.__class__\x93.",
    b"items\nfoo\n", b"(items\nfoo\n", b"K\x01K\x02(.", b"S'\\xff'\n.",
    # A datetime64 scalar whose dtype state carries flags 0x20: NumPy 1.24 crashes (SIGSEGV).
    b"\x80\x04\x95{\x00\x00\x00\x00\x00\x00\x00\x8c\x15numpy.core.multiarray\x94\x8c\x06scalar"
    b"\x94\x93\x94\x8c\x05numpy\x94\x8c\x05dtype\x94\x93\x94\x8c\x02M8\x94\x89\x88\x87\x94R\x94(K"
    b"\x04\x8c\x01<\x94NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK }\x94(C\x02ns\x94K\x01K\x01K\x01t"
    b"\x94\x86\x94t\x94bC\x08\xc0\xcdz\xc7\xcd?\x14I\x94\x86\x94R\x94.",
]


class PickleSource:
    def __init__(self, seed, ref_dir):
        self.rng = random.Random(seed)
        benign = gen_benign.benign_pickles(seed)
        refs = gen_benign.reference_pickles(ref_dir)
        plain_refs = [(d, t) for d, t in refs if not t.startswith("ref:reject_")]
        bodies = [gen_benign.body(d) for d, _ in benign + plain_refs]
        self.grammar = GrammarGen(seed + 1, bodies)
        base_grammar = GrammarGen(seed + 2, bodies)
        grammar_bases = [base_grammar.case() for _ in range(400)]
        self.mutator = Mutator(seed + 3, benign + refs + grammar_bases)
        self.text = TextGen(seed + 4)
        self.fixed = benign + refs
        self.corner = list(CORNER_CASES)

    def next(self):
        if self.corner:
            return self.corner.pop(0), "corner"
        r = self.rng.random()
        if r < 0.45:
            return self.grammar.case()
        if r < 0.80:
            return self.mutator.case()
        if r < 0.88:
            return self.text.case()
        return self.rng.choice(self.fixed)
