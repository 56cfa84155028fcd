/* Resource bombs: small inputs that ask for huge amounts of memory or time. Each one is built in
 * memory here (no data files) and must be refused with its limit's exact code (or, where the
 * input is legitimately bounded, accepted) in bounded time and memory:
 *
 *   1. nesting a million levels deep (MARKs, EMPTY_LIST+APPEND, TUPLE1 wrapping, lists nested
 *      bottom-up and top-down through the memo)
 *   2. the memo "billion laughs": a list of 10 references to the previous level, 33 levels deep
 *      (a DAG of 10^33 leaves), decoded, printed, disassembled and audited; as dict keys too
 *   3. declared lengths of 2^62 bytes (BINBYTES8, BINUNICODE8, BYTEARRAY8, FRAME)
 *   4. text integers of 5,000,000 digits (INT, LONG) and LONG4 with 2^31-ish lengths
 *   5. memo indices of 2^32 (LONG_BINPUT, LONG_BINGET, PUT, GET)
 *   6. .npy headers declaring 4 GiB and more with a tiny file (also as an .npz member)
 *   7. overlapping zip "bombs" (Fifield's quoted overlap, and many entries on one local header),
 *      through npg_zip_open, npg_npz_validate and npg_audit_buffer
 *   8. a deflate member of 200 MiB of zeros (~200 KB compressed), forged sizes around it, and an
 *      object array's member whose "pickle" inflates past max_alloc
 *
 * Bounded memory: every library allocation goes through a counting npg_alloc (the library
 * passes the size to free and realloc), which tracks the peak of live bytes; each bomb asserts
 * that peak against a bound measured for it (the bounds hold with headroom in the normal,
 * ASan+UBSan and valgrind builds). The process also runs under setrlimit: RLIMIT_CPU as a hang
 * guard, and RLIMIT_AS (1 GiB) when no sanitizer or valgrind needs a large address space.
 * Wall time per bomb is asserted under a generous bound: a safety bound against hangs and
 * blow-ups, not a benchmark (bench/ has those). Measurements are printed per bomb. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <zlib.h>

#include <cmocka.h>

#include "npguard.h"

/* ------------------------------------------------------------------ environment */

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

static bool under_valgrind(void)
{
    const char *v = getenv("NPG_UNDER_VALGRIND");
    return v && *v && strcmp(v, "0") != 0;
}

/* Wall-time bound for one bomb: a safety bound, not a benchmark. Valgrind runs everything
 * (zlib too) 20-50 times slower. */
static double wall_bound(void)
{
    return under_valgrind() ? 60.0 : 5.0;
}

#define MiB ((uint64_t)1 << 20)
#define KiB ((uint64_t)1 << 10)

/* ------------------------------------------------------------------ the counting allocator */

typedef struct meter {
    uint64_t live;   /* bytes allocated and not yet freed */
    uint64_t peak;   /* highest live (realloc counts old and new block at once) */
    uint64_t errors; /* free or realloc of more bytes than are live */
} meter;

static meter M;

static void note_peak(uint64_t v)
{
    if (v > M.peak) M.peak = v;
}

static void *m_malloc(void *ud, size_t n)
{
    (void)ud;
    void *p = malloc(n ? n : 1);
    if (p) {
        M.live += n;
        note_peak(M.live);
    }
    return p;
}

static void *m_realloc(void *ud, void *p, size_t old_n, size_t n)
{
    (void)ud;
    if (p && old_n > M.live) M.errors++;
    void *q = realloc(p, n ? n : 1);
    if (q) {
        note_peak(M.live + n); /* both blocks may exist while realloc copies */
        M.live = M.live - (p ? old_n : 0) + n;
    }
    return q;
}

static void m_free(void *ud, void *p, size_t n)
{
    (void)ud;
    if (!p) return;
    if (n > M.live) M.errors++;
    else M.live -= n;
    free(p);
}

static const npg_alloc counting = {m_malloc, m_realloc, m_free, NULL};

static npg_ctx *new_ctx(const npg_limits *lim)
{
    npg_ctx *ctx = npg_ctx_new(&counting);
    assert_non_null(ctx);
    if (lim) assert_int_equal(npg_ctx_set_limits(ctx, lim), NPG_OK);
    return ctx;
}

static npg_limits defaults(void)
{
    npg_limits l;
    npg_limits_init(&l);
    return l;
}

/* ------------------------------------------------------------------ one bomb: time and memory */

typedef struct bomb {
    const char *name;
    struct timespec t0;
    uint64_t base; /* live bytes when the bomb went off (a context, a document kept...) */
} bomb;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void bomb_start(bomb *b, const char *name)
{
    b->name = name;
    b->base = M.live;
    M.peak = M.live;
    clock_gettime(CLOCK_MONOTONIC, &b->t0);
}

/* The bomb is over: its library allocations peaked at most max_peak bytes above what was live
 * when it started, and it took at most wall_bound() seconds. */
static void bomb_end(bomb *b, uint64_t max_peak, const char *outcome)
{
    double t = now() - ((double)b->t0.tv_sec + (double)b->t0.tv_nsec / 1e9);
    uint64_t peak = M.peak - b->base;
    print_message("  %-58s %-26s peak %10llu B  %7.3f s\n", b->name, outcome, (unsigned long long)peak, t);
    if (peak > max_peak)
        fail_msg("%s: library allocations peaked at %llu bytes, bound %llu", b->name, (unsigned long long)peak,
                 (unsigned long long)max_peak);
    if (t > wall_bound()) fail_msg("%s: took %.3f s, bound %.0f s", b->name, t, wall_bound());
    assert_int_equal(M.errors, 0);
}

/* Nothing the library allocated may outlive its documents and contexts. */
static int check_no_leak(void **state)
{
    (void)state;
    uint64_t live = M.live, errors = M.errors;
    M.live = M.errors = 0; /* a failed test's leftovers are reported once, here */
    if (live != 0) fail_msg("%llu bytes still allocated after the test", (unsigned long long)live);
    assert_int_equal(errors, 0);
    return 0;
}

/* ------------------------------------------------------------------ building inputs */

typedef struct bytes {
    uint8_t *p;
    size_t n, cap;
} bytes;

static void b_reserve(bytes *b, size_t more)
{
    if (b->cap - b->n >= more) return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->n < more) cap *= 2;
    uint8_t *p = realloc(b->p, cap);
    assert_non_null(p);
    b->p = p;
    b->cap = cap;
}

static void b_put(bytes *b, const void *p, size_t n)
{
    b_reserve(b, n);
    memcpy(b->p + b->n, p, n);
    b->n += n;
}

/* A string literal, embedded NULs included. */
#define b_str(b, lit) b_put((b), "" lit, sizeof(lit) - 1)
static void b_byte(bytes *b, uint8_t c) { b_put(b, &c, 1); }

static void b_rep(bytes *b, const char *s, size_t slen, size_t times)
{
    b_reserve(b, slen * times);
    for (size_t i = 0; i < times; i++) {
        memcpy(b->p + b->n, s, slen);
        b->n += slen;
    }
}

static void b_le(bytes *b, uint64_t v, int nbytes)
{
    for (int i = 0; i < nbytes; i++) b_byte(b, (uint8_t)(v >> (8 * i)));
}

