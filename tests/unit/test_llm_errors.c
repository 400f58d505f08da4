/* Provider failures against the mock server: each becomes a typed error
 * whose message says what to do, retries happen only where they can help,
 * and the API key never shows up in a message. Also the model naming. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "agent/agent.h"
#include "mock_server.h"

#define KEY "sk-test-SECRET-0123456789"

typedef struct capture {
    lc_buf text;
    lc_strv notices;
} capture;

static void on_text(void *ctx, const char *d, size_t n)
{
    lc_buf_append(&((capture *)ctx)->text, d, n);
}

static void on_notice(void *ctx, const char *text)
{
    lc_strv_push(&((capture *)ctx)->notices, text);
}

/* A provider straight from an endpoint, so tests can set a short backoff. */
static lc_llm *llm_at(mock_server *m, int retries, int stall_s)
{
    char *base = lc_xasprintf("%s/v1", mock_server_url(m));
    lc_llm_endpoint ep = {
        .base_url = base,
        .model = "gpt-test",
        .key = KEY,
        .key_env = "LC_TEST_KEY",
        .temperature = 0,
        .timeout_s = 60,
        .stall_s = stall_s,
        .max_retries = retries,
        .backoff_ms = 20,
    };
    lc_llm *llm = NULL;
    lc_err err = {0};
    assert_int_equal(lc_llm_openai_new(&ep, &llm, &err), LC_OK);
    free(base);
    return llm;
}

/* Runs one chat on fixture; returns the status, fills err and what streamed. */
static int run_fixture(const char *fixture, int retries, int stall_s, lc_err *err,
                       size_t *nrequests, capture *cap)
{
    mock_server *m = NULL;
    assert_int_equal(mock_server_start(fixture, &m), 0);
    lc_llm *llm = llm_at(m, retries, stall_s);
    lc_msg msg = {LC_ROLE_USER, (char *)"hi", NULL, 0, NULL};
    lc_llm_request req = {&msg, 1, NULL, 0};
    lc_llm_stream st = {cap, on_text, NULL, on_notice};
    lc_llm_reply r;
    int rc = lc_llm_chat(llm, &req, &st, &r, err);
    if (rc == LC_OK)
        lc_llm_reply_free(&r);
    else
        assert_null(r.content); /* a failed chat leaves nothing to free */
    if (nrequests)
        *nrequests = mock_server_nrequests(m);
    lc_llm_destroy(llm);
    mock_server_stop(m);
    /* Whatever happened, the key is not in the message. */
    assert_null(strstr(err->msg, KEY));
    assert_null(strstr(err->msg, "SECRET"));
    return rc;
}

static void expect(const char *fixture, int code, const char *words, size_t requests)
{
    lc_err err = {0};
    size_t n = 0;
    capture cap = {LC_BUF_INIT, LC_STRV_INIT};
    int rc = run_fixture(fixture, 2, 10, &err, &n, &cap);
    if (rc != code || !strstr(err.msg, words))
        fail_msg("%s: got %s '%s', want %s with '%s'", fixture, lc_status_name(rc), err.msg,
                 lc_status_name(code), words);
    assert_int_equal(err.code, code);
    assert_int_equal(n, requests);
    lc_buf_free(&cap.text);
    lc_strv_free(&cap.notices);
}

static void test_401_names_the_variable_not_the_key(void **state)
{
    (void)state;
    expect("openai_401.txt", LC_EAUTH, "the server refused the API key in $LC_TEST_KEY: check it",
           1);
}

static void test_400_echoing_the_key_is_scrubbed(void **state)
{
    (void)state;
    expect("openai_400_echo_key.txt", LC_EINVAL, "[key hidden]", 1);
}

static void test_404_names_the_model(void **state)
{
    (void)state;
    expect("openai_404_model.txt", LC_ENOTFOUND, "model 'gpt-test' was not found", 1);
}

