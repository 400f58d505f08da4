/* MCP tools in the agent, against tests/support/mcp_server.py: the stubs
 * defined in the sandbox (and that they run as Python), the prompt, the
 * tools offered to the tool-calling agent, approval of each call (run,
 * decline), isError and JSON-RPC errors as step exceptions, and the log. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent/agent.h"
#include "fake_executor.h"
#include "fake_llm.h"

typedef struct rec {
    lc_buf approvals; /* "tool_name|args\n" */
    lc_decision next; /* the answer to give at approval number at */
    int at, n;
    lc_buf events;
} rec;

static lc_decision rec_approve(void *ctx, const lc_action *act)
{
    rec *r = ctx;
    lc_buf_printf(&r->approvals, "%s|%s\n", act->tool_name ? act->tool_name : "code",
                  act->tool_args ? act->tool_args : "");
    if (r->n++ != r->at)
        return (lc_decision){.kind = LC_DECIDE_RUN};
    lc_decision d = r->next;
    d.text = d.text ? lc_xstrdup(d.text) : NULL;
    return d;
}

static void rec_event(void *ctx, const lc_event *ev)
{
    rec *r = ctx;
    if (ev->kind == LC_EV_INFO || ev->kind == LC_EV_TOOL_CALL)
        lc_buf_printf(&r->events, "%s|%s\n", lc_event_kind_name(ev->kind), ev->text ? ev->text : "");
}

typedef struct h {
    lc_config cfg;
    lc_llm *llm;
    lc_executor *ex;
    lc_agent *agent;
    lc_log *log;
    lc_fanout fan;
    char logpath[64];
    rec r;
    lc_agent_outcome outcome;
    char *answer;
} h;

static h *h_new(lc_agent_type type)
{
    h *t = lc_xcalloc(1, sizeof *t);
    lc_config_defaults(&t->cfg);
    t->cfg.agent.type = type;
    t->cfg.agent.max_steps = 4;
    char yaml[4096];
    const char *src = getenv("LC_SOURCE_DIR");
    snprintf(yaml, sizeof yaml, "mcp:\n  servers:\n    notes:\n      command: [python3, '%s/tests/support/mcp_server.py']\n"
                                "      timeout: 10\n      env: {NOTES_TOKEN: tok-secret-0123456789, NOTES_DIR: /srv/notes-dir}\n",
             src ? src : LC_SOURCE_DIR);
    lc_err err = {0};
    assert_int_equal(lc_config_load_data(&t->cfg, "config.yaml", yaml, strlen(yaml), LC_LAYER_USER, &err), LC_OK);
    t->llm = fake_llm_new();
    t->ex = fake_executor_new();
    snprintf(t->logpath, sizeof t->logpath, "/tmp/lc_agent_mcp_%d.jsonl", (int)getpid());
    unlink(t->logpath);
    assert_int_equal(lc_log_open(t->logpath, &t->log, &err), LC_OK);
    assert_int_equal(lc_log_header(t->log, &t->cfg, "/tmp", "fake", &err), LC_OK);
    t->r.next = (lc_decision){.kind = LC_DECIDE_RUN};
    return t;
}

static void h_run(h *t)
{
    lc_observer obs = {&t->r, rec_event, rec_approve, NULL, NULL};
    lc_observer fo = lc_fanout_init(&t->fan, t->log, &obs); /* the log first, then the front end */
    lc_err err = {0};
    assert_int_equal(lc_agent_new(&t->cfg, t->llm, t->ex, &fo, NULL, t->log, &t->agent, &err), LC_OK);
    if (lc_agent_run(t->agent, "use the notes", &t->outcome, &t->answer, &err) != LC_OK)
        fail_msg("run: %s", err.msg);
}

static char *log_text(h *t)
{
    lc_buf b = LC_BUF_INIT;
    lc_err err = {0};
    assert_int_equal(lc_file_read(t->logpath, 1 << 24, &b, &err), LC_OK);
    return lc_buf_detach(&b);
}

static void h_free(h *t)
{
    lc_agent_free(t->agent);
    lc_log_close(t->log);
    unlink(t->logpath);
    lc_llm_destroy(t->llm);
    lc_executor_destroy(t->ex);
    lc_config_free(&t->cfg);
    lc_buf_free(&t->r.approvals);
    lc_buf_free(&t->r.events);
    free(t->answer);
    free(t);
}

static const char *defined(h *t)
{
    const lc_strv *d = fake_executor_defined(t->ex);
    return d->n ? d->v[d->n - 1] : "";
}

