/* The session log: what a session writes, that keys never reach it, that a
 * crash-cut line is tolerated, --resume, and the --report audit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent/agent.h"
#include "fake_executor.h"
#include "fake_llm.h"

#define HDR "{\"v\":1,\"kind\":\"header\",\"step\":0,\"format\":1,\"dir\":\"/p\"}\n"

static char *tmp_log(void)
{
    char *p = lc_xstrdup("/tmp/lc_test_log_XXXXXX");
    int fd = mkstemp(p);
    assert_true(fd >= 0);
    close(fd);
    unlink(p); /* lc_log_open creates it */
    return p;
}

static char *slurp(const char *path)
{
    lc_buf b = LC_BUF_INIT;
    lc_err err = {0};
    assert_int_equal(lc_file_read(path, 1 << 24, &b, &err), LC_OK);
    return lc_buf_detach(&b);
}

static const cJSON *find_kind(const cJSON *events, const char *kind, int nth)
{
    const cJSON *ev;
    cJSON_ArrayForEach(ev, events)
    {
        if (!strcmp(lc_json_str(ev, "kind"), kind) && nth-- == 0)
            return ev;
    }
    return NULL;
}

static lc_decision decide(void *ctx, const lc_action *act)
{
    int *n = ctx;
    (void)act;
    switch ((*n)++) {
    case 0:
        return (lc_decision){.kind = LC_DECIDE_RUN_EDITED, .text = lc_xstrdup("print('edited')\n")};
    case 1:
        return (lc_decision){.kind = LC_DECIDE_DECLINE, .text = lc_xstrdup("not that file")};
    default:
        return (lc_decision){.kind = LC_DECIDE_RUN};
    }
}

/* A whole session written to a log: edited, declined, then answered. */
static void record_session(const char *path, lc_config *cfg)
{
    lc_log *log = NULL;
    lc_err err = {0};
    assert_int_equal(lc_log_open(path, &log, &err), LC_OK);
    assert_int_equal(lc_log_header(log, cfg, "/home/u/project", "fake executor", &err), LC_OK);
    lc_llm *llm = fake_llm_new();
    lc_executor *ex = fake_executor_new();
    fake_executor_add(ex, &(fake_step){.match = "edited", .status = LC_STEP_OK, .output = "edited\n"});
    const char *key = getenv("LC_TEST_SECRET_KEY");
    char *leaky = lc_xasprintf("My key is %s.\n```python\nprint('original')\n```", key);
    fake_llm_reply(llm, leaky);
    free(leaky);
    fake_llm_reply(llm, "```python\nopen('/workspace/x').write('')\n```");
    fake_llm_reply(llm, "```python\nfinal_answer(\"all done\")\n```");
    int n = 0;
    lc_observer obs = {&n, NULL, decide, NULL, NULL};
    lc_agent *a = NULL;
    lc_fanout fan1; /* the log first, then the front end */
    lc_observer fo1 = lc_fanout_init(&fan1, log, &obs);
    assert_int_equal(lc_agent_new(cfg, llm, ex, &fo1, NULL, log, &a, &err), LC_OK);
    lc_agent_outcome out;
    char *answer = NULL;
    assert_int_equal(lc_agent_run(a, "tidy the project", &out, &answer, &err), LC_OK);
    assert_int_equal(out, LC_AGENT_ANSWERED);
    assert_int_equal(lc_log_hunk(log, true, "src/a.c", 1, "+2 -1", &err), LC_OK);
    free(answer);
    lc_agent_free(a);
    lc_llm_destroy(llm);
    lc_executor_destroy(ex);
    lc_log_close(log);
}

static void setup_cfg(lc_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->model.name = "openai/gpt-test";
    cfg->model.api_key_env = "LC_TEST_SECRET_KEY";
    cfg->agent.max_steps = 5;
    cfg->container.image = "litecode-sandbox:test";
    cfg->container.memory_bytes = 1 << 30;
    cfg->container.cpus = 1;
    cfg->container.timeout_s = 30;
    cfg->model.input_price = cfg->model.output_price = -1; /* as lc_config_defaults */
}

