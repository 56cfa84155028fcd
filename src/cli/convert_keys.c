/* Keys of the arrays convert writes. A key is a path of components joined by '/': the zip member
 * name (plus ".npy") and, for directory output, the file's path. numpy.load gives it back
 * verbatim as the key of the NpzFile. Components must be safe zip names for the strict reader
 * (src/zip/zip_name.c) and unambiguous, so a str key is escaped as %XX for: '%' itself, '/', '\',
 * ':', control bytes and DEL, bytes that are not strict UTF-8 (lone surrogates, C1 controls), and
 * the whole components "." and ".." (%2E). Everything else, non-ASCII letters included, stays. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convert.h"

/* Length of a strict UTF-8 sequence of two to four bytes at s[0..n) that the zip reader accepts
 * (no overlong form, surrogate, C1 control or code point above U+10FFFF), else 0. */
static size_t utf8_len(const uint8_t *s, size_t n)
{
    uint32_t cp, min;
    size_t k;
    if (s[0] >= 0xC2 && s[0] <= 0xDF) k = 2, cp = s[0] & 0x1Fu, min = 0xA0; /* U+0080..9F are C1 */
    else if (s[0] >= 0xE0 && s[0] <= 0xEF) k = 3, cp = s[0] & 0x0Fu, min = 0x800;
    else if (s[0] >= 0xF0 && s[0] <= 0xF4) k = 4, cp = s[0] & 0x07u, min = 0x10000;
    else return 0;
    if (n < k) return 0;
    for (size_t i = 1; i < k; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        cp = cp << 6 | (s[i] & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return k;
}

static int append(char *buf, size_t *len, size_t cap, const void *s, size_t n)
{
    if (n >= cap - *len) return -1;
    memcpy(buf + *len, s, n);
    *len += n;
    buf[*len] = '\0';
    return 0;
}

static int append_escape(char *buf, size_t *len, size_t cap, uint8_t c)
{
    char e[4];
    snprintf(e, sizeof e, "%%%02X", c);
    return append(buf, len, cap, e, 3);
}

int conv_key_str(char *buf, size_t *len, size_t cap, const uint8_t *s, size_t n)
{
    if (n == 0) return -2;
    if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
        return append(buf, len, cap, n == 1 ? "%2E" : "%2E%2E", 3 * n);
    for (size_t i = 0; i < n;) {
        uint8_t c = s[i];
        size_t k = c >= 0x80 ? utf8_len(s + i, n - i) : 1;
        int plain = c >= 0x80 ? k > 0 : c >= 0x20 && c < 0x7F && !strchr("%/\\:", c);
        int rc = plain ? append(buf, len, cap, s + i, k) : append_escape(buf, len, cap, c);
        if (rc) return rc;
        i += plain ? k : 1;
    }
    return 0;
}

char *conv_key_from_path(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    if (n > 4 && strcmp(base + n - 4, ".npy") == 0) n -= 4;
    char key[CONV_KEY_MAX + 1];
    size_t len = 0;
    key[0] = '\0';
    if (conv_key_str(key, &len, sizeof key, (const uint8_t *)base, n) != 0) return NULL;
    return strdup(key);
}

static int by_key(const void *a, const void *b)
{
    return strcmp(((const conv_entry *)a)->key, ((const conv_entry *)b)->key);
}

int conv_check_unique(conv_job *job)
{
    conv_entry *sorted = malloc(job->n * sizeof *sorted + 1);
    if (!sorted) {
        fprintf(stderr, "npguard: out of memory\n");
        return EXIT_USAGE;
    }
    if (job->n) memcpy(sorted, job->e, job->n * sizeof *sorted);
    qsort(sorted, job->n, sizeof *sorted, by_key);
    int rc = EXIT_OK;
    for (size_t i = 1; i < job->n && rc == EXIT_OK; i++) {
        if (strcmp(sorted[i - 1].key, sorted[i].key) != 0) continue;
        fprintf(stderr, "npguard: cannot convert: two arrays would be named '%s' (from %s and %s)\n",
                sorted[i].key, sorted[i - 1].source, sorted[i].source);
        rc = EXIT_FINDINGS;
    }
    free(sorted);
    return rc;
}

/* .npy and .npz as numpy.load(allow_pickle=False) reads them hold plain data only: object
 * elements would need a pickle, and a MaskedArray's mask has no place in the format (np.save
 * would silently drop it), so both are refused rather than changed. A structured dtype whose
 * fields overlap or are out of order has no .npy descr (np.save refuses it too); refusing it
 * here, before anything is written, keeps a directory output from being left half done. */
int conv_array_ok(const npg_value *a, const char **why)
{
    if (npg_dtype_has_object(npg_array_dtype(a))) {
        *why = "an object array (its elements are Python objects: .npy can hold them only as a pickle)";
        return 0;
    }
    if (npg_array_class_of(a) == NPG_CLASS_MASKED) {
        *why = "a masked array (.npy has no place for the mask; write data and mask explicitly)";
        return 0;
    }
    if (npg_dtype_descr(npg_array_dtype(a), NULL, 0) == 0) {
        *why = "a structured dtype with overlapping or out-of-order fields (a .npy header cannot describe it)";
        return 0;
    }
    return 1;
}

/* At most limits.max_zip_members arrays: a pickle can share one array from many places.
 * key NULL: strdup failed. */
int conv_add(conv_job *job, char *key, const npg_value *array, const char *source)
{
    if (!key) return fprintf(stderr, "npguard: out of memory\n"), EXIT_USAGE;
    npg_limits lim;
    npg_ctx_get_limits(job->ctx, &lim);
    if (job->n >= lim.max_zip_members) {
        fprintf(stderr, "%s: cannot convert: more than %zu arrays\n", source, lim.max_zip_members);
        free(key);
        return EXIT_FINDINGS;
    }
    if (job->n == job->cap) {
        size_t cap = job->cap ? 2 * job->cap : 16;
        conv_entry *e = realloc(job->e, cap * sizeof *e);
        if (!e) {
            free(key);
            fprintf(stderr, "npguard: out of memory\n");
            return EXIT_USAGE;
        }
        job->e = e;
        job->cap = cap;
    }
    job->e[job->n++] = (conv_entry){key, array, source};
    return EXIT_OK;
}
