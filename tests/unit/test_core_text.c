/* core: prefixes, sizes, UTF-8, sanitizing hostile text for the terminal,
 * and head/tail cuts. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

/* ---- strings and sizes ---- */

static void test_starts_ends(void **state)
{
    (void)state;
    assert_true(lc_str_starts_with("openai/gpt", "openai/"));
    assert_true(lc_str_starts_with("x", ""));
    assert_false(lc_str_starts_with("open", "openai/"));
    assert_true(lc_str_ends_with("a.py", ".py"));
    assert_false(lc_str_ends_with("py", ".py"));
    assert_true(lc_str_ends_with("", ""));
}

static void test_parse_size_accepts(void **state)
{
    (void)state;
    static const struct { const char *in; int64_t want; } ok[] = {
        {"512m", 512LL << 20}, {"1g", 1LL << 30},     {"1G", 1LL << 30},
        {"1GiB", 1LL << 30},   {"1gb", 1LL << 30},    {"100k", 100LL << 10},
        {"4096", 4096},        {"0", 0},              {"2KiB", 2048},
        {"7b", 7},             {"1t", 1LL << 40},     {"8M", 8LL << 20},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        int64_t v = -1;
        assert_int_equal(lc_parse_size(ok[i].in, &v), LC_OK);
        assert_int_equal(v, ok[i].want);
    }
}

static void test_parse_size_rejects(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "", "-1", "1x", "g", "1 g", " 1g", "1g ", "1.5g", "1gg", "1ib", "1kbb",
        "99999999999999999999", "9223372036854775808", "8589934592g", "0x10", "+5",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t v = 123;
        assert_int_equal(lc_parse_size(bad[i], &v), LC_EINVAL);
        assert_int_equal(v, 123); /* untouched on failure */
    }
    int64_t v;
    assert_int_equal(lc_parse_size(NULL, &v), LC_EINVAL);
    assert_int_equal(lc_parse_size("9223372036854775807", &v), LC_OK);
    assert_int_equal(v, INT64_MAX);
    assert_int_equal(lc_parse_size("8589934591g", &v), LC_OK);
}

static void test_format_size(void **state)
{
    (void)state;
    char out[32];
    lc_format_size(1073741824, out, sizeof out);
    assert_string_equal(out, "1g");
    lc_format_size(536870912, out, sizeof out);
    assert_string_equal(out, "512m");
    lc_format_size(4096, out, sizeof out);
    assert_string_equal(out, "4k");
    lc_format_size(1000, out, sizeof out);
    assert_string_equal(out, "1000");
    lc_format_size(0, out, sizeof out);
    assert_string_equal(out, "0");
    lc_format_size(1536LL << 20, out, sizeof out);
    assert_string_equal(out, "1536m");
    /* Whatever it prints parses back to the same number. */
    int64_t samples[] = {1, 1023, 1024, 3LL << 30, (1LL << 30) + 1024, 5LL << 40};
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        int64_t back;
        lc_format_size(samples[i], out, sizeof out);
        assert_int_equal(lc_parse_size(out, &back), LC_OK);
        assert_int_equal(back, samples[i]);
    }
}

static void test_format_bytes_human(void **state)
{
    (void)state;
    char out[32];
    lc_format_bytes_human(0, out, sizeof out);
    assert_string_equal(out, "0 B");
    lc_format_bytes_human(1023, out, sizeof out);
    assert_string_equal(out, "1023 B");
    lc_format_bytes_human(1024, out, sizeof out);
    assert_string_equal(out, "1.0 KiB");
    lc_format_bytes_human(1536 * 1024, out, sizeof out);
    assert_string_equal(out, "1.5 MiB");
    lc_format_bytes_human(1ULL << 30, out, sizeof out);
    assert_string_equal(out, "1.0 GiB");
    lc_format_bytes_human((1ULL << 20) - 1, out, sizeof out);
    assert_string_equal(out, "1.0 MiB");
    lc_format_bytes_human(UINT64_MAX, out, sizeof out);
    assert_string_equal(out, "16.0 EiB");
    char tiny[4];
    lc_format_bytes_human(1ULL << 30, tiny, sizeof tiny);
    assert_int_equal(strlen(tiny), 3);
}

/* ---- UTF-8 ---- */