static void b_free(bytes *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

/* ------------------------------------------------------------------ loading and checking */

typedef struct result {
    int rc;
    npg_error err;
} result;

/* Decode buf under lim (NULL: defaults) with the counting allocator; the document is kept in
 * *doc when the caller wants it (else freed). */
static result load(const bytes *in, const npg_limits *lim, npg_doc **keep)
{
    result r;
    npg_ctx *ctx = new_ctx(lim);
    npg_doc *doc = NULL;
    memset(&r.err, 0xff, sizeof r.err);
    r.rc = npg_pickle_load(ctx, in->p, in->n, NULL, &doc, &r.err);
    if (r.rc != NPG_OK) assert_null(doc);
    npg_ctx_free(ctx);
    if (keep) *keep = doc;
    else npg_doc_free(doc);
    return r;
}

static void expect_(int line, const char *what, const result *r, int code, uint64_t offset)
{
    if (r->rc != code || (code != NPG_OK && (r->err.code != code || r->err.offset != offset)))
        fail_msg("line %d, %s: got %s at offset %llu (%.*s), want %s at offset %llu", line, what,
                 npg_status_name(r->rc), (unsigned long long)r->err.offset, (int)sizeof r->err.message,
                 r->rc ? r->err.message : "", npg_status_name(code), (unsigned long long)offset);
}

#define EXPECT(what, r, code, offset) expect_(__LINE__, (what), &(r), (code), (offset))

/* A pickle bomb: load it, check the exact refusal (offset in the input), time and memory. */
static void pickle_bomb(const char *name, const bytes *in, const npg_limits *lim, int code, uint64_t offset,
                        uint64_t max_peak)
{
    bomb b;
    bomb_start(&b, name);
    result r = load(in, lim, NULL);
    bomb_end(&b, max_peak, npg_status_name(r.rc));
    EXPECT(name, r, code, offset);
}

/* ------------------------------------------------------------------ 1. deep nesting */

enum { MILLION = 1000000 };

/* '(' a million times: the mark stack stops at max_marks (10,000): the 10,001st MARK. */
static void test_nesting_marks(void **state)
{
    (void)state;
    bytes in = {0};
    b_rep(&in, "(", 1, MILLION);
    b_str(&in, ".");
    pickle_bomb("1a. 1,000,000 MARKs", &in, NULL, NPG_E_LIMIT_MARKS, 10000, 256 * KiB);
    /* lists nested through MARK/LIST: '(' x N then 'l' x N: the marks run out first */
    b_free(&in);
    b_rep(&in, "(", 1, MILLION);
    b_rep(&in, "l", 1, MILLION);
    b_str(&in, ".");
    pickle_bomb("1b. ((((...llll: lists nested by MARK/LIST", &in, NULL, NPG_E_LIMIT_MARKS, 10000, 256 * KiB);
    b_free(&in);
}

/* EMPTY_LIST a million times, then APPEND each into the one below it: the stack holds the
 * million lists (max_stack is 2^20), then the nesting stops at max_depth (10,000): the k-th
 * APPEND makes a list of depth k + 1, so the 10,000th fails. With 2^20 + 1 lists the stack
 * limit comes first. */
static void test_nesting_empty_list_append(void **state)
{
    (void)state;
    bytes in = {0};
    b_rep(&in, "]", 1, MILLION);
    b_rep(&in, "a", 1, MILLION - 1);
    b_str(&in, ".");
    /* one value (56 bytes) per list in the arena, 8 MiB of stack, items of the nested lists */
    pickle_bomb("1c. ]]]]...aaaa: 1,000,000 EMPTY_LIST + APPEND", &in, NULL, NPG_E_LIMIT_DEPTH,
                MILLION + 9999, 96 * MiB);
    b_free(&in);
    b_rep(&in, "]", 1, (1u << 20) + 1);
    b_str(&in, ".");
    pickle_bomb("1d. 2^20 + 1 EMPTY_LISTs on the stack", &in, NULL, NPG_E_LIMIT_STACK, 1u << 20, 96 * MiB);
    b_free(&in);
}

/* None wrapped in a million one-tuples: the 10,000th TUPLE1 (at offset 10,000) would make depth
 * 10,001. */
static void test_nesting_tuple1(void **state)
{
    (void)state;
    bytes in = {0};
    b_str(&in, "N");
    b_rep(&in, "\x85", 1, MILLION);
    b_str(&in, ".");
    pickle_bomb("1e. N + 1,000,000 TUPLE1", &in, NULL, NPG_E_LIMIT_DEPTH, 10000, 2 * MiB);
    b_free(&in);
}

/* Lists nested bottom-up with a stack of at most two: the current list is put in the memo,
 * popped, a new list made, the old one fetched and appended to it. Level k (1-based, 7 bytes at
 * 1 + 7(k-1)) makes depth k + 1, so level 10,000's APPEND fails. */
static void test_nesting_lists_bottom_up(void **state)
{
    (void)state;
    static const char level[] = "q\x00" "0" "]" "h\x00" "a"; /* BINPUT 0, POP, EMPTY_LIST, BINGET 0, APPEND */
    bytes in = {0};
    b_str(&in, "]");
    b_rep(&in, level, sizeof level - 1, MILLION);
    b_str(&in, ".");
    pickle_bomb("1f. ] + 1,000,000 x (BINPUT POP ] BINGET APPEND)", &in, NULL, NPG_E_LIMIT_DEPTH,
                1 + 7 * (uint64_t)9999 + 6, 2 * MiB);
    b_free(&in);
}

/* Depth of a value, counted without recursion: follows the first item of lists and tuples
 * (all this test builds are chains). */
static size_t chain_depth(const npg_value *v)
{
    size_t d = 0;
    while (v && (npg_value_kind(v) == NPG_LIST || npg_value_kind(v) == NPG_TUPLE)) {
        d++;
        v = npg_value_len(v) ? npg_value_item(v, 0) : NULL;
    }
    return d;
}

typedef struct sink {
    uint64_t bytes, lines, calls;
    char last[160]; /* the last line written */
    size_t last_n;
} sink;

static int sink_write(void *ud, const void *data, size_t n)
{
    sink *s = ud;
    const char *p = data;
    s->bytes += n;
    s->calls++;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '\n') {
            s->lines++;
            s->last[s->last_n < sizeof s->last ? s->last_n : sizeof s->last - 1] = '\0';
            s->last_n = 0;
        } else if (s->last_n < sizeof s->last - 1) {
            s->last[s->last_n++] = p[i];
        } else {
            s->last_n++;
        }
    }
    return 0;
}

/* Lists nested top-down: each new list is appended to the current one while it is still empty,
 * then becomes the current one. max_depth counts nesting as built (a container's depth is
 * fixed when an item is added to it), so every list here has depth at most 2 and the million
 * levels are ACCEPTED: this is the documented meaning of max_depth ("as built"). What must stay
 * bounded is everything that walks the result: the printer (iterative, stops at 64 levels),
 * freeing the document (one arena), and the accessors. */