static void test_session_round_trip_and_no_keys(void **state)
{
    (void)state;
    setenv("LC_TEST_SECRET_KEY", "sk-test-0123456789abcdef", 1);
    lc_config cfg;
    setup_cfg(&cfg);
    cfg.model.input_price = 1000; /* the header keeps the prices for the report's cost */
    cfg.model.output_price = 0;
    char *path = tmp_log();
    record_session(path, &cfg);

    char *text = slurp(path);
    assert_null(strstr(text, "sk-test-0123456789abcdef"));
    assert_non_null(strstr(text, "[redacted]"));
    assert_non_null(strstr(text, "\"api_key_env\":\"LC_TEST_SECRET_KEY\""));
    free(text);

    cJSON *events = NULL;
    lc_err err = {0};
    assert_int_equal(lc_log_read(path, &events, &err), LC_OK);
    const cJSON *hd = cJSON_GetArrayItem(events, 0);
    assert_string_equal(lc_json_str(hd, "kind"), "header");
    assert_string_equal(lc_json_str(hd, "dir"), "/home/u/project");
    assert_string_equal(lc_json_str(cJSON_GetObjectItem(hd, "container"), "image"), "litecode-sandbox:test");
    assert_non_null(lc_json_str(hd, "ts"));
    assert_string_equal(lc_json_str(find_kind(events, "task", 0), "text"), "tidy the project");
    assert_non_null(find_kind(events, "helpers", 0));
    const cJSON *req = find_kind(events, "request", 0);
    assert_int_equal((int)lc_json_num(req, "messages", 0), 2);
    const cJSON *d0 = find_kind(events, "decision", 0);
    assert_string_equal(lc_json_str(d0, "decision"), "edited");
    assert_non_null(strstr(lc_json_str(d0, "diff"), "+print('edited')"));
    assert_int_equal((int)lc_json_num(d0, "step", 0), 1);
    const cJSON *d1 = find_kind(events, "decision", 1);
    assert_string_equal(lc_json_str(d1, "decision"), "declined");
    assert_string_equal(lc_json_str(d1, "reason"), "not that file");
    const cJSON *r0 = find_kind(events, "result", 0);
    assert_string_equal(lc_json_str(r0, "status"), lc_step_status_name(LC_STEP_OK));
    assert_string_equal(lc_json_str(r0, "output"), "edited\n");
    const cJSON *fa = find_kind(events, "final_answer", 0);
    assert_string_equal(lc_json_str(fa, "answer"), "all done");
    assert_false(lc_json_bool(fa, "forced", true));
    assert_string_equal(lc_json_str(find_kind(events, "done", 0), "outcome"), "answered");
    assert_string_equal(lc_json_str(find_kind(events, "hunk_applied", 0), "path"), "src/a.c");
    cJSON_Delete(events);

    /* The audit report tells the story. */
    lc_buf rep = LC_BUF_INIT;
    assert_int_equal(lc_report_render(path, &rep, &err), LC_OK);
    const char *r = lc_buf_cstr(&rep);
    assert_non_null(strstr(r, "# litecode session report"));
    assert_non_null(strstr(r, "- Model: openai/gpt-test"));
    assert_non_null(strstr(r, "- Outcome: answered after 3 steps"));
    assert_non_null(strstr(r, "prompt, "));
    assert_non_null(strstr(r, " completion, about $0.")); /* 100 tokens per request at $1000 per million */
    assert_non_null(strstr(r, "(at $1000 and $0 per million tokens)"));
    assert_non_null(strstr(r, "approved: 1, edited: 1, declined: 1"));
    assert_non_null(strstr(r, "> tidy the project"));
    assert_non_null(strstr(r, "**Decision: declined** because: not that file"));
    assert_non_null(strstr(r, "```diff\n"));
    assert_non_null(strstr(r, "## Final answer\n\n> all done"));
    assert_non_null(strstr(r, "Applied hunk 1 of src/a.c"));
    assert_null(strstr(r, "sk-test-0123456789abcdef"));
    lc_buf_free(&rep);
    unlink(path);
    free(path);
}

static void test_cut_last_line_tolerated_bad_line_named(void **state)
{
    (void)state;
    char *path = tmp_log();
    FILE *f = fopen(path, "w");
    fputs("{\"v\":1,\"kind\":\"task\",\"step\":0,\"text\":\"a\"}\n{\"v\":1,\"kind\":\"st", f);
    fclose(f);
    cJSON *events = NULL;
    lc_err err = {0};
    assert_int_equal(lc_log_read(path, &events, &err), LC_OK);
    assert_int_equal(cJSON_GetArraySize(events), 1);
    cJSON_Delete(events);
    f = fopen(path, "w");
    fputs("{\"kind\":\"task\"}\nnot json\n{\"kind\":\"done\"}\n", f);
    fclose(f);
    assert_int_equal(lc_log_read(path, &events, &err), LC_EINVAL);
    char want[300];
    snprintf(want, sizeof want, "%s:2:", path);
    assert_non_null(strstr(err.msg, want));
    /* The report shows what it can, and says what it skipped. */
    f = fopen(path, "w");
    fputs(HDR "not json\n{\"v\":1,\"kind\":\"task\",\"step\":0,\"text\":\"after it\"}\n", f);
    fclose(f);
    lc_buf rep = LC_BUF_INIT;
    assert_int_equal(lc_report_render(path, &rep, &err), LC_OK);
    assert_non_null(strstr(lc_buf_cstr(&rep), "> after it"));
    assert_non_null(strstr(lc_buf_cstr(&rep), "1 line of the log is not a session log event and was skipped "
                                              "(the first: line 2)"));
    lc_buf_free(&rep);
    unlink(path);
    free(path);
}

static void test_report_escapes_hostile_text(void **state)
{
    (void)state;
    char *path = tmp_log();
    lc_log *log = NULL;
    lc_err err = {0};
    assert_int_equal(lc_log_open(path, &log, &err), LC_OK);
    assert_int_equal(lc_log_header(log, NULL, "/p", NULL, &err), LC_OK);
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "content", "evil \x1b[31mred\x1b[0m and ```` fences");
    cJSON_AddStringToObject(f, "purpose", "step");
    assert_int_equal(lc_log_write(log, "model_reply", 1, f, &err), LC_OK);
    lc_log_close(log);
    lc_buf rep = LC_BUF_INIT;
    assert_int_equal(lc_report_render(path, &rep, &err), LC_OK);
    assert_null(strchr(lc_buf_cstr(&rep), '\x1b'));
    assert_non_null(strstr(lc_buf_cstr(&rep), "`````text\n")); /* longer than the run inside */
    lc_buf_free(&rep);
    unlink(path);
    free(path);
}

static lc_decision script_stop(void *ctx, const lc_action *act)
{
    int *n = ctx;
    (void)act;
    return (*n)++ == 0 ? (lc_decision){.kind = LC_DECIDE_RUN} : (lc_decision){.kind = LC_DECIDE_STOP};
}

