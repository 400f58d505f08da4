/* config: the command line (every flag's effect, the error messages), the
 * generated --help and man page, exit codes and the project trust store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config/config.h"
#include "engine_support.h"

#define MAX_ARGS 32

/* Parses a NULL-terminated list of arguments after the program name. */
static int parse(lc_cli *cli, lc_err *err, ...)
{
    static char *argv[MAX_ARGS + 2]; /* argv strings must outlive cli */
    va_list ap;
    va_start(ap, err);
    int argc = 0;
    argv[argc++] = "litecode-tui";
    char *a;
    while ((a = va_arg(ap, char *)) && argc < MAX_ARGS)
        argv[argc++] = a;
    va_end(ap);
    argv[argc] = NULL;
    return lc_cli_parse(argc, argv, cli, err);
}

static void test_parse_session_options(void **state)
{
    (void)state;
    lc_cli cli;
    lc_err err = {0};
    assert_int_equal(parse(&cli, &err, "fix the tests", "--dir", "/src/p", "--config=/etc/lc.yaml", "--headless",
                           "--resume", "s.jsonl", "--report", "r.md", "--patch-out", "out.patch", "--apply",
                           "--check", "--print-config", "--trust", NULL),
                     LC_OK);
    assert_string_equal(cli.task, "fix the tests");
    assert_string_equal(cli.dir, "/src/p");
    assert_string_equal(cli.config_path, "/etc/lc.yaml");
    assert_string_equal(cli.resume_path, "s.jsonl");
    assert_string_equal(cli.report_path, "r.md");
    assert_string_equal(cli.patch_out_path, "out.patch");
    assert_true(cli.headless && cli.apply && cli.check && cli.print_config && cli.trust);
    assert_false(cli.yes || cli.version || cli.help);

    assert_int_equal(parse(&cli, &err, "-d", "src", "-t", "do it", "-yV", "-h", "-csome.yaml", "-r", "log", NULL),
                     LC_OK);
    assert_string_equal(cli.dir, "src");
    assert_string_equal(cli.task, "do it");
    assert_string_equal(cli.config_path, "some.yaml");
    assert_string_equal(cli.resume_path, "log");
    assert_true(cli.yes && cli.version && cli.help);

    /* After "--" everything is the task, even if it looks like an option. */
    assert_int_equal(parse(&cli, &err, "--", "--explain -v", NULL), LC_OK);
    assert_string_equal(cli.task, "--explain -v");
    assert_int_equal(parse(&cli, &err, NULL), LC_OK);
    assert_null(cli.task);
    assert_null(cli.dir);
}

typedef struct bad_cli {
    const char *args[4];
    const char *message;
} bad_cli;

static const bad_cli bad[] = {
    {{"--memory", "12x"}, "--memory: '12x' is not a size; use a number with k, m or g, e.g. 512m"},
    {{"--memroy", "1g"}, "unknown option '--memroy'; did you mean '--memory'?"},
    {{"--frobnicate"}, "unknown option '--frobnicate'; litecode-tui --help lists the options"},
    {{"-z"}, "unknown option '-z'; litecode-tui --help lists the options"},
    {{"--\x1b[2J"}, "unknown option '--^[[2J'; litecode-tui --help"},
    {{"a", "\x1b]0;x\x07"}, "unexpected argument '^[]0;x^G' after the task 'a'"},
    {{"--memory"}, "--memory needs a value: --memory SIZE"},
    {{"-m"}, "--model needs a value: --model M"},
    {{"--headless=yes"}, "--headless takes no value; write just --headless"},
    {{"--max-steps", "0"}, "--max-steps: 0 is out of range; use a value from 1 to 1000"},
    {{"--max-steps", "ten"}, "--max-steps: 'ten' is not a whole number"},
    {{"--cpus", "lots"}, "--cpus: 'lots' is not a number; e.g. 0.5"},
    {{"--timeout", "0"}, "--timeout: 0 is out of range; use a value from 1 to 86400"},
    {{"--engine", "dokcer"}, "--engine: 'dokcer' is not one of auto, docker or podman; did you mean 'docker'?"},
    {{"--template", "fast"}, "--template: 'fast' is not one of default, secure or ml"},
    {{"--model", "openai/"}, "--model: 'openai/' is not a model"},
    {{"--base-url", "localhost:11434"}, "--base-url: 'localhost:11434' is not an http:// or https:// URL"},
    {{"--agent", "../x"}, "--agent: '../x' is not a profile name"},
    {{"--image", "--privileged"}, "--image: '--privileged' is not an image reference"},
    {{"--dir="}, "--dir: the value is empty; e.g. --dir DIR"},
    {{"one", "two"}, "unexpected argument 'two' after the task 'one'; give the task as one quoted argument"},
    {{"one", "--task", "two"}, "the task is given twice ('one' and 'two'); give it once"},
    {{"--apply"}, "--apply is for headless runs; add --headless"},
};

