/* The session-log reader (agent/log.c: lc_log_read) and what reads its
 * events back: the --report renderer (agent/report.c: lc_report_render),
 * whose Markdown must never carry a terminal control, and the replay model
 * (agent/replay.c: lc_llm_replay_new, lc_llm_chat). */
#include <stdlib.h>
#include <string.h>

#include "agent/agent.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write_file(data, size);
    lc_err err = {0};
    cJSON *events = NULL;
    if (lc_log_read(path, &events, &err) == LC_OK && !cJSON_IsArray(events))
        abort();
    cJSON_Delete(events);

    lc_buf out = LC_BUF_INIT;
    if (lc_report_render(path, &out, &err) == LC_OK) {
        fuzz_assert_terminal_safe("report", lc_buf_cstr(&out), out.len);
        fuzz_assert_no_hidden("report", lc_buf_cstr(&out), out.len);
    }
    else
        fuzz_assert_terminal_safe("report error", err.msg, strlen(err.msg));
    lc_buf_free(&out);

    lc_llm *llm = NULL;
    if (lc_llm_replay_new(path, &llm, &err) == LC_OK) {
        lc_msg msg = {.role = LC_ROLE_USER, .content = (char *)"go on"};
        lc_llm_request req = {&msg, 1, NULL, 0};
        for (int i = 0; i < 3; i++) {
            lc_llm_reply reply = {0};
            int rc = lc_llm_chat(llm, &req, NULL, &reply, &err);
            lc_llm_reply_free(&reply);
            if (rc != LC_OK)
                break;
        }
        lc_llm_destroy(llm);
    }
    return 0;
}
