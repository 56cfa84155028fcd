/* The zip reader and the .npz writer.
 *
 * Archives come from tests/gen/make_zip.py, run at test time by tests/zip.cmake (NumPy 1.24 and
 * CPython 3.11's zipfile on Debian): good/ holds what np.savez, np.savez_compressed and zipfile
 * really write (positional and keyword names, a pipe, zip64 records, the empty archive) with a
 * MANIFEST of what zipfile reports; bad/ holds the attacks, each with the status it must get in
 * bad/EXPECT. Every input is read into a heap buffer of exactly its size, so AddressSanitizer
 * sees any read outside it. The writer's output is opened again here and written to
 * zipdata/written/ for numpy.load (the zip_numpy test). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <zlib.h>

#include <cmocka.h>

#include "common/alloc.h"
#include "dtype/dtype.h"
#include "npguard.h"
#include "npy/npy.h"
#include "testutil.h"
#include "zip/zip.h"

#ifndef NPG_ZIP_DATA
#define NPG_ZIP_DATA ""
#endif

/* ------------------------------------------------------------------ files */

static const char *zpath(const char *sub, const char *name)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s/%s/%s", NPG_ZIP_DATA, sub, name);
    return buf;
}

static bool have_data(void)
{
    FILE *f = fopen(zpath("good", "MANIFEST"), "rb");
    if (!f) return false;
    fclose(f);
    return true;
}

#define NEED_DATA()                                                                     \
    do {                                                                                \
        if (!have_data()) {                                                             \
            print_message("no generated archives in %s (run ctest: zip_gen)\n", NPG_ZIP_DATA); \
            skip();                                                                     \
        }                                                                               \
    } while (0)

/* Tab-separated lines of a text file, each split into at most 12 fields (in place). */
typedef struct row {
    char *f[12];
    int n;
} row;

static row *read_rows(const char *path, size_t *count, char **text)
{
    size_t len;
    uint8_t *raw = tu_read_file(path, &len);
    char *s = realloc(raw, len + 1);
    assert_non_null(s);
    s[len] = '\0';
    size_t cap = 16, n = 0;
    row *rows = malloc(cap * sizeof *rows);
    for (char *line = s; *line;) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = '\0';
        if (n == cap) rows = realloc(rows, (cap *= 2) * sizeof *rows);
        row *r = &rows[n++];
        r->n = 0;
        for (char *p = line; r->n < 12;) {
            r->f[r->n++] = p;
            char *tab = strchr(p, '\t');
            if (!tab) break;
            *tab = '\0';
            p = tab + 1;
        }
        if (!nl) break;
        line = nl + 1;
    }
    *count = n;
    *text = s;
    return rows;
}

/* ------------------------------------------------------------------ contexts and sinks */

static npg_ctx *ctx_with(const char *limits)
{
    npg_ctx *ctx = npg_ctx_new(NULL);
    assert_non_null(ctx);
    if (!limits || strcmp(limits, "-") == 0) return ctx;
    npg_limits lim;
    npg_limits_init(&lim);
    char buf[256];
    snprintf(buf, sizeof buf, "%s", limits);
    for (char *kv = strtok(buf, ","); kv; kv = strtok(NULL, ",")) {
        char *eq = strchr(kv, '=');
        assert_non_null(eq);
        *eq = '\0';
        unsigned long long v = strtoull(eq + 1, NULL, 10);
        if (strcmp(kv, "max_ratio") == 0) lim.max_ratio = (uint32_t)v;
        else if (strcmp(kv, "max_zip_members") == 0) lim.max_zip_members = (size_t)v;
        else if (strcmp(kv, "max_uncompressed") == 0) lim.max_uncompressed = v;
        else if (strcmp(kv, "max_alloc") == 0) lim.max_alloc = v;
        else fail_msg("unknown limit %s", kv);
    }
    assert_int_equal(npg_ctx_set_limits(ctx, &lim), NPG_OK);
    return ctx;
}

/* Collects what npg_zip_read streams: checksum, size, chunk sizes, and whether the chunks were
 * pointers into the input (zero-copy) . */
typedef struct sink {
    uLong adler;
    uLong crc;
    uint64_t n;
    size_t chunks, max_chunk;
    const uint8_t *lo, *hi; /* the input buffer */
    bool all_borrowed;
    const uint8_t *expect;  /* when set, bytes must equal expect[0..) */
    size_t stop_after;      /* return non-zero at this chunk (1-based), 0 = never */
} sink;

static void sink_init(sink *s, const uint8_t *buf, size_t len)
{
    memset(s, 0, sizeof *s);
    s->adler = adler32(0, NULL, 0);
    s->crc = crc32(0, NULL, 0);
    s->lo = buf;
    s->hi = buf + len;
    s->all_borrowed = true;
}

static int sink_write(void *ud, const void *data, size_t n)
{
    sink *s = ud;
    const uint8_t *p = data;
    s->chunks++;
    if (n > s->max_chunk) s->max_chunk = n;
    if (!(p >= s->lo && p + n <= s->hi)) s->all_borrowed = false;
    s->adler = adler32_z(s->adler, p, n);
    s->crc = crc32_z(s->crc, p, n);
    if (s->expect && memcmp(s->expect + s->n, p, n) != 0) fail_msg("streamed bytes differ at %llu", (unsigned long long)s->n);
    s->n += n;
    return s->stop_after && s->chunks == s->stop_after;
}

static int discard(void *ud, const void *data, size_t n)
{
    (void)ud, (void)data, (void)n;
    return 0;
}

