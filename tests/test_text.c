/* Unit tests for src/pickle/text.c (strict protocol-0 text grammars, UTF-8 and latin-1 helpers)
 * and src/common/diag.c.
 *
 * Every expected value below was computed with Debian's CPython 3.11.2 (/usr/bin/python3) while
 * writing this file, never by running npguard; each table says which Python expression gave it.
 * Inputs are copied into heap buffers of exactly their length so that AddressSanitizer catches
 * any read past the end (the functions must not assume NUL termination). */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <locale.h>
#include <math.h>

#include <cmocka.h>

#include "common/diag.h"
#include "pickle/text.h"

#define LIT(s) (s), (sizeof(s) - 1)

/* ------------------------------------------------------------------ helpers */

/* Exact-size heap copy (1 byte allocated for n == 0, never read). */
static uint8_t *dup_exact(const char *s, size_t n)
{
    uint8_t *p = malloc(n ? n : 1);
    assert_non_null(p);
    if (n) memcpy(p, s, n);
    return p;
}

/* A failure record must be one printable line naming the problem, with the code returned. */
static void check_diag(const npg_diag *d, int rc)
{
    assert_int_equal(d->code, rc);
    size_t len = strnlen(d->msg, sizeof d->msg);
    assert_true(len > 0);
    assert_true(len < sizeof d->msg);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)d->msg[i];
        assert_true(c >= 0x20 && c <= 0x7e);
    }
}

static void poison_diag(npg_diag *d)
{
    memset(d, 0x5a, sizeof *d);
    d->code = -12345;
    d->msg[sizeof d->msg - 1] = '\0';
}

typedef struct int_res {
    int rc;
    bool is_bool, fits;
    int64_t small;
    size_t big_len;
    uint8_t big[2400];
    npg_diag d;
} int_res;

/* Run npg__text_int (long_op false) or npg__text_long (true) with a big buffer of exactly
 * npg__text_int_big_cap(n) bytes. */
static void run_intlike(bool long_op, const char *s, size_t n, size_t max_digits, int_res *r)
{
    uint8_t *in = dup_exact(s, n);
    size_t cap = npg__text_int_big_cap(n);
    uint8_t *big = malloc(cap ? cap : 1);
    assert_non_null(big);
    memset(r, 0xa5, sizeof *r);
    poison_diag(&r->d);
    if (long_op) {
        r->is_bool = false;
        r->rc = npg__text_long(in, n, max_digits, &r->fits, &r->small, big, cap, &r->big_len, &r->d);
    } else {
        r->rc = npg__text_int(in, n, max_digits, &r->is_bool, &r->fits, &r->small, big, cap, &r->big_len,
                              &r->d);
    }
    if (r->rc == NPG_OK && !r->fits) {
        assert_true(r->big_len <= cap);
        assert_true(r->big_len <= sizeof r->big);
        memcpy(r->big, big, r->big_len);
    }
    if (r->rc != NPG_OK) check_diag(&r->d, r->rc);
    free(big);
    free(in);
}

static void want_small(bool long_op, const char *s, size_t n, int64_t v)
{
    int_res r;
    run_intlike(long_op, s, n, 4300, &r);
    if (r.rc != NPG_OK) fail_msg("'%.*s' refused: %s", (int)n, s, r.d.msg);
    assert_false(r.is_bool);
    assert_true(r.fits);
    assert_true(r.small == v);
}

static void want_big(bool long_op, const char *s, size_t n, const char *bytes, size_t blen)
{
    int_res r;
    run_intlike(long_op, s, n, 4300, &r);
    if (r.rc != NPG_OK) fail_msg("'%.*s' refused: %s", (int)n, s, r.d.msg);
    assert_false(r.is_bool);
    assert_false(r.fits);
    assert_int_equal(r.big_len, blen);
    assert_memory_equal(r.big, bytes, blen);
}

static void want_int_err(bool long_op, const char *s, size_t n, int code)
{
    int_res r;
    run_intlike(long_op, s, n, 4300, &r);
    if (r.rc != code)
        fail_msg("'%.*s': expected %d, got %d (%s)", (int)n, s, code, r.rc, r.rc ? r.d.msg : "accepted");
}

/* ------------------------------------------------------------------ INT */

static void test_int_small(void **state)
{
    (void)state;
    want_small(false, LIT("0"), 0);
    want_small(false, LIT("1"), 1);
    want_small(false, LIT("-1"), -1);
    want_small(false, LIT("7"), 7);
    want_small(false, LIT("10"), 10);
    want_small(false, LIT("100"), 100);
    want_small(false, LIT("2147483647"), 2147483647);
    want_small(false, LIT("-2147483648"), -INT64_C(2147483648));
    want_small(false, LIT("2147483648"), INT64_C(2147483648));
    want_small(false, LIT("-2147483649"), -INT64_C(2147483649));
    want_small(false, LIT("1000000000000000000"), INT64_C(1000000000000000000));
}

static void test_int_bools(void **state)
{
    (void)state;
    /* pickle.dumps(False, 0) == b'I00\n.', pickle.dumps(True, 0) == b'I01\n.' */
    int_res r;
    run_intlike(false, LIT("00"), 4300, &r);
    assert_int_equal(r.rc, NPG_OK);
    assert_true(r.is_bool);
    assert_true(r.small == 0);
    run_intlike(false, LIT("01"), 4300, &r);
    assert_int_equal(r.rc, NPG_OK);
    assert_true(r.is_bool);
    assert_true(r.small == 1);
    /* "0" and "1" are ints, not bools (NumPy <= 1.18 wrote them for dtype flags) */
    run_intlike(false, LIT("1"), 4300, &r);
    assert_int_equal(r.rc, NPG_OK);
    assert_false(r.is_bool);
    /* LONG has no bool case: "00L" has a leading zero */
    want_int_err(true, LIT("00L"), NPG_E_SYNTAX);
    want_int_err(true, LIT("01"), NPG_E_SYNTAX);
}

static void test_int_boundaries(void **state)
{
    (void)state;
    want_small(false, LIT("9223372036854775807"), INT64_MAX);
    want_small(false, LIT("-9223372036854775808"), INT64_MIN);
    want_small(false, LIT("-9223372036854775807"), -INT64_MAX);
    /* pickle.encode_long(2**63), (-2**63-1), 2**64, 2**64-1, -2**64 */
    want_big(false, LIT("9223372036854775808"), LIT("\x00\x00\x00\x00\x00\x00\x00\x80\x00"));
    want_big(false, LIT("-9223372036854775809"), LIT("\xff\xff\xff\xff\xff\xff\xff\x7f\xff"));
    want_big(false, LIT("18446744073709551616"), LIT("\x00\x00\x00\x00\x00\x00\x00\x00\x01"));
    want_big(false, LIT("18446744073709551615"), LIT("\xff\xff\xff\xff\xff\xff\xff\xff\x00"));
    want_big(false, LIT("-18446744073709551616"), LIT("\x00\x00\x00\x00\x00\x00\x00\x00\xff"));
    /* 20 digits that overflow uint64 during accumulation: pickle.encode_long(99999999999999999999) */
    want_big(false, LIT("99999999999999999999"), LIT("\xff\xff\x0f\x63\x2d\x5e\xc7\x6b\x05"));
}

struct big_case {
    const char *text;
    const char *bytes;
    size_t len;
};

/* {text, pickle.encode_long(int(text)), its length}: /usr/bin/python3, CPython 3.11.2, values
 * chosen as powers of two around byte boundaries plus random.seed(20240611) random integers of
 * 64..400 bits (half negative). */
