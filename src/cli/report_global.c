/* The import a finding names, as the JSON and SARIF reports carry it: the exact global
 * (module bytes, '.', name bytes, as CPython's find_class would receive the pair), its two parts,
 * and whether the library cut it. A library that predates exact names gives global_len 0 and an
 * escaped, NUL-terminated string: that string is carried as it is, with the parts unknown (a '.'
 * inside the module or the name makes any guess at the split wrong). */
#include <string.h>

#include "scan_job.h"

typedef struct global_parts {
    const char *global, *module, *name; /* NULL: not about an import / part unknown */
    size_t len, module_len, name_len;
    bool truncated;
} global_parts;

static void global_parts_of(const npg_audit_finding *f, global_parts *g)
{
    memset(g, 0, sizeof *g);
    if (!f->global) return;
    g->global = f->global;
    g->truncated = f->global_truncated != 0;
    if (f->global_len == 0) { /* older library: escaped text, split unknown */
        g->len = strlen(f->global);
        return;
    }
    g->len = f->global_len;
    size_t m = f->module_len;
    if (m < g->len && f->global[m] == '.') {
        g->module = f->global, g->module_len = m;
        g->name = f->global + m + 1, g->name_len = g->len - m - 1;
    } else if (m == g->len && g->truncated) { /* cut inside the module: its kept part, no name */
        g->module = f->global, g->module_len = m;
    }
    /* anything else would be a library bug: the split stays unknown rather than wrong */
}

void json_global_keys(FILE *f, const npg_audit_finding *x, const char *const keys[4])
{
    global_parts g;
    global_parts_of(x, &g);
    fprintf(f, ", \"%s\": ", keys[0]);
    json_exact(f, g.global, g.len);
    fprintf(f, ", \"%s\": ", keys[1]);
    json_exact(f, g.module, g.module_len);
    fprintf(f, ", \"%s\": ", keys[2]);
    json_exact(f, g.name, g.name_len);
    fprintf(f, ", \"%s\": %s", keys[3], g.truncated ? "true" : "false");
}
