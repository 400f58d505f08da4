/* llm_openai: the OpenAI-compatible chat completions API, streamed. Also
 * speaks to Ollama, llama.cpp, vLLM and proxies, which differ in small ways:
 * tool calls split by index or sent whole, reasoning in `reasoning` or
 * `reasoning_content`, usage only when stream_options is accepted, errors as
 * `data: {"error":...}` or a bare `error:` line. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "agent/agent.h"

/* What the server refused once and is never sent again: stream_options
 * (older servers), temperature and max_tokens (OpenAI reasoning models,
 * which want max_completion_tokens instead). */
typedef struct oa_conf {
    bool no_stream_options;
    bool no_temperature;
    bool max_completion_tokens;
} oa_conf;

static const char *role_name(lc_role r)
{
    switch (r) {
    case LC_ROLE_SYSTEM: return "system";
    case LC_ROLE_USER: return "user";
    case LC_ROLE_ASSISTANT: return "assistant";
    case LC_ROLE_TOOL: return "tool";
    }
    return "user";
}

static int add_tools(cJSON *root, const lc_llm_request *req, lc_err *err)
{
    if (!req->tools || !req->ntools)
        return LC_OK;
    cJSON *tools = cJSON_AddArrayToObject(root, "tools");
    for (size_t i = 0; i < req->ntools; i++) {
        const lc_tool_schema *t = &req->tools[i];
        const char *pj = t->parameters_json ? t->parameters_json : "{\"type\":\"object\"}";
        cJSON *params = lc_json_parse(pj, strlen(pj));
        if (!cJSON_IsObject(params)) {
            cJSON_Delete(params);
            return lc_err_set(err, LC_EINVAL,
                              "tool '%.100s' has a parameters schema that is not a JSON object",
                              t->name ? t->name : "?");
        }
        cJSON *tool = cJSON_CreateObject();
        cJSON_AddStringToObject(tool, "type", "function");
        cJSON *fn = cJSON_AddObjectToObject(tool, "function");
        cJSON_AddStringToObject(fn, "name", t->name ? t->name : "");
        if (t->description)
            cJSON_AddStringToObject(fn, "description", t->description);
        cJSON_AddItemToObject(fn, "parameters", params);
        cJSON_AddItemToArray(tools, tool);
    }
    return LC_OK;
}

static char *build_body(const lc_llm_endpoint *ep, const void *conf, const lc_llm_request *req,
                        lc_err *err)
{
    const oa_conf *o = conf;
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "model", ep->model);
    cJSON *msgs = cJSON_AddArrayToObject(root, "messages");
    for (size_t i = 0; i < req->nmessages; i++) {
        const lc_msg *m = &req->messages[i];
        cJSON *jm = cJSON_CreateObject();
        cJSON_AddStringToObject(jm, "role", role_name(m->role));
        if (m->role == LC_ROLE_ASSISTANT && m->ncalls && (!m->content || !*m->content))
            cJSON_AddNullToObject(jm, "content");
        else
            cJSON_AddStringToObject(jm, "content", m->content ? m->content : "");
        if (m->role == LC_ROLE_ASSISTANT && m->ncalls) {
            cJSON *calls = cJSON_AddArrayToObject(jm, "tool_calls");
            for (size_t c = 0; c < m->ncalls; c++) {
                const lc_tool_call *tc = &m->calls[c];
                cJSON *jc = cJSON_CreateObject();
                cJSON_AddStringToObject(jc, "id", tc->id ? tc->id : "");
                cJSON_AddStringToObject(jc, "type", "function");
                cJSON *fn = cJSON_AddObjectToObject(jc, "function");
                cJSON_AddStringToObject(fn, "name", tc->name ? tc->name : "");
                cJSON_AddStringToObject(fn, "arguments", tc->arguments ? tc->arguments : "{}");
                cJSON_AddItemToArray(calls, jc);
            }
        }
        if (m->role == LC_ROLE_TOOL)
            cJSON_AddStringToObject(jm, "tool_call_id", m->tool_call_id ? m->tool_call_id : "");
        cJSON_AddItemToArray(msgs, jm);
    }
    if (add_tools(root, req, err) < 0) {
        cJSON_Delete(root);
        return NULL;
    }
    cJSON_AddBoolToObject(root, "stream", 1);
    if (!o->no_stream_options) {
        cJSON *so = cJSON_AddObjectToObject(root, "stream_options");
        cJSON_AddBoolToObject(so, "include_usage", 1);
    }
    if (ep->temperature >= 0 && !o->no_temperature)
        cJSON_AddNumberToObject(root, "temperature", ep->temperature);
    if (ep->max_tokens > 0)
        cJSON_AddNumberToObject(root, o->max_completion_tokens ? "max_completion_tokens" : "max_tokens",
                                ep->max_tokens);
    char *s = lc_json_print(root);
    cJSON_Delete(root);
    return s;
}

/* Which slot a tool-call fragment belongs to: its `index` when the server
 * sends one; otherwise the call with the same id, or a new slot for a new
 * id. */
