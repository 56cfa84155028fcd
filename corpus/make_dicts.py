#!/usr/bin/python3
"""Fuzzing dictionaries for libFuzzer and AFL++ (called by make_seeds.sh): fuzz/dict/*.dict.

AFL-style lines `name="value"`; the value is printable ASCII with \\\\, \\" and \\xNN escapes.
Opcodes and allowlisted globals are read from the sources (src/pickle/opcodes.h,
src/pickle/globals.c) so the dictionaries follow them; everything else is listed here.

  pickle.dict   every opcode byte, each allowlisted global (GLOBAL text, STACK_GLOBAL strings),
                some dangerous globals, dtype strings, common argument encodings
  npy.dict      magic, versions, header grammar tokens, type strings, structured descrs
  zip.dict      record signatures, extra-field ids, versions, methods, flags, names, deflate
                block prefixes, plus the npy tokens
  audit.dict    pickle + npy + zip tokens (deduplicated) plus CSV/JSON text tokens
  convert.dict  the pickle tokens

libFuzzer ignores entries longer than 64 bytes and AFL++ refuses ones above 128: every value
here is 1 to 64 bytes (checked by check_dicts.py).
"""
import os
import re
import sys

ROOT = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), ".."))
OUT = os.path.join(ROOT, "fuzz", "dict")
MAX_TOKEN = 64


def b(s):
    return s.encode("latin-1") if isinstance(s, str) else s


def ident(s):
    """A token name from arbitrary text."""
    n = re.sub(r"[^A-Za-z0-9_]+", "_", s.decode("latin-1") if isinstance(s, bytes) else s).strip("_")
    return n or "x"


# ------------------------------------------------------------------ from the sources

def read(rel):
    with open(os.path.join(ROOT, rel), encoding="utf-8") as f:
        return f.read()


def opcodes():
    ops = re.findall(r"X\((\w+), 0x([0-9a-fA-F]{2}),", read("src/pickle/opcodes.h"))
    assert len(ops) == 68, f"expected 68 opcodes in opcodes.h, found {len(ops)}"
    return [(name, int(byte, 16)) for name, byte in ops]


def allowlist():
    rows = re.findall(r'\{"([^"]+)", "([^"]+)", SYM_\w+\}', read("src/pickle/globals.c"))
    assert rows, "no allowlist rows found in globals.c"
    return rows


# ------------------------------------------------------------------ pickle