static void test_nesting_lists_top_down(void **state)
{
    (void)state;
    /* root: EMPTY_LIST, DUP; each level: EMPTY_LIST, BINPUT 1, APPEND, POP, BINGET 1 */
    static const char level[] = "]" "q\x01" "a" "0" "h\x01";
    bytes in = {0};
    b_str(&in, "]2");
    b_rep(&in, level, sizeof level - 1, MILLION);
    b_str(&in, "0.");
    bomb b;
    bomb_start(&b, "1g. 1,000,000 lists nested top-down (decode)");
    npg_doc *doc = NULL;
    result r = load(&in, NULL, &doc);
    /* per level: a 56-byte value and an item array (the list's first growth) */
    bomb_end(&b, 128 * MiB, npg_status_name(r.rc));
    EXPECT("top-down chain", r, NPG_OK, 0);
    const npg_value *root = npg_doc_root(doc);
    assert_int_equal(chain_depth(root), MILLION + 1);

    bomb_start(&b, "1g. ... printed (npg_value_print)");
    sink s = {0};
    assert_int_equal(npg_value_print(root, sink_write, &s, 0), NPG_OK);
    bomb_end(&b, 0, "printed");
    /* the root and 64 levels below it, then the marker */
    assert_int_equal(s.lines, 66);
    assert_non_null(strstr(s.last, "<deeper>"));

    bomb_start(&b, "1g. ... freed");
    npg_doc_free(doc);
    bomb_end(&b, 0, "freed");
    b_free(&in);
}

/* ------------------------------------------------------------------ 2. billion laughs */

enum { LAUGH_LEVELS = 33, LAUGH_WIDTH = 10 };

/* Level 0: an empty list (or the empty tuple) in memo 0; level k: a list (tuple) of 10 BINGETs
 * of level k - 1, put in memo k. The root (level 33) reaches 10^33 leaves through 10^33 paths;
 * as a DAG it is 34 containers. */
static void build_laughs(bytes *in, bool tuples)
{
    b_put(in, tuples ? ")q\x00" : "]q\x00", 3);
    for (int k = 1; k <= LAUGH_LEVELS; k++) {
        b_str(in, "0("); /* POP the previous level (the memo holds it), MARK */
        for (int i = 0; i < LAUGH_WIDTH; i++) {
            b_byte(in, 'h');
            b_byte(in, (uint8_t)(k - 1));
        }
        b_put(in, tuples ? "t" : "l", 1);
        b_byte(in, 'q');
        b_byte(in, (uint8_t)k);
    }
}

static int count_write(void *ud, const void *data, size_t n)
{
    (void)data;
    *(uint64_t *)ud += n;
    return 0;
}

/* The DAG decodes (sharing is how pickle works) in bounded time and memory: the VM never
 * expands it. Every walker must stay bounded too: the printer stops at max_items * 2000 lines,
 * the disassembler lists opcodes (linear in the input), the audit scans the pickle once. */
static void test_billion_laughs_list(void **state)
{
    (void)state;
    bytes in = {0};
    build_laughs(&in, false);
    b_str(&in, ".");
    bomb b;
    bomb_start(&b, "2a. billion laughs: 33 levels x 10 GETs of lists (decode)");
    npg_doc *doc = NULL;
    result r = load(&in, NULL, &doc);
    bomb_end(&b, 256 * KiB, npg_status_name(r.rc));
    EXPECT("billion laughs", r, NPG_OK, 0);
    const npg_value *root = npg_doc_root(doc);
    assert_int_equal(npg_value_kind(root), NPG_LIST);
    assert_int_equal(npg_value_len(root), LAUGH_WIDTH);
    assert_int_equal(chain_depth(root), LAUGH_LEVELS + 1);
    /* shared, not copied: every item of the root is the same level-32 list */
    for (size_t i = 1; i < LAUGH_WIDTH; i++) assert_ptr_equal(npg_value_item(root, i), npg_value_item(root, 0));

    /* max_items 0 (the default, 8 items per container): at most 8 * 2000 lines */
    bomb_start(&b, "2a. ... printed, max_items 0 (8)");
    sink s = {0};
    assert_int_equal(npg_value_print(root, sink_write, &s, 0), NPG_OK);
    bomb_end(&b, 0, "printed");
    assert_int_equal(s.lines, 8 * 2000);
    assert_non_null(strstr(s.last, "... (output truncated)"));

    /* max_items 10: every item shown, still at most 10 * 2000 lines */
    bomb_start(&b, "2a. ... printed, max_items 10");
    memset(&s, 0, sizeof s);
    assert_int_equal(npg_value_print(root, sink_write, &s, LAUGH_WIDTH), NPG_OK);
    bomb_end(&b, 0, "printed");
    assert_int_equal(s.lines, LAUGH_WIDTH * 2000);
    assert_non_null(strstr(s.last, "... (output truncated)"));

    /* a caller asking for 100 items per container gets 200,000 lines, no more */
    bomb_start(&b, "2a. ... printed, max_items 100");
    memset(&s, 0, sizeof s);
    assert_int_equal(npg_value_print(root, sink_write, &s, 100), NPG_OK);
    bomb_end(&b, 0, "printed");
    assert_int_equal(s.lines, 100 * 2000);

    bomb_start(&b, "2a. ... disassembled");
    npg_ctx *ctx = new_ctx(NULL);
    uint64_t listing = 0;
    npg_error err;
    assert_int_equal(npg_pickle_disassemble(ctx, in.p, in.n, 0, count_write, &listing, &err), NPG_OK);
    bomb_end(&b, 256 * KiB, "NPG_OK");
    assert_true(listing > 0 && listing < 200 * KiB);

    bomb_start(&b, "2a. ... audited (npg_audit_buffer)");
    npg_audit *a = NULL;
    assert_int_equal(npg_audit_buffer(ctx, in.p, in.n, NULL, &a), NPG_OK);
    bomb_end(&b, 512 * KiB, npg_verdict_name(npg_audit_verdict(a)));
    assert_int_equal(npg_audit_format(a), NPG_FMT_PICKLE);
    assert_int_equal(npg_audit_verdict(a), NPG_VERDICT_OK);
    npg_audit_free(a);
    npg_ctx_free(ctx);
    npg_doc_free(doc);
    b_free(&in);
}

/* The same DAG of tuples is hashable: used as a dict key its hash and, against an equal key
 * built separately, the equality test must not walk the 10^33 paths. */
static void test_billion_laughs_keys(void **state)
{
    (void)state;
    /* {laughs: None}: hashed once per node */
    bytes in = {0};
    b_str(&in, "}");
    build_laughs(&in, true);
    b_str(&in, "Ns.");
    bomb b;
    bomb_start(&b, "2b. billion laughs of tuples as a dict key");
    npg_doc *doc = NULL;
    /* under 4096 operations in all (each hashing step counts as one): the 10^33 paths are
     * never walked */
    npg_limits lim = defaults();
    lim.max_ops = 4096;
    result r = load(&in, &lim, &doc);
    bomb_end(&b, 256 * KiB, npg_status_name(r.rc));
    EXPECT("laughs key", r, NPG_OK, 0);
    assert_int_equal(npg_value_len(npg_doc_root(doc)), 1);
    npg_doc_free(doc);

    /* {laughs: None, laughs': None} with laughs' an equal DAG made of its own nodes (level by
     * level: BINPUT 0 the previous level, POP, MARK, 10 x BINGET 0, TUPLE): the duplicate is
     * found without walking the paths (pairs proved equal are united) */
    b_free(&in);
    b_str(&in, "(");
    for (int copy = 0; copy < 2; copy++) {
        b_str(&in, ")");
        for (int k = 1; k <= LAUGH_LEVELS; k++) {
            b_str(&in, "q\x00" "0" "(");
            b_rep(&in, "h\x00", 2, LAUGH_WIDTH);
            b_str(&in, "t");
        }
        b_str(&in, "N");
    }
    size_t dict_at = in.n;
    b_str(&in, "d.");
    bomb_start(&b, "2c. two equal billion-laughs keys in one dict");
    r = load(&in, &lim, NULL);
    bomb_end(&b, 256 * KiB, npg_status_name(r.rc));
    EXPECT("equal laughs keys", r, NPG_E_DUPLICATE_KEY, dict_at);
    b_free(&in);
}