static void test_context_too_long(void **state)
{
    (void)state;
    expect("openai_context.txt", LC_EINVAL, "the conversation is too long", 1);
}

static void test_quota_is_not_retried(void **state)
{
    (void)state;
    expect("openai_quota.txt", LC_ERATE, "out of quota", 1);
}

static void test_server_stays_down(void **state)
{
    (void)state;
    expect("openai_503_always.txt", LC_ESERVER, "HTTP 503", 3); /* 1 + 2 retries */
}

static void test_midstream_error_event(void **state)
{
    (void)state;
    lc_err err = {0};
    capture cap = {LC_BUF_INIT, LC_STRV_INIT};
    assert_int_equal(run_fixture("openai_midstream_error.txt", 2, 10, &err, NULL, &cap),
                     LC_ESERVER);
    assert_non_null(strstr(err.msg, "The server had an error"));
    assert_string_equal(lc_buf_cstr(&cap.text), "Partial"); /* shown, then the error */
    lc_buf_free(&cap.text);
    lc_strv_free(&cap.notices);
}

static void test_error_line(void **state)
{
    (void)state;
    lc_err err = {0};
    capture cap = {LC_BUF_INIT, LC_STRV_INIT};
    assert_int_equal(run_fixture("llamacpp_error_line.txt", 2, 10, &err, NULL, &cap), LC_ESERVER);
    assert_non_null(strstr(err.msg, "KV cache is full"));
    lc_buf_free(&cap.text);
    lc_strv_free(&cap.notices);
}

static void test_cut_stream_is_truncated(void **state)
{
    (void)state;
    lc_err err = {0};
    size_t n = 0;
    capture cap = {LC_BUF_INIT, LC_STRV_INIT};
    assert_int_equal(run_fixture("openai_cut.txt", 2, 10, &err, &n, &cap), LC_EPROTO);
    assert_non_null(strstr(err.msg, "stream was cut"));
    assert_int_equal(n, 1); /* text was shown: not retried */
    assert_string_equal(lc_buf_cstr(&cap.text), "def main(");
    lc_buf_free(&cap.text);
    lc_strv_free(&cap.notices);
}

/* One chat on fixture, keeping the reply (the caller frees it on LC_OK). */
static int reply_of(const char *fixture, int stall_s, lc_llm_reply *r, lc_err *err)
{
    mock_server *m = NULL;
    assert_int_equal(mock_server_start(fixture, &m), 0);
    lc_llm *llm = llm_at(m, 2, stall_s);
    lc_msg msg = {LC_ROLE_USER, (char *)"hi", NULL, 0, NULL};
    lc_llm_request req = {&msg, 1, NULL, 0};
    int rc = lc_llm_chat(llm, &req, NULL, r, err);
    assert_int_equal(mock_server_nrequests(m), 1); /* never retried: text may have been shown */
    lc_llm_destroy(llm);
    mock_server_stop(m);
    return rc;
}

/* Some servers and proxies leave out `data: [DONE]`: a stream that ends
 * after a finish reason is the whole reply, whatever the reason. */
static void test_finish_without_done_is_complete(void **state)
{
    (void)state;
    lc_llm_reply r;
    lc_err err = {0};
    assert_int_equal(reply_of("openai_no_done.txt", 10, &r, &err), LC_OK);
    assert_string_equal(r.content, "ok");
    assert_string_equal(r.finish_reason, "stop");
    lc_llm_reply_free(&r);

    assert_int_equal(reply_of("openai_no_done_length.txt", 10, &r, &err), LC_OK);
    assert_string_equal(r.content, "half an answer");
    assert_string_equal(r.finish_reason, "length");
    lc_llm_reply_free(&r);

    assert_int_equal(reply_of("openai_no_done_tool_calls.txt", 10, &r, &err), LC_OK);
    assert_string_equal(r.finish_reason, "tool_calls");
    assert_int_equal(r.ncalls, 1);
    assert_string_equal(r.calls[0].id, "call_nd");
    assert_string_equal(r.calls[0].name, "search_files");
    assert_string_equal(r.calls[0].arguments, "{\"pattern\": \"*.py\"}");
    lc_llm_reply_free(&r);
}