static void test_code_agent_calls(void **state)
{
    (void)state;
    h *t = h_new(LC_AGENT_CODE);
    fake_step s = {.match = "notes_add", .status = LC_STEP_OK, .tool_name = "notes_add",
                   .tool_args = "{\"arguments\": {\"a\": 2, \"b\": 40}}"};
    fake_executor_add(t->ex, &s);
    fake_llm_reply(t->llm, "```python\nprint(notes_add(a=2, b=40))\n```");
    fake_llm_reply(t->llm, "```python\nfinal_answer(\"42\")\n```");
    h_run(t);
    assert_int_equal(t->outcome, LC_AGENT_ANSWERED);

    /* The sandbox got a function per tool, keyword arguments from the schema. */
    assert_non_null(strstr(defined(t), "def notes_add(*, a: int, b: int = _lc_unset) -> str:"));
    assert_non_null(strstr(defined(t), "def notes_secret_word(*, topic: str) -> str:"));
    assert_non_null(strstr(defined(t), "class MCPError(RuntimeError)"));
    /* The prompt lists them with description and arguments. */
    const char *sys = fake_llm_request_dump(t->llm, 0);
    assert_non_null(strstr(sys, "def notes_secret_word(*, topic: str) -> str:"));
    assert_non_null(strstr(sys, "Returns the secret word of a topic."));
    assert_non_null(strstr(sys, "topic (string, required): what the word is about"));
    assert_non_null(strstr(sys, "b (integer): second"));

    /* The call was approved as a host action, with server, tool and args. */
    assert_non_null(strstr(lc_buf_cstr(&t->r.approvals), "MCP notes: add|{\"a\":2,\"b\":40}\n"));
    const lc_strv *res = fake_executor_tool_results(t->ex);
    assert_int_equal(res->n, 1);
    assert_string_equal(res->v[0], "ok:\"42\"");

    char *log = log_text(t);
    assert_non_null(strstr(log, "\"kind\":\"mcp_tools\""));
    assert_non_null(strstr(log, "\"kind\":\"tool_call\""));
    assert_non_null(strstr(log, "\"mcp_server\":\"notes\",\"mcp_tool\":\"add\""));
    assert_non_null(strstr(log, "\"result\":\"42\""));
    free(log);
    /* The report shows the call, its arguments and what the server said. */
    lc_buf rep = LC_BUF_INIT;
    lc_err err = {0};
    lc_log_sync(t->log, &err);
    if (lc_report_render(t->logpath, &rep, &err) != LC_OK)
        fail_msg("report: %s", err.msg);
    if (!strstr(lc_buf_cstr(&rep), "**Proposed call to MCP notes: add**"))
        fail_msg("%s", lc_buf_cstr(&rep));
    assert_non_null(strstr(lc_buf_cstr(&rep), "{\"a\":2,\"b\":40}"));
    assert_non_null(strstr(lc_buf_cstr(&rep), "- Host tool notes_add({\"a\":2,\"b\":40}) answered: 42"));
    assert_null(strstr(lc_buf_cstr(&rep), "result unknown"));
    /* Steps and host calls are counted apart: two steps ran, one call was approved. */
    assert_non_null(strstr(lc_buf_cstr(&rep), "- Steps approved: 2, edited: 0, declined: 0;"));
    assert_non_null(strstr(lc_buf_cstr(&rep), "- Host tool calls (MCP, run on the user's machine) approved: 1, "
                                              "edited: 0, declined: 0\n"));
    lc_buf_free(&rep);
    h_free(t);
}