static void test_utf8_decode(void **state)
{
    (void)state;
    uint32_t cp;
    assert_int_equal(lc_utf8_decode("A", 1, &cp), 1);
    assert_int_equal(cp, 'A');
    assert_int_equal(lc_utf8_decode("\xc3\xa9", 2, &cp), 2);
    assert_int_equal(cp, 0xE9);
    assert_int_equal(lc_utf8_decode("\xe4\xb8\xad", 3, &cp), 3); /* 中 */
    assert_int_equal(cp, 0x4E2D);
    assert_int_equal(lc_utf8_decode("\xf0\x9f\x98\x80", 4, &cp), 4); /* emoji */
    assert_int_equal(cp, 0x1F600);
    assert_int_equal(lc_utf8_decode("\xc2\x9b", 2, &cp), 2); /* C1 CSI is valid UTF-8 */
    assert_int_equal(cp, 0x9B);

    assert_int_equal(lc_utf8_decode("", 0, &cp), 0);
    assert_int_equal(lc_utf8_decode("\xc0\xaf", 2, &cp), 0);         /* overlong '/' */
    assert_int_equal(lc_utf8_decode("\xe0\x80\xaf", 3, &cp), 0);     /* overlong */
    assert_int_equal(lc_utf8_decode("\xf0\x80\x80\xaf", 4, &cp), 0); /* overlong */
    assert_int_equal(lc_utf8_decode("\xed\xa0\x80", 3, &cp), 0);     /* surrogate */
    assert_int_equal(lc_utf8_decode("\xf4\x90\x80\x80", 4, &cp), 0); /* > U+10FFFF */
    assert_int_equal(lc_utf8_decode("\xe4\xb8", 2, &cp), 0);         /* truncated */
    assert_int_equal(lc_utf8_decode("\xe4\xb8\xad", 2, &cp), 0);     /* len respected */
    assert_int_equal(lc_utf8_decode("\x80", 1, &cp), 0);             /* lone continuation */
    assert_int_equal(lc_utf8_decode("\xff", 1, &cp), 0);
    assert_int_equal(lc_utf8_decode("\xc3\x28", 2, &cp), 0);
}

static void test_utf8_valid(void **state)
{
    (void)state;
    assert_true(lc_utf8_valid("", 0));
    assert_true(lc_utf8_valid("plain ascii", 11));
    assert_true(lc_utf8_valid("caf\xc3\xa9 \xe4\xb8\xad", 9));
    assert_false(lc_utf8_valid("caf\xc3", 4));
    assert_false(lc_utf8_valid("a\xffz", 3));
    assert_true(lc_utf8_valid("a\0b", 3)); /* NUL is valid UTF-8 */
}

/* ---- sanitize ---- */

static char *san(const char *in, size_t len, unsigned flags)
{
    lc_buf b = LC_BUF_INIT;
    lc_text_sanitize(in, len, flags, &b);
    return lc_buf_detach(&b);
}

/* The property that matters: nothing that could start or be part of a
 * terminal control sequence survives. */
static void assert_terminal_safe(const char *s, unsigned flags)
{
    size_t len = strlen(s);
    assert_true(lc_utf8_valid(s, len));
    for (size_t i = 0; i < len;) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n')
            assert_true(flags & LC_SAN_KEEP_NEWLINE);
        else if (c == '\t')
            assert_true(flags & LC_SAN_KEEP_TAB);
        else
            assert_false(c < 0x20 || c == 0x7f);
        uint32_t cp;
        size_t n = lc_utf8_decode(s + i, len - i, &cp);
        assert_true(n > 0);
        assert_false(cp >= 0x80 && cp <= 0x9f);
        i += n;
    }
}

static void test_sanitize_plain_and_unicode_kept(void **state)
{
    (void)state;
    const char *in = "hello \xe4\xb8\xad\xe6\x96\x87 e\xcc\x81 caf\xc3\xa9 \xf0\x9f\x98\x80 ~!";
    char *s = san(in, strlen(in), 0);
    assert_string_equal(s, in);
    free(s);
    s = san("", 0, 0);
    assert_string_equal(s, "");
    free(s);
}

static void test_sanitize_c0_and_del(void **state)
{
    (void)state;
    const char in[] = "a\x1b[2Jb\rc\x07\x7f\x01\x00z";
    char *s = san(in, sizeof in - 1, 0);
    assert_string_equal(s, "a^[[2Jb^Mc^G^?^A^@z");
    assert_terminal_safe(s, 0);
    free(s);
}

static void test_sanitize_newline_tab_flags(void **state)
{
    (void)state;
    char *s = san("a\nb\tc", 5, 0);
    assert_string_equal(s, "a^Jb^Ic");
    free(s);
    s = san("a\nb\tc", 5, LC_SAN_KEEP_NEWLINE);
    assert_string_equal(s, "a\nb^Ic");
    free(s);
    s = san("a\nb\tc\r\n", 7, LC_SAN_KEEP_NEWLINE | LC_SAN_KEEP_TAB);
    assert_string_equal(s, "a\nb\tc^M\n");
    free(s);
}

