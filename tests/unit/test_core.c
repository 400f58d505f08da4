/* core: errors, buffers, string vectors, JSON, time, XDG directories and
 * paths. Text and sizes are in test_core_text.c, files in test_core_fs.c,
 * processes in test_core_proc.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"

/* ---- errors ---- */

static void test_err_set_and_prefix(void **state)
{
    (void)state;
    lc_err err = {0};
    assert_int_equal(lc_err_set(&err, LC_EINVAL, "bad %s at line %d", "memory", 3), LC_EINVAL);
    assert_int_equal(err.code, LC_EINVAL);
    assert_string_equal(err.msg, "bad memory at line 3");
    lc_err_prefix(&err, "loading %s", "config.yaml");
    assert_string_equal(err.msg, "loading config.yaml: bad memory at line 3");
    lc_err_clear(&err);
    assert_int_equal(err.code, LC_OK);
    assert_string_equal(err.msg, "");
    /* A NULL err is allowed and still returns the code. */
    assert_int_equal(lc_err_set(NULL, LC_EIO, "x"), LC_EIO);
    lc_err_prefix(NULL, "y");
}

static void test_err_errno(void **state)
{
    (void)state;
    lc_err err = {0};
    assert_int_equal(lc_err_errno(&err, LC_EIO, ENOSPC, "writing %s", "/tmp/x"), LC_EIO);
    assert_string_equal(err.msg, "writing /tmp/x: No space left on device");
}

static void test_err_truncates_long_messages(void **state)
{
    (void)state;
    lc_err err = {0};
    char big[3000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    lc_err_set(&err, LC_EIO, "%s", big);
    assert_int_equal(strlen(err.msg), LC_ERR_MSG_MAX - 1);
    lc_err_prefix(&err, "%s", big);
    assert_int_equal(strlen(err.msg), LC_ERR_MSG_MAX - 1);
    lc_err_errno(&err, LC_EIO, EACCES, "%s", big);
    assert_int_equal(strlen(err.msg), LC_ERR_MSG_MAX - 1);
    /* The OS reason survives a long path. */
    assert_true(lc_str_ends_with(err.msg, "aaa: Permission denied"));
}

static void test_status_names(void **state)
{
    (void)state;
    assert_string_equal(lc_status_name(LC_OK), "ok");
    assert_string_equal(lc_status_name(LC_ETIMEOUT), "timeout");
    assert_string_equal(lc_status_name(LC_ESTATE), "state");
    assert_string_equal(lc_status_name(12345), "unknown");
    for (int c = LC_OK; c >= LC_ESTATE; c--)
        assert_string_not_equal(lc_status_name(c), "unknown");
}

/* ---- memory, buffers, strv ---- */

static void test_xstr(void **state)
{
    (void)state;
    assert_null(lc_xstrdup(NULL));
    char *s = lc_xstrndup("abcdef", 3);
    assert_string_equal(s, "abc");
    free(s);
    s = lc_xstrndup("ab", 10);
    assert_string_equal(s, "ab");
    free(s);
    s = lc_xasprintf("%d-%s", 42, "x");
    assert_string_equal(s, "42-x");
    free(s);
}

static void test_buf_basics(void **state)
{
    (void)state;
    lc_buf b = LC_BUF_INIT;
    assert_string_equal(lc_buf_cstr(&b), "");
    lc_buf_puts(&b, "hello");
    lc_buf_putc(&b, ' ');
    lc_buf_printf(&b, "%s %d", "world", 7);
    assert_string_equal(b.data, "hello world 7");
    assert_int_equal(b.len, 13);
    lc_buf_append(&b, "\0x", 2); /* binary safe */
    assert_int_equal(b.len, 15);
    assert_int_equal(b.data[14], 'x');
    assert_int_equal(b.data[15], '\0');
    size_t cap = b.cap;
    lc_buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, cap);
    assert_string_equal(lc_buf_cstr(&b), "");
    lc_buf_free(&b);
    assert_null(b.data);
}

