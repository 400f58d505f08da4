/* --check's question to the model: one short request through the same
 * provider code a session uses, so a wrong key, URL or model name shows
 * before a session starts. */
#include "agent/agent.h"

int lc_llm_ping(const lc_model_config *m, int64_t *ms, lc_err *err)
{
    lc_llm *llm = NULL;
    int rc = lc_llm_new(m, &llm, err);
    if (rc != LC_OK)
        return rc;
    lc_msg msg = {.role = LC_ROLE_USER, .content = (char *)"Reply with the word OK."};
    lc_llm_request req = {&msg, 1, NULL, 0};
    lc_llm_reply reply = {0};
    int64_t t0 = lc_now_ms();
    rc = lc_llm_chat(llm, &req, NULL, &reply, err);
    *ms = lc_now_ms() - t0;
    lc_llm_reply_free(&reply);
    lc_llm_destroy(llm);
    return rc;
}
