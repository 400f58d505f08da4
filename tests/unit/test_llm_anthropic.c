/* Anthropic Messages provider against the mock server. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agent/agent.h"
#include "mock_server.h"

#define KEY "sk-ant-test-SECRET-987654321"

static void on_text(void *ctx, const char *d, size_t n)
{
    lc_buf_append(ctx, d, n);
}

static lc_llm *llm_for(mock_server *m)
{
    setenv("LC_TEST_ANTHROPIC_KEY", KEY, 1);
    lc_model_config cfg = {0};
    cfg.name = (char *)"anthropic/claude-test";
    cfg.base_url = (char *)mock_server_url(m);
    cfg.api_key_env = (char *)"LC_TEST_ANTHROPIC_KEY";
    cfg.temperature = 0.5;
    cfg.stall_s = 10;
    cfg.max_retries = 1;
    lc_llm *llm = NULL;
    lc_err err = {0};
    if (lc_llm_new(&cfg, &llm, &err) != LC_OK)
        fail_msg("lc_llm_new: %s", err.msg);
    return llm;
}

static int run(const char *fixture, const lc_llm_request *req, lc_buf *streamed,
               lc_llm_reply *r, lc_err *err, char **head, char **body)
{
    mock_server *m = NULL;
    assert_int_equal(mock_server_start(fixture, &m), 0);
    lc_llm *llm = llm_for(m);
    lc_msg msg = {LC_ROLE_USER, (char *)"hi", NULL, 0, NULL};
    lc_llm_request dflt = {&msg, 1, NULL, 0};
    lc_llm_stream st = {streamed, on_text, NULL, NULL};
    int rc = lc_llm_chat(llm, req ? req : &dflt, &st, r, err);
    if (head)
        *head = mock_server_request_head(m, 0);
    if (body)
        *body = mock_server_request_body(m, 0);
    lc_llm_destroy(llm);
    mock_server_stop(m);
    assert_null(strstr(err->msg, KEY));
    return rc;
}

static void test_tool_use_stream(void **state)
{
    (void)state;
    lc_tool_call call = {(char *)"toolu_00", (char *)"search_files", (char *)"{\"pattern\":\"*.c\"}"};
    lc_msg msgs[] = {
        {LC_ROLE_SYSTEM, (char *)"You are careful.", NULL, 0, NULL},
        {LC_ROLE_SYSTEM, (char *)"Profile: digger.", NULL, 0, NULL},
        {LC_ROLE_USER, (char *)"Find main.", NULL, 0, NULL},
        {LC_ROLE_ASSISTANT, (char *)"Searching.", &call, 1, NULL},
        {LC_ROLE_TOOL, (char *)"src/main.c", NULL, 0, (char *)"toolu_00"},
        {LC_ROLE_USER, (char *)"Now grep it.", NULL, 0, NULL},
        {LC_ROLE_ASSISTANT, (char *)"", NULL, 0, NULL},
    };
    lc_tool_schema tools[] = {{"grep_code", "Search code", "{\"type\":\"object\"}"}};
    lc_llm_request req = {msgs, 7, tools, 1};
    lc_buf streamed = LC_BUF_INIT;
    lc_llm_reply r;
    lc_err err = {0};
    char *head = NULL, *body = NULL;
    assert_int_equal(run("anthropic_tool_use.txt", &req, &streamed, &r, &err, &head, &body),
                     LC_OK);

    assert_string_equal(r.content, "Let me look at the files.");
    assert_string_equal(lc_buf_cstr(&streamed), "Let me look at the files.");
    assert_int_equal(r.ncalls, 1);
    assert_string_equal(r.calls[0].id, "toolu_01T1x1");
    assert_string_equal(r.calls[0].name, "grep_code");
    assert_string_equal(r.calls[0].arguments, "{\"pattern\": \"def main\"}");
    assert_string_equal(r.finish_reason, "tool_calls"); /* tool_use, in the agent's words */
    assert_int_equal(r.prompt_tokens, 472);
    assert_int_equal(r.completion_tokens, 89);

    assert_non_null(strstr(head, "POST /v1/messages HTTP/1.1\r\n"));
    assert_non_null(strstr(head, "x-api-key: " KEY "\r\n"));
    assert_non_null(strstr(head, "anthropic-version: 2023-06-01\r\n"));
    assert_null(strcasestr(head, "Authorization:"));

    cJSON *j = cJSON_Parse(body);
    assert_non_null(j);
    assert_string_equal(lc_json_str(j, "model"), "claude-test");
    assert_string_equal(lc_json_str(j, "system"), "You are careful.\n\nProfile: digger.");
    assert_int_equal((int)lc_json_num(j, "max_tokens", 0), 4096);
    assert_true(lc_json_bool(j, "stream", false));
    cJSON *ms = cJSON_GetObjectItem(j, "messages");
    /* user, assistant, user (result + text), and an empty assistant turn
     * that still carries a block (the API refuses empty ones) */
    assert_int_equal(cJSON_GetArraySize(ms), 4);
    cJSON *last = cJSON_GetArrayItem(ms, 3);
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(last, "content")), 1);
    cJSON *asst = cJSON_GetArrayItem(ms, 1);
    assert_string_equal(lc_json_str(asst, "role"), "assistant");
    cJSON *use = cJSON_GetArrayItem(cJSON_GetObjectItem(asst, "content"), 1);
    assert_string_equal(lc_json_str(use, "type"), "tool_use");
    assert_string_equal(lc_json_str(use, "id"), "toolu_00");
    assert_string_equal(lc_json_str(cJSON_GetObjectItem(use, "input"), "pattern"), "*.c");
    cJSON *user2 = cJSON_GetArrayItem(ms, 2);
    assert_string_equal(lc_json_str(user2, "role"), "user");
    cJSON *res = cJSON_GetArrayItem(cJSON_GetObjectItem(user2, "content"), 0);
    assert_string_equal(lc_json_str(res, "type"), "tool_result");
    assert_string_equal(lc_json_str(res, "tool_use_id"), "toolu_00");
    assert_string_equal(lc_json_str(res, "content"), "src/main.c");
    cJSON *text = cJSON_GetArrayItem(cJSON_GetObjectItem(user2, "content"), 1);
    assert_string_equal(lc_json_str(text, "text"), "Now grep it.");
    cJSON *tool = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "tools"), 0);
    assert_string_equal(lc_json_str(tool, "name"), "grep_code");
    assert_true(cJSON_IsObject(cJSON_GetObjectItem(tool, "input_schema")));
    cJSON_Delete(j);

    free(head);
    free(body);
    lc_buf_free(&streamed);
    lc_llm_reply_free(&r);
}

