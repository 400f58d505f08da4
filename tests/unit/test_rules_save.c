/* Saving an approval rule to the user's config (src/config/rules_save.c):
 * the file keeps every byte it had, the rule lands as one more item of the
 * block list approval.rules (made when missing) and reads back at its line;
 * a file in flow style, or one that would not read the rule back, is refused
 * and left as it was. Also: a rule's mistake names the rule's own line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/config.h"

#define RULE "allow saved-1: call os.remove | must: call os.remove | why: it's fine"
#define QUOTED "'allow saved-1: call os.remove | must: call os.remove | why: it''s fine'"

typedef struct fx {
    char dir[64];
    char *path;
} fx;

static int setup(void **state)
{
    fx *f = lc_xcalloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/lc-rules-save-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    f->path = lc_xasprintf("%s/litecode/config.yaml", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    lc_rm_rf(f->dir, NULL);
    free(f->path);
    free(f);
    return 0;
}

static void put(const fx *f, const char *text)
{
    char *d = lc_xasprintf("%s/litecode", f->dir);
    assert_int_equal(lc_mkdir_p(d, 0700, NULL), LC_OK);
    free(d);
    assert_int_equal(lc_file_write_atomic(f->path, text, strlen(text), 0640, NULL), LC_OK);
}

static char *get(const fx *f)
{
    lc_buf b = LC_BUF_INIT;
    assert_int_equal(lc_file_read(f->path, 1 << 20, &b, NULL), LC_OK);
    return lc_buf_detach(&b);
}

/* Appends RULE, expects the file to be `want` and the rule to load back at `line`. */
static void save_ok(const fx *f, const char *want, int line)
{
    int at = 0;
    lc_err err = {0};
    assert_int_equal(lc_approval_rule_append(f->path, RULE, &at, &err), LC_OK);
    assert_int_equal(at, line);
    char *now = get(f);
    assert_string_equal(now, want);
    free(now);
    lc_config c;
    lc_config_defaults(&c);
    assert_int_equal(lc_config_load_file(&c, f->path, LC_LAYER_USER, &err), LC_OK);
    size_t n = c.approval.rules.n;
    assert_true(n > 0);
    assert_string_equal(c.approval.rules.v[n - 1], RULE);
    char *origin = lc_xasprintf("%s:%d", f->path, line);
    assert_string_equal(c.approval.origins.v[n - 1], origin);
    free(origin);
    lc_config_free(&c);
}

