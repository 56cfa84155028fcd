/* What every fuzz harness shares: tight limits, and the checks of what the library promises
 * (errors in range and never internal; value trees of allowed kinds whose arrays hold exactly
 * itemsize * prod(shape) bytes, borrowed data lying inside the input). A failed check aborts,
 * which every engine reports as a finding. */
#ifndef NPG_FUZZ_COMMON_H
#define NPG_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "npguard.h"

#define FUZZ_ASSERT(c)                                                                      \
    do {                                                                                    \
        if (!(c)) {                                                                         \
            fprintf(stderr, "%s:%d: assertion failed: %s\n", __FILE__, __LINE__, #c);       \
            abort();                                                                        \
        }                                                                                   \
    } while (0)

/* A context with limits small enough for fast runs (NULL when out of memory). */
npg_ctx *fuzz_ctx(void);

/* Start a run: take the option byte off the input and make a context. NULL (nothing to do)
 * when the input is empty or memory ran out. */
npg_ctx *fuzz_start(const uint8_t **data, size_t *size, unsigned *opt);

/* An error as the API promises it: a real code, an offset within the input (len), a
 * NUL-terminated printable message. */
void fuzz_check_error(const npg_error *e, uint64_t len);

/* A region that borrowed array data may point into (the input, out-of-band buffers). */
typedef struct fuzz_region {
    const uint8_t *p;
    size_t len;
} fuzz_region;

/* Walk a decoded value tree (bounded: shared references form DAGs) and check it. */
void fuzz_check_tree(const npg_value *root, const fuzz_region *regions, size_t nregions);

/* Two non-object arrays hold the same dtype, shape, order and bytes. */
int fuzz_arrays_equal(const npg_value *a, const npg_value *b);

/* A growable output buffer for the writers (an npg_write_fn), capped at cap bytes. */
typedef struct fuzz_sink {
    uint8_t *p;
    size_t len, size, cap;
} fuzz_sink;
int fuzz_sink_write(void *ud, const void *data, size_t len);
int fuzz_discard(void *ud, const void *data, size_t len);

/* Status codes that mean "a resource limit or memory ran out", not a verdict on the input. */
int fuzz_is_resource_error(int code);

#endif
