/* The event vocabulary and the session log as its observer: every logged
 * event reads back as the same event, the docs list every kind the log
 * writes, and a front end sees only the events its rows say it draws. */
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

static char *tmp_log(void)
{
    char *p = lc_xstrdup("/tmp/lc_test_log_events_XXXXXX");
    int fd = mkstemp(p);
    assert_true(fd >= 0);
    close(fd);
    unlink(p);
    return p;
}

static void test_names_parse_back(void **state)
{
    (void)state;
    for (int k = 0; k < LC_EV_COUNT; k++) {
        const char *name = lc_event_kind_name((lc_event_kind)k);
        assert_int_equal(lc_event_kind_parse(name), k);
    }
    assert_int_equal(lc_event_kind_parse("no_such_kind"), LC_EV_COUNT);
    assert_int_equal(lc_event_kind_parse(NULL), LC_EV_COUNT);
    assert_string_equal(lc_event_kind_name(LC_EV_COUNT), "unknown");
    assert_int_equal(lc_event_kind_flags(LC_EV_COUNT), 0);
    /* What was paired before: these are events now, and logged. */
    assert_true(lc_event_kind_flags(LC_EV_REQUEST) & LC_EV_LOG);
    assert_true(lc_event_kind_flags(LC_EV_CALL_OBSERVATION) & LC_EV_LOG);
    assert_false(lc_event_kind_flags(LC_EV_TOKEN) & LC_EV_LOG);
}

/* What each event read back must hold. */
typedef struct seen {
    lc_event_kind kind[64];
    lc_obs_source source[64];
    char *text[64];
    char *extra[64];
    int n;
} seen;

static int keep(void *ctx, const lc_event *ev, const cJSON *record, unsigned long line)
{
    (void)record;
    (void)line;
    seen *s = ctx;
    assert_true(s->n < 64);
    s->kind[s->n] = ev->kind;
    s->source[s->n] = ev->source;
    s->text[s->n] = ev->text ? lc_xstrndup(ev->text, ev->len) : NULL;
    lc_buf x = LC_BUF_INIT;
    switch (ev->kind) {
    case LC_EV_REQUEST:
        lc_buf_printf(&x, "%s %zu %s %zu", lc_req_purpose_name(ev->purpose), ev->nmessages,
                      ev->nmessages ? ev->messages[ev->nmessages - 1].content : "", ev->ntools);
        break;
    case LC_EV_MODEL_REPLY:
        lc_buf_printf(&x, "%s %s %zu %s %lld", lc_req_purpose_name(ev->purpose), ev->reply->finish_reason,
                      ev->reply->ncalls, ev->reply->ncalls ? ev->reply->calls[0].name : "",
                      (long long)ev->prompt_tokens);
        break;
    case LC_EV_ACTION:
        lc_buf_printf(&x, "%d %s %s", ev->action->kind, ev->action->code, ev->action->thought);
        break;
    case LC_EV_DECISION:
        lc_buf_printf(&x, "%d %s %d %s", ev->decision->kind, ev->decision->text, ev->decision->automatic,
                      ev->detail ? "diff" : "-");
        break;
    case LC_EV_OBSERVATION:
        if (ev->result)
            lc_buf_printf(&x, "%s %d %s", lc_step_status_name(ev->result->status), ev->result->error_line,
                          ev->result->error_message ? ev->result->error_message : "-");
        break;
    case LC_EV_TOOL_CALL:
        lc_buf_printf(&x, "%s %d %s", ev->detail, ev->code == LC_OK, ev->answer);
        break;
    case LC_EV_CALL_OBSERVATION:
        lc_buf_printf(&x, "%s %s", ev->id, ev->detail);
        break;
    case LC_EV_APPROVAL:
        lc_buf_printf(&x, "%d %d", ev->automatic, ev->changed);
        break;
    case LC_EV_FINAL_ANSWER:
        lc_buf_printf(&x, "%d", ev->forced);
        break;
    case LC_EV_HUNK_APPLIED:
        lc_buf_printf(&x, "%d %s", ev->hunk, ev->detail);
        break;
    case LC_EV_RESUMED:
        lc_buf_printf(&x, "%zu", ev->nmessages);
        break;
    case LC_EV_MODEL_ERROR:
        lc_buf_printf(&x, "%s %s", lc_req_purpose_name(ev->purpose), ev->detail);
        break;
    default:
        break;
    }
    s->extra[s->n] = lc_buf_detach(&x);
    s->n++;
    return LC_OK;
}

