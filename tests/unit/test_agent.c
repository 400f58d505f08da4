/* The code agent with a fake model and a fake executor: answers, errors,
 * missing code, syntax errors, the step limit, declines, edits, stops,
 * queued user messages, host tools, planning and workspace hooks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent/agent.h"
#include "fake_executor.h"
#include "fake_llm.h"

/* ---- a recording observer with scripted decisions ------------------------- */

typedef struct rec {
    lc_buf events;   /* "kind|text\n" for every event but tokens and output */
    lc_buf tokens;
    lc_buf output;
    int approvals;
    lc_decision script[8];
    int nscript;
    const char *answer_for_user;
    lc_agent *agent;
    const char *post_on_first_approval;
    int plans;
} rec;

static void rec_event(void *ctx, const lc_event *ev)
{
    rec *r = ctx;
    if (ev->kind == LC_EV_TOKEN) {
        lc_buf_append(&r->tokens, ev->text, ev->len);
        return;
    }
    if (ev->kind == LC_EV_OUTPUT) {
        lc_buf_append(&r->output, ev->text, ev->len);
        return;
    }
    if (ev->kind == LC_EV_PLAN)
        r->plans++;
    lc_buf_printf(&r->events, "%s|%s\n", lc_event_kind_name(ev->kind), ev->text ? ev->text : "");
}

static lc_decision rec_approve(void *ctx, const lc_action *act)
{
    rec *r = ctx;
    (void)act;
    if (r->approvals == 0 && r->post_on_first_approval)
        lc_agent_post_message(r->agent, r->post_on_first_approval);
    int i = r->approvals++;
    if (i < r->nscript) {
        lc_decision d = r->script[i];
        d.text = d.text ? lc_xstrdup(d.text) : NULL;
        return d;
    }
    return (lc_decision){.kind = LC_DECIDE_RUN};
}

static char *rec_ask(void *ctx, const char *q)
{
    rec *r = ctx;
    (void)q;
    return r->answer_for_user ? lc_xstrdup(r->answer_for_user) : NULL;
}

/* ---- the harness ------------------------------------------------------------ */

typedef struct h {
    lc_config cfg;
    lc_llm *llm;
    lc_executor *ex;
    rec r;
    lc_agent *agent;
    lc_workspace_hooks ws;
    lc_agent_outcome outcome;
    char *answer;
    int rc;
    lc_err err;
} h;

static h *h_new(lc_agent_type type, int max_steps)
{
    h *t = lc_xcalloc(1, sizeof *t);
    t->cfg.agent.type = type;
    t->cfg.agent.max_steps = max_steps;
    t->cfg.container.timeout_s = 30;
    lc_strv_push(&t->cfg.agent.tools, "search_files");
    lc_strv_push(&t->cfg.agent.tools, "grep_code");
    lc_strv_push(&t->cfg.agent.tools, "ask_user");
    lc_strv_push(&t->cfg.agent.tools, "preview_changes");
    t->llm = fake_llm_new();
    t->ex = fake_executor_new();
    return t;
}

static void h_run(h *t, const char *task)
{
    lc_observer obs = {&t->r, rec_event, rec_approve, rec_ask, NULL};
    lc_err err = {0};
    if (!t->agent) {
        assert_int_equal(lc_agent_new(&t->cfg, t->llm, t->ex, &obs, t->ws.ctx || t->ws.changes_summary ? &t->ws : NULL,
                                      NULL, &t->agent, &err),
                         LC_OK);
        t->r.agent = t->agent;
    }
    t->rc = lc_agent_run(t->agent, task, &t->outcome, &t->answer, &t->err);
}

static void h_free(h *t)
{
    lc_agent_free(t->agent);
    lc_llm_destroy(t->llm);
    lc_executor_destroy(t->ex);
    lc_strv_free(&t->cfg.agent.tools);
    lc_strv_free(&t->cfg.container.authorized_imports);
    free(t->answer);
    lc_buf_free(&t->r.events);
    lc_buf_free(&t->r.tokens);
    lc_buf_free(&t->r.output);
    free(t);
}

static const char *ev(h *t) { return lc_buf_cstr(&t->r.events); }

/* ---- tests ---------------------------------------------------------------- */