static size_t call_slot(const lc_llm_parse *r, const cJSON *tc, size_t pos_in_chunk)
{
    const cJSON *idx = cJSON_GetObjectItemCaseSensitive(tc, "index");
    if (cJSON_IsNumber(idx) && idx->valuedouble >= 0 && idx->valuedouble < LC_LLM_MAX_CALLS)
        return (size_t)idx->valuedouble;
    const char *id = lc_json_str(tc, "id");
    if (id && *id) {
        for (size_t i = 0; i < r->acc.ncalls; i++)
            if (strcmp(lc_buf_cstr(&r->acc.calls[i].id), id) == 0)
                return i;
        return r->acc.ncalls;
    }
    /* Neither index nor id: a named fragment after a named call, or a later
     * element of the same chunk, starts a new call; anything else goes on. */
    const char *name = lc_json_str(cJSON_GetObjectItemCaseSensitive(tc, "function"), "name");
    if (!r->acc.ncalls)
        return 0;
    if (pos_in_chunk > 0 || (name && *name && r->acc.calls[r->acc.ncalls - 1].name.len))
        return r->acc.ncalls;
    return r->acc.ncalls - 1;
}

/* whole: the calls of a complete message (not fragments): one slot each. */
static int take_tool_calls(lc_llm_parse *r, const cJSON *arr, bool whole)
{
    size_t pos = 0, first = r->acc.ncalls;
    const cJSON *tc;
    cJSON_ArrayForEach(tc, arr)
    {
        size_t slot = whole ? first + pos : call_slot(r, tc, pos);
        pos++;
        lc_llm_acc_call *c = lc_llm_acc_slot(&r->acc, slot);
        if (!c)
            return lc_err_set(r->err, LC_EPROTO,
                              "the model sent more than %d tool calls in one answer",
                              LC_LLM_MAX_CALLS);
        const char *id = lc_json_str(tc, "id");
        int rc = LC_OK;
        if (id && *id && !c->id.len) /* later fragments may repeat the id */
            rc = lc_llm_acc_add(&r->acc, &c->id, id, strlen(id), r->err);
        const cJSON *fn = cJSON_GetObjectItemCaseSensitive(tc, "function");
        const char *name = lc_json_str(fn, "name");
        if (rc == LC_OK && name && *name && !c->name.len)
            rc = lc_llm_acc_add(&r->acc, &c->name, name, strlen(name), r->err);
        const cJSON *args = cJSON_GetObjectItemCaseSensitive(fn, "arguments");
        if (rc == LC_OK && cJSON_IsString(args)) {
            rc = lc_llm_acc_add(&r->acc, &c->args, args->valuestring, strlen(args->valuestring),
                                r->err);
        } else if (rc == LC_OK && cJSON_IsObject(args)) {
            /* Some servers send the arguments as an object, not as text. */
            char *txt = lc_json_print(args);
            rc = lc_llm_acc_add(&r->acc, &c->args, txt, strlen(txt), r->err);
            free(txt);
        }
        if (rc < 0)
            return rc;
    }
    return LC_OK;
}

static int on_chunk(lc_llm_parse *r, const cJSON *root)
{
    const cJSON *usage = cJSON_GetObjectItemCaseSensitive(root, "usage");
    if (cJSON_IsObject(usage)) {
        r->acc.prompt_tokens = lc_json_int(usage, "prompt_tokens", 0, 0, INT64_MAX);
        r->acc.completion_tokens = lc_json_int(usage, "completion_tokens", 0, 0, INT64_MAX);
    }
    const cJSON *choices = cJSON_GetObjectItemCaseSensitive(root, "choices");
    const cJSON *ch = cJSON_IsArray(choices) ? cJSON_GetArrayItem(choices, 0) : NULL;
    if (!cJSON_IsObject(ch))
        return LC_OK; /* the usage-only chunk, or an empty one */
    const cJSON *delta = cJSON_GetObjectItemCaseSensitive(ch, "delta");
    int rc = LC_OK;
    if (cJSON_IsObject(delta)) {
        const char *text = lc_json_str(delta, "content");
        if (text)
            rc = lc_llm_acc_text(&r->acc, text, strlen(text), r->err);
        /* Some servers send both names with the same text: take one. */
        const char *rs = lc_json_str(delta, "reasoning_content");
        if (!rs)
            rs = lc_json_str(delta, "reasoning");
        if (rc == LC_OK && rs)
            rc = lc_llm_acc_reasoning(&r->acc, rs, strlen(rs), r->err);
        const cJSON *calls = cJSON_GetObjectItemCaseSensitive(delta, "tool_calls");
        if (rc == LC_OK && cJSON_IsArray(calls))
            rc = take_tool_calls(r, calls, false);
    }
    const char *finish = lc_json_str(ch, "finish_reason");
    if (rc == LC_OK && finish && *finish)
        lc_llm_acc_set_finish(&r->acc, finish);
    return rc;
}

/* A server that ignored stream=true answers with one chat.completion
 * object: the same reply, told all at once. */
