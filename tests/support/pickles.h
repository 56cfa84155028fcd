/* Hand-checked pickles used by several test programs (each annotated pickletools-style with
 * the offsets the tests assert). Static: each test includes the file and uses what it needs. */
#ifndef NPG_TEST_PICKLES_H
#define NPG_TEST_PICKLES_H

/* P_FB_I1_3 (119 bytes): _frombuffer(bytearray(b'abc'), dtype('i1'), (3,), 'C'); the dtype part is pickle.dumps(np.dtype('i1'), 2)
 * CPython 3.11 pickle.loads -> array([97, 98, 99], dtype=int8) */
static const char P_FB_I1_3[] =
    "cnumpy.core.numeric\n_frombuffer\n"         /*    0: GLOBAL 'numpy.core.numeric _frombuffer' */
    "("                                          /*   32: MARK */
    "\x96\x03\x00\x00\x00\x00\x00\x00\x00" "abc" /*   33: BYTEARRAY8 bytearray(b'abc') */
    "cnumpy\ndtype\n"                            /*   45: GLOBAL 'numpy dtype' */
    "q\x00"                                      /*   58: BINPUT 0 */
    "X\x02\x00\x00\x00i1"                        /*   60: BINUNICODE 'i1' */
    "q\x01"                                      /*   67: BINPUT 1 */
    "\x89"                                       /*   69: NEWFALSE */
    "\x88"                                       /*   70: NEWTRUE */
    "\x87"                                       /*   71: TUPLE3 */
    "q\x02"                                      /*   72: BINPUT 2 */
    "R"                                          /*   74: REDUCE */
    "q\x03"                                      /*   75: BINPUT 3 */
    "("                                          /*   77: MARK */
    "K\x03"                                      /*   78: BININT1 3 */
    "X\x01\x00\x00\x00|"                         /*   80: BINUNICODE '|' */
    "q\x04"                                      /*   86: BINPUT 4 */
    "N"                                          /*   88: NONE */
    "N"                                          /*   89: NONE */
    "N"                                          /*   90: NONE */
    "J\xff\xff\xff\xff"                          /*   91: BININT -1 */
    "J\xff\xff\xff\xff"                          /*   96: BININT -1 */
    "K\x00"                                      /*  101: BININT1 0 */
    "t"                                          /*  103: TUPLE */
    "q\x05"                                      /*  104: BINPUT 5 */
    "b"                                          /*  106: BUILD */
    "K\x03"                                      /*  107: BININT1 3 */
    "\x85"                                       /*  109: TUPLE1 */
    "X\x01\x00\x00\x00" "C"                      /*  110: BINUNICODE 'C' */
    "t"                                          /*  116: TUPLE */
    "R"                                          /*  117: REDUCE */
    "."                                          /*  118: STOP */;

/* P_FB_I1_111 (121 bytes): _frombuffer(bytearray(b'a'), dtype('i1'), (1, 1, 1), 'C')
 * CPython 3.11 pickle.loads -> array([[[97]]], dtype=int8) */
static const char P_FB_I1_111[] =
    "cnumpy.core.numeric\n_frombuffer\n"       /*    0: GLOBAL 'numpy.core.numeric _frombuffer' */
    "("                                        /*   32: MARK */
    "\x96\x01\x00\x00\x00\x00\x00\x00\x00" "a" /*   33: BYTEARRAY8 bytearray(b'a') */
    "cnumpy\ndtype\n"                          /*   43: GLOBAL 'numpy dtype' */
    "q\x00"                                    /*   56: BINPUT 0 */
    "X\x02\x00\x00\x00i1"                      /*   58: BINUNICODE 'i1' */
    "q\x01"                                    /*   65: BINPUT 1 */
    "\x89"                                     /*   67: NEWFALSE */
    "\x88"                                     /*   68: NEWTRUE */
    "\x87"                                     /*   69: TUPLE3 */
    "q\x02"                                    /*   70: BINPUT 2 */
    "R"                                        /*   72: REDUCE */
    "q\x03"                                    /*   73: BINPUT 3 */
    "("                                        /*   75: MARK */
    "K\x03"                                    /*   76: BININT1 3 */
    "X\x01\x00\x00\x00|"                       /*   78: BINUNICODE '|' */
    "q\x04"                                    /*   84: BINPUT 4 */
    "N"                                        /*   86: NONE */
    "N"                                        /*   87: NONE */
    "N"                                        /*   88: NONE */
    "J\xff\xff\xff\xff"                        /*   89: BININT -1 */
    "J\xff\xff\xff\xff"                        /*   94: BININT -1 */
    "K\x00"                                    /*   99: BININT1 0 */
    "t"                                        /*  101: TUPLE */
    "q\x05"                                    /*  102: BINPUT 5 */
    "b"                                        /*  104: BUILD */
    "K\x01"                                    /*  105: BININT1 1 */
    "K\x01"                                    /*  107: BININT1 1 */
    "K\x01"                                    /*  109: BININT1 1 */
    "\x87"                                     /*  111: TUPLE3 */
    "X\x01\x00\x00\x00" "C"                    /*  112: BINUNICODE 'C' */
    "t"                                        /*  118: TUPLE */
    "R"                                        /*  119: REDUCE */
    "."                                        /*  120: STOP */;

