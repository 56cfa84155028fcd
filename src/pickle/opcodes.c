#include "opcodes.h"

#include "npguard.h"

const npg_opinfo npg__opinfo[256] = {
#define NPG_OP_ROW(name, byte, arg, argsize, proto, cls) [byte] = {#name, arg, argsize, proto, cls},
    NPG_PICKLE_OPS(NPG_OP_ROW)
#undef NPG_OP_ROW
};

int npg__opcode_count(void)
{
    int n = 0;
#define NPG_OP_COUNT(name, byte, arg, argsize, proto, cls) n++;
    NPG_PICKLE_OPS(NPG_OP_COUNT)
#undef NPG_OP_COUNT
    return n;
}

NPG_API const char *npg_opcode_name(int opcode)
{
    if (opcode < 0 || opcode > 255) return NULL;
    return npg__opinfo[opcode].name;
}
