/* The conversation with the model: the message history (and keeping it
 * within the model's context), one model request streamed to the front end
 * and recorded, and the messages the user types between steps. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent_int.h"

#define INBOX_MAX 64

/* ---- history --------------------------------------------------------------- */

static lc_msg *push_msg(lc_agent *a)
{
    if (a->hist.n == a->hist.cap) {
        a->hist.cap = a->hist.cap ? a->hist.cap * 2 : 16;
        a->hist.v = lc_xrealloc(a->hist.v, a->hist.cap * sizeof *a->hist.v);
    }
    lc_msg *m = &a->hist.v[a->hist.n++];
    memset(m, 0, sizeof *m);
    return m;
}

void agent_push(lc_agent *a, lc_role role, const char *content)
{
    lc_msg *m = push_msg(a);
    m->role = role;
    m->content = lc_xstrdup(content ? content : "");
}

static lc_tool_call *copy_calls(const lc_tool_call *c, size_t n)
{
    if (!n)
        return NULL;
    lc_tool_call *v = lc_xcalloc(n, sizeof *v);
    for (size_t i = 0; i < n; i++) {
        v[i].id = lc_xstrdup(c[i].id ? c[i].id : "");
        v[i].name = lc_xstrdup(c[i].name ? c[i].name : "");
        v[i].arguments = lc_xstrdup(c[i].arguments ? c[i].arguments : "{}");
    }
    return v;
}

void agent_push_reply(lc_agent *a, const lc_llm_reply *r)
{
    lc_msg *m = push_msg(a);
    m->role = LC_ROLE_ASSISTANT;
    m->content = lc_xstrdup(r->content ? r->content : "");
    /* In text mode the calls live in the text; the server knows no tools. */
    if (!a->text_calls) {
        m->calls = copy_calls(r->calls, r->ncalls);
        m->ncalls = r->ncalls;
    }
}

void agent_push_tool(lc_agent *a, const char *call_id, const char *content)
{
    lc_msg *m = push_msg(a);
    m->role = LC_ROLE_TOOL;
    m->content = lc_xstrdup(content);
    m->tool_call_id = lc_xstrdup(call_id);
}

/* ---- model requests -------------------------------------------------------- */

static void on_text(void *ctx, const char *d, size_t n)
{
    lc_agent *a = ctx;
    lc_event ev = {.kind = LC_EV_TOKEN, .step = a->step, .max_steps = a->step_limit, .text = d, .len = n};
    agent_emit(a, &ev);
}

static void on_reasoning(void *ctx, const char *d, size_t n)
{
    lc_agent *a = ctx;
    lc_event ev = {.kind = LC_EV_REASONING, .step = a->step, .max_steps = a->step_limit, .text = d, .len = n};
    agent_emit(a, &ev);
}

/* Retries and waits the provider wants the user to know about. */
static void on_notice(void *ctx, const char *text)
{
    lc_agent *a = ctx;
    agent_emit_text(a, LC_EV_INFO, text);
}

int agent_ask_messages(lc_agent *a, const lc_msg *msgs, size_t n, size_t new_from, bool tools,
                        lc_req_purpose why, bool stream, lc_llm_reply *reply, lc_err *err)
{
    size_t nschemas = 0;
    const lc_tool_schema *schemas = tools && !a->text_calls ? lc_toolset_schemas(a->tools, &nschemas) : NULL;
    lc_llm_request req = {.messages = msgs, .nmessages = n, .tools = schemas, .ntools = schemas ? nschemas : 0};

    lc_event ev = {.kind = LC_EV_REQUEST, .step = a->step, .max_steps = a->step_limit, .purpose = why,
                   .messages = msgs, .nmessages = n, .first_new = new_from, .ntools = req.ntools};
    agent_emit(a, &ev);

    /* Sub-requests do not stream their text (it is a tool's result, not the
     * agent's reply) but still say when the server makes them wait. */
    lc_llm_stream st = {.ctx = a, .text = stream ? on_text : NULL, .reasoning = stream ? on_reasoning : NULL,
                        .notice = on_notice};
    int rc = lc_llm_chat(a->llm, &req, &st, reply, err);
    if (rc != LC_OK) {
        ev = (lc_event){.kind = LC_EV_MODEL_ERROR, .step = a->step, .max_steps = a->step_limit, .purpose = why,
                        .code = rc, .text = err ? err->msg : ""};
        agent_emit(a, &ev);
        return rc;
    }
    if (!reply->content)
        reply->content = lc_xstrdup("");
    ev = (lc_event){.kind = LC_EV_MODEL_REPLY, .step = a->step, .max_steps = a->step_limit, .purpose = why,
                    .reply = reply, .text = reply->content, .len = strlen(reply->content),
                    .prompt_tokens = reply->prompt_tokens, .completion_tokens = reply->completion_tokens};
    agent_emit(a, &ev);
    if (reply->prompt_tokens || reply->completion_tokens) {
        ev = (lc_event){.kind = LC_EV_USAGE, .step = a->step, .max_steps = a->step_limit,
                        .prompt_tokens = reply->prompt_tokens, .completion_tokens = reply->completion_tokens};
        agent_emit(a, &ev);
    }
    return LC_OK;
}