/* ------------------------------------------------------------------ 3. 2^62-byte lengths */

/* PROTO 5, then the opcode with an 8-byte length of 2^62 and no payload: refused from the
 * length field alone (the limit before the remaining input, and before any allocation). */
static void length_bomb(const char *name, uint8_t op, int code)
{
    bytes in = {0};
    b_str(&in, "\x80\x05");
    b_byte(&in, op);
    b_le(&in, (uint64_t)1 << 62, 8);
    b_str(&in, "abc.");
    pickle_bomb(name, &in, NULL, code, 2, 128 * KiB);
    b_free(&in);
}

static void test_length_2_62(void **state)
{
    (void)state;
    length_bomb("3a. BINBYTES8 of 2^62 bytes", 0x8e, NPG_E_LIMIT_STRING);
    length_bomb("3b. BINUNICODE8 of 2^62 bytes", 0x8d, NPG_E_LIMIT_STRING);
    length_bomb("3c. BYTEARRAY8 of 2^62 bytes", 0x96, NPG_E_LIMIT_STRING);
    /* FRAME has no limit of its own: a frame longer than the rest of the input is truncated */
    length_bomb("3d. FRAME of 2^62 bytes", 0x95, NPG_E_TRUNCATED);
    /* BINBYTES/BINUNICODE (4-byte length) of 2^32 - 1: under max_string_len (16 GiB), so the
     * input decides */
    bytes in = {0};
    b_str(&in, "\x80\x05" "B\xff\xff\xff\xff" "abc.");
    pickle_bomb("3e. BINBYTES of 2^32 - 1 bytes", &in, NULL, NPG_E_TRUNCATED, 2, 128 * KiB);
    b_free(&in);
    /* under a lowered limit the same claim is the limit's */
    npg_limits lim = defaults();
    lim.max_string_len = 1u << 20;
    b_str(&in, "\x80\x05" "X\xff\xff\xff\xff" "abc.");
    pickle_bomb("3f. BINUNICODE of 2^32 - 1 bytes, max_string_len 1 MiB", &in, &lim, NPG_E_LIMIT_STRING, 2,
                128 * KiB);
    b_free(&in);
}

/* ------------------------------------------------------------------ 4. huge integers */

enum { DIGITS = 5000000 };

static void test_int_digits(void **state)
{
    (void)state;
    bytes in = {0};
    b_str(&in, "I");
    b_rep(&in, "7", 1, DIGITS);
    b_str(&in, "\n.");
    /* refused from the length of the line, before the digits are converted (quadratic) */
    pickle_bomb("4a. INT of 5,000,000 digits", &in, NULL, NPG_E_LIMIT_DIGITS, 0, 128 * KiB);
    b_free(&in);
    b_str(&in, "L-");
    b_rep(&in, "9", 1, DIGITS);
    b_str(&in, "L\n.");
    pickle_bomb("4b. LONG of 5,000,000 digits", &in, NULL, NPG_E_LIMIT_DIGITS, 0, 128 * KiB);
    b_free(&in);
    /* LONG4: a signed 4-byte length. 2^31 - 1 is above max_long_bytes (64 KiB); 2^31 is negative */
    b_str(&in, "\x80\x02" "\x8b\xff\xff\xff\x7f" "abc.");
    pickle_bomb("4c. LONG4 of 2^31 - 1 bytes", &in, NULL, NPG_E_LIMIT_LONG, 2, 128 * KiB);
    b_free(&in);
    b_str(&in, "\x80\x02" "\x8b\x00\x00\x00\x80" "abc.");
    pickle_bomb("4d. LONG4 of length 2^31 (negative)", &in, NULL, NPG_E_NEGATIVE_LENGTH, 2, 128 * KiB);
    b_free(&in);
}

/* ------------------------------------------------------------------ 5. memo indices */

static void test_memo_index(void **state)
{
    (void)state;
    bytes in = {0};
    b_str(&in, "N" "r\xff\xff\xff\xff" ".");
    pickle_bomb("5a. LONG_BINPUT 2^32 - 1", &in, NULL, NPG_E_LIMIT_MEMO, 1, 128 * KiB);
    b_free(&in);
    b_str(&in, "N" "p4294967296\n" ".");
    pickle_bomb("5b. PUT 4294967296 (text)", &in, NULL, NPG_E_LIMIT_MEMO, 1, 128 * KiB);
    b_free(&in);
    b_str(&in, "g4294967296\n" ".");
    pickle_bomb("5c. GET 4294967296 (text)", &in, NULL, NPG_E_LIMIT_MEMO, 0, 128 * KiB);
    b_free(&in);
    /* a binary GET cannot name more than 2^32 - 1, and a GET of an index never PUT (none can
     * be, at or above max_memo) is a memo error, not a limit: only a text index beyond 32 bits
     * (5c) is refused as a limit */
    b_str(&in, "j\xff\xff\xff\xff" ".");
    pickle_bomb("5d. LONG_BINGET 2^32 - 1", &in, NULL, NPG_E_MEMO, 0, 128 * KiB);
    b_free(&in);
    b_str(&in, "g4294967295\n" ".");
    pickle_bomb("5e. GET 4294967295 (text)", &in, NULL, NPG_E_MEMO, 0, 128 * KiB);
    b_free(&in);
    /* at the ceiling of max_memo (2^30) the largest index is accepted, and costs memory for
     * one entry, not for the index (the memo is sparse above its dense part) */
    npg_limits lim = defaults();
    lim.max_memo = (size_t)1 << 30;
    b_str(&in, "N" "r\xff\xff\xff\x3f" "0" "j\xff\xff\xff\x3f" ".");
    pickle_bomb("5f. LONG_BINPUT/GET 2^30 - 1, max_memo 2^30", &in, &lim, NPG_OK, 0, 128 * KiB);
    b_free(&in);
    b_str(&in, "N" "r\x00\x00\x00\x40" ".");
    pickle_bomb("5g. LONG_BINPUT 2^30, max_memo 2^30", &in, &lim, NPG_E_LIMIT_MEMO, 1, 128 * KiB);
    b_free(&in);
}

/* ------------------------------------------------------------------ zip building */

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, v & 0xffff), put16(p + 2, v >> 16); }

typedef struct zentry {
    char name[32];
    uint32_t crc, csize, usize, offset;
    uint16_t method;
} zentry;

enum { LH_LEN = 30, CD_LEN = 46, EOCD_LEN = 22 };