/* After the finish reason the answer is whole, so a connection closed
 * short of its Content-Length, or a server that never ends the body, loses
 * nothing; the same failures before it are a cut stream, as before. */
static void test_transport_failure_after_finish_is_complete(void **state)
{
    (void)state;
    lc_llm_reply r;
    lc_err err = {0};
    assert_int_equal(reply_of("openai_finish_then_short_close.txt", 10, &r, &err), LC_OK);
    assert_string_equal(r.content, "all here");
    assert_string_equal(err.msg, "");
    lc_llm_reply_free(&r);

    assert_int_equal(reply_of("openai_finish_then_stall.txt", 1, &r, &err), LC_OK);
    assert_string_equal(r.content, "done talking");
    assert_string_equal(r.finish_reason, "stop");
    lc_llm_reply_free(&r);

    assert_int_equal(reply_of("openai_cut_short_close.txt", 10, &r, &err), LC_EPROTO);
    assert_non_null(strstr(err.msg, "stream was cut before it finished"));
    assert_null(r.content);
}

static void test_done_without_finish_is_truncated(void **state)
{
    (void)state;
    expect("openai_done_no_finish.txt", LC_EPROTO, "stream was cut before it finished (no finish reason)",
           1);
}

static void test_429_retry_after_ms_then_ok(void **state)
{
    (void)state;
    lc_err err = {0};
    size_t n = 0;
    capture cap = {LC_BUF_INIT, LC_STRV_INIT};
    int64_t t0 = lc_now_ms();
    assert_int_equal(run_fixture("openai_429_then_ok.txt", 2, 10, &err, &n, &cap), LC_OK);
    assert_true(lc_now_ms() - t0 >= 110); /* waited what the server asked (120 ms) */
    assert_int_equal(n, 2);
    assert_string_equal(lc_buf_cstr(&cap.text), "after the wait");
    /* The user is told why nothing is happening. */
    assert_int_equal(cap.notices.n, 1);
    assert_non_null(strstr(cap.notices.v[0], "rate limiting"));
    assert_non_null(strstr(cap.notices.v[0], "retrying in 0.1 s (attempt 2 of 3)"));
    lc_buf_free(&cap.text);
    lc_strv_free(&cap.notices);
}

static void test_429_retry_after_seconds(void **state)
{
    (void)state;
    lc_err err = {0};
    size_t n = 0;
    capture cap = {LC_BUF_INIT, LC_STRV_INIT};
    int64_t t0 = lc_now_ms();
    assert_int_equal(run_fixture("openai_429_retry_after_s.txt", 2, 10, &err, &n, &cap), LC_OK);
    assert_true(lc_now_ms() - t0 >= 950);
    assert_int_equal(n, 2);
    lc_buf_free(&cap.text);
    lc_strv_free(&cap.notices);
}

static void test_429_without_retries_left(void **state)
{
    (void)state;
    lc_err err = {0};
    size_t n = 0;
    capture cap = {LC_BUF_INIT, LC_STRV_INIT};
    assert_int_equal(run_fixture("openai_429_then_ok.txt", 0, 10, &err, &n, &cap), LC_ERATE);
    assert_non_null(strstr(err.msg, "rate limiting"));
    assert_int_equal(n, 1);
    lc_buf_free(&cap.text);
    lc_strv_free(&cap.notices);
}

static void test_500_then_ok(void **state)
{
    (void)state;
    lc_err err = {0};
    size_t n = 0;
    capture cap = {LC_BUF_INIT, LC_STRV_INIT};
    assert_int_equal(run_fixture("openai_500_then_ok.txt", 2, 10, &err, &n, &cap), LC_OK);
    assert_int_equal(n, 2);
    assert_string_equal(lc_buf_cstr(&cap.text), "recovered");
    lc_buf_free(&cap.text);
    lc_strv_free(&cap.notices);
}