static void test_final_answer_first_step(void **state)
{
    (void)state;
    h *t = h_new(LC_AGENT_CODE, 5);
    fake_llm_reply(t->llm, "Thought: easy.\n```python\nfinal_answer(\"42\")\n```");
    h_run(t, "What is six times seven?");
    assert_int_equal(t->rc, LC_OK);
    assert_int_equal(t->outcome, LC_AGENT_ANSWERED);
    assert_string_equal(t->answer, "42");
    /* The helpers went in once, without approval; then one approved step. */
    assert_int_equal(fake_executor_defined(t->ex)->n, 1);
    assert_non_null(strstr(fake_executor_defined(t->ex)->v[0], "def search_files("));
    assert_non_null(strstr(fake_executor_defined(t->ex)->v[0], "_lc_host_tool('ask_user'"));
    assert_int_equal(fake_executor_ran(t->ex)->n, 1);
    assert_int_equal(t->r.approvals, 1);
    /* The system prompt: cycle, tools as signatures, imports, persistence, final_answer. */
    const char *dump = fake_llm_request_dump(t->llm, 0);
    assert_non_null(strstr(dump, "Thought"));
    assert_non_null(strstr(dump, "Observation"));
    assert_non_null(strstr(dump, "def grep_code(pattern: str, path: str = '.'"));
    assert_non_null(strstr(dump, "Authorized imports"));
    assert_non_null(strstr(dump, "State persists"));
    assert_non_null(strstr(dump, "final_answer(answer)"));
    assert_non_null(strstr(dump, "What is six times seven?"));
    /* The reply was streamed in pieces, and the events came in order. */
    assert_string_equal(lc_buf_cstr(&t->r.tokens), "Thought: easy.\n```python\nfinal_answer(\"42\")\n```");
    const char *e = ev(t);
    assert_true(strstr(e, "task|") < strstr(e, "step|"));
    assert_true(strstr(e, "action|") < strstr(e, "decision|"));
    assert_non_null(strstr(e, "final_answer|42\n"));
    assert_non_null(strstr(e, "done|answered"));
    h_free(t);
}

static void test_error_recovery(void **state)
{
    (void)state;
    h *t = h_new(LC_AGENT_CODE, 5);
    fake_executor_add(t->ex, &(fake_step){.match = "1 / 0", .status = LC_STEP_ERROR, .output = "before\n",
                                           .error_type = "ZeroDivisionError", .error_message = "division by zero",
                                           .traceback = "Traceback...\nZeroDivisionError: division by zero\n",
                                           .error_line = 2});
    fake_llm_reply(t->llm, "```python\nprint('before')\nx = 1 / 0\n```");
    fake_llm_reply(t->llm, "Thought: fix it.\n```python\nfinal_answer(\"fixed\")\n```");
    h_run(t, "divide");
    assert_int_equal(t->outcome, LC_AGENT_ANSWERED);
    assert_string_equal(t->answer, "fixed");
    const char *obs = fake_llm_request_last(t->llm, 1);
    assert_non_null(strstr(obs, "Observation:"));
    assert_non_null(strstr(obs, "before"));
    assert_non_null(strstr(obs, "ZeroDivisionError: division by zero (line 2 of your code)"));
    assert_non_null(strstr(obs, "Traceback"));
    assert_non_null(strstr(obs, "Do not repeat the same code"));
    /* Live output reached the observer. */
    assert_string_equal(lc_buf_cstr(&t->r.output), "before\n");
    h_free(t);
}

/* A sandbox that ended during a step: the model reads why, not a generic
 * "did not respond", and that its state is gone. */
static void test_killed_step_says_why(void **state)
{
    (void)state;
    h *t = h_new(LC_AGENT_CODE, 5);
    fake_executor_add(t->ex, &(fake_step){.match = "hog", .status = LC_STEP_KILLED, .error_type = "OutOfMemory",
                                           .error_message = "the step was killed for using more than the sandbox's 64m of memory",
                                           .notice = "The sandbox ended during the step: it ran out of memory (limit 64m).",
                                           .state_lost = true});
    fake_executor_add(t->ex, &(fake_step){.match = "sleep", .status = LC_STEP_KILLED, .error_type = "SandboxKilled",
                                           .error_message = "the sandbox was killed from outside litecode",
                                           .notice = "The sandbox ended during the step.", .state_lost = true});
    fake_llm_reply(t->llm, "```python\nhog = b'x' * 10**10\n```");
    fake_llm_reply(t->llm, "```python\nsleep_forever()\n```");
    fake_llm_reply(t->llm, "```python\nfinal_answer(\"done\")\n```");
    h_run(t, "work");
    assert_int_equal(t->outcome, LC_AGENT_ANSWERED);
    const char *o1 = fake_llm_request_last(t->llm, 1);
    assert_non_null(strstr(o1, "Error: OutOfMemory: the step was killed for using more than the sandbox's 64m"));
    assert_non_null(strstr(o1, "Use less memory"));
    assert_non_null(strstr(o1, "are gone"));
    const char *o2 = fake_llm_request_last(t->llm, 2);
    assert_non_null(strstr(o2, "Error: SandboxKilled: the sandbox was killed from outside litecode"));
    assert_null(strstr(o2, "Use less memory"));
    assert_null(strstr(o2, "did not respond"));
    h_free(t);
}

