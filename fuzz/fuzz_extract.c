/* Code extraction from a model reply (agent/extract.c: lc_extract_code,
 * lc_extract_looks_like_answer, lc_extract_tool_calls), and the sanitizer
 * every reply passes before it is shown (core/text.c: lc_text_sanitize):
 * its output is terminal-safe and sanitizing it again changes nothing. */
#include <stdlib.h>
#include <string.h>

#include "agent/agent.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *reply = fuzz_cstr(data, size);
    lc_extracted x = {0};
    lc_extract_code(reply, &x);
    if (x.code && !x.nblocks)
        abort(); /* code comes from a block */
    lc_extracted_free(&x);
    (void)lc_extract_looks_like_answer(reply);
    lc_tool_call *calls = NULL;
    size_t n = lc_extract_tool_calls(reply, &calls);
    if (n > 16)
        abort(); /* at most 16, as the header says */
    lc_tool_calls_free(calls, n);
    free(reply);

    for (unsigned flags = 0; flags < 4; flags++) {
        lc_buf once = LC_BUF_INIT, twice = LC_BUF_INIT;
        lc_text_sanitize((const char *)data, size, flags, &once);
        fuzz_assert_terminal_safe("sanitized", lc_buf_cstr(&once), once.len);
        fuzz_assert_no_hidden("sanitized", lc_buf_cstr(&once), once.len);
        if (((flags & LC_SAN_KEEP_NEWLINE) == 0 && memchr(lc_buf_cstr(&once), '\n', once.len)) ||
            ((flags & LC_SAN_KEEP_TAB) == 0 && memchr(lc_buf_cstr(&once), '\t', once.len)))
            abort();
        lc_text_sanitize(lc_buf_cstr(&once), once.len, flags, &twice);
        if (once.len != twice.len || memcmp(lc_buf_cstr(&once), lc_buf_cstr(&twice), once.len) != 0)
            abort(); /* a fixed point */
        lc_buf_free(&once);
        lc_buf_free(&twice);
    }
    return 0;
}
