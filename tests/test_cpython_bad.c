/* CPython's own bad-pickle material (Lib/test/pickletester.py, AbstractUnpickleTests) run through
 * npguard's restricted VM. Every input is written out here as a byte literal with the name of the
 * CPython test it comes from; the tests were re-typed from pickletester's lists, not imported.
 *
 * For each input: the exact status in decode mode, the offset and opcode of the error, and the
 * scan-mode status (with its offset). CPython only asserts "some exception"; npguard must say
 * which class of problem it met:
 *   - stack underflow, or a fixed-arity opcode that would eat a MARK: NPG_E_STACK;
 *   - an opcode that needs a MARK and finds none: NPG_E_MARK;
 *   - STOP with anything but exactly one object and no MARK: NPG_E_STOP (its own code);
 *   - input that ends inside an opcode or before STOP: NPG_E_TRUNCATED;
 *   - STRING quoting and escapes, INT text: NPG_E_SYNTAX;
 *   - memo GET of an unset index, negative PUT: NPG_E_MEMO; an index past max_memo: NPG_E_LIMIT_MEMO.
 *
 * Many CPython inputs use `cbuiltins\nlist\n` (or ValueError, int, len) only as "some callable".
 * Our allowlist refuses that GLOBAL before the stack error the CPython test is about, so decode
 * says NPG_E_GLOBAL at offset 0. Scan mode, which follows CPython's unpickler, records the
 * refusal as a finding, keeps a placeholder, and then must hit the very error CPython's test
 * targets: the scan column asserts it (or, where only npguard's strict grammar refuses, the
 * first NPG100 finding carrying that status). Likewise INST/OBJ/NEWOBJ/NEWOBJ_EX are refused as
 * opcodes (NPG_E_FORBIDDEN_OPCODE) in decode mode; scan mode runs them as CPython would. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "npguard.h"
#include "testutil.h"

typedef struct bad_case {
    const char *test; /* the CPython test the input comes from */
    const char *data;
    size_t len;
    int dcode;        /* decode: status */
    uint64_t doff;    /*         error offset */
    int dop;          /*         error opcode (-1: none, e.g. input ended between opcodes) */
    int scode;        /* scan: status */
    int64_t soff;     /*       error offset (-1 with NPG_OK) */
} bad_case;

