/* The memo: a dense array for the indices real picklers use (0, 1, 2, ... as objects are
 * memoised), and a keyed hash table for anything sparse. Memory follows the number of entries,
 * never the index value: CPython's C unpickler sizes its memo array by the index, so one 9-byte
 * pickle can ask it for 64 GiB. The dense part grows only while the indices stay within twice
 * the entry count; the sparse part hashes with a per-document secret, so a file cannot choose
 * indices that all collide (a 400 KB pickle of crafted indices otherwise costs seconds). */
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "../common/utf8.h"
#include "vm.h"

enum { SPARSE_MIN = 64, DENSE_SLACK = 64 };

/* Unpredictable per document; it only changes speed, never results. */
static uint64_t new_seed(const void *doc)
{
    uint64_t seed = 0;
    if (getrandom(&seed, sizeof seed, GRND_NONBLOCK) != (ssize_t)sizeof seed) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        seed = (uint64_t)(uintptr_t)doc ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32);
    }
    return seed | 1;
}

static size_t slot_of(const npg_memo *m, uint32_t key)
{
    return (size_t)npg__mix64(key ^ m->seed) & (m->cap - 1);
}

static npg_value **sparse_find(const npg_memo *m, uint32_t key)
{
    if (!m->cap) return NULL;
    for (size_t s = slot_of(m, key);; s = (s + 1) & (m->cap - 1)) {
        if (!m->vals[s]) return NULL;
        if (m->keys[s] == key) return &m->vals[s];
    }
}

static void sparse_insert(npg_memo *m, uint32_t key, npg_value *v)
{
    size_t s = slot_of(m, key);
    while (m->vals[s]) s = (s + 1) & (m->cap - 1);
    m->keys[s] = key;
    m->vals[s] = v;
    m->nsparse++;
}

/* Rebuild the sparse table with room for `need` entries, moving keys that now fall inside the
 * dense array there. */
static int sparse_rebuild(npg_vm *vm, size_t need)
{
    npg_memo *m = &vm->memo;
    npg_mem *mem = &vm->doc->mem;
    size_t cap = SPARSE_MIN;
    while (cap < 2 * need) cap *= 2;
    uint32_t *keys = npg__mem_alloc(mem, cap * sizeof *keys);
    npg_value **vals = keys ? npg__mem_alloc(mem, cap * sizeof *vals) : NULL;
    if (!vals) {
        npg__mem_free(mem, keys, cap * sizeof *keys);
        return npg__fail_alloc(vm);
    }
    memset(vals, 0, cap * sizeof *vals);
    npg_memo old = *m;
    if (!m->seed) m->seed = new_seed(vm->doc);
    m->keys = keys;
    m->vals = vals;
    m->cap = cap;
    m->nsparse = 0;
    for (size_t i = 0; i < old.cap; i++) {
        if (!old.vals[i]) continue;
        if (old.keys[i] < m->dense_cap) m->dense[old.keys[i]] = old.vals[i];
        else sparse_insert(m, old.keys[i], old.vals[i]);
    }
    npg__mem_free(mem, old.keys, old.cap * sizeof *old.keys);
    npg__mem_free(mem, old.vals, old.cap * sizeof *old.vals);
    return NPG_OK;
}

/* Grow the dense array to hold `key`, if that costs at most about twice the entries stored. */
static int dense_try_grow(npg_vm *vm, uint32_t key, bool *grown)
{
    npg_memo *m = &vm->memo;
    *grown = false;
    if (key >= 2 * (m->count + 1) + DENSE_SLACK) return NPG_OK; /* sparse: stay in the hash */
    size_t cap = m->dense_cap ? m->dense_cap : DENSE_SLACK;
    while (cap <= key) cap *= 2;
    npg_value **d = npg__mem_realloc(&vm->doc->mem, m->dense, m->dense_cap * sizeof *d, cap * sizeof *d);
    if (!d) return npg__fail_alloc(vm);
    memset(d + m->dense_cap, 0, (cap - m->dense_cap) * sizeof *d);
    m->dense = d;
    m->dense_cap = cap;
    *grown = true;
    /* sparse entries now inside the dense range move over */
    return m->nsparse ? sparse_rebuild(vm, m->nsparse) : NPG_OK;
}

npg_value *npg__memo_get(const npg_memo *m, uint64_t key)
{
    if (key > UINT32_MAX) return NULL;
    if (key < m->dense_cap) return m->dense[key];
    npg_value **p = sparse_find(m, (uint32_t)key);
    return p ? *p : NULL;
}

int npg__memo_put(npg_vm *vm, uint64_t key, npg_value *v)
{
    npg_memo *m = &vm->memo;
    if (key >= vm->lim->max_memo) {
        /* the memo's memory follows its entries, so a scan can afford any 32-bit index
         * (CPython sizes its array by the index: it runs out of memory near 2^32) */
        if (!vm->scan || key > UINT32_MAX)
            return npg__fail(vm, NPG_E_LIMIT_MEMO, "memo index %llu is beyond the limit of %zu",
                             (unsigned long long)key, vm->lim->max_memo);
        int rc = npg__strict(vm, NPG_E_LIMIT_MEMO, "memo index %llu is beyond the limit of %zu",
                             (unsigned long long)key, vm->lim->max_memo);
        if (rc) return rc;
    }
    uint32_t k = (uint32_t)key;
    npg_value **slot = k < m->dense_cap ? &m->dense[k] : sparse_find(m, k);
    if (slot && *slot) { /* re-PUT overwrites, as in CPython */
        *slot = v;
        return NPG_OK;
    }
    if (m->count + 1 > vm->lim->max_memo)
        return npg__fail(vm, NPG_E_LIMIT_MEMO, "more than %zu memo entries", vm->lim->max_memo);
    bool grown = false;
    int rc = k < m->dense_cap ? NPG_OK : dense_try_grow(vm, k, &grown);
    if (rc) return rc;
    if (k < m->dense_cap) {
        m->dense[k] = v;
    } else {
        if (2 * (m->nsparse + 1) > m->cap && (rc = sparse_rebuild(vm, m->nsparse + 1))) return rc;
        sparse_insert(m, k, v);
    }
    m->count++;
    return NPG_OK;
}

void npg__memo_release(npg_vm *vm)
{
    npg_memo *m = &vm->memo;
    npg_mem *mem = &vm->doc->mem;
    npg__mem_free(mem, m->dense, m->dense_cap * sizeof *m->dense);
    npg__mem_free(mem, m->keys, m->cap * sizeof *m->keys);
    npg__mem_free(mem, m->vals, m->cap * sizeof *m->vals);
    memset(m, 0, sizeof *m);
}
