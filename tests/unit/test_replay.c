/* replay:FILE answers a new session from a recorded one: same replies, in
 * order, streamed in pieces; tool calls kept; running out is an error. */
#include <setjmp.h>
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

typedef struct seen {
    int tokens;
    lc_buf text;
} seen;

static void on_event(void *ctx, const lc_event *ev)
{
    seen *s = ctx;
    if (ev->kind == LC_EV_TOKEN) {
        s->tokens++;
        lc_buf_append(&s->text, ev->text, ev->len);
    }
}

static char *tmp_path(void)
{
    char *p = lc_xstrdup("/tmp/lc_test_replay_XXXXXX");
    int fd = mkstemp(p);
    assert_true(fd >= 0);
    close(fd);
    unlink(p);
    return p;
}

static void run_session(lc_config *cfg, lc_llm *llm, lc_executor *ex, lc_log *log, seen *s, char **answer)
{
    lc_observer obs = {s, on_event, NULL, NULL, NULL};
    lc_agent *a = NULL;
    lc_err err = {0};
    lc_fanout fan1; /* the log first, then the front end */
    lc_observer fo1 = lc_fanout_init(&fan1, log, &obs);
    assert_int_equal(lc_agent_new(cfg, llm, ex, &fo1, NULL, log, &a, &err), LC_OK);
    lc_agent_outcome out;
    assert_int_equal(lc_agent_run(a, "count the lines", &out, answer, &err), LC_OK);
    assert_int_equal(out, LC_AGENT_ANSWERED);
    lc_agent_free(a);
}

static void test_replay_reproduces_session(void **state)
{
    (void)state;
    lc_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.agent.type = LC_AGENT_TOOL_CALLING;
    cfg.agent.max_steps = 5;
    lc_strv_push(&cfg.agent.tools, "grep_code");
    char *path = tmp_path();
    lc_err err = {0};

    lc_log *log = NULL;
    assert_int_equal(lc_log_open(path, &log, &err), LC_OK);
    lc_llm *llm = fake_llm_new();
    lc_executor *ex = fake_executor_new();
    fake_llm_reply_calls(llm, "Counting the lines with two calls, é and all.", "python_executor",
                         "{\"code\":\"n = 3\"}", "grep_code", "{\"pattern\":\"x\"}", NULL);
    fake_llm_reply_calls(llm, "", "final_answer", "{\"answer\":\"3 lines\"}", NULL);
    seen s1 = {0};
    char *a1 = NULL;
    run_session(&cfg, llm, ex, log, &s1, &a1);
    lc_log_close(log);
    lc_llm_destroy(llm);
    lc_executor_destroy(ex);

    /* The replay goes through lc_llm_new like any model name. */
    lc_model_config mc = {0};
    char *name = lc_xasprintf("replay:%s", path);
    mc.name = name;
    assert_int_equal(lc_llm_new(&mc, &llm, &err), LC_OK);
    ex = fake_executor_new();
    seen s2 = {0};
    char *a2 = NULL;
    run_session(&cfg, llm, ex, NULL, &s2, &a2);
    assert_string_equal(a1, "3 lines");
    assert_string_equal(a2, a1);
    assert_string_equal(lc_buf_cstr(&s2.text), lc_buf_cstr(&s1.text));
    assert_true(s2.tokens >= 3); /* streamed in pieces, not at once */
    const lc_strv *ran = fake_executor_ran(ex);
    assert_int_equal(ran->n, 2);
    assert_string_equal(ran->v[0], "n = 3");
    assert_string_equal(ran->v[1], "grep_code(pattern=\"x\")");

    /* One more request than recorded: an error that says so. */
    lc_msg m = {.role = LC_ROLE_USER, .content = "more?"};
    lc_llm_request req = {.messages = &m, .nmessages = 1};
    lc_llm_reply reply;
    assert_int_equal(lc_llm_chat(llm, &req, NULL, &reply, &err), LC_EPROTO);
    assert_non_null(strstr(err.msg, "no more model replies"));

    lc_llm_destroy(llm);
    lc_executor_destroy(ex);
    free(a1);
    free(a2);
    free(name);
    lc_buf_free(&s1.text);
    lc_buf_free(&s2.text);
    lc_strv_free(&cfg.agent.tools);
    unlink(path);
    free(path);
}

static void test_replay_of_log_without_replies(void **state)
{
    (void)state;
    char *path = tmp_path();
    FILE *f = fopen(path, "w");
    fputs("{\"v\":1,\"kind\":\"header\",\"step\":0}\n", f);
    fclose(f);
    lc_llm *llm = NULL;
    lc_err err = {0};
    assert_int_equal(lc_llm_replay_new(path, &llm, &err), LC_EINVAL);
    assert_non_null(strstr(err.msg, "no recorded model replies"));
    assert_int_not_equal(lc_llm_replay_new("/nonexistent/log.jsonl", &llm, &err), LC_OK);
    assert_non_null(strstr(err.msg, "/nonexistent/log.jsonl"));
    assert_null(llm);
    unlink(path);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replay_reproduces_session),
        cmocka_unit_test(test_replay_of_log_without_replies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