static int take_json(lc_llm_parse *r, const char *body, size_t len)
{
    cJSON *root = lc_json_parse(body, len);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return lc_err_set(r->err, LC_EPROTO,
                          "the model server answered with JSON that is not a chat completion");
    }
    int rc = LC_OK;
    if (cJSON_GetObjectItemCaseSensitive(root, "error")) {
        rc = lc_llm_http_error(0, body, len, r->ep, r->err);
        cJSON_Delete(root);
        return rc;
    }
    const cJSON *usage = cJSON_GetObjectItemCaseSensitive(root, "usage");
    r->acc.prompt_tokens = lc_json_int(usage, "prompt_tokens", 0, 0, INT64_MAX);
    r->acc.completion_tokens = lc_json_int(usage, "completion_tokens", 0, 0, INT64_MAX);
    const cJSON *choices = cJSON_GetObjectItemCaseSensitive(root, "choices");
    const cJSON *ch = cJSON_IsArray(choices) ? cJSON_GetArrayItem(choices, 0) : NULL;
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(ch, "message");
    if (!cJSON_IsObject(msg)) {
        cJSON_Delete(root);
        return lc_err_set(r->err, LC_EPROTO,
                          "the model server answered with JSON that has no message");
    }
    const char *rs = lc_json_str(msg, "reasoning_content");
    if (!rs)
        rs = lc_json_str(msg, "reasoning");
    if (rs)
        rc = lc_llm_acc_reasoning(&r->acc, rs, strlen(rs), r->err);
    const char *text = lc_json_str(msg, "content");
    if (rc == LC_OK && text)
        rc = lc_llm_acc_text(&r->acc, text, strlen(text), r->err);
    const cJSON *calls = cJSON_GetObjectItemCaseSensitive(msg, "tool_calls");
    if (rc == LC_OK && cJSON_IsArray(calls))
        rc = take_tool_calls(r, calls, true);
    const char *finish = lc_json_str(ch, "finish_reason");
    lc_llm_acc_set_finish(&r->acc, finish && *finish ? finish : "stop");
    cJSON_Delete(root);
    return rc;
}

static int on_event(lc_llm_parse *r, const lc_sse_event *ev)
{
    if (ev->kind == LC_SSE_ERROR_LINE || strcmp(ev->name, "error") == 0)
        return lc_llm_http_error(0, ev->data, ev->len, r->ep, r->err);
    if (ev->len == 6 && memcmp(ev->data, "[DONE]", 6) == 0)
        return LC_OK; /* the finish reason before it is what counts (llm_chat.c) */
    cJSON *root = lc_json_parse(ev->data, ev->len);
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        lc_buf shown = LC_BUF_INIT;
        lc_text_sanitize(ev->data, ev->len > 80 ? 80 : ev->len, 0, &shown);
        int rc = lc_err_set(r->err, LC_EPROTO,
                            "the model server sent an event that is not a JSON object: '%s'",
                            lc_buf_cstr(&shown));
        lc_buf_free(&shown);
        return rc;
    }
    int rc;
    if (cJSON_GetObjectItemCaseSensitive(root, "error"))
        rc = lc_llm_http_error(0, ev->data, ev->len, r->ep, r->err);
    else
        rc = on_chunk(r, root);
    cJSON_Delete(root);
    return rc;
}

/* A 400 that names an optional parameter we sent: drop or rename it and
 * say so (true), so the call is made once more without it. */
static bool adapt_to_refusal(void *conf, const lc_llm_endpoint *ep, long status, const char *b)
{
    oa_conf *o = conf;
    if (status != 400 || !*b)
        return false;
    if (!o->no_stream_options && strstr(b, "stream_options")) {
        o->no_stream_options = true; /* usage is a nicety */
        return true;
    }
    if (!o->max_completion_tokens && ep->max_tokens > 0 && strstr(b, "max_completion_tokens")) {
        o->max_completion_tokens = true;
        return true;
    }
    if (!o->no_temperature && ep->temperature >= 0 && strstr(b, "temperature") &&
        (strcasestr(b, "unsupported") || strcasestr(b, "not support"))) {
        o->no_temperature = true;
        return true;
    }
    return false;
}

static char *chat_url(const char *base_url)
{
    return lc_xasprintf("%s/chat/completions", base_url);
}

static void add_headers(const lc_llm_endpoint *ep, lc_strv *headers)
{
    if (ep->key)
        lc_strv_pushf(headers, "Authorization: Bearer %s", ep->key);
}

const lc_llm_provider lc_llm_provider_openai = {
    .what = "an OpenAI-compatible model",
    .conf_size = sizeof(oa_conf),
    .url = chat_url,
    .headers = add_headers,
    .body = build_body,
    .event = on_event,
    .whole = take_json,
    .adapt = adapt_to_refusal,
};

int lc_llm_openai_new(const lc_llm_endpoint *ep, lc_llm **out, lc_err *err)
{
    return lc_llm_chat_new(&lc_llm_provider_openai, ep, out, err);
}
