/* The arrays of a decoded pickle, each keyed by its path in the container tree: dict entries by
 * their key (str as is, escaped; int in decimal), list and tuple items by index, joined by '/'
 * ("list/2", "a/b/0"); an array at the root is "arr_0", as np.savez names an unnamed array.
 * A dict key of another type is refused, but only when an array lies below it. Sets cannot hold
 * arrays (unhashable); scalars, strings and numbers are not arrays and are left out.
 *
 * Iterative, with an explicit stack: max_depth counts nesting as built, so a pickle that fills
 * containers after nesting them (through the memo) can nest as deep as it is long. A container that
 * is its own ancestor (a cycle) is not entered again, and the walk is bounded in steps, since a
 * pickle's memo can share one list many times over (a DAG whose paths grow exponentially). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "convert.h"

enum { PATH_CAP = 1024, MAX_STEPS = 1 << 24 };

typedef struct frame {
    const npg_value *v;
    size_t next;      /* next child */
    size_t path_len;  /* length of the path up to and including this node */
    const char *bad;  /* why this node's path cannot be a key (inherited by its children) */
} frame;

typedef struct walker {
    conv_job *job;
    const char *source;
    frame *st;
    size_t top, cap;
    char path[PATH_CAP];
    uint64_t steps;
} walker;

static int is_container(const npg_value *v)
{
    switch (npg_value_kind(v)) {
    case NPG_TUPLE:
    case NPG_LIST:
    case NPG_DICT:
    case NPG_ORDERED_DICT: return 1;
    default: return 0;
    }
}

static int refuse(const walker *w, const char *path, const char *why)
{
    fprintf(stderr, "%s: cannot convert the array at '%s': %s\n", w->source, path[0] ? path : "(root)", why);
    return EXIT_FINDINGS;
}

/* The path component for child i of v, appended to the path after the parent's (a '/' first
 * unless at the root). Returns NULL, or why the component is not a usable key. */
static const char *component(walker *w, const npg_value *v, size_t i, size_t *len)
{
    char num[24];
    const npg_value *key = NULL;
    if (*len && *len + 1 < PATH_CAP) w->path[(*len)++] = '/', w->path[*len] = '\0';
    if (npg_value_kind(v) == NPG_DICT || npg_value_kind(v) == NPG_ORDERED_DICT) key = npg_value_dict_key(v, i);
    if (!key) {
        snprintf(num, sizeof num, "%zu", i);
        return conv_key_str(w->path, len, PATH_CAP, (const uint8_t *)num, strlen(num)) ? "path too long" : NULL;
    }
    int64_t iv;
    size_t n;
    const uint8_t *s;
    switch (npg_value_kind(key)) {
    case NPG_STR:
        s = npg_value_bytes(key, &n);
        switch (conv_key_str(w->path, len, PATH_CAP, s, n)) {
        case 0: return NULL;
        case -2: return "a dict key is the empty string";
        default: return "path too long";
        }
    case NPG_INT:
        if (!npg_value_int64(key, &iv)) return "an int dict key beyond 64 bits";
        snprintf(num, sizeof num, "%" PRId64, iv);
        return conv_key_str(w->path, len, PATH_CAP, (const uint8_t *)num, strlen(num)) ? "path too long" : NULL;
    default: return "a dict key that is neither str nor int (only those name members)";
    }
}

static int push(walker *w, const npg_value *v, size_t path_len, const char *bad)
{
    if (w->top == w->cap) {
        size_t cap = w->cap ? 2 * w->cap : 64;
        frame *s = realloc(w->st, cap * sizeof *s);
        if (!s) return fprintf(stderr, "npguard: out of memory\n"), -1;
        w->st = s;
        w->cap = cap;
    }
    w->st[w->top++] = (frame){v, 0, path_len, bad};
    return 0;
}

/* An array found at the current path: checked, then recorded under its key. */
static int take_array(walker *w, const npg_value *a, size_t len, const char *bad)
{
    const char *why = NULL;
    w->path[len] = '\0';
    if (bad) return refuse(w, w->path, bad);
    if (!conv_array_ok(a, &why)) return refuse(w, w->path, why);
    if (len > CONV_KEY_MAX) return refuse(w, w->path, "its key is longer than a zip member name allows");
    return conv_add(w->job, strdup(len ? w->path : "arr_0"), a, w->source);
}

static int on_stack(const walker *w, const npg_value *v)
{
    for (size_t i = 0; i < w->top; i++)
        if (w->st[i].v == v) return 1;
    return 0;
}

/* One step: the next child of the top frame is an array (recorded), a container (entered) or
 * anything else (skipped); a finished frame is popped. */
static int step(walker *w)
{
    frame *f = &w->st[w->top - 1];
    const npg_value *v = f->v;
    size_t n = npg_value_len(v);
    if (f->next >= n) {
        w->top--;
        return 0;
    }
    size_t i = f->next++, len = f->path_len;
    int dict = npg_value_kind(v) == NPG_DICT || npg_value_kind(v) == NPG_ORDERED_DICT;
    const npg_value *c = dict ? npg_value_dict_val(v, i) : npg_value_item(v, i);
    w->steps += 1 + w->top;
    if (npg_value_kind(c) != NPG_ARRAY && !is_container(c)) return w->job->left_out++, 0;
    w->path[len] = '\0';
    const char *bad = component(w, v, i, &len);
    if (!bad) bad = f->bad;
    if (npg_value_kind(c) == NPG_ARRAY) return take_array(w, c, len, bad);
    if (on_stack(w, c)) return 0;
    return push(w, c, len, bad) ? EXIT_USAGE : 0;
}

int conv_walk_pickle(conv_job *job, const npg_value *root, const char *source)
{
    walker w;
    memset(&w, 0, sizeof w);
    w.job = job;
    w.source = source;
    if (npg_value_kind(root) == NPG_ARRAY) return take_array(&w, root, 0, NULL);
    if (!is_container(root)) return job->left_out++, 0;
    int rc = push(&w, root, 0, NULL) ? EXIT_USAGE : 0;
    while (!rc && w.top) {
        if (w.steps > MAX_STEPS) {
            fprintf(stderr, "%s: cannot convert: the container tree is too large to walk "
                            "(shared references?)\n", source);
            rc = EXIT_FINDINGS;
            break;
        }
        rc = step(&w);
    }
    free(w.st);
    return rc;
}
