/* The memo: open addressing keyed by the index the input chose. Memory grows with the number of
 * entries, never with the index value (CPython's C unpickler sizes its memo array by the index,
 * so one 9-byte pickle can ask it for 64 GiB). */
#include <string.h>

#include "vm.h"


static size_t memo_slot(const npg_memo *m, uint32_t key)
{
    uint64_t h = key * 0x9e3779b97f4a7c15ULL;
    return (size_t)(h >> 17) & (m->cap - 1);
}

static int memo_grow(npg_vm *vm)
{
    npg_memo *m = &vm->memo;
    size_t cap = m->cap ? m->cap * 2 : 64;
    npg_mem *mem = &vm->doc->mem;
    uint32_t *keys = npg__mem_alloc(mem, cap * sizeof *keys);
    npg_value **vals = keys ? npg__mem_alloc(mem, cap * sizeof *vals) : NULL;
    if (!vals) {
        npg__mem_free(mem, keys, cap * sizeof *keys);
        return npg__fail_alloc(vm);
    }
    memset(vals, 0, cap * sizeof *vals);
    npg_memo old = *m;
    m->keys = keys;
    m->vals = vals;
    m->cap = cap;
    for (size_t i = 0; i < old.cap; i++) {
        if (!old.vals[i]) continue;
        size_t s = memo_slot(m, old.keys[i]);
        while (m->vals[s]) s = (s + 1) & (cap - 1);
        m->keys[s] = old.keys[i];
        m->vals[s] = old.vals[i];
    }
    npg__mem_free(mem, old.keys, old.cap * sizeof *old.keys);
    npg__mem_free(mem, old.vals, old.cap * sizeof *old.vals);
    return NPG_OK;
}

npg_value *npg__memo_get(const npg_memo *m, uint64_t key)
{
    if (!m->cap || key > UINT32_MAX) return NULL;
    for (size_t s = memo_slot(m, (uint32_t)key);; s = (s + 1) & (m->cap - 1)) {
        if (!m->vals[s]) return NULL;
        if (m->keys[s] == key) return m->vals[s];
    }
}

int npg__memo_put(npg_vm *vm, uint64_t key, npg_value *v)
{
    npg_memo *m = &vm->memo;
    if (key >= vm->lim->max_memo)
        return npg__fail(vm, NPG_E_LIMIT_MEMO, "memo index %llu is beyond the limit of %zu",
                         (unsigned long long)key, vm->lim->max_memo);
    if (m->cap) {
        for (size_t s = memo_slot(m, (uint32_t)key); m->vals[s]; s = (s + 1) & (m->cap - 1))
            if (m->keys[s] == key) { /* re-PUT overwrites, as in CPython */
                m->vals[s] = v;
                return NPG_OK;
            }
    }
    if (m->count + 1 > vm->lim->max_memo)
        return npg__fail(vm, NPG_E_LIMIT_MEMO, "more than %zu memo entries", vm->lim->max_memo);
    if (2 * (m->count + 1) > m->cap) {
        int rc = memo_grow(vm);
        if (rc) return rc;
    }
    size_t s = memo_slot(m, (uint32_t)key);
    while (m->vals[s]) s = (s + 1) & (m->cap - 1);
    m->keys[s] = (uint32_t)key;
    m->vals[s] = v;
    m->count++;
    return NPG_OK;
}

