/* The scripted model behind fake_llm.h. */
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "fake_llm.h"

typedef enum item_kind { IT_TEXT, IT_ERROR, IT_BLOCK } item_kind;

typedef struct item {
    item_kind kind;
    char *text;
    lc_strv calls; /* name, args, name, args... */
    int code;
    char *notice;  /* sent through stream->notice first */
} item;

typedef struct req {
    size_t nmessages, ntools;
    char *last;
    char *dump;
} req;

typedef struct fake_llm {
    item *items;
    size_t n, cap, next;
    req *reqs;
    size_t nreqs, reqcap;
    bool repeat;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool cancel;
} fake_llm;

static item *push_item(lc_llm *llm)
{
    fake_llm *f = llm->impl;
    if (f->n == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 8;
        f->items = lc_xrealloc(f->items, f->cap * sizeof *f->items);
    }
    item *it = &f->items[f->n++];
    memset(it, 0, sizeof *it);
    return it;
}

void fake_llm_reply(lc_llm *llm, const char *text)
{
    item *it = push_item(llm);
    it->kind = IT_TEXT;
    it->text = lc_xstrdup(text);
}

void fake_llm_reply_calls(lc_llm *llm, const char *text, ...)
{
    item *it = push_item(llm);
    it->kind = IT_TEXT;
    it->text = lc_xstrdup(text ? text : "");
    va_list ap;
    va_start(ap, text);
    const char *name;
    while ((name = va_arg(ap, const char *)) != NULL) {
        const char *args = va_arg(ap, const char *);
        lc_strv_push(&it->calls, name);
        lc_strv_push(&it->calls, args);
    }
    va_end(ap);
}

void fake_llm_reply_with_notice(lc_llm *llm, const char *notice, const char *text)
{
    fake_llm_reply(llm, text);
    ((fake_llm *)llm->impl)->items[((fake_llm *)llm->impl)->n - 1].notice = lc_xstrdup(notice);
}

void fake_llm_error(lc_llm *llm, int code, const char *msg)
{
    item *it = push_item(llm);
    it->kind = IT_ERROR;
    it->code = code;
    it->text = lc_xstrdup(msg);
}

void fake_llm_block(lc_llm *llm) { push_item(llm)->kind = IT_BLOCK; }

void fake_llm_repeat_last(lc_llm *llm, bool on) { ((fake_llm *)llm->impl)->repeat = on; }

static const char *role_name(lc_role r)
{
    return r == LC_ROLE_SYSTEM ? "system" : r == LC_ROLE_USER ? "user" : r == LC_ROLE_ASSISTANT ? "assistant" : "tool";
}

static void record(fake_llm *f, const lc_llm_request *rq)
{
    if (f->nreqs == f->reqcap) {
        f->reqcap = f->reqcap ? f->reqcap * 2 : 16;
        f->reqs = lc_xrealloc(f->reqs, f->reqcap * sizeof *f->reqs);
    }
    req *r = &f->reqs[f->nreqs++];
    r->nmessages = rq->nmessages;
    r->ntools = rq->ntools;
    r->last = lc_xstrdup(rq->nmessages ? rq->messages[rq->nmessages - 1].content : "");
    if (!r->last)
        r->last = lc_xstrdup("");
    lc_buf d = LC_BUF_INIT;
    for (size_t i = 0; i < rq->nmessages; i++) {
        const lc_msg *m = &rq->messages[i];
        lc_buf_printf(&d, "%s: %s\n", role_name(m->role), m->content ? m->content : "");
        for (size_t k = 0; k < m->ncalls; k++)
            lc_buf_printf(&d, "%s calls %s(%s)\n", role_name(m->role), m->calls[k].name, m->calls[k].arguments);
    }
    r->dump = lc_buf_detach(&d);
}