/* Read every member; returns the first failure (and its member index) or NPG_OK. */
static int read_all(const npg_zip *z, npg_error *err, size_t *failed)
{
    for (size_t i = 0; i < npg_zip_count(z); i++) {
        int rc = npg_zip_read(z, i, discard, NULL, err);
        if (rc != NPG_OK) {
            if (failed) *failed = i;
            return rc;
        }
    }
    return NPG_OK;
}

static int open_file(const char *sub, const char *name, const char *limits, uint8_t **buf, size_t *len,
                     npg_zip **z, npg_error *err)
{
    *buf = tu_read_file(zpath(sub, name), len);
    npg_ctx *ctx = ctx_with(limits);
    memset(err, 0xff, sizeof *err);
    int rc = npg_zip_open(ctx, *buf, *len, 0, z, err);
    npg_ctx_free(ctx); /* the archive keeps what it needs: the context may go */
    return rc;
}

/* ------------------------------------------------------------------ accepted archives */

static void check_member(const npg_zip *z, size_t i, const row *r, const uint8_t *buf, size_t len)
{
    const npg_zip_member *m = npg_zip_member_at(z, i);
    assert_non_null(m);
    assert_string_equal(m->name, r->f[1]);
    assert_int_equal(m->method, atoi(r->f[2]));
    assert_int_equal(m->csize, strtoull(r->f[3], NULL, 10));
    assert_int_equal(m->usize, strtoull(r->f[4], NULL, 10));
    assert_int_equal(m->crc32, strtoull(r->f[5], NULL, 10));
    assert_int_equal(m->header_offset, strtoull(r->f[6], NULL, 10));
    assert_int_equal(m->data_offset, strtoull(r->f[7], NULL, 10));
    size_t nl = strlen(m->name);
    assert_int_equal(m->is_npy, nl >= 4 && strcmp(m->name + nl - 4, ".npy") == 0);
    sink s;
    sink_init(&s, buf, len);
    npg_error err;
    assert_int_equal(npg_zip_read(z, i, sink_write, &s, &err), NPG_OK);
    assert_int_equal(err.code, NPG_OK);
    assert_int_equal(s.n, m->usize);
    assert_int_equal(s.adler, strtoull(r->f[8], NULL, 10));
    assert_int_equal(s.crc, m->crc32);
    assert_true(s.max_chunk <= NPG_ZIP_READ_CHUNK);
    uint64_t slen;
    const uint8_t *sd = npg_zip_stored_data(z, i, &slen);
    if (m->method == 0) {
        /* stored: zero-copy, both through the view and through the callback */
        assert_ptr_equal(sd, buf + m->data_offset);
        assert_int_equal(slen, m->csize);
        assert_true(s.all_borrowed);
    } else {
        assert_null(sd);
        assert_int_equal(slen, 0);
    }
}

static void test_good_archives(void **state)
{
    (void)state;
    NEED_DATA();
    size_t nrows;
    char *text;
    row *rows = read_rows(zpath("good", "MANIFEST"), &nrows, &text);
    size_t archives = 0, members = 0;
    for (size_t k = 0; k < nrows;) {
        const char *name = rows[k].f[0];
        size_t end = k;
        while (end < nrows && strcmp(rows[end].f[0], name) == 0) end++;
        uint8_t *buf;
        size_t len;
        npg_zip *z;
        npg_error err;
        int rc = open_file("good", name, "-", &buf, &len, &z, &err);
        if (rc != NPG_OK) fail_msg("%s: %s at %llu: %s", name, npg_status_name(rc), (unsigned long long)err.offset, err.message);
        assert_int_equal(err.code, NPG_OK);
        size_t expect = strcmp(rows[k].f[1], "-") == 0 ? 0 : end - k;
        assert_int_equal(npg_zip_count(z), expect);
        for (size_t i = 0; i < expect; i++) check_member(z, i, &rows[k + i], buf, len);
        assert_null(npg_zip_member_at(z, expect));
        members += expect;
        archives++;
        npg_zip_free(z);
        free(buf);
        k = end;
    }
    print_message("%zu archives, %zu members accepted as zipfile reports them\n", archives, members);
    assert_true(archives >= 20);
    free(rows);
    free(text);
}

/* ------------------------------------------------------------------ hostile archives */

static void test_bad_archives(void **state)
{
    (void)state;
    NEED_DATA();
    size_t nrows;
    char *text;
    row *rows = read_rows(zpath("bad", "EXPECT"), &nrows, &text);
    size_t failures = 0;
    for (size_t k = 0; k < nrows; k++) {
        const row *r = &rows[k];
        assert_int_equal(r->n, 4);
        uint8_t *buf;
        size_t len;
        npg_zip *z = (npg_zip *)&z;
        npg_error err;
        clock_t t0 = clock();
        int rc = open_file("bad", r->f[0], r->f[3], &buf, &len, &z, &err);
        size_t failed = 0;
        if (strcmp(r->f[1], "read") == 0) {
            if (rc != NPG_OK) {
                print_error("%s: open failed with %s (%s)\n", r->f[0], npg_status_name(rc), err.message);
                failures++;
            } else {
                rc = read_all(z, &err, &failed);
                npg_zip_free(z);
            }
        } else if (rc == NPG_OK) {
            npg_zip_free(z);
        } else {
            assert_null(z);
        }
        double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
        if (strcmp(npg_status_name(rc), r->f[2]) != 0) {
            print_error("%s: expected %s, got %s at %llu: %s\n", r->f[0], r->f[2], npg_status_name(rc),
                        (unsigned long long)err.offset, err.message);
            failures++;
        } else {
            assert_int_equal(err.code, rc);
            assert_true(err.message[0] != '\0');
            assert_true(err.offset <= len);
        }
        if (secs > 5) {
            print_error("%s: %.1f s\n", r->f[0], secs);
            failures++;
        }
        free(buf);
    }
    print_message("%zu hostile archives refused with their expected status\n", nrows - failures);
    assert_int_equal(failures, 0);
    assert_true(nrows >= 100);
    free(rows);
    free(text);
}