static void test_no_file_yet(void **state)
{
    fx *f = *state;
    save_ok(f, "approval:\n  rules:\n    - " QUOTED "\n", 3);
    struct stat st;
    assert_int_equal(stat(f->path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
}

static void test_no_approval_section(void **state)
{
    fx *f = *state;
    put(f, "# my settings\nmodel:\n  name: openai/gpt-4o # the usual\n\n# end");
    save_ok(f, "# my settings\nmodel:\n  name: openai/gpt-4o # the usual\n\n# end\napproval:\n  rules:\n    - " QUOTED "\n",
            8);
    struct stat st;
    assert_int_equal(stat(f->path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640); /* the file's mode is kept */
}

static void test_approval_without_rules(void **state)
{
    fx *f = *state;
    put(f, "approval:\n    mode: reads   # reading steps run\nui:\n    theme: dark\n");
    save_ok(f, "approval:\n    rules:\n      - " QUOTED "\n    mode: reads   # reading steps run\nui:\n    theme: dark\n", 3);
}

static void test_empty_sections(void **state)
{
    fx *f = *state;
    put(f, "approval:\nui:\n  theme: dark\n");
    save_ok(f, "approval:\n  rules:\n    - " QUOTED "\nui:\n  theme: dark\n", 3);
    put(f, "approval:\n  rules:\n  mode: ask\n");
    save_ok(f, "approval:\n  rules:\n    - " QUOTED "\n  mode: ask\n", 3);
}

static void test_after_the_last_rule(void **state)
{
    fx *f = *state;
    const char *before = "approval:\n  rules:\n  - \"deny no-rm: call os.remove |\n    must: call os.remove\"\n"
                         "  # keep this comment\n  - >-\n    ask sub: call subprocess.run\n    | must: call subprocess.run\n"
                         "\n# after\nui:\n  theme: dark\n";
    put(f, before);
    char *want = lc_xasprintf("approval:\n  rules:\n  - \"deny no-rm: call os.remove |\n    must: call os.remove\"\n"
                              "  # keep this comment\n  - >-\n    ask sub: call subprocess.run\n    | must: call "
                              "subprocess.run\n\n  - %s\n# after\nui:\n  theme: dark\n",
                              QUOTED);
    /* A block scalar (>-) owns the blank lines after it: the rule goes after them. */
    save_ok(f, want, 10);
    free(want);
}

static void test_flow_style_is_refused(void **state)
{
    fx *f = *state;
    const char *bad[][2] = {
        {"approval:\n  rules: ['deny a: call x | must: call x']\n", "approval.rules is written in flow style ([...])"},
        {"approval: {mode: ask}\n", "approval is written in flow style ({...})"},
        {"{approval: {mode: ask}}\n", "flow-style mapping"},
        {"approval:\n  rules: 'deny a: call x | must: call x'\n", "approval.rules is not a list"},
        {"approval:\n  rules:\n    - 'oops'\n", "would not load"},
        {"approval:\n  rules:\n  - 'a\n", "not valid YAML"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        put(f, bad[i][0]);
        int line = 0;
        lc_err err = {0};
        assert_int_not_equal(lc_approval_rule_append(f->path, RULE, &line, &err), LC_OK);
        if (!strstr(err.msg, bad[i][1]))
            fail_msg("case %zu: %s", i, err.msg);
        assert_non_null(strstr(err.msg, f->path));
        char *now = get(f);
        assert_string_equal(now, bad[i][0]); /* untouched */
        free(now);
    }
}

static void test_text_that_cannot_be_a_line_is_refused(void **state)
{
    fx *f = *state;
    int line = 0;
    lc_err err = {0};
    assert_int_equal(lc_approval_rule_append(f->path, "allow a: write x\ny | must: write x\ny", &line, &err),
                     LC_EINVAL);
    assert_non_null(strstr(err.msg, "line break"));
    assert_int_equal(access(f->path, F_OK), -1);
}

static void test_a_symlinked_file_keeps_its_link(void **state)
{
    fx *f = *state;
    char *real = lc_xasprintf("%s/dotfiles.yaml", f->dir);
    assert_int_equal(lc_file_write_atomic(real, "ui:\n  theme: dark\n", 18, 0600, NULL), LC_OK);
    char *d = lc_xasprintf("%s/litecode", f->dir);
    assert_int_equal(lc_mkdir_p(d, 0700, NULL), LC_OK);
    assert_int_equal(symlink(real, f->path), 0);
    int line = 0;
    lc_err err = {0};
    assert_int_equal(lc_approval_rule_append(f->path, RULE, &line, &err), LC_OK);
    struct stat st;
    assert_int_equal(lstat(f->path, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    lc_buf b = LC_BUF_INIT;
    assert_int_equal(lc_file_read(real, 1 << 20, &b, NULL), LC_OK);
    assert_string_equal(lc_buf_cstr(&b), "ui:\n  theme: dark\napproval:\n  rules:\n    - " QUOTED "\n");
    lc_buf_free(&b);
    free(real);
    free(d);
}

/* A name the file has already is refused (the file may have changed since the name was picked). */
static void test_a_name_in_use_is_refused(void **state)
{
    fx *f = *state;
    const char *before = "approval:\n  rules:\n    - 'deny saved-1: call x | must: call x'\n";
    put(f, before);
    int line = 0;
    lc_err err = {0};
    assert_int_equal(lc_approval_rule_append(f->path, RULE, &line, &err), LC_EINVAL);
    assert_non_null(strstr(err.msg, "already has a rule named saved-1"));
    char *now = get(f);
    assert_string_equal(now, before);
    free(now);
}

/* The names a saved grant must avoid. */
static void test_names_in_the_file(void **state)
{
    fx *f = *state;
    put(f, "approval:\n  rules:\n    - 'allow saved-1: call x | must: call x'\n    - 'deny b: call y | must: call y'\n");
    lc_strv names = LC_STRV_INIT;
    lc_approval_rules_names(f->path, &names);
    assert_int_equal(names.n, 2);
    assert_string_equal(names.v[0], "saved-1");
    assert_string_equal(names.v[1], "b");
    lc_strv_free(&names);
}

/* A mistake in one rule is reported at that rule's line and column. */
static void test_rule_error_at_its_own_line(void **state)
{
    fx *f = *state;
    put(f, "approval:\n  rules:\n    - 'allow ok: call print | must: call print'\n    - 'deny x: call os.remove'\n");
    lc_config c;
    lc_config_defaults(&c);
    lc_err err = {0};
    assert_int_equal(lc_config_load_file(&c, f->path, LC_LAYER_USER, &err), LC_EINVAL);
    char *want = lc_xasprintf("%s:4:7: approval.rules entry 2: rule x: the rule has no example", f->path);
    if (!strstr(err.msg, want))
        fail_msg("%s", err.msg);
    free(want);
    lc_config_free(&c);
}

/* Sessions saving at once each keep their rule (the directory is locked from
 * the read to the rename). */
static void test_saves_at_once_keep_every_rule(void **state)
{
    fx *f = *state;
    put(f, "ui:\n  theme: dark\n");
    enum { N = 8 };
    pid_t kids[N];
    for (int i = 0; i < N; i++) {
        kids[i] = fork();
        assert_true(kids[i] >= 0);
        if (kids[i] == 0) {
            char rule[128];
            snprintf(rule, sizeof rule, "allow saved-%d: call os.remove | must: call os.remove", i + 1);
            int line = 0;
            _exit(lc_approval_rule_append(f->path, rule, &line, NULL) == LC_OK ? 0 : 1);
        }
    }
    for (int i = 0; i < N; i++) {
        int st = 0;
        assert_int_equal(waitpid(kids[i], &st, 0), kids[i]);
        assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    lc_strv names = LC_STRV_INIT;
    lc_approval_rules_names(f->path, &names);
    assert_int_equal(names.n, N);
    lc_strv_free(&names);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_no_file_yet, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_approval_section, setup, teardown),
        cmocka_unit_test_setup_teardown(test_approval_without_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_sections, setup, teardown),
        cmocka_unit_test_setup_teardown(test_after_the_last_rule, setup, teardown),
        cmocka_unit_test_setup_teardown(test_flow_style_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_text_that_cannot_be_a_line_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_symlinked_file_keeps_its_link, setup, teardown),
        cmocka_unit_test_setup_teardown(test_names_in_the_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_name_in_use_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_saves_at_once_keep_every_rule, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rule_error_at_its_own_line, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
