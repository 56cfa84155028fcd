/* PATH arguments to the list of files to scan, in order: each argument in turn; a directory is
 * walked depth-first with each directory's entries sorted by name (bytewise), so the list is in
 * sorted path order. The walk keeps an explicit stack (no recursion, whatever the depth on disk),
 * does not follow symbolic links, skips special files (FIFOs would block, devices never end), and
 * stops descending at MAX_DEPTH. A directory that cannot be read becomes an error item, reported
 * like an unreadable file. Named arguments are always scanned (symlinks followed: the user named
 * them); --include/--exclude apply inside directories. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scan_job.h"

enum { MAX_DEPTH = 256 };

scan_item *scan_list_add(scan_list *l, const char *path)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        scan_item *v = realloc(l->v, cap * sizeof *v);
        if (!v) return NULL;
        l->v = v;
        l->cap = cap;
    }
    char *p = strdup(path);
    if (!p) return NULL;
    scan_item *it = &l->v[l->n++];
    memset(it, 0, sizeof *it);
    it->path = p;
    atomic_init(&it->done, false);
    return it;
}

void scan_list_free(scan_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].path);
        npg_audit_free(l->v[i].audit);
    }
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

static bool matches(const strlist *globs, const char *rel)
{
    const char *base = strrchr(rel, '/');
    base = base ? base + 1 : rel;
    for (size_t i = 0; i < globs->n; i++)
        if (fnmatch(globs->v[i], rel, 0) == 0 || fnmatch(globs->v[i], base, 0) == 0) return true;
    return false;
}

static bool wanted(const scan_opts *o, const char *rel, bool is_dir)
{
    if (matches(&o->exclude, rel)) return false;
    return is_dir || o->include.n == 0 || matches(&o->include, rel);
}

/* One pending entry of the walk: a file to list or a directory to open. */
typedef struct node {
    char *rel;  /* path relative to the argument ("" for the argument itself) */
    int depth;
    bool is_dir;
} node;

typedef struct walk {
    const scan_opts *o;
    const char *root;
    scan_list *out;
    node *stack;
    size_t n, cap;
} walk;

static int push(walk *w, char *rel, int depth, bool is_dir)
{
    if (w->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 64;
        node *s = realloc(w->stack, cap * sizeof *s);
        if (!s) return -1;
        w->stack = s;
        w->cap = cap;
    }
    w->stack[w->n++] = (node){rel, depth, is_dir};
    return 0;
}

static char *join(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    bool slash = na && a[na - 1] != '/' && nb;
    char *p = malloc(na + slash + nb + 1);
    if (!p) return NULL;
    memcpy(p, a, na);
    if (slash) p[na] = '/';
    memcpy(p + na + slash, b, nb + 1);
    return p;
}

/* Add an error item for path; -1 out of memory. */
static int error_item(walk *w, const char *path, int err, const char *what)
{
    scan_item *it = scan_list_add(w->out, path);
    if (!it) return -1;
    it->state = ITEM_ERROR;
    it->err = err;
    it->what = what;
    return 0;
}

/* Kind of entry name in the open directory dfd: 1 directory, 2 regular file, 0 anything else
 * (symbolic links included: never followed). */
static int kind(int dfd, const struct dirent *e)
{
    unsigned char t = e->d_type;
    if (t == DT_UNKNOWN) {
        struct stat st;
        if (fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) return 2; /* reported when read */
        t = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN;
    }
    return t == DT_DIR ? 1 : t == DT_REG ? 2 : 0;
}

typedef struct child {
    char *rel;
    bool is_dir;
} child;

static int cmp_child(const void *a, const void *b)
{
    return strcmp(((const child *)a)->rel, ((const child *)b)->rel);
}

/* The wanted entries of directory rel, sorted; -1 out of memory, 1 not readable (errno set). */
static int list_dir(walk *w, const char *rel, child **out, size_t *n)
{
    char *full = join(w->root, rel);
    if (!full) return -1;
    DIR *d = opendir(full);
    int err = errno;
    free(full);
    if (!d) return errno = err, 1;
    child *v = NULL;
    size_t k = 0, cap = 0;
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (errno = 0, e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        int t = kind(dirfd(d), e);
        char *r = t ? join(rel, e->d_name) : NULL;
        if (t && !r) rc = -1;
        if (!r || !wanted(w->o, r, t == 1)) {
            free(r);
            continue;
        }
        if (k == cap) {
            child *g = realloc(v, (cap = cap ? cap * 2 : 32) * sizeof *v);
            if (!g) { free(r); rc = -1; break; }
            v = g;
        }
        v[k++] = (child){r, t == 1};
    }
    if (rc == 0 && errno) rc = 1, err = errno;
    closedir(d);
    if (rc) {
        while (k) free(v[--k].rel);
        free(v);
        return errno = err, rc;
    }
    if (k) qsort(v, k, sizeof *v, cmp_child);
    *out = v;
    *n = k;
    return 0;
}

static int expand(walk *w, node *nd)
{
    child *v = NULL;
    size_t k = 0;
    char *full = join(w->root, nd->rel);
    if (!full) return -1;
    bool deep = nd->depth >= MAX_DEPTH;
    int rc = deep ? 1 : list_dir(w, nd->rel, &v, &k);
    if (rc == 1)
        rc = deep ? error_item(w, full, 0, "directory nested too deep (256 levels): not walked")
                  : error_item(w, full, errno, "cannot read directory");
    free(full);
    for (size_t i = k; rc == 0 && i-- > 0;) { /* reversed: the stack pops them in order */
        rc = push(w, v[i].rel, nd->depth + 1, v[i].is_dir);
        if (rc == 0) v[i].rel = NULL;
    }
    for (size_t i = 0; i < k; i++) free(v[i].rel);
    free(v);
    return rc;
}

static int walk_dir(const scan_opts *o, const char *root, scan_list *out)
{
    walk w = {o, root, out, NULL, 0, 0};
    char *top = strdup("");
    int rc = top ? push(&w, top, 0, true) : -1;
    while (rc == 0 && w.n) {
        node nd = w.stack[--w.n];
        if (nd.is_dir) {
            rc = expand(&w, &nd);
        } else {
            char *full = join(root, nd.rel);
            rc = full && scan_list_add(out, full) ? 0 : -1;
            free(full);
        }
        free(nd.rel);
    }
    while (w.n) free(w.stack[--w.n].rel);
    free(w.stack);
    return rc;
}

int scan_collect(const scan_opts *o, scan_list *out)
{
    for (size_t i = 0; i < o->paths.n; i++) {
        const char *p = o->paths.v[i];
        struct stat st;
        if (strcmp(p, "-") == 0) {
            scan_item *it = scan_list_add(out, p);
            if (!it) return -1;
            it->is_stdin = true;
        } else if (stat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
            if (walk_dir(o, p, out) != 0) return -1;
        } else if (!scan_list_add(out, p)) { /* files, and errors: reported when read */
            return -1;
        }
    }
    return 0;
}
