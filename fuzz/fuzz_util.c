#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_util.h"

static char dir[64];
static char path[96];

static void cleanup(void)
{
    if (path[0])
        unlink(path);
    if (dir[0])
        rmdir(dir);
}

const char *fuzz_write_file(const uint8_t *data, size_t len)
{
    if (!dir[0]) {
        snprintf(dir, sizeof dir, "%s", "/tmp/lc-fuzz-XXXXXX");
        if (!mkdtemp(dir))
            abort();
        snprintf(path, sizeof path, "%s/input", dir);
        atexit(cleanup);
    }
    FILE *f = fopen(path, "wb");
    if (!f || (len && fwrite(data, 1, len, f) != len) || fclose(f) != 0)
        abort();
    return path;
}

char *fuzz_cstr(const uint8_t *data, size_t len)
{
    char *s = lc_xmalloc(len + 1);
    if (len)
        memcpy(s, data, len);
    s[len] = '\0';
    return s;
}

void fuzz_assert_terminal_safe(const char *what, const char *s, size_t len)
{
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)s[i];
        uint32_t cp = 0;
        size_t n = lc_utf8_decode(s + i, len - i, &cp);
        if (n == 0 || (c < 0x20 && c != '\n' && c != '\t') || c == 0x7f || (cp >= 0x80 && cp <= 0x9f)) {
            fprintf(stderr, "%s: a byte that could drive a terminal at %zu (0x%02x)\n", what, i, c);
            abort();
        }
        i += n;
    }
}

void fuzz_assert_no_hidden(const char *what, const char *s, size_t len)
{
    for (size_t i = 0; i < len;) {
        uint32_t cp = 0;
        size_t n = lc_utf8_decode(s + i, len - i, &cp);
        if (n == 0)
            n = 1;
        else if (cp == 0x061C || cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) ||
                 (cp >= 0x2066 && cp <= 0x2069) || cp == 0x2028 || cp == 0x2029 || (cp >= 0xE0000 && cp <= 0xE007F)) {
            fprintf(stderr, "%s: U+%04X at %zu\n", what, (unsigned)cp, i);
            abort();
        }
        i += n;
    }
}