/* Errors name the member (escaped) and point at the offending record. */
static void test_error_details(void **state)
{
    (void)state;
    NEED_DATA();
    uint8_t *buf;
    size_t len;
    npg_zip *z;
    npg_error err;
    assert_int_equal(open_file("bad", "name_escape.zip", "-", &buf, &len, &z, &err), NPG_E_ZIP_NAME);
    assert_string_equal(err.member, "a\\x1b[31m.npy");
    assert_int_equal(err.opcode, -1);
    /* the central record follows the only member: 30 + 9 + its data */
    assert_int_equal(buf[err.offset], 'P');
    assert_int_equal(buf[err.offset + 2], 1);
    free(buf);
    assert_int_equal(open_file("bad", "name_dotdot.zip", "-", &buf, &len, &z, &err), NPG_E_ZIP_NAME);
    assert_string_equal(err.member, "../x.npy");
    free(buf);
    assert_int_equal(open_file("bad", "local_name_differs.zip", "-", &buf, &len, &z, &err), NPG_E_ZIP_LOCAL);
    assert_true(err.member[0] != '\0');
    assert_int_equal(buf[err.offset + 2], 3); /* at the local header */
    free(buf);
    assert_int_equal(open_file("bad", "dup_stripped.zip", "-", &buf, &len, &z, &err), NPG_E_ZIP_DUPLICATE);
    assert_string_equal(err.member, "a");
    free(buf);
    assert_int_equal(open_file("bad", "read_deflated_bad_crc.zip", "-", &buf, &len, &z, &err), NPG_OK);
    assert_string_equal(err.member, "");
    assert_int_equal(npg_zip_read(z, 0, discard, NULL, &err), NPG_OK);
    assert_int_equal(npg_zip_read(z, 1, discard, NULL, &err), NPG_E_ZIP_CRC);
    assert_string_equal(err.member, "d.npy");
    assert_int_equal(err.offset, npg_zip_member_at(z, 1)->data_offset);
    npg_zip_free(z);
    free(buf);
}

/* ------------------------------------------------------------------ truncation and mutation */

/* Every prefix of an accepted archive is refused: no EOCD at its end, or one that points at bytes
 * that are not there. Large archives: the first and last 300 prefixes and every 97th. */
static void test_prefixes(void **state)
{
    (void)state;
    NEED_DATA();
    size_t nrows;
    char *text;
    row *rows = read_rows(zpath("good", "MANIFEST"), &nrows, &text);
    npg_ctx *ctx = npg_ctx_new(NULL);
    size_t tried = 0;
    for (size_t k = 0; k < nrows; k++) {
        if (k && strcmp(rows[k].f[0], rows[k - 1].f[0]) == 0) continue;
        size_t len;
        uint8_t *all = tu_read_file(zpath("good", rows[k].f[0]), &len);
        for (size_t n = 0; n < len; n++) {
            if (len > 8192 && n > 300 && n + 300 < len && n % 97) continue;
            uint8_t *p = malloc(n ? n : 1);
            memcpy(p, all, n);
            npg_zip *z = NULL;
            npg_error err;
            int rc = npg_zip_open(ctx, p, n, 0, &z, &err);
            if (rc == NPG_OK) fail_msg("%s: prefix of %zu bytes accepted", rows[k].f[0], n);
            assert_null(z);
            free(p);
            tried++;
        }
        free(all);
    }
    print_message("%zu prefixes refused\n", tried);
    npg_ctx_free(ctx);
    free(rows);
    free(text);
}

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13, *s ^= *s >> 7, *s ^= *s << 17;
    return *s;
}

/* Random damage to accepted archives: never a crash or an out-of-bounds read (ASan), and what is
 * still accepted reads back or fails cleanly. */
static void test_mutations(void **state)
{
    (void)state;
    NEED_DATA();
    static const char *const files[] = {"savez_positional.npz", "savez_compressed_pipe.npz", "savez_zip64.npz",
                                        "handmade_descriptor_nosig.zip", "zipfile_unseekable_stored.zip",
                                        "savez_compressed_keywords.npz", "savez_zip64_count.npz"};
    npg_ctx *ctx = npg_ctx_new(NULL);
    uint64_t seed = 0x9E3779B97F4A7C15ull;
    size_t accepted = 0, runs = 0;
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        size_t len;
        uint8_t *orig = tu_read_file(zpath("good", files[f]), &len);
        uint8_t *p = malloc(len);
        for (int round = 0; round < 600; round++) {
            memcpy(p, orig, len);
            int flips = 1 + (int)(rng_next(&seed) % 4);
            for (int i = 0; i < flips; i++) {
                size_t at = (size_t)(rng_next(&seed) % len);
                /* bias towards the structure: the last 512 bytes hold the directory */
                if (rng_next(&seed) & 1 && len > 512) at = len - 1 - (size_t)(rng_next(&seed) % 512);
                p[at] = (uint8_t)rng_next(&seed);
            }
            npg_zip *z = NULL;
            npg_error err;
            if (npg_zip_open(ctx, p, len, 0, &z, &err) == NPG_OK) {
                accepted++;
                int rc = read_all(z, &err, NULL);
                assert_true(rc == NPG_OK || (rc >= NPG_E_ZIP_EOCD && rc <= NPG_E_ZIP_CRC) ||
                            rc == NPG_E_LIMIT_RATIO);
                npg_zip_free(z);
            } else {
                assert_null(z);
            }
            runs++;
        }
        free(p);
        free(orig);
    }
    print_message("%zu mutated archives, %zu still accepted (data bytes hit)\n", runs, accepted);
    npg_ctx_free(ctx);
}

