/* OpenAI-compatible provider against the mock server: what the user would
 * see streamed, the reply the agent gets, and what went over the wire. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agent/agent.h"
#include "mock_server.h"

#define KEY "sk-test-SECRET-0123456789"

typedef struct capture {
    lc_buf text, reasoning;
    int ntext;
} capture;

static void on_text(void *ctx, const char *d, size_t n)
{
    capture *c = ctx;
    lc_buf_append(&c->text, d, n);
    c->ntext++;
}

static void on_reasoning(void *ctx, const char *d, size_t n)
{
    capture *c = ctx;
    lc_buf_append(&c->reasoning, d, n);
}

static void capture_free(capture *c)
{
    lc_buf_free(&c->text);
    lc_buf_free(&c->reasoning);
}

/* An lc_llm made through lc_llm_new, as the app makes it. */
static lc_llm *llm_named(mock_server *m, const char *name)
{
    setenv("LC_TEST_KEY", KEY, 1);
    char *base = lc_xasprintf("%s/v1", mock_server_url(m));
    lc_model_config cfg = {0};
    cfg.name = (char *)name;
    cfg.base_url = base;
    cfg.api_key_env = lc_str_starts_with(name, "ollama/") ? NULL : (char *)"LC_TEST_KEY";
    cfg.temperature = 0.2;
    cfg.max_tokens = 256;
    cfg.timeout_s = 30;
    cfg.stall_s = 10;
    cfg.max_retries = 2;
    lc_llm *llm = NULL;
    lc_err err = {0};
    int rc = lc_llm_new(&cfg, &llm, &err);
    free(base);
    if (rc != LC_OK)
        fail_msg("lc_llm_new: %s", err.msg);
    return llm;
}

static int chat(lc_llm *llm, const lc_llm_request *req, capture *cap, lc_llm_reply *reply,
                lc_err *err)
{
    static const lc_msg msgs[] = {
        {LC_ROLE_SYSTEM, (char *)"You write Python.", NULL, 0, NULL},
        {LC_ROLE_USER, (char *)"Say hello.", NULL, 0, NULL},
    };
    lc_llm_request dflt = {msgs, 2, NULL, 0};
    lc_llm_stream st = {cap, on_text, on_reasoning, NULL};
    return lc_llm_chat(llm, req ? req : &dflt, &st, reply, err);
}

static mock_server *start(const char *fixture)
{
    mock_server *m = NULL;
    assert_int_equal(mock_server_start(fixture, &m), 0);
    return m;
}

static void test_text_stream(void **state)
{
    (void)state;
    mock_server *m = start("openai_text.txt");
    lc_llm *llm = llm_named(m, "openai/gpt-test");
    capture cap = {0};
    lc_llm_reply r;
    lc_err err = {0};
    assert_int_equal(chat(llm, NULL, &cap, &r, &err), LC_OK);
    assert_string_equal(r.content, "Hello, world!");
    assert_string_equal(lc_buf_cstr(&cap.text), "Hello, world!");
    assert_int_equal(cap.ntext, 3); /* streamed as it came, empty deltas skipped */
    assert_null(r.reasoning);
    assert_int_equal(r.ncalls, 0);
    assert_string_equal(r.finish_reason, "stop");
    assert_int_equal(r.prompt_tokens, 12);
    assert_int_equal(r.completion_tokens, 3);

    char *head = mock_server_request_head(m, 0);
    char *body = mock_server_request_body(m, 0);
    assert_non_null(strstr(head, "POST /v1/chat/completions HTTP/1.1\r\n"));
    assert_non_null(strstr(head, "Authorization: Bearer " KEY "\r\n"));
    cJSON *j = cJSON_Parse(body);
    assert_non_null(j);
    assert_string_equal(lc_json_str(j, "model"), "gpt-test"); /* provider prefix removed */
    assert_true(lc_json_bool(j, "stream", false));
    assert_true(lc_json_bool(cJSON_GetObjectItem(j, "stream_options"), "include_usage", false));
    assert_int_equal((int)lc_json_num(j, "max_tokens", 0), 256);
    cJSON *msgs = cJSON_GetObjectItem(j, "messages");
    assert_int_equal(cJSON_GetArraySize(msgs), 2);
    assert_string_equal(lc_json_str(cJSON_GetArrayItem(msgs, 0), "role"), "system");
    assert_string_equal(lc_json_str(cJSON_GetArrayItem(msgs, 1), "content"), "Say hello.");
    cJSON_Delete(j);
    free(head);
    free(body);
    lc_llm_reply_free(&r);
    capture_free(&cap);
    lc_llm_destroy(llm);
    mock_server_stop(m);
}

