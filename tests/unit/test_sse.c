/* The SSE parser: events come out whole however the bytes are cut. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agent/agent.h"

typedef struct seen {
    lc_strv names;
    lc_strv data;
    lc_strv kinds;
    int stop_after; /* >0: fail the parse at that event */
} seen;

static int record(void *ctx, const lc_sse_event *ev)
{
    seen *s = ctx;
    assert_int_equal(strlen(ev->data), ev->len);
    lc_strv_push(&s->names, ev->name);
    lc_strv_push(&s->data, ev->data);
    lc_strv_push(&s->kinds, ev->kind == LC_SSE_ERROR_LINE ? "error-line" : "event");
    if (s->stop_after && (int)s->data.n == s->stop_after)
        return LC_ECANCEL;
    return LC_OK;
}

static void seen_free(seen *s)
{
    lc_strv_free(&s->names);
    lc_strv_free(&s->data);
    lc_strv_free(&s->kinds);
}

/* Feeds text in pieces of `step` bytes (0: all at once). */
static int parse(const char *text, size_t step, seen *s)
{
    lc_sse *p = lc_sse_new(1024, record, s);
    size_t len = strlen(text), off = 0;
    int rc = LC_OK;
    while (off < len && rc == LC_OK) {
        size_t n = step && len - off > step ? step : len - off;
        rc = lc_sse_feed(p, text + off, n);
        off += n;
    }
    if (rc == LC_OK)
        rc = lc_sse_finish(p);
    lc_sse_free(p);
    return rc;
}

static const char STREAM[] = ": keep-alive\n"
                             "\n"
                             "data: {\"a\":1}\n"
                             "\n"
                             "event: content_block_delta\r\n"
                             "data: first\r\n"
                             "data:second\r\n"
                             "\r\n"
                             "data: cr only\r"
                             "\r"
                             "error: {\"message\":\"boom\"}\n"
                             "id: 7\n"
                             "retry: 1000\n"
                             "data\n"
                             "\n"
                             "data: [DONE]\n\n";

static void check_stream(const seen *s)
{
    assert_int_equal(s->data.n, 6);
    assert_string_equal(s->names.v[0], "message");
    assert_string_equal(s->data.v[0], "{\"a\":1}");
    assert_string_equal(s->names.v[1], "content_block_delta");
    assert_string_equal(s->data.v[1], "first\nsecond"); /* multi-line data joined */
    assert_string_equal(s->names.v[2], "message");      /* the name does not stick */
    assert_string_equal(s->data.v[2], "cr only");
    assert_string_equal(s->kinds.v[3], "error-line");
    assert_string_equal(s->data.v[3], "{\"message\":\"boom\"}");
    /* "data" with no colon is an empty data line: an event with empty data */
    assert_string_equal(s->data.v[4], "");
    assert_string_equal(s->data.v[5], "[DONE]");
}

static void test_whole_stream(void **state)
{
    (void)state;
    seen s = {0};
    assert_int_equal(parse(STREAM, 0, &s), LC_OK);
    check_stream(&s);
    seen_free(&s);
}

/* Every cut point, including between CR and LF, gives the same events. */
static void test_every_split(void **state)
{
    (void)state;
    for (size_t step = 1; step < 40; step++) {
        seen s = {0};
        assert_int_equal(parse(STREAM, step, &s), LC_OK);
        check_stream(&s);
        seen_free(&s);
    }
    size_t len = strlen(STREAM);
    for (size_t cut = 1; cut < len; cut++) {
        seen s = {0};
        lc_sse *p = lc_sse_new(1024, record, &s);
        assert_int_equal(lc_sse_feed(p, STREAM, cut), LC_OK);
        assert_int_equal(lc_sse_feed(p, STREAM + cut, len - cut), LC_OK);
        assert_int_equal(lc_sse_finish(p), LC_OK);
        lc_sse_free(p);
        check_stream(&s);
        seen_free(&s);
    }
}

static void test_comment_only_gives_nothing(void **state)
{
    (void)state;
    seen s = {0};
    assert_int_equal(parse(": ping\n\n: ping\n\nevent: ping\n\n", 3, &s), LC_OK);
    assert_int_equal(s.data.n, 0); /* an event name without data is not an event */
    seen_free(&s);
}

static void test_finish_dispatches_pending_but_drops_cut_line(void **state)
{
    (void)state;
    seen s = {0};
    /* The last event lacks its blank line; then a half line. */
    assert_int_equal(parse("data: whole\ndata: {\"cut", 0, &s), LC_OK);
    assert_int_equal(s.data.n, 1);
    assert_string_equal(s.data.v[0], "whole");
    seen_free(&s);
}

static void test_callback_failure_stops(void **state)
{
    (void)state;
    seen s = {.stop_after = 1};
    assert_int_equal(parse("data: 1\n\ndata: 2\n\n", 0, &s), LC_ECANCEL);
    assert_int_equal(s.data.n, 1);
    seen_free(&s);
}

static void test_line_limit(void **state)
{
    (void)state;
    seen s = {0};
    char *big = lc_xmalloc(5000);
    memcpy(big, "data: ", 6);
    memset(big + 6, 'x', 4000);
    strcpy(big + 4006, "\n\n");
    assert_int_equal(parse(big, 0, &s), LC_EPROTO);  /* one piece */
    assert_int_equal(parse(big, 100, &s), LC_EPROTO); /* through the carry buffer */
    assert_int_equal(s.data.n, 0);
    free(big);
    seen_free(&s);
}

static void test_leading_bom_is_dropped(void **state)
{
    (void)state;
    for (size_t step = 0; step < 5; step++) {
        seen s = {0};
        assert_int_equal(parse("\xEF\xBB\xBF" "data: x\n\n", step, &s), LC_OK);
        assert_int_equal(s.data.n, 1);
        assert_string_equal(s.data.v[0], "x");
        seen_free(&s);
    }
    /* Only at the very start: later it is data like any other. */
    seen s = {0};
    assert_int_equal(parse("data: \xEF\xBB\xBFy\n\n", 1, &s), LC_OK);
    assert_string_equal(s.data.v[0], "\xEF\xBB\xBFy");
    seen_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole_stream),
        cmocka_unit_test(test_every_split),
        cmocka_unit_test(test_comment_only_gives_nothing),
        cmocka_unit_test(test_finish_dispatches_pending_but_drops_cut_line),
        cmocka_unit_test(test_callback_failure_stops),
        cmocka_unit_test(test_line_limit),
        cmocka_unit_test(test_leading_bom_is_dropped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
