/* What older NumPy releases wrote differently from today's np.save, and why each is accepted.
 * Every form here was written by a real NumPy release (see numpy/lib/format.py's history) and
 * is read the same way by every current NumPy, so it can be neither ambiguous nor a hiding
 * place; scan mode still says what differs (NPG106, info), once per kind. */
#include <string.h>

#include "../pickle/doc.h"
#include "npy.h"

void npg__npy_legacy_mark(npg_npy_legacy *l, int kind, uint64_t off)
{
    if (!l || kind < 0 || kind >= NPG_NPY_OLD_KINDS) return;
    unsigned bit = 1u << kind;
    if (l->seen & bit) return;
    l->seen |= bit;
    l->at[kind] = off;
}

const char *npg__npy_legacy_text(int kind)
{
    switch (kind) {
    case NPG_NPY_OLD_ALIGN16:
        return "data aligned to 16 bytes as NumPy < 1.14 wrote it (np.save aligns to 64 today)";
    case NPG_NPY_OLD_ALIGN16_V2:
        /* NumPy 1.9-1.13 padded magic + 2 + header to 16 bytes in 2.0 files too, whose length
         * field is 4 bytes (numpy#8085, fixed by the 64-byte alignment of 1.14) */
        return "2.0 header padded as NumPy 1.9-1.13 wrote it, counting its 4-byte length as 2: the data "
               "starts 2 bytes past a multiple of 16 (np.save aligns to 64 today)";
    case NPG_NPY_OLD_LONG:
        return "shape dimension written as a Python 2 long (like 2L), as NumPy < 1.9.1 wrote it where C "
               "long is 32 bits (64-bit Windows); NumPy strips the L from 1.0/2.0 headers";
    case NPG_NPY_OLD_LONG_FILTERED:
        return "space before ',' or ')' in a shape (like 2 ,), left where NumPy 1.9.1-1.16 under Python 2 "
               "removed a long's L";
    case NPG_NPY_OLD_OBJECT_SIZE:
        return "object type string with a pointer size ('|O8', '|O4'), as NumPy < 1.10 wrote it "
               "(today '|O')";
    case NPG_NPY_OLD_UNICODE_TITLE:
        return "field title written u'...', a Python 2 unicode object";
    default:
        return "form written by an older NumPy";
    }
}

int npg__npy_note_legacy(npg_doc *doc, size_t max_findings, const npg_npy_legacy *l)
{
    for (int k = 0; k < NPG_NPY_OLD_KINDS; k++) {
        if (!(l->seen & (1u << k))) continue;
        npg_finding f;
        memset(&f, 0, sizeof f);
        f.rule = NPG_RULE_LEGACY_FORMAT;
        f.severity = NPG_SEV_INFO;
        f.offset = l->at[k];
        f.opcode = -1;
        f.message = npg__npy_legacy_text(k);
        int rc = npg__doc_add_finding(doc, max_findings, &f);
        if (rc != NPG_OK) return rc;
    }
    return NPG_OK;
}