static void test_resume_rebuilds_history(void **state)
{
    (void)state;
    setenv("LC_TEST_SECRET_KEY", "sk-test-0123456789abcdef", 1);
    lc_config cfg;
    setup_cfg(&cfg);
    char *path = tmp_log();
    lc_err err = {0};

    /* Session 1: one step runs, then the user stops at step 2. */
    lc_log *log = NULL;
    assert_int_equal(lc_log_open(path, &log, &err), LC_OK);
    lc_llm *llm = fake_llm_new();
    lc_executor *ex = fake_executor_new();
    fake_executor_add(ex, &(fake_step){.match = "count", .status = LC_STEP_OK, .output = "17 files\n"});
    fake_llm_reply(llm, "Thought: count.\n```python\ncount()\n```");
    fake_llm_reply(llm, "```python\nsecond()\n```");
    int n = 0;
    lc_agent *a = NULL;
    lc_observer obs = {&n, NULL, script_stop, NULL, NULL};
    lc_fanout fan2; /* the log first, then the front end */
    lc_observer fo2 = lc_fanout_init(&fan2, log, &obs);
    assert_int_equal(lc_agent_new(&cfg, llm, ex, &fo2, NULL, log, &a, &err), LC_OK);
    lc_agent_outcome out;
    assert_int_equal(lc_agent_run(a, "how many files?", &out, NULL, &err), LC_OK);
    assert_int_equal(out, LC_AGENT_STOPPED);
    lc_agent_free(a);
    lc_llm_destroy(llm);
    lc_executor_destroy(ex);

    /* Session 2 continues from the log, appending to it. */
    llm = fake_llm_new();
    ex = fake_executor_new();
    fake_llm_reply(llm, "```python\nfinal_answer(\"17\")\n```");
    obs.approve = NULL;
    lc_fanout fan3; /* the log first, then the front end */
    lc_observer fo3 = lc_fanout_init(&fan3, log, &obs);
    assert_int_equal(lc_agent_new(&cfg, llm, ex, &fo3, NULL, log, &a, &err), LC_OK);
    assert_int_equal(lc_agent_resume(a, path, &err), LC_OK);
    char *answer = NULL;
    assert_int_equal(lc_agent_run(a, NULL, &out, &answer, &err), LC_OK);
    assert_int_equal(out, LC_AGENT_ANSWERED);
    assert_string_equal(answer, "17");
    const char *dump = fake_llm_request_dump(llm, 0);
    assert_non_null(strstr(dump, "system: "));
    assert_non_null(strstr(dump, "how many files?"));
    const char *once = strstr(dump, "assistant: Thought: count.");
    assert_non_null(once);
    assert_null(strstr(once + 1, "assistant: Thought: count.")); /* not duplicated */
    assert_non_null(strstr(dump, "17 files"));
    once = strstr(dump, "assistant: ```python\nsecond()");
    assert_non_null(once);
    assert_null(strstr(once + strlen("assistant: ```python\nsecond()"), "second()"));
    assert_non_null(strstr(fake_llm_request_last(llm, 0), "resumed from its log"));
    /* Step numbers go on from where the log stopped. */
    assert_int_equal(lc_agent_steps(a), 3);
    free(answer);
    lc_agent_free(a);
    lc_llm_destroy(llm);
    lc_executor_destroy(ex);
    lc_log_close(log);
    unlink(path);
    free(path);
}

static void test_resume_tool_calling_with_plan(void **state)
{
    (void)state;
    lc_config cfg;
    setup_cfg(&cfg);
    cfg.agent.type = LC_AGENT_TOOL_CALLING;
    cfg.agent.planning_interval = 5;
    char *path = tmp_log();
    lc_err err = {0};
    lc_log *log = NULL;
    assert_int_equal(lc_log_open(path, &log, &err), LC_OK);
    lc_llm *llm = fake_llm_new();
    lc_executor *ex = fake_executor_new();
    fake_executor_add(ex, &(fake_step){.match = "a = 1", .status = LC_STEP_OK, .value_repr = "1"});
    fake_llm_reply(llm, "PLAN-TEXT");
    fake_llm_reply_calls(llm, "", "python_executor", "{\"code\":\"a = 1\\na\"}", NULL);
    fake_llm_reply_calls(llm, "", "python_executor", "{\"code\":\"b = 2\"}", NULL);
    int n = 0;
    lc_observer obs = {&n, NULL, script_stop, NULL, NULL};
    lc_agent *a = NULL;
    lc_fanout fan4; /* the log first, then the front end */
    lc_observer fo4 = lc_fanout_init(&fan4, log, &obs);
    assert_int_equal(lc_agent_new(&cfg, llm, ex, &fo4, NULL, log, &a, &err), LC_OK);
    lc_agent_outcome out;
    assert_int_equal(lc_agent_run(a, "task T", &out, NULL, &err), LC_OK);
    assert_int_equal(out, LC_AGENT_STOPPED);
    lc_agent_free(a);
    lc_llm_destroy(llm);
    lc_executor_destroy(ex);

    llm = fake_llm_new();
    ex = fake_executor_new();
    fake_llm_reply(llm, "PLAN-2"); /* a resumed run plans again first */
    fake_llm_reply_calls(llm, "", "final_answer", "{\"answer\":\"ok\"}", NULL);
    lc_fanout fan5; /* the log first, then the front end */
    lc_observer fo5 = lc_fanout_init(&fan5, log, NULL);
    assert_int_equal(lc_agent_new(&cfg, llm, ex, &fo5, NULL, log, &a, &err), LC_OK);
    assert_int_equal(lc_agent_resume(a, path, &err), LC_OK);
    char *answer = NULL;
    assert_int_equal(lc_agent_run(a, NULL, &out, &answer, &err), LC_OK);
    assert_string_equal(answer, "ok");
    /* Request 0 is the new plan; request 1 is the first resumed step. */
    const char *dump = fake_llm_request_dump(llm, 1);
    assert_non_null(strstr(dump, "assistant: Plan:\nPLAN-2"));
    const char *plan = strstr(dump, "assistant: Plan:\nPLAN-TEXT");
    assert_non_null(plan);
    assert_null(strstr(plan + strlen("assistant: Plan:\nPLAN-TEXT"), "PLAN-TEXT"));
    assert_null(strstr(dump, "short plan")); /* the planning prompt is not history */
    assert_non_null(strstr(dump, "assistant calls python_executor({\"code\":\"a = 1\\na\"})\ntool: Last value: 1"));
    assert_non_null(strstr(dump, "assistant calls python_executor({\"code\":\"b = 2\"})\n"
                                 "tool: The user stopped the session at this step, so it did not run."));
    free(answer);
    lc_agent_free(a);
    lc_llm_destroy(llm);
    lc_executor_destroy(ex);
    lc_log_close(log);
    unlink(path);
    free(path);
}

