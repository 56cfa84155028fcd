/* npguard convert [--force] [--compress] IN... OUT: the arrays in IN (pickles, .npy, .npz, told
 * apart by content) written as pickle-free files. OUT's form decides the output: "*.npy" takes
 * exactly one array, "*.npz" any number (keys: see convert_walk.c), and a directory (an existing
 * one, or a name ending in '/') one .npy per array. Any other OUT, or one array too many for a
 * .npy, is a usage error; nothing is written unless every input is ok. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "convert.h"

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static int usage(const char *msg)
{
    fprintf(stderr, "npguard convert: %s\n"
                    "usage: npguard convert [--force] [--compress] IN... OUT(.npy|.npz|DIR/)\n", msg);
    return EXIT_USAGE;
}

static int out_kind(conv_job *job)
{
    struct stat st;
    const char *out = job->out;
    if (ends_with(out, "/") || (stat(out, &st) == 0 && S_ISDIR(st.st_mode))) job->kind = CONV_DIR;
    else if (ends_with(out, ".npy")) job->kind = CONV_NPY;
    else if (ends_with(out, ".npz")) job->kind = CONV_NPZ;
    else return usage("OUT must end in .npy or .npz, or be a directory");
    if (job->kind != CONV_DIR && !job->force && conv_exists(out)) {
        fprintf(stderr, "npguard: %s exists (use --force to replace it)\n", out);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

/* Options anywhere; the rest are inputs then OUT. */
static int parse(conv_job *job, int argc, char **argv, const char **paths, size_t *npaths)
{
    *npaths = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--force") == 0) job->force = 1;
        else if (strcmp(argv[i], "--compress") == 0) job->compress = 1;
        else if (argv[i][0] == '-' && argv[i][1]) return usage("unknown option");
        else paths[(*npaths)++] = argv[i];
    }
    if (*npaths < 2) return usage("need IN and OUT");
    job->out = paths[--*npaths];
    return out_kind(job);
}

static void report(const conv_job *job)
{
    static const char *const kinds[] = {".npy", ".npz", "directory of .npy files"};
    printf("%s: %s with %zu array%s, validated\n", job->out, kinds[job->kind], job->n, job->n == 1 ? "" : "s");
    for (size_t i = 0; i < job->n; i++) {
        char dtype[96], shape[400];
        cli_array_desc(job->e[i].array, dtype, sizeof dtype, shape, sizeof shape);
        printf("  %-24s %-8s %s\n", job->e[i].key, dtype, shape);
    }
    if (job->left_out)
        printf("  (%zu other value%s left out: only arrays are converted)\n", job->left_out,
               job->left_out == 1 ? "" : "s");
}

/* Load every input, then check that the arrays fit OUT, then write. */
static int run(conv_job *job)
{
    int rc = EXIT_OK;
    for (size_t i = 0; i < job->nin && rc == EXIT_OK; i++) rc = conv_load_input(job, &job->in[i]);
    if (rc != EXIT_OK) return rc;
    if (job->n == 0) {
        fprintf(stderr, "npguard: cannot convert: no arrays in the input\n");
        return EXIT_FINDINGS;
    }
    if (job->kind == CONV_NPY && job->n != 1) {
        fprintf(stderr, "npguard convert: the input holds %zu arrays but a .npy file holds one "
                        "(name OUT *.npz or a directory)\n", job->n);
        return EXIT_USAGE;
    }
    rc = conv_check_unique(job);
    if (rc == EXIT_OK) rc = conv_write(job);
    if (rc == EXIT_OK) report(job);
    return rc;
}

int cmd_convert(int argc, char **argv)
{
    conv_job job;
    memset(&job, 0, sizeof job);
    const char **paths = calloc((size_t)argc + 1, sizeof *paths);
    size_t npaths = 0;
    if (!paths) return EXIT_USAGE;
    int rc = parse(&job, argc, argv, paths, &npaths);
    if (rc == EXIT_OK) {
        job.ctx = npg_ctx_new(NULL);
        job.in = calloc(npaths + 1, sizeof *job.in);
        if (!job.ctx || !job.in) rc = EXIT_USAGE, fprintf(stderr, "npguard: out of memory\n");
    }
    for (size_t i = 0; rc == EXIT_OK && i < npaths; i++) job.in[job.nin++].path = paths[i];
    if (rc == EXIT_OK) rc = run(&job);
    conv_release_inputs(&job);
    free(job.in);
    npg_ctx_free(job.ctx);
    free(paths);
    return rc;
}