static void test_no_code_gets_format_and_final_answer_hint(void **state)
{
    (void)state;
    h *t = h_new(LC_AGENT_CODE, 5);
    fake_llm_reply(t->llm, "Let me think about the files.");
    fake_llm_reply(t->llm, "The answer is 42.");
    fake_llm_reply(t->llm, "```python\nfinal_answer(\"42\")\n```");
    h_run(t, "q");
    assert_int_equal(t->outcome, LC_AGENT_ANSWERED);
    const char *o1 = fake_llm_request_last(t->llm, 1);
    assert_non_null(strstr(o1, "no code block"));
    assert_non_null(strstr(o1, "```python"));
    assert_null(strstr(o1, "final_answer"));
    const char *o2 = fake_llm_request_last(t->llm, 2);
    assert_non_null(strstr(o2, "final_answer(\"your answer\")"));
    assert_int_equal(fake_executor_ran(t->ex)->n, 1);
    h_free(t);
}

static void test_syntax_error_not_run_not_asked(void **state)
{
    (void)state;
    h *t = h_new(LC_AGENT_CODE, 5);
    fake_executor_add(t->ex, &(fake_step){.match = "def broken(", .status = LC_STEP_SYNTAX,
                                           .error_type = "SyntaxError", .error_message = "expected ':'",
                                           .error_line = 1});
    fake_llm_reply(t->llm, "```python\ndef broken(\n```");
    fake_llm_reply(t->llm, "```python\nfinal_answer(\"ok\")\n```");
    h_run(t, "q");
    assert_int_equal(t->outcome, LC_AGENT_ANSWERED);
    assert_int_equal(t->r.approvals, 1); /* only the second step was asked */
    assert_int_equal(fake_executor_ran(t->ex)->n, 1);
    assert_null(strstr(fake_executor_ran(t->ex)->v[0], "broken"));
    assert_int_equal(fake_executor_checked(t->ex)->n, 2);
    const char *o = fake_llm_request_last(t->llm, 1);
    assert_non_null(strstr(o, "SyntaxError: expected ':' (line 1 of your code)"));
    assert_non_null(strstr(o, "did not compile, so nothing ran"));
    h_free(t);
}

static void test_max_steps_asks_best_answer(void **state)
{
    (void)state;
    h *t = h_new(LC_AGENT_CODE, 2);
    fake_llm_reply(t->llm, "```python\nprint(1)\n```");
    fake_llm_reply(t->llm, "```python\nprint(2)\n```");
    fake_llm_reply(t->llm, "Probably 42, not verified.");
    h_run(t, "q");
    assert_int_equal(t->rc, LC_OK);
    assert_int_equal(t->outcome, LC_AGENT_MAX_STEPS);
    assert_string_equal(t->answer, "Probably 42, not verified.");
    assert_int_equal(fake_llm_nrequests(t->llm), 3);
    assert_non_null(strstr(fake_llm_request_last(t->llm, 2), "maximum number of steps"));
    assert_int_equal(fake_llm_request_ntools(t->llm, 2), 0);
    assert_int_equal(lc_agent_steps(t->agent), 2);
    assert_non_null(strstr(ev(t), "done|max_steps"));
    h_free(t);
}

static void test_declined_step_returns_reason(void **state)
{
    (void)state;
    h *t = h_new(LC_AGENT_CODE, 5);
    t->r.script[0] = (lc_decision){.kind = LC_DECIDE_DECLINE, .text = "do not delete anything"};
    t->r.nscript = 1;
    fake_llm_reply(t->llm, "```python\nimport shutil; shutil.rmtree('src')\n```");
    fake_llm_reply(t->llm, "```python\nfinal_answer(\"kept\")\n```");
    h_run(t, "clean up");
    assert_int_equal(t->outcome, LC_AGENT_ANSWERED);
    assert_int_equal(fake_executor_ran(t->ex)->n, 1);
    assert_null(strstr(fake_executor_ran(t->ex)->v[0], "rmtree"));
    const char *o = fake_llm_request_last(t->llm, 1);
    assert_non_null(strstr(o, "declined"));
    assert_non_null(strstr(o, "do not delete anything"));
    h_free(t);
}

