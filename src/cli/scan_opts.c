/* npguard scan: options. Every npg_limits field has an option named after it (max_ops ->
 * --max-ops); numbers take an optional K, M, G or T suffix (powers of 1024). */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scan_job.h"

enum { T_U64, T_SIZE, T_U32 };

typedef struct limit_opt {
    const char *name;
    size_t off;
    int type;
} limit_opt;

#define LIM(field, type) {"--" #field, offsetof(npg_limits, field), type}
static const limit_opt limit_opts[] = {
    LIM(max_input, T_U64),         LIM(max_ops, T_U64),          LIM(max_stack, T_SIZE),
    LIM(max_marks, T_SIZE),        LIM(max_memo, T_SIZE),        LIM(max_depth, T_SIZE),
    LIM(max_container_len, T_SIZE), LIM(max_alloc, T_U64),       LIM(max_int_digits, T_SIZE),
    LIM(max_long_bytes, T_SIZE),   LIM(max_array_bytes, T_U64),  LIM(max_ndim, T_SIZE),
    LIM(max_string_len, T_U64),    LIM(max_fields, T_SIZE),      LIM(max_findings, T_SIZE),
    LIM(max_header_len, T_SIZE),   LIM(max_zip_members, T_SIZE), LIM(max_uncompressed, T_U64),
    LIM(max_ratio, T_U32),
};
#undef LIM

static void usage(FILE *to)
{
    fprintf(to,
        "usage: npguard scan [options] PATH...\n"
        "\n"
        "Scan files (any format, sniffed from content), directories (walked recursively, symlinks\n"
        "not followed, sorted) and '-' (standard input). Each file gets a verdict: ok, unsafe,\n"
        "invalid or unknown. Exit status: 0 all files ok, 1 any file unsafe, invalid or unknown,\n"
        "2 usage error or a file that could not be read (other files are still reported).\n"
        "\n"
        "  -f, --format text|json|sarif  output format (default text; docs/scan-json.md)\n"
        "  -o, --output FILE             write the report to FILE\n"
        "      --include GLOB            in directories, scan only files matching GLOB (repeatable)\n"
        "      --exclude GLOB            in directories, skip files and prune directories (repeatable)\n"
        "                                (GLOB is matched against the path relative to the PATH\n"
        "                                argument and against the file name)\n"
        "  -j, --jobs N                  files scanned in parallel (default: the number of cores)\n"
        "      --max-file-size BYTES     larger files are not scanned: verdict unknown\n"
        "      --skip-unknown            files of unknown format (or too large) pass, with a note\n"
        "      --allow MODULE.NAME       accept this global as if allowlisted (repeatable; the\n"
        "                                exact bytes of the finding's global in JSON)\n"
        "  -q, --quiet                   list only files that did not pass, and the summary\n"
        "                                (also hides unknown files passed by --skip-unknown)\n"
        "  -v, --verbose                 text and SARIF: list info findings too\n"
        "      --npy-align16             no effect, kept for compatibility (.npy data aligned to\n"
        "                                16 bytes, as NumPy < 1.14 wrote it, is accepted)\n"
        "      --npy-check-values        read .npy data: bool bytes must be 0 or 1\n"
        "\n"
        "Library limits (one per npg_limits field; numbers may end in K, M, G, T):\n"
        "  --max-input --max-ops --max-stack --max-marks --max-memo --max-depth\n"
        "  --max-container-len --max-alloc --max-int-digits --max-long-bytes --max-array-bytes\n"
        "  --max-ndim --max-string-len --max-fields --max-findings --max-header-len\n"
        "  --max-zip-members --max-uncompressed --max-ratio\n");
}

__attribute__((format(printf, 1, 2))) static int bad(const char *fmt, ...);

static int bad(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "npguard scan: ");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n(npguard scan --help lists the options)\n");
    return 2;
}

int strlist_add(strlist *l, const char *s)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        const char **v = realloc(l->v, cap * sizeof *v);
        if (!v) return -1;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = s;
    return 0;
}

void scan_opts_free(scan_opts *o)
{
    free(o->include.v);
    free(o->exclude.v);
    free(o->allow.v);
    free(o->paths.v);
}

/* Decimal with an optional K/M/G/T suffix; false on anything else or overflow. */
static bool parse_size(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    const char *p = s;
    if (*p < '0' || *p > '9') return false;
    for (; *p >= '0' && *p <= '9'; p++)
        if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, (uint64_t)(*p - '0'), &v)) return false;
    unsigned shift = 0;
    if (*p) {
        const char *units = "KMGT", *u = strchr(units, *p);
        if (!u || p[1]) return false;
        shift = 10 * (unsigned)(u - units + 1);
    }
    if (shift && v > (UINT64_MAX >> shift)) return false;
    *out = v << shift;
    return true;
}

static int set_limit(scan_opts *o, const limit_opt *l, const char *val)
{
    uint64_t v;
    if (!parse_size(val, &v)) return bad("%s needs a number (optionally with K, M, G or T)", l->name);
    if (v == 0) return bad("%s must be at least 1", l->name);
    char *field = (char *)&o->limits + l->off;
    if (l->type == T_U64) {
        memcpy(field, &v, sizeof v);
    } else if (l->type == T_SIZE) {
        if (v > SIZE_MAX) return bad("%s is too large", l->name);
        size_t s = (size_t)v;
        memcpy(field, &s, sizeof s);
    } else {
        if (v > UINT32_MAX) return bad("%s is too large", l->name);
        uint32_t u = (uint32_t)v;
        memcpy(field, &u, sizeof u);
    }
    return -1;
}

