/* bench_zip: what full .npz validation costs next to zlib alone.
 *
 *   bench_zip ARCHIVE.npz [REPEAT]
 *
 * ARCHIVE is read into memory once (make it with tests/gen/make_zip.py --bench-archive). Timed,
 * best of REPEAT (default 5) runs each:
 *   npguard     npg_zip_open + npg_zip_read of every member into a no-op callback: the whole
 *               structural check, bounded inflate, size/ratio caps and CRC-32 of every member
 *   zlib-chunk  the minimal loop: raw inflate of each member into a 64 KiB buffer + crc32
 *   zlib-whole  raw inflate of each member in one call into a buffer as large as the biggest
 *               member (allocated and touched beforehand) + one crc32 over it
 * and the ratio npguard / fastest zlib loop, which must stay <= 1.2. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "npguard.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = n > 0 ? malloc((size_t)n) : NULL;
    if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
        free(p);
        p = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return p;
}

static int sink(void *ud, const void *data, size_t n)
{
    (void)data;
    *(uint64_t *)ud += n;
    return 0;
}

/* npguard: open + read every member. Returns bytes streamed, 0 on failure. */
static uint64_t run_npguard(const npg_ctx *ctx, const uint8_t *buf, size_t len)
{
    npg_zip *z;
    npg_error err;
    if (npg_zip_open(ctx, buf, len, 0, &z, &err) != NPG_OK) {
        fprintf(stderr, "npg_zip_open: %s: %s\n", npg_status_name(err.code), err.message);
        return 0;
    }
    uint64_t total = 0;
    for (size_t i = 0; i < npg_zip_count(z); i++) {
        if (npg_zip_read(z, i, sink, &total, &err) != NPG_OK) {
            fprintf(stderr, "npg_zip_read %s: %s: %s\n", err.member, npg_status_name(err.code), err.message);
            total = 0;
            break;
        }
    }
    npg_zip_free(z);
    return total;
}

/* The baseline: nothing but zlib, member by member, 64 KiB output chunks. */
static uint64_t run_zlib_chunked(const uint8_t *buf, const npg_zip *z)
{
    static uint8_t out[64 * 1024];
    uint64_t total = 0;
    z_stream s;
    memset(&s, 0, sizeof s);
    if (inflateInit2(&s, -MAX_WBITS) != Z_OK) return 0;
    for (size_t i = 0; i < npg_zip_count(z); i++) {
        const npg_zip_member *m = npg_zip_member_at(z, i);
        uLong crc = crc32(0, NULL, 0);
        if (m->method == 0) {
            crc = crc32_z(crc, buf + m->data_offset, m->csize);
            total += m->csize;
        } else {
            inflateReset(&s);
            s.next_in = (Bytef *)(uintptr_t)(buf + m->data_offset);
            s.avail_in = (uInt)m->csize;
            int zr;
            do {
                s.next_out = out;
                s.avail_out = sizeof out;
                zr = inflate(&s, Z_NO_FLUSH);
                size_t got = sizeof out - s.avail_out;
                crc = crc32_z(crc, out, got);
                total += got;
            } while (zr == Z_OK);
            if (zr != Z_STREAM_END) total = 0;
        }
        if (crc != m->crc32) total = 0;
        if (!total) break;
    }
    inflateEnd(&s);
    return total;
}

/* The same with the whole member inflated in one call (needs usize bytes of memory). */
static uint64_t run_zlib_whole(const uint8_t *buf, const npg_zip *z, uint8_t *out)
{
    uint64_t total = 0;
    z_stream s;
    memset(&s, 0, sizeof s);
    if (inflateInit2(&s, -MAX_WBITS) != Z_OK) return 0;
    for (size_t i = 0; i < npg_zip_count(z); i++) {
        const npg_zip_member *m = npg_zip_member_at(z, i);
        const uint8_t *data = buf + m->data_offset;
        if (m->method != 0) {
            inflateReset(&s);
            s.next_in = (Bytef *)(uintptr_t)data;
            s.avail_in = (uInt)m->csize;
            s.next_out = out;
            s.avail_out = (uInt)m->usize;
            if (inflate(&s, Z_FINISH) != Z_STREAM_END) return 0;
            data = out;
        }
        if (crc32_z(0, data, m->usize) != m->crc32) return 0;
        total += m->usize;
    }
    inflateEnd(&s);
    return total;
}

