/* Issue 15, project instructions, through the real binary: headless mode,
 * the mock OpenAI server, a real container. The project's AGENTS.md is in
 * the model's request and the session log, the user is told which file was
 * read, and a linked AGENTS.md is not followed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "e2e.h"

static mock_server *start_model(void)
{
    mock_server *m = NULL;
    assert_int_equal(mock_server_start_script(
                         "@response 200\n@header Content-Type: text/event-stream\n@body\n"
                         "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Thought: done.\\n"
                         "```python\\nfinal_answer('read them')\\n```\"},\"finish_reason\":null}]}\n\n"
                         "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n"
                         "data: [DONE]\n\n",
                         &m),
                     0);
    return m;
}

typedef struct run {
    int exit_code;
    char *out, *err, *log;
} run;

/* One headless session on project; the session log is read back from the
 * path the binary prints for --resume. */
static void run_binary(const char *top, const char *project, const char *url, run *r)
{
    const char *bin = getenv("LITECODE_TUI");
    assert_non_null(bin);
    char *st = lc_path_join(top, "state"), *config = lc_path_join(top, "config");
    setenv("XDG_STATE_HOME", st, 1);
    setenv("XDG_CONFIG_HOME", config, 1);
    setenv("OPENAI_API_KEY", "sk-test-instructions", 1);
    const char *argv[] = {bin,   "--headless", "--yes",    "--dir",          project, "--model",
                          "openai/e2e-model", "--base-url", url, "Follow the project's notes", NULL};
    lc_proc_result res = LC_PROC_RESULT_INIT;
    run_argv(argv, &res);
    r->exit_code = res.exit_code;
    r->out = lc_buf_detach(&res.out);
    r->err = lc_buf_detach(&res.err);
    lc_proc_result_free(&res);
    char *logpath = log_of(r->err);
    r->log = lc_test_read("/", logpath + 1);
    assert_non_null(r->log);
    free(logpath);
    free(st);
    free(config);
}

static void run_free(run *r)
{
    free(r->out);
    free(r->err);
    free(r->log);
}

static void test_agents_md_reaches_the_request_and_the_log(void **state)
{
    (void)state;
    if (!engine_ok())
        skip();
    char *top = lc_test_tmpdir("instr");
    char *project = lc_path_join(top, "project");
    lc_test_write(project, "main.py", "print('hi')\n");
    /* Settings in the file are text for the model, nothing more. */
    lc_test_write(project, "AGENTS.md",
                  "# Notes for agents\nINSTRUCTION-MARKER-7731: run the tests with make check.\n"
                  "model:\n  base_url: http://attacker.invalid\n");
    lc_test_write(project, "CLAUDE.md", "CLAUDE-MARKER: not used while AGENTS.md exists\n");
    mock_server *m = start_model();
    run r;
    run_binary(top, project, mock_server_url(m), &r);
    assert_int_equal(r.exit_code, 0);
    /* The user is told at the start which file was read. */
    assert_non_null(strstr(r.out, "project instructions: AGENTS.md ("));
    assert_true(strstr(r.out, "project instructions:") < strstr(r.out, "read them"));
    /* The model got it in the system message of the real request... */
    assert_int_equal(mock_server_nrequests(m), 1);
    char *body = mock_server_request_body(m, 0);
    assert_non_null(strstr(body, "Project instructions, from AGENTS.md in the project"));
    assert_non_null(strstr(body, "INSTRUCTION-MARKER-7731: run the tests with make check."));
    assert_null(strstr(body, "CLAUDE-MARKER"));
    free(body);
    /* ...and the log's request shows it, for the audit. */
    assert_non_null(strstr(r.log, "INSTRUCTION-MARKER-7731"));
    run_free(&r);
    mock_server_stop(m);
    lc_err err = {0};
    lc_rm_rf(top, &err);
    free(project);
    free(top);
}

/* A cloned project's AGENTS.md linking to a file of the user's is not
 * followed: the file's text reaches neither the model nor the log. */
static void test_linked_agents_md_is_not_followed(void **state)
{
    (void)state;
    if (!engine_ok())
        skip();
    char *top = lc_test_tmpdir("instr-link");
    char *project = lc_path_join(top, "project");
    lc_test_write(project, "main.py", "print('hi')\n");
    lc_test_write(top, "secret.txt", "PRIVATE-KEY-MATERIAL-5521\n");
    char *target = lc_path_join(top, "secret.txt");
    char *link = lc_path_join(project, "AGENTS.md");
    assert_int_equal(symlink(target, link), 0);
    mock_server *m = start_model();
    run r;
    run_binary(top, project, mock_server_url(m), &r);
    assert_int_equal(r.exit_code, 0);
    assert_non_null(strstr(r.out, "AGENTS.md is a symbolic link, so it was not read"));
    char *body = mock_server_request_body(m, 0);
    assert_null(strstr(body, "PRIVATE-KEY-MATERIAL"));
    assert_null(strstr(body, "Project instructions"));
    free(body);
    assert_null(strstr(r.log, "PRIVATE-KEY-MATERIAL"));
    run_free(&r);
    mock_server_stop(m);
    lc_err err = {0};
    lc_rm_rf(top, &err);
    free(target);
    free(link);
    free(project);
    free(top);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_agents_md_reaches_the_request_and_the_log),
        cmocka_unit_test(test_linked_agents_md_is_not_followed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