static void local_header(uint8_t *p, const zentry *e)
{
    size_t nl = strlen(e->name);
    memset(p, 0, LH_LEN);
    put32(p, 0x04034b50);
    put16(p + 4, 20);
    put16(p + 8, e->method);
    put16(p + 10, 0);      /* time */
    put16(p + 12, 0x21);   /* date: 1980-01-01 */
    put32(p + 14, e->crc);
    put32(p + 18, e->csize);
    put32(p + 22, e->usize);
    put16(p + 26, (uint32_t)nl);
    memcpy(p + LH_LEN, e->name, nl);
}

/* The central directory and the end record for entries e[0..n), at the end of z. */
static void central(bytes *z, const zentry *e, size_t n)
{
    uint64_t cd_at = z->n;
    for (size_t i = 0; i < n; i++) {
        uint8_t h[CD_LEN];
        size_t nl = strlen(e[i].name);
        memset(h, 0, sizeof h);
        put32(h, 0x02014b50);
        put16(h + 4, 20);
        put16(h + 6, 20);
        put16(h + 10, e[i].method);
        put16(h + 14, 0x21);
        put32(h + 16, e[i].crc);
        put32(h + 20, e[i].csize);
        put32(h + 24, e[i].usize);
        put16(h + 28, (uint32_t)nl);
        put32(h + 42, e[i].offset);
        b_put(z, h, sizeof h);
        b_put(z, e[i].name, nl);
    }
    uint8_t end[EOCD_LEN];
    memset(end, 0, sizeof end);
    put32(end, 0x06054b50);
    put16(end + 8, (uint32_t)n);
    put16(end + 10, (uint32_t)n);
    put32(end + 12, (uint32_t)(z->n - cd_at));
    put32(end + 16, (uint32_t)cd_at);
    b_put(z, end, sizeof end);
}

/* Raw deflate of prefix[0..plen) followed by n zero bytes, and their CRC-32. */
static void deflate_prefixed(bytes *out, const void *prefix, size_t plen, uint64_t n, uint32_t *crc)
{
    enum { CH = 1 << 20 };
    uint8_t *zeros = calloc(1, CH);
    assert_non_null(zeros);
    z_stream s;
    memset(&s, 0, sizeof s);
    assert_int_equal(deflateInit2(&s, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY), Z_OK);
    *crc = (uint32_t)crc32(0, prefix, (uInt)plen);
    bool first = plen > 0;
    uint64_t left = n;
    for (;;) {
        uInt k = first ? (uInt)plen : left < CH ? (uInt)left : CH;
        const uint8_t *in = first ? prefix : zeros;
        if (!first) {
            *crc = (uint32_t)crc32(*crc, zeros, k);
            left -= k;
        }
        first = false;
        s.next_in = (Bytef *)(uintptr_t)in;
        s.avail_in = k;
        int flush = left ? Z_NO_FLUSH : Z_FINISH, zr;
        do {
            b_reserve(out, 64 * 1024);
            s.next_out = out->p + out->n;
            s.avail_out = (uInt)(out->cap - out->n);
            zr = deflate(&s, flush);
            out->n = out->cap - s.avail_out;
            assert_true(zr == Z_OK || zr == Z_STREAM_END || zr == Z_BUF_ERROR);
        } while (s.avail_out == 0 || (flush == Z_FINISH && zr != Z_STREAM_END));
        if (flush == Z_FINISH) break;
    }
    deflateEnd(&s);
    free(zeros);
}

static void deflate_zeros(bytes *out, uint64_t n, uint32_t *crc) { deflate_prefixed(out, NULL, 0, n, crc); }

/* David Fifield's overlapping zip bomb ("A better zip bomb", 2019), with quoted local headers:
 *
 *   [LH 0][Q 0][LH 1][Q 1] ... [LH n-1][kernel]   central directory   end record
 *
 * The kernel is one deflate stream of kernel_out zeros. Member i's data starts after LH i: the
 * non-final stored block header Q i "quotes" LH i+1 (outputs its bytes literally), Q i+1 quotes
 * LH i+2, ... and the kernel ends the stream. Every member is a valid deflate stream with a
 * correct CRC-32 (computed from the last member backwards with crc32_combine), and member i
 * inflates to n-1-i local headers plus the kernel's output: n * kernel_out bytes in all from a
 * file of a few dozen bytes per member. Names are unique, all 8 bytes long ("0000.npy" to
 * "ffff.npy": at most 65,536 members). */
static void fifield_bomb(bytes *z, size_t n, uint64_t kernel_out)
{
    assert_true(n >= 1 && n <= 65536);
    bytes kernel = {0};
    uint32_t kcrc;
    deflate_zeros(&kernel, kernel_out, &kcrc);
    zentry *e = calloc(n, sizeof *e);
    assert_non_null(e);
    const size_t nl = 8, lh = LH_LEN + nl, q = 5, step = lh + q;
    for (size_t i = 0; i < n; i++) {
        snprintf(e[i].name, sizeof e[i].name, "%04zx.npy", i);
        e[i].method = 8;
        e[i].offset = (uint32_t)(i * step);
        e[i].csize = (uint32_t)((n - 1 - i) * step + kernel.n);
        e[i].usize = (uint32_t)((n - 1 - i) * lh + kernel_out);
    }
    /* CRCs from the last member back: member i's output is LH i+1 then member i+1's output */
    uint8_t (*lhs)[LH_LEN + 8] = calloc(n, sizeof *lhs);
    assert_non_null(lhs);
    e[n - 1].crc = kcrc;
    local_header(lhs[n - 1], &e[n - 1]);
    for (size_t i = n - 1; i-- > 0;) {
        uint32_t c = (uint32_t)crc32(0, lhs[i + 1], (uInt)lh);
        e[i].crc = (uint32_t)crc32_combine(c, e[i + 1].crc, (z_off_t)e[i + 1].usize);
        local_header(lhs[i], &e[i]);
    }
    for (size_t i = 0; i < n; i++) {
        b_put(z, lhs[i], lh);
        if (i + 1 < n) { /* Q i: stored, not final, quoting the next local header */
            uint8_t qh[5] = {0x00, (uint8_t)lh, (uint8_t)(lh >> 8), (uint8_t)~lh, (uint8_t)(~lh >> 8)};
            b_put(z, qh, sizeof qh);
        }
    }
    b_put(z, kernel.p, kernel.n);
    central(z, e, n);
    free(lhs);
    free(e);
    b_free(&kernel);
}

/* One local header and kernel, and n central-directory entries (unique names) all pointing at
 * it: the "full overlap" form, where each entry claims the same data. */
static void shared_header_bomb(bytes *z, size_t n, uint64_t kernel_out)
{
    assert_true(n >= 1 && n <= 65536);
    bytes kernel = {0};
    uint32_t kcrc;
    deflate_zeros(&kernel, kernel_out, &kcrc);
    zentry *e = calloc(n, sizeof *e);
    assert_non_null(e);
    for (size_t i = 0; i < n; i++) {
        e[i] = (zentry){.crc = kcrc, .csize = (uint32_t)kernel.n, .usize = (uint32_t)kernel_out, .offset = 0,
                        .method = 8};
        snprintf(e[i].name, sizeof e[i].name, "%04zx.npy", i);
    }
    uint8_t h[LH_LEN + 8];
    local_header(h, &e[0]);
    b_put(z, h, sizeof h);
    b_put(z, kernel.p, kernel.n);
    central(z, e, n);
    free(e);
    b_free(&kernel);
}

