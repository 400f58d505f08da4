/* Headless mode: steps on stdout, approval on stdin (run, edit, decline,
 * stop), auto-approve, exit codes, and no escape sequence reaching stdout. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agent/agent.h"
#include "headless/headless.h"
#include "fake_executor.h"
#include "fake_llm.h"

typedef struct run {
    lc_config cfg;
    lc_llm *llm;
    lc_executor *ex;
    char *out;
    size_t outlen;
    int code;
} run;

static run *run_new(int max_steps)
{
    run *r = lc_xcalloc(1, sizeof *r);
    r->cfg.agent.max_steps = max_steps;
    r->cfg.model.input_price = r->cfg.model.output_price = -1; /* as lc_config_defaults */
    r->llm = fake_llm_new();
    r->ex = fake_executor_new();
    return r;
}

static void run_go(run *r, const char *input, bool yes)
{
    FILE *in = fmemopen((void *)input, strlen(input) + 1, "r");
    FILE *out = open_memstream(&r->out, &r->outlen);
    lc_headless *h = lc_headless_new(in, out, &r->cfg.model, yes);
    lc_observer obs = lc_headless_observer(h);
    lc_agent *a = NULL;
    lc_err err = {0};
    assert_int_equal(lc_agent_new(&r->cfg, r->llm, r->ex, &obs, NULL, NULL, &a, &err), LC_OK);
    r->code = lc_headless_run(h, a, "do the thing");
    lc_agent_free(a);
    lc_headless_free(h);
    fclose(out);
    fclose(in);
}

static void run_free(run *r)
{
    lc_llm_destroy(r->llm);
    lc_executor_destroy(r->ex);
    free(r->out);
    free(r);
}

static void test_auto_approve_prints_steps_and_answer(void **state)
{
    (void)state;
    run *r = run_new(5);
    fake_executor_add(r->ex, &(fake_step){.match = "print", .status = LC_STEP_OK, .output = "hello\n"});
    fake_llm_reply(r->llm, "Thought: greet.\n```python\nprint('hello')\n```");
    fake_llm_reply(r->llm, "```python\nfinal_answer(\"greeted\")\n```");
    run_go(r, "", true);
    assert_int_equal(r->code, LC_EXIT_OK);
    assert_non_null(strstr(r->out, "== Task\ndo the thing\n"));
    assert_non_null(strstr(r->out, "== Step 1/5\n"));
    assert_non_null(strstr(r->out, "-- code to run:\nprint('hello')\n"));
    assert_non_null(strstr(r->out, "-- auto-approved (--yes)"));
    assert_non_null(strstr(r->out, "hello\n-- result: ok"));
    assert_non_null(strstr(r->out, "== Final answer\ngreeted\n"));
    assert_null(strstr(r->out, "Run this step?"));
    /* Tokens as the (fake) provider reported them; no price known, no cost. */
    assert_non_null(strstr(r->out, "\n== Tokens: 200 prompt, "));
    assert_null(strstr(r->out, "$"));
    run_free(r);
}

/* An ask rule under --yes with no terminal on stdin: nobody can answer, so
 * the step does not run (never a hang on stdin), and the user and the model
 * are told which rule and why; other steps still run without asking. */
static void test_ask_rule_under_yes_without_a_terminal(void **state)
{
    (void)state;
    run *r = run_new(5);
    lc_strv_push(&r->cfg.approval.rules, "ask rm: call os.remove | must: call os.remove");
    fake_executor_analysis(r->ex, "remove", "{\"read_only\": false, \"opaque\": false, \"calls\": [\"os.remove\"], "
                                            "\"reasons\": [{\"line\": 1, \"what\": \"calls os.remove\", \"fact\": "
                                            "\"call os.remove\"}]}");
    fake_executor_analysis(r->ex, "", "{\"read_only\": true, \"opaque\": false, \"reasons\": []}");
    fake_llm_reply(r->llm, "```python\nos.remove('x')\n```");
    fake_llm_reply(r->llm, "```python\nfinal_answer(\"done\")\n```");
    run_go(r, "", true);
    assert_int_equal(r->code, LC_EXIT_OK);
    assert_non_null(strstr(r->out, "-- not run: rule rm asks about step 1, and nobody can answer (--yes, and stdin "
                                   "is no terminal); the step did not run"));
    assert_null(strstr(r->out, "Run this step?"));
    assert_int_equal(fake_executor_ran(r->ex)->n, 1); /* only the final answer ran */
    lc_strv_free(&r->cfg.approval.rules);
    run_free(r);
}

