/* The configuration docs cannot drift from the program: every YAML example
 * in docs/configuration.md and every examples/config file loads, every key
 * is documented with the default the program really has, and every option
 * and exit code is listed. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config/config.h"
#include "engine_support.h"

static char *docs;

static int setup(void **state)
{
    (void)state;
    docs = lc_test_read(LC_SOURCE_DIR, "docs/configuration.md");
    return docs ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    free(docs);
    return 0;
}

static int load_text(const char *text, const char *name, lc_config *c, lc_err *err)
{
    char *dir = lc_test_tmpdir("cfg-docs");
    lc_test_write(dir, name, text);
    char *path = lc_path_join(dir, name);
    lc_config_defaults(c);
    int rc = lc_config_load_file(c, path, LC_LAYER_USER, err);
    if (rc == LC_OK)
        rc = lc_config_validate(c, err);
    free(path);
    lc_rm_rf(dir, NULL);
    free(dir);
    return rc;
}

static void test_yaml_examples_load(void **state)
{
    (void)state;
    int blocks = 0;
    for (const char *p = strstr(docs, "```yaml\n"); p; p = strstr(p, "```yaml\n")) {
        p += 8;
        const char *end = strstr(p, "```\n");
        assert_non_null(end);
        char *text = lc_xstrndup(p, (size_t)(end - p));
        lc_config c;
        lc_err err = {0};
        if (load_text(text, "example.yaml", &c, &err) != LC_OK)
            fail_msg("docs/configuration.md YAML example %d does not load: %s\n%s", blocks + 1, err.msg, text);
        lc_config_free(&c);
        free(text);
        blocks++;
        p = end + 4;
    }
    assert_true(blocks >= 8);
}

/* "section.name" -> its value as --print-config shows the defaults. */
static char *default_text(const char *printed, const lc_config_key *k)
{
    char *sec = lc_xasprintf("\n%s:\n", k->section);
    char *key = lc_xasprintf("\n  %s: ", k->name);
    const char *s = strstr(printed, sec);
    const char *v = s ? strstr(s, key) : NULL;
    assert_non_null(v);
    v += strlen(key);
    const char *end = strstr(v, " # from ");
    while (end > v && end[-1] == ' ')
        end--;
    char *out = lc_xstrndup(v, (size_t)(end - v));
    free(sec);
    free(key);
    /* The image carries the version, which the docs write as <version>. */
    char *ver = strstr(out, LC_VERSION);
    if (ver) {
        char *fixed = lc_xasprintf("%.*s<version>%s", (int)(ver - out), out, ver + strlen(LC_VERSION));
        free(out);
        out = fixed;
    }
    return out;
}

static void test_every_key_documented_with_its_default(void **state)
{
    (void)state;
    lc_config c;
    lc_config_defaults(&c);
    lc_buf printed = LC_BUF_INIT;
    lc_buf_putc(&printed, '\n');
    lc_config_print(&c, &printed);
    const lc_config_key *keys = lc_config_keys();
    for (int i = 0; i < LC_CFG__COUNT; i++) {
        char *want = default_text(lc_buf_cstr(&printed), &keys[i]);
        char *row = lc_xasprintf("| `%s` | `%s` |", keys[i].dotted, want);
        if (!strstr(docs, row))
            fail_msg("docs/configuration.md has no row starting '%s'", row);
        free(row);
        free(want);
    }
    lc_buf_free(&printed);
    lc_config_free(&c);
}

static void test_options_and_exit_codes_documented(void **state)
{
    (void)state;
    static const char *const opts[] = {
#define LC_X_(id, lname, ...) "| `--" lname,
        LC_CLI_OPTIONS(LC_X_)
#undef LC_X_
    };
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++)
        if (!strstr(docs, opts[i]))
            fail_msg("docs/configuration.md does not document %s", opts[i] + 3);
    static const char *const codes[] = {
#define LC_X_(name, num, doc) "| " #num " | " doc " |\n",
        LC_EXIT_CODES(LC_X_)
#undef LC_X_
    };
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++)
        if (!strstr(docs, codes[i]))
            fail_msg("docs/configuration.md lacks the exit code row %s", codes[i]);
    static const char *const env[] = {
#define LC_X_(var, key) "`" var "` (" key ")",
        LC_CONFIG_ENV(LC_X_)
#undef LC_X_
    };
    for (size_t i = 0; i < sizeof env / sizeof env[0]; i++)
        if (!strstr(docs, env[i]))
            fail_msg("docs/configuration.md lacks %s", env[i]);
}

/* The error messages the docs quote are the ones the program prints. */
static void test_quoted_messages_are_real(void **state)
{
    (void)state;
    static const struct { const char *yaml, *quoted; } cases[] = {
        {"container:\n  cpus: 1\n  memroy: 1g\n", ":3:3: unknown key 'memroy' in section container; did you mean 'memory'?"},
        {"container:\n  memory: 12x\n", ":2:11: container.memory: '12x' is not a size; use a number with k, m or g, e.g. 512m"},
        {"container:\n  engine: dokcer\n", ":2:11: container.engine: 'dokcer' is not one of auto, docker or podman; did you mean 'docker'?"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lc_config c;
        lc_err err = {0};
        assert_int_equal(load_text(cases[i].yaml, "config.yaml", &c, &err), LC_EINVAL);
        lc_config_free(&c);
        const char *tail = strstr(err.msg, "config.yaml:");
        assert_non_null(tail);
        assert_string_equal(tail + strlen("config.yaml"), cases[i].quoted);
        /* The docs' line numbers belong to their own example; the text must match. */
        const char *msg = strchr(strchr(cases[i].quoted + 1, ':') + 1, ':') + 2;
        if (!strstr(docs, msg))
            fail_msg("docs/configuration.md does not quote: %s", msg);
    }
    static const char *const argv_memory[] = {"litecode-tui", "--memory", "12x"};
    lc_cli cli;
    lc_err err = {0};
    assert_int_equal(lc_cli_parse(3, (char **)argv_memory, &cli, &err), LC_EINVAL);
    char *quoted = lc_xasprintf("litecode-tui: %s\n", err.msg);
    assert_non_null(strstr(docs, quoted));
    free(quoted);
}

static void test_example_configs_load(void **state)
{
    (void)state;
    char *dir = lc_path_join(LC_SOURCE_DIR, "examples/config");
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!lc_str_ends_with(e->d_name, ".yaml"))
            continue;
        char *path = lc_path_join(dir, e->d_name);
        lc_config c;
        lc_config_defaults(&c);
        lc_err err = {0};
        int rc = lc_config_load_file(&c, path, LC_LAYER_USER, &err);
        if (rc == LC_OK)
            rc = lc_config_validate(&c, &err);
        if (rc != LC_OK)
            fail_msg("%s", err.msg);
        if (!c.model.name)
            fail_msg("%s sets no model.name", path);
        lc_config_free(&c);
        free(path);
        n++;
    }
    closedir(d);
    free(dir);
    assert_true(n >= 4); /* OpenAI, Anthropic, Ollama, LiteLLM proxy */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_yaml_examples_load),
        cmocka_unit_test(test_every_key_documented_with_its_default),
        cmocka_unit_test(test_options_and_exit_codes_documented),
        cmocka_unit_test(test_quoted_messages_are_real),
        cmocka_unit_test(test_example_configs_load),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
