/* Content sniffing of a zip member, and how a member that is not a .npy array is reported.
 *
 * NPG103 (non-npy-member) is info when the content is in a format npguard read completely
 * (a pickle, text, an empty member, or a .npy array under another name): the findings of that
 * scan say everything. It is low when nobody vouched for the bytes: content in no known format
 * (np.load hands such members out as raw bytes, torch.load reads them as tensor storage), a
 * nested archive (not opened), or a name ending in ".npy" whose content is not .npy (a name
 * that lies about its content). NPG103 never changes the verdict on its own. */
#include <string.h>

#include "../npy/npy.h"
#include "audit.h"

/* npg_npy_load in scan mode. When its grammar refused the header (no data offset: the VM never
 * ran) but numpy.load would still read it and unpickle the data (a non-canonical spelling, an
 * alignment no NumPy wrote...), the data is scanned as the pickle it would run: the verdict
 * stays invalid for the header, and becomes unsafe if the pickle imports what it must not. */
void npg__aud_npy(npg_aud *x, const uint8_t *p, size_t n, const char *member)
{
    npg_doc *doc = NULL;
    npg_error err;
    unsigned flags = NPG_SCAN | (x->flags & (NPG_PY2_BYTES | NPG_NPY_CHECK_VALUES));
    int rc = npg_npy_load(x->ctx, p, n, flags, &doc, &err);
    npg__aud_add_doc(x, doc, rc, &err, 0, member);
    bool header_refused = npg_doc_data_offset(doc) == 0;
    npg_doc_free(doc);
    uint64_t off;
    if (header_refused && npg__npy_lenient_object(p, n, x->lim, &off))
        npg__aud_pickles_at(x, p + off, n - (size_t)off, off, member);
}

npg_format npg__aud_content(npg_aud *x, const uint8_t *p, size_t n, const char *member)
{
    if (n == 0) return NPG_FMT_EMPTY;
    if (npg__aud_is_npy(p, n)) {
        npg__aud_npy(x, p, n, member);
        return NPG_FMT_NPY;
    }
    if (npg__aud_is_zip(p, n)) return NPG_FMT_ZIP; /* checked before the VM: "PK" is PERSID */
    if (npg__aud_pickles(x, p, n, member)) return NPG_FMT_PICKLE;
    return npg__aud_is_text(p, n) ? NPG_FMT_TEXT : NPG_FMT_UNKNOWN;
}

static bool named_npy(const char *name)
{
    size_t k = strlen(name);
    return k >= 4 && memcmp(name + k - 4, ".npy", 4) == 0;
}

static const char *what(npg_format f)
{
    switch (f) {
    case NPG_FMT_EMPTY: return "an empty member";
    case NPG_FMT_PICKLE: return "a pickle (scanned)";
    case NPG_FMT_NPY: return "a .npy array (scanned)";
    case NPG_FMT_ZIP: return "a zip archive (nested archives are not opened)";
    case NPG_FMT_TEXT: return "inert text";
    default: return "in no format npguard reads (raw bytes to a reader)";
    }
}

void npg__aud_member(npg_aud *x, const uint8_t *p, size_t n, const char *member, const char *how)
{
    npg__aud_classify(x, npg__aud_content(x, p, n, member), member, how);
}

void npg__aud_classify(npg_aud *x, npg_format f, const char *member, const char *how)
{
    bool npy_name = named_npy(member);
    if (f == NPG_FMT_NPY && npy_name) return;
    bool vouched = f == NPG_FMT_EMPTY || f == NPG_FMT_PICKLE || f == NPG_FMT_NPY || f == NPG_FMT_TEXT;
    npg_severity sev = vouched && !npy_name ? NPG_SEV_INFO : NPG_SEV_LOW;
    npg__aud_add(x, NPG_RULE_NON_NPY_MEMBER, sev, 0, member, NULL, 0, "member%s is %s", how ? how : "",
                 what(f));
}