static const bad_case bad_cases[] = {
/* test_bad_stack */
    {"test_bad_stack", ".", 1, NPG_E_STOP, 0, 0x2e, NPG_E_STOP, 0},
    {"test_bad_stack", "0", 1, NPG_E_STACK, 0, 0x30, NPG_E_STACK, 0},
    {"test_bad_stack", "1", 1, NPG_E_MARK, 0, 0x31, NPG_E_MARK, 0},
    {"test_bad_stack", "2", 1, NPG_E_STACK, 0, 0x32, NPG_E_STACK, 0},
    {"test_bad_stack", "(2", 2, NPG_E_STACK, 1, 0x32, NPG_E_STACK, 1},
    {"test_bad_stack", "R", 1, NPG_E_STACK, 0, 0x52, NPG_E_STACK, 0},
    {"test_bad_stack", ")R", 2, NPG_E_STACK, 1, 0x52, NPG_E_STACK, 1},
    {"test_bad_stack", "a", 1, NPG_E_STACK, 0, 0x61, NPG_E_STACK, 0},
    {"test_bad_stack", "Na", 2, NPG_E_STACK, 1, 0x61, NPG_E_STACK, 1},
    {"test_bad_stack", "b", 1, NPG_E_STACK, 0, 0x62, NPG_E_STACK, 0},
    {"test_bad_stack", "Nb", 2, NPG_E_STACK, 1, 0x62, NPG_E_STACK, 1},
    {"test_bad_stack", "d", 1, NPG_E_MARK, 0, 0x64, NPG_E_MARK, 0},
    {"test_bad_stack", "e", 1, NPG_E_MARK, 0, 0x65, NPG_E_MARK, 0},
    {"test_bad_stack", "(e", 2, NPG_E_STACK, 1, 0x65, NPG_E_STACK, 1},
    {"test_bad_stack", "ibuiltins\nlist\n", 15, NPG_E_FORBIDDEN_OPCODE, 0, 0x69, NPG_E_MARK, 0},
    {"test_bad_stack", "l", 1, NPG_E_MARK, 0, 0x6c, NPG_E_MARK, 0},
    {"test_bad_stack", "o", 1, NPG_E_FORBIDDEN_OPCODE, 0, 0x6f, NPG_E_MARK, 0},
    /* OBJ pops the MARK and then needs the class: nothing is there. Scan mode must report the
     * stack underflow, as CPython does, instead of accepting an empty OBJ. */
    {"test_bad_stack", "(o", 2, NPG_E_FORBIDDEN_OPCODE, 1, 0x6f, NPG_E_STACK, 1},
    {"test_bad_stack", "p1\n", 3, NPG_E_STACK, 0, 0x70, NPG_E_STACK, 0},
    {"test_bad_stack", "q\x00", 2, NPG_E_STACK, 0, 0x71, NPG_E_STACK, 0},
    {"test_bad_stack", "r\x00\x00\x00\x00", 5, NPG_E_STACK, 0, 0x72, NPG_E_STACK, 0},
    {"test_bad_stack", "s", 1, NPG_E_STACK, 0, 0x73, NPG_E_STACK, 0},
    {"test_bad_stack", "Ns", 2, NPG_E_STACK, 1, 0x73, NPG_E_STACK, 1},
    {"test_bad_stack", "NNs", 3, NPG_E_STACK, 2, 0x73, NPG_E_STACK, 2},
    {"test_bad_stack", "t", 1, NPG_E_MARK, 0, 0x74, NPG_E_MARK, 0},
    {"test_bad_stack", "u", 1, NPG_E_MARK, 0, 0x75, NPG_E_MARK, 0},
    {"test_bad_stack", "(u", 2, NPG_E_STACK, 1, 0x75, NPG_E_STACK, 1},
    {"test_bad_stack", "}(Nu", 4, NPG_E_STACK, 3, 0x75, NPG_E_STACK, 3},
    {"test_bad_stack", "\x81", 1, NPG_E_FORBIDDEN_OPCODE, 0, 0x81, NPG_E_STACK, 0},
    {"test_bad_stack", ")\x81", 2, NPG_E_FORBIDDEN_OPCODE, 1, 0x81, NPG_E_STACK, 1},
    {"test_bad_stack", "\x85", 1, NPG_E_STACK, 0, 0x85, NPG_E_STACK, 0},
    {"test_bad_stack", "\x86", 1, NPG_E_STACK, 0, 0x86, NPG_E_STACK, 0},
    {"test_bad_stack", "N\x86", 2, NPG_E_STACK, 1, 0x86, NPG_E_STACK, 1},
    {"test_bad_stack", "\x87", 1, NPG_E_STACK, 0, 0x87, NPG_E_STACK, 0},
    {"test_bad_stack", "N\x87", 2, NPG_E_STACK, 1, 0x87, NPG_E_STACK, 1},
    {"test_bad_stack", "NN\x87", 3, NPG_E_STACK, 2, 0x87, NPG_E_STACK, 2},
    {"test_bad_stack", "\x90", 1, NPG_E_MARK, 0, 0x90, NPG_E_MARK, 0},
    {"test_bad_stack", "(\x90", 2, NPG_E_STACK, 1, 0x90, NPG_E_STACK, 1},
    {"test_bad_stack", "\x91", 1, NPG_E_MARK, 0, 0x91, NPG_E_MARK, 0},
    {"test_bad_stack", "\x92", 1, NPG_E_FORBIDDEN_OPCODE, 0, 0x92, NPG_E_STACK, 0},
    {"test_bad_stack", ")}\x92", 3, NPG_E_FORBIDDEN_OPCODE, 2, 0x92, NPG_E_STACK, 2},
    {"test_bad_stack", "\x93", 1, NPG_E_STACK, 0, 0x93, NPG_E_STACK, 0},
    {"test_bad_stack", "Vlist\n\x93", 7, NPG_E_STACK, 6, 0x93, NPG_E_STACK, 6},
    {"test_bad_stack", "\x94", 1, NPG_E_STACK, 0, 0x94, NPG_E_STACK, 0},
/* test_bad_mark */
    {"test_bad_mark", "N(.", 3, NPG_E_STOP, 2, 0x2e, NPG_E_STOP, 2},
    {"test_bad_mark", "N(2", 3, NPG_E_STACK, 2, 0x32, NPG_E_STACK, 2},
    {"test_bad_mark", "cbuiltins\nlist\n)(R", 18, NPG_E_GLOBAL, 0, 0x63, NPG_E_STACK, 17},
    {"test_bad_mark", "cbuiltins\nlist\n()R", 18, NPG_E_GLOBAL, 0, 0x63, NPG_E_STACK, 17},
    {"test_bad_mark", "]N(a", 4, NPG_E_STACK, 3, 0x61, NPG_E_STACK, 3},
    {"test_bad_mark", "cbuiltins\nValueError\n)R}(b", 26, NPG_E_GLOBAL, 0, 0x63, NPG_E_STACK, 25},
    {"test_bad_mark", "cbuiltins\nValueError\n)R(}b", 26, NPG_E_GLOBAL, 0, 0x63, NPG_E_STACK, 25},
    {"test_bad_mark", "(Nd", 3, NPG_E_STACK, 2, 0x64, NPG_E_STACK, 2},
    {"test_bad_mark", "N(p1\n", 5, NPG_E_STACK, 2, 0x70, NPG_E_STACK, 2},
    {"test_bad_mark", "N(q\x00", 4, NPG_E_STACK, 2, 0x71, NPG_E_STACK, 2},
    {"test_bad_mark", "N(r\x00\x00\x00\x00", 7, NPG_E_STACK, 2, 0x72, NPG_E_STACK, 2},
    {"test_bad_mark", "}NN(s", 5, NPG_E_STACK, 4, 0x73, NPG_E_STACK, 4},
    {"test_bad_mark", "}N(Ns", 5, NPG_E_STACK, 4, 0x73, NPG_E_STACK, 4},
    {"test_bad_mark", "}(NNs", 5, NPG_E_STACK, 4, 0x73, NPG_E_STACK, 4},
    {"test_bad_mark", "}((u", 4, NPG_E_STACK, 3, 0x75, NPG_E_STACK, 3},
    {"test_bad_mark", "cbuiltins\nlist\n)(\x81", 18, NPG_E_GLOBAL, 0, 0x63, NPG_E_STACK, 17},
    {"test_bad_mark", "cbuiltins\nlist\n()\x81", 18, NPG_E_GLOBAL, 0, 0x63, NPG_E_STACK, 17},
    {"test_bad_mark", "N(\x85", 3, NPG_E_STACK, 2, 0x85, NPG_E_STACK, 2},
    {"test_bad_mark", "NN(\x86", 4, NPG_E_STACK, 3, 0x86, NPG_E_STACK, 3},
    {"test_bad_mark", "N(N\x86", 4, NPG_E_STACK, 3, 0x86, NPG_E_STACK, 3},
    {"test_bad_mark", "NNN(\x87", 5, NPG_E_STACK, 4, 0x87, NPG_E_STACK, 4},
    {"test_bad_mark", "NN(N\x87", 5, NPG_E_STACK, 4, 0x87, NPG_E_STACK, 4},
    {"test_bad_mark", "N(NN\x87", 5, NPG_E_STACK, 4, 0x87, NPG_E_STACK, 4},
    {"test_bad_mark", "]((\x90", 4, NPG_E_STACK, 3, 0x90, NPG_E_STACK, 3},
    {"test_bad_mark", "cbuiltins\nlist\n)}(\x92", 19, NPG_E_GLOBAL, 0, 0x63, NPG_E_STACK, 18},
    {"test_bad_mark", "cbuiltins\nlist\n)(}\x92", 19, NPG_E_GLOBAL, 0, 0x63, NPG_E_STACK, 18},
    {"test_bad_mark", "cbuiltins\nlist\n()}\x92", 19, NPG_E_GLOBAL, 0, 0x63, NPG_E_STACK, 18},
    {"test_bad_mark", "Vbuiltins\n(Vlist\n\x93", 18, NPG_E_STACK, 17, 0x93, NPG_E_STACK, 17},
    {"test_bad_mark", "Vbuiltins\nVlist\n(\x93", 18, NPG_E_STACK, 17, 0x93, NPG_E_STACK, 17},
    {"test_bad_mark", "N(\x94", 3, NPG_E_STACK, 2, 0x94, NPG_E_STACK, 2},
/* test_truncated_data */
    {"test_truncated_data", "", 0, NPG_E_TRUNCATED, 0, -1, NPG_E_TRUNCATED, 0},
    {"test_truncated_data", "N", 1, NPG_E_TRUNCATED, 1, -1, NPG_E_TRUNCATED, 1},
    {"test_truncated_data", "B", 1, NPG_E_TRUNCATED, 0, 0x42, NPG_E_TRUNCATED, 0},
    {"test_truncated_data", "B\x03\x00\x00", 4, NPG_E_TRUNCATED, 0, 0x42, NPG_E_TRUNCATED, 0},
    {"test_truncated_data", "B\x03\x00\x00\x00", 5, NPG_E_TRUNCATED, 0, 0x42, NPG_E_TRUNCATED, 0},
    {"test_truncated_data", "B\x03\x00\x00\x00" "ab", 7, NPG_E_TRUNCATED, 0, 0x42, NPG_E_TRUNCATED, 0},
    {"test_truncated_data", "C", 1, NPG_E_TRUNCATED, 0, 0x43, NPG_E_TRUNCATED, 0},
    {"test_truncated_data", "C\x03", 2, NPG_E_TRUNCATED, 0, 0x43, NPG_E_TRUNCATED, 0},
    {"test_truncated_data", "C\x03" "ab", 4, NPG_E_TRUNCATED, 0, 0x43, NPG_E_TRUNCATED, 0},
    {"test_truncated_data", "F", 1, NPG_E_TRUNCATED, 0, 0x46, NPG_E_TRUNCATED, 0},
    {"test_truncated_data", "F0.0", 4, NPG_E_TRUNCATED, 0, 0x46, NPG_E_TRUNCATED, 0},
    {"test_truncated_data", "F0.00", 5, NPG_E_TRUNCATED, 0, 0x46, NPG_E_TRUNCATED, 0},
    {"test_truncated_data", "G", 1, NPG_E_TRUNCATED, 0, 0x47, NPG_E_TRUNCATED, 0},
    {"test_truncated_data", "G\x00\x00\x00\x00\x00\x00\x00", 8, NPG_E_TRUNCATED, 0, 0x47, NPG_E_TRUNCATED, 0},
    {"test_truncated_data", "I", 1, NPG_E_TRUNCATED, 0, 0x49, NPG_E_TRUNCATED, 0},
    {"test_truncated_data", "I0", 2, NPG_E_TRUNCATED, 0, 0x49, NPG_E_TRUNCATED, 0},
    {"test_truncated_data", "J", 1, NPG_E_TRUNCATED, 0, 0x4a, NPG_E_TRUNCATED, 0},
    {"test_truncated_data", "J\x00\x00\x00", 4, NPG_E_TRUNCATED, 0, 0x4a, NPG_E_TRUNCATED, 0},
    {"test_truncated_data", "K", 1, NPG_E_TRUNCATED, 0, 0x4b, NPG_E_TRUNCATED, 0},
    {"test_truncated_data", "L", 1, NPG_E_TRUNCATED, 0, 0x4c, NPG_E_TRUNCATED, 0},
    {"test_truncated_data", "L0", 2, NPG_E_TRUNCATED, 0, 0x4c, NPG_E_TRUNCATED, 0},
    {"test_truncated_data", "L10", 3, NPG_E_TRUNCATED, 0, 0x4c, NPG_E_TRUNCATED, 0},
    {"test_truncated_data", "L0L", 3, NPG_E_TRUNCATED, 0, 0x4c, NPG_E_TRUNCATED, 0},
    {"test_truncated_data", "L10L", 4, NPG_E_TRUNCATED, 0, 0x4c, NPG_E_TRUNCATED, 0},
    {"test_truncated_data", "M", 1, NPG_E_TRUNCATED, 0, 0x4d, NPG_E_TRUNCATED, 0},
    {"test_truncated_data", "M\x00", 2, NPG_E_TRUNCATED, 0, 0x4d, NPG_E_TRUNCATED, 0},
    {"test_truncated_data", "S", 1, NPG_E_TRUNCATED, 0, 0x53, NPG_E_TRUNCATED, 0},
    {"test_truncated_data", "S'abc'", 6, NPG_E_TRUNCATED, 0, 0x53, NPG_E_TRUNCATED, 0},
    {"test_truncated_data", "T", 1, NPG_E_TRUNCATED, 0, 0x54, NPG_E_TRUNCATED, 0},
    {"test_truncated_data", "T\x03\x00\x00", 4, NPG_E_TRUNCATED, 0, 0x54, NPG_E_TRUNCATED, 0},
    {"test_truncated_data", "T\x03\x00\x00\x00", 5, NPG_E_TRUNCATED, 0, 0x54, NPG_E_TRUNCATED, 0},
    {"test_truncated_data", "T\x03\x00\x00\x00" "ab", 7, NPG_E_TRUNCATED, 0, 0x54, NPG_E_TRUNCATED, 0},
    {"test_truncated_data", "U", 1, NPG_E_TRUNCATED, 0, 0x55, NPG_E_TRUNCATED, 0},
    {"test_truncated_data", "U\x03", 2, NPG_E_TRUNCATED, 0, 0x55, NPG_E_TRUNCATED, 0},
    {"test_truncated_data", "U\x03" "ab", 4, NPG_E_TRUNCATED, 0, 0x55, NPG_E_TRUNCATED, 0},
    {"test_truncated_data", "V", 1, NPG_E_TRUNCATED, 0, 0x56, NPG_E_TRUNCATED, 0},
    {"test_truncated_data", "Vabc", 4, NPG_E_TRUNCATED, 0, 0x56, NPG_E_TRUNCATED, 0},
    {"test_truncated_data", "X", 1, NPG_E_TRUNCATED, 0, 0x58, NPG_E_TRUNCATED, 0},
    {"test_truncated_data", "X\x03\x00\x00", 4, NPG_E_TRUNCATED, 0, 0x58, NPG_E_TRUNCATED, 0},
    {"test_truncated_data", "X\x03\x00\x00\x00", 5, NPG_E_TRUNCATED, 0, 0x58, NPG_E_TRUNCATED, 0},
    {"test_truncated_data", "X\x03\x00\x00\x00" "ab", 7, NPG_E_TRUNCATED, 0, 0x58, NPG_E_TRUNCATED, 0},
    {"test_truncated_data", "(c", 2, NPG_E_TRUNCATED, 1, 0x63, NPG_E_TRUNCATED, 1},
    {"test_truncated_data", "(cbuiltins", 10, NPG_E_TRUNCATED, 1, 0x63, NPG_E_TRUNCATED, 1},
    {"test_truncated_data", "(cbuiltins\n", 11, NPG_E_TRUNCATED, 1, 0x63, NPG_E_TRUNCATED, 1},
    {"test_truncated_data", "(cbuiltins\nlist", 15, NPG_E_TRUNCATED, 1, 0x63, NPG_E_TRUNCATED, 1},
    {"test_truncated_data", "Ng", 2, NPG_E_TRUNCATED, 1, 0x67, NPG_E_TRUNCATED, 1},
    {"test_truncated_data", "Ng0", 3, NPG_E_TRUNCATED, 1, 0x67, NPG_E_TRUNCATED, 1},
    {"test_truncated_data", "(i", 2, NPG_E_TRUNCATED, 1, 0x69, NPG_E_TRUNCATED, 1},
    {"test_truncated_data", "(ibuiltins", 10, NPG_E_TRUNCATED, 1, 0x69, NPG_E_TRUNCATED, 1},
    {"test_truncated_data", "(ibuiltins\n", 11, NPG_E_TRUNCATED, 1, 0x69, NPG_E_TRUNCATED, 1},
    {"test_truncated_data", "(ibuiltins\nlist", 15, NPG_E_TRUNCATED, 1, 0x69, NPG_E_TRUNCATED, 1},
    {"test_truncated_data", "Nh", 2, NPG_E_TRUNCATED, 1, 0x68, NPG_E_TRUNCATED, 1},
    {"test_truncated_data", "Nj", 2, NPG_E_TRUNCATED, 1, 0x6a, NPG_E_TRUNCATED, 1},
    {"test_truncated_data", "Nj\x00\x00\x00", 5, NPG_E_TRUNCATED, 1, 0x6a, NPG_E_TRUNCATED, 1},
    {"test_truncated_data", "Np", 2, NPG_E_TRUNCATED, 1, 0x70, NPG_E_TRUNCATED, 1},
    {"test_truncated_data", "Np0", 3, NPG_E_TRUNCATED, 1, 0x70, NPG_E_TRUNCATED, 1},
    {"test_truncated_data", "Nq", 2, NPG_E_TRUNCATED, 1, 0x71, NPG_E_TRUNCATED, 1},
    {"test_truncated_data", "Nr", 2, NPG_E_TRUNCATED, 1, 0x72, NPG_E_TRUNCATED, 1},
    {"test_truncated_data", "Nr\x00\x00\x00", 5, NPG_E_TRUNCATED, 1, 0x72, NPG_E_TRUNCATED, 1},
    {"test_truncated_data", "\x80", 1, NPG_E_TRUNCATED, 0, 0x80, NPG_E_TRUNCATED, 0},
    {"test_truncated_data", "\x82", 1, NPG_E_TRUNCATED, 0, 0x82, NPG_E_TRUNCATED, 0},
    {"test_truncated_data", "\x83", 1, NPG_E_TRUNCATED, 0, 0x83, NPG_E_TRUNCATED, 0},
    {"test_truncated_data", "\x84\x01", 2, NPG_E_TRUNCATED, 0, 0x84, NPG_E_TRUNCATED, 0},
    {"test_truncated_data", "\x84", 1, NPG_E_TRUNCATED, 0, 0x84, NPG_E_TRUNCATED, 0},
    {"test_truncated_data", "\x84\x01\x00\x00", 4, NPG_E_TRUNCATED, 0, 0x84, NPG_E_TRUNCATED, 0},
    {"test_truncated_data", "\x8a", 1, NPG_E_TRUNCATED, 0, 0x8a, NPG_E_TRUNCATED, 0},
    {"test_truncated_data", "\x8b", 1, NPG_E_TRUNCATED, 0, 0x8b, NPG_E_TRUNCATED, 0},
    {"test_truncated_data", "\x8b\x00\x00\x00", 4, NPG_E_TRUNCATED, 0, 0x8b, NPG_E_TRUNCATED, 0},
    {"test_truncated_data", "\x8c", 1, NPG_E_TRUNCATED, 0, 0x8c, NPG_E_TRUNCATED, 0},
    {"test_truncated_data", "\x8c\x03", 2, NPG_E_TRUNCATED, 0, 0x8c, NPG_E_TRUNCATED, 0},
    {"test_truncated_data", "\x8c\x03" "ab", 4, NPG_E_TRUNCATED, 0, 0x8c, NPG_E_TRUNCATED, 0},
    {"test_truncated_data", "\x8d", 1, NPG_E_TRUNCATED, 0, 0x8d, NPG_E_TRUNCATED, 0},
    {"test_truncated_data", "\x8d\x03\x00\x00\x00\x00\x00\x00", 8, NPG_E_TRUNCATED, 0, 0x8d, NPG_E_TRUNCATED, 0},
    {"test_truncated_data", "\x8d\x03\x00\x00\x00\x00\x00\x00\x00", 9, NPG_E_TRUNCATED, 0, 0x8d, NPG_E_TRUNCATED, 0},
    {"test_truncated_data", "\x8d\x03\x00\x00\x00\x00\x00\x00\x00" "ab", 11, NPG_E_TRUNCATED, 0, 0x8d, NPG_E_TRUNCATED, 0},
    {"test_truncated_data", "\x8e", 1, NPG_E_TRUNCATED, 0, 0x8e, NPG_E_TRUNCATED, 0},
    {"test_truncated_data", "\x8e\x03\x00\x00\x00\x00\x00\x00", 8, NPG_E_TRUNCATED, 0, 0x8e, NPG_E_TRUNCATED, 0},
    {"test_truncated_data", "\x8e\x03\x00\x00\x00\x00\x00\x00\x00", 9, NPG_E_TRUNCATED, 0, 0x8e, NPG_E_TRUNCATED, 0},
    {"test_truncated_data", "\x8e\x03\x00\x00\x00\x00\x00\x00\x00" "ab", 11, NPG_E_TRUNCATED, 0, 0x8e, NPG_E_TRUNCATED, 0},
    {"test_truncated_data", "\x96", 1, NPG_E_TRUNCATED, 0, 0x96, NPG_E_TRUNCATED, 0},
    {"test_truncated_data", "\x96\x03\x00\x00\x00\x00\x00\x00", 8, NPG_E_TRUNCATED, 0, 0x96, NPG_E_TRUNCATED, 0},
    {"test_truncated_data", "\x96\x03\x00\x00\x00\x00\x00\x00\x00", 9, NPG_E_TRUNCATED, 0, 0x96, NPG_E_TRUNCATED, 0},
    {"test_truncated_data", "\x96\x03\x00\x00\x00\x00\x00\x00\x00" "ab", 11, NPG_E_TRUNCATED, 0, 0x96, NPG_E_TRUNCATED, 0},
    {"test_truncated_data", "\x95", 1, NPG_E_TRUNCATED, 0, 0x95, NPG_E_TRUNCATED, 0},
    {"test_truncated_data", "\x95\x02\x00\x00\x00\x00\x00\x00", 8, NPG_E_TRUNCATED, 0, 0x95, NPG_E_TRUNCATED, 0},
    {"test_truncated_data", "\x95\x02\x00\x00\x00\x00\x00\x00\x00", 9, NPG_E_TRUNCATED, 0, 0x95, NPG_E_TRUNCATED, 0},
    {"test_truncated_data", "\x95\x02\x00\x00\x00\x00\x00\x00\x00N", 10, NPG_E_TRUNCATED, 0, 0x95, NPG_E_TRUNCATED, 0},
    /* test_misc_get, test_negative_put, 32-bit length tests, string quoting, test_bad_reduce, test_bad_newobj(_ex) */
    {"test_misc_get", "g0\np0", 5, NPG_E_MEMO, 0, 0x67, NPG_E_MEMO, 0},
    {"test_misc_get", "jens:", 5, NPG_E_MEMO, 0, 0x6a, NPG_E_MEMO, 0},
    {"test_misc_get", "hens:", 5, NPG_E_MEMO, 0, 0x68, NPG_E_MEMO, 0},
    {"test_negative_put", "Va\np-1\n.", 8, NPG_E_MEMO, 3, 0x70, NPG_E_MEMO, 3},
    /* LONG_BINPUT 0xffffffff: on 64-bit CPython a 2^32-entry memo; here an index past max_memo */
    {"test_negative_32b_binput", "\x80\x03X\x01\x00\x00\x00" "ar\xff\xff\xff\xff.", 14, NPG_E_LIMIT_MEMO, 8, 0x72, NPG_E_LIMIT_MEMO, 8},
    /* BINBYTES/BINUNICODE lengths are unsigned: 4 GiB - 1 claimed, a few bytes present */
    {"test_negative_32b_binbytes", "\x80\x03" "B\xff\xff\xff\xffxyzq\x00.", 13, NPG_E_TRUNCATED, 2, 0x42, NPG_E_TRUNCATED, 2},
    {"test_negative_32b_binunicode", "\x80\x03X\xff\xff\xff\xffxyzq\x00.", 13, NPG_E_TRUNCATED, 2, 0x58, NPG_E_TRUNCATED, 2},
    {"test_large_32b_binbytes8", "\x80\x04\x8e\x04\x00\x00\x00\x01\x00\x00\x00\xe2\x82\xac\x00.", 16, NPG_E_TRUNCATED, 2, 0x8e, NPG_E_TRUNCATED, 2},
    {"test_large_32b_bytearray8", "\x80\x05\x96\x04\x00\x00\x00\x01\x00\x00\x00\xe2\x82\xac\x00.", 16, NPG_E_TRUNCATED, 2, 0x96, NPG_E_TRUNCATED, 2},
    {"test_large_32b_binunicode8", "\x80\x04\x8d\x04\x00\x00\x00\x01\x00\x00\x00\xe2\x82\xac\x00.", 16, NPG_E_TRUNCATED, 2, 0x8d, NPG_E_TRUNCATED, 2},
    {"test_badly_escaped_string", "S'\\'\n.", 6, NPG_E_SYNTAX, 0, 0x53, NPG_E_SYNTAX, 0},
    {"test_badly_quoted_string", "S'\n.", 4, NPG_E_SYNTAX, 0, 0x53, NPG_E_SYNTAX, 0},
    {"test_badly_quoted_string", "S\"\n.", 4, NPG_E_SYNTAX, 0, 0x53, NPG_E_SYNTAX, 0},
    {"test_badly_quoted_string", "S' \n.", 5, NPG_E_SYNTAX, 0, 0x53, NPG_E_SYNTAX, 0},
    {"test_badly_quoted_string", "S\" \n.", 5, NPG_E_SYNTAX, 0, 0x53, NPG_E_SYNTAX, 0},
    {"test_badly_quoted_string", "S'\"\n.", 5, NPG_E_SYNTAX, 0, 0x53, NPG_E_SYNTAX, 0},
    {"test_badly_quoted_string", "S\"'\n.", 5, NPG_E_SYNTAX, 0, 0x53, NPG_E_SYNTAX, 0},
    {"test_badly_quoted_string", "S' ' \n.", 7, NPG_E_SYNTAX, 0, 0x53, NPG_E_SYNTAX, 0},
    {"test_badly_quoted_string", "S\" \" \n.", 7, NPG_E_SYNTAX, 0, 0x53, NPG_E_SYNTAX, 0},
    {"test_badly_quoted_string", "S ''\n.", 6, NPG_E_SYNTAX, 0, 0x53, NPG_E_SYNTAX, 0},
    {"test_badly_quoted_string", "S \"\"\n.", 6, NPG_E_SYNTAX, 0, 0x53, NPG_E_SYNTAX, 0},
    {"test_badly_quoted_string", "S \n.", 4, NPG_E_SYNTAX, 0, 0x53, NPG_E_SYNTAX, 0},
    {"test_badly_quoted_string", "S\n.", 3, NPG_E_SYNTAX, 0, 0x53, NPG_E_SYNTAX, 0},
    /* no newline at all: the STRING argument never ends */
    {"test_badly_quoted_string", "S.", 2, NPG_E_TRUNCATED, 0, 0x53, NPG_E_TRUNCATED, 0},
    {"test_bad_reduce", "N)R.", 4, NPG_E_TYPE, 2, 0x52, NPG_E_TYPE, 2},
    /* builtins.int / builtins.len are outside the allowlist: decode refuses the GLOBAL; scan records
     * the refusal and the call (findings), reaches STOP, and is not ok because of the findings */
    {"test_bad_reduce", "cbuiltins\nint\nNR.", 17, NPG_E_GLOBAL, 0, 0x63, NPG_OK, -1},
    {"test_bad_reduce", "cbuiltins\nint\n)R.", 17, NPG_E_GLOBAL, 0, 0x63, NPG_OK, -1},
    {"test_bad_newobj", "cbuiltins\nlen\n)\x81.", 17, NPG_E_GLOBAL, 0, 0x63, NPG_OK, -1},
    {"test_bad_newobj", "cbuiltins\nint\nN\x81.", 17, NPG_E_GLOBAL, 0, 0x63, NPG_E_TYPE, 15},
    {"test_bad_newobj", "cbuiltins\nint\n)\x81.", 17, NPG_E_GLOBAL, 0, 0x63, NPG_OK, -1},
    {"test_bad_newobj_ex", "cbuiltins\nlen\n)}\x92.", 18, NPG_E_GLOBAL, 0, 0x63, NPG_OK, -1},
    {"test_bad_newobj_ex", "cbuiltins\nint\nN}\x92.", 18, NPG_E_GLOBAL, 0, 0x63, NPG_E_TYPE, 16},
    {"test_bad_newobj_ex", "cbuiltins\nint\n)N\x92.", 18, NPG_E_GLOBAL, 0, 0x63, NPG_E_TYPE, 16},
    {"test_bad_newobj_ex", "cbuiltins\nint\n)}\x92.", 18, NPG_E_GLOBAL, 0, 0x63, NPG_OK, -1},
    {"test_maxint64", "I9223372036854775807JUNK\n.", 26, NPG_E_SYNTAX, 0, 0x49, NPG_E_SYNTAX, 0},
};

