/* The test-data manifests written by tests/gen/make_npy.py: one record per line, a kind, then
 * tab-separated key=value fields. Shared by test_npy.c and test_npz.c. */
#ifndef NPG_TEST_MANIFEST_H
#define NPG_TEST_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

typedef struct kv {
    const char *key, *val;
} kv;

typedef struct record {
    char kind[8];
    kv f[24];
    size_t n;
} record;

typedef struct manifest {
    record *recs;
    size_t n;
    char *text; /* the file, cut into the strings the records point at */
} manifest;

/* Read path into m; 0 on success, -1 when it holds no record. Aborts the test on I/O errors. */
int tu_manifest_load(manifest *m, const char *path);
void tu_manifest_free(manifest *m);
/* A field's value, or NULL; tu_need fails the test when it is missing. */
const char *tu_get(const record *r, const char *key);
const char *tu_need(const record *r, const char *key);
uint64_t tu_num(const record *r, const char *key);

#endif
