#!/usr/bin/python3
"""Zip / .npz test archives for tests/test_zip.c, the NumPy check of npguard's .npz writer, and
the archive and NumPy timings of bench/bench_zip.c.

Run with Debian's interpreter (NumPy 1.24):

    make_zip.py --out DIR          write DIR/good/ and DIR/bad/ (tests/zip.cmake does this at test time)
    make_zip.py --check DIR        load every DIR/written/*.npz (made by test_zip) with numpy.load
                                   (allow_pickle=False) and compare with its .expect file
    make_zip.py --bench-archive PATH [--mb N] [--stored]
                                   a ~N MB np.savez_compressed (np.savez) archive for the benchmark
    make_zip.py --bench-numpy PATH [--repeat K] time numpy.load of every member (best of K)

DIR/good/MANIFEST: one line per member of each accepted archive, as CPython's zipfile reports it:
    archive  name  method  csize  usize  crc32  header_offset  data_offset  adler32
(tab-separated; data_offset is read from the local header; adler32 is of the member's bytes, an
independent check of what npg_zip_read streams out). Archives with no member get one line with
name "-".

DIR/bad/EXPECT: one line per hostile archive:
    archive  stage  STATUS  limits
stage "open": npg_zip_open must return STATUS; stage "read": the archive opens, and reading its
members in order fails first with STATUS. limits: "-" or comma-separated field=value overrides of
npg_limits (max_ratio, max_zip_members, max_uncompressed). STATUS is npg_status_name(). Each
expectation follows from the rules in include/npguard.h and notes/npy-npz.md sections 4 and 8,
not from running npguard.

The hostile archives are built from real NumPy/zipfile output by byte surgery or from scratch by
the small record builder below (our own code, following the PKWARE APPNOTE field layout).
"""

import argparse
import io
import os
import struct
import subprocess
import sys
import time
import zipfile
import zlib

import numpy as np

SIG_LH, SIG_CD, SIG_EOCD = 0x04034B50, 0x02014B50, 0x06054B50
SIG_EOCD64, SIG_LOC64, SIG_DD = 0x06064B50, 0x07064B50, 0x08074B50
U32, U16 = 0xFFFFFFFF, 0xFFFF


# ------------------------------------------------------------------ small helpers

def npy_bytes(arr):
    b = io.BytesIO()
    np.save(b, arr, allow_pickle=False)
    return b.getvalue()