def pickle_tokens():
    t = []
    for name, byte in opcodes():
        t.append((f"op_{name}", bytes([byte])))
    t += [("proto2", b"\x80\x02"), ("proto3", b"\x80\x03"), ("proto4_frame", b"\x80\x04\x95"),
          ("proto5_frame", b"\x80\x05\x95"), ("frame_0", b"\x95" + bytes(8)), ("stop", b".")]

    rows = allowlist()
    modules, names = [], []
    for mod, name in rows:
        t.append((f"g_{ident(mod)}_{ident(name)}", b(f"{mod}\n{name}\n")))
        modules += [mod] if mod not in modules else []
        names += [name] if name not in names else []
    for s in modules + names:
        t.append((f"s_{ident(s)}", b(s)))
        # as protocol 4 writes the STACK_GLOBAL strings: SHORT_BINUNICODE, then MEMOIZE
        t.append((f"su_{ident(s)}", b"\x8c" + bytes([len(s)]) + b(s) + b"\x94"))
    t.append(("g_GLOBAL_reconstruct", b"cnumpy.core.multiarray\n_reconstruct\n"))

    # names that are not allowlisted: common in real files, or dangerous
    for mod, name in [("copyreg", "_reconstructor"), ("copy_reg", "_reconstructor"), ("builtins", "object"),
                      ("numpy.core.multiarray", "_reconstruct_x"), ("numpy", "core"),
                      ("torch._utils", "_rebuild_tensor_v2"), ("torch", "FloatStorage"),
                      ("os", "system"), ("posix", "system"), ("nt", "system"), ("subprocess", "Popen"),
                      ("builtins", "eval"), ("builtins", "exec"), ("builtins", "getattr"),
                      ("builtins", "__import__"), ("__builtin__", "eval"), ("runpy", "_run_code"),
                      ("os.path", "join"), ("osx", "system")]:
        t.append((f"x_{ident(mod)}_{ident(name)}", b(f"{mod}\n{name}\n")))
    for s in ["builtins", "__builtin__", "posix", "os", "sys", "pickle", "torch.hub", "latin1", "latin-1",
              "ascii", "utf-8", "bytes", "encoding", "__reduce__", "__setstate__"]:
        t.append((f"s_{ident(s)}", b(s)))
    t.append(("os_system_p0", b"cos\nsystem\n(S'echo hi'\ntR."))

    # dtype strings as pickled dtypes carry them (numpy dtype('f8', False, True), state tuple)
    for s in ["<f8", "|b1", "<i8", "O8", "O4", "U", "U3", "S5", "V4", "f8", "f4", "f2", "f16", "i1", "i2",
              "i4", "i8", "u1", "u2", "u4", "u8", "b1", "c8", "c16", "c32", "M8", "m8", "M8[ns]", "m8[D]",
              "<", ">", "|", "=", "C", "F"]:
        t.append((f"dt_{ident(s)}", b(s)))
    # common argument encodings
    t += [("short_bu_lt", b"\x8c\x01<"), ("short_bu_bar", b"\x8c\x01|"), ("bu_lt", b"X\x01\x00\x00\x00<"),
          ("short_bb_b", b"C\x01b"), ("short_bs_b", b"U\x01b"), ("bu_b", b"X\x01\x00\x00\x00b"),
          ("latin1_arg", b"\x8c\x06latin1"), ("binint_m1", b"J\xff\xff\xff\xff"), ("binint1_0", b"K\x00"),
          ("binint1_1", b"K\x01"), ("binint1_3", b"K\x03"), ("binint2_max", b"M\xff\xff"),
          ("dtype_state", b"K\x03\x8c\x01<NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00t"),
          ("long1_0", b"\x8a\x00"), ("long1_big", b"\x8a\x09\xff\xff\xff\xff\xff\xff\xff\xff\x7f"),
          ("binfloat_1", b"G?\xf0\x00\x00\x00\x00\x00\x00"), ("binput0", b"q\x00"), ("binget0", b"h\x00"),
          ("lbinput0", b"r\x00\x00\x00\x00"), ("lbinget_big", b"j\xff\xff\xff\x7f"),
          ("p0_true", b"I01\n"), ("p0_false", b"I00\n"), ("p0_int", b"I3\n"), ("p0_long", b"L12345L\n"),
          ("p0_float", b"F1.5\n"), ("p0_str", b"S'a'\n"), ("p0_unicode", b"V\\u00e9\n"), ("p0_put", b"p0\n"),
          ("p0_get", b"g0\n"), ("p0_list", b"(lp0\n"), ("p0_dict", b"(dp0\n"), ("p0_tuple", b"(t"),
          ("len_ff4", b"\xff\xff\xff\xff"), ("len_7f4", b"\xff\xff\xff\x7f"), ("len_80_4", b"\x00\x00\x00\x80"),
          ("len_ff8", b"\xff" * 8), ("len_zero8", bytes(8)),
          ("bytearray8_0", b"\x96" + bytes(8)), ("oob_buffer", b"\x97\x98")]
    return t


# ------------------------------------------------------------------ npy

DT_UNITS = ["Y", "M", "W", "D", "h", "m", "s", "ms", "us", "ns", "ps", "fs", "as", "generic"]