/* ------------------------------------------------------------------ API misuse and limits */

static void test_api(void **state)
{
    (void)state;
    npg_ctx *ctx = npg_ctx_new(NULL);
    npg_zip *z = (npg_zip *)ctx;
    npg_error err;
    static const uint8_t empty[22] = {'P', 'K', 5, 6};
    assert_int_equal(npg_zip_open(NULL, empty, 22, 0, &z, &err), NPG_E_INVALID);
    assert_null(z);
    assert_int_equal(npg_zip_open(ctx, empty, 22, 0, NULL, &err), NPG_E_INVALID);
    assert_int_equal(npg_zip_open(ctx, NULL, 22, 0, &z, &err), NPG_E_INVALID);
    assert_int_equal(npg_zip_open(ctx, empty, 22, 1u << 30, &z, &err), NPG_E_INVALID);
    assert_int_equal(npg_zip_open(ctx, NULL, 0, 0, &z, NULL), NPG_E_ZIP_EOCD);
    /* the empty archive, also with flags other loaders use */
    assert_int_equal(npg_zip_open(ctx, empty, 22, NPG_NPY_ALIGN16 | NPG_SCAN, &z, &err), NPG_OK);
    assert_int_equal(npg_zip_count(z), 0);
    assert_null(npg_zip_member_at(z, 0));
    uint64_t n = 99;
    assert_null(npg_zip_stored_data(z, 0, &n));
    assert_int_equal(n, 0);
    assert_int_equal(npg_zip_read(z, 0, discard, NULL, &err), NPG_E_INVALID);
    assert_int_equal(npg_zip_read(NULL, 0, discard, NULL, &err), NPG_E_INVALID);
    npg_zip_free(z);
    npg_zip_free(NULL);
    assert_int_equal(npg_zip_count(NULL), 0);
    npg_limits lim;
    npg_limits_init(&lim);
    lim.max_input = 21;
    npg_ctx_set_limits(ctx, &lim);
    assert_int_equal(npg_zip_open(ctx, empty, 22, 0, &z, &err), NPG_E_LIMIT_INPUT);
    npg_ctx_free(ctx);
}

/* The callback can stop a read; the read reports it. */
static void test_read_stop(void **state)
{
    (void)state;
    NEED_DATA();
    uint8_t *buf;
    size_t len;
    npg_zip *z;
    npg_error err;
    assert_int_equal(open_file("good", "savez_compressed_large.npz", "-", &buf, &len, &z, &err), NPG_OK);
    sink s;
    sink_init(&s, buf, len);
    s.stop_after = 3;
    assert_int_equal(npg_zip_read(z, 0, sink_write, &s, &err), NPG_E_INVALID);
    assert_int_equal(s.chunks, 3);
    /* the big member streams in many bounded chunks, none borrowed (it is inflated) */
    sink_init(&s, buf, len);
    assert_int_equal(npg_zip_read(z, 1, sink_write, &s, &err), NPG_OK);
    assert_true(s.chunks > 5);
    assert_int_equal(s.max_chunk, NPG_ZIP_READ_CHUNK);
    assert_false(s.all_borrowed);
    npg_zip_free(z);
    free(buf);
}

/* A failing allocator at every possible point: clean errors, no leak (ASan/valgrind). */
typedef struct failing {
    int left;
} failing;

static void *f_malloc(void *ud, size_t n)
{
    failing *f = ud;
    return f->left-- > 0 ? malloc(n) : NULL;
}
static void *f_realloc(void *ud, void *p, size_t o, size_t n)
{
    (void)o;
    failing *f = ud;
    return f->left-- > 0 ? realloc(p, n) : NULL;
}
static void f_free(void *ud, void *p, size_t n)
{
    (void)ud, (void)n;
    free(p);
}

static void test_out_of_memory(void **state)
{
    (void)state;
    NEED_DATA();
    size_t len;
    uint8_t *buf = tu_read_file(zpath("good", "savez_compressed_keywords.npz"), &len);
    int worked = 0;
    for (int budget = 0; budget < 200 && !worked; budget++) {
        failing fl = {1 << 20};
        npg_alloc a = {f_malloc, f_realloc, f_free, &fl};
        npg_ctx *ctx = npg_ctx_new(&a);
        assert_non_null(ctx);
        fl.left = budget;
        npg_zip *z = NULL;
        npg_error err;
        int rc = npg_zip_open(ctx, buf, len, 0, &z, &err);
        if (rc == NPG_OK) rc = read_all(z, &err, NULL);
        assert_true(rc == NPG_OK || rc == NPG_E_NOMEM);
        worked = rc == NPG_OK;
        npg_zip_free(z);
        npg_ctx_free(ctx);
    }
    assert_true(worked);
    /* the budget: far too small for the member list */
    npg_ctx *ctx = ctx_with("max_alloc=100");
    npg_zip *z;
    npg_error err;
    assert_int_equal(npg_zip_open(ctx, buf, len, 0, &z, &err), NPG_E_LIMIT_ALLOC);
    npg_ctx_free(ctx);
    free(buf);
}

/* ------------------------------------------------------------------ the writer */

typedef struct outbuf {
    uint8_t *p;
    size_t n, cap;
    int fail_at; /* fail the n-th call (1-based); 0 = never */
    int calls;
} outbuf;

