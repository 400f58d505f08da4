/* The sources themselves: nothing in src/ writes to a terminal except
 * through lc_text_fputs / lc_text_fprintf / lc_text_fwrite, which sanitize
 * every byte. A new raw printf to stdout or stderr fails here, so a print
 * cannot forget the sanitizer. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

/* The few places allowed to write directly, each for a reason:
 * the sanitizing writer itself; two fixed messages just before abort()
 * (no allocation may happen there); the TUI's fixed window title; the fixed
 * bracketed-paste mode switches. */
static const struct {
    const char *file;
    const char *line_has;
} allowed[] = {
    {"src/core/text.c", "fwrite(b.data, 1, b.len, f)"},
    {"src/core/mem.c", "out of memory"},
    {"src/core/time.c", "no source of randomness"},
    {"src/ui/approval.c", "\\033]2;%s\\007"},
    {"src/ui/app_keys.c", "\"\\033[?2004h\" : \"\\033[?2004l\""},
};

static bool is_allowed(const char *rel, const char *line)
{
    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
        if (!strcmp(rel, allowed[i].file) && strstr(line, allowed[i].line_has))
            return true;
    return false;
}

typedef struct scan {
    regex_t re;
    lc_strv hits;
    size_t files;
} scan;

static int visit(void *ctx, const lc_walk_entry *e)
{
    scan *sc = ctx;
    if (!S_ISREG(e->st->st_mode) || !lc_str_ends_with(e->path, ".c"))
        return 0;
    char *rel = lc_xasprintf("src/%s", e->path);
    char *abs = lc_path_join(LC_SOURCE_DIR, rel);
    FILE *f = fopen(abs, "r");
    assert_non_null(f);
    sc->files++;
    char line[4096];
    int no = 0;
    while (fgets(line, sizeof line, f)) {
        no++;
        const char *p = line + strspn(line, " \t");
        if (!strncmp(p, "/*", 2) || !strncmp(p, "*", 1) || !strncmp(p, "//", 2))
            continue; /* comments may name write(2) */
        if (regexec(&sc->re, line, 0, NULL, 0) == 0 && !is_allowed(rel, line))
            lc_strv_pushf(&sc->hits, "%s:%d: %s", rel, no, line);
    }
    fclose(f);
    free(abs);
    free(rel);
    return 0;
}

static void test_no_raw_terminal_writes(void **state)
{
    (void)state;
    scan sc = {.hits = LC_STRV_INIT};
    /* Any stdio writer by name, and write(2) on descriptors 1 and 2. */
    assert_int_equal(regcomp(&sc.re,
                             "(^|[^A-Za-z0-9_])(printf|fprintf|vfprintf|dprintf|vdprintf|vprintf|puts|fputs|"
                             "fputc|putc|putchar|fwrite|fputws|putwchar|perror)[ \t]*\\(|"
                             "(^|[^A-Za-z0-9_])write[ \t]*\\([ \t]*(1|2|STDOUT_FILENO|STDERR_FILENO)[ \t]*,",
                             REG_EXTENDED | REG_NOSUB),
                     0);
    char *src = lc_path_join(LC_SOURCE_DIR, "src");
    lc_err err = {0};
    assert_int_equal(lc_walk(src, visit, &sc, &err), LC_OK);
    assert_true(sc.files > 50); /* the walk saw the sources */
    for (size_t i = 0; i < sc.hits.n; i++)
        fprintf(stderr, "raw terminal write (use lc_text_fprintf/lc_text_fputs): %s", sc.hits.v[i]);
    assert_int_equal(sc.hits.n, 0);
    lc_strv_free(&sc.hits);
    regfree(&sc.re);
    free(src);
}

/* The scan finds what it is meant to find (so a passing scan means something). */
static void test_scan_catches_a_raw_print(void **state)
{
    (void)state;
    regex_t re;
    assert_int_equal(regcomp(&re, "(^|[^A-Za-z0-9_])(printf|fprintf|fputs)[ \t]*\\(", REG_EXTENDED | REG_NOSUB), 0);
    assert_int_equal(regexec(&re, "    fprintf(stderr, \"%s\", name);", 0, NULL, 0), 0);
    assert_int_equal(regexec(&re, "printf(\"x\");", 0, NULL, 0), 0);
    assert_int_not_equal(regexec(&re, "    snprintf(buf, n, \"%s\", name);", 0, NULL, 0), 0);
    assert_int_not_equal(regexec(&re, "    lc_text_fprintf(stderr, \"%s\", name);", 0, NULL, 0), 0);
    regfree(&re);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_no_raw_terminal_writes),
        cmocka_unit_test(test_scan_catches_a_raw_print),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