static void test_tool_call_split_over_chunks(void **state)
{
    (void)state;
    mock_server *m = start("openai_tool_split.txt");
    lc_llm *llm = llm_named(m, "openai/gpt-test");
    capture cap = {0};
    lc_llm_reply r;
    lc_err err = {0};
    assert_int_equal(chat(llm, NULL, &cap, &r, &err), LC_OK);
    assert_int_equal(r.ncalls, 1);
    assert_string_equal(r.calls[0].id, "call_abc");
    assert_string_equal(r.calls[0].name, "search_files");
    assert_string_equal(r.calls[0].arguments, "{\"pattern\": \"*.py\"}");
    assert_string_equal(r.finish_reason, "tool_calls");
    assert_string_equal(r.content, "");
    lc_llm_reply_free(&r);
    capture_free(&cap);
    lc_llm_destroy(llm);
    mock_server_stop(m);
}

static void test_two_parallel_calls(void **state)
{
    (void)state;
    mock_server *m = start("openai_parallel.txt");
    lc_llm *llm = llm_named(m, "openai/gpt-test");
    capture cap = {0};
    lc_llm_reply r;
    lc_err err = {0};
    assert_int_equal(chat(llm, NULL, &cap, &r, &err), LC_OK);
    assert_int_equal(r.ncalls, 2);
    assert_string_equal(r.calls[0].id, "call_1");
    assert_string_equal(r.calls[0].name, "grep_code");
    assert_string_equal(r.calls[0].arguments, "{\"pattern\":\"TODO\"}");
    assert_string_equal(r.calls[1].id, "call_2");
    assert_string_equal(r.calls[1].name, "analyze_file");
    assert_string_equal(r.calls[1].arguments, "{\"path\":\"a.py\"}");
    lc_llm_reply_free(&r);
    capture_free(&cap);
    lc_llm_destroy(llm);
    mock_server_stop(m);
}

static void test_ollama_whole_calls_and_no_key(void **state)
{
    (void)state;
    mock_server *m = start("ollama_whole_call.txt");
    lc_llm *llm = llm_named(m, "ollama/llama3.1");
    capture cap = {0};
    lc_llm_reply r;
    lc_err err = {0};
    assert_int_equal(chat(llm, NULL, &cap, &r, &err), LC_OK);
    assert_int_equal(r.ncalls, 2);
    assert_string_equal(r.calls[0].id, "call_x1");
    assert_string_equal(r.calls[0].name, "run_tests");
    assert_string_equal(r.calls[0].arguments, "{\"path\":\"tests\"}");
    assert_string_equal(r.calls[1].id, "call_x2");
    assert_string_equal(r.calls[1].name, "preview_changes");
    assert_string_equal(r.calls[1].arguments, "{}");
    assert_int_equal(r.prompt_tokens, 0); /* the server sent no usage */
    char *head = mock_server_request_head(m, 0);
    char *body = mock_server_request_body(m, 0);
    assert_null(strcasestr(head, "Authorization:"));
    assert_non_null(strstr(body, "\"model\":\"llama3.1\""));
    free(head);
    free(body);
    lc_llm_reply_free(&r);
    capture_free(&cap);
    lc_llm_destroy(llm);
    mock_server_stop(m);
}

