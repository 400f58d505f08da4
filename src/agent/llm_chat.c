/* llm_chat: the one chat driver every provider plugs into. It builds the
 * request from the provider's headers and body, streams it through
 * llm_http (retries before the body starts, cancellation, stalls), hands each
 * event to the provider's parser, which fills the shared accumulator, and
 * decides whether the answer is complete. A provider is only its wire
 * protocol (lc_llm_provider): what it sends and how it reads the answer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent.h"

typedef struct chat {
    lc_llm llm;
    const lc_llm_provider *p;
    lc_llm_conn c;
    void *conf; /* the provider's conf_size bytes, kept between calls */
} chat;

/* The parse state the provider sees, and which provider parses. */
typedef struct run {
    lc_llm_parse parse;
    const lc_llm_provider *p;
} run;

/* A refusal the provider adapts to is asked once more, but not endlessly. */
#define MAX_PASSES 4

static int on_event(void *ctx, const lc_sse_event *ev)
{
    run *r = ctx;
    return r->p->event(&r->parse, ev);
}

/* Whether the answer that came is the whole answer; rc is the transfer's
 * outcome. The finish reason (stop, length, tool_calls; Anthropic's stop
 * reason) is what says the model is done: the end marker after it ([DONE],
 * message_stop) is left out by some servers and proxies, and a transport
 * that fails after it (a connection closed short, a server that never ends
 * the body) has lost nothing of the answer. Only a stream cut before any
 * finish reason is an error. */
static int check_complete(const run *r, const lc_llm_http *h, int rc, lc_err *err)
{
    bool finished = r->parse.acc.finish_reason != NULL;
    if (h->started && finished && (rc == LC_OK || rc == LC_ENET || rc == LC_ETIMEOUT)) {
        lc_err_clear(err);
        return LC_OK;
    }
    if (rc == LC_ENET && h->started) {
        char detail[LC_ERR_MSG_MAX];
        snprintf(detail, sizeof detail, "%s", err ? err->msg : "");
        return lc_err_set(err, LC_EPROTO,
                          "the model's stream was cut before it finished (%s): try again", detail);
    }
    if (rc == LC_OK)
        return lc_err_set(err, LC_EPROTO,
                          "the model's stream was cut before it finished (no finish reason): try "
                          "again");
    return rc;
}

/* One request and its answer; *again when the provider adapted to a
 * refusal and the request should be made once more. */
static int one_pass(chat *ch, const lc_strv *headers, const lc_llm_request *req,
                    const lc_llm_stream *stream, lc_llm_reply *reply, bool may_adapt, bool *again,
                    lc_err *err)
{
    const lc_llm_provider *p = ch->p;
    *again = false;
    char *body = p->body(&ch->c.ep, ch->conf, req, err);
    if (!body)
        return LC_EINVAL;
    run r = {.p = p};
    r.parse.err = err;
    r.parse.ep = &ch->c.ep;
    r.parse.acc.stream = stream;
    r.parse.state = p->parse_size ? lc_xcalloc(1, p->parse_size) : NULL;
    lc_llm_http h = {
        .url = ch->c.url,
        .headers = headers,
        .body = body,
        .ep = &ch->c.ep,
        .cancel = &ch->c.cancel,
        .stream = stream,
        .on_event = on_event,
        .ctx = &r,
        .handle = &ch->c.curl,
    };
    int rc = lc_llm_http_stream(&h, err);
    free(body);
    if (rc == LC_OK && h.json)
        rc = p->whole(&r.parse, lc_buf_cstr(&h.json_body), h.json_body.len);
    lc_buf_free(&h.json_body);
    if (rc == LC_EINVAL && may_adapt && p->adapt &&
        p->adapt(ch->conf, &ch->c.ep, h.status, lc_buf_cstr(&h.err_body))) {
        *again = true;
    } else {
        rc = check_complete(&r, &h, rc, err);
        if (rc == LC_OK)
            rc = lc_llm_acc_take(&r.parse.acc, reply, err);
    }
    lc_buf_free(&h.err_body);
    lc_llm_acc_free(&r.parse.acc);
    free(r.parse.state);
    return rc;
}

static int chat_chat(lc_llm *llm, const lc_llm_request *req, const lc_llm_stream *stream,
                     lc_llm_reply *reply, lc_err *err)
{
    chat *ch = llm->impl;
    lc_llm_cancel_reset(&ch->c.cancel);
    lc_strv headers = LC_STRV_INIT;
    lc_strv_push(&headers, "Content-Type: application/json");
    ch->p->headers(&ch->c.ep, &headers);
    int rc = LC_OK;
    bool again = true;
    for (int pass = 0; again && pass < MAX_PASSES; pass++)
        rc = one_pass(ch, &headers, req, stream, reply, pass + 1 < MAX_PASSES, &again, err);
    for (size_t i = 0; i < headers.n; i++)
        explicit_bzero(headers.v[i], strlen(headers.v[i])); /* the key was in there */
    lc_strv_free(&headers);
    return rc;
}

static void chat_cancel(lc_llm *llm)
{
    chat *ch = llm->impl;
    lc_llm_cancel_fire(&ch->c.cancel);
}

static void chat_destroy(lc_llm *llm)
{
    chat *ch = llm->impl;
    lc_llm_conn_free(&ch->c);
    free(ch->conf);
    free(ch);
}

static const lc_llm_ops CHAT_OPS = {chat_chat, chat_cancel, chat_destroy};

int lc_llm_chat_new(const lc_llm_provider *p, const lc_llm_endpoint *ep, lc_llm **out, lc_err *err)
{
    *out = NULL;
    if (!p)
        return lc_err_set(err, LC_EINVAL, "lc_llm_chat_new: no provider");
    if (!ep || !ep->base_url || !ep->model || !*ep->model)
        return lc_err_set(err, LC_EINVAL, "%s needs a base URL and a name", p->what);
    chat *ch = lc_xcalloc(1, sizeof *ch);
    ch->llm.ops = &CHAT_OPS;
    ch->llm.impl = ch;
    ch->p = p;
    ch->conf = p->conf_size ? lc_xcalloc(1, p->conf_size) : NULL;
    lc_llm_conn_init(&ch->c, ep);
    ch->c.url = p->url(ch->c.base_url);
    *out = &ch->llm;
    return LC_OK;
}