static int fl_chat(lc_llm *llm, const lc_llm_request *rq, const lc_llm_stream *stream, lc_llm_reply *reply,
                   lc_err *err)
{
    fake_llm *f = llm->impl;
    record(f, rq);
    if (f->next >= f->n && !(f->repeat && f->n))
        return lc_err_set(err, LC_EPROTO, "fake llm: no more scripted replies (%zu used)", f->n);
    const item *it = f->next < f->n ? &f->items[f->next++] : &f->items[f->n - 1];
    if (it->kind == IT_ERROR)
        return lc_err_set(err, it->code, "%s", it->text);
    if (it->kind == IT_BLOCK) {
        pthread_mutex_lock(&f->mu);
        while (!f->cancel)
            pthread_cond_wait(&f->cv, &f->mu);
        f->cancel = false;
        pthread_mutex_unlock(&f->mu);
        return lc_err_set(err, LC_ECANCEL, "the model request was cancelled");
    }
    if (it->notice && stream && stream->notice)
        stream->notice(stream->ctx, it->notice);
    size_t len = strlen(it->text);
    for (size_t off = 0; stream && stream->text && off < len; off += 7)
        stream->text(stream->ctx, it->text + off, len - off < 7 ? len - off : 7);
    reply->content = lc_xstrdup(it->text);
    reply->finish_reason = lc_xstrdup(it->calls.n ? "tool_calls" : "stop");
    reply->prompt_tokens = 100;
    reply->completion_tokens = (int64_t)len / 4;
    if (it->calls.n) {
        reply->ncalls = it->calls.n / 2;
        reply->calls = lc_xcalloc(reply->ncalls, sizeof *reply->calls);
        for (size_t k = 0; k < reply->ncalls; k++) {
            reply->calls[k].id = lc_xasprintf("call_%zu", k + 1);
            reply->calls[k].name = lc_xstrdup(it->calls.v[2 * k]);
            reply->calls[k].arguments = lc_xstrdup(it->calls.v[2 * k + 1]);
        }
    }
    return LC_OK;
}

static void fl_cancel(lc_llm *llm)
{
    fake_llm *f = llm->impl;
    pthread_mutex_lock(&f->mu);
    f->cancel = true;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
}

static void fl_destroy(lc_llm *llm)
{
    fake_llm *f = llm->impl;
    for (size_t i = 0; i < f->n; i++) {
        free(f->items[i].text);
        free(f->items[i].notice);
        lc_strv_free(&f->items[i].calls);
    }
    for (size_t i = 0; i < f->nreqs; i++) {
        free(f->reqs[i].last);
        free(f->reqs[i].dump);
    }
    free(f->items);
    free(f->reqs);
    pthread_mutex_destroy(&f->mu);
    pthread_cond_destroy(&f->cv);
    free(f);
    free(llm);
}

static const lc_llm_ops fake_llm_ops = {fl_chat, fl_cancel, fl_destroy};

lc_llm *fake_llm_new(void)
{
    fake_llm *f = lc_xcalloc(1, sizeof *f);
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->cv, NULL);
    lc_llm *llm = lc_xcalloc(1, sizeof *llm);
    llm->ops = &fake_llm_ops;
    llm->impl = f;
    return llm;
}

size_t fake_llm_nrequests(lc_llm *llm) { return ((fake_llm *)llm->impl)->nreqs; }

static req *get_req(lc_llm *llm, size_t i)
{
    fake_llm *f = llm->impl;
    return i < f->nreqs ? &f->reqs[i] : NULL;
}

size_t fake_llm_request_nmessages(lc_llm *llm, size_t i) { return get_req(llm, i) ? get_req(llm, i)->nmessages : 0; }
size_t fake_llm_request_ntools(lc_llm *llm, size_t i) { return get_req(llm, i) ? get_req(llm, i)->ntools : 0; }
const char *fake_llm_request_last(lc_llm *llm, size_t i) { return get_req(llm, i) ? get_req(llm, i)->last : NULL; }
const char *fake_llm_request_dump(lc_llm *llm, size_t i) { return get_req(llm, i) ? get_req(llm, i)->dump : NULL; }
