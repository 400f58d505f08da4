/* replay:FILE: an lc_llm that answers from a recorded session log. Each chat
 * call gets the next recorded model reply, streamed in small pieces so a
 * front end shows it as it would a live model. Used for audits and demos,
 * and to test front ends without a network. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent.h"

#define REPLAY_PIECE 12

typedef struct replay {
    lc_llm_reply *replies; /* the log's model replies, in order */
    int next;
    int count;
    int cap;
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
    const lc_llm_reply *rec = &r->replies[r->next++];
    const char *content = rec->content;
    if (rec->reasoning && stream && stream->reasoning)
        stream->reasoning(stream->ctx, rec->reasoning, strlen(rec->reasoning));
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
    reply->reasoning = lc_xstrdup(rec->reasoning);
    reply->finish_reason = lc_xstrdup(rec->finish_reason);
    reply->prompt_tokens = rec->prompt_tokens;
    reply->completion_tokens = rec->completion_tokens;
    if (rec->ncalls) {
        reply->calls = lc_xcalloc(rec->ncalls, sizeof *reply->calls);
        for (size_t i = 0; i < rec->ncalls; i++) {
            reply->calls[i].id = lc_xstrdup(rec->calls[i].id);
            reply->calls[i].name = lc_xstrdup(rec->calls[i].name);
            reply->calls[i].arguments = lc_xstrdup(rec->calls[i].arguments);
        }
        reply->ncalls = rec->ncalls;
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
    for (int i = 0; i < r->count; i++)
        lc_llm_reply_free(&r->replies[i]);
    free(r->replies);
    free(r->path);
    free(r);
    free(llm);
}

static const lc_llm_ops replay_ops = {replay_chat, replay_cancel, replay_destroy};

/* Keeps a copy of each recorded model reply. */
static int keep_reply(void *ctx, const lc_event *ev, const cJSON *record, unsigned long line)
{
    (void)record;
    (void)line;
    replay *r = ctx;
    if (ev->kind != LC_EV_MODEL_REPLY)
        return LC_OK;
    if (r->count == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 16;
        r->replies = lc_xrealloc(r->replies, (size_t)r->cap * sizeof *r->replies);
    }
    const lc_llm_reply *src = ev->reply;
    lc_llm_reply *dst = &r->replies[r->count++];
    memset(dst, 0, sizeof *dst);
    dst->content = lc_xstrdup(src->content ? src->content : "");
    dst->reasoning = src->reasoning ? lc_xstrdup(src->reasoning) : NULL;
    dst->finish_reason = lc_xstrdup(src->finish_reason && *src->finish_reason ? src->finish_reason : "stop");
    dst->prompt_tokens = src->prompt_tokens;
    dst->completion_tokens = src->completion_tokens;
    if (src->ncalls) {
        dst->calls = lc_xcalloc(src->ncalls, sizeof *dst->calls);
        for (size_t i = 0; i < src->ncalls; i++) {
            dst->calls[i].id = lc_xstrdup(src->calls[i].id);
            dst->calls[i].name = lc_xstrdup(src->calls[i].name);
            dst->calls[i].arguments = lc_xstrdup(src->calls[i].arguments);
        }
        dst->ncalls = src->ncalls;
    }
    return LC_OK;
}

int lc_llm_replay_new(const char *path, lc_llm **out, lc_err *err)
{
    *out = NULL;
    replay *r = lc_xcalloc(1, sizeof *r);
    int rc = lc_log_events(path, 0, keep_reply, r, NULL, err);
    if (rc == LC_OK && r->count == 0)
        rc = lc_err_set(err, LC_EINVAL, "replay: %s has no recorded model replies to replay", path);
    else if (rc != LC_OK)
        lc_err_prefix(err, "replay");
    if (rc != LC_OK) {
        for (int i = 0; i < r->count; i++)
            lc_llm_reply_free(&r->replies[i]);
        free(r->replies);
        free(r);
        return rc;
    }
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
