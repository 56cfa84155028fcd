/* The npguard program. It reads files and prints; every decision comes from the library
 * through include/npguard.h. Exit status: 0 ok, 1 refused or malformed input, 2 usage or I/O. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "npguard.h"

typedef struct mapped {
    const uint8_t *data;
    size_t len;
    int mapped;
} mapped;

/* Map a file read-only (the VM references array bytes in place); empty files need no map. */
static int map_file(const char *path, mapped *m)
{
    memset(m, 0, sizeof *m);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (errno == 0) errno = EINVAL;
        close(fd);
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

static void unmap_file(mapped *m)
{
    if (m->mapped) munmap((void *)m->data, m->len);
}

static int write_stdout(void *ud, const void *text, size_t len)
{
    (void)ud;
    return fwrite(text, 1, len, stdout) == len ? 0 : -1;
}

static void print_error(const char *path, const npg_error *err)
{
    const char *op = npg_opcode_name(err->opcode);
    fprintf(stderr, "%s: %s at offset %llu%s%s: %s\n", path, npg_status_name(err->code),
            (unsigned long long)err->offset, op ? " in " : "", op ? op : "", err->message);
}

static int load(const char *path, unsigned flags, mapped *m, npg_doc **doc, npg_error *err, int *rc)
{
    if (map_file(path, m) != 0) {
        fprintf(stderr, "npguard: cannot read %s: %s\n", path, strerror(errno));
        return 2;
    }
    npg_ctx *ctx = npg_ctx_new(NULL);
    if (!ctx) {
        fprintf(stderr, "npguard: out of memory\n");
        unmap_file(m);
        return 2;
    }
    npg_pickle_opts opts = {flags, NULL, 0};
    *rc = npg_pickle_load(ctx, m->data, m->len, &opts, doc, err);
    npg_ctx_free(ctx);
    return 0;
}

/* npguard show FILE: decode with the restricted VM and print the value tree. */
static int cmd_show(const char *path)
{
    mapped m;
    npg_doc *doc = NULL;
    npg_error err;
    int rc, st = load(path, 0, &m, &doc, &err, &rc);
    if (st) return st;
    if (rc != NPG_OK) {
        print_error(path, &err);
        unmap_file(&m);
        return 1;
    }
    printf("%s: pickle protocol %d, %llu opcodes\n", path, npg_doc_protocol(doc),
           (unsigned long long)npg_doc_ops(doc));
    npg_value_print(npg_doc_root(doc), write_stdout, NULL, 8);
    npg_doc_free(doc);
    unmap_file(&m);
    return 0;
}

/* npguard scan FILE...: run the VM in scan mode and list every finding (pickles only for now). */
static int cmd_scan(int argc, char **argv)
{
    int worst = 0;
    for (int i = 0; i < argc; i++) {
        mapped m;
        npg_doc *doc = NULL;
        npg_error err;
        int rc, st = load(argv[i], NPG_SCAN, &m, &doc, &err, &rc);
        if (st) {
            worst = 2;
            continue;
        }
        size_t n, total;
        const npg_finding *f = npg_doc_findings(doc, &n, &total);
        int unsafe = 0;
        for (size_t k = 0; k < n; k++) unsafe |= f[k].severity > NPG_SEV_INFO;
        printf("%s: %s\n", argv[i], unsafe ? "unsafe" : rc != NPG_OK ? "invalid" : "ok");
        for (size_t k = 0; k < n; k++)
            if (f[k].severity > NPG_SEV_INFO)
                printf("  %s %-8s offset %llu: %s\n", npg_rule_id(f[k].rule), npg_severity_name(f[k].severity),
                       (unsigned long long)f[k].offset, f[k].message);
        if (rc != NPG_OK) print_error(argv[i], &err);
        if ((unsafe || rc != NPG_OK) && worst < 1) worst = 1;
        npg_doc_free(doc);
        unmap_file(&m);
    }
    return worst;
}

static void usage(FILE *to)
{
    fprintf(to,
            "usage: npguard --version\n"
            "       npguard show FILE        decode a pickle safely and print what it holds\n"
            "       npguard scan FILE...     report every import and call a pickle would make\n");
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--version") == 0) {
        printf("npguard %s\n", npg_version_string());
        return 0;
    }
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage(stdout);
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "show") == 0) return cmd_show(argv[2]);
    if (argc >= 3 && strcmp(argv[1], "scan") == 0) return cmd_scan(argc - 2, argv + 2);
    usage(stderr);
    return 2;
}