static void test_every_logged_event_reads_back(void **state)
{
    (void)state;
    char *path = tmp_log();
    lc_log *log = NULL;
    lc_err err = {0};
    assert_int_equal(lc_log_open(path, &log, &err), LC_OK);

    lc_msg msgs[2] = {{.role = LC_ROLE_SYSTEM, .content = "sys"}, {.role = LC_ROLE_USER, .content = "new one"}};
    lc_tool_call call = {.id = "c1", .name = "grep_code", .arguments = "{}"};
    lc_llm_reply reply = {.content = "hi", .finish_reason = "tool_calls", .calls = &call, .ncalls = 1,
                          .prompt_tokens = 12, .completion_tokens = 3};
    lc_action act = {.kind = LC_ACTION_CODE, .step = 1, .code = "print(1)\n", .thought = "think"};
    lc_decision dec = {.kind = LC_DECIDE_RUN_EDITED, .text = "print(2)\n", .automatic = false};
    lc_exec_result res = {.status = LC_STEP_ERROR, .output = "out", .error_type = "E", .error_message = "boom",
                          .error_line = 4, .duration_s = 0.5};
    lc_exec_result syn = {.status = LC_STEP_SYNTAX, .error_message = "bad syntax", .error_line = 2};
    const lc_event evs[] = {
        {.kind = LC_EV_APPROVAL, .automatic = true, .changed = true},
        {.kind = LC_EV_TASK, .text = "the task"},
        {.kind = LC_EV_HELPERS, .text = "def f(): pass"},
        {.kind = LC_EV_STEP_BEGIN, .step = 1},
        {.kind = LC_EV_REQUEST, .step = 1, .purpose = LC_REQ_PLAN, .messages = msgs, .nmessages = 2,
         .first_new = 1, .ntools = 3},
        {.kind = LC_EV_MODEL_REPLY, .step = 1, .purpose = LC_REQ_STEP, .reply = &reply, .text = "hi"},
        {.kind = LC_EV_MODEL_ERROR, .step = 1, .purpose = LC_REQ_FINAL, .code = LC_ERATE, .text = "slow down"},
        {.kind = LC_EV_PLAN, .text = "the plan"},
        {.kind = LC_EV_ACTION, .action = &act},
        {.kind = LC_EV_DECISION, .decision = &dec, .proposed = "print(1)\n"},
        {.kind = LC_EV_TOOL_CALL, .text = "ask_user", .detail = "{\"q\":1}", .code = LC_OK, .answer = "yes"},
        {.kind = LC_EV_OBSERVATION, .source = LC_OBS_RESULT, .result = &res, .text = "told: boom"},
        {.kind = LC_EV_OBSERVATION, .source = LC_OBS_SYNTAX, .result = &syn, .proposed = "x(", .text = "fix it"},
        {.kind = LC_EV_OBSERVATION, .source = LC_OBS_NO_CODE, .text = "no code"},
        {.kind = LC_EV_OBSERVATION, .source = LC_OBS_DECLINED, .text = "declined"},
        {.kind = LC_EV_OBSERVATION, .source = LC_OBS_CALL, .text = "not recorded on its own"},
        {.kind = LC_EV_CALL_OBSERVATION, .id = "c1", .detail = "grep_code", .text = "found"},
        {.kind = LC_EV_CHANGED_FILES, .text = "M a.c"},
        {.kind = LC_EV_REVERTED, .text = "a.c hunk 1"},
        {.kind = LC_EV_USER_MESSAGE, .text = "hello"},
        {.kind = LC_EV_INFO, .text = "note"},
        {.kind = LC_EV_TOKEN, .text = "never logged"},
        {.kind = LC_EV_FINAL_ANSWER, .text = "42", .forced = true},
        {.kind = LC_EV_RESUMED, .text = "/old.jsonl", .nmessages = 7},
        {.kind = LC_EV_HUNK_APPLIED, .text = "src/a.c", .hunk = 2, .detail = "+1 -1"},
        {.kind = LC_EV_DONE, .step = 3, .text = "answered"},
    };
    for (size_t i = 0; i < sizeof evs / sizeof evs[0]; i++)
        assert_int_equal(lc_log_event(log, &evs[i], &err), LC_OK);
    lc_log_close(log);

    seen s = {0};
    assert_int_equal(lc_log_events(path, 0, keep, &s, NULL, &err), LC_OK);
    static const struct {
        lc_event_kind kind;
        const char *text, *extra;
    } want[] = {
        {LC_EV_APPROVAL, NULL, "1 1"},
        {LC_EV_TASK, "the task", ""},
        {LC_EV_HELPERS, "def f(): pass", ""},
        {LC_EV_STEP_BEGIN, NULL, ""},
        {LC_EV_REQUEST, NULL, "plan 1 new one 3"}, /* read back: the new messages only */
        {LC_EV_MODEL_REPLY, "hi", "step tool_calls 1 grep_code 12"},
        {LC_EV_MODEL_ERROR, "slow down", "final rate limited"},
        {LC_EV_PLAN, "the plan", ""},
        {LC_EV_ACTION, NULL, "0 print(1)\n think"},
        {LC_EV_DECISION, NULL, "1 print(2)\n 0 diff"},
        {LC_EV_TOOL_CALL, "ask_user", "{\"q\":1} 1 yes"},
        {LC_EV_OBSERVATION, "told: boom", "error 4 boom"},
        {LC_EV_OBSERVATION, "fix it", "syntax 2 bad syntax"},
        {LC_EV_OBSERVATION, "no code", ""},
        {LC_EV_OBSERVATION, "declined", ""},
        {LC_EV_CALL_OBSERVATION, "found", "c1 grep_code"},
        {LC_EV_CHANGED_FILES, "M a.c", ""},
        {LC_EV_REVERTED, "a.c hunk 1", ""},
        {LC_EV_USER_MESSAGE, "hello", ""},
        {LC_EV_INFO, "note", ""},
        {LC_EV_FINAL_ANSWER, "42", "1"},
        {LC_EV_RESUMED, "/old.jsonl", "7"},
        {LC_EV_HUNK_APPLIED, "src/a.c", "2 +1 -1"},
        {LC_EV_DONE, "answered", ""},
    };
    static const lc_obs_source sources[] = {LC_OBS_RESULT, LC_OBS_SYNTAX, LC_OBS_NO_CODE, LC_OBS_DECLINED};
    assert_int_equal(s.n, (int)(sizeof want / sizeof want[0]));
    int nobs = 0;
    for (int i = 0; i < s.n; i++) {
        assert_int_equal(s.kind[i], want[i].kind);
        if (want[i].text)
            assert_string_equal(s.text[i], want[i].text);
        assert_string_equal(s.extra[i], want[i].extra);
        if (s.kind[i] == LC_EV_OBSERVATION)
            assert_int_equal(s.source[i], sources[nobs++]);
        free(s.text[i]);
        free(s.extra[i]);
    }
    unlink(path);
    free(path);
}