static void test_cost_with_configured_price(void **state)
{
    (void)state;
    run *r = run_new(5);
    r->cfg.model.input_price = 10; /* 100 prompt tokens: $0.001 */
    r->cfg.model.output_price = 0;
    fake_llm_reply(r->llm, "```python\nfinal_answer(\"x\")\n```");
    run_go(r, "", true);
    assert_non_null(strstr(r->out, "== Tokens: 100 prompt, "));
    assert_non_null(strstr(r->out, " completion, about $0.0010\n"));
    run_free(r);
}

static void test_decline_with_reason_then_run(void **state)
{
    (void)state;
    run *r = run_new(5);
    fake_llm_reply(r->llm, "```python\nimport os; os.remove('a')\n```");
    fake_llm_reply(r->llm, "```python\nfinal_answer(\"left a alone\")\n```");
    run_go(r, "x\nd\nkeep file a\nr\n", false);
    assert_int_equal(r->code, LC_EXIT_OK);
    assert_non_null(strstr(r->out, "Run this step? [r]un, [e]dit, [d]ecline, [s]top: "));
    assert_non_null(strstr(r->out, "Reason (one line"));
    assert_non_null(strstr(r->out, "-- the model is told:\nThe user declined this step"));
    assert_int_equal(fake_executor_ran(r->ex)->n, 1);
    assert_non_null(strstr(fake_llm_request_last(r->llm, 1), "keep file a"));
    run_free(r);
}

static void test_edit_in_editor(void **state)
{
    (void)state;
    run *r = run_new(5);
    setenv("VISUAL", "sed -i s/1000000/10/", 1);
    fake_llm_reply(r->llm, "```python\nn = 1000000\n```");
    fake_llm_reply(r->llm, "```python\nfinal_answer(\"ok\")\n```");
    run_go(r, "e\nr\n", false);
    unsetenv("VISUAL");
    assert_int_equal(r->code, LC_EXIT_OK);
    assert_string_equal(fake_executor_ran(r->ex)->v[0], "n = 10");
    assert_non_null(strstr(r->out, "-- edited code:\nn = 10\n"));
    assert_non_null(strstr(fake_llm_request_last(r->llm, 1), "-n = 1000000\n+n = 10"));
    run_free(r);
}

static void test_stop_and_end_of_input_exit_3(void **state)
{
    (void)state;
    run *r = run_new(5);
    fake_llm_reply(r->llm, "```python\nprint(1)\n```");
    run_go(r, "s\n", false);
    assert_int_equal(r->code, LC_EXIT_STOPPED);
    assert_int_equal(fake_executor_ran(r->ex)->n, 0);
    assert_non_null(strstr(r->out, "== Stopped by the user"));
    run_free(r);

    r = run_new(5);
    fake_llm_reply(r->llm, "```python\nprint(1)\n```");
    run_go(r, "", false);
    assert_int_equal(r->code, LC_EXIT_STOPPED);
    assert_non_null(strstr(r->out, "no more input"));
    run_free(r);
}

static void test_max_steps_exit_4_and_error_exit_1(void **state)
{
    (void)state;
    run *r = run_new(1);
    fake_llm_reply(r->llm, "```python\nprint(1)\n```");
    fake_llm_reply(r->llm, "Best guess: 7.");
    run_go(r, "", true);
    assert_int_equal(r->code, LC_EXIT_MAX_STEPS);
    assert_non_null(strstr(r->out, "best-effort answer\nBest guess: 7.\n"));
    run_free(r);

    r = run_new(3);
    fake_llm_error(r->llm, LC_ESERVER, "the server failed (502); try again later");
    run_go(r, "", true);
    assert_int_equal(r->code, LC_EXIT_ERROR);
    assert_non_null(strstr(r->out, "== Failed\nthe server failed (502)"));
    run_free(r);
}

static void test_untrusted_text_sanitized(void **state)
{
    (void)state;
    run *r = run_new(5);
    fake_executor_add(r->ex, &(fake_step){.match = "evil", .status = LC_STEP_OK, .output = "\x1b]0;owned\x07\n"});
    fake_llm_reply(r->llm, "\x1b[2J Thought\x9b: clear.\n```python\nevil()\n```");
    fake_llm_reply(r->llm, "```python\nfinal_answer(\"\x1b[31mred\")\n```");
    run_go(r, "", true);
    assert_null(memchr(r->out, '\x1b', r->outlen));
    assert_null(memchr(r->out, '\x07', r->outlen));
    assert_null(strstr(r->out, "\xc2\x9b"));
    assert_non_null(strstr(r->out, "^["));
    run_free(r);
}