static const struct big_case big_cases[] = {
    {"9223372036854775808", "\x00\x00\x00\x00\x00\x00\x00\x80\x00", 9},
    {"-9223372036854775809", "\xff\xff\xff\xff\xff\xff\xff\x7f\xff", 9},
    {"18446744073709551616", "\x00\x00\x00\x00\x00\x00\x00\x00\x01", 9},
    {"-18446744073709551616", "\x00\x00\x00\x00\x00\x00\x00\x00\xff", 9},
    {"18446744073709551615", "\xff\xff\xff\xff\xff\xff\xff\xff\x00", 9},
    {"-18446744073709551615", "\x01\x00\x00\x00\x00\x00\x00\x00\xff", 9},
    {"2361183241434822606848", "\x00\x00\x00\x00\x00\x00\x00\x00\x80\x00", 10},
    {"-2361183241434822606848", "\x00\x00\x00\x00\x00\x00\x00\x00\x80", 9},
    {"2361183241434822606847", "\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 9},
    {"-2361183241434822606849", "\xff\xff\xff\xff\xff\xff\xff\xff\x7f\xff", 10},
    {"170141183460469231731687303715884105728", "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x00", 17},
    {"-170141183460469231731687303715884105728", "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80", 16},
    {"170141183460469231731687303715884105727", "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 16},
    {"10000000000000000000", "\x00\x00\xe8\x89\x04\x23\xc7\x8a\x00", 9},
    {"-10000000000000000000", "\x00\x00\x18\x76\xfb\xdc\x38\x75\xff", 9},
    {"1000000000000000000000000000000", "\x00\x00\x00\x40\xea\xed\x74\x46\xd0\x9c\x2c\x9f\x0c", 13},
    {"-1000000000000000000000000000000", "\x00\x00\x00\xc0\x15\x12\x8b\xb9\x2f\x63\xd3\x60\xf3", 13},
    {"99999999999999999999", "\xff\xff\x0f\x63\x2d\x5e\xc7\x6b\x05", 9},
    {"-99999999999999999999", "\x01\x00\xf0\x9c\xd2\xa1\x38\x94\xfa", 9},
    {"9223372036854775809", "\x01\x00\x00\x00\x00\x00\x00\x80\x00", 9},
    {"-9223372036854775810", "\xfe\xff\xff\xff\xff\xff\xff\x7f\xff", 9},
    {"57896044618658097711785492504343953926634992332820282019728792003956564819968", "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x00", 33},
    {"-57896044618658097711785492504343953926634992332820282019728792003956564819968", "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80", 32},
    {"115792089237316195423570985008687907853269984665640564039457584007913129639935", "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x00", 33},
    {"12345678901234567890123456789012345678901234567890", "\xd2\x0a\x3f\xce\x96\xf1\xc7\xf8\x7a\x74\x26\x50\xa1\x3c\xf8\xaa\x69\x63\x7f\x72\x08", 21},
    {"-25754185564079072281236330733951249861250576462467661134346574938325080230524207226268080871185185604454983329118", "\xa2\x1a\x59\x2e\x07\xba\xa5\x3a\x28\x06\x94\xa9\xad\x12\xbc\xbd\x10\xd9\xf3\x30\x56\x12\xa4\xd9\x80\x30\x69\xa2\xf3\x33\x21\x48\x00\x83\x28\x3e\xb2\x1c\x8f\x22\xd1\xf5\x95\xa1\xf8\x29\xd5", 47},
    {"301720955778874525632727166650215396837854330159426556435109657303", "\xd7\x3a\xba\xe6\xb1\xbe\x23\x98\x80\xb9\xcf\x1f\xbd\xab\x4e\xdd\x11\xaf\xc8\x0c\xc1\x47\x34\x68\x69\x71\xdd\x02", 28},
    {"-3992851048709619578818160864366991572732540879832971432446744826306662859972381629063693786855080286769937973309", "\xc3\xff\x72\xea\x1e\xa3\x7d\xd1\xcb\xca\x0e\xe0\x2b\x34\x0f\xf8\x77\x0d\x0a\xcc\x49\x0d\x5d\xac\x52\x0b\x26\xff\xc7\xbf\xdc\xc3\xc9\xb9\x3c\xb3\xe5\x30\xeb\xb2\xb6\x5a\xcf\x2c\xdc\x5b\xf9", 47},
    {"-2021041944241799584986624496390357919869727958470573889003567514836066782923974143592275620", "\x5c\x61\xd1\x60\x4f\x74\xa2\x50\xa4\x21\x13\x45\x39\x21\x20\x56\x9a\x19\x27\xa0\xe5\xf8\x60\x96\x98\x66\x82\x10\xbb\xa9\xd2\x07\x24\x27\x05\x29\x20\xf0", 38},
    {"-2829545626079121571843175466", "\xd6\x8b\x0f\x0e\xcf\x93\xbe\x40\x68\x74\xdb\xf6", 12},
    {"-96172424039925684951789505566557387391342964811267506709206367", "\xa1\xea\x77\x9f\xc9\x04\x83\xc5\x02\x35\x82\x2a\x05\x6f\x36\xc8\x26\x86\x3d\x77\x10\xbe\x52\xd9\x26\xc4", 26},
    {"3296931686736570715404125280", "\x60\x44\x76\xd1\xa5\xd2\x63\xdd\x70\x28\xa7\x0a", 12},
    {"579722472854101127898549", "\xb5\xa5\x38\x54\x81\x37\x77\xd1\xc2\x7a", 10},
    {"-962880463514540752572304754541736865176126881062740277331184595502533027607692620220022613669137438", "\xe2\xb3\x02\x98\x41\x06\x7f\xa3\x48\x82\x98\xe7\x9a\x0c\xa4\x55\xe6\x12\xbd\x95\x45\xb5\xc6\x15\xb0\x25\x71\x48\x90\x0c\x05\x8f\x4c\x3b\x39\xab\xea\x4d\xe5\x35\x3d\xfe", 42},
    {"15721905045643746547815299805656412644409266714493636795340916049655943056413186128783817499847925227984909", "\x0d\x18\x72\x9a\x31\x26\x01\x2e\xda\xc6\x1a\xaf\x26\xce\xd5\xfe\xf0\x91\xf1\x0f\xb9\xd7\x31\xcc\x9d\x4e\x1b\xa9\x21\xf2\x68\xf7\xcc\x74\x84\xab\x63\xb2\x66\x4a\xc6\x1e\xb8\xb6\x01", 45},
    {"1252995679642425890335113773350679718289082150951905", "\xe1\x1b\xa2\xf9\x6b\xe0\x7c\x85\x84\x58\x8c\xe9\x80\x96\xc8\x02\x79\x7e\x9d\x55\x59\x03", 22},
    {"25852588357946348694502834252340783885862315156632104341", "\x95\xed\x91\x3f\x05\x20\x8c\xd6\xd2\xd3\x00\x5c\x81\x45\x4e\x5f\xc7\xfa\x99\xc5\xe2\xe9\x0d\x01", 24},
    {"583520673402822731412400380332707269410784294495353953957578591212386161308824075872", "\x60\x7e\xa5\xb2\x34\x15\xab\x0b\x03\xac\x1e\x8d\x2e\xa6\x44\xc4\xe3\x9b\x60\x25\x2d\xdf\x70\xea\x98\xeb\x20\xed\x10\x4d\x11\xe4\x16\xe5\x4c", 35},
    {"386807171216096984951106521665862981402290285896140463729900", "\xec\xec\x86\x02\xeb\x83\xd5\x9f\xd3\x58\xb4\xbb\x9b\xe4\x2d\x74\x34\x43\xe9\x43\xd6\x4c\x37\x9f\x3d", 25},
    {"-102041814140172579090734462603866", "\xa6\xed\xf2\xc2\x74\xee\x25\x24\x6b\xac\x1d\x0d\xf8\xfa", 14},
    {"10010610674498866401385492571495504945086359468578641584609407823642878701702173719755757078", "\x16\x16\x3c\x60\xcb\xa2\x67\x0c\x73\xbb\xf8\x13\x0d\x0b\x8e\x49\x1e\xde\xcc\x38\xd0\xa2\x75\x28\x59\x9a\x3b\x7e\xbb\x0a\x16\xe6\x2f\xca\x7e\xfb\xa0\x4e", 38},
    {"542171504930921072617782853936327138314839278658", "\x42\x44\x2a\x2f\x64\xf1\xf8\x48\x2f\xd6\x61\x9f\x6f\x47\xcb\x0e\xa5\xcf\xf7\x5e", 20},
    {"192454347474342666323340962265907467782561828329084918599611524215209365587560495440896015092368350246570", "\xaa\xf6\x55\xe6\xf6\xea\x9c\xf6\xb4\x6b\x11\xf4\xef\x71\x26\x0d\xdd\xe4\x9f\xb4\xd9\xae\x02\x72\x37\x43\xa2\xcc\x46\xc2\xe6\xc1\xb6\x55\xe0\xcd\xc5\x35\xf7\xca\xa0\xd4\x5e\x05", 44},
    {"-545873407512787245204656600926", "\xa2\x48\xf0\x9f\xc0\x9f\xe8\xa0\xb3\x19\x30\x1c\xf9", 13},
    {"-1062513817836777090883806080097976895473437436920396958743290431", "\xc1\x9d\x51\xff\x3d\x0f\x93\xa3\xef\x30\x61\x4a\x08\x06\x8c\xce\x3c\xab\x36\xd5\x88\x74\x7b\xc8\xcb\x6a\xfd", 27},
    {"-2415839315070594029818722588035479663327857143973310974157853250354805030334027488", "\x20\x29\xa3\x3a\x62\x4e\x34\x17\x10\xa2\x58\x41\x9d\x92\x23\x67\xb1\xe2\x2a\x25\x58\x62\xe2\xec\xbe\x2c\x3f\xa7\x54\x8b\x8b\x67\x80\xae", 34},
    {"24415244582431665870670230338947940485945453391923124897092254", "\x9e\x92\x54\x14\x48\x55\x3c\x9f\xb7\xee\xcd\xfe\x78\x9f\x8e\x0a\x99\x05\xe0\x69\x31\x4c\xa7\x92\x31\x0f", 26},
    {"17108627088593452268205305113937225950464271292730258899907489437", "\x9d\xae\x7d\x4c\xc0\xbb\x00\xc9\x15\xe5\xcc\x3e\x0e\x5a\x43\x6a\x55\xc6\x4a\xb4\xf6\x07\xe4\x8a\xb9\x96\x29", 27},
    {"197109305102599108752650708777480", "\x08\xfa\x9c\xe1\x77\xef\xcc\x4d\x13\xbc\x83\xde\xb7\x09", 14},
    {"-3912330625341165524067963223892025344865271796", "\x0c\x00\xad\x45\xa0\x5b\x80\x90\x45\x88\xeb\x9d\x8f\x38\xdf\xa0\xa5\x90\x50\xff", 20},
};

static void test_int_big_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof big_cases / sizeof big_cases[0]; i++) {
        const struct big_case *c = &big_cases[i];
        want_big(false, c->text, strlen(c->text), c->bytes, c->len);
        /* same through LONG, with and without the L suffix */
        char buf[200];
        int k = snprintf(buf, sizeof buf, "%sL", c->text);
        assert_true(k > 0 && (size_t)k < sizeof buf);
        want_big(true, buf, (size_t)k, c->bytes, c->len);
        want_big(true, c->text, strlen(c->text), c->bytes, c->len);
    }
}