/* ------------------------------------------------------------------ helpers */

static uint8_t *dup_exact(const void *p, size_t n)
{
    uint8_t *d = malloc(n ? n : 1);
    assert_non_null(d);
    if (n) memcpy(d, p, n);
    return d;
}

static int load(const uint8_t *buf, size_t len, unsigned flags, npg_doc **doc, npg_error *err)
{
    return tu_load(buf, len, flags, doc, err);
}

static const char *opname(int op)
{
    const char *n = op >= 0 && op < 256 ? npg_opcode_name(op) : NULL;
    return n ? n : "-";
}

/* The input as a C-ish literal, for failure messages. */
static const char *show(const char *p, size_t n)
{
    static char out[400];
    size_t k = 0;
    for (size_t i = 0; i < n && k + 8 < sizeof out; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '\n') k += (size_t)snprintf(out + k, sizeof out - k, "\\n");
        else if (c >= 0x20 && c < 0x7f && c != '\\') out[k++] = (char)c;
        else k += (size_t)snprintf(out + k, sizeof out - k, "\\x%02x", c);
    }
    out[k] = '\0';
    return out;
}

static int first_above_info(const npg_doc *doc)
{
    size_t n, total;
    const npg_finding *f = npg_doc_findings(doc, &n, &total);
    for (size_t i = 0; i < n; i++)
        if (f[i].severity > NPG_SEV_INFO) return (int)i;
    return -1;
}

