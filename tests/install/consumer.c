/* A program built against the installed library: decode a pickle, print its root kind. */
#include <stdio.h>
#include <stdlib.h>

#include <npguard.h>

int main(int argc, char **argv)
{
    if (argc != 2) return 2;
    FILE *f = fopen(argv[1], "rb");
    if (!f) return 2;
    static unsigned char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    npg_ctx *ctx = npg_ctx_new(NULL);
    npg_doc *doc = NULL;
    npg_error err;
    int rc = npg_pickle_load(ctx, buf, n, NULL, &doc, &err);
    if (rc != NPG_OK) {
        printf("refused: %s\n", err.message);
        return 1;
    }
    printf("consumer: npguard %s decoded a %s\n", npg_version_string(),
           npg_kind_name(npg_value_kind(npg_doc_root(doc))));
    npg_doc_free(doc);
    npg_ctx_free(ctx);
    return 0;
}
