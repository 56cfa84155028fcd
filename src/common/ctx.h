/* The context: allocator hooks and limits, read-only while documents are made from it. */
#ifndef NPG_CTX_H
#define NPG_CTX_H

#include "npguard.h"

struct npg_ctx {
    npg_alloc alloc;
    npg_limits limits;
};

#endif