static void test_sanitize_osc52_clipboard(void **state)
{
    (void)state;
    /* OSC 52 would write to the user's clipboard; both terminators. */
    const char in[] = "x\x1b]52;c;ZWNobyBwd25lZA==\x07y\x1b]52;c;QQ==\x1b\\z";
    char *s = san(in, sizeof in - 1, LC_SAN_KEEP_NEWLINE);
    assert_string_equal(s, "x^[]52;c;ZWNobyBwd25lZA==^Gy^[]52;c;QQ==^[\\z");
    assert_terminal_safe(s, LC_SAN_KEEP_NEWLINE);
    free(s);
}

static void test_sanitize_c1_controls(void **state)
{
    (void)state;
    /* U+009B is a one-character CSI on many terminals; U+009D is OSC. */
    const char in[] = "a\xc2\x9b" "2Jb\xc2\x9d" "0;t\xc2\x9c" "c\xc2\x85";
    char *s = san(in, sizeof in - 1, 0);
    assert_string_equal(s, "a\\u009b2Jb\\u009d0;t\\u009cc\\u0085");
    assert_terminal_safe(s, 0);
    free(s);
    /* U+00A0 (first code point after C1) is printable and kept. */
    s = san("\xc2\xa0", 2, 0);
    assert_string_equal(s, "\xc2\xa0");
    free(s);
}

static void test_sanitize_invalid_utf8(void **state)
{
    (void)state;
    /* A raw 0x9b byte is C1 CSI in 8-bit terminals. */
    const char in[] = "a\x9b" "2J\xff\xc0\xaf\xe4\xb8z\xed\xa0\x80";
    char *s = san(in, sizeof in - 1, 0);
    assert_string_equal(s, "a\\x9b2J\\xff\\xc0\\xaf\\xe4\\xb8z\\xed\\xa0\\x80");
    assert_terminal_safe(s, 0);
    free(s);
    /* Truncated sequence at the very end. */
    s = san("ok\xe4", 3, 0);
    assert_string_equal(s, "ok\\xe4");
    free(s);
}

static void test_sanitize_bidi_overrides(void **state)
{
    (void)state;
    /* U+202E RIGHT-TO-LEFT OVERRIDE can make approved code read unlike what runs. */
    const char in[] = "x = 1 \xe2\x80\xae # comment \xe2\x81\xa6";
    char *s = san(in, sizeof in - 1, 0);
    assert_string_equal(s, "x = 1 \\u202e # comment \\u2066");
    free(s);
}

static void test_sanitize_appends(void **state)
{
    (void)state;
    lc_buf b = LC_BUF_INIT;
    lc_buf_puts(&b, "pre:");
    lc_text_sanitize("\x1b", 1, 0, &b);
    assert_string_equal(b.data, "pre:^[");
    lc_buf_free(&b);
}

static void test_sanitize_fuzz(void **state)
{
    (void)state;
    /* Random bytes of every kind: output is always terminal-safe. */
    unsigned seed = 12345;
    char in[512];
    for (int round = 0; round < 300; round++) {
        for (size_t i = 0; i < sizeof in; i++) {
            seed = seed * 1103515245u + 12345u;
            in[i] = (char)(seed >> 16);
        }
        unsigned flags = (unsigned)round & 3;
        lc_buf b = LC_BUF_INIT;
        lc_text_sanitize(in, sizeof in, flags, &b);
        assert_int_equal(strlen(b.data), b.len); /* no NUL sneaks through */
        assert_terminal_safe(b.data, flags);
        lc_buf_free(&b);
    }
}

/* The shapes an outside review tries, each alone: nothing of it may act. */
static void test_sanitize_csi_osc8_cr(void **state)
{
    (void)state;
    /* CSI (clear screen, cursor moves, SGR), OSC 8 hyperlink, \r overwrite. */
    const char in[] = "\x1b[2J\x1b[1;1H\x1b[31mred\x1b[0m"
                      "\x1b]8;;https://evil.example/\x1b\\link\x1b]8;;\x1b\\"
                      "fake ok\rreal";
    char *s = san(in, sizeof in - 1, LC_SAN_KEEP_NEWLINE | LC_SAN_KEEP_TAB);
    assert_string_equal(s, "^[[2J^[[1;1H^[[31mred^[[0m"
                           "^[]8;;https://evil.example/^[\\link^[]8;;^[\\"
                           "fake ok^Mreal");
    assert_terminal_safe(s, LC_SAN_KEEP_NEWLINE | LC_SAN_KEEP_TAB);
    free(s);
}

