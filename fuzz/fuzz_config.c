/* The YAML config loader (config/load.c: lc_config_load_file) for the user
 * and the project layer, then lc_config_validate and lc_config_print. What
 * --print-config prints of a loaded file must load back (config.h says so)
 * and must carry no terminal control. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    lc_config_layer layer = data[0] & 1 ? LC_LAYER_PROJECT : LC_LAYER_USER;
    const char *path = fuzz_write_file(data + 1, size - 1);
    lc_config c;
    lc_config_defaults(&c);
    lc_err err = {0};
    int rc = lc_config_load_file(&c, path, layer, &err);
    fuzz_assert_terminal_safe("config error", err.msg, strlen(err.msg));
    if (rc == LC_OK) {
        (void)lc_config_validate(&c, &err);
        lc_buf out = LC_BUF_INIT;
        lc_config_print(&c, &out);
        fuzz_assert_terminal_safe("--print-config", lc_buf_cstr(&out), out.len);
        /* Round trip: the printed text loads back. */
        const char *again = fuzz_write_file((const uint8_t *)lc_buf_cstr(&out), out.len);
        lc_config c2;
        lc_config_defaults(&c2);
        lc_err err2 = {0};
        if (lc_config_load_file(&c2, again, LC_LAYER_USER, &err2) != LC_OK) {
            fprintf(stderr, "--print-config output does not load back: %s\n%s\n", err2.msg, lc_buf_cstr(&out));
            abort();
        }
        lc_config_free(&c2);
        lc_buf_free(&out);
    }
    lc_config_free(&c);
    return 0;
}
