/* What a file is, decided from its bytes alone, in the order loaders decide it:
 *
 *   empty                                   -> empty (nothing to load, nothing to run)
 *   "\x93NUMPY" at 0                        -> npy   (np.load's first test)
 *   a zip record signature at 0             -> zip   (np.load's and torch.load's test)
 *   a pickle at 0 (PROTO, or protocol 0/1   -> pickle
 *     that the VM reads: audit_pickle.c)
 *   an EOCD a zip reader would find         -> zip   (prepended data: still a zip, and invalid)
 *   printable UTF-8                         -> text  (the VM met no import or call in it)
 *   anything else                           -> unknown
 *
 * A zip found behind a .npy or a pickle makes the file a polyglot (NPG102): each reader sees a
 * different file. The format reported is the one at offset 0 (what np.load and pickle.load
 * would read) and the archive's members are scanned as well. */
#include <string.h>
#include <strings.h>

#include "audit.h"

static void polyglot(npg_aud *x, const char *first, const npg_lz_end *end)
{
    npg__aud_add(x, NPG_RULE_POLYGLOT, npg_rule_severity(NPG_RULE_POLYGLOT), end->eocd, NULL, NULL, 0,
                 "the file is a %s and also a zip archive (end record at offset %llu): loaders disagree on "
                 "what it holds", first, (unsigned long long)end->eocd);
}

/* Files beyond limits.max_input are not parsed at all: only their magic is looked at. */
static void too_large(npg_aud *x, const uint8_t *buf, size_t len)
{
    npg_audit *a = x->a;
    a->format = npg__aud_is_npy(buf, len) ? NPG_FMT_NPY
              : npg__aud_is_zip(buf, len) ? NPG_FMT_ZIP
              : (len >= 2 && buf[0] == 0x80 && buf[1] <= 5) ? NPG_FMT_PICKLE : NPG_FMT_UNKNOWN;
    npg__aud_add(x, NPG_RULE_MALFORMED, npg_rule_severity(NPG_RULE_MALFORMED), 0, NULL, NULL, NPG_E_LIMIT_INPUT,
                 "%s: %zu bytes, limits.max_input is %llu: not scanned", npg_status_name(NPG_E_LIMIT_INPUT), len,
                 (unsigned long long)x->lim->max_input);
}

/* Neither .npy nor zip at offset 0: a pickle (maybe with an archive behind it), a zip with data
 * in front of it, text, or unknown. */
static void not_at_zero(npg_aud *x, const uint8_t *buf, size_t len, const npg_lz_end *end)
{
    npg_audit *a = x->a;
    uint64_t limit = len;
    if (end) { /* no pickle starts where the archive does (one may run into it: pickle.load
                * reads to STOP, and what it reads is what is scanned) */
        uint64_t start = npg__lz_start(buf, len, end, x->lim->max_zip_members);
        if (start > 0 && start < len) limit = start;
    }
    if (npg__aud_pickles_until(x, buf, len, (size_t)limit, NULL)) {
        a->format = NPG_FMT_PICKLE;
        if (!end) return;
        polyglot(x, "pickle", end);
        npg__aud_zip(x, buf, len, end);
    } else if (end) {
        a->format = NPG_FMT_ZIP;
        npg__aud_zip(x, buf, len, end);
    } else if (npg__aud_is_text(buf, len)) {
        a->format = NPG_FMT_TEXT;
    } else {
        a->format = NPG_FMT_UNKNOWN;
        npg__aud_add(x, NPG_RULE_UNKNOWN_FORMAT, npg_rule_severity(NPG_RULE_UNKNOWN_FORMAT), 0, NULL, NULL, 0,
                     "not a pickle, .npy file, zip archive or text: npguard cannot vouch for it");
    }
}

/* File names that claim a data format a loader opens: on bytes in no such format (text, empty,
 * unknown) the name only adds suspicion: a truncated model.pkl is a broken pickle, not text. */
static const char *const claiming[] = {".pkl", ".pickle", ".pck", ".pcl", ".joblib", ".npy", ".npz", ".pt", ".pth", ".ckpt"};

static const char *claimed_suffix(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    for (size_t i = 0; i < sizeof claiming / sizeof claiming[0]; i++) {
        size_t k = strlen(claiming[i]);
        if (n > k && strcasecmp(name + n - k, claiming[i]) == 0) return claiming[i];
    }
    return NULL;
}

static void name_claims(npg_aud *x)
{
    const char *suffix = claimed_suffix(x->name);
    npg_format f = x->a->format;
    if (!suffix || (f != NPG_FMT_TEXT && f != NPG_FMT_EMPTY && f != NPG_FMT_UNKNOWN)) return;
    npg__aud_add(x, NPG_RULE_FORMAT_MISMATCH, npg_rule_severity(NPG_RULE_FORMAT_MISMATCH), 0, NULL, NULL, 0,
                 "the name ends in %s but the bytes are %s: a broken file of that format", suffix,
                 f == NPG_FMT_TEXT ? "text" : f == NPG_FMT_EMPTY ? "empty" : "in no format npguard reads");
}

static void sniff(npg_aud *x, const uint8_t *buf, size_t len);

void npg__aud_root(npg_aud *x, const uint8_t *buf, size_t len)
{
    sniff(x, buf, len);
    name_claims(x);
}

static void sniff(npg_aud *x, const uint8_t *buf, size_t len)
{
    npg_audit *a = x->a;
    npg_lz_end end_rec;
    if (len == 0) {
        a->format = NPG_FMT_EMPTY;
        return;
    }
    if ((uint64_t)len > x->lim->max_input) {
        too_large(x, buf, len);
        return;
    }
    const npg_lz_end *end = npg__lz_find_end(buf, len, &end_rec) ? &end_rec : NULL;
    if (npg__aud_is_npy(buf, len)) {
        a->format = NPG_FMT_NPY;
        npg__aud_npy(x, buf, len, NULL);
        if (!end) return;
        polyglot(x, ".npy file", end);
        npg__aud_zip(x, buf, len, end);
    } else if (npg__aud_is_zip(buf, len)) {
        a->format = NPG_FMT_ZIP;
        npg__aud_zip(x, buf, len, end);
    } else {
        not_at_zero(x, buf, len, end);
    }
}