static void test_edited_step_runs_edit_and_model_sees_diff(void **state)
{
    (void)state;
    h *t = h_new(LC_AGENT_CODE, 5);
    t->r.script[0] = (lc_decision){.kind = LC_DECIDE_RUN_EDITED, .text = "n = 10\nprint(n)\n"};
    t->r.nscript = 1;
    fake_llm_reply(t->llm, "```python\nn = 1000000\nprint(n)\n```");
    fake_llm_reply(t->llm, "```python\nfinal_answer(\"done\")\n```");
    h_run(t, "q");
    assert_int_equal(fake_executor_ran(t->ex)->n, 2);
    assert_string_equal(fake_executor_ran(t->ex)->v[0], "n = 10\nprint(n)\n");
    const char *o = fake_llm_request_last(t->llm, 1);
    assert_non_null(strstr(o, "edited your code"));
    assert_non_null(strstr(o, "-n = 1000000\n+n = 10\n"));
    h_free(t);
}

static void test_stop_at_approval(void **state)
{
    (void)state;
    h *t = h_new(LC_AGENT_CODE, 5);
    t->r.script[0] = (lc_decision){.kind = LC_DECIDE_STOP};
    t->r.nscript = 1;
    fake_llm_reply(t->llm, "```python\nprint(1)\n```");
    h_run(t, "q");
    assert_int_equal(t->rc, LC_OK);
    assert_int_equal(t->outcome, LC_AGENT_STOPPED);
    assert_int_equal(fake_executor_ran(t->ex)->n, 0);
    assert_null(t->answer);
    h_free(t);
}

static void *stopper(void *arg)
{
    usleep(50 * 1000);
    lc_agent_stop(arg);
    return NULL;
}

static void test_stop_from_another_thread_cancels_model(void **state)
{
    (void)state;
    h *t = h_new(LC_AGENT_CODE, 5);
    fake_llm_block(t->llm);
    lc_observer obs = {&t->r, rec_event, rec_approve, rec_ask, NULL};
    lc_err err = {0};
    assert_int_equal(lc_agent_new(&t->cfg, t->llm, t->ex, &obs, NULL, NULL, &t->agent, &err), LC_OK);
    pthread_t th;
    pthread_create(&th, NULL, stopper, t->agent);
    h_run(t, "q");
    pthread_join(th, NULL);
    assert_int_equal(t->rc, LC_OK);
    assert_int_equal(t->outcome, LC_AGENT_STOPPED);
    h_free(t);
}

static void test_stop_interrupts_running_step(void **state)
{
    (void)state;
    h *t = h_new(LC_AGENT_CODE, 5);
    fake_executor_add(t->ex, &(fake_step){.match = "while True", .status = LC_STEP_OK, .block = true});
    fake_llm_reply(t->llm, "```python\nwhile True: pass\n```");
    lc_observer obs = {&t->r, rec_event, rec_approve, rec_ask, NULL};
    lc_err err = {0};
    assert_int_equal(lc_agent_new(&t->cfg, t->llm, t->ex, &obs, NULL, NULL, &t->agent, &err), LC_OK);
    pthread_t th;
    pthread_create(&th, NULL, stopper, t->agent);
    h_run(t, "q");
    pthread_join(th, NULL);
    assert_int_equal(t->outcome, LC_AGENT_STOPPED);
    assert_true(fake_executor_interrupts(t->ex) >= 1);
    assert_int_equal(fake_llm_nrequests(t->llm), 1);
    h_free(t);
}

static void test_user_message_reaches_next_step(void **state)
{
    (void)state;
    h *t = h_new(LC_AGENT_CODE, 5);
    t->r.post_on_first_approval = "only look at src/, please";
    fake_llm_reply(t->llm, "```python\nprint(1)\n```");
    fake_llm_reply(t->llm, "```python\nfinal_answer(\"ok\")\n```");
    h_run(t, "q");
    assert_int_equal(t->outcome, LC_AGENT_ANSWERED);
    assert_null(strstr(fake_llm_request_dump(t->llm, 0), "only look at src/"));
    assert_non_null(strstr(fake_llm_request_last(t->llm, 1), "only look at src/, please"));
    assert_non_null(strstr(ev(t), "user_message|only look at src/, please"));
    h_free(t);
}