static void test_stall_names_the_seconds(void **state)
{
    (void)state;
    lc_err err = {0};
    capture cap = {LC_BUF_INIT, LC_STRV_INIT};
    int64_t t0 = lc_now_ms();
    assert_int_equal(run_fixture("openai_stall.txt", 2, 1, &err, NULL, &cap), LC_ETIMEOUT);
    int64_t took = lc_now_ms() - t0;
    assert_true(took >= 1000 && took < 6000);
    assert_non_null(strstr(err.msg, "nothing for 1 s"));
    lc_buf_free(&cap.text);
    lc_strv_free(&cap.notices);
}

static void test_whole_request_timeout(void **state)
{
    (void)state;
    mock_server *m = NULL;
    assert_int_equal(mock_server_start("openai_stall.txt", &m), 0);
    char *base = lc_xasprintf("%s/v1", mock_server_url(m));
    lc_llm_endpoint ep = {.base_url = base, .model = "gpt-test", .key = KEY,
                          .key_env = "LC_TEST_KEY", .timeout_s = 1, .stall_s = 30};
    lc_llm *llm = NULL;
    lc_err err = {0};
    assert_int_equal(lc_llm_openai_new(&ep, &llm, &err), LC_OK);
    lc_msg msg = {LC_ROLE_USER, (char *)"hi", NULL, 0, NULL};
    lc_llm_request req = {&msg, 1, NULL, 0};
    lc_llm_reply r;
    assert_int_equal(lc_llm_chat(llm, &req, NULL, &r, &err), LC_ETIMEOUT);
    assert_non_null(strstr(err.msg, "longer than 1 s (model.timeout)"));
    lc_llm_destroy(llm);
    mock_server_stop(m);
    free(base);
}

typedef struct canceller {
    lc_llm *llm;
    int delay_ms;
} canceller;

static void *cancel_later(void *arg)
{
    canceller *c = arg;
    lc_sleep_ms(c->delay_ms);
    lc_llm_cancel(c->llm);
    return NULL;
}

static void test_cancel_from_another_thread(void **state)
{
    (void)state;
    mock_server *m = NULL;
    assert_int_equal(mock_server_start("openai_stall.txt", &m), 0);
    lc_llm *llm = llm_at(m, 2, 60);
    lc_msg msg = {LC_ROLE_USER, (char *)"hi", NULL, 0, NULL};
    lc_llm_request req = {&msg, 1, NULL, 0};
    lc_llm_reply r;
    lc_err err = {0};
    canceller c = {llm, 300};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, cancel_later, &c), 0);
    int64_t t0 = lc_now_ms();
    assert_int_equal(lc_llm_chat(llm, &req, NULL, &r, &err), LC_ECANCEL);
    /* Cancelled at 300 ms; the sockets are shut down, so the transfer does
     * not sit until libcurl's next idle tick (up to a second later). */
    assert_true(lc_now_ms() - t0 < 1000);
    assert_non_null(strstr(err.msg, "cancelled"));
    pthread_join(t, NULL);
    lc_llm_destroy(llm);
    mock_server_stop(m);
}

static void test_cancel_during_backoff(void **state)
{
    (void)state;
    /* The server asks for a 60 s wait; cancelling must not wait it out. */
    mock_server *m = NULL;
    assert_int_equal(mock_server_start_script("@response 429\n@header retry-after: 60\n"
                                              "@body\n{\"error\":{\"message\":\"slow down\"}}\n",
                                              &m),
                     0);
    lc_llm *llm = llm_at(m, 3, 60);
    lc_msg msg = {LC_ROLE_USER, (char *)"hi", NULL, 0, NULL};
    lc_llm_request req = {&msg, 1, NULL, 0};
    lc_llm_reply r;
    lc_err err = {0};
    canceller c = {llm, 300};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, cancel_later, &c), 0);
    int64_t t0 = lc_now_ms();
    assert_int_equal(lc_llm_chat(llm, &req, NULL, &r, &err), LC_ECANCEL);
    assert_true(lc_now_ms() - t0 < 3000);
    assert_int_equal(mock_server_nrequests(m), 1);
    pthread_join(t, NULL);
    lc_llm_destroy(llm);
    mock_server_stop(m);
}

