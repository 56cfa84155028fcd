/* Which module names an import system could find. find_class imports its module first; CPython
 * asks for any str, but a name that is not a dotted sequence of Python identifiers cannot be a
 * module installed the normal way (a file or directory per component, whose name is at most
 * NAME_MAX = 255 bytes, or a built-in module), so that import fails and pickle.load stops. */
#ifndef NPG_IDENT_H
#define NPG_IDENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* m[0..n) (UTF-8, lone surrogates in their 3-byte form) is one or more components separated by
 * '.', each str.isidentifier() and at most 255 bytes. */
bool npg__module_importable(const uint8_t *m, size_t n);

#endif
