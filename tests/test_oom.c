/* Allocation failures and the allocation budget.
 *
 * 1. Failure sweep: a caller allocator that fails the Nth call through malloc/realloc (counted
 *    from the start of npg_pickle_load); for N = 0, 1, 2, ... until a load runs without hitting
 *    the failure. Each load must end cleanly with NPG_E_NOMEM (or NPG_OK if the library could do
 *    without that block), never another code, never a crash; decode mode returns no document;
 *    scan mode returns one whenever the document itself could be allocated, and it must be
 *    freeable. The allocator tracks every live block with its size: free() must get the size the
 *    block was allocated with, realloc() the current size, and after npg_doc_free() and
 *    npg_ctx_free() no byte may be live.
 * 2. Budget sweep: limits.max_alloc = K. The load fails with exactly NPG_E_LIMIT_ALLOC when K is
 *    below the document's peak (npg_doc_alloc_bytes) and succeeds from the peak on.
 *
 * Inputs: a dict of NumPy values (arrays, struct dtype, scalar, masked array, sets, complex,
 * bytes), a protocol-0 float array (latin-1 text that must be copied), a structured dtype, a big
 * dict (hash index, memo growth, SETITEMS batches), recursive containers, and hostile pickles in
 * scan mode (findings and placeholders are allocated too, also on the error path). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "npguard.h"
#include "testutil.h"

/* ------------------------------------------------------------------ the tracking allocator */

enum { MAX_LIVE = 1 << 14 };

typedef struct block {
    void *p;
    size_t n;
} block;

typedef struct tracker {
    size_t calls;      /* malloc + realloc calls since the last arm() */
    size_t fail_at;    /* the call index that fails; SIZE_MAX: none */
    int failed;        /* a failure was injected */
    uint64_t live;     /* bytes currently allocated */
    size_t nlive;
    block blocks[MAX_LIVE];
    int errors;        /* size mismatches, unknown pointers */
} tracker;

static tracker T;

static void arm(size_t fail_at)
{
    T.calls = 0;
    T.fail_at = fail_at;
    T.failed = 0;
}

static int inject(void)
{
    size_t i = T.calls++;
    if (i == T.fail_at) {
        T.failed = 1;
        return 1;
    }
    return 0;
}

static block *find(void *p)
{
    for (size_t i = T.nlive; i-- > 0;)
        if (T.blocks[i].p == p) return &T.blocks[i];
    return NULL;
}

static void *track_new(size_t n)
{
    if (T.nlive == MAX_LIVE) return NULL;
    void *p = malloc(n ? n : 1);
    if (!p) return NULL;
    T.blocks[T.nlive++] = (block){p, n};
    T.live += n;
    return p;
}

static void *t_malloc(void *ud, size_t n)
{
    (void)ud;
    return inject() ? NULL : track_new(n);
}

static void *t_realloc(void *ud, void *p, size_t old_n, size_t n)
{
    (void)ud;
    block *b = p ? find(p) : NULL;
    if (p && (!b || b->n != old_n)) {
        print_message("  realloc of %p with old size %zu, allocated with %zu\n", p, old_n, b ? b->n : 0);
        T.errors++;
    }
    if (inject()) return NULL;
    if (!p) return track_new(n);
    void *q = realloc(p, n ? n : 1);
    if (!q) return NULL;
    if (b) {
        T.live = T.live - b->n + n;
        b->p = q;
        b->n = n;
    }
    return q;
}

static void t_free(void *ud, void *p, size_t n)
{
    (void)ud;
    if (!p) return;
    block *b = find(p);
    if (!b) {
        print_message("  free of unknown pointer %p\n", p);
        T.errors++;
        return;
    }
    if (b->n != n) {
        print_message("  free of %p with size %zu, allocated with %zu\n", p, n, b->n);
        T.errors++;
    }
    T.live -= b->n;
    free(p);
    *b = T.blocks[--T.nlive];
}