static void test_unreachable_server(void **state)
{
    (void)state;
    mock_server *m = NULL;
    assert_int_equal(mock_server_start("openai_text.txt", &m), 0);
    char *base = lc_xasprintf("%s/v1", mock_server_url(m));
    mock_server_stop(m); /* nobody listens on that port any more */
    lc_llm_endpoint ep = {.base_url = base, .model = "gpt-test", .key = KEY,
                          .key_env = "LC_TEST_KEY", .max_retries = 1, .backoff_ms = 10};
    lc_llm *llm = NULL;
    lc_err err = {0};
    assert_int_equal(lc_llm_openai_new(&ep, &llm, &err), LC_OK);
    lc_msg msg = {LC_ROLE_USER, (char *)"hi", NULL, 0, NULL};
    lc_llm_request req = {&msg, 1, NULL, 0};
    lc_llm_reply r;
    assert_int_equal(lc_llm_chat(llm, &req, NULL, &r, &err), LC_ENET);
    assert_non_null(strstr(err.msg, "could not reach the model server"));
    assert_non_null(strstr(err.msg, "model.base_url"));
    lc_llm_destroy(llm);
    free(base);
}

#define OK_STREAM                                                                          \
    "@response 200\n@header Content-Type: text/event-stream\n@body\n"                       \
    "data: {\"choices\":[{\"delta\":{\"content\":\"fine\"},\"finish_reason\":\"stop\"}]}\n\n" \
    "data: [DONE]\n\n"

/* Runs one chat against an inline script with 2 retries allowed. */
static int run_script(const char *script, lc_err *err, size_t *nrequests)
{
    mock_server *m = NULL;
    assert_int_equal(mock_server_start_script(script, &m), 0);
    lc_llm *llm = llm_at(m, 2, 10);
    lc_msg msg = {LC_ROLE_USER, (char *)"hi", NULL, 0, NULL};
    lc_llm_request req = {&msg, 1, NULL, 0};
    lc_llm_reply r;
    int rc = lc_llm_chat(llm, &req, NULL, &r, err);
    if (rc == LC_OK) {
        assert_string_equal(r.content, "fine");
        lc_llm_reply_free(&r);
    }
    *nrequests = mock_server_nrequests(m);
    lc_llm_destroy(llm);
    mock_server_stop(m);
    return rc;
}

static void test_which_failures_are_retried(void **state)
{
    (void)state;
    lc_err err = {0};
    size_t n = 0;
    /* Retried: timeout, conflict, a hang-up before any answer. */
    assert_int_equal(run_script("@response 408\n@body\nslow\n" OK_STREAM, &err, &n), LC_OK);
    assert_int_equal(n, 2);
    assert_int_equal(run_script("@response 409\n@body\nbusy\n" OK_STREAM, &err, &n), LC_OK);
    assert_int_equal(n, 2);
    assert_int_equal(run_script("@response 0\n" OK_STREAM, &err, &n), LC_OK);
    assert_int_equal(n, 2);
    /* Not retried: a bad request, a forbidden key. */
    assert_int_equal(run_script("@response 400\n@body\n{\"error\":{\"message\":\"bad "
                                "role\"}}\n" OK_STREAM,
                                &err, &n),
                     LC_EINVAL);
    assert_int_equal(n, 1);
    assert_non_null(strstr(err.msg, "bad role"));
    assert_int_equal(run_script("@response 403\n@body\nno\n" OK_STREAM, &err, &n), LC_EAUTH);
    assert_int_equal(n, 1);
    assert_non_null(strstr(err.msg, "$LC_TEST_KEY"));
    /* A redirect says where to look. */
    assert_int_equal(run_script("@response 301\n@header Location: https://x/\n" OK_STREAM, &err,
                                &n),
                     LC_EPROTO);
    assert_non_null(strstr(err.msg, "model.base_url"));
}