/* docs/session-log.md is what readers of the file have: every kind the log
 * writes must be in its table. */
static void test_docs_list_every_logged_kind(void **state)
{
    (void)state;
    const char *src = getenv("LC_SOURCE_DIR");
    assert_non_null(src);
    char *path = lc_path_join(src, "docs/session-log.md");
    lc_buf doc = LC_BUF_INIT;
    lc_err err = {0};
    assert_int_equal(lc_file_read(path, 1 << 20, &doc, &err), LC_OK);
    for (int k = 0; k < LC_EV_COUNT; k++) {
        if (!(lc_event_kind_flags((lc_event_kind)k) & LC_EV_LOG))
            continue;
        char *cell = lc_xasprintf("`%s`", lc_event_kind_name((lc_event_kind)k));
        if (!strstr(lc_buf_cstr(&doc), cell))
            fail_msg("docs/session-log.md does not list the kind %s", cell);
        free(cell);
    }
    static const char *const obs[] = {"`result`", "`syntax_error`", "`no_code`", "`observation`"};
    for (size_t i = 0; i < sizeof obs / sizeof obs[0]; i++)
        assert_non_null(strstr(lc_buf_cstr(&doc), obs[i]));
    lc_buf_free(&doc);
    free(path);
}

typedef struct watch {
    int shown[LC_EV_COUNT + 1];
    bool subquery_reply;
    const char *path;   /* the log, read when an event is shown */
    int checked;        /* shown events found already on record */
    int synced_checked; /* of them, SYNC rows */
} watch;

/* The front end of the fan-out. Each event it is shown whose row says LOG
 * is already the log file's last line: the log is the receiver before it
 * (crash safety: nothing is shown that is not on record). */
static void on_event(void *ctx, const lc_event *ev)
{
    watch *w = ctx;
    assert_true(lc_event_kind_flags(ev->kind) & LC_EV_SHOW);
    if (ev->kind == LC_EV_MODEL_REPLY && ev->purpose == LC_REQ_SUBQUERY)
        w->subquery_reply = true;
    w->shown[ev->kind]++;
    if (!(lc_event_kind_flags(ev->kind) & LC_EV_LOG))
        return;
    /* An observation's record is named after what it was about. */
#define SOURCE_KIND(name, kind) kind,
    static const char *const source_kinds[] = {LC_OBSERVATION_SOURCES(SOURCE_KIND)};
#undef SOURCE_KIND
    const char *kind = lc_event_kind_name(ev->kind);
    if (ev->kind == LC_EV_OBSERVATION && (kind = source_kinds[ev->source]) == NULL)
        return; /* a tool call's answer: recorded as a call_observation later */
    lc_buf b = LC_BUF_INIT;
    lc_err err = {0};
    assert_int_equal(lc_file_read(w->path, 1 << 24, &b, &err), LC_OK);
    assert_true(b.len > 0 && b.data[b.len - 1] == '\n');
    size_t start = b.len - 1;
    while (start > 0 && b.data[start - 1] != '\n')
        start--;
    char *want = lc_xasprintf("\"kind\":\"%s\"", kind);
    if (!strstr(b.data + start, want))
        fail_msg("%s was shown before it was recorded; the log ends with %s", kind, b.data + start);
    free(want);
    lc_buf_free(&b);
    w->checked++;
    if (lc_event_kind_flags(ev->kind) & LC_EV_SYNC)
        w->synced_checked++;
}