static void test_buf_printf_large(void **state)
{
    (void)state;
    lc_buf b = LC_BUF_INIT;
    char big[5000];
    memset(big, 'z', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    lc_buf_puts(&b, "<");
    lc_buf_printf(&b, "%s>", big);
    assert_int_equal(b.len, 5000 + 1);
    assert_int_equal(b.data[0], '<');
    assert_int_equal(b.data[4999], 'z');
    assert_int_equal(b.data[5000], '>');
    assert_int_equal(b.data[5001], '\0');
    lc_buf_free(&b);
}

static void test_buf_detach(void **state)
{
    (void)state;
    lc_buf b = LC_BUF_INIT;
    char *s = lc_buf_detach(&b);
    assert_non_null(s);
    assert_string_equal(s, "");
    free(s);
    lc_buf_puts(&b, "abc");
    s = lc_buf_detach(&b);
    assert_string_equal(s, "abc");
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    free(s);
}

static void test_strv(void **state)
{
    (void)state;
    lc_strv sv = LC_STRV_INIT;
    char *j = lc_strv_join(&sv, ",");
    assert_string_equal(j, "");
    free(j);
    for (int i = 0; i < 20; i++)
        lc_strv_pushf(&sv, "item%d", i);
    lc_strv_push(&sv, "plain");
    lc_strv_push_owned(&sv, lc_xstrdup("owned"));
    assert_int_equal(sv.n, 22);
    assert_null(sv.v[sv.n]); /* usable as argv */
    assert_string_equal(sv.v[19], "item19");
    assert_true(lc_strv_contains(&sv, "plain"));
    assert_true(lc_strv_contains(&sv, "owned"));
    assert_false(lc_strv_contains(&sv, "item"));

    lc_strv copy = LC_STRV_INIT;
    lc_strv_push(&copy, "first");
    lc_strv_copy(&copy, &sv);
    assert_int_equal(copy.n, 23);
    assert_string_equal(copy.v[1], "item0");
    assert_ptr_not_equal(copy.v[1], sv.v[0]);

    lc_strv_clear(&sv);
    assert_int_equal(sv.n, 0);
    lc_strv_push(&sv, "a");
    lc_strv_push(&sv, "b");
    lc_strv_push(&sv, "c");
    j = lc_strv_join(&sv, " | ");
    assert_string_equal(j, "a | b | c");
    free(j);
    lc_strv_free(&sv);
    lc_strv_free(&copy);
    assert_null(sv.v);
}

/* ---- JSON ---- */

static void test_json_accessors(void **state)
{
    (void)state;
    const char *text = "{\"s\":\"str\",\"n\":2.5,\"t\":true,\"f\":false,\"z\":null,\"o\":{}}";
    cJSON *j = lc_json_parse(text, strlen(text));
    assert_non_null(j);
    assert_string_equal(lc_json_str(j, "s"), "str");
    assert_null(lc_json_str(j, "n"));
    assert_null(lc_json_str(j, "missing"));
    assert_true(lc_json_num(j, "n", 0) == 2.5);
    assert_true(lc_json_num(j, "s", -1) == -1);
    assert_true(lc_json_bool(j, "t", false));
    assert_false(lc_json_bool(j, "f", true));
    assert_true(lc_json_bool(j, "z", true));
    assert_false(lc_json_bool(j, "missing", false));
    assert_null(lc_json_str(NULL, "s"));
    assert_true(lc_json_num(NULL, "n", 7) == 7);
    char *p = lc_json_print(j);
    assert_string_equal(p, "{\"s\":\"str\",\"n\":2.5,\"t\":true,\"f\":false,\"z\":null,\"o\":{}}");
    free(p);
    p = lc_json_print(NULL);
    assert_string_equal(p, "null");
    free(p);
    cJSON_Delete(j);
}

/* Numbers from a peer (kernel, server, log) are range-checked before a cast:
 * 1e300 cast to int is undefined behaviour (the fuzzers found it). */
static void test_json_int_range_checked(void **state)
{
    (void)state;
    const char *text = "{\"a\":7,\"big\":1e300,\"neg\":-3e9,\"half\":1.5,\"max\":9223372036854775807,"
                       "\"two63\":9223372036854775808,\"s\":\"7\",\"m\":-2,\"p53\":9007199254740992}";
    cJSON *j = lc_json_parse(text, strlen(text));
    assert_non_null(j);
    assert_int_equal(lc_json_int(j, "a", -1, 0, 10), 7);
    assert_int_equal(lc_json_int(j, "a", -1, 0, 6), -1);
    assert_int_equal(lc_json_int(j, "big", -1, 0, INT32_MAX), -1);
    assert_int_equal(lc_json_int(j, "neg", -1, INT32_MIN, INT32_MAX), -1);
    assert_int_equal(lc_json_int(j, "half", -1, 0, 10), -1);
    assert_int_equal(lc_json_int(j, "two63", -1, 0, INT64_MAX), -1);
    assert_int_equal(lc_json_int(j, "max", -1, 0, INT64_MAX), -1); /* as a double it is 2^63: past INT64_MAX */
    assert_int_equal(lc_json_int(j, "p53", -1, 0, INT64_MAX), 9007199254740992);
    assert_int_equal(lc_json_int(j, "s", -1, 0, 10), -1);
    assert_int_equal(lc_json_int(j, "m", 0, INT32_MIN, INT32_MAX), -2);
    assert_int_equal(lc_json_int(j, "missing", 5, 0, 10), 5);
    assert_int_equal(lc_json_int(NULL, "a", 5, 0, 10), 5);
    cJSON_Delete(j);
}

static void test_json_parse_length(void **state)
{
    (void)state;
    /* Not NUL-terminated: only len bytes count. */
    const char text[] = "{\"a\":1}GARBAGE";
    cJSON *j = lc_json_parse(text, 7);
    assert_non_null(j);
    assert_true(lc_json_num(j, "a", 0) == 1);
    cJSON_Delete(j);
    /* Trailing garbage, embedded NUL and truncation are all rejected. */
    assert_null(lc_json_parse(text, sizeof text - 1));
    assert_null(lc_json_parse("{\"a\":1}\0{}", 10));
    assert_null(lc_json_parse("{\"a\":", 5));
    assert_null(lc_json_parse("", 0));
    assert_null(lc_json_parse(NULL, 0));
    j = lc_json_parse(" [1,2] \n", 8);
    assert_non_null(j);
    assert_int_equal(cJSON_GetArraySize(j), 2);
    cJSON_Delete(j);
}

/* ---- time, random, XDG ---- */

static void test_clocks(void **state)
{
    (void)state;
    int64_t a = lc_now_ms();
    double as = lc_now_s();
    lc_sleep_ms(30);
    int64_t b = lc_now_ms();
    double bs = lc_now_s();
    assert_true(b - a >= 29);
    assert_true(bs - as >= 0.029);
    assert_true(lc_wall_ms() > 1600000000000LL);
    lc_sleep_ms(0);
    lc_sleep_ms(-5);
}

static void test_iso8601(void **state)
{
    (void)state;
    char out[40];
    lc_iso8601(0, out, sizeof out);
    assert_string_equal(out, "1970-01-01T00:00:00.000Z");
    lc_iso8601(1700000000123LL, out, sizeof out);
    assert_string_equal(out, "2023-11-14T22:13:20.123Z");
    lc_iso8601(-1, out, sizeof out);
    assert_string_equal(out, "1969-12-31T23:59:59.999Z");
}

static void test_sha256(void **state)
{
    (void)state;
    char h[LC_SHA256_HEX_LEN + 1];
    lc_sha256_hex("", 0, h);
    assert_string_equal(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    lc_sha256_hex("abc", 3, h);
    assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    /* 56 bytes: the length no longer fits the first block. */
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    lc_sha256_hex(m, strlen(m), h);
    assert_string_equal(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    char big[1000];
    memset(big, 'a', sizeof big);
    lc_sha256_hex(big, sizeof big, h);
    assert_string_equal(h, "41edece42d63e8d9bf515a9ba6932e1c20cbc9f5a5d134645adb5db1b9737ea3");
}

static void test_random_hex(void **state)
{
    (void)state;
    char a[33], b[33];
    lc_random_hex(a, 16);
    lc_random_hex(b, 16);
    assert_int_equal(strlen(a), 32);
    assert_int_equal(strspn(a, "0123456789abcdef"), 32);
    assert_string_not_equal(a, b);
    char big[2 * 200 + 1];
    lc_random_hex(big, 200);
    assert_int_equal(strlen(big), 400);
    char none[1] = {'x'};
    lc_random_hex(none, 0);
    assert_int_equal(none[0], '\0');
}

static void with_env(const char *name, const char *value)
{
    if (value)
        setenv(name, value, 1);
    else
        unsetenv(name);
}

static void test_xdg_dir(void **state)
{
    (void)state;
    char *saved_home = lc_xstrdup(getenv("HOME"));
    char *saved_cfg = lc_xstrdup(getenv("XDG_CONFIG_HOME"));
    char *saved_state = lc_xstrdup(getenv("XDG_STATE_HOME"));
    char *saved_cache = lc_xstrdup(getenv("XDG_CACHE_HOME"));
    lc_err err = {0};

    setenv("HOME", "/home/tester", 1);
    unsetenv("XDG_CONFIG_HOME");
    unsetenv("XDG_STATE_HOME");
    unsetenv("XDG_CACHE_HOME");
    char *d = lc_xdg_dir("config", &err);
    assert_string_equal(d, "/home/tester/.config/litecode");
    free(d);
    d = lc_xdg_dir("state", &err);
    assert_string_equal(d, "/home/tester/.local/state/litecode");
    free(d);
    d = lc_xdg_dir("cache", &err);
    assert_string_equal(d, "/home/tester/.cache/litecode");
    free(d);

    setenv("XDG_STATE_HOME", "/var/xdg-state", 1);
    d = lc_xdg_dir("state", &err);
    assert_string_equal(d, "/var/xdg-state/litecode");
    free(d);
    /* Relative values are invalid per the XDG spec and ignored. */
    setenv("XDG_CONFIG_HOME", "relative/dir", 1);
    d = lc_xdg_dir("config", &err);
    assert_string_equal(d, "/home/tester/.config/litecode");
    free(d);

    assert_null(lc_xdg_dir("music", &err));
    assert_int_equal(err.code, LC_EINVAL);
    assert_non_null(strstr(err.msg, "music"));

    /* Without HOME, the password database still knows. */
    unsetenv("HOME");
    d = lc_xdg_dir("cache", &err);
    if (d) {
        assert_true(d[0] == '/');
        assert_true(lc_str_ends_with(d, "/.cache/litecode"));
        free(d);
    }

    with_env("HOME", saved_home);
    with_env("XDG_CONFIG_HOME", saved_cfg);
    with_env("XDG_STATE_HOME", saved_state);
    with_env("XDG_CACHE_HOME", saved_cache);
    free(saved_home), free(saved_cfg), free(saved_state), free(saved_cache);
}

/* ---- paths ---- */

static void test_path_join(void **state)
{
    (void)state;
    static const char *const cases[][3] = {
        {"a", "b", "a/b"},   {"a/", "b", "a/b"},   {"/", "x", "/x"},     {"a", "/b", "a/b"},
        {"", "b", "b"},      {"a", "", "a"},       {"/r/s", "t/u", "/r/s/t/u"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *j = lc_path_join(cases[i][0], cases[i][1]);
        assert_string_equal(j, cases[i][2]);
        free(j);
    }
}

static void test_path_is_safe_relative(void **state)
{
    (void)state;
    static const char *const good[] = {"a", "a/b", "a/b/c.txt", ".hidden", "a/.b", "a..b",
                                       "..a", "a/b..", "...", "x y/z"};
    static const char *const bad[] = {"", "/a", "../a", "a/../b", "a//b", "./a", "a/.", "a/..",
                                      ".", "..", "a/", "/", "a/./b"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        if (!lc_path_is_safe_relative(good[i]))
            fail_msg("expected safe: '%s'", good[i]);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (lc_path_is_safe_relative(bad[i]))
            fail_msg("expected unsafe: '%s'", bad[i]);
    }
    assert_false(lc_path_is_safe_relative(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_err_set_and_prefix),
        cmocka_unit_test(test_err_errno),
        cmocka_unit_test(test_err_truncates_long_messages),
        cmocka_unit_test(test_status_names),
        cmocka_unit_test(test_xstr),
        cmocka_unit_test(test_buf_basics),
        cmocka_unit_test(test_buf_printf_large),
        cmocka_unit_test(test_buf_detach),
        cmocka_unit_test(test_strv),
        cmocka_unit_test(test_json_accessors),
        cmocka_unit_test(test_json_int_range_checked),
        cmocka_unit_test(test_json_parse_length),
        cmocka_unit_test(test_clocks),
        cmocka_unit_test(test_iso8601),
        cmocka_unit_test(test_sha256),
        cmocka_unit_test(test_random_hex),
        cmocka_unit_test(test_xdg_dir),
        cmocka_unit_test(test_path_join),
        cmocka_unit_test(test_path_is_safe_relative),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