static void test_host_tools_through_executor_hook(void **state)
{
    (void)state;
    h *t = h_new(LC_AGENT_CODE, 5);
    t->r.answer_for_user = "blue";
    fake_executor_add(t->ex, &(fake_step){.match = "ask_user", .status = LC_STEP_OK, .tool_name = "ask_user",
                                           .tool_args = "{\"question\":\"Which colour?\"}"});
    fake_executor_add(t->ex, &(fake_step){.match = "llm_query", .status = LC_STEP_OK, .tool_name = "llm_query",
                                           .tool_args = "{\"prompt\":\"hi\"}"});
    fake_llm_reply(t->llm, "```python\ncolour = ask_user('Which colour?')\n```");
    fake_llm_reply(t->llm, "```python\nllm_query('hi')\n```");
    fake_llm_reply(t->llm, "```python\nfinal_answer(\"blue\")\n```");
    h_run(t, "q");
    assert_int_equal(t->outcome, LC_AGENT_ANSWERED);
    const lc_strv *tr = fake_executor_tool_results(t->ex);
    assert_int_equal(tr->n, 2);
    assert_string_equal(tr->v[0], "ok:\"blue\"");
    /* llm_query is not enabled for this agent: the code gets an exception. */
    assert_non_null(strstr(tr->v[1], "error:"));
    assert_non_null(strstr(tr->v[1], "llm_query"));
    assert_non_null(strstr(ev(t), "tool_call|ask_user"));
    h_free(t);
}

static char *changes(void *ctx)
{
    int *n = ctx;
    (*n)++;
    return lc_xstrdup("M src/a.c (+2 -1)");
}

static char *reverted(void *ctx)
{
    int *n = ctx;
    return *n == 1 ? lc_xstrdup("src/a.c hunk 1") : NULL;
}

static void test_workspace_hooks(void **state)
{
    (void)state;
    h *t = h_new(LC_AGENT_CODE, 5);
    int calls = 0;
    t->ws = (lc_workspace_hooks){&calls, changes, reverted, NULL};
    fake_executor_add(t->ex, &(fake_step){.match = "preview_changes", .status = LC_STEP_OK,
                                           .tool_name = "preview_changes"});
    fake_llm_reply(t->llm, "```python\nopen('src/a.c','a').write('x')\n```");
    fake_llm_reply(t->llm, "```python\nprint(preview_changes())\n```");
    fake_llm_reply(t->llm, "```python\nfinal_answer(\"ok\")\n```");
    h_run(t, "q");
    assert_int_equal(t->outcome, LC_AGENT_ANSWERED);
    /* Reported once although it was the same after every step. */
    const char *e = ev(t);
    const char *c1 = strstr(e, "changed_files|M src/a.c (+2 -1)");
    assert_non_null(c1);
    assert_null(strstr(c1 + 1, "changed_files|"));
    assert_non_null(strstr(fake_llm_request_last(t->llm, 1), "user reverted some of your changes"));
    assert_non_null(strstr(fake_llm_request_last(t->llm, 1), "src/a.c hunk 1"));
    assert_string_equal(fake_executor_tool_results(t->ex)->v[0], "ok:\"M src/a.c (+2 -1)\"");
    h_free(t);
}

static void test_planning_interval(void **state)
{
    (void)state;
    h *t = h_new(LC_AGENT_CODE, 5);
    t->cfg.agent.planning_interval = 2;
    fake_llm_reply(t->llm, "1. look\n2. answer");
    fake_llm_reply(t->llm, "```python\nprint(1)\n```");
    fake_llm_reply(t->llm, "```python\nprint(2)\n```");
    fake_llm_reply(t->llm, "updated plan");
    fake_llm_reply(t->llm, "```python\nfinal_answer(\"x\")\n```");
    h_run(t, "q");
    assert_int_equal(t->outcome, LC_AGENT_ANSWERED);
    assert_int_equal(t->r.plans, 2);
    assert_non_null(strstr(ev(t), "plan|1. look\n2. answer"));
    assert_non_null(strstr(fake_llm_request_last(t->llm, 0), "short plan"));
    assert_non_null(strstr(fake_llm_request_dump(t->llm, 1), "assistant: Plan:\n1. look"));
    h_free(t);
}

static void test_long_output_kept_head_and_tail(void **state)
{
    (void)state;
    h *t = h_new(LC_AGENT_CODE, 5);
    lc_buf big = LC_BUF_INIT;
    lc_buf_puts(&big, "HEAD-MARK \xff\xfe binary\n");
    for (int i = 0; i < 5000; i++)
        lc_buf_puts(&big, "line of output\n");
    lc_buf_puts(&big, "TAIL-MARK\n");
    fake_executor_add(t->ex, &(fake_step){.match = "spam", .status = LC_STEP_OK, .output = lc_buf_cstr(&big)});
    lc_buf_free(&big);
    fake_llm_reply(t->llm, "```python\nspam()\n```");
    fake_llm_reply(t->llm, "```python\nfinal_answer(\"x\")\n```");
    h_run(t, "q");
    const char *o = fake_llm_request_last(t->llm, 1);
    assert_non_null(strstr(o, "HEAD-MARK"));
    assert_non_null(strstr(o, "TAIL-MARK"));
    assert_true(strlen(o) < 12000);
    assert_true(lc_utf8_valid(o, strlen(o)));
    h_free(t);
}

