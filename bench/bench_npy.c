/* bench_npy: validating a large .npy costs O(header), not O(data).
 *
 *   bench_npy FILE [--mib N] [--repeat N] [--python PY] [--no-numpy]
 *
 * FILE is created when it does not exist: N MiB (default 512) of float64 from a fixed seed,
 * written by NumPy's np.save through PY (default /usr/bin/python3, which has NumPy). Then:
 *
 *   1. FILE is mapped read-only (plain mmap, no MAP_POPULATE) after its pages were evicted from
 *      the page cache (fdatasync + POSIX_FADV_DONTNEED), with MADV_RANDOM so that a fault reads
 *      only its own page. One npg_npy_load on that cold mapping, then REPEAT more on the warm one.
 *      Reported: the cold and the best warm time in microseconds, and the pages of the mapping
 *      resident before and after the first load (mincore), out of all of them.
 *   2. The same through PY: numpy.load(FILE) (reads all the data; page cache warm, best of 3) and
 *      numpy.load(FILE, mmap_mode='r') (header parse + mmap; best of REPEAT).
 *
 * Output: "RESULT key=value ..." lines, one per measurement. Exit status 0 on success, 1 when a
 * load fails, 2 on a usage or system error. Linux only (mincore, posix_fadvise). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "npguard.h"

typedef struct options {
    const char *file;
    const char *python;
    unsigned mib;
    unsigned repeat;
    int numpy;
} options;

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec * 1e-3;
}

static int usage(void)
{
    fprintf(stderr, "usage: bench_npy FILE [--mib N] [--repeat N] [--python PY] [--no-numpy]\n");
    return 2;
}

static int parse_args(int argc, char **argv, options *o)
{
    o->file = NULL;
    o->python = "/usr/bin/python3";
    o->mib = 512;
    o->repeat = 20;
    o->numpy = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--mib") == 0 && i + 1 < argc) o->mib = (unsigned)strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc) o->repeat = (unsigned)strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--python") == 0 && i + 1 < argc) o->python = argv[++i];
        else if (strcmp(argv[i], "--no-numpy") == 0) o->numpy = 0;
        else if (argv[i][0] != '-' && !o->file) o->file = argv[i];
        else return -1;
    }
    return o->file && o->mib > 0 && o->repeat > 0 ? 0 : -1;
}

/* Run a Python snippet (argv-style: no shell) and pass its stdout through. */
static int run_python(const options *o, const char *code, const char *arg1, const char *arg2)
{
    char cmd[8192];
    /* the only interpolated strings are paths and numbers we were given; quote them for sh */
    if (strchr(o->python, '\'') || strchr(arg1, '\'') || strchr(arg2, '\'')) return -1;
    snprintf(cmd, sizeof cmd, "'%s' -c \"$NPG_BENCH_PY\" '%s' '%s'", o->python, arg1, arg2);
    if (setenv("NPG_BENCH_PY", code, 1) != 0) return -1;
    int rc = system(cmd);
    return rc == 0 ? 0 : -1;
}

static const char gen_py[] =
    "import sys, numpy as np\n"
    "n = int(sys.argv[2]) * (1 << 20) // 8\n"
    "a = np.random.default_rng(20240531).random(n)\n"
    "np.save(sys.argv[1], a)\n";

static const char numpy_py[] =
    "import sys, time, numpy as np\n"
    "f, repeat = sys.argv[1], int(sys.argv[2])\n"
    "def best(fn, k):\n"
    "    t = []\n"
    "    for _ in range(k):\n"
    "        t0 = time.perf_counter(); r = fn(); t.append(time.perf_counter() - t0); del r\n"
    "    return min(t) * 1e6\n"
    "open(f, 'rb').read()  # warm the page cache: numpy's best case\n"
    "full = best(lambda: np.load(f), 3)\n"
    "mm = best(lambda: np.load(f, mmap_mode='r'), repeat)\n"
    "print('RESULT impl=numpy mode=load best_us=%.1f' % full)\n"
    "print('RESULT impl=numpy mode=load_mmap best_us=%.1f' % mm)\n"
    "print('RESULT impl=numpy version=%s' % np.__version__)\n";

