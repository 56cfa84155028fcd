/* Hostile pickles: refused in decode mode (exact code, offset and opcode) and fully reported in
 * scan mode (every finding: rule, severity, offset, opcode, global), and the library's promise
 * checked on every input we have:
 *
 *   a scan with no finding above info and status NPG_OK  <=>  decode accepts,
 *
 * plus its finer form: when decode refuses at offset O, the scan either reports its first
 * finding above info at O (a refusal), or, having refused nothing, fails exactly like decode.
 *
 * Most inputs are files in tests/data/hostile/ made by tests/gen/make_hostile.py (harmless objects
 * pickled by CPython, then renamed / spliced; nothing is ever unpickled by Python), whose EXPECT
 * file lists each outcome. The expectations come from include/npguard.h and the spec
 * (notes/numpy-pickles.md sections 6, 7, 11), never from running npguard. Cases that need the API
 * beyond one load (NPG_ALLOW_TRAILING, limits) are written here as byte literals. */
#include <dirent.h>
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

#define S(s) (s), (sizeof(s) - 1)

/* ------------------------------------------------------------------ small helpers */

static uint8_t *dup_exact(const uint8_t *p, size_t n)
{
    uint8_t *d = malloc(n ? n : 1);
    assert_non_null(d);
    if (n) memcpy(d, p, n);
    return d;
}

static int load_with(const uint8_t *buf, size_t len, unsigned flags, const npg_limits *lim,
                     const npg_buffer *bufs, size_t nbufs, npg_doc **doc, npg_error *err)
{
    npg_ctx *ctx = npg_ctx_new(NULL);
    assert_non_null(ctx);
    if (lim) assert_int_equal(npg_ctx_set_limits(ctx, lim), NPG_OK);
    npg_pickle_opts opts = {flags, bufs, nbufs};
    memset(err, 0xa5, sizeof *err);
    *doc = (npg_doc *)(uintptr_t)1; /* poison: must be overwritten */
    int rc = npg_pickle_load(ctx, buf, len, &opts, doc, err);
    npg_ctx_free(ctx);
    return rc;
}

static int status_code(const char *name)
{
    for (int c = 0; c < 256; c++)
        if (strcmp(npg_status_name(c), name) == 0) return c;
    fail_msg("unknown status name %s", name);
    return -1;
}

static int rule_code(const char *id)
{
    for (int r = 1; r < 128; r++) /* VM rules, and NPG100 for strict-grammar refusals */
        if (strcmp(npg_rule_id(r), id) == 0) return r;
    fail_msg("unknown rule id %s", id);
    return -1;
}

static int severity_code(const char *name)
{
    for (int s = NPG_SEV_INFO; s <= NPG_SEV_CRITICAL; s++)
        if (strcmp(npg_severity_name((npg_severity)s), name) == 0) return s;
    fail_msg("unknown severity %s", name);
    return -1;
}

static int opcode_code(const char *name)
{
    if (strcmp(name, "-") == 0) return -1;
    if (strncmp(name, "0x", 2) == 0) return (int)strtol(name + 2, NULL, 16); /* not an opcode */
    for (int o = 0; o < 256; o++)
        if (npg_opcode_name(o) && strcmp(npg_opcode_name(o), name) == 0) return o;
    fail_msg("unknown opcode name %s", name);
    return -2;
}

static const char *opname(int op)
{
    static char hex[8][8];
    static unsigned k;
    const char *n = op >= 0 && op < 256 ? npg_opcode_name(op) : NULL;
    if (n) return n;
    if (op < 0) return "-";
    char *h = hex[k++ % 8];
    snprintf(h, sizeof hex[0], "0x%02x", (unsigned)op & 0xff);
    return h;
}

static int printable_line(const char *s, size_t cap)
{
    size_t n = strnlen(s, cap);
    if (n == 0 || n == cap) return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e) return 0;
    return 1;
}

/* Failures are collected (all printed) and asserted at the end of each test. */
static int g_failures;

__attribute__((format(printf, 2, 3)))
static void report(const char *label, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    print_message("  FAIL %s: %s\n", label, msg);
    g_failures++;
}

/* ------------------------------------------------------------------ value text (for comparing roots) */

typedef struct strbuf {
    char *p;
    size_t n, cap;
} strbuf;

static int sb_write(void *ud, const void *text, size_t len)
{
    strbuf *b = ud;
    if (b->n + len + 1 > b->cap) {
        size_t cap = (b->n + len + 1) * 2;
        char *p = realloc(b->p, cap);
        if (!p) return -1;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, text, len);
    b->n += len;
    b->p[b->n] = '\0';
    return 0;
}

