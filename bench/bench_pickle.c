/* bench_pickle: time npg_pickle_load on one pickle file, using only the public API.
 *
 *   bench_pickle map  FILE scan|decode [REPEAT] [--no-drop] [--madv-random]
 *       Benchmark 1 (scanning is O(opcodes), not O(payload)). Maps FILE read-only (plain mmap,
 *       no MAP_POPULATE), first evicts FILE's pages from the page cache (fdatasync +
 *       POSIX_FADV_DONTNEED) unless --no-drop, then runs one load on the cold mapping and REPEAT
 *       more on the warm one. Reports the cold and best warm wall time, the pages of the mapping
 *       resident in the page cache before and after the first load (mincore), the pages of the
 *       mapping in this process's RSS (/proc/self/smaps) and the process's peak RSS (ru_maxrss).
 *       Run one mode per process so that the peak RSS belongs to that mode alone.
 *       --madv-random turns off the kernel's read-around on faults (madvise MADV_RANDOM), so
 *       that the page-cache count shows only the pages the load touched.
 *
 *   bench_pickle loop FILE scan|decode [REPEAT]
 *       Benchmark 2 (opcode throughput). Reads FILE into memory, loads it once to warm up, then
 *       REPEAT times (the document freed each time) and reports the best and median wall time,
 *       the opcode count (npg_doc_ops), MB/s and Mops/s.
 *
 * Results are printed as "RESULT key=value ..." lines (bench/run turns them into a table).
 * Exit status: 0 on success, 1 when a load fails or the result is not what was expected,
 * 2 on a usage or system error.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "npguard.h"

typedef struct load_result {
    int status;
    uint64_t ops;
    uint64_t alloc_bytes;
    size_t nfindings;        /* findings recorded (scan) */
    int max_severity;        /* highest finding severity, -1 when none */
    npg_kind root_kind;      /* NPG_NONE with root == NULL too; see has_root */
    int has_root;
    size_t root_len;         /* len() of a container root */
    uint64_t array_bytes;    /* array root: data length */
    int array_borrowed;      /* array root: data points into the input */
    const uint8_t *array_data;
    npg_error err;
} load_result;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static long peak_rss_kib(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return -1;
    return ru.ru_maxrss; /* KiB on Linux */
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* One load; fills *r from the document, then frees it. Returns the load's status. */
static int load_once(const npg_ctx *ctx, const uint8_t *buf, size_t len, unsigned flags,
                     load_result *r)
{
    npg_pickle_opts opts = {0};
    opts.flags = flags;
    npg_doc *doc = NULL;
    memset(r, 0, sizeof *r);
    r->max_severity = -1;
    r->status = npg_pickle_load(ctx, buf, len, &opts, &doc, &r->err);
    if (doc) {
        r->ops = npg_doc_ops(doc);
        r->alloc_bytes = npg_doc_alloc_bytes(doc);
        size_t count = 0, total = 0;
        const npg_finding *f = npg_doc_findings(doc, &count, &total);
        r->nfindings = total;
        for (size_t i = 0; i < count; i++)
            if ((int)f[i].severity > r->max_severity) r->max_severity = (int)f[i].severity;
        if (flags & NPG_SCAN) npg_doc_status(doc, &r->err);
        const npg_value *root = npg_doc_root(doc);
        if (root) {
            r->has_root = 1;
            r->root_kind = npg_value_kind(root);
            switch (r->root_kind) {
            case NPG_TUPLE: case NPG_LIST: case NPG_DICT: case NPG_ORDERED_DICT:
            case NPG_SET: case NPG_FROZENSET:
                r->root_len = npg_value_len(root);
                break;
            case NPG_ARRAY:
                r->array_data = npg_array_data(root, &r->array_bytes, &r->array_borrowed);
                break;
            default:
                break;
            }
        }
    }
    npg_doc_free(doc);
    return r->status;
}

static void print_failure(const char *what, const load_result *r)
{
    fprintf(stderr, "bench_pickle: %s: %s (%s) at offset %" PRIu64 ", opcode %d: %s\n", what,
            npg_status_name(r->status), npg_strerror(r->status), r->err.offset, r->err.opcode,
            r->err.message);
}

static int parse_mode(const char *s, unsigned *flags)
{
    if (strcmp(s, "scan") == 0) { *flags = NPG_SCAN; return 0; }
    if (strcmp(s, "decode") == 0) { *flags = 0; return 0; }
    return -1;
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* ------------------------------------------------------------------ residency */

/* Pages of [addr, addr+len) that are in the page cache (mincore), or -1. */
static long resident_pages(void *addr, size_t len, unsigned char *vec)
{
    long psz = sysconf(_SC_PAGESIZE);
    size_t n = (len + (size_t)psz - 1) / (size_t)psz;
    if (mincore(addr, len, vec) != 0) return -1;
    long c = 0;
    for (size_t i = 0; i < n; i++) c += vec[i] & 1;
    return c;
}

/* Rss of the mapping that starts at addr, in KiB, from /proc/self/smaps; -1 if not found. */
static long mapping_rss_kib(const void *addr)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    if (!f) return -1;
    char line[512];
    int in_map = 0;
    long rss = -1;
    unsigned long want = (unsigned long)(uintptr_t)addr;
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2) {
            in_map = lo == want;
            continue;
        }
        long kib;
        if (in_map && sscanf(line, "Rss: %ld kB", &kib) == 1) {
            rss = kib;
            break;
        }
    }
    fclose(f);
    return rss;
}

