/* Does a byte string form a complete opcode stream? The audit calls bytes "not a pickle" only
 * when CPython would import nothing from them and they are not one: every byte at an opcode's
 * position a known opcode, every argument all there, and a STOP ending exactly at the end (after
 * each STOP the next pickle may start). So "." and "N)R." are broken pickles, "Name,Age\n" text.
 * Only the structure is read (lengths, line ends); argument contents are not judged. */
#include <string.h>

#include "../common/cursor.h"
#include "opcodes.h"
#include "doc.h"

/* Skip one opcode's argument; false when it is not all there. */
static bool skip_arg(npg_cur *c, const npg_opinfo *info, uint8_t op)
{
    const uint8_t *p;
    size_t n;
    uint64_t len;
    switch ((npg_arg_kind)info->arg) {
    case ARG_NONE: return true;
    case ARG_UINT:
    case ARG_SINT:
    case ARG_FIXED: return npg__cur_bytes(c, info->argsize, &p);
    case ARG_LINE: return npg__cur_line(c, &p, &n);
    case ARG_LINE2: return npg__cur_line(c, &p, &n) && npg__cur_line(c, &p, &n);
    case ARG_ULEN:
    case ARG_SLEN:
        if (!npg__cur_le(c, info->argsize, &len)) return false;
        /* CPython reads BINSTRING's length unsigned, LONG4's signed (and refuses a negative one) */
        if (info->arg == ARG_SLEN && op != OP_BINSTRING && (len >> (8 * info->argsize - 1) & 1)) return false;
        return npg__cur_bytes(c, len, &p);
    }
    return false;
}

bool npg__pickle_complete(const uint8_t *buf, size_t len)
{
    npg_cur c;
    npg__cur_init(&c, buf, len);
    while (npg__cur_left(&c) > 0) {
        uint8_t op;
        npg__cur_u8(&c, &op);
        const npg_opinfo *info = &npg__opinfo[op];
        if (!info->name || !skip_arg(&c, info, op)) return false;
        if (op == OP_STOP && npg__cur_left(&c) == 0) return true;
    }
    return false;
}