static int out_write(void *ud, const void *data, size_t n)
{
    outbuf *o = ud;
    if (o->fail_at && ++o->calls == o->fail_at) return 1;
    if (o->n + n > o->cap) {
        while (o->n + n > o->cap) o->cap = o->cap ? o->cap * 2 : 4096;
        o->p = realloc(o->p, o->cap);
        assert_non_null(o->p);
    }
    memcpy(o->p + o->n, data, n);
    o->n += n;
    return 0;
}

typedef struct types {
    npg_mem mem;
    npg_arena arena;
    npg_limits lim;
} types;

static const npg_dtype *plain(types *t, char kind, uint64_t size, char order)
{
    npg_dtype *dt = npg__arena_zalloc(&t->arena, sizeof *dt);
    assert_true(npg__dtype_init_plain(dt, kind, size));
    if (order) dt->byteorder = order;
    npg_diag d;
    assert_int_equal(npg__dtype_finish(&t->arena, &t->lim, dt, &d), NPG_OK);
    return dt;
}

static const npg_dtype *record_xy(types *t)
{
    npg_dtype *dt = npg__arena_zalloc(&t->arena, sizeof *dt);
    npg_field *f = npg__arena_zalloc(&t->arena, 2 * sizeof *f);
    f[0] = (npg_field){"x", 1, NULL, 0, plain(t, 'i', 4, 0), 0};
    f[1] = (npg_field){"y", 1, NULL, 0, plain(t, 'f', 8, 0), 4};
    dt->kind = 'V';
    dt->byteorder = '|';
    dt->itemsize = 12;
    dt->flags = NPG_DT_STRUCTURED;
    dt->nfields = 2;
    dt->fields = f;
    npg_diag d;
    int rc = npg__dtype_finish(&t->arena, &t->lim, dt, &d);
    if (rc != NPG_OK) fail_msg("struct dtype: %s", d.msg);
    return dt;
}

typedef struct arr {
    const char *name;
    const npg_dtype *dt;
    size_t ndim;
    uint64_t shape[3];
    int fortran;
    uint8_t *data;
    uint64_t len;
} arr;

static size_t make_arrays(types *t, arr *a)
{
    size_t n = 0;
    a[n++] = (arr){"floats", plain(t, 'f', 8, 0), 2, {3, 4}, 0, NULL, 96};
    a[n++] = (arr){"ints_be", plain(t, 'i', 4, '>'), 1, {10}, 0, NULL, 40};
    a[n++] = (arr){"flags", plain(t, 'b', 1, 0), 1, {5}, 0, NULL, 5};
    a[n++] = (arr){"scalar", plain(t, 'f', 8, 0), 0, {0}, 0, NULL, 8};
    a[n++] = (arr){"empty", plain(t, 'f', 8, 0), 2, {0, 3}, 0, NULL, 0};
    a[n++] = (arr){"fortran", plain(t, 'f', 8, 0), 2, {3, 4}, 1, NULL, 96};
    a[n++] = (arr){"big", plain(t, 'i', 8, 0), 1, {300000}, 0, NULL, 2400000};
    a[n++] = (arr){"text", plain(t, 'U', 20, 0), 1, {2}, 0, NULL, 40};
    a[n++] = (arr){"record", record_xy(t), 1, {3}, 0, NULL, 36};
    a[n++] = (arr){"donn\xc3\xa9" "es", plain(t, 'u', 2, 0), 1, {4}, 0, NULL, 8};
    a[n++] = (arr){"dir/sub/x", plain(t, 'c', 16, 0), 1, {2}, 0, NULL, 32};
    for (size_t i = 0; i < n; i++) {
        a[i].data = malloc(a[i].len ? a[i].len : 1);
        for (uint64_t k = 0; k < a[i].len; k++) a[i].data[k] = (uint8_t)(k * 7 + i);
        if (a[i].dt->kind == 'b')
            for (uint64_t k = 0; k < a[i].len; k++) a[i].data[k] &= 1;
        if (a[i].dt->kind == 'U') { /* UCS-4 code points 'a'.. */
            memset(a[i].data, 0, a[i].len);
            for (uint64_t k = 0; k < a[i].len; k += 4) a[i].data[k] = (uint8_t)('a' + k / 4);
        }
        if (strcmp(a[i].name, "big") == 0)
            for (uint64_t k = 0; k < a[i].len; k += 8) memcpy(a[i].data + k, &k, 8); /* a ramp */
    }
    return n;
}

static void save(const char *name, const outbuf *o)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/written", NPG_ZIP_DATA);
    mkdir(dir, 0777);
    FILE *f = fopen(zpath("written", name), "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(o->p, 1, o->n, f), o->n);
    fclose(f);
}

/* The .expect file make_zip.py --check reads: key, dtype.str, shape, fortran, CRC-32, length. */
static void save_expect(const char *name, const arr *a, size_t n)
{
    char file[512];
    snprintf(file, sizeof file, "%s", name);
    strcpy(strrchr(file, '.'), ".expect");
    FILE *f = fopen(zpath("written", file), "w");
    assert_non_null(f);
    for (size_t i = 0; i < n; i++) {
        char ds[64], shape[128] = "";
        npg_dtype_str(a[i].dt, ds, sizeof ds);
        for (size_t d = 0; d < a[i].ndim; d++)
            snprintf(shape + strlen(shape), sizeof shape - strlen(shape), "%s%llu", d ? "," : "",
                     (unsigned long long)a[i].shape[d]);
        fprintf(f, "%s\t%s\t%s\t%d\t%lu\t%llu\n", a[i].name, ds, shape, a[i].fortran,
                crc32(0, a[i].data, (uInt)a[i].len), (unsigned long long)a[i].len);
    }
    fclose(f);
}