/* ------------------------------------------------------------------ benchmark 1 */

static int bench_map(const char *path, unsigned flags, const char *mode, int repeat, int drop,
                     int random)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "bench_pickle: %s: %s\n", path, strerror(errno));
        return 2;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size <= 0) {
        fprintf(stderr, "bench_pickle: %s: empty or unreadable\n", path);
        close(fd);
        return 2;
    }
    size_t len = (size_t)st.st_size;
    if (drop) {
        /* Evict the file's pages so that mincore afterwards shows what the load read. A file
         * just written may have dirty pages, which DONTNEED would keep: flush them first. */
        if (fdatasync(fd) != 0)
            fprintf(stderr, "bench_pickle: fdatasync: %s (continuing)\n", strerror(errno));
        int rc = posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
        if (rc != 0) fprintf(stderr, "bench_pickle: posix_fadvise: %s (continuing)\n", strerror(rc));
    }
    void *map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) {
        fprintf(stderr, "bench_pickle: mmap: %s\n", strerror(errno));
        close(fd);
        return 2;
    }
    close(fd);
    if (random && madvise(map, len, MADV_RANDOM) != 0)
        fprintf(stderr, "bench_pickle: madvise: %s (continuing)\n", strerror(errno));
    long psz = sysconf(_SC_PAGESIZE);
    size_t npages = (len + (size_t)psz - 1) / (size_t)psz;
    unsigned char *vec = malloc(npages);
    npg_ctx *ctx = npg_ctx_new(NULL);
    if (!vec || !ctx) {
        fprintf(stderr, "bench_pickle: out of memory\n");
        return 2;
    }

    long res_before = resident_pages(map, len, vec);
    load_result r;
    double t0 = now_s();
    load_once(ctx, map, len, flags, &r);
    double cold = now_s() - t0;
    long res_after = resident_pages(map, len, vec);
    long map_rss = mapping_rss_kib(map);

    int bad = 0;
    if (r.status != NPG_OK) {
        print_failure(mode, &r);
        bad = 1;
    } else if (!r.has_root) {
        fprintf(stderr, "bench_pickle: %s: no root object\n", mode);
        bad = 1;
    }

    double best = cold;
    for (int i = 0; i < repeat && !bad; i++) {
        load_result ri;
        t0 = now_s();
        load_once(ctx, map, len, flags, &ri);
        double dt = now_s() - t0;
        if (dt < best) best = dt;
        if (ri.status != NPG_OK) {
            print_failure(mode, &ri);
            bad = 1;
        }
    }
    long res_end = resident_pages(map, len, vec);
    long peak = peak_rss_kib();

    int in_place = r.array_data && r.array_data >= (const uint8_t *)map &&
                   r.array_data + r.array_bytes <= (const uint8_t *)map + len;
    printf("RESULT bench=array file=%s impl=npguard mode=%s status=%s bytes=%zu ops=%" PRIu64
           " madv=%s cold_ms=%.3f best_ms=%.3f runs=%d pages=%zu resident_before=%ld resident_after=%ld"
           " resident_end=%ld map_rss_kib=%ld rss_kib=%ld alloc_bytes=%" PRIu64
           " root=%s array_bytes=%" PRIu64 " borrowed=%d in_place=%d findings=%zu max_sev=%d\n",
           base_name(path), mode, npg_status_name(r.status), len, r.ops,
           random ? "random" : "normal", cold * 1e3, best * 1e3,
           repeat + 1, npages, res_before, res_after, res_end, map_rss, peak, r.alloc_bytes,
           r.has_root ? npg_kind_name(r.root_kind) : "-", r.array_bytes, r.array_borrowed,
           in_place, r.nfindings, r.max_severity);
    fflush(stdout);
    npg_ctx_free(ctx);
    free(vec);
    munmap(map, len);
    return bad;
}