static lc_decision script_two_then_stop(void *ctx, const lc_action *act)
{
    int *n = ctx;
    (void)act;
    return (*n)++ < 2 ? (lc_decision){.kind = LC_DECIDE_RUN} : (lc_decision){.kind = LC_DECIDE_STOP};
}

/* A reply with three calls, stopped at the third: on resume each of the two
 * that ran gets its own observation and the third says it was stopped. */
static void test_resume_several_calls(void **state)
{
    (void)state;
    lc_config cfg;
    setup_cfg(&cfg);
    cfg.agent.type = LC_AGENT_TOOL_CALLING;
    char *path = tmp_log();
    lc_err err = {0};
    lc_log *log = NULL;
    assert_int_equal(lc_log_open(path, &log, &err), LC_OK);
    lc_llm *llm = fake_llm_new();
    lc_executor *ex = fake_executor_new();
    fake_executor_add(ex, &(fake_step){.match = "first", .status = LC_STEP_OK, .output = "OUT-ONE\n"});
    fake_executor_add(ex, &(fake_step){.match = "second", .status = LC_STEP_OK, .output = "OUT-TWO\n"});
    fake_llm_reply_calls(llm, "", "python_executor", "{\"code\":\"first()\"}", "python_executor",
                         "{\"code\":\"second()\"}", "python_executor", "{\"code\":\"third()\"}", NULL);
    int n = 0;
    lc_observer obs = {&n, NULL, script_two_then_stop, NULL, NULL};
    lc_agent *a = NULL;
    lc_fanout fan6; /* the log first, then the front end */
    lc_observer fo6 = lc_fanout_init(&fan6, log, &obs);
    assert_int_equal(lc_agent_new(&cfg, llm, ex, &fo6, NULL, log, &a, &err), LC_OK);
    lc_agent_outcome out;
    assert_int_equal(lc_agent_run(a, "three calls", &out, NULL, &err), LC_OK);
    assert_int_equal(out, LC_AGENT_STOPPED);
    assert_int_equal(fake_executor_ran(ex)->n, 2);
    lc_agent_free(a);
    lc_llm_destroy(llm);
    lc_executor_destroy(ex);

    llm = fake_llm_new();
    ex = fake_executor_new();
    fake_llm_reply_calls(llm, "", "final_answer", "{\"answer\":\"ok\"}", NULL);
    lc_fanout fan7; /* the log first, then the front end */
    lc_observer fo7 = lc_fanout_init(&fan7, log, NULL);
    assert_int_equal(lc_agent_new(&cfg, llm, ex, &fo7, NULL, log, &a, &err), LC_OK);
    assert_int_equal(lc_agent_resume(a, path, &err), LC_OK);
    char *answer = NULL;
    assert_int_equal(lc_agent_run(a, NULL, &out, &answer, &err), LC_OK);
    assert_string_equal(answer, "ok");
    const char *dump = fake_llm_request_dump(llm, 0);
    const char *one = strstr(dump, "tool: ");
    assert_non_null(one);
    const char *two = strstr(one + 1, "tool: ");
    assert_non_null(two);
    const char *three = strstr(two + 1, "tool: ");
    assert_non_null(three);
    const char *o1 = strstr(dump, "OUT-ONE"), *o2 = strstr(dump, "OUT-TWO");
    assert_true(o1 > one && o1 < two); /* each answer in its own place */
    assert_true(o2 > two && o2 < three);
    assert_true(lc_str_starts_with(three, "tool: The user stopped the session at this step, so it did not run."));
    free(answer);
    lc_agent_free(a);
    lc_llm_destroy(llm);
    lc_executor_destroy(ex);
    lc_log_close(log);
    unlink(path);
    free(path);
}

static void test_known_key_variables_redacted_without_header(void **state)
{
    (void)state;
    setenv("OPENAI_API_KEY", "sk-openai-abcdefgh12345", 1);
    char *path = tmp_log();
    lc_log *log = NULL;
    lc_err err = {0};
    assert_int_equal(lc_log_open(path, &log, &err), LC_OK);
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "content", "echo sk-openai-abcdefgh12345 twice sk-openai-abcdefgh12345");
    assert_int_equal(lc_log_write(log, "model_reply", 1, f, &err), LC_OK);
    lc_log_close(log);
    unsetenv("OPENAI_API_KEY");
    char *text = slurp(path);
    assert_null(strstr(text, "sk-openai-abcdefgh12345"));
    assert_non_null(strstr(text, "echo [redacted] twice [redacted]"));
    free(text);
    unlink(path);
    free(path);
}

static void test_invalid_utf8_becomes_replacement_char(void **state)
{
    (void)state;
    char *path = tmp_log();
    lc_log *log = NULL;
    lc_err err = {0};
    assert_int_equal(lc_log_open(path, &log, &err), LC_OK);
    cJSON *f = cJSON_CreateObject();
    cJSON_AddStringToObject(f, "output", "bin \xff\xfe and cut \xc3");
    assert_int_equal(lc_log_write(log, "result", 1, f, &err), LC_OK);
    lc_log_close(log);
    char *text = slurp(path);
    assert_true(lc_utf8_valid(text, strlen(text)));
    free(text);
    cJSON *events = NULL;
    assert_int_equal(lc_log_read(path, &events, &err), LC_OK);
    assert_string_equal(lc_json_str(cJSON_GetArrayItem(events, 0), "output"),
                        "bin \xef\xbf\xbd\xef\xbf\xbd and cut \xef\xbf\xbd");
    cJSON_Delete(events);
    unlink(path);
    free(path);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}