static void test_int_refused(void **state)
{
    (void)state;
    /* Parser differentials (notes 7.2, checked with /usr/bin/python3): C pickle.loads vs
     * pickle._Unpickler give I010 -> 8 / ValueError, I-0 -> False / 0, I+1 -> True / 1,
     * I 1 -> True / 1, I0x10 -> 16, I1_000 -> 1000. All refused. */
    static const char *const bad[] = {
        "", "-", "--1", "010", "00000", "000", "001", "-0", "-00", "-01", "+1", "+0", " 1", "1 ", "\t1",
        "0x10", "0X10", "0o7", "0b1", "1_000", "1L", "1l", "1.0", "1e3", "abc", "1a", "- 1", "1-", "٣",
        "\xef\xbc\x91", /* FULLWIDTH DIGIT ONE, which int() accepts */
        "9223372036854775808L", "inf", "nan", "True",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        want_int_err(false, bad[i], strlen(bad[i]), NPG_E_SYNTAX);
    want_int_err(false, LIT("1\0"), NPG_E_SYNTAX);
    want_int_err(false, LIT("\0001"), NPG_E_SYNTAX);
    want_int_err(false, LIT("1\r"), NPG_E_SYNTAX);

    /* messages say what is wrong */
    int_res r;
    run_intlike(false, LIT("010"), 4300, &r);
    assert_int_equal(r.rc, NPG_E_SYNTAX);
    assert_non_null(strstr(r.d.msg, "INT argument has a leading zero"));
    run_intlike(false, LIT("-0"), 4300, &r);
    assert_non_null(strstr(r.d.msg, "negative zero"));
    run_intlike(true, LIT("0x10L"), 4300, &r);
    assert_int_equal(r.rc, NPG_E_SYNTAX);
    assert_non_null(strstr(r.d.msg, "LONG"));
    run_intlike(false, LIT("\x01\xff"), 4300, &r);
    assert_int_equal(r.rc, NPG_E_SYNTAX);
    assert_non_null(strstr(r.d.msg, "\\x01\\xff")); /* attacker bytes escaped */
}

static char *repeat_digits(const char *prefix, char digit, size_t count, const char *suffix, size_t *len)
{
    size_t pl = strlen(prefix), sl = strlen(suffix);
    char *s = malloc(pl + count + sl + 1);
    assert_non_null(s);
    memcpy(s, prefix, pl);
    memset(s + pl, digit, count);
    memcpy(s + pl + count, suffix, sl + 1);
    *len = pl + count + sl;
    return s;
}

static void test_int_digit_limit(void **state)
{
    (void)state;
    size_t n;
    int_res r;
    /* 4300 digits: accepted (int('9'*4300) works; CPython's default limit is 4300 digits).
     * Expected from pickle.encode_long(int('9'*4300)): 1786 bytes, starting ff*8, ending
     * 4a a8 1a 2a 7c bd 92 13. */
    char *s = repeat_digits("", '9', 4300, "", &n);
    run_intlike(false, s, n, 4300, &r);
    assert_int_equal(r.rc, NPG_OK);
    assert_false(r.fits);
    assert_int_equal(r.big_len, 1786);
    assert_memory_equal(r.big, "\xff\xff\xff\xff\xff\xff\xff\xff", 8);
    assert_memory_equal(r.big + 1786 - 8, "\x4a\xa8\x1a\x2a\x7c\xbd\x92\x13", 8);
    free(s);
    /* pickle.encode_long(int('1'*4300)): 1786 bytes, c7711cc7711cc771 ... 5dbd7476b8bf2c02 */
    s = repeat_digits("", '1', 4300, "L", &n);
    run_intlike(true, s, n, 4300, &r);
    assert_int_equal(r.rc, NPG_OK);
    assert_int_equal(r.big_len, 1786);
    assert_memory_equal(r.big, "\xc7\x71\x1c\xc7\x71\x1c\xc7\x71", 8);
    assert_memory_equal(r.big + 1786 - 8, "\x5d\xbd\x74\x76\xb8\xbf\x2c\x02", 8);
    free(s);
    /* the sign is not a digit: pickle.encode_long(int('-'+'9'*4300)): 1786 bytes, 01 00*7 ...
     * b5 57 e5 d5 83 42 6d ec */
    s = repeat_digits("-", '9', 4300, "", &n);
    run_intlike(false, s, n, 4300, &r);
    assert_int_equal(r.rc, NPG_OK);
    assert_int_equal(r.big_len, 1786);
    assert_memory_equal(r.big, "\x01\x00\x00\x00\x00\x00\x00\x00", 8);
    assert_memory_equal(r.big + 1786 - 8, "\xb5\x57\xe5\xd5\x83\x42\x6d\xec", 8);
    free(s);
    /* 4301 digits: int('1'*4301) raises "Exceeds the limit (4300 digits)" */
    s = repeat_digits("", '1', 4301, "", &n);
    run_intlike(false, s, n, 4300, &r);
    assert_int_equal(r.rc, NPG_E_LIMIT_DIGITS);
    free(s);
    s = repeat_digits("-", '1', 4301, "L", &n);
    run_intlike(true, s, n, 4300, &r);
    assert_int_equal(r.rc, NPG_E_LIMIT_DIGITS);
    free(s);
    /* a much longer text is refused without being converted */
    s = repeat_digits("", '7', 200000, "", &n);
    run_intlike(false, s, n, 4300, &r);
    assert_int_equal(r.rc, NPG_E_LIMIT_DIGITS);
    free(s);
    /* the limit applies to small numbers too */
    run_intlike(false, LIT("1234"), 3, &r);
    assert_int_equal(r.rc, NPG_E_LIMIT_DIGITS);
    run_intlike(false, LIT("-123"), 3, &r);
    assert_int_equal(r.rc, NPG_OK);
    assert_true(r.small == -123);
    run_intlike(true, LIT("123L"), 3, &r);
    assert_int_equal(r.rc, NPG_OK);
    /* bools are not digit strings */
    run_intlike(false, LIT("01"), 1, &r);
    assert_int_equal(r.rc, NPG_OK);
    assert_true(r.is_bool);
    /* grammar errors win over the limit */
    s = repeat_digits("0", '1', 5000, "", &n);
    run_intlike(false, s, n, 4300, &r);
    assert_int_equal(r.rc, NPG_E_SYNTAX);
    free(s);
}

/* The worst case for n characters is n nines (or '-' and n-1 nines); every length must fit in a
 * buffer of exactly npg__text_int_big_cap(n) bytes (run_intlike allocates exactly that). */
static void test_int_big_cap(void **state)
{
    (void)state;
    for (size_t digits = 19; digits <= 700; digits++) {
        size_t n;
        int_res r;
        char *s = repeat_digits("", '9', digits, "", &n);
        run_intlike(false, s, n, 4300, &r);
        assert_int_equal(r.rc, NPG_OK);
        free(s);
        s = repeat_digits("-", '9', digits, "", &n);
        run_intlike(false, s, n, 4300, &r);
        assert_int_equal(r.rc, NPG_OK);
        free(s);
        s = repeat_digits("", '9', digits, "L", &n);
        run_intlike(true, s, n, 4300, &r);
        assert_int_equal(r.rc, NPG_OK);
        free(s);
    }
    assert_true(npg__text_int_big_cap(0) >= 1);
    assert_true(npg__text_int_big_cap((size_t)-1) > 0); /* no overflow */
    /* Lengths of pickle.encode_long(10**d - 1) for d = 19, 20, 39, 77, 100: 9, 9, 17, 33, 42 */
    static const struct { size_t d, len; } lens[] = {{19, 9}, {20, 9}, {39, 17}, {77, 33}, {100, 42}};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        size_t n;
        int_res r;
        char *s = repeat_digits("", '9', lens[i].d, "", &n);
        run_intlike(false, s, n, 4300, &r);
        assert_int_equal(r.big_len, lens[i].len);
        free(s);
    }
}

static void test_int_small_buffer(void **state)
{
    (void)state;
    /* A caller that passes less than npg__text_int_big_cap() gets an internal error, never an
     * overflow. */
    uint8_t big[4];
    bool is_bool, fits;
    int64_t small;
    size_t big_len;
    npg_diag d;
    uint8_t *in = dup_exact(LIT("123456789012345678901234567890"));
    int rc = npg__text_int(in, 30, 4300, &is_bool, &fits, &small, big, sizeof big, &big_len, &d);
    assert_int_equal(rc, NPG_E_INTERNAL);
    check_diag(&d, rc);
    free(in);
}

/* ------------------------------------------------------------------ LONG */

static void test_long_accept(void **state)
{
    (void)state;
    /* pickle.dumps(2**31, 0) == b'L2147483648L\n.', pickle.dumps(-2**31-1, 0) == b'L-2147483649L\n.' */
    want_small(true, LIT("2147483648L"), INT64_C(2147483648));
    want_small(true, LIT("-2147483649L"), -INT64_C(2147483649));
    want_small(true, LIT("0L"), 0);
    want_small(true, LIT("0"), 0);
    want_small(true, LIT("-1L"), -1);
    want_small(true, LIT("5"), 5);
    want_small(true, LIT("9223372036854775807L"), INT64_MAX);
    want_small(true, LIT("-9223372036854775808L"), INT64_MIN);
    /* pickle.dumps(2**63, 0) == b'L9223372036854775808L\n.'; encode_long as above */
    want_big(true, LIT("9223372036854775808L"), LIT("\x00\x00\x00\x00\x00\x00\x00\x80\x00"));
    want_big(true, LIT("-9223372036854775809L"), LIT("\xff\xff\xff\xff\xff\xff\xff\x7f\xff"));
    /* pickle.dumps(10**30, 0) == b'L1000000000000000000000000000000L\n.';
     * pickle.encode_long(10**30) */
    want_big(true, LIT("1000000000000000000000000000000L"),
               LIT("\x00\x00\x00\x40\xea\xed\x74\x46\xd0\x9c\x2c\x9f\x0c"));
}