static int g_failures;

static const npg_finding *first_strict(const npg_doc *doc)
{
    size_t n = 0;
    const npg_finding *f = npg_doc_findings(doc, &n, NULL);
    for (size_t i = 0; i < n; i++)
        if (f[i].rule == NPG_RULE_MALFORMED) return &f[i];
    return NULL;
}

/* Run one table row; print every mismatch, count it. */
static void run_case(const bad_case *c)
{
    uint8_t *buf = dup_exact(c->data, c->len);
    npg_doc *doc;
    npg_error err;
    int rc = load(buf, c->len, 0, &doc, &err);
    int bad = 0;
    if (rc != c->dcode || doc || err.code != rc || err.offset != c->doff || err.opcode != c->dop) {
        print_message("  FAIL %s b'%s': decode %s @%llu (%s) \"%s\", expected %s @%llu (%s)\n", c->test,
                      show(c->data, c->len), npg_status_name(rc), (unsigned long long)err.offset, opname(err.opcode), err.message,
                      npg_status_name(c->dcode), (unsigned long long)c->doff, opname(c->dop));
        bad = 1;
    }
    npg_doc_free(rc == NPG_OK ? doc : NULL);

    /* Scan mode's first problem: a refusal of the strict grammar only (CPython goes on, the
     * scan too) is its first NPG100 finding; else where the run stopped, as CPython would. */
    rc = load(buf, c->len, NPG_SCAN, &doc, &err);
    npg_error st;
    int status = doc ? npg_doc_status(doc, &st) : -1;
    const npg_finding *strict = first_strict(doc);
    int pcode = strict ? strict->status : rc;
    int64_t poff = strict ? (int64_t)strict->offset : rc != NPG_OK ? (int64_t)st.offset : -1;
    if (!doc || status != rc || pcode != c->scode || (pcode != NPG_OK && poff != c->soff)) {
        print_message("  FAIL %s b'%s': scan %s @%lld \"%s\", expected %s @%lld\n", c->test, show(c->data, c->len),
                      npg_status_name(pcode), (long long)poff, strict ? strict->message : err.message,
                      npg_status_name(c->scode), (long long)c->soff);
        bad = 1;
    } else {
        /* the promise: scan is "ok" exactly when decode accepts (here: never) */
        int ok = rc == NPG_OK && first_above_info(doc) < 0;
        if (ok) {
            print_message("  FAIL %s b'%s': scan says ok, decode refuses\n", c->test, show(c->data, c->len));
            bad = 1;
        }
        if (rc == NPG_OK && !npg_doc_root(doc)) {
            print_message("  FAIL %s: scan NPG_OK without a root\n", c->test);
            bad = 1;
        }
    }
    npg_doc_free(doc);
    free(buf);
    g_failures += bad;
}