static void test_provider_notice_reaches_observer(void **state)
{
    (void)state;
    h *t = h_new(LC_AGENT_CODE, 5);
    fake_llm_reply_with_notice(t->llm, "rate limited; retrying in 2 s (attempt 2 of 3)",
                               "```python\nfinal_answer(\"ok\")\n```");
    h_run(t, "q");
    assert_int_equal(t->outcome, LC_AGENT_ANSWERED);
    assert_non_null(strstr(ev(t), "info|rate limited; retrying in 2 s (attempt 2 of 3)\n"));
    h_free(t);
}

static void test_model_error_fails_run(void **state)
{
    (void)state;
    h *t = h_new(LC_AGENT_CODE, 5);
    fake_llm_error(t->llm, LC_EAUTH, "the API key was refused: check $OPENAI_API_KEY");
    h_run(t, "q");
    assert_int_equal(t->rc, LC_EAUTH);
    assert_int_equal(t->outcome, LC_AGENT_FAILED);
    assert_non_null(strstr(t->err.msg, "OPENAI_API_KEY"));
    assert_non_null(strstr(ev(t), "error|the API key was refused"));
    h_free(t);
}

/* Issue 17: the model-error question is asked by the error's kind, which
 * the agent notes where it asked the model: a refused key, a server error,
 * the network and a stalled server are the model's; a container that timed
 * out (LC_ETIMEOUT as well) and a tool's failed sub-query are not. */
static void test_failure_kind_is_noted_where_the_model_was_asked(void **state)
{
    (void)state;
    static const int model_codes[] = {LC_EAUTH, LC_ESERVER, LC_ENET, LC_ETIMEOUT, LC_ERATE};
    for (size_t i = 0; i < sizeof model_codes / sizeof model_codes[0]; i++) {
        h *t = h_new(LC_AGENT_CODE, 5);
        fake_llm_error(t->llm, model_codes[i], "the provider failed");
        h_run(t, "q");
        assert_int_equal(t->rc, model_codes[i]);
        assert_int_equal(lc_agent_last_failure(t->agent), LC_AGENT_FAIL_MODEL);
        h_free(t);
    }
    /* The container timed out: the same status, not the model's. */
    h *t = h_new(LC_AGENT_CODE, 5);
    fake_executor_add(t->ex, &(fake_step){.match = "slow", .fail = LC_ETIMEOUT,
                                           .error_message = "the container did not answer within 30 s"});
    fake_llm_reply(t->llm, "```python\nslow()\n```");
    h_run(t, "q");
    assert_int_equal(t->rc, LC_ETIMEOUT);
    assert_int_equal(lc_agent_last_failure(t->agent), LC_AGENT_FAIL_OTHER);
    h_free(t);
    /* A tool's sub-query failed (the tool's error), then the container timed out. */
    t = h_new(LC_AGENT_CODE, 5);
    lc_strv_push(&t->cfg.agent.tools, "llm_query");
    fake_executor_add(t->ex, &(fake_step){.match = "llm_query", .tool_name = "llm_query",
                                           .tool_args = "{\"prompt\":\"x?\"}", .fail = LC_ETIMEOUT,
                                           .error_message = "the container did not answer"});
    fake_llm_reply(t->llm, "```python\nllm_query('x?')\n```");
    fake_llm_error(t->llm, LC_ESERVER, "the sub-query failed");
    h_run(t, "q");
    assert_int_equal(t->rc, LC_ETIMEOUT);
    assert_int_equal(lc_agent_last_failure(t->agent), LC_AGENT_FAIL_OTHER);
    h_free(t);
    /* A run that ends well says NONE. */
    t = h_new(LC_AGENT_CODE, 5);
    fake_llm_reply(t->llm, "```python\nfinal_answer(\"ok\")\n```");
    h_run(t, "q");
    assert_int_equal(t->rc, LC_OK);
    assert_int_equal(lc_agent_last_failure(t->agent), LC_AGENT_FAIL_NONE);
    h_free(t);
}

/* Issue 17: after a model error the retry (a run without a new task) takes
 * the failed step again under its own number, within the same budget. */