static void test_long_refused(void **state)
{
    (void)state;
    /* C unpickler: L010L -> ValueError (base 0), L0x10L -> 16, L+5L / L 5L / L5 L -> 5 */
    static const char *const bad[] = {
        "", "L", "LL", "-L", "-", "5l", "5LL", "L5", "5L5", "010L", "010", "-0L", "-0", "0x10L", "+5L", " 5L",
        "5 L", "5L ", "1_000L", "1.0L", "Lll", "00", "01",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        want_int_err(true, bad[i], strlen(bad[i]), NPG_E_SYNTAX);
}

/* ------------------------------------------------------------------ LONG1/LONG4 payloads */

struct lb_case {
    const char *bytes;
    size_t n;
    bool fits;
    int64_t value;
    size_t min_len;
};

/* value = int.from_bytes(b, 'little', signed=True); min_len = len(pickle.encode_long(value))
 * (/usr/bin/python3). */
static const struct lb_case lb_cases[] = {
    {"", 0, true, INT64_C(0), 0}, /* 0 */
    {"\x00", 1, true, INT64_C(0), 0}, /* 0 */
    {"\x00\x00\x00", 3, true, INT64_C(0), 0}, /* 0 */
    {"\x01", 1, true, INT64_C(1), 1}, /* 1 */
    {"\xff", 1, true, INT64_C(-1), 1}, /* -1 */
    {"\xff\xff\xff", 3, true, INT64_C(-1), 1}, /* -1 */
    {"\x80", 1, true, INT64_C(-128), 1}, /* -128 */
    {"\x80\xff", 2, true, INT64_C(-128), 1}, /* -128 */
    {"\x80\x00", 2, true, INT64_C(128), 2}, /* 128 */
    {"\x7f\x00", 2, true, INT64_C(127), 1}, /* 127 */
    {"\x00\x80", 2, true, INT64_C(-32768), 2}, /* -32768 */
    {"\xff\x7f", 2, true, INT64_C(32767), 2}, /* 32767 */
    {"\xff\xff\xff\xff\xff\xff\xff\x7f", 8, true, INT64_C(9223372036854775807), 8}, /* 9223372036854775807 */
    {"\x00\x00\x00\x00\x00\x00\x00\x80", 8, true, INT64_MIN, 8}, /* -9223372036854775808 */
    {"\x00\x00\x00\x00\x00\x00\x00\x80\xff", 9, true, INT64_MIN, 8}, /* -9223372036854775808 */
    {"\x00\x00\x00\x00\x00\x00\x00\x80\x00", 9, false, 0, 9}, /* 9223372036854775808 */
    {"\x00\x00\x00\x00\x00\x00\x00\x00\x01", 9, false, 0, 9}, /* 18446744073709551616 */
    {"\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00", 10, true, INT64_C(1), 1}, /* 1 */
    {"\xff\xff\xff\xff\xff\xff\xff\x7f\xff", 9, false, 0, 9}, /* -9223372036854775809 */
    {"\xfe\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 11, true, INT64_C(-2), 1}, /* -2 */
    {"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80", 10, false, 0, 10}, /* -604462909807314587353088 */
    {"\x00\xff", 2, true, INT64_C(-256), 2}, /* -256 */
    {"\xff\x00", 2, true, INT64_C(255), 2}, /* 255 */
    {"\x34\x12\x00\x00", 4, true, INT64_C(4660), 2}, /* 4660 */
    {"\xcc\xed\xff\xff", 4, true, INT64_C(-4660), 2}, /* -4660 */
};

static void test_long_bytes(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof lb_cases / sizeof lb_cases[0]; i++) {
        const struct lb_case *c = &lb_cases[i];
        uint8_t *in = dup_exact(c->bytes, c->n);
        bool fits = !c->fits;
        int64_t small = 12345;
        size_t min_len = 999;
        npg__long_bytes(in, c->n, &fits, &small, &min_len);
        if (fits != c->fits || min_len != c->min_len || (c->fits && small != c->value))
            fail_msg("case %zu: fits %d min_len %zu value %lld", i, fits, min_len, (long long)small);
        free(in);
    }
}

/* ------------------------------------------------------------------ FLOAT */

struct float_case {
    const char *text;
    uint64_t bits;
};

/* bits = struct.unpack('<Q', struct.pack('<d', float(text)))[0] (/usr/bin/python3). The first
 * ones are what pickle.dumps(x, 0) writes (repr); the others exercise correct rounding
 * (halfway cases, subnormals, underflow to 0 which CPython's unpickler also returns). */
static const struct float_case float_cases[] = {
    {"0.0", 0x0000000000000000ull},
    {"-0.0", 0x8000000000000000ull},
    {"1.5", 0x3ff8000000000000ull},
    {"0.1", 0x3fb999999999999aull},
    {"1e5", 0x40f86a0000000000ull},   /* hand-written protocol-0 form; float("1e5") */
    {"1e308", 0x7fe1ccf385ebc8a0ull},
    {"1e+16", 0x4341c37937e08000ull},
    {"1.5e-07", 0x3e8421f5f40d8376ull},
    {"5e-324", 0x0000000000000001ull},
    {"2.2250738585072014e-308", 0x0010000000000000ull},
    {"1.7976931348623157e+308", 0x7fefffffffffffffull},
    {"1e-400", 0x0000000000000000ull},
    {"123", 0x405ec00000000000ull},
    {"1000000000000000.0", 0x430c6bf526340000ull},
    {"2.4703282292062328e-324", 0x0000000000000001ull},
    {"2.4703282292062329e-324", 0x0000000000000001ull},
    {"9007199254740993", 0x4340000000000000ull},
    {"0.30000000000000004", 0x3fd3333333333334ull},
    {"1.2345678901234568e+17", 0x437b69b4ba630f35ull},
    {"-1e+100", 0xd4b249ad2594c37dull},
    {"1e-05", 0x3ee4f8b588e368f1ull},
    {"4.9406564584124654e-324", 0x0000000000000001ull},
    {"1.7976931348623158e+308", 0x7fefffffffffffffull},
    {"0.000001", 0x3eb0c6f7a0b5ed8dull},
    {"007.5", 0x401e000000000000ull},
    {"1e+0", 0x3ff0000000000000ull},
    {"1e-0", 0x3ff0000000000000ull},
    {"123456789012345678901234567890123456789012345678901234567890.5", 0x4c33aaf504e4bc1eull},
    {"1e-99999999999999999999", 0x0000000000000000ull},
    {"-2.5e-320", 0x80000000000013c4ull},
};

static int run_float(const char *s, size_t n, double *out, npg_diag *d)
{
    uint8_t *in = dup_exact(s, n);
    poison_diag(d);
    int rc = npg__text_float(in, n, out, d);
    if (rc != NPG_OK) check_diag(d, rc);
    free(in);
    return rc;
}

static uint64_t bits_of(double v)
{
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    return b;
}

static void check_float_table(void)
{
    for (size_t i = 0; i < sizeof float_cases / sizeof float_cases[0]; i++) {
        double v = 0;
        npg_diag d;
        int rc = run_float(float_cases[i].text, strlen(float_cases[i].text), &v, &d);
        if (rc != NPG_OK) fail_msg("'%s' refused: %s", float_cases[i].text, d.msg);
        if (bits_of(v) != float_cases[i].bits)
            fail_msg("'%s': got %016llx want %016llx", float_cases[i].text, (unsigned long long)bits_of(v),
                     (unsigned long long)float_cases[i].bits);
    }
}

static void test_float_accept(void **state)
{
    (void)state;
    check_float_table();
}

static void test_float_special(void **state)
{
    (void)state;
    double v;
    npg_diag d;
    assert_int_equal(run_float(LIT("inf"), &v, &d), NPG_OK);
    assert_true(isinf(v) && v > 0);
    assert_int_equal(run_float(LIT("-inf"), &v, &d), NPG_OK);
    assert_true(isinf(v) && v < 0);
    /* struct.pack('>d', float('nan')).hex() == '7ff8000000000000' */
    assert_int_equal(run_float(LIT("nan"), &v, &d), NPG_OK);
    assert_true(bits_of(v) == 0x7ff8000000000000ull);
    /* struct.pack('>d', pickle.loads(b'F-nan\n.')).hex() == 'fff8000000000000' (C and Python
     * unpicklers agree); repr never writes it but the grammar -?nan allows it */
    assert_int_equal(run_float(LIT("-nan"), &v, &d), NPG_OK);
    assert_true(bits_of(v) == 0xfff8000000000000ull);
}

static void test_float_refused(void **state)
{
    (void)state;
    /* F1_0.5 and F 1.5: C unpickler ValueError, pure-Python 10.5 / 1.5. F1e+400 and
     * F1.7976931348623159e+308: C OverflowError, pure-Python inf. The rest are not what
     * repr(float) writes. */
    static const char *const bad[] = {
        "", "-", "+", "1.", ".5", "-.5", "1E+5", "1e+", "1e-", "1e", "e+5", "1.5e+5.0", "1.5e+5x",
        "Inf", "INF", "NaN", "NAN", "infinity", "-infinity", "+inf", "+nan", "nan(1)", "inff", "in", "-nan0",
        "+1.5", " 1.5", "1.5 ", "\t1.5", "1.5\n", "1_0.5", "1.0_5", "0x1p3", "0x10", "1,5", "--1.0", "-+1.0",
        "1e+400", "-1e+400", "1e400", "1.7976931348623159e+308", "-1.7976931348623159e+308", "1.5L", "1.5f", "1.5j", "\xd9\xa1.5",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double v = 0;
        npg_diag d;
        int rc = run_float(bad[i], strlen(bad[i]), &v, &d);
        if (rc != NPG_E_SYNTAX) fail_msg("'%s': expected NPG_E_SYNTAX, got %d", bad[i], rc);
    }
    double v;
    npg_diag d;
    assert_int_equal(run_float(LIT("1.5\0"), &v, &d), NPG_E_SYNTAX);
    assert_int_equal(run_float(LIT("\0001.5"), &v, &d), NPG_E_SYNTAX);
    /* over-long texts (repr is at most 24 characters) are refused */
    size_t n;
    char *s = repeat_digits("0.", '1', 200, "", &n);
    assert_int_equal(run_float(s, n, &v, &d), NPG_E_SYNTAX);
    free(s);
    /* the overflow message names the opcode */
    assert_int_equal(run_float(LIT("1e+400"), &v, &d), NPG_E_SYNTAX);
    assert_non_null(strstr(d.msg, "FLOAT argument is too large"));
}

/* Correct rounding must not depend on the process locale. A locale with a decimal comma is
 * used when one is installed (e.g. generated with `localedef -i de_DE -f UTF-8 DIR/de_DE.UTF-8`
 * and LOCPATH=DIR); otherwise the test is skipped. */
static void test_float_locale(void **state)
{
    (void)state;
    static const char *const names[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8",
                                        "ru_RU.UTF-8", "nl_NL.UTF-8", "de_DE", "fr_FR"};
    const char *old = setlocale(LC_ALL, NULL);
    char saved[256];
    snprintf(saved, sizeof saved, "%s", old ? old : "C");
    const char *got = NULL;
    for (size_t i = 0; i < sizeof names / sizeof names[0] && !got; i++) got = setlocale(LC_ALL, names[i]);
    if (!got) skip();
    const struct lconv *lc = localeconv();
    bool comma = lc && lc->decimal_point && strcmp(lc->decimal_point, ",") == 0;
    check_float_table();
    double v;
    npg_diag d;
    int rc1 = run_float(LIT("1,5"), &v, &d);
    setlocale(LC_ALL, saved);
    assert_true(comma);
    assert_int_equal(rc1, NPG_E_SYNTAX);
}

/* ------------------------------------------------------------------ STRING */

static int run_string(const char *s, size_t n, uint8_t **out, size_t *out_len, npg_diag *d)
{
    uint8_t *in = dup_exact(s, n);
    *out = malloc(n ? n : 1); /* out_cap == n exactly */
    assert_non_null(*out);
    poison_diag(d);
    *out_len = 999999;
    int rc = npg__text_string(in, n, *out, n, out_len, d);
    if (rc != NPG_OK) check_diag(d, rc);
    else assert_true(*out_len <= n);
    free(in);
    return rc;
}

static void want_string(const char *s, size_t n, const char *want, size_t want_len)
{
    uint8_t *out;
    size_t len;
    npg_diag d;
    int rc = run_string(s, n, &out, &len, &d);
    if (rc != NPG_OK) fail_msg("STRING '%.*s' refused: %s", (int)n, s, d.msg);
    assert_int_equal(len, want_len);
    assert_memory_equal(out, want, want_len);
    free(out);
}

static void want_string_err(const char *s, size_t n)
{
    uint8_t *out;
    size_t len;
    npg_diag d;
    int rc = run_string(s, n, &out, &len, &d);
    if (rc != NPG_E_SYNTAX) fail_msg("STRING '%.*s': expected NPG_E_SYNTAX, got %d", (int)n, s, rc);
    free(out);
}

/* repr(bytes(range(256)))[1:] -- Python 3's bytes repr is Python 2's str repr with a 'b' in
 * front; pickle.loads(b'S' + it + b'\n.', encoding='bytes') == bytes(range(256)) was checked. */
static const char repr256[] =
    "'\\x00\\x01\\x02\\x03\\x04\\x05\\x06\\x07\\x08\\t\\n\\x0b\\x0c\\r\\x0e\\x0f\\x10\\x11\\x12"
    "\\x13\\x14\\x15\\x16\\x17\\x18\\x19\\x1a\\x1b\\x1c\\x1d\\x1e\\x1f !\"#$%&\\'()*+,-./012345"
    "6789:;<=>\077@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\\\]^_`abcdefghijklmnopqrstuvwxyz{|}~\\x7f\\x80"
    "\\x81\\x82\\x83\\x84\\x85\\x86\\x87\\x88\\x89\\x8a\\x8b\\x8c\\x8d\\x8e\\x8f\\x90\\x91\\x92"
    "\\x93\\x94\\x95\\x96\\x97\\x98\\x99\\x9a\\x9b\\x9c\\x9d\\x9e\\x9f\\xa0\\xa1\\xa2\\xa3\\xa4"
    "\\xa5\\xa6\\xa7\\xa8\\xa9\\xaa\\xab\\xac\\xad\\xae\\xaf\\xb0\\xb1\\xb2\\xb3\\xb4\\xb5\\xb6"
    "\\xb7\\xb8\\xb9\\xba\\xbb\\xbc\\xbd\\xbe\\xbf\\xc0\\xc1\\xc2\\xc3\\xc4\\xc5\\xc6\\xc7\\xc8"
    "\\xc9\\xca\\xcb\\xcc\\xcd\\xce\\xcf\\xd0\\xd1\\xd2\\xd3\\xd4\\xd5\\xd6\\xd7\\xd8\\xd9\\xda"
    "\\xdb\\xdc\\xdd\\xde\\xdf\\xe0\\xe1\\xe2\\xe3\\xe4\\xe5\\xe6\\xe7\\xe8\\xe9\\xea\\xeb\\xec"
    "\\xed\\xee\\xef\\xf0\\xf1\\xf2\\xf3\\xf4\\xf5\\xf6\\xf7\\xf8\\xf9\\xfa\\xfb\\xfc\\xfd\\xfe"
    "\\xff'";

static void test_string_accept(void **state)
{
    (void)state;
    /* CPython's test_correctly_quoted_string: S''\n -> '', S""\n -> '', S"\n"\n and S'\n'\n -> '\n' */
    want_string(LIT("''"), LIT(""));
    want_string(LIT("\"\""), LIT(""));
    want_string(LIT("\"\\n\""), LIT("\n"));
    want_string(LIT("'\\n'"), LIT("\n"));
    /* Python 2 repr: repr(b"it's")[1:] == '"it\'s"', repr(b'say "hi"')[1:] == '\'say "hi"\'',
     * repr(b'both \' and "')[1:] == '\'both \\\' and "\'', repr(b'tab\there\r\n')[1:] */
    want_string(LIT("\"it's\""), LIT("it's"));
    want_string(LIT("'say \"hi\"'"), LIT("say \"hi\""));
    want_string(LIT("'both \\' and \"'"), LIT("both ' and \""));
    want_string(LIT("'tab\\there\\r\\n'"), LIT("tab\there\r\n"));
    /* every escape escape_decode knows (pickle.loads of S'\a\b\f\v\t\r\'\"\\'):
     * '\x07\x08\x0c\x0b\t\r\'"\\' */
    want_string(LIT("'\\a\\b\\f\\v\\t\\r\\'\\\"\\\\'"), LIT("\a\b\f\v\t\r'\"\\"));
    want_string(LIT("\"\\a\\b\\f\\v\\t\\r\\'\\\"\\\\\""), LIT("\a\b\f\v\t\r'\"\\"));
    /* \xNN in either case: S'\xAb' -> '\xab' */
    want_string(LIT("'\\x41\\xAb\\xff\\x00'"), LIT("A\xab\xff\x00"));
    /* octal: S'\0' -> '\x00', S'\08' -> '\x008', S'\377' -> '\xff', \101 -> 'A', \1234 -> 'S4' */
    want_string(LIT("'\\0'"), LIT("\0"));
    want_string(LIT("'\\08'"), LIT("\0" "8"));
    want_string(LIT("'\\377'"), LIT("\xff"));
    want_string(LIT("'\\101'"), LIT("A"));
    want_string(LIT("'\\1234'"), LIT("S4"));
    want_string(LIT("'\\7\\77'"), LIT("\7\77"));
    /* raw bytes pass through (S'\xff\x00'\n -> '\xff\x00' in both unpicklers) */
    want_string(LIT("'\xff\x00\r'"), LIT("\xff\x00\r"));
    /* the other quote kind needs no escape */
    want_string(LIT("'\"'"), LIT("\""));
    want_string(LIT("\"'\""), LIT("'"));
    /* all 256 bytes */
    char want[256];
    for (int i = 0; i < 256; i++) want[i] = (char)i;
    want_string(repr256, sizeof repr256 - 1, want, 256);
}

static void test_string_cpython_bad_quotes(void **state)
{
    (void)state;
    /* CPython Lib/test/pickletester.py test_badly_quoted_string (#17710): every line below
     * (without the S and the '\n.') makes pickle.loads raise UnpicklingError "the STRING opcode
     * argument must be quoted" (checked with /usr/bin/python3). pickletools accepts "'" as ''. */
    static const char *const bad[] = {
        "'", "\"", "' ", "\" ", "'\"", "\"'", "' ' ", "\" \" ", " ''", " \"\"", " ", "", ".",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) want_string_err(bad[i], strlen(bad[i]));
    /* test_badly_escaped_string: S'\'\n -> ValueError "Trailing \ in string" */
    want_string_err(LIT("'\\'"));
    uint8_t *out;
    size_t len;
    npg_diag d;
    assert_int_equal(run_string(LIT("'\\'"), &out, &len, &d), NPG_E_SYNTAX);
    assert_non_null(strstr(d.msg, "backslash"));
    free(out);
    assert_int_equal(run_string(LIT(" ''"), &out, &len, &d), NPG_E_SYNTAX);
    assert_non_null(strstr(d.msg, "quoted"));
    free(out);
}

static void test_string_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "abc", "'abc", "abc'", "'abc\"", "\"abc'", "''a''", "'a'b'", "\"a\"b\"", "'\\\\\\'",
        "'abc\\'", "'\\x4'", "'\\x4g'", "'\\x'", "'\\xg0'", "'\\X41'",
        /* unknown escapes: CPython keeps "\q" as two bytes with a DeprecationWarning */
        "'\\q'", "'\\u0041'", "'\\U00000041'", "'\\N{DASH}'", "'\\8'", "'\\9'", "'\\ '",
        /* octal above \377: CPython keeps the low 8 bits (\777 -> '\xff', \400 -> '\x00') */
        "'\\400'", "'\\777'", "'\\4000'",
        "b'abc'", "u'abc'", "'''abc'''",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) want_string_err(bad[i], strlen(bad[i]));
    want_string_err(LIT("'\\\n'")); /* \<newline> (cannot occur in a line, refused anyway) */
    want_string_err(LIT("'\\\0'"));
    /* output buffer smaller than n: internal error, nothing written past it */
    uint8_t out[2];
    size_t len;
    npg_diag d;
    uint8_t *in = dup_exact(LIT("'ab'"));
    assert_int_equal(npg__text_string(in, 4, out, sizeof out, &len, &d), NPG_E_INTERNAL);
    free(in);
}

