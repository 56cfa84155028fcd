/* Pickle streams: one pickle, or several written one after another (legacy torch.save files hold
 * five; pickle.dump called in a loop makes any number). Each is run by the VM in scan mode with
 * NPG_ALLOW_TRAILING; the next starts where the previous STOP ended (and, where a STOP left
 * bytes of its frame unread, at the frame's end too: a file loader resumes there), and a
 * failure ends that branch of the stream (nothing after it can be located reliably). All pickles share one max_ops budget, so
 * a file of a million "N." pickles costs what one long pickle does.
 *
 * Whether the bytes are a pickle at all is CPython's call (rule 4 of docs/scan-json.md): they are
 * not one only when CPython would stop without ever calling find_class for an importable module
 * (the scan, which reads at least as far as CPython, reached none) and they do not form a
 * complete opcode stream. A file that starts with PROTO is a pickle; a run cut short by a limit
 * or by memory is one too (what it did not see may be an import: fail closed). Otherwise the
 * findings the stream made are taken back: "Name,Age\n" (NONE, then APPEND fails) is text, and
 * so is a CSV that starts "count,value" (a GLOBAL of module "ount,value" no import can find). */
#include "../pickle/doc.h"
#include "audit.h"

/* Opcodes a stream may run in all, counted as max_ops counts them, plus this much per pickle
 * for the document each one costs. */
enum { PER_PICKLE_COST = 64 };

static bool starts_with_proto(const uint8_t *p, size_t n)
{
    return n >= 2 && p[0] == 0x80 && p[1] <= 5;
}

/* A stop that says nothing about the bytes: a limit or memory ended the run. (Too many decimal
 * digits is no such stop: CPython's int_max_str_digits refuses the same texts.) */
static bool cut_short(int rc)
{
    if (rc == NPG_OK || rc == NPG_E_LIMIT_DIGITS) return false;
    return rc == NPG_E_NOMEM || (rc >= NPG_E_LIMIT_INPUT && rc < NPG_E_NOMEM) || rc >= NPG_E_INVALID;
}

/* A finding that makes the file unsafe: an import or call outside the allowlist. */
static bool unsafe_finding(const npg_finding *f)
{
    return f->rule >= NPG_RULE_GLOBAL_DANGEROUS && f->rule <= NPG_RULE_BUFFER && f->severity >= NPG_SEV_HIGH;
}

/* What one pickle at p[pos..n) showed about the bytes: an import reached, or a run that could
 * not judge them. */
static bool claims_pickle(const npg_doc *doc, int rc)
{
    if (!doc || cut_short(rc)) return true;
    if (doc->imports) return true;
    size_t count, total;
    const npg_finding *f = npg_doc_findings(doc, &count, &total);
    if (total > count) return true; /* findings were dropped: one may be an import */
    for (size_t i = 0; i < count; i++) {
        if (unsafe_finding(&f[i])) return true;
        /* another reading of the frames that a limit cut short */
        if (f[i].rule == NPG_RULE_MALFORMED && cut_short(f[i].status)) return true;
    }
    return false;
}

static bool over_budget(npg_aud *x, uint64_t *spent, const npg_doc *doc, uint64_t pos, uint64_t base,
                        const char *member)
{
    *spent += npg_doc_ops(doc) + PER_PICKLE_COST;
    if (*spent <= x->lim->max_ops) return false;
    npg__aud_add(x, NPG_RULE_MALFORMED, npg_rule_severity(NPG_RULE_MALFORMED), base + pos, member, NULL,
                 NPG_E_LIMIT_OPS, "%s: concatenated pickles use more than %llu operations in all",
                 npg_status_name(NPG_E_LIMIT_OPS), (unsigned long long)x->lim->max_ops);
    return true;
}

/* Where the pickles of a stream start: the first at 0, each next one where the previous STOP
 * ended and, where a loader may resume elsewhere (npg_doc.next_starts), there too. Starts are
 * taken earliest first and every start queued lies past the one taken, so a start already
 * scanned cannot come back: only the queue needs deduplicating. A queue that overflows
 * STREAM_STARTS_MAX cannot be followed and the file fails. */
