/* Fuzz target: the pickle VM in decode and scan mode over the same input.
 *
 * Beyond "no crash", it checks what the library promises:
 *  - scan says ok (status NPG_OK, no finding above info) exactly when decode succeeds;
 *  - every error offset lies within the input, and no error is NPG_E_INTERNAL;
 *  - a decoded array's data length equals itemsize times the product of its shape, and its data
 *    pointer lies inside the input or in memory the document owns.
 * The first input byte chooses options; limits are tight so that runs stay fast. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "npguard.h"

#define FUZZ_ASSERT(c)                                                                      \
    do {                                                                                    \
        if (!(c)) {                                                                         \
            fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__, __LINE__, #c);       \
            abort();                                                                        \
        }                                                                                   \
    } while (0)

static void check_error(const npg_error *e, size_t len)
{
    FUZZ_ASSERT(e->code != NPG_E_INTERNAL);
    FUZZ_ASSERT(e->offset <= len);
    FUZZ_ASSERT(memchr(e->message, '\0', sizeof e->message) != NULL);
}

/* Walk the tree iteratively (bounded by a visit budget: shared references form DAGs). */
static void check_tree(const npg_value *root)
{
    enum { BUDGET = 100000 };
    const npg_value **stack = malloc(BUDGET * sizeof *stack);
    size_t top = 0, visits = 0;
    FUZZ_ASSERT(stack);
    stack[top++] = root;
    while (top && visits++ < BUDGET) {
        const npg_value *v = stack[--top];
        npg_kind k = npg_value_kind(v);
        FUZZ_ASSERT(k != NPG_OPAQUE); /* decode mode never yields placeholders */
        if (k == NPG_ARRAY) {
            const npg_dtype *dt = npg_array_dtype(v);
            uint64_t size = 1, len;
            const uint64_t *shape = npg_array_shape(v);
            for (size_t i = 0; i < npg_array_ndim(v); i++) size *= shape[i];
            FUZZ_ASSERT(size == npg_array_size(v));
            if (npg_dtype_has_object(dt)) {
                for (uint64_t i = 0; i < size && top < BUDGET; i++) {
                    const npg_value *o = npg_array_object(v, i);
                    FUZZ_ASSERT(o != NULL);
                    stack[top++] = o;
                }
            } else {
                const uint8_t *d = npg_array_data(v, &len, NULL);
                FUZZ_ASSERT(d != NULL);
                FUZZ_ASSERT(len == size * npg_dtype_itemsize(dt));
                if (len) { volatile uint8_t x = d[0] ^ d[len - 1]; (void)x; } /* in bounds (ASan) */
            }
        }
        size_t n = npg_value_len(v);
        for (size_t i = 0; i < n && top + 2 < BUDGET; i++) {
            if (k == NPG_DICT || k == NPG_ORDERED_DICT) {
                stack[top++] = npg_value_dict_key(v, i);
                stack[top++] = npg_value_dict_val(v, i);
            } else {
                stack[top++] = npg_value_item(v, i);
            }
        }
    }
    free(stack);
}

static int discard(void *ud, const void *t, size_t n) { (void)ud; (void)t; (void)n; return 0; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    unsigned opt = data[0];
    data++, size--;
    npg_ctx *ctx = npg_ctx_new(NULL);
    if (!ctx) return 0;
    npg_limits lim;
    npg_limits_init(&lim);
    lim.max_ops = 200000;
    lim.max_alloc = 64u << 20;
    lim.max_memo = 4096;
    lim.max_depth = 200;
    lim.max_container_len = 100000;
    lim.max_findings = 64;
    npg_ctx_set_limits(ctx, &lim);
    static const uint8_t buf0[] = {1, 2, 3, 4, 5, 6, 7, 8};
    npg_buffer bufs[2] = {{buf0, 8, 0}, {buf0, 4, 1}};
    unsigned extra = ((opt & 1) ? NPG_PY2_BYTES : 0) | ((opt & 2) ? NPG_ALLOW_TRAILING : 0);
    npg_pickle_opts dopt = {extra, (opt & 4) ? bufs : NULL, (opt & 4) ? 2 : 0};
    npg_pickle_opts sopt = dopt;
    sopt.flags |= NPG_SCAN;

    npg_doc *doc = NULL, *sdoc = NULL;
    npg_error err, serr;
    int rc = npg_pickle_load(ctx, data, size, &dopt, &doc, &err);
    if (rc == NPG_OK) {
        FUZZ_ASSERT(doc && npg_doc_root(doc));
        check_tree(npg_doc_root(doc));
        npg_value_print(npg_doc_root(doc), discard, NULL, 4);
    } else {
        FUZZ_ASSERT(doc == NULL);
        check_error(&err, size);
    }
    int src = npg_pickle_load(ctx, data, size, &sopt, &sdoc, &serr);
    if (sdoc) {
        size_t n, total;
        const npg_finding *f = npg_doc_findings(sdoc, &n, &total);
        int refused = 0;
        for (size_t i = 0; i < n; i++) {
            FUZZ_ASSERT(f[i].offset <= size);
            refused |= f[i].severity > NPG_SEV_INFO;
        }
        FUZZ_ASSERT(total >= n);
        if (src != NPG_OK) check_error(&serr, size);
        /* the promise: scan ok <=> decode ok (resource limits aside: both hit the same ones) */
        if (src != NPG_E_NOMEM && rc != NPG_E_NOMEM)
            FUZZ_ASSERT((src == NPG_OK && !refused) == (rc == NPG_OK));
        npg_doc_free(sdoc);
    }
    npg_doc_free(doc);
    npg_ctx_free(ctx);
    return 0;
}