static void test_syntax_error_and_value_shown(void **state)
{
    (void)state;
    run *r = run_new(5);
    fake_executor_add(r->ex, &(fake_step){.match = "def f(", .status = LC_STEP_SYNTAX, .error_type = "SyntaxError",
                                           .error_message = "invalid syntax", .error_line = 1});
    fake_executor_add(r->ex, &(fake_step){.match = "6 * 7", .status = LC_STEP_OK, .value_repr = "42"});
    fake_llm_reply(r->llm, "```python\ndef f(:\n```");
    fake_llm_reply(r->llm, "```python\n6 * 7\n```");
    fake_llm_reply(r->llm, "```python\nfinal_answer(\"42\")\n```");
    run_go(r, "", true);
    assert_int_equal(r->code, LC_EXIT_OK);
    assert_non_null(strstr(r->out, "-- the model is told:\nError: SyntaxError: invalid syntax (line 1"));
    assert_non_null(strstr(r->out, "-- result: ok\n-- value:\n42\n"));
    /* After a run the observation is not printed again. */
    assert_null(strstr(r->out, "told:\nLast value"));
    run_free(r);
}

static void test_utf8_split_across_output_chunks(void **state)
{
    (void)state;
    run *r = run_new(5);
    /* The fake sends output in two halves: "hi\xc3" and "\xa9lo\n". */
    fake_executor_add(r->ex, &(fake_step){.match = "greet", .status = LC_STEP_OK, .output = "hi\xc3\xa9lo\n"});
    fake_llm_reply(r->llm, "```python\ngreet()\n```");
    fake_llm_reply(r->llm, "```python\nfinal_answer(\"ok\")\n```");
    run_go(r, "", true);
    assert_non_null(strstr(r->out, "hi\xc3\xa9lo\n"));
    assert_null(strstr(r->out, "\\x"));
    run_free(r);
}

/* Issue 15: a call of an MCP tool is asked about as a host action (server,
 * tool, arguments; "Allow this call of a host tool?"), not as a step, and
 * its edit is the arguments. */
static void test_mcp_call_asked_as_host_call(void **state)
{
    (void)state;
    run *r = run_new(5);
    char yaml[1024];
    snprintf(yaml, sizeof yaml,
             "mcp:\n  servers:\n    notes:\n      command: [python3, '%s/tests/support/mcp_server.py']\n"
             "      timeout: 10\n",
             getenv("LC_SOURCE_DIR") ? getenv("LC_SOURCE_DIR") : LC_SOURCE_DIR);
    lc_err err = {0};
    assert_int_equal(lc_config_load_data(&r->cfg, "config.yaml", yaml, strlen(yaml), LC_LAYER_USER, &err), LC_OK);
    fake_executor_add(r->ex, &(fake_step){.match = "notes_add", .status = LC_STEP_OK, .tool_name = "notes_add",
                                           .tool_args = "{\"arguments\": {\"a\": 2, \"b\": 40}}"});
    fake_llm_reply(r->llm, "```python\nprint(notes_add(a=2, b=40))\n```");
    fake_llm_reply(r->llm, "```python\nfinal_answer(\"ok\")\n```");
    setenv("VISUAL", "sed -i s/40/1/", 1);
    /* the step: run; the call in it: edit the arguments; the last step: run */
    run_go(r, "r\ne\nr\n", false);
    unsetenv("VISUAL");
    assert_int_equal(r->code, LC_EXIT_OK);
    const char *call = strstr(r->out, "-- MCP tool call: runs on your machine, outside the sandbox\n");
    if (!call)
        fail_msg("%s", r->out);
    assert_non_null(strstr(call, "   server: notes\n   tool: add\n   arguments:\n{\n"));
    assert_non_null(strstr(call, "\"b\":\t40"));
    assert_non_null(strstr(call, "Allow this call of a host tool? [r]un, [e]dit the arguments, [d]ecline, [s]top: "));
    assert_non_null(strstr(call, "-- edited arguments:\n"));
    /* The call is not shown as code to run, nor asked about as a step. */
    const char *next = strstr(call, "Run this step?");
    assert_true(next == NULL || next > strstr(call, "== Step 2/"));
    assert_null(strstr(call, "-- code to run:\n{"));
    const lc_strv *res = fake_executor_tool_results(r->ex);
    assert_int_equal(res->n, 1);
    assert_string_equal(res->v[0], "ok:\"3\"");
    lc_config_free(&r->cfg);
    run_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_auto_approve_prints_steps_and_answer),
        cmocka_unit_test(test_ask_rule_under_yes_without_a_terminal),
        cmocka_unit_test(test_cost_with_configured_price),
        cmocka_unit_test(test_decline_with_reason_then_run),
        cmocka_unit_test(test_edit_in_editor),
        cmocka_unit_test(test_stop_and_end_of_input_exit_3),
        cmocka_unit_test(test_max_steps_exit_4_and_error_exit_1),
        cmocka_unit_test(test_untrusted_text_sanitized),
        cmocka_unit_test(test_syntax_error_and_value_shown),
        cmocka_unit_test(test_utf8_split_across_output_chunks),
        cmocka_unit_test(test_mcp_call_asked_as_host_call),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