static void run_group(const char *prefix)
{
    size_t n = 0;
    g_failures = 0;
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        if (strncmp(bad_cases[i].test, prefix, strlen(prefix)) != 0) continue;
        run_case(&bad_cases[i]);
        n++;
    }
    assert_true(n > 0);
    assert_int_equal(g_failures, 0);
}

static void test_bad_stack(void **state) { (void)state; run_group("test_bad_stack"); }
static void test_bad_mark(void **state) { (void)state; run_group("test_bad_mark"); }
static void test_truncated_data(void **state) { (void)state; run_group("test_truncated_data"); }
static void test_misc_get(void **state) { (void)state; run_group("test_misc_get"); }
static void test_negative_put(void **state) { (void)state; run_group("test_negative_put"); }
static void test_32b_lengths(void **state)
{
    (void)state;
    run_group("test_negative_32b_");
    run_group("test_large_32b_");
}
static void test_bad_strings(void **state)
{
    (void)state;
    run_group("test_badly_escaped_string");
    run_group("test_badly_quoted_string");
    run_group("test_maxint64");
}
static void test_bad_reduce(void **state) { (void)state; run_group("test_bad_reduce"); }
static void test_bad_newobj(void **state)
{
    (void)state;
    run_group("test_bad_newobj");
    run_group("test_bad_newobj_ex");
}

