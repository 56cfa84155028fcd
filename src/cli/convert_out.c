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
        if (rc == EXIT_OK) rc = conv_publish(job->ctx, p, job->force, 0, conv_produce_npy, &job->e[i]);
        free(p);
    }
    return rc;
}

int conv_write(conv_job *job)
{
    switch (job->kind) {
    case CONV_NPY: return conv_publish(job->ctx, job->out, job->force, 0, conv_produce_npy, &job->e[0]);
    case CONV_NPZ: return conv_publish(job->ctx, job->out, job->force, 1, conv_produce_npz, job);
    default: return write_dir(job);
    }
}