typedef struct zresult {
    result open;     /* npg_zip_open */
    result validate; /* npg_npz_validate */
} zresult;

static zresult zip_both(const bytes *z, const npg_limits *lim)
{
    zresult r;
    npg_ctx *ctx = new_ctx(lim);
    npg_zip *zip = NULL;
    memset(&r, 0xff, sizeof r);
    r.open.rc = npg_zip_open(ctx, z->p, z->n, 0, &zip, &r.open.err);
    npg_zip_free(zip);
    r.validate.rc = npg_npz_validate(ctx, z->p, z->n, 0, &r.validate.err);
    npg_ctx_free(ctx);
    return r;
}

/* ------------------------------------------------------------------ 6. .npy headers */

/* A version 1.0 .npy file around header text, padded with spaces and '\n' to 64 bytes as NumPy
 * pads, followed by dlen data bytes (zeros). */
static void make_npy(bytes *out, const char *text, size_t dlen)
{
    size_t t = strlen(text), hlen = t + 1;
    hlen += 64 - (10 + hlen) % 64;
    b_put(out, "\x93NUMPY\x01\x00", 8);
    b_le(out, hlen, 2);
    b_put(out, text, t);
    b_rep(out, " ", 1, hlen - t - 1);
    b_put(out, "\n", 1);
    b_reserve(out, dlen);
    memset(out->p + out->n, 0, dlen);
    out->n += dlen;
}

static result load_npy(const bytes *in, npg_doc **keep)
{
    result r;
    npg_ctx *ctx = new_ctx(NULL);
    npg_doc *doc = NULL;
    memset(&r.err, 0xff, sizeof r.err);
    r.rc = npg_npy_load(ctx, in->p, in->n, 0, &doc, &r.err);
    npg_ctx_free(ctx);
    if (keep) *keep = doc;
    else npg_doc_free(doc);
    return r;
}

static void npy_bomb(const char *name, const char *header, size_t dlen, int code, uint64_t offset)
{
    bytes in = {0};
    make_npy(&in, header, dlen);
    bomb b;
    bomb_start(&b, name);
    result r = load_npy(&in, NULL);
    bomb_end(&b, 128 * KiB, npg_status_name(r.rc));
    EXPECT(name, r, code, offset);
    b_free(&in);
}

/* An .npz of one stored member holding the bytes of npy. */
static void stored_npz(bytes *z, const char *name, const bytes *npy)
{
    zentry e = {.crc = (uint32_t)crc32(0, npy->p, (uInt)npy->n), .csize = (uint32_t)npy->n,
                .usize = (uint32_t)npy->n, .offset = 0, .method = 0};
    snprintf(e.name, sizeof e.name, "%s", name);
    uint8_t h[LH_LEN + sizeof e.name];
    local_header(h, &e);
    b_put(z, h, LH_LEN + strlen(name));
    b_put(z, npy->p, npy->n);
    central(z, &e, 1);
}

static void test_npy_4gib(void **state)
{
    (void)state;
    /* 4 GiB of '|u1' declared, 16 data bytes present: under max_array_bytes (16 GiB), so the
     * data length decides: truncated, at the end of the file */
    npy_bomb("6a. .npy '|u1' shape (4294967296,), 16 data bytes",
             "{'descr': '|u1', 'fortran_order': False, 'shape': (4294967296,), }", 16, NPG_E_TRUNCATED, 128 + 16);
    /* 32 GiB of '<f8': above max_array_bytes, refused from the header (offset: the shape) */
    npy_bomb("6b. .npy '<f8' shape (4294967296,)",
             "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296,), }", 0, NPG_E_LIMIT_ARRAY, 60);
    /* 2^64 elements: the product overflows */
    npy_bomb("6c. .npy '|u1' shape (4294967296, 4294967296)",
             "{'descr': '|u1', 'fortran_order': False, 'shape': (4294967296, 4294967296), }", 0, NPG_E_LIMIT_ARRAY,
             60);
    /* the 4 GiB header as a stored .npz member: the member's size is known from the directory,
     * so the data length is judged before a data byte is read (offset: in the member) */
    bytes npy = {0}, z = {0};
    make_npy(&npy, "{'descr': '|u1', 'fortran_order': False, 'shape': (4294967296,), }", 16);
    stored_npz(&z, "big.npy", &npy);
    bomb b;
    bomb_start(&b, "6d. .npz member '|u1' shape (4294967296,), 16 data bytes");
    zresult r = zip_both(&z, NULL);
    bomb_end(&b, 256 * KiB, npg_status_name(r.validate.rc));
    EXPECT("4 GiB member open", r.open, NPG_OK, 0);
    EXPECT("4 GiB member validate", r.validate, NPG_E_TRUNCATED, 128 + 16);
    assert_string_equal(r.validate.err.member, "big.npy");
    b_free(&npy);
    b_free(&z);
}

/* ------------------------------------------------------------------ 7. overlapping zips */

enum { FIFIELD_N = 1000 };