static void test_calls_without_index_or_id(void **state)
{
    (void)state;
    mock_server *m = start("bare_calls.txt");
    lc_llm *llm = llm_named(m, "local-model");
    capture cap = {0};
    lc_llm_reply r;
    lc_err err = {0};
    assert_int_equal(chat(llm, NULL, &cap, &r, &err), LC_OK);
    assert_int_equal(r.ncalls, 3);
    assert_string_equal(r.calls[0].name, "a");
    assert_string_equal(r.calls[0].arguments, "{}");
    assert_string_equal(r.calls[0].id, "call_0"); /* made up, so results can refer to it */
    assert_string_equal(r.calls[1].name, "b");
    assert_string_equal(r.calls[1].arguments, "{\"x\":1}");
    assert_string_equal(r.calls[2].name, "c");
    assert_string_equal(r.calls[2].arguments, "{\"y\":2}");
    lc_llm_reply_free(&r);
    capture_free(&cap);
    lc_llm_destroy(llm);
    mock_server_stop(m);
}

static void test_reasoning_kept_apart(void **state)
{
    (void)state;
    mock_server *m = start("llamacpp_reasoning.txt");
    /* Any name with a base_url is an OpenAI-compatible server. */
    lc_llm *llm = llm_named(m, "qwen3-8b");
    capture cap = {0};
    lc_llm_reply r;
    lc_err err = {0};
    assert_int_equal(chat(llm, NULL, &cap, &r, &err), LC_OK);
    assert_string_equal(r.reasoning, "The user wants a sum. Easy. Sure.");
    assert_string_equal(lc_buf_cstr(&cap.reasoning), "The user wants a sum. Easy. Sure.");
    assert_string_equal(r.content, "print(1 + 2)");
    assert_string_equal(lc_buf_cstr(&cap.text), "print(1 + 2)");
    assert_int_equal(r.completion_tokens, 7);
    char *body = mock_server_request_body(m, 0);
    assert_non_null(strstr(body, "\"model\":\"qwen3-8b\""));
    free(body);
    lc_llm_reply_free(&r);
    capture_free(&cap);
    lc_llm_destroy(llm);
    mock_server_stop(m);
}

static void test_request_with_tools_and_results(void **state)
{
    (void)state;
    mock_server *m = start("openai_text.txt");
    lc_llm *llm = llm_named(m, "openai/gpt-test");
    lc_tool_call call = {(char *)"call_9", (char *)"grep_code", (char *)"{\"pattern\":\"x\"}"};
    lc_msg msgs[] = {
        {LC_ROLE_SYSTEM, (char *)"sys", NULL, 0, NULL},
        {LC_ROLE_USER, (char *)"find x", NULL, 0, NULL},
        {LC_ROLE_ASSISTANT, NULL, &call, 1, NULL},
        {LC_ROLE_TOOL, (char *)"a.py:1: x = 1", NULL, 0, (char *)"call_9"},
    };
    lc_tool_schema tools[] = {{"grep_code", "Search code",
                               "{\"type\":\"object\",\"properties\":{\"pattern\":{\"type\":"
                               "\"string\"}},\"required\":[\"pattern\"]}"}};
    lc_llm_request req = {msgs, 4, tools, 1};
    capture cap = {0};
    lc_llm_reply r;
    lc_err err = {0};
    assert_int_equal(chat(llm, &req, &cap, &r, &err), LC_OK);
    char *body = mock_server_request_body(m, 0);
    cJSON *j = cJSON_Parse(body);
    assert_non_null(j);
    cJSON *fn = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "tools"), 0),
                                    "function");
    assert_string_equal(lc_json_str(fn, "name"), "grep_code");
    assert_true(cJSON_IsObject(cJSON_GetObjectItem(fn, "parameters")));
    cJSON *ms = cJSON_GetObjectItem(j, "messages");
    cJSON *asst = cJSON_GetArrayItem(ms, 2);
    assert_true(cJSON_IsNull(cJSON_GetObjectItem(asst, "content")));
    cJSON *tc = cJSON_GetArrayItem(cJSON_GetObjectItem(asst, "tool_calls"), 0);
    assert_string_equal(lc_json_str(tc, "id"), "call_9");
    assert_string_equal(lc_json_str(cJSON_GetObjectItem(tc, "function"), "arguments"),
                        "{\"pattern\":\"x\"}");
    cJSON *tool = cJSON_GetArrayItem(ms, 3);
    assert_string_equal(lc_json_str(tool, "role"), "tool");
    assert_string_equal(lc_json_str(tool, "tool_call_id"), "call_9");
    assert_string_equal(lc_json_str(tool, "content"), "a.py:1: x = 1");
    cJSON_Delete(j);
    free(body);
    lc_llm_reply_free(&r);
    capture_free(&cap);
    lc_llm_destroy(llm);
    mock_server_stop(m);
}