static const npg_alloc hooks = {t_malloc, t_realloc, t_free, NULL};

/* ------------------------------------------------------------------ inputs */

typedef struct input {
    const char *rel;
    unsigned flags;
    int expect; /* status of the load with no failure injected */
} input;

static const input inputs[] = {
    {"hostile/valid_np_dict_p2.pkl", 0, NPG_OK},
    {"hostile/valid_np_dict_p0.pkl", 0, NPG_OK},
    {"hostile/valid_np_dict_p5.pkl", 0, NPG_OK},
    {"hostile/valid_f8_300_p0.pkl", 0, NPG_OK},
    {"hostile/valid_dtype_struct_p2.pkl", 0, NPG_OK},
    {"numpy-pickles/struct_p4.pkl", 0, NPG_OK},
    {"hostile/valid_big_dict_p2.pkl", 0, NPG_OK},
    {"hostile/valid_big_dict_p4.pkl", 0, NPG_OK},
    {"hostile/valid_memo_list_p4.pkl", 0, NPG_OK},
    {"hostile/valid_recursive_p2.pkl", 0, NPG_OK},
    {"numpy-pickles/recursive_list_p0.pkl", 0, NPG_OK},
    {"numpy-pickles/obj_selfref_p2.pkl", 0, NPG_OK},
    {"hostile/valid_nested_list_p2.pkl", 0, NPG_OK},
    /* hostile ones: scan mode parses them to STOP (findings, placeholders) or to an error */
    {"hostile/getattr_import_chain_p4.pkl", NPG_SCAN, NPG_OK},
    {"hostile/stack_global_computed_name_p4.pkl", NPG_SCAN, NPG_OK},
    {"hostile/array_payload_truncated_p2.pkl", NPG_SCAN, NPG_E_TRUNCATED},
    {"hostile/reconstruct_object_p2.pkl", NPG_SCAN, NPG_OK},
    {"hostile/build_on_refused_call_p2.pkl", NPG_SCAN, NPG_OK},
    {"hostile/getattr_import_chain_p4.pkl", 0, NPG_E_GLOBAL},
    {"numpy-pickles/reject_objlist_short_p2.pkl", 0, NPG_E_ARRAY},
};

/* ------------------------------------------------------------------ one load under the tracker */

typedef struct outcome {
    int rc;
    int failed; /* the injected failure happened */
    int doc_returned;
    uint64_t peak;
    uint64_t ops;
} outcome;

static outcome load_tracked(const uint8_t *buf, size_t len, unsigned flags, const npg_limits *lim,
                            size_t fail_at, const char *label)
{
    outcome o = {0, 0, 0, 0, 0};
    arm(SIZE_MAX);
    npg_ctx *ctx = npg_ctx_new(&hooks);
    assert_non_null(ctx);
    if (lim) assert_int_equal(npg_ctx_set_limits(ctx, lim), NPG_OK);
    uint64_t ctx_bytes = T.live;
    arm(fail_at);
    npg_pickle_opts opts = {flags, NULL, 0};
    npg_doc *doc = (npg_doc *)(uintptr_t)1;
    npg_error err;
    memset(&err, 0x5a, sizeof err);
    o.rc = npg_pickle_load(ctx, buf, len, &opts, &doc, &err);
    o.failed = T.failed;
    arm(SIZE_MAX); /* never fail inside npg_doc_free or npg_ctx_free */
    if (doc == (npg_doc *)(uintptr_t)1) fail_msg("%s: *out was not set", label);
    if (o.rc != NPG_OK && err.code != o.rc) fail_msg("%s: err.code %d, returned %d", label, err.code, o.rc);
    if (o.rc == NPG_E_NOMEM && strcmp(err.message, "out of memory") != 0)
        fail_msg("%s: NOMEM message '%s'", label, err.message);
    if (doc) {
        o.doc_returned = 1;
        npg_error st;
        if (npg_doc_status(doc, &st) != o.rc) fail_msg("%s: npg_doc_status differs from the return value", label);
        if (o.rc == NPG_OK && !npg_doc_root(doc)) fail_msg("%s: NPG_OK without a root", label);
        /* a scan document is readable after a failure */
        size_t n, total;
        const npg_finding *f = npg_doc_findings(doc, &n, &total);
        for (size_t i = 0; i < n; i++)
            if (!f[i].message) fail_msg("%s: finding without a message", label);
        o.peak = npg_doc_alloc_bytes(doc);
        o.ops = npg_doc_ops(doc);
        npg_doc_free(doc);
    }
    if (T.live != ctx_bytes)
        fail_msg("%s: %llu bytes still live after npg_doc_free (rc %s)", label,
                 (unsigned long long)(T.live - ctx_bytes), npg_status_name(o.rc));
    npg_ctx_free(ctx);
    if (T.live != 0 || T.nlive != 0) fail_msg("%s: %llu bytes live after npg_ctx_free", label, (unsigned long long)T.live);
    if (T.errors) fail_msg("%s: %d allocator misuse(s)", label, T.errors);
    return o;
}

