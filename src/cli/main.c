/* The npguard program: argument dispatch. Exit status: 0 ok, 1 refused or malformed input,
 * 2 usage or I/O error. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *to)
{
    fprintf(to,
            "usage: npguard --version\n"
            "       npguard show FILE        print what a pickle, .npy or .npz holds (decoded safely)\n"
            "       npguard scan [options] PATH...\n"
            "                                verdict for each file (any format) or directory tree;\n"
            "                                scan --help for the options\n"
            "       npguard dis FILE         list a pickle's opcodes with the VM's judgement on each\n"
            "       npguard convert [--force] [--compress] IN... OUT\n"
            "                                arrays to .npy/.npz (OUT ending in / : one .npy per array)\n");
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--version") == 0) {
        printf("npguard %s\n", npg_version_string());
        return 0;
    }
    if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        usage(stdout);
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "show") == 0) return cmd_show(argc - 2, argv + 2);
    if (argc >= 3 && strcmp(argv[1], "scan") == 0) return cmd_scan(argc - 2, argv + 2);
    if (argc == 3 && strcmp(argv[1], "dis") == 0) return cmd_dis(argc - 2, argv + 2);
    if (argc >= 4 && strcmp(argv[1], "convert") == 0) return cmd_convert(argc - 2, argv + 2);
    usage(stderr);
    return 2;
}