static int ensure_file(const options *o)
{
    struct stat st;
    char mib[16];
    if (stat(o->file, &st) == 0) return 0;
    fprintf(stderr, "bench_npy: writing %s (%u MiB) with %s\n", o->file, o->mib, o->python);
    snprintf(mib, sizeof mib, "%u", o->mib);
    return run_python(o, gen_py, o->file, mib);
}

/* Evict FILE's pages so that the first load starts cold. */
static void drop_cache(int fd)
{
    fdatasync(fd);
    posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
}

static size_t resident_pages(void *p, size_t len, size_t page, unsigned char *vec)
{
    size_t n = (len + page - 1) / page, count = 0;
    if (mincore(p, len, vec) != 0) return (size_t)-1;
    for (size_t i = 0; i < n; i++) count += vec[i] & 1;
    return count;
}

static int load_once(const npg_ctx *ctx, const uint8_t *p, size_t len, double *us, uint64_t *nbytes)
{
    npg_doc *doc;
    npg_error err;
    double t0 = now_us();
    int rc = npg_npy_load(ctx, p, len, 0, &doc, &err);
    *us = now_us() - t0;
    if (rc != NPG_OK) {
        fprintf(stderr, "bench_npy: %s at %" PRIu64 ": %s\n", npg_status_name(rc), err.offset, err.message);
        return -1;
    }
    int borrowed;
    npg_array_data(npg_doc_root(doc), nbytes, &borrowed);
    npg_doc_free(doc);
    return borrowed ? 0 : -1;
}

static int bench_npguard(const options *o)
{
    int fd = open(o->file, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        fprintf(stderr, "bench_npy: %s: %s\n", o->file, strerror(errno));
        return 2;
    }
    size_t len = (size_t)st.st_size, page = (size_t)sysconf(_SC_PAGESIZE);
    drop_cache(fd);
    uint8_t *p = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
        fprintf(stderr, "bench_npy: mmap: %s\n", strerror(errno));
        return 2;
    }
    madvise(p, len, MADV_RANDOM);
    unsigned char *vec = malloc((len + page - 1) / page);
    npg_ctx *ctx = npg_ctx_new(NULL);
    if (!vec || !ctx) return 2;
    size_t before = resident_pages(p, len, page, vec);
    double cold, best = 1e30, t;
    uint64_t nbytes = 0;
    int rc = load_once(ctx, p, len, &cold, &nbytes);
    size_t after = resident_pages(p, len, page, vec);
    for (unsigned i = 0; rc == 0 && i < o->repeat; i++) {
        rc = load_once(ctx, p, len, &t, &nbytes);
        if (t < best) best = t;
    }
    if (rc == 0)
        printf("RESULT impl=npguard mode=npy_load file_bytes=%zu data_bytes=%" PRIu64 " cold_us=%.1f best_us=%.2f "
               "pages=%zu resident_before=%zu resident_after=%zu\n",
               len, nbytes, cold, best, (len + page - 1) / page, before, after);
    npg_ctx_free(ctx);
    free(vec);
    munmap(p, len);
    close(fd);
    return rc == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    options o;
    char repeat[16];
    if (parse_args(argc, argv, &o) != 0) return usage();
    if (ensure_file(&o) != 0) {
        fprintf(stderr, "bench_npy: cannot create %s\n", o.file);
        return 2;
    }
    int rc = bench_npguard(&o);
    fflush(stdout);
    if (rc == 0 && o.numpy) {
        snprintf(repeat, sizeof repeat, "%u", o.repeat);
        if (run_python(&o, numpy_py, o.file, repeat) != 0) {
            fprintf(stderr, "bench_npy: the NumPy measurement failed\n");
            rc = 1;
        }
    }
    return rc;
}