/* Our additions in the spirit of the 32-bit tests: signed length fields that are negative, and
 * lengths past the configured limits (named as limits, before any read or allocation). */
static void test_length_fields(void **state)
{
    (void)state;
    static const bad_case ours[] = {
        {"BINSTRING -1", "T\xff\xff\xff\xff" "abc.", 8, NPG_E_NEGATIVE_LENGTH, 0, 0x54, NPG_E_NEGATIVE_LENGTH, 0},
        {"BINSTRING -2^31", "\x80\x02T\x00\x00\x00\x80.", 8, NPG_E_NEGATIVE_LENGTH, 2, 0x54, NPG_E_NEGATIVE_LENGTH, 2},
        {"LONG4 -1", "\x80\x02\x8b\xff\xff\xff\xff.", 7, NPG_E_NEGATIVE_LENGTH, 2, 0x8b, NPG_E_NEGATIVE_LENGTH, 2},
        {"LONG4 2^31-1", "\x80\x02\x8b\xff\xff\xff\x7f.", 7, NPG_E_LIMIT_LONG, 2, 0x8b, NPG_E_LIMIT_LONG, 2},
        {"BINBYTES8 2^64-1", "\x80\x04\x8e\xff\xff\xff\xff\xff\xff\xff\xff.", 12, NPG_E_LIMIT_STRING, 2, 0x8e,
         NPG_E_LIMIT_STRING, 2},
        {"BINUNICODE8 2^63", "\x80\x04\x8d\x00\x00\x00\x00\x00\x00\x00\x80.", 12, NPG_E_LIMIT_STRING, 2, 0x8d,
         NPG_E_LIMIT_STRING, 2},
        {"BYTEARRAY8 2^40", "\x80\x05\x96\x00\x00\x00\x00\x00\x01\x00\x00.", 12, NPG_E_LIMIT_STRING, 2, 0x96,
         NPG_E_LIMIT_STRING, 2},
        {"FRAME 2^64-1", "\x80\x04\x95\xff\xff\xff\xff\xff\xff\xff\xffN.", 13, NPG_E_TRUNCATED, 2, 0x95,
         NPG_E_TRUNCATED, 2},
        {"LONG_BINGET 2^32-1", "\x80\x02j\xff\xff\xff\xff.", 8, NPG_E_MEMO, 2, 0x6a, NPG_E_MEMO, 2},
    };
    g_failures = 0;
    for (size_t i = 0; i < sizeof ours / sizeof ours[0]; i++) run_case(&ours[i]);
    assert_int_equal(g_failures, 0);
}

