/* The three outputs: one .npy (exactly one array), one .npz (np.savez layout, stored or with
 * --compress deflated), or a directory with one .npy per array ("<dir>/<key>.npy", a key's '/'
 * making subdirectories). The bytes come from the library's writers, which write what np.save
 * writes; each file is then published by conv_publish. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "convert.h"

static int write_npy(void *ud, npg_write_fn write, void *wud, npg_error *err)
{
    const npg_value *a = ((const conv_entry *)ud)->array;
    uint64_t len = 0;
    int borrowed;
    const uint8_t *data = npg_array_data(a, &len, &borrowed);
    return npg_npy_write_raw(npg_array_dtype(a), npg_array_ndim(a), npg_array_shape(a), npg_array_fortran(a),
                             data, len, write, wud, err);
}

static int write_npz(void *ud, npg_write_fn write, void *wud, npg_error *err)
{
    const conv_job *job = ud;
    npg_npz_writer *w = NULL;
    int rc = npg_npz_writer_new(job->ctx, job->compress, write, wud, &w);
    for (size_t i = 0; rc == NPG_OK && i < job->n; i++) {
        const npg_value *a = job->e[i].array;
        uint64_t len = 0;
        int borrowed;
        const uint8_t *data = npg_array_data(a, &len, &borrowed);
        rc = npg_npz_writer_add(w, job->e[i].key, npg_array_dtype(a), npg_array_ndim(a), npg_array_shape(a),
                                npg_array_fortran(a), data, len, err);
    }
    if (rc == NPG_OK) rc = npg_npz_writer_finish(w, err);
    else if (!w && err) err->code = rc, snprintf(err->message, sizeof err->message, "cannot start the .npz writer");
    npg_npz_writer_free(w);
    return rc;
}

/* "<dir>/<key>.npy" (malloc'd). */
static char *member_path(const char *dir, const char *key)
{
    size_t n = strlen(dir) + strlen(key) + 8;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s%s%s.npy", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", key);
    return p;
}

/* Directories on the way to path (below the output directory, which exists): made when
 * missing; an existing one must be a real directory, not a symlink to elsewhere. */
static int make_parents(char *path, size_t from)
{
    for (char *s = path + from; (s = strchr(s, '/')) != NULL; s++) {
        struct stat st;
        *s = '\0';
        int made = mkdir(path, 0777) == 0 || errno == EEXIST;
        int ok = made && lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
        if (!ok)
            fprintf(stderr, "npguard: cannot make directory %s: %s\n", path,
                    made ? "something else has that name" : strerror(errno));
        *s = '/';
        if (!ok) return EXIT_USAGE;
    }
    return EXIT_OK;
}

static int ensure_dir(const char *dir)
{
    struct stat st;
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "npguard: cannot make directory %s: %s\n", dir, strerror(errno));
        return EXIT_USAGE;
    }
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "npguard: %s is not a directory\n", dir);
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

/* Every target is checked before anything is written, so that a refusal leaves nothing behind;
 * publishing still refuses atomically should one appear meanwhile. */
static int write_dir(conv_job *job)
{
    int rc = ensure_dir(job->out);
    for (size_t i = 0; rc == EXIT_OK && i < job->n && !job->force; i++) {
        char *p = member_path(job->out, job->e[i].key);
        if (!p) return EXIT_USAGE;
        if (conv_exists(p)) fprintf(stderr, "npguard: %s exists (use --force to replace it)\n", p), rc = EXIT_USAGE;
        free(p);
    }
    for (size_t i = 0; rc == EXIT_OK && i < job->n; i++) {
        char *p = member_path(job->out, job->e[i].key);
        if (!p) return EXIT_USAGE;
        rc = make_parents(p, strlen(job->out));
        if (rc == EXIT_OK) rc = conv_publish(job->ctx, p, job->force, 0, write_npy, &job->e[i]);
        free(p);
    }
    return rc;
}

int conv_write(conv_job *job)
{
    switch (job->kind) {
    case CONV_NPY: return conv_publish(job->ctx, job->out, job->force, 0, write_npy, &job->e[0]);
    case CONV_NPZ: return conv_publish(job->ctx, job->out, job->force, 1, write_npz, job);
    default: return write_dir(job);
    }
}