/* ------------------------------------------------------------------ failure sweep */

static void failure_sweep(const input *in, unsigned flags)
{
    size_t len;
    uint8_t *buf = tu_read_file(tu_data_path(in->rel), &len);
    char label[400];
    size_t n, recovered = 0;
    int scan = (flags & NPG_SCAN) != 0;
    for (n = 0;; n++) {
        snprintf(label, sizeof label, "%s (%s, fail call #%zu)", in->rel, scan ? "scan" : "decode", n);
        outcome o = load_tracked(buf, len, flags, NULL, n, label);
        if (!o.failed) {
            /* the load made fewer than n+1 calls: the unperturbed result */
            if (o.rc != in->expect)
                fail_msg("%s: %s without failure, expected %s", label, npg_status_name(o.rc), npg_status_name(in->expect));
            break;
        }
        if (o.rc == in->expect && o.rc != NPG_E_NOMEM) {
            recovered++; /* the library did without that block */
        } else if (o.rc != NPG_E_NOMEM) {
            fail_msg("%s: returned %s after an allocation failure", label, npg_status_name(o.rc));
        }
        if (o.rc != NPG_OK && !scan && o.doc_returned) fail_msg("%s: decode error with a document", label);
        /* scan mode hands back a document whenever the document itself exists (call #0 is it) */
        if (scan && n > 0 && !o.doc_returned) fail_msg("%s: scan returned no document", label);
        if (n > 100000) fail_msg("%s: too many allocations", label);
    }
    print_message("  %-44s %-6s %3zu allocation calls%s\n", in->rel, scan ? "scan" : "decode", n,
                  recovered ? " (some failures recovered)" : "");
    free(buf);
}

static void test_alloc_failure_decode(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++)
        if (!(inputs[i].flags & NPG_SCAN)) failure_sweep(&inputs[i], 0);
}

static void test_alloc_failure_scan(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        input in = inputs[i];
        if (!(in.flags & NPG_SCAN)) {
            /* valid files: scan gives the same status; refused files (a global, an array of the
             * wrong shape: CPython goes on past both) reach STOP in scan mode */
            if (in.expect == NPG_E_GLOBAL || in.expect == NPG_E_ARRAY) in.expect = NPG_OK;
        }
        failure_sweep(&in, NPG_SCAN);
    }
}

/* Sliding chunk boundary. The library takes memory in 64 KiB arena chunks, so a plain sweep only
 * fails the few calls that start a chunk. Here each input is preceded by protocol-0 UNICODE strings
 * (each copied into the arena, then POPped) whose total size varies in 16-byte steps: the second
 * chunk is then requested, and failed, at a different object of the input each time, so the
 * failure paths of the allocation sites inside the VM are taken. */