/* ------------------------------------------------------------------ UNICODE */

static int run_unicode(const char *s, size_t n, uint8_t **out, size_t *out_len, npg_diag *d)
{
    uint8_t *in = dup_exact(s, n);
    *out = malloc(n ? 2 * n : 1); /* out_cap == 2n exactly */
    assert_non_null(*out);
    poison_diag(d);
    *out_len = 999999;
    int rc = npg__text_unicode(in, n, *out, 2 * n, out_len, d);
    if (rc != NPG_OK) check_diag(d, rc);
    else assert_true(*out_len <= 2 * n);
    free(in);
    return rc;
}

static void want_unicode(const char *s, size_t n, const char *want, size_t want_len)
{
    uint8_t *out;
    size_t len;
    npg_diag d;
    int rc = run_unicode(s, n, &out, &len, &d);
    if (rc != NPG_OK) fail_msg("UNICODE '%.*s' refused: %s", (int)n, s, d.msg);
    if (len != want_len || memcmp(out, want, want_len) != 0) fail_msg("UNICODE '%.*s': wrong output", (int)n, s);
    /* the result is valid surrogatepass UTF-8 */
    size_t bad = 0;
    assert_true(npg__utf8_valid(out, len, &bad));
    free(out);
}

static void want_unicode_err(const char *s, size_t n)
{
    uint8_t *out;
    size_t len;
    npg_diag d;
    int rc = run_unicode(s, n, &out, &len, &d);
    if (rc != NPG_E_SYNTAX) fail_msg("UNICODE '%.*s': expected NPG_E_SYNTAX, got %d", (int)n, s, rc);
    free(out);
}

