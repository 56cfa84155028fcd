/* npguard convert: arrays out of pickles, .npy and .npz files into pickle-free .npy/.npz files.
 *
 *   convert.c          arguments, and the order of the steps
 *   convert_inputs.c   each input, sniffed and validated by the library, becomes entries
 *   convert_walk.c     the arrays of a decoded pickle, keyed by their path in the tree
 *   convert_keys.c     key components: escaping, integer keys, duplicates; adding entries
 *   convert_produce.c  the bytes of a .npy (one entry) or a .npz (all entries)
 *   convert_out.c      .npy / .npz / directory output
 *   convert_publish.c  temporary file, fsync, validation, then rename (no clobbering)
 *
 * Exit statuses as the rest of the program: 1 when an input is refused or cannot be converted,
 * 2 for usage and I/O errors (an existing OUT without --force is one). */
#ifndef NPG_CLI_CONVERT_H
#define NPG_CLI_CONVERT_H

#include "cli.h"

/* Member names are at most 255 bytes; ".npy" takes 4. */
enum { CONV_KEY_MAX = 251 };

/* One array to write: key (a member name without ".npy", already safe) and where it came from. */
typedef struct conv_entry {
    char *key;               /* malloc'd */
    const npg_value *array;  /* owned by a document of an input */
    const char *source;      /* input path, for messages */
} conv_entry;

typedef struct conv_input {
    const char *path;
    mapped m;
    int is_mapped;
    npg_doc *doc;            /* pickle or .npy */
    npg_zip *zip;            /* .npz */
    npg_doc **members;       /* .npz: one document per member */
    size_t nmembers;
} conv_input;

typedef enum conv_kind { CONV_NPY, CONV_NPZ, CONV_DIR } conv_kind;

typedef struct conv_job {
    npg_ctx *ctx;
    conv_input *in;
    size_t nin;
    conv_entry *e;
    size_t n, cap;
    const char *out;
    conv_kind kind;
    int force, compress;
    size_t left_out;         /* values in pickles that are neither arrays nor containers */
} conv_job;

/* convert_inputs.c: load input i (sniffed by content; validated; refused inputs print their
 * error) and append its arrays. Returns an exit status (0 to go on). */
int conv_load_input(conv_job *job, conv_input *in);
void conv_release_inputs(conv_job *job);

/* convert_walk.c: the arrays of a decoded pickle's tree. 0 or an exit status (printed). */
int conv_walk_pickle(conv_job *job, const npg_value *root, const char *source);

/* convert_keys.c */
/* Append the escaped form of a str key's UTF-8 bytes to buf[*len..cap). -1 when it does not fit,
 * -2 when the key is empty (it cannot name a path component). */
int conv_key_str(char *buf, size_t *len, size_t cap, const uint8_t *s, size_t n);
/* A file name as a key: its last path component without ".npy", escaped. NULL on failure. */
char *conv_key_from_path(const char *path);
/* 0 when all keys differ; else prints the clash and returns EXIT_FINDINGS. */
int conv_check_unique(conv_job *job);
/* Append an entry (takes ownership of key). 0, or EXIT_USAGE when out of memory. */
int conv_add(conv_job *job, char *key, const npg_value *array, const char *source);
/* Whether an array can be written to .npy without a pickle; the reason when not. */
int conv_array_ok(const npg_value *a, const char **why);

/* convert_produce.c: npg_write_fn producers, in the shape conv_publish takes (conv_produce_fn):
 * conv_produce_npy writes the conv_entry ud as .npy, conv_produce_npz the conv_job ud's entries
 * as a .npz (deflated when job->compress). */
int conv_produce_npy(void *ud, npg_write_fn write, void *wud, npg_error *err);
int conv_produce_npz(void *ud, npg_write_fn write, void *wud, npg_error *err);

/* convert_out.c: write the entries as job->kind says. Exit status. */
int conv_write(conv_job *job);

/* convert_publish.c: produce OUT's bytes into a temporary file in OUT's directory, fsync it,
 * validate it with the library (as .npy when npz is 0, else as .npz), then move it to OUT
 * without replacing an existing file unless force. Exit status; errors printed. */
typedef int (*conv_produce_fn)(void *ud, npg_write_fn write, void *wud, npg_error *err);
int conv_publish(const npg_ctx *ctx, const char *out, int force, int npz, conv_produce_fn produce, void *ud);
/* 1 when path exists (also as a dangling symlink). */
int conv_exists(const char *path);

#endif