static void test_zip_overlap(void **state)
{
    (void)state;
    /* 1000 members of 1 MiB of zeros each (1 GB in all) from a ~45 KB file */
    bytes z = {0};
    fifield_bomb(&z, FIFIELD_N, MiB);
    assert_true(z.n < 100 * KiB);
    bomb b;
    bomb_start(&b, "7a. Fifield quoted overlap, 1000 x 1 MiB (open+validate)");
    zresult r = zip_both(&z, NULL);
    bomb_end(&b, 256 * KiB, npg_status_name(r.validate.rc));
    /* the first member's data (header + name + csize bytes) runs over the second's header:
     * reported at the second member's local header (offset 43) */
    EXPECT("fifield open", r.open, NPG_E_ZIP_LAYOUT, 43);
    EXPECT("fifield validate", r.validate, NPG_E_ZIP_LAYOUT, 43);
    assert_string_equal(r.open.err.member, "0001.npy");

    /* the same scaled up: 65,000 members of 1 MiB declare ~65 GB, above max_uncompressed
     * (64 GiB): refused while the central directory is read, before any layout check */
    b_free(&z);
    fifield_bomb(&z, 65000, MiB);
    bomb_start(&b, "7b. Fifield quoted overlap, 65000 x 1 MiB (open+validate)");
    r = zip_both(&z, NULL);
    bomb_end(&b, 16 * MiB, npg_status_name(r.validate.rc));
    /* the entry that takes the declared total past 64 GiB, and its directory record */
    uint64_t total = 0;
    size_t over = 0;
    while ((total += (uint64_t)(65000 - 1 - over) * (LH_LEN + 8) + MiB) <= ((uint64_t)64 << 30)) over++;
    uint64_t cd_at = get32(z.p + z.n - EOCD_LEN + 16);
    EXPECT("fifield 65000 open", r.open, NPG_E_LIMIT_UNCOMPRESSED, cd_at + over * (CD_LEN + 8));
    EXPECT("fifield 65000 validate", r.validate, NPG_E_LIMIT_UNCOMPRESSED, cd_at + over * (CD_LEN + 8));
    char want[32];
    snprintf(want, sizeof want, "%04zx.npy", over);
    assert_string_equal(r.open.err.member, want);

    /* every central-directory entry on one local header */
    b_free(&z);
    shared_header_bomb(&z, FIFIELD_N, MiB);
    bomb_start(&b, "7c. 1000 entries sharing one local header (open+validate)");
    r = zip_both(&z, NULL);
    bomb_end(&b, 256 * KiB, npg_status_name(r.validate.rc));
    EXPECT("shared open", r.open, NPG_E_ZIP_LAYOUT, 0);
    EXPECT("shared validate", r.validate, NPG_E_ZIP_LAYOUT, 0);
    b_free(&z);

    /* npg_audit_buffer (what npguard scan runs) reports the archive invalid, then takes the
     * lenient path a less strict reader would take, member by member. Overlapping entries would
     * make it inflate the same bytes once per entry (before the overlap budget: 108 s for this
     * 6.3 MB file); members may read the file's bytes once in total, so the second entry stops
     * the walk with one finding. */
    fifield_bomb(&z, 65000, MiB);
    npg_ctx *ctx = new_ctx(NULL);
    npg_audit *a = NULL;
    bomb_start(&b, "7d. Fifield quoted overlap, 65000 x 1 MiB (audit)");
    assert_int_equal(npg_audit_buffer(ctx, z.p, z.n, NULL, &a), NPG_OK);
    bomb_end(&b, 16 * MiB, npg_verdict_name(npg_audit_verdict(a)));
    assert_int_equal(npg_audit_format(a), NPG_FMT_ZIP);
    assert_int_equal(npg_audit_verdict(a), NPG_VERDICT_INVALID);
    assert_true(npg_audit_count(a) >= 2);
    const npg_audit_finding *f0 = npg_audit_finding_at(a, 0);
    assert_int_equal(f0->rule, NPG_RULE_MALFORMED);
    assert_int_equal(f0->status, NPG_E_LIMIT_UNCOMPRESSED); /* the strict reader's refusal, as in 7b */
    int overlap = 0;
    for (size_t i = 0; i < npg_audit_count(a); i++) {
        const npg_audit_finding *f = npg_audit_finding_at(a, i);
        overlap += f->status == NPG_E_ZIP_LAYOUT && strstr(f->message, "members overlap") != NULL;
    }
    assert_int_equal(overlap, 1);
    assert_true(npg_audit_count(a) < 100);
    npg_audit_free(a);
    npg_ctx_free(ctx);
    b_free(&z);
}

/* ------------------------------------------------------------------ 8. deflate ratio */

static int out_write(void *ud, const void *data, size_t n)
{
    b_put(ud, data, n);
    return 0;
}

/* An .npz of one deflated member "zeros.npy": a '|u1' array of n zero bytes, written by the
 * library's own writer (as np.savez_compressed would). */
static void zeros_npz(bytes *z, uint64_t n)
{
    /* the dtype comes from a small .npy */
    bytes npy = {0};
    make_npy(&npy, "{'descr': '|u1', 'fortran_order': False, 'shape': (0,), }", 0);
    npg_ctx *ctx = npg_ctx_new(NULL);
    assert_non_null(ctx);
    npg_doc *doc = NULL;
    npg_error err;
    assert_int_equal(npg_npy_load(ctx, npy.p, npy.n, 0, &doc, &err), NPG_OK);
    const npg_dtype *u1 = npg_array_dtype(npg_doc_root(doc));
    uint8_t *data = calloc(1, (size_t)n); /* untouched zero pages */
    assert_non_null(data);
    npg_npz_writer *w = NULL;
    assert_int_equal(npg_npz_writer_new(ctx, 1, out_write, z, &w), NPG_OK);
    uint64_t shape[1] = {n};
    assert_int_equal(npg_npz_writer_add(w, "zeros", u1, 1, shape, 0, data, n, &err), NPG_OK);
    assert_int_equal(npg_npz_writer_finish(w, &err), NPG_OK);
    npg_npz_writer_free(w);
    free(data);
    npg_doc_free(doc);
    npg_ctx_free(ctx);
    b_free(&npy);
}

/* Offsets of the single member's local header and central-directory record. */
static void member_records(const bytes *z, size_t *lh, size_t *cd)
{
    *lh = 0;
    assert_true(memcmp(z->p, "PK\3\4", 4) == 0);
    const uint8_t *end = z->p + z->n - EOCD_LEN;
    assert_true(memcmp(end, "PK\5\6", 4) == 0);
    *cd = get32(end + 16);
    assert_true(memcmp(z->p + *cd, "PK\1\2", 4) == 0);
}

/* An .npz of one deflated member "obj.npy": an object array's .npy header, then n zero bytes
 * where its pickle belongs. */
static void object_npz(bytes *z, uint64_t n)
{
    bytes hdr = {0}, data = {0};
    make_npy(&hdr, "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", 0);
    zentry e = {.name = "obj.npy", .method = 8, .offset = 0};
    deflate_prefixed(&data, hdr.p, hdr.n, n, &e.crc);
    e.csize = (uint32_t)data.n;
    e.usize = (uint32_t)(hdr.n + n);
    uint8_t h[LH_LEN + 7];
    local_header(h, &e);
    b_put(z, h, sizeof h);
    b_put(z, data.p, data.n);
    central(z, &e, 1);
    b_free(&hdr);
    b_free(&data);
}

