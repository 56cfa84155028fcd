/* The pickle opcode table: every opcode of protocols 0-5, one row each, the single source of
 * truth for the VM, the disassembler and the tests.
 *
 * X(NAME, byte, arg, argsize, proto, class)
 *   arg      how the argument is encoded (npg_arg_kind)
 *   argsize  bytes of a fixed argument, or of the length prefix of a counted one
 *   proto    first protocol that has the opcode
 *   class    what the VM does with it (npg_op_class)
 * The comment on each row is the stack effect, as pickletools writes it. */
#ifndef NPG_OPCODES_H
#define NPG_OPCODES_H

#include <stdint.h>

typedef enum npg_arg_kind {
    ARG_NONE,   /* no argument */
    ARG_UINT,   /* argsize-byte unsigned little-endian integer */
    ARG_SINT,   /* argsize-byte signed little-endian integer */
    ARG_FIXED,  /* argsize raw bytes */
    ARG_LINE,   /* bytes up to '\n' */
    ARG_LINE2,  /* two '\n'-terminated lines (module, name) */
    ARG_ULEN,   /* argsize-byte unsigned length, then that many bytes */
    ARG_SLEN    /* argsize-byte signed length (negative is an error), then that many bytes */
} npg_arg_kind;

typedef enum npg_op_class {
    OPC_DATA,      /* pushes a scalar, str or bytes */
    OPC_CONTAINER, /* builds or fills a tuple/list/dict/set */
    OPC_STACK,     /* MARK, POP, DUP ... */
    OPC_MEMO,      /* PUT/GET */
    OPC_CONTROL,   /* PROTO, FRAME, STOP */
    OPC_GLOBAL,    /* name lookup: allowlist only */
    OPC_CALL,      /* REDUCE/BUILD: allowlisted reconstructors only */
    OPC_BUFFER,    /* protocol-5 out-of-band buffers */
    OPC_REFUSED    /* never executed: imports or calls by construction */
} npg_op_class;