/* A line cut by a crash is dropped when the log is opened again, and the
 * repair is said and recorded: the next event gets a line of its own. */
static void test_open_repairs_cut_last_line(void **state)
{
    (void)state;
    char *path = tmp_log();
    write_file(path, HDR "{\"v\":1,\"kind\":\"task\",\"step\":0,\"text\":\"a\"}\n{\"v\":1,\"kind\":\"st");
    lc_log *log = NULL;
    lc_err err = {0};
    assert_int_equal(lc_log_open(path, &log, &err), LC_OK);
    assert_non_null(lc_log_repaired(log));
    assert_non_null(strstr(lc_log_repaired(log), "its 17 bytes were dropped"));
    assert_int_equal(lc_log_write(log, "step", 1, NULL, &err), LC_OK);
    lc_log_close(log);
    char *text = slurp(path);
    assert_non_null(strstr(text, "\"kind\":\"log_repaired\""));
    assert_non_null(strstr(text, "\"fragment\":\"{\\\"v\\\":1,\\\"kind\\\":\\\"st\""));
    free(text);
    cJSON *events = NULL;
    lc_log_info info;
    assert_int_equal(lc_log_scan(path, 0, NULL, NULL, &info, &err), LC_OK);
    assert_false(info.cut);
    assert_int_equal(info.events, 4); /* header, task, log_repaired, step */
    assert_true(info.header);
    /* A whole log is left as it is. */
    assert_int_equal(lc_log_open(path, &log, &err), LC_OK);
    assert_null(lc_log_repaired(log));
    lc_log_close(log);
    assert_int_equal(lc_log_read(path, &events, &err), LC_OK);
    assert_int_equal(cJSON_GetArraySize(events), 4);
    cJSON_Delete(events);
    unlink(path);
    free(path);
}

/* An older litecode appended the next event to a cut line: the event is
 * still read, and the scan says a fragment was skipped. */
static void test_event_joined_to_cut_line_is_read(void **state)
{
    (void)state;
    char *path = tmp_log();
    write_file(path, HDR "{\"v\":1,\"kind\":\"result\",\"step\":3,\"output\":\"{\\\"v\\\":\"{\"v\":1,\"kind\":\"resumed\","
                         "\"step\":3,\"from\":\"x\"}\n{\"v\":1,\"kind\":\"step\",\"step\":4}\n");
    cJSON *events = NULL;
    lc_err err = {0};
    assert_int_equal(lc_log_read(path, &events, &err), LC_OK);
    assert_int_equal(cJSON_GetArraySize(events), 3);
    assert_string_equal(lc_json_str(cJSON_GetArrayItem(events, 1), "kind"), "resumed");
    cJSON_Delete(events);
    lc_log_info info;
    assert_int_equal(lc_log_scan(path, 0, NULL, NULL, &info, &err), LC_OK);
    assert_int_equal(info.joined, 1);
    lc_buf rep = LC_BUF_INIT;
    assert_int_equal(lc_report_render(path, &rep, &err), LC_OK);
    assert_non_null(strstr(lc_buf_cstr(&rep), "1 line held an event cut while it was written"));
    lc_buf_free(&rep);
    unlink(path);
    free(path);
}

/* A log of a newer format is neither read nor appended to. */
static void test_newer_format_refused(void **state)
{
    (void)state;
    char *path = tmp_log();
    const char *text = "{\"v\":1,\"kind\":\"header\",\"step\":0,\"format\":2,\"dir\":\"/p\"}\n";
    write_file(path, text);
    lc_log *log = NULL;
    lc_err err = {0};
    assert_int_equal(lc_log_open(path, &log, &err), LC_EINVAL);
    assert_null(log);
    assert_non_null(strstr(err.msg, "was written by a newer litecode (log format 2; this one knows format 1)"));
    cJSON *events = NULL;
    assert_int_equal(lc_log_read(path, &events, &err), LC_EINVAL);
    write_file(path, HDR "{\"v\":3,\"kind\":\"step\",\"step\":1}\n");
    assert_int_equal(lc_log_read(path, &events, &err), LC_EINVAL);
    assert_non_null(strstr(err.msg, "log format 3"));
    char *after = slurp(path);
    assert_string_equal(after, HDR "{\"v\":3,\"kind\":\"step\",\"step\":1}\n");
    free(after);
    unlink(path);
    free(path);
}

/* --report wants a session log: an empty file or one without its header
 * is an error, as it is for --resume. */
static void test_report_needs_a_header(void **state)
{
    (void)state;
    char *path = tmp_log();
    write_file(path, "");
    lc_buf rep = LC_BUF_INIT;
    lc_err err = {0};
    assert_int_equal(lc_report_render(path, &rep, &err), LC_EINVAL);
    assert_non_null(strstr(err.msg, "is empty: no session was recorded in it"));
    write_file(path, "{\"v\":1,\"kind\":\"step\",\"step\":1}\n");
    assert_int_equal(lc_report_render(path, &rep, &err), LC_EINVAL);
    assert_non_null(strstr(err.msg, "has no header line"));
    lc_buf_free(&rep);
    unlink(path);
    free(path);
}

/* The log grows past 256 MiB: a warning, once. (A sparse file: nothing
 * is written but the last line.) */