static void test_parse_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        lc_cli cli;
        lc_err err = {0};
        const char *const *a = bad[i].args;
        int rc = parse(&cli, &err, a[0], a[1], a[2], a[3], NULL);
        if (rc != LC_EINVAL || !lc_str_starts_with(err.msg, bad[i].message))
            fail_msg("case %zu (%s): rc %d: %s", i, a[0], rc, err.msg);
        assert_int_equal(lc_exit_code_for(rc), 2);
    }
}

/* Each config flag's effect on the config, and its provenance. */
static void test_apply_each_flag(void **state)
{
    (void)state;
    lc_cli cli;
    lc_err err = {0};
    int rc = parse(&cli, &err, "-m", "ollama/llama3", "--base-url", "http://127.0.0.1:11434/v1", "-a", "codemod",
                   "-e", "podman", "--image", "my/image:2", "--memory", "768m", "--cpus", "2.5", "--timeout", "90",
                   NULL);
    assert_int_equal(rc, LC_OK);
    lc_config c;
    lc_config_defaults(&c);
    assert_int_equal(lc_cli_apply(&cli, &c, &err), LC_OK);
    assert_string_equal(c.model.name, "ollama/llama3");
    assert_string_equal(c.model.base_url, "http://127.0.0.1:11434/v1");
    assert_string_equal(c.agent.profile, "codemod");
    assert_int_equal(c.container.engine, LC_ENGINE_PODMAN);
    assert_string_equal(c.container.image, "my/image:2");
    assert_true(c.container.memory_bytes == 768LL * 1024 * 1024);
    assert_true(c.container.cpus == 2.5);
    assert_int_equal(c.container.timeout_s, 90);
    char o[600];
    assert_string_equal(lc_config_origin_describe(&c, LC_CFG_CONTAINER_MEMORY, o, sizeof o), "flag --memory");
    assert_string_equal(lc_config_origin_describe(&c, LC_CFG_MODEL_NAME, o, sizeof o), "flag --model");
    assert_string_equal(lc_config_origin_describe(&c, LC_CFG_AGENT_PROFILE, o, sizeof o), "flag --agent");
    lc_config_free(&c);

    rc = parse(&cli, &err, "-T", "ml", "--network", "--max-steps", "7", "--theme", "light", "--yes", NULL);
    assert_int_equal(rc, LC_OK);
    lc_config_defaults(&c);
    assert_int_equal(lc_cli_apply(&cli, &c, &err), LC_OK);
    assert_string_equal(c.container.template_name, "ml");
    assert_string_equal(c.container.image, "litecode-sandbox-ml:" LC_VERSION);
    assert_int_equal(c.container.timeout_s, 120);
    assert_true(c.container.network);
    assert_int_equal(c.agent.max_steps, 7);
    assert_string_equal(c.ui.theme, "light");
    assert_true(c.security.auto_approve);
    assert_true(cli.yes);
    lc_strv l = LC_STRV_INIT;
    lc_config_loosened(&c, &l);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.v[0], "network on (flag --network)");
    assert_string_equal(l.v[1], "auto-approve on (flag --yes)");
    lc_strv_free(&l);
    lc_config_free(&c);

    /* --set reaches any key, in order, after the other flags; null unsets. */
    rc = parse(&cli, &err, "--set", "agent.type=tool_calling", "--model", "openai/a", "--set=model.name=openai/b",
               "--set", "container.authorized_imports=json,re", "--set", "model.base_url=null", NULL);
    assert_int_equal(rc, LC_OK);
    assert_int_equal(cli.nsets, 4);
    lc_config_defaults(&c);
    lc_config_set(&c, "model.base_url", "http://x/v1", LC_ORIGIN_FILE, "f:1", &err);
    assert_int_equal(lc_cli_apply(&cli, &c, &err), LC_OK);
    assert_int_equal(c.agent.type, LC_AGENT_TOOL_CALLING);
    assert_string_equal(c.model.name, "openai/b");
    assert_null(c.model.base_url);
    assert_int_equal(c.container.authorized_imports.n, 2);
    assert_string_equal(lc_config_origin_describe(&c, LC_CFG_AGENT_TYPE, o, sizeof o), "flag --set");
    lc_config_free(&c);
    /* Its errors name the key and the fix, before anything starts. */
    static const struct {
        const char *arg, *message;
    } set_bad[] = {
        {"agent.typo=1", "--set agent.typo: unknown key 'agent.typo'; did you mean 'agent.type'?"},
        {"model.temperature=9", "--set model.temperature: 9 is out of range"},
        {"agent.type", "--set 'agent.type': write KEY=VALUE"},
        {"agent.max_steps=null", "--set agent.max_steps: needs a value"},
    };
    for (size_t i = 0; i < sizeof set_bad / sizeof set_bad[0]; i++) {
        rc = parse(&cli, &err, "--set", set_bad[i].arg, NULL);
        if (rc != LC_EINVAL || !lc_str_starts_with(err.msg, set_bad[i].message))
            fail_msg("--set %s: rc %d: %s", set_bad[i].arg, rc, err.msg);
    }
    /* The security rules hold: local execution stays refused. */
    rc = parse(&cli, &err, "--set", "security.allow_local_code_execution=true", NULL);
    assert_int_equal(rc, LC_OK);
    lc_config_defaults(&c);
    assert_int_equal(lc_cli_apply(&cli, &c, &err), LC_ESECURITY);
    lc_config_free(&c);

    /* Flags that are not config keys leave the config alone. */
    rc = parse(&cli, &err, "--headless", "--dir", "/x", "--check", NULL);
    assert_int_equal(rc, LC_OK);
    lc_config_defaults(&c);
    lc_buf before = LC_BUF_INIT, after = LC_BUF_INIT;
    lc_config_print(&c, &before);
    assert_int_equal(lc_cli_apply(&cli, &c, &err), LC_OK);
    lc_config_print(&c, &after);
    assert_string_equal(lc_buf_cstr(&before), lc_buf_cstr(&after));
    lc_buf_free(&before);
    lc_buf_free(&after);
    lc_config_free(&c);
}