/* ------------------------------------------------------------------ positives */

static const npg_value *load_ok(const char *data, size_t len, unsigned flags, npg_doc **doc, uint8_t **keep)
{
    npg_error err;
    *keep = dup_exact(data, len);
    int rc = load(*keep, len, flags, doc, &err);
    if (rc != NPG_OK) fail_msg("rejected (%s at %llu: %s)", npg_status_name(rc), (unsigned long long)err.offset,
                               err.message);
    assert_non_null(*doc);
    return npg_doc_root(*doc);
}

static int64_t as_int(const npg_value *v)
{
    int64_t x;
    assert_int_equal(npg_value_kind(v), NPG_INT);
    assert_true(npg_value_int64(v, &x));
    return x;
}

static void assert_text(const npg_value *v, npg_kind kind, const char *want, size_t wlen)
{
    size_t n;
    assert_int_equal(npg_value_kind(v), kind);
    const uint8_t *p = npg_value_bytes(v, &n);
    assert_int_equal(n, wlen);
    if (wlen) assert_memory_equal(p, want, wlen);
}

/* ([], []) where both items are the same list object. */
static void assert_same_list_pair(const npg_value *v)
{
    assert_int_equal(npg_value_kind(v), NPG_TUPLE);
    assert_int_equal(npg_value_len(v), 2);
    assert_int_equal(npg_value_kind(npg_value_item(v, 0)), NPG_LIST);
    assert_int_equal(npg_value_len(npg_value_item(v, 0)), 0);
    assert_ptr_equal(npg_value_item(v, 0), npg_value_item(v, 1));
}

#define S(s) (s), (sizeof(s) - 1)

static void test_positives_memo_and_frames(void **state)
{
    (void)state;
    npg_doc *doc;
    uint8_t *keep;
    /* test_frame_readline: a text opcode inside a frame */
    assert_int_equal(as_int(load_ok(S("\x80\x04\x95\x05\x00\x00\x00\x00\x00\x00\x00I42\n."), 0, &doc, &keep)), 42);
    npg_doc_free(doc), free(keep);
    /* test_get, test_binget, test_long_binget, test_dup */
    assert_same_list_pair(load_ok(S("((lp100000\ng100000\nt."), 0, &doc, &keep));
    npg_doc_free(doc), free(keep);
    assert_same_list_pair(load_ok(S("(]q\xffh\xfft."), 0, &doc, &keep));
    npg_doc_free(doc), free(keep);
    assert_same_list_pair(load_ok(S("(]r\x00\x00\x01\x00j\x00\x00\x01\x00t."), 0, &doc, &keep));
    npg_doc_free(doc), free(keep);
    assert_same_list_pair(load_ok(S("((l2t."), 0, &doc, &keep));
    npg_doc_free(doc), free(keep);

    /* test_misc_get's positive: [(100,), (100,)] followed by two bytes CPython ignores. Decode
     * refuses the trailing bytes; NPG_ALLOW_TRAILING stops at STOP (offset 12). */
    static const char misc[] = "((Kdtp0\nh\x00l.))";
    npg_error err;
    keep = dup_exact(misc, sizeof misc - 1);
    assert_int_equal(load(keep, sizeof misc - 1, 0, &doc, &err), NPG_E_TRAILING);
    assert_int_equal(err.offset, 12);
    assert_int_equal(err.opcode, -1);
    free(keep);
    const npg_value *v = load_ok(S("((Kdtp0\nh\x00l.))"), NPG_ALLOW_TRAILING, &doc, &keep);
    assert_int_equal(npg_doc_end(doc), 12);
    assert_int_equal(npg_value_kind(v), NPG_LIST);
    assert_int_equal(npg_value_len(v), 2);
    assert_ptr_equal(npg_value_item(v, 0), npg_value_item(v, 1));
    assert_int_equal(npg_value_len(npg_value_item(v, 0)), 1);
    assert_int_equal(as_int(npg_value_item(npg_value_item(v, 0), 0)), 100);
    npg_doc_free(doc), free(keep);
}

