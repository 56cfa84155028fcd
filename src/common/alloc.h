/* Every byte the library allocates goes through npg__mem_*: the caller's hooks (or libc) behind a
 * per-document budget (limits.max_alloc). An arena on top serves the many small objects of a
 * decode and is released in one sweep, without walking the (attacker-shaped) value graph. */
#ifndef NPG_ALLOC_H
#define NPG_ALLOC_H

#include <stddef.h>
#include <stdint.h>

#include "npguard.h"

typedef struct npg_mem {
    npg_alloc hooks;  /* always complete (libc when the caller gave none) */
    uint64_t used;    /* bytes currently held */
    uint64_t peak;
    uint64_t limit;   /* max_alloc */
    int status;       /* NPG_E_NOMEM or NPG_E_LIMIT_ALLOC after a failure, else NPG_OK */
} npg_mem;

void npg__mem_init(npg_mem *m, const npg_alloc *hooks, uint64_t limit);
/* NULL on failure, with m->status telling why. size 0 is treated as 1. */
void *npg__mem_alloc(npg_mem *m, size_t size);
void *npg__mem_realloc(npg_mem *m, void *p, size_t old_size, size_t new_size);
void npg__mem_free(npg_mem *m, void *p, size_t size);
/* The libc hooks, for callers that pass NULL. */
const npg_alloc *npg__libc_alloc(void);

typedef struct npg_chunk npg_chunk;
typedef struct npg_arena {
    npg_mem *mem;
    npg_chunk *head;
    uint8_t *cur;
    size_t left;
} npg_arena;

void npg__arena_init(npg_arena *a, npg_mem *mem);
/* 8-byte aligned, uninitialised; NULL on failure (mem->status says why). */
void *npg__arena_alloc(npg_arena *a, size_t size);
void *npg__arena_zalloc(npg_arena *a, size_t size);
/* Grow a block obtained from this arena (old contents copied; the old block is abandoned). */
void *npg__arena_grow(npg_arena *a, void *p, size_t old_size, size_t new_size);
void npg__arena_release(npg_arena *a);

#endif