static void test_help(void **state)
{
    (void)state;
    lc_buf b = LC_BUF_INIT;
    lc_cli_help(&b);
    const char *h = lc_buf_cstr(&b);
    assert_true(lc_str_starts_with(h, "Usage: litecode-tui [OPTIONS] [TASK]\n"));
    static const char *const longs[] = {
#define LC_X_(id, lname, ...) "--" lname,
        LC_CLI_OPTIONS(LC_X_)
#undef LC_X_
    };
    for (size_t i = 0; i < sizeof longs / sizeof longs[0]; i++)
        if (!strstr(h, longs[i]))
            fail_msg("--help does not mention %s", longs[i]);
    assert_non_null(strstr(h, "  -m, --model M           Model as provider/name"));
    assert_non_null(strstr(h, "      --memory SIZE       Memory limit"));
    assert_non_null(strstr(h, "Exit codes:\n  0   success"));
    assert_non_null(strstr(h, "  5   refused by a security rule\n"));
    assert_non_null(strstr(h, "  6   no usable container engine\n"));
    assert_non_null(strstr(h, "LITECODE_MODEL"));
    /* Fits an 80-column terminal. */
    for (const char *p = h; *p;) {
        size_t len = strcspn(p, "\n");
        if (len > 79)
            fail_msg("line longer than 79 columns: %.*s", (int)len, p);
        p += len + (p[len] ? 1 : 0);
    }
    lc_buf_free(&b);
}