static void test_size_warning_once(void **state)
{
    (void)state;
    char *path = tmp_log();
    write_file(path, HDR);
    assert_int_equal(truncate(path, ((off_t)256 << 20) - 100), 0);
    FILE *f = fopen(path, "r+");
    fseek(f, -1, SEEK_END);
    fputc('\n', f);
    fclose(f);
    lc_log *log = NULL;
    lc_err err = {0};
    assert_int_equal(lc_log_open(path, &log, &err), LC_OK);
    assert_int_equal(lc_log_write(log, "step", 1, NULL, &err), LC_OK);
    assert_null(lc_log_take_warning(log)); /* not yet */
    cJSON *f2 = cJSON_CreateObject();
    cJSON_AddStringToObject(f2, "text", "a line long enough to cross the mark, a line long enough to cross it");
    assert_int_equal(lc_log_write(log, "info", 1, f2, &err), LC_OK);
    char *w = lc_log_take_warning(log);
    assert_non_null(w);
    assert_non_null(strstr(w, "is 256"));
    free(w);
    assert_int_equal(lc_log_write(log, "step", 2, NULL, &err), LC_OK);
    assert_null(lc_log_take_warning(log));
    lc_log_close(log);
    unlink(path);
    free(path);
}

/* A log that cannot be written (here: the file size limit) stops the agent
 * before the next step: nothing runs unrecorded. */
static void test_failed_log_write_stops_the_agent(void **state)
{
    (void)state;
    lc_config cfg;
    setup_cfg(&cfg);
    char *path = tmp_log();
    lc_log *log = NULL;
    lc_err err = {0};
    assert_int_equal(lc_log_open(path, &log, &err), LC_OK);
    assert_int_equal(lc_log_header(log, &cfg, "/p", "fake", &err), LC_OK);
    lc_llm *llm = fake_llm_new();
    lc_executor *ex = fake_executor_new();
    cfg.agent.max_steps = 20;
    for (int i = 0; i < 20; i++)
        fake_llm_reply(llm, "```python\nprint('x' * 10)\n```");
    lc_agent *a = NULL;
    lc_fanout fan8; /* the log first, then the front end */
    lc_observer fo8 = lc_fanout_init(&fan8, log, NULL);
    assert_int_equal(lc_agent_new(&cfg, llm, ex, &fo8, NULL, log, &a, &err), LC_OK);
    struct rlimit old;
    getrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, SIG_IGN);
    struct stat st;
    stat(path, &st);
    struct rlimit lim = {(rlim_t)st.st_size + 9000, old.rlim_max}; /* room for a few steps */
    setrlimit(RLIMIT_FSIZE, &lim);
    lc_agent_outcome out;
    int rc = lc_agent_run(a, "fill it", &out, NULL, &err);
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, SIG_DFL);
    assert_int_equal(rc, LC_EIO);
    assert_int_equal(out, LC_AGENT_FAILED);
    assert_non_null(strstr(err.msg, "nothing may run without a record in the session log"));
    assert_true(fake_llm_nrequests(llm) >= 2 && fake_llm_nrequests(llm) < 20); /* stopped in the middle */
    /* Steps that ran each have their result on record. */
    lc_log_close(log);
    cJSON *events = NULL;
    assert_int_equal(lc_log_read(path, &events, &err), LC_OK);
    int results = 0;
    const cJSON *ev;
    cJSON_ArrayForEach(ev, events) results += !strcmp(lc_json_str(ev, "kind"), "result");
    assert_true((size_t)results + 1 >= fake_executor_ran(ex)->n);
    assert_true(fake_executor_ran(ex)->n <= fake_llm_nrequests(llm));
    cJSON_Delete(events);
    lc_agent_free(a);
    lc_llm_destroy(llm);
    lc_executor_destroy(ex);
    unlink(path);
    free(path);
}

/* A session that ended with final_answer, resumed with a new task: the
 * model is told its answer, not that the step "ran without output". */
static void test_resume_after_final_answer(void **state)
{
    (void)state;
    lc_config cfg;
    setup_cfg(&cfg);
    char *path = tmp_log();
    lc_log *log = NULL;
    lc_err err = {0};
    assert_int_equal(lc_log_open(path, &log, &err), LC_OK);
    lc_llm *llm = fake_llm_new();
    lc_executor *ex = fake_executor_new();
    fake_llm_reply(llm, "```python\nfinal_answer(\"forty-two\")\n```");
    lc_agent *a = NULL;
    lc_fanout fan9; /* the log first, then the front end */
    lc_observer fo9 = lc_fanout_init(&fan9, log, NULL);
    assert_int_equal(lc_agent_new(&cfg, llm, ex, &fo9, NULL, log, &a, &err), LC_OK);
    lc_agent_outcome out;
    assert_int_equal(lc_agent_run(a, "the answer?", &out, NULL, &err), LC_OK);
    assert_int_equal(out, LC_AGENT_ANSWERED);
    lc_agent_free(a);
    lc_llm_destroy(llm);
    lc_executor_destroy(ex);

    llm = fake_llm_new();
    ex = fake_executor_new();
    fake_llm_reply(llm, "```python\nfinal_answer(\"43\")\n```");
    lc_fanout fan10; /* the log first, then the front end */
    lc_observer fo10 = lc_fanout_init(&fan10, log, NULL);
    assert_int_equal(lc_agent_new(&cfg, llm, ex, &fo10, NULL, log, &a, &err), LC_OK);
    assert_int_equal(lc_agent_resume(a, path, &err), LC_OK);
    assert_int_equal(lc_agent_run(a, "and plus one?", &out, NULL, &err), LC_OK);
    const char *dump = fake_llm_request_dump(llm, 0);
    assert_null(strstr(dump, "ran without output"));
    assert_non_null(strstr(dump, "You called final_answer, and the run ended with this answer:\nforty-two"));
    assert_non_null(strstr(dump, "The session ended and is now resumed"));
    assert_non_null(strstr(dump, "New task:\nand plus one?"));
    assert_int_equal(lc_agent_steps(a), 2);
    lc_agent_free(a);
    lc_llm_destroy(llm);
    lc_executor_destroy(ex);
    lc_log_close(log);
    unlink(path);
    free(path);
}

