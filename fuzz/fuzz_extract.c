/* Code extraction from a model reply (agent/extract.c: lc_extract_code,
 * lc_extract_looks_like_answer, lc_extract_tool_calls). */
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
    return 0;
}
