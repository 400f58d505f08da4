/* A scripted lc_llm for agent tests: replies are queued in order, each chat
 * call takes the next, streams it in small pieces and records the request. */
#ifndef LC_FAKE_LLM_H
#define LC_FAKE_LLM_H

#include "agent/agent.h"

lc_llm *fake_llm_new(void);
/* Queues a plain text reply. */
void fake_llm_reply(lc_llm *llm, const char *text);
/* Queues a reply with native tool calls: pairs of name and JSON arguments,
 * ended by NULL. Call ids are "call_1", "call_2"... */
void fake_llm_reply_calls(lc_llm *llm, const char *text, ...);
/* Queues a text reply preceded by a provider notice ("retrying in 2 s"). */
void fake_llm_reply_with_notice(lc_llm *llm, const char *notice, const char *text);
/* Queues a failure. */
void fake_llm_error(lc_llm *llm, int code, const char *msg);
/* Queues a call that blocks until lc_llm_cancel, then fails with LC_ECANCEL. */
void fake_llm_block(lc_llm *llm);
/* When the queue is empty, answer with the last reply again (benchmarks). */
void fake_llm_repeat_last(lc_llm *llm, bool on);

/* Recorded requests. */
size_t fake_llm_nrequests(lc_llm *llm);
size_t fake_llm_request_nmessages(lc_llm *llm, size_t i);
size_t fake_llm_request_ntools(lc_llm *llm, size_t i);
/* Content of the last message of request i. */
const char *fake_llm_request_last(lc_llm *llm, size_t i);
/* Every message of request i as "role: content\n" lines (tool calls as
 * "role calls name(args)"). */
const char *fake_llm_request_dump(lc_llm *llm, size_t i);

#endif