static uint8_t *with_fill(const uint8_t *file, size_t len, size_t fill_chars, size_t *out_len)
{
    size_t head = (len >= 2 && file[0] == 0x80) ? 2 : 0; /* keep PROTO first */
    size_t pieces = fill_chars / 6000 + 1;
    uint8_t *out = malloc(len + fill_chars + 3 * pieces + 16);
    assert_non_null(out);
    size_t k = 0;
    memcpy(out, file, head);
    k = head;
    for (size_t left = fill_chars; left > 0;) {
        size_t m = left > 6000 ? 6000 : left;
        out[k++] = 'V';
        memset(out + k, 'a', m);
        k += m;
        out[k++] = '\n';
        out[k++] = '0';
        left -= m;
    }
    memcpy(out + k, file + head, len - head);
    *out_len = k + len - head;
    return out;
}

static void sliding_sweep(const char *rel, unsigned flags, int expect)
{
    size_t len;
    uint8_t *file = tu_read_file(tu_data_path(rel), &len);
    char label[400];
    size_t loads = 0, variants = 0;
    int scan = (flags & NPG_SCAN) != 0;
    /* 2 bytes of arena per character, 16-byte steps: from 30000 to 32700 characters the fill
     * ends about 5.5 KiB to 0.1 KiB before the first chunk is full */
    for (size_t fill = 30000; fill < 32700; fill += 8, variants++) {
        size_t n;
        uint8_t *buf = with_fill(file, len, fill, &n);
        for (size_t call = 0;; call++) {
            snprintf(label, sizeof label, "%s (%s, fill %zu, fail call #%zu)", rel, scan ? "scan" : "decode", fill, call);
            outcome o = load_tracked(buf, n, flags, NULL, call, label);
            loads++;
            if (!o.failed) {
                if (o.rc != expect)
                    fail_msg("%s: %s without failure, expected %s", label, npg_status_name(o.rc), npg_status_name(expect));
                break;
            }
            if (o.rc != NPG_E_NOMEM && o.rc != expect)
                fail_msg("%s: returned %s after an allocation failure", label, npg_status_name(o.rc));
            if (scan && call > 0 && !o.doc_returned) fail_msg("%s: scan returned no document", label);
            if (!scan && o.rc != NPG_OK && o.doc_returned) fail_msg("%s: decode error with a document", label);
        }
        free(buf);
    }
    print_message("  %-44s %-6s %zu fills, %zu loads\n", rel, scan ? "scan" : "decode", variants, loads);
    free(file);
}

static void test_alloc_failure_sliding(void **state)
{
    (void)state;
    sliding_sweep("hostile/valid_np_dict_p2.pkl", 0, NPG_OK);
    sliding_sweep("hostile/valid_np_dict_p4.pkl", NPG_SCAN, NPG_OK);
    sliding_sweep("hostile/valid_dtype_struct_p0.pkl", 0, NPG_OK);
    sliding_sweep("hostile/valid_memo_list_p4.pkl", 0, NPG_OK);
    sliding_sweep("hostile/getattr_import_chain_p4.pkl", NPG_SCAN, NPG_OK);
    sliding_sweep("hostile/stack_global_computed_name_p4.pkl", NPG_SCAN, NPG_OK);
    sliding_sweep("hostile/array_payload_badop_p2.pkl", NPG_SCAN, NPG_E_OPCODE);
    sliding_sweep("hostile/setitems_on_refused_p2.pkl", NPG_SCAN, NPG_OK);
}

/* npg_ctx_new with a failing allocator: NULL, nothing leaked. */
static void test_ctx_new_failure(void **state)
{
    (void)state;
    arm(0);
    assert_null(npg_ctx_new(&hooks));
    assert_int_equal(T.live, 0);
    arm(SIZE_MAX);
    npg_ctx *ctx = npg_ctx_new(&hooks);
    assert_non_null(ctx);
    npg_ctx_free(ctx);
    assert_int_equal(T.live, 0);
    /* incomplete hooks are refused */
    npg_alloc partial = {t_malloc, NULL, t_free, NULL};
    assert_null(npg_ctx_new(&partial));
}