static void test_retry_after_http_date(void **state)
{
    (void)state;
    char date[64];
    time_t when = time(NULL) + 2;
    struct tm tm;
    gmtime_r(&when, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    char *script = lc_xasprintf("@response 503\n@header Retry-After: %s\n@body\nbusy\n" OK_STREAM,
                                date);
    lc_err err = {0};
    size_t n = 0;
    int64_t t0 = lc_now_ms();
    assert_int_equal(run_script(script, &err, &n), LC_OK);
    assert_true(lc_now_ms() - t0 >= 900); /* the date was 1 to 2 s ahead */
    assert_int_equal(n, 2);
    free(script);
}

/* A hostile server cannot make the client hold unbounded text: an event
 * line over the limit (8 MiB) ends the call. */
static void test_oversized_event(void **state)
{
    (void)state;
    lc_buf big = LC_BUF_INIT;
    lc_buf_puts(&big, "@response 200\n@header Content-Type: text/event-stream\n@body\ndata: ");
    size_t n9 = (size_t)9 << 20;
    lc_buf_reserve(&big, n9 + 16);
    memset(big.data + big.len, 'x', n9);
    big.len += n9;
    big.data[big.len] = '\0';
    lc_buf_puts(&big, "\n\n");
    lc_err err = {0};
    size_t n = 0;
    assert_int_equal(run_script(big.data, &err, &n), LC_EPROTO);
    assert_non_null(strstr(err.msg, "too large"));
    assert_int_equal(n, 1);
    lc_buf_free(&big);
}

/* The error shapes of other servers, classified without a round trip. */
static void test_error_shapes(void **state)
{
    (void)state;
    static const struct {
        long status;
        const char *body;
        int code;
        const char *words;
    } cases[] = {
        {400, "{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\","
              "\"message\":\"prompt is too long: 210000 tokens > 200000 maximum\"}}",
         LC_EINVAL, "too long"},
        {413, "{\"type\":\"error\",\"error\":{\"type\":\"request_too_large\",\"message\":"
              "\"Request exceeds the maximum allowed number of bytes.\"}}",
         LC_EINVAL, "too long"},
        {529, "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":"
              "\"Overloaded\"}}",
         LC_ESERVER, "HTTP 529"},
        {400, "{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":"
              "\"Your credit balance is too low to access the Anthropic API.\"}}",
         LC_ERATE, "out of quota"},
        {404, "{\"error\":\"model \\\"llama9\\\" not found, try pulling it first\"}", LC_ENOTFOUND,
         "ollama pull"},
        {404, "<html><body>404 page not found</body></html>", LC_ENOTFOUND, "model.base_url"},
        {0, "{\"code\":500,\"message\":\"the context window is full\",\"type\":\"server_error\"}",
         LC_EINVAL, "too long"},
        {0, "{\"error\":{\"type\":\"rate_limit_error\",\"message\":\"slow\"}}", LC_ERATE,
         "rate limiting"},
        {502, "\x1b[31mbad gateway\x1b[0m", LC_ESERVER, "^[[31mbad gateway"},
        {418, "", LC_EPROTO, "unexpected HTTP 418"},
    };
    lc_llm_endpoint ep = {.base_url = "http://x", .model = "m", .key = KEY, .key_env = "K"};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lc_err err = {0};
        int rc = lc_llm_http_error(cases[i].status, cases[i].body, strlen(cases[i].body), &ep,
                                   &err);
        if (rc != cases[i].code || !strstr(err.msg, cases[i].words))
            fail_msg("case %zu: got %s '%s', want %s with '%s'", i, lc_status_name(rc), err.msg,
                     lc_status_name(cases[i].code), cases[i].words);
        assert_null(strchr(err.msg, '\x1b')); /* no terminal escapes from the server */
    }
}