/* s = ''.join(map(chr, [0, 1, 9, 10, 13, 26, 0x5c, 0x7f, 0x80, 0xa0, 0xe9, 0xff, 0x100, 0x7ff,
 * 0x800, 0xd7ff, 0xd800, 0xdbff, 0xdc00, 0xdfff, 0xe000, 0xfffd, 0xffff, 0x10000, 0x1f600,
 * 0x10ffff])) + 'abc'; v_line is pickle.dumps(s, 0) between 'V' and '\n', v_utf8 is
 * s.encode('utf-8', 'surrogatepass') (/usr/bin/python3). */
static const char v_line[] =
    "\\u0000\001\011\\u000a\\u000d\\u001a\\u005c\177\200\240\351\377\\u0100\\u07ff\\u0800\\ud7f"
    "f\\ud800\\udbff\\udc00\\udfff\\ue000\\ufffd\\uffff\\U00010000\\U0001f600\\U0010ffffabc";
static const char v_utf8[] =
    "\000\001\011\012\015\032\\\177\302\200\302\240\303\251\303\277\304\200\337\277\340\240\200"
    "\355\237\277\355\240\200\355\257\277\355\260\200\355\277\277\356\200\200\357\277\275\357"
    "\277\277\360\220\200\200\360\237\230\200\364\217\277\277abc";

static void test_unicode_accept(void **state)
{
    (void)state;
    want_unicode(LIT(""), LIT(""));
    want_unicode(LIT("abc"), LIT("abc"));
    /* raw latin-1 bytes: b'\xe9'.decode('raw_unicode_escape') == 'é' -> c3 a9 */
    want_unicode(LIT("\xe9"), LIT("\xc3\xa9"));
    want_unicode(LIT("\\u0041"), LIT("A"));
    want_unicode(LIT("\\U00000041"), LIT("A"));
    want_unicode(LIT("\\u00e9\\u00E9"), LIT("\xc3\xa9\xc3\xa9"));
    want_unicode(LIT("\\u20ac"), LIT("\xe2\x82\xac"));
    want_unicode(LIT("\\U0001F600"), LIT("\xf0\x9f\x98\x80"));
    want_unicode(LIT("\\U0010ffff"), LIT("\xf4\x8f\xbf\xbf"));
    /* lone surrogates and a surrogate pair, never combined:
     * b'\\ud800\\udc00'.decode('raw_unicode_escape') == '\ud800\udc00';
     * .encode('utf-8', 'surrogatepass') == ed a0 80 ed b0 80 */
    want_unicode(LIT("\\ud800"), LIT("\xed\xa0\x80"));
    want_unicode(LIT("\\udfff"), LIT("\xed\xbf\xbf"));
    want_unicode(LIT("\\ud800\\udc00"), LIT("\xed\xa0\x80\xed\xb0\x80"));
    want_unicode(LIT("\\U0000d800"), LIT("\xed\xa0\x80"));
    /* what CPython's pickler writes */
    want_unicode(v_line, sizeof v_line - 1, v_utf8, sizeof v_utf8 - 1);
}

static void test_unicode_backslashes(void **state)
{
    (void)state;
    /* b'...'.decode('raw_unicode_escape') with /usr/bin/python3:
     *   b'\\q' -> '\\q', b'\\' -> '\\', b'a\\' -> 'a\\', b'\\x41' -> '\\x41',
     *   b'\\\\' -> '\\\\' (two backslashes),
     *   b'\\\\u0041' -> '\\\\u0041' (an even run of backslashes does not start an escape),
     *   b'\\\\\\u0041' -> '\\\\A', b'\\\\\\\\u0041' -> '\\\\\\\\u0041' */
    want_unicode(LIT("\\q"), LIT("\\q"));
    want_unicode(LIT("\\"), LIT("\\"));
    want_unicode(LIT("a\\"), LIT("a\\"));
    want_unicode(LIT("\\x41"), LIT("\\x41"));
    want_unicode(LIT("\\\\"), LIT("\\\\"));
    want_unicode(LIT("\\\\u0041"), LIT("\\\\u0041"));
    want_unicode(LIT("\\\\\\u0041"), LIT("\\\\A"));
    want_unicode(LIT("\\\\\\\\u0041"), LIT("\\\\\\\\u0041"));
    want_unicode(LIT("\\\xe9"), LIT("\\\xc3\xa9"));
    want_unicode(LIT("\\\\\\"), LIT("\\\\\\"));
}

static void test_unicode_refused(void **state)
{
    (void)state;
    /* b'\\u12'.decode('raw_unicode_escape') -> UnicodeDecodeError "truncated \uXXXX escape";
     * b'\\U00110000' and b'\\Uffffffff' -> "\Uxxxxxxxx out of range" */
    static const char *const bad[] = {
        "\\u", "\\u1", "\\u12", "\\u123", "\\u12zz", "\\u004g", "\\u 041", "\\u+041", "abc\\u00",
        "\\U", "\\U0000004", "\\U0000004g", "\\U00110000", "\\Uffffffff", "\\U80000000", "\\U0011ffff",
        "\\\\\\u12", "ok\\U12345678",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) want_unicode_err(bad[i], strlen(bad[i]));
    uint8_t *out;
    size_t len;
    npg_diag d;
    assert_int_equal(run_unicode(LIT("\\U00110000"), &out, &len, &d), NPG_E_SYNTAX);
    assert_non_null(strstr(d.msg, "10FFFF"));
    free(out);
    assert_int_equal(run_unicode(LIT("\\u12"), &out, &len, &d), NPG_E_SYNTAX);
    assert_non_null(strstr(d.msg, "truncated"));
    free(out);
    /* output buffer smaller than 2n: internal error */
    uint8_t small[3];
    uint8_t *in = dup_exact(LIT("ab"));
    assert_int_equal(npg__text_unicode(in, 2, small, sizeof small, &len, &d), NPG_E_INTERNAL);
    free(in);
}

