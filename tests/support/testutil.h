/* Small helpers shared by the cmocka tests. */
#ifndef NPG_TESTUTIL_H
#define NPG_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "npguard.h"

/* Path of a file under tests/data (static buffer; valid until the next call). */
const char *tu_data_path(const char *rel);
/* Whole file in a malloc'ed buffer (caller frees); aborts the test on failure. */
uint8_t *tu_read_file(const char *path, size_t *len);
/* Load with default limits; *doc may be NULL on error. err is poisoned (memset 0xff) first. */
int tu_load(const uint8_t *buf, size_t len, unsigned flags, npg_doc **doc, npg_error *err);
/* Same with caller limits. */
int tu_load_limits(const uint8_t *buf, size_t len, unsigned flags, const npg_limits *lim,
                   npg_doc **doc, npg_error *err);

/* An allocator that fails: `left` allocations succeed, then every one fails (left < 0: none
 * fails); `live` counts blocks not yet freed, `failed` whether one failed. */
typedef struct tu_failing {
    long left;
    long live;
    bool failed;
} tu_failing;
npg_alloc tu_failing_alloc(tu_failing *f);

#endif