enum { NPGUARD, CHUNKED, WHOLE, NRUNS };

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s ARCHIVE.npz [REPEAT]\n", argv[0]);
        return 2;
    }
    int repeat = argc > 2 ? atoi(argv[2]) : 5;
    size_t len;
    uint8_t *buf = slurp(argv[1], &len);
    if (!buf) {
        fprintf(stderr, "%s: cannot read\n", argv[1]);
        return 2;
    }
    npg_ctx *ctx = npg_ctx_new(NULL);
    npg_zip *z;
    npg_error err;
    if (npg_zip_open(ctx, buf, len, 0, &z, &err) != NPG_OK) {
        fprintf(stderr, "%s: %s: %s\n", argv[1], npg_status_name(err.code), err.message);
        return 1;
    }
    uint64_t usize = 0, biggest = 0;
    for (size_t i = 0; i < npg_zip_count(z); i++) {
        const npg_zip_member *m = npg_zip_member_at(z, i);
        usize += m->usize;
        if (m->usize > biggest) biggest = m->usize;
    }
    uint8_t *whole = malloc(biggest ? biggest : 1);
    memset(whole, 0, biggest); /* touched: page faults are not part of the measurement */
    double best[NRUNS] = {1e30, 1e30, 1e30};
    uint64_t got[NRUNS] = {0};
    for (int r = 0; r < repeat; r++) {
        double t = now();
        got[NPGUARD] = run_npguard(ctx, buf, len);
        t = now() - t;
        if (t < best[NPGUARD]) best[NPGUARD] = t;
        t = now();
        got[CHUNKED] = run_zlib_chunked(buf, z);
        t = now() - t;
        if (t < best[CHUNKED]) best[CHUNKED] = t;
        t = now();
        got[WHOLE] = run_zlib_whole(buf, z, whole);
        t = now() - t;
        if (t < best[WHOLE]) best[WHOLE] = t;
    }
    for (int k = 0; k < NRUNS; k++) {
        if (got[k] != usize) {
            fprintf(stderr, "run %d streamed %llu of %llu bytes\n", k, (unsigned long long)got[k],
                    (unsigned long long)usize);
            return 1;
        }
    }
    double open_best = 1e30;
    for (int r = 0; r < repeat; r++) {
        npg_zip *z2;
        double t = now();
        npg_zip_open(ctx, buf, len, 0, &z2, &err);
        t = now() - t;
        npg_zip_free(z2);
        if (t < open_best) open_best = t;
    }
    double base = best[CHUNKED] < best[WHOLE] ? best[CHUNKED] : best[WHOLE];
    printf("archive: %s, %zu members, %.1f MB compressed, %.1f MB uncompressed\n", argv[1], npg_zip_count(z),
           (double)len / 1e6, (double)usize / 1e6);
    printf("npguard open only:               %8.3f ms\n", open_best * 1e3);
    printf("npguard open + read all:         %8.1f ms  %7.1f MB/s\n", best[NPGUARD] * 1e3,
           (double)usize / 1e6 / best[NPGUARD]);
    printf("zlib inflate+crc32, 64 KiB:      %8.1f ms  %7.1f MB/s\n", best[CHUNKED] * 1e3,
           (double)usize / 1e6 / best[CHUNKED]);
    printf("zlib inflate+crc32, whole member:%8.1f ms  %7.1f MB/s\n", best[WHOLE] * 1e3,
           (double)usize / 1e6 / best[WHOLE]);
    double ratio = best[NPGUARD] / base;
    printf("ratio npguard / fastest zlib loop: %.3f (target <= 1.2, best of %d)\n", ratio, repeat);
    npg_zip_free(z);
    npg_ctx_free(ctx);
    free(whole);
    free(buf);
    return ratio <= 1.2 ? 0 : 3;
}