def npy_tokens():
    t = [("npy_magic", b"\x93NUMPY"), ("npy_v1", b"\x01\x00"), ("npy_v2", b"\x02\x00"), ("npy_v3", b"\x03\x00"),
         ("npy_v4", b"\x04\x00"), ("npy_v1_1", b"\x01\x01"), ("npy_prefix_v1", b"\x93NUMPY\x01\x00v\x00"),
         ("npy_prefix_v2", b"\x93NUMPY\x02\x00t\x00\x00\x00"), ("npy_prefix_v3", b"\x93NUMPY\x03\x00t\x00\x00\x00"),
         ("npy_hlen_118", b"v\x00"), ("npy_hlen_max2", b"\xff\xff"), ("npy_hlen_max4", b"\xff\xff\xff\xff"),
         ("npy_open_descr", b"{'descr': "), ("npy_key_fortran", b"'fortran_order': "), ("npy_false", b"False"),
         ("npy_true", b"True"), ("npy_key_shape", b"'shape': "), ("npy_lparen", b"("), ("npy_rparen", b")"),
         ("npy_comma", b","), ("npy_comma_sp", b", "), ("npy_close", b"}"), ("npy_close_sp", b"}  "),
         ("npy_nl", b"\x0a"), ("npy_sp", b" "), ("npy_pad16", b" " * 16), ("npy_end", b", }" + b" " * 8 + b"\n"),
         ("npy_shape_0d", b"()"), ("npy_shape_1", b"(3,)"), ("npy_shape_0", b"(0,)"), ("npy_shape_2", b"(2, 3)"),
         ("npy_shape_3", b"(2, 0, 3)"), ("npy_one_comma", b",)"), ("npy_lbracket", b"["), ("npy_rbracket", b"]"),
         ("npy_q", b"'"), ("npy_dq", b'"'), ("npy_esc_x", b"\\x"), ("npy_esc_u", b"\\u"), ("npy_esc_U", b"\\U"),
         ("npy_esc_q", b"\\'"), ("npy_esc_t", b"\\t"), ("npy_esc_n", b"\\n"), ("npy_esc_bs", b"\\\\"),
         ("npy_esc_a", b"\\a"), ("npy_esc_x00", b"\\x00"), ("npy_esc_u200b", b"\\u200b"),
         ("npy_esc_maxcp", b"\\U0010ffff"), ("npy_esc_toobig", b"\\U00110000"),
         ("npy_latin1_e9", b"\xe9"), ("npy_utf8_e9", b"\xc3\xa9"), ("npy_utf8_cjk", b"\xe6\x95\xb4"),
         ("npy_c1_85", b"\x85"), ("npy_nbsp", b"\xa0"), ("npy_tab", b"\t"),
         ("npy_i64max", b"9223372036854775807"), ("npy_i64max1", b"9223372036854775808"),
         ("npy_u64max", b"18446744073709551615"), ("npy_zero", b"0"), ("npy_lead0", b"01"), ("npy_Lsuffix", b"3L"),
         ("npy_underscore", b"1_0"), ("npy_hex", b"0x2"), ("npy_float", b"1.0"),
         ("npy_header_f8", b"{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }"),
         ("npy_header_fortran", b"'fortran_order': True, "),
         ("npy_dup_key", b"'descr': '<f8', "), ("npy_comment", b"# c")]
    typestrs = ["|b1", "|i1", "|u1", "<i2", ">i2", "<u2", ">u2", "<i4", ">i4", "<u4", ">u4", "<i8", ">i8", "<u8",
                ">u8", "<f2", ">f2", "<f4", ">f4", "<f8", ">f8", "<f16", "<c8", ">c8", "<c16", ">c16", "<c32",
                "|S5", "|S0", "|S1", "<U3", ">U3", "<U0", "|V4", "|V0", "|V16", "|O", "|O8", "<M8", "<m8",
                "<M8[ns]", ">M8[ns]", "<M8[D]", "<M8[us]", "<m8[D]", "<m8[s]", "<m8[25s]", "<M8[10ms]",
                "<f12", "<c24", "|f8", "<b1", "=f8", "<i3", "<U", "|V"]
    for s in typestrs:
        t.append((f"ts_{ident(s)}", b(f"'{s}'")))
    for u in DT_UNITS:
        t.append((f"unit_{u}", b(f"[{u}]")))
    for s in ["[('a', '<i4'), ('b', '<f8')]", "[('x', '<i4', (2,))]", "[('a', [('x', '<i2')])]",
              "(('aa', 'a'), '<i4')", "('', '|V3')", "('', '|V1')", "[('', '|V8')]", "[]",
              "[('c', ('<f8', (5,)), (2,))]", "('<f8', (2,))", "[('', '<i4')]", "[('a', '|b1')]",
              "('a', '|O')", "[('\\xe9', '<i4')]", "\"it's\""]:
        t.append((f"descr_{ident(s)}", b(s)))
    return t


