/* The npguard program: argument dispatch. Exit status: 0 ok, 1 refused or malformed input,
 * 2 usage or I/O error. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *to)
{
    fprintf(to,
            "usage: npguard --version\n"
            "       npguard show FILE        decode a pickle safely and print what it holds\n"
            "       npguard scan FILE...     report every import and call a pickle would make\n");
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
    usage(stderr);
    return 2;
}
