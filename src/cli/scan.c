/* npguard scan [options] PATH...: every file's real format (sniffed, never the extension), a
 * verdict (ok, unsafe, invalid, unknown) and the findings behind it, as text, JSON or SARIF.
 * The command reads and prints; npg_audit_buffer decides. See scan_job.h for the pieces. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "scan_job.h"

static bool want_colour(const scan_opts *o, FILE *out)
{
    const char *no = getenv("NO_COLOR");
    return o->format == OUT_TEXT && out == stdout && isatty(STDOUT_FILENO) && !(no && no[0]);
}

static int make_ctx(const scan_opts *o, npg_ctx **ctx)
{
    *ctx = npg_ctx_new(NULL);
    if (!*ctx) {
        fprintf(stderr, "npguard scan: out of memory\n");
        return 2;
    }
    if (npg_ctx_set_limits(*ctx, &o->limits) != NPG_OK) {
        fprintf(stderr, "npguard scan: a limit is above its ceiling (--max-ndim <= %d, --max-memo and "
                        "--max-container-len <= 2^30, --max-depth < 2^32 - 1)\n", NPG_MAX_NDIM);
        return 2;
    }
    return -1;
}

/* Errors also go to standard error unless the text report is already on the terminal there. */
static void errors_to_stderr(const scan_list *l, const scan_opts *o, FILE *out)
{
    if (o->format == OUT_TEXT && out == stdout && isatty(STDOUT_FILENO) && isatty(STDERR_FILENO)) return;
    char buf[300];
    for (size_t i = 0; i < l->n; i++) {
        if (l->v[i].state != ITEM_ERROR) continue;
        item_error_text(&l->v[i], buf, sizeof buf);
        fputs("npguard: ", stderr);
        text_path(stderr, l->v[i].path);
        fprintf(stderr, ": %s\n", buf);
    }
}

static int run(const scan_opts *o, npg_ctx *ctx, FILE *out)
{
    reporter r = {out, o, want_colour(o, out), 0, NULL, NULL, NULL, NULL};
    if (o->format == OUT_JSON) report_json_init(&r);
    else if (o->format == OUT_SARIF) report_sarif_init(&r);
    else report_text_init(&r);
    scan_list l = {NULL, 0, 0};
    scan_summary s;
    memset(&s, 0, sizeof s);
    int status;
    if (scan_collect(o, &l) != 0) {
        fprintf(stderr, "npguard scan: out of memory listing the files\n");
        status = 2;
    } else {
        scan_run(&l, o, ctx, &r, &s);
        errors_to_stderr(&l, o, out);
        status = s.exit_status;
    }
    scan_list_free(&l);
    return status;
}

int cmd_scan(int argc, char **argv)
{
    scan_opts o;
    npg_ctx *ctx = NULL;
    int status = scan_parse(argc, argv, &o);
    if (status == -1) status = make_ctx(&o, &ctx);
    FILE *out = stdout;
    if (status == -1 && o.output && !(out = fopen(o.output, "w"))) {
        fprintf(stderr, "npguard scan: cannot write %s: %s\n", o.output, strerror(errno));
        status = 2;
    }
    if (status == -1) {
        status = run(&o, ctx, out);
        if (fflush(out) != 0 || ferror(out) || (out != stdout && fclose(out) != 0)) {
            fprintf(stderr, "npguard scan: cannot write the report: %s\n", strerror(errno));
            status = 2;
        }
    }
    npg_ctx_free(ctx);
    scan_opts_free(&o);
    return status;
}