/* P_DTYPE_STRUCT2_P2 (188 bytes): pickle.dumps(np.dtype([('a', '<i4'), ('b', '<f8')]), 2), made by Debian's /usr/bin/python3 (CPython 3.11.2, NumPy 1.24.2)
 * CPython 3.11 pickle.loads -> dtype([('a', '<i4'), ('b', '<f8')]) */
static const char P_DTYPE_STRUCT2_P2[] =
    "\x80\x02"               /*    0: PROTO 2 */
    "cnumpy\ndtype\n"        /*    2: GLOBAL 'numpy dtype' */
    "q\x00"                  /*   15: BINPUT 0 */
    "X\x03\x00\x00\x00V12"   /*   17: BINUNICODE 'V12' */
    "q\x01"                  /*   25: BINPUT 1 */
    "\x89"                   /*   27: NEWFALSE */
    "\x88"                   /*   28: NEWTRUE */
    "\x87"                   /*   29: TUPLE3 */
    "q\x02"                  /*   30: BINPUT 2 */
    "R"                      /*   32: REDUCE */
    "q\x03"                  /*   33: BINPUT 3 */
    "("                      /*   35: MARK */
    "K\x03"                  /*   36: BININT1 3 */
    "X\x01\x00\x00\x00|"     /*   38: BINUNICODE '|' */
    "q\x04"                  /*   44: BINPUT 4 */
    "N"                      /*   46: NONE */
    "X\x01\x00\x00\x00" "a"  /*   47: BINUNICODE 'a' */
    "q\x05"                  /*   53: BINPUT 5 */
    "X\x01\x00\x00\x00" "b"  /*   55: BINUNICODE 'b' */
    "q\x06"                  /*   61: BINPUT 6 */
    "\x86"                   /*   63: TUPLE2 */
    "q\x07"                  /*   64: BINPUT 7 */
    "}"                      /*   66: EMPTY_DICT */
    "q\x08"                  /*   67: BINPUT 8 */
    "("                      /*   69: MARK */
    "h\x05"                  /*   70: BINGET 5 */
    "h\x00"                  /*   72: BINGET 0 */
    "X\x02\x00\x00\x00i4"    /*   74: BINUNICODE 'i4' */
    "q\x09"                  /*   81: BINPUT 9 */
    "\x89"                   /*   83: NEWFALSE */
    "\x88"                   /*   84: NEWTRUE */
    "\x87"                   /*   85: TUPLE3 */
    "q\n"                    /*   86: BINPUT 10 */
    "R"                      /*   88: REDUCE */
    "q\x0b"                  /*   89: BINPUT 11 */
    "("                      /*   91: MARK */
    "K\x03"                  /*   92: BININT1 3 */
    "X\x01\x00\x00\x00<"     /*   94: BINUNICODE '<' */
    "q\x0c"                  /*  100: BINPUT 12 */
    "N"                      /*  102: NONE */
    "N"                      /*  103: NONE */
    "N"                      /*  104: NONE */
    "J\xff\xff\xff\xff"      /*  105: BININT -1 */
    "J\xff\xff\xff\xff"      /*  110: BININT -1 */
    "K\x00"                  /*  115: BININT1 0 */
    "t"                      /*  117: TUPLE */
    "q\x0d"                  /*  118: BINPUT 13 */
    "b"                      /*  120: BUILD */
    "K\x00"                  /*  121: BININT1 0 */
    "\x86"                   /*  123: TUPLE2 */
    "q\x0e"                  /*  124: BINPUT 14 */
    "h\x06"                  /*  126: BINGET 6 */
    "h\x00"                  /*  128: BINGET 0 */
    "X\x02\x00\x00\x00" "f8" /*  130: BINUNICODE 'f8' */
    "q\x0f"                  /*  137: BINPUT 15 */
    "\x89"                   /*  139: NEWFALSE */
    "\x88"                   /*  140: NEWTRUE */
    "\x87"                   /*  141: TUPLE3 */
    "q\x10"                  /*  142: BINPUT 16 */
    "R"                      /*  144: REDUCE */
    "q\x11"                  /*  145: BINPUT 17 */
    "("                      /*  147: MARK */
    "K\x03"                  /*  148: BININT1 3 */
    "h\x0c"                  /*  150: BINGET 12 */
    "N"                      /*  152: NONE */
    "N"                      /*  153: NONE */
    "N"                      /*  154: NONE */
    "J\xff\xff\xff\xff"      /*  155: BININT -1 */
    "J\xff\xff\xff\xff"      /*  160: BININT -1 */
    "K\x00"                  /*  165: BININT1 0 */
    "t"                      /*  167: TUPLE */
    "q\x12"                  /*  168: BINPUT 18 */
    "b"                      /*  170: BUILD */
    "K\x04"                  /*  171: BININT1 4 */
    "\x86"                   /*  173: TUPLE2 */
    "q\x13"                  /*  174: BINPUT 19 */
    "u"                      /*  176: SETITEMS */
    "K\x0c"                  /*  177: BININT1 12 */
    "K\x01"                  /*  179: BININT1 1 */
    "K\x10"                  /*  181: BININT1 16 */
    "t"                      /*  183: TUPLE */
    "q\x14"                  /*  184: BINPUT 20 */
    "b"                      /*  186: BUILD */
    "."                      /*  187: STOP */;