static char *value_text(const npg_value *v)
{
    strbuf b = {NULL, 0, 0};
    sb_write(&b, "", 0);
    if (npg_value_print(v, sb_write, &b, 100000) != NPG_OK) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

/* ------------------------------------------------------------------ the promise */

static int is_refusal_code(int c)
{
    return c == NPG_E_GLOBAL || c == NPG_E_FORBIDDEN_OPCODE || c == NPG_E_BUILD || c == NPG_E_TYPE ||
           c == NPG_E_BUFFER;
}

/* Decode and scan the same bytes; check that the two modes tell the same story. */
static void check_promise(const char *label, const uint8_t *data, size_t len, const npg_buffer *bufs,
                          size_t nbufs)
{
    uint8_t *buf = dup_exact(data, len);
    npg_doc *dd, *sd;
    npg_error de, se, ds;
    int rd = load_with(buf, len, 0, NULL, bufs, nbufs, &dd, &de);
    int rs = load_with(buf, len, NPG_SCAN, NULL, bufs, nbufs, &sd, &se);

    if (rd == NPG_OK && !dd) report(label, "decode OK without a document");
    if (rd != NPG_OK && dd) report(label, "decode failed but returned a document");
    if (rd != NPG_OK && de.code != rd) report(label, "decode err.code %d != return %d", de.code, rd);
    if (!sd) {
        report(label, "scan returned no document (rc %s)", npg_status_name(rs));
        npg_doc_free(rd == NPG_OK ? dd : NULL);
        free(buf);
        return;
    }
    if (npg_doc_status(sd, &ds) != rs) report(label, "npg_doc_status != scan return value");
    if (rs != NPG_OK && (ds.code != rs || se.code != rs || ds.offset != se.offset))
        report(label, "scan error detail inconsistent");

    size_t n, total;
    const npg_finding *f = npg_doc_findings(sd, &n, &total);
    const npg_finding *first = NULL;
    for (size_t i = 0; i < n; i++) {
        if (f[i].severity > NPG_SEV_INFO && !first) first = &f[i];
        if ((f[i].rule == NPG_RULE_GLOBAL_ALLOWED) != (f[i].severity == NPG_SEV_INFO))
            report(label, "finding %zu: rule %s with severity %s", i, npg_rule_id(f[i].rule),
                   npg_severity_name(f[i].severity));
        if (!f[i].message || !printable_line(f[i].message, 400))
            report(label, "finding %zu: message is not one printable line", i);
        /* globals are exact ("module.name" as find_class gets it): consistent lengths */
        if (f[i].global && (f[i].global_len != strlen(f[i].global) || f[i].module_len >= f[i].global_len ||
                            f[i].global[f[i].module_len] != '.'))
            report(label, "finding %zu: global and its lengths disagree", i);
        if (i && f[i].offset < f[i - 1].offset) report(label, "findings not in offset order");
        if (f[i].offset >= len) report(label, "finding %zu offset %llu beyond input", i,
                                       (unsigned long long)f[i].offset);
    }
    if (total < n) report(label, "findings total < count");

    int scan_ok = rs == NPG_OK && !first;
    if (scan_ok != (rd == NPG_OK))
        report(label, "promise broken: decode %s, scan %s with %s finding above info",
               npg_status_name(rd), npg_status_name(rs), first ? "a" : "no");
    if (rd == NPG_OK && rs == NPG_OK) {
        char *a = value_text(npg_doc_root(dd)), *b = value_text(npg_doc_root(sd));
        if (!a || !b || strcmp(a, b) != 0) report(label, "decode and scan roots differ");
        free(a);
        free(b);
        if (npg_doc_end(dd) != len || npg_doc_end(sd) != len) report(label, "npg_doc_end != input length");
    } else if (rd != NPG_OK) {
        if (first && first->offset <= de.offset) {
            if (first->offset != de.offset || first->opcode != de.opcode)
                report(label, "decode refused %s at %llu (%s), scan's first finding is at %llu (%s)",
                       npg_status_name(rd), (unsigned long long)de.offset, opname(de.opcode),
                       (unsigned long long)first->offset, opname(first->opcode));
            /* a refusal of the allowlist, or of the strict grammar where CPython goes on: then the
             * scan's first finding is that refusal (NPG100 carries decode's status) */
            if (!is_refusal_code(rd) && !(first->rule == NPG_RULE_MALFORMED && first->status == rd))
                report(label, "scan has a finding where decode failed with %s", npg_status_name(rd));
        } else {
            if (first)
                report(label, "scan finding at %llu after decode's error at %llu",
                       (unsigned long long)first->offset, (unsigned long long)de.offset);
            /* where decode refuses an opcode outright, CPython (and so the scan) may raise for
             * another reason at the same opcode */
            bool outright = rd == NPG_E_FORBIDDEN_OPCODE && rs != NPG_OK && se.offset == de.offset;
            if (!outright && (rs != rd || se.offset != de.offset || se.opcode != de.opcode))
                report(label, "decode %s@%llu(%s) but scan %s@%llu(%s)", npg_status_name(rd),
                       (unsigned long long)de.offset, opname(de.opcode), npg_status_name(rs),
                       (unsigned long long)se.offset, opname(se.opcode));
        }
    }
    if (rd == NPG_OK) npg_doc_free(dd);
    npg_doc_free(sd);
    free(buf);
}

/* ------------------------------------------------------------------ EXPECT-driven corpus */

typedef struct exp_finding {
    int rule, sev, op;
    uint64_t off;
    char global[200];
} exp_finding;

typedef struct exp_case {
    char file[200];
    int dcode, dop, scode, sop;
    int64_t doff, soff; /* -1: no offset expected (NPG_OK) */
    exp_finding f[16];
    size_t nf;
} exp_case;

static int64_t parse_off(const char *s) { return strcmp(s, "-") == 0 ? -1 : (int64_t)strtoll(s, NULL, 10); }

static exp_case *read_expect(size_t *count)
{
    size_t len;
    char *text = (char *)tu_read_file(tu_data_path("hostile/EXPECT"), &len);
    char *t = realloc(text, len + 1);
    assert_non_null(t);
    t[len] = '\0';
    size_t cap = 256, n = 0;
    exp_case *cases = calloc(cap, sizeof *cases);
    assert_non_null(cases);
    exp_case *cur = NULL;
    char *save = NULL;
    for (char *line = strtok_r(t, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char a[64], b[64], c[64], d[64], e[200], g[200];
        if (line[0] == '#') continue;
        if (sscanf(line, "file %199s", g) == 1) {
            assert_true(n < cap);
            cur = &cases[n++];
            snprintf(cur->file, sizeof cur->file, "%s", g);
        } else if (sscanf(line, "decode %63s %63s %63s", a, b, c) == 3) {
            cur->dcode = status_code(a);
            cur->doff = parse_off(b);
            cur->dop = opcode_code(c);
        } else if (sscanf(line, "scan %63s %63s %63s", a, b, c) == 3) {
            cur->scode = status_code(a);
            cur->soff = parse_off(b);
            cur->sop = opcode_code(c);
        } else if (sscanf(line, "finding %63s %63s %63s %63s %199s", a, b, c, d, e) == 5) {
            assert_true(cur->nf < sizeof cur->f / sizeof cur->f[0]);
            exp_finding *f = &cur->f[cur->nf++];
            f->rule = rule_code(a);
            f->sev = severity_code(b);
            f->off = (uint64_t)strtoull(c, NULL, 10);
            f->op = opcode_code(d);
            snprintf(f->global, sizeof f->global, "%s", e);
        } else if (strcmp(line, "end") == 0) {
            cur = NULL;
        } else {
            fail_msg("bad EXPECT line: %s", line);
        }
    }
    free(t);
    *count = n;
    return cases;
}

static void check_case(const exp_case *c)
{
    size_t len;
    char rel[300];
    snprintf(rel, sizeof rel, "hostile/%s", c->file);
    uint8_t *buf = tu_read_file(tu_data_path(rel), &len);
    const char *L = c->file;
    npg_doc *doc;
    npg_error err;

    /* decode */
    int rc = load_with(buf, len, 0, NULL, NULL, 0, &doc, &err);
    if (rc != c->dcode) {
        report(L, "decode returned %s, expected %s (%s)", npg_status_name(rc), npg_status_name(c->dcode),
               err.message);
    } else if (rc == NPG_OK) {
        if (!doc || !npg_doc_root(doc)) report(L, "decode OK without a root");
        npg_doc_free(doc);
    } else {
        if (doc) report(L, "decode error but *out != NULL");
        if (err.code != rc) report(L, "err.code %d != %d", err.code, rc);
        if ((int64_t)err.offset != c->doff || err.opcode != c->dop)
            report(L, "decode error at %llu (%s), expected %lld (%s): %s", (unsigned long long)err.offset,
                   opname(err.opcode), (long long)c->doff, opname(c->dop), err.message);
        if (!printable_line(err.message, sizeof err.message)) report(L, "decode message not printable");
        /* the message names the global when one is involved */
        if (rc == NPG_E_GLOBAL) {
            const char *g = NULL;
            for (size_t i = 0; i < c->nf && !g; i++)
                if (c->f[i].off == (uint64_t)c->doff && c->f[i].sev > NPG_SEV_INFO) g = c->f[i].global;
            if (g && strcmp(g, "?") != 0 && !strstr(err.message, g))
                report(L, "decode message '%s' does not name %s", err.message, g);
        }
    }

    /* scan */
    rc = load_with(buf, len, NPG_SCAN, NULL, NULL, 0, &doc, &err);
    if (!doc) {
        report(L, "scan returned no document");
        free(buf);
        return;
    }
    npg_error ds;
    int st = npg_doc_status(doc, &ds);
    if (rc != c->scode || st != rc) {
        report(L, "scan returned %s (doc status %s), expected %s (%s)", npg_status_name(rc),
               npg_status_name(st), npg_status_name(c->scode), err.message);
    } else if (rc != NPG_OK) {
        if (c->soff >= 0 && (int64_t)ds.offset != c->soff)
            report(L, "scan error at %llu, expected %lld", (unsigned long long)ds.offset, (long long)c->soff);
        if (c->soff >= 0 && ds.opcode != c->sop)
            report(L, "scan error opcode %s, expected %s", opname(ds.opcode), opname(c->sop));
        if (npg_doc_root(doc)) report(L, "scan error but a root");
    } else if (!npg_doc_root(doc)) {
        report(L, "scan OK without a root");
    }
    size_t n, total;
    const npg_finding *f = npg_doc_findings(doc, &n, &total);
    if (n != c->nf || total != n) report(L, "%zu findings (total %zu), expected %zu", n, total, c->nf);
    for (size_t i = 0; i < n && i < c->nf; i++) {
        const exp_finding *e = &c->f[i];
        const char *g = f[i].global ? f[i].global : "-";
        if (f[i].rule != e->rule || (int)f[i].severity != e->sev || f[i].offset != e->off ||
            f[i].opcode != e->op || strcmp(g, e->global) != 0)
            report(L, "finding %zu is %s %s @%llu %s %s, expected %s %s @%llu %s %s", i, npg_rule_id(f[i].rule),
                   npg_severity_name(f[i].severity), (unsigned long long)f[i].offset, opname(f[i].opcode), g,
                   npg_rule_id(e->rule), npg_severity_name((npg_severity)e->sev), (unsigned long long)e->off,
                   opname(e->op), e->global);
    }
    for (size_t i = c->nf; i < n; i++)
        report(L, "extra finding %s %s @%llu %s %s", npg_rule_id(f[i].rule), npg_severity_name(f[i].severity),
               (unsigned long long)f[i].offset, opname(f[i].opcode), f[i].global ? f[i].global : "-");
    npg_doc_free(doc);

    check_promise(L, buf, len, NULL, 0);
    free(buf);
}

static void test_hostile_corpus(void **state)
{
    (void)state;
    size_t n;
    exp_case *cases = read_expect(&n);
    assert_true(n >= 100);
    g_failures = 0;
    size_t hostile = 0;
    for (size_t i = 0; i < n; i++) {
        check_case(&cases[i]);
        hostile += cases[i].dcode != NPG_OK;
    }
    print_message("  %zu files (%zu refused)\n", n, hostile);
    free(cases);
    assert_int_equal(g_failures, 0);
}

/* ------------------------------------------------------------------ promise over every file */

static int has_suffix(const char *s, const char *suf)
{
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && strcmp(s + a - b, suf) == 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static char **list_dir(const char *rel, const char *suffix, size_t *count)
{
    DIR *d = opendir(tu_data_path(rel));
    assert_non_null(d);
    size_t n = 0, cap = 64;
    char **names = malloc(cap * sizeof *names);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!has_suffix(e->d_name, suffix)) continue;
        if (n == cap) names = realloc(names, (cap *= 2) * sizeof *names);
        assert_non_null(names);
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_str);
    *count = n;
    return names;
}

static void free_list(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
}

static void test_promise_numpy_pickles(void **state)
{
    (void)state;
    size_t n;
    char **names = list_dir("numpy-pickles", ".pkl", &n);
    assert_true(n >= 400);
    g_failures = 0;
    size_t ok = 0;
    for (size_t i = 0; i < n; i++) {
        char rel[400];
        snprintf(rel, sizeof rel, "numpy-pickles/%s", names[i]);
        size_t len;
        uint8_t *buf = tu_read_file(tu_data_path(rel), &len);
        check_promise(names[i], buf, len, NULL, 0);
        npg_doc *doc;
        npg_error err;
        if (load_with(buf, len, 0, NULL, NULL, 0, &doc, &err) == NPG_OK) {
            ok++;
            npg_doc_free(doc);
        }
        /* protocol-5 out-of-band files again, with their buffer */
        if (has_suffix(names[i], "_p5oob.pkl")) {
            char brel[400];
            snprintf(brel, sizeof brel, "numpy-pickles/%.*s.buf0.bin", (int)(strlen(names[i]) - 4), names[i]);
            FILE *probe = fopen(tu_data_path(brel), "rb");
            if (probe) {
                fclose(probe);
                size_t blen;
                uint8_t *bdata = tu_read_file(tu_data_path(brel), &blen);
                npg_buffer b = {bdata, blen, 0};
                char label[450];
                snprintf(label, sizeof label, "%s+buffer", names[i]);
                check_promise(label, buf, len, &b, 1);
                free(bdata);
            }
        }
        free(buf);
    }
    print_message("  %zu files, %zu accepted by decode\n", n, ok);
    free_list(names, n);
    assert_int_equal(g_failures, 0);
}

/* ------------------------------------------------------------------ API-level cases */

/* A valid array pickle, then an os.system pickle after its STOP. Decode: NPG_E_TRAILING at the
 * end of the first pickle; with NPG_ALLOW_TRAILING: accepted, npg_doc_end() says where the first
 * pickle ended, and the caller scans the rest and finds the payload. */
static void test_trailing_payload(void **state)
{
    (void)state;
    size_t len;
    uint8_t *buf = tu_read_file(tu_data_path("hostile/trailing_payload_p2.pkl"), &len);
    size_t rlen;
    uint8_t *rest_file = tu_read_file(tu_data_path("hostile/trailing_payload_rest_p2.pkl"), &rlen);
    assert_true(rlen < len);
    size_t first_len = len - rlen;
    assert_memory_equal(buf + first_len, rest_file, rlen);

    npg_doc *doc;
    npg_error err;
    assert_int_equal(load_with(buf, len, 0, NULL, NULL, 0, &doc, &err), NPG_E_TRAILING);
    assert_null(doc);
    assert_int_equal(err.offset, first_len);
    assert_int_equal(err.opcode, -1);

    /* decode with NPG_ALLOW_TRAILING: the first pickle only */
    assert_int_equal(load_with(buf, len, NPG_ALLOW_TRAILING, NULL, NULL, 0, &doc, &err), NPG_OK);
    assert_non_null(doc);
    assert_int_equal(npg_doc_end(doc), first_len);
    const npg_value *root = npg_doc_root(doc);
    assert_int_equal(npg_value_kind(root), NPG_ARRAY);
    assert_int_equal(npg_array_size(root), 3);
    npg_doc_free(doc);

    /* scan with NPG_ALLOW_TRAILING, then the caller scans from npg_doc_end() on */
    assert_int_equal(load_with(buf, len, NPG_SCAN | NPG_ALLOW_TRAILING, NULL, NULL, 0, &doc, &err), NPG_OK);
    uint64_t end = npg_doc_end(doc);
    assert_int_equal(end, first_len);
    size_t n, total;
    const npg_finding *f = npg_doc_findings(doc, &n, &total);
    for (size_t i = 0; i < n; i++) assert_int_equal(f[i].severity, NPG_SEV_INFO);
    npg_doc_free(doc);

    uint8_t *rest = dup_exact(buf + end, len - (size_t)end);
    assert_int_equal(load_with(rest, len - (size_t)end, NPG_SCAN | NPG_ALLOW_TRAILING, NULL, NULL, 0, &doc, &err),
                     NPG_OK);
    f = npg_doc_findings(doc, &n, &total);
    assert_int_equal(n, 2);
    assert_int_equal(f[0].rule, NPG_RULE_GLOBAL_DANGEROUS);
    assert_int_equal(f[0].severity, NPG_SEV_CRITICAL);
    assert_int_equal(f[0].offset, 2);
    assert_string_equal(f[0].global, "os.system");
    assert_int_equal(f[1].rule, NPG_RULE_CALL);
    assert_string_equal(f[1].global, "os.system");
    assert_int_equal(npg_doc_end(doc), len - end);
    npg_doc_free(doc);

    /* without NPG_ALLOW_TRAILING the scan says the file is not ok: pickle.load stops at STOP, and
     * the bytes after it are a strict refusal (NPG100 carrying NPG_E_TRAILING) */
    assert_int_equal(load_with(buf, len, NPG_SCAN, NULL, NULL, 0, &doc, &err), NPG_OK);
    assert_non_null(doc);
    f = npg_doc_findings(doc, &n, &total);
    assert_true(n >= 1);
    assert_int_equal(f[n - 1].rule, NPG_RULE_MALFORMED);
    assert_int_equal(f[n - 1].status, NPG_E_TRAILING);
    assert_int_equal(f[n - 1].offset, first_len);
    npg_doc_free(doc);
    free(rest);
    free(rest_file);
    free(buf);
}

/* Several pickles in a row (legacy multi-stream files): walk them with npg_doc_end(). */
static void test_concatenated_stream_walk(void **state)
{
    (void)state;
    static const uint8_t data[] = "\x80\x02K\x01."         /* 1 */
                                  "cos\nsystem\n(Vid\ntR." /* os.system('id') */
                                  "\x80\x04\x8c\x01" "a.";  /* 'a' */
    size_t len = sizeof data - 1, pos = 0, pickles = 0, critical = 0;
    uint8_t *buf = dup_exact(data, len);
    while (pos < len) {
        npg_doc *doc;
        npg_error err;
        int rc = load_with(buf + pos, len - pos, NPG_SCAN | NPG_ALLOW_TRAILING, NULL, NULL, 0, &doc, &err);
        assert_int_equal(rc, NPG_OK);
        size_t n, total;
        const npg_finding *f = npg_doc_findings(doc, &n, &total);
        for (size_t i = 0; i < n; i++) critical += f[i].severity == NPG_SEV_CRITICAL;
        uint64_t end = npg_doc_end(doc);
        assert_true(end > 0 && end <= len - pos);
        pos += (size_t)end;
        pickles++;
        npg_doc_free(doc);
    }
    assert_int_equal(pickles, 3);
    assert_int_equal(critical, 2); /* GLOBAL os.system and its REDUCE */
    free(buf);
}

/* max_findings keeps the first N findings and counts the rest; the verdict is unchanged. */
static void test_findings_limit(void **state)
{
    (void)state;
    char text[2000];
    size_t k = 0;
    for (int i = 0; i < 50; i++) k += (size_t)snprintf(text + k, sizeof text - k, "cos\nsystem\n0");
    k += (size_t)snprintf(text + k, sizeof text - k, "N.");
    uint8_t *buf = dup_exact((const uint8_t *)text, k);
    npg_limits lim;
    npg_limits_init(&lim);
    lim.max_findings = 10;
    npg_doc *doc;
    npg_error err;
    assert_int_equal(load_with(buf, k, NPG_SCAN, &lim, NULL, 0, &doc, &err), NPG_OK);
    size_t n, total;
    const npg_finding *f = npg_doc_findings(doc, &n, &total);
    assert_int_equal(n, 10);
    assert_int_equal(total, 50);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(f[i].offset, 12 * i);
        assert_int_equal(f[i].rule, NPG_RULE_GLOBAL_DANGEROUS);
    }
    assert_int_equal(npg_value_kind(npg_doc_root(doc)), NPG_NONE);
    npg_doc_free(doc);
    lim.max_findings = 1000;
    assert_int_equal(load_with(buf, k, NPG_SCAN, &lim, NULL, 0, &doc, &err), NPG_OK);
    npg_doc_findings(doc, &n, &total);
    assert_int_equal(n, 50);
    assert_int_equal(total, 50);
    npg_doc_free(doc);
    assert_int_equal(load_with(buf, k, 0, &lim, NULL, 0, &doc, &err), NPG_E_GLOBAL);
    assert_int_equal(err.offset, 0);
    free(buf);
}

