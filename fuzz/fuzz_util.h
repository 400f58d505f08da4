/* Shared by the fuzz targets: the input as a file (for readers that take a
 * path) and as a NUL-terminated string. */
#ifndef LC_FUZZ_UTIL_H
#define LC_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "core/core.h"

/* Writes data to one scratch file of this process (made on first use,
 * removed at exit) and returns its path. */
const char *fuzz_write_file(const uint8_t *data, size_t len);
/* A NUL-terminated copy; caller frees. */
char *fuzz_cstr(const uint8_t *data, size_t len);
/* Aborts (a finding) when text holds a byte that could drive a terminal:
 * an ESC, a C0 control other than \n and \t, a C1 control, invalid UTF-8. */
void fuzz_assert_terminal_safe(const char *what, const char *s, size_t len);
/* Aborts when text holds a bidi control, a line or paragraph separator or a
 * tag character (what lc_text_sanitize escapes beyond controls). */
void fuzz_assert_no_hidden(const char *what, const char *s, size_t len);

#endif
