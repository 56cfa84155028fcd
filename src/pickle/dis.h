/* Internal interface of the disassembler (dis.c lists, dis_arg.c renders arguments). */
#ifndef NPG_DIS_H
#define NPG_DIS_H

#include <stddef.h>
#include <stdint.h>

/* Widest argument text a listing shows; longer strings and bytes are cut with "...". */
enum { NPG_DIS_ARG_SHOW = 48, NPG_DIS_ARG_CAP = 160 };

/* The argument of opcode op as pickletools shows it (numbers in decimal, str as '...', bytes as
 * b'...', GLOBAL as 'module name'), from its raw bytes arg[0..n) as they follow the opcode byte
 * (length prefix and line terminators included). Escaped to printable ASCII, truncated to about
 * NPG_DIS_ARG_SHOW characters with the full length appended. out has NPG_DIS_ARG_CAP bytes. */
void npg__dis_arg(char *out, int op, const uint8_t *arg, size_t n);

#endif