static void test_retry_after_model_error_keeps_step_number(void **state)
{
    (void)state;
    h *t = h_new(LC_AGENT_CODE, 3);
    fake_llm_reply(t->llm, "```python\nprint(1)\n```");
    fake_llm_error(t->llm, LC_EAUTH, "the server refused the API key (HTTP 401)");
    fake_llm_reply(t->llm, "```python\nprint(2)\n```");
    fake_llm_reply(t->llm, "```python\nprint(3)\n```");
    fake_llm_reply(t->llm, "best effort");
    h_run(t, "q");
    assert_int_equal(t->rc, LC_EAUTH);
    assert_int_equal(lc_agent_steps(t->agent), 2);
    h_run(t, NULL);
    assert_int_equal(t->rc, LC_OK);
    assert_int_equal(t->outcome, LC_AGENT_MAX_STEPS);
    /* Steps 1, 2 (failed, then retried) and 3: the budget of 3 is the first run's. */
    assert_int_equal(lc_agent_steps(t->agent), 3);
    assert_int_equal(fake_executor_ran(t->ex)->n, 3);
    assert_string_equal(t->answer, "best effort");
    h_free(t);

    /* A container failure is not retried as a model error: the next run goes on with a new step. */
    t = h_new(LC_AGENT_CODE, 3);
    fake_executor_add(t->ex, &(fake_step){.match = "slow", .fail = LC_ETIMEOUT, .error_message = "timed out"});
    fake_llm_reply(t->llm, "```python\nslow()\n```");
    fake_llm_reply(t->llm, "```python\nfinal_answer(\"ok\")\n```");
    h_run(t, "q");
    assert_int_equal(t->rc, LC_ETIMEOUT);
    h_run(t, NULL);
    assert_int_equal(t->rc, LC_OK);
    assert_int_equal(lc_agent_steps(t->agent), 2);
    h_free(t);
}

static void test_unknown_tool_in_config_is_an_error(void **state)
{
    (void)state;
    lc_config cfg;
    memset(&cfg, 0, sizeof cfg);
    lc_strv_push(&cfg.agent.tools, "rm_everything");
    lc_llm *llm = fake_llm_new();
    lc_executor *ex = fake_executor_new();
    lc_agent *a = NULL;
    lc_err err = {0};
    assert_int_equal(lc_agent_new(&cfg, llm, ex, NULL, NULL, NULL, &a, &err), LC_EINVAL);
    assert_non_null(strstr(err.msg, "rm_everything"));
    assert_non_null(strstr(err.msg, "grep_code"));
    lc_strv_free(&cfg.agent.tools);
    lc_llm_destroy(llm);
    lc_executor_destroy(ex);
}

static void test_second_task_gets_whole_budget(void **state)
{
    (void)state;
    h *t = h_new(LC_AGENT_CODE, 2);
    fake_llm_reply(t->llm, "```python\nfinal_answer(\"first\")\n```");
    fake_llm_reply(t->llm, "```python\nprint(1)\n```");
    fake_llm_reply(t->llm, "```python\nprint(2)\n```");
    fake_llm_reply(t->llm, "second, best effort");
    h_run(t, "task one");
    assert_int_equal(t->outcome, LC_AGENT_ANSWERED);
    free(t->answer);
    t->answer = NULL;
    h_run(t, "task two");
    assert_int_equal(t->outcome, LC_AGENT_MAX_STEPS);
    assert_string_equal(t->answer, "second, best effort");
    assert_int_equal(lc_agent_steps(t->agent), 3);
    assert_int_equal(fake_executor_ran(t->ex)->n, 3);
    /* The follow-up task sees the first one, and the helpers went in once. */
    const char *dump = fake_llm_request_dump(t->llm, 1);
    assert_non_null(strstr(dump, "task one"));
    assert_non_null(strstr(dump, "New task:\ntask two"));
    assert_int_equal(fake_executor_defined(t->ex)->n, 1);
    assert_non_null(strstr(ev(t), "step|\n"));
    h_free(t);
}