/* Long sessions outgrow a model's context. Past a soft cap the oldest
 * observations and tool results (never the system prompt, the task, the
 * model's own replies or the last few messages) keep only their head and
 * tail, oldest first, until the history fits again. */
#define HISTORY_SOFT_MAX (256 * 1024)
#define HISTORY_KEEP_RECENT 6
#define SHORT_HEAD 600
#define SHORT_TAIL 300

static size_t history_bytes(const lc_agent *a)
{
    size_t n = 0;
    for (size_t i = 0; i < a->hist.n; i++)
        n += a->hist.v[i].content ? strlen(a->hist.v[i].content) : 0;
    return n;
}

static void compact_history(lc_agent *a)
{
    size_t total = history_bytes(a);
    if (total <= HISTORY_SOFT_MAX || a->hist.n <= HISTORY_KEEP_RECENT + 2)
        return;
    size_t shortened = 0;
    for (size_t i = 2; i + HISTORY_KEEP_RECENT < a->hist.n && total > HISTORY_SOFT_MAX; i++) {
        lc_msg *m = &a->hist.v[i];
        size_t len = m->content ? strlen(m->content) : 0;
        if ((m->role != LC_ROLE_USER && m->role != LC_ROLE_TOOL) || len <= SHORT_HEAD + SHORT_TAIL + 200)
            continue;
        lc_buf b = LC_BUF_INIT;
        lc_text_head_tail(m->content, len, SHORT_HEAD, SHORT_TAIL, &b);
        lc_buf_puts(&b, "\n[shortened by litecode to keep the conversation within the model's context]");
        total = total - len + b.len;
        free(m->content);
        m->content = lc_buf_detach(&b);
        shortened++;
    }
    if (shortened) {
        char note[160];
        snprintf(note, sizeof note, "shortened %zu old observations to keep the conversation within the model's context",
                 shortened);
        agent_emit_text(a, LC_EV_INFO, note);
    }
}

int agent_ask(lc_agent *a, const char *extra_user, bool tools, lc_req_purpose why, lc_llm_reply *reply, lc_err *err)
{
    compact_history(a);
    size_t n = a->hist.n + (extra_user ? 1 : 0);
    lc_msg *msgs = lc_xcalloc(n ? n : 1, sizeof *msgs);
    memcpy(msgs, a->hist.v, a->hist.n * sizeof *msgs); /* borrowed, not freed here */
    if (extra_user) {
        msgs[a->hist.n].role = LC_ROLE_USER;
        msgs[a->hist.n].content = (char *)extra_user;
    }
    size_t from = a->logged;
    a->logged = a->hist.n;
    int rc = agent_ask_messages(a, msgs, n, from, tools, why, true, reply, err);
    free(msgs);
    /* The conversation's own requests only: a tool's sub-query that fails
     * is the tool's error, and the step goes on. */
    a->model_failed = rc != LC_OK && rc != LC_ECANCEL;
    return rc;
}

/* ---- the user's messages ----------------------------------------------------- */

void lc_agent_post_message(lc_agent *a, const char *text)
{
    if (!a || !text || !*text)
        return;
    pthread_mutex_lock(&a->mu);
    if (a->inbox.n < INBOX_MAX)
        lc_strv_push(&a->inbox, text);
    pthread_mutex_unlock(&a->mu);
}

void agent_push_user_message(lc_agent *a, const char *text)
{
    char *m = lc_xasprintf("Message from the user (take it into account from now on):\n%s", text);
    agent_push(a, LC_ROLE_USER, m);
    free(m);
}

bool agent_take_user_messages(lc_agent *a)
{
    lc_strv got = LC_STRV_INIT;
    pthread_mutex_lock(&a->mu);
    got = a->inbox;
    memset(&a->inbox, 0, sizeof a->inbox);
    pthread_mutex_unlock(&a->mu);
    for (size_t i = 0; i < got.n; i++) {
        agent_emit_text(a, LC_EV_USER_MESSAGE, got.v[i]);
        agent_push_user_message(a, got.v[i]);
    }
    bool any = got.n > 0;
    lc_strv_free(&got);
    return any;
}
