/* Putting an output file in place. Nothing half-written or unvalidated ever carries OUT's name:
 * the bytes go to a temporary file in OUT's own directory (so the final rename cannot cross
 * file systems), are flushed to disk, read back and validated by the library as any input would
 * be, and only then take OUT's name. Without --force that last step is link(2), which fails
 * atomically when OUT exists (no check-then-write race); with --force it is rename(2), which
 * replaces OUT (a symlink there is replaced, never followed). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "convert.h"

int conv_exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

/* "<dir>/.<base>.npguard-XXXXXX" for mkstemp, and the directory, from OUT. */
static char *temp_template(const char *out, char **dir)
{
    const char *slash = strrchr(out, '/');
    size_t dn = slash ? (size_t)(slash - out) : 0;
    const char *base = slash ? slash + 1 : out;
    size_t cap = dn + strlen(base) + 32;
    char *t = malloc(cap);
    *dir = malloc(dn + 2);
    if (!t || !*dir) {
        free(t);
        free(*dir);
        *dir = NULL;
        return NULL;
    }
    if (slash) snprintf(*dir, dn + 2, "%.*s", (int)(dn ? dn : 1), dn ? out : "/");
    else snprintf(*dir, dn + 2, ".");
    snprintf(t, cap, "%s/.%s.npguard-XXXXXX", *dir, base);
    return t;
}

/* Write, flush and fsync the temporary file; mode as a new file would get (mkstemp makes 0600). */
static int fill_temp(int fd, const char *tmp, conv_produce_fn produce, void *ud)
{
    mode_t mask = umask(0);
    umask(mask);
    FILE *fp = fdopen(fd, "wb");
    if (!fp) {
        close(fd);
        fprintf(stderr, "npguard: cannot write %s: %s\n", tmp, strerror(errno));
        return EXIT_USAGE;
    }
    npg_error err;
    memset(&err, 0, sizeof err);
    int rc = produce(ud, cli_write_file, fp, &err);
    int io = fchmod(fd, 0666 & ~mask) != 0 || fflush(fp) != 0 || fsync(fd) != 0 || ferror(fp);
    int saved = errno;
    io |= fclose(fp) != 0;
    if (rc != NPG_OK) {
        cli_print_error(tmp, &err);
        return EXIT_FINDINGS;
    }
    if (io) {
        fprintf(stderr, "npguard: cannot write %s: %s\n", tmp, strerror(saved ? saved : errno));
        return EXIT_USAGE;
    }
    return EXIT_OK;
}

/* What was written is read back and must pass the same validation an input would. */
static int validate(const npg_ctx *ctx, const char *tmp, int npz)
{
    mapped m;
    npg_error err;
    npg_doc *doc = NULL;
    if (cli_map_file(tmp, &m) != 0) {
        fprintf(stderr, "npguard: cannot read back %s: %s\n", tmp, strerror(errno));
        return EXIT_USAGE;
    }
    int rc = npz ? npg_npz_validate(ctx, m.data, m.len, 0, &err) : npg_npy_load(ctx, m.data, m.len, 0, &doc, &err);
    npg_doc_free(doc);
    cli_unmap_file(&m);
    if (rc == NPG_OK) return EXIT_OK;
    fprintf(stderr, "npguard: the file written does not validate (a bug: please report it)\n");
    cli_print_error(tmp, &err);
    return EXIT_FINDINGS;
}

/* link(2) refuses an existing OUT atomically; file systems without hard links get a rename
 * after a check (the only window left, and only there). */
static int put_in_place(const char *tmp, const char *out, int force)
{
    if (force) return rename(tmp, out);
    if (link(tmp, out) == 0) return unlink(tmp), 0;
    if (errno == EEXIST) return -1;
    if (errno != EPERM && errno != ENOTSUP && errno != EOPNOTSUPP) return -1;
    if (conv_exists(out)) return errno = EEXIST, -1;
    return rename(tmp, out);
}

/* The new name is on disk once the directory is. */
static void sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

int conv_publish(const npg_ctx *ctx, const char *out, int force, int npz, conv_produce_fn produce, void *ud)
{
    char *dir = NULL, *tmp = temp_template(out, &dir);
    if (!tmp) {
        fprintf(stderr, "npguard: out of memory\n");
        return EXIT_USAGE;
    }
    int rc = EXIT_USAGE, fd = mkstemp(tmp);
    if (fd < 0) fprintf(stderr, "npguard: cannot create a file in %s: %s\n", dir, strerror(errno));
    else rc = fill_temp(fd, tmp, produce, ud);
    if (rc == EXIT_OK) rc = validate(ctx, tmp, npz);
    if (rc == EXIT_OK && put_in_place(tmp, out, force) != 0) {
        fprintf(stderr, "npguard: %s: %s%s\n", out, strerror(errno),
                errno == EEXIST ? " (use --force to replace it)" : "");
        rc = EXIT_USAGE;
    }
    if (fd >= 0 && rc != EXIT_OK) unlink(tmp);
    if (rc == EXIT_OK) sync_dir(dir);
    free(tmp);
    free(dir);
    return rc;
}
