/* Code extraction from model replies: every shape a model sends. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agent/agent.h"

static void test_python_fence(void **state)
{
    (void)state;
    lc_extracted x;
    lc_extract_code("Thought: count files.\n```python\nimport os\nprint(len(os.listdir('.')))\n```\n", &x);
    assert_string_equal(x.code, "import os\nprint(len(os.listdir('.')))");
    assert_string_equal(x.thought, "count files.");
    assert_int_equal(x.nblocks, 1);
    assert_false(x.unclosed);
    lc_extracted_free(&x);
}

static void test_py_fence_and_indent(void **state)
{
    (void)state;
    lc_extracted x;
    lc_extract_code("Let me look.\n  ```py\nx = 1\n```", &x);
    assert_string_equal(x.code, "x = 1");
    assert_string_equal(x.thought, "Let me look.");
    lc_extracted_free(&x);
}

static void test_code_tags(void **state)
{
    (void)state;
    lc_extracted x;
    lc_extract_code("Thought: go\n<code>\nprint('hi')\n</code>", &x);
    assert_string_equal(x.code, "print('hi')");
    assert_int_equal(x.nblocks, 1);
    lc_extracted_free(&x);
    /* A fence inside the tags is unwrapped. */
    lc_extract_code("<code>\n```python\ny = 2\n```\n</code>", &x);
    assert_string_equal(x.code, "y = 2");
    lc_extracted_free(&x);
}

static void test_several_blocks_joined_in_order(void **state)
{
    (void)state;
    lc_extracted x;
    lc_extract_code("First:\n```python\na = 1\n```\nthen\n```py\nb = a + 1\n```\nand <code>print(b)</code>",
                    &x);
    assert_int_equal(x.nblocks, 3);
    assert_string_equal(x.code, "a = 1\n\nb = a + 1\n\nprint(b)");
    lc_extracted_free(&x);
}

static void test_unclosed_block_accepted(void **state)
{
    (void)state;
    lc_extracted x;
    lc_extract_code("Thought: t\n```python\nfor i in range(3):\n    print(i)\n", &x);
    assert_string_equal(x.code, "for i in range(3):\n    print(i)");
    assert_true(x.unclosed);
    lc_extracted_free(&x);
    lc_extract_code("<code>print(1)", &x);
    assert_string_equal(x.code, "print(1)");
    assert_true(x.unclosed);
    lc_extracted_free(&x);
}

static void test_no_code(void **state)
{
    (void)state;
    lc_extracted x;
    lc_extract_code("I think the answer is 42.", &x);
    assert_null(x.code);
    assert_int_equal(x.nblocks, 0);
    assert_string_equal(x.thought, "I think the answer is 42.");
    lc_extracted_free(&x);
    assert_true(lc_extract_looks_like_answer("Final Answer: 42"));
    assert_true(lc_extract_looks_like_answer("I think the answer is 42."));
    assert_false(lc_extract_looks_like_answer("Let me look at the files first."));
}

static void test_other_languages_ignored(void **state)
{
    (void)state;
    lc_extracted x;
    lc_extract_code("```bash\nrm -rf /\n```\n```json\n{\"a\":1}\n```\n```\nplain\n```", &x);
    assert_null(x.code);
    lc_extracted_free(&x);
    /* A python fence after a shell one is still found. */
    lc_extract_code("```sh\nls\n```\n```python\nprint(2)\n```", &x);
    assert_string_equal(x.code, "print(2)");
    lc_extracted_free(&x);
}

static void test_fence_text_inside_string(void **state)
{
    (void)state;
    /* A closing fence only counts on its own line. */
    lc_extracted x;
    lc_extract_code("```python\ns = 'a ``` b'\nprint(s)\n```", &x);
    assert_string_equal(x.code, "s = 'a ``` b'\nprint(s)");
    lc_extracted_free(&x);
}

static void test_tool_calls_in_text(void **state)
{
    (void)state;
    lc_tool_call *calls = NULL;
    size_t n = lc_extract_tool_calls(
        "I will run it.\n```json\n{\"name\": \"python_executor\", \"arguments\": {\"code\": \"print('}')\"}}\n```\n"
        "then {\"name\": \"final_answer\", \"arguments\": \"{\\\"answer\\\": \\\"done\\\"}\"}",
        &calls);
    assert_int_equal(n, 2);
    assert_string_equal(calls[0].name, "python_executor");
    assert_string_equal(calls[0].arguments, "{\"code\":\"print('}')\"}");
    assert_string_equal(calls[1].name, "final_answer");
    assert_string_equal(calls[1].arguments, "{\"answer\": \"done\"}");
    lc_tool_calls_free(calls, n);

    n = lc_extract_tool_calls("[{\"name\":\"a\",\"arguments\":{}},{\"name\":\"b\",\"parameters\":{\"x\":1}}]", &calls);
    assert_int_equal(n, 2);
    assert_string_equal(calls[1].arguments, "{\"x\":1}");
    lc_tool_calls_free(calls, n);

    assert_int_equal(lc_extract_tool_calls("no calls {not json} {\"other\": 1}", &calls), 0);
    assert_null(calls);
}

static void test_unified_diff(void **state)
{
    (void)state;
    char *d = lc_text_unified_diff("a = 1\nb = 2\nprint(a)\n", "a = 1\nb = 3\nprint(a)\n", "proposed", "edited");
    assert_non_null(strstr(d, "--- proposed\n+++ edited\n"));
    assert_non_null(strstr(d, "-b = 2\n+b = 3\n"));
    assert_non_null(strstr(d, "@@ -1,3 +1,3 @@"));
    free(d);
    d = lc_text_unified_diff("same\n", "same\n", "a", "b");
    assert_null(strstr(d, "@@"));
    free(d);
}