static void test_error_event(void **state)
{
    (void)state;
    lc_buf streamed = LC_BUF_INIT;
    lc_llm_reply r;
    lc_err err = {0};
    assert_int_equal(run("anthropic_error.txt", NULL, &streamed, &r, &err, NULL, NULL),
                     LC_ESERVER);
    assert_non_null(strstr(err.msg, "Overloaded"));
    assert_string_equal(lc_buf_cstr(&streamed), "Hel");
    lc_buf_free(&streamed);
}

static void test_cut_stream(void **state)
{
    (void)state;
    lc_buf streamed = LC_BUF_INIT;
    lc_llm_reply r;
    lc_err err = {0};
    assert_int_equal(run("anthropic_cut.txt", NULL, &streamed, &r, &err, NULL, NULL), LC_EPROTO);
    assert_non_null(strstr(err.msg, "stream was cut"));
    lc_buf_free(&streamed);
}

static void test_wrong_key(void **state)
{
    (void)state;
    lc_buf streamed = LC_BUF_INIT;
    lc_llm_reply r;
    lc_err err = {0};
    assert_int_equal(run("anthropic_401.txt", NULL, &streamed, &r, &err, NULL, NULL), LC_EAUTH);
    assert_non_null(strstr(err.msg, "$LC_TEST_ANTHROPIC_KEY"));
    lc_buf_free(&streamed);
}

static void test_plain_json_answer(void **state)
{
    (void)state;
    lc_buf streamed = LC_BUF_INIT;
    lc_llm_reply r;
    lc_err err = {0};
    assert_int_equal(run("anthropic_json_body.txt", NULL, &streamed, &r, &err, NULL, NULL), LC_OK);
    assert_string_equal(r.content, "Done.");
    assert_int_equal(r.ncalls, 1);
    assert_string_equal(r.calls[0].id, "toolu_9");
    assert_string_equal(r.calls[0].name, "final_answer");
    assert_string_equal(r.calls[0].arguments, "{\"answer\":\"42\"}");
    assert_string_equal(r.finish_reason, "tool_calls");
    assert_int_equal(r.completion_tokens, 12);
    lc_buf_free(&streamed);
    lc_llm_reply_free(&r);
}

/* A stream that ends after message_delta's stop reason, without
 * message_stop, is the whole answer (as a stream without [DONE] is). */
static void test_stop_reason_without_message_stop_is_complete(void **state)
{
    (void)state;
    lc_buf streamed = LC_BUF_INIT;
    lc_llm_reply r;
    lc_err err = {0};
    assert_int_equal(run("anthropic_no_message_stop.txt", NULL, &streamed, &r, &err, NULL, NULL), LC_OK);
    assert_string_equal(r.content, "Hello there");
    assert_string_equal(r.finish_reason, "length"); /* max_tokens, in the agent's words */
    assert_int_equal(r.completion_tokens, 7);
    lc_llm_reply_free(&r);
    lc_buf_free(&streamed);
}

int main(void)
{
    /* The mock server is local: a proxy from the environment must not
     * stand in between. */
    setenv("NO_PROXY", "127.0.0.1,localhost", 1);
    setenv("no_proxy", "127.0.0.1,localhost", 1);
    lc_err err = {0};
    if (lc_llm_global_init(&err) != LC_OK)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tool_use_stream),
        cmocka_unit_test(test_error_event),
        cmocka_unit_test(test_cut_stream),
        cmocka_unit_test(test_stop_reason_without_message_stop_is_complete),
        cmocka_unit_test(test_wrong_key),
        cmocka_unit_test(test_plain_json_answer),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    lc_llm_global_cleanup();
    return rc;
}