/* ---- naming ---------------------------------------------------------------- */

static int new_named(const char *name, const char *base, const char *env, lc_err *err)
{
    lc_model_config cfg = {0};
    cfg.name = (char *)name;
    cfg.base_url = (char *)base;
    cfg.api_key_env = (char *)env;
    lc_llm *llm = NULL;
    int rc = lc_llm_new(&cfg, &llm, err);
    lc_llm_destroy(llm);
    return rc;
}

static void test_naming(void **state)
{
    (void)state;
    lc_err err = {0};
    unsetenv("LC_TEST_UNSET_KEY");
    setenv("LC_TEST_KEY", KEY, 1);

    assert_int_equal(new_named("mystery-model", NULL, NULL, &err), LC_EINVAL);
    assert_non_null(strstr(err.msg, "openai/NAME"));
    assert_int_equal(new_named("openai/gpt-4o", NULL, "LC_TEST_UNSET_KEY", &err), LC_EAUTH);
    assert_non_null(strstr(err.msg, "$LC_TEST_UNSET_KEY is not set"));
    assert_int_equal(new_named("openai/gpt-4o", NULL, "LC_TEST_KEY", &err), LC_OK);
    assert_int_equal(new_named("anthropic/claude-x", NULL, "LC_TEST_KEY", &err), LC_OK);
    assert_int_equal(new_named("ollama/llama3", NULL, NULL, &err), LC_OK); /* no key needed */
    assert_int_equal(new_named("local", "http://127.0.0.1:1/v1", NULL, &err), LC_OK);
    assert_int_equal(new_named("local", "file:///etc/passwd", NULL, &err), LC_EINVAL);
    assert_int_equal(new_named("openai/", NULL, "LC_TEST_KEY", &err), LC_EINVAL);
    assert_int_equal(new_named("replay:", NULL, NULL, &err), LC_EINVAL);
    /* replay: goes to the replay provider, which cannot open a missing file. */
    assert_true(new_named("replay:/nonexistent/litecode-session.jsonl", NULL, NULL, &err) < 0);
    assert_null(strstr(err.msg, KEY));
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
        cmocka_unit_test(test_401_names_the_variable_not_the_key),
        cmocka_unit_test(test_400_echoing_the_key_is_scrubbed),
        cmocka_unit_test(test_404_names_the_model),
        cmocka_unit_test(test_context_too_long),
        cmocka_unit_test(test_quota_is_not_retried),
        cmocka_unit_test(test_server_stays_down),
        cmocka_unit_test(test_midstream_error_event),
        cmocka_unit_test(test_error_line),
        cmocka_unit_test(test_cut_stream_is_truncated),
        cmocka_unit_test(test_finish_without_done_is_complete),
        cmocka_unit_test(test_transport_failure_after_finish_is_complete),
        cmocka_unit_test(test_done_without_finish_is_truncated),
        cmocka_unit_test(test_429_retry_after_ms_then_ok),
        cmocka_unit_test(test_429_retry_after_seconds),
        cmocka_unit_test(test_429_without_retries_left),
        cmocka_unit_test(test_500_then_ok),
        cmocka_unit_test(test_stall_names_the_seconds),
        cmocka_unit_test(test_cancel_from_another_thread),
        cmocka_unit_test(test_cancel_during_backoff),
        cmocka_unit_test(test_unreachable_server),
        cmocka_unit_test(test_which_failures_are_retried),
        cmocka_unit_test(test_whole_request_timeout),
        cmocka_unit_test(test_oversized_event),
        cmocka_unit_test(test_retry_after_http_date),
        cmocka_unit_test(test_error_shapes),
        cmocka_unit_test(test_naming),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    lc_llm_global_cleanup();
    return rc;
}
