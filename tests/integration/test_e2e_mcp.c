/* MCP end to end, as a user runs it: the real litecode-tui binary headless,
 * the mock model server speaking OpenAI's streaming protocol, a real
 * container, and tests/support/mcp_server.py configured in the user's
 * config. The code agent calls the server's tools from Python in the
 * sandbox, the tool-calling agent calls them as tools; each call is
 * approved on stdin, reaches the server, and is in the log and the report.
 * --check lists the server and its tools. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "e2e.h"

static void add_call(lc_buf *script, const char *name, const char *args)
{
    cJSON *a = cJSON_CreateString(args);
    char *ja = lc_json_print(a);
    cJSON_Delete(a);
    lc_buf_puts(script, "@response 200\n@header Content-Type: text/event-stream\n@body\n");
    lc_buf_printf(script,
                  "data: {\"id\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
                  "\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"%s\",\"arguments\":%s}}]},"
                  "\"finish_reason\":null}]}\n\n",
                  name, ja);
    lc_buf_puts(script, "data: {\"id\":\"m\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}\n\n");
    lc_buf_puts(script, "data: [DONE]\n\n");
    free(ja);
}

typedef struct env {
    char *dir, *project, *config, *calls;
} env;

static void env_open(env *e, const char *tag)
{
    e->dir = lc_test_tmpdir(tag);
    e->project = lc_path_join(e->dir, "project");
    lc_test_write(e->project, "README.md", "notes project\n");
    char *st = lc_path_join(e->dir, "state"), *cf = lc_path_join(e->dir, "config");
    setenv("XDG_STATE_HOME", st, 1);
    setenv("XDG_CONFIG_HOME", cf, 1);
    free(st);
    free(cf);
    e->calls = lc_path_join(e->dir, "calls.jsonl");
    char *yaml = lc_xasprintf("mcp:\n  servers:\n    notes:\n      command: [python3, '%s/tests/support/mcp_server.py', "
                              "--calls, '%s']\n      timeout: 30\n",
                              getenv("LC_SOURCE_DIR"), e->calls);
    lc_test_write(e->dir, "config.yaml", yaml);
    free(yaml);
    e->config = lc_path_join(e->dir, "config.yaml");
}

static void env_close(env *e)
{
    lc_err err = {0};
    lc_rm_rf(e->dir, &err);
    free(e->dir);
    free(e->project);
    free(e->config);
    free(e->calls);
}

/* Runs the binary; returns its exit code, stdout and stderr in out/err. */
static int run_bin(const char *const *args, const char *input, char **out, char **errtext)
{
    const char *argv[32];
    size_t n = 0;
    argv[n++] = getenv("LITECODE_TUI");
    assert_non_null(argv[0]);
    for (; args[n - 1] && n < 31; n++)
        argv[n] = args[n - 1];
    argv[n] = NULL;
    lc_proc_result res = LC_PROC_RESULT_INIT;
    lc_err err = {0};
    assert_int_equal(lc_proc_run(argv, input, input ? strlen(input) : 0, 300000, 4 << 20, &res, &err), LC_OK);
    int code = res.exit_code;
    *out = lc_buf_detach(&res.out);
    *errtext = lc_buf_detach(&res.err);
    fprintf(stderr, "--- stdout\n%s--- stderr\n%s---\n", *out ? *out : "", *errtext ? *errtext : "");
    lc_proc_result_free(&res);
    if (!*out)
        *out = lc_xstrdup("");
    if (!*errtext)
        *errtext = lc_xstrdup("");
    return code;
}

static char *log_path_of(const char *errtext)
{
    const char *hint = strstr(errtext, "--resume ");
    assert_non_null(hint);
    return lc_xstrndup(hint + 9, strcspn(hint + 9, "\n"));
}