/* A step approved and cut (the log ends after its decision): the model is
 * told "ran, result unknown", so is the reader of the report; a step begun
 * but cut before its request is done again under its own number, and the
 * message the user typed for it reaches the model. */
static void test_resume_step_cut_after_approval(void **state)
{
    (void)state;
    lc_config cfg;
    setup_cfg(&cfg);
    char *path = tmp_log();
    lc_log *log = NULL;
    lc_err err = {0};
    assert_int_equal(lc_log_open(path, &log, &err), LC_OK);
    assert_int_equal(lc_log_header(log, &cfg, "/p", "fake", &err), LC_OK);
    lc_llm *llm = fake_llm_new();
    lc_executor *ex = fake_executor_new();
    fake_llm_reply(llm, "```python\nrisky()\n```");
    fake_llm_reply(llm, "```python\nfinal_answer(\"x\")\n```");
    lc_agent *a = NULL;
    lc_fanout fan11; /* the log first, then the front end */
    lc_observer fo11 = lc_fanout_init(&fan11, log, NULL);
    assert_int_equal(lc_agent_new(&cfg, llm, ex, &fo11, NULL, log, &a, &err), LC_OK);
    lc_agent_outcome out;
    assert_int_equal(lc_agent_run(a, "do it", &out, NULL, &err), LC_OK);
    lc_agent_free(a);
    lc_llm_destroy(llm);
    lc_executor_destroy(ex);
    lc_log_close(log);
    /* Keep the log up to step 1's decision, then a step 2 begun. */
    char *text = slurp(path);
    char *cut = strstr(text, "\"kind\":\"decision\"");
    assert_non_null(cut);
    cut = strchr(cut, '\n') + 1;
    *cut = '\0';
    lc_buf b = LC_BUF_INIT;
    lc_buf_printf(&b, "%s{\"v\":1,\"kind\":\"step\",\"step\":2}\n"
                      "{\"v\":1,\"kind\":\"user_message\",\"step\":2,\"text\":\"use tabs\"}\n",
                  text);
    write_file(path, lc_buf_cstr(&b));
    lc_buf_free(&b);
    free(text);
    lc_buf rep = LC_BUF_INIT;
    assert_int_equal(lc_report_render(path, &rep, &err), LC_OK);
    assert_non_null(strstr(lc_buf_cstr(&rep), "**Decision: approved** (auto-approved)\n\n**Result: ran, result unknown**"));
    assert_non_null(strstr(lc_buf_cstr(&rep), "without an end record"));
    lc_buf_free(&rep);

    assert_int_equal(lc_log_open(path, &log, &err), LC_OK);
    llm = fake_llm_new();
    ex = fake_executor_new();
    fake_llm_reply(llm, "```python\nfinal_answer(\"checked\")\n```");
    lc_fanout fan12; /* the log first, then the front end */
    lc_observer fo12 = lc_fanout_init(&fan12, log, NULL);
    assert_int_equal(lc_agent_new(&cfg, llm, ex, &fo12, NULL, log, &a, &err), LC_OK);
    assert_int_equal(lc_agent_resume(a, path, &err), LC_OK);
    assert_int_equal(lc_agent_steps(a), 1);
    assert_int_equal(lc_agent_run(a, NULL, &out, NULL, &err), LC_OK);
    assert_int_equal(lc_agent_steps(a), 2); /* step 2 again, no gap */
    const char *dump = fake_llm_request_dump(llm, 0);
    assert_non_null(strstr(dump, "assistant: ```python\nrisky()\n```\nuser: Observation:\nThis step was approved "
                                 "and started, but the session ended before its result was recorded"));
    assert_non_null(strstr(dump, "it ran, result unknown"));
    /* Typed at step 2, never sent before the cut: sent now, once. */
    const char *msg = strstr(dump, "user: Message from the user (take it into account from now on):\nuse tabs");
    assert_non_null(msg);
    assert_null(strstr(strstr(msg, "use tabs") + 1, "use tabs"));
    lc_agent_free(a);
    lc_llm_destroy(llm);
    lc_executor_destroy(ex);
    lc_log_close(log);
    unlink(path);
    free(path);
}

static bool flag_auto(void *ctx) { return *(bool *)ctx; }

static lc_decision approve_then_auto(void *ctx, const lc_action *act)
{
    bool *on = ctx;
    (void)act;
    bool was = *on;
    *on = true; /* like the TUI's approve-all key: this one by the user, the rest auto */
    return (lc_decision){.kind = LC_DECIDE_RUN, .automatic = was};
}

/* The approval mode in force is logged when the run starts and when it
 * changes, and each automatic decision says so. */
