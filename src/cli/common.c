#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

int cli_map_file(const char *path, mapped *m)
{
    memset(m, 0, sizeof *m);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        errno = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
        return -1;
    }
    m->len = (size_t)st.st_size;
    if (m->len) {
        void *p = mmap(NULL, m->len, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            close(fd);
            return -1;
        }
        m->data = p;
        m->mapped = 1;
    } else {
        m->data = (const uint8_t *)"";
    }
    close(fd);
    return 0;
}

void cli_unmap_file(mapped *m)
{
    if (m->mapped) munmap((void *)m->data, m->len);
    m->mapped = 0;
}

int cli_write_file(void *ud, const void *data, size_t len)
{
    return fwrite(data, 1, len, (FILE *)ud) == len ? 0 : -1;
}

void cli_print_error(const char *path, const npg_error *err)
{
    const char *op = npg_opcode_name(err->opcode);
    fprintf(stderr, "%s: %s at offset %llu%s%s%s%s: %s\n", path, npg_status_name(err->code),
            (unsigned long long)err->offset, op ? " in " : "", op ? op : "",
            err->member[0] ? " of member " : "", err->member, err->message);
}

int cli_run_on_file(const char *path, cli_file_fn fn)
{
    mapped m;
    if (cli_map_file(path, &m) != 0) {
        fprintf(stderr, "npguard: cannot read %s: %s\n", path, strerror(errno));
        return EXIT_USAGE;
    }
    npg_ctx *ctx = npg_ctx_new(NULL);
    int rc = EXIT_USAGE;
    if (ctx) rc = fn(path, ctx, &m);
    else fprintf(stderr, "npguard: out of memory\n");
    npg_ctx_free(ctx);
    cli_unmap_file(&m);
    return rc;
}