# ------------------------------------------------------------------ zip

def zip_tokens():
    t = [("zip_local", b"PK\x03\x04"), ("zip_central", b"PK\x01\x02"), ("zip_eocd", b"PK\x05\x06"),
         ("zip_eocd64", b"PK\x06\x06"), ("zip_loc64", b"PK\x06\x07"), ("zip_desc", b"PK\x07\x08"),
         ("zip_pk", b"PK"), ("zip_spanned", b"PK\x07\x08PK\x03\x04"), ("zip_digsig", b"PK\x05\x05"),
         ("zip_eocd_1", b"PK\x05\x06\x00\x00\x00\x00\x01\x00\x01\x00"),
         ("zip_loc64_body", b"PK\x06\x07\x00\x00\x00\x00"),
         ("x_zip64", b"\x01\x00"), ("x_zip64_16", b"\x01\x00\x10\x00"), ("x_zip64_8", b"\x01\x00\x08\x00"),
         ("x_zip64_24", b"\x01\x00\x18\x00"), ("x_zip64_28", b"\x01\x00\x1c\x00"), ("x_upath", b"up"),
         ("x_upath_hdr", b"up\x0a\x00\x01"), ("x_strong", b"\x17\x00"), ("x_aes", b"\x01\x99"),
         ("x_ntfs", b"\x0a\x00"), ("x_time", b"UT"), ("x_unix", b"ux"), ("x_torch_pad", b"FB"),
         ("v_10", b"\x0a\x00"), ("v_20", b"\x14\x00"), ("v_45", b"\x2d\x00"), ("v_63", b"\x3f\x00"),
         ("made_unix20", b"\x14\x03"), ("made_unix45", b"\x2d\x03"), ("made_dos", b"\x14\x00"),
         ("m_stored", b"\x00\x00"), ("m_deflate", b"\x08\x00"), ("m_deflate64", b"\x09\x00"),
         ("m_bzip2", b"\x0c\x00"), ("m_lzma", b"\x0e\x00"), ("m_zstd", b"\x5d\x00"), ("m_aes", b"\x63\x00"),
         ("f_encrypted", b"\x01\x00"), ("f_descriptor", b"\x08\x00"), ("f_utf8", b"\x00\x08"),
         ("f_desc_utf8", b"\x08\x08"), ("f_strong", b"\x41\x00"),
         ("date_1980", b"\x00\x00\x21\x00"), ("attr_0600", b"\x00\x00\x80\x01"), ("attr_dir", b"\x10\x00\xed\x41"),
         ("attr_symlink", b"\x00\x00\xff\xa1"), ("u16_max", b"\xff\xff"), ("u32_max", b"\xff\xff\xff\xff"),
         ("u32_max1", b"\xfe\xff\xff\xff"), ("u64_max", b"\xff" * 8), ("u64_4g", b"\x00\x00\x00\x00\x01\x00\x00\x00"),
         ("zero4", bytes(4)), ("n_npy", b".npy"), ("n_arr0", b"arr_0.npy"), ("n_a", b"a.npy"), ("n_dir", b"a/"),
         ("n_data_pkl", b"data.pkl"), ("n_archive", b"archive/data.pkl"), ("n_version", b"archive/version"),
         ("n_dotdot", b"../"), ("n_abs", b"/etc/"), ("n_bslash", b"\\"), ("n_drive", b"C:"), ("n_nul", b"\x00"),
         ("n_utf8", b"\xc3\xa9.npy"), ("n_upper", b"A.NPY"), ("n_npz", b".npz"), ("n_txt", b"a.txt"),
         ("d_fixed_empty", b"\x03\x00"), ("d_stored_final", b"\x01\x00\x00\xff\xff"),
         ("d_stored", b"\x00\x00\x00\xff\xff"), ("d_dynamic", b"\x05"), ("d_zlib_hdr", b"\x78\x9c"),
         ("d_bad_len", b"\x01\x01\x00\x00\x00")]
    return t + npy_tokens()