#define NPG_PICKLE_OPS(X)                                                              \
    X(MARK, 0x28, ARG_NONE, 0, 0, OPC_STACK)            /* -> mark */                  \
    X(STOP, 0x2e, ARG_NONE, 0, 0, OPC_CONTROL)          /* any -> (end) */             \
    X(POP, 0x30, ARG_NONE, 0, 0, OPC_STACK)             /* any -> ; or pops a mark */  \
    X(POP_MARK, 0x31, ARG_NONE, 0, 1, OPC_STACK)        /* mark stackslice -> */       \
    X(DUP, 0x32, ARG_NONE, 0, 0, OPC_STACK)             /* any -> any any */           \
    X(FLOAT, 0x46, ARG_LINE, 0, 0, OPC_DATA)            /* -> float */                 \
    X(INT, 0x49, ARG_LINE, 0, 0, OPC_DATA)              /* -> int or bool */           \
    X(BININT, 0x4a, ARG_SINT, 4, 1, OPC_DATA)           /* -> int */                   \
    X(BININT1, 0x4b, ARG_UINT, 1, 1, OPC_DATA)          /* -> int */                   \
    X(LONG, 0x4c, ARG_LINE, 0, 0, OPC_DATA)             /* -> int */                   \
    X(BININT2, 0x4d, ARG_UINT, 2, 1, OPC_DATA)          /* -> int */                   \
    X(NONE, 0x4e, ARG_NONE, 0, 0, OPC_DATA)             /* -> None */                  \
    X(PERSID, 0x50, ARG_LINE, 0, 0, OPC_REFUSED)        /* -> any (persistent_load) */ \
    X(BINPERSID, 0x51, ARG_NONE, 0, 1, OPC_REFUSED)     /* any -> any */               \
    X(REDUCE, 0x52, ARG_NONE, 0, 0, OPC_CALL)           /* callable args -> any */     \
    X(STRING, 0x53, ARG_LINE, 0, 0, OPC_DATA)           /* -> py2 str */               \
    X(BINSTRING, 0x54, ARG_SLEN, 4, 1, OPC_DATA)        /* -> py2 str */               \
    X(SHORT_BINSTRING, 0x55, ARG_ULEN, 1, 1, OPC_DATA)  /* -> py2 str */               \
    X(UNICODE, 0x56, ARG_LINE, 0, 0, OPC_DATA)          /* -> str */                   \
    X(BINUNICODE, 0x58, ARG_ULEN, 4, 1, OPC_DATA)       /* -> str */                   \
    X(APPEND, 0x61, ARG_NONE, 0, 0, OPC_CONTAINER)      /* list any -> list */         \
    X(BUILD, 0x62, ARG_NONE, 0, 0, OPC_CALL)            /* any state -> any */         \
    X(GLOBAL, 0x63, ARG_LINE2, 0, 0, OPC_GLOBAL)        /* -> symbol */                \
    X(DICT, 0x64, ARG_NONE, 0, 0, OPC_CONTAINER)        /* mark k v ... -> dict */     \
    X(APPENDS, 0x65, ARG_NONE, 0, 1, OPC_CONTAINER)     /* list mark any... -> list */ \
    X(GET, 0x67, ARG_LINE, 0, 0, OPC_MEMO)              /* -> any */                   \
    X(BINGET, 0x68, ARG_UINT, 1, 1, OPC_MEMO)           /* -> any */                   \
    X(INST, 0x69, ARG_LINE2, 0, 0, OPC_REFUSED)         /* mark args -> instance */    \
    X(LONG_BINGET, 0x6a, ARG_UINT, 4, 1, OPC_MEMO)      /* -> any */                   \
    X(LIST, 0x6c, ARG_NONE, 0, 0, OPC_CONTAINER)        /* mark any... -> list */      \
    X(OBJ, 0x6f, ARG_NONE, 0, 1, OPC_REFUSED)           /* mark cls args -> instance */\
    X(PUT, 0x70, ARG_LINE, 0, 0, OPC_MEMO)              /* any -> any */               \
    X(BINPUT, 0x71, ARG_UINT, 1, 1, OPC_MEMO)           /* any -> any */               \
    X(LONG_BINPUT, 0x72, ARG_UINT, 4, 1, OPC_MEMO)      /* any -> any */               \
    X(SETITEM, 0x73, ARG_NONE, 0, 0, OPC_CONTAINER)     /* dict k v -> dict */         \
    X(TUPLE, 0x74, ARG_NONE, 0, 0, OPC_CONTAINER)       /* mark any... -> tuple */     \
    X(SETITEMS, 0x75, ARG_NONE, 0, 1, OPC_CONTAINER)    /* dict mark k v... -> dict */ \
    X(EMPTY_DICT, 0x7d, ARG_NONE, 0, 1, OPC_CONTAINER)  /* -> dict */                  \
    X(EMPTY_LIST, 0x5d, ARG_NONE, 0, 1, OPC_CONTAINER)  /* -> list */                  \
    X(EMPTY_TUPLE, 0x29, ARG_NONE, 0, 1, OPC_CONTAINER) /* -> tuple */                 \
    X(BINFLOAT, 0x47, ARG_FIXED, 8, 1, OPC_DATA)        /* -> float (big-endian) */    \
    X(PROTO, 0x80, ARG_UINT, 1, 2, OPC_CONTROL)         /* -> */                       \
    X(NEWOBJ, 0x81, ARG_NONE, 0, 2, OPC_REFUSED)        /* cls args -> instance */     \
    X(EXT1, 0x82, ARG_UINT, 1, 2, OPC_REFUSED)          /* -> any (copyreg registry) */\
    X(EXT2, 0x83, ARG_UINT, 2, 2, OPC_REFUSED)          /* -> any */                   \
    X(EXT4, 0x84, ARG_SINT, 4, 2, OPC_REFUSED)          /* -> any */                   \
    X(TUPLE1, 0x85, ARG_NONE, 0, 2, OPC_CONTAINER)      /* any -> tuple */             \
    X(TUPLE2, 0x86, ARG_NONE, 0, 2, OPC_CONTAINER)      /* any any -> tuple */         \
    X(TUPLE3, 0x87, ARG_NONE, 0, 2, OPC_CONTAINER)      /* any any any -> tuple */     \
    X(NEWTRUE, 0x88, ARG_NONE, 0, 2, OPC_DATA)          /* -> True */                  \
    X(NEWFALSE, 0x89, ARG_NONE, 0, 2, OPC_DATA)         /* -> False */                 \
    X(LONG1, 0x8a, ARG_ULEN, 1, 2, OPC_DATA)            /* -> int */                   \
    X(LONG4, 0x8b, ARG_SLEN, 4, 2, OPC_DATA)            /* -> int */                   \
    X(BINBYTES, 0x42, ARG_ULEN, 4, 3, OPC_DATA)         /* -> bytes */                 \
    X(SHORT_BINBYTES, 0x43, ARG_ULEN, 1, 3, OPC_DATA)   /* -> bytes */                 \
    X(SHORT_BINUNICODE, 0x8c, ARG_ULEN, 1, 4, OPC_DATA) /* -> str */                   \
    X(BINUNICODE8, 0x8d, ARG_ULEN, 8, 4, OPC_DATA)      /* -> str */                   \
    X(BINBYTES8, 0x8e, ARG_ULEN, 8, 4, OPC_DATA)        /* -> bytes */                 \
    X(EMPTY_SET, 0x8f, ARG_NONE, 0, 4, OPC_CONTAINER)   /* -> set */                   \
    X(ADDITEMS, 0x90, ARG_NONE, 0, 4, OPC_CONTAINER)    /* set mark any... -> set */   \
    X(FROZENSET, 0x91, ARG_NONE, 0, 4, OPC_CONTAINER)   /* mark any... -> frozenset */ \
    X(NEWOBJ_EX, 0x92, ARG_NONE, 0, 4, OPC_REFUSED)     /* cls args kwargs -> inst. */ \
    X(STACK_GLOBAL, 0x93, ARG_NONE, 0, 4, OPC_GLOBAL)   /* module name -> symbol */    \
    X(MEMOIZE, 0x94, ARG_NONE, 0, 4, OPC_MEMO)          /* any -> any */               \
    X(FRAME, 0x95, ARG_UINT, 8, 4, OPC_CONTROL)         /* -> */                       \
    X(BYTEARRAY8, 0x96, ARG_ULEN, 8, 5, OPC_DATA)       /* -> bytearray */             \
    X(NEXT_BUFFER, 0x97, ARG_NONE, 0, 5, OPC_BUFFER)    /* -> buffer */                \
    X(READONLY_BUFFER, 0x98, ARG_NONE, 0, 5, OPC_BUFFER)/* buffer -> buffer */

enum npg_opcode {
#define NPG_OP_ENUM(name, byte, arg, argsize, proto, cls) OP_##name = byte,
    NPG_PICKLE_OPS(NPG_OP_ENUM)
#undef NPG_OP_ENUM
};

typedef struct npg_opinfo {
    const char *name; /* NULL: not an opcode */
    uint8_t arg;      /* npg_arg_kind */
    uint8_t argsize;
    uint8_t proto;
    uint8_t cls;      /* npg_op_class */
} npg_opinfo;

/* Indexed by opcode byte; rows of non-opcodes have name == NULL. */
extern const npg_opinfo npg__opinfo[256];

/* Number of opcodes in the table (68). */
int npg__opcode_count(void);

#endif