/* ------------------------------------------------------------------ benchmark 2 */

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "bench_pickle: %s: %s\n", path, strerror(errno));
        return NULL;
    }
    uint8_t *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : (size_t)1 << 20;
            uint8_t *b = realloc(buf, cap);
            if (!b) {
                free(buf);
                fclose(f);
                fprintf(stderr, "bench_pickle: out of memory\n");
                return NULL;
            }
            buf = b;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    int err = ferror(f);
    fclose(f);
    if (err) {
        free(buf);
        fprintf(stderr, "bench_pickle: %s: read error\n", path);
        return NULL;
    }
    *len = n;
    return buf;
}

static int bench_loop(const char *path, unsigned flags, const char *mode, int repeat)
{
    size_t len = 0;
    uint8_t *buf = read_file(path, &len);
    if (!buf) return 2;
    npg_ctx *ctx = npg_ctx_new(NULL);
    double *times = malloc((size_t)repeat * sizeof *times);
    if (!ctx || !times) {
        fprintf(stderr, "bench_pickle: out of memory\n");
        return 2;
    }
    load_result r;
    load_once(ctx, buf, len, flags, &r); /* warm-up; also the run whose details we report */
    int bad = 0;
    if (r.status != NPG_OK) {
        print_failure(mode, &r);
        bad = 1;
    } else if (!r.has_root) {
        fprintf(stderr, "bench_pickle: %s: no root object\n", mode);
        bad = 1;
    }
    int runs = 0;
    for (int i = 0; i < repeat && !bad; i++) {
        load_result ri;
        double t0 = now_s();
        load_once(ctx, buf, len, flags, &ri);
        times[runs++] = now_s() - t0;
        if (ri.status != NPG_OK || ri.ops != r.ops) {
            print_failure(mode, &ri);
            bad = 1;
        }
    }
    double best = 0, med = 0;
    if (runs) {
        qsort(times, (size_t)runs, sizeof *times, cmp_double);
        best = times[0];
        med = times[runs / 2];
    }
    printf("RESULT bench=dicts file=%s impl=npguard mode=%s status=%s bytes=%zu ops=%" PRIu64
           " items=%zu best_ms=%.2f median_ms=%.2f runs=%d mb_s=%.1f mops_s=%.1f"
           " alloc_bytes=%" PRIu64 " rss_kib=%ld findings=%zu max_sev=%d\n",
           base_name(path), mode, npg_status_name(r.status), len, r.ops, r.root_len, best * 1e3,
           med * 1e3, runs, best > 0 ? (double)len / best / 1e6 : 0.0,
           best > 0 ? (double)r.ops / best / 1e6 : 0.0, r.alloc_bytes, peak_rss_kib(),
           r.nfindings, r.max_severity);
    fflush(stdout);
    free(times);
    npg_ctx_free(ctx);
    free(buf);
    return bad;
}

/* ------------------------------------------------------------------ main */

static int usage(void)
{
    fprintf(stderr,
            "usage: bench_pickle map  FILE scan|decode [REPEAT] [--no-drop] [--madv-random]\n"
            "       bench_pickle loop FILE scan|decode [REPEAT]\n");
    return 2;
}

int main(int argc, char **argv)
{
    int drop = 1, random = 0;
    const char *pos[4] = {NULL, NULL, NULL, NULL};
    int npos = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--no-drop") == 0) drop = 0;
        else if (strcmp(argv[i], "--madv-random") == 0) random = 1;
        else if (npos < 4) pos[npos++] = argv[i];
        else return usage();
    }
    if (npos < 3) return usage();
    unsigned flags;
    if (parse_mode(pos[2], &flags) != 0) return usage();
    int repeat = 10;
    if (npos == 4) {
        char *end;
        long v = strtol(pos[3], &end, 10);
        if (*end || v < 1 || v > 100000) return usage();
        repeat = (int)v;
    }
    if (strcmp(pos[0], "map") == 0) return bench_map(pos[1], flags, pos[2], repeat, drop, random);
    if (strcmp(pos[0], "loop") == 0) return bench_loop(pos[1], flags, pos[2], repeat);
    return usage();
}