static void test_manpage_matches_committed(void **state)
{
    (void)state;
    lc_buf b = LC_BUF_INIT;
    lc_cli_manpage(&b);
    char *committed = lc_test_read(LC_SOURCE_DIR, "docs/litecode-tui.1");
    if (!committed || strcmp(committed, lc_buf_cstr(&b)) != 0) {
        lc_test_write(LC_BINARY_DIR, "litecode-tui.1", lc_buf_cstr(&b));
        fail_msg("docs/litecode-tui.1 is out of date; regenerate it: cp %s/litecode-tui.1 %s/docs/", LC_BINARY_DIR,
                 LC_SOURCE_DIR);
    }
    const char *m = lc_buf_cstr(&b);
    assert_non_null(strstr(m, ".SH EXIT STATUS"));
    assert_non_null(strstr(m, "\\fB\\-\\-print\\-config\\fR"));
    assert_non_null(strstr(m, ".B container.memory\nMemory limit; swap is set equal, so there is no extra swap. Default: \\fB1g\\fR.\n"));
    assert_non_null(strstr(m, "Default: \\fBlitecode\\-sandbox:VERSION\\fR."));
    free(committed);
    lc_buf_free(&b);
}

static void test_exit_codes(void **state)
{
    (void)state;
    assert_int_equal(lc_exit_code_for(LC_OK), 0);
    assert_int_equal(lc_exit_code_for(LC_EIO), 1);
    assert_int_equal(lc_exit_code_for(LC_EINVAL), 2);
    assert_int_equal(lc_exit_code_for(LC_ECANCEL), 3);
    assert_int_equal(LC_EXIT_MAX_STEPS, 4);
    assert_int_equal(lc_exit_code_for(LC_ESECURITY), 5);
    assert_int_equal(lc_exit_code_for(LC_EENGINE), 6);
}