static void test_code_agent_uses_mcp_tool(void **state)
{
    (void)state;
    if (!engine_ok())
        skip();
    env e;
    env_open(&e, "e2e-mcp-code");
    lc_buf script = LC_BUF_INIT;
    add_response(&script, "Thought: ask the notes server.\n```python\n"
                          "w = notes_secret_word(topic='cats')\n"
                          "print('WORD:', w)\n"
                          "try:\n"
                          "    notes_fail()\n"
                          "except MCPError as err:\n"
                          "    print('CAUGHT:', err)\n```");
    add_response(&script, "```python\nfinal_answer('the word is xyzzy')\n```");
    mock_server *m = NULL;
    assert_int_equal(mock_server_start_script(lc_buf_cstr(&script), &m), 0);
    lc_buf_free(&script);
    setenv("OPENAI_API_KEY", "sk-test-mcp-e2e-123456", 1);
    const char *args[] = {"--headless", "--config", e.config, "--dir", e.project, "--model", "openai/e2e",
                          "--base-url", mock_server_url(m), "Find the secret word about cats", NULL};
    char *out, *err;
    /* Approve the step, then each of its two MCP calls, then the final step. */
    int code = run_bin(args, "r\nr\nr\nr\n", &out, &err);
    assert_int_equal(code, 0);
    /* Each call is asked about as a host tool call: server, tool, arguments. */
    assert_non_null(strstr(out, "-- MCP tool call: runs on your machine, outside the sandbox\n   server: notes\n"
                                "   tool: secret-word\n   arguments:\n{\n\t\"topic\":\t\"cats\"\n}\n"
                                "Allow this call of a host tool? "));
    assert_non_null(strstr(out, "WORD: The secret word about cats is xyzzy."));
    assert_non_null(strstr(out, "CAUGHT: notes_fail failed: MCP server notes: tool notes_fail reported an error: "
                                "the notes are locked"));
    assert_non_null(strstr(out, "the word is xyzzy"));
    /* The server got the call with the arguments the code passed. */
    char *calls = lc_test_read(e.dir, "calls.jsonl");
    assert_non_null(calls);
    assert_non_null(strstr(calls, "{\"name\": \"secret-word\", \"arguments\": {\"topic\": \"cats\"}}"));
    free(calls);
    /* The prompt listed the tool with its description. */
    char *body = mock_server_request_body(m, 0);
    assert_non_null(strstr(body, "def notes_secret_word(*, topic: str) -> str:"));
    assert_non_null(strstr(body, "Returns the secret word of a topic."));
    free(body);
    /* The log has the call and its result; so has the report. */
    char *logpath = log_path_of(err);
    char *log = lc_test_read("/", logpath + 1);
    assert_non_null(strstr(log, "\"mcp_server\":\"notes\",\"mcp_tool\":\"secret-word\""));
    assert_non_null(strstr(log, "\"result\":\"The secret word about cats is xyzzy.\""));
    assert_null(strstr(log, "sk-test-mcp-e2e-123456"));
    free(log);
    const char *rargs[] = {"--report", logpath, NULL};
    char *rout, *rerr;
    assert_int_equal(run_bin(rargs, NULL, &rout, &rerr), 0);
    assert_non_null(strstr(rout, "**Proposed call to MCP notes: secret-word**"));
    /* Two steps, two calls: counted apart. */
    assert_non_null(strstr(rout, "- Steps approved: 2, edited: 0, declined: 0;"));
    assert_non_null(strstr(rout, "- Host tool calls (MCP, run on the user's machine) approved: 2,"));
    assert_non_null(strstr(rout, "answered: The secret word about cats is xyzzy."));
    assert_non_null(strstr(rout, "failed: MCP server notes: tool notes_fail reported an error: the notes are locked"));
    free(rout);
    free(rerr);
    free(logpath);
    free(out);
    free(err);
    mock_server_stop(m);
    env_close(&e);
}