/* P_F8_P3 (169 bytes), made by Debian's /usr/bin/python3 (CPython 3.11.2, NumPy 1.24.2):
 *   pickle.dumps(np.array([1.5, -2.0]), 3) */
static const char P_F8_P3[] =
    "\x80\x03"                                                   /*    0: PROTO 3 */
    "cnumpy.core.multiarray\n_reconstruct\n"                     /*    2: GLOBAL 'numpy.core.multiarray _reconstruct' */
    "q\x00"                                                      /*   38: BINPUT 0 */
    "cnumpy\nndarray\n"                                          /*   40: GLOBAL 'numpy ndarray' */
    "q\x01"                                                      /*   55: BINPUT 1 */
    "K\x00"                                                      /*   57: BININT1 0 */
    "\x85"                                                       /*   59: TUPLE1 */
    "q\x02"                                                      /*   60: BINPUT 2 */
    "C\x01" "b"                                                  /*   62: SHORT_BINBYTES b'b' */
    "q\x03"                                                      /*   65: BINPUT 3 */
    "\x87"                                                       /*   67: TUPLE3 */
    "q\x04"                                                      /*   68: BINPUT 4 */
    "R"                                                          /*   70: REDUCE */
    "q\x05"                                                      /*   71: BINPUT 5 */
    "("                                                          /*   73: MARK */
    "K\x01"                                                      /*   74: BININT1 1 */
    "K\x02"                                                      /*   76: BININT1 2 */
    "\x85"                                                       /*   78: TUPLE1 */
    "q\x06"                                                      /*   79: BINPUT 6 */
    "cnumpy\ndtype\n"                                            /*   81: GLOBAL 'numpy dtype' */
    "q\x07"                                                      /*   94: BINPUT 7 */
    "X\x02\x00\x00\x00" "f8"                                     /*   96: BINUNICODE 'f8' */
    "q\x08"                                                      /*  103: BINPUT 8 */
    "\x89"                                                       /*  105: NEWFALSE */
    "\x88"                                                       /*  106: NEWTRUE */
    "\x87"                                                       /*  107: TUPLE3 */
    "q\x09"                                                      /*  108: BINPUT 9 */
    "R"                                                          /*  110: REDUCE */
    "q\n"                                                        /*  111: BINPUT 10 */
    "("                                                          /*  113: MARK */
    "K\x03"                                                      /*  114: BININT1 3 */
    "X\x01\x00\x00\x00<"                                         /*  116: BINUNICODE '<' */
    "q\x0b"                                                      /*  122: BINPUT 11 */
    "N"                                                          /*  124: NONE */
    "N"                                                          /*  125: NONE */
    "N"                                                          /*  126: NONE */
    "J\xff\xff\xff\xff"                                          /*  127: BININT -1 */
    "J\xff\xff\xff\xff"                                          /*  132: BININT -1 */
    "K\x00"                                                      /*  137: BININT1 0 */
    "t"                                                          /*  139: TUPLE */
    "q\x0c"                                                      /*  140: BINPUT 12 */
    "b"                                                          /*  142: BUILD */
    "\x89"                                                       /*  143: NEWFALSE */
    "C\x10\x00\x00\x00\x00\x00\x00\xf8\x3f\x00\x00\x00\x00\x00\x00\x00\xc0" /*  144: SHORT_BINBYTES b'\x00\x00\x00\x00\x00\x00\xf8?\x00\x... */
    "q\x0d"                                                      /*  162: BINPUT 13 */
    "t"                                                          /*  164: TUPLE */
    "q\x0e"                                                      /*  165: BINPUT 14 */
    "b"                                                          /*  167: BUILD */
    "."                                                          /*  168: STOP */;

#endif