/* ------------------------------------------------------------------ budget sweep */

static void budget_sweep(const input *in, unsigned flags)
{
    size_t len;
    uint8_t *buf = tu_read_file(tu_data_path(in->rel), &len);
    char label[400];
    int scan = (flags & NPG_SCAN) != 0;
    int expect = (in->expect == NPG_E_GLOBAL || in->expect == NPG_E_ARRAY) && scan ? NPG_OK : in->expect;
    npg_limits lim;
    npg_limits_init(&lim);

    snprintf(label, sizeof label, "%s (%s, default budget)", in->rel, scan ? "scan" : "decode");
    outcome base = load_tracked(buf, len, flags, &lim, SIZE_MAX, label);
    if (base.rc != expect) fail_msg("%s: %s, expected %s", label, npg_status_name(base.rc), npg_status_name(expect));
    if (!base.doc_returned) { /* decode error: no peak to read; nothing more to sweep */
        free(buf);
        return;
    }
    uint64_t peak = base.peak;
    assert_true(peak > 0);
    /* about 300 budgets from 1 up, then every budget from peak - 2 to peak + 1 */
    uint64_t step = peak / 300 ? peak / 300 : 1;
    size_t runs = 0;
    for (uint64_t k = 1; k <= peak + 1; k = (k + step < peak - 2 || peak < 3) ? k + step : (k < peak - 2 ? peak - 2 : k + 1)) {
        lim.max_alloc = k;
        snprintf(label, sizeof label, "%s (%s, max_alloc %llu, peak %llu)", in->rel, scan ? "scan" : "decode",
                 (unsigned long long)k, (unsigned long long)peak);
        outcome o = load_tracked(buf, len, flags, &lim, SIZE_MAX, label);
        runs++;
        if (k < peak) {
            if (o.rc != NPG_E_LIMIT_ALLOC)
                fail_msg("%s: %s, expected NPG_E_LIMIT_ALLOC", label, npg_status_name(o.rc));
            if (scan && !o.doc_returned) fail_msg("%s: scan returned no document", label);
            if (o.doc_returned && o.peak > k)
                fail_msg("%s: peak %llu above the budget", label, (unsigned long long)o.peak);
        } else if (o.rc != expect) {
            fail_msg("%s: %s at or above the peak, expected %s", label, npg_status_name(o.rc), npg_status_name(expect));
        }
    }
    print_message("  %-44s %-6s peak %8llu bytes, %zu budgets\n", in->rel, scan ? "scan" : "decode",
                  (unsigned long long)peak, runs);
    free(buf);
}

static void test_alloc_budget(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        budget_sweep(&inputs[i], inputs[i].flags);
        if (!(inputs[i].flags & NPG_SCAN)) budget_sweep(&inputs[i], NPG_SCAN);
    }
}

/* The budget also holds for a tiny limit on a hostile file in scan mode: the error document
 * (with whatever findings fitted) is returned and freeable. */
static void test_tiny_budget_scan(void **state)
{
    (void)state;
    size_t len;
    uint8_t *buf = tu_read_file(tu_data_path("hostile/getattr_import_chain_p2.pkl"), &len);
    npg_limits lim;
    npg_limits_init(&lim);
    for (uint64_t k = 1; k < 64; k++) {
        lim.max_alloc = k;
        outcome o = load_tracked(buf, len, NPG_SCAN, &lim, SIZE_MAX, "tiny budget");
        assert_int_equal(o.rc, NPG_E_LIMIT_ALLOC);
        assert_true(o.doc_returned);
    }
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ctx_new_failure),
        cmocka_unit_test(test_alloc_failure_decode),
        cmocka_unit_test(test_alloc_failure_scan),
        cmocka_unit_test(test_alloc_failure_sliding),
        cmocka_unit_test(test_alloc_budget),
        cmocka_unit_test(test_tiny_budget_scan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