static void test_crlf_reply(void **state)
{
    (void)state;
    lc_extracted x;
    lc_extract_code("Thought: go\r\n```python\r\nx = 1\r\nprint(x)\r\n```\r\ndone", &x);
    assert_non_null(x.code);
    assert_string_equal(x.code, "x = 1\r\nprint(x)");
    assert_false(x.unclosed);
    assert_string_equal(x.thought, "go");
    lc_extracted_free(&x);
}

/* Found by fuzzing: a list of calls in one JSON value went past the limit
 * of 16 that the header promises (each object was counted, not the list). */
static void test_tool_call_list_capped(void **state)
{
    (void)state;
    lc_buf r = LC_BUF_INIT;
    lc_buf_puts(&r, "```json\n[");
    for (int i = 0; i < 40; i++)
        lc_buf_printf(&r, "%s{\"name\":\"t%d\",\"arguments\":{}}", i ? "," : "", i);
    lc_buf_puts(&r, "]\n```\nand {\"name\":\"later\",\"arguments\":{}}");
    lc_tool_call *calls = NULL;
    size_t n = lc_extract_tool_calls(r.data, &calls);
    assert_int_equal(n, 16);
    assert_string_equal(calls[0].name, "t0");
    assert_string_equal(calls[15].name, "t15");
    lc_tool_calls_free(calls, n);
    lc_buf_free(&r);
}

/* Deeply nested brackets made every bracket a scan to the end: 200 KB took
 * minutes (quadratic). Now the work is linear in the reply; 4 MB of it ends
 * well within the test's time limit, finding nothing, and a call after
 * ordinary code is still found. */
static void test_tool_calls_nested_brackets_linear(void **state)
{
    (void)state;
    size_t half = 2u << 20;
    char *r = lc_xmalloc(2 * half + 1);
    memset(r, '[', half);
    memset(r + half, ']', half);
    r[2 * half] = '\0';
    lc_tool_call *calls = NULL;
    assert_int_equal(lc_extract_tool_calls(r, &calls), 0);
    assert_null(calls);
    free(r);
    lc_buf b = LC_BUF_INIT;
    for (int i = 0; i < 2000; i++)
        lc_buf_puts(&b, "d = {'a': [1, {'b': [2, 3]}], 'c': {}}\n");
    lc_buf_puts(&b, "{\"name\":\"final_answer\",\"arguments\":{\"answer\":\"x\"}}");
    assert_int_equal(lc_extract_tool_calls(b.data, &calls), 1);
    assert_string_equal(calls[0].name, "final_answer");
    lc_tool_calls_free(calls, 1);
    lc_buf_free(&b);
}

/* The line reader the TUI shares (issue 11): python3 and bare fences, the
 * same way lc_extract_code reads them. */
static void test_fence_line(void **state)
{
    (void)state;
    static const struct {
        const char *line;
        bool in_code;
        lc_fence_line want;
    } cases[] = {
        {"```python", false, LC_FENCE_OPEN},   {"```py", false, LC_FENCE_OPEN},
        {"```python3", false, LC_FENCE_OPEN},  {"  ``` Python3 \r", false, LC_FENCE_OPEN},
        {"```", false, LC_FENCE_NONE},         {"```bash", false, LC_FENCE_NONE},
        {"```python2", false, LC_FENCE_NONE},  {"```python x", false, LC_FENCE_NONE},
        {"``python", false, LC_FENCE_NONE},    {"text ```python", false, LC_FENCE_NONE},
        {"```", true, LC_FENCE_CLOSE},         {"  ````  ", true, LC_FENCE_CLOSE},
        {"```python", true, LC_FENCE_NONE},    {"x = 1", true, LC_FENCE_NONE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lc_fence_line got = lc_extract_fence_line(cases[i].line, strlen(cases[i].line), cases[i].in_code);
        if (got != cases[i].want)
            fail_msg("\"%s\" (in code: %d): %d, expected %d", cases[i].line, cases[i].in_code, got, cases[i].want);
    }
    /* The length bounds the line: what follows is not read. */
    assert_int_equal(lc_extract_fence_line("```pythonista", 9, false), LC_FENCE_OPEN);
    lc_extracted x;
    lc_extract_code("Run:\n```python3\nprint(3)\n```python\nstill = 1\n```\nA bare one:\n```\nnot_code()\n```\n", &x);
    assert_string_equal(x.code, "print(3)\n```python\nstill = 1");
    assert_int_equal(x.nblocks, 1);
    lc_extracted_free(&x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_python_fence),
        cmocka_unit_test(test_py_fence_and_indent),
        cmocka_unit_test(test_code_tags),
        cmocka_unit_test(test_several_blocks_joined_in_order),
        cmocka_unit_test(test_unclosed_block_accepted),
        cmocka_unit_test(test_no_code),
        cmocka_unit_test(test_other_languages_ignored),
        cmocka_unit_test(test_fence_text_inside_string),
        cmocka_unit_test(test_tool_calls_in_text),
        cmocka_unit_test(test_unified_diff),
        cmocka_unit_test(test_crlf_reply),
        cmocka_unit_test(test_tool_call_list_capped),
        cmocka_unit_test(test_tool_calls_nested_brackets_linear),
        cmocka_unit_test(test_fence_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