static void test_approval_mode_recorded(void **state)
{
    (void)state;
    lc_config cfg;
    setup_cfg(&cfg);
    cfg.security.auto_approve = true; /* what the config asked: not recorded as a fact */
    char *path = tmp_log();
    lc_log *log = NULL;
    lc_err err = {0};
    assert_int_equal(lc_log_open(path, &log, &err), LC_OK);
    assert_int_equal(lc_log_header(log, &cfg, "/p", "fake", &err), LC_OK);
    lc_llm *llm = fake_llm_new();
    lc_executor *ex = fake_executor_new();
    fake_llm_reply(llm, "```python\nprint(1)\n```");
    fake_llm_reply(llm, "```python\nfinal_answer(\"x\")\n```");
    bool on = false;
    lc_observer obs = {&on, NULL, approve_then_auto, NULL, flag_auto};
    lc_agent *a = NULL;
    lc_fanout fan13; /* the log first, then the front end */
    lc_observer fo13 = lc_fanout_init(&fan13, log, &obs);
    assert_int_equal(lc_agent_new(&cfg, llm, ex, &fo13, NULL, log, &a, &err), LC_OK);
    lc_agent_outcome out;
    assert_int_equal(lc_agent_run(a, "t", &out, NULL, &err), LC_OK);
    lc_agent_free(a);
    lc_log_close(log);
    cJSON *events = NULL;
    assert_int_equal(lc_log_read(path, &events, &err), LC_OK);
    assert_false(lc_json_bool(find_kind(events, "header", 0), "auto_approve", false));
    assert_string_equal(lc_json_str(find_kind(events, "approval", 0), "mode"), "ask");
    assert_string_equal(lc_json_str(find_kind(events, "approval", 1), "mode"), "auto");
    assert_true(lc_json_bool(find_kind(events, "approval", 1), "changed", false));
    assert_false(lc_json_bool(find_kind(events, "decision", 0), "auto", false));
    assert_true(lc_json_bool(find_kind(events, "decision", 1), "auto", false));
    cJSON_Delete(events);
    lc_buf rep = LC_BUF_INIT;
    assert_int_equal(lc_report_render(path, &rep, &err), LC_OK);
    const char *r = lc_buf_cstr(&rep);
    assert_non_null(strstr(r, "- Approval: the user was asked at the start, changed 1 time during the session"));
    assert_non_null(strstr(r, "- Of the approved and edited steps, 1 ran without asking anyone"));
    assert_non_null(strstr(r, "*Auto-approve is on: the steps below ran without asking*"));
    lc_buf_free(&rep);
    /* An older log recorded only the option: the report does not make it a fact. */
    write_file(path, "{\"v\":1,\"kind\":\"header\",\"step\":0,\"format\":1,\"auto_approve\":true}\n");
    assert_int_equal(lc_report_render(path, &rep, &err), LC_OK);
    assert_non_null(strstr(lc_buf_cstr(&rep), "auto-approve was requested (--yes); this log is older"));
    lc_buf_free(&rep);
    lc_llm_destroy(llm);
    lc_executor_destroy(ex);
    unlink(path);
    free(path);
}

/* One step that answers, logged to path; with a file size limit when
 * limit > 0. Returns lc_agent_run's status. */
static int answer_once(const char *path, off_t limit, lc_agent_outcome *out)
{
    lc_config cfg;
    setup_cfg(&cfg);
    lc_log *log = NULL;
    lc_err err = {0};
    unlink(path);
    assert_int_equal(lc_log_open(path, &log, &err), LC_OK);
    lc_llm *llm = fake_llm_new();
    lc_executor *ex = fake_executor_new();
    fake_llm_reply(llm, "```python\nfinal_answer(\"done\")\n```");
    lc_agent *a = NULL;
    lc_fanout fan14; /* the log first, then the front end */
    lc_observer fo14 = lc_fanout_init(&fan14, log, NULL);
    assert_int_equal(lc_agent_new(&cfg, llm, ex, &fo14, NULL, log, &a, &err), LC_OK);
    struct rlimit old;
    getrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit lim = {(rlim_t)limit, old.rlim_max};
    if (limit > 0)
        setrlimit(RLIMIT_FSIZE, &lim);
    int rc = lc_agent_run(a, "answer", out, NULL, &err);
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, SIG_DFL);
    lc_agent_free(a);
    lc_llm_destroy(llm);
    lc_executor_destroy(ex);
    lc_log_close(log);
    return rc;
}

/* The last step answered, but its final_answer could not be recorded: the
 * run failed, whatever else it did. */
static void test_unrecorded_answer_fails_the_run(void **state)
{
    (void)state;
    char *path = tmp_log();
    lc_agent_outcome out;
    assert_int_equal(answer_once(path, 0, &out), LC_OK);
    assert_int_equal(out, LC_AGENT_ANSWERED);
    char *text = slurp(path);
    const char *at = strstr(text, "\"kind\":\"final_answer\"");
    assert_non_null(at);
    while (at > text && at[-1] != '\n')
        at--;
    off_t before_final = (off_t)(at - text);
    free(text);
    /* The same run again, with room for everything before that line. */
    assert_int_equal(answer_once(path, before_final + 10, &out), LC_EIO);
    assert_int_equal(out, LC_AGENT_FAILED);
    text = slurp(path);
    assert_null(strstr(text, "\"kind\":\"final_answer\""));
    assert_non_null(strstr(text, "\"kind\":\"result\""));
    free(text);
    unlink(path);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_session_round_trip_and_no_keys),
        cmocka_unit_test(test_cut_last_line_tolerated_bad_line_named),
        cmocka_unit_test(test_known_key_variables_redacted_without_header),
        cmocka_unit_test(test_invalid_utf8_becomes_replacement_char),
        cmocka_unit_test(test_report_escapes_hostile_text),
        cmocka_unit_test(test_resume_rebuilds_history),
        cmocka_unit_test(test_resume_tool_calling_with_plan),
        cmocka_unit_test(test_resume_several_calls),
        cmocka_unit_test(test_open_repairs_cut_last_line),
        cmocka_unit_test(test_event_joined_to_cut_line_is_read),
        cmocka_unit_test(test_newer_format_refused),
        cmocka_unit_test(test_report_needs_a_header),
        cmocka_unit_test(test_size_warning_once),
        cmocka_unit_test(test_failed_log_write_stops_the_agent),
        cmocka_unit_test(test_resume_after_final_answer),
        cmocka_unit_test(test_resume_step_cut_after_approval),
        cmocka_unit_test(test_approval_mode_recorded),
        cmocka_unit_test(test_unrecorded_answer_fails_the_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