enum { STREAM_STARTS_MAX = 64 };
typedef struct starts {
    uint64_t todo[STREAM_STARTS_MAX];
    size_t ntodo;
    bool lost;
} starts;

static void add_start(starts *s, uint64_t pos, size_t until)
{
    if (pos >= until) return;
    for (size_t i = 0; i < s->ntodo; i++)
        if (s->todo[i] == pos) return;
    if (s->ntodo == STREAM_STARTS_MAX) s->lost = true;
    else s->todo[s->ntodo++] = pos;
}

/* Queue the pickles that may follow the one at pos: after its STOP, and wherever else doc says. */
static void add_next_starts(starts *s, const npg_doc *doc, int rc, uint64_t pos, size_t until)
{
    if (!doc) return;
    if (rc == NPG_OK && npg_doc_end(doc)) add_start(s, pos + npg_doc_end(doc), until);
    for (unsigned i = 0; i < doc->nnext; i++) add_start(s, pos + doc->next_starts[i], until);
    s->lost |= doc->next_lost;
}

/* The earliest queued start: findings come in file order. */
static uint64_t next_start(starts *s)
{
    size_t k = 0;
    for (size_t i = 1; i < s->ntodo; i++)
        if (s->todo[i] < s->todo[k]) k = i;
    uint64_t pos = s->todo[k];
    s->todo[k] = s->todo[--s->ntodo];
    return pos;
}

static void unfollowed(npg_aud *x, uint64_t base, const char *member)
{
    npg__aud_add(x, NPG_RULE_MALFORMED, npg_rule_severity(NPG_RULE_MALFORMED), base, member, NULL, NPG_E_FRAME,
                 "%s: a loader may resume reading at more places than the scan follows", npg_status_name(NPG_E_FRAME));
}

/* Run the stream, recording every pickle's findings; *claimed says whether it is a pickle. */
static void run_stream(npg_aud *x, const uint8_t *p, size_t n, size_t until, uint64_t base, const char *member,
                       bool *claimed)
{
    starts s;
    s.todo[0] = 0, s.ntodo = 1, s.lost = false;
    uint64_t spent = 0;
    while (s.ntodo) {
        uint64_t pos = next_start(&s);
        npg_doc *doc = NULL;
        npg_error err;
        npg_pickle_opts o = {NPG_SCAN | NPG_ALLOW_TRAILING | (x->flags & NPG_PY2_BYTES), NULL, 0};
        int rc = npg_pickle_load(x->ctx, p + pos, n - (size_t)pos, &o, &doc, &err);
        *claimed |= claims_pickle(doc, rc);
        npg__aud_add_doc(x, doc, rc, &err, base + pos, member);
        add_next_starts(&s, doc, rc, pos, until);
        bool over = s.ntodo && over_budget(x, &spent, doc, pos, base, member);
        npg_doc_free(doc);
        if (over) return;
    }
    if (s.lost) unfollowed(x, base, member);
}

static bool pickles(npg_aud *x, const uint8_t *p, size_t n, size_t until, uint64_t base, const char *member)
{
    npg_aud_mark mark;
    npg__aud_mark(x, &mark);
    bool claimed = starts_with_proto(p, n);
    run_stream(x, p, n, until, base, member, &claimed);
    if (claimed || npg__pickle_complete(p, n)) return true;
    return !npg__aud_take_back(x, &mark); /* findings the cap evicted cannot come back: keep all */
}

bool npg__aud_pickles(npg_aud *x, const uint8_t *p, size_t n, const char *member)
{
    return pickles(x, p, n, n, 0, member);
}

bool npg__aud_pickles_at(npg_aud *x, const uint8_t *p, size_t n, uint64_t base, const char *member)
{
    return pickles(x, p, n, n, base, member);
}

bool npg__aud_pickles_until(npg_aud *x, const uint8_t *p, size_t n, size_t until, const char *member)
{
    return pickles(x, p, n, until, 0, member);
}