def raw_deflate(data, level=6):
    c = zlib.compressobj(level, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def savez_bytes(*args, compressed=False, **kw):
    b = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(b, *args, **kw)
    return b.getvalue()


class Unseekable:
    """A write-only stream: zipfile falls back to data descriptors, as on a pipe."""

    def __init__(self):
        self.buf = bytearray()

    def write(self, b):
        self.buf += b
        return len(b)

    def flush(self):
        pass


def savez_through_pipe(compressed):
    """np.savez / np.savez_compressed writing to a real pipe (a child process's stdout)."""
    fn = "savez_compressed" if compressed else "savez"
    code = ("import sys, numpy as np\n"
            f"np.{fn}(sys.stdout.buffer, np.arange(1000, dtype='<i8').reshape(10, 100),"
            " label=np.array(['pipe', 'data']), z=np.zeros((64, 64)))\n")
    return subprocess.run([sys.executable, "-c", code], stdout=subprocess.PIPE, check=True).stdout


def eocd_pos(z):
    return z.rindex(struct.pack("<I", SIG_EOCD))


def cd_records(z):
    """Offsets of the central-directory records (walked from the EOCD's cd offset)."""
    e = eocd_pos(z)
    _, _, _, _, n, size, off, _ = struct.unpack_from("<IHHHHIIH", z, e)
    out, p = [], off
    for _ in range(n):
        out.append(p)
        nl, el, cl = struct.unpack_from("<HHH", z, p + 28)
        p += 46 + nl + el + cl
    return out


def lh_offsets(z):
    return [struct.unpack_from("<I", z, p + 42)[0] for p in cd_records(z)]


def patch(z, pos, fmt, *vals):
    b = bytearray(z)
    struct.pack_into(fmt, b, pos, *vals)
    return bytes(b)


# ------------------------------------------------------------------ a record builder

class M:
    """One member: its content and every header field, each overridable separately in the
    local header (lh) and the central directory (cd)."""

    def __init__(self, name, content=b"", method=0, flags=0):
        self.name = name.encode() if isinstance(name, str) else name
        self.content = content
        self.method = method
        self.data = raw_deflate(content) if method == 8 else content
        self.crc = zlib.crc32(content)
        self.flags = flags
        self.lh = {}        # name, version, flags, method, crc, csize, usize, extra, sig
        self.cd = {}        # name, made_by, version, flags, method, crc, csize, usize, extra,
                            # comment, disk, attr, offset
        self.descriptor = b""
        self.after = b""    # bytes placed after the member (hidden data)

    def field(self, which, key, default):
        return getattr(self, which).get(key, default)


def local_header(m):
    name = m.field("lh", "name", m.name)
    extra = m.field("lh", "extra", b"")
    return struct.pack("<IHHHHHIIIHH", m.field("lh", "sig", SIG_LH), m.field("lh", "version", 20),
                       m.field("lh", "flags", m.flags), m.field("lh", "method", m.method), 0, 0x21,
                       m.field("lh", "crc", m.crc), m.field("lh", "csize", len(m.data)),
                       m.field("lh", "usize", len(m.content)), len(name), len(extra)) + name + extra


def central_record(m, offset):
    name = m.field("cd", "name", m.name)
    extra = m.field("cd", "extra", b"")
    comment = m.field("cd", "comment", b"")
    return struct.pack("<IHHHHHHIIIHHHHHII", SIG_CD, m.field("cd", "made_by", 0x0314),
                       m.field("cd", "version", 20), m.field("cd", "flags", m.flags),
                       m.field("cd", "method", m.method), 0, 0x21, m.field("cd", "crc", m.crc),
                       m.field("cd", "csize", len(m.data)), m.field("cd", "usize", len(m.content)),
                       len(name), len(extra), len(comment), m.field("cd", "disk", 0), 0,
                       m.field("cd", "attr", 0o600 << 16),
                       m.field("cd", "offset", offset)) + name + extra + comment


def eocd(count, size, offset, comment=b"", disk=0, count_disk=None):
    return struct.pack("<IHHHHIIH", SIG_EOCD, disk, disk, count if count_disk is None else count_disk,
                       count, size, offset, len(comment)) + comment


def build(members, prefix=b"", cd_extra_entries=(), count=None, comment=b"", zip64=None,
          base=0):
    """Lay out prefix, members, central directory, optional zip64 records, EOCD. Offsets are
    those of the members after the prefix, minus base (base=len(prefix) mimics `zip -A`)."""
    out = bytearray(prefix)
    offsets = []
    for m in members:
        offsets.append(len(out) - len(prefix) + base)
        out += local_header(m) + m.data + m.descriptor + m.after
    cd_off = len(out) - len(prefix) + base
    cd = b"".join(central_record(m, o) for m, o in zip(members, offsets))
    cd += b"".join(central_record(m, o) for m, o in cd_extra_entries)
    out += cd
    n = len(members) + len(cd_extra_entries) if count is None else count
    if zip64 is not None:
        z = dict(size=44, version=45, disk=0, n_disk=n, n=n, cd_size=len(cd), cd_off=cd_off,
                 loc_disk=0, disks=1, sig=SIG_EOCD64, eocd=(min(n, U16), min(len(cd), U32), min(cd_off, U32)))
        z.update(zip64)
        at = len(out) - len(prefix) + base
        out += struct.pack("<IQHHIIQQQQ", z["sig"], z["size"], 45, z["version"], z["disk"], 0,
                           z["n_disk"], z["n"], z["cd_size"], z["cd_off"])
        out += struct.pack("<IIQI", SIG_LOC64, z["loc_disk"], z.get("at", at), z["disks"])
        out += struct.pack("<IHHHHIIH", SIG_EOCD, 0, 0, z["eocd"][0], z["eocd"][0], z["eocd"][1],
                           z["eocd"][2], len(comment)) + comment
    else:
        out += eocd(n, len(cd), cd_off, comment)
    return bytes(out)


def zip64_extra(*vals):
    return struct.pack("<HH", 1, 8 * len(vals)) + b"".join(struct.pack("<Q", v) for v in vals)


def descriptor(m, sig=True, wide=False):
    fmt = "<IQQ" if wide else "<III"
    return (struct.pack("<I", SIG_DD) if sig else b"") + struct.pack(fmt, m.crc, len(m.data), len(m.content))


# ------------------------------------------------------------------ the accepted archives

def arrays():
    rng = np.random.default_rng(1)
    return {
        "ints": np.arange(5000, dtype="<i8"),
        "floats": np.round(rng.normal(size=(300, 40)), 2),
        "eye": np.eye(3),
        "text": np.array(["hi", "there"]),
        "big_endian": np.arange(10, dtype=">u4"),
        "fortran": np.asfortranarray(np.arange(12.0).reshape(3, 4)),
        "struct": np.zeros(3, dtype=[("x", "<i4"), ("y", "<f8", (2,))]),
        "scalar": np.array(7.5),
        "empty": np.zeros((0, 3)),
        "flags": np.array([True, False, True]),
    }


def good_archives():
    a = arrays()
    g = {}
    g["savez_positional.npz"] = savez_bytes(a["ints"], a["eye"], a["text"])
    g["savez_keywords.npz"] = savez_bytes(**a)
    g["savez_mixed.npz"] = savez_bytes(a["ints"], a["eye"], x=a["floats"], y=a["struct"])
    g["savez_compressed_positional.npz"] = savez_bytes(a["ints"], a["floats"], compressed=True)
    g["savez_compressed_keywords.npz"] = savez_bytes(compressed=True, **a)
    rng = np.random.default_rng(2)
    g["savez_compressed_large.npz"] = savez_bytes(
        compressed=True, f=np.round(rng.normal(size=200000), 3), i=rng.integers(0, 1000, 300000))
    g["savez_empty.npz"] = savez_bytes()
    g["savez_compressed_empty.npz"] = savez_bytes(compressed=True)
    g["savez_pipe.npz"] = savez_through_pipe(False)
    g["savez_compressed_pipe.npz"] = savez_through_pipe(True)
    g["savez_utf8_name.npz"] = savez_bytes(**{"données": a["eye"], "数据": a["ints"][:10]})
    g["savez_path_name.npz"] = savez_bytes(**{"dir/sub/x": a["eye"]})
    g["savez_compressed_zeros_1mb.npz"] = savez_bytes(np.zeros(1 << 20, np.uint8), compressed=True)
    g["savez_zip64.npz"] = zip64_savez(a)
    g["savez_zip64_count.npz"] = zip64_count_savez(a)
    g["zipfile_plain.zip"] = zipfile_plain(a, zipfile.ZIP_STORED)
    g["zipfile_plain_deflated.zip"] = zipfile_plain(a, zipfile.ZIP_DEFLATED)
    g["zipfile_unseekable.zip"] = zipfile_unseekable(a)
    g["zipfile_unseekable_stored.zip"] = zipfile_unseekable_stored(a)
    g.update(handmade_good(a))
    return g


def zip64_savez(a):
    """np.savez with zipfile's zip64 threshold lowered: members and offsets above it get
    0xFFFFFFFF sentinels and central zip64 extras, the directory a zip64 end record -- the
    records a >2 GiB archive has, in a file of a few KB."""
    saved = zipfile.ZIP64_LIMIT
    zipfile.ZIP64_LIMIT = 200
    try:
        return savez_bytes(a["ints"][:100], small=np.arange(3, dtype="u1"), e=a["eye"])
    finally:
        zipfile.ZIP64_LIMIT = saved


def zip64_count_savez(a):
    """zip64 end records triggered by the entry count (zipfile still writes the real count)."""
    saved = zipfile.ZIP_FILECOUNT_LIMIT
    zipfile.ZIP_FILECOUNT_LIMIT = 2
    try:
        return savez_bytes(a["eye"], a["flags"], a["scalar"])
    finally:
        zipfile.ZIP_FILECOUNT_LIMIT = saved


def zipfile_plain(a, method):
    """zipfile.writestr: no zip64 extra in the local header (not NumPy's force_zip64 path)."""
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", method) as z:
        z.writestr("eye.npy", npy_bytes(a["eye"]))
        z.writestr("floats.npy", npy_bytes(a["floats"]))
    return b.getvalue()


def zipfile_unseekable(a):
    """zipfile on an unseekable stream without zip64: 32-bit data descriptors (16 bytes)."""
    s = Unseekable()
    with zipfile.ZipFile(s, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("eye.npy", npy_bytes(a["eye"]))
        z.writestr("ints.npy", npy_bytes(a["ints"]))
    return bytes(s.buf)


def zipfile_unseekable_stored(a):
    """The same, stored: a streaming reader must trust the descriptor to find the data's end."""
    s = Unseekable()
    with zipfile.ZipFile(s, "w", zipfile.ZIP_STORED) as z:
        z.writestr("eye.npy", npy_bytes(a["eye"]))
        z.writestr("text.npy", npy_bytes(a["text"]))
    return bytes(s.buf)


def handmade_good(a):
    g = {}
    # data descriptors without their optional signature, 32-bit sizes, deflated and stored
    ms = [M("a.npy", npy_bytes(a["eye"]), 8, flags=8), M("b.npy", npy_bytes(a["flags"]), 0, flags=8)]
    for m in ms:
        m.lh.update(crc=0, csize=0, usize=0)
        m.descriptor = descriptor(m, sig=False)
    g["handmade_descriptor_nosig.zip"] = build(ms)
    # an extended-timestamp extra (0x5455) in both headers: unknown to NumPy, harmless
    m = M("t.npy", npy_bytes(a["scalar"]))
    ts = struct.pack("<HHBI", 0x5455, 5, 1, 1700000000)
    m.lh["extra"] = ts
    m.cd["extra"] = ts
    g["handmade_timestamp_extra.zip"] = build([m])
    # the UTF-8 flag on a pure ASCII name
    g["handmade_utf8_flag_ascii.zip"] = build([M("x.npy", npy_bytes(a["eye"]), flags=0x800)])
    # deflate level hints in bits 1-2 (Info-ZIP: -9 sets 0x2, -2 0x4, -1 0x6), also with a
    # data descriptor: every reader ignores them
    for flag in (0x2, 0x4, 0x6):
        g[f"handmade_level_hint_0x{flag:x}.zip"] = build([M("x.npy", npy_bytes(a["eye"]), 8, flags=flag),
                                                        M("y.npy", npy_bytes(a["flags"]), 8, flags=flag)])
    m = M("d.npy", npy_bytes(a["eye"]), 8, flags=0x2 | 8)
    m.lh.update(crc=0, csize=0, usize=0)
    m.descriptor = descriptor(m, sig=True)
    g["handmade_level_hint_descriptor.zip"] = build([m])
    # "version needed" with the host system in its upper byte (0x0314: Unix, 2.0), as some
    # writers set it (imageio's chelsea.zip); zipfile reads the lower byte only
    m = M("v.npy", npy_bytes(a["eye"]), 8)
    m.lh["version"] = 0x0314
    m.cd["version"] = 0x0314
    g["handmade_version_host_byte.zip"] = build([m])
    return g


def manifest_lines(fname, data):
    z = zipfile.ZipFile(io.BytesIO(data))
    infos = z.infolist()
    if not infos:
        return [f"{fname}\t-\t-\t0\t0\t0\t0\t0\t0"]
    lines = []
    for i in infos:
        nl, el = struct.unpack_from("<HH", data, i.header_offset + 26)
        content = z.read(i)
        lines.append("\t".join(str(x) for x in (
            fname, i.filename, i.compress_type, i.compress_size, i.file_size, i.CRC, i.header_offset,
            i.header_offset + 30 + nl + el, zlib.adler32(content))))
    return lines


# ------------------------------------------------------------------ the hostile archives

BAD = []  # (file name, bytes, stage, status, limits)


def bad(name, data, status, stage="open", limits="-"):
    BAD.append((name, data, stage, status, limits))


def small_members():
    return [M("a.npy", npy_bytes(np.arange(4))), M("b.npy", npy_bytes(np.eye(2)), 8)]


def bad_end_records(good):
    base = good["savez_keywords.npz"]
    e = eocd_pos(base)
    bad("eocd_missing.zip", b"not a zip at all, not even close" * 3, "NPG_E_ZIP_EOCD")
    bad("eocd_too_short.zip", b"PK\x05\x06" + b"\0" * 10, "NPG_E_ZIP_EOCD")
    bad("eocd_cut.zip", base[:-1], "NPG_E_ZIP_EOCD")
    # archive comment: room for a second file in the same bytes
    bad("eocd_comment.zip", patch(base, e + 20, "<H", 5) + b"hello", "NPG_E_ZIP_EOCD")
    # CPython takes the LAST EOCD signature: a fake one in the comment makes it see an empty archive
    fake = eocd(0, 0, 0)
    bad("eocd_fake_in_comment.zip", patch(base, e + 20, "<H", len(fake)) + fake, "NPG_E_ZIP_EOCD")
    # two archives end to end: CPython sees only the second; we see two EOCDs in reach
    bad("eocd_two_archives.zip", good["savez_compressed_pipe.npz"] + good["savez_zip64_count.npz"],
        "NPG_E_ZIP_EOCD")
    # the first archive larger than the 64 KiB search window: its EOCD is out of reach, so the
    # second archive's offsets leave the whole first archive unaccounted for
    big = good["savez_compressed_large.npz"]
    bad("layout_two_archives_big.zip", big + big,
        "NPG_E_ZIP_LAYOUT")
    bad("eocd_multidisk.zip", patch(base, e + 4, "<HH", 1, 1), "NPG_E_ZIP_EOCD")
    bad("eocd_counts_differ.zip", patch(base, e + 8, "<H", 3), "NPG_E_ZIP_EOCD")
    size, off = struct.unpack_from("<II", base, e + 12)
    bad("eocd_cd_overrun.zip", patch(base, e + 12, "<I", size + 1), "NPG_E_ZIP_EOCD")
    bad("eocd_offset_sentinel_no_zip64.zip", patch(base, e + 16, "<I", U32), "NPG_E_ZIP_ZIP64")
    bad("layout_appended.zip", base + b"appended junk", "NPG_E_ZIP_LAYOUT")
    bad("layout_appended_nul.zip", base + b"\0", "NPG_E_ZIP_LAYOUT")
    # prepended data with offsets left alone (CPython adds the difference back: "concat")
    bad("layout_prepended.zip", b"#!/bin/sh\necho polyglot\nexit 0\n" + base, "NPG_E_ZIP_LAYOUT")
    # prepended data with every offset shifted, as `zip -A` does for self-extractors
    pre = b"MZ" + b"\0" * 62
    bad("layout_prepended_adjusted.zip", build(small_members(), prefix=pre, base=len(pre)),
        "NPG_E_ZIP_LAYOUT")
    bad("layout_empty_with_prefix.zip", b"x" + eocd(0, 0, 1), "NPG_E_ZIP_LAYOUT")


def bad_central(good):
    base = good["savez_keywords.npz"]
    recs = cd_records(base)
    e = eocd_pos(base)
    n = struct.unpack_from("<H", base, e + 10)[0]
    bad("cd_count_low.zip", patch(base, e + 8, "<HH", n - 1, n - 1), "NPG_E_ZIP_CD")
    bad("cd_count_high.zip", patch(base, e + 8, "<HH", n + 1, n + 1), "NPG_E_ZIP_CD")
    bad("cd_bad_signature.zip", patch(base, recs[1], "<I", 0x02014B51), "NPG_E_ZIP_CD")
    ms = small_members()
    ms[0].cd["comment"] = b"entry comment"
    bad("cd_entry_comment.zip", build(ms), "NPG_E_ZIP_CD")
    ms = small_members()
    ms[1].cd["disk"] = 1
    bad("cd_disk.zip", build(ms), "NPG_E_ZIP_CD")
    ms = small_members()
    ms[0].cd["version"] = 63
    bad("cd_version.zip", build(ms), "NPG_E_ZIP_CD")
    ms = small_members()
    ms[0].cd["version"] = 0x0300 | 63  # the host byte does not hide the version
    bad("cd_version_host_byte.zip", build(ms), "NPG_E_ZIP_CD")
    ms = small_members()
    ms[0].cd["attr"] = 0o120777 << 16  # a symlink: extraction writes through it
    bad("cd_symlink.zip", build(ms), "NPG_E_ZIP_CD")
    m = M("s.npy", npy_bytes(np.arange(3)))
    m.lh["usize"] = m.cd["usize"] = len(m.content) + 1
    bad("cd_stored_sizes_differ.zip", build([m]), "NPG_E_ZIP_CD")
    # the directory claimed to start 10 bytes into its first record (size 10 bytes shorter)
    z = build(small_members())
    e2 = eocd_pos(z)
    size, off = struct.unpack_from("<II", z, e2 + 12)
    bad("cd_misaligned.zip", patch(z, e2 + 12, "<II", size - 10, off + 10), "NPG_E_ZIP_CD")
    # the last record cut short: the directory ends 10 bytes into it (EOCD still consistent)
    z = build(small_members())
    e2 = eocd_pos(z)
    size = struct.unpack_from("<I", z, e2 + 12)[0]
    z = z[:e2 - 10] + z[e2:]
    bad("cd_record_cut.zip", patch(z, e2 - 10 + 12, "<I", size - 10), "NPG_E_ZIP_CD")
    bad("limit_members.zip", base, "NPG_E_LIMIT_MEMBERS", limits="max_zip_members=4")
    bad("limit_uncompressed.zip", base, "NPG_E_LIMIT_UNCOMPRESSED", limits="max_uncompressed=1000")
    # a zip64 end record declaring 2^40 entries: refused from the count, nothing allocated
    ms = small_members()
    bad("limit_members_zip64_count.zip",
        build(ms, zip64=dict(n_disk=1 << 40, n=1 << 40, eocd=(U16, U32, U32))), "NPG_E_LIMIT_MEMBERS")


def bad_flags_methods(good):
    for flag, status in ((0x1, "NPG_E_ZIP_ENCRYPTED"), (0x20, "NPG_E_ZIP_FLAGS"), (0x40, "NPG_E_ZIP_FLAGS"),
                         (0x2000, "NPG_E_ZIP_FLAGS"), (0x10, "NPG_E_ZIP_FLAGS")):
        ms = small_members()
        ms[1].flags = flag
        bad(f"flags_0x{flag:04x}.zip", build(ms), status)
    # bits 1-2 are a deflate level hint (accepted: handmade_good); on a stored member they mean
    # nothing in APPNOTE, and on other methods something else
    for flag in (0x2, 0x4, 0x6):
        ms = small_members()
        ms[0].flags = flag  # stored
        bad(f"flags_0x{flag:04x}_stored.zip", build(ms), "NPG_E_ZIP_FLAGS")
    ms = small_members()
    ms[1].lh["flags"] = 0x2  # the hint in the local header only: the headers disagree
    bad("flags_level_lh_only.zip", build(ms), "NPG_E_ZIP_LOCAL")
    # picklescan CVE-2025-1945: the flag only in the central directory (zipfile refuses the member,
    # miniz/PyTorch loads it), and only in the local header
    base = good["savez_keywords.npz"]
    r = cd_records(base)[2]
    bad("flags_cd_only_encrypted.zip", patch(base, r + 8, "<H", 1), "NPG_E_ZIP_ENCRYPTED")
    bad("flags_cd_only_0x0040.zip", patch(base, r + 8, "<H", 0x40), "NPG_E_ZIP_FLAGS")
    lh = lh_offsets(base)[2]
    bad("flags_lh_only_encrypted.zip", patch(base, lh + 6, "<H", 1), "NPG_E_ZIP_LOCAL")
    for comp, label in ((zipfile.ZIP_BZIP2, "bzip2"), (zipfile.ZIP_LZMA, "lzma")):
        b = io.BytesIO()
        with zipfile.ZipFile(b, "w", comp) as z:  # CPython (and so np.load) reads these
            z.writestr("x.npy", npy_bytes(np.arange(10)))
        bad(f"method_{label}.zip", b.getvalue(), "NPG_E_ZIP_METHOD")
    ms = small_members()
    ms[0].method = 99  # WinZip AES
    bad("method_99.zip", build(ms), "NPG_E_ZIP_METHOD")


NAMES = [
    ("dotdot", b"../x.npy"), ("absolute", b"/abs.npy"), ("backslash", b"a\\b.npy"),
    ("drive", b"C:x.npy"), ("inner_dotdot", b"a/../../b.npy"), ("dot", b"./a.npy"),
    ("empty", b""), ("escape", b"a\x1b[31m.npy"), ("nul", b"a\x00b.npy"), ("newline", b"a\nb.npy"),
    ("del", b"a\x7f.npy"), ("long", b"n" * 252 + b".npy"), ("directory", b"d/"),
    ("double_slash", b"a//b.npy"), ("non_ascii_no_flag", "é.npy".encode("utf-8")),
]
UTF8_NAMES = [
    ("bad_utf8", b"\xff.npy"), ("overlong_slash", b"\xc0\xaf.npy"), ("c1_control", "a\u0085.npy".encode()),
    ("surrogate", b"\xed\xa0\x80.npy"), ("truncated_utf8", b"a\xe6\x95.npy"),
]


def bad_names(good):
    for label, name in NAMES:
        bad(f"name_{label}.zip", build([M(name, npy_bytes(np.arange(2)))]), "NPG_E_ZIP_NAME")
    for label, name in UTF8_NAMES:
        bad(f"name_{label}.zip", build([M(name, npy_bytes(np.arange(2)), flags=0x800)]), "NPG_E_ZIP_NAME")
    # zipfile itself writes traversal names when given a ZipInfo
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w") as z:
        z.writestr(zipfile.ZipInfo("../../etc/evil.npy"), npy_bytes(np.arange(2)))
    bad("name_zipfile_traversal.zip", b.getvalue(), "NPG_E_ZIP_NAME")
    c = npy_bytes(np.arange(2))
    bad("dup_exact.zip", build([M("a.npy", c), M("a.npy", c)]), "NPG_E_ZIP_DUPLICATE")
    # NumPy maps both to key "a" and serves the raw member "a" for both
    bad("dup_stripped.zip", build([M("a.npy", c), M("a", c)]), "NPG_E_ZIP_DUPLICATE")
    bad("dup_far_apart.zip", build([M("k.npy", c)] + [M(f"m{i}.npy", c) for i in range(20)] + [M("k", c)]),
        "NPG_E_ZIP_DUPLICATE")


def bad_extras(good):
    ms = small_members()
    ms[0].cd["extra"] = struct.pack("<HH", 0x5455, 9) + b"\1\2\3"
    bad("extra_cd_truncated.zip", build(ms), "NPG_E_ZIP_EXTRA")
    ms = small_members()
    ms[0].cd["extra"] = b"\x55"
    bad("extra_cd_partial_header.zip", build(ms), "NPG_E_ZIP_EXTRA")
    ts = struct.pack("<HHBI", 0x5455, 5, 1, 0)
    ms = small_members()
    ms[0].cd["extra"] = ts + ts
    bad("extra_cd_repeated.zip", build(ms), "NPG_E_ZIP_EXTRA")
    ms = small_members()
    ms[1].lh["extra"] = ts + ts
    bad("extra_lh_repeated.zip", build(ms), "NPG_E_ZIP_EXTRA")
    ms = small_members()  # Info-ZIP Unicode Path: a second name some tools display
    up = b"\1" + struct.pack("<I", zlib.crc32(b"a.npy")) + b"evil.npy"
    ms[0].cd["extra"] = struct.pack("<HH", 0x7075, len(up)) + up
    bad("extra_unicode_path.zip", build(ms), "NPG_E_ZIP_EXTRA")
    ms = small_members()
    ms[0].cd.update(usize=U32)  # a sentinel without the zip64 extra
    ms[0].lh.update(usize=U32, extra=zip64_extra(len(ms[0].content), len(ms[0].data)))
    bad("extra_zip64_missing.zip", build(ms), "NPG_E_ZIP_EXTRA")
    ms = small_members()
    m = ms[1]
    m.cd.update(usize=U32, extra=zip64_extra(len(m.content), len(m.data)))  # one sentinel, two values
    bad("extra_zip64_too_long.zip", build(ms), "NPG_E_ZIP_EXTRA")
    ms = small_members()
    m = ms[1]
    m.cd.update(usize=U32, csize=U32, extra=zip64_extra(len(m.content)))  # two sentinels, one value
    bad("extra_zip64_too_short.zip", build(ms), "NPG_E_ZIP_EXTRA")
    ms = small_members()
    ms[1].lh["extra"] = zip64_extra(len(ms[1].content))  # a local zip64 extra holds both sizes
    bad("extra_lh_zip64_8_bytes.zip", build(ms), "NPG_E_ZIP_EXTRA")
    ms = small_members()
    m = ms[1]  # NumPy-style local zip64 extra whose values contradict the 32-bit fields
    m.lh["extra"] = zip64_extra(len(m.content) + 1, len(m.data))
    bad("local_zip64_disagrees.zip", build(ms), "NPG_E_ZIP_LOCAL")


def bad_local(good):
    base = good["savez_keywords.npz"]
    lh = lh_offsets(base)[1]
    # picklescan CVE-2025-1944: the local name differs from the central one
    nl = struct.unpack_from("<H", base, lh + 26)[0]
    b = bytearray(base)
    b[lh + 30] ^= 0x20
    bad("local_name_differs.zip", bytes(b), "NPG_E_ZIP_LOCAL")
    bad("local_csize_differs.zip", patch(base, lh + 18, "<I", struct.unpack_from("<I", base, lh + 18)[0] - 1),
        "NPG_E_ZIP_LOCAL")
    bad("local_usize_differs.zip", patch(base, lh + 22, "<I", 7), "NPG_E_ZIP_LOCAL")
    bad("local_crc_differs.zip", patch(base, lh + 14, "<I", 0x12345678), "NPG_E_ZIP_LOCAL")
    bad("local_method_differs.zip", patch(base, lh + 8, "<H", 8), "NPG_E_ZIP_LOCAL")
    bad("local_signature.zip", patch(base, lh, "<I", 0x04034B51), "NPG_E_ZIP_LOCAL")
    bad("local_version.zip", patch(base, lh + 4, "<H", 63), "NPG_E_ZIP_LOCAL")
    assert nl > 0
    # zero sizes without the descriptor flag: a streaming reader finds no data at all
    ms = small_members()
    ms[1].lh.update(crc=0, csize=0, usize=0)
    bad("local_zero_sizes_no_descriptor.zip", build(ms), "NPG_E_ZIP_LOCAL")
    # with the flag, a local header must hold zeros or the real values, nothing else
    ms = small_members()
    m = ms[1]
    m.flags = 8
    m.lh.update(crc=0, csize=len(m.data), usize=0)
    m.descriptor = descriptor(m)
    bad("local_descriptor_partial_values.zip", build(ms), "NPG_E_ZIP_LOCAL")


def bad_descriptors(good):
    def dd(mut, sig=True, wide=False, which=1):
        ms = small_members()
        m = ms[which]
        m.flags = 8
        m.lh.update(crc=0, csize=0, usize=0)
        m.descriptor = descriptor(m, sig, wide)
        mut(m)
        return build(ms)

    def crc(m):
        m.descriptor = m.descriptor[:-12] + struct.pack("<I", m.crc ^ 1) + m.descriptor[-8:]

    def csize(m):
        m.descriptor = m.descriptor[:-8] + struct.pack("<II", len(m.data) + 1, len(m.content))

    def usize(m):
        m.descriptor = m.descriptor[:-4] + struct.pack("<I", len(m.content) - 1)

    def missing(m):
        m.descriptor = b""

    def wide(m):  # 64-bit sizes where the member has no zip64: the wrong width
        m.descriptor = descriptor(m, True, True)

    bad("descriptor_bad_crc.zip", dd(crc), "NPG_E_ZIP_DESCRIPTOR")
    bad("descriptor_bad_csize.zip", dd(csize), "NPG_E_ZIP_DESCRIPTOR")
    bad("descriptor_bad_usize.zip", dd(usize), "NPG_E_ZIP_DESCRIPTOR")
    bad("descriptor_nosig_bad_crc.zip", dd(crc, sig=False), "NPG_E_ZIP_DESCRIPTOR")
    bad("descriptor_missing.zip", dd(missing), "NPG_E_ZIP_DESCRIPTOR")
    bad("descriptor_missing_first.zip", dd(missing, which=0), "NPG_E_ZIP_DESCRIPTOR")
    bad("descriptor_wrong_width.zip", dd(wide), "NPG_E_ZIP_DESCRIPTOR")
    # NumPy's pipe output with a descriptor CRC flipped
    pipe = bytearray(good["savez_pipe.npz"])
    first_dd = pipe.index(struct.pack("<I", SIG_DD))
    pipe[first_dd + 4] ^= 1
    bad("descriptor_numpy_pipe_bad_crc.zip", bytes(pipe), "NPG_E_ZIP_DESCRIPTOR")
    # stored data holding a descriptor look-alike: a streaming reader would end the member there
    head = b"\x93NUMPY fake"
    inner = head + struct.pack("<IIII", SIG_DD, zlib.crc32(head), len(head), len(head)) + b"rest" * 10
    m = M("s.npy", inner, 0, flags=8)
    m.lh.update(crc=0, csize=0, usize=0)
    m.descriptor = descriptor(m)
    bad("descriptor_lookalike_in_stored_data.zip", build([m]), "NPG_E_ZIP_DESCRIPTOR")


def bad_layout(good):
    c = npy_bytes(np.arange(100))
    # Fifield's full overlap: many central records, one local header and one kernel
    kernel = M("k0.npy", npy_bytes(np.zeros(100000, np.uint8)), 8)
    extra = [(M(f"k{i}.npy", kernel.content, 8), 0) for i in range(1, 3)]
    bad("overlap_shared_kernel.zip", build([kernel], cd_extra_entries=extra), "NPG_E_ZIP_LAYOUT")
    extra = [(M(f"k{i}.npy", kernel.content, 8), 0) for i in range(1, 2000)]
    bad("overlap_shared_kernel_2000.zip", build([kernel], cd_extra_entries=extra), "NPG_E_ZIP_LAYOUT")
    # quoted overlap: entry 0's data covers entry 1's local header and data
    m1 = M("q1.npy", c)
    inner = local_header(m1) + m1.data
    m0 = M("q0.npy", c + inner)  # stored: its data quotes the next entry
    z = bytearray(local_header(m0) + m0.data)
    off1 = len(local_header(m0)) + len(c)
    cd = central_record(m0, 0) + central_record(m1, off1)
    z += cd + eocd(2, len(cd), len(z))
    bad("overlap_quoted.zip", bytes(z), "NPG_E_ZIP_LAYOUT")
    # the same with the compressed size stretched in both headers of a real NumPy archive
    base = good["savez_keywords.npz"]
    rec = cd_records(base)[0]
    lh = lh_offsets(base)[0]
    cs = struct.unpack_from("<I", base, rec + 20)[0]
    z = patch(patch(base, rec + 20, "<II", cs + 40, cs + 40), lh + 18, "<II", cs + 40, cs + 40)
    z = patch(z, lh + 30 + struct.unpack_from("<H", z, lh + 26)[0] + 4, "<QQ", cs + 40, cs + 40)
    bad("overlap_stretched_size.zip", z, "NPG_E_ZIP_LAYOUT")
    # a member hidden between two listed ones (seen by streaming readers only)
    ms = small_members()
    hidden = M("hidden.npy", c)
    ms[0].after = local_header(hidden) + hidden.data
    bad("layout_hidden_member.zip", build(ms), "NPG_E_ZIP_LAYOUT")
    ms = small_members()
    ms[1].after = local_header(hidden) + hidden.data
    bad("layout_hidden_before_cd.zip", build(ms), "NPG_E_ZIP_LAYOUT")
    ms = small_members()
    ms[1].after = b"\0"
    bad("layout_gap_before_cd.zip", build(ms), "NPG_E_ZIP_LAYOUT")
    # a central offset one byte off
    recs = cd_records(base)
    o = struct.unpack_from("<I", base, recs[2] + 42)[0]
    bad("layout_offset_off_by_one.zip", patch(base, recs[2] + 42, "<I", o + 1), "NPG_E_ZIP_LAYOUT")
    # sizes pointing past the end of the file
    ms = small_members()
    ms[1].lh.update(csize=1 << 30)
    ms[1].cd.update(csize=1 << 30)
    bad("layout_data_past_end.zip", build(ms), "NPG_E_ZIP_LAYOUT")


def bad_zip64(good):
    def z64(**kw):
        return build(small_members(), zip64=kw)

    bad("zip64_locator_offset.zip", z64(at=3), "NPG_E_ZIP_ZIP64")
    bad("zip64_record_size.zip", z64(size=45), "NPG_E_ZIP_ZIP64")
    bad("zip64_count_mismatch.zip", z64(n_disk=5, n=5), "NPG_E_ZIP_ZIP64")
    bad("zip64_counts_differ.zip", z64(n_disk=1), "NPG_E_ZIP_ZIP64")
    bad("zip64_disk.zip", z64(disk=1), "NPG_E_ZIP_ZIP64")
    bad("zip64_locator_disks.zip", z64(disks=2), "NPG_E_ZIP_ZIP64")
    bad("zip64_locator_disk.zip", z64(loc_disk=1), "NPG_E_ZIP_ZIP64")
    bad("zip64_bad_signature.zip", z64(sig=0x06064B51), "NPG_E_ZIP_ZIP64")
    bad("zip64_version.zip", z64(version=63), "NPG_E_ZIP_ZIP64")
    bad("zip64_cd_offset_past_end.zip", z64(eocd=(U16, U32, U32), cd_off=1 << 40), "NPG_E_ZIP_ZIP64")
    # an offset too small leaves bytes before the directory unaccounted for, as prepended data does
    bad("zip64_cd_offset_low.zip", z64(eocd=(U16, U32, U32), cd_off=1), "NPG_E_ZIP_LAYOUT")
    bad("zip64_size_disagrees_with_eocd.zip", z64(eocd=(2, 5, 0)), "NPG_E_ZIP_ZIP64")
    # the records of a real zipfile-made zip64 archive, damaged
    base = good["savez_zip64.npz"]
    e = eocd_pos(base)
    loc = e - 20
    bad("zip64_numpy_locator_moved.zip", patch(base, loc + 8, "<Q", struct.unpack_from("<Q", base, loc + 8)[0] - 1),
        "NPG_E_ZIP_ZIP64")
    rec = loc - 56
    bad("zip64_numpy_cd_size.zip", patch(base, rec + 40, "<Q", struct.unpack_from("<Q", base, rec + 40)[0] + 1),
        "NPG_E_ZIP_ZIP64")
    # a central zip64 offset pointing elsewhere
    recs = cd_records(base)
    last = recs[-1]
    nl, el = struct.unpack_from("<HH", base, last + 28)
    ext = last + 46 + nl
    if el >= 4 + 8 and struct.unpack_from("<I", base, last + 42)[0] == U32:
        o = struct.unpack_from("<Q", base, ext + 4 + el - 4 - 8)[0]
        bad("zip64_numpy_extra_offset.zip", patch(base, ext + 4 + el - 4 - 8, "<Q", o + 1), "NPG_E_ZIP_LAYOUT")


def bad_read(good):
    c = npy_bytes(np.arange(1000))
    m = M("s.npy", c)
    m.crc ^= 0xFFFF
    bad("read_stored_bad_crc.zip", build([m]), "NPG_E_ZIP_CRC", "read")
    m = M("d.npy", c, 8)
    m.crc ^= 1
    bad("read_deflated_bad_crc.zip", build([M("ok.npy", c), m]), "NPG_E_ZIP_CRC", "read")
    # NumPy never checks the CRC when the .npy ends before the member does
    m = M("t.npy", c + b"junk after the array", 8)
    good_crc = m.crc
    m.crc = zlib.crc32(c)
    assert good_crc != m.crc
    bad("read_trailing_junk_crc.zip", build([m]), "NPG_E_ZIP_CRC", "read")
    m = M("big.npy", c, 8)
    m.lh["usize"] = m.cd["usize"] = len(c) - 1  # inflates one byte past its declared size
    bad("read_inflates_past_size.zip", build([m]), "NPG_E_ZIP_SIZE", "read")
    m = M("short.npy", c, 8)
    m.lh["usize"] = m.cd["usize"] = len(c) + 1
    bad("read_inflates_short.zip", build([m]), "NPG_E_ZIP_INFLATE", "read")
    m = M("tail.npy", c, 8)
    m.data += b"\0\0\0"  # bytes after the final deflate block
    bad("read_bytes_after_stream.zip", build([m]), "NPG_E_ZIP_INFLATE", "read")
    m = M("cut.npy", c, 8)
    m.data = m.data[: len(m.data) // 2]  # sizes consistent, stream cut
    bad("read_stream_cut.zip", build([m]), "NPG_E_ZIP_INFLATE", "read")
    m = M("bad.npy", c, 8)
    m.data = b"\xff" * len(m.data)  # invalid block type
    bad("read_corrupt_stream.zip", build([m]), "NPG_E_ZIP_INFLATE", "read")
    m = M("empty_stream.npy", c, 8)
    m.data = b""
    bad("read_empty_stream.zip", build([m]), "NPG_E_LIMIT_RATIO", "read")
    # 100 MB of zeros declared honestly: ~1030:1, refused under a 100:1 cap before inflating
    zeros = savez_bytes(np.zeros(100 * 1000 * 1000, np.uint8), compressed=True)
    bad("read_ratio_bomb_honest.zip", zeros, "NPG_E_LIMIT_RATIO", "read", "max_ratio=100")
    # a member declaring 1 GiB from a 1 KB stream: above the default cap, nothing is inflated
    m = M("lie.npy", c, 8)
    m.lh["usize"] = m.cd["usize"] = 1 << 30
    bad("read_ratio_declared.zip", build([m]), "NPG_E_LIMIT_RATIO", "read")
    # the member is refused while inflating as well (declared sizes pass, the stream amplifies)
    zr = np.zeros(4 << 20, np.uint8).tobytes()
    m = M("burst.npy", zr + np.random.default_rng(4).bytes(300000), 8)
    bad("read_ratio_burst.zip", build([m]), "NPG_E_LIMIT_RATIO", "read", "max_ratio=20")


def write_out(out):
    good = good_archives()
    gdir, bdir = os.path.join(out, "good"), os.path.join(out, "bad")
    os.makedirs(gdir, exist_ok=True)
    os.makedirs(bdir, exist_ok=True)
    lines = []
    for name in sorted(good):
        with open(os.path.join(gdir, name), "wb") as f:
            f.write(good[name])
        lines += manifest_lines(name, good[name])
    with open(os.path.join(gdir, "MANIFEST"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    for fn in (bad_end_records, bad_central, bad_flags_methods, bad_names, bad_extras, bad_local,
               bad_descriptors, bad_layout, bad_zip64, bad_read):
        fn(good)
    names = set()
    with open(os.path.join(bdir, "EXPECT"), "w") as f:
        for name, data, stage, status, limits in BAD:
            assert name not in names, name
            names.add(name)
            with open(os.path.join(bdir, name), "wb") as g:
                g.write(data)
            f.write(f"{name}\t{stage}\t{status}\t{limits}\n")
    print(f"make_zip.py: {len(good)} accepted archives, {len(BAD)} hostile ones in {out}")


# ------------------------------------------------------------------ --check: NumPy reads our writer

def check_written(d):
    wdir = os.path.join(d, "written")
    files = sorted(f for f in os.listdir(wdir) if f.endswith(".npz"))
    if not files:
        sys.exit("make_zip.py --check: no .npz files in " + wdir)
    bad_count = 0
    for fn in files:
        path = os.path.join(wdir, fn)
        with zipfile.ZipFile(path) as z:
            broken = z.testzip()  # CPython's own CRC check of every member
            if broken is not None:
                print(f"{fn}: zipfile reports a bad member {broken}")
                bad_count += 1
        expect = {}
        with open(path[:-4] + ".expect", encoding="utf-8") as f:
            for line in f:
                key, descr, shape, fortran, crc, nbytes = line.rstrip("\n").split("\t")
                expect[key] = (descr, shape, fortran == "1", int(crc), int(nbytes))
        with np.load(path, allow_pickle=False) as npz:
            if sorted(npz.files) != sorted(expect):
                print(f"{fn}: keys {sorted(npz.files)} != {sorted(expect)}")
                bad_count += 1
                continue
            for key, (descr, shape, fortran, crc, nbytes) in expect.items():
                arr = npz[key]
                got_shape = ",".join(str(x) for x in arr.shape)
                is_f = arr.ndim > 1 and arr.flags.f_contiguous and not arr.flags.c_contiguous
                raw = arr.tobytes(order="F" if fortran else "C")
                if (arr.dtype.str, got_shape, is_f, zlib.crc32(raw), len(raw)) != (descr, shape, fortran, crc, nbytes):
                    print(f"{fn}[{key}]: got {arr.dtype.str} ({got_shape}) fortran={is_f} crc={zlib.crc32(raw)} "
                          f"len={len(raw)}, expected {descr} ({shape}) fortran={fortran} crc={crc} len={nbytes}")
                    bad_count += 1
    print(f"make_zip.py --check: {len(files)} archives, {bad_count} problems")
    sys.exit(1 if bad_count else 0)


# ------------------------------------------------------------------ benchmark helpers

def bench_archive(path, mb, stored=False):
    """Realistic compressibility: measurements rounded to 3 decimals, counters, labels, a mask."""
    rng = np.random.default_rng(3)
    arrays, total, i = {}, 0, 0
    while total < mb * 1000 * 1000:
        n = 1 << 21
        arrays[f"temperature_{i}"] = np.round(rng.normal(20, 5, n), 3)
        arrays[f"counts_{i}"] = rng.poisson(30, n).astype("<i8")
        arrays[f"ids_{i}"] = np.arange(i * n, (i + 1) * n, dtype="<i8")
        arrays[f"mask_{i}"] = rng.random(n) < 0.1
        total += sum(a.nbytes for a in list(arrays.values())[-4:])
        i += 1
    (np.savez if stored else np.savez_compressed)(path, **arrays)
    print(f"{path}: {len(arrays)} members, {total / 1e6:.1f} MB uncompressed, "
          f"{os.path.getsize(path) / 1e6:.1f} MB on disk")


def bench_numpy(path, repeat):
    with open(path, "rb") as f:
        data = f.read()
    best = None
    for _ in range(repeat):
        t = time.perf_counter()
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            for k in npz.files:
                npz[k]
        dt = time.perf_counter() - t
        best = dt if best is None else min(best, dt)
    print(f"numpy.load (BytesIO, every member): {best * 1000:.1f} ms (best of {repeat})")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out")
    ap.add_argument("--check")
    ap.add_argument("--bench-archive")
    ap.add_argument("--mb", type=int, default=100)
    ap.add_argument("--stored", action="store_true", help="np.savez instead of np.savez_compressed")
    ap.add_argument("--bench-numpy")
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    if a.out:
        write_out(a.out)
    elif a.check:
        check_written(a.check)
    elif a.bench_archive:
        bench_archive(a.bench_archive, a.mb, a.stored)
    elif a.bench_numpy:
        bench_numpy(a.bench_numpy, a.repeat)
    else:
        ap.error("one of --out, --check, --bench-archive, --bench-numpy")


if __name__ == "__main__":
    main()
