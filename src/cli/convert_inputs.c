/* Inputs of convert. Each is sniffed by content and must be ok for the library as it is: a
 * pickle decodes with the restricted VM (there is no unsafe fallback: a refused pickle is not
 * converted), a .npy passes npg_npy_load, a .npz passes npg_npz_validate and every member loads.
 * The arrays stay in the inputs' documents (zero-copy into the mapped files) until written. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convert.h"

static int refused(const char *path, const npg_error *err)
{
    fprintf(stderr, "%s: not converted: the file is not ok\n", path);
    cli_print_error(path, err);
    return EXIT_FINDINGS;
}

static int load_pickle(conv_job *job, conv_input *in)
{
    npg_error err;
    if (npg_pickle_load(job->ctx, in->m.data, in->m.len, NULL, &in->doc, &err) != NPG_OK) return refused(in->path, &err);
    return conv_walk_pickle(job, npg_doc_root(in->doc), in->path);
}

static int add_named(conv_job *job, const npg_value *a, char *key, const char *path)
{
    const char *why = NULL;
    if (!key) {
        fprintf(stderr, "%s: cannot name an array after this file\n", path);
        return EXIT_FINDINGS;
    }
    if (!conv_array_ok(a, &why)) {
        fprintf(stderr, "%s: cannot convert '%s': %s\n", path, key, why);
        free(key);
        return EXIT_FINDINGS;
    }
    return conv_add(job, key, a, path);
}

/* A .npy file is one array, keyed by its file name without ".npy". */
static int load_npy(conv_job *job, conv_input *in)
{
    npg_error err;
    if (npg_npy_load(job->ctx, in->m.data, in->m.len, 0, &in->doc, &err) != NPG_OK) return refused(in->path, &err);
    return add_named(job, npg_doc_root(in->doc), conv_key_from_path(in->path), in->path);
}

/* A .npz: every member, keyed by its (already validated, safe) name without ".npy". */
static int load_npz(conv_job *job, conv_input *in)
{
    npg_error err;
    if (npg_npz_validate(job->ctx, in->m.data, in->m.len, 0, &err) != NPG_OK ||
        npg_zip_open(job->ctx, in->m.data, in->m.len, 0, &in->zip, &err) != NPG_OK)
        return refused(in->path, &err);
    size_t n = npg_zip_count(in->zip);
    in->members = calloc(n + 1, sizeof *in->members);
    if (!in->members) return fprintf(stderr, "npguard: out of memory\n"), EXIT_USAGE;
    in->nmembers = n;
    int rc = EXIT_OK;
    for (size_t i = 0; i < n && rc == EXIT_OK; i++) {
        const char *name = npg_zip_member_at(in->zip, i)->name;
        if (npg_npz_load_member(in->zip, i, 0, &in->members[i], &err) != NPG_OK) return refused(in->path, &err);
        size_t k = strlen(name);
        char *key = strndup(name, k >= 4 && strcmp(name + k - 4, ".npy") == 0 ? k - 4 : k);
        rc = add_named(job, npg_doc_root(in->members[i]), key, in->path);
    }
    return rc;
}

int conv_load_input(conv_job *job, conv_input *in)
{
    if (cli_map_file(in->path, &in->m) != 0) {
        fprintf(stderr, "npguard: cannot read %s: %s\n", in->path, strerror(errno));
        return EXIT_USAGE;
    }
    in->is_mapped = 1;
    switch (cli_sniff(in->m.data, in->m.len)) {
    case NPG_FMT_EMPTY: fprintf(stderr, "%s: not converted: empty file\n", in->path); return EXIT_FINDINGS;
    case NPG_FMT_NPY: return load_npy(job, in);
    case NPG_FMT_ZIP: return load_npz(job, in);
    default: return load_pickle(job, in);
    }
}

void conv_release_inputs(conv_job *job)
{
    for (size_t i = 0; i < job->n; i++) free(job->e[i].key);
    free(job->e);
    for (size_t i = 0; i < job->nin; i++) {
        conv_input *in = &job->in[i];
        for (size_t k = 0; k < in->nmembers; k++) npg_doc_free(in->members[k]);
        free(in->members);
        npg_zip_free(in->zip);
        npg_doc_free(in->doc);
        if (in->is_mapped) cli_unmap_file(&in->m);
    }
}