static void test_tool_calling_agent_uses_mcp_tool(void **state)
{
    (void)state;
    if (!engine_ok())
        skip();
    env e;
    env_open(&e, "e2e-mcp-tools");
    lc_buf script = LC_BUF_INIT;
    add_call(&script, "notes_secret_word", "{\"topic\": \"dogs\"}");
    add_call(&script, "final_answer", "{\"answer\": \"the word is xyzzy\"}");
    mock_server *m = NULL;
    assert_int_equal(mock_server_start_script(lc_buf_cstr(&script), &m), 0);
    lc_buf_free(&script);
    const char *args[] = {"--headless", "--config", e.config, "--dir", e.project, "--model", "openai/e2e",
                          "--base-url", mock_server_url(m), "--set", "agent.type=tool_calling",
                          "Find the secret word about dogs", NULL};
    char *out, *err;
    int code = run_bin(args, "r\n", &out, &err);
    assert_int_equal(code, 0);
    assert_non_null(strstr(out, "-- MCP tool call: runs on your machine, outside the sandbox\n   server: notes\n"
                                "   tool: secret-word\n"));
    assert_non_null(strstr(out, "Allow this call of a host tool? [r]un"));
    /* The tool was offered with its schema, and its result went back. */
    char *b0 = mock_server_request_body(m, 0), *b1 = mock_server_request_body(m, 1);
    assert_non_null(strstr(b0, "\"name\":\"notes_secret_word\""));
    assert_non_null(strstr(b0, "what the word is about"));
    assert_non_null(strstr(b1, "The secret word about dogs is xyzzy."));
    free(b0);
    free(b1);
    char *calls = lc_test_read(e.dir, "calls.jsonl");
    assert_non_null(calls);
    assert_non_null(strstr(calls, "\"topic\": \"dogs\""));
    free(calls);

    /* Declined: nothing reaches the server, and the model hears the reason. */
    mock_server_stop(m);
    unlink(e.calls);
    script = (lc_buf)LC_BUF_INIT;
    add_call(&script, "notes_secret_word", "{\"topic\": \"birds\"}");
    add_call(&script, "final_answer", "{\"answer\": \"declined\"}");
    assert_int_equal(mock_server_start_script(lc_buf_cstr(&script), &m), 0);
    lc_buf_free(&script);
    args[8] = mock_server_url(m);
    free(out);
    free(err);
    code = run_bin(args, "d\nbirds are private\n", &out, &err);
    assert_int_equal(code, 0);
    b1 = mock_server_request_body(m, 1);
    assert_non_null(strstr(b1, "birds are private"));
    free(b1);
    assert_int_equal(access(e.calls, F_OK), -1);
    free(out);
    free(err);
    mock_server_stop(m);
    env_close(&e);
}

static void test_check_lists_servers(void **state)
{
    (void)state;
    if (!engine_ok())
        skip();
    env e;
    env_open(&e, "e2e-mcp-check");
    const char *args[] = {"--check", "--config", e.config, NULL};
    char *out, *err;
    run_bin(args, NULL, &out, &err);
    assert_non_null(strstr(out, "ok    mcp server notes (test-notes 1.0, protocol 2025-06-18): 9 tools"));
    assert_non_null(strstr(out, "      notes_secret_word  Returns the secret word of a topic."));
    free(out);
    free(err);
    /* A server that does not start is a failure of --check, said plainly. */
    lc_test_write(e.dir, "config.yaml", "mcp:\n  servers:\n    broken:\n      command: [no-such-mcp-binary]\n");
    int code = run_bin(args, NULL, &out, &err);
    assert_int_not_equal(code, 0);
    assert_non_null(strstr(out, "FAIL  mcp server broken"));
    assert_non_null(strstr(out, "'no-such-mcp-binary' was not found"));
    free(out);
    free(err);
    env_close(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_code_agent_uses_mcp_tool),
        cmocka_unit_test(test_tool_calling_agent_uses_mcp_tool),
        cmocka_unit_test(test_check_lists_servers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