static void test_sanitize_separators_and_tags(void **state)
{
    (void)state;
    /* U+2028/U+2029 break a line in some viewers; U+E0041.. is invisible
     * "ASCII smuggling" text; U+200F/U+061C reorder. */
    const char in[] = "a\xe2\x80\xa8" "b\xe2\x80\xa9" "c\xf3\xa0\x81\x81" "d\xe2\x80\x8f" "e\xd8\x9c" "f";
    char *s = san(in, sizeof in - 1, 0);
    assert_string_equal(s, "a\\u2028b\\u2029c\\U000e0041d\\u200fe\\u061cf");
    free(s);
}

static void test_sanitize_long_name(void **state)
{
    (void)state;
    /* 100000 bytes of a name with an escape every 1000 bytes: all of it
     * kept, none of it live. */
    size_t n = 100000;
    char *in = lc_xmalloc(n);
    for (size_t i = 0; i < n; i++)
        in[i] = i % 1000 == 999 ? '\x1b' : (char)('a' + i % 26);
    char *s = san(in, n, 0);
    assert_int_equal(strlen(s), n + n / 1000);
    assert_terminal_safe(s, 0);
    free(s);
    free(in);
}

/* Sanitizing twice is sanitizing once: the print functions may see text
 * that a module already made safe, and must not mangle it further. */
static void test_sanitize_fixed_point(void **state)
{
    (void)state;
    unsigned seed = 777;
    char in[300];
    for (int round = 0; round < 200; round++) {
        for (size_t i = 0; i < sizeof in; i++) {
            seed = seed * 1103515245u + 12345u;
            in[i] = (char)(seed >> 16);
        }
        unsigned flags = (unsigned)round & 3;
        char *once = san(in, sizeof in, flags);
        char *twice = san(once, strlen(once), flags);
        assert_string_equal(once, twice);
        free(once);
        free(twice);
    }
}

/* ---- printing ---- */

static char *printed(void (*fn)(FILE *, const void *), const void *arg)
{
    FILE *f = tmpfile();
    assert_non_null(f);
    fn(f, arg);
    fflush(f);
    long n = ftell(f);
    rewind(f);
    char *s = lc_xcalloc(1, (size_t)n + 1);
    assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    return s;
}

static void print_fmt(FILE *f, const void *arg)
{
    lc_text_fprintf(f, "litecode-tui: not copied into the sandbox: %s\n\tsecond line\n", (const char *)arg);
}

static void print_puts(FILE *f, const void *arg)
{
    lc_text_fputs(f, arg);
}

static void test_print_sanitizes_arguments(void **state)
{
    (void)state;
    char *s = printed(print_fmt, "fifo\x1b[2J (a fifo)\r\xc2\x9b" "1m\xe2\x80\xae\xff");
    assert_string_equal(s, "litecode-tui: not copied into the sandbox: fifo^[[2J (a fifo)^M\\u009b1m\\u202e\\xff\n"
                           "\tsecond line\n");
    free(s);
    s = printed(print_puts, "a\nb\x07\x1b]52;c;QQ==\x07");
    assert_string_equal(s, "a\nb^G^[]52;c;QQ==^G");
    free(s);
}

static void test_text_line(void **state)
{
    (void)state;
    char *s = lc_text_line("name\nlitecode-tui: all fine\x1b[K");
    assert_string_equal(s, "name^Jlitecode-tui: all fine^[[K");
    free(s);
    s = lc_text_line(NULL);
    assert_string_equal(s, "");
    free(s);
}

/* ---- errors: made safe when they are made ---- */

static void test_err_sanitized(void **state)
{
    (void)state;
    lc_err err = {0};
    assert_int_equal(lc_err_set(&err, LC_EINVAL, "unknown model '%s'\n", "x\x1b]0;pwn\x07\xc2\x85"), LC_EINVAL);
    assert_string_equal(err.msg, "unknown model 'x^[]0;pwn^G\\u0085'\n");
    lc_err_prefix(&err, "reading %s", "cfg\r.yaml");
    assert_string_equal(err.msg, "reading cfg^M.yaml: unknown model 'x^[]0;pwn^G\\u0085'\n");
    lc_err_errno(&err, LC_EIO, 2, "opening %s", "\x1b[2Jf");
    assert_string_equal(err.msg, "opening ^[[2Jf: No such file or directory");
}

