/* The Server-Sent Events parser (agent/sse.c: lc_sse_new, lc_sse_feed,
 * lc_sse_finish) as the providers drive it: bytes cut at arbitrary points,
 * each event's data parsed as JSON; and the model server's error bodies
 * (agent/llm_errors.c: lc_llm_http_classify), whose text reaches the user.
 * The first input byte picks the cut pattern and the line bound. */
#include <stdlib.h>
#include <string.h>

#include "agent/agent.h"
#include "fuzz_util.h"

typedef struct ctx {
    size_t events;
    size_t stop_after; /* a callback that fails stops the parse */
} ctx;

static int on_event(void *p, const lc_sse_event *ev)
{
    ctx *c = p;
    if (ev->name && strlen(ev->name) > 1 << 20)
        abort();
    if (strlen(ev->data) != ev->len && memchr(ev->data, '\0', ev->len) == NULL)
        abort(); /* data is NUL-terminated at len */
    cJSON *j = lc_json_parse(ev->data, ev->len);
    cJSON_Delete(j);
    if (++c->events == c->stop_after)
        return LC_EPROTO;
    return LC_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    unsigned mode = data[0];
    data++, size--;
    ctx c = {0, (mode & 0x80) ? (size_t)(mode & 7) + 1 : 0};
    size_t max_line = (mode & 0x40) ? 64 : 1 << 20;
    lc_sse *p = lc_sse_new(max_line, on_event, &c);
    size_t step = (mode & 0x0f) + 1, at = 0;
    int rc = LC_OK;
    while (rc == LC_OK && at < size) {
        size_t n = size - at < step ? size - at : step;
        rc = lc_sse_feed(p, (const char *)data + at, n);
        at += n;
        step = step * 7 % 61 + 1; /* uneven cuts: CR and LF of one CRLF in two pieces, and so on */
    }
    if (rc == LC_OK)
        rc = lc_sse_finish(p);
    lc_sse_free(p);

    /* The same bytes as an error body of a failed request. */
    static const long statuses[] = {0, 400, 401, 403, 404, 408, 413, 429, 500, 503};
    lc_llm_endpoint ep = {.base_url = "http://127.0.0.1:1", .model = "m", .key = "sk-fuzz-secret",
                          .key_env = "OPENAI_API_KEY"};
    lc_err err = {0};
    bool retry = false;
    lc_llm_http_classify(statuses[mode % 10], (const char *)data, size, &ep, &err, &retry);
    fuzz_assert_terminal_safe("error message", err.msg, strlen(err.msg));
    if (strstr(err.msg, "sk-fuzz-secret"))
        abort(); /* the key never reaches a message */
    return 0;
}
