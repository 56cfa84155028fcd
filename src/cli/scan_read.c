/* Reading one file for the scan: regular files are memory-mapped read-only (the library never
 * copies what it only needs to look at), standard input is read into memory up to the size
 * limit. Files are opened non-blocking, so a FIFO named on the command line cannot hang the scan:
 * only regular files (and standard input) are read. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scan_job.h"

static void fail(scan_item *it, int err, const char *what)
{
    it->state = ITEM_ERROR;
    it->err = err;
    it->what = what;
}

static void audit(scan_item *it, const npg_ctx *ctx, const npg_audit_opts *ao, const uint8_t *p, size_t n)
{
    int rc = npg_audit_buffer(ctx, p, n, ao, &it->audit);
    if (rc != NPG_OK) {
        fail(it, 0, "cannot scan");
        it->status = rc;
        return;
    }
    it->state = ITEM_SCANNED;
}

void scan_one(scan_item *it, const npg_ctx *ctx, const npg_audit_opts *ao, uint64_t max_size)
{
    /* The library reads the name only to add suspicion (a model.pkl of text bytes is a broken
     * pickle, NPG105); it never vouches for content, so a path is safe to pass. */
    npg_audit_opts named = *ao;
    named.name = it->path;
    int fd = open(it->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) return fail(it, errno, "cannot read");
    struct stat st;
    if (fstat(fd, &st) != 0) {
        fail(it, errno, "cannot read");
    } else if (!S_ISREG(st.st_mode)) {
        fail(it, 0, S_ISDIR(st.st_mode) ? "is a directory" : "not a regular file (pipe it to '-' to scan it)");
    } else if ((uint64_t)st.st_size > max_size) {
        it->state = ITEM_TOO_BIG;
        it->size = (uint64_t)st.st_size;
    } else {
        size_t n = (size_t)st.st_size;
        void *p = n ? mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 0) : (void *)"";
        it->size = n;
        if (p == MAP_FAILED) {
            fail(it, errno, "cannot read");
        } else {
            audit(it, ctx, &named, p, n);
            if (n) munmap(p, n);
        }
    }
    close(fd);
}

void scan_stdin(scan_item *it, const npg_ctx *ctx, const npg_audit_opts *ao, uint64_t max_size)
{
    uint8_t *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            size_t want = cap ? cap * 2 : 65536;
            uint8_t *g = realloc(buf, want);
            if (!g) {
                free(buf);
                return fail(it, ENOMEM, "cannot read");
            }
            buf = g;
            cap = want;
        }
        ssize_t r = read(STDIN_FILENO, buf + n, cap - n);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            free(buf);
            return fail(it, errno, "cannot read");
        }
        if (r == 0) break;
        n += (size_t)r;
        if ((uint64_t)n > max_size) { /* at least this big: not read further */
            it->state = ITEM_TOO_BIG;
            it->size = n;
            free(buf);
            return;
        }
    }
    it->size = n;
    audit(it, ctx, ao, buf, n);
    free(buf);
}