/* Open what the writer produced and compare each member with header + data. */
static void verify_written(const outbuf *o, const arr *a, size_t n, int method)
{
    npg_ctx *ctx = npg_ctx_new(NULL);
    npg_zip *z;
    npg_error err;
    int rc = npg_zip_open(ctx, o->p, o->n, 0, &z, &err);
    if (rc != NPG_OK) fail_msg("writer output refused: %s at %llu: %s", npg_status_name(rc), (unsigned long long)err.offset, err.message);
    assert_int_equal(npg_zip_count(z), n);
    for (size_t i = 0; i < n; i++) {
        const npg_zip_member *m = npg_zip_member_at(z, i);
        char want[300];
        snprintf(want, sizeof want, "%s.npy", a[i].name);
        assert_string_equal(m->name, want);
        assert_int_equal(m->method, method);
        size_t hlen;
        npg_diag d;
        assert_int_equal(npg__npy_format_header(a[i].dt, a[i].ndim, a[i].shape, a[i].fortran, NULL, 0, &hlen, &d), NPG_OK);
        uint8_t *content = malloc(hlen + a[i].len);
        assert_int_equal(npg__npy_format_header(a[i].dt, a[i].ndim, a[i].shape, a[i].fortran, content, hlen, &hlen, &d), NPG_OK);
        memcpy(content + hlen, a[i].data, a[i].len);
        assert_int_equal(m->usize, hlen + a[i].len);
        assert_int_equal(m->crc32, crc32(0, content, (uInt)(hlen + a[i].len)));
        sink s;
        sink_init(&s, o->p, o->n);
        s.expect = content;
        assert_int_equal(npg_zip_read(z, i, sink_write, &s, &err), NPG_OK);
        assert_int_equal(s.n, m->usize);
        free(content);
    }
    npg_zip_free(z);
    npg_ctx_free(ctx);
}

static void write_npz(const char *file, int compress)
{
    types t;
    npg__mem_init(&t.mem, NULL, 1u << 30);
    npg__arena_init(&t.arena, &t.mem);
    npg_limits_init(&t.lim);
    arr a[16];
    size_t n = make_arrays(&t, a);
    npg_ctx *ctx = npg_ctx_new(NULL);
    outbuf o = {0};
    npg_npz_writer *w;
    npg_error err;
    assert_int_equal(npg_npz_writer_new(ctx, compress, out_write, &o, &w), NPG_OK);
    for (size_t i = 0; i < n; i++) {
        int rc = npg_npz_writer_add(w, a[i].name, a[i].dt, a[i].ndim, a[i].shape, a[i].fortran, a[i].data, a[i].len, &err);
        if (rc != NPG_OK) fail_msg("add %s: %s: %s", a[i].name, npg_status_name(rc), err.message);
    }
    assert_int_equal(npg_npz_writer_finish(w, &err), NPG_OK);
    npg_npz_writer_free(w);
    npg_ctx_free(ctx);
    verify_written(&o, a, n, compress ? 8 : 0);
    if (have_data()) {
        save(file, &o);
        save_expect(file, a, n);
    }
    if (compress) assert_true(o.n < 2400000 / 2); /* the 2.4 MB ramp compresses */
    free(o.p);
    for (size_t i = 0; i < n; i++) free(a[i].data);
    npg__arena_release(&t.arena);
}

static void test_writer_stored(void **state)
{
    (void)state;
    write_npz("npg_stored.npz", 0);
}

static void test_writer_deflated(void **state)
{
    (void)state;
    write_npz("npg_deflated.npz", 1);
}

static void test_writer_empty(void **state)
{
    (void)state;
    npg_ctx *ctx = npg_ctx_new(NULL);
    outbuf o = {0};
    npg_npz_writer *w;
    npg_error err;
    assert_int_equal(npg_npz_writer_new(ctx, 1, out_write, &o, &w), NPG_OK);
    assert_int_equal(npg_npz_writer_finish(w, &err), NPG_OK);
    npg_npz_writer_free(w);
    static const uint8_t empty[22] = {'P', 'K', 5, 6}; /* what np.savez(f) writes */
    assert_int_equal(o.n, 22);
    assert_memory_equal(o.p, empty, 22);
    if (have_data()) {
        save("npg_empty.npz", &o);
        save_expect("npg_empty.npz", NULL, 0);
    }
    free(o.p);
    npg_ctx_free(ctx);
}

/* zip64 records through the internal writer with its thresholds lowered: every size and offset
 * from 1 byte on, and every entry count, use the zip64 fields (sentinels in the 32/16-bit ones). */