/* ------------------------------------------------------------------ GET/PUT indices */

static int run_index(const char *s, size_t n, uint64_t max, uint64_t *out)
{
    uint8_t *in = dup_exact(s, n);
    npg_diag d;
    poison_diag(&d);
    *out = 777;
    int rc = npg__text_index(in, n, max, out, &d);
    if (rc != NPG_OK) check_diag(&d, rc);
    free(in);
    return rc;
}

static void test_index(void **state)
{
    (void)state;
    uint64_t v;
    assert_int_equal(run_index(LIT("0"), 100, &v), NPG_OK);
    assert_true(v == 0);
    assert_int_equal(run_index(LIT("1"), 100, &v), NPG_OK);
    assert_true(v == 1);
    assert_int_equal(run_index(LIT("100"), 100, &v), NPG_OK);
    assert_true(v == 100);
    assert_int_equal(run_index(LIT("100000"), UINT64_MAX, &v), NPG_OK); /* test_get: g100000 */
    assert_true(v == 100000);
    assert_int_equal(run_index(LIT("18446744073709551615"), UINT64_MAX, &v), NPG_OK);
    assert_true(v == UINT64_MAX);
    assert_int_equal(run_index(LIT("0"), 0, &v), NPG_OK);
    /* above max */
    assert_int_equal(run_index(LIT("101"), 100, &v), NPG_E_LIMIT_MEMO);
    assert_int_equal(run_index(LIT("1"), 0, &v), NPG_E_LIMIT_MEMO);
    assert_int_equal(run_index(LIT("18446744073709551616"), UINT64_MAX, &v), NPG_E_LIMIT_MEMO);
    assert_int_equal(run_index(LIT("99999999999999999999999999"), UINT64_MAX, &v), NPG_E_LIMIT_MEMO);
    /* test_negative_put: b'Va\np-1\n.' -> ValueError "negative PUT argument" */
    assert_int_equal(run_index(LIT("-1"), 100, &v), NPG_E_MEMO);
    assert_int_equal(run_index(LIT("-0"), 100, &v), NPG_E_MEMO);
    assert_int_equal(run_index(LIT("-"), 100, &v), NPG_E_MEMO);
    /* CPython reads p010/p+1/p 1 as 10/1/1 (int() base 10); none is what the pickler writes */
    static const char *const bad[] = {"", "01", "00", "010", "+1", " 1", "1 ", "1L", "0x1", "1_0", "1.0", "a", "\xd9\xa1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = run_index(bad[i], strlen(bad[i]), 1000, &v);
        if (rc != NPG_E_SYNTAX) fail_msg("index '%s': expected NPG_E_SYNTAX, got %d", bad[i], rc);
    }
    assert_int_equal(run_index(LIT("1\0"), 1000, &v), NPG_E_SYNTAX);
}

/* ------------------------------------------------------------------ UTF-8 */

struct utf8_case {
    const char *bytes;
    size_t n;
    long bad_at; /* -1: valid */
};

/* b.decode('utf-8', 'surrogatepass') with /usr/bin/python3: valid, or UnicodeDecodeError.start */
static const struct utf8_case utf8_cases[] = {
    {"", 0, -1},
    {"abc", 3, -1},
    {"a\0b", 3, -1},
    {"\xc2\x80", 2, -1},
    {"\xdf\xbf", 2, -1},
    {"\xe0\xa0\x80", 3, -1},
    {"\xef\xbf\xbf", 3, -1},
    {"\xed\x9f\xbf", 3, -1},
    {"\xed\xa0\x80", 3, -1},             /* U+D800 (surrogatepass) */
    {"\xed\xbf\xbf", 3, -1},             /* U+DFFF */
    {"\xed\xa0\x80\xed\xb0\x80", 6, -1}, /* two surrogates */
    {"\xee\x80\x80", 3, -1},
    {"\xf0\x90\x80\x80", 4, -1},
    {"\xf4\x8f\xbf\xbf", 4, -1},         /* U+10FFFF */
    {"\xf1\x80\x80\x80", 4, -1},
    {"\x80", 1, 0},                      /* lone continuation bytes */
    {"\xbf", 1, 0},
    {"\xc0\x80", 2, 0},                  /* overlong NUL */
    {"\xc1\xbf", 2, 0},                  /* overlong U+007F */
    {"\xe0\x80\x80", 3, 0},              /* overlong 3-byte */
    {"\xe0\x9f\xbf", 3, 0},
    {"\xf0\x80\x80\x80", 4, 0},          /* overlong 4-byte */
    {"\xf0\x8f\xbf\xbf", 4, 0},
    {"\xf4\x90\x80\x80", 4, 0},          /* U+110000 */
    {"\xf5\x80\x80\x80", 4, 0},
    {"\xf8\x88\x80\x80\x80", 5, 0},      /* 5-byte form */
    {"\xfe", 1, 0},
    {"\xff", 1, 0},
    {"\xc2", 1, 0},                      /* truncated */
    {"\xe2\x82", 2, 0},
    {"\xf0\x9f\x98", 3, 0},
    {"a\xe2\x82", 3, 1},
    {"ab\xc2\x41", 4, 2},                /* bad continuation */
    {"\xe2\x28\xa1", 3, 0},
    {"\xe2\x82\x28", 3, 0},
    {"\xf0\x9f\x98\x28", 4, 0},
    {"abc\xed\xa0", 5, 3},
    {"\xc3\xa9\xc3", 3, 2},
};