# ------------------------------------------------------------------ text (audit)

def text_tokens():
    return [("t_hash", b"# "), ("t_comma", b","), ("t_tab", b"\t"), ("t_crlf", b"\r\n"), ("t_nl", b"\n"),
            ("t_sci", b"0.000000000000000000e+00"), ("t_sci_neg", b"-1.500000000000000000e+00"),
            ("t_nan", b"nan"), ("t_inf", b"-inf"), ("j_obj", b'{"'), ("j_colon", b'": '), ("j_lbr", b"["),
            ("j_rbr", b"]"), ("j_true", b"true"), ("j_false", b"false"), ("j_null", b"null"), ("j_exp", b"1e+308"),
            ("j_NaN", b"NaN"), ("j_Inf", b"Infinity"), ("j_u0000", b"\\u0000"), ("j_surrogate", b"\\ud800"),
            ("j_esc", b'\\"'), ("t_bom", b"\xef\xbb\xbf"), ("t_utf8_bad", b"\xc3\x28"), ("t_nul", b"\x00"),
            ("t_del", b"\x7f")]


# ------------------------------------------------------------------ output

def escape(v):
    out = []
    for c in v:
        if c == 0x5C:
            out.append("\\\\")
        elif c == 0x22:
            out.append('\\"')
        elif 0x20 <= c < 0x7F:
            out.append(chr(c))
        else:
            out.append(f"\\x{c:02x}")
    return "".join(out)


def write(name, header, tokens):
    seen_v, seen_n, lines = set(), set(), []
    for n, v in tokens:
        assert 1 <= len(v) <= MAX_TOKEN, (name, n, v)
        if v in seen_v:
            continue
        k, base = n, n
        i = 2
        while k in seen_n:
            k, i = f"{base}_{i}", i + 1
        seen_v.add(v)
        seen_n.add(k)
        lines.append(f'{k}="{escape(v)}"')
    with open(os.path.join(OUT, name), "w", encoding="ascii", newline="\n") as f:
        f.write(f"# {header}\n# Generated by corpus/make_dicts.py (run corpus/make_seeds.sh); do not edit.\n")
        f.write("\n".join(lines) + "\n")
    print(f"fuzz/dict/{name}: {len(lines)} tokens")


def main():
    os.makedirs(OUT, exist_ok=True)
    p, n, z = pickle_tokens(), npy_tokens(), zip_tokens()
    write("pickle.dict", "pickle VM: opcodes, allowlisted and dangerous globals, dtype strings", p)
    write("npy.dict", ".npy: magic, versions, header grammar, type strings, structured descrs", n)
    write("zip.dict", "zip/.npz: records, extra fields, methods, flags, names, deflate blocks, npy tokens", z)
    write("audit.dict", "audit: pickle + npy + zip tokens, and CSV/JSON text tokens", p + z + text_tokens())
    write("convert.dict", "convert: the pickle tokens", p)


if __name__ == "__main__":
    main()