static void test_err_long_cut_on_character(void **state)
{
    (void)state;
    /* A message longer than the buffer, of 3-byte characters and escapes:
     * cut, still valid UTF-8, still safe; errno's reason survives. */
    lc_buf b = LC_BUF_INIT;
    for (int i = 0; i < 2000; i++)
        lc_buf_puts(&b, i % 7 ? "\xe4\xb8\xad" : "\x1b");
    lc_err err = {0};
    lc_err_set(&err, LC_EINVAL, "%s", b.data);
    assert_true(strlen(err.msg) < LC_ERR_MSG_MAX);
    assert_true(strlen(err.msg) > LC_ERR_MSG_MAX - 8);
    assert_terminal_safe(err.msg, 0);
    lc_err_errno(&err, LC_EIO, 13, "%s", b.data);
    assert_true(lc_str_ends_with(err.msg, ": Permission denied"));
    assert_terminal_safe(err.msg, 0);
    lc_err_prefix(&err, "%s", b.data);
    assert_terminal_safe(err.msg, 0);
    lc_buf_free(&b);
}

/* ---- head and tail ---- */

static void test_head_tail_short_kept(void **state)
{
    (void)state;
    lc_buf b = LC_BUF_INIT;
    lc_text_head_tail("0123456789", 10, 5, 5, &b);
    assert_string_equal(b.data, "0123456789");
    lc_buf_reset(&b);
    lc_text_head_tail("0123456789", 10, SIZE_MAX, SIZE_MAX, &b);
    assert_string_equal(b.data, "0123456789");
    lc_buf_free(&b);
}

static void test_head_tail_cut(void **state)
{
    (void)state;
    lc_buf b = LC_BUF_INIT;
    lc_text_head_tail("0123456789abcdefghij", 20, 4, 3, &b);
    assert_string_equal(b.data, "0123\n[... 13 bytes omitted ...]\nhij");
    lc_buf_reset(&b);
    lc_text_head_tail("0123456789", 10, 0, 0, &b);
    assert_string_equal(b.data, "\n[... 10 bytes omitted ...]\n");
    lc_buf_free(&b);
}

static void test_head_tail_utf8_boundaries(void **state)
{
    (void)state;
    /* "ab" + 中 (3 bytes) + "cd" + 文 (3 bytes) + "ef" = 12 bytes. */
    const char in[] = "ab\xe4\xb8\xad" "cd\xe6\x96\x87" "ef";
    lc_buf b = LC_BUF_INIT;
    /* head 3 would cut 中 after its first byte: backs up to "ab". tail 4
     * would start inside 文: advances to "ef". */
    lc_text_head_tail(in, 12, 3, 4, &b);
    assert_string_equal(b.data, "ab\n[... 8 bytes omitted ...]\nef");
    assert_true(lc_utf8_valid(b.data, b.len));
    lc_buf_reset(&b);
    lc_text_head_tail(in, 12, 5, 5, &b);
    assert_string_equal(b.data, "ab\xe4\xb8\xad\n[... 2 bytes omitted ...]\n\xe6\x96\x87" "ef");
    lc_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_starts_ends),
        cmocka_unit_test(test_parse_size_accepts),
        cmocka_unit_test(test_parse_size_rejects),
        cmocka_unit_test(test_format_size),
        cmocka_unit_test(test_format_bytes_human),
        cmocka_unit_test(test_utf8_decode),
        cmocka_unit_test(test_utf8_valid),
        cmocka_unit_test(test_sanitize_plain_and_unicode_kept),
        cmocka_unit_test(test_sanitize_c0_and_del),
        cmocka_unit_test(test_sanitize_newline_tab_flags),
        cmocka_unit_test(test_sanitize_osc52_clipboard),
        cmocka_unit_test(test_sanitize_c1_controls),
        cmocka_unit_test(test_sanitize_invalid_utf8),
        cmocka_unit_test(test_sanitize_bidi_overrides),
        cmocka_unit_test(test_sanitize_appends),
        cmocka_unit_test(test_sanitize_fuzz),
        cmocka_unit_test(test_sanitize_csi_osc8_cr),
        cmocka_unit_test(test_sanitize_separators_and_tags),
        cmocka_unit_test(test_sanitize_long_name),
        cmocka_unit_test(test_sanitize_fixed_point),
        cmocka_unit_test(test_print_sanitizes_arguments),
        cmocka_unit_test(test_text_line),
        cmocka_unit_test(test_err_sanitized),
        cmocka_unit_test(test_err_long_cut_on_character),
        cmocka_unit_test(test_head_tail_short_kept),
        cmocka_unit_test(test_head_tail_cut),
        cmocka_unit_test(test_head_tail_utf8_boundaries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
