/* npguard scan: the pieces of the command shared by its files.
 *
 *   scan.c          the command: options -> file list -> parallel scan -> report -> exit status
 *   scan_opts.c     option parsing and --help
 *   scan_walk.c     PATH arguments to a sorted file list (directories walked without recursion)
 *   scan_read.c     one file (memory-mapped) or standard input to a buffer, then npg_audit_buffer
 *   scan_run.c      worker threads; results handed to the reporter in list order; progress line
 *   report_text.c, report_json.c, report_sarif.c   the three output formats
 *   report_escape.c how strings from outside are written (JSON, terminal)
 *   report_global.c the exact (module, name) of a finding's import, for JSON and SARIF
 *   report_util.c   URIs, error texts, offsets
 *
 * The library makes every decision; this program only reads files, runs workers and prints. */
#ifndef NPG_SCAN_JOB_H
#define NPG_SCAN_JOB_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "npguard.h"

enum { OUT_TEXT, OUT_JSON, OUT_SARIF };

typedef struct strlist {
    const char **v;
    size_t n, cap;
} strlist;

typedef struct scan_opts {
    int format;             /* OUT_* */
    const char *output;     /* -o FILE, or NULL for standard output */
    strlist include, exclude, allow, paths;
    unsigned jobs;
    uint64_t max_file_size; /* default: limits.max_input */
    bool max_file_size_set;
    npg_limits limits;
    unsigned audit_flags;   /* NPG_NPY_ALIGN16, NPG_NPY_CHECK_VALUES */
    bool quiet, verbose, skip_unknown;
} scan_opts;

/* Parse argv (after "scan"). Returns -1 when the options are good, else the exit status to
 * return right away (0 after --help, 2 after a usage error, already reported on stderr). */
int scan_parse(int argc, char **argv, scan_opts *o);
void scan_opts_free(scan_opts *o);
int strlist_add(strlist *l, const char *s);

/* What happened to one file. */
enum {
    ITEM_SCANNED = 0, /* audit holds the result */
    ITEM_ERROR,       /* could not be read (err, what) */
    ITEM_TOO_BIG      /* larger than --max-file-size: not scanned */
};

typedef struct scan_item {
    char *path;          /* as given, or argument + relative path; "-" for standard input */
    bool is_stdin;
    int state;
    int err;             /* errno for ITEM_ERROR (0 with a message in what) */
    const char *what;    /* "cannot read", "cannot scan", ... */
    int status;          /* npg_status when npg_audit_buffer itself failed (out of memory) */
    uint64_t size;
    npg_audit *audit;
    atomic_bool done;
} scan_item;

typedef struct scan_list {
    scan_item *v;
    size_t n, cap;
} scan_list;

/* An item for path (copied); NULL when out of memory. */
scan_item *scan_list_add(scan_list *l, const char *path);
void scan_list_free(scan_list *l);

/* Every PATH argument in order; directories walked, sorted, filtered. Errors meeting a directory
 * become ITEM_ERROR items (reported like unreadable files). Returns 0, or -1 out of memory. */
int scan_collect(const scan_opts *o, scan_list *out);

/* Read and audit one item (not standard input), naming it to the library by its path. */
void scan_one(scan_item *it, const npg_ctx *ctx, const npg_audit_opts *ao, uint64_t max_size);
/* Standard input read fully, bounded by max_size, and audited (with no name). */
void scan_stdin(scan_item *it, const npg_ctx *ctx, const npg_audit_opts *ao, uint64_t max_size);

/* Totals for the summary and the exit status. */
typedef struct scan_summary {
    size_t files, ok, unsafe, invalid, unknown, errors, skipped, passed;
    size_t by_severity[5];
    int exit_status;
} scan_summary;

/* Whether an item counts as passing, and its contribution to the totals. */
bool scan_passed(const scan_item *it, const scan_opts *o);
void scan_count(scan_summary *s, const scan_item *it, const scan_opts *o);
/* Whether --quiet hides the item: it passed. */
bool scan_hidden(const scan_item *it, const scan_opts *o);

/* The reporters: begin once, file once per item in list order, end with the totals. */
typedef struct reporter reporter;
struct reporter {
    FILE *out;
    const scan_opts *o;
    bool colour;
    size_t count;  /* objects written so far (JSON, SARIF: for the commas) */
    void *state;   /* reporter's own, released by end() */
    void (*begin)(reporter *r);
    void (*file)(reporter *r, const scan_item *it);
    void (*end)(reporter *r, const scan_summary *s);
};
void report_text_init(reporter *r);
void report_json_init(reporter *r);
void report_sarif_init(reporter *r);

/* Run the items through jobs workers; hand each finished item to the reporter in list order
 * (then free its audit); fill the summary. When no thread can be started, the items are scanned
 * in the calling thread. Returns 0. */
int scan_run(scan_list *l, const scan_opts *o, const npg_ctx *ctx, reporter *r, scan_summary *s);

/* ---- report_escape.c, report_global.c, report_util.c */

/* report_escape.c. JSON string literal (with quotes) for s: UTF-8 kept, controls escaped, bytes
 * that are not UTF-8 and C1 controls as U+FFFD (JSON cannot carry the bytes). NULL: null. */
void json_str(FILE *f, const char *s);
/* JSON string literal for the n exact bytes of a global: only '"', '\\' and U+0000-U+001F escaped,
 * everything else as it is, a lone surrogate (ED A0..BF xx) as \uDXXX; a byte that is not part of
 * well-formed UTF-8, and a low surrogate right after a high one (a JSON reader would join the
 * two), as U+FFFD. NULL: null. */
void json_exact(FILE *f, const char *s, size_t n);
/* Printable form of a path for the terminal: controls and bytes that are not UTF-8 as \xNN. */
void text_path(FILE *f, const char *s);
/* A library message for the terminal: printable ASCII kept, any other byte as \xNN. */
void text_ascii(FILE *f, const char *s);
/* report_global.c. The import a finding names, as the keys keys[0..3] (global, its module part,
 * its name part, whether the library cut it), each preceded by ", ": exact strings, null when the
 * finding names no import or the part is unknown. */
void json_global_keys(FILE *f, const npg_audit_finding *x, const char *const keys[4]);
/* report_util.c. Percent-encoded URI for a path (only unreserved characters and '/' kept). */
void uri_path(FILE *f, const char *s);
/* Whether a finding's offset is in the file (true) or in its member's uncompressed bytes: findings
 * with a member count in the member, except NPG104 and NPG100 with a zip-level status
 * (NPG_E_ZIP_*, NPG_E_LIMIT_MEMBERS, _RATIO, _UNCOMPRESSED), which point into the archive. */
bool offset_in_file(const npg_audit_finding *f);
/* The message of an error item: "cannot read: No such file or directory". */
void item_error_text(const scan_item *it, char *buf, size_t cap);

#endif
