/* Shared pieces of the npguard program: file mapping, error printing, and the subcommands.
 * The program uses only include/npguard.h; every decision comes from the library. */
#ifndef NPG_CLI_H
#define NPG_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "npguard.h"

/* Exit statuses: 0 everything ok, 1 unsafe/invalid/unknown input, 2 usage or I/O error. */
enum { EXIT_OK = 0, EXIT_FINDINGS = 1, EXIT_USAGE = 2 };

typedef struct mapped {
    const uint8_t *data;
    size_t len;
    int mapped;
} mapped;

/* Map a regular file read-only (array bytes are then referenced in place). -1 with errno set. */
int cli_map_file(const char *path, mapped *m);
void cli_unmap_file(mapped *m);
/* npg_write_fn that writes to the FILE * passed as ud. */
int cli_write_file(void *ud, const void *data, size_t len);
/* "<path>: NPG_E_X at offset N in OPCODE [member M]: message" on stderr. */
void cli_print_error(const char *path, const npg_error *err);

/* show_common.c: the format by magic bytes (pickle when none matches), and text forms of a
 * shape "(2, 3)" and of an array's dtype and shape. */
npg_format cli_sniff(const uint8_t *p, size_t n);
void cli_shape_str(char *buf, size_t cap, size_t ndim, const uint64_t *shape);
void cli_array_desc(const npg_value *a, char *dtype, size_t dcap, char *shape, size_t scap);
/* show_npy.c, show_npz.c: the show command for each format; exit status. */
int cli_show_npy(const char *path, const npg_ctx *ctx, const mapped *m);
int cli_show_npz(const char *path, const npg_ctx *ctx, const mapped *m);

/* Map path, make a default context, run fn, release both: returns fn's exit status, or
 * EXIT_USAGE (with a message) when the file cannot be read. */
typedef int (*cli_file_fn)(const char *path, const npg_ctx *ctx, const mapped *m);
int cli_run_on_file(const char *path, cli_file_fn fn);

int cmd_show(int argc, char **argv);
int cmd_scan(int argc, char **argv);
int cmd_dis(int argc, char **argv);
int cmd_convert(int argc, char **argv);

#endif