static void test_bad_tool_schema_sends_nothing(void **state)
{
    (void)state;
    mock_server *m = start("openai_text.txt");
    lc_llm *llm = llm_named(m, "openai/gpt-test");
    lc_msg msg = {LC_ROLE_USER, (char *)"hi", NULL, 0, NULL};
    lc_tool_schema tools[] = {{"broken", "x", "[1,2"}};
    lc_llm_request req = {&msg, 1, tools, 1};
    capture cap = {0};
    lc_llm_reply r;
    lc_err err = {0};
    assert_int_equal(chat(llm, &req, &cap, &r, &err), LC_EINVAL);
    assert_non_null(strstr(err.msg, "broken"));
    assert_int_equal(mock_server_nrequests(m), 0);
    assert_null(r.content);
    capture_free(&cap);
    lc_llm_destroy(llm);
    mock_server_stop(m);
}

static void test_stream_options_refused_then_remembered(void **state)
{
    (void)state;
    mock_server *m = start("openai_stream_options.txt");
    lc_llm *llm = llm_named(m, "openai/gpt-test");
    capture cap = {0};
    lc_llm_reply r;
    lc_err err = {0};
    assert_int_equal(chat(llm, NULL, &cap, &r, &err), LC_OK);
    assert_string_equal(r.content, "first");
    lc_llm_reply_free(&r);
    assert_int_equal(chat(llm, NULL, &cap, &r, &err), LC_OK);
    assert_string_equal(r.content, "second");
    lc_llm_reply_free(&r);
    assert_int_equal(mock_server_nrequests(m), 3);
    char *b0 = mock_server_request_body(m, 0);
    char *b1 = mock_server_request_body(m, 1);
    char *b2 = mock_server_request_body(m, 2);
    assert_non_null(strstr(b0, "stream_options"));
    assert_null(strstr(b1, "stream_options"));
    assert_null(strstr(b2, "stream_options"));
    free(b0);
    free(b1);
    free(b2);
    capture_free(&cap);
    lc_llm_destroy(llm);
    mock_server_stop(m);
}

static void test_reasoning_model_parameters(void **state)
{
    (void)state;
    mock_server *m = start("openai_reasoning_model_params.txt");
    lc_llm *llm = llm_named(m, "openai/o4-mini");
    capture cap = {0};
    lc_llm_reply r;
    lc_err err = {0};
    assert_int_equal(chat(llm, NULL, &cap, &r, &err), LC_OK);
    assert_string_equal(r.content, "first");
    lc_llm_reply_free(&r);
    assert_int_equal(chat(llm, NULL, &cap, &r, &err), LC_OK);
    assert_string_equal(r.content, "second");
    lc_llm_reply_free(&r);
    assert_int_equal(mock_server_nrequests(m), 4);
    char *b0 = mock_server_request_body(m, 0);
    char *b3 = mock_server_request_body(m, 3);
    assert_non_null(strstr(b0, "\"max_tokens\":256"));
    assert_non_null(strstr(b0, "\"temperature\""));
    assert_non_null(strstr(b3, "\"max_completion_tokens\":256"));
    assert_null(strstr(b3, "\"max_tokens\""));
    assert_null(strstr(b3, "\"temperature\""));
    assert_non_null(strstr(b3, "stream_options")); /* still accepted */
    free(b0);
    free(b3);
    capture_free(&cap);
    lc_llm_destroy(llm);
    mock_server_stop(m);
}