static void test_writer_zip64(void **state)
{
    (void)state;
    types t;
    npg__mem_init(&t.mem, NULL, 1u << 30);
    npg__arena_init(&t.arena, &t.mem);
    npg_limits_init(&t.lim);
    arr a[16];
    size_t n = make_arrays(&t, a);
    for (int compress = 0; compress < 2; compress++) {
        npg_mem mem;
        npg__mem_init(&mem, NULL, 1u << 30);
        outbuf o = {0};
        npg_zipw w;
        npg__zipw_init(&w, &mem, out_write, &o, 100);
        w.zip64_at = 1;
        w.zip64_count = 1;
        for (size_t i = 0; i < n; i++) {
            size_t hlen;
            npg_diag d;
            npg__npy_format_header(a[i].dt, a[i].ndim, a[i].shape, a[i].fortran, NULL, 0, &hlen, &d);
            uint8_t *h = malloc(hlen);
            npg__npy_format_header(a[i].dt, a[i].ndim, a[i].shape, a[i].fortran, h, hlen, &hlen, &d);
            char name[300];
            snprintf(name, sizeof name, "%s.npy", a[i].name);
            npg_zipw_piece pc[2] = {{h, hlen}, {a[i].data, a[i].len}};
            npg_zip_fail f;
            assert_int_equal(npg__zipw_add(&w, (const uint8_t *)name, strlen(name), compress ? 8 : 0, pc, 2, &f), NPG_OK);
            free(h);
        }
        npg_zip_fail f;
        assert_int_equal(npg__zipw_finish(&w, &f), NPG_OK);
        npg__zipw_release(&w);
        assert_int_equal(mem.used, 0);
        /* the EOCD defers everything to the zip64 end record */
        const uint8_t *e = o.p + o.n - 22;
        assert_int_equal(npg__zip_u16(e + 10), 0xFFFF);
        assert_int_equal(npg__zip_u32(e + 12), 0xFFFFFFFFu);
        assert_int_equal(npg__zip_u32(e - 20), NPG_ZIP_SIG_LOC64);
        verify_written(&o, a, n, compress ? 8 : 0);
        if (have_data()) {
            const char *file = compress ? "npg_zip64_deflated.npz" : "npg_zip64_stored.npz";
            save(file, &o);
            save_expect(file, a, n);
        }
        free(o.p);
    }
    for (size_t i = 0; i < n; i++) free(a[i].data);
    npg__arena_release(&t.arena);
}

static void test_writer_errors(void **state)
{
    (void)state;
    types t;
    npg__mem_init(&t.mem, NULL, 1u << 30);
    npg__arena_init(&t.arena, &t.mem);
    npg_limits_init(&t.lim);
    const npg_dtype *f8 = plain(&t, 'f', 8, 0), *obj = plain(&t, 'O', 8, 0);
    uint64_t shape[1] = {2};
    double v[2] = {1, 2};
    npg_ctx *ctx = npg_ctx_new(NULL);
    outbuf o = {0};
    npg_npz_writer *w;
    npg_error err;
    assert_int_equal(npg_npz_writer_new(NULL, 0, out_write, &o, &w), NPG_E_INVALID);
    assert_int_equal(npg_npz_writer_new(ctx, 2, out_write, &o, &w), NPG_E_INVALID);
    assert_int_equal(npg_npz_writer_new(ctx, 0, NULL, &o, &w), NPG_E_INVALID);
    assert_int_equal(npg_npz_writer_new(ctx, 0, out_write, &o, &w), NPG_OK);
    const uint8_t *d = (const uint8_t *)v;
    assert_int_equal(npg_npz_writer_add(w, "a", f8, 1, shape, 0, d, 16, &err), NPG_OK);
    /* refused names and duplicates leave the writer usable */
    assert_int_equal(npg_npz_writer_add(w, "a", f8, 1, shape, 0, d, 16, &err), NPG_E_ZIP_DUPLICATE);
    assert_string_equal(err.member, "a.npy");
    assert_int_equal(npg_npz_writer_add(w, "../evil", f8, 1, shape, 0, d, 16, &err), NPG_E_ZIP_NAME);
    assert_int_equal(npg_npz_writer_add(w, "a\\b", f8, 1, shape, 0, d, 16, &err), NPG_E_ZIP_NAME);
    assert_int_equal(npg_npz_writer_add(w, "x\x01", f8, 1, shape, 0, d, 16, &err), NPG_E_ZIP_NAME);
    char longname[300];
    memset(longname, 'n', 252);
    longname[252] = '\0';
    assert_int_equal(npg_npz_writer_add(w, longname, f8, 1, shape, 0, d, 16, &err), NPG_E_ZIP_NAME);
    longname[251] = '\0';
    assert_int_equal(npg_npz_writer_add(w, longname, f8, 1, shape, 0, d, 16, &err), NPG_OK);
    assert_int_equal(npg_npz_writer_add(w, "short", f8, 1, shape, 0, d, 8, &err), NPG_E_INVALID);
    assert_int_equal(npg_npz_writer_add(w, "objects", obj, 1, shape, 0, d, 16, &err), NPG_E_INVALID);
    assert_int_equal(npg_npz_writer_add(w, NULL, f8, 1, shape, 0, d, 16, &err), NPG_E_INVALID);
    assert_int_equal(npg_npz_writer_add(w, "b", f8, 1, shape, 0, d, 16, &err), NPG_OK);
    assert_int_equal(npg_npz_writer_finish(w, &err), NPG_OK);
    assert_int_equal(npg_npz_writer_add(w, "c", f8, 1, shape, 0, d, 16, &err), NPG_E_BADSTATE);
    assert_int_equal(npg_npz_writer_finish(w, &err), NPG_E_BADSTATE);
    npg_npz_writer_free(w);
    npg_npz_writer_free(NULL);
    npg_zip *z;
    assert_int_equal(npg_zip_open(ctx, o.p, o.n, 0, &z, &err), NPG_OK);
    assert_int_equal(npg_zip_count(z), 3);
    npg_zip_free(z);
    free(o.p);
    /* a failing output poisons the writer */
    for (int at = 1; at <= 6; at++) {
        outbuf f = {0};
        f.fail_at = at;
        assert_int_equal(npg_npz_writer_new(ctx, at & 1, out_write, &f, &w), NPG_OK);
        int rc = npg_npz_writer_add(w, "a", f8, 1, shape, 0, d, 16, &err);
        if (rc == NPG_OK) rc = npg_npz_writer_add(w, "b", f8, 1, shape, 0, d, 16, &err);
        if (rc == NPG_OK) rc = npg_npz_writer_finish(w, &err);
        assert_int_equal(rc, NPG_E_INVALID);
        assert_int_equal(npg_npz_writer_finish(w, &err), NPG_E_BADSTATE);
        npg_npz_writer_free(w);
        free(f.p);
    }
    /* the member count limit */
    npg_limits lim;
    npg_limits_init(&lim);
    lim.max_zip_members = 1;
    npg_ctx_set_limits(ctx, &lim);
    o = (outbuf){0};
    assert_int_equal(npg_npz_writer_new(ctx, 0, out_write, &o, &w), NPG_OK);
    assert_int_equal(npg_npz_writer_add(w, "a", f8, 1, shape, 0, d, 16, &err), NPG_OK);
    assert_int_equal(npg_npz_writer_add(w, "b", f8, 1, shape, 0, d, 16, &err), NPG_E_LIMIT_MEMBERS);
    npg_npz_writer_free(w);
    free(o.p);
    npg_ctx_free(ctx);
    npg__arena_release(&t.arena);
}