static void test_trust(void **state)
{
    (void)state;
    char *st = lc_test_tmpdir("cfg-state");
    char *proj = lc_test_tmpdir("cfg-proj");
    char *other = lc_test_tmpdir("cfg-other");
    setenv("XDG_STATE_HOME", st, 1);
    lc_err err = {0};

    assert_int_equal(lc_project_state_of(proj), LC_PROJECT_NONE);
    const char *yaml = "container:\n  memory: 512m\n";
    lc_test_write(proj, ".litecode.yaml", yaml);
    assert_false(lc_trust_is_trusted(proj));
    assert_int_equal(lc_project_state_of(proj), LC_PROJECT_UNTRUSTED);

    assert_int_equal(lc_trust_add(proj, NULL, &err), LC_OK);
    assert_true(lc_trust_is_trusted(proj));
    char hash[LC_SHA256_HEX_LEN + 1], want_hash[LC_SHA256_HEX_LEN + 1];
    lc_sha256_hex(yaml, strlen(yaml), want_hash);
    assert_int_equal(lc_trust_check(proj, hash), LC_PROJECT_TRUSTED);
    assert_string_equal(hash, want_hash);
    assert_false(lc_trust_is_trusted(other));

    /* The same directory through a symlink is the same project. */
    char *link = lc_xasprintf("%s-link", proj);
    assert_int_equal(symlink(proj, link), 0);
    assert_true(lc_trust_is_trusted(link));
    assert_int_equal(lc_trust_add(link, NULL, &err), LC_OK);
    char *store = lc_test_read(st, "litecode/trusted.txt");
    char *want = lc_xasprintf("sha256:%s %s\n", want_hash, proj);
    assert_string_equal(store, want); /* once, by its real path and the file's hash */
    free(store);
    free(want);

    /* Trust covers the content: one byte more and the file is asked about
     * again; trusting the new content replaces the old line. */
    lc_test_write(proj, ".litecode.yaml", "container:\n  memory: 512m\nmodel:\n  base_url: http://evil/v1\n");
    assert_false(lc_trust_is_trusted(proj));
    assert_int_equal(lc_trust_check(proj, hash), LC_PROJECT_CHANGED);
    assert_string_not_equal(hash, want_hash);
    lc_config c;
    lc_config_load_opts lo = LC_CONFIG_LOAD_OPTS_INIT;
    lo.dir = proj;
    lo.project_trusted = true;
    lo.project_sha256 = want_hash; /* changed between the check and the load */
    assert_int_equal(lc_config_load(&c, &lo, &err), LC_ESECURITY);
    assert_non_null(strstr(err.msg, "changed while litecode-tui was starting"));
    lc_config_free(&c);
    lc_test_write(proj, ".litecode.yaml", "container:\n  memory: 256m\n");
    assert_int_equal(lc_trust_add(proj, NULL, &err), LC_OK);
    assert_int_equal(lc_trust_check(proj, hash), LC_PROJECT_TRUSTED);
    store = lc_test_read(st, "litecode/trusted.txt");
    assert_null(strstr(store, want_hash));
    assert_int_equal(strchr(store, '\n') - store + 1, (long)strlen(store)); /* one line */
    free(store);

    /* A store of an older version (path only) binds nothing. */
    char *old = lc_xasprintf("%s\n", proj);
    lc_test_write(st, "litecode/trusted.txt", old);
    free(old);
    char *sp = lc_trust_store_path(&err);
    assert_int_equal(chmod(sp, 0600), 0);
    free(sp);
    assert_int_equal(lc_trust_check(proj, NULL), LC_PROJECT_UNTRUSTED);
    assert_int_equal(lc_trust_add(proj, NULL, &err), LC_OK);

    /* A .litecode.yaml that is a symlink is not read, nor trusted. */
    char *outside = lc_path_join(other, "cfg.yaml");
    lc_test_write(other, "cfg.yaml", "container:\n  memory: 256m\n");
    char *pf = lc_path_join(proj, ".litecode.yaml");
    unlink(pf);
    assert_int_equal(symlink(outside, pf), 0);
    assert_int_equal(lc_trust_add(proj, NULL, &err), LC_ESECURITY);
    assert_non_null(strstr(err.msg, "is a symlink"));
    assert_false(lc_trust_is_trusted(proj));
    unlink(pf);
    lc_test_write(proj, ".litecode.yaml", "container:\n  memory: 256m\n");
    free(pf);
    free(outside);

    /* Neither a longer name that starts the same nor a subdirectory. */
    char *longer = lc_xasprintf("%sx", proj);
    char *sub = lc_path_join(proj, "sub");
    assert_int_equal(mkdir(longer, 0700), 0);
    assert_int_equal(mkdir(sub, 0700), 0);
    assert_false(lc_trust_is_trusted(longer));
    assert_false(lc_trust_is_trusted(sub));
    lc_rm_rf(longer, &err);
    free(longer);
    free(sub);

    /* A store others can write is ignored. */
    char *path = lc_trust_store_path(&err);
    assert_int_equal(chmod(path, 0666), 0);
    assert_false(lc_trust_is_trusted(proj));
    assert_int_equal(lc_trust_add(proj, NULL, &err), LC_ESECURITY);
    assert_non_null(strstr(err.msg, "chmod 600"));
    assert_int_equal(chmod(path, 0600), 0);
    assert_true(lc_trust_is_trusted(proj));

    assert_int_equal(lc_trust_add("/nonexistent/dir", NULL, &err), LC_ENOTFOUND);
    unlink(link);
    free(link);
    free(path);
    unsetenv("XDG_STATE_HOME");
    lc_rm_rf(st, &err);
    lc_rm_rf(proj, &err);
    lc_rm_rf(other, &err);
    free(st);
    free(proj);
    free(other);
}