static void test_plain_json_answer(void **state)
{
    (void)state;
    mock_server *m = start("openai_json_body.txt");
    lc_llm *llm = llm_named(m, "openai/gpt-test");
    capture cap = {0};
    lc_llm_reply r;
    lc_err err = {0};
    assert_int_equal(chat(llm, NULL, &cap, &r, &err), LC_OK);
    assert_string_equal(r.content, "Running the tests.");
    assert_string_equal(lc_buf_cstr(&cap.text), "Running the tests.");
    assert_int_equal(r.ncalls, 1);
    assert_string_equal(r.calls[0].id, "call_j1");
    assert_string_equal(r.calls[0].name, "run_tests");
    assert_string_equal(r.calls[0].arguments, "{\"path\":\"tests\"}");
    assert_string_equal(r.finish_reason, "tool_calls");
    assert_int_equal(r.prompt_tokens, 20);
    lc_llm_reply_free(&r);
    capture_free(&cap);
    lc_llm_destroy(llm);
    mock_server_stop(m);
}

static void test_web_page_is_not_a_model(void **state)
{
    (void)state;
    mock_server *m = start("html_page.txt");
    lc_llm *llm = llm_named(m, "openai/gpt-test");
    capture cap = {0};
    lc_llm_reply r;
    lc_err err = {0};
    assert_int_equal(chat(llm, NULL, &cap, &r, &err), LC_EPROTO);
    assert_non_null(strstr(err.msg, "web page"));
    assert_non_null(strstr(err.msg, "model.base_url"));
    assert_int_equal(mock_server_nrequests(m), 1);
    capture_free(&cap);
    lc_llm_destroy(llm);
    mock_server_stop(m);
}

/* The same lc_llm serves several calls (the cached handle is reset). */
static void test_several_calls_on_one_llm(void **state)
{
    (void)state;
    mock_server *m = NULL;
    assert_int_equal(mock_server_start_script(
                         "@response 500\n@body\noops\n"
                         "@response 200\n@header Content-Type: text/event-stream\n@body\n"
                         "data: {\"choices\":[{\"delta\":{\"content\":\"one\"},"
                         "\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n"
                         "@response 200\n@header Content-Type: text/event-stream\n@body\n"
                         "data: {\"choices\":[{\"delta\":{\"content\":\"two\"},"
                         "\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n",
                         &m),
                     0);
    lc_llm *llm = llm_named(m, "openai/gpt-test");
    capture cap = {0};
    lc_llm_reply r;
    lc_err err = {0};
    assert_int_equal(chat(llm, NULL, &cap, &r, &err), LC_OK); /* after one retry */
    assert_string_equal(r.content, "one");
    lc_llm_reply_free(&r);
    assert_int_equal(chat(llm, NULL, &cap, &r, &err), LC_OK);
    assert_string_equal(r.content, "two");
    lc_llm_reply_free(&r);
    assert_int_equal(mock_server_nrequests(m), 3);
    capture_free(&cap);
    lc_llm_destroy(llm);
    mock_server_stop(m);
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
        cmocka_unit_test(test_text_stream),
        cmocka_unit_test(test_tool_call_split_over_chunks),
        cmocka_unit_test(test_two_parallel_calls),
        cmocka_unit_test(test_ollama_whole_calls_and_no_key),
        cmocka_unit_test(test_calls_without_index_or_id),
        cmocka_unit_test(test_reasoning_kept_apart),
        cmocka_unit_test(test_request_with_tools_and_results),
        cmocka_unit_test(test_bad_tool_schema_sends_nothing),
        cmocka_unit_test(test_stream_options_refused_then_remembered),
        cmocka_unit_test(test_reasoning_model_parameters),
        cmocka_unit_test(test_plain_json_answer),
        cmocka_unit_test(test_web_page_is_not_a_model),
        cmocka_unit_test(test_several_calls_on_one_llm),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    lc_llm_global_cleanup();
    return rc;
}