static int set_format(scan_opts *o, const char *v)
{
    if (strcmp(v, "text") == 0) o->format = OUT_TEXT;
    else if (strcmp(v, "json") == 0) o->format = OUT_JSON;
    else if (strcmp(v, "sarif") == 0) o->format = OUT_SARIF;
    else return bad("unknown format '%s' (text, json or sarif)", v);
    return -1;
}

static int set_jobs(scan_opts *o, const char *v)
{
    uint64_t n;
    if (!parse_size(v, &n) || n < 1 || n > 1024) return bad("--jobs needs a number from 1 to 1024, not '%s'", v);
    o->jobs = (unsigned)n;
    return -1;
}

/* The limit option called name ("--max-ops"), or NULL. */
static const limit_opt *find_limit(const char *name)
{
    for (size_t i = 0; i < sizeof limit_opts / sizeof limit_opts[0]; i++) {
        char dashed[40];
        snprintf(dashed, sizeof dashed, "%s", limit_opts[i].name);
        for (char *c = dashed + 2; *c; c++) *c = *c == '_' ? '-' : *c;
        if (strcmp(name, dashed) == 0) return &limit_opts[i];
    }
    return NULL;
}

static const char *const valued_names[] = {"--format", "-f", "--output", "-o", "--jobs", "-j", "--include",
                                           "--exclude", "--allow", "--max-file-size"};

static bool takes_value(const char *name)
{
    for (size_t i = 0; i < sizeof valued_names / sizeof valued_names[0]; i++)
        if (strcmp(name, valued_names[i]) == 0) return true;
    return find_limit(name) != NULL;
}

/* An option that takes a value. Returns -1 when good, else the exit status. */
static int valued(scan_opts *o, const char *name, const char *v)
{
    const limit_opt *lim = find_limit(name);
    if (lim) return set_limit(o, lim, v);
    if (!strcmp(name, "--format") || !strcmp(name, "-f")) return set_format(o, v);
    if (!strcmp(name, "--output") || !strcmp(name, "-o")) return o->output = v, -1;
    if (!strcmp(name, "--jobs") || !strcmp(name, "-j")) return set_jobs(o, v);
    if (!strcmp(name, "--max-file-size")) {
        if (!parse_size(v, &o->max_file_size)) return bad("--max-file-size needs a number, not '%s'", v);
        o->max_file_size_set = true;
        return -1;
    }
    strlist *l = !strcmp(name, "--include") ? &o->include : !strcmp(name, "--exclude") ? &o->exclude : &o->allow;
    return strlist_add(l, v) == 0 ? -1 : bad("%s", "out of memory");
}

static int flag(scan_opts *o, const char *a)
{
    if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) o->quiet = true;
    else if (!strcmp(a, "--verbose") || !strcmp(a, "-v")) o->verbose = true;
    else if (!strcmp(a, "--skip-unknown")) o->skip_unknown = true;
    else if (!strcmp(a, "--npy-align16")) o->audit_flags |= NPG_NPY_ALIGN16;
    else if (!strcmp(a, "--npy-check-values")) o->audit_flags |= NPG_NPY_CHECK_VALUES;
    else if (!strcmp(a, "--help") || !strcmp(a, "-h")) return usage(stdout), 0;
    else return bad("unknown option '%s'", a);
    return -1;
}

static void defaults(scan_opts *o)
{
    memset(o, 0, sizeof *o);
    npg_limits_init(&o->limits);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    o->jobs = cores < 1 ? 1 : cores > 256 ? 256 : (unsigned)cores;
}

/* One option at argv[*i] (advancing *i past its value). -1 when good, else the exit status. */
static int option(scan_opts *o, int argc, char **argv, int *i)
{
    char name[64];
    const char *a = argv[*i], *eq = a[1] == '-' ? strchr(a, '=') : NULL;
    if (a[1] != '-' && a[2] && strchr("fjo", a[1])) { /* -j4, -oreport.json: value attached */
        const char short_name[3] = {'-', a[1], '\0'};
        return valued(o, short_name, a + 2);
    }
    size_t k = eq ? (size_t)(eq - a) : strlen(a);
    if (k >= sizeof name) return bad("unknown option '%s'", a);
    memcpy(name, a, k);
    name[k] = '\0';
    if (takes_value(name)) {
        const char *v = eq ? eq + 1 : *i + 1 < argc ? argv[++*i] : NULL;
        return v ? valued(o, name, v) : bad("option '%s' needs a value", name);
    }
    if (eq) return bad("option '%s' takes no value", name);
    return flag(o, a);
}

int scan_parse(int argc, char **argv, scan_opts *o)
{
    defaults(o);
    bool only_paths = false;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (only_paths || a[0] != '-' || a[1] == '\0') {
            if (strlist_add(&o->paths, a)) return bad("%s", "out of memory");
            continue;
        }
        if (!strcmp(a, "--")) {
            only_paths = true;
            continue;
        }
        int rc = option(o, argc, argv, &i);
        if (rc != -1) return rc;
    }
    if (o->paths.n == 0) return bad("%s", "no PATH to scan");
    if (!o->max_file_size_set) o->max_file_size = o->limits.max_input; /* after --max-input */
    size_t stdin_count = 0;
    for (size_t i = 0; i < o->paths.n; i++) stdin_count += strcmp(o->paths.v[i], "-") == 0;
    if (stdin_count > 1) return bad("%s", "'-' (standard input) may be given only once");
    return -1;
}
