#include "manifest.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"

int tu_manifest_load(manifest *m, const char *path)
{
    size_t len, cap = 0;
    memset(m, 0, sizeof *m);
    uint8_t *raw = tu_read_file(path, &len);
    m->text = realloc(raw, len + 1);
    if (!m->text) fail_msg("out of memory");
    m->text[len] = '\0';
    for (char *line = strtok(m->text, "\n"); line; line = strtok(NULL, "\n")) {
        if (m->n == cap) {
            cap = cap ? 2 * cap : 256;
            m->recs = realloc(m->recs, cap * sizeof *m->recs);
            if (!m->recs) fail_msg("out of memory");
        }
        record *r = &m->recs[m->n++];
        memset(r, 0, sizeof *r);
        char *tab = strchr(line, '\t');
        if (tab) *tab = '\0';
        snprintf(r->kind, sizeof r->kind, "%s", line);
        while (tab && r->n < sizeof r->f / sizeof r->f[0]) {
            char *field = tab + 1;
            tab = strchr(field, '\t');
            if (tab) *tab = '\0';
            char *eq = strchr(field, '=');
            if (!eq) continue;
            *eq = '\0';
            r->f[r->n].key = field;
            r->f[r->n].val = eq + 1;
            r->n++;
        }
    }
    return m->n > 0 ? 0 : -1;
}

void tu_manifest_free(manifest *m)
{
    free(m->recs);
    free(m->text);
    memset(m, 0, sizeof *m);
}

const char *tu_get(const record *r, const char *key)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->f[i].key, key) == 0) return r->f[i].val;
    return NULL;
}

const char *tu_need(const record *r, const char *key)
{
    const char *v = tu_get(r, key);
    if (!v) fail_msg("manifest record without %s", key);
    return v;
}

uint64_t tu_num(const record *r, const char *key) { return strtoull(tu_need(r, key), NULL, 10); }
