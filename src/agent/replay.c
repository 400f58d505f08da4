/* replay:FILE: an lc_llm that answers from a recorded session log. Each chat
 * call gets the next recorded model reply, streamed in small pieces so a
 * front end shows it as it would a live model. Used for audits and demos,
 * and to test front ends without a network. */
#include <limits.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent.h"

#define REPLAY_PIECE 12

typedef struct replay {
    cJSON *replies; /* array of the log's model_reply events, in order */
    int next;
    int count;
    char *path;
    atomic_bool cancel;
} replay;

static int replay_chat(lc_llm *llm, const lc_llm_request *req, const lc_llm_stream *stream, lc_llm_reply *reply,
                       lc_err *err)
{
    (void)req;
    replay *r = llm->impl;
    memset(reply, 0, sizeof *reply);
    /* A cancel aimed at an earlier request must not hit this one; the agent
     * checks its own stop flag around every request. */
    atomic_store(&r->cancel, false);
    if (r->next >= r->count)
        return lc_err_set(err, LC_EPROTO,
                          "the replayed log %s has no more model replies (all %d were used); the session "
                          "went further than the recording",
                          r->path, r->count);
    const cJSON *ev = cJSON_GetArrayItem(r->replies, r->next++);
    const char *content = lc_json_str(ev, "content");
    const char *reasoning = lc_json_str(ev, "reasoning");
    if (!content)
        content = "";
    if (reasoning && stream && stream->reasoning)
        stream->reasoning(stream->ctx, reasoning, strlen(reasoning));
    size_t len = strlen(content);
    for (size_t off = 0; stream && stream->text && off < len;) {
        if (atomic_exchange(&r->cancel, false))
            return lc_err_set(err, LC_ECANCEL, "cancelled");
        size_t n = len - off < REPLAY_PIECE ? len - off : REPLAY_PIECE;
        /* Do not split a UTF-8 sequence between pieces. */
        while (off + n < len && ((unsigned char)content[off + n] & 0xC0) == 0x80)
            n++;
        stream->text(stream->ctx, content + off, n);
        off += n;
    }
    reply->content = lc_xstrdup(content);
    reply->reasoning = lc_xstrdup(reasoning);
    const char *fin = lc_json_str(ev, "finish_reason");
    reply->finish_reason = lc_xstrdup(fin && *fin ? fin : "stop");
    reply->prompt_tokens = lc_json_int(ev, "prompt_tokens", 0, 0, INT64_MAX);
    reply->completion_tokens = lc_json_int(ev, "completion_tokens", 0, 0, INT64_MAX);
    const cJSON *calls = cJSON_GetObjectItemCaseSensitive(ev, "calls");
    int n = cJSON_GetArraySize(calls);
    if (n > 0) {
        reply->calls = lc_xcalloc((size_t)n, sizeof *reply->calls);
        const cJSON *c;
        cJSON_ArrayForEach(c, calls)
        {
            lc_tool_call *t = &reply->calls[reply->ncalls++];
            t->id = lc_xstrdup(lc_json_str(c, "id") ? lc_json_str(c, "id") : "");
            t->name = lc_xstrdup(lc_json_str(c, "name") ? lc_json_str(c, "name") : "");
            t->arguments = lc_xstrdup(lc_json_str(c, "arguments") ? lc_json_str(c, "arguments") : "{}");
        }
    }
    return LC_OK;
}

static void replay_cancel(lc_llm *llm)
{
    replay *r = llm->impl;
    atomic_store(&r->cancel, true);
}

static void replay_destroy(lc_llm *llm)
{
    replay *r = llm->impl;
    cJSON_Delete(r->replies);
    free(r->path);
    free(r);
    free(llm);
}

static const lc_llm_ops replay_ops = {replay_chat, replay_cancel, replay_destroy};

static int keep_reply(void *ctx, const cJSON *ev, unsigned long line)
{
    (void)line;
    const char *kind = lc_json_str(ev, "kind");
    if (kind && !strcmp(kind, "model_reply"))
        cJSON_AddItemToArray(ctx, cJSON_Duplicate(ev, true));
    return LC_OK;
}

int lc_llm_replay_new(const char *path, lc_llm **out, lc_err *err)
{
    *out = NULL;
    cJSON *replies = cJSON_CreateArray();
    int rc = lc_log_scan(path, 0, keep_reply, replies, NULL, err);
    if (rc != LC_OK) {
        cJSON_Delete(replies);
        lc_err_prefix(err, "replay");
        return rc;
    }
    int count = cJSON_GetArraySize(replies);
    if (count == 0) {
        cJSON_Delete(replies);
        return lc_err_set(err, LC_EINVAL, "replay: %s has no recorded model replies to replay", path);
    }
    replay *r = lc_xcalloc(1, sizeof *r);
    r->replies = replies;
    r->count = count;
    r->path = lc_xstrdup(path);
    atomic_init(&r->cancel, false);
    lc_llm *llm = lc_xcalloc(1, sizeof *llm);
    llm->ops = &replay_ops;
    llm->impl = r;
    *out = llm;
    return LC_OK;
}

int lc_llm_replay_skip(lc_llm *llm, int n)
{
    if (!llm || llm->ops != &replay_ops)
        return LC_EINVAL;
    replay *r = llm->impl;
    r->next = n < 0 ? 0 : (n > r->count ? r->count : n);
    return LC_OK;
}