/* A refused global that is never called is still refused (importing runs module code). */
static void test_uncalled_global(void **state)
{
    (void)state;
    static const struct {
        const char *data;
        size_t len;
        int sev;
        const char *global;
    } cases[] = {
        {S("cos\nsystem\n."), NPG_SEV_CRITICAL, "os.system"},
        {S("\x80\x02" "cmymodule\nhelper\n."), NPG_SEV_HIGH, "mymodule.helper"},
        {S("\x80\x02" "c__builtin__\nreduce\n."), NPG_SEV_HIGH, "__builtin__.reduce"},
        {S("\x80\x02" "cwhichdb\nwhichdb\n."), NPG_SEV_HIGH, "whichdb.whichdb"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t *buf = dup_exact((const uint8_t *)cases[i].data, cases[i].len);
        npg_doc *doc;
        npg_error err;
        assert_int_equal(load_with(buf, cases[i].len, 0, NULL, NULL, 0, &doc, &err), NPG_E_GLOBAL);
        assert_non_null(strstr(err.message, cases[i].global));
        /* scan: one finding; the file parses to STOP with the placeholder as its root */
        int rc = load_with(buf, cases[i].len, NPG_SCAN, NULL, NULL, 0, &doc, &err);
        assert_int_equal(rc, NPG_OK);
        size_t n, total;
        const npg_finding *f = npg_doc_findings(doc, &n, &total);
        assert_int_equal(n, 1);
        assert_int_equal(f[0].severity, cases[i].sev);
        assert_string_equal(f[0].global, cases[i].global);
        assert_int_equal(npg_value_kind(npg_doc_root(doc)), NPG_OPAQUE);
        assert_string_equal(npg_value_opaque_name(npg_doc_root(doc)), cases[i].global);
        npg_doc_free(doc);
        free(buf);
    }
}

/* Findings name globals exactly (as CPython's find_class receives them); their messages escape
 * the bytes. The lookup compares the raw bytes, so look-alikes of allowed names are refused, and
 * a module name no import can find (a NUL, a trailing space) stops the scan as it stops CPython. */
static void test_global_name_escaping(void **state)
{
    (void)state;
    static const struct {
        const char *data;
        size_t len;
        int scan_rc, rule;
        npg_severity sev;
        const char *global;
        size_t global_len;
    } cases[] = {
        {"\x80\x02" "cnumpy\x00\ndtype\n" "0N.", 19, NPG_E_IMPORT, NPG_RULE_GLOBAL_UNIMPORTABLE, NPG_SEV_LOW,
         "numpy\x00.dtype", 12},
        {"\x80\x02" "cnumpy\ndtype\x1b[2J\n" "0N.", 22, NPG_OK, NPG_RULE_GLOBAL_UNKNOWN, NPG_SEV_HIGH,
         "numpy.dtype\x1b[2J", 15},
        {"\x80\x02" "cnumpy \ndtype\n" "0N.", 19, NPG_E_IMPORT, NPG_RULE_GLOBAL_UNIMPORTABLE, NPG_SEV_LOW,
         "numpy .dtype", 12},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        uint8_t *buf = dup_exact((const uint8_t *)cases[c].data, cases[c].len);
        npg_doc *doc;
        npg_error err;
        assert_int_equal(load_with(buf, cases[c].len, 0, NULL, NULL, 0, &doc, &err), NPG_E_GLOBAL);
        assert_int_equal(err.offset, 2);
        assert_true(printable_line(err.message, sizeof err.message));
        assert_int_equal(load_with(buf, cases[c].len, NPG_SCAN, NULL, NULL, 0, &doc, &err), cases[c].scan_rc);
        size_t n, total;
        const npg_finding *f = npg_doc_findings(doc, &n, &total);
        assert_int_equal(n, 1);
        assert_int_equal(f[0].rule, cases[c].rule);
        assert_int_equal(f[0].severity, cases[c].sev);
        assert_int_equal(f[0].offset, 2);
        assert_int_equal(f[0].global_len, cases[c].global_len);
        assert_memory_equal(f[0].global, cases[c].global, cases[c].global_len);
        assert_true(printable_line(f[0].message, 200));
        assert_null(strchr(f[0].message, '\x1b'));
        npg_doc_free(doc);
        free(buf);
    }
}

/* npg_global_severity: what the findings above rely on. */
static void test_global_severity_table(void **state)
{
    (void)state;
    static const struct {
        const char *m, *n;
        npg_severity s;
    } rows[] = {
        {"os", "system", NPG_SEV_CRITICAL},        {"posix", "system", NPG_SEV_CRITICAL},
        {"nt", "system", NPG_SEV_CRITICAL},        {"subprocess", "Popen", NPG_SEV_CRITICAL},
        {"os.path", "join", NPG_SEV_CRITICAL},     {"builtins", "eval", NPG_SEV_CRITICAL},
        {"builtins", "exec", NPG_SEV_CRITICAL},    {"builtins", "getattr", NPG_SEV_CRITICAL},
        {"builtins", "__import__", NPG_SEV_CRITICAL}, {"__builtin__", "eval", NPG_SEV_CRITICAL},
        {"builtins", "object", NPG_SEV_CRITICAL},  {"runpy", "run_path", NPG_SEV_CRITICAL},
        {"builtins", "print", NPG_SEV_HIGH},       {"builtins", "int", NPG_SEV_HIGH},
        {"osx", "system", NPG_SEV_HIGH},           {"oss", "x", NPG_SEV_HIGH},
        {"numpy", "load", NPG_SEV_HIGH},           {"numpy", "dtype", NPG_SEV_INFO},
        {"builtins", "set", NPG_SEV_INFO},         {"numpy.core.multiarray", "_reconstruct", NPG_SEV_INFO},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        assert_int_equal(npg_global_severity(rows[i].m, strlen(rows[i].m), rows[i].n, strlen(rows[i].n)),
                         rows[i].s);
    /* compared exactly, with their lengths: no NUL truncation */
    assert_int_equal(npg_global_severity("numpy\0x", 7, "dtype", 5), NPG_SEV_HIGH);
    assert_int_equal(npg_global_severity("os\0", 3, "system", 6), NPG_SEV_HIGH);
}

/* Protocol-5 out-of-band buffers: NEXT_BUFFER with none (or no more) supplied is refused in
 * decode mode and reported (NPG010, medium) in scan mode. */
static void test_out_of_band_buffers(void **state)
{
    (void)state;
    size_t len, blen;
    uint8_t *buf = tu_read_file(tu_data_path("numpy-pickles/f8_c_p5oob.pkl"), &len);
    uint8_t *bdata = tu_read_file(tu_data_path("numpy-pickles/f8_c_p5oob.buf0.bin"), &blen);
    const uint8_t *nb = memchr(buf, 0x97, len); /* NEXT_BUFFER: no other 0x97 byte precedes it */
    assert_non_null(nb);
    uint64_t at = (uint64_t)(nb - buf);
    npg_doc *doc;
    npg_error err;
    assert_int_equal(load_with(buf, len, 0, NULL, NULL, 0, &doc, &err), NPG_E_BUFFER);
    assert_int_equal(err.offset, at);
    assert_int_equal(err.opcode, 0x97);
    assert_int_equal(load_with(buf, len, NPG_SCAN, NULL, NULL, 0, &doc, &err), NPG_OK);
    size_t n, total;
    const npg_finding *f = npg_doc_findings(doc, &n, &total);
    size_t above = 0;
    for (size_t i = 0; i < n; i++) {
        if (f[i].severity == NPG_SEV_INFO) continue;
        above++;
        assert_int_equal(f[i].rule, NPG_RULE_BUFFER);
        assert_int_equal(f[i].severity, NPG_SEV_MEDIUM);
        assert_int_equal(f[i].offset, at);
    }
    assert_int_equal(above, 1);
    npg_doc_free(doc);
    npg_buffer b = {bdata, blen, 1};
    assert_int_equal(load_with(buf, len, 0, NULL, &b, 1, &doc, &err), NPG_OK);
    const npg_value *root = npg_doc_root(doc);
    assert_int_equal(npg_value_kind(root), NPG_ARRAY);
    uint64_t dlen;
    int borrowed;
    assert_ptr_equal(npg_array_data(root, &dlen, &borrowed), bdata); /* zero-copy */
    assert_int_equal(dlen, blen);
    assert_true(borrowed);
    assert_false(npg_array_writeable(root));
    npg_doc_free(doc);
    free(buf);

    /* two NEXT_BUFFERs, one buffer */
    static const uint8_t two[] = "\x80\x05\x97\x97\x86.";
    buf = dup_exact(two, sizeof two - 1);
    assert_int_equal(load_with(buf, sizeof two - 1, 0, NULL, &b, 1, &doc, &err), NPG_E_BUFFER);
    assert_int_equal(err.offset, 3);
    assert_int_equal(load_with(buf, sizeof two - 1, NPG_SCAN, NULL, &b, 1, &doc, &err), NPG_OK);
    f = npg_doc_findings(doc, &n, &total);
    assert_int_equal(n, 1);
    assert_int_equal(f[0].rule, NPG_RULE_BUFFER);
    assert_int_equal(f[0].offset, 3);
    npg_doc_free(doc);
    free(buf);
    /* READONLY_BUFFER on something that is not a buffer */
    static const uint8_t ro[] = "\x80\x05N\x98.";
    buf = dup_exact(ro, sizeof ro - 1);
    assert_int_equal(load_with(buf, sizeof ro - 1, 0, NULL, NULL, 0, &doc, &err), NPG_E_TYPE);
    assert_int_equal(err.offset, 3);
    free(buf);
    free(bdata);
}

/* Dict keys built as a DAG of shared tuples: t(k) = (t(k-1), t(k-1)). Two separately built but
 * equal keys expand to 2^k leaves. Hashes are cached per node, but the equality check walks
 * the expansion; it is charged to max_ops, so the work stays bounded. */
static uint8_t *dag_pair(int depth, size_t *len)
{
    uint8_t *p = malloc(16 + 2 * (1 + 5 * (size_t)depth) + 8);
    assert_non_null(p);
    size_t k = 0;
    p[k++] = 0x80, p[k++] = 2, p[k++] = '}', p[k++] = '(';
    for (int key = 0; key < 2; key++) {
        p[k++] = 'N';
        for (int i = 0; i < depth; i++) {
            p[k++] = 'q', p[k++] = (uint8_t)key, p[k++] = 'h', p[k++] = (uint8_t)key, p[k++] = 0x86;
        }
        p[k++] = 'K', p[k++] = (uint8_t)(key + 1);
    }
    p[k++] = 'u', p[k++] = '.';
    *len = k;
    return p;
}

static void test_dag_keys_bounded(void **state)
{
    (void)state;
    size_t len;
    npg_doc *doc;
    npg_error err;
    uint8_t *buf = dag_pair(10, &len); /* 1024 leaves: compared, found equal */
    assert_int_equal(load_with(buf, len, 0, NULL, NULL, 0, &doc, &err), NPG_E_DUPLICATE_KEY);
    assert_int_equal(err.offset, len - 2);
    free(buf);
    npg_limits lim;
    npg_limits_init(&lim);
    lim.max_ops = 1u << 16;
    buf = dag_pair(60, &len); /* 2^60 leaves when expanded: compared in linear time */
    assert_int_equal(load_with(buf, len, 0, &lim, NULL, 0, &doc, &err), NPG_E_DUPLICATE_KEY);
    assert_int_equal(err.offset, len - 2);
    /* CPython keeps the last value of a duplicate key: scan mode notes the refusal and goes on */
    assert_int_equal(load_with(buf, len, NPG_SCAN, &lim, NULL, 0, &doc, &err), NPG_OK);
    size_t n = 0;
    const npg_finding *f = npg_doc_findings(doc, &n, NULL);
    assert_int_equal(n, 1);
    assert_int_equal(f[0].status, NPG_E_DUPLICATE_KEY);
    assert_int_equal(f[0].offset, len - 2);
    assert_true(npg_doc_ops(doc) < 2000); /* ~ a few ops per distinct tuple, not per path */
    npg_doc_free(doc);
    free(buf);
}

/* Memo indices chosen by the file: sparse ones (stride 65537, up to 2^24) must cost memory in
 * proportion to the entries, never to the index values (CPython sizes its memo by the index),
 * and re-reading every one of them must find it. */
static void test_sparse_memo_indices(void **state)
{
    (void)state;
    enum { N = 20000 };
    size_t cap = 16 + (size_t)N * 10, n = 0;
    uint8_t *p = malloc(cap);
    assert_non_null(p);
    p[n++] = 0x80, p[n++] = 2, p[n++] = 'N'; /* PROTO 2, NONE */
    for (uint32_t i = 0; i < N; i++) {       /* LONG_BINPUT i*65537 mod 2^24 */
        uint32_t k = (uint32_t)(((uint64_t)i * 65537u) & 0xffffffu);
        p[n++] = 'r';
        for (int b = 0; b < 4; b++) p[n++] = (uint8_t)(k >> (8 * b));
    }
    for (uint32_t i = 0; i < N; i += 997) { /* LONG_BINGET some of them, then POP */
        uint32_t k = (uint32_t)(((uint64_t)i * 65537u) & 0xffffffu);
        p[n++] = 'j';
        for (int b = 0; b < 4; b++) p[n++] = (uint8_t)(k >> (8 * b));
        p[n++] = '0';
    }
    p[n++] = '.';
    npg_doc *doc;
    npg_error err;
    assert_int_equal(load_with(p, n, 0, NULL, NULL, 0, &doc, &err), NPG_OK);
    /* 20,000 entries: a few hundred KiB of table, not the 128 MiB an index-sized array needs */
    assert_true(npg_doc_alloc_bytes(doc) < 4u * 1024 * 1024);
    npg_doc_free(doc);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hostile_corpus),
        cmocka_unit_test(test_promise_numpy_pickles),
        cmocka_unit_test(test_trailing_payload),
        cmocka_unit_test(test_concatenated_stream_walk),
        cmocka_unit_test(test_findings_limit),
        cmocka_unit_test(test_uncalled_global),
        cmocka_unit_test(test_global_name_escaping),
        cmocka_unit_test(test_global_severity_table),
        cmocka_unit_test(test_out_of_band_buffers),
        cmocka_unit_test(test_dag_keys_bounded),
        cmocka_unit_test(test_sparse_memo_indices),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