static void test_trust_prompt(void **state)
{
    (void)state;
    char *proj = lc_test_tmpdir("cfg-prompt");
    char *home = lc_test_tmpdir("cfg-prompt-home");
    setenv("XDG_CONFIG_HOME", home, 1);
    const char *yaml = "container:\n  memory: 256m\n  network: false\n# a comment\n";
    lc_test_write(proj, ".litecode.yaml", yaml);
    lc_buf b = LC_BUF_INIT;
    lc_err err = {0};
    char hash[LC_SHA256_HEX_LEN + 1], want[LC_SHA256_HEX_LEN + 1];
    lc_sha256_hex(yaml, strlen(yaml), want);
    assert_int_equal(lc_trust_prompt_text(proj, false, &b, hash, &err), LC_OK);
    assert_string_equal(hash, want); /* the hash of the bytes shown */
    const char *t = lc_buf_cstr(&b);
    assert_non_null(strstr(t, "It sets:\n  container.memory: 256m\n  container.network: false\nTrust this project"));
    assert_true(lc_str_ends_with(t, "[y/N] "));
    assert_non_null(strstr(t, proj));
    assert_null(strstr(t, "changed since"));
    lc_buf_reset(&b);
    assert_int_equal(lc_trust_prompt_text(proj, true, &b, hash, &err), LC_OK);
    assert_non_null(strstr(lc_buf_cstr(&b), "changed since you trusted it"));

    /* Limits compare with the user's own file: what it allows, a project
     * may ask for as long as it is no more. */
    lc_test_write(home, "litecode/config.yaml", "container:\n  memory: 4g\n");
    lc_test_write(proj, ".litecode.yaml", "container:\n  memory: 2g\n");
    lc_buf_reset(&b);
    assert_int_equal(lc_trust_prompt_text(proj, false, &b, hash, &err), LC_OK);
    assert_non_null(strstr(lc_buf_cstr(&b), "It sets:\n  container.memory: 2g\nTrust"));

    /* A file with a refused setting is not offered for trust at all. */
    lc_test_write(proj, ".litecode.yaml", "security:\n  auto_approve: true\n");
    lc_buf_reset(&b);
    assert_int_equal(lc_trust_prompt_text(proj, false, &b, hash, &err), LC_ESECURITY);
    assert_non_null(strstr(err.msg, ".litecode.yaml:2:3:"));
    assert_int_equal(b.len, 0);
    lc_test_write(proj, ".litecode.yaml", "model:\n  base_url: http://127.0.0.1:9/v1\n");
    assert_int_equal(lc_trust_prompt_text(proj, false, &b, hash, &err), LC_ESECURITY);
    assert_non_null(strstr(err.msg, ".litecode.yaml:2:3: model.base_url is refused in a project file"));

    lc_buf_reset(&b);
    lc_trust_refusal_text("/tmp/it's \x1b[2J here", false, &b);
    t = lc_buf_cstr(&b);
    assert_non_null(strstr(t, "litecode-tui --trust --dir '/tmp/it'\\''s ^[[2J here'\n"));
    assert_null(strchr(t, '\x1b'));
    lc_buf_reset(&b);
    lc_trust_refusal_text("/src/proj", false, &b);
    assert_true(lc_str_ends_with(lc_buf_cstr(&b), "--trust --dir /src/proj\n"));
    lc_buf_reset(&b);
    lc_trust_refusal_text("/src/proj", true, &b);
    assert_non_null(strstr(lc_buf_cstr(&b), "changed since you trusted the project"));
    assert_true(lc_str_ends_with(lc_buf_cstr(&b), "trust it again with: litecode-tui --trust --dir /src/proj\n"));
    lc_buf_free(&b);
    unsetenv("XDG_CONFIG_HOME");
    lc_rm_rf(proj, &err);
    lc_rm_rf(home, &err);
    free(proj);
    free(home);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_session_options),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_apply_each_flag),
        cmocka_unit_test(test_help),
        cmocka_unit_test(test_manpage_matches_committed),
        cmocka_unit_test(test_exit_codes),
        cmocka_unit_test(test_trust),
        cmocka_unit_test(test_trust_prompt),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