static void test_deflate_ratio(void **state)
{
    (void)state;
    /* 200 MiB of zeros; 16 MiB under valgrind, where writing the archive (zlib's deflate, in
     * this test) takes most of the time: the ratio, and so every outcome, is the same */
    const uint64_t n = under_valgrind() ? 16 * MiB : 200 * MiB;
    char name[80];
    bytes z = {0};
    zeros_npz(&z, n);
    size_t lh, cd;
    member_records(&z, &lh, &cd);
    uint32_t csize = get32(z.p + cd + 20), usize = get32(z.p + cd + 24);
    double ratio = (double)usize / csize;
    print_message("  (member: %u bytes deflated to %u: ratio %.1f; archive %zu bytes)\n", usize, csize, ratio,
                  z.n);
    /* zlib cannot exceed ~1032:1, and max_ratio is 1100: a real deflate stream passes */
    assert_true(ratio > 1000 && ratio < 1100);

    /* under the default limits this is a valid archive: inflated in 256 KiB chunks, CRC
     * checked, the data counted and never held */
    bomb b;
    snprintf(name, sizeof name, "8a. %llu MiB of zeros in one deflated member (defaults)",
             (unsigned long long)(n / MiB));
    bomb_start(&b, name);
    zresult r = zip_both(&z, NULL);
    bomb_end(&b, 1 * MiB, npg_status_name(r.validate.rc));
    EXPECT("zeros open", r.open, NPG_OK, 0);
    EXPECT("zeros validate", r.validate, NPG_OK, 0);

    /* the audit (npguard scan) of the same valid archive: a deflated .npy member over 1 MiB is
     * judged by its header and streamed for the CRC, never held (it once took the member's
     * whole 200 MiB), so the audit costs about what validation costs */
    npg_ctx *ctx = new_ctx(NULL);
    npg_audit *a = NULL;
    bomb_start(&b, "8a. ... audited (npg_audit_buffer)");
    assert_int_equal(npg_audit_buffer(ctx, z.p, z.n, NULL, &a), NPG_OK);
    bomb_end(&b, 1 * MiB, npg_verdict_name(npg_audit_verdict(a)));
    assert_int_equal(npg_audit_format(a), NPG_FMT_ZIP);
    assert_int_equal(npg_audit_verdict(a), NPG_VERDICT_OK);
    npg_audit_free(a);
    npg_ctx_free(ctx);

    /* the same stream under max_ratio 500: refused from the declared sizes, at the member's
     * local header, before anything is inflated */
    npg_limits lim = defaults();
    lim.max_ratio = 500;
    bomb_start(&b, "8b. ... under max_ratio 500");
    r = zip_both(&z, &lim);
    bomb_end(&b, 256 * KiB, npg_status_name(r.validate.rc));
    EXPECT("ratio open", r.open, NPG_OK, 0);
    EXPECT("ratio validate", r.validate, NPG_E_LIMIT_RATIO, 0);
    assert_string_equal(r.validate.err.member, "zeros.npy");

    /* ... under max_uncompressed below its size: refused while the directory is read */
    lim = defaults();
    lim.max_uncompressed = n / 2;
    bomb_start(&b, "8c. ... under max_uncompressed n / 2");
    r = zip_both(&z, &lim);
    bomb_end(&b, 256 * KiB, npg_status_name(r.validate.rc));
    EXPECT("uncompressed open", r.open, NPG_E_LIMIT_UNCOMPRESSED, cd);
    EXPECT("uncompressed validate", r.validate, NPG_E_LIMIT_UNCOMPRESSED, cd);

    /* a forged member declaring 2^32 - 1 bytes (local header and directory agree): ratio
     * above 1100 under the defaults, refused before inflating */
    bytes f = {0};
    b_put(&f, z.p, z.n);
    put32(f.p + lh + 22, 0xfffffffe);
    put32(f.p + cd + 24, 0xfffffffe);
    bomb_start(&b, "8d. ... declaring 4 GiB (forged sizes, defaults)");
    r = zip_both(&f, NULL);
    bomb_end(&b, 256 * KiB, npg_status_name(r.validate.rc));
    EXPECT("forged open", r.open, NPG_OK, 0);
    EXPECT("forged validate", r.validate, NPG_E_LIMIT_RATIO, 0);

    /* ... declaring less than it inflates to (a lie that would pass a declared-ratio check):
     * the inflater stops one byte past the declared size */
    memcpy(f.p, z.p, z.n);
    put32(f.p + lh + 22, usize / 2);
    put32(f.p + cd + 24, usize / 2);
    bomb_start(&b, "8e. ... declaring half its size (forged sizes, defaults)");
    r = zip_both(&f, NULL);
    bomb_end(&b, 1 * MiB, npg_status_name(r.validate.rc));
    EXPECT("short open", r.open, NPG_OK, 0);
    /* npz_validate sees the .npy header ask for more data than the member declares */
    EXPECT("short validate", r.validate, NPG_E_TRUNCATED, usize / 2);
    assert_string_equal(r.validate.err.member, "zeros.npy");
    /* read as a plain zip member: inflated up to one byte past the declared size */
    bomb_start(&b, "8f. ... declaring half its size, npg_zip_read");
    ctx = new_ctx(NULL);
    npg_zip *zip = NULL;
    npg_error err;
    assert_int_equal(npg_zip_open(ctx, f.p, f.n, 0, &zip, &err), NPG_OK);
    uint64_t got = 0;
    result rr;
    rr.rc = npg_zip_read(zip, 0, count_write, &got, &rr.err);
    npg_zip_free(zip);
    npg_ctx_free(ctx);
    bomb_end(&b, 1 * MiB, npg_status_name(rr.rc));
    assert_int_equal(rr.rc, NPG_E_ZIP_SIZE);
    assert_true(got <= usize / 2);
    b_free(&f);
    b_free(&z);

    /* an object array's member: its pickle must be held whole for the VM, so it is collected
     * (doubling) under max_alloc, lowered here to 32 MiB: 64 MiB of zeros (a 65 KB archive)
     * are refused when the buffer would grow past 16 MiB of pickle. Under the default max_alloc
     * (1 GiB) the same archive with 900 MiB of zeros (916 KB) is refused the same way after
     * collecting 512 MiB. */
    object_npz(&z, 64 * MiB);
    lim = defaults();
    lim.max_alloc = 32 * MiB;
    bomb_start(&b, "8g. object member of 64 MiB of zeros, max_alloc 32 MiB");
    r = zip_both(&z, &lim);
    bomb_end(&b, 32 * MiB, npg_status_name(r.validate.rc));
    EXPECT("object open", r.open, NPG_OK, 0);
    EXPECT("object validate", r.validate, NPG_E_LIMIT_ALLOC, 16 * MiB);
    assert_string_equal(r.validate.err.member, "obj.npy");
    b_free(&z);
}

/* ------------------------------------------------------------------ main */

/* Hang guard for the whole process: SIGXCPU after 20 s of CPU (valgrind: 600 s). Address
 * space: 1 GiB, unless AddressSanitizer (terabytes of shadow mappings) or valgrind runs us. */
static void set_limits(void)
{
    struct rlimit cpu = {20, 30};
    if (under_valgrind()) cpu = (struct rlimit){600, 630};
    if (setrlimit(RLIMIT_CPU, &cpu) != 0) fprintf(stderr, "setrlimit(RLIMIT_CPU): %s\n", strerror(errno));
    bool as = !UNDER_ASAN && !under_valgrind();
    if (as) {
        struct rlimit lim = {(rlim_t)1 << 30, (rlim_t)1 << 30};
        if (setrlimit(RLIMIT_AS, &lim) != 0) {
            fprintf(stderr, "setrlimit(RLIMIT_AS): %s\n", strerror(errno));
            as = false;
        }
    }
    printf("guards: RLIMIT_CPU %llu s, RLIMIT_AS %s; wall-time bound per bomb %.0f s (a safety bound, not a "
           "benchmark)\n", (unsigned long long)cpu.rlim_cur, as ? "1 GiB" : "not set (sanitizer or valgrind)",
           wall_bound());
    fflush(stdout);
}

int main(void)
{
    set_limits();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_nesting_marks, check_no_leak),
        cmocka_unit_test_teardown(test_nesting_empty_list_append, check_no_leak),
        cmocka_unit_test_teardown(test_nesting_tuple1, check_no_leak),
        cmocka_unit_test_teardown(test_nesting_lists_bottom_up, check_no_leak),
        cmocka_unit_test_teardown(test_nesting_lists_top_down, check_no_leak),
        cmocka_unit_test_teardown(test_billion_laughs_list, check_no_leak),
        cmocka_unit_test_teardown(test_billion_laughs_keys, check_no_leak),
        cmocka_unit_test_teardown(test_length_2_62, check_no_leak),
        cmocka_unit_test_teardown(test_int_digits, check_no_leak),
        cmocka_unit_test_teardown(test_memo_index, check_no_leak),
        cmocka_unit_test_teardown(test_npy_4gib, check_no_leak),
        cmocka_unit_test_teardown(test_zip_overlap, check_no_leak),
        cmocka_unit_test_teardown(test_deflate_ratio, check_no_leak),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