/* Many members: names hashed, offsets growing; the reader agrees. */
static void test_writer_many(void **state)
{
    (void)state;
    types t;
    npg__mem_init(&t.mem, NULL, 1u << 30);
    npg__arena_init(&t.arena, &t.mem);
    npg_limits_init(&t.lim);
    const npg_dtype *u1 = plain(&t, 'u', 1, 0);
    npg_ctx *ctx = npg_ctx_new(NULL);
    outbuf o = {0};
    npg_npz_writer *w;
    npg_error err;
    assert_int_equal(npg_npz_writer_new(ctx, 0, out_write, &o, &w), NPG_OK);
    uint8_t byte = 7;
    uint64_t one = 1;
    for (int i = 0; i < 3000; i++) {
        char name[32];
        snprintf(name, sizeof name, "arr_%d", i);
        assert_int_equal(npg_npz_writer_add(w, name, u1, 1, &one, 0, &byte, 1, &err), NPG_OK);
    }
    assert_int_equal(npg_npz_writer_add(w, "arr_1234.npy", u1, 1, &one, 0, &byte, 1, &err), NPG_OK);
    assert_int_equal(npg_npz_writer_add(w, "arr_2999", u1, 1, &one, 0, &byte, 1, &err), NPG_E_ZIP_DUPLICATE);
    assert_int_equal(npg_npz_writer_finish(w, &err), NPG_OK);
    npg_npz_writer_free(w);
    npg_zip *z;
    assert_int_equal(npg_zip_open(ctx, o.p, o.n, 0, &z, &err), NPG_OK);
    assert_int_equal(npg_zip_count(z), 3001);
    assert_int_equal(read_all(z, &err, NULL), NPG_OK);
    npg_zip_free(z);
    free(o.p);
    npg_ctx_free(ctx);
    npg__arena_release(&t.arena);
}

/* NPG_ZIP_SLOW=1: a real 4 GiB + 1 KiB member of zeros (mapped, never resident), deflated by
 * the writer to ~4 MB, then opened (zip64 from the size) and inflated in full (~40 s). Not
 * handed to the NumPy check, which would allocate the 4 GiB array. */
static void test_slow_real_zip64(void **state)
{
    (void)state;
    if (!getenv("NPG_ZIP_SLOW")) skip();
    types t;
    npg__mem_init(&t.mem, NULL, 1u << 30);
    npg__arena_init(&t.arena, &t.mem);
    npg_limits_init(&t.lim);
    uint64_t shape[1] = {((uint64_t)1 << 32) + 1024};
    uint8_t *zeros = mmap(NULL, shape[0], PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    assert_true(zeros != MAP_FAILED);
    npg_ctx *ctx = npg_ctx_new(NULL);
    outbuf o = {0};
    npg_npz_writer *w;
    npg_error err;
    assert_int_equal(npg_npz_writer_new(ctx, 1, out_write, &o, &w), NPG_OK);
    assert_int_equal(npg_npz_writer_add(w, "zeros", plain(&t, 'u', 1, 0), 1, shape, 0, zeros, shape[0], &err), NPG_OK);
    assert_int_equal(npg_npz_writer_finish(w, &err), NPG_OK);
    npg_npz_writer_free(w);
    npg_zip *z;
    assert_int_equal(npg_zip_open(ctx, o.p, o.n, 0, &z, &err), NPG_OK);
    const npg_zip_member *m = npg_zip_member_at(z, 0);
    assert_true(m->usize > 0xFFFFFFFFu);
    sink s;
    sink_init(&s, o.p, o.n);
    assert_int_equal(npg_zip_read(z, 0, sink_write, &s, &err), NPG_OK);
    assert_int_equal(s.n, m->usize);
    npg_zip_free(z);
    npg_ctx_free(ctx);
    free(o.p);
    munmap(zeros, shape[0]);
    npg__arena_release(&t.arena);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_archives),
        cmocka_unit_test(test_bad_archives),
        cmocka_unit_test(test_error_details),
        cmocka_unit_test(test_prefixes),
        cmocka_unit_test(test_mutations),
        cmocka_unit_test(test_api),
        cmocka_unit_test(test_read_stop),
        cmocka_unit_test(test_out_of_memory),
        cmocka_unit_test(test_writer_stored),
        cmocka_unit_test(test_writer_deflated),
        cmocka_unit_test(test_writer_empty),
        cmocka_unit_test(test_writer_zip64),
        cmocka_unit_test(test_writer_errors),
        cmocka_unit_test(test_writer_many),
        cmocka_unit_test(test_slow_real_zip64),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