static void test_utf8_valid(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof utf8_cases / sizeof utf8_cases[0]; i++) {
        const struct utf8_case *c = &utf8_cases[i];
        uint8_t *in = dup_exact(c->bytes, c->n);
        size_t bad = 424242;
        bool ok = npg__utf8_valid(in, c->n, &bad);
        if (c->bad_at < 0) {
            if (!ok) fail_msg("case %zu: refused at %zu", i, bad);
        } else {
            if (ok) fail_msg("case %zu: accepted", i);
            if (bad != (size_t)c->bad_at) fail_msg("case %zu: bad_at %zu, want %ld", i, bad, c->bad_at);
        }
        free(in);
    }
    /* bad_at may be NULL */
    assert_false(npg__utf8_valid((const uint8_t *)"\xff", 1, NULL));
    /* every code point U+0000..U+10FFFF encoded by hand (the UTF-8 definition) is valid */
    uint8_t buf[4];
    for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
        size_t n;
        if (cp < 0x80) {
            buf[0] = (uint8_t)cp;
            n = 1;
        } else if (cp < 0x800) {
            buf[0] = (uint8_t)(0xC0 | (cp >> 6));
            buf[1] = (uint8_t)(0x80 | (cp & 0x3F));
            n = 2;
        } else if (cp < 0x10000) {
            buf[0] = (uint8_t)(0xE0 | (cp >> 12));
            buf[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
            buf[2] = (uint8_t)(0x80 | (cp & 0x3F));
            n = 3;
        } else {
            buf[0] = (uint8_t)(0xF0 | (cp >> 18));
            buf[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
            buf[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
            buf[3] = (uint8_t)(0x80 | (cp & 0x3F));
            n = 4;
        }
        size_t bad;
        if (!npg__utf8_valid(buf, n, &bad)) fail_msg("U+%04X refused", (unsigned)cp);
        if (npg__utf8_count(buf, n) != 1) fail_msg("U+%04X counted wrong", (unsigned)cp);
        /* every strict prefix is truncated */
        for (size_t k = 1; k < n; k++)
            if (npg__utf8_valid(buf, k, &bad) || bad != 0) fail_msg("U+%04X prefix %zu accepted", (unsigned)cp, k);
    }
}

static void test_utf8_count(void **state)
{
    (void)state;
    /* len(v_utf8.decode('utf-8', 'surrogatepass')) == 29 */
    assert_int_equal(npg__utf8_count((const uint8_t *)v_utf8, sizeof v_utf8 - 1), 29);
    assert_int_equal(npg__utf8_count((const uint8_t *)"", 0), 0);
    assert_int_equal(npg__utf8_count((const uint8_t *)"a\xe2\x82\xac\xf0\x9f\x98\x80\xed\xa0\x80", 11), 4); /* len("a\u20ac\U0001f600\ud800") */
}

/* bytes(range(256)).decode('latin1').encode('utf-8') (/usr/bin/python3) */
static const char latin1_utf8[] =
    "\000\001\002\003\004\005\006\007\010\011\012\013\014\015\016\017\020\021\022\023\024\025"
    "\026\027\030\031\032\033\034\035\036\037 !\"#$%&'()*+,-./0123456789:;<=>\077@ABCDEFGHIJKLM"
    "NOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~\177\302\200\302\201\302\202\302\203\302"
    "\204\302\205\302\206\302\207\302\210\302\211\302\212\302\213\302\214\302\215\302\216\302"
    "\217\302\220\302\221\302\222\302\223\302\224\302\225\302\226\302\227\302\230\302\231\302"
    "\232\302\233\302\234\302\235\302\236\302\237\302\240\302\241\302\242\302\243\302\244\302"
    "\245\302\246\302\247\302\250\302\251\302\252\302\253\302\254\302\255\302\256\302\257\302"
    "\260\302\261\302\262\302\263\302\264\302\265\302\266\302\267\302\270\302\271\302\272\302"
    "\273\302\274\302\275\302\276\302\277\303\200\303\201\303\202\303\203\303\204\303\205\303"
    "\206\303\207\303\210\303\211\303\212\303\213\303\214\303\215\303\216\303\217\303\220\303"
    "\221\303\222\303\223\303\224\303\225\303\226\303\227\303\230\303\231\303\232\303\233\303"
    "\234\303\235\303\236\303\237\303\240\303\241\303\242\303\243\303\244\303\245\303\246\303"
    "\247\303\250\303\251\303\252\303\253\303\254\303\255\303\256\303\257\303\260\303\261\303"
    "\262\303\263\303\264\303\265\303\266\303\267\303\270\303\271\303\272\303\273\303\274\303"
    "\275\303\276\303\277";

static void test_latin1_to_utf8(void **state)
{
    (void)state;
    char all[256];
    for (int i = 0; i < 256; i++) all[i] = (char)i;
    uint8_t *in = dup_exact(all, 256);
    uint8_t *out = malloc(512);
    assert_non_null(out);
    size_t n = npg__latin1_to_utf8(in, 256, out);
    assert_int_equal(n, 384);
    assert_int_equal(sizeof latin1_utf8 - 1, 384);
    assert_memory_equal(out, latin1_utf8, 384);
    /* worst case 2n exactly */
    uint8_t *in2 = dup_exact(LIT("\xff\xff\xff"));
    uint8_t *out2 = malloc(6);
    assert_non_null(out2);
    assert_int_equal(npg__latin1_to_utf8(in2, 3, out2), 6);
    assert_memory_equal(out2, "\xc3\xbf\xc3\xbf\xc3\xbf", 6);
    assert_int_equal(npg__latin1_to_utf8(in2, 0, out2), 0);
    free(in);
    free(out);
    free(in2);
    free(out2);
}

static bool run_to_latin1(const char *s, size_t n, uint8_t *out, size_t *out_len)
{
    uint8_t *in = dup_exact(s, n);
    bool ok = npg__utf8_to_latin1(in, n, out, out_len);
    free(in);
    return ok;
}

static void test_utf8_to_latin1(void **state)
{
    (void)state;
    uint8_t out[512];
    size_t len;
    /* round trip of all 256 latin-1 characters */
    assert_true(run_to_latin1(latin1_utf8, sizeof latin1_utf8 - 1, out, &len));
    assert_int_equal(len, 256);
    for (int i = 0; i < 256; i++) assert_int_equal(out[i], i);
    assert_true(run_to_latin1(LIT(""), out, &len));
    assert_int_equal(len, 0);
    /* 'é'.encode('latin1') == b'\xe9' */
    assert_true(run_to_latin1(LIT("caf\xc3\xa9"), out, &len));
    assert_int_equal(len, 4);
    assert_memory_equal(out, "caf\xe9", 4);
    /* str.encode('latin1') fails above U+00FF: U+0100, U+20AC, U+D800 (surrogate), U+1F600 */
    assert_false(run_to_latin1(LIT("\xc4\x80"), out, &len));
    assert_false(run_to_latin1(LIT("ab\xe2\x82\xac"), out, &len));
    assert_false(run_to_latin1(LIT("\xed\xa0\x80"), out, &len));
    assert_false(run_to_latin1(LIT("\xf0\x9f\x98\x80"), out, &len));
    /* not valid UTF-8 (a caller bug) still fails safely */
    assert_false(run_to_latin1(LIT("\xc3"), out, &len));
    assert_false(run_to_latin1(LIT("\xc3\x41"), out, &len));
    assert_false(run_to_latin1(LIT("\x80"), out, &len));
}

/* ------------------------------------------------------------------ small helpers */

static void test_eq_lit(void **state)
{
    (void)state;
    uint8_t *in = dup_exact(LIT("numpy"));
    assert_true(npg__eq_lit(in, 5, "numpy"));
    assert_false(npg__eq_lit(in, 5, "numpyx"));
    assert_false(npg__eq_lit(in, 4, "numpy"));
    assert_true(npg__eq_lit(in, 4, "nump"));
    assert_false(npg__eq_lit(in, 5, "Numpy"));
    assert_true(npg__eq_lit(in, 0, ""));
    assert_false(npg__eq_lit(in, 1, ""));
    free(in);
    uint8_t *z = dup_exact(LIT("a\0b"));
    assert_false(npg__eq_lit(z, 3, "a"));
    free(z);
}

static void test_escape(void **state)
{
    (void)state;
    char out[64];
    memset(out, 'Z', sizeof out);
    size_t n = npg__escape(out, sizeof out, "a\\b\n\xff ~\x7f", 8);
    assert_string_equal(out, "a\\\\b\\x0a\\xff ~\\x7f");
    assert_int_equal(n, strlen(out));
    /* truncation never splits an escape and always terminates */
    memset(out, 'Z', sizeof out);
    assert_int_equal(npg__escape(out, 4, "\xff", 1), 0);
    assert_string_equal(out, "");
    assert_int_equal(npg__escape(out, 5, "\xff", 1), 4);
    assert_string_equal(out, "\\xff");
    assert_int_equal(npg__escape(out, 2, "\\", 1), 0);
    assert_string_equal(out, "");
    assert_int_equal(npg__escape(out, 3, "\\", 1), 2);
    assert_string_equal(out, "\\\\");
    assert_int_equal(npg__escape(out, 3, "abcdef", 6), 2);
    assert_string_equal(out, "ab");
    assert_int_equal(npg__escape(out, 1, "abc", 3), 0);
    assert_string_equal(out, "");
    assert_int_equal(npg__escape(out, sizeof out, "", 0), 0);
    assert_string_equal(out, "");
    /* reads exactly n bytes */
    uint8_t *in = dup_exact(LIT("\0x"));
    assert_int_equal(npg__escape(out, sizeof out, in, 2), 5);
    assert_string_equal(out, "\\x00x");
    free(in);
    /* cap 0 writes nothing */
    out[0] = 'Q';
    assert_int_equal(npg__escape(out, 0, "abc", 3), 0);
    assert_int_equal(out[0], 'Q');
}

static void test_diag(void **state)
{
    (void)state;
    npg_diag d;
    poison_diag(&d);
    assert_int_equal(npg__diag(&d, NPG_E_SYNTAX, "bad %s at %d", "thing", 7), NPG_E_SYNTAX);
    assert_int_equal(d.code, NPG_E_SYNTAX);
    assert_string_equal(d.msg, "bad thing at 7");
    /* NULL record: just the code */
    assert_int_equal(npg__diag(NULL, NPG_E_MEMO, "x"), NPG_E_MEMO);
    /* non-printable bytes replaced, one line */
    npg__diag(&d, 1, "a\nb\tc\xff%s", "\x01");
    check_diag(&d, 1);
    assert_null(strchr(d.msg, '\n'));
    assert_int_equal(strlen(d.msg), 7);
    /* truncated to fit */
    char big[1000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    npg__diag(&d, 2, "%s", big);
    check_diag(&d, 2);
    assert_int_equal(strlen(d.msg), sizeof d.msg - 1);
    /* an argument that is the record's own message */
    npg__diag(&d, 3, "first");
    npg__diag(&d, 4, "%s, then second", d.msg);
    assert_string_equal(d.msg, "first, then second");
    assert_int_equal(d.code, 4);
}

/* Messages of the grammar functions are one printable line even for hostile input. */
static void test_messages_hostile(void **state)
{
    (void)state;
    char hostile[300];
    for (size_t i = 0; i < sizeof hostile; i++) hostile[i] = (char)(i * 7 + 1);
    hostile[0] = '\n';
    int_res r;
    run_intlike(false, hostile, sizeof hostile, 4300, &r);
    assert_int_equal(r.rc, NPG_E_SYNTAX); /* check_diag ran inside */
    uint8_t *out;
    size_t len;
    npg_diag d;
    assert_int_equal(run_string(hostile, sizeof hostile, &out, &len, &d), NPG_E_SYNTAX);
    free(out);
    double v;
    assert_int_equal(run_float(hostile, sizeof hostile, &v, &d), NPG_E_SYNTAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_int_small),
        cmocka_unit_test(test_int_bools),
        cmocka_unit_test(test_int_boundaries),
        cmocka_unit_test(test_int_big_table),
        cmocka_unit_test(test_int_refused),
        cmocka_unit_test(test_int_digit_limit),
        cmocka_unit_test(test_int_big_cap),
        cmocka_unit_test(test_int_small_buffer),
        cmocka_unit_test(test_long_accept),
        cmocka_unit_test(test_long_refused),
        cmocka_unit_test(test_long_bytes),
        cmocka_unit_test(test_float_accept),
        cmocka_unit_test(test_float_special),
        cmocka_unit_test(test_float_refused),
        cmocka_unit_test(test_float_locale),
        cmocka_unit_test(test_string_accept),
        cmocka_unit_test(test_string_cpython_bad_quotes),
        cmocka_unit_test(test_string_refused),
        cmocka_unit_test(test_unicode_accept),
        cmocka_unit_test(test_unicode_backslashes),
        cmocka_unit_test(test_unicode_refused),
        cmocka_unit_test(test_index),
        cmocka_unit_test(test_utf8_valid),
        cmocka_unit_test(test_utf8_count),
        cmocka_unit_test(test_latin1_to_utf8),
        cmocka_unit_test(test_utf8_to_latin1),
        cmocka_unit_test(test_eq_lit),
        cmocka_unit_test(test_escape),
        cmocka_unit_test(test_diag),
        cmocka_unit_test(test_messages_hostile),
    };
    return cmocka_run_group_tests_name("text", tests, NULL, NULL);
}