static void test_subquery_tools(void **state)
{
    (void)state;
    h *t = h_new(LC_AGENT_CODE, 5);
    lc_strv_push(&t->cfg.agent.tools, "generate_replacement");
    lc_strv_push(&t->cfg.agent.tools, "llm_query");
    fake_executor_add(t->ex, &(fake_step){.match = "generate_replacement", .status = LC_STEP_OK,
                                           .tool_name = "generate_replacement",
                                           .tool_args = "{\"code\":\"a+b\",\"instruction\":\"multiply\"}"});
    fake_executor_add(t->ex, &(fake_step){.match = "llm_query", .status = LC_STEP_OK, .tool_name = "llm_query",
                                           .tool_args = "{\"prompt\":\"capital of France?\"}"});
    fake_llm_reply(t->llm, "```python\nnew = generate_replacement('a+b', 'multiply')\n```");
    fake_llm_reply(t->llm, "Here:\n```python\na*b\n```\n"); /* the sub-request's answer */
    fake_llm_reply(t->llm, "```python\nllm_query('capital of France?')\n```");
    fake_llm_reply(t->llm, "Paris");
    fake_llm_reply(t->llm, "```python\nfinal_answer(\"done\")\n```");
    h_run(t, "q");
    assert_int_equal(t->outcome, LC_AGENT_ANSWERED);
    const lc_strv *tr = fake_executor_tool_results(t->ex);
    assert_int_equal(tr->n, 2);
    assert_string_equal(tr->v[0], "ok:\"a*b\\n\""); /* only the code comes back */
    assert_string_equal(tr->v[1], "ok:\"Paris\"");
    /* Sub-requests are one self-contained message without tools or history. */
    assert_int_equal(fake_llm_request_nmessages(t->llm, 1), 1);
    assert_int_equal(fake_llm_request_ntools(t->llm, 1), 0);
    assert_non_null(strstr(fake_llm_request_last(t->llm, 1), "Instruction: multiply"));
    assert_string_equal(fake_llm_request_last(t->llm, 3), "capital of France?");
    /* The sub-request's text is not streamed as the agent's own reply. */
    assert_null(strstr(lc_buf_cstr(&t->r.tokens), "Paris"));
    h_free(t);
}

static void test_old_observations_shortened_past_soft_cap(void **state)
{
    (void)state;
    h *t = h_new(LC_AGENT_CODE, 40);
    lc_buf big = LC_BUF_INIT;
    lc_buf_puts(&big, "FIRST-LINE\n");
    for (int i = 0; i < 4000; i++)
        lc_buf_puts(&big, "0123456789abcdef\n");
    lc_buf_puts(&big, "LAST-LINE\n");
    fake_executor_add(t->ex, &(fake_step){.match = "dump", .status = LC_STEP_OK, .output = lc_buf_cstr(&big)});
    lc_buf_free(&big);
    /* About 10 KB of observation per step: 30 steps pass the 256 KB cap. */
    for (int i = 0; i < 30; i++)
        fake_llm_reply(t->llm, "```python\ndump()\n```");
    fake_llm_reply(t->llm, "```python\nfinal_answer(\"ok\")\n```");
    h_run(t, "the task itself");
    assert_int_equal(t->outcome, LC_AGENT_ANSWERED);
    const char *dump = fake_llm_request_dump(t->llm, fake_llm_nrequests(t->llm) - 1);
    assert_true(strlen(dump) < 270 * 1024);
    assert_non_null(strstr(dump, "the task itself"));
    /* The oldest observation was shortened, the newest is whole. */
    const char *first = strstr(dump, "user: Observation:");
    assert_non_null(first);
    const char *note = strstr(first, "[shortened by litecode");
    assert_non_null(note);
    assert_true(note < strstr(first + 1, "user: Observation:"));
    assert_non_null(strstr(fake_llm_request_last(t->llm, fake_llm_nrequests(t->llm) - 1), "LAST-LINE"));
    assert_null(strstr(fake_llm_request_last(t->llm, fake_llm_nrequests(t->llm) - 1), "[shortened by litecode"));
    assert_non_null(strstr(ev(t), "info|shortened "));
    h_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_final_answer_first_step),
        cmocka_unit_test(test_error_recovery),
        cmocka_unit_test(test_killed_step_says_why),
        cmocka_unit_test(test_no_code_gets_format_and_final_answer_hint),
        cmocka_unit_test(test_syntax_error_not_run_not_asked),
        cmocka_unit_test(test_max_steps_asks_best_answer),
        cmocka_unit_test(test_declined_step_returns_reason),
        cmocka_unit_test(test_edited_step_runs_edit_and_model_sees_diff),
        cmocka_unit_test(test_stop_at_approval),
        cmocka_unit_test(test_stop_from_another_thread_cancels_model),
        cmocka_unit_test(test_stop_interrupts_running_step),
        cmocka_unit_test(test_user_message_reaches_next_step),
        cmocka_unit_test(test_host_tools_through_executor_hook),
        cmocka_unit_test(test_workspace_hooks),
        cmocka_unit_test(test_planning_interval),
        cmocka_unit_test(test_long_output_kept_head_and_tail),
        cmocka_unit_test(test_provider_notice_reaches_observer),
        cmocka_unit_test(test_model_error_fails_run),
        cmocka_unit_test(test_failure_kind_is_noted_where_the_model_was_asked),
        cmocka_unit_test(test_retry_after_model_error_keeps_step_number),
        cmocka_unit_test(test_unknown_tool_in_config_is_an_error),
        cmocka_unit_test(test_second_task_gets_whole_budget),
        cmocka_unit_test(test_subquery_tools),
        cmocka_unit_test(test_old_observations_shortened_past_soft_cap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
