"""Random mutations of real pickles.

`Mutator(seed, bases).case()` takes a base pickle (the project's reference pickles, pickle.dumps of
NumPy objects, grammar output) and applies one to four mutations: byte flips and bit flips, random
bytes inserted, ranges deleted or duplicated, a payload snippet (GLOBAL / STACK_GLOBAL / INST
sequence from gen_payloads) spliced in at an opcode boundary or anywhere, two pickles joined,
truncation. The tag names the base and the mutations.
"""

import pickletools
import random

import gen_payloads as payloads


def opcode_starts(data):
    """Byte offsets where pickletools sees an opcode start (up to where it can read)."""
    starts = []
    try:
        for _, _, pos in pickletools.genops(data):
            starts.append(pos)
    except Exception:  # noqa: BLE001 - a mutated base may stop making sense anywhere
        pass
    return starts or [0]


class Mutator:
    def __init__(self, seed, bases):
        self.rng = random.Random(seed)
        self.bases = bases          # [(bytes, tag)]
        self._starts = {}

    def starts(self, index):
        if index not in self._starts:
            self._starts[index] = opcode_starts(self.bases[index][0])
        return self._starts[index]

    def case(self):
        rng = self.rng
        index = rng.randrange(len(self.bases))
        data, base_tag = self.bases[index]
        buf = bytearray(data)
        names = []
        for _ in range(rng.choice([1, 1, 1, 2, 2, 3, 4])):
            name = rng.choice(["flip", "bitflip", "insert", "delete", "duplicate", "splice",
                               "splice", "splice-anywhere", "join", "truncate", "set-length"])
            getattr(self, "m_" + name.replace("-", "_"))(buf, index)
            names.append(name)
        return bytes(buf), "mutate:%s:%s" % (base_tag.split(":", 1)[0], "+".join(names))

    def _pos(self, buf):
        return self.rng.randrange(len(buf) + 1)

    def m_flip(self, buf, index):
        for _ in range(self.rng.randint(1, 4)):
            if buf:
                buf[self.rng.randrange(len(buf))] = self.rng.randrange(256)

    def m_bitflip(self, buf, index):
        if buf:
            buf[self.rng.randrange(len(buf))] ^= 1 << self.rng.randrange(8)

    def m_insert(self, buf, index):
        pos = self._pos(buf)
        buf[pos:pos] = bytes(self.rng.randrange(256) for _ in range(self.rng.randint(1, 8)))

    def m_delete(self, buf, index):
        if buf:
            pos = self.rng.randrange(len(buf))
            del buf[pos:pos + self.rng.randint(1, 16)]

    def m_duplicate(self, buf, index):
        if buf:
            pos = self.rng.randrange(len(buf))
            chunk = buf[pos:pos + self.rng.randint(1, 32)]
            at = self._pos(buf)
            buf[at:at] = chunk

    def m_splice(self, buf, index):
        """A payload at an opcode boundary of the base (as long as the buffer is unchanged
        there, that is a boundary of the current bytes too)."""
        starts = [s for s in self.starts(index) if s <= len(buf)]
        pos = self.rng.choice(starts)
        snippet, _ = payloads.snippet(self.rng)
        if self.rng.random() < 0.5:
            snippet += b"0"  # POP: keep the stack as it was
        buf[pos:pos] = snippet

    def m_splice_anywhere(self, buf, index):
        snippet, _ = payloads.snippet(self.rng)
        pos = self._pos(buf)
        buf[pos:pos] = snippet

    def m_join(self, buf, index):
        other, _ = self.rng.choice(self.bases)
        if self.rng.random() < 0.5:
            buf[len(buf):] = other
        else:
            buf[0:0] = other

    def m_truncate(self, buf, index):
        if buf:
            del buf[self.rng.randrange(len(buf)):]

    def m_set_length(self, buf, index):
        """Overwrite what may be a length or index field with an extreme value."""
        if len(buf) > 4:
            pos = self.rng.randrange(len(buf) - 4)
            buf[pos:pos + 4] = self.rng.choice([b"\xff\xff\xff\xff", b"\xff\xff\xff\x7f",
                                                b"\x00\x00\x00\x80", b"\x00\x00\x00\x00"])