static int count_kind(void *ctx, const lc_event *ev, const cJSON *record, unsigned long line)
{
    (void)record;
    (void)line;
    int *n = ctx;
    n[ev->kind]++;
    return LC_OK;
}

/* One emit per fact, through session.c's kind of fan-out (the log, then the
 * front end): the front end draws the events, the log records the same
 * events once each (and the log-only ones the front end never sees), and
 * each is on record before it is shown. */
static void test_front_end_and_log_see_one_stream(void **state)
{
    (void)state;
    char *path = tmp_log();
    lc_log *log = NULL;
    lc_err err = {0};
    assert_int_equal(lc_log_open(path, &log, &err), LC_OK);
    lc_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.agent.max_steps = 5;
    cfg.container.timeout_s = 30;
    lc_strv_push(&cfg.agent.tools, "llm_query");
    lc_llm *llm = fake_llm_new();
    lc_executor *ex = fake_executor_new();
    fake_executor_add(ex, &(fake_step){.match = "llm_query", .status = LC_STEP_OK, .output = "sub\n",
                                        .tool_name = "llm_query", .tool_args = "{\"prompt\":\"sum up\"}"});
    fake_llm_reply(llm, "no code here");
    fake_llm_reply(llm, "```python\nprint(llm_query('sum up'))\n```");
    fake_llm_reply(llm, "the sub-query's answer");
    fake_llm_reply(llm, "```python\nfinal_answer(\"done\")\n```");
    watch w = {.path = path};
    lc_observer obs = {.ctx = &w, .event = on_event};
    lc_agent *a = NULL;
    lc_fanout fan1; /* the log first, then the front end */
    lc_observer fo1 = lc_fanout_init(&fan1, log, &obs);
    assert_int_equal(lc_agent_new(&cfg, llm, ex, &fo1, NULL, log, &a, &err), LC_OK);
    lc_agent_outcome out;
    assert_int_equal(lc_agent_run(a, "a task", &out, NULL, &err), LC_OK);
    assert_int_equal(out, LC_AGENT_ANSWERED);
    lc_agent_free(a);
    lc_llm_destroy(llm);
    lc_executor_destroy(ex);
    lc_log_close(log);
    lc_strv_free(&cfg.agent.tools);

    int logged[LC_EV_COUNT + 1] = {0};
    assert_int_equal(lc_log_events(path, 0, count_kind, logged, NULL, &err), LC_OK);
    /* The sub-query's reply is the tool's result: logged, never drawn as
     * the agent's reply. */
    assert_false(w.subquery_reply);
    assert_int_equal(logged[LC_EV_MODEL_REPLY], 4);
    assert_int_equal(w.shown[LC_EV_MODEL_REPLY], 3);
    assert_int_equal(logged[LC_EV_REQUEST], 4);
    /* Facts both draw and record come once to each. */
    static const lc_event_kind both[] = {LC_EV_TASK, LC_EV_STEP_BEGIN, LC_EV_ACTION, LC_EV_DECISION,
                                         LC_EV_OBSERVATION, LC_EV_TOOL_CALL, LC_EV_FINAL_ANSWER, LC_EV_DONE};
    for (size_t i = 0; i < sizeof both / sizeof both[0]; i++) {
        assert_true(logged[both[i]] > 0);
        assert_int_equal(logged[both[i]], w.shown[both[i]]);
    }
    assert_int_equal(w.shown[LC_EV_REQUEST] + w.shown[LC_EV_APPROVAL] + w.shown[LC_EV_HELPERS], 0);
    /* Every shown event with a record was on record first: FINAL_ANSWER and DONE among them. */
    assert_true(w.checked >= 10);
    assert_int_equal(w.synced_checked, 2);
    unlink(path);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names_parse_back),
        cmocka_unit_test(test_every_logged_event_reads_back),
        cmocka_unit_test(test_docs_list_every_logged_kind),
        cmocka_unit_test(test_front_end_and_log_see_one_stream),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