static void test_declined_and_errors(void **state)
{
    (void)state;
    /* Declined: the step gets an exception with the reason; nothing reaches the server. */
    h *t = h_new(LC_AGENT_CODE);
    fake_step s = {.match = "notes_add", .status = LC_STEP_OK, .tool_name = "notes_add",
                   .tool_args = "{\"arguments\": {\"a\": 1}}"};
    fake_executor_add(t->ex, &s);
    fake_llm_reply(t->llm, "```python\nnotes_add(a=1)\n```");
    fake_llm_reply(t->llm, "```python\nfinal_answer(\"no\")\n```");
    t->r.next = (lc_decision){.kind = LC_DECIDE_DECLINE, .text = "not now"};
    t->r.at = 1; /* the step runs; the call in it is declined */
    h_run(t);
    const lc_strv *res = fake_executor_tool_results(t->ex);
    assert_int_equal(res->n, 1);
    assert_non_null(strstr(res->v[0], "error:the user declined this call of notes_add"));
    assert_non_null(strstr(res->v[0], "not now"));
    h_free(t);

    /* isError and a JSON-RPC error: exceptions with the server's message. */
    t = h_new(LC_AGENT_CODE);
    fake_step s1 = {.match = "notes_fail", .status = LC_STEP_OK, .tool_name = "notes_fail", .tool_args = "{}"};
    fake_step s2 = {.match = "notes_rpc_error", .status = LC_STEP_OK, .tool_name = "notes_rpc_error",
                    .tool_args = "{\"arguments\": {}}"};
    fake_executor_add(t->ex, &s1);
    fake_executor_add(t->ex, &s2);
    fake_llm_reply(t->llm, "```python\nnotes_fail()\n```");
    fake_llm_reply(t->llm, "```python\nnotes_rpc_error()\n```");
    fake_llm_reply(t->llm, "```python\nfinal_answer(\"done\")\n```");
    h_run(t);
    res = fake_executor_tool_results(t->ex);
    assert_int_equal(res->n, 2);
    assert_non_null(strstr(res->v[0], "error:MCP server notes: tool notes_fail reported an error: the notes are locked"));
    assert_non_null(strstr(res->v[1], "bad params from server"));
    char *log = log_text(t);
    assert_non_null(strstr(log, "\"ok\":false,\"error\":\"MCP server notes: tool notes_fail reported an error"));
    free(log);
    h_free(t);
}

/* The approval rules decide an MCP call too (issue 15 with issue 13). A call has no code: its facts
 * are "tool FUNCTION" and "tool FUNCTION KEY=VALUE" per argument. Deny declines it with the rule's
 * reason and never asks; allow runs it without a question; ask asks even under auto-approve. */
static void test_rules_decide_mcp_calls(void **state)
{
    (void)state;
    h *t = h_new(LC_AGENT_CODE);
    lc_strv_push(&t->cfg.approval.rules, "deny nosecret: tool notes_secret_word | must: tool notes_secret_word "
                                         "| why: the word stays secret");
    lc_strv_push(&t->cfg.approval.rules, "allow adds: tool notes_add | must: tool notes_add");
    lc_strv_push(&t->cfg.approval.rules, "ask big: tool notes_add a=9* | must: tool notes_add a=99");
    fake_step s1 = {.match = "notes_add(a=2", .status = LC_STEP_OK, .tool_name = "notes_add",
                    .tool_args = "{\"arguments\": {\"a\": 2, \"b\": 40}}"};
    fake_step s2 = {.match = "notes_secret_word", .status = LC_STEP_OK, .tool_name = "notes_secret_word",
                    .tool_args = "{\"arguments\": {\"topic\": \"x\"}}"};
    fake_step s3 = {.match = "notes_add(a=99", .status = LC_STEP_OK, .tool_name = "notes_add",
                    .tool_args = "{\"arguments\": {\"a\": 99}}"};
    fake_executor_add(t->ex, &s1);
    fake_executor_add(t->ex, &s2);
    fake_executor_add(t->ex, &s3);
    fake_llm_reply(t->llm, "```python\nprint(notes_add(a=2, b=40))\n```");
    fake_llm_reply(t->llm, "```python\nprint(notes_secret_word(topic='x'))\n```");
    fake_llm_reply(t->llm, "```python\nprint(notes_add(a=99))\n```");
    fake_llm_reply(t->llm, "```python\nfinal_answer(\"done\")\n```");
    h_run(t);
    const lc_strv *res = fake_executor_tool_results(t->ex);
    assert_int_equal(res->n, 3);
    assert_string_equal(res->v[0], "ok:\"42\"");
    if (!strstr(res->v[1], "nosecret"))
        fail_msg("%s", res->v[1]);
    assert_non_null(strstr(res->v[1], "the word stays secret"));
    assert_string_equal(res->v[2], "ok:\"100\""); /* b defaults to 1 */
    /* Asked: the three steps and the third call (its ask rule), never the first two calls. */
    const char *asked = lc_buf_cstr(&t->r.approvals);
    assert_null(strstr(asked, "MCP notes: add|{\"a\":2"));
    assert_null(strstr(asked, "MCP notes: secret-word"));
    assert_non_null(strstr(asked, "MCP notes: add|{\"a\":99}"));
    char *log = log_text(t);
    assert_non_null(strstr(log, "rule adds allows the host call of step 1 (tool notes_add)"));
    assert_non_null(strstr(log, "rule nosecret denies step 2"));
    free(log);
    h_free(t);
}

