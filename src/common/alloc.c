#include "alloc.h"

#include <stdlib.h>
#include <string.h>

#include "checked.h"

static void *libc_malloc(void *ud, size_t n) { (void)ud; return malloc(n); }
static void *libc_realloc(void *ud, void *p, size_t o, size_t n) { (void)ud; (void)o; return realloc(p, n); }
static void libc_free(void *ud, void *p, size_t n) { (void)ud; (void)n; free(p); }

static const npg_alloc libc_hooks = {libc_malloc, libc_realloc, libc_free, NULL};

const npg_alloc *npg__libc_alloc(void) { return &libc_hooks; }

void npg__mem_init(npg_mem *m, const npg_alloc *hooks, uint64_t limit)
{
    m->hooks = hooks ? *hooks : libc_hooks;
    m->used = 0;
    m->peak = 0;
    m->limit = limit;
    m->status = NPG_OK;
}

/* Charge the budget before asking the allocator, so a refused request costs nothing. */
static int charge(npg_mem *m, size_t size)
{
    uint64_t after;
    if (!npg__add_u64(m->used, size, &after) || after > m->limit) {
        m->status = NPG_E_LIMIT_ALLOC;
        return 0;
    }
    m->used = after;
    if (after > m->peak) m->peak = after;
    return 1;
}

void *npg__mem_alloc(npg_mem *m, size_t size)
{
    if (size == 0) size = 1;
    if (!charge(m, size)) return NULL;
    void *p = m->hooks.malloc(m->hooks.ud, size);
    if (!p) {
        m->used -= size;
        m->status = NPG_E_NOMEM;
    }
    return p;
}

void *npg__mem_realloc(npg_mem *m, void *p, size_t old_size, size_t new_size)
{
    if (!p) return npg__mem_alloc(m, new_size);
    if (new_size == 0) new_size = 1;
    if (new_size > old_size && !charge(m, new_size - old_size)) return NULL;
    void *q = m->hooks.realloc(m->hooks.ud, p, old_size, new_size);
    if (!q) {
        if (new_size > old_size) m->used -= new_size - old_size;
        m->status = NPG_E_NOMEM;
        return NULL;
    }
    if (new_size < old_size) m->used -= old_size - new_size;
    return q;
}

void npg__mem_free(npg_mem *m, void *p, size_t size)
{
    if (!p) return;
    if (size == 0) size = 1;
    m->hooks.free(m->hooks.ud, p, size);
    m->used -= size;
}

/* ------------------------------------------------------------------ arena */

struct npg_chunk {
    npg_chunk *next;
    size_t size; /* whole allocation, header included */
};

enum { CHUNK_MIN = 64 * 1024, ALIGN = 8 }; /* 8: every type we store (pointers, uint64_t, double) */

#define HDR (((sizeof(npg_chunk) + ALIGN - 1) / ALIGN) * ALIGN)

void npg__arena_init(npg_arena *a, npg_mem *mem)
{
    a->mem = mem;
    a->head = NULL;
    a->cur = NULL;
    a->left = 0;
}

/* A request larger than a quarter chunk gets a chunk of its own, so the current chunk's free
 * tail is not thrown away for it. */
static void *new_chunk(npg_arena *a, size_t size)
{
    size_t want, total;
    int dedicated = size > CHUNK_MIN / 4;
    want = dedicated ? size : CHUNK_MIN - HDR;
    if (!npg__add_sz(want, HDR, &total)) {
        a->mem->status = NPG_E_LIMIT_ALLOC;
        return NULL;
    }
    npg_chunk *c = npg__mem_alloc(a->mem, total);
    if (!c) return NULL;
    c->size = total;
    uint8_t *base = (uint8_t *)c + HDR;
    if (dedicated && a->head) {
        /* keep the current bump chunk at the head */
        c->next = a->head->next;
        a->head->next = c;
        return base;
    }
    c->next = a->head;
    a->head = c;
    a->cur = base + size;
    a->left = want - size;
    return base;
}

void *npg__arena_alloc(npg_arena *a, size_t size)
{
    size_t rounded;
    if (size == 0) size = 1;
    if (!npg__add_sz(size, ALIGN - 1, &rounded)) {
        a->mem->status = NPG_E_LIMIT_ALLOC;
        return NULL;
    }
    rounded &= ~(size_t)(ALIGN - 1);
    if (rounded <= a->left) {
        void *p = a->cur;
        a->cur += rounded;
        a->left -= rounded;
        return p;
    }
    return new_chunk(a, rounded);
}

void *npg__arena_zalloc(npg_arena *a, size_t size)
{
    void *p = npg__arena_alloc(a, size);
    if (p) memset(p, 0, size);
    return p;
}

void *npg__arena_grow(npg_arena *a, void *p, size_t old_size, size_t new_size)
{
    void *q = npg__arena_alloc(a, new_size);
    if (q && p && old_size) memcpy(q, p, old_size < new_size ? old_size : new_size);
    return q;
}

void npg__arena_release(npg_arena *a)
{
    npg_chunk *c = a->head;
    while (c) {
        npg_chunk *next = c->next;
        npg__mem_free(a->mem, c, c->size);
        c = next;
    }
    a->head = NULL;
    a->cur = NULL;
    a->left = 0;
}