static void test_positives_strings(void **state)
{
    (void)state;
    npg_doc *doc;
    uint8_t *keep;
    /* test_correctly_quoted_string */
    assert_text(load_ok(S("S''\n."), 0, &doc, &keep), NPG_STR, "", 0);
    npg_doc_free(doc), free(keep);
    assert_text(load_ok(S("S\"\"\n."), 0, &doc, &keep), NPG_STR, "", 0);
    npg_doc_free(doc), free(keep);
    assert_text(load_ok(S("S\"\\n\"\n."), 0, &doc, &keep), NPG_STR, "\n", 1);
    npg_doc_free(doc), free(keep);
    assert_text(load_ok(S("S'\\n'\n."), 0, &doc, &keep), NPG_STR, "\n", 1);
    npg_doc_free(doc), free(keep);
    /* test_empty_bytestring: a Python-2 str of length 0 (str by default, bytes with NPG_PY2_BYTES) */
    assert_text(load_ok(S("\x80\x03U\x00q\x00."), 0, &doc, &keep), NPG_STR, "", 0);
    npg_doc_free(doc), free(keep);
    assert_text(load_ok(S("\x80\x03U\x00q\x00."), NPG_PY2_BYTES, &doc, &keep), NPG_BYTES, "", 0);
    npg_doc_free(doc), free(keep);
    /* test_load_python2_str_as_bytes */
    assert_text(load_ok(S("S'a\\x00\\xa0'\n."), NPG_PY2_BYTES, &doc, &keep), NPG_BYTES, "a\x00\xa0", 3);
    npg_doc_free(doc), free(keep);
    assert_text(load_ok(S("U\x03" "a\x00\xa0."), NPG_PY2_BYTES, &doc, &keep), NPG_BYTES, "a\x00\xa0", 3);
    npg_doc_free(doc), free(keep);
    assert_text(load_ok(S("U\x03" "a\x00\xa0."), 0, &doc, &keep), NPG_STR, "a\x00\xc2\xa0", 4); /* latin-1 */
    npg_doc_free(doc), free(keep);
    /* test_load_python2_unicode_as_str */
    assert_text(load_ok(S("V\\u03c0\n."), 0, &doc, &keep), NPG_STR, "\xcf\x80", 2);
    npg_doc_free(doc), free(keep);
    assert_text(load_ok(S("\x80\x02X\x02\x00\x00\x00\xcf\x80."), 0, &doc, &keep), NPG_STR, "\xcf\x80", 2);
    npg_doc_free(doc), free(keep);
    /* test_short_binbytes, test_binbytes, test_binbytes8, test_short_binunicode, test_binunicode8,
     * test_bytearray8 */
    assert_text(load_ok(S("\x80\x03" "C\x04\xe2\x82\xac\x00."), 0, &doc, &keep), NPG_BYTES, "\xe2\x82\xac\x00", 4);
    npg_doc_free(doc), free(keep);
    assert_text(load_ok(S("\x80\x03" "B\x04\x00\x00\x00\xe2\x82\xac\x00."), 0, &doc, &keep), NPG_BYTES,
                "\xe2\x82\xac\x00", 4);
    npg_doc_free(doc), free(keep);
    assert_text(load_ok(S("\x80\x04\x8e\x04\x00\x00\x00\x00\x00\x00\x00\xe2\x82\xac\x00."), 0, &doc, &keep),
                NPG_BYTES, "\xe2\x82\xac\x00", 4);
    npg_doc_free(doc), free(keep);
    assert_text(load_ok(S("\x80\x04\x8c\x04\xe2\x82\xac\x00."), 0, &doc, &keep), NPG_STR, "\xe2\x82\xac\x00", 4);
    npg_doc_free(doc), free(keep);
    assert_text(load_ok(S("\x80\x04\x8d\x04\x00\x00\x00\x00\x00\x00\x00\xe2\x82\xac\x00."), 0, &doc, &keep),
                NPG_STR, "\xe2\x82\xac\x00", 4);
    npg_doc_free(doc), free(keep);
    assert_text(load_ok(S("\x80\x05\x96\x03\x00\x00\x00\x00\x00\x00\x00xxx."), 0, &doc, &keep), NPG_BYTEARRAY,
                "xxx", 3);
    npg_doc_free(doc), free(keep);
}

static void test_positives_numbers(void **state)
{
    (void)state;
    npg_doc *doc;
    uint8_t *keep;
    /* test_constants */
    assert_int_equal(npg_value_kind(load_ok(S("N."), 0, &doc, &keep)), NPG_NONE);
    npg_doc_free(doc), free(keep);
    static const struct {
        const char *data;
        size_t len;
        int b;
    } bools[] = {{S("\x88."), 1}, {S("\x89."), 0}, {S("I01\n."), 1}, {S("I00\n."), 0}};
    for (size_t i = 0; i < 4; i++) {
        const npg_value *v = load_ok(bools[i].data, bools[i].len, 0, &doc, &keep);
        assert_int_equal(npg_value_kind(v), NPG_BOOL);
        assert_int_equal(npg_value_bool(v), bools[i].b);
        npg_doc_free(doc), free(keep);
    }
    /* test_maxint64 */
    assert_true(as_int(load_ok(S("I9223372036854775807\n."), 0, &doc, &keep)) == INT64_MAX);
    npg_doc_free(doc), free(keep);
}

/* The whole-file verdict on every bad pickle: never ok. Named like the pickle it is meant to be
 * (CPython's tests feed them to pickle.loads as pickles), each is invalid, or unsafe where it
 * names a global outside the allowlist (builtins.list...). Without a name, a fragment CPython
 * stops in at once and that is no complete opcode stream ("0", "(2") may be text: then CPython
 * really imports nothing from it, which rule 4 of docs/scan-json.md asks. */
static void test_audit_verdicts(void **state)
{
    (void)state;
    npg_ctx *ctx = npg_ctx_new(NULL);
    assert_non_null(ctx);
    int bad = 0;
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const bad_case *c = &bad_cases[i];
        npg_audit_opts named = {0, NULL, 0, "case.pkl"};
        npg_audit *a = NULL, *b = NULL;
        assert_int_equal(npg_audit_buffer(ctx, (const uint8_t *)c->data, c->len, &named, &a), NPG_OK);
        assert_int_equal(npg_audit_buffer(ctx, (const uint8_t *)c->data, c->len, NULL, &b), NPG_OK);
        npg_verdict v = npg_audit_verdict(a), w = npg_audit_verdict(b);
        npg_format f = npg_audit_format(b);
        if (v != NPG_VERDICT_INVALID && v != NPG_VERDICT_UNSAFE) {
            print_message("  FAIL %s b'%s' (as case.pkl): %s\n", c->test, show(c->data, c->len), npg_verdict_name(v));
            bad++;
        }
        bool no_pickle = f == NPG_FMT_TEXT || f == NPG_FMT_UNKNOWN || f == NPG_FMT_EMPTY;
        if (w == NPG_VERDICT_OK && !no_pickle) {
            print_message("  FAIL %s b'%s': an ok %s\n", c->test, show(c->data, c->len), npg_format_name(f));
            bad++;
        }
        npg_audit_free(a);
        npg_audit_free(b);
    }
    npg_ctx_free(ctx);
    assert_int_equal(bad, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_stack),       cmocka_unit_test(test_bad_mark),
        cmocka_unit_test(test_truncated_data),  cmocka_unit_test(test_misc_get),
        cmocka_unit_test(test_negative_put),    cmocka_unit_test(test_32b_lengths),
        cmocka_unit_test(test_bad_strings),     cmocka_unit_test(test_bad_reduce),
        cmocka_unit_test(test_bad_newobj),      cmocka_unit_test(test_length_fields),
        cmocka_unit_test(test_positives_memo_and_frames),
        cmocka_unit_test(test_positives_strings),
        cmocka_unit_test(test_positives_numbers),
        cmocka_unit_test(test_audit_verdicts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