static void test_tool_calling_agent(void **state)
{
    (void)state;
    h *t = h_new(LC_AGENT_TOOL_CALLING);
    fake_llm_reply_calls(t->llm, "", "notes_secret_word", "{\"topic\": \"cats\"}", NULL);
    fake_llm_reply_calls(t->llm, "", "final_answer", "{\"answer\": \"xyzzy\"}", NULL);
    h_run(t);
    assert_int_equal(t->outcome, LC_AGENT_ANSWERED);
    /* python_executor, 3 default tools, 9 MCP tools, final_answer. */
    assert_int_equal(fake_llm_request_ntools(t->llm, 0), 1 + 3 + 9 + 1);
    assert_non_null(strstr(lc_buf_cstr(&t->r.approvals), "MCP notes: secret-word|{\"topic\":\"cats\"}\n"));
    assert_non_null(strstr(fake_llm_request_last(t->llm, 1), "The secret word about cats is xyzzy."));
    /* A server's token is redacted from the log, even when a tool echoes it. */
    h_free(t);
    t = h_new(LC_AGENT_TOOL_CALLING);
    fake_llm_reply_calls(t->llm, "", "notes_secret_word", "{\"topic\": \"tok-secret-0123456789 /srv/notes-dir\"}", NULL);
    fake_llm_reply_calls(t->llm, "", "final_answer", "{\"answer\": \"x\"}", NULL);
    h_run(t);
    char *log = log_text(t);
    assert_null(strstr(log, "tok-secret-0123456789"));
    assert_non_null(strstr(log, "/srv/notes-dir")); /* not a secret by its name */
    free(log);
    /* Nothing ran in the sandbox for it. */
    assert_int_equal(fake_executor_ran(t->ex)->n, 0);
    h_free(t);

    /* Declined in the tool-calling agent: the model hears why. */
    t = h_new(LC_AGENT_TOOL_CALLING);
    fake_llm_reply_calls(t->llm, "", "notes_add", "{\"a\": 1}", NULL);
    fake_llm_reply_calls(t->llm, "", "final_answer", "{\"answer\": \"ok\"}", NULL);
    t->r.next = (lc_decision){.kind = LC_DECIDE_DECLINE, .text = "use your head"};
    h_run(t);
    assert_non_null(strstr(fake_llm_request_last(t->llm, 1), "use your head"));
    h_free(t);
}

/* The generated stubs run as Python: keywords become the arguments (unset
 * optional ones left out), and a host failure is an MCPError. */
static void test_stubs_run(void **state)
{
    (void)state;
    h *t = h_new(LC_AGENT_CODE);
    fake_llm_reply(t->llm, "```python\nfinal_answer(\"x\")\n```");
    h_run(t);
    lc_buf py = LC_BUF_INIT;
    lc_buf_puts(&py, "import json\n"
                     "def _lc_host_tool(name, **kw):\n"
                     "    if name == 'notes_fail':\n"
                     "        raise RuntimeError('notes_fail failed: locked')\n"
                     "    return name + ' ' + json.dumps(kw, sort_keys=True)\n");
    lc_buf_puts(&py, defined(t));
    lc_buf_puts(&py, "\nprint(notes_add(a=1))\nprint(notes_add(a=1, b=2))\nprint(notes_secret_word(topic='x'))\n"
                     "try:\n    notes_fail()\nexcept MCPError as e:\n    print('MCPError', e)\n"
                     "try:\n    notes_add(b=2)\nexcept TypeError:\n    print('TypeError')\n");
    const char *argv[] = {"python3", "-", NULL};
    lc_proc_result r = LC_PROC_RESULT_INIT;
    lc_err err = {0};
    assert_int_equal(lc_proc_run(argv, py.data, py.len, 30000, 1 << 20, &r, &err), LC_OK);
    if (r.exit_code != 0)
        fail_msg("python: %s", lc_buf_cstr(&r.err));
    assert_string_equal(lc_buf_cstr(&r.out), "notes_add {\"arguments\": {\"a\": 1}}\n"
                                             "notes_add {\"arguments\": {\"a\": 1, \"b\": 2}}\n"
                                             "notes_secret_word {\"arguments\": {\"topic\": \"x\"}}\n"
                                             "MCPError notes_fail failed: locked\n"
                                             "TypeError\n");
    lc_proc_result_free(&r);
    lc_buf_free(&py);
    h_free(t);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN); /* as litecode-tui's main does: a dead server's pipe is an error, not a signal */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_code_agent_calls),
        cmocka_unit_test(test_declined_and_errors),
        cmocka_unit_test(test_rules_decide_mcp_calls),
        cmocka_unit_test(test_tool_calling_agent),
        cmocka_unit_test(test_stubs_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
